// Every RPC's happy path through an in-process channel, against the in-memory store and the real
// SQLite store.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <gtest/gtest.h>

#include <pathwise/mastery_tracker.h>

#include "server_process.h"
#include "service_test_util.h"
#include "store/sqlite_store.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::ExportEvents;
using testing::FractionsGraph;
using testing::kKeyA;
using testing::kKeyB;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::RawReply;
using testing::RawUnaryCall;
using testing::StartServer;
using testing::Stubs;
using testing::TempDir;
using testing::TwoTenantConfig;

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

// The registry loads the tenants before the server listens; the error names the tenant once.
TEST(ServerStartTest, AStoredGraphThatDoesNotLoadNamesTheTenantOnce) {
  app::ServerConfig config = testing::TwoTenantConfig();
  auto store = std::make_unique<store::MemoryStore>();
  ASSERT_OK(store->PutGraph(testing::kTenantA, "{not json"));
  Result<std::unique_ptr<PathwiseServer>> server = PathwiseServer::Start(config, std::move(store));
  ASSERT_FALSE(server.ok());
  const std::string& message = server.status().message();
  EXPECT_EQ(message.rfind("tenant 'tenant-a': stored graph version 1 does not load", 0), 0u)
      << message;
  EXPECT_EQ(message.find("tenant '", 1), std::string::npos) << message;
}

class ServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    config_ = TwoTenantConfig();
    config_.store = GetParam();
    config_.data_dir = dir_.path();
    server_ = StartServer(config_);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(server_->InProcessChannel());
  }
  void TearDown() override {
    if (server_ != nullptr) EXPECT_OK(server_->Shutdown(std::chrono::seconds(5)));
  }

  void Restart() {
    stubs_.reset();
    ASSERT_OK(server_->Shutdown(std::chrono::seconds(5)));
    server_.reset();
    server_ = StartServer(config_);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(server_->InProcessChannel());
  }

  // A restart that cannot restore the stored states: the state origin is cleared while the server
  // is down (as a crash in the middle of a rebuild leaves it), so every learner is replayed.
  void RestartByReplay() {
    stubs_.reset();
    ASSERT_OK(server_->Shutdown(std::chrono::seconds(5)));
    server_.reset();
    {
      store::SqliteStoreOptions options;
      options.data_dir = config_.data_dir;
      Result<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(options);
      ASSERT_OK(store);
      ASSERT_NE(*(*store)->GetStateOrigin(testing::kTenantA), "");
      ASSERT_OK((*store)->PutStateOrigin(testing::kTenantA, ""));
    }
    server_ = StartServer(config_);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(server_->InProcessChannel());
  }

  v1::RecordEventsResponse Record(const std::vector<v1::Observation>& events,
                                  bool return_mastery = false, const std::string& key = kKeyA) {
    v1::RecordEventsRequest request;
    for (const v1::Observation& e : events) *request.add_events() = e;
    request.set_return_mastery(return_mastery);
    v1::RecordEventsResponse response;
    grpc::Status status = stubs_->learners->RecordEvents(Ctx(key).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response;
  }

  v1::GetMasteryResponse Mastery(const std::string& learner, const std::string& key = kKeyA) {
    v1::GetMasteryRequest request;
    request.set_learner_id(learner);
    v1::GetMasteryResponse response;
    grpc::Status status = stubs_->learners->GetMastery(Ctx(key).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response;
  }

  TempDir dir_;
  app::ServerConfig config_;
  std::unique_ptr<PathwiseServer> server_;
  std::unique_ptr<Stubs> stubs_;
};

TEST_P(ServiceTest, PutGraphThenGetGraphReturnsItWithIncreasingVersions) {
  const v1::Graph graph = FractionsGraph();
  v1::PutGraphRequest put;
  *put.mutable_graph() = graph;
  v1::PutGraphResponse put_response;
  ASSERT_TRUE(stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &put_response).ok());
  EXPECT_EQ(put_response.version(), 1);
  EXPECT_EQ(put_response.competencies(), graph.competencies_size());
  EXPECT_EQ(put_response.activities(), graph.activities_size());

  v1::GetGraphRequest get;
  get.set_include_json(true);
  v1::GetGraphResponse got;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), get, &got).ok());
  EXPECT_EQ(got.version(), 1);
  EXPECT_EQ(got.graph().SerializeAsString(), graph.SerializeAsString());
  EXPECT_NE(got.graph_json().find("\"pathwise.graph\""), std::string::npos);

  // Graph JSON is accepted too, and the version moves on; the old version stays readable.
  v1::PutGraphRequest put_json;
  put_json.set_graph_json(got.graph_json());
  put_json.set_expected_version(1);
  ASSERT_TRUE(stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put_json, &put_response).ok());
  EXPECT_EQ(put_response.version(), 2);
  get.set_version(1);
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), get, &got).ok());
  EXPECT_EQ(got.version(), 1);
}

TEST_P(ServiceTest, PutGraphWithStaleExpectedVersionIsAborted) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  v1::PutGraphRequest put;
  *put.mutable_graph() = ChainGraph();
  put.set_expected_version(0);
  v1::PutGraphResponse response;
  grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  EXPECT_NE(status.error_message().find("latest graph version is 1"), std::string::npos);
}

