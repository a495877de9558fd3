// Tenant without a server: a failed commit leaves memory as the store has it, and the event-id
// filter never forgets an id.
#include "app/tenant.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "app/event_id_filter.h"
#include "app/standards.h"
#include "store/memory_store.h"
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

// Three competencies in a chain a -> b -> c, an activity for each, and act.ab practising a and b.
GraphDefinition ChainDefinition() {
  GraphDefinition def;
  for (const std::string id : {"a", "b", "c"}) {
    Competency competency;
    competency.id = id;
    competency.name = "Competency " + id;
    def.competencies.push_back(competency);
    Activity activity;
    activity.id = "act." + id;
    activity.competencies = {{id, 1.0}};
    activity.expected_minutes = 4;
    def.activities.push_back(activity);
  }
  Activity ab;
  ab.id = "act.ab";
  ab.competencies = {{"a", 1.0}, {"b", 0.5}};
  ab.expected_minutes = 12;
  def.activities.push_back(ab);
  def.prerequisites = {{"a", "b", 1.0}, {"b", "c", 1.0}};
  return def;
}

TEST(TenantTest, FailedCommitLeavesMemoryAsTheStoreHasIt) {
  std::atomic<bool> fail{false};
  store::MemoryStoreOptions options;
  options.fault_hook_for_testing = [&fail](const store::EventBatch&) {
    return fail.load() ? Status::Unavailable("disk on fire") : Status::Ok();
  };
  store::MemoryStore store(options);
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  ASSERT_OK(tenant.PutGraph(ChainDefinition(), std::nullopt));
  ASSERT_OK(tenant.Record({{"e1", "ann", "act.a", 1.0, 10}}, false));
  Result<MasteryView> before = tenant.Mastery("ann", {}, false);
  ASSERT_OK(before);

  fail = true;
  Result<RecordOutcome> failed =
      tenant.Record({{"e2", "ann", "act.a", 0.0, 20}, {"e3", "bob", "act.b", 1.0, 30}}, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  Result<MasteryView> after = tenant.Mastery("ann", {}, false);
  ASSERT_OK(after);
  EXPECT_EQ(after->mastery.competencies[0].p_learned, before->mastery.competencies[0].p_learned);
  EXPECT_EQ(after->mastery.competencies[0].opportunities, 1u);
  EXPECT_EQ(tenant.Mastery("bob", {}, false).status().code(), StatusCode::kNotFound);

  fail = false;
  Result<RecordOutcome> retried =
      tenant.Record({{"e2", "ann", "act.a", 0.0, 20}, {"e3", "bob", "act.b", 1.0, 30}}, false);
  ASSERT_OK(retried);
  EXPECT_EQ(retried->recorded, 2u);
  Result<MasteryView> final_view = tenant.Mastery("ann", {}, false);
  ASSERT_OK(final_view);
  EXPECT_EQ(final_view->mastery.competencies[0].opportunities, 2u);
  Result<LearnerExport> exported = tenant.ExportLearner("ann");
  ASSERT_OK(exported);
  Result<std::vector<store::StoredObservation>> events = exported->RemainingEvents();
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 2u);
}

// An export is the learner as of its start, read a page at a time: events recorded while it is
// read are not in it, and a deletion or a voiding in the middle fails it rather than mix two
// histories.
TEST(TenantExportTest, PagesAreTheLearnerAsOfTheStart) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  ASSERT_OK(tenant.PutGraph(ChainDefinition(), std::nullopt));
  std::vector<Observation> first;
  for (int i = 0; i < 7; ++i) {
    first.push_back({"e" + std::to_string(i), "ann", i % 2 == 0 ? "act.a" : "act.b", 1.0, 10 + i});
  }
  ASSERT_OK(tenant.Record(first, false));

  Result<LearnerExport> exported = tenant.ExportLearner("ann");
  ASSERT_OK(exported);
  const uint64_t version = exported->state().version;
  Result<std::vector<store::StoredObservation>> page = exported->NextEvents(3);
  ASSERT_OK(page);
  ASSERT_EQ(page->size(), 3u);
  std::vector<std::string> ids;
  for (const store::StoredObservation& e : *page) ids.push_back(e.observation.event_id);
  ASSERT_OK(tenant.Record({{"late", "ann", "act.a", 0.0, 99}}, false));  // not part of the export
  for (;;) {
    page = exported->NextEvents(3);
    ASSERT_OK(page);
    if (page->empty()) break;
    for (const store::StoredObservation& e : *page) ids.push_back(e.observation.event_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}));
  EXPECT_EQ(exported->state().version, version);

  Result<LearnerExport> deleted_midway = tenant.ExportLearner("ann");
  ASSERT_OK(deleted_midway);
  ASSERT_OK(deleted_midway->NextEvents(3));
  ASSERT_OK(tenant.DeleteLearner("ann"));
  EXPECT_EQ(deleted_midway->NextEvents(3).status().code(), StatusCode::kAborted);

  ASSERT_OK(tenant.Record(first, false));
  Result<LearnerExport> voided_midway = tenant.ExportLearner("ann");
  ASSERT_OK(voided_midway);
  ASSERT_OK(voided_midway->NextEvents(3));
  ASSERT_OK(tenant.VoidEvents({"e6"}, false));
  EXPECT_EQ(voided_midway->NextEvents(3).status().code(), StatusCode::kAborted);
}

