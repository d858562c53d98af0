// Webhook authentication: checks the X-Payload-Signature or X-api-key
// header against every configured secret, in constant time, over the raw
// body bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace introvy::net {

class signature_verifier {
public:
  signature_verifier(config::webhook_auth mode,
                     std::vector<std::string> secrets);

  /// The header this mode reads: "X-Payload-Signature" or "X-api-key".
  const char* header_name() const;

  /// True when `presented` (the header's value) authenticates `body` under
  /// any of the secrets. Every secret is checked, so timing does not tell
  /// which one matched.
  bool verify(std::string_view presented, std::string_view body) const;

  /// What a sender puts in the header for `body` under `secret` (tests,
  /// the simulator and the benchmarks sign with this).
  static std::string sign(config::webhook_auth mode, std::string_view secret,
                          std::string_view body);

private:
  config::webhook_auth mode_;
  std::vector<std::string> secrets_;
};

/// Equal-length constant-time comparison; false when the lengths differ.
bool constant_time_equal(std::string_view a, std::string_view b);

std::string hex_encode(std::string_view bytes);
std::string base64_encode(std::string_view bytes);

} // namespace introvy::net
