// Fit jobs on a real loopback port: progress while a job runs, CancelFitJob of a running and of a
// queued job, and cancels that must be refused (another tenant's job, a finished one).
#include <chrono>
#include <string>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::kKeyA;
using testing::kKeyB;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::StartServer;
using testing::Stubs;
using testing::TempDir;
using testing::TwoTenantConfig;

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

bool Finished(const v1::FitJob& job) {
  return job.state() != v1::JOB_STATE_QUEUED && job.state() != v1::JOB_STATE_RUNNING;
}

class FitJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app::ServerConfig config = TwoTenantConfig();
    config.listen = "127.0.0.1:0";
    config.store = "sqlite";
    config.data_dir = dir_.path();
    config.limits.max_queued_jobs = 2;
    server_ = StartServer(config);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(
        grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials()));
    for (const char* key : {kKeyA, kKeyB}) {
      PutGraphOrFail(*stubs_, key, ChainGraph());
      // 1000 rows over competencies a and b.
      v1::RecordEventsRequest events;
      for (int i = 0; i < 1000; ++i) {
        const int learner = i % 40, step = i / 40;
        const bool correct = step > learner % 10 || i % 3 == 0;
        *events.add_events() =
            MakeObservation("e" + std::to_string(i), "l" + std::to_string(learner),
                            i % 2 ? "act.a" : "act.b", correct ? 1 : 0, i);
      }
      v1::RecordEventsResponse recorded;
      ASSERT_TRUE(stubs_->learners->RecordEvents(Ctx(key).get(), events, &recorded).ok());
    }
  }
  void TearDown() override {
    stubs_.reset();
    if (server_ != nullptr) EXPECT_OK(server_->Shutdown(std::chrono::seconds(5)));
  }

  // 2 competencies x 100 restarts of 10000 iterations (no tolerance) over 500 rows each: 200 work
  // units, seconds of work, so it is still running when the test looks at it.
  v1::FitJob SubmitLongFit(const std::string& key, const std::string& model_name) {
    v1::FitModelRequest request;
    request.set_model_name(model_name);
    request.mutable_options()->set_restarts(100);
    request.mutable_options()->set_max_iterations(10000);
    request.mutable_options()->set_tolerance(0.0);
    v1::FitJob job;
    const grpc::Status status = stubs_->models->FitModel(Ctx(key).get(), request, &job);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return job;
  }

  v1::FitJob SubmitShortFit(const std::string& key, const std::string& model_name) {
    v1::FitModelRequest request;
    request.set_model_name(model_name);
    request.mutable_options()->set_max_iterations(20);
    v1::FitJob job;
    const grpc::Status status = stubs_->models->FitModel(Ctx(key).get(), request, &job);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return job;
  }

  v1::FitJob Get(const std::string& key, const std::string& job_id) {
    v1::GetFitJobRequest request;
    request.set_job_id(job_id);
    v1::FitJob job;
    const grpc::Status status = stubs_->models->GetFitJob(Ctx(key).get(), request, &job);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return job;
  }

  grpc::Status Cancel(const std::string& key, const std::string& job_id, v1::FitJob* job) {
    v1::CancelFitJobRequest request;
    request.set_job_id(job_id);
    return stubs_->models->CancelFitJob(Ctx(key).get(), request, job);
  }

  // Polls until `done` holds for the job (or 60 s passed) and returns the last state seen.
  template <typename Predicate>
  v1::FitJob WaitFor(const std::string& key, const std::string& job_id, Predicate done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    v1::FitJob job = Get(key, job_id);
    while (!done(job) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      job = Get(key, job_id);
    }
    return job;
  }

  bool ModelStored(const std::string& key, const std::string& name) {
    v1::GetModelRequest request;
    request.set_name(name);
    v1::GetModelResponse response;
    const grpc::Status status = stubs_->curriculum->GetModel(Ctx(key).get(), request, &response);
    EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND)
        << Describe(status);
    return status.ok();
  }

  TempDir dir_;
  std::unique_ptr<PathwiseServer> server_;
  std::unique_ptr<Stubs> stubs_;
};

