#include "actors/candidate.hpp"

#include <caf/all.hpp>
#include <optional>

#include "actors/avionte_gateway.hpp"
#include "actors/logger.hpp"
#include "actors/messages.hpp"
#include "domain/candidate_state.hpp"
#include "domain/dead_letter.hpp"

namespace introvy::actors {
namespace {

std::int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

std::string workflow_list(const std::vector<domain::workflow>& workflows) {
  std::string out;
  for (auto w : workflows)
    out += (out.empty() ? "" : ",") + std::string{domain::to_string(w)};
  return out.empty() ? "-" : out;
}

// The recruiter of a pipeline entry: the one Avionté names on the entry,
// else the job's owner, else the talent's representative.
std::optional<std::int64_t> recruiter_of(const domain::pipeline_record& p,
                                         const domain::job_record& job,
                                         const domain::talent_record& talent) {
  if (p.recruiter_user_id)
    return p.recruiter_user_id;
  if (job.owner_user_id)
    return job.owner_user_id;
  return talent.representative_user_id;
}

using outcome_type = storage::store::candidate_outcome;

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

  outcome_type empty_outcome(const domain::webhook_event& event) const {
    outcome_type outcome;
    outcome.tenant_id = options.tenant_id;
    outcome.key = options.key;
    outcome.seq = event.seq;
    return outcome;
  }

  // Decides the event with what Avionté said; the outcome to save.
  outcome_type decide(const domain::webhook_event& event,
                      const domain::enrichment& facts) {
    auto entry = state->apply(event, facts, *options.stages, wall_clock_ms());
    const auto& d = entry.outcome;
    if (d.kind == domain::decision_kind::unmapped)
      logger()->info("event dropped: stage not in the map tenant={} "
                     "correlation_id={} talent={} stage=\"{}\"",
                     event.tenant_id, event.correlation_id, facts.talent.id,
                     d.stage);
    else
      logger()->info("decided tenant={} correlation_id={} talent={} "
                     "pipeline={} stage=\"{}\" decision={} workflows={}",
                     event.tenant_id, event.correlation_id, facts.talent.id,
                     facts.pipeline.id, d.stage, domain::to_string(d.kind),
                     workflow_list(d.workflows));
    metrics.count_decision(options.tenant_id,
                           std::string{domain::to_string(d.kind)});
    auto outcome = empty_outcome(event);
    if (d.kind == domain::decision_kind::unmapped)
      outcome.unmapped_stage = d.stage;
    outcome.record = state->to_json();
    outcome.history_entry = domain::to_json(entry);
    return outcome;
  }

