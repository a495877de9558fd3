#include "app/job_runner.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "app/fit_job_params.h"
#include "app/log.h"

namespace pathwise::app {
namespace {

using nlohmann::json;

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomHex() {
  std::random_device entropy;
  char text[17];
  std::snprintf(text, sizeof(text), "%08x%08x", entropy(), entropy());
  return text;
}

JobLeaseOptions WithOwner(JobLeaseOptions leases) {
  if (leases.owner.empty()) leases.owner = "replica-" + RandomHex();
  return leases;
}

}  // namespace

JobRunner::JobRunner(store::LearnerStore* store, int fit_threads, int64_t max_queued_per_tenant,
                     int64_t max_fit_work, JobLeaseOptions leases)
    : store_(store),
      fit_threads_(fit_threads),
      max_queued_per_tenant_(max_queued_per_tenant),
      max_fit_work_(max_fit_work),
      leases_(WithOwner(std::move(leases))),
      worker_([this] { WorkerLoop(); }),
      lease_thread_([this] { LeaseLoop(); }) {}

JobRunner::~JobRunner() {
  // Stop leaves a fit that outlasts its grace running on a detached worker, which is how a server
  // exits (the process ends next). A runner destroyed without Stop must not leave a thread that
  // uses it: a running fit is cancelled (it ends within one EM iteration) and waited for.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (running_job_ && !stopping_) cancel_running_ = true;
  }
  Stop(std::chrono::hours(24));
}

Status JobRunner::ServeTenant(Tenant* tenant) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tenants_[tenant->id()] = tenant;
  }
  return Scan(tenant);
}

bool JobRunner::KnownLocked(const std::string& tenant_id, const std::string& job_id) const {
  if (running_job_ && running_key_.first == tenant_id && running_key_.second == job_id) {
    return true;
  }
  for (const Job& job : queue_) {
    if (job.tenant->id() == tenant_id && job.record.job_id == job_id) return true;
  }
  return false;
}

