// Behaviour every LearnerStore must have. The cases are instantiated per store by the test
// binaries (see learner_store_contract.h).
#include "store/learner_store_contract.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pathwise/bkt.h>

namespace pathwise::store {
namespace {

using testing::LearnerBatch;
using testing::MakeObservation;
using testing::State;

TEST_P(LearnerStoreTest, GraphVersionsIncrementAndLatestIsReturned) {
  Result<int64_t> first = store_->PutGraph("acme", R"({"v": 1})");
  Result<int64_t> second = store_->PutGraph("acme", R"({"v": 2})");
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(*second, 2);

  Result<GraphVersion> latest = store_->GetGraph("acme", kLatestVersion);
  ASSERT_OK(latest);
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->graph_json, R"({"v": 2})");
  Result<GraphVersion> old = store_->GetGraph("acme", 1);
  ASSERT_OK(old);
  EXPECT_EQ(old->graph_json, R"({"v": 1})");
}

TEST_P(LearnerStoreTest, MissingGraphIsNotFound) {
  EXPECT_EQ(store_->GetGraph("acme", kLatestVersion).status().code(), StatusCode::kNotFound);
  ASSERT_OK(store_->PutGraph("acme", "{}"));
  EXPECT_EQ(store_->GetGraph("acme", 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetGraph("acme", -1).status().code(), StatusCode::kNotFound);
}

TEST_P(LearnerStoreTest, EmptyGraphTextIsRejected) {
  Status status = store_->PutGraph("acme", "").status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("graph_json"), std::string::npos) << status;
}

TEST_P(LearnerStoreTest, EmptyTenantIdIsRejected) {
  Status status = store_->PutGraph("", "{}").status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("tenant_id"), std::string::npos) << status;
}

TEST_P(LearnerStoreTest, RostersAreVersionedPerTenant) {
  EXPECT_EQ(store_->GetRoster("acme", kLatestVersion).status().code(), StatusCode::kNotFound);
  Result<int64_t> first = store_->PutRoster("acme", R"({"classes": 1})");
  Result<int64_t> second = store_->PutRoster("acme", R"({"classes": 2})");
  ASSERT_OK(first);
  ASSERT_OK(second);
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(*second, 2);
  Result<RosterVersion> latest = store_->GetRoster("acme", kLatestVersion);
  ASSERT_OK(latest);
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->roster_json, R"({"classes": 2})");
  Result<RosterVersion> old = store_->GetRoster("acme", 1);
  ASSERT_OK(old);
  EXPECT_EQ(old->roster_json, R"({"classes": 1})");
  EXPECT_EQ(store_->GetRoster("acme", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRoster("other", kLatestVersion).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutRoster("acme", "").status().code(), StatusCode::kInvalidArgument);
}

TEST_P(LearnerStoreTest, ModelsAreVersionedPerName) {
  ASSERT_OK(store_->PutModel("acme", "default", "m1"));
  ASSERT_OK(store_->PutModel("acme", "default", "m2"));
  Result<int64_t> other = store_->PutModel("acme", "algebra", "x1");
  ASSERT_OK(other);
  EXPECT_EQ(*other, 1);

  Result<ModelVersion> latest = store_->GetModel("acme", "default", kLatestVersion);
  ASSERT_OK(latest);
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->model_json, "m2");
  Result<ModelVersion> first = store_->GetModel("acme", "default", 1);
  ASSERT_OK(first);
  EXPECT_EQ(first->model_json, "m1");
  EXPECT_EQ(store_->GetModel("acme", "default", 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetModel("acme", "nope", kLatestVersion).status().code(),
            StatusCode::kNotFound);

  Result<std::vector<ModelVersion>> models = store_->ListModels("acme");
  ASSERT_OK(models);
  ASSERT_EQ(models->size(), 2u);
  EXPECT_EQ((*models)[0].name, "algebra");
  EXPECT_EQ((*models)[0].version, 1);
  EXPECT_EQ((*models)[1].name, "default");
  EXPECT_EQ((*models)[1].version, 2);
}

TEST_P(LearnerStoreTest, CommitStoresEventsAndStates) {
  EventBatch batch = LearnerBatch("acme", "ann", "e", 5);
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 5u);
  EXPECT_TRUE(done->duplicate_indices.empty());
  ASSERT_EQ(done->learner_versions.size(), 1u);
  EXPECT_EQ(done->learner_versions[0], 1u);

  Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 5u);
  for (size_t i = 0; i < events->size(); ++i) {
    const Observation& stored = (*events)[i].observation;
    const Observation& sent = batch.events[i];
    EXPECT_EQ(stored.event_id, sent.event_id);
    EXPECT_EQ(stored.learner_id, sent.learner_id);
    EXPECT_EQ(stored.activity_id, sent.activity_id);
    EXPECT_EQ(stored.outcome, sent.outcome);
    EXPECT_EQ(stored.timestamp_ms, sent.timestamp_ms);
    if (i > 0) {
      EXPECT_LT((*events)[i - 1].sequence, (*events)[i].sequence);
    }
  }

  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->version, 1u);
  const std::vector<MasteryEstimate>& sent = batch.learners[0].states;
  ASSERT_EQ(state->competencies.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(state->competencies[i].competency_id, sent[i].competency_id);
    EXPECT_EQ(state->competencies[i].p_learned, sent[i].p_learned);
    EXPECT_EQ(state->competencies[i].mastered, sent[i].mastered);
    EXPECT_EQ(state->competencies[i].opportunities, sent[i].opportunities);
    EXPECT_EQ(state->competencies[i].last_practiced_ms, sent[i].last_practiced_ms);
  }
}

