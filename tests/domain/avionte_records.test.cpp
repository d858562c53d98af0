#include "domain/avionte_records.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

using namespace introvy::domain;
using json = nlohmann::json;

namespace {

// Values that must never survive parsing: each appears once in the talent
// below, in a field we may not keep.
const std::vector<std::string> canaries = {
    "CANARY-SSN-987654321",
    "CANARY-BIRTHDAY-1990-02-03",
    "CANARY-GENDER",
    "CANARY-RACE",
    "CANARY-DISABILITY",
    "CANARY-VETERAN",
    "CANARY-STREET-1",
    "CANARY-STREET-2",
    "CANARY-CITY",
    "CANARY-POSTAL-60601",
    "CANARY-MAILING-CITY",
    "CANARY-PAYROLL-CITY",
    "CANARY-FILING-SINGLE",
    "CANARY-I9-2024-01-01",
    "CANARY-HOME-PHONE",
    "CANARY-MOBILE-PHONE",
    "CANARY-WORK-PHONE",
    "CANARY-RESUME-TEXT",
    "CANARY-NESTED-ID-KEY",
    "CANARY-UNKNOWN-FIELD",
    "987612345", // additionalFederalWithholding's digits
    "424242",    // federal and state allowances
};

// A talent as Avionté answers it (and as the simulator writes it), with
// every sensitive field filled by a canary.
std::string talent_json(std::int64_t id) {
  json address = {{"street1", "CANARY-STREET-1"},
                  {"street2", "CANARY-STREET-2"},
                  {"city", "CANARY-CITY"},
                  {"state_Province", "IL"},
                  {"postalCode", "CANARY-POSTAL-60601"},
                  {"country", "US"}};
  json mailing = address;
  mailing["city"] = "CANARY-MAILING-CITY";
  json payroll = address;
  payroll["city"] = "CANARY-PAYROLL-CITY";
  // An allow-listed key name nested inside a field we drop.
  json tagged = address;
  tagged["id"] = "CANARY-NESTED-ID-KEY";

  return json{{"id", id},
              {"firstName", "Avery"},
              {"lastName", "Lindqvist"},
              {"emailAddress", "avery@example.test"},
              {"representativeUser", 301},
              {"link", "https://apitest.myavionte.com/app/#/applicant/" +
                           std::to_string(id)},
              {"taxIdNumber", "CANARY-SSN-987654321"},
              {"birthday", "CANARY-BIRTHDAY-1990-02-03"},
              {"gender", "CANARY-GENDER"},
              {"race", "CANARY-RACE"},
              {"disability", "CANARY-DISABILITY"},
              {"veteranStatus", "CANARY-VETERAN"},
              {"residentAddress", address},
              {"mailingAddress", mailing},
              {"payrollAddress", payroll},
              {"addresses", json::array({tagged, mailing})},
              {"filingStatus", "CANARY-FILING-SINGLE"},
              {"federalAllowances", 424242},
              {"stateAllowances", 424242},
              {"additionalFederalWithholding", 987612345.5},
              {"i9ValidatedDate", "CANARY-I9-2024-01-01"},
              {"homePhone", "CANARY-HOME-PHONE"},
              {"mobilePhone", "CANARY-MOBILE-PHONE"},
              {"workPhone", "CANARY-WORK-PHONE"},
              {"talentResume", "CANARY-RESUME-TEXT"},
              {"someFieldAddedNextYear", "CANARY-UNKNOWN-FIELD"},
              {"createdDate", "2023-01-24T15:27:14.8"}}
      .dump();
}

void check_no_canary(const std::string& text) {
  for (const auto& canary : canaries) {
    INFO("canary " << canary);
    CHECK(text.find(canary) == std::string::npos);
  }
}

template <class Record>
const std::vector<Record>& records_of(const records_result<Record>& result) {
  if (auto* error = std::get_if<record_error>(&result))
    FAIL("unexpected record_error: " << error->message);
  return std::get<std::vector<Record>>(result);
}

template <class Record>
std::string error_of(const records_result<Record>& result) {
  REQUIRE(std::holds_alternative<record_error>(result));
  return std::get<record_error>(result).message;
}

} // namespace

TEST_CASE("a talent record keeps only the allow-listed fields") {
  auto talents = records_of(parse_talents(talent_json(5001)));
  REQUIRE(talents.size() == 1);
  const auto& t = talents[0];
  CHECK(t.id == 5001);
  CHECK(t.first_name == "Avery");
  CHECK(t.last_name == "Lindqvist");
  CHECK(t.email == "avery@example.test");
  CHECK(t.link == "https://apitest.myavionte.com/app/#/applicant/5001");
  CHECK(t.representative_user_id == 301);
}

