// Dedup records whose events are durable in the log but which the dedup
// family does not hold yet. The store writes them there in sorted slices
// (dedup_tail below): RocksDB's memtable is a skip list, and a key inserted
// next to the one before it costs a few comparisons, where a random GUID costs
// a search from the top (about a fifth of all the work per webhook, measured).
// Until then they are answered from here, and after a crash they are read
// back from the log (see store::open).
//
// Laid out for the cache, since nearly every lookup is for a new key: an
// open-addressing table of (hash, index) slots, the keys side by side in one
// string, the records in one vector. A lookup that misses reads one slot.
//
// Not thread-safe: the store guards it.
#pragma once

#include <algorithm>
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

  /// The records are numbered in the order they were first added.
  std::string_view key_at(std::uint32_t index) const {
    const auto& e = records_[index];
    return {keys_.data() + e.key_offset, e.key_size};
  }
  const dedup_record& record_at(std::uint32_t index) const {
    return records_[index].record;
  }
  /// Their numbers in key order (RocksDB's bytewise order).
  std::vector<std::uint32_t> sorted_indexes() const;

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
  /// The slot holding `key`, or the empty slot where it would go.
  std::size_t probe(std::string_view key, std::uint64_t hash) const;
  void grow();

  std::vector<slot> slots_; // a power of two, at most half full
  std::vector<entry> records_;
  std::string keys_;
  std::uint64_t highest_seq_ = 0;
};

/// The records not yet in the dedup family, as two tables: one filling with
/// new records, and one being written out in slices, in key order, so that
/// no single commit pays for a whole table (16,384 inserts are about 10 ms).
class dedup_tail {
public:
  void add(std::string_view key, const dedup_record& record) {
    filling_.add(key, record);
  }

  std::optional<dedup_record> find(std::string_view key) const {
    if (auto found = filling_.find(key))
      return found;
    return draining_.find(key);
  }

  std::size_t filling_size() const { return filling_.size(); }
  bool empty() const { return filling_.empty() && draining_.empty(); }
  bool draining() const { return !draining_.empty(); }

  /// Turns the filling table into the one to write out; only when none is.
  void start_drain() {
    std::swap(filling_, draining_);
    order_ = draining_.sorted_indexes();
    written_ = 0;
  }

  /// Calls `visit` with the next (at most) `limit` records to write, in key
  /// order; gives how many, and whether they are the last of the table.
  template <class Visit>
  std::pair<std::size_t, bool> next_slice(std::size_t limit,
                                          Visit&& visit) const {
    auto end = std::min(order_.size(), written_ + limit);
    for (auto i = written_; i < end; ++i)
      visit(draining_.key_at(order_[i]), draining_.record_at(order_[i]));
    return {end - written_, end == order_.size()};
  }

  /// The table being written out reaches this sequence number.
  std::uint64_t draining_through() const { return draining_.highest_seq(); }

  /// After a slice is in the dedup family.
  void slice_written(std::size_t count) {
    written_ += count;
    if (written_ < order_.size())
      return;
    draining_.clear();
    order_.clear();
    written_ = 0;
  }

  /// Every record of both tables, in no particular order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const auto* table : {&draining_, &filling_})
      for (std::uint32_t i = 0; i < table->size(); ++i)
        visit(table->key_at(i), table->record_at(i));
  }

private:
  pending_dedup filling_;
  pending_dedup draining_;
  std::vector<std::uint32_t> order_; // draining_'s records, by key
  std::size_t written_ = 0;          // how many of order_ are written
};

} // namespace introvy::storage
