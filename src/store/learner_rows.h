// What the SQL stores do alike with a learner's row, written once: both keep a learner as one row
// (version, encoded states) with its policy states beside it, and commit a batch in the same steps.
// These work on plain values, not on a database's row or statement types, so SqliteStore and
// PostgresStore read and write the same bytes with the same checks and the same error wording.
// Private to pathwise::store.
#ifndef PATHWISE_STORE_LEARNER_ROWS_H_
#define PATHWISE_STORE_LEARNER_ROWS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "store/learner_store.h"

namespace pathwise::store::internal {

/// `status` with the context "learner '<id>'".
Status LearnerContext(const Status& status, std::string_view learner_id);

/// The learner a stored row holds: `states` is the row's encoded states (store_codec.h), decoded;
/// the policy states are left for the caller to read. FailedPrecondition naming the learner when
/// the bytes are damaged.
Result<StoredLearner> DecodeLearner(std::string learner_id, uint64_t version,
                                    std::string_view states);

/// The encoded states a row holds after `updates` are written over its encoded `stored` states.
/// FailedPrecondition naming the learner when `stored` is damaged.
Result<std::string> MergeEncodedStates(std::string_view stored,
                                       const std::vector<MasteryEstimate>& updates,
                                       std::string_view learner_id);

/// Whether a commit changes the learner, and so takes its version one up: it records events or
/// writes states or policy states.
bool ChangesLearner(const LearnerUpdate& update, bool records_events);

/// `events_of[l]`: the indices into batch.events of batch.learners[l]'s events, in batch order.
std::vector<std::vector<size_t>> EventsOfLearners(const EventBatch& batch,
                                                  const std::vector<size_t>& learner_of_event);

/// Answers, for learner `l` of a batch, which of `ids` (non-empty, unique) it has stored.
using FindStoredIds =
    std::function<Result<std::vector<bool>>(size_t l, const std::vector<std::string_view>& ids)>;

/// Which events of a batch are new: their id is empty, or neither stored before (as
/// `find_stored` says) nor earlier in the batch for the same learner. Fills
/// result->duplicate_indices and num_recorded, and returns each learner's new events in batch
/// order. An error of `find_stored` comes back with the learner's context.
Result<std::vector<std::vector<const Observation*>>> SelectNewEvents(
    const EventBatch& batch, const std::vector<std::vector<size_t>>& events_of,
    const FindStoredIds& find_stored, CommitResult* result);

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_LEARNER_ROWS_H_
