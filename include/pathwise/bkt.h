// Bayesian Knowledge Tracing: parameters and the update mathematics, stated once here.
//
// Two hidden states per (learner, competency): learned (L) and unlearned (U). With p = P(L) before
// an observation:
//
//   P(correct | L) = 1 - slip                 P(correct | U) = guess
//   P(correct)     = p (1 - slip) + (1 - p) guess                          (PredictCorrect)
//
// After observing credit c in [0, 1] (1 = correct, 0 = incorrect, anything between = partial
// credit), the posterior is Bayes' rule with the Bernoulli likelihood raised to the fractional
// outcome:
//
//   lik_L = (1 - slip)^c slip^(1 - c)         lik_U = guess^c (1 - guess)^(1 - c)
//   P(L | obs) = p lik_L / (p lik_L + (1 - p) lik_U)                       (Posterior)
//
// which is exactly the textbook update at c = 0 and c = 1, and moves mastery monotonically in c
// between. Then the learner may learn or forget before the next opportunity:
//
//   P(L_next) = P(L | obs) (1 - forget) + (1 - P(L | obs)) learn            (Transition)
//
// Evidence weight w in (0, 1] (an activity that practises a competency only partly, see
// competency_graph.h): the likelihoods are raised to the power w and learn is multiplied by w, so w
// = 1 is plain BKT and smaller weights move mastery less, never in the other direction.
//
// How the state is carried: odds with an exponent of their own. Between observations the state of
// a (learner, competency) is the odds o = P(L) / (1 - P(L)), not P(L). A probability stored as a
// double rounds to exactly 1.0 once 1 - P(L) falls below 2^-53 (about 25 correct answers at
// ordinary parameters), and then no evidence moves it. The odds after a streak of 2,000 answers are
// about 10^1300, beyond a double too, so they are held as scale x 2^(512 exponent) with an integer
// exponent (struct Odds): equivalently, the log-odds log(o) = log(scale) + 512 exponent ln 2 in two
// parts, an exact one and a double. With odds, Bayes' rule is one product by the likelihood ratio
// and the transition is one quotient:
//
//   o | obs  = o lik_L / lik_U                                                   (PosteriorOdds)
//   o_next   = (o (1 - forget) + learn) / ((1 - learn) + o forget)                (TransitionOdds)
//
// (numerator and denominator are P(L_next) and 1 - P(L_next) divided by P(U | obs), each a sum of
// non-negative terms, so neither loses precision to cancellation; every step costs a few ulps of
// the odds, that is of the order of 1e-16 in the log-odds however far out they are). P(L) and
// P(correct) are read from the odds when needed (Odds::mastery, PredictCorrectFromOdds); the store
// keeps the log-odds. The odds are 0 or infinite exactly when P(L) is 0 or 1 (a prior of 0 or 1, or
// an answer impossible in one state). Posterior, Transition and UpdateMastery above state the same
// maths on probabilities for a single step; nothing carries a state across observations with them.
// tests/core/bkt_reference_test.cc checks the odds path against 80-digit arithmetic.
//
// Expected practice to mastery with no forgetting: P(L_n) = 1 - (1 - P(L_0)) (1 - learn)^n, so
// reaching threshold t takes ceil(log((1 - t) / (1 - P(L_0))) / log(1 - learn)) opportunities. With
// forgetting the level tends to learn / (learn + forget); if that is below t, practice alone never
// reaches t.
#ifndef PATHWISE_BKT_H_
#define PATHWISE_BKT_H_

#include <cmath>
#include <cstdint>
#include <optional>

#include <pathwise/status.h>

namespace pathwise {

/// The five BKT probabilities of one competency. Every field is a probability in [0, 1].
struct BktParams {
  /// P(L_0): probability that the competency is already learned before the first opportunity.
  double prior = 0.1;
  /// P(T): probability of moving from unlearned to learned at an opportunity.
  double learn = 0.1;
  /// P(F): probability of moving from learned to unlearned at an opportunity; 0 is standard BKT.
  double forget = 0.0;
  /// P(correct | unlearned).
  double guess = 0.2;
  /// P(incorrect | learned).
  double slip = 0.1;

