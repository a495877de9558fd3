#include <cmath>
#include <string>

#include <pathwise/bkt.h>

namespace pathwise {
namespace {

Status CheckProbability(const char* field, double value) {
  if (std::isnan(value) || value < 0.0 || value > 1.0) {
    return Status::InvalidArgument(std::string(field) + " must be a probability in [0, 1], got " +
                                   std::to_string(value));
  }
  return Status::Ok();
}

}  // namespace

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
