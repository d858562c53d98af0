#include "config/stage_maps.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace introvy;
using config::default_stage_map;
using config::parse_stage_map;
using domain::workflow;

namespace {

using workflows = std::vector<workflow>;

const workflows interview = {workflow::research_brief, workflow::practice_audio,
                             workflow::practice_video};

// The default map as AVIONTE.md writes it, row by row.
const std::vector<std::pair<std::string, workflows>> documented_rows = {
    {"Pipelined", {workflow::video_submission}},
    {"Online Interview Scheduled", interview},
    {"Onsite Interview Scheduled", interview},
    {"Pre-screen Interview Scheduled", interview},
    {"Selected", {workflow::thank_you}},
    {"Pre-screen Interview Completed", {workflow::thank_you}},
    {"AI Interview Completed", {workflow::thank_you}},
    {"Rejected", {}},
    {"Declined", {}},
    {"Not Selected", {}},
    {"Disqualified", {}},
    {"Withdrawn", {}},
    {"Candidate Withdrew", {}},
    {"On Hold", {}},
    {"No Show", {}},
    {"Rescheduled", {}},
    {"Hired", {}},
    {"Placed", {}},
    {"Started", {}},
    {"Closed", {}},
    {"Filled", {}},
    {"Background Check", {}},
    {"Drug Screen", {}},
    {"Safety Test", {}},
    {"Possible Hire Test", {}},
    {"Applicant", {}},
    {"Candidate", {}},
    {"Sourced", {}},
    {"Screening", {}},
    {"Phone Screen", {}},
};

// The message of the std::invalid_argument that parsing `text` throws.
std::string map_error_of(const std::string& text) {
  try {
    parse_stage_map(text, "map.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  FAIL("expected std::invalid_argument for:\n" << text);
  return {};
}

// A configuration with one tenant whose [[tenant]] table ends with `extra`.
config::tenant_config load_tenant(const std::string& extra) {
  setenv("INTROVY_TEST_WEBHOOK_SECRET", "s3cr3t-webhook-value", 1);
  auto service = config::load_string(R"([webhook]
secrets = ["env:INTROVY_TEST_WEBHOOK_SECRET"]

[[tenant]]
front_office_tenant_id = 6
org = "acme-staffing"
tenant = "apitest"
)" + extra,
                                     "test.toml");
  REQUIRE(service.tenants.size() == 1);
  return service.tenants[0];
}

} // namespace

TEST_CASE("the default stage map holds exactly the documented rows") {
  const auto& map = default_stage_map();
  CHECK(map.size() == documented_rows.size());
  for (const auto& [stage, expected] : documented_rows) {
    INFO("stage " << stage);
    auto found = map.lookup(stage);
    REQUIRE(found);
    CHECK(*found == expected);
  }
}

TEST_CASE("the default stage map resolves the odd spellings tenants use") {
  const auto& map = default_stage_map();
  CHECK(map.lookup("  selected") == workflows{workflow::thank_you});
  CHECK(map.lookup("PIPELINED") == workflows{workflow::video_submission});
  CHECK(map.lookup("Onsite  Interview Scheduled ") == interview);
  CHECK(map.lookup("pre-screen interview completed") ==
        workflows{workflow::thank_you});
  auto phone_screen = map.lookup("phone screen");
  REQUIRE(phone_screen);
  CHECK(phone_screen->empty());
}

TEST_CASE("near misses of a default stage name are unknown stages") {
  const auto& map = default_stage_map();
  CHECK_FALSE(map.lookup("Selectedd"));
  CHECK_FALSE(map.lookup("Select ed"));
  CHECK_FALSE(map.lookup("Pipelined!"));
  CHECK_FALSE(map.lookup("Prescreen Interview Scheduled"));
  CHECK_FALSE(map.lookup("Pre-screen Interview"));
}

TEST_CASE("stages the default map does not know give no entry") {
  const auto& map = default_stage_map();
  CHECK_FALSE(map.lookup("Offer Extended"));
  CHECK_FALSE(map.lookup("Reference Check"));
  CHECK_FALSE(map.lookup("Awaiting Paperwork"));
  CHECK_FALSE(map.lookup(""));
}

TEST_CASE("the no-action stages of the default map give an empty list") {
  const auto& map = default_stage_map();
  for (const auto& [stage, expected] : documented_rows) {
    if (!expected.empty())
      continue;
    INFO("stage " << stage);
    auto found = map.lookup(stage);
    REQUIRE(found);
    CHECK(found->empty());
  }
}

TEST_CASE("a stage map file is read row by row") {
  auto map = parse_stage_map(R"(# a comment
[stages]
"Phone Interview Scheduled" = ["research_brief", "practice_audio"]
Screening = []
)",
                             "map.toml");
  CHECK(map.size() == 2);
  CHECK(map.lookup("phone interview scheduled") ==
        workflows{workflow::research_brief, workflow::practice_audio});
  CHECK(map.lookup("SCREENING") == workflows{});
}

TEST_CASE("an unknown workflow in a stage map file names its line and key") {
  auto error = map_error_of(R"([stages]
Selected = ["thank_you"]
"On Hold" = ["thank-you"]
)");
  CHECK(error == "map.toml:3:14: stages.\"On Hold\"[0]: unknown workflow "
                 "\"thank-you\" (expected video_submission, research_brief, "
                 "practice_audio, practice_video, thank_you)");
}

