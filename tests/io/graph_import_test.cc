#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SharedDataPath;
using testing::SourcePath;

const std::string kJunyi = SharedDataPath("junyi2015_prereq/junyi_Exercise_table.csv");
const std::string kEediSubjects = SharedDataPath("eedi_neurips2020_metadata/subject_metadata.csv");
const std::string kEediQuestions =
    SharedDataPath("eedi_neurips2020_metadata/question_metadata_task_3_4.csv");

std::string GraphFixture(const std::string& name) {
  return SourcePath("tests/data/graphs/" + name);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

ImportOptions Repair() {
  ImportOptions options;
  options.repair = true;
  return options;
}

bool HasEdge(const CompetencyGraph& graph, const std::string& from, const std::string& to) {
  for (const Prerequisite& edge : graph.PrerequisitesOf(to)) {
    if (edge.from == from) return true;
  }
  return false;
}

// The problems in the real Junyi table, found by reading the file independently of the importer:
// two exercises listed twice, two self-loops, three prerequisites repeated within a row, and one
// three-exercise cycle among the radical exercises.
std::vector<std::string> ExpectedJunyiProblems() {
  const std::string f = kJunyi + ":";
  return {
      f + "54: exercise 'proportions_1' lists itself as a prerequisite",
      f + "195: prerequisite 'matrix_add_sub_3' of 'matrix_mul_two' listed twice (first at line "
          "195)",
      f + "231: duplicate exercise 'matrix_mul_two' (first at line 195)",
      f + "454: exercise 'number_sense_length_l1' lists itself as a prerequisite",
      f + "607: prerequisite 'matrix_mul_scalar' of 'matrix_app_fruit_oil' listed twice (first at "
          "line 607)",
      f + "635: duplicate exercise 'matrix_app_fruit_oil' (first at line 607)",
      f + "719: prerequisite 'writing_proportions' of 'ratio' listed twice (first at line 719)",
      f + "513: cycle: radical_multiplication_and_division -> simplifying_radicals -> "
          "adding_and_subtracting_radicals -> radical_multiplication_and_division (prerequisites "
          "listed at lines 501, 513, 63)",
  };
}

TEST(JunyiImportTest, RealTableFailsWithoutRepairListingEveryProblem) {
  Result<ImportedGraph> imported = ImportJunyiExerciseTable(kJunyi);
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Lines(imported.status().message()), ExpectedJunyiProblems());
}

TEST(JunyiImportTest, RealTableRepairedDropsExactlyWhatIsListed) {
  Result<ImportedGraph> imported = ImportJunyiExerciseTable(kJunyi, Repair());
  ASSERT_OK(imported);
  const CompetencyGraph& graph = imported->graph;
  const ImportReport& report = imported->report;
  EXPECT_EQ(report.rows_read, 837u);
  EXPECT_EQ(report.references_read, 988u);
  // 837 rows, 2 repeated: 835 exercises. 988 mentions: 4 in the dropped rows, 3 repeats within a
  // row, 2 self-loops, 1 edge dropped to break the cycle.
  EXPECT_EQ(graph.num_competencies(), 835u);
  EXPECT_EQ(graph.num_prerequisites(), 988u - 4 - 3 - 2 - 1);
  // 8 areas and 40 topics; the 20 exercises whose topic and area are "N/A" belong to no group.
  EXPECT_EQ(graph.num_groups(), 48u);
  EXPECT_EQ(graph.num_activities(), 0u);

  ASSERT_EQ(report.problems.size(), ExpectedJunyiProblems().size());
  for (size_t i = 0; i < report.problems.size(); ++i) {
    const ImportProblem& problem = report.problems[i];
    EXPECT_FALSE(problem.action.empty()) << problem.ToString();
    EXPECT_EQ(problem.ToString(), ExpectedJunyiProblems()[i] + "; " + problem.action);
  }
  EXPECT_EQ(report.problems.back().kind, ImportProblem::Kind::kCycle);
  EXPECT_EQ(
      report.problems.back().action,
      "dropped edge simplifying_radicals -> adding_and_subtracting_radicals, the cycle's edge "
      "listed last in the file");
  EXPECT_FALSE(HasEdge(graph, "simplifying_radicals", "adding_and_subtracting_radicals"));
  EXPECT_TRUE(HasEdge(graph, "radical_multiplication_and_division", "simplifying_radicals"));
  EXPECT_TRUE(
      HasEdge(graph, "adding_and_subtracting_radicals", "radical_multiplication_and_division"));
  EXPECT_FALSE(HasEdge(graph, "proportions_1", "proportions_1"));
  EXPECT_TRUE(HasEdge(graph, "matrix_add_sub_3", "matrix_mul_two"));

  const Competency* fractions_exercise = graph.FindCompetency("proportions_1");
  ASSERT_NE(fractions_exercise, nullptr);
  EXPECT_EQ(fractions_exercise->name, "比值 1");
  EXPECT_EQ(fractions_exercise->group, "topic:rates-and-ratios");
  const Group* topic = graph.FindGroup("topic:rates-and-ratios");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->parent, "area:arithmetic");
  EXPECT_EQ(graph.FindCompetency("matrix_mul_two")->group, "");  // topic and area "N/A"
  EXPECT_EQ(graph.TopologicalOrder().size(), 835u);
}

