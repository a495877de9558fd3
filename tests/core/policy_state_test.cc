// Per-learner policy state (Policy::SaveLearnerState / RestoreLearnerState), the Engine feeding its
// policies from Record, and cold start.
#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/engine.h>
#include <pathwise/recommender.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// a -> b -> d, a -> c, e alone; two activities per competency ("<id>.1", "<id>.2").
CompetencyGraph MakeGraph() {
  GraphDefinition def;
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    Competency c;
    c.id = id;
    def.competencies.push_back(c);
    for (int i = 1; i <= 2; ++i) {
      Activity a;
      a.id = std::string(id) + "." + std::to_string(i);
      a.competencies = {{id, 1.0}};
      def.activities.push_back(a);
    }
  }
  def.prerequisites = {{"a", "b"}, {"b", "d"}, {"a", "c"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

RecommenderOptions ZpdesOptions() {
  RecommenderOptions options;
  options.zpdes.window = 4;
  options.zpdes.mastery_rate = 0.75;
  options.seed = 7;
  return options;
}

std::unique_ptr<Policy> Make(PolicyKind kind, const RecommenderOptions& options) {
  Result<std::unique_ptr<Policy>> policy = MakePolicy(kind, MakeGraph(), BktModel{}, options);
  EXPECT_OK(policy);
  return policy.ok() ? std::move(policy).value() : nullptr;
}

// A learner's history: random outcomes on the activities ZPDES offers, drawn with a fixed seed.
std::vector<Observation> History(Policy& policy, const std::string& learner, int steps) {
  std::mt19937_64 rng(11);
  std::vector<Observation> out;
  LearnerState state;
  state.learner_id = learner;
  RecommendRequest request;
  request.k = 1;
  for (int i = 0; i < steps; ++i) {
    Result<std::vector<Recommendation>> recs = policy.Recommend(state, request);
    EXPECT_OK(recs);
    if (!recs.ok() || recs->empty()) break;
    Observation o{"", learner, recs->front().activity_id, (rng() % 4 != 0) ? 1.0 : 0.0, i};
    EXPECT_OK(policy.Observe(o));
    out.push_back(o);
  }
  return out;
}

std::vector<std::string> Ids(const std::vector<Recommendation>& recs) {
  std::vector<std::string> ids;
  for (const Recommendation& r : recs) ids.push_back(r.activity_id);
  return ids;
}

// The competencies of ZPDES's whole zone for `learner` (k = 10 covers this graph).
std::set<std::string> ZoneOf(Policy& policy, const std::string& learner) {
  LearnerState state;
  state.learner_id = learner;
  RecommendRequest request;
  request.k = 10;
  Result<std::vector<Recommendation>> recs = policy.Recommend(state, request);
  EXPECT_OK(recs);
  std::set<std::string> competencies;
  if (recs.ok()) {
    for (const Recommendation& r : *recs) competencies.insert(r.competency_ids.at(0));
  }
  return competencies;
}

TEST(PolicyStateTest, ZpdesRestoredStateRecommendsAsTheOriginal) {
  std::unique_ptr<Policy> prototype = Make(PolicyKind::kZpdes, ZpdesOptions());
  std::unique_ptr<Policy> original = prototype->Fork(3);
  History(*original, "zoe", 20);
  Result<std::string> bytes = original->SaveLearnerState("zoe");
  ASSERT_OK(bytes);
  EXPECT_EQ(bytes->rfind("zpdes/2\n", 0), 0u);

  // A fresh fork with the same stream, given only the bytes, continues exactly as the original.
  std::unique_ptr<Policy> restored = prototype->Fork(3);
  ASSERT_OK(restored->RestoreLearnerState("zoe", *bytes));
  Result<std::string> again = restored->SaveLearnerState("zoe");
  ASSERT_OK(again);
  EXPECT_EQ(*again, *bytes);
  // The original's generator advanced during the history: compare two fresh forks of one stream.
  original = prototype->Fork(5);
  ASSERT_OK(original->RestoreLearnerState("zoe", *bytes));
  restored = prototype->Fork(5);
  ASSERT_OK(restored->RestoreLearnerState("zoe", *bytes));
  LearnerState state;
  state.learner_id = "zoe";
  RecommendRequest request;
  request.k = 3;
  for (int i = 0; i < 10; ++i) {
    Result<std::vector<Recommendation>> a = original->Recommend(state, request);
    Result<std::vector<Recommendation>> b = restored->Recommend(state, request);
    ASSERT_OK(a);
    ASSERT_OK(b);
    EXPECT_EQ(Ids(*a), Ids(*b));
    ASSERT_FALSE(a->empty());
    EXPECT_EQ(a->front().score, b->front().score);
    const Observation o{"", "zoe", a->front().activity_id, i % 3 == 0 ? 0.0 : 1.0, 100 + i};
    ASSERT_OK(original->Observe(o));
    ASSERT_OK(restored->Observe(o));
  }
  EXPECT_EQ(*original->SaveLearnerState("zoe"), *restored->SaveLearnerState("zoe"));
}

TEST(PolicyStateTest, ZpdesRestoreCarriesTheZoneAndMastery) {
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, ZpdesOptions());
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "zoe", "a.1", 1.0, i}));
  Result<std::string> bytes = policy->SaveLearnerState("zoe");
  ASSERT_OK(bytes);
  std::unique_ptr<Policy> other = policy->Fork(1);
  ASSERT_OK(other->RestoreLearnerState("zoe", *bytes));
  // a is ZPDES-mastered, so b and c (unlocked by it) and e (no prerequisite) are the zone.
  EXPECT_EQ(ZoneOf(*other, "zoe"), (std::set<std::string>{"b", "c", "e"}));

  // A smaller window keeps the most recent outcomes and the mastered flag.
  RecommenderOptions narrow = ZpdesOptions();
  narrow.zpdes.window = 2;
  std::unique_ptr<Policy> small = Make(PolicyKind::kZpdes, narrow);
  ASSERT_OK(small->RestoreLearnerState("zoe", *bytes));
  EXPECT_EQ(ZoneOf(*small, "zoe"), (std::set<std::string>{"b", "c", "e"}));

  // Empty bytes forget the learner: back to the starting zone.
  ASSERT_OK(other->RestoreLearnerState("zoe", ""));
  EXPECT_EQ(*other->SaveLearnerState("zoe"), "");
  EXPECT_EQ(ZoneOf(*other, "zoe"), (std::set<std::string>{"a", "e"}));
}

