#include "config/config.hpp"

#include "config/stage_maps.hpp"
#include "config/toml_support.hpp"
#include "domain/stage_map.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>

namespace introvy::config {

namespace {

namespace fs = std::filesystem;
using toml_support::index_key;
using toml_support::join_key;
using toml_support::located;
using toml_support::type_name;

// Limits the file may not exceed. The timeouts are capped so that adding them
// to a clock's time point in nanoseconds cannot overflow.
constexpr std::int64_t max_body_bytes_limit = 16 * 1024 * 1024;
constexpr std::int64_t max_timeout_ms = 24 * 60 * 60 * 1000;
constexpr std::int64_t max_dedup_retention_days = 100 * 365;
constexpr std::int64_t max_threads = 64;
constexpr std::int64_t no_limit = std::numeric_limits<std::int64_t>::max();

// What every message needs: the file's name and the folder that relative
// "file:" secrets are read from.
struct context {
  std::string source;
  fs::path folder;
};

// Formats and throws "FILE:LINE:COLUMN: KEY: problem".
[[noreturn]] void fail(const context& ctx, const toml::source_region& where,
                       const std::string& key, const std::string& problem) {
  throw config_error(located(ctx.source, where, key, problem));
}

[[noreturn]] void fail_type(const context& ctx, const toml::node& node,
                            const std::string& key,
                            const std::string& expected) {
  fail(ctx, node.source(), key,
       "expected " + expected + ", got " + type_name(node.type()));
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (const auto& name : names)
    joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// The text of a file, or nothing when it cannot be read.
std::optional<std::string> read_whole_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string text{std::istreambuf_iterator<char>(in),
                   std::istreambuf_iterator<char>()};
  if (in.bad())
    return std::nullopt;
  return text;
}

// Reads the keys of one table and names each by its dotted path in errors.
class table_reader {
public:
  // `where` is the position named when a required key is missing: the
  // table's own, or its parent's when the table is not in the file.
  table_reader(const context& ctx, const toml::table& table, std::string path,
               const toml::source_region& where)
      : ctx_(ctx)
      , table_(table)
      , path_(std::move(path))
      , where_(where) {}

  table_reader(const context& ctx, const toml::table& table, std::string path)
      : table_reader(ctx, table, std::move(path), table.source()) {}

  const context& ctx() const { return ctx_; }

  const toml::table& table() const { return table_; }

  const std::string& path() const { return path_; }

  std::string key_path(std::string_view key) const {
    return join_key(path_, key);
  }

  // Typos must not pass silently: any key not listed is an error.
  void allow_only(std::initializer_list<std::string_view> known) const {
    for (auto&& [key, node] : table_) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end())
        fail(ctx_, key.source(), key_path(key.str()), "unknown key");
    }
  }

  const toml::node* find(std::string_view key) const { return table_.get(key); }

  const toml::node& require(std::string_view key) const {
    if (auto node = find(key))
      return *node;
    fail(ctx_, where_, key_path(key), "required key is missing");
  }

  [[noreturn]] void fail_at(std::string_view key,
                            const std::string& problem) const {
    fail(ctx_, find(key)->source(), key_path(key), problem);
  }

  std::optional<table_reader> sub_table(std::string_view key) const {
    auto node = find(key);
    if (!node)
      return std::nullopt;
    if (!node->is_table())
      fail_type(ctx_, *node, key_path(key), "a table");
    return table_reader(ctx_, *node->as_table(), key_path(key));
  }

  std::optional<std::string> string(std::string_view key) const {
    auto node = find(key);
    if (!node)
      return std::nullopt;
    if (!node->is_string())
      fail_type(ctx_, *node, key_path(key), "a string");
    return node->as_string()->get();
  }

  std::optional<std::string> non_empty_string(std::string_view key) const {
    auto text = string(key);
    if (text && text->empty())
      fail_at(key, "must not be empty");
    return text;
  }

