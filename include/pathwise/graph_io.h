// Reading and writing competency graphs: the project's own JSON format ("pathwise.graph",
// documented in docs/graph_format.md), importers for real curricula (the Junyi Academy exercise
// table and the Eedi subject tree), and Graphviz DOT export.
//
// Every function here reports bad input as a Status naming the file and where in it (line and
// column for syntax, a field path such as "competencies[3].id" for structure) and never throws.
#ifndef PATHWISE_GRAPH_IO_H_
#define PATHWISE_GRAPH_IO_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

// ---------------------------------------------------------------------------------------------------
// Graph JSON
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Importers for real curricula
// ---------------------------------------------------------------------------------------------------

struct ImportOptions {
  /// false: any problem in the data fails the import, and the Status lists every problem. true:
  /// drop what must be dropped to get a valid graph (a duplicate row, a duplicate or self-loop or
  /// dangling edge, one edge of each cycle) and report each drop in ImportReport.
  bool repair = false;
};

/// One thing wrong with imported data, with where it is.
struct ImportProblem {
  enum class Kind {
    kMissingValue,       ///< a required cell is empty
    kMalformedValue,     ///< a cell that does not parse (e.g. a subject id that is not an integer)
    kDuplicateId,        ///< a second row with the same id
    kSelfLoop,           ///< a prerequisite (or parent) pointing at its own row
    kDuplicateEdge,      ///< the same prerequisite listed twice
    kUnknownReference,   ///< a prerequisite, parent or subject naming no row
    kCycle,              ///< prerequisites (or parents) going round in a circle
    kNotALeaf,           ///< a question whose most specific subject is an inner subject, not a leaf
    kConflictingParent,  ///< a topic listed under two different areas
  };
  Kind kind;
  std::string file;  ///< the path as given
  /// 1-based line where the offending row starts (for a cycle: the row of the edge it drops).
  size_t line = 0;
  std::string message;  ///< names the ids involved; a cycle reads "cycle: a -> b -> c -> a ..."
  /// With repair: what was dropped, e.g. "dropped edge a -> b"; empty without repair.
  std::string action;

  /// "<file>:<line>: <message>", followed by "; <action>" when there is one.
  std::string ToString() const;
};

/// "missing-value", "cycle", ...
std::string_view ImportProblemKindName(ImportProblem::Kind kind);

/// What an import read and, with repair, what it dropped.
struct ImportReport {
  /// File by file (Eedi: subjects, then questions), each in line order with its cycles (found once
  /// everything else is settled) last.
  std::vector<ImportProblem> problems;
  size_t rows_read = 0;        ///< data rows of all files read, header excluded
  size_t references_read = 0;  ///< prerequisite / parent / question-subject mentions read
};

/// A valid graph built from imported data, and the report of how it was built.
struct ImportedGraph {
  CompetencyGraph graph;
  ImportReport report;
};

/// Imports the Junyi Academy exercise table (junyi_Exercise_table.csv: columns name, prerequisites,
/// pretty_display_name, topic, area; others ignored). Each row becomes a competency (id = name,
/// name = pretty_display_name, else short_display_name, else the id). Areas become groups
/// "area:<area>", topics groups "topic:<topic>" under their area, and each exercise belongs to its
/// topic. A topic or area that is blank or "N/A" is no group: an exercise with neither belongs to
/// no group, one with only an area belongs to the area. A topic seen under two areas is a
/// kConflictingParent problem (repair keeps the first area). The prerequisites cell (names
/// separated by commas) gives edges prerequisite -> exercise.
///
/// Problems: rows without a name and duplicate exercise names (repair drops the row, prerequisites
/// included), empty entries in a prerequisite list, duplicate edges, self-loops, prerequisites
/// naming no exercise (repair drops the entry or edge), topics under two areas, and cycles: each
/// cycle is found as a shortest cycle through the first exercise (in file order) of a strongly
/// connected component; repair drops the cycle's edge declared last in the file, then looks again
/// until no cycle is left.
///
/// Returns, whatever `options`: NotFound / Internal when a file cannot be read; InvalidArgument
/// naming "<file>:<line>:<column>" for malformed CSV (unterminated quote, invalid UTF-8, a row with
/// the wrong number of fields) or "<file>:1" for a missing column. Without repair, a data problem
/// fails the import with InvalidArgument (FailedPrecondition when there are only cycles) listing
/// every problem, one per line, as ImportProblem::ToString.
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::ImportOptions options;
///     options.repair = true;
///     auto imported = pathwise::ImportJunyiExerciseTable("junyi_Exercise_table.csv", options);
///     if (!imported.ok()) return imported.status();
///     for (const auto& p : imported->report.problems) std::cerr << p.ToString() << "\n";
Result<ImportedGraph> ImportJunyiExerciseTable(const std::string& path,
                                               const ImportOptions& options = {});

