#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/response_log.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

TEST(MetricsTest, AucCountsTiesAsHalf) {
  // Positives 0.8, 0.4, 0.9; negatives 0.8, 0.2. Pairs (pos, neg): (0.8, 0.8) tie = 0.5, (0.8, 0.2)
  // = 1, (0.4, 0.8) = 0, (0.4, 0.2) = 1, (0.9, 0.8) = 1, (0.9, 0.2) = 1: 4.5 / 6.
  Result<Metrics> m = ComputeMetrics({1, 0, 1, 0, 1}, {0.8, 0.8, 0.4, 0.2, 0.9});
  ASSERT_OK(m);
  EXPECT_DOUBLE_EQ(m->auc, 4.5 / 6.0);
  EXPECT_EQ(m->count, 5u);
}

TEST(MetricsTest, AllTiedPredictionsGiveOneHalf) {
  Result<Metrics> m = ComputeMetrics({1, 0, 0, 1, 1}, {0.7, 0.7, 0.7, 0.7, 0.7});
  ASSERT_OK(m);
  EXPECT_DOUBLE_EQ(m->auc, 0.5);
}

TEST(MetricsTest, AucIsNaNWithOneOutcomeOnly) {
  Result<Metrics> m = ComputeMetrics({1, 1}, {0.2, 0.9});
  ASSERT_OK(m);
  EXPECT_TRUE(std::isnan(m->auc));
}

TEST(MetricsTest, PerCompetencyAucIsTheUnweightedMeanOverQualifyingCompetencies) {
  // Competency 0: perfect ranking (AUC 1). Competency 1: reversed, with 3 rows (AUC 0). Competency
  // 2: only correct rows, so no AUC and left out of the mean.
  const std::vector<uint8_t> y = {1, 0, 1, 0, 0, 1, 1};
  const std::vector<double> p = {0.9, 0.1, 0.2, 0.8, 0.7, 0.5, 0.6};
  const std::vector<uint32_t> c = {0, 0, 1, 1, 1, 2, 2};
  Result<Metrics> m = ComputeMetrics(y, p, c);
  ASSERT_OK(m);
  EXPECT_EQ(m->auc_competencies, 2u);
  EXPECT_DOUBLE_EQ(m->auc_competency_mean, 0.5);
}

TEST(MetricsTest, RmseAccuracyLogLossAndCalibrationMatchHandComputation) {
  const std::vector<uint8_t> y = {1, 0, 1, 0};
  const std::vector<double> p = {0.75, 0.5, 0.25, 0.0};
  MetricsOptions options;
  options.calibration_bins = 2;  // bins [0, 0.5) and [0.5, 1]
  options.log_loss_epsilon = 1e-3;
  Result<Metrics> m = ComputeMetrics(y, p, {}, options);
  ASSERT_OK(m);
  // Squared errors 0.0625, 0.25, 0.5625, 0.
  EXPECT_DOUBLE_EQ(m->rmse, std::sqrt(0.875 / 4.0));
  // p >= 0.5 predicts correct: right, wrong (0.5 predicts correct), wrong, right.
  EXPECT_DOUBLE_EQ(m->accuracy, 0.5);
  // -[log 0.75 + log 0.5 + log 0.25 + log(1 - 0.001)] / 4 (0 is clipped to 0.001).
  EXPECT_NEAR(m->log_loss,
              -(std::log(0.75) + std::log(0.5) + std::log(0.25) + std::log(0.999)) / 4.0, 1e-15);
  // Bin [0, 0.5): p 0.25, 0 (sum 0.25), y 1, 0 (sum 1). Bin [0.5, 1]: p 0.75, 0.5 (1.25), y 1, 0
  // (1).
  EXPECT_DOUBLE_EQ(m->ece, (std::abs(0.25 - 1.0) + std::abs(1.25 - 1.0)) / 4.0);
  EXPECT_TRUE(std::isnan(m->auc_competency_mean));
}

