// What pathwised counts about itself: calls per RPC and tenant, store commits, queues and fit jobs.
// The names and their meaning are listed once here (and in the README's service section).
#ifndef PATHWISE_APP_SERVER_METRICS_H_
#define PATHWISE_APP_SERVER_METRICS_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "app/metrics.h"
#include "store/learner_store.h"

namespace pathwise::app {

/// pathwised's metric families, in one registry (labels in braces):
///
/// - pathwise_rpc_requests_total{service,method,tenant}: calls finished.
/// - pathwise_rpc_errors_total{service,method,tenant,code}: calls finished with a non-OK code.
/// - pathwise_rpc_duration_seconds{service,method,tenant}: histogram, call start to status.
/// - pathwise_store_commit_duration_seconds: histogram of event commits.
/// - pathwise_store_commit_failures_total: event commits that returned an error.
/// - pathwise_store_events_committed_total{tenant}: events stored (duplicates not).
/// - pathwise_store_commit_queue_depth: writes waiting for the SQLite writer.
/// - pathwise_fit_queue_depth, pathwise_fit_jobs_running: fit jobs queued, running.
/// - pathwise_fit_jobs_total{tenant,state}: jobs that entered each state.
/// - pathwise_fit_duration_seconds{tenant,state}: histogram, RUNNING to the job's end state.
/// - pathwise_tenant_warm_up_complete{tenant}: 1 once every stored learner is in memory (a start
///   from stored states serves at once and restores the learners in the background), else 0.
/// - pathwise_tenant_warm_up_seconds{tenant}: how long that warm-up took (0 until it is done).
///
/// `tenant` is the tenant id (never an API key); it is empty for a call that did not authenticate.
/// `code` is the gRPC status code's name (NOT_FOUND, ...); `state` a job state's lower-case name.
///
/// Thread safety: every method may be called concurrently.
class ServerMetrics {
 public:
  ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  MetricsRegistry& registry() { return registry_; }

  /// A finished call: `code` is "OK" or the error code's name.
  void RecordRpc(std::string_view service, std::string_view method, std::string_view tenant_id,
                 std::string_view code, double seconds);

  /// A store's CommitEvents, as store::LearnerStore::SetCommitObserver reports it.
  void RecordCommit(const store::CommitReport& report);

  /// A fit job entered `state`; `run_seconds` is its time since RUNNING for an end state it
  /// reached from RUNNING, negative otherwise.
  void RecordFitJob(std::string_view tenant_id, store::JobStatus state, double run_seconds);

  /// Queue depths, set by the server's collect hook before each rendering.
  Gauge& commit_queue_depth() { return commit_queue_depth_; }
  Gauge& fit_queue_depth() { return fit_queue_depth_; }
  Gauge& fit_jobs_running() { return fit_jobs_running_; }
  /// Per tenant, set by the server's collect hook from Tenant::last_load.
  Family<Gauge>& warm_up_complete() { return warm_up_complete_; }
  Family<Gauge>& warm_up_seconds() { return warm_up_seconds_; }

 private:
  MetricsRegistry registry_;
  Family<Counter>& rpc_requests_;
  Family<Counter>& rpc_errors_;
  Family<Histogram>& rpc_duration_;
  Histogram& commit_duration_;
  Counter& commit_failures_;
  Family<Counter>& events_committed_;
  Gauge& commit_queue_depth_;
  Gauge& fit_queue_depth_;
  Gauge& fit_jobs_running_;
  Family<Counter>& fit_jobs_;
  Family<Histogram>& fit_duration_;
  Family<Gauge>& warm_up_complete_;
  Family<Gauge>& warm_up_seconds_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_SERVER_METRICS_H_
