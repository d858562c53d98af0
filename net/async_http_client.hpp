// An asynchronous HTTP/1.1 client that keeps connections alive: the
// Avionté gateway's way to call a REST API without a thread per request.
//
// Connections: a request takes a parked (kept-alive) connection to the same
// scheme, host and port when there is one, and opens a new one otherwise;
// several requests at once use several connections (no pipelining). After a
// complete answer that allows it, the connection is parked again, up to
// max_idle_per_host per scheme+host+port; surplus ones are closed. A parked
// connection is closed when the server closes it, when it has been idle for
// idle_timeout, or at stop().
//
// Retry: a request on a reused connection that fails before any byte of the
// answer arrived (the write fails, or the read meets end of stream or a
// reset: the server had closed the parked connection) is sent once more on
// a new connection. Beware: a server that received the request and closed
// without answering then sees it twice. A failure after answer bytes
// arrived is never retried.
//
// Deadlines, per attempt: resolving, connecting and the TLS handshake
// within connect_timeout; writing the request and reading the whole answer
// within request_timeout. The retry has deadlines of its own, so the worst
// case is connect_timeout + request_timeout on the reused connection plus
// both again on the new one. On a deadline the connection is closed and the
// error is `timeout`.
//
// HTTPS: TLS 1.2 or later, SNI for host names, the certificate chain
// checked against the system's CAs or ca_file and the certificate's names
// against the URL's host (unless verify_peer is false).
//
// Errors are values (http_client_result); messages name the step, the host
// and port and the cause, never a body, a header value, a path or a query.
//
// Threads: one io thread, started by the constructor, does all the work.
// send() and stop() may be called from any thread except that io thread;
// completions run on it and must not block.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/http_client_types.hpp"

namespace introvy::net {

struct async_http_client_options {
  std::chrono::milliseconds connect_timeout{5'000};
  // Writing the request and reading the whole answer, together.
  std::chrono::milliseconds request_timeout{15'000};
  std::size_t max_response_bytes = 8 * 1024 * 1024; // body only
  std::string ca_file;     // PEM; empty: the system's CAs
  bool verify_peer = true; // certificate and host name, for https
  // Kept-alive connections parked per scheme+host+port; 0: never reuse.
  std::size_t max_idle_per_host = 8;
  // A parked connection idle for longer than this is closed.
  std::chrono::milliseconds idle_timeout{30'000};
  std::string user_agent = "introvy";
};

class async_http_client {
public:
  using completion = std::function<void(http_client_result)>;

  /// Starts the io thread. Throws std::runtime_error when `ca_file` (or the
  /// system's CAs) cannot be loaded.
  explicit async_http_client(async_http_client_options options = {});
  /// Calls stop().
  ~async_http_client();
  async_http_client(const async_http_client&) = delete;
  async_http_client& operator=(const async_http_client&) = delete;

  /// Sends `request` and calls `done` exactly once with the response (any
  /// HTTP status) or an error: invalid_url, resolve_failed, connect_failed,
  /// tls_failed, timeout or io_failed. Content-Length, Host and User-Agent
  /// are set from the request and the options; the request's own headers
  /// replace same-named ones. `done` runs on the io thread; after stop() it
  /// runs at once on the calling thread with io_failed. An exception thrown
  /// by `done` is logged and dropped. Thread-safe; never throws.
  void send(http_client_request request, completion done);

  /// Completes every pending request with io_failed ("client stopped"),
  /// closes every connection and joins the io thread. Idempotent; not from
  /// a completion (it would wait for itself).
  void stop();

  /// For tests and metrics: connections opened (TCP connected) so far.
  std::size_t connections_opened() const;

  /// For tests and metrics: connections parked now, all hosts together.
  std::size_t idle_connections() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace introvy::net
