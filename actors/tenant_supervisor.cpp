#include "actors/tenant_supervisor.hpp"

#include <caf/all.hpp>
#include <map>
#include <unordered_map>

#include "actors/avionte_gateway.hpp"
#include "actors/candidate.hpp"
#include "actors/logger.hpp"
#include "actors/lookup_window.hpp"
#include "actors/messages.hpp"
#include "domain/dead_letter.hpp"

namespace introvy::actors {
namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

// Five of the gateway's multi-id calls: enough to keep it busy at its pace.
constexpr std::size_t max_outstanding_lookups = 5 * max_ids_per_call;

struct child {
  caf::actor actor;
  std::uint64_t sent = 0; // events routed to it so far
};

// An event whose pipeline lookup is out, and what came back.
struct resolving {
  domain::webhook_event event;
  std::optional<domain::pipeline_record> pipeline;
  std::optional<caf::error> failure;
  bool done() const { return pipeline || failure; }
};

struct supervisor_state {
  static inline const char* name = "tenant_supervisor";
  std::unordered_map<std::string, child> children;
  std::unordered_map<caf::actor_addr, std::string> keys; // for down messages
  std::map<std::uint64_t, resolving> waiting; // by arrival, oldest first
  std::uint64_t arrivals = 0;
  lookup_window lookups{max_outstanding_lookups};
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

class router {
public:
  router(supervisor_actor* self, supervisor_options options, caf::actor writer,
         storage::store* store, net::service_metrics* metrics)
      : self_(self)
      , options_(std::move(options))
      , writer_(std::move(writer))
      , store_(store)
      , metrics_(metrics) {}

  void resolve(domain::webhook_event&& event) {
    auto& st = self_->state;
    auto arrival = st.arrivals++;
    auto pipeline_id = event.resource.pipeline_id;
    st.waiting.emplace(arrival, resolving{std::move(event), {}, {}});
    if (st.lookups.arrive(arrival))
      ask(arrival, pipeline_id);
  }

  void on_idle(const std::string& key, std::uint64_t received) {
    auto& children = self_->state.children;
    auto it = children.find(key);
    // Stop it only if it has seen everything we sent; otherwise an event
    // is on its way and it stays.
    if (it == children.end() || it->second.sent != received)
      return;
    self_->send(it->second.actor, passivate_atom::value);
    children.erase(it);
  }

  void on_down(caf::down_msg& down) {
    metrics_->candidate_stopped();
    auto& st = self_->state;
    auto it = st.keys.find(down.source);
    if (it == st.keys.end())
      return;
    if (down.reason && down.reason != caf::exit_reason::user_shutdown)
      logger()->error("candidate actor failed tenant={} candidate={}: {}",
                      options_.tenant_id, it->second,
                      caf::to_string(down.reason));
    // A child that died unasked is forgotten, so the next event respawns it.
    auto child_it = st.children.find(it->second);
    if (child_it != st.children.end() &&
        child_it->second.actor.address() == down.source)
      st.children.erase(child_it);
    st.keys.erase(it);
  }

  void on_exit(caf::exit_msg& exit) {
    for (auto& [key, c] : self_->state.children)
      self_->send_exit(c.actor, exit.reason);
    self_->quit(exit.reason);
  }

private:
  void ask(std::uint64_t arrival, std::int64_t pipeline_id) {
    self_
        ->request(options_.gateway, caf::infinite, pipeline_atom::value,
                  pipeline_id)
        .then(
            [this, arrival](domain::pipeline_record& record) {
              self_->state.waiting[arrival].pipeline = std::move(record);
              answered();
            },
            [this, arrival](caf::error& error) {
              self_->state.waiting[arrival].failure = std::move(error);
              answered();
            });
  }

  // A lookup came back: the next waiting event takes its place.
  void answered() {
    auto& st = self_->state;
    if (auto next = st.lookups.answered())
      ask(*next, st.waiting[*next].event.resource.pipeline_id);
    release();
  }

