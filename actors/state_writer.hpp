// The state writer saves candidates' outcomes. Candidate actors run on the
// shared scheduler threads and must not block on RocksDB (a write can wait
// behind the ingress's fsync); they send their outcomes here instead. It runs
// detached and writes whatever gathered in its mailbox as one batch.
//
// Messages: (save_atom, candidate_outcome) -> unit once written, or an error
// when the write failed (the event then stays in the inbox).
#pragma once

#include <caf/fwd.hpp>

#include "storage/store.hpp"

namespace introvy::actors {

/// `store` must outlive the actor.
caf::actor spawn_state_writer(caf::actor_system& system, storage::store& store);

} // namespace introvy::actors
