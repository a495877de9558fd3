// The carried BKT state (log-odds, bkt.h) against 80-digit arithmetic (Boost.Multiprecision):
// random parameter sets with partial credit, Q-matrix weights and forgetting, streaks of up to
// 2,000 equal answers followed by the opposite answers. The reference carries P(L) and 1 - P(L)
// separately, each as a sum of non-negative terms with 80 significant digits and an exponent range
// far beyond a double's, so it is exact for every purpose here (1 - P(L) after 2,000 correct
// answers is about 1e-1300).
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <gtest/gtest.h>

#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using Exact = boost::multiprecision::number<boost::multiprecision::cpp_bin_float<80>,
                                            boost::multiprecision::et_off>;

// a > b for odds in canonical form (bkt.h): by exponent, then by scale.
bool Greater(const Odds& a, const Odds& b) {
  if (a.exponent != b.exponent) return a.exponent > b.exponent;
  return a.scale > b.scale;
}

// A double in [lo, hi) from raw engine bits (portable across standard libraries).
double Uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// P(L) and 1 - P(L), each exact to 80 digits.
struct ExactState {
  Exact learned;
  Exact unlearned;
};

ExactState ExactPrior(double prior) { return {Exact(prior), Exact(1) - Exact(prior)}; }

// lik_L and lik_U of bkt.h: the Bernoulli likelihoods raised to the credit and to the weight.
struct ExactLikelihoods {
  Exact learned;
  Exact unlearned;
};

ExactLikelihoods ExactLikelihoodsOf(const BktParams& p, double credit, double weight) {
  using boost::multiprecision::pow;
  const Exact c(credit), w(weight), one(1);
  return {pow(pow(one - Exact(p.slip), c) * pow(Exact(p.slip), one - c), w),
          pow(pow(Exact(p.guess), c) * pow(one - Exact(p.guess), one - c), w)};
}

// Bayes' rule, then learn * weight and forget: the textbook update of bkt.h.
ExactState ExactUpdate(const ExactState& s, const BktParams& p, const ExactLikelihoods& lik,
                       double weight) {
  const Exact one(1);
  const Exact num_learned = s.learned * lik.learned;
  const Exact num_unlearned = s.unlearned * lik.unlearned;
  const Exact den = num_learned + num_unlearned;
  const Exact post_learned = num_learned / den;
  const Exact post_unlearned = num_unlearned / den;
  const Exact learn = Exact(p.learn) * Exact(weight);
  const Exact forget(p.forget);
  return {post_learned * (one - forget) + post_unlearned * learn,
          post_unlearned * (one - learn) + post_learned * forget};
}

// The likelihoods of a step, computed once per case for the answers 0 and 1 (pow() at 80 digits is
// what makes the reference slow).
class LikelihoodCache {
 public:
  LikelihoodCache(const BktParams& p, double weight)
      : p_(p),
        weight_(weight),
        incorrect_(ExactLikelihoodsOf(p, 0.0, weight)),
        correct_(ExactLikelihoodsOf(p, 1.0, weight)) {}
  ExactLikelihoods operator()(double credit) const {
    if (credit == 0.0) return incorrect_;
    if (credit == 1.0) return correct_;
    return ExactLikelihoodsOf(p_, credit, weight_);
  }

 private:
  BktParams p_;
  double weight_;
  ExactLikelihoods incorrect_, correct_;
};

struct Case {
  BktParams params;
  double weight;  // Q-matrix weight of the one activity
  std::vector<double> credits;
};

// Random parameters inside (0, 1) with guess + slip < 0.95 (so every answer carries evidence), half
// of them with forgetting; a weight of 1 or in [0.1, 1); a streak of 1 to 2,000 equal answers (0/1,
// or partial credit near the end) then up to 2,000 of the opposite, a few partial credits mixed in.
Case RandomCase(std::mt19937_64& rng) {
  Case c;
  BktParams& p = c.params;
  p.prior = Uniform(rng, 0.01, 0.99);
  p.learn = Uniform(rng, 0.0, 0.5);
  p.forget = rng() % 2 == 0 ? 0.0 : Uniform(rng, 0.0, 0.2);
  p.guess = Uniform(rng, 0.01, 0.45);
  p.slip = Uniform(rng, 0.01, std::min(0.45, 0.95 - p.guess));
  c.weight = rng() % 2 == 0 ? 1.0 : Uniform(rng, 0.1, 1.0);
  const bool start_correct = rng() % 2 == 0;
  const int streak = 1 + static_cast<int>(rng() % 2000);
  const int opposite = static_cast<int>(rng() % 2001);
  for (int i = 0; i < streak; ++i) c.credits.push_back(start_correct ? 1.0 : 0.0);
  for (int i = 0; i < opposite; ++i) c.credits.push_back(start_correct ? 0.0 : 1.0);
  for (int i = 0; i < 5; ++i) {
    const size_t at = static_cast<size_t>(rng() % c.credits.size());
    c.credits[at] = Uniform(rng, 0.0, 1.0);
  }
  return c;
}

constexpr int kCases = 100;
constexpr double kTolerance = 1e-12;

