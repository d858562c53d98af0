#include <catch2/catch.hpp>

#include "sim_fixture.hpp"

using namespace introvy;
using namespace introvy::sim;
using namespace introvy::sim::testing;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

constexpr const char* talent_path = "/front-office/v1/talent/";
constexpr const char* talents_query = "/front-office/v1/talents/multi-query";
constexpr const char* pipeline_query = "/front-office/v1/pipeline/multi-query";

std::int64_t first_talent(fixture& f, std::size_t tenant_index) {
  return f.get_json(
      "/_sim/dataset")["tenants"][tenant_index]["talents"][0]["id"];
}

} // namespace

TEST_CASE("a token is issued for the right key and client credentials") {
  fixture f;
  auto r = f.call("POST", "/authorize/token",
                  "grant_type=client_credentials&client_id=client-1&"
                  "client_secret=secret-1&scope=avionte.aero."
                  "compasintegrationservice",
                  {{"X-api-key", "key-1"}});
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  CHECK(doc["token_type"] == "Bearer");
  CHECK(doc["expires_in"] == 3600);
  CHECK(doc["access_token"].is_string());
}

TEST_CASE("wrong client credentials get 400 invalid_client") {
  fixture f;
  auto r = f.call("POST", "/authorize/token",
                  "grant_type=client_credentials&client_id=client-1&"
                  "client_secret=wrong&scope=avionte.aero."
                  "compasintegrationservice",
                  {{"X-api-key", "key-1"}});
  CHECK(r.status == 400);
  CHECK(json::parse(r.body) == json{{"error", "invalid_client"}});
}

TEST_CASE("a token request without the API key gets 401") {
  fixture f;
  auto r = f.call("POST", "/authorize/token",
                  "grant_type=client_credentials&client_id=client-1&"
                  "client_secret=secret-1");
  CHECK(r.status == 401);
}

TEST_CASE("an API call needs the key, a token and a tenant") {
  fixture f;
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);

  auto without = [&](const char* name) {
    auto headers = f.api_headers(token);
    std::erase_if(headers, [&](auto& h) { return h.first == name; });
    return f.call("GET", path, "", headers).status;
  };
  CHECK(without("X-api-key") == 401);
  CHECK(without("Authorization") == 401);
  CHECK(without("FrontOfficeTenantId") == 400);
  CHECK(f.call("GET", path, "", f.api_headers("forged")).status == 401);
}

TEST_CASE("the Tenant header's short code names a tenant too") {
  fixture f;
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  net::header_list headers{{"X-api-key", "key-1"},
                           {"Authorization", "Bearer " + token},
                           {"Tenant", "apitest"}};
  CHECK(f.call("GET", path, "", headers).status == 200);
}

TEST_CASE("an expired token gets 401") {
  simulator_options options;
  options.token_lifetime = 1s;
  fixture f{options};
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);
  f.clock.advance(1s);
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 401);
}

TEST_CASE("one tenant never sees another tenant's records") {
  fixture f;
  auto token = f.token();
  auto other = first_talent(f, 1); // tenant 7's
  auto path = talent_path + std::to_string(other);
  CHECK(f.call("GET", path, "", f.api_headers(token, 6)).status == 404);
  CHECK(f.call("GET", path, "", f.api_headers(token, 7)).status == 200);
  auto r = f.call("POST", talents_query, "[" + std::to_string(other) + "]",
                  f.api_headers(token, 6));
  CHECK(json::parse(r.body) == json::array());
}

TEST_CASE("multi-queries answer bare arrays and refuse more than 100 ids") {
  fixture f;
  auto token = f.token();
  auto pipelines = f.get_json("/_sim/dataset")["tenants"][0]["pipelines"];
  json ids = {pipelines[0]["id"], pipelines[1]["id"], 1};
  auto r = f.call("POST", pipeline_query, ids.dump(), f.api_headers(token));
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  REQUIRE(doc.is_array());
  CHECK(doc.size() == 2);
  CHECK(doc[0].contains("jobActivityName"));

  json many = json::array();
  for (int i = 0; i < 101; ++i)
    many.push_back(i);
  CHECK(f.call("POST", pipeline_query, many.dump(), f.api_headers(token))
            .status == 400);
  CHECK(f.call("POST", pipeline_query, "{}", f.api_headers(token)).status ==
        400);
}

TEST_CASE("unknown ids get 404") {
  fixture f;
  auto token = f.token();
  CHECK(f.call("GET", "/front-office/v1/job/1", "", f.api_headers(token))
            .status == 404);
  CHECK(f.call("GET", "/front-office/v1/user/x", "", f.api_headers(token))
            .status == 404);
  CHECK(f.call("GET", std::string{talent_path} + "1", "", f.api_headers(token))
            .status == 404);
}

TEST_CASE("a tenant over its rate limit gets 429 until the next second") {
  simulator_options options;
  options.requests_per_second = 2;
  fixture f{options};
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);
  auto refused = f.call("GET", path, "", f.api_headers(token));
  CHECK(refused.status == 429);
  CHECK(f.call("GET", path, "", f.api_headers(token, 7)).status == 404);
  f.clock.advance(1s);
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);
}