TEST_P(ServiceTest, ValidateGraphListsEveryProblemAndStoresNothing) {
  v1::Graph graph = ChainGraph();
  graph.mutable_competencies(0)->set_mastery_threshold(1.5);
  graph.mutable_prerequisites(1)->set_to("nowhere");
  v1::ValidateGraphRequest request;
  *request.mutable_graph() = graph;
  v1::ValidateGraphResponse response;
  ASSERT_TRUE(stubs_->curriculum->ValidateGraph(Ctx(kKeyA).get(), request, &response).ok());
  EXPECT_FALSE(response.valid());
  std::set<std::string> paths;
  for (const auto& p : response.problems()) paths.insert(p.path());
  EXPECT_EQ(paths.count("graph.competencies[0].mastery_threshold"), 1u);
  EXPECT_EQ(paths.count("graph.prerequisites[1].to"), 1u);

  *request.mutable_graph() = ChainGraph();
  ASSERT_TRUE(stubs_->curriculum->ValidateGraph(Ctx(kKeyA).get(), request, &response).ok());
  EXPECT_TRUE(response.valid());
  v1::GetGraphResponse got;
  EXPECT_EQ(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_P(ServiceTest, RecordEventsAppliesOnceAndReportsDuplicates) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  v1::RecordEventsResponse first = Record({MakeObservation("e1", "ann", "act.a", 1, 1000),
                                           MakeObservation("e2", "ann", "act.a", 0, 2000),
                                           MakeObservation("e1", "ann", "act.a", 1, 1000),
                                           MakeObservation("e3", "bob", "act.ab", 1, 3000)},
                                          /*return_mastery=*/true);
  EXPECT_EQ(first.recorded(), 3u);
  EXPECT_EQ(first.duplicates(), 1u);
  ASSERT_EQ(first.duplicate_indices_size(), 1);
  EXPECT_EQ(first.duplicate_indices(0), 2u);
  ASSERT_EQ(first.learners_size(), 2);
  EXPECT_EQ(first.learners(0).learner_id(), "ann");
  EXPECT_EQ(first.learners(1).learner_id(), "bob");
  EXPECT_EQ(first.learners(1).competencies_size(), 2);  // act.ab practises a and b

  // Re-sending the whole batch changes nothing.
  v1::RecordEventsResponse again = Record({MakeObservation("e1", "ann", "act.a", 1, 1000),
                                           MakeObservation("e2", "ann", "act.a", 0, 2000),
                                           MakeObservation("e3", "bob", "act.ab", 1, 3000)});
  EXPECT_EQ(again.recorded(), 0u);
  EXPECT_EQ(again.duplicates(), 3u);

  // The state equals a replay through the core tracker.
  Result<GraphDefinition> def = [&] {
    v1::Graph g = ChainGraph();
    Result<CheckedGraph> checked = CheckGraph(&g, nullptr, app::ServiceLimits{});
    return checked.ok() ? Result<GraphDefinition>(checked->definition)
                        : Result<GraphDefinition>(checked.status());
  }();
  ASSERT_OK(def);
  auto graph = CompetencyGraph::FromDefinition(*def);
  ASSERT_OK(graph);
  auto tracker = MasteryTracker::Create(*graph, BktModel{});
  ASSERT_OK(tracker);
  ASSERT_OK((*tracker)->Record({"e1", "ann", "act.a", 1, 1000}));
  ASSERT_OK((*tracker)->Record({"e2", "ann", "act.a", 0, 2000}));
  auto expected = (*tracker)->Mastery("ann");
  ASSERT_OK(expected);
  v1::GetMasteryResponse mastery = Mastery("ann");
  ASSERT_EQ(mastery.competencies_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(mastery.competencies(i).competency_id(), expected->competencies[i].competency_id);
    EXPECT_EQ(mastery.competencies(i).p_learned(), expected->competencies[i].p_learned);
    EXPECT_EQ(mastery.competencies(i).opportunities(), expected->competencies[i].opportunities);
    EXPECT_EQ(mastery.competencies(i).recent_answers(), expected->competencies[i].recent_answers);
  }
  EXPECT_EQ(mastery.competencies(0).opportunities(), 2u);
  EXPECT_EQ(mastery.competencies(0).recent_answers(), 0b10);  // right, then wrong (newest in bit 0)
  EXPECT_EQ(mastery.competencies(0).last_practiced_ms(), 2000);
  EXPECT_EQ(mastery.graph_version(), 1);
}

TEST_P(ServiceTest, StreamEventsCommitsEveryMessage) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  auto context = Ctx(kKeyA);
  v1::RecordEventsResponse response;
  auto writer = stubs_->learners->StreamEvents(context.get(), &response);
  for (int batch = 0; batch < 5; ++batch) {
    v1::RecordEventsRequest request;
    for (int i = 0; i < 10; ++i) {
      *request.add_events() = MakeObservation("s" + std::to_string(batch * 10 + i), "cat", "act.a",
                                              (batch + i) % 2, 100 * (batch * 10 + i));
    }
    ASSERT_TRUE(writer->Write(request));
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(response.recorded(), 50u);
  EXPECT_EQ(response.batches(), 5u);
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "cat").size(), 50u);
}

