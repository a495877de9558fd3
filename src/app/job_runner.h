// Background model fits: run one at a time per server, their state and their lease kept in the
// store, so that of the replicas sharing a store one runs each job, and another finishes it when
// that one dies.
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

/// How a runner holds the jobs it runs (see JobRunner).
struct JobLeaseOptions {
  /// This runner's id in JobRecord::owner; empty: a random one, new at every start.
  std::string owner;
  /// How long a claim holds without renewal: when a replica dies, its job waits this long (plus
  /// up to scan_every) before another replica takes it over.
  std::chrono::milliseconds lease{std::chrono::seconds(30)};
  /// How often the running job's lease is renewed; well below `lease`, so that a slow store
  /// write does not lose it.
  std::chrono::milliseconds renew_every{std::chrono::seconds(10)};
  /// How often the store is read for jobs this runner does not know yet: queued by another
  /// replica, or RUNNING under an expired lease (their replica died).
  std::chrono::milliseconds scan_every{std::chrono::seconds(5)};
};

/// Runs fit jobs on one worker thread (a fit uses `fit_threads` threads itself), taking turns
/// between tenants: the next job is the oldest queued one of the tenant whose last job started
/// longest ago (or never), so one tenant's backlog waits behind each other tenant's next job, not
/// ahead of it. Each job's size is bounded by `max_fit_work`. A job's record is in the store from
/// submission on: QUEUED, RUNNING (with progress), then SUCCEEDED with the model version it stored,
/// FAILED with the reason, or CANCELLED (by Cancel).
///
/// Replicas: runners of several processes may share one store. A runner runs a job only after
/// LearnerStore::ClaimJob made it the job's owner, renews that lease every renew_every while the
/// fit runs, and stores every later state of the job through LearnerStore::UpdateClaimedJob, so a
/// job runs on one replica at a time and its end state is stored once. Every scan_every the runner
/// reads the jobs of the tenants it serves (ServeTenant) and queues those it may run: QUEUED ones
/// (submitted through any replica) and RUNNING ones whose lease expired (their replica died or
/// stopped mid-fit); the job's params_json holds its whole request (fit_job_params.h). A runner
/// that loses its lease (it could not renew in time, or the job was cancelled through another
/// replica) stops its fit and stores nothing more of that job. Jobs stored by a server older than
/// leases cannot be re-run as submitted: they are marked FAILED ("interrupted ...") once no lease
/// holds them. A job whose replica dies after its model was stored but before its end state was
/// runs again on another replica and stores a second model version.
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
            int64_t max_fit_work = ServiceLimits{}.max_fit_work, JobLeaseOptions leases = {});
  /// Stops (see Stop); a fit still running (Stop was not called) is cancelled and waited for, so
  /// that no thread outlives the runner.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  /// Runs `tenant`'s jobs found in the store from now on (see the class comment): reads them once
  /// now, then every scan_every. `tenant` must outlive the runner. Store errors of the first read.
  Status ServeTenant(Tenant* tenant);

  /// This runner's id in the records of the jobs it claims.
  const std::string& owner() const { return leases_.owner; }

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
  /// `wait` to stop is returned RUNNING and ends CANCELLED soon after. A job this runner does not
  /// hold (queued or run by another replica) is marked CANCELLED in the store and returned so; the
  /// replica running it sees that at its next lease renewal (within renew_every) and stops the fit
  /// without storing its model. NotFound for an unknown job (another tenant's included);
  /// FailedPrecondition for a job that already finished; store errors.
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

  /// Stops taking jobs and waits up to `grace` for the running one. Queued jobs stay QUEUED in the
  /// store, for another replica or the next start. Returns false when a job was still running at
  /// the deadline (its thread is then detached: the caller must not destroy the store before the
  /// process exits; its lease is no longer renewed, so another replica takes the job over).
  bool Stop(std::chrono::milliseconds grace);

 private:
  struct Job {
    Tenant* tenant = nullptr;
    store::JobRecord record;
    FitOptions options;
    // Submitted through this runner: counted in active_per_tenant_ (jobs found by a scan are not).
    bool counted = false;
  };

  void WorkerLoop();
  // Renews the running job's lease and scans the store, until lease_stop_.
  void LeaseLoop();
  // Queues the tenant's jobs this runner may run and does not know yet (see the class comment).
  Status Scan(Tenant* tenant);
  // Whether the job is in queue_ or running here. REQUIRES: mu_ held.
  bool KnownLocked(const std::string& tenant_id, const std::string& job_id) const;
  // Applies `change` to the running job's record and stores it under the lease. false once the
  // lease is lost (the fit is then cancelled, and nothing more of the job is stored).
  bool WriteRunning(const std::function<void(store::JobRecord&)>& change);
  // Where in queue_ the next job to start is (the turn-taking above). queue_ must not be empty.
  size_t NextJobIndex() const;
  void Run(Job& job);
  Status Update(const std::string& tenant_id, store::JobRecord& record);

  store::LearnerStore* const store_;
  const int fit_threads_;
  const int64_t max_queued_per_tenant_;
  const int64_t max_fit_work_;
  const JobLeaseOptions leases_;

  // The running job's record as last stored under its lease; written by the worker (progress,
  // end state) and the lease thread (renewals).
  std::mutex record_mu_;
  bool claimed_ = false;  // running_record_ holds a claimed job
  bool lost_ = false;     // its lease was lost
  std::string running_tenant_;
  store::JobRecord running_record_;
  TimestampMs stored_lease_expires_ms_ = 0;

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
  bool lease_stop_ = false;
  std::condition_variable lease_wake_;
  std::map<std::string, Tenant*> tenants_;  // ServeTenant's, by id
  StateObserver observer_;
  std::thread worker_;
  std::thread lease_thread_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_JOB_RUNNER_H_