// Two Tenant objects of one tenant on one store stand for two replicas; the memory store announces
// nothing, so each only finds out about the other's writes from the store's version check (and,
// for reads, from the Note* calls a watch would make).
// A replica told that another changed a learner reloads the learner's stored states as stored (the
// states were committed with the events), rather than replaying its events.
TEST(TenantReplicasTest, AReloadRestoresTheStoredStates) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant first("t", &store, &limits);
  ASSERT_OK(first.Load());
  ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
  Tenant second("t", &store, &limits);
  ASSERT_OK(second.Load());
  ASSERT_OK(
      first.Record({{"e1", "ann", "act.a", 1.0, 10}, {"e2", "ann", "act.b", 0.0, 20}}, false));
  second.NoteLearnerChanged("ann");
  Result<MasteryView> from_first = first.Mastery("ann", {}, false);
  Result<MasteryView> from_second = second.Mastery("ann", {}, false);
  ASSERT_OK(from_first);
  ASSERT_OK(from_second);
  EXPECT_EQ(from_second->mastery.competencies[0].p_learned,
            from_first->mastery.competencies[0].p_learned);

  // States that no replay of ann's events gives tell the two ways apart.
  Result<store::StoredLearner> stored = store.GetLearner("t", "ann");
  ASSERT_OK(stored);
  std::vector<MasteryEstimate> marked = stored->competencies;
  for (MasteryEstimate& e : marked) e.opportunities += 40;
  store::EventBatch batch;
  batch.tenant_id = "t";
  batch.learners.push_back({"ann", stored->version, marked});
  ASSERT_OK(store.CommitEvents(batch));
  second.NoteLearnerChanged("ann");
  Result<MasteryView> reloaded = second.Mastery("ann", {"a", "b"}, false);
  ASSERT_OK(reloaded);
  EXPECT_EQ(reloaded->mastery.competencies[0].opportunities, 41u);
  EXPECT_EQ(reloaded->mastery.competencies[1].opportunities, 41u);
}

TEST(TenantReplicasTest, AWriteOnStaleStateIsRetriedAndAnEventSentTwiceCountsOnce) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant first("t", &store, &limits);
  Tenant second("t", &store, &limits);
  ASSERT_OK(first.Load());
  ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
  ASSERT_OK(second.Load());
  ASSERT_OK(first.Record({{"e1", "ann", "act.a", 1.0, 10}}, false));

  // The second replica has never seen ann: its commit (expected version 0) fails with Aborted;
  // it reloads ann, finds e1 stored, and records e2 alone.
  Result<RecordOutcome> through_second =
      second.Record({{"e1", "ann", "act.a", 1.0, 10}, {"e2", "ann", "act.b", 0.0, 20}}, false);
  ASSERT_OK(through_second);
  EXPECT_EQ(through_second->recorded, 1u);
  EXPECT_EQ(through_second->duplicate_indices, std::vector<uint32_t>{0});

  // And back: the first replica's ann (version 1) is stale now.
  Result<RecordOutcome> through_first =
      first.Record({{"e2", "ann", "act.b", 0.0, 20}, {"e3", "ann", "act.a", 1.0, 30}}, false);
  ASSERT_OK(through_first);
  EXPECT_EQ(through_first->recorded, 1u);
  EXPECT_EQ(through_first->duplicate_indices, std::vector<uint32_t>{0});

  // The first replica wrote last, so it serves the store's ann; the second serves it once told.
  Tenant fresh("t", &store, &limits);
  ASSERT_OK(fresh.Load());
  Result<MasteryView> want = fresh.Mastery("ann", {}, false);
  ASSERT_OK(want);
  Result<MasteryView> from_first = first.Mastery("ann", {}, false);
  ASSERT_OK(from_first);
  second.NoteLearnerChanged("ann");
  Result<MasteryView> from_second = second.Mastery("ann", {}, false);
  ASSERT_OK(from_second);
  ASSERT_EQ(want->mastery.competencies.size(), 3u);
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(from_first->mastery.competencies[c].p_learned,
              want->mastery.competencies[c].p_learned);
    EXPECT_EQ(from_second->mastery.competencies[c].p_learned,
              want->mastery.competencies[c].p_learned);
    EXPECT_EQ(from_second->mastery.competencies[c].opportunities,
              want->mastery.competencies[c].opportunities);
  }
  Result<std::vector<store::StoredObservation>> events = store.ListEvents("t", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(events->size(), 3u);
}

TEST(TenantReplicasTest, ACurriculumPutElsewhereIsServedOnceAnnounced) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant first("t", &store, &limits);
  Tenant second("t", &store, &limits);
  ASSERT_OK(first.Load());
  ASSERT_OK(second.Load());
  ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
  ASSERT_OK(first.Record({{"e1", "bea", "act.ab", 1.0, 10}}, false));
  EXPECT_EQ(second.Record({{"e2", "bea", "act.a", 1.0, 20}}, false).status().code(),
            StatusCode::kFailedPrecondition);

  second.NoteCurriculumChanged();
  // A learner created elsewhere, never announced to `second`, is found through the store too.
  Result<RecordOutcome> recorded = second.Record({{"e2", "bea", "act.a", 1.0, 20}}, false);
  ASSERT_OK(recorded);
  EXPECT_EQ(recorded->recorded, 1u);
  EXPECT_EQ(second.curriculum()->graph_version, 1);
  first.NoteLearnerChanged("bea");
  Result<MasteryView> from_first = first.Mastery("bea", {"a"}, false);
  Result<MasteryView> from_second = second.Mastery("bea", {"a"}, false);
  ASSERT_OK(from_first);
  ASSERT_OK(from_second);
  EXPECT_EQ(from_first->mastery.competencies[0].opportunities, 2u);
  EXPECT_EQ(from_second->mastery.competencies[0].p_learned,
            from_first->mastery.competencies[0].p_learned);
}

