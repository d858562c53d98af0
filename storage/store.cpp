#include "storage/store.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/rate_limiter.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>
#include <stdexcept>

#include "domain/stage_map.hpp"
#include "storage/wal_files.hpp"

namespace introvy::storage {
namespace {

// Memory bounds: all memtables together, and the shared block cache. The
// budget holds the two families that fill fastest, the log and the dedup
// records (8 MB memtables each), with room for the small ones. At 16 MB it
// was always nearly spent, and RocksDB then flushes the oldest memtable,
// mostly a nearly empty one (inbox, meta): each flush a table file, a new
// log file and a manifest sync for almost no memory (README, "How it is
// built").
constexpr std::size_t write_buffer_budget = 24 << 20;
constexpr std::size_t block_cache_bytes = 8 << 20;
constexpr std::uint64_t max_wal_bytes = 64 << 20;
constexpr std::int64_t background_write_bytes_per_second = 96 << 20;
constexpr std::int64_t background_write_refill_us = 20'000;

// meta: the sequence number up to which every logged event's dedup record
// is in the dedup family.
const std::string dedup_indexed_key = "dedup/indexed_through";

const std::vector<std::string>& family_names() {
  static const std::vector<std::string> names = {
      rocksdb::kDefaultColumnFamilyName,
      "events",
      "dedup",
      "inbox",
      "quarantine",
      "candidates",
      "workflows",
      "links",
      "outbox",
      "deadletter",
      "meta"};
  return names;
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

// Drops dedup records older than the retention during compaction, so the
// dedup family does not grow forever.
class dedup_expiry : public rocksdb::CompactionFilter {
public:
  explicit dedup_expiry(std::chrono::hours retention)
      : retention_ms_(
            std::chrono::duration_cast<std::chrono::milliseconds>(retention)
                .count()) {}

  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value,
              std::string*, bool*) const override {
    auto record = decode_dedup({value.data(), value.size()});
    return record && record->received_at_ms < now_ms() - retention_ms_;
  }

  const char* Name() const override { return "introvy.dedup_expiry"; }

private:
  std::int64_t retention_ms_;
};

status translate(const rocksdb::Status& s, const char* what) {
  if (s.ok())
    return status::success();
  return status::failure(std::string{what} + ": " + s.ToString());
}

rocksdb::ColumnFamilyOptions
family_options(const std::string& name,
               const std::shared_ptr<rocksdb::Cache>& cache,
               const rocksdb::CompactionFilter* dedup_filter) {
  rocksdb::ColumnFamilyOptions options;
  options.write_buffer_size = 8 << 20;
  options.max_write_buffer_number = 2;
  // Levels 0 and 1 hold what was written minutes ago and is rewritten by
  // the next compaction anyway: compressing it only costs the flush CPU
  // the ingress competes for. Older data, further down, is compressed.
  options.compression_per_level = {
      rocksdb::kNoCompression,  rocksdb::kNoCompression,
      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
      rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
      rocksdb::kLZ4Compression};
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the block cache, so their memory is
  // bounded by it instead of growing with every table file the log adds.
  // Level 0's stay pinned: every lookup reads them.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // In partitions of a few KB, found through a small top-level index kept
  // pinned. Whole, a large file's filter or index is bigger than a cache
  // shard, so it was read from disk and checksummed again on every lookup:
  // after some 400,000 events the dedup lookups alone took the ingress
  // from ~40,000 to ~15,000 events/s.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.pin_top_level_index_and_filter = true;
  // Point lookups (dedup, candidates) mostly miss on fresh keys: a Bloom
  // filter answers those without reading blocks. The log and the inbox are
  // only read at keys they hold, or scanned: no filter.
  if (name != "events" && name != "inbox") {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    table.partition_filters = true;
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (name == "dedup") {
    options.compaction_filter = dedup_filter;
    // Nearly every lookup is for a new CorrelationId: a Bloom filter over
    // the memtables' keys answers most of those without searching them.
    options.memtable_prefix_bloom_size_ratio = 0.05;
    options.memtable_whole_key_filtering = true;
  }
  return options;
}

} // namespace

std::unique_ptr<store> store::open(const store_options& options) {
  std::unique_ptr<store> self{new store()};
  self->options_ = options;
  if (!options.read_only) {
    // RocksDB creates the last folder only; "var/introvy" needs "var" too.
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec)
      throw std::runtime_error("cannot create store folder " + options.path +
                               ": " + ec.message());
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.db_write_buffer_size = write_buffer_budget;
  db_options.max_total_wal_size = max_wal_bytes;
  db_options.max_background_jobs = 2;
  // Flushes and compactions write at most 96 MB/s, handed out every 20 ms:
  // the disk's write cache empties everything queued before it confirms a
  // sync, so a table file written in one burst held the log's syncs up for
  // tens of milliseconds (README, "How it is built"). Far above what the
  // webhooks need: 1-2 MB/s for every 1,000 events/s.
  db_options.rate_limiter.reset(rocksdb::NewGenericRateLimiter(
      background_write_bytes_per_second, background_write_refill_us));
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 3;
  // Each new write-ahead log file is one whose blocks exist already, so a
  // synced write need not write its inode too (wal_files.hpp).
  if (!options.read_only) {
    self->env_ = make_wal_file_env(options.path);
    db_options.env = self->env_.get();
  }

  auto cache = rocksdb::NewLRUCache(block_cache_bytes);
  auto filter = std::make_unique<dedup_expiry>(options.dedup_retention);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : family_names())
    descriptors.emplace_back(name, family_options(name, cache, filter.get()));
  self->filter_ = std::move(filter);

