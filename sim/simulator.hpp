// avionte-sim's core: the Front Office API (token, pipeline, talent, job,
// user, activities) over a seeded dataset, with Avionté's authentication,
// tenant isolation, limits and injectable faults, plus the control API under
// /_sim/ that moves candidates through pipelines and sends the matching
// webhooks. routes() gives both to a net::http_server.
//
// Threads: handlers run on the server's threads and never block (added
// latency is served from the simulator's own timer thread); webhooks go out
// from the webhook sender's threads. stop() before destroying the server's
// routes' owner is not required: handlers hold no reference past stop().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "net/router.hpp"
#include "sim/clock.hpp"
#include "sim/dataset.hpp"
#include "sim/faults.hpp"
#include "sim/rate_limiter.hpp"
#include "sim/scheduler.hpp"
#include "sim/token_store.hpp"
#include "sim/webhook_sender.hpp"

namespace introvy::sim {

inline constexpr std::size_t max_ids_per_request = 100;
inline constexpr const char* token_scope =
    "avionte.aero.compasintegrationservice";

struct credentials {
  std::string api_key = "sim-api-key";
  std::string client_id = "partner.api.introvy";
  std::string client_secret = "sim-client-secret";
};

struct simulator_options {
  std::uint64_t seed = 1;
  dataset_options data;
  credentials creds;
  std::chrono::seconds token_lifetime = default_token_lifetime;
  unsigned requests_per_second = default_requests_per_second; // 0: no limit
  webhook_target webhook;
  bool include_ids = false; // TalentId and JobId in Resource by default
};

class simulator {
public:
  /// `clock` must outlive the simulator.
  simulator(simulator_options options, const clock& clock);
  ~simulator();

  /// The Front Office API, the control API and /healthz. The handlers refer
  /// to this simulator: it must outlive the server serving them.
  net::router routes();

  /// Stops the timer and webhook threads; pending answers are dropped.
  void stop();

private:
  using tenant_handler =
      std::function<net::http_response(tenant_data&, const net::http_request&)>;

  // The Front Office API (simulator.cpp).
  void add_api_routes(net::router& routes);
  void token(net::http_request&& request, net::responder respond);
  void serve_api(net::http_request&& request, net::responder respond,
                 const std::string& endpoint, const tenant_handler& handler);
  std::optional<net::http_response>
  check_access(const net::http_request& request, const std::string& endpoint,
               std::int64_t& tenant_id);
  void answer(net::responder respond, net::http_response response,
              std::chrono::milliseconds latency);
  net::http_response talent_route(tenant_data& tenant,
                                  const net::http_request& request);

  // The control API (control_api.cpp).
  void add_control_routes(net::router& routes);
  net::http_response dataset_view();
  net::http_response move_pipeline(const net::http_request& request);
  net::http_response set_stages(const net::http_request& request);
  net::http_response add_pipeline(const net::http_request& request);
  net::http_response list_activities(const net::http_request& request);
  net::http_response add_fault(const net::http_request& request);
  net::http_response reset();
  std::string new_correlation_id(); // caller holds mutex_
  void send_webhooks(const tenant_data& tenant, const pipeline_entry& entry,
                     const std::string& event_name,
                     const std::string& correlation_id,
                     const nlohmann::json& options);

  simulator_options options_;
  const clock& clock_;
  std::mutex mutex_; // guards data_ and rng_
  dataset data_;
  std::mt19937_64 rng_;
  token_store tokens_;
  rate_limiter limiter_;
  fault_injector faults_;
  webhook_sender sender_;
  scheduler delayed_; // answers held back by the latency fault
};

} // namespace introvy::sim
