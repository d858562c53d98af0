#include <catch2/catch.hpp>

#include "actors/backoff.hpp"
#include "actors/rate_gate.hpp"

using namespace introvy::actors;
using namespace std::chrono_literals;

TEST_CASE("back-off follows Avionté's schedule: 5 s, 10 s, then doubling") {
  auto at = [](std::size_t streak) {
    return backoff_delay(streak, 5000ms, 0.5); // 0.5: no jitter
  };
  CHECK(at(1) == 5s);
  CHECK(at(2) == 10s);
  CHECK(at(3) == 20s);
  CHECK(at(4) == 40s);
  CHECK(at(5) == 80s);
  CHECK(at(9) == 80s); // five errors at most: it stops growing
}

TEST_CASE("back-off jitter stays within a fifth of the delay") {
  CHECK(backoff_delay(1, 5000ms, 0.0) == 4000ms);
  CHECK(backoff_delay(1, 5000ms, 0.999) >= 5990ms);
  CHECK(backoff_delay(1, 5000ms, 0.999) < 6000ms);
}

TEST_CASE("Retry-After replaces the schedule") {
  CHECK(backoff_delay(3, 5000ms, 0.5, 2s) == 2s);
  CHECK(backoff_delay(1, 5000ms, 0.5, 0s) == 0s);
}

TEST_CASE("a rate gate lets calls through at its rate and says how long to "
          "wait") {
  rate_gate gate{4};
  auto t0 = rate_gate::clock::now();
  CHECK(gate.try_take(t0) == rate_gate::clock::duration::zero());
  auto wait = gate.try_take(t0);
  CHECK(wait > 240ms);
  CHECK(wait <= 251ms);
  CHECK(gate.try_take(t0 + 250ms) == rate_gate::clock::duration::zero());

  // Over ten simulated seconds, never more than the rate in any second.
  int taken = 0;
  for (auto t = t0 + 1s; t < t0 + 11s; t += 10ms)
    if (gate.try_take(t) == rate_gate::clock::duration::zero())
      ++taken;
  CHECK(taken >= 39);
  CHECK(taken <= 41);
}

TEST_CASE("a token given back can be taken again at once") {
  rate_gate gate{1};
  auto t0 = rate_gate::clock::now();
  REQUIRE(gate.try_take(t0) == rate_gate::clock::duration::zero());
  gate.give_back();
  CHECK(gate.try_take(t0) == rate_gate::clock::duration::zero());
}
