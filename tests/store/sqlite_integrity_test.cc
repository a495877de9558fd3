// Damage to SqliteStore's file is refused at open, reported on read or by CheckIntegrity, and
// never served as altered data (issue 15, defect 16): row checksums (schema version 6 for learner
// rows, event chunks and policy states, 7 for graphs, rosters, models, state origins and jobs, 8
// for tenants; from 9 the rows written before get theirs from the first check that passes),
// SQLite's quick_check, and UTF-8 checks on what is read back.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

using testing::LearnerBatch;
using testing::TempDir;

SqliteStoreOptions OptionsFor(const std::string& dir, bool check_at_open = true) {
  SqliteStoreOptions options;
  options.data_dir = dir;
  options.check_integrity_at_open = check_at_open;
  return options;
}

// Runs SQL on the database file with a connection of its own.
void RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
}

std::vector<int64_t> QueryInts(const std::string& path, const std::string& sql) {
  std::vector<int64_t> out;
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      while (sqlite3_step(stmt) == SQLITE_ROW) out.push_back(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

std::string Db(const TempDir& dir) { return dir.path() + "/pathwise.db"; }

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A learner with events in three commits and a policy state.
void WriteLearner(LearnerStore& store, const std::string& tenant, const std::string& learner,
                  int events) {
  for (int commit = 0; commit < 3; ++commit) {
    EventBatch batch = LearnerBatch(tenant, learner, learner + "-c" + std::to_string(commit) + "-",
                                    events, 1000 * (commit + 1));
    batch.learners[0].policy_states.push_back(
        {"zpdes", "state of " + learner + " after " + std::to_string(commit)});
    ASSERT_OK(store.CommitEvents(batch));
  }
}

TEST(SqliteIntegrityTest, DamagedRowsAreDataLossNamingTenantLearnerAndRow) {
  const struct {
    const char* damage;
    const char* names;  // in the error of a read of ann
  } kCases[] = {
      // A state's value changed in place: the blob still decodes.
      // No states at all: a blob that decodes.
      {"UPDATE learners SET states = x'' WHERE learner_id = 'ann'", "learners row"},
      {"UPDATE learners SET version = version + 1 WHERE learner_id = 'ann'", "learners row"},
      {"UPDATE event_chunks SET events = CAST(replace(CAST(events AS TEXT), 'ann-c1-1', "
       "'ann-c1-7') AS BLOB) WHERE chunk_pk = (SELECT MIN(chunk_pk) + 1 FROM event_chunks "
       "WHERE learner_pk = (SELECT learner_pk FROM learners WHERE learner_id = 'ann'))",
       "event chunk"},
      {"UPDATE policy_states SET state = 'altered' WHERE learner_pk = "
       "(SELECT learner_pk FROM learners WHERE learner_id = 'ann')",
       "policy 'zpdes'"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.damage);
    TempDir dir;
    {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
      ASSERT_OK(store);
      WriteLearner(**store, "acme", "ann", 4);
      WriteLearner(**store, "acme", "bob", 4);
    }
    RunSql(Db(dir), c.damage);

    // The check at open refuses the file.
    Result<std::unique_ptr<SqliteStore>> refused = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), "fails its checksum")) << refused.status();

    // Unchecked at open, the read that meets the row reports it; the other learner is served.
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    Status read = (*store)->GetLearner("acme", "ann").status();
    if (read.ok()) read = (*store)->ListEvents("acme", "ann", 0, 0).status();
    EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
    EXPECT_TRUE(Contains(read.message(), "tenant 'acme', learner 'ann'")) << read;
    EXPECT_TRUE(Contains(read.message(), c.names)) << read;
    EXPECT_OK((*store)->GetLearner("acme", "bob"));
    EXPECT_OK((*store)->ListEvents("acme", "bob", 0, 0));

    // CheckIntegrity finds it too, and from then on the store serves nothing.
    Status checked = (*store)->CheckIntegrity();
    EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
    EXPECT_EQ((*store)->GetLearner("acme", "bob").status().code(), StatusCode::kDataLoss);
    EXPECT_EQ((*store)->ListTenants().status().code(), StatusCode::kDataLoss);
  }
}

