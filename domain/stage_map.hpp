// The workflows Introvy runs and the map from a tenant's pipeline stage names
// to them. Stage names are free text that each tenant spells its own way, so
// names are compared after normalize_stage_name, and nothing looser: a typo
// is an unknown stage, never a guess. Pure logic; the TOML form of a map and
// the shipped default live in config/stage_maps.hpp.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace introvy::domain {

enum class workflow {
  video_submission,
  research_brief,
  practice_audio,
  practice_video,
  thank_you,
};

/// Every workflow, in declaration order: the one list that configuration
/// messages and validation are derived from.
inline constexpr std::array<workflow, 5> all_workflows{
    workflow::video_submission, workflow::research_brief,
    workflow::practice_audio, workflow::practice_video, workflow::thank_you};

/// The snake_case name: "video_submission", "research_brief", ...
std::string_view to_string(workflow w);

/// The workflow with exactly this snake_case name (no other spelling).
std::optional<workflow> parse_workflow(std::string_view name);

/// True for the workflows that wait for a recruiter's approval before
/// anything reaches the candidate: video_submission, practice_audio and
/// practice_video.
bool needs_recruiter_approval(workflow w);

/// Trims ASCII whitespace, collapses each inner run of it to one space and
/// lower-cases ASCII letters: "  Onsite  Interview Scheduled " becomes
/// "onsite interview scheduled". Nothing else is changed.
std::string normalize_stage_name(std::string_view name);

/// Stage name -> the workflows a candidate reaching that stage starts. Keys
/// are kept normalised. A plain value: copy it freely, not thread-safe to
/// modify while others read it.
class stage_map {
public:
  using rows_type = std::map<std::string, std::vector<workflow>>;

  /// nullopt: the stage is unknown (log and drop the event); an empty
  /// vector: a known stage that starts nothing.
  std::optional<std::vector<workflow>>
  lookup(std::string_view stage_name) const;

  /// Adds the row or replaces the one with the same normalised name. Throws
  /// std::invalid_argument when the name normalises to nothing.
  void set(std::string_view stage_name, std::vector<workflow> workflows);

  /// Afterwards the stage is unknown. Removing an unknown stage does nothing.
  void remove(std::string_view stage_name);

  /// True when the normalised name has a row.
  bool contains(std::string_view stage_name) const;

  std::size_t size() const { return rows_.size(); }

  /// Every row, keyed by normalised name, in name order.
  const rows_type& rows() const { return rows_; }

private:
  rows_type rows_;
};

} // namespace introvy::domain
