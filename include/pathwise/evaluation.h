// Evaluating BKT predictions: metrics and learner-level K-fold cross-validation.
#ifndef PATHWISE_EVALUATION_H_
#define PATHWISE_EVALUATION_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <pathwise/fit.h>
#include <pathwise/model.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

struct MetricsOptions {
  /// Equal-width bins of [0, 1] for the expected calibration error (>= 1).
  int calibration_bins = 10;
  /// Log-loss clips predictions into [epsilon, 1 - epsilon] (scikit-learn's convention), in (0,
  /// 0.5).
  double log_loss_epsilon = 1e-15;

  /// InvalidArgument naming the field when out of range.
  Status Validate() const;
};

/// Quality of P(correct) predictions against outcomes. A metric that cannot be computed is NaN.
struct Metrics {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  size_t count = 0;  ///< rows scored
  /// Pooled ROC AUC over all rows: the probability that a random correct row is predicted higher
  /// than a random incorrect one, ties counting one half (Mann-Whitney). NaN unless both outcomes
  /// occur.
  double auc = kNaN;
  /// Per-competency AUC averaged without weights over the competencies whose rows have both
  /// outcomes (the per-skill figure pyBKT reports). NaN when no competency qualifies or no
  /// competency column was given.
  double auc_competency_mean = kNaN;
  size_t auc_competencies = 0;  ///< competencies in auc_competency_mean
  double rmse = kNaN;           ///< sqrt(mean((p - y)^2))
  double accuracy = kNaN;  ///< share of rows where (p >= 0.5) equals the outcome (pyBKT's rule)
  double log_loss = kNaN;  ///< -mean(y log p + (1 - y) log(1 - p)), p clipped (MetricsOptions)
  /// Expected calibration error: sum over equal-width bins of (rows in bin / rows) x |mean p - mean
  /// y|.
  double ece = kNaN;
};

/// Metrics of predictions `p_correct` against `correct` (0/1). `competency`, when non-empty, gives
/// each row's competency for auc_competency_mean.
///
/// Returns InvalidArgument when the vectors differ in length, a prediction is not in [0, 1] (NaN
/// included), an outcome is not 0 or 1, or options are invalid; the message names the first bad
/// index.
///
/// Thread safety: reentrant.
///
/// Example:
///
///     auto m = pathwise::ComputeMetrics({1, 0, 1}, {0.8, 0.3, 0.6});
///     if (m.ok()) std::cout << m->auc << "\n";  // 1
[[nodiscard]] Result<Metrics> ComputeMetrics(const std::vector<uint8_t>& correct,
                                             const std::vector<double>& p_correct,
                                             const std::vector<uint32_t>& competency = {},
                                             const MetricsOptions& options = {});

/// PredictOneStepAhead(model, log) scored against the log's outcomes. Statuses as those two
/// functions.
[[nodiscard]] Result<Metrics> EvaluateModel(const BktModel& model, const ResponseLog& log,
                                            const MetricsOptions& options = {});

struct CrossValidationOptions {
  int folds = 5;       ///< >= 2
  uint64_t seed = 42;  ///< seeds the assignment of learners to folds
  MetricsOptions metrics;

  /// InvalidArgument naming the field when out of range.
  Status Validate() const;
};

struct CrossValidationResult {
  std::vector<Metrics> folds;  ///< per fold, on the rows of its held-out learners
  /// All held-out predictions together: every row is predicted exactly once, by the model fitted
  /// without its learner.
  Metrics pooled;
  double mean_fold_auc =
      Metrics::kNaN;  ///< mean over folds of folds[k].auc (folds where it is NaN skipped)
  std::vector<uint32_t> learner_fold;  ///< fold of every learner, by learner index
  int64_t iterations = 0;              ///< E-steps summed over the folds' fits
  int64_t obs_iterations = 0;
};

/// Learner -> fold in [0, folds): a Fisher-Yates shuffle of the learners by std::mt19937_64(seed),
/// then round robin, so fold sizes differ by at most one learner. The same (num_learners, folds,
/// seed) always gives the same assignment. REQUIRES: folds >= 1.
std::vector<uint32_t> AssignLearnerFolds(size_t num_learners, int folds, uint64_t seed);

/// K-fold cross-validation that splits learners, never single rows: fold k's model is fitted on
/// every other fold's learners and predicts the rows of fold k's learners one step ahead.
///
/// Returns InvalidArgument when an options struct is invalid or there are fewer learners than
/// folds, and any status of FitBkt or PredictOneStepAhead for a fold (prefixed with "fold k").
///
/// Thread safety: reentrant. Folds run one after another; each fit uses fit_options.threads.
///
/// Example:
///
///     pathwise::CrossValidationOptions cv;
///     cv.folds = 5;
///     auto result = pathwise::CrossValidate(log, pathwise::FitOptions{}, cv);
///     if (result.ok()) std::cout << result->pooled.auc << "\n";
[[nodiscard]] Result<CrossValidationResult> CrossValidate(
    const ResponseLog& log, const FitOptions& fit_options,
    const CrossValidationOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_EVALUATION_H_
