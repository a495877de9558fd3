#include "store/memory_store.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "store/store_validation.h"

namespace pathwise::store {
namespace {

struct MemoryLearner {
  uint64_t version = 0;
  std::map<std::string, MasteryEstimate, std::less<>> states;
  std::map<std::string, std::string, std::less<>> policy_states;
  std::vector<StoredObservation> events;  // ascending sequence
  std::unordered_set<std::string> event_ids;
};

struct MemoryTenant {
  std::vector<std::string> graphs;   // graphs[v - 1] is version v
  std::vector<std::string> rosters;  // likewise
  std::map<std::string, std::vector<std::string>, std::less<>> models;
  std::map<std::string, MemoryLearner, std::less<>> learners;
  std::map<std::string, JobRecord, std::less<>> jobs;
  std::string state_origin;
};

}  // namespace

struct MemoryStore::Impl {
  MemoryStoreOptions options;
  std::mutex mu;
  int64_t last_sequence = 0;
  std::map<std::string, MemoryTenant, std::less<>> tenants;

  // REQUIRES: mu held. Null for a tenant that has nothing stored.
  MemoryTenant* FindTenant(std::string_view tenant_id) {
    auto it = tenants.find(tenant_id);
    return it == tenants.end() ? nullptr : &it->second;
  }
  MemoryLearner* FindLearner(std::string_view tenant_id, std::string_view learner_id) {
    MemoryTenant* tenant = FindTenant(tenant_id);
    if (tenant == nullptr) return nullptr;
    auto it = tenant->learners.find(learner_id);
    return it == tenant->learners.end() ? nullptr : &it->second;
  }
  MemoryTenant& GetOrCreateTenant(std::string_view tenant_id) {
    auto it = tenants.find(tenant_id);
    if (it == tenants.end()) it = tenants.emplace(std::string(tenant_id), MemoryTenant{}).first;
    return it->second;
  }
};

namespace {

template <typename T>
std::vector<T> Page(std::vector<T> all, size_t limit) {
  if (limit != 0 && all.size() > limit) all.resize(limit);
  return all;
}

}  // namespace

MemoryStore::MemoryStore(MemoryStoreOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

MemoryStore::~MemoryStore() { (void)Close(); }

// Nothing to release: the data lives as long as the object, and a call that passed the closed
// check just before Close may still finish against it.
Status MemoryStore::DoClose() { return Status::Ok(); }

Result<int64_t> MemoryStore::DoPutGraph(std::string_view tenant_id, std::string_view graph_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant& tenant = impl_->GetOrCreateTenant(tenant_id);
  tenant.graphs.emplace_back(graph_json);
  return static_cast<int64_t>(tenant.graphs.size());
}

Result<GraphVersion> MemoryStore::DoGetGraph(std::string_view tenant_id, int64_t version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  if (tenant == nullptr || tenant->graphs.empty()) return internal::GraphNotFound(kLatestVersion);
  if (version == kLatestVersion) version = static_cast<int64_t>(tenant->graphs.size());
  if (version < 1 || version > static_cast<int64_t>(tenant->graphs.size())) {
    return internal::GraphNotFound(version);
  }
  return GraphVersion{version, tenant->graphs[static_cast<size_t>(version - 1)]};
}

Result<int64_t> MemoryStore::DoPutRoster(std::string_view tenant_id, std::string_view roster_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant& tenant = impl_->GetOrCreateTenant(tenant_id);
  tenant.rosters.emplace_back(roster_json);
  return static_cast<int64_t>(tenant.rosters.size());
}

Result<RosterVersion> MemoryStore::DoGetRoster(std::string_view tenant_id, int64_t version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  if (tenant == nullptr || tenant->rosters.empty()) return internal::RosterNotFound(kLatestVersion);
  if (version == kLatestVersion) version = static_cast<int64_t>(tenant->rosters.size());
  if (version < 1 || version > static_cast<int64_t>(tenant->rosters.size())) {
    return internal::RosterNotFound(version);
  }
  return RosterVersion{version, tenant->rosters[static_cast<size_t>(version - 1)]};
}

Result<int64_t> MemoryStore::DoPutModel(std::string_view tenant_id, std::string_view name,
                                        std::string_view model_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string>& versions =
      impl_->GetOrCreateTenant(tenant_id).models[std::string(name)];
  versions.emplace_back(model_json);
  return static_cast<int64_t>(versions.size());
}

Result<ModelVersion> MemoryStore::DoGetModel(std::string_view tenant_id, std::string_view name,
                                             int64_t version) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->models)::iterator() : tenant->models.find(name);
  if (tenant == nullptr || it == tenant->models.end()) {
    return internal::ModelNotFound(name, kLatestVersion);
  }
  const std::vector<std::string>& versions = it->second;
  if (version == kLatestVersion) version = static_cast<int64_t>(versions.size());
  if (version < 1 || version > static_cast<int64_t>(versions.size())) {
    return internal::ModelNotFound(name, version);
  }
  return ModelVersion{it->first, version, versions[static_cast<size_t>(version - 1)]};
}

