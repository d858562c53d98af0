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

// The candidate's state, loaded lazily from the store.
class candidate_record {
public:
  candidate_record(candidate_options options, storage::store& store,
                   net::service_metrics& metrics)
      : options_(std::move(options))
      , store_(store)
      , metrics_(metrics) {}

  std::uint64_t received() const { return received_; }

  void apply(const domain::webhook_event& event) {
    ++received_;
    if (!ensure_loaded(event))
      return;

    bool changed = state_->apply(event, wall_clock_ms());
    auto saved = changed
                     ? store_.save_candidate(options_.tenant_id, options_.key,
                                             state_->to_json(), event.seq)
                     : store_.complete_inbox(event.seq);
    if (!saved.ok()) {
      // The event stays in the inbox and is dispatched again on restart.
      logger()->error("candidate state not saved tenant={} correlation_id={} "
                      "candidate={}: {}",
                      event.tenant_id, event.correlation_id, options_.key,
                      saved.message());
      state_.reset(); // reload from what is durable next time
      return;
    }
    metrics_.inbox_removed(1);
    if (!changed) {
      logger()->info("event already applied, skipped tenant={} "
                     "correlation_id={} candidate={}",
                     event.tenant_id, event.correlation_id, options_.key);
      return;
    }
    metrics_.count_processed(event.tenant_id);
    logger()->debug("event applied tenant={} correlation_id={} candidate={} "
                    "seq={}",
                    event.tenant_id, event.correlation_id, options_.key,
                    event.seq);
  }

private:
  bool ensure_loaded(const domain::webhook_event& event) {
    if (state_)
      return true;
    std::optional<std::string> stored;
    auto loaded =
        store_.load_candidate(options_.tenant_id, options_.key, stored);
    if (!loaded.ok()) {
      logger()->error("candidate state not loaded tenant={} "
                      "correlation_id={} candidate={}: {}",
                      event.tenant_id, event.correlation_id, options_.key,
                      loaded.message());
      return false;
    }
    try {
      state_ = stored ? domain::candidate_state::from_json(*stored)
                      : domain::candidate_state{};
    } catch (const std::invalid_argument& ex) {
      logger()->error("candidate state corrupt tenant={} candidate={}: {}",
                      options_.tenant_id, options_.key, ex.what());
      return false;
    }
    return true;
  }

  candidate_options options_;
  storage::store& store_;
  net::service_metrics& metrics_;
  std::optional<domain::candidate_state> state_;
  std::uint64_t received_ = 0;
};

} // namespace

caf::behavior candidate_actor(caf::event_based_actor* self,
                              candidate_options options, caf::actor supervisor,
                              storage::store* store,
                              net::service_metrics* metrics) {
  auto idle = options.idle_timeout;
  auto key = options.key;
  auto record =
      std::make_shared<candidate_record>(std::move(options), *store, *metrics);
  return {
      [record](apply_atom, const domain::webhook_event& event) {
        record->apply(event);
      },
      [self](passivate_atom) { self->quit(); },
      caf::after(idle) >>
          [self, supervisor, key, record] {
            self->send(supervisor, idle_atom::value, key, record->received());
          },
  };
}

} // namespace introvy::actors