// Damage that SQLite's own check finds (a b-tree page's header), while the store is open.
TEST(SqliteIntegrityTest, CheckIntegrityOfAnOpenStoreFindsDamagedPages) {
  TempDir dir;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
  ASSERT_OK(store);
  for (int i = 0; i < 20; ++i) WriteLearner(**store, "acme", "l" + std::to_string(i), 50);
  ASSERT_OK((*store)->CheckIntegrity());
  ASSERT_OK((*store)->Close());
  const std::vector<int64_t> pages = QueryInts(
      Db(dir), "SELECT pageno FROM dbstat WHERE name = 'event_chunks' AND pagetype = 'leaf'");
  ASSERT_FALSE(pages.empty());
  // Not checked at open, so that no reader holds the page in its cache when it is damaged.
  store = SqliteStore::Open(OptionsFor(dir.path(), false));
  ASSERT_OK(store);
  {
    // The page's cell count, rewritten behind the store's back.
    std::fstream file(Db(dir), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp((pages[0] - 1) * 4096 + 3);
    file.put(static_cast<char>(0x7f));
  }
  Status checked = (*store)->CheckIntegrity();
  EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
  EXPECT_TRUE(Contains(checked.message(), "is damaged")) << checked;
  EXPECT_TRUE(Contains(checked.message(), Db(dir))) << checked;
  EXPECT_EQ((*store)->GetLearner("acme", "l0").status().code(), StatusCode::kDataLoss);
}

// Every table whose rows carry a checksum.
const char* const kEveryCheckedTable[] = {"tenants",  "graphs",       "models",
                                          "rosters",  "jobs",         "state_origins",
                                          "learners", "event_chunks", "policy_states"};

// SQL that takes a store back to schema version 5, as a store written then would be: no checksum
// columns, nothing to sign recorded.
std::string BackToVersion5() {
  std::string sql;
  for (const char* table : kEveryCheckedTable) {
    sql += std::string("ALTER TABLE ") + table + " DROP COLUMN checksum; ";
  }
  return sql + "DROP TABLE checksum_backfill; UPDATE schema_version SET version = 5; ";
}

// A store written before schema version 6 has no checksums: opened without a check, its rows are
// read as they are, the migration adds the column, and rows written after it carry checksums.
// Ids read back must still be UTF-8.
TEST(SqliteIntegrityTest, RowsWrittenBeforeChecksumsAreAcceptedButNotInvalidUtf8) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    WriteLearner(**store, "acme", "ann", 3);
    WriteLearner(**store, "acme", "bob", 3);
  }
  RunSql(Db(dir), BackToVersion5());
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    Result<std::vector<StoredObservation>> events = (*store)->ListEvents("acme", "ann", 0, 0);
    ASSERT_OK(events);
    EXPECT_EQ(events->size(), 9u);
    ASSERT_OK((*store)->GetLearner("acme", "ann"));
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "cid", "new-", 2)));
  }
  EXPECT_EQ(QueryInts(Db(dir), "SELECT version FROM schema_version"),
            std::vector<int64_t>{SqliteStore::kSchemaVersion});
  EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM event_chunks WHERE checksum IS NULL"),
            std::vector<int64_t>{6});
  // Bob's first chunk, unchecked, gets an event id that is not UTF-8 (0xff).
  RunSql(Db(dir),
         "UPDATE event_chunks SET events = CAST(replace(CAST(events AS TEXT), 'bob-c0-1', "
         "'bob-c0-' || CAST(x'ff' AS TEXT)) AS BLOB) WHERE chunk_pk = (SELECT MIN(chunk_pk) FROM "
         "event_chunks WHERE learner_pk = (SELECT learner_pk FROM learners WHERE learner_id = "
         "'bob'))");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
  ASSERT_OK(store);
  Status read = (*store)->ListEvents("acme", "bob", 0, 0).status();
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
  EXPECT_TRUE(Contains(read.message(), "not UTF-8")) << read;
  EXPECT_TRUE(Contains(read.message(), "learner 'bob'")) << read;
  EXPECT_OK((*store)->ListEvents("acme", "ann", 0, 0));
}

// A tenant's graphs (2), roster, models (2 of "default", 1 of "other"), state origin and a job
// that went through every kind of write of a job: created, claimed, its progress updated by its
// owner, claimed again by another replica once the lease expired, cancelled.
void WriteCurriculumAndJob(LearnerStore& store, const std::string& tenant) {
  ASSERT_OK(store.PutGraph(tenant, "graph v1 of " + tenant));
  ASSERT_OK(store.PutGraph(tenant, "graph v2 of " + tenant));
  ASSERT_OK(store.PutRoster(tenant, "roster of " + tenant));
  ASSERT_OK(store.PutModel(tenant, "default", "model v1 of " + tenant));
  ASSERT_OK(store.PutModel(tenant, "default", "model v2 of " + tenant));
  ASSERT_OK(store.PutModel(tenant, "other", "other model of " + tenant));
  ASSERT_OK(store.PutStateOrigin(tenant, "origin of " + tenant));
  JobRecord job;
  job.job_id = "fit-1";
  job.kind = "fit";
  job.params_json = "{\"tenant\": \"" + tenant + "\"}";
  job.created_ms = 1000;
  job.updated_ms = 1000;
  ASSERT_OK(store.CreateJob(tenant, job));
  Result<std::optional<JobRecord>> claimed =
      store.ClaimJob(tenant, "fit-1", "replica-a", 2000, 3000);
  ASSERT_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  JobRecord progress = **claimed;
  progress.progress = 0.375;
  progress.updated_ms = 2500;
  Result<bool> updated = store.UpdateClaimedJob(tenant, progress);
  ASSERT_OK(updated);
  ASSERT_TRUE(*updated);
  claimed = store.ClaimJob(tenant, "fit-1", "replica-b", 4000, 5000);
  ASSERT_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  JobRecord cancelled = **claimed;
  cancelled.status = JobStatus::kCancelled;
  cancelled.progress = -0.0;  // a REAL SQLite may store as the integer 0
  cancelled.error_message = "cancelled by " + tenant;
  cancelled.updated_ms = 4500;
  ASSERT_OK(store.UpdateJob(tenant, cancelled));
}

