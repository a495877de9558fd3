// The ground truth of the simulator: SyntheticCohort (compiled once per graph) and
// SyntheticLearner.
#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/simulator.h>

#include "simulator_internal.h"

namespace pathwise {
namespace {

using simulator_internal::LearnerSeed;
using simulator_internal::MixSeed;
using simulator_internal::PracticeEntry;
using simulator_internal::PrerequisiteEntry;
using simulator_internal::UniformDouble;

bool IsFiniteAtLeast(double x, double low) { return std::isfinite(x) && x >= low; }

Status CheckProbability(const std::string& field, double x, bool allow_one) {
  if (!(x >= 0.0) || !(allow_one ? x <= 1.0 : x < 1.0)) {
    return Status::InvalidArgument(field + " must be in [0, 1" + (allow_one ? "]" : ")") +
                                   ", got " + std::to_string(x));
  }
  return Status::Ok();
}

// Two independent standard normals from two uniforms (Box-Muller), from raw generator bits so the
// draws are the same with every standard library.
std::pair<double, double> NormalPair(std::mt19937_64& rng) {
  const double u1 = 1.0 - UniformDouble(rng());  // in (0, 1]: log is finite
  const double u2 = UniformDouble(rng());
  const double radius = std::sqrt(-2.0 * std::log(u1));
  constexpr double kTwoPi = 6.283185307179586;
  return {radius * std::cos(kTwoPi * u2), radius * std::sin(kTwoPi * u2)};
}

Status CheckFinite(const std::string& field, double x, double low, bool strict) {
  if (!std::isfinite(x) || (strict ? !(x > low) : !(x >= low))) {
    return Status::InvalidArgument(field + " must be finite and " + (strict ? "> " : ">= ") +
                                   std::to_string(low) + ", got " + std::to_string(x));
  }
  return Status::Ok();
}

Status ValidateKinds(const LearnerModelOptions& o) {
  if (o.kind != LearnerModelKind::kBkt && o.kind != LearnerModelKind::kAbility &&
      o.kind != LearnerModelKind::kPowerLawMemory) {
    return Status::InvalidArgument("kind is not a LearnerModelKind: " +
                                   std::to_string(static_cast<int>(o.kind)));
  }
  const AbilityModelOptions& a = o.ability;
  if (!std::isfinite(a.start_ability) || !std::isfinite(a.mastery_ability) ||
      !(a.start_ability < a.mastery_ability)) {
    return Status::InvalidArgument(
        "ability.start_ability must be finite and below ability.mastery_ability, got " +
        std::to_string(a.start_ability) + " and " + std::to_string(a.mastery_ability));
  }
  PATHWISE_RETURN_IF_ERROR(CheckFinite("ability.gain_per_learn", a.gain_per_learn, 0.0, true));
  PATHWISE_RETURN_IF_ERROR(CheckFinite("ability.difficulty_scale", a.difficulty_scale, 0.0, false));
  PATHWISE_RETURN_IF_ERROR(CheckFinite("ability.zone_width", a.zone_width, 0.0, true));
  PATHWISE_RETURN_IF_ERROR(
      CheckProbability("ability.frontier_min_progress", a.frontier_min_progress, true));
  const PowerLawMemoryOptions& m = o.memory;
  PATHWISE_RETURN_IF_ERROR(
      CheckFinite("memory.initial_stability_days", m.initial_stability_days, 0.0, true));
  PATHWISE_RETURN_IF_ERROR(CheckFinite("memory.decay", m.decay, 0.0, true));
  PATHWISE_RETURN_IF_ERROR(CheckFinite("memory.spacing_gain", m.spacing_gain, 0.0, false));
  PATHWISE_RETURN_IF_ERROR(CheckFinite("memory.massed_gain", m.massed_gain, 0.0, false));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("content.inert_share", o.content.inert_share, true));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("content.gated_share", o.content.gated_share, true));
  if (o.content.inert_share + o.content.gated_share > 1.0) {
    return Status::InvalidArgument("content.inert_share + content.gated_share must be <= 1, got " +
                                   std::to_string(o.content.inert_share + o.content.gated_share));
  }
  PATHWISE_RETURN_IF_ERROR(CheckProbability("extra_slip", o.extra_slip, false));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("extra_guess", o.extra_guess, false));
  return Status::Ok();
}

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

