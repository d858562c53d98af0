#include "domain/dead_letter.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace introvy::domain {

using json = nlohmann::json;

std::string to_json(const dead_letter& letter) {
  json doc = {
      {"seq", letter.seq},
      {"tenant", letter.tenant_id},
      {"correlation_id", letter.correlation_id},
      {"pipeline_id", letter.pipeline_id},
      {"talent_id", letter.talent_id ? json(*letter.talent_id) : json(nullptr)},
      {"reason", letter.reason},
      {"parked_at_ms", letter.parked_at_ms}};
  return doc.dump();
}

dead_letter dead_letter_from_json(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("dead letter is not a JSON object");
  try {
    dead_letter letter;
    letter.seq = doc.at("seq").get<std::uint64_t>();
    letter.tenant_id = doc.at("tenant").get<std::int64_t>();
    letter.correlation_id = doc.at("correlation_id").get<std::string>();
    letter.pipeline_id = doc.at("pipeline_id").get<std::int64_t>();
    if (!doc.at("talent_id").is_null())
      letter.talent_id = doc["talent_id"].get<std::int64_t>();
    letter.reason = doc.at("reason").get<std::string>();
    letter.parked_at_ms = doc.at("parked_at_ms").get<std::int64_t>();
    return letter;
  } catch (const json::exception& ex) {
    throw std::invalid_argument(std::string{"corrupt dead letter: "} +
                                ex.what());
  }
}

} // namespace introvy::domain
