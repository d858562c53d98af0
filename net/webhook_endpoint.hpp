// POST /api/webhooks/avionte: authenticates, parses and classifies one
// delivery, hands a valid pipeline event to the ingress through `submit`, and
// answers only once the ingress reports it durable (or refused).
//
// Thread safety: handle() runs on the HTTP threads, concurrently; the
// `submit` callback must be thread-safe and call `done` exactly once, from
// any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>

#include "domain/webhook_event.hpp"
#include "net/http_types.hpp"
#include "net/metrics.hpp"
#include "net/signature.hpp"

namespace introvy::net {

/// What the ingress decided about a submitted event.
enum class ingest_result { accepted, duplicate, quarantined, unavailable };

using ingest_done = std::function<void(ingest_result)>;
using ingest_submit = std::function<void(domain::webhook_event&&, ingest_done)>;

class webhook_endpoint {
public:
  static constexpr const char* path = "/api/webhooks/avionte";

  webhook_endpoint(signature_verifier verifier, service_metrics& metrics,
                   ingest_submit submit, std::size_t max_pending);

  void handle(http_request&& request, responder respond);

private:
  void answer(std::chrono::steady_clock::time_point received,
              const responder& respond, webhook_outcome outcome,
              http_response response);

  signature_verifier verifier_;
  service_metrics& metrics_;
  ingest_submit submit_;
  std::size_t max_pending_;
  std::atomic<std::size_t> pending_{0};
};

} // namespace introvy::net
