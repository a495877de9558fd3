// What every RPC handler shares: the server's state, and the one wrapper that turns a handler's
// Status into the gRPC reply (through ToGrpcStatus) and logs failures.
#ifndef PATHWISE_SERVICE_RPC_H_
#define PATHWISE_SERVICE_RPC_H_

#include <exception>
#include <map>
#include <new>
#include <string_view>

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/job_runner.h"
#include "app/limits.h"
#include "app/log.h"
#include "app/tenant_registry.h"
#include "service/status_mapping.h"

namespace pathwise::service {

/// The state the service implementations share; owned by the server, outlives them.
struct ServiceEnv {
  app::TenantRegistry* tenants = nullptr;
  const app::ServiceLimits* limits = nullptr;
  app::JobRunner* jobs = nullptr;
};

/// The tenant whose API key the call carries in `authorization: Bearer <key>`. Unauthenticated
/// (the same message for a wrong key as for an unknown one, naming neither tenants nor keys) when
/// the metadata is missing, malformed or carries an unknown key.
Result<app::Tenant*> Authenticate(const ServiceEnv& env, const grpc::ServerContextBase& context);

/// Authenticate, from the call's metadata as an interceptor sees it.
Result<app::Tenant*> AuthenticateMetadata(
    const ServiceEnv& env, const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

/// Logs a failed call (a warning for codes that point at the server, debug for the caller's
/// mistakes) and maps its status.
grpc::Status FinishRpc(std::string_view method, const Status& status);

/// Runs a handler body (returning Status) so that nothing escapes: an exception from a library
/// below (std::bad_alloc, say) becomes RESOURCE_EXHAUSTED or INTERNAL instead of ending the
/// process.
template <typename Body>
grpc::Status RunRpc(std::string_view method, Body&& body) {
  Status status;
  try {
    status = body();
  } catch (const std::bad_alloc&) {
    status = Status::ResourceExhausted("out of memory while serving the request");
  } catch (const std::exception& e) {
    status = Status::Internal(std::string("unexpected exception: ") + e.what());
  }
  return FinishRpc(method, status);
}

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_RPC_H_
