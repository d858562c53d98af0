// The running service: store, metrics, actors and HTTP server, wired in
// start-up order and torn down in reverse.
#pragma once

#include <memory>

#include "config/config.hpp"

namespace introvy::apps {

class service {
public:
  /// Opens the store, spawns the actors, re-dispatches the inbox and starts
  /// listening. Throws std::runtime_error when any of that fails.
  explicit service(const config::service_config& config);
  ~service();

  /// Blocks until SIGINT or SIGTERM (which the caller must have blocked in
  /// every thread before constructing the service).
  void wait_for_stop_signal();

  /// Stop admitting, finish in-flight writes, stop the actors, close the
  /// store. Idempotent; the destructor calls it.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace introvy::apps
