#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// Authored parameters of the test graph: distinct for every competency so a mix-up shows.
const BktParams kAddParams{/*prior=*/0.3, /*learn=*/0.15, /*forget=*/0.0, /*guess=*/0.2,
                           /*slip=*/0.1};
const BktParams kMulParams{/*prior=*/0.1, /*learn=*/0.2, /*forget=*/0.0, /*guess=*/0.25,
                           /*slip=*/0.15};
const BktParams kRecallParams{/*prior=*/0.5, /*learn=*/0.1, /*forget=*/0.05, /*guess=*/0.3,
                              /*slip=*/0.05};

// add, mul, recall (forgets); activities: "add-quiz" (add), "word-problem" (add 1.0, mul 0.5).
CompetencyGraph MakeGraph() {
  GraphDefinition def;
  Competency add;
  add.id = "add";
  add.params = kAddParams;
  Competency mul;
  mul.id = "mul";
  mul.params = kMulParams;
  mul.mastery_threshold = 0.5;
  Competency recall;
  recall.id = "recall";
  recall.params = kRecallParams;
  def.competencies = {add, mul, recall};
  def.prerequisites = {{"add", "mul"}};
  Activity quiz;
  quiz.id = "add-quiz";
  quiz.competencies = {{"add", 1.0}};
  Activity word;
  word.id = "word-problem";
  word.competencies = {{"add", 1.0}, {"mul", 0.5}};
  def.activities = {quiz, word};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::unique_ptr<MasteryTracker> MakeTracker(const BktModel& model = {},
                                            TrackerOptions options = {}) {
  Result<std::unique_ptr<MasteryTracker>> tracker =
      MasteryTracker::Create(MakeGraph(), model, options);
  EXPECT_OK(tracker);
  return tracker.ok() ? std::move(tracker).value() : nullptr;
}

// An independent restatement of bkt.h: the Bernoulli likelihoods through exp/log, the weight as a
// power of the likelihood and a factor on learn. Valid for parameters strictly inside (0, 1).
double ReferenceUpdate(const BktParams& q, double p, double credit, double weight = 1.0) {
  const double lik_learned =
      std::exp(weight * (credit * std::log(1.0 - q.slip) + (1.0 - credit) * std::log(q.slip)));
  const double lik_unlearned =
      std::exp(weight * (credit * std::log(q.guess) + (1.0 - credit) * std::log(1.0 - q.guess)));
  const double post = p * lik_learned / (p * lik_learned + (1.0 - p) * lik_unlearned);
  return post * (1.0 - q.forget) + (1.0 - post) * q.learn * weight;
}

Observation Obs(std::string event_id, std::string learner, std::string activity, double outcome,
                TimestampMs ts = 0) {
  return Observation{std::move(event_id), std::move(learner), std::move(activity), outcome, ts};
}

double P(const MasteryTracker& tracker, const std::string& learner, const std::string& competency) {
  Result<MasteryEstimate> e = tracker.Mastery(learner, competency);
  EXPECT_OK(e);
  return e.ok() ? e->p_learned : std::numeric_limits<double>::quiet_NaN();
}

void ExpectSameMastery(const LearnerMastery& a, const LearnerMastery& b) {
  EXPECT_EQ(a.learner_id, b.learner_id);
  ASSERT_EQ(a.competencies.size(), b.competencies.size());
  for (size_t i = 0; i < a.competencies.size(); ++i) {
    const MasteryEstimate& x = a.competencies[i];
    const MasteryEstimate& y = b.competencies[i];
    EXPECT_EQ(x.competency_id, y.competency_id);
    EXPECT_EQ(x.p_learned, y.p_learned) << a.learner_id << " " << x.competency_id;
    EXPECT_EQ(x.mastered, y.mastered);
    EXPECT_EQ(x.opportunities, y.opportunities) << a.learner_id << " " << x.competency_id;
    EXPECT_EQ(x.last_practiced_ms, y.last_practiced_ms);
  }
}

TEST(MasteryTrackerTest, ThreeStepSequenceMatchesHandComputation) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  // prior 0.3, learn 0.15, guess 0.2, slip 0.1.
  // Correct: P(L|c) = 0.3*0.9 / (0.3*0.9 + 0.7*0.2) = 0.27/0.41; then + (1 - post) * 0.15.
  const double post1 = 0.27 / 0.41;
  const double p1 = post1 + (1.0 - post1) * 0.15;
  // Incorrect: P(L|i) = p*0.1 / (p*0.1 + (1-p)*0.8).
  const double post2 = p1 * 0.1 / (p1 * 0.1 + (1.0 - p1) * 0.8);
  const double p2 = post2 + (1.0 - post2) * 0.15;
  const double post3 = p2 * 0.9 / (p2 * 0.9 + (1.0 - p2) * 0.2);
  const double p3 = post3 + (1.0 - post3) * 0.15;

  Result<RecordResult> r1 = tracker->Record(Obs("e1", "ann", "add", 1.0, 1000));
  ASSERT_OK(r1);
  EXPECT_TRUE(r1->applied);
  ASSERT_EQ(r1->updated.size(), 1u);
  EXPECT_EQ(r1->updated[0].competency_id, "add");
  EXPECT_NEAR(r1->updated[0].p_learned, 0.70975609756097560, 1e-12);  // p1 worked out on paper
  EXPECT_NEAR(r1->updated[0].p_learned, p1, 1e-12);
  EXPECT_EQ(r1->updated[0].opportunities, 1u);

  ASSERT_OK(tracker->Record(Obs("e2", "ann", "add", 0.0, 2000)));
  EXPECT_NEAR(P(*tracker, "ann", "add"), p2, 1e-12);
  Result<RecordResult> r3 = tracker->Record(Obs("e3", "ann", "add", 1.0, 3000));
  ASSERT_OK(r3);
  EXPECT_NEAR(r3->updated[0].p_learned, p3, 1e-12);
  EXPECT_EQ(r3->updated[0].opportunities, 3u);
  EXPECT_EQ(r3->updated[0].last_practiced_ms, 3000);
  EXPECT_FALSE(r3->updated[0].mastered);  // threshold 0.95
}

TEST(MasteryTrackerTest, PartialCreditUsesFractionalLikelihoods) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  // Credit 0.6: lik_L = 0.9^0.6 * 0.1^0.4, lik_U = 0.2^0.6 * 0.8^0.4.
  const double lik_l = std::pow(0.9, 0.6) * std::pow(0.1, 0.4);
  const double lik_u = std::pow(0.2, 0.6) * std::pow(0.8, 0.4);
  const double post = 0.3 * lik_l / (0.3 * lik_l + 0.7 * lik_u);
  const double expected = post + (1.0 - post) * 0.15;
  ASSERT_OK(tracker->Record(Obs("", "ann", "add-quiz", 0.6)));
  EXPECT_NEAR(P(*tracker, "ann", "add"), expected, 1e-12);

  // Partial credit lands strictly between the incorrect and correct updates.
  EXPECT_GT(expected, ReferenceUpdate(kAddParams, 0.3, 0.0));
  EXPECT_LT(expected, ReferenceUpdate(kAddParams, 0.3, 1.0));
}

