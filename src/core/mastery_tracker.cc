#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <pathwise/bkt.h>
#include <pathwise/mastery_tracker.h>

#include "mastery_evidence.h"
#include "memory_compaction.h"

namespace pathwise {
namespace {

constexpr int kMaxShards = 65536;
// TrackedCompetency keeps the competency index in 24 bits.
constexpr size_t kMaxCompetencies = size_t{1} << 24;

// The course's evidence before "mastered" as one word, so that a reader never sees half of a
// change: min_opportunities in the high bits, recent_correct in the low 8.
uint64_t PackEvidence(int min_opportunities, int recent_correct) {
  return (static_cast<uint64_t>(min_opportunities) << 8) | static_cast<uint64_t>(recent_correct);
}

Status ValidateEvidence(int min_opportunities, int recent_correct) {
  if (min_opportunities < 1) {
    return Status::InvalidArgument("mastery_min_opportunities must be >= 1, got " +
                                   std::to_string(min_opportunities));
  }
  if (recent_correct < 0 || recent_correct > 8) {
    return Status::InvalidArgument("mastery_recent_correct must be in [0, 8], got " +
                                   std::to_string(recent_correct));
  }
  return Status::Ok();
}

// Individual pace (mastery_tracker.h): the grid of logit offsets, and how far into a competency's
// practice answers still say something about pace (past it, every plausible curve is flat).
constexpr int kPaceGrid = 7;
constexpr double kPaceStep = 0.7;
constexpr uint32_t kPaceMaxOpportunity = 30;

constexpr double PaceOffset(int k) { return (k - kPaceGrid / 2) * kPaceStep; }

// One cell of the compiled Q-matrix: an activity practises `competency` with `weight`, under the
// effective parameters (competency params with the activity's overrides). The likelihood ratios of
// the two exact outcomes are precomputed, so a 0/1 answer costs a product and a quotient; they are
// the very values LikelihoodRatio computes, so every update is bit-identical to
// UpdateOdds(params, odds, credit, weight).
struct Target {
  uint32_t competency;
  double weight;
  double ratio_correct;
  double ratio_incorrect;
  double weighted_learn;  // learn * weight, as UpdateOdds passes to TransitionOdds
  double forget;
  BktParams params;  // for partial credit
};

// What individual pace needs of a target, apart from Target so that the hot table stays small:
// learn / (1 - learn) (inf at 1), and log(1 - learn' weight) for every learn' of the pace grid.
struct PaceTarget {
  double learn_odds;
  std::array<double, kPaceGrid> log_unlearned;
};

Target CompileTarget(uint32_t competency, double weight, const BktParams& params) {
  Target t;
  t.competency = competency;
  t.weight = weight;
  t.ratio_correct = LikelihoodRatio(params.guess, params.slip, 1.0, weight);
  t.ratio_incorrect = LikelihoodRatio(params.guess, params.slip, 0.0, weight);
  t.weighted_learn = params.learn * weight;
  t.forget = params.forget;
  t.params = params;
  return t;
}

PaceTarget CompilePaceTarget(double weight, const BktParams& params) {
  PaceTarget t;
  t.learn_odds = params.learn < 1.0 ? params.learn / (1.0 - params.learn)
                                    : std::numeric_limits<double>::infinity();
  for (int k = 0; k < kPaceGrid; ++k) {
    t.log_unlearned[k] = std::log1p(-ApplyLogitOffset(params.learn, PaceOffset(k)) * weight);
  }
  return t;
}

// Same arithmetic, in the same order, as UpdateOdds in bkt.h; `learn` is t.weighted_learn, or the
// learner's own (individual pace).
inline Odds ApplyTarget(const Target& t, Odds odds, double credit, double learn) {
  double ratio;
  if (credit == 1.0) {
    ratio = t.ratio_correct;
  } else if (credit == 0.0) {
    ratio = t.ratio_incorrect;
  } else {
    ratio = LikelihoodRatio(t.params.guess, t.params.slip, credit, t.weight);
  }
  return TransitionOdds(PosteriorOdds(odds, ratio), learn, t.forget);
}

// A learner's pace (mastery_tracker.h): the offsets in use and, while they are estimated, the
// posterior weights over the grid. Allocated only for learners with a pace of their own.
struct LearnerPace {
  LearnerFactors factors;
  double prior_scale = 1.0;  // exp(factors.prior_offset): multiplies the prior odds
  double learn_scale = 1.0;  // exp(factors.learn_offset): multiplies the learn odds
  bool estimated = false;    // false: fixed (SetPace or the model's learner_factors)
  std::array<double, kPaceGrid> prior_weight{};
  std::array<double, kPaceGrid> learn_weight{};
};

// learn' weight for a learner whose learn odds are scaled by `scale`.
inline double PacedLearn(const Target& t, const PaceTarget& p, double scale) {
  const double odds = p.learn_odds * scale;
  return (std::isinf(odds) ? 1.0 : odds / (1.0 + odds)) * t.weight;
}

// Multiplies the grid weights by the likelihoods, renormalises, and returns the posterior mean.
double UpdateGrid(std::array<double, kPaceGrid>& weight,
                  const std::array<double, kPaceGrid>& likelihood) {
  double total = 0.0;
  for (int k = 0; k < kPaceGrid; ++k) total += (weight[k] *= likelihood[k]);
  // An answer impossible under every offset (guess 0 and slip 0) carries no pace information.
  if (!(total > 0.0) || !std::isfinite(total)) return 0.0;
  double mean = 0.0;
  for (int k = 0; k < kPaceGrid; ++k) {
    weight[k] /= total;
    mean += weight[k] * PaceOffset(k);
  }
  return mean;
}

// The state of one practised (learner, competency) in 24 bytes: the odds (bkt.h) with their
// exponent narrowed to 16 bits, which saturates only past log-odds of +-11 million (no sequence of
// answers with guess and slip above 1e-300 gets there in a billion steps), a practice count that
// saturates at 65,535 (documented on MasteryEstimate::opportunities), and the last 8 answers as
// bits for the evidence before "mastered" (mastery_evidence.h; at most 8 recent answers are asked
// for), beside a competency index of 24 bits (Create refuses bigger graphs). A third less memory
// than the 32 bytes of the plain fields, for the online update's sake (bench/README.md, issue 12).
struct TrackedCompetency {
  uint32_t competency : 24;
  uint32_t recent : 8;  // the last min(opportunities, 8) answers, newest in bit 0, 1 = correct
  uint16_t opportunities;
  int16_t exponent;
  double scale;
  int64_t last_ms;

