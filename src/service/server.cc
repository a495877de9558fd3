#include "service/server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include "app/job_runner.h"
#include "app/log.h"
#include "app/server_metrics.h"
#include "grpc/health/v1/health.pb.h"
#include "service/curriculum_service.h"
#include "service/learner_service.h"
#include "service/metrics_http.h"
#include "service/model_service.h"
#include "service/recommendation_service.h"
#include "service/reflection_v1.h"
#include "service/rpc_metrics.h"
#include "service/standards_service.h"
#include "service/unreadable_request.h"
#include "store/memory_store.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace pathwise::service {
namespace {

// The most threads the server runs calls on (see the resource quota in Start): far above what
// the request pool needs (MAX_POLLERS 64) and the streams of a few tenants at their cap.
constexpr int kMaxServerThreads = 1024;

Result<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Unavailable(std::string(what) + ": cannot read '" + path + "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// gRPC reports a key that is not the certificate's only as a port it could not open; check the
// pair first so the error says what is wrong.
Status CheckKeyMatchesCertificate(const std::string& key_pem, const std::string& cert_pem,
                                  const app::TlsConfig& tls) {
  auto read = [](const std::string& pem, auto reader) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    return bio == nullptr ? nullptr : reader(bio.get(), nullptr, nullptr, nullptr);
  };
  std::unique_ptr<X509, decltype(&X509_free)> cert(read(cert_pem, PEM_read_bio_X509), &X509_free);
  if (cert == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("tls.cert: '" + tls.cert + "' holds no PEM certificate");
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(read(key_pem, PEM_read_bio_PrivateKey),
                                                          &EVP_PKEY_free);
  if (key == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("tls.key: '" + tls.key +
                                   "' holds no PEM private key (or it is encrypted)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("tls.key: the private key in '" + tls.key +
                                   "' does not match the certificate in '" + tls.cert + "'");
  }
  return Status::Ok();
}

Result<std::shared_ptr<grpc::ServerCredentials>> Credentials(const app::TlsConfig& tls) {
  if (tls.cert.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  PATHWISE_ASSIGN_OR_RETURN(pair.private_key, ReadFile(tls.key, "tls.key"));
  PATHWISE_ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(tls.cert, "tls.cert"));
  PATHWISE_RETURN_IF_ERROR(CheckKeyMatchesCertificate(pair.private_key, pair.cert_chain, tls));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca.empty()) {
    PATHWISE_ASSIGN_OR_RETURN(options.pem_root_certs, ReadFile(tls.client_ca, "tls.client_ca"));
  }
  return grpc::SslServerCredentials(options);
}

// "0.0.0.0:0" with port 8123 -> "0.0.0.0:8123".
std::string WithPort(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return (colon == std::string::npos ? listen : listen.substr(0, colon)) + ":" +
         std::to_string(port);
}

}  // namespace

uint64_t RaiseOpenFileLimit() {
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return 0;
  if (files.rlim_cur < files.rlim_max) {
    struct rlimit raised = files;
    raised.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  return static_cast<uint64_t>(files.rlim_cur);
}

Result<std::unique_ptr<store::LearnerStore>> OpenStore(const app::ServerConfig& config) {
  if (config.store == "memory") {
    return std::unique_ptr<store::LearnerStore>(std::make_unique<store::MemoryStore>());
  }
  if (store::IsPostgresUri(config.store)) {
    store::PostgresStoreOptions options;
    options.connection = config.store;
    PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<store::PostgresStore> postgres,
                              store::PostgresStore::Open(options));
    return std::unique_ptr<store::LearnerStore>(std::move(postgres));
  }
  store::SqliteStoreOptions options;
  options.data_dir = config.data_dir;
  options.integrity_check = config.integrity_check == "off" ? store::SqliteIntegrityCheck::kOff
                            : config.integrity_check == "full"
                                ? store::SqliteIntegrityCheck::kFull
                                : store::SqliteIntegrityCheck::kQuick;
  // The server checks right after it starts serving instead (Impl::CheckIntegrity): a check reads
  // the whole file, seconds per GiB, and a restart must not wait for it; until it is done every row
  // read is still verified by its checksum.
  options.check_integrity_at_open = false;
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<store::SqliteStore> sqlite,
                            store::SqliteStore::Open(options));
  return std::unique_ptr<store::LearnerStore>(std::move(sqlite));
}