Result<std::vector<ModelVersion>> MemoryStore::DoListModels(std::string_view tenant_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ModelVersion> out;
  if (MemoryTenant* tenant = impl_->FindTenant(tenant_id)) {
    for (const auto& [name, versions] : tenant->models) {
      out.push_back(ModelVersion{name, static_cast<int64_t>(versions.size()), {}});
    }
  }
  return out;
}

Result<CommitResult> MemoryStore::DoCommitEvents(const EventBatch& batch,
                                                 const std::vector<size_t>& learner_of_event) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return CommitLocked(batch, learner_of_event);
}

Result<CommitResult> MemoryStore::DoReplaceLearner(const LearnerUpdate& update,
                                                   const EventBatch& fresh,
                                                   const std::vector<size_t>& learner_of_event) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(fresh.tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->learners)::iterator()
                              : tenant->learners.find(update.learner_id);
  const bool stored = tenant != nullptr && it != tenant->learners.end();
  PATHWISE_RETURN_IF_ERROR(internal::CheckExpectedVersion(update, stored ? it->second.version : 0));
  std::optional<MemoryLearner> before;
  if (stored) {
    before = std::move(it->second);
    tenant->learners.erase(it);
  }
  Result<CommitResult> committed = CommitLocked(fresh, learner_of_event);
  // A commit that failed changed nothing: the learner goes back as it was.
  if (!committed.ok() && before.has_value()) {
    tenant->learners.insert_or_assign(update.learner_id, std::move(*before));
  }
  return committed;
}

