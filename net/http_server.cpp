#include "net/http_server.hpp"

#include "net/batch_queue.hpp"
#include "net/logger.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <iterator>
#include <mutex>
#include <optional>
#include <spdlog/spdlog.h>
#include <thread>
#include <unordered_map>
#include <vector>

namespace introvy::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
// Each io thread runs an io_context of its own, and a connection lives on
// one of them: its handlers never run concurrently, with no strand to pass
// through (a strand cost every handler a lock and a hop, about 2.7k of
// 46.7k instructions per webhook). Naming the executor's type, instead of
// the type-erased any_io_executor of beast::tcp_stream, spares every read
// and write a copy through the erasure.
using connection_executor = asio::io_context::executor_type;
using connection_socket = asio::basic_stream_socket<tcp, connection_executor>;
using tcp_stream = beast::basic_stream<tcp, connection_executor>;
using plain_stream = tcp_stream;
using tls_stream = beast::ssl_stream<tcp_stream>;

std::string_view to_std(beast::string_view s) {
  return {s.data(), s.size()};
}

// How long a response may take to leave before the connection is dropped.
constexpr std::chrono::seconds write_timeout{10};
// How long, and how much, a refused client may keep sending before we close.
constexpr std::chrono::seconds linger_timeout{2};
constexpr std::size_t linger_max_bytes = 1 << 20;

using clock = std::chrono::steady_clock;

// A connection as the answer queue and the deadline watch see it.
class open_connection {
public:
  virtual ~open_connection() = default;
  /// Writes the answer; called on an io thread, hops onto the
  /// connection's.
  virtual void deliver(http_response&& response) = 0;
  /// Closes the connection if its deadline has passed; any thread.
  virtual void expire() = 0;

  /// When the connection's current step must be done (clock ticks);
  /// written on its thread, read by the watch.
  std::atomic<clock::rep> deadline{never};
  static constexpr clock::rep never = clock::duration::max().count();
};

// Every connection's deadline, checked by one periodic sweep rather than a
// timer per connection: Beast's per-stream timer cost every request two
// cancellations, two re-arms and two cancelled handlers to run. A deadline
// is noticed at most one period late.
class deadline_watch {
public:
  deadline_watch(asio::io_context& io, clock::duration period)
      : timer_(io)
      , period_(period) {}

  void add(const std::shared_ptr<open_connection>& connection) {
    std::lock_guard lock{mutex_};
    connections_.emplace(connection.get(), connection);
  }

  /// From the connection's destructor: the sweep reads no further.
  void remove(open_connection* connection) {
    std::lock_guard lock{mutex_};
    connections_.erase(connection);
  }

  void start() { schedule(); }

private:
  void schedule() {
    timer_.expires_after(period_);
    timer_.async_wait([this](beast::error_code ec) {
      if (ec)
        return;
      sweep();
      schedule();
    });
  }

  void sweep() {
    auto now = clock::now().time_since_epoch().count();
    std::vector<std::shared_ptr<open_connection>> due;
    {
      std::lock_guard lock{mutex_};
      for (auto& [raw, weak] : connections_)
        if (raw->deadline.load(std::memory_order_relaxed) <= now)
          if (auto connection = weak.lock())
            due.push_back(std::move(connection));
    }
    // Outside the lock: releasing the last reference runs a destructor,
    // which removes its connection.
    for (auto& connection : due)
      connection->expire();
  }

  asio::steady_timer timer_;
  clock::duration period_;
  std::mutex mutex_;
  std::unordered_map<open_connection*, std::weak_ptr<open_connection>>
      connections_; // guarded by mutex_
};

// A tenth of the shortest timeout, between 5 and 250 ms.
clock::duration sweep_period(const http_server_options& options,
                             std::chrono::milliseconds fixed_shortest) {
  auto shortest = std::min({options.header_timeout, options.body_timeout,
                            options.keep_alive_timeout,
                            options.handshake_timeout, fixed_shortest});
  return std::clamp<clock::duration>(shortest / 10,
                                     std::chrono::milliseconds{5},
                                     std::chrono::milliseconds{250});
}

// Answers given on other threads (the ingress answers a whole batch at
// once) wait here, and one task on the io_context writes all that arrived
// before it ran: one hand-over between threads per batch, not per answer.
class answer_queue {
public:
  explicit answer_queue(asio::io_context& io)
      : io_(io) {}

