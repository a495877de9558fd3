// The one place where a pathwise::Status becomes a grpc::Status.
#ifndef PATHWISE_SERVICE_STATUS_MAPPING_H_
#define PATHWISE_SERVICE_STATUS_MAPPING_H_

#include <cstddef>

#include <grpcpp/support/status.h>

#include <pathwise/status.h>

namespace pathwise::service {

/// Maps a Status to the gRPC status with the same code and message. pathwise::StatusCode values
/// equal grpc::StatusCode, so the mapping is 1:1; an out-of-range code (a bug) becomes INTERNAL.
/// A message longer than kMaxStatusMessageBytes is cut there and ends with
/// " ... [N more bytes left out]", so that it fits a client's metadata limit.
///
/// Thread safety: pure function.
///
/// Example:
///
///     Result<GraphDefinition> def = GraphFromProto(request->graph(), limits);
///     if (!def.ok()) return ToGrpcStatus(def.status());
grpc::Status ToGrpcStatus(const Status& status);

/// The longest status message sent, before the note of what was left out.
inline constexpr size_t kMaxStatusMessageBytes = 2048;

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_STATUS_MAPPING_H_