TEST_P(ServiceTest, GetMasterySelectsCompetenciesAndRollsUpGroups) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  Record({MakeObservation("e1", "ana", "act.partition.shapes", 1, 1000)});
  v1::GetMasteryRequest request;
  request.set_learner_id("ana");
  request.add_competency_ids("fractions.unit");
  request.add_competency_ids("fractions.partition");
  request.set_include_groups(true);
  v1::GetMasteryResponse response;
  ASSERT_TRUE(stubs_->learners->GetMastery(Ctx(kKeyA).get(), request, &response).ok());
  ASSERT_EQ(response.competencies_size(), 2);
  EXPECT_EQ(response.competencies(0).competency_id(), "fractions.unit");
  EXPECT_EQ(response.competencies(1).competency_id(), "fractions.partition");
  EXPECT_EQ(response.competencies(1).opportunities(), 1u);
  EXPECT_EQ(response.groups_size(), FractionsGraph().groups_size());

  request.add_competency_ids("fractions.nothing");
  grpc::Status status = stubs_->learners->GetMastery(Ctx(kKeyA).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message().rfind("competency_ids[2]", 0), 0u) << Describe(status);
}

TEST_P(ServiceTest, ExportListsStateAndEventsInCommitOrder) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record({MakeObservation("x1", "dan", "act.a", 1, 30)});
  Record(
      {MakeObservation("x2", "dan", "act.b", 1, 10), MakeObservation("x3", "dan", "act.a", 0, 20)});
  v1::ExportLearnerRequest request;
  request.set_learner_id("dan");
  auto context = Ctx(kKeyA);
  auto reader = stubs_->learners->ExportLearner(context.get(), request);
  std::vector<v1::ExportLearnerResponse> messages;
  v1::ExportLearnerResponse message;
  while (reader->Read(&message)) messages.push_back(message);
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages[0].learner_id(), "dan");
  EXPECT_GT(messages[0].state_version(), 0u);
  EXPECT_EQ(messages[0].stored_states_size(), 2);  // a and b practised
  std::vector<std::string> ids;
  int64_t last_sequence = 0;
  for (const auto& m : messages) {
    for (const auto& e : m.events()) {
      ids.push_back(e.event().event_id());
      EXPECT_GT(e.sequence(), last_sequence);
      last_sequence = e.sequence();
    }
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"x1", "x2", "x3"}));
}

TEST_P(ServiceTest, DeleteLearnerForgetsEventsAndState) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record(
      {MakeObservation("d1", "eve", "act.a", 1, 1), MakeObservation("d2", "eve", "act.a", 1, 2)});
  v1::DeleteLearnerRequest request;
  request.set_learner_id("eve");
  v1::DeleteLearnerResponse response;
  ASSERT_TRUE(stubs_->learners->DeleteLearner(Ctx(kKeyA).get(), request, &response).ok());
  v1::GetMasteryRequest mastery;
  mastery.set_learner_id("eve");
  v1::GetMasteryResponse got;
  EXPECT_EQ(stubs_->learners->GetMastery(Ctx(kKeyA).get(), mastery, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stubs_->learners->DeleteLearner(Ctx(kKeyA).get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The ids went too: the same event is new again, and counts once.
  v1::RecordEventsResponse again = Record({MakeObservation("d1", "eve", "act.a", 1, 1)});
  EXPECT_EQ(again.recorded(), 1u);
  EXPECT_EQ(Mastery("eve").competencies(0).opportunities(), 1u);
  if (GetParam() == "sqlite") {  // the deletion is durable too
    Restart();
    EXPECT_EQ(Mastery("eve").competencies(0).opportunities(), 1u);
    EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "eve").size(), 1u);
  }
}

TEST_P(ServiceTest, RecommendReturnsRankedActivitiesWithPartsAndReasons) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  Record({MakeObservation("r1", "ana", "act.partition.shapes", 1, 1000),
          MakeObservation("r2", "ana", "act.partition.shapes", 1, 2000)});
  v1::RecommendRequest request;
  request.set_learner_id("ana");
  request.set_k(3);
  v1::RecommendResponse response;
  grpc::Status status = stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_GT(response.recommendations_size(), 0);
  EXPECT_LE(response.recommendations_size(), 3);
  EXPECT_EQ(response.policy(), v1::POLICY_MASTERY);
  const v1::Recommendation& top = response.recommendations(0);
  EXPECT_FALSE(top.activity_id().empty());
  EXPECT_GE(top.parts_size(), 6);
  EXPECT_FALSE(top.reasons().empty());
  double sum = 0;
  for (const auto& part : top.parts()) sum += part.contribution();
  EXPECT_NEAR(sum, top.score(), 1e-9);
  for (int i = 1; i < response.recommendations_size(); ++i) {
    EXPECT_LE(response.recommendations(i).score(), response.recommendations(i - 1).score());
  }

  // Pins come first; exclusions never appear; a time budget filters.
  const std::string excluded = top.activity_id();
  request.add_excluded_activities(excluded);
  request.add_pinned_activities("act.unit.pizza");
  request.set_time_budget_minutes(1000);
  ASSERT_TRUE(stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &response).ok());
  ASSERT_GT(response.recommendations_size(), 0);
  EXPECT_EQ(response.recommendations(0).activity_id(), "act.unit.pizza");
  EXPECT_TRUE(response.recommendations(0).pinned());
  for (const auto& r : response.recommendations()) EXPECT_NE(r.activity_id(), excluded);
}