struct PathwiseServer::Impl {
  app::ServerConfig config;
  // First, so that it is destroyed last: the store, the jobs and the interceptors record into it.
  std::unique_ptr<app::ServerMetrics> metrics;
  std::unique_ptr<store::LearnerStore> store;
  std::unique_ptr<app::TenantRegistry> tenants;
  std::unique_ptr<app::JobRunner> jobs;
  std::unique_ptr<CurriculumServiceImpl> curriculum_service;
  std::unique_ptr<LearnerServiceImpl> learner_service;
  std::unique_ptr<RecommendationServiceImpl> recommendation_service;
  std::unique_ptr<ModelServiceImpl> model_service;
  std::unique_ptr<StandardsServiceImpl> standards_service;
  std::unique_ptr<ReflectionV1Service> reflection_v1;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<MetricsHttpServer> metrics_http;
  int port = 0;
  std::string address;

  // Checks the store once serving, then every integrity_check_interval_seconds until shutdown
  // (see ServerConfig).
  std::thread integrity_checker;
  std::condition_variable integrity_cv;  // woken by shutdown
  // Set by the store's damage observer when a call met damage: the next check runs within a
  // second rather than at its time. A flag shared with the observer, which is all it touches, since
  // a store kept alive for a fit that did not stop (Shutdown) outlives this Impl.
  std::shared_ptr<std::atomic<bool>> damage_met = std::make_shared<std::atomic<bool>>(false);

  std::mutex mu;
  std::condition_variable done_cv;
  bool shutting_down = false;
  bool done = false;
  Status close_status;

  // Until shutdown: checks the store, then waits an interval (none: the first check is the only
  // one) or until a call meets damage; damage turns health NOT_SERVING for good (the store itself
  // then answers every call with the damage, DATA_LOSS). A check under way when the server shuts
  // down is waited for.
  void CheckIntegrityPeriodically() {
    const double every = config.integrity_check_interval_seconds;
    const auto interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(every));
    constexpr std::chrono::milliseconds kDamagePoll(1000);
    std::unique_lock<std::mutex> lock(mu);
    for (bool first = true;; first = false) {
      const auto due = std::chrono::steady_clock::now() + interval;
      while (!first && !shutting_down && !damage_met->load()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            due - std::chrono::steady_clock::now());
        if (every > 0 && left.count() <= 0) break;
        integrity_cv.wait_for(lock, every > 0 ? std::min(left, kDamagePoll) : kDamagePoll);
      }
      if (shutting_down) return;
      if (damage_met->exchange(false)) {
        app::LogLine(app::LogLevel::kWarning, "a call met damage: checking the store now");
      }
      lock.unlock();
      const auto started = std::chrono::steady_clock::now();
      const Status checked = store->CheckIntegrity();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      lock.lock();
      if (checked.ok()) {
        app::LogLine(app::LogLevel::kInfo, "store integrity checked").Add("seconds", seconds);
      } else if (checked.code() != StatusCode::kDataLoss) {
        app::LogLine(app::LogLevel::kWarning, "store integrity check did not run").Add(checked);
      } else {
        app::LogLine(app::LogLevel::kError, "store damaged: serving nothing more from it")
            .Add(checked);
        server->GetHealthCheckService()->SetServingStatus(false);
        return;
      }
    }
  }
};

