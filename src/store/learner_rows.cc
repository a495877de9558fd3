#include "store/learner_rows.h"

#include <unordered_set>
#include <utility>

#include "store/store_codec.h"

namespace pathwise::store::internal {

Status LearnerContext(const Status& status, std::string_view learner_id) {
  return status.WithContext("learner '" + std::string(learner_id) + "'");
}

Result<StoredLearner> DecodeLearner(std::string learner_id, uint64_t version,
                                    std::string_view states) {
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(states);
  if (!decoded.ok()) return LearnerContext(decoded.status(), learner_id);
  return StoredLearner{std::move(learner_id), version, std::move(decoded).value(), {}};
}

Result<std::string> MergeEncodedStates(std::string_view stored,
                                       const std::vector<MasteryEstimate>& updates,
                                       std::string_view learner_id) {
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(stored);
  if (!decoded.ok()) return LearnerContext(decoded.status(), learner_id);
  return EncodeStates(MergeStates(std::move(decoded).value(), updates));
}

bool ChangesLearner(const LearnerUpdate& update, bool records_events) {
  return records_events || !update.states.empty() || !update.policy_states.empty();
}

std::vector<std::vector<size_t>> EventsOfLearners(const EventBatch& batch,
                                                  const std::vector<size_t>& learner_of_event) {
  std::vector<std::vector<size_t>> events_of(batch.learners.size());
  for (size_t i = 0; i < batch.events.size(); ++i) events_of[learner_of_event[i]].push_back(i);
  return events_of;
}

Result<std::vector<std::vector<const Observation*>>> SelectNewEvents(
    const EventBatch& batch, const std::vector<std::vector<size_t>>& events_of,
    const FindStoredIds& find_stored, CommitResult* result) {
  std::vector<bool> duplicate(batch.events.size(), false);
  std::vector<std::vector<const Observation*>> new_events(events_of.size());
  for (size_t l = 0; l < events_of.size(); ++l) {
    if (events_of[l].empty()) continue;
    // Two learners may use the same event id, so repeats within the batch are per learner.
    std::unordered_set<std::string_view> seen;
    std::vector<std::string_view> candidates;
    std::vector<size_t> candidate_events;
    for (size_t i : events_of[l]) {
      const std::string& id = batch.events[i].event_id;
      if (id.empty()) continue;
      if (!seen.insert(id).second) {
        duplicate[i] = true;
      } else {
        candidates.push_back(id);
        candidate_events.push_back(i);
      }
    }
    if (!candidates.empty()) {
      Result<std::vector<bool>> stored = find_stored(l, candidates);
      if (!stored.ok()) return LearnerContext(stored.status(), batch.learners[l].learner_id);
      for (size_t c = 0; c < candidates.size(); ++c) {
        if ((*stored)[c]) duplicate[candidate_events[c]] = true;
      }
    }
    for (size_t i : events_of[l]) {
      if (!duplicate[i]) new_events[l].push_back(&batch.events[i]);
    }
  }
  result->duplicate_indices.clear();
  for (size_t i = 0; i < duplicate.size(); ++i) {
    if (duplicate[i]) result->duplicate_indices.push_back(i);
  }
  result->num_recorded = batch.events.size() - result->duplicate_indices.size();
  return new_events;
}

}  // namespace pathwise::store::internal
