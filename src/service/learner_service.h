// LearnerService: events in, mastery out, export and delete (learner_service.proto).
#ifndef PATHWISE_SERVICE_LEARNER_SERVICE_H_
#define PATHWISE_SERVICE_LEARNER_SERVICE_H_

#include <grpcpp/support/byte_buffer.h>

#include "pathwise/v1/learner_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter over Tenant. Thread safety: every method may be called concurrently.
///
/// RecordEvents is the ingestion hot path, so it is served as a "streamed unary" method (same wire
/// contract): the handler reads the request itself, into an arena, instead of gRPC parsing it into
/// a heap-allocated message with hundreds of small strings.
///
/// StreamEvents reads raw bytes and parses each message itself: gRPC's own reader reports a message
/// that does not parse exactly like the end of the stream, so the call would end OK and drop every
/// later batch without a word.
class LearnerServiceImpl final
    : public v1::LearnerService::WithStreamedUnaryMethod_RecordEvents<v1::LearnerService::Service> {
 public:
  explicit LearnerServiceImpl(ServiceEnv env);

  grpc::Status StreamedRecordEvents(
      grpc::ServerContext* context,
      grpc::ServerUnaryStreamer<v1::RecordEventsRequest, v1::RecordEventsResponse>* streamer)
      override;
  grpc::Status RawStreamEvents(grpc::ServerContext* context,
                               grpc::ServerReader<grpc::ByteBuffer>* reader,
                               v1::RecordEventsResponse* response);
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
