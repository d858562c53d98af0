#include "net/http_client_types.hpp"

#include <algorithm>
#include <cctype>

namespace introvy::net {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return std::isdigit(c) != 0; });
}

} // namespace

std::string_view http_client_response::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name))
      return value;
  return {};
}

std::string_view http_client_error::code_name() const {
  switch (code) {
  case http_client_errc::invalid_url:
    return "invalid_url";
  case http_client_errc::resolve_failed:
    return "resolve_failed";
  case http_client_errc::connect_failed:
    return "connect_failed";
  case http_client_errc::tls_failed:
    return "tls_failed";
  case http_client_errc::timeout:
    return "timeout";
  case http_client_errc::io_failed:
    return "io_failed";
  }
  return "unknown";
}

http_client_result http_client_failure(http_client_errc code,
                                       std::string message) {
  http_client_result result;
  result.error = {code, std::move(message)};
  return result;
}

std::optional<http_url> parse_http_url(std::string_view url) {
  http_url out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }

  // The authority ends where the path, the query or the fragment begins;
  // a fragment is never sent.
  auto end = url.find_first_of("/?#");
  auto authority = url.substr(0, end);
  auto rest =
      end == std::string_view::npos ? std::string_view{} : url.substr(end);
  rest = rest.substr(0, rest.find('#'));
  out.target =
      rest.starts_with('/') ? std::string{rest} : "/" + std::string{rest};
  if (authority.find('@') != std::string_view::npos)
    return std::nullopt;

  // host, host:port, [v6] or [v6]:port.
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':'))
      return std::nullopt;
    port = after.empty() ? after : after.substr(1);
    if (!after.empty() && port.empty())
      return std::nullopt;
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty())
      return std::nullopt;
  }
  if (host.empty() || (!port.empty() && !all_digits(port)))
    return std::nullopt;
  out.host = host;
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string{port};
  return out;
}

} // namespace introvy::net
