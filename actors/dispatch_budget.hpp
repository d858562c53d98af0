// How many events may be in candidates' mailboxes at once. The ingress takes
// from the budget when it hands an event over; the candidate gives it back
// once the event's outcome is written. Events beyond the budget wait in the
// inbox on disk, so memory stays bounded however far processing lags.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace introvy::actors {

class dispatch_budget {
public:
  explicit dispatch_budget(std::int64_t limit)
      : limit_(limit) {}

  /// Takes one unit if any is left.
  bool try_take() {
    auto used = used_.load(std::memory_order_relaxed);
    while (used < limit_)
      if (used_.compare_exchange_weak(used, used + 1))
        return true;
    return false;
  }

  /// Takes one unit even beyond the limit (for the rare forced hand-over).
  void take() { used_.fetch_add(1); }

  void give_back() { used_.fetch_sub(1); }

  std::int64_t used() const { return used_.load(); }
  std::int64_t limit() const { return limit_; }

private:
  const std::int64_t limit_;
  std::atomic<std::int64_t> used_{0};
};

} // namespace introvy::actors
