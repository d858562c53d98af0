#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "sim/dataset.hpp"

using namespace introvy::sim;

TEST_CASE("the same seed gives the same dataset, another seed another one") {
  auto a = generate_dataset(42, {});
  auto b = generate_dataset(42, {});
  auto c = generate_dataset(43, {});
  CHECK(to_json(a.tenants[0].talents.begin()->second, a.tenants[0]) ==
        to_json(b.tenants[0].talents.begin()->second, b.tenants[0]));
  CHECK(a.canaries == b.canaries);
  bool differs = false;
  for (const auto& [id, p] : a.tenants[0].pipelines)
    differs |= p.stage != c.tenants[0].pipelines.at(id).stage ||
               p.staged_date != c.tenants[0].pipelines.at(id).staged_date;
  CHECK(differs);
}

TEST_CASE("tenants have their own ids, codes and records") {
  auto data = generate_dataset(1, {});
  REQUIRE(data.tenants.size() == 3);
  CHECK(data.tenants[0].id == 6);
  CHECK(data.tenants[0].code == "apitest");
  CHECK(data.find_tenant("brightpath") == &data.tenants[1]);
  for (const auto& [id, talent] : data.tenants[0].talents)
    CHECK(data.tenants[1].talents.count(id) == 0);
}

TEST_CASE("every talent carries a unique nine-digit canary SSN") {
  auto data = generate_dataset(1, {});
  std::set<std::string> seen;
  for (const auto& tenant : data.tenants)
    for (const auto& [id, t] : tenant.talents) {
      CHECK(t.tax_id_number.size() == 9);
      CHECK(t.tax_id_number.starts_with("900"));
      CHECK(seen.insert(t.tax_id_number).second);
    }
  CHECK(seen.count("900000001") == 1);
}

TEST_CASE("a talent's JSON holds every sensitive field, all listed as "
          "canaries") {
  auto data = generate_dataset(1, {});
  auto& tenant = data.tenants[0];
  auto doc = to_json(tenant.talents.begin()->second, tenant);
  for (const char* key : {"taxIdNumber",
                          "birthday",
                          "gender",
                          "race",
                          "disability",
                          "veteranStatus",
                          "residentAddress",
                          "mailingAddress",
                          "payrollAddress",
                          "addresses",
                          "filingStatus",
                          "federalAllowances",
                          "stateAllowances",
                          "additionalFederalWithholding",
                          "i9ValidatedDate",
                          "homePhone",
                          "mobilePhone",
                          "workPhone",
                          "talentResume",
                          "representativeUser",
                          "link"})
    CHECK(doc.contains(key));
  CHECK(doc["residentAddress"].contains("street1"));
  CHECK(doc["residentAddress"].contains("state_Province"));
  auto& canaries = data.canaries;
  for (const char* key : {"taxIdNumber", "race", "talentResume", "homePhone"})
    CHECK(std::find(canaries.begin(), canaries.end(),
                    doc[key].get<std::string>()) != canaries.end());
}

TEST_CASE("stage names mix the default map's, odd spellings and unknown "
          "ones") {
  auto data = generate_dataset(1, {});
  auto& stages = data.tenants[0].stages;
  auto has = [&](const std::string& s) {
    return std::find(stages.begin(), stages.end(), s) != stages.end();
  };
  CHECK(has("Pipelined"));
  CHECK(has("  selected"));
  CHECK(has("PIPELINED"));
  CHECK(has("Offer Extended"));
}

TEST_CASE("a user is keyed userId, a job carries its representatives") {
  auto data = generate_dataset(1, {});
  auto& tenant = data.tenants[0];
  auto user = to_json(tenant.users.begin()->second);
  CHECK(user.contains("userId"));
  CHECK_FALSE(user.contains("id"));
  auto job = to_json(tenant.jobs.begin()->second, tenant);
  CHECK(job["representativeUsers"].is_array());
  CHECK(job["description"].is_null());
}
