// One actor per candidate (one talent) of a tenant, alive while events come
// in. It loads the candidate's stored state on its first event and takes
// events one at a time, in mailbox order: it reads the talent, the job and
// the recruiter through the tenant's gateway (reduced to the allow-listed
// fields there), decides what the pipeline's stage starts with the tenant's
// stage map, and has the state writer save the new state and the decision
// together with the removal of the event from the inbox. An event that
// cannot be enriched is parked as a dead letter instead. After a quiet
// period, once its saves are confirmed, it asks its supervisor to stop it.
//
// Messages: (apply_atom, webhook_event, pipeline_record); (passivate_atom)
// to quit.
#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/dispatch_budget.hpp"
#include "domain/stage_map.hpp"
#include "net/metrics.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

struct candidate_options {
  std::int64_t tenant_id = 0;
  std::string key; // "talent:42"
  std::chrono::milliseconds idle_timeout{60'000};
  dispatch_budget* budget = nullptr; // given back once an event is done
  caf::actor gateway;
  std::shared_ptr<const domain::stage_map> stages;
};

/// The behaviour of a candidate actor, spawned by its supervisor, which it
/// notifies with (idle_atom, key, events received) when idle.
caf::behavior candidate_actor(caf::event_based_actor* self,
                              candidate_options options, caf::actor supervisor,
                              caf::actor writer, storage::store* store,
                              net::service_metrics* metrics);

} // namespace introvy::actors
