// Tenant isolation (every RPC with another tenant's key, a wrong key and none) and bad input (each
// rejected with the right code, a message naming the problem, and nothing stored).
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::ExportEvents;
using testing::kKeyA;
using testing::kKeyB;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::StartServer;
using testing::Stubs;
using testing::TempDir;
using testing::TwoTenantConfig;

std::string Describe(const grpc::Status& s) {
  return std::to_string(s.error_code()) + " " + s.error_message();
}

// Tenant A has a graph, a model, a learner "ann" with events and a finished fit job; tenant B has
// nothing but its own graph.
class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app::ServerConfig config = TwoTenantConfig();
    config.store = "sqlite";
    config.data_dir = dir_.path();
    config.limits.max_message_bytes = 64 << 10;
    config.limits.max_batch_events = 100;
    server_ = StartServer(config);
    ASSERT_NE(server_, nullptr);
    stubs_ = std::make_unique<Stubs>(server_->InProcessChannel());
    PutGraphOrFail(*stubs_, kKeyA, ChainGraph());
    PutGraphOrFail(*stubs_, kKeyB, ChainGraph());
    v1::RecordEventsRequest record;
    *record.add_events() = MakeObservation("e1", "ann", "act.a", 1, 10);
    *record.add_events() = MakeObservation("e2", "ann", "act.b", 0, 20);
    v1::RecordEventsResponse recorded;
    ASSERT_TRUE(stubs_->learners->RecordEvents(Ctx(kKeyA).get(), record, &recorded).ok());
    v1::PutModelRequest model;
    model.set_name("candidate");
    model.set_model_json(R"({"format": "pathwise.bkt_model", "version": 1})");
    v1::PutModelResponse put_model;
    ASSERT_TRUE(stubs_->curriculum->PutModel(Ctx(kKeyA).get(), model, &put_model).ok());
    v1::FitModelRequest fit;
    fit.set_model_name("fitted");
    fit.set_job_id("job-1");
    v1::FitJob job;
    ASSERT_TRUE(stubs_->models->FitModel(Ctx(kKeyA).get(), fit, &job).ok());
  }
  void TearDown() override { EXPECT_OK(server_->Shutdown(std::chrono::seconds(5))); }

  // Every RPC, aimed at tenant A's data, called with `key`.
  std::vector<std::pair<std::string, std::function<grpc::Status(const std::string&)>>> Calls() {
    Stubs& s = *stubs_;
    return {
        {"PutGraph",
         [&s](const std::string& key) {
           v1::PutGraphRequest r;
           *r.mutable_graph() = ChainGraph();
           r.set_expected_version(1);
           v1::PutGraphResponse out;
           return s.curriculum->PutGraph(Ctx(key).get(), r, &out);
         }},
        {"GetGraph",
         [&s](const std::string& key) {
           v1::GetGraphRequest r;
           r.set_version(1);
           v1::GetGraphResponse out;
           return s.curriculum->GetGraph(Ctx(key).get(), r, &out);
         }},
        {"ValidateGraph",
         [&s](const std::string& key) {
           v1::ValidateGraphRequest r;
           *r.mutable_graph() = ChainGraph();
           v1::ValidateGraphResponse out;
           return s.curriculum->ValidateGraph(Ctx(key).get(), r, &out);
         }},
        {"PutModel",
         [&s](const std::string& key) {
           v1::PutModelRequest r;
           r.set_name("other");
           r.set_model_json(R"({"format": "pathwise.bkt_model", "version": 1})");
           v1::PutModelResponse out;
           return s.curriculum->PutModel(Ctx(key).get(), r, &out);
         }},
        {"GetModel",
         [&s](const std::string& key) {
           v1::GetModelRequest r;
           r.set_name("candidate");
           v1::GetModelResponse out;
           return s.curriculum->GetModel(Ctx(key).get(), r, &out);
         }},
        {"RecordEvents",
         [&s](const std::string& key) {
           v1::RecordEventsRequest r;
           *r.add_events() = MakeObservation("iso-1", "zed", "act.a", 1, 1);
           v1::RecordEventsResponse out;
           return s.learners->RecordEvents(Ctx(key).get(), r, &out);
         }},
        {"StreamEvents",
         [&s](const std::string& key) {
           auto context = Ctx(key);
           v1::RecordEventsResponse out;
           auto writer = s.learners->StreamEvents(context.get(), &out);
           v1::RecordEventsRequest r;
           *r.add_events() = MakeObservation("iso-2", "zed", "act.a", 1, 1);
           writer->Write(r);
           writer->WritesDone();
           return writer->Finish();
         }},
        {"GetMastery",
         [&s](const std::string& key) {
           v1::GetMasteryRequest r;
           r.set_learner_id("ann");
           v1::GetMasteryResponse out;
           return s.learners->GetMastery(Ctx(key).get(), r, &out);
         }},
        {"ExportLearner",
         [&s](const std::string& key) {
           grpc::Status status;
           ExportEvents(s, key, "ann", &status);
           return status;
         }},
        {"DeleteLearner",
         [&s](const std::string& key) {
           v1::DeleteLearnerRequest r;
           r.set_learner_id("ann");
           v1::DeleteLearnerResponse out;
           return s.learners->DeleteLearner(Ctx(key).get(), r, &out);
         }},
        {"Recommend",
         [&s](const std::string& key) {
           v1::RecommendRequest r;
           r.set_learner_id("ann");
           r.set_require_known_learner(true);
           v1::RecommendResponse out;
           return s.recommendations->Recommend(Ctx(key).get(), r, &out);
         }},
        {"PlanPathway",
         [&s](const std::string& key) {
           v1::PlanPathwayRequest r;
           r.set_learner_id("ann");
           r.set_require_known_learner(true);
           r.add_goals("c");
           v1::PlanPathwayResponse out;
           return s.recommendations->PlanPathway(Ctx(key).get(), r, &out);
         }},
        {"FitModel",
         [&s](const std::string& key) {
           v1::FitModelRequest r;
           r.set_model_name("fitted-iso");
           v1::FitJob out;
           return s.models->FitModel(Ctx(key).get(), r, &out);
         }},
        {"GetFitJob",
         [&s](const std::string& key) {
           v1::GetFitJobRequest r;
           r.set_job_id("job-1");
           v1::FitJob out;
           return s.models->GetFitJob(Ctx(key).get(), r, &out);
         }},
        {"CancelFitJob",
         [&s](const std::string& key) {
           v1::CancelFitJobRequest r;
           r.set_job_id("job-1");
           v1::FitJob out;
           return s.models->CancelFitJob(Ctx(key).get(), r, &out);
         }},
    };
  }

  TempDir dir_;
  std::unique_ptr<PathwiseServer> server_;
  std::unique_ptr<Stubs> stubs_;
};

