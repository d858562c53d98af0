// introvy: the command line. `serve` runs the service; `check-config`
// validates a configuration; `dump` prints what a store holds; `events
// export` writes the stored event log in the replayable format of bench/.
#include <CLI/CLI.hpp>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <malloc.h>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>
#include <sstream>

#include "apps/logging.hpp"
#include "apps/service.hpp"
#include "config/config.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"

#ifndef INTROVY_VERSION
#define INTROVY_VERSION "0.0.0"
#endif

namespace {

using namespace introvy;

struct serve_options {
  std::string config_path;
  std::string listen;
  std::string data;
};

int serve(const serve_options& options) {
  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigwait() sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // Few malloc arenas: each thread's own arena keeps freed memory, and the
  // service has many threads for a small heap.
  mallopt(M_ARENA_MAX, 2);

  auto config = config::load_file(options.config_path);
  if (!options.listen.empty())
    config.server.listen = config::parse_endpoint(options.listen);
  if (!options.data.empty())
    config.storage.path = options.data;
  apps::setup_logging(config.log_level);

  apps::service service{config};
  service.wait_for_stop_signal();
  service.stop();
  return 0;
}

int check_config(const std::string& path) {
  auto config = config::load_file(path);
  std::cout << path << ": ok, " << config.tenants.size() << " tenant(s), "
            << "listen " << config.server.listen.host << ":"
            << config.server.listen.port << "\n";
  return 0;
}

std::int64_t tenant_of(const std::string& key) {
  return static_cast<std::int64_t>(
      storage::decode_sequence_key(key.substr(0, 8)).value_or(0));
}

// Candidates: each summary is followed by its history entries, whose keys
// are the summary's key, a NUL byte and a sequence number.
storage::status dump_candidates(storage::store& store) {
  nlohmann::json current;
  auto print = [&] {
    if (!current.is_null())
      std::cout << current.dump() << "\n";
    current = nullptr;
  };
  auto s = store.for_each(
      "candidates", [&](const std::string& key, const std::string& value) {
        if (key.find('\0', 8) != std::string::npos) {
          if (!current.is_null())
            current["state"]["history"].push_back(
                nlohmann::json::parse(value, nullptr, false));
          return;
        }
        print();
        current["tenant"] = tenant_of(key);
        current["candidate"] = key.substr(8);
        current["state"] = nlohmann::json::parse(value, nullptr, false);
        current["state"]["history"] = nlohmann::json::array();
      });
  print();
  return s;
}

storage::status dump_dedup(storage::store& store) {
  return store.for_each_dedup(
      [](const std::string& key, const storage::dedup_record& record) {
        nlohmann::json line = {{"tenant", tenant_of(key)},
                               {"correlation_id", key.substr(8)},
                               {"seq", record.seq}};
        std::cout << line.dump() << "\n";
      });
}

// deadletter: one JSON record per parked event, in log order.
storage::status dump_dead_letters(storage::store& store) {
  return store.for_each_dead_letter([](const std::string& record) {
    std::cout << nlohmann::json::parse(record, nullptr, false).dump() << "\n";
  });
}

// events, inbox, quarantine: keyed by sequence number.
storage::status dump_log(storage::store& store, const std::string& family) {
  return store.for_each(
      family, [](const std::string& key, const std::string& value) {
        auto seq = storage::decode_sequence_key(key).value_or(0);
        nlohmann::json line = {{"seq", seq}};
        if (auto event = storage::decode_event(seq, value)) {
          line["tenant"] = event->tenant_id;
          line["correlation_id"] = event->correlation_id;
          line["event"] = event->event_name;
          line["pipeline_id"] = event->resource.pipeline_id;
        }
        std::cout << line.dump() << "\n";
      });
}

// Prints a column family as JSON lines, for engineers and tests. Opens the
// store read-only, so it also works beside a running service.
int dump(const std::string& data, const std::string& family) {
  auto store =
      storage::store::open({data, false, std::chrono::hours{24}, true});
  auto s = family == "candidates"   ? dump_candidates(*store)
           : family == "dedup"      ? dump_dedup(*store)
           : family == "deadletter" ? dump_dead_letters(*store)
                                    : dump_log(*store, family);
  if (!s.ok()) {
    std::cerr << "dump failed: " << s.message() << "\n";
    return 1;
  }
  return 0;
}

struct export_options {
  std::string data;
  std::int64_t tenant = 0; // 0: every tenant
  std::string from, to;    // ISO 8601 (UTC) or milliseconds since the epoch
  std::string out;         // empty: standard output
};

/// Milliseconds since the epoch from "1733250000000" or an ISO 8601 UTC
/// time ("2026-12-03T20:15:00Z", fractions and the Z optional). Throws
/// CLI::ValidationError on anything else.
std::int64_t parse_time_ms(const std::string& text) {
  if (!text.empty() &&
      text.find_first_not_of("0123456789") == std::string::npos)
    return std::stoll(text);
  std::tm tm{};
  std::istringstream in{text};
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  if (in.fail())
    throw CLI::ValidationError("time", "'" + text +
                                           "' is neither milliseconds nor "
                                           "YYYY-MM-DDTHH:MM:SS[.fff][Z]");
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  if (in.peek() == '.') {
    in.get();
    std::string digits;
    while (std::isdigit(in.peek()))
      digits += static_cast<char>(in.get());
    digits = (digits + "000").substr(0, 3);
    ms += std::stoll(digits);
  }
  return ms;
}

// One JSON line per stored event that passes the filters, in log order:
// what bench/replay/ replays. The signature header is not stored; the
// replayer signs with its target's secret.
int export_events(const export_options& options) {
  auto from = options.from.empty() ? INT64_MIN : parse_time_ms(options.from);
  auto to = options.to.empty() ? INT64_MAX : parse_time_ms(options.to);
  std::ofstream file;
  if (!options.out.empty()) {
    file.open(options.out, std::ios::binary | std::ios::trunc);
    if (!file)
      throw std::runtime_error("cannot write " + options.out);
  }
  std::ostream& out = options.out.empty() ? std::cout : file;

  auto store =
      storage::store::open({options.data, false, std::chrono::hours{24}, true});
  std::optional<std::int64_t> first_ms;
  std::size_t exported = 0;
  auto s = store->for_each("events", [&](const std::string& key,
                                         const std::string& value) {
    auto seq = storage::decode_sequence_key(key).value_or(0);
    auto event = storage::decode_event(seq, value);
    if (!event || (options.tenant != 0 && event->tenant_id != options.tenant) ||
        event->received_at_ms < from || event->received_at_ms > to)
      return;
    if (!first_ms)
      first_ms = event->received_at_ms;
    nlohmann::json line = {{"offset_ms", event->received_at_ms - *first_ms},
                           {"received_at_ms", event->received_at_ms},
                           {"tenant", event->tenant_id},
                           {"correlation_id", event->correlation_id},
                           {"headers", {{"Content-Type", "application/json"}}},
                           {"body", event->body}};
    out << line.dump() << "\n";
    ++exported;
  });
  out.flush();
  if (!s.ok() || !out) {
    std::cerr << "export failed: " << (s.ok() ? "write error" : s.message())
              << "\n";
    return 1;
  }
  std::cerr << "exported " << exported << " events\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Introvy for Avionté: webhook ingress and candidate workflows"};
  app.set_version_flag("--version", INTROVY_VERSION);
  app.require_subcommand(1);

