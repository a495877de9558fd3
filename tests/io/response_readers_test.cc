#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/io/response_readers.h>
#include <pathwise/response_log.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using ::pathwise::testing::SharedDataPath;
using ::pathwise::testing::SourcePath;

std::string LogPath(const std::string& name) { return SourcePath("tests/data/logs/" + name); }

// One string per row, "learner|competency|activity|correct", so whole logs compare readably.
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

size_t CountCorrect(const ResponseLog& log) {
  size_t n = 0;
  for (uint8_t c : log.correct) n += c;
  return n;
}

std::map<std::string, size_t> RowsPerCompetency(const ResponseLog& log) {
  std::map<std::string, size_t> counts;
  for (uint32_t c : log.competency) ++counts[log.competencies.Name(c)];
  return counts;
}

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out << contents;
  return path;
}

// The first error a read returns, as text.
template <typename... Args>
std::string ReadError(Args&&... args) {
  Result<ResponseLog> log = ReadResponseLog(std::forward<Args>(args)...);
  return log.ok() ? "no error" : log.status().message();
}

TEST(ReadResponseLogTest, ParseLogFormatAcceptsEachName) {
  for (LogFormat format :
       {LogFormat::kPyBkt, LogFormat::kDataShop, LogFormat::kDkvmn, LogFormat::kHmmsc}) {
    Result<LogFormat> parsed = ParseLogFormat(LogFormatName(format));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, format);
  }
}

TEST(ReadResponseLogTest, ParseLogFormatRejectsUnknownName) {
  Result<LogFormat> parsed = ParseLogFormat("csv");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(),
            "unknown log format 'csv': expected pybkt, datashop, dkvmn or hmmsc");
}

TEST(ReadResponseLogTest, MissingFileIsNotFound) {
  Result<ResponseLog> log = ReadResponseLog(LogPath("no_such_file.csv"), LogFormat::kPyBkt);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kNotFound);
  EXPECT_NE(log.status().message().find("no_such_file.csv"), std::string::npos);
}

TEST(ReadResponseLogTest, EmptyFileHasNoHeader) {
  EXPECT_EQ(ReadError(LogPath("empty.csv"), LogFormat::kPyBkt),
            LogPath("empty.csv") + ":1:1: empty file, expected a header row");
}

TEST(ReadResponseLogTest, InvalidOptionsAreRejected) {
  ReadOptions options;
  options.delimiter = '"';
  Result<ResponseLog> log = ReadResponseLog(LogPath("pybkt_small.csv"), LogFormat::kPyBkt, options);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kInvalidArgument);
}

