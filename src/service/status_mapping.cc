#include "service/status_mapping.h"

namespace pathwise::service {
namespace {

// The message travels in a trailer, which clients cap (gRPC's default is 8 KiB of metadata, and
// bytes outside printable ASCII take three when percent-encoded); a longer one reaches the client
// as RESOURCE_EXHAUSTED instead of the error. Cut it at a UTF-8 boundary and say how much went.
std::string Bounded(const std::string& message) {
  if (message.size() <= kMaxStatusMessageBytes) return message;
  size_t cut = kMaxStatusMessageBytes;
  while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
  return message.substr(0, cut) + " ... [" + std::to_string(message.size() - cut) +
         " more bytes left out]";
}

}  // namespace

grpc::Status ToGrpcStatus(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  if (code < static_cast<int>(grpc::StatusCode::CANCELLED) ||
      code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return grpc::Status(
        grpc::StatusCode::INTERNAL,
        Bounded("unmapped status code " + std::to_string(code) + ": " + status.message()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(code), Bounded(status.message()));
}

}  // namespace pathwise::service
