#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/graph/strong_components.hpp>

#include <pathwise/competency_graph.h>

#include "graph_impl.h"

namespace pathwise {
namespace {

using graph_internal::kNoIndex;
using Kind = GraphProblem::Kind;

std::string Quote(std::string_view id) {
  std::string quoted;
  quoted.reserve(id.size() + 2);
  quoted += '\'';
  quoted += id;
  quoted += '\'';
  return quoted;
}

std::string FormatNumber(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

std::string Indexed(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

std::string JoinPath(const std::string& prefix, std::string_view field) {
  if (prefix.empty()) return std::string(field);
  std::string path = prefix;
  path += '.';
  path += field;
  return path;
}

std::string EdgeText(std::string_view from, std::string_view to) {
  return Quote(from) + " -> " + Quote(to);
}

// Written so that NaN fails every range.
bool InHalfOpenUnit(double x) { return x > 0.0 && x <= 1.0; }
bool InClosedUnit(double x) { return x >= 0.0 && x <= 1.0; }

StatusCode AddCodeFor(Kind kind) {
  switch (kind) {
    case Kind::kDuplicateId:
    case Kind::kDuplicateEdge:
      return StatusCode::kAlreadyExists;
    case Kind::kDanglingReference:
      return StatusCode::kNotFound;
    case Kind::kCycle:
      return StatusCode::kFailedPrecondition;
    case Kind::kMissingId:
    case Kind::kSelfLoop:
    case Kind::kOutOfRange:
    case Kind::kEmptyActivity:
    case Kind::kMalformed:
      return StatusCode::kInvalidArgument;
  }
  return StatusCode::kInvalidArgument;
}

// Collects problems. The checks are shared by ValidateGraphDefinition (which wants every problem)
// and the Add* calls (which want one Status, so each problem also carries the code it maps to
// there).
class ProblemSink {
 public:
  void Report(Kind kind, std::string path, std::string message) {
    Report(kind, std::move(path), std::move(message), AddCodeFor(kind));
  }
  void Report(Kind kind, std::string path, std::string message, StatusCode add_code) {
    problems_.push_back({kind, std::move(path), std::move(message)});
    add_codes_.push_back(add_code);
  }
  bool empty() const { return problems_.empty(); }
  std::vector<GraphProblem> TakeProblems() { return std::move(problems_); }

  // The first problem decides the code; the message has them all.
  Status ToAddStatus() const {
    if (problems_.empty()) return Status::Ok();
    std::string message;
    for (const GraphProblem& p : problems_) {
      if (!message.empty()) message += "; ";
      if (!p.path.empty()) message += p.path + ": ";
      message += p.message;
    }
    return Status(add_codes_.front(), std::move(message));
  }

 private:
  std::vector<GraphProblem> problems_;
  std::vector<StatusCode> add_codes_;
};

// Where a checked item sits: "competencies[7]" in a definition, or nowhere for an Add* argument
// (whose paths are then relative, like "params.slip"). Paths and messages are only built when a
// problem is reported, so checking a large valid graph costs no allocation per item.
class Where {
 public:
  Where() = default;
  Where(std::string_view section, size_t index) : section_(section), index_(index) {}
  std::string Path() const { return section_.empty() ? std::string() : Indexed(section_, index_); }
  std::string Path(std::string_view field) const { return JoinPath(Path(), field); }

 private:
  std::string_view section_;
  size_t index_ = 0;
};

// `Ids` is DefinitionIds or the Impl of a built graph: CompetencyIndex(id) (kNoIndex when absent),
// IsCompetency(id), IsGroup(id).

template <typename Ids>
void CheckGroupParent(const Group& group, const Where& where, const Ids& ids, ProblemSink* sink) {
  if (group.parent.empty() || ids.IsGroup(group.parent)) return;
  const char* what =
      ids.IsCompetency(group.parent) ? " is a competency, not a group" : " names no group";
  sink->Report(Kind::kDanglingReference, where.Path("parent"),
               "parent " + Quote(group.parent) + " of group " + Quote(group.id) + what);
}

void CheckBktParams(const BktParams& params, const Where& where, const Competency& owner,
                    ProblemSink* sink) {
  const std::pair<const char*, double> fields[] = {{"prior", params.prior},
                                                   {"learn", params.learn},
                                                   {"forget", params.forget},
                                                   {"guess", params.guess},
                                                   {"slip", params.slip}};
  bool field_out_of_range = false;
  for (const auto& [name, value] : fields) {
    if (InClosedUnit(value)) continue;
    field_out_of_range = true;
    sink->Report(Kind::kOutOfRange, where.Path(std::string("params.") + name),
                 "competency " + Quote(owner.id) + ": " + name +
                     " must be a probability in [0, 1], got " + FormatNumber(value));
  }
  // Validate() owns the rules that span fields (guess + slip < 1); per-field ranges are reported
  // above with their own paths, so only ask it when those passed.
  if (field_out_of_range) return;
  const Status status = params.Validate();
  if (!status.ok()) {
    sink->Report(Kind::kOutOfRange, where.Path("params"),
                 "competency " + Quote(owner.id) + ": " + status.message());
  }
}

template <typename Ids>
void CheckCompetencyBody(const Competency& competency, const Where& where, const Ids& ids,
                         ProblemSink* sink) {
  if (!competency.group.empty() && !ids.IsGroup(competency.group)) {
    const char* what =
        ids.IsCompetency(competency.group) ? " is a competency, not a group" : " names no group";
    sink->Report(
        Kind::kDanglingReference, where.Path("group"),
        "group " + Quote(competency.group) + " of competency " + Quote(competency.id) + what);
  }
  if (!InHalfOpenUnit(competency.mastery_threshold)) {
    sink->Report(Kind::kOutOfRange, where.Path("mastery_threshold"),
                 "competency " + Quote(competency.id) +
                     ": mastery_threshold must be in (0, 1], got " +
                     FormatNumber(competency.mastery_threshold));
  }
  if (competency.mastery_min_opportunities && (*competency.mastery_min_opportunities < 1 ||
                                               *competency.mastery_min_opportunities > 65535)) {
    sink->Report(Kind::kOutOfRange, where.Path("mastery_min_opportunities"),
                 "competency " + Quote(competency.id) +
                     ": mastery_min_opportunities must be in [1, 65535], got " +
                     std::to_string(*competency.mastery_min_opportunities));
  }
  if (competency.mastery_recent_correct &&
      (*competency.mastery_recent_correct < 0 || *competency.mastery_recent_correct > 8)) {
    sink->Report(Kind::kOutOfRange, where.Path("mastery_recent_correct"),
                 "competency " + Quote(competency.id) +
                     ": mastery_recent_correct must be in [0, 8], got " +
                     std::to_string(*competency.mastery_recent_correct));
  }
  if (competency.params) CheckBktParams(*competency.params, where, competency, sink);
}

// The index of competency `id`, or kNoIndex after reporting why there is none. `path` and
// `referrer` (who refers to it, for the message) are callables so that nothing is built on success.
template <typename Ids, typename PathFn, typename ReferrerFn>
size_t ResolveCompetency(std::string_view id, const Ids& ids, const PathFn& path,
                         const ReferrerFn& referrer, ProblemSink* sink) {
  if (id.empty()) {
    sink->Report(Kind::kMissingId, path(), referrer() + " has an empty competency id");
    return kNoIndex;
  }
  const size_t index = ids.CompetencyIndex(id);
  if (index == kNoIndex) {
    const char* what = ids.IsGroup(id) ? " is a group, not a competency" : " names no competency";
    sink->Report(Kind::kDanglingReference, path(), Quote(id) + " in " + referrer() + what);
  }
  return index;
}

// Returns the indices of both ends (kNoIndex for an end that does not resolve).
template <typename Ids>
std::pair<size_t, size_t> CheckPrerequisiteBody(const Prerequisite& edge, const Where& where,
                                                const Ids& ids, ProblemSink* sink) {
  const auto referrer = [&] { return "prerequisite " + EdgeText(edge.from, edge.to); };
  const size_t from = ResolveCompetency(
      edge.from, ids, [&] { return where.Path("from"); }, referrer, sink);
  const size_t to = ResolveCompetency(
      edge.to, ids, [&] { return where.Path("to"); }, referrer, sink);
  if (!edge.from.empty() && edge.from == edge.to) {
    sink->Report(Kind::kSelfLoop, where.Path(), referrer() + " is a self-loop");
  }
  if (!InHalfOpenUnit(edge.strength)) {
    sink->Report(Kind::kOutOfRange, where.Path("strength"),
                 referrer() + ": strength must be in (0, 1], got " + FormatNumber(edge.strength));
  }
  return {from, to};
}

// Fills `rows` with the index of each practised competency (kNoIndex where it does not resolve).
template <typename Ids>
void CheckActivityBody(const Activity& activity, const Where& where, const Ids& ids,
                       ProblemSink* sink, std::vector<size_t>* rows) {
  const auto owner = [&] { return "activity " + Quote(activity.id); };
  if (activity.competencies.empty()) {
    sink->Report(Kind::kEmptyActivity, where.Path("competencies"),
                 owner() + " practises no competency");
  }
  rows->clear();
  // A Q-matrix row is short, so a linear scan finds repeats; a hash map guards against a huge one.
  const bool long_row = activity.competencies.size() > 16;
  std::unordered_map<size_t, size_t> first_row_of;
  for (size_t k = 0; k < activity.competencies.size(); ++k) {
    const PracticedCompetency& row = activity.competencies[k];
    const auto row_path = [&](std::string_view field) {
      return where.Path(Indexed("competencies", k) + "." + std::string(field));
    };
    const size_t index = ResolveCompetency(
        row.competency_id, ids, [&] { return row_path("competency_id"); }, owner, sink);
    size_t earlier = kNoIndex;
    if (index != kNoIndex && long_row) {
      earlier = first_row_of.emplace(index, k).first->second;
    } else if (index != kNoIndex) {
      earlier = static_cast<size_t>(std::find(rows->begin(), rows->end(), index) - rows->begin());
    }
    if (earlier != kNoIndex && earlier != k) {
      // Not AlreadyExists when adding: nothing in the graph clashes, the argument contradicts
      // itself.
      sink->Report(Kind::kDuplicateId, row_path("competency_id"),
                   owner() + " lists competency " + Quote(row.competency_id) + " twice (also " +
                       Indexed("competencies", earlier) + ")",
                   StatusCode::kInvalidArgument);
    }
    rows->push_back(index);
    if (!InHalfOpenUnit(row.weight)) {
      sink->Report(Kind::kOutOfRange, row_path("weight"),
                   owner() + ": weight of competency " + Quote(row.competency_id) +
                       " must be in (0, 1], got " + FormatNumber(row.weight));
    }
  }
  if (activity.difficulty && !InClosedUnit(*activity.difficulty)) {
    sink->Report(
        Kind::kOutOfRange, where.Path("difficulty"),
        owner() + ": difficulty must be in [0, 1], got " + FormatNumber(*activity.difficulty));
  }
  if (!(activity.expected_minutes > 0.0) || !std::isfinite(activity.expected_minutes)) {
    sink->Report(Kind::kOutOfRange, where.Path("expected_minutes"),
                 owner() + ": expected_minutes must be a finite number > 0, got " +
                     FormatNumber(activity.expected_minutes));
  }
}

// One concrete cycle: vertices[0] -> vertices[1] -> ... -> vertices[0]; `closing_label` labels the
// edge from the last vertex back to the first.
struct Cycle {
  std::vector<size_t> vertices;
  size_t closing_label = 0;
};

// out[u] lists (v, label) edges. Returns one cycle per strongly connected component that has more
// than one vertex or a self-loop, starting at the component's smallest vertex (so messages do not
// depend on traversal details), ordered by that vertex. It is the shortest cycle through that
// vertex (BFS).
std::vector<Cycle> FindCycles(const std::vector<std::vector<std::pair<size_t, size_t>>>& out) {
  const size_t n = out.size();
  using SccGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  SccGraph scc_graph(n);
  for (size_t u = 0; u < n; ++u) {
    for (const auto& [v, label] : out[u]) boost::add_edge(u, v, scc_graph);
  }
  std::vector<size_t> component(n);
  const size_t num_components = boost::strong_components(
      scc_graph, boost::make_iterator_property_map(component.begin(),
                                                   boost::get(boost::vertex_index, scc_graph)));
  std::vector<size_t> size(num_components, 0);
  for (size_t v = 0; v < n; ++v) ++size[component[v]];

  std::vector<Cycle> cycles;
  std::vector<bool> component_done(num_components, false);
  std::vector<size_t> parent(n, kNoIndex);
  std::vector<size_t> parent_label(n, 0);
  std::vector<size_t> queue;
  for (size_t start = 0; start < n; ++start) {
    const size_t c = component[start];
    if (component_done[c]) continue;
    component_done[c] = true;  // `start` is the component's smallest vertex
    bool self_loop = false;
    for (const auto& edge : out[start]) self_loop = self_loop || edge.first == start;
    if (size[c] == 1 && !self_loop) continue;

    queue.assign(1, start);
    parent[start] = start;
    bool found = false;
    for (size_t head = 0; head < queue.size() && !found; ++head) {
      const size_t u = queue[head];
      for (const auto& [v, label] : out[u]) {
        if (component[v] != c) continue;
        if (v == start) {
          Cycle cycle;
          cycle.closing_label = label;
          for (size_t w = u; w != start; w = parent[w]) cycle.vertices.push_back(w);
          cycle.vertices.push_back(start);
          std::reverse(cycle.vertices.begin(), cycle.vertices.end());
          cycles.push_back(std::move(cycle));
          found = true;
          break;
        }
        if (parent[v] != kNoIndex) continue;
        parent[v] = u;
        parent_label[v] = label;
        queue.push_back(v);
      }
    }
    for (size_t v : queue) parent[v] = kNoIndex;
  }
  return cycles;
}

template <typename IdOf>
std::string CycleText(const std::vector<size_t>& vertices, const IdOf& id_of) {
  std::string text = "cycle: ";
  for (size_t v : vertices) {
    text += id_of(v);
    text += " -> ";
  }
  text += id_of(vertices.front());
  return text;
}

struct PairHash {
  size_t operator()(const std::pair<size_t, size_t>& p) const {
    return std::hash<size_t>()(p.first) * 0x9E3779B97F4A7C15ULL ^ std::hash<size_t>()(p.second);
  }
};

// Ids of a GraphDefinition; the first occurrence of a duplicate id wins.
struct DefinitionIds {
  std::unordered_map<std::string_view, size_t> group_first;
  std::unordered_map<std::string_view, size_t> competency_first;
  bool IsGroup(std::string_view id) const { return group_first.count(id) != 0; }
  bool IsCompetency(std::string_view id) const { return competency_first.count(id) != 0; }
  size_t CompetencyIndex(std::string_view id) const {
    auto it = competency_first.find(id);
    return it == competency_first.end() ? kNoIndex : it->second;
  }
};

// Indexes the non-empty ids of `items` into `first`; returns, for each item, the index of the
// earlier item with the same id (kNoIndex when it is the first).
template <typename T>
std::vector<size_t> IndexIds(const std::vector<T>& items,
                             std::unordered_map<std::string_view, size_t>* first) {
  std::vector<size_t> earlier(items.size(), kNoIndex);
  first->reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].id.empty()) continue;
    auto [it, inserted] = first->emplace(items[i].id, i);
    if (!inserted) earlier[i] = it->second;
  }
  return earlier;
}

std::string NameHint(const std::string& name) {
  return name.empty() ? std::string() : " (name " + Quote(name) + ")";
}

}  // namespace