TEST_P(LearnerStoreTest, OutcomesAndProbabilitiesRoundTripExactly) {
  EventBatch batch;
  batch.tenant_id = "acme";
  const double awkward = 0.1 + 0.2;  // not representable in few digits
  batch.events.push_back(
      MakeObservation("e1", "ann", "a", awkward, std::numeric_limits<int64_t>::max()));
  batch.learners.push_back({"ann", std::nullopt, {State("c", 1.0 / 3.0, 4000000000u, -5)}});
  ASSERT_OK(store_->CommitEvents(batch));

  Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].observation.outcome, awkward);
  EXPECT_EQ((*events)[0].observation.timestamp_ms, std::numeric_limits<int64_t>::max());
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  ASSERT_EQ(state->competencies.size(), 1u);
  EXPECT_EQ(state->competencies[0].p_learned, 1.0 / 3.0);
  EXPECT_EQ(state->competencies[0].opportunities, 4000000000u);
  EXPECT_EQ(state->competencies[0].last_practiced_ms, -5);
}

// The odds a tracker carries come back bit for bit (from them a restart restores the tracker
// without replaying events); the log-odds alone would not give them back.
TEST_P(LearnerStoreTest, TrackerOddsRoundTripExactly) {
  MasteryEstimate far = State("c", 0.0, 12, 7);
  const Odds odds{0x1.123456789abcdp100, 3};
  far.odds_scale = odds.scale;
  far.odds_exponent = odds.exponent;
  far.log_odds = odds.log_odds();
  far.p_learned = odds.mastery();
  far.mastered = true;
  ASSERT_OK(store_->CommitEvents(
      {"acme", {MakeObservation("e1", "ann", "a", 1.0, 7)}, {{"ann", 0, {far}}}}));
  auto check = [&](const StoredLearner& learner) {
    ASSERT_EQ(learner.competencies.size(), 1u);
    const MasteryEstimate& got = learner.competencies[0];
    EXPECT_EQ(got.odds_scale, far.odds_scale);
    EXPECT_EQ(got.odds_exponent, far.odds_exponent);
    EXPECT_EQ(got.log_odds, far.log_odds);
    EXPECT_EQ(got.p_learned, far.p_learned);
  };
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  check(*state);
  ASSERT_OK(store_->ForEachLearner("acme", [&](const StoredLearner& learner) {
    check(learner);
    return Status::Ok();
  }));
}

// The state origin: put after the states are all derived under it, cleared before a rewrite, read
// at start-up; per tenant, and durable.
TEST_P(LearnerStoreTest, StateOriginIsPutClearedAndReadPerTenant) {
  Result<std::string> origin = store_->GetStateOrigin("acme");
  ASSERT_OK(origin);
  EXPECT_EQ(*origin, "");
  // Clearing an unknown tenant's origin stores nothing, not even the tenant.
  ASSERT_OK(store_->PutStateOrigin("acme", ""));
  Result<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_OK(tenants);
  EXPECT_TRUE(tenants->empty());

  ASSERT_OK(store_->PutGraph("acme", "acme graph"));
  ASSERT_OK(store_->PutStateOrigin("acme", "graph 1 model 0"));
  ASSERT_OK(store_->PutStateOrigin("globex", "graph 7"));
  ASSERT_OK(store_->PutStateOrigin("acme", "graph 1 model 2"));
  EXPECT_EQ(*store_->GetStateOrigin("acme"), "graph 1 model 2");
  EXPECT_EQ(*store_->GetStateOrigin("globex"), "graph 7");
  EXPECT_EQ(*store_->GetStateOrigin("initech"), "");

  if (GetParam().name != "Memory") {  // a restart (a memory store's data dies with it)
    store_ = Open(nullptr);
    ASSERT_NE(store_, nullptr);
  }
  EXPECT_EQ(*store_->GetStateOrigin("acme"), "graph 1 model 2");
  ASSERT_OK(store_->PutStateOrigin("acme", ""));
  EXPECT_EQ(*store_->GetStateOrigin("acme"), "");
  EXPECT_EQ(*store_->GetStateOrigin("globex"), "graph 7");
  EXPECT_EQ(store_->PutStateOrigin("", "x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetStateOrigin("").status().code(), StatusCode::kInvalidArgument);
  ASSERT_OK(store_->Close());
  EXPECT_EQ(store_->PutStateOrigin("acme", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetStateOrigin("acme").status().code(), StatusCode::kUnavailable);
}

TEST_P(LearnerStoreTest, RedeliveredBatchChangesNothing) {
  EventBatch batch = LearnerBatch("acme", "ann", "e", 4);
  ASSERT_OK(store_->CommitEvents(batch));
  Result<StoredLearner> before = store_->GetLearner("acme", "ann");
  ASSERT_OK(before);

  // The same events again, with no new state: what a service sends after finding them stored.
  EventBatch again = batch;
  again.learners[0].states.clear();
  Result<CommitResult> done = store_->CommitEvents(again);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 0u);
  EXPECT_EQ(done->duplicate_indices, (std::vector<size_t>{0, 1, 2, 3}));
  EXPECT_EQ(done->learner_versions[0], before->version);

  EXPECT_EQ(NumEvents("acme", "ann"), 4u);
  Result<StoredLearner> after = store_->GetLearner("acme", "ann");
  ASSERT_OK(after);
  EXPECT_EQ(after->version, before->version);
}

TEST_P(LearnerStoreTest, PartlyRedeliveredBatchStoresOnlyNewEvents) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 2)));
  EventBatch batch = LearnerBatch("acme", "ann", "e", 4);  // e0, e1 stored; e2, e3 new
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 2u);
  EXPECT_EQ(done->duplicate_indices, (std::vector<size_t>{0, 1}));
  Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  std::vector<std::string> ids;
  for (const StoredObservation& event : *events) ids.push_back(event.observation.event_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e0", "e1", "e2", "e3"}));
}

