// The simulation runner: learners x policies x steps on a thread pool, and the summaries.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/evaluation.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/recommender.h>
#include <pathwise/simulator.h>

#include "parallel_for.h"
#include "simulator_internal.h"

namespace pathwise {
namespace {

using simulator_internal::MixSeed;
using simulator_internal::PracticeEntry;

constexpr int kMaxThreads = 256;
constexpr int kMaxLearners = 10'000'000;
constexpr int kMaxSteps = 10'000'000;

std::string LearnerId(uint32_t index) { return "sim-" + std::to_string(index); }

// What one learner did under one policy.
struct Episode {
  LearnerOutcome outcome;
  std::vector<uint32_t> curve_learned;  // at each curve step
  std::vector<uint32_t> curve_scope_learned;
  std::vector<float> predictions;  // online P(correct) before each attempt
  std::vector<uint8_t> outcomes;   // 1 correct
  std::vector<TraceStep> trace;
  Status error;
};

double Median(std::vector<int> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : 0.5 * (values[mid - 1] + values[mid]);
}

// The oracle: greedy on the true hidden state (Simulation::Oracle).
class OraclePolicy final : public simulator_internal::TruthAwarePolicy {
 public:
  struct Shared {
    const SyntheticCohort* cohort = nullptr;
    std::vector<uint8_t> scope;
    std::vector<uint32_t> candidates;  // activities practising a scope competency, graph order
    std::vector<std::string> candidate_ids;
    /// The scope competencies of each candidate.
    std::vector<std::vector<uint32_t>> candidate_scope;
    std::shared_ptr<const Policy> index;  // for StateFromMastery and CompetencyIndex
  };

  explicit OraclePolicy(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}

  PolicyKind kind() const override { return PolicyKind::kMastery; }

  Status SeeLearner(const SyntheticCohort* cohort, const SyntheticLearner* learner) override {
    if (cohort != shared_->cohort) {
      return Status::FailedPrecondition("the oracle runs only in the Simulation that made it");
    }
    learner_ = learner;
    return Status::Ok();
  }

  Result<std::vector<Recommendation>> Recommend(const LearnerState&,
                                                const RecommendRequest&) override {
    if (learner_ == nullptr) {
      return Status::FailedPrecondition("the oracle runs only inside a Simulation");
    }
    const Shared& shared = *shared_;
    if (shared.candidates.empty()) return std::vector<Recommendation>{};
    double best_gain = 0.0;
    size_t best = shared.candidates.size();
    size_t fallback = shared.candidates.size();
    for (size_t i = 0; i < shared.candidates.size(); ++i) {
      const double gain = learner_->ExpectedScopeGain(shared.candidates[i], shared.scope);
      if (gain > best_gain) {
        best_gain = gain;
        best = i;
      }
      if (fallback == shared.candidates.size()) {
        for (uint32_t c : shared.candidate_scope[i]) {
          if (!learner_->IsLearned(c)) fallback = i;
        }
      }
    }
    if (best == shared.candidates.size()) best = fallback < best ? fallback : 0;
    Recommendation recommendation;
    recommendation.activity_id = shared.candidate_ids[best];
    recommendation.score = best_gain;
    recommendation.reasons = {"oracle: largest expected true gain toward the goal scope"};
    return std::vector<Recommendation>{std::move(recommendation)};
  }

  Status Observe(const Observation&) override { return Status::Ok(); }

  std::unique_ptr<Policy> Fork(uint64_t) const override {
    return std::make_unique<OraclePolicy>(shared_);
  }

  Result<LearnerState> StateFromMastery(const LearnerMastery& mastery) const override {
    return shared_->index->StateFromMastery(mastery);
  }

  Result<uint32_t> CompetencyIndex(std::string_view competency_id) const override {
    return shared_->index->CompetencyIndex(competency_id);
  }