  serve_options serve_opts;
  auto* serve_cmd = app.add_subcommand("serve", "Run the service");
  serve_cmd
      ->add_option("--config", serve_opts.config_path, "TOML configuration")
      ->required()
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--listen", serve_opts.listen,
                        "HOST:PORT, overrides server.listen");
  serve_cmd->add_option("--data", serve_opts.data,
                        "store folder, overrides storage.path");

  std::string check_path;
  auto* check_cmd =
      app.add_subcommand("check-config", "Validate a configuration file");
  check_cmd->add_option("file", check_path, "TOML configuration")->required();

  std::string dump_data, dump_family = "candidates";
  auto* dump_cmd = app.add_subcommand(
      "dump", "Print a store's column family as JSON lines (read-only)");
  dump_cmd->add_option("--data", dump_data, "store folder")->required();
  dump_cmd
      ->add_option("--family", dump_family,
                   "events, inbox, quarantine, candidates, dedup or "
                   "deadletter")
      ->check(CLI::IsMember({"events", "inbox", "quarantine", "candidates",
                             "dedup", "deadletter"}));

  export_options export_opts;
  auto* events_cmd = app.add_subcommand("events", "Work with the event log");
  events_cmd->require_subcommand(1);
  auto* export_cmd = events_cmd->add_subcommand(
      "export", "Write stored events as a replayable log, one JSON line "
                "each (read-only; see bench/replay/README.md)");
  export_cmd->add_option("--data", export_opts.data, "store folder")
      ->required();
  export_cmd->add_option("--tenant", export_opts.tenant,
                         "only this FrontOfficeTenantId");
  export_cmd->add_option("--from", export_opts.from,
                         "only events received at or after this time "
                         "(ISO 8601 UTC or ms since the epoch)");
  export_cmd->add_option("--to", export_opts.to,
                         "only events received at or before this time");
  export_cmd->add_option("--out", export_opts.out,
                         "file to write (default: standard output)");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*serve_cmd)
      return serve(serve_opts);
    if (*check_cmd)
      return check_config(check_path);
    if (*dump_cmd)
      return dump(dump_data, dump_family);
    if (*export_cmd)
      return export_events(export_opts);
  } catch (const config::config_error& ex) {
    std::cerr << "configuration error: " << ex.what() << "\n";
    return 2;
  } catch (const std::exception& ex) {
    std::cerr << "error: " << ex.what() << "\n";
    return 1;
  }
  return 0;
}
