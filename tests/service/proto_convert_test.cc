// FromProto / ToProto without a server: round trips, and every kind of bad input named by its
// field.
#include "service/proto_convert.h"

#include <cctype>
#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>

#include "service/status_mapping.h"
#include "service_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::service {
namespace {

using app::PlanCall;
using app::RecommendCall;
using app::ServiceLimits;

using testing::ChainGraph;
using testing::FractionsGraph;
using testing::MakeObservation;

bool HasProblem(const std::vector<GraphProblem>& problems, GraphProblem::Kind kind,
                const std::string& path) {
  for (const GraphProblem& p : problems) {
    if (p.kind == kind && p.path == path) return true;
  }
  return false;
}

TEST(ProtoConvertTest, GraphRoundTripKeepsEveryField) {
  Result<GraphDefinition> def =
      ReadGraphDefinitionFile(pathwise::testing::SourcePath("examples/curriculum/fractions.json"));
  ASSERT_OK(def);
  v1::Graph proto;
  ToProto(*def, &proto);
  Result<CheckedGraph> checked = CheckGraph(&proto, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  EXPECT_TRUE(checked->problems.empty());
  // The graph JSON writer is canonical, so equal text means equal definitions.
  EXPECT_EQ(WriteGraphJson(checked->definition), WriteGraphJson(*def));
}

TEST(ProtoConvertTest, GraphJsonAndMessageGiveTheSameDefinition) {
  const v1::Graph proto = FractionsGraph();
  Result<CheckedGraph> from_message = CheckGraph(&proto, nullptr, ServiceLimits{});
  ASSERT_OK(from_message);
  const std::string json = WriteGraphJson(from_message->definition);
  Result<CheckedGraph> from_json = CheckGraph(nullptr, &json, ServiceLimits{});
  ASSERT_OK(from_json);
  EXPECT_TRUE(from_json->problems.empty());
  EXPECT_EQ(WriteGraphJson(from_json->definition), json);
}

TEST(ProtoConvertTest, MissingParameterIsNamedByPath) {
  v1::Graph graph = ChainGraph();
  v1::BktParams* params = graph.mutable_competencies(1)->mutable_params();
  params->set_prior(0.2);
  params->set_learn(0.1);
  params->set_guess(0.2);  // no slip
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  EXPECT_TRUE(HasProblem(checked->problems, GraphProblem::Kind::kMalformed,
                         "graph.competencies[1].params.slip"));
}

TEST(ProtoConvertTest, NanThresholdIsOutOfRange) {
  v1::Graph graph = ChainGraph();
  graph.mutable_competencies(2)->set_mastery_threshold(std::nan(""));
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  ASSERT_FALSE(checked->problems.empty());
  EXPECT_EQ(checked->problems[0].kind, GraphProblem::Kind::kOutOfRange);
  EXPECT_EQ(checked->problems[0].path.rfind("graph.competencies[2]", 0), 0u)
      << checked->problems[0].path;
}

TEST(ProtoConvertTest, CycleAloneIsFailedPreconditionNamingTheCycle) {
  v1::Graph graph = ChainGraph();
  v1::Prerequisite* back = graph.add_prerequisites();
  back->set_from("c");
  back->set_to("a");
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  Status status = ProblemsToStatus(checked->problems);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("cycle"), std::string::npos) << status;
  EXPECT_NE(status.message().find("a -> b -> c -> a"), std::string::npos) << status;
}

TEST(ProtoConvertTest, CycleWithOtherProblemsIsInvalidArgument) {
  v1::Graph graph = ChainGraph();
  v1::Prerequisite* back = graph.add_prerequisites();
  back->set_from("c");
  back->set_to("a");
  graph.mutable_activities(0)->mutable_competencies(0)->set_competency_id("nowhere");
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  EXPECT_EQ(ProblemsToStatus(checked->problems).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasProblem(checked->problems, GraphProblem::Kind::kDanglingReference,
                         "graph.activities[0].competencies[0].competency_id"));
}

TEST(ProtoConvertTest, IdWithSpaceIsMalformed) {
  v1::Graph graph = ChainGraph();
  graph.mutable_activities(3)->set_id("act ab");
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  ASSERT_TRUE(
      HasProblem(checked->problems, GraphProblem::Kind::kMalformed, "graph.activities[3].id"));
  EXPECT_NE(ProblemsToStatus(checked->problems).message().find("0x20 at byte 3"),
            std::string::npos);
}

// The service's own problems join the core's under the core's rule: a cycle beside an id the
// service refuses is not "only cycles".
TEST(ProtoConvertTest, CycleWithMalformedIdIsInvalidArgument) {
  v1::Graph graph = ChainGraph();
  v1::Prerequisite* back = graph.add_prerequisites();
  back->set_from("c");
  back->set_to("a");
  graph.mutable_activities(3)->set_id("act ab");
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  ASSERT_OK(checked);
  ASSERT_TRUE(
      HasProblem(checked->problems, GraphProblem::Kind::kMalformed, "graph.activities[3].id"));
  EXPECT_EQ(ProblemsToStatus(checked->problems).code(), StatusCode::kInvalidArgument);
}

// Every core kind reaches the wire as the proto kind of the same name (kDuplicateId <->
// DUPLICATE_ID, GraphProblemKindName "duplicate-id"), path and message unchanged.
TEST(ProtoConvertTest, GraphProblemKindsMapByName) {
  using Kind = GraphProblem::Kind;
  for (Kind kind : {Kind::kMissingId, Kind::kDuplicateId, Kind::kSelfLoop, Kind::kDuplicateEdge,
                    Kind::kDanglingReference, Kind::kOutOfRange, Kind::kEmptyActivity, Kind::kCycle,
                    Kind::kMalformed}) {
    v1::GraphProblem proto;
    ToProto(GraphProblem{kind, "graph.competencies[0].id", "why"}, &proto);
    std::string name = v1::GraphProblem::Kind_Name(proto.kind());
    for (char& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(c));
    EXPECT_EQ(name, GraphProblemKindName(kind));
    EXPECT_EQ(proto.path(), "graph.competencies[0].id");
    EXPECT_EQ(proto.message(), "why");
  }
}

TEST(ProtoConvertTest, GraphJsonSyntaxErrorIsListedWithLineAndColumn) {
  const std::string json = "{\"format\": \"pathwise.graph\",\n \"version\": 1,,}";
  Result<CheckedGraph> checked = CheckGraph(nullptr, &json, ServiceLimits{});
  ASSERT_OK(checked);
  ASSERT_EQ(checked->problems.size(), 1u);
  EXPECT_EQ(checked->problems[0].kind, GraphProblem::Kind::kMalformed);
  EXPECT_NE(checked->problems[0].message.find("2:"), std::string::npos)
      << checked->problems[0].message;
}

TEST(ProtoConvertTest, GraphOverLimitIsResourceExhausted) {
  ServiceLimits limits;
  limits.max_graph_items = 2;
  v1::Graph graph = ChainGraph();
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, limits);
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(checked.status().message().find("graph.competencies"), std::string::npos);
}

