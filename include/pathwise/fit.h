// Fitting BKT models to response logs (EM / Baum-Welch) and one-step-ahead prediction.
//
// The model per competency is the one stated in bkt.h: hidden states learned (L) / unlearned (U),
// P(L_0) = prior, P(U -> L) = learn, P(L -> U) = forget, P(correct | U) = guess, P(incorrect | L) =
// slip. A learner's rows of one competency form a sequence, in ResponseLog row order. The learning
// transition after a row uses the learn of that row's activity (multilearn), as pyBKT does.
//
// EM: the E-step runs a scaled forward-backward pass over every sequence and collects expected
// counts; the M-step sets each parameter to its closed-form maximiser (expected count ratio),
// clamped into its bounds. Because the expected complete-data log-likelihood separates into one
// concave Bernoulli term per parameter, the clamped update is the constrained maximiser, so the
// log-likelihood never decreases.
//
// Stopping rule: after each E-step (which evaluates the log-likelihood of the current parameters),
// a competency stops when the gain over the previous E-step is below `tolerance` x its number of
// rows (a per-observation tolerance), or after `max_iterations` E-steps. The returned parameters
// are the ones the last E-step evaluated, so the reported log-likelihood is exactly theirs.
//
// Variants (FitOptions):
// - forgets: forget is fitted instead of fixed at 0.
// - multigs: guess and slip per (competency, activity); rows without an activity form the
//   competency's own class. multilearn: learn per (competency, learn class), likewise, where the
//   learn class of a row is its ResponseLog::learn_class when the log has that column and its
//   activity otherwise. So with a learn-class column the two variants split rows by different
//   columns (pyBKT's README: guess/slip per problem, learn per student); the fitted learns then go
//   to BktModel::competency_learn_classes instead of competency_activities. The
//   transition after a row uses the learn of that row's learn class.
// - fixed_classes: single classes of multigs / multilearn held at a value of their own (pyBKT's
//   README fixes ten slips to 0, 0.1, ..., 0.9); the E-step uses the value and the M-step never
//   moves it (nor counts it in the MAP-EM prior).
// - multiprior: prior per (competency, group), the group from the learner's group column or from
//   the learner's first response to the competency (PriorGroupSource, model.h).
//   With a group column the group prior is P(L) at the learner's first answer.
//   With first-response groups the answer that selects the group is never scored with that
//   group's prior (that would let the answer explain itself: EM then drives the priors to 1 / 0
//   with guess 0). The exact rule: a learner's first answer to the competency is scored with
//   the competency prior (fitted on first answers; model.competencies[c].prior); it selects
//   group "first_correct" or "first_incorrect"; that group's prior is P(L) at the learner's
//   second answer, replacing the first answer's Bayes update and the transition after it (the
//   first answer informs the rest of the sequence only through its group). Learners with one
//   answer fit only the competency prior. PredictOneStepAhead uses the same rule. pyBKT's
//   multiprior puts an unobserved step before the first answer whose transition (the group's
//   learn) gives P(L) at that answer; with its default group column, `correct`, the first
//   answer both selects the group and is scored under it. Pathwise's unobserved step sits after
//   the selecting answer instead.
// - ibkt: per-learner prior and learn offsets on the logit scale, shared by all competencies
//   (LearnerFactors, model.h), fitted jointly with the competency parameters by generalised EM:
//   each M-step does closed-form updates for guess, slip and forget, then Newton steps (with step
//   halving, so each never lowers the objective) for the competencies' logit(prior), logit(learn)
//   given the learner offsets, then for the learner offsets given the competencies. The objective
//   is the log-likelihood minus (ibkt_l2 / 2) x the sum of squared offsets (a Gaussian prior that
//   keeps learners with few rows near the average); it never decreases across iterations. Not
//   combinable with multilearn or multiprior. A fixed prior (learn) keeps every learner's prior
//   (learn) offset at 0.
//
// Parallelism: work units are (competency, restart) pairs (for iBKT: competencies within each
// iteration), taken largest first by a pool of `threads`; each unit's arithmetic is independent of
// scheduling and reductions run in a fixed order, so results are bit-identical for any thread
// count.
//
// Random restarts: restart 0 starts at `start` when given; every other restart (and restart 0
// without `start`) draws its start from std::mt19937_64 seeded by (seed, competency id, restart):
// prior in [0.05, 0.95], learn in [0.01, 0.5], forget in [0, 0.2] (when fitted), guess and slip in
// [0.01, 0.3], each intersected with its bounds. The restart with the highest log-likelihood is
// kept (ties: the lowest restart).
#ifndef PATHWISE_FIT_H_
#define PATHWISE_FIT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/model.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// A closed interval inside [0, 1] that a fitted probability is kept in.
struct ParamRange {
  double lower = 0.0;
  double upper = 1.0;
};

