#include "sim/webhook_sender.hpp"

#include <spdlog/spdlog.h>

#include "net/signature.hpp"
#include "sim/logger.hpp"

namespace introvy::sim {
namespace {

constexpr const char* pipeline_model_type =
    "Avionte.Commons.CompasEventModel.ResourceModel."
    "JobPipelineResourceModel, Avionte.Commons.CompasEventModel";

net::http_client_options client_options(const webhook_target& target) {
  net::http_client_options options;
  options.connect_timeout = target.timeout;
  options.exchange_timeout = target.timeout;
  options.ca_file = target.ca_file;
  options.user_agent = "avionte-sim";
  return options;
}

} // namespace

std::string envelope_body(const outgoing_webhook& event) {
  nlohmann::json envelope = {{"EventName", event.event_name},
                             {"FrontOfficeTenantId", event.tenant},
                             {"Resource", event.resource.dump()},
                             {"ResourceModelType", pipeline_model_type},
                             {"CorrelationId", event.correlation_id}};
  return envelope.dump();
}

webhook_sender::webhook_sender(webhook_target target)
    : target_(std::move(target))
    , client_(client_options(target_))
    , origin_(std::chrono::steady_clock::now())
    , scheduler_(target_.threads) {}

webhook_sender::~webhook_sender() {
  stop();
}

void webhook_sender::send(outgoing_webhook event,
                          std::chrono::milliseconds delay) {
  std::uint64_t delivery;
  {
    std::lock_guard lock{mutex_};
    delivery = next_delivery_++;
  }
  auto body = envelope_body(event);
  // The task owns copies of the event and body until its attempt ends.
  scheduler_.after(
      delay, [this, delivery, event = std::move(event),
              body = std::move(body)] { attempt(delivery, event, body, 1); });
}

void webhook_sender::attempt(std::uint64_t delivery, outgoing_webhook event,
                             std::string body, unsigned number) {
  nlohmann::json entry = {
      {"delivery", delivery},
      {"attempt", number},
      {"tenant", event.tenant},
      {"event", event.event_name},
      {"correlation_id", event.correlation_id},
      {"pipeline_id", event.resource.value("PipelineId", std::int64_t{0})},
      {"duplicate", event.duplicate},
      {"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - origin_)
                    .count()}};
  if (target_.url.empty()) {
    entry["error"] = "no webhook target configured";
    return record(std::move(entry));
  }

  // Post, signed as the target expects.
  net::signature_verifier verifier{target_.auth, {}};
  net::http_client_request request{"POST", target_.url, {}, body};
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back(
      verifier.header_name(),
      net::signature_verifier::sign(target_.auth, target_.secret, body));
  auto result = client_.send(request);

  // Record, then retry what did not succeed while retries remain.
  bool ok = result && result.response->status / 100 == 2;
  if (result)
    entry["status"] = result.response->status;
  else
    entry["error"] = result.error.code_name();
  logger()->debug("delivery={} attempt={} tenant={} correlation_id={} ok={}",
                  delivery, number, event.tenant, event.correlation_id, ok);
  record(std::move(entry));
  if (ok || number > target_.retries)
    return;
  auto& delays = target_.retry_delays;
  auto delay =
      delays.empty()
          ? std::chrono::milliseconds{0}
          : delays[std::min<std::size_t>(number - 1, delays.size() - 1)];
  scheduler_.after(
      delay, [this, delivery, event = std::move(event), body = std::move(body),
              number] { attempt(delivery, event, body, number + 1); });
}

void webhook_sender::record(nlohmann::json entry) {
  std::lock_guard lock{mutex_};
  attempts_.push_back(std::move(entry));
}

nlohmann::json webhook_sender::attempts() const {
  std::lock_guard lock{mutex_};
  return attempts_;
}

void webhook_sender::clear() {
  scheduler_.clear();
  std::lock_guard lock{mutex_};
  attempts_ = nlohmann::json::array();
}

void webhook_sender::stop() {
  scheduler_.stop();
}

} // namespace introvy::sim
