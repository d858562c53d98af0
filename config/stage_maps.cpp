#include "config/stage_maps.hpp"

#include "config/default_stages.hpp" // generated from default_stages.toml
#include "config/toml_support.hpp"

#include <stdexcept>
#include <string>

namespace introvy::config {
namespace {

toml::table parse_map_text(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    auto message = std::string(source);
    if (e.source().begin.line > 0)
      message += ':' + std::to_string(e.source().begin.line) + ':' +
                 std::to_string(e.source().begin.column);
    throw std::invalid_argument(message + ": " + std::string(e.description()));
  }
}

domain::stage_map read_map(const toml::table& document) {
  using toml_support::problem;

  // One table, so that a misspelt [stagse] cannot yield an empty map.
  for (auto&& [key, node] : document) {
    if (key.str() != "stages")
      throw problem{key.source(), toml_support::quote_key(key.str()),
                    "unknown key (a map file holds one table, [stages])"};
  }
  auto node = document.get("stages");
  if (node == nullptr)
    throw problem{document.source(), "stages", "required table is missing"};
  if (!node->is_table())
    throw problem{node->source(), "stages",
                  "expected a table, got " +
                      toml_support::type_name(node->type())};

  domain::stage_map map;
  for (auto& row : toml_support::read_stage_rows(*node->as_table(), "stages"))
    map.set(row.name, std::move(row.workflows));
  return map;
}

} // namespace

domain::stage_map parse_stage_map(std::string_view toml_text,
                                  std::string_view source) {
  auto document = parse_map_text(toml_text, source);
  try {
    return read_map(document);
  } catch (const toml_support::problem& p) {
    throw std::invalid_argument(
        toml_support::located(source, p.where, p.key, p.text));
  }
}

const domain::stage_map& default_stage_map() {
  // A broken embedded file fails the first call, which the tests make.
  static const domain::stage_map map = parse_stage_map(
      generated::default_stages_toml, "config/default_stages.toml");
  return map;
}

domain::stage_map tenant_stage_map(const tenant_config& tenant) {
  domain::stage_map map;
  if (!tenant.replace_default_stages)
    map = default_stage_map();

  for (const auto& name : tenant.remove_stages)
    map.remove(name);

  for (const auto& [name, names] : tenant.stages) {
    std::vector<domain::workflow> workflows;
    for (const auto& workflow_name : names) {
      auto workflow = domain::parse_workflow(workflow_name);
      if (!workflow)
        throw std::invalid_argument("tenant " + tenant.tenant + ": stage " +
                                    name + ": unknown workflow " +
                                    workflow_name);
      workflows.push_back(*workflow);
    }
    map.set(name, std::move(workflows));
  }
  return map;
}

} // namespace introvy::config