// Reads of everything WriteCurriculumAndJob wrote, each checked against what it wrote.
void ExpectCurriculumAndJob(LearnerStore& store, const std::string& tenant) {
  Result<GraphVersion> graph = store.GetGraph(tenant, 1);
  ASSERT_OK(graph);
  EXPECT_EQ(graph->graph_json, "graph v1 of " + tenant);
  graph = store.GetGraph(tenant, kLatestVersion);
  ASSERT_OK(graph);
  EXPECT_EQ(graph->graph_json, "graph v2 of " + tenant);
  Result<RosterVersion> roster = store.GetRoster(tenant, kLatestVersion);
  ASSERT_OK(roster);
  EXPECT_EQ(roster->roster_json, "roster of " + tenant);
  Result<ModelVersion> model = store.GetModel(tenant, "default", 1);
  ASSERT_OK(model);
  EXPECT_EQ(model->model_json, "model v1 of " + tenant);
  model = store.GetModel(tenant, "default", kLatestVersion);
  ASSERT_OK(model);
  EXPECT_EQ(model->model_json, "model v2 of " + tenant);
  Result<std::vector<ModelVersion>> models = store.ListModels(tenant);
  ASSERT_OK(models);
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].version, 2);
  Result<std::string> origin = store.GetStateOrigin(tenant);
  ASSERT_OK(origin);
  EXPECT_EQ(*origin, "origin of " + tenant);
  Result<JobRecord> job = store.GetJob(tenant, "fit-1");
  ASSERT_OK(job);
  EXPECT_EQ(job->status, JobStatus::kCancelled);
  EXPECT_EQ(job->owner, "replica-b");
  EXPECT_EQ(job->progress, 0.0);
  EXPECT_EQ(job->error_message, "cancelled by " + tenant);
  EXPECT_EQ(job->lease_expires_ms, 5000);
  Result<std::vector<JobRecord>> jobs = store.ListJobs(tenant);
  ASSERT_OK(jobs);
  EXPECT_EQ(jobs->size(), 1u);
}

const char* const kCheckedTables[] = {"graphs", "models",        "rosters",
                                      "jobs",   "state_origins", "tenants"};

TEST(SqliteIntegrityTest, DamagedCurriculumAndJobRowsAreDataLossNamingTenantAndRow) {
  const std::string acme = "(SELECT tenant_pk FROM tenants WHERE tenant_id = 'acme')";
  const struct {
    std::string damage;
    std::function<Status(LearnerStore&, const std::string&)> read;  // of the tenant's row
    const char* names;  // in the errors about acme's row
  } kCases[] = {
      {"UPDATE graphs SET graph_json = 'graph v1 of acmf' WHERE version = 1 AND tenant_pk = " +
           acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetGraph(tenant, 1).status();
       },
       "tenant 'acme': graph version 1 fails its checksum"},
      // The latest graph moved to another version.
      {"UPDATE graphs SET version = 3 WHERE version = 2 AND tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetGraph(tenant, kLatestVersion).status();
       },
       "tenant 'acme': graph version 3 fails its checksum"},
      {"UPDATE rosters SET roster_json = 'roster of acmf' WHERE tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetRoster(tenant, kLatestVersion).status();
       },
       "tenant 'acme': roster version 1 fails its checksum"},
      {"UPDATE models SET model_json = 'model v2 of acmf' WHERE version = 2 AND tenant_pk = " +
           acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetModel(tenant, "default", kLatestVersion).status();
       },
       "tenant 'acme': model 'default' version 2 fails its checksum"},
      // A model's name altered: listed, it must not be served.
      {"UPDATE models SET name = 'othes' WHERE name = 'other' AND tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.ListModels(tenant).status();
       },
       "tenant 'acme': model 'othes' version 1 fails its checksum"},
      {"UPDATE state_origins SET origin = 'origin of acmf' WHERE tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetStateOrigin(tenant).status();
       },
       "tenant 'acme': its state origin fails its checksum"},
      {"UPDATE jobs SET progress = 0.5 WHERE tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.GetJob(tenant, "fit-1").status();
       },
       "tenant 'acme': job 'fit-1' fails its checksum"},
      {"UPDATE jobs SET status = 3, error_message = '' WHERE tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.ListJobs(tenant).status();
       },
       "tenant 'acme': job 'fit-1' fails its checksum"},
      // A damaged job is not claimed either.
      {"UPDATE jobs SET status = 1 WHERE tenant_pk = " + acme,
       [](LearnerStore& store, const std::string& tenant) {
         return store.ClaimJob(tenant, "fit-1", "replica-c", 6000, 7000).status();
       },
       "tenant 'acme': job 'fit-1' fails its checksum"},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.damage);
    TempDir dir;
    {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
      ASSERT_OK(store);
      WriteCurriculumAndJob(**store, "acme");
      WriteCurriculumAndJob(**store, "globex");
    }
    // Every write left its row's checksum.
    for (const char* table : kCheckedTables) {
      EXPECT_EQ(QueryInts(Db(dir),
                          std::string("SELECT COUNT(*) FROM ") + table + " WHERE checksum IS NULL"),
                std::vector<int64_t>{0})
          << table;
    }
    RunSql(Db(dir), c.damage);

    // The check at open refuses the file, naming the row.
    Result<std::unique_ptr<SqliteStore>> refused = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), c.names)) << refused.status();

    // Unchecked at open, the read that meets the row reports it; the other tenant is served.
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    const Status read = c.read(**store, "acme");
    EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
    EXPECT_TRUE(Contains(read.message(), c.names)) << read;
    EXPECT_OK(c.read(**store, "globex"));
    ExpectCurriculumAndJob(**store, "globex");

    // CheckIntegrity finds it too, and from then on the store serves nothing.
    const Status checked = (*store)->CheckIntegrity();
    EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
    EXPECT_TRUE(Contains(checked.message(), c.names)) << checked;
    EXPECT_EQ((*store)->GetGraph("globex", kLatestVersion).status().code(), StatusCode::kDataLoss);
  }
}

