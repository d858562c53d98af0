#include <catch2/catch.hpp>
#include <vector>

#include "actors/lookup_window.hpp"

using namespace introvy::actors;

TEST_CASE("a lookup window keeps at most its limit outstanding and lets the "
          "others in, in arrival order, as answers come back") {
  lookup_window window{3};
  std::vector<std::uint64_t> asked;
  for (std::uint64_t arrival = 0; arrival < 10; ++arrival)
    if (window.arrive(arrival))
      asked.push_back(arrival);
  CHECK(asked == std::vector<std::uint64_t>{0, 1, 2});
  CHECK(window.outstanding() == 3);
  CHECK(window.waiting() == 7);

  // Each answer lets the oldest waiting event in, until none waits.
  for (std::uint64_t expected = 3; expected < 10; ++expected) {
    auto next = window.answered();
    REQUIRE(next);
    CHECK(*next == expected);
    CHECK(window.outstanding() == 3);
  }
  CHECK_FALSE(window.answered());
  CHECK_FALSE(window.answered());
  CHECK_FALSE(window.answered());
  CHECK(window.outstanding() == 0);
  CHECK(window.arrive(10)); // room again
}
