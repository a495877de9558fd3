// What SqliteStore's source files share: its state (SqliteStore::Impl) and the helpers more than
// one entity needs. Private to pathwise::store. The store is spread over:
//   sqlite_store.cc         options, Open and Close
//   sqlite_schema.cc        the migrations and the settings every database is opened with
//   sqlite_statements.h     the SQL text
//   sqlite_group_commit.cc  the writer thread and its group transactions
//   sqlite_reader_pool.cc   the read connections
//   sqlite_directory_lock.cc
//   sqlite_tenants.cc, sqlite_curriculum.cc (graphs, rosters, models and state origins),
//   sqlite_learners.cc (events, learner states and policy states, and the integrity sweep over
//   every row), sqlite_jobs.cc: one file per kind of thing stored.
#ifndef PATHWISE_STORE_SQLITE_STORE_IMPL_H_
#define PATHWISE_STORE_SQLITE_STORE_IMPL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/event_id_cache.h"
#include "store/row_checksum.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_directory_lock.h"
#include "store/sqlite_group_commit.h"
#include "store/sqlite_reader_pool.h"
#include "store/sqlite_store.h"

namespace pathwise::store {

struct SqliteStore::Impl {
  SqliteStoreOptions options;
  std::string path;
  std::unique_ptr<internal::DirectoryLock> lock;

  // Hashes of stored event ids per learner (see event_id_cache.h), changed by the writer only. A
  // write reports the learners whose entries it changed (GroupCommitWriter::Touch), and the writer
  // forgets those entries when the write or its group is rolled back.
  std::unique_ptr<internal::EventIdCache> event_ids;

  std::unique_ptr<internal::ReaderPool> readers;
  std::unique_ptr<internal::GroupCommitWriter> writer;
  // The largest event chunk key handed out, used by the writer only: it picks each chunk's key
  // itself so that the chunk's checksum covers it (sequences follow from it).
  int64_t last_chunk_pk = 0;

  // ---- Events (sqlite_learners.cc) -------------------------------------------------------------

  uint64_t HashId(std::string_view event_id) const;

  // The hashes of a learner's stored event ids, as `db` sees them.
  Result<internal::IdHashSet> LoadIdHashes(internal::Connection& db, int64_t learner_pk) const;

  // For each of `ids` (all nonempty), whether the learner has stored it, as `db` sees the learner
  // at `version`: hashes from the cache (loaded and cached on a miss), then a scan of the stored
  // ids only when a hash matches, which is rare outside re-deliveries. `touched`, when set, is
  // told about a learner whose cache entry was installed.
  Result<std::vector<bool>> FindStored(internal::Connection& db, int64_t learner_pk,
                                       uint64_t version, const std::vector<std::string_view>& ids,
                                       internal::GroupCommitWriter* touched);

  // ---- Integrity (sqlite_learners.cc) ----------------------------------------------------------

  // DoCheckIntegrity's check, on one read snapshot: whether rows written before their table had a
  // checksum are left to sign (the file passed); the damage otherwise.
  Result<bool> CheckOnOneSnapshot();

  // Gives each row written before its table had a checksum one, once (checksum_backfill). Only
  // after a check of the whole file has passed: a checksum signs the row as it is, so the file
  // must be sound by every other measure first (as pg_checksums --enable does for PostgreSQL's
  // pages). Every row a write changed since that check's snapshot has its checksum already. In
  // slices of keys, a writer transaction each, so that clients' writes go on between them; the
  // database is marked done in the last. As many slices as there are runs of keys, whatever the
  // keys' magnitude.
  Status SignRowsWrittenBeforeChecksums();