TEST_P(LearnerStoreTest, EventIdRepeatedInOneBatchIsStoredOnce) {
  EventBatch batch;
  batch.tenant_id = "acme";
  batch.events = {MakeObservation("x", "ann", "a", 1, 1), MakeObservation("y", "ann", "a", 0, 2),
                  MakeObservation("x", "ann", "a", 0, 3)};
  batch.learners.push_back({"ann", std::nullopt, {}});
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->duplicate_indices, (std::vector<size_t>{2}));
  EXPECT_EQ(done->num_recorded, 2u);
  Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].observation.outcome, 1.0);  // the first one wins
}

TEST_P(LearnerStoreTest, EventIdsAreScopedToLearnerAndTenant) {
  EventBatch batch;
  batch.tenant_id = "acme";
  batch.events = {MakeObservation("same", "ann", "a", 1, 1),
                  MakeObservation("same", "bob", "a", 1, 1)};
  batch.learners = {{"ann", std::nullopt, {}}, {"bob", std::nullopt, {}}};
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 2u);

  batch.tenant_id = "globex";
  done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 2u);
  EXPECT_EQ(NumEvents("acme", "ann"), 1u);
  EXPECT_EQ(NumEvents("globex", "ann"), 1u);
}

TEST_P(LearnerStoreTest, EventsWithoutIdAreNeverDuplicates) {
  EventBatch batch;
  batch.tenant_id = "acme";
  batch.events = {MakeObservation("", "ann", "a", 1, 1), MakeObservation("", "ann", "a", 1, 1)};
  batch.learners.push_back({"ann", std::nullopt, {}});
  ASSERT_OK(store_->CommitEvents(batch));
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 2u);
  EXPECT_EQ(NumEvents("acme", "ann"), 4u);
  Result<std::vector<bool>> found = store_->FindRecordedEvents("acme", "ann", {""});
  ASSERT_OK(found);
  EXPECT_EQ(*found, std::vector<bool>{false});
}

TEST_P(LearnerStoreTest, FindRecordedEventsReportsStoredIds) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 3)));
  Result<std::vector<bool>> found =
      store_->FindRecordedEvents("acme", "ann", {"e0", "nope", "e2", "e1"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, (std::vector<bool>{true, false, true, true}));
  found = store_->FindRecordedEvents("globex", "ann", {"e0"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, std::vector<bool>{false});
  found = store_->FindRecordedEvents("acme", "bob", {"e0"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, std::vector<bool>{false});
}

TEST_P(LearnerStoreTest, StatesMergeAcrossCommits) {
  EventBatch first;
  first.tenant_id = "acme";
  first.events = {MakeObservation("e1", "ann", "a", 1, 1)};
  first.learners.push_back({"ann", 0, {State("c1", 0.2, 1, 1), State("c2", 0.3, 1, 1)}});
  ASSERT_OK(store_->CommitEvents(first));
  EventBatch second;
  second.tenant_id = "acme";
  second.events = {MakeObservation("e2", "ann", "a", 1, 2)};
  second.learners.push_back({"ann", 1, {State("c2", 0.6, 2, 2), State("c0", 0.9, 1, 2)}});
  Result<CommitResult> done = store_->CommitEvents(second);
  ASSERT_OK(done);
  EXPECT_EQ(done->learner_versions[0], 2u);

  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->version, 2u);
  ASSERT_EQ(state->competencies.size(), 3u);
  EXPECT_EQ(state->competencies[0].competency_id, "c0");
  EXPECT_EQ(state->competencies[1].competency_id, "c1");
  EXPECT_EQ(state->competencies[1].p_learned, 0.2);
  EXPECT_EQ(state->competencies[2].competency_id, "c2");
  EXPECT_EQ(state->competencies[2].p_learned, 0.6);
  EXPECT_EQ(state->competencies[2].opportunities, 2u);
}

TEST_P(LearnerStoreTest, StatesWithoutEventsAreStored) {
  EventBatch batch;
  batch.tenant_id = "acme";
  batch.learners.push_back({"ann", 0, {State("c", 0.5, 0, 0)}});
  Result<CommitResult> done = store_->CommitEvents(batch);
  ASSERT_OK(done);
  EXPECT_EQ(done->num_recorded, 0u);
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->version, 1u);
  EXPECT_EQ(NumEvents("acme", "ann"), 0u);
}

TEST_P(LearnerStoreTest, PolicyStatesAreCommittedWithTheEventsAndOverwrittenPerPolicy) {
  EventBatch first = LearnerBatch("acme", "ann", "e", 2);
  const std::string zpdes("zpdes/1\n\x00\x01\xff", 11);  // binary: NUL and high bytes survive
  first.learners[0].policy_states = {{"zpdes", zpdes}, {"mastery", "mastery/1\nA"}};
  ASSERT_OK(store_->CommitEvents(first));
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->policy_states,
            (std::vector<PolicyState>{{"mastery", "mastery/1\nA"}, {"zpdes", zpdes}}));

  // A later commit overwrites the policies it lists, deletes those given empty, keeps the rest.
  EventBatch second = LearnerBatch("acme", "ann", "f", 1);
  second.learners[0].expected_version = 1;
  second.learners[0].policy_states = {{"zpdes", "zpdes/1\nB"}, {"mastery", ""}};
  ASSERT_OK(store_->CommitEvents(second));
  EventBatch third;
  third.tenant_id = "acme";
  third.learners.push_back({"ann", 2, {}, {{"random", "r"}}});  // policy state alone: a change
  Result<CommitResult> done = store_->CommitEvents(third);
  ASSERT_OK(done);
  EXPECT_EQ(done->learner_versions[0], 3u);
  state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->version, 3u);
  EXPECT_EQ(state->policy_states,
            (std::vector<PolicyState>{{"random", "r"}, {"zpdes", "zpdes/1\nB"}}));
  std::vector<PolicyState> visited;
  ASSERT_OK(store_->ForEachLearner("acme", [&](const StoredLearner& s) {
    visited = s.policy_states;
    return Status::Ok();
  }));
  EXPECT_EQ(visited, state->policy_states);

  // Survives a reopen (durable; a memory store's data lives as long as the store), is invisible to
  // another tenant, and goes with the learner.
  if (GetParam().name != "Memory") {
    store_ = Open(nullptr);
    ASSERT_NE(store_, nullptr);
  }
  state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->policy_states,
            (std::vector<PolicyState>{{"random", "r"}, {"zpdes", "zpdes/1\nB"}}));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("globex", "ann", "e", 1)));
  Result<StoredLearner> other = store_->GetLearner("globex", "ann");
  ASSERT_OK(other);
  EXPECT_TRUE(other->policy_states.empty());
  ASSERT_OK(store_->DeleteLearner("acme", "ann"));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 1)));
  state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_TRUE(state->policy_states.empty());
}

