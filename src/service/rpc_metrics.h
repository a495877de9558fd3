// Counting every call: an interceptor that times each RPC from its start to its status and records
// it in app::ServerMetrics by method, tenant and status code.
#ifndef PATHWISE_SERVICE_RPC_METRICS_H_
#define PATHWISE_SERVICE_RPC_METRICS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

#include "app/server_metrics.h"
#include "service/rpc.h"

namespace pathwise::service {

/// An interceptor factory for ServerBuilder::experimental().SetInterceptorCreators. Calls of the
/// methods of `services` (full names, such as "pathwise.v1.LearnerService", looked up in the
/// generated descriptor pool) are recorded; calls of any other method path are not, so a client
/// cannot grow the metrics by inventing paths. The tenant is the one the call's API key names
/// (empty when it names none). Put it after every interceptor that changes the status: it records
/// the status the client receives. A call that ends without sending a status (the client went
/// away) is recorded as CANCELLED.
///
/// `env.tenants` and `metrics` must outlive the server.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcMetricsInterceptorFactory(
    ServiceEnv env, app::ServerMetrics* metrics, const std::vector<std::string>& services);

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_RPC_METRICS_H_
