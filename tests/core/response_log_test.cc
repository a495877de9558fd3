#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/response_log.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// One string per row, "learner|competency|activity|correct".
std::vector<std::string> Rows(const ResponseLog& log) {
  std::vector<std::string> rows;
  for (size_t r = 0; r < log.num_rows(); ++r) {
    rows.push_back(
        log.learners.Name(log.learner[r]) + "|" + log.competencies.Name(log.competency[r]) + "|" +
        (log.activity[r] == IdTable::kNone ? "-" : log.activities.Name(log.activity[r])) + "|" +
        std::to_string(log.correct[r]));
  }
  return rows;
}

TEST(IdTableTest, InternNumbersNamesInFirstSeenOrder) {
  IdTable table;
  EXPECT_EQ(table.Intern("fractions"), 0u);
  EXPECT_EQ(table.Intern("ratios"), 1u);
  EXPECT_EQ(table.Intern("fractions"), 0u);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.Name(1), "ratios");
  EXPECT_EQ(table.names(), (std::vector<std::string>{"fractions", "ratios"}));
}

TEST(IdTableTest, FindDoesNotAdd) {
  IdTable table;
  EXPECT_EQ(table.Find("x"), IdTable::kNone);
  table.Intern("x");
  EXPECT_EQ(table.Find("x"), 0u);
  EXPECT_EQ(table.Find("y"), IdTable::kNone);
  EXPECT_EQ(table.size(), 1u);
}

TEST(IdTableTest, EmptyAndEmbeddedNulNamesAreDistinct) {
  IdTable table;
  const std::string nul(1, '\0');
  const std::string a_nul_b("a\0b", 3);
  EXPECT_EQ(table.Intern(""), 0u);
  EXPECT_EQ(table.Intern(nul), 1u);
  EXPECT_EQ(table.Intern(a_nul_b), 2u);
  EXPECT_EQ(table.Intern("a"), 3u);
  EXPECT_EQ(table.Find(std::string_view("a\0b", 3)), 2u);
  EXPECT_EQ(table.Find(std::string_view("a\0c", 3)), IdTable::kNone);
  EXPECT_EQ(table.Name(2), a_nul_b);
}

TEST(IdTableTest, ManyNamesSurviveGrowth) {
  std::mt19937_64 rng(7);  // seed printed by the failure message below
  std::vector<std::string> names;
  IdTable table;
  for (int i = 0; i < 100000; ++i) {
    names.push_back("n" + std::to_string(rng()));
    const uint32_t index = table.Intern(names.back());
    if (index != names.size() - 1) names.pop_back();  // a repeat (vanishingly rare)
  }
  ASSERT_EQ(table.size(), names.size()) << "seed 7";
  for (uint32_t i = 0; i < names.size(); ++i) {
    ASSERT_EQ(table.Find(names[i]), i) << names[i];
    ASSERT_EQ(table.Intern(names[i]), i) << names[i];
    ASSERT_EQ(table.Find(names[i] + "x"), IdTable::kNone) << names[i];
  }
  EXPECT_EQ(table.size(), names.size());
}

TEST(IdTableTest, CopyIsIndependent) {
  IdTable table;
  table.Intern("a");
  IdTable copy = table;
  copy.Intern("b");
  EXPECT_EQ(table.Find("b"), IdTable::kNone);
  EXPECT_EQ(copy.Find("a"), 0u);
  EXPECT_EQ(copy.Find("b"), 1u);
}

TEST(ResponseLogTest, AddRowInternsNamesAndEmptyActivityIsNone) {
  ResponseLog log;
  log.AddRow("ann", "fractions", "q1", true);
  log.AddRow("bob", "fractions", "", false);
  EXPECT_OK(log.CheckConsistent());
  EXPECT_EQ(Rows(log), (std::vector<std::string>{"ann|fractions|q1|1", "bob|fractions|-|0"}));
  EXPECT_EQ(log.activities.size(), 1u);
}

TEST(ResponseLogTest, AppendReinternsIdsAndGroups) {
  ResponseLog train;
  train.AddRow("ann", "fractions", "q1", true);
  train.AddRow("bob", "ratios", "q2", false);
  train.learner_group = {train.groups.Intern("morning"), IdTable::kNone};

  ResponseLog test;
  test.AddRow("cat", "ratios", "q3", true);
  test.AddRow("ann", "decimals", "q1", false);
  test.learner_group = {test.groups.Intern("evening"), test.groups.Intern("morning")};

  train.Append(test);
  EXPECT_OK(train.CheckConsistent());
  EXPECT_EQ(Rows(train), (std::vector<std::string>{"ann|fractions|q1|1", "bob|ratios|q2|0",
                                                   "cat|ratios|q3|1", "ann|decimals|q1|0"}));
  EXPECT_EQ(train.learners.names(), (std::vector<std::string>{"ann", "bob", "cat"}));
  EXPECT_EQ(train.competencies.names(),
            (std::vector<std::string>{"fractions", "ratios", "decimals"}));
  ASSERT_EQ(train.learner_group.size(), 3u);
  EXPECT_EQ(train.groups.Name(train.learner_group[0]), "morning");
  EXPECT_EQ(train.learner_group[1], IdTable::kNone);
  EXPECT_EQ(train.groups.Name(train.learner_group[2]), "evening");
}