// Rows written before schema version 7 (8 for tenants; checksum NULL) are read as they are.
TEST(SqliteIntegrityTest, CurriculumAndJobRowsWithoutChecksumsAreRead) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    WriteCurriculumAndJob(**store, "acme");
  }
  for (const char* table : kCheckedTables) {
    RunSql(Db(dir), std::string("UPDATE ") + table + " SET checksum = NULL");
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
  ASSERT_OK(store);
  ExpectCurriculumAndJob(**store, "acme");
  EXPECT_OK((*store)->CheckIntegrity());
  // A row written now carries a checksum again.
  ASSERT_OK((*store)->PutGraph("acme", "graph v3"));
  ASSERT_OK((*store)->Close());
  EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM graphs WHERE checksum IS NOT NULL"),
            std::vector<int64_t>{1});
}

// A version-6 database (no checksums on these tables) opens, migrates to version 9 and is read;
// its check passes, so the rows written before get their checksums, which are then verified like
// those of the rows written after.
TEST(SqliteIntegrityTest, Version6DatabaseMigratesToChecksumsOnEveryTable) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    WriteCurriculumAndJob(**store, "acme");
    WriteLearner(**store, "acme", "ann", 3);
  }
  // Back to schema version 6.
  std::string downgrade;
  for (const char* table : kCheckedTables) {
    downgrade += std::string("ALTER TABLE ") + table + " DROP COLUMN checksum; ";
  }
  RunSql(Db(dir),
         downgrade + "DROP TABLE checksum_backfill; UPDATE schema_version SET version = 6");
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    ExpectCurriculumAndJob(**store, "acme");
    ASSERT_OK((*store)->GetLearner("acme", "ann"));
    ASSERT_OK((*store)->PutGraph("acme", "graph v3"));
    ASSERT_OK((*store)->PutModel("acme", "default", "model v3"));
  }
  EXPECT_EQ(QueryInts(Db(dir), "SELECT version FROM schema_version"),
            std::vector<int64_t>{SqliteStore::kSchemaVersion});
  EXPECT_EQ(SqliteStore::kSchemaVersion, 9);
  for (const char* table : kCheckedTables) {
    SCOPED_TRACE(table);
    EXPECT_EQ(QueryInts(Db(dir),
                        std::string("SELECT COUNT(*) FROM ") + table + " WHERE checksum IS NULL"),
              std::vector<int64_t>{0});
  }
  // The new graph's checksum is checked, and so is the old one's, and an old job's.
  RunSql(Db(dir),
         "UPDATE graphs SET graph_json = 'graph v4' WHERE version = 3;"
         "UPDATE graphs SET graph_json = 'graph v9' WHERE version = 1;"
         "UPDATE jobs SET progress = 0.75");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
  ASSERT_OK(store);
  Status read = (*store)->GetGraph("acme", kLatestVersion).status();
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
  EXPECT_TRUE(Contains(read.message(), "tenant 'acme': graph version 3")) << read;
  read = (*store)->GetGraph("acme", 1).status();
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
  EXPECT_TRUE(Contains(read.message(), "tenant 'acme': graph version 1")) << read;
  EXPECT_OK((*store)->GetGraph("acme", 2));
  read = (*store)->ListJobs("acme").status();
  EXPECT_EQ(read.code(), StatusCode::kDataLoss) << read;
}

std::string TenantRow(const std::string& tenant, int64_t tenant_pk) {
  return "tenant '" + tenant + "': its tenants row (" + std::to_string(tenant_pk) +
         ") fails its checksum";
}

int64_t TenantPk(const TempDir& dir, const std::string& tenant) {
  const std::vector<int64_t> pk =
      QueryInts(Db(dir), "SELECT tenant_pk FROM tenants WHERE tenant_id = '" + tenant + "'");
  return pk.size() == 1 ? pk[0] : -1;
}

// Two tenants with the same kinds of rows, and the same learner id.
void WriteTwoTenants(const TempDir& dir) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
  ASSERT_OK(store);
  for (const char* tenant : {"acme", "globex"}) {
    WriteCurriculumAndJob(**store, tenant);
    WriteLearner(**store, tenant, "ann", 3);
  }
}