 private:
  std::shared_ptr<const Shared> shared_;
  const SyntheticLearner* learner_ = nullptr;
};

}  // namespace

Status SimulationOptions::Validate() const {
  std::set<PolicyKind> seen;
  for (size_t i = 0; i < policies.size(); ++i) {
    if (!seen.insert(policies[i]).second) {
      return Status::InvalidArgument("policies[" + std::to_string(i) + "]: policy '" +
                                     std::string(PolicyKindName(policies[i])) + "' listed twice");
    }
  }
  PATHWISE_RETURN_IF_ERROR(recommender.Validate().WithContext("recommender"));
  if (learners < 1 || learners > kMaxLearners) {
    return Status::InvalidArgument("learners must be in [1, " + std::to_string(kMaxLearners) +
                                   "], got " + std::to_string(learners));
  }
  if (steps < 1 || steps > kMaxSteps) {
    return Status::InvalidArgument("steps must be in [1, " + std::to_string(kMaxSteps) + "], got " +
                                   std::to_string(steps));
  }
  if (threads < 1 || threads > kMaxThreads) {
    return Status::InvalidArgument("threads must be in [1, " + std::to_string(kMaxThreads) +
                                   "], got " + std::to_string(threads));
  }
  PATHWISE_RETURN_IF_ERROR(truth.Validate().WithContext("truth"));
  if (online_model) {
    PATHWISE_RETURN_IF_ERROR(online_model->Validate().WithContext("online_model"));
  }
  PATHWISE_RETURN_IF_ERROR(tracker.Validate().WithContext("tracker"));
  if (schedule.steps_per_session < 1) {
    return Status::InvalidArgument("schedule.steps_per_session must be >= 1, got " +
                                   std::to_string(schedule.steps_per_session));
  }
  if (!(std::isfinite(schedule.session_interval_minutes) &&
        schedule.session_interval_minutes >= 0.0)) {
    return Status::InvalidArgument(
        "schedule.session_interval_minutes must be finite and >= 0, got " +
        std::to_string(schedule.session_interval_minutes));
  }
  if (curve_points < 1) {
    return Status::InvalidArgument("curve_points must be >= 1, got " +
                                   std::to_string(curve_points));
  }
  if (budget_steps < 0 || budget_steps > steps) {
    return Status::InvalidArgument("budget_steps must be in [0, steps], got " +
                                   std::to_string(budget_steps));
  }
  if (trace_learners < 0) {
    return Status::InvalidArgument("trace_learners must be >= 0, got " +
                                   std::to_string(trace_learners));
  }
  return Status::Ok();
}

struct Simulation::Impl {
  CompetencyGraph graph;
  SimulationOptions options;
  std::unique_ptr<SyntheticCohort> cohort;
  BktModel online_model;
  std::vector<SimulatedPolicy> default_policies;
  SimulatedPolicy oracle;

  std::vector<std::string> goal_ids;  // expanded, topological order
  std::vector<uint8_t> is_goal;       // per competency
  std::vector<uint8_t> in_scope;      // goals and their ancestors
  uint32_t goal_size = 0;
  size_t scope_size = 0;
  std::vector<int> curve_steps;

  // The online model where the runner needs it: the prior of an unpractised competency, and the
  // guess/slip of each Q-matrix entry (parallel to the cohort's entries) for predictions.
  std::vector<double> online_prior;
  std::vector<double> online_guess;
  std::vector<double> online_slip;

