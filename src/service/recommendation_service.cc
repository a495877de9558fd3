#include "service/recommendation_service.h"

#include "service/proto_convert.h"

namespace pathwise::service {

grpc::ServerUnaryReactor* RecommendationServiceImpl::Recommend(grpc::CallbackServerContext* context,
                                                               const v1::RecommendRequest* request,
                                                               v1::RecommendResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(RunRpc("Recommend", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_ASSIGN_OR_RETURN(app::RecommendCall call,
                              RecommendCallFromProto(*request, *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(app::RecommendView view, tenant->Recommend(call));
    response->set_learner_id(call.learner_id);
    for (const Recommendation& r : view.recommendations)
      ToProto(r, response->add_recommendations());
    response->set_policy(ToProto(call.policy));
    response->set_graph_version(view.graph_version);
    response->set_model_version(view.model_version);
    return Status::Ok();
  }));
  return reactor;
}

grpc::ServerUnaryReactor* RecommendationServiceImpl::PlanPathway(
    grpc::CallbackServerContext* context, const v1::PlanPathwayRequest* request,
    v1::PlanPathwayResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(RunRpc("PlanPathway", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_ASSIGN_OR_RETURN(app::PlanCall call, PlanCallFromProto(*request, *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(app::PlanView view, tenant->Plan(call));
    ToProto(view.pathway, response->mutable_pathway());
    response->set_graph_version(view.graph_version);
    response->set_model_version(view.model_version);
    return Status::Ok();
  }));
  return reactor;
}

}  // namespace pathwise::service
