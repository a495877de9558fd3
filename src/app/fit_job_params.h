// A fit job's request as its JobRecord::params_json keeps it: every FitOptions field the fit reads,
// so that whichever replica claims the job (JobRunner) runs the fit that was submitted.
#ifndef PATHWISE_APP_FIT_JOB_PARAMS_H_
#define PATHWISE_APP_FIT_JOB_PARAMS_H_

#include <string>
#include <string_view>

#include <pathwise/fit.h>
#include <pathwise/result.h>

namespace pathwise::app {

/// What SubmitFit was asked for. options.threads, progress and cancel are the runner's, not the
/// request's: they are not stored.
struct FitJobParams {
  std::string model_name;
  FitOptions options;
};

/// {"format": 2, "model_name": ..., "options": {...}}: doubles are written so that they read back
/// to the same value.
std::string FitJobParamsToJson(const FitJobParams& params);

/// Reads what FitJobParamsToJson wrote (other keys, such as the "result" of a finished job, are
/// ignored). FailedPrecondition for params stored by an older server, which kept only part of the
/// options (no "format": the job cannot be re-run as submitted); InvalidArgument naming the field
/// for anything malformed.
Result<FitJobParams> FitJobParamsFromJson(std::string_view params_json);

}  // namespace pathwise::app

#endif  // PATHWISE_APP_FIT_JOB_PARAMS_H_
