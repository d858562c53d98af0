// What the HTTP clients (the blocking http_client and async_http_client)
// take and give back: a request, a response, or an error value saying why
// there is none. Free of Beast types.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.hpp"

namespace introvy::net {

struct http_client_request {
  std::string method = "GET";
  std::string url; // http://host[:port]/path?query or https://...
  header_list headers;
  std::string body;
};

struct http_client_response {
  unsigned status = 0;
  header_list headers;
  std::string body;

  /// The first header named `name` (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
};

enum class http_client_errc {
  invalid_url,
  resolve_failed,
  connect_failed,
  tls_failed, // handshake or certificate verification
  timeout,
  io_failed, // the connection broke while writing or reading
};

struct http_client_error {
  http_client_errc code;
  std::string message; // for logs; never holds the body or headers

  /// "timeout", "connect_failed"...
  std::string_view code_name() const;
};

/// A response, or why there is none.
struct http_client_result {
  std::optional<http_client_response> response;
  http_client_error error{http_client_errc::io_failed, ""}; // when !response

  explicit operator bool() const { return response.has_value(); }
};

/// An error result.
http_client_result http_client_failure(http_client_errc code,
                                       std::string message);

/// An http:// or https:// URL taken apart for a client.
struct http_url {
  bool tls = false;
  std::string host;   // without the brackets of an IPv6 literal
  std::string port;   // "443" or "80" when the URL names none
  std::string target; // "/path?query"; "/" when the URL has no path
};

/// Splits `url`; nullopt when it is not http(s)://host[:port][/...] (user
/// names in the authority are refused).
std::optional<http_url> parse_http_url(std::string_view url);

} // namespace introvy::net
