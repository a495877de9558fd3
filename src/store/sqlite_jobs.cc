// Background jobs in SqliteStore: one row per (tenant, job id), overwritten by each update, with
// its checksum (row_checksum.h).
#include "store/row_checksum.h"
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

// The columns in the order of the table (sqlite_schema.cc).
internal::RowChecksum JobChecksum(int64_t tenant_pk, const JobRecord& job) {
  internal::RowChecksum checksum;
  checksum.Add(tenant_pk).Add(job.job_id).Add(job.kind).Add(static_cast<int64_t>(job.status));
  checksum.AddReal(job.progress).Add(job.params_json).Add(job.result_model_name);
  checksum.Add(job.result_model_version).Add(job.error_message);
  checksum.Add(static_cast<int64_t>(job.created_ms)).Add(static_cast<int64_t>(job.updated_ms));
  checksum.Add(job.owner).Add(static_cast<int64_t>(job.lease_expires_ms));
  return checksum;
}

// The job a statement is on (columns as internal::VerifyJobRow says), once its checksum matches.
Result<JobRecord> VerifiedJob(const Statement& row, std::string_view tenant_id) {
  JobRecord job = ReadJob(row);
  const int64_t tenant_pk = row.ColumnInt64(13);
  PATHWISE_RETURN_IF_ERROR(internal::VerifyRowChecksum(
      internal::StoredChecksum(row, 12), [&] { return JobChecksum(tenant_pk, job); },
      [&] { return internal::NameTenant(tenant_id, tenant_pk) + ": job '" + job.job_id + "'"; }));
  return job;
}

// Binds the whole row (?1-?13) and its checksum (?14): what every write of a job binds.
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
  stmt.Bind(14, JobChecksum(tenant_pk, job).value());
}

// The job as stored, verified; nothing when there is none.
Result<std::optional<JobRecord>> FindJobInTenant(Connection& db, int64_t tenant_pk,
                                                 std::string_view tenant_id,
                                                 std::string_view job_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kSelectJobInTenant));
  select.Bind(1, tenant_pk);
  select.Bind(2, job_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) return std::optional<JobRecord>();
  PATHWISE_ASSIGN_OR_RETURN(JobRecord job, VerifiedJob(select, tenant_id));
  return std::optional<JobRecord>(std::move(job));
}

}  // namespace

Status internal::VerifyJobRow(const Statement& row, std::string_view tenant_id) {
  return VerifiedJob(row, tenant_id).status();
}

Status internal::SignJobRows(Connection& db, const internal::KeySlice& keys) {
  return SignRows(db, sql::kUnsignedJobs, sql::kSignJob, keys,
                  [](const Statement& row, Statement& update) {
                    update.Bind(1, JobChecksum(row.ColumnInt64(12), ReadJob(row)).value());
                    update.Bind(2, row.ColumnInt64(13));
                  });
}

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
    // Read (verified), then written whole: the writer is the only one, and the checksum covers the
    // whole row.
    PATHWISE_ASSIGN_OR_RETURN(std::optional<JobRecord> job,
                              FindJobInTenant(db, *tenant_pk, tenant_id, job_id));
    if (!job.has_value()) return internal::JobNotFound(job_id);
    if (!internal::ClaimJobRecord(*job, owner, now_ms, lease_until_ms)) return Status::Ok();
    PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(sql::kUpdateJob));
    BindJob(update, *tenant_pk, *job);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    claimed = std::move(job);
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
    // Like a claim: the stored row is verified before its status and owner decide.
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<JobRecord> stored,
                              FindJobInTenant(db, *tenant_pk, tenant_id, job.job_id));
    if (!stored.has_value()) return internal::JobNotFound(job.job_id);
    if (!internal::HoldsClaim(*stored, job.owner)) return Status::Ok();
    PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(sql::kUpdateJob));
    BindJob(update, *tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    updated = true;
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
  if (!row) {
    PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
    return internal::JobNotFound(job_id);
  }
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 13, 14, tenant_id));
  return VerifiedJob(select, tenant_id);
}

Result<std::vector<JobRecord>> SqliteStore::DoListJobs(std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kListJobs));
  select.Bind(1, tenant_id);
  std::vector<JobRecord> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 13, 14, tenant_id));
    PATHWISE_ASSIGN_OR_RETURN(JobRecord job, VerifiedJob(select, tenant_id));
    out.push_back(std::move(job));
  }
  if (out.empty()) PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
  return out;
}

}  // namespace pathwise::store
