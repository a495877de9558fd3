#include "app/server_metrics.h"

#include <cctype>

namespace pathwise::app {
namespace {

// A fit takes from a fraction of a second to the hours max_fit_work allows.
std::vector<double> FitDurationBuckets() {
  return {0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200};
}

// "SUCCEEDED" -> "succeeded": label values in the style of Prometheus's own.
std::string StateLabel(store::JobStatus state) {
  std::string out(store::JobStatusName(state));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

ServerMetrics::ServerMetrics()
    : rpc_requests_(registry_.AddCounter("pathwise_rpc_requests_total",
                                         "RPCs finished, by method and tenant.",
                                         {"service", "method", "tenant"})),
      rpc_errors_(registry_.AddCounter("pathwise_rpc_errors_total",
                                       "RPCs finished with a status other than OK, by gRPC code.",
                                       {"service", "method", "tenant", "code"})),
      rpc_duration_(registry_.AddHistogram(
          "pathwise_rpc_duration_seconds",
          "Time from the start of an RPC to its status (a stream's whole life).",
          {"service", "method", "tenant"}, LatencyBuckets())),
      commit_duration_(registry_
                           .AddHistogram("pathwise_store_commit_duration_seconds",
                                         "Time of a store's event commit, from the call to the "
                                         "durable transaction (group commit wait included).",
                                         {}, LatencyBuckets())
                           .With({})),
      commit_failures_(registry_
                           .AddCounter("pathwise_store_commit_failures_total",
                                       "Event commits that returned an error (nothing stored).")
                           .With({})),
      events_committed_(registry_.AddCounter("pathwise_store_events_committed_total",
                                             "Events stored, duplicates not counted.", {"tenant"})),
      commit_queue_depth_(
          registry_
              .AddGauge("pathwise_store_commit_queue_depth",
                        "Writes waiting for the SQLite group-commit writer (0 for other stores).")
              .With({})),
      fit_queue_depth_(
          registry_.AddGauge("pathwise_fit_queue_depth", "Fit jobs queued and not yet running.")
              .With({})),
      fit_jobs_running_(
          registry_.AddGauge("pathwise_fit_jobs_running", "Fit jobs running.").With({})),
      fit_jobs_(registry_.AddCounter(
          "pathwise_fit_jobs_total",
          "Fit jobs that entered each state (queued, running, succeeded, failed, cancelled).",
          {"tenant", "state"})),
      fit_duration_(
          registry_.AddHistogram("pathwise_fit_duration_seconds",
                                 "Time of a fit job from RUNNING to the state it ended in.",
                                 {"tenant", "state"}, FitDurationBuckets())),
      warm_up_complete_(registry_.AddGauge(
          "pathwise_tenant_warm_up_complete",
          "1 once every stored learner of the tenant is in memory (after a start from stored "
          "states, the background warm-up is done), else 0.",
          {"tenant"})),
      warm_up_seconds_(registry_.AddGauge(
          "pathwise_tenant_warm_up_seconds",
          "Seconds the tenant's warm-up took to restore every stored learner (0 until done).",
          {"tenant"})) {}

void ServerMetrics::RecordRpc(std::string_view service, std::string_view method,
                              std::string_view tenant_id, std::string_view code, double seconds) {
  rpc_requests_.With({service, method, tenant_id}).Increment();
  rpc_duration_.With({service, method, tenant_id}).Observe(seconds);
  if (code != "OK") rpc_errors_.With({service, method, tenant_id, code}).Increment();
}

void ServerMetrics::RecordCommit(const store::CommitReport& report) {
  commit_duration_.Observe(report.seconds);
  if (!report.ok) {
    commit_failures_.Increment();
    return;
  }
  events_committed_.With({report.tenant_id}).Increment(report.num_recorded);
}

void ServerMetrics::RecordFitJob(std::string_view tenant_id, store::JobStatus state,
                                 double run_seconds) {
  const std::string label = StateLabel(state);
  fit_jobs_.With({tenant_id, label}).Increment();
  if (run_seconds >= 0.0) fit_duration_.With({tenant_id, label}).Observe(run_seconds);
}

}  // namespace pathwise::app
