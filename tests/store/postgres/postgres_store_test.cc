// What PostgresStore does beyond the LearnerStore contract: schema migrations, connection errors,
// several stores (as several pathwised processes would) on one database, the tenant-keyed schema.
#include "store/postgres_store.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "store/postgres_test_server.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

using testing::LearnerBatch;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status error;
    server_ = testing::SharedPostgresServer(nullptr, &error);
    ASSERT_NE(server_, nullptr) << error;
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    Result<std::string> uri = server_->CreateDatabase(std::string("pg_") + info->name());
    ASSERT_OK(uri);
    uri_ = *uri;
  }

  Result<std::unique_ptr<PostgresStore>> Open() {
    PostgresStoreOptions options;
    options.connection = uri_;
    return PostgresStore::Open(options);
  }

  // Runs SQL on the test's database outside any store.
  pqxx::result Sql(const std::string& sql) {
    pqxx::connection connection(uri_);
    pqxx::nontransaction tx(connection);
    return tx.exec(sql);
  }

  testing::PostgresTestServer* server_ = nullptr;
  std::string uri_;
};

TEST_F(PostgresStoreTest, FreshDatabaseIsMigratedToTheCurrentSchemaVersion) {
  ASSERT_OK(Open());
  pqxx::result version = Sql("SELECT version FROM schema_version");
  ASSERT_EQ(version.size(), 1u);
  EXPECT_EQ(version[0][0].as<int>(), PostgresStore::kSchemaVersion);
  // Reopening finds the schema current and changes nothing.
  ASSERT_OK(Open());
  EXPECT_EQ(Sql("SELECT version FROM schema_version")[0][0].as<int>(),
            PostgresStore::kSchemaVersion);
  EXPECT_EQ(Sql("SELECT COUNT(*) FROM schema_version")[0][0].as<int>(), 1);
}

TEST_F(PostgresStoreTest, StoresOpeningTogetherMigrateOnce) {
  constexpr int kStores = 4;
  std::vector<Status> opened(kStores);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] { opened[static_cast<size_t>(i)] = Open().status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Status& status : opened) EXPECT_OK(status);
  EXPECT_EQ(Sql("SELECT version FROM schema_version")[0][0].as<int>(),
            PostgresStore::kSchemaVersion);
}

TEST_F(PostgresStoreTest, SchemaNewerThanThisBuildIsRefused) {
  ASSERT_OK(Open());
  Sql("UPDATE schema_version SET version = " + std::to_string(PostgresStore::kSchemaVersion + 1));
  Status status = Open().status();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("newer than this build"), std::string::npos) << status;
}

TEST_F(PostgresStoreTest, FailedMigrationIsRolledBackWhole) {
  // A table in the way of migration 1: it fails part-way and must leave nothing behind.
  Sql("CREATE TABLE jobs (unrelated integer)");
  Status status = Open().status();
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("migrating to schema version 1"), std::string::npos) << status;
  // The tables the migration created before it failed are gone, and no version was recorded.
  EXPECT_TRUE(Sql("SELECT 1 FROM pg_tables WHERE tablename IN ('tenants', 'learners')").empty());
  EXPECT_TRUE(Sql("SELECT to_regclass('schema_version') IS NULL")[0][0].as<bool>() ||
              Sql("SELECT version FROM schema_version")[0][0].as<int>() == 0);

  Sql("DROP TABLE jobs");
  ASSERT_OK(Open());
}

TEST_F(PostgresStoreTest, MalformedConnectionStringIsInvalidArgument) {
  PostgresStoreOptions options;
  options.connection = "host=localhost port";
  Status status = PostgresStore::Open(options).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("connection"), std::string::npos) << status;

  options.connection.clear();
  EXPECT_EQ(PostgresStore::Open(options).status().code(), StatusCode::kInvalidArgument);

  options.connection = uri_;
  options.max_connections = 0;
  status = PostgresStore::Open(options).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("max_connections"), std::string::npos) << status;
}

TEST_F(PostgresStoreTest, UnreachableServerIsUnavailable) {
  PostgresStoreOptions options;
  // The test server's socket directory with a port nobody serves.
  options.connection =
      server_->SocketUri("pathwise")
          .replace(server_->SocketUri("pathwise").rfind(':'), std::string::npos, ":1/pathwise");
  Status status = PostgresStore::Open(options).status();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status;
}

