// The fit-job runner without a server: tenants take turns on the shared fit thread.
#include "app/job_runner.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "app/fit_job_params.h"
#include "store/memory_store.h"
#include "store/postgres_store.h"
#include "store/postgres_test_server.h"
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

GraphDefinition OneCompetency() {
  GraphDefinition def;
  Competency competency;
  competency.id = "a";
  competency.name = "Competency a";
  def.competencies.push_back(competency);
  Activity activity;
  activity.id = "act.a";
  activity.competencies = {{"a", 1.0}};
  def.activities.push_back(activity);
  return def;
}

// A tenant with a graph and a few answers, enough for a fit to run.
void Prepare(Tenant& tenant) {
  ASSERT_OK(tenant.Load());
  ASSERT_OK(tenant.PutGraph(OneCompetency(), std::nullopt));
  std::vector<Observation> observations;
  for (int i = 0; i < 8; ++i) {
    observations.push_back(
        {tenant.id() + "-e" + std::to_string(i), "ann", "act.a", i % 3 == 0 ? 0.0 : 1.0, 1000 + i});
  }
  ASSERT_OK(tenant.Record(observations, false));
}

TEST(JobRunnerTest, AnotherTenantsJobRunsBeforeTheBacklogOfTheFirst) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant a("a", &store, &limits);
  Tenant b("b", &store, &limits);
  Prepare(a);
  Prepare(b);

  // The first job holds the fit thread (in the observer, outside the runner's lock) until every
  // other job is queued, so the order below does not depend on timing.
  std::promise<void> all_queued;
  std::shared_future<void> release = all_queued.get_future().share();
  std::mutex mu;
  std::condition_variable ended;
  std::vector<std::string> started;  // job ids, in the order they ran
  int finished = 0;
  JobRunner jobs(&store, /*fit_threads=*/1, /*max_queued_per_tenant=*/4);
  jobs.SetStateObserver([&](const std::string& tenant_id, store::JobStatus state, double) {
    if (state == store::JobStatus::kRunning) {
      // The runner stores RUNNING before it tells the observer: the store says which job it is.
      std::string job_id = "?";
      Result<std::vector<store::JobRecord>> records = store.ListJobs(tenant_id);
      if (records.ok()) {
        for (const store::JobRecord& record : *records) {
          if (record.status == store::JobStatus::kRunning) job_id = record.job_id;
        }
      }
      bool first = false;
      {
        std::lock_guard<std::mutex> lock(mu);
        started.push_back(job_id);
        first = started.size() == 1;
      }
      if (first) release.wait();
    } else if (state != store::JobStatus::kQueued) {
      std::lock_guard<std::mutex> lock(mu);
      ++finished;
      ended.notify_all();
    }
  });

  FitOptions options;
  options.max_iterations = 5;
  ASSERT_OK(jobs.SubmitFit(&a, "a1", "m", options));
  ASSERT_OK(jobs.SubmitFit(&a, "a2", "m", options));
  ASSERT_OK(jobs.SubmitFit(&a, "a3", "m", options));
  ASSERT_OK(jobs.SubmitFit(&b, "b1", "m", options));
  ASSERT_OK(jobs.SubmitFit(&b, "b2", "m", options));
  all_queued.set_value();

  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(ended.wait_for(lock, std::chrono::seconds(60), [&] { return finished == 5; }))
      << finished << " of 5 jobs ended";
  // Turns between tenants, first come first served within one. Under first come first served
  // overall, b's jobs would wait behind all of a's backlog.
  EXPECT_EQ(started, (std::vector<std::string>{"a1", "b1", "a2", "b2", "a3"}));
  lock.unlock();
  for (const auto& [tenant, job] : {std::pair<std::string, std::string>{"a", "a3"}, {"b", "b2"}}) {
    auto record = jobs.Get(tenant, job);
    ASSERT_OK(record);
    EXPECT_EQ(record->first.status, store::JobStatus::kSucceeded) << job;
  }
}