using Call = std::function<Status(LearnerStore&, const std::string&)>;

// The reads of a tenant's rows, and the delete of a learner, which find the tenant by its id in
// the statement that reads the row (through the tenants row, whatever key it holds) and, when they
// find nothing, check the tenants rows (CheckTenantMiss). What WriteTwoTenants wrote is there.
std::vector<Call> TenantReads() {
  return {
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetGraph(tenant, kLatestVersion).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetGraph(tenant, 1).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetRoster(tenant, kLatestVersion).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetModel(tenant, "default", kLatestVersion).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetModel(tenant, "default", 1).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ListModels(tenant).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetStateOrigin(tenant).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetJob(tenant, "fit-1").status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ListJobs(tenant).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.GetLearner(tenant, "ann").status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ListEvents(tenant, "ann", 0, 0).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.FindRecordedEvents(tenant, "ann", {"ann-c0-0"}).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ListLearners(tenant, "", 0).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ForEachLearner(tenant, [](const StoredLearner&) { return Status::Ok(); });
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.DeleteLearner(tenant, "ann");
      },
  };
}

// Writes, which look the tenant up by its id first (and create it if needed).
std::vector<Call> TenantWrites() {
  return {
      [](LearnerStore& store, const std::string& tenant) {
        return store.PutGraph(tenant, "graph v3").status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.PutModel(tenant, "default", "model v3").status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.PutStateOrigin(tenant, "");
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.ClaimJob(tenant, "fit-1", "replica-c", 6000, 7000).status();
      },
      [](LearnerStore& store, const std::string& tenant) {
        return store.CommitEvents(LearnerBatch(tenant, "ann", "new-", 2)).status();
      },
  };
}

// Opening the store refuses the damage `names` names, with the integrity check at open or without.
void ExpectRefusedAtEveryOpen(const TempDir& dir, const std::string& names) {
  for (bool check_at_open : {true, false}) {
    Result<std::unique_ptr<SqliteStore>> refused =
        SqliteStore::Open(OptionsFor(dir.path(), check_at_open));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), names)) << refused.status();
  }
}

// A tenant's id altered in its tenants row (schema version 8 on): reads by the right id reach no
// row, so its data would look gone, and a write would start the tenant anew. Every open verifies
// the tenants rows, whatever its integrity check; altered while the store is open, every read by
// the right id that finds nothing, reads through the row (by the altered id, or the list of
// tenants), a write that looks the tenant up, and CheckIntegrity report the row, and no second
// tenant of that id is made. Another tenant's reads, misses included, are served.
TEST(SqliteIntegrityTest, DamagedTenantIdIsRefusedAtOpenAndReported) {
  TempDir dir;
  WriteTwoTenants(dir);
  EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM tenants WHERE checksum IS NULL"),
            std::vector<int64_t>{0});
  const int64_t acme = TenantPk(dir, "acme");
  const std::string names = TenantRow("acmf", acme);
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    RunSql(Db(dir), "UPDATE tenants SET tenant_id = 'acmf' WHERE tenant_id = 'acme'");
    for (const Call& read : TenantReads()) {
      const Status call = read(**store, "acme");
      EXPECT_EQ(call.code(), StatusCode::kDataLoss) << call;
      EXPECT_TRUE(Contains(call.message(), names)) << call;
    }
    for (const Status& call :
         {(*store)->GetGraph("acmf", kLatestVersion).status(),
          (*store)->GetLearner("acmf", "ann").status(), (*store)->ListTenants().status(),
          (*store)->PutGraph("acme", "graph v2").status()}) {
      EXPECT_EQ(call.code(), StatusCode::kDataLoss) << call;
      EXPECT_TRUE(Contains(call.message(), names)) << call;
    }
    EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM tenants"), std::vector<int64_t>{2});
    ExpectCurriculumAndJob(**store, "globex");
    EXPECT_OK((*store)->GetLearner("globex", "ann"));
    EXPECT_EQ((*store)->GetLearner("globex", "bob").status().code(), StatusCode::kNotFound);
    EXPECT_EQ((*store)->GetGraph("globex", 7).status().code(), StatusCode::kNotFound);
    const Status checked = (*store)->CheckIntegrity();
    EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
    EXPECT_TRUE(Contains(checked.message(), names)) << checked;
  }
  ExpectRefusedAtEveryOpen(dir, names);
}

