#include "store/sqlite_schema.h"

#include <cstdint>
#include <string>

#include "store/sqlite_store.h"

namespace pathwise::store::internal {
namespace {

// "PWDB": marks the file as ours in the SQLite header, so opening someone else's database fails
// with a clear message instead of a confusing schema error.
constexpr int32_t kApplicationId = 0x50574442;

// Migration i takes the schema from version i to i + 1; each runs in its own transaction. Never
// edit a migration that has shipped: add the next one.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (0);
CREATE TABLE tenants (
  tenant_pk INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL UNIQUE
);
CREATE TABLE graphs (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  version INTEGER NOT NULL,
  graph_json TEXT NOT NULL,
  UNIQUE (tenant_pk, version)
);
CREATE TABLE models (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  model_json TEXT NOT NULL,
  UNIQUE (tenant_pk, name, version)
);
-- AUTOINCREMENT: a learner key is never reused after a deletion, so nothing cached about a deleted
-- learner can be mistaken for a new one. `states` is the learner's states in one blob
-- (store_codec.h), rewritten by each commit that changes them.
CREATE TABLE learners (
  learner_pk INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  learner_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  states BLOB NOT NULL,
  UNIQUE (tenant_pk, learner_id)
);
-- One row per learner per commit holding that commit's new events of the learner (store_codec.h).
-- An event's sequence is chunk_pk * 65536 + its index in the chunk. Event ids are deduplicated
-- against an in-memory index of hashes (event_id_cache.h) confirmed against these rows.
CREATE TABLE event_chunks (
  chunk_pk INTEGER PRIMARY KEY,
  learner_pk INTEGER NOT NULL REFERENCES learners (learner_pk) ON DELETE CASCADE,
  events BLOB NOT NULL
);
CREATE INDEX event_chunks_by_learner ON event_chunks (learner_pk, chunk_pk);
CREATE TABLE jobs (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  job_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status INTEGER NOT NULL,
  progress REAL NOT NULL,
  params_json TEXT NOT NULL,
  result_model_name TEXT NOT NULL,
  result_model_version INTEGER NOT NULL,
  error_message TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (tenant_pk, job_id)
);
)sql",
    // 1 -> 2: the recommendation policies' per-learner states (learner_store.h PolicyState), one
    // row per (learner, policy), written by the commit of the events that produced them.
    R"sql(
CREATE TABLE policy_states (
  learner_pk INTEGER NOT NULL REFERENCES learners (learner_pk) ON DELETE CASCADE,
  policy TEXT NOT NULL,
  state BLOB NOT NULL,
  PRIMARY KEY (learner_pk, policy)
) WITHOUT ROWID;
)sql",
    // 2 -> 3: rosters (OneRoster classes and their learners), versioned like graphs.
    R"sql(
CREATE TABLE rosters (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  version INTEGER NOT NULL,
  roster_json TEXT NOT NULL,
  UNIQUE (tenant_pk, version)
);
)sql",
    // 3 -> 4: under what each tenant's stored learner states were derived (learner_store.h
    // PutStateOrigin); no row: unknown.
    R"sql(
CREATE TABLE state_origins (
  tenant_pk INTEGER PRIMARY KEY REFERENCES tenants (tenant_pk),
  origin TEXT NOT NULL
);
)sql",
    // 4 -> 5: fit job leases (learner_store.h ClaimJob): who runs a job and until when.
    R"sql(
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_expires_ms INTEGER NOT NULL DEFAULT 0;
)sql",
    // 5 -> 6: a CRC-32C of each learner row, event chunk and policy state (row_checksum.h),
    // written with the row and checked on every read. NULL: a row written before, accepted as is.
    R"sql(
ALTER TABLE learners ADD COLUMN checksum INTEGER;
ALTER TABLE event_chunks ADD COLUMN checksum INTEGER;
ALTER TABLE policy_states ADD COLUMN checksum INTEGER;
)sql",
    // 6 -> 7: the same for the rest of the rows that hold data: graphs, models, rosters, jobs and
    // state origins.
    R"sql(
ALTER TABLE graphs ADD COLUMN checksum INTEGER;
ALTER TABLE models ADD COLUMN checksum INTEGER;
ALTER TABLE rosters ADD COLUMN checksum INTEGER;
ALTER TABLE jobs ADD COLUMN checksum INTEGER;
ALTER TABLE state_origins ADD COLUMN checksum INTEGER;
)sql",
    // 7 -> 8: the same for tenants (over tenant_pk and tenant_id), which every other row refers to
    // by its key: a damaged tenant_id would hide a tenant's data, a damaged tenant_pk give it
    // another tenant's rows.
    R"sql(
