#include "net/async_http_client.hpp"

#include "net/logger.hpp"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <openssl/ssl.h>
#include <optional>
#include <spdlog/spdlog.h>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <vector>

namespace introvy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using tls_stream = beast::ssl_stream<tcp::socket>;
using steady = std::chrono::steady_clock;
using completion = async_http_client::completion;

// Response headers beyond this are refused; Beast's default is 8 KiB.
constexpr std::uint32_t max_response_header_bytes = 64 * 1024;

// A completion that throws must not take the io thread down with it.
void complete(const completion& done, http_client_result result) {
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    logger()->error("an HTTP client completion threw: {}", e.what());
  } catch (...) {
    logger()->error("an HTTP client completion threw");
  }
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The ways a server that had already closed a parked connection shows it.
bool closed_by_peer(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset ||
         ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

// One TCP connection, with TLS on top for https, to one scheme+host+port.
class connection {
public:
  connection(asio::io_context& io, ssl::context* tls, std::string key)
      : key(std::move(key))
      , idle_timer(io) {
    if (tls)
      tls_.emplace(io, *tls);
    else
      plain_.emplace(io);
  }

  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  tls_stream* tls() { return tls_ ? &*tls_ : nullptr; }

  /// Calls `f` with the stream that requests and answers go through.
  template <class F>
  void with_stream(F&& f) {
    if (tls_)
      f(*tls_);
    else
      f(*plain_);
  }

  // Without TLS close_notify: nothing more is said on a connection we drop.
  void close() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    idle_timer.cancel();
  }

  const std::string key; // "https://host:port"
  asio::steady_timer idle_timer;
  steady::time_point parked_at;
  bool parked = false;
  // Changed on every park and take, so that a watcher of an earlier
  // parking recognises itself as stale.
  std::uint64_t parking = 0;

private:
  std::optional<tcp::socket> plain_;
  std::optional<tls_stream> tls_;
};

class call;

// Everything but the public face: the io thread, the TLS context, the
// parked connections and the calls in progress. Past the constructor, only
// send(), stop() and the counters may be used off the io thread.
class engine {
public:
  explicit engine(async_http_client_options options);
  ~engine() { stop(); }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  void send(http_client_request request, completion done);
  void stop();

  std::size_t connections_opened() const { return opened_.load(); }
  std::size_t idle_connections() const { return idle_count_.load(); }

  // For calls, on the io thread.
  const async_http_client_options& options() const { return options_; }
  asio::io_context& io() { return io_; }
  std::shared_ptr<connection> open(const http_url& url, std::string key);
  void count_opened() { opened_.fetch_add(1); }
  std::shared_ptr<connection> take(const std::string& key);
  void park(std::shared_ptr<connection> c);
  void forget(const std::shared_ptr<call>& c) { calls_.erase(c); }

private:
  void load_tls();
  void run();
  void begin(http_client_request request, completion done);
  void unpark(connection& c);
  void watch(const std::shared_ptr<connection>& c);
  void drop_parked(const std::weak_ptr<connection>& weak,
                   std::uint64_t parking);
  void shut_down();

  const async_http_client_options options_;
  ssl::context tls_{ssl::context::tls_client}; // outlives every stream
  asio::io_context io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;

  std::mutex mutex_;
  bool stopped_ = false; // under mutex_: send() admits no more work
  std::once_flag stop_once_;

  // Io thread only.
  bool shutting_down_ = false;
  std::unordered_set<std::shared_ptr<call>> calls_;
  std::map<std::string, std::vector<std::shared_ptr<connection>>> idle_;

  std::atomic<std::size_t> opened_{0};
  std::atomic<std::size_t> idle_count_{0};
};

// One request from begin() to its completion: take or open a connection,
// shake hands, write, read, park the connection again. Kept alive by the
// engine's set of calls and by the handlers it is waiting on.
class call : public std::enable_shared_from_this<call> {
public:
  call(engine& owner, http_url url, std::string key,
       http::request<http::string_body> message, completion done)
      : engine_(owner)
      , url_(std::move(url))
      , key_(std::move(key))
      , message_(std::move(message))
      , done_(std::move(done))
      , resolver_(owner.io())
      , deadline_(owner.io()) {}

  void start();

  /// Completes with an error unless already completed; closes the
  /// connection it holds.
  void fail(http_client_errc code, std::string_view why);

private:
  void do_resolve();
  void on_resolve(error_code ec, const tcp::resolver::results_type& found);
  void on_connect(error_code ec);
  void do_handshake();
  void on_handshake(error_code ec);
  void do_write();
  void on_write(error_code ec);
  void do_read_header();
  void on_read_header(error_code ec);
  void do_read_body();
  void on_read_body(error_code ec);
  void fail_too_large();
  void on_answer();