TEST(MasteryTrackerTest, MultiCompetencyActivityUpdatesEachWithItsOwnParamsAndWeight) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  double add = kAddParams.prior;
  double mul = kMulParams.prior;
  const double outcomes[] = {1.0, 1.0, 0.0, 0.75, 1.0};
  for (double outcome : outcomes) {
    Result<RecordResult> r = tracker->Record(Obs("", "bob", "word-problem", outcome));
    ASSERT_OK(r);
    add = ReferenceUpdate(kAddParams, add, outcome, 1.0);
    mul = ReferenceUpdate(kMulParams, mul, outcome, 0.5);
    ASSERT_EQ(r->updated.size(), 2u);
    EXPECT_EQ(r->updated[0].competency_id, "add");
    EXPECT_NEAR(r->updated[0].p_learned, add, 1e-12);
    EXPECT_EQ(r->updated[1].competency_id, "mul");
    EXPECT_NEAR(r->updated[1].p_learned, mul, 1e-12);
  }
  Result<LearnerMastery> mastery = tracker->Mastery("bob");
  ASSERT_OK(mastery);
  ASSERT_EQ(mastery->competencies.size(), 3u);
  EXPECT_EQ(mastery->competencies[0].opportunities, 5u);
  EXPECT_EQ(mastery->competencies[1].opportunities, 5u);
  // recall was never practised: still at its prior.
  EXPECT_EQ(mastery->competencies[2].competency_id, "recall");
  EXPECT_EQ(mastery->competencies[2].p_learned, kRecallParams.prior);
  EXPECT_EQ(mastery->competencies[2].opportunities, 0u);
  // A half-weight correct answer moves mul less than a full-weight one would.
  EXPECT_LT(ReferenceUpdate(kMulParams, kMulParams.prior, 1.0, 0.5),
            ReferenceUpdate(kMulParams, kMulParams.prior, 1.0, 1.0));
}

TEST(MasteryTrackerTest, ActivityGuessSlipOverridesAreUsed) {
  BktModel model;
  model.activities["add-quiz"] = ActivityParams{/*guess=*/0.05, /*slip=*/0.02, /*learn=*/0.3};
  auto tracker = MakeTracker(model);
  ASSERT_NE(tracker, nullptr);
  BktParams overridden = kAddParams;
  overridden.guess = 0.05;
  overridden.slip = 0.02;
  overridden.learn = 0.3;

  ASSERT_OK(tracker->Record(Obs("", "cat", "add-quiz", 1.0)));
  ASSERT_OK(tracker->Record(Obs("", "cat", "add-quiz", 0.0)));
  const double expected =
      ReferenceUpdate(overridden, ReferenceUpdate(overridden, kAddParams.prior, 1.0), 0.0);
  EXPECT_NEAR(P(*tracker, "cat", "add"), expected, 1e-12);

  // The same answers through the competency itself use the competency's own parameters.
  ASSERT_OK(tracker->Record(Obs("", "dan", "add", 1.0)));
  ASSERT_OK(tracker->Record(Obs("", "dan", "add", 0.0)));
  const double plain =
      ReferenceUpdate(kAddParams, ReferenceUpdate(kAddParams, kAddParams.prior, 1.0), 0.0);
  EXPECT_NEAR(P(*tracker, "dan", "add"), plain, 1e-12);
  EXPECT_GT(std::abs(expected - plain), 1e-3);
}

TEST(MasteryTrackerTest, FittedModelParamsTakePrecedenceOverAuthored) {
  BktModel model;
  const BktParams fitted{/*prior=*/0.45, /*learn=*/0.05, /*forget=*/0.0, /*guess=*/0.1,
                         /*slip=*/0.2};
  model.competencies["add"] = fitted;
  auto tracker = MakeTracker(model);
  ASSERT_NE(tracker, nullptr);
  EXPECT_EQ(tracker->PriorMastery("x").competencies[0].p_learned, 0.45);
  ASSERT_OK(tracker->Record(Obs("", "eve", "add", 1.0)));
  EXPECT_NEAR(P(*tracker, "eve", "add"), ReferenceUpdate(fitted, 0.45, 1.0), 1e-12);
}

TEST(MasteryTrackerTest, ForgettingPullsMasteryTowardsTheCeiling) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  // One correct answer on recall (prior 0.5, learn 0.1, forget 0.05, guess 0.3, slip 0.05):
  // post = 0.5*0.95 / (0.5*0.95 + 0.5*0.3); next = post*0.95 + (1 - post)*0.1.
  const double post = 0.475 / (0.475 + 0.15);
  ASSERT_OK(tracker->Record(Obs("", "fay", "recall", 1.0)));
  EXPECT_NEAR(P(*tracker, "fay", "recall"), post * 0.95 + (1.0 - post) * 0.1, 1e-12);

  // Many correct answers: the level stays below 1 because every opportunity forgets a little.
  for (int i = 0; i < 200; ++i) ASSERT_OK(tracker->Record(Obs("", "fay", "recall", 1.0)));
  const double p = P(*tracker, "fay", "recall");
  EXPECT_LT(p, 0.95 + 1e-9);  // at most (1 - forget) after the transition
  double reference = kRecallParams.prior;
  for (int i = 0; i < 201; ++i) reference = ReferenceUpdate(kRecallParams, reference, 1.0);
  EXPECT_NEAR(p, reference, 1e-12);
}

TEST(MasteryTrackerTest, MasteredUsesTheCompetencyThreshold) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  // mul has threshold 0.5 in the graph.
  bool crossed = false;
  for (int i = 0; i < 20; ++i) {
    Result<RecordResult> r = tracker->Record(Obs("", "gil", "word-problem", 1.0));
    ASSERT_OK(r);
    const MasteryEstimate& mul = r->updated[1];
    EXPECT_EQ(mul.mastered, mul.p_learned >= 0.5) << "step " << i;
    const MasteryEstimate& add = r->updated[0];
    EXPECT_EQ(add.mastered, add.p_learned >= 0.95) << "step " << i;
    crossed = crossed || mul.mastered;
  }
  EXPECT_TRUE(crossed);
}

bool Mastered(const MasteryTracker& tracker, const std::string& learner,
              const std::string& competency) {
  Result<MasteryEstimate> e = tracker.Mastery(learner, competency);
  EXPECT_OK(e);
  return e.ok() && e->mastered;
}

// Two competencies, a and b, with threshold 0.5 and a low guess and slip: one right answer takes
// P(learned) over the threshold, and after a few a wrong answer leaves it there.
std::unique_ptr<MasteryTracker> EvidenceTracker(TrackerOptions options,
                                                std::optional<int> a_min_opportunities = {},
                                                std::optional<int> b_recent_correct = {}) {
  GraphDefinition def;
  Competency a;
  a.id = "a";
  a.params = {/*prior=*/0.1, /*learn=*/0.3, /*forget=*/0.0, /*guess=*/0.05, /*slip=*/0.05};
  a.mastery_threshold = 0.5;
  a.mastery_min_opportunities = a_min_opportunities;
  Competency b = a;
  b.id = "b";
  b.mastery_min_opportunities.reset();
  b.mastery_recent_correct = b_recent_correct;
  def.competencies = {a, b};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  if (!graph.ok()) return nullptr;
  Result<std::unique_ptr<MasteryTracker>> tracker =
      MasteryTracker::Create(*graph, BktModel{}, options);
  EXPECT_OK(tracker);
  return tracker.ok() ? std::move(tracker).value() : nullptr;
}