TEST_F(IsolationTest, EveryRpcWithoutAKeyIsUnauthenticated) {
  for (auto& [name, call] : Calls()) {
    const grpc::Status status = call("");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << Describe(status);
  }
}

TEST_F(IsolationTest, EveryRpcWithAWrongKeyIsUnauthenticated) {
  for (auto& [name, call] : Calls()) {
    const grpc::Status status = call("not-a-key-of-anyone-000");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << name << Describe(status);
    EXPECT_EQ(status.error_message(), "unknown API key") << name;
  }
}

TEST_F(IsolationTest, MalformedAuthorizationIsUnauthenticated) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", std::string("Basic ") + kKeyA);
  v1::GetGraphResponse out;
  const grpc::Status status = stubs_->curriculum->GetGraph(&context, {}, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(IsolationTest, AnotherTenantSeesNoneOfTheData) {
  // What B may do works on B's own namespace and never reaches A's data.
  const std::map<std::string, grpc::StatusCode> expected_for_b = {
      {"PutGraph", grpc::StatusCode::OK},              // B's own graph version 1 -> 2
      {"GetGraph", grpc::StatusCode::OK},              // B's own version 1
      {"ValidateGraph", grpc::StatusCode::OK},         // stores nothing
      {"PutModel", grpc::StatusCode::OK},              // B's own model "other"
      {"GetModel", grpc::StatusCode::NOT_FOUND},       // A's "candidate"
      {"RecordEvents", grpc::StatusCode::OK},          // B's own learner "zed"
      {"StreamEvents", grpc::StatusCode::OK},          // B's own learner "zed"
      {"GetMastery", grpc::StatusCode::NOT_FOUND},     // A's learner
      {"ExportLearner", grpc::StatusCode::NOT_FOUND},  // A's learner
      {"DeleteLearner", grpc::StatusCode::NOT_FOUND},  // A's learner
      {"Recommend", grpc::StatusCode::NOT_FOUND},      // A's learner
      {"PlanPathway", grpc::StatusCode::NOT_FOUND},    // A's learner
      {"FitModel", grpc::StatusCode::OK},              // B's own job
      {"GetFitJob", grpc::StatusCode::NOT_FOUND},      // A's job
      {"CancelFitJob", grpc::StatusCode::NOT_FOUND},   // A's job
  };
  for (auto& [name, call] : Calls()) {
    const grpc::Status status = call(kKeyB);
    EXPECT_EQ(status.error_code(), expected_for_b.at(name)) << name << ": " << Describe(status);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      // The message reads as for an id that does not exist at all: nothing about tenant A.
      EXPECT_EQ(status.error_message().find("tenant-a"), std::string::npos) << name;
    }
  }
  // A's data is untouched: ann still has both events, A's graph is still version 1, and B's learner
  // is not visible to A.
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "ann").size(), 2u);
  v1::GetGraphResponse graph;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &graph).ok());
  EXPECT_EQ(graph.version(), 1);
  // Cold start (the default) serves A's learner id to B exactly as an id that exists nowhere.
  for (int policy : {v1::POLICY_MASTERY, v1::POLICY_CURRICULUM}) {
    std::string served[2];
    for (int i = 0; i < 2; ++i) {
      v1::RecommendRequest r;
      r.set_learner_id(i == 0 ? "ann" : "nobody");
      r.set_policy(static_cast<v1::Policy>(policy));
      v1::RecommendResponse out;
      const grpc::Status status = stubs_->recommendations->Recommend(Ctx(kKeyB).get(), r, &out);
      ASSERT_TRUE(status.ok()) << Describe(status);
      EXPECT_GT(out.recommendations_size(), 0);
      out.clear_learner_id();
      served[i] = out.SerializeAsString();
    }
    // (random and zpdes draws are seeded by the learner id alone, never by what is stored)
    EXPECT_EQ(served[0], served[1]) << policy;
  }
  grpc::Status zed;
  ExportEvents(*stubs_, kKeyA, "zed", &zed);
  EXPECT_EQ(zed.error_code(), grpc::StatusCode::NOT_FOUND);
  ExportEvents(*stubs_, kKeyB, "zed", &zed);
  EXPECT_TRUE(zed.ok());
}

