// The network layer's named logger ("net").
#pragma once

#include <memory>
#include <spdlog/spdlog.h>

namespace introvy::net {

inline std::shared_ptr<spdlog::logger> logger() {
  static auto log = [] {
    auto existing = spdlog::get("net");
    return existing ? existing : spdlog::default_logger()->clone("net");
  }();
  return log;
}

} // namespace introvy::net