  Episode RunEpisode(const std::string& policy_name, const Policy& prototype,
                     MasteryTracker& tracker, uint32_t learner_index) const;
  CohortOutcome Summarize(const std::string& group, const std::vector<Episode>& episodes,
                          const std::vector<size_t>& members, Status* status) const;
};

Simulation::Simulation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulation::~Simulation() = default;

const SimulationOptions& Simulation::options() const { return impl_->options; }
const SyntheticCohort& Simulation::cohort() const { return *impl_->cohort; }
const BktModel& Simulation::online_model() const { return impl_->online_model; }

Result<std::unique_ptr<Simulation>> Simulation::Create(const CompetencyGraph& graph,
                                                       SimulationOptions options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->graph = graph;
  PATHWISE_ASSIGN_OR_RETURN(impl->cohort,
                            SyntheticCohort::Create(graph, options.truth, options.seed));
  impl->online_model =
      options.online_model ? *options.online_model : impl->cohort->PopulationModel();

  const SyntheticCohort::Impl& cohort = *impl->cohort->impl_;
  const size_t n = cohort.competency_ids.size();
  impl->is_goal.assign(n, 0);
  impl->in_scope.assign(n, 0);
  if (options.goals.empty()) {
    impl->goal_ids = graph.TopologicalOrder();
    std::fill(impl->is_goal.begin(), impl->is_goal.end(), 1);
    std::fill(impl->in_scope.begin(), impl->in_scope.end(), 1);
  } else {
    PATHWISE_ASSIGN_OR_RETURN(impl->goal_ids, graph.ExpandGoals(options.goals));
    PATHWISE_ASSIGN_OR_RETURN(std::vector<std::string> ancestors, graph.Ancestors(impl->goal_ids));
    for (const std::string& id : impl->goal_ids) {
      const uint32_t c = cohort.competency_index.at(id);
      impl->is_goal[c] = 1;
      impl->in_scope[c] = 1;
    }
    for (const std::string& id : ancestors) impl->in_scope[cohort.competency_index.at(id)] = 1;
  }
  impl->goal_size = static_cast<uint32_t>(impl->goal_ids.size());
  impl->scope_size =
      static_cast<size_t>(std::count(impl->in_scope.begin(), impl->in_scope.end(), uint8_t{1}));

  const int interval = (options.steps + options.curve_points - 1) / options.curve_points;
  for (int step = 0; step < options.steps; step += interval) impl->curve_steps.push_back(step);
  impl->curve_steps.push_back(options.steps);

  impl->online_prior.resize(n);
  const std::vector<const Competency*> competencies = graph.competencies();
  for (size_t c = 0; c < n; ++c) {
    impl->online_prior[c] =
        impl->online_model.ParamsFor(competencies[c]->id, competencies[c]->params).prior;
  }
  for (size_t a = 0; a < cohort.activity_ids.size(); ++a) {
    for (uint32_t k = cohort.entry_begin[a]; k < cohort.entry_begin[a + 1]; ++k) {
      const Competency* competency = competencies[cohort.entries[k].competency];
      const BktParams params =
          impl->online_model.ParamsFor(competency->id, cohort.activity_ids[a], competency->params);
      impl->online_guess.push_back(params.guess);
      impl->online_slip.push_back(params.slip);
    }
  }

  RecommenderOptions recommender = options.recommender;
  recommender.seed = MixSeed(options.seed ^ 0x9011c1e5ULL);
  for (PolicyKind kind : options.policies) {
    const std::string name(PolicyKindName(kind));
    Result<std::unique_ptr<Policy>> policy =
        MakePolicy(kind, graph, impl->online_model, recommender);
    if (!policy.ok()) return policy.status().WithContext("policy " + name);
    impl->default_policies.push_back({name, std::shared_ptr<const Policy>(std::move(*policy))});
  }

  auto oracle = std::make_shared<OraclePolicy::Shared>();
  oracle->cohort = impl->cohort.get();
  oracle->scope = impl->in_scope;
  for (uint32_t a = 0; a < cohort.activity_ids.size(); ++a) {
    std::vector<uint32_t> scope;
    for (uint32_t k = cohort.entry_begin[a]; k < cohort.entry_begin[a + 1]; ++k) {
      if (impl->in_scope[cohort.entries[k].competency])
        scope.push_back(cohort.entries[k].competency);
    }
    if (scope.empty()) continue;
    oracle->candidates.push_back(a);
    oracle->candidate_ids.push_back(cohort.activity_ids[a]);
    oracle->candidate_scope.push_back(std::move(scope));
  }
  Result<std::unique_ptr<Policy>> index =
      MakePolicy(PolicyKind::kRandom, graph, impl->online_model, recommender);
  if (!index.ok()) return index.status().WithContext("oracle");
  oracle->index = std::shared_ptr<const Policy>(std::move(*index));
  impl->oracle = {"oracle", std::make_shared<OraclePolicy>(std::move(oracle))};

  impl->options = std::move(options);
  return std::unique_ptr<Simulation>(new Simulation(std::move(impl)));
}

std::vector<SimulatedPolicy> Simulation::DefaultPolicies() const { return impl_->default_policies; }

SimulatedPolicy Simulation::Oracle() const { return impl_->oracle; }

Episode Simulation::Impl::RunEpisode(const std::string& policy_name, const Policy& prototype,
                                     MasteryTracker& tracker, uint32_t learner_index) const {
  const SyntheticCohort::Impl& truth = *cohort->impl_;
  const size_t n = truth.competency_ids.size();
  const int steps = options.steps;
  Episode episode;
  LearnerOutcome& outcome = episode.outcome;
  outcome.learner = learner_index;
  episode.predictions.reserve(static_cast<size_t>(steps));
  episode.outcomes.reserve(static_cast<size_t>(steps));

  SyntheticLearner learner = cohort->MakeLearner(learner_index);
  outcome.group = learner.group();
  outcome.learn_offset = learner.learn_offset();
  outcome.prior_offset = learner.prior_offset();
  outcome.start_learned = static_cast<uint32_t>(learner.num_learned());
  int64_t scope_learned = 0;
  int64_t goal_learned = 0;
  for (uint32_t c = 0; c < n; ++c) {
    if (!learner.IsLearned(c)) continue;
    scope_learned += in_scope[c];
    goal_learned += is_goal[c];
  }
  outcome.start_scope_learned = static_cast<uint32_t>(scope_learned);
  learner.SetOnChange([&](uint32_t c, bool learned) {
    const int delta = learned ? 1 : -1;
    if (in_scope[c]) scope_learned += delta;
    if (is_goal[c]) goal_learned += delta;
  });

  const bool traced = learner_index < static_cast<uint32_t>(options.trace_learners);
  std::unique_ptr<Policy> policy = prototype.Fork(learner_index);
  if (auto* truth_aware = dynamic_cast<simulator_internal::TruthAwarePolicy*>(policy.get())) {
    const Status seen = truth_aware->SeeLearner(cohort.get(), &learner);
    if (!seen.ok()) {
      episode.error = seen.WithContext("policy " + policy_name);
      return episode;
    }
  }
  LearnerState state;
  state.learner_id = LearnerId(learner_index);
  if (options.tracker_knows_true_pace) {
    const Status set =
        tracker.SetPace(state.learner_id, {learner.prior_offset(), learner.learn_offset()});
    if (!set.ok()) {
      episode.error = set.WithContext("policy " + policy_name);
      return episode;
    }
  }
  std::vector<int32_t> slot(n, -1);  // position of a competency in state.competencies
  RecommendRequest request;
  request.goals = options.goals;
  request.k = 1;

  auto fail = [&](const Status& status, int step) {
    episode.error =
        status.WithContext("policy " + policy_name + ", learner " + std::to_string(learner_index) +
                           ", step " + std::to_string(step));
  };
  size_t next_curve = 0;
  bool budget_sampled = options.budget_steps == 0;
  auto sample_curve = [&](int step) {
    if (!budget_sampled && step >= options.budget_steps) {
      outcome.budget_scope_learned = static_cast<uint32_t>(scope_learned);
      budget_sampled = true;
    }
    while (next_curve < curve_steps.size() && curve_steps[next_curve] <= step) {
      episode.curve_learned.push_back(static_cast<uint32_t>(learner.num_learned()));
      episode.curve_scope_learned.push_back(static_cast<uint32_t>(scope_learned));
      ++next_curve;
    }
  };
  bool reached = goal_learned == goal_size;
  outcome.steps_to_goal = reached ? 0 : steps;
  sample_curve(0);

  double minutes = 0.0;
  double session_start = 0.0;
  int in_session = 0;
  int step = 0;
  for (; step < steps; ++step) {
    if (in_session == options.schedule.steps_per_session) {
      session_start = std::max(minutes, session_start + options.schedule.session_interval_minutes);
      minutes = session_start;
      in_session = 0;
    }
    learner.AdvanceTo(minutes);
    request.now_ms = options.schedule.start_ms + std::llround(minutes * 60'000.0);
    Result<std::vector<Recommendation>> recommendations = policy->Recommend(state, request);
    if (!recommendations.ok()) {
      fail(recommendations.status(), step);
      return episode;
    }
    if (recommendations->empty()) break;  // nothing left to recommend: the learner stops
    const std::string& activity_id = recommendations->front().activity_id;
    Result<uint32_t> activity = cohort->ActivityIndex(activity_id);
    if (!activity.ok()) {
      fail(activity.status().WithContext("recommended activity"), step);
      return episode;
    }

    double predicted = 0.0;
    double weights = 0.0;
    for (uint32_t k = truth.entry_begin[*activity]; k < truth.entry_begin[*activity + 1]; ++k) {
      const PracticeEntry& entry = truth.entries[k];
      const int32_t s = slot[entry.competency];
      const double p = s >= 0 ? state.competencies[s].p_learned : online_prior[entry.competency];
      predicted += entry.weight * PredictCorrect(p, online_guess[k], online_slip[k]);
      weights += entry.weight;
    }
    predicted = weights > 0.0 ? predicted / weights : 0.0;

    TraceStep* trace = nullptr;
    if (traced) {
      episode.trace.emplace_back();
      trace = &episode.trace.back();
      trace->step = step;
      trace->minutes = minutes;
      trace->activity_id = activity_id;
      trace->score = recommendations->front().score;
      trace->reasons = recommendations->front().reasons;
      trace->predicted_correct = predicted;
      trace->was_learned = true;
      trace->prerequisites_learned = true;
      for (uint32_t k = truth.entry_begin[*activity]; k < truth.entry_begin[*activity + 1]; ++k) {
        const uint32_t c = truth.entries[k].competency;
        trace->was_learned = trace->was_learned && learner.IsLearned(c);
        for (uint32_t e = truth.prerequisite_begin[c]; e < truth.prerequisite_begin[c + 1]; ++e) {
          trace->prerequisites_learned =
              trace->prerequisites_learned && learner.IsLearned(truth.prerequisites[e].from);
        }
      }
    }
    const bool correct = learner.Attempt(*activity, minutes);
    if (trace != nullptr) trace->correct = correct;
    episode.predictions.push_back(static_cast<float>(predicted));
    episode.outcomes.push_back(correct ? 1 : 0);

    const Observation observation{"", state.learner_id, activity_id, correct ? 1.0 : 0.0,
                                  request.now_ms};
    Result<RecordResult> recorded = tracker.Record(observation);
    if (!recorded.ok()) {
      fail(recorded.status(), step);
      return episode;
    }
    for (const MasteryEstimate& estimate : recorded->updated) {
      const uint32_t c = truth.competency_index.at(estimate.competency_id);
      if (slot[c] < 0) {
        slot[c] = static_cast<int32_t>(state.competencies.size());
        state.competencies.push_back({c, 0.0, 0, 0});
      }
      CompetencyState& entry = state.competencies[slot[c]];
      entry.p_learned = estimate.p_learned;
      entry.opportunities = estimate.opportunities;
      entry.last_practiced_ms = estimate.last_practiced_ms;
      entry.recent_answers = estimate.recent_answers;
    }
    state.last_activity_id = activity_id;
    const Status observed = policy->Observe(observation);
    if (!observed.ok()) {
      fail(observed, step);
      return episode;
    }

    minutes += truth.activity_minutes[*activity];
    ++in_session;
    if (!reached && goal_learned == goal_size) {
      reached = true;
      outcome.steps_to_goal = step + 1;
    }
    if (trace != nullptr) trace->scope_learned = static_cast<uint32_t>(scope_learned);
    sample_curve(step + 1);
  }
  outcome.steps_taken = step;
  // A learner who stopped early keeps their last state on the remaining points of the curve.
  sample_curve(steps);
  outcome.reached_goal = reached;
  outcome.final_learned = static_cast<uint32_t>(learner.num_learned());
  outcome.final_scope_learned = static_cast<uint32_t>(scope_learned);
  learner.SetOnChange(nullptr);
  // The tracker is shared by every learner of the policy; drop what this one no longer needs.
  if (tracker.HasLearner(state.learner_id)) (void)tracker.RemoveLearner(state.learner_id);
  return episode;
}

CohortOutcome Simulation::Impl::Summarize(const std::string& group,
                                          const std::vector<Episode>& episodes,
                                          const std::vector<size_t>& members,
                                          Status* status) const {
  CohortOutcome out;
  out.group = group;
  out.learners = members.size();
  const size_t points = curve_steps.size();
  out.curve_learned.assign(points, 0.0);
  out.curve_scope_learned.assign(points, 0.0);
  out.curve_reached_share.assign(points, 0.0);
  if (members.empty()) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    out.mean_steps_to_goal = out.median_steps_to_goal = out.reached_goal_share = nan;
    out.mean_steps_among_reached = out.mean_final_learned = out.mean_final_scope_learned = nan;
    out.stopped_early_share = nan;
    std::fill(out.curve_learned.begin(), out.curve_learned.end(), nan);
    std::fill(out.curve_scope_learned.begin(), out.curve_scope_learned.end(), nan);
    std::fill(out.curve_reached_share.begin(), out.curve_reached_share.end(), nan);
    return out;
  }
  std::vector<int> steps_to_goal;
  steps_to_goal.reserve(members.size());
  double sum_steps = 0.0, sum_reached_steps = 0.0, sum_final = 0.0, sum_scope = 0.0;
  size_t reached = 0, stopped = 0, predictions = 0;
  for (size_t m : members) {
    const Episode& episode = episodes[m];
    const LearnerOutcome& o = episode.outcome;
    steps_to_goal.push_back(o.steps_to_goal);
    sum_steps += o.steps_to_goal;
    if (o.reached_goal) {
      ++reached;
      sum_reached_steps += o.steps_to_goal;
    }
    if (o.steps_taken < options.steps) ++stopped;
    sum_final += o.final_learned;
    sum_scope += o.final_scope_learned;
    predictions += episode.predictions.size();
    for (size_t j = 0; j < points; ++j) {
      out.curve_learned[j] += episode.curve_learned[j];
      out.curve_scope_learned[j] += episode.curve_scope_learned[j];
      if (o.reached_goal && o.steps_to_goal <= curve_steps[j]) out.curve_reached_share[j] += 1.0;
    }
  }
  const double count = static_cast<double>(members.size());
  out.mean_steps_to_goal = sum_steps / count;
  out.median_steps_to_goal = Median(std::move(steps_to_goal));
  out.reached_goal_share = static_cast<double>(reached) / count;
  out.mean_steps_among_reached = reached > 0 ? sum_reached_steps / static_cast<double>(reached)
                                             : std::numeric_limits<double>::quiet_NaN();
  out.mean_final_learned = sum_final / count;
  out.mean_final_scope_learned = sum_scope / count;
  out.stopped_early_share = static_cast<double>(stopped) / count;
  for (size_t j = 0; j < points; ++j) {
    out.curve_learned[j] /= count;
    out.curve_scope_learned[j] /= count;
    out.curve_reached_share[j] /= count;
  }

  if (predictions > 0) {
    std::vector<uint8_t> correct;
    std::vector<double> predicted;
    correct.reserve(predictions);
    predicted.reserve(predictions);
    for (size_t m : members) {
      correct.insert(correct.end(), episodes[m].outcomes.begin(), episodes[m].outcomes.end());
      predicted.insert(predicted.end(), episodes[m].predictions.begin(),
                       episodes[m].predictions.end());
    }
    Result<Metrics> metrics = ComputeMetrics(correct, predicted);
    if (!metrics.ok()) {
      *status = metrics.status().WithContext("prediction metrics of group " + group);
    } else {
      out.prediction = *metrics;
    }
  }
  return out;
}

Result<SimulationResult> Simulation::Run() const { return Run(impl_->default_policies); }

Result<SimulationResult> Simulation::Run(const std::vector<SimulatedPolicy>& policies) const {
  const Impl& impl = *impl_;
  const SimulationOptions& options = impl.options;
  if (policies.empty()) return Status::InvalidArgument("no policy to simulate");
  std::set<std::string> names;
  for (size_t p = 0; p < policies.size(); ++p) {
    const std::string path = "policies[" + std::to_string(p) + "]";
    if (policies[p].name.empty()) return Status::InvalidArgument(path + ".name is empty");
    if (!names.insert(policies[p].name).second) {
      return Status::InvalidArgument(path + ".name: duplicate policy '" + policies[p].name + "'");
    }
    if (!policies[p].prototype) return Status::InvalidArgument(path + ".prototype is null");
  }

  SimulationResult result;
  result.seed = options.seed;
  result.learners = options.learners;
  result.steps = options.steps;
  result.goal_competencies = impl.goal_ids;
  result.goal_scope_size = impl.scope_size;
  result.num_competencies = impl.cohort->num_competencies();
  result.group_names = impl.cohort->group_names();
  result.curve_steps = impl.curve_steps;
  result.learner_outcomes.reserve(policies.size() * static_cast<size_t>(options.learners));

  const size_t learners = static_cast<size_t>(options.learners);
  for (size_t p = 0; p < policies.size(); ++p) {
    const SimulatedPolicy& policy = policies[p];
    PATHWISE_ASSIGN_OR_RETURN(
        std::unique_ptr<MasteryTracker> tracker,
        MasteryTracker::Create(impl.graph, impl.online_model, options.tracker));
    std::vector<Episode> episodes(learners);
    ParallelFor(options.threads, learners, [&](size_t i) {
      episodes[i] =
          impl.RunEpisode(policy.name, *policy.prototype, *tracker, static_cast<uint32_t>(i));
    });
    for (const Episode& episode : episodes) {
      if (!episode.error.ok()) return episode.error;
    }

    PolicyResult policy_result;
    policy_result.policy = policy.name;
    std::vector<size_t> everyone(learners);
    std::vector<std::vector<size_t>> by_group(result.group_names.size());
    for (size_t i = 0; i < learners; ++i) {
      everyone[i] = i;
      by_group[episodes[i].outcome.group].push_back(i);
    }
    Status status;
    policy_result.all = impl.Summarize("all", episodes, everyone, &status);
    for (size_t g = 0; g < by_group.size(); ++g) {
      policy_result.groups.push_back(
          impl.Summarize(result.group_names[g], episodes, by_group[g], &status));
    }
    PATHWISE_RETURN_IF_ERROR(status);
    result.policies.push_back(std::move(policy_result));
    for (Episode& episode : episodes) {
      episode.outcome.policy = static_cast<uint32_t>(p);
      result.learner_outcomes.push_back(episode.outcome);
      if (episode.outcome.learner < static_cast<uint32_t>(options.trace_learners)) {
        result.traces.push_back(
            {static_cast<uint32_t>(p), episode.outcome.learner, std::move(episode.trace)});
      }
    }
  }
  return result;
}

Result<SimulationResult> RunSimulation(const CompetencyGraph& graph,
                                       const SimulationOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<Simulation> simulation,
                            Simulation::Create(graph, options));
  return simulation->Run();
}

}  // namespace pathwise
