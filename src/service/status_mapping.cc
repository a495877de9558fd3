#include "service/status_mapping.h"

namespace pathwise::service {

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  if (code < static_cast<int>(grpc::StatusCode::CANCELLED) ||
      code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "unmapped status code " + std::to_string(code) + ": " + status.message());
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code), status.message());
}

}  // namespace pathwise::service