TEST(ProtoConvertTest, NeitherGraphNorJsonIsInvalidArgument) {
  Result<CheckedGraph> checked = CheckGraph(nullptr, nullptr, ServiceLimits{});
  EXPECT_EQ(checked.status().code(), StatusCode::kInvalidArgument);
}

TEST(ProtoConvertTest, ModelRoundTripKeepsEveryField) {
  BktModel model;
  model.defaults = BktParams{0.2, 0.15, 0.01, 0.22, 0.09};
  model.competencies["a"] = BktParams{0.3, 0.2, 0.0, 0.2, 0.1};
  model.activities["act.a"].guess = 0.25;
  model.competency_activities["a"]["act.ab"].slip = 0.05;
  model.prior_groups = PriorGroupSource::kFirstResponse;
  model.group_priors["a"]["first_correct"] = 0.8;
  model.group_priors["a"]["first_incorrect"] = 0.2;
  model.learner_factors["ann"] = LearnerFactors{0.4, -0.1};
  model.competency_learn_classes["a"]["ann"] = 0.35;
  v1::Model proto;
  ToProto(model, &proto);
  Result<BktModel> back = ModelFromProto(proto, ServiceLimits{});
  ASSERT_OK(back);
  EXPECT_EQ(WriteModelJson(*back), WriteModelJson(model));
}

TEST(ProtoConvertTest, ModelMissingSlipIsNamedByPath) {
  v1::Model proto;
  v1::BktParams& params = (*proto.mutable_competencies())["fractions"];
  params.set_prior(0.3);
  params.set_learn(0.2);
  params.set_guess(0.2);
  Result<BktModel> model = ModelFromProto(proto, ServiceLimits{});
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("model.competencies[fractions].slip"), std::string::npos)
      << model.status();
}

