#include <atomic>
#include <catch2/catch.hpp>

#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/signature.hpp"
#include "sim/webhook_sender.hpp"
#include "sim_fixture.hpp"

using namespace introvy;
using namespace introvy::sim;
using namespace introvy::sim::testing;
using json = nlohmann::json;

namespace {

// A webhook receiver on loopback that fails its first `failures` requests.
struct receiver {
  std::atomic<int> calls{0};
  int failures;
  std::mutex mutex;
  std::vector<net::http_request> received;
  std::unique_ptr<net::http_server> server;

  explicit receiver(int fail_first)
      : failures(fail_first) {
    net::router routes;
    routes.add("POST", "/hook",
               [this](net::http_request&& r, net::responder respond) {
                 {
                   std::lock_guard lock{mutex};
                   received.push_back(r);
                 }
                 bool fail = calls.fetch_add(1) < failures;
                 respond(fail ? net::json_error(503, "busy", "try later")
                              : net::json_ok("{}"));
               });
    server = std::make_unique<net::http_server>(net::http_server_options{},
                                                std::move(routes));
    server->start();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server->bound_port()) + "/hook";
  }
};

webhook_target target_for(const receiver& r) {
  webhook_target target;
  target.url = r.url();
  target.auth = config::webhook_auth::hmac_sha256_hex;
  target.secret = "s3cret";
  target.retry_delays = {std::chrono::milliseconds{0}};
  target.timeout = std::chrono::milliseconds{2000};
  return target;
}

} // namespace

TEST_CASE("the envelope carries Resource as a JSON string") {
  outgoing_webhook event{6, "job_pipeline_talent_updated", "c-1",
                         json{{"PipelineId", 5}, {"CorrelationId", "c-1"}}};
  auto doc = json::parse(envelope_body(event));
  CHECK(doc["Resource"].is_string());
  CHECK(json::parse(doc["Resource"].get<std::string>())["PipelineId"] == 5);
  CHECK(doc["CorrelationId"] == "c-1");
  CHECK(doc["FrontOfficeTenantId"] == 6);
  CHECK(doc.size() == 5);
}

TEST_CASE("a failed delivery is retried with the same body until it "
          "succeeds") {
  receiver hook{2};
  webhook_sender sender{target_for(hook)};
  outgoing_webhook event{6, "job_pipeline_talent_updated", "c-2",
                         json{{"PipelineId", 5}, {"CorrelationId", "c-2"}}};
  sender.send(event, std::chrono::milliseconds{0});
  REQUIRE(eventually([&] { return sender.attempts().size() == 3; }));
  auto attempts = sender.attempts();
  CHECK(attempts[0]["status"] == 503);
  CHECK(attempts[2]["status"] == 200);
  CHECK(attempts[2]["attempt"] == 3);

  std::lock_guard lock{hook.mutex};
  REQUIRE(hook.received.size() == 3);
  CHECK(hook.received[0].body == hook.received[2].body);
  auto& body = hook.received[0].body;
  CHECK(hook.received[0].header("X-Payload-Signature") ==
        net::signature_verifier::sign(config::webhook_auth::hmac_sha256_hex,
                                      "s3cret", body));
}

TEST_CASE("retries stop after the configured count") {
  receiver hook{100};
  auto target = target_for(hook);
  target.retries = 2;
  webhook_sender sender{target};
  sender.send({6, "job_pipeline_talent_added", "c-3", json{{"PipelineId", 1}}},
              std::chrono::milliseconds{0});
  REQUIRE(eventually([&] { return sender.attempts().size() == 3; }));
  sender.stop();
  CHECK(hook.calls.load() == 3);
}

TEST_CASE("an unreachable target is recorded as a connection failure") {
  webhook_target target;
  {
    receiver gone{0};
    target = target_for(gone);
  }
  target.retries = 0;
  webhook_sender sender{target};
  sender.send({6, "job_pipeline_talent_added", "c-4", json{{"PipelineId", 1}}},
              std::chrono::milliseconds{0});
  REQUIRE(eventually([&] { return sender.attempts().size() == 1; }));
  CHECK(sender.attempts()[0]["error"] == "connect_failed");
}

TEST_CASE("the HTTP client reads a served answer and sees a dropped "
          "connection as an error") {
  net::router routes;
  routes.add("GET", "/ok", [](net::http_request&&, net::responder respond) {
    auto r = net::json_ok(R"({"a":1})");
    r.headers.emplace_back("X-Test", "yes");
    respond(r);
  });
  routes.add("GET", "/drop", [](net::http_request&&, net::responder respond) {
    net::http_response dropped;
    dropped.drop_connection = true;
    respond(dropped);
  });
  net::http_server server{{}, std::move(routes)};
  server.start();
  auto base = "http://127.0.0.1:" + std::to_string(server.bound_port());
  net::http_client client;

  auto ok = client.send({"GET", base + "/ok", {}, ""});
  REQUIRE(ok);
  CHECK(ok.response->status == 200);
  CHECK(ok.response->body == R"({"a":1})");
  CHECK(ok.response->header("x-test") == "yes");

  auto dropped = client.send({"GET", base + "/drop", {}, ""});
  CHECK_FALSE(dropped);
  CHECK(dropped.error.code == net::http_client_errc::io_failed);

  auto missing = client.send({"GET", base + "/nope", {}, ""});
  REQUIRE(missing);
  CHECK(missing.response->status == 404);
  CHECK_FALSE(client.send({"GET", "ftp://x", {}, ""}));
}
