// An accepted webhook as it travels from the ingress to a candidate: the
// verified envelope, its decoded ids, and where it sits in the event log.
#pragma once

#include <cstdint>
#include <string>

#include "domain/envelope.hpp"

namespace introvy::domain {

struct webhook_event {
  std::uint64_t seq = 0; // position in the event log, assigned on acceptance
  std::int64_t tenant_id = 0;      // FrontOfficeTenantId
  std::string correlation_id;      // Avionté's event id, our dedup key
  std::string event_name;          // canonical (lower case)
  pipeline_resource resource;      // ids decoded from Resource
  std::int64_t received_at_ms = 0; // wall clock, milliseconds since epoch
  std::string body;                // the exact bytes Avionté posted
};

/// The key of the actor and stored state of a talent: "talent:42". The
/// talent is the one Avionté's pipeline record names, never a guess from
/// the webhook.
inline std::string candidate_key(std::int64_t talent_id) {
  return "talent:" + std::to_string(talent_id);
}

} // namespace introvy::domain
