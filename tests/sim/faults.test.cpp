#include <catch2/catch.hpp>

#include "sim/faults.hpp"

using namespace introvy::sim;
using json = nlohmann::json;

namespace {

fault_rule rule_from(const json& doc) {
  std::string error;
  auto rule = parse_fault_rule(doc, error);
  INFO(error);
  REQUIRE(rule);
  return *rule;
}

} // namespace

TEST_CASE("a fault rule with mistyped or out-of-range keys is refused") {
  std::string error;
  CHECK_FALSE(parse_fault_rule(json{{"error_500", 2}}, error));
  CHECK_FALSE(parse_fault_rule(json{{"endpoint", "nope"}}, error));
  CHECK_FALSE(
      parse_fault_rule(json{{"error_500", 0.6}, {"error_502", 0.6}}, error));
  CHECK_FALSE(parse_fault_rule(json::array(), error));
}

TEST_CASE("a 429 burst is used up by the next matching calls") {
  fault_injector faults{1};
  faults.add(rule_from({{"tenant", 6}, {"burst_429", 2}, {"retry_after", 3}}));
  auto first = faults.decide(6, "talent");
  CHECK(first.status == 429);
  CHECK(first.retry_after == 3u);
  CHECK(faults.decide(6, "job").status == 429);
  CHECK(faults.decide(6, "job").status == 0);
}

TEST_CASE("a burst without retry_after sends no Retry-After") {
  fault_injector faults{1};
  faults.add(rule_from({{"burst_429", 1}}));
  CHECK_FALSE(faults.decide(6, "talent").retry_after);
}

TEST_CASE("a rule applies to its tenant and endpoint only") {
  fault_injector faults{1};
  faults.add(
      rule_from({{"tenant", 6}, {"endpoint", "talent"}, {"error_502", 1.0}}));
  CHECK(faults.decide(6, "talent").status == 502);
  CHECK(faults.decide(7, "talent").status == 0);
  CHECK(faults.decide(6, "job").status == 0);
}

TEST_CASE("error shares are drawn from the seeded generator") {
  auto count_500s = [](std::uint64_t seed) {
    fault_injector faults{seed};
    faults.add(rule_from({{"error_500", 0.5}}));
    int n = 0;
    for (int i = 0; i < 1000; ++i)
      n += faults.decide(6, "talent").status == 500;
    return n;
  };
  CHECK(count_500s(7) == count_500s(7));
  CHECK(count_500s(7) > 400);
  CHECK(count_500s(7) < 600);
}

TEST_CASE("latencies add up; drops are counted") {
  fault_injector faults{1};
  faults.add(rule_from({{"latency_ms", 100}}));
  faults.add(rule_from({{"latency_ms", 50}, {"drop", 1}}));
  auto d = faults.decide(6, "user");
  CHECK(d.latency == std::chrono::milliseconds{150});
  CHECK(d.drop);
  CHECK_FALSE(faults.decide(6, "user").drop);
}
