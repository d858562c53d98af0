#include "config/toml_support.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <tuple>

namespace introvy::config::toml_support {
namespace {

bool before(const toml::source_region& a, const toml::source_region& b) {
  return std::tie(a.begin.line, a.begin.column) <
         std::tie(b.begin.line, b.begin.column);
}

std::vector<domain::workflow> read_workflows(const toml::node& node,
                                             const std::string& key) {
  if (!node.is_array())
    throw problem{node.source(), key,
                  "expected an array of workflow names, got " +
                      type_name(node.type())};

  std::vector<domain::workflow> workflows;
  const auto& array = *node.as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    auto item_key = index_key(key, i);
    if (!array[i].is_string())
      throw problem{array[i].source(), item_key,
                    "expected a string, got " + type_name(array[i].type())};
    const auto& name = array[i].as_string()->get();
    auto workflow = domain::parse_workflow(name);
    if (!workflow)
      throw problem{array[i].source(), item_key,
                    "unknown workflow \"" + name + "\" (expected " +
                        workflow_list() + ")"};
    if (std::find(workflows.begin(), workflows.end(), *workflow) !=
        workflows.end())
      throw problem{array[i].source(), item_key,
                    "workflow \"" + name + "\" is listed twice"};
    workflows.push_back(*workflow);
  }
  return workflows;
}

} // namespace

std::string quote_key(std::string_view key) {
  auto bare = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  };
  if (!key.empty() && std::all_of(key.begin(), key.end(), bare))
    return std::string(key);
  std::string quoted = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  return quoted + '"';
}

std::string join_key(const std::string& prefix, std::string_view key) {
  return prefix.empty() ? quote_key(key) : prefix + '.' + quote_key(key);
}

std::string index_key(const std::string& prefix, std::size_t index) {
  return prefix + '[' + std::to_string(index) + ']';
}

std::string type_name(toml::node_type type) {
  switch (type) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a floating-point number";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  default:
    return "nothing";
  }
}

std::string located(std::string_view source, const toml::source_region& where,
                    std::string_view key, std::string_view problem) {
  std::ostringstream out;
  out << source;
  if (where.begin.line > 0)
    out << ':' << where.begin.line << ':' << where.begin.column;
  out << ": " << key << ": " << problem;
  return out.str();
}

std::string workflow_list() {
  std::string joined;
  for (auto w : domain::all_workflows)
    joined += (joined.empty() ? "" : ", ") + std::string(domain::to_string(w));
  return joined;
}

std::vector<stage_row> read_stage_rows(const toml::table& table,
                                       const std::string& path) {
  // toml++ keeps keys in name order; messages should follow the file.
  std::vector<stage_row> rows;
  for (auto&& [name, node] : table) {
    auto key = join_key(path, name.str());
    if (domain::normalize_stage_name(name.str()).empty())
      throw problem{name.source(), key, "a stage name must not be blank"};
    rows.push_back(
        {std::string(name.str()), read_workflows(node, key), name.source()});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const stage_row& a, const stage_row& b) {
                     return before(a.where, b.where);
                   });

  // "On Hold" and "on  hold" would silently overwrite each other.
  std::map<std::string, const stage_row*> seen;
  for (const auto& row : rows) {
    auto [it, added] =
        seen.emplace(domain::normalize_stage_name(row.name), &row);
    if (!added)
      throw problem{row.where, join_key(path, row.name),
                    "the same stage as " + quote_key(it->second->name) +
                        " (line " +
                        std::to_string(it->second->where.begin.line) +
                        ") once spaces and case are ignored"};
  }
  return rows;
}

} // namespace introvy::config::toml_support
