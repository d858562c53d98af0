// Crash images of a live store folder, for tests: what kill -9 would leave.
#pragma once

#include <chrono>
#include <filesystem>
#include <thread>

namespace introvy::test {

/// Waits until `done()` holds or `limit` passes; whether it held. The log
/// file preparer (storage/wal_files.hpp) works on its own thread and shows
/// its progress only in the folder, so tests look there.
template <class Condition>
bool wait_until(Condition done,
                std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

/// The preparer is idle: a prepared file is there and none is being
/// written. It stays so until RocksDB starts a new log file.
inline bool log_preparer_idle(const std::filesystem::path& folder) {
  return std::filesystem::exists(folder / "introvy-wal-spare") &&
         !std::filesystem::exists(folder / "introvy-wal-spare.filling");
}

/// Copies `from` to `to` once the preparer is idle, so that no file is
/// renamed while the copy runs.
inline void copy_live_store(const std::filesystem::path& from,
                            const std::filesystem::path& to) {
  wait_until([&] { return log_preparer_idle(from); });
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

} // namespace introvy::test
