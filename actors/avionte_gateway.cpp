#include "actors/avionte_gateway.hpp"

#include <caf/all.hpp>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <unordered_map>
#include <variant>

#include "actors/backoff.hpp"
#include "actors/logger.hpp"
#include "actors/messages.hpp"
#include "domain/avionte_records.hpp"

namespace introvy::actors {

namespace {

const caf::atom_value gateway_category = caf::atom("gateway");

using clock = std::chrono::steady_clock;

enum class kind : int { pipeline, talent, job, user };

const char* kind_name(kind k) {
  switch (k) {
  case kind::pipeline:
    return "pipeline";
  case kind::talent:
    return "talent";
  case kind::job:
    return "job";
  case kind::user:
    return "user";
  }
  return "?";
}

// Pipelines and talents have multi-query endpoints; jobs and users are read
// one by one (and cached).
bool batches(kind k) {
  return k == kind::pipeline || k == kind::talent;
}

// A lookup waiting for its call: who asks, and how often it failed.
struct lookup {
  kind what = kind::pipeline;
  std::int64_t id = 0;
  std::vector<caf::response_promise> waiters;
  std::size_t failures = 0;
};

// One HTTP call to Avionté, in flight.
struct call {
  kind what = kind::pipeline;
  std::vector<lookup> lookups;
  std::string request_id;
  bool token_renewed = false; // a 401 already caused one renewal
};

using lookup_key = std::pair<int, std::int64_t>;

struct lookup_key_hash {
  std::size_t operator()(const lookup_key& k) const {
    return std::hash<std::int64_t>{}(k.second * 4 + k.first);
  }
};

std::string new_request_id(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string id(36, '-');
  for (std::size_t i = 0; i < id.size(); ++i)
    if (i != 8 && i != 13 && i != 18 && i != 23)
      id[i] = hex[rng() % 16];
  id[14] = '4';
  return id;
}

std::optional<std::chrono::seconds>
retry_after(const net::http_client_response& response) {
  auto text = response.header("Retry-After");
  if (text.empty())
    return std::nullopt;
  try {
    auto seconds = std::stol(std::string{text});
    if (seconds >= 0 && seconds <= 3600)
      return std::chrono::seconds{seconds};
  } catch (const std::exception&) {
    // An HTTP date or garbage: fall back to our own schedule.
  }
  return std::nullopt;
}

// The allow-listed records of an answer, by id, or why there are none.
using record = std::variant<domain::pipeline_record, domain::talent_record,
                            domain::job_record, domain::user_record>;

template <class Parsed>
std::optional<std::string>
collect(Parsed parsed, std::unordered_map<std::int64_t, record>& out) {
  if (auto* error = std::get_if<domain::record_error>(&parsed))
    return error->message;
  for (auto& r : std::get<0>(parsed))
    out.emplace(r.id, std::move(r));
  return std::nullopt;
}

std::optional<std::string>
parse_records(kind what, std::string_view body,
              std::unordered_map<std::int64_t, record>& out) {
  switch (what) {
  case kind::pipeline:
    return collect(domain::parse_pipelines(body), out);
  case kind::talent:
    return collect(domain::parse_talents(body), out);
  case kind::job:
    return collect(domain::parse_jobs(body), out);
  case kind::user:
    return collect(domain::parse_users(body), out);
  }
  return "unknown record kind";
}

void deliver(caf::response_promise& promise, const record& r) {
  std::visit([&promise](const auto& value) { promise.deliver(value); }, r);
}

class gateway {
public:
  gateway(caf::event_based_actor* self, gateway_options options)
      : self_(self)
      , options_(std::move(options))
      , tenant_gate_(options_.requests_per_second * pacing_margin)
      , rng_(std::random_device{}()) {}

