#include "app/job_runner.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "app/log.h"

namespace pathwise::app {
namespace {

using nlohmann::json;

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json OptionsToJson(const FitOptions& o) {
  return json{
      {"max_iterations", o.max_iterations},
      {"tolerance", o.tolerance},
      {"restarts", o.restarts},
      {"seed", o.seed},
      {"forgets", o.forgets},
      {"multigs", o.multigs},
      {"multilearn", o.multilearn},
      {"multiprior", o.multiprior == PriorGroupSource::kFirstResponse ? "first_response" : "none"},
      {"ibkt", o.ibkt},
      {"ibkt_l2", o.ibkt_l2}};
}

}  // namespace

JobRunner::JobRunner(store::LearnerStore* store, int fit_threads, int64_t max_queued_per_tenant,
                     int64_t max_fit_work)
    : store_(store),
      fit_threads_(fit_threads),
      max_queued_per_tenant_(max_queued_per_tenant),
      max_fit_work_(max_fit_work),
      worker_([this] { WorkerLoop(); }) {}

JobRunner::~JobRunner() { Stop(std::chrono::milliseconds(0)); }

Status JobRunner::RecoverInterrupted(const std::string& tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(std::vector<store::JobRecord> jobs, store_->ListJobs(tenant_id));
  for (store::JobRecord& job : jobs) {
    if (job.status != store::JobStatus::kQueued && job.status != store::JobStatus::kRunning) {
      continue;
    }
    job.status = store::JobStatus::kFailed;
    job.error_message = "interrupted: the server stopped before the job finished; submit it again";
    job.updated_ms = NowMs();
    PATHWISE_RETURN_IF_ERROR(store_->UpdateJob(tenant_id, job));
    LogLine(LogLevel::kWarning, "job interrupted by a restart")
        .Add("tenant", tenant_id)
        .Add("job", job.job_id);
  }
  return Status::Ok();
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
    // Time plus randomness: unique across restarts without consulting the store.
    std::random_device entropy;
    char suffix[17];
    std::snprintf(suffix, sizeof(suffix), "%08x%08x", entropy(), entropy());
    job_id = "fit-" + std::to_string(NowMs()) + "-" + suffix;
  }
  store::JobRecord record;
  record.job_id = job_id;
  record.kind = "fit";
  record.status = store::JobStatus::kQueued;
  record.created_ms = NowMs();
  record.updated_ms = record.created_ms;
  record.result_model_name = model_name;
  record.params_json = json{{"model_name", model_name}, {"options", OptionsToJson(options)}}.dump();
  PATHWISE_RETURN_IF_ERROR(store_->CreateJob(tenant->id(), record));
  ++active_per_tenant_[tenant->id()];
  queue_.push_back(Job{tenant, record, std::move(options)});
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
    std::lock_guard<std::mutex> lock(mu_);
    running_job_ = false;
    --active_per_tenant_[job.tenant->id()];
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
  store::JobRecord& record = job.record;
  record.status = store::JobStatus::kRunning;
  (void)Update(tenant_id, record);
  const auto started = std::chrono::steady_clock::now();
  auto observe = [&] {
    if (!observer_) return;
    observer_(tenant_id, record.status,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  if (observer_) observer_(tenant_id, record.status, -1.0);

  auto fail = [&](const Status& status) {
    record.status = store::JobStatus::kFailed;
    record.error_message = std::string(StatusCodeName(status.code())) + ": " + status.message();
    record.result_model_version = 0;
    (void)Update(tenant_id, record);
    observe();
    LogLine(LogLevel::kWarning, "fit job failed")
        .Add("tenant", tenant_id)
        .Add("job", record.job_id)
        .Add(status);
  };

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
    const auto now = std::chrono::steady_clock::now();
    if (last_progress && now - *last_progress < std::chrono::milliseconds(500)) return;
    last_progress = now;
    record.progress = std::min(std::max(fraction, 0.0), 1.0);
    (void)Update(tenant_id, record);
  };
  job.options.cancel = &cancel_running_;
  Result<FitResult> fit = FitBkt(*log, job.options);
  // A request that came after the last E-step still wins while nothing is stored.
  if (cancel_running_) fit = Status::Cancelled("the fit was cancelled");
  if (!fit.ok() && fit.status().code() == StatusCode::kCancelled) {
    record.status = store::JobStatus::kCancelled;
    record.error_message = "cancelled: CancelFitJob stopped the fit";
    (void)Update(tenant_id, record);
    observe();
    LogLine(LogLevel::kInfo, "fit job cancelled")
        .Add("tenant", tenant_id)
        .Add("job", record.job_id)
        .Add("seconds",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return;
  }
  if (!fit.ok()) return fail(fit.status());
  Result<PutModelOutcome> put = job.tenant->PutModel(record.result_model_name, fit->model);
  if (!put.ok()) return fail(put.status());

  json params = json::parse(record.params_json, nullptr, false);
  if (!params.is_object()) params = json::object();
  params["result"] = json{{"log_likelihood", fit->log_likelihood},
                          {"rows", static_cast<uint64_t>(fit->rows)},
                          {"learners", static_cast<uint64_t>(fit->learners)}};
  record.params_json = params.dump();
  record.status = store::JobStatus::kSucceeded;
  record.progress = 1.0;
  record.result_model_version = put->version;
  (void)Update(tenant_id, record);
  observe();
  LogLine(LogLevel::kInfo, "fit job succeeded")
      .Add("tenant", tenant_id)
      .Add("job", record.job_id)
      .Add("model_name", record.result_model_name)
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
    queue_.erase(it);
    --active_per_tenant_[tenant_id];
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
  PATHWISE_ASSIGN_OR_RETURN(store::JobRecord record, store_->GetJob(tenant_id, job_id));
  if (record.status == store::JobStatus::kQueued || record.status == store::JobStatus::kRunning) {
    // Not in this runner's queue: left by a server that stopped (RecoverInterrupted marks it).
    return Status::FailedPrecondition("job '" + job_id + "' is " +
                                      std::string(store::JobStatusName(record.status)) +
                                      " but not run by this server; it is marked FAILED at the "
                                      "next start");
  }
  return Status::FailedPrecondition("job '" + job_id + "' already finished (" +
                                    std::string(store::JobStatusName(record.status)) +
                                    "); only a QUEUED or RUNNING job can be cancelled");
}

JobRunner::Depth JobRunner::depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Depth{queue_.size(), running_job_ ? size_t{1} : size_t{0}};
}

bool JobRunner::Stop(std::chrono::milliseconds grace) {
  std::deque<Job> cancelled;
  bool finished = true;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!worker_.joinable()) return true;
    stopping_ = true;
    cancelled.swap(queue_);
    wake_.notify_all();
    finished = idle_.wait_for(lock, grace, [this] { return !running_job_; });
  }
  for (Job& job : cancelled) {
    job.record.status = store::JobStatus::kCancelled;
    job.record.error_message = "cancelled: the server shut down before the job started";
    (void)Update(job.tenant->id(), job.record);
    if (observer_) observer_(job.tenant->id(), job.record.status, -1.0);
  }
  if (finished) {
    worker_.join();
  } else {
    LogLine(LogLevel::kWarning,
            "a fit job is still running at shutdown; it will be marked failed "
            "at the next start");
    worker_.detach();
  }
  return finished;
}

}  // namespace pathwise::app