  void push(std::shared_ptr<open_connection> target, http_response&& response) {
    if (waiting_.push({std::move(target), std::move(response)}))
      asio::post(io_, [this] { deliver_all(); });
  }

  /// Drops answers nobody will write (the server has stopped), and with
  /// them the sessions they hold, while their io_context still exists.
  void clear() { waiting_.take_all(); }

private:
  void deliver_all() {
    for (auto& [target, response] : waiting_.take_all())
      target->deliver(std::move(response));
  }

  asio::io_context& io_;
  batch_queue<std::pair<std::shared_ptr<open_connection>, http_response>>
      waiting_;
};

struct shared_state {
  http_server_options options;
  router routes;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false}; // no new requests on open connections
  std::optional<ssl::context> tls;   // set when serving HTTPS
  std::unique_ptr<answer_queue> answers;
  std::unique_ptr<deadline_watch> deadlines;
};

// Loads the certificate chain and key; throws naming the file that failed.
void load_tls(ssl::context& context, const http_server_options& options) {
  context.set_options(ssl::context::default_workarounds |
                      ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  context.use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS certificate " +
                             options.tls_cert_file + ": " + ec.message());
  context.use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("cannot load TLS key " + options.tls_key_file +
                             ": " + ec.message());
}

// A request the parser could not make sense of (as opposed to a client that
// went away or a timeout).
bool is_malformed(const beast::error_code& ec) {
  static const auto& category =
      http::make_error_code(http::error::bad_method).category();
  return ec && &ec.category() == &category &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

// The TCP stream under either kind of connection, where timeouts live.
tcp_stream& tcp_layer(plain_stream& stream) {
  return stream;
}
tcp_stream& tcp_layer(tls_stream& stream) {
  return stream.next_layer();
}

// Reads a request straight into the form handlers see. Beast's
// request_parser keeps every field in a basic_fields (an allocation and a
// tree insert each), which then had to be copied out again.
class request_reader final : public http::basic_parser<true> {
public:
  request_reader() { request_.headers.reserve(8); }

  /// The request read so far; taken once the body is complete.
  http_request& request() { return request_; }
  /// 10 for HTTP/1.0, 11 for HTTP/1.1.
  int http_version() const { return version_; }

private:
  void on_request_impl(http::verb, beast::string_view method,
                       beast::string_view target, int version,
                       beast::error_code&) override {
    version_ = version;
    request_.method = to_std(method);
    request_.target = to_std(target);
    request_.path = request_.target.substr(0, request_.target.find('?'));
  }
  void on_response_impl(int, beast::string_view, int,
                        beast::error_code&) override {}
  void on_field_impl(http::field, beast::string_view name,
                     beast::string_view value, beast::error_code&) override {
    request_.headers.emplace_back(to_std(name), to_std(value));
  }
  void on_header_impl(beast::error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code&) override {
    // The base refuses a length over the body limit before this.
    if (length)
      request_.body.reserve(static_cast<std::size_t>(*length));
  }
  std::size_t on_body_impl(beast::string_view body,
                           beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view,
                            beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code&) override {
    request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  http_request request_;
  int version_ = 11;
};

// A response's bytes, written by hand rather than through Beast's
// serializer (which allocates a node per header and a buffer sequence per
// write): the status line, Server, Content-Type, the handler's headers,
// Content-Length and, when the connection closes after it,
// "Connection: close", then the body. A handler's header replaces one of
// ours of the same name, and the last of several of the same name wins, as
// with Beast's fields::set.
// `keep`: the connection stays open after it; an HTTP/1.0 client
// (`old_client`) assumes the opposite unless told.
void serialize(const http_response& response, bool keep, bool old_client,
               std::string& out) {
  auto overridden = [&](std::string_view name, std::size_t from) {
    for (std::size_t i = from; i < response.headers.size(); ++i)
      if (iequals(response.headers[i].first, name))
        return true;
    return false;
  };
  auto status = http::int_to_status(response.status);
  auto reason = http::obsolete_reason(status);
  // 1xx, 204 and 304 carry no body, hence no Content-Length.
  bool bodyless = response.status / 100 == 1 || response.status == 204 ||
                  response.status == 304;

  out.clear();
  out.append("HTTP/1.1 ");
  out.append(std::to_string(response.status));
  out.push_back(' ');
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  auto field = [&](std::string_view name, std::string_view value) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  };
  if (!overridden("Server", 0))
    field("Server", "introvy");
  if (!overridden("Content-Type", 0))
    field("Content-Type", response.content_type);
  for (std::size_t i = 0; i < response.headers.size(); ++i) {
    const auto& [name, value] = response.headers[i];
    if (overridden(name, i + 1) || iequals(name, "Content-Length") ||
        iequals(name, "Connection"))
      continue;
    field(name, value);
  }
  if (!bodyless)
    field("Content-Length", std::to_string(response.body.size()));
  if (!keep)
    field("Connection", "close");
  else if (old_client)
    field("Connection", "keep-alive");
  out.append("\r\n");
  if (!bodyless)
    out.append(response.body);
}

// One connection: read a header, decide, read the body, hand over, write
// the answer, and loop while the client keeps the connection alive. Stream
// is plain_stream or tls_stream; a TLS session shakes hands first.
template <class Stream>
class session : public open_connection,
                public std::enable_shared_from_this<session<Stream>> {
public:
  session(connection_socket&& socket, std::shared_ptr<shared_state> state)
      : peer_address_(peer_of(socket).address().to_string())
      , stream_(make_stream(std::move(socket), *state))
      , state_(std::move(state)) {
    // Beast reads at most what the buffer has room for (512 bytes when
    // empty): with room for a whole webhook, one read takes a request.
    buffer_.reserve(read_room);
  }

  ~session() override { state_->deadlines->remove(this); }

  void expire() override {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      // Checked again on its thread: the connection may have moved on.
      if (self->deadline.load() <= clock::now().time_since_epoch().count())
        self->close();
    });
  }

  void run() {
    state_->deadlines->add(shared_from_this());
    // Start on the connection's thread: every handler of it runs there.
    asio::dispatch(stream_.get_executor(),
                   [self = this->shared_from_this()] { self->do_start(); });
  }

