// Items handed from some threads to another in batches. push() says when
// the queue was empty, so that its caller schedules one take_all(), which
// then takes everything pushed until it runs: one hand-over between threads
// per batch instead of one per item. Thread-safe.
#pragma once

#include <mutex>
#include <utility>
#include <vector>

namespace introvy::net {

template <class T>
class batch_queue {
public:
  /// Adds `item`; true when the queue was empty before (schedule a take).
  bool push(T&& item) {
    std::lock_guard lock{mutex_};
    items_.push_back(std::move(item));
    return items_.size() == 1;
  }

  /// Everything pushed so far, in order; the queue is empty afterwards.
  std::vector<T> take_all() {
    std::vector<T> taken;
    std::lock_guard lock{mutex_};
    taken.swap(items_);
    return taken;
  }

private:
  std::mutex mutex_;
  std::vector<T> items_; // guarded by mutex_
};

} // namespace introvy::net