  // Avionté would not tell us enough: the event is parked with the reason.
  outcome_type park(const domain::webhook_event& event,
                    const domain::pipeline_record& pipeline,
                    const std::string& reason) {
    domain::dead_letter letter{
        event.seq,          event.tenant_id, event.correlation_id, pipeline.id,
        pipeline.talent_id, reason,          wall_clock_ms()};
    logger()->warn("event parked tenant={} correlation_id={} talent={}: {}",
                   event.tenant_id, event.correlation_id, pipeline.talent_id,
                   reason);
    metrics.count_dead_letter(options.tenant_id);
    auto outcome = empty_outcome(event);
    outcome.dead_letter = domain::to_json(letter);
    return outcome;
  }
};

using data_ptr = std::shared_ptr<candidate_data>;

// Saves an outcome; the event leaves the inbox in the same write.
void save(caf::event_based_actor* self, caf::actor writer, data_ptr data,
          outcome_type outcome, std::function<void()> report_idle) {
  bool changed = outcome.record.has_value();
  auto tenant = outcome.tenant_id;
  ++data->unsaved;
  self->request(writer, caf::infinite, save_atom::value, std::move(outcome))
      .then(
          [data, changed, tenant, report_idle] {
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
}

// Reads talent, job and recruiter, one after another. `await` keeps every
// later event in the mailbox meanwhile, so events are decided in order.
class enricher {
public:
  enricher(caf::event_based_actor* self, caf::actor writer, data_ptr data,
           std::function<void()> report_idle)
      : self_(self)
      , writer_(std::move(writer))
      , data_(std::move(data))
      , report_idle_(std::move(report_idle)) {}

  void start(domain::webhook_event event, domain::pipeline_record pipeline) {
    auto job = std::make_shared<job_state>(job_state{std::move(event), {}});
    job->facts.pipeline = std::move(pipeline);
    self_
        ->request(gateway(), caf::infinite, talent_atom::value,
                  job->facts.pipeline.talent_id)
        .await(
            [this, job](domain::talent_record& talent) {
              job->facts.talent = std::move(talent);
              read_job(job);
            },
            [this, job](caf::error& error) { fail(job, "talent", error); });
  }

private:
  struct job_state {
    domain::webhook_event event;
    domain::enrichment facts;
  };
  using job_ptr = std::shared_ptr<job_state>;

  const caf::actor& gateway() const { return data_->options.gateway; }

  void read_job(const job_ptr& job) {
    self_
        ->request(gateway(), caf::infinite, job_atom::value,
                  job->facts.pipeline.job_id)
        .await(
            [this, job](domain::job_record& record) {
              job->facts.job = std::move(record);
              read_recruiter(job);
            },
            [this, job](caf::error& error) { fail(job, "job", error); });
  }

  void read_recruiter(const job_ptr& job) {
    auto id =
        recruiter_of(job->facts.pipeline, job->facts.job, job->facts.talent);
    if (!id)
      return finish(job);
    self_->request(gateway(), caf::infinite, user_atom::value, *id)
        .await(
            [this, job](domain::user_record& user) {
              job->facts.recruiter = std::move(user);
              finish(job);
            },
            [this, job, id](caf::error& error) {
              // A recruiter Avionté no longer knows leaves the entry
              // without one; anything else is a failure like the others.
              if (!is_gateway_error(error, gateway_error::not_found))
                return fail(job, "recruiter", error);
              logger()->warn("recruiter not found tenant={} correlation_id={} "
                             "user={}",
                             job->event.tenant_id, job->event.correlation_id,
                             *id);
              finish(job);
            });
  }

  void finish(const job_ptr& job) {
    save(self_, writer_, data_, data_->decide(job->event, job->facts),
         report_idle_);
  }

  void fail(const job_ptr& job, const char* what, const caf::error& error) {
    if (!lookup_failed_for_good(error)) {
      // The gateway went away (the service is stopping): the event stays
      // in the inbox and is decided on the next start.
      data_->options.budget->give_back();
      return;
    }
    auto reason = std::string{what} + " lookup: " + error_reason(error);
    save(self_, writer_, data_,
         data_->park(job->event, job->facts.pipeline, reason), report_idle_);
  }

  caf::event_based_actor* self_;
  caf::actor writer_;
  data_ptr data_;
  std::function<void()> report_idle_;
};

} // namespace

caf::behavior candidate_actor(caf::event_based_actor* self,
                              candidate_options options, caf::actor supervisor,
                              caf::actor writer, storage::store* store,
                              net::service_metrics* metrics) {
  auto idle = options.idle_timeout;
  auto data = std::make_shared<candidate_data>(
      candidate_data{std::move(options), *store, *metrics, std::nullopt});
  std::function<void()> report_idle = [self, supervisor, data] {
    data->idle_due = false;
    self->send(supervisor, idle_atom::value, data->options.key, data->received);
  };
  auto steps = std::make_shared<enricher>(self, writer, data, report_idle);
  return {
      [self, writer, data, steps,
       report_idle](apply_atom, domain::webhook_event& event,
                    domain::pipeline_record& pipeline) {
        ++data->received;
        if (!data->ensure_loaded(event))
          return data->options.budget->give_back(); // stays in the inbox
        if (data->state->already_applied(event)) {
          logger()->info("event already applied, skipped tenant={} "
                         "correlation_id={} candidate={}",
                         event.tenant_id, event.correlation_id,
                         data->options.key);
          return save(self, writer, data, data->empty_outcome(event),
                      report_idle);
        }
        steps->start(std::move(event), std::move(pipeline));
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
