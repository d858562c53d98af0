#include "sim/token_store.hpp"

#include "net/signature.hpp"

namespace introvy::sim {
namespace {

// base64url without padding, as in a JWT.
std::string base64url(std::string_view bytes) {
  auto text = net::base64_encode(bytes);
  for (auto& c : text)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!text.empty() && text.back() == '=')
    text.pop_back();
  return text;
}

} // namespace

token_store::token_store(const clock& clock, std::chrono::seconds lifetime,
                         std::uint64_t seed)
    : clock_(clock)
    , lifetime_(lifetime)
    , rng_(seed) {}

std::string token_store::issue() {
  std::lock_guard lock{mutex_};
  auto serial = next_serial_++;

  // Looks like a JWT; its contents mean nothing to a client.
  std::string random(24, '\0');
  for (auto& c : random)
    c = static_cast<char>(rng_() & 0xff);
  auto token = base64url(R"({"alg":"RS256","typ":"JWT"})") + "." +
               base64url(R"({"sub":"avionte-sim","serial":)" +
                         std::to_string(serial) + "}") +
               "." + base64url(random);
  tokens_[token] = {clock_.now() + lifetime_, serial};
  return token;
}

bool token_store::valid(const std::string& token,
                        std::int64_t tenant_id) const {
  std::lock_guard lock{mutex_};
  auto it = tokens_.find(token);
  if (it == tokens_.end() || clock_.now() >= it->second.expires)
    return false;
  auto revoked = revoked_through_.find(tenant_id);
  return revoked == revoked_through_.end() ||
         it->second.serial > revoked->second;
}

void token_store::revoke_all(std::int64_t tenant_id) {
  std::lock_guard lock{mutex_};
  revoked_through_[tenant_id] = next_serial_ - 1;
}

void token_store::clear() {
  std::lock_guard lock{mutex_};
  tokens_.clear();
  revoked_through_.clear();
}

} // namespace introvy::sim
