// What outside testers sent the service (issue 15): unreadable messages, fit options that would
// hold the fit thread for ever, out-of-range versions, empty graphs, models for competencies the
// graph does not have, errors too long for a client's metadata limit. Each gets a clear status, and
// nothing is half-applied.
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::CycleGraph;
using testing::ExportEvents;
using testing::ForEachPathwiseMethod;
using testing::kKeyA;
using testing::kKeyB;
using testing::kUnreadableMessage;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::RawClientStreamCall;
using testing::RawReply;
using testing::RawUnaryCall;
using testing::StartServer;
using testing::Stubs;
using testing::TwoTenantConfig;

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class TesterReportTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(TwoTenantConfig()); }
  void TearDown() override {
    stubs_.reset();
    if (server_ != nullptr) EXPECT_OK(server_->Shutdown(std::chrono::seconds(5)));
  }
  void Start(const app::ServerConfig& config) {
    stubs_.reset();
    if (server_ != nullptr) ASSERT_OK(server_->Shutdown(std::chrono::seconds(5)));
    server_ = StartServer(config);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(server_->InProcessChannel());
  }

  std::unique_ptr<PathwiseServer> server_;
  std::unique_ptr<Stubs> stubs_;
};

std::string Batch(int first, int count) {
  v1::RecordEventsRequest request;
  for (int i = first; i < first + count; ++i) {
    *request.add_events() =
        MakeObservation("s" + std::to_string(i), "cat", "act.a", i % 2, 100 * i);
  }
  return request.SerializeAsString();
}

TEST_F(TesterReportTest, StreamEventsStopsAtAnUnreadableMessageNamingItAndWhatWasCommitted) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  const RawReply reply = RawClientStreamCall(
      server_->InProcessChannel(), "/pathwise.v1.LearnerService/StreamEvents",
      {Batch(0, 3), Batch(3, 3), kUnreadableMessage, Batch(6, 3), Batch(9, 3)}, kKeyA);
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(reply.status);
  EXPECT_TRUE(Contains(reply.status.error_message(), "message 2")) << reply.status.error_message();
  EXPECT_TRUE(Contains(reply.status.error_message(), "2 batches committed"))
      << reply.status.error_message();
  // The batches before the bad message stay; none after it was applied.
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "cat").size(), 6u);
}

TEST_F(TesterReportTest, StreamEventsOfReadableMessagesStillCommitsThemAll) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  const RawReply reply =
      RawClientStreamCall(server_->InProcessChannel(), "/pathwise.v1.LearnerService/StreamEvents",
                          {Batch(0, 3), Batch(3, 3)}, kKeyA);
  ASSERT_TRUE(reply.status.ok()) << Describe(reply.status);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(response.ParseFromString(reply.bytes));
  EXPECT_EQ(response.recorded(), 6u);
  EXPECT_EQ(response.batches(), 2u);
}