Result<CommitResult> MemoryStore::CommitLocked(const EventBatch& batch,
                                               const std::vector<size_t>& learner_of_event) {
  // Decide everything before changing anything, so that a failure leaves no trace.
  std::vector<MemoryLearner*> learners(batch.learners.size(), nullptr);
  for (size_t i = 0; i < batch.learners.size(); ++i) {
    const LearnerUpdate& update = batch.learners[i];
    learners[i] = impl_->FindLearner(batch.tenant_id, update.learner_id);
    const uint64_t stored = learners[i] == nullptr ? 0 : learners[i]->version;
    PATHWISE_RETURN_IF_ERROR(internal::CheckExpectedVersion(update, stored));
  }
  CommitResult result;
  std::vector<bool> changed(batch.learners.size(), false);
  // Two learners may use the same event id, so ids repeated within the batch are tracked per
  // learner.
  std::vector<std::unordered_set<std::string_view>> seen_in_batch(batch.learners.size());
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Observation& event = batch.events[i];
    const size_t learner = learner_of_event[i];
    if (!event.event_id.empty()) {
      const bool stored =
          learners[learner] != nullptr && learners[learner]->event_ids.count(event.event_id) > 0;
      if (stored || !seen_in_batch[learner].insert(event.event_id).second) {
        result.duplicate_indices.push_back(i);
        continue;
      }
    }
    changed[learner] = true;
  }
  for (size_t i = 0; i < batch.learners.size(); ++i) {
    if (!batch.learners[i].states.empty() || !batch.learners[i].policy_states.empty())
      changed[i] = true;
  }
  if (impl_->options.fault_hook_for_testing) {
    PATHWISE_RETURN_IF_ERROR(impl_->options.fault_hook_for_testing(batch));
  }

  // Apply.
  MemoryTenant& tenant = impl_->GetOrCreateTenant(batch.tenant_id);
  for (size_t i = 0; i < batch.learners.size(); ++i) {
    if (changed[i] && learners[i] == nullptr)
      learners[i] = &tenant.learners[batch.learners[i].learner_id];
  }
  size_t next_duplicate = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (next_duplicate < result.duplicate_indices.size() &&
        result.duplicate_indices[next_duplicate] == i) {
      ++next_duplicate;
      continue;
    }
    MemoryLearner& learner = *learners[learner_of_event[i]];
    const Observation& event = batch.events[i];
    if (!event.event_id.empty()) learner.event_ids.insert(event.event_id);
    learner.events.push_back(StoredObservation{++impl_->last_sequence, event});
    ++result.num_recorded;
  }
  result.learner_versions.resize(batch.learners.size(), 0);
  for (size_t i = 0; i < batch.learners.size(); ++i) {
    if (learners[i] == nullptr) continue;  // nothing changed and never stored: version 0
    MemoryLearner& learner = *learners[i];
    for (const MasteryEstimate& state : batch.learners[i].states) {
      learner.states[state.competency_id] = state;
    }
    for (const PolicyState& policy : batch.learners[i].policy_states) {
      if (policy.state.empty()) {
        learner.policy_states.erase(policy.policy);
      } else {
        learner.policy_states[policy.policy] = policy.state;
      }
    }
    if (changed[i]) ++learner.version;
    result.learner_versions[i] = learner.version;
  }
  return result;
}

Result<std::vector<bool>> MemoryStore::DoFindRecordedEvents(
    std::string_view tenant_id, std::string_view learner_id,
    const std::vector<std::string>& event_ids) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<bool> found(event_ids.size(), false);
  if (MemoryLearner* learner = impl_->FindLearner(tenant_id, learner_id)) {
    for (size_t i = 0; i < event_ids.size(); ++i) {
      found[i] = !event_ids[i].empty() && learner->event_ids.count(event_ids[i]) > 0;
    }
  }
  return found;
}

Result<StoredLearner> MemoryStore::DoGetLearner(std::string_view tenant_id,
                                                std::string_view learner_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryLearner* learner = impl_->FindLearner(tenant_id, learner_id);
  if (learner == nullptr) return internal::LearnerNotFound(learner_id);
  StoredLearner state{std::string(learner_id), learner->version, {}, {}};
  for (const auto& entry : learner->states) state.competencies.push_back(entry.second);
  for (const auto& [policy, bytes] : learner->policy_states)
    state.policy_states.push_back({policy, bytes});
  if (!learner->events.empty()) state.last_event_sequence = learner->events.back().sequence;
  return state;
}

Status MemoryStore::DoForEachLearner(std::string_view tenant_id,
                                     const std::function<Status(const StoredLearner&)>& visitor) {
  // Copy under the lock and visit without it, so a visitor may call back into the store.
  std::vector<StoredLearner> snapshot;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (MemoryTenant* tenant = impl_->FindTenant(tenant_id)) {
      snapshot.reserve(tenant->learners.size());
      for (const auto& [id, learner] : tenant->learners) {
        StoredLearner state{id, learner.version, {}, {}};
        for (const auto& entry : learner.states) state.competencies.push_back(entry.second);
        for (const auto& [policy, bytes] : learner.policy_states)
          state.policy_states.push_back({policy, bytes});
        snapshot.push_back(std::move(state));
      }
    }
  }
  for (const StoredLearner& state : snapshot) PATHWISE_RETURN_IF_ERROR(visitor(state));
  return Status::Ok();
}

Result<std::vector<StoredObservation>> MemoryStore::DoListEvents(std::string_view tenant_id,
                                                                 std::string_view learner_id,
                                                                 int64_t after_sequence,
                                                                 size_t limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryLearner* learner = impl_->FindLearner(tenant_id, learner_id);
  if (learner == nullptr) return internal::LearnerNotFound(learner_id);
  auto first = std::upper_bound(
      learner->events.begin(), learner->events.end(), after_sequence,
      [](int64_t sequence, const StoredObservation& event) { return sequence < event.sequence; });
  return Page(std::vector<StoredObservation>(first, learner->events.end()), limit);
}

