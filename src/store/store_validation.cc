#include "store/store_validation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace pathwise::store {

std::string_view JobStatusName(JobStatus status) {
  switch (status) {
    case JobStatus::kQueued:
      return "QUEUED";
    case JobStatus::kRunning:
      return "RUNNING";
    case JobStatus::kSucceeded:
      return "SUCCEEDED";
    case JobStatus::kFailed:
      return "FAILED";
    case JobStatus::kCancelled:
      return "CANCELLED";
  }
  return "UNKNOWN";
}

namespace internal {
namespace {

// Below this many entries, comparing with every earlier one beats hashing.
constexpr size_t kLinearScan = 32;

bool IsProbability(double p) { return std::isfinite(p) && p >= 0.0 && p <= 1.0; }

std::string Indexed(std::string_view array, size_t i, std::string_view field) {
  std::string out(array);
  out += '[';
  out += std::to_string(i);
  out += "].";
  out += field;
  return out;
}

}  // namespace

Status ValidateId(std::string_view id, std::string_view field) {
  if (id.empty()) return Status::InvalidArgument(std::string(field) + ": must not be empty");
  return Status::Ok();
}

Status ValidateEventBatch(const EventBatch& batch, std::vector<size_t>* learner_of_event) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(batch.tenant_id, "tenant_id"));
  std::unordered_map<std::string_view, size_t> learner_index;
  learner_index.reserve(batch.learners.size());
  size_t num_states = 0;
  for (size_t i = 0; i < batch.learners.size(); ++i) {
    const LearnerUpdate& update = batch.learners[i];
    if (update.learner_id.empty()) {
      return Status::InvalidArgument(Indexed("learners", i, "learner_id") + ": must not be empty");
    }
    if (!learner_index.emplace(update.learner_id, i).second) {
      return Status::InvalidArgument(Indexed("learners", i, "learner_id") + ": learner '" +
                                     update.learner_id + "' is listed twice");
    }
    std::unordered_set<std::string_view> competencies;
    for (size_t j = 0; j < update.states.size(); ++j) {
      const MasteryEstimate& state = update.states[j];
      // Field paths are built only for an error: this runs for every state of every batch.
      const auto field = [i, j](std::string_view name) {
        return Indexed("learners", i, Indexed("states", j, name));
      };
      if (state.competency_id.empty()) {
        return Status::InvalidArgument(field("competency_id") + ": must not be empty");
      }
      if (!IsProbability(state.p_learned)) {
        return Status::InvalidArgument(field("p_learned") + ": must be in [0, 1], got " +
                                       std::to_string(state.p_learned));
      }
      const bool first_listing =
          update.states.size() <= kLinearScan
              ? std::none_of(update.states.begin(),
                             update.states.begin() + static_cast<std::ptrdiff_t>(j),
                             [&state](const MasteryEstimate& earlier) {
                               return earlier.competency_id == state.competency_id;
                             })
              : competencies.insert(state.competency_id).second;
      if (!first_listing) {
        return Status::InvalidArgument(field("competency_id") + ": competency '" +
                                       state.competency_id + "' is listed twice");
      }
    }
    for (size_t j = 0; j < update.policy_states.size(); ++j) {
      const std::string& policy = update.policy_states[j].policy;
      const std::string field = Indexed("learners", i, Indexed("policy_states", j, "policy"));
      if (policy.empty()) return Status::InvalidArgument(field + ": must not be empty");
      for (size_t k = 0; k < j; ++k) {
        if (update.policy_states[k].policy == policy) {
          return Status::InvalidArgument(field + ": policy '" + policy + "' is listed twice");
        }
      }
    }
    num_states += update.states.size() + update.policy_states.size();
  }
  if (batch.events.empty() && num_states == 0) {
    return Status::InvalidArgument("events: the batch has no events and no states");
  }
  learner_of_event->clear();
  learner_of_event->reserve(batch.events.size());
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Observation& event = batch.events[i];
    if (event.learner_id.empty()) {
      return Status::InvalidArgument(Indexed("events", i, "learner_id") + ": must not be empty");
    }
    if (event.activity_id.empty()) {
      return Status::InvalidArgument(Indexed("events", i, "activity_id") + ": must not be empty");
    }
    if (!IsProbability(event.outcome)) {
      return Status::InvalidArgument(Indexed("events", i, "outcome") + ": must be in [0, 1], got " +
                                     std::to_string(event.outcome));
    }
    auto it = learner_index.find(event.learner_id);
    if (it == learner_index.end()) {
      return Status::InvalidArgument(Indexed("events", i, "learner_id") + ": learner '" +
                                     event.learner_id + "' has no entry in learners");
    }
    learner_of_event->push_back(it->second);
  }
  return Status::Ok();
}

Status ValidateJob(const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(ValidateId(job.job_id, "job.job_id"));
  if (!IsProbability(job.progress)) {
    return Status::InvalidArgument("job.progress: must be in [0, 1], got " +
                                   std::to_string(job.progress));
  }
  const int status = static_cast<int>(job.status);
  if (status < static_cast<int>(JobStatus::kQueued) ||
      status > static_cast<int>(JobStatus::kCancelled)) {
    return Status::InvalidArgument("job.status: unknown value " + std::to_string(status));
  }
  return Status::Ok();
}

Status CheckExpectedVersion(const LearnerUpdate& update, uint64_t stored_version) {
  if (!update.expected_version.has_value() || *update.expected_version == stored_version) {
    return Status::Ok();
  }
  return Status(StatusCode::kAborted, "learner '" + update.learner_id +
                                          "' was changed concurrently: expected version " +
                                          std::to_string(*update.expected_version) +
                                          ", stored version " + std::to_string(stored_version));
}

bool ClaimJobRecord(JobRecord& job, std::string_view owner, TimestampMs now_ms,
                    TimestampMs lease_until_ms) {
  const bool claimable =
      job.status == JobStatus::kQueued ||
      (job.status == JobStatus::kRunning && (job.owner == owner || job.lease_expires_ms <= now_ms));
  if (!claimable) return false;
  job.status = JobStatus::kRunning;
  job.owner = std::string(owner);
  job.lease_expires_ms = lease_until_ms;
  job.updated_ms = now_ms;
  return true;
}

bool HoldsClaim(const JobRecord& stored, std::string_view owner) {
  return stored.status == JobStatus::kRunning && stored.owner == owner;
}

Status StoreClosed() { return Status::Unavailable("the store is closed"); }

Status LearnerNotFound(std::string_view learner_id) {
  return Status::NotFound("learner '" + std::string(learner_id) + "' is not stored");
}

Status GraphNotFound(int64_t version) {
  if (version == kLatestVersion) return Status::NotFound("no graph stored");
  return Status::NotFound("graph version " + std::to_string(version) + " does not exist");
}

Status RosterNotFound(int64_t version) {
  if (version == kLatestVersion) return Status::NotFound("no roster stored");
  return Status::NotFound("roster version " + std::to_string(version) + " does not exist");
}

Status ModelNotFound(std::string_view name, int64_t version) {
  if (version == kLatestVersion) {
    return Status::NotFound("model '" + std::string(name) + "' does not exist");
  }
  return Status::NotFound("model '" + std::string(name) + "' has no version " +
                          std::to_string(version));
}

Status JobNotFound(std::string_view job_id) {
  return Status::NotFound("job '" + std::string(job_id) + "' does not exist");
}

Status JobExists(std::string_view job_id) {
  return Status::AlreadyExists("job '" + std::string(job_id) + "' already exists");
}

}  // namespace internal
}  // namespace pathwise::store