// Issue 13: "mastered" needs the evidence the course asks for, not only P(learned) at the
// threshold: a lucky answer does not count, nor a recent wrong one.
TEST(MasteryTrackerTest, MasteredNeedsTheCourseEvidence) {
  TrackerOptions options;
  options.mastery_min_opportunities = 3;
  options.mastery_recent_correct = 2;
  auto tracker = EvidenceTracker(options);
  auto plain = EvidenceTracker(TrackerOptions{});
  ASSERT_NE(tracker, nullptr);
  ASSERT_NE(plain, nullptr);
  for (auto* t : {tracker.get(), plain.get()}) ASSERT_OK(t->Record(Obs("", "ann", "a", 1.0)));
  ASSERT_GE(P(*tracker, "ann", "a"), 0.5);
  EXPECT_TRUE(Mastered(*plain, "ann", "a"));
  EXPECT_FALSE(Mastered(*tracker, "ann", "a"));  // one answer of the three asked for
  ASSERT_OK(tracker->Record(Obs("", "ann", "a", 1.0)));
  EXPECT_FALSE(Mastered(*tracker, "ann", "a"));
  Result<RecordResult> third = tracker->Record(Obs("", "ann", "a", 1.0));
  ASSERT_OK(third);
  EXPECT_TRUE(third->updated[0].mastered);  // Record reports the same verdict as Mastery
  EXPECT_TRUE(Mastered(*tracker, "ann", "a"));
  for (int i = 0; i < 6; ++i) ASSERT_OK(tracker->Record(Obs("", "ann", "a", 1.0)));
  // A wrong answer leaves P(learned) high but the last two answers are no longer both right.
  ASSERT_OK(tracker->Record(Obs("", "ann", "a", 0.0)));
  ASSERT_GE(P(*tracker, "ann", "a"), 0.5);
  EXPECT_FALSE(Mastered(*tracker, "ann", "a"));
  // Partial credit from one half up counts as right.
  ASSERT_OK(tracker->Record(Obs("", "ann", "a", 0.5)));
  EXPECT_FALSE(Mastered(*tracker, "ann", "a"));
  ASSERT_OK(tracker->Record(Obs("", "ann", "a", 1.0)));
  ASSERT_GE(P(*tracker, "ann", "a"), 0.5);
  EXPECT_TRUE(Mastered(*tracker, "ann", "a"));
  // The whole-learner read and the bulk replay apply the same rule.
  Result<LearnerMastery> all = tracker->Mastery("ann");
  ASSERT_OK(all);
  EXPECT_TRUE(all->competencies[0].mastered);
  EXPECT_FALSE(all->competencies[1].mastered);  // b: never practised, prior 0.1
  Result<uint32_t> a = tracker->ActivityIndex("a");
  ASSERT_OK(a);
  ASSERT_OK(tracker->RecordSequence("bob", {{*a, 1.0f, 0}, {*a, 1.0f, 0}}));
  EXPECT_FALSE(Mastered(*tracker, "bob", "a"));
  ASSERT_OK(tracker->RecordSequence("bob", {{*a, 1.0f, 0}}));
  EXPECT_TRUE(Mastered(*tracker, "bob", "a"));
}

TEST(MasteryTrackerTest, CompetencySettingOfEvidenceWinsOverTheCourse) {
  TrackerOptions options;
  options.mastery_min_opportunities = 2;
  options.mastery_recent_correct = 1;
  auto tracker = EvidenceTracker(options, /*a_min_opportunities=*/4, /*b_recent_correct=*/0);
  ASSERT_NE(tracker, nullptr);
  MasteryTracker& t = *tracker;
  // b: the course's two answers, not its last answer right (b's own 0).
  ASSERT_OK(t.Record(Obs("", "cy", "b", 1.0)));
  ASSERT_GE(P(t, "cy", "b"), 0.5);
  EXPECT_FALSE(Mastered(t, "cy", "b"));
  ASSERT_OK(t.Record(Obs("", "cy", "b", 1.0)));
  ASSERT_OK(t.Record(Obs("", "cy", "b", 0.0)));
  ASSERT_GE(P(t, "cy", "b"), 0.5);
  EXPECT_TRUE(Mastered(t, "cy", "b"));
  // a: its own four answers, and the course's last one right.
  for (int i = 0; i < 3; ++i) ASSERT_OK(t.Record(Obs("", "cy", "a", 1.0)));
  EXPECT_FALSE(Mastered(t, "cy", "a"));
  ASSERT_OK(t.Record(Obs("", "cy", "a", 1.0)));
  EXPECT_TRUE(Mastered(t, "cy", "a"));

  // The course's setting can change later; the verdict follows for the answers already kept.
  ASSERT_OK(t.SetMasteryEvidence(1, 0));
  ASSERT_OK(t.Record(Obs("", "dee", "b", 1.0)));
  EXPECT_TRUE(Mastered(t, "dee", "b"));
  ASSERT_OK(t.SetMasteryEvidence(5, 0));
  EXPECT_FALSE(Mastered(t, "dee", "b"));
  EXPECT_FALSE(Mastered(t, "cy", "b"));
  EXPECT_TRUE(Mastered(t, "cy", "a"));  // a's own four still apply
  const Status bad = t.SetMasteryEvidence(0, 0);
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("mastery_min_opportunities"), std::string::npos) << bad;
  EXPECT_EQ(t.SetMasteryEvidence(1, 9).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Mastered(t, "cy", "b"));  // nothing changed
}

TEST(MasteryTrackerTest, LastPracticedIsTheLatestTimestamp) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  ASSERT_OK(tracker->Record(Obs("", "hal", "add", 1.0, 5000)));
  ASSERT_OK(tracker->Record(Obs("", "hal", "add", 1.0, 3000)));  // arrives late
  Result<MasteryEstimate> e = tracker->Mastery("hal", "add");
  ASSERT_OK(e);
  EXPECT_EQ(e->last_practiced_ms, 5000);
  EXPECT_EQ(e->opportunities, 2u);
  Result<MasteryEstimate> untouched = tracker->Mastery("hal", "mul");
  ASSERT_OK(untouched);
  EXPECT_EQ(untouched->last_practiced_ms, 0);
  EXPECT_EQ(untouched->p_learned, kMulParams.prior);
}

TEST(MasteryTrackerTest, RepeatedEventIdChangesNothing) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  ASSERT_OK(tracker->Record(Obs("e1", "ivy", "add", 1.0)));
  const double after_first = P(*tracker, "ivy", "add");
  Result<RecordResult> again = tracker->Record(Obs("e1", "ivy", "add", 0.0));
  ASSERT_OK(again);
  EXPECT_FALSE(again->applied);
  EXPECT_TRUE(again->updated.empty());
  EXPECT_EQ(P(*tracker, "ivy", "add"), after_first);
  // The same id for another learner is a different event.
  Result<RecordResult> other = tracker->Record(Obs("e1", "jon", "add", 1.0));
  ASSERT_OK(other);
  EXPECT_TRUE(other->applied);
  // An empty id is applied every time.
  ASSERT_OK(tracker->Record(Obs("", "ivy", "add", 1.0)));
  ASSERT_OK(tracker->Record(Obs("", "ivy", "add", 1.0)));
  Result<MasteryEstimate> e = tracker->Mastery("ivy", "add");
  ASSERT_OK(e);
  EXPECT_EQ(e->opportunities, 3u);
}

// Property: re-delivering already-seen events, at random points of the stream, gives exactly the
// state of delivering each event once.
TEST(MasteryTrackerTest, RedeliveryOfSeenEventsIsIdempotent) {
  for (uint64_t seed : {1u, 2u, 3u, 42u, 2026u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const std::vector<std::string> learners = {"l0", "l1", "l2", "l3"};
    const std::vector<std::string> activities = {"add", "mul", "recall", "add-quiz",
                                                 "word-problem"};
    std::vector<Observation> events;
    for (int i = 0; i < 300; ++i) {
      const double credit = (rng() % 4 == 0) ? (rng() >> 11) * 0x1.0p-53 : double(rng() % 2);
      events.push_back(Obs("ev" + std::to_string(i), learners[rng() % learners.size()],
                           activities[rng() % activities.size()], credit, i * 1000));
    }
    auto once = MakeTracker();
    auto redelivered = MakeTracker();
    ASSERT_NE(once, nullptr);
    ASSERT_NE(redelivered, nullptr);
    size_t duplicates = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_OK(once->Record(events[i]));
      ASSERT_OK(redelivered->Record(events[i]));
      // Re-send a random number of earlier events (with a different outcome, to prove it is
      // ignored).
      const int resend = static_cast<int>(rng() % 3);
      for (int k = 0; k < resend; ++k) {
        Observation copy = events[rng() % (i + 1)];
        copy.outcome = 1.0 - copy.outcome;
        Result<RecordResult> r = redelivered->Record(copy);
        ASSERT_OK(r);
        EXPECT_FALSE(r->applied);
        ++duplicates;
      }
    }
    // And a batch of old events at the end.
    std::vector<Observation> tail(events.begin(), events.begin() + 50);
    Result<size_t> applied = redelivered->RecordBatch(tail);
    ASSERT_OK(applied);
    EXPECT_EQ(*applied, 0u);
    EXPECT_GT(duplicates, 0u);
    for (const std::string& learner : learners) {
      Result<LearnerMastery> a = once->Mastery(learner);
      Result<LearnerMastery> b = redelivered->Mastery(learner);
      ASSERT_OK(a);
      ASSERT_OK(b);
      ExpectSameMastery(*a, *b);
    }
    EXPECT_EQ(once->EstimateMemory().event_ids, events.size());
    EXPECT_EQ(redelivered->EstimateMemory().event_ids, events.size());
  }
}