private:
  using std::enable_shared_from_this<session<Stream>>::shared_from_this;

  static Stream make_stream(connection_socket&& socket, shared_state& state) {
    if constexpr (std::is_same_v<Stream, tls_stream>)
      return Stream{std::move(socket), *state.tls};
    else
      return Stream{std::move(socket)};
  }

  tcp_stream& lowest() { return tcp_layer(stream_); }

  // The current step (handshake, header, body, write, linger) must end
  // within `limit`, or the watch closes the connection; disarm() while a
  // handler decides.
  void arm(clock::duration limit) {
    deadline.store((clock::now() + limit).time_since_epoch().count());
  }
  void disarm() { deadline.store(never); }

  void do_start() {
    if constexpr (std::is_same_v<Stream, tls_stream>) {
      arm(state_->options.handshake_timeout);
      // The capture keeps the session alive until the handshake completes.
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = shared_from_this()](beast::error_code ec) {
            if (ec)
              return self->close();
            self->do_read_header();
          });
    } else {
      do_read_header();
    }
  }

  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(state_->options.max_body_bytes);
    parser_->header_limit(16 * 1024);
    arm(first_request_ ? state_->options.header_timeout
                       : state_->options.keep_alive_timeout);
    // The capture keeps the session alive until the read completes.
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read_header(ec);
        });
  }

  void on_read_header(beast::error_code ec) {
    first_request_ = false;
    // A deadline closes the socket (see deadline_watch), which ends the
    // read with an error: a slow client is simply disconnected.
    // The parser itself refuses a declared Content-Length over the limit.
    if (ec == http::error::body_limit)
      return refuse(too_large());
    if (is_malformed(ec))
      return refuse(json_error(400, "bad_request", "malformed HTTP request"));
    if (ec)
      return close();

    const auto& request = parser_->request();
    remote_keep_alive_ = parser_->keep_alive();
    remote_http_1_0_ = parser_->http_version() < 11;
    auto match = state_->routes.find(request.method, request.path);
    if (!match.handler)
      return refuse(std::move(*match.refusal));
    handler_ = match.handler;

    auto length = parser_->content_length();
    if (length && *length > state_->options.max_body_bytes)
      return refuse(too_large());
    if (iequals(request.header("Expect"), "100-continue"))
      return do_continue();
    do_read_body();
  }

  // A client that asked before sending its body is told to go on.
  void do_continue() {
    auto message = std::make_shared<http::response<http::empty_body>>(
        http::status::continue_, 11);
    arm(write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec,
                                                           std::size_t) {
                        if (ec)
                          return self->close();
                        self->do_read_body();
                      });
  }

  void do_read_body() {
    // A small body usually arrived with its header: parse it straight from
    // the buffer instead of another read operation (which, finding the data
    // already there, completes through a post to the io_context).
    if (buffer_.size() > 0) {
      parser_->eager(true);
      beast::error_code ec;
      buffer_.consume(parser_->put(buffer_.data(), ec));
      if (parser_->is_done() || (ec && ec != http::error::need_more))
        return on_read_body(ec);
    }
    arm(state_->options.body_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read_body(ec);
        });
  }

  void on_read_body(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return refuse(too_large());
    if (ec)
      return close();

    // Counted before the stop flag is read, and the server sets the flag
    // before it reads the count: either the drain waits for this request,
    // or this request sees the flag and is refused before a handler keeps
    // anything (seq_cst on both sides).
    state_->in_flight.fetch_add(1);
    if (state_->stopping) {
      state_->in_flight.fetch_sub(1);
      return refuse(shutting_down());
    }
    disarm();
    auto request = std::move(parser_->request());
    request.remote_address = peer_address_;
    request.received_at = std::chrono::steady_clock::now();
    (*handler_)(std::move(request), make_responder());
  }

  responder make_responder() {
    // The responder may run on any thread; the queue brings the answer
    // back to an io thread. The captured pointer keeps the session alive
    // until the answer is sent.
    return [self = shared_from_this()](http_response response) {
      self->state_->answers->push(self, std::move(response));
    };
  }

  void deliver(http_response&& response) override {
    asio::dispatch(
        stream_.get_executor(),
        [self = shared_from_this(), response = std::move(response)]() mutable {
          if (response.drop_connection) {
            self->state_->in_flight.fetch_sub(1);
            return self->close();
          }
          // Still owed until written: shutdown waits for it.
          self->answer_owed_ = true;
          self->do_write(std::move(response), false);
        });
  }

  http_response too_large() const {
    if (state_->options.on_too_large)
      state_->options.on_too_large();
    return json_error(413, "payload_too_large",
                      "the body exceeds " +
                          std::to_string(state_->options.max_body_bytes) +
                          " bytes");
  }

  // A request read after shutdown began is not handled: nothing is kept,
  // and the client (Avionté retries non-2xx answers) sends it again later.
  http_response shutting_down() const {
    return json_error(503, "shutting_down",
                      "the service is stopping; send the request again");
  }

  void refuse(http_response response) { do_write(std::move(response), true); }

  void do_write(http_response response, bool close_after) {
    bool keep = !close_after && remote_keep_alive_ && !state_->stopping;
    serialize(response, keep, remote_http_1_0_, out_);

    arm(write_timeout);
    // The capture keeps the session, and so out_, alive until the write
    // completes.
    asio::async_write(
        stream_, asio::buffer(out_),
        [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
          self->on_write(ec, keep);
        });
  }

  void on_write(beast::error_code ec, bool keep) {
    // The stop flag is read before the answer stops counting: once the
    // count shows this answer written, the connection's fate is decided,
    // and a stop that comes later finds it reading (its next request gets
    // the 503 above) rather than racing this close.
    bool stop = ec || state_->stopping;
    if (answer_owed_) {
      answer_owed_ = false;
      state_->in_flight.fetch_sub(1);
    }
    if (stop)
      return close();
    if (!keep)
      return linger();
    do_read_header();
  }

  // A refused client may still be sending its body; closing with unread
  // bytes makes the kernel reset the connection, and the client may never
  // see our answer. So half-close, then read and discard for a short while.
  void linger() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    arm(linger_timeout);
    do_discard();
  }

  void do_discard() {
    stream_.async_read_some(
        asio::buffer(discard_),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->discarded_ += n;
          if (ec || self->discarded_ > linger_max_bytes)
            return self->close();
          self->do_discard();
        });
  }

  // A TLS connection is closed without close_notify: the peer sees the
  // same end of stream as with plain HTTP.
  void close() {
    disarm();
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    lowest().close();
  }

  // Read once: the peer of a connection does not change.
  static tcp::endpoint peer_of(const connection_socket& socket) {
    beast::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    return ec ? tcp::endpoint{} : endpoint;
  }

  static constexpr std::size_t read_room = 8 * 1024;

  std::string peer_address_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<shared_state> state_;
  std::optional<request_reader> parser_;
  const request_handler* handler_ = nullptr;
  std::string out_; // the response being written; reused
  std::array<char, 4096> discard_{};
  std::size_t discarded_ = 0;
  bool first_request_ = true;
  bool answer_owed_ = false; // a handler's answer is being written
  bool remote_keep_alive_ = true;
  bool remote_http_1_0_ = false;
};

} // namespace

