#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_json.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SourcePath;

const std::string kFractions = SourcePath("examples/curriculum/fractions.json");

std::string GraphFixture(const std::string& name) {
  return SourcePath("tests/data/graphs/" + name);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Field-by-field equality, so a failure names what differs.
void ExpectSameDefinition(const GraphDefinition& a, const GraphDefinition& b) {
  ASSERT_EQ(a.groups.size(), b.groups.size());
  for (size_t i = 0; i < a.groups.size(); ++i) {
    SCOPED_TRACE("groups[" + std::to_string(i) + "]");
    EXPECT_EQ(a.groups[i].id, b.groups[i].id);
    EXPECT_EQ(a.groups[i].name, b.groups[i].name);
    EXPECT_EQ(a.groups[i].parent, b.groups[i].parent);
  }
  ASSERT_EQ(a.competencies.size(), b.competencies.size());
  for (size_t i = 0; i < a.competencies.size(); ++i) {
    SCOPED_TRACE("competencies[" + std::to_string(i) + "]");
    const Competency& x = a.competencies[i];
    const Competency& y = b.competencies[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.description, y.description);
    EXPECT_EQ(x.group, y.group);
    EXPECT_EQ(x.params.has_value(), y.params.has_value());
    if (x.params && y.params) {
      EXPECT_EQ(*x.params, *y.params);
    }
    EXPECT_EQ(x.mastery_threshold, y.mastery_threshold);
  }
  ASSERT_EQ(a.prerequisites.size(), b.prerequisites.size());
  for (size_t i = 0; i < a.prerequisites.size(); ++i) {
    SCOPED_TRACE("prerequisites[" + std::to_string(i) + "]");
    EXPECT_EQ(a.prerequisites[i].from, b.prerequisites[i].from);
    EXPECT_EQ(a.prerequisites[i].to, b.prerequisites[i].to);
    EXPECT_EQ(a.prerequisites[i].strength, b.prerequisites[i].strength);
  }
  ASSERT_EQ(a.activities.size(), b.activities.size());
  for (size_t i = 0; i < a.activities.size(); ++i) {
    SCOPED_TRACE("activities[" + std::to_string(i) + "]");
    const Activity& x = a.activities[i];
    const Activity& y = b.activities[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.competencies.size(), y.competencies.size());
    for (size_t k = 0; k < x.competencies.size(); ++k) {
      EXPECT_EQ(x.competencies[k].competency_id, y.competencies[k].competency_id);
      EXPECT_EQ(x.competencies[k].weight, y.competencies[k].weight);
    }
    EXPECT_EQ(x.difficulty, y.difficulty);
    EXPECT_EQ(x.expected_minutes, y.expected_minutes);
    EXPECT_EQ(x.kind, y.kind);
    EXPECT_EQ(x.tags, y.tags);
  }
}

std::string Document(const std::string& competencies_json, const std::string& extra = "") {
  return R"({"format": "pathwise.graph", "version": 1, "competencies": )" + competencies_json +
         extra + "}";
}

TEST(GraphJsonTest, ReadsExampleCurriculum) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  EXPECT_EQ(graph->num_competencies(), 15u);
  EXPECT_EQ(graph->num_prerequisites(), 20u);
  EXPECT_EQ(graph->num_activities(), 31u);
  EXPECT_EQ(graph->num_groups(), 3u);
  const Competency* partition = graph->FindCompetency("fractions.partition");
  ASSERT_NE(partition, nullptr);
  EXPECT_EQ(partition->group, "fractions.concepts");
  EXPECT_DOUBLE_EQ(partition->mastery_threshold, 0.9);
  ASSERT_TRUE(partition->params.has_value());
  EXPECT_DOUBLE_EQ(partition->params->learn, 0.3);
  EXPECT_DOUBLE_EQ(partition->params->forget, 0.0);  // omitted in the file: standard BKT
  const Activity* quiz = graph->FindActivity("act.word.review_quiz");
  ASSERT_NE(quiz, nullptr);
  ASSERT_EQ(quiz->competencies.size(), 2u);
  EXPECT_DOUBLE_EQ(quiz->competencies[0].weight, 0.6);
  EXPECT_EQ(quiz->kind, "quiz");
  EXPECT_EQ(quiz->tags, (std::vector<std::string>{"word-problem", "review"}));
}