// ---- Replicas: runners of several processes on one store ---------------------------------------

// Short leases, so that a dead replica's job is taken over within a test.
JobLeaseOptions ShortLeases(std::chrono::milliseconds lease) {
  JobLeaseOptions leases;
  leases.lease = lease;
  leases.renew_every = std::chrono::milliseconds(100);
  leases.scan_every = std::chrono::milliseconds(20);
  return leases;
}

// Where the replicas' stores keep their data: one MemoryStore shared by both, or two PostgresStore
// connections to one database, as two pathwised processes would have.
struct SharedStore {
  std::string name;
  // The stores of the replicas (one shared, or one each); none when the database is missing.
  std::function<std::vector<std::unique_ptr<store::LearnerStore>>(const std::string& test)> open;
};

void PrintTo(const SharedStore& kind, std::ostream* os) { *os << kind.name; }

// One store: the two replicas of the memory case share it.
std::vector<std::unique_ptr<store::LearnerStore>> OpenMemory(const std::string&) {
  std::vector<std::unique_ptr<store::LearnerStore>> stores;
  stores.push_back(std::make_unique<store::MemoryStore>());
  return stores;
}

std::vector<std::unique_ptr<store::LearnerStore>> OpenPostgres(const std::string& test) {
  std::vector<std::unique_ptr<store::LearnerStore>> stores;
  bool missing = false;
  Status error;
  store::testing::PostgresTestServer* postgres =
      store::testing::SharedPostgresServer(&missing, &error);
  if (postgres == nullptr) {
    // Absent binaries skip the case; a server that would not start fails it.
    if (!missing) ADD_FAILURE() << error;
    return stores;
  }
  Result<std::string> uri = postgres->CreateDatabase("jobs_" + test);
  if (!uri.ok()) {
    ADD_FAILURE() << uri.status();
    return stores;
  }
  for (int i = 0; i < 2; ++i) {
    store::PostgresStoreOptions options;
    options.connection = *uri;
    Result<std::unique_ptr<store::PostgresStore>> opened = store::PostgresStore::Open(options);
    if (!opened.ok()) {
      ADD_FAILURE() << opened.status();
      return {};
    }
    stores.push_back(std::move(opened).value());
  }
  return stores;
}

class JobRunnerReplicasTest : public ::testing::TestWithParam<SharedStore> {
 protected:
  void SetUp() override {
    const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string database;
    for (char c : test)
      database += std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
    owned_ = GetParam().open(database.substr(0, 40));
    if (owned_.empty()) {
      if (HasFailure()) FAIL() << "the replicas' database could not be opened";
      GTEST_SKIP() << "no PostgreSQL server: " << store::testing::PostgresMissingMessage();
    }
    stores_[0] = owned_[0].get();
    stores_[1] = owned_.size() > 1 ? owned_[1].get() : owned_[0].get();
    for (int i = 0; i < 2; ++i) {
      tenants_[i] = std::make_unique<Tenant>("t", stores_[i], &limits_);
    }
    Prepare(*tenants_[0]);
    ASSERT_OK(tenants_[1]->Load());
  }