// The zone keeps outcomes in 240ths, one byte each (ZpdesPolicyOptions::window).
TEST(PolicyStateTest, ZpdesKeepsPartialCreditInTwoHundredFortieths) {
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, ZpdesOptions());
  // Quarters are exact: four answers at 0.75 reach mastery_rate 0.75, so b and c are unlocked.
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "zoe", "a.1", 0.75, i}));
  // 0.3 is exact too; 0.301 is kept as 0.3.
  ASSERT_OK(policy->Observe({"", "zoe", "e.1", 0.3, 4}));
  ASSERT_OK(policy->Observe({"", "yan", "e.1", 0.301, 5}));
  Result<std::string> zoe = policy->SaveLearnerState("zoe");
  Result<std::string> yan = policy->SaveLearnerState("yan");
  ASSERT_OK(zoe);
  ASSERT_OK(yan);
  std::unique_ptr<Policy> other = policy->Fork(1);
  ASSERT_OK(other->RestoreLearnerState("zoe", *zoe));
  EXPECT_EQ(*other->SaveLearnerState("zoe"), *zoe);
  // The last byte of one arm's state is its newest outcome in 240ths.
  auto last_outcome = [](const std::string& bytes) { return static_cast<uint8_t>(bytes.back()); };
  EXPECT_EQ(last_outcome(*zoe), 72);  // 0.3
  EXPECT_EQ(last_outcome(*yan), 72);
  EXPECT_EQ(ZoneOf(*other, "zoe"), (std::set<std::string>{"b", "c", "e"}));
}