TEST_P(ServiceTest, RecommendForUnknownLearnerIsColdStartUnlessAKnownLearnerIsRequired) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  Record({MakeObservation("v1", "veteran", "act.unit.pizza", 1, 1)});
  for (int policy :
       {v1::POLICY_MASTERY, v1::POLICY_RANDOM, v1::POLICY_CURRICULUM, v1::POLICY_ZPDES}) {
    v1::RecommendRequest request;
    request.set_learner_id("newcomer");
    request.set_policy(static_cast<v1::Policy>(policy));
    v1::RecommendResponse response;
    grpc::Status status = stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &response);
    ASSERT_TRUE(status.ok()) << policy << Describe(status);
    EXPECT_EQ(response.policy(), policy);
    EXPECT_GT(response.recommendations_size(), 0) << policy;
    // Every newcomer gets the population's recommendation (the draws of random and zpdes are
    // seeded per learner id, so only the deterministic policies match byte for byte).
    v1::RecommendResponse other;
    request.set_learner_id("another-newcomer");
    ASSERT_TRUE(stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &other).ok());
    if (policy == v1::POLICY_MASTERY || policy == v1::POLICY_CURRICULUM) {
      ASSERT_EQ(other.recommendations_size(), response.recommendations_size());
      for (int i = 0; i < other.recommendations_size(); ++i) {
        EXPECT_EQ(other.recommendations(i).SerializeAsString(),
                  response.recommendations(i).SerializeAsString());
      }
    }
    request.set_require_known_learner(true);
    EXPECT_EQ(stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Serving a newcomer stores nothing: the learner is still unknown.
  v1::GetMasteryRequest mastery;
  mastery.set_learner_id("newcomer");
  v1::GetMasteryResponse mastery_out;
  EXPECT_EQ(stubs_->learners->GetMastery(Ctx(kKeyA).get(), mastery, &mastery_out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::PlanPathwayRequest plan;
  plan.set_learner_id("newcomer");
  plan.add_goals("fractions.add_unlike");
  v1::PlanPathwayResponse plan_out;
  grpc::Status status = stubs_->recommendations->PlanPathway(Ctx(kKeyA).get(), plan, &plan_out);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_GT(plan_out.pathway().steps_size(), 0);
}

// Teaches one learner with `policy` for `steps` rounds (recommend k = 1, answer, record),
// restarting the server after `restart_after` rounds when it is >= 0; returns the activities chosen
// and the final top-3 (with their scores, and with the mastery policy their parts' reasons). The
// learner answers right 3 times in 4, or with `struggling` once in 4.
std::vector<std::string> TeachWith(v1::Policy policy, Stubs** stubs, int steps, int restart_after,
                                   const std::function<void()>& restart, bool struggling) {
  std::vector<std::string> chosen;
  for (int i = 0; i <= steps; ++i) {
    if (i == restart_after) restart();
    v1::RecommendRequest request;
    request.set_learner_id("zoe");
    request.set_policy(policy);
    request.set_k(i == steps ? 3 : 1);
    v1::RecommendResponse response;
    grpc::Status status =
        (*stubs)->recommendations->Recommend(Ctx(kKeyA).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    if (!status.ok() || response.recommendations_size() == 0) return chosen;
    for (const v1::Recommendation& r : response.recommendations()) {
      std::string entry = r.activity_id() + "@" + std::to_string(r.score());
      for (const v1::PartScore& part : r.parts()) entry += "|" + part.reason();
      chosen.push_back(entry);
    }
    if (i == steps) break;
    const bool correct = struggling ? i % 4 == 3 : i % 4 != 3;
    v1::RecordEventsRequest record;
    *record.add_events() =
        MakeObservation("z" + std::to_string(i), "zoe", response.recommendations(0).activity_id(),
                        correct ? 1.0 : 0.0, 1000 + i);
    v1::RecordEventsResponse recorded;
    status = (*stubs)->learners->RecordEvents(Ctx(kKeyA).get(), record, &recorded);
    EXPECT_TRUE(status.ok()) << Describe(status);
  }
  return chosen;
}

std::vector<std::string> TeachWithZpdes(Stubs** stubs, int steps, int restart_after,
                                        const std::function<void()>& restart) {
  return TeachWith(v1::POLICY_ZPDES, stubs, steps, restart_after, restart, false);
}

TEST_P(ServiceTest, GraphKeepsEvidenceSettingsAndMasteryReportsThePace) {
  for (app::TenantConfig& tenant : config_.tenants) tenant.tracker.individual_pace = true;
  Restart();
  v1::Graph graph = ChainGraph();
  graph.mutable_competencies(1)->set_mastery_min_opportunities(4);
  graph.mutable_competencies(1)->set_mastery_recent_correct(2);
  PutGraphOrFail(*stubs_, kKeyA, graph);
  v1::GetGraphResponse got;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &got).ok());
  ASSERT_EQ(got.graph().competencies_size(), 3);
  EXPECT_EQ(got.graph().competencies(1).mastery_min_opportunities(), 4);
  EXPECT_EQ(got.graph().competencies(1).mastery_recent_correct(), 2);
  EXPECT_FALSE(got.graph().competencies(0).has_mastery_min_opportunities());
  graph.mutable_competencies(2)->set_mastery_recent_correct(9);
  v1::PutGraphRequest bad;
  *bad.mutable_graph() = graph;
  v1::PutGraphResponse bad_response;
  grpc::Status refused = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), bad, &bad_response);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error_message().find("mastery_recent_correct"), std::string::npos)
      << Describe(refused);

  // A learner who keeps failing learns slower than the population: the pace says so, and the
  // recommendations name it.
  std::vector<v1::Observation> events;
  for (int i = 0; i < 10; ++i) {
    events.push_back(
        MakeObservation("p" + std::to_string(i), "sam", "act.a", i == 4 ? 1 : 0, 100 + i));
  }
  Record(events);
  const v1::GetMasteryResponse sam = Mastery("sam");
  ASSERT_TRUE(sam.has_pace());
  EXPECT_LT(sam.pace().learn_offset(), std::log(1.0 / 1.5));
  EXPECT_EQ(Mastery("sam").pace().SerializeAsString(), sam.pace().SerializeAsString());
  v1::RecommendRequest request;
  request.set_learner_id("sam");
  request.set_k(3);
  v1::RecommendResponse recommended;
  ASSERT_TRUE(stubs_->recommendations->Recommend(Ctx(kKeyA).get(), request, &recommended).ok());
  std::string reasons;
  for (const v1::Recommendation& r : recommended.recommendations())
    for (const std::string& reason : r.reasons()) reasons += reason + "\n";
  EXPECT_NE(reasons.find("at this learner's pace (learns at about"), std::string::npos) << reasons;
}