  // Waits (up to a minute) until the job has ended, and returns its record.
  store::JobRecord WaitForEnd(const std::string& job_id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    Result<store::JobRecord> record = stores_[0]->GetJob("t", job_id);
    while (std::chrono::steady_clock::now() < deadline) {
      record = stores_[0]->GetJob("t", job_id);
      if (record.ok() && record->status != store::JobStatus::kQueued &&
          record->status != store::JobStatus::kRunning) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_OK(record);
    return record.ok() ? *record : store::JobRecord{};
  }

  ServiceLimits limits_;
  std::vector<std::unique_ptr<store::LearnerStore>> owned_;
  store::LearnerStore* stores_[2] = {nullptr, nullptr};
  std::unique_ptr<Tenant> tenants_[2];
};

TEST_P(JobRunnerReplicasTest, EachJobRunsOnceWhicheverReplicaTakesIt) {
  std::atomic<int> runs[2] = {{0}, {0}};
  std::unique_ptr<JobRunner> runners[2];
  for (int i = 0; i < 2; ++i) {
    runners[i] = std::make_unique<JobRunner>(stores_[i], 1, 8, ServiceLimits{}.max_fit_work,
                                             ShortLeases(std::chrono::seconds(30)));
    runners[i]->SetStateObserver([&runs, i](const std::string&, store::JobStatus state, double) {
      if (state == store::JobStatus::kRunning) ++runs[i];
    });
    ASSERT_OK(runners[i]->ServeTenant(tenants_[i].get()));
  }
  ASSERT_NE(runners[0]->owner(), runners[1]->owner());
  FitOptions options;
  options.max_iterations = 5;
  std::vector<std::string> ids;
  for (int j = 0; j < 6; ++j) {
    // Submitted through both: each replica's queue holds the other's jobs too, from its scans.
    Result<store::JobRecord> job =
        runners[j % 2]->SubmitFit(tenants_[j % 2].get(), "job" + std::to_string(j), "m", options);
    ASSERT_OK(job);
    ids.push_back(job->job_id);
  }
  std::set<int64_t> versions;
  for (const std::string& id : ids) {
    const store::JobRecord record = WaitForEnd(id);
    EXPECT_EQ(record.status, store::JobStatus::kSucceeded) << id << ": " << record.error_message;
    EXPECT_TRUE(record.owner == runners[0]->owner() || record.owner == runners[1]->owner());
    versions.insert(record.result_model_version);
  }
  // Once each: six runs, six model versions, none stored by a second run of a job.
  EXPECT_EQ(runs[0] + runs[1], 6) << runs[0] << " + " << runs[1];
  EXPECT_EQ(versions, (std::set<int64_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(tenants_[0]->GetModel("m", 7).status().code(), StatusCode::kNotFound);
}

TEST_P(JobRunnerReplicasTest, AJobOfADeadReplicaIsFinishedByAnotherOnceItsLeaseExpired) {
  // Replica "dead" claimed the job and died: its lease is never renewed.
  FitOptions options;
  options.max_iterations = 7;
  options.start = BktParams{0.3, 0.2, 0.0, 0.15, 0.1};
  store::JobRecord job;
  job.job_id = "orphan";
  job.kind = "fit";
  job.created_ms = 1;
  job.result_model_name = "m";
  job.params_json = FitJobParamsToJson(FitJobParams{"m", options});
  ASSERT_OK(stores_[0]->CreateJob("t", job));
  const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  Result<std::optional<store::JobRecord>> dead =
      stores_[0]->ClaimJob("t", "orphan", "dead-replica", now, now + 3000);
  ASSERT_OK(dead);
  ASSERT_TRUE(dead->has_value());

  JobRunner survivor(stores_[1], 1, 4, ServiceLimits{}.max_fit_work,
                     ShortLeases(std::chrono::seconds(30)));
  ASSERT_OK(survivor.ServeTenant(tenants_[1].get()));
  // While the dead replica's lease holds, the job is left to it.
  Result<store::JobRecord> held = stores_[1]->GetJob("t", "orphan");
  ASSERT_OK(held);
  EXPECT_EQ(held->owner, "dead-replica");
  EXPECT_EQ(survivor.depth().running, 0u);

  const store::JobRecord record = WaitForEnd("orphan");
  EXPECT_EQ(record.status, store::JobStatus::kSucceeded) << record.error_message;
  EXPECT_EQ(record.owner, survivor.owner());
  EXPECT_GE(record.updated_ms, now + 3000);
  EXPECT_EQ(record.result_model_version, 1);
  EXPECT_OK(tenants_[1]->GetModel("m", 1));
}

TEST_P(JobRunnerReplicasTest, AJobCancelledThroughAnotherReplicaStopsWhereItRuns) {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<store::JobStatus> states;
  JobRunner owner(stores_[0], 1, 4, ServiceLimits{}.max_fit_work,
                  ShortLeases(std::chrono::seconds(30)));
  owner.SetStateObserver([&](const std::string&, store::JobStatus state, double) {
    std::lock_guard<std::mutex> lock(mu);
    states.push_back(state);
    changed.notify_all();
  });
  JobRunner other(stores_[1], 1, 4, ServiceLimits{}.max_fit_work,
                  ShortLeases(std::chrono::seconds(30)));
  FitOptions long_fit;
  long_fit.restarts = 1000;
  long_fit.max_iterations = 10000;
  long_fit.tolerance = 0.0;
  ASSERT_OK(owner.SubmitFit(tenants_[0].get(), "long", "long", long_fit));
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] {
      return std::find(states.begin(), states.end(), store::JobStatus::kRunning) != states.end();
    }));
  }
  Result<store::JobRecord> cancelled = other.Cancel("t", "long");
  ASSERT_OK(cancelled);
  EXPECT_EQ(cancelled->status, store::JobStatus::kCancelled);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (owner.depth().running > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(owner.depth().running, 0u) << "the owner did not stop the cancelled fit";
  Result<store::JobRecord> stored = stores_[0]->GetJob("t", "long");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, store::JobStatus::kCancelled);
  EXPECT_NE(stored->error_message.find("through a replica"), std::string::npos)
      << stored->error_message;
  EXPECT_EQ(tenants_[0]->GetModel("long", 0).status().code(), StatusCode::kNotFound);
}