  rocksdb::DB* db = nullptr;
  rocksdb::Status s =
      options.read_only
          ? rocksdb::DB::OpenForReadOnly(db_options, options.path, descriptors,
                                         &self->handles_, &db)
          : rocksdb::DB::Open(db_options, options.path, descriptors,
                              &self->handles_, &db);
  if (!s.ok())
    throw std::runtime_error("cannot open store at " + options.path + ": " +
                             s.ToString());
  self->db_.reset(db);
  self->names_ = family_names();
  self->recover_counters();
  if (auto s = self->recover_pending_dedup(); !s.ok())
    throw std::runtime_error("cannot read the dedup records of " +
                             options.path + ": " + s.message());
  return self;
}

store::~store() {
  if (!db_)
    return;
  // Not needed for correctness (the next start reads them back from the
  // log), but it makes that start quicker.
  if (!options_.read_only) {
    std::lock_guard lock{dedup_mutex_};
    while (!dedup_tail_.empty())
      if (auto s = write_dedup_slice(SIZE_MAX, true); !s.ok()) {
        spdlog::warn("dedup records not written at close: {}", s.message());
        break;
      }
  }
  for (auto* handle : handles_)
    db_->DestroyColumnFamilyHandle(handle);
  db_->Close();
}

rocksdb::ColumnFamilyHandle* store::family(const std::string& name) const {
  for (std::size_t i = 0; i < names_.size(); ++i)
    if (names_[i] == name)
      return handles_[i];
  throw std::logic_error("unknown column family " + name);
}

void store::recover_counters() {
  // The next sequence follows the highest one in the log or the quarantine.
  std::uint64_t last = 0;
  for (const char* name : {"events", "quarantine"}) {
    std::unique_ptr<rocksdb::Iterator> it{
        db_->NewIterator(rocksdb::ReadOptions{}, family(name))};
    it->SeekToLast();
    if (it->Valid())
      if (auto seq = decode_sequence_key(it->key().ToStringView()))
        last = std::max(last, *seq);
  }
  next_seq_.store(last + 1);

  inbox_at_open_ = count_inbox();
}

status store::recover_pending_dedup() {
  std::optional<std::string> mark;
  if (auto s = get("meta", dedup_indexed_key, mark); !s.ok())
    return s;
  std::uint64_t indexed = 0;
  if (mark) {
    auto seq = decode_sequence_key(*mark);
    if (!seq)
      return status::failure("undecodable " + dedup_indexed_key);
    indexed = *seq;
  } else {
    // A new store, or one from before pending dedup records, when each
    // event's dedup record was written with it: the log is all indexed.
    indexed = last_sequence();
    if (!options_.read_only) {
      rocksdb::WriteBatch batch;
      batch.Put(family("meta"), dedup_indexed_key, sequence_key(indexed));
      if (auto s = write(batch, true); !s.ok())
        return s;
    }
  }

  std::lock_guard lock{dedup_mutex_};
  for (const char* name : {"events", "quarantine"}) {
    std::unique_ptr<rocksdb::Iterator> it{
        db_->NewIterator(rocksdb::ReadOptions{}, family(name))};
    for (it->Seek(sequence_key(indexed + 1)); it->Valid(); it->Next()) {
      auto seq = decode_sequence_key(it->key().ToStringView());
      auto event =
          seq ? decode_event(*seq, it->value().ToStringView()) : std::nullopt;
      // Such a record has no key to remember; it must not keep the store
      // from opening (the inbox reports it when it is dispatched).
      if (!event) {
        spdlog::warn("undecodable record in {} at sequence {}: no dedup record "
                     "for it",
                     name, seq.value_or(0));
        continue;
      }
      dedup_tail_.add(dedup_key(event->tenant_id, event->correlation_id),
                      {event->received_at_ms,
                       domain::body_fingerprint(event->body), event->seq});
    }
    if (auto s = translate(it->status(), name); !s.ok())
      return s;
  }
  return status::success();
}

status store::write_dedup_slice(std::size_t limit, bool all) {
  if (!dedup_tail_.draining()) {
    if (dedup_tail_.filling_size() < (all ? 1 : pending_dedup_limit))
      return status::success();
    dedup_tail_.start_drain();
  }
  rocksdb::WriteBatch batch(std::min(limit, pending_dedup_limit) * 96 + 64);
  auto* dedup = family("dedup");
  auto [count, last] = dedup_tail_.next_slice(
      limit, [&](std::string_view key, const dedup_record& record) {
        batch.Put(dedup, rocksdb::Slice{key.data(), key.size()},
                  encode_dedup(record));
      });
  if (last)
    batch.Put(family("meta"), dedup_indexed_key,
              sequence_key(dedup_tail_.draining_through()));
  // Not synced: if this write is lost, the next start reads the records
  // back from the log, which holds every event they describe.
  auto s = write(batch, false);
  if (s.ok())
    dedup_tail_.slice_written(count);
  return s;
}

std::uint64_t store::count_inbox() {
  std::uint64_t depth = 0;
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("inbox"))};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    ++depth;
  return depth;
}

