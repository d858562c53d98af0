// What we remember about one candidate (one talent) of one tenant: the
// allow-listed talent record, each pipeline entry the talent sits in with its
// job, recruiter and the stage last decided, how far in the event log the
// candidate has got, and one history entry per event applied, carrying the
// decision that event led to.
//
// The summary is small and rewritten on each event; history entries are
// written once each, so applying an event costs the same however long the
// history. Pure logic; storage keeps both as JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/avionte_records.hpp"
#include "domain/stage_map.hpp"
#include "domain/webhook_event.hpp"

namespace introvy::domain {

/// Everything read from Avionté about one event, already reduced to the
/// allow-listed fields.
struct enrichment {
  pipeline_record pipeline;
  talent_record talent;
  job_record job;
  std::optional<user_record> recruiter; // none when Avionté names nobody
};

/// What an event led to.
enum class decision_kind {
  started,   // the stage starts these workflows
  no_action, // a known stage that starts nothing
  unchanged, // the pipeline entry was at this stage already
  unmapped,  // the tenant's map does not know the stage: dropped
};

std::string_view to_string(decision_kind kind);

struct decision {
  decision_kind kind = decision_kind::no_action;
  std::string stage; // as Avionté spells it
  std::vector<workflow> workflows;
  std::string reason; // a sentence for engineers
};

struct history_entry {
  std::uint64_t seq = 0;
  std::string correlation_id;
  std::string event_name;
  std::int64_t pipeline_id = 0;
  std::int64_t job_id = 0;
  std::int64_t received_at_ms = 0;
  std::int64_t applied_at_ms = 0;
  decision outcome;
};

std::string to_json(const history_entry& entry);
/// Throws std::invalid_argument on a corrupt entry.
history_entry history_entry_from_json(const std::string& text);

/// Decides what a stage starts for a pipeline entry whose last decided
/// stage is `previous_stage_key` (normalised; empty when none).
decision decide_stage(std::string_view stage_name,
                      std::string_view previous_stage_key,
                      const stage_map& map);

class candidate_state {
public:
  /// Events of a candidate arrive in log order, so anything at or below the
  /// last sequence is a replay.
  bool already_applied(const webhook_event& event) const {
    return event.seq <= last_seq_;
  }

  /// Records what Avionté said and decides the event: the history entry to
  /// store. The same stage delivered again is `unchanged` and starts nothing.
  history_entry apply(const webhook_event& event, const enrichment& facts,
                      const stage_map& map, std::int64_t now_ms);

  std::uint64_t last_seq() const { return last_seq_; }
  std::uint64_t events_applied() const { return events_applied_; }
  const std::optional<talent_record>& talent() const { return talent_; }

  /// The summary record (without the history).
  std::string to_json() const;
  /// Throws std::invalid_argument on a corrupt record.
  static candidate_state from_json(const std::string& text);

private:
  struct pipeline_state {
    pipeline_record pipeline;
    job_record job;
    std::optional<user_record> recruiter;
    std::string stage_key; // normalised stage last decided
    std::vector<workflow> workflows;
    std::uint64_t decided_seq = 0;
  };

  std::uint64_t last_seq_ = 0;
  std::uint64_t events_applied_ = 0;
  std::optional<talent_record> talent_;
  std::map<std::int64_t, pipeline_state> pipelines_; // by pipeline id
};

} // namespace introvy::domain
