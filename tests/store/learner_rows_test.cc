// What the SQL stores share about a learner's row (store/learner_rows.h), on plain values: which
// events of a batch are new, the decoded row, merged states and the version check.
#include "store/learner_rows.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "store/store_codec.h"
#include "store/store_validation.h"
#include "testing/status_matchers.h"

namespace pathwise::store::internal {
namespace {

Observation Event(std::string event_id, std::string learner_id) {
  Observation o;
  o.event_id = std::move(event_id);
  o.learner_id = std::move(learner_id);
  o.activity_id = "act";
  o.outcome = 1.0;
  o.timestamp_ms = 1;
  return o;
}

MasteryEstimate Estimate(std::string id, double p) {
  MasteryEstimate e;
  e.competency_id = std::move(id);
  e.p_learned = p;
  return e;
}

EventBatch TwoLearners() {
  EventBatch batch;
  batch.tenant_id = "t";
  batch.learners = {LearnerUpdate("ann", std::nullopt), LearnerUpdate("bob", std::nullopt)};
  // ann: e1, e2 (stored before), e1 again, no id, e3; bob: e1 (his own, new), e1 again.
  batch.events = {Event("e1", "ann"), Event("e2", "ann"), Event("e1", "ann"), Event("", "ann"),
                  Event("e1", "bob"), Event("e1", "bob"), Event("e3", "ann")};
  return batch;
}

std::vector<size_t> LearnerOfEvent(const EventBatch& batch) {
  std::vector<size_t> out;
  for (const Observation& o : batch.events) out.push_back(o.learner_id == "ann" ? 0 : 1);
  return out;
}

TEST(LearnerRowsTest, NewEventsAreNeitherStoredNorRepeatedPerLearner) {
  const EventBatch batch = TwoLearners();
  const std::vector<std::vector<size_t>> events_of = EventsOfLearners(batch, LearnerOfEvent(batch));
  ASSERT_EQ(events_of.size(), 2u);
  EXPECT_EQ(events_of[0], (std::vector<size_t>{0, 1, 2, 3, 6}));
  EXPECT_EQ(events_of[1], (std::vector<size_t>{4, 5}));

  std::vector<std::pair<size_t, std::vector<std::string>>> asked;
  const FindStoredIds find_stored = [&](size_t l, const std::vector<std::string_view>& ids) {
    asked.emplace_back(l, std::vector<std::string>(ids.begin(), ids.end()));
    std::vector<bool> stored;
    for (std::string_view id : ids) stored.push_back(l == 0 && id == "e2");
    return Result<std::vector<bool>>(std::move(stored));
  };
  CommitResult result;
  Result<std::vector<std::vector<const Observation*>>> fresh =
      SelectNewEvents(batch, events_of, find_stored, &result);
  ASSERT_OK(fresh);

  // Each learner's distinct non-empty ids are asked about once, in batch order.
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0], (std::pair<size_t, std::vector<std::string>>{0, {"e1", "e2", "e3"}}));
  EXPECT_EQ(asked[1], (std::pair<size_t, std::vector<std::string>>{1, {"e1"}}));
  EXPECT_EQ(result.duplicate_indices, (std::vector<size_t>{1, 2, 5}));
  EXPECT_EQ(result.num_recorded, 4u);
  ASSERT_EQ(fresh->size(), 2u);
  EXPECT_EQ((*fresh)[0], (std::vector<const Observation*>{&batch.events[0], &batch.events[3],
                                                          &batch.events[6]}));
  EXPECT_EQ((*fresh)[1], (std::vector<const Observation*>{&batch.events[4]}));
}

TEST(LearnerRowsTest, LookupFailureNamesTheLearner) {
  const EventBatch batch = TwoLearners();
  CommitResult result;
  Result<std::vector<std::vector<const Observation*>>> fresh = SelectNewEvents(
      batch, EventsOfLearners(batch, LearnerOfEvent(batch)),
      [](size_t l, const std::vector<std::string_view>& ids) -> Result<std::vector<bool>> {
        if (l == 1) return Status::Unavailable("disk gone");
        return std::vector<bool>(ids.size(), false);
      },
      &result);
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(fresh.status().message().find("learner 'bob'"), std::string::npos)
      << fresh.status().message();
  EXPECT_NE(fresh.status().message().find("disk gone"), std::string::npos);
}

TEST(LearnerRowsTest, DecodesARowAndNamesTheLearnerWhenItIsDamaged) {
  const std::string states = EncodeStates({Estimate("a", 0.25), Estimate("b", 0.5)});
  Result<StoredLearner> learner = DecodeLearner("ann", 7, states);
  ASSERT_OK(learner);
  EXPECT_EQ(learner->learner_id, "ann");
  EXPECT_EQ(learner->version, 7u);
  ASSERT_EQ(learner->competencies.size(), 2u);
  EXPECT_EQ(learner->competencies[1].competency_id, "b");
  EXPECT_EQ(learner->competencies[1].p_learned, 0.5);
  EXPECT_TRUE(learner->policy_states.empty());

  ASSERT_OK(DecodeLearner("new", 0, ""));  // a row inserted before its first states
  Result<StoredLearner> damaged = DecodeLearner("ann", 7, states.substr(0, states.size() - 1));
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(damaged.status().message().find("learner 'ann'"), std::string::npos);
}

TEST(LearnerRowsTest, MergedStatesOverwriteByCompetencyAndStaySorted) {
  const std::string stored = EncodeStates({Estimate("a", 0.25), Estimate("c", 0.5)});
  Result<std::string> merged =
      MergeEncodedStates(stored, {Estimate("d", 0.75), Estimate("a", 0.5)}, "ann");
  ASSERT_OK(merged);
  Result<std::vector<MasteryEstimate>> states = DecodeStates(*merged);
  ASSERT_OK(states);
  ASSERT_EQ(states->size(), 3u);
  EXPECT_EQ((*states)[0].competency_id, "a");
  EXPECT_EQ((*states)[0].p_learned, 0.5);
  EXPECT_EQ((*states)[1].competency_id, "c");
  EXPECT_EQ((*states)[2].competency_id, "d");
  Result<std::string> damaged = MergeEncodedStates("\x07", {Estimate("a", 0.5)}, "bob");
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.status().message().find("learner 'bob'"), std::string::npos);
}

TEST(LearnerRowsTest, ALearnerChangesWhenItGetsEventsStatesOrPolicyStates) {
  EXPECT_FALSE(ChangesLearner(LearnerUpdate("ann", std::nullopt), false));
  EXPECT_TRUE(ChangesLearner(LearnerUpdate("ann", std::nullopt), true));
  EXPECT_TRUE(ChangesLearner(LearnerUpdate("ann", std::nullopt, {Estimate("a", 0.5)}), false));
  EXPECT_TRUE(ChangesLearner(LearnerUpdate("ann", std::nullopt, {}, {{"zpdes", "x"}}), false));
}

TEST(LearnerRowsTest, ExpectedVersionIsCheckedOnlyWhenGiven) {
  EXPECT_OK(CheckExpectedVersion(LearnerUpdate("ann", std::nullopt), 3));
  EXPECT_OK(CheckExpectedVersion(LearnerUpdate("ann", 3), 3));
  const Status stale = CheckExpectedVersion(LearnerUpdate("ann", 2), 3);
  EXPECT_EQ(stale.code(), StatusCode::kAborted);
  EXPECT_EQ(stale.message(),
            "learner 'ann' was changed concurrently: expected version 2, stored version 3");
}

}  // namespace
}  // namespace pathwise::store::internal
