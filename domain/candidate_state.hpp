// What we remember about one candidate of one tenant: the events applied to
// it, in arrival order. Pure logic; storage keeps it as JSON.
#pragma once

#include <cstdint>
#include <deque>
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

class candidate_state {
public:
  /// Most recent entries kept in the stored history; older ones are only
  /// counted, so a long-lived candidate's record stays small.
  static constexpr std::size_t max_history = 100;

  /// Applies an event unless it was applied already (events of a candidate
  /// arrive in log order, so anything at or below the last sequence is a
  /// replay). Returns whether it changed the state.
  bool apply(const webhook_event& event, std::int64_t now_ms);

  std::uint64_t last_seq() const { return last_seq_; }
  std::uint64_t events_applied() const { return events_applied_; }
  const std::deque<history_entry>& history() const { return history_; }

  std::string to_json() const;
  /// Throws std::invalid_argument on a corrupt record.
  static candidate_state from_json(const std::string& text);

private:
  std::uint64_t last_seq_ = 0;
  std::uint64_t events_applied_ = 0;
  std::deque<history_entry> history_;
};

} // namespace introvy::domain
