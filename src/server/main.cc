// pathwised: the Pathwise gRPC server.
//
//     pathwised --config pathwised.json [--data-dir DIR] [--listen ADDR] [--store
//     sqlite|memory|postgresql://...]
//               [--tls-cert F --tls-key F [--tls-client-ca F]] [--api-key TENANT=KEY ...]
//               [--metrics-listen HOST:PORT]
//
// Flags override the config file. SIGTERM or SIGINT drains in-flight calls (up to
// shutdown_grace_seconds) and closes the store.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <absl/synchronization/mutex.h>
#include <pthread.h>
#include <signal.h>

#include "app/config.h"
#include "app/log.h"
#include "service/server.h"
#include "store/postgres_store.h"

namespace {

using pathwise::app::LogLevel;
using pathwise::app::LogLine;

// Flags win over the config file; --api-key adds tenants (or keys to a configured tenant).
pathwise::Status ApplyApiKeys(const std::vector<std::string>& api_keys,
                              pathwise::app::ServerConfig* config) {
  for (const std::string& flag : api_keys) {
    const size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return pathwise::Status::InvalidArgument("--api-key: expected TENANT=KEY, got '" + flag +
                                               "'");
    }
    const std::string tenant = flag.substr(0, eq);
    pathwise::app::TenantConfig* target = nullptr;
    for (auto& t : config->tenants) target = t.id == tenant ? &t : target;
    if (target == nullptr) target = &config->tenants.emplace_back();
    target->id = tenant;
    target->api_keys.push_back(flag.substr(eq + 1));
  }
  return pathwise::Status::Ok();
}

int Fail(const pathwise::Status& status) {
  LogLine(LogLevel::kError, "start-up failed").Add(status);
  std::cerr << "pathwised: " << status << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pathwised: the Pathwise gRPC server"};
  std::string config_path, data_dir, listen, store, tls_cert, tls_key, tls_client_ca, log_level,
      metrics_listen, integrity_check;
  std::vector<std::string> api_keys;
  double grace = -1.0;
  double fit_lease = -1.0;
  double integrity_interval = -1.0;
  app.add_option("--config", config_path, "JSON config file (see examples/service/)");
  app.add_option("--data-dir", data_dir, "directory of the SQLite store");
  app.add_option("--listen", listen, "host:port to serve on (port 0: any free port)");
  app.add_option("--metrics-listen", metrics_listen,
                 "host:port serving Prometheus metrics at GET /metrics over plain HTTP (keep it on "
                 "a private network; port 0: any free port); off by default");
  app.add_option("--store", store, "sqlite (default), memory, or a postgresql:// connection URI");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", tls_key, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", tls_client_ca, "PEM CA: require client certificates it signed");
  app.add_option("--api-key", api_keys, "TENANT=KEY, repeatable: adds a tenant key");
  app.add_option("--log-level", log_level, "debug, info, warning or error");
  app.add_option("--shutdown-grace-seconds", grace, "drain time on SIGTERM");
  app.add_option("--fit-lease-seconds", fit_lease,
                 "how long a replica's claim on a running fit job holds unrenewed (default 30)");
  app.add_option("--integrity-check", integrity_check,
                 "quick (default), full or off: how much of the SQLite store is checked for damage "
                 "once serving (not delaying the start) and on the schedule");
  app.add_option("--integrity-check-interval-seconds", integrity_interval,
                 "seconds between checks of the running store (default 3600; 0: only the one at "
                 "start)");
  CLI11_PARSE(app, argc, argv);
  // gRPC's absl::Mutex checks lock order for deadlocks on every lock in this build of abseil; the
  // server's own locks are ordered by design (tenant.h), so skip the bookkeeping on the hot path.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  pathwise::app::ServerConfig config;
  if (!config_path.empty()) {
    auto parsed = pathwise::app::ReadServerConfigFile(config_path);
    if (!parsed.ok()) return Fail(parsed.status());
    config = std::move(parsed).value();
  }
  if (!data_dir.empty()) config.data_dir = data_dir;
  if (!listen.empty()) config.listen = listen;
  if (!metrics_listen.empty()) config.metrics_listen = metrics_listen;
  if (!store.empty()) config.store = store;
  if (!tls_cert.empty()) config.tls.cert = tls_cert;
  if (!tls_key.empty()) config.tls.key = tls_key;
  if (!tls_client_ca.empty()) config.tls.client_ca = tls_client_ca;
  if (!log_level.empty()) config.log_level = log_level;
  if (grace >= 0.0) config.shutdown_grace_seconds = grace;
  if (fit_lease >= 0.0) config.fit_lease_seconds = fit_lease;
  if (!integrity_check.empty()) config.integrity_check = integrity_check;
  if (integrity_interval >= 0.0) config.integrity_check_interval_seconds = integrity_interval;
  if (auto s = ApplyApiKeys(api_keys, &config); !s.ok()) return Fail(s);
  if (auto s = config.Validate(); !s.ok()) return Fail(s);
  if (config.listen.empty()) return Fail(pathwise::Status::InvalidArgument("listen: required"));
  LogLevel level = LogLevel::kInfo;
  (void)pathwise::app::ParseLogLevel(config.log_level, &level);
  pathwise::app::SetLogLevel(level);

  // Signals go to one thread that waits for them; every other thread (gRPC's included) blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const uint64_t open_files = pathwise::service::RaiseOpenFileLimit();
  auto opened = pathwise::service::OpenStore(config);
  if (!opened.ok()) return Fail(opened.status());
  auto server = pathwise::service::PathwiseServer::Start(config, std::move(opened).value());
  if (!server.ok()) return Fail(server.status());
  LogLine(LogLevel::kInfo, "listening")
      .Add("address", (*server)->address())
      .Add("data_dir", config.store == "sqlite" ? config.data_dir : std::string("(none)"))
      .Add("store", pathwise::store::RedactPostgresUri(config.store))
      .Add("tls", !config.tls.cert.empty())
      .Add("metrics", (*server)->metrics_address())
      .Add("tenants", static_cast<int>(config.tenants.size()))
      .Add("open_file_limit", open_files);
  // Scripts read this line (src/testing/server_process.h): keep its shape; the metrics address
  // comes last, only when there is one.
  const std::string metrics_note =
      (*server)->metrics_address().empty()
          ? ""
          : ", metrics http://" + (*server)->metrics_address() + "/metrics";
  std::printf("pathwised listening on %s, data directory %s%s\n", (*server)->address().c_str(),
              config.store == "sqlite"   ? config.data_dir.c_str()
              : config.store == "memory" ? "(in memory)"
                                         : pathwise::store::RedactPostgresUri(config.store).c_str(),
              metrics_note.c_str());
  std::fflush(stdout);

  std::thread waiter([&] {
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    LogLine(LogLevel::kInfo, "shutting down")
        .Add("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
        .Add("grace_seconds", config.shutdown_grace_seconds);
    (void)(*server)->Shutdown(
        std::chrono::milliseconds(static_cast<int64_t>(config.shutdown_grace_seconds * 1000.0)));
  });
  (*server)->Wait();
  waiter.join();
  return 0;
}