TEST_F(FitJobTest, ProgressRisesWhileRunningAndACancelledJobMakesWayForTheNext) {
  const v1::FitJob running = SubmitLongFit(kKeyA, "long");
  const v1::FitJob queued = SubmitShortFit(kKeyA, "short");

  const v1::FitJob midway = WaitFor(kKeyA, running.job_id(), [](const v1::FitJob& job) {
    return Finished(job) || job.progress() > 0.0;
  });
  ASSERT_EQ(midway.state(), v1::JOB_STATE_RUNNING) << midway.error_message();
  EXPECT_GT(midway.progress(), 0.0);
  EXPECT_LT(midway.progress(), 1.0);
  EXPECT_EQ(Get(kKeyA, queued.job_id()).state(), v1::JOB_STATE_QUEUED);

  v1::FitJob cancelled;
  const grpc::Status status = Cancel(kKeyA, running.job_id(), &cancelled);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(cancelled.job_id(), running.job_id());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED) << cancelled.error_message();
  EXPECT_GE(cancelled.progress(), midway.progress());
  EXPECT_LT(cancelled.progress(), 1.0);
  EXPECT_EQ(cancelled.model_version(), 0);
  EXPECT_EQ(Get(kKeyA, running.job_id()).state(), v1::JOB_STATE_CANCELLED);
  EXPECT_FALSE(ModelStored(kKeyA, "long"));

  // The fit thread is free again: the queued job runs to the end.
  const v1::FitJob next = WaitFor(kKeyA, queued.job_id(), Finished);
  EXPECT_EQ(next.state(), v1::JOB_STATE_SUCCEEDED) << next.error_message();
  EXPECT_EQ(next.progress(), 1.0);
  EXPECT_TRUE(ModelStored(kKeyA, "short"));

  // Finished jobs cannot be cancelled, whichever way they ended.
  for (const std::string& id : {running.job_id(), queued.job_id()}) {
    v1::FitJob again;
    const grpc::Status refused = Cancel(kKeyA, id, &again);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(refused);
    EXPECT_NE(refused.error_message().find("already finished"), std::string::npos)
        << refused.error_message();
  }
  EXPECT_EQ(Get(kKeyA, queued.job_id()).state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(FitJobTest, CancellingAQueuedJobFreesItsPlaceInTheQueue) {
  const v1::FitJob running = SubmitLongFit(kKeyA, "long");
  const v1::FitJob queued = SubmitShortFit(kKeyA, "short");
  // max_queued_jobs is 2: a third job is refused until one leaves.
  v1::FitModelRequest third;
  third.set_model_name("third");
  v1::FitJob refused;
  EXPECT_EQ(stubs_->models->FitModel(Ctx(kKeyA).get(), third, &refused).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::FitJob cancelled;
  ASSERT_TRUE(Cancel(kKeyA, queued.job_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled.progress(), 0.0);
  EXPECT_NE(Get(kKeyA, running.job_id()).state(), v1::JOB_STATE_CANCELLED);

  const v1::FitJob accepted = SubmitShortFit(kKeyA, "third");
  ASSERT_TRUE(Cancel(kKeyA, running.job_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(WaitFor(kKeyA, accepted.job_id(), Finished).state(), v1::JOB_STATE_SUCCEEDED);
  // The cancelled queued job never ran.
  EXPECT_EQ(Get(kKeyA, queued.job_id()).state(), v1::JOB_STATE_CANCELLED);
  EXPECT_FALSE(ModelStored(kKeyA, "short"));
}

TEST_F(FitJobTest, AnotherTenantCannotCancelAJobNorTellItExists) {
  const v1::FitJob running = SubmitLongFit(kKeyA, "long");
  v1::FitJob out;
  const grpc::Status status = Cancel(kKeyB, running.job_id(), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  const grpc::Status unknown = Cancel(kKeyB, "no-such-job", &out);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(unknown);
  // Read as for an id that exists nowhere: nothing about tenant A.
  EXPECT_EQ(status.error_message().find("tenant-a"), std::string::npos) << status.error_message();
  EXPECT_NE(Get(kKeyA, running.job_id()).state(), v1::JOB_STATE_CANCELLED);

  // B's own job of the same id is B's to cancel; A's job is untouched by it.
  v1::FitModelRequest same_id;
  same_id.set_model_name("b-model");
  same_id.set_job_id(running.job_id());
  v1::FitJob b_job;
  ASSERT_TRUE(stubs_->models->FitModel(Ctx(kKeyB).get(), same_id, &b_job).ok());
  ASSERT_TRUE(Cancel(kKeyB, running.job_id(), &out).ok());
  EXPECT_EQ(out.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(out.model_name(), "b-model");
  EXPECT_NE(Get(kKeyA, running.job_id()).state(), v1::JOB_STATE_CANCELLED);

  ASSERT_TRUE(Cancel(kKeyA, running.job_id(), &out).ok());
  EXPECT_EQ(out.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(out.model_name(), "long");
}

}  // namespace
}  // namespace pathwise::service
