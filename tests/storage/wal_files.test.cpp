#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <string>
#include <thread>
#include <vector>

#include "storage/wal_files.hpp"
#include "tests/storage/crash_copy.hpp"

using namespace introvy;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t spare_bytes = 256 << 10;

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("introvy-wal-test-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~temp_dir() { fs::remove_all(path); }
};

fs::path spare_of(const fs::path& folder) {
  return folder / "introvy-wal-spare";
}

// Waits (at most five seconds) until the prepared file is there, full size.
bool spare_ready(const fs::path& folder) {
  return test::wait_until([&] {
    std::error_code ec;
    return fs::file_size(spare_of(folder), ec) == spare_bytes && !ec;
  });
}

std::vector<fs::path> log_files(const fs::path& folder) {
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().extension() == ".log")
      logs.push_back(entry.path());
  std::sort(logs.begin(), logs.end());
  return logs;
}

// A database opened with the prepared log files (or, with env == nullptr,
// RocksDB's own Env, as a later version or a tool would).
std::unique_ptr<rocksdb::DB> open_db(const fs::path& folder,
                                     rocksdb::Env* env) {
  rocksdb::Options options;
  options.create_if_missing = true;
  if (env != nullptr)
    options.env = env;
  rocksdb::DB* db = nullptr;
  auto s = rocksdb::DB::Open(options, folder.string(), &db);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return std::unique_ptr<rocksdb::DB>{db};
}

void put_synced(rocksdb::DB& db, const std::string& key) {
  rocksdb::WriteOptions synced;
  synced.sync = true;
  REQUIRE(db.Put(synced, key, "value of " + key).ok());
}

std::string get(rocksdb::DB& db, const std::string& key) {
  std::string value;
  auto s = db.Get({}, key, &value);
  return s.ok() ? value : s.ToString();
}

} // namespace

TEST_CASE("a new write-ahead log takes over the prepared file, and the next "
          "one is prepared") {
  temp_dir dir;
  auto env = storage::make_wal_file_env(dir.path.string(), spare_bytes);
  auto db = open_db(dir.path, env.get());
  REQUIRE(spare_ready(dir.path));

  put_synced(*db, "a");
  REQUIRE(db->Flush({}).ok()); // a flush starts a new log file
  // The live log is the prepared file: written at its start, its zeros
  // beyond, so it has the prepared size rather than the size of what it
  // holds.
  put_synced(*db, "b");
  auto logs = log_files(dir.path);
  REQUIRE(!logs.empty());
  CHECK(fs::file_size(logs.back()) == spare_bytes);
  CHECK(spare_ready(dir.path));

  db.reset();
  env.reset();
  CHECK_FALSE(fs::exists(spare_of(dir.path))); // removed when unused
  // A clean close cuts the log back to what it holds.
  for (const auto& log : log_files(dir.path))
    CHECK(fs::file_size(log) < spare_bytes);
}

TEST_CASE("a prepared log cut short by a crash reads back whole") {
  temp_dir dir;
  temp_dir crashed;
  auto env = storage::make_wal_file_env(dir.path.string(), spare_bytes);
  auto db = open_db(dir.path, env.get());
  REQUIRE(spare_ready(dir.path));
  put_synced(*db, "before");
  REQUIRE(db->Flush({}).ok());
  for (int i = 0; i < 100; ++i)
    put_synced(*db, "key-" + std::to_string(i));

  // What kill -9 leaves: the live log with records, then zeros.
  // RocksDB's own flushes and compactions delete files too: held still
  // while the image is taken.
  REQUIRE(db->PauseBackgroundWork().ok());
  test::copy_live_store(dir.path, crashed.path);
  REQUIRE(db->ContinueBackgroundWork().ok());
  REQUIRE(fs::file_size(log_files(crashed.path).back()) == spare_bytes);

  SECTION("through RocksDB's own Env") {
    auto restarted = open_db(crashed.path, nullptr);
    CHECK(get(*restarted, "before") == "value of before");
    for (int i = 0; i < 100; ++i)
      CHECK(get(*restarted, "key-" + std::to_string(i)) ==
            "value of key-" + std::to_string(i));
  }
  SECTION("through the prepared files again, writing on") {
    auto restarted_env =
        storage::make_wal_file_env(crashed.path.string(), spare_bytes);
    auto restarted = open_db(crashed.path, restarted_env.get());
    CHECK(get(*restarted, "key-99") == "value of key-99");
    put_synced(*restarted, "after");
    restarted.reset();
    auto again = open_db(crashed.path, restarted_env.get());
    CHECK(get(*again, "after") == "value of after");
    CHECK(get(*again, "key-0") == "value of key-0");
  }
}

TEST_CASE("a folder where no log file can be prepared still works") {
  temp_dir dir;
  // Something else holds the prepared file's name: a non-empty folder.
  fs::create_directories(spare_of(dir.path) / "in-the-way");
  auto env = storage::make_wal_file_env(dir.path.string(), spare_bytes);
  auto db = open_db(dir.path, env.get());
  for (int round = 0; round < 3; ++round) {
    put_synced(*db, "k" + std::to_string(round));
    REQUIRE(db->Flush({}).ok());
  }
  db.reset();
  db = open_db(dir.path, env.get());
  CHECK(get(*db, "k2") == "value of k2");
  CHECK(fs::is_directory(spare_of(dir.path) / "in-the-way"));
}

TEST_CASE("records survive many log files taken over one after another") {
  temp_dir dir;
  temp_dir crashed;
  auto env = storage::make_wal_file_env(dir.path.string(), spare_bytes);
  auto db = open_db(dir.path, env.get());
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 40; ++i)
      put_synced(*db, "r" + std::to_string(round) + "-" + std::to_string(i));
    REQUIRE(spare_ready(dir.path));
    REQUIRE(db->Flush({}).ok()); // the next log file takes the prepared one
    put_synced(*db, "r" + std::to_string(round) + "-first");
    REQUIRE(fs::file_size(log_files(dir.path).back()) == spare_bytes);
  }
  // RocksDB's own flushes and compactions delete files too: held still
  // while the image is taken.
  REQUIRE(db->PauseBackgroundWork().ok());
  test::copy_live_store(dir.path, crashed.path);
  REQUIRE(db->ContinueBackgroundWork().ok());
  auto restarted = open_db(crashed.path, nullptr);
  for (int round = 0; round < 30; ++round)
    for (const auto& suffix : {std::string{"first"}, std::string{"39"}}) {
      auto key = "r" + std::to_string(round) + "-" + suffix;
      REQUIRE(get(*restarted, key) == "value of " + key);
    }
}

TEST_CASE("closing while a log file is being prepared leaves nothing behind") {
  temp_dir dir;
  {
    // Large enough that the first preparation is still running at close.
    auto env = storage::make_wal_file_env(dir.path.string(), 64 << 20);
    auto db = open_db(dir.path, env.get());
    put_synced(*db, "k");
  }
  CHECK_FALSE(fs::exists(spare_of(dir.path)));
  CHECK_FALSE(fs::exists(dir.path / "introvy-wal-spare.filling"));
  auto db = open_db(dir.path, nullptr);
  CHECK(get(*db, "k") == "value of k");
}
