#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using Kind = GraphProblem::Kind;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Everything a definition holds, as text, so a mismatch shows as a readable diff.
std::string Describe(const GraphDefinition& def) {
  std::ostringstream os;
  os.precision(17);
  for (const Group& g : def.groups) {
    os << "group " << g.id << " '" << g.name << "' parent=" << g.parent << "\n";
  }
  for (const Competency& c : def.competencies) {
    os << "competency " << c.id << " '" << c.name << "' '" << c.description << "' group=" << c.group
       << " threshold=" << c.mastery_threshold;
    if (c.params) {
      os << " params=" << c.params->prior << "," << c.params->learn << "," << c.params->forget
         << "," << c.params->guess << "," << c.params->slip;
    }
    os << "\n";
  }
  for (const Prerequisite& p : def.prerequisites) {
    os << "edge " << p.from << "->" << p.to << " " << p.strength << "\n";
  }
  for (const Activity& a : def.activities) {
    os << "activity " << a.id << " '" << a.name << "' kind=" << a.kind
       << " minutes=" << a.expected_minutes;
    if (a.difficulty) os << " difficulty=" << *a.difficulty;
    for (const PracticedCompetency& row : a.competencies) {
      os << " " << row.competency_id << ":" << row.weight;
    }
    for (const std::string& tag : a.tags) os << " #" << tag;
    os << "\n";
  }
  return os.str();
}

std::string Describe(const CompetencyGraph& graph) { return Describe(graph.ToDefinition()); }

Competency MakeCompetency(std::string id, std::string group = "") {
  Competency c;
  c.id = std::move(id);
  c.group = std::move(group);
  return c;
}

Activity MakeActivity(std::string id, std::vector<PracticedCompetency> rows) {
  Activity a;
  a.id = std::move(id);
  a.competencies = std::move(rows);
  return a;
}

// The hand-made graph most query tests use. Insertion order deliberately differs from the learning
// order:
//
//   count -> add -> sub -> frac -> eq        read (isolated)
//              \--> mul --/
//
// groups: math > {arith: add, sub, mul, count}, math > {alg: frac, eq}; read has no group.
GraphDefinition SmallDefinition() {
  GraphDefinition def;
  def.groups = {
      {"math", "Mathematics", ""}, {"arith", "Arithmetic", "math"}, {"alg", "Algebra", "math"}};
  def.competencies = {MakeCompetency("frac", "alg"),  MakeCompetency("eq", "alg"),
                      MakeCompetency("add", "arith"), MakeCompetency("sub", "arith"),
                      MakeCompetency("mul", "arith"), MakeCompetency("count", "arith"),
                      MakeCompetency("read")};
  def.competencies[2].name = "Addition";
  def.competencies[2].params = BktParams{0.2, 0.3, 0.0, 0.25, 0.1};
  def.competencies[4].mastery_threshold = 0.9;
  def.prerequisites = {{"count", "add"}, {"add", "sub", 0.5},   {"add", "mul"},
                       {"sub", "frac"},  {"mul", "frac", 0.75}, {"frac", "eq"}};
  def.activities = {MakeActivity("a-count", {{"count", 1.0}}),
                    MakeActivity("a-addsub", {{"add", 1.0}, {"sub", 0.5}}),
                    MakeActivity("a-mul", {{"mul", 1.0}}),
                    MakeActivity("a-frac", {{"frac", 1.0}}),
                    MakeActivity("a-eq", {{"eq", 1.0}, {"frac", 0.3}}),
                    MakeActivity("a-read", {{"read", 1.0}})};
  def.activities[1].difficulty = 0.4;
  def.activities[1].tags = {"mixed", "drill"};
  return def;
}

CompetencyGraph SmallGraph() {
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(SmallDefinition());
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::vector<std::string> Ids(const std::vector<const Activity*>& activities) {
  std::vector<std::string> ids;
  for (const Activity* a : activities) ids.push_back(a->id);
  return ids;
}

std::vector<std::string> Edges(const std::vector<Prerequisite>& edges) {
  std::vector<std::string> text;
  for (const Prerequisite& e : edges) text.push_back(e.from + "->" + e.to);
  return text;
}

// "kind path" for every problem, to compare against a hand-written expectation.
std::multiset<std::string> KindsAndPaths(const std::vector<GraphProblem>& problems) {
  std::multiset<std::string> result;
  for (const GraphProblem& p : problems) {
    result.insert(std::string(GraphProblemKindName(p.kind)) + " " + p.path);
  }
  return result;
}

const GraphProblem* FindProblem(const std::vector<GraphProblem>& problems,
                                const std::string& path) {
  for (const GraphProblem& p : problems) {
    if (p.path == path) return &p;
  }
  return nullptr;
}

// A random DAG: a hidden order decides which way edges point; competencies are inserted in another
// random order and edges in yet another, so insertion order says nothing about the DAG.
GraphDefinition RandomDag(std::mt19937_64& rng, int n, int edge_per_mille) {
  std::vector<int> hidden(n);
  for (int i = 0; i < n; ++i) hidden[i] = i;
  std::shuffle(hidden.begin(), hidden.end(), rng);
  GraphDefinition def;
  std::vector<int> insertion(n);
  for (int i = 0; i < n; ++i) insertion[i] = i;
  std::shuffle(insertion.begin(), insertion.end(), rng);
  for (int v : insertion) {
    def.competencies.push_back(MakeCompetency("c" + std::to_string(v)));
    def.competencies.back().name = "Competency " + std::to_string(v);
  }
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (static_cast<int>(rng() % 1000) >= edge_per_mille) continue;
      Prerequisite edge{"c" + std::to_string(hidden[i]), "c" + std::to_string(hidden[j])};
      edge.strength = 0.25 + 0.75 * ((rng() >> 11) * 0x1.0p-53);
      if (edge.strength <= 0.0) edge.strength = 1.0;
      def.prerequisites.push_back(edge);
    }
  }
  std::shuffle(def.prerequisites.begin(), def.prerequisites.end(), rng);
  return def;
}

