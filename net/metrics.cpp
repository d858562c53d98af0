#include "net/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sstream>

namespace introvy::net {

const char* to_string(webhook_outcome outcome) {
  switch (outcome) {
  case webhook_outcome::accepted:
    return "accepted";
  case webhook_outcome::duplicate:
    return "duplicate";
  case webhook_outcome::ignored:
    return "ignored";
  case webhook_outcome::quarantined:
    return "quarantined";
  case webhook_outcome::unauthorized:
    return "unauthorized";
  case webhook_outcome::invalid:
    return "invalid";
  case webhook_outcome::too_large:
    return "too_large";
  case webhook_outcome::unavailable:
    return "unavailable";
  }
  return "unknown";
}

service_metrics::service_metrics(const std::vector<std::int64_t>& tenant_ids)
    : registry_(std::make_shared<prometheus::Registry>()) {
  using namespace prometheus;
  auto& webhooks = BuildCounter()
                       .Name("introvy_webhooks_total")
                       .Help("Webhook deliveries by outcome")
                       .Register(*registry_);
  for (auto outcome :
       {webhook_outcome::accepted, webhook_outcome::duplicate,
        webhook_outcome::ignored, webhook_outcome::quarantined,
        webhook_outcome::unauthorized, webhook_outcome::invalid,
        webhook_outcome::too_large, webhook_outcome::unavailable})
    webhooks_[outcome] = &webhooks.Add({{"outcome", to_string(outcome)}});

  auto& events = BuildCounter()
                     .Name("introvy_tenant_events_total")
                     .Help("Accepted events per configured tenant")
                     .Register(*registry_);
  auto& processed = BuildCounter()
                        .Name("introvy_events_processed_total")
                        .Help("Events applied by candidate actors, per tenant")
                        .Register(*registry_);
  auto& parked = BuildCounter()
                     .Name("introvy_dead_letters_total")
                     .Help("Events parked as dead letters, per tenant")
                     .Register(*registry_);
  for (auto id : tenant_ids) {
    tenants_.insert(id);
    tenant_events_[id] = &events.Add({{"tenant", std::to_string(id)}});
    tenant_processed_[id] = &processed.Add({{"tenant", std::to_string(id)}});
    dead_letters_[id] = &parked.Add({{"tenant", std::to_string(id)}});
  }
  avionte_calls_ = &BuildCounter()
                        .Name("introvy_avionte_calls_total")
                        .Help("Calls to Avionté by tenant, endpoint, outcome")
                        .Register(*registry_);
  decisions_ = &BuildCounter()
                    .Name("introvy_decisions_total")
                    .Help("Events decided, by tenant and decision")
                    .Register(*registry_);

  duplicate_mismatch_ =
      &BuildCounter()
           .Name("introvy_duplicate_body_mismatch_total")
           .Help("Duplicates whose body differs from the original delivery")
           .Register(*registry_)
           .Add({});
  ack_seconds_ =
      &BuildHistogram()
           .Name("introvy_webhook_ack_seconds")
           .Help("Time from a complete request to its answer")
           .Register(*registry_)
           .Add({},
                Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                            0.025, 0.05, 0.1, 0.25, 1.0});
  inbox_depth_ = &BuildGauge()
                      .Name("introvy_inbox_depth")
                      .Help("Accepted events not yet applied")
                      .Register(*registry_)
                      .Add({});
  candidates_ = &BuildGauge()
                     .Name("introvy_candidate_actors")
                     .Help("Candidate actors alive")
                     .Register(*registry_)
                     .Add({});
}

service_metrics::~service_metrics() = default;

void service_metrics::count_webhook(webhook_outcome outcome) {
  webhooks_.at(outcome)->Increment();
}

void service_metrics::observe_ack(std::chrono::steady_clock::duration latency) {
  ack_seconds_->Observe(std::chrono::duration<double>(latency).count());
}

void service_metrics::count_duplicate_mismatch() {
  duplicate_mismatch_->Increment();
}

void service_metrics::count_tenant_event(std::int64_t tenant_id) {
  if (auto it = tenant_events_.find(tenant_id); it != tenant_events_.end())
    it->second->Increment();
}

void service_metrics::inbox_added(std::uint64_t n) {
  inbox_depth_->Increment(static_cast<double>(n));
}

void service_metrics::inbox_removed(std::uint64_t n) {
  inbox_depth_->Decrement(static_cast<double>(n));
}

std::int64_t service_metrics::inbox_depth() const {
  return static_cast<std::int64_t>(inbox_depth_->Value());
}

void service_metrics::count_processed(std::int64_t tenant_id) {
  if (auto it = tenant_processed_.find(tenant_id);
      it != tenant_processed_.end())
    it->second->Increment();
}

void service_metrics::candidate_started() {
  candidates_->Increment();
}
void service_metrics::candidate_stopped() {
  candidates_->Decrement();
}

std::int64_t service_metrics::candidates_alive() const {
  return static_cast<std::int64_t>(candidates_->Value());
}

void service_metrics::count_avionte_call(std::int64_t tenant_id,
                                         std::string_view endpoint,
                                         std::string_view outcome) {
  if (!tenants_.count(tenant_id))
    return;
  // Family::Add is thread-safe and returns the existing series when the
  // labels are known already.
  avionte_calls_
      ->Add({{"tenant", std::to_string(tenant_id)},
             {"endpoint", std::string{endpoint}},
             {"outcome", std::string{outcome}}})
      .Increment();
}

void service_metrics::count_decision(std::int64_t tenant_id,
                                     const std::string& kind) {
  if (!tenants_.count(tenant_id))
    return;
  decisions_->Add({{"tenant", std::to_string(tenant_id)}, {"decision", kind}})
      .Increment();
}

void service_metrics::count_dead_letter(std::int64_t tenant_id) {
  if (auto it = dead_letters_.find(tenant_id); it != dead_letters_.end())
    it->second->Increment();
}

std::string service_metrics::render() const {
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, registry_->Collect());
  return out.str();
}

} // namespace introvy::net