  static TrackedCompetency Make(uint32_t competency, Odds odds, int64_t last_ms) {
    TrackedCompetency s{};
    s.competency = competency;
    s.last_ms = last_ms;
    s.set_odds(odds);
    return s;
  }
  Odds odds() const { return {scale, exponent}; }
  void set_odds(Odds odds) {
    scale = odds.scale;
    if (odds.exponent > std::numeric_limits<int16_t>::max()) {
      exponent = std::numeric_limits<int16_t>::max();
    } else if (odds.exponent < std::numeric_limits<int16_t>::min()) {
      exponent = std::numeric_limits<int16_t>::min();
    } else {
      exponent = static_cast<int16_t>(odds.exponent);
    }
  }
  // One more answer with credit `credit` (correct from one half up, as the mastery policy counts).
  void CountAnswer(double credit) {
    if (opportunities < std::numeric_limits<uint16_t>::max()) ++opportunities;
    recent = ((recent << 1) | (credit >= 0.5 ? 1u : 0u)) & 0xffu;
  }
};
static_assert(sizeof(TrackedCompetency) == 24,
              "the header documents 24 bytes per practised competency");

// What the tracker keeps per learner. Named apart from pathwise::LearnerState (a policy's sparse
// view) and store::StoredLearner (the durable record), which it would shadow in this file.
struct TrackedLearner {
  // Sorted by competency index; only practised competencies, the rest are at their prior.
  std::vector<TrackedCompetency> states;
  // Allocated on the first event id, so learners fed only through RecordSequence pay 8 bytes for
  // it.
  std::unique_ptr<std::unordered_set<std::string>> event_ids;
  std::unique_ptr<LearnerPace> pace;  // null: the population's parameters
};

struct Shard {
  mutable std::mutex mu;
  std::unordered_map<std::string, TrackedLearner> learners;
};

bool IsValidCredit(double outcome) { return outcome >= 0.0 && outcome <= 1.0; }  // false for NaN

std::string DescribeOutcome(double outcome) {
  if (std::isnan(outcome)) return "NaN";
  return std::to_string(outcome);
}

// glibc malloc hands out chunks of the request plus an 8-byte header, rounded up to 16, at
// least 32.
size_t MallocChunk(size_t request) {
  if (request == 0) return 0;
  const size_t chunk = (request + 8 + 15) & ~size_t{15};
  return std::max<size_t>(chunk, 32);
}

size_t StringHeapBytes(const std::string& s) {
  // Short strings live inside the std::string object itself (15 characters with libstdc++).
  constexpr size_t kInlineCapacity = 15;
  return s.capacity() > kInlineCapacity ? MallocChunk(s.capacity() + 1) : 0;
}

// Node of a libstdc++ unordered container with cached hash: next pointer, value, hash.
template <typename Value>
constexpr size_t HashNodeBytes() {
  return sizeof(void*) + sizeof(Value) + sizeof(size_t);
}

}  // namespace

Status TrackerOptions::Validate() const {
  if (num_shards < 1 || num_shards > kMaxShards) {
    return Status::InvalidArgument("num_shards must be in [1, " + std::to_string(kMaxShards) +
                                   "], got " + std::to_string(num_shards));
  }
  if (!(pace_prior_sd >= 0.1 && pace_prior_sd <= 5.0)) {
    return Status::InvalidArgument("pace_prior_sd must be in [0.1, 5], got " +
                                   std::to_string(pace_prior_sd));
  }
  return ValidateEvidence(mastery_min_opportunities, mastery_recent_correct);
}

struct MasteryTracker::Impl {
  std::vector<std::string> competency_ids;  // graph insertion order; index = competency index
  std::vector<Odds> prior_odds;
  std::vector<double> priors;  // P(L_0) as given, for the pace estimate

  bool individual_pace = false;
  std::array<double, kPaceGrid> pace_grid_prior{};  // normalised Gaussian weights of the offsets
  std::unordered_map<std::string, LearnerFactors> fitted_pace;  // BktModel::learner_factors
  std::vector<double> thresholds;
  // Evidence before "mastered": each competency's own setting, else the course's (PackEvidence).
  std::vector<std::optional<int>> own_min_opportunities;
  std::vector<std::optional<int>> own_recent_correct;
  std::atomic<uint64_t> course_evidence{PackEvidence(1, 0)};
  std::unordered_map<std::string, uint32_t> competency_index;

