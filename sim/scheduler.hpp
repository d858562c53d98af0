// Runs tasks at a later moment of real (steady) time on its own threads:
// delayed answers for the latency fault, webhook deliveries and their
// retries. Tasks due at the same moment run in the order they were added.
//
// Threads: at() and after() may be called from any thread, tasks included.
// stop() (and the destructor) drop what has not started and wait for what
// has; at() after stop() does nothing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace introvy::sim {

class scheduler {
public:
  using task = std::function<void()>;

  explicit scheduler(unsigned threads = 1);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  void at(std::chrono::steady_clock::time_point when, task work);
  void after(std::chrono::milliseconds delay, task work);

  /// Drops the tasks not yet started (used by /_sim/reset).
  void clear();

  void stop();

private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  // (due, sequence) keeps equal due times in insertion order.
  std::map<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>,
           task>
      tasks_;
  std::uint64_t sequence_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace introvy::sim
