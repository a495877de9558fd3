#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/simulation_io.h>
#include <pathwise/io/svg_plot.h>
#include <pathwise/simulator.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SourcePath;

size_t Count(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Checks XML well-formedness the way a parser would reject a document: one root, tags closed in
// order, attribute values quoted, '&' only in entities and '<' only in markup. Returns "" when
// well-formed, else what is wrong and where.
std::string XmlProblem(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  bool root_seen = false;
  auto is_name_char = [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == ':' ||
           ch == '.';
  };
  while (i < xml.size()) {
    if (xml[i] == '&') {
      const size_t end = xml.find(';', i);
      if (end == std::string::npos) return "unterminated entity at " + std::to_string(i);
      const std::string entity = xml.substr(i, end - i + 1);
      if (entity != "&amp;" && entity != "&lt;" && entity != "&gt;" && entity != "&quot;" &&
          entity != "&#39;") {
        return "unknown entity " + entity + " at " + std::to_string(i);
      }
      i = end + 1;
      continue;
    }
    if (xml[i] == '>') return "stray '>' at " + std::to_string(i);
    if (xml[i] != '<') {
      if (open.empty() && !std::isspace(static_cast<unsigned char>(xml[i]))) {
        return "text outside the root at " + std::to_string(i);
      }
      ++i;
      continue;
    }
    if (xml.compare(i, 5, "<?xml") == 0) {
      if (i != 0) return "XML declaration not at the start";
      const size_t end = xml.find("?>", i);
      if (end == std::string::npos) return "unterminated declaration";
      i = end + 2;
      continue;
    }
    const bool closing = i + 1 < xml.size() && xml[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    const size_t name_start = j;
    while (j < xml.size() && is_name_char(xml[j])) ++j;
    const std::string name = xml.substr(name_start, j - name_start);
    if (name.empty()) return "tag without a name at " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name) return "unbalanced </" + name + ">";
      open.pop_back();
      const size_t end = xml.find('>', j);
      if (end == std::string::npos) return "unterminated tag";
      i = end + 1;
      continue;
    }
    // Attributes: name="value", values without '<' or a raw '&'.
    bool self_closing = false;
    while (true) {
      while (j < xml.size() && std::isspace(static_cast<unsigned char>(xml[j]))) ++j;
      if (j >= xml.size()) return "unterminated tag <" + name;
      if (xml[j] == '>') break;
      if (xml.compare(j, 2, "/>") == 0) {
        self_closing = true;
        ++j;
        break;
      }
      const size_t attribute_start = j;
      while (j < xml.size() && is_name_char(xml[j])) ++j;
      if (j == attribute_start || j >= xml.size() || xml[j] != '=') {
        return "malformed attribute in <" + name + "> at " + std::to_string(j);
      }
      ++j;
      if (xml[j] != '"') return "unquoted attribute in <" + name + ">";
      const size_t value_end = xml.find('"', j + 1);
      if (value_end == std::string::npos) return "unterminated attribute";
      const std::string value = xml.substr(j + 1, value_end - j - 1);
      if (value.find('<') != std::string::npos) return "'<' in an attribute of <" + name + ">";
      const std::string problem = value.find('&') == std::string::npos ? "" : XmlProblem(value);
      if (!problem.empty() && problem.rfind("text outside", 0) != 0) return problem;
      j = value_end + 1;
    }
    if (!self_closing) {
      if (open.empty() && root_seen) return "second root <" + name + ">";
      open.push_back(name);
    } else if (open.empty()) {
      return "self-closing root";
    }
    root_seen = true;
    i = j + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  if (!root_seen) return "no root element";
  return "";
}

PlotSeries Series(std::string name, std::vector<double> x, std::vector<double> y,
                  std::string dash = "") {
  PlotSeries series;
  series.name = std::move(name);
  series.x = std::move(x);
  series.y = std::move(y);
  series.dash = std::move(dash);
  return series;
}

CohortGroup Group(std::string name, double learn_offset, double prior_offset) {
  CohortGroup group;
  group.name = std::move(name);
  group.learn_offset = learn_offset;
  group.prior_offset = prior_offset;
  return group;
}

CompetencyGraph Fractions() {
  auto graph = ReadGraphFile(SourcePath("examples/curriculum/fractions.json"));
  EXPECT_OK(graph);
  return *graph;
}

SimulationOptions FractionsOptions() {
  SimulationOptions options;
  options.policies = {PolicyKind::kMastery, PolicyKind::kRandom, PolicyKind::kCurriculum};
  options.goals = {"fractions.add_unlike"};
  options.learners = 60;
  options.steps = 120;
  options.seed = 2024;
  options.truth.groups = {Group("ahead", 0.5, 0.5), Group("behind", -0.5, -0.5)};
  options.curve_points = 30;
  return options;
}

TEST(SimulationIoTest, JsonIsIdenticalForOneAndFourThreads) {
  const CompetencyGraph graph = Fractions();
  SimulationOptions options = FractionsOptions();
  options.threads = 1;
  auto one = RunSimulation(graph, options);
  ASSERT_OK(one);
  options.threads = 4;
  auto four = RunSimulation(graph, options);
  ASSERT_OK(four);
  const std::string json_one = SimulationJson(*one, options);
  EXPECT_EQ(json_one, SimulationJson(*four, options));
  EXPECT_EQ(SimulationLearnersCsv(*one), SimulationLearnersCsv(*four));
  EXPECT_EQ(SimulationCurvesCsv(*one), SimulationCurvesCsv(*four));

  options.seed += 1;
  auto reseeded = RunSimulation(graph, options);
  ASSERT_OK(reseeded);
  EXPECT_NE(SimulationJson(*reseeded, options), json_one);
}

TEST(SimulationIoTest, JsonHasTheReportedFieldsPerPolicyAndGroup) {
  const CompetencyGraph graph = Fractions();
  const SimulationOptions options = FractionsOptions();
  auto result = RunSimulation(graph, options);
  ASSERT_OK(result);
  const nlohmann::json j = nlohmann::json::parse(SimulationJson(*result, options, 2));
  EXPECT_EQ(j["format"], "pathwise.simulation");
  EXPECT_EQ(j["config"]["seed"], 2024);
  EXPECT_FALSE(j["config"].contains("threads"));
  ASSERT_EQ(j["policies"].size(), 3u);
  for (size_t p = 0; p < 3; ++p) {
    const nlohmann::json& policy = j["policies"][p];
    EXPECT_EQ(policy["policy"], result->policies[p].policy);
    EXPECT_EQ(policy["mean_steps_to_goal"].get<double>(),
              result->policies[p].all.mean_steps_to_goal);
    EXPECT_EQ(policy["reached_goal_share"].get<double>(),
              result->policies[p].all.reached_goal_share);
    ASSERT_EQ(policy["groups"].size(), 2u);
    EXPECT_EQ(policy["groups"][1]["group"], "behind");
    EXPECT_EQ(policy["curve"]["scope_learned"].size(), result->curve_steps.size());
  }
}

TEST(SimulationIoTest, CsvHasOneRowPerPolicyAndGroup) {
  const CompetencyGraph graph = Fractions();
  const SimulationOptions options = FractionsOptions();
  auto result = RunSimulation(graph, options);
  ASSERT_OK(result);
  const std::string summary = SimulationSummaryCsv(*result);
  EXPECT_EQ(Count(summary, "\n"), 1u + 3u * 3u);  // header, then all + 2 groups per policy
  EXPECT_EQ(summary.rfind("policy,group,learners,mean_steps_to_goal", 0), 0u);
  EXPECT_EQ(Count(SimulationCurvesCsv(*result), "\n"), 1u + 3u * 3u * result->curve_steps.size());
  EXPECT_EQ(Count(SimulationLearnersCsv(*result), "\n"), 1u + 3u * 60u);
}

TEST(SimulationIoTest, CsvWithoutGroupsHasOneRowPerPolicy) {
  const CompetencyGraph graph = Fractions();
  SimulationOptions options = FractionsOptions();
  options.truth.groups.clear();
  auto result = RunSimulation(graph, options);
  ASSERT_OK(result);
  const std::string summary = SimulationSummaryCsv(*result);
  EXPECT_EQ(Count(summary, "\n"), 1u + 3u) << summary;
  EXPECT_EQ(Count(summary, "\nmastery,"), 1u) << summary;
  EXPECT_EQ(Count(SimulationCurvesCsv(*result), "\n"), 1u + 3u * result->curve_steps.size());
}

TEST(SimulationIoTest, SvgIsWellFormedWithALinePerPolicy) {
  const CompetencyGraph graph = Fractions();
  const SimulationOptions options = FractionsOptions();
  auto result = RunSimulation(graph, options);
  ASSERT_OK(result);
  auto svg = SimulationSvg(*result);
  ASSERT_OK(svg);
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(svg->rfind("<?xml", 0), 0u);
  // Panel 1: a line per policy plus one per (policy, group); panel 2: a line per policy.
  EXPECT_EQ(Count(*svg, "<polyline"), 3u * 3u + 3u);
  for (const char* name : {">mastery<", ">random<", ">curriculum<", ">mastery / behind<"}) {
    EXPECT_NE(svg->find(name), std::string::npos) << name;
  }
}

TEST(SimulationIoTest, SvgEscapesTextAndBreaksLinesAtNaN) {
  LinePlot plot;
  plot.title = "a < b & \"c\"";
  plot.series.push_back(Series("x&y", {0, 1, 2, 3}, {1, std::nan(""), 2, 3}));
  auto svg = RenderSvg({plot});
  ASSERT_OK(svg);
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_NE(svg->find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg->find(">x&amp;y<"), std::string::npos);
  EXPECT_EQ(Count(*svg, "<polyline"), 2u);  // the NaN splits the line in two
  // The checker itself rejects what a parser would.
  EXPECT_NE(XmlProblem("<svg><g></svg>"), "");
  EXPECT_NE(XmlProblem("<svg>a & b</svg>"), "");
  EXPECT_NE(XmlProblem("<svg x=1/>"), "");
}

TEST(SimulationIoTest, RenderSvgRejectsBadSeries) {
  LinePlot plot;
  plot.series.push_back(Series("short", {0, 1, 2}, {1, 2}));
  auto mismatched = RenderSvg({plot});
  EXPECT_EQ(mismatched.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(mismatched.status().message().find("panels[0].series[0]"), std::string::npos);
  plot.series[0] = Series("inf", {0, 1}, {1, INFINITY});
  EXPECT_NE(RenderSvg({plot}).status().message().find("y[1]"), std::string::npos);
  EXPECT_EQ(RenderSvg({}).status().code(), StatusCode::kInvalidArgument);
  plot.series[0] = Series("dash", {0, 1}, {1, 2}, "6 4\" onload=\"x");
  EXPECT_NE(RenderSvg({plot}).status().message().find("series[0].dash"), std::string::npos);
  plot.series.clear();
  plot.y_min = 1.0;
  plot.y_max = 1.0;
  EXPECT_EQ(RenderSvg({plot}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SimulationIoTest, LongCaptionWrapsAndLegendMakesRoom) {
  LinePlot plot;
  plot.series.push_back(Series("a rather long series name / with a group", {0, 1}, {0, 1}));
  SvgOptions options;
  options.caption = std::string(300, 'x').insert(100, " ").insert(200, " ");
  auto svg = RenderSvg({plot}, options);
  ASSERT_OK(svg);
  EXPECT_EQ(XmlProblem(*svg), "");
  EXPECT_EQ(Count(*svg, "fill=\"#444444\""), 3u);  // three caption lines
  // The plot area ends where the 40-character legend starts: 820 - (60 + 7 * 40) = 480.
  EXPECT_NE(svg->find("width=\"408.00\""), std::string::npos);  // 480 - 72
}

TEST(SimulationIoTest, SvgIsTheSameBytesForTheSameInput) {
  LinePlot plot;
  plot.title = "t";
  plot.series.push_back(Series("s", {0, 10, 20}, {0.5, 3.25, 7.0}));
  auto first = RenderSvg({plot, plot});
  auto second = RenderSvg({plot, plot});
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(Count(*first, "class=\"panel\""), 2u);
}

}  // namespace
}  // namespace pathwise