  // Activity a's targets are targets[target_begin[a], target_begin[a + 1]).
  std::vector<uint32_t> target_begin;
  std::vector<Target> targets;
  std::vector<PaceTarget> pace_targets;  // parallel to targets
  std::unordered_map<std::string, uint32_t> activity_index;

  LearnerMastery prior_template;

  std::vector<Shard> shards;

  explicit Impl(int num_shards) : shards(static_cast<size_t>(num_shards)) {}

  Shard& ShardFor(std::string_view learner_id) {
    return shards[std::hash<std::string_view>{}(learner_id) % shards.size()];
  }
  const Shard& ShardFor(std::string_view learner_id) const {
    return shards[std::hash<std::string_view>{}(learner_id) % shards.size()];
  }

  uint32_t num_activities() const { return static_cast<uint32_t>(target_begin.size() - 1); }

  // Finds the state of `competency`, inserting it at its prior (the learner's, with a pace) when
  // absent. Never fails.
  TrackedCompetency& StateFor(std::vector<TrackedCompetency>& states, uint32_t competency,
                              const LearnerPace* pace) const {
    auto it =
        std::lower_bound(states.begin(), states.end(), competency,
                         [](const TrackedCompetency& s, uint32_t c) { return s.competency < c; });
    if (it == states.end() || it->competency != competency) {
      Odds prior = prior_odds[competency];
      if (pace != nullptr && pace->prior_scale != 1.0)
        prior = PosteriorOdds(prior, pace->prior_scale);
      // The minimum makes the first applied timestamp win in the max() of Apply.
      it = states.insert(
          it, TrackedCompetency::Make(competency, prior, std::numeric_limits<int64_t>::min()));
    }
    return *it;
  }

  // A new learner's pace: fitted offsets when the model has them, else the population, estimated
  // from here on when individual_pace is on. Null when neither applies.
  std::unique_ptr<LearnerPace> NewPace(const std::string& learner_id) const {
    auto fitted = fitted_pace.find(learner_id);
    if (fitted != fitted_pace.end()) return FixedPace(fitted->second);
    if (!individual_pace) return nullptr;
    auto pace = std::make_unique<LearnerPace>();
    pace->estimated = true;
    pace->prior_weight = pace_grid_prior;
    pace->learn_weight = pace_grid_prior;
    return pace;
  }

  static std::unique_ptr<LearnerPace> FixedPace(const LearnerFactors& factors) {
    auto pace = std::make_unique<LearnerPace>();
    pace->factors = factors;
    pace->prior_scale = std::exp(factors.prior_offset);
    pace->learn_scale = std::exp(factors.learn_offset);
    return pace;
  }

  // Folds one answer into the pace estimate (mastery_tracker.h). `s` is the state before it.
  void ObservePace(LearnerPace& pace, const Target& t, const PaceTarget& p,
                   const TrackedCompetency& s, double credit) const {
    const double guess = t.params.guess;
    const double slip = t.params.slip;
    std::array<double, kPaceGrid> likelihood;
    auto answer_likelihood = [&](double p_learned) {
      const double correct = PredictCorrect(p_learned, guess, slip);
      return credit * correct + (1.0 - credit) * (1.0 - correct);
    };
    if (s.opportunities == 0) {
      const double prior = priors[s.competency];
      for (int k = 0; k < kPaceGrid; ++k) {
        likelihood[k] = answer_likelihood(ApplyLogitOffset(prior, PaceOffset(k)));
      }
      pace.factors.prior_offset = UpdateGrid(pace.prior_weight, likelihood);
      pace.prior_scale = std::exp(pace.factors.prior_offset);
    } else if (s.opportunities <= kPaceMaxOpportunity) {
      const double unlearned_at_start =
          1.0 - ApplyLogitOffset(priors[s.competency], pace.factors.prior_offset);
      const double n = static_cast<double>(s.opportunities);
      for (int k = 0; k < kPaceGrid; ++k) {
        likelihood[k] =
            answer_likelihood(1.0 - unlearned_at_start * std::exp(n * p.log_unlearned[k]));
      }
      pace.factors.learn_offset = UpdateGrid(pace.learn_weight, likelihood);
      pace.learn_scale = std::exp(pace.factors.learn_offset);
    }
  }

  // One answer's update of one target's state (t an element of `targets`), with the learner's pace
  // when there is one.
  void ApplyOne(const Target& t, TrackedCompetency& s, double credit, LearnerPace* pace) const {
    double learn = t.weighted_learn;
    if (pace != nullptr) {
      const PaceTarget& p = pace_targets[&t - targets.data()];
      if (pace->learn_scale != 1.0) learn = PacedLearn(t, p, pace->learn_scale);
      if (pace->estimated) ObservePace(*pace, t, p, s, credit);
    }
    s.set_odds(ApplyTarget(t, s.odds(), credit, learn));
  }

  // The learner's state, created (with its pace) when new. A std::string key, so that finding a
  // known learner copies nothing.
  TrackedLearner& LearnerFor(Shard& shard, const std::string& learner_id) const {
    auto [it, inserted] = shard.learners.try_emplace(learner_id);
    if (inserted) it->second.pace = NewPace(learner_id);
    return it->second;
  }