TEST(TenantReplicasTest, ARebuildWhoseRewriteMeetsAnotherReplicasWriteRedoesThoseLearners) {
  std::atomic<bool> conflict{false};
  store::MemoryStoreOptions options;
  // The rebuild's first rewrite of states fails as it would when another replica recorded for one
  // of its learners after the rebuild read them.
  options.fault_hook_for_testing = [&conflict](const store::EventBatch& batch) {
    if (batch.events.empty() && conflict.exchange(false)) {
      return Status(StatusCode::kAborted, "learner 'ann': expected version 1, stored 2");
    }
    return Status::Ok();
  };
  store::MemoryStore store(options);
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  ASSERT_OK(tenant.PutGraph(ChainDefinition(), std::nullopt));
  ASSERT_OK(
      tenant.Record({{"e1", "ann", "act.ab", 1.0, 10}, {"e2", "bob", "act.a", 0.0, 20}}, false));
  BktModel model;
  model.defaults.prior = 0.3;
  conflict = true;
  Result<PutModelOutcome> put = tenant.PutModel(std::string(kActiveModelName), model);
  ASSERT_OK(put);
  EXPECT_FALSE(conflict.load());  // the conflict did happen
  // The stored states are those of the new model, as served.
  for (const std::string learner : {"ann", "bob"}) {
    Result<MasteryView> live = tenant.Mastery(learner, {"a"}, false);
    Result<store::StoredLearner> stored = store.GetLearner("t", learner);
    ASSERT_OK(live);
    ASSERT_OK(stored);
    ASSERT_FALSE(stored->competencies.empty());
    EXPECT_EQ(stored->competencies[0].competency_id, "a");
    EXPECT_EQ(stored->competencies[0].p_learned, live->mastery.competencies[0].p_learned)
        << learner;
  }
}

TEST(TenantTest, RecordWithoutGraphIsFailedPrecondition) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  EXPECT_EQ(tenant.Record({{"e1", "ann", "act.a", 1.0, 10}}, false).status().code(),
            StatusCode::kFailedPrecondition);
}

// A course that reads the learners' answers (stalls, evidence) and tracks their pace.
RecommenderOptions StallOptions() {
  RecommenderOptions options;
  options.mastery.progress_weight = 1.0;
  options.mastery.stall_min_attempts = 3;
  options.mastery.stall_max_recent_correct = 0;
  options.mastery.mastery_recent_correct = 2;
  return options;
}

TrackerOptions PaceOptions() {
  TrackerOptions options;
  options.individual_pace = true;
  return options;
}

const store::PolicyState* FindPolicyState(const store::StoredLearner& state,
                                          const std::string& name) {
  for (const store::PolicyState& p : state.policy_states)
    if (p.policy == name) return &p;
  return nullptr;
}

// Every part's reason, whether or not it contributed.
std::vector<std::string> ReasonsOf(Tenant& tenant, const std::string& learner) {
  RecommendCall call;
  call.learner_id = learner;
  call.request.k = 3;
  Result<RecommendView> view = tenant.Recommend(call);
  EXPECT_OK(view);
  std::vector<std::string> out;
  if (view.ok())
    for (const Recommendation& r : view->recommendations)
      for (const PartScore& part : r.parts) out.push_back(r.activity_id + ": " + part.reason);
  return out;
}

TEST(TenantTest, PaceAndRecentAnswersAreStoredWithTheEventsAndRestored) {
  std::atomic<bool> fail{false};
  store::MemoryStoreOptions store_options;
  store_options.fault_hook_for_testing = [&fail](const store::EventBatch&) {
    return fail.load() ? Status::Unavailable("disk on fire") : Status::Ok();
  };
  store::MemoryStore store(store_options);
  ServiceLimits limits;
  Tenant first("t", &store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(first.Load());
  ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
  std::vector<Observation> events;
  for (int i = 0; i < 8; ++i)
    events.push_back({"e" + std::to_string(i), "ann", "act.a", i == 2 ? 1.0 : 0.0, 10 + i});
  ASSERT_OK(first.Record(events, false));
  const Engine& engine = *first.curriculum()->engine;
  Result<LearnerFactors> pace = engine.tracker().Pace("ann");
  ASSERT_OK(pace);
  EXPECT_LT(pace->learn_offset, 0.0);  // slower than the population: the pace was estimated

  // Both are in the store, committed with the events: the pace as a policy state, the recent
  // answers with the mastery states; the mastery policy keeps only the last activity.
  Result<store::StoredLearner> stored = store.GetLearner("t", "ann");
  ASSERT_OK(stored);
  const store::PolicyState* stored_pace = FindPolicyState(*stored, "pace");
  ASSERT_NE(stored_pace, nullptr);
  EXPECT_EQ(stored_pace->state, *engine.tracker().SavePace("ann"));
  const store::PolicyState* stored_last = FindPolicyState(*stored, "mastery");
  ASSERT_NE(stored_last, nullptr);
  EXPECT_EQ(stored_last->state, *engine.SaveLearnerState(PolicyKind::kMastery, "ann"));
  EXPECT_NE(stored_last->state.find("act.a"), std::string::npos);
  ASSERT_EQ(stored->competencies.size(), 1u);
  EXPECT_EQ(stored->competencies[0].competency_id, "a");
  EXPECT_EQ(stored->competencies[0].recent_answers, 0b00100000);  // the third of eight right
  EXPECT_EQ(stored->competencies[0].recent_answers,
            engine.Mastery("ann").competencies[0].recent_answers);
  const std::vector<std::string> reasons = ReasonsOf(first, "ann");
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("stalled on a") != std::string::npos;
  })) << ::testing::PrintToString(reasons);

  // A failed commit reloads the learner from the store: the stored pace is restored as it was.
  fail = true;
  ASSERT_FALSE(first.Record({{"x1", "ann", "act.a", 1.0, 100}}, false).ok());
  fail = false;
  EXPECT_EQ(*first.curriculum()->engine->tracker().SavePace("ann"), stored_pace->state);
  EXPECT_EQ(*first.curriculum()->engine->SaveLearnerState(PolicyKind::kMastery, "ann"),
            stored_last->state);

  // A restart (a new tenant on the same store) serves the same pace, answers and recommendations.
  Tenant second("t", &store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(second.Load());
  second.WaitForWarmUp();
  const Engine& reloaded = *second.curriculum()->engine;
  EXPECT_EQ(*reloaded.tracker().SavePace("ann"), stored_pace->state);
  EXPECT_EQ(*reloaded.SaveLearnerState(PolicyKind::kMastery, "ann"), stored_last->state);
  EXPECT_EQ(*reloaded.tracker().Pace("ann"), *pace);
  EXPECT_TRUE(second.last_load().from_states);
  EXPECT_EQ(reloaded.Mastery("ann").competencies[0].recent_answers, 0b00100000);
  EXPECT_EQ(ReasonsOf(second, "ann"), reasons);

  // A course without individual pace drops its record rather than keep a stale one.
  Tenant plain("t", &store, &limits);
  ASSERT_OK(plain.Load());
  stored = store.GetLearner("t", "ann");
  ASSERT_OK(stored);
  std::vector<std::string> names;
  for (const store::PolicyState& p : stored->policy_states) names.push_back(p.policy);
  // The mastery policy (the last activity) and zpdes keep their states in every course.
  EXPECT_EQ(names, (std::vector<std::string>{"mastery", "zpdes"}));
}

