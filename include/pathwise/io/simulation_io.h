// Writing simulation results (simulator.h): JSON, CSV and an SVG plot of the learning curves.
//
// Thread safety: every function here is reentrant.
//
// Example:
//
//     auto result = pathwise::RunSimulation(graph, options);
//     if (!result.ok()) return result.status();
//     PATHWISE_RETURN_IF_ERROR(pathwise::WriteReportFile(
//         "simulation.json", pathwise::SimulationJson(*result, options)));
//     auto svg = pathwise::SimulationSvg(*result);
//     if (svg.ok()) PATHWISE_RETURN_IF_ERROR(pathwise::WriteReportFile("curves.svg", *svg));
#ifndef PATHWISE_IO_SIMULATION_IO_H_
#define PATHWISE_IO_SIMULATION_IO_H_

#include <string>
#include <vector>

#include <pathwise/io/svg_plot.h>
#include <pathwise/result.h>
#include <pathwise/simulator.h>
#include <pathwise/status.h>

namespace pathwise {

/// The value of the "format" key of a simulation report.
inline constexpr std::string_view kSimulationJsonFormat = "pathwise.simulation";
inline constexpr int kSimulationJsonVersion = 1;

/// The result as JSON (one line when `indent` < 0, else pretty-printed):
///
///     {"format": "pathwise.simulation", "version": 1,
///      "config": {seed, learners, steps, policies, goals, truth: {...}, schedule: {...}},
///      "goal_competencies": [...], "goal_scope_size": 12, "num_competencies": 835,
///      "groups": ["all"], "curve_steps": [0, 10, ...],
///      "policies": [{"policy": "mastery", "learners": 1000, "mean_steps_to_goal": 212.4,
///                    "median_steps_to_goal": 205, "reached_goal_share": 0.98,
///                    "mean_steps_among_reached": 201.7, "mean_final_learned": ...,
///                    "mean_final_scope_learned": ..., "stopped_early_share": 0,
///                    "prediction": {"count", "auc", "rmse", "accuracy", "log_loss", "ece"},
///                    "curve": {"learned": [...], "scope_learned": [...], "reached_share": [...]},
///                    "groups": [{"group": "all", ...the same fields...}]}]}
///
/// NaN (e.g. an AUC with one outcome only) is written as null. `options` are the ones the result
/// was simulated with; the thread count is left out on purpose, so the same simulation gives the
/// same bytes with any number of threads.
///
/// Thread safety: reentrant.
std::string SimulationJson(const SimulationResult& result, const SimulationOptions& options,
                           int indent = -1);

/// One row per policy and cohort group ("all" first): policy, group, learners, mean_steps_to_goal,
/// median_steps_to_goal, reached_goal_share, mean_steps_among_reached, mean_final_learned,
/// mean_final_scope_learned, stopped_early_share, predictions, auc, rmse. Header first; NaN is
/// an empty field.
std::string SimulationSummaryCsv(const SimulationResult& result);

/// The learning curves, long format: policy, group, step, mean_learned, mean_scope_learned,
/// reached_goal_share.
std::string SimulationCurvesCsv(const SimulationResult& result);

/// One row per learner and policy: policy, learner, group, learn_offset, prior_offset,
/// steps_to_goal, reached_goal, steps_taken, start_learned, final_learned, final_scope_learned.
std::string SimulationLearnersCsv(const SimulationResult& result);

/// The traces (SimulationOptions::trace_learners): policy, learner, step, minutes, activity_id,
/// score, predicted_correct, correct, was_learned, prerequisites_learned, scope_learned, reasons
/// (joined with " | ").
std::string SimulationTracesCsv(const SimulationResult& result);

/// Two panels: goal-scope competencies learned (ground truth, mean over learners) and the share of
/// learners who reached the goal, against steps, one line per policy. With more than one cohort
/// group, each group's curve is added to the first panel ("<policy> / <group>") in the policy's
/// colour with a dash pattern per group.
std::vector<LinePlot> SimulationPlots(const SimulationResult& result);

/// RenderSvg(SimulationPlots(result)) with a caption naming the goals, learners, steps and seed.
/// Returns RenderSvg's InvalidArgument only for a malformed result (curves of the wrong length).
[[nodiscard]] Result<std::string> SimulationSvg(const SimulationResult& result);

/// Writes `text` to `path`, replacing the file only once everything is written. Internal naming
/// the path when it cannot be written.
[[nodiscard]] Status WriteReportFile(const std::string& path, const std::string& text);

}  // namespace pathwise

#endif  // PATHWISE_IO_SIMULATION_IO_H_
