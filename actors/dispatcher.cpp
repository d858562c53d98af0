#include "actors/dispatcher.hpp"

#include <caf/all.hpp>

#include "actors/logger.hpp"
#include "actors/messages.hpp"

namespace introvy::actors {

dispatcher::dispatcher(storage::store& store, const tenant_directory& tenants,
                       dispatch_budget& budget)
    : store_(store)
    , tenants_(tenants)
    , budget_(budget) {}

void dispatcher::hand_over(domain::webhook_event&& event) {
  cursor_ = event.seq;
  // The body is in the log; candidates need only the ids.
  std::string{}.swap(event.body);
  caf::anon_send(*tenants_.find(event.tenant_id), dispatch_atom::value,
                 std::move(event));
}

void dispatcher::retry(domain::webhook_event&& event) {
  budget_.take();
  caf::anon_send(*tenants_.find(event.tenant_id), dispatch_atom::value,
                 std::move(event));
}

void dispatcher::accepted(std::vector<domain::webhook_event>& events) {
  for (auto& event : events) {
    // Once one event waits on disk, later ones wait too: order is kept.
    if (on_disk_ || !budget_.try_take()) {
      on_disk_ = true;
      return;
    }
    hand_over(std::move(event));
  }
}

bool dispatcher::has_room() const {
  return budget_.limit() - budget_.used() >=
         std::max<std::int64_t>(1, budget_.limit() / 4);
}

bool dispatcher::refill() {
  if (!on_disk_)
    return false;
  auto room = static_cast<std::size_t>(
      std::max<std::int64_t>(0, budget_.limit() - budget_.used()));
  auto wanted = std::min(room, refill_chunk);
  if (wanted == 0)
    return true;

  std::vector<domain::webhook_event> events;
  auto s = store_.read_inbox(cursor_, wanted, events);
  if (!s.ok()) {
    logger()->error("inbox read failed, backlog waits: {}", s.message());
    return true;
  }
  for (auto& event : events) {
    if (tenants_.find(event.tenant_id) == nullptr) {
      // A tenant removed from the configuration: its events stay put.
      cursor_ = event.seq;
      if (orphans_++ == 0)
        logger()->warn("inbox holds events of unconfigured tenant={}; kept "
                       "in the inbox",
                       event.tenant_id);
      continue;
    }
    if (!budget_.try_take())
      return true;
    hand_over(std::move(event));
  }
  on_disk_ = events.size() == wanted;
  return on_disk_;
}

} // namespace introvy::actors
