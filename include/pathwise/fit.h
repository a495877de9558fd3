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
// competency's
//   own class. multilearn: learn per (competency, activity), likewise.
// - multiprior: prior per (competency, group), the group from the learner's group column or from
// the
//   learner's first response to the competency (PriorGroupSource, model.h).
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

#include <cstddef>
#include <cstdint>
#include <functional>
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

/// Called with the fraction of the work done (in [0, 1]) as work units finish. Calls are serialised
/// (never concurrent) but may come from worker threads.
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
  /// Optional progress report (the CLI draws a progress bar with it).
  FitProgress progress;

  /// InvalidArgument naming the field ("bounds.guess", "fixed.slip", ...) when a count is out of
  /// range, a bound or fixed value is not a probability, lower > upper, a fixed value lies outside
  /// its bounds, the largest reachable guess + slip is >= 1, `start` is invalid, or ibkt is
  /// combined with multilearn or multiprior.
  Status Validate() const;
};

/// How the fit of one competency went.
struct CompetencyFit {
  std::string competency;
  size_t rows = 0;
  size_t sequences = 0;
  double log_likelihood = 0.0;  ///< of the kept restart's final parameters
  int iterations = 0;           ///< E-steps of the kept restart
  int best_restart = 0;
  bool converged = false;     ///< stopped by the tolerance rather than max_iterations
  std::vector<double> trace;  ///< log-likelihood after each E-step (record_trace), non-decreasing
};

/// The result of FitBkt.
struct FitResult {
  /// competencies[id] for every competency of the log, the variants' fields as fitted, and
  /// `defaults` set to the row-weighted mean of the competencies' parameters: the model a
  /// competency unseen in training gets.
  BktModel model;
  double log_likelihood = 0.0;  ///< sum over competencies (for iBKT, of the kept restart)
  /// iBKT: log_likelihood minus the offset penalty, the objective EM maximises. Otherwise
  /// log_likelihood.
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
/// multigs/multilearn is asked for and no row has an activity, when multiprior uses the group
/// column and the log has none; ResourceExhausted when the log has 2^32 rows or more;
/// FailedPrecondition when some observations are impossible under fixed parameters (zero
/// likelihood); Internal when the log's columns are inconsistent.
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
/// parameters; a learner without factors gets offsets 0; a group without a prior (and, for
/// first-response groups, the first row, whose group is its own answer) uses the competency's
/// prior.
///
/// Returns InvalidArgument when model.Validate() or ValidateFittedVariants(model) fails, or when
/// the model's priors come from a group column that the log lacks; Internal when the log is
/// inconsistent.
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
