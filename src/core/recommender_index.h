// Private: the immutable, index-based view of a graph and model that every policy and the planner
// read, and the per-instance scratch that lets a request touch only what it needs.
#ifndef PATHWISE_SRC_CORE_RECOMMENDER_INDEX_H_
#define PATHWISE_SRC_CORE_RECOMMENDER_INDEX_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "mastery_evidence.h"

namespace pathwise {
namespace rec_internal {

inline constexpr uint32_t kNone = static_cast<uint32_t>(-1);

/// Compressed adjacency: the neighbours of node v are [offsets[v], offsets[v + 1]).
struct Csr {
  std::vector<uint32_t> offsets;
  std::vector<uint32_t> targets;
  std::vector<double> weights;  ///< edge strength or Q-matrix weight

  uint32_t begin(uint32_t v) const { return offsets[v]; }
  uint32_t end(uint32_t v) const { return offsets[v + 1]; }
  uint32_t degree(uint32_t v) const { return offsets[v + 1] - offsets[v]; }
};

/// Guess and slip of one (activity, competency) pair, overrides applied.
struct PairParams {
  double guess = 0.2;
  double slip = 0.1;
};

/// A goal set expanded: its competencies and their ancestors, as bitsets and lists.
struct ClosureData {
  std::vector<uint64_t> goal_bits;
  std::vector<uint64_t> closure_bits;
  std::vector<uint32_t> goal_list;     ///< ascending topological rank
  std::vector<uint32_t> closure_list;  ///< goals and ancestors, ascending topological rank

  static bool Test(const std::vector<uint64_t>& bits, uint32_t c) {
    return (bits[c >> 6] >> (c & 63)) & 1;
  }
};

/// Everything the policies need, by dense index. Immutable once built; shared between forks.
struct RecIndex {
  RecommenderOptions options;

  // Competencies (index = position in CompetencyGraph::competencies()).
  std::vector<std::string> competency_ids;
  std::unordered_map<std::string_view, uint32_t> competency_by_id;
  std::vector<double> threshold;
  /// Where the mastery policy lets a learner go on: min(threshold, advance_threshold).
  std::vector<double> advance;
  /// Evidence before "mastered" per competency: the competency's own setting (Competency), else
  /// the options' (MasteryPolicyOptions::mastery_min_opportunities / mastery_recent_correct).
  std::vector<EvidenceRule> evidence;
  std::vector<BktParams> params;  ///< population parameters (model, then authored, then defaults)
  std::vector<uint32_t> topo_rank;
  std::vector<uint32_t> topo_order;
  Csr prerequisites;  ///< edges into v: targets are the prerequisites
  Csr dependents;     ///< edges out of v
  /// `prerequisites` renumbered by topological rank (row r = topo_order[r]; targets are ranks, all
  /// below r; no weights): the goal closure walks it in one sequential sweep.
  Csr prerequisite_ranks;
  /// Unmastered-at-prior competencies that are candidates for a learner who practised nothing (not
  /// locked, readiness at the priors >= soft_min_readiness), ascending.
  std::vector<uint32_t> static_candidates;
  /// Competencies that are not locked for a learner who practised nothing, under hard gating with
  /// soft_min_readiness 0 (the random baseline's notion of ready), ascending, unmastered at prior.
  std::vector<uint32_t> static_ready;
  /// Competencies with no hard prerequisite, ascending topological rank (ZPDES's starting zone).
  std::vector<uint32_t> no_hard_prerequisite;
  std::vector<double> mean_minutes;  ///< of the competency's activities; 5 when it has none
  /// Q-matrix by competency: activities that practise v (weights = Q weight), ascending.
  Csr competency_activities;

  // Activities (synthesised one per competency when the graph has none).
  bool synthetic_activities = false;
  std::vector<std::string> activity_ids;
  std::unordered_map<std::string_view, uint32_t> activity_by_id;
  std::vector<double> expected_minutes;
  /// exp(difficulty_logit_scale * (0.5 - difficulty)): the factor by which the activity's
  /// difficulty multiplies the odds of a correct answer (1 when it has no difficulty).
  std::vector<double> odds_multiplier;
  Csr activity_competencies;  ///< weights = Q weight, in the activity's Q-matrix order
  bool has_multi_competency_activities = false;
  std::vector<PairParams> pair_params;  ///< parallel to activity_competencies.targets

  // Groups, flattened to their member competencies (recursively).
  std::unordered_map<std::string, std::vector<uint32_t>> group_members;

  /// Default curriculum practice per competency (see CurriculumPolicyOptions::opportunities).
  std::vector<int> curriculum_opportunities;