  std::optional<bool> boolean(std::string_view key) const {
    auto node = find(key);
    if (!node)
      return std::nullopt;
    if (!node->is_boolean())
      fail_type(ctx_, *node, key_path(key), "a boolean");
    return node->as_boolean()->get();
  }

  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min,
                                      std::int64_t max) const {
    auto node = find(key);
    if (!node)
      return std::nullopt;
    if (!node->is_integer())
      fail_type(ctx_, *node, key_path(key), "an integer");
    auto value = node->as_integer()->get();
    if (value < min || value > max)
      fail_at(key, range_text(min, max));
    return value;
  }

  // Integers are accepted where a number is: `4` as well as `4.0`.
  std::optional<double> positive_number(std::string_view key) const {
    auto node = find(key);
    if (!node)
      return std::nullopt;
    if (!node->is_number())
      fail_type(ctx_, *node, key_path(key), "a number");
    auto value = node->value<double>().value();
    if (!std::isfinite(value) || value <= 0)
      fail_at(key, "must be a number greater than 0");
    return value;
  }

  std::optional<std::chrono::milliseconds>
  milliseconds(std::string_view key) const {
    if (auto ms = integer(key, 1, max_timeout_ms))
      return std::chrono::milliseconds(*ms);
    return std::nullopt;
  }

private:
  static std::string range_text(std::int64_t min, std::int64_t max) {
    if (max == no_limit)
      return "must be at least " + std::to_string(min);
    return "must be between " + std::to_string(min) + " and " +
           std::to_string(max);
  }

  const context& ctx_;
  const toml::table& table_;
  std::string path_;
  toml::source_region where_;
};

// Secrets ----------------------------------------------------------------

// The messages below name the key, the variable or the path, never a value.
std::string resolve_env(const context& ctx, const toml::node& node,
                        const std::string& key, const std::string& name) {
  if (name.empty())
    fail(ctx, node.source(), key, "env: names no variable");
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0')
    fail(ctx, node.source(), key,
         "environment variable " + name + " is not set or empty");
  return value;
}

std::string resolve_file(const context& ctx, const toml::node& node,
                         const std::string& key, const std::string& name) {
  if (name.empty())
    fail(ctx, node.source(), key, "file: names no path");

  // Relative paths are relative to the configuration file's folder.
  fs::path path(name);
  if (path.is_relative())
    path = ctx.folder / path;
  auto text = read_whole_file(path);
  if (!text)
    fail(ctx, node.source(), key, "cannot read file " + path.string());

  // Editors leave a trailing newline that is not part of the secret.
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r'))
    text->pop_back();
  if (text->empty())
    fail(ctx, node.source(), key, "file " + path.string() + " is empty");
  return *text;
}

secret resolve_secret(const context& ctx, const toml::node& node,
                      const std::string& key) {
  if (!node.is_string())
    fail_type(ctx, node, key, "a string");
  const std::string& reference = node.as_string()->get();

  constexpr std::string_view env_prefix = "env:";
  constexpr std::string_view file_prefix = "file:";
  if (reference.starts_with(env_prefix)) {
    auto name = reference.substr(env_prefix.size());
    return {reference, resolve_env(ctx, node, key, name)};
  }
  if (reference.starts_with(file_prefix)) {
    auto name = reference.substr(file_prefix.size());
    return {reference, resolve_file(ctx, node, key, name)};
  }
  fail(ctx, node.source(), key, "must be a reference env:NAME or file:PATH");
}

std::optional<secret> optional_secret(const table_reader& reader,
                                      std::string_view key) {
  auto node = reader.find(key);
  if (!node)
    return std::nullopt;
  return resolve_secret(reader.ctx(), *node, reader.key_path(key));
}

// Sections ---------------------------------------------------------------

void read_log(const table_reader& log, service_config& config) {
  log.allow_only({"level"});
  static const std::vector<std::string> levels = {"trace", "debug", "info",
                                                  "warn", "error"};
  auto level = log.string("level");
  if (!level)
    return;
  if (std::find(levels.begin(), levels.end(), *level) == levels.end())
    log.fail_at("level", "unknown level \"" + *level + "\" (expected " +
                             join_names(levels) + ")");
  config.log_level = *level;
}

void check_http_url(const table_reader& reader, std::string_view key,
                    const std::string& url) {
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    reader.fail_at(key, "must start with http:// or https://");
}

