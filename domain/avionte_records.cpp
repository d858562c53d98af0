#include "domain/avionte_records.hpp"

#include "domain/json_fields.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

namespace introvy::domain {
namespace {

using json = nlohmann::json;
using json_fields::find_key;
using json_fields::iequals;
using json_fields::read_id;

// The allow-lists: the only keys of each answer that are read at all.
constexpr std::array<std::string_view, 5> pipeline_keys{
    "id", "talentId", "jobId", "jobActivityName", "representativeUserId"};
constexpr std::array<std::string_view, 6> talent_keys{
    "id",           "firstName", "lastName",
    "emailAddress", "link",      "representativeUser"};
constexpr std::array<std::string_view, 5> job_keys{
    "id", "title", "companyName", "description", "ownerUserId"};
constexpr std::array<std::string_view, 4> user_keys{"userId", "firstName",
                                                    "lastName", "emailAddress"};

template <std::size_t N>
bool allowed(std::string_view key,
             const std::array<std::string_view, N>& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](std::string_view k) { return iequals(k, key); });
}

// Parses the text into a document that holds only allow-listed keys: the
// parser drops every other key and its whole value as soon as it has read
// them, so no sensitive value is ever stored in the document.
template <std::size_t N>
json parse_allow_listed(std::string_view text,
                        const std::array<std::string_view, N>& keys) {
  json::parser_callback_t keep = [&keys](int, json::parse_event_t event,
                                         json& parsed) {
    if (event != json::parse_event_t::key)
      return true;
    return allowed(parsed.get_ref<const std::string&>(), keys);
  };
  return json::parse(text, keep, false);
}

// Reads the fields of record number `index` of an answer. Messages name the
// record and the field, never a value.
class record_reader {
public:
  record_reader(const json& object, std::string_view kind, std::size_t index)
      : object_(object)
      , where_(std::string(kind) + '[' + std::to_string(index) + "]: ") {}

  // A required id: present, an integer (or a decimal string), above zero.
  std::optional<record_error> require_id(std::string_view key,
                                         std::int64_t& out) const {
    const json* value = find_key(object_, key);
    if (value == nullptr || value->is_null())
      return record_error{where_ + std::string(key) + " is missing"};
    auto id = read_id(*value);
    if (!id || *id <= 0)
      return record_error{where_ + std::string(key) +
                          " must be a positive integer"};
    out = *id;
    return std::nullopt;
  }

  // Avionté leaves unset ids at 0 or null: both read as "none".
  std::optional<std::int64_t> optional_id(std::string_view key) const {
    const json* value = find_key(object_, key);
    if (value == nullptr)
      return std::nullopt;
    auto id = read_id(*value);
    if (!id || *id <= 0)
      return std::nullopt;
    return id;
  }

  std::string text(std::string_view key) const {
    const json* value = find_key(object_, key);
    if (value == nullptr || !value->is_string())
      return {};
    return value->get<std::string>();
  }

private:
  const json& object_;
  std::string where_;
};

template <class Record>
using read_result = std::variant<Record, record_error>;

read_result<pipeline_record> read_pipeline(const record_reader& in) {
  pipeline_record r;
  if (auto error = in.require_id("id", r.id))
    return *error;
  if (auto error = in.require_id("talentId", r.talent_id))
    return *error;
  if (auto error = in.require_id("jobId", r.job_id))
    return *error;
  r.stage_name = in.text("jobActivityName");
  r.recruiter_user_id = in.optional_id("representativeUserId");
  return r;
}

read_result<talent_record> read_talent(const record_reader& in) {
  talent_record r;
  if (auto error = in.require_id("id", r.id))
    return *error;
  r.first_name = in.text("firstName");
  r.last_name = in.text("lastName");
  r.email = in.text("emailAddress");
  r.link = in.text("link");
  r.representative_user_id = in.optional_id("representativeUser");
  return r;
}

read_result<job_record> read_job(const record_reader& in) {
  job_record r;
  if (auto error = in.require_id("id", r.id))
    return *error;
  r.title = in.text("title");
  r.company_name = in.text("companyName");
  r.description = in.text("description");
  r.owner_user_id = in.optional_id("ownerUserId");
  return r;
}

read_result<user_record> read_user(const record_reader& in) {
  user_record r;
  if (auto error = in.require_id("userId", r.id))
    return *error;
  r.first_name = in.text("firstName");
  r.last_name = in.text("lastName");
  r.email = in.text("emailAddress");
  return r;
}