// Reachability by the test's own DFS over a definition (independent of the implementation).
bool Reaches(const GraphDefinition& def, const std::string& from, const std::string& to) {
  std::map<std::string, std::vector<std::string>> out;
  for (const Prerequisite& e : def.prerequisites) out[e.from].push_back(e.to);
  std::set<std::string> seen{from};
  std::vector<std::string> stack{from};
  while (!stack.empty()) {
    const std::string v = stack.back();
    stack.pop_back();
    if (v == to) return true;
    for (const std::string& w : out[v]) {
      if (seen.insert(w).second) stack.push_back(w);
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------
// Building and lookup

TEST(CompetencyGraphTest, BuildsSmallGraph) {
  const CompetencyGraph graph = SmallGraph();
  EXPECT_EQ(graph.num_competencies(), 7u);
  EXPECT_EQ(graph.num_prerequisites(), 6u);
  EXPECT_EQ(graph.num_activities(), 6u);
  EXPECT_EQ(graph.num_groups(), 3u);

  const Competency* add = graph.FindCompetency("add");
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->name, "Addition");
  EXPECT_EQ(add->group, "arith");
  ASSERT_TRUE(add->params.has_value());
  EXPECT_EQ(*add->params, (BktParams{0.2, 0.3, 0.0, 0.25, 0.1}));
  // An empty name defaults to the id.
  EXPECT_EQ(graph.FindCompetency("sub")->name, "sub");
  EXPECT_EQ(graph.FindCompetency("mul")->mastery_threshold, 0.9);
  EXPECT_EQ(graph.FindCompetency("nope"), nullptr);
  EXPECT_EQ(graph.FindCompetency("arith"), nullptr);  // a group, not a competency
  ASSERT_NE(graph.FindGroup("arith"), nullptr);
  EXPECT_EQ(graph.FindGroup("arith")->parent, "math");
  ASSERT_NE(graph.FindActivity("a-addsub"), nullptr);
  EXPECT_EQ(graph.FindActivity("a-addsub")->difficulty, 0.4);

  EXPECT_EQ(Edges(graph.PrerequisitesOf("frac")),
            (std::vector<std::string>{"sub->frac", "mul->frac"}));
  EXPECT_EQ(graph.PrerequisitesOf("frac")[1].strength, 0.75);
  EXPECT_EQ(Edges(graph.DependentsOf("add")), (std::vector<std::string>{"add->sub", "add->mul"}));
  EXPECT_TRUE(graph.PrerequisitesOf("unknown").empty());
  EXPECT_TRUE(graph.DependentsOf("eq").empty());

  EXPECT_EQ(Ids(graph.ActivitiesFor("frac")), (std::vector<std::string>{"a-frac", "a-eq"}));
  EXPECT_EQ(Ids(graph.ActivitiesFor("add")), (std::vector<std::string>{"a-addsub"}));
  EXPECT_TRUE(graph.ActivitiesFor("unknown").empty());

  std::vector<std::string> ids;
  for (const Competency* c : graph.competencies()) ids.push_back(c->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"frac", "eq", "add", "sub", "mul", "count", "read"}));
  EXPECT_EQ(Edges(graph.prerequisites()),
            (std::vector<std::string>{"count->add", "add->sub", "add->mul", "sub->frac",
                                      "mul->frac", "frac->eq"}));
}

TEST(CompetencyGraphTest, BuildsTheSameGraphIncrementally) {
  const GraphDefinition def = SmallDefinition();
  CompetencyGraph graph;
  for (const Group& g : def.groups) ASSERT_OK(graph.AddGroup(g));
  for (const Competency& c : def.competencies) ASSERT_OK(graph.AddCompetency(c));
  for (const Prerequisite& p : def.prerequisites) ASSERT_OK(graph.AddPrerequisite(p));
  for (const Activity& a : def.activities) ASSERT_OK(graph.AddActivity(a));
  EXPECT_EQ(Describe(graph), Describe(SmallGraph()));
  EXPECT_EQ(graph.TopologicalOrder(), SmallGraph().TopologicalOrder());
}

TEST(CompetencyGraphTest, EmptyGraphAnswersEverything) {
  const CompetencyGraph graph;
  EXPECT_EQ(graph.num_competencies(), 0u);
  EXPECT_TRUE(graph.TopologicalOrder().empty());
  EXPECT_TRUE(graph.Frontier([](const std::string&) { return false; }).empty());
  Result<std::vector<std::string>> goals = graph.ExpandGoals({});
  ASSERT_OK(goals);
  EXPECT_TRUE(goals->empty());
  EXPECT_TRUE(ValidateGraphDefinition(GraphDefinition{}).empty());
}

// ---------------------------------------------------------------------------------------------------
// Validation

TEST(GraphValidationTest, ValidDefinitionHasNoProblems) {
  EXPECT_TRUE(ValidateGraphDefinition(SmallDefinition()).empty());
  EXPECT_OK(ProblemsToStatus({}));
}