TEST(JunyiImportTest, RepairIsDeterministic) {
  Result<ImportedGraph> first = ImportJunyiExerciseTable(kJunyi, Repair());
  Result<ImportedGraph> second = ImportJunyiExerciseTable(kJunyi, Repair());
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(WriteGraphJson(first->graph), WriteGraphJson(second->graph));
}

TEST(JunyiImportTest, BrokenFixtureListsEveryKindOfProblem) {
  const std::string file = GraphFixture("junyi_broken.csv");
  Result<ImportedGraph> imported = ImportJunyiExerciseTable(file);
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  const std::string f = file + ":";
  EXPECT_EQ(
      Lines(imported.status().message()),
      (std::vector<std::string>{
          f + "4: prerequisite 'add_1' of 'sub_1' listed twice (first at line 4)",
          f + "5: duplicate exercise 'add_2' (first at line 3)",
          f + "6: exercise 'mul_1' lists itself as a prerequisite",
          f + "7: prerequisite 'square_root_9' of 'div_1' names no exercise",
          f + "10: empty name in the prerequisites of 'cyc_c'",
          f + "11: topic 'addition' is under 'area:algebra' here but under 'area:arithmetic' at "
              "line 2",
          // Line 15 although it is the 14th row: the quoted name of line 13 spans two lines.
          f + "15: prerequisite 'nope' of 'after_multiline' names no exercise",
          f + "10: cycle: cyc_a -> cyc_b -> cyc_c -> cyc_a (prerequisites listed at lines 9, "
              "10, 8)",
          f + "12: cycle: loop_x -> loop_y -> loop_x (prerequisites listed at lines 12, 11)",
      }));
}

TEST(JunyiImportTest, BrokenFixtureRepairedIsValidAndSaysWhatWasDropped) {
  Result<ImportedGraph> imported =
      ImportJunyiExerciseTable(GraphFixture("junyi_broken.csv"), Repair());
  ASSERT_OK(imported);
  const CompetencyGraph& graph = imported->graph;
  EXPECT_EQ(graph.num_competencies(), 12u);  // 13 rows, one repeated
  EXPECT_EQ(graph.num_prerequisites(), 10u);
  EXPECT_EQ(graph.num_groups(), 6u);  // area:algebra is never used: its only row's topic conflicts
  EXPECT_EQ(graph.FindGroup("area:algebra"), nullptr);
  EXPECT_EQ(imported->report.problems.size(), 9u);
  std::vector<std::string> actions;
  for (const ImportProblem& problem : imported->report.problems) actions.push_back(problem.action);
  EXPECT_EQ(actions, (std::vector<std::string>{
                         "dropped the repeated edge add_1 -> sub_1",
                         "dropped the row, prerequisites included",
                         "dropped edge mul_1 -> mul_1",
                         "dropped edge square_root_9 -> div_1",
                         "dropped the empty entry",
                         "kept the topic under 'area:arithmetic'",
                         "dropped edge nope -> after_multiline",
                         "dropped edge cyc_b -> cyc_c, the cycle's edge listed last in the file",
                         "dropped edge loop_x -> loop_y, the cycle's edge listed last in the file",
                     }));
  EXPECT_TRUE(HasEdge(graph, "cyc_c", "cyc_a"));
  EXPECT_TRUE(HasEdge(graph, "cyc_a", "cyc_b"));
  EXPECT_FALSE(HasEdge(graph, "cyc_b", "cyc_c"));
  EXPECT_TRUE(HasEdge(graph, "add_2", "mul_1"));  // " sub_1 " and "add_2" trimmed
  EXPECT_TRUE(HasEdge(graph, "sub_1", "mul_1"));

  // The CSV details: BOM and CRLF handled, quoted commas, doubled quotes, a quoted line break.
  EXPECT_EQ(graph.FindCompetency("add_1")->name, "Addition 1");
  EXPECT_EQ(graph.FindCompetency("add_2")->name, "Addition, two digits");
  EXPECT_EQ(graph.FindCompetency("mul_1")->name, "Multiply \"times\" tables");
  EXPECT_EQ(graph.FindCompetency("two_lines")->name, "Two\r\nlines");
  EXPECT_EQ(graph.FindCompetency("after_multiline")->name, "After");  // short_display_name
  EXPECT_EQ(graph.FindCompetency("after_multiline")->group, "area:arithmetic");  // no topic
  EXPECT_EQ(graph.FindCompetency("div_1")->group, "");
  EXPECT_EQ(graph.FindCompetency("loop_x")->group, "topic:addition");
}