TEST(ResponseLogTest, AppendWithoutGroupsKeepsGroupColumnSized) {
  ResponseLog train;
  train.AddRow("ann", "fractions", "", true);
  train.learner_group = {train.groups.Intern("g")};
  ResponseLog test;
  test.AddRow("bob", "fractions", "", true);
  train.Append(test);
  EXPECT_OK(train.CheckConsistent());
  EXPECT_EQ(train.learner_group.size(), 2u);
  EXPECT_EQ(train.learner_group[1], IdTable::kNone);
}

TEST(ResponseLogTest, SelectLearnersKeepsTablesAndRowOrder) {
  ResponseLog log;
  log.AddRow("ann", "a", "", true);
  log.AddRow("bob", "b", "q", false);
  log.AddRow("ann", "b", "q", false);
  log.AddRow("cat", "a", "", true);
  ResponseLog fold = log.SelectLearners({true, false, true});
  EXPECT_OK(fold.CheckConsistent());
  EXPECT_EQ(Rows(fold), (std::vector<std::string>{"ann|a|-|1", "ann|b|q|0", "cat|a|-|1"}));
  EXPECT_EQ(fold.learners.names(), log.learners.names());
  // A learner past the end of `keep` is not kept.
  EXPECT_EQ(log.SelectLearners({true}).num_rows(), 2u);
  EXPECT_EQ(log.SelectLearners({}).num_rows(), 0u);
}

TEST(ResponseLogTest, LearnClassColumnSurvivesMixedAddsAppendAndSelect) {
  ResponseLog log;
  log.AddRow("ann", "a", "q", true);  // before the column exists: no class
  EXPECT_FALSE(log.has_learn_classes());
  log.AddRow("bob", "a", "q", "fast", false);
  log.AddRow("ann", "a", "", true);  // after: no class either
  EXPECT_OK(log.CheckConsistent());
  ASSERT_EQ(log.learn_class.size(), 3u);
  EXPECT_EQ(log.learn_class[0], IdTable::kNone);
  EXPECT_EQ(log.learn_classes.Name(log.learn_class[1]), "fast");
  EXPECT_EQ(log.learn_class[2], IdTable::kNone);

  ResponseLog other;
  other.AddRow("cat", "a", "q", "slow", true);
  other.AddRow("cat", "a", "q", "fast", true);
  log.Append(other);
  EXPECT_OK(log.CheckConsistent());
  EXPECT_EQ(log.learn_classes.names(), (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(log.learn_class[3], 1u);
  EXPECT_EQ(log.learn_class[4], 0u);

  ResponseLog plain;
  plain.AddRow("dan", "a", "q", true);
  plain.Append(log);  // a log without the column gains it, its own rows without a class
  EXPECT_OK(plain.CheckConsistent());
  EXPECT_EQ(plain.learn_class[0], IdTable::kNone);
  EXPECT_EQ(plain.learn_classes.Name(plain.learn_class[2]), "fast");

  const ResponseLog fold = log.SelectLearners({false, true, true});  // bob, cat
  EXPECT_OK(fold.CheckConsistent());
  ASSERT_EQ(fold.learn_class.size(), 3u);
  EXPECT_EQ(fold.learn_classes.Name(fold.learn_class[0]), "fast");
  EXPECT_EQ(fold.learn_classes.Name(fold.learn_class[1]), "slow");

  log.learn_class.pop_back();
  EXPECT_FALSE(log.CheckConsistent().ok());
}

TEST(ResponseLogTest, CheckConsistentFindsBrokenColumns) {
  ResponseLog log;
  log.AddRow("ann", "a", "", true);
  EXPECT_OK(log.CheckConsistent());

  ResponseLog short_column = log;
  short_column.activity.clear();
  EXPECT_EQ(short_column.CheckConsistent().code(), StatusCode::kInternal);

  ResponseLog bad_index = log;
  bad_index.competency[0] = 5;
  EXPECT_EQ(bad_index.CheckConsistent().code(), StatusCode::kInternal);

  ResponseLog bad_correct = log;
  bad_correct.correct[0] = 2;
  EXPECT_EQ(bad_correct.CheckConsistent().code(), StatusCode::kInternal);

  ResponseLog bad_group = log;
  bad_group.learner_group = {3};
  EXPECT_EQ(bad_group.CheckConsistent().code(), StatusCode::kInternal);

  ResponseLog short_groups = log;
  short_groups.learner_group = {IdTable::kNone, IdTable::kNone};
  EXPECT_EQ(short_groups.CheckConsistent().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace pathwise
