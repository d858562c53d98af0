#include "actors/tenant_supervisor.hpp"

#include <caf/all.hpp>
#include <unordered_map>

#include "actors/candidate.hpp"
#include "actors/logger.hpp"
#include "actors/messages.hpp"

namespace introvy::actors {
namespace {

struct child {
  caf::actor actor;
  std::uint64_t sent = 0; // events routed to it so far
};

struct supervisor_state {
  static inline const char* name = "tenant_supervisor";
  std::unordered_map<std::string, child> children;
  std::unordered_map<caf::actor_addr, std::string> keys; // for down messages
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

caf::behavior supervisor(supervisor_actor* self, supervisor_options options,
                         caf::actor writer, storage::store* store,
                         net::service_metrics* metrics) {
  self->set_down_handler([self, options, metrics](caf::down_msg& down) {
    metrics->candidate_stopped();
    auto it = self->state.keys.find(down.source);
    if (it == self->state.keys.end())
      return;
    if (down.reason && down.reason != caf::exit_reason::user_shutdown)
      logger()->error("candidate actor failed tenant={} candidate={}: {}",
                      options.tenant_id, it->second,
                      caf::to_string(down.reason));
    // A child that died unasked is forgotten, so the next event respawns it.
    auto child_it = self->state.children.find(it->second);
    if (child_it != self->state.children.end() &&
        child_it->second.actor.address() == down.source)
      self->state.children.erase(child_it);
    self->state.keys.erase(it);
  });
  self->set_exit_handler([self](caf::exit_msg& exit) {
    for (auto& [key, c] : self->state.children)
      self->send_exit(c.actor, exit.reason);
    self->quit(exit.reason);
  });

  auto spawn_child = [self, options, writer, store,
                      metrics](const std::string& key) {
    candidate_options child_options{
        options.tenant_id, key, options.candidate_idle_timeout, options.budget};
    auto actor =
        self->spawn<caf::monitored>(candidate_actor, child_options,
                                    caf::actor{self}, writer, store, metrics);
    metrics->candidate_started();
    self->state.keys.emplace(actor.address(), key);
    return self->state.children.emplace(key, child{actor, 0}).first;
  };

  return {
      [self, spawn_child](dispatch_atom, domain::webhook_event& event) {
        auto key = domain::candidate_key(event);
        auto it = self->state.children.find(key);
        if (it == self->state.children.end())
          it = spawn_child(key);
        ++it->second.sent;
        self->send(it->second.actor, apply_atom::value, std::move(event));
      },
      [self](idle_atom, const std::string& key, std::uint64_t received) {
        auto it = self->state.children.find(key);
        // Stop it only if it has seen everything we sent; otherwise an event
        // is on its way and it stays.
        if (it == self->state.children.end() || it->second.sent != received)
          return;
        self->send(it->second.actor, passivate_atom::value);
        self->state.children.erase(it);
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