PathwiseServer::PathwiseServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PathwiseServer::~PathwiseServer() { (void)Shutdown(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<PathwiseServer>> PathwiseServer::Start(
    const app::ServerConfig& config, std::unique_ptr<store::LearnerStore> store) {
  PATHWISE_RETURN_IF_ERROR(config.Validate());
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->store = std::move(store);
  // Metrics cost a little on every call, so they are recorded only when something serves them.
  if (!impl->config.metrics_listen.empty()) {
    impl->metrics = std::make_unique<app::ServerMetrics>();
    app::ServerMetrics* metrics = impl->metrics.get();
    impl->store->SetCommitObserver(
        [metrics](const store::CommitReport& report) { metrics->RecordCommit(report); });
  }
  if (impl->config.integrity_check != "off") {
    impl->store->SetDamageObserver(
        [damage_met = impl->damage_met](const Status&) { damage_met->store(true); });
  }
  impl->tenants = std::make_unique<app::TenantRegistry>(impl->config.tenants, impl->store.get(),
                                                        &impl->config.limits);
  PATHWISE_RETURN_IF_ERROR(impl->tenants->LoadAll());
  if (impl->config.memory_compaction_interval_seconds > 0) {
    impl->tenants->StartMemoryCompaction(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(impl->config.memory_compaction_interval_seconds)));
  }
  app::JobLeaseOptions leases;
  leases.lease =
      std::chrono::milliseconds(static_cast<int64_t>(impl->config.fit_lease_seconds * 1000.0));
  leases.renew_every = leases.lease / 3;
  leases.scan_every =
      std::min<std::chrono::milliseconds>(leases.lease / 6, std::chrono::seconds(5));
  impl->jobs = std::make_unique<app::JobRunner>(impl->store.get(), impl->config.fit_threads,
                                                impl->config.limits.max_queued_jobs,
                                                impl->config.limits.max_fit_work, leases);
  if (impl->metrics != nullptr) {
    app::ServerMetrics* metrics = impl->metrics.get();
    impl->jobs->SetStateObserver(
        [metrics](const std::string& tenant_id, store::JobStatus state, double run_seconds) {
          metrics->RecordFitJob(tenant_id, state, run_seconds);
        });
    app::JobRunner* jobs = impl->jobs.get();
    auto* sqlite = dynamic_cast<store::SqliteStore*>(impl->store.get());
    std::vector<app::Tenant*> tenants = impl->tenants->tenants();
    metrics->registry().AddCollectHook([metrics, jobs, sqlite, tenants] {
      for (app::Tenant* tenant : tenants) {
        const app::LoadReport load = tenant->last_load();
        const bool complete = !load.from_states || load.warm_up_complete;
        metrics->warm_up_complete().With({tenant->id()}).Set(complete ? 1.0 : 0.0);
        metrics->warm_up_seconds().With({tenant->id()}).Set(load.warm_up_seconds);
      }
      const app::JobRunner::Depth depth = jobs->depth();
      metrics->fit_queue_depth().Set(static_cast<double>(depth.queued));
      metrics->fit_jobs_running().Set(static_cast<double>(depth.running));
      if (sqlite != nullptr) {
        metrics->commit_queue_depth().Set(
            static_cast<double>(sqlite->commit_stats().queued_writes));
      }
    });
  }
  for (app::Tenant* tenant : impl->tenants->tenants()) {
    PATHWISE_RETURN_IF_ERROR(impl->jobs->ServeTenant(tenant));
  }

  const ServiceEnv env{impl->tenants.get(), &impl->config.limits, impl->jobs.get()};
  impl->curriculum_service = std::make_unique<CurriculumServiceImpl>(env);
  impl->learner_service = std::make_unique<LearnerServiceImpl>(env);
  impl->recommendation_service = std::make_unique<RecommendationServiceImpl>(env);
  impl->model_service = std::make_unique<ModelServiceImpl>(env);
  impl->standards_service = std::make_unique<StandardsServiceImpl>(env);

  grpc::EnableDefaultHealthCheckService(true);
  // Reflection describes what the generated descriptor pool holds; naming a health message here
  // links its file's descriptors in (a static library drops objects nothing refers to).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  if (!impl->config.listen.empty()) {
    PATHWISE_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                              Credentials(impl->config.tls));
    builder.AddListeningPort(impl->config.listen, credentials, &impl->port);
  }
  // Connections that stay idle, or whose peer vanished without closing them, would hold a
  // descriptor each for ever: close idle ones after a while, ping quiet ones to find dead peers,
  // and make clients reconnect now and then (which also spreads them over replicas behind a
  // balancer).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 10 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 60 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 5 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 2 * 60 * 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  // Without this, a second server could bind the same port (SO_REUSEPORT) and share its traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // The sync server spawns a thread whenever every poller is busy and lets it exit once more than
  // MAX_POLLERS are idle. Calls here wait for a group commit (milliseconds), so with the default of
  // 2 the server creates and destroys a thread per call under load; keeping a pool of idle pollers
  // avoids that churn (and the allocator arenas it drags along).
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 2);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 64);
  // Every call in progress holds a thread of the sync server, so without a bound a flood of open
  // streams (one tenant's are capped by limits.max_streams_per_tenant, but tenants add up) takes
  // a thread each until the process fails; past the bound a new call gets RESOURCE_EXHAUSTED.
  grpc::ResourceQuota quota("pathwised");
  quota.SetMaxThreads(kMaxServerThreads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(static_cast<int>(impl->config.limits.max_message_bytes));
  const std::vector<std::string> services = {
      v1::CurriculumService::service_full_name(),
      v1::LearnerService::service_full_name(),
      v1::RecommendationService::service_full_name(),
      v1::ModelService::service_full_name(),
      v1::StandardsService::service_full_name(),
      "grpc.health.v1.Health",
      "grpc.reflection.v1alpha.ServerReflection",
      grpc::reflection::v1::ServerReflection::service_full_name()};
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(UnreadableRequestInterceptorFactory());
  // Last: it records the status the client gets, after the interceptors above changed it.
  if (impl->metrics != nullptr) {
    interceptors.push_back(RpcMetricsInterceptorFactory(env, impl->metrics.get(), services));
  }
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(impl->curriculum_service.get());
  builder.RegisterService(impl->learner_service.get());
  builder.RegisterService(impl->recommendation_service.get());
  builder.RegisterService(impl->model_service.get());
  builder.RegisterService(impl->standards_service.get());
  impl->reflection_v1 = std::make_unique<ReflectionV1Service>(services);
  builder.RegisterService(impl->reflection_v1.get());
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || (!impl->config.listen.empty() && impl->port == 0)) {
    return Status::Unavailable("cannot listen on '" + impl->config.listen +
                               "' (address in use, malformed, or not allowed)");
  }
  if (!impl->config.listen.empty()) impl->address = WithPort(impl->config.listen, impl->port);
  if (impl->metrics != nullptr) {
    Result<std::unique_ptr<MetricsHttpServer>> http =
        MetricsHttpServer::Start(impl->config.metrics_listen, &impl->metrics->registry());
    if (!http.ok()) {
      impl->server->Shutdown();
      impl->server->Wait();
      return http.status();
    }
    impl->metrics_http = std::move(http).value();
  }
  impl->server->GetHealthCheckService()->SetServingStatus(true);
  if (impl->config.integrity_check != "off") {
    Impl* checked = impl.get();
    checked->integrity_checker = std::thread([checked] { checked->CheckIntegrityPeriodically(); });
  }
  return std::unique_ptr<PathwiseServer>(new PathwiseServer(std::move(impl)));
}