TEST(GraphValidationTest, ReportsEveryProblemKindInOneCall) {
  GraphDefinition def;
  def.groups = {{"g", "", ""},        {"g", "", ""},          {"", "Nameless", ""},
                {"h", "", "nowhere"}, {"loop1", "", "loop2"}, {"loop2", "", "loop1"}};
  def.competencies = {MakeCompetency("a", "g"),
                      MakeCompetency("b"),
                      MakeCompetency("a"),
                      MakeCompetency("g"),
                      MakeCompetency("c", "no-such-group"),
                      MakeCompetency("d"),
                      MakeCompetency("e"),
                      MakeCompetency("f")};
  def.competencies[5].mastery_threshold = 1.5;
  def.competencies[6].params = BktParams{};
  def.competencies[6].params->slip = kNaN;
  def.competencies[7].mastery_threshold = kNaN;
  def.prerequisites = {{"a", "b"},      {"a", "b"}, {"c", "c"}, {"a", "zzz"},
                       {"b", "c", 0.0}, {"c", "d"}, {"d", "b"}, {"", "a"}};
  def.activities = {MakeActivity("x", {}),
                    MakeActivity("y", {{"a", 1.5}}),
                    MakeActivity("y", {{"b", 1.0}}),
                    MakeActivity("z", {{"qq", 1.0}}),
                    MakeActivity("w", {{"a", 1.0}}),
                    MakeActivity("v", {{"a", 1.0}}),
                    MakeActivity("u", {{"a", 1.0}, {"a", 0.5}})};
  def.activities[4].difficulty = 2.0;
  def.activities[5].expected_minutes = 0.0;

  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  const std::multiset<std::string> expected = {
      "duplicate-id groups[1].id",
      "missing-id groups[2].id",
      "dangling-reference groups[3].parent",
      "cycle groups[5].parent",
      "duplicate-id competencies[2].id",
      "duplicate-id competencies[3].id",
      "dangling-reference competencies[4].group",
      "out-of-range competencies[5].mastery_threshold",
      "out-of-range competencies[6].params.slip",
      "out-of-range competencies[7].mastery_threshold",
      "duplicate-edge prerequisites[1]",
      "self-loop prerequisites[2]",
      "dangling-reference prerequisites[3].to",
      "out-of-range prerequisites[4].strength",
      "cycle prerequisites[6]",
      "missing-id prerequisites[7].from",
      "empty-activity activities[0].competencies",
      "out-of-range activities[1].competencies[0].weight",
      "duplicate-id activities[2].id",
      "dangling-reference activities[3].competencies[0].competency_id",
      "out-of-range activities[4].difficulty",
      "out-of-range activities[5].expected_minutes",
      "duplicate-id activities[6].competencies[1].competency_id",
  };
  EXPECT_EQ(KindsAndPaths(problems), expected);

  // In the order of the definition: groups, competencies, prerequisites, activities.
  const std::vector<std::string> sections = {"groups", "competencies", "prerequisites",
                                             "activities"};
  size_t section = 0;
  for (const GraphProblem& p : problems) {
    while (section < sections.size() && p.path.rfind(sections[section], 0) != 0) ++section;
    ASSERT_LT(section, sections.size()) << "out of order: " << p.path;
  }

  // Messages name the ids involved.
  EXPECT_NE(FindProblem(problems, "groups[3].parent")->message.find("'nowhere'"),
            std::string::npos);
  EXPECT_EQ(FindProblem(problems, "groups[5].parent")->message, "cycle: loop1 -> loop2 -> loop1");
  EXPECT_NE(FindProblem(problems, "competencies[3].id")->message.find("groups[0]"),
            std::string::npos);
  EXPECT_NE(FindProblem(problems, "competencies[6].params.slip")->message.find("'e'"),
            std::string::npos);
  EXPECT_NE(FindProblem(problems, "prerequisites[1]")->message.find("'a' -> 'b'"),
            std::string::npos);
  EXPECT_NE(FindProblem(problems, "prerequisites[3].to")->message.find("'zzz'"), std::string::npos);
  EXPECT_EQ(FindProblem(problems, "prerequisites[6]")->message, "cycle: b -> c -> d -> b");
  EXPECT_NE(
      FindProblem(problems, "activities[3].competencies[0].competency_id")->message.find("'qq'"),
      std::string::npos);

  // Not only cycles, so InvalidArgument, one "path: message" line per problem.
  const Status status = ProblemsToStatus(problems);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  std::istringstream lines(status.message());
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    ASSERT_LT(i, problems.size());
    EXPECT_EQ(line, problems[i].path + ": " + problems[i].message);
    ++i;
  }
  EXPECT_EQ(i, problems.size());

  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_EQ(graph.status(), status);
}

TEST(GraphValidationTest, BktParamsAreCheckedFieldByFieldAndAsAWhole) {
  GraphDefinition def;
  def.competencies = {MakeCompetency("a"), MakeCompetency("b")};
  def.competencies[0].params = BktParams{-0.1, 0.1, 0.0, 0.2, 1.2};
  def.competencies[1].params = BktParams{0.1, 0.1, 0.0, 0.6, 0.5};  // guess + slip >= 1
  EXPECT_EQ(KindsAndPaths(ValidateGraphDefinition(def)),
            (std::multiset<std::string>{"out-of-range competencies[0].params.prior",
                                        "out-of-range competencies[0].params.slip",
                                        "out-of-range competencies[1].params"}));
}

TEST(GraphValidationTest, CycleMessageStartsAtFirstInsertedVertex) {
  GraphDefinition def;
  def.competencies = {MakeCompetency("x"), MakeCompetency("b"), MakeCompetency("a"),
                      MakeCompetency("c")};
  def.prerequisites = {{"a", "b"}, {"b", "c"}, {"c", "a"}, {"x", "a"}};
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::kCycle);
  EXPECT_EQ(problems[0].message, "cycle: b -> c -> a -> b");
  EXPECT_EQ(problems[0].path, "prerequisites[0]");  // a -> b closes it

  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_EQ(graph.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(graph.status().message(), "prerequisites[0]: cycle: b -> c -> a -> b");
}

TEST(GraphValidationTest, ReportsOneCyclePerStronglyConnectedComponent) {
  GraphDefinition def;
  for (const char* id : {"a", "b", "c", "d", "e", "f"})
    def.competencies.push_back(MakeCompetency(id));
  // {a, b} and {c, d, e} are strongly connected; {c, d, e} holds several cycles; f hangs off both.
  def.prerequisites = {{"a", "b"}, {"b", "a"}, {"c", "d"}, {"d", "e"},
                       {"e", "c"}, {"d", "c"}, {"b", "f"}, {"e", "f"}};
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].message, "cycle: a -> b -> a");
  // The shortest cycle through c, not whichever one a depth-first walk meets first.
  EXPECT_EQ(problems[1].message, "cycle: c -> d -> c");
  EXPECT_EQ(ProblemsToStatus(problems).code(), StatusCode::kFailedPrecondition);
}

// A reader's or adapter's own problems (kMalformed) beside a cycle: the graph is not only cyclic,
// so the one rule gives InvalidArgument, as for any other problem.
TEST(GraphValidationTest, MalformedBesideACycleIsInvalidArgument) {
  const std::vector<GraphProblem> cycle = {
      {Kind::kCycle, "prerequisites[0]", "cycle: a -> b -> a"}};
  EXPECT_EQ(ProblemsToStatus(cycle).code(), StatusCode::kFailedPrecondition);
  std::vector<GraphProblem> both = cycle;
  both.push_back({Kind::kMalformed, "competencies[0].id", "byte 0x20 at byte 3 is not allowed"});
  const Status status = ProblemsToStatus(both);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "prerequisites[0]: cycle: a -> b -> a\n"
            "competencies[0].id: byte 0x20 at byte 3 is not allowed");
}

TEST(GraphValidationTest, GroupThatIsItsOwnParentIsACycle) {
  GraphDefinition def;
  def.groups = {{"top", "", ""}, {"self", "", "self"}};
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].kind, Kind::kCycle);
  EXPECT_EQ(problems[0].path, "groups[1].parent");
  EXPECT_EQ(problems[0].message, "cycle: self -> self");
}