TEST_CASE("a stage map row that is not an array names its line and key") {
  auto error = map_error_of("[stages]\nSelected = \"thank_you\"\n");
  CHECK(error == "map.toml:2:12: stages.Selected: expected an array of "
                 "workflow names, got a string");

  error = map_error_of("[stages]\nSelected = [3]\n");
  CHECK(error == "map.toml:2:13: stages.Selected[0]: expected a string, got "
                 "an integer");
}

TEST_CASE("a workflow listed twice in one stage row is refused") {
  auto error = map_error_of("[stages]\nSelected = [\"thank_you\", "
                            "\"thank_you\"]\n");
  CHECK(error == "map.toml:2:26: stages.Selected[1]: workflow \"thank_you\" "
                 "is listed twice");
}

TEST_CASE("two stage names in a map file that normalise alike are refused") {
  auto error = map_error_of(R"([stages]
"On Hold" = []
Selected = ["thank_you"]
"on  hold" = ["thank_you"]
)");
  CHECK(error == "map.toml:4:1: stages.\"on  hold\": the same stage as \"On "
                 "Hold\" (line 2) once spaces and case are ignored");
}

TEST_CASE("a stage map file holds one [stages] table and nothing else") {
  CHECK(map_error_of("[stagse]\nSelected = []\n") ==
        "map.toml:1:2: stagse: unknown key (a map file holds one table, "
        "[stages])");
  CHECK(map_error_of("") == "map.toml:1:1: stages: required table is missing");
  CHECK(map_error_of("stages = 3\n") ==
        "map.toml:1:10: stages: expected a table, got an integer");
  CHECK(map_error_of("[stages]\n\"  \" = []\n") ==
        "map.toml:2:1: stages.\"  \": a stage name must not be blank");
}

TEST_CASE("a TOML syntax error in a stage map file names its line") {
  auto error = map_error_of("[stages]\nSelected = [\"thank_you\"\n");
  CHECK(error.rfind("map.toml:", 0) == 0);
  CHECK(error.rfind("map.toml:1:", 0) != 0);
}

TEST_CASE("a tenant without stage keys maps its stages with the default map") {
  auto map = config::tenant_stage_map(load_tenant(""));
  CHECK(map.rows() == default_stage_map().rows());
}

TEST_CASE("a tenant's stages add rows to the default stage map") {
  auto map = config::tenant_stage_map(load_tenant(R"(
[tenant.stages]
"Phone Interview Scheduled" = ["research_brief", "practice_audio"]
"Offer Extended" = []
)"));
  CHECK(map.size() == default_stage_map().size() + 2);
  CHECK(map.lookup("phone interview scheduled") ==
        workflows{workflow::research_brief, workflow::practice_audio});
  CHECK(map.lookup("Offer Extended") == workflows{});
  CHECK(map.lookup("Pipelined") == workflows{workflow::video_submission});
}

TEST_CASE("a tenant's stages replace default rows whatever their spelling") {
  auto map = config::tenant_stage_map(load_tenant(R"(
[tenant.stages]
"SELECTED " = ["research_brief"]
"screening" = ["video_submission"]
)"));
  CHECK(map.size() == default_stage_map().size());
  CHECK(map.lookup("Selected") == workflows{workflow::research_brief});
  CHECK(map.lookup("Screening") == workflows{workflow::video_submission});
  // The shared default is untouched.
  CHECK(default_stage_map().lookup("Selected") ==
        workflows{workflow::thank_you});
}

TEST_CASE("remove_stages makes default stages unknown for that tenant") {
  auto tenant =
      load_tenant("remove_stages = [\"On Hold\", \"phone  screen\"]\n");
  CHECK(tenant.remove_stages ==
        std::vector<std::string>{"On Hold", "phone  screen"});
  auto map = config::tenant_stage_map(tenant);
  CHECK(map.size() == default_stage_map().size() - 2);
  CHECK_FALSE(map.lookup("On Hold"));
  CHECK_FALSE(map.lookup("Phone Screen"));
  CHECK(map.lookup("Selected") == workflows{workflow::thank_you});
  CHECK(default_stage_map().lookup("On Hold"));
}

TEST_CASE("replace_default_stages starts a tenant's stage map empty") {
  auto tenant = load_tenant(R"(replace_default_stages = true
[tenant.stages]
"Pipelined" = ["thank_you"]
"Qualified" = ["video_submission", "practice_video"]
)");
  CHECK(tenant.replace_default_stages);
  auto map = config::tenant_stage_map(tenant);
  CHECK(map.size() == 2);
  CHECK(map.lookup("pipelined") == workflows{workflow::thank_you});
  CHECK(map.lookup("Qualified") ==
        workflows{workflow::video_submission, workflow::practice_video});
  CHECK_FALSE(map.lookup("Selected"));
  CHECK_FALSE(map.lookup("On Hold"));
}

TEST_CASE("replace_default_stages without rows gives a map of unknown stages") {
  auto map =
      config::tenant_stage_map(load_tenant("replace_default_stages = true\n"));
  CHECK(map.size() == 0);
  CHECK_FALSE(map.lookup("Pipelined"));
}

TEST_CASE("a hand-built tenant with an unknown workflow name is refused") {
  config::tenant_config tenant;
  tenant.tenant = "apitest";
  tenant.stages["Selected"] = {"thank-you"};
  CHECK_THROWS_AS(config::tenant_stage_map(tenant), std::invalid_argument);
}

TEST_CASE("workflow_names are the domain's workflows, in order") {
  std::vector<std::string> expected;
  for (auto w : domain::all_workflows)
    expected.emplace_back(domain::to_string(w));
  CHECK(config::workflow_names() == expected);
}