// Issue 13: GetMastery's `mastered` follows the course's evidence before "mastered" (the tenant's
// curriculum config), as the recommendations do, and a restart (replay) gives the same verdict.
TEST_P(ServiceTest, MasteredNeedsTheCourseEvidence) {
  for (app::TenantConfig& tenant : config_.tenants) {
    tenant.recommender.mastery.mastery_min_opportunities = 30;
    tenant.recommender.mastery.mastery_recent_correct = 2;
  }
  Restart();
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  std::vector<v1::Observation> events;
  for (int i = 0; i < 20; ++i)
    events.push_back(MakeObservation("m" + std::to_string(i), "max", "act.a", 1, 100 + i));
  const v1::RecordEventsResponse recorded = Record(events, /*return_mastery=*/true);
  ASSERT_EQ(recorded.learners_size(), 1);
  ASSERT_GE(recorded.learners(0).competencies_size(), 1);
  EXPECT_FALSE(recorded.learners(0).competencies(0).mastered());
  v1::GetMasteryResponse max = Mastery("max");
  ASSERT_EQ(max.competencies(0).competency_id(), "a");
  EXPECT_GE(max.competencies(0).p_learned(), 0.95);
  EXPECT_FALSE(max.competencies(0).mastered());  // 20 answers of the 30 asked for
  events.clear();
  for (int i = 20; i < 30; ++i)
    events.push_back(MakeObservation("m" + std::to_string(i), "max", "act.a", 1, 100 + i));
  Record(events);
  EXPECT_TRUE(Mastery("max").competencies(0).mastered());
  Record({MakeObservation("m30", "max", "act.a", 0, 200)});
  max = Mastery("max");
  EXPECT_GE(max.competencies(0).p_learned(), 0.95);
  EXPECT_FALSE(max.competencies(0).mastered());  // the last answer was wrong
  if (GetParam() == "memory") return;
  Restart();
  EXPECT_FALSE(Mastery("max").competencies(0).mastered());
  Record({MakeObservation("m31", "max", "act.a", 1, 201),
          MakeObservation("m32", "max", "act.a", 1, 202)});
  EXPECT_TRUE(Mastery("max").competencies(0).mastered());
}

TEST_P(ServiceTest, StallsEvidenceAndPaceSurviveARestartAsIfUninterrupted) {
  if (GetParam() == "memory") GTEST_SKIP() << "nothing survives the in-memory store";
  // The tenant's course reads the learner's recent answers (stalls, evidence before "mastered"),
  // kept with the mastery states, and tracks the learner's pace, a per-learner state in the store.
  for (app::TenantConfig& tenant : config_.tenants) {
    tenant.recommender.mastery.progress_weight = 1.0;
    tenant.recommender.mastery.stall_min_attempts = 3;
    tenant.recommender.mastery.stall_max_recent_correct = 0;
    tenant.recommender.mastery.mastery_recent_correct = 2;
    tenant.tracker.individual_pace = true;
  }
  Restart();
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  Stubs* stubs = stubs_.get();
  const std::vector<std::string> restarted = TeachWith(
      v1::POLICY_MASTERY, &stubs, 24, 12,
      [&] {
        Restart();
        stubs = stubs_.get();
      },
      true);

  TempDir other_dir;
  app::ServerConfig other_config = config_;
  other_config.data_dir = other_dir.path();
  std::unique_ptr<PathwiseServer> other = StartServer(other_config);
  ASSERT_NE(other, nullptr);
  {
    auto other_stubs = std::make_unique<Stubs>(other->InProcessChannel());
    PutGraphOrFail(*other_stubs, kKeyA, FractionsGraph());
    Stubs* raw = other_stubs.get();
    const std::vector<std::string> uninterrupted = TeachWith(
        v1::POLICY_MASTERY, &raw, 24, -1, [] {}, true);
    ASSERT_GT(uninterrupted.size(), 24u);
    EXPECT_EQ(restarted, uninterrupted);
    // The answers drove the recommendations: a stall was detected along the way.
    EXPECT_TRUE(std::any_of(uninterrupted.begin(), uninterrupted.end(), [](const std::string& e) {
      return e.find("stalled") != std::string::npos;
    })) << ::testing::PrintToString(uninterrupted);
  }
  EXPECT_OK(other->Shutdown(std::chrono::seconds(5)));
}