std::string_view GraphProblemKindName(GraphProblem::Kind kind) {
  switch (kind) {
    case Kind::kMissingId:
      return "missing-id";
    case Kind::kDuplicateId:
      return "duplicate-id";
    case Kind::kSelfLoop:
      return "self-loop";
    case Kind::kDuplicateEdge:
      return "duplicate-edge";
    case Kind::kDanglingReference:
      return "dangling-reference";
    case Kind::kOutOfRange:
      return "out-of-range";
    case Kind::kEmptyActivity:
      return "empty-activity";
    case Kind::kCycle:
      return "cycle";
    case Kind::kMalformed:
      return "malformed";
  }
  return "unknown";
}

namespace {

// ValidateGraphDefinition, also recording in `refs` the competency index of every edge end and
// activity row (kNoIndex where one does not resolve) so that building need not look them up again.
std::vector<GraphProblem> ValidateAndResolve(const GraphDefinition& def,
                                             graph_internal::ResolvedRefs* refs) {
  ProblemSink sink;
  DefinitionIds ids;
  const std::vector<size_t> earlier_group = IndexIds(def.groups, &ids.group_first);
  const std::vector<size_t> earlier_competency = IndexIds(def.competencies, &ids.competency_first);

  // Groups, then cycles among their parent links.
  std::vector<std::vector<std::pair<size_t, size_t>>> group_out(def.groups.size());
  for (size_t i = 0; i < def.groups.size(); ++i) {
    const Group& group = def.groups[i];
    const Where where("groups", i);
    if (group.id.empty()) {
      sink.Report(Kind::kMissingId, where.Path("id"), "group id is empty" + NameHint(group.name));
    } else if (earlier_group[i] != kNoIndex) {
      sink.Report(Kind::kDuplicateId, where.Path("id"),
                  "duplicate group id " + Quote(group.id) + " (also " +
                      Indexed("groups", earlier_group[i]) + ".id)");
    }
    CheckGroupParent(group, where, ids, &sink);
    if (group.parent.empty()) continue;
    if (auto it = ids.group_first.find(group.parent); it != ids.group_first.end()) {
      group_out[i].push_back({it->second, i});
    }
  }
  for (const Cycle& cycle : FindCycles(group_out)) {
    sink.Report(Kind::kCycle, Where("groups", cycle.closing_label).Path("parent"),
                CycleText(cycle.vertices, [&](size_t g) { return def.groups[g].id; }));
  }

  for (size_t i = 0; i < def.competencies.size(); ++i) {
    const Competency& competency = def.competencies[i];
    const Where where("competencies", i);
    if (competency.id.empty()) {
      sink.Report(Kind::kMissingId, where.Path("id"),
                  "competency id is empty" + NameHint(competency.name));
    } else if (earlier_competency[i] != kNoIndex) {
      sink.Report(Kind::kDuplicateId, where.Path("id"),
                  "duplicate competency id " + Quote(competency.id) + " (also " +
                      Indexed("competencies", earlier_competency[i]) + ".id)");
    } else if (auto it = ids.group_first.find(competency.id); it != ids.group_first.end()) {
      sink.Report(Kind::kDuplicateId, where.Path("id"),
                  "competency id " + Quote(competency.id) + " is also the id of " +
                      Indexed("groups", it->second));
    }
    CheckCompetencyBody(competency, where, ids, &sink);
  }

  // Prerequisites, then cycles among the edges that are otherwise sound.
  std::vector<std::vector<std::pair<size_t, size_t>>> competency_out(def.competencies.size());
  refs->edges.reserve(def.prerequisites.size());
  refs->activity_rows.reserve(def.activities.size());
  std::unordered_map<std::pair<size_t, size_t>, size_t, PairHash> first_edge;
  first_edge.reserve(def.prerequisites.size());
  for (size_t i = 0; i < def.prerequisites.size(); ++i) {
    const Prerequisite& edge = def.prerequisites[i];
    const Where where("prerequisites", i);
    const auto [from, to] = CheckPrerequisiteBody(edge, where, ids, &sink);
    refs->edges.emplace_back(from, to);
    if (from == kNoIndex || to == kNoIndex || from == to) continue;
    auto [it, inserted] = first_edge.emplace(std::make_pair(from, to), i);
    if (!inserted) {
      sink.Report(Kind::kDuplicateEdge, where.Path(),
                  "duplicate prerequisite " + EdgeText(edge.from, edge.to) + " (also " +
                      Indexed("prerequisites", it->second) + ")");
      continue;
    }
    competency_out[from].push_back({to, i});
  }
  for (const Cycle& cycle : FindCycles(competency_out)) {
    sink.Report(Kind::kCycle, Where("prerequisites", cycle.closing_label).Path(),
                CycleText(cycle.vertices, [&](size_t c) { return def.competencies[c].id; }));
  }

  std::unordered_map<std::string_view, size_t> activity_first;
  const std::vector<size_t> earlier_activity = IndexIds(def.activities, &activity_first);
  for (size_t i = 0; i < def.activities.size(); ++i) {
    const Activity& activity = def.activities[i];
    const Where where("activities", i);
    if (activity.id.empty()) {
      sink.Report(Kind::kMissingId, where.Path("id"),
                  "activity id is empty" + NameHint(activity.name));
    } else if (earlier_activity[i] != kNoIndex) {
      sink.Report(Kind::kDuplicateId, where.Path("id"),
                  "duplicate activity id " + Quote(activity.id) + " (also " +
                      Indexed("activities", earlier_activity[i]) + ".id)");
    }
    refs->activity_rows.emplace_back();
    CheckActivityBody(activity, where, ids, &sink, &refs->activity_rows.back());
  }
  return sink.TakeProblems();
}

}  // namespace

