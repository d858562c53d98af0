// Helpers for the simulator's tests: a simulator on a manual clock, called
// through its routes without a socket.
#pragma once

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "sim/simulator.hpp"

namespace introvy::sim::testing {

inline const credentials test_credentials{"key-1", "client-1", "secret-1"};

struct fixture {
  manual_clock clock;
  simulator sim;
  net::router routes;

  explicit fixture(simulator_options options = {})
      : sim(with_credentials(std::move(options)), clock)
      , routes(sim.routes()) {}

  static simulator_options with_credentials(simulator_options options) {
    options.creds = test_credentials;
    return options;
  }

  /// Calls the route and waits (bounded) for its answer.
  net::http_response call(std::string method, std::string path,
                          std::string body = "",
                          net::header_list headers = {}) {
    net::http_request request;
    request.method = std::move(method);
    request.target = path;
    request.path = path.substr(0, path.find('?'));
    request.headers = std::move(headers);
    request.body = std::move(body);
    auto match = routes.find(request.method, request.path);
    if (!match.handler)
      return *match.refusal;
    std::promise<net::http_response> answer;
    auto future = answer.get_future();
    (*match.handler)(std::move(request), [&answer](net::http_response r) {
      answer.set_value(std::move(r));
    });
    if (future.wait_for(std::chrono::seconds{10}) != std::future_status::ready)
      throw std::runtime_error("no answer within 10 s");
    return future.get();
  }

  std::string token() {
    auto r = call("POST", "/authorize/token",
                  "grant_type=client_credentials&client_id=client-1&"
                  "client_secret=secret-1&scope=avionte.aero."
                  "compasintegrationservice",
                  {{"X-api-key", "key-1"}});
    return nlohmann::json::parse(r.body).at("access_token");
  }

  net::header_list api_headers(const std::string& token,
                               std::int64_t tenant = 6) {
    return {{"X-api-key", "key-1"},
            {"Authorization", "Bearer " + token},
            {"FrontOfficeTenantId", std::to_string(tenant)}};
  }

  nlohmann::json get_json(const std::string& path) {
    return nlohmann::json::parse(call("GET", path).body);
  }
};

/// Polls `predicate` until true or the deadline; no fixed sleeps.
template <class Predicate>
bool eventually(Predicate predicate,
                std::chrono::milliseconds limit = std::chrono::seconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate())
      return true;
    std::this_thread::yield();
  }
  return predicate();
}

} // namespace introvy::sim::testing