  /// InvalidArgument naming the field when one is NaN or outside [0, 1], or when guess + slip >= 1
  /// (then a correct answer would be evidence of *not* knowing: the degenerate BKT solution).
  Status Validate() const;

  friend bool operator==(const BktParams& a, const BktParams& b) {
    return a.prior == b.prior && a.learn == b.learn && a.forget == b.forget && a.guess == b.guess &&
           a.slip == b.slip;
  }
  friend bool operator!=(const BktParams& a, const BktParams& b) { return !(a == b); }
};

/// P(correct) at the next opportunity given P(L) = p_learned.
inline double PredictCorrect(double p_learned, double guess, double slip) {
  return p_learned * (1.0 - slip) + (1.0 - p_learned) * guess;
}
inline double PredictCorrect(const BktParams& params, double p_learned) {
  return PredictCorrect(p_learned, params.guess, params.slip);
}

/// P(L | observation) for credit in [0, 1] and evidence weight in (0, 1]. See the file comment.
inline double Posterior(double p_learned, double guess, double slip, double credit,
                        double weight = 1.0) {
  double lik_learned, lik_unlearned;
  if (credit == 1.0) {
    lik_learned = 1.0 - slip;
    lik_unlearned = guess;
  } else if (credit == 0.0) {
    lik_learned = slip;
    lik_unlearned = 1.0 - guess;
  } else {
    lik_learned = std::pow(1.0 - slip, credit) * std::pow(slip, 1.0 - credit);
    lik_unlearned = std::pow(guess, credit) * std::pow(1.0 - guess, 1.0 - credit);
  }
  if (weight != 1.0) {
    lik_learned = std::pow(lik_learned, weight);
    lik_unlearned = std::pow(lik_unlearned, weight);
  }
  const double num = p_learned * lik_learned;
  const double den = num + (1.0 - p_learned) * lik_unlearned;
  // den is 0 only when the observation is impossible under both states (e.g. guess = 0 and a
  // correct answer while p = 0); the observation then carries no usable evidence.
  return den > 0.0 ? num / den : p_learned;
}

/// P(L_next) from P(L | observation): learning and forgetting between opportunities.
inline double Transition(double p_learned, double learn, double forget) {
  return p_learned * (1.0 - forget) + (1.0 - p_learned) * learn;
}

/// Posterior then Transition: the full online update of one opportunity.
inline double UpdateMastery(const BktParams& params, double p_learned, double credit,
                            double weight = 1.0) {
  const double post = Posterior(p_learned, params.guess, params.slip, credit, weight);
  return Transition(post, params.learn * weight, params.forget);
}

/// log(p / (1 - p)): +inf at p = 1, -inf at p = 0. REQUIRES: p in [0, 1].
inline double ProbabilityToLogOdds(double p) { return std::log(p) - std::log1p(-p); }

/// P(L) = 1 / (1 + exp(-x)): 1 at +inf, 0 at -inf.
inline double MasteryFromLogOdds(double log_odds) { return 1.0 / (1.0 + std::exp(-log_odds)); }

/// The carried state of one (learner, competency): the odds P(L) / (1 - P(L)) as
/// scale x 2^(512 exponent). See the file comment.
struct Odds {
  /// In [2^-256, 2^256), or 0 or inf with exponent 0 (P(L) = 0 or 1).
  double scale = 1.0;
  int32_t exponent = 0;

  /// The state at probability p (a prior). REQUIRES: p in [0, 1].
  static Odds OfProbability(double p);
  /// The state with these log-odds (what the store keeps). REQUIRES: not NaN.
  static Odds OfLogOdds(double log_odds);

