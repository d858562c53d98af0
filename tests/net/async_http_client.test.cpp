#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "net/async_http_client.hpp"
#include "net/http_server.hpp"

using namespace introvy;
using namespace std::chrono_literals;
using net::http_client_errc;

namespace {

// How long a test waits for anything before it fails.
constexpr auto patience = 10s;

// A loopback server with a few routes. "/hold" keeps its answers back until
// release() (or the end of the test).
struct test_server {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<net::responder> held;
  std::set<std::thread::id> hold_threads; // where /hold's handler ran
  std::atomic<int> flaky_calls{0};
  std::atomic<int> big_calls{0};
  std::atomic<int> echo_calls{0};
  std::unique_ptr<net::http_server> server;

  explicit test_server(net::http_server_options options = {}) {
    net::router routes;
    routes.add("GET", "/hello", [](net::http_request&&, net::responder r) {
      r(net::json_ok(R"({"hello":1})"));
    });
    // Answers with the body and the headers it was given.
    routes.add("POST", "/echo",
               [this](net::http_request&& q, net::responder r) {
                 echo_calls.fetch_add(1);
                 auto answer = net::json_ok(q.body, 201);
                 answer.headers = {
                     {"X-Seen-Host", std::string{q.header("Host")}},
                     {"X-Seen-Length", std::string{q.header("Content-Length")}},
                     {"X-Seen-Agent", std::string{q.header("User-Agent")}}};
                 r(answer);
               });
    routes.add("GET", "/hold", [this](net::http_request&&, net::responder r) {
      std::lock_guard lock{mutex};
      held.push_back(std::move(r));
      hold_threads.insert(std::this_thread::get_id());
      changed.notify_all();
    });
    // Answers the first call, then closes without answering.
    routes.add("GET", "/flaky", [this](net::http_request&&, net::responder r) {
      net::http_response answer = net::json_ok("{}");
      answer.drop_connection = flaky_calls.fetch_add(1) > 0;
      r(answer);
    });
    routes.add("GET", "/big", [this](net::http_request&&, net::responder r) {
      big_calls.fetch_add(1);
      r(net::json_ok("\"" + std::string(4096, 's') + "ecret\""));
    });
    server = std::make_unique<net::http_server>(options, std::move(routes));
    server->start();
  }

  ~test_server() {
    // Held answers own their sessions: drop them while the server's
    // io_context still exists.
    server->stop();
    std::lock_guard lock{mutex};
    held.clear();
  }

  std::string url(const std::string& path,
                  const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(server->bound_port()) +
           path;
  }

  /// Waits until `count` answers are held.
  bool wait_held(std::size_t count) {
    std::unique_lock lock{mutex};
    return changed.wait_for(lock, patience,
                            [&] { return held.size() >= count; });
  }

  void release() {
    std::lock_guard lock{mutex};
    for (auto& respond : held)
      respond(net::json_ok(R"({"released":true})"));
    held.clear();
  }
};

// A request's result, to wait for from the test's thread.
struct pending {
  std::shared_ptr<std::promise<net::http_client_result>> promise =
      std::make_shared<std::promise<net::http_client_result>>();
  std::future<net::http_client_result> future = promise->get_future();

  net::async_http_client::completion completion() const {
    return [p = promise](net::http_client_result r) {
      p->set_value(std::move(r));
    };
  }

  net::http_client_result get() {
    REQUIRE(future.wait_for(patience) == std::future_status::ready);
    return future.get();
  }
};

pending start(net::async_http_client& client, std::string url,
              std::string method = "GET", std::string body = "") {
  pending p;
  client.send({std::move(method), std::move(url), {}, std::move(body)},
              p.completion());
  return p;
}

net::http_client_result fetch(net::async_http_client& client, std::string url,
                              std::string method = "GET",
                              std::string body = "") {
  return start(client, std::move(url), std::move(method), std::move(body))
      .get();
}

/// Polls `predicate` until true or the deadline.
template <class Predicate>
bool eventually(Predicate predicate) {
  auto deadline = std::chrono::steady_clock::now() + patience;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// A throwaway self-signed certificate for 127.0.0.1 (and only that), made
// with the openssl command.
struct certificate {
  std::filesystem::path folder;
  std::string cert;
  std::string key;

  certificate() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "async-http-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      throw std::runtime_error("cannot make a temporary folder");
    folder = pattern;
    cert = (folder / "cert.pem").string();
    key = (folder / "key.pem").string();
    auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1"
                   " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
                   " -keyout " +
                   key + " -out " + cert + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0)
      throw std::runtime_error("openssl could not make a certificate");
  }