std::string_view LearnerModelKindName(LearnerModelKind kind) {
  switch (kind) {
    case LearnerModelKind::kBkt:
      return "bkt";
    case LearnerModelKind::kAbility:
      return "ability";
    case LearnerModelKind::kPowerLawMemory:
      return "power_law_memory";
  }
  return "unknown";
}

Result<LearnerModelKind> ParseLearnerModelKind(std::string_view name) {
  for (LearnerModelKind kind :
       {LearnerModelKind::kBkt, LearnerModelKind::kAbility, LearnerModelKind::kPowerLawMemory}) {
    if (LearnerModelKindName(kind) == name) return kind;
  }
  return Status::InvalidArgument("unknown learner model '" + std::string(name) +
                                 "' (valid: bkt, ability, power_law_memory)");
}

Status LearnerModelOptions::Validate() const {
  PATHWISE_RETURN_IF_ERROR(model.Validate().WithContext("model"));
  if (!IsFiniteAtLeast(competency_learn_spread, 0.0)) {
    return Status::InvalidArgument("competency_learn_spread must be finite and >= 0, got " +
                                   std::to_string(competency_learn_spread));
  }
  if (!IsFiniteAtLeast(competency_prior_spread, 0.0)) {
    return Status::InvalidArgument("competency_prior_spread must be finite and >= 0, got " +
                                   std::to_string(competency_prior_spread));
  }
  PATHWISE_RETURN_IF_ERROR(CheckProbability("prerequisite_penalty", prerequisite_penalty, true));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("forget_per_day", forget_per_day, false));
  if (!(review_stability > 0.0 && review_stability <= 1.0)) {
    return Status::InvalidArgument("review_stability must be in (0, 1], got " +
                                   std::to_string(review_stability));
  }
  if (prior_knowledge_practices < 0) {
    return Status::InvalidArgument("prior_knowledge_practices must be >= 0, got " +
                                   std::to_string(prior_knowledge_practices));
  }
  PATHWISE_RETURN_IF_ERROR(ValidateKinds(*this));
  std::set<std::string> names;
  for (size_t g = 0; g < groups.size(); ++g) {
    const CohortGroup& group = groups[g];
    const std::string path = "groups[" + std::to_string(g) + "]";
    if (group.name.empty()) return Status::InvalidArgument(path + ".name is empty");
    if (!names.insert(group.name).second) {
      return Status::InvalidArgument(path + ".name: duplicate group '" + group.name + "'");
    }
    if (!(std::isfinite(group.weight) && group.weight > 0.0)) {
      return Status::InvalidArgument(path + ".weight must be finite and > 0, got " +
                                     std::to_string(group.weight));
    }
    if (!std::isfinite(group.learn_offset)) {
      return Status::InvalidArgument(path + ".learn_offset must be finite");
    }
    if (!std::isfinite(group.prior_offset)) {
      return Status::InvalidArgument(path + ".prior_offset must be finite");
    }
    if (!IsFiniteAtLeast(group.learn_spread, 0.0)) {
      return Status::InvalidArgument(path + ".learn_spread must be finite and >= 0, got " +
                                     std::to_string(group.learn_spread));
    }
    if (!IsFiniteAtLeast(group.prior_spread, 0.0)) {
      return Status::InvalidArgument(path + ".prior_spread must be finite and >= 0, got " +
                                     std::to_string(group.prior_spread));
    }
    if (group.learn_tail_dof < 0 || group.learn_tail_dof > 30) {
      return Status::InvalidArgument(path + ".learn_tail_dof must be in [0, 30], got " +
                                     std::to_string(group.learn_tail_dof));
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------------
// SyntheticCohort
// ---------------------------------------------------------------------------------------------------

SyntheticCohort::SyntheticCohort(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyntheticCohort::~SyntheticCohort() = default;

Result<std::unique_ptr<SyntheticCohort>> SyntheticCohort::Create(const CompetencyGraph& graph,
                                                                 const LearnerModelOptions& options,
                                                                 uint64_t seed) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->seed = seed;
  impl->options = options;

  const std::vector<const Competency*> competencies = graph.competencies();
  const size_t n = competencies.size();
  impl->competency_ids.reserve(n);
  for (const Competency* c : competencies) {
    impl->competency_index.emplace(c->id, static_cast<uint32_t>(impl->competency_ids.size()));
    impl->competency_ids.push_back(c->id);
  }

  // Per-competency spread: one stream for the cohort, drawn in graph order.
  std::mt19937_64 spread_rng(MixSeed(seed ^ 0xc0ffee11ULL));
  std::vector<double> learn_shift(n, 0.0);
  impl->population.resize(n);
  for (size_t c = 0; c < n; ++c) {
    const auto [z_learn, z_prior] = NormalPair(spread_rng);
    BktParams params = options.model.ParamsFor(competencies[c]->id, competencies[c]->params);
    learn_shift[c] = options.competency_learn_spread * z_learn;
    params.learn = ApplyLogitOffset(params.learn, learn_shift[c]);
    params.prior = ApplyLogitOffset(params.prior, options.competency_prior_spread * z_prior);
    impl->population[c] = params;
  }

  impl->prerequisite_begin.reserve(n + 1);
  for (size_t c = 0; c < n; ++c) {
    impl->prerequisite_begin.push_back(static_cast<uint32_t>(impl->prerequisites.size()));
    for (const Prerequisite& edge : graph.PrerequisitesOf(competencies[c]->id)) {
      impl->prerequisites.push_back({impl->competency_index.at(edge.from), edge.strength});
    }
  }
  impl->prerequisite_begin.push_back(static_cast<uint32_t>(impl->prerequisites.size()));

  // The pair's learn: an activity's own learn override is used as given; otherwise the
  // competency's population learn (after the spread).
  auto add_entry = [&](uint32_t c, const std::string& activity_id, double weight) {
    const BktParams pair =
        options.model.ParamsFor(competencies[c]->id, activity_id, competencies[c]->params);
    const BktParams own = options.model.ParamsFor(competencies[c]->id, competencies[c]->params);
    PracticeEntry entry;
    entry.competency = c;
    entry.weight = weight;
    entry.learn = pair.learn == own.learn ? impl->population[c].learn : pair.learn;
    entry.guess = pair.guess;
    entry.slip = pair.slip;
    entry.forget = pair.forget;
    impl->entries.push_back(entry);
  };
  const std::vector<const Activity*> activities = graph.activities();
  impl->implicit_activities = activities.empty();
  if (impl->implicit_activities) {
    for (uint32_t c = 0; c < n; ++c) {
      impl->activity_index.emplace(impl->competency_ids[c], c);
      impl->activity_ids.push_back(impl->competency_ids[c]);
      impl->activity_minutes.push_back(Activity{}.expected_minutes);
      impl->activity_difficulty_logit.push_back(0.0);
      impl->entry_begin.push_back(static_cast<uint32_t>(impl->entries.size()));
      add_entry(c, impl->competency_ids[c], 1.0);
    }
  } else {
    for (const Activity* activity : activities) {
      impl->activity_index.emplace(activity->id, static_cast<uint32_t>(impl->activity_ids.size()));
      impl->activity_ids.push_back(activity->id);
      impl->activity_minutes.push_back(activity->expected_minutes);
      impl->activity_difficulty_logit.push_back(
          activity->difficulty ? options.ability.difficulty_scale * (*activity->difficulty - 0.5)
                               : 0.0);
      impl->entry_begin.push_back(static_cast<uint32_t>(impl->entries.size()));
      for (const PracticedCompetency& practiced : activity->competencies) {
        add_entry(impl->competency_index.at(practiced.competency_id), activity->id,
                  practiced.weight);
      }
    }
  }
  impl->entry_begin.push_back(static_cast<uint32_t>(impl->entries.size()));

  // Content quality from a stream of its own, so that other draws do not move with it.
  if (options.content.inert_share > 0.0 || options.content.gated_share > 0.0) {
    std::mt19937_64 quality_rng(MixSeed(seed ^ 0x9a11e7ULL));
    std::vector<uint8_t> has_teacher(n, 0);
    for (size_t a = 0; a < impl->activity_ids.size(); ++a) {
      const double u = UniformDouble(quality_rng());
      uint8_t quality = simulator_internal::kTeaches;
      if (u < options.content.inert_share) {
        quality = simulator_internal::kInert;
      } else if (u < options.content.inert_share + options.content.gated_share) {
        quality = simulator_internal::kGated;
      }
      for (uint32_t k = impl->entry_begin[a]; k < impl->entry_begin[a + 1]; ++k) {
        PracticeEntry& entry = impl->entries[k];
        // The first activity of a competency always teaches: every competency stays learnable.
        if (!has_teacher[entry.competency]) {
          has_teacher[entry.competency] = 1;
          quality = simulator_internal::kTeaches;
        }
      }
      for (uint32_t k = impl->entry_begin[a]; k < impl->entry_begin[a + 1]; ++k) {
        impl->entries[k].quality = quality;
      }
    }
  }

  impl->groups = options.groups;
  if (impl->groups.empty()) {
    CohortGroup all;
    all.name = "all";
    impl->groups.push_back(all);
  }
  double total_weight = 0.0;
  for (const CohortGroup& group : impl->groups) total_weight += group.weight;
  double cumulative = 0.0;
  for (const CohortGroup& group : impl->groups) {
    impl->group_names.push_back(group.name);
    cumulative += group.weight;
    impl->group_cumulative_share.push_back(cumulative / total_weight);
  }
  impl->group_cumulative_share.back() = 1.0;

  impl->base_hazard_per_minute = -std::log1p(-options.forget_per_day) / (24.0 * 60.0);

  BktModel& population_model = impl->population_model;
  population_model.defaults = options.model.defaults;
  population_model.activities = options.model.activities;
  for (size_t c = 0; c < n; ++c) {
    population_model.competencies[impl->competency_ids[c]] = impl->population[c];
  }
  return std::unique_ptr<SyntheticCohort>(new SyntheticCohort(std::move(impl)));
}

size_t SyntheticCohort::num_competencies() const { return impl_->competency_ids.size(); }
size_t SyntheticCohort::num_activities() const { return impl_->activity_ids.size(); }
const std::vector<std::string>& SyntheticCohort::competency_ids() const {
  return impl_->competency_ids;
}
const std::vector<std::string>& SyntheticCohort::activity_ids() const {
  return impl_->activity_ids;
}
const std::vector<std::string>& SyntheticCohort::group_names() const { return impl_->group_names; }

Result<uint32_t> SyntheticCohort::ActivityIndex(std::string_view activity_id) const {
  auto it = impl_->activity_index.find(std::string(activity_id));
  if (it == impl_->activity_index.end()) {
    return Status::NotFound("unknown activity '" + std::string(activity_id) + "'");
  }
  return it->second;
}

Result<uint32_t> SyntheticCohort::CompetencyIndex(std::string_view competency_id) const {
  auto it = impl_->competency_index.find(std::string(competency_id));
  if (it == impl_->competency_index.end()) {
    return Status::NotFound("unknown competency '" + std::string(competency_id) + "'");
  }
  return it->second;
}

const BktParams& SyntheticCohort::PopulationParams(uint32_t competency) const {
  return impl_->population[competency];
}

BktModel SyntheticCohort::PopulationModel() const { return impl_->population_model; }

// ---------------------------------------------------------------------------------------------------
// SyntheticLearner
// ---------------------------------------------------------------------------------------------------

struct SyntheticLearner::Impl {
  struct ForgetEvent {
    double minutes;
    uint32_t competency;
    uint32_t generation;
  };
  // Earliest first; ties by competency so the order never depends on the heap's history.
  static bool Later(const ForgetEvent& a, const ForgetEvent& b) {
    return a.minutes != b.minutes ? a.minutes > b.minutes : a.competency > b.competency;
  }

  const SyntheticCohort::Impl* cohort = nullptr;
  uint32_t index = 0;
  uint32_t group = 0;
  double learn_offset = 0.0;
  double prior_offset = 0.0;
  std::mt19937_64 rng;
  std::vector<uint8_t> learned;
  std::vector<uint32_t> practices;   // since (re)learned: lowers the forgetting hazard
  std::vector<uint32_t> generation;  // bumped on every change, so stale ForgetEvents are skipped
  std::vector<ForgetEvent> forget_heap;
  size_t num_learned = 0;
  double now = 0.0;
  std::function<void(uint32_t, bool)> on_change;
  std::vector<double> scratch_learn;
  LearnerModelKind kind = LearnerModelKind::kBkt;
  std::vector<double> theta;           // kAbility
  std::vector<double> stability_days;  // kPowerLawMemory; 0 until first learned
  std::vector<double> last_practice;   // kPowerLawMemory, minutes

  double Uniform() { return UniformDouble(rng()); }

  void ScheduleForgetting(uint32_t c) {
    ++generation[c];
    if (kind == LearnerModelKind::kAbility) return;
    if (kind == LearnerModelKind::kPowerLawMemory) {
      // Survival R(t) = (1 + t / S)^-decay: lost when R falls below a uniform draw u, at
      // t = S (u^(-1/decay) - 1).
      const double u = 1.0 - Uniform();  // in (0, 1]
      const double wait = stability_days[c] * 24.0 * 60.0 *
                          (std::pow(u, -1.0 / cohort->options.memory.decay) - 1.0);
      if (!std::isfinite(wait)) return;
      forget_heap.push_back({now + wait, c, generation[c]});
      std::push_heap(forget_heap.begin(), forget_heap.end(), Later);
      return;
    }
    if (cohort->base_hazard_per_minute <= 0.0) return;
    const double hazard =
        cohort->base_hazard_per_minute *
        std::pow(cohort->options.review_stability, static_cast<double>(practices[c]));
    if (!(hazard > 0.0)) return;  // underflow: this knowledge is for life
    const double wait = -std::log1p(-Uniform()) / hazard;
    forget_heap.push_back({now + wait, c, generation[c]});
    std::push_heap(forget_heap.begin(), forget_heap.end(), Later);
  }

  void SetLearned(uint32_t c, bool value) {
    if ((learned[c] != 0) == value) return;
    learned[c] = value ? 1 : 0;
    if (value) {
      ++num_learned;
      practices[c] = 0;
      if (kind == LearnerModelKind::kPowerLawMemory) {
        // Relearning keeps the stability built before the loss (savings).
        if (stability_days[c] <= 0.0) {
          stability_days[c] = cohort->options.memory.initial_stability_days;
        }
        last_practice[c] = now;
      }
      ScheduleForgetting(c);
    } else {
      --num_learned;
      ++generation[c];
    }
    if (on_change) on_change(c, value);
  }

  void AdvanceTo(double minutes) {
    if (minutes < now) minutes = now;
    while (!forget_heap.empty() && forget_heap.front().minutes <= minutes) {
      std::pop_heap(forget_heap.begin(), forget_heap.end(), Later);
      const ForgetEvent event = forget_heap.back();
      forget_heap.pop_back();
      if (event.generation != generation[event.competency] || !learned[event.competency]) continue;
      now = event.minutes;
      SetLearned(event.competency, false);
    }
    now = minutes;
  }

  double LearnProbability(const PracticeEntry& entry) const {
    if (entry.quality == simulator_internal::kInert) return 0.0;
    double p = ApplyLogitOffset(entry.learn, learn_offset) * entry.weight;
    const uint32_t begin = cohort->prerequisite_begin[entry.competency];
    const uint32_t end = cohort->prerequisite_begin[entry.competency + 1];
    const double penalty = cohort->options.prerequisite_penalty;
    bool every_prerequisite = true;
    for (uint32_t k = begin; k < end; ++k) {
      const PrerequisiteEntry& prerequisite = cohort->prerequisites[k];
      if (learned[prerequisite.from]) continue;
      every_prerequisite = false;
      p *= prerequisite.strength == 1.0 ? penalty : std::pow(penalty, prerequisite.strength);
    }
    if (entry.quality == simulator_internal::kGated && !every_prerequisite) return 0.0;
    return p;
  }

  // kAbility: progress toward mastery_ability in [0, 1].
  double Progress(uint32_t c) const {
    const AbilityModelOptions& o = cohort->options.ability;
    return std::clamp((theta[c] - o.start_ability) / (o.mastery_ability - o.start_ability), 0.0,
                      1.0);
  }

  // kAbility: the ability gained by practising `activity` through `entry` now.
  double AbilityGain(const PracticeEntry& entry, uint32_t activity) const {
    if (entry.quality == simulator_internal::kInert) return 0.0;
    const AbilityModelOptions& o = cohort->options.ability;
    if (cohort->activity_difficulty_logit[activity] - theta[entry.competency] > o.zone_width) {
      return 0.0;
    }
    double gain = o.gain_per_learn * ApplyLogitOffset(entry.learn, learn_offset) * entry.weight;
    const double penalty = cohort->options.prerequisite_penalty;
    bool every_prerequisite = true;
    for (uint32_t k = cohort->prerequisite_begin[entry.competency];
         k < cohort->prerequisite_begin[entry.competency + 1]; ++k) {
      const PrerequisiteEntry& prerequisite = cohort->prerequisites[k];
      const double progress = Progress(prerequisite.from);
      if (progress < o.frontier_min_progress) return 0.0;
      if (progress >= 1.0) continue;
      every_prerequisite = false;
      gain *= std::pow(penalty, prerequisite.strength * (1.0 - progress));
    }
    if (entry.quality == simulator_internal::kGated && !every_prerequisite) return 0.0;
    return gain;
  }

  double CorrectProbability(uint32_t activity) const {
    double numerator = 0.0;
    double weights = 0.0;
    double p = 0.0;
    if (kind == LearnerModelKind::kAbility) {
      const double b = cohort->activity_difficulty_logit[activity];
      for (uint32_t k = cohort->entry_begin[activity]; k < cohort->entry_begin[activity + 1]; ++k) {
        const PracticeEntry& entry = cohort->entries[k];
        numerator += entry.weight * (cohort->options.ability.deterministic
                                         ? theta[entry.competency]
                                         : Sigmoid(theta[entry.competency] - b));
        weights += entry.weight;
      }
      if (weights <= 0.0) return 0.0;
      p = numerator / weights;
      if (cohort->options.ability.deterministic) p = p >= b ? 1.0 : 0.0;
    } else {
      for (uint32_t k = cohort->entry_begin[activity]; k < cohort->entry_begin[activity + 1]; ++k) {
        const PracticeEntry& entry = cohort->entries[k];
        numerator += entry.weight * (learned[entry.competency] ? 1.0 - entry.slip : entry.guess);
        weights += entry.weight;
      }
      p = weights > 0.0 ? numerator / weights : 0.0;
    }
    const double extra_slip = cohort->options.extra_slip;
    const double extra_guess = cohort->options.extra_guess;
    if (extra_slip > 0.0 || extra_guess > 0.0) p = p * (1.0 - extra_slip) + (1.0 - p) * extra_guess;
    return p;
  }

  bool AttemptAbility(uint32_t activity) {
    const double p = CorrectProbability(activity);
    // The deterministic variant draws nothing: the same ability gives the same answer.
    const bool correct = p >= 1.0 ? true : p <= 0.0 ? false : Uniform() < p;
    const uint32_t begin = cohort->entry_begin[activity];
    const uint32_t end = cohort->entry_begin[activity + 1];
    scratch_learn.clear();
    for (uint32_t k = begin; k < end; ++k) {
      scratch_learn.push_back(AbilityGain(cohort->entries[k], activity));
    }
    const double mastery = cohort->options.ability.mastery_ability;
    for (uint32_t k = begin; k < end; ++k) {
      const uint32_t c = cohort->entries[k].competency;
      theta[c] += scratch_learn[k - begin];
      if (theta[c] >= mastery) SetLearned(c, true);
    }
    return correct;
  }
};

SyntheticLearner::SyntheticLearner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyntheticLearner::SyntheticLearner(SyntheticLearner&&) noexcept = default;
SyntheticLearner& SyntheticLearner::operator=(SyntheticLearner&&) noexcept = default;
SyntheticLearner::~SyntheticLearner() = default;

SyntheticLearner SyntheticCohort::MakeLearner(uint32_t index) const {
  auto learner = std::make_unique<SyntheticLearner::Impl>();
  const Impl& cohort = *impl_;
  learner->cohort = &cohort;
  learner->index = index;
  learner->rng.seed(simulator_internal::LearnerSeed(cohort.seed, index));
  // Profile first, in a fixed order of draws: group, offsets, starting knowledge.
  const double u_group = learner->Uniform();
  uint32_t group = 0;
  while (group + 1 < cohort.group_cumulative_share.size() &&
         u_group >= cohort.group_cumulative_share[group]) {
    ++group;
  }
  learner->group = group;
  const CohortGroup& g = cohort.groups[group];
  const auto [z_learn, z_prior] = NormalPair(learner->rng);
  double z_pace = z_learn;
  if (g.learn_tail_dof > 0) {  // Student t: a normal over the root of a scaled chi-square
    double chi_square = 0.0;
    for (int k = 0; k < g.learn_tail_dof; k += 2) {
      const auto [a, b] = NormalPair(learner->rng);
      chi_square += a * a + (k + 1 < g.learn_tail_dof ? b * b : 0.0);
    }
    z_pace = z_learn / std::sqrt(chi_square / g.learn_tail_dof);
  }
  learner->learn_offset = g.learn_offset + g.learn_spread * z_pace;
  learner->prior_offset = g.prior_offset + g.prior_spread * z_prior;

  const size_t n = cohort.competency_ids.size();
  const LearnerModelOptions& options = cohort.options;
  learner->kind = options.kind;
  learner->learned.assign(n, 0);
  learner->practices.assign(n, 0);
  learner->generation.assign(n, 0);
  if (options.kind == LearnerModelKind::kAbility) {
    learner->theta.assign(n, options.ability.start_ability);
  }
  double consolidated_stability = 0.0;
  if (options.kind == LearnerModelKind::kPowerLawMemory) {
    learner->stability_days.assign(n, 0.0);
    learner->last_practice.assign(n, 0.0);
    consolidated_stability =
        options.memory.initial_stability_days *
        std::pow(1.0 + options.memory.massed_gain + 0.5 * options.memory.spacing_gain,
                 options.prior_knowledge_practices);
  }
  const uint32_t consolidated = static_cast<uint32_t>(options.prior_knowledge_practices);
  for (uint32_t c = 0; c < n; ++c) {
    const double prior = ApplyLogitOffset(cohort.population[c].prior, learner->prior_offset);
    if (learner->Uniform() < prior) {
      learner->learned[c] = 1;
      ++learner->num_learned;
      learner->practices[c] = consolidated;
      if (options.kind == LearnerModelKind::kAbility) {
        learner->theta[c] = options.ability.mastery_ability + 0.5;
      } else if (options.kind == LearnerModelKind::kPowerLawMemory) {
        learner->stability_days[c] = consolidated_stability;
      }
      learner->ScheduleForgetting(c);
    }
  }
  return SyntheticLearner(std::move(learner));
}

uint32_t SyntheticLearner::index() const { return impl_->index; }
uint32_t SyntheticLearner::group() const { return impl_->group; }
double SyntheticLearner::learn_offset() const { return impl_->learn_offset; }
double SyntheticLearner::prior_offset() const { return impl_->prior_offset; }
bool SyntheticLearner::IsLearned(uint32_t competency) const {
  return impl_->learned[competency] != 0;
}
size_t SyntheticLearner::num_learned() const { return impl_->num_learned; }

double SyntheticLearner::LearnProbability(uint32_t activity, uint32_t competency) const {
  const SyntheticCohort::Impl& cohort = *impl_->cohort;
  for (uint32_t k = cohort.entry_begin[activity]; k < cohort.entry_begin[activity + 1]; ++k) {
    if (cohort.entries[k].competency == competency) {
      return impl_->LearnProbability(cohort.entries[k]);
    }
  }
  return 0.0;
}

double SyntheticLearner::CorrectProbability(uint32_t activity) const {
  return impl_->CorrectProbability(activity);
}

double SyntheticLearner::Ability(uint32_t competency) const {
  if (impl_->kind == LearnerModelKind::kAbility) return impl_->theta[competency];
  return impl_->learned[competency] ? 1.0 : 0.0;
}

double SyntheticLearner::ExpectedScopeGain(uint32_t activity,
                                           const std::vector<uint8_t>& scope) const {
  const Impl& self = *impl_;
  const SyntheticCohort::Impl& cohort = *self.cohort;
  double gain = 0.0;
  for (uint32_t k = cohort.entry_begin[activity]; k < cohort.entry_begin[activity + 1]; ++k) {
    const PracticeEntry& entry = cohort.entries[k];
    const uint32_t c = entry.competency;
    if (!scope[c] || self.learned[c]) continue;
    if (self.kind == LearnerModelKind::kAbility) {
      const AbilityModelOptions& o = cohort.options.ability;
      // A competency completed counts 1, progress short of it its fraction of the way: otherwise
      // a greedy reader would leave competencies just short of mastery for fresh ones.
      const double left = o.mastery_ability - self.theta[c];
      const double step = self.AbilityGain(entry, activity);
      gain += step >= left ? 1.0 : step / (o.mastery_ability - o.start_ability);
    } else {
      gain += self.LearnProbability(entry);
    }
  }
  return gain;
}

void SyntheticLearner::AdvanceTo(double minutes) { impl_->AdvanceTo(minutes); }

bool SyntheticLearner::Attempt(uint32_t activity, double minutes) {
  Impl& self = *impl_;
  self.AdvanceTo(minutes);
  if (self.kind == LearnerModelKind::kAbility) return self.AttemptAbility(activity);
  const bool correct = self.Uniform() < self.CorrectProbability(activity);
  const SyntheticCohort::Impl& cohort = *self.cohort;
  const uint32_t begin = cohort.entry_begin[activity];
  const uint32_t end = cohort.entry_begin[activity + 1];
  // Every transition is decided on the states before the attempt, so an activity that practises a
  // competency and its prerequisite does not let one change speed up the other within the attempt.
  self.scratch_learn.clear();
  for (uint32_t k = begin; k < end; ++k) {
    const PracticeEntry& entry = cohort.entries[k];
    self.scratch_learn.push_back(self.learned[entry.competency] ? -1.0
                                                                : self.LearnProbability(entry));
  }
  for (uint32_t k = begin; k < end; ++k) {
    const PracticeEntry& entry = cohort.entries[k];
    const uint32_t c = entry.competency;
    const double u = self.Uniform();
    const double learn = self.scratch_learn[k - begin];
    if (learn < 0.0) {  // was learned
      if (u < entry.forget) {
        self.SetLearned(c, false);
      } else if (self.learned[c]) {
        ++self.practices[c];
        if (self.kind == LearnerModelKind::kPowerLawMemory) {
          const PowerLawMemoryOptions& memory = cohort.options.memory;
          const double gap_days = (self.now - self.last_practice[c]) / (24.0 * 60.0);
          const double recall = std::pow(1.0 + gap_days / self.stability_days[c], -memory.decay);
          self.stability_days[c] *= 1.0 + memory.massed_gain + memory.spacing_gain * (1.0 - recall);
          self.last_practice[c] = self.now;
        }
        self.ScheduleForgetting(c);
      }
    } else if (u < learn) {
      self.SetLearned(c, true);
    }
  }
  return correct;
}

void SyntheticLearner::SetOnChange(std::function<void(uint32_t, bool)> on_change) {
  impl_->on_change = std::move(on_change);
}

}  // namespace pathwise