// ---- Bad input ----------------------------------------------------------------------------------

class BadInputTest : public IsolationTest {
 protected:
  grpc::Status RecordOne(const v1::Observation& event) {
    v1::RecordEventsRequest r;
    *r.add_events() = MakeObservation("ok-1", "newbie", "act.a", 1, 1);
    *r.add_events() = event;
    v1::RecordEventsResponse out;
    return stubs_->learners->RecordEvents(Ctx(kKeyA).get(), r, &out);
  }
  void ExpectNothingStored() {
    grpc::Status status;
    ExportEvents(*stubs_, kKeyA, "newbie", &status);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << "a rejected batch stored data";
    EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "ann").size(), 2u);
  }
};

TEST_F(BadInputTest, MalformedEventsAreInvalidArgumentNamingTheFieldAndStoreNothing) {
  const std::vector<std::pair<v1::Observation, std::string>> cases = {
      {MakeObservation("b1", "ann", "act.a", std::nan(""), 1), "events[1].outcome"},
      {MakeObservation("b1", "ann", "act.a", -0.5, 1), "events[1].outcome"},
      {MakeObservation("b1", "ann", "act.a", 2, 1), "events[1].outcome"},
      {MakeObservation("b1", "ann zz", "act.a", 1, 1), "events[1].learner_id"},
      {MakeObservation("b1", "", "act.a", 1, 1), "events[1].learner_id"},
      {MakeObservation("b 1", "ann", "act.a", 1, 1), "events[1].event_id"},
      {MakeObservation("b1", "ann", "act.a*b", 1, 1), "events[1].activity_id"},
      {MakeObservation("b1", "ann", "act.a", 1, -1), "events[1].timestamp_ms"},
  };
  for (const auto& [event, path] : cases) {
    const grpc::Status status = RecordOne(event);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path << Describe(status);
    EXPECT_EQ(status.error_message().rfind(path, 0), 0u) << Describe(status);
  }
  ExpectNothingStored();
}

TEST_F(BadInputTest, UnknownActivityIsNotFoundNamingTheFieldAndStoresNothing) {
  const grpc::Status status = RecordOne(MakeObservation("b1", "ann", "act.nowhere", 1, 1));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(status.error_message().rfind("events[1].activity_id", 0), 0u) << Describe(status);
  EXPECT_NE(status.error_message().find("act.nowhere"), std::string::npos);
  ExpectNothingStored();
}

TEST_F(BadInputTest, EmptyAndOversizedBatchesAreRejected) {
  v1::RecordEventsRequest empty;
  v1::RecordEventsResponse out;
  grpc::Status status = stubs_->learners->RecordEvents(Ctx(kKeyA).get(), empty, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("events", 0), 0u);

  v1::RecordEventsRequest big;
  for (int i = 0; i < 101; ++i) {
    *big.add_events() = MakeObservation("big" + std::to_string(i), "newbie", "act.a", 1, i);
  }
  status = stubs_->learners->RecordEvents(Ctx(kKeyA).get(), big, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);
  EXPECT_NE(status.error_message().find("limit of 100"), std::string::npos);
  ExpectNothingStored();
}