void read_server(const table_reader& server, server_config& config) {
  server.allow_only({"listen", "public_url", "max_body_bytes",
                     "header_timeout_ms", "body_timeout_ms",
                     "keep_alive_timeout_ms", "io_threads"});

  if (auto listen = server.string("listen")) {
    try {
      config.listen = parse_endpoint(*listen);
    } catch (const std::invalid_argument& e) {
      server.fail_at("listen", e.what());
    }
  }
  if (auto url = server.non_empty_string("public_url")) {
    check_http_url(server, "public_url", *url);
    config.public_url = *url;
  }
  if (auto bytes = server.integer("max_body_bytes", 1, max_body_bytes_limit))
    config.max_body_bytes = static_cast<std::size_t>(*bytes);

  if (auto ms = server.milliseconds("header_timeout_ms"))
    config.header_timeout = *ms;
  if (auto ms = server.milliseconds("body_timeout_ms"))
    config.body_timeout = *ms;
  if (auto ms = server.milliseconds("keep_alive_timeout_ms"))
    config.keep_alive_timeout = *ms;
  if (auto threads = server.integer("io_threads", 1, max_threads))
    config.io_threads = static_cast<unsigned>(*threads);
}

void read_storage(const table_reader& storage, storage_config& config) {
  storage.allow_only({"path", "fsync", "dedup_retention_days"});
  if (auto path = storage.non_empty_string("path"))
    config.path = *path;
  if (auto fsync = storage.boolean("fsync"))
    config.fsync = *fsync;
  auto days =
      storage.integer("dedup_retention_days", 1, max_dedup_retention_days);
  if (days)
    config.dedup_retention = std::chrono::hours(*days * 24);
}

std::vector<secret> read_webhook_secrets(const table_reader& webhook) {
  const auto& node = webhook.require("secrets");
  auto key = webhook.key_path("secrets");
  if (!node.is_array())
    fail_type(webhook.ctx(), node, key, "an array of secret references");
  const auto& array = *node.as_array();
  if (array.empty())
    fail(webhook.ctx(), node.source(), key, "must list at least one secret");

  std::vector<secret> secrets;
  for (std::size_t i = 0; i < array.size(); ++i)
    secrets.push_back(
        resolve_secret(webhook.ctx(), array[i], index_key(key, i)));
  return secrets;
}

void read_webhook(const table_reader& webhook, webhook_config& config) {
  webhook.allow_only({"auth", "secrets", "max_pending_acks"});
  if (auto auth = webhook.string("auth")) {
    auto mode = parse_webhook_auth(*auth);
    if (!mode)
      webhook.fail_at("auth",
                      "unknown mode \"" + *auth +
                          "\" (expected shared-secret, hmac-sha256-hex, "
                          "hmac-sha256-base64, api-key)");
    config.auth = *mode;
  }
  config.secrets = read_webhook_secrets(webhook);
  if (auto acks = webhook.integer("max_pending_acks", 1, no_limit))
    config.max_pending_acks = static_cast<std::size_t>(*acks);
}

void read_avionte(const table_reader& avionte, avionte_config& config) {
  avionte.allow_only({"base_url", "api_key", "client_id", "client_secret",
                      "ca_file", "requests_per_second", "timeout_ms",
                      "max_tries", "backoff_initial_ms", "record_cache_ttl_ms",
                      "calls_in_flight"});
  if (auto url = avionte.non_empty_string("base_url")) {
    check_http_url(avionte, "base_url", *url);
    while (url->ends_with('/'))
      url->pop_back();
    config.base_url = *url;
  }
  config.api_key = optional_secret(avionte, "api_key");
  if (auto id = avionte.string("client_id"))
    config.client_id = *id;
  config.client_secret = optional_secret(avionte, "client_secret");
  if (auto ca = avionte.non_empty_string("ca_file"))
    config.ca_file = fs::path(*ca).is_relative()
                         ? (avionte.ctx().folder / *ca).string()
                         : *ca;
  if (auto rate = avionte.positive_number("requests_per_second"))
    config.requests_per_second = *rate;
  if (auto ms = avionte.milliseconds("timeout_ms"))
    config.timeout = *ms;
  if (auto tries = avionte.integer("max_tries", 1, 20))
    config.max_tries = static_cast<std::size_t>(*tries);
  if (auto ms = avionte.milliseconds("backoff_initial_ms"))
    config.backoff_initial = *ms;
  if (auto ms = avionte.milliseconds("record_cache_ttl_ms"))
    config.record_cache_ttl = *ms;
  if (auto n = avionte.integer("calls_in_flight", 1, 64))
    config.calls_in_flight = static_cast<std::size_t>(*n);
}

