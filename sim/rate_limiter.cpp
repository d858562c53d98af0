#include "sim/rate_limiter.hpp"

namespace introvy::sim {

rate_limiter::rate_limiter(const clock& clock, unsigned per_second)
    : clock_(clock)
    , per_second_(per_second)
    , origin_(clock.now()) {}

std::int64_t rate_limiter::second_now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now() -
                                                          origin_)
      .count();
}

bool rate_limiter::admit(std::int64_t tenant_id, const std::string& endpoint) {
  std::lock_guard lock{mutex_};
  auto second = second_now();

  // The tenant's window: reset when a new second starts.
  auto& [window_second, used] = windows_[tenant_id];
  if (window_second != second) {
    window_second = second;
    used = 0;
  }
  ++used;
  bool admitted = per_second_ == 0 || used <= per_second_;

  auto& t = counts_[{tenant_id, endpoint, second}];
  ++t.count;
  if (!admitted)
    ++t.refused;
  return admitted;
}

nlohmann::json rate_limiter::counts() const {
  std::lock_guard lock{mutex_};
  auto out = nlohmann::json::array();
  for (const auto& [key, t] : counts_)
    out.push_back({{"tenant", std::get<0>(key)},
                   {"endpoint", std::get<1>(key)},
                   {"second", std::get<2>(key)},
                   {"count", t.count},
                   {"refused", t.refused}});
  return out;
}

void rate_limiter::clear() {
  std::lock_guard lock{mutex_};
  windows_.clear();
  counts_.clear();
}

} // namespace introvy::sim
