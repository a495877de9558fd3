// The competency graph: competencies, prerequisite edges between them, groups that organise them,
// and the activities that practise them.
#ifndef PATHWISE_COMPETENCY_GRAPH_H_
#define PATHWISE_COMPETENCY_GRAPH_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// A skill / knowledge component / standard.
struct Competency {
  std::string id;           ///< stable, unique among competencies, non-empty
  std::string name;         ///< for people; defaults to the id when empty
  std::string description;  ///< optional
  std::string group;        ///< id of the Group it belongs to; empty for none
  /// Authored BKT parameters; a fitted model (model.h) takes precedence over these.
  std::optional<BktParams> params;
  /// P(learned) at or above which the competency counts as mastered, in (0, 1].
  double mastery_threshold = 0.95;
  /// Evidence before "mastered" for this competency alone, overriding the course's
  /// MasteryPolicyOptions::mastery_min_opportunities / mastery_recent_correct (recommender.h) and
  /// the tracker's (TrackerOptions, mastery_tracker.h) when set: a competency whose one lucky
  /// answer must not count (a root skill everything builds on) asks for more than the rest of the
  /// course. Minimum opportunities in [1, 65535]; recent correct answers in [0, 8]. Unset: the
  /// course's setting.
  std::optional<int> mastery_min_opportunities;
  std::optional<int> mastery_recent_correct;
};

/// A node of the hierarchy (area > topic > ...). Grouping is not a prerequisite: a group is a named
/// set of competencies (and sub-groups) used for reports and goals ("master the topic Fractions").
struct Group {
  std::string id;      ///< unique among groups and competencies
  std::string name;    ///< for people
  std::string parent;  ///< id of the parent group; empty for a root
};

/// `from` should be mastered before `to`.
struct Prerequisite {
  std::string from;
  std::string to;
  /// How strongly `to` depends on `from`, in (0, 1]; 1 is a hard prerequisite.
  double strength = 1.0;
};

/// One row of the Q-matrix: an activity practises this competency with this weight.
struct PracticedCompetency {
  std::string competency_id;
  /// In (0, 1]; 1 means the activity is full evidence about the competency (see bkt.h for how the
  /// weight tempers the update).
  double weight = 1.0;
};

/// Something a learner does: a problem, item, video, exercise.
struct Activity {
  std::string id;                                 ///< stable, unique among activities, non-empty
  std::string name;                               ///< for people
  std::vector<PracticedCompetency> competencies;  ///< at least one
  std::optional<double> difficulty;               ///< optional, in [0, 1]
  double expected_minutes = 5.0;                  ///< > 0
  std::string kind;                               ///< free text: "problem", "video", ...
  std::vector<std::string> tags;
};

/// Plain data for a whole graph, as read from a file or built by hand; may be invalid.
struct GraphDefinition {
  std::vector<Group> groups;
  std::vector<Competency> competencies;
  std::vector<Prerequisite> prerequisites;
  std::vector<Activity> activities;
};

/// One thing wrong with a GraphDefinition.
struct GraphProblem {
  enum class Kind {
    kMissingId,          ///< an empty id
    kDuplicateId,        ///< the same id twice (or a group and a competency sharing one)
    kSelfLoop,           ///< a prerequisite from a competency to itself
    kDuplicateEdge,      ///< the same prerequisite twice
    kDanglingReference,  ///< an id that names nothing (edge end, activity competency, group parent)
    kOutOfRange,         ///< a number outside its range, or NaN
    kEmptyActivity,      ///< an activity that practises no competency
    kCycle,              ///< prerequisites (or group parents) that go round in a circle
    /// Input that could not be read as a definition at all, or that a layer above the core
    /// refuses (JSON that does not parse, a required field absent, an id over a service's
    /// limits). ValidateGraphDefinition never reports it; readers and adapters do, so that their
    /// problems and the core's turn into one Status by one rule (ProblemsToStatus).
    kMalformed,
  };
  Kind kind;
  /// Field path of the offending value, e.g. "prerequisites[3].from" or
  /// "competencies[7].params.slip".
  std::string path;
  /// For a person, naming the ids involved; a cycle reads "cycle: a -> b -> c -> a".
  std::string message;
};

/// "duplicate-id", "cycle", "malformed", ...
std::string_view GraphProblemKindName(GraphProblem::Kind kind);

/// Every problem in `def`, in the order of the definition; empty when valid.
std::vector<GraphProblem> ValidateGraphDefinition(const GraphDefinition& def);

/// Turns problems into one Status: FailedPrecondition when the only problems are cycles,
/// InvalidArgument otherwise; the message lists every problem, one per line, as "path: message".
Status ProblemsToStatus(const std::vector<GraphProblem>& problems);

