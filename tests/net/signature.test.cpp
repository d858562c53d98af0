#include <catch2/catch.hpp>

#include "net/signature.hpp"

using namespace introvy;
using config::webhook_auth;
using net::signature_verifier;

TEST_CASE("HMAC-SHA256 signatures match the RFC 4231 test vector") {
  // RFC 4231, test case 2.
  auto hex = signature_verifier::sign(webhook_auth::hmac_sha256_hex, "Jefe",
                                      "what do ya want for nothing?");
  CHECK(hex ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto b64 = signature_verifier::sign(webhook_auth::hmac_sha256_base64, "Jefe",
                                      "what do ya want for nothing?");
  CHECK(b64 == "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

TEST_CASE("every authentication mode accepts a correct header") {
  for (auto mode :
       {webhook_auth::shared_secret, webhook_auth::api_key,
        webhook_auth::hmac_sha256_hex, webhook_auth::hmac_sha256_base64}) {
    signature_verifier v{mode, {"s3cret"}};
    auto header = signature_verifier::sign(mode, "s3cret", "{\"a\":1}");
    CHECK(v.verify(header, "{\"a\":1}"));
    bool signs_body = mode == webhook_auth::hmac_sha256_hex ||
                      mode == webhook_auth::hmac_sha256_base64;
    CHECK(v.verify(header, "{\"a\":2}") == !signs_body);
    CHECK_FALSE(v.verify("", "{\"a\":1}"));
    CHECK_FALSE(v.verify("wrong", "{\"a\":1}"));
  }
}

TEST_CASE("an HMAC signature of a changed body is refused") {
  signature_verifier v{webhook_auth::hmac_sha256_hex, {"k"}};
  auto header =
      signature_verifier::sign(webhook_auth::hmac_sha256_hex, "k", "body");
  CHECK(v.verify(header, "body"));
  CHECK_FALSE(v.verify(header, "body "));
}

TEST_CASE("during a rotation both the old and the new secret are accepted") {
  signature_verifier v{webhook_auth::hmac_sha256_base64, {"old", "new"}};
  for (const char* secret : {"old", "new"})
    CHECK(v.verify(
        signature_verifier::sign(webhook_auth::hmac_sha256_base64, secret, "b"),
        "b"));
  CHECK_FALSE(v.verify(
      signature_verifier::sign(webhook_auth::hmac_sha256_base64, "other", "b"),
      "b"));
}

TEST_CASE("hex signatures are accepted in upper case or with a prefix") {
  signature_verifier v{webhook_auth::hmac_sha256_hex, {"k"}};
  auto hex = signature_verifier::sign(webhook_auth::hmac_sha256_hex, "k", "b");
  std::string upper = hex;
  for (auto& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(v.verify(upper, "b"));
  CHECK(v.verify("sha256=" + hex, "b"));
}

TEST_CASE("the header name follows the mode") {
  CHECK(std::string{
            signature_verifier{webhook_auth::api_key, {"x"}}.header_name()} ==
        "X-api-key");
  CHECK(std::string{signature_verifier{
            webhook_auth::hmac_sha256_hex,
            {"x"}}.header_name()} == "X-Payload-Signature");
}

TEST_CASE("constant-time comparison refuses different lengths") {
  CHECK(net::constant_time_equal("abc", "abc"));
  CHECK_FALSE(net::constant_time_equal("abc", "abcd"));
  CHECK_FALSE(net::constant_time_equal("abc", "abd"));
}
