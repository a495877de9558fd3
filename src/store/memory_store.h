// LearnerStore kept in memory: for tests and for running pathwised without a data directory.
#ifndef PATHWISE_STORE_MEMORY_STORE_H_
#define PATHWISE_STORE_MEMORY_STORE_H_

#include <functional>
#include <memory>

#include "store/learner_store.h"

namespace pathwise::store {

struct MemoryStoreOptions {
  /// Tests only: called inside CommitEvents after a batch's events were written and before its
  /// states are; a non-OK status fails the batch (which must then leave nothing behind). Unset in
  /// production.
  std::function<Status(const EventBatch&)> fault_hook_for_testing;
};

/// A LearnerStore whose data lives in this process only and is gone when it is destroyed. Behaves
/// exactly as SqliteStore otherwise (the same test suite runs against both).
///
/// Thread safety: every method may be called concurrently (one mutex; writes are short).
///
/// Example:
///
///     std::unique_ptr<pathwise::store::LearnerStore> store =
///         std::make_unique<pathwise::store::MemoryStore>();
class MemoryStore : public LearnerStore {
 public:
  explicit MemoryStore(MemoryStoreOptions options = {});
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

 protected:
  // Protected, not private, so that a test can put a fault between two of a caller's steps by
  // overriding one of them (e.g. a job that finishes between a read and a write).
  Result<int64_t> DoPutGraph(std::string_view tenant_id, std::string_view graph_json) override;
  Result<GraphVersion> DoGetGraph(std::string_view tenant_id, int64_t version) override;
  Result<int64_t> DoPutRoster(std::string_view tenant_id, std::string_view roster_json) override;
  Result<RosterVersion> DoGetRoster(std::string_view tenant_id, int64_t version) override;
  Result<int64_t> DoPutModel(std::string_view tenant_id, std::string_view name,
                             std::string_view model_json) override;
  Result<ModelVersion> DoGetModel(std::string_view tenant_id, std::string_view name,
                                  int64_t version) override;
  Result<std::vector<ModelVersion>> DoListModels(std::string_view tenant_id) override;
  Result<CommitResult> DoCommitEvents(const EventBatch& batch,
                                      const std::vector<size_t>& learner_of_event) override;
  Result<std::vector<bool>> DoFindRecordedEvents(
      std::string_view tenant_id, std::string_view learner_id,
      const std::vector<std::string>& event_ids) override;
  Result<StoredLearner> DoGetLearner(std::string_view tenant_id,
                                     std::string_view learner_id) override;
  Status DoForEachLearner(std::string_view tenant_id,
                          const std::function<Status(const StoredLearner&)>& visitor) override;
  Result<std::vector<StoredObservation>> DoListEvents(std::string_view tenant_id,
                                                      std::string_view learner_id,
                                                      int64_t after_sequence,
                                                      size_t limit) override;
  Result<std::vector<std::string>> DoListLearners(std::string_view tenant_id,
                                                  std::string_view after_learner_id,
                                                  size_t limit) override;
  Status DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) override;
  Result<std::string> DoGetStateOrigin(std::string_view tenant_id) override;
  Status DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) override;
  Result<CommitResult> DoReplaceLearner(const LearnerUpdate& update, const EventBatch& fresh,
                                        const std::vector<size_t>& learner_of_event) override;
  // DoCommitEvents with impl_->mu held (DoReplaceLearner commits under the same lock).
  Result<CommitResult> CommitLocked(const EventBatch& batch,
                                    const std::vector<size_t>& learner_of_event);
  Result<std::vector<std::string>> DoListTenants() override;
  Status DoCreateJob(std::string_view tenant_id, const JobRecord& job) override;
  Status DoUpdateJob(std::string_view tenant_id, const JobRecord& job) override;
  Result<JobRecord> DoGetJob(std::string_view tenant_id, std::string_view job_id) override;
  Result<std::vector<JobRecord>> DoListJobs(std::string_view tenant_id) override;
  Result<std::optional<JobRecord>> DoClaimJob(std::string_view tenant_id, std::string_view job_id,
                                              std::string_view owner, TimestampMs now_ms,
                                              TimestampMs lease_until_ms) override;
  Result<bool> DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) override;
  // One process only (a single-process store): no one else's changes to hear.
  Status DoWatchChanges(ChangeListener) override { return Status::Ok(); }
  Status DoClose() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise::store

#endif  // PATHWISE_STORE_MEMORY_STORE_H_