  void arm(const char* step, std::chrono::milliseconds limit);
  bool may_retry() const { return reused_ && !retried_; }
  void retry(const error_code& ec);
  void finish(http_client_result result);
  std::string where() const;

  engine& engine_; // outlives the call: it joins the io thread
  const http_url url_;
  const std::string key_;
  const http::request<http::string_body> message_; // written again on retry
  completion done_;
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::shared_ptr<connection> conn_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  const char* step_ = "start";
  std::uint64_t phase_ = 0; // bumped by arm(): a stale deadline sees it
  bool reused_ = false;
  bool retried_ = false;
  bool interim_seen_ = false; // a 1xx answer arrived before the final one
  bool finished_ = false;
};

std::string call::where() const {
  return std::string{step_} + " " + url_.host + ":" + url_.port + ": ";
}

void call::start() {
  if (auto parked = engine_.take(key_)) {
    conn_ = std::move(parked);
    reused_ = true;
    return do_write();
  }
  do_resolve();
}

void call::do_resolve() {
  reused_ = false;
  arm("resolve", engine_.options().connect_timeout);
  // Each capture of `self` keeps the call alive until its handler has run.
  resolver_.async_resolve(
      url_.host, url_.port,
      [self = shared_from_this()](error_code ec,
                                  tcp::resolver::results_type found) {
        self->on_resolve(ec, found);
      });
}

void call::on_resolve(error_code ec, const tcp::resolver::results_type& found) {
  if (finished_)
    return;
  if (ec)
    return fail(http_client_errc::resolve_failed, ec.message());

  step_ = "connect";
  conn_ = engine_.open(url_, key_);
  asio::async_connect(
      conn_->socket(), found,
      [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
        self->on_connect(ec);
      });
}

void call::on_connect(error_code ec) {
  if (finished_)
    return;
  if (ec)
    return fail(http_client_errc::connect_failed, ec.message());

  engine_.count_opened();
  conn_->socket().set_option(tcp::no_delay(true), ec);
  if (!conn_->tls())
    return do_write();
  do_handshake();
}

void call::do_handshake() {
  step_ = "handshake";
  auto& stream = *conn_->tls();

  // SNI names hosts, never addresses (RFC 6066).
  if (!is_ip_literal(url_.host) &&
      !SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str()))
    return fail(http_client_errc::tls_failed, "cannot set the server name");
  if (engine_.options().verify_peer)
    stream.set_verify_callback(ssl::host_name_verification(url_.host));
  stream.async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
}

void call::on_handshake(error_code ec) {
  if (finished_)
    return;
  if (ec)
    return fail(http_client_errc::tls_failed, ec.message());
  do_write();
}

void call::do_write() {
  arm("write", engine_.options().request_timeout);
  conn_->with_stream([this](auto& stream) {
    http::async_write(stream, message_,
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->on_write(ec);
                      });
  });
}

void call::on_write(error_code ec) {
  if (finished_)
    return;
  // Nothing of an answer can have arrived before the request was written.
  if (ec && may_retry())
    return retry(ec);
  if (ec)
    return fail(http_client_errc::io_failed, ec.message());

  step_ = "read";
  buffer_.clear();
  interim_seen_ = false;
  do_read_header();
}

void call::do_read_header() {
  parser_.emplace();
  parser_->body_limit(engine_.options().max_response_bytes);
  parser_->header_limit(max_response_header_bytes);
  if (message_.method() == http::verb::head)
    parser_->skip(true); // the answer's Content-Length has no body behind it
  conn_->with_stream([this](auto& stream) {
    http::async_read_header(
        stream, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) {
          self->on_read_header(ec);
        });
  });
}

void call::on_read_header(error_code ec) {
  if (finished_)
    return;
  bool nothing_received =
      !parser_->got_some() && buffer_.size() == 0 && !interim_seen_;
  if (ec && nothing_received && closed_by_peer(ec) && may_retry())
    return retry(ec);
  if (ec == http::error::body_limit)
    return fail_too_large();
  if (ec)
    return fail(http_client_errc::io_failed, ec.message());
  // Beast 1.74's parser can skip its Content-Length limit check (when it
  // parses eagerly past the header), so the limit is checked here too.
  auto length = parser_->content_length();
  if (length && *length > engine_.options().max_response_bytes)
    return fail_too_large();

  // "100 Continue" and other interim answers precede the real one.
  auto status = parser_->get().result_int();
  if (status >= 100 && status < 200 && status != 101) {
    interim_seen_ = true;
    return do_read_header();
  }
  if (parser_->is_done())
    return on_answer();
  do_read_body();
}

void call::do_read_body() {
  conn_->with_stream([this](auto& stream) {
    http::async_read(stream, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       self->on_read_body(ec);
                     });
  });
}