TEST(JunyiImportTest, MalformedCsvFailsEvenWithRepair) {
  Result<ImportedGraph> unterminated =
      ImportJunyiExerciseTable(GraphFixture("junyi_unterminated_quote.csv"), Repair());
  ASSERT_FALSE(unterminated.ok());
  EXPECT_EQ(unterminated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unterminated.status().message(),
            GraphFixture("junyi_unterminated_quote.csv") +
                ":3:12: unterminated quoted field (no closing '\"')");

  Result<ImportedGraph> short_row =
      ImportJunyiExerciseTable(GraphFixture("junyi_wrong_field_count.csv"), Repair());
  ASSERT_FALSE(short_row.ok());
  EXPECT_EQ(short_row.status().message(), GraphFixture("junyi_wrong_field_count.csv") +
                                              ":3: expected 11 fields as in the header, found 10");

  Result<ImportedGraph> missing_column =
      ImportJunyiExerciseTable(GraphFixture("junyi_missing_column.csv"), Repair());
  ASSERT_FALSE(missing_column.ok());
  EXPECT_EQ(missing_column.status().message(),
            GraphFixture("junyi_missing_column.csv") +
                ":1: missing column 'topic' (the header has: name, live, prerequisites, "
                "pretty_display_name, area)");

  Result<ImportedGraph> absent = ImportJunyiExerciseTable(GraphFixture("no_such.csv"), Repair());
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), StatusCode::kNotFound);
}

TEST(EediImportTest, RealSubjectTreeHasNoProblems) {
  Result<ImportedGraph> imported = ImportEediSubjects(kEediSubjects, std::nullopt);
  ASSERT_OK(imported);
  const CompetencyGraph& graph = imported->graph;
  EXPECT_TRUE(imported->report.problems.empty());
  EXPECT_EQ(imported->report.rows_read, 388u);
  // 388 subjects: 316 without children (competencies), 72 with (groups), two roots Maths and
  // Science.
  EXPECT_EQ(graph.num_competencies(), 316u);
  EXPECT_EQ(graph.num_groups(), 72u);
  EXPECT_EQ(graph.num_prerequisites(), 0u);
  EXPECT_EQ(graph.num_activities(), 0u);
  size_t roots = 0;
  for (const Group* group : graph.groups()) roots += group->parent.empty() ? 1 : 0;
  EXPECT_EQ(roots, 2u);
  ASSERT_NE(graph.FindGroup("subject:3"), nullptr);
  EXPECT_EQ(graph.FindGroup("subject:3")->name, "Maths");
  EXPECT_EQ(graph.FindGroup("subject:32")->parent, "subject:3");
  const Competency* bidmas = graph.FindCompetency("subject:33");
  ASSERT_NE(bidmas, nullptr);
  EXPECT_EQ(bidmas->name, "BIDMAS");
  EXPECT_EQ(bidmas->group, "subject:144");
  EXPECT_EQ(graph.GroupMembers("subject:3").size() + graph.GroupMembers("subject:1642").size(),
            316u);
}

TEST(EediImportTest, QuestionsBecomeActivitiesOfTheirMostSpecificSubjects) {
  Result<ImportedGraph> imported = ImportEediSubjects(kEediSubjects, kEediQuestions);
  ASSERT_OK(imported);
  const CompetencyGraph& graph = imported->graph;
  EXPECT_TRUE(imported->report.problems.empty());
  EXPECT_EQ(imported->report.rows_read, 388u + 948u);
  EXPECT_EQ(graph.num_activities(), 948u);
  size_t two_subjects = 0;
  for (const Activity* activity : graph.activities()) {
    ASSERT_FALSE(activity->competencies.empty());
    two_subjects += activity->competencies.size() == 2 ? 1 : 0;
    for (const PracticedCompetency& entry : activity->competencies) {
      EXPECT_NE(graph.FindCompetency(entry.competency_id), nullptr) << activity->id;
    }
  }
  // 14 questions list two leaf subjects (e.g. BIDMAS and negative numbers); all others one.
  EXPECT_EQ(two_subjects, 14u);
  const Activity* question = graph.FindActivity("question:684");  // "[3, 71, 98, 209]"
  ASSERT_NE(question, nullptr);
  ASSERT_EQ(question->competencies.size(), 1u);
  EXPECT_EQ(question->competencies[0].competency_id, "subject:209");
  EXPECT_EQ(question->kind, "question");
  const Activity* two = graph.FindActivity("question:2");  // "[3, 32, 33, 42, 144, 212]"
  ASSERT_NE(two, nullptr);
  ASSERT_EQ(two->competencies.size(), 2u);
  EXPECT_EQ(two->competencies[0].competency_id, "subject:33");
  EXPECT_EQ(two->competencies[1].competency_id, "subject:212");
}

