// Importers for real curricula: the Junyi Academy exercise table and the Eedi subject tree.
#include <algorithm>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_import.h>

#include "csv_reader.h"
#include "graph_io_internal.h"

namespace pathwise {
namespace {

using io_internal::CsvTable;
using io_internal::TrimSpaces;

using Kind = ImportProblem::Kind;

// Collects the problems of one import, in the order they must be reported.
class ProblemLog {
 public:
  ProblemLog(std::string file, bool repair) : file_(std::move(file)), repair_(repair) {}

  void Add(Kind kind, size_t line, std::string message, std::string action) {
    ImportProblem problem;
    problem.kind = kind;
    problem.file = file_;
    problem.line = line;
    problem.message = std::move(message);
    if (repair_) problem.action = std::move(action);
    problems_.push_back(std::move(problem));
  }

  // Problems found row by row come out in line order; call before adding the cycles.
  void SortByLine() {
    std::stable_sort(
        problems_.begin(), problems_.end(),
        [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
  }

  bool repair() const { return repair_; }
  std::vector<ImportProblem>& problems() { return problems_; }

 private:
  std::string file_;
  bool repair_;
  std::vector<ImportProblem> problems_;
};

// The import fails without repair when anything was found: every problem is listed, one per line.
Status ProblemsStatus(const std::vector<ImportProblem>& problems) {
  bool only_cycles = true;
  std::string message;
  for (const ImportProblem& problem : problems) {
    only_cycles = only_cycles && problem.kind == Kind::kCycle;
    if (!message.empty()) message += "\n";
    message += problem.ToString();
  }
  return only_cycles ? Status::FailedPrecondition(std::move(message))
                     : Status::InvalidArgument(std::move(message));
}

bool IsBlankOrNotApplicable(std::string_view value) {
  return value.empty() || value == "N/A" || value == "n/a" || value == "NA";
}

bool IsInteger(std::string_view text) {
  if (text.empty()) return false;
  size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size()) return false;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

std::vector<std::string_view> SplitOn(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------------
// Cycle breaking, shared by prerequisite edges (Junyi) and parent links (Eedi).
// ---------------------------------------------------------------------------------------------------

struct IndexedEdge {
  size_t from;
  size_t to;
};

struct BrokenCycle {
  std::vector<size_t>
      edges;       // indices into the edge list, in cycle order from the component's first node
  size_t dropped;  // the edge of the cycle declared last, i.e. with the largest index
};

// Strongly connected components of the active edges (iterative Tarjan, so deep chains cannot
// overflow the stack). component[v] numbers the component of node v.
std::vector<size_t> StronglyConnectedComponents(size_t num_nodes,
                                                const std::vector<std::vector<size_t>>& out_edges,
                                                const std::vector<IndexedEdge>& edges,
                                                const std::vector<bool>& active) {
  constexpr size_t kUnvisited = static_cast<size_t>(-1);
  std::vector<size_t> index(num_nodes, kUnvisited), low(num_nodes, 0), component(num_nodes, 0);
  std::vector<bool> on_stack(num_nodes, false);
  std::vector<size_t> stack;
  size_t next_index = 0, next_component = 0;
  struct Frame {
    size_t node;
    size_t next_edge;
  };
  for (size_t root = 0; root < num_nodes; ++root) {
    if (index[root] != kUnvisited) continue;
    std::vector<Frame> call_stack{{root, 0}};
    index[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!call_stack.empty()) {
      Frame& frame = call_stack.back();
      const size_t v = frame.node;
      if (frame.next_edge < out_edges[v].size()) {
        const size_t e = out_edges[v][frame.next_edge++];
        if (!active[e]) continue;
        const size_t w = edges[e].to;
        if (index[w] == kUnvisited) {
          index[w] = low[w] = next_index++;
          stack.push_back(w);
          on_stack[w] = true;
          call_stack.push_back({w, 0});
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        size_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = next_component;
        } while (w != v);
        ++next_component;
      }
      call_stack.pop_back();
      if (!call_stack.empty()) {
        const size_t parent = call_stack.back().node;
        low[parent] = std::min(low[parent], low[v]);
      }
    }
  }
  return component;
}

// Finds a cycle, drops its last-declared edge, and repeats until the active edges are acyclic. Each
// cycle is a shortest one through the lowest-numbered node of a strongly connected component, so
// the result depends only on the order of nodes and edges. `active` marks the edges still in the
// graph.
std::vector<BrokenCycle> BreakCycles(size_t num_nodes, const std::vector<IndexedEdge>& edges,
                                     std::vector<bool>* active) {
  std::vector<std::vector<size_t>> out_edges(num_nodes);
  for (size_t e = 0; e < edges.size(); ++e) out_edges[edges[e].from].push_back(e);

  std::vector<BrokenCycle> broken;
  while (true) {
    const std::vector<size_t> component =
        StronglyConnectedComponents(num_nodes, out_edges, edges, *active);
    std::vector<size_t> component_size(num_nodes, 0);
    for (size_t v = 0; v < num_nodes; ++v) ++component_size[component[v]];
    size_t start = num_nodes;
    for (size_t v = 0; v < num_nodes && start == num_nodes; ++v) {
      if (component_size[component[v]] > 1) start = v;
    }
    if (start == num_nodes) return broken;

    // Breadth-first search inside the component for the shortest way back to `start`.
    std::vector<size_t> parent_edge(num_nodes, static_cast<size_t>(-1));
    std::vector<bool> seen(num_nodes, false);
    std::deque<size_t> queue{start};
    seen[start] = true;
    size_t closing_edge = static_cast<size_t>(-1);
    while (!queue.empty() && closing_edge == static_cast<size_t>(-1)) {
      const size_t v = queue.front();
      queue.pop_front();
      for (size_t e : out_edges[v]) {
        if (!(*active)[e]) continue;
        const size_t w = edges[e].to;
        if (component[w] != component[start]) continue;
        if (w == start) {
          closing_edge = e;
          break;
        }
        if (seen[w]) continue;
        seen[w] = true;
        parent_edge[w] = e;
        queue.push_back(w);
      }
    }
    BrokenCycle cycle;
    for (size_t e = closing_edge;; e = parent_edge[edges[e].from]) {
      cycle.edges.push_back(e);
      if (edges[e].from == start) break;
    }
    std::reverse(cycle.edges.begin(), cycle.edges.end());
    cycle.dropped = *std::max_element(cycle.edges.begin(), cycle.edges.end());
    (*active)[cycle.dropped] = false;
    broken.push_back(std::move(cycle));
  }
}

std::string LineList(const std::vector<size_t>& lines) {
  std::string text;
  for (size_t line : lines) {
    if (!text.empty()) text += ", ";
    text += std::to_string(line);
  }
  return text;
}

// A clean graph is valid by construction; if it is not (say, an exercise named like a group id),
// say so rather than hand back something half-built.
Result<ImportedGraph> BuildImported(const std::string& file, GraphDefinition definition,
                                    ImportReport report) {
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(definition);
  if (!problems.empty()) {
    return io_internal::PrefixEachLine(ProblemsToStatus(problems), file + " (imported graph)");
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(definition));
  if (!graph.ok()) return io_internal::PrefixEachLine(graph.status(), file + " (imported graph)");
  return ImportedGraph{std::move(graph).value(), std::move(report)};
}

// ---------------------------------------------------------------------------------------------------
// Junyi
// ---------------------------------------------------------------------------------------------------

struct JunyiExercise {
  size_t line;
  std::string name;
  std::string display_name;
  std::string group;
  std::string_view prerequisites;
};

struct JunyiEdge {
  size_t from;  // index into the kept exercises
  size_t to;
  size_t line;
};

}  // namespace

std::string_view ImportProblemKindName(ImportProblem::Kind kind) {
  switch (kind) {
    case Kind::kMissingValue:
      return "missing-value";
    case Kind::kMalformedValue:
      return "malformed-value";
    case Kind::kDuplicateId:
      return "duplicate-id";
    case Kind::kSelfLoop:
      return "self-loop";
    case Kind::kDuplicateEdge:
      return "duplicate-edge";
    case Kind::kUnknownReference:
      return "unknown-reference";
    case Kind::kCycle:
      return "cycle";
    case Kind::kNotALeaf:
      return "not-a-leaf";
    case Kind::kConflictingParent:
      return "conflicting-parent";
  }
  return "unknown";
}

std::string ImportProblem::ToString() const {
  std::string text = file + ":" + std::to_string(line) + ": " + message;
  if (!action.empty()) text += "; " + action;
  return text;
}

Result<ImportedGraph> ImportJunyiExerciseTable(const std::string& path,
                                               const ImportOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  PATHWISE_ASSIGN_OR_RETURN(CsvTable table, io_internal::ParseCsv(text, path));
  PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> columns,
                            table.RequireColumns(path, {"name", "prerequisites",
                                                        "pretty_display_name", "topic", "area"}));
  const size_t kName = columns[0], kPrerequisites = columns[1], kPrettyName = columns[2],
               kTopic = columns[3], kArea = columns[4];
  const int short_name_column = table.ColumnIndex("short_display_name");

  ProblemLog log(path, options.repair);
  ImportReport report;
  report.rows_read = table.rows.size();
  GraphDefinition definition;

  // Rows: one competency per exercise name; the first row of a name wins.
  std::vector<JunyiExercise> exercises;
  std::unordered_map<std::string, size_t> exercise_index;
  std::unordered_map<std::string, size_t> group_index;  // group id -> index in definition.groups
  std::unordered_map<std::string, std::string> topic_area;  // topic group id -> area group id
  std::unordered_map<std::string, size_t> topic_first_line;
  for (const io_internal::CsvRow& row : table.rows) {
    // Mentions are counted on every row, so the count matches the file even when a row is dropped.
    if (!TrimSpaces(row.fields[kPrerequisites]).empty()) {
      for (std::string_view mention : SplitOn(row.fields[kPrerequisites], ',')) {
        if (!TrimSpaces(mention).empty()) ++report.references_read;
      }
    }
    const std::string name(TrimSpaces(row.fields[kName]));
    if (name.empty()) {
      log.Add(Kind::kMissingValue, row.line, "exercise without a name", "dropped the row");
      continue;
    }
    auto [it, inserted] = exercise_index.emplace(name, exercises.size());
    if (!inserted) {
      log.Add(Kind::kDuplicateId, row.line,
              "duplicate exercise '" + name + "' (first at line " +
                  std::to_string(exercises[it->second].line) + ")",
              "dropped the row, prerequisites included");
      continue;
    }
    JunyiExercise exercise;
    exercise.line = row.line;
    exercise.name = name;
    exercise.display_name = std::string(TrimSpaces(row.fields[kPrettyName]));
    if (exercise.display_name.empty() && short_name_column >= 0) {
      exercise.display_name = std::string(TrimSpaces(row.fields[short_name_column]));
    }
    exercise.prerequisites = row.fields[kPrerequisites];

    const std::string_view area(TrimSpaces(row.fields[kArea]));
    const std::string_view topic(TrimSpaces(row.fields[kTopic]));
    const std::string area_id =
        IsBlankOrNotApplicable(area) ? std::string() : "area:" + std::string(area);
    // An area group is made when something is put in it, so a topic conflict leaves no empty group.
    auto use_area = [&]() {
      if (!area_id.empty() && group_index.emplace(area_id, definition.groups.size()).second) {
        definition.groups.push_back(Group{area_id, std::string(area), ""});
      }
    };
    if (IsBlankOrNotApplicable(topic)) {
      use_area();
      exercise.group = area_id;
    } else {
      const std::string topic_id = "topic:" + std::string(topic);
      if (group_index.count(topic_id) == 0) {
        use_area();
        group_index.emplace(topic_id, definition.groups.size());
        definition.groups.push_back(Group{topic_id, std::string(topic), area_id});
        topic_area[topic_id] = area_id;
        topic_first_line[topic_id] = row.line;
      } else if (topic_area[topic_id] != area_id) {
        const std::string& kept = topic_area[topic_id];
        log.Add(
            Kind::kConflictingParent, row.line,
            "topic '" + std::string(topic) + "' is under " +
                (area_id.empty() ? std::string("no area") : "'" + area_id + "'") +
                " here but under " + (kept.empty() ? std::string("no area") : "'" + kept + "'") +
                " at line " + std::to_string(topic_first_line[topic_id]),
            "kept the topic under " + (kept.empty() ? std::string("no area") : "'" + kept + "'"));
      }
      exercise.group = topic_id;
    }
    exercises.push_back(std::move(exercise));
  }

  // Prerequisite mentions: "a,b" in the row of c gives a -> c and b -> c.
  std::vector<JunyiEdge> edges;
  std::map<std::pair<size_t, size_t>, size_t> edge_first_line;  // (from, to) -> line
  for (size_t to = 0; to < exercises.size(); ++to) {
    const JunyiExercise& exercise = exercises[to];
    if (TrimSpaces(exercise.prerequisites).empty()) continue;
    for (std::string_view mention : SplitOn(exercise.prerequisites, ',')) {
      const std::string from_name(TrimSpaces(mention));
      if (from_name.empty()) {
        log.Add(Kind::kMissingValue, exercise.line,
                "empty name in the prerequisites of '" + exercise.name + "'",
                "dropped the empty entry");
        continue;
      }
      if (from_name == exercise.name) {
        log.Add(Kind::kSelfLoop, exercise.line,
                "exercise '" + exercise.name + "' lists itself as a prerequisite",
                "dropped edge " + from_name + " -> " + exercise.name);
        continue;
      }
      auto from = exercise_index.find(from_name);
      if (from == exercise_index.end()) {
        log.Add(Kind::kUnknownReference, exercise.line,
                "prerequisite '" + from_name + "' of '" + exercise.name + "' names no exercise",
                "dropped edge " + from_name + " -> " + exercise.name);
        continue;
      }
      auto [first, inserted] =
          edge_first_line.emplace(std::make_pair(from->second, to), exercise.line);
      if (!inserted) {
        log.Add(Kind::kDuplicateEdge, exercise.line,
                "prerequisite '" + from_name + "' of '" + exercise.name +
                    "' listed twice (first at line " + std::to_string(first->second) + ")",
                "dropped the repeated edge " + from_name + " -> " + exercise.name);
        continue;
      }
      edges.push_back(JunyiEdge{from->second, to, exercise.line});
    }
  }
  log.SortByLine();

  std::vector<IndexedEdge> indexed;
  indexed.reserve(edges.size());
  for (const JunyiEdge& edge : edges) indexed.push_back({edge.from, edge.to});
  std::vector<bool> active(edges.size(), true);
  for (const BrokenCycle& cycle : BreakCycles(exercises.size(), indexed, &active)) {
    std::string names = exercises[edges[cycle.edges.front()].from].name;
    std::vector<size_t> lines;
    for (size_t e : cycle.edges) {
      names += " -> " + exercises[edges[e].to].name;
      lines.push_back(edges[e].line);
    }
    const JunyiEdge& dropped = edges[cycle.dropped];
    log.Add(Kind::kCycle, dropped.line,
            "cycle: " + names + " (prerequisites listed at lines " + LineList(lines) + ")",
            "dropped edge " + exercises[dropped.from].name + " -> " + exercises[dropped.to].name +
                ", the cycle's edge listed last in the file");
  }

  report.problems = std::move(log.problems());
  if (!report.problems.empty() && !options.repair) return ProblemsStatus(report.problems);

  definition.competencies.reserve(exercises.size());
  for (const JunyiExercise& exercise : exercises) {
    Competency competency;
    competency.id = exercise.name;
    competency.name = exercise.display_name.empty() ? exercise.name : exercise.display_name;
    competency.group = exercise.group;
    definition.competencies.push_back(std::move(competency));
  }
  for (size_t e = 0; e < edges.size(); ++e) {
    if (!active[e]) continue;
    definition.prerequisites.push_back(
        Prerequisite{exercises[edges[e].from].name, exercises[edges[e].to].name, 1.0});
  }
  return BuildImported(path, std::move(definition), std::move(report));
}

// ---------------------------------------------------------------------------------------------------
// Eedi
// ---------------------------------------------------------------------------------------------------

namespace {

struct EediSubject {
  size_t line;
  std::string id;
  std::string name;
  std::string parent_id;                    // as written; empty for a root
  size_t parent = static_cast<size_t>(-1);  // index, once resolved
};

constexpr size_t kNoParent = static_cast<size_t>(-1);

std::string SubjectNodeId(const std::string& subject_id) { return "subject:" + subject_id; }

// "[3, 71, 98, 209]" -> {"3", "71", "98", "209"}; nullopt when it is not such a list.
std::optional<std::vector<std::string>> ParseIdList(std::string_view cell) {
  cell = TrimSpaces(cell);
  if (cell.size() < 2 || cell.front() != '[' || cell.back() != ']') return std::nullopt;
  const std::string_view inside = TrimSpaces(cell.substr(1, cell.size() - 2));
  std::vector<std::string> ids;
  if (inside.empty()) return ids;
  for (std::string_view part : SplitOn(inside, ',')) {
    const std::string_view id = TrimSpaces(part);
    if (!IsInteger(id)) return std::nullopt;
    ids.emplace_back(id);
  }
  return ids;
}

}  // namespace

Result<ImportedGraph> ImportEediSubjects(const std::string& subject_csv_path,
                                         const std::optional<std::string>& question_csv_path,
                                         const ImportOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::string subject_text,
                            io_internal::ReadFileToString(subject_csv_path));
  PATHWISE_ASSIGN_OR_RETURN(CsvTable subjects_table,
                            io_internal::ParseCsv(subject_text, subject_csv_path));
  PATHWISE_ASSIGN_OR_RETURN(
      std::vector<size_t> subject_columns,
      subjects_table.RequireColumns(subject_csv_path, {"SubjectId", "Name", "ParentId"}));
  std::optional<CsvTable> questions_table;
  std::vector<size_t> question_columns;
  std::string question_text;
  if (question_csv_path.has_value()) {
    PATHWISE_ASSIGN_OR_RETURN(question_text, io_internal::ReadFileToString(*question_csv_path));
    PATHWISE_ASSIGN_OR_RETURN(questions_table,
                              io_internal::ParseCsv(question_text, *question_csv_path));
    PATHWISE_ASSIGN_OR_RETURN(
        question_columns,
        questions_table->RequireColumns(*question_csv_path, {"QuestionId", "SubjectId"}));
  }