status store::write(rocksdb::WriteBatch& batch, bool sync) {
  rocksdb::WriteOptions options;
  options.sync = sync;
  return translate(db_->Write(options, &batch), "write");
}

status store::get(const char* name, const std::string& key,
                  std::optional<std::string>& value) {
  value.reset();
  std::string found;
  auto s = db_->Get(rocksdb::ReadOptions{}, family(name), key, &found);
  if (s.IsNotFound())
    return status::success();
  if (!s.ok())
    return translate(s, name);
  value = std::move(found);
  return status::success();
}

status store::inbox_event(const std::string& key,
                          std::optional<domain::webhook_event>& event) {
  std::optional<std::string> value;
  auto seq = decode_sequence_key(key);
  auto s = get("events", key, value);
  if (!s.ok())
    return s;
  if (!seq || !value)
    return status::failure("inbox entry without its event in the log");
  event = decode_event(*seq, *value);
  if (!event)
    return status::failure("undecodable event in the log at sequence " +
                           std::to_string(*seq));
  return status::success();
}

status store::find_dedup(std::int64_t tenant_id,
                         const std::string& correlation_id,
                         std::optional<dedup_record>& found) {
  return find_dedup_key(dedup_key(tenant_id, correlation_id), found);
}

status store::find_dedup_key(const std::string& key,
                             std::optional<dedup_record>& found) {
  found.reset();
  std::optional<dedup_record> record;
  {
    std::lock_guard lock{dedup_mutex_};
    record = dedup_tail_.find(key);
  }
  if (!record) {
    std::optional<std::string> value;
    auto s = get("dedup", key, value);
    if (!s.ok() || !value)
      return s;
    record = decode_dedup(*value);
  }
  auto retention_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          options_.dedup_retention)
                          .count();
  if (record && record->received_at_ms >= now_ms() - retention_ms)
    found = record;
  return status::success();
}

