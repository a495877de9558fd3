#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_dot.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/mastery_csv.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SharedDataPath;
using testing::SourcePath;

const std::string kFractions = SourcePath("examples/curriculum/fractions.json");

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// The line that declares node `id` (its quoted id followed by an attribute list).
std::string NodeLine(const std::string& dot, const std::string& quoted_id) {
  std::istringstream in(dot);
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(quoted_id + " [label=");
    if (at != std::string::npos && line.find_first_not_of(' ') == at) return line;
  }
  return "";
}

bool HaveDot() { return std::system("command -v dot > /dev/null 2>&1") == 0; }

// Runs `dot -Tsvg` on `text`; returns the SVG, or "" when dot rejects the input.
std::string RenderSvg(const std::string& text, const std::string& name) {
  const std::string dot_path = ::testing::TempDir() + "/" + name + ".dot";
  const std::string svg_path = ::testing::TempDir() + "/" + name + ".svg";
  std::ofstream(dot_path, std::ios::binary) << text;
  const std::string command =
      "dot -Tsvg '" + dot_path + "' -o '" + svg_path + "' 2> '" + svg_path + ".err'";
  const int rc = std::system(command.c_str());
  std::ifstream err(svg_path + ".err");
  std::stringstream errors;
  errors << err.rdbuf();
  std::ifstream svg(svg_path);
  std::stringstream contents;
  contents << svg.rdbuf();
  std::remove(dot_path.c_str());
  std::remove(svg_path.c_str());
  std::remove((svg_path + ".err").c_str());
  // dot may exit 0 after a syntax "warning"; any message on stderr counts as rejection here.
  if (rc != 0 || !errors.str().empty()) {
    ADD_FAILURE() << "dot rejected " << name << ": " << errors.str();
    return "";
  }
  return contents.str();
}

TEST(GraphDotTest, EveryCompetencyEdgeAndGroupAppears) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  const std::string dot = ToDot(*graph);
  EXPECT_EQ(dot.rfind("digraph ", 0), 0u);
  for (const Competency* competency : graph->competencies()) {
    EXPECT_NE(NodeLine(dot, "\"" + competency->id + "\""), "") << competency->id;
  }
  for (const Prerequisite& edge : graph->prerequisites()) {
    EXPECT_NE(dot.find("\"" + edge.from + "\" -> \"" + edge.to + "\""), std::string::npos)
        << edge.from << " -> " << edge.to;
  }
  EXPECT_EQ(Count(dot, " -> "), graph->num_prerequisites());
  EXPECT_EQ(Count(dot, "subgraph \"cluster_"), graph->num_groups());
  // Strength below 1 is drawn dashed: the example has 4 such edges.
  size_t weak = 0;
  for (const Prerequisite& edge : graph->prerequisites()) weak += edge.strength < 1.0 ? 1 : 0;
  EXPECT_EQ(Count(dot, "style=dashed"), weak);

  DotOptions flat;
  flat.group_clusters = false;
  flat.left_to_right = false;
  const std::string flat_dot = ToDot(*graph, flat);
  EXPECT_EQ(Count(flat_dot, "subgraph"), 0u);
  EXPECT_NE(flat_dot.find("rankdir=TB"), std::string::npos);
}

TEST(GraphDotTest, MasteryColoursRedToGreenAndMarksMastered) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  DotOptions options;
  options.mastery = {{"fractions.unit", 0.0},        {"fractions.identify", 1.0},
                     {"fractions.partition", 0.92},   // its own threshold is 0.9
                     {"fractions.equivalent", 0.92},  // default threshold 0.95
                     {"fractions.compare", 7.0},      // clamped to 1
                     {"no.such.competency", 0.5}};
  const std::string dot = ToDot(*graph, options);
  const std::string unit = NodeLine(dot, "\"fractions.unit\"");
  EXPECT_NE(unit.find("fillcolor=\"0.000 "), std::string::npos) << unit;  // red
  EXPECT_NE(unit.find("P(L) = 0.00"), std::string::npos) << unit;
  EXPECT_EQ(unit.find("mastered"), std::string::npos) << unit;
  const std::string identify = NodeLine(dot, "\"fractions.identify\"");
  EXPECT_NE(identify.find("fillcolor=\"0.333 "), std::string::npos) << identify;  // green
  EXPECT_NE(identify.find("mastered"), std::string::npos);
  EXPECT_NE(identify.find("peripheries=2"), std::string::npos);
  EXPECT_NE(NodeLine(dot, "\"fractions.partition\"").find("mastered"), std::string::npos);
  EXPECT_EQ(NodeLine(dot, "\"fractions.equivalent\"").find("mastered"), std::string::npos);
  EXPECT_NE(NodeLine(dot, "\"fractions.compare\"").find("P(L) = 1.00, mastered"),
            std::string::npos);
  EXPECT_EQ(dot.find("no.such.competency"), std::string::npos);
  // Without a value a node keeps the default white fill and no P(L).
  EXPECT_EQ(NodeLine(dot, "\"fractions.simplify\"").find("P(L)"), std::string::npos);

  options.mastered_threshold = 0.5;  // overrides every competency's own threshold
  const std::string lenient = ToDot(*graph, options);
  EXPECT_NE(NodeLine(lenient, "\"fractions.equivalent\"").find("mastered"), std::string::npos);
  EXPECT_EQ(NodeLine(lenient, "\"fractions.unit\"").find("mastered"), std::string::npos);
}