TEST(BktReferenceTest, LogOddsUpdateAgreesWithExactArithmetic) {
  std::mt19937_64 rng(20261204);
  for (int k = 0; k < kCases; ++k) {
    const Case c = RandomCase(rng);
    const BktParams& p = c.params;
    const LikelihoodCache likelihoods(p, c.weight);
    ExactState exact = ExactPrior(p.prior);
    Odds x = Odds::OfProbability(p.prior);
    for (size_t i = 0; i < c.credits.size(); ++i) {
      const double credit = c.credits[i];
      const std::string where = "case " + std::to_string(k) + " step " + std::to_string(i) +
                                " credit " + std::to_string(credit);
      // Before the observation: P(correct).
      const double exact_correct = static_cast<double>(exact.learned * Exact(1.0 - p.slip) +
                                                       exact.unlearned * Exact(p.guess));
      ASSERT_NEAR(PredictCorrectFromOdds(x, p.guess, p.slip), exact_correct, kTolerance) << where;
      // Bayes' rule moves the state the way the exact value goes (the evidence is never 0 here).
      const ExactLikelihoods lik = likelihoods(credit);
      const Exact exact_prior_odds = exact.learned / exact.unlearned;
      const Exact exact_post_odds = exact_prior_odds * lik.learned / lik.unlearned;
      const Odds post = PosteriorOdds(x, LikelihoodRatio(p.guess, p.slip, credit, c.weight));
      if (exact_post_odds > exact_prior_odds) {
        ASSERT_TRUE(Greater(post, x)) << where;
      }
      if (exact_post_odds < exact_prior_odds) {
        ASSERT_TRUE(Greater(x, post)) << where;
      }

      x = UpdateOdds(p, x, credit, c.weight);
      exact = ExactUpdate(exact, p, lik, c.weight);
      ASSERT_NEAR(x.mastery(), static_cast<double>(exact.learned), kTolerance) << where;
      // Far from 1/2 the small side is what the log-odds keep: check it relatively where a double
      // can hold it (elsewhere the exact value is below 1e-300 and the check above suffices).
      const Exact small = exact.learned < exact.unlearned ? exact.learned : exact.unlearned;
      if (small > Exact(1e-300)) {
        const double computed_small =
            exact.learned < exact.unlearned ? x.mastery() : x.Inverse().mastery();
        ASSERT_NEAR(computed_small / static_cast<double>(small), 1.0, 1e-9) << where;
      }
    }
  }
}

// The same sequences through MasteryTracker (Record and RecordSequence): the state the tracker
// carries is the one checked above, Q-matrix weight included.
TEST(BktReferenceTest, TrackerCarriesTheExactState) {
  std::mt19937_64 rng(7);
  for (int k = 0; k < 8; ++k) {
    const Case c = RandomCase(rng);
    GraphDefinition def;
    Competency competency;
    competency.id = "skill";
    competency.params = c.params;
    def.competencies = {competency};
    Activity activity;
    activity.id = "item";
    activity.competencies = {{"skill", c.weight}};
    def.activities = {activity};
    Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
    ASSERT_OK(graph);
    Result<std::unique_ptr<MasteryTracker>> tracker = MasteryTracker::Create(*graph, BktModel{});
    ASSERT_OK(tracker);
    Result<uint32_t> item = (*tracker)->ActivityIndex("item");
    ASSERT_OK(item);

    const LikelihoodCache likelihoods(c.params, c.weight);
    ExactState exact = ExactPrior(c.params.prior);
    std::vector<ResolvedOutcome> steps;
    for (size_t i = 0; i < c.credits.size(); ++i) {
      Result<RecordResult> recorded = (*tracker)->Record(
          {"e" + std::to_string(i), "ann", "item", c.credits[i], static_cast<TimestampMs>(i)});
      ASSERT_OK(recorded);
      exact = ExactUpdate(exact, c.params, likelihoods(c.credits[i]), c.weight);
      ASSERT_EQ(recorded->updated.size(), 1u);
      ASSERT_NEAR(recorded->updated[0].p_learned, static_cast<double>(exact.learned), kTolerance)
          << "case " << k << " step " << i;
      steps.push_back({*item, static_cast<float>(c.credits[i]), static_cast<TimestampMs>(i)});
    }
    // RecordSequence takes float credits: 0 and 1 are exact, partial credits differ in the 8th
    // digit, so compare the two tracker paths on 0/1 answers only.
    for (ResolvedOutcome& s : steps) s.outcome = s.outcome >= 0.5f ? 1.0f : 0.0f;
    ASSERT_OK((*tracker)->RecordSequence("bob", steps));
    ExactState bob = ExactPrior(c.params.prior);
    for (const ResolvedOutcome& s : steps)
      bob = ExactUpdate(bob, c.params, likelihoods(s.outcome), c.weight);
    Result<MasteryEstimate> got = (*tracker)->Mastery("bob", "skill");
    ASSERT_OK(got);
    EXPECT_NEAR(got->p_learned, static_cast<double>(bob.learned), kTolerance) << "case " << k;
  }
}

// The defect of issue 12, through the tracker: 30 correct then 30 wrong answers (prior .3, learn
// .2, guess .2, slip .1) end at 0.2345, not at a P(L) stuck on 1.0.
TEST(BktReferenceTest, MasteryRecoversAfterALongStreak) {
  const BktParams params{0.3, 0.2, 0.0, 0.2, 0.1};
  const LikelihoodCache likelihoods(params, 1.0);
  Odds x = Odds::OfProbability(params.prior);
  ExactState exact = ExactPrior(params.prior);
  for (int i = 0; i < 60; ++i) {
    const double credit = i < 30 ? 1.0 : 0.0;
    x = UpdateOdds(params, x, credit);
    exact = ExactUpdate(exact, params, likelihoods(credit), 1.0);
  }
  EXPECT_NEAR(x.mastery(), static_cast<double>(exact.learned), kTolerance);
  EXPECT_NEAR(x.mastery(), 0.2345, 5e-5);
}

}  // namespace
}  // namespace pathwise
