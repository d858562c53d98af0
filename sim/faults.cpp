#include "sim/faults.hpp"

#include <algorithm>

namespace introvy::sim {
namespace {

using json = nlohmann::json;

bool read_share(const json& doc, const char* key, double& out,
                std::string& error) {
  if (!doc.contains(key))
    return true;
  if (!doc[key].is_number() || doc[key] < 0 || doc[key] > 1) {
    error = std::string{key} + " must be a number from 0 to 1";
    return false;
  }
  out = doc[key].get<double>();
  return true;
}

bool read_count(const json& doc, const char* key, unsigned& out,
                std::string& error) {
  if (!doc.contains(key))
    return true;
  if (!doc[key].is_number_integer() || doc[key].get<std::int64_t>() < 0) {
    error = std::string{key} + " must be a non-negative integer";
    return false;
  }
  out = doc[key].get<unsigned>();
  return true;
}

bool matches(const fault_rule& rule, std::int64_t tenant,
             const std::string& endpoint) {
  return (rule.tenant == 0 || rule.tenant == tenant) &&
         (rule.endpoint.empty() || rule.endpoint == endpoint);
}

} // namespace

const std::vector<std::string>& endpoint_names() {
  static const std::vector<std::string> names{
      "token", "pipeline", "talent",   "talents",
      "job",   "user",     "activity", "activity_types"};
  return names;
}

std::optional<fault_rule> parse_fault_rule(const json& doc,
                                           std::string& error) {
  if (!doc.is_object()) {
    error = "a fault rule is a JSON object";
    return std::nullopt;
  }
  fault_rule rule;
  if (doc.contains("tenant") && !doc["tenant"].is_number_integer()) {
    error = "tenant must be a FrontOfficeTenantId";
    return std::nullopt;
  }
  rule.tenant = doc.value("tenant", std::int64_t{0});
  if (doc.contains("endpoint")) {
    auto name = doc["endpoint"].is_string() ? doc["endpoint"].get<std::string>()
                                            : std::string{"?"};
    auto& known = endpoint_names();
    if (name != "*" &&
        std::find(known.begin(), known.end(), name) == known.end()) {
      error = "endpoint must be \"*\" or one of token, pipeline, talent, "
              "talents, job, user, activity, activity_types";
      return std::nullopt;
    }
    rule.endpoint = name == "*" ? "" : name;
  }
  unsigned latency = 0, retry_after = 0;
  bool ok = read_count(doc, "latency_ms", latency, error) &&
            read_share(doc, "error_500", rule.error_500, error) &&
            read_share(doc, "error_502", rule.error_502, error) &&
            read_share(doc, "error_504", rule.error_504, error) &&
            read_count(doc, "burst_429", rule.burst_429, error) &&
            read_count(doc, "retry_after", retry_after, error) &&
            read_count(doc, "drop", rule.drop, error) &&
            read_share(doc, "drop_share", rule.drop_share, error);
  if (!ok)
    return std::nullopt;
  if (rule.error_500 + rule.error_502 + rule.error_504 > 1.0) {
    error = "error shares add up to more than 1";
    return std::nullopt;
  }
  rule.latency = std::chrono::milliseconds{latency};
  if (doc.contains("retry_after"))
    rule.retry_after = retry_after;
  rule.revoke_tokens = doc.value("revoke_tokens", false);
  return rule;
}

json to_json(const fault_rule& rule) {
  json doc = {{"tenant", rule.tenant},
              {"endpoint", rule.endpoint.empty() ? "*" : rule.endpoint},
              {"latency_ms", rule.latency.count()},
              {"error_500", rule.error_500},
              {"error_502", rule.error_502},
              {"error_504", rule.error_504},
              {"burst_429", rule.burst_429},
              {"drop", rule.drop},
              {"drop_share", rule.drop_share},
              {"revoke_tokens", rule.revoke_tokens}};
  if (rule.retry_after)
    doc["retry_after"] = *rule.retry_after;
  return doc;
}

fault_injector::fault_injector(std::uint64_t seed)
    : rng_(seed) {}

void fault_injector::add(fault_rule rule) {
  std::lock_guard lock{mutex_};
  rules_.push_back(std::move(rule));
}

void fault_injector::clear() {
  std::lock_guard lock{mutex_};
  rules_.clear();
}

json fault_injector::rules() const {
  std::lock_guard lock{mutex_};
  auto out = json::array();
  for (const auto& rule : rules_)
    out.push_back(to_json(rule));
  return out;
}

fault_decision fault_injector::decide(std::int64_t tenant,
                                      const std::string& endpoint) {
  std::lock_guard lock{mutex_};
  fault_decision decision;
  std::uniform_real_distribution<double> share{0.0, 1.0};
  for (auto& rule : rules_) {
    if (!matches(rule, tenant, endpoint))
      continue;
    decision.latency += rule.latency;
    if (decision.drop || decision.status)
      continue;

    // Counted faults first, then shares, one draw per kind.
    if (rule.drop > 0) {
      --rule.drop;
      decision.drop = true;
    } else if (rule.burst_429 > 0) {
      --rule.burst_429;
      decision.status = 429;
      decision.retry_after = rule.retry_after;
    } else if (rule.drop_share > 0 && share(rng_) < rule.drop_share) {
      decision.drop = true;
    } else if (auto draw = share(rng_); draw < rule.error_500) {
      decision.status = 500;
    } else if (draw < rule.error_500 + rule.error_502) {
      decision.status = 502;
    } else if (draw < rule.error_500 + rule.error_502 + rule.error_504) {
      decision.status = 504;
    }
  }
  return decision;
}

} // namespace introvy::sim