TEST(MasteryTrackerTest, RecordRejectsBadInputNamingTheField) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  Result<RecordResult> empty_learner = tracker->Record(Obs("e", "", "add", 1.0));
  EXPECT_EQ(empty_learner.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(empty_learner.status().message().find("learner_id"), std::string::npos);

  for (double bad : {std::nan(""), -0.1, 1.5, std::numeric_limits<double>::infinity()}) {
    Result<RecordResult> r = tracker->Record(Obs("e", "kim", "add", bad));
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("outcome"), std::string::npos) << r.status();
  }

  Result<RecordResult> unknown = tracker->Record(Obs("e", "kim", "division", 1.0));
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("division"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("activity_id"), std::string::npos);

  EXPECT_FALSE(tracker->HasLearner("kim"));
  EXPECT_EQ(tracker->num_learners(), 0u);
  // The rejected event id was not remembered: the event can still be recorded.
  Result<RecordResult> fixed = tracker->Record(Obs("e", "kim", "add", 1.0));
  ASSERT_OK(fixed);
  EXPECT_TRUE(fixed->applied);
}

TEST(MasteryTrackerTest, RecordBatchIsAllOrNothing) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  std::vector<Observation> batch = {Obs("a", "lea", "add", 1.0), Obs("b", "max", "mul", 0.0),
                                    Obs("c", "lea", "add", 7.0), Obs("d", "lea", "add", 1.0)};
  Result<size_t> bad_outcome = tracker->RecordBatch(batch);
  EXPECT_EQ(bad_outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_outcome.status().message().find("observations[2].outcome"), std::string::npos)
      << bad_outcome.status();
  EXPECT_EQ(tracker->num_learners(), 0u);

  batch[2].outcome = 1.0;
  batch[1].activity_id = "nope";
  Result<size_t> bad_activity = tracker->RecordBatch(batch);
  EXPECT_EQ(bad_activity.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad_activity.status().message().find("observations[1].activity_id"), std::string::npos)
      << bad_activity.status();
  batch[1].activity_id = "mul";
  batch[3].learner_id = "";
  Result<size_t> bad_learner = tracker->RecordBatch(batch);
  EXPECT_EQ(bad_learner.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_learner.status().message().find("observations[3].learner_id"), std::string::npos)
      << bad_learner.status();
  EXPECT_EQ(tracker->num_learners(), 0u);
  EXPECT_EQ(tracker->EstimateMemory().event_ids, 0u);

  // Fixed, with a duplicate inside the batch: applied in order, the duplicate not counted.
  batch[3] = Obs("a", "lea", "add", 0.0);
  Result<size_t> applied = tracker->RecordBatch(batch);
  ASSERT_OK(applied);
  EXPECT_EQ(*applied, 3u);
  auto sequential = MakeTracker();
  ASSERT_NE(sequential, nullptr);
  for (const Observation& o : batch) ASSERT_OK(sequential->Record(o));
  for (const std::string learner : {"lea", "max"}) {
    Result<LearnerMastery> a = tracker->Mastery(learner);
    Result<LearnerMastery> b = sequential->Mastery(learner);
    ASSERT_OK(a);
    ASSERT_OK(b);
    ExpectSameMastery(*a, *b);
  }
  Result<MasteryEstimate> lea_add = tracker->Mastery("lea", "add");
  ASSERT_OK(lea_add);
  EXPECT_EQ(lea_add->opportunities, 2u);
}

TEST(MasteryTrackerTest, ActivityIndexResolvesActivitiesAndCompetencies) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  std::vector<uint32_t> indices;
  for (const char* id : {"add-quiz", "word-problem", "add", "mul", "recall"}) {
    Result<uint32_t> index = tracker->ActivityIndex(id);
    ASSERT_OK(index);
    indices.push_back(*index);
  }
  std::sort(indices.begin(), indices.end());
  EXPECT_EQ(std::unique(indices.begin(), indices.end()), indices.end())
      << "indices must be distinct";
  Result<uint32_t> unknown = tracker->ActivityIndex("nope");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("nope"), std::string::npos);
}

TEST(MasteryTrackerTest, RecordSequenceMatchesRecord) {
  auto by_record = MakeTracker();
  auto by_sequence = MakeTracker();
  ASSERT_NE(by_record, nullptr);
  ASSERT_NE(by_sequence, nullptr);
  std::mt19937_64 rng(7);
  const std::vector<std::string> activities = {"add", "mul", "recall", "add-quiz", "word-problem"};
  std::vector<ResolvedOutcome> steps;
  for (int i = 0; i < 200; ++i) {
    const std::string& activity = activities[rng() % activities.size()];
    // Credits representable exactly as float, so both paths see the same value.
    const float credit = static_cast<float>(rng() % 5) / 4.0f;
    ASSERT_OK(by_record->Record(Obs("", "moe", activity, credit, 10 * i)));
    Result<uint32_t> index = by_sequence->ActivityIndex(activity);
    ASSERT_OK(index);
    steps.push_back(ResolvedOutcome{*index, credit, 10 * i});
  }
  ASSERT_OK(by_sequence->RecordSequence("moe", steps));
  Result<LearnerMastery> a = by_record->Mastery("moe");
  Result<LearnerMastery> b = by_sequence->Mastery("moe");
  ASSERT_OK(a);
  ASSERT_OK(b);
  ExpectSameMastery(*a, *b);
}

TEST(MasteryTrackerTest, RecordSequenceValidatesEveryStepFirst) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  Result<uint32_t> add = tracker->ActivityIndex("add");
  ASSERT_OK(add);
  std::vector<ResolvedOutcome> steps = {{*add, 1.0f, 0}, {*add, 1.0f, 1}, {*add, 2.0f, 2}};
  Status bad_outcome = tracker->RecordSequence("ned", steps);
  EXPECT_EQ(bad_outcome.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_outcome.message().find("steps[2]"), std::string::npos) << bad_outcome;
  steps[2].outcome = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(tracker->RecordSequence("ned", steps).code(), StatusCode::kInvalidArgument);
  steps[2].outcome = 1.0f;
  steps[1].activity_index = 1000;
  Status bad_index = tracker->RecordSequence("ned", steps);
  EXPECT_EQ(bad_index.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_index.message().find("steps[1]"), std::string::npos) << bad_index;
  EXPECT_FALSE(tracker->HasLearner("ned"));
  steps[1].activity_index = *add;
  EXPECT_EQ(tracker->RecordSequence("", steps).code(), StatusCode::kInvalidArgument);
  ASSERT_OK(tracker->RecordSequence("ned", steps));
  Result<MasteryEstimate> e = tracker->Mastery("ned", "add");
  ASSERT_OK(e);
  EXPECT_EQ(e->opportunities, 3u);
}

