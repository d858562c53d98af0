// Fault injection: rules, each for one tenant (or all) and one endpoint (or
// all), that make the Front Office API slow, failing, throttled or rude.
// Random choices come from a seeded generator, so a run is repeatable.
//
// A rule, as POST /_sim/faults takes it (every key optional):
//   {"tenant": 6, "endpoint": "talent", "latency_ms": 200,
//    "error_500": 0.1, "error_502": 0.1, "error_504": 0.1,
//    "burst_429": 3, "retry_after": 2, "drop": 1, "drop_share": 0.0,
//    "revoke_tokens": true}
// `burst_429` and `drop` are counts used up by the next matching calls;
// `retry_after` (seconds) adds Retry-After to the 429s, absent: none.
// `revoke_tokens` is applied once, when the rule is added, by the caller.
//
// Threads: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace introvy::sim {

/// The endpoint names rules use.
const std::vector<std::string>& endpoint_names();

struct fault_rule {
  std::int64_t tenant = 0; // 0: every tenant
  std::string endpoint;    // "": every endpoint
  std::chrono::milliseconds latency{0};
  double error_500 = 0, error_502 = 0, error_504 = 0; // shares, sum <= 1
  unsigned burst_429 = 0;
  std::optional<unsigned> retry_after;
  unsigned drop = 0;
  double drop_share = 0;
  bool revoke_tokens = false;
};

/// Parses a rule; an error message when a key is mistyped or out of range.
std::optional<fault_rule> parse_fault_rule(const nlohmann::json& doc,
                                           std::string& error);
nlohmann::json to_json(const fault_rule& rule);

/// What to do to one call.
struct fault_decision {
  std::chrono::milliseconds latency{0};
  unsigned status = 0; // 0: answer normally; else 429, 500, 502 or 504
  std::optional<unsigned> retry_after;
  bool drop = false;
};

class fault_injector {
public:
  explicit fault_injector(std::uint64_t seed);

  void add(fault_rule rule);
  void clear();
  nlohmann::json rules() const;

  /// Decides for one call; uses up burst and drop counts. Latencies of
  /// every matching rule add up; the first rule that fails the call wins.
  fault_decision decide(std::int64_t tenant, const std::string& endpoint);

private:
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::vector<fault_rule> rules_;
};

} // namespace introvy::sim
