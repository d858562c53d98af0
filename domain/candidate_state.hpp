// What we remember about one candidate of one tenant: how far in the event
// log it has got, and one history entry per event applied to it. The
// summary is small and rewritten on each event; history entries are written
// once each, so applying an event costs the same however long the history.
// Pure logic; storage keeps both as JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "domain/webhook_event.hpp"

namespace introvy::domain {

struct history_entry {
  std::uint64_t seq = 0;
  std::string correlation_id;
  std::string event_name;
  std::int64_t pipeline_id = 0;
  std::int64_t received_at_ms = 0;
  std::int64_t applied_at_ms = 0;
};

std::string to_json(const history_entry& entry);
/// Throws std::invalid_argument on a corrupt entry.
history_entry history_entry_from_json(const std::string& text);

class candidate_state {
public:
  /// Applies an event unless it was applied already (events of a candidate
  /// arrive in log order, so anything at or below the last sequence is a
  /// replay). Returns the history entry to record, or nothing.
  std::optional<history_entry> apply(const webhook_event& event,
                                     std::int64_t now_ms);

  std::uint64_t last_seq() const { return last_seq_; }
  std::uint64_t events_applied() const { return events_applied_; }

  /// The summary record (without the history).
  std::string to_json() const;
  /// Throws std::invalid_argument on a corrupt record.
  static candidate_state from_json(const std::string& text);

private:
  std::uint64_t last_seq_ = 0;
  std::uint64_t events_applied_ = 0;
};

} // namespace introvy::domain
