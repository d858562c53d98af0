// The ingress actor owns the durable write and the dedup decision. It runs
// detached (its own thread: the synced write blocks) and commits whatever
// gathered in its mailbox while the previous write was syncing as one
// RocksDB write batch, which is how concurrent requests share an fsync.
//
// Messages: (submit_atom, std::vector<ingress_request>) answers through each
// request's callback; (shutdown_atom) commits what is pending, replies, and
// quits.
#pragma once

#include <caf/fwd.hpp>

#include "actors/dispatch_budget.hpp"
#include "actors/tenant_directory.hpp"
#include "net/metrics.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

/// Spawns the ingress, which then hands over what the inbox already holds
/// (see dispatcher.hpp). `store`, `metrics`, `tenants` and `budget` must
/// outlive it.
caf::actor spawn_ingress(caf::actor_system& system, storage::store& store,
                         net::service_metrics& metrics,
                         const tenant_directory& tenants,
                         dispatch_budget& budget);

} // namespace introvy::actors
