// An event that could not be decided (Avionté kept failing, or does not know
// the records the webhook names), parked with its reason until an engineer
// retries it. Pure data; storage keeps it as JSON under its log sequence.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace introvy::domain {

struct dead_letter {
  std::uint64_t seq = 0; // the event's place in the log
  std::int64_t tenant_id = 0;
  std::string correlation_id;
  std::int64_t pipeline_id = 0;
  std::optional<std::int64_t> talent_id; // once the pipeline was resolved
  std::string reason; // safe to show: never holds a record's contents
  std::int64_t parked_at_ms = 0;
};

std::string to_json(const dead_letter& letter);
/// Throws std::invalid_argument on a corrupt record.
dead_letter dead_letter_from_json(const std::string& text);

} // namespace introvy::domain