  uint32_t NumTargets(uint32_t activity) const {
    return target_begin[activity + 1] - target_begin[activity];
  }

  // Applies one resolved observation to a learner; when `updated` is set, writes the updated states
  // there (room for NumTargets(activity) of them).
  void Apply(TrackedLearner& learner, uint32_t activity, double credit, TimestampMs timestamp_ms,
             TrackedCompetency* updated) const {
    const Target* t = targets.data() + target_begin[activity];
    const Target* end = targets.data() + target_begin[activity + 1];
    LearnerPace* pace = learner.pace.get();
    for (; t != end; ++t) {
      TrackedCompetency& s = StateFor(learner.states, t->competency, pace);
      ApplyOne(*t, s, credit, pace);
      s.CountAnswer(credit);
      s.last_ms = std::max(s.last_ms, timestamp_ms);
      if (updated != nullptr) *updated++ = s;
    }
  }

  // Everything but the competency id.
  void FillEstimate(const TrackedCompetency& s, MasteryEstimate* e) const {
    const Odds odds = s.odds();
    e->p_learned = odds.mastery();
    e->log_odds = odds.log_odds();
    e->odds_scale = odds.scale;
    e->odds_exponent = odds.exponent;
    e->mastered = e->p_learned >= thresholds[s.competency] &&
                  rec_internal::HasMasteryEvidence(s.opportunities, {s.opportunities, s.recent},
                                                   Evidence(s.competency));
    e->opportunities = s.opportunities;
    e->last_practiced_ms = s.last_ms;
    e->recent_answers = static_cast<int32_t>(s.recent);
  }

  rec_internal::EvidenceRule Evidence(uint32_t competency) const {
    const uint64_t course = course_evidence.load(std::memory_order_relaxed);
    return rec_internal::EvidenceRuleFor(
        own_min_opportunities[competency], own_recent_correct[competency],
        static_cast<int>(course >> 8), static_cast<int>(course & 0xff));
  }

  MasteryEstimate ToEstimate(const TrackedCompetency& s) const {
    MasteryEstimate e;
    e.competency_id = competency_ids[s.competency];
    FillEstimate(s, &e);
    return e;
  }

  // Validates one observation; on success sets *activity. `prefix` is prepended to field names.
  Status Validate(const Observation& o, const std::string& prefix, uint32_t* activity) const {
    if (o.learner_id.empty()) {
      return Status::InvalidArgument(prefix + "learner_id must not be empty");
    }
    if (!IsValidCredit(o.outcome)) {
      return Status::InvalidArgument(prefix + "outcome must be in [0, 1], got " +
                                     DescribeOutcome(o.outcome));
    }
    auto it = activity_index.find(o.activity_id);
    if (it == activity_index.end()) {
      return Status::NotFound(prefix + "activity_id '" + o.activity_id +
                              "' is neither an activity nor a competency in the graph");
    }
    *activity = it->second;
    return Status::Ok();
  }

  // Applies a validated observation; returns false for a duplicate event id.
  bool Record(const Observation& o, uint32_t activity, TrackedCompetency* updated) {
    Shard& shard = ShardFor(o.learner_id);
    std::lock_guard<std::mutex> lock(shard.mu);
    TrackedLearner& learner = LearnerFor(shard, o.learner_id);
    if (!o.event_id.empty()) {
      if (!learner.event_ids)
        learner.event_ids = std::make_unique<std::unordered_set<std::string>>();
      if (!learner.event_ids->insert(o.event_id).second) return false;
    }
    Apply(learner, activity, o.outcome, o.timestamp_ms, updated);
    return true;
  }
};

MasteryTracker::MasteryTracker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MasteryTracker::~MasteryTracker() = default;

Result<std::unique_ptr<MasteryTracker>> MasteryTracker::Create(const CompetencyGraph& graph,
                                                               const BktModel& model,
                                                               TrackerOptions options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("options"));
  PATHWISE_RETURN_IF_ERROR(model.Validate().WithContext("model"));

  auto impl = std::make_unique<Impl>(options.num_shards);
  impl->individual_pace = options.individual_pace;
  {
    double total = 0.0;
    for (int k = 0; k < kPaceGrid; ++k) {
      const double z = PaceOffset(k) / options.pace_prior_sd;
      total += (impl->pace_grid_prior[k] = std::exp(-0.5 * z * z));
    }
    for (double& w : impl->pace_grid_prior) w /= total;
  }
  for (const auto& [learner, factors] : model.learner_factors) {
    impl->fitted_pace.emplace(learner, factors);
  }
  const std::vector<const Competency*> competencies = graph.competencies();
  const std::vector<const Activity*> activities = graph.activities();
  if (competencies.size() + activities.size() >= std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted("graph too large for 32-bit indices");
  }
  if (competencies.size() >= kMaxCompetencies) {
    return Status::ResourceExhausted(
        "graph too large for the tracker: " + std::to_string(competencies.size()) +
        " competencies, at most " + std::to_string(kMaxCompetencies - 1));
  }
  impl->course_evidence.store(
      PackEvidence(options.mastery_min_opportunities, options.mastery_recent_correct));