TEST_P(LearnerStoreTest, PolicyStatesOfAFailedBatchAreNotStored) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 1)));
  EventBatch stale = LearnerBatch("acme", "ann", "f", 1);
  stale.learners[0].expected_version = 0;  // ann is at version 1
  stale.learners[0].policy_states = {{"zpdes", "zpdes/1\nX"}};
  EXPECT_EQ(store_->CommitEvents(stale).status().code(), StatusCode::kAborted);
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_TRUE(state->policy_states.empty());
  EXPECT_EQ(NumEvents("acme", "ann"), 1u);

  EventBatch bad = LearnerBatch("acme", "ann", "g", 1);
  bad.learners[0].policy_states = {{"zpdes", "a"}, {"zpdes", "b"}};
  Status status = store_->CommitEvents(bad).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("learners[0].policy_states[1].policy"), std::string::npos)
      << status;
  bad.learners[0].policy_states = {{"", "a"}};
  status = store_->CommitEvents(bad).status();
  EXPECT_NE(status.message().find("learners[0].policy_states[0].policy"), std::string::npos)
      << status;
  EXPECT_EQ(NumEvents("acme", "ann"), 1u);
}

TEST_P(LearnerStoreTest, StaleExpectedVersionRejectsTheWholeBatch) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "bob", "b", 1)));  // bob at version 1

  EventBatch batch;
  batch.tenant_id = "acme";
  batch.events = {MakeObservation("a1", "ann", "a", 1, 1), MakeObservation("b9", "bob", "a", 1, 1)};
  batch.learners = {{"ann", 0, {State("c", 0.5, 1, 1)}}, {"bob", 0, {State("c", 0.5, 1, 1)}}};
  Status status = store_->CommitEvents(batch).status();
  EXPECT_EQ(status.code(), StatusCode::kAborted);
  EXPECT_NE(status.message().find("bob"), std::string::npos) << status;

  // Nothing of the batch is stored: not ann, whose part was fine, nor bob's new event.
  EXPECT_EQ(store_->GetLearner("acme", "ann").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(NumEvents("acme", "bob"), 1u);
  Result<StoredLearner> bob = store_->GetLearner("acme", "bob");
  ASSERT_OK(bob);
  EXPECT_EQ(bob->version, 1u);
  EXPECT_EQ(bob->competencies[0].competency_id, "a0");
}

TEST_P(LearnerStoreTest, InjectedFailureInsideCommitLeavesNothingStored) {
  store_ = Open([](const EventBatch& batch) {
    for (const Observation& event : batch.events) {
      if (event.event_id == "boom") return Status::Internal("injected failure");
    }
    return Status::Ok();
  });
  ASSERT_NE(store_, nullptr);
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 2)));

  EventBatch batch = LearnerBatch("acme", "ann", "f", 3);
  batch.events.push_back(MakeObservation("boom", "ann", "a0", 1, 5));
  batch.learners[0].states.push_back(State("zz", 0.5, 1, 5));
  Status status = store_->CommitEvents(batch).status();
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find("injected failure"), std::string::npos) << status;

  EXPECT_EQ(NumEvents("acme", "ann"), 2u);
  Result<std::vector<bool>> found = store_->FindRecordedEvents("acme", "ann", {"f0", "boom"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, (std::vector<bool>{false, false}));
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  EXPECT_EQ(state->version, 1u);
  for (const MasteryEstimate& estimate : state->competencies) {
    EXPECT_NE(estimate.competency_id, "zz");
  }

  // A new learner whose batch fails is not created either, nor is a new tenant.
  EventBatch fresh;
  fresh.tenant_id = "globex";
  fresh.events = {MakeObservation("boom", "carl", "a", 1, 1)};
  fresh.learners = {{"carl", std::nullopt, {}}};
  EXPECT_FALSE(store_->CommitEvents(fresh).ok());
  Result<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_OK(tenants);
  EXPECT_EQ(*tenants, std::vector<std::string>{"acme"});
}

