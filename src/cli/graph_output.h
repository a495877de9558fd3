// Writing a command's resulting graph, shared by the commands that build one.
#ifndef PATHWISE_CLI_GRAPH_OUTPUT_H_
#define PATHWISE_CLI_GRAPH_OUTPUT_H_

#include <iostream>
#include <string>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_json.h>

#include "exit_codes.h"

namespace pathwise::cli {

/// Writes `graph` to `output` (graph JSON) and says so; with no output, says that nothing was
/// written. kExitOk, or kExitUsage when the file cannot be written (the reason on stderr).
inline int WriteGraphOutput(const CompetencyGraph& graph, const std::string& output) {
  if (output.empty()) {
    std::cout << "Nothing written (no -o given).\n";
    return kExitOk;
  }
  const Status written = WriteGraphFile(graph, output);
  if (!written.ok()) {
    std::cerr << written.message() << "\n";
    return kExitUsage;
  }
  std::cout << "Wrote " << output << "\n";
  return kExitOk;
}

}  // namespace pathwise::cli

#endif  // PATHWISE_CLI_GRAPH_OUTPUT_H_
