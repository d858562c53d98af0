#include "apps/service.hpp"

#include <caf/all.hpp>
#include <csignal>
#include <spdlog/spdlog.h>
#include <thread>

#include "actors/avionte_gateway.hpp"
#include "actors/dispatch_budget.hpp"
#include "actors/ingress.hpp"
#include "actors/messages.hpp"
#include "actors/state_writer.hpp"
#include "actors/tenant_directory.hpp"
#include "actors/tenant_supervisor.hpp"
#include "apps/admin_api.hpp"
#include "config/stage_maps.hpp"
#include "net/async_http_client.hpp"
#include "net/http_server.hpp"
#include "net/metrics.hpp"
#include "net/webhook_endpoint.hpp"
#include "storage/store.hpp"

namespace introvy::apps {
namespace {

// How long shutdown waits for answers still owed to clients.
constexpr std::chrono::seconds drain_timeout{5};

std::vector<std::int64_t> tenant_ids(const config::service_config& config) {
  std::vector<std::int64_t> ids;
  for (const auto& t : config.tenants)
    ids.push_back(t.front_office_tenant_id);
  return ids;
}

std::vector<std::string> secret_values(const config::webhook_config& config) {
  std::vector<std::string> values;
  for (const auto& s : config.secrets)
    values.push_back(s.value);
  return values;
}

caf::actor_system_config actor_config(const config::actors_config& config) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads",
          static_cast<size_t>(config.scheduler_threads));
  // One shared queue whose idle workers block on a condition variable.
  // Work stealing's idle workers poll and sleep 50 us at a time, waking the
  // cores up thousands of times a second between bursts of events.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  return cfg;
}

net::http_server_options server_options(const config::server_config& c) {
  net::http_server_options options;
  options.host = c.listen.host;
  options.port = c.listen.port;
  options.max_body_bytes = c.max_body_bytes;
  options.header_timeout = c.header_timeout;
  options.body_timeout = c.body_timeout;
  options.keep_alive_timeout = c.keep_alive_timeout;
  options.io_threads = c.io_threads;
  return options;
}

net::async_http_client_options
http_client_options(const config::avionte_config& c) {
  net::async_http_client_options options;
  options.request_timeout = c.timeout;
  options.ca_file = c.ca_file;
  return options;
}

std::string secret_value(const std::optional<config::secret>& s) {
  return s ? s->value : std::string{};
}

} // namespace

struct service::impl {
  config::service_config config;
  std::unique_ptr<storage::store> store;
  net::service_metrics metrics;
  caf::actor_system_config actor_cfg;
  // Declared before the actor system, so they outlive every actor.
  actors::dispatch_budget budget;
  actors::tenant_directory tenants;
  actors::rate_gate partner_ceiling;
  net::async_http_client avionte_http;
  caf::actor_system system;
  caf::actor ingress;
  caf::actor state_writer;
  std::vector<caf::actor> gateways;
  std::unique_ptr<net::webhook_endpoint> webhooks;
  std::unique_ptr<net::http_server> server;
  bool stopped = false;

  explicit impl(const config::service_config& c)
      : config(c)
      , store(storage::store::open({c.storage.path, c.storage.fsync,
                                    c.storage.dedup_retention, false}))
      , metrics(tenant_ids(c))
      , actor_cfg(actor_config(c.actors))
      , budget(static_cast<std::int64_t>(c.actors.max_dispatched_events))
      , partner_ceiling(c.avionte.requests_per_second * actors::pacing_margin)
      , avionte_http(http_client_options(c.avionte))
      , system(actor_cfg) {}

  caf::actor spawn_gateway(const config::tenant_config& t) {
    const auto& a = config.avionte;
    actors::gateway_options options;
    options.tenant_id = t.front_office_tenant_id;
    options.base_url = a.base_url;
    options.api_key = secret_value(a.api_key);
    options.client_id = a.client_id;
    options.client_secret = secret_value(a.client_secret);
    options.requests_per_second = t.requests_per_second;
    options.calls_in_flight = a.calls_in_flight;
    options.max_tries = a.max_tries;
    options.backoff_initial = a.backoff_initial;
    options.record_cache_ttl = a.record_cache_ttl;
    options.partner_ceiling = &partner_ceiling;
    options.http = &avionte_http;
    options.metrics = &metrics;
    return actors::spawn_avionte_gateway(system, std::move(options));
  }

