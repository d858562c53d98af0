// The HTTP/1.1 server: accepts on one address, reads each request with a
// header and a body deadline, refuses unknown routes and oversized bodies
// before reading them, and hands complete requests to the router's handlers.
//
// With `tls_cert_file` and `tls_key_file` set it speaks HTTPS (TLS 1.2+)
// instead, with the same behaviour after the handshake.
//
// Threads: `io_threads` threads, each with an io_context of its own, run the
// connections, dealt to them in turn as they are accepted; a connection
// stays on its thread. Handlers are called there and must not block (hand
// work to an actor and answer through the responder, from any thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "net/router.hpp"

namespace introvy::net {

struct http_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0; // 0: the kernel picks one; see bound_port()
  std::size_t max_body_bytes = 64 * 1024;
  std::chrono::milliseconds header_timeout{5'000};
  std::chrono::milliseconds body_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{60'000};
  unsigned io_threads = 1;
  std::function<void()> on_too_large; // counts 413s; optional
  // PEM files; both set: HTTPS, both empty: plain HTTP. The constructor
  // throws std::runtime_error when they cannot be loaded.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds handshake_timeout{5'000};
};

class http_server {
public:
  /// Binds and listens (loading the TLS certificate and key first when
  /// given); throws std::runtime_error naming the address when
  /// it cannot. Serving starts with start().
  http_server(http_server_options options, router routes);
  ~http_server();

  void start();

  /// The port actually bound (useful with port 0).
  std::uint16_t bound_port() const;

  /// Stops accepting new connections; open ones keep being served.
  void stop_accepting();

  /// Requests handed to a handler whose response is not yet written.
  std::size_t in_flight() const;

  /// Runs `task` on an io thread, after the handlers already due there
  /// (e.g. the other requests read in the same turn). Thread-safe.
  void post(std::function<void()> task);

  /// Closes every connection and joins the threads. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace introvy::net
