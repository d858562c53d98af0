#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "storage/keys.hpp"
#include "storage/pending_dedup.hpp"

using introvy::storage::dedup_key;
using introvy::storage::dedup_record;
using introvy::storage::dedup_tail;
using introvy::storage::pending_dedup;

namespace {

dedup_record record_at(std::uint64_t seq) {
  return {static_cast<std::int64_t>(seq) * 10, seq * 7, seq};
}

std::vector<std::string> sorted_keys(const pending_dedup& pending) {
  std::vector<std::string> keys;
  for (auto i : pending.sorted_indexes())
    keys.emplace_back(pending.key_at(i));
  return keys;
}

} // namespace

TEST_CASE("pending dedup records are found by key, and only by key") {
  pending_dedup pending;
  CHECK_FALSE(pending.find(dedup_key(6, "a")));
  pending.add(dedup_key(6, "a"), record_at(1));
  pending.add(dedup_key(7, "a"), record_at(2));
  REQUIRE(pending.find(dedup_key(6, "a")));
  CHECK(pending.find(dedup_key(6, "a"))->seq == 1);
  CHECK(pending.find(dedup_key(7, "a"))->seq == 2);
  CHECK_FALSE(pending.find(dedup_key(6, "b")));
  CHECK_FALSE(pending.find(dedup_key(8, "a")));
  CHECK(pending.size() == 2);
  CHECK(pending.highest_seq() == 2);

  // A second record of a key replaces the first, as a second Put would.
  pending.add(dedup_key(6, "a"), record_at(5));
  CHECK(pending.size() == 2);
  CHECK(pending.find(dedup_key(6, "a"))->seq == 5);
  CHECK(pending.highest_seq() == 5);
}

TEST_CASE("pending dedup records grow past the table's first size and come "
          "out in RocksDB's byte order") {
  pending_dedup pending;
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) {
    // Tenants past 2^63 begin with a byte above 0x7f: byte order, not the
    // signed order of char, must put them last.
    auto tenant = i % 3 == 0 ? std::int64_t{-5} : std::int64_t{i % 7};
    keys.push_back(dedup_key(tenant, "id-" + std::to_string(i * 7919 % 5000)));
    pending.add(keys.back(), record_at(static_cast<std::uint64_t>(i + 1)));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  CHECK(pending.size() == keys.size());
  CHECK(sorted_keys(pending) == keys);
  CHECK(pending.highest_seq() == 5000);
  for (const auto& key : keys)
    REQUIRE(pending.find(key));
  CHECK(static_cast<unsigned char>(sorted_keys(pending).back()[0]) == 0xff);

  pending.clear();
  CHECK(pending.empty());
  CHECK(pending.highest_seq() == 0);
  CHECK_FALSE(pending.find(keys.front()));
  pending.add(keys.front(), record_at(9));
  CHECK(sorted_keys(pending) == std::vector<std::string>{keys.front()});
}

TEST_CASE("a dedup tail writes out one table in key order while the next "
          "fills, and answers from both") {
  dedup_tail tail;
  std::vector<std::string> first;
  for (int i = 0; i < 10; ++i) {
    first.push_back(dedup_key(6, "first-" + std::to_string(9 - i)));
    tail.add(first.back(), record_at(static_cast<std::uint64_t>(i + 1)));
  }
  std::sort(first.begin(), first.end());
  CHECK_FALSE(tail.draining());
  tail.start_drain();
  CHECK(tail.draining());
  CHECK(tail.filling_size() == 0);
  CHECK(tail.draining_through() == 10);
  tail.add(dedup_key(6, "second"), record_at(11));

  std::vector<std::string> written;
  auto take = [&](std::size_t limit) {
    auto [count, last] =
        tail.next_slice(limit, [&](std::string_view key, const dedup_record&) {
          written.emplace_back(key);
        });
    tail.slice_written(count);
    return std::pair{count, last};
  };
  CHECK(take(4) == std::pair<std::size_t, bool>{4, false});
  // Records already written are still answered until the table is done.
  CHECK(tail.find(first[0]));
  CHECK(tail.find(dedup_key(6, "second")));
  CHECK(take(4) == std::pair<std::size_t, bool>{4, false});
  CHECK(take(4) == std::pair<std::size_t, bool>{2, true});
  CHECK(written == first);
  CHECK_FALSE(tail.draining());
  CHECK_FALSE(tail.find(first[0]));
  CHECK(tail.find(dedup_key(6, "second")));
  CHECK_FALSE(tail.empty());

  std::size_t listed = 0;
  tail.for_each([&](std::string_view, const dedup_record&) { ++listed; });
  CHECK(listed == 1);
}
