// Simulation results as JSON, CSV and SVG (simulation_io.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/io/simulation_io.h>
#include <pathwise/io/svg_plot.h>
#include <pathwise/recommender.h>
#include <pathwise/simulator.h>

#include "csv_reader.h"
#include "params_json.h"

namespace pathwise {
namespace {

using nlohmann::ordered_json;

ordered_json Number(double x) { return std::isnan(x) ? ordered_json(nullptr) : ordered_json(x); }

ordered_json Numbers(const std::vector<double>& values) {
  ordered_json array = ordered_json::array();
  for (double x : values) array.push_back(Number(x));
  return array;
}

ordered_json ConfigJson(const SimulationOptions& options) {
  ordered_json config;
  config["seed"] = options.seed;
  config["learners"] = options.learners;
  config["steps"] = options.steps;
  ordered_json policies = ordered_json::array();
  for (PolicyKind kind : options.policies) policies.push_back(std::string(PolicyKindName(kind)));
  config["policies"] = policies;
  config["goals"] = options.goals;
  const LearnerModelOptions& truth = options.truth;
  ordered_json t;
  t["defaults"] = io_internal::ParamsJson(truth.model.defaults);
  t["competencies_with_own_params"] = truth.model.competencies.size();
  t["competency_learn_spread"] = truth.competency_learn_spread;
  t["competency_prior_spread"] = truth.competency_prior_spread;
  t["prerequisite_penalty"] = truth.prerequisite_penalty;
  t["forget_per_day"] = truth.forget_per_day;
  t["review_stability"] = truth.review_stability;
  t["prior_knowledge_practices"] = truth.prior_knowledge_practices;
  ordered_json groups = ordered_json::array();
  for (const CohortGroup& group : truth.groups) {
    ordered_json g;
    g["name"] = group.name;
    g["weight"] = group.weight;
    g["learn_offset"] = group.learn_offset;
    g["prior_offset"] = group.prior_offset;
    g["learn_spread"] = group.learn_spread;
    g["prior_spread"] = group.prior_spread;
    groups.push_back(g);
  }
  t["groups"] = groups;
  config["truth"] = t;
  config["online_model"] = options.online_model ? "given" : "ground-truth population";
  // Flat keys, as this output format has always written them: the mastery policy's fields under
  // their own names, the baselines' with their policy in front.
  const RecommenderOptions& r = options.recommender;
  const MasteryPolicyOptions& m = r.mastery;
  ordered_json recommender;
  recommender["readiness_weight"] = m.readiness_weight;
  recommender["goal_weight"] = m.goal_weight;
  recommender["difficulty_weight"] = m.difficulty_weight;
  recommender["remediation_weight"] = m.remediation_weight;
  recommender["review_weight"] = m.review_weight;
  recommender["continuity_weight"] = m.continuity_weight;
  recommender["gating"] = m.gating == Gating::kHard ? "hard" : "soft";
  recommender["target_success"] = m.target_success;
  recommender["review_half_life_days"] = m.review_half_life_days;
  recommender["curriculum_opportunities"] = r.curriculum.opportunities;
  recommender["random_restrict_to_goal"] = r.random.restrict_to_goal;
  config["recommender"] = recommender;
  ordered_json schedule;
  schedule["steps_per_session"] = options.schedule.steps_per_session;
  schedule["session_interval_minutes"] = options.schedule.session_interval_minutes;
  schedule["start_ms"] = options.schedule.start_ms;
  config["schedule"] = schedule;
  return config;
}

ordered_json OutcomeJson(const CohortOutcome& outcome, bool with_group_name) {
  ordered_json j;
  if (with_group_name) j["group"] = outcome.group;
  j["learners"] = outcome.learners;
  j["mean_steps_to_goal"] = Number(outcome.mean_steps_to_goal);
  j["median_steps_to_goal"] = Number(outcome.median_steps_to_goal);
  j["reached_goal_share"] = Number(outcome.reached_goal_share);
  j["mean_steps_among_reached"] = Number(outcome.mean_steps_among_reached);
  j["mean_final_learned"] = Number(outcome.mean_final_learned);
  j["mean_final_scope_learned"] = Number(outcome.mean_final_scope_learned);
  j["stopped_early_share"] = Number(outcome.stopped_early_share);
  ordered_json prediction;
  prediction["count"] = outcome.prediction.count;
  prediction["auc"] = Number(outcome.prediction.auc);
  prediction["rmse"] = Number(outcome.prediction.rmse);
  prediction["accuracy"] = Number(outcome.prediction.accuracy);
  prediction["log_loss"] = Number(outcome.prediction.log_loss);
  prediction["ece"] = Number(outcome.prediction.ece);
  j["prediction"] = prediction;
  ordered_json curve;
  curve["learned"] = Numbers(outcome.curve_learned);
  curve["scope_learned"] = Numbers(outcome.curve_scope_learned);
  curve["reached_share"] = Numbers(outcome.curve_reached_share);
  j["curve"] = curve;
  return j;
}

// Shortest text that reads back to the same double; empty for NaN (a missing value in CSV).
std::string CsvNumber(double x) {
  if (std::isnan(x)) return "";
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, x);
    if (std::strtod(buffer, nullptr) == x) break;
  }
  return buffer;
}