  // A lookup from a candidate or supervisor.
  void ask(kind what, std::int64_t id) {
    auto promise = self_->make_response_promise();
    if (auto hit = cached(what, id))
      return deliver(promise, *hit);
    auto key = lookup_key{static_cast<int>(what), id};
    // Join a lookup still waiting in the queue, never one in flight: the
    // answer must be at least as fresh as the question.
    if (auto it = queued_.find(key); it != queued_.end()) {
      it->second->waiters.push_back(std::move(promise));
      return;
    }
    lookup l{what, id, {}, 0};
    l.waiters.push_back(std::move(promise));
    enqueue(std::move(l), false);
    pump();
  }

  void on_pump_timer() {
    pump_at_.reset();
    pump();
  }

  void on_reply(std::uint64_t call_id, net::http_client_result& result) {
    auto it = in_flight_.find(call_id);
    if (it == in_flight_.end())
      return;
    auto c = std::move(it->second);
    in_flight_.erase(it);
    handle_reply(c, result);
    pump();
  }

  // The service is stopping: every lookup still waiting is told so (the
  // error is not a gateway error, so its event stays in the inbox), and
  // nobody waits on an answer that will never come.
  void abandon_all() {
    auto stopping = caf::make_error(caf::sec::request_receiver_down);
    for (auto& l : queue_)
      answer_all(l, stopping);
    queue_.clear();
    queued_.clear();
    for (auto& c : resend_)
      for (auto& l : c.lookups)
        answer_all(l, stopping);
    resend_.clear();
    for (auto& [id, c] : in_flight_)
      for (auto& l : c.lookups)
        answer_all(l, stopping);
    in_flight_.clear();
  }

  void on_token(net::http_client_result& result) {
    token_pending_ = false;
    if (auto reason = accept_token(result)) {
      logger()->warn("avionte token refused tenant={}: {}", options_.tenant_id,
                     *reason);
      fail_queued(*reason, std::nullopt);
    }
    pump();
  }

private:
  // --- the queue ----------------------------------------------------------

  void enqueue(lookup&& l, bool front) {
    auto key = lookup_key{static_cast<int>(l.what), l.id};
    if (auto it = queued_.find(key); it != queued_.end()) {
      auto& existing = *it->second;
      for (auto& w : l.waiters)
        existing.waiters.push_back(std::move(w));
      existing.failures = std::max(existing.failures, l.failures);
      return;
    }
    auto pos = front ? queue_.insert(queue_.begin(), std::move(l))
                     : queue_.insert(queue_.end(), std::move(l));
    queued_.emplace(key, pos);
  }

  // The oldest lookup and, for kinds with a multi-query, up to 99 more of
  // its kind, in queue order.
  call take_call() {
    call c;
    c.what = queue_.front().what;
    c.request_id = new_request_id(rng_);
    std::size_t limit = batches(c.what) ? max_ids_per_call : 1;
    for (auto it = queue_.begin();
         it != queue_.end() && c.lookups.size() < limit;) {
      if (it->what != c.what) {
        ++it;
        continue;
      }
      queued_.erase({static_cast<int>(it->what), it->id});
      c.lookups.push_back(std::move(*it));
      it = queue_.erase(it);
    }
    return c;
  }

  // --- pacing -------------------------------------------------------------

  void pump() {
    auto now = clock::now();
    if (queue_.empty() && resend_.empty())
      return;
    if (now < paused_until_)
      return schedule(paused_until_);
    if (!token_usable(now))
      return renew_token();
    while ((!queue_.empty() || !resend_.empty()) &&
           in_flight_.size() < options_.calls_in_flight) {
      auto wait = tenant_gate_.try_take(now);
      if (wait > clock::duration::zero())
        return schedule(now + wait);
      if (options_.partner_ceiling) {
        wait = options_.partner_ceiling->try_take(now);
        if (wait > clock::duration::zero()) {
          tenant_gate_.give_back();
          return schedule(now + wait);
        }
      }
      if (!resend_.empty()) {
        auto c = std::move(resend_.front());
        resend_.erase(resend_.begin());
        send(std::move(c));
      } else {
        send(take_call());
      }
    }
  }

