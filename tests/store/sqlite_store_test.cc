// What only the SQLite store has: a file that outlives the process, schema checks, the directory
// lock, and group commit.
#include "store/sqlite_store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

using testing::LearnerBatch;
using testing::MakeObservation;
using testing::State;
using testing::TempDir;

SqliteStoreOptions OptionsFor(const TempDir& dir) {
  SqliteStoreOptions options;
  options.data_dir = dir.path();
  return options;
}

// Runs SQL on the database file behind the store's back (the store must be closed).
void RunSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return out;
}

TEST(SqliteStoreTest, ReopenedDatabaseHoldsEverything) {
  TempDir dir;
  JobRecord job;
  job.job_id = "fit-1";
  job.kind = "fit";
  job.status = JobStatus::kRunning;
  job.progress = 0.25;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
    ASSERT_OK(store);
    ASSERT_OK((*store)->PutGraph("acme", "graph v1"));
    ASSERT_OK((*store)->PutGraph("acme", "graph v2"));
    ASSERT_OK((*store)->PutModel("acme", "default", "model v1"));
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "ann", "e", 5)));
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "bob", "e", 2)));
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("globex", "carl", "e", 1)));
    ASSERT_OK((*store)->DeleteLearner("acme", "bob"));
    ASSERT_OK((*store)->CreateJob("acme", job));
    // No Close(): the destructor must leave the database complete too.
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
  ASSERT_OK(store);
  Result<GraphVersion> graph = (*store)->GetGraph("acme", kLatestVersion);
  ASSERT_OK(graph);
  EXPECT_EQ(graph->version, 2);
  EXPECT_EQ(graph->graph_json, "graph v2");
  Result<ModelVersion> model = (*store)->GetModel("acme", "default", kLatestVersion);
  ASSERT_OK(model);
  EXPECT_EQ(model->model_json, "model v1");
  Result<std::vector<StoredObservation>> events = (*store)->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 5u);
  Result<StoredLearner> ann = (*store)->GetLearner("acme", "ann");
  ASSERT_OK(ann);
  EXPECT_EQ(ann->version, 1u);
  EXPECT_EQ(ann->competencies.size(), 3u);
  EXPECT_EQ((*store)->GetLearner("acme", "bob").status().code(), StatusCode::kNotFound);
  Result<JobRecord> stored_job = (*store)->GetJob("acme", "fit-1");
  ASSERT_OK(stored_job);
  EXPECT_EQ(stored_job->status, JobStatus::kRunning);
  EXPECT_EQ(stored_job->progress, 0.25);
  Result<std::vector<std::string>> tenants = (*store)->ListTenants();
  ASSERT_OK(tenants);
  EXPECT_EQ(*tenants, (std::vector<std::string>{"acme", "globex"}));

  // Duplicate detection survives the restart.
  Result<CommitResult> again = (*store)->CommitEvents(LearnerBatch("acme", "ann", "e", 5));
  ASSERT_OK(again);
  EXPECT_EQ(again->num_recorded, 0u);
}

TEST(SqliteStoreTest, DeletedLearnerLeavesNoRowsBehind) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
    ASSERT_OK(store);
    for (int b = 0; b < 3; ++b) {
      ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "ann", "a" + std::to_string(b), 4)));
    }
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "bob", "b", 2)));
    ASSERT_OK((*store)->DeleteLearner("acme", "ann"));
  }
  const std::string path = dir.path() + "/pathwise.db";
  EXPECT_EQ(QueryText(path, "SELECT COUNT(*) FROM learners"), "1");
  // Only bob's single commit is left; ann's three went with her (foreign key cascade).
  EXPECT_EQ(QueryText(path, "SELECT COUNT(*) FROM event_chunks"), "1");
  EXPECT_EQ(QueryText(path, "PRAGMA foreign_key_check"), "");
}

