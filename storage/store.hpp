// The RocksDB store: the only place that sees rocksdb:: types. Column
// families: events (the append-only log), dedup, inbox, quarantine,
// candidates, workflows, links, outbox, deadletter, meta.
//
// Thread safety: every member may be called from any thread at once; RocksDB
// groups concurrent writes, so concurrent synced writes share one fsync.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "domain/webhook_event.hpp"
#include "storage/keys.hpp"
#include "storage/pending_dedup.hpp"
#include "storage/status.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class CompactionFilter;
class Env;
} // namespace rocksdb

namespace introvy::storage {

struct store_options {
  std::string path;
  bool fsync = true; // sync the write-ahead log before a write returns
  std::chrono::hours dedup_retention{24 * 30};
  bool read_only = false; // for inspection tools beside a running service
};

class store {
public:
  /// Opens (creating if needed) the store. Throws std::runtime_error with
  /// the path and RocksDB's reason when it cannot: start-up only.
  static std::unique_ptr<store> open(const store_options& options);

  /// How many dedup records wait in memory before they are written to the
  /// dedup family, sorted, a slice with each commit (a few MB; a restart
  /// reads back at most about twice this many events).
  static constexpr std::size_t pending_dedup_limit = 16384;
  /// The smallest slice: a commit of n events writes max(this, 2n), so a
  /// table is written out before the next one fills.
  static constexpr std::size_t dedup_slice = 1024;
  ~store();

  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // --- ingress -----------------------------------------------------------

  /// The dedup record of (tenant, CorrelationId), if one younger than the
  /// retention exists.
  status find_dedup(std::int64_t tenant_id, const std::string& correlation_id,
                    std::optional<dedup_record>& found);
  /// The same, by a key dedup_key() made already.
  status find_dedup_key(const std::string& key,
                        std::optional<dedup_record>& found);

  /// In one atomic write: assigns each event its sequence number, appends
  /// `accepted` to the event log and the inbox, and sets `quarantined`
  /// aside. Synced when options.fsync. From then on find_dedup knows every
  /// one of them: the logged event is its dedup record's durable form, and
  /// the dedup family catches up in sorted slices (pending_dedup.hpp).
  /// Concurrent calls are taken one at a time.
  status commit_webhooks(std::vector<domain::webhook_event>& accepted,
                         std::vector<domain::webhook_event>& quarantined);

  /// Every dedup record, in key order: those in the dedup family and those
  /// still waiting to join it.
  status
  for_each_dedup(const std::function<void(const std::string& key,
                                          const dedup_record& record)>& visit);

  // --- candidates --------------------------------------------------------

  status load_candidate(std::int64_t tenant_id, const std::string& key,
                        std::optional<std::string>& record);

  /// The outcome of one event: the candidate's new summary and history
  /// entry (or none when nothing changed), or the dead letter it was parked
  /// as; a stage the tenant's map does not know, to count; and the event to
  /// remove from the inbox.
  struct candidate_outcome {
    std::int64_t tenant_id = 0;
    std::string key; // empty when no candidate is known (a dead letter)
    std::optional<std::string> record;
    std::optional<std::string> history_entry;
    std::uint64_t seq = 0;
    std::optional<std::string> dead_letter;    // domain::dead_letter as JSON
    std::optional<std::string> unmapped_stage; // as Avionté spells it
  };

  /// Saves many outcomes in one write, each with its inbox removal. Not
  /// synced: after a power loss an outcome and its inbox entry come back
  /// together, and the event is applied again. Called by one thread at a
  /// time (the state writer): unmapped-stage counts are read, then written.
  status save_outcomes(const std::vector<candidate_outcome>& outcomes);

  /// A candidate's history entries, in log order.
  status for_each_history(std::int64_t tenant_id, const std::string& key,
                          const std::function<void(const std::string&)>& visit);

  // --- dead letters and unmapped stages ----------------------------------

  /// Every parked event, in log order, as stored (domain::dead_letter JSON).
  status for_each_dead_letter(
      const std::function<void(const std::string& record)>& visit);

  /// Moves a dead letter back into the inbox and gives its event (without
  /// the body). `event` stays empty when no dead letter has this sequence.
  status requeue_dead_letter(std::uint64_t seq,
                             std::optional<domain::webhook_event>& event);

  /// Each stage name a tenant's map did not know, with how many events
  /// named it (counted across restarts).
  status for_each_unmapped_stage(
      const std::function<void(std::int64_t tenant, const std::string& stage,
                               std::uint64_t count)>& visit);

  // --- start-up and inspection -------------------------------------------

  /// Up to `limit` events of the inbox after sequence `after`, in log
  /// order, without their bodies (candidates need only the ids).
  status read_inbox(std::uint64_t after, std::size_t limit,
                    std::vector<domain::webhook_event>& events);

  /// Calls `visit` for every event still in the inbox, in log order.
  status
  for_each_inbox(const std::function<void(domain::webhook_event&&)>& visit);

  /// Moves every quarantined event whose tenant `onboarded` accepts into
  /// the event log and the inbox, keeping its sequence number.
  status release_quarantine(const std::function<bool(std::int64_t)>& onboarded,
                            std::size_t& released);

  /// Calls `visit` with every entry of a column family ("events",
  /// "quarantine", "inbox", "candidates", "dedup", "deadletter", "meta"),
  /// raw key and value.
  status for_each(const std::string& family,
                  const std::function<void(const std::string& key,
                                           const std::string& value)>& visit);

  std::uint64_t inbox_depth_at_open() const { return inbox_at_open_; }

  /// Events in the inbox now, counted in the store (one scan of its keys).
  std::uint64_t count_inbox();
  std::uint64_t last_sequence() const { return next_seq_.load() - 1; }

private:
  store() = default;
  rocksdb::ColumnFamilyHandle* family(const std::string& name) const;
  status write(rocksdb::WriteBatch& batch, bool sync);
  status count_unmapped(const std::vector<candidate_outcome>& outcomes,
                        rocksdb::WriteBatch& batch);
  void recover_counters();
  /// Reads back the dedup records of logged events the dedup family lacks.
  status recover_pending_dedup();
  /// Writes the next `limit` waiting dedup records into the dedup family,
  /// in key order, once enough wait (or `all` of them); the last slice of a
  /// table carries the sequence it reaches. dedup_mutex_ held.
  status write_dedup_slice(std::size_t limit, bool all = false);
  /// Reads one record; `value` stays empty when the key is absent.
  status get(const char* family, const std::string& key,
             std::optional<std::string>& value);
  /// The logged event an inbox key points to.
  status inbox_event(const std::string& key,
                     std::optional<domain::webhook_event>& event);

  store_options options_;
  std::unique_ptr<rocksdb::CompactionFilter> filter_; // outlives db_
  std::unique_ptr<rocksdb::Env> env_;                 // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::vector<std::string> names_;
  std::atomic<std::uint64_t> next_seq_{1};
  std::mutex commit_mutex_; // one commit_webhooks at a time
  std::mutex dedup_mutex_;  // guards dedup_tail_
  dedup_tail dedup_tail_;
  std::uint64_t inbox_at_open_ = 0;
};

} // namespace introvy::storage
