// Message vocabulary of the actors. Events travel as domain types; the
// ingress request carries the HTTP layer's completion callback, so it can
// only ever be sent within one process.
#pragma once

#include <caf/all.hpp>

#include "domain/avionte_records.hpp"
#include "domain/webhook_event.hpp"
#include "net/async_http_client.hpp"
#include "net/webhook_endpoint.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
using apply_atom = caf::atom_constant<caf::atom("apply")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using save_atom = caf::atom_constant<caf::atom("save")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

// The Avionté gateway's lookups and its own timers and replies.
using pipeline_atom = caf::atom_constant<caf::atom("pipeline")>;
using talent_atom = caf::atom_constant<caf::atom("talent")>;
using job_atom = caf::atom_constant<caf::atom("job")>;
using user_atom = caf::atom_constant<caf::atom("user")>;
using pump_atom = caf::atom_constant<caf::atom("pump")>;
using reply_atom = caf::atom_constant<caf::atom("reply")>;
using token_atom = caf::atom_constant<caf::atom("token")>;
using resolved_atom = caf::atom_constant<caf::atom("resolved")>;

/// A verified webhook waiting for the durable write, and whom to tell.
using ingress_request = net::ingest_request;

} // namespace introvy::actors

// Local-only types: the event holds a std::optional, the request a callback.
// Before events cross processes (a partitioned log), webhook_event and the
// records need inspectors instead.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::domain::webhook_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<introvy::net::ingest_request>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::storage::store::candidate_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::domain::pipeline_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::domain::talent_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::domain::job_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::domain::user_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(introvy::net::http_client_result)