TEST(EediImportTest, BrokenFixturesListEveryProblem) {
  const std::string subjects = GraphFixture("eedi_subjects_broken.csv");
  const std::string questions = GraphFixture("eedi_questions_broken.csv");
  Result<ImportedGraph> imported = ImportEediSubjects(subjects, questions);
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  const std::string s = subjects + ":";
  const std::string q = questions + ":";
  EXPECT_EQ(Lines(imported.status().message()),
            (std::vector<std::string>{
                s + "7: duplicate SubjectId 3 (first at line 4)",
                s + "8: ParentId 99 of subject 6 names no subject",
                s + "9: subject 7 is its own parent",
                s + "10: SubjectId 'x8' is not an integer",
                s + "15: subject without a SubjectId",
                s + "16: ParentId 'abc' of subject 13 is not an integer or NULL",
                s + "12: cycle of parents: 9 -> 10 -> 9 (each the ParentId of the one before; rows "
                    "at lines 11, 12)",
                q + "4: the most specific subject of question 102, 3 (Fractions), has "
                    "sub-subjects, so it is a group",
                q + "5: subject 77 of question 103 names no subject",
                q + "5: the most specific subject of question 103, 1 (Maths), has sub-subjects, so "
                    "it is a group",
                q + "6: duplicate QuestionId 100 (first at line 2)",
                q + "7: SubjectId of question 104 is not a list like [3, 71, 98]: '1, 11, 12'",
                q + "8: subject 12 listed twice for question 105",
                q + "9: question 106 lists no subject",
            }));
}

TEST(EediImportTest, BrokenFixturesRepairedAreValid) {
  Result<ImportedGraph> imported =
      ImportEediSubjects(GraphFixture("eedi_subjects_broken.csv"),
                         GraphFixture("eedi_questions_broken.csv"), Repair());
  ASSERT_OK(imported);
  const CompetencyGraph& graph = imported->graph;
  EXPECT_EQ(imported->report.problems.size(), 14u);
  // Kept subjects 1-7 and 9-13; with children: 1, 2, 3, 10 (after the cycle is cut), 11.
  EXPECT_EQ(graph.num_groups(), 5u);
  EXPECT_EQ(graph.num_competencies(), 7u);
  EXPECT_EQ(graph.FindGroup("subject:10")->parent, "");  // its link was the one cut
  EXPECT_EQ(graph.FindCompetency("subject:9")->group, "subject:10");
  EXPECT_EQ(graph.FindCompetency("subject:6")->group, "");     // unknown parent dropped
  EXPECT_EQ(graph.FindCompetency("subject:7")->group, "");     // self-parent dropped
  EXPECT_EQ(graph.FindGroup("subject:3")->name, "Fractions");  // the first row of id 3 wins
  std::vector<std::string> activity_ids;
  for (const Activity* activity : graph.activities()) activity_ids.push_back(activity->id);
  EXPECT_EQ(activity_ids, (std::vector<std::string>{"question:100", "question:101", "question:105",
                                                    "question:107"}));
  EXPECT_EQ(graph.FindActivity("question:101")->competencies.size(), 2u);
  const ImportProblem& not_leaf = imported->report.problems[7];
  EXPECT_EQ(not_leaf.kind, ImportProblem::Kind::kNotALeaf);
  EXPECT_EQ(not_leaf.action, "dropped the mention; dropped question 102 (no leaf subject left)");
}

TEST(EediImportTest, ProblemKindsHaveNames) {
  EXPECT_EQ(ImportProblemKindName(ImportProblem::Kind::kCycle), "cycle");
  EXPECT_EQ(ImportProblemKindName(ImportProblem::Kind::kNotALeaf), "not-a-leaf");
  EXPECT_EQ(ImportProblemKindName(ImportProblem::Kind::kUnknownReference), "unknown-reference");
}

}  // namespace
}  // namespace pathwise
