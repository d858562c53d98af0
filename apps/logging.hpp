// Log set-up: one named logger per folder, all writing to standard error
// with the same pattern, at the configured level.
#pragma once

#include <string>

namespace introvy::apps {

/// Creates the loggers "app", "config", "storage", "net", "actors".
/// Throws std::invalid_argument on an unknown level.
void setup_logging(const std::string& level);

} // namespace introvy::apps
