// Maps a method and path to a handler. Exact paths, or a prefix ending in
// '/' for routes that carry ids. Decided on the request line alone, before
// the body is read, so unknown paths never cost a body read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/http_types.hpp"

namespace introvy::net {

class router {
public:
  /// Adds a route. A path ending in "/*" matches every path below it.
  void add(std::string method, std::string path, request_handler handler);

  struct match {
    const request_handler* handler = nullptr; // set when found
    std::optional<http_response> refusal;     // 404 or 405 otherwise
  };

  match find(std::string_view method, std::string_view path) const;

private:
  struct route {
    std::string method;
    std::string path;
    bool prefix = false;
    request_handler handler;
  };
  std::vector<route> routes_;
};

} // namespace introvy::net