void read_actors(const table_reader& actors, actors_config& config) {
  actors.allow_only({"scheduler_threads", "candidate_idle_timeout_ms",
                     "max_dispatched_events"});
  if (auto threads = actors.integer("scheduler_threads", 1, max_threads))
    config.scheduler_threads = static_cast<unsigned>(*threads);
  if (auto ms = actors.milliseconds("candidate_idle_timeout_ms"))
    config.candidate_idle_timeout = *ms;
  if (auto n = actors.integer("max_dispatched_events", 1, 10'000'000))
    config.max_dispatched_events = static_cast<std::size_t>(*n);
}

// Tenants ----------------------------------------------------------------

// Rows of a stage table, as names: the domain's workflows are derived again
// from them when a tenant's map is built.
std::map<std::string, std::vector<std::string>>
read_stages(const table_reader& stages) {
  std::vector<toml_support::stage_row> rows;
  try {
    rows = toml_support::read_stage_rows(stages.table(), stages.path());
  } catch (const toml_support::problem& p) {
    fail(stages.ctx(), p.where, p.key, p.text);
  }

  std::map<std::string, std::vector<std::string>> result;
  for (const auto& row : rows) {
    auto& names = result[row.name];
    for (auto w : row.workflows)
      names.emplace_back(domain::to_string(w));
  }
  return result;
}

// remove_stages: names of default rows, each once, none also set in
// [tenant.stages] (the two together would mean nothing clear).
std::vector<std::string> read_remove_stages(const table_reader& tenant,
                                            const tenant_config& config) {
  auto node = tenant.find("remove_stages");
  if (!node)
    return {};
  auto key = tenant.key_path("remove_stages");
  if (!node->is_array())
    fail_type(tenant.ctx(), *node, key, "an array of stage names");
  if (config.replace_default_stages)
    tenant.fail_at("remove_stages",
                   "has nothing to remove when replace_default_stages = true");

  std::set<std::string> set_here;
  for (const auto& [name, workflows] : config.stages)
    set_here.insert(domain::normalize_stage_name(name));

  std::vector<std::string> names;
  std::set<std::string> seen;
  const auto& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    auto item_key = index_key(key, i);
    const auto& item = array[i];
    if (!item.is_string())
      fail_type(tenant.ctx(), item, item_key, "a string");
    const auto& name = item.as_string()->get();
    auto normal = domain::normalize_stage_name(name);
    if (!default_stage_map().contains(normal))
      fail(tenant.ctx(), item.source(), item_key,
           "\"" + name + "\" is not a stage of the default map");
    if (!seen.insert(normal).second)
      fail(tenant.ctx(), item.source(), item_key,
           "\"" + name + "\" is listed twice");
    if (set_here.count(normal))
      fail(tenant.ctx(), item.source(), item_key,
           "\"" + name + "\" is also set in [tenant.stages]");
    names.push_back(name);
  }
  return names;
}

tenant_config read_tenant(const table_reader& tenant) {
  tenant.allow_only({"front_office_tenant_id", "org", "tenant",
                     "requests_per_second", "stages", "remove_stages",
                     "replace_default_stages"});

  tenant_config config;
  tenant.require("front_office_tenant_id");
  config.front_office_tenant_id =
      *tenant.integer("front_office_tenant_id", 1, no_limit);
  tenant.require("org");
  config.org = *tenant.non_empty_string("org");
  tenant.require("tenant");
  config.tenant = *tenant.non_empty_string("tenant");

  if (auto rate = tenant.positive_number("requests_per_second"))
    config.requests_per_second = *rate;
  if (auto replace = tenant.boolean("replace_default_stages"))
    config.replace_default_stages = *replace;
  if (auto stages = tenant.sub_table("stages"))
    config.stages = read_stages(*stages);
  config.remove_stages = read_remove_stages(tenant, config);
  return config;
}