/// Bounds per parameter. Every M-step update is clamped into them; restarts start inside them.
///
/// Defaults: guess and slip at most 0.3. Without that cap EM can reach the degenerate optimum where
/// "learned" predicts wrong answers (guess + slip >= 1: a correct answer would lower mastery), and
/// pyBKT and the common C++ fitter use similar caps. Everything else spans [0, 1]. Validate()
/// requires the largest reachable guess + slip to stay below 1.
struct ParamBounds {
  ParamRange prior{0.0, 1.0};
  ParamRange learn{0.0, 1.0};
  ParamRange forget{0.0, 1.0};
  ParamRange guess{0.0, 0.3};
  ParamRange slip{0.0, 0.3};
};

/// Parameters held at a value instead of fitted, for every competency (and every activity class /
/// group of the variants). A fixed value is used in the E-step and left untouched by the M-step.
struct FixedParams {
  std::optional<double> prior;
  std::optional<double> learn;
  std::optional<double> forget;
  std::optional<double> guess;
  std::optional<double> slip;
};

/// A Beta(a, b) prior on a probability p, density proportional to p^(a - 1) (1 - p)^(b - 1): a - 1
/// pseudo-successes and b - 1 pseudo-failures added to the expected counts of the M-step. a, b >= 1
/// so that the mode (a - 1) / (a + b - 2) exists and lies in [0, 1]; Beta(1, 1) is flat (no
/// effect).
struct BetaPrior {
  double a = 1.0;
  double b = 1.0;
};

/// MAP-EM: Beta priors on the fitted parameters (every class of multigs / multilearn and every
/// group of multiprior gets its own pseudo-counts from the same prior). Off by default, which is
/// maximum likelihood. When `enabled`, each M-step sets a parameter to
///
///     (expected successes + a - 1) / (expected trials + a + b - 2),
///
/// clamped into its bounds: the maximiser of the expected complete-data log-likelihood plus the log
/// prior, so EM never lowers the penalized objective (FitResult::penalized_log_likelihood). The
/// defaults are weak (2 to 10 pseudo-observations each) and centred on typical BKT values; they
/// keep small competencies away from the bounds (0 and 1 for prior and learn, guess = 0, ...) while
/// large ones barely move:
/// prior Beta(2, 2) (mode 0.5), learn Beta(2, 6) (mode 1/6), forget Beta(1, 11) (mode 0, with 10
/// pseudo-non-forgets), guess Beta(2, 6) (mode 1/6), slip Beta(2, 6) (mode 1/6).
struct ParamPriors {
  bool enabled = false;
  BetaPrior prior{2.0, 2.0};
  BetaPrior learn{2.0, 6.0};
  BetaPrior forget{1.0, 11.0};
  BetaPrior guess{2.0, 6.0};
  BetaPrior slip{2.0, 6.0};
};

/// When a competency's fit is flagged as degenerate or weakly identified (CompetencyFit::warnings).
/// The checks read the competency-level values of the model (and its group priors), not
/// per-activity overrides, and skip fixed parameters.
struct FitWarningThresholds {
  /// A parameter within this distance of a bound is "at the bound" (kParameterAtBound; forget is
  /// flagged at its upper bound only: no forgetting is an ordinary fit).
  double bound_tolerance = 1e-3;
  /// guess + slip at or above this is flagged (kGuessPlusSlipNearOne): answers then say almost
  /// nothing about mastery. The bounds already keep it below 1.
  double guess_plus_slip = 0.9;
  /// learn at or below this with slip at its upper bound is flagged (kNoLearning): the fit
  /// explains improvement by neither learning nor mastery.
  double no_learning = 1e-3;
  /// Fewer learners than this (kFewLearners). pyBKT's authors found parameter error levels off at
  /// about 50 learners for learn and slip, and 100 for prior and guess.
  size_t min_learners = 50;
  /// Fewer rows than this (kFewRows).
  size_t min_rows = 200;
};

/// Called with the fraction of the work done (in [0, 1]) as work units finish: the rows of the
/// finished (competency, restart) units over those of all units, for iBKT the finished iterations
/// (an iteration that converges counts the rest of its restart as done). Non-decreasing, and 1 at
/// the last call of a fit that succeeds. Calls are serialised (never concurrent) but may come from
/// worker threads; the fit's results do not depend on the callback.
using FitProgress = std::function<void(double fraction_done)>;