TEST(GraphJsonTest, ExampleCurriculumRoundTrips) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  const std::string written = WriteGraphJson(*graph);
  Result<GraphDefinition> reread = ParseGraphJson(written, "written");
  ASSERT_OK(reread);
  ExpectSameDefinition(*reread, graph->ToDefinition());
  // Writing is stable: the same graph gives the same bytes.
  Result<CompetencyGraph> regraph = CompetencyGraph::FromDefinition(*reread);
  ASSERT_OK(regraph);
  EXPECT_EQ(WriteGraphJson(*regraph), written);
}

TEST(GraphJsonTest, EveryOptionalFieldRoundTrips) {
  GraphDefinition def;
  def.groups = {{"area", "Area \"quoted\"", ""}, {"topic", "Topic", "area"}};
  Competency a;
  a.id = "a";
  a.name = "Ä with ünïcode";
  a.description = "line one\nline two";
  a.group = "topic";
  a.params = BktParams{0.25, 0.125, 0.0625, 0.2, 0.05};
  a.mastery_threshold = 0.8;
  Competency b;
  b.id = "b";
  def.competencies = {a, b};
  def.prerequisites = {{"a", "b", 0.5}};
  Activity act;
  act.id = "act";
  act.name = "Both";
  act.competencies = {{"a", 0.25}, {"b", 1.0}};
  act.difficulty = 0.0;  // present though zero: must not be taken for absent
  act.expected_minutes = 12.5;
  act.kind = "problem";
  act.tags = {"x", "y"};
  def.activities = {act};

  Result<GraphDefinition> reread = ParseGraphJson(WriteGraphJson(def), "written");
  ASSERT_OK(reread);
  ExpectSameDefinition(*reread, def);
}

