#include "storage/pending_dedup.hpp"

#include <algorithm>
#include <functional>
#include <numeric>

namespace introvy::storage {
namespace {

constexpr std::size_t initial_slots = 1024;

} // namespace

std::uint64_t pending_dedup::hash_of(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

std::size_t pending_dedup::probe(std::string_view key,
                                 std::uint64_t hash) const {
  auto mask = slots_.size() - 1;
  for (auto i = hash & mask;; i = (i + 1) & mask) {
    const auto& s = slots_[i];
    if (s.index == empty_slot || (s.hash == hash && key_at(s.index) == key))
      return i;
  }
}

void pending_dedup::add(std::string_view key, const dedup_record& record) {
  if ((records_.size() + 1) * 2 > slots_.size())
    grow();
  auto hash = hash_of(key);
  auto& s = slots_[probe(key, hash)];
  highest_seq_ = std::max(highest_seq_, record.seq);
  if (s.index != empty_slot) {
    records_[s.index].record = record;
    return;
  }
  s = {hash, static_cast<std::uint32_t>(records_.size())};
  records_.push_back({static_cast<std::uint32_t>(keys_.size()),
                      static_cast<std::uint32_t>(key.size()), record});
  keys_.append(key);
}

std::optional<dedup_record> pending_dedup::find(std::string_view key) const {
  if (records_.empty())
    return std::nullopt;
  const auto& s = slots_[probe(key, hash_of(key))];
  if (s.index == empty_slot)
    return std::nullopt;
  return records_[s.index].record;
}

void pending_dedup::grow() {
  std::vector<slot> old(std::max(initial_slots, slots_.size() * 2));
  old.swap(slots_);
  auto mask = slots_.size() - 1;
  for (const auto& s : old) {
    if (s.index == empty_slot)
      continue;
    auto i = s.hash & mask;
    while (slots_[i].index != empty_slot)
      i = (i + 1) & mask;
    slots_[i] = s;
  }
}

std::vector<std::uint32_t> pending_dedup::sorted_indexes() const {
  std::vector<std::uint32_t> order(records_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [this](auto a, auto b) { return key_at(a) < key_at(b); });
  return order;
}

void pending_dedup::clear() {
  // The table keeps its size: it fills up again the same way.
  std::fill(slots_.begin(), slots_.end(), slot{});
  records_.clear();
  keys_.clear();
  highest_seq_ = 0;
}

} // namespace introvy::storage