TEST(ProtoConvertTest, ModelWithDegenerateGuessAndSlipIsRejected) {
  v1::Model proto;
  v1::BktParams& params = (*proto.mutable_competencies())["a"];
  params.set_prior(0.3);
  params.set_learn(0.2);
  params.set_guess(0.6);
  params.set_slip(0.5);
  Result<BktModel> model = ModelFromProto(proto, ServiceLimits{});
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("model"), std::string::npos);
}

TEST(ProtoConvertTest, ModelValueOutOfRangeIsNamedByItsFieldPath) {
  v1::Model proto;
  v1::BktParams* defaults = proto.mutable_defaults();
  defaults->set_prior(0.3);
  defaults->set_learn(0.2);
  defaults->set_guess(1.5);
  defaults->set_slip(0.1);
  Result<BktModel> model = ModelFromProto(proto, ServiceLimits{});
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message().rfind("model.defaults.guess: must be a probability", 0), 0u)
      << model.status();

  defaults->set_guess(0.2);
  (*proto.mutable_competencies())["a"] = *defaults;
  (*proto.mutable_competencies())["a"].set_slip(-0.5);
  model = ModelFromProto(proto, ServiceLimits{});
  EXPECT_EQ(model.status().message().rfind("model.competencies[a].slip: must be", 0), 0u)
      << model.status();
}

google::protobuf::RepeatedPtrField<v1::Observation> Events(std::vector<v1::Observation> events) {
  google::protobuf::RepeatedPtrField<v1::Observation> out;
  for (v1::Observation& e : events) *out.Add() = std::move(e);
  return out;
}

TEST(ProtoConvertTest, EventsConvertInOrder) {
  auto events = Events({MakeObservation("e1", "ann", "act.a", 1.0, 10),
                        MakeObservation("e2", "bob", "act.b", 0.25, 20)});
  Result<std::vector<Observation>> out = EventsFromProto(events, ServiceLimits{});
  ASSERT_OK(out);
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].event_id, "e2");
  EXPECT_EQ((*out)[1].learner_id, "bob");
  EXPECT_EQ((*out)[1].activity_id, "act.b");
  EXPECT_EQ((*out)[1].outcome, 0.25);
  EXPECT_EQ((*out)[1].timestamp_ms, 20);
}

struct BadEventCase {
  const char* name;
  v1::Observation event;
  StatusCode code;
  const char* path;
};

TEST(ProtoConvertTest, EveryBadEventFieldIsNamed) {
  v1::Observation missing_outcome = MakeObservation("e1", "ann", "act.a", 1.0, 10);
  missing_outcome.clear_outcome();
  const BadEventCase cases[] = {
      {"nan outcome", MakeObservation("e1", "ann", "act.a", std::nan(""), 10),
       StatusCode::kInvalidArgument, "events[1].outcome"},
      {"outcome above 1", MakeObservation("e1", "ann", "act.a", 1.5, 10),
       StatusCode::kInvalidArgument, "events[1].outcome"},
      {"infinite outcome",
       MakeObservation("e1", "ann", "act.a", std::numeric_limits<double>::infinity(), 10),
       StatusCode::kInvalidArgument, "events[1].outcome"},
      {"missing outcome", missing_outcome, StatusCode::kInvalidArgument, "events[1].outcome"},
      {"empty event id", MakeObservation("", "ann", "act.a", 1.0, 10), StatusCode::kInvalidArgument,
       "events[1].event_id"},
      {"learner id with newline", MakeObservation("e1", "an\nn", "act.a", 1.0, 10),
       StatusCode::kInvalidArgument, "events[1].learner_id"},
      {"learner id too long", MakeObservation("e1", std::string(129, 'x'), "act.a", 1.0, 10),
       StatusCode::kInvalidArgument, "events[1].learner_id"},
      {"activity id with a star", MakeObservation("e1", "ann", "act*", 1.0, 10),
       StatusCode::kInvalidArgument, "events[1].activity_id"},
      {"negative timestamp", MakeObservation("e1", "ann", "act.a", 1.0, -5),
       StatusCode::kInvalidArgument, "events[1].timestamp_ms"},
  };
  for (const BadEventCase& c : cases) {
    auto events = Events({MakeObservation("e0", "ann", "act.a", 1.0, 1), c.event});
    Result<std::vector<Observation>> out = EventsFromProto(events, ServiceLimits{});
    ASSERT_FALSE(out.ok()) << c.name;
    EXPECT_EQ(out.status().code(), c.code) << c.name;
    EXPECT_EQ(out.status().message().rfind(c.path, 0), 0u) << c.name << ": " << out.status();
  }
}