TEST_F(BadInputTest, OversizedMessageIsResourceExhausted) {
  v1::RecordEventsRequest huge;
  // 64 KiB is the test server's limit; one event with a 100 KB id goes over it.
  *huge.add_events() = MakeObservation(std::string(100000, 'x'), "newbie", "act.a", 1, 1);
  v1::RecordEventsResponse out;
  const grpc::Status status = stubs_->learners->RecordEvents(Ctx(kKeyA).get(), huge, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << Describe(status);
  ExpectNothingStored();
}

TEST_F(BadInputTest, CyclicGraphIsFailedPreconditionNamingTheCycleAndStoresNothing) {
  v1::Graph graph = ChainGraph();
  v1::Prerequisite* back = graph.add_prerequisites();
  back->set_from("c");
  back->set_to("a");
  v1::PutGraphRequest put;
  *put.mutable_graph() = graph;
  v1::PutGraphResponse out;
  const grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_NE(status.error_message().find("cycle: a -> b -> c -> a"), std::string::npos)
      << Describe(status);
  v1::GetGraphResponse latest;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &latest).ok());
  EXPECT_EQ(latest.version(), 1);
}

TEST_F(BadInputTest, MalformedGraphJsonIsInvalidArgumentWithPosition) {
  v1::PutGraphRequest put;
  put.set_graph_json("{\"format\": \"pathwise.graph\", \"version\": 1, \"competencies\": [{]}");
  v1::PutGraphResponse out;
  const grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
  EXPECT_EQ(status.error_message().rfind("graph_json", 0), 0u) << Describe(status);
}

TEST_F(BadInputTest, NanParametersAndOutOfRangeNumbersAreNamed) {
  v1::Graph graph = ChainGraph();
  graph.mutable_prerequisites(0)->set_strength(std::nan(""));
  graph.mutable_activities(0)->set_expected_minutes(-3);
  v1::PutGraphRequest put;
  *put.mutable_graph() = graph;
  v1::PutGraphResponse out;
  grpc::Status status = stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("graph.prerequisites[0].strength"), std::string::npos)
      << Describe(status);
  EXPECT_NE(status.error_message().find("graph.activities[0].expected_minutes"), std::string::npos)
      << Describe(status);

  v1::PutModelRequest model;
  model.set_name("active");
  v1::BktParams* params = model.mutable_model()->mutable_defaults();
  params->set_prior(0.1);
  params->set_learn(std::nan(""));
  params->set_guess(0.2);
  params->set_slip(0.1);
  v1::PutModelResponse model_out;
  status = stubs_->curriculum->PutModel(Ctx(kKeyA).get(), model, &model_out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("learn"), std::string::npos) << Describe(status);
  v1::GetModelRequest get;
  get.set_name("active");
  v1::GetModelResponse got;
  EXPECT_EQ(stubs_->curriculum->GetModel(Ctx(kKeyA).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::RecommendRequest recommend;
  recommend.set_learner_id("ann");
  recommend.set_k(1000000);
  v1::RecommendResponse rec_out;
  status = stubs_->recommendations->Recommend(Ctx(kKeyA).get(), recommend, &rec_out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("k:", 0), 0u);
  recommend.set_k(2);
  recommend.add_pinned_activities("act.a");
  recommend.add_excluded_activities("act.a");
  status = stubs_->recommendations->Recommend(Ctx(kKeyA).get(), recommend, &rec_out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(status);
}

TEST_F(BadInputTest, StreamStopsAtTheBadMessageKeepingTheGoodOnes) {
  auto context = Ctx(kKeyA);
  v1::RecordEventsResponse out;
  auto writer = stubs_->learners->StreamEvents(context.get(), &out);
  v1::RecordEventsRequest good;
  *good.add_events() = MakeObservation("s1", "sam", "act.a", 1, 1);
  v1::RecordEventsRequest bad;
  *bad.add_events() = MakeObservation("s2", "sam", "act.a", std::nan(""), 2);
  writer->Write(good);
  writer->Write(bad);
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message().rfind("message 1: events[0].outcome", 0), 0u)
      << Describe(status);
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "sam").size(), 1u);
}

TEST_F(BadInputTest, InvalidUtf8IsRejectedWithoutHarm) {
  // proto3 strings must be UTF-8; the server refuses to parse such a message and stays up.
  v1::RecordEventsRequest r;
  *r.add_events() = MakeObservation("u1", "newbie", "act.a", 1, 1);
  r.mutable_events(0)->set_learner_id(std::string("\xc3\x28", 2));
  v1::RecordEventsResponse out;
  const grpc::Status status = stubs_->learners->RecordEvents(Ctx(kKeyA).get(), r, &out);
  EXPECT_FALSE(status.ok());
  ExpectNothingStored();
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, "ann").size(), 2u);
}

}  // namespace
}  // namespace pathwise::service
