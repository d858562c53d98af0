#include "domain/candidate_state.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace introvy::domain {

using json = nlohmann::json;

std::string to_json(const history_entry& e) {
  json doc = {{"seq", e.seq},
              {"correlation_id", e.correlation_id},
              {"event", e.event_name},
              {"pipeline_id", e.pipeline_id},
              {"received_at_ms", e.received_at_ms},
              {"applied_at_ms", e.applied_at_ms}};
  return doc.dump();
}

history_entry history_entry_from_json(const std::string& text) {
  json e = json::parse(text, nullptr, false);
  if (e.is_discarded() || !e.is_object())
    throw std::invalid_argument("history entry is not a JSON object");
  try {
    return {e.at("seq").get<std::uint64_t>(),
            e.at("correlation_id").get<std::string>(),
            e.at("event").get<std::string>(),
            e.at("pipeline_id").get<std::int64_t>(),
            e.at("received_at_ms").get<std::int64_t>(),
            e.at("applied_at_ms").get<std::int64_t>()};
  } catch (const json::exception& ex) {
    throw std::invalid_argument(std::string{"corrupt history entry: "} +
                                ex.what());
  }
}

std::optional<history_entry> candidate_state::apply(const webhook_event& event,
                                                    std::int64_t now_ms) {
  if (event.seq <= last_seq_)
    return std::nullopt;
  last_seq_ = event.seq;
  ++events_applied_;
  return history_entry{event.seq,
                       event.correlation_id,
                       event.event_name,
                       event.resource.pipeline_id,
                       event.received_at_ms,
                       now_ms};
}

std::string candidate_state::to_json() const {
  json doc = {{"last_seq", last_seq_}, {"events_applied", events_applied_}};
  return doc.dump();
}

candidate_state candidate_state::from_json(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("candidate record is not a JSON object");
  try {
    candidate_state state;
    state.last_seq_ = doc.at("last_seq").get<std::uint64_t>();
    state.events_applied_ = doc.at("events_applied").get<std::uint64_t>();
    return state;
  } catch (const json::exception& ex) {
    throw std::invalid_argument(std::string{"corrupt candidate record: "} +
                                ex.what());
  }
}

} // namespace introvy::domain
