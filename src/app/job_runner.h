// Background model fits: queued per server, run one at a time, their state kept in the store.
#ifndef PATHWISE_APP_JOB_RUNNER_H_
#define PATHWISE_APP_JOB_RUNNER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <pathwise/fit.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/limits.h"
#include "app/tenant.h"
#include "store/learner_store.h"

namespace pathwise::app {

/// What a finished fit reports beside its model (kept in the job's params_json).
struct FitSummary {
  double log_likelihood = 0.0;
  uint64_t rows = 0;
  uint64_t learners = 0;
};

/// Runs fit jobs on one worker thread (a fit uses `fit_threads` threads itself), taking turns
/// between tenants: the next job is the oldest queued one of the tenant whose last job started
/// longest ago (or never), so one tenant's backlog waits behind each other tenant's next job, not
/// ahead of it. Each job's size is bounded by `max_fit_work`. A job's record is in the store from
/// submission on: QUEUED, RUNNING (with progress), then SUCCEEDED with the model version it stored,
/// FAILED with the reason, or CANCELLED (by Cancel, or queued at Stop). Jobs left QUEUED or RUNNING
/// by a server that stopped are marked FAILED by RecoverInterrupted at the next start.
///
/// Thread safety: every method may be called concurrently.
///
/// Example:
///
///     JobRunner jobs(store, /*fit_threads=*/2, /*max_queued_per_tenant=*/4);
///     auto job = jobs.SubmitFit(tenant, "", "active", FitOptions{});
class JobRunner {
 public:
  /// `store` must outlive the runner.
  /// A job whose restarts x max_iterations x stored events exceeds `max_fit_work` fails before it
  /// fits (ServiceLimits::max_fit_work).
  JobRunner(store::LearnerStore* store, int fit_threads, int64_t max_queued_per_tenant,
            int64_t max_fit_work = ServiceLimits{}.max_fit_work);
  /// Stops (see Stop) with no grace.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  /// Marks the tenant's QUEUED and RUNNING jobs FAILED ("interrupted ..."). Store errors.
  Status RecoverInterrupted(const std::string& tenant_id);

  /// Queues a fit of `tenant`'s stored events whose model is stored under `model_name`. An empty
  /// job_id gets a generated one. ResourceExhausted when the tenant has max_queued_per_tenant jobs
  /// queued or running; AlreadyExists for a job id in use; Unavailable once stopping.
  Result<store::JobRecord> SubmitFit(Tenant* tenant, std::string job_id, std::string model_name,
                                     FitOptions options);

  /// The job's record and, when it succeeded, its summary. NotFound for another tenant's job.
  Result<std::pair<store::JobRecord, FitSummary>> Get(const std::string& tenant_id,
                                                      const std::string& job_id) const;

  /// Cancels a queued or running job of `tenant_id` and returns its record once it stopped:
  /// CANCELLED, or the state it reached when it finished before it saw the request (a running fit
  /// stops within one EM iteration; nothing it fitted is stored). A job that takes longer than
  /// `wait` to stop is returned RUNNING and ends CANCELLED soon after. NotFound for an unknown job
  /// (another tenant's included); FailedPrecondition for a job that already finished; store errors.
  Result<store::JobRecord> Cancel(const std::string& tenant_id, const std::string& job_id,
                                  std::chrono::milliseconds wait = std::chrono::seconds(10));

  /// Told of each state a job enters in this runner, with its time since RUNNING for an end state
  /// reached from RUNNING (negative otherwise). Called while the runner may hold its lock: it must
  /// be cheap and must not call the runner.
  using StateObserver =
      std::function<void(const std::string& tenant_id, store::JobStatus state, double run_seconds)>;
  /// Call before the first SubmitFit.
  void SetStateObserver(StateObserver observer) { observer_ = std::move(observer); }

  /// Jobs waiting in the queue, and running (0 or 1), right now.
  struct Depth {
    size_t queued = 0;
    size_t running = 0;
  };
  Depth depth() const;

  /// Stops taking jobs, marks queued ones CANCELLED and waits up to `grace` for the running one.
  /// Returns false when a job was still running at the deadline (its thread is then detached: the
  /// caller must not destroy the store before the process exits).
  bool Stop(std::chrono::milliseconds grace);

 private:
  struct Job {
    Tenant* tenant = nullptr;
    store::JobRecord record;
    FitOptions options;
  };

  void WorkerLoop();
  // Where in queue_ the next job to start is (the turn-taking above). queue_ must not be empty.
  size_t NextJobIndex() const;
  void Run(Job& job);
  Status Update(const std::string& tenant_id, store::JobRecord& record);

  store::LearnerStore* const store_;
  const int fit_threads_;
  const int64_t max_queued_per_tenant_;
  const int64_t max_fit_work_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Job> queue_;
  std::map<std::string, int64_t> active_per_tenant_;  // queued + running
  uint64_t jobs_started_ = 0;
  std::map<std::string, uint64_t>
      last_start_per_tenant_;  // jobs_started_ when its last job started
  bool running_job_ = false;
  // Which job runs (tenant id, job id), while running_job_, and the flag its fit reads.
  std::pair<std::string, std::string> running_key_;
  std::atomic<bool> cancel_running_{false};
  bool stopping_ = false;
  StateObserver observer_;
  std::thread worker_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_JOB_RUNNER_H_
