#include "storage/wal_files.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <spdlog/spdlog.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace introvy::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* spare_name = "introvy-wal-spare";
constexpr auto piece_pause = std::chrono::milliseconds(2);

// RocksDB names its log files NNNNNN.log in the store folder.
bool is_log_file(const fs::path& file, const fs::path& folder) {
  if (file.parent_path() != folder || file.extension() != ".log")
    return false;
  auto stem = file.stem().string();
  return !stem.empty() &&
         stem.find_first_not_of("0123456789") == std::string::npos;
}

// Writes `bytes` zeros to a new file at `path` and waits until they are on
// disk. False (and no file) when it cannot, or when `stop` is set meanwhile.
bool write_zeros(const std::string& path, std::uint64_t bytes,
                 const std::atomic<bool>& stop, std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = std::strerror(errno);
    return false;
  }
  // In pieces whose write-back starts at once (no cache flush each), with
  // pauses between them, then one sync: written at once, the zeros queued
  // ahead of the log's own syncs and doubled the ingress p99.
  static const std::vector<char> zeros(256 << 10, 0);
  bool ok = true;
  std::uint64_t done = 0;
  for (std::uint64_t left = bytes; ok && left > 0;) {
    if (stop.load()) {
      ok = false;
      break;
    }
    auto n =
        static_cast<std::size_t>(std::min<std::uint64_t>(left, zeros.size()));
    auto written = ::write(fd, zeros.data(), n);
    if (written < 0 && errno == EINTR)
      continue;
    ok = written > 0;
    if (!ok)
      break;
    ::sync_file_range(fd, static_cast<off_t>(done), written,
                      SYNC_FILE_RANGE_WRITE);
    done += static_cast<std::uint64_t>(written);
    left -= static_cast<std::uint64_t>(written);
    std::this_thread::sleep_for(piece_pause);
  }
  ok = ok && ::fdatasync(fd) == 0;
  if (!ok)
    error = std::strerror(errno);
  ::close(fd);
  if (!ok)
    ::unlink(path.c_str());
  return ok;
}

class wal_file_system : public rocksdb::FileSystemWrapper {
public:
  wal_file_system(const std::string& folder, std::uint64_t spare_bytes)
      : FileSystemWrapper(rocksdb::FileSystem::Default())
      , folder_(fs::path{folder}.lexically_normal())
      , spare_((folder_ / spare_name).string())
      , spare_bytes_(spare_bytes) {
    std::error_code ignored;
    fs::create_directories(folder_, ignored); // RocksDB would, a bit later
    fs::remove(spare_, ignored); // from a run that stopped before using it
    fs::remove(filling_, ignored);
    worker_ = std::thread([this] { prepare_spares(); });
  }

  ~wal_file_system() override {
    stop_ = true; // cuts a preparation short
    {
      std::lock_guard lock{mutex_};
      stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
    std::error_code ignored;
    fs::remove(spare_, ignored);
    fs::remove(filling_, ignored);
  }

  const char* Name() const override { return "introvy.wal_files"; }

  rocksdb::IOStatus
  NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                  std::unique_ptr<rocksdb::FSWritableFile>* file,
                  rocksdb::IODebugContext* debug) override {
    if (is_log_file(fs::path{name}.lexically_normal(), folder_) &&
        spare_ready()) {
      // Renames the prepared file to `name` and opens it without
      // truncating. Only then may the next one be prepared.
      auto s = target()->ReuseWritableFile(name, spare_, options, file, debug);
      spare_taken();
      if (s.ok())
        return s;
      spdlog::warn("store: prepared log file not usable, a new one is made: {}",
                   s.ToString());
    }
    return target()->NewWritableFile(name, options, file, debug);
  }

private:
  bool spare_ready() {
    std::lock_guard lock{mutex_};
    return ready_;
  }

  void spare_taken() {
    {
      std::lock_guard lock{mutex_};
      ready_ = false;
    }
    wake_.notify_all();
  }

  void prepare_spares() {
    std::unique_lock lock{mutex_};
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !ready_; });
      if (stopping_)
        return;
      lock.unlock();
      // Written under another name: the prepared file's name only ever
      // holds a complete one.
      std::string error;
      bool ok = write_zeros(filling_, spare_bytes_, stop_, error);
      lock.lock();
      if (stopping_ || stop_)
        return; // the destructor removes what was written
      // Renamed under the lock: whoever sees the prepared file and then
      // asks for a log file finds it ready.
      ok = ok && rename_into_place(error);
      if (!ok) {
        // Log files are then made the ordinary way: slower syncs, same data.
        spdlog::warn("store: cannot prepare log files in {}: {}",
                     folder_.string(), error);
        return;
      }
      ready_ = true;
    }
  }

  bool rename_into_place(std::string& error) {
    if (::rename(filling_.c_str(), spare_.c_str()) == 0)
      return true;
    error = std::strerror(errno);
    ::unlink(filling_.c_str());
    return false;
  }

  const fs::path folder_;
  const std::string spare_;
  const std::string filling_ = spare_ + ".filling";
  const std::uint64_t spare_bytes_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool ready_ = false;
  bool stopping_ = false;
  std::atomic<bool> stop_{false};
  std::thread worker_;
};

} // namespace

std::unique_ptr<rocksdb::Env> make_wal_file_env(const std::string& folder,
                                                std::uint64_t spare_bytes) {
  return rocksdb::NewCompositeEnv(
      std::make_shared<wal_file_system>(folder, spare_bytes));
}

} // namespace introvy::storage
