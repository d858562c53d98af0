#include "actors/candidate.hpp"

#include <caf/all.hpp>
#include <optional>

#include "actors/logger.hpp"
#include "actors/messages.hpp"
#include "domain/candidate_state.hpp"

namespace introvy::actors {
namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

// The candidate's state, loaded lazily from the store, and the bookkeeping
// of outcomes sent to the state writer but not yet confirmed.
struct candidate_data {
  candidate_options options;
  storage::store& store;
  net::service_metrics& metrics;
  std::optional<domain::candidate_state> state;
  std::uint64_t received = 0; // events routed to this actor
  std::uint64_t unsaved = 0;  // outcomes not yet confirmed written
  bool idle_due = false;      // went idle while outcomes were unsaved

  bool ensure_loaded(const domain::webhook_event& event) {
    if (state)
      return true;
    std::optional<std::string> stored;
    auto loaded = store.load_candidate(options.tenant_id, options.key, stored);
    if (!loaded.ok()) {
      logger()->error("candidate state not loaded tenant={} "
                      "correlation_id={} candidate={}: {}",
                      event.tenant_id, event.correlation_id, options.key,
                      loaded.message());
      return false;
    }
    try {
      state = stored ? domain::candidate_state::from_json(*stored)
                     : domain::candidate_state{};
    } catch (const std::invalid_argument& ex) {
      logger()->error("candidate state corrupt tenant={} candidate={}: {}",
                      options.tenant_id, options.key, ex.what());
      return false;
    }
    return true;
  }

  // Applies the event to the in-memory state; the outcome to save.
  std::optional<storage::store::candidate_outcome>
  apply(const domain::webhook_event& event) {
    if (!ensure_loaded(event))
      return std::nullopt; // stays in the inbox; dispatched again on restart
    storage::store::candidate_outcome outcome;
    outcome.tenant_id = options.tenant_id;
    outcome.key = options.key;
    outcome.seq = event.seq;
    if (auto entry = state->apply(event, wall_clock_ms())) {
      outcome.record = state->to_json();
      outcome.history_entry = domain::to_json(*entry);
    } else
      logger()->info("event already applied, skipped tenant={} "
                     "correlation_id={} candidate={}",
                     event.tenant_id, event.correlation_id, options.key);
    return outcome;
  }
};

} // namespace

caf::behavior candidate_actor(caf::event_based_actor* self,
                              candidate_options options, caf::actor supervisor,
                              caf::actor writer, storage::store* store,
                              net::service_metrics* metrics) {
  auto idle = options.idle_timeout;
  auto data = std::make_shared<candidate_data>(
      candidate_data{std::move(options), *store, *metrics, std::nullopt});
  auto report_idle = [self, supervisor, data] {
    data->idle_due = false;
    self->send(supervisor, idle_atom::value, data->options.key, data->received);
  };
  return {
      [self, writer, data, report_idle](apply_atom,
                                        const domain::webhook_event& event) {
        ++data->received;
        auto outcome = data->apply(event);
        if (!outcome)
          return data->options.budget->give_back();
        bool changed = outcome->record.has_value();
        ++data->unsaved;
        self->request(writer, caf::infinite, save_atom::value,
                      std::move(*outcome))
            .then(
                [data, changed, tenant = event.tenant_id, report_idle] {
                  --data->unsaved;
                  data->options.budget->give_back();
                  data->metrics.inbox_removed(1);
                  if (changed)
                    data->metrics.count_processed(tenant);
                  if (data->unsaved == 0 && data->idle_due)
                    report_idle();
                },
                [data, report_idle](caf::error& err) {
                  --data->unsaved;
                  data->options.budget->give_back();
                  // What is durable is the truth: reload it next time.
                  data->state.reset();
                  logger()->error("candidate outcome not saved tenant={} "
                                  "candidate={}: {}",
                                  data->options.tenant_id, data->options.key,
                                  caf::to_string(err));
                  if (data->unsaved == 0 && data->idle_due)
                    report_idle();
                });
      },
      [self](passivate_atom) { self->quit(); },
      caf::after(idle) >>
          [data, report_idle] {
            // Only ask to stop once every outcome is written, so that a
            // successor never loads a state older than ours.
            if (data->unsaved == 0)
              report_idle();
            else
              data->idle_due = true;
          },
  };
}

} // namespace introvy::actors