TEST(MasteryTrackerTest, MasteryOfUnknownLearnerOrCompetencyIsNotFound) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  EXPECT_EQ(tracker->Mastery("nobody").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tracker->Mastery("nobody", "add").status().code(), StatusCode::kNotFound);
  ASSERT_OK(tracker->Record(Obs("", "ola", "add", 1.0)));
  Result<MasteryEstimate> unknown = tracker->Mastery("ola", "geometry");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("geometry"), std::string::npos);
}

TEST(MasteryTrackerTest, PriorMasteryListsEveryCompetencyAtItsPrior) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  const LearnerMastery prior = tracker->PriorMastery("new");
  EXPECT_EQ(prior.learner_id, "new");
  ASSERT_EQ(prior.competencies.size(), 3u);
  const std::vector<std::pair<std::string, double>> expected = {
      {"add", kAddParams.prior}, {"mul", kMulParams.prior}, {"recall", kRecallParams.prior}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(prior.competencies[i].competency_id, expected[i].first);
    EXPECT_EQ(prior.competencies[i].p_learned, expected[i].second);
    EXPECT_FALSE(prior.competencies[i].mastered);
    EXPECT_EQ(prior.competencies[i].opportunities, 0u);
  }
  EXPECT_FALSE(tracker->HasLearner("new"));
}

TEST(MasteryTrackerTest, RemoveLearnerForgetsStateAndEventIds) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  ASSERT_OK(tracker->Record(Obs("e1", "zed", "add", 1.0)));
  ASSERT_OK(tracker->Record(Obs("e1", "amy", "add", 1.0)));
  ASSERT_OK(tracker->Record(Obs("e1", "kit", "mul", 1.0)));
  EXPECT_EQ(tracker->LearnerIds(), (std::vector<std::string>{"amy", "kit", "zed"}));
  EXPECT_EQ(tracker->num_learners(), 3u);

  ASSERT_OK(tracker->RemoveLearner("zed"));
  EXPECT_FALSE(tracker->HasLearner("zed"));
  EXPECT_EQ(tracker->Mastery("zed").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(tracker->RemoveLearner("zed").code(), StatusCode::kNotFound);
  EXPECT_EQ(tracker->LearnerIds(), (std::vector<std::string>{"amy", "kit"}));
  EXPECT_TRUE(tracker->HasLearner("amy"));

  // The event id was forgotten with the learner: it applies again, from the prior.
  Result<RecordResult> again = tracker->Record(Obs("e1", "zed", "add", 1.0));
  ASSERT_OK(again);
  EXPECT_TRUE(again->applied);
  EXPECT_EQ(again->updated[0].opportunities, 1u);
  EXPECT_NEAR(again->updated[0].p_learned, ReferenceUpdate(kAddParams, kAddParams.prior, 1.0),
              1e-12);
}

TEST(MasteryTrackerTest, EstimateMemoryGrowsAsDocumented) {
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  const MasteryTracker::MemoryUsage empty = tracker->EstimateMemory();
  EXPECT_EQ(empty.learners, 0u);
  EXPECT_EQ(empty.states, 0u);
  EXPECT_EQ(empty.event_ids, 0u);

  // 1,000 learners with one practised competency each and no event ids: 24 bytes of state plus
  // about 100 bytes per learner.
  constexpr int kLearners = 1000;
  Result<uint32_t> add = tracker->ActivityIndex("add");
  ASSERT_OK(add);
  for (int i = 0; i < kLearners; ++i) {
    ASSERT_OK(tracker->RecordSequence("u" + std::to_string(i), {{*add, 1.0f, 0}}));
  }
  const MasteryTracker::MemoryUsage learners = tracker->EstimateMemory();
  EXPECT_EQ(learners.learners, size_t{kLearners});
  EXPECT_EQ(learners.states, size_t{kLearners});
  const double per_learner = double(learners.bytes - empty.bytes) / kLearners;
  EXPECT_GE(per_learner, 24 + 60);
  EXPECT_LE(per_learner, 24 + 160);

  // More competencies for one learner: 24 bytes each, give or take the vector's spare capacity.
  std::vector<ResolvedOutcome> more;
  for (const char* id : {"mul", "recall"}) {
    Result<uint32_t> index = tracker->ActivityIndex(id);
    ASSERT_OK(index);
    more.push_back({*index, 1.0f, 0});
  }
  ASSERT_OK(tracker->RecordSequence("u0", more));
  const MasteryTracker::MemoryUsage states = tracker->EstimateMemory();
  EXPECT_EQ(states.states, size_t{kLearners + 2});
  EXPECT_GE(states.bytes - learners.bytes, 2 * 24u);

  // Event ids of 20 characters (heap-allocated strings): the string plus about 40 bytes each.
  constexpr int kEvents = 500;
  for (int i = 0; i < kEvents; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "event-%014d", i);
    ASSERT_OK(tracker->Record(Obs(id, "u1", "add", 1.0)));
  }
  const MasteryTracker::MemoryUsage events = tracker->EstimateMemory();
  EXPECT_EQ(events.event_ids, size_t{kEvents});
  const double per_event = double(events.bytes - states.bytes) / kEvents;
  const double string_bytes = sizeof(std::string) + 21;
  EXPECT_GE(per_event, string_bytes + 20);
  EXPECT_LE(per_event, string_bytes + 80);

  ASSERT_OK(tracker->RemoveLearner("u1"));
  EXPECT_EQ(tracker->EstimateMemory().event_ids, 0u);
  EXPECT_LT(tracker->EstimateMemory().bytes, events.bytes);
}

TEST(MasteryTrackerTest, CreateRejectsInvalidOptionsAndModels) {
  TrackerOptions zero_shards;
  zero_shards.num_shards = 0;
  auto bad_options = MasteryTracker::Create(MakeGraph(), BktModel{}, zero_shards);
  EXPECT_EQ(bad_options.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_options.status().message().find("num_shards"), std::string::npos);
  TrackerOptions too_many;
  too_many.num_shards = 65537;
  EXPECT_EQ(MasteryTracker::Create(MakeGraph(), BktModel{}, too_many).status().code(),
            StatusCode::kInvalidArgument);

  TrackerOptions no_evidence;
  no_evidence.mastery_min_opportunities = 0;
  auto bad_evidence = MasteryTracker::Create(MakeGraph(), BktModel{}, no_evidence);
  EXPECT_EQ(bad_evidence.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_evidence.status().message().find("mastery_min_opportunities"), std::string::npos);
  TrackerOptions too_recent;
  too_recent.mastery_recent_correct = 9;
  auto bad_recent = MasteryTracker::Create(MakeGraph(), BktModel{}, too_recent);
  EXPECT_EQ(bad_recent.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_recent.status().message().find("mastery_recent_correct"), std::string::npos);

  BktModel bad_model;
  bad_model.competencies["add"].slip = 1.5;
  auto bad = MasteryTracker::Create(MakeGraph(), bad_model);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("slip"), std::string::npos) << bad.status();

  // An override that is valid against the defaults (guess 0.2) but degenerate with mul's authored
  // guess (0.25), which the model alone cannot know about.
  BktModel degenerate;
  degenerate.activities["word-problem"].slip = 0.77;
  ASSERT_OK(degenerate.Validate());
  auto combination = MasteryTracker::Create(MakeGraph(), degenerate);
  EXPECT_EQ(combination.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(combination.status().message().find("word-problem"), std::string::npos)
      << combination.status();
}

