// One actor per candidate of a tenant, alive while events come in. It loads
// the candidate's stored state on its first event, applies events in
// mailbox order, and has the state writer save each new state together with
// the removal of the event from the inbox. After a quiet period, once its
// saves are confirmed, it asks its supervisor to stop it.
//
// Messages: (apply_atom, webhook_event); (passivate_atom) to quit.
#pragma once

#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "actors/dispatch_budget.hpp"
#include "net/metrics.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

struct candidate_options {
  std::int64_t tenant_id = 0;
  std::string key; // "talent:42" or "pipeline:555001"
  std::chrono::milliseconds idle_timeout{60'000};
  dispatch_budget* budget = nullptr; // given back once an event is done
};

/// The behaviour of a candidate actor, spawned by its supervisor, which it
/// notifies with (idle_atom, key, events received) when idle.
caf::behavior candidate_actor(caf::event_based_actor* self,
                              candidate_options options, caf::actor supervisor,
                              caf::actor writer, storage::store* store,
                              net::service_metrics* metrics);

} // namespace introvy::actors