int PathwiseServer::port() const { return impl_->port; }
const std::string& PathwiseServer::metrics_address() const {
  static const std::string kNone;
  return impl_->metrics_http != nullptr ? impl_->metrics_http->address() : kNone;
}
app::ServerMetrics* PathwiseServer::metrics() { return impl_->metrics.get(); }
const std::string& PathwiseServer::address() const { return impl_->address; }
app::TenantRegistry& PathwiseServer::tenants() { return *impl_->tenants; }
store::LearnerStore& PathwiseServer::store() { return *impl_->store; }

std::shared_ptr<grpc::Channel> PathwiseServer::InProcessChannel(
    const grpc::ChannelArguments& args) {
  return impl_->server->InProcessChannel(args);
}

Status PathwiseServer::Shutdown(std::chrono::milliseconds grace) {
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    if (impl_->shutting_down) {
      impl_->done_cv.wait(lock, [this] { return impl_->done; });
      return impl_->close_status;
    }
    impl_->shutting_down = true;
  }
  const auto started = std::chrono::steady_clock::now();
  impl_->integrity_cv.notify_all();
  if (impl_->integrity_checker.joinable()) impl_->integrity_checker.join();
  impl_->server->GetHealthCheckService()->SetServingStatus(false);
  impl_->server->Shutdown(std::chrono::system_clock::now() + grace);
  impl_->server->Wait();
  if (impl_->metrics_http != nullptr) impl_->metrics_http->Stop();
  const auto left = grace - std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started);
  const bool jobs_stopped = impl_->jobs->Stop(std::max(left, std::chrono::milliseconds(0)));
  // A warm-up still restoring learners (or filling the event-id filter) reads the store.
  impl_->tenants->StopBackgroundWork();
  Status closed = impl_->store->Close();
  if (!jobs_stopped) {
    // A fit still runs on a detached thread and may touch the tenants and the store (which now
    // answers Unavailable); keep them alive for the rest of the process.
    (void)impl_->jobs.release();
    (void)impl_->tenants.release();
    (void)impl_->store.release();
    (void)impl_->metrics.release();
  }
  app::LogLine(app::LogLevel::kInfo, "stopped")
      .Add("drain_seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())
      .Add("store_closed", closed.ok());
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->close_status = closed;
  impl_->done = true;
  impl_->done_cv.notify_all();
  return closed;
}

void PathwiseServer::Wait() {
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->done_cv.wait(lock, [this] { return impl_->done; });
}

}  // namespace pathwise::service
