// Sub-command groups of the `pathwise` CLI. Each Add*Commands registers its sub-commands on `app`;
// a command's callback sets `*exit_code` (0 success, 1 the input was rejected, 2 usage or I/O
// error).
#ifndef PATHWISE_CLI_COMMANDS_H_
#define PATHWISE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include <pathwise/recommender.h>

namespace pathwise::cli {

/// `pathwise graph validate|import|dot`.
void AddGraphCommands(CLI::App& app, int* exit_code);

/// `pathwise fit|evaluate|predict|crossvalidate`.
void AddFitCommands(CLI::App& app, int* exit_code);

/// `pathwise simulate`.
void AddSimulateCommands(CLI::App& app, int* exit_code);

/// `pathwise import xapi|caliper|case|edfi|oneroster`.
void AddImportCommands(CLI::App& app, int* exit_code);

/// `pathwise recommend|plan`.
void AddRecommendCommands(CLI::App& app, int* exit_code);

/// The mastery policy's stall options (MasteryPolicyOptions::progress_weight, stall_min_attempts,
/// stall_max_recent_correct, stall_pause_hours), shared by `recommend` and `simulate`.
void AddStallOptions(CLI::App* cmd, MasteryPolicyOptions* options);

/// `pathwise export xapi|badge` and `pathwise report class`.
void AddExportCommands(CLI::App& app, int* exit_code);

}  // namespace pathwise::cli

#endif  // PATHWISE_CLI_COMMANDS_H_