TEST_CASE("no sensitive talent value survives in the record or its JSON") {
  auto talents = records_of(parse_talents(talent_json(5001)));
  REQUIRE(talents.size() == 1);
  const auto& t = talents[0];
  check_no_canary(t.first_name + t.last_name + t.email + t.link);

  json stored = t;
  check_no_canary(stored.dump());
  CHECK(stored.size() == 6);
}

TEST_CASE("a multi-query answer of talent records gives one record each") {
  auto text =
      "[" + talent_json(1) + "," + talent_json(2) + "," + talent_json(3) + "]";
  auto talents = records_of(parse_talents(text));
  REQUIRE(talents.size() == 3);
  CHECK(talents[0].id == 1);
  CHECK(talents[2].id == 3);
  CHECK(talents[2].link == "https://apitest.myavionte.com/app/#/applicant/3");
  for (const auto& t : talents)
    check_no_canary(json(t).dump());
}

TEST_CASE("an empty multi-query answer gives no records") {
  CHECK(records_of(parse_talents("[]")).empty());
  CHECK(records_of(parse_pipelines(" [ ] ")).empty());
}

TEST_CASE("missing or null optional talent fields read as empty") {
  auto talents = records_of(
      parse_talents(R"({"id":7,"firstName":null,"representativeUser":0})"));
  REQUIRE(talents.size() == 1);
  CHECK(talents[0].first_name.empty());
  CHECK(talents[0].last_name.empty());
  CHECK(talents[0].email.empty());
  CHECK(talents[0].link.empty());
  CHECK_FALSE(talents[0].representative_user_id);
}

TEST_CASE("mistyped optional record fields read as empty") {
  auto talents = records_of(parse_talents(
      R"({"id":7,"firstName":12,"emailAddress":{"x":1},"representativeUser":"abc"})"));
  REQUIRE(talents.size() == 1);
  CHECK(talents[0].first_name.empty());
  CHECK(talents[0].email.empty());
  CHECK_FALSE(talents[0].representative_user_id);
}

TEST_CASE("record keys are read whatever their case and ids may be quoted") {
  auto talents = records_of(
      parse_talents(R"({"ID":"42","FirstName":"Quinn","EMAILADDRESS":"q@x"})"));
  REQUIRE(talents.size() == 1);
  CHECK(talents[0].id == 42);
  CHECK(talents[0].first_name == "Quinn");
  CHECK(talents[0].email == "q@x");
}

TEST_CASE("pipeline records carry the stage name and the recruiter") {
  auto pipelines = records_of(parse_pipelines(R"([
    {"id":555001,"talentId":5001,"jobId":4001,"jobActivityId":12,
     "jobActivityName":"Onsite  Interview Scheduled ","stageType":"Interview",
     "stagedDate":"2024-04-24T11:10:52.033Z","jobActivityDate":"0001-01-01T00:00:00Z",
     "representativeUserId":301},
    {"id":555002,"talentId":5002,"jobId":4001,"jobActivityName":"Selected",
     "representativeUserId":null}])"));
  REQUIRE(pipelines.size() == 2);
  CHECK(pipelines[0].id == 555001);
  CHECK(pipelines[0].talent_id == 5001);
  CHECK(pipelines[0].job_id == 4001);
  CHECK(pipelines[0].stage_name == "Onsite  Interview Scheduled ");
  CHECK(pipelines[0].recruiter_user_id == 301);
  CHECK(pipelines[1].stage_name == "Selected");
  CHECK_FALSE(pipelines[1].recruiter_user_id);

  json stored = pipelines[0];
  CHECK(stored == json{{"id", 555001},
                       {"talent_id", 5001},
                       {"job_id", 4001},
                       {"stage_name", "Onsite  Interview Scheduled "},
                       {"recruiter_user_id", 301}});
}

TEST_CASE("a pipeline record without its talent or job is refused") {
  CHECK(error_of(parse_pipelines(R"({"id":1,"jobId":2})")) ==
        "pipeline[0]: talentId is missing");
  CHECK(error_of(parse_pipelines(R"([{"id":1,"talentId":2,"jobId":3},)"
                                 R"({"id":4,"talentId":5}])")) ==
        "pipeline[1]: jobId is missing");
}

TEST_CASE("a job record reads a null description as empty") {
  auto jobs = records_of(parse_jobs(R"({"id":4001,"title":"CNC Machinist",
    "companyId":77,"companyName":"Initech Health","ownerUserId":301,
    "representativeUsers":[301,302],"enteredByUserId":302,"description":null,
    "notes":"<p>CANARY-JOB-NOTES</p>","status":"Open",
    "worksiteAddress":{"street1":"1 Main"},"payRates":[{"payRate":21.5}],
    "link":"https://apitest.myavionte.com/app/#/job/4001"})"));
  REQUIRE(jobs.size() == 1);
  const auto& j = jobs[0];
  CHECK(j.id == 4001);
  CHECK(j.title == "CNC Machinist");
  CHECK(j.company_name == "Initech Health");
  CHECK(j.description.empty());
  CHECK(j.owner_user_id == 301);
  CHECK(json(j).dump().find("CANARY-JOB-NOTES") == std::string::npos);
}

