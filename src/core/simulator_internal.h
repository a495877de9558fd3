// Private to the simulator (simulator*.cc): the compiled ground truth shared by learners.
#ifndef PATHWISE_SRC_CORE_SIMULATOR_INTERNAL_H_
#define PATHWISE_SRC_CORE_SIMULATOR_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/simulator.h>

namespace pathwise::simulator_internal {

/// splitmix64: turns related seeds (seed, seed + 1, ...) into unrelated generator states.
inline uint64_t MixSeed(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A double in [0, 1) from 64 raw generator bits (portable, unlike std::uniform_real_distribution).
inline double UniformDouble(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

/// The seed of learner `index`'s generator: depends on (seed, index) only.
inline uint64_t LearnerSeed(uint64_t seed, uint32_t index) {
  return MixSeed(MixSeed(seed ^ 0x51a7ULL) + MixSeed(static_cast<uint64_t>(index) + 1));
}

/// One (activity, competency) pair of the Q-matrix with its ground-truth parameters.
struct PracticeEntry {
  uint32_t competency = 0;
  double weight = 1.0;
  double learn = 0.0;  ///< population learn for the pair, before the learner's offset
  double guess = 0.0;
  double slip = 0.0;
  double forget = 0.0;  ///< per opportunity
  /// ContentQualityOptions: kTeaches, kInert (teaches nothing) or kGated (teaches only with every
  /// prerequisite of the competency learned). Per activity, repeated on each of its entries.
  uint8_t quality = 0;
};

inline constexpr uint8_t kTeaches = 0;
inline constexpr uint8_t kInert = 1;
inline constexpr uint8_t kGated = 2;

/// A policy that sees the ground truth (the oracle): the runner hands it the learner of each
/// episode before the first Recommend.
class TruthAwarePolicy : public Policy {
 public:
  /// FailedPrecondition when the policy belongs to another cohort's simulation.
  virtual Status SeeLearner(const SyntheticCohort* cohort, const SyntheticLearner* learner) = 0;
};

struct PrerequisiteEntry {
  uint32_t from = 0;
  double strength = 1.0;
};

}  // namespace pathwise::simulator_internal

namespace pathwise {

struct SyntheticCohort::Impl {
  uint64_t seed = 0;
  LearnerModelOptions options;

  std::vector<std::string> competency_ids;
  std::unordered_map<std::string, uint32_t> competency_index;
  std::vector<BktParams> population;  ///< per competency, after the spread
  /// Prerequisites of competency c are prerequisites[prerequisite_begin[c] ..
  /// prerequisite_begin[c+1]).
  std::vector<uint32_t> prerequisite_begin;
  std::vector<simulator_internal::PrerequisiteEntry> prerequisites;

  std::vector<std::string> activity_ids;
  std::unordered_map<std::string, uint32_t> activity_index;
  std::vector<double> activity_minutes;
  /// kAbility: the activity's difficulty on the logit scale.
  std::vector<double> activity_difficulty_logit;
  /// Entries of activity a are entries[entry_begin[a] .. entry_begin[a+1]).
  std::vector<uint32_t> entry_begin;
  std::vector<simulator_internal::PracticeEntry> entries;
  /// Activities are the competencies themselves (the graph had none).
  bool implicit_activities = false;

  std::vector<CohortGroup> groups;
  std::vector<std::string> group_names;
  std::vector<double> group_cumulative_share;  ///< ends at 1

  /// Time-based forgetting hazard per minute of a competency practised 0 times since learned.
  double base_hazard_per_minute = 0.0;

  BktModel population_model;
};

}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_SIMULATOR_INTERNAL_H_