  ~certificate() {
    std::error_code ignored;
    std::filesystem::remove_all(folder, ignored);
  }

  net::http_server_options server_options() const {
    net::http_server_options options;
    options.tls_cert_file = cert;
    options.tls_key_file = key;
    return options;
  }
};

} // namespace

TEST_CASE("a GET and a POST with a body get their answers") {
  test_server server;
  net::async_http_client client;

  auto got = fetch(client, server.url("/hello"));
  REQUIRE(got);
  CHECK(got.response->status == 200);
  CHECK(got.response->body == R"({"hello":1})");
  CHECK(got.response->header("content-type") == "application/json");

  auto posted = fetch(client, server.url("/echo"), "POST", R"({"a":"b"})");
  REQUIRE(posted);
  CHECK(posted.response->status == 201);
  CHECK(posted.response->body == R"({"a":"b"})");
  CHECK(posted.response->header("X-Seen-Length") == "9");
  CHECK(posted.response->header("X-Seen-Host") ==
        "127.0.0.1:" + std::to_string(server.server->bound_port()));
  CHECK(posted.response->header("X-Seen-Agent") == "introvy");
}

TEST_CASE("completions run on the client's io thread") {
  test_server server;
  net::async_http_client client;
  std::promise<std::thread::id> where;
  client.send({"GET", server.url("/hello"), {}, ""},
              [&where](net::http_client_result) {
                where.set_value(std::this_thread::get_id());
              });
  auto future = where.get_future();
  REQUIRE(future.wait_for(patience) == std::future_status::ready);
  CHECK(future.get() != std::this_thread::get_id());
}

TEST_CASE("two requests in a row to one host share one connection") {
  test_server server;
  net::async_http_client client;
  REQUIRE(fetch(client, server.url("/hello")));
  CHECK(client.idle_connections() == 1);
  REQUIRE(fetch(client, server.url("/echo"), "POST", "x"));
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a request read on a kept-alive connection after stop_accepting "
          "gets 503 and reaches no handler") {
  test_server server;
  net::async_http_client client;
  REQUIRE(fetch(client, server.url("/echo"), "POST", "first"));
  REQUIRE(client.idle_connections() == 1);
  // The client may see the answer before the server has finished writing
  // it; a stop before that would close the connection instead.
  REQUIRE(eventually([&] { return server.server->in_flight() == 0; }));

  server.server->stop_accepting();
  auto refused = fetch(client, server.url("/echo"), "POST", "second");
  REQUIRE(refused);
  CHECK(refused.response->status == 503);
  CHECK(refused.response->body.find("shutting_down") != std::string::npos);
  CHECK(client.connections_opened() == 1);
  CHECK(server.echo_calls == 1);
  CHECK(server.server->in_flight() == 0);
}

TEST_CASE("requests at once each get their own connection, and connections "
          "beyond max_idle_per_host are closed afterwards") {
  test_server server;
  net::async_http_client_options options;
  options.max_idle_per_host = 2;
  net::async_http_client client{options};

  std::vector<pending> calls;
  for (int i = 0; i < 3; ++i)
    calls.push_back(start(client, server.url("/hold")));
  REQUIRE(server.wait_held(3));
  server.release();
  for (auto& call : calls) {
    auto result = call.get();
    REQUIRE(result);
    CHECK(result.response->body == R"({"released":true})");
  }
  CHECK(client.connections_opened() == 3);
  CHECK(client.idle_connections() == 2);
}

