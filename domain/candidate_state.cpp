#include "domain/candidate_state.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace introvy::domain {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<decision_kind, std::string_view>, 4>
    decision_names{{{decision_kind::started, "started"},
                    {decision_kind::no_action, "no_action"},
                    {decision_kind::unchanged, "unchanged"},
                    {decision_kind::unmapped, "unmapped"}}};

decision_kind parse_decision_kind(std::string_view name) {
  for (auto [kind, text] : decision_names)
    if (text == name)
      return kind;
  throw std::invalid_argument("unknown decision kind");
}

json workflows_json(const std::vector<workflow>& workflows) {
  auto out = json::array();
  for (auto w : workflows)
    out.push_back(std::string{to_string(w)});
  return out;
}

std::vector<workflow> workflows_from(const json& list) {
  std::vector<workflow> out;
  for (const auto& name : list) {
    auto w = parse_workflow(name.get<std::string>());
    if (!w)
      throw std::invalid_argument("unknown workflow in a stored record");
    out.push_back(*w);
  }
  return out;
}

template <class F>
auto rethrowing_as_invalid(const char* what, F&& f) {
  try {
    return f();
  } catch (const json::exception& ex) {
    throw std::invalid_argument(std::string{what} + ": " + ex.what());
  }
}

} // namespace

std::string_view to_string(decision_kind kind) {
  for (auto [k, text] : decision_names)
    if (k == kind)
      return text;
  return "?";
}

std::string to_json(const history_entry& e) {
  json doc = {{"seq", e.seq},
              {"correlation_id", e.correlation_id},
              {"event", e.event_name},
              {"pipeline_id", e.pipeline_id},
              {"job_id", e.job_id},
              {"received_at_ms", e.received_at_ms},
              {"applied_at_ms", e.applied_at_ms},
              {"decision", to_string(e.outcome.kind)},
              {"stage", e.outcome.stage},
              {"workflows", workflows_json(e.outcome.workflows)},
              {"reason", e.outcome.reason}};
  return doc.dump();
}

history_entry history_entry_from_json(const std::string& text) {
  json e = json::parse(text, nullptr, false);
  if (e.is_discarded() || !e.is_object())
    throw std::invalid_argument("history entry is not a JSON object");
  return rethrowing_as_invalid("corrupt history entry", [&] {
    history_entry out;
    out.seq = e.at("seq").get<std::uint64_t>();
    out.correlation_id = e.at("correlation_id").get<std::string>();
    out.event_name = e.at("event").get<std::string>();
    out.pipeline_id = e.at("pipeline_id").get<std::int64_t>();
    out.job_id = e.at("job_id").get<std::int64_t>();
    out.received_at_ms = e.at("received_at_ms").get<std::int64_t>();
    out.applied_at_ms = e.at("applied_at_ms").get<std::int64_t>();
    out.outcome.kind = parse_decision_kind(e.at("decision").get<std::string>());
    out.outcome.stage = e.at("stage").get<std::string>();
    out.outcome.workflows = workflows_from(e.at("workflows"));
    out.outcome.reason = e.at("reason").get<std::string>();
    return out;
  });
}

decision decide_stage(std::string_view stage_name,
                      std::string_view previous_stage_key,
                      const stage_map& map) {
  decision d;
  d.stage = std::string{stage_name};
  auto key = normalize_stage_name(stage_name);
  if (!key.empty() && key == previous_stage_key) {
    d.kind = decision_kind::unchanged;
    d.reason = "the pipeline entry was at this stage already";
    return d;
  }
  auto workflows = map.lookup(stage_name);
  if (!workflows) {
    d.kind = decision_kind::unmapped;
    d.reason = "the tenant's stage map does not know this stage";
    return d;
  }
  if (workflows->empty()) {
    d.kind = decision_kind::no_action;
    d.reason = "the tenant's stage map starts nothing at this stage";
    return d;
  }
  d.kind = decision_kind::started;
  d.workflows = std::move(*workflows);
  d.reason = "the stage starts these workflows";
  return d;
}

history_entry candidate_state::apply(const webhook_event& event,
                                     const enrichment& facts,
                                     const stage_map& map,
                                     std::int64_t now_ms) {
  auto& entry = pipelines_[facts.pipeline.id];
  auto outcome = decide_stage(facts.pipeline.stage_name, entry.stage_key, map);

  // The latest allow-listed facts replace what we had.
  talent_ = facts.talent;
  entry.pipeline = facts.pipeline;
  entry.job = facts.job;
  entry.recruiter = facts.recruiter;
  entry.stage_key = normalize_stage_name(facts.pipeline.stage_name);
  if (outcome.kind != decision_kind::unchanged) {
    entry.workflows = outcome.workflows;
    entry.decided_seq = event.seq;
  }

  last_seq_ = event.seq;
  ++events_applied_;
  return history_entry{event.seq,
                       event.correlation_id,
                       event.event_name,
                       facts.pipeline.id,
                       facts.pipeline.job_id,
                       event.received_at_ms,
                       now_ms,
                       std::move(outcome)};
}

std::string candidate_state::to_json() const {
  json pipelines = json::array();
  for (const auto& [id, p] : pipelines_)
    pipelines.push_back(
        {{"pipeline", p.pipeline},
         {"job", p.job},
         {"recruiter", p.recruiter ? json(*p.recruiter) : json(nullptr)},
         {"stage_key", p.stage_key},
         {"workflows", workflows_json(p.workflows)},
         {"decided_seq", p.decided_seq}});
  json doc = {{"last_seq", last_seq_},
              {"events_applied", events_applied_},
              {"talent", talent_ ? json(*talent_) : json(nullptr)},
              {"pipelines", std::move(pipelines)}};
  return doc.dump();
}

candidate_state candidate_state::from_json(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("candidate record is not a JSON object");
  return rethrowing_as_invalid("corrupt candidate record", [&] {
    candidate_state state;
    state.last_seq_ = doc.at("last_seq").get<std::uint64_t>();
    state.events_applied_ = doc.at("events_applied").get<std::uint64_t>();
    if (doc.contains("talent") && !doc["talent"].is_null())
      state.talent_ = doc["talent"].get<talent_record>();
    for (const auto& p : doc.value("pipelines", json::array())) {
      pipeline_state entry;
      entry.pipeline = p.at("pipeline").get<pipeline_record>();
      entry.job = p.at("job").get<job_record>();
      if (!p.at("recruiter").is_null())
        entry.recruiter = p["recruiter"].get<user_record>();
      entry.stage_key = p.at("stage_key").get<std::string>();
      entry.workflows = workflows_from(p.at("workflows"));
      entry.decided_seq = p.at("decided_seq").get<std::uint64_t>();
      state.pipelines_.emplace(entry.pipeline.id, std::move(entry));
    }
    return state;
  });
}

} // namespace introvy::domain
