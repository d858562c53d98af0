// Write-ahead log files whose blocks exist before RocksDB writes to them.
//
// A synced write to a fresh log file costs a second disk round trip: the
// file grows, so fdatasync must also write its inode (and on ext4 turn the
// preallocated extent into a written one). A file already filled with zeros
// has neither: fdatasync writes the data alone (here 110-140 µs against
// 200-250 µs for the same write appended; README, "How it is built"). So a
// background thread keeps one such file ready in the store folder, and a new
// log file RocksDB asks for while it is ready takes it over (rename, no
// truncation) while the next one is prepared; one asked for meanwhile is an
// ordinary file. RocksDB's log reader passes over zero blocks without a
// complaint, so a log cut short by a crash reads back the same as before.
//
// Only the storage layer sees this; store::open installs it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace rocksdb {
class Env;
}

namespace introvy::storage {

/// The bytes of one prepared file: a little more than a memtable's worth of
/// log, so most log files stay inside it (one that outgrows it just grows).
constexpr std::uint64_t wal_spare_bytes = 12 << 20;

/// An Env for a store in `folder` that hands out prepared log files. Its
/// thread stops when the Env is destroyed (after the DB is closed), which
/// also removes a prepared file nobody took.
std::unique_ptr<rocksdb::Env>
make_wal_file_env(const std::string& folder,
                  std::uint64_t spare_bytes = wal_spare_bytes);

} // namespace introvy::storage
