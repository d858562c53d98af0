#include "storage/keys.hpp"

#include <algorithm>
#include <array>
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
  auto start = out.size();
  out.resize(start + correlation_id.size());
  for (std::size_t i = 0; i < correlation_id.size(); ++i)
    out[start + i] = static_cast<char>(
        ascii_lower(static_cast<unsigned char>(correlation_id[i])));
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

namespace {

// Appends `text` as a JSON string, escaped as nlohmann::json's dump() does
// (so the log reads the same as before this encoder existed): quote,
// backslash and control characters escaped, other bytes as they are. The
// body was valid JSON, so it is valid UTF-8. Writes through a pointer into
// room made for the worst case (6 bytes per input byte), then trims.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  // The bytes written as they are: all but controls, quote and backslash.
  static constexpr auto plain = [] {
    std::array<bool, 256> table{};
    for (int c = 0x20; c < 0x100; ++c)
      table[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
    return table;
  }();
  // Room for the worst case of the escapes actually present (a control
  // byte takes six), rather than six bytes for every byte.
  std::size_t escaped = 0;
  for (unsigned char c : text)
    escaped += plain[c] ? 0 : 5;
  auto start = out.size();
  out.resize(start + text.size() + escaped + 2);
  char* p = out.data() + start;
  *p++ = '"';
  for (std::size_t i = 0; i < text.size();) {
    // Copy the run of plain bytes at once, then escape the byte after it.
    auto run = i;
    while (run < text.size() && plain[static_cast<unsigned char>(text[run])])
      ++run;
    std::memcpy(p, text.data() + i, run - i);
    p += run - i;
    if (run == text.size())
      break;
    auto c = static_cast<unsigned char>(text[run]);
    i = run + 1;
    *p++ = '\\';
    switch (c) {
    case '"':
      *p++ = '"';
      break;
    case '\\':
      *p++ = '\\';
      break;
    case '\b':
      *p++ = 'b';
      break;
    case '\f':
      *p++ = 'f';
      break;
    case '\n':
      *p++ = 'n';
      break;
    case '\r':
      *p++ = 'r';
      break;
    case '\t':
      *p++ = 't';
      break;
    default:
      *p++ = 'u';
      *p++ = '0';
      *p++ = '0';
      *p++ = hex[c >> 4];
      *p++ = hex[c & 0xf];
    }
  }
  *p++ = '"';
  out.resize(static_cast<std::size_t>(p - out.data()));
}

void append_member(std::string& out, std::string_view key, std::int64_t v) {
  out.append(key);
  out.append(std::to_string(v));
}

} // namespace

// A JSON object, written by hand on the ingress's hot path. The keys come
// in the order nlohmann::json sorts them, so the bytes equal what
// `nlohmann::json{...}.dump()` gave.
std::string encode_event(const domain::webhook_event& event) {
  std::string out;
  // The body's quotes come out escaped: room for one in eight bytes.
  out.reserve(event.body.size() + event.body.size() / 8 +
              event.correlation_id.size() + event.event_name.size() + 160);
  out.append(R"({"body":)");
  append_json_string(out, event.body);
  out.append(R"(,"correlation_id":)");
  append_json_string(out, event.correlation_id);
  out.append(R"(,"event":)");
  append_json_string(out, event.event_name);
  if (event.resource.job_id)
    append_member(out, R"(,"job_id":)", *event.resource.job_id);
  append_member(out, R"(,"pipeline_id":)", event.resource.pipeline_id);
  append_member(out, R"(,"received_at_ms":)", event.received_at_ms);
  if (event.resource.talent_id)
    append_member(out, R"(,"talent_id":)", *event.resource.talent_id);
  append_member(out, R"(,"tenant":)", event.tenant_id);
  out.push_back('}');
  return out;
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