  /// Closures of recent goal sets, shared by every fork and the planner: a course has few distinct
  /// goal sets, and expanding one costs a walk over its ancestors (most of a big graph for an
  /// advanced goal). Keyed by the goal ids in request order; at most kClosureCacheSize entries,
  /// least recently used evicted.
  static constexpr size_t kClosureCacheSize = 32;
  mutable std::mutex closure_mutex;
  mutable std::list<std::pair<std::string, std::shared_ptr<const ClosureData>>> closure_cache;

  size_t num_competencies() const { return competency_ids.size(); }
  size_t num_activities() const { return activity_ids.size(); }
  uint32_t FindCompetency(std::string_view id) const {
    auto it = competency_by_id.find(id);
    return it == competency_by_id.end() ? kNone : it->second;
  }
  uint32_t FindActivity(std::string_view id) const {
    auto it = activity_by_id.find(id);
    return it == activity_by_id.end() ? kNone : it->second;
  }
  bool IsHard(double strength) const { return strength >= options.hard_prerequisite_strength; }
};

/// Builds the index. InvalidArgument for invalid options or model.
Result<std::shared_ptr<const RecIndex>> BuildRecIndex(const CompetencyGraph& graph,
                                                      const BktModel& model,
                                                      const RecommenderOptions& options);

/// Dense LearnerMastery -> sparse LearnerState (see Policy::StateFromMastery).
Result<LearnerState> SparseState(const RecIndex& index, const LearnerMastery& mastery);

/// A set of small integers with O(1) clear: an entry is present when its stamp equals the epoch.
class StampSet {
 public:
  void Resize(size_t n) {
    if (stamp_.size() < n) stamp_.resize(n, 0);
  }
  void Clear() {
    if (++epoch_ == 0) {  // wrapped: old stamps could collide with the new epoch
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }
  bool Contains(uint32_t i) const { return stamp_[i] == epoch_; }
  /// Returns true when newly inserted.
  bool Insert(uint32_t i) {
    if (stamp_[i] == epoch_) return false;
    stamp_[i] = epoch_;
    return true;
  }

 private:
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 1;
};

/// A map from small integers to values with O(1) clear.
template <typename T>
class StampMap {
 public:
  void Resize(size_t n) {
    keys_.Resize(n);
    if (values_.size() < n) values_.resize(n);
  }
  void Clear() { keys_.Clear(); }
  const T* Find(uint32_t i) const { return keys_.Contains(i) ? &values_[i] : nullptr; }
  T* Find(uint32_t i) { return keys_.Contains(i) ? &values_[i] : nullptr; }
  void Set(uint32_t i, const T& value) {
    keys_.Insert(i);
    values_[i] = value;
  }

 private:
  StampSet keys_;
  std::vector<T> values_;
};

/// The learner's state indexed for O(1) lookup, valid for one request.
class StateView {
 public:
  /// Indexes `state` (which must outlive the view's use). InvalidArgument naming
  /// "competencies[i]..." for an index out of range, an entry listed twice or a p_learned that is
  /// NaN or outside [0, 1].
  Status Reset(const RecIndex& index, const LearnerState& state);

  double P(uint32_t c) const {
    const CompetencyState* s = by_competency_.Find(c);
    return s ? s->p_learned : index_->params[c].prior;
  }
  const CompetencyState* Find(uint32_t c) const { return by_competency_.Find(c); }
  bool Mastered(uint32_t c) const { return P(c) >= index_->threshold[c]; }
  const LearnerState& state() const { return *state_; }
  /// Latest last_practiced_ms over the state (0 when none).
  TimestampMs latest_ms() const { return latest_ms_; }

 private:
  const RecIndex* index_ = nullptr;
  const LearnerState* state_ = nullptr;
  StampMap<CompetencyState> by_competency_;
  TimestampMs latest_ms_ = 0;
};

/// Goal set expanded to competencies plus their ancestors. Remembers the last goal set, so a policy
/// serving one learner skips even the shared cache.
class GoalClosure {
 public:
  /// NotFound naming an unknown goal id.
  Status Update(const RecIndex& index, const std::vector<std::string>& goals);
  bool empty() const { return data_ == nullptr; }
  bool IsGoal(uint32_t c) const { return data_ && ClosureData::Test(data_->goal_bits, c); }
  bool InClosure(uint32_t c) const { return data_ && ClosureData::Test(data_->closure_bits, c); }
  /// Goal competencies, ascending topological rank (empty without goals).
  const std::vector<uint32_t>& goal_list() const { return data_ ? data_->goal_list : empty_; }
  /// Goals and ancestors, ascending topological rank (empty without goals).
  const std::vector<uint32_t>& closure_list() const { return data_ ? data_->closure_list : empty_; }