// What zpdes/1 wrote (u32 counts, float32 outcomes): stored learners stay loadable, and are written
// back as zpdes/2, in under half the bytes.
std::string ZpdesFormat1(bool a_mastered) {
  std::string out = "zpdes/1\n";
  const auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const auto f32 = [&](float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, sizeof(bits));
    u32(bits);
  };
  u32(4);  // window
  u32(2);  // arms
  u32(1);
  out += "a";
  u32(5);  // outcomes ever observed
  out.push_back(a_mastered ? 1 : 0);
  out.push_back(4);  // kept, oldest first
  for (float v : {0.0f, 1.0f, 1.0f, 0.75f}) f32(v);
  u32(1);
  out += "e";
  u32(1);
  out.push_back(0);
  out.push_back(1);
  f32(0.5f);
  return out;
}

TEST(PolicyStateTest, ZpdesReadsFormatOneAndWritesFormatTwo) {
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, ZpdesOptions());
  const std::string old = ZpdesFormat1(/*a_mastered=*/true);
  ASSERT_OK(policy->RestoreLearnerState("zoe", old));
  // a is ZPDES-mastered, so b and c (unlocked by it) and e (no prerequisite) are the zone.
  EXPECT_EQ(ZoneOf(*policy, "zoe"), (std::set<std::string>{"b", "c", "e"}));
  Result<std::string> now = policy->SaveLearnerState("zoe");
  ASSERT_OK(now);
  // header, window, arm count; per arm: the id (bytes shared with the previous id, length of the
  // rest, the rest), outcomes observed, flags (kept << 1 | mastered), the outcomes kept in 240ths,
  // oldest first.
  const std::string expected = std::string("zpdes/2\n") + "\x04\x02" + std::string("\x00\x01", 2) +
                               "a" + "\x05" + "\x09" + std::string("\x00\xf0\xf0\xb4", 4) +
                               std::string("\x00\x01", 2) + "e" + "\x01" + "\x02" + "\x78";
  EXPECT_EQ(*now, expected);
  EXPECT_LT(2 * now->size(), old.size());

  // The same learner read back from zpdes/2 is the same zone.
  std::unique_ptr<Policy> again = policy->Fork(1);
  ASSERT_OK(again->RestoreLearnerState("zoe", *now));
  EXPECT_EQ(*again->SaveLearnerState("zoe"), *now);
  ASSERT_OK(again->RestoreLearnerState("zoe", ZpdesFormat1(/*a_mastered=*/false)));
  EXPECT_EQ(ZoneOf(*again, "zoe"), (std::set<std::string>{"a", "e"}));
}

TEST(PolicyStateTest, MalformedZpdesFormatTwoIsNamed) {
  std::unique_ptr<Policy> zpdes = Make(PolicyKind::kZpdes, ZpdesOptions());
  const std::string head = std::string("zpdes/2\n\x04\x01\x00\x01", 12) + "a";
  const std::pair<std::string, std::string> cases[] = {
      {head + "\x01\x02" + "\xf1", "outcome outside [0, 1]"},         // 241 240ths
      {head + "\x09\x0a" + std::string(5, '\0'), "5 outcomes kept"},  // window 4
      {head + "\x01\x04", "2 outcomes kept of 1"},
      {head + std::string(11, '\x80'), "varint longer than 10 bytes"},
      {std::string("zpdes/2\n\x04\x05\x00\x01", 12) + std::string("a\x00\x00", 3),
       "truncated"},  // 5 arms, 1 given
      {std::string("zpdes/2\n\x04\x01\x02\x01", 12) + "a", "id prefix of 2 bytes"},
      {"zpdes/2\n\x41\x00", "window 65 outside [2, 64]"},
  };
  for (const auto& [bytes, what] : cases) {
    const Status status = zpdes->RestoreLearnerState("zoe", bytes);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << what;
    EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
  }
}