TEST(MasteryTrackerTest, ConcurrentWritersAndReadersMatchSequentialReplay) {
  constexpr int kWriters = 4;
  constexpr int kReaders = 2;
  constexpr int kLearnersPerWriter = 8;
  constexpr int kEventsPerLearner = 150;
  const std::vector<std::string> activities = {"add", "mul", "recall", "add-quiz", "word-problem"};
  // Per writer, its own learners' events in the order that writer records them.
  std::vector<std::vector<Observation>> streams(kWriters);
  std::mt19937_64 rng(99);
  for (int w = 0; w < kWriters; ++w) {
    for (int e = 0; e < kEventsPerLearner * kLearnersPerWriter; ++e) {
      const std::string learner =
          "w" + std::to_string(w) + "-" + std::to_string(rng() % kLearnersPerWriter);
      streams[w].push_back(Obs("ev" + std::to_string(e), learner,
                               activities[rng() % activities.size()], double(rng() % 2), e));
    }
  }
  TrackerOptions options;
  options.num_shards = 3;  // few shards, so writers really contend
  auto concurrent = MakeTracker({}, options);
  ASSERT_NE(concurrent, nullptr);
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> readers_started{0};
  std::atomic<size_t> failures{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      // Start writing only once the readers run, so reads really overlap writes.
      while (readers_started.load() < kReaders) std::this_thread::yield();
      for (size_t i = 0; i < streams[w].size(); ++i) {
        // Every third event also goes in again as part of a batch: a duplicate, ignored.
        if (!concurrent->Record(streams[w][i]).ok()) ++failures;
        if (i % 3 == 0 && !concurrent->RecordBatch({streams[w][i]}).ok()) ++failures;
      }
      --writers_left;
    });
  }
  std::atomic<size_t> reads{0};
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      ++readers_started;
      do {
        Result<LearnerMastery> m = concurrent->Mastery("w" + std::to_string(r) + "-0");
        if (m.ok()) {
          for (const MasteryEstimate& e : m->competencies) {
            if (!(e.p_learned >= 0.0 && e.p_learned <= 1.0)) ++failures;
          }
        }
        (void)concurrent->LearnerIds();
        (void)concurrent->EstimateMemory();
        ++reads;
      } while (writers_left.load() > 0);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(reads.load(), 0u);

  auto sequential = MakeTracker();
  ASSERT_NE(sequential, nullptr);
  for (const auto& stream : streams) {
    for (const Observation& o : stream) ASSERT_OK(sequential->Record(o));
  }
  EXPECT_EQ(concurrent->LearnerIds(), sequential->LearnerIds());
  for (const std::string& learner : sequential->LearnerIds()) {
    Result<LearnerMastery> a = concurrent->Mastery(learner);
    Result<LearnerMastery> b = sequential->Mastery(learner);
    ASSERT_OK(a);
    ASSERT_OK(b);
    ExpectSameMastery(*a, *b);
  }
}

TEST(MasteryTrackerTest, ConcurrentRecordsForOneLearnerLoseNoUpdate) {
  constexpr int kThreads = 4;
  constexpr int kEventsPerThread = 1000;
  auto tracker = MakeTracker();
  ASSERT_NE(tracker, nullptr);
  Result<uint32_t> add = tracker->ActivityIndex("add");
  ASSERT_OK(add);
  std::atomic<size_t> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEventsPerThread; ++i) {
        if (i % 10 == 0) {
          // Mix in the bulk path: one step each.
          if (!tracker->RecordSequence("pat", {{*add, 1.0f, i}}).ok()) ++failures;
        } else {
          const std::string id = std::to_string(t) + ":" + std::to_string(i);
          Result<RecordResult> r = tracker->Record(Obs(id, "pat", "add", (i % 2) ? 1.0 : 0.0, i));
          if (!r.ok() || !r->applied) ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0u);
  Result<MasteryEstimate> e = tracker->Mastery("pat", "add");
  ASSERT_OK(e);
  EXPECT_EQ(e->opportunities, uint32_t{kThreads * kEventsPerThread});
  EXPECT_EQ(tracker->EstimateMemory().event_ids, size_t{kThreads * kEventsPerThread * 9 / 10});
}

// --- Individual pace (TrackerOptions::individual_pace) ---

TrackerOptions PaceOptions(double prior_sd = 1.0) {
  TrackerOptions options;
  options.individual_pace = true;
  options.pace_prior_sd = prior_sd;
  return options;
}

// Opportunities 1..n on each of add, mul and recall, all with the same answer.
void RecordRun(MasteryTracker& tracker, const std::string& learner, double outcome, int n) {
  for (const char* c : {"add", "mul", "recall"}) {
    for (int i = 0; i < n; ++i) ASSERT_OK(tracker.Record(Obs("", learner, c, outcome, 1000 + i)));
  }
}

TEST(MasteryTrackerPaceTest, OffByDefaultAndEveryLearnerAtThePopulation) {
  auto tracker = MakeTracker();
  RecordRun(*tracker, "ann", 0.0, 10);
  Result<LearnerFactors> pace = tracker->Pace("ann");
  ASSERT_OK(pace);
  EXPECT_EQ(*pace, LearnerFactors{});
  EXPECT_EQ(tracker->Pace("nobody").status().code(), StatusCode::kNotFound);
}

TEST(MasteryTrackerPaceTest, FailingLearnerIsSlowerAndSucceedingOneFaster) {
  auto tracker = MakeTracker({}, PaceOptions());
  RecordRun(*tracker, "slow", 0.0, 10);
  RecordRun(*tracker, "fast", 1.0, 10);
  const LearnerFactors slow = *tracker->Pace("slow");
  const LearnerFactors fast = *tracker->Pace("fast");
  EXPECT_LT(slow.prior_offset, -0.3);
  EXPECT_LT(slow.learn_offset, -0.3);
  EXPECT_GT(fast.prior_offset, 0.3);
  EXPECT_GT(fast.learn_offset, 0.3);
  // The grid's ends bound the estimate.
  EXPECT_GE(slow.learn_offset, -2.1);
  EXPECT_LE(fast.learn_offset, 2.1);

  // A slower pace credits less learning: after the same answers, the slow estimate of a fresh
  // competency's P(L) after one correct answer is below the population's.
  auto population = MakeTracker();
  ASSERT_OK(tracker->Record(Obs("", "slow", "word-problem", 1.0, 5000)));
  RecordRun(*population, "slow", 0.0, 10);
  ASSERT_OK(population->Record(Obs("", "slow", "word-problem", 1.0, 5000)));
  EXPECT_LT(tracker->Mastery("slow", "mul")->p_learned,
            population->Mastery("slow", "mul")->p_learned);
}

TEST(MasteryTrackerPaceTest, ShrinkageTowardThePopulation) {
  auto loose = MakeTracker({}, PaceOptions(2.0));
  auto tight = MakeTracker({}, PaceOptions(0.3));
  RecordRun(*loose, "ann", 0.0, 6);
  RecordRun(*tight, "ann", 0.0, 6);
  EXPECT_LT(loose->Pace("ann")->learn_offset, tight->Pace("ann")->learn_offset);
  EXPECT_LT(tight->Pace("ann")->learn_offset, 0.0);
}

TEST(MasteryTrackerPaceTest, ReplayRestoresTheEstimate) {
  auto one_by_one = MakeTracker({}, PaceOptions());
  auto replayed = MakeTracker({}, PaceOptions());
  std::mt19937_64 rng(11);
  std::vector<ResolvedOutcome> steps;
  const char* activities[] = {"add", "mul", "recall", "add-quiz", "word-problem"};
  for (int i = 0; i < 200; ++i) {
    const char* a = activities[rng() % 5];
    const float outcome = (rng() % 3 == 0) ? 0.0f : (rng() % 5 == 0 ? 0.5f : 1.0f);
    ASSERT_OK(one_by_one->Record(Obs("", "ann", a, outcome, 1000 + i)));
    steps.push_back({*replayed->ActivityIndex(a), outcome, 1000 + i});
  }
  ASSERT_OK(replayed->RecordSequence("ann", steps));
  EXPECT_EQ(*one_by_one->Pace("ann"), *replayed->Pace("ann"));
  const LearnerMastery a = *one_by_one->Mastery("ann");
  const LearnerMastery b = *replayed->Mastery("ann");
  for (size_t c = 0; c < a.competencies.size(); ++c) {
    EXPECT_EQ(a.competencies[c].p_learned, b.competencies[c].p_learned) << c;
  }
}

