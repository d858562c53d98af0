#include "net/router.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace introvy::net {

namespace {

// ASCII case folding, as std::tolower does in the "C" locale, without a
// call into the C library per character.
constexpr unsigned char ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<unsigned char>(c + ('a' - 'A')) : c;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](unsigned char x, unsigned char y) {
                      return ascii_lower(x) == ascii_lower(y);
                    });
}

std::string_view http_request::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      return value;
  return {};
}

std::string http_request::query(std::string_view name) const {
  auto mark = target.find('?');
  if (mark == std::string::npos)
    return {};
  std::string_view rest = std::string_view{target}.substr(mark + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return eq == std::string_view::npos ? std::string{}
                                          : std::string{pair.substr(eq + 1)};
    if (amp == std::string_view::npos)
      break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

http_response json_error(unsigned status, std::string_view code,
                         std::string_view message) {
  nlohmann::json doc = {{"error", code}, {"message", message}};
  return http_response{status, "application/json", doc.dump(), {}};
}

http_response json_ok(std::string body, unsigned status) {
  return http_response{status, "application/json", std::move(body), {}};
}

void router::add(std::string method, std::string path,
                 request_handler handler) {
  bool prefix = path.size() >= 2 && path.ends_with("/*");
  if (prefix)
    path.pop_back();
  routes_.push_back(
      {std::move(method), std::move(path), prefix, std::move(handler)});
}

router::match router::find(std::string_view method,
                           std::string_view path) const {
  std::string allowed;
  for (const auto& r : routes_) {
    bool path_matches = r.prefix ? path.starts_with(r.path) : path == r.path;
    if (!path_matches)
      continue;
    if (r.method == method)
      return {&r.handler, std::nullopt};
    if (allowed.find(r.method) == std::string::npos)
      allowed += (allowed.empty() ? "" : ", ") + r.method;
  }
  if (allowed.empty())
    return {nullptr, json_error(404, "not_found",
                                "no such endpoint: " + std::string{path})};
  auto refusal = json_error(405, "method_not_allowed",
                            std::string{method} + " is not allowed here");
  refusal.headers.emplace_back("Allow", allowed);
  return {nullptr, std::move(refusal)};
}

} // namespace introvy::net
