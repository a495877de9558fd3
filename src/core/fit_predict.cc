// One-step-ahead prediction for every variant.
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/fit.h>

#include "fit_internal.h"

namespace pathwise {
namespace {

void ApplyOverrides(const ActivityParams& overrides, BktParams* params) {
  if (overrides.guess) params->guess = *overrides.guess;
  if (overrides.slip) params->slip = *overrides.slip;
  if (overrides.learn) params->learn = *overrides.learn;
}

uint64_t PairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

// The odds of a prior shifted by an individual offset in logit space (model.h).
Odds OddsWithOffset(double prior, double offset) {
  if (offset == 0.0) return Odds::OfProbability(prior);
  return Odds::OfLogOdds(ProbabilityToLogOdds(prior) + offset);
}

// PredictCorrectFromOdds, then PosteriorOdds and TransitionOdds (bkt.h) for the common case where
// the state, the posterior and the next state are all plain doubles inside the window: the same
// arithmetic as those three inline fast paths, bit for bit, with a single test at the end instead
// of one per step, so that the row loop keeps no out-of-line call on its common path (8 % of the
// prediction time, bench/README.md, issue 12). False, with nothing to use, otherwise.
inline bool PredictThenUpdateInWindow(const Odds& x, double guess, double slip, double ratio,
                                      double learn, double forget, double* predicted,
                                      double* next) {
  const double o = x.scale;
  const double post = o * ratio;
  *predicted = (o * (1.0 - slip) + guess) / (1.0 + o);
  *next = (post * (1.0 - forget) + learn) / ((1.0 - learn) + post * forget);
  return x.exponent == 0 && o < detail::kOddsHigh && post >= detail::kOddsLow &&
         post < detail::kOddsHigh && *next >= detail::kOddsLow && *next < detail::kOddsHigh;
}

}  // namespace

namespace fit_internal {

Result<std::vector<double>> PredictOnLearners(const BktModel& model, const ResponseLog& log,
                                              const std::vector<bool>* mask) {
  PATHWISE_RETURN_IF_ERROR(model.Validate());
  PATHWISE_RETURN_IF_ERROR(ValidateFittedVariants(model));
  PATHWISE_RETURN_IF_ERROR(log.CheckConsistent());
  if (model.prior_groups == PriorGroupSource::kLearnerGroup && !model.group_priors.empty() &&
      log.learner_group.empty()) {
    return Status::InvalidArgument(
        "the model's priors depend on the learner's group column, which this log does not have");
  }
  if (!model.competency_learn_classes.empty() && !log.has_learn_classes()) {
    return Status::InvalidArgument(
        "the model's learns depend on a learn-class column (competency_learn_classes), which this "
        "log does not have");
  }
  const size_t num_competencies = log.competencies.size();
  const size_t num_activities = log.activities.size();
  const size_t num_learners = log.learners.size();

  // Resolve the model's string keys to the log's indices once.
  std::vector<BktParams> competency_params(num_competencies);
  // The likelihood ratios of an incorrect [0] and a correct [1] answer under each competency's own
  // parameters.
  std::vector<double> competency_ratio[2];
  for (auto& v : competency_ratio) v.resize(num_competencies);
  for (uint32_t c = 0; c < num_competencies; ++c) {
    competency_params[c] = model.ParamsFor(log.competencies.Name(c));
    for (int outcome = 0; outcome < 2; ++outcome) {
      competency_ratio[outcome][c] = LikelihoodRatio(
          competency_params[c].guess, competency_params[c].slip, static_cast<double>(outcome));
    }
  }
  // A first answer starts from the competency prior's odds: one quotient per competency, not per
  // (learner, competency).
  std::vector<Odds> competency_prior_odds(num_competencies);
  for (uint32_t c = 0; c < num_competencies; ++c) {
    competency_prior_odds[c] = Odds::OfProbability(competency_params[c].prior);
  }
  std::vector<const ActivityParams*> activity_overrides(num_activities, nullptr);
  for (uint32_t a = 0; a < num_activities; ++a) {
    auto it = model.activities.find(log.activities.Name(a));
    if (it != model.activities.end()) activity_overrides[a] = &it->second;
  }
  std::unordered_map<uint64_t, const ActivityParams*> pair_overrides;
  for (const auto& [competency, activities] : model.competency_activities) {
    const uint32_t c = log.competencies.Find(competency);
    if (c == IdTable::kNone) continue;
    for (const auto& [activity, overrides] : activities) {
      const uint32_t a = log.activities.Find(activity);
      if (a != IdTable::kNone) pair_overrides[PairKey(c, a)] = &overrides;
    }
  }
  // Learns per (competency, learn class), resolved to the log's indices.
  std::unordered_map<uint64_t, double> learn_class_learn;
  for (const auto& [competency, classes] : model.competency_learn_classes) {
    const uint32_t c = log.competencies.Find(competency);
    if (c == IdTable::kNone) continue;
    for (const auto& [name, learn] : classes) {
      const uint32_t k = log.learn_classes.Find(name);
      if (k != IdTable::kNone) learn_class_learn[PairKey(c, k)] = learn;
    }
  }
  // Group priors: first-response groups by outcome, column groups by (competency, group).
  constexpr double kAbsent = -1.0;
  std::vector<double> first_response_prior[2];
  std::unordered_map<uint64_t, double> column_prior;
  for (auto& v : first_response_prior) v.assign(num_competencies, kAbsent);
  for (const auto& [competency, groups] : model.group_priors) {
    const uint32_t c = log.competencies.Find(competency);
    if (c == IdTable::kNone) continue;
    for (const auto& [group, prior] : groups) {
      if (model.prior_groups == PriorGroupSource::kFirstResponse) {
        if (group == "first_incorrect") first_response_prior[0][c] = prior;
        if (group == "first_correct") first_response_prior[1][c] = prior;
      } else if (model.prior_groups == PriorGroupSource::kLearnerGroup) {
        const uint32_t g = group.empty() ? IdTable::kNone : log.groups.Find(group);
        if (g != IdTable::kNone || group.empty()) column_prior[PairKey(c, g)] = prior;
      }
    }
  }
  std::vector<LearnerFactors> factors;
  if (!model.learner_factors.empty()) {
    factors.resize(num_learners);
    for (uint32_t l = 0; l < num_learners; ++l) {
      auto it = model.learner_factors.find(log.learners.Name(l));
      if (it != model.learner_factors.end()) factors[l] = it->second;
    }
  }

  std::vector<double> predictions(log.num_rows(), std::numeric_limits<double>::quiet_NaN());
  // The carried state (bkt.h), its two fields in separate arrays: as one 16-byte record, the load
  // of a state right after the previous row stored it (a learner answering the same competency
  // twice in a row) waits for the store to retire instead of being forwarded, which made prediction
  // a fifth slower (bench/README.md, issue 12).
  std::vector<double> odds_scale(num_competencies, 1.0);
  std::vector<int32_t> odds_exponent(num_competencies, 0);
  const auto set_odds = [&](uint32_t c, const Odds& x) {
    odds_scale[c] = x.scale;
    odds_exponent[c] = x.exponent;
  };
  std::vector<uint32_t> owner(num_competencies, IdTable::kNone);
  const std::vector<uint32_t> order = LearnerMajorOrder(log);
  ForEachRowByLearner(log, order, [&](uint32_t r) {
    const uint32_t l = log.learner[r];
    if (mask != nullptr && !(*mask)[l]) return;
    const uint32_t c = log.competency[r];
    const uint32_t a = log.activity[r];
    const bool correct = log.correct[r] != 0;
    BktParams params = competency_params[c];
    bool overridden = false;
    if (a != IdTable::kNone) {
      const ActivityParams* overrides = activity_overrides[a];
      if (!pair_overrides.empty()) {
        auto it = pair_overrides.find(PairKey(c, a));
        if (it != pair_overrides.end()) overrides = it->second;
      }
      if (overrides != nullptr) {
        ApplyOverrides(*overrides, &params);
        overridden = true;
      }
    }
    if (!learn_class_learn.empty() && log.learn_class[r] != IdTable::kNone) {
      auto it = learn_class_learn.find(PairKey(c, log.learn_class[r]));
      if (it != learn_class_learn.end()) params.learn = it->second;  // guess and slip unchanged
    }
    const LearnerFactors individual = factors.empty() ? LearnerFactors() : factors[l];
    const bool first = owner[c] != l;
    if (first) {
      owner[c] = l;
      double prior = -1.0;  // the competency's own, whose odds are worked out above
      if (model.prior_groups == PriorGroupSource::kLearnerGroup && !column_prior.empty()) {
        auto it = column_prior.find(PairKey(c, log.learner_group[l]));
        if (it != column_prior.end()) prior = it->second;
      }
      if (prior < 0.0 && individual.prior_offset == 0.0) {
        set_odds(c, competency_prior_odds[c]);
      } else {
        set_odds(c, OddsWithOffset(prior < 0.0 ? params.prior : prior, individual.prior_offset));
      }
    }
    const Odds x{odds_scale[c], odds_exponent[c]};
    const double ratio = overridden
                             ? LikelihoodRatio(params.guess, params.slip, correct ? 1.0 : 0.0)
                             : competency_ratio[correct ? 1 : 0][c];
    const double learn = ApplyLogitOffset(params.learn, individual.learn_offset);
    double predicted, next;
    if (PredictThenUpdateInWindow(x, params.guess, params.slip, ratio, learn, params.forget,
                                  &predicted, &next) &&
        !(first && model.prior_groups == PriorGroupSource::kFirstResponse)) {
      predictions[r] = predicted;
      odds_scale[c] = next;
      return;
    }
    predictions[r] = PredictCorrectFromOdds(x, params.guess, params.slip);
    // With first-response groups the answer just predicted selects the group, whose prior is P(L)
    // at the next answer: it replaces this answer's update and transition (fit.h).
    if (first && model.prior_groups == PriorGroupSource::kFirstResponse) {
      const double group_prior = first_response_prior[correct ? 1 : 0][c];
      if (group_prior != kAbsent) {
        set_odds(c, OddsWithOffset(group_prior, individual.prior_offset));
        return;
      }
    }
    set_odds(c, TransitionOdds(PosteriorOdds(x, ratio), learn, params.forget));
  });
  return predictions;
}

}  // namespace fit_internal

Result<std::vector<double>> PredictOneStepAhead(const BktModel& model, const ResponseLog& log) {
  return fit_internal::PredictOnLearners(model, log, nullptr);
}

}  // namespace pathwise