// Part of the answer has arrived: no retry from here on.
void call::on_read_body(error_code ec) {
  if (finished_)
    return;
  if (ec == http::error::body_limit)
    return fail_too_large();
  if (ec)
    return fail(http_client_errc::io_failed, ec.message());
  on_answer();
}

void call::fail_too_large() {
  fail(http_client_errc::io_failed,
       "the response body exceeds " +
           std::to_string(engine_.options().max_response_bytes) + " bytes");
}

void call::on_answer() {
  // An answer that ended with the connection, or with bytes past its end
  // (the server is out of step with us), leaves nothing to reuse.
  bool reusable = parser_->keep_alive() && !parser_->need_eof() &&
                  buffer_.size() == 0 &&
                  parser_->get().result() != http::status::switching_protocols;
  auto answer = parser_->release();
  http_client_result result;
  auto& response = result.response.emplace();
  response.status = answer.result_int();
  for (const auto& field : answer)
    response.headers.emplace_back(std::string{field.name_string()},
                                  std::string{field.value()});
  response.body = std::move(answer.body());

  auto c = std::move(conn_);
  if (reusable)
    engine_.park(std::move(c));
  else
    c->close();
  finish(std::move(result));
}

void call::arm(const char* step, std::chrono::milliseconds limit) {
  step_ = step;
  auto phase = ++phase_;
  deadline_.expires_after(limit);
  deadline_.async_wait(
      [self = shared_from_this(), phase, limit](error_code ec) {
        if (ec || phase != self->phase_)
          return;
        self->fail(http_client_errc::timeout,
                   "not done within " + std::to_string(limit.count()) + " ms");
      });
}

void call::retry(const error_code& ec) {
  logger()->debug("{}a reused connection failed ({}); retrying on a new one",
                  where(), ec.message());
  conn_->close();
  conn_.reset();
  retried_ = true;
  do_resolve();
}

void call::fail(http_client_errc code, std::string_view why) {
  if (finished_)
    return;
  finish(http_client_failure(code, where() + std::string{why}));
}

void call::finish(http_client_result result) {
  if (finished_)
    return;
  finished_ = true;
  auto self = shared_from_this(); // forget() may drop the last owner

  ++phase_;
  deadline_.cancel();
  resolver_.cancel();
  if (conn_) {
    conn_->close();
    conn_.reset();
  }
  auto done = std::move(done_);
  engine_.forget(self);
  complete(done, std::move(result));
}

// "host[:port]" for the Host header: the port only when not the default.
std::string host_header(const http_url& url) {
  auto host =
      url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
  bool default_port = url.port == (url.tls ? "443" : "80");
  return default_port ? host : host + ":" + url.port;
}

http::request<http::string_body> make_message(const http_url& url,
                                              http_client_request& request,
                                              const std::string& user_agent) {
  http::request<http::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(url.target);
  message.set(http::field::host, host_header(url));
  message.set(http::field::user_agent, user_agent);
  for (const auto& [name, value] : request.headers)
    message.set(name, value);
  message.body() = std::move(request.body);
  message.prepare_payload(); // Content-Length
  return message;
}

engine::engine(async_http_client_options options)
    : options_(std::move(options))
    , work_(asio::make_work_guard(io_)) {
  load_tls();
  thread_ = std::thread([this] { run(); });
}

void engine::load_tls() {
  tls_.set_options(ssl::context::default_workarounds |
                   ssl::context::no_compression);
  if (!SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION))
    throw std::runtime_error("cannot require TLS 1.2");
  if (!options_.verify_peer) {
    tls_.set_verify_mode(ssl::verify_none);
    return;
  }
  tls_.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (options_.ca_file.empty())
    tls_.set_default_verify_paths(ec);
  else
    tls_.load_verify_file(options_.ca_file, ec);
  if (ec)
    throw std::runtime_error("cannot load CA certificates " + options_.ca_file +
                             ": " + ec.message());
}

void engine::run() {
  // Our handlers do not throw; this only keeps the thread alive if one did.
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      logger()->error("HTTP client io thread: {}", e.what());
    }
  }
}

void engine::send(http_client_request request, completion done) {
  std::unique_lock lock{mutex_};
  if (stopped_) {
    lock.unlock();
    return complete(done, http_client_failure(http_client_errc::io_failed,
                                              "client stopped"));
  }
  asio::post(io_, [this, request = std::move(request),
                   done = std::move(done)]() mutable {
    begin(std::move(request), std::move(done));
  });
}