TEST(GraphDotTest, AwkwardIdsAreQuotedSoDotAcceptsThem) {
  GraphDefinition def;
  def.groups.push_back(Group{"g \"1\"", "Group \\ one", ""});
  const std::vector<std::string> ids = {"a\"b", "back\\slash\\", "two\nlines", "node", "-> {x}"};
  for (const std::string& id : ids) {
    Competency competency;
    competency.id = id;
    competency.group = "g \"1\"";
    def.competencies.push_back(competency);
  }
  def.prerequisites = {{ids[0], ids[1]}, {ids[1], ids[2]}, {ids[3], ids[4], 0.5}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  const std::string dot = ToDot(*graph);
  EXPECT_NE(dot.find("\"a\\\"b\" -> \"back\\\\slash\\\\\""), std::string::npos) << dot;
  if (!HaveDot()) GTEST_SKIP() << "graphviz `dot` is not installed";
  const std::string svg = RenderSvg(dot, "awkward_ids");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
}

TEST(GraphDotTest, DotRendersTheExampleAndTheJunyiGraph) {
  if (!HaveDot()) GTEST_SKIP() << "graphviz `dot` is not installed";
  Result<CompetencyGraph> fractions = ReadGraphFile(kFractions);
  ASSERT_OK(fractions);
  DotOptions options;
  options.mastery = {{"fractions.partition", 0.97}, {"fractions.unit", 0.4}};
  const std::string svg = RenderSvg(ToDot(*fractions, options), "fractions");
  EXPECT_NE(svg.find("<title>fractions.word_problems</title>"), std::string::npos);
  EXPECT_NE(svg.find("<title>fractions.partition&#45;&gt;fractions.unit</title>"),
            std::string::npos);

  ImportOptions repair;
  repair.repair = true;
  Result<ImportedGraph> junyi =
      ImportJunyiExerciseTable(SharedDataPath("junyi2015_prereq/junyi_Exercise_table.csv"), repair);
  ASSERT_OK(junyi);
  const std::string junyi_svg = RenderSvg(ToDot(junyi->graph), "junyi");
  EXPECT_EQ(Count(junyi_svg, "class=\"node\""), junyi->graph.num_competencies());
  EXPECT_EQ(Count(junyi_svg, "class=\"edge\""), junyi->graph.num_prerequisites());
  EXPECT_EQ(Count(junyi_svg, "class=\"cluster\""), junyi->graph.num_groups());
}

TEST(GraphDotTest, OutputIsDeterministic) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  DotOptions options;
  options.mastery = {{"fractions.partition", 0.97}, {"fractions.unit", 0.4}};
  EXPECT_EQ(ToDot(*graph, options), ToDot(*graph, options));
  Result<CompetencyGraph> copy = CompetencyGraph::FromDefinition(graph->ToDefinition());
  ASSERT_OK(copy);
  EXPECT_EQ(ToDot(*copy, options), ToDot(*graph, options));
}

TEST(MasteryCsvTest, ReadsValuesAndRejectsBadRows) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  const std::string good = SourcePath("tests/data/graphs/mastery_fractions.csv");
  Result<std::unordered_map<std::string, double>> mastery = ReadMasteryCsv(good, &*graph);
  ASSERT_OK(mastery);
  EXPECT_EQ(mastery->size(), 5u);
  EXPECT_DOUBLE_EQ(mastery->at("fractions.identify"), 0.71);

  const std::string bad = SourcePath("tests/data/graphs/mastery_unknown.csv");
  Result<std::unordered_map<std::string, double>> rejected = ReadMasteryCsv(bad, &*graph);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rejected.status().message(),
            bad + ":3: 'fractions.nope' is not a competency of the graph\n" + bad +
                ":4: p_learned of 'fractions.unit' is '1.5', not a number in [0, 1]");
  // Without a graph, unknown ids cannot be checked; the range still is.
  Result<std::unordered_map<std::string, double>> unchecked = ReadMasteryCsv(bad, nullptr);
  ASSERT_FALSE(unchecked.ok());
  EXPECT_EQ(unchecked.status().message(),
            bad + ":4: p_learned of 'fractions.unit' is '1.5', not a number in [0, 1]");
}

}  // namespace
}  // namespace pathwise
