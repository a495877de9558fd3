// The real pathwised on a damaged SQLite store (issue 15, defect 16): it refuses to start on a
// store that fails its integrity check, and when the scheduled check finds damage in a running
// store, health turns NOT_SERVING and the calls that read the store get DATA_LOSS, not the data.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "server_process.h"
#include "service_test_util.h"

namespace pathwise::service {
namespace {

using pathwise::testing::CheckHealth;
using testing::ChainGraph;
using testing::ChildServer;
using testing::Ctx;
using testing::ExportEvents;
using testing::kKeyA;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::ReadFile;
using testing::Stubs;
using testing::TempDir;

// Another process's write to the database: what damage to a row's bytes looks like to the server.
// Returns the rows changed.
int WriteFromAnotherProcess(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error != nullptr ? error : "");
  const int changed = sqlite3_changes(db);
  sqlite3_free(error);
  sqlite3_close(db);
  return changed;
}

void DamageLearnerRow(const std::string& db_path, const std::string& learner) {
  EXPECT_EQ(WriteFromAnotherProcess(
                db_path, "UPDATE learners SET states = x'' WHERE learner_id = '" + learner + "'"),
            1);
}

// Damage to a learner's event chunks, which ExportEvents reads from the store on every call.
void DamageEventChunks(const std::string& db_path, const std::string& learner) {
  EXPECT_GT(WriteFromAnotherProcess(db_path,
                                    "UPDATE event_chunks SET events = x'00' WHERE learner_pk = "
                                    "(SELECT learner_pk FROM learners WHERE learner_id = '" +
                                        learner + "')"),
            0);
}

// Health once it is no longer SERVING, or once `give_up` has passed.
Result<std::string> HealthAfterServing(
    const std::shared_ptr<grpc::Channel>& channel,
    std::chrono::steady_clock::time_point give_up = std::chrono::steady_clock::time_point::max()) {
  Result<std::string> health = CheckHealth(channel);
  while (health.ok() && *health == "SERVING" && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    health = CheckHealth(channel);
  }
  return health;
}

void RecordSome(Stubs& stubs) {
  v1::RecordEventsRequest batch;
  for (int i = 0; i < 20; ++i) {
    *batch.add_events() = MakeObservation("e" + std::to_string(i), i % 2 ? "ann" : "bob",
                                          i % 3 ? "act.a" : "act.b", i % 4 ? 1 : 0, i);
  }
  v1::RecordEventsResponse response;
  const grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), batch, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
}

// The check at start runs once the server serves (a restart does not wait for it), and it alone
// finds the damage here: no call reads ann's row before it.
TEST(StoreDamageTest, ADamagedStoreIsFoundByTheCheckAtStart) {
  TempDir dir;
  const std::string data = dir.path() + "/data", log = dir.path() + "/pathwised.log";
  {
    ChildServer child({"--data-dir", data}, log);
    ASSERT_TRUE(child.started()) << child.start_status();
    Stubs stubs(grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
    PutGraphOrFail(stubs, kKeyA, ChainGraph());
    RecordSome(stubs);
    std::string report;
    ASSERT_TRUE(child.Stop(15.0, &report)) << report;
  }
  DamageLearnerRow(data + "/pathwise.db", "ann");
  ChildServer damaged({"--data-dir", data}, log, {"--integrity-check-interval-seconds", "0"},
                      /*wait_for_serving=*/false);
  ASSERT_TRUE(damaged.started()) << damaged.start_status();
  auto channel = grpc::CreateChannel(damaged.address(), grpc::InsecureChannelCredentials());
  // Bounded by the test's timeout, not timed.
  Result<std::string> health = HealthAfterServing(channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "NOT_SERVING");
  Stubs stubs(channel);
  grpc::Status exported;
  EXPECT_TRUE(ExportEvents(stubs, kKeyA, "bob", &exported).empty());
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::DATA_LOSS) << exported.error_message();
  std::string report;
  damaged.Stop(15.0, &report);
  const std::string logged = ReadFile(log);
  EXPECT_NE(logged.find("store damaged"), std::string::npos) << logged;
  EXPECT_NE(logged.find("fails its checksum"), std::string::npos) << logged;
  EXPECT_NE(logged.find("learner 'ann'"), std::string::npos) << logged;
}

