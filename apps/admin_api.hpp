// The /admin/ routes engineers use to onboard and debug a tenant. Loopback
// only: a request from any other address gets 403, whatever it asks.
//
//   GET  /admin/unmapped-stages                     stage names no map knew
//   GET  /admin/tenants/{tenant}/candidates/{talent} a candidate's state and
//                                                    decisions
//   GET  /admin/deadletter                          parked events and why
//   POST /admin/deadletter/{seq}/retry              back into the inbox
//
// Handlers read the store directly (reads are thread-safe) and ask the
// ingress actor to requeue dead letters, so nothing blocks the HTTP thread.
#pragma once

#include <caf/fwd.hpp>

#include "net/router.hpp"
#include "storage/store.hpp"

namespace introvy::apps {

/// `store`, `system` and `ingress` must outlive the routes.
void add_admin_routes(net::router& routes, storage::store& store,
                      caf::actor_system& system, const caf::actor& ingress);

/// True for 127.0.0.0/8 and ::1, also when written as IPv4-mapped IPv6.
bool is_loopback(std::string_view address);

} // namespace introvy::apps