// ---- Restart from stored states -----------------------------------------------------------------

// Events of `learners` learners on the chain's activities, a seeded mix of outcomes; ids
// "<prefix><n>".
std::vector<Observation> RandomEvents(const std::string& prefix, int count, int learners,
                                      uint64_t seed, TimestampMs start) {
  std::mt19937_64 rng(seed);
  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab"};
  std::vector<Observation> out;
  for (int i = 0; i < count; ++i) {
    const std::string learner = "l" + std::to_string(rng() % static_cast<uint64_t>(learners));
    const double outcome = rng() % 3 == 0 ? 0.0 : (rng() % 5 == 0 ? 0.5 : 1.0);
    out.push_back({prefix + std::to_string(i), learner, activities[rng() % 4], outcome, start + i});
  }
  return out;
}

void RecordAll(Tenant& tenant, const std::vector<Observation>& events) {
  for (size_t i = 0; i < events.size(); i += 16) {
    std::vector<Observation> batch(
        events.begin() + static_cast<std::ptrdiff_t>(i),
        events.begin() + static_cast<std::ptrdiff_t>(std::min(i + 16, events.size())));
    ASSERT_OK(tenant.Record(std::move(batch), false));
  }
}

// Mastery bit for bit, and every policy's recommendations with their scores.
void ExpectSameServing(Tenant& a, Tenant& b, int learners) {
  for (int l = 0; l < learners; ++l) {
    const std::string learner = "l" + std::to_string(l);
    Result<MasteryView> x = a.Mastery(learner, {}, true);
    Result<MasteryView> y = b.Mastery(learner, {}, true);
    ASSERT_EQ(x.ok(), y.ok()) << learner;
    if (!x.ok()) continue;
    ASSERT_EQ(x->mastery.competencies.size(), y->mastery.competencies.size());
    for (size_t c = 0; c < x->mastery.competencies.size(); ++c) {
      const MasteryEstimate& e = x->mastery.competencies[c];
      const MasteryEstimate& f = y->mastery.competencies[c];
      EXPECT_EQ(e.p_learned, f.p_learned) << learner << " " << e.competency_id;
      EXPECT_EQ(e.log_odds, f.log_odds) << learner << " " << e.competency_id;
      EXPECT_EQ(e.recent_answers, f.recent_answers) << learner << " " << e.competency_id;
      // NaN (no odds) for a competency never practised.
      EXPECT_TRUE(e.odds_scale == f.odds_scale ||
                  (std::isnan(e.odds_scale) && std::isnan(f.odds_scale)))
          << learner << " " << e.competency_id << ": " << e.odds_scale << " vs " << f.odds_scale;
      EXPECT_EQ(e.odds_exponent, f.odds_exponent) << learner << " " << e.competency_id;
      EXPECT_EQ(e.opportunities, f.opportunities) << learner << " " << e.competency_id;
      EXPECT_EQ(e.mastered, f.mastered) << learner << " " << e.competency_id;
      EXPECT_EQ(e.last_practiced_ms, f.last_practiced_ms) << learner << " " << e.competency_id;
    }
    ASSERT_EQ(x->pace.has_value(), y->pace.has_value()) << learner;
    if (x->pace) {
      EXPECT_EQ(*x->pace, *y->pace) << learner;
    }
    for (PolicyKind kind : {PolicyKind::kMastery, PolicyKind::kZpdes}) {
      RecommendCall call;
      call.learner_id = learner;
      call.request.k = 3;
      call.policy = kind;
      Result<RecommendView> r = a.Recommend(call);
      Result<RecommendView> q = b.Recommend(call);
      ASSERT_OK(r);
      ASSERT_OK(q);
      ASSERT_EQ(r->recommendations.size(), q->recommendations.size()) << learner;
      for (size_t i = 0; i < r->recommendations.size(); ++i) {
        EXPECT_EQ(r->recommendations[i].activity_id, q->recommendations[i].activity_id)
            << learner << " " << PolicyKindName(kind);
        EXPECT_EQ(r->recommendations[i].score, q->recommendations[i].score)
            << learner << " " << PolicyKindName(kind);
      }
    }
  }
}

