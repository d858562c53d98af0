// Pieces shared by the readers of TOML text in config/: how keys and
// positions are written in messages, and the reader of a stage table (used
// by [tenant.stages] and by stage map files alike). Internal to config/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "domain/stage_map.hpp"

namespace introvy::config::toml_support {

/// A key as TOML would write it: bare when it can be, quoted otherwise.
std::string quote_key(std::string_view key);

/// `prefix.key` (the key quoted when needed), or the key alone.
std::string join_key(const std::string& prefix, std::string_view key);

/// `prefix[index]`.
std::string index_key(const std::string& prefix, std::size_t index);

/// "an integer", "a string"... for "expected X, got Y" messages.
std::string type_name(toml::node_type type);

/// "SOURCE:LINE:COLUMN: KEY: problem"; the position is left out when the
/// region does not know it.
std::string located(std::string_view source, const toml::source_region& where,
                    std::string_view key, std::string_view problem);

/// What the shared readers throw: a problem at a place in the text. The
/// caller adds the source's name and chooses the exception it reports.
struct problem {
  toml::source_region where;
  std::string key;
  std::string text;
};

/// "video_submission, research_brief, ..." for messages.
std::string workflow_list();

/// One `"Stage Name" = ["workflow", ...]` row as written.
struct stage_row {
  std::string name;
  std::vector<domain::workflow> workflows;
  toml::source_region where; // of the key
};

/// Reads every row of a stage table whose dotted path is `path`, in the
/// order they are written. Throws `problem` on a blank name, a value that is
/// not an array of workflow names, an unknown or repeated workflow, or a
/// name that normalises to the same as an earlier row's.
std::vector<stage_row> read_stage_rows(const toml::table& table,
                                       const std::string& path);

} // namespace introvy::config::toml_support