TEST(PolicyStateTest, BadBytesAreRejectedAndChangeNothing) {
  std::unique_ptr<Policy> zpdes = Make(PolicyKind::kZpdes, ZpdesOptions());
  ASSERT_OK(zpdes->Observe({"", "zoe", "a.1", 1.0, 0}));
  const std::string before = *zpdes->SaveLearnerState("zoe");
  for (const std::string& bad :
       {std::string("mastery/1\n"), std::string("zpdes/3\n"), std::string("zpdes/x\n"),
        std::string("no header"), before.substr(0, before.size() - 1), before + "x"}) {
    const Status status = zpdes->RestoreLearnerState("zoe", bad);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(status.message().find("learner state"), std::string::npos) << status.message();
    EXPECT_EQ(*zpdes->SaveLearnerState("zoe"), before);
  }
  EXPECT_NE(zpdes->RestoreLearnerState("zoe", "zpdes/3\n").message().find("format version"),
            std::string::npos);

  // Policies without learner state save nothing and accept only nothing.
  for (PolicyKind kind : {PolicyKind::kRandom, PolicyKind::kCurriculum}) {
    std::unique_ptr<Policy> policy = Make(kind, ZpdesOptions());
    EXPECT_FALSE(policy->keeps_learner_state());
    ASSERT_OK(policy->Observe({"", "zoe", "a.1", 1.0, 0}));
    EXPECT_EQ(*policy->SaveLearnerState("zoe"), "");
    EXPECT_OK(policy->RestoreLearnerState("zoe", ""));
    EXPECT_EQ(policy->RestoreLearnerState("zoe", before).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(zpdes->keeps_learner_state());
  EXPECT_EQ(*zpdes->SaveLearnerState("nobody"), "");
}

// The mastery policy with the options that read a learner's answers: stalls and evidence.
RecommenderOptions StallOptions() {
  RecommenderOptions options;
  options.mastery.progress_weight = 1.0;
  options.mastery.stall_min_attempts = 3;
  options.mastery.stall_max_recent_correct = 0;
  options.mastery.mastery_recent_correct = 2;
  return options;
}

std::vector<std::string> Reasons(const std::vector<Recommendation>& recs) {
  std::vector<std::string> out;
  for (const Recommendation& r : recs)
    for (const std::string& reason : r.reasons) out.push_back(r.activity_id + ": " + reason);
  return out;
}

// Where a.1 and a.2 rank for a learner stalled on a (three wrong answers): the last activity
// gives way to the other, so the other ranks first.
std::vector<std::string> StalledOrder(Policy& policy, const std::string& last_activity_id) {
  LearnerState state;
  state.learner_id = "zoe";
  state.last_activity_id = last_activity_id;
  state.competencies = {{*policy.CompetencyIndex("a"), 0.05, 3, 10, 0}};
  RecommendRequest request;
  request.k = 10;
  request.now_ms = 20;
  Result<std::vector<Recommendation>> recs = policy.Recommend(state, request);
  EXPECT_OK(recs);
  std::vector<std::string> order;
  if (recs.ok()) {
    for (const std::string& id : Ids(*recs))
      if (id == "a.1" || id == "a.2") order.push_back(id);
  }
  return order;
}

TEST(PolicyStateTest, MasteryPolicyKeepsTheLastActivity) {
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, StallOptions());
  EXPECT_TRUE(policy->keeps_learner_state());
  EXPECT_EQ(*policy->SaveLearnerState("zoe"), "");
  const std::vector<std::string> after_a1{"a.2", "a.1"}, after_a2{"a.1", "a.2"};

  ASSERT_OK(policy->Observe({"", "zoe", "a.1", 0.0, 10}));
  EXPECT_EQ(StalledOrder(*policy, ""), after_a1);
  // A late event does not replace a newer one; one at the same time does.
  ASSERT_OK(policy->Observe({"", "zoe", "a.2", 0.0, 9}));
  EXPECT_EQ(StalledOrder(*policy, ""), after_a1);
  ASSERT_OK(policy->Observe({"", "zoe", "a.2", 0.0, 10}));
  EXPECT_EQ(StalledOrder(*policy, ""), after_a2);
  // LearnerState::last_activity_id, when given, wins.
  EXPECT_EQ(StalledOrder(*policy, "a.1"), after_a1);
  // Another learner's last activity is not zoe's.
  ASSERT_OK(policy->Observe({"", "yan", "a.1", 0.0, 11}));
  EXPECT_EQ(StalledOrder(*policy, ""), after_a2);
  EXPECT_EQ(policy->Observe({"", "zoe", "nope", 0.0, 12}).code(), StatusCode::kNotFound);
  EXPECT_EQ(StalledOrder(*policy, ""), after_a2);

  // Saved and restored into a fork, it recommends as the original.
  const std::string saved = *policy->SaveLearnerState("zoe");
  EXPECT_EQ(saved.rfind("mastery/2\n", 0), 0u) << saved;
  std::unique_ptr<Policy> fork = policy->Fork(0);
  EXPECT_EQ(StalledOrder(*fork, ""), after_a1);  // by the turns of a's answers (3 % 2)
  ASSERT_OK(fork->RestoreLearnerState("zoe", saved));
  EXPECT_EQ(*fork->SaveLearnerState("zoe"), saved);
  EXPECT_EQ(StalledOrder(*fork, ""), after_a2);

  // Bad bytes are refused, naming what is wrong, and change nothing.
  for (const auto& [bytes, what] : std::vector<std::pair<std::string, std::string>>{
           {"mastery/3\n", "format version"},
           {"zpdes/1\n", "'zpdes' policy"},
           {saved.substr(0, saved.size() - 1), "learner state"},
           {saved + "x", "unexpected bytes after the last activity"}}) {
    const Status status = fork->RestoreLearnerState("zoe", bytes);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << what;
    EXPECT_NE(status.message().find(what), std::string::npos) << status.message();
    EXPECT_EQ(*fork->SaveLearnerState("zoe"), saved);
  }

  // What it kept before the tracker kept the answers (mastery/1) is read, and restores nothing,
  // so that learners stored then stay loadable; so is an activity the graph no longer has.
  ASSERT_OK(fork->RestoreLearnerState("zoe", std::string("mastery/1\n") + std::string(8, '\0')));
  EXPECT_EQ(*fork->SaveLearnerState("zoe"), "");
  std::string gone = saved;
  gone[gone.find("a.2")] = 'z';
  ASSERT_OK(fork->RestoreLearnerState("zoe", gone));
  EXPECT_EQ(*fork->SaveLearnerState("zoe"), "");
  ASSERT_OK(policy->RestoreLearnerState("zoe", ""));
  EXPECT_EQ(*policy->SaveLearnerState("zoe"), "");
  EXPECT_NE(*policy->SaveLearnerState("yan"), "");
}

// The stall comes from the tracker's recent answers, which LearnerMastery carries: restored into
// another engine without the events, they give the same recommendations.
TEST(EnginePolicyTest, TheTrackersRecentAnswersDriveTheStallAndARestoreKeepsThem) {
  Result<std::unique_ptr<Engine>> engine = Engine::Create(MakeGraph(), BktModel{});
  ASSERT_OK(engine);
  ASSERT_OK((*engine)->SetRecommenderOptions(StallOptions()));
  for (int i = 0; i < 4; ++i)
    ASSERT_OK((*engine)->Record({"e" + std::to_string(i), "zoe", "a.1", 0.0, i}));
  const LearnerMastery mastery = (*engine)->Mastery("zoe");
  std::vector<MasteryEstimate> practised;
  for (const MasteryEstimate& e : mastery.competencies) {
    if (e.opportunities == 0) continue;
    EXPECT_EQ(e.competency_id, "a");
    EXPECT_EQ(e.opportunities, 4u);
    EXPECT_EQ(e.recent_answers, 0);  // four wrong
    practised.push_back(e);
  }
  ASSERT_EQ(practised.size(), 1u);
  RecommendRequest request;
  request.k = 3;
  Result<std::vector<Recommendation>> recs = (*engine)->Recommend("zoe", request);
  ASSERT_OK(recs);
  const std::vector<std::string> reasons = Reasons(*recs);
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("stalled on a") != std::string::npos;
  })) << ::testing::PrintToString(reasons);

  Result<std::unique_ptr<Engine>> restored = Engine::Create(MakeGraph(), BktModel{});
  ASSERT_OK(restored);
  ASSERT_OK((*restored)->SetRecommenderOptions(StallOptions()));
  ASSERT_OK((*restored)->tracker().RestoreLearner("zoe", practised));
  ASSERT_OK((*restored)->RestoreLearnerState(
      PolicyKind::kMastery, "zoe", *(*engine)->SaveLearnerState(PolicyKind::kMastery, "zoe")));
  Result<std::vector<Recommendation>> again = (*restored)->Recommend("zoe", request);
  ASSERT_OK(again);
  EXPECT_EQ(Reasons(*again), reasons);

  // Estimates that do not know their recent answers (stored before the store kept them) restore
  // as if the recent answers were right: no stall is seen.
  practised[0].recent_answers = -1;
  ASSERT_OK((*restored)->tracker().RestoreLearner("zoe", practised));
  EXPECT_EQ((*restored)->Mastery("zoe").competencies[0].recent_answers, 0b1111);
  Result<std::vector<Recommendation>> unknown = (*restored)->Recommend("zoe", request);
  ASSERT_OK(unknown);
  for (const std::string& r : Reasons(*unknown)) EXPECT_EQ(r.find("stalled"), std::string::npos);
}

