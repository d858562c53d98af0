#include <catch2/catch.hpp>

#include "apps/admin_api.hpp"

using introvy::apps::is_loopback;

TEST_CASE("admin routes recognise loopback clients only") {
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.10.0.3"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("::ffff:127.0.0.1"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
  CHECK_FALSE(is_loopback("52.200.5.50"));
  CHECK_FALSE(is_loopback("::ffff:10.0.0.1"));
  CHECK_FALSE(is_loopback("1127.0.0.1"));
  CHECK_FALSE(is_loopback(""));
}
