// LearnerStore in a PostgreSQL database: what several pathwised processes can share.
#ifndef PATHWISE_STORE_POSTGRES_STORE_H_
#define PATHWISE_STORE_POSTGRES_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "store/learner_store.h"

namespace pathwise::store {

/// Whether `text` names a PostgreSQL database the way pathwised's `store` setting does: a libpq
/// connection URI, `postgresql://...` or `postgres://...`.
bool IsPostgresUri(std::string_view text);

/// `uri` with its password, if any, replaced by "***", for logs and error messages.
std::string RedactPostgresUri(std::string_view uri);

struct PostgresStoreOptions {
  /// A libpq connection string: a URI (`postgresql://user@host:5432/pathwise?sslmode=require`) or
  /// `key=value` pairs. Leave the password out and use PGPASSWORD or ~/.pgpass so it stays out of
  /// process listings and configs. The tables live in the connection's default schema.
  std::string connection;

  /// Connections kept open; a call waits for a free one beyond this. Bounds what one process asks
  /// of the server's max_connections. In [1, 256].
  int max_connections = 8;

  /// How often a write that PostgreSQL rolled back for a deadlock or a serialization failure is
  /// retried from scratch before the call fails with Unavailable. In [0, 100].
  int max_retries = 5;

  /// Tests only: called inside CommitEvents after a batch's events were written and before its
  /// states are; a non-OK status fails that batch alone. Unset in production.
  std::function<Status(const EventBatch&)> fault_hook_for_testing;

  /// InvalidArgument naming the field when a value is out of range or the connection string does
  /// not parse.
  Status Validate() const;
};

/// A LearnerStore in PostgreSQL (9.5 or newer; tested with 15).
///
/// Every table's key starts with (tenant_id) and every learner table's with (tenant_id,
/// learner_id), so the schema can be distributed by tenant (Citus) or partitioned by hash of the
/// tenant without a rewrite: see docs/postgres-sharding.md.
///
/// Durability and idempotency are SqliteStore's: a write returns OK once its transaction is
/// committed (with synchronous_commit on, the server's default, it is on disk); one CommitEvents is
/// one transaction, so a failed batch stores nothing and policy states commit with their events.
/// Event ids are unique per (tenant, learner) by a unique index, and the learner's row is locked
/// (SELECT ... FOR UPDATE) while its duplicates are found and its events written, so duplicate
/// detection is exact across connections and processes. Learners of a batch are locked in id
/// order; a deadlock or serialization failure reported by the server is retried (max_retries).
///
/// The schema is versioned (table schema_version) and migrated forward on Open, each migration in
/// its own transaction under an advisory lock, so processes starting together migrate once.
///
/// Sequence numbers come from one database sequence: a learner's events are in commit order (its
/// row lock orders its commits); across learners they follow allocation order, which concurrent
/// transactions may commit out of.
///
/// Replicas: every commit that changes a learner, and every put of a graph, model or roster,
/// announces it with NOTIFY on the channel "pathwise_changes" inside its transaction, so the
/// announcement is delivered only if, and once, it commits. WatchChanges LISTENs on a connection
/// of its own (outside the pool) and reports the other store objects' announcements; after a lost
/// connection it reconnects (pausing up to 2 s between attempts) and reports kUnknown.
///
/// If the connection is lost during COMMIT the outcome is unknown and the call returns
/// Unavailable; re-sending the batch is safe, since its event ids make it idempotent.
///
/// Thread safety: every method may be called concurrently from any thread (one connection per
/// call, from a pool).
///
/// Example:
///
///     pathwise::store::PostgresStoreOptions options;
///     options.connection = "postgresql://pathwise@db.internal/pathwise";
///     auto store = pathwise::store::PostgresStore::Open(options);
///     if (!store.ok()) return store.status();
class PostgresStore final : public LearnerStore {
 public:
  /// The newest schema version this build reads and writes.
  static constexpr int kSchemaVersion = 4;

  /// Connects and migrates the schema to kSchemaVersion. InvalidArgument for bad options;
  /// Unavailable when the server cannot be reached or refuses the login; FailedPrecondition when
  /// the database has a schema newer than this build or a migration fails.
  static Result<std::unique_ptr<PostgresStore>> Open(const PostgresStoreOptions& options);

  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

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
  Status DoWatchChanges(ChangeListener listener) override;
  Status DoClose() override;

  struct Impl;
  explicit PostgresStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise::store

#endif  // PATHWISE_STORE_POSTGRES_STORE_H_