TEST(MasteryTrackerPaceTest, FixedPaceIsTheIbktUpdate) {
  auto tracker = MakeTracker();
  const LearnerFactors factors{/*prior_offset=*/-0.8, /*learn_offset=*/-1.2};
  ASSERT_OK(tracker->SetPace("ann", factors));
  EXPECT_EQ(*tracker->Pace("ann"), factors);
  // Unpractised: the learner's own prior.
  BktParams own = kAddParams;
  own.prior = ApplyLogitOffset(kAddParams.prior, factors.prior_offset);
  own.learn = ApplyLogitOffset(kAddParams.learn, factors.learn_offset);
  EXPECT_NEAR(tracker->Mastery("ann", "add")->p_learned, own.prior, 1e-15);
  EXPECT_NEAR(tracker->Mastery("ann")->competencies[0].p_learned, own.prior, 1e-15);
  double expected = own.prior;
  for (double outcome : {1.0, 0.0, 1.0, 1.0}) {
    ASSERT_OK(tracker->Record(Obs("", "ann", "add", outcome, 1000)));
    expected = UpdateMastery(own, expected, outcome);
  }
  EXPECT_NEAR(tracker->Mastery("ann", "add")->p_learned, expected, 1e-14);
  // Fixed means not estimated, even with individual_pace on.
  auto estimating = MakeTracker({}, PaceOptions());
  ASSERT_OK(estimating->SetPace("bob", factors));
  RecordRun(*estimating, "bob", 1.0, 5);
  EXPECT_EQ(*estimating->Pace("bob"), factors);
}

TEST(MasteryTrackerPaceTest, FittedLearnerFactorsAreUsed) {
  BktModel model;
  model.learner_factors["ann"] = {0.5, 1.0};
  auto tracker = MakeTracker(model);
  ASSERT_OK(tracker->Record(Obs("", "ann", "add", 1.0, 1000)));
  ASSERT_OK(tracker->Record(Obs("", "bob", "add", 1.0, 1000)));
  EXPECT_EQ(*tracker->Pace("ann"), (LearnerFactors{0.5, 1.0}));
  EXPECT_EQ(*tracker->Pace("bob"), LearnerFactors{});
  EXPECT_GT(tracker->Mastery("ann", "add")->p_learned, tracker->Mastery("bob", "add")->p_learned);
}

TEST(MasteryTrackerPaceTest, BadPaceIsRefusedByName) {
  auto tracker = MakeTracker();
  Status bad = tracker->SetPace("ann", {0.0, std::nan("")});
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("learn_offset"), std::string::npos) << bad.message();
  EXPECT_EQ(tracker->SetPace("", {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker->SetPace("ann", {11.0, 0.0}).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(tracker->HasLearner("ann"));
  TrackerOptions options = PaceOptions(0.0);
  Status invalid = options.Validate();
  EXPECT_EQ(invalid.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.message().find("pace_prior_sd"), std::string::npos);
}

// Every field of two estimates, the doubles bit for bit.
void ExpectIdentical(const LearnerMastery& a, const LearnerMastery& b) {
  ASSERT_EQ(a.competencies.size(), b.competencies.size());
  for (size_t i = 0; i < a.competencies.size(); ++i) {
    const MasteryEstimate& x = a.competencies[i];
    const MasteryEstimate& y = b.competencies[i];
    const std::string where = a.learner_id + " " + x.competency_id;
    EXPECT_EQ(x.competency_id, y.competency_id);
    EXPECT_EQ(std::memcmp(&x.p_learned, &y.p_learned, sizeof(double)), 0) << where;
    EXPECT_EQ(std::memcmp(&x.log_odds, &y.log_odds, sizeof(double)), 0) << where;
    EXPECT_EQ(std::memcmp(&x.odds_scale, &y.odds_scale, sizeof(double)), 0) << where;
    EXPECT_EQ(x.odds_exponent, y.odds_exponent) << where;
    EXPECT_EQ(x.mastered, y.mastered) << where;
    EXPECT_EQ(x.opportunities, y.opportunities) << where;
    EXPECT_EQ(x.last_practiced_ms, y.last_practiced_ms) << where;
    EXPECT_EQ(x.recent_answers, y.recent_answers) << where;
  }
}

// A learner's stored record as pathwised keeps it: the practised estimates and the pace.
void CopyLearner(const MasteryTracker& from, MasteryTracker& to, const std::string& learner) {
  Result<LearnerMastery> mastery = from.Mastery(learner);
  ASSERT_OK(mastery);
  std::vector<MasteryEstimate> practised;
  for (const MasteryEstimate& e : mastery->competencies) {
    if (e.opportunities > 0) practised.push_back(e);
  }
  ASSERT_OK(to.RestoreLearner(learner, practised));
  Result<std::string> pace = from.SavePace(learner);
  ASSERT_OK(pace);
  ASSERT_OK(to.RestorePace(learner, *pace));
}

TEST(MasteryTrackerRestoreTest, RestoredLearnerCarriesOnBitForBit) {
  // Individual pace on and a fitted pace for one learner: the pace is part of the restored state.
  BktModel model;
  model.learner_factors["cyd"] = LearnerFactors{0.4, -0.3};
  for (bool individual_pace : {false, true}) {
    SCOPED_TRACE(individual_pace ? "individual pace" : "population pace");
    TrackerOptions options;
    options.individual_pace = individual_pace;
    auto original = MakeTracker(model, options);
    auto restored = MakeTracker(model, options);
    std::mt19937_64 rng(5);
    const char* activities[] = {"add", "mul", "recall", "add-quiz", "word-problem"};
    const std::vector<std::string> learners = {"ann", "bob", "cyd"};
    auto random_event = [&](int i) {
      const std::string& learner = learners[rng() % learners.size()];
      const double outcome = (rng() % 3 == 0) ? 0.0 : (rng() % 4 == 0 ? 0.7 : 1.0);
      // Long streaks push odds far out, where the log-odds no longer give the odds back exactly.
      return Obs("", learner, activities[rng() % 5], outcome, 1000 + i);
    };
    for (int i = 0; i < 600; ++i) ASSERT_OK(original->Record(random_event(i)));
    for (const std::string& learner : learners) CopyLearner(*original, *restored, learner);
    for (const std::string& learner : learners) {
      ExpectIdentical(*original->Mastery(learner), *restored->Mastery(learner));
    }
    for (int i = 600; i < 900; ++i) {
      const Observation o = random_event(i);
      ASSERT_OK(original->Record(o));
      ASSERT_OK(restored->Record(o));
    }
    for (const std::string& learner : learners) {
      ExpectIdentical(*original->Mastery(learner), *restored->Mastery(learner));
      EXPECT_EQ(*original->Pace(learner), *restored->Pace(learner)) << learner;
      EXPECT_EQ(*original->SavePace(learner), *restored->SavePace(learner)) << learner;
    }
  }
}

TEST(MasteryTrackerRestoreTest, WithoutTheOddsTheLogOddsGiveThemToAFewUlps) {
  auto original = MakeTracker();
  auto restored = MakeTracker();
  for (int i = 0; i < 40; ++i) ASSERT_OK(original->Record(Obs("", "ann", "add", 1.0, i)));
  std::vector<MasteryEstimate> practised;
  Result<LearnerMastery> mastery = original->Mastery("ann");
  ASSERT_OK(mastery);
  for (MasteryEstimate e : mastery->competencies) {
    e.odds_scale = std::numeric_limits<double>::quiet_NaN();
    if (e.opportunities > 0) practised.push_back(e);
  }
  ASSERT_OK(restored->RestoreLearner("ann", practised));
  const MasteryEstimate a = *original->Mastery("ann", "add");
  const MasteryEstimate b = *restored->Mastery("ann", "add");
  EXPECT_NEAR(b.log_odds, a.log_odds, 1e-12 * std::abs(a.log_odds));
  EXPECT_EQ(b.opportunities, 40u);
}

TEST(MasteryTrackerRestoreTest, UnpractisedEstimatesStayAtThePrior) {
  auto tracker = MakeTracker();
  ASSERT_OK(tracker->RestoreLearner("ann", tracker->PriorMastery("ann").competencies));
  EXPECT_TRUE(tracker->HasLearner("ann"));
  ExpectIdentical(*tracker->Mastery("ann"), tracker->PriorMastery("ann"));
}

TEST(MasteryTrackerRestoreTest, BadEstimatesAreRejectedNamingThemAndChangeNothing) {
  auto tracker = MakeTracker();
  ASSERT_OK(tracker->Record(Obs("", "ann", "add", 1.0, 5)));
  const LearnerMastery before = *tracker->Mastery("ann");
  MasteryEstimate add = before.competencies[0];
  MasteryEstimate unknown = add;
  unknown.competency_id = "div";
  Status status = tracker->RestoreLearner("ann", {add, unknown});
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find("estimates[1].competency_id"), std::string::npos) << status;
  status = tracker->RestoreLearner("ann", {add, add});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("'add' appears twice"), std::string::npos) << status;
  MasteryEstimate bad_odds = add;
  bad_odds.odds_scale = 0x1.0p300;
  status = tracker->RestoreLearner("ann", {bad_odds});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("estimates[0].odds_scale"), std::string::npos) << status;
  MasteryEstimate bad_answers = add;  // one answer, two answers' bits
  bad_answers.recent_answers = 0b10;
  status = tracker->RestoreLearner("ann", {bad_answers});
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("estimates[0].recent_answers"), std::string::npos) << status;
  EXPECT_EQ(tracker->RestoreLearner("", {add}).code(), StatusCode::kInvalidArgument);
  ExpectIdentical(*tracker->Mastery("ann"), before);
}