// A tenant's key altered in its tenants row: swapped with another tenant's, each tenant's reads
// would go to the other's rows, which pass their own checksums. Every read and write through the
// row reports it instead; every open and CheckIntegrity too. Moved to an unused key, the
// tenant's rows are out of its reads' reach: they find nothing, then check the tenant's row and
// report it, as writes that look the tenant up first, and the sweep, do.
TEST(SqliteIntegrityTest, DamagedTenantKeyIsDataLossThroughTheRow) {
  const std::vector<Call> kReads = TenantReads();
  const std::vector<Call> kWrites = TenantWrites();
  // Every open verifies the tenants rows (DamagedTenantIdIsRefusedAtOpenAndReported): the damage
  // is done while the store is open, as a disk would, and the next open refuses it.

  // Swapped.
  {
    TempDir dir;
    WriteTwoTenants(dir);
    const int64_t acme = TenantPk(dir, "acme");
    const int64_t globex = TenantPk(dir, "globex");
    ASSERT_NE(acme, globex);
    {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
      ASSERT_OK(store);
      RunSql(Db(dir),
             "UPDATE tenants SET tenant_pk = -tenant_pk; UPDATE tenants SET tenant_pk = "
             "CASE tenant_pk WHEN -" +
                 std::to_string(acme) + " THEN " + std::to_string(globex) + " ELSE " +
                 std::to_string(acme) + " END");
      ASSERT_EQ(TenantPk(dir, "acme"), globex);
      for (const std::string tenant : {"acme", "globex"}) {
        const std::string names = TenantRow(tenant, TenantPk(dir, tenant));
        for (size_t i = 0; i < kReads.size() + kWrites.size(); ++i) {
          SCOPED_TRACE(tenant + " call " + std::to_string(i));
          const Status call = i < kReads.size() ? kReads[i](**store, tenant)
                                                : kWrites[i - kReads.size()](**store, tenant);
          EXPECT_EQ(call.code(), StatusCode::kDataLoss) << call;
          EXPECT_TRUE(Contains(call.message(), names)) << call;
        }
      }
      const Status checked = (*store)->CheckIntegrity();
      EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
      EXPECT_TRUE(Contains(checked.message(), "its tenants row")) << checked;
    }
    ExpectRefusedAtEveryOpen(dir, "its tenants row");
  }

  // Moved to an unused key.
  {
    TempDir dir;
    WriteTwoTenants(dir);
    const std::string names = TenantRow("acme", 99);
    {
      Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
      ASSERT_OK(store);
      RunSql(Db(dir), "UPDATE tenants SET tenant_pk = 99 WHERE tenant_id = 'acme'");
      for (size_t i = 0; i < kReads.size() + kWrites.size(); ++i) {
        SCOPED_TRACE("call " + std::to_string(i));
        const Status call = i < kReads.size() ? kReads[i](**store, "acme")
                                              : kWrites[i - kReads.size()](**store, "acme");
        EXPECT_EQ(call.code(), StatusCode::kDataLoss) << call;
        EXPECT_TRUE(Contains(call.message(), names)) << call;
      }
      ExpectCurriculumAndJob(**store, "globex");
      const Status checked = (*store)->CheckIntegrity();
      EXPECT_EQ(checked.code(), StatusCode::kDataLoss) << checked;
      EXPECT_TRUE(Contains(checked.message(), names)) << checked;
    }
    ExpectRefusedAtEveryOpen(dir, names);
  }
}

// A version-7 database (tenants without checksums) opens and migrates to version 9; its check
// passes, so its tenants rows get their checksums, and a tenant created after the migration
// carries one too; each is then verified.
TEST(SqliteIntegrityTest, Version7DatabaseMigratesToTenantChecksums) {
  TempDir dir;
  WriteTwoTenants(dir);
  RunSql(Db(dir),
         "ALTER TABLE tenants DROP COLUMN checksum; DROP TABLE checksum_backfill;"
         "UPDATE schema_version SET version = 7");
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    ExpectCurriculumAndJob(**store, "acme");
    ASSERT_OK((*store)->GetLearner("globex", "ann"));
    Result<std::vector<std::string>> tenants = (*store)->ListTenants();
    ASSERT_OK(tenants);
    EXPECT_EQ(*tenants, (std::vector<std::string>{"acme", "globex"}));
    ASSERT_OK((*store)->PutGraph("initech", "graph of initech"));
    ASSERT_OK((*store)->PutGraph("acme", "graph v3"));
  }
  EXPECT_EQ(QueryInts(Db(dir), "SELECT version FROM schema_version"),
            std::vector<int64_t>{SqliteStore::kSchemaVersion});
  EXPECT_EQ(QueryInts(Db(dir), "SELECT COUNT(*) FROM tenants WHERE checksum IS NULL"),
            std::vector<int64_t>{0});
  const int64_t initech = TenantPk(dir, "initech");
  EXPECT_EQ(QueryInts(Db(dir),
                      "SELECT COUNT(*) FROM tenants WHERE checksum IS NOT NULL AND "
                      "tenant_pk = " +
                          std::to_string(initech)),
            std::vector<int64_t>{1});
  // The new tenant's row is checked, and so is an old one's.
  const int64_t globex = TenantPk(dir, "globex");
  for (const auto& [from, to, tenant_pk] :
       {std::tuple<std::string, std::string, int64_t>{"initech", "initecj", initech},
        {"globex", "globey", globex}}) {
    SCOPED_TRACE(from);
    RunSql(Db(dir), "UPDATE tenants SET tenant_id = '" + to + "' WHERE tenant_id = '" + from + "'");
    Result<std::unique_ptr<SqliteStore>> refused = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), TenantRow(to, tenant_pk))) << refused.status();
    RunSql(Db(dir), "UPDATE tenants SET tenant_id = '" + from + "' WHERE tenant_id = '" + to + "'");
  }
}