// Whether the mastery policy offers a's activities to a learner with P(a) at 0.99 after `seen`
// answers: only while a is not mastered for lack of evidence.
bool OffersA(const GraphDefinition& def, const RecommenderOptions& options, uint32_t seen,
             int32_t recent_answers = -1) {
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  Result<std::unique_ptr<Policy>> policy =
      MakePolicy(PolicyKind::kMastery, *graph, BktModel{}, options);
  EXPECT_OK(policy);
  LearnerState state;
  state.learner_id = "zoe";
  state.competencies = {{0, 0.99, seen, 1, recent_answers}};
  RecommendRequest request;
  request.k = 10;
  Result<std::vector<Recommendation>> recs = (*policy)->Recommend(state, request);
  EXPECT_OK(recs);
  for (const Recommendation& r : *recs)
    if (r.competency_ids.at(0) == "a") return true;
  return false;
}

TEST(PolicyStateTest, EvidenceBeforeMasteredPerCompetencyOverridesTheCourse) {
  GraphDefinition def;
  for (const char* id : {"a", "b"}) {
    Competency c;
    c.id = id;
    def.competencies.push_back(c);
  }
  def.prerequisites = {{"a", "b"}};
  RecommenderOptions course;
  EXPECT_FALSE(OffersA(def, course, 2));  // the course asks for one answer: a is mastered
  def.competencies[0].mastery_min_opportunities = 5;
  EXPECT_TRUE(OffersA(def, course, 2));  // a asks for five
  EXPECT_FALSE(OffersA(def, course, 5));
  // The competency's setting wins over the course's, both ways.
  course.mastery.mastery_min_opportunities = 8;
  EXPECT_FALSE(OffersA(def, course, 5));
  def.competencies[0].mastery_min_opportunities.reset();
  EXPECT_TRUE(OffersA(def, course, 5));
  // A competency that asks for its last answers right reads them from the state.
  course = RecommenderOptions{};
  def.competencies[0].mastery_recent_correct = 2;
  EXPECT_TRUE(OffersA(def, course, 5, 0b11110));   // the last answer wrong
  EXPECT_FALSE(OffersA(def, course, 5, 0b11011));  // the last two right
  EXPECT_FALSE(OffersA(def, course, 5));           // not known: the threshold alone
}

