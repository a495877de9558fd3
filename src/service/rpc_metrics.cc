#include "service/rpc_metrics.h"

#include <chrono>
#include <string_view>
#include <unordered_map>

#include <google/protobuf/descriptor.h>

namespace pathwise::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

struct Method {
  std::string path;  // "/pathwise.v1.LearnerService/GetMastery", what ServerRpcInfo::method() gives
  std::string service;
  std::string name;
};

// Known method paths, fixed when the factory is made, so a call's lookup takes no lock.
using MethodTable = std::unordered_map<std::string_view, std::unique_ptr<Method>>;

std::string_view CodeName(grpc::StatusCode code) {
  const int value = static_cast<int>(code);
  if (value < 0 || value > static_cast<int>(StatusCode::kUnauthenticated)) return "UNKNOWN";
  return StatusCodeName(static_cast<StatusCode>(value));
}

class RpcMetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcMetricsInterceptor(const ServiceEnv& env, app::ServerMetrics* metrics, const Method* method)
      : env_(env), metrics_(metrics), method_(method), started_(std::chrono::steady_clock::now()) {}

  ~RpcMetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Result<app::Tenant*> tenant = AuthenticateMetadata(env_, *methods->GetRecvInitialMetadata());
      if (tenant.ok()) tenant_id_ = (*tenant)->id();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !recorded_) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    recorded_ = true;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    metrics_->RecordRpc(method_->service, method_->name, tenant_id_, CodeName(code), seconds);
  }

  const ServiceEnv& env_;
  app::ServerMetrics* const metrics_;
  const Method* const method_;
  const std::chrono::steady_clock::time_point started_;
  std::string tenant_id_;
  bool recorded_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  Factory(ServiceEnv env, app::ServerMetrics* metrics, const std::vector<std::string>& services)
      : env_(env), metrics_(metrics) {
    const google::protobuf::DescriptorPool* pool =
        google::protobuf::DescriptorPool::generated_pool();
    for (const std::string& service_name : services) {
      const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(service_name);
      if (service == nullptr) continue;
      for (int i = 0; i < service->method_count(); ++i) {
        auto method = std::make_unique<Method>();
        method->service = service->full_name();
        method->name = service->method(i)->name();
        method->path = "/" + method->service + "/" + method->name;
        const std::string_view key = method->path;
        methods_.emplace(key, std::move(method));
      }
    }
  }

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == nullptr) return nullptr;
    auto found = methods_.find(info->method());
    if (found == methods_.end()) return nullptr;
    return new RpcMetricsInterceptor(env_, metrics_, found->second.get());
  }

 private:
  const ServiceEnv env_;
  app::ServerMetrics* const metrics_;
  MethodTable methods_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcMetricsInterceptorFactory(
    ServiceEnv env, app::ServerMetrics* metrics, const std::vector<std::string>& services) {
  return std::make_unique<Factory>(env, metrics, services);
}

}  // namespace pathwise::service