  impl->prior_template.competencies.reserve(competencies.size());
  for (const Competency* c : competencies) {
    const uint32_t index = static_cast<uint32_t>(impl->competency_ids.size());
    const BktParams params = model.ParamsFor(c->id, c->params);
    impl->competency_ids.push_back(c->id);
    impl->prior_odds.push_back(Odds::OfProbability(params.prior));
    impl->priors.push_back(params.prior);
    impl->thresholds.push_back(c->mastery_threshold);
    impl->own_min_opportunities.push_back(c->mastery_min_opportunities);
    impl->own_recent_correct.push_back(c->mastery_recent_correct);
    impl->competency_index.emplace(c->id, index);
    MasteryEstimate prior;
    prior.competency_id = c->id;
    prior.p_learned = params.prior;
    prior.log_odds = ProbabilityToLogOdds(params.prior);
    prior.mastered = params.prior >= c->mastery_threshold;
    impl->prior_template.competencies.push_back(std::move(prior));
  }

  // Activities first, then every competency as an activity of its own; an activity id shadows a
  // competency id with the same spelling.
  auto add_target = [&](const std::string& competency_id, const std::string& activity_id,
                        double weight) -> Status {
    auto c = impl->competency_index.find(competency_id);
    if (c == impl->competency_index.end()) {
      return Status::Internal("activity '" + activity_id + "' practises unknown competency '" +
                              competency_id + "'");
    }
    const Competency* competency = competencies[c->second];
    const BktParams params = model.ParamsFor(competency_id, activity_id, competency->params);
    PATHWISE_RETURN_IF_ERROR(
        params.Validate().WithContext("model: effective parameters of activity '" + activity_id +
                                      "' for competency '" + competency_id + "'"));
    impl->targets.push_back(CompileTarget(c->second, weight, params));
    impl->pace_targets.push_back(CompilePaceTarget(weight, params));
    return Status::Ok();
  };
  for (const Activity* a : activities) {
    impl->activity_index.emplace(a->id, static_cast<uint32_t>(impl->target_begin.size()));
    impl->target_begin.push_back(static_cast<uint32_t>(impl->targets.size()));
    for (const PracticedCompetency& pc : a->competencies) {
      PATHWISE_RETURN_IF_ERROR(add_target(pc.competency_id, a->id, pc.weight));
    }
  }
  for (const Competency* c : competencies) {
    impl->activity_index.emplace(c->id, static_cast<uint32_t>(impl->target_begin.size()));
    impl->target_begin.push_back(static_cast<uint32_t>(impl->targets.size()));
    PATHWISE_RETURN_IF_ERROR(add_target(c->id, c->id, 1.0));
  }
  impl->target_begin.push_back(static_cast<uint32_t>(impl->targets.size()));

  return std::unique_ptr<MasteryTracker>(new MasteryTracker(std::move(impl)));
}

Result<RecordResult> MasteryTracker::Record(const Observation& observation) {
  uint32_t activity = 0;
  PATHWISE_RETURN_IF_ERROR(impl_->Validate(observation, "", &activity));
  // Most activities practise a handful of competencies: keep their states off the heap.
  constexpr uint32_t kInlineTargets = 8;
  TrackedCompetency inline_states[kInlineTargets];
  std::vector<TrackedCompetency> heap_states;
  const uint32_t num_targets = impl_->NumTargets(activity);
  TrackedCompetency* updated = inline_states;
  if (num_targets > kInlineTargets) {
    heap_states.resize(num_targets);
    updated = heap_states.data();
  }
  RecordResult result;
  result.applied = impl_->Record(observation, activity, updated);
  if (result.applied) {
    result.updated.reserve(num_targets);
    for (uint32_t i = 0; i < num_targets; ++i)
      result.updated.push_back(impl_->ToEstimate(updated[i]));
  }
  return result;
}

Result<size_t> MasteryTracker::RecordBatch(const std::vector<Observation>& observations) {
  return RecordBatch(observations, nullptr);
}

Result<size_t> MasteryTracker::RecordBatch(const std::vector<Observation>& observations,
                                           std::vector<bool>* applied_flags) {
  std::vector<uint32_t> activities(observations.size());
  for (size_t i = 0; i < observations.size(); ++i) {
    PATHWISE_RETURN_IF_ERROR(impl_->Validate(
        observations[i], "observations[" + std::to_string(i) + "].", &activities[i]));
  }
  size_t applied = 0;
  if (applied_flags != nullptr) applied_flags->assign(observations.size(), false);
  for (size_t i = 0; i < observations.size(); ++i) {
    if (!impl_->Record(observations[i], activities[i], nullptr)) continue;
    ++applied;
    if (applied_flags != nullptr) (*applied_flags)[i] = true;
  }
  return applied;
}

Result<uint32_t> MasteryTracker::ActivityIndex(std::string_view activity_id) const {
  auto it = impl_->activity_index.find(std::string(activity_id));
  if (it == impl_->activity_index.end()) {
    return Status::NotFound("activity_id '" + std::string(activity_id) +
                            "' is neither an activity nor a competency in the graph");
  }
  return it->second;
}