TEST_CASE("with several io threads, connections are spread over them and "
          "answers given on another thread reach each one") {
  net::http_server_options options;
  options.io_threads = 3;
  test_server server{options};
  net::async_http_client_options client_options;
  client_options.max_idle_per_host = 12;
  net::async_http_client client{client_options};

  std::vector<pending> calls;
  for (int i = 0; i < 12; ++i)
    calls.push_back(start(client, server.url("/hold")));
  REQUIRE(server.wait_held(12));
  CHECK(client.connections_opened() == 12);
  {
    std::lock_guard lock{server.mutex};
    CHECK(server.hold_threads.size() == 3);
  }
  // The test's thread answers, as the ingress does from its own.
  server.release();
  for (auto& call : calls) {
    auto result = call.get();
    REQUIRE(result);
    CHECK(result.response->body == R"({"released":true})");
  }
  // Kept alive: a second round on the same connections works as well.
  for (int i = 0; i < 12; ++i)
    REQUIRE(fetch(client, server.url("/hello")));
  CHECK(client.connections_opened() == 12);
}

TEST_CASE("a connection the server closed while parked does not fail the "
          "next request") {
  net::http_server_options options;
  options.keep_alive_timeout = 100ms;
  test_server server{options};
  net::async_http_client client;

  REQUIRE(fetch(client, server.url("/hello")));
  REQUIRE(eventually([&] { return client.idle_connections() == 0; }));
  auto again = fetch(client, server.url("/hello"));
  REQUIRE(again);
  CHECK(again.response->status == 200);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("a handler slower than every server timeout still answers, and "
          "the idle connection is closed afterwards") {
  net::http_server_options options;
  options.header_timeout = 100ms;
  options.body_timeout = 100ms;
  options.keep_alive_timeout = 100ms;
  test_server server{options};
  net::async_http_client client;

  auto call = start(client, server.url("/hold"));
  REQUIRE(server.wait_held(1));
  // Meanwhile another connection is answered and then closed by its
  // keep-alive deadline: sweeps have run past the held request's timeouts
  // too, and it is still open because a deciding handler has none.
  net::async_http_client other;
  REQUIRE(fetch(other, server.url("/hello")));
  REQUIRE(eventually([&] { return other.idle_connections() == 0; }));
  server.release();
  auto result = call.get();
  REQUIRE(result);
  CHECK(result.response->body == R"({"released":true})");
  // Then the keep-alive deadline closes the parked connection.
  REQUIRE(eventually([&] { return client.idle_connections() == 0; }));
}

TEST_CASE("a reused connection that closes before any byte of the answer is "
          "retried once on a new connection") {
  test_server server;
  net::async_http_client client;
  REQUIRE(fetch(client, server.url("/flaky")));
  REQUIRE(client.idle_connections() == 1);

  // The parked connection and then the new one are both dropped.
  auto dropped = fetch(client, server.url("/flaky"));
  REQUIRE_FALSE(dropped);
  CHECK(dropped.error.code == http_client_errc::io_failed);
  CHECK(server.flaky_calls == 3);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("an answer over the body limit is an error that names the limit, "
          "not the body, and is not retried") {
  test_server server;
  net::async_http_client_options options;
  options.max_response_bytes = 1024;
  net::async_http_client client{options};
  REQUIRE(fetch(client, server.url("/hello"))); // parks a connection

  auto big = fetch(client, server.url("/big"));
  REQUIRE_FALSE(big);
  CHECK(big.error.code == http_client_errc::io_failed);
  CHECK(big.error.message.find("1024") != std::string::npos);
  CHECK(big.error.message.find("secret") == std::string::npos);
  CHECK(server.big_calls == 1);
}

TEST_CASE("a parked connection idle for longer than idle_timeout is closed") {
  test_server server;
  net::async_http_client_options options;
  options.idle_timeout = 100ms;
  net::async_http_client client{options};

  REQUIRE(fetch(client, server.url("/hello")));
  REQUIRE(eventually([&] { return client.idle_connections() == 0; }));
  REQUIRE(fetch(client, server.url("/hello")));
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("a handler that never answers gives timeout within the deadline") {
  test_server server;
  net::async_http_client_options options;
  options.request_timeout = 300ms;
  net::async_http_client client{options};

  auto began = std::chrono::steady_clock::now();
  auto result = fetch(client, server.url("/hold"));
  auto took = std::chrono::steady_clock::now() - began;
  REQUIRE_FALSE(result);
  CHECK(result.error.code == http_client_errc::timeout);
  CHECK(took >= 250ms);
  CHECK(took < 5s);
  CHECK(client.idle_connections() == 0);
}

TEST_CASE("a refused port gives connect_failed") {
  std::string url;
  {
    test_server gone;
    url = gone.url("/hello");
  }
  net::async_http_client client;
  auto result = fetch(client, url);
  REQUIRE_FALSE(result);
  CHECK(result.error.code == http_client_errc::connect_failed);
  CHECK(result.error.code_name() == "connect_failed");
}

TEST_CASE("a URL that is not http or https gives invalid_url") {
  net::async_http_client client;
  auto result = fetch(client, "ftp://127.0.0.1/x");
  REQUIRE_FALSE(result);
  CHECK(result.error.code == http_client_errc::invalid_url);
}

TEST_CASE("HTTPS to a server whose certificate is the ca_file succeeds and "
          "reuses its connection") {
  certificate tls;
  test_server server{tls.server_options()};
  net::async_http_client_options options;
  options.ca_file = tls.cert;
  net::async_http_client client{options};

  auto got = fetch(client, server.url("/hello", "https"));
  REQUIRE(got);
  CHECK(got.response->body == R"({"hello":1})");
  auto posted = fetch(client, server.url("/echo", "https"), "POST", "hi");
  REQUIRE(posted);
  CHECK(posted.response->body == "hi");
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("HTTPS gives tls_failed for a certificate no CA vouches for or "
          "one that does not name the host") {
  certificate tls;
  test_server server{tls.server_options()};

  SECTION("the system's CAs do not know a self-signed certificate") {
    net::async_http_client client;
    auto result = fetch(client, server.url("/hello", "https"));
    REQUIRE_FALSE(result);
    CHECK(result.error.code == http_client_errc::tls_failed);
  }
  SECTION("a certificate for 127.0.0.1 is not one for localhost") {
    net::async_http_client_options options;
    options.ca_file = tls.cert;
    net::async_http_client client{options};
    auto url =
        "https://localhost:" + std::to_string(server.server->bound_port()) +
        "/hello";
    auto result = fetch(client, url);
    REQUIRE_FALSE(result);
    CHECK(result.error.code == http_client_errc::tls_failed);
  }
}

TEST_CASE("a ca_file that cannot be loaded makes the constructor throw") {
  net::async_http_client_options options;
  options.ca_file = "/nonexistent/ca.pem";
  CHECK_THROWS_AS(net::async_http_client{options}, std::runtime_error);
}

TEST_CASE("stop completes pending requests with an error, and later sends "
          "fail at once") {
  test_server server;
  net::async_http_client client;
  auto first = start(client, server.url("/hold"));
  auto second = start(client, server.url("/hold"));
  REQUIRE(server.wait_held(2));

  client.stop();
  for (auto* call : {&first, &second}) {
    auto result = call->get();
    REQUIRE_FALSE(result);
    CHECK(result.error.code == http_client_errc::io_failed);
    CHECK(result.error.message.find("client stopped") != std::string::npos);
  }
  CHECK(client.idle_connections() == 0);

  auto late = start(client, server.url("/hello"));
  REQUIRE(late.future.wait_for(0s) == std::future_status::ready);
  CHECK_FALSE(late.get());
  client.stop(); // again: nothing happens
}

TEST_CASE("a URL is split into scheme, host, port and target") {
  auto plain = net::parse_http_url("http://example.com");
  REQUIRE(plain);
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "example.com");
  CHECK(plain->port == "80");
  CHECK(plain->target == "/");

  auto tls = net::parse_http_url("https://api.avionte.com/front-office/v1/"
                                 "talent?id=7#top");
  REQUIRE(tls);
  CHECK(tls->tls);
  CHECK(tls->port == "443");
  CHECK(tls->target == "/front-office/v1/talent?id=7");

  auto query = net::parse_http_url("http://127.0.0.1:8080?x=1");
  REQUIRE(query);
  CHECK(query->port == "8080");
  CHECK(query->target == "/?x=1");

  auto v6 = net::parse_http_url("https://[::1]:8443/x");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "8443");

  CHECK_FALSE(net::parse_http_url("ftp://example.com/"));
  CHECK_FALSE(net::parse_http_url("http://:80/"));
  CHECK_FALSE(net::parse_http_url("http://host:port/"));
  CHECK_FALSE(net::parse_http_url("http://user@host/"));
}
