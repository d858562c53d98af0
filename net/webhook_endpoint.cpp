#include "net/webhook_endpoint.hpp"

#include "net/logger.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace introvy::net {
namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

http_response status_body(const char* status) {
  return json_ok(std::string{R"({"status":")"} + status + R"("})");
}

// 400 naming the offending field, e.g. "FrontOfficeTenantId".
http_response invalid(const std::string& field, const std::string& message) {
  nlohmann::json doc = {
      {"error", "invalid_request"}, {"field", field}, {"message", message}};
  return http_response{400, "application/json", doc.dump(), {}};
}

struct classified {
  std::optional<domain::webhook_event> event;
  webhook_outcome outcome = webhook_outcome::invalid;
  http_response response;
};

// Everything short of the durable write: parse, check the event name, decode
// the Resource. Leaves `event` empty when the answer is already known; takes
// the body into the event when there is one.
classified classify(http_request& request) {
  auto parsed = domain::parse_envelope(request.body);
  if (auto* error = std::get_if<domain::envelope_error>(&parsed))
    return {std::nullopt, webhook_outcome::invalid,
            invalid(error->field, error->message)};
  auto& envelope = std::get<domain::envelope>(parsed);

  if (!domain::is_subscribed_event(envelope.event_name)) {
    logger()->info("event dropped: not subscribed tenant={} correlation_id={} "
                   "event={}",
                   envelope.front_office_tenant_id, envelope.correlation_id,
                   envelope.event_name);
    return {std::nullopt, webhook_outcome::ignored, status_body("ignored")};
  }

  auto resource = domain::parse_pipeline_resource(envelope.resource_json);
  if (auto* error = std::get_if<domain::envelope_error>(&resource))
    return {std::nullopt, webhook_outcome::invalid,
            invalid(error->field, error->message)};

  domain::webhook_event event;
  event.tenant_id = envelope.front_office_tenant_id;
  event.correlation_id = std::move(envelope.correlation_id);
  event.event_name = domain::canonical_event_name(envelope.event_name);
  event.resource = std::get<domain::pipeline_resource>(resource);
  event.received_at_ms = wall_clock_ms();
  event.body = std::move(request.body);
  return {std::move(event), webhook_outcome::accepted, {}};
}

} // namespace

webhook_endpoint::webhook_endpoint(signature_verifier verifier,
                                   service_metrics& metrics,
                                   ingest_submit submit, defer_task defer,
                                   std::size_t max_pending)
    : verifier_(std::move(verifier))
    , metrics_(metrics)
    , submit_(std::move(submit))
    , defer_(std::move(defer))
    , max_pending_(max_pending) {}

void webhook_endpoint::queue(ingest_request&& request) {
  if (queued_.push(std::move(request)))
    defer_([this] { submit_(queued_.take_all()); });
}

void webhook_endpoint::answer(std::chrono::steady_clock::time_point received,
                              const responder& respond, webhook_outcome outcome,
                              http_response response) {
  metrics_.count_webhook(outcome);
  metrics_.observe_ack(std::chrono::steady_clock::now() - received);
  respond(std::move(response));
}

void webhook_endpoint::handle(http_request&& request, responder respond) {
  // Authentication first, over the raw bytes, before anything is parsed.
  if (!verifier_.verify(request.header(verifier_.header_name()),
                        request.body)) {
    logger()->info("webhook refused: bad or missing {} remote={}",
                   verifier_.header_name(), request.remote_address);
    return answer(request.received_at, respond, webhook_outcome::unauthorized,
                  json_error(401, "unauthorized",
                             std::string{"missing or invalid "} +
                                 verifier_.header_name()));
  }

  auto result = classify(request);
  if (result.outcome == webhook_outcome::invalid)
    logger()->info("webhook refused: invalid {} remote={}",
                   result.response.body, request.remote_address);
  if (!result.event)
    return answer(request.received_at, respond, result.outcome,
                  std::move(result.response));

  // Bounded: beyond this many unanswered events, ask Avionté to retry later
  // rather than queue without limit.
  if (pending_.fetch_add(1) >= max_pending_) {
    pending_.fetch_sub(1);
    auto busy = json_error(503, "busy", "too many events in flight; retry");
    busy.headers.emplace_back("Retry-After", "1");
    return answer(request.received_at, respond, webhook_outcome::unavailable,
                  std::move(busy));
  }

  auto started = request.received_at;
  queue(ingest_request{
      std::move(*result.event),
      [this, started, respond = std::move(respond)](ingest_result r) {
        pending_.fetch_sub(1);
        switch (r) {
        case ingest_result::accepted:
          return answer(started, respond, webhook_outcome::accepted,
                        status_body("accepted"));
        case ingest_result::duplicate:
          return answer(started, respond, webhook_outcome::duplicate,
                        status_body("duplicate"));
        case ingest_result::quarantined:
          return answer(started, respond, webhook_outcome::quarantined,
                        status_body("quarantined"));
        case ingest_result::unavailable:
          return answer(started, respond, webhook_outcome::unavailable,
                        json_error(503, "unavailable",
                                   "the event could not be stored; "
                                   "retry"));
        }
      }});
}

} // namespace introvy::net
