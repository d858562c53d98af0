// introvy-replay: posts an event log (one JSON line per recorded webhook,
// see bench/replay/README.md) to a running service, at the recorded pace,
// at a multiple of it, or as fast as the service acknowledges, and measures
// every acknowledgement. With --sim-url it first sets, in avionte-sim, the
// stage each logged event carries, so the service reads that stage when it
// decides. Prints one JSON summary on standard output; deciding, Avionté
// calls and memory are measured by bench/replay/replay.py around it.
//
// Threads: the main thread reads the log and paces the sends; the HTTP
// client's io thread runs every completion. At most --connections requests
// are in flight at once.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "net/async_http_client.hpp"
#include "net/signature.hpp"

namespace {

using namespace introvy;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::size_t stage_batch = 256; // log lines per /_sim/stages call
constexpr std::ptrdiff_t max_in_flight = 4096;
constexpr auto late_threshold = std::chrono::milliseconds{10};

struct options {
  std::string log, url, secret_file, sim_url;
  std::string auth = "shared-secret"; // webhook.auth of the service
  std::string auth_header;            // empty: the mode's own header
  std::string pace;                   // "recorded"
  double speed = 0;                   // > 0: a multiple of the recorded pace
  bool as_fast_as_acked = false;
  unsigned connections = 64;
  std::size_t limit = 0; // 0: the whole log
  unsigned timeout_ms = 30'000;
};

struct logged_event {
  std::int64_t offset_ms = 0;
  net::header_list headers;
  std::string body;
  std::int64_t pipeline = 0; // with stage: set in the simulator first
  std::string stage;
  bool has_stage = false;
};

std::string read_secret(const std::string& path) {
  std::ifstream in{path};
  std::string secret;
  std::getline(in, secret);
  while (!secret.empty() && (secret.back() == '\r' || secret.back() == ' '))
    secret.pop_back();
  if (secret.empty())
    throw std::runtime_error("no secret in " + path);
  return secret;
}

bool parse_line(const std::string& line, logged_event& event) {
  auto doc = json::parse(line, nullptr, false);
  if (!doc.is_object() || !doc.contains("body") || !doc["body"].is_string())
    return false;
  event.offset_ms = doc.value("offset_ms", std::int64_t{0});
  event.body = doc["body"].get<std::string>();
  event.headers.clear();
  if (doc.contains("headers") && doc["headers"].is_object())
    for (const auto& [name, value] : doc["headers"].items())
      if (value.is_string())
        event.headers.emplace_back(name, value.get<std::string>());
  event.has_stage = doc.contains("stage") && doc["stage"].is_string() &&
                    doc.contains("pipeline");
  if (event.has_stage) {
    event.stage = doc["stage"].get<std::string>();
    event.pipeline = doc["pipeline"].get<std::int64_t>();
  }
  return true;
}

// What came back, counted on the io thread, read once everything is done.
struct tally {
  std::mutex mutex;
  std::map<std::string, std::uint64_t> outcomes; // accepted, duplicate, ...
  std::vector<std::uint32_t> latency_us;
  std::uint64_t late_sends = 0;
  clock_type::time_point last_answer{};
};

std::string outcome_of(const net::http_client_result& result) {
  if (!result)
    return "error_" + std::string{result.error.code_name()};
  const auto& r = *result.response;
  if (r.status != 200)
    return "http_" + std::to_string(r.status);
  auto doc = json::parse(r.body, nullptr, false);
  if (doc.is_object() && doc.contains("status") && doc["status"].is_string())
    return doc["status"].get<std::string>();
  return "unrecognised_200";
}

std::uint32_t percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto rank = static_cast<std::size_t>(p * static_cast<double>(sorted.size()));
  return sorted[std::min(rank, sorted.size() - 1)];
}

// Sets the stages of `batch` in the simulator; the future is ready when
// the simulator has answered (or failed, counted in `failures`).
std::future<void> set_stages(net::async_http_client& client,
                             const std::string& sim_url,
                             const std::vector<logged_event>& batch,
                             std::atomic<std::uint64_t>& failures) {
  auto items = json::array();
  for (const auto& e : batch)
    if (e.has_stage)
      items.push_back({{"pipeline", e.pipeline}, {"stage", e.stage}});
  auto done = std::make_shared<std::promise<void>>();
  auto ready = done->get_future();
  if (items.empty() || sim_url.empty()) {
    done->set_value();
    return ready;
  }
  net::http_client_request request{"POST",
                                   sim_url + "/_sim/stages",
                                   {{"Content-Type", "application/json"}},
                                   items.dump()};
  // `done` is shared with the completion, which may outlive this call.
  client.send(std::move(request), [done, &failures](auto result) {
    if (!result || result.response->status != 200)
      ++failures;
    done->set_value();
  });
  return ready;
}

