// Importers for real curricula: the Junyi Academy exercise table and the Eedi subject tree, each
// as a competency graph and a report of what was read and dropped.
//
// Every function here reports bad input as a Status naming the file and where in it (line and
// column for syntax, a field path such as "competencies[3].id" for structure) and never throws.
#ifndef PATHWISE_IO_GRAPH_IMPORT_H_
#define PATHWISE_IO_GRAPH_IMPORT_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>

namespace pathwise {

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

}  // namespace pathwise

#endif  // PATHWISE_IO_GRAPH_IMPORT_H_