std::vector<GraphProblem> ValidateGraphDefinition(const GraphDefinition& def) {
  graph_internal::ResolvedRefs refs;
  return ValidateAndResolve(def, &refs);
}

Status ProblemsToStatus(const std::vector<GraphProblem>& problems) {
  if (problems.empty()) return Status::Ok();
  bool only_cycles = true;
  std::string message;
  for (const GraphProblem& problem : problems) {
    only_cycles = only_cycles && problem.kind == Kind::kCycle;
    if (!message.empty()) message += '\n';
    if (!problem.path.empty()) message += problem.path + ": ";
    message += problem.message;
  }
  return only_cycles ? Status::FailedPrecondition(std::move(message))
                     : Status::InvalidArgument(std::move(message));
}

// ---------------------------------------------------------------------------------------------------
// Impl

namespace {

template <typename T>
std::vector<std::unique_ptr<T>> DeepCopy(const std::vector<std::unique_ptr<T>>& items) {
  std::vector<std::unique_ptr<T>> copy;
  copy.reserve(items.size());
  for (const auto& item : items) copy.push_back(std::make_unique<T>(*item));
  return copy;
}

}  // namespace

CompetencyGraph::Impl::Impl(const Impl& other)
    : competencies(DeepCopy(other.competencies)),
      graph(other.graph),
      next_edge_seq(other.next_edge_seq),
      dynamic_rank(other.dynamic_rank),
      activities(DeepCopy(other.activities)),
      activity_competencies(other.activity_competencies),
      groups(DeepCopy(other.groups)) {
  RebuildIndices(/*resolve_activity_rows=*/false);
  std::lock_guard<std::mutex> lock(other.topo_mutex);
  topo = other.topo;
}