TEST(TenantRestartTest, FastRestartServesWhatAnUninterruptedTenantServes) {
  constexpr int kLearners = 12;
  ServiceLimits limits;
  store::MemoryStore uninterrupted_store;
  store::MemoryStore restarted_store;
  Tenant uninterrupted("t", &uninterrupted_store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(uninterrupted.Load());
  ASSERT_OK(uninterrupted.PutGraph(ChainDefinition(), std::nullopt));
  const std::vector<Observation> before = RandomEvents("a", 400, kLearners, 3, 1000);
  const std::vector<Observation> after = RandomEvents("b", 300, kLearners, 4, 5000);
  RecordAll(uninterrupted, before);
  {
    Tenant first("t", &restarted_store, &limits, StallOptions(), PaceOptions());
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, before);
  }
  Tenant restarted("t", &restarted_store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(restarted.Load());
  EXPECT_TRUE(restarted.last_load().from_states);
  restarted.WaitForWarmUp();
  EXPECT_TRUE(restarted.last_load().warm_up_complete);
  EXPECT_EQ(restarted.last_load().learners, static_cast<uint64_t>(kLearners));
  EXPECT_EQ(restarted.last_load().replayed, 0u);
  ExpectSameServing(uninterrupted, restarted, kLearners);

  RecordAll(uninterrupted, after);
  RecordAll(restarted, after);
  ExpectSameServing(uninterrupted, restarted, kLearners);
  for (int l = 0; l < kLearners; ++l) {
    const std::string learner = "l" + std::to_string(l);
    EXPECT_EQ(uninterrupted_store.GetLearner("t", learner)->policy_states,
              restarted_store.GetLearner("t", learner)->policy_states)
        << learner;
  }

  // The replay path serves the same: a tenant whose origin is gone rebuilds from the events.
  ASSERT_OK(restarted_store.PutStateOrigin("t", ""));
  Tenant replayed("t", &restarted_store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(replayed.Load());
  EXPECT_FALSE(replayed.last_load().from_states);
  EXPECT_TRUE(replayed.event_filter_complete());
  ExpectSameServing(uninterrupted, replayed, kLearners);
}

TEST(TenantRestartTest, DuplicatesRightAfterAFastRestartAreNotCountedTwice) {
  ServiceLimits limits;
  store::MemoryStore store;
  const std::vector<Observation> events = RandomEvents("e", 3000, 500, 9, 1000);
  {
    Tenant first("t", &store, &limits);
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, events);
  }
  Tenant restarted("t", &store, &limits);
  ASSERT_OK(restarted.Load());
  ASSERT_TRUE(restarted.last_load().from_states);
  // At once (the event-id filter is most likely still being filled), then once it is complete.
  for (int round = 0; round < 2; ++round) {
    if (round == 1) {
      for (int i = 0; i < 2000 && !restarted.event_filter_complete(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      ASSERT_TRUE(restarted.event_filter_complete());
    }
    const Observation& old_event = events[static_cast<size_t>(round) * 1234];
    Result<MasteryView> before = restarted.Mastery(old_event.learner_id, {}, false);
    ASSERT_OK(before);
    Observation fresh = old_event;
    fresh.event_id = "new" + std::to_string(round);
    Result<RecordOutcome> outcome = restarted.Record({old_event, fresh}, false);
    ASSERT_OK(outcome);
    EXPECT_EQ(outcome->recorded, 1u) << "round " << round;
    EXPECT_EQ(outcome->duplicate_indices, std::vector<uint32_t>{0}) << "round " << round;
    Result<MasteryView> after = restarted.Mastery(old_event.learner_id, {}, false);
    ASSERT_OK(after);
    uint64_t added = 0;
    for (size_t c = 0; c < after->mastery.competencies.size(); ++c) {
      added += after->mastery.competencies[c].opportunities -
               before->mastery.competencies[c].opportunities;
    }
    EXPECT_GE(added, 1u);  // the fresh event only: act.ab adds 2, the others 1
    EXPECT_LE(added, 2u);
  }
}

TEST(TenantRestartTest, ARebuildCutShortForcesAReplay) {
  std::atomic<bool> fail{false};
  store::MemoryStoreOptions options;
  options.fault_hook_for_testing = [&fail](const store::EventBatch&) {
    return fail.load() ? Status::Unavailable("power cut") : Status::Ok();
  };
  store::MemoryStore store(options);
  ServiceLimits limits;
  const std::vector<Observation> events = RandomEvents("e", 200, 10, 5, 1000);
  GraphDefinition changed = ChainDefinition();
  BktParams moved;
  moved.prior = 0.35;  // every learner's a moves
  changed.competencies[0].params = moved;
  {
    Tenant first("t", &store, &limits);
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, events);
    // The new graph is stored, then the rewrite of the states fails: as a crash halfway would.
    fail = true;
    EXPECT_FALSE(first.PutGraph(changed, std::nullopt).ok());
    fail = false;
  }
  EXPECT_EQ(*store.GetStateOrigin("t"), "");
  Tenant second("t", &store, &limits);
  ASSERT_OK(second.Load());
  EXPECT_FALSE(second.last_load().from_states);
  EXPECT_EQ(second.curriculum()->graph_version, 2);
  EXPECT_NE(*store.GetStateOrigin("t"), "");

  // The replay rewrote the states under graph 2: the next start restores them, and serves the
  // same as the replay did.
  Tenant third("t", &store, &limits);
  ASSERT_OK(third.Load());
  EXPECT_TRUE(third.last_load().from_states);
  ExpectSameServing(second, third, 10);

  // Other settings (individual pace here) make the stored states stale too.
  Tenant paced("t", &store, &limits, {}, PaceOptions());
  ASSERT_OK(paced.Load());
  EXPECT_FALSE(paced.last_load().from_states);
}

TEST(TenantRestartTest, StatesStoredWithoutOddsAreReplayedOnceThenRestored) {
  ServiceLimits limits;
  store::MemoryStore store;
  {
    Tenant first("t", &store, &limits);
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, RandomEvents("e", 100, 5, 6, 1000));
  }
  // As a store written before it kept the odds: the log-odds alone cannot restore them exactly.
  Result<store::StoredLearner> l0 = store.GetLearner("t", "l0");
  ASSERT_OK(l0);
  std::vector<MasteryEstimate> without_odds = l0->competencies;
  for (MasteryEstimate& e : without_odds) e.odds_scale = std::numeric_limits<double>::quiet_NaN();
  store::EventBatch batch;
  batch.tenant_id = "t";
  batch.learners.push_back({"l0", l0->version, without_odds});
  ASSERT_OK(store.CommitEvents(batch));

  // Only that learner is replayed, by the warm-up, and its states rewritten.
  Tenant second("t", &store, &limits);
  ASSERT_OK(second.Load());
  EXPECT_TRUE(second.last_load().from_states);
  second.WaitForWarmUp();
  EXPECT_EQ(second.last_load().learners, 5u);
  EXPECT_EQ(second.last_load().replayed, 1u);
  Result<store::StoredLearner> rewritten = store.GetLearner("t", "l0");
  ASSERT_OK(rewritten);
  for (const MasteryEstimate& e : rewritten->competencies) {
    EXPECT_FALSE(std::isnan(e.odds_scale)) << e.competency_id;  // rewritten with the odds
  }
  Tenant third("t", &store, &limits);
  ASSERT_OK(third.Load());
  EXPECT_TRUE(third.last_load().from_states);
  third.WaitForWarmUp();
  EXPECT_EQ(third.last_load().replayed, 0u);
  ExpectSameServing(second, third, 5);

  // A call that loads the learner before the warm-up does replays it alike.
  batch.learners[0].expected_version = rewritten->version;
  ASSERT_OK(store.CommitEvents(batch));
  Tenant fourth("t", &store, &limits);
  fourth.PauseWarmUpForTesting(true);
  ASSERT_OK(fourth.Load());
  ExpectSameServing(second, fourth, 5);
  Result<store::StoredLearner> healed = store.GetLearner("t", "l0");
  ASSERT_OK(healed);
  for (const MasteryEstimate& e : healed->competencies) {
    EXPECT_FALSE(std::isnan(e.odds_scale)) << e.competency_id;
  }
}

// A tenant restarted on many stored learners serves before its warm-up has restored them: what a
// call needs it loads first (the warm-up is held here, so no learner is loaded by it), and every
// answer is the one of a tenant that never stopped.
TEST(TenantRestartTest, CallsBeforeTheWarmUpReachesALearnerGetWhatAFullRestoreGives) {
  constexpr int kLearners = 40;
  ServiceLimits limits;
  store::MemoryStore uninterrupted_store;
  store::MemoryStore restarted_store;
  Tenant uninterrupted("t", &uninterrupted_store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(uninterrupted.Load());
  ASSERT_OK(uninterrupted.PutGraph(ChainDefinition(), std::nullopt));
  const std::vector<Observation> before = RandomEvents("a", 800, kLearners, 3, 1000);
  const std::vector<Observation> after = RandomEvents("b", 300, kLearners / 2, 4, 5000);
  Roster roster;
  roster.classes.push_back({"class1", "Class 1", "", "", {"l1", "l3", "l5", "l7", "nobody"}, {}});
  roster.learners = roster.classes[0].learners;
  RecordAll(uninterrupted, before);
  ASSERT_OK(uninterrupted.PutRoster(roster));
  {
    Tenant first("t", &restarted_store, &limits, StallOptions(), PaceOptions());
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, before);
    ASSERT_OK(first.PutRoster(roster));
  }
  Tenant restarted("t", &restarted_store, &limits, StallOptions(), PaceOptions());
  restarted.PauseWarmUpForTesting(true);
  ASSERT_OK(restarted.Load());
  ASSERT_TRUE(restarted.last_load().from_states);
  EXPECT_FALSE(restarted.last_load().warm_up_complete);
  // Ready without a learner in memory.
  EXPECT_EQ(restarted.curriculum()->engine->tracker().num_learners(), 0u);
  // What needs every learner lists them from the store.
  EXPECT_EQ(restarted.num_learners(), static_cast<size_t>(kLearners));

  // A class report reads each of its learners.
  ClassReportCall report_call;
  report_call.class_id = "class1";
  Result<ClassReportOutcome> want_report =
      BuildTenantClassReport(uninterrupted, report_call, limits);
  Result<ClassReportOutcome> got_report = BuildTenantClassReport(restarted, report_call, limits);
  ASSERT_OK(want_report);
  ASSERT_OK(got_report);
  EXPECT_EQ(got_report->events, want_report->events);
  EXPECT_EQ(got_report->learners, want_report->learners);
  EXPECT_EQ(got_report->html, want_report->html);

  // Writes to learners no call has loaded build on their stored states: same duplicates, same
  // mastery and policy states, the stored history extended.
  const std::vector<Observation> resent(before.end() - 5, before.end());
  Result<RecordOutcome> want_resent = uninterrupted.Record(resent, false);
  Result<RecordOutcome> got_resent = restarted.Record(resent, false);
  ASSERT_OK(want_resent);
  ASSERT_OK(got_resent);
  EXPECT_EQ(got_resent->recorded, 0u);
  EXPECT_EQ(got_resent->duplicate_indices, want_resent->duplicate_indices);
  RecordAll(uninterrupted, after);
  RecordAll(restarted, after);
  // Voiding finds an event of a learner no call has loaded yet.
  const std::vector<std::string> voided = {before[7].event_id, "no-such-event"};
  Result<VoidOutcome> want_void = uninterrupted.VoidEvents(voided, false);
  Result<VoidOutcome> got_void = restarted.VoidEvents(voided, false);
  ASSERT_OK(want_void);
  ASSERT_OK(got_void);
  ASSERT_EQ(got_void->removed.size(), 1u);
  EXPECT_EQ(got_void->removed[0].learner_id, want_void->removed[0].learner_id);
  EXPECT_EQ(got_void->not_found, want_void->not_found);

  ExpectSameServing(uninterrupted, restarted, kLearners);
  for (int l = 0; l < kLearners; ++l) {
    const std::string learner = "l" + std::to_string(l);
    Result<store::StoredLearner> want = uninterrupted_store.GetLearner("t", learner);
    Result<store::StoredLearner> got = restarted_store.GetLearner("t", learner);
    ASSERT_OK(want);
    ASSERT_OK(got);
    EXPECT_EQ(got->policy_states, want->policy_states) << learner;
    EXPECT_EQ(restarted_store.ListEvents("t", learner, 0, 0)->size(),
              uninterrupted_store.ListEvents("t", learner, 0, 0)->size())
        << learner;
  }
  EXPECT_EQ(restarted.Mastery("nobody", {}, false).status().code(), StatusCode::kNotFound);

  // The warm-up, let go, skips the learners calls loaded and restores the rest.
  restarted.PauseWarmUpForTesting(false);
  restarted.WaitForWarmUp();
  EXPECT_TRUE(restarted.last_load().warm_up_complete);
  EXPECT_EQ(restarted.curriculum()->engine->tracker().num_learners(),
            uninterrupted.curriculum()->engine->tracker().num_learners());
  ExpectSameServing(uninterrupted, restarted, kLearners);
}

// The warm-up restores some learners while calls load others, and a new curriculum or the end of
// the tenant stops it where it is.
TEST(TenantRestartTest, ANewCurriculumOrShutdownStopsTheWarmUpCleanly) {
  constexpr int kLearners = 30;
  ServiceLimits limits;
  store::MemoryStore store;
  store::MemoryStore reference_store;
  const std::vector<Observation> events = RandomEvents("e", 600, kLearners, 11, 1000);
  GraphDefinition changed = ChainDefinition();
  BktParams moved;
  moved.prior = 0.35;
  changed.competencies[0].params = moved;
  {
    Tenant first("t", &store, &limits);
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, events);
  }
  {
    // Destroyed while its warm-up is held: the destructor stops it.
    Tenant held("t", &store, &limits);
    held.PauseWarmUpForTesting(true);
    ASSERT_OK(held.Load());
    ASSERT_OK(held.Mastery("l3", {}, false));
  }
  {
    Tenant stopped("t", &store, &limits);
    stopped.PauseWarmUpForTesting(true);
    ASSERT_OK(stopped.Load());
    stopped.StopBackgroundWork();
    EXPECT_FALSE(stopped.last_load().warm_up_complete);
    stopped.WaitForWarmUp();  // returns: none runs
    Tenant reference("t", &store, &limits);
    ASSERT_OK(reference.Load());
    reference.WaitForWarmUp();
    ExpectSameServing(reference, stopped, kLearners);  // every learner loads on first use
  }
  Tenant reference("t", &reference_store, &limits);
  ASSERT_OK(reference.Load());
  ASSERT_OK(reference.PutGraph(ChainDefinition(), std::nullopt));
  RecordAll(reference, events);
  ASSERT_OK(reference.PutGraph(changed, std::nullopt));

  Tenant restarted("t", &store, &limits);
  restarted.PauseWarmUpForTesting(true);
  ASSERT_OK(restarted.Load());
  ASSERT_OK(restarted.Mastery("l1", {}, false));
  // A new graph while the warm-up is held: it stops, and every learner is rebuilt under the graph.
  Result<PutGraphOutcome> put = restarted.PutGraph(changed, std::nullopt);
  ASSERT_OK(put);
  EXPECT_EQ(put->learners_rescored, static_cast<uint64_t>(kLearners));
  restarted.WaitForWarmUp();
  EXPECT_FALSE(restarted.last_load().warm_up_complete);
  EXPECT_EQ(restarted.num_learners(), static_cast<size_t>(kLearners));
  ExpectSameServing(reference, restarted, kLearners);
}

