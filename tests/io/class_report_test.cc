// The class report: its numbers against hand-computed BKT posteriors, the stalled rule, cohorts,
// and the HTML's self-containment and accessibility rules. The rendering in a real browser is
// tested by tests/cli/class_report_browser_test.py.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/class_report.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// The fields a test sets, the others at their defaults: brace-initialising a Competency without its
// last fields trips -Wmissing-field-initializers, an error under PATHWISE_WERROR.
Competency MakeCompetency(std::string id, std::string name, std::string description,
                          std::string group, const BktParams& params) {
  Competency competency;
  competency.id = std::move(id);
  competency.name = std::move(name);
  competency.description = std::move(description);
  competency.group = std::move(group);
  competency.params = params;
  return competency;
}

// Topic T1 holds a -> b, topic T2 holds c. BKT prior 0.5, learn 0.2, guess 0.2, slip 0.1.
CompetencyGraph ClassGraph() {
  GraphDefinition def;
  def.groups = {{"t1", "Topic one", ""}, {"t2", "Topic two", ""}};
  BktParams params;
  params.prior = 0.5;
  params.learn = 0.2;
  params.guess = 0.2;
  params.slip = 0.1;
  Competency a = MakeCompetency("a", "Alpha", "", "t1", params);
  Competency b = MakeCompetency("b", "Beta", "", "t1", params);
  Competency c = MakeCompetency("c", "Gamma <&>", "", "t2", params);
  def.competencies = {a, b, c};
  def.prerequisites = {{"a", "b"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return std::move(graph).value();
}

// bkt.h by hand: Bayes on the answer, then the learning transition.
double After(double p, bool correct) {
  const double posterior =
      correct ? p * 0.9 / (p * 0.9 + (1 - p) * 0.2) : p * 0.1 / (p * 0.1 + (1 - p) * 0.8);
  return posterior + (1 - posterior) * 0.2;
}

ClassReportInput Input() {
  ClassReportInput input;
  input.learners = {"ann", "bob", "cy"};  // cy has no events
  const TimestampMs t = 1788253440000;
  input.events = {{"1", "ann", "a", 1, t},     {"2", "ann", "a", 1, t + 1},
                  {"3", "bob", "a", 0, t + 2}, {"4", "bob", "a", 0, t + 3},
                  {"5", "bob", "a", 0, t + 4}, {"6", "bob", "a", 0, t + 5},
                  {"7", "zed", "c", 1, t + 6}};  // not in the class
  input.cohorts = {{"group x", {"ann", "cy", "nobody"}}, {"group y", {"bob"}}, {"empty", {"zed"}}};
  return input;
}

// The recommender's stall rule over a window of four answers, as short as this small class allows.
ClassReportOptions ClassOptions() {
  ClassReportOptions options;
  options.recommender.mastery.stall_min_attempts = 4;
  return options;
}

ClassReport Build(const ClassReportInput& input = Input(),
                  ClassReportOptions options = ClassOptions()) {
  Result<ClassReport> report = BuildClassReport(ClassGraph(), BktModel{}, input, options);
  EXPECT_OK(report);
  return report.ok() ? std::move(report).value() : ClassReport{};
}

double P(const ClassReportLearner& row, const std::string& id) {
  for (const MasteryEstimate& e : row.mastery.competencies) {
    if (e.competency_id == id) return e.p_learned;
  }
  ADD_FAILURE() << id;
  return -1;
}

TEST(ClassReportTest, MasteryIsTheReplayedPosterior) {
  const ClassReport r = Build();
  ASSERT_EQ(r.learners.size(), 3u);
  EXPECT_EQ(r.events_applied, 7u);
  const double ann_a = After(After(0.5, true), true);
  EXPECT_NEAR(P(r.learners[0], "a"), ann_a, 1e-9);
  EXPECT_NEAR(P(r.learners[0], "b"), 0.5, 1e-12);
  EXPECT_EQ(r.learners[0].competencies_mastered, 1u);  // 0.971 >= 0.95
  EXPECT_NEAR(r.learners[0].mean_p_learned, (ann_a + 0.5 + 0.5) / 3, 1e-9);
  EXPECT_EQ(r.learners[2].events, 0u);
  EXPECT_NEAR(P(r.learners[2], "c"), 0.5, 1e-12);
}

TEST(ClassReportTest, StalledIsTheRecommendersStallRule) {
  const ClassReport r = Build();
  // bob: four wrong answers on a, at most 2 of the last 4 right.
  double bob_a = 0.5;
  for (int i = 0; i < 4; ++i) bob_a = After(bob_a, false);
  ASSERT_EQ(r.learners[1].stalled.size(), 1u);
  EXPECT_EQ(r.learners[1].stalled[0].competency_id, "a");
  EXPECT_EQ(r.learners[1].stalled[0].opportunities, 4u);
  EXPECT_EQ(r.learners[1].stalled[0].recent_correct, 0);
  EXPECT_NEAR(r.learners[1].stalled[0].p_learned, bob_a, 1e-9);
  EXPECT_TRUE(r.learners[0].stalled.empty());  // ann: mastered
  // A window of five answers: bob has given four, so he is not stalled yet.
  ClassReportOptions longer = ClassOptions();
  longer.recommender.mastery.stall_min_attempts = 5;
  EXPECT_TRUE(Build(Input(), longer).learners[1].stalled.empty());
  // One of bob's four answers right: stalled while one right is allowed, not when none is.
  ClassReportInput one_right = Input();
  ASSERT_EQ(one_right.events[3].event_id, "4");
  one_right.events[3].outcome = 1;
  ClassReportOptions none_allowed = ClassOptions();
  none_allowed.recommender.mastery.stall_max_recent_correct = 0;
  EXPECT_TRUE(Build(one_right, none_allowed).learners[1].stalled.empty());
  ClassReportOptions one_allowed = ClassOptions();
  one_allowed.recommender.mastery.stall_max_recent_correct = 1;
  const ClassReport stalled = Build(one_right, one_allowed);
  ASSERT_EQ(stalled.learners[1].stalled.size(), 1u);
  EXPECT_EQ(stalled.learners[1].stalled[0].recent_correct, 1);
  // The rule is the recommender's: IsStalled on the same estimate says the same.
  for (const MasteryEstimate& e : stalled.learners[1].mastery.competencies) {
    EXPECT_EQ(IsStalled(e, one_allowed.recommender.mastery), e.competency_id == "a")
        << e.competency_id;
  }
}

TEST(ClassReportTest, CohortsAverageTheirLearnersInTheClassAndTheWholeClassComesLast) {
  const ClassReport r = Build();
  // "empty" has only zed, who is not in the class: left out.
  ASSERT_EQ(r.cohorts.size(), 3u);
  EXPECT_EQ(r.cohorts[0].cohort, "group x");
  EXPECT_EQ(r.cohorts[1].cohort, "group y");
  EXPECT_EQ(r.cohorts[2].cohort, "Whole class");
  const double ann_a = After(After(0.5, true), true);
  double bob_a = 0.5;
  for (int i = 0; i < 4; ++i) bob_a = After(bob_a, false);
  EXPECT_EQ(r.cohorts[0].learners, 2u);  // ann and cy
  EXPECT_NEAR(r.cohorts[0].mean_p_learned, (ann_a + 5 * 0.5) / 6, 1e-9);
  EXPECT_NEAR(r.cohorts[0].share_mastered, 1.0 / 6, 1e-12);
  EXPECT_NEAR(r.cohorts[1].mean_p_learned, (bob_a + 1.0) / 3, 1e-9);
  EXPECT_EQ(r.cohorts[1].stalled, 1u);
  EXPECT_NEAR(r.cohorts[2].share_mastered, 1.0 / 9, 1e-12);
  ASSERT_EQ(r.cohorts[0].topic_mean_p_learned.size(), 2u);
  EXPECT_NEAR(r.cohorts[0].topic_mean_p_learned[0], (ann_a + 3 * 0.5) / 4, 1e-9);
}

TEST(ClassReportTest, PathwaysAndRecommendationsLeadToTheGoal) {
  ClassReportOptions options;
  options.goals = {"b"};
  const ClassReport r = Build(Input(), options);
  // ann mastered a: only b is left; bob still needs a first.
  ASSERT_EQ(r.learners[0].pathway.steps.size(), 1u);
  EXPECT_EQ(r.learners[0].pathway.steps[0].competency_id, "b");
  ASSERT_EQ(r.learners[1].pathway.steps.size(), 2u);
  EXPECT_EQ(r.learners[1].pathway.steps[0].competency_id, "a");
  ASSERT_FALSE(r.learners[0].recommendations.empty());
  EXPECT_EQ(r.learners[0].recommendations[0].activity_id, "b");
  EXPECT_FALSE(r.learners[0].recommendations[0].reasons.empty());
  EXPECT_FALSE(r.learners[0].goal_reached);
}

TEST(ClassReportTest, DefaultGoalIsEveryRootGroupAndClassDefaultsToLearnersWithEvents) {
  ClassReportInput input = Input();
  input.learners.clear();
  input.cohorts.clear();
  const ClassReport r = Build(input);
  EXPECT_EQ(r.goals, (std::vector<std::string>{"t1", "t2"}));
  ASSERT_EQ(r.learners.size(), 3u);  // ann, bob, zed: first seen first
  EXPECT_EQ(r.learners[2].learner_id, "zed");
  ASSERT_EQ(r.cohorts.size(), 1u);
  EXPECT_EQ(r.cohorts[0].learners, 3u);
}

TEST(ClassReportTest, BadInputIsNamed) {
  auto error = [](const ClassReportInput& input, const ClassReportOptions& options) {
    Result<ClassReport> r = BuildClassReport(ClassGraph(), BktModel{}, input, options);
    EXPECT_FALSE(r.ok());
    return r.status().message();
  };
  ClassReportOptions unknown_goal;
  unknown_goal.goals = {"nope"};
  EXPECT_NE(error(Input(), unknown_goal).find("nope"), std::string::npos);
  ClassReportInput bad_event = Input();
  bad_event.events[2].activity_id = "nope";
  EXPECT_NE(error(bad_event, {}).find("events: observations[2]"), std::string::npos);
  ClassReportInput twice = Input();
  twice.learners.push_back("ann");
  EXPECT_NE(error(twice, {}).find("learners[3]: 'ann' is listed twice"), std::string::npos);
  ClassReportOptions zero;
  zero.recommendations_per_learner = 0;
  EXPECT_NE(error(Input(), zero).find("recommendations_per_learner"), std::string::npos);
  ClassReportOptions short_window;
  short_window.recommender.mastery.stall_min_attempts = 1;
  EXPECT_NE(error(Input(), short_window).find("stall_min_attempts"), std::string::npos);
}

// --- HTML
// -------------------------------------------------------------------------------------------

double Channel(unsigned c) {
  const double s = c / 255.0;
  return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
}

double Luminance(const std::string& hex) {
  unsigned r = 0, g = 0, b = 0;
  std::sscanf(hex.c_str(), "#%02x%02x%02x", &r, &g, &b);
  return 0.2126 * Channel(r) + 0.7152 * Channel(g) + 0.0722 * Channel(b);
}

TEST(ClassReportHtmlTest, IsSelfContained) {
  const std::string html = ClassReportHtml(Build());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // The only absolute URL is the SVG namespace, which is a name and is never fetched.
  const std::regex url("(https?:)?//[a-z]");
  size_t urls = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), url), end; it != end; ++it) {
    ++urls;
    EXPECT_EQ(html.compare(it->position(), 26, "http://www.w3.org/2000/svg"), 0);
  }
  EXPECT_EQ(urls, 1u);
}