TEST(ProtoConvertTest, EmptyBatchIsInvalidArgument) {
  Result<std::vector<Observation>> out = EventsFromProto(Events({}), ServiceLimits{});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message().rfind("events", 0), 0u);
}

TEST(ProtoConvertTest, BatchOverLimitIsResourceExhausted) {
  ServiceLimits limits;
  limits.max_batch_events = 3;
  std::vector<v1::Observation> events;
  for (int i = 0; i < 4; ++i)
    events.push_back(MakeObservation("e" + std::to_string(i), "a", "x", 1, 1));
  Result<std::vector<Observation>> out = EventsFromProto(Events(events), limits);
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out.status().message().find("limit of 3"), std::string::npos);
}

TEST(ProtoConvertTest, RecommendDefaultsAndLimits) {
  v1::RecommendRequest request;
  request.set_learner_id("ann");
  Result<RecommendCall> call = RecommendCallFromProto(request, ServiceLimits{});
  ASSERT_OK(call);
  EXPECT_EQ(call->request.k, 5);
  EXPECT_EQ(call->policy, PolicyKind::kMastery);
  EXPECT_FALSE(call->request.time_budget_minutes.has_value());

  request.set_k(0);
  EXPECT_EQ(RecommendCallFromProto(request, ServiceLimits{}).status().message().rfind("k:", 0), 0u);
  request.set_k(3);
  request.set_time_budget_minutes(std::nan(""));
  Result<RecommendCall> nan_budget = RecommendCallFromProto(request, ServiceLimits{});
  EXPECT_EQ(nan_budget.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nan_budget.status().message().rfind("time_budget_minutes", 0), 0u);
  request.set_time_budget_minutes(10);
  request.add_goals("bad goal");
  EXPECT_EQ(
      RecommendCallFromProto(request, ServiceLimits{}).status().message().rfind("goals[0]", 0), 0u);
}

TEST(ProtoConvertTest, PlanNeedsAGoal) {
  v1::PlanPathwayRequest request;
  request.set_learner_id("ann");
  Result<PlanCall> call = PlanCallFromProto(request, ServiceLimits{});
  EXPECT_EQ(call.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(call.status().message().rfind("goals", 0), 0u);
}

TEST(ProtoConvertTest, FitOptionsRejectLearnerGroupPriorsAndBadCounts) {
  v1::FitOptions options;
  options.set_multiprior(v1::PRIOR_GROUP_SOURCE_LEARNER_GROUP);
  EXPECT_EQ(FitOptionsFromProto(options, ServiceLimits{}).status().code(),
            StatusCode::kInvalidArgument);
  options.set_multiprior(v1::PRIOR_GROUP_SOURCE_FIRST_RESPONSE);
  options.set_restarts(0);
  Result<FitOptions> out = FitOptionsFromProto(options, ServiceLimits{});
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("restarts"), std::string::npos);
  options.set_restarts(2);
  options.set_seed(7);
  Result<FitOptions> good = FitOptionsFromProto(options, ServiceLimits{});
  ASSERT_OK(good);
  EXPECT_EQ(good->restarts, 2);
  EXPECT_EQ(good->seed, 7u);
  EXPECT_EQ(good->multiprior, PriorGroupSource::kFirstResponse);
}

TEST(StatusMappingTest, EveryCodeMapsOneToOne) {
  for (int code = 1; code <= 16; ++code) {
    const Status status(static_cast<StatusCode>(code), "message " + std::to_string(code));
    const grpc::Status mapped = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(mapped.error_code()), code);
    EXPECT_EQ(mapped.error_message(), status.message());
  }
  EXPECT_TRUE(ToGrpcStatus(Status::Ok()).ok());
  EXPECT_EQ(ToGrpcStatus(Status(static_cast<StatusCode>(99), "x")).error_code(),
            grpc::StatusCode::INTERNAL);
}

}  // namespace
}  // namespace pathwise::service
