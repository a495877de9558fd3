// Argument checks shared by every LearnerStore implementation, so all of them reject the same input
// with the same message. Private to pathwise::store.
#ifndef PATHWISE_STORE_STORE_VALIDATION_H_
#define PATHWISE_STORE_STORE_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <pathwise/status.h>

#include "store/learner_store.h"

namespace pathwise::store::internal {

/// InvalidArgument "<field>: must not be empty" for an empty id.
Status ValidateId(std::string_view id, std::string_view field);

/// Checks everything CommitEvents documents as InvalidArgument. On success fills
/// `learner_of_event[i]` with the index into batch.learners of events[i]'s learner.
Status ValidateEventBatch(const EventBatch& batch, std::vector<size_t>* learner_of_event);

/// Checks what CreateJob/UpdateJob document as InvalidArgument.
Status ValidateJob(const JobRecord& job);

/// The optimistic-concurrency check of CommitEvents: Aborted, worded the same by every store, when
/// the update expects a version and the learner's stored one (0: not stored) differs.
Status CheckExpectedVersion(const LearnerUpdate& update, uint64_t stored_version);

/// ClaimJob's rule, for the stores that apply it in C++: a job QUEUED, or RUNNING and either
/// `owner`'s already or with its lease expired at `now_ms`, becomes RUNNING under `owner` until
/// `lease_until_ms` (updated at `now_ms`) and true is returned; otherwise `job` is left as is.
bool ClaimJobRecord(JobRecord& job, std::string_view owner, TimestampMs now_ms,
                    TimestampMs lease_until_ms);

/// UpdateClaimedJob's rule: the stored job is RUNNING under `owner`'s claim.
bool HoldsClaim(const JobRecord& stored, std::string_view owner);

/// The Unavailable status of a call on a closed store.
Status StoreClosed();

// The errors of reads and writes that find nothing (or something already there), worded the same
// by every store.

/// NotFound "learner '<id>' is not stored".
Status LearnerNotFound(std::string_view learner_id);

/// NotFound of GetGraph: none stored (kLatestVersion) or not this version.
Status GraphNotFound(int64_t version);

/// NotFound of GetRoster: none stored (kLatestVersion) or not this version.
Status RosterNotFound(int64_t version);

/// NotFound of GetModel: no model of this name (kLatestVersion) or not this version of it.
Status ModelNotFound(std::string_view name, int64_t version);

/// NotFound "job '<id>' does not exist".
Status JobNotFound(std::string_view job_id);

/// AlreadyExists of CreateJob.
Status JobExists(std::string_view job_id);

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_STORE_VALIDATION_H_
