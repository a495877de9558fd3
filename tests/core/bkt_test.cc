#include <cmath>
#include <cstdint>
#include <random>

#include <gtest/gtest.h>

#include <pathwise/bkt.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

TEST(BktTest, CorrectAnswerMatchesHandComputedPosterior) {
  // prior 0.3, guess 0.2, slip 0.1: P(L|correct) = 0.3*0.9 / (0.3*0.9 + 0.7*0.2) = 0.27 / 0.41.
  EXPECT_NEAR(Posterior(0.3, 0.2, 0.1, 1.0), 0.27 / 0.41, 1e-15);
  // learn 0.15: P(L_next) = post + (1 - post) * 0.15.
  BktParams params{0.3, 0.15, 0.0, 0.2, 0.1};
  const double post = 0.27 / 0.41;
  EXPECT_NEAR(UpdateMastery(params, 0.3, 1.0), post + (1 - post) * 0.15, 1e-15);
}

TEST(BktTest, IncorrectAnswerMatchesHandComputedPosterior) {
  // P(L|incorrect) = 0.3*0.1 / (0.3*0.1 + 0.7*0.8) = 0.03 / 0.59.
  EXPECT_NEAR(Posterior(0.3, 0.2, 0.1, 0.0), 0.03 / 0.59, 1e-15);
}

TEST(BktTest, ForgettingIsAppliedInTheTransition) {
  EXPECT_NEAR(Transition(0.8, 0.1, 0.05), 0.8 * 0.95 + 0.2 * 0.1, 1e-15);
}

TEST(BktTest, PredictCorrectMixesSlipAndGuess) {
  EXPECT_NEAR(PredictCorrect(0.25, 0.2, 0.1), 0.25 * 0.9 + 0.75 * 0.2, 1e-15);
}

TEST(BktTest, PartialCreditInterpolatesMonotonically) {
  double previous = Posterior(0.4, 0.2, 0.1, 0.0);
  for (double credit = 0.1; credit <= 1.0001; credit += 0.1) {
    const double current = Posterior(0.4, 0.2, 0.1, std::min(credit, 1.0));
    EXPECT_GT(current, previous) << "credit " << credit;
    previous = current;
  }
  EXPECT_NEAR(Posterior(0.4, 0.2, 0.1, 1.0 - 1e-12), Posterior(0.4, 0.2, 0.1, 1.0), 1e-9);
}

TEST(BktTest, SmallerWeightMovesMasteryLessInTheSameDirection) {
  const BktParams params{0.4, 0.1, 0.0, 0.2, 0.1};
  const double full = UpdateMastery(params, 0.4, 1.0, 1.0);
  const double half = UpdateMastery(params, 0.4, 1.0, 0.5);
  EXPECT_GT(half, 0.4);
  EXPECT_LT(half, full);
  const double full_wrong = Posterior(0.4, 0.2, 0.1, 0.0, 1.0);
  const double half_wrong = Posterior(0.4, 0.2, 0.1, 0.0, 0.5);
  EXPECT_LT(half_wrong, 0.4);
  EXPECT_GT(half_wrong, full_wrong);
}

// Property: over random parameters and states, mastery stays in [0, 1] and a correct answer never
// lowers the posterior when 1 - slip > guess. Doubles come from raw engine bits (portable across
// libraries).
TEST(BktTest, PropertiesHoldOverRandomParameters) {
  std::mt19937_64 rng(20261122);
  auto unit = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  for (int i = 0; i < 100000; ++i) {
    BktParams params{unit(), unit(), unit() * 0.2, unit() * 0.5, unit() * 0.49};
    const double p = unit();
    const double credit = (i % 3 == 0) ? unit() : static_cast<double>(i % 2);
    const double next = UpdateMastery(params, p, credit);
    ASSERT_GE(next, 0.0);
    ASSERT_LE(next, 1.0);
    if (1.0 - params.slip > params.guess) {
      ASSERT_GE(Posterior(p, params.guess, params.slip, 1.0), p - 1e-15)
          << "seed 20261122, i " << i;
      ASSERT_LE(Posterior(p, params.guess, params.slip, 0.0), p + 1e-15)
          << "seed 20261122, i " << i;
    }
  }
}

TEST(BktTest, ValidateNamesTheBadField) {
  BktParams params;
  params.slip = 1.5;
  Status s = params.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("slip"), std::string::npos) << s;
  params.slip = std::nan("");
  EXPECT_FALSE(params.Validate().ok());
  params = BktParams{};
  params.guess = 0.6;
  params.slip = 0.4;
  s = params.Validate();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("guess + slip"), std::string::npos) << s;
  EXPECT_OK(BktParams{}.Validate());
}

TEST(BktTest, ExpectedOpportunitiesMatchesClosedFormAndIteration) {
  BktParams params{0.2, 0.3, 0.0, 0.2, 0.1};
  // 1 - 0.8 * 0.7^n >= 0.95  <=>  0.7^n <= 0.0625  <=>  n >= 7.77 -> 8.
  EXPECT_EQ(ExpectedOpportunitiesToMastery(params, 0.2, 0.95), 8);
  double p = 0.2;
  for (int n = 0; n < 8; ++n) p = Transition(p, 0.3, 0.0);
  EXPECT_GE(p, 0.95);
  EXPECT_EQ(ExpectedOpportunitiesToMastery(params, 0.96, 0.95), 0);
  params.forget = 0.05;  // ceiling 0.3 / 0.35 = 0.857 < 0.95
  EXPECT_EQ(ExpectedOpportunitiesToMastery(params, 0.2, 0.95), std::nullopt);
  params.forget = 0.01;  // ceiling 0.968: reachable, slower than without forgetting
  auto with_forget = ExpectedOpportunitiesToMastery(params, 0.2, 0.95);
  ASSERT_TRUE(with_forget.has_value());
  EXPECT_GT(*with_forget, 8);
}

}  // namespace
}  // namespace pathwise