struct http_server::impl {
  explicit impl(unsigned io_threads)
      : contexts(make_contexts(std::max(1u, io_threads))) {}

  static std::vector<std::unique_ptr<asio::io_context>>
  make_contexts(unsigned count) {
    // A hint of 1: each context is run by one thread (others only post).
    std::vector<std::unique_ptr<asio::io_context>> made;
    for (unsigned i = 0; i < count; ++i)
      made.push_back(std::make_unique<asio::io_context>(1));
    return made;
  }

  /// Accepts, times the connections and writes the ingress's answers.
  asio::io_context& main() { return *contexts.front(); }

  std::vector<std::unique_ptr<asio::io_context>> contexts; // before acceptor
  tcp::acceptor acceptor{main()};
  std::size_t next_context = 0; // the io_context of the next connection
  std::uint16_t port = 0; // as bound: still known once the acceptor closes
  std::shared_ptr<shared_state> state;
  std::vector<std::thread> threads;
  std::once_flag stopped;
  // Keep the threads running while every connection waits on a handler
  // (nothing pending in Asio) until stop() is called.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;

  void do_accept() {
    // Connections are dealt round the io threads in turn.
    auto& context = *contexts[next_context++ % contexts.size()];
    acceptor.async_accept(context.get_executor(), [this](beast::error_code ec,
                                                         connection_socket s) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open())
        return;
      if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        if (state->tls)
          std::make_shared<session<tls_stream>>(std::move(s), state)->run();
        else
          std::make_shared<session<plain_stream>>(std::move(s), state)->run();
      } else {
        logger()->warn("accept failed: {}", ec.message());
      }
      do_accept();
    });
  }
};