TEST(StoreDamageTest, DamageFoundWhileServingTurnsHealthNotServingAndReadsDataLoss) {
  TempDir dir;
  const std::string data = dir.path() + "/data", log = dir.path() + "/pathwised.log";
  ChildServer child({"--data-dir", data}, log, {"--integrity-check-interval-seconds", "0.2"});
  ASSERT_TRUE(child.started()) << child.start_status();
  auto channel = grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials());
  Stubs stubs(channel);
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  RecordSome(stubs);
  grpc::Status exported;
  EXPECT_EQ(ExportEvents(stubs, kKeyA, "ann", &exported).size(), 10u);
  ASSERT_TRUE(exported.ok()) << exported.error_message();

  DamageLearnerRow(data + "/pathwise.db", "ann");
  // The next scheduled check finds it; the wait is bounded by the test's timeout, not timed.
  Result<std::string> health = HealthAfterServing(channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "NOT_SERVING");
  EXPECT_TRUE(ExportEvents(stubs, kKeyA, "bob", &exported).empty());
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::DATA_LOSS) << exported.error_message();
  EXPECT_NE(exported.error_message().find("fails its checksum"), std::string::npos)
      << exported.error_message();
  v1::RecordEventsRequest more;
  *more.add_events() = MakeObservation("late", "bob", "act.a", 1, 100);
  v1::RecordEventsResponse response;
  const grpc::Status recorded = stubs.learners->RecordEvents(Ctx(kKeyA).get(), more, &response);
  EXPECT_EQ(recorded.error_code(), grpc::StatusCode::DATA_LOSS) << recorded.error_message();
  std::string report;
  child.Stop(15.0, &report);
  EXPECT_NE(ReadFile(log).find("store damaged"), std::string::npos);
}

// With the next scheduled check an hour away (the default interval), a call that meets damage
// starts the check at once: health turns NOT_SERVING without waiting for the schedule.
TEST(StoreDamageTest, DamageMetByACallStartsTheCheckAtOnce) {
  TempDir dir;
  const std::string data = dir.path() + "/data", log = dir.path() + "/pathwised.log";
  ChildServer child({"--data-dir", data}, log, {"--integrity-check-interval-seconds", "3600"});
  ASSERT_TRUE(child.started()) << child.start_status();
  auto channel = grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials());
  Stubs stubs(channel);
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  RecordSome(stubs);
  // The check at start is done before the damage (it is logged once it has run).
  while (ReadFile(log).find("store integrity checked") == std::string::npos) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  DamageEventChunks(data + "/pathwise.db", "ann");
  Result<std::string> health = CheckHealth(channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "SERVING");

  grpc::Status exported;
  EXPECT_TRUE(ExportEvents(stubs, kKeyA, "ann", &exported).empty());
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::DATA_LOSS) << exported.error_message();
  // Checked within about a second of the call; a minute is far beyond that, and far short of
  // the hour the schedule would take.
  health = HealthAfterServing(channel, std::chrono::steady_clock::now() + std::chrono::seconds(60));
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "NOT_SERVING");
  EXPECT_TRUE(ExportEvents(stubs, kKeyA, "bob", &exported).empty());
  EXPECT_EQ(exported.error_code(), grpc::StatusCode::DATA_LOSS) << exported.error_message();
  std::string report;
  child.Stop(15.0, &report);
  const std::string logged = ReadFile(log);
  EXPECT_NE(logged.find("a call met damage: checking the store now"), std::string::npos) << logged;
  EXPECT_NE(logged.find("store damaged"), std::string::npos) << logged;
}

}  // namespace
}  // namespace pathwise::service