TEST_P(LearnerStoreTest, ReplaceLearnerKeepsOnlyTheHistoryGiven) {
  EventBatch first;
  first.tenant_id = "acme";
  first.events = {MakeObservation("e1", "ann", "a", 1, 1), MakeObservation("e2", "ann", "a", 0, 2)};
  first.learners.push_back({"ann", 0, {State("c1", 0.2, 1, 1), State("c2", 0.3, 1, 2)}});
  ASSERT_OK(store_->CommitEvents(first));

  EventBatch replacement;
  replacement.tenant_id = "acme";
  replacement.events = {MakeObservation("e2", "ann", "a", 0, 2)};
  replacement.learners.push_back({"ann", 7, {State("c2", 0.1, 1, 2)}});
  Result<CommitResult> stale = store_->ReplaceLearner(replacement);
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted) << stale.status();
  EXPECT_EQ(NumEvents("acme", "ann"), 2u);

  replacement.learners[0].expected_version = 1;
  Result<CommitResult> replaced = store_->ReplaceLearner(replacement);
  ASSERT_OK(replaced);
  EXPECT_EQ(replaced->num_recorded, 1u);  // e2 is not a duplicate of the history it replaces
  EXPECT_EQ(NumEvents("acme", "ann"), 1u);
  Result<std::vector<bool>> found = store_->FindRecordedEvents("acme", "ann", {"e1", "e2"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, (std::vector<bool>{false, true}));
  Result<StoredLearner> state = store_->GetLearner("acme", "ann");
  ASSERT_OK(state);
  ASSERT_EQ(state->competencies.size(), 1u);  // c1 went with the old history
  EXPECT_EQ(state->competencies[0].competency_id, "c2");
  EXPECT_EQ(state->competencies[0].p_learned, 0.1);

  EventBatch two = LearnerBatch("acme", "ann", "x", 1);
  two.learners.push_back({"bob", std::nullopt, {}});
  EXPECT_EQ(store_->ReplaceLearner(two).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(LearnerStoreTest, InjectedFailureInsideReplaceLeavesTheLearnerAsItWas) {
  store_ = Open([](const EventBatch& batch) {
    for (const Observation& event : batch.events) {
      if (event.event_id == "boom") return Status::Internal("injected failure");
    }
    return Status::Ok();
  });
  ASSERT_NE(store_, nullptr);
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 3)));
  Result<StoredLearner> before = store_->GetLearner("acme", "ann");
  ASSERT_OK(before);

  EventBatch replacement;
  replacement.tenant_id = "acme";
  replacement.events = {MakeObservation("e0", "ann", "a0", 1, 1),
                        MakeObservation("boom", "ann", "a0", 1, 2)};
  replacement.learners.push_back({"ann", before->version, {State("zz", 0.5, 1, 2)}});
  EXPECT_EQ(store_->ReplaceLearner(replacement).status().code(), StatusCode::kInternal);

  EXPECT_EQ(NumEvents("acme", "ann"), 3u);
  Result<std::vector<bool>> found = store_->FindRecordedEvents("acme", "ann", {"e1", "e2"});
  ASSERT_OK(found);
  EXPECT_EQ(*found, (std::vector<bool>{true, true}));
  Result<StoredLearner> after = store_->GetLearner("acme", "ann");
  ASSERT_OK(after);
  EXPECT_EQ(after->version, before->version);
  ASSERT_EQ(after->competencies.size(), before->competencies.size());
  for (const MasteryEstimate& estimate : after->competencies) {
    EXPECT_NE(estimate.competency_id, "zz");
  }
}

TEST_P(LearnerStoreTest, MalformedBatchesAreRejectedNamingTheField) {
  struct Case {
    std::string expected_field;
    std::function<void(EventBatch&)> damage;
  };
  const std::vector<Case> cases = {
      {"tenant_id", [](EventBatch& b) { b.tenant_id.clear(); }},
      {"events[1].outcome", [](EventBatch& b) { b.events[1].outcome = std::nan(""); }},
      {"events[0].outcome", [](EventBatch& b) { b.events[0].outcome = 1.5; }},
      {"events[2].learner_id", [](EventBatch& b) { b.events[2].learner_id.clear(); }},
      {"events[1].activity_id", [](EventBatch& b) { b.events[1].activity_id.clear(); }},
      {"events[1].learner_id", [](EventBatch& b) { b.events[1].learner_id = "stranger"; }},
      {"learners[1].learner_id", [](EventBatch& b) { b.learners.push_back(b.learners[0]); }},
      {"learners[0].states[0].p_learned",
       [](EventBatch& b) { b.learners[0].states[0].p_learned = -0.1; }},
      {"learners[0].states[1].competency_id",
       [](EventBatch& b) { b.learners[0].states[1].competency_id = "a0"; }},
      {"learners[0].states[0].competency_id",
       [](EventBatch& b) { b.learners[0].states[0].competency_id.clear(); }},
      {"events",
       [](EventBatch& b) {
         b.events.clear();
         b.learners[0].states.clear();
       }},
  };
  for (const Case& c : cases) {
    EventBatch batch = LearnerBatch("acme", "ann", "e", 3);
    c.damage(batch);
    Status status = store_->CommitEvents(batch).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.expected_field << ": " << status;
    EXPECT_EQ(status.message().rfind(c.expected_field + ":", 0), 0u)
        << "expected the message to start with " << c.expected_field << ": " << status;
  }
  Result<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_OK(tenants);
  EXPECT_TRUE(tenants->empty());
}

TEST_P(LearnerStoreTest, ListEventsPagesInCommitOrder) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "x", 3)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "bob", "y", 2)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "z", 4)));

  std::vector<std::string> ids;
  int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", after, 2);
    ASSERT_OK(events);
    if (events->empty()) break;
    EXPECT_LE(events->size(), 2u);
    for (const StoredObservation& event : *events) ids.push_back(event.observation.event_id);
    after = events->back().sequence;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"x0", "x1", "x2", "z0", "z1", "z2", "z3"}));
  EXPECT_EQ(store_->ListEvents("acme", "nobody", 0, 0).status().code(), StatusCode::kNotFound);
}

// The end of an export (app/tenant.h LearnerExport): the learner's last event, read with its state.
TEST_P(LearnerStoreTest, GetLearnerTellsTheLastEventsSequence) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "x", 3)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "bob", "y", 2)));
  Result<StoredLearner> ann = store_->GetLearner("acme", "ann");
  ASSERT_OK(ann);
  Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_EQ(ann->last_event_sequence, events->back().sequence);
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "z", 4)));
  events = store_->ListEvents("acme", "ann", 0, 0);
  ASSERT_OK(events);
  EXPECT_GT(events->back().sequence, ann->last_event_sequence);
  ann = store_->GetLearner("acme", "ann");
  ASSERT_OK(ann);
  EXPECT_EQ(ann->last_event_sequence, events->back().sequence);
  // A learner with states and no events.
  EventBatch states_only;
  states_only.tenant_id = "acme";
  states_only.learners.push_back({"cid", std::nullopt, {State("a0", 0.5, 1, 10)}});
  ASSERT_OK(store_->CommitEvents(states_only));
  Result<StoredLearner> cid = store_->GetLearner("acme", "cid");
  ASSERT_OK(cid);
  EXPECT_EQ(cid->last_event_sequence, 0);
}