// Rows written before their table had a checksum are signed once, by the first check of the whole
// file that passes (CheckIntegrity, which pathwised runs beside its traffic and Open runs before
// it returns), and are verified from then on: not by an Open or a store that checks nothing, and
// not again (a NULL written later by hand stays NULL).
TEST(SqliteIntegrityTest, RowsWrittenBeforeChecksumsAreSignedByTheFirstCheckThatPasses) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_OK(store);
    WriteCurriculumAndJob(**store, "acme");
    WriteLearner(**store, "acme", "ann", 3);
    WriteLearner(**store, "acme", "bob", 3);
  }
  const auto unsigned_rows = [&] {
    int64_t total = 0;
    for (const char* table : kEveryCheckedTable) {
      total += QueryInts(
          Db(dir), std::string("SELECT COUNT(*) FROM ") + table + " WHERE checksum IS NULL")[0];
    }
    return total;
  };
  // Back to schema version 5, with keys spread past the slices the signing goes by (1024 keys
  // each), which a store of a few thousand learners has, and keys far apart (graphs'), which the
  // signing must jump over rather than walk: with no checksums yet, any keys are a store's own.
  RunSql(Db(dir), BackToVersion5() +
                      "UPDATE learners SET learner_pk = learner_pk * 1500;"
                      "UPDATE event_chunks SET learner_pk = learner_pk * 1500, chunk_pk = "
                      "chunk_pk * 1000; UPDATE policy_states SET learner_pk = learner_pk * 1500;"
                      "UPDATE graphs SET rowid = rowid * 1000000000000000");
  EXPECT_EQ(QueryInts(Db(dir), "SELECT MAX(chunk_pk) FROM event_chunks"),
            std::vector<int64_t>{6000});

  SqliteStoreOptions unchecked = OptionsFor(dir.path());
  unchecked.integrity_check = SqliteIntegrityCheck::kOff;
  for (const SqliteStoreOptions& options : {OptionsFor(dir.path(), false), unchecked}) {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
    ASSERT_OK(store);
    ASSERT_OK((*store)->GetLearner("acme", "ann"));
    if (options.integrity_check == SqliteIntegrityCheck::kOff) {
      ASSERT_OK((*store)->CheckIntegrity());
    }
  }
  // 1 tenant, 2 graphs, 3 models, a roster, a job, a state origin, 2 learners with 3 chunks and
  // a policy state each.
  EXPECT_EQ(unsigned_rows(), 19);

  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir.path(), false));
    ASSERT_OK(store);
    ASSERT_OK((*store)->CheckIntegrity());
    EXPECT_EQ(unsigned_rows(), 0);
    ASSERT_OK((*store)->GetLearner("acme", "ann"));
  }
  // Each kind of old row is now verified: damage to it is refused at the next checked Open.
  const char* const kDamage[] = {
      "UPDATE tenants SET tenant_id = 'acmf'",
      "UPDATE models SET model_json = 'model v3 of acme' WHERE name = 'default' AND version = 2",
      "UPDATE rosters SET roster_json = 'roster of acmf'",
      "UPDATE state_origins SET origin = 'origin of acmf'",
      "UPDATE learners SET version = version + 1 WHERE learner_id = 'bob'",
      "UPDATE event_chunks SET events = CAST(replace(CAST(events AS TEXT), 'ann-c1-1', "
      "'ann-c1-7') AS BLOB)",
      "UPDATE policy_states SET state = 'altered' WHERE learner_pk = "
      "(SELECT learner_pk FROM learners WHERE learner_id = 'ann')",
  };
  const std::string db = Db(dir);
  const std::string saved = dir.path() + "/saved.db";
  std::filesystem::copy_file(db, saved);
  for (const char* damage : kDamage) {
    SCOPED_TRACE(damage);
    RunSql(db, damage);
    Result<std::unique_ptr<SqliteStore>> refused = SqliteStore::Open(OptionsFor(dir.path()));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kDataLoss) << refused.status();
    EXPECT_TRUE(Contains(refused.status().message(), "fails its checksum")) << refused.status();
    std::filesystem::copy_file(saved, db, std::filesystem::copy_options::overwrite_existing);
  }

  // Signing happens once: a checksum set to NULL afterwards is not signed again.
  RunSql(db, "UPDATE graphs SET checksum = NULL WHERE version = 1");
  { ASSERT_OK(SqliteStore::Open(OptionsFor(dir.path()))); }
  EXPECT_EQ(unsigned_rows(), 1);
}