Status JobRunner::Scan(Tenant* tenant) {
  const std::string& tenant_id = tenant->id();
  PATHWISE_ASSIGN_OR_RETURN(std::vector<store::JobRecord> jobs, store_->ListJobs(tenant_id));
  const TimestampMs now = NowMs();
  for (store::JobRecord& job : jobs) {
    const bool runnable = job.status == store::JobStatus::kQueued ||
                          (job.status == store::JobStatus::kRunning && job.lease_expires_ms <= now);
    if (job.kind != "fit" || !runnable) continue;
    Result<FitJobParams> params = FitJobParamsFromJson(job.params_json);
    if (!params.ok()) {
      // Claimed first, so that a job another replica has just claimed is left to it.
      const TimestampMs lease_until = now + leases_.lease.count();
      Result<std::optional<store::JobRecord>> claimed =
          store_->ClaimJob(tenant_id, job.job_id, leases_.owner, now, lease_until);
      if (!claimed.ok() || !claimed->has_value()) continue;
      store::JobRecord failed = **claimed;
      failed.status = store::JobStatus::kFailed;
      failed.error_message =
          "interrupted: the server running it stopped, and it cannot be run again (" +
          params.status().message() + "); submit it again";
      failed.updated_ms = std::max(NowMs(), failed.created_ms);
      (void)store_->UpdateClaimedJob(tenant_id, failed);
      if (observer_) observer_(tenant_id, failed.status, -1.0);
      LogLine(LogLevel::kWarning, "job interrupted by a restart")
          .Add("tenant", tenant_id)
          .Add("job", job.job_id);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status::Ok();
    if (KnownLocked(tenant_id, job.job_id)) continue;
    FitOptions options = std::move(params->options);
    options.threads = fit_threads_;
    LogLine(LogLevel::kInfo, "fit job found in the store")
        .Add("tenant", tenant_id)
        .Add("job", job.job_id)
        .Add("state", std::string(store::JobStatusName(job.status)))
        .Add("owner", job.owner);
    queue_.push_back(Job{tenant, std::move(job), std::move(options), /*counted=*/false});
    wake_.notify_one();
  }
  return Status::Ok();
}

void JobRunner::LeaseLoop() {
  // Half the shorter period: a renewal that just misses one tick comes at the next, at most
  // renew_every + tick after the last.
  const auto tick =
      std::max(std::min(leases_.renew_every, leases_.scan_every) / 2, std::chrono::milliseconds(1));
  auto last_renewal = std::chrono::steady_clock::now();
  auto last_scan = last_renewal;
  std::unique_lock<std::mutex> lock(mu_);
  while (!lease_stop_) {
    lease_wake_.wait_for(lock, tick, [this] { return lease_stop_; });
    if (lease_stop_) break;
    const auto now = std::chrono::steady_clock::now();
    const bool renew = running_job_ && now - last_renewal >= leases_.renew_every;
    const bool scan = !stopping_ && now - last_scan >= leases_.scan_every;
    std::vector<Tenant*> tenants;
    if (scan) {
      for (const auto& entry : tenants_) tenants.push_back(entry.second);
    }
    lock.unlock();
    if (renew) {
      last_renewal = now;
      (void)WriteRunning([this](store::JobRecord& record) {
        record.lease_expires_ms = NowMs() + leases_.lease.count();
      });
    }
    if (scan) {
      last_scan = now;
      for (Tenant* tenant : tenants) {
        Status status = Scan(tenant);
        if (!status.ok()) {
          LogLine(LogLevel::kWarning, "fit jobs not read from the store")
              .Add("tenant", tenant->id())
              .Add(status);
        }
      }
    }
    lock.lock();
  }
}

bool JobRunner::WriteRunning(const std::function<void(store::JobRecord&)>& change) {
  std::lock_guard<std::mutex> lock(record_mu_);
  if (!claimed_ || lost_) return false;
  store::JobRecord next = running_record_;
  change(next);
  next.updated_ms = std::max(NowMs(), next.created_ms);
  Result<bool> stored = store_->UpdateClaimedJob(running_tenant_, next);
  if (stored.ok() && *stored) {
    running_record_ = std::move(next);
    stored_lease_expires_ms_ = running_record_.lease_expires_ms;
    return true;
  }
  if (!stored.ok()) {
    LogLine(LogLevel::kError, "job state not stored")
        .Add("tenant", running_tenant_)
        .Add("job", next.job_id)
        .Add(stored.status());
    // The lease may still hold: the next renewal tries again. Once it expired, another replica
    // may run the job, so this one stops.
    if (NowMs() < stored_lease_expires_ms_) return true;
  }
  lost_ = true;
  cancel_running_ = true;
  LogLine(LogLevel::kWarning,
          "fit job lost: cancelled through another replica, or its lease expired; stopping it")
      .Add("tenant", running_tenant_)
      .Add("job", next.job_id);
  return false;
}

Result<store::JobRecord> JobRunner::SubmitFit(Tenant* tenant, std::string job_id,
                                              std::string model_name, FitOptions options) {
  options.threads = fit_threads_;
  options.progress = nullptr;
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) return Status::Unavailable("the server is shutting down");
  if (active_per_tenant_[tenant->id()] >= max_queued_per_tenant_) {
    return Status::ResourceExhausted("jobs: " + std::to_string(max_queued_per_tenant_) +
                                     " fit jobs are already queued or running for this tenant");
  }
  if (job_id.empty()) {
    // Time plus randomness: unique across restarts and replicas without consulting the store.
    job_id = "fit-" + std::to_string(NowMs()) + "-" + RandomHex();
  }
  store::JobRecord record;
  record.job_id = job_id;
  record.kind = "fit";
  record.status = store::JobStatus::kQueued;
  record.created_ms = NowMs();
  record.updated_ms = record.created_ms;
  record.result_model_name = model_name;
  record.params_json = FitJobParamsToJson(FitJobParams{model_name, options});
  PATHWISE_RETURN_IF_ERROR(store_->CreateJob(tenant->id(), record));
  ++active_per_tenant_[tenant->id()];
  queue_.push_back(Job{tenant, record, std::move(options), /*counted=*/true});
  if (observer_) observer_(tenant->id(), store::JobStatus::kQueued, -1.0);
  wake_.notify_one();
  LogLine(LogLevel::kInfo, "fit job queued")
      .Add("tenant", tenant->id())
      .Add("job", job_id)
      .Add("model_name", model_name);
  return record;
}

