#include "service/unreadable_request.h"

#include <string>

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

namespace pathwise::service {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/pathwise.v1.LearnerService/GetMastery" -> "pathwise.v1.GetMasteryRequest"; the method path
// itself when the generated pool does not know the method.
std::string RequestTypeName(const char* method_path) {
  std::string name = method_path == nullptr ? "" : method_path;
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  const size_t slash = name.find('/');
  if (slash != std::string::npos) name[slash] = '.';
  const google::protobuf::MethodDescriptor* method =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  if (method == nullptr) return "request of " + std::string(method_path ? method_path : "?");
  return method->input_type()->full_name();
}

class UnreadableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit UnreadableRequestInterceptor(grpc::experimental::ServerRpcInfo* info) : info_(info) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    // For these methods gRPC reads exactly one message before the handler; a null message after
    // that read means its bytes did not parse.
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      unreadable_ = true;
    }
    if (unreadable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             "the request is not a readable " +
                                                 RequestTypeName(info_->method()) +
                                                 " message (its bytes do not parse as one)"));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* const info_;
  bool unreadable_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    using Type = grpc::experimental::ServerRpcInfo::Type;
    if (info->type() != Type::UNARY && info->type() != Type::SERVER_STREAMING) return nullptr;
    return new UnreadableRequestInterceptor(info);
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
UnreadableRequestInterceptorFactory() {
  return std::make_unique<Factory>();
}

}  // namespace pathwise::service
