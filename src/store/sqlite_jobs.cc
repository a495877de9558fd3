// Background jobs in SqliteStore: one row per (tenant, job id), overwritten by each update.
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"
#include "store/store_validation.h"

namespace pathwise::store {

namespace sql = internal::sql;
using internal::Connection;
using internal::Statement;

namespace {

JobRecord ReadJob(const Statement& row) {
  JobRecord job;
  job.job_id = row.ColumnText(0);
  job.kind = row.ColumnText(1);
  job.status = static_cast<JobStatus>(row.ColumnInt64(2));
  job.progress = row.ColumnDouble(3);
  job.params_json = row.ColumnText(4);
  job.result_model_name = row.ColumnText(5);
  job.result_model_version = row.ColumnInt64(6);
  job.error_message = row.ColumnText(7);
  job.created_ms = row.ColumnInt64(8);
  job.updated_ms = row.ColumnInt64(9);
  job.owner = row.ColumnText(10);
  job.lease_expires_ms = row.ColumnInt64(11);
  return job;
}

void BindJob(Statement& stmt, int64_t tenant_pk, const JobRecord& job) {
  stmt.Bind(1, tenant_pk);
  stmt.Bind(2, std::string_view(job.job_id));
  stmt.Bind(3, std::string_view(job.kind));
  stmt.Bind(4, static_cast<int64_t>(job.status));
  stmt.Bind(5, job.progress);
  stmt.Bind(6, std::string_view(job.params_json));
  stmt.Bind(7, std::string_view(job.result_model_name));
  stmt.Bind(8, job.result_model_version);
  stmt.Bind(9, std::string_view(job.error_message));
  stmt.Bind(10, static_cast<int64_t>(job.created_ms));
  stmt.Bind(11, static_cast<int64_t>(job.updated_ms));
  stmt.Bind(12, std::string_view(job.owner));
  stmt.Bind(13, static_cast<int64_t>(job.lease_expires_ms));
}

}  // namespace

Status SqliteStore::DoCreateJob(std::string_view tenant_id, const JobRecord& job) {
  return impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, internal::GetOrCreateTenant(db, tenant_id));
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertJob));
    BindJob(insert, tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(insert.Run());
    if (sqlite3_changes(db.db()) == 0) {
      return internal::JobExists(job.job_id);
    }
    return Status::Ok();
  });
}

Status SqliteStore::DoUpdateJob(std::string_view tenant_id, const JobRecord& job) {
  return impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> tenant_pk,
                              internal::FindTenant(db, tenant_id));
    if (!tenant_pk.has_value()) return internal::JobNotFound(job.job_id);
    PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(sql::kUpdateJob));
    BindJob(update, *tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    if (sqlite3_changes(db.db()) == 0) return internal::JobNotFound(job.job_id);
    return Status::Ok();
  });
}

Result<std::optional<JobRecord>> SqliteStore::DoClaimJob(std::string_view tenant_id,
                                                         std::string_view job_id,
                                                         std::string_view owner, TimestampMs now_ms,
                                                         TimestampMs lease_until_ms) {
  std::optional<JobRecord> claimed;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> tenant_pk,
                              internal::FindTenant(db, tenant_id));
    if (!tenant_pk.has_value()) return internal::JobNotFound(job_id);
    PATHWISE_ASSIGN_OR_RETURN(Statement claim, db.Prepare(sql::kClaimJob));
    claim.Bind(1, *tenant_pk);
    claim.Bind(2, job_id);
    claim.Bind(3, owner);
    claim.Bind(4, static_cast<int64_t>(now_ms));
    claim.Bind(5, static_cast<int64_t>(lease_until_ms));
    PATHWISE_RETURN_IF_ERROR(claim.Run());
    const bool changed = sqlite3_changes(db.db()) > 0;
    PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectJob));
    select.Bind(1, tenant_id);
    select.Bind(2, job_id);
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return internal::JobNotFound(job_id);
    if (changed) claimed = ReadJob(select);
    return Status::Ok();
  });
  PATHWISE_RETURN_IF_ERROR(written);
  return claimed;
}

Result<bool> SqliteStore::DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) {
  bool updated = false;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> tenant_pk,
                              internal::FindTenant(db, tenant_id));
    if (!tenant_pk.has_value()) return internal::JobNotFound(job.job_id);
    PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(sql::kUpdateClaimedJob));
    BindJob(update, *tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    updated = sqlite3_changes(db.db()) > 0;
    if (updated) return Status::Ok();
    PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectJob));
    select.Bind(1, tenant_id);
    select.Bind(2, std::string_view(job.job_id));
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return internal::JobNotFound(job.job_id);
    return Status::Ok();
  });
  PATHWISE_RETURN_IF_ERROR(written);
  return updated;
}

Result<JobRecord> SqliteStore::DoGetJob(std::string_view tenant_id, std::string_view job_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kSelectJob));
  select.Bind(1, tenant_id);
  select.Bind(2, job_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) return internal::JobNotFound(job_id);
  return ReadJob(select);
}

Result<std::vector<JobRecord>> SqliteStore::DoListJobs(std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kListJobs));
  select.Bind(1, tenant_id);
  std::vector<JobRecord> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(ReadJob(select));
  }
  return out;
}

}  // namespace pathwise::store
