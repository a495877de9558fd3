// CurriculumService: graphs and models (proto/pathwise/v1/curriculum_service.proto).
#ifndef PATHWISE_SERVICE_CURRICULUM_SERVICE_H_
#define PATHWISE_SERVICE_CURRICULUM_SERVICE_H_

#include "pathwise/v1/curriculum_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter: authenticate, convert and validate (proto_convert.h), call the tenant, convert
/// back. Thread safety: every method may be called concurrently.
class CurriculumServiceImpl final : public v1::CurriculumService::Service {
 public:
  explicit CurriculumServiceImpl(ServiceEnv env) : env_(env) {}

  grpc::Status PutGraph(grpc::ServerContext* context, const v1::PutGraphRequest* request,
                        v1::PutGraphResponse* response) override;
  grpc::Status GetGraph(grpc::ServerContext* context, const v1::GetGraphRequest* request,
                        v1::GetGraphResponse* response) override;
  grpc::Status ValidateGraph(grpc::ServerContext* context, const v1::ValidateGraphRequest* request,
                             v1::ValidateGraphResponse* response) override;
  grpc::Status PutModel(grpc::ServerContext* context, const v1::PutModelRequest* request,
                        v1::PutModelResponse* response) override;
  grpc::Status GetModel(grpc::ServerContext* context, const v1::GetModelRequest* request,
                        v1::GetModelResponse* response) override;

 private:
  ServiceEnv env_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_CURRICULUM_SERVICE_H_