// One object or a bare array of them, each read by `read`.
template <class Record, std::size_t N, class Read>
records_result<Record>
parse_records(std::string_view text, std::string_view kind,
              const std::array<std::string_view, N>& keys, Read read) {
  // The parser's own message may quote the text it choked on: not used.
  json doc = parse_allow_listed(text, keys);
  if (doc.is_discarded())
    return record_error{"the " + std::string(kind) + " answer is not JSON"};

  auto one = [&](const json& object, std::size_t index) -> read_result<Record> {
    if (!object.is_object())
      return record_error{std::string(kind) + '[' + std::to_string(index) +
                          "]: expected an object"};
    return read(record_reader(object, kind, index));
  };

  std::vector<Record> records;
  if (doc.is_object()) {
    auto result = one(doc, 0);
    if (auto* error = std::get_if<record_error>(&result))
      return *error;
    records.push_back(std::get<Record>(std::move(result)));
    return records;
  }
  if (!doc.is_array())
    return record_error{"the " + std::string(kind) +
                        " answer must be an object or an array of objects"};

  records.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    auto result = one(doc[i], i);
    if (auto* error = std::get_if<record_error>(&result))
      return *error;
    records.push_back(std::get<Record>(std::move(result)));
  }
  return records;
}

// Stored form ------------------------------------------------------------

json stored_id(const std::optional<std::int64_t>& id) {
  return id ? json(*id) : json(nullptr);
}

// Reads the stored form's keys; messages name the key, never the value.
class stored_reader {
public:
  stored_reader(const json& j, std::string_view kind)
      : j_(j)
      , kind_(kind) {
    if (!j_.is_object())
      throw std::invalid_argument("stored " + std::string(kind_) +
                                  " record is not a JSON object");
  }

  std::int64_t integer(const char* key) const {
    const json& value = at(key);
    if (!value.is_number_integer())
      fail(key, "is not an integer");
    return value.get<std::int64_t>();
  }

  // Absent and null both mean "none".
  std::optional<std::int64_t> optional_integer(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null())
      return std::nullopt;
    return integer(key);
  }

  std::string text(const char* key) const {
    const json& value = at(key);
    if (!value.is_string())
      fail(key, "is not a string");
    return value.get<std::string>();
  }

private:
  const json& at(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end())
      fail(key, "is missing");
    return *it;
  }

  [[noreturn]] void fail(const char* key, const char* problem) const {
    throw std::invalid_argument("stored " + std::string(kind_) +
                                " record: " + key + ' ' + problem);
  }

  const json& j_;
  std::string_view kind_;
};

} // namespace

records_result<pipeline_record> parse_pipelines(std::string_view json_text) {
  return parse_records<pipeline_record>(json_text, "pipeline", pipeline_keys,
                                        read_pipeline);
}

records_result<talent_record> parse_talents(std::string_view json_text) {
  return parse_records<talent_record>(json_text, "talent", talent_keys,
                                      read_talent);
}

records_result<job_record> parse_jobs(std::string_view json_text) {
  return parse_records<job_record>(json_text, "job", job_keys, read_job);
}

records_result<user_record> parse_users(std::string_view json_text) {
  return parse_records<user_record>(json_text, "user", user_keys, read_user);
}

void to_json(json& j, const pipeline_record& r) {
  j = {{"id", r.id},
       {"talent_id", r.talent_id},
       {"job_id", r.job_id},
       {"stage_name", r.stage_name},
       {"recruiter_user_id", stored_id(r.recruiter_user_id)}};
}

void from_json(const json& j, pipeline_record& r) {
  stored_reader in(j, "pipeline");
  r.id = in.integer("id");
  r.talent_id = in.integer("talent_id");
  r.job_id = in.integer("job_id");
  r.stage_name = in.text("stage_name");
  r.recruiter_user_id = in.optional_integer("recruiter_user_id");
}

void to_json(json& j, const talent_record& r) {
  j = {{"id", r.id},
       {"first_name", r.first_name},
       {"last_name", r.last_name},
       {"email", r.email},
       {"link", r.link},
       {"representative_user_id", stored_id(r.representative_user_id)}};
}

void from_json(const json& j, talent_record& r) {
  stored_reader in(j, "talent");
  r.id = in.integer("id");
  r.first_name = in.text("first_name");
  r.last_name = in.text("last_name");
  r.email = in.text("email");
  r.link = in.text("link");
  r.representative_user_id = in.optional_integer("representative_user_id");
}

void to_json(json& j, const job_record& r) {
  j = {{"id", r.id},
       {"title", r.title},
       {"company_name", r.company_name},
       {"description", r.description},
       {"owner_user_id", stored_id(r.owner_user_id)}};
}

void from_json(const json& j, job_record& r) {
  stored_reader in(j, "job");
  r.id = in.integer("id");
  r.title = in.text("title");
  r.company_name = in.text("company_name");
  r.description = in.text("description");
  r.owner_user_id = in.optional_integer("owner_user_id");
}

void to_json(json& j, const user_record& r) {
  j = {{"id", r.id},
       {"first_name", r.first_name},
       {"last_name", r.last_name},
       {"email", r.email}};
}

void from_json(const json& j, user_record& r) {
  stored_reader in(j, "user");
  r.id = in.integer("id");
  r.first_name = in.text("first_name");
  r.last_name = in.text("last_name");
  r.email = in.text("email");
}

} // namespace introvy::domain