  void schedule(clock::time_point at) {
    if (pump_at_ && *pump_at_ <= at)
      return;
    pump_at_ = at;
    auto delay = std::chrono::duration_cast<std::chrono::microseconds>(
        at - clock::now());
    self_->delayed_send(self_, std::max(delay, std::chrono::microseconds{0}),
                        pump_atom::value);
  }

  clock::duration backoff(std::optional<std::chrono::seconds> hint) {
    std::uniform_real_distribution<double> jitter{0.0, 1.0};
    return backoff_delay(error_streak_, options_.backoff_initial, jitter(rng_),
                         hint);
  }

  // --- the token ----------------------------------------------------------

  bool token_usable(clock::time_point now) const {
    return !token_.empty() && now < token_renew_at_;
  }

  void renew_token() {
    if (token_pending_)
      return;
    token_pending_ = true;
    net::http_client_request request;
    request.method = "POST";
    request.url = options_.base_url + "/authorize/token";
    request.headers = {{"X-api-key", options_.api_key},
                       {"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    request.body = "grant_type=client_credentials&client_id=" +
                   form_encode(options_.client_id) +
                   "&client_secret=" + form_encode(options_.client_secret) +
                   "&scope=avionte.aero.compasintegrationservice";
    auto handle = caf::actor_cast<caf::actor>(self_);
    options_.http->send(
        std::move(request), [handle](net::http_client_result result) {
          caf::anon_send(handle, token_atom::value, std::move(result));
        });
  }

  static std::string form_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 15]);
      }
    }
    return out;
  }

  // Nothing, or why the token could not be had.
  std::optional<std::string> accept_token(net::http_client_result& result) {
    if (!result)
      return std::string{"token request failed: "} +
             std::string{result.error.code_name()};
    if (result.response->status != 200)
      return "token request answered HTTP " +
             std::to_string(result.response->status);
    auto doc = nlohmann::json::parse(result.response->body, nullptr, false);
    if (!doc.is_object() || !doc.contains("access_token") ||
        !doc["access_token"].is_string())
      return std::string{"token answer without access_token"};
    long lifetime = doc.value("expires_in", 3600L);
    if (lifetime <= 0)
      lifetime = 1;
    auto now = clock::now();
    token_ = doc["access_token"].get<std::string>();
    // Renew a little early: a fifth of the lifetime, at most a minute.
    auto margin = std::min<std::chrono::milliseconds>(
        std::chrono::minutes{1}, std::chrono::milliseconds{lifetime * 200});
    token_renew_at_ = now + std::chrono::seconds{lifetime} - margin;
    logger()->debug("avionte token renewed tenant={} expires_in={}s",
                    options_.tenant_id, lifetime);
    return std::nullopt;
  }

  // --- calls --------------------------------------------------------------

  net::http_client_request build(const call& c) const {
    net::http_client_request request;
    auto base = options_.base_url + "/front-office/v1/";
    if (batches(c.what)) {
      auto ids = nlohmann::json::array();
      for (const auto& l : c.lookups)
        ids.push_back(l.id);
      request.method = "POST";
      request.url = base + (c.what == kind::pipeline ? "pipeline/multi-query"
                                                     : "talents/multi-query");
      request.body = ids.dump();
      request.headers.emplace_back("Content-Type", "application/json");
    } else {
      request.method = "GET";
      request.url =
          base + kind_name(c.what) + "/" + std::to_string(c.lookups.front().id);
    }
    request.headers.emplace_back("X-api-key", options_.api_key);
    request.headers.emplace_back("Authorization", "Bearer " + token_);
    request.headers.emplace_back("FrontOfficeTenantId",
                                 std::to_string(options_.tenant_id));
    request.headers.emplace_back("RequestId", c.request_id);
    request.headers.emplace_back("Accept", "application/json");
    return request;
  }

  void send(call c) {
    auto id = next_call_++;
    auto request = build(c);
    logger()->debug("avionte call tenant={} request_id={} endpoint={} ids={}",
                    options_.tenant_id, c.request_id, kind_name(c.what),
                    c.lookups.size());
    in_flight_.emplace(id, std::move(c));
    auto handle = caf::actor_cast<caf::actor>(self_);
    options_.http->send(
        std::move(request), [handle, id](net::http_client_result result) {
          caf::anon_send(handle, reply_atom::value, id, std::move(result));
        });
  }

  void handle_reply(call& c, net::http_client_result& result) {
    if (!result) {
      count(c, result.error.code_name());
      return failed(c, std::string{result.error.code_name()}, std::nullopt);
    }
    auto& response = *result.response;
    count(c, std::to_string(response.status / 100) + "xx");
    auto status = response.status;
    if (status == 200)
      return answered(c, response.body);
    if (status == 401 && !c.token_renewed) {
      // One renewal and one retry of this call, never a loop.
      logger()->info("avionte answered 401, renewing the token tenant={} "
                     "request_id={}",
                     options_.tenant_id, c.request_id);
      token_.clear();
      c.token_renewed = true;
      resend_.push_back(std::move(c));
      return;
    }
    if (status == 404 && !batches(c.what))
      return settle(c, gateway_error::not_found,
                    std::string{kind_name(c.what)} + " not found in Avionté");
    if (status == 401 || status == 429 || status >= 500)
      return failed(c, "HTTP " + std::to_string(status), retry_after(response));
    settle(c, gateway_error::refused,
           "Avionté refused the call with HTTP " + std::to_string(status));
  }

  void answered(call& c, const std::string& body) {
    error_streak_ = 0;
    std::unordered_map<std::int64_t, record> found;
    if (auto problem = parse_records(c.what, body, found)) {
      logger()->warn("avionte answer unreadable tenant={} request_id={}: {}",
                     options_.tenant_id, c.request_id, *problem);
      return settle(c, gateway_error::refused,
                    "unreadable answer from Avionté: " + *problem);
    }
    auto now = clock::now();
    for (auto& l : c.lookups) {
      auto it = found.find(l.id);
      if (it == found.end()) {
        answer_all(l, make_gateway_error(gateway_error::not_found,
                                         std::string{kind_name(l.what)} +
                                             " not found in Avionté"));
        continue;
      }
      if (!batches(l.what))
        remember(l.what, l.id, it->second, now);
      for (auto& w : l.waiters)
        deliver(w, it->second);
    }
  }

  // Every lookup of the call gets the same definitive error.
  void settle(call& c, gateway_error code, const std::string& reason) {
    logger()->warn("avionte lookup failed tenant={} request_id={} "
                   "endpoint={}: {}",
                   options_.tenant_id, c.request_id, kind_name(c.what), reason);
    for (auto& l : c.lookups)
      answer_all(l, make_gateway_error(code, reason));
  }

  // A failure worth retrying: the tenant backs off, and each lookup tries
  // again unless it has used up its tries.
  void failed(call& c, const std::string& reason,
              std::optional<std::chrono::seconds> hint) {
    ++error_streak_;
    auto delay = backoff(hint);
    paused_until_ = std::max(paused_until_, clock::now() + delay);
    logger()->warn(
        "avionte call failed tenant={} request_id={} endpoint={}: "
        "{}; backing off {} ms",
        options_.tenant_id, c.request_id, kind_name(c.what), reason,
        std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    // Back to the front, in their order, ahead of newer lookups.
    for (auto it = c.lookups.rbegin(); it != c.lookups.rend(); ++it)
      retry_or_give_up(std::move(*it), reason);
  }

  void retry_or_give_up(lookup&& l, const std::string& reason) {
    if (++l.failures >= options_.max_tries)
      return answer_all(l, make_gateway_error(gateway_error::gave_up,
                                              "gave up after " +
                                                  std::to_string(l.failures) +
                                                  " tries: " + reason));
    enqueue(std::move(l), true);
  }

  // The token could not be had: that is a failed try for everything queued.
  void fail_queued(const std::string& reason,
                   std::optional<std::chrono::seconds> hint) {
    ++error_streak_;
    paused_until_ = std::max(paused_until_, clock::now() + backoff(hint));
    std::list<lookup> waiting;
    waiting.swap(queue_);
    queued_.clear();
    for (auto& c : resend_)
      for (auto& l : c.lookups)
        waiting.push_back(std::move(l));
    resend_.clear();
    for (auto& l : waiting)
      retry_or_give_up(std::move(l), reason);
  }

  void answer_all(lookup& l, const caf::error& error) {
    for (auto& w : l.waiters)
      w.deliver(error);
    l.waiters.clear();
  }

  void count(const call& c, std::string_view outcome) {
    if (options_.metrics)
      options_.metrics->count_avionte_call(options_.tenant_id,
                                           kind_name(c.what), outcome);
  }

  // --- the cache of shared records ----------------------------------------

  std::optional<record> cached(kind what, std::int64_t id) {
    if (batches(what))
      return std::nullopt;
    auto it = cache_.find({static_cast<int>(what), id});
    if (it == cache_.end())
      return std::nullopt;
    if (clock::now() >= it->second.second) {
      cache_.erase(it);
      return std::nullopt;
    }
    return it->second.first;
  }

  void remember(kind what, std::int64_t id, const record& r,
                clock::time_point now) {
    if (cache_.size() >= record_cache_capacity)
      std::erase_if(cache_,
                    [now](const auto& e) { return e.second.second <= now; });
    if (cache_.size() >= record_cache_capacity)
      cache_.clear();
    cache_[{static_cast<int>(what), id}] = {r, now + options_.record_cache_ttl};
  }

  caf::event_based_actor* self_;
  gateway_options options_;
  rate_gate tenant_gate_;
  std::mt19937_64 rng_;

  std::list<lookup> queue_; // waiting, oldest first
  std::unordered_map<lookup_key, std::list<lookup>::iterator, lookup_key_hash>
      queued_;
  std::vector<call> resend_; // calls to repeat after a token renewal
  std::map<std::uint64_t, call> in_flight_;
  std::uint64_t next_call_ = 1;

  std::string token_;
  clock::time_point token_renew_at_{};
  bool token_pending_ = false;

  clock::time_point paused_until_{};
  std::size_t error_streak_ = 0;
  std::optional<clock::time_point> pump_at_;

  std::unordered_map<lookup_key, std::pair<record, clock::time_point>,
                     lookup_key_hash>
      cache_;
};

