#include "actors/ingress.hpp"

#include <spdlog/spdlog.h>
#include <unordered_map>
#include <vector>

#include "actors/dispatcher.hpp"
#include "actors/logger.hpp"
#include "actors/messages.hpp"

namespace introvy::actors {
namespace {

using net::ingest_result;

using refill_atom = caf::atom_constant<caf::atom("refill")>;

// How long to wait before reading back the backlog when candidates have not
// yet made room.
constexpr std::chrono::milliseconds refill_pause{10};

struct ingress_state {
  static inline const char* name = "ingress";
  std::vector<ingress_request> pending;
  bool flush_scheduled = false;
  bool refill_scheduled = false;
};

using ingress_actor = caf::stateful_actor<ingress_state>;

// A request and what became of it, in arrival order.
struct decision {
  ingress_request* request;
  ingest_result result;
};

class batch_committer {
public:
  batch_committer(storage::store& store, net::service_metrics& metrics,
                  const tenant_directory& tenants, dispatch_budget& budget)
      : store_(store)
      , metrics_(metrics)
      , tenants_(tenants)
      , dispatcher_(store, tenants, budget) {}

  dispatcher& backlog() { return dispatcher_; }

  /// Moves a dead letter back into the inbox and hands it over: "retried",
  /// "unknown" (no such dead letter, or its tenant is gone), or an error.
  std::string retry(std::uint64_t seq) {
    std::optional<domain::webhook_event> event;
    auto s = store_.requeue_dead_letter(seq, event);
    if (!s.ok()) {
      logger()->error("dead letter {} not requeued: {}", seq, s.message());
      return "failed";
    }
    if (!event || tenants_.find(event->tenant_id) == nullptr)
      return "unknown";
    logger()->info("dead letter retried tenant={} correlation_id={} seq={}",
                   event->tenant_id, event->correlation_id, seq);
    metrics_.inbox_added(1);
    dispatcher_.retry(std::move(*event));
    return "retried";
  }

  void commit(std::vector<ingress_request>& pending) {
    std::vector<decision> decisions;
    decisions.reserve(pending.size());
    accepted_.reserve(pending.size());
    for (auto& request : pending)
      decisions.push_back({&request, decide(request)});

    auto written = store_.commit_webhooks(accepted_, quarantined_);
    if (!written.ok())
      logger()->error("durable write failed, {} events refused with 503: {}",
                      accepted_.size() + quarantined_.size(),
                      written.message());
    answer(decisions, written.ok());
    if (written.ok())
      hand_over();
    accepted_.clear();
    quarantined_.clear();
    in_batch_.clear();
  }

private:
  // Dedup against the store and against earlier requests of this batch.
  ingest_result decide(ingress_request& request) {
    auto& event = request.event;
    auto key = storage::dedup_key(event.tenant_id, event.correlation_id);
    if (auto it = in_batch_.find(key); it != in_batch_.end()) {
      warn_if_different(event, domain::body_fingerprint(earlier(it->second)));
      return ingest_result::duplicate;
    }
    std::optional<storage::dedup_record> original;
    auto looked_up = store_.find_dedup_key(key, original);
    if (!looked_up.ok()) {
      logger()->error("dedup lookup failed tenant={} correlation_id={}: {}",
                      event.tenant_id, event.correlation_id,
                      looked_up.message());
      return ingest_result::unavailable;
    }
    if (original) {
      warn_if_different(event, original->fingerprint,
                        original->fingerprint_version);
      return ingest_result::duplicate;
    }

    // The request's event is not read again: only its callback is.
    if (tenants_.find(event.tenant_id) == nullptr) {
      logger()->info("event quarantined: tenant not configured tenant={} "
                     "correlation_id={}",
                     event.tenant_id, event.correlation_id);
      in_batch_.emplace(std::move(key), place{true, quarantined_.size()});
      quarantined_.push_back(std::move(event));
      return ingest_result::quarantined;
    }
    in_batch_.emplace(std::move(key), place{false, accepted_.size()});
    accepted_.push_back(std::move(event));
    return ingest_result::accepted;
  }

