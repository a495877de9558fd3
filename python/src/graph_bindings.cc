// pathwise._core: Competency graphs: Competency, Activity, CompetencyGraph, and reading/writing
// graph files.
#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_dot.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/mastery_csv.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

template <typename T>
std::vector<T> CopyAll(const std::vector<const T*>& pointers) {
  std::vector<T> out;
  out.reserve(pointers.size());
  for (const T* p : pointers) out.push_back(*p);
  return out;
}

template <typename T>
std::optional<T> CopyOrNone(const T* p) {
  return p == nullptr ? std::nullopt : std::optional<T>(*p);
}

}  // namespace

void BindGraph(py::module_& m) {
  py::class_<Competency>(m, "Competency", "A skill / knowledge component / standard.")
      .def(py::init([](std::string id, std::string name, std::string description, std::string group,
                       std::optional<BktParams> params, double mastery_threshold,
                       std::optional<int> mastery_min_opportunities,
                       std::optional<int> mastery_recent_correct) {
             return Competency{std::move(id),
                               std::move(name),
                               std::move(description),
                               std::move(group),
                               params,
                               mastery_threshold,
                               mastery_min_opportunities,
                               mastery_recent_correct};
           }),
           py::arg("id"), py::arg("name") = "", py::arg("description") = "", py::arg("group") = "",
           py::arg("params") = py::none(), py::arg("mastery_threshold") = 0.95,
           py::arg("mastery_min_opportunities") = py::none(),
           py::arg("mastery_recent_correct") = py::none())
      .def_readwrite("id", &Competency::id)
      .def_readwrite("name", &Competency::name)
      .def_readwrite("description", &Competency::description)
      .def_readwrite("group", &Competency::group)
      .def_readwrite("params", &Competency::params)
      .def_readwrite("mastery_threshold", &Competency::mastery_threshold)
      .def_readwrite("mastery_min_opportunities", &Competency::mastery_min_opportunities,
                     "Evidence before mastered for this competency: at least this many answers; "
                     "None: the course's RecommenderOptions.mastery_min_opportunities.")
      .def_readwrite("mastery_recent_correct", &Competency::mastery_recent_correct,
                     "Evidence before mastered for this competency: the last N answers right; "
                     "None: the course's RecommenderOptions.mastery_recent_correct.")
      .def(PATHWISE_REPR("id", "name", "group", "params", "mastery_threshold"));

  py::class_<Group>(m, "Group", "A node of the hierarchy (area > topic > ...).")
      .def(py::init([](std::string id, std::string name, std::string parent) {
             return Group{std::move(id), std::move(name), std::move(parent)};
           }),
           py::arg("id"), py::arg("name") = "", py::arg("parent") = "")
      .def_readwrite("id", &Group::id)
      .def_readwrite("name", &Group::name)
      .def_readwrite("parent", &Group::parent)
      .def(PATHWISE_REPR("id", "name", "parent"));

  // `from` is a Python keyword, hence `from_` (PEP 8's convention).
  py::class_<Prerequisite>(m, "Prerequisite", "`from_` should be mastered before `to`.")
      .def(py::init([](std::string from, std::string to, double strength) {
             return Prerequisite{std::move(from), std::move(to), strength};
           }),
           py::arg("from_"), py::arg("to"), py::arg("strength") = 1.0)
      .def_readwrite("from_", &Prerequisite::from)
      .def_readwrite("to", &Prerequisite::to)
      .def_readwrite("strength", &Prerequisite::strength)
      .def(PATHWISE_REPR("from_", "to", "strength"));

  py::class_<PracticedCompetency>(m, "PracticedCompetency",
                                  "One Q-matrix entry: an activity practises a competency.")
      .def(py::init([](std::string competency_id, double weight) {
             return PracticedCompetency{std::move(competency_id), weight};
           }),
           py::arg("competency_id"), py::arg("weight") = 1.0)
      .def_readwrite("competency_id", &PracticedCompetency::competency_id)
      .def_readwrite("weight", &PracticedCompetency::weight)
      .def(PATHWISE_REPR("competency_id", "weight"));
  py::implicitly_convertible<py::str, PracticedCompetency>();

  py::class_<Activity>(m, "Activity", "Something a learner does: a problem, item, video.")
      .def(py::init([](std::string id, std::string name,
                       std::vector<PracticedCompetency> competencies,
                       std::optional<double> difficulty, double expected_minutes, std::string kind,
                       std::vector<std::string> tags) {
             return Activity{std::move(id),    std::move(name), std::move(competencies), difficulty,
                             expected_minutes, std::move(kind), std::move(tags)};
           }),
           py::arg("id"), py::arg("name") = "",
           py::arg("competencies") = std::vector<PracticedCompetency>{},
           py::arg("difficulty") = py::none(), py::arg("expected_minutes") = 5.0,
           py::arg("kind") = "", py::arg("tags") = std::vector<std::string>{})
      .def_readwrite("id", &Activity::id)
      .def_readwrite("name", &Activity::name)
      .def_readwrite("competencies", &Activity::competencies)
      .def_readwrite("difficulty", &Activity::difficulty)
      .def_readwrite("expected_minutes", &Activity::expected_minutes)
      .def_readwrite("kind", &Activity::kind)
      .def_readwrite("tags", &Activity::tags)
      .def(PATHWISE_REPR("id", "name", "competencies", "difficulty", "expected_minutes"));

  py::class_<GraphDefinition>(m, "GraphDefinition",
                              "Plain data for a whole graph, as read or built; may be invalid.")
      .def(py::init([](std::vector<Group> groups, std::vector<Competency> competencies,
                       std::vector<Prerequisite> prerequisites, std::vector<Activity> activities) {
             return GraphDefinition{std::move(groups), std::move(competencies),
                                    std::move(prerequisites), std::move(activities)};
           }),
           py::arg("groups") = std::vector<Group>{},
           py::arg("competencies") = std::vector<Competency>{},
           py::arg("prerequisites") = std::vector<Prerequisite>{},
           py::arg("activities") = std::vector<Activity>{})
      .def_readwrite("groups", &GraphDefinition::groups)
      .def_readwrite("competencies", &GraphDefinition::competencies)
      .def_readwrite("prerequisites", &GraphDefinition::prerequisites)
      .def_readwrite("activities", &GraphDefinition::activities)
      .def("to_json", py::overload_cast<const GraphDefinition&>(&WriteGraphJson))
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source_name) {
            return ValueOrThrow(ParseGraphJson(text, source_name));
          },
          py::arg("text"), py::arg("source_name") = "<string>",
          "Parses graph JSON without validating its meaning.")
      .def_static(
          "read",
          [](const std::string& path) { return ValueOrThrow(ReadGraphDefinitionFile(path)); },
          py::arg("path"));

  py::class_<GraphProblem>(m, "GraphProblem", "One thing wrong with a GraphDefinition.")
      .def_property_readonly(
          "kind", [](const GraphProblem& p) { return std::string(GraphProblemKindName(p.kind)); })
      .def_readonly("path", &GraphProblem::path)
      .def_readonly("message", &GraphProblem::message)
      .def(PATHWISE_REPR("kind", "path", "message"));

  m.def("validate_graph_definition", &ValidateGraphDefinition, py::arg("definition"),
        "Every problem of a definition, in definition order; empty when valid.");

  py::class_<CompetencyGraph>(
      m, "CompetencyGraph",
      "A validated competency graph: unique ids, resolved references, acyclic prerequisites.")
      .def(py::init<>())
      .def_static(
          "from_definition",
          [](GraphDefinition def) {
            return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
          },
          py::arg("definition"))
      .def_static(
          "read", [](const std::string& path) { return ValueOrThrow(ReadGraphFile(path)); },
          py::arg("path"), "Reads and validates a pathwise.graph JSON file.")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source_name) {
            GraphDefinition def = ValueOrThrow(ParseGraphJson(text, source_name));
            return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
          },
          py::arg("text"), py::arg("source_name") = "<string>")
      .def("to_definition", &CompetencyGraph::ToDefinition)
      .def("to_json", py::overload_cast<const CompetencyGraph&>(&WriteGraphJson))
      .def(
          "save",
          [](const CompetencyGraph& graph, const std::string& path) {
            ThrowIfError(WriteGraphFile(graph, path));
          },
          py::arg("path"))
      .def(
          "to_dot",
          [](const CompetencyGraph& graph, std::unordered_map<std::string, double> mastery,
             std::optional<double> mastered_threshold, bool group_clusters, bool left_to_right) {
            DotOptions options;
            options.mastery = std::move(mastery);
            options.mastered_threshold = mastered_threshold;
            options.group_clusters = group_clusters;
            options.left_to_right = left_to_right;
            return ToDot(graph, options);
          },
          py::arg("mastery") = std::unordered_map<std::string, double>{},
          py::arg("mastered_threshold") = py::none(), py::arg("group_clusters") = true,
          py::arg("left_to_right") = true, "Graphviz DOT text (render with dot -Tsvg).")
      .def(
          "add_group", [](CompetencyGraph& g, Group x) { ThrowIfError(g.AddGroup(std::move(x))); },
          py::arg("group"))
      .def(
          "add_competency",
          [](CompetencyGraph& g, Competency x) { ThrowIfError(g.AddCompetency(std::move(x))); },
          py::arg("competency"))
      .def(
          "add_prerequisite",
          [](CompetencyGraph& g, Prerequisite x) { ThrowIfError(g.AddPrerequisite(std::move(x))); },
          py::arg("prerequisite"))
      .def(
          "add_activity",
          [](CompetencyGraph& g, Activity x) { ThrowIfError(g.AddActivity(std::move(x))); },
          py::arg("activity"))
      .def(
          "remove_competency",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveCompetency(id)); },
          py::arg("id"))
      .def(
          "remove_prerequisite",
          [](CompetencyGraph& g, const std::string& from, const std::string& to) {
            ThrowIfError(g.RemovePrerequisite(from, to));
          },
          py::arg("from_"), py::arg("to"))
      .def(
          "remove_activity",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveActivity(id)); },
          py::arg("id"))
      .def(
          "remove_group",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveGroup(id)); },
          py::arg("id"))
      .def(
          "find_competency",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindCompetency(id));
          },
          py::arg("id"), "A copy of the competency, or None.")
      .def(
          "find_activity",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindActivity(id));
          },
          py::arg("id"))
      .def(
          "find_group",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindGroup(id));
          },
          py::arg("id"))
      .def_property_readonly("num_competencies", &CompetencyGraph::num_competencies)
      .def_property_readonly("num_prerequisites", &CompetencyGraph::num_prerequisites)
      .def_property_readonly("num_activities", &CompetencyGraph::num_activities)
      .def_property_readonly("num_groups", &CompetencyGraph::num_groups)
      .def_property_readonly("competencies",
                             [](const CompetencyGraph& g) { return CopyAll(g.competencies()); })
      .def_property_readonly("activities",
                             [](const CompetencyGraph& g) { return CopyAll(g.activities()); })
      .def_property_readonly("groups", [](const CompetencyGraph& g) { return CopyAll(g.groups()); })
      .def_property_readonly("prerequisites", &CompetencyGraph::prerequisites)
      .def_property_readonly("competency_ids",
                             [](const CompetencyGraph& g) {
                               std::vector<std::string> ids;
                               for (const Competency* c : g.competencies()) ids.push_back(c->id);
                               return ids;
                             })
      .def(
          "prerequisites_of",
          [](const CompetencyGraph& g, const std::string& id) { return g.PrerequisitesOf(id); },
          py::arg("id"))
      .def(
          "dependents_of",
          [](const CompetencyGraph& g, const std::string& id) { return g.DependentsOf(id); },
          py::arg("id"))
      .def(
          "activities_for",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyAll(g.ActivitiesFor(id));
          },
          py::arg("competency_id"))
      .def("topological_order", &CompetencyGraph::TopologicalOrder)
      .def(
          "ancestors",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.Ancestors(ids));
          },
          py::arg("ids"))
      .def(
          "descendants",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.Descendants(ids));
          },
          py::arg("ids"))
      .def(
          "frontier",
          [](const CompetencyGraph& g, const py::object& mastered) {
            // A callable id -> bool, or any container of mastered ids.
            const bool is_callable = PyCallable_Check(mastered.ptr()) != 0;
            return g.Frontier([&](const std::string& id) {
              py::str key(id);
              return is_callable ? mastered(key).cast<bool>() : mastered.contains(key);
            });
          },
          py::arg("mastered"),
          "Unmastered competencies whose prerequisites are all mastered, in topological order. "
          "`mastered` is a set of competency ids or a callable id -> bool.")
      .def(
          "expand_goals",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.ExpandGoals(ids));
          },
          py::arg("goal_ids"))
      .def(
          "subgraph_for_goals",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.SubgraphForGoals(ids));
          },
          py::arg("goal_ids"))
      .def(
          "group_members",
          [](const CompetencyGraph& g, const std::string& id) { return g.GroupMembers(id); },
          py::arg("group_id"))
      .def("__copy__", [](const CompetencyGraph& g) { return CompetencyGraph(g); })
      .def("__deepcopy__", [](const CompetencyGraph& g, py::dict) { return CompetencyGraph(g); })
      .def("__repr__",
           [](const CompetencyGraph& g) {
             return "CompetencyGraph(" + std::to_string(g.num_competencies()) + " competencies, " +
                    std::to_string(g.num_prerequisites()) + " prerequisites, " +
                    std::to_string(g.num_activities()) + " activities, " +
                    std::to_string(g.num_groups()) + " groups)";
           })
      .def(py::pickle([](const CompetencyGraph& g) { return WriteGraphJson(g); },
                      [](const std::string& text) {
                        GraphDefinition def = ValueOrThrow(ParseGraphJson(text, "<pickle>"));
                        return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
                      }));

  py::class_<ImportProblem>(m, "ImportProblem", "One thing wrong with imported data.")
      .def_property_readonly(
          "kind", [](const ImportProblem& p) { return std::string(ImportProblemKindName(p.kind)); })
      .def_readonly("file", &ImportProblem::file)
      .def_readonly("line", &ImportProblem::line)
      .def_readonly("message", &ImportProblem::message)
      .def_readonly("action", &ImportProblem::action)
      .def("__str__", &ImportProblem::ToString)
      .def(PATHWISE_REPR("kind", "file", "line", "message", "action"));
  py::class_<ImportReport>(m, "ImportReport")
      .def_readonly("problems", &ImportReport::problems)
      .def_readonly("rows_read", &ImportReport::rows_read)
      .def_readonly("references_read", &ImportReport::references_read)
      .def(PATHWISE_REPR("rows_read", "references_read", "problems"));
  py::class_<ImportedGraph>(m, "ImportedGraph")
      .def_readonly("graph", &ImportedGraph::graph)
      .def_readonly("report", &ImportedGraph::report)
      .def(PATHWISE_REPR("graph", "report"));

  m.def(
      "import_junyi",
      [](const std::string& path, bool repair) {
        ImportOptions options;
        options.repair = repair;
        return ValueOrThrow(ImportJunyiExerciseTable(path, options));
      },
      py::arg("path"), py::arg("repair") = false,
      "Imports the Junyi Academy exercise table (prerequisites, topics, areas).");
  m.def(
      "import_eedi",
      [](const std::string& subjects, const std::optional<std::string>& questions, bool repair) {
        ImportOptions options;
        options.repair = repair;
        return ValueOrThrow(ImportEediSubjects(subjects, questions, options));
      },
      py::arg("subject_csv"), py::arg("question_csv") = py::none(), py::arg("repair") = false,
      "Imports the Eedi subject tree (and questions as activities).");
  m.def(
      "read_mastery_csv",
      [](const std::string& path, const CompetencyGraph* graph) {
        return ValueOrThrow(ReadMasteryCsv(path, graph));
      },
      py::arg("path"), py::arg("graph") = nullptr);
}

}  // namespace pathwise::python