// Policy and group names are free text: quote them when CSV needs it.
std::string CsvText(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

// The whole cohort, then each group; a single group would only repeat the whole cohort's row.
std::vector<const CohortOutcome*> SummaryRows(const PolicyResult& policy) {
  std::vector<const CohortOutcome*> rows{&policy.all};
  if (policy.groups.size() > 1) {
    for (const CohortOutcome& group : policy.groups) rows.push_back(&group);
  }
  return rows;
}

}  // namespace

std::string SimulationJson(const SimulationResult& result, const SimulationOptions& options,
                           int indent) {
  ordered_json j;
  j["format"] = std::string(kSimulationJsonFormat);
  j["version"] = kSimulationJsonVersion;
  j["config"] = ConfigJson(options);
  j["goal_competencies"] = result.goal_competencies;
  j["goal_scope_size"] = result.goal_scope_size;
  j["num_competencies"] = result.num_competencies;
  j["groups"] = result.group_names;
  j["curve_steps"] = result.curve_steps;
  ordered_json policies = ordered_json::array();
  for (const PolicyResult& policy : result.policies) {
    ordered_json p;
    p["policy"] = policy.policy;
    const ordered_json all = OutcomeJson(policy.all, false);
    for (const auto& item : all.items()) p[item.key()] = item.value();
    ordered_json groups = ordered_json::array();
    for (const CohortOutcome& group : policy.groups) groups.push_back(OutcomeJson(group, true));
    p["groups"] = groups;
    policies.push_back(p);
  }
  j["policies"] = policies;
  return j.dump(indent) + "\n";
}

std::string SimulationSummaryCsv(const SimulationResult& result) {
  std::string csv =
      "policy,group,learners,mean_steps_to_goal,median_steps_to_goal,reached_goal_share,"
      "mean_steps_among_reached,mean_final_learned,mean_final_scope_learned,stopped_early_share,"
      "predictions,auc,rmse\n";
  for (const PolicyResult& policy : result.policies) {
    for (const CohortOutcome* row : SummaryRows(policy)) {
      csv += CsvText(policy.policy) + "," + CsvText(row->group) + "," +
             std::to_string(row->learners) + "," + CsvNumber(row->mean_steps_to_goal) + "," +
             CsvNumber(row->median_steps_to_goal) + "," + CsvNumber(row->reached_goal_share) + "," +
             CsvNumber(row->mean_steps_among_reached) + "," + CsvNumber(row->mean_final_learned) +
             "," + CsvNumber(row->mean_final_scope_learned) + "," +
             CsvNumber(row->stopped_early_share) + "," + std::to_string(row->prediction.count) +
             "," + CsvNumber(row->prediction.auc) + "," + CsvNumber(row->prediction.rmse) + "\n";
    }
  }
  return csv;
}

std::string SimulationCurvesCsv(const SimulationResult& result) {
  std::string csv = "policy,group,step,mean_learned,mean_scope_learned,reached_goal_share\n";
  for (const PolicyResult& policy : result.policies) {
    for (const CohortOutcome* row : SummaryRows(policy)) {
      for (size_t j = 0; j < result.curve_steps.size(); ++j) {
        csv += CsvText(policy.policy) + "," + CsvText(row->group) + "," +
               std::to_string(result.curve_steps[j]) + "," + CsvNumber(row->curve_learned[j]) +
               "," + CsvNumber(row->curve_scope_learned[j]) + "," +
               CsvNumber(row->curve_reached_share[j]) + "\n";
      }
    }
  }
  return csv;
}

std::string SimulationLearnersCsv(const SimulationResult& result) {
  std::string csv =
      "policy,learner,group,learn_offset,prior_offset,steps_to_goal,reached_goal,steps_taken,"
      "start_learned,final_learned,final_scope_learned\n";
  for (const LearnerOutcome& o : result.learner_outcomes) {
    csv += CsvText(result.policies[o.policy].policy) + "," + std::to_string(o.learner) + "," +
           CsvText(result.group_names[o.group]) + "," + CsvNumber(o.learn_offset) + "," +
           CsvNumber(o.prior_offset) + "," + std::to_string(o.steps_to_goal) + "," +
           (o.reached_goal ? "1" : "0") + "," + std::to_string(o.steps_taken) + "," +
           std::to_string(o.start_learned) + "," + std::to_string(o.final_learned) + "," +
           std::to_string(o.final_scope_learned) + "\n";
  }
  return csv;
}