std::unique_ptr<CompetencyGraph::Impl> CompetencyGraph::Impl::FromValidDefinition(
    GraphDefinition def, graph_internal::ResolvedRefs* refs) {
  auto impl = std::make_unique<Impl>();
  impl->groups.reserve(def.groups.size());
  for (Group& group : def.groups) impl->groups.push_back(std::make_unique<Group>(std::move(group)));
  impl->competencies.reserve(def.competencies.size());
  for (Competency& competency : def.competencies) {
    if (competency.name.empty()) competency.name = competency.id;
    impl->competencies.push_back(std::make_unique<Competency>(std::move(competency)));
  }
  impl->activities.reserve(def.activities.size());
  for (Activity& activity : def.activities) {
    impl->activities.push_back(std::make_unique<Activity>(std::move(activity)));
  }
  // Validation already resolved every reference (competency i of a valid definition is vertex i),
  // so reuse that rather than hash every id again.
  if (refs != nullptr) impl->activity_competencies = std::move(refs->activity_rows);
  impl->RebuildIndices(/*resolve_activity_rows=*/refs == nullptr);
  impl->graph = graph_internal::Digraph(impl->competencies.size());
  for (size_t i = 0; i < def.prerequisites.size(); ++i) {
    const Prerequisite& edge = def.prerequisites[i];
    const auto [from, to] = refs != nullptr ? refs->edges[i]
                                            : std::make_pair(impl->CompetencyIndex(edge.from),
                                                             impl->CompetencyIndex(edge.to));
    boost::add_edge(from, to, graph_internal::EdgeData{edge.strength, impl->next_edge_seq++},
                    impl->graph);
  }
  impl->dynamic_rank = impl->Topo()->rank;
  return impl;
}

void CompetencyGraph::Impl::RebuildIndices(bool resolve_activity_rows) {
  group_index.clear();
  group_index.reserve(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) group_index.emplace(groups[g]->id, g);
  group_parent.assign(groups.size(), kNoIndex);
  group_children.assign(groups.size(), {});
  group_competencies.assign(groups.size(), {});
  for (size_t g = 0; g < groups.size(); ++g) {
    if (groups[g]->parent.empty()) continue;
    group_parent[g] = GroupIndex(groups[g]->parent);
    group_children[group_parent[g]].push_back(g);
  }

  competency_index.clear();
  competency_index.reserve(competencies.size());
  competency_group.assign(competencies.size(), kNoIndex);
  for (size_t v = 0; v < competencies.size(); ++v) {
    competency_index.emplace(competencies[v]->id, v);
    if (competencies[v]->group.empty()) continue;
    competency_group[v] = GroupIndex(competencies[v]->group);
    group_competencies[competency_group[v]].push_back(v);
  }

  activity_index.clear();
  activity_index.reserve(activities.size());
  if (resolve_activity_rows) activity_competencies.assign(activities.size(), {});
  competency_activities.assign(competencies.size(), {});
  for (size_t a = 0; a < activities.size(); ++a) {
    activity_index.emplace(activities[a]->id, a);
    if (resolve_activity_rows) {
      for (const PracticedCompetency& row : activities[a]->competencies) {
        activity_competencies[a].push_back(CompetencyIndex(row.competency_id));
      }
    }
    for (size_t v : activity_competencies[a]) competency_activities[v].push_back(a);
  }
}

