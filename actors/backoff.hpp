// How long a tenant's gateway waits after failed calls to Avionté, as
// Avionté asks of its clients: 5 s after a first error, 10 s after a second,
// then doubling, for at most five errors in a row (the first delay is
// configurable). Jitter spreads tenants that failed together. Pure.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <optional>

namespace introvy::actors {

/// The steps of the schedule: after the fifth error in a row the delay
/// stops growing.
inline constexpr std::size_t backoff_steps = 5;

/// The delay after `streak` (>= 1) errors in a row. `jitter` in [0, 1)
/// scales it between 80 % and 120 %. `retry_after`, when Avionté sent one,
/// is the delay instead.
inline std::chrono::milliseconds
backoff_delay(std::size_t streak, std::chrono::milliseconds initial,
              double jitter,
              std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  if (retry_after)
    return *retry_after;
  auto steps = std::clamp<std::size_t>(streak, 1, backoff_steps);
  auto base = initial * (1 << (steps - 1));
  return std::chrono::milliseconds{static_cast<long>(
      static_cast<double>(base.count()) * (0.8 + 0.4 * jitter))};
}

} // namespace introvy::actors