std::string SimulationTracesCsv(const SimulationResult& result) {
  std::string csv =
      "policy,learner,step,minutes,activity_id,score,predicted_correct,correct,was_learned,"
      "prerequisites_learned,scope_learned,reasons\n";
  for (const LearnerTrace& trace : result.traces) {
    for (const TraceStep& step : trace.steps) {
      std::string reasons;
      for (const std::string& reason : step.reasons) {
        reasons += (reasons.empty() ? "" : " | ") + reason;
      }
      csv += CsvText(result.policies[trace.policy].policy) + "," + std::to_string(trace.learner) +
             "," + std::to_string(step.step) + "," + CsvNumber(step.minutes) + "," +
             CsvText(step.activity_id) + "," + CsvNumber(step.score) + "," +
             CsvNumber(step.predicted_correct) + "," + (step.correct ? "1" : "0") + "," +
             (step.was_learned ? "1" : "0") + "," + (step.prerequisites_learned ? "1" : "0") + "," +
             std::to_string(step.scope_learned) + "," + CsvText(reasons) + "\n";
    }
  }
  return csv;
}

std::vector<LinePlot> SimulationPlots(const SimulationResult& result) {
  std::vector<double> steps(result.curve_steps.begin(), result.curve_steps.end());
  const bool whole_graph = result.goal_scope_size == result.num_competencies;
  LinePlot learned;
  learned.title = whole_graph ? "Competencies learned (ground truth)"
                              : "Goal-path competencies learned (ground truth, of " +
                                    std::to_string(result.goal_scope_size) + ")";
  learned.x_label = "steps (activities attempted)";
  learned.y_label = "competencies learned, mean over learners";
  LinePlot reached;
  reached.title = "Learners who reached the goal";
  reached.x_label = learned.x_label;
  reached.y_label = "share of learners";
  reached.y_min = 0.0;
  reached.y_max = 1.0;
  static constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                            "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};
  const bool by_group = result.group_names.size() > 1;
  for (size_t p = 0; p < result.policies.size(); ++p) {
    const PolicyResult& policy = result.policies[p];
    const std::string color = kColors[p % (sizeof(kColors) / sizeof(kColors[0]))];
    learned.series.push_back({policy.policy, steps, policy.all.curve_scope_learned, "", color});
    reached.series.push_back({policy.policy, steps, policy.all.curve_reached_share, "", color});
    if (!by_group) continue;
    // Groups in the policy's colour, told apart by their dash pattern.
    static constexpr const char* kDashes[] = {"8 4", "2 3", "10 3 2 3", "4 4", "1 5"};
    for (size_t g = 0; g < policy.groups.size(); ++g) {
      const CohortOutcome& group = policy.groups[g];
      learned.series.push_back({policy.policy + " / " + group.group, steps,
                                group.curve_scope_learned,
                                kDashes[g % (sizeof(kDashes) / sizeof(kDashes[0]))], color});
    }
  }
  return {learned, reached};
}

Result<std::string> SimulationSvg(const SimulationResult& result) {
  SvgOptions options;
  std::string goals;
  if (result.goal_competencies.size() == result.num_competencies) {
    goals = "every competency (" + std::to_string(result.num_competencies) + ")";
  } else {
    constexpr size_t kNamed = 5;
    for (size_t i = 0; i < result.goal_competencies.size() && i < kNamed; ++i) {
      goals += (i > 0 ? ", " : "") + result.goal_competencies[i];
    }
    if (result.goal_competencies.size() > kNamed) {
      goals += " and " + std::to_string(result.goal_competencies.size() - kNamed) + " more";
    }
  }
  options.caption = std::to_string(result.learners) + " simulated learners, " +
                    std::to_string(result.steps) + " steps, seed " + std::to_string(result.seed) +
                    "; goal: " + goals;
  const size_t series =
      result.policies.size() * (result.group_names.size() > 1 ? result.group_names.size() + 1 : 1);
  // Room for the legend when every group has a line.
  options.panel_height = std::max(400, static_cast<int>(60 + 20 * series));
  return RenderSvg(SimulationPlots(result), options);
}

Status WriteReportFile(const std::string& path, const std::string& text) {
  return io_internal::WriteFileAtomically(path, text);
}

}  // namespace pathwise
