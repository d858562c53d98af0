// One supervisor per configured tenant. It routes each event to the actor of
// the candidate it concerns, spawning that actor on demand, so the events of
// one candidate are applied one at a time, in the order they arrived.
//
// Idle candidates ask to be passivated; the supervisor stops one only when
// it has received every event routed to it, so nothing is sent into a
// closing mailbox. Messages: (dispatch_atom, webhook_event).
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>

#include "actors/dispatch_budget.hpp"
#include "net/metrics.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

struct supervisor_options {
  std::int64_t tenant_id = 0;
  std::chrono::milliseconds candidate_idle_timeout{60'000};
  dispatch_budget* budget = nullptr; // candidates give back what they apply
};

/// `store` and `metrics` must outlive the actor.
caf::actor spawn_tenant_supervisor(caf::actor_system& system,
                                   supervisor_options options,
                                   caf::actor state_writer,
                                   storage::store& store,
                                   net::service_metrics& metrics);

} // namespace introvy::actors