/// Options of FitBkt; see the file comment for the model, the variants and the stopping rule.
struct FitOptions {
  /// E-steps per competency and restart at most (>= 1).
  int max_iterations = 200;
  /// Stop when an iteration gains less log-likelihood than this per row of the competency (>= 0; 0
  /// runs max_iterations). 1e-6 reaches the reference optimum on assist2015 (bench/README.md).
  double tolerance = 1e-6;
  /// Fits per competency from different starts; the best log-likelihood is kept (>= 1).
  int restarts = 1;
  /// Seeds the random starts of the restarts.
  uint64_t seed = 42;
  /// Worker threads (>= 1). Results do not depend on it.
  int threads = 1;
  /// The start of restart 0 for every competency; when absent, restart 0 is random too. Fixed
  /// parameters override it and it is clamped into the bounds. Must pass BktParams::Validate. With
  /// `forgets`, a start forget of 0 is replaced by 0.05: EM can never move a forget of 0.
  std::optional<BktParams> start;
  ParamBounds bounds;
  FixedParams fixed;
  /// Values held fixed for single classes, by competency id, then class name: guess and slip of a
  /// multigs class (an activity id), learn of a multilearn class (a ResponseLog::learn_classes
  /// name when the log has a learn-class column, else an activity id). Takes precedence over
  /// `fixed` for that class. A value need not lie in `bounds` (they limit what EM fits, and one
  /// table may span several boxes), but the class's guess + slip must stay below 1 for every value
  /// the other parameter can reach (its class value, else `fixed`, else its upper bound). Classes
  /// without rows in the fitted data are ignored (a cross-validation fold may lack some); rows
  /// without an activity / learn class cannot be addressed (they use the competency's values).
  std::map<std::string, std::map<std::string, ActivityParams>> fixed_classes;
  /// Fit forget (otherwise forget is fixed: to fixed.forget when given, else 0).
  bool forgets = false;
  bool multigs = false;
  bool multilearn = false;
  PriorGroupSource multiprior = PriorGroupSource::kNone;
  bool ibkt = false;
  /// iBKT: weight of the Gaussian penalty (l2 / 2) x offset^2 on every learner offset (> 0).
  double ibkt_l2 = 1.0;
  /// Keep the log-likelihood after every E-step of the kept restart (CompetencyFit::trace,
  /// FitResult::trace).
  bool record_trace = false;
  /// MAP-EM with Beta priors (off by default: maximum likelihood). Not combinable with ibkt.
  ParamPriors priors;
  /// Thresholds of the per-competency warnings.
  FitWarningThresholds warnings;
  /// Optional progress report (the CLI draws a progress bar with it).
  FitProgress progress;
  /// Optional cancellation, read before every E-step of every work unit: once it holds true the
  /// fit stops within one EM iteration per running unit and FitBkt returns Cancelled, with no
  /// model. Not owned: it must outlive the FitBkt call. Any thread (or `progress`) may set it.
  const std::atomic<bool>* cancel = nullptr;

  /// InvalidArgument naming the field ("bounds.guess", "fixed.slip", ...) when a count is out of
  /// range, a bound or fixed value is not a probability, lower > upper, a fixed value lies outside
  /// its bounds, the largest reachable guess + slip is >= 1, `start` is invalid, or ibkt is
  /// combined with multilearn or multiprior, a fixed_classes value is not a probability, sets
  /// guess / slip without multigs or learn without multilearn, or allows guess + slip >= 1
  /// ("fixed_classes[fractions][p1].slip"), a Beta prior has a or b below 1 or not finite
  /// ("priors.guess.a"), priors are enabled with ibkt, or a warning threshold is out of range
  /// ("warnings.bound_tolerance" in [0, 0.5], "warnings.guess_plus_slip" and
  /// "warnings.no_learning" in [0, 1]).
  Status Validate() const;
};

/// What a FitWarning reports (thresholds in FitWarningThresholds).
enum class FitWarningCode {
  /// A fitted parameter (or a group prior) ended at one of its bounds.
  kParameterAtBound = 0,
  /// guess + slip near 1: a correct answer barely raises mastery.
  kGuessPlusSlipNearOne = 1,
  /// learn near 0 with slip at its upper bound: the degenerate "never learns, often slips" fit.
  kNoLearning = 2,
  /// Too few learners for the parameters to be identified.
  kFewLearners = 3,
  /// Too few rows for the parameters to be identified.
  kFewRows = 4,
};

/// "parameter_at_bound", "guess_plus_slip_near_one", "no_learning", "few_learners", "few_rows".
const char* FitWarningCodeName(FitWarningCode code);

/// One reason to distrust a competency's fitted parameters.
struct FitWarning {
  FitWarningCode code = FitWarningCode::kParameterAtBound;
  std::string message;  ///< for people, e.g. "guess = 0 is at its lower bound 0"
};

