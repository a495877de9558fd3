// Private representation of CompetencyGraph. Everything is index-based so that the recommender and
// the tracker can walk prerequisites and activities without hashing strings; Boost stays in this
// header.
#ifndef PATHWISE_SRC_CORE_GRAPH_IMPL_H_
#define PATHWISE_SRC_CORE_GRAPH_IMPL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include <pathwise/competency_graph.h>

namespace pathwise {
namespace graph_internal {

inline constexpr size_t kNoIndex = static_cast<size_t>(-1);

struct EdgeData {
  double strength = 1.0;
  /// Insertion sequence number: Boost does not keep a global edge order we could rely on.
  std::uint64_t seq = 0;
};

/// Vertex v is competency v. vecS out-edge lists keep each vertex's edges in insertion order and
/// make in/out iteration a contiguous scan.
using Digraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS,
                                      boost::no_property, EdgeData>;

/// The lexicographically smallest topological order (Kahn's algorithm with a min-heap on the
/// insertion index), and each competency's position in it.
struct TopoOrder {
  std::vector<size_t> order;
  std::vector<size_t> rank;
};

/// Competency indices that validation resolved, handed to the build so it need not hash the ids
/// again.
struct ResolvedRefs {
  std::vector<std::pair<size_t, size_t>> edges;    ///< per prerequisite: (from, to)
  std::vector<std::vector<size_t>> activity_rows;  ///< per activity: one index per practised row
};

}  // namespace graph_internal

struct CompetencyGraph::Impl {
  Impl() = default;
  /// Deep copy; the string_view keys of the maps are re-pointed at this copy's own strings.
  Impl(const Impl& other);
  Impl& operator=(const Impl&) = delete;

  /// REQUIRES: ValidateGraphDefinition(def) is empty. `refs`, when given, are the references that
  /// validation resolved for this very definition.
  static std::unique_ptr<Impl> FromValidDefinition(GraphDefinition def,
                                                   graph_internal::ResolvedRefs* refs = nullptr);

  /// Recomputes the hash maps and derived indices from competencies, groups and activities (the
  /// Boost graph and dynamic_rank are primary data and are left alone). activity_competencies is
  /// taken as given unless `resolve_activity_rows`. Used after removals and copies, which are rare.
  void RebuildIndices(bool resolve_activity_rows);

  size_t CompetencyIndex(std::string_view id) const {
    auto it = competency_index.find(id);
    return it == competency_index.end() ? graph_internal::kNoIndex : it->second;
  }
  size_t ActivityIndex(std::string_view id) const {
    auto it = activity_index.find(id);
    return it == activity_index.end() ? graph_internal::kNoIndex : it->second;
  }
  size_t GroupIndex(std::string_view id) const {
    auto it = group_index.find(id);
    return it == group_index.end() ? graph_internal::kNoIndex : it->second;
  }
  bool IsCompetency(std::string_view id) const { return competency_index.count(id) != 0; }
  bool IsGroup(std::string_view id) const { return group_index.count(id) != 0; }

  /// Calls f(prerequisite_index, strength) for every edge into v, in insertion order.
  template <typename F>
  void ForEachPrerequisite(size_t v, F&& f) const {
    auto [it, end] = boost::in_edges(v, graph);
    for (; it != end; ++it) f(boost::source(*it, graph), graph[*it].strength);
  }
  /// Calls f(dependent_index, strength) for every edge out of v, in insertion order.
  template <typename F>
  void ForEachDependent(size_t v, F&& f) const {
    auto [it, end] = boost::out_edges(v, graph);
    for (; it != end; ++it) f(boost::target(*it, graph), graph[*it].strength);
  }

  /// The cached topological order, computed on first use after a change. Safe to call concurrently.
  std::shared_ptr<const graph_internal::TopoOrder> Topo() const;
  void InvalidateTopo() { topo.reset(); }

  /// Before adding the edge from -> to: when it would close a cycle, returns that cycle as
  /// {from, to, ..., x} (x -> from being an existing edge) and changes nothing; otherwise updates
  /// dynamic_rank so that `from` ranks before `to` and returns {}.
  std::vector<size_t> OrderForNewEdge(size_t from, size_t to);
  /// Appends the competencies of group `root` and of all its sub-groups, in no particular order.
  void AppendGroupMembers(size_t root, std::vector<size_t>* out) const;
  /// Sets marks[v] = 1 for each competency named by `ids` (groups expanded), 0 elsewhere. NotFound
  /// lists every unknown id.
  Status SelectGoals(const std::vector<std::string>& ids, std::vector<char>* marks) const;
  /// Marks with 2 every unmarked competency reachable from those marked 1, along edges backwards
  /// (ancestors) or forwards (descendants).
  void MarkReachable(bool backwards, std::vector<char>* marks) const;
  /// Ids of the competencies with marks[v] == mark, in topological order.
  std::vector<std::string> MarkedInTopoOrder(const std::vector<char>& marks, char mark) const;

  // Competency v is vertex v of `graph`. unique_ptr keeps each object (and so the string_view keys
  // that point into its id) at a fixed address while the vector grows.
  std::vector<std::unique_ptr<Competency>> competencies;
  std::unordered_map<std::string_view, size_t> competency_index;
  std::vector<size_t> competency_group;  ///< group index or kNoIndex
  graph_internal::Digraph graph;
  std::uint64_t next_edge_seq = 0;
  /// Some topological order (not necessarily the smallest), kept valid by every mutation so that
  /// AddPrerequisite checks for cycles without searching the whole graph.
  std::vector<size_t> dynamic_rank;
  // Scratch for OrderForNewEdge: a vertex is marked when scratch_mark[v] equals the current epoch.
  std::vector<std::uint32_t> scratch_mark;
  std::vector<size_t> scratch_parent;
  std::uint32_t scratch_epoch = 0;

  std::vector<std::unique_ptr<Activity>> activities;
  std::unordered_map<std::string_view, size_t> activity_index;
  /// activity_competencies[a][k] is the index of activities[a]->competencies[k].
  std::vector<std::vector<size_t>> activity_competencies;
  /// Activities that practise competency v, ascending (= insertion order).
  std::vector<std::vector<size_t>> competency_activities;

  std::vector<std::unique_ptr<Group>> groups;
  std::unordered_map<std::string_view, size_t> group_index;
  std::vector<size_t> group_parent;  ///< group index or kNoIndex
  std::vector<std::vector<size_t>> group_children;
  std::vector<std::vector<size_t>> group_competencies;  ///< direct members, ascending

  mutable std::mutex topo_mutex;
  /// Shared between copies (it is never modified while shared); null when stale.
  mutable std::shared_ptr<graph_internal::TopoOrder> topo;
};

}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_GRAPH_IMPL_H_