void engine::begin(http_client_request request, completion done) {
  auto url = parse_http_url(request.url);
  if (!url)
    return complete(done, http_client_failure(http_client_errc::invalid_url,
                                              "cannot parse the URL"));
  if (shutting_down_)
    return complete(done, http_client_failure(http_client_errc::io_failed,
                                              "client stopped"));

  auto key = (url->tls ? "https://" : "http://") + url->host + ":" + url->port;
  std::optional<http::request<http::string_body>> message;
  try {
    message.emplace(make_message(*url, request, options_.user_agent));
  } catch (const std::exception&) {
    return complete(done, http_client_failure(http_client_errc::invalid_url,
                                              "cannot build the request"));
  }
  auto c = std::make_shared<call>(*this, std::move(*url), std::move(key),
                                  std::move(*message), std::move(done));
  calls_.insert(c);
  c->start();
}

std::shared_ptr<connection> engine::open(const http_url& url, std::string key) {
  return std::make_shared<connection>(io_, url.tls ? &tls_ : nullptr,
                                      std::move(key));
}

std::shared_ptr<connection> engine::take(const std::string& key) {
  auto found = idle_.find(key);
  if (found == idle_.end())
    return nullptr;

  // The most recently parked first: the least likely to have been closed.
  auto& parked = found->second;
  std::shared_ptr<connection> taken;
  while (!parked.empty() && !taken) {
    auto c = std::move(parked.back());
    parked.pop_back();
    idle_count_.fetch_sub(1);
    unpark(*c);
    if (steady::now() - c->parked_at < options_.idle_timeout)
      taken = std::move(c);
    else
      c->close();
  }
  if (parked.empty())
    idle_.erase(found);
  return taken;
}

void engine::park(std::shared_ptr<connection> c) {
  auto& parked = idle_[c->key];
  if (shutting_down_ || parked.size() >= options_.max_idle_per_host) {
    if (parked.empty())
      idle_.erase(c->key);
    return c->close();
  }
  c->parked = true;
  c->parked_at = steady::now();
  ++c->parking;
  parked.push_back(c);
  idle_count_.fetch_add(1);
  watch(c);
}

// A parked connection is dropped when it turns readable (the server closed
// it, or sent something unasked) or when it has been idle too long. Waiting
// for readability reads nothing, so TLS state is left intact.
void engine::watch(const std::shared_ptr<connection>& c) {
  std::weak_ptr<connection> weak = c;
  auto parking = c->parking;
  c->socket().async_wait(tcp::socket::wait_read,
                         [this, weak, parking](error_code ec) {
                           if (ec != asio::error::operation_aborted)
                             drop_parked(weak, parking);
                         });
  c->idle_timer.expires_after(options_.idle_timeout);
  c->idle_timer.async_wait([this, weak, parking](error_code ec) {
    if (!ec)
      drop_parked(weak, parking);
  });
}

void engine::unpark(connection& c) {
  c.parked = false;
  ++c.parking;
  c.idle_timer.cancel();
  error_code ignored;
  c.socket().cancel(ignored); // ends the readability watch
}

void engine::drop_parked(const std::weak_ptr<connection>& weak,
                         std::uint64_t parking) {
  auto c = weak.lock();
  if (!c || !c->parked || c->parking != parking)
    return;
  auto found = idle_.find(c->key);
  if (found != idle_.end()) {
    auto& parked = found->second;
    std::erase(parked, c);
    if (parked.empty())
      idle_.erase(found);
  }
  idle_count_.fetch_sub(1);
  unpark(*c);
  c->close();
}

void engine::shut_down() {
  shutting_down_ = true;

  // Failing a call removes it from calls_: walk a copy.
  std::vector<std::shared_ptr<call>> pending(calls_.begin(), calls_.end());
  for (const auto& c : pending)
    c->fail(http_client_errc::io_failed, "client stopped");
  for (auto& [key, parked] : idle_)
    for (const auto& c : parked) {
      unpark(*c);
      c->close();
    }
  idle_.clear();
  idle_count_ = 0;

  // Handlers still queued find their calls finished; a resolve still in
  // progress is not waited for.
  io_.stop();
}

void engine::stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock{mutex_};
      stopped_ = true;
    }
    asio::post(io_, [this] { shut_down(); });
    work_.reset();
    if (thread_.joinable())
      thread_.join();
  });
}

} // namespace

struct async_http_client::impl {
  explicit impl(async_http_client_options options)
      : core(std::move(options)) {}
  engine core;
};

async_http_client::async_http_client(async_http_client_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

async_http_client::~async_http_client() {
  stop();
}

void async_http_client::send(http_client_request request, completion done) {
  impl_->core.send(std::move(request), std::move(done));
}

void async_http_client::stop() {
  impl_->core.stop();
}

std::size_t async_http_client::connections_opened() const {
  return impl_->core.connections_opened();
}

std::size_t async_http_client::idle_connections() const {
  return impl_->core.idle_connections();
}

} // namespace introvy::net