 private:
  std::vector<std::string> goals_;
  bool valid_ = false;
  std::shared_ptr<const ClosureData> data_;
  std::vector<uint32_t> empty_;
};

/// Shared request checks: k, budget, pins/exclusions (resolved into indices).
struct ResolvedRequest {
  std::vector<uint32_t> pinned;  ///< first k, duplicates removed, in request order
  StampSet excluded;             ///< also holds the pins, so that ranking skips them
  std::optional<double> budget;
  size_t k = 0;
  TimestampMs now_ms = 0;  ///< filled by the policy from the request and the state
};
Status ResolveRequest(const RecIndex& index, const RecommendRequest& request,
                      ResolvedRequest* resolved);

/// The competencies an observation practises (its activity's, or the competency used as an
/// activity). InvalidArgument for an empty learner id or an outcome that is NaN or outside [0, 1];
/// NotFound for an unknown activity.
Status ResolveObservation(const RecIndex& index, const Observation& observation,
                          std::vector<uint32_t>* competencies);

/// P(correct) with the odds multiplied by `multiplier`: the same as shifting the logit by its log,
/// without a log or exp per call. 0 and 1 stay put.
inline double ApplyOddsMultiplier(double p, double multiplier) {
  if (multiplier == 1.0) return p;
  const double scaled = p * multiplier;
  const double den = scaled + (1.0 - p);
  return den > 0.0 ? scaled / den : p;
}

/// Predicted P(correct) of activity a given the state (Q-weighted mean, difficulty applied).
double PredictActivity(const RecIndex& index, const StateView& view, uint32_t activity);

/// "0.97"
std::string Fixed2(double value);

/// The base fields of a Recommendation (id, competencies, minutes).
Recommendation BaseRecommendation(const RecIndex& index, uint32_t activity);

/// What every policy shares: the index and the conversions that only need it.
class PolicyBase : public Policy {
 public:
  explicit PolicyBase(std::shared_ptr<const RecIndex> index) : index_(std::move(index)) {}
  Result<LearnerState> StateFromMastery(const LearnerMastery& mastery) const override {
    return SparseState(*index_, mastery);
  }
  Result<uint32_t> CompetencyIndex(std::string_view competency_id) const override;

 protected:
  const RecIndex& index() const { return *index_; }
  std::shared_ptr<const RecIndex> index_;
};

/// Factories of the concrete policies (recommender.cc, zpdes_policy.cc, baseline_policies.cc).
std::unique_ptr<Policy> NewMasteryPolicy(std::shared_ptr<const RecIndex> index);
std::unique_ptr<Policy> NewZpdesPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream);
std::unique_ptr<Policy> NewRandomPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream);
std::unique_ptr<Policy> NewCurriculumPolicy(std::shared_ptr<const RecIndex> index);

/// 64-bit mix of seed and stream for fork generators (splitmix64).
uint64_t MixSeed(uint64_t seed, uint64_t stream);

/// Writes the per-learner state encoding of recommender.h: the header line, then little-endian
/// fields.
class LearnerStateWriter {
 public:
  LearnerStateWriter(PolicyKind kind, uint32_t format_version);
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void F32(float v);
  void Bytes(std::string_view v);  ///< u32 length, then the bytes
  /// Unsigned LEB128: seven bits a byte, least significant first (1 byte below 128).
  void Varint(uint64_t v);
  void VarintBytes(std::string_view v);  ///< varint length, then the bytes
  std::string Finish() { return std::move(out_); }

 private:
  std::string out_;
};

/// Reads what LearnerStateWriter wrote; every read fails with InvalidArgument naming the offset.
class LearnerStateReader {
 public:
  explicit LearnerStateReader(std::string_view bytes) : bytes_(bytes) {}
  /// Checks the header: the kind's name and a version in [1, max_version]; returns the version.
  Result<uint32_t> Header(PolicyKind kind, uint32_t max_version);
  Result<uint8_t> U8();
  Result<uint32_t> U32();
  Result<float> F32();
  Result<std::string_view> Bytes();
  Result<uint64_t> Varint();
  Result<std::string_view> VarintBytes();
  bool done() const { return pos_ == bytes_.size(); }
  /// InvalidArgument "learner state: <what> at byte <offset>".
  Status Error(const std::string& what) const;

 private:
  // The next n bytes (a length just read), or an error when fewer are left.
  Result<std::string_view> Take(uint64_t n);
  std::string_view bytes_;
  size_t pos_ = 0;
};

/// A double in [0, 1) from raw generator bits.
template <typename Rng>
double UnitDouble(Rng& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

}  // namespace rec_internal
}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_RECOMMENDER_INDEX_H_