// as.csv: figures counted independently with Python's csv module (see the numbers in the data
// README).
TEST(PyBktReaderTest, ReadsAssistmentsFixture) {
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLog(SharedDataPath("assistments2009_pybkt_subset/as.csv"),
                                            LogFormat::kPyBkt, {}, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(log->num_rows(), 10791u);
  EXPECT_EQ(log->learners.size(), 902u);
  EXPECT_EQ(log->competencies.size(), 2u);
  EXPECT_EQ(log->activities.size(), 22u);  // template_id
  EXPECT_EQ(CountCorrect(*log), 8029u);
  EXPECT_EQ(RowsPerCompetency(*log),
            (std::map<std::string, size_t>{{"Box and Whisker", 3957}, {"Table", 6834}}));
  EXPECT_EQ(report.rows_read, 10791u);
  EXPECT_EQ(report.rows_added, 10791u);
  EXPECT_EQ(report.rows_skipped, 0u);
  EXPECT_EQ(report.learners_reordered, 250u);
  EXPECT_EQ(log->learners.Name(0), "64525");
  EXPECT_TRUE(log->learner_group.empty());
}

TEST(PyBktReaderTest, ActivityColumnCanBeChosen) {
  ReadOptions options;
  options.activity_column = "problem_id";
  Result<ResponseLog> log = ReadResponseLog(SharedDataPath("assistments2009_pybkt_subset/as.csv"),
                                            LogFormat::kPyBkt, options);
  ASSERT_OK(log);
  EXPECT_EQ(log->activities.size(), 678u);

  options.read_activities = false;
  log = ReadResponseLog(SharedDataPath("assistments2009_pybkt_subset/as.csv"), LogFormat::kPyBkt,
                        options);
  ASSERT_OK(log);
  EXPECT_EQ(log->activities.size(), 0u);
  EXPECT_TRUE(std::all_of(log->activity.begin(), log->activity.end(),
                          [](uint32_t a) { return a == IdTable::kNone; }));
}

// Reading order_id as the activity makes the order visible: sorted, every learner's order ids rise;
// unsorted, some learners' do not.
TEST(PyBktReaderTest, SortsEachLearnerByOrderId) {
  auto learners_out_of_order = [](const ResponseLog& log) {
    std::map<uint32_t, long long> last;
    std::vector<bool> bad(log.learners.size(), false);
    for (size_t r = 0; r < log.num_rows(); ++r) {
      const long long order = std::stoll(log.activities.Name(log.activity[r]));
      auto it = last.find(log.learner[r]);
      if (it != last.end() && order < it->second) bad[log.learner[r]] = true;
      last[log.learner[r]] = order;
    }
    return std::count(bad.begin(), bad.end(), true);
  };
  ReadOptions options;
  options.activity_column = "order_id";
  ReadReport report;
  const std::string path = SharedDataPath("assistments2009_pybkt_subset/as.csv");
  Result<ResponseLog> sorted = ReadResponseLog(path, LogFormat::kPyBkt, options, &report);
  ASSERT_OK(sorted);
  EXPECT_EQ(learners_out_of_order(*sorted), 0);

  options.sort_by_order = false;
  ReadReport unsorted_report;
  Result<ResponseLog> unsorted =
      ReadResponseLog(path, LogFormat::kPyBkt, options, &unsorted_report);
  ASSERT_OK(unsorted);
  EXPECT_EQ(learners_out_of_order(*unsorted), static_cast<long>(report.learners_reordered));
  EXPECT_GT(report.learners_reordered, 0u);
  EXPECT_EQ(unsorted_report.learners_reordered, 0u);
  // Same learner in every position, same rows overall.
  EXPECT_EQ(sorted->learner, unsorted->learner);
  std::vector<std::string> a = Rows(*sorted), b = Rows(*unsorted);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
}

TEST(PyBktReaderTest, SmallFileFollowsPyBktRules) {
  ReadReport report;
  Result<ResponseLog> log =
      ReadResponseLog(LogPath("pybkt_small.csv"), LogFormat::kPyBkt, {}, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  // u1's rows (order 30, 10, 15) and u2's (20, 5, 40) are put in order_id order within the slots
  // each learner holds; "Say ""hi""" is unescaped; original = 0, an empty skill and correct = -1
  // add nothing.
  EXPECT_EQ(Rows(*log), (std::vector<std::string>{
                            "u1|Fractions|t1|0",
                            "u1|Say \"hi\"|t3|1",
                            "u2|Fractions|-|1",
                            "u2|Ratios, rates|t2|1",
                            "u1|Fractions|t1|1",
                            "u2|Fractions|t1|1",
                        }));
  EXPECT_EQ(report.rows_read, 9u);
  EXPECT_EQ(report.rows_added, 6u);
  EXPECT_EQ(report.records_not_original, 1u);
  EXPECT_EQ(report.records_without_competency, 1u);
  EXPECT_EQ(report.records_without_response, 1u);
  EXPECT_EQ(report.learners_reordered, 2u);
}

TEST(PyBktReaderTest, KeepsEveryRowWhenOriginalFilterIsOff) {
  ReadOptions options;
  options.only_original = false;
  ReadReport report;
  Result<ResponseLog> log =
      ReadResponseLog(LogPath("pybkt_small.csv"), LogFormat::kPyBkt, options, &report);
  ASSERT_OK(log);
  EXPECT_EQ(report.records_not_original, 0u);
  EXPECT_EQ(log->num_rows(), 7u);
}

TEST(PyBktReaderTest, MalformedRowFailsWithFileLineColumn) {
  const std::string path = LogPath("pybkt_bad_rows.csv");
  EXPECT_EQ(ReadError(path, LogFormat::kPyBkt),
            path + ":4:8: column \"correct\" must be 0 or 1 (or -1, no response), got 'yes'");
}

TEST(PyBktReaderTest, SkipBadRowsCountsAndListsEachBadRow) {
  const std::string path = LogPath("pybkt_bad_rows.csv");
  ReadOptions options;
  options.skip_bad_rows = true;
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLog(path, LogFormat::kPyBkt, options, &report);
  ASSERT_OK(log);
  EXPECT_EQ(Rows(*log), (std::vector<std::string>{"u1|A|-|1", "u1|B|-|0"}));
  EXPECT_EQ(report.rows_read, 9u);
  EXPECT_EQ(report.rows_added, 2u);
  EXPECT_EQ(report.rows_skipped, 7u);
  EXPECT_EQ(report.skipped,
            (std::vector<std::string>{
                path + ":4:8: column \"correct\" must be 0 or 1 (or -1, no response), got 'yes'",
                path + ":5:3: empty learner id",
                path + ":6:12: 6 fields, but the header has 5",
                path + ":7:1: column \"order_id\" must be an integer, got 'x'",
                path + ":8:14: unexpected text after a closing quote",
                path + ":10:4: column \"correct\" must be 0 or 1 (or -1, no response), got 'maybe'",
                path + ":12:10: unterminated quoted field",
            }));
  const std::string summary = report.Summary();
  EXPECT_NE(summary.find("skipped 7 malformed records"), std::string::npos) << summary;
  EXPECT_NE(summary.find(path + ":5:3: empty learner id"), std::string::npos) << summary;
}

TEST(PyBktReaderTest, MissingColumnNamesItAndTheColumnsFound) {
  const std::string path = LogPath("pybkt_missing_column.csv");
  EXPECT_EQ(ReadError(path, LogFormat::kPyBkt),
            path +
                ":1:1: missing competency column \"skill_name\"; the header has: \"order_id\", "
                "\"user_id\", \"skill\", \"correct\"");
  ReadOptions options;
  options.competency_column = "skill";
  ASSERT_OK(ReadResponseLog(path, LogFormat::kPyBkt, options));
  options.activity_column = "template";
  EXPECT_EQ(ReadError(path, LogFormat::kPyBkt, options),
            path +
                ":1:1: missing activity column \"template\"; the header has: \"order_id\", "
                "\"user_id\", \"skill\", \"correct\"");
}

TEST(PyBktReaderTest, GroupColumnGivesEachLearnerItsFirstGroup) {
  const std::string path = LogPath("pybkt_groups.csv");
  ReadOptions options;
  options.group_column = "class";
  EXPECT_EQ(ReadError(path, LogFormat::kPyBkt, options),
            path + ":6:8: learner 'u1' is in group 'c1' on earlier rows, but this row says 'c3'");

  options.skip_bad_rows = true;
  Result<ResponseLog> log = ReadResponseLog(path, LogFormat::kPyBkt, options);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  ASSERT_EQ(log->learner_group.size(), 2u);
  EXPECT_EQ(log->groups.Name(log->learner_group[log->learners.Find("u1")]), "c1");
  EXPECT_EQ(log->groups.Name(log->learner_group[log->learners.Find("u2")]), "c2");
  EXPECT_EQ(log->num_rows(), 4u);
}

// ct_cahlr_2020.tsv: 18,220 step rows; 3,519 have no KC; 293 tag several KCs ("~~"), which become
// one row per KC: 15,007 rows over 184 distinct KCs (counted with Python's csv module).
TEST(DataShopReaderTest, ReadsCognitiveTutorTsv) {
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLog(
      SharedDataPath("cognitive_tutor_pybkt/ct_cahlr_2020.tsv"), LogFormat::kDataShop, {}, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(report.rows_read, 18220u);
  EXPECT_EQ(report.records_without_competency, 3519u);
  EXPECT_EQ(log->num_rows(), 15007u);
  EXPECT_EQ(log->learners.size(), 11u);
  EXPECT_EQ(log->competencies.size(), 184u);
  EXPECT_EQ(log->activities.size(), 1367u);  // Problem Name, of the rows that tag a KC
  EXPECT_EQ(CountCorrect(*log), 11437u);
  EXPECT_EQ(report.learners_reordered, 0u);  // already in Row order
  EXPECT_EQ(log->learners.Name(0), "JG4Tz");
}

TEST(DataShopReaderTest, ReadsCommaSeparatedVariant) {
  Result<ResponseLog> log = ReadResponseLog(
      SharedDataPath("cognitive_tutor_pybkt/ct_channinghsu.csv"), LogFormat::kDataShop);
  ASSERT_OK(log);
  EXPECT_EQ(log->num_rows(), 16858u);
  EXPECT_EQ(log->learners.size(), 587u);
  EXPECT_EQ(log->competencies.size(), 12u);
  EXPECT_EQ(log->activities.size(), 550u);
  EXPECT_EQ(CountCorrect(*log), 10438u);
  EXPECT_EQ(log->learners.Name(0), "745Yh");
}

TEST(DataShopReaderTest, SplitsSeveralKcsIntoOneRowEach) {
  const std::vector<std::string> expected = {"s1|A|P1|1", "s1|B|P1|1", "s2|B|P1|0",
                                             "s2|C|P1|0", "s2|A|P1|0", "s2|C|P3|1"};
  for (const char* name : {"datashop_multi_kc.tsv", "datashop_multi_kc.csv"}) {
    SCOPED_TRACE(name);
    ReadReport report;
    Result<ResponseLog> log = ReadResponseLog(LogPath(name), LogFormat::kDataShop, {}, &report);
    ASSERT_OK(log);
    EXPECT_EQ(Rows(*log), expected);
    EXPECT_EQ(report.rows_read, 4u);
    EXPECT_EQ(report.records_without_competency, 1u);
    EXPECT_EQ(log->activities.size(), 2u);  // P2 is only on the row without a KC
  }
  // pyBKT does not split: "A~~B" is one combined skill there.
  ReadOptions options;
  options.competency_separator = "";
  Result<ResponseLog> whole =
      ReadResponseLog(LogPath("datashop_multi_kc.tsv"), LogFormat::kDataShop, options);
  ASSERT_OK(whole);
  EXPECT_EQ(Rows(*whole),
            (std::vector<std::string>{"s1|A~~B|P1|1", "s2|B~~C~~A|P1|0", "s2|C|P3|1"}));
}

// assist2015 (DKVMN split): 13,935 + 5,905 groups, 484,040 + 199,761 responses, 100 skills, 500,379
// correct (counted with a Python script).
TEST(DkvmnReaderTest, ReadsAssist2015TrainThenTest) {
  const std::string train = SharedDataPath("assistments_dkvmn/assist2015/assist2015_train.csv");
  const std::string test = SharedDataPath("assistments_dkvmn/assist2015/assist2015_test.csv");
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLogs({train, test}, LogFormat::kDkvmn, {}, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(log->num_rows(), 683801u);
  EXPECT_EQ(log->learners.size(), 19840u);
  EXPECT_EQ(log->competencies.size(), 100u);
  EXPECT_EQ(log->activities.size(), 0u);
  EXPECT_EQ(CountCorrect(*log), 500379u);
  EXPECT_EQ(report.rows_read, 19840u);
  EXPECT_EQ(report.rows_per_file, (std::vector<size_t>{484040, 199761}));
  EXPECT_EQ(report.files, (std::vector<std::string>{train, test}));
  EXPECT_EQ(log->learners.Name(0), "assist2015_train.csv#1");
  EXPECT_EQ(log->learners.Name(13935), "assist2015_test.csv#1");
  // The first group is "18 / 1,1,2,2,... / 0,0,0,1,...".
  EXPECT_EQ(log->competencies.Name(log->competency[0]), "1");
  EXPECT_EQ(log->competencies.Name(log->competency[2]), "2");
  EXPECT_EQ(log->correct[0], 0);
  EXPECT_EQ(log->correct[3], 1);
}

TEST(DkvmnReaderTest, AppendOfSeparateReadsEqualsReadingBoth) {
  const std::string train = SharedDataPath("assistments_dkvmn/assist2015/assist2015_train.csv");
  const std::string test = SharedDataPath("assistments_dkvmn/assist2015/assist2015_test.csv");
  Result<ResponseLog> both = ReadResponseLogs({train, test}, LogFormat::kDkvmn);
  Result<ResponseLog> appended = ReadResponseLog(train, LogFormat::kDkvmn);
  Result<ResponseLog> test_only = ReadResponseLog(test, LogFormat::kDkvmn);
  ASSERT_OK(both);
  ASSERT_OK(appended);
  ASSERT_OK(test_only);
  EXPECT_EQ(test_only->num_rows(), 199761u);
  appended->Append(*test_only);
  EXPECT_OK(appended->CheckConsistent());
  EXPECT_EQ(appended->learners.names(), both->learners.names());
  EXPECT_EQ(appended->competencies.names(), both->competencies.names());
  EXPECT_EQ(appended->learner, both->learner);
  EXPECT_EQ(appended->competency, both->competency);
  EXPECT_EQ(appended->activity, both->activity);
  EXPECT_EQ(appended->correct, both->correct);
}

TEST(DkvmnReaderTest, SelectLearnersKeepsExactlyTheirRows) {
  Result<ResponseLog> log = ReadResponseLog(
      SharedDataPath("assistments_dkvmn/assist2015/assist2015_test.csv"), LogFormat::kDkvmn);
  ASSERT_OK(log);
  std::vector<bool> keep(log->learners.size());
  for (size_t i = 0; i < keep.size(); i += 3) keep[i] = true;
  std::vector<std::string> expected;
  const std::vector<std::string> all = Rows(*log);
  for (size_t r = 0; r < log->num_rows(); ++r) {
    if (keep[log->learner[r]]) expected.push_back(all[r]);
  }
  ResponseLog fold = log->SelectLearners(keep);
  EXPECT_OK(fold.CheckConsistent());
  EXPECT_EQ(Rows(fold), expected);
  EXPECT_LT(fold.num_rows(), log->num_rows());
  EXPECT_EQ(fold.learners.names(), log->learners.names());
}

TEST(DkvmnReaderTest, ReadsAssist2009UpdatedAndTrailingCommas) {
  Result<ResponseLog> updated = ReadResponseLogs(
      {SharedDataPath("assistments_dkvmn/assist2009_updated/assist2009_updated_train.csv"),
       SharedDataPath("assistments_dkvmn/assist2009_updated/assist2009_updated_test.csv")},
      LogFormat::kDkvmn);
  ASSERT_OK(updated);
  EXPECT_EQ(updated->num_rows(), 325637u);
  EXPECT_EQ(updated->learners.size(), 4151u);
  EXPECT_EQ(updated->competencies.size(), 110u);
  EXPECT_EQ(CountCorrect(*updated), 214417u);

  // Piech et al.'s files end lines 2 and 3 with a comma.
  Result<ResponseLog> piech = ReadResponseLog(
      SharedDataPath("assistments2009_dkt_piech/builder_test.csv"), LogFormat::kDkvmn);
  ASSERT_OK(piech);
  EXPECT_EQ(piech->num_rows(), 117567u);
  EXPECT_EQ(piech->learners.size(), 856u);
  EXPECT_EQ(piech->competencies.size(), 120u);
  EXPECT_EQ(CountCorrect(*piech), 80938u);
}

// Junyi (DeepIRT-HN) files put a learner id on line 1 and end lines with CRLF.
TEST(DkvmnReaderTest, ReadsLearnerIdHeaders) {
  Result<ResponseLog> junyi =
      ReadResponseLog(SharedDataPath("junyi_sequences_deepirt/junyi_test1.csv"), LogFormat::kDkvmn);
  ASSERT_OK(junyi);
  EXPECT_EQ(junyi->num_rows(), 664069u);
  EXPECT_EQ(junyi->learners.size(), 1957u);
  EXPECT_EQ(junyi->competencies.size(), 703u);
  EXPECT_EQ(CountCorrect(*junyi), 567117u);
  EXPECT_EQ(junyi->learners.Name(0), "224071");

  Result<ResponseLog> small = ReadResponseLog(LogPath("dkvmn_learner_ids.csv"), LogFormat::kDkvmn);
  ASSERT_OK(small);
  EXPECT_EQ(Rows(*small), (std::vector<std::string>{"ann|1|-|1", "ann|2|-|0", "ann|3|-|1",
                                                    "bob|2|-|0", "bob|2|-|1", "ann|3|-|1"}));
  ReadOptions options;
  options.dkvmn_header = DkvmnHeader::kLength;
  EXPECT_EQ(ReadError(LogPath("dkvmn_learner_ids.csv"), LogFormat::kDkvmn, options),
            LogPath("dkvmn_learner_ids.csv") + ":1:1: expected a sequence length, got 'ann'");
}

TEST(DkvmnReaderTest, MalformedGroupsFailWithFileLineColumn) {
  const std::string short_answers = LogPath("dkvmn_short_answers.csv");
  EXPECT_EQ(ReadError(short_answers, LogFormat::kDkvmn),
            short_answers + ":6:6: 3 answers, but line 5 has 4 competency ids");
  const std::string bad_length = LogPath("dkvmn_bad_length.csv");
  EXPECT_EQ(ReadError(bad_length, LogFormat::kDkvmn),
            bad_length + ":4:1: sequence length 5, but lines 5 and 6 have 4 responses");
  const std::string bad_answer = LogPath("dkvmn_bad_answer.csv");
  EXPECT_EQ(ReadError(bad_answer, LogFormat::kDkvmn),
            bad_answer + ":6:5: answer must be 0 or 1, got '2'");
  const std::string truncated = LogPath("dkvmn_truncated.csv");
  EXPECT_EQ(ReadError(truncated, LogFormat::kDkvmn),
            truncated +
                ":6:1: the group that starts on line 4 ends early: expected a line of 0/1 answers, "
                "found the end of the file");
  const std::string empty_id = LogPath("dkvmn_empty_id.csv");
  EXPECT_EQ(ReadError(empty_id, LogFormat::kDkvmn), empty_id + ":2:3: empty competency id");
}

TEST(DkvmnReaderTest, SkipBadRowsSkipsWholeGroups) {
  const std::string path = LogPath("dkvmn_several_bad.csv");
  ReadOptions options;
  options.skip_bad_rows = true;
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLog(path, LogFormat::kDkvmn, options, &report);
  ASSERT_OK(log);
  EXPECT_EQ(report.rows_read, 5u);
  EXPECT_EQ(report.rows_skipped, 2u);
  EXPECT_EQ(report.skipped, (std::vector<std::string>{
                                path + ":6:6: 3 answers, but line 5 has 4 competency ids",
                                path + ":12:5: 3 answers, but line 11 has 2 competency ids"}));
  // Group numbers count the skipped groups too, so names do not depend on what was skipped.
  EXPECT_EQ(log->learners.names(),
            (std::vector<std::string>{"dkvmn_several_bad.csv#1", "dkvmn_several_bad.csv#3",
                                      "dkvmn_several_bad.csv#5"}));
  EXPECT_EQ(log->num_rows(), 6u);
  EXPECT_EQ(log->competencies.Find("x"), IdTable::kNone);  // only on a skipped group
  EXPECT_EQ(log->competencies.Find("7"), IdTable::kNone);
}

TEST(HmmscReaderTest, ReadsOutcomesAndSkipsRowsWithoutSkill) {
  ReadReport report;
  Result<ResponseLog> log =
      ReadResponseLog(LogPath("hmmsc_sample.txt"), LogFormat::kHmmsc, {}, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(Rows(*log), (std::vector<std::string>{"stu1|A|step1|1", "stu1|B|step1|1",
                                                  "stu2|B|step1|0", "stu1|A|step3|1"}));
  EXPECT_EQ(report.rows_read, 5u);
  EXPECT_EQ(report.records_without_competency, 2u);
}

TEST(HmmscReaderTest, BadOutcomeAndShortRowAreErrors) {
  const std::string path = LogPath("hmmsc_bad.txt");
  EXPECT_EQ(ReadError(path, LogFormat::kHmmsc),
            path + ":2:1: outcome must be 1 (correct) or 2 (incorrect), got '3'");
  ReadOptions options;
  options.skip_bad_rows = true;
  ReadReport report;
  ASSERT_OK(ReadResponseLog(path, LogFormat::kHmmsc, options, &report));
  EXPECT_EQ(report.rows_skipped, 2u);
  ASSERT_EQ(report.skipped.size(), 2u);
  EXPECT_EQ(
      report.skipped[1],
      path + ":3:13: expected 4 tab-separated fields (outcome, student, step, skills), found 3");
}

// Files of several MiB, so records, quoted line breaks, '""' pairs and CRLF pairs straddle the
// reader's 1 MiB blocks; the last record is bad so the line count is checked at the very end.
TEST(ReadResponseLogTest, StreamsCsvRecordsAcrossBlockBoundaries) {
  std::mt19937_64 rng(99);  // fixed seed: the file is the same on every run
  std::string text = "\xEF\xBB\xBForder_id,user_id,skill_name,correct,note\r\n";
  uint64_t line = 2;
  size_t correct = 0;
  const size_t kRows = 60000;
  for (size_t i = 0; i < kRows; ++i) {
    const bool is_correct = rng() % 4 != 0;
    correct += is_correct;
    std::string note = "plain";
    if (i % 7 == 0) note = "\"has \"\"quotes\"\" and,\r\na break\"";
    text += std::to_string(i) + ",learner" + std::to_string(rng() % 500) + ",\"skill " +
            std::to_string(rng() % 30) + "\"," + (is_correct ? "1" : "0") + "," + note + "\r\n";
    line += i % 7 == 0 ? 2 : 1;
  }
  text += std::to_string(kRows) + ",learner1,skill 1,oops,x\r\n";
  const std::string path = WriteTempFile("blocks.csv", text);
  ASSERT_GT(text.size(), size_t{2} << 20);

  EXPECT_EQ(ReadError(path, LogFormat::kPyBkt),
            path + ":" + std::to_string(line) +
                ":24: column \"correct\" must be 0 or 1 (or -1, no response), got 'oops'");
  ReadOptions options;
  options.skip_bad_rows = true;
  ReadReport report;
  Result<ResponseLog> log = ReadResponseLog(path, LogFormat::kPyBkt, options, &report);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(log->num_rows(), kRows);
  EXPECT_EQ(CountCorrect(*log), correct);
  EXPECT_EQ(log->competencies.size(), 30u);
  EXPECT_EQ(report.rows_skipped, 1u);
  EXPECT_EQ(report.learners_reordered, 0u);
}

TEST(ReadResponseLogTest, StreamsDkvmnGroupsLargerThanABlock) {
  std::mt19937_64 rng(5);  // fixed seed
  std::string text;
  size_t rows = 0;
  size_t correct = 0;
  uint64_t line = 1;
  for (size_t group = 0; group < 50; ++group) {
    // Group 20 alone is about 2 MiB: the reader must grow its buffer to hold all three lines.
    const size_t length = group == 20 ? 400000 : 1 + rng() % 300;
    std::string ids, answers;
    for (size_t i = 0; i < length; ++i) {
      const bool is_correct = rng() % 3 != 0;
      correct += is_correct;
      ids += (i ? "," : "") + std::to_string(rng() % 1000);
      answers += (i ? "," : "") + std::string(is_correct ? "1" : "0");
    }
    text += std::to_string(length) + "\r\n" + ids + "\r\n" + answers + "\r\n";
    rows += length;
    line += 3;
  }
  text += "2\r\n7,8\r\n1\r\n";
  const std::string path = WriteTempFile("blocks_dkvmn.csv", text);

  EXPECT_EQ(ReadError(path, LogFormat::kDkvmn),
            path + ":" + std::to_string(line + 2) + ":2: 1 answers, but line " +
                std::to_string(line + 1) + " has 2 competency ids");
  ReadOptions options;
  options.skip_bad_rows = true;
  Result<ResponseLog> log = ReadResponseLog(path, LogFormat::kDkvmn, options);
  ASSERT_OK(log);
  EXPECT_OK(log->CheckConsistent());
  EXPECT_EQ(log->num_rows(), rows);
  EXPECT_EQ(CountCorrect(*log), correct);
  EXPECT_EQ(log->learners.size(), 50u);
}

}  // namespace
}  // namespace pathwise