TEST_P(LearnerStoreTest, ListLearnersPagesSorted) {
  for (const char* learner : {"dan", "ann", "carl", "bob", "eve"}) {
    ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", learner, "e", 1)));
  }
  ASSERT_OK(store_->CommitEvents(LearnerBatch("globex", "zed", "e", 1)));
  Result<std::vector<std::string>> page = store_->ListLearners("acme", "", 2);
  ASSERT_OK(page);
  EXPECT_EQ(*page, (std::vector<std::string>{"ann", "bob"}));
  page = store_->ListLearners("acme", "bob", 2);
  ASSERT_OK(page);
  EXPECT_EQ(*page, (std::vector<std::string>{"carl", "dan"}));
  page = store_->ListLearners("acme", "dan", 0);
  ASSERT_OK(page);
  EXPECT_EQ(*page, (std::vector<std::string>{"eve"}));
  page = store_->ListLearners("nobody", "", 0);
  ASSERT_OK(page);
  EXPECT_TRUE(page->empty());
}

TEST_P(LearnerStoreTest, ForEachLearnerVisitsEveryLearnerOfTheTenant) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "bob", "e", 4)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 1)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "f", 2)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("globex", "carl", "e", 1)));

  std::vector<StoredLearner> visited;
  ASSERT_OK(store_->ForEachLearner("acme", [&](const StoredLearner& state) {
    visited.push_back(state);
    return Status::Ok();
  }));
  ASSERT_EQ(visited.size(), 2u);
  EXPECT_EQ(visited[0].learner_id, "ann");
  EXPECT_EQ(visited[0].version, 2u);
  EXPECT_EQ(visited[1].learner_id, "bob");
  EXPECT_EQ(visited[1].version, 1u);
  for (const StoredLearner& state : visited) {
    Result<StoredLearner> single = store_->GetLearner("acme", state.learner_id);
    ASSERT_OK(single);
    ASSERT_EQ(state.competencies.size(), single->competencies.size());
    for (size_t i = 0; i < state.competencies.size(); ++i) {
      EXPECT_EQ(state.competencies[i].competency_id, single->competencies[i].competency_id);
      EXPECT_EQ(state.competencies[i].p_learned, single->competencies[i].p_learned);
      EXPECT_EQ(state.competencies[i].opportunities, single->competencies[i].opportunities);
    }
  }
}

TEST_P(LearnerStoreTest, ForEachLearnerStopsAtTheVisitorsError) {
  for (const char* learner : {"ann", "bob", "carl"}) {
    ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", learner, "e", 1)));
  }
  int calls = 0;
  Status status = store_->ForEachLearner("acme", [&](const StoredLearner&) {
    return ++calls == 2 ? Status::Internal("visitor gave up") : Status::Ok();
  });
  EXPECT_EQ(status, Status::Internal("visitor gave up"));
  EXPECT_EQ(calls, 2);
}

TEST_P(LearnerStoreTest, DeleteLearnerRemovesEventsAndStateForGood) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 3)));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "bob", "e", 3)));
  ASSERT_OK(store_->DeleteLearner("acme", "ann"));

  EXPECT_EQ(store_->GetLearner("acme", "ann").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListEvents("acme", "ann", 0, 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteLearner("acme", "ann").code(), StatusCode::kNotFound);
  Result<std::vector<std::string>> learners = store_->ListLearners("acme", "", 0);
  ASSERT_OK(learners);
  EXPECT_EQ(*learners, std::vector<std::string>{"bob"});
  EXPECT_EQ(NumEvents("acme", "bob"), 3u);

  // The event ids went too: re-sending an old event records it again, for a new learner.
  Result<CommitResult> again = store_->CommitEvents(LearnerBatch("acme", "ann", "e", 1));
  ASSERT_OK(again);
  EXPECT_EQ(again->num_recorded, 1u);
  EXPECT_EQ(again->learner_versions[0], 1u);
}

TEST_P(LearnerStoreTest, TenantsSeeOnlyTheirOwnData) {
  ASSERT_OK(store_->PutGraph("acme", "acme graph"));
  ASSERT_OK(store_->PutModel("acme", "m", "acme model"));
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 2)));
  JobRecord job;
  job.job_id = "j1";
  ASSERT_OK(store_->CreateJob("acme", job));

  EXPECT_EQ(store_->GetGraph("globex", kLatestVersion).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetModel("globex", "m", kLatestVersion).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetLearner("globex", "ann").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->ListEvents("globex", "ann", 0, 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteLearner("globex", "ann").code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetJob("globex", "j1").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateJob("globex", job).code(), StatusCode::kNotFound);
  Result<std::vector<JobRecord>> jobs = store_->ListJobs("globex");
  ASSERT_OK(jobs);
  EXPECT_TRUE(jobs->empty());
  Result<std::vector<ModelVersion>> models = store_->ListModels("globex");
  ASSERT_OK(models);
  EXPECT_TRUE(models->empty());
  int visited = 0;
  ASSERT_OK(store_->ForEachLearner("globex", [&](const StoredLearner&) {
    ++visited;
    return Status::Ok();
  }));
  EXPECT_EQ(visited, 0);

  // Versions count per tenant.
  Result<int64_t> version = store_->PutGraph("globex", "globex graph");
  ASSERT_OK(version);
  EXPECT_EQ(*version, 1);
  Result<std::vector<std::string>> tenants = store_->ListTenants();
  ASSERT_OK(tenants);
  EXPECT_EQ(*tenants, (std::vector<std::string>{"acme", "globex"}));
}

