// OAuth client-credentials tokens as Avionté's /authorize/token issues them:
// opaque JWT-looking strings that expire after a fixed lifetime. A token may
// be revoked early for one tenant (fault injection): tokens issued up to that
// moment stop working for that tenant's calls.
//
// Threads: every member may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "sim/clock.hpp"

namespace introvy::sim {

inline constexpr std::chrono::seconds default_token_lifetime{3600};

class token_store {
public:
  token_store(const clock& clock, std::chrono::seconds lifetime,
              std::uint64_t seed);

  /// A new token, valid for lifetime() from now.
  std::string issue();

  /// True when `token` was issued, has not expired and was not revoked for
  /// `tenant_id`.
  bool valid(const std::string& token, std::int64_t tenant_id) const;

  /// Every token issued until now stops working for `tenant_id`.
  void revoke_all(std::int64_t tenant_id);

  std::chrono::seconds lifetime() const { return lifetime_; }

  /// Forgets every token and revocation.
  void clear();

private:
  struct issued {
    time_point expires;
    std::uint64_t serial;
  };

  const clock& clock_;
  std::chrono::seconds lifetime_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::uint64_t next_serial_ = 1;
  std::map<std::string, issued> tokens_;
  std::map<std::int64_t, std::uint64_t> revoked_through_; // tenant -> serial
};

} // namespace introvy::sim
