#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <rocksdb/db.h>

#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "tests/storage/crash_copy.hpp"

using namespace introvy;
namespace fs = std::filesystem;

namespace {

// A fresh store folder, removed when the test ends.
struct temp_store_dir {
  fs::path path;
  temp_store_dir() {
    std::random_device rd;
    path =
        fs::temp_directory_path() /
        ("introvy-store-test-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~temp_store_dir() { fs::remove_all(path); }
  storage::store_options options(bool read_only = false) const {
    return {path.string(), false, std::chrono::hours{24}, read_only};
  }
};

domain::webhook_event make_event(std::int64_t tenant, std::string cid,
                                 std::int64_t pipeline,
                                 std::int64_t received_at_ms = 0) {
  domain::webhook_event e;
  e.tenant_id = tenant;
  e.correlation_id = std::move(cid);
  e.event_name = "job_pipeline_talent_updated";
  e.resource.pipeline_id = pipeline;
  e.received_at_ms =
      received_at_ms != 0
          ? received_at_ms
          : std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  e.body = "{\"body\":" + std::to_string(pipeline) + "}";
  return e;
}

} // namespace

TEST_CASE("sequence keys sort in numeric order") {
  CHECK(storage::sequence_key(2) < storage::sequence_key(10));
  CHECK(storage::sequence_key(255) < storage::sequence_key(256));
  CHECK(storage::decode_sequence_key(storage::sequence_key(1234567)) ==
        1234567u);
  CHECK_FALSE(storage::decode_sequence_key("short"));
}

TEST_CASE("dedup keys lower A-Z only, at any position and length") {
  // Every byte value, at every offset of a long id: only A-Z change.
  for (std::size_t length : {1u, 7u, 8u, 9u, 16u, 23u, 36u, 40u})
    for (int c = 0; c < 256; ++c) {
      std::string id(length, 'Q');
      id[(static_cast<std::size_t>(c) * 7) % length] = static_cast<char>(c);
      auto key = storage::dedup_key(6, id);
      REQUIRE(key.size() == 8 + length);
      for (std::size_t i = 0; i < length; ++i) {
        auto in = static_cast<unsigned char>(id[i]);
        auto want = in >= 'A' && in <= 'Z' ? in + 32 : in;
        REQUIRE(static_cast<unsigned char>(key[8 + i]) == want);
      }
    }
}

TEST_CASE("dedup keys ignore the case of the CorrelationId") {
  CHECK(storage::dedup_key(6, "ABC-def") == storage::dedup_key(6, "abc-DEF"));
  CHECK(storage::dedup_key(6, "abc") != storage::dedup_key(7, "abc"));
}

TEST_CASE("dedup records and events survive encoding") {
  storage::dedup_record record{123, 456, 789};
  auto decoded = storage::decode_dedup(storage::encode_dedup(record));
  REQUIRE(decoded);
  CHECK(decoded->received_at_ms == 123);
  CHECK(decoded->fingerprint == 456);
  CHECK(decoded->seq == 789);
  CHECK(decoded->fingerprint_version == domain::current_fingerprint);

  // A record of a store before the version byte: an FNV-1a fingerprint.
  auto legacy = storage::encode_dedup(record).substr(0, 24);
  auto old_record = storage::decode_dedup(legacy);
  REQUIRE(old_record);
  CHECK(old_record->fingerprint == 456);
  CHECK(old_record->fingerprint_version == domain::fnv1a_fingerprint);
  CHECK_FALSE(storage::decode_dedup(legacy.substr(0, 23)));

  auto event = make_event(6, "c", 42);
  event.resource.talent_id = 77;
  auto back = storage::decode_event(9, storage::encode_event(event));
  REQUIRE(back);
  CHECK(back->seq == 9);
  CHECK(back->resource.talent_id == 77);
  CHECK_FALSE(back->resource.job_id);
  CHECK(back->body == event.body);
}

TEST_CASE("an event's record keeps every field and the body byte for byte") {
  auto event = make_event(7, "C-1\"\\", 42, 1700000000123);
  event.body =
      std::string{"{\"Resource\":\"{\\\"PipelineId\\\":1}\",\"x\":\"\t\n\r"
                  "\b\f\x01\x1f\x7f\xc3\xa9\xe2\x82\xac\"}"} +
      std::string(1, '\0') + "tail";
  event.resource.talent_id = 77;
  event.resource.job_id = -5;
  auto record = storage::encode_event(event);
  // Stored as received: nothing escaped, so the body is the record's tail.
  CHECK(record.size() > event.body.size());
  CHECK(record.substr(record.size() - event.body.size()) == event.body);

  auto back = storage::decode_event(3, record);
  REQUIRE(back);
  CHECK(back->seq == 3);
  CHECK(back->tenant_id == 7);
  CHECK(back->correlation_id == event.correlation_id);
  CHECK(back->event_name == event.event_name);
  CHECK(back->resource.pipeline_id == 42);
  CHECK(back->resource.talent_id == 77);
  CHECK(back->resource.job_id == -5);
  CHECK(back->received_at_ms == 1700000000123);
  CHECK(back->body == event.body);

  event.resource.talent_id.reset();
  event.resource.job_id.reset();
  back = storage::decode_event(3, storage::encode_event(event));
  REQUIRE(back);
  CHECK_FALSE(back->resource.talent_id);
  CHECK_FALSE(back->resource.job_id);
  CHECK(back->body == event.body);

  // A cut-off record is refused, not read past its end.
  record = storage::encode_event(event);
  for (std::size_t cut :
       {std::size_t{1}, std::size_t{2}, std::size_t{20}, std::size_t{30}})
    CHECK_FALSE(storage::decode_event(3, record.substr(0, cut)));
}

TEST_CASE("event records written as JSON by earlier versions still read") {
  nlohmann::json legacy = {{"tenant", 6},
                           {"correlation_id", "old-1"},
                           {"event", "job_pipeline_talent_updated"},
                           {"pipeline_id", 11},
                           {"received_at_ms", 1700000000000},
                           {"body", "{\"a\":\"b\"}"},
                           {"talent_id", 5}};
  auto back = storage::decode_event(4, legacy.dump());
  REQUIRE(back);
  CHECK(back->tenant_id == 6);
  CHECK(back->correlation_id == "old-1");
  CHECK(back->resource.pipeline_id == 11);
  CHECK(back->resource.talent_id == 5);
  CHECK_FALSE(back->resource.job_id);
  CHECK(back->body == "{\"a\":\"b\"}");
  CHECK_FALSE(storage::decode_event(4, "{\"tenant\":6}"));
  CHECK_FALSE(storage::decode_event(4, ""));
}

TEST_CASE("a committed webhook is logged, deduplicated and queued at once") {
  temp_store_dir dir;
  {
    auto db = storage::store::open(dir.options());
    std::vector<domain::webhook_event> accepted{make_event(6, "a", 1),
                                                make_event(6, "b", 2)};
    std::vector<domain::webhook_event> aside{make_event(99, "q", 3)};
    REQUIRE(db->commit_webhooks(accepted, aside).ok());
    CHECK(accepted[0].seq == 1);
    CHECK(accepted[1].seq == 2);
    CHECK(aside[0].seq == 3);

    std::optional<storage::dedup_record> found;
    REQUIRE(db->find_dedup(6, "A", found).ok());
    CHECK(found);
    REQUIRE(db->find_dedup(99, "q", found).ok());
    CHECK(found);
    REQUIRE(db->find_dedup(6, "zzz", found).ok());
    CHECK_FALSE(found);
  }

  // Reopened: the sequence continues and the inbox is intact.
  auto db = storage::store::open(dir.options());
  CHECK(db->last_sequence() == 3);
  CHECK(db->inbox_depth_at_open() == 2);
  std::vector<std::string> ids;
  REQUIRE(db->for_each_inbox([&](domain::webhook_event&& e) {
              ids.push_back(e.correlation_id);
            }).ok());
  CHECK(ids == std::vector<std::string>{"a", "b"});
}

TEST_CASE("dedup records are found and scanned in key order across "
          "memtable flushes and a reopen") {
  temp_store_dir dir;
  // Random GUID-like ids and ids sharing a long prefix, over two tenants:
  // enough records (more than one memtable's worth) that some are flushed
  // to table files while later ones are still in memory.
  std::mt19937_64 random{42};
  std::vector<std::pair<std::int64_t, std::string>> keys;
  for (int i = 0; i < 120'000; ++i) {
    char id[40];
    if (i % 2 == 0)
      std::snprintf(id, sizeof id, "%016llx-%08x",
                    static_cast<unsigned long long>(random()),
                    static_cast<unsigned>(i));
    else
      std::snprintf(id, sizeof id, "0f0f0f0f-0000-0000-0001-%012x", i);
    keys.emplace_back(i % 3 == 0 ? 7 : 6, id);
  }
  auto check_scan = [&](storage::store& db) {
    std::vector<std::string> scanned;
    REQUIRE(db.for_each_dedup([&](const std::string& key,
                                  const storage::dedup_record&) {
                scanned.push_back(key);
              }).ok());
    CHECK(scanned.size() == keys.size());
    CHECK(std::is_sorted(scanned.begin(), scanned.end()));
  };
  auto check_all_found = [&](storage::store& db) {
    std::optional<storage::dedup_record> found;
    for (std::size_t i = 0; i < keys.size(); i += 997) {
      REQUIRE(db.find_dedup(keys[i].first, keys[i].second, found).ok());
      REQUIRE(found);
    }
    REQUIRE(
        db.find_dedup(6, "0f0f0f0f-0000-0000-0001-ffffffffffff", found).ok());
    CHECK_FALSE(found);
  };
  {
    auto db = storage::store::open(dir.options());
    std::vector<domain::webhook_event> none;
    for (std::size_t start = 0; start < keys.size(); start += 1000) {
      std::vector<domain::webhook_event> batch;
      for (auto i = start; i < start + 1000; ++i)
        batch.push_back(make_event(keys[i].first, keys[i].second,
                                   static_cast<std::int64_t>(i)));
      REQUIRE(db->commit_webhooks(batch, none).ok());
    }
    check_all_found(*db);
    check_scan(*db);
  }
  auto db = storage::store::open(dir.options());
  check_all_found(*db);
  check_scan(*db);
}

namespace {

std::vector<domain::webhook_event> numbered_events(int from, int count) {
  std::vector<domain::webhook_event> events;
  for (int i = from; i < from + count; ++i)
    events.push_back(make_event(6, "cid-" + std::to_string(i), i));
  return events;
}

// The keys the dedup family itself holds (not those waiting in memory).
std::vector<std::string> dedup_family_keys(storage::store& db) {
  std::vector<std::string> keys;
  REQUIRE(db.for_each("dedup", [&](const std::string& key, const std::string&) {
              keys.push_back(key);
            }).ok());
  return keys;
}

// Changes a store's folder behind the store's back, through RocksDB itself:
// `change(db, family)` gets the database and a handle by family name.
template <class Change>
void tamper(const fs::path& folder, Change change) {
  std::vector<std::string> names;
  REQUIRE(rocksdb::DB::ListColumnFamilies({}, folder.string(), &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names)
    families.emplace_back(name, rocksdb::ColumnFamilyOptions{});
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  REQUIRE(
      rocksdb::DB::Open({}, folder.string(), families, &handles, &raw).ok());
  auto family = [&](const std::string& name) {
    auto at = std::find(names.begin(), names.end(), name) - names.begin();
    return handles.at(static_cast<std::size_t>(at));
  };
  change(*raw, family);
  for (auto* handle : handles)
    raw->DestroyColumnFamilyHandle(handle);
  delete raw;
}

} // namespace

TEST_CASE("dedup records wait in memory and join the dedup family in sorted "
          "slices") {
  temp_store_dir dir;
  auto db = storage::store::open(dir.options());
  std::vector<domain::webhook_event> none;
  const int limit = static_cast<int>(storage::store::pending_dedup_limit);
  auto mark = [&] {
    std::optional<std::uint64_t> seq;
    REQUIRE(db->for_each("meta", [&](const std::string& key,
                                     const std::string& value) {
                if (key == "dedup/indexed_through")
                  seq = storage::decode_sequence_key(value);
              }).ok());
    return seq;
  };

  auto first = numbered_events(0, limit - 1);
  REQUIRE(db->commit_webhooks(first, none).ok());
  CHECK(dedup_family_keys(*db).empty());
  CHECK(mark() == 0u);
  std::optional<storage::dedup_record> found;
  REQUIRE(db->find_dedup(6, "CID-17", found).ok());
  REQUIRE(found);
  CHECK(found->seq == first[17].seq);

  // The commit that reaches the limit writes the first slice: the lowest
  // keys, in order.
  auto one = numbered_events(limit - 1, 1);
  REQUIRE(db->commit_webhooks(one, none).ok());
  std::vector<std::string> all;
  for (int i = 0; i < limit; ++i)
    all.push_back(storage::dedup_key(6, "cid-" + std::to_string(i)));
  std::sort(all.begin(), all.end());
  auto slice = static_cast<std::ptrdiff_t>(storage::store::dedup_slice);
  CHECK(dedup_family_keys(*db) ==
        std::vector<std::string>(all.begin(), all.begin() + slice));
  CHECK(mark() == 0u);

  // Each later commit writes another slice; the last one sets the mark.
  int later = 0;
  while (dedup_family_keys(*db).size() < all.size() && later < limit) {
    auto next = numbered_events(limit + later++, 1);
    REQUIRE(db->commit_webhooks(next, none).ok());
  }
  CHECK(later == limit / static_cast<int>(slice) - 1);
  CHECK(dedup_family_keys(*db) == all);
  CHECK(mark() == one[0].seq);
  for (int i : {17, limit - 1, limit, limit + later - 1}) {
    REQUIRE(db->find_dedup(6, "cid-" + std::to_string(i), found).ok());
    CHECK(found);
  }
  REQUIRE(
      db->find_dedup(6, "cid-" + std::to_string(limit + later), found).ok());
  CHECK_FALSE(found);
}

TEST_CASE("dedup records not yet in the dedup family are read back from the "
          "log after a crash") {
  temp_store_dir dir;
  temp_store_dir crashed;
  auto db = storage::store::open(dir.options());
  auto accepted = numbered_events(0, 3);
  std::vector<domain::webhook_event> aside{make_event(99, "aside", 7)};
  REQUIRE(db->commit_webhooks(accepted, aside).ok());

  // A reader beside the running store finds them in the log.
  {
    auto reader = storage::store::open(dir.options(true));
    std::optional<storage::dedup_record> found;
    REQUIRE(reader->find_dedup(6, "cid-2", found).ok());
    REQUIRE(found);
    CHECK(found->seq == accepted[2].seq);
    CHECK(found->fingerprint == domain::body_fingerprint(accepted[2].body));
    std::vector<std::string> listed;
    REQUIRE(reader
                ->for_each_dedup(
                    [&](const std::string& key, const storage::dedup_record&) {
                      listed.push_back(key);
                    })
                .ok());
    CHECK(listed == std::vector<std::string>{storage::dedup_key(6, "cid-0"),
                                             storage::dedup_key(6, "cid-1"),
                                             storage::dedup_key(6, "cid-2"),
                                             storage::dedup_key(99, "aside")});
  }

  // A copy of the folder taken now is what a kill -9 leaves: the events in
  // the write-ahead log, their dedup records nowhere else.
  test::copy_live_store(dir.path, crashed.path);
  auto restarted = storage::store::open(crashed.options());
  CHECK(dedup_family_keys(*restarted).empty());
  std::optional<storage::dedup_record> found;
  for (const auto& [tenant, cid] :
       {std::pair{6, "cid-0"}, std::pair{6, "cid-2"}, std::pair{99, "aside"}}) {
    REQUIRE(restarted->find_dedup(tenant, cid, found).ok());
    CHECK(found);
  }
  // New events continue the sequence and are deduplicated as before.
  auto more = numbered_events(3, 1);
  std::vector<domain::webhook_event> none;
  REQUIRE(restarted->commit_webhooks(more, none).ok());
  CHECK(more[0].seq == aside[0].seq + 1);
  REQUIRE(restarted->find_dedup(6, "cid-3", found).ok());
  CHECK(found);
}

TEST_CASE("after a crash, only the events past the dedup family's mark are "
          "read back") {
  temp_store_dir dir;
  temp_store_dir crashed;
  auto db = storage::store::open(dir.options());
  const int limit = static_cast<int>(storage::store::pending_dedup_limit);
  auto events = numbered_events(0, limit);
  auto later = numbered_events(limit, 5);
  std::vector<domain::webhook_event> none;
  REQUIRE(db->commit_webhooks(events, none).ok());
  REQUIRE(db->commit_webhooks(later, none).ok());
  test::copy_live_store(dir.path, crashed.path);

  auto restarted = storage::store::open(crashed.options());
  CHECK(dedup_family_keys(*restarted).size() ==
        storage::store::pending_dedup_limit);
  // A record both in the family and read back would be listed twice.
  std::size_t listed = 0;
  REQUIRE(restarted
              ->for_each_dedup([&](const std::string&,
                                   const storage::dedup_record&) { ++listed; })
              .ok());
  CHECK(listed == events.size() + later.size());
  std::optional<storage::dedup_record> found;
  for (int i : {0, limit - 1, limit, limit + 4}) {
    REQUIRE(restarted->find_dedup(6, "cid-" + std::to_string(i), found).ok());
    CHECK(found);
  }
}

TEST_CASE("a crash while a table of dedup records is half written loses "
          "none and lists none twice") {
  temp_store_dir dir;
  temp_store_dir crashed;
  auto db = storage::store::open(dir.options());
  const int limit = static_cast<int>(storage::store::pending_dedup_limit);
  auto events = numbered_events(0, limit - 1);
  auto last = numbered_events(limit - 1, 1);
  std::vector<domain::webhook_event> none;
  REQUIRE(db->commit_webhooks(events, none).ok());
  REQUIRE(db->commit_webhooks(last, none).ok()); // writes the first slice
  REQUIRE(dedup_family_keys(*db).size() == storage::store::dedup_slice);
  test::copy_live_store(dir.path, crashed.path);

  // The mark was not written: every record is read back from the log,
  // those of the written slice too.
  auto restarted = storage::store::open(crashed.options());
  std::size_t listed = 0;
  REQUIRE(restarted
              ->for_each_dedup([&](const std::string&,
                                   const storage::dedup_record&) { ++listed; })
              .ok());
  CHECK(listed == static_cast<std::size_t>(limit));
  std::optional<storage::dedup_record> found;
  for (int i : {0, 1, limit / 2, limit - 1}) {
    REQUIRE(restarted->find_dedup(6, "cid-" + std::to_string(i), found).ok());
    CHECK(found);
  }
  // The next commits write the table again from its start, then the mark.
  for (int i = 0; i < limit / static_cast<int>(storage::store::dedup_slice);
       ++i) {
    auto next = numbered_events(limit + i, 1);
    REQUIRE(restarted->commit_webhooks(next, none).ok());
  }
  CHECK(dedup_family_keys(*restarted).size() ==
        static_cast<std::size_t>(limit));
}

TEST_CASE("closing a store writes its waiting dedup records") {
  temp_store_dir dir;
  {
    auto db = storage::store::open(dir.options());
    auto accepted = numbered_events(0, 5);
    std::vector<domain::webhook_event> none;
    REQUIRE(db->commit_webhooks(accepted, none).ok());
    CHECK(dedup_family_keys(*db).empty());
  }
  auto db = storage::store::open(dir.options());
  CHECK(dedup_family_keys(*db).size() == 5);
}

TEST_CASE("a store from before waiting dedup records is not read again") {
  // Such a store wrote each dedup record with its event and has no mark:
  // its log is all in the dedup family already.
  temp_store_dir dir;
  {
    auto db = storage::store::open(dir.options());
    auto accepted = numbered_events(0, 3);
    std::vector<domain::webhook_event> none;
    REQUIRE(db->commit_webhooks(accepted, none).ok());
  }
  tamper(dir.path, [](rocksdb::DB& raw, auto family) {
    CHECK(raw.Delete({}, family("meta"), "dedup/indexed_through").ok());
  });
  auto db = storage::store::open(dir.options());
  std::size_t listed = 0;
  REQUIRE(
      db->for_each_dedup([&](const std::string&, const storage::dedup_record&) {
          ++listed;
        }).ok());
  CHECK(listed == 3);
  bool marked = false;
  REQUIRE(db->for_each("meta", [&](const std::string& key, const std::string&) {
              marked = marked || key == "dedup/indexed_through";
            }).ok());
  CHECK(marked);
}

TEST_CASE("an undecodable record past the dedup mark does not keep the "
          "store from opening") {
  temp_store_dir dir;
  {
    auto db = storage::store::open(dir.options());
    auto accepted = numbered_events(0, 1);
    std::vector<domain::webhook_event> none;
    REQUIRE(db->commit_webhooks(accepted, none).ok());
  }
  tamper(dir.path, [](rocksdb::DB& raw, auto family) {
    CHECK(raw.Put({}, family("events"), storage::sequence_key(2), "\x01garbage")
              .ok());
  });
  std::unique_ptr<storage::store> db;
  REQUIRE_NOTHROW(db = storage::store::open(dir.options()));
  std::optional<storage::dedup_record> found;
  REQUIRE(db->find_dedup(6, "cid-0", found).ok());
  CHECK(found);
}

TEST_CASE("a store in a folder that does not exist yet is created") {
  temp_store_dir dir;
  auto options = dir.options();
  options.path = (dir.path / "var" / "introvy").string();
  auto db = storage::store::open(options);
  CHECK(fs::is_directory(options.path));
}

TEST_CASE("saving an outcome removes its event from the inbox") {
  temp_store_dir dir;
  auto db = storage::store::open(dir.options());
  std::vector<domain::webhook_event> accepted{make_event(6, "a", 1),
                                              make_event(6, "b", 2)};
  std::vector<domain::webhook_event> none;
  REQUIRE(db->commit_webhooks(accepted, none).ok());

  storage::store::candidate_outcome applied{
      6,           "pipeline:1",    "{\"x\":1}",
      "{\"h\":1}", accepted[0].seq, std::nullopt,
      std::nullopt};
  storage::store::candidate_outcome skipped{6,
                                            "pipeline:1",
                                            std::nullopt,
                                            std::nullopt,
                                            accepted[1].seq,
                                            std::nullopt,
                                            std::nullopt};
  REQUIRE(db->save_outcomes({applied, skipped}).ok());

  std::optional<std::string> record;
  REQUIRE(db->load_candidate(6, "pipeline:1", record).ok());
  CHECK(record == "{\"x\":1}");
  std::size_t left = 0;
  REQUIRE(db->for_each_inbox([&](domain::webhook_event&&) { ++left; }).ok());
  CHECK(left == 0);
  std::vector<std::string> keys;
  REQUIRE(db->for_each("candidates", [&](auto& key, auto&) {
              keys.push_back(key);
            }).ok());
  REQUIRE(keys.size() == 2);
  CHECK(keys[0] == storage::candidate_key(6, "pipeline:1"));
  CHECK(keys[1] == storage::candidate_history_key(6, "pipeline:1", 1));
}

TEST_CASE("a candidate's history keys sort after it and before others") {
  auto summary = storage::candidate_key(6, "talent:42");
  auto first = storage::candidate_history_key(6, "talent:42", 1);
  auto later = storage::candidate_history_key(6, "talent:42", 300);
  auto other = storage::candidate_key(6, "talent:420");
  CHECK(summary < first);
  CHECK(first < later);
  CHECK(later < other);
}

TEST_CASE("dedup records older than the retention no longer count") {
  temp_store_dir dir;
  auto db = storage::store::open(dir.options());
  auto old_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch() -
                    std::chrono::hours{48})
                    .count();
  std::vector<domain::webhook_event> accepted{make_event(6, "old", 1, old_ms)};
  std::vector<domain::webhook_event> none;
  REQUIRE(db->commit_webhooks(accepted, none).ok());
  std::optional<storage::dedup_record> found;
  REQUIRE(db->find_dedup(6, "old", found).ok());
  CHECK_FALSE(found);
}

TEST_CASE("quarantined events join the inbox once their tenant is onboarded") {
  temp_store_dir dir;
  auto db = storage::store::open(dir.options());
  std::vector<domain::webhook_event> none;
  std::vector<domain::webhook_event> aside{make_event(8, "x", 1),
                                           make_event(9, "y", 2)};
  REQUIRE(db->commit_webhooks(none, aside).ok());
  std::size_t released = 0;
  REQUIRE(
      db->release_quarantine([](std::int64_t t) { return t == 8; }, released)
          .ok());
  CHECK(released == 1);
  std::vector<std::string> inbox;
  REQUIRE(db->for_each_inbox([&](domain::webhook_event&& e) {
              inbox.push_back(e.correlation_id);
            }).ok());
  CHECK(inbox == std::vector<std::string>{"x"});
  std::size_t still_aside = 0;
  REQUIRE(
      db->for_each("quarantine", [&](auto&, auto&) { ++still_aside; }).ok());
  CHECK(still_aside == 1);
}

TEST_CASE("a dead letter leaves the inbox, is listed, and can be requeued") {
  temp_store_dir dir;
  auto db = storage::store::open(dir.options());
  std::vector<domain::webhook_event> accepted{make_event(6, "parked", 1)};
  std::vector<domain::webhook_event> none;
  REQUIRE(db->commit_webhooks(accepted, none).ok());
  auto seq = accepted[0].seq;

  storage::store::candidate_outcome parked;
  parked.tenant_id = 6;
  parked.seq = seq;
  parked.dead_letter = R"({"reason":"gave up"})";
  REQUIRE(db->save_outcomes({parked}).ok());
  std::vector<std::string> letters;
  REQUIRE(
      db->for_each_dead_letter([&](auto& r) { letters.push_back(r); }).ok());
  CHECK(letters == std::vector<std::string>{R"({"reason":"gave up"})"});
  std::size_t inbox = 0;
  REQUIRE(db->for_each_inbox([&](domain::webhook_event&&) { ++inbox; }).ok());
  CHECK(inbox == 0);

  std::optional<domain::webhook_event> event;
  REQUIRE(db->requeue_dead_letter(seq, event).ok());
  REQUIRE(event);
  CHECK(event->correlation_id == "parked");
  CHECK(event->body.empty());
  REQUIRE(db->for_each_inbox([&](domain::webhook_event&&) { ++inbox; }).ok());
  CHECK(inbox == 1);
  letters.clear();
  REQUIRE(
      db->for_each_dead_letter([&](auto& r) { letters.push_back(r); }).ok());
  CHECK(letters.empty());

  // A sequence that is not parked: nothing happens.
  std::optional<domain::webhook_event> none_found;
  REQUIRE(db->requeue_dead_letter(seq + 100, none_found).ok());
  CHECK_FALSE(none_found);
}

TEST_CASE("unmapped stage names are counted per tenant across writes") {
  temp_store_dir dir;
  {
    auto db = storage::store::open(dir.options());
    std::vector<domain::webhook_event> accepted{
        make_event(6, "a", 1), make_event(6, "b", 2), make_event(7, "c", 3)};
    std::vector<domain::webhook_event> none;
    REQUIRE(db->commit_webhooks(accepted, none).ok());
    auto unmapped = [&](std::size_t i, const char* stage) {
      storage::store::candidate_outcome o;
      o.tenant_id = accepted[i].tenant_id;
      o.key = "talent:1";
      o.seq = accepted[i].seq;
      o.unmapped_stage = stage;
      return o;
    };
    REQUIRE(db->save_outcomes(
                  {unmapped(0, "Coffee Chat"), unmapped(1, " coffee  chat")})
                .ok());
    REQUIRE(db->save_outcomes({unmapped(2, "Coffee Chat")}).ok());
  }
  auto db = storage::store::open(dir.options()); // counts outlive a restart
  std::vector<std::tuple<std::int64_t, std::string, std::uint64_t>> seen;
  REQUIRE(db->for_each_unmapped_stage([&](auto tenant, auto& stage, auto n) {
              seen.emplace_back(tenant, stage, n);
            }).ok());
  REQUIRE(seen.size() == 2);
  CHECK(std::get<0>(seen[0]) == 6);
  CHECK(std::get<2>(seen[0]) == 2);
  CHECK(std::get<0>(seen[1]) == 7);
  CHECK(std::get<1>(seen[1]) == "Coffee Chat");
  CHECK(std::get<2>(seen[1]) == 1);
}
