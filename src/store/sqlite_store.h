// LearnerStore in one SQLite database file: the embedded default of pathwised.
#ifndef PATHWISE_STORE_SQLITE_STORE_H_
#define PATHWISE_STORE_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "store/learner_store.h"

namespace pathwise::store {

/// How much of the database SqliteStore checks at Open and on each CheckIntegrity.
enum class SqliteIntegrityCheck {
  /// Nothing (CheckIntegrity returns OK).
  kOff,
  /// SQLite's `PRAGMA quick_check` (the structure of every page and b-tree, every record's
  /// format) and every row checksum: reads the whole file once, 2-4.4 s per GiB on the 2-core
  /// machine of bench/README.md (its page cache warm; about 10 s per GiB cold).
  kQuick,
  /// SQLite's `PRAGMA integrity_check` (quick_check, plus every index entry against its table
  /// row and the UNIQUE constraints) and every row checksum: 1.1-1.5 times quick's time.
  kFull,
};

struct SqliteStoreOptions {
  /// Directory holding the database (`pathwise.db`, its `-wal` and `-shm` files) and a `LOCK` file
  /// that keeps a second process from opening the same data. Created if missing.
  std::string data_dir;

  /// Most writes (event batches, graph puts, ...) committed together in one transaction. Larger
  /// groups amortize the fsync over more writes; smaller ones bound the latency of the first
  /// writer in a group. In [1, 100000].
  int max_writes_per_commit = 1024;

  /// Read connections kept open for concurrent readers (more are opened on demand and closed after
  /// use). In [1, 64].
  int max_idle_readers = 4;

  /// Duplicate detection keeps, in memory, a 64-bit hash of every stored event id of the learners
  /// used most recently (16 to 32 bytes per id, the hash tables being a quarter to half full); a
  /// learner not held is loaded from the database on its next batch. Bounds that memory: 4M ids
  /// take 64 to 128 MiB. In [0, 2^32]; 0 keeps nothing (every batch of a known learner then reads
  /// its stored ids: correct but slow).
  int64_t max_cached_event_ids = int64_t{4} << 20;

  /// What CheckIntegrity checks.
  SqliteIntegrityCheck integrity_check = SqliteIntegrityCheck::kQuick;
  /// Whether Open runs CheckIntegrity, refusing a damaged database with DataLoss.
  bool check_integrity_at_open = true;
  /// Tests only: replaces the hash of event ids, so that tests can make every id collide and check
  /// that duplicate detection stays exact. Unset in production.
  uint64_t (*event_id_hash_for_testing)(std::string_view event_id) = nullptr;

  /// Tests only: called inside CommitEvents after a batch's events were written and before its
  /// states are; a non-OK status fails that batch alone. Unset in production.
  std::function<Status(const EventBatch&)> fault_hook_for_testing;

  /// InvalidArgument naming the field when a value is out of range or data_dir is empty.
  Status Validate() const;
};

/// A LearnerStore in `<data_dir>/pathwise.db`: WAL journal, synchronous=FULL (an acknowledged write
/// survives kill -9 of the process and, as far as the disk honours fsync, power loss), foreign keys
/// on, prepared statements, and a versioned schema migrated forward on open.
///
/// Group commit: every write is validated in the caller's thread, then queued to one writer thread.
/// The writer takes all writes queued while its previous commit was in flight and commits them in
/// one transaction (one fsync), each inside its own SAVEPOINT, so a write that fails inside the
/// store (for example a version mismatch) is rolled back alone and the others still commit. Each
/// caller returns once the transaction holding its write is durable. Duplicate detection stays
/// exact: writes within a group are applied in queue order.
///
/// Layout: a learner's states are one row (an encoded blob), and each commit adds one row per
/// learner holding that learner's new events, because SQLite's cost is per row and per index entry.
/// Event ids are deduplicated with an in-memory index of hashes per learner (see
/// max_cached_event_ids), tagged with the learner's version and confirmed against the stored ids on
/// a hash match, so detection is exact. Sequence numbers of events are chunk row id * 65536 + index
/// in the chunk.
///
/// Reads use separate connections and run concurrently with the writer (WAL snapshots).
///
/// Thread safety: every method may be called concurrently from any thread.
///
/// Example:
///
///     pathwise::store::SqliteStoreOptions options;
///     options.data_dir = "/var/lib/pathwised";
///     auto store = pathwise::store::SqliteStore::Open(options);
///     if (!store.ok()) return store.status();
///     auto version = (*store)->PutGraph("acme", graph_json);
class SqliteStore final : public LearnerStore {
 public:
  /// The newest schema version this build reads and writes.
  static constexpr int kSchemaVersion = 9;

