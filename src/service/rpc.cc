#include "service/rpc.h"

namespace pathwise::service {

grpc::Status FinishRpc(std::string_view method, const Status& status) {
  if (!status.ok()) {
    const StatusCode code = status.code();
    const bool server_side = code == StatusCode::kInternal || code == StatusCode::kUnavailable ||
                             code == StatusCode::kDataLoss || code == StatusCode::kUnknown ||
                             code == StatusCode::kAborted;
    LogLevel level = server_side ? LogLevel::kWarning : LogLevel::kDebug;
    if (LogEnabled(level)) LogLine(level, "rpc failed").Add("method", method).Add(status);
  }
  return ToGrpcStatus(status);
}

}  // namespace pathwise::service
