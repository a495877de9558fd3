// Graphs, rosters and models in SqliteStore: versioned texts per tenant (and per name, for
// models); and each tenant's state origin. Every row carries a checksum (row_checksum.h).
#include "store/row_checksum.h"
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"
#include "store/store_validation.h"

namespace pathwise::store {

namespace sql = internal::sql;
using internal::Connection;
using internal::Statement;

namespace {

// Each row's checksum: its keys, then its payload.

// Graphs and rosters: a tenant's versioned JSON texts.
internal::RowChecksum VersionedTextChecksum(int64_t tenant_pk, int64_t version,
                                            std::string_view json) {
  internal::RowChecksum checksum;
  checksum.Add(tenant_pk).Add(version).Add(json);
  return checksum;
}

internal::RowChecksum ModelChecksum(int64_t tenant_pk, std::string_view name, int64_t version,
                                    std::string_view json) {
  internal::RowChecksum checksum;
  checksum.Add(tenant_pk).Add(name).Add(version).Add(json);
  return checksum;
}

internal::RowChecksum StateOriginChecksum(int64_t tenant_pk, std::string_view origin) {
  internal::RowChecksum checksum;
  checksum.Add(tenant_pk).Add(origin);
  return checksum;
}

}  // namespace

namespace internal {

namespace {

// A graph or roster row (version, json, checksum, tenant_pk); `kind` names it in the error.
Status VerifyVersionedTextRow(const Statement& row, std::string_view tenant_id, const char* kind) {
  const int64_t version = row.ColumnInt64(0);
  const int64_t tenant_pk = row.ColumnInt64(3);
  return VerifyRowChecksum(
      StoredChecksum(row, 2),
      [&] { return VersionedTextChecksum(tenant_pk, version, row.ColumnBlob(1)); },
      [&] {
        return NameTenant(tenant_id, tenant_pk) + ": " + kind + " version " +
               std::to_string(version);
      });
}

}  // namespace

Status VerifyGraphRow(const Statement& row, std::string_view tenant_id) {
  return VerifyVersionedTextRow(row, tenant_id, "graph");
}

Status VerifyRosterRow(const Statement& row, std::string_view tenant_id) {
  return VerifyVersionedTextRow(row, tenant_id, "roster");
}

Status VerifyModelRow(const Statement& row, std::string_view tenant_id) {
  const std::string_view name = row.ColumnBlob(0);
  const int64_t version = row.ColumnInt64(1);
  const int64_t tenant_pk = row.ColumnInt64(4);
  return VerifyRowChecksum(
      StoredChecksum(row, 3),
      [&] { return ModelChecksum(tenant_pk, name, version, row.ColumnBlob(2)); },
      [&] {
        return NameTenant(tenant_id, tenant_pk) + ": model '" + std::string(name) + "' version " +
               std::to_string(version);
      });
}

Status VerifyStateOriginRow(const Statement& row, std::string_view tenant_id) {
  const int64_t tenant_pk = row.ColumnInt64(2);
  return VerifyRowChecksum(
      StoredChecksum(row, 1), [&] { return StateOriginChecksum(tenant_pk, row.ColumnBlob(0)); },
      [&] { return NameTenant(tenant_id, tenant_pk) + ": its state origin"; });
}

Status SignCurriculumRows(Connection& db, const KeySlice& keys) {
  const auto sign_versioned_text = [](const Statement& row, Statement& update) {
    update.Bind(
        1,
        VersionedTextChecksum(row.ColumnInt64(0), row.ColumnInt64(1), row.ColumnBlob(2)).value());
    update.Bind(2, row.ColumnInt64(3));
  };
  PATHWISE_RETURN_IF_ERROR(
      SignRows(db, sql::kUnsignedGraphs, sql::kSignGraph, keys, sign_versioned_text));
  PATHWISE_RETURN_IF_ERROR(
      SignRows(db, sql::kUnsignedRosters, sql::kSignRoster, keys, sign_versioned_text));
  PATHWISE_RETURN_IF_ERROR(SignRows(
      db, sql::kUnsignedModels, sql::kSignModel, keys, [](const Statement& row, Statement& update) {
        update.Bind(1, ModelChecksum(row.ColumnInt64(0), row.ColumnBlob(1), row.ColumnInt64(2),
                                     row.ColumnBlob(3))
                           .value());
        update.Bind(2, row.ColumnInt64(4));
      }));
  return SignRows(db, sql::kUnsignedStateOrigins, sql::kSignStateOrigin, keys,
                  [](const Statement& row, Statement& update) {
                    update.Bind(1,
                                StateOriginChecksum(row.ColumnInt64(0), row.ColumnBlob(1)).value());
                    update.Bind(2, row.ColumnInt64(0));
                  });
}

}  // namespace internal

Result<int64_t> SqliteStore::DoPutGraph(std::string_view tenant_id, std::string_view graph_json) {
  int64_t version = 0;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, internal::GetOrCreateTenant(db, tenant_id));
    {
      PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(sql::kNextGraphVersion));
      next.Bind(1, tenant_pk);
      PATHWISE_RETURN_IF_ERROR(next.Step().status());
      version = next.ColumnInt64(0);
    }
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertGraph));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, version);
    insert.Bind(3, graph_json);
    insert.Bind(4, VersionedTextChecksum(tenant_pk, version, graph_json).value());
    return insert.Run();
  });
  if (!written.ok()) return written;
  return version;
}

