// The SQL text of SqliteStore's statements, in one place so that the schema (sqlite_schema.cc) and
// the queries against it can be read side by side. Private to pathwise::store.
#ifndef PATHWISE_STORE_SQLITE_STATEMENTS_H_
#define PATHWISE_STORE_SQLITE_STATEMENTS_H_

namespace pathwise::store::internal::sql {

// Inline variables: one address per statement across translation units, which the per-connection
// statement cache is keyed by (Connection::Prepare).
inline constexpr char kBegin[] = "BEGIN";
inline constexpr char kBeginImmediate[] = "BEGIN IMMEDIATE";
inline constexpr char kCommit[] = "COMMIT";
inline constexpr char kRollback[] = "ROLLBACK";
inline constexpr char kSavepoint[] = "SAVEPOINT write";
inline constexpr char kRelease[] = "RELEASE write";
inline constexpr char kRollbackToSavepoint[] = "ROLLBACK TO write";

// A tenants row is read with its checksum (row_checksum.h), which covers tenant_pk and tenant_id.
// The writer picks tenant_pk (one past the largest, as SQLite would), so that the checksum can
// cover it.
inline constexpr char kSelectTenant[] =
    "SELECT tenant_pk, checksum FROM tenants WHERE tenant_id = ?1";
inline constexpr char kNextTenantPk[] = "SELECT COALESCE(MAX(tenant_pk), 0) + 1 FROM tenants";
inline constexpr char kInsertTenant[] =
    "INSERT INTO tenants (tenant_pk, tenant_id, checksum) VALUES (?1, ?2, ?3)";
inline constexpr char kListTenants[] =
    "SELECT tenant_pk, tenant_id, checksum FROM tenants ORDER BY tenant_id";

inline constexpr char kNextGraphVersion[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM graphs WHERE tenant_pk = ?1";
// Graphs, rosters, models, state origins and jobs are read with the columns their checksum covers
// (row_checksum.h): the payload first, then checksum and tenant_pk. A read that finds its tenant
// by id (JOIN tenants) ends with the tenants row's checksum, t.checksum, which covers that
// tenant_pk and the id bound: a damaged tenants row is found by the read that goes through it.
inline constexpr char kInsertGraph[] =
    "INSERT INTO graphs (tenant_pk, version, graph_json, checksum) VALUES (?1, ?2, ?3, ?4)";
inline constexpr char kSelectLatestGraph[] =
    "SELECT g.version, g.graph_json, g.checksum, g.tenant_pk, t.checksum FROM graphs g "
    "JOIN tenants t ON t.tenant_pk = g.tenant_pk WHERE t.tenant_id = ?1 "
    "ORDER BY g.version DESC LIMIT 1";
inline constexpr char kSelectGraph[] =
    "SELECT g.version, g.graph_json, g.checksum, g.tenant_pk, t.checksum FROM graphs g "
    "JOIN tenants t ON t.tenant_pk = g.tenant_pk WHERE t.tenant_id = ?1 AND g.version = ?2";

inline constexpr char kPutStateOrigin[] =
    "INSERT OR REPLACE INTO state_origins (tenant_pk, origin, checksum) VALUES (?1, ?2, ?3)";
inline constexpr char kClearStateOrigin[] = "DELETE FROM state_origins WHERE tenant_pk = ?1";
inline constexpr char kSelectStateOrigin[] =
    "SELECT s.origin, s.checksum, s.tenant_pk, t.checksum FROM state_origins s "
    "JOIN tenants t ON t.tenant_pk = s.tenant_pk WHERE t.tenant_id = ?1";

inline constexpr char kNextRosterVersion[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM rosters WHERE tenant_pk = ?1";
inline constexpr char kInsertRoster[] =
    "INSERT INTO rosters (tenant_pk, version, roster_json, checksum) VALUES (?1, ?2, ?3, ?4)";
inline constexpr char kSelectLatestRoster[] =
    "SELECT r.version, r.roster_json, r.checksum, r.tenant_pk, t.checksum FROM rosters r "
    "JOIN tenants t ON t.tenant_pk = r.tenant_pk WHERE t.tenant_id = ?1 "
    "ORDER BY r.version DESC LIMIT 1";
inline constexpr char kSelectRoster[] =
    "SELECT r.version, r.roster_json, r.checksum, r.tenant_pk, t.checksum FROM rosters r "
    "JOIN tenants t ON t.tenant_pk = r.tenant_pk WHERE t.tenant_id = ?1 AND r.version = ?2";

inline constexpr char kNextModelVersion[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE tenant_pk = ?1 AND name = ?2";
inline constexpr char kInsertModel[] =
    "INSERT INTO models (tenant_pk, name, version, model_json, checksum) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
inline constexpr char kSelectLatestModel[] =
    "SELECT m.name, m.version, m.model_json, m.checksum, m.tenant_pk, t.checksum FROM models m "
    "JOIN tenants t ON t.tenant_pk = m.tenant_pk WHERE t.tenant_id = ?1 AND m.name = ?2 "
    "ORDER BY m.version DESC LIMIT 1";
inline constexpr char kSelectModel[] =
    "SELECT m.name, m.version, m.model_json, m.checksum, m.tenant_pk, t.checksum FROM models m "
    "JOIN tenants t ON t.tenant_pk = m.tenant_pk WHERE t.tenant_id = ?1 AND m.name = ?2 "
    "AND m.version = ?3";
// The latest version of each name, whole: with MAX(), SQLite takes the other (bare) columns from
// the row that holds the maximum, so that the row listed is verified.
inline constexpr char kListModels[] =
    "SELECT m.name, MAX(m.version), m.model_json, m.checksum, m.tenant_pk, t.checksum "
    "FROM models m JOIN tenants t ON t.tenant_pk = m.tenant_pk WHERE t.tenant_id = ?1 "
    "GROUP BY m.name ORDER BY m.name";

// A learner's row, with the columns its checksum covers as the row holds them (row_checksum.h).
inline constexpr char kSelectLearnerInTenant[] =
    "SELECT learner_pk, version, states, checksum, tenant_pk, learner_id FROM learners "
    "WHERE tenant_pk = ?1 AND learner_id = ?2";
inline constexpr char kSelectLearner[] =
    "SELECT l.learner_pk, l.version, l.states, l.checksum, l.tenant_pk, l.learner_id, t.checksum "
    "FROM learners l JOIN tenants t ON t.tenant_pk = l.tenant_pk WHERE t.tenant_id = ?1 AND "
    "l.learner_id = ?2";
inline constexpr char kInsertLearner[] =
    "INSERT INTO learners (tenant_pk, learner_id, version, states) VALUES (?1, ?2, 0, x'')";
inline constexpr char kUpdateLearner[] =
    "UPDATE learners SET version = ?2, states = ?3, checksum = ?4 WHERE learner_pk = ?1";
inline constexpr char kUpdateLearnerVersion[] =
    "UPDATE learners SET version = ?2, checksum = ?3 WHERE learner_pk = ?1";
inline constexpr char kDeleteLearner[] = "DELETE FROM learners WHERE learner_pk = ?1";
inline constexpr char kListLearners[] =
    "SELECT l.learner_id, l.tenant_pk, t.checksum FROM learners l "
    "JOIN tenants t ON t.tenant_pk = l.tenant_pk "
    "WHERE t.tenant_id = ?1 AND l.learner_id > ?2 ORDER BY l.learner_id LIMIT ?3";
// One pass over the tenant's learners in id order, straight from the unique index: no sort.
inline constexpr char kSelectAllLearners[] =
    "SELECT l.learner_id, l.version, l.states, l.learner_pk, l.checksum, l.tenant_pk, t.checksum "
    "FROM learners l JOIN tenants t ON t.tenant_pk = l.tenant_pk WHERE t.tenant_id = ?1 ORDER BY "
    "l.learner_id";

inline constexpr char kUpsertPolicyState[] =
    "INSERT INTO policy_states (learner_pk, policy, state, checksum) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (learner_pk, policy) DO UPDATE SET state = excluded.state, "
    "checksum = excluded.checksum";
inline constexpr char kDeletePolicyState[] =
    "DELETE FROM policy_states WHERE learner_pk = ?1 AND policy = ?2";
inline constexpr char kSelectPolicyStates[] =
    "SELECT policy, state, checksum, learner_pk FROM policy_states WHERE learner_pk = ?1 "
    "ORDER BY policy";

// The writer picks chunk_pk (one past the largest), so that the checksum can cover it.
inline constexpr char kInsertChunk[] =
    "INSERT INTO event_chunks (chunk_pk, learner_pk, events, checksum) VALUES (?1, ?2, ?3, ?4)";
inline constexpr char kLastChunkPk[] = "SELECT COALESCE(MAX(chunk_pk), 0) FROM event_chunks";
// Chunks are read with the columns their checksum covers: chunk_pk, learner_pk, events, checksum.
inline constexpr char kSelectChunks[] =
    "SELECT chunk_pk, learner_pk, events, checksum FROM event_chunks WHERE learner_pk = ?1";
inline constexpr char kSelectLastChunk[] =
    "SELECT chunk_pk, learner_pk, events, checksum FROM event_chunks WHERE learner_pk = ?1 "
    "ORDER BY chunk_pk DESC LIMIT 1";
inline constexpr char kSelectChunksFrom[] =
    "SELECT chunk_pk, learner_pk, events, checksum FROM event_chunks WHERE learner_pk = ?1 "
    "AND chunk_pk >= ?2 "
    "ORDER BY chunk_pk";

// What CheckIntegrity reads: SQLite's checks (at most 20 problems listed), then every row that
// carries a checksum, with the columns it covers.
inline constexpr char kQuickCheck[] = "PRAGMA quick_check(20)";
inline constexpr char kIntegrityCheck[] = "PRAGMA integrity_check(20)";
inline constexpr char kScanTenants[] = "SELECT tenant_pk, tenant_id, checksum FROM tenants";
inline constexpr char kScanLearners[] =
    "SELECT learner_pk, version, states, checksum, tenant_pk, learner_id FROM learners";
inline constexpr char kScanChunks[] =
    "SELECT chunk_pk, learner_pk, events, checksum FROM event_chunks";
inline constexpr char kScanPolicyStates[] =
    "SELECT policy, state, checksum, learner_pk FROM policy_states";
// The tenant's id last (NULL when the row's tenant_pk names no tenant), to name it in a report.
inline constexpr char kScanGraphs[] =
    "SELECT g.version, g.graph_json, g.checksum, g.tenant_pk, t.tenant_id FROM graphs g "
    "LEFT JOIN tenants t ON t.tenant_pk = g.tenant_pk";
inline constexpr char kScanRosters[] =
    "SELECT r.version, r.roster_json, r.checksum, r.tenant_pk, t.tenant_id FROM rosters r "
    "LEFT JOIN tenants t ON t.tenant_pk = r.tenant_pk";
inline constexpr char kScanModels[] =
    "SELECT m.name, m.version, m.model_json, m.checksum, m.tenant_pk, t.tenant_id FROM models m "
    "LEFT JOIN tenants t ON t.tenant_pk = m.tenant_pk";
inline constexpr char kScanStateOrigins[] =
    "SELECT s.origin, s.checksum, s.tenant_pk, t.tenant_id FROM state_origins s "
    "LEFT JOIN tenants t ON t.tenant_pk = s.tenant_pk";
inline constexpr char kScanJobs[] =
    "SELECT j.job_id, j.kind, j.status, j.progress, j.params_json, j.result_model_name, "
    "j.result_model_version, j.error_message, j.created_ms, j.updated_ms, j.owner, "
    "j.lease_expires_ms, j.checksum, j.tenant_pk, t.tenant_id FROM jobs j "
    "LEFT JOIN tenants t ON t.tenant_pk = j.tenant_pk";

// Rows written before their table had a checksum (NULL; schema versions below 6, 7 and 8) whose
// key is in (?1, ?2], each with what its checksum covers and its key last, and the update that
// gives it one (?1; the key ?2 on, from the row). SqliteStore::CheckIntegrity signs them, once,
// when the file passed its check, in slices of keys, each starting at the next key any table
// holds (kNextKey, a seek in each: keys may be sparse). State origins are keyed by their tenant's
// key, and policy states by their learner's.
inline constexpr char kChecksumBackfillPending[] = "SELECT pending FROM checksum_backfill";
inline constexpr char kChecksumBackfillDone[] = "UPDATE checksum_backfill SET pending = 0";
inline constexpr char kNextKey[] =
    "SELECT MIN(k) FROM (SELECT MIN(tenant_pk) AS k FROM tenants WHERE tenant_pk > ?1 UNION ALL "
    "SELECT MIN(rowid) FROM graphs WHERE rowid > ?1 UNION ALL SELECT MIN(rowid) FROM rosters WHERE "
    "rowid > ?1 UNION ALL SELECT MIN(rowid) FROM models WHERE rowid > ?1 UNION ALL SELECT "
    "MIN(rowid) FROM jobs WHERE rowid > ?1 UNION ALL SELECT MIN(learner_pk) FROM learners WHERE "
    "learner_pk > ?1 UNION ALL SELECT MIN(chunk_pk) FROM event_chunks WHERE chunk_pk > ?1)";
inline constexpr char kUnsignedTenants[] =
    "SELECT tenant_pk, tenant_id FROM tenants WHERE checksum IS NULL AND tenant_pk > ?1 AND "
    "tenant_pk <= ?2";
inline constexpr char kSignTenant[] = "UPDATE tenants SET checksum = ?1 WHERE tenant_pk = ?2";
inline constexpr char kUnsignedGraphs[] =
    "SELECT tenant_pk, version, graph_json, rowid FROM graphs WHERE checksum IS NULL AND rowid > "
    "?1 AND rowid <= ?2";
inline constexpr char kSignGraph[] = "UPDATE graphs SET checksum = ?1 WHERE rowid = ?2";
inline constexpr char kUnsignedRosters[] =
    "SELECT tenant_pk, version, roster_json, rowid FROM rosters WHERE checksum IS NULL AND rowid > "
    "?1 AND rowid <= ?2";
inline constexpr char kSignRoster[] = "UPDATE rosters SET checksum = ?1 WHERE rowid = ?2";
inline constexpr char kUnsignedModels[] =
    "SELECT tenant_pk, name, version, model_json, rowid FROM models WHERE checksum IS NULL AND "
    "rowid > ?1 AND rowid <= ?2";
inline constexpr char kSignModel[] = "UPDATE models SET checksum = ?1 WHERE rowid = ?2";
inline constexpr char kUnsignedStateOrigins[] =
    "SELECT tenant_pk, origin FROM state_origins WHERE checksum IS NULL AND tenant_pk > ?1 AND "
    "tenant_pk <= ?2";
inline constexpr char kSignStateOrigin[] =
    "UPDATE state_origins SET checksum = ?1 WHERE tenant_pk = ?2";
// The job's columns as kScanJobs has them (ReadJob), then tenant_pk and the rowid.
inline constexpr char kUnsignedJobs[] =
    "SELECT job_id, kind, status, progress, params_json, result_model_name, "
    "result_model_version, error_message, created_ms, updated_ms, owner, lease_expires_ms, "
    "tenant_pk, rowid FROM jobs WHERE checksum IS NULL AND rowid > ?1 AND rowid <= ?2";
inline constexpr char kSignJob[] = "UPDATE jobs SET checksum = ?1 WHERE rowid = ?2";
inline constexpr char kUnsignedLearners[] =
    "SELECT learner_pk, tenant_pk, learner_id, version, states FROM learners "
    "WHERE checksum IS NULL AND learner_pk > ?1 AND learner_pk <= ?2";
inline constexpr char kSignLearner[] = "UPDATE learners SET checksum = ?1 WHERE learner_pk = ?2";
inline constexpr char kUnsignedChunks[] =
    "SELECT chunk_pk, learner_pk, events FROM event_chunks WHERE checksum IS NULL AND chunk_pk > "
    "?1 AND chunk_pk <= ?2";
inline constexpr char kSignChunk[] = "UPDATE event_chunks SET checksum = ?1 WHERE chunk_pk = ?2";
// Sliced by learner.
inline constexpr char kUnsignedPolicyStates[] =
    "SELECT learner_pk, policy, state FROM policy_states WHERE checksum IS NULL AND learner_pk > "
    "?1 AND learner_pk <= ?2";
inline constexpr char kSignPolicyState[] =
    "UPDATE policy_states SET checksum = ?1 WHERE learner_pk = ?2 AND policy = ?3";

// Every write of a job writes the whole row (?1-?13) and its checksum (?14): a claim, and an update
// by the job's owner, read the row first (kSelectJobInTenant; the writer is the only one) and
// decide in C++ (store_validation.h ClaimJobRecord), so that the checksum covers what they keep.
inline constexpr char kInsertJob[] =
    "INSERT INTO jobs (tenant_pk, job_id, kind, status, progress, params_json, result_model_name, "
    "result_model_version, error_message, created_ms, updated_ms, owner, lease_expires_ms, "
    "checksum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) "
    "ON CONFLICT (tenant_pk, job_id) DO NOTHING";
inline constexpr char kUpdateJob[] =
    "UPDATE jobs SET kind = ?3, status = ?4, progress = ?5, params_json = ?6, "
    "result_model_name = ?7, result_model_version = ?8, error_message = ?9, created_ms = ?10, "
    "updated_ms = ?11, owner = ?12, lease_expires_ms = ?13, checksum = ?14 "
    "WHERE tenant_pk = ?1 AND job_id = ?2";
inline constexpr char kSelectJobInTenant[] =
    "SELECT job_id, kind, status, progress, params_json, result_model_name, "
    "result_model_version, error_message, created_ms, updated_ms, owner, lease_expires_ms, "
    "checksum, tenant_pk FROM jobs WHERE tenant_pk = ?1 AND job_id = ?2";
inline constexpr char kSelectJob[] =
    "SELECT j.job_id, j.kind, j.status, j.progress, j.params_json, j.result_model_name, "
    "j.result_model_version, j.error_message, j.created_ms, j.updated_ms, j.owner, "
    "j.lease_expires_ms, j.checksum, j.tenant_pk, t.checksum FROM jobs j "
    "JOIN tenants t ON t.tenant_pk = j.tenant_pk WHERE t.tenant_id = ?1 AND j.job_id = ?2";
inline constexpr char kListJobs[] =
    "SELECT j.job_id, j.kind, j.status, j.progress, j.params_json, j.result_model_name, "
    "j.result_model_version, j.error_message, j.created_ms, j.updated_ms, j.owner, "
    "j.lease_expires_ms, j.checksum, j.tenant_pk, t.checksum FROM jobs j "
    "JOIN tenants t ON t.tenant_pk = j.tenant_pk WHERE t.tenant_id = ?1 "
    "ORDER BY j.created_ms, j.job_id";

}  // namespace pathwise::store::internal::sql

#endif  // PATHWISE_STORE_SQLITE_STATEMENTS_H_
