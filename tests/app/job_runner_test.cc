// The fit-job runner without a server: tenants take turns on the shared fit thread.
#include "app/job_runner.h"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/memory_store.h"
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

}  // namespace
}  // namespace pathwise::app