TEST(GraphValidationTest, ReferencesToTheWrongKindOfIdAreDangling) {
  GraphDefinition def;
  def.groups = {{"g", "", "c"}};
  def.competencies = {MakeCompetency("c", "c"), MakeCompetency("d")};
  def.prerequisites = {{"g", "d"}};
  def.activities = {MakeActivity("act", {{"g", 1.0}})};
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  EXPECT_EQ(KindsAndPaths(problems),
            (std::multiset<std::string>{
                "dangling-reference groups[0].parent", "dangling-reference competencies[0].group",
                "dangling-reference prerequisites[0].from",
                "dangling-reference activities[0].competencies[0].competency_id"}));
  for (const GraphProblem& p : problems) {
    EXPECT_TRUE(p.message.find("not a group") != std::string::npos ||
                p.message.find("not a competency") != std::string::npos)
        << p.message;
  }
}

TEST(GraphValidationTest, RepeatedRowIsFoundInALongActivity) {
  GraphDefinition def;
  Activity wide;
  wide.id = "wide";
  for (int i = 0; i < 30; ++i) {
    def.competencies.push_back(MakeCompetency("c" + std::to_string(i)));
    wide.competencies.push_back({"c" + std::to_string(i), 1.0});
  }
  wide.competencies.push_back({"c7", 0.5});
  def.activities = {wide};
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(def);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "activities[0].competencies[30].competency_id");
  EXPECT_NE(problems[0].message.find("competencies[7]"), std::string::npos) << problems[0].message;
}

TEST(GraphValidationTest, KindNamesAreDistinct) {
  std::set<std::string> names;
  for (Kind kind : {Kind::kMissingId, Kind::kDuplicateId, Kind::kSelfLoop, Kind::kDuplicateEdge,
                    Kind::kDanglingReference, Kind::kOutOfRange, Kind::kEmptyActivity, Kind::kCycle,
                    Kind::kMalformed}) {
    EXPECT_FALSE(GraphProblemKindName(kind).empty());
    names.insert(std::string(GraphProblemKindName(kind)));
  }
  EXPECT_EQ(names.size(), 9u);
  EXPECT_EQ(GraphProblemKindName(Kind::kCycle), "cycle");
}

// ---------------------------------------------------------------------------------------------------
// Incremental mutation