/// Imports the Eedi (NeurIPS 2020 challenge) subject tree from subject_metadata.csv (columns
/// SubjectId, Name, ParentId; ParentId "NULL" or empty for a root). Subjects without children
/// become competencies, the others groups; both get the id "subject:<SubjectId>" and the name from
/// Name, and a subject's group or parent is its parent subject. The tree has no prerequisites.
///
/// With `question_csv_path` (question_metadata_task_3_4.csv: QuestionId, SubjectId as a list such
/// as "[3, 71, 98, 209]", the set of subjects from the root down) each question becomes an activity
/// "question:<QuestionId>" of kind "question" practising, with weight 1, every subject of its list
/// that is not an ancestor of another subject in the list.
///
/// Problems: malformed or empty ids, duplicate SubjectId / QuestionId (repair drops the later row),
/// a parent that is the subject itself or unknown (repair drops the link: the subject becomes a
/// root), parent cycles (repair drops the parent link of the cycle's last row in the file), unknown
/// subjects in a question's list (repair drops the mention) and questions whose most specific
/// subject is not a leaf (repair drops the mention; a question left without subjects is dropped).
///
/// Returns as ImportJunyiExerciseTable.
Result<ImportedGraph> ImportEediSubjects(const std::string& subject_csv_path,
                                         const std::optional<std::string>& question_csv_path,
                                         const ImportOptions& options = {});

// ---------------------------------------------------------------------------------------------------
// Graphviz DOT
// ---------------------------------------------------------------------------------------------------

struct DotOptions {
  /// P(learned) per competency id. A competency with a value is filled on a red (0) to green (1)
  /// scale and labelled with the value; ids that are not in the graph are ignored; values are
  /// clamped to [0, 1] (NaN counts as 0).
  std::unordered_map<std::string, double> mastery;
  /// When set, the threshold for "mastered" of every competency; otherwise each competency's own
  /// mastery_threshold. A mastered competency gets a double, bold border and "mastered" in its
  /// label.
  std::optional<double> mastered_threshold;
  /// Draw groups as (nested) clusters around their member competencies.
  bool group_clusters = true;
  /// Lay prerequisites out left to right (rankdir=LR) rather than top to bottom.
  bool left_to_right = true;
};

/// Reads a learner's mastery from CSV with a header naming the columns competency_id and p_learned
/// (others are ignored), one competency per row, e.g. for DotOptions::mastery.
///
/// Returns NotFound / Internal when the file cannot be read, and InvalidArgument naming
/// "<path>:<line>[:<column>]" for malformed CSV, a missing column, an empty id, a value that is not
/// a number in [0, 1], an id given twice, or (when `graph` is not null) an id that is not a
/// competency of `graph`; every bad row is listed.
Result<std::unordered_map<std::string, double>> ReadMasteryCsv(const std::string& path,
                                                               const CompetencyGraph* graph);

/// The graph in Graphviz DOT, accepted by `dot -Tsvg`: one node per competency (named by its quoted
/// id, labelled with its name), one edge per prerequisite (dashed and labelled with the strength
/// when that is below 1), groups as clusters. Deterministic: the same graph and options give the
/// same text.
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::DotOptions options;
///     options.mastery = {{"fractions.identify", 0.97}, {"fractions.equivalent", 0.4}};
///     std::ofstream("fractions.dot") << pathwise::ToDot(*graph, options);
std::string ToDot(const CompetencyGraph& graph, const DotOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_GRAPH_IO_H_
