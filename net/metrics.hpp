// The service's Prometheus metrics, rendered in text form for GET /metrics.
// Every series is created up front, so the hot path only increments; tenant
// labels are bounded to the configured tenants.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
template <typename T>
class Family;
class Registry;
class Counter;
class Gauge;
class Histogram;
} // namespace prometheus

namespace introvy::net {

enum class webhook_outcome {
  accepted,
  duplicate,
  ignored,
  quarantined,
  unauthorized,
  invalid,
  too_large,
  unavailable,
};

const char* to_string(webhook_outcome outcome);

class service_metrics {
public:
  explicit service_metrics(const std::vector<std::int64_t>& tenant_ids);
  ~service_metrics();

  void count_webhook(webhook_outcome outcome);
  void observe_ack(std::chrono::steady_clock::duration latency);
  void count_duplicate_mismatch();
  void count_tenant_event(std::int64_t tenant_id); // configured tenants only

  void inbox_added(std::uint64_t n);
  void inbox_removed(std::uint64_t n);
  std::int64_t inbox_depth() const;

  void count_processed(std::int64_t tenant_id);
  void candidate_started();
  void candidate_stopped();
  std::int64_t candidates_alive() const;

  /// Calls to Avionté by tenant, endpoint ("pipeline", "talent", "job",
  /// "user") and outcome ("2xx", "4xx", "5xx", "timeout"...). Labels are
  /// bounded: configured tenants, four endpoints, a handful of outcomes.
  void count_avionte_call(std::int64_t tenant_id, std::string_view endpoint,
                          std::string_view outcome);
  /// Decisions by tenant and kind ("started", "no_action", "unchanged",
  /// "unmapped").
  void count_decision(std::int64_t tenant_id, const std::string& kind);
  void count_dead_letter(std::int64_t tenant_id);

  std::string render() const;

private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::map<webhook_outcome, prometheus::Counter*> webhooks_;
  std::map<std::int64_t, prometheus::Counter*> tenant_events_;
  std::map<std::int64_t, prometheus::Counter*> tenant_processed_;
  prometheus::Counter* duplicate_mismatch_ = nullptr;
  prometheus::Histogram* ack_seconds_ = nullptr;
  prometheus::Gauge* inbox_depth_ = nullptr;
  prometheus::Gauge* candidates_ = nullptr;
  prometheus::Family<prometheus::Counter>* avionte_calls_ = nullptr;
  prometheus::Family<prometheus::Counter>* decisions_ = nullptr;
  std::map<std::int64_t, prometheus::Counter*> dead_letters_;
  std::set<std::int64_t> tenants_;
};

} // namespace introvy::net
