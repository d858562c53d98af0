// Delivers Front Office webhooks the way Avionté does: one POST per event to
// the one target URL, authenticated by the configured mode, and retried after
// a non-2xx answer, a timeout or a refused connection, with the same body
// (same CorrelationId) every time. Every attempt is recorded.
//
// Threads: deliveries run on the sender's own threads; every member may be
// called from any thread. Stopping drops retries not yet due.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "net/http_client.hpp"
#include "sim/scheduler.hpp"

namespace introvy::sim {

inline constexpr unsigned default_webhook_retries = 4;
inline constexpr std::chrono::milliseconds default_webhook_timeout{10'000};

/// Immediate, after about a minute, then two later ones.
inline const std::vector<std::chrono::milliseconds> default_retry_delays{
    std::chrono::milliseconds{0}, std::chrono::milliseconds{60'000},
    std::chrono::milliseconds{120'000}, std::chrono::milliseconds{300'000}};

struct webhook_target {
  std::string url; // empty: nothing is sent, attempts are recorded as such
  config::webhook_auth auth = config::webhook_auth::shared_secret;
  std::string secret;
  unsigned retries = default_webhook_retries;
  // Delay before retry n (the last one repeats when there are fewer).
  std::vector<std::chrono::milliseconds> retry_delays = default_retry_delays;
  std::chrono::milliseconds timeout = default_webhook_timeout;
  std::string ca_file; // for an https:// target with a private CA
  unsigned threads = 2;
};

/// One event, as the simulator decided to send it.
struct outgoing_webhook {
  std::int64_t tenant = 0;
  std::string event_name; // job_pipeline_talent_updated / _added
  std::string correlation_id;
  nlohmann::json resource; // the Resource object before it is encoded
  bool duplicate = false;  // a deliberate extra copy, for the record
};

/// The envelope Avionté posts, with Resource encoded as a string.
std::string envelope_body(const outgoing_webhook& event);

class webhook_sender {
public:
  explicit webhook_sender(webhook_target target);
  ~webhook_sender();

  /// Queues the first attempt after `delay`.
  void send(outgoing_webhook event, std::chrono::milliseconds delay);

  /// Every attempt so far, oldest first.
  nlohmann::json attempts() const;

  /// Drops queued attempts and the record.
  void clear();

  void stop();

private:
  void attempt(std::uint64_t delivery, outgoing_webhook event, std::string body,
               unsigned number);
  void record(nlohmann::json entry);

  webhook_target target_;
  net::http_client client_;
  mutable std::mutex mutex_;
  nlohmann::json attempts_ = nlohmann::json::array();
  std::uint64_t next_delivery_ = 1;
  std::chrono::steady_clock::time_point origin_;
  scheduler scheduler_; // last: its threads stop before the rest goes
};

} // namespace introvy::sim