  void spawn_actors() {
    state_writer = actors::spawn_state_writer(system, *store);
    for (const auto& t : config.tenants) {
      auto gateway = spawn_gateway(t);
      gateways.push_back(gateway);
      actors::supervisor_options options;
      options.tenant_id = t.front_office_tenant_id;
      options.candidate_idle_timeout = config.actors.candidate_idle_timeout;
      options.budget = &budget;
      options.gateway = gateway;
      options.stages = std::make_shared<const domain::stage_map>(
          config::tenant_stage_map(t));
      tenants.add(t.front_office_tenant_id, actors::spawn_tenant_supervisor(
                                                system, std::move(options),
                                                state_writer, *store, metrics));
    }
    release_quarantine(); // needs the tenants; before the ingress reads
    ingress = actors::spawn_ingress(system, *store, metrics, tenants, budget);
  }

  // Quarantined events of tenants onboarded since join the inbox, which
  // the ingress then hands over, oldest first, before anything new.
  void release_quarantine() {
    std::size_t released = 0;
    auto s = store->release_quarantine(
        [this](std::int64_t id) { return tenants.find(id) != nullptr; },
        released);
    if (!s.ok())
      throw std::runtime_error("quarantine release failed: " + s.message());
    if (released > 0)
      spdlog::info("released {} quarantined events of onboarded tenants",
                   released);
    metrics.inbox_added(store->inbox_depth_at_open());
    spdlog::info("inbox: {} events dispatched again",
                 store->inbox_depth_at_open());
  }

  net::router make_routes() {
    net::router routes;
    webhooks = std::make_unique<net::webhook_endpoint>(
        net::signature_verifier{config.webhook.auth,
                                secret_values(config.webhook)},
        metrics,
        [this](std::vector<net::ingest_request>&& requests) {
          caf::anon_send(ingress, actors::submit_atom::value,
                         std::move(requests));
        },
        [this](std::function<void()> task) { server->post(std::move(task)); },
        config.webhook.max_pending_acks);
    routes.add("POST", net::webhook_endpoint::path,
               [this](net::http_request&& r, net::responder respond) {
                 webhooks->handle(std::move(r), std::move(respond));
               });
    routes.add("GET", "/healthz", [](net::http_request&&, net::responder r) {
      r(net::json_ok(R"({"status":"ok"})"));
    });
    routes.add("GET", "/readyz", [this](net::http_request&&, net::responder r) {
      r(readiness());
    });
    routes.add("GET", "/metrics",
               [this](net::http_request&&, net::responder r) {
                 r({200, "text/plain; version=0.0.4", metrics.render(), {}});
               });
    add_admin_routes(routes, *store, system, ingress);
    return routes;
  }

  net::http_response readiness() {
    bool ready = store && ingress && !stopped;
    if (!ready)
      return net::json_error(503, "not_ready", "the service is stopping");
    return net::json_ok(R"({"status":"ready","store":"open","tenants":)" +
                        std::to_string(config.tenants.size()) + "}");
  }

  void start() {
    spawn_actors();
    try {
      auto options = server_options(config.server);
      options.on_too_large = [this] {
        metrics.count_webhook(net::webhook_outcome::too_large);
      };
      server = std::make_unique<net::http_server>(options, make_routes());
    } catch (...) {
      // The port is taken, say: the actors must stop too, or the actor
      // system's destructor waits for them forever.
      stopped = true;
      stop_actors();
      throw;
    }
    server->start();
    spdlog::info("started listen={}:{} tenants={} store={} fsync={}",
                 config.server.listen.host, server->bound_port(),
                 config.tenants.size(), config.storage.path,
                 config.storage.fsync);
  }

  void stop() {
    if (stopped)
      return;
    stopped = true;
    spdlog::info("stopping: no new connections");
    server->stop_accepting();
    auto deadline = std::chrono::steady_clock::now() + drain_timeout;
    while (server->in_flight() > 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    server->stop();
    stop_actors();
  }

  void stop_actors() {
    {
      // Commit whatever the ingress still holds, then let it go.
      caf::scoped_actor self{system};
      self->request(ingress, caf::infinite, actors::shutdown_atom::value)
          .receive([] {}, [](caf::error&) {});
    }
    for (auto& supervisor : tenants.all())
      caf::anon_send_exit(supervisor, caf::exit_reason::user_shutdown);
    for (auto& gateway : gateways)
      caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(state_writer, caf::exit_reason::user_shutdown);
    system.await_all_actors_done();
    // After the gateways: their calls' completions post into them.
    avionte_http.stop();
    // Counted in the store, not by the gauge: answers from the state writer
    // that were still on their way when the actors stopped never reach it.
    spdlog::info("stopped: inbox={} (applied on next start)",
                 store->count_inbox());
  }
};

service::service(const config::service_config& config)
    : impl_(std::make_unique<impl>(config)) {
  impl_->start();
}

service::~service() {
  if (impl_)
    stop();
}

void service::wait_for_stop_signal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}", received == SIGINT ? "SIGINT" : "SIGTERM");
}

void service::stop() {
  impl_->stop();
}

} // namespace introvy::apps
