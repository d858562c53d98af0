#include "net/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace introvy::net {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
       &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

// Senders differ in case for hex and may prefix "sha256=": normalise the
// presented value so a correct signature is not refused for its spelling.
std::string normalise_hex(std::string_view presented) {
  if (presented.substr(0, 7) == "sha256=")
    presented.remove_prefix(7);
  std::string out(presented);
  for (auto& c : out)
    if (c >= 'A' && c <= 'F')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0x0f]);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

signature_verifier::signature_verifier(config::webhook_auth mode,
                                       std::vector<std::string> secrets)
    : mode_(mode)
    , secrets_(std::move(secrets)) {}

const char* signature_verifier::header_name() const {
  return mode_ == config::webhook_auth::api_key ? "X-api-key"
                                                : "X-Payload-Signature";
}

std::string signature_verifier::sign(config::webhook_auth mode,
                                     std::string_view secret,
                                     std::string_view body) {
  switch (mode) {
  case config::webhook_auth::shared_secret:
  case config::webhook_auth::api_key:
    return std::string(secret);
  case config::webhook_auth::hmac_sha256_hex:
    return hex_encode(hmac_sha256(secret, body));
  case config::webhook_auth::hmac_sha256_base64:
    return base64_encode(hmac_sha256(secret, body));
  }
  return {};
}

bool signature_verifier::verify(std::string_view presented,
                                std::string_view body) const {
  presented = trim(presented);
  if (presented.empty())
    return false;
  bool plain = mode_ == config::webhook_auth::shared_secret ||
               mode_ == config::webhook_auth::api_key;
  std::string_view candidate = presented;
  std::string normalised;
  if (mode_ == config::webhook_auth::hmac_sha256_hex) {
    normalised = normalise_hex(presented);
    candidate = normalised;
  }
  bool matched = false;
  for (const auto& secret : secrets_) {
    // Non-short-circuiting: every secret costs the same whatever matches.
    // A plain secret is compared as it is, without a copy.
    matched |= plain
                   ? constant_time_equal(candidate, secret)
                   : constant_time_equal(candidate, sign(mode_, secret, body));
  }
  return matched;
}

} // namespace introvy::net
