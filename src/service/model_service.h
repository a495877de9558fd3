// ModelService: fitting models from stored events as background jobs (model_service.proto).
#ifndef PATHWISE_SERVICE_MODEL_SERVICE_H_
#define PATHWISE_SERVICE_MODEL_SERVICE_H_

#include "pathwise/v1/model_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter over JobRunner. Thread safety: every method may be called concurrently.
class ModelServiceImpl final : public v1::ModelService::Service {
 public:
  explicit ModelServiceImpl(ServiceEnv env) : env_(env) {}

  grpc::Status FitModel(grpc::ServerContext* context, const v1::FitModelRequest* request,
                        v1::FitJob* response) override;
  grpc::Status GetFitJob(grpc::ServerContext* context, const v1::GetFitJobRequest* request,
                         v1::FitJob* response) override;
  grpc::Status CancelFitJob(grpc::ServerContext* context, const v1::CancelFitJobRequest* request,
                            v1::FitJob* response) override;

 private:
  ServiceEnv env_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_MODEL_SERVICE_H_