// Defect 15: each open stream holds a server thread, so a tenant's streams are capped
// (limits.max_streams_per_tenant) and another tenant's are not affected.
TEST_F(TesterReportTest, StreamsOverTheTenantsCapAreRefusedAndFreedWhenOneEnds) {
  app::ServerConfig config = TwoTenantConfig();
  config.limits.max_streams_per_tenant = 2;
  Start(config);
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  PutGraphOrFail(*stubs_, kKeyB, ChainGraph());

  struct OpenStream {
    std::unique_ptr<grpc::ClientContext> context;
    v1::RecordEventsResponse response;
    std::unique_ptr<grpc::ClientWriter<v1::RecordEventsRequest>> writer;
  };
  int next_event = 0;
  auto open = [&](const char* key, const std::string& learner) {
    auto stream = std::make_unique<OpenStream>();
    stream->context = Ctx(key);
    stream->writer = stubs_->learners->StreamEvents(stream->context.get(), &stream->response);
    v1::RecordEventsRequest batch;
    *batch.add_events() =
        MakeObservation("e" + std::to_string(next_event++), learner, "act.a", 1, 0);
    stream->writer->Write(batch);
    return stream;
  };
  auto finish = [](OpenStream& stream) {
    stream.writer->WritesDone();
    return stream.writer->Finish();
  };
  // A unary call (an export is a stream too, and would count).
  auto stored = [&](const std::string& learner) {
    v1::GetMasteryRequest request;
    request.set_learner_id(learner);
    v1::GetMasteryResponse response;
    return stubs_->learners->GetMastery(Ctx(kKeyA).get(), request, &response).ok();
  };
  // Two streams held open; the server is known to serve each once its batch is stored.
  std::vector<std::unique_ptr<OpenStream>> held;
  for (const char* learner : {"held1", "held2"}) {
    held.push_back(open(kKeyA, learner));
    for (int i = 0; i < 1000 && !stored(learner); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(stored(learner)) << learner;
  }

  std::unique_ptr<OpenStream> third = open(kKeyA, "third");
  const grpc::Status refused = finish(*third);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(refused);
  EXPECT_TRUE(Contains(refused.error_message(), "max_streams_per_tenant")) << Describe(refused);
  // Another tenant's streams are its own.
  std::unique_ptr<OpenStream> other = open(kKeyB, "other");
  EXPECT_TRUE(finish(*other).ok());

  // One held stream ends: its slot is free again.
  ASSERT_TRUE(finish(*held[0]).ok());
  std::unique_ptr<OpenStream> fourth = open(kKeyA, "fourth");
  const grpc::Status admitted = finish(*fourth);
  EXPECT_TRUE(admitted.ok()) << Describe(admitted);
  EXPECT_TRUE(finish(*held[1]).ok());
}

TEST_F(TesterReportTest, UnreadableRequestIsInvalidArgumentOnEveryRpc) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  const int methods = ForEachPathwiseMethod([&](const std::string& path,
                                                const google::protobuf::MethodDescriptor& method) {
    const RawReply reply =
        method.client_streaming()
            ? RawClientStreamCall(server_->InProcessChannel(), path, {kUnreadableMessage}, kKeyA)
            : RawUnaryCall(server_->InProcessChannel(), path, kUnreadableMessage, kKeyA);
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << path << ": " << Describe(reply.status);
    EXPECT_TRUE(Contains(reply.status.error_message(), method.input_type()->name()))
        << path << ": " << reply.status.error_message();
  });
  EXPECT_EQ(methods, 19);  // every method of the five services
}

TEST_F(TesterReportTest, FitOptionsOutOfTheirLimitsAreRefusedNamingTheField) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  struct Case {
    const char* field;
    std::function<void(v1::FitOptions*)> set;
  };
  const std::vector<Case> cases = {
      {"options.restarts", [](v1::FitOptions* o) { o->set_restarts(2000000000); }},
      {"options.max_iterations", [](v1::FitOptions* o) { o->set_max_iterations(2000000000); }},
      {"options.ibkt_l2", [](v1::FitOptions* o) { o->set_ibkt_l2(1e300); }},
      {"options.tolerance", [](v1::FitOptions* o) { o->set_tolerance(std::nan("")); }},
  };
  for (const Case& c : cases) {
    v1::FitModelRequest request;
    request.set_model_name("m");
    c.set(request.mutable_options());
    v1::FitJob job;
    const grpc::Status status = stubs_->models->FitModel(Ctx(kKeyA).get(), request, &job);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(status.error_message().rfind(c.field, 0), 0u) << status.error_message();
  }
}