TEST(ClassReportHtmlTest, TablesHaveCaptionsAndScopedHeadersAndHeadingsDoNotSkipLevels) {
  const std::string html = ClassReportHtml(Build());
  const std::regex table("<table"), caption("<caption"), th("<th( [^>]*)?>");
  const auto count = [&](const std::regex& re) {
    return std::distance(std::sregex_iterator(html.begin(), html.end(), re),
                         std::sregex_iterator());
  };
  EXPECT_GE(count(table), 3);  // heatmap, stalled, cohorts
  EXPECT_EQ(count(table), count(caption));
  for (std::sregex_iterator it(html.begin(), html.end(), th), end; it != end; ++it) {
    EXPECT_NE(it->str().find("scope="), std::string::npos) << it->str();
  }
  int previous = 0;
  const std::regex heading("<h([1-6])");
  for (std::sregex_iterator it(html.begin(), html.end(), heading), end; it != end; ++it) {
    const int level = std::stoi((*it)[1]);
    EXPECT_LE(level, previous + 1) << "heading level jumps to h" << level;
    previous = level;
  }
  EXPECT_NE(html.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_NE(html.find("role=\"img\""), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  // Names are escaped.
  EXPECT_NE(html.find("Gamma &lt;&amp;&gt;"), std::string::npos);
  EXPECT_EQ(html.find("Gamma <&>"), std::string::npos);
}

TEST(ClassReportHtmlTest, NumbersAreTextAndEveryShadeKeepsContrast) {
  const ClassReport r = Build();
  const std::string html = ClassReportHtml(r);
  // Rounded down to two decimals (0.971 -> "0.97").
  char ann_a[16];
  std::snprintf(ann_a, sizeof(ann_a), "%.2f",
                std::floor(After(After(0.5, true), true) * 100) / 100);
  const std::string cell = "data-learner=\"ann\" data-competency=\"a\"";
  const size_t at = html.find(cell);
  ASSERT_NE(at, std::string::npos);
  const size_t text = html.find('>', at) + 1;
  EXPECT_EQ(html.compare(text, 4, ann_a), 0) << html.substr(at, 200);
  EXPECT_NE(html.substr(text, 120).find("mastered"), std::string::npos);  // not colour alone
  const size_t bob = html.find("data-learner=\"bob\" data-competency=\"a\"");
  ASSERT_NE(bob, std::string::npos);
  EXPECT_NE(html.substr(bob, 200).find("stalled"), std::string::npos);
  // WCAG 2 contrast of the text colour #111111 on every background used: at least 4.5:1.
  const std::regex background("background:(#[0-9a-f]{6})");
  const double text_luminance = Luminance("#111111");
  int shades = 0;
  for (std::sregex_iterator it(html.begin(), html.end(), background), end; it != end; ++it) {
    const double contrast = (Luminance((*it)[1]) + 0.05) / (text_luminance + 0.05);
    EXPECT_GE(contrast, 4.5) << (*it)[1];
    ++shades;
  }
  EXPECT_GT(shades, 9);
}

TEST(ClassReportHtmlTest, ProbabilitiesAreRoundedDownSoNoUnmasteredValueReadsAsTheThreshold) {
  // A learner with no events is at the prior: 0.9489 is not mastered (threshold 0.95) and must
  // not be shown as "0.95".
  GraphDefinition def;
  BktParams params;
  params.prior = 0.9489;
  Competency a = MakeCompetency("a", "Alpha", "", "", params);
  def.competencies = {a};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  ClassReportInput input;
  input.learners = {"ann"};
  Result<ClassReport> report = BuildClassReport(*graph, BktModel{}, input, {});
  ASSERT_OK(report);
  EXPECT_FALSE(report->learners[0].mastery.competencies[0].mastered);
  const std::string html = ClassReportHtml(*report);
  const size_t at = html.find("data-competency=\"a\"");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(html.compare(html.find('>', at) + 1, 4, "0.94"), 0) << html.substr(at, 120);
}

TEST(LearnerGroupsCsvTest, ReadsOneColumnAndNamesBadRows) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/groups_good.csv";
  std::ofstream(good) << "learner_id,school,ell\nann,north,yes\nbob,south,\ncy,north,no\n";
  Result<std::map<std::string, std::vector<std::string>>> groups =
      ReadLearnerGroupsCsv(good, "ell");
  ASSERT_OK(groups);
  EXPECT_EQ(groups->size(), 2u);  // bob has no value
  EXPECT_EQ(groups->at("yes"), std::vector<std::string>{"ann"});
  groups = ReadLearnerGroupsCsv(good, "school");
  ASSERT_OK(groups);
  EXPECT_EQ(groups->at("north"), (std::vector<std::string>{"ann", "cy"}));
  Result<std::map<std::string, std::vector<std::string>>> missing =
      ReadLearnerGroupsCsv(good, "cohort");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing column 'cohort'"), std::string::npos);
  const std::string bad = dir + "/groups_bad.csv";
  std::ofstream(bad) << "learner_id,cohort\nann,a\n,b\nann,c\n";
  Result<std::map<std::string, std::vector<std::string>>> errors = ReadLearnerGroupsCsv(bad);
  ASSERT_FALSE(errors.ok());
  EXPECT_NE(errors.status().message().find("groups_bad.csv:3: empty learner_id"),
            std::string::npos);
  EXPECT_NE(errors.status().message().find("groups_bad.csv:4: learner 'ann' is given twice "
                                           "(first at line 2)"),
            std::string::npos);
  EXPECT_EQ(ReadLearnerGroupsCsv(dir + "/none.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace pathwise