TEST(SqliteStoreTest, DatabaseIsInWalMode) {
  TempDir dir;
  std::string path;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
    ASSERT_OK(store);
    path = (*store)->path();
  }
  EXPECT_EQ(path, dir.path() + "/pathwise.db");
  EXPECT_EQ(QueryText(path, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, SecondOpenOfTheSameDirectoryIsRefused) {
  TempDir dir;
  Result<std::unique_ptr<SqliteStore>> first = SqliteStore::Open(OptionsFor(dir));
  ASSERT_OK(first);
  Result<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(OptionsFor(dir));
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos) << second.status();
  ASSERT_OK((*first)->Close());
  EXPECT_OK(SqliteStore::Open(OptionsFor(dir)));
}

TEST(SqliteStoreTest, GarbageFileIsReportedAsCorrupt) {
  TempDir dir;
  {
    std::ofstream file(dir.path() + "/pathwise.db", std::ios::binary);
    std::mt19937_64 rng(7);
    for (int i = 0; i < 8192; ++i) file.put(static_cast<char>(rng() & 0xff));
  }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("corrupt"), std::string::npos) << store.status();
}

// SQLite opens a 0-byte file as a new database: the store must not start empty over a truncated
// one (issue 15, defect 16). A missing file is a new store, and so is a 0-byte file whose
// write-ahead log holds the data (WAL mode checkpoints into the main file later).
TEST(SqliteStoreTest, EmptyDatabaseFileIsRefusedAndLeftAlone) {
  TempDir dir;
  { std::ofstream file(dir.path() + "/pathwise.db", std::ios::binary); }
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("empty (0 bytes)"), std::string::npos) << store.status();
  EXPECT_NE(store.status().message().find(dir.path() + "/pathwise.db"), std::string::npos);
  EXPECT_EQ(std::filesystem::file_size(dir.path() + "/pathwise.db"), 0u);

  // Moved away, as the message says: a new, empty store.
  std::filesystem::remove(dir.path() + "/pathwise.db");
  store = SqliteStore::Open(OptionsFor(dir));
  ASSERT_OK(store);
  ASSERT_OK((*store)->PutGraph("t", "{}"));
  ASSERT_OK((*store)->Close());
  EXPECT_OK(SqliteStore::Open(OptionsFor(dir)));
}

TEST(SqliteStoreTest, ForeignDatabaseIsRefused) {
  TempDir dir;
  RunSql(dir.path() + "/pathwise.db", "CREATE TABLE customers (id INTEGER PRIMARY KEY)");
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("not a Pathwise store"), std::string::npos)
      << store.status();
  // And it was left alone.
  EXPECT_EQ(QueryText(dir.path() + "/pathwise.db", "SELECT name FROM sqlite_master"), "customers");
}

TEST(SqliteStoreTest, NewerSchemaIsRefused) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
    ASSERT_OK(store);
    ASSERT_OK((*store)->PutGraph("acme", "{}"));
  }
  const int newer = SqliteStore::kSchemaVersion + 1;
  RunSql(dir.path() + "/pathwise.db",
         "UPDATE schema_version SET version = " + std::to_string(newer));
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version " + std::to_string(newer)),
            std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status();
}