v1::FitJob WaitForJob(Stubs& stubs, const std::string& key, const std::string& job_id) {
  v1::GetFitJobRequest request;
  request.set_job_id(job_id);
  v1::FitJob job;
  for (int i = 0; i < 600; ++i) {
    EXPECT_TRUE(stubs.models->GetFitJob(Ctx(key).get(), request, &job).ok());
    if (job.state() != v1::JOB_STATE_QUEUED && job.state() != v1::JOB_STATE_RUNNING) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return job;
}

TEST_F(TesterReportTest, AFitOverTheWorkBudgetFailsAndTheNextTenantsFitRuns) {
  app::ServerConfig config = TwoTenantConfig();
  config.limits.max_fit_work = 1000000;
  Start(config);
  for (const char* key : {kKeyA, kKeyB}) {
    PutGraphOrFail(*stubs_, key, ChainGraph());
    v1::RecordEventsRequest events;
    for (int i = 0; i < 100; ++i) {
      *events.add_events() = MakeObservation("e" + std::to_string(i), "l" + std::to_string(i % 10),
                                             i % 3 ? "act.a" : "act.b", i % 2, i);
    }
    v1::RecordEventsResponse recorded;
    ASSERT_TRUE(stubs_->learners->RecordEvents(Ctx(key).get(), events, &recorded).ok());
  }
  // Within every field's limit, but 100 restarts x 10000 iterations x 100 rows is 1e8 > 1e6.
  v1::FitModelRequest greedy;
  greedy.set_model_name("greedy");
  greedy.mutable_options()->set_restarts(100);
  greedy.mutable_options()->set_max_iterations(10000);
  greedy.mutable_options()->set_tolerance(0);
  v1::FitJob greedy_job;
  ASSERT_TRUE(stubs_->models->FitModel(Ctx(kKeyA).get(), greedy, &greedy_job).ok());
  v1::FitModelRequest modest;
  modest.set_model_name("modest");
  modest.mutable_options()->set_max_iterations(20);
  v1::FitJob modest_job;
  ASSERT_TRUE(stubs_->models->FitModel(Ctx(kKeyB).get(), modest, &modest_job).ok());

  const v1::FitJob greedy_done = WaitForJob(*stubs_, kKeyA, greedy_job.job_id());
  EXPECT_EQ(greedy_done.state(), v1::JOB_STATE_FAILED);
  EXPECT_TRUE(Contains(greedy_done.error_message(), "max_fit_work")) << greedy_done.error_message();
  EXPECT_EQ(WaitForJob(*stubs_, kKeyB, modest_job.job_id()).state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(TesterReportTest, NegativeExpectedVersionIsInvalidArgument) {
  v1::PutGraphRequest put;
  *put.mutable_graph() = ChainGraph();
  put.set_expected_version(-1);
  v1::PutGraphResponse response;
  const grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(status.error_message().rfind("expected_version", 0), 0u) << status.error_message();
}

TEST_F(TesterReportTest, EmptyGraphIsRefusedAndTheStoredOneStays) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  v1::PutGraphRequest put;
  put.mutable_graph();  // set, but with nothing in it
  v1::PutGraphResponse response;
  const grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_TRUE(Contains(status.error_message(), "graph.competencies")) << status.error_message();

  put.set_graph_json(R"({"format": "pathwise.graph", "version": 1, "competencies": []})");
  EXPECT_EQ(stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetGraphResponse got;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &got).ok());
  EXPECT_EQ(got.version(), 1);
}

TEST_F(TesterReportTest, ModelForCompetenciesTheGraphLacksIsRefusedNamingThem) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  v1::PutModelRequest put;
  put.set_name("active");
  put.set_model_json(R"({"format": "pathwise.bkt_model", "version": 1,
      "competencies": {"a": {"prior": 0.2, "learn": 0.1, "guess": 0.2, "slip": 0.1},
                       "ghost": {"prior": 0.2, "learn": 0.1, "guess": 0.2, "slip": 0.1},
                       "zombie": {"prior": 0.2, "learn": 0.1, "guess": 0.2, "slip": 0.1}}})");
  v1::PutModelResponse response;
  const grpc::Status status = stubs_->curriculum->PutModel(Ctx(kKeyA).get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_TRUE(Contains(status.error_message(), "ghost")) << status.error_message();
  EXPECT_TRUE(Contains(status.error_message(), "zombie")) << status.error_message();
  v1::GetModelRequest get;
  get.set_name("active");
  v1::GetModelResponse got;
  EXPECT_EQ(stubs_->curriculum->GetModel(Ctx(kKeyA).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(TesterReportTest, AHugeCycleErrorReachesTheClientCutShortWithACount) {
  v1::PutGraphRequest put;
  *put.mutable_graph() = CycleGraph(20000);
  v1::PutGraphResponse response;
  const grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status).size();
  EXPECT_TRUE(Contains(status.error_message(), "cycle")) << status.error_message().substr(0, 200);
  EXPECT_LE(status.error_message().size(), 4096u);
  EXPECT_TRUE(Contains(status.error_message(), "more bytes left out]"))
      << status.error_message().substr(status.error_message().size() - 200);
}

}  // namespace
}  // namespace pathwise::service