// Everything a tenant reads at start and serves, as text: what the store holds, or where a read
// was refused ("ERROR" lines are refusals, which the flip test accepts; anything else must match).
std::vector<std::string> ReadEverything(LearnerStore& store, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  auto describe_learner = [](const StoredLearner& l) {
    std::ostringstream text;
    text.precision(17);
    text << l.learner_id << " v" << l.version << " last " << l.last_event_sequence;
    for (const MasteryEstimate& e : l.competencies) {
      text << " [" << e.competency_id << " " << e.p_learned << " " << e.opportunities << " "
           << e.last_practiced_ms << " " << e.mastered << "]";
    }
    for (const PolicyState& p : l.policy_states) text << " {" << p.policy << " " << p.state << "}";
    return text.str();
  };
  for (const std::string& id : ids) {
    Result<StoredLearner> learner = store.GetLearner("acme", id);
    out.push_back(learner.ok() ? describe_learner(*learner) : "ERROR");
    Result<std::vector<StoredObservation>> events = store.ListEvents("acme", id, 0, 0);
    if (!events.ok()) {
      out.push_back("ERROR");
      continue;
    }
    std::ostringstream text;
    text.precision(17);
    for (const StoredObservation& e : *events) {
      text << e.sequence << " " << e.observation.event_id << " " << e.observation.learner_id << " "
           << e.observation.activity_id << " " << e.observation.outcome << " "
           << e.observation.timestamp_ms << "\n";
    }
    out.push_back(text.str());
  }
  // At start the tenant visits every learner: each visited one must be as stored.
  std::vector<std::string> visited;
  Status all = store.ForEachLearner("acme", [&](const StoredLearner& l) {
    visited.push_back(describe_learner(l));
    return Status::Ok();
  });
  std::string joined;
  for (const std::string& v : visited) joined += v + "\n";
  out.push_back(all.ok() ? joined : "ERROR after " + joined);
  return out;
}

// Single-bit flips in the pages that hold the learners' rows (their states, event chunks, policy
// states, with the chunks' overflow pages), one at a time on a copy of a store, each followed by
// an open and a read of everything: each flip is refused at open, reported by the read that meets
// it, or harmless (everything read equals what was written); none is served as altered data.
TEST(SqliteIntegrityTest, SingleBitFlipsAreRefusedReportedOrHarmless) {
  TempDir original;
  std::vector<std::string> ids;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(original.path()));
    ASSERT_OK(store);
    for (int i = 0; i < 24; ++i) {
      ids.push_back("learner-" + std::to_string(i));
      WriteLearner(**store, "acme", ids.back(), 5 + 7 * (i % 5));
    }
  }
  std::vector<std::string> expected;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(original.path()));
    ASSERT_OK(store);
    expected = ReadEverything(**store, ids);
  }
  for (const std::string& line : expected) ASSERT_EQ(line.find("ERROR"), std::string::npos);
  const std::vector<int64_t> pages =
      QueryInts(Db(original),
                "SELECT pageno FROM dbstat WHERE name IN ('learners', 'event_chunks', "
                "'policy_states') ORDER BY pageno");
  ASSERT_GE(pages.size(), 4u);
  std::string bytes;
  {
    std::ifstream in(Db(original), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_EQ(bytes.size() % 4096, 0u);

  // Each flip twice: with the check at open (the default), and without it, where the reads alone
  // must find the damage.
  constexpr int kFlips = 60;
  for (const bool check_at_open : {true, false}) {
    int refused = 0, reported = 0, harmless = 0;
    for (int seed = 0; seed < kFlips; ++seed) {
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      const int64_t page = pages[rng() % pages.size()];
      const size_t offset = static_cast<size_t>(page - 1) * 4096 + rng() % 4096;
      const int bit = static_cast<int>(rng() % 8);
      SCOPED_TRACE("seed " + std::to_string(seed) + ": page " + std::to_string(page) + ", byte " +
                   std::to_string(offset) + ", bit " + std::to_string(bit) +
                   (check_at_open ? ", checked at open" : ", unchecked at open"));
      TempDir copy;
      {
        std::string flipped = bytes;
        flipped[offset] = static_cast<char>(flipped[offset] ^ (1 << bit));
        std::ofstream out(Db(copy), std::ios::binary);
        out.write(flipped.data(), static_cast<std::streamsize>(flipped.size()));
      }
      Result<std::unique_ptr<SqliteStore>> store =
          SqliteStore::Open(OptionsFor(copy.path(), check_at_open));
      if (!store.ok()) {
        EXPECT_TRUE(store.status().code() == StatusCode::kDataLoss ||
                    store.status().code() == StatusCode::kFailedPrecondition)
            << store.status();
        ++refused;
        continue;
      }
      const std::vector<std::string> read = ReadEverything(**store, ids);
      ASSERT_EQ(read.size(), expected.size());
      bool any_error = false;
      for (size_t i = 0; i < read.size(); ++i) {
        if (read[i].rfind("ERROR", 0) == 0) {
          any_error = true;
          // What was visited before the refusal was served, and must be as stored.
          const std::string served = read[i].substr(std::min(read[i].size(), size_t{12}));
          EXPECT_EQ(expected[i].compare(0, served.size(), served), 0) << "served before an error";
          continue;
        }
        EXPECT_EQ(read[i], expected[i]) << "altered data served (item " << i << ")";
      }
      ++(any_error ? reported : harmless);
    }
    std::printf("%d single-bit flips, %s: %d refused at open, %d reported on read, %d harmless\n",
                kFlips, check_at_open ? "checked at open" : "unchecked at open", refused, reported,
                harmless);
    EXPECT_EQ(refused + reported + harmless, kFlips);
    EXPECT_GT(refused + reported, kFlips / 2);
  }
}

}  // namespace
}  // namespace pathwise::store