  // Hands over, in arrival order, every event whose lookup is done.
  void release() {
    auto& waiting = self_->state.waiting;
    while (!waiting.empty() && waiting.begin()->second.done()) {
      auto entry = std::move(waiting.begin()->second);
      waiting.erase(waiting.begin());
      if (entry.pipeline)
        route(std::move(entry.event), std::move(*entry.pipeline));
      else
        not_resolved(std::move(entry.event), *entry.failure);
    }
  }

  void route(domain::webhook_event&& event, domain::pipeline_record&& record) {
    auto key = domain::candidate_key(record.talent_id);
    auto& children = self_->state.children;
    auto it = children.find(key);
    if (it == children.end())
      it = spawn_child(key);
    ++it->second.sent;
    self_->send(it->second.actor, apply_atom::value, std::move(event),
                std::move(record));
  }

  std::unordered_map<std::string, child>::iterator
  spawn_child(const std::string& key) {
    candidate_options child_options{options_.tenant_id,
                                    key,
                                    options_.candidate_idle_timeout,
                                    options_.budget,
                                    options_.gateway,
                                    options_.stages};
    auto actor = self_->spawn<caf::monitored>(candidate_actor, child_options,
                                              caf::actor{self_}, writer_,
                                              store_, metrics_);
    metrics_->candidate_started();
    self_->state.keys.emplace(actor.address(), key);
    return self_->state.children.emplace(key, child{actor, 0}).first;
  }

  // The gateway said no for good: park the event. Anything else (the
  // gateway stopped with the service) leaves it in the inbox for the next
  // start.
  void not_resolved(domain::webhook_event&& event, const caf::error& error) {
    if (!lookup_failed_for_good(error)) {
      options_.budget->give_back();
      return;
    }
    domain::dead_letter letter{event.seq,
                               event.tenant_id,
                               event.correlation_id,
                               event.resource.pipeline_id,
                               std::nullopt,
                               "pipeline lookup: " + error_reason(error),
                               wall_clock_ms()};
    logger()->warn("event parked tenant={} correlation_id={} pipeline={}: {}",
                   event.tenant_id, event.correlation_id,
                   event.resource.pipeline_id, letter.reason);
    storage::store::candidate_outcome outcome;
    outcome.tenant_id = event.tenant_id;
    outcome.seq = event.seq;
    outcome.dead_letter = domain::to_json(letter);
    auto* budget = options_.budget;
    auto* metrics = metrics_;
    auto tenant = event.tenant_id;
    self_->request(writer_, caf::infinite, save_atom::value, std::move(outcome))
        .then(
            [budget, metrics, tenant] {
              budget->give_back();
              metrics->inbox_removed(1);
              metrics->count_dead_letter(tenant);
            },
            [budget](caf::error&) { budget->give_back(); });
  }

  supervisor_actor* self_;
  supervisor_options options_;
  caf::actor writer_;
  storage::store* store_; // candidates load their state from it
  net::service_metrics* metrics_;
};

caf::behavior supervisor(supervisor_actor* self, supervisor_options options,
                         caf::actor writer, storage::store* store,
                         net::service_metrics* metrics) {
  auto r = std::make_shared<router>(self, std::move(options), std::move(writer),
                                    store, metrics);
  self->set_down_handler([r](caf::down_msg& down) { r->on_down(down); });
  self->set_exit_handler([r](caf::exit_msg& exit) { r->on_exit(exit); });
  return {
      [r](dispatch_atom, domain::webhook_event& event) {
        r->resolve(std::move(event));
      },
      [r](idle_atom, const std::string& key, std::uint64_t received) {
        r->on_idle(key, received);
      },
  };
}

} // namespace

caf::actor spawn_tenant_supervisor(caf::actor_system& system,
                                   supervisor_options options,
                                   caf::actor state_writer,
                                   storage::store& store,
                                   net::service_metrics& metrics) {
  return system.spawn(supervisor, options, state_writer, &store, &metrics);
}

} // namespace introvy::actors