status store::commit_webhooks(std::vector<domain::webhook_event>& accepted,
                              std::vector<domain::webhook_event>& quarantined) {
  // One at a time: sequence numbers are then committed in order, and the
  // dedup family's mark means "every event up to here".
  std::lock_guard serial{commit_mutex_};
  // Room for the whole batch at once, instead of growing it by doubling.
  std::size_t bytes = 64;
  for (const auto* events : {&accepted, &quarantined})
    for (const auto& e : *events)
      bytes += e.body.size() + 2 * e.correlation_id.size() + 160;
  rocksdb::WriteBatch batch(bytes);
  auto* events = family("events");
  auto* inbox = family("inbox");
  auto* aside = family("quarantine");
  for (auto& e : accepted) {
    e.seq = next_seq_.fetch_add(1);
    auto key = sequence_key(e.seq);
    batch.Put(events, key, encode_event(e));
    batch.Put(inbox, key, rocksdb::Slice{});
  }
  for (auto& e : quarantined) {
    e.seq = next_seq_.fetch_add(1);
    batch.Put(aside, sequence_key(e.seq), encode_event(e));
  }
  if (auto s = write(batch, options_.fsync); !s.ok())
    return s;

  std::lock_guard lock{dedup_mutex_};
  for (const auto* events : {&accepted, &quarantined})
    for (const auto& e : *events)
      dedup_tail_.add(
          dedup_key(e.tenant_id, e.correlation_id),
          {e.received_at_ms, domain::body_fingerprint(e.body), e.seq});
  // The events are durable whatever happens here: a failed slice is tried
  // again with the next commit.
  auto slice =
      std::max(dedup_slice, 2 * (accepted.size() + quarantined.size()));
  if (auto s = write_dedup_slice(slice); !s.ok())
    spdlog::warn("dedup records kept in memory, not yet written: {}",
                 s.message());
  return status::success();
}

status store::for_each_dedup(
    const std::function<void(const std::string&, const dedup_record&)>& visit) {
  std::vector<std::pair<std::string, dedup_record>> records;
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("dedup"))};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    if (auto record = decode_dedup(it->value().ToStringView()))
      records.emplace_back(it->key().ToString(), *record);
  if (auto s = translate(it->status(), "dedup scan"); !s.ok())
    return s;
  {
    std::lock_guard lock{dedup_mutex_};
    dedup_tail_.for_each([&](std::string_view key, const dedup_record& record) {
      records.emplace_back(std::string{key}, record);
    });
  }
  // A record being written out may be in the family already: listed once.
  std::stable_sort(
      records.begin(), records.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  records.erase(std::unique(records.begin(), records.end(),
                            [](const auto& a, const auto& b) {
                              return a.first == b.first;
                            }),
                records.end());
  for (const auto& [key, record] : records)
    visit(key, record);
  return status::success();
}

status store::load_candidate(std::int64_t tenant_id, const std::string& key,
                             std::optional<std::string>& record) {
  return get("candidates", candidate_key(tenant_id, key), record);
}

status store::count_unmapped(const std::vector<candidate_outcome>& outcomes,
                             rocksdb::WriteBatch& batch) {
  // Counts of this batch first, so one read per stage name suffices.
  std::map<std::string, std::pair<std::string, std::uint64_t>> added;
  for (const auto& o : outcomes)
    if (o.unmapped_stage) {
      auto& slot = added[unmapped_stage_key(
          o.tenant_id, domain::normalize_stage_name(*o.unmapped_stage))];
      slot.first = *o.unmapped_stage;
      ++slot.second;
    }
  for (auto& [key, seen] : added) {
    std::optional<std::string> stored;
    if (auto s = get("meta", key, stored); !s.ok())
      return s;
    std::uint64_t count = seen.second;
    if (stored) {
      auto doc = nlohmann::json::parse(*stored, nullptr, false);
      if (doc.is_object())
        count += doc.value("count", std::uint64_t{0});
    }
    nlohmann::json doc = {{"stage", seen.first}, {"count", count}};
    batch.Put(family("meta"), key, doc.dump());
  }
  return status::success();
}

status store::save_outcomes(const std::vector<candidate_outcome>& outcomes) {
  rocksdb::WriteBatch batch;
  auto* candidates = family("candidates");
  auto* inbox = family("inbox");
  auto* parked = family("deadletter");
  for (const auto& o : outcomes) {
    if (o.record)
      batch.Put(candidates, candidate_key(o.tenant_id, o.key), *o.record);
    if (o.history_entry)
      batch.Put(candidates, candidate_history_key(o.tenant_id, o.key, o.seq),
                *o.history_entry);
    if (o.dead_letter)
      batch.Put(parked, sequence_key(o.seq), *o.dead_letter);
    batch.Delete(inbox, sequence_key(o.seq));
  }
  if (auto s = count_unmapped(outcomes, batch); !s.ok())
    return s;
  return write(batch, false);
}

