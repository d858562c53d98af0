// Avionté's webhook envelope: the five PascalCase keys every Front Office
// event carries, with `Resource` holding a second JSON document (usually as a
// string). Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace introvy::domain {

/// The ids a pipeline event's Resource carries. Only PipelineId is required;
/// TalentId and JobId are present on some deliveries and never relied upon.
struct pipeline_resource {
  std::int64_t pipeline_id = 0;
  std::optional<std::int64_t> talent_id;
  std::optional<std::int64_t> job_id;
};

struct envelope {
  std::string event_name; // as sent; compare with is_subscribed_event
  std::int64_t front_office_tenant_id = 0;
  std::string correlation_id;
  std::string resource_model_type; // informational, may be empty
  std::string resource_json;       // Resource as a JSON text
};

/// Why a body was refused: which field, and what was wrong with it.
struct envelope_error {
  std::string field;   // e.g. "FrontOfficeTenantId", "Resource.PipelineId"
  std::string message; // a sentence naming the field
};

template <class T>
using parse_result = std::variant<T, envelope_error>;

/// Parses the outer envelope. Keys are read case-insensitively. Requires
/// EventName (non-empty string), FrontOfficeTenantId (integer, also accepted
/// as a decimal string), CorrelationId (non-empty string) and Resource (a
/// string holding JSON, or an object).
parse_result<envelope> parse_envelope(std::string_view body);

/// Parses a pipeline event's Resource: PipelineId required (integer or
/// decimal string), TalentId / JobId optional. Keys case-insensitive.
parse_result<pipeline_resource> parse_pipeline_resource(std::string_view json);

/// The reference readings: the same answers as parse_envelope and
/// parse_pipeline_resource, through a whole nlohmann::json document. Those
/// two read the common case in one pass and call these for everything
/// else; tests compare both on many inputs.
parse_result<envelope> parse_envelope_document(std::string_view body);
parse_result<pipeline_resource>
parse_pipeline_resource_document(std::string_view json);

/// True for the events we subscribe: job_pipeline_talent_added and
/// job_pipeline_talent_updated, compared case-insensitively.
bool is_subscribed_event(std::string_view event_name);

/// The canonical lower-case spelling of a subscribed event name.
std::string canonical_event_name(std::string_view event_name);

/// How a body's fingerprint is computed: dedup records keep the version
/// they were written with, so a duplicate is compared with its original
/// the same way. 1: FNV-1a, byte by byte (stores written before version 2);
/// 2: eight bytes at a time, several times faster.
constexpr std::uint8_t fnv1a_fingerprint = 1;
constexpr std::uint8_t word_fingerprint = 2;
constexpr std::uint8_t current_fingerprint = word_fingerprint;

/// A stable 64-bit fingerprint of a body, used to notice that a duplicate
/// delivery differs from the original. Not a security measure.
std::uint64_t body_fingerprint(std::string_view body,
                               std::uint8_t version = current_fingerprint);

} // namespace introvy::domain
