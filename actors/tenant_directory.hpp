// Which supervisor actor serves which tenant. Built once at start-up and
// read-only afterwards, so any thread may look tenants up.
#pragma once

#include <caf/actor.hpp>
#include <cstdint>
#include <map>
#include <vector>

namespace introvy::actors {

class tenant_directory {
public:
  void add(std::int64_t tenant_id, caf::actor supervisor) {
    supervisors_.emplace(tenant_id, std::move(supervisor));
  }

  /// The tenant's supervisor, or nullptr when the tenant is not configured.
  const caf::actor* find(std::int64_t tenant_id) const {
    auto it = supervisors_.find(tenant_id);
    return it == supervisors_.end() ? nullptr : &it->second;
  }

  std::vector<caf::actor> all() const {
    std::vector<caf::actor> out;
    for (const auto& [id, actor] : supervisors_)
      out.push_back(actor);
    return out;
  }

private:
  std::map<std::int64_t, caf::actor> supervisors_;
};

} // namespace introvy::actors