status
store::for_each_history(std::int64_t tenant_id, const std::string& key,
                        const std::function<void(const std::string&)>& visit) {
  auto prefix = candidate_key(tenant_id, key);
  prefix.push_back('\0');
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("candidates"))};
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);
       it->Next())
    visit(it->value().ToString());
  return translate(it->status(), "history scan");
}

status store::for_each_dead_letter(
    const std::function<void(const std::string&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("deadletter"))};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    visit(it->value().ToString());
  return translate(it->status(), "dead letter scan");
}

status store::requeue_dead_letter(std::uint64_t seq,
                                  std::optional<domain::webhook_event>& event) {
  event.reset();
  auto key = sequence_key(seq);
  std::optional<std::string> letter;
  if (auto s = get("deadletter", key, letter); !s.ok() || !letter)
    return s;
  if (auto s = inbox_event(key, event); !s.ok())
    return s;
  std::string{}.swap(event->body);
  rocksdb::WriteBatch batch;
  batch.Delete(family("deadletter"), key);
  batch.Put(family("inbox"), key, rocksdb::Slice{});
  return write(batch, options_.fsync);
}

status store::for_each_unmapped_stage(
    const std::function<void(std::int64_t, const std::string&, std::uint64_t)>&
        visit) {
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("meta"))};
  for (it->Seek(std::string{unmapped_stage_prefix}); it->Valid(); it->Next()) {
    auto decoded = decode_unmapped_stage_key(it->key().ToStringView());
    if (!decoded)
      break;
    auto doc =
        nlohmann::json::parse(it->value().ToStringView(), nullptr, false);
    if (!doc.is_object())
      continue;
    visit(decoded->first, doc.value("stage", decoded->second),
          doc.value("count", std::uint64_t{0}));
  }
  return translate(it->status(), "unmapped stage scan");
}

status store::read_inbox(std::uint64_t after, std::size_t limit,
                         std::vector<domain::webhook_event>& events) {
  events.clear();
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("inbox"))};
  for (it->Seek(sequence_key(after + 1)); it->Valid() && events.size() < limit;
       it->Next()) {
    std::optional<domain::webhook_event> event;
    if (auto s = inbox_event(it->key().ToString(), event); !s.ok())
      return s;
    std::string{}.swap(event->body);
    events.push_back(std::move(*event));
  }
  return translate(it->status(), "inbox scan");
}

status store::for_each_inbox(
    const std::function<void(domain::webhook_event&&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("inbox"))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::optional<domain::webhook_event> event;
    if (auto s = inbox_event(it->key().ToString(), event); !s.ok())
      return s;
    visit(std::move(*event));
  }
  return translate(it->status(), "inbox scan");
}

status
store::release_quarantine(const std::function<bool(std::int64_t)>& onboarded,
                          std::size_t& released) {
  released = 0;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family("quarantine"))};
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto seq = decode_sequence_key(it->key().ToStringView());
    auto event =
        seq ? decode_event(*seq, it->value().ToStringView()) : std::nullopt;
    if (!event || !onboarded(event->tenant_id))
      continue;
    batch.Put(family("events"), it->key(), it->value());
    batch.Put(family("inbox"), it->key(), rocksdb::Slice{});
    batch.Delete(family("quarantine"), it->key());
    ++released;
  }
  if (auto s = translate(it->status(), "quarantine scan"); !s.ok())
    return s;
  if (released == 0)
    return status::success();
  inbox_at_open_ += released;
  return write(batch, true);
}

status store::for_each(
    const std::string& name,
    const std::function<void(const std::string&, const std::string&)>& visit) {
  std::unique_ptr<rocksdb::Iterator> it{
      db_->NewIterator(rocksdb::ReadOptions{}, family(name))};
  for (it->SeekToFirst(); it->Valid(); it->Next())
    visit(it->key().ToString(), it->value().ToString());
  return translate(it->status(), "scan");
}

} // namespace introvy::storage
