#include "apps/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <stdexcept>

namespace introvy::apps {

void setup_logging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off")
    throw std::invalid_argument("unknown log level " + level);

  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%Y-%m-%dT%H:%M:%S.%eZ %l [%n] %v", spdlog::pattern_time_type::utc));
  auto make = [&](const char* name) {
    auto log = std::make_shared<spdlog::logger>(name, sink);
    log->set_level(parsed);
    spdlog::drop(name);
    spdlog::register_logger(log);
    return log;
  };
  for (const char* name : {"config", "storage", "net", "actors"})
    make(name);
  spdlog::set_default_logger(make("app"));
  spdlog::flush_on(spdlog::level::info);
}

} // namespace introvy::apps