TEST(TenantRestartTest, AnEvidenceRuleOnRecentAnswersRestoresFromStates) {
  // Stored states carry the tracker's recent answers, which this rule reads.
  constexpr int kLearners = 6;
  ServiceLimits limits;
  store::MemoryStore uninterrupted_store;
  store::MemoryStore restarted_store;
  Tenant uninterrupted("t", &uninterrupted_store, &limits, StallOptions());
  ASSERT_OK(uninterrupted.Load());
  ASSERT_OK(uninterrupted.PutGraph(ChainDefinition(), std::nullopt));
  const std::vector<Observation> events = RandomEvents("a", 200, kLearners, 5, 1000);
  RecordAll(uninterrupted, events);
  {
    Tenant first("t", &restarted_store, &limits, StallOptions());
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, events);
  }
  Tenant restarted("t", &restarted_store, &limits, StallOptions());
  ASSERT_OK(restarted.Load());
  EXPECT_TRUE(restarted.last_load().from_states);
  ExpectSameServing(uninterrupted, restarted, kLearners);
}

// ---- Memory compaction --------------------------------------------------------------------------

TEST(TenantCompactionTest, CompactingChangesNoAnswerNowOrLater) {
  constexpr int kLearners = 12;
  ServiceLimits limits;
  store::MemoryStore compacted_store;
  store::MemoryStore twin_store;
  Tenant compacted("t", &compacted_store, &limits, StallOptions(), PaceOptions());
  Tenant twin("t", &twin_store, &limits, StallOptions(), PaceOptions());  // never compacted
  for (Tenant* tenant : {&compacted, &twin}) {
    ASSERT_OK(tenant->Load());
    ASSERT_OK(tenant->PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(*tenant, RandomEvents("a", 400, kLearners, 3, 1000));
  }
  // Grown by recording, one competency and one zone arm at a time: room to give back.
  EXPECT_GT(compacted.CompactMemory(), 0u);
  EXPECT_EQ(compacted.CompactMemory(), 0u);
  ExpectSameServing(compacted, twin, kLearners);

  const std::vector<Observation> later = RandomEvents("b", 300, kLearners + 4, 4, 5000);
  RecordAll(compacted, later);
  RecordAll(twin, later);
  ExpectSameServing(compacted, twin, kLearners + 4);
  for (int l = 0; l < kLearners + 4; ++l) {
    const std::string learner = "l" + std::to_string(l);
    EXPECT_EQ(compacted_store.GetLearner("t", learner)->policy_states,
              twin_store.GetLearner("t", learner)->policy_states)
        << learner;
  }
}

TEST(TenantCompactionTest, ARebuildServesCompactedState) {
  constexpr int kLearners = 12;
  ServiceLimits limits;
  store::MemoryStore store;
  {
    Tenant first("t", &store, &limits, StallOptions(), PaceOptions());
    ASSERT_OK(first.Load());
    ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
    RecordAll(first, RandomEvents("a", 400, kLearners, 3, 1000));
  }
  // A start by replay records every learner's events again: compacted before it serves.
  ASSERT_OK(store.PutStateOrigin("t", ""));
  Tenant replayed("t", &store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(replayed.Load());
  EXPECT_FALSE(replayed.last_load().from_states);
  EXPECT_EQ(replayed.curriculum()->engine->tracker().num_learners(), size_t{kLearners});
  EXPECT_EQ(replayed.CompactMemory(), 0u);
  // So does a new graph, which replays them under it.
  ASSERT_OK(replayed.PutGraph(ChainDefinition(), std::nullopt));
  EXPECT_EQ(replayed.CompactMemory(), 0u);
}

TEST(EventIdFilterTest, NeverForgetsAndRarelyInventsAcrossGenerations) {
  EventIdFilter filter(/*initial_capacity=*/1000);
  constexpr int kInserted = 50000;  // grows through several generations
  for (int i = 0; i < kInserted; ++i) {
    filter.Insert("learner" + std::to_string(i % 97), "event" + std::to_string(i));
  }
  EXPECT_EQ(filter.size(), static_cast<size_t>(kInserted));
  for (int i = 0; i < kInserted; ++i) {
    ASSERT_TRUE(filter.MayContain("learner" + std::to_string(i % 97), "event" + std::to_string(i)))
        << i;
  }
  int false_positives = 0;
  constexpr int kProbed = 50000;
  for (int i = 0; i < kProbed; ++i) {
    false_positives +=
        filter.MayContain("learner" + std::to_string(i % 97), "other" + std::to_string(i)) ? 1 : 0;
  }
  // About 1-2% per generation, and a lookup checks every generation (4 here).
  EXPECT_LT(false_positives, kProbed / 10) << false_positives;
  // The pair, not the concatenation, is what is stored.
  EventIdFilter pairs;
  pairs.Insert("ab", "c");
  EXPECT_TRUE(pairs.MayContain("ab", "c"));
  EXPECT_FALSE(pairs.MayContain("a", "bc"));
}

TEST(EventIdFilterTest, BatchInsertsLargerThanAGenerationAreAllKept) {
  EventIdFilter filter(/*initial_capacity=*/100);
  std::vector<EventIdFilter::Key> keys;
  for (int batch = 0; batch < 3; ++batch) {
    keys.clear();
    // 90, then 900 (more than the room left and than the next generation), then 9000.
    const int size = batch == 0 ? 90 : batch == 1 ? 900 : 9000;
    for (int i = 0; i < size; ++i) {
      keys.push_back(EventIdFilter::KeyOf("ann", std::to_string(batch) + "/" + std::to_string(i)));
    }
    filter.InsertAll(keys);
  }
  EXPECT_EQ(filter.size(), 90u + 900u + 9000u);
  for (int batch = 0; batch < 3; ++batch) {
    const int size = batch == 0 ? 90 : batch == 1 ? 900 : 9000;
    for (int i = 0; i < size; ++i) {
      ASSERT_TRUE(filter.MayContain("ann", std::to_string(batch) + "/" + std::to_string(i)))
          << batch << "/" << i;
    }
  }
  int false_positives = 0;
  for (int i = 0; i < 10000; ++i) false_positives += filter.MayContain("bob", std::to_string(i));
  EXPECT_LT(false_positives, 1000) << false_positives;
}

}  // namespace
}  // namespace pathwise::app