Status SqliteStore::DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) {
  return impl_->writer->Write([&](Connection& db) -> Status {
    if (origin.empty()) {
      PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> tenant_pk,
                                internal::FindTenant(db, tenant_id));
      if (!tenant_pk.has_value()) return Status::Ok();
      PATHWISE_ASSIGN_OR_RETURN(Statement clear, db.Prepare(sql::kClearStateOrigin));
      clear.Bind(1, *tenant_pk);
      return clear.Run();
    }
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, internal::GetOrCreateTenant(db, tenant_id));
    PATHWISE_ASSIGN_OR_RETURN(Statement put, db.Prepare(sql::kPutStateOrigin));
    put.Bind(1, tenant_pk);
    put.Bind(2, origin);
    put.Bind(3, StateOriginChecksum(tenant_pk, origin).value());
    return put.Run();
  });
}

Result<std::string> SqliteStore::DoGetStateOrigin(std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kSelectStateOrigin));
  select.Bind(1, tenant_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
    return std::string();
  }
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 2, 3, tenant_id));
  PATHWISE_RETURN_IF_ERROR(internal::VerifyStateOriginRow(select, tenant_id));
  return select.ColumnText(0);
}

Result<GraphVersion> SqliteStore::DoGetGraph(std::string_view tenant_id, int64_t version) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(
      Statement select,
      reader->Prepare(version == kLatestVersion ? sql::kSelectLatestGraph : sql::kSelectGraph));
  select.Bind(1, tenant_id);
  if (version != kLatestVersion) select.Bind(2, version);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
    return internal::GraphNotFound(version);
  }
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 3, 4, tenant_id));
  PATHWISE_RETURN_IF_ERROR(internal::VerifyGraphRow(select, tenant_id));
  return GraphVersion{select.ColumnInt64(0), select.ColumnText(1)};
}

Result<int64_t> SqliteStore::DoPutRoster(std::string_view tenant_id, std::string_view roster_json) {
  int64_t version = 0;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, internal::GetOrCreateTenant(db, tenant_id));
    {
      PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(sql::kNextRosterVersion));
      next.Bind(1, tenant_pk);
      PATHWISE_RETURN_IF_ERROR(next.Step().status());
      version = next.ColumnInt64(0);
    }
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertRoster));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, version);
    insert.Bind(3, roster_json);
    insert.Bind(4, VersionedTextChecksum(tenant_pk, version, roster_json).value());
    return insert.Run();
  });
  if (!written.ok()) return written;
  return version;
}

Result<RosterVersion> SqliteStore::DoGetRoster(std::string_view tenant_id, int64_t version) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(
      Statement select,
      reader->Prepare(version == kLatestVersion ? sql::kSelectLatestRoster : sql::kSelectRoster));
  select.Bind(1, tenant_id);
  if (version != kLatestVersion) select.Bind(2, version);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
    return internal::RosterNotFound(version);
  }
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 3, 4, tenant_id));
  PATHWISE_RETURN_IF_ERROR(internal::VerifyRosterRow(select, tenant_id));
  return RosterVersion{select.ColumnInt64(0), select.ColumnText(1)};
}

Result<int64_t> SqliteStore::DoPutModel(std::string_view tenant_id, std::string_view name,
                                        std::string_view model_json) {
  int64_t version = 0;
  const Status written = impl_->writer->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, internal::GetOrCreateTenant(db, tenant_id));
    {
      PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(sql::kNextModelVersion));
      next.Bind(1, tenant_pk);
      next.Bind(2, name);
      PATHWISE_RETURN_IF_ERROR(next.Step().status());
      version = next.ColumnInt64(0);
    }
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertModel));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, name);
    insert.Bind(3, version);
    insert.Bind(4, model_json);
    insert.Bind(5, ModelChecksum(tenant_pk, name, version, model_json).value());
    return insert.Run();
  });
  if (!written.ok()) return written;
  return version;
}

Result<ModelVersion> SqliteStore::DoGetModel(std::string_view tenant_id, std::string_view name,
                                             int64_t version) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(
      Statement select,
      reader->Prepare(version == kLatestVersion ? sql::kSelectLatestModel : sql::kSelectModel));
  select.Bind(1, tenant_id);
  select.Bind(2, name);
  if (version != kLatestVersion) select.Bind(3, version);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
    return internal::ModelNotFound(name, version);
  }
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 4, 5, tenant_id));
  PATHWISE_RETURN_IF_ERROR(internal::VerifyModelRow(select, tenant_id));
  return ModelVersion{std::string(name), select.ColumnInt64(1), select.ColumnText(2)};
}

Result<std::vector<ModelVersion>> SqliteStore::DoListModels(std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(sql::kListModels));
  select.Bind(1, tenant_id);
  std::vector<ModelVersion> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRow(select, 4, 5, tenant_id));
    PATHWISE_RETURN_IF_ERROR(internal::VerifyModelRow(select, tenant_id));
    out.push_back(ModelVersion{select.ColumnText(0), select.ColumnInt64(1), {}});
  }
  if (out.empty()) PATHWISE_RETURN_IF_ERROR(internal::CheckTenantMiss(*reader, tenant_id));
  return out;
}

}  // namespace pathwise::store