TEST(MetricsTest, RejectsBadInputNamingTheIndex) {
  Result<Metrics> m = ComputeMetrics({1, 0}, {0.5});
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  m = ComputeMetrics({1, 0}, {0.5, std::nan("")});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("p_correct[1]"), std::string::npos) << m.status();
  m = ComputeMetrics({1, 2}, {0.5, 0.5});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("correct[1]"), std::string::npos) << m.status();
  m = ComputeMetrics({1}, {1.5});
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  MetricsOptions bad;
  bad.calibration_bins = 0;
  EXPECT_EQ(ComputeMetrics({1}, {0.5}, {}, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(FoldsTest, AssignmentIsSeededBalancedAndCoversEveryFold) {
  const std::vector<uint32_t> a = AssignLearnerFolds(103, 5, 11);
  const std::vector<uint32_t> b = AssignLearnerFolds(103, 5, 11);
  const std::vector<uint32_t> c = AssignLearnerFolds(103, 5, 12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<int> sizes(5, 0);
  for (uint32_t f : a) {
    ASSERT_LT(f, 5u);
    ++sizes[f];
  }
  for (int size : sizes) {
    EXPECT_GE(size, 20);
    EXPECT_LE(size, 21);
  }
}

ResponseLog SimulatedLog(size_t learners, uint64_t seed) {
  // Standard BKT (prior 0.3, learn 0.2, guess 0.2, slip 0.1) on three skills, learners' rows
  // interleaved.
  std::mt19937_64 rng(seed);
  auto uniform = [&] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<std::vector<bool>> learned(learners, std::vector<bool>(3));
  for (auto& row : learned) {
    for (size_t c = 0; c < 3; ++c) row[c] = uniform() < 0.3;
  }
  ResponseLog log;
  for (int t = 0; t < 15; ++t) {
    for (size_t l = 0; l < learners; ++l) {
      const size_t c = rng() % 3;
      const bool known = learned[l][c];
      const bool correct = known ? uniform() >= 0.1 : uniform() < 0.2;
      log.AddRow("l" + std::to_string(l), "s" + std::to_string(c), "", correct);
      learned[l][c] = known || uniform() < 0.2;
    }
  }
  return log;
}

TEST(CrossValidationTest, FoldsAreDisjointByLearnerAndPredictEveryRowOnce) {
  const ResponseLog log = SimulatedLog(120, 5);
  CrossValidationOptions options;
  options.folds = 4;
  options.seed = 99;
  Result<CrossValidationResult> cv = CrossValidate(log, FitOptions(), options);
  ASSERT_OK(cv);
  ASSERT_EQ(cv->folds.size(), 4u);
  ASSERT_EQ(cv->learner_fold.size(), log.learners.size());
  // Each fold scored exactly the rows of its own learners, and the folds together scored every row.
  std::vector<size_t> rows_in_fold(4, 0);
  for (size_t r = 0; r < log.num_rows(); ++r) ++rows_in_fold[cv->learner_fold[log.learner[r]]];
  size_t total = 0;
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(cv->folds[k].count, rows_in_fold[k]);
    total += cv->folds[k].count;
  }
  EXPECT_EQ(total, log.num_rows());
  EXPECT_EQ(cv->pooled.count, log.num_rows());
  EXPECT_EQ(cv->learner_fold, AssignLearnerFolds(log.learners.size(), 4, 99));
  // Predictions come from BKT fitted on other learners: clearly better than chance on BKT data.
  EXPECT_GT(cv->pooled.auc, 0.6);
}

TEST(CrossValidationTest, HeldOutLearnersDoNotInfluenceTheirOwnPredictions) {
  // Fold k's predictions must equal those of a model fitted on the other folds' learners alone.
  const ResponseLog log = SimulatedLog(60, 6);
  CrossValidationOptions options;
  options.folds = 3;
  options.seed = 3;
  Result<CrossValidationResult> cv = CrossValidate(log, FitOptions(), options);
  ASSERT_OK(cv);
  std::vector<bool> train(log.learners.size());
  for (size_t l = 0; l < train.size(); ++l) train[l] = cv->learner_fold[l] != 0;
  const ResponseLog train_log = log.SelectLearners(train);
  Result<FitResult> fit = FitBkt(train_log, FitOptions());
  ASSERT_OK(fit);
  std::vector<bool> test(train.size());
  for (size_t l = 0; l < test.size(); ++l) test[l] = !train[l];
  const ResponseLog test_log = log.SelectLearners(test);
  Result<Metrics> direct = EvaluateModel(fit->model, test_log);
  ASSERT_OK(direct);
  EXPECT_EQ(direct->count, cv->folds[0].count);
  EXPECT_DOUBLE_EQ(direct->rmse, cv->folds[0].rmse);
  EXPECT_DOUBLE_EQ(direct->auc, cv->folds[0].auc);
}

TEST(CrossValidationTest, SameSeedSameResultOtherSeedOtherSplit) {
  const ResponseLog log = SimulatedLog(50, 7);
  CrossValidationOptions options;
  options.folds = 5;
  Result<CrossValidationResult> a = CrossValidate(log, FitOptions(), options);
  Result<CrossValidationResult> b = CrossValidate(log, FitOptions(), options);
  options.seed += 1;
  Result<CrossValidationResult> c = CrossValidate(log, FitOptions(), options);
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK(c);
  EXPECT_EQ(a->pooled.auc, b->pooled.auc);
  EXPECT_EQ(a->learner_fold, b->learner_fold);
  EXPECT_NE(a->learner_fold, c->learner_fold);
}

TEST(CrossValidationTest, RejectsTooFewLearners) {
  ResponseLog log;
  log.AddRow("ann", "s", "", true);
  log.AddRow("bob", "s", "", false);
  CrossValidationOptions options;
  options.folds = 3;
  EXPECT_EQ(CrossValidate(log, FitOptions(), options).status().code(),
            StatusCode::kInvalidArgument);
  options.folds = 1;
  EXPECT_EQ(CrossValidate(log, FitOptions(), options).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pathwise