TEST_F(PostgresStoreTest, TwoStoresOnOneDatabaseShareEventIdsAndVersions) {
  Result<std::unique_ptr<PostgresStore>> first = Open();
  Result<std::unique_ptr<PostgresStore>> second = Open();
  ASSERT_OK(first);
  ASSERT_OK(second);
  ASSERT_OK((*first)->CommitEvents(LearnerBatch("acme", "ann", "e", 3)));

  // The same events through the other store, as a client retrying on another replica would.
  Result<CommitResult> again = (*second)->CommitEvents(LearnerBatch("acme", "ann", "e", 4));
  ASSERT_OK(again);
  EXPECT_EQ(again->duplicate_indices, (std::vector<size_t>{0, 1, 2}));
  EXPECT_EQ(again->num_recorded, 1u);
  EXPECT_EQ(again->learner_versions, std::vector<uint64_t>{2});
  Result<std::vector<StoredObservation>> events = (*first)->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 4u);
}

TEST_F(PostgresStoreTest, ConcurrentStoresForTheSameVersionLetExactlyOneWin) {
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<PostgresStore>> stores;
  for (int i = 0; i < kStores; ++i) {
    Result<std::unique_ptr<PostgresStore>> store = Open();
    ASSERT_OK(store);
    stores.push_back(std::move(store).value());
  }
  ASSERT_OK(stores[0]->CommitEvents(LearnerBatch("acme", "ann", "base", 1)));
  std::atomic<int> won{0}, aborted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      EventBatch batch = LearnerBatch("acme", "ann", "s" + std::to_string(i) + "_", 5);
      batch.learners[0].expected_version = 1;
      Result<CommitResult> result = stores[static_cast<size_t>(i)]->CommitEvents(batch);
      if (result.ok()) {
        ++won;
      } else if (result.status().code() == StatusCode::kAborted) {
        ++aborted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(aborted.load(), kStores - 1);
  Result<std::vector<StoredObservation>> events = stores[0]->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 6u);
}

// Collects what a store's watch reports, for the test thread to wait on.
class ChangeLog {
 public:
  ChangeListener Listener() {
    return [this](const StoreChange& change) {
      std::lock_guard<std::mutex> lock(mu_);
      changes_.push_back(change);
      cv_.notify_all();
    };
  }

  // Waits (at most 30 s, far beyond the milliseconds an announcement takes) for `count` reports,
  // and returns every report so far.
  std::vector<StoreChange> WaitFor(size_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return changes_.size() >= count; });
    return changes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<StoreChange> changes_;
};

std::string Describe(const StoreChange& change) {
  const char* kinds[] = {"learner", "curriculum", "unknown"};
  return std::string(kinds[static_cast<int>(change.kind)]) + " [" + change.tenant_id + "] [" +
         change.learner_id + "] v" + std::to_string(change.version);
}

std::vector<std::string> Describe(const std::vector<StoreChange>& changes) {
  std::vector<std::string> out;
  for (const StoreChange& change : changes) out.push_back(Describe(change));
  return out;
}

TEST_F(PostgresStoreTest, WatchReportsWhatOtherStoresCommitAndNothingElse) {
  Result<std::unique_ptr<PostgresStore>> watcher = Open();
  Result<std::unique_ptr<PostgresStore>> other = Open();
  ASSERT_OK(watcher);
  ASSERT_OK(other);
  ChangeLog log;
  ASSERT_OK((*watcher)->WatchChanges(log.Listener()));

  // Its own commits are not reported; a rolled-back commit of another store is not either.
  ASSERT_OK((*watcher)->CommitEvents(LearnerBatch("acme", "own", "e", 2)));
  EventBatch stale = LearnerBatch("acme", "own", "x", 1);
  stale.learners[0].expected_version = 7;
  EXPECT_EQ((*other)->CommitEvents(stale).status().code(), StatusCode::kAborted);
  // Ids with spaces and a newline travel whole.
  ASSERT_OK((*other)->CommitEvents(LearnerBatch("acme co", "ann lee\n", "e", 2)));
  ASSERT_OK((*other)->CommitEvents(LearnerBatch("acme co", "ann lee\n", "f", 1)));
  ASSERT_OK((*other)->DeleteLearner("acme", "own"));
  ASSERT_OK((*other)->PutGraph("acme", "{}"));
  ASSERT_OK((*other)->PutModel("acme", "active", "{}"));
  ASSERT_OK((*other)->PutRoster("acme", "{}"));
  const std::vector<StoreChange> changes = log.WaitFor(6);
  // Announcements arrive in commit order.
  EXPECT_EQ(Describe(changes), (std::vector<std::string>{
                                   "learner [acme co] [ann lee\n] v1",
                                   "learner [acme co] [ann lee\n] v2",
                                   "learner [acme] [own] v0",
                                   "curriculum [acme] [] v0",
                                   "curriculum [acme] [] v0",
                                   "curriculum [acme] [] v0",
                               }));

  // Stops, waiting for the thread; the store's Close would too.
  EXPECT_OK((*watcher)->WatchChanges(nullptr));
}

