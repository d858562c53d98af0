// One supervisor per configured tenant. It resolves each event's pipeline id
// to its pipeline record through the tenant's Avionté gateway (lookups of
// many events leave together), then routes the event, with the record, to
// the actor of the talent it concerns, spawning that actor on demand. Events
// leave in the order they arrived, whatever order the lookups come back in,
// so the events of one candidate are applied one at a time, in arrival order.
// An event whose pipeline cannot be resolved is parked as a dead letter.
//
// Idle candidates ask to be passivated; the supervisor stops one only when
// it has received every event routed to it, so nothing is sent into a
// closing mailbox. Messages: (dispatch_atom, webhook_event).
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "actors/dispatch_budget.hpp"
#include "domain/stage_map.hpp"
#include "net/metrics.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

struct supervisor_options {
  std::int64_t tenant_id = 0;
  std::chrono::milliseconds candidate_idle_timeout{60'000};
  dispatch_budget* budget = nullptr; // candidates give back what they apply
  caf::actor gateway;                // the tenant's Avionté gateway
  std::shared_ptr<const domain::stage_map> stages; // the tenant's map
};

/// `store` and `metrics` must outlive the actor.
caf::actor spawn_tenant_supervisor(caf::actor_system& system,
                                   supervisor_options options,
                                   caf::actor state_writer,
                                   storage::store& store,
                                   net::service_metrics& metrics);

} // namespace introvy::actors