TEST(SqliteStoreTest, DamagedLearnerDataIsReportedNamingTheLearner) {
  TempDir dir;
  {
    Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(OptionsFor(dir));
    ASSERT_OK(store);
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", "ann", "e", 3)));
  }
  RunSql(dir.path() + "/pathwise.db",
         "UPDATE learners SET states = x'01ff'; UPDATE event_chunks SET events = x'0105'");
  // Unchecked at open, so that every read meets the damage (the check at open would refuse it).
  SqliteStoreOptions unchecked = OptionsFor(dir);
  unchecked.integrity_check = SqliteIntegrityCheck::kOff;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(unchecked);
  ASSERT_OK(store);
  Status state = (*store)->GetLearner("acme", "ann").status();
  EXPECT_EQ(state.code(), StatusCode::kDataLoss);
  EXPECT_NE(state.message().find("'ann'"), std::string::npos) << state;
  Status events = (*store)->ListEvents("acme", "ann", 0, 0).status();
  EXPECT_EQ(events.code(), StatusCode::kDataLoss);
  EXPECT_NE(events.message().find("'ann'"), std::string::npos) << events;
  Status loaded =
      (*store)->ForEachLearner("acme", [](const StoredLearner&) { return Status::Ok(); });
  EXPECT_EQ(loaded.code(), StatusCode::kDataLoss);
  // A write that must read the damaged ids fails and stores nothing.
  Status commit = (*store)->CommitEvents(LearnerBatch("acme", "ann", "f", 1)).status();
  EXPECT_EQ(commit.code(), StatusCode::kDataLoss);
  EXPECT_NE(commit.message().find("'ann'"), std::string::npos) << commit;
}

TEST(SqliteStoreTest, InvalidOptionsAreRejected) {
  SqliteStoreOptions options;
  EXPECT_EQ(SqliteStore::Open(options).status().code(), StatusCode::kInvalidArgument);
  TempDir dir;
  options.data_dir = dir.path();
  options.max_writes_per_commit = 0;
  Status status = SqliteStore::Open(options).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("max_writes_per_commit"), std::string::npos) << status;
}

TEST(SqliteStoreTest, MissingDataDirectoryIsCreated) {
  TempDir dir;
  SqliteStoreOptions options;
  options.data_dir = dir.path() + "/a/b";
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  ASSERT_OK(store);
  EXPECT_OK((*store)->PutGraph("acme", "{}"));
}

// Holds the writer inside the first batch of learner "gate" until opened, so that the test can
// queue writes behind it and know they will be committed together.
class WriterGate {
 public:
  std::function<Status(const EventBatch&)> Hook(std::function<Status(const EventBatch&)> also) {
    return [this, also](const EventBatch& batch) {
      if (batch.learners[0].learner_id == "gate") {
        std::unique_lock<std::mutex> lock(mu_);
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [&] { return open_; });
      }
      return also ? also(batch) : Status::Ok();
    };
  }
  void WaitUntilEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