TEST_P(LearnerStoreTest, JobsAreCreatedUpdatedAndListedOldestFirst) {
  JobRecord later;
  later.job_id = "a-later";
  later.kind = "fit";
  later.created_ms = 200;
  JobRecord earlier;
  earlier.job_id = "z-earlier";
  earlier.kind = "fit";
  earlier.params_json = R"({"restarts": 5})";
  earlier.created_ms = 100;
  ASSERT_OK(store_->CreateJob("acme", later));
  ASSERT_OK(store_->CreateJob("acme", earlier));
  EXPECT_EQ(store_->CreateJob("acme", earlier).code(), StatusCode::kAlreadyExists);

  earlier.status = JobStatus::kSucceeded;
  earlier.progress = 1.0;
  earlier.result_model_name = "default";
  earlier.result_model_version = 3;
  earlier.updated_ms = 150;
  ASSERT_OK(store_->UpdateJob("acme", earlier));
  JobRecord missing;
  missing.job_id = "nope";
  EXPECT_EQ(store_->UpdateJob("acme", missing).code(), StatusCode::kNotFound);

  Result<JobRecord> got = store_->GetJob("acme", "z-earlier");
  ASSERT_OK(got);
  EXPECT_EQ(got->status, JobStatus::kSucceeded);
  EXPECT_EQ(got->progress, 1.0);
  EXPECT_EQ(got->params_json, R"({"restarts": 5})");
  EXPECT_EQ(got->result_model_name, "default");
  EXPECT_EQ(got->result_model_version, 3);
  EXPECT_EQ(got->updated_ms, 150);
  EXPECT_EQ(store_->GetJob("acme", "nope").status().code(), StatusCode::kNotFound);

  Result<std::vector<JobRecord>> jobs = store_->ListJobs("acme");
  ASSERT_OK(jobs);
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].job_id, "z-earlier");
  EXPECT_EQ((*jobs)[1].job_id, "a-later");
}

TEST_P(LearnerStoreTest, AJobIsClaimedByOneOwnerUntilItsLeaseExpires) {
  JobRecord job;
  job.job_id = "j1";
  job.kind = "fit";
  job.created_ms = 100;
  ASSERT_OK(store_->CreateJob("acme", job));

  Result<std::optional<JobRecord>> first = store_->ClaimJob("acme", "j1", "replica-a", 1000, 2000);
  ASSERT_OK(first);
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->status, JobStatus::kRunning);
  EXPECT_EQ((*first)->owner, "replica-a");
  EXPECT_EQ((*first)->lease_expires_ms, 2000);
  EXPECT_EQ((*first)->updated_ms, 1000);

  // A live lease keeps everyone else out, and changes nothing.
  Result<std::optional<JobRecord>> other = store_->ClaimJob("acme", "j1", "replica-b", 1999, 5000);
  ASSERT_OK(other);
  EXPECT_FALSE(other->has_value());
  Result<JobRecord> stored = store_->GetJob("acme", "j1");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->owner, "replica-a");
  EXPECT_EQ(stored->lease_expires_ms, 2000);

  // Its owner renews it, reporting progress.
  JobRecord renewed = **first;
  renewed.progress = 0.25;
  renewed.lease_expires_ms = 3000;
  Result<bool> renewal = store_->UpdateClaimedJob("acme", renewed);
  ASSERT_OK(renewal);
  EXPECT_TRUE(*renewal);
  other = store_->ClaimJob("acme", "j1", "replica-b", 2500, 5000);
  ASSERT_OK(other);
  EXPECT_FALSE(other->has_value());

  // Expired: another owner takes it over, and the first one's writes are refused from then on.
  other = store_->ClaimJob("acme", "j1", "replica-b", 3000, 6000);
  ASSERT_OK(other);
  ASSERT_TRUE(other->has_value());
  EXPECT_EQ((*other)->owner, "replica-b");
  EXPECT_EQ((*other)->progress, 0.25);
  renewed.lease_expires_ms = 9000;
  renewal = store_->UpdateClaimedJob("acme", renewed);
  ASSERT_OK(renewal);
  EXPECT_FALSE(*renewal);
  stored = store_->GetJob("acme", "j1");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->owner, "replica-b");
  EXPECT_EQ(stored->lease_expires_ms, 6000);

  // A finished job is claimed by no one, and its owner can no longer write it.
  JobRecord done = **other;
  done.status = JobStatus::kSucceeded;
  done.progress = 1.0;
  renewal = store_->UpdateClaimedJob("acme", done);
  ASSERT_OK(renewal);
  EXPECT_TRUE(*renewal);
  other = store_->ClaimJob("acme", "j1", "replica-c", 99999, 100000);
  ASSERT_OK(other);
  EXPECT_FALSE(other->has_value());
  renewal = store_->UpdateClaimedJob("acme", done);
  ASSERT_OK(renewal);
  EXPECT_FALSE(*renewal);
  stored = store_->GetJob("acme", "j1");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, JobStatus::kSucceeded);
}

TEST_P(LearnerStoreTest, AJobCancelledInTheStoreIsLostToItsOwner) {
  JobRecord job;
  job.job_id = "j1";
  job.kind = "fit";
  ASSERT_OK(store_->CreateJob("acme", job));
  Result<std::optional<JobRecord>> claimed = store_->ClaimJob("acme", "j1", "replica-a", 10, 20);
  ASSERT_OK(claimed);
  ASSERT_TRUE(claimed->has_value());
  JobRecord cancelled = **claimed;
  cancelled.status = JobStatus::kCancelled;
  ASSERT_OK(store_->UpdateJob("acme", cancelled));
  JobRecord renewed = **claimed;
  renewed.lease_expires_ms = 30;
  Result<bool> renewal = store_->UpdateClaimedJob("acme", renewed);
  ASSERT_OK(renewal);
  EXPECT_FALSE(*renewal);
  Result<JobRecord> stored = store_->GetJob("acme", "j1");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->status, JobStatus::kCancelled);
}