Status MasteryTracker::RecordSequence(std::string_view learner_id,
                                      const std::vector<ResolvedOutcome>& steps) {
  if (learner_id.empty()) return Status::InvalidArgument("learner_id must not be empty");
  const uint32_t num_activities = impl_->num_activities();
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].activity_index >= num_activities) {
      return Status::InvalidArgument("steps[" + std::to_string(i) + "].activity_index " +
                                     std::to_string(steps[i].activity_index) +
                                     " is not below the number of activities " +
                                     std::to_string(num_activities));
    }
    if (!IsValidCredit(steps[i].outcome)) {
      return Status::InvalidArgument("steps[" + std::to_string(i) +
                                     "].outcome must be in [0, 1], got " +
                                     DescribeOutcome(steps[i].outcome));
    }
  }
  if (steps.empty()) return Status::Ok();

  Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  const Impl& impl = *impl_;
  TrackedLearner& learner = impl.LearnerFor(shard, std::string(learner_id));
  std::vector<TrackedCompetency>& states = learner.states;
  LearnerPace* pace = learner.pace.get();
  // Logs practise one competency several times in a row; remembering the last state skips the
  // search. The pointer stays valid because only StateFor inserts, and it refreshes the pointer
  // right after.
  TrackedCompetency* last = nullptr;
  for (const ResolvedOutcome& step : steps) {
    const Target* t = impl.targets.data() + impl.target_begin[step.activity_index];
    const Target* end = impl.targets.data() + impl.target_begin[step.activity_index + 1];
    const double credit = step.outcome;
    for (; t != end; ++t) {
      if (last == nullptr || last->competency != t->competency) {
        last = &impl.StateFor(states, t->competency, pace);
      }
      TrackedCompetency& s = *last;
      impl.ApplyOne(*t, s, credit, pace);
      s.CountAnswer(credit);
      s.last_ms = std::max(s.last_ms, step.timestamp_ms);
    }
  }
  return Status::Ok();
}

Status MasteryTracker::RestoreLearner(std::string_view learner_id,
                                      const std::vector<MasteryEstimate>& estimates) {
  if (learner_id.empty()) return Status::InvalidArgument("learner_id must not be empty");
  std::vector<TrackedCompetency> states;
  states.reserve(estimates.size());
  for (size_t i = 0; i < estimates.size(); ++i) {
    const MasteryEstimate& e = estimates[i];
    // Built on an error only: a restart restores millions of estimates.
    auto field = [i] { return "estimates[" + std::to_string(i) + "]"; };
    auto c = impl_->competency_index.find(e.competency_id);
    if (c == impl_->competency_index.end()) {
      return Status::NotFound(field() + ".competency_id: '" + e.competency_id +
                              "' is not in the graph");
    }
    // Never practised: at the prior, which the tracker does not carry.
    if (e.opportunities == 0) continue;
    Odds odds;
    if (!std::isnan(e.odds_scale)) {
      const bool in_window = e.odds_scale >= detail::kOddsLow && e.odds_scale < detail::kOddsHigh;
      const bool certain =
          (e.odds_scale == 0.0 || std::isinf(e.odds_scale)) && e.odds_exponent == 0;
      if (!(in_window || certain)) {
        return Status::InvalidArgument(field() + ".odds_scale: " + std::to_string(e.odds_scale) +
                                       " (exponent " + std::to_string(e.odds_exponent) +
                                       ") is not odds the tracker carries");
      }
      odds = {e.odds_scale, e.odds_exponent};
    } else if (!std::isnan(e.log_odds)) {
      odds = Odds::OfLogOdds(e.log_odds);
    } else if (e.p_learned >= 0.0 && e.p_learned <= 1.0) {
      odds = Odds::OfProbability(e.p_learned);
    } else {
      return Status::InvalidArgument(field() + ": no odds_scale, log_odds or p_learned in [0, 1]");
    }
    if (e.recent_answers != -1) {
      PATHWISE_RETURN_IF_ERROR(rec_internal::CheckRecentAnswers(e.opportunities, e.recent_answers,
                                                                field() + ".recent_answers"));
    }
    TrackedCompetency s = TrackedCompetency::Make(c->second, odds, e.last_practiced_ms);
    s.opportunities = static_cast<uint16_t>(
        std::min<uint32_t>(e.opportunities, std::numeric_limits<uint16_t>::max()));
    // Not known (stored before the store kept them): as if every recent answer had been right, so
    // that what was mastered stays mastered and no stall is seen until new answers say otherwise.
    s.recent = e.recent_answers != -1 ? static_cast<uint32_t>(e.recent_answers)
                                      : (1u << std::min<uint32_t>(e.opportunities, 8)) - 1u;
    states.push_back(s);
  }
  std::sort(states.begin(), states.end(),
            [](const TrackedCompetency& a, const TrackedCompetency& b) {
              return a.competency < b.competency;
            });
  for (size_t i = 1; i < states.size(); ++i) {
    if (states[i].competency == states[i - 1].competency) {
      return Status::InvalidArgument("estimates: competency '" +
                                     impl_->competency_ids[states[i].competency] +
                                     "' appears twice");
    }
  }
  Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  TrackedLearner& learner = impl_->LearnerFor(shard, std::string(learner_id));
  learner.states = std::move(states);
  learner.event_ids.reset();
  return Status::Ok();
}

Result<LearnerMastery> MasteryTracker::Mastery(std::string_view learner_id) const {
  std::vector<TrackedCompetency> states;
  double prior_scale = 1.0;
  {
    const Shard& shard = impl_->ShardFor(learner_id);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.learners.find(std::string(learner_id));
    if (it == shard.learners.end()) {
      return Status::NotFound("learner '" + std::string(learner_id) + "' has no observations");
    }
    states = it->second.states;
    if (it->second.pace) prior_scale = it->second.pace->prior_scale;
  }
  LearnerMastery mastery = impl_->prior_template;
  mastery.learner_id = std::string(learner_id);
  if (prior_scale != 1.0) {
    // Unpractised competencies at this learner's own prior.
    for (uint32_t c = 0; c < mastery.competencies.size(); ++c) {
      const Odds prior = PosteriorOdds(impl_->prior_odds[c], prior_scale);
      impl_->FillEstimate(TrackedCompetency::Make(c, prior, 0), &mastery.competencies[c]);
    }
  }
  for (const TrackedCompetency& s : states) {
    impl_->FillEstimate(s, &mastery.competencies[s.competency]);
  }
  return mastery;
}