http_server::http_server(http_server_options options, router routes)
    : impl_(std::make_unique<impl>(options.io_threads)) {
  impl_->state = std::make_shared<shared_state>();
  impl_->state->answers = std::make_unique<answer_queue>(impl_->main());
  impl_->state->deadlines = std::make_unique<deadline_watch>(
      impl_->main(), sweep_period(options, linger_timeout));
  impl_->state->options = options;
  impl_->state->routes = std::move(routes);
  if (options.tls_cert_file.empty() != options.tls_key_file.empty())
    throw std::runtime_error("TLS needs both a certificate and a key");
  if (!options.tls_cert_file.empty()) {
    impl_->state->tls.emplace(ssl::context::tls_server);
    load_tls(*impl_->state->tls, options);
  }

  beast::error_code ec;
  auto address = asio::ip::make_address(options.host, ec);
  if (ec)
    throw std::runtime_error("invalid listen address " + options.host);
  tcp::endpoint endpoint{address, options.port};
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor.bind(endpoint, ec);
  if (!ec)
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + options.host + ":" +
                             std::to_string(options.port) + ": " +
                             ec.message());
  impl_->port = acceptor.local_endpoint().port();
}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  for (auto& context : impl_->contexts)
    impl_->work.push_back(asio::make_work_guard(*context));
  impl_->state->deadlines->start();
  impl_->do_accept();
  for (auto& context : impl_->contexts)
    impl_->threads.emplace_back([&io = *context] { io.run(); });
}

std::uint16_t http_server::bound_port() const {
  return impl_->port;
}

void http_server::stop_accepting() {
  impl_->state->stopping = true;
  asio::post(impl_->main(), [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
}

std::size_t http_server::in_flight() const {
  return impl_->state->in_flight.load();
}

void http_server::post(std::function<void()> task) {
  asio::post(impl_->main(), std::move(task));
}

void http_server::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->work.clear();
    for (auto& context : impl_->contexts)
      context->stop();
    for (auto& t : impl_->threads)
      if (t.joinable())
        t.join();
    impl_->state->answers->clear();
  });
}

} // namespace introvy::net