// A memory store in which a job finishes right after a read of it: the fault a CancelFitJob through
// one replica meets when the replica running the job stores its end at that moment.
class JobEndsAfterARead : public store::MemoryStore {
 public:
  std::function<void()> after_read;

 protected:
  Result<store::JobRecord> DoGetJob(std::string_view tenant_id, std::string_view job_id) override {
    Result<store::JobRecord> read = store::MemoryStore::DoGetJob(tenant_id, job_id);
    if (after_read) std::exchange(after_read, nullptr)();
    return read;
  }
};

TEST(JobRunnerTest, ACancellationDoesNotOverwriteAJobThatEndedMeanwhile) {
  JobEndsAfterARead store;
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  Prepare(tenant);
  store::JobRecord job;
  job.job_id = "j";
  job.kind = "fit";
  job.created_ms = 1;
  job.result_model_name = "m";
  job.params_json = FitJobParamsToJson(FitJobParams{"m", FitOptions{}});
  ASSERT_OK(store.CreateJob("t", job));
  const TimestampMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  Result<std::optional<store::JobRecord>> running =
      store.ClaimJob("t", "j", "other-replica", now, now + 60000);
  ASSERT_OK(running);
  ASSERT_TRUE(running->has_value());
  store.after_read = [&] {
    store::JobRecord succeeded = **running;
    succeeded.status = store::JobStatus::kSucceeded;
    succeeded.result_model_version = 1;
    Result<bool> stored = store.UpdateClaimedJob("t", succeeded);
    ASSERT_OK(stored);
    ASSERT_TRUE(*stored);
  };

  JobRunner here(&store, 1, 4, ServiceLimits{}.max_fit_work, ShortLeases(std::chrono::seconds(30)));
  Result<store::JobRecord> cancelled = here.Cancel("t", "j");
  EXPECT_EQ(cancelled.status().code(), StatusCode::kFailedPrecondition) << cancelled.status();
  Result<store::JobRecord> stored = store.GetJob("t", "j");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, store::JobStatus::kSucceeded) << stored->error_message;
  EXPECT_EQ(stored->result_model_version, 1);
}

INSTANTIATE_TEST_SUITE_P(Stores, JobRunnerReplicasTest,
                         ::testing::Values(SharedStore{"memory", OpenMemory},
                                           SharedStore{"postgres", OpenPostgres}),
                         [](const ::testing::TestParamInfo<SharedStore>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
}  // namespace pathwise::app