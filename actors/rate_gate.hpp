// A token bucket: at most `rate` takes per second on average, with bursts of
// at most `burst`. Used for each tenant's gateway (one actor, one bucket) and
// for the partner-wide ceiling shared by every gateway (any thread).
// Thread-safe; time is passed in, so tests drive it with their own clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>

namespace introvy::actors {

class rate_gate {
public:
  using clock = std::chrono::steady_clock;

  /// `rate` > 0 takes per second; `burst` >= 1.
  rate_gate(double rate, double burst = 1)
      : rate_(rate)
      , burst_(std::max(1.0, burst))
      , tokens_(burst_) {}

  /// Takes one token when one is there. Otherwise returns how long until
  /// one will be, and takes nothing.
  clock::duration try_take(clock::time_point now) {
    std::lock_guard lock{mutex_};
    refill(now);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return clock::duration::zero();
    }
    auto seconds = (1 - tokens_) / rate_;
    return std::chrono::duration_cast<clock::duration>(
               std::chrono::duration<double>(seconds)) +
           std::chrono::microseconds{1};
  }

  /// Gives back a token taken by try_take that was not used after all.
  void give_back() {
    std::lock_guard lock{mutex_};
    tokens_ = std::min(burst_, tokens_ + 1);
  }

  double rate() const { return rate_; }

private:
  void refill(clock::time_point now) {
    if (last_ != clock::time_point{}) {
      std::chrono::duration<double> elapsed = now - last_;
      tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
    }
    last_ = now;
  }

  std::mutex mutex_;
  const double rate_;
  const double burst_;
  double tokens_;
  clock::time_point last_{};
};

} // namespace introvy::actors
