// Helpers for the store tests: a temporary directory per test and small batch builders.
#ifndef PATHWISE_TESTS_STORE_STORE_TEST_UTIL_H_
#define PATHWISE_TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>

#include "store/learner_store.h"

namespace pathwise::store::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                          "/pathwise_store_test_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed for " << pattern;
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Observation MakeObservation(std::string event_id, std::string learner_id,
                                   std::string activity_id, double outcome,
                                   TimestampMs timestamp_ms) {
  return Observation{std::move(event_id), std::move(learner_id), std::move(activity_id), outcome,
                     timestamp_ms};
}

inline MasteryEstimate State(std::string competency_id, double p_learned, uint32_t opportunities,
                             TimestampMs last_practiced_ms) {
  MasteryEstimate state;
  state.competency_id = std::move(competency_id);
  state.p_learned = p_learned;
  state.mastered = p_learned >= 0.95;
  state.opportunities = opportunities;
  state.last_practiced_ms = last_practiced_ms;
  return state;
}

/// A batch of `num_events` events for one learner, with ids "<id_prefix><i>", activities
/// "a<i % 3>", and one state per activity whose opportunities count the events of this batch.
inline EventBatch LearnerBatch(const std::string& tenant_id, const std::string& learner_id,
                               const std::string& id_prefix, int num_events,
                               TimestampMs first_timestamp_ms = 1000) {
  EventBatch batch;
  batch.tenant_id = tenant_id;
  std::vector<uint32_t> per_activity(3, 0);
  for (int i = 0; i < num_events; ++i) {
    batch.events.push_back(MakeObservation(id_prefix + std::to_string(i), learner_id,
                                           "a" + std::to_string(i % 3), (i % 2 == 0) ? 1.0 : 0.0,
                                           first_timestamp_ms + i));
    ++per_activity[static_cast<size_t>(i % 3)];
  }
  LearnerUpdate update;
  update.learner_id = learner_id;
  for (size_t a = 0; a < per_activity.size(); ++a) {
    if (per_activity[a] > 0) {
      update.states.push_back(State("a" + std::to_string(a), 0.1 * static_cast<double>(a + 1),
                                    per_activity[a], first_timestamp_ms + num_events - 1));
    }
  }
  batch.learners.push_back(std::move(update));
  return batch;
}

}  // namespace pathwise::store::testing

#endif  // PATHWISE_TESTS_STORE_STORE_TEST_UTIL_H_
