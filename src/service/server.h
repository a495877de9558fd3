// The whole pathwised server in one object: store, tenants, jobs, the four services, health
// checking and reflection, on a gRPC server. main() and the tests build it the same way.
#ifndef PATHWISE_SERVICE_SERVER_H_
#define PATHWISE_SERVICE_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/server.h>
#include <grpcpp/support/channel_arguments.h>

#include <pathwise/result.h>
#include <pathwise/status.h>

#include "app/config.h"
#include "app/server_metrics.h"
#include "app/tenant_registry.h"
#include "store/learner_store.h"

namespace pathwise::service {

/// Opens the store the config names: SqliteStore in config.data_dir, a PostgresStore for a
/// postgresql:// URI, or a MemoryStore.
/// The store's errors (FailedPrecondition for a data directory locked by another server, ...).
Result<std::unique_ptr<store::LearnerStore>> OpenStore(const app::ServerConfig& config);

/// Raises this process's soft limit of open files to its hard limit. Every client connection holds
/// a descriptor, and with the usual soft limit of 1024 the listener starts failing with "Too many
/// open files" long before the machine would. Returns the soft limit in force afterwards (0 when it
/// cannot be read).
uint64_t RaiseOpenFileLimit();

/// A running server.
///
/// Thread safety: every method may be called concurrently; Shutdown is idempotent.
///
/// Example:
///
///     auto store = OpenStore(config);
///     if (!store.ok()) return store.status();
///     auto server = PathwiseServer::Start(config, std::move(store).value());
///     if (!server.ok()) return server.status();
///     std::cout << "listening on " << (*server)->address() << "\n";
///     (*server)->Wait();
class PathwiseServer {
 public:
  /// Validates the config, loads every tenant (rebuilding mastery from the store), marks jobs a
  /// previous run left unfinished as failed, and starts serving on config.listen (no network port
  /// when it is empty: then only InProcessChannel reaches the server), and metrics on
  /// config.metrics_listen when it is set. InvalidArgument for a bad
  /// config, a TLS key that does not match its certificate, or a TLS file that holds no PEM;
  /// Unavailable when an address cannot be bound or a TLS file cannot be read; the tenants' load
  /// errors ("tenant '<id>': ...").
  static Result<std::unique_ptr<PathwiseServer>> Start(const app::ServerConfig& config,
                                                       std::unique_ptr<store::LearnerStore> store);
  ~PathwiseServer();
  PathwiseServer(const PathwiseServer&) = delete;
  PathwiseServer& operator=(const PathwiseServer&) = delete;

  /// The bound port (the one chosen when config.listen asked for port 0); 0 without a port.
  int port() const;
  /// config.listen with the bound port; empty without a port.
  const std::string& address() const;
  /// config.metrics_listen with the bound port, where GET /metrics answers; empty without metrics.
  const std::string& metrics_address() const;
  /// What the server counts; null without config.metrics_listen (nothing is recorded then).
  app::ServerMetrics* metrics();

  /// A channel to this server that bypasses the network (for tests and embedding).
  std::shared_ptr<grpc::Channel> InProcessChannel(const grpc::ChannelArguments& args = {});

  /// Stops accepting calls and reports NOT_SERVING to health checks, lets in-flight calls finish
  /// for up to `grace` (then cancels them), stops the job runner and closes the store. Returns the
  /// store's Close status. After it, Wait returns.
  Status Shutdown(std::chrono::milliseconds grace);

  /// Blocks until Shutdown has completed.
  void Wait();

  app::TenantRegistry& tenants();
  store::LearnerStore& store();

 private:
  struct Impl;
  explicit PathwiseServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_SERVER_H_
