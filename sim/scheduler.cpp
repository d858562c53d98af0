#include "sim/scheduler.hpp"

#include <algorithm>

namespace introvy::sim {

scheduler::scheduler(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i)
    threads_.emplace_back([this] { run(); });
}

scheduler::~scheduler() {
  stop();
}

void scheduler::at(std::chrono::steady_clock::time_point when, task work) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_)
      return;
    tasks_.emplace(std::pair{when, sequence_++}, std::move(work));
  }
  wake_.notify_one();
}

void scheduler::after(std::chrono::milliseconds delay, task work) {
  at(std::chrono::steady_clock::now() + delay, std::move(work));
}

void scheduler::clear() {
  std::lock_guard lock{mutex_};
  tasks_.clear();
}

void scheduler::stop() {
  {
    std::lock_guard lock{mutex_};
    if (stopping_)
      return;
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_)
    t.join();
}

void scheduler::run() {
  std::unique_lock lock{mutex_};
  while (!stopping_) {
    if (tasks_.empty()) {
      wake_.wait(lock);
      continue;
    }

    // Wait for the earliest task; an earlier one may arrive meanwhile.
    auto due = tasks_.begin()->first.first;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    auto work = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());

    lock.unlock();
    work();
    lock.lock();
  }
}

} // namespace introvy::sim