ALTER TABLE tenants ADD COLUMN checksum INTEGER;
)sql",
    // 8 -> 9: rows written before their table had a checksum (NULL) are given one by the first
    // check of the whole file that passes (SqliteStore::DoCheckIntegrity); until then they are
    // read as they are. pending: 1 until that check, 0 for a new database (every row it will hold
    // is written with its checksum; every row refers to a tenant).
    R"sql(
CREATE TABLE checksum_backfill (pending INTEGER NOT NULL);
INSERT INTO checksum_backfill (pending) SELECT EXISTS (SELECT 1 FROM tenants);
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == SqliteStore::kSchemaVersion,
              "one migration per schema version");

// Reads the schema version of an opened database, telling a fresh file (0) from a foreign or
// damaged one.
Result<int64_t> ReadSchemaVersion(Connection& db, const std::string& path) {
  // Reading the header is the first real I/O: a file that is not a database fails here.
  PATHWISE_ASSIGN_OR_RETURN(const int64_t application_id, db.QueryInt("PRAGMA application_id"));
  PATHWISE_ASSIGN_OR_RETURN(const int64_t num_objects,
                            db.QueryInt("SELECT COUNT(*) FROM sqlite_master"));
  if (application_id == 0 && num_objects == 0) return 0;  // a new, empty database
  if (application_id != kApplicationId) {
    return Status::FailedPrecondition("'" + path +
                                      "' is an SQLite database but not a Pathwise store "
                                      "(application_id " +
                                      std::to_string(application_id) + ")");
  }
  Result<int64_t> version = db.QueryInt("SELECT version FROM schema_version");
  if (!version.ok()) {
    return Status::FailedPrecondition(
        "'" + path + "' has no readable schema version: " + version.status().message());
  }
  return version;
}

Status Migrate(Connection& db, const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(const int64_t version, ReadSchemaVersion(db, path));
  if (version > SqliteStore::kSchemaVersion) {
    return Status::FailedPrecondition(
        "'" + path + "' has schema version " + std::to_string(version) +
        ", newer than this build supports (" + std::to_string(SqliteStore::kSchemaVersion) +
        "): run a newer pathwised, or restore a backup made by this version");
  }
  if (version < 0) {
    return Status::FailedPrecondition("'" + path + "' has an invalid schema version " +
                                      std::to_string(version));
  }
  for (int64_t from = version; from < SqliteStore::kSchemaVersion; ++from) {
    const std::string context =
        "migrating '" + path + "' to schema version " + std::to_string(from + 1);
    PATHWISE_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE").WithContext(context));
    Status status = db.Exec(kMigrations[from]);
    if (status.ok()) {
      const std::string finish = "UPDATE schema_version SET version = " + std::to_string(from + 1) +
                                 "; PRAGMA application_id = " + std::to_string(kApplicationId) +
                                 "; COMMIT";
      status = db.Exec(finish.c_str());
    }
    if (!status.ok()) {
      (void)db.Exec("ROLLBACK");
      return status.WithContext(context);
    }
  }
  return Status::Ok();
}

}  // namespace

Status PrepareDatabase(Connection& db, const std::string& path) {
  // Check what the file is before changing anything in it.
  PATHWISE_RETURN_IF_ERROR(ReadSchemaVersion(db, path).status());
  PATHWISE_ASSIGN_OR_RETURN(Statement journal, db.Prepare("PRAGMA journal_mode = WAL"));
  PATHWISE_ASSIGN_OR_RETURN(const bool row, journal.Step());
  if (!row || journal.ColumnText(0) != "wal") {
    return Status::Unavailable("'" + path + "' cannot use WAL journaling (journal mode '" +
                               (row ? journal.ColumnText(0) : std::string()) + "')");
  }
  journal.Reset();
  // FULL: the WAL is fsynced at every commit, so an acknowledged write survives a crash of the
  // machine, not only of the process. The writer's page cache is larger than the default so the
  // hot parts of the indexes stay in memory.
  PATHWISE_RETURN_IF_ERROR(
      db.Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536"));
  return Migrate(db, path);
}

}  // namespace pathwise::store::internal
