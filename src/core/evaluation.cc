// Metrics of one-step-ahead predictions and learner-level cross-validation.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <pathwise/evaluation.h>

#include "fit_internal.h"

namespace pathwise {
namespace {

// AUC of rows idx[begin, end), which must be sorted by prediction: Mann-Whitney with average ranks
// for ties. NaN unless both outcomes occur.
double SortedAuc(const std::vector<uint32_t>& idx, size_t begin, size_t end,
                 const std::vector<uint8_t>& correct, const std::vector<double>& p) {
  double positives = 0.0, negatives = 0.0, positive_rank_sum = 0.0;
  size_t i = begin;
  while (i < end) {
    size_t j = i;
    double tied_positives = 0.0;
    while (j < end && p[idx[j]] == p[idx[i]]) {
      tied_positives += correct[idx[j]];
      ++j;
    }
    // Ranks i - begin + 1 ... j - begin share their mean.
    const double mean_rank =
        0.5 * (static_cast<double>(i - begin + 1) + static_cast<double>(j - begin));
    positive_rank_sum += tied_positives * mean_rank;
    positives += tied_positives;
    negatives += static_cast<double>(j - i) - tied_positives;
    i = j;
  }
  if (positives == 0.0 || negatives == 0.0) return Metrics::kNaN;
  return (positive_rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

}  // namespace

Status MetricsOptions::Validate() const {
  if (calibration_bins < 1) {
    return Status::InvalidArgument("calibration_bins must be >= 1, got " +
                                   std::to_string(calibration_bins));
  }
  if (!(log_loss_epsilon > 0.0 && log_loss_epsilon < 0.5)) {
    return Status::InvalidArgument("log_loss_epsilon must lie in (0, 0.5), got " +
                                   std::to_string(log_loss_epsilon));
  }
  return Status::Ok();
}

Status CrossValidationOptions::Validate() const {
  if (folds < 2) return Status::InvalidArgument("folds must be >= 2, got " + std::to_string(folds));
  return metrics.Validate().WithContext("metrics");
}

Result<Metrics> ComputeMetrics(const std::vector<uint8_t>& correct,
                               const std::vector<double>& p_correct,
                               const std::vector<uint32_t>& competency,
                               const MetricsOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  const size_t n = correct.size();
  if (p_correct.size() != n) {
    return Status::InvalidArgument("p_correct has " + std::to_string(p_correct.size()) +
                                   " entries for " + std::to_string(n) + " outcomes");
  }
  if (!competency.empty() && competency.size() != n) {
    return Status::InvalidArgument("competency has " + std::to_string(competency.size()) +
                                   " entries for " + std::to_string(n) + " outcomes");
  }
  for (size_t i = 0; i < n; ++i) {
    if (correct[i] > 1) {
      return Status::InvalidArgument("correct[" + std::to_string(i) + "] must be 0 or 1, got " +
                                     std::to_string(correct[i]));
    }
    if (!(p_correct[i] >= 0.0 && p_correct[i] <= 1.0)) {
      return Status::InvalidArgument("p_correct[" + std::to_string(i) +
                                     "] must lie in [0, 1], got " + std::to_string(p_correct[i]));
    }
  }
  Metrics m;
  m.count = n;
  if (n == 0) return m;

  double squared = 0.0, hits = 0.0, loss = 0.0;
  const int bins = options.calibration_bins;
  std::vector<double> bin_count(bins, 0.0), bin_p(bins, 0.0), bin_y(bins, 0.0);
  const double eps = options.log_loss_epsilon;
  for (size_t i = 0; i < n; ++i) {
    const double p = p_correct[i];
    const double y = correct[i];
    squared += (p - y) * (p - y);
    hits += ((p >= 0.5) == (correct[i] == 1)) ? 1.0 : 0.0;
    const double clipped = std::min(std::max(p, eps), 1.0 - eps);
    loss -= correct[i] ? std::log(clipped) : std::log1p(-clipped);
    const int b = std::min(bins - 1, static_cast<int>(p * bins));
    bin_count[b] += 1.0;
    bin_p[b] += p;
    bin_y[b] += y;
  }
  const double count = static_cast<double>(n);
  m.rmse = std::sqrt(squared / count);
  m.accuracy = hits / count;
  m.log_loss = loss / count;
  double ece = 0.0;
  for (int b = 0; b < bins; ++b) ece += std::abs(bin_p[b] - bin_y[b]);
  m.ece = ece / count;

  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  std::sort(idx.begin(), idx.end(),
            [&](uint32_t a, uint32_t b) { return p_correct[a] < p_correct[b]; });
  m.auc = SortedAuc(idx, 0, n, correct, p_correct);
  if (!competency.empty()) {
    std::stable_sort(idx.begin(), idx.end(),
                     [&](uint32_t a, uint32_t b) { return competency[a] < competency[b]; });
    double sum = 0.0;
    size_t i = 0;
    while (i < n) {
      size_t j = i;
      while (j < n && competency[idx[j]] == competency[idx[i]]) ++j;
      const double auc = SortedAuc(idx, i, j, correct, p_correct);
      if (!std::isnan(auc)) {
        sum += auc;
        ++m.auc_competencies;
      }
      i = j;
    }
    if (m.auc_competencies > 0)
      m.auc_competency_mean = sum / static_cast<double>(m.auc_competencies);
  }
  return m;
}

Result<Metrics> EvaluateModel(const BktModel& model, const ResponseLog& log,
                              const MetricsOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::vector<double> predictions, PredictOneStepAhead(model, log));
  return ComputeMetrics(log.correct, predictions, log.competency, options);
}

std::vector<uint32_t> AssignLearnerFolds(size_t num_learners, int folds, uint64_t seed) {
  std::vector<uint32_t> shuffled(num_learners);
  std::iota(shuffled.begin(), shuffled.end(), 0u);
  std::mt19937_64 rng(seed);
  for (size_t i = num_learners; i > 1; --i) {
    // A uniform index in [0, i) from raw bits by multiply-shift: portable, unlike
    // std::uniform_int_distribution.
    // (Learner counts fit in 32 bits.)
    const auto j = static_cast<size_t>(((rng() >> 32) * static_cast<uint64_t>(i)) >> 32);
    std::swap(shuffled[i - 1], shuffled[j]);
  }
  std::vector<uint32_t> fold(num_learners);
  for (size_t i = 0; i < num_learners; ++i) fold[shuffled[i]] = static_cast<uint32_t>(i % folds);
  return fold;
}

Result<CrossValidationResult> CrossValidate(const ResponseLog& log, const FitOptions& fit_options,
                                            const CrossValidationOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  PATHWISE_RETURN_IF_ERROR(fit_options.Validate());
  const size_t num_learners = log.learners.size();
  if (num_learners < static_cast<size_t>(options.folds)) {
    return Status::InvalidArgument("cross-validation needs at least as many learners as folds: " +
                                   std::to_string(num_learners) + " learners, " +
                                   std::to_string(options.folds) + " folds");
  }
  CrossValidationResult result;
  result.learner_fold = AssignLearnerFolds(num_learners, options.folds, options.seed);
  std::vector<double> held_out(log.num_rows(), Metrics::kNaN);
  for (int k = 0; k < options.folds; ++k) {
    const std::string context = "fold " + std::to_string(k);
    std::vector<bool> train(num_learners), test(num_learners);
    for (size_t l = 0; l < num_learners; ++l) {
      train[l] = result.learner_fold[l] != static_cast<uint32_t>(k);
      test[l] = !train[l];
    }
    Result<FitResult> fit = fit_internal::FitBktOnLearners(log, fit_options, &train);
    if (!fit.ok()) return fit.status().WithContext(context);
    result.iterations += fit->iterations;
    result.obs_iterations += fit->obs_iterations;
    Result<std::vector<double>> predictions =
        fit_internal::PredictOnLearners(fit->model, log, &test);
    if (!predictions.ok()) return predictions.status().WithContext(context);
    std::vector<uint8_t> fold_correct;
    std::vector<double> fold_p;
    std::vector<uint32_t> fold_competency;
    for (size_t r = 0; r < log.num_rows(); ++r) {
      if (!test[log.learner[r]]) continue;
      held_out[r] = (*predictions)[r];
      fold_correct.push_back(log.correct[r]);
      fold_p.push_back((*predictions)[r]);
      fold_competency.push_back(log.competency[r]);
    }
    Result<Metrics> metrics =
        ComputeMetrics(fold_correct, fold_p, fold_competency, options.metrics);
    if (!metrics.ok()) return metrics.status().WithContext(context);
    result.folds.push_back(*metrics);
  }
  PATHWISE_ASSIGN_OR_RETURN(result.pooled,
                            ComputeMetrics(log.correct, held_out, log.competency, options.metrics));
  double sum = 0.0;
  int counted = 0;
  for (const Metrics& m : result.folds) {
    if (!std::isnan(m.auc)) {
      sum += m.auc;
      ++counted;
    }
  }
  if (counted > 0) result.mean_fold_auc = sum / counted;
  return result;
}

}  // namespace pathwise
