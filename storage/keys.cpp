#include "storage/keys.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace introvy::storage {
namespace {

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint64_t get_u64(std::string_view in) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string tenant_prefix(std::int64_t tenant_id) {
  std::string out;
  out.reserve(48);
  put_u64(out, static_cast<std::uint64_t>(tenant_id));
  return out;
}

} // namespace

std::string sequence_key(std::uint64_t seq) {
  std::string out;
  put_u64(out, seq);
  return out;
}

std::optional<std::uint64_t> decode_sequence_key(std::string_view key) {
  if (key.size() != 8)
    return std::nullopt;
  return get_u64(key);
}

std::string dedup_key(std::int64_t tenant_id, std::string_view correlation_id) {
  auto out = tenant_prefix(tenant_id);
  for (unsigned char c : correlation_id)
    out.push_back(static_cast<char>(std::tolower(c)));
  return out;
}

std::string candidate_key(std::int64_t tenant_id, std::string_view key) {
  auto out = tenant_prefix(tenant_id);
  out.append(key);
  return out;
}

std::string candidate_history_key(std::int64_t tenant_id, std::string_view key,
                                  std::uint64_t seq) {
  auto out = candidate_key(tenant_id, key);
  out.push_back('\0');
  put_u64(out, seq);
  return out;
}

std::string unmapped_stage_key(std::int64_t tenant_id,
                               std::string_view normalised_stage) {
  std::string out{unmapped_stage_prefix};
  put_u64(out, static_cast<std::uint64_t>(tenant_id));
  out.append(normalised_stage);
  return out;
}

std::optional<std::pair<std::int64_t, std::string>>
decode_unmapped_stage_key(std::string_view key) {
  if (!key.starts_with(unmapped_stage_prefix) ||
      key.size() < unmapped_stage_prefix.size() + 8)
    return std::nullopt;
  key.remove_prefix(unmapped_stage_prefix.size());
  return std::pair{static_cast<std::int64_t>(get_u64(key)),
                   std::string{key.substr(8)}};
}

std::string encode_dedup(const dedup_record& record) {
  std::string out;
  out.reserve(24);
  put_u64(out, static_cast<std::uint64_t>(record.received_at_ms));
  put_u64(out, record.fingerprint);
  put_u64(out, record.seq);
  return out;
}

std::optional<dedup_record> decode_dedup(std::string_view value) {
  if (value.size() != 24)
    return std::nullopt;
  return dedup_record{static_cast<std::int64_t>(get_u64(value)),
                      get_u64(value.substr(8)), get_u64(value.substr(16))};
}

std::string encode_event(const domain::webhook_event& event) {
  nlohmann::json doc = {{"tenant", event.tenant_id},
                        {"correlation_id", event.correlation_id},
                        {"event", event.event_name},
                        {"pipeline_id", event.resource.pipeline_id},
                        {"received_at_ms", event.received_at_ms},
                        {"body", event.body}};
  if (event.resource.talent_id)
    doc["talent_id"] = *event.resource.talent_id;
  if (event.resource.job_id)
    doc["job_id"] = *event.resource.job_id;
  return doc.dump();
}

std::optional<domain::webhook_event> decode_event(std::uint64_t seq,
                                                  std::string_view value) {
  auto doc = nlohmann::json::parse(value, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return std::nullopt;
  try {
    domain::webhook_event event;
    event.seq = seq;
    event.tenant_id = doc.at("tenant").get<std::int64_t>();
    event.correlation_id = doc.at("correlation_id").get<std::string>();
    event.event_name = doc.at("event").get<std::string>();
    event.resource.pipeline_id = doc.at("pipeline_id").get<std::int64_t>();
    if (doc.contains("talent_id"))
      event.resource.talent_id = doc["talent_id"].get<std::int64_t>();
    if (doc.contains("job_id"))
      event.resource.job_id = doc["job_id"].get<std::int64_t>();
    event.received_at_ms = doc.at("received_at_ms").get<std::int64_t>();
    event.body = doc.at("body").get<std::string>();
    return event;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

} // namespace introvy::storage