  // Where this batch keeps an event it took: the body is fingerprinted only
  // when a later request of the batch repeats its key.
  struct place {
    bool quarantined;
    std::size_t index;
  };

  const std::string& earlier(place p) const {
    return (p.quarantined ? quarantined_ : accepted_)[p.index].body;
  }

  void warn_if_different(const domain::webhook_event& event,
                         std::uint64_t original_fingerprint,
                         std::uint8_t version = domain::current_fingerprint) {
    if (domain::body_fingerprint(event.body, version) == original_fingerprint)
      return;
    metrics_.count_duplicate_mismatch();
    logger()->warn("duplicate with a different body tenant={} "
                   "correlation_id={}: the original is kept",
                   event.tenant_id, event.correlation_id);
  }

  void answer(std::vector<decision>& decisions, bool written) {
    // Nothing of a failed batch is durable: every sender is asked to retry,
    // and a retry of an event stored earlier is then told it is a duplicate.
    for (auto& d : decisions)
      d.request->done(written ? d.result : ingest_result::unavailable);
  }

  void hand_over() {
    metrics_.inbox_added(accepted_.size());
    for (auto& event : accepted_)
      metrics_.count_tenant_event(event.tenant_id);
    dispatcher_.accepted(accepted_);
  }

  storage::store& store_;
  net::service_metrics& metrics_;
  const tenant_directory& tenants_;
  std::vector<domain::webhook_event> accepted_;
  std::vector<domain::webhook_event> quarantined_;
  std::unordered_map<std::string, place> in_batch_; // by dedup key
  dispatcher dispatcher_;
};

// Reads back part of the backlog now, or after a pause when candidates
// have not made room yet; at most one refill is pending at a time.
void schedule_refill(caf::stateful_actor<ingress_state>* self,
                     batch_committer& committer) {
  auto& backlog = committer.backlog();
  if (self->state.refill_scheduled || !backlog.has_backlog())
    return;
  self->state.refill_scheduled = true;
  if (backlog.has_room())
    self->send(self, refill_atom::value);
  else
    self->delayed_send(self, refill_pause, refill_atom::value);
}

caf::behavior ingress(ingress_actor* self,
                      std::shared_ptr<batch_committer> committer) {
  auto flush = [self, committer] {
    self->state.flush_scheduled = false;
    if (self->state.pending.empty())
      return;
    committer->commit(self->state.pending);
    self->state.pending.clear();
    schedule_refill(self, *committer);
  };
  // Whatever the inbox holds from before the start is the first backlog.
  schedule_refill(self, *committer);
  return {
      [self](submit_atom, std::vector<ingress_request>& requests) {
        auto& pending = self->state.pending;
        if (pending.empty())
          pending.swap(requests);
        else
          for (auto& request : requests)
            pending.push_back(std::move(request));
        // The flush lands behind everything already queued, so one write
        // takes all requests that arrived during the previous one.
        if (!self->state.flush_scheduled) {
          self->state.flush_scheduled = true;
          self->send(self, flush_atom::value);
        }
      },
      [flush](flush_atom) { flush(); },
      [self, committer](refill_atom) {
        self->state.refill_scheduled = false;
        committer->backlog().refill();
        schedule_refill(self, *committer);
      },
      [committer](retry_atom, std::uint64_t seq) {
        return committer->retry(seq);
      },
      [self, flush](shutdown_atom) {
        flush();
        self->quit();
        return caf::unit;
      },
  };
}

} // namespace

caf::actor spawn_ingress(caf::actor_system& system, storage::store& store,
                         net::service_metrics& metrics,
                         const tenant_directory& tenants,
                         dispatch_budget& budget) {
  auto committer =
      std::make_shared<batch_committer>(store, metrics, tenants, budget);
  return system.spawn<caf::detached>(ingress, committer);
}

} // namespace introvy::actors
