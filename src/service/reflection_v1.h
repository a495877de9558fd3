// grpc.reflection.v1.ServerReflection, which gRPC 1.51 (Debian 12) lacks: it ships only v1alpha,
// and current clients (grpcurl, for one) ask for v1 first and give up on some requests when it is
// UNIMPLEMENTED. Answers from the generated descriptor pool, as v1alpha does.
#ifndef PATHWISE_SERVICE_REFLECTION_V1_H_
#define PATHWISE_SERVICE_REFLECTION_V1_H_

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"

namespace pathwise::service {

/// Lists `services` and describes any file, symbol or extension of the generated descriptor pool.
/// An unknown name gets an error_response NOT_FOUND in the stream (the call itself stays OK), as
/// the protocol asks. Thread safety: calls may run concurrently; the service is immutable.
class ReflectionV1Service final : public grpc::reflection::v1::ServerReflection::Service {
 public:
  explicit ReflectionV1Service(std::vector<std::string> services)
      : services_(std::move(services)) {}

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>* stream) override;

 private:
  const std::vector<std::string> services_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_REFLECTION_V1_H_