std::shared_ptr<const graph_internal::TopoOrder> CompetencyGraph::Impl::Topo() const {
  std::lock_guard<std::mutex> lock(topo_mutex);
  if (topo) return topo;
  const size_t n = competencies.size();
  auto result = std::make_shared<graph_internal::TopoOrder>();
  result->order.reserve(n);
  result->rank.assign(n, 0);
  std::vector<size_t> waiting_on(n);
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t v = 0; v < n; ++v) {
    waiting_on[v] = boost::in_degree(v, graph);
    if (waiting_on[v] == 0) ready.push(v);
  }
  while (!ready.empty()) {
    const size_t v = ready.top();
    ready.pop();
    result->rank[v] = result->order.size();
    result->order.push_back(v);
    ForEachDependent(v, [&](size_t w, double) {
      if (--waiting_on[w] == 0) ready.push(w);
    });
  }
  topo = std::move(result);
  return topo;
}

// ---------------------------------------------------------------------------------------------------
// CompetencyGraph

std::vector<size_t> CompetencyGraph::Impl::OrderForNewEdge(size_t from, size_t to) {
  const size_t upper = dynamic_rank[from];
  const size_t lower = dynamic_rank[to];
  if (upper < lower) return {};
  // Pearce-Kelly: a path to -> ... -> from can only run through competencies ranked between the
  // two, and only those need new ranks, so the work is bounded by that window rather than the
  // graph.
  const size_t n = competencies.size();
  if (scratch_mark.size() < n) {
    scratch_mark.resize(n, 0);
    scratch_parent.resize(n, kNoIndex);
  }
  if (scratch_epoch > UINT32_MAX - 2) {
    std::fill(scratch_mark.begin(), scratch_mark.end(), 0);
    scratch_epoch = 0;
  }
  const std::uint32_t forward_mark = ++scratch_epoch;
  const std::uint32_t backward_mark = ++scratch_epoch;

  // Breadth-first, so that the cycle reported is a shortest one.
  std::vector<size_t> forward{to};
  scratch_mark[to] = forward_mark;
  scratch_parent[to] = to;
  for (size_t head = 0; head < forward.size(); ++head) {
    const size_t u = forward[head];
    auto [it, end] = boost::out_edges(u, graph);
    for (; it != end; ++it) {
      const size_t w = boost::target(*it, graph);
      if (w == from) {
        std::vector<size_t> cycle;
        for (size_t x = u; x != to; x = scratch_parent[x]) cycle.push_back(x);
        cycle.push_back(to);
        cycle.push_back(from);
        std::reverse(cycle.begin(), cycle.end());
        return cycle;
      }
      if (dynamic_rank[w] > upper || scratch_mark[w] == forward_mark) continue;
      scratch_mark[w] = forward_mark;
      scratch_parent[w] = u;
      forward.push_back(w);
    }
  }
  std::vector<size_t> backward{from};
  scratch_mark[from] = backward_mark;
  for (size_t head = 0; head < backward.size(); ++head) {
    ForEachPrerequisite(backward[head], [&](size_t w, double) {
      if (dynamic_rank[w] < lower || scratch_mark[w] == backward_mark) return;
      scratch_mark[w] = backward_mark;
      backward.push_back(w);
    });
  }
  // `from` and what leads to it move before `to` and what follows it; each side keeps its relative
  // order, and together they reuse the same ranks.
  const auto by_rank = [&](size_t a, size_t b) { return dynamic_rank[a] < dynamic_rank[b]; };
  std::sort(backward.begin(), backward.end(), by_rank);
  std::sort(forward.begin(), forward.end(), by_rank);
  std::vector<size_t> ranks;
  ranks.reserve(backward.size() + forward.size());
  for (size_t v : backward) ranks.push_back(dynamic_rank[v]);
  for (size_t v : forward) ranks.push_back(dynamic_rank[v]);
  std::sort(ranks.begin(), ranks.end());
  size_t next = 0;
  for (size_t v : backward) dynamic_rank[v] = ranks[next++];
  for (size_t v : forward) dynamic_rank[v] = ranks[next++];
  return {};
}

namespace {

std::string JoinQuoted(const std::vector<std::string>& ids) {
  std::string text;
  for (const std::string& id : ids) {
    if (!text.empty()) text += ", ";
    text += Quote(id);
  }
  return text;
}

}  // namespace

CompetencyGraph::CompetencyGraph() : impl_(std::make_unique<Impl>()) {}
CompetencyGraph::~CompetencyGraph() = default;
CompetencyGraph::CompetencyGraph(const CompetencyGraph& other)
    : impl_(std::make_unique<Impl>(*other.impl_)) {}
