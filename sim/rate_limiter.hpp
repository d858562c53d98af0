// Per-tenant request budget: at most `per_second` calls in each one-second
// window of the simulator's clock; the call past it is refused (429). Also
// counts every call per tenant, endpoint and second for GET /_sim/requests.
//
// Threads: every member may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "sim/clock.hpp"

namespace introvy::sim {

inline constexpr unsigned default_requests_per_second = 5;

class rate_limiter {
public:
  /// `per_second` 0 disables the limit.
  rate_limiter(const clock& clock, unsigned per_second);

  /// Counts the call; false when the tenant is over its budget for the
  /// current second (a refused call counts too, as on a real gateway).
  bool admit(std::int64_t tenant_id, const std::string& endpoint);

  /// [{"tenant", "endpoint", "second", "count", "refused"}...], seconds
  /// counted from the limiter's creation.
  nlohmann::json counts() const;

  void clear();

private:
  std::int64_t second_now() const;

  struct tally {
    unsigned count = 0, refused = 0;
  };

  const clock& clock_;
  unsigned per_second_;
  time_point origin_;
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::pair<std::int64_t, unsigned>> windows_;
  std::map<std::tuple<std::int64_t, std::string, std::int64_t>, tally> counts_;
};

} // namespace introvy::sim
