// POST /api/webhooks/avionte: authenticates, parses and classifies one
// delivery, hands a valid pipeline event to the ingress through `submit`
// (with the others read in the same turn: one hand-over between threads per
// turn, not per request), and answers only once the ingress reports it
// durable (or refused).
//
// Thread safety: handle() runs on the HTTP threads, concurrently; `submit`
// must be thread-safe, and each request's `done` called exactly once, from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <vector>

#include "domain/webhook_event.hpp"
#include "net/batch_queue.hpp"
#include "net/http_types.hpp"
#include "net/metrics.hpp"
#include "net/signature.hpp"

namespace introvy::net {

/// What the ingress decided about a submitted event.
enum class ingest_result { accepted, duplicate, quarantined, unavailable };

using ingest_done = std::function<void(ingest_result)>;

/// A verified webhook waiting for the durable write, and whom to tell.
struct ingest_request {
  domain::webhook_event event;
  ingest_done done;
};

/// Hands requests to the ingress, in arrival order.
using ingest_submit = std::function<void(std::vector<ingest_request>&&)>;
/// Runs a task on an HTTP thread once the requests read with the current
/// one have been handled (http_server::post).
using defer_task = std::function<void(std::function<void()>)>;

class webhook_endpoint {
public:
  static constexpr const char* path = "/api/webhooks/avionte";

  /// Requests read in one turn of the HTTP threads go to `submit`
  /// together: `defer` runs the hand-over after them.
  webhook_endpoint(signature_verifier verifier, service_metrics& metrics,
                   ingest_submit submit, defer_task defer,
                   std::size_t max_pending);

  void handle(http_request&& request, responder respond);

private:
  void answer(std::chrono::steady_clock::time_point received,
              const responder& respond, webhook_outcome outcome,
              http_response response);

  void queue(ingest_request&& request);

  signature_verifier verifier_;
  service_metrics& metrics_;
  ingest_submit submit_;
  defer_task defer_;
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
  batch_queue<ingest_request> queued_;
};

} // namespace introvy::net
