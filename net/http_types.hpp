// The HTTP request and response as handlers see them, free of Beast types so
// that only net/http_server.cpp instantiates Beast's templates.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace introvy::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
  std::string method; // "POST"
  std::string target; // "/path?query"
  std::string path;   // "/path"
  header_list headers;
  std::string body;
  std::string remote_address;
  std::chrono::steady_clock::time_point received_at; // body fully read

  /// The first header named `name` (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  /// The query parameter `name`, or "" (no percent-decoding of '+').
  std::string query(std::string_view name) const;
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  header_list headers;
  // Closes the connection without writing anything, as a server that died
  // mid-request would (fault injection, tests). Status and body are ignored.
  bool drop_connection = false;
};

/// Sends the response for one request. Callable from any thread, exactly
/// once; the connection stays open until it is called.
using responder = std::function<void(http_response)>;

using request_handler = std::function<void(http_request&&, responder)>;

/// {"error": code, "message": message} with the given status.
http_response json_error(unsigned status, std::string_view code,
                         std::string_view message);

/// A JSON body with status 200 (or `status`).
http_response json_ok(std::string body, unsigned status = 200);

bool iequals(std::string_view a, std::string_view b);

} // namespace introvy::net
