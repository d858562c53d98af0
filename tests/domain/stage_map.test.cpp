#include "domain/stage_map.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

using namespace introvy::domain;

TEST_CASE("every workflow's name reads back as that workflow") {
  for (auto w : all_workflows)
    CHECK(parse_workflow(to_string(w)) == w);
  CHECK(to_string(workflow::video_submission) == "video_submission");
  CHECK(to_string(workflow::research_brief) == "research_brief");
  CHECK(to_string(workflow::practice_audio) == "practice_audio");
  CHECK(to_string(workflow::practice_video) == "practice_video");
  CHECK(to_string(workflow::thank_you) == "thank_you");
}

TEST_CASE("parse_workflow accepts only the exact snake_case names") {
  CHECK_FALSE(parse_workflow("Video Submission"));
  CHECK_FALSE(parse_workflow("VIDEO_SUBMISSION"));
  CHECK_FALSE(parse_workflow("video-submission"));
  CHECK_FALSE(parse_workflow(" thank_you"));
  CHECK_FALSE(parse_workflow(""));
}

TEST_CASE("video submission and practice audio and video wait for approval") {
  CHECK(needs_recruiter_approval(workflow::video_submission));
  CHECK(needs_recruiter_approval(workflow::practice_audio));
  CHECK(needs_recruiter_approval(workflow::practice_video));
  CHECK_FALSE(needs_recruiter_approval(workflow::research_brief));
  CHECK_FALSE(needs_recruiter_approval(workflow::thank_you));
}

TEST_CASE("a stage name is trimmed, its inner whitespace collapsed, its case "
          "lowered") {
  CHECK(normalize_stage_name("Selected") == "selected");
  CHECK(normalize_stage_name("  selected") == "selected");
  CHECK(normalize_stage_name("PIPELINED") == "pipelined");
  CHECK(normalize_stage_name("Onsite  Interview Scheduled ") ==
        "onsite interview scheduled");
  CHECK(normalize_stage_name("\tOn\t \nHold\r\n") == "on hold");
  CHECK(normalize_stage_name("") == "");
  CHECK(normalize_stage_name(" \t ") == "");
}

TEST_CASE("stage name normalisation changes nothing but space and case") {
  CHECK(normalize_stage_name("Pre-screen Interview") == "pre-screen interview");
  CHECK(normalize_stage_name("Pipelined!") == "pipelined!");
  CHECK(normalize_stage_name("Select ed") == "select ed");
  CHECK(normalize_stage_name("AI_Interview") == "ai_interview");
  // Bytes outside ASCII are left as they are.
  CHECK(normalize_stage_name("Caf\xC3\x89") == "caf\xC3\x89");
}

TEST_CASE("a stage map tells unknown stages from stages with no action") {
  stage_map map;
  map.set("Selected", {workflow::thank_you});
  map.set("On Hold", {});

  CHECK(map.size() == 2);
  CHECK(map.lookup("Selected") == std::vector{workflow::thank_you});
  auto on_hold = map.lookup("On Hold");
  REQUIRE(on_hold);
  CHECK(on_hold->empty());
  CHECK_FALSE(map.lookup("Offer Extended"));
  CHECK_FALSE(map.lookup(""));
}

TEST_CASE("a stage map finds a stage however its name is spaced or cased") {
  stage_map map;
  map.set("  Onsite Interview   Scheduled", {workflow::research_brief});
  CHECK(map.lookup("onsite interview scheduled") ==
        std::vector{workflow::research_brief});
  CHECK(map.lookup("ONSITE INTERVIEW SCHEDULED ") ==
        std::vector{workflow::research_brief});
  CHECK(map.contains("Onsite\tInterview Scheduled"));
  CHECK(map.rows().begin()->first == "onsite interview scheduled");
}

TEST_CASE("setting a stage again replaces its row") {
  stage_map map;
  map.set("Selected", {workflow::thank_you});
  map.set("SELECTED", {workflow::research_brief, workflow::practice_audio});
  CHECK(map.size() == 1);
  CHECK(map.lookup("selected") ==
        std::vector{workflow::research_brief, workflow::practice_audio});
}

TEST_CASE("a removed stage is unknown afterwards") {
  stage_map map;
  map.set("On Hold", {});
  map.remove("on  hold");
  CHECK_FALSE(map.lookup("On Hold"));
  CHECK(map.size() == 0);
  map.remove("never there");
  CHECK(map.size() == 0);
}

TEST_CASE("a blank stage name cannot be set") {
  stage_map map;
  CHECK_THROWS_AS(map.set("  ", {}), std::invalid_argument);
  CHECK(map.size() == 0);
}
