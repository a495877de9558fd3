// A C++ client of pathwised: load a curriculum, send a class's events, then ask for mastery,
// recommendations and a pathway. Uses only the generated stubs (pathwise::proto) and the public
// file readers (pathwise::io).
//
//     build/bin/pathwised --data-dir "$(mktemp -d)" --listen 127.0.0.1:50051 --api-key demo=KEY &
//     build/bin/pathwise_client_example --address 127.0.0.1:50051 --api-key KEY
//         [--graph examples/curriculum/fractions.json]
//         [--events examples/curriculum/fractions_events.csv] [--goal fractions.add_unlike]
//
// where KEY is at least 16 characters, e.g. demo-key-change-me-0123456789.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <grpcpp/create_channel.h>

#include <pathwise/io/observations_csv.h>

#include "pathwise/v1/curriculum_service.grpc.pb.h"
#include "pathwise/v1/learner_service.grpc.pb.h"
#include "pathwise/v1/recommendation_service.grpc.pb.h"

namespace v1 = pathwise::v1;

namespace {

struct Args {
  std::string address = "127.0.0.1:50051";
  std::string api_key;
  std::string graph = "examples/curriculum/fractions.json";
  std::string events = "examples/curriculum/fractions_events.csv";
  std::string goal = "fractions.add_unlike";
};

bool Parse(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--address")
      args->address = value;
    else if (flag == "--api-key")
      args->api_key = value;
    else if (flag == "--graph")
      args->graph = value;
    else if (flag == "--events")
      args->events = value;
    else if (flag == "--goal")
      args->goal = value;
    else
      return false;
  }
  return argc % 2 == 1 && !args->api_key.empty();
}

// Every call carries the tenant's key and a deadline.
std::unique_ptr<grpc::ClientContext> Context(const Args& args) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + args.api_key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  std::cerr << what << " failed: " << status.error_code() << " " << status.error_message() << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, &args)) {
    std::cerr << "usage: pathwise_client_example --api-key KEY [--address HOST:PORT] [--graph "
                 "FILE.json] [--events FILE.csv] [--goal COMPETENCY]\n";
    return 2;
  }
  auto channel = grpc::CreateChannel(args.address, grpc::InsecureChannelCredentials());
  auto curriculum = v1::CurriculumService::NewStub(channel);
  auto learners = v1::LearnerService::NewStub(channel);
  auto recommendations = v1::RecommendationService::NewStub(channel);

  // 1. The curriculum, sent as the project's graph JSON.
  std::ifstream graph_file(args.graph);
  std::stringstream graph_json;
  graph_json << graph_file.rdbuf();
  v1::PutGraphRequest put_graph;
  put_graph.set_graph_json(graph_json.str());
  v1::PutGraphResponse graph;
  if (!Check(curriculum->PutGraph(Context(args).get(), put_graph, &graph), "PutGraph")) return 1;
  std::printf("graph version %lld: %d competencies, %d activities\n",
              static_cast<long long>(graph.version()), graph.competencies(), graph.activities());

  // 2. The class's events, in one batch (re-running the example re-sends them: all duplicates).
  auto observations = pathwise::ReadObservationsCsv(args.events);
  if (!observations.ok()) {
    std::cerr << observations.status() << "\n";
    return 1;
  }
  v1::RecordEventsRequest record;
  std::map<std::string, int> per_learner;
  for (const pathwise::Observation& o : *observations) {
    v1::Observation* e = record.add_events();
    e->set_event_id(o.event_id);
    e->set_learner_id(o.learner_id);
    e->set_activity_id(o.activity_id);
    e->set_outcome(o.outcome);
    e->set_timestamp_ms(o.timestamp_ms);
    ++per_learner[o.learner_id];
  }
  v1::RecordEventsResponse recorded;
  if (!Check(learners->RecordEvents(Context(args).get(), record, &recorded), "RecordEvents")) {
    return 1;
  }
  std::printf("events: %llu recorded, %llu already there\n",
              static_cast<unsigned long long>(recorded.recorded()),
              static_cast<unsigned long long>(recorded.duplicates()));

  // 3. Per learner: mastery, the next activities and the pathway to the goal.
  for (const auto& [learner, count] : per_learner) {
    std::printf("\n== %s (%d events)\n", learner.c_str(), count);
    v1::GetMasteryRequest mastery_request;
    mastery_request.set_learner_id(learner);
    v1::GetMasteryResponse mastery;
    if (!Check(learners->GetMastery(Context(args).get(), mastery_request, &mastery),
               "GetMastery")) {
      return 1;
    }
    for (const v1::MasteryEstimate& e : mastery.competencies()) {
      if (e.opportunities() == 0) continue;
      std::printf("  %-26s P(learned) %.2f%s\n", e.competency_id().c_str(), e.p_learned(),
                  e.mastered() ? "  mastered" : "");
    }
    v1::RecommendRequest recommend;
    recommend.set_learner_id(learner);
    recommend.add_goals(args.goal);
    recommend.set_k(3);
    v1::RecommendResponse next;
    if (!Check(recommendations->Recommend(Context(args).get(), recommend, &next), "Recommend")) {
      return 1;
    }
    std::printf("  next:\n");
    for (const v1::Recommendation& r : next.recommendations()) {
      std::printf("    %-28s score %.2f  %s\n", r.activity_id().c_str(), r.score(),
                  r.reasons().empty() ? "" : r.reasons(0).c_str());
    }
    v1::PlanPathwayRequest plan_request;
    plan_request.set_learner_id(learner);
    plan_request.add_goals(args.goal);
    v1::PlanPathwayResponse plan;
    if (!Check(recommendations->PlanPathway(Context(args).get(), plan_request, &plan),
               "PlanPathway")) {
      return 1;
    }
    std::printf("  pathway to %s: %d steps, about %d opportunities (%.0f min)\n", args.goal.c_str(),
                plan.pathway().steps_size(), plan.pathway().total_expected_opportunities(),
                plan.pathway().total_expected_minutes());
    for (const v1::PathwayStep& step : plan.pathway().steps()) {
      std::printf(
          "    %-26s %.2f -> %.2f%s\n", step.competency_id().c_str(), step.p_learned(),
          step.mastery_threshold(),
          step.unreachable() != v1::UNREACHABLE_REASON_UNSPECIFIED ? "  (unreachable)" : "");
    }
  }
  return 0;
}