Result<std::vector<std::string>> MemoryStore::DoListLearners(std::string_view tenant_id,
                                                             std::string_view after_learner_id,
                                                             size_t limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  if (MemoryTenant* tenant = impl_->FindTenant(tenant_id)) {
    for (auto it = tenant->learners.upper_bound(after_learner_id); it != tenant->learners.end();
         ++it) {
      if (limit != 0 && out.size() == limit) break;
      out.push_back(it->first);
    }
  }
  return out;
}

Status MemoryStore::DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->learners)::iterator()
                              : tenant->learners.find(learner_id);
  if (tenant == nullptr || it == tenant->learners.end())
    return internal::LearnerNotFound(learner_id);
  tenant->learners.erase(it);
  return Status::Ok();
}

Status MemoryStore::DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant =
      origin.empty() ? impl_->FindTenant(tenant_id) : &impl_->GetOrCreateTenant(tenant_id);
  if (tenant != nullptr) tenant->state_origin = std::string(origin);
  return Status::Ok();
}

Result<std::string> MemoryStore::DoGetStateOrigin(std::string_view tenant_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  const MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  return tenant == nullptr ? std::string() : tenant->state_origin;
}

Result<std::vector<std::string>> MemoryStore::DoListTenants() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& entry : impl_->tenants) out.push_back(entry.first);
  return out;
}

Status MemoryStore::DoCreateJob(std::string_view tenant_id, const JobRecord& job) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  if (tenant != nullptr && tenant->jobs.count(job.job_id) > 0) {
    return internal::JobExists(job.job_id);
  }
  impl_->GetOrCreateTenant(tenant_id).jobs.emplace(job.job_id, job);
  return Status::Ok();
}

Status MemoryStore::DoUpdateJob(std::string_view tenant_id, const JobRecord& job) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->jobs)::iterator() : tenant->jobs.find(job.job_id);
  if (tenant == nullptr || it == tenant->jobs.end()) return internal::JobNotFound(job.job_id);
  it->second = job;
  return Status::Ok();
}

Result<JobRecord> MemoryStore::DoGetJob(std::string_view tenant_id, std::string_view job_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->jobs)::iterator() : tenant->jobs.find(job_id);
  if (tenant == nullptr || it == tenant->jobs.end()) return internal::JobNotFound(job_id);
  return it->second;
}

Result<std::vector<JobRecord>> MemoryStore::DoListJobs(std::string_view tenant_id) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<JobRecord> out;
  if (MemoryTenant* tenant = impl_->FindTenant(tenant_id)) {
    for (const auto& entry : tenant->jobs) out.push_back(entry.second);
  }
  std::stable_sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
    return a.created_ms < b.created_ms;
  });
  return out;
}

Result<std::optional<JobRecord>> MemoryStore::DoClaimJob(std::string_view tenant_id,
                                                         std::string_view job_id,
                                                         std::string_view owner, TimestampMs now_ms,
                                                         TimestampMs lease_until_ms) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->jobs)::iterator() : tenant->jobs.find(job_id);
  if (tenant == nullptr || it == tenant->jobs.end()) return internal::JobNotFound(job_id);
  JobRecord& job = it->second;
  if (!internal::ClaimJobRecord(job, owner, now_ms, lease_until_ms)) {
    return std::optional<JobRecord>();
  }
  return std::optional<JobRecord>(job);
}

Result<bool> MemoryStore::DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  MemoryTenant* tenant = impl_->FindTenant(tenant_id);
  auto it = tenant == nullptr ? decltype(tenant->jobs)::iterator() : tenant->jobs.find(job.job_id);
  if (tenant == nullptr || it == tenant->jobs.end()) return internal::JobNotFound(job.job_id);
  if (!internal::HoldsClaim(it->second, job.owner)) return false;
  it->second = job;
  return true;
}

}  // namespace pathwise::store
