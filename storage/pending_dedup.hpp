// Dedup records whose events are durable in the log but which the dedup
// family does not hold yet. The store writes them there in large batches,
// sorted by key: RocksDB's memtable is a skip list, and a key inserted next
// to the one before it costs a few comparisons, where a random GUID costs a
// search from the top (about a fifth of all the work per webhook, measured).
// Until then they are answered from here, and after a crash they are read
// back from the log (see store::open).
//
// Laid out for the cache, since nearly every lookup is for a new key: an
// open-addressing table of (hash, index) slots, the keys side by side in one
// string, the records in one vector. A lookup that misses reads one slot.
//
// Not thread-safe: the store guards it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/keys.hpp"

namespace introvy::storage {

class pending_dedup {
public:
  /// Keeps `record` under `key` (a dedup_key); a later record of the same
  /// key replaces it, as a later Put would.
  void add(std::string_view key, const dedup_record& record);

  std::optional<dedup_record> find(std::string_view key) const;

  std::size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

  /// The highest sequence number among the records (0 when empty).
  std::uint64_t highest_seq() const { return highest_seq_; }

  /// Calls `visit` with every key and record, in key order (RocksDB's
  /// bytewise order).
  template <class Visit> void for_each_sorted(Visit&& visit) const {
    for (auto i : sorted_indexes())
      visit(key_at(i), records_[i].record);
  }

  void clear();

private:
  struct slot {
    std::uint64_t hash = 0;
    std::uint32_t index = empty_slot;
  };
  struct entry {
    std::uint32_t key_offset;
    std::uint32_t key_size;
    dedup_record record;
  };
  static constexpr std::uint32_t empty_slot = UINT32_MAX;

  static std::uint64_t hash_of(std::string_view key);
  std::string_view key_at(std::uint32_t index) const {
    const auto& e = records_[index];
    return {keys_.data() + e.key_offset, e.key_size};
  }
  /// The slot holding `key`, or the empty slot where it would go.
  std::size_t probe(std::string_view key, std::uint64_t hash) const;
  void grow();
  std::vector<std::uint32_t> sorted_indexes() const;

  std::vector<slot> slots_; // a power of two, at most half full
  std::vector<entry> records_;
  std::string keys_;
  std::uint64_t highest_seq_ = 0;
};

} // namespace introvy::storage