  /// P(L), and (1 - P(L)) as the Inverse's mastery, each to a few ulps (the small one too).
  double mastery() const;
  /// log(P(L) / (1 - P(L))): +-inf at certainty.
  double log_odds() const;
  /// (1 - P(L)) / P(L).
  Odds Inverse() const { return {1.0 / scale, -exponent}; }
};

/// lik_L / lik_U of one observation (credit c in [0, 1], evidence weight w): the factor
/// PosteriorOdds applies. inf when the observation is impossible unlearned (guess 0 and credit 1,
/// say), 0 when it is impossible learned, NaN when it is impossible in both states.
double LikelihoodRatio(double guess, double slip, double credit, double weight = 1.0);

namespace detail {
// The window a scale stays in (Odds::scale), and the out-of-line rest of the two updates below.
inline constexpr double kOddsLow = 0x1.0p-256;
inline constexpr double kOddsHigh = 0x1.0p256;
Odds PosteriorOddsSlow(Odds odds, double likelihood_ratio);
Odds TransitionOddsSlow(Odds odds, double learn, double forget);
double PredictCorrectFromOddsSlow(const Odds& odds, double guess, double slip);
}  // namespace detail

/// P(correct) at the next opportunity: (o (1 - slip) + guess) / (1 + o), to a few ulps.
inline double PredictCorrectFromOdds(const Odds& odds, double guess, double slip) {
  // Odds with exponent 0 below the window's top are a finite double; then both sums add
  // non-negative terms and the quotient is within a few ulps of P(correct) at any odds, so the
  // common case needs one division and no call (bench/README.md, issue 12).
  if (odds.exponent == 0 && odds.scale < detail::kOddsHigh) {
    return (odds.scale * (1.0 - slip) + guess) / (1.0 + odds.scale);
  }
  return detail::PredictCorrectFromOddsSlow(odds, guess, slip);
}

/// The odds times the likelihood ratio; an impossible observation (NaN ratio, or a ratio of 0 or
/// inf against a certainty the other way) leaves the odds unchanged, as Posterior leaves p.
inline Odds PosteriorOdds(Odds odds, double likelihood_ratio) {
  // A product inside the window (false for NaN) needed no rescaling: the common case, inline.
  const double scale = odds.scale * likelihood_ratio;
  if (scale >= detail::kOddsLow && scale < detail::kOddsHigh) return {scale, odds.exponent};
  return detail::PosteriorOddsSlow(odds, likelihood_ratio);
}

/// The odds of P(L_next) from those of P(L | observation). See the file comment.
inline Odds TransitionOdds(Odds odds, double learn, double forget) {
  if (odds.exponent == 0) {
    const double next =
        (odds.scale * (1.0 - forget) + learn) / ((1.0 - learn) + odds.scale * forget);
    if (next >= detail::kOddsLow && next < detail::kOddsHigh) return {next, 0};
  }
  return detail::TransitionOddsSlow(odds, learn, forget);
}

/// PosteriorOdds then TransitionOdds: the full online update of one opportunity, on the carried
/// state.
inline Odds UpdateOdds(const BktParams& params, Odds odds, double credit, double weight = 1.0) {
  const Odds post = PosteriorOdds(odds, LikelihoodRatio(params.guess, params.slip, credit, weight));
  return TransitionOdds(post, params.learn * weight, params.forget);
}

/// The level that practice tends to: learn / (learn + forget); 1 when forget is 0.
inline double MasteryCeiling(const BktParams& params) {
  if (params.forget <= 0.0) return params.learn > 0.0 ? 1.0 : 0.0;
  return params.learn / (params.learn + params.forget);
}

/// Expected opportunities (each followed by a learning transition) until P(L) >= threshold,
/// starting from p_learned, by the closed form in the file comment when forget = 0 and by iterating
/// the expected level otherwise. Returns 0 when already there, std::nullopt when the threshold is
/// unreachable by practice (ceiling below threshold, or learn = 0).
std::optional<int> ExpectedOpportunitiesToMastery(const BktParams& params, double p_learned,
                                                  double threshold);

}  // namespace pathwise

#endif  // PATHWISE_BKT_H_
