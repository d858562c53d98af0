#include <catch2/catch.hpp>

#include "sim/token_store.hpp"

using namespace introvy::sim;
using namespace std::chrono_literals;

TEST_CASE("a token works until its lifetime is over") {
  manual_clock clock;
  token_store tokens{clock, 60s, 1};
  auto token = tokens.issue();
  CHECK(tokens.valid(token, 6));
  clock.advance(59s);
  CHECK(tokens.valid(token, 6));
  clock.advance(1s);
  CHECK_FALSE(tokens.valid(token, 6));
}

TEST_CASE("an unknown token is refused") {
  manual_clock clock;
  token_store tokens{clock, 60s, 1};
  tokens.issue();
  CHECK_FALSE(tokens.valid("not-a-token", 6));
}

TEST_CASE("revoking a tenant's tokens spares later tokens and other tenants") {
  manual_clock clock;
  token_store tokens{clock, 60s, 1};
  auto old_token = tokens.issue();
  tokens.revoke_all(6);
  auto new_token = tokens.issue();
  CHECK_FALSE(tokens.valid(old_token, 6));
  CHECK(tokens.valid(old_token, 7));
  CHECK(tokens.valid(new_token, 6));
}

TEST_CASE("tokens look like JWTs and differ") {
  manual_clock clock;
  token_store tokens{clock, 60s, 1};
  auto a = tokens.issue(), b = tokens.issue();
  CHECK(a != b);
  CHECK(std::count(a.begin(), a.end(), '.') == 2);
}
