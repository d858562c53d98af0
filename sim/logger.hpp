// The simulator's named logger, "[sim]".
#pragma once

#include <memory>
#include <spdlog/spdlog.h>

namespace introvy::sim {

inline std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto existing = spdlog::get("sim");
    return existing ? existing : spdlog::default_logger()->clone("sim");
  }();
  return log;
}

} // namespace introvy::sim