  /// Opens (creating if needed) the database, migrates its schema to kSchemaVersion and checks it
  /// (options.check_integrity_at_open). InvalidArgument for bad options; FailedPrecondition when
  /// the file is not a Pathwise database, is corrupt, has a schema newer than this build, or the
  /// data directory is locked by another process; DataLoss when the check finds damage; Unavailable
  /// when the directory cannot be created or opened.
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteStoreOptions& options);

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  /// The database file's path.
  const std::string& path() const;

  /// Statistics of the group commit since Open, for benchmarks, logs and tests.
  struct CommitStats {
    uint64_t transactions = 0;  ///< group transactions committed (one WAL fsync each)
    uint64_t writes = 0;        ///< writes taken by the writer, including rejected ones
    uint64_t max_writes_per_transaction = 0;  ///< the largest group so far
    uint64_t queued_writes = 0;               ///< writes waiting for the writer right now
  };
  CommitStats commit_stats() const;

 private:
  Result<int64_t> DoPutGraph(std::string_view tenant_id, std::string_view graph_json) override;
  Result<GraphVersion> DoGetGraph(std::string_view tenant_id, int64_t version) override;
  Result<int64_t> DoPutRoster(std::string_view tenant_id, std::string_view roster_json) override;
  Result<RosterVersion> DoGetRoster(std::string_view tenant_id, int64_t version) override;
  Result<int64_t> DoPutModel(std::string_view tenant_id, std::string_view name,
                             std::string_view model_json) override;
  Result<ModelVersion> DoGetModel(std::string_view tenant_id, std::string_view name,
                                  int64_t version) override;
  Result<std::vector<ModelVersion>> DoListModels(std::string_view tenant_id) override;
  Result<CommitResult> DoCommitEvents(const EventBatch& batch,
                                      const std::vector<size_t>& learner_of_event) override;
  Result<std::vector<bool>> DoFindRecordedEvents(
      std::string_view tenant_id, std::string_view learner_id,
      const std::vector<std::string>& event_ids) override;
  Result<StoredLearner> DoGetLearner(std::string_view tenant_id,
                                     std::string_view learner_id) override;
  Status DoForEachLearner(std::string_view tenant_id,
                          const std::function<Status(const StoredLearner&)>& visitor) override;
  Result<std::vector<StoredObservation>> DoListEvents(std::string_view tenant_id,
                                                      std::string_view learner_id,
                                                      int64_t after_sequence,
                                                      size_t limit) override;
  Result<std::vector<std::string>> DoListLearners(std::string_view tenant_id,
                                                  std::string_view after_learner_id,
                                                  size_t limit) override;
  Status DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) override;
  Result<std::string> DoGetStateOrigin(std::string_view tenant_id) override;
  Status DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) override;
  Result<CommitResult> DoReplaceLearner(const LearnerUpdate& update, const EventBatch& fresh,
                                        const std::vector<size_t>& learner_of_event) override;
  Result<std::vector<std::string>> DoListTenants() override;
  Status DoCreateJob(std::string_view tenant_id, const JobRecord& job) override;
  Status DoUpdateJob(std::string_view tenant_id, const JobRecord& job) override;
  Result<JobRecord> DoGetJob(std::string_view tenant_id, std::string_view job_id) override;
  Result<std::vector<JobRecord>> DoListJobs(std::string_view tenant_id) override;
  Result<std::optional<JobRecord>> DoClaimJob(std::string_view tenant_id, std::string_view job_id,
                                              std::string_view owner, TimestampMs now_ms,
                                              TimestampMs lease_until_ms) override;
  Result<bool> DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) override;
  // One process only (a single-process store): no one else's changes to hear.
  Status DoWatchChanges(ChangeListener) override { return Status::Ok(); }
  Status DoCheckIntegrity() override;
  Status DoClose() override;

  struct Impl;
  explicit SqliteStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise::store

#endif  // PATHWISE_STORE_SQLITE_STORE_H_
