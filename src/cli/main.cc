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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exit_code;
}
