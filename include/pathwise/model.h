// A BKT model: parameters per competency plus optional per-activity overrides.
#ifndef PATHWISE_MODEL_H_
#define PATHWISE_MODEL_H_

#include <cmath>
#include <map>
#include <optional>
#include <string>

#include <pathwise/bkt.h>
#include <pathwise/status.h>

namespace pathwise {

/// Parameters of one activity that override its competencies' (per-activity guess/slip as in
/// pyBKT's multigs, per-activity learn as in multilearn). Unset fields fall back to the
/// competency's.
struct ActivityParams {
  std::optional<double> guess;
  std::optional<double> slip;
  std::optional<double> learn;

  friend bool operator==(const ActivityParams& a, const ActivityParams& b) {
    return a.guess == b.guess && a.slip == b.slip && a.learn == b.learn;
  }
};

/// How a multiprior model (per-group priors, see BktModel::group_priors) puts a learner in a group.
enum class PriorGroupSource {
  /// No per-group priors.
  kNone = 0,
  /// The learner's group column (ResponseLog::learner_group), known before any answer.
  kLearnerGroup = 1,
  /// The learner's first response to the competency, as pyBKT's default multiprior does: group
  /// "first_incorrect" or "first_correct". Unknown until that response, so the first response is
  /// predicted (and, in fitting, scored) with the competency's prior, never with its group's; the
  /// group prior is P(L) at the learner's second response (fit.h states the rule).
  kFirstResponse = 2,
};

/// iBKT: a learner's offsets on the logit scale, shared by every competency. With
/// logit(p) = log(p / (1 - p)) and sigmoid its inverse, the learner's parameters for competency c
/// are
///
///     prior(learner, c) = sigmoid(logit(prior_c) + prior_offset)
///     learn(learner, c) = sigmoid(logit(learn_c) + learn_offset)
///
/// (ApplyLogitOffset). Offsets 0 mean "an average learner"; a learner absent from the model gets 0.
struct LearnerFactors {
  double prior_offset = 0.0;
  double learn_offset = 0.0;

  friend bool operator==(const LearnerFactors& a, const LearnerFactors& b) {
    return a.prior_offset == b.prior_offset && a.learn_offset == b.learn_offset;
  }
};

/// sigmoid(logit(p) + offset), exact at the ends: 0 and 1 stay 0 and 1, offset 0 returns p.
inline double ApplyLogitOffset(double p, double offset) {
  if (offset == 0.0 || p <= 0.0 || p >= 1.0) return p;
  const double odds = p / (1.0 - p) * std::exp(offset);
  return std::isinf(odds) ? 1.0 : odds / (1.0 + odds);
}

/// BKT parameters for a curriculum.
///
/// Which parameters a competency uses: `competencies[id]` if present, else the params authored on
/// the competency in the graph, else `defaults`. An activity's entry in `activities` then overrides
/// guess, slip and learn of every competency it practises.
struct BktModel {
  BktParams defaults;                             ///< for competencies with nothing more specific
  std::map<std::string, BktParams> competencies;  ///< by competency id
  std::map<std::string, ActivityParams> activities;  ///< by activity id

  // Fitted variants (fit.h). Each is empty for a standard BKT model. ParamsFor(competency,
  // activity) reads competency_activities, so the online tracker uses fitted multigs/multilearn
  // values; group priors and iBKT learner factors are used by the one-step-ahead prediction in
  // fit.h only (the online tracker starts every learner at the competency prior).

  /// Per-(competency, activity) overrides: where FitBkt stores the per-activity guess/slip
  /// (multigs) and learn (multilearn) it fits, since one activity may practise several competencies
  /// with different values. Takes precedence over `activities`. Keyed by competency id, then
  /// activity id.
  std::map<std::string, std::map<std::string, ActivityParams>> competency_activities;
  /// multilearn on a learn-class column (ResponseLog::learn_class, fit.h): learn per (competency,
  /// learn class), competency id -> class name -> learn. Used by the one-step-ahead prediction for
  /// rows with a learn class (before competency_activities' learn); the online tracker, which sees
  /// activities only, does not use it.
  std::map<std::string, std::map<std::string, double>> competency_learn_classes;
  /// multiprior: how learners are grouped, and the prior of each group per competency (competency
  /// id -> group name -> prior). A group absent for a competency uses the competency's prior.
  PriorGroupSource prior_groups = PriorGroupSource::kNone;
  std::map<std::string, std::map<std::string, double>> group_priors;
  /// iBKT: per-learner factors by learner id (see LearnerFactors).
  std::map<std::string, LearnerFactors> learner_factors;

  /// InvalidArgument naming the field path (e.g. "competencies[fractions].slip") of the first bad
  /// value: every BktParams must pass BktParams::Validate, every override be in [0, 1], and guess +
  /// slip < 1 for every combination an override can produce with the defaults or the competency's
  /// own params; the fitted variants must pass ValidateFittedVariants (fit.h).
  Status Validate() const;

  /// `competencies[id]`, or `authored` when absent and given, else `defaults`.
  BktParams ParamsFor(const std::string& competency_id,
                      const std::optional<BktParams>& authored = std::nullopt) const;
  /// ParamsFor(competency) with the activity's overrides applied: competency_activities[competency]
  /// [activity] when present, else activities[activity].
  BktParams ParamsFor(const std::string& competency_id, const std::string& activity_id,
                      const std::optional<BktParams>& authored = std::nullopt) const;
};

}  // namespace pathwise

#endif  // PATHWISE_MODEL_H_