/// A validated competency graph: ids are unique, references resolve, prerequisites form a DAG.
///
/// Every query that returns ids returns them in a deterministic order (the order of insertion, or
/// the topological order where that is what is asked for).
///
/// Thread safety: const methods may be called concurrently; mutating methods need external
/// synchronization. Copies are deep and independent.
///
/// Example:
///
///     pathwise::GraphDefinition def;
///     def.competencies = {{"add", "Addition"}, {"mul", "Multiplication"}};
///     def.prerequisites = {{"add", "mul"}};
///     pathwise::Result<pathwise::CompetencyGraph> graph =
///         pathwise::CompetencyGraph::FromDefinition(def);
///     if (!graph.ok()) std::cerr << graph.status() << "\n";
///     std::vector<std::string> order = graph->TopologicalOrder();  // {"add", "mul"}
class CompetencyGraph {
 public:
  /// An empty graph.
  CompetencyGraph();
  ~CompetencyGraph();
  CompetencyGraph(const CompetencyGraph& other);
  CompetencyGraph& operator=(const CompetencyGraph& other);
  CompetencyGraph(CompetencyGraph&& other) noexcept;
  CompetencyGraph& operator=(CompetencyGraph&& other) noexcept;

  /// Validates `def` and builds the graph. On failure, every problem is in the message (see
  /// ProblemsToStatus); nothing is built.
  static Result<CompetencyGraph> FromDefinition(GraphDefinition def);
  /// The graph as plain data, in insertion order; FromDefinition(ToDefinition()) gives an equal
  /// graph.
  GraphDefinition ToDefinition() const;

  // Mutation. Each call validates its argument against the current graph and changes nothing on
  // error.

  /// AlreadyExists for a duplicate id; NotFound for an unknown parent; InvalidArgument for a
  /// missing id.
  Status AddGroup(Group group);
  /// AlreadyExists for a duplicate id; NotFound for an unknown group; InvalidArgument for a missing
  /// id, a threshold outside (0, 1] or invalid params.
  Status AddCompetency(Competency competency);
  /// NotFound for an unknown end; InvalidArgument for a self-loop or strength outside (0, 1];
  /// AlreadyExists for an edge already present; FailedPrecondition naming the cycle the edge would
  /// close.
  Status AddPrerequisite(Prerequisite prerequisite);
  /// AlreadyExists for a duplicate id; NotFound for an unknown competency; InvalidArgument for no
  /// competency, a weight outside (0, 1], difficulty outside [0, 1] or expected_minutes <= 0.
  Status AddActivity(Activity activity);
  /// Removes the competency and its prerequisite edges. NotFound if absent; FailedPrecondition
  /// naming the activities that practise only this competency (remove them first).
  Status RemoveCompetency(std::string_view id);
  /// NotFound if there is no such edge.
  Status RemovePrerequisite(std::string_view from, std::string_view to);
  /// NotFound if absent.
  Status RemoveActivity(std::string_view id);
  /// NotFound if absent; FailedPrecondition when competencies or groups still belong to it.
  Status RemoveGroup(std::string_view id);

  // Lookup. Pointers stay valid until the next mutation.

  const Competency* FindCompetency(std::string_view id) const;
  const Activity* FindActivity(std::string_view id) const;
  const Group* FindGroup(std::string_view id) const;

  size_t num_competencies() const;
  size_t num_prerequisites() const;
  size_t num_activities() const;
  size_t num_groups() const;

  /// All competencies / activities / groups / prerequisites in insertion order.
  std::vector<const Competency*> competencies() const;
  std::vector<const Activity*> activities() const;
  std::vector<const Group*> groups() const;
  std::vector<Prerequisite> prerequisites() const;

  /// Direct prerequisites of `id` (edges into it) and direct dependents (edges out of it). Empty
  /// when the id is unknown.
  std::vector<Prerequisite> PrerequisitesOf(std::string_view id) const;
  std::vector<Prerequisite> DependentsOf(std::string_view id) const;
  /// Activities that practise `competency_id`, in insertion order.
  std::vector<const Activity*> ActivitiesFor(std::string_view competency_id) const;

  // Queries.

  /// Every competency, prerequisites before dependents; ties broken by insertion order.
  std::vector<std::string> TopologicalOrder() const;
  /// Competencies that `ids` transitively depend on, excluding `ids` themselves, in topological
  /// order. `ids` may name groups (meaning all their member competencies). NotFound names an
  /// unknown id.
  Result<std::vector<std::string>> Ancestors(const std::vector<std::string>& ids) const;
  /// Competencies that transitively depend on `ids`, excluding them, in topological order. As
  /// Ancestors.
  Result<std::vector<std::string>> Descendants(const std::vector<std::string>& ids) const;
  /// The ready-to-learn frontier: unmastered competencies all of whose prerequisites are mastered,
  /// in topological order. `is_mastered` is called with competency ids.
  std::vector<std::string> Frontier(
      const std::function<bool(const std::string& competency_id)>& is_mastered) const;
  /// Competency ids of a goal set: competencies as given, groups expanded to all their member
  /// competencies (recursively), duplicates removed, in topological order. NotFound names an
  /// unknown id.
  Result<std::vector<std::string>> ExpandGoals(const std::vector<std::string>& goal_ids) const;
  /// What is needed for a goal set: the goals (expanded as ExpandGoals), all their ancestors, the
  /// edges among them, the activities that practise any of them (restricted to those competencies),
  /// and the groups those competencies belong to (with their parents). NotFound names an unknown
  /// id.
  Result<CompetencyGraph> SubgraphForGoals(const std::vector<std::string>& goal_ids) const;
  /// Competencies in a group and its sub-groups, in insertion order. Empty when the id is unknown.
  std::vector<std::string> GroupMembers(std::string_view group_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise

#endif  // PATHWISE_COMPETENCY_GRAPH_H_
