// Stage maps as configuration: the TOML form of a map, the default map
// compiled into the service, and the effective map of one tenant (the
// default changed by that tenant's [[tenant]] keys).
#pragma once

#include <string_view>

#include "config/config.hpp"
#include "domain/stage_map.hpp"

namespace introvy::config {

/// Parses the text of a map file: one table `[stages]` of
/// `"Stage Name" = ["workflow", ...]`, nothing else. Throws
/// std::invalid_argument reading "SOURCE:LINE:COLUMN: KEY: problem" on a TOML
/// syntax error, an unknown key or workflow name, a value that is not an
/// array of names, a workflow listed twice, or two stage names that
/// normalise to the same one.
domain::stage_map parse_stage_map(std::string_view toml_text,
                                  std::string_view source);

/// The default map shipped with the service: config/default_stages.toml,
/// embedded in the binary when it is built. Parsed on first use; safe to
/// call from any thread.
const domain::stage_map& default_stage_map();

/// The map a tenant's events are mapped with: the default map (or an empty
/// one with replace_default_stages), without remove_stages, with the rows of
/// [tenant.stages] added or replacing. load_string has validated the
/// tenant's keys; an invalid tenant_config built by hand throws
/// std::invalid_argument.
domain::stage_map tenant_stage_map(const tenant_config& tenant);

} // namespace introvy::config