Result<MasteryEstimate> MasteryTracker::Mastery(std::string_view learner_id,
                                                std::string_view competency_id) const {
  auto c = impl_->competency_index.find(std::string(competency_id));
  if (c == impl_->competency_index.end()) {
    return Status::NotFound("competency '" + std::string(competency_id) + "' is not in the graph");
  }
  const uint32_t competency = c->second;
  TrackedCompetency state = TrackedCompetency::Make(competency, impl_->prior_odds[competency], 0);
  bool from_odds = false;  // false: the population prior exactly as given
  {
    const Shard& shard = impl_->ShardFor(learner_id);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.learners.find(std::string(learner_id));
    if (it == shard.learners.end()) {
      return Status::NotFound("learner '" + std::string(learner_id) + "' has no observations");
    }
    if (it->second.pace && it->second.pace->prior_scale != 1.0) {
      state.set_odds(PosteriorOdds(state.odds(), it->second.pace->prior_scale));
      from_odds = true;  // the learner's own prior
    }
    const std::vector<TrackedCompetency>& states = it->second.states;
    auto s = std::lower_bound(
        states.begin(), states.end(), competency,
        [](const TrackedCompetency& cs, uint32_t want) { return cs.competency < want; });
    if (s != states.end() && s->competency == competency) {
      state = *s;
      from_odds = true;
    }
  }
  // Unpractised at the population prior: the prior exactly as given, not read back from its odds.
  if (!from_odds) return impl_->prior_template.competencies[competency];
  return impl_->ToEstimate(state);
}

LearnerMastery MasteryTracker::PriorMastery(std::string_view learner_id) const {
  LearnerMastery mastery = impl_->prior_template;
  mastery.learner_id = std::string(learner_id);
  return mastery;
}

Result<LearnerFactors> MasteryTracker::Pace(std::string_view learner_id) const {
  const Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.learners.find(std::string(learner_id));
  if (it == shard.learners.end()) {
    return Status::NotFound("learner '" + std::string(learner_id) + "' has no observations");
  }
  return it->second.pace ? it->second.pace->factors : LearnerFactors{};
}

Status MasteryTracker::SetMasteryEvidence(int min_opportunities, int recent_correct) {
  PATHWISE_RETURN_IF_ERROR(ValidateEvidence(min_opportunities, recent_correct));
  impl_->course_evidence.store(PackEvidence(min_opportunities, recent_correct));
  return Status::Ok();
}

Status MasteryTracker::SetPace(std::string_view learner_id, const LearnerFactors& factors) {
  if (learner_id.empty()) return Status::InvalidArgument("learner_id must not be empty");
  auto check = [](const char* field, double offset) -> Status {
    if (!(std::abs(offset) <= 10.0)) {
      return Status::InvalidArgument(std::string(field) + " must be finite and in [-10, 10], got " +
                                     std::to_string(offset));
    }
    return Status::Ok();
  };
  PATHWISE_RETURN_IF_ERROR(check("prior_offset", factors.prior_offset));
  PATHWISE_RETURN_IF_ERROR(check("learn_offset", factors.learn_offset));
  Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  impl_->LearnerFor(shard, std::string(learner_id)).pace = Impl::FixedPace(factors);
  return Status::Ok();
}