CompetencyGraph& CompetencyGraph::operator=(const CompetencyGraph& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
// A moved-from graph may only be destroyed or assigned to.
CompetencyGraph::CompetencyGraph(CompetencyGraph&& other) noexcept = default;
CompetencyGraph& CompetencyGraph::operator=(CompetencyGraph&& other) noexcept {
  impl_.swap(other.impl_);
  return *this;
}

Result<CompetencyGraph> CompetencyGraph::FromDefinition(GraphDefinition def) {
  graph_internal::ResolvedRefs refs;
  const std::vector<GraphProblem> problems = ValidateAndResolve(def, &refs);
  if (!problems.empty()) return ProblemsToStatus(problems);
  CompetencyGraph graph;
  graph.impl_ = Impl::FromValidDefinition(std::move(def), &refs);
  return graph;
}

GraphDefinition CompetencyGraph::ToDefinition() const {
  GraphDefinition def;
  def.groups.reserve(impl_->groups.size());
  for (const auto& group : impl_->groups) def.groups.push_back(*group);
  def.competencies.reserve(impl_->competencies.size());
  for (const auto& competency : impl_->competencies) def.competencies.push_back(*competency);
  def.prerequisites = prerequisites();
  def.activities.reserve(impl_->activities.size());
  for (const auto& activity : impl_->activities) def.activities.push_back(*activity);
  return def;
}

Status CompetencyGraph::AddGroup(Group group) {
  ProblemSink sink;
  if (group.id.empty()) {
    sink.Report(Kind::kMissingId, "id", "group id is empty");
  } else if (impl_->IsGroup(group.id) || impl_->IsCompetency(group.id)) {
    sink.Report(Kind::kDuplicateId, "id",
                "id " + Quote(group.id) + " is already used by a " +
                    (impl_->IsGroup(group.id) ? "group" : "competency"));
  }
  CheckGroupParent(group, Where(), *impl_, &sink);
  if (!sink.empty()) return sink.ToAddStatus();

  Impl& impl = *impl_;
  const size_t g = impl.groups.size();
  const size_t parent = group.parent.empty() ? kNoIndex : impl.GroupIndex(group.parent);
  impl.groups.push_back(std::make_unique<Group>(std::move(group)));
  impl.group_index.emplace(impl.groups.back()->id, g);
  impl.group_parent.push_back(parent);
  impl.group_children.emplace_back();
  impl.group_competencies.emplace_back();
  if (parent != kNoIndex) impl.group_children[parent].push_back(g);
  return Status::Ok();
}

Status CompetencyGraph::AddCompetency(Competency competency) {
  ProblemSink sink;
  if (competency.id.empty()) {
    sink.Report(Kind::kMissingId, "id", "competency id is empty");
  } else if (impl_->IsGroup(competency.id) || impl_->IsCompetency(competency.id)) {
    sink.Report(Kind::kDuplicateId, "id",
                "id " + Quote(competency.id) + " is already used by a " +
                    (impl_->IsGroup(competency.id) ? "group" : "competency"));
  }
  CheckCompetencyBody(competency, Where(), *impl_, &sink);
  if (!sink.empty()) return sink.ToAddStatus();

  Impl& impl = *impl_;
  if (competency.name.empty()) competency.name = competency.id;
  const size_t v = boost::add_vertex(impl.graph);
  const size_t group = competency.group.empty() ? kNoIndex : impl.GroupIndex(competency.group);
  impl.competencies.push_back(std::make_unique<Competency>(std::move(competency)));
  impl.competency_index.emplace(impl.competencies.back()->id, v);
  impl.competency_group.push_back(group);
  impl.competency_activities.emplace_back();
  if (group != kNoIndex) impl.group_competencies[group].push_back(v);
  impl.dynamic_rank.push_back(v);  // ranks are a permutation of 0..n-1; the new vertex goes last
  // A new isolated vertex has the largest index, so the smallest topological order just gains it at
  // the end; extend the cache rather than recompute it, unless a copy shares it.
  if (impl.topo && impl.topo.use_count() == 1) {
    impl.topo->rank.push_back(impl.topo->order.size());
    impl.topo->order.push_back(v);
  } else {
    impl.InvalidateTopo();
  }
  return Status::Ok();
}

Status CompetencyGraph::AddPrerequisite(Prerequisite prerequisite) {
  ProblemSink sink;
  const auto [from, to] = CheckPrerequisiteBody(prerequisite, Where(), *impl_, &sink);
  if (!sink.empty()) return sink.ToAddStatus();

  Impl& impl = *impl_;
  if (boost::edge(from, to, impl.graph).second) {
    return Status::AlreadyExists("prerequisite " + EdgeText(prerequisite.from, prerequisite.to) +
                                 " already exists");
  }
  const std::vector<size_t> cycle = impl.OrderForNewEdge(from, to);
  if (!cycle.empty()) {
    return Status::FailedPrecondition(
        "prerequisite " + EdgeText(prerequisite.from, prerequisite.to) + " would close a " +
        CycleText(cycle, [&](size_t v) { return impl.competencies[v]->id; }));
  }
  // An edge that agrees with the cached smallest order leaves it the smallest (the new graph's
  // topological orders are a subset of the old graph's); any other edge may change it.
  if (impl.topo && impl.topo->rank[from] > impl.topo->rank[to]) impl.InvalidateTopo();
  boost::add_edge(from, to, graph_internal::EdgeData{prerequisite.strength, impl.next_edge_seq++},
                  impl.graph);
  return Status::Ok();
}

Status CompetencyGraph::AddActivity(Activity activity) {
  ProblemSink sink;
  if (activity.id.empty()) {
    sink.Report(Kind::kMissingId, "id", "activity id is empty");
  } else if (impl_->ActivityIndex(activity.id) != kNoIndex) {
    sink.Report(Kind::kDuplicateId, "id", "activity id " + Quote(activity.id) + " already exists");
  }
  std::vector<size_t> rows;
  CheckActivityBody(activity, Where(), *impl_, &sink, &rows);
  if (!sink.empty()) return sink.ToAddStatus();

  Impl& impl = *impl_;
  const size_t a = impl.activities.size();
  for (size_t v : rows) impl.competency_activities[v].push_back(a);
  impl.activity_competencies.push_back(std::move(rows));
  impl.activities.push_back(std::make_unique<Activity>(std::move(activity)));
  impl.activity_index.emplace(impl.activities.back()->id, a);
  return Status::Ok();
}

Status CompetencyGraph::RemoveCompetency(std::string_view id) {
  Impl& impl = *impl_;
  const size_t v = impl.CompetencyIndex(id);
  if (v == kNoIndex) return Status::NotFound("competency " + Quote(id) + " is not in the graph");
  std::vector<std::string> sole_practice;
  for (size_t a : impl.competency_activities[v]) {
    if (impl.activities[a]->competencies.size() == 1)
      sole_practice.push_back(impl.activities[a]->id);
  }
  if (!sole_practice.empty()) {
    return Status::FailedPrecondition("competency " + Quote(id) +
                                      " is the only competency practised by activities " +
                                      JoinQuoted(sole_practice) + "; remove them first");
  }
  // Activities that practise other competencies too just lose this row.
  for (size_t a : impl.competency_activities[v]) {
    auto& rows = impl.activities[a]->competencies;
    rows.erase(
        std::remove_if(rows.begin(), rows.end(),
                       [&](const PracticedCompetency& row) { return row.competency_id == id; }),
        rows.end());
  }
  const size_t removed_rank = impl.dynamic_rank[v];
  impl.dynamic_rank.erase(impl.dynamic_rank.begin() + static_cast<std::ptrdiff_t>(v));
  for (size_t& rank : impl.dynamic_rank) rank -= rank > removed_rank ? 1 : 0;
  boost::clear_vertex(v, impl.graph);
  boost::remove_vertex(v, impl.graph);  // renumbers the later vertices, as the erase below does
  impl.competencies.erase(impl.competencies.begin() + static_cast<std::ptrdiff_t>(v));
  impl.RebuildIndices(/*resolve_activity_rows=*/true);
  impl.InvalidateTopo();
  return Status::Ok();
}

Status CompetencyGraph::RemovePrerequisite(std::string_view from, std::string_view to) {
  Impl& impl = *impl_;
  const size_t u = impl.CompetencyIndex(from);
  const size_t v = impl.CompetencyIndex(to);
  if (u == kNoIndex || v == kNoIndex || !boost::edge(u, v, impl.graph).second) {
    return Status::NotFound("prerequisite " + EdgeText(from, to) + " is not in the graph");
  }
  boost::remove_edge(u, v, impl.graph);
  impl.InvalidateTopo();
  return Status::Ok();
}

Status CompetencyGraph::RemoveActivity(std::string_view id) {
  Impl& impl = *impl_;
  const size_t a = impl.ActivityIndex(id);
  if (a == kNoIndex) return Status::NotFound("activity " + Quote(id) + " is not in the graph");
  impl.activities.erase(impl.activities.begin() + static_cast<std::ptrdiff_t>(a));
  impl.activity_competencies.erase(impl.activity_competencies.begin() +
                                   static_cast<std::ptrdiff_t>(a));
  impl.RebuildIndices(/*resolve_activity_rows=*/false);
  return Status::Ok();
}

Status CompetencyGraph::RemoveGroup(std::string_view id) {
  Impl& impl = *impl_;
  const size_t g = impl.GroupIndex(id);
  if (g == kNoIndex) return Status::NotFound("group " + Quote(id) + " is not in the graph");
  std::vector<std::string> members;
  for (size_t child : impl.group_children[g]) members.push_back(impl.groups[child]->id);
  for (size_t v : impl.group_competencies[g]) members.push_back(impl.competencies[v]->id);
  if (!members.empty()) {
    return Status::FailedPrecondition("group " + Quote(id) + " still has members " +
                                      JoinQuoted(members) + "; remove or move them first");
  }
  impl.groups.erase(impl.groups.begin() + static_cast<std::ptrdiff_t>(g));
  impl.RebuildIndices(/*resolve_activity_rows=*/false);
  return Status::Ok();
}

const Competency* CompetencyGraph::FindCompetency(std::string_view id) const {
  const size_t v = impl_->CompetencyIndex(id);
  return v == kNoIndex ? nullptr : impl_->competencies[v].get();
}

const Activity* CompetencyGraph::FindActivity(std::string_view id) const {
  const size_t a = impl_->ActivityIndex(id);
  return a == kNoIndex ? nullptr : impl_->activities[a].get();
}

const Group* CompetencyGraph::FindGroup(std::string_view id) const {
  const size_t g = impl_->GroupIndex(id);
  return g == kNoIndex ? nullptr : impl_->groups[g].get();
}

size_t CompetencyGraph::num_competencies() const { return impl_->competencies.size(); }
size_t CompetencyGraph::num_prerequisites() const { return boost::num_edges(impl_->graph); }
size_t CompetencyGraph::num_activities() const { return impl_->activities.size(); }
size_t CompetencyGraph::num_groups() const { return impl_->groups.size(); }

namespace {
template <typename T>
std::vector<const T*> Pointers(const std::vector<std::unique_ptr<T>>& items) {
  std::vector<const T*> pointers;
  pointers.reserve(items.size());
  for (const auto& item : items) pointers.push_back(item.get());
  return pointers;
}
}  // namespace

std::vector<const Competency*> CompetencyGraph::competencies() const {
  return Pointers(impl_->competencies);
}
std::vector<const Activity*> CompetencyGraph::activities() const {
  return Pointers(impl_->activities);
}
std::vector<const Group*> CompetencyGraph::groups() const { return Pointers(impl_->groups); }

std::vector<Prerequisite> CompetencyGraph::prerequisites() const {
  const Impl& impl = *impl_;
  struct Row {
    std::uint64_t seq;
    size_t from, to;
    double strength;
  };
  std::vector<Row> rows;
  rows.reserve(boost::num_edges(impl.graph));
  auto [it, end] = boost::edges(impl.graph);
  for (; it != end; ++it) {
    const auto& data = impl.graph[*it];
    rows.push_back(
        {data.seq, boost::source(*it, impl.graph), boost::target(*it, impl.graph), data.strength});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.seq < b.seq; });
  std::vector<Prerequisite> edges;
  edges.reserve(rows.size());
  for (const Row& row : rows) {
    edges.push_back({impl.competencies[row.from]->id, impl.competencies[row.to]->id, row.strength});
  }
  return edges;
}