TEST(GraphJsonTest, WriterOmitsDefaults) {
  GraphDefinition def;
  def.competencies.resize(2);
  def.competencies[0].id = "a";
  def.competencies[1].id = "b";
  def.prerequisites = {{"a", "b"}};
  Activity act;
  act.id = "act";
  act.competencies = {{"a"}};
  def.activities = {act};
  const std::string text = WriteGraphJson(def);
  for (const char* key : {"mastery_threshold", "strength", "weight", "expected_minutes",
                          "difficulty", "params", "description", "group\"", "tags", "kind"}) {
    EXPECT_EQ(text.find(key), std::string::npos) << key << " written though default:\n" << text;
  }
  EXPECT_NE(text.find("\"format\": \"pathwise.graph\""), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(GraphJsonTest, WriteThenReadFile) {
  Result<CompetencyGraph> graph = ReadGraphFile(kFractions);
  ASSERT_OK(graph);
  const std::string path = ::testing::TempDir() + "/graph_json_test_written.json";
  ASSERT_OK(WriteGraphFile(*graph, path));
  Result<CompetencyGraph> reread = ReadGraphFile(path);
  ASSERT_OK(reread);
  ExpectSameDefinition(reread->ToDefinition(), graph->ToDefinition());
  std::remove(path.c_str());
}

TEST(GraphJsonTest, DocumentedExampleIsValid) {
  // The first ```json block of docs/graph_format.md goes into the README; it must stay valid.
  std::ifstream in(SourcePath("docs/graph_format.md"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const size_t begin = doc.find("```json\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = doc.find("```", begin + 8);
  ASSERT_NE(end, std::string::npos);
  Result<GraphDefinition> def = ParseGraphJson(doc.substr(begin + 8, end - begin - 8), "doc");
  ASSERT_OK(def);
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(*def);
  ASSERT_OK(graph);
  EXPECT_EQ(graph->num_competencies(), 2u);
  EXPECT_EQ(graph->num_activities(), 1u);
}

TEST(GraphJsonTest, SyntaxErrorNamesLineAndColumn) {
  Result<CompetencyGraph> graph = ReadGraphFile(GraphFixture("bad_syntax.json"));
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidArgument);
  // Line 5 is `    {"id": "a",}`: the '}' after the trailing comma, column 16.
  const std::string expected_prefix = GraphFixture("bad_syntax.json") + ":5:16: syntax error";
  EXPECT_EQ(graph.status().message().rfind(expected_prefix, 0), 0u) << graph.status();
}

TEST(GraphJsonTest, SyntaxErrorColumnCountsCharactersNotBytes) {
  // "é" is two bytes but one column; the stray 'x' is the 11th character of line 2.
  Result<GraphDefinition> def = ParseGraphJson("{\n\"n\": \"é\", x}", "mem");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message().rfind("mem:2:11: ", 0), 0u) << def.status();
}

TEST(GraphJsonTest, SyntaxErrorMessageIsValidUtf8) {
  // nlohmann quotes the bytes it read; a stray byte must not make the message invalid UTF-8.
  Result<GraphDefinition> def = ParseGraphJson("{\"a\": \xFF\xFE}", "mem");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message().rfind("mem:1:7: ", 0), 0u) << def.status();
  EXPECT_EQ(def.status().message().find('\xFF'), std::string::npos);
}

TEST(GraphJsonTest, EmptyInputIsASyntaxError) {
  Result<GraphDefinition> def = ParseGraphJson("", "empty.json");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message().rfind("empty.json:1:1: ", 0), 0u) << def.status();
}

TEST(GraphJsonTest, UnknownKeysAndWrongTypesAreAllListed) {
  Result<GraphDefinition> def = ReadGraphDefinitionFile(GraphFixture("unknown_key.json"));
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
  const std::string file = GraphFixture("unknown_key.json");
  const std::vector<std::string> lines = Lines(def.status().message());
  ASSERT_EQ(lines.size(), 3u) << def.status();
  EXPECT_EQ(lines[0].rfind(file + ": (top level): unknown key 'prerequisite'", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind(file + ": competencies[0]: unknown key 'nmae'", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2], file + ": competencies[1].id: expected a string, got a number");
}

TEST(GraphJsonTest, MissingRequiredFieldNamesItsPath) {
  Result<GraphDefinition> def =
      ParseGraphJson(Document(R"([{"id": "a"}])", R"(, "prerequisites": [{"from": "a"}])"), "mem");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message(), "mem: prerequisites[0].to: missing (required)");
}

TEST(GraphJsonTest, NestedFieldErrorsNameTheFullPath) {
  Result<GraphDefinition> def = ParseGraphJson(
      Document(
          R"([{"id": "a", "params": {"prior": "high", "learn": 0.1, "guess": 0.2}}])",
          R"(, "activities": [{"id": "x", "competencies": [{"competency": "a", "weight": true}],
                                   "tags": ["ok", 3]}])"),
      "mem");
  ASSERT_FALSE(def.ok());
  const std::vector<std::string> lines = Lines(def.status().message());
  EXPECT_EQ(lines,
            (std::vector<std::string>{
                "mem: competencies[0].params.prior: expected a number, got a string",
                "mem: competencies[0].params.slip: missing (required)",
                "mem: activities[0].competencies[0].weight: expected a number, got a boolean",
                "mem: activities[0].tags[1]: expected a string, got a number",
            }));
}

TEST(GraphJsonTest, KeyGivenTwiceIsAnError) {
  Result<GraphDefinition> def =
      ParseGraphJson(Document(R"([{"id": "a"}, {"id": "b", "name": "B", "name": "C"}])"), "mem");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message(), "mem: competencies[1]: key 'name' given twice");
}

TEST(GraphJsonTest, DeepNestingIsRefusedBeforeParsingNamingTheLimitAndWhere) {
  // 2M levels in 4 MiB: the tester's document. Refused by the depth scan, so nothing is built.
  const size_t levels = 2000000;
  const std::string text = "{\"format\": \"pathwise.graph\", \"version\": 1,\n\"competencies\": " +
                           std::string(levels, '[') + std::string(levels, ']') + "}";
  Result<GraphDefinition> def = ParseGraphJson(text, "deep.json");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().code(), StatusCode::kInvalidArgument);
  // The outer object is level 1, so the 64th '[' (column 17 + 63 of line 2) is level 65.
  EXPECT_EQ(def.status().message(),
            "deep.json:2:80: nesting deeper than 64 levels of arrays and objects (the limit)");

  // Brackets inside strings are text, not nesting.
  const std::string name(1000, '[');
  EXPECT_OK(ParseGraphJson(Document(R"([{"id": "a", "name": ")" + name + R"("}])"), "mem"));
}

TEST(GraphJsonTest, MillionsOfWrongEntriesListTheFirstHundredAndCountTheRest) {
  // A few bytes per wrong entry; every error message is far longer than its entry.
  std::string numbers = "0";
  for (int i = 1; i < 1000000; ++i) numbers += ",0";
  Result<GraphDefinition> def = ParseGraphJson(Document("[" + numbers + "]"), "mem");
  ASSERT_FALSE(def.ok());
  const std::string& message = def.status().message();
  EXPECT_EQ(message.rfind("mem: competencies[0]: expected an object, got a number\n", 0), 0u);
  EXPECT_NE(message.find("mem: competencies[99]: expected an object"), std::string::npos);
  EXPECT_EQ(message.find("competencies[100]"), std::string::npos);
  const std::string tail = "\nmem: ... and 999900 more errors";
  ASSERT_GE(message.size(), tail.size());
  EXPECT_EQ(message.substr(message.size() - tail.size()), tail);
}

TEST(GraphJsonTest, WrongFormatIsRejectedBeforeAnythingElse) {
  Result<GraphDefinition> def =
      ParseGraphJson(R"({"format": "other", "version": 1, "junk": 1})", "mem");
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message(), "mem: format: expected \"pathwise.graph\", got \"other\"");
  Result<GraphDefinition> missing = ParseGraphJson(R"({"version": 1})", "mem");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "mem: format: missing (required)");
  Result<GraphDefinition> array = ParseGraphJson("[1]", "mem");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().message(), "mem: (top level): expected a JSON object, got an array");
}

TEST(GraphJsonTest, UnsupportedVersionIsRejected) {
  Result<GraphDefinition> def = ReadGraphDefinitionFile(GraphFixture("wrong_version.json"));
  ASSERT_FALSE(def.ok());
  EXPECT_EQ(def.status().message(),
            GraphFixture("wrong_version.json") +
                ": version: unsupported version 2 (this build reads version 1)");
  Result<GraphDefinition> fractional =
      ParseGraphJson(R"({"format": "pathwise.graph", "version": 1.0, "competencies": []})", "mem");
  ASSERT_FALSE(fractional.ok());
  EXPECT_EQ(fractional.status().message(), "mem: version: expected an integer, got a number (1.0)");
}

TEST(GraphJsonTest, EvidenceBeforeMasteredPerCompetencyRoundTripsAndIsChecked) {
  Result<GraphDefinition> def = ParseGraphJson(
      Document(R"([{"id": "a", "mastery_min_opportunities": 4, "mastery_recent_correct": 2},
                   {"id": "b"}])",
               ""),
      "mem");
  ASSERT_OK(def);
  EXPECT_EQ(def->competencies[0].mastery_min_opportunities, 4);
  EXPECT_EQ(def->competencies[0].mastery_recent_correct, 2);
  EXPECT_FALSE(def->competencies[1].mastery_min_opportunities.has_value());
  Result<GraphDefinition> reread = ParseGraphJson(WriteGraphJson(*def), "written");
  ASSERT_OK(reread);
  EXPECT_EQ(reread->competencies[0].mastery_min_opportunities, 4);
  EXPECT_EQ(reread->competencies[0].mastery_recent_correct, 2);
  EXPECT_FALSE(reread->competencies[1].mastery_recent_correct.has_value());

  Result<GraphDefinition> typed = ParseGraphJson(
      Document(R"([{"id": "a", "mastery_min_opportunities": 1.5, "mastery_recent_correct": "2"}])",
               ""),
      "mem");
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(Lines(typed.status().message()),
            (std::vector<std::string>{
                "mem: competencies[0].mastery_min_opportunities: expected an integer, got 1.5",
                "mem: competencies[0].mastery_recent_correct: expected an integer, got a string",
            }));

  Result<GraphDefinition> ranged = ParseGraphJson(
      Document(R"([{"id": "a", "mastery_min_opportunities": 0, "mastery_recent_correct": 9}])", ""),
      "mem");
  ASSERT_OK(ranged);
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(*ranged);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0].path, "competencies[0].mastery_min_opportunities");
  EXPECT_NE(problems[0].message.find("[1, 65535], got 0"), std::string::npos)
      << problems[0].message;
  EXPECT_EQ(problems[1].path, "competencies[0].mastery_recent_correct");
  EXPECT_NE(problems[1].message.find("[0, 8], got 9"), std::string::npos) << problems[1].message;
}

TEST(GraphJsonTest, ValidationProblemsAreAllListedWithTheFile) {
  const std::string file = GraphFixture("invalid_problems.json");
  Result<GraphDefinition> def = ReadGraphDefinitionFile(file);
  ASSERT_OK(def);  // structurally fine
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(*def);
  ASSERT_GE(problems.size(), 6u);  // parent, threshold, duplicate, dangling edge, self-loop, weight

  Result<CompetencyGraph> graph = ReadGraphFile(file);
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidArgument);
  const std::vector<std::string> lines = Lines(graph.status().message());
  ASSERT_EQ(lines.size(), problems.size()) << graph.status();
  for (size_t i = 0; i < problems.size(); ++i) {
    EXPECT_EQ(lines[i], file + ": " + problems[i].path + ": " + problems[i].message);
  }
}

TEST(GraphJsonTest, CycleIsFailedPreconditionNamingTheCycle) {
  Result<CompetencyGraph> graph = ReadGraphFile(GraphFixture("cyclic.json"));
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(graph.status().message().find("cycle: a -> b -> c -> a"), std::string::npos)
      << graph.status();
}

TEST(GraphJsonTest, MissingFileIsNotFound) {
  Result<CompetencyGraph> graph = ReadGraphFile(GraphFixture("no_such_file.json"));
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kNotFound);
  EXPECT_NE(graph.status().message().find("no_such_file.json"), std::string::npos);
}

TEST(GraphJsonTest, DirectoryIsNotAGraphFile) {
  Result<CompetencyGraph> graph = ReadGraphFile(SourcePath("tests/data/graphs"));
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("is a directory"), std::string::npos) << graph.status();
}

TEST(GraphJsonTest, GarbageNeverThrows) {
  // Truncations of a valid document at every length: each must be an error, never a crash or throw.
  std::ifstream in(kFractions);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  ASSERT_GT(text.size(), 1000u);
  size_t failures = 0;
  for (size_t length = 0; length < text.size() - 2; length += 11) {
    failures += ParseGraphJson(std::string_view(text).substr(0, length), "cut").ok() ? 0 : 1;
  }
  EXPECT_EQ(failures, (text.size() - 2 + 10) / 11);
}

}  // namespace
}  // namespace pathwise