TEST_P(ServiceTest, ZpdesStateSurvivesARestartAsIfUninterrupted) {
  if (GetParam() == "memory") GTEST_SKIP() << "nothing survives the in-memory store";
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  Stubs* stubs = stubs_.get();
  const std::vector<std::string> restarted = TeachWithZpdes(&stubs, 24, 12, [&] {
    Restart();
    stubs = stubs_.get();
  });

  // The same teaching on a second server that is never restarted.
  TempDir other_dir;
  app::ServerConfig other_config = config_;
  other_config.data_dir = other_dir.path();
  std::unique_ptr<PathwiseServer> other = StartServer(other_config);
  ASSERT_NE(other, nullptr);
  {
    auto other_stubs = std::make_unique<Stubs>(other->InProcessChannel());
    PutGraphOrFail(*other_stubs, kKeyA, FractionsGraph());
    Stubs* raw = other_stubs.get();
    const std::vector<std::string> uninterrupted = TeachWithZpdes(&raw, 24, -1, [] {});
    EXPECT_EQ(restarted, uninterrupted);
    ASSERT_GT(uninterrupted.size(), 24u);
    // The zone moved on from where a newcomer starts: the state was used, not reset.
    v1::RecommendRequest request;
    request.set_learner_id("zoe-newcomer");
    request.set_policy(v1::POLICY_ZPDES);
    request.set_k(3);
    v1::RecommendResponse fresh;
    ASSERT_TRUE(raw->recommendations->Recommend(Ctx(kKeyA).get(), request, &fresh).ok());
    std::vector<std::string> fresh_ids;
    for (const v1::Recommendation& r : fresh.recommendations())
      fresh_ids.push_back(r.activity_id());
    std::vector<std::string> final_ids;
    for (size_t i = 24; i < uninterrupted.size(); ++i)
      final_ids.push_back(uninterrupted[i].substr(0, uninterrupted[i].find('@')));
    EXPECT_NE(final_ids, fresh_ids);
  }
  EXPECT_OK(other->Shutdown(std::chrono::seconds(5)));
}

TEST_P(ServiceTest, PlanPathwayOrdersPrerequisitesBeforeTheGoal) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record({MakeObservation("p1", "fay", "act.a", 0, 1)});
  v1::PlanPathwayRequest request;
  request.set_learner_id("fay");
  request.add_goals("c");
  v1::PlanPathwayResponse response;
  grpc::Status status = stubs_->recommendations->PlanPathway(Ctx(kKeyA).get(), request, &response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  const v1::Pathway& pathway = response.pathway();
  EXPECT_EQ(pathway.learner_id(), "fay");
  ASSERT_EQ(pathway.steps_size(), 3);
  EXPECT_EQ(pathway.steps(0).competency_id(), "a");
  EXPECT_EQ(pathway.steps(2).competency_id(), "c");
  EXPECT_TRUE(pathway.steps(2).is_goal());
  EXPECT_TRUE(pathway.reachable());
  EXPECT_GT(pathway.total_expected_opportunities(), 0);

  request.clear_goals();
  request.add_goals("zzz");
  status = stubs_->recommendations->PlanPathway(Ctx(kKeyA).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
}

TEST_P(ServiceTest, PutActiveModelRescoresLearnersAndGetModelReturnsIt) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record({MakeObservation("m1", "gus", "act.a", 1, 1)});
  const double before = Mastery("gus").competencies(0).p_learned();

  v1::PutModelRequest put;
  put.set_name("active");
  v1::BktParams* params = put.mutable_model()->mutable_defaults();
  params->set_prior(0.5);
  params->set_learn(0.3);
  params->set_guess(0.1);
  params->set_slip(0.05);
  v1::PutModelResponse put_response;
  grpc::Status status = stubs_->curriculum->PutModel(Ctx(kKeyA).get(), put, &put_response);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(put_response.version(), 1);
  EXPECT_TRUE(put_response.active());
  EXPECT_EQ(put_response.learners_rescored(), 1);
  const v1::GetMasteryResponse after = Mastery("gus");
  EXPECT_EQ(after.model_version(), 1);
  EXPECT_NE(after.competencies(0).p_learned(), before);
  EXPECT_EQ(after.competencies(0).opportunities(), 1u);
  // A replay under the new parameters: prior 0.5, correct, then the learning transition.
  const double posterior = 0.5 * 0.95 / (0.5 * 0.95 + 0.5 * 0.1);
  EXPECT_DOUBLE_EQ(after.competencies(0).p_learned(), posterior + (1 - posterior) * 0.3);

  v1::GetModelRequest get;
  get.set_name("active");
  v1::GetModelResponse got;
  ASSERT_TRUE(stubs_->curriculum->GetModel(Ctx(kKeyA).get(), get, &got).ok());
  EXPECT_EQ(got.version(), 1);
  EXPECT_EQ(got.model().defaults().prior(), 0.5);

  // A model under another name is stored but not used.
  put.set_name("candidate");
  ASSERT_TRUE(stubs_->curriculum->PutModel(Ctx(kKeyA).get(), put, &put_response).ok());
  EXPECT_FALSE(put_response.active());

  if (GetParam() == "sqlite") {  // rebuilt from the store under the stored active model
    Restart();
    EXPECT_DOUBLE_EQ(Mastery("gus").competencies(0).p_learned(), posterior + (1 - posterior) * 0.3);
  }
}