namespace {

constexpr std::string_view kPaceHeader = "pace/";
constexpr uint32_t kPaceFormat = 1;

void PutF64(double v, std::string* out) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

// Reads SavePace's encoding; every failure names the byte offset.
class PaceReader {
 public:
  explicit PaceReader(std::string_view bytes) : bytes_(bytes) {}
  Status Error(const std::string& what) const {
    return Status::InvalidArgument("pace: " + what + " at byte " + std::to_string(pos_));
  }
  Status Header() {
    const size_t newline = bytes_.find('\n');
    if (bytes_.rfind(kPaceHeader, 0) != 0 || newline == std::string_view::npos)
      return Error("no 'pace/<version>' header line");
    const std::string_view digits = bytes_.substr(kPaceHeader.size(), newline - kPaceHeader.size());
    if (digits != std::to_string(kPaceFormat)) {
      return Error("format version '" + std::string(digits) + "' not read by this library (reads " +
                   std::to_string(kPaceFormat) + ")");
    }
    pos_ = newline + 1;
    return Status::Ok();
  }
  Result<uint8_t> U8() {
    if (bytes_.size() - pos_ < 1) return Error("truncated");
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  Result<double> F64() {
    if (bytes_.size() - pos_ < 8) return Error("truncated");
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    pos_ += 8;
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    return v;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> MasteryTracker::SavePace(std::string_view learner_id) const {
  const Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.learners.find(std::string(learner_id));
  if (it == shard.learners.end() || it->second.pace == nullptr) return std::string();
  const LearnerPace& pace = *it->second.pace;
  std::string out(kPaceHeader);
  out += std::to_string(kPaceFormat) + "\n";
  out.push_back(pace.estimated ? 1 : 0);
  PutF64(pace.factors.prior_offset, &out);
  PutF64(pace.factors.learn_offset, &out);
  if (pace.estimated) {
    out.push_back(static_cast<char>(kPaceGrid));
    for (double w : pace.prior_weight) PutF64(w, &out);
    for (double w : pace.learn_weight) PutF64(w, &out);
  }
  return out;
}

Status MasteryTracker::RestorePace(std::string_view learner_id, std::string_view bytes) {
  if (learner_id.empty()) return Status::InvalidArgument("learner_id must not be empty");
  const std::string id(learner_id);
  std::unique_ptr<LearnerPace> pace;
  if (!bytes.empty()) {
    PaceReader in(bytes);
    PATHWISE_RETURN_IF_ERROR(in.Header());
    PATHWISE_ASSIGN_OR_RETURN(uint8_t estimated, in.U8());
    if (estimated > 1) return in.Error("estimated flag " + std::to_string(estimated));
    LearnerFactors factors;
    for (double* offset : {&factors.prior_offset, &factors.learn_offset}) {
      PATHWISE_ASSIGN_OR_RETURN(*offset, in.F64());
      if (!(std::abs(*offset) <= 10.0)) return in.Error("offset outside [-10, 10]");
    }
    pace = Impl::FixedPace(factors);
    if (estimated == 1) {
      pace->estimated = true;
      PATHWISE_ASSIGN_OR_RETURN(uint8_t grid, in.U8());
      if (grid != kPaceGrid) {
        return in.Error("grid of " + std::to_string(grid) + " offsets, this library's has " +
                        std::to_string(kPaceGrid));
      }
      for (std::array<double, kPaceGrid>* weights : {&pace->prior_weight, &pace->learn_weight}) {
        double total = 0.0;
        for (double& w : *weights) {
          PATHWISE_ASSIGN_OR_RETURN(w, in.F64());
          if (!(w >= 0.0 && std::isfinite(w))) return in.Error("weight negative or not finite");
          total += w;
        }
        if (!(total > 0.0)) return in.Error("weights summing to 0");
      }
    }
    if (!in.done()) return in.Error("unexpected bytes after the pace");
  }
  Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (pace == nullptr) {
    auto it = shard.learners.find(id);
    if (it != shard.learners.end()) it->second.pace = impl_->NewPace(id);
    return Status::Ok();
  }
  impl_->LearnerFor(shard, id).pace = std::move(pace);
  return Status::Ok();
}

bool MasteryTracker::HasLearner(std::string_view learner_id) const {
  const Shard& shard = impl_->ShardFor(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  return shard.learners.count(std::string(learner_id)) > 0;
}

Status MasteryTracker::RemoveLearner(std::string_view learner_id) {
  Shard& shard = impl_->ShardFor(learner_id);
  TrackedLearner removed;  // destroyed after the lock is released
  {
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.learners.find(std::string(learner_id));
    if (it == shard.learners.end()) {
      return Status::NotFound("learner '" + std::string(learner_id) + "' has no observations");
    }
    removed = std::move(it->second);
    shard.learners.erase(it);
  }
  return Status::Ok();
}

std::vector<std::string> MasteryTracker::LearnerIds() const {
  std::vector<std::string> ids;
  for (const Shard& shard : impl_->shards) {
    std::lock_guard<std::mutex> lock(shard.mu);
    for (const auto& [id, learner] : shard.learners) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

size_t MasteryTracker::num_learners() const {
  size_t n = 0;
  for (const Shard& shard : impl_->shards) {
    std::lock_guard<std::mutex> lock(shard.mu);
    n += shard.learners.size();
  }
  return n;
}

size_t MasteryTracker::CompactMemory() {
  size_t released = 0;
  for (Shard& shard : impl_->shards) {
    compaction_internal::VisitInBatches(shard.mu, shard.learners, [&](auto& entry) {
      released += compaction_internal::ShrinkIfSpare(entry.second.states);
    });
  }
  return released;
}

MasteryTracker::MemoryUsage MasteryTracker::EstimateMemory() const {
  using LearnerNode = std::pair<const std::string, TrackedLearner>;
  MemoryUsage usage;
  for (const Shard& shard : impl_->shards) {
    std::lock_guard<std::mutex> lock(shard.mu);
    usage.bytes += MallocChunk(shard.learners.bucket_count() * sizeof(void*));
    for (const auto& [id, learner] : shard.learners) {
      ++usage.learners;
      usage.states += learner.states.size();
      usage.bytes += MallocChunk(HashNodeBytes<LearnerNode>()) + StringHeapBytes(id);
      usage.bytes += MallocChunk(learner.states.capacity() * sizeof(TrackedCompetency));
      if (learner.pace) usage.bytes += MallocChunk(sizeof(LearnerPace));
      if (learner.event_ids) {
        const auto& ids = *learner.event_ids;
        usage.event_ids += ids.size();
        usage.bytes += MallocChunk(sizeof(ids));
        if (ids.bucket_count() > 1) usage.bytes += MallocChunk(ids.bucket_count() * sizeof(void*));
        for (const std::string& event_id : ids) {
          usage.bytes += MallocChunk(HashNodeBytes<std::string>()) + StringHeapBytes(event_id);
        }
      }
    }
  }
  return usage;
}

}  // namespace pathwise
