#include "service/curriculum_service.h"

#include <set>
#include <string>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>

#include "service/proto_convert.h"

namespace pathwise::service {
namespace {

// The oneof of PutGraph / ValidateGraph as the two pointers CheckGraph takes.
template <typename Request>
Result<CheckedGraph> CheckRequestGraph(const Request& request, const app::ServiceLimits& limits) {
  switch (request.definition_case()) {
    case Request::kGraph:
      return CheckGraph(&request.graph(), nullptr, limits);
    case Request::kGraphJson:
      return CheckGraph(nullptr, &request.graph_json(), limits);
    default:
      return Status::InvalidArgument("definition: give graph or graph_json");
  }
}

Result<BktModel> RequestModel(const v1::PutModelRequest& request,
                              const app::ServiceLimits& limits) {
  switch (request.definition_case()) {
    case v1::PutModelRequest::kModel:
      return ModelFromProto(request.model(), limits, "model");
    case v1::PutModelRequest::kModelJson:
      return ModelFromJson(request.model_json(), limits);
    default:
      return Status::InvalidArgument("definition: give model or model_json");
  }
}

// Parameters for a competency the graph lacks would be kept and silently never used (a typo in an
// id, or a model of another curriculum), so a model may only name competencies of the tenant's
// latest graph. Without a graph there is nothing to check against yet.
Status CheckModelCompetencies(const BktModel& model, const app::Curriculum& curriculum,
                              std::string_view prefix) {
  if (!curriculum.has_graph()) return Status::Ok();
  constexpr size_t kNamed = 10;
  std::set<std::string> unknown;
  auto check = [&](const std::string& id) {
    if (curriculum.competency_index.count(id) == 0) unknown.insert(id);
  };
  for (const auto& entry : model.competencies) check(entry.first);
  for (const auto& entry : model.competency_activities) check(entry.first);
  for (const auto& entry : model.competency_learn_classes) check(entry.first);
  for (const auto& entry : model.group_priors) check(entry.first);
  if (unknown.empty()) return Status::Ok();
  std::string list;
  size_t named = 0;
  for (const std::string& id : unknown) {
    if (named == kNamed) break;
    list += (named++ == 0 ? "'" : ", '") + id + "'";
  }
  if (unknown.size() > named) list += " and " + std::to_string(unknown.size() - named) + " more";
  return Status::InvalidArgument(
      std::string(prefix) + ": parameters for " + std::to_string(unknown.size()) +
      (unknown.size() == 1 ? " competency" : " competencies") + " not in the graph (version " +
      std::to_string(curriculum.graph_version) + "): " + list);
}

Status CheckVersion(int64_t version) {
  if (version < 0) {
    return Status::InvalidArgument("version: must be >= 0 (0: the latest), got " +
                                   std::to_string(version));
  }
  return Status::Ok();
}

}  // namespace

grpc::Status CurriculumServiceImpl::PutGraph(grpc::ServerContext* context,
                                             const v1::PutGraphRequest* request,
                                             v1::PutGraphResponse* response) {
  return RunRpc("PutGraph", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    // A negative version can never match, so it is the caller's mistake, not a lost race.
    if (request->has_expected_version() && request->expected_version() < 0) {
      return Status::InvalidArgument(
          "expected_version: must be >= 0 (0: the tenant has no graph yet), got " +
          std::to_string(request->expected_version()));
    }
    PATHWISE_ASSIGN_OR_RETURN(CheckedGraph checked, CheckRequestGraph(*request, *env_.limits));
    PATHWISE_RETURN_IF_ERROR(ProblemsToStatus(checked.problems));
    std::optional<int64_t> expected;
    if (request->has_expected_version()) expected = request->expected_version();
    PATHWISE_ASSIGN_OR_RETURN(app::PutGraphOutcome outcome,
                              tenant->PutGraph(checked.definition, expected));
    response->set_version(outcome.version);
    response->set_competencies(static_cast<int32_t>(outcome.competencies));
    response->set_prerequisites(static_cast<int32_t>(outcome.prerequisites));
    response->set_activities(static_cast<int32_t>(outcome.activities));
    response->set_groups(static_cast<int32_t>(outcome.groups));
    response->set_learners_rescored(static_cast<int64_t>(outcome.learners_rescored));
    return Status::Ok();
  });
}

grpc::Status CurriculumServiceImpl::GetGraph(grpc::ServerContext* context,
                                             const v1::GetGraphRequest* request,
                                             v1::GetGraphResponse* response) {
  return RunRpc("GetGraph", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(CheckVersion(request->version()));
    PATHWISE_ASSIGN_OR_RETURN(auto graph, tenant->GetGraph(request->version()));
    response->set_version(graph.first);
    ToProto(graph.second, response->mutable_graph());
    if (request->include_json()) response->set_graph_json(WriteGraphJson(graph.second));
    return Status::Ok();
  });
}

grpc::Status CurriculumServiceImpl::ValidateGraph(grpc::ServerContext* context,
                                                  const v1::ValidateGraphRequest* request,
                                                  v1::ValidateGraphResponse* response) {
  return RunRpc("ValidateGraph", [&]() -> Status {
    PATHWISE_RETURN_IF_ERROR(Authenticate(env_, *context).status());
    PATHWISE_ASSIGN_OR_RETURN(CheckedGraph checked, CheckRequestGraph(*request, *env_.limits));
    response->set_valid(checked.problems.empty());
    for (const GraphProblem& problem : checked.problems) ToProto(problem, response->add_problems());
    return Status::Ok();
  });
}

grpc::Status CurriculumServiceImpl::PutModel(grpc::ServerContext* context,
                                             const v1::PutModelRequest* request,
                                             v1::PutModelResponse* response) {
  return RunRpc("PutModel", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->name(), "name", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(BktModel model, RequestModel(*request, *env_.limits));
    // The graph as the latest put, whichever replica took it.
    PATHWISE_RETURN_IF_ERROR(tenant->CatchUp());
    PATHWISE_RETURN_IF_ERROR(CheckModelCompetencies(
        model, *tenant->curriculum(),
        request->definition_case() == v1::PutModelRequest::kModel ? "model" : "model_json"));
    PATHWISE_ASSIGN_OR_RETURN(app::PutModelOutcome outcome,
                              tenant->PutModel(request->name(), model));
    response->set_name(request->name());
    response->set_version(outcome.version);
    response->set_active(outcome.active);
    response->set_learners_rescored(static_cast<int64_t>(outcome.learners_rescored));
    return Status::Ok();
  });
}

grpc::Status CurriculumServiceImpl::GetModel(grpc::ServerContext* context,
                                             const v1::GetModelRequest* request,
                                             v1::GetModelResponse* response) {
  return RunRpc("GetModel", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->name(), "name", *env_.limits));
    PATHWISE_RETURN_IF_ERROR(CheckVersion(request->version()));
    PATHWISE_ASSIGN_OR_RETURN(auto model, tenant->GetModel(request->name(), request->version()));
    response->set_name(request->name());
    response->set_version(model.first);
    ToProto(model.second, response->mutable_model());
    if (request->include_json()) response->set_model_json(WriteModelJson(model.second));
    return Status::Ok();
  });
}

}  // namespace pathwise::service