// --- Compaction (MasteryTracker::CompactMemory) ---

constexpr int kWideCompetencies = 100;

// kWideCompetencies competencies "w0".."w99" with no activities: each is practised by its own id.
CompetencyGraph MakeWideGraph() {
  GraphDefinition def;
  for (int c = 0; c < kWideCompetencies; ++c) {
    Competency competency;
    competency.id = "w" + std::to_string(c);
    def.competencies.push_back(competency);
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::unique_ptr<MasteryTracker> MakeWideTracker(TrackerOptions options = {}) {
  Result<std::unique_ptr<MasteryTracker>> tracker =
      MasteryTracker::Create(MakeWideGraph(), BktModel{}, options);
  EXPECT_OK(tracker);
  return tracker.ok() ? std::move(tracker).value() : nullptr;
}

// Every learner practises every competency once, a new one at each event (so its states grow one
// at a time, as a learner's do in a server), in an order of its own, then some again.
std::vector<Observation> GrowingEvents(int learners, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Observation> events;
  for (int l = 0; l < learners; ++l) {
    std::vector<int> order(kWideCompetencies);
    for (int c = 0; c < kWideCompetencies; ++c) order[c] = c;
    std::shuffle(order.begin(), order.end(), rng);
    for (int c : order) {
      events.push_back(Obs("", "g" + std::to_string(l), "w" + std::to_string(c),
                           double(rng() % 3 != 0), int64_t(events.size())));
    }
  }
  std::shuffle(events.begin(), events.end(), rng);  // learners interleaved
  return events;
}

TEST(MasteryTrackerCompactionTest, GivesBackWhatRecordingGrewAndChangesNoEstimate) {
  constexpr int kLearners = 40;
  auto grown = MakeWideTracker();
  auto twin = MakeWideTracker();  // recorded the same, never compacted
  auto restored = MakeWideTracker();
  ASSERT_NE(grown, nullptr);
  for (const Observation& o : GrowingEvents(kLearners, 3)) {
    ASSERT_OK(grown->Record(o));
    ASSERT_OK(twin->Record(o));
  }
  for (int l = 0; l < kLearners; ++l) CopyLearner(*grown, *restored, "g" + std::to_string(l));

  // Grown by doubling, 100 states sit in room for 128: about a quarter more than restored.
  const MasteryTracker::MemoryUsage before = grown->EstimateMemory();
  const MasteryTracker::MemoryUsage restored_usage = restored->EstimateMemory();
  ASSERT_EQ(before.states, size_t{kLearners * kWideCompetencies});
  ASSERT_EQ(restored_usage.states, before.states);
  EXPECT_GT(before.bytes, restored_usage.bytes + before.states * 5);

  const size_t released = grown->CompactMemory();
  EXPECT_EQ(released, size_t{kLearners} * 28 * 24);  // 28 spare states of 24 bytes per learner
  const MasteryTracker::MemoryUsage after = grown->EstimateMemory();
  EXPECT_EQ(after.states, before.states);
  EXPECT_LE(after.bytes, restored_usage.bytes);
  EXPECT_EQ(grown->CompactMemory(), 0u);  // nothing left to give back

  for (int l = 0; l < kLearners; ++l) {
    const std::string learner = "g" + std::to_string(l);
    ExpectIdentical(*grown->Mastery(learner), *twin->Mastery(learner));
  }
  // Later events, on practised competencies and (for new learners) on new ones, give what they
  // give the tracker that was never compacted.
  for (const Observation& o : GrowingEvents(kLearners + 5, 4)) {
    ASSERT_OK(grown->Record(o));
    ASSERT_OK(twin->Record(o));
  }
  for (int l = 0; l < kLearners + 5; ++l) {
    const std::string learner = "g" + std::to_string(l);
    ExpectIdentical(*grown->Mastery(learner), *twin->Mastery(learner));
  }
}

TEST(MasteryTrackerCompactionTest, ConcurrentRecordsDuringCompactionMatchSequentialReplay) {
  constexpr int kWriters = 3;
  constexpr int kLearnersPerWriter = 6;
  std::vector<std::vector<Observation>> streams(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    for (Observation o : GrowingEvents(kLearnersPerWriter, 10 + w)) {
      o.learner_id = "w" + std::to_string(w) + "-" + o.learner_id;
      o.event_id = "e" + std::to_string(streams[w].size());
      streams[w].push_back(std::move(o));
    }
  }
  TrackerOptions options;
  options.num_shards = 2;  // few shards, so compaction and writers really meet
  auto concurrent = MakeWideTracker(options);
  ASSERT_NE(concurrent, nullptr);
  std::atomic<int> writers_left{kWriters};
  std::atomic<bool> compactor_started{false};
  std::atomic<size_t> failures{0};
  std::atomic<size_t> compactions{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      while (!compactor_started.load()) std::this_thread::yield();
      for (const Observation& o : streams[w]) {
        Result<RecordResult> r = concurrent->Record(o);
        if (!r.ok() || !r->applied) ++failures;
      }
      --writers_left;
    });
  }
  threads.emplace_back([&] {
    compactor_started = true;
    do {
      (void)concurrent->CompactMemory();
      ++compactions;
    } while (writers_left.load() > 0);
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(compactions.load(), 0u);

  auto sequential = MakeWideTracker();
  ASSERT_NE(sequential, nullptr);
  for (const auto& stream : streams) {
    for (const Observation& o : stream) ASSERT_OK(sequential->Record(o));
  }
  ASSERT_EQ(concurrent->LearnerIds(), sequential->LearnerIds());
  for (const std::string& learner : sequential->LearnerIds()) {
    ExpectIdentical(*concurrent->Mastery(learner), *sequential->Mastery(learner));
  }
  EXPECT_EQ(concurrent->EstimateMemory().event_ids, sequential->EstimateMemory().event_ids);
}

}  // namespace
}  // namespace pathwise
