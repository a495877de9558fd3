// The real pathwised binary on PostgreSQL (--store postgresql://...), a real server started by the
// test, over a loopback gRPC socket: events recorded, the server stopped and started again on the
// same database, and the same mastery served; re-sent events are still duplicates.
#include <fstream>
#include <sstream>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "server_process.h"
#include "service_test_util.h"
#include "store/postgres_test_server.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::ChildServer;
using testing::Ctx;
using testing::kKeyA;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::ReadFile;
using testing::Stubs;
using testing::TempDir;

v1::GetMasteryResponse Mastery(Stubs& stubs, const std::string& learner) {
  v1::GetMasteryRequest request;
  request.set_learner_id(learner);
  v1::GetMasteryResponse response;
  grpc::Status status = stubs.learners->GetMastery(Ctx(kKeyA).get(), request, &response);
  EXPECT_TRUE(status.ok()) << learner << ": " << status.error_message();
  return response;
}

TEST(PostgresServiceTest, MasterySurvivesARestartOnTheSameDatabase) {
  bool missing = false;
  Result<std::string> uri = store::testing::CreateSharedDatabase("pathwised_service", &missing);
  if (missing) GTEST_SKIP() << store::testing::PostgresMissingMessage();
  ASSERT_TRUE(uri.ok()) << uri.status();

  TempDir dir;
  const std::string log = dir.path() + "/pathwised.log";
  const v1::Graph graph = ChainGraph();
  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab"};
  v1::RecordEventsRequest batch;
  for (int n = 0; n < 60; ++n) {
    *batch.add_events() =
        MakeObservation("ev" + std::to_string(n), "learner" + std::to_string(n % 3),
                        activities[n % 4], n % 3 == 0 ? 0 : 1, 1000 + n);
  }

  std::vector<v1::GetMasteryResponse> before;
  {
    ChildServer child({"--store", *uri}, log);
    ASSERT_TRUE(child.started()) << child.start_status();
    // The password-free URI is shown, and no data directory is used.
    EXPECT_NE(child.start_line().find("data directory postgresql://"), std::string::npos)
        << child.start_line();
    Stubs stubs(grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
    PutGraphOrFail(stubs, kKeyA, graph);
    v1::RecordEventsResponse recorded;
    grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), batch, &recorded);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(recorded.recorded(), 60u);
    for (int l = 0; l < 3; ++l) {
      before.push_back(Mastery(stubs, "learner" + std::to_string(l)));
      testing::ExpectMasteryEqualsReplay(stubs, kKeyA, "learner" + std::to_string(l), graph);
    }
    const int exit_status = child.Signal(SIGTERM);
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << ReadFile(log);
  }

  ChildServer child({"--store", *uri}, log);
  ASSERT_TRUE(child.started()) << child.start_status();
  Stubs stubs(grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
  for (int l = 0; l < 3; ++l) {
    const v1::GetMasteryResponse after = Mastery(stubs, "learner" + std::to_string(l));
    ASSERT_EQ(after.competencies_size(), before[static_cast<size_t>(l)].competencies_size());
    EXPECT_GT(after.competencies_size(), 0);
    for (int c = 0; c < after.competencies_size(); ++c) {
      const v1::MasteryEstimate& want = before[static_cast<size_t>(l)].competencies(c);
      const v1::MasteryEstimate& got = after.competencies(c);
      EXPECT_EQ(got.competency_id(), want.competency_id());
      EXPECT_EQ(got.p_learned(), want.p_learned()) << l << " " << want.competency_id();
      EXPECT_EQ(got.opportunities(), want.opportunities());
      EXPECT_EQ(got.last_practiced_ms(), want.last_practiced_ms());
    }
  }
  // The stored event ids came back with the data: the same batch again changes nothing.
  v1::RecordEventsResponse again;
  grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), batch, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.recorded(), 0u);
  EXPECT_EQ(again.duplicates(), 60u);
}

TEST(PostgresServiceTest, StoreSettingAcceptsOnlyKnownStoresAndValidUris) {
  app::ServerConfig config = testing::TwoTenantConfig();
  config.store = "postgresql://pathwise@db.internal:5432/pathwise";
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();

  config.store = "mysql://user:s3cret@db/pathwise";
  Status status = config.Validate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("store: must be"), std::string::npos) << status;

  config.store = "postgresql://user:s3cret@db/pathwise?nosuchoption=1";
  status = config.Validate();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("store: connection:", 0), 0u) << status;
  EXPECT_EQ(status.message().find("s3cret"), std::string::npos) << status;
}

}  // namespace
}  // namespace pathwise::service