caf::behavior gateway_actor(caf::event_based_actor* self,
                            gateway_options options) {
  auto g = std::make_shared<gateway>(self, std::move(options));
  self->set_exit_handler([self, g](caf::exit_msg& exit) {
    g->abandon_all();
    self->quit(exit.reason);
  });
  return {
      [g](pipeline_atom, std::int64_t id) { g->ask(kind::pipeline, id); },
      [g](talent_atom, std::int64_t id) { g->ask(kind::talent, id); },
      [g](job_atom, std::int64_t id) { g->ask(kind::job, id); },
      [g](user_atom, std::int64_t id) { g->ask(kind::user, id); },
      [g](pump_atom) { g->on_pump_timer(); },
      [g](reply_atom, std::uint64_t call_id, net::http_client_result& result) {
        g->on_reply(call_id, result);
      },
      [g](token_atom, net::http_client_result& result) { g->on_token(result); },
  };
}

} // namespace

caf::error make_gateway_error(gateway_error code, std::string reason) {
  return caf::error{static_cast<std::uint8_t>(code), gateway_category,
                    caf::make_message(std::move(reason))};
}

bool is_gateway_error(const caf::error& error, gateway_error code) {
  return error.category() == gateway_category &&
         error.code() == static_cast<std::uint8_t>(code);
}

std::string error_reason(const caf::error& error) {
  if (error.category() == gateway_category && !error.context().empty() &&
      error.context().match_element<std::string>(0))
    return error.context().get_as<std::string>(0);
  return caf::to_string(error);
}

bool lookup_failed_for_good(const caf::error& error) {
  return error.category() == gateway_category;
}

caf::actor spawn_avionte_gateway(caf::actor_system& system,
                                 gateway_options options) {
  return system.spawn(gateway_actor, std::move(options));
}

} // namespace introvy::actors