TEST_P(ServiceTest, FitModelRunsInTheBackgroundAndStoresTheModel) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  std::vector<v1::Observation> events;
  for (int learner = 0; learner < 20; ++learner) {
    for (int i = 0; i < 12; ++i) {
      const bool correct = (i > learner % 6) || (i % 3 == 0);
      events.push_back(MakeObservation("f" + std::to_string(learner) + "-" + std::to_string(i),
                                       "learner" + std::to_string(learner),
                                       i % 2 == 0 ? "act.a" : "act.b", correct ? 1 : 0, i));
    }
  }
  Record(events);
  v1::FitModelRequest request;
  request.set_model_name("fitted");
  request.mutable_options()->set_max_iterations(50);
  v1::FitJob job;
  grpc::Status status = stubs_->models->FitModel(Ctx(kKeyA).get(), request, &job);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_FALSE(job.job_id().empty());
  EXPECT_EQ(job.state(), v1::JOB_STATE_QUEUED);

  v1::GetFitJobRequest get;
  get.set_job_id(job.job_id());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(stubs_->models->GetFitJob(Ctx(kKeyA).get(), get, &job).ok());
  } while ((job.state() == v1::JOB_STATE_QUEUED || job.state() == v1::JOB_STATE_RUNNING) &&
           std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED) << job.error_message();
  EXPECT_EQ(job.rows(), 240u);
  EXPECT_EQ(job.learners(), 20u);
  EXPECT_LT(job.log_likelihood(), 0.0);
  EXPECT_EQ(job.model_version(), 1);

  v1::GetModelRequest model_request;
  model_request.set_name("fitted");
  v1::GetModelResponse model;
  ASSERT_TRUE(stubs_->curriculum->GetModel(Ctx(kKeyA).get(), model_request, &model).ok());
  EXPECT_EQ(model.model().competencies_size(), 2);  // a and b have rows; c none

  // The same job id again is refused.
  request.set_job_id(job.job_id());
  EXPECT_EQ(stubs_->models->FitModel(Ctx(kKeyA).get(), request, &job).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_P(ServiceTest, MasterySurvivesARestart) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record({MakeObservation("k1", "hal", "act.a", 1, 5),
          MakeObservation("k2", "hal", "act.ab", 0.5, 6)});
  const std::string before = Mastery("hal").SerializeAsString();
  Restart();
  if (GetParam() == "memory") {
    // Nothing survives the in-memory store; the learner is gone with it.
    v1::GetMasteryRequest request;
    request.set_learner_id("hal");
    v1::GetMasteryResponse response;
    EXPECT_EQ(stubs_->learners->GetMastery(Ctx(kKeyA).get(), request, &response).error_code(),
              grpc::StatusCode::NOT_FOUND);
    return;
  }
  EXPECT_EQ(Mastery("hal").SerializeAsString(), before);
  // Re-sent events are still duplicates after the restart.
  v1::RecordEventsResponse again = Record({MakeObservation("k1", "hal", "act.a", 1, 5)});
  EXPECT_EQ(again.duplicates(), 1u);

  // The same after a restart that replays the events instead of restoring the states.
  if (GetParam() != "sqlite") return;
  RestartByReplay();
  EXPECT_EQ(Mastery("hal").SerializeAsString(), before);
  again = Record({MakeObservation("k2", "hal", "act.ab", 0.5, 6)});
  EXPECT_EQ(again.duplicates(), 1u);
}

TEST_P(ServiceTest, PutGraphRederivesMasteryUnderTheNewGraph) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  Record(
      {MakeObservation("g1", "ivy", "act.ab", 1, 5), MakeObservation("g2", "ivy", "act.c", 1, 6)});
  // The new graph drops act.ab: its event no longer practises anything.
  v1::Graph smaller = ChainGraph();
  smaller.mutable_activities()->RemoveLast();
  v1::PutGraphRequest put;
  *put.mutable_graph() = smaller;
  v1::PutGraphResponse response;
  ASSERT_TRUE(stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &response).ok());
  EXPECT_EQ(response.learners_rescored(), 1);
  const v1::GetMasteryResponse mastery = Mastery("ivy");
  EXPECT_EQ(mastery.graph_version(), 2);
  EXPECT_EQ(mastery.competencies(0).opportunities(), 0u);
  EXPECT_EQ(mastery.competencies(1).opportunities(), 0u);
  EXPECT_EQ(mastery.competencies(2).opportunities(), 1u);
  // The events themselves are kept.
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "ivy").size(), 2u);
}

