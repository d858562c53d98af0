// Hands accepted events to their tenant's supervisor while the dispatch
// budget lasts. Beyond it, events stay in the inbox on disk and are read back
// in log order as candidates catch up, so a backlog costs disk, not memory.
// After a restart the whole inbox is such a backlog.
//
// Owned and called by the ingress actor only (not thread-safe): committing
// and reading back happen in one actor, so log order is kept.
#pragma once

#include <cstdint>
#include <vector>

#include "actors/dispatch_budget.hpp"
#include "actors/tenant_directory.hpp"
#include "domain/webhook_event.hpp"
#include "storage/store.hpp"

namespace introvy::actors {

class dispatcher {
public:
  /// Events read back from disk per refill, at most.
  static constexpr std::size_t refill_chunk = 1000;

  /// Starts with the whole inbox as a backlog on disk.
  dispatcher(storage::store& store, const tenant_directory& tenants,
             dispatch_budget& budget);

  /// Events just committed, in log order (their bodies may be dropped).
  void accepted(std::vector<domain::webhook_event>& events);

  /// Reads back and hands over part of the backlog. Returns whether some
  /// backlog remains.
  bool refill();

  bool has_backlog() const { return on_disk_; }

  /// Hands over a dead letter just moved back into the inbox, out of log
  /// order and beyond the budget if need be (an engineer asked for it).
  void retry(domain::webhook_event&& event);

  /// Whether a refill now would find room in the budget.
  bool has_room() const;

private:
  void hand_over(domain::webhook_event&& event);

  storage::store& store_;
  const tenant_directory& tenants_;
  dispatch_budget& budget_;
  std::uint64_t cursor_ = 0; // the last sequence handed over or skipped
  bool on_disk_ = true;      // events after cursor_ wait in the inbox
  std::uint64_t orphans_ = 0;
};

} // namespace introvy::actors