/// How the fit of one competency went.
struct CompetencyFit {
  std::string competency;
  size_t rows = 0;
  size_t sequences = 0;
  double log_likelihood = 0.0;  ///< of the kept restart's final parameters
  int iterations = 0;           ///< E-steps of the kept restart
  int best_restart = 0;
  bool converged = false;  ///< stopped by the tolerance rather than max_iterations
  /// Objective after each E-step (record_trace), non-decreasing: the log-likelihood, or with
  /// priors.enabled the log-likelihood plus the log prior density (unnormalised).
  std::vector<double> trace;
  /// Degenerate or weakly identified fit, in FitWarningCode order; empty when none applies.
  std::vector<FitWarning> warnings;
};

/// The result of FitBkt.
struct FitResult {
  /// competencies[id] for every competency of the log, the variants' fields as fitted, and
  /// `defaults` set to the row-weighted mean of the competencies' parameters: the model a
  /// competency unseen in training gets.
  BktModel model;
  double log_likelihood = 0.0;  ///< sum over competencies (for iBKT, of the kept restart)
  /// The objective EM maximises: for iBKT log_likelihood minus the offset penalty; with
  /// priors.enabled log_likelihood plus the unnormalised log prior density
  /// sum (a - 1) log p + (b - 1) log(1 - p) over the fitted parameters; otherwise log_likelihood.
  double penalized_log_likelihood = 0.0;
  int64_t iterations = 0;      ///< E-steps summed over competencies and restarts
  int64_t obs_iterations = 0;  ///< rows x E-steps, summed over competencies and restarts
  size_t rows = 0;
  size_t learners = 0;
  std::vector<CompetencyFit> competencies;  ///< in ResponseLog competency order
  std::vector<double> trace;  ///< iBKT with record_trace: the penalized objective per iteration
};

/// Fits a BKT model to every competency of `log`.
///
/// Returns InvalidArgument when options.Validate() fails, when the log is empty, when
/// multigs (or multilearn without a learn-class column) is asked for and no row has an activity,
/// when multilearn is asked for on a learn-class column in which no row has a class, when
/// fixed_classes names a competency or class the log does not have, when multiprior uses the group
/// column and the log has none; ResourceExhausted when the log has 2^32 rows or more;
/// FailedPrecondition when some observations are impossible under fixed parameters (zero
/// likelihood); Cancelled when options.cancel was set before the fit finished; Internal when the
/// log's columns are inconsistent.
///
/// Thread safety: reentrant; reads `log` only.
///
/// Example:
///
///     pathwise::FitOptions options;
///     options.start = pathwise::BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
///     options.threads = 2;
///     pathwise::Result<pathwise::FitResult> fit = pathwise::FitBkt(log, options);
///     if (!fit.ok()) return fit.status();
///     std::cout << -fit->log_likelihood << "\n";
[[nodiscard]] Result<FitResult> FitBkt(const ResponseLog& log, const FitOptions& options = {});

/// One-step-ahead P(correct) for every row of `log` (index = row): the prediction for a row uses
/// only the earlier rows of the same learner and competency (the forward filter of the model).
/// Works for every variant and never fails on unseen ids, which fall back as follows: a competency
/// not in the model uses model.defaults; an activity without an override uses its competency's
/// parameters; a learn class without a learn (competency_learn_classes) uses the learn the row
/// would have without it; a learner without factors gets offsets 0; a group without a prior uses
/// the competency's prior. First-response groups follow the rule in the file comment: the first row
/// is predicted from the competency prior, the second from its group's prior (or, when the model
/// has none for that group, from the first row's update and transition).
///
/// Returns InvalidArgument when model.Validate() or ValidateFittedVariants(model) fails, or when
/// the model's priors come from a group column that the log lacks, or its learns
/// (competency_learn_classes) from a learn-class column that the log lacks; Internal when the log
/// is inconsistent.
///
/// Thread safety: reentrant.
///
/// Example:
///
///     auto p = pathwise::PredictOneStepAhead(fit->model, test_log);
///     if (!p.ok()) return p.status();
///     double first = (*p)[0];
[[nodiscard]] Result<std::vector<double>> PredictOneStepAhead(const BktModel& model,
                                                              const ResponseLog& log);

/// Checks the variant fields of a model, which BktModel::Validate does not cover: InvalidArgument
/// naming the field path (e.g. "group_priors[fractions][first_correct]") when a group prior is not
/// in [0, 1], an override is not in [0, 1] or yields guess + slip >= 1 with its competency, a
/// learner offset is not finite, or group priors are present while prior_groups is kNone.
[[nodiscard]] Status ValidateFittedVariants(const BktModel& model);

}  // namespace pathwise

#endif  // PATHWISE_FIT_H_
