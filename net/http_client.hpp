// A small HTTP/1.1 client: one request, one connection, one answer. It
// speaks HTTPS for https:// URLs, verifying the server's certificate and
// host name against the system's CAs or a given CA file.
//
// Errors are values: a network failure (no connection, timeout, TLS
// refusal, a malformed answer) comes back as an http_client_error, never as
// an exception. Any HTTP status, 5xx included, is a response.
//
// Threads: send() blocks the calling thread until the answer or a timeout;
// one http_client may be used from several threads at once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "net/http_client_types.hpp"

namespace introvy::net {

inline constexpr std::chrono::milliseconds default_connect_timeout{5'000};
inline constexpr std::chrono::milliseconds default_exchange_timeout{10'000};
inline constexpr std::size_t default_max_response_bytes = 8 * 1024 * 1024;

struct http_client_options {
  std::chrono::milliseconds connect_timeout = default_connect_timeout;
  // Writing the request and reading the whole answer, together.
  std::chrono::milliseconds exchange_timeout = default_exchange_timeout;
  std::size_t max_response_bytes = default_max_response_bytes;
  std::string ca_file;     // PEM; empty: the system's CAs
  bool verify_peer = true; // false only for tests that want any certificate
  std::string user_agent = "introvy";
};

class http_client {
public:
  /// Throws std::runtime_error when `ca_file` cannot be loaded.
  explicit http_client(http_client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Sends one request on a new connection and waits for the answer.
  /// Content-Length and Host are set from the request.
  [[nodiscard]] http_client_result send(const http_client_request& request);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace introvy::net