Result<std::pair<store::JobRecord, FitSummary>> JobRunner::Get(const std::string& tenant_id,
                                                               const std::string& job_id) const {
  PATHWISE_ASSIGN_OR_RETURN(store::JobRecord record, store_->GetJob(tenant_id, job_id));
  FitSummary summary;
  json params = json::parse(record.params_json, nullptr, /*allow_exceptions=*/false);
  if (params.is_object()) {
    auto result = params.find("result");
    if (result != params.end() && result->is_object()) {
      summary.log_likelihood = result->value("log_likelihood", 0.0);
      summary.rows = result->value("rows", uint64_t{0});
      summary.learners = result->value("learners", uint64_t{0});
    }
  }
  return std::make_pair(std::move(record), summary);
}

Status JobRunner::Update(const std::string& tenant_id, store::JobRecord& record) {
  record.updated_ms = std::max(NowMs(), record.created_ms);
  Status s = store_->UpdateJob(tenant_id, record);
  if (!s.ok()) {
    LogLine(LogLevel::kError, "job state not stored")
        .Add("tenant", tenant_id)
        .Add("job", record.job_id)
        .Add(s);
  }
  return s;
}

void JobRunner::WorkerLoop() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      const auto next = queue_.begin() + static_cast<std::ptrdiff_t>(NextJobIndex());
      job = std::move(*next);
      queue_.erase(next);
      last_start_per_tenant_[job.tenant->id()] = ++jobs_started_;
      running_job_ = true;
      running_key_ = {job.tenant->id(), job.record.job_id};
      cancel_running_ = false;
    }
    Run(job);
    {
      std::lock_guard<std::mutex> record_lock(record_mu_);
      claimed_ = false;
      lost_ = false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    running_job_ = false;
    if (job.counted) --active_per_tenant_[job.tenant->id()];
    idle_.notify_all();
  }
}

size_t JobRunner::NextJobIndex() const {
  size_t best = 0;
  uint64_t best_turn = UINT64_MAX;
  for (size_t i = 0; i < queue_.size(); ++i) {
    const auto last = last_start_per_tenant_.find(queue_[i].tenant->id());
    const uint64_t turn = last == last_start_per_tenant_.end() ? 0 : last->second;
    // Strictly less: among one tenant's jobs, and between tenants that never ran, the oldest wins.
    if (turn < best_turn) {
      best = i;
      best_turn = turn;
    }
  }
  return best;
}

