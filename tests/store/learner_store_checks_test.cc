// LearnerStore's non-virtual methods: what they check before an implementation's Do* method runs.
// A recording store stands in for a database, so these tests see exactly which calls get through.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/learner_store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

// Records the Do* calls that reach it and answers each with an empty success.
class RecordingStore final : public LearnerStore {
 public:
  // `closes` counts DoClose calls and may outlive the store.
  explicit RecordingStore(int* closes) : closes_(closes) {}
  ~RecordingStore() override { (void)Close(); }

  std::vector<std::string> calls;
  std::vector<size_t> learner_of_event;  // as handed to the last DoCommitEvents

 private:
  Result<int64_t> DoPutGraph(std::string_view, std::string_view) override {
    return Record("PutGraph", int64_t{1});
  }
  Result<GraphVersion> DoGetGraph(std::string_view, int64_t) override {
    return Record("GetGraph", GraphVersion{});
  }
  Result<int64_t> DoPutRoster(std::string_view, std::string_view) override {
    return Record("PutRoster", int64_t{1});
  }
  Result<RosterVersion> DoGetRoster(std::string_view, int64_t) override {
    return Record("GetRoster", RosterVersion{});
  }
  Result<int64_t> DoPutModel(std::string_view, std::string_view, std::string_view) override {
    return Record("PutModel", int64_t{1});
  }
  Result<ModelVersion> DoGetModel(std::string_view, std::string_view, int64_t) override {
    return Record("GetModel", ModelVersion{});
  }
  Result<std::vector<ModelVersion>> DoListModels(std::string_view) override {
    return Record("ListModels", std::vector<ModelVersion>{});
  }
  Result<CommitResult> DoCommitEvents(const EventBatch&,
                                      const std::vector<size_t>& learners) override {
    learner_of_event = learners;
    return Record("CommitEvents", CommitResult{});
  }
  Result<std::vector<bool>> DoFindRecordedEvents(std::string_view, std::string_view,
                                                 const std::vector<std::string>&) override {
    return Record("FindRecordedEvents", std::vector<bool>{});
  }
  Result<StoredLearner> DoGetLearner(std::string_view, std::string_view) override {
    return Record("GetLearner", StoredLearner{});
  }
  Status DoForEachLearner(std::string_view,
                          const std::function<Status(const StoredLearner&)>&) override {
    return Record("ForEachLearner", Status::Ok());
  }
  Result<std::vector<StoredObservation>> DoListEvents(std::string_view, std::string_view, int64_t,
                                                      size_t) override {
    return Record("ListEvents", std::vector<StoredObservation>{});
  }
  Result<std::vector<std::string>> DoListLearners(std::string_view, std::string_view,
                                                  size_t) override {
    return Record("ListLearners", std::vector<std::string>{});
  }
  Status DoPutStateOrigin(std::string_view, std::string_view) override {
    return Record("PutStateOrigin", Status::Ok());
  }
  Result<std::string> DoGetStateOrigin(std::string_view) override {
    return Record("GetStateOrigin", std::string());
  }
  Status DoDeleteLearner(std::string_view, std::string_view) override {
    return Record("DeleteLearner", Status::Ok());
  }
  Result<CommitResult> DoReplaceLearner(const LearnerUpdate&, const EventBatch&,
                                        const std::vector<size_t>&) override {
    return Record("ReplaceLearner", CommitResult{});
  }
  Result<std::vector<std::string>> DoListTenants() override {
    return Record("ListTenants", std::vector<std::string>{});
  }
  Status DoCreateJob(std::string_view, const JobRecord&) override {
    return Record("CreateJob", Status::Ok());
  }
  Status DoUpdateJob(std::string_view, const JobRecord&) override {
    return Record("UpdateJob", Status::Ok());
  }
  Result<JobRecord> DoGetJob(std::string_view, std::string_view) override {
    return Record("GetJob", JobRecord{});
  }
  Result<std::vector<JobRecord>> DoListJobs(std::string_view) override {
    return Record("ListJobs", std::vector<JobRecord>{});
  }
  Result<std::optional<JobRecord>> DoClaimJob(std::string_view, std::string_view, std::string_view,
                                              TimestampMs, TimestampMs) override {
    return Record("ClaimJob", std::optional<JobRecord>());
  }
  Result<bool> DoUpdateClaimedJob(std::string_view, const JobRecord&) override {
    return Record("UpdateClaimedJob", true);
  }
  Status DoWatchChanges(ChangeListener) override { return Record("WatchChanges", Status::Ok()); }
  Status DoClose() override {
    ++*closes_;
    return Status::Ok();
  }

  template <typename T>
  T Record(const char* name, T value) {
    calls.emplace_back(name);
    return value;
  }