  ImportReport report;
  report.rows_read = subjects_table.rows.size();

  // Subject rows.
  ProblemLog subject_log(subject_csv_path, options.repair);
  std::vector<EediSubject> subjects;
  std::unordered_map<std::string, size_t> subject_index;
  for (const io_internal::CsvRow& row : subjects_table.rows) {
    const std::string id(TrimSpaces(row.fields[subject_columns[0]]));
    if (id.empty()) {
      subject_log.Add(Kind::kMissingValue, row.line, "subject without a SubjectId",
                      "dropped the row");
      continue;
    }
    if (!IsInteger(id)) {
      subject_log.Add(Kind::kMalformedValue, row.line, "SubjectId '" + id + "' is not an integer",
                      "dropped the row");
      continue;
    }
    auto [it, inserted] = subject_index.emplace(id, subjects.size());
    if (!inserted) {
      subject_log.Add(Kind::kDuplicateId, row.line,
                      "duplicate SubjectId " + id + " (first at line " +
                          std::to_string(subjects[it->second].line) + ")",
                      "dropped the row");
      continue;
    }
    EediSubject subject;
    subject.line = row.line;
    subject.id = id;
    subject.name = std::string(TrimSpaces(row.fields[subject_columns[1]]));
    std::string parent(TrimSpaces(row.fields[subject_columns[2]]));
    if (parent == "NULL" || parent == "null") parent.clear();
    subject.parent_id = std::move(parent);
    subjects.push_back(std::move(subject));
  }

