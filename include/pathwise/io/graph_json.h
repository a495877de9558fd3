// Reading and writing competency graphs in the project's own JSON format ("pathwise.graph",
// documented in docs/graph_format.md).
//
// Every function here reports bad input as a Status naming the file and where in it (line and
// column for syntax, a field path such as "competencies[3].id" for structure) and never throws.
#ifndef PATHWISE_IO_GRAPH_JSON_H_
#define PATHWISE_IO_GRAPH_JSON_H_

#include <string>
#include <string_view>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// The value of the "format" key of a graph file.
inline constexpr std::string_view kGraphFormatName = "pathwise.graph";
/// The only "version" this build reads and writes.
inline constexpr int kGraphFormatVersion = 1;

/// Parses graph JSON into plain data, checking its structure but not its meaning (ids may be
/// duplicated, edges may dangle: see ValidateGraphDefinition). `source_name` prefixes every error
/// message.
///
/// Returns InvalidArgument for:
/// - a JSON syntax error, as "<source>:<line>:<column>: <message>";
/// - a wrong "format", an unsupported "version", a missing required field, a value of the wrong
///   type, an unknown key (typos are errors, never ignored) or a key given twice, as
///   "<source>: <field path>: <message>", one line per problem, all of them listed.
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::Result<pathwise::GraphDefinition> def =
///         pathwise::ParseGraphJson(R"({"format": "pathwise.graph", "version": 1,
///                                      "competencies": [{"id": "add"}]})", "inline");
Result<GraphDefinition> ParseGraphJson(std::string_view text, std::string_view source_name);

/// Reads and parses a graph file (ParseGraphJson with the path as source name). NotFound when the
/// file does not exist, Internal when it cannot be read, otherwise as ParseGraphJson.
Result<GraphDefinition> ReadGraphDefinitionFile(const std::string& path);

/// Reads, parses and validates a graph file into a CompetencyGraph. Returns the errors of
/// ReadGraphDefinitionFile, or the validation problems as ProblemsToStatus does (InvalidArgument,
/// or FailedPrecondition when the only problems are cycles), each line prefixed with the path.
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::Result<pathwise::CompetencyGraph> graph =
///         pathwise::ReadGraphFile("examples/curriculum/fractions.json");
///     if (!graph.ok()) { std::cerr << graph.status() << "\n"; return 1; }
Result<CompetencyGraph> ReadGraphFile(const std::string& path);

/// The graph as pretty-printed graph JSON (two-space indent, keys in a fixed order, fields that
/// hold their default omitted, a final newline). ParseGraphJson of the result gives
/// graph.ToDefinition().
std::string WriteGraphJson(const CompetencyGraph& graph);
/// As above for plain data, written as is (even when it would not validate).
std::string WriteGraphJson(const GraphDefinition& definition);

/// Writes WriteGraphJson(graph) to `path`, replacing the file only once everything is written (via
/// a temporary file next to it). Internal when the file cannot be written.
Status WriteGraphFile(const CompetencyGraph& graph, const std::string& path);

}  // namespace pathwise

#endif  // PATHWISE_IO_GRAPH_JSON_H_
