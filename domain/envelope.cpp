#include "domain/envelope.hpp"

#include "domain/json_fields.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace introvy::domain {
namespace {

using json = nlohmann::json;
using json_fields::find_key;
using json_fields::iequals;
using json_fields::read_id;

constexpr std::string_view talent_added = "job_pipeline_talent_added";
constexpr std::string_view talent_updated = "job_pipeline_talent_updated";

envelope_error missing(std::string field) {
  auto message = field + " is required";
  return {std::move(field), std::move(message)};
}

envelope_error wrong_type(std::string field, std::string_view expected) {
  auto message = field + " must be " + std::string{expected};
  return {std::move(field), std::move(message)};
}

std::variant<std::string, envelope_error>
read_string(const json& object, const char* field, bool required_non_empty) {
  const json* value = find_key(object, field);
  if (value == nullptr || value->is_null()) {
    if (required_non_empty)
      return missing(field);
    return std::string{};
  }
  if (!value->is_string())
    return wrong_type(field, "a string");
  auto text = value->get<std::string>();
  if (required_non_empty && text.empty())
    return envelope_error{field, std::string{field} + " must not be empty"};
  return text;
}

std::variant<std::string, envelope_error> read_resource(const json& object) {
  const json* value = find_key(object, "Resource");
  if (value == nullptr || value->is_null())
    return missing("Resource");
  if (value->is_object())
    return value->dump();
  if (!value->is_string())
    return wrong_type("Resource", "a JSON document encoded as a string");
  return value->get<std::string>();
}

} // namespace

parse_result<envelope> parse_envelope(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return envelope_error{"body", "the body is not valid JSON"};
  if (!doc.is_object())
    return envelope_error{"body", "the body must be a JSON object"};

  envelope result;
  auto name = read_string(doc, "EventName", true);
  if (auto* err = std::get_if<envelope_error>(&name))
    return *err;
  result.event_name = std::get<std::string>(std::move(name));

  const json* tenant = find_key(doc, "FrontOfficeTenantId");
  if (tenant == nullptr || tenant->is_null())
    return missing("FrontOfficeTenantId");
  auto tenant_id = read_id(*tenant);
  if (!tenant_id || *tenant_id <= 0)
    return wrong_type("FrontOfficeTenantId", "a positive integer");
  result.front_office_tenant_id = *tenant_id;

  auto correlation = read_string(doc, "CorrelationId", true);
  if (auto* err = std::get_if<envelope_error>(&correlation))
    return *err;
  result.correlation_id = std::get<std::string>(std::move(correlation));
  if (result.correlation_id.size() > 128)
    return envelope_error{"CorrelationId",
                          "CorrelationId must be at most 128 characters"};

  auto model = read_string(doc, "ResourceModelType", false);
  if (auto* err = std::get_if<envelope_error>(&model))
    return *err;
  result.resource_model_type = std::get<std::string>(std::move(model));

  auto resource = read_resource(doc);
  if (auto* err = std::get_if<envelope_error>(&resource))
    return *err;
  result.resource_json = std::get<std::string>(std::move(resource));
  return result;
}

parse_result<pipeline_resource> parse_pipeline_resource(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return envelope_error{"Resource", "Resource does not hold valid JSON"};
  if (!doc.is_object())
    return envelope_error{"Resource", "Resource must hold a JSON object"};

  pipeline_resource result;
  const json* pipeline = find_key(doc, "PipelineId");
  if (pipeline == nullptr || pipeline->is_null())
    return missing("Resource.PipelineId");
  auto pipeline_id = read_id(*pipeline);
  if (!pipeline_id || *pipeline_id <= 0)
    return wrong_type("Resource.PipelineId", "a positive integer");
  result.pipeline_id = *pipeline_id;

  // Optional ids: a malformed one is ignored rather than refusing the event,
  // since we resolve both through the pipeline record anyway.
  if (const json* talent = find_key(doc, "TalentId"))
    if (auto id = read_id(*talent); id && *id > 0)
      result.talent_id = id;
  if (const json* job = find_key(doc, "JobId"))
    if (auto id = read_id(*job); id && *id > 0)
      result.job_id = id;
  return result;
}

bool is_subscribed_event(std::string_view event_name) {
  return iequals(event_name, talent_added) ||
         iequals(event_name, talent_updated);
}

std::string canonical_event_name(std::string_view event_name) {
  std::string lower(event_name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return lower;
}

std::uint64_t body_fingerprint(std::string_view body) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

} // namespace introvy::domain
