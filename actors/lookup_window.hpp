// How many pipeline lookups a tenant supervisor keeps outstanding: at most
// `limit`, the other events waiting their turn in arrival order. CAF 0.17
// keeps an actor's pending requests in a flat map searched linearly, so with
// thousands outstanding (up to actors.max_dispatched_events) every request
// and every answer cost a scan of them all; the gateway answers at its paced
// rate anyway, a few batches of ids at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace introvy::actors {

class lookup_window {
public:
  explicit lookup_window(std::size_t limit)
      : limit_(limit == 0 ? 1 : limit) {}

  /// A new event; true when its lookup may be asked for now, else it waits.
  bool arrive(std::uint64_t arrival) {
    if (outstanding_ < limit_) {
      ++outstanding_;
      return true;
    }
    waiting_.push_back(arrival);
    return false;
  }

  /// A lookup came back: the waiting event to ask for next, if any.
  std::optional<std::uint64_t> answered() {
    if (waiting_.empty()) {
      if (outstanding_ > 0)
        --outstanding_;
      return std::nullopt;
    }
    auto next = waiting_.front();
    waiting_.pop_front();
    return next; // takes the place of the one that came back
  }

  std::size_t outstanding() const { return outstanding_; }
  std::size_t waiting() const { return waiting_.size(); }

private:
  std::size_t limit_;
  std::size_t outstanding_ = 0;
  std::deque<std::uint64_t> waiting_;
};

} // namespace introvy::actors