std::unique_ptr<Engine> MakeEngine() {
  Result<std::unique_ptr<Engine>> engine = Engine::Create(MakeGraph(), BktModel{});
  EXPECT_OK(engine);
  if (!engine.ok()) return nullptr;
  EXPECT_OK((*engine)->SetRecommenderOptions(ZpdesOptions()));
  return std::move(engine).value();
}

std::set<std::string> ZpdesZone(const Engine& engine, const std::string& learner) {
  RecommendRequest request;
  request.k = 10;
  Result<std::vector<Recommendation>> recs = engine.Recommend(learner, request, PolicyKind::kZpdes);
  EXPECT_OK(recs);
  std::set<std::string> out;
  if (recs.ok())
    for (const Recommendation& r : *recs) out.insert(r.competency_ids.at(0));
  return out;
}

TEST(EnginePolicyTest, RecordFeedsZpdesAndDuplicatesDoNot) {
  std::unique_ptr<Engine> engine = MakeEngine();
  EXPECT_EQ(ZpdesZone(*engine, "zoe"), (std::set<std::string>{"a", "e"}));
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(engine->Record({"e" + std::to_string(i), "zoe", "a.1", 1.0, i}));
  // A re-sent event is a duplicate for the tracker and must not reach the policy either.
  ASSERT_OK(engine->Record({"e2", "zoe", "a.1", 1.0, 2}));
  ASSERT_OK(engine->RecordBatch({{"e1", "zoe", "a.1", 1.0, 1}}));
  EXPECT_EQ(ZpdesZone(*engine, "zoe"), (std::set<std::string>{"a", "e"}));
  ASSERT_OK(engine->RecordBatch({{"e3", "zoe", "a.2", 1.0, 3}}));
  EXPECT_EQ(ZpdesZone(*engine, "zoe"), (std::set<std::string>{"b", "c", "e"}));
  EXPECT_EQ(ZpdesZone(*engine, "yan"), (std::set<std::string>{"a", "e"}));

  // The state survives a change of options, and RemoveLearner forgets it.
  RecommenderOptions options = ZpdesOptions();
  options.zpdes.exploration = 0.5;
  ASSERT_OK(engine->SetRecommenderOptions(options));
  EXPECT_EQ(ZpdesZone(*engine, "zoe"), (std::set<std::string>{"b", "c", "e"}));
  ASSERT_OK(engine->RemoveLearner("zoe"));
  EXPECT_EQ(*engine->SaveLearnerState(PolicyKind::kZpdes, "zoe"), "");
  EXPECT_EQ(ZpdesZone(*engine, "zoe"), (std::set<std::string>{"a", "e"}));
}