  int* closes_;
};

JobRecord ValidJob() {
  JobRecord job;
  job.job_id = "fit-1";
  job.kind = "fit";
  return job;
}

EventBatch ValidBatch() {
  EventBatch batch;
  batch.tenant_id = "acme";
  batch.events.push_back(testing::MakeObservation("e1", "bob", "a1", 1.0, 1));
  batch.events.push_back(testing::MakeObservation("e2", "ann", "a1", 0.0, 2));
  batch.events.push_back(testing::MakeObservation("e3", "bob", "a2", 1.0, 3));
  batch.learners.push_back({"ann", std::nullopt});
  batch.learners.push_back({"bob", std::nullopt});
  return batch;
}

// Calls every method once with an empty tenant id (or, for ListTenants, which has none, as is)
// and returns the status codes in declaration order.
std::vector<StatusCode> CallEachWithEmptyTenant(LearnerStore& store) {
  EventBatch batch = ValidBatch();
  batch.tenant_id.clear();
  return {
      store.PutGraph("", "{}").status().code(),
      store.GetGraph("", kLatestVersion).status().code(),
      store.PutModel("", "bkt", "{}").status().code(),
      store.GetModel("", "bkt", kLatestVersion).status().code(),
      store.ListModels("").status().code(),
      store.CommitEvents(batch).status().code(),
      store.FindRecordedEvents("", "ann", {"e1"}).status().code(),
      store.GetLearner("", "ann").status().code(),
      store.ForEachLearner("", [](const StoredLearner&) { return Status::Ok(); }).code(),
      store.ListEvents("", "ann", 0, 0).status().code(),
      store.ListLearners("", "", 0).status().code(),
      store.PutStateOrigin("", "graph 1").code(),
      store.GetStateOrigin("").status().code(),
      store.DeleteLearner("", "ann").code(),
      store.CreateJob("", ValidJob()).code(),
      store.UpdateJob("", ValidJob()).code(),
      store.GetJob("", "fit-1").status().code(),
      store.ListJobs("").status().code(),
  };
}

TEST(LearnerStoreChecksTest, MalformedArgumentsNeverReachTheImplementation) {
  int closes = 0;
  RecordingStore store(&closes);
  for (StatusCode code : CallEachWithEmptyTenant(store)) {
    EXPECT_EQ(code, StatusCode::kInvalidArgument);
  }
  EventBatch bad_outcome = ValidBatch();
  bad_outcome.events[2].outcome = 1.5;
  const Status status = store.CommitEvents(bad_outcome).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("events[2].outcome"), std::string::npos) << status.message();
  JobRecord bad_job = ValidJob();
  bad_job.job_id.clear();
  EXPECT_EQ(store.CreateJob("acme", bad_job).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.GetModel("acme", "", kLatestVersion).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store.ListEvents("acme", "", 0, 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store.calls.empty()) << store.calls.front();
}

TEST(LearnerStoreChecksTest, CommitEventsHandsOverEachEventsLearner) {
  int closes = 0;
  RecordingStore store(&closes);
  ASSERT_OK(store.CommitEvents(ValidBatch()));
  // Events of bob, ann, bob; learners listed as ann (0), bob (1).
  EXPECT_EQ(store.learner_of_event, (std::vector<size_t>{1, 0, 1}));
}

TEST(LearnerStoreChecksTest, ClosedStoreAnswersWithoutTheImplementation) {
  int closes = 0;
  auto store = std::make_unique<RecordingStore>(&closes);
  ASSERT_OK(store->ListTenants());
  ASSERT_EQ(store->calls, std::vector<std::string>{"ListTenants"});
  ASSERT_OK(store->Close());
  ASSERT_OK(store->Close());
  EXPECT_EQ(closes, 1);

  EXPECT_EQ(store->ListTenants().status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->CommitEvents(ValidBatch()).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->CreateJob("acme", ValidJob()).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->GetLearner("acme", "ann").status().code(), StatusCode::kUnavailable);
  // Malformed input is reported as such on a closed store too.
  for (StatusCode code : CallEachWithEmptyTenant(*store)) {
    EXPECT_EQ(code, StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(store->calls, std::vector<std::string>{"ListTenants"});
  store.reset();
  EXPECT_EQ(closes, 1);  // the destructor's Close found the store closed
}

TEST(LearnerStoreChecksTest, DestructorClosesAnOpenStore) {
  int closes = 0;
  {
    RecordingStore store(&closes);
    ASSERT_OK(store.PutGraph("acme", "{}"));
    EXPECT_EQ(closes, 0);
  }
  EXPECT_EQ(closes, 1);
}

}  // namespace
}  // namespace pathwise::store
