#include <catch2/catch.hpp>

#include "config/stage_maps.hpp"
#include "domain/candidate_state.hpp"
#include "domain/dead_letter.hpp"

using namespace introvy::domain;

namespace {

webhook_event event_at(std::uint64_t seq) {
  webhook_event e;
  e.seq = seq;
  e.tenant_id = 6;
  e.correlation_id = "c" + std::to_string(seq);
  e.event_name = "job_pipeline_talent_updated";
  return e;
}

enrichment facts_at(std::string stage) {
  enrichment f;
  f.pipeline = {650001, 610001, 601001, std::move(stage), 600102};
  f.talent = {610001,
              "Casey",
              "Novak",
              "talent610001@example.test",
              "https://apitest.myavionte.com/app/#/applicant/610001",
              600101};
  f.job = {601001, "Payroll Clerk", "Acme", "", 600103};
  f.recruiter = user_record{600102, "Taylor", "Lindqvist", "r@x.test"};
  return f;
}

const stage_map& defaults() {
  return introvy::config::default_stage_map();
}

} // namespace

TEST_CASE("a candidate applies an event once, in log order") {
  candidate_state state;
  auto e = event_at(5);
  CHECK_FALSE(state.already_applied(e));
  state.apply(e, facts_at("Selected"), defaults(), 100);
  CHECK(state.already_applied(e));
  CHECK(state.already_applied(event_at(3)));
  CHECK_FALSE(state.already_applied(event_at(9)));
  CHECK(state.last_seq() == 5);
  CHECK(state.events_applied() == 1);
}

TEST_CASE("a stage starts its workflows, and the same stage again starts "
          "nothing") {
  candidate_state state;
  auto first = state.apply(event_at(1), facts_at("Pipelined"), defaults(), 1);
  CHECK(first.outcome.kind == decision_kind::started);
  CHECK(first.outcome.workflows ==
        std::vector<workflow>{workflow::video_submission});

  auto again = state.apply(event_at(2), facts_at(" pipelined "), defaults(), 2);
  CHECK(again.outcome.kind == decision_kind::unchanged);
  CHECK(again.outcome.workflows.empty());

  auto next = state.apply(event_at(3), facts_at("Selected"), defaults(), 3);
  CHECK(next.outcome.kind == decision_kind::started);
  CHECK(next.outcome.workflows == std::vector<workflow>{workflow::thank_you});
}

TEST_CASE("an unknown stage is unmapped and a no-action stage starts nothing") {
  candidate_state state;
  auto unknown =
      state.apply(event_at(1), facts_at("Coffee Chat"), defaults(), 1);
  CHECK(unknown.outcome.kind == decision_kind::unmapped);
  CHECK(unknown.outcome.stage == "Coffee Chat");
  auto hired = state.apply(event_at(2), facts_at("Hired"), defaults(), 2);
  CHECK(hired.outcome.kind == decision_kind::no_action);
  // Back from an unknown stage to a known one is a real change.
  state.apply(event_at(3), facts_at("Mystery"), defaults(), 3);
  auto back = state.apply(event_at(4), facts_at("Hired"), defaults(), 4);
  CHECK(back.outcome.kind == decision_kind::no_action);
}

TEST_CASE("a candidate's state and decisions survive a round trip") {
  candidate_state state;
  auto entry = state.apply(event_at(7), facts_at("Onsite Interview Scheduled"),
                           defaults(), 70);
  auto copy = candidate_state::from_json(state.to_json());
  CHECK(copy.last_seq() == 7);
  CHECK(copy.events_applied() == 1);
  REQUIRE(copy.talent());
  CHECK(copy.talent()->email == "talent610001@example.test");
  // The remembered stage survives: the same stage is still unchanged.
  auto again = copy.apply(event_at(8), facts_at("Onsite Interview Scheduled"),
                          defaults(), 80);
  CHECK(again.outcome.kind == decision_kind::unchanged);

  auto read = history_entry_from_json(to_json(entry));
  CHECK(read.seq == 7);
  CHECK(read.pipeline_id == 650001);
  CHECK(read.job_id == 601001);
  CHECK(read.outcome.kind == decision_kind::started);
  CHECK(read.outcome.workflows.size() == 3);
  CHECK_THROWS_AS(candidate_state::from_json("{}"), std::invalid_argument);
  CHECK_THROWS_AS(history_entry_from_json("[]"), std::invalid_argument);
}

TEST_CASE("a dead letter keeps its event's place and reason") {
  dead_letter letter{42,
                     6,
                     "c-1",
                     650001,
                     std::nullopt,
                     "pipeline lookup: "
                     "gave up after 5 tries: HTTP 502",
                     1000};
  auto read = dead_letter_from_json(to_json(letter));
  CHECK(read.seq == 42);
  CHECK_FALSE(read.talent_id);
  CHECK(read.reason == letter.reason);
  letter.talent_id = 610001;
  CHECK(dead_letter_from_json(to_json(letter)).talent_id == 610001);
  CHECK_THROWS_AS(dead_letter_from_json("{}"), std::invalid_argument);
}