std::vector<Prerequisite> CompetencyGraph::PrerequisitesOf(std::string_view id) const {
  const Impl& impl = *impl_;
  std::vector<Prerequisite> edges;
  const size_t v = impl.CompetencyIndex(id);
  if (v == kNoIndex) return edges;
  impl.ForEachPrerequisite(v, [&](size_t u, double strength) {
    edges.push_back({impl.competencies[u]->id, impl.competencies[v]->id, strength});
  });
  return edges;
}

std::vector<Prerequisite> CompetencyGraph::DependentsOf(std::string_view id) const {
  const Impl& impl = *impl_;
  std::vector<Prerequisite> edges;
  const size_t v = impl.CompetencyIndex(id);
  if (v == kNoIndex) return edges;
  impl.ForEachDependent(v, [&](size_t w, double strength) {
    edges.push_back({impl.competencies[v]->id, impl.competencies[w]->id, strength});
  });
  return edges;
}

std::vector<const Activity*> CompetencyGraph::ActivitiesFor(std::string_view competency_id) const {
  const Impl& impl = *impl_;
  std::vector<const Activity*> result;
  const size_t v = impl.CompetencyIndex(competency_id);
  if (v == kNoIndex) return result;
  result.reserve(impl.competency_activities[v].size());
  for (size_t a : impl.competency_activities[v]) result.push_back(impl.activities[a].get());
  return result;
}

std::vector<std::string> CompetencyGraph::TopologicalOrder() const {
  const auto topo = impl_->Topo();
  std::vector<std::string> ids;
  ids.reserve(topo->order.size());
  for (size_t v : topo->order) ids.push_back(impl_->competencies[v]->id);
  return ids;
}

void CompetencyGraph::Impl::AppendGroupMembers(size_t root, std::vector<size_t>* out) const {
  std::vector<size_t> stack{root};
  while (!stack.empty()) {
    const size_t g = stack.back();
    stack.pop_back();
    out->insert(out->end(), group_competencies[g].begin(), group_competencies[g].end());
    stack.insert(stack.end(), group_children[g].begin(), group_children[g].end());
  }
}

