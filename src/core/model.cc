#include <cmath>
#include <string>

#include <pathwise/fit.h>  // ValidateFittedVariants
#include <pathwise/model.h>

namespace pathwise {
namespace {

// "guess: must be ..." under "defaults" -> "defaults.guess: must be ..."; a message that does not
// start with a field path ("guess + slip must be below 1") gets "defaults: " in front instead.
Status WithFieldPath(const Status& status, const std::string& prefix) {
  if (status.ok()) return status;
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  const bool path_first = colon != std::string::npos && colon > 0 && message.find(' ') > colon;
  if (!path_first) return status.WithContext(prefix);
  return Status(status.code(), prefix + (message.front() == '[' ? "" : ".") + message);
}

Status CheckOverride(const std::string& path, const std::optional<double>& value) {
  if (value && (std::isnan(*value) || *value < 0.0 || *value > 1.0)) {
    return Status::InvalidArgument(path + ": must be a probability in [0, 1], got " +
                                   std::to_string(*value));
  }
  return Status::Ok();
}

bool IsProbability(double x) { return !std::isnan(x) && x >= 0.0 && x <= 1.0; }

// CheckOverride without the colon after the path: the fitted variants' messages, kept as they were.
Status CheckVariantOverride(const std::string& path, const std::optional<double>& value) {
  if (value && !IsProbability(*value)) {
    return Status::InvalidArgument(path + " must be a probability in [0, 1], got " +
                                   std::to_string(*value));
  }
  return Status::Ok();
}

BktParams ApplyOverrides(BktParams params, const ActivityParams& overrides) {
  if (overrides.guess) params.guess = *overrides.guess;
  if (overrides.slip) params.slip = *overrides.slip;
  if (overrides.learn) params.learn = *overrides.learn;
  return params;
}

}  // namespace

Status BktModel::Validate() const {
  PATHWISE_RETURN_IF_ERROR(WithFieldPath(defaults.Validate(), "defaults"));
  for (const auto& [id, params] : competencies) {
    PATHWISE_RETURN_IF_ERROR(WithFieldPath(params.Validate(), "competencies[" + id + "]"));
  }
  for (const auto& [id, overrides] : activities) {
    const std::string path = "activities[" + id + "]";
    PATHWISE_RETURN_IF_ERROR(CheckOverride(path + ".guess", overrides.guess));
    PATHWISE_RETURN_IF_ERROR(CheckOverride(path + ".slip", overrides.slip));
    PATHWISE_RETURN_IF_ERROR(CheckOverride(path + ".learn", overrides.learn));
    // An override pair must stand on its own; a single override is checked against every base it
    // may meet (the defaults and each competency's parameters).
    if (overrides.guess && overrides.slip) {
      PATHWISE_RETURN_IF_ERROR(WithFieldPath(ApplyOverrides(defaults, overrides).Validate(), path));
    } else if (overrides.guess || overrides.slip) {
      PATHWISE_RETURN_IF_ERROR(
          ApplyOverrides(defaults, overrides).Validate().WithContext(path + " with defaults"));
      for (const auto& [cid, params] : competencies) {
        PATHWISE_RETURN_IF_ERROR(ApplyOverrides(params, overrides)
                                     .Validate()
                                     .WithContext(path + " with competencies[" + cid + "]"));
      }
    }
  }
  return ValidateFittedVariants(*this);
}

Status ValidateFittedVariants(const BktModel& model) {
  for (const auto& [competency, activities] : model.competency_activities) {
    const BktParams base = model.ParamsFor(competency);
    for (const auto& [activity, overrides] : activities) {
      const std::string path = "competency_activities[" + competency + "][" + activity + "]";
      PATHWISE_RETURN_IF_ERROR(CheckVariantOverride(path + ".guess", overrides.guess));
      PATHWISE_RETURN_IF_ERROR(CheckVariantOverride(path + ".slip", overrides.slip));
      PATHWISE_RETURN_IF_ERROR(CheckVariantOverride(path + ".learn", overrides.learn));
      PATHWISE_RETURN_IF_ERROR(ApplyOverrides(base, overrides).Validate().WithContext(path));
    }
  }
  for (const auto& [competency, classes] : model.competency_learn_classes) {
    for (const auto& [name, learn] : classes) {
      if (!IsProbability(learn)) {
        return Status::InvalidArgument("competency_learn_classes[" + competency + "][" + name +
                                       "]: must be a probability in [0, 1], got " +
                                       std::to_string(learn));
      }
    }
  }
  if (!model.group_priors.empty() && model.prior_groups == PriorGroupSource::kNone) {
    return Status::InvalidArgument("group_priors is set but prior_groups is none");
  }
  for (const auto& [competency, groups] : model.group_priors) {
    for (const auto& [group, prior] : groups) {
      if (!IsProbability(prior)) {
        return Status::InvalidArgument("group_priors[" + competency + "][" + group +
                                       "]: must be a probability in [0, 1], got " +
                                       std::to_string(prior));
      }
    }
  }
  for (const auto& [learner, factors] : model.learner_factors) {
    if (!std::isfinite(factors.prior_offset) || !std::isfinite(factors.learn_offset)) {
      return Status::InvalidArgument("learner_factors[" + learner + "]: offsets must be finite");
    }
  }
  return Status::Ok();
}

BktParams BktModel::ParamsFor(const std::string& competency_id,
                              const std::optional<BktParams>& authored) const {
  auto it = competencies.find(competency_id);
  if (it != competencies.end()) return it->second;
  if (authored) return *authored;
  return defaults;
}

BktParams BktModel::ParamsFor(const std::string& competency_id, const std::string& activity_id,
                              const std::optional<BktParams>& authored) const {
  BktParams params = ParamsFor(competency_id, authored);
  // A fitted per-(competency, activity) value wins over a model-wide per-activity one.
  auto fitted = competency_activities.find(competency_id);
  if (fitted != competency_activities.end()) {
    auto it = fitted->second.find(activity_id);
    if (it != fitted->second.end()) return ApplyOverrides(params, it->second);
  }
  auto it = activities.find(activity_id);
  if (it != activities.end()) params = ApplyOverrides(params, it->second);
  return params;
}

}  // namespace pathwise