int run(const options& o) {
  std::ifstream in{o.log};
  if (!in)
    throw std::runtime_error("cannot read " + o.log);
  auto secret = read_secret(o.secret_file);
  auto mode = *config::parse_webhook_auth(o.auth); // checked by the CLI
  auto header =
      o.auth_header.empty()
          ? std::string{net::signature_verifier{mode, {}}.header_name()}
          : o.auth_header;
  double speed = o.as_fast_as_acked ? 0 : (o.speed > 0 ? o.speed : 1.0);

  net::async_http_client_options client_options;
  client_options.request_timeout = std::chrono::milliseconds{o.timeout_ms};
  client_options.max_idle_per_host = o.connections + 2;
  client_options.user_agent = "introvy-replay";
  net::async_http_client client{client_options};

  tally counts;
  std::counting_semaphore<max_in_flight> slots{
      std::min<std::ptrdiff_t>(o.connections, max_in_flight)};
  std::atomic<std::uint64_t> stage_failures{0};
  std::uint64_t lines = 0, unreadable = 0, sent = 0;

  // Reads up to stage_batch events, counting lines that are not events.
  auto read_batch = [&](std::vector<logged_event>& batch) {
    batch.clear();
    std::string line;
    while (batch.size() < stage_batch && (o.limit == 0 || lines < o.limit) &&
           std::getline(in, line)) {
      if (line.empty())
        continue;
      ++lines;
      logged_event event;
      if (parse_line(line, event))
        batch.push_back(std::move(event));
      else
        ++unreadable;
    }
  };

  auto start = clock_type::now();
  std::vector<logged_event> current, next;
  read_batch(current);
  auto current_staged = set_stages(client, o.sim_url, current, stage_failures);
  while (!current.empty()) {
    // The stages of the next batch are set while this one is posted.
    read_batch(next);
    current_staged.wait();
    auto next_staged = set_stages(client, o.sim_url, next, stage_failures);

    for (auto& event : current) {
      auto due = start;
      if (speed > 0) {
        due += std::chrono::microseconds{static_cast<std::int64_t>(
            static_cast<double>(event.offset_ms) * 1000.0 / speed)};
        std::this_thread::sleep_until(due);
      }
      slots.acquire();
      auto sent_at = clock_type::now();
      // Paced: latency counts from the intended time, so a stall is charged
      // to every event it delayed.
      auto measured_from = speed > 0 ? std::min(due, sent_at) : sent_at;
      bool late = speed > 0 && sent_at - due > late_threshold;
      net::http_client_request request{"POST", o.url, std::move(event.headers),
                                       std::move(event.body)};
      request.headers.emplace_back(
          header, net::signature_verifier::sign(mode, secret, request.body));
      ++sent;
      client.send(std::move(request), [&counts, &slots, measured_from,
                                       late](net::http_client_result result) {
        auto now = clock_type::now();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      now - measured_from)
                      .count();
        {
          std::lock_guard lock{counts.mutex};
          ++counts.outcomes[outcome_of(result)];
          counts.latency_us.push_back(static_cast<std::uint32_t>(
              std::min<std::int64_t>(us, UINT32_MAX)));
          counts.late_sends += late ? 1 : 0;
          counts.last_answer = now;
        }
        slots.release();
      });
    }
    current.swap(next);
    current_staged = std::move(next_staged);
  }
  current_staged.wait();

  // Wait for every answer: take back every slot.
  for (unsigned i = 0; i < std::min<unsigned>(o.connections, max_in_flight);
       ++i)
    slots.acquire();
  client.stop();

  std::lock_guard lock{counts.mutex};
  auto seconds =
      std::chrono::duration<double>(counts.last_answer - start).count();
  auto sorted = counts.latency_us;
  std::sort(sorted.begin(), sorted.end());
  json summary = {
      {"log", o.log},
      {"mode", o.as_fast_as_acked ? "as-fast-as-acked"
                                  : (o.speed > 0 ? "speed" : "recorded")},
      {"speed", speed},
      {"connections", o.connections},
      {"lines", lines},
      {"unreadable_lines", unreadable},
      {"sent", sent},
      {"outcomes", counts.outcomes},
      {"seconds", seconds},
      {"acked_per_s", seconds > 0 ? static_cast<double>(sent) / seconds : 0.0},
      {"ack_p50_us", percentile(sorted, 0.50)},
      {"ack_p99_us", percentile(sorted, 0.99)},
      {"ack_p999_us", percentile(sorted, 0.999)},
      {"ack_max_us", sorted.empty() ? 0 : sorted.back()},
      {"late_sends", counts.late_sends},
      {"stage_set_failures", stage_failures.load()},
      {"connections_opened", client.connections_opened()}};
  std::cout << summary.dump() << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"introvy-replay: post an event log to introvy and measure the "
               "acknowledgements (see bench/replay/README.md)"};
  options o;
  app.add_option("--log", o.log, "the event log (JSON lines)")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--url", o.url,
                 "webhook URL, http://127.0.0.1:PORT/api/webhooks/avionte")
      ->required();
  app.add_option("--secret-file", o.secret_file,
                 "file holding the webhook secret")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--auth", o.auth,
                 "how each request is signed, as the service's webhook.auth")
      ->check([](const std::string& mode) {
        return config::parse_webhook_auth(mode)
                   ? std::string{}
                   : "not a webhook.auth mode: " + mode;
      })
      ->capture_default_str();
  app.add_option("--auth-header", o.auth_header,
                 "send the signature in this header instead of the mode's "
                 "own (X-Payload-Signature, X-api-key for api-key)");
  app.add_option("--sim-url", o.sim_url,
                 "avionte-sim to set each event's logged stage in first");
  auto* pace = app.add_option("--pace", o.pace, "recorded: the log's own pace")
                   ->check(CLI::IsMember({"recorded"}));
  auto* speed =
      app.add_option("--speed", o.speed, "a multiple of the recorded pace")
          ->check(CLI::PositiveNumber);
  auto* fast = app.add_flag("--as-fast-as-acked", o.as_fast_as_acked,
                            "send as soon as a connection is free");
  pace->excludes(speed)->excludes(fast);
  speed->excludes(fast);
  app.add_option("--connections", o.connections,
                 "requests in flight at once (one connection each)")
      ->check(CLI::Range(1u, static_cast<unsigned>(max_in_flight)))
      ->capture_default_str();
  app.add_option("--limit", o.limit, "post only the first N lines");
  app.add_option("--timeout-ms", o.timeout_ms, "per request")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return run(o);
  } catch (const std::exception& ex) {
    std::cerr << "introvy-replay: " << ex.what() << "\n";
    return 1;
  }
}
