// Key and value encodings of the store's column families. Integers are
// big-endian so that RocksDB's byte order is numeric order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/envelope.hpp"
#include "domain/webhook_event.hpp"

namespace introvy::storage {

/// events, inbox, quarantine: the 8-byte sequence number.
std::string sequence_key(std::uint64_t seq);
std::optional<std::uint64_t> decode_sequence_key(std::string_view key);

/// dedup: tenant (8 bytes) + CorrelationId in lower case (GUIDs are
/// case-insensitive, and a retry must match however it is spelled).
std::string dedup_key(std::int64_t tenant_id, std::string_view correlation_id);

/// candidates: tenant (8 bytes) + the candidate key ("talent:42").
std::string candidate_key(std::int64_t tenant_id, std::string_view key);

/// candidates, history entries: the candidate key, a NUL byte (which no
/// candidate key contains) and the event's sequence number, so a
/// candidate's entries sort in log order right after its summary.
std::string candidate_history_key(std::int64_t tenant_id, std::string_view key,
                                  std::uint64_t seq);

/// meta, unmapped-stage counts: "unmapped/", the tenant (8 bytes) and the
/// normalised stage name; decode gives the tenant and that name back.
std::string unmapped_stage_key(std::int64_t tenant_id,
                               std::string_view normalised_stage);
std::optional<std::pair<std::int64_t, std::string>>
decode_unmapped_stage_key(std::string_view key);
inline constexpr std::string_view unmapped_stage_prefix = "unmapped/";

/// The dedup record: when the original arrived, its body's fingerprint and
/// where it sits in the log. Fixed 24 bytes.
struct dedup_record {
  std::int64_t received_at_ms = 0;
  std::uint64_t fingerprint = 0;
  std::uint64_t seq = 0;
  std::uint8_t fingerprint_version = domain::current_fingerprint;
};
std::string encode_dedup(const dedup_record& record);
std::optional<dedup_record> decode_dedup(std::string_view value);

/// An event-log entry: everything needed to dispatch it again after a
/// restart, and the exact body for export and replay.
std::string encode_event(const domain::webhook_event& event);
std::optional<domain::webhook_event> decode_event(std::uint64_t seq,
                                                  std::string_view value);

} // namespace introvy::storage
