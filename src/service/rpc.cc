#include "service/rpc.h"

#include <cctype>

namespace pathwise::service {
namespace {

constexpr std::string_view kScheme = "bearer ";

}  // namespace

Result<app::Tenant*> Authenticate(const ServiceEnv& env, const grpc::ServerContextBase& context) {
  return AuthenticateMetadata(env, context.client_metadata());
}

Result<app::Tenant*> AuthenticateMetadata(
    const ServiceEnv& env, const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return Status(StatusCode::kUnauthenticated,
                  "missing authorization metadata: send 'authorization: Bearer <api key>'");
  }
  const std::string_view value(it->second.data(), it->second.size());
  bool scheme_ok = value.size() > kScheme.size();
  for (size_t i = 0; scheme_ok && i < kScheme.size(); ++i) {
    scheme_ok = std::tolower(static_cast<unsigned char>(value[i])) == kScheme[i];
  }
  if (!scheme_ok) {
    return Status(StatusCode::kUnauthenticated,
                  "malformed authorization metadata: expected 'Bearer <api key>'");
  }
  return env.tenants->Authenticate(value.substr(kScheme.size()));
}

grpc::Status FinishRpc(std::string_view method, const Status& status) {
  if (!status.ok()) {
    const StatusCode code = status.code();
    const bool server_side = code == StatusCode::kInternal || code == StatusCode::kUnavailable ||
                             code == StatusCode::kDataLoss || code == StatusCode::kUnknown ||
                             code == StatusCode::kAborted;
    app::LogLevel level = server_side ? app::LogLevel::kWarning : app::LogLevel::kDebug;
    if (app::LogEnabled(level)) app::LogLine(level, "rpc failed").Add("method", method).Add(status);
  }
  return ToGrpcStatus(status);
}

}  // namespace pathwise::service