TEST(EnginePolicyTest, SavedStateRestoredInAnotherEngineGivesTheSameDraws) {
  std::unique_ptr<Engine> first = MakeEngine();
  std::unique_ptr<Engine> second = MakeEngine();
  std::unique_ptr<Policy> driver = Make(PolicyKind::kZpdes, ZpdesOptions());
  for (const Observation& o : History(*driver, "zoe", 12)) ASSERT_OK(first->Record(o));
  Result<std::string> bytes = first->SaveLearnerState(PolicyKind::kZpdes, "zoe");
  ASSERT_OK(bytes);
  EXPECT_EQ(*bytes, *driver->SaveLearnerState("zoe"));
  ASSERT_OK(second->RestoreLearnerState(PolicyKind::kZpdes, "zoe", *bytes));
  RecommendRequest request;
  request.k = 3;
  Result<std::vector<Recommendation>> a = first->Recommend("zoe", request, PolicyKind::kZpdes);
  Result<std::vector<Recommendation>> b = second->Recommend("zoe", request, PolicyKind::kZpdes);
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(Ids(*a), Ids(*b));
  // Asking again without new evidence gives the same answer (the draw is a function of the state).
  Result<std::vector<Recommendation>> c = first->Recommend("zoe", request, PolicyKind::kZpdes);
  ASSERT_OK(c);
  EXPECT_EQ(Ids(*a), Ids(*c));
  EXPECT_EQ(second->RestoreLearnerState(PolicyKind::kMastery, "zoe", *bytes).code(),
            StatusCode::kInvalidArgument);
}

TEST(EnginePolicyTest, ColdStartServesThePopulationRecommendation) {
  std::unique_ptr<Engine> engine = MakeEngine();
  ASSERT_OK(engine->Record({"", "veteran", "a.1", 1.0, 1}));
  RecommendRequest request;
  request.k = 3;
  Result<std::unique_ptr<Policy>> policy =
      MakePolicy(PolicyKind::kMastery, engine->graph(), engine->model(), ZpdesOptions());
  ASSERT_OK(policy);
  Result<std::vector<Recommendation>> population =
      (*policy)->Recommend(engine->tracker().PriorMastery("x"), request);
  ASSERT_OK(population);
  ASSERT_FALSE(population->empty());
  for (PolicyKind kind :
       {PolicyKind::kMastery, PolicyKind::kZpdes, PolicyKind::kRandom, PolicyKind::kCurriculum}) {
    Result<std::vector<Recommendation>> fresh = engine->Recommend("newcomer", request, kind);
    ASSERT_TRUE(fresh.ok()) << PolicyKindName(kind) << ": " << fresh.status();
    EXPECT_FALSE(fresh->empty()) << PolicyKindName(kind);
    EXPECT_FALSE(engine->tracker().HasLearner("newcomer"));
  }
  Result<std::vector<Recommendation>> fresh = engine->Recommend("newcomer", request);
  ASSERT_OK(fresh);
  EXPECT_EQ(Ids(*fresh), Ids(*population));
  EXPECT_EQ(fresh->front().score, population->front().score);
}