TEST_F(PostgresStoreTest, WatchThatLosesItsConnectionReconnectsAndReportsUnknown) {
  Result<std::unique_ptr<PostgresStore>> watcher = Open();
  Result<std::unique_ptr<PostgresStore>> other = Open();
  ASSERT_OK(watcher);
  ASSERT_OK(other);
  ChangeLog log;
  ASSERT_OK((*watcher)->WatchChanges(log.Listener()));
  // What an administrator or a failover does to the watch's connection.
  const pqxx::result killed =
      Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
          "WHERE datname = current_database() AND query LIKE 'LISTEN%'");
  ASSERT_EQ(killed.size(), 1u);
  log.WaitFor(1);
  // Watching again: later commits are reported.
  ASSERT_OK((*other)->CommitEvents(LearnerBatch("acme", "ann", "e", 1)));
  const std::vector<StoreChange> changes = log.WaitFor(2);
  EXPECT_EQ(Describe(changes),
            (std::vector<std::string>{"unknown [] [] v0", "learner [acme] [ann] v1"}));
}

TEST_F(PostgresStoreTest, EveryTableIsKeyedByTenantFirst) {
  ASSERT_OK(Open());
  // The first column of every primary key, for sharding by tenant (docs/postgres-sharding.md).
  pqxx::result keys =
      Sql("SELECT c.relname, a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
          "JOIN pg_namespace n ON n.oid = c.relnamespace "
          "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
          "WHERE i.indisprimary AND n.nspname = current_schema() ORDER BY c.relname");
  std::vector<std::string> tables;
  for (const pqxx::row& row : keys) {
    tables.push_back(row[0].as<std::string>());
    EXPECT_EQ(row[1].as<std::string>(), "tenant_id") << row[0].as<std::string>();
  }
  EXPECT_EQ(tables,
            (std::vector<std::string>{"events", "graphs", "jobs", "learners", "models",
                                      "policy_states", "rosters", "state_origins", "tenants"}));
  // Learner data is keyed by (tenant_id, learner_id).
  for (const char* table : {"events", "learners", "policy_states"}) {
    pqxx::result second =
        Sql(std::string("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = "
                        "i.indrelid AND a.attnum = i.indkey[1] WHERE i.indisprimary AND "
                        "i.indrelid = '") +
            table + "'::regclass");
    ASSERT_EQ(second.size(), 1u) << table;
    EXPECT_EQ(second[0][0].as<std::string>(), "learner_id") << table;
  }
}

TEST_F(PostgresStoreTest, IdsSortByBytesWhateverTheLocale) {
  // A database whose default collation sorts "a" before "B", as most production locales do.
  {
    pqxx::connection admin(server_->SocketUri("postgres"));
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS pg_icu_en");
    tx.exec(
        "CREATE DATABASE pg_icu_en TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' "
        "LOCALE_PROVIDER icu ICU_LOCALE 'en-US'");
  }
  uri_ = uri_.substr(0, uri_.rfind('/')) + "/pg_icu_en";
  ASSERT_EQ(Sql("SELECT 'a' < 'B'")[0][0].as<bool>(), true) << "the database does not use en-US";
  Result<std::unique_ptr<PostgresStore>> store = Open();
  ASSERT_OK(store);
  for (const char* learner : {"b", "B", "a", "_x", "Z"}) {
    ASSERT_OK((*store)->CommitEvents(LearnerBatch("acme", learner, "e", 1)));
  }
  Result<std::vector<std::string>> learners = (*store)->ListLearners("acme", "", 0);
  ASSERT_OK(learners);
  EXPECT_EQ(*learners, (std::vector<std::string>{"B", "Z", "_x", "a", "b"}));
}

TEST(PostgresUriTest, RecognizesUrisAndRedactsPasswords) {
  EXPECT_TRUE(IsPostgresUri("postgresql://db/pathwise"));
  EXPECT_TRUE(IsPostgresUri("postgres://db/pathwise"));
  EXPECT_FALSE(IsPostgresUri("sqlite"));
  EXPECT_FALSE(IsPostgresUri("mysql://db/pathwise"));
  EXPECT_EQ(RedactPostgresUri("postgresql://pw:s3cret@db:5432/pathwise"),
            "postgresql://pw:***@db:5432/pathwise");
  EXPECT_EQ(RedactPostgresUri("postgresql://pw@db/pathwise?password=s3cret&sslmode=require"),
            "postgresql://pw@db/pathwise?password=***&sslmode=require");
  EXPECT_EQ(RedactPostgresUri("postgresql://db/pathwise"), "postgresql://db/pathwise");
}

}  // namespace
}  // namespace pathwise::store