std::vector<tenant_config> read_tenants(const table_reader& root) {
  auto node = root.find("tenant");
  if (!node)
    return {};
  if (!node->is_array_of_tables())
    fail_type(root.ctx(), *node, "tenant", "an array of tables ([[tenant]])");

  std::vector<tenant_config> tenants;
  const auto& array = *node->as_array();
  for (std::size_t i = 0; i < array.size(); ++i) {
    table_reader tenant(root.ctx(), *array[i].as_table(),
                        index_key("tenant", i));
    tenants.push_back(read_tenant(tenant));

    // Webhooks are routed by this id, so two tenants may not share one.
    auto id = tenants.back().front_office_tenant_id;
    for (std::size_t j = 0; j + 1 < tenants.size(); ++j) {
      if (tenants[j].front_office_tenant_id == id)
        tenant.fail_at("front_office_tenant_id",
                       "duplicate id " + std::to_string(id) +
                           " (already used by tenant[" + std::to_string(j) +
                           "])");
    }
  }
  return tenants;
}

// The whole file ---------------------------------------------------------

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(std::string_view(text), std::string_view(source));
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << source;
    if (e.source().begin.line > 0)
      out << ':' << e.source().begin.line << ':' << e.source().begin.column;
    out << ": " << e.description();
    throw config_error(out.str());
  }
}

// A missing section reads as an empty one, so that its required keys are
// reported the same way as when the section is present.
table_reader section(const table_reader& root, std::string_view key) {
  static const toml::table empty;
  if (auto table = root.sub_table(key))
    return *table;
  return table_reader(root.ctx(), empty, std::string(key),
                      root.table().source());
}

} // namespace

const tenant_config*
service_config::find_tenant(std::int64_t front_office_tenant_id) const {
  for (const auto& tenant : tenants) {
    if (tenant.front_office_tenant_id == front_office_tenant_id)
      return &tenant;
  }
  return nullptr;
}

service_config load_file(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text)
    throw config_error(path + ": cannot read");
  return load_string(*text, path);
}

service_config load_string(const std::string& text, const std::string& source) {
  context ctx{source, fs::path(source).parent_path()};
  auto document = parse_toml(text, source);
  table_reader root(ctx, document, "");
  root.allow_only(
      {"log", "server", "storage", "webhook", "avionte", "actors", "tenant"});

  service_config config;
  config.source = source;
  read_log(section(root, "log"), config);
  read_server(section(root, "server"), config.server);
  read_storage(section(root, "storage"), config.storage);
  read_webhook(section(root, "webhook"), config.webhook);
  read_avionte(section(root, "avionte"), config.avionte);
  read_actors(section(root, "actors"), config.actors);
  config.tenants = read_tenants(root);
  return config;
}

endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("expected HOST:PORT, got \"" + text + "\"");

  // An IPv6 host is written in brackets, "[::1]:8080".
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty())
    throw std::invalid_argument("no host in \"" + text + "\"");

  auto port_text = std::string_view(text).substr(colon + 1);
  unsigned long port = 0;
  auto [end, ec] = std::from_chars(port_text.data(),
                                   port_text.data() + port_text.size(), port);
  bool whole = ec == std::errc() && end == port_text.data() + port_text.size();
  if (port_text.empty() || !whole || port > 65535)
    throw std::invalid_argument("port must be a number from 0 to 65535 in \"" +
                                text + "\"");
  return {host, static_cast<std::uint16_t>(port)};
}

const std::vector<std::string>& workflow_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (auto w : domain::all_workflows)
      result.emplace_back(domain::to_string(w));
    return result;
  }();
  return names;
}

std::optional<webhook_auth> parse_webhook_auth(const std::string& text) {
  static const std::pair<std::string_view, webhook_auth> modes[] = {
      {"shared-secret", webhook_auth::shared_secret},
      {"hmac-sha256-hex", webhook_auth::hmac_sha256_hex},
      {"hmac-sha256-base64", webhook_auth::hmac_sha256_base64},
      {"api-key", webhook_auth::api_key},
  };
  for (const auto& [name, mode] : modes) {
    if (name == text)
      return mode;
  }
  return std::nullopt;
}

} // namespace introvy::config
