// StandardsService: education-standards imports and the class report
// (proto/pathwise/v1/standards_service.proto).
#ifndef PATHWISE_SERVICE_STANDARDS_SERVICE_H_
#define PATHWISE_SERVICE_STANDARDS_SERVICE_H_

#include "pathwise/v1/standards_service.grpc.pb.h"
#include "service/rpc.h"

namespace pathwise::service {

/// Thin adapter: authenticate, convert the request, call the app (app/standards.h), convert back.
/// Thread safety: every method may be called concurrently.
class StandardsServiceImpl final : public v1::StandardsService::Service {
 public:
  explicit StandardsServiceImpl(ServiceEnv env) : env_(env) {}

  grpc::Status ImportLearningRecords(grpc::ServerContext* context,
                                     const v1::ImportLearningRecordsRequest* request,
                                     v1::ImportLearningRecordsResponse* response) override;
  grpc::Status ImportFramework(grpc::ServerContext* context,
                               const v1::ImportFrameworkRequest* request,
                               v1::ImportFrameworkResponse* response) override;
  grpc::Status ImportRoster(grpc::ServerContext* context, const v1::ImportRosterRequest* request,
                            v1::ImportRosterResponse* response) override;
  grpc::Status GetClassReport(grpc::ServerContext* context,
                              const v1::GetClassReportRequest* request,
                              v1::GetClassReportResponse* response) override;

 private:
  ServiceEnv env_;
};

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_STANDARDS_SERVICE_H_