  // Parent links.
  std::vector<IndexedEdge> links;  // child -> parent, in file order of the child
  std::vector<size_t> link_child;
  for (size_t s = 0; s < subjects.size(); ++s) {
    EediSubject& subject = subjects[s];
    if (subject.parent_id.empty()) continue;
    ++report.references_read;
    if (!IsInteger(subject.parent_id)) {
      subject_log.Add(Kind::kMalformedValue, subject.line,
                      "ParentId '" + subject.parent_id + "' of subject " + subject.id +
                          " is not an integer or NULL",
                      "dropped the link: subject " + subject.id + " becomes a root");
      continue;
    }
    if (subject.parent_id == subject.id) {
      subject_log.Add(Kind::kSelfLoop, subject.line, "subject " + subject.id + " is its own parent",
                      "dropped the link: subject " + subject.id + " becomes a root");
      continue;
    }
    auto parent = subject_index.find(subject.parent_id);
    if (parent == subject_index.end()) {
      subject_log.Add(
          Kind::kUnknownReference, subject.line,
          "ParentId " + subject.parent_id + " of subject " + subject.id + " names no subject",
          "dropped the link: subject " + subject.id + " becomes a root");
      continue;
    }
    links.push_back({s, parent->second});
    link_child.push_back(s);
  }
  subject_log.SortByLine();
  std::vector<bool> link_active(links.size(), true);
  for (const BrokenCycle& cycle : BreakCycles(subjects.size(), links, &link_active)) {
    std::string ids = subjects[links[cycle.edges.front()].from].id;
    std::vector<size_t> lines;
    for (size_t e : cycle.edges) {
      ids += " -> " + subjects[links[e].to].id;
      lines.push_back(subjects[links[e].from].line);
    }
    const EediSubject& child = subjects[links[cycle.dropped].from];
    subject_log.Add(Kind::kCycle, child.line,
                    "cycle of parents: " + ids +
                        " (each the ParentId of the one before; rows at lines " + LineList(lines) +
                        ")",
                    "dropped the link: subject " + child.id +
                        " becomes a root (the cycle's row listed last in the file)");
  }
  for (size_t e = 0; e < links.size(); ++e) {
    if (link_active[e]) subjects[links[e].from].parent = links[e].to;
  }
  std::vector<bool> has_children(subjects.size(), false);
  for (const EediSubject& subject : subjects) {
    if (subject.parent != kNoParent) has_children[subject.parent] = true;
  }
  report.problems = std::move(subject_log.problems());

