// The simulator's notion of time. Token lifetimes, rate-limit windows and
// delivery retries read it, so tests can drive time by hand instead of
// sleeping.
//
// Threads: now() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace introvy::sim {

using time_point = std::chrono::steady_clock::time_point;

class clock {
public:
  virtual ~clock() = default;
  virtual time_point now() const = 0;
};

/// The process's steady clock.
class steady_clock_source final : public clock {
public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

/// A clock that moves only when told to (tests).
class manual_clock final : public clock {
public:
  time_point now() const override {
    return time_point{std::chrono::nanoseconds{ticks_.load()}};
  }
  void advance(std::chrono::nanoseconds by) { ticks_ += by.count(); }

private:
  std::atomic<std::chrono::nanoseconds::rep> ticks_{1'000'000'000};
};

} // namespace introvy::sim
