// The service's configuration: one TOML file, loaded and validated once at
// start-up. Secrets are written in the file as references ("env:NAME" or
// "file:PATH") and resolved while loading; their values never reach a log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace introvy::config {

// Defaults, each overridable by the key named beside it.
inline constexpr std::size_t default_max_body_bytes =
    64 * 1024; // server.max_body_bytes
inline constexpr std::chrono::milliseconds default_header_timeout{5'000};
inline constexpr std::chrono::milliseconds default_body_timeout{10'000};
inline constexpr std::chrono::milliseconds default_keep_alive_timeout{60'000};
inline constexpr std::chrono::hours default_dedup_retention{24 * 30};
inline constexpr std::chrono::milliseconds default_candidate_idle{5'000};
inline constexpr std::size_t default_max_pending_acks = 10'000;
inline constexpr std::size_t default_max_dispatched = 20'000;
inline constexpr double default_partner_requests_per_second = 50;
inline constexpr std::chrono::milliseconds default_avionte_timeout{15'000};

/// A secret as written in the file (the reference) and as resolved (the
/// value). Only the reference may ever be printed.
struct secret {
  std::string reference;
  std::string value;
};

enum class webhook_auth {
  shared_secret,      // X-Payload-Signature holds the secret itself
  hmac_sha256_hex,    // X-Payload-Signature: hex HMAC-SHA256 of the raw body
  hmac_sha256_base64, // X-Payload-Signature: base64 HMAC-SHA256 of the body
  api_key,            // X-api-key holds the secret itself
};

struct endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct server_config {
  endpoint listen;                                     // server.listen
  std::string public_url = "http://127.0.0.1:8080";    // server.public_url
  std::size_t max_body_bytes = default_max_body_bytes; // server.max_body_bytes
  std::chrono::milliseconds header_timeout = default_header_timeout;
  std::chrono::milliseconds body_timeout = default_body_timeout;
  std::chrono::milliseconds keep_alive_timeout = default_keep_alive_timeout;
  unsigned io_threads = 1; // server.io_threads
};

struct storage_config {
  std::string path = "var/introvy"; // storage.path
  bool fsync = true;                // storage.fsync
  std::chrono::hours dedup_retention = default_dedup_retention;
  // storage.dedup_retention_days
};

struct webhook_config {
  webhook_auth auth = webhook_auth::shared_secret; // webhook.auth
  std::vector<secret> secrets; // webhook.secrets, at least one
  std::size_t max_pending_acks = default_max_pending_acks;
  // webhook.max_pending_acks: accepted requests waiting for the durable write;
  // beyond it the endpoint answers 503 rather than queueing without bound.
};

struct avionte_config {
  std::string base_url = "https://api.avionte.com"; // avionte.base_url
  std::optional<secret> api_key;                    // avionte.api_key
  std::string client_id;                            // avionte.client_id
  std::optional<secret> client_secret;              // avionte.client_secret
  std::string ca_file; // avionte.ca_file (PEM); empty: the system's CAs
  // avionte.requests_per_second: the partner-wide ceiling over all tenants
  double requests_per_second = default_partner_requests_per_second;
  std::chrono::milliseconds timeout = default_avionte_timeout; // timeout_ms
  std::size_t max_tries = 5; // avionte.max_tries: then the event is parked
  std::chrono::milliseconds backoff_initial{5'000};    // backoff_initial_ms
  std::chrono::milliseconds record_cache_ttl{300'000}; // record_cache_ttl_ms
  std::size_t calls_in_flight = 4; // avionte.calls_in_flight, per tenant
};

struct tenant_config {
  std::int64_t front_office_tenant_id = 0; // required, unique, > 0
  std::string org;                         // required
  std::string tenant;                      // Avionté's short code, required
  double requests_per_second = 4;          // > 0
  // How this tenant's stage map differs from the default (tenant_stage_map
  // in config/stage_maps.hpp builds it). Names are kept as written and
  // compared normalised (domain::normalize_stage_name).
  //
  // replace_default_stages: start from an empty map instead of the default.
  bool replace_default_stages = false;
  // remove_stages: default rows this tenant does not use; those stages
  // become unknown. Each must be a row of the default map.
  std::vector<std::string> remove_stages;
  // [tenant.stages]: stage name -> workflow names, adding rows or replacing
  // default ones; an empty list means "no action". Validated against the
  // workflow names; no two keys may normalise to the same name.
  std::map<std::string, std::vector<std::string>> stages;
};

struct actors_config {
  unsigned scheduler_threads = 2; // actors.scheduler_threads
  std::chrono::milliseconds candidate_idle_timeout = default_candidate_idle;
  // actors.candidate_idle_timeout_ms
  std::size_t max_dispatched_events = default_max_dispatched;
  // actors.max_dispatched_events: events handed to candidate actors and not
  // yet applied; the rest wait in the inbox on disk, not in memory.
};

struct service_config {
  std::string source;             // the file it was loaded from, for messages
  std::string log_level = "info"; // log.level: trace|debug|info|warn|error
  server_config server;
  storage_config storage;
  webhook_config webhook;
  avionte_config avionte;
  actors_config actors;
  std::vector<tenant_config> tenants;

  /// The tenant with this FrontOfficeTenantId, or nullptr.
  const tenant_config* find_tenant(std::int64_t front_office_tenant_id) const;
};

/// Thrown by the loaders. what() reads "FILE:LINE:COLUMN: KEY: problem" (line
/// and column when the TOML parser or node knows them).
class config_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Loads, resolves secrets in and validates a configuration file.
service_config load_file(const std::string& path);

/// Same, from text; `source` names it in error messages.
service_config load_string(const std::string& text, const std::string& source);

/// "127.0.0.1:8080" -> endpoint; throws std::invalid_argument.
endpoint parse_endpoint(const std::string& text);

/// The names accepted in [tenant.stages] lists: those of
/// domain::all_workflows, in that order.
const std::vector<std::string>& workflow_names();

/// "shared-secret" etc. -> webhook_auth.
std::optional<webhook_auth> parse_webhook_auth(const std::string& text);

} // namespace introvy::config
