// RecommendationService: Recommend and PlanPathway (recommendation_service.proto).
#ifndef PATHWISE_SERVICE_RECOMMENDATION_SERVICE_H_
#define PATHWISE_SERVICE_RECOMMENDATION_SERVICE_H_

#include "pathwise/v1/recommendation_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter over Tenant.
///
/// Uses gRPC's callback API rather than the synchronous one: both calls are pure computation on
/// in-memory state (no store write to wait for), so they run to completion on gRPC's own threads
/// without the hand-off to a synchronous-server thread, which at tens of thousands of calls per
/// second costs more than the recommendation itself.
///
/// Thread safety: every method may be called concurrently.
class RecommendationServiceImpl final : public v1::RecommendationService::CallbackService {
 public:
  explicit RecommendationServiceImpl(ServiceEnv env) : env_(env) {}

  grpc::ServerUnaryReactor* Recommend(grpc::CallbackServerContext* context,
                                      const v1::RecommendRequest* request,
                                      v1::RecommendResponse* response) override;
  grpc::ServerUnaryReactor* PlanPathway(grpc::CallbackServerContext* context,
                                        const v1::PlanPathwayRequest* request,
                                        v1::PlanPathwayResponse* response) override;

 private:
  ServiceEnv env_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_RECOMMENDATION_SERVICE_H_