TEST(CompetencyGraphMutationTest, AddGroupErrorsChangeNothing) {
  CompetencyGraph graph = SmallGraph();
  const std::string before = Describe(graph);
  EXPECT_EQ(graph.AddGroup({"", "x", ""}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddGroup({"arith", "x", ""}).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(graph.AddGroup({"add", "x", ""}).code(), StatusCode::kAlreadyExists);
  const Status unknown_parent = graph.AddGroup({"geo", "Geometry", "nowhere"});
  EXPECT_EQ(unknown_parent.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown_parent.message().find("'nowhere'"), std::string::npos);
  EXPECT_EQ(graph.AddGroup({"geo", "Geometry", "add"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(Describe(graph), before);

  ASSERT_OK(graph.AddGroup({"geo", "Geometry", "math"}));
  ASSERT_OK(graph.AddCompetency(MakeCompetency("angles", "geo")));
  EXPECT_EQ(graph.GroupMembers("geo"), (std::vector<std::string>{"angles"}));
  EXPECT_EQ(graph.GroupMembers("math").back(), "angles");
}

TEST(CompetencyGraphMutationTest, AddCompetencyErrorsChangeNothing) {
  CompetencyGraph graph = SmallGraph();
  const std::string before = Describe(graph);
  const std::vector<std::string> order_before = graph.TopologicalOrder();
  EXPECT_EQ(graph.AddCompetency(MakeCompetency("")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddCompetency(MakeCompetency("add")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(graph.AddCompetency(MakeCompetency("alg")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(graph.AddCompetency(MakeCompetency("new", "no-group")).code(), StatusCode::kNotFound);
  Competency bad_threshold = MakeCompetency("new");
  bad_threshold.mastery_threshold = 0.0;
  EXPECT_EQ(graph.AddCompetency(bad_threshold).code(), StatusCode::kInvalidArgument);
  bad_threshold.mastery_threshold = kNaN;
  EXPECT_EQ(graph.AddCompetency(bad_threshold).code(), StatusCode::kInvalidArgument);
  Competency bad_params = MakeCompetency("new");
  bad_params.params = BktParams{0.1, 0.1, 0.0, 0.5, 0.5};
  const Status params_status = graph.AddCompetency(bad_params);
  EXPECT_EQ(params_status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(params_status.message().find("'new'"), std::string::npos);
  EXPECT_EQ(Describe(graph), before);
  EXPECT_EQ(graph.TopologicalOrder(), order_before);

  Competency fine = MakeCompetency("new", "alg");
  ASSERT_OK(graph.AddCompetency(fine));
  EXPECT_EQ(graph.FindCompetency("new")->name, "new");
  EXPECT_EQ(graph.TopologicalOrder().back(), "new");
}

TEST(CompetencyGraphMutationTest, AddPrerequisiteErrorsChangeNothing) {
  CompetencyGraph graph;
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_OK(graph.AddCompetency(MakeCompetency(id)));
  ASSERT_OK(graph.AddPrerequisite({"a", "b"}));
  ASSERT_OK(graph.AddPrerequisite({"b", "c"}));
  const std::string before = Describe(graph);

  EXPECT_EQ(graph.AddPrerequisite({"a", "zz"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.AddPrerequisite({"zz", "a"}).code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.AddPrerequisite({"a", "a"}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddPrerequisite({"a", "d", 0.0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddPrerequisite({"a", "d", 1.5}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddPrerequisite({"a", "d", kNaN}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddPrerequisite({"a", "b", 0.5}).code(), StatusCode::kAlreadyExists);
  const Status cycle = graph.AddPrerequisite({"c", "a"});
  EXPECT_EQ(cycle.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(cycle.message().find("cycle: c -> a -> b -> c"), std::string::npos) << cycle;
  EXPECT_EQ(Describe(graph), before);

  // The reverse of an absent path is fine.
  ASSERT_OK(graph.AddPrerequisite({"d", "a", 0.5}));
  EXPECT_EQ(graph.TopologicalOrder(), (std::vector<std::string>{"d", "a", "b", "c"}));
}

TEST(CompetencyGraphMutationTest, AddActivityErrorsChangeNothing) {
  CompetencyGraph graph = SmallGraph();
  const std::string before = Describe(graph);
  EXPECT_EQ(graph.AddActivity(MakeActivity("", {{"add", 1.0}})).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddActivity(MakeActivity("a-mul", {{"add", 1.0}})).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(graph.AddActivity(MakeActivity("new", {})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddActivity(MakeActivity("new", {{"nope", 1.0}})).code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.AddActivity(MakeActivity("new", {{"arith", 1.0}})).code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.AddActivity(MakeActivity("new", {{"add", 0.0}})).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(graph.AddActivity(MakeActivity("new", {{"add", 1.0}, {"add", 0.5}})).code(),
            StatusCode::kInvalidArgument);
  Activity hard = MakeActivity("new", {{"add", 1.0}});
  hard.difficulty = 1.01;
  EXPECT_EQ(graph.AddActivity(hard).code(), StatusCode::kInvalidArgument);
  Activity instant = MakeActivity("new", {{"add", 1.0}});
  instant.expected_minutes = -1.0;
  EXPECT_EQ(graph.AddActivity(instant).code(), StatusCode::kInvalidArgument);
  instant.expected_minutes = std::numeric_limits<double>::infinity();
  EXPECT_EQ(graph.AddActivity(instant).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Describe(graph), before);

  ASSERT_OK(graph.AddActivity(MakeActivity("new", {{"mul", 0.5}, {"add", 1.0}})));
  EXPECT_EQ(Ids(graph.ActivitiesFor("add")), (std::vector<std::string>{"a-addsub", "new"}));
  EXPECT_EQ(Ids(graph.ActivitiesFor("mul")), (std::vector<std::string>{"a-mul", "new"}));
}

TEST(CompetencyGraphMutationTest, RemoveCompetencyDropsItsEdgesAndActivityRows) {
  CompetencyGraph graph = SmallGraph();
  const Status blocked = graph.RemoveCompetency("mul");
  EXPECT_EQ(blocked.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(blocked.message().find("'a-mul'"), std::string::npos);
  EXPECT_EQ(graph.RemoveCompetency("nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.num_competencies(), 7u);

  ASSERT_OK(graph.RemoveActivity("a-mul"));
  ASSERT_OK(graph.RemoveCompetency("mul"));
  EXPECT_EQ(graph.FindCompetency("mul"), nullptr);
  EXPECT_EQ(graph.num_competencies(), 6u);
  EXPECT_EQ(graph.num_prerequisites(), 4u);
  EXPECT_EQ(Edges(graph.PrerequisitesOf("frac")), (std::vector<std::string>{"sub->frac"}));
  EXPECT_EQ(Edges(graph.DependentsOf("add")), (std::vector<std::string>{"add->sub"}));
  EXPECT_EQ(graph.GroupMembers("arith"), (std::vector<std::string>{"add", "sub", "count"}));

  // Competencies after the removed one are renumbered; lookups and indices must follow.
  ASSERT_NE(graph.FindCompetency("count"), nullptr);
  EXPECT_EQ(Ids(graph.ActivitiesFor("count")), (std::vector<std::string>{"a-count"}));
  EXPECT_EQ(Ids(graph.ActivitiesFor("read")), (std::vector<std::string>{"a-read"}));
  EXPECT_EQ(graph.TopologicalOrder(),
            (std::vector<std::string>{"count", "add", "sub", "frac", "eq", "read"}));

  // An activity that practised it among others keeps its other rows.
  ASSERT_OK(graph.RemoveCompetency("eq"));
  ASSERT_NE(graph.FindActivity("a-eq"), nullptr);
  ASSERT_EQ(graph.FindActivity("a-eq")->competencies.size(), 1u);
  EXPECT_EQ(graph.FindActivity("a-eq")->competencies[0].competency_id, "frac");
  EXPECT_EQ(Ids(graph.ActivitiesFor("frac")), (std::vector<std::string>{"a-frac", "a-eq"}));
  EXPECT_TRUE(ValidateGraphDefinition(graph.ToDefinition()).empty());
}

TEST(CompetencyGraphMutationTest, RemovePrerequisiteActivityAndGroup) {
  CompetencyGraph graph = SmallGraph();
  EXPECT_EQ(graph.RemovePrerequisite("add", "frac").code(), StatusCode::kNotFound);
  EXPECT_EQ(graph.RemovePrerequisite("nope", "add").code(), StatusCode::kNotFound);
  ASSERT_OK(graph.RemovePrerequisite("add", "mul"));
  EXPECT_EQ(graph.num_prerequisites(), 5u);
  EXPECT_TRUE(graph.PrerequisitesOf("mul").empty());
  // mul lost its only prerequisite, so it is now ready as early as its insertion index allows.
  EXPECT_EQ(graph.TopologicalOrder(),
            (std::vector<std::string>{"mul", "count", "add", "sub", "frac", "eq", "read"}));
  // The edge can be put back, and the remaining order of edges is kept.
  ASSERT_OK(graph.AddPrerequisite({"add", "mul"}));
  EXPECT_EQ(Edges(graph.prerequisites()),
            (std::vector<std::string>{"count->add", "add->sub", "sub->frac", "mul->frac",
                                      "frac->eq", "add->mul"}));

  EXPECT_EQ(graph.RemoveActivity("nope").code(), StatusCode::kNotFound);
  ASSERT_OK(graph.RemoveActivity("a-addsub"));
  EXPECT_EQ(graph.FindActivity("a-addsub"), nullptr);
  EXPECT_TRUE(graph.ActivitiesFor("add").empty());
  EXPECT_EQ(Ids(graph.ActivitiesFor("frac")), (std::vector<std::string>{"a-frac", "a-eq"}));
  EXPECT_EQ(graph.FindActivity("a-eq")->id, "a-eq");

  EXPECT_EQ(graph.RemoveGroup("nope").code(), StatusCode::kNotFound);
  const Status has_members = graph.RemoveGroup("math");
  EXPECT_EQ(has_members.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(has_members.message().find("'arith'"), std::string::npos);
  EXPECT_EQ(graph.RemoveGroup("alg").code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(graph.AddGroup({"empty", "", "math"}));
  ASSERT_OK(graph.RemoveGroup("empty"));
  EXPECT_EQ(graph.FindGroup("empty"), nullptr);
  EXPECT_EQ(graph.num_groups(), 3u);
  EXPECT_EQ(graph.GroupMembers("alg"), (std::vector<std::string>{"frac", "eq"}));
}

TEST(CompetencyGraphMutationTest, CopiesAreIndependent) {
  CompetencyGraph original = SmallGraph();
  const std::string before = Describe(original);
  const std::vector<std::string> order_before = original.TopologicalOrder();

  CompetencyGraph copy(original);
  ASSERT_OK(copy.AddCompetency(MakeCompetency("extra", "alg")));
  ASSERT_OK(copy.AddPrerequisite({"extra", "count"}));
  ASSERT_OK(copy.RemoveActivity("a-read"));
  ASSERT_OK(copy.RemoveCompetency("read"));
  EXPECT_EQ(Describe(original), before);
  EXPECT_EQ(original.TopologicalOrder(), order_before);
  EXPECT_EQ(original.FindCompetency("extra"), nullptr);
  EXPECT_EQ(copy.TopologicalOrder().front(), "extra");
  EXPECT_NE(copy.FindCompetency("add"), original.FindCompetency("add"));

  CompetencyGraph assigned;
  assigned = copy;
  ASSERT_OK(assigned.RemovePrerequisite("extra", "count"));
  EXPECT_EQ(copy.num_prerequisites(), 7u);
  EXPECT_EQ(assigned.num_prerequisites(), 6u);

  // Mutating the original does not reach the copies either.
  ASSERT_OK(original.RemovePrerequisite("frac", "eq"));
  EXPECT_EQ(copy.PrerequisitesOf("eq").size(), 1u);

  CompetencyGraph moved(std::move(assigned));
  EXPECT_EQ(moved.num_prerequisites(), 6u);
}

TEST(CompetencyGraphMutationTest, RandomEditsKeepCycleChecksExact) {
  for (std::uint64_t seed = 500; seed < 506; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    CompetencyGraph graph;
    GraphDefinition mirror;  // what the graph should hold, checked by the test's own reachability
    int next_id = 0;
    for (int step = 0; step < 500; ++step) {
      const std::uint64_t op = rng() % 10;
      const size_t n = mirror.competencies.size();
      if (op < 2 || n < 2) {
        Competency c = MakeCompetency("k" + std::to_string(next_id++));
        c.name = c.id;
        ASSERT_OK(graph.AddCompetency(c));
        mirror.competencies.push_back(c);
      } else if (op < 7) {
        const std::string from = mirror.competencies[rng() % n].id;
        const std::string to = mirror.competencies[rng() % n].id;
        if (from == to) continue;
        const bool exists =
            std::any_of(mirror.prerequisites.begin(), mirror.prerequisites.end(),
                        [&](const Prerequisite& e) { return e.from == from && e.to == to; });
        const Status status = graph.AddPrerequisite({from, to});
        if (exists) {
          EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
        } else if (Reaches(mirror, to, from)) {
          EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << from << " -> " << to;
        } else {
          ASSERT_OK(status);
          mirror.prerequisites.push_back({from, to});
        }
      } else if (op == 7 && !mirror.prerequisites.empty()) {
        const size_t e = rng() % mirror.prerequisites.size();
        ASSERT_OK(
            graph.RemovePrerequisite(mirror.prerequisites[e].from, mirror.prerequisites[e].to));
        mirror.prerequisites.erase(mirror.prerequisites.begin() + static_cast<std::ptrdiff_t>(e));
      } else if (op == 8) {
        const size_t v = rng() % n;
        const std::string id = mirror.competencies[v].id;
        ASSERT_OK(graph.RemoveCompetency(id));
        mirror.competencies.erase(mirror.competencies.begin() + static_cast<std::ptrdiff_t>(v));
        mirror.prerequisites.erase(
            std::remove_if(mirror.prerequisites.begin(), mirror.prerequisites.end(),
                           [&](const Prerequisite& e) { return e.from == id || e.to == id; }),
            mirror.prerequisites.end());
      } else {
        const std::vector<std::string> order = graph.TopologicalOrder();
        std::map<std::string, size_t> position;
        for (size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
        for (const Prerequisite& e : mirror.prerequisites) {
          ASSERT_LT(position.at(e.from), position.at(e.to));
        }
      }
    }
    EXPECT_EQ(Describe(graph), Describe(mirror));
  }
}

// ---------------------------------------------------------------------------------------------------
// Queries

TEST(CompetencyGraphQueryTest, TopologicalOrderBreaksTiesByInsertionOrder) {
  // Hand-worked Kahn with a min-heap on insertion index (frac0 eq1 add2 sub3 mul4 count5 read6):
  // ready {count, read} -> count; {add, read} -> add; {sub, mul, read} -> sub; mul; then frac, eq,
  // read.
  const CompetencyGraph graph = SmallGraph();
  const std::vector<std::string> expected = {"count", "add", "sub", "mul", "frac", "eq", "read"};
  EXPECT_EQ(graph.TopologicalOrder(), expected);
  EXPECT_EQ(graph.TopologicalOrder(), expected);  // cached answer is the same
  EXPECT_EQ(CompetencyGraph(graph).TopologicalOrder(), expected);

  // Without edges the order is the insertion order.
  CompetencyGraph flat;
  for (const char* id : {"z", "y", "x", "w"}) ASSERT_OK(flat.AddCompetency(MakeCompetency(id)));
  EXPECT_EQ(flat.TopologicalOrder(), (std::vector<std::string>{"z", "y", "x", "w"}));
}

TEST(CompetencyGraphQueryTest, TopologicalOrderPropertiesOnRandomDags) {
  for (std::uint64_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const int n = 5 + static_cast<int>(rng() % 60);
    const GraphDefinition def = RandomDag(rng, n, 30 + static_cast<int>(rng() % 200));
    Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
    ASSERT_OK(graph);
    const std::vector<std::string> order = graph->TopologicalOrder();
    ASSERT_EQ(order.size(), def.competencies.size());

    std::map<std::string, size_t> insertion, position;
    for (size_t i = 0; i < def.competencies.size(); ++i) insertion[def.competencies[i].id] = i;
    for (size_t i = 0; i < order.size(); ++i) position[order[i]] = i;
    ASSERT_EQ(position.size(), order.size()) << "not a permutation";
    for (const Prerequisite& e : def.prerequisites) {
      EXPECT_LT(position.at(e.from), position.at(e.to)) << e.from << " -> " << e.to;
    }
    // Ties go to insertion order: each step takes the earliest-inserted competency whose
    // prerequisites are all placed.
    std::map<std::string, std::vector<std::string>> into;
    for (const Prerequisite& e : def.prerequisites) into[e.to].push_back(e.from);
    std::set<std::string> placed;
    for (const std::string& chosen : order) {
      std::string expected;
      for (const Competency& c : def.competencies) {
        if (placed.count(c.id)) continue;
        const auto& prereqs = into[c.id];
        if (std::all_of(prereqs.begin(), prereqs.end(),
                        [&](const std::string& p) { return placed.count(p) > 0; })) {
          expected = c.id;
          break;
        }
      }
      ASSERT_EQ(chosen, expected);
      placed.insert(chosen);
    }

    // Built edge by edge, with queries in between (which cache an order), the answer is the same.
    CompetencyGraph incremental;
    for (const Competency& c : def.competencies) ASSERT_OK(incremental.AddCompetency(c));
    for (size_t i = 0; i < def.prerequisites.size(); ++i) {
      ASSERT_OK(incremental.AddPrerequisite(def.prerequisites[i]));
      if (rng() % 8 == 0) (void)incremental.TopologicalOrder();
    }
    EXPECT_EQ(incremental.TopologicalOrder(), order);
    EXPECT_EQ(Describe(incremental), Describe(*graph));
  }
}

TEST(CompetencyGraphQueryTest, AddPrerequisiteRejectsExactlyTheEdgesThatCloseACycle) {
  for (std::uint64_t seed = 100; seed < 110; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    GraphDefinition def = RandomDag(rng, 25, 120);
    Result<CompetencyGraph> built = CompetencyGraph::FromDefinition(def);
    ASSERT_OK(built);
    CompetencyGraph graph = *std::move(built);
    for (int trial = 0; trial < 60; ++trial) {
      const std::string from = def.competencies[rng() % def.competencies.size()].id;
      const std::string to = def.competencies[rng() % def.competencies.size()].id;
      if (from == to) continue;
      if (trial % 3 == 0) (void)graph.TopologicalOrder();
      const bool exists =
          std::any_of(def.prerequisites.begin(), def.prerequisites.end(),
                      [&](const Prerequisite& e) { return e.from == from && e.to == to; });
      const std::string before = Describe(graph);
      const Status status = graph.AddPrerequisite({from, to});
      if (exists) {
        EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
      } else if (Reaches(def, to, from)) {
        ASSERT_EQ(status.code(), StatusCode::kFailedPrecondition) << from << " -> " << to;
        EXPECT_EQ(Describe(graph), before);
        // The cycle named is real: it starts with the new edge and every other step is an edge.
        const std::string& message = status.message();
        const size_t at = message.find("cycle: ");
        ASSERT_NE(at, std::string::npos) << message;
        std::vector<std::string> cycle;
        std::istringstream words(message.substr(at + 7));
        for (std::string word; words >> word;) {
          if (word != "->") cycle.push_back(word);
        }
        ASSERT_GE(cycle.size(), 3u);
        EXPECT_EQ(cycle.front(), from);
        EXPECT_EQ(cycle[1], to);
        EXPECT_EQ(cycle.back(), from);
        for (size_t i = 1; i + 1 < cycle.size(); ++i) {
          const bool is_edge = std::any_of(
              def.prerequisites.begin(), def.prerequisites.end(),
              [&](const Prerequisite& e) { return e.from == cycle[i] && e.to == cycle[i + 1]; });
          EXPECT_TRUE(is_edge) << cycle[i] << " -> " << cycle[i + 1] << " in " << message;
        }
      } else {
        ASSERT_OK(status);
        def.prerequisites.push_back({from, to});
      }
    }
    EXPECT_TRUE(ValidateGraphDefinition(graph.ToDefinition()).empty());
  }
}

TEST(CompetencyGraphQueryTest, AncestorsAndDescendants) {
  const CompetencyGraph graph = SmallGraph();
  using Ids = std::vector<std::string>;
  Result<Ids> ancestors = graph.Ancestors({"frac"});
  ASSERT_OK(ancestors);
  EXPECT_EQ(*ancestors, (Ids{"count", "add", "sub", "mul"}));
  ancestors = graph.Ancestors({"sub", "mul"});
  ASSERT_OK(ancestors);
  EXPECT_EQ(*ancestors, (Ids{"count", "add"}));
  // The given ids are excluded even when one is an ancestor of another.
  ancestors = graph.Ancestors({"eq", "add"});
  ASSERT_OK(ancestors);
  EXPECT_EQ(*ancestors, (Ids{"count", "sub", "mul", "frac"}));
  // A group stands for its members.
  ancestors = graph.Ancestors({"alg"});
  ASSERT_OK(ancestors);
  EXPECT_EQ(*ancestors, (Ids{"count", "add", "sub", "mul"}));
  ancestors = graph.Ancestors({"read"});
  ASSERT_OK(ancestors);
  EXPECT_TRUE(ancestors->empty());

  Result<Ids> descendants = graph.Descendants({"add"});
  ASSERT_OK(descendants);
  EXPECT_EQ(*descendants, (Ids{"sub", "mul", "frac", "eq"}));
  descendants = graph.Descendants({"arith"});
  ASSERT_OK(descendants);
  EXPECT_EQ(*descendants, (Ids{"frac", "eq"}));

  const Result<Ids> unknown = graph.Ancestors({"add", "nope", "nada"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("'nada'"), std::string::npos);
  EXPECT_EQ(graph.Descendants({"nope"}).status().code(), StatusCode::kNotFound);
}

TEST(CompetencyGraphQueryTest, ExpandGoalsAndGroupMembers) {
  const CompetencyGraph graph = SmallGraph();
  using Ids = std::vector<std::string>;
  Result<Ids> goals = graph.ExpandGoals({"alg", "count", "frac"});
  ASSERT_OK(goals);
  EXPECT_EQ(*goals, (Ids{"count", "frac", "eq"}));
  goals = graph.ExpandGoals({"math"});
  ASSERT_OK(goals);
  EXPECT_EQ(*goals, (Ids{"count", "add", "sub", "mul", "frac", "eq"}));
  EXPECT_EQ(graph.ExpandGoals({"nope"}).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(graph.GroupMembers("math"), (Ids{"frac", "eq", "add", "sub", "mul", "count"}));
  EXPECT_EQ(graph.GroupMembers("arith"), (Ids{"add", "sub", "mul", "count"}));
  EXPECT_TRUE(graph.GroupMembers("nope").empty());
  EXPECT_TRUE(graph.GroupMembers("add").empty());
}

TEST(CompetencyGraphQueryTest, FrontierOnHandMadeGraph) {
  const CompetencyGraph graph = SmallGraph();
  using Ids = std::vector<std::string>;
  const auto frontier = [&](std::set<std::string> mastered) {
    return graph.Frontier([&](const std::string& id) { return mastered.count(id) > 0; });
  };
  EXPECT_EQ(frontier({}), (Ids{"count", "read"}));
  EXPECT_EQ(frontier({"count"}), (Ids{"add", "read"}));
  EXPECT_EQ(frontier({"count", "add"}), (Ids{"sub", "mul", "read"}));
  EXPECT_EQ(frontier({"count", "add", "sub"}), (Ids{"mul", "read"}));
  EXPECT_EQ(frontier({"count", "add", "sub", "mul", "read"}), (Ids{"frac"}));
  // Mastered out of order: eq is mastered but frac is not; frac is not ready, and eq is not listed.
  EXPECT_EQ(frontier({"eq", "read"}), (Ids{"count"}));
  EXPECT_TRUE(frontier({"count", "add", "sub", "mul", "frac", "eq", "read"}).empty());

  int calls = 0;
  (void)graph.Frontier([&](const std::string&) {
    ++calls;
    return false;
  });
  EXPECT_EQ(calls, 7);  // once per competency
}

TEST(CompetencyGraphQueryTest, FrontierMatchesItsDefinitionOnRandomGraphs) {
  for (std::uint64_t seed = 200; seed < 215; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const GraphDefinition def = RandomDag(rng, 40, 80);
    Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
    ASSERT_OK(graph);
    std::set<std::string> mastered;
    for (const Competency& c : def.competencies) {
      if (rng() % 2) mastered.insert(c.id);
    }
    const std::vector<std::string> frontier =
        graph->Frontier([&](const std::string& id) { return mastered.count(id) > 0; });
    std::set<std::string> expected;
    for (const Competency& c : def.competencies) {
      if (mastered.count(c.id)) continue;
      bool ready = true;
      for (const Prerequisite& e : def.prerequisites) {
        if (e.to == c.id && !mastered.count(e.from)) ready = false;
      }
      if (ready) expected.insert(c.id);
    }
    EXPECT_EQ(std::set<std::string>(frontier.begin(), frontier.end()), expected);
    // In topological order.
    const std::vector<std::string> order = graph->TopologicalOrder();
    std::vector<std::string> filtered;
    for (const std::string& id : order) {
      if (expected.count(id)) filtered.push_back(id);
    }
    EXPECT_EQ(frontier, filtered);
  }
}

TEST(CompetencyGraphQueryTest, SubgraphForGoalsKeepsWhatTheGoalNeeds) {
  const CompetencyGraph graph = SmallGraph();
  Result<CompetencyGraph> sub = graph.SubgraphForGoals({"mul"});
  ASSERT_OK(sub);
  std::vector<std::string> ids;
  for (const Competency* c : sub->competencies()) ids.push_back(c->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"add", "mul", "count"}));  // insertion order
  EXPECT_EQ(Edges(sub->prerequisites()), (std::vector<std::string>{"count->add", "add->mul"}));
  EXPECT_EQ(Ids(sub->activities()), (std::vector<std::string>{"a-count", "a-addsub", "a-mul"}));
  // a-addsub practised add and sub; sub is not needed, so only the add row stays.
  ASSERT_EQ(sub->FindActivity("a-addsub")->competencies.size(), 1u);
  EXPECT_EQ(sub->FindActivity("a-addsub")->competencies[0].competency_id, "add");
  std::vector<std::string> groups;
  for (const Group* g : sub->groups()) groups.push_back(g->id);
  EXPECT_EQ(groups, (std::vector<std::string>{"math", "arith"}));
  EXPECT_EQ(sub->FindCompetency("add")->params, graph.FindCompetency("add")->params);
  EXPECT_TRUE(ValidateGraphDefinition(sub->ToDefinition()).empty());

  Result<CompetencyGraph> alg = graph.SubgraphForGoals({"alg"});
  ASSERT_OK(alg);
  EXPECT_EQ(alg->num_competencies(), 6u);
  EXPECT_EQ(alg->FindCompetency("read"), nullptr);
  EXPECT_EQ(alg->num_prerequisites(), 6u);
  EXPECT_EQ(alg->FindActivity("a-read"), nullptr);
  EXPECT_EQ(alg->FindActivity("a-eq")->competencies.size(), 2u);
  EXPECT_EQ(alg->TopologicalOrder(),
            (std::vector<std::string>{"count", "add", "sub", "mul", "frac", "eq"}));

  Result<CompetencyGraph> lone = graph.SubgraphForGoals({"read"});
  ASSERT_OK(lone);
  EXPECT_EQ(lone->num_competencies(), 1u);
  EXPECT_EQ(lone->num_groups(), 0u);
  EXPECT_EQ(graph.SubgraphForGoals({"nope"}).status().code(), StatusCode::kNotFound);
}

TEST(CompetencyGraphQueryTest, ConstQueriesMayRunConcurrently) {
  std::mt19937_64 rng(400);
  const GraphDefinition def = RandomDag(rng, 300, 20);
  Result<CompetencyGraph> reference = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(reference);
  const std::vector<std::string> expected_order = reference->TopologicalOrder();
  // A fresh copy has no order cached yet, so the threads race to compute it.
  Result<CompetencyGraph> built = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(built);
  const CompetencyGraph& graph = *built;
  std::vector<std::vector<std::string>> orders(4);
  std::vector<std::vector<std::string>> frontiers(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < orders.size(); ++t) {
    threads.emplace_back([&, t] {
      frontiers[t] = graph.Frontier([](const std::string&) { return false; });
      orders[t] = graph.TopologicalOrder();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < orders.size(); ++t) {
    EXPECT_EQ(orders[t], expected_order);
    EXPECT_EQ(frontiers[t], frontiers[0]);
  }
}

TEST(CompetencyGraphQueryTest, RoundTripThroughDefinitionGivesAnEqualGraph) {
  CompetencyGraph graph = SmallGraph();
  // Exercise the state a graph gets into after edits, not only after a fresh build.
  ASSERT_OK(graph.RemovePrerequisite("add", "sub"));
  ASSERT_OK(graph.AddPrerequisite({"count", "sub", 0.25}));
  ASSERT_OK(graph.AddCompetency(MakeCompetency("late", "arith")));
  const GraphDefinition def = graph.ToDefinition();
  EXPECT_TRUE(ValidateGraphDefinition(def).empty());
  Result<CompetencyGraph> again = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(again);
  EXPECT_EQ(Describe(*again), Describe(def));
  EXPECT_EQ(again->TopologicalOrder(), graph.TopologicalOrder());

  for (std::uint64_t seed = 300; seed < 305; ++seed) {
    std::mt19937_64 rng(seed);
    const GraphDefinition random = RandomDag(rng, 30, 100);
    Result<CompetencyGraph> built = CompetencyGraph::FromDefinition(random);
    ASSERT_OK(built);
    Result<CompetencyGraph> rebuilt = CompetencyGraph::FromDefinition(built->ToDefinition());
    ASSERT_OK(rebuilt);
    EXPECT_EQ(Describe(*rebuilt), Describe(random)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace pathwise