TEST_P(LearnerStoreTest, OfConcurrentClaimsOneWins) {
  JobRecord job;
  job.job_id = "contested";
  job.kind = "fit";
  ASSERT_OK(store_->CreateJob("acme", job));
  constexpr int kClaimers = 8;
  std::vector<std::thread> claimers;
  std::atomic<int> winners{0};
  std::atomic<int> errors{0};
  for (int i = 0; i < kClaimers; ++i) {
    claimers.emplace_back([&, i] {
      Result<std::optional<JobRecord>> claim =
          store_->ClaimJob("acme", "contested", "replica-" + std::to_string(i), 100, 200);
      if (!claim.ok()) {
        ++errors;
      } else if (claim->has_value()) {
        ++winners;
      }
    });
  }
  for (std::thread& claimer : claimers) claimer.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(winners.load(), 1);
}

TEST_P(LearnerStoreTest, ClaimsOfUnknownJobsAndBadLeasesAreRejected) {
  EXPECT_EQ(store_->ClaimJob("acme", "nope", "replica-a", 1, 2).status().code(),
            StatusCode::kNotFound);
  JobRecord job;
  job.job_id = "j1";
  job.kind = "fit";
  ASSERT_OK(store_->CreateJob("acme", job));
  EXPECT_EQ(store_->ClaimJob("acme", "j1", "", 1, 2).status().code(), StatusCode::kInvalidArgument);
  Result<std::optional<JobRecord>> backwards = store_->ClaimJob("acme", "j1", "replica-a", 5, 5);
  EXPECT_EQ(backwards.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(backwards.status().message().find("lease_until_ms"), std::string::npos);
  EXPECT_EQ(store_->UpdateClaimedJob("acme", job).status().code(), StatusCode::kInvalidArgument);
  job.job_id = "nope";
  job.owner = "replica-a";
  EXPECT_EQ(store_->UpdateClaimedJob("acme", job).status().code(), StatusCode::kNotFound);
}

TEST_P(LearnerStoreTest, MalformedJobsAreRejected) {
  JobRecord job;
  EXPECT_EQ(store_->CreateJob("acme", job).code(), StatusCode::kInvalidArgument);
  job.job_id = "j";
  job.progress = 1.5;
  Status status = store_->CreateJob("acme", job);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("job.progress"), std::string::npos) << status;
  job.progress = 0.5;
  job.status = static_cast<JobStatus>(42);
  EXPECT_EQ(store_->CreateJob("acme", job).code(), StatusCode::kInvalidArgument);
}

TEST_P(LearnerStoreTest, ClosedStoreIsUnavailable) {
  ASSERT_OK(store_->PutGraph("acme", "{}"));
  ASSERT_OK(store_->Close());
  ASSERT_OK(store_->Close());  // idempotent
  EXPECT_EQ(store_->PutGraph("acme", "{}").status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->GetGraph("acme", kLatestVersion).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->CommitEvents(LearnerBatch("acme", "ann", "e", 1)).status().code(),
            StatusCode::kUnavailable);
}

TEST_P(LearnerStoreTest, ConcurrentCommitsForSameVersionLetExactlyOneWin) {
  ASSERT_OK(store_->CommitEvents(LearnerBatch("acme", "ann", "base", 1)));
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      EventBatch batch = LearnerBatch("acme", "ann", "t" + std::to_string(t) + "-", 2);
      batch.learners[0].expected_version = 1;
      Result<CommitResult> done = store_->CommitEvents(batch);
      if (done.ok()) {
        ++wins;
      } else if (done.status().code() == StatusCode::kAborted) {
        ++aborted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(aborted.load(), kThreads - 1);
  EXPECT_EQ(NumEvents("acme", "ann"), 3u);
}

TEST_P(LearnerStoreTest, ManyConcurrentWritersStoreEveryAcknowledgedBatchExactlyOnce) {
  constexpr int kThreads = 12;
  constexpr int kBatchesPerThread = 40;
  constexpr int kEventsPerBatch = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread writes for its own learner and for one shared learner, and re-sends every
      // fourth batch (as a client retrying after a lost reply would).
      const std::string own = "learner" + std::to_string(t);
      for (int b = 0; b < kBatchesPerThread; ++b) {
        const std::string prefix = "t" + std::to_string(t) + "b" + std::to_string(b) + "e";
        EventBatch batch = LearnerBatch("acme", own, prefix, kEventsPerBatch);
        batch.events.push_back(MakeObservation(prefix + "shared", "shared", "a0", 1, b));
        batch.learners.push_back({"shared", std::nullopt, {}});
        const int sends = b % 4 == 0 ? 2 : 1;
        for (int s = 0; s < sends; ++s) {
          // A re-send carries no states: the service found every event already stored.
          if (s > 0) batch.learners[0].states.clear();
          Result<CommitResult> done = store_->CommitEvents(batch);
          const size_t expected_recorded = s == 0 ? batch.events.size() : 0;
          if (!done.ok() || done->num_recorded != expected_recorded) ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  for (int t = 0; t < kThreads; ++t) {
    const std::string own = "learner" + std::to_string(t);
    Result<std::vector<StoredObservation>> events = store_->ListEvents("acme", own, 0, 0);
    ASSERT_OK(events);
    std::set<std::string> ids;
    for (const StoredObservation& event : *events) ids.insert(event.observation.event_id);
    EXPECT_EQ(events->size(), static_cast<size_t>(kBatchesPerThread * kEventsPerBatch)) << own;
    EXPECT_EQ(ids.size(), events->size()) << own;
    Result<StoredLearner> state = store_->GetLearner("acme", own);
    ASSERT_OK(state);
    EXPECT_EQ(state->version, static_cast<uint64_t>(kBatchesPerThread)) << own;
  }
  EXPECT_EQ(NumEvents("acme", "shared"), static_cast<size_t>(kThreads * kBatchesPerThread));
}

}  // namespace
}  // namespace pathwise::store
