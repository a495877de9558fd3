// LearnerService: events in, mastery out, export and delete (learner_service.proto).
#ifndef PATHWISE_SERVICE_LEARNER_SERVICE_H_
#define PATHWISE_SERVICE_LEARNER_SERVICE_H_

#include "pathwise/v1/learner_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter over Tenant. Thread safety: every method may be called concurrently.
///
/// RecordEvents is the ingestion hot path, so it is served as a "streamed unary" method (same wire
/// contract): the handler reads the request itself, into an arena, instead of gRPC parsing it into
/// a heap-allocated message with hundreds of small strings.
class LearnerServiceImpl final
    : public v1::LearnerService::WithStreamedUnaryMethod_RecordEvents<v1::LearnerService::Service> {
 public:
  explicit LearnerServiceImpl(ServiceEnv env) : env_(env) {}

  grpc::Status StreamedRecordEvents(
      grpc::ServerContext* context,
      grpc::ServerUnaryStreamer<v1::RecordEventsRequest, v1::RecordEventsResponse>* streamer)
      override;
  grpc::Status StreamEvents(grpc::ServerContext* context,
                            grpc::ServerReader<v1::RecordEventsRequest>* reader,
                            v1::RecordEventsResponse* response) override;
  grpc::Status GetMastery(grpc::ServerContext* context, const v1::GetMasteryRequest* request,
                          v1::GetMasteryResponse* response) override;
  grpc::Status ExportLearner(grpc::ServerContext* context, const v1::ExportLearnerRequest* request,
                             grpc::ServerWriter<v1::ExportLearnerResponse>* writer) override;
  grpc::Status DeleteLearner(grpc::ServerContext* context, const v1::DeleteLearnerRequest* request,
                             v1::DeleteLearnerResponse* response) override;

 private:
  ServiceEnv env_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_LEARNER_SERVICE_H_
