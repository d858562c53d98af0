// A crash image of a live store folder, for tests: what kill -9 would leave.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>

namespace introvy::test {

/// Copies `from` to `to` once the store's preparer of log files (see
/// storage/wal_files.hpp) is idle, so that no file is renamed while the
/// copy runs. It stays idle until RocksDB starts a new log file, which
/// writes alone do not do within a test's few records.
inline void copy_live_store(const std::filesystem::path& from,
                            const std::filesystem::path& to) {
  namespace fs = std::filesystem;
  for (int i = 0; i < 500; ++i) {
    if (fs::exists(from / "introvy-wal-spare") &&
        !fs::exists(from / "introvy-wal-spare.filling"))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fs::copy(from, to, fs::copy_options::recursive);
}

} // namespace introvy::test