TEST_P(ServiceTest, HealthCheckReportsServing) {
  // The whole server (service ""), through the stubs generated from grpc/health/v1/health.proto.
  const Result<std::string> health = pathwise::testing::CheckHealth(server_->InProcessChannel());
  ASSERT_OK(health);
  EXPECT_EQ(*health, "SERVING");
}

TEST_P(ServiceTest, RecordEventsThatDoNotParseAreInvalidArgumentAndStoreNothing) {
  PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
  v1::RecordEventsRequest request;
  *request.add_events() = MakeObservation("e1", "ann", "act.a", 1, 1000);
  // A valid request cut off in the middle of its event.
  const std::string whole = request.SerializeAsString();
  const RawReply reply =
      RawUnaryCall(server_->InProcessChannel(), "/pathwise.v1.LearnerService/RecordEvents",
                   whole.substr(0, whole.size() - 3), kKeyA);
  EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << Describe(reply.status);
  EXPECT_NE(reply.status.error_message().find("RecordEventsRequest"), std::string::npos)
      << reply.status.error_message();
  v1::GetMasteryRequest mastery;
  mastery.set_learner_id("ann");
  v1::GetMasteryResponse mastery_reply;
  EXPECT_EQ(stubs_->learners->GetMastery(Ctx(kKeyA).get(), mastery, &mastery_reply).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The whole message goes through the same raw path and is recorded.
  const RawReply ok = RawUnaryCall(server_->InProcessChannel(),
                                   "/pathwise.v1.LearnerService/RecordEvents", whole, kKeyA);
  ASSERT_TRUE(ok.status.ok()) << Describe(ok.status);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(response.ParseFromString(ok.bytes));
  EXPECT_EQ(response.recorded(), 1u);
}

// One request of grpc.reflection.<version>.ServerReflection/ServerReflectionInfo (a bidi stream)
// through the generic stub: the reply's bytes, or the call's failure. v1 and v1alpha share the
// wire format.
RawReply ReflectionCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& version,
                        const std::string& request_bytes) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection." + version + ".ServerReflection/ServerReflectionInfo", &cq);
  RawReply out;
  void* tag;
  bool ok;
  auto step = [&](intptr_t expected) {
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), expected);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  step(1);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  step(2);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  step(3);
  const bool got_reply = ok;
  call->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  call->Finish(&out.status, reinterpret_cast<void*>(5));
  step(5);
  std::vector<grpc::Slice> slices;
  if (got_reply && reply.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      out.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// A length-delimited field of a request message.
std::string StringField(int number, const std::string& value) {
  std::string out(1, static_cast<char>(number << 3 | 2));
  out += static_cast<char>(value.size());  // names here are shorter than 128 bytes
  return out + value;
}

const char* const kListedServices[] = {"pathwise.v1.CurriculumService",
                                       "pathwise.v1.LearnerService",
                                       "pathwise.v1.RecommendationService",
                                       "pathwise.v1.ModelService",
                                       "pathwise.v1.StandardsService",
                                       "grpc.health.v1.Health",
                                       "grpc.reflection.v1alpha.ServerReflection",
                                       "grpc.reflection.v1.ServerReflection"};

TEST_P(ServiceTest, ReflectionListsEveryServiceInBothVersions) {
  for (const char* version : {"v1alpha", "v1"}) {
    // list_services = "" is field 7; the reply names every registered service.
    const RawReply reply = ReflectionCall(server_->InProcessChannel(), version, StringField(7, ""));
    EXPECT_TRUE(reply.status.ok()) << version << ": " << Describe(reply.status);
    for (const char* service : kListedServices) {
      EXPECT_NE(reply.bytes.find(service), std::string::npos) << version << " " << service;
    }
  }
}

TEST_P(ServiceTest, ReflectionDescribesEveryListedServiceInBothVersions) {
  // file_containing_symbol (field 4) of each listed service: the reply holds its file (field 4 of
  // the response, file_descriptor_response), never an error_response (field 7).
  for (const char* version : {"v1alpha", "v1"}) {
    for (const char* service : kListedServices) {
      const RawReply reply =
          ReflectionCall(server_->InProcessChannel(), version, StringField(4, service));
      ASSERT_TRUE(reply.status.ok()) << version << " " << service << ": " << Describe(reply.status);
      google::protobuf::UnknownFieldSet fields;
      ASSERT_TRUE(fields.ParseFromString(reply.bytes)) << service;
      bool described = false;
      for (int i = 0; i < fields.field_count(); ++i) {
        EXPECT_NE(fields.field(i).number(), 7)
            << version << ": " << service << " is listed but not describable";
        described = described || fields.field(i).number() == 4;
      }
      EXPECT_TRUE(described) << version << " " << service;
      const std::string name(service);
      EXPECT_NE(reply.bytes.find(name.substr(name.rfind('.') + 1)), std::string::npos) << service;
    }
  }
  // An unknown symbol is an error_response in the stream, not a failed call.
  const RawReply unknown =
      ReflectionCall(server_->InProcessChannel(), "v1", StringField(4, "no.such.Service"));
  EXPECT_TRUE(unknown.status.ok()) << Describe(unknown.status);
  EXPECT_NE(unknown.bytes.find("not found"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Stores, ServiceTest, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           return param_info.param;
                         });

}  // namespace
}  // namespace pathwise::service