TEST_CASE("a user record is keyed by userId") {
  auto users = records_of(parse_users(R"([{"userId":301,"firstName":"Morgan",
    "lastName":"Okafor","emailAddress":"morgan@example.test",
    "officeName":"Chicago","userName":"morgan@example.test","isArchived":false}])"));
  REQUIRE(users.size() == 1);
  CHECK(users[0].id == 301);
  CHECK(users[0].first_name == "Morgan");
  CHECK(users[0].last_name == "Okafor");
  CHECK(users[0].email == "morgan@example.test");
  CHECK(json(users[0]) == json{{"id", 301},
                               {"first_name", "Morgan"},
                               {"last_name", "Okafor"},
                               {"email", "morgan@example.test"}});

  CHECK(error_of(parse_users(R"({"id":301,"firstName":"Morgan"})")) ==
        "user[0]: userId is missing");
}

TEST_CASE("a record without a valid id is refused, naming index and field") {
  CHECK(error_of(parse_talents(R"({"firstName":"Avery"})")) ==
        "talent[0]: id is missing");
  CHECK(error_of(parse_talents(R"({"id":null})")) ==
        "talent[0]: id is missing");
  CHECK(
      error_of(parse_talents(R"([{"id":1},{"id":"CANARY-SSN-987654321"}])")) ==
      "talent[1]: id must be a positive integer");
  CHECK(error_of(parse_talents(R"({"id":0})")) ==
        "talent[0]: id must be a positive integer");
  CHECK(error_of(parse_jobs(R"({"id":-3})")) ==
        "job[0]: id must be a positive integer");
  CHECK(error_of(parse_talents(R"({"id":1.5})")) ==
        "talent[0]: id must be a positive integer");
}

TEST_CASE("a record error never quotes a value of the answer") {
  // The talent's id is missing, every sensitive field is present.
  auto text = json::parse(talent_json(1));
  text.erase("id");
  auto error =
      error_of(parse_talents("[" + talent_json(9) + "," + text.dump() + "]"));
  CHECK(error == "talent[1]: id is missing");
  check_no_canary(error);

  // Broken JSON right after a sensitive value.
  auto broken = talent_json(1);
  broken.pop_back();
  error = error_of(parse_talents(broken + ",\"x\":CANARY-SSN-987654321}"));
  CHECK(error == "the talent answer is not JSON");
  check_no_canary(error);
}

TEST_CASE("an answer that is not JSON or not records is refused") {
  CHECK(error_of(parse_talents("")) == "the talent answer is not JSON");
  CHECK(error_of(parse_jobs("<html>502 Bad Gateway</html>")) ==
        "the job answer is not JSON");
  CHECK(error_of(parse_users("42")) ==
        "the user answer must be an object or an array of objects");
  CHECK(error_of(parse_talents(R"([{"id":1},"CANARY-SSN-987654321"])")) ==
        "talent[1]: expected an object");
}

TEST_CASE("every stored record reads back equal") {
  pipeline_record p{9, 8, 7, "Selected", std::nullopt};
  CHECK(json(p).get<pipeline_record>() == p);
  p.recruiter_user_id = 301;
  CHECK(json(p).get<pipeline_record>() == p);

  talent_record t{1, "Avery", "Lindqvist", "a@x", "https://l", 301};
  CHECK(json(t).get<talent_record>() == t);
  t.representative_user_id.reset();
  CHECK(json(t)["representative_user_id"].is_null());
  CHECK(json(t).get<talent_record>() == t);

  job_record j{4, "Cook", "Globex Foods", "", 302};
  CHECK(json(j).get<job_record>() == j);

  user_record u{301, "Morgan", "Okafor", "m@x"};
  CHECK(json(u).get<user_record>() == u);
}

TEST_CASE("a corrupt stored record names the key, not the value") {
  json stored = talent_record{1, "Avery", "Lindqvist", "a@x", "l", {}};
  stored["email"] = 12;
  try {
    stored.get<talent_record>();
    FAIL("expected std::invalid_argument");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) ==
          "stored talent record: email is not a string");
  }

  stored.erase("email");
  CHECK_THROWS_AS(stored.get<talent_record>(), std::invalid_argument);
  CHECK_THROWS_AS(json::array().get<user_record>(), std::invalid_argument);
  CHECK_THROWS_AS(json::parse(R"({"id":1})").get<job_record>(),
                  std::invalid_argument);
}