  // Questions.
  GraphDefinition definition;
  if (questions_table.has_value()) {
    report.rows_read += questions_table->rows.size();
    ProblemLog question_log(*question_csv_path, options.repair);
    std::unordered_map<std::string, size_t> question_line;
    auto is_ancestor = [&subjects](size_t ancestor, size_t node) {
      for (size_t p = subjects[node].parent; p != kNoParent; p = subjects[p].parent) {
        if (p == ancestor) return true;
      }
      return false;
    };
    for (const io_internal::CsvRow& row : questions_table->rows) {
      const std::string id(TrimSpaces(row.fields[question_columns[0]]));
      if (id.empty()) {
        question_log.Add(Kind::kMissingValue, row.line, "question without a QuestionId",
                         "dropped the row");
        continue;
      }
      if (!IsInteger(id)) {
        question_log.Add(Kind::kMalformedValue, row.line,
                         "QuestionId '" + id + "' is not an integer", "dropped the row");
        continue;
      }
      auto [first, inserted] = question_line.emplace(id, row.line);
      if (!inserted) {
        question_log.Add(
            Kind::kDuplicateId, row.line,
            "duplicate QuestionId " + id + " (first at line " + std::to_string(first->second) + ")",
            "dropped the row");
        continue;
      }
      const std::string_view cell = row.fields[question_columns[1]];
      const std::optional<std::vector<std::string>> mentioned = ParseIdList(cell);
      if (!mentioned.has_value()) {
        question_log.Add(Kind::kMalformedValue, row.line,
                         "SubjectId of question " + id + " is not a list like [3, 71, 98]: '" +
                             std::string(TrimSpaces(cell)) + "'",
                         "dropped the row");
        continue;
      }
      if (mentioned->empty()) {
        question_log.Add(Kind::kMissingValue, row.line, "question " + id + " lists no subject",
                         "dropped the row");
        continue;
      }
      const size_t problems_before = question_log.problems().size();
      std::vector<size_t> known;
      for (const std::string& subject_id : *mentioned) {
        ++report.references_read;
        auto subject = subject_index.find(subject_id);
        if (subject == subject_index.end()) {
          question_log.Add(Kind::kUnknownReference, row.line,
                           "subject " + subject_id + " of question " + id + " names no subject",
                           "dropped the mention");
          continue;
        }
        if (std::find(known.begin(), known.end(), subject->second) != known.end()) {
          question_log.Add(Kind::kDuplicateEdge, row.line,
                           "subject " + subject_id + " listed twice for question " + id,
                           "dropped the repeated mention");
          continue;
        }
        known.push_back(subject->second);
      }
      Activity activity;
      activity.id = "question:" + id;
      activity.name = "Question " + id;
      activity.kind = "question";
      for (size_t s : known) {
        bool most_specific = true;
        for (size_t other : known) most_specific = most_specific && !is_ancestor(s, other);
        if (!most_specific) continue;
        if (has_children[s]) {
          question_log.Add(Kind::kNotALeaf, row.line,
                           "the most specific subject of question " + id + ", " + subjects[s].id +
                               " (" + subjects[s].name + "), has sub-subjects, so it is a group",
                           "dropped the mention");
          continue;
        }
        activity.competencies.push_back(PracticedCompetency{SubjectNodeId(subjects[s].id), 1.0});
      }
      if (activity.competencies.empty()) {
        // Only reachable through the problems just logged, so the drop joins the last of them.
        if (question_log.problems().size() > problems_before && options.repair) {
          question_log.problems().back().action +=
              "; dropped question " + id + " (no leaf subject left)";
        }
        continue;
      }
      definition.activities.push_back(std::move(activity));
    }
    question_log.SortByLine();
    for (ImportProblem& problem : question_log.problems()) {
      report.problems.push_back(std::move(problem));
    }
  }