Status CompetencyGraph::Impl::SelectGoals(const std::vector<std::string>& ids,
                                          std::vector<char>* marks) const {
  marks->assign(competencies.size(), 0);
  std::vector<std::string> unknown;
  std::vector<size_t> members;
  for (const std::string& id : ids) {
    if (const size_t v = CompetencyIndex(id); v != kNoIndex) {
      (*marks)[v] = 1;
    } else if (const size_t g = GroupIndex(id); g != kNoIndex) {
      members.clear();
      AppendGroupMembers(g, &members);
      for (size_t m : members) (*marks)[m] = 1;
    } else {
      unknown.push_back(id);
    }
  }
  if (!unknown.empty()) {
    return Status::NotFound("unknown competency or group " + JoinQuoted(unknown));
  }
  return Status::Ok();
}

void CompetencyGraph::Impl::MarkReachable(bool backwards, std::vector<char>* marks) const {
  std::vector<size_t> stack;
  for (size_t v = 0; v < marks->size(); ++v) {
    if ((*marks)[v] == 1) stack.push_back(v);
  }
  const auto visit = [&](size_t w, double) {
    if ((*marks)[w] != 0) return;
    (*marks)[w] = 2;
    stack.push_back(w);
  };
  while (!stack.empty()) {
    const size_t v = stack.back();
    stack.pop_back();
    if (backwards) {
      ForEachPrerequisite(v, visit);
    } else {
      ForEachDependent(v, visit);
    }
  }
}

std::vector<std::string> CompetencyGraph::Impl::MarkedInTopoOrder(const std::vector<char>& marks,
                                                                  char mark) const {
  std::vector<size_t> chosen;
  for (size_t v = 0; v < marks.size(); ++v) {
    if (marks[v] == mark) chosen.push_back(v);
  }
  const auto order = Topo();
  std::sort(chosen.begin(), chosen.end(),
            [&](size_t a, size_t b) { return order->rank[a] < order->rank[b]; });
  std::vector<std::string> ids;
  ids.reserve(chosen.size());
  for (size_t v : chosen) ids.push_back(competencies[v]->id);
  return ids;
}

Result<std::vector<std::string>> CompetencyGraph::Ancestors(
    const std::vector<std::string>& ids) const {
  std::vector<char> marks;
  PATHWISE_RETURN_IF_ERROR(impl_->SelectGoals(ids, &marks));
  impl_->MarkReachable(/*backwards=*/true, &marks);
  return impl_->MarkedInTopoOrder(marks, 2);
}

Result<std::vector<std::string>> CompetencyGraph::Descendants(
    const std::vector<std::string>& ids) const {
  std::vector<char> marks;
  PATHWISE_RETURN_IF_ERROR(impl_->SelectGoals(ids, &marks));
  impl_->MarkReachable(/*backwards=*/false, &marks);
  return impl_->MarkedInTopoOrder(marks, 2);
}

std::vector<std::string> CompetencyGraph::Frontier(
    const std::function<bool(const std::string& competency_id)>& is_mastered) const {
  const Impl& impl = *impl_;
  const auto topo = impl.Topo();
  std::vector<std::string> frontier;
  // Walking in topological order means every prerequisite's flag is set before it is read, so
  // is_mastered runs once per competency and the whole pass is O(V + E).
  std::vector<char> mastered(impl.competencies.size(), 0);
  for (size_t v : topo->order) {
    mastered[v] = is_mastered(impl.competencies[v]->id) ? 1 : 0;
    if (mastered[v]) continue;
    bool ready = true;
    impl.ForEachPrerequisite(v, [&](size_t u, double) { ready = ready && mastered[u]; });
    if (ready) frontier.push_back(impl.competencies[v]->id);
  }
  return frontier;
}

Result<std::vector<std::string>> CompetencyGraph::ExpandGoals(
    const std::vector<std::string>& goal_ids) const {
  std::vector<char> marks;
  PATHWISE_RETURN_IF_ERROR(impl_->SelectGoals(goal_ids, &marks));
  return impl_->MarkedInTopoOrder(marks, 1);
}

Result<CompetencyGraph> CompetencyGraph::SubgraphForGoals(
    const std::vector<std::string>& goal_ids) const {
  const Impl& impl = *impl_;
  std::vector<char> keep;
  PATHWISE_RETURN_IF_ERROR(impl.SelectGoals(goal_ids, &keep));
  impl.MarkReachable(/*backwards=*/true, &keep);

  std::vector<char> keep_group(impl.groups.size(), 0);
  for (size_t v = 0; v < keep.size(); ++v) {
    if (!keep[v]) continue;
    for (size_t g = impl.competency_group[v]; g != kNoIndex && !keep_group[g];
         g = impl.group_parent[g]) {
      keep_group[g] = 1;
    }
  }

  GraphDefinition def;
  for (size_t g = 0; g < impl.groups.size(); ++g) {
    if (keep_group[g]) def.groups.push_back(*impl.groups[g]);
  }
  for (size_t v = 0; v < impl.competencies.size(); ++v) {
    if (keep[v]) def.competencies.push_back(*impl.competencies[v]);
  }
  for (Prerequisite& edge : prerequisites()) {
    if (keep[impl.CompetencyIndex(edge.from)] && keep[impl.CompetencyIndex(edge.to)]) {
      def.prerequisites.push_back(std::move(edge));
    }
  }
  for (size_t a = 0; a < impl.activities.size(); ++a) {
    const Activity& activity = *impl.activities[a];
    std::vector<PracticedCompetency> rows;
    for (size_t k = 0; k < activity.competencies.size(); ++k) {
      if (keep[impl.activity_competencies[a][k]]) rows.push_back(activity.competencies[k]);
    }
    if (rows.empty()) continue;
    Activity restricted = activity;
    restricted.competencies = std::move(rows);
    def.activities.push_back(std::move(restricted));
  }
  CompetencyGraph subgraph;
  // A subset of a valid graph closed under the references it keeps is valid.
  subgraph.impl_ = Impl::FromValidDefinition(std::move(def));
  return subgraph;
}

std::vector<std::string> CompetencyGraph::GroupMembers(std::string_view group_id) const {
  const Impl& impl = *impl_;
  std::vector<std::string> ids;
  const size_t g = impl.GroupIndex(group_id);
  if (g == kNoIndex) return ids;
  std::vector<size_t> members;
  impl.AppendGroupMembers(g, &members);
  std::sort(members.begin(), members.end());
  ids.reserve(members.size());
  for (size_t v : members) ids.push_back(impl.competencies[v]->id);
  return ids;
}

}  // namespace pathwise
