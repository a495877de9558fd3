#include "service/model_service.h"

#include "service/proto_convert.h"

namespace pathwise::service {
namespace {

v1::JobState ToProto(store::JobStatus status) {
  switch (status) {
    case store::JobStatus::kQueued:
      return v1::JOB_STATE_QUEUED;
    case store::JobStatus::kRunning:
      return v1::JOB_STATE_RUNNING;
    case store::JobStatus::kSucceeded:
      return v1::JOB_STATE_SUCCEEDED;
    case store::JobStatus::kFailed:
      return v1::JOB_STATE_FAILED;
    case store::JobStatus::kCancelled:
      return v1::JOB_STATE_CANCELLED;
  }
  return v1::JOB_STATE_UNSPECIFIED;
}

void ToProto(const store::JobRecord& record, const app::FitSummary& summary, v1::FitJob* out) {
  out->set_job_id(record.job_id);
  out->set_state(ToProto(record.status));
  out->set_progress(record.progress);
  out->set_error_message(record.error_message);
  out->set_model_name(record.result_model_name);
  out->set_model_version(record.result_model_version);
  out->set_created_ms(record.created_ms);
  out->set_updated_ms(record.updated_ms);
  if (record.status == store::JobStatus::kSucceeded) {
    out->set_log_likelihood(summary.log_likelihood);
    out->set_rows(summary.rows);
    out->set_learners(summary.learners);
  }
}

}  // namespace

grpc::Status ModelServiceImpl::FitModel(grpc::ServerContext* context,
                                        const v1::FitModelRequest* request, v1::FitJob* response) {
  return RunRpc("FitModel", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->model_name(), "model_name", *env_.limits));
    PATHWISE_RETURN_IF_ERROR(app::ValidateOptionalId(request->job_id(), "job_id", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(FitOptions options,
                              FitOptionsFromProto(request->options(), *env_.limits));
    // The graph as the latest put, whichever replica took it.
    PATHWISE_RETURN_IF_ERROR(tenant->CatchUp());
    if (!tenant->curriculum()->has_graph()) {
      return Status::FailedPrecondition(
          "the tenant has no graph yet: put one with CurriculumService.PutGraph first");
    }
    PATHWISE_ASSIGN_OR_RETURN(
        store::JobRecord record,
        env_.jobs->SubmitFit(tenant, request->job_id(), request->model_name(), options));
    ToProto(record, app::FitSummary{}, response);
    return Status::Ok();
  });
}

grpc::Status ModelServiceImpl::GetFitJob(grpc::ServerContext* context,
                                         const v1::GetFitJobRequest* request,
                                         v1::FitJob* response) {
  return RunRpc("GetFitJob", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->job_id(), "job_id", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(auto job, env_.jobs->Get(tenant->id(), request->job_id()));
    ToProto(job.first, job.second, response);
    return Status::Ok();
  });
}

grpc::Status ModelServiceImpl::CancelFitJob(grpc::ServerContext* context,
                                            const v1::CancelFitJobRequest* request,
                                            v1::FitJob* response) {
  return RunRpc("CancelFitJob", [&]() -> Status {
    PATHWISE_ASSIGN_OR_RETURN(app::Tenant * tenant, Authenticate(env_, *context));
    PATHWISE_RETURN_IF_ERROR(app::ValidateId(request->job_id(), "job_id", *env_.limits));
    PATHWISE_ASSIGN_OR_RETURN(store::JobRecord record,
                              env_.jobs->Cancel(tenant->id(), request->job_id()));
    // A job that finished before it saw the request reports as GetFitJob would.
    PATHWISE_ASSIGN_OR_RETURN(auto job, env_.jobs->Get(tenant->id(), record.job_id));
    ToProto(job.first, job.second, response);
    return Status::Ok();
  });
}

}  // namespace pathwise::service
