#include <catch2/catch.hpp>

#include "sim/rate_limiter.hpp"

using namespace introvy::sim;
using namespace std::chrono_literals;

TEST_CASE("a tenant gets its budget per second, then refusals") {
  manual_clock clock;
  rate_limiter limiter{clock, 3};
  for (int i = 0; i < 3; ++i)
    CHECK(limiter.admit(6, "talent"));
  CHECK_FALSE(limiter.admit(6, "talent"));
  clock.advance(1s);
  CHECK(limiter.admit(6, "talent"));
}

TEST_CASE("one tenant's traffic does not use another's budget") {
  manual_clock clock;
  rate_limiter limiter{clock, 1};
  CHECK(limiter.admit(6, "job"));
  CHECK_FALSE(limiter.admit(6, "job"));
  CHECK(limiter.admit(7, "job"));
}

TEST_CASE("a zero budget means no limit") {
  manual_clock clock;
  rate_limiter limiter{clock, 0};
  for (int i = 0; i < 100; ++i)
    CHECK(limiter.admit(6, "job"));
}

TEST_CASE("calls are counted per tenant, endpoint and second") {
  manual_clock clock;
  rate_limiter limiter{clock, 1};
  limiter.admit(6, "job");
  limiter.admit(6, "job");
  limiter.admit(6, "user");
  auto counts = limiter.counts();
  REQUIRE(counts.size() == 2);
  CHECK(counts[0]["endpoint"] == "job");
  CHECK(counts[0]["count"] == 2);
  CHECK(counts[0]["refused"] == 1);
}
