#include <algorithm>
#include <cmath>
#include <string>

#include <pathwise/bkt.h>

namespace pathwise {
namespace {

Status CheckProbability(const char* field, double value) {
  if (std::isnan(value) || value < 0.0 || value > 1.0) {
    return Status::InvalidArgument(std::string(field) + ": must be a probability in [0, 1], got " +
                                   std::to_string(value));
  }
  return Status::Ok();
}

// Odds keep their scale in [2^-256, 2^256) while the exponent is not 0; one exponent step is
// 2^512, so a scale inside the window can be multiplied by any likelihood ratio in [2^-700, 2^700]
// or divided by a probability without leaving a double's range.
constexpr int kExponentBits = 512;
constexpr double kHigh = detail::kOddsHigh;
constexpr double kLow = detail::kOddsLow;
constexpr double kLn2 = 0.69314718055994530942;

// The canonical form of scale x 2^(512 exponent + extra_bits).
Odds Normalize(double scale, int64_t exponent, int64_t extra_bits = 0) {
  if (scale == 0.0 || std::isinf(scale)) return {scale, 0};  // certainty
  int binary = 0;
  const double fraction = std::frexp(scale, &binary);  // scale = fraction x 2^binary
  const int64_t bits = binary + extra_bits;
  // steps = floor((bits + 255) / 512) puts bits - 512 steps in [-256, 256).
  const int64_t shifted = bits + 255;
  const int64_t steps =
      shifted >= 0 ? shifted / kExponentBits : -((-shifted + kExponentBits - 1) / kExponentBits);
  exponent += steps;
  return {std::ldexp(fraction, static_cast<int>(bits - steps * kExponentBits)),
          static_cast<int32_t>(exponent)};
}

// Normalize, with the common case (a scale still inside the window) taking no frexp.
Odds Settle(double scale, int32_t exponent) {
  if (scale >= kLow && scale < kHigh) return {scale, exponent};
  return Normalize(scale, exponent);
}

// The odds as a plain double: 0 or inf where they are beyond its range.
double Value(const Odds& o) {
  return o.exponent == 0 ? o.scale : std::ldexp(o.scale, o.exponent * kExponentBits);
}

}  // namespace

Odds Odds::OfProbability(double p) { return Settle(p / (1.0 - p), 0); }

Odds Odds::OfLogOdds(double log_odds) {
  if (std::fabs(log_odds) < 170.0) return {std::exp(log_odds), 0};
  if (std::isinf(log_odds)) return {log_odds > 0 ? HUGE_VAL : 0.0, 0};
  // Log-odds beyond 2^30 exponent steps (about 4e11) are certainty for every purpose; clamping
  // keeps the conversion to int32_t defined.
  const double steps =
      std::max(-0x1.0p30, std::min(0x1.0p30, std::nearbyint(log_odds / (kExponentBits * kLn2))));
  return Settle(std::exp(log_odds - steps * (kExponentBits * kLn2)), static_cast<int32_t>(steps));
}

double Odds::mastery() const {
  // 1 / (1 + 1/o): exact at 0 (1/0 = inf) and at inf, and 1/o only underflows where P(L) is 1
  // to the last bit.
  return 1.0 / (1.0 + Value(Inverse()));
}

double Odds::log_odds() const {
  return std::log(scale) + static_cast<double>(exponent) * (kExponentBits * kLn2);
}

double detail::PredictCorrectFromOddsSlow(const Odds& odds, double guess, double slip) {
  // Beyond a double's range or at certainty, where o itself cannot enter the inline quotient: weigh
  // by the likelier state, (1 - slip) + guess / o when o >= 1, else o (1 - slip) + guess; the ratio
  // of the two states (<= 1) underflows harmlessly.
  if (odds.exponent > 0 || odds.scale >= 1.0) {
    const double ratio = Value(odds.Inverse());
    return ((1.0 - slip) + ratio * guess) / (1.0 + ratio);
  }
  const double ratio = Value(odds);
  return (ratio * (1.0 - slip) + guess) / (1.0 + ratio);
}

double LikelihoodRatio(double guess, double slip, double credit, double weight) {
  if (weight == 1.0) {
    if (credit == 1.0) return (1.0 - slip) / guess;  // NaN at 0/0: impossible either way
    if (credit == 0.0) return slip / (1.0 - guess);
  }
  // w (c log(lik ratio of a correct answer) + (1 - c) log(... of an incorrect one)); a term whose
  // coefficient is 0 is left out (0 x -inf would be NaN: an outcome that did not happen says
  // nothing, however impossible it was).
  const auto term = [](double coefficient, double log_value) {
    return coefficient == 0.0 ? 0.0 : coefficient * log_value;
  };
  const double log_learned = term(credit, std::log1p(-slip)) + term(1.0 - credit, std::log(slip));
  const double log_unlearned =
      term(credit, std::log(guess)) + term(1.0 - credit, std::log1p(-guess));
  return std::exp(weight * (log_learned - log_unlearned));  // NaN stays NaN
}

Odds detail::PosteriorOddsSlow(Odds odds, double likelihood_ratio) {
  if (std::isnan(likelihood_ratio)) return odds;
  if ((odds.scale == 0.0 && std::isinf(likelihood_ratio)) ||
      (std::isinf(odds.scale) && likelihood_ratio == 0.0)) {
    return odds;  // evidence against a certainty: impossible, no update
  }
  if (likelihood_ratio >= 0x1.0p-700 && likelihood_ratio <= 0x1.0p700) {
    return Settle(odds.scale * likelihood_ratio, odds.exponent);
  }
  if (likelihood_ratio == 0.0 || std::isinf(likelihood_ratio)) return {likelihood_ratio, 0};
  int bits = 0;
  const double fraction = std::frexp(likelihood_ratio, &bits);
  return Normalize(odds.scale * fraction, odds.exponent, bits);
}

Odds detail::TransitionOddsSlow(Odds odds, double learn, double forget) {
  if (learn == 0.0 && forget == 0.0) return odds;
  if (odds.exponent == 0) {
    const double o = odds.scale;
    if (std::isinf(o)) return forget > 0.0 ? Settle((1.0 - forget) / forget, 0) : odds;
    return Settle((o * (1.0 - forget) + learn) / ((1.0 - learn) + o * forget), 0);
  }
  if (odds.exponent > 0) {
    // o >= 2^256: learn / o is below the last bit of 1 - forget, but kept where it is not 0.
    const double inverse = Value(odds.Inverse());
    if (forget == 0.0) {
      return Settle(odds.scale * ((1.0 + learn * inverse) / (1.0 - learn)), odds.exponent);
    }
    return Settle(((1.0 - forget) + learn * inverse) / (forget + (1.0 - learn) * inverse), 0);
  }
  // o < 2^-256: likewise with the roles of learning and forgetting swapped.
  const double value = Value(odds);
  if (learn == 0.0) {
    return Settle(odds.scale * ((1.0 - forget) / (1.0 + value * forget)), odds.exponent);
  }
  return Settle((value * (1.0 - forget) + learn) / ((1.0 - learn) + value * forget), 0);
}

Status BktParams::Validate() const {
  PATHWISE_RETURN_IF_ERROR(CheckProbability("prior", prior));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("learn", learn));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("forget", forget));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("guess", guess));
  PATHWISE_RETURN_IF_ERROR(CheckProbability("slip", slip));
  if (guess + slip >= 1.0) {
    return Status::InvalidArgument("guess + slip must be below 1 (got " + std::to_string(guess) +
                                   " + " + std::to_string(slip) +
                                   "): a correct answer would then be evidence of not knowing");
  }
  return Status::Ok();
}

std::optional<int> ExpectedOpportunitiesToMastery(const BktParams& params, double p_learned,
                                                  double threshold) {
  if (p_learned >= threshold) return 0;
  if (params.learn <= 0.0 || MasteryCeiling(params) < threshold) return std::nullopt;
  if (params.forget <= 0.0) {
    if (params.learn >= 1.0) return 1;
    const double n = std::log((1.0 - threshold) / (1.0 - p_learned)) / std::log(1.0 - params.learn);
    // Guard against n landing a hair above an integer through rounding.
    const double rounded = std::round(n);
    return static_cast<int>(std::abs(n - rounded) < 1e-9 ? rounded : std::ceil(n));
  }
  // With forgetting the expected level approaches the ceiling geometrically; iterate. The ceiling
  // is at or above the threshold here, and when equal the level never gets there in finitely many
  // steps.
  constexpr int kMaxSteps = 1000000;
  double p = p_learned;
  for (int n = 1; n <= kMaxSteps; ++n) {
    p = Transition(p, params.learn, params.forget);
    if (p >= threshold) return n;
  }
  return std::nullopt;
}

}  // namespace pathwise