TEST_CASE("a written activity is answered with its id and listed") {
  fixture f;
  auto token = f.token();
  auto talent = first_talent(f, 0);
  auto path = talent_path + std::to_string(talent) + "/activity";
  json body = {{"notes", "<p>done</p>"},
               {"typeId", 4},
               {"activityDate", "2025-01-01T00:00:00Z"},
               {"userId", 600101}};
  auto r = f.call("POST", path, body.dump(), f.api_headers(token));
  REQUIRE(r.status == 201);
  CHECK(json::parse(r.body)["id"].is_number_integer());
  auto listed =
      f.get_json("/_sim/activities?tenant=6&talent=" + std::to_string(talent));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0]["notes"] == "<p>done</p>");
  CHECK(f.get_json("/_sim/activities?tenant=7").empty());
}

TEST_CASE("activity types include negative system types") {
  fixture f;
  auto token = f.token();
  auto r = f.call("GET", "/front-office/v1/talent/activity-types", "",
                  f.api_headers(token));
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  CHECK(doc[0]["typeId"].get<int>() < 0);
  CHECK(doc[0].contains("show_in"));
}

TEST_CASE("an injected fault answers for its tenant and endpoint only") {
  fixture f;
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  auto added = f.call("POST", "/_sim/faults",
                      R"({"tenant":6,"endpoint":"talent","burst_429":1})");
  REQUIRE(added.status == 201);
  auto r = f.call("GET", path, "", f.api_headers(token));
  CHECK(r.status == 429);
  CHECK(r.headers.empty()); // no Retry-After without retry_after
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 200);
}

TEST_CASE("revoking tokens early makes the tenant's calls 401") {
  fixture f;
  auto token = f.token();
  auto path = talent_path + std::to_string(first_talent(f, 0));
  f.call("POST", "/_sim/faults", R"({"tenant":6,"revoke_tokens":true})");
  CHECK(f.call("GET", path, "", f.api_headers(token)).status == 401);
  CHECK(f.call("GET", path, "", f.api_headers(f.token())).status == 200);
}

TEST_CASE("a dropped connection is answered with the drop flag") {
  fixture f;
  auto token = f.token();
  f.call("POST", "/_sim/faults", R"({"drop":1})");
  auto path = talent_path + std::to_string(first_talent(f, 0));
  CHECK(f.call("GET", path, "", f.api_headers(token)).drop_connection);
}

TEST_CASE("moving a pipeline changes its stage and records a delivery") {
  fixture f;
  auto entry = f.get_json("/_sim/dataset")["tenants"][0]["pipelines"][0];
  auto path =
      "/_sim/pipelines/" + std::to_string(entry["id"].get<long>()) + "/move";
  auto r = f.call("POST", path, R"({"stage":"Selected"})");
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  CHECK(doc["pipeline"]["jobActivityName"] == "Selected");
  auto correlation_id = doc["correlation_id"].get<std::string>();
  CHECK(correlation_id.size() == 36);
  // No target configured: the attempt is recorded as such.
  CHECK(eventually([&] {
    auto d = f.get_json("/_sim/deliveries");
    return d.size() == 1 && d[0]["correlation_id"] == correlation_id;
  }));
  CHECK(f.call("POST", "/_sim/pipelines/1/move", R"({"stage":"x"})").status ==
        404);
}

TEST_CASE("setting many stages at once sends no webhook and names the "
          "unknown entries") {
  fixture f;
  auto pipelines = f.get_json("/_sim/dataset")["tenants"][0]["pipelines"];
  auto first = pipelines[0]["id"].get<long>();
  auto second = pipelines[1]["id"].get<long>();
  auto body = json::array({{{"pipeline", first}, {"stage", "Selected"}},
                           {{"pipeline", second}, {"stage", "Coffee Chat"}},
                           {{"pipeline", 1}, {"stage", "Hired"}}});
  auto r = f.call("POST", "/_sim/stages", body.dump());
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  CHECK(doc["updated"] == 2);
  CHECK(doc["missing"] == json::array({1}));
  auto after = f.get_json("/_sim/dataset")["tenants"][0]["pipelines"];
  CHECK(after[0]["stage"] == "Selected");
  CHECK(after[1]["stage"] == "Coffee Chat");
  CHECK(f.get_json("/_sim/deliveries").empty());
  CHECK(f.call("POST", "/_sim/stages", R"({"pipeline":1})").status == 400);
  CHECK(f.call("POST", "/_sim/stages", R"([{"pipeline":"x"}])").status == 400);
}

TEST_CASE(
    "adding a talent to a pipeline needs a talent and job of the tenant") {
  fixture f;
  auto tenant = f.get_json("/_sim/dataset")["tenants"][0];
  json body = {{"tenant", 6},
               {"talent_id", tenant["talents"][0]["id"]},
               {"job_id", tenant["jobs"][0]["id"]}};
  auto r = f.call("POST", "/_sim/pipelines", body.dump());
  REQUIRE(r.status == 201);
  CHECK(json::parse(r.body)["pipeline"]["jobActivityName"] == "Pipelined");
  body["tenant"] = 7;
  CHECK(f.call("POST", "/_sim/pipelines", body.dump()).status == 404);
}

TEST_CASE("reset goes back to the seeded state") {
  fixture f;
  auto before = f.get_json("/_sim/dataset");
  auto id = before["tenants"][0]["pipelines"][0]["id"].get<long>();
  f.call("POST", "/_sim/pipelines/" + std::to_string(id) + "/move",
         R"({"stage":"Hired"})");
  f.call("POST", "/_sim/faults", R"({"error_500":1.0})");
  f.call("POST", "/_sim/reset");
  CHECK(f.get_json("/_sim/dataset") == before);
  CHECK(f.get_json("/_sim/faults").empty());
}
