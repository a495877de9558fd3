// OneRoster 1.2 CSV: the real Moodle export in ../shared/data/standards/oneroster, and every
// rejection on small directories written by the test.
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/io/oneroster_import.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SharedDataPath;

bool Contains(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(OneRosterRealDataTest, MoodleExport) {
  Result<Roster> roster = ReadOneRosterDirectory(
      SharedDataPath("standards/oneroster/moodle_catalyst_v1p2_full_dataset"));
  ASSERT_OK(roster);
  // The second class has status tobedeleted: it and its three enrollments are left out.
  ASSERT_EQ(roster->classes.size(), 1u);
  const RosterClass& physics = roster->classes[0];
  EXPECT_EQ(physics.sourced_id, "cls-222-123456");
  EXPECT_EQ(physics.title, "Introduction to Physics");
  EXPECT_EQ(physics.learners, (std::vector<std::string>{"usr-222-987654", "usr-222-1234561232"}));
  EXPECT_EQ(physics.teachers, std::vector<std::string>{"usr-222-123456"});
  EXPECT_EQ(roster->learners.size(), 2u);
  EXPECT_EQ(roster->enrollments, 3u);
  EXPECT_EQ(roster->users, 6u);  // a blank status (bulk) is active
  EXPECT_EQ(roster->orgs, 1u);
  EXPECT_EQ(roster->courses, 0u);
  EXPECT_TRUE(Contains(roster->notes, "classes.csv:3: 'cls-222-123478' has status tobedeleted"));
  EXPECT_TRUE(Contains(roster->notes, "enrollments.csv:5: enrollment 'enr-t-222-12345-123232'"));
  EXPECT_TRUE(Contains(roster->notes, "file.courses is absent"));
  EXPECT_TRUE(
      Contains(roster->notes, "orgs.csv:2: parent org 'org-sch-222-3456' is not in orgs.csv"));
}

class OneRosterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("oneroster_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    files_["classes.csv"] =
        "sourcedId,status,title,courseSourcedId,schoolSourcedId\n"
        "c1,,Fractions A,crs1,sch1\n"
        "c2,active,Fractions B,crs1,sch1\n";
    files_["users.csv"] =
        "sourcedId,status,username,email\n"
        "u1,,ann,ann@example.org\n"
        "u2,,bob,bob@example.org\n"
        "t1,,tess,tess@example.org\n";
    files_["enrollments.csv"] =
        "sourcedId,status,classSourcedId,userSourcedId,role\n"
        "e1,,c1,u1,student\n"
        "e2,,c1,t1,teacher\n"
        "e3,,c2,u1,student\n"
        "e4,,c2,u2,student\n"
        "e5,,c2,u2,aide\n";
    files_["courses.csv"] = "sourcedId,status,title,orgSourcedId\ncrs1,,Fractions,sch1\n";
    files_["orgs.csv"] = "sourcedId,status,name,type\nsch1,,School,school\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Result<Roster> Read() {
    for (const auto& [name, text] : files_) std::ofstream(dir_ / name) << text;
    return ReadOneRosterDirectory(dir_.string());
  }
  std::string ErrorOf() {
    Result<Roster> roster = Read();
    EXPECT_FALSE(roster.ok());
    return roster.status().message();
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> files_;
};

TEST_F(OneRosterTest, ClassesAndTheirLearners) {
  Result<Roster> roster = Read();
  ASSERT_OK(roster);
  ASSERT_EQ(roster->classes.size(), 2u);
  EXPECT_EQ(roster->classes[0].learners, std::vector<std::string>{"u1"});
  EXPECT_EQ(roster->classes[0].teachers, std::vector<std::string>{"t1"});
  EXPECT_EQ(roster->classes[1].learners, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(roster->learners, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(roster->other_roles, 1u);
  EXPECT_EQ(roster->courses, 1u);
  EXPECT_TRUE(roster->notes.empty());
}

TEST_F(OneRosterTest, DanglingCourseAndSchoolAreNotes) {
  files_["classes.csv"] += "c3,,Orphan,crs9,sch9\n";
  Result<Roster> roster = Read();
  ASSERT_OK(roster);
  EXPECT_TRUE(Contains(roster->notes, "classes.csv:4: class 'c3' names course 'crs9'"));
  EXPECT_TRUE(Contains(roster->notes, "class 'c3' names school 'sch9', which is not in orgs.csv"));
}

TEST_F(OneRosterTest, EnrollmentOfAnUnknownClassOrUserIsRejected) {
  files_["enrollments.csv"] += "e6,,c9,u1,student\ne7,,c1,u9,student\n";
  const std::string message = ErrorOf();
  EXPECT_NE(message.find("enrollments.csv:7: enrollment 'e6' names class 'c9'"), std::string::npos)
      << message;
  EXPECT_NE(message.find("enrollments.csv:8: enrollment 'e7' names user 'u9'"), std::string::npos);
  EXPECT_NE(message.find("nothing imported"), std::string::npos);
}

TEST_F(OneRosterTest, DuplicateAndEmptySourcedIdsAreRejected) {
  files_["users.csv"] += "u1,,ann2,x@example.org\n,,nobody,y@example.org\n";
  const std::string message = ErrorOf();
  EXPECT_NE(message.find("users.csv:5: duplicate sourcedId 'u1' (first at line 2)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("users.csv:6: sourcedId is empty"), std::string::npos);
}

TEST_F(OneRosterTest, MissingColumnAndMalformedCsvAreRejected) {
  files_["enrollments.csv"] = "sourcedId,classSourcedId,userSourcedId\ne1,c1,u1\n";
  EXPECT_NE(ErrorOf().find("enrollments.csv:1: missing column 'role'"), std::string::npos);
  files_["enrollments.csv"] = "sourcedId,classSourcedId,userSourcedId,role\ne1,c1,\"u1,student\n";
  EXPECT_NE(ErrorOf().find("unterminated quoted field"), std::string::npos);
}

TEST_F(OneRosterTest, MissingNeededFileIsNotFound) {
  Result<Roster> ok = Read();
  ASSERT_OK(ok);
  std::filesystem::remove(dir_ / "users.csv");
  files_.erase("users.csv");
  Result<Roster> roster = Read();
  ASSERT_FALSE(roster.ok());
  EXPECT_EQ(roster.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadOneRosterDirectory((dir_ / "nope").string()).status().code(),
            StatusCode::kNotFound);
}

TEST_F(OneRosterTest, ManifestDeltaAndAbsentNeededFileAreRejected) {
  files_["manifest.csv"] = "propertyName,value\nfile.users,delta\nfile.enrollments,absent\n";
  const std::string message = ErrorOf();
  EXPECT_NE(message.find("manifest.csv:2: file.users is delta: only bulk exports are supported"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("file.enrollments is absent, but enrollments.csv is needed"),
            std::string::npos);
}

TEST_F(OneRosterTest, ManifestAbsentOptionalFileIsNotRead) {
  files_["manifest.csv"] = "propertyName,value\nfile.courses,absent\n";
  files_["courses.csv"] = "not,a,roster\n1,2\n";  // would be malformed if read
  Result<Roster> roster = Read();
  ASSERT_OK(roster);
  EXPECT_EQ(roster->courses, 0u);
  EXPECT_TRUE(Contains(roster->notes, "file.courses is absent"));
}

}  // namespace
}  // namespace pathwise