  if (!report.problems.empty() && !options.repair) return ProblemsStatus(report.problems);

  // Groups parents first (breadth-first from the roots, in file order), so that every parent a
  // group names is already defined above it.
  std::vector<std::vector<size_t>> children(subjects.size());
  std::deque<size_t> queue;
  for (size_t s = 0; s < subjects.size(); ++s) {
    if (subjects[s].parent == kNoParent) {
      queue.push_back(s);
    } else {
      children[subjects[s].parent].push_back(s);
    }
  }
  while (!queue.empty()) {
    const size_t s = queue.front();
    queue.pop_front();
    if (!has_children[s]) continue;
    const EediSubject& subject = subjects[s];
    definition.groups.push_back(
        Group{SubjectNodeId(subject.id), subject.name,
              subject.parent == kNoParent ? "" : SubjectNodeId(subjects[subject.parent].id)});
    for (size_t child : children[s]) queue.push_back(child);
  }
  for (size_t s = 0; s < subjects.size(); ++s) {
    if (has_children[s]) continue;
    const EediSubject& subject = subjects[s];
    Competency competency;
    competency.id = SubjectNodeId(subject.id);
    competency.name = subject.name.empty() ? "Subject " + subject.id : subject.name;
    if (subject.parent != kNoParent) competency.group = SubjectNodeId(subjects[subject.parent].id);
    definition.competencies.push_back(std::move(competency));
  }
  return BuildImported(subject_csv_path, std::move(definition), std::move(report));
}

}  // namespace pathwise