bool WaitForQueuedWrites(SqliteStore& store, uint64_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (store.commit_stats().queued_writes < n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(SqliteStoreTest, WritesQueuedDuringACommitShareTheNextTransaction) {
  TempDir dir;
  WriterGate gate;
  SqliteStoreOptions options = OptionsFor(dir);
  options.fault_hook_for_testing = gate.Hook(nullptr);
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_OK(opened);
  SqliteStore& store = **opened;

  std::thread first([&] { EXPECT_OK(store.CommitEvents(LearnerBatch("acme", "gate", "g", 1))); });
  gate.WaitUntilEntered();
  constexpr int kQueued = 6;
  std::vector<std::thread> writers;
  for (int i = 0; i < kQueued; ++i) {
    writers.emplace_back([&, i] {
      EXPECT_OK(store.CommitEvents(LearnerBatch("acme", "l" + std::to_string(i), "e", 10)));
    });
  }
  ASSERT_TRUE(WaitForQueuedWrites(store, kQueued));
  gate.Open();
  first.join();
  for (std::thread& writer : writers) writer.join();

  const SqliteStore::CommitStats stats = store.commit_stats();
  EXPECT_EQ(stats.transactions, 2u);
  EXPECT_EQ(stats.writes, static_cast<uint64_t>(kQueued + 1));
  EXPECT_EQ(stats.max_writes_per_transaction, static_cast<uint64_t>(kQueued));
  for (int i = 0; i < kQueued; ++i) {
    Result<std::vector<StoredObservation>> events =
        store.ListEvents("acme", "l" + std::to_string(i), 0, 0);
    ASSERT_OK(events);
    EXPECT_EQ(events->size(), 10u);
  }
}

TEST(SqliteStoreTest, FailingWriteRollsBackAloneWithinItsGroup) {
  TempDir dir;
  WriterGate gate;
  SqliteStoreOptions options = OptionsFor(dir);
  options.fault_hook_for_testing = gate.Hook([](const EventBatch& batch) {
    return batch.learners[0].learner_id == "doomed" ? Status::Internal("injected failure")
                                                    : Status::Ok();
  });
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_OK(opened);
  SqliteStore& store = **opened;

  std::thread first([&] { EXPECT_OK(store.CommitEvents(LearnerBatch("acme", "gate", "g", 1))); });
  gate.WaitUntilEntered();
  // Queued in this order, so the failing batch sits between two good ones in one transaction.
  const std::vector<std::string> learners = {"before", "doomed", "after"};
  std::vector<Status> results(learners.size());
  std::vector<std::thread> writers;
  for (size_t i = 0; i < learners.size(); ++i) {
    writers.emplace_back([&, i] {
      results[i] = store.CommitEvents(LearnerBatch("acme", learners[i], "e", 5)).status();
    });
    ASSERT_TRUE(WaitForQueuedWrites(store, i + 1));
  }
  gate.Open();
  first.join();
  for (std::thread& writer : writers) writer.join();

  EXPECT_OK(results[0]);
  EXPECT_EQ(results[1].code(), StatusCode::kInternal);
  EXPECT_OK(results[2]);
  EXPECT_EQ(store.commit_stats().max_writes_per_transaction, 3u);
  EXPECT_EQ(store.commit_stats().transactions, 2u);
  EXPECT_OK(store.GetLearner("acme", "before"));
  EXPECT_OK(store.GetLearner("acme", "after"));
  EXPECT_EQ(store.GetLearner("acme", "doomed").status().code(), StatusCode::kNotFound);
  Result<std::vector<StoredObservation>> after = store.ListEvents("acme", "after", 0, 0);
  ASSERT_OK(after);
  EXPECT_EQ(after->size(), 5u);
}

TEST(SqliteStoreTest, DuplicatesAreExactWithinOneGroup) {
  TempDir dir;
  WriterGate gate;
  SqliteStoreOptions options = OptionsFor(dir);
  options.fault_hook_for_testing = gate.Hook(nullptr);
  Result<std::unique_ptr<SqliteStore>> opened = SqliteStore::Open(options);
  ASSERT_OK(opened);
  SqliteStore& store = **opened;

  std::thread first([&] { EXPECT_OK(store.CommitEvents(LearnerBatch("acme", "gate", "g", 1))); });
  gate.WaitUntilEntered();
  // The same 8 events sent by four clients at once: all four land in one transaction, and the
  // events are stored once.
  constexpr int kCopies = 4;
  std::vector<size_t> recorded(kCopies);
  std::vector<std::thread> writers;
  for (int i = 0; i < kCopies; ++i) {
    writers.emplace_back([&, i] {
      EventBatch batch = LearnerBatch("acme", "ann", "e", 8);
      batch.learners[0].states.clear();
      Result<CommitResult> done = store.CommitEvents(batch);
      recorded[static_cast<size_t>(i)] = done.ok() ? done->num_recorded : 999;
    });
  }
  ASSERT_TRUE(WaitForQueuedWrites(store, kCopies));
  gate.Open();
  first.join();
  for (std::thread& writer : writers) writer.join();

  size_t total = 0;
  for (size_t r : recorded) {
    EXPECT_TRUE(r == 0 || r == 8) << r;
    total += r;
  }
  EXPECT_EQ(total, 8u);
  EXPECT_EQ(store.commit_stats().max_writes_per_transaction, static_cast<uint64_t>(kCopies));
  Result<std::vector<StoredObservation>> events = store.ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 8u);
}

}  // namespace
}  // namespace pathwise::store
