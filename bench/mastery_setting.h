// An experiment's --mastery NAME=VALUE (policy_suite, simulate_junyi): a numeric
// MasteryPolicyOptions field set by name, so that a setting can be tried without a rebuild.
#ifndef PATHWISE_BENCH_MASTERY_SETTING_H_
#define PATHWISE_BENCH_MASTERY_SETTING_H_

#include <cstdlib>
#include <string>
#include <utility>

#include <pathwise/recommender.h>

namespace pathwise_bench {

// The numeric MasteryPolicyOptions an experiment may set with --mastery NAME=VALUE.
inline bool SetMasteryOption(pathwise::MasteryPolicyOptions& options, const std::string& name,
                             double value) {
  static const std::pair<const char*, double pathwise::MasteryPolicyOptions::*> kDoubles[] = {
      {"readiness_weight", &pathwise::MasteryPolicyOptions::readiness_weight},
      {"goal_weight", &pathwise::MasteryPolicyOptions::goal_weight},
      {"difficulty_weight", &pathwise::MasteryPolicyOptions::difficulty_weight},
      {"remediation_weight", &pathwise::MasteryPolicyOptions::remediation_weight},
      {"review_weight", &pathwise::MasteryPolicyOptions::review_weight},
      {"continuity_weight", &pathwise::MasteryPolicyOptions::continuity_weight},
      {"target_success", &pathwise::MasteryPolicyOptions::target_success},
      {"advance_threshold", &pathwise::MasteryPolicyOptions::advance_threshold},
      {"difficulty_logit_scale", &pathwise::MasteryPolicyOptions::difficulty_logit_scale},
      {"review_recall_threshold", &pathwise::MasteryPolicyOptions::review_recall_threshold},
      {"remediation_max_p", &pathwise::MasteryPolicyOptions::remediation_max_p},
      {"progress_weight", &pathwise::MasteryPolicyOptions::progress_weight},
      {"stall_pause_hours", &pathwise::MasteryPolicyOptions::stall_pause_hours},
  };
  static const std::pair<const char*, int pathwise::MasteryPolicyOptions::*> kInts[] = {
      {"remediation_min_opportunities",
       &pathwise::MasteryPolicyOptions::remediation_min_opportunities},
      {"mastery_min_opportunities", &pathwise::MasteryPolicyOptions::mastery_min_opportunities},
      {"mastery_recent_correct", &pathwise::MasteryPolicyOptions::mastery_recent_correct},
      {"stall_min_attempts", &pathwise::MasteryPolicyOptions::stall_min_attempts},
  };
  for (const auto& [field, member] : kDoubles) {
    if (name == field) {
      options.*member = value;
      return true;
    }
  }
  for (const auto& [field, member] : kInts) {
    if (name == field) {
      options.*member = static_cast<int>(value);
      return true;
    }
  }
  return false;
}

// "NAME=VALUE" as (NAME, VALUE) when NAME is a field SetMasteryOption knows; else nothing.
inline bool ParseMasterySetting(const std::string& setting, std::pair<std::string, double>* out) {
  const size_t equals = setting.find('=');
  if (equals == std::string::npos) return false;
  pathwise::MasteryPolicyOptions probe;
  const std::string name = setting.substr(0, equals);
  const double value = std::atof(setting.c_str() + equals + 1);
  if (!SetMasteryOption(probe, name, value)) return false;
  *out = {name, value};
  return true;
}

}  // namespace pathwise_bench

#endif  // PATHWISE_BENCH_MASTERY_SETTING_H_
