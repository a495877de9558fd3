// `pathwise`: the command-line tool. Sub-commands live in *_commands.cc, one file per group.
#include <iostream>

#include <pathwise/version.h>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"pathwise: competency graphs, BKT mastery, fitting and simulation"};
  app.set_version_flag("--version", PATHWISE_VERSION_STRING);
  app.require_subcommand(1);
  int exit_code = 0;
  pathwise::cli::AddGraphCommands(app, &exit_code);
  pathwise::cli::AddFitCommands(app, &exit_code);
  pathwise::cli::AddSimulateCommands(app, &exit_code);
  pathwise::cli::AddRecommendCommands(app, &exit_code);
  pathwise::cli::AddImportCommands(app, &exit_code);
  pathwise::cli::AddExportCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; every real usage error exits 2, as
    // documented in commands.h, rather than CLI11's own numbering.
    const int cli_code = app.exit(e);
    return cli_code == 0 ? 0 : 2;
  }
  return exit_code;
}
