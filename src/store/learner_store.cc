#include "store/learner_store.h"

#include <chrono>

#include "store/store_validation.h"

namespace pathwise::store {

using internal::ValidateId;

// Every method checks its arguments before this, so a malformed call gets the same InvalidArgument
// whether or not the store is open.
Status LearnerStore::CheckUsable() const {
  if (closed_.load(std::memory_order_acquire)) return internal::StoreClosed();
  if (damaged_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(damage_mu_);
    return damage_;
  }
  return Status::Ok();
}

Result<int64_t> LearnerStore::PutGraph(std::string_view tenant_id, std::string_view graph_json) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(graph_json, "graph_json"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoPutGraph(tenant_id, graph_json));
}

Result<GraphVersion> LearnerStore::GetGraph(std::string_view tenant_id, int64_t version) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetGraph(tenant_id, version));
}

Result<int64_t> LearnerStore::PutRoster(std::string_view tenant_id, std::string_view roster_json) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(roster_json, "roster_json"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoPutRoster(tenant_id, roster_json));
}

Result<RosterVersion> LearnerStore::GetRoster(std::string_view tenant_id, int64_t version) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetRoster(tenant_id, version));
}

Result<int64_t> LearnerStore::PutModel(std::string_view tenant_id, std::string_view name,
                                       std::string_view model_json) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(name, "name"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(model_json, "model_json"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoPutModel(tenant_id, name, model_json));
}

Result<ModelVersion> LearnerStore::GetModel(std::string_view tenant_id, std::string_view name,
                                            int64_t version) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(name, "name"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetModel(tenant_id, name, version));
}

Result<std::vector<ModelVersion>> LearnerStore::ListModels(std::string_view tenant_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoListModels(tenant_id));
}

Result<CommitResult> LearnerStore::CommitEvents(const EventBatch& batch) {
  std::vector<size_t> learner_of_event;
  PATHWISE_RETURN_IF_ERROR(internal::ValidateEventBatch(batch, &learner_of_event));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  if (!commit_observer_) return NoticeDamage(DoCommitEvents(batch, learner_of_event));
  const auto started = std::chrono::steady_clock::now();
  Result<CommitResult> result = NoticeDamage(DoCommitEvents(batch, learner_of_event));
  CommitReport report;
  report.tenant_id = batch.tenant_id;
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.ok = result.ok();
  report.num_recorded = result.ok() ? result->num_recorded : 0;
  commit_observer_(report);
  return result;
}

Result<CommitResult> LearnerStore::ReplaceLearner(const EventBatch& batch) {
  if (batch.learners.size() != 1) {
    return Status::InvalidArgument("learners: ReplaceLearner takes exactly one learner, not " +
                                   std::to_string(batch.learners.size()));
  }
  std::vector<size_t> learner_of_event;
  PATHWISE_RETURN_IF_ERROR(internal::ValidateEventBatch(batch, &learner_of_event));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  EventBatch fresh = batch;
  fresh.learners[0].expected_version = 0;
  return NoticeDamage(DoReplaceLearner(batch.learners[0], fresh, learner_of_event));
}

Result<std::vector<bool>> LearnerStore::FindRecordedEvents(
    std::string_view tenant_id, std::string_view learner_id,
    const std::vector<std::string>& event_ids) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(learner_id, "learner_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoFindRecordedEvents(tenant_id, learner_id, event_ids));
}

Result<StoredLearner> LearnerStore::GetLearner(std::string_view tenant_id,
                                               std::string_view learner_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(learner_id, "learner_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetLearner(tenant_id, learner_id));
}

Status LearnerStore::ForEachLearner(std::string_view tenant_id,
                                    const std::function<Status(const StoredLearner&)>& visitor) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoForEachLearner(tenant_id, visitor));
}

Result<std::vector<StoredObservation>> LearnerStore::ListEvents(std::string_view tenant_id,
                                                                std::string_view learner_id,
                                                                int64_t after_sequence,
                                                                size_t limit) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(learner_id, "learner_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoListEvents(tenant_id, learner_id, after_sequence, limit));
}

Result<std::vector<std::string>> LearnerStore::ListLearners(std::string_view tenant_id,
                                                            std::string_view after_learner_id,
                                                            size_t limit) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoListLearners(tenant_id, after_learner_id, limit));
}

Status LearnerStore::DeleteLearner(std::string_view tenant_id, std::string_view learner_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(learner_id, "learner_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoDeleteLearner(tenant_id, learner_id));
}

Status LearnerStore::PutStateOrigin(std::string_view tenant_id, std::string_view origin) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoPutStateOrigin(tenant_id, origin));
}

Result<std::string> LearnerStore::GetStateOrigin(std::string_view tenant_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetStateOrigin(tenant_id));
}

Result<std::vector<std::string>> LearnerStore::ListTenants() {
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoListTenants());
}

Status LearnerStore::CreateJob(std::string_view tenant_id, const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateJob(job));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoCreateJob(tenant_id, job));
}

Status LearnerStore::UpdateJob(std::string_view tenant_id, const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateJob(job));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoUpdateJob(tenant_id, job));
}

Result<JobRecord> LearnerStore::GetJob(std::string_view tenant_id, std::string_view job_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(job_id, "job_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoGetJob(tenant_id, job_id));
}

Result<std::vector<JobRecord>> LearnerStore::ListJobs(std::string_view tenant_id) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoListJobs(tenant_id));
}

Result<std::optional<JobRecord>> LearnerStore::ClaimJob(std::string_view tenant_id,
                                                        std::string_view job_id,
                                                        std::string_view owner, TimestampMs now_ms,
                                                        TimestampMs lease_until_ms) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(job_id, "job_id"));
  PATHWISE_RETURN_IF_ERROR(ValidateId(owner, "owner"));
  if (lease_until_ms <= now_ms) {
    return Status::InvalidArgument("lease_until_ms: must be after now_ms (" +
                                   std::to_string(now_ms) + "), got " +
                                   std::to_string(lease_until_ms));
  }
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoClaimJob(tenant_id, job_id, owner, now_ms, lease_until_ms));
}

Result<bool> LearnerStore::UpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateJob(job));
  PATHWISE_RETURN_IF_ERROR(ValidateId(job.owner, "job.owner"));
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoUpdateClaimedJob(tenant_id, job));
}

Status LearnerStore::WatchChanges(ChangeListener listener) {
  // Stopping is allowed after Close, so that an owner may stop its watch in any order.
  if (listener) PATHWISE_RETURN_IF_ERROR(CheckUsable());
  return NoticeDamage(DoWatchChanges(std::move(listener)));
}

Status LearnerStore::CheckIntegrity() {
  PATHWISE_RETURN_IF_ERROR(CheckUsable());
  Status checked = DoCheckIntegrity();
  if (checked.code() == StatusCode::kDataLoss) {
    std::lock_guard<std::mutex> lock(damage_mu_);
    damage_ = checked;
    damaged_.store(true, std::memory_order_release);
  }
  return checked;
}

Status LearnerStore::Close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return Status::Ok();
  return DoClose();
}

}  // namespace pathwise::store