  // The body of CommitEvents, run by the writer inside the batch's savepoint.
  Status ApplyEventBatch(internal::Connection& db, const EventBatch& batch,
                         const std::vector<size_t>& learner_of_event, CommitResult* result);
};

namespace internal {

// ---- Tenants (sqlite_tenants.cc) ---------------------------------------------------------------

/// The tenant's key, or nothing when the tenant has nothing stored. Its tenants row is verified
/// (VerifyTenantRow); when there is none, every tenants row is (VerifyTenantRows), since one of
/// them may be this tenant's, damaged in its id.
Result<std::optional<int64_t>> FindTenant(Connection& db, std::string_view tenant_id);

/// Calls visit(tenant_id) for every tenant, each row verified first (VerifyTenantRow): the first
/// damaged row ends the walk with its error.
Status ForEachTenant(Connection& db, const std::function<void(std::string tenant_id)>& visit);

/// ForEachTenant's check alone. SqliteStore::Open runs it whatever its integrity check: a tenant
/// whose id is damaged is otherwise reached by no read.
Status VerifyTenantRows(Connection& db);

/// What a read that found nothing of a tenant (no such graph, learner, job, ...) must check before
/// it says so: OK when the tenant's row is there and sound, or when it is not there and no tenants
/// row is damaged (FindTenant); the damage otherwise, since a tenant whose id is damaged is reached
/// by no read, and its data would look gone.
Status CheckTenantMiss(Connection& db, std::string_view tenant_id);

/// The tenant's key, inserting the tenant (with its checksum) first if needed (writes only).
Result<int64_t> GetOrCreateTenant(Connection& db, std::string_view tenant_id);

/// OK when the tenants row a statement went through (its tenant_pk and checksum in the columns
/// given, the checksum NULL for a row written before version 8, and `tenant_id`) matches;
/// ChecksumMismatch naming the tenant and the row otherwise. Every read that finds a tenant by its
/// id checks the row it went through: a statement that joins tenants selects t.checksum, and the
/// tenant_pk it joined on and the id it bound are the rest.
Status VerifyTenantRow(const Statement& row, int tenant_pk_column, int checksum_column,
                       std::string_view tenant_id);

// ---- Row checksums (row_checksum.h) ------------------------------------------------------------

/// The checksum in column `column` of the row a statement is on; nothing for a row written before
/// its table had checksums (NULL).
std::optional<int64_t> StoredChecksum(const Statement& row, int column);

/// The rows of a table whose key is in (after, up_to].
struct KeySlice {
  int64_t after = 0;
  int64_t up_to = 0;
};

/// Calls sign(row, update) for each row that `unsigned_sql` yields for `keys` (bound as ?1 and
/// ?2), then runs `update_sql`: sign binds the row's checksum (?1) and its key (?2 on). The rows
/// are those of one table whose checksum is NULL; the writer's connection only.
Status SignRows(Connection& db, const char* unsigned_sql, const char* update_sql,
                const KeySlice& keys,
                const std::function<void(const Statement& row, Statement& update)>& sign);

// Give each row in `keys` written before its table had a checksum one (SignRows), table by table:
// SignTenantRows (sqlite_tenants.cc), SignCurriculumRows (graphs, rosters, models and state
// origins: sqlite_curriculum.cc), SignJobRows (sqlite_jobs.cc) and SignLearnerRows (learners,
// event chunks and policy states, by learner: sqlite_learners.cc).
Status SignTenantRows(Connection& db, const KeySlice& keys);
Status SignCurriculumRows(Connection& db, const KeySlice& keys);
Status SignJobRows(Connection& db, const KeySlice& keys);
Status SignLearnerRows(Connection& db, const KeySlice& keys);

/// "tenant 'acme'"; a tenant whose id is not known (empty) by its key, "tenant #3".
std::string NameTenant(std::string_view tenant_id, int64_t tenant_pk);

// OK when the row a statement is on matches its checksum, ChecksumMismatch naming the tenant (by
// `tenant_id`, or its key when empty) and the row otherwise. Each row kind is read, here and by
// the integrity sweep (SqliteStore::DoCheckIntegrity), with its columns in the order given.

/// graphs (sqlite_curriculum.cc): version, graph_json, checksum, tenant_pk.
Status VerifyGraphRow(const Statement& row, std::string_view tenant_id);
/// rosters (sqlite_curriculum.cc): version, roster_json, checksum, tenant_pk.
Status VerifyRosterRow(const Statement& row, std::string_view tenant_id);
/// models (sqlite_curriculum.cc): name, version, model_json, checksum, tenant_pk.
Status VerifyModelRow(const Statement& row, std::string_view tenant_id);
/// state_origins (sqlite_curriculum.cc): origin, checksum, tenant_pk.
Status VerifyStateOriginRow(const Statement& row, std::string_view tenant_id);
/// jobs (sqlite_jobs.cc): job_id, kind, status, progress, params_json, result_model_name,
/// result_model_version, error_message, created_ms, updated_ms, owner, lease_expires_ms, checksum,
/// tenant_pk.
Status VerifyJobRow(const Statement& row, std::string_view tenant_id);

}  // namespace internal
}  // namespace pathwise::store

#endif  // PATHWISE_STORE_SQLITE_STORE_IMPL_H_
