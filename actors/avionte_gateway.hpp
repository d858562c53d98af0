// The Avionté gateway: one actor per tenant, the only way the service calls
// Avionté's Front Office API for that tenant.
//
// - It holds the tenant's OAuth2 client-credentials token, renews it before
//   it expires with one token request in flight however many lookups wait,
//   and answers a 401 with one renewal and one retry of that call.
// - Lookups wait in its queue and leave at the tenant's rate, and within the
//   partner-wide ceiling shared by every gateway. Lookups of one kind that
//   pile up meanwhile leave together as one multi-query call (up to 100 ids).
// - Job and recruiter records, which many candidates share, are cached for
//   a short while; pipelines and talents are always read fresh.
// - 429, 5xx, timeouts and dropped connections back the whole tenant off
//   (5 s, 10 s, then doubling, with jitter; Retry-After when Avionté sends
//   one; see backoff.hpp). A lookup that has failed `max_tries` times is
//   answered with a gateway error, as is one whose record does not exist.
// - Avionté's answers are reduced to the allow-listed records at once; no
//   other field of them is kept or logged.
//
// Messages (request/response):
//   (pipeline_atom, id) -> domain::pipeline_record
//   (talent_atom, id)   -> domain::talent_record
//   (job_atom, id)      -> domain::job_record
//   (user_atom, id)     -> domain::user_record
// or a caf::error of the "gateway" category (see gateway_error).
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "actors/rate_gate.hpp"
#include "net/async_http_client.hpp"
#include "net/metrics.hpp"

namespace introvy::actors {

// Named limits of the gateway, each overridable from [avionte].
inline constexpr std::size_t max_ids_per_call = 100;
inline constexpr std::size_t default_max_tries = 5;
inline constexpr std::chrono::milliseconds default_backoff_initial{5'000};
inline constexpr std::chrono::milliseconds default_record_cache_ttl{300'000};
inline constexpr std::size_t default_calls_in_flight = 4;
inline constexpr std::size_t record_cache_capacity = 10'000;
/// Calls leave at this share of the configured rate, so that the jitter of
/// their arrival never puts more than the rate into one of Avionté's
/// one-second windows.
inline constexpr double pacing_margin = 0.9;
/// Askers wait for lookups without a timeout of their own (caf::infinite):
/// the gateway answers every lookup, at worst once its tries are used up or
/// when it stops, and a finite request timeout in CAF 0.17 keeps an entry,
/// holding the asking actor, in the actor clock until it expires, whether
/// or not the answer came long before.

/// Why a lookup failed: the error's code, in the "gateway" category.
enum class gateway_error : std::uint8_t {
  not_found = 1, // Avionté has no such record (404, or absent from a query)
  gave_up,       // failed max_tries times (429, 5xx, timeouts, 401 twice)
  refused,       // a definitive refusal (400, 403...) or an unreadable answer
};

caf::error make_gateway_error(gateway_error code, std::string reason);
/// True when `error` is a gateway error with this code.
bool is_gateway_error(const caf::error& error, gateway_error code);
/// The human-readable reason of a gateway error (or CAF's rendering).
std::string error_reason(const caf::error& error);
/// True when a lookup failed for good (a gateway error): its event is
/// parked. False when the gateway is gone because the service is stopping:
/// the event stays in the inbox.
bool lookup_failed_for_good(const caf::error& error);

struct gateway_options {
  std::int64_t tenant_id = 0;
  std::string base_url; // "https://api.avionte.com", no trailing slash
  std::string api_key;
  std::string client_id;
  std::string client_secret;
  double requests_per_second = 4;
  std::size_t calls_in_flight = default_calls_in_flight;
  std::size_t max_tries = default_max_tries;
  std::chrono::milliseconds backoff_initial = default_backoff_initial;
  std::chrono::milliseconds record_cache_ttl = default_record_cache_ttl;
  rate_gate* partner_ceiling = nullptr; // shared; must outlive the actor
  net::async_http_client* http = nullptr;
  net::service_metrics* metrics = nullptr;
};

caf::actor spawn_avionte_gateway(caf::actor_system& system,
                                 gateway_options options);

} // namespace introvy::actors
