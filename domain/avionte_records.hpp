// The only fields of Avionté's answers that Introvy keeps. A talent record
// arrives full of data we must never hold (tax id, birthday, race,
// addresses, W-4 fields, phones, résumé...): the parsers below copy the
// allow-listed fields out of the answer and drop the rest while parsing, so
// nothing else outlives the call. Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace introvy::domain {

/// One entry of a job's pipeline: which talent sits at which stage.
struct pipeline_record {
  std::int64_t id = 0;        // id
  std::int64_t talent_id = 0; // talentId
  std::int64_t job_id = 0;    // jobId
  std::string stage_name;     // jobActivityName, as the tenant spells it
  std::optional<std::int64_t> recruiter_user_id; // representativeUserId

  bool operator==(const pipeline_record&) const = default;
};

struct talent_record {
  std::int64_t id = 0; // id
  std::string first_name, last_name;
  std::string email;                                  // emailAddress
  std::string link;                                   // into Avionté's UI
  std::optional<std::int64_t> representative_user_id; // representativeUser

  bool operator==(const talent_record&) const = default;
};

struct job_record {
  std::int64_t id = 0; // id
  std::string title, company_name;
  std::string description;                   // often null in Avionté: then ""
  std::optional<std::int64_t> owner_user_id; // ownerUserId

  bool operator==(const job_record&) const = default;
};

/// A recruiter (an Avionté user).
struct user_record {
  std::int64_t id = 0; // userId
  std::string first_name, last_name;
  std::string email; // emailAddress

  bool operator==(const user_record&) const = default;
};

/// Why an answer was refused: a sentence naming the record's index and the
/// field. It never quotes a value, since values may be personal data.
struct record_error {
  std::string message;
};

template <class Record>
using records_result = std::variant<std::vector<Record>, record_error>;

// Each parser accepts one object (a single-record GET) or a bare array of
// objects (a multi-query answer), and reads keys whatever their case.
// Required: the record's id as an integer (a decimal string is accepted too),
// and for a pipeline entry also talentId and jobId. Everything else is
// lenient: a missing, null or mistyped string reads as "", a missing, null,
// mistyped or non-positive optional id as nullopt, and unknown fields are
// ignored. Fails on text that is not JSON, on a top level that is neither an
// object nor an array of objects, and on a record without a valid id.

records_result<pipeline_record> parse_pipelines(std::string_view json_text);
records_result<talent_record> parse_talents(std::string_view json_text);
records_result<job_record> parse_jobs(std::string_view json_text);
records_result<user_record> parse_users(std::string_view json_text);

// Our own stored form, for storage and the admin view: a JSON object with
// snake_case keys named like the members, an absent optional id as null.
// These are nlohmann's conversion hooks, so `json j = record;` and
// `j.get<talent_record>()` work. from_json throws std::invalid_argument naming
// the key (never its value) when a key is missing or mistyped.

void to_json(nlohmann::json& j, const pipeline_record& r);
void from_json(const nlohmann::json& j, pipeline_record& r);
void to_json(nlohmann::json& j, const talent_record& r);
void from_json(const nlohmann::json& j, talent_record& r);
void to_json(nlohmann::json& j, const job_record& r);
void from_json(const nlohmann::json& j, job_record& r);
void to_json(nlohmann::json& j, const user_record& r);
void from_json(const nlohmann::json& j, user_record& r);

} // namespace introvy::domain
