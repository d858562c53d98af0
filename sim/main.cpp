// avionte-sim: a sandbox Avionté BOLD Front Office for tests, demos and
// benchmarks. Serves the API and the /_sim/ control API until SIGINT or
// SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <spdlog/spdlog.h>
#include <sstream>

#include "config/config.hpp"
#include "net/http_server.hpp"
#include "sim/simulator.hpp"

namespace {

using namespace introvy;

struct command_line {
  std::string listen = "127.0.0.1:8090";
  std::string webhook_auth = "shared-secret";
  std::string retry_delays = "0,60000,120000,300000";
  unsigned webhook_timeout_ms = 10'000;
  unsigned token_lifetime_s = 3600;
  std::string tls_cert, tls_key;
  unsigned io_threads = 2;
  std::string log_level = "info";
};

std::vector<std::chrono::milliseconds> parse_delays(const std::string& text) {
  std::vector<std::chrono::milliseconds> delays;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    delays.emplace_back(std::stoul(item));
  return delays;
}

void add_options(CLI::App& app, command_line& cl, sim::simulator_options& o) {
  app.add_option("--listen", cl.listen, "HOST:PORT to serve on (port 0: any)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the generated dataset")
      ->capture_default_str();
  app.add_option("--tenants", o.data.tenants, "tenants (ids 6, 7, ...; <= 6)")
      ->capture_default_str();
  app.add_option("--talents-per-tenant", o.data.talents_per_tenant,
                 "talents generated per tenant")
      ->capture_default_str();
  app.add_option("--pipelines-per-tenant", o.data.pipelines_per_tenant,
                 "pipeline entries generated per tenant")
      ->capture_default_str();
  app.add_option("--api-key", o.creds.api_key, "expected X-api-key")
      ->envname("AVIONTE_API_KEY")
      ->capture_default_str();
  app.add_option("--client-id", o.creds.client_id, "expected client_id")
      ->envname("AVIONTE_CLIENT_ID")
      ->capture_default_str();
  app.add_option("--client-secret", o.creds.client_secret,
                 "expected client_secret")
      ->envname("AVIONTE_CLIENT_SECRET");
  app.add_option("--token-lifetime", cl.token_lifetime_s,
                 "seconds a bearer token lives (expires_in)")
      ->check(CLI::Range(1u, 86'400u))
      ->capture_default_str();
  app.add_option("--rate-limit", o.requests_per_second,
                 "API calls per tenant per second before 429 (0: no limit)")
      ->capture_default_str();
  app.add_option("--webhook-url", o.webhook.url,
                 "where webhooks go (none: deliveries are only recorded)");
  app.add_option("--webhook-auth", cl.webhook_auth,
                 "shared-secret, hmac-sha256-hex, hmac-sha256-base64 or "
                 "api-key")
      ->check(CLI::IsMember({"shared-secret", "hmac-sha256-hex",
                             "hmac-sha256-base64", "api-key"}))
      ->capture_default_str();
  app.add_option("--webhook-secret", o.webhook.secret,
                 "secret the webhooks are signed with")
      ->envname("INTROVY_WEBHOOK_SECRET");
  app.add_option("--webhook-retries", o.webhook.retries,
                 "retries after a failed delivery")
      ->capture_default_str();
  app.add_option("--webhook-retry-delays", cl.retry_delays,
                 "milliseconds before each retry, comma-separated; the last "
                 "repeats")
      ->capture_default_str();
  app.add_option("--webhook-timeout-ms", cl.webhook_timeout_ms,
                 "connect and answer timeout of one delivery attempt")
      ->capture_default_str();
  app.add_option("--webhook-ca-file", o.webhook.ca_file,
                 "CA certificates (PEM) for an https:// webhook target");
  app.add_flag("--include-ids", o.include_ids,
               "put TalentId and JobId in Resource by default");
  app.add_option("--tls-cert", cl.tls_cert, "certificate chain (PEM): HTTPS")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", cl.tls_key, "private key (PEM) for --tls-cert")
      ->check(CLI::ExistingFile);
  app.add_option("--io-threads", cl.io_threads, "threads serving HTTP")
      ->capture_default_str();
  app.add_option("--log-level", cl.log_level,
                 "trace, debug, info, warn or error")
      ->capture_default_str();
}

int run(const command_line& cl, sim::simulator_options options) {
  // Block the stop signals before any thread starts; only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  spdlog::set_level(spdlog::level::from_str(cl.log_level));

  // Finish the options the command line gives in other units.
  options.token_lifetime = std::chrono::seconds{cl.token_lifetime_s};
  options.webhook.auth = *config::parse_webhook_auth(cl.webhook_auth);
  options.webhook.retry_delays = parse_delays(cl.retry_delays);
  options.webhook.timeout = std::chrono::milliseconds{cl.webhook_timeout_ms};

  sim::steady_clock_source clock;
  sim::simulator simulator{options, clock};
  auto listen = config::parse_endpoint(cl.listen);
  net::http_server_options server_options;
  server_options.host = listen.host;
  server_options.port = listen.port;
  server_options.io_threads = cl.io_threads;
  server_options.max_body_bytes = 1024 * 1024;
  server_options.tls_cert_file = cl.tls_cert;
  server_options.tls_key_file = cl.tls_key;
  net::http_server server{server_options, simulator.routes()};
  server.start();
  std::cout << "avionte-sim listening on "
            << (cl.tls_cert.empty() ? "http" : "https") << "://" << listen.host
            << ":" << server.bound_port() << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("stopping on signal {}", received);
  server.stop();
  simulator.stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"avionte-sim: a sandbox Avionté BOLD Front Office (API, "
               "webhooks, faults) for tests and demos"};
  command_line cl;
  sim::simulator_options options;
  add_options(app, cl, options);
  app.footer(
      "Control API: GET /_sim/dataset (tenants, pipelines, canaries); POST "
      "/_sim/pipelines/{id}/move {\"stage\": ...}; POST /_sim/pipelines "
      "{\"tenant\", \"talent_id\", \"job_id\"}; both take include_ids, "
      "delay_ms, duplicates, duplicate_delay_ms and send the webhook. POST "
      "/_sim/stages [{\"pipeline\", \"stage\"}...] moves many entries "
      "without webhooks. GET "
      "/_sim/activities?tenant=&talent=, /_sim/deliveries, /_sim/requests; "
      "POST, GET, DELETE /_sim/faults; POST /_sim/reset.");
  CLI11_PARSE(app, argc, argv);
  if (cl.tls_cert.empty() != cl.tls_key.empty()) {
    std::cerr << "--tls-cert and --tls-key go together\n";
    return 2;
  }
  try {
    return run(cl, options);
  } catch (const std::exception& ex) {
    std::cerr << "error: " << ex.what() << "\n";
    return 1;
  }
}
