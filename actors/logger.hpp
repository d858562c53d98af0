// The actors' named logger.
#pragma once

#include <memory>
#include <spdlog/spdlog.h>

namespace introvy::actors {

inline std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto existing = spdlog::get("actors");
    return existing ? existing : spdlog::default_logger()->clone("actors");
  }();
  return log;
}

} // namespace introvy::actors