void JobRunner::Run(Job& job) {
  const std::string& tenant_id = job.tenant->id();
  const TimestampMs now = NowMs();
  Result<std::optional<store::JobRecord>> claimed = store_->ClaimJob(
      tenant_id, job.record.job_id, leases_.owner, now, now + leases_.lease.count());
  if (!claimed.ok()) {
    // Left as stored: the next scan finds it again if it is still to run.
    LogLine(LogLevel::kError, "fit job not claimed")
        .Add("tenant", tenant_id)
        .Add("job", job.record.job_id)
        .Add(claimed.status());
    return;
  }
  if (!claimed->has_value()) {
    LogLine(LogLevel::kInfo, "fit job left to another replica, or already finished")
        .Add("tenant", tenant_id)
        .Add("job", job.record.job_id);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(record_mu_);
    claimed_ = true;
    lost_ = false;
    running_tenant_ = tenant_id;
    running_record_ = std::move(**claimed);
    stored_lease_expires_ms_ = running_record_.lease_expires_ms;
  }
  const std::string& job_id = job.record.job_id;
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&](store::JobStatus state) {
    if (!observer_) return;
    observer_(tenant_id, state,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  if (observer_) observer_(tenant_id, store::JobStatus::kRunning, -1.0);
  LogLine(LogLevel::kInfo, "fit job claimed")
      .Add("tenant", tenant_id)
      .Add("job", job_id)
      .Add("owner", leases_.owner);

  auto fail = [&](const Status& status) {
    const bool stored = WriteRunning([&](store::JobRecord& record) {
      record.status = store::JobStatus::kFailed;
      record.error_message = std::string(StatusCodeName(status.code())) + ": " + status.message();
      record.result_model_version = 0;
    });
    if (stored) observe(store::JobStatus::kFailed);
    LogLine(LogLevel::kWarning, "fit job failed")
        .Add("tenant", tenant_id)
        .Add("job", job_id)
        .Add(status);
  };

  // Another replica (the one the job was submitted through, say) may have put the graph since this
  // one last caught up: CollectResponseLog reads events under this replica's curriculum.
  const Status caught_up = job.tenant->CatchUp();
  if (!caught_up.ok()) return fail(caught_up);
  Result<ResponseLog> log = job.tenant->CollectResponseLog();
  if (!log.ok()) return fail(log.status());
  // The fit thread is shared by every tenant: a job that could hold it for hours fails here
  // instead.
  const double work = static_cast<double>(job.options.restarts) * job.options.max_iterations *
                      static_cast<double>(log->num_rows());
  if (work > static_cast<double>(max_fit_work_)) {
    return fail(Status::ResourceExhausted(
        "max_fit_work: restarts " + std::to_string(job.options.restarts) + " x max_iterations " +
        std::to_string(job.options.max_iterations) + " x " + std::to_string(log->num_rows()) +
        " stored events = " + DescribeNumber(work) +
        " observation-iterations exceed the server's limit of " + std::to_string(max_fit_work_) +
        "; lower restarts or max_iterations"));
  }
  // Progress is stored at most twice a second (each update is a durable write), the first report
  // at once so that a short fit shows some too.
  std::optional<std::chrono::steady_clock::time_point> last_progress;
  job.options.progress = [&](double fraction) {
    const auto reported = std::chrono::steady_clock::now();
    if (last_progress && reported - *last_progress < std::chrono::milliseconds(500)) return;
    last_progress = reported;
    (void)WriteRunning([&](store::JobRecord& record) {
      record.progress = std::min(std::max(fraction, 0.0), 1.0);
    });
  };
  job.options.cancel = &cancel_running_;
  Result<FitResult> fit = FitBkt(*log, job.options);
  // A request that came after the last E-step still wins while nothing is stored.
  if (cancel_running_) fit = Status::Cancelled("the fit was cancelled");
  if (!fit.ok() && fit.status().code() == StatusCode::kCancelled) {
    const bool stored = WriteRunning([](store::JobRecord& record) {
      record.status = store::JobStatus::kCancelled;
      record.error_message = "cancelled: CancelFitJob stopped the fit";
    });
    if (stored) observe(store::JobStatus::kCancelled);
    LogLine(LogLevel::kInfo, stored ? "fit job cancelled" : "fit job stopped: lost its lease")
        .Add("tenant", tenant_id)
        .Add("job", job_id)
        .Add("seconds",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return;
  }
  if (!fit.ok()) return fail(fit.status());
  // Renewed just before the model is stored: a replica that lost the job stores no model.
  if (!WriteRunning([this](store::JobRecord& record) {
        record.lease_expires_ms = NowMs() + leases_.lease.count();
      })) {
    return;
  }
  Result<PutModelOutcome> put = job.tenant->PutModel(job.record.result_model_name, fit->model);
  if (!put.ok()) return fail(put.status());

  const bool stored = WriteRunning([&](store::JobRecord& record) {
    json params = json::parse(record.params_json, nullptr, false);
    if (!params.is_object()) params = json::object();
    params["result"] = json{{"log_likelihood", fit->log_likelihood},
                            {"rows", static_cast<uint64_t>(fit->rows)},
                            {"learners", static_cast<uint64_t>(fit->learners)}};
    record.params_json = params.dump();
    record.status = store::JobStatus::kSucceeded;
    record.progress = 1.0;
    record.result_model_version = put->version;
  });
  if (stored) observe(store::JobStatus::kSucceeded);
  LogLine(LogLevel::kInfo, stored ? "fit job succeeded" : "fit job's model stored, but it was lost")
      .Add("tenant", tenant_id)
      .Add("job", job_id)
      .Add("model_name", job.record.result_model_name)
      .Add("model_version", put->version)
      .Add("rows", static_cast<uint64_t>(fit->rows))
      .Add("seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

Result<store::JobRecord> JobRunner::Cancel(const std::string& tenant_id, const std::string& job_id,
                                           std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->tenant->id() != tenant_id || it->record.job_id != job_id) continue;
    store::JobRecord record = it->record;
    record.status = store::JobStatus::kCancelled;
    record.error_message = "cancelled: CancelFitJob removed it from the queue before it started";
    // Stored first: a job whose cancellation was not stored stays queued, as its record says.
    PATHWISE_RETURN_IF_ERROR(Update(tenant_id, record));
    const bool counted = it->counted;
    queue_.erase(it);
    if (counted) --active_per_tenant_[tenant_id];
    if (observer_) observer_(tenant_id, record.status, -1.0);
    LogLine(LogLevel::kInfo, "fit job cancelled").Add("tenant", tenant_id).Add("job", job_id);
    return record;
  }
  const std::pair<std::string, std::string> key(tenant_id, job_id);
  if (running_job_ && running_key_ == key) {
    cancel_running_ = true;
    // The worker clears running_job_ (under mu_) after the job's final state is stored.
    idle_.wait_for(lock, wait, [&] { return !running_job_ || running_key_ != key; });
    return store_->GetJob(tenant_id, job_id);
  }
  lock.unlock();
  // Held by another replica, or by none (queued there, or its replica died). The cancellation is
  // written only while the job is unfinished in the store, so that one that ends between the read
  // and the write keeps its end (and its stored model): a job queued or with an expired lease is
  // claimed here first; one running elsewhere is overwritten only while that replica still owns it
  // (UpdateClaimedJob), and its owner's next lease renewal then fails and stops the fit.
  constexpr int kAttempts = 8;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    PATHWISE_ASSIGN_OR_RETURN(store::JobRecord record, store_->GetJob(tenant_id, job_id));
    if (record.status != store::JobStatus::kQueued && record.status != store::JobStatus::kRunning) {
      return Status::FailedPrecondition("job '" + job_id + "' already finished (" +
                                        std::string(store::JobStatusName(record.status)) +
                                        "); only a QUEUED or RUNNING job can be cancelled");
    }
    const TimestampMs now = NowMs();
    if (record.status == store::JobStatus::kQueued || record.lease_expires_ms <= now) {
      PATHWISE_ASSIGN_OR_RETURN(
          std::optional<store::JobRecord> claimed,
          store_->ClaimJob(tenant_id, job_id, leases_.owner, now, now + leases_.lease.count()));
      if (!claimed.has_value()) continue;  // claimed elsewhere or finished meanwhile
      record = std::move(*claimed);
    }
    record.status = store::JobStatus::kCancelled;
    record.error_message =
        "cancelled: CancelFitJob, through a replica that was not running it; the replica running "
        "it stops at its next lease renewal";
    record.updated_ms = std::max(NowMs(), record.created_ms);
    PATHWISE_ASSIGN_OR_RETURN(bool stored, store_->UpdateClaimedJob(tenant_id, record));
    if (!stored) continue;  // it changed hands or finished meanwhile
    if (observer_) observer_(tenant_id, record.status, -1.0);
    LogLine(LogLevel::kInfo, "fit job of another replica cancelled")
        .Add("tenant", tenant_id)
        .Add("job", job_id)
        .Add("owner", record.owner);
    return record;
  }
  return Status(StatusCode::kAborted, "job '" + job_id + "' changed hands " +
                                          std::to_string(kAttempts) +
                                          " times while it was being cancelled; cancel it again");
}

JobRunner::Depth JobRunner::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Depth{queue_.size(), running_job_ ? size_t{1} : size_t{0}};
}

bool JobRunner::Stop(std::chrono::milliseconds grace) {
  bool finished = true;
  size_t left_queued = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!worker_.joinable()) return true;
    stopping_ = true;
    left_queued = queue_.size();
    queue_.clear();
    wake_.notify_all();
    // The lease is renewed during the grace, so that no other replica takes the job meanwhile.
    finished = idle_.wait_for(lock, grace, [this] { return !running_job_; });
    lease_stop_ = true;
    lease_wake_.notify_all();
  }
  lease_thread_.join();
  if (left_queued > 0) {
    LogLine(LogLevel::kInfo,
            "fit jobs left queued in the store, for another replica or the next "
            "start")
        .Add("jobs", static_cast<uint64_t>(left_queued));
  }
  if (finished) {
    worker_.join();
  } else {
    LogLine(LogLevel::kWarning,
            "a fit job is still running at shutdown; its lease is no longer renewed, so another "
            "replica (or the next start) runs it again once the lease expired");
    worker_.detach();
  }
  return finished;
}

}  // namespace pathwise::app
