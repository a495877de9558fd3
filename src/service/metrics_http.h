// The metrics port: GET /metrics answers a registry's Prometheus text over plain HTTP, on an
// address of its own so that scrapers never need an API key or the gRPC port. It is meant for a
// private network: anyone who reaches it reads the tenant ids and the traffic of every tenant.
#ifndef PATHWISE_SERVICE_METRICS_HTTP_H_
#define PATHWISE_SERVICE_METRICS_HTTP_H_

#include <memory>
#include <string>

#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/metrics.h"

namespace pathwise::service {

/// A running metrics endpoint: GET /metrics (text format 0.0.4) and GET /healthz ("ok"); nothing
/// else is served.
///
/// Thread safety: Stop may be called from any thread; it is idempotent.
class MetricsHttpServer {
 public:
  /// Serves `registry` (which must outlive the server) on `listen`, "HOST:PORT" (port 0: any free
  /// port; an IPv6 host in brackets, "[::1]:9464"). InvalidArgument "metrics_listen: ..." for an
  /// address that is not HOST:PORT or a port outside [0, 65535]; Unavailable when it cannot be
  /// bound.
  static Result<std::unique_ptr<MetricsHttpServer>> Start(const std::string& listen,
                                                          const app::MetricsRegistry* registry);
  ~MetricsHttpServer();
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;

  /// The bound port.
  int port() const;
  /// `listen` with the bound port.
  const std::string& address() const;

  /// Stops accepting and waits for the serving thread to end.
  void Stop();

 private:
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_METRICS_HTTP_H_
