#include "storage/keys.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>

namespace introvy::storage {
namespace {

// ASCII case folding, as std::tolower does in the "C" locale, without a
// call into the C library per character.
constexpr unsigned char ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

// Copies `text` to `out` with A-Z lowered, eight bytes at a time: in each
// byte, bit 7 of (b & 0x7f) + (0x80 - 'A') says b >= 'A', and likewise for
// > 'Z'; bytes with bit 7 set (not ASCII) are copied as they are.
void lower_ascii_into(std::string_view text, char* out) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t high = 0x8080808080808080ULL;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    auto low7 = word & ~high;
    auto at_least_a = low7 + ones * (0x80 - 'A');
    auto beyond_z = low7 + ones * (0x80 - 'Z' - 1);
    auto upper = at_least_a & ~beyond_z & ~word & high;
    word |= upper >> 2;
    std::memcpy(out + i, &word, 8);
  }
  for (; i < text.size(); ++i)
    out[i] =
        static_cast<char>(ascii_lower(static_cast<unsigned char>(text[i])));
}

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
  // Sized once and written in place: this runs several times per webhook.
  std::string out(8 + correlation_id.size(), '\0');
  auto tenant = static_cast<std::uint64_t>(tenant_id);
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] =
        static_cast<char>((tenant >> (56 - 8 * i)) & 0xff);
  lower_ascii_into(correlation_id, out.data() + 8);
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

// Three 64-bit words and the fingerprint's version; records of stores
// before the version byte are the three words alone, FNV-1a fingerprints.
std::string encode_dedup(const dedup_record& record) {
  std::string out;
  out.reserve(25);
  put_u64(out, static_cast<std::uint64_t>(record.received_at_ms));
  put_u64(out, record.fingerprint);
  put_u64(out, record.seq);
  out.push_back(static_cast<char>(record.fingerprint_version));
  return out;
}

std::optional<dedup_record> decode_dedup(std::string_view value) {
  if (value.size() != 24 && value.size() != 25)
    return std::nullopt;
  auto version = value.size() == 24 ? domain::fnv1a_fingerprint
                                    : static_cast<std::uint8_t>(value[24]);
  return dedup_record{static_cast<std::int64_t>(get_u64(value)),
                      get_u64(value.substr(8)), get_u64(value.substr(16)),
                      version};
}

// Events are stored in a binary layout: a tag byte (a JSON record, as
// stores before it hold, begins with '{'), a byte of flags, the numbers as
// big-endian 64-bit words, the CorrelationId and event name each after a
// 32-bit length, and the body's bytes as received, unescaped, to the end.
namespace {

constexpr char binary_event_tag = '\x01';
constexpr unsigned char has_talent = 1;
constexpr unsigned char has_job = 2;

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Reads from the front of `in`, shrinking it; false when too short.
bool take_u64(std::string_view& in, std::int64_t& v) {
  if (in.size() < 8)
    return false;
  v = static_cast<std::int64_t>(get_u64(in));
  in.remove_prefix(8);
  return true;
}

bool take_text(std::string_view& in, std::string& text) {
  if (in.size() < 4)
    return false;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i)
    length = (length << 8) | static_cast<unsigned char>(in[i]);
  in.remove_prefix(4);
  if (in.size() < length)
    return false;
  text.assign(in.data(), length);
  in.remove_prefix(length);
  return true;
}

std::optional<domain::webhook_event> decode_binary_event(std::uint64_t seq,
                                                         std::string_view in) {
  domain::webhook_event event;
  event.seq = seq;
  in.remove_prefix(1); // the tag
  if (in.empty())
    return std::nullopt;
  auto flags = static_cast<unsigned char>(in.front());
  in.remove_prefix(1);
  std::int64_t talent = 0;
  std::int64_t job = 0;
  bool complete = take_u64(in, event.tenant_id) &&
                  take_u64(in, event.resource.pipeline_id) &&
                  take_u64(in, event.received_at_ms) &&
                  (!(flags & has_talent) || take_u64(in, talent)) &&
                  (!(flags & has_job) || take_u64(in, job)) &&
                  take_text(in, event.correlation_id) &&
                  take_text(in, event.event_name);
  if (!complete)
    return std::nullopt;
  if (flags & has_talent)
    event.resource.talent_id = talent;
  if (flags & has_job)
    event.resource.job_id = job;
  event.body.assign(in.data(), in.size());
  return event;
}

// Records written before the binary layout: one JSON object.
std::optional<domain::webhook_event> decode_json_event(std::uint64_t seq,
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

} // namespace

std::string encode_event(const domain::webhook_event& event) {
  std::string out;
  out.reserve(2 + 5 * 8 + 8 + event.correlation_id.size() +
              event.event_name.size() + event.body.size());
  out.push_back(binary_event_tag);
  unsigned char flags = (event.resource.talent_id ? has_talent : 0) |
                        (event.resource.job_id ? has_job : 0);
  out.push_back(static_cast<char>(flags));
  put_u64(out, static_cast<std::uint64_t>(event.tenant_id));
  put_u64(out, static_cast<std::uint64_t>(event.resource.pipeline_id));
  put_u64(out, static_cast<std::uint64_t>(event.received_at_ms));
  if (event.resource.talent_id)
    put_u64(out, static_cast<std::uint64_t>(*event.resource.talent_id));
  if (event.resource.job_id)
    put_u64(out, static_cast<std::uint64_t>(*event.resource.job_id));
  put_u32(out, static_cast<std::uint32_t>(event.correlation_id.size()));
  out.append(event.correlation_id);
  put_u32(out, static_cast<std::uint32_t>(event.event_name.size()));
  out.append(event.event_name);
  out.append(event.body);
  return out;
}

std::optional<domain::webhook_event> decode_event(std::uint64_t seq,
                                                  std::string_view value) {
  if (!value.empty() && value.front() == binary_event_tag)
    return decode_binary_event(seq, value);
  return decode_json_event(seq, value);
}

} // namespace introvy::storage