// A restart from stored states (what pathwised's fast start-up does): the tracker's estimates, the
// pace and the policies' states restored into a new engine, without the events, carry on exactly
// as the engine that saw the events.
TEST(EnginePolicyTest, EngineRestoredFromSavedStatesCarriesOnAsTheOriginal) {
  RecommenderOptions options = ZpdesOptions();
  EngineOptions engine_options;
  engine_options.tracker.individual_pace = true;
  auto make = [&]() {
    Result<std::unique_ptr<Engine>> engine =
        Engine::Create(MakeGraph(), BktModel{}, engine_options);
    EXPECT_OK(engine);
    EXPECT_OK((*engine)->SetRecommenderOptions(options));
    return std::move(engine).value();
  };
  std::unique_ptr<Engine> original = make();
  std::unique_ptr<Engine> restored = make();
  std::unique_ptr<Policy> driver = Make(PolicyKind::kZpdes, options);
  const std::vector<Observation> history = History(*driver, "zoe", 40);
  const size_t cut = 25;
  for (size_t i = 0; i < cut; ++i) ASSERT_OK(original->Record(history[i]));

  std::vector<MasteryEstimate> practised;
  for (const MasteryEstimate& e : original->Mastery("zoe").competencies) {
    if (e.opportunities > 0) practised.push_back(e);
  }
  ASSERT_FALSE(practised.empty());
  ASSERT_OK(restored->tracker().RestoreLearner("zoe", practised));
  ASSERT_OK(restored->tracker().RestorePace("zoe", *original->tracker().SavePace("zoe")));
  for (PolicyKind kind : {PolicyKind::kMastery, PolicyKind::kZpdes}) {
    Result<std::string> bytes = original->SaveLearnerState(kind, "zoe");
    ASSERT_OK(bytes);
    ASSERT_FALSE(bytes->empty()) << PolicyKindName(kind);
    ASSERT_OK(restored->RestoreLearnerState(kind, "zoe", *bytes));
  }

  RecommendRequest request;
  request.k = 4;
  for (size_t i = cut; i <= history.size(); ++i) {
    const LearnerMastery a = original->Mastery("zoe");
    const LearnerMastery b = restored->Mastery("zoe");
    for (size_t c = 0; c < a.competencies.size(); ++c) {
      EXPECT_EQ(a.competencies[c].odds_scale, b.competencies[c].odds_scale) << i;
      EXPECT_EQ(a.competencies[c].odds_exponent, b.competencies[c].odds_exponent) << i;
      EXPECT_EQ(a.competencies[c].opportunities, b.competencies[c].opportunities) << i;
      EXPECT_EQ(a.competencies[c].recent_answers, b.competencies[c].recent_answers) << i;
    }
    for (PolicyKind kind : {PolicyKind::kMastery, PolicyKind::kZpdes}) {
      Result<std::vector<Recommendation>> x = original->Recommend("zoe", request, kind);
      Result<std::vector<Recommendation>> y = restored->Recommend("zoe", request, kind);
      ASSERT_OK(x);
      ASSERT_OK(y);
      EXPECT_EQ(Ids(*x), Ids(*y)) << PolicyKindName(kind) << " after event " << i;
      for (size_t r = 0; r < std::min(x->size(), y->size()); ++r) {
        EXPECT_EQ((*x)[r].score, (*y)[r].score) << PolicyKindName(kind) << " after event " << i;
      }
    }
    if (i == history.size()) break;
    ASSERT_OK(original->Record(history[i]));
    ASSERT_OK(restored->Record(history[i]));
  }
  EXPECT_EQ(*original->tracker().SavePace("zoe"), *restored->tracker().SavePace("zoe"));
}

}  // namespace
}  // namespace pathwise
