// Tenants in SqliteStore: a tenant is a row that the other tables refer to by its key. Each row
// carries a checksum over its key and its id (schema version 8 on).
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"

namespace pathwise::store {

using internal::Statement;

namespace internal {

namespace {

// A tenants row's checksum: its key, then its id.
RowChecksum TenantChecksum(int64_t tenant_pk, std::string_view tenant_id) {
  RowChecksum checksum;
  checksum.Add(tenant_pk).Add(tenant_id);
  return checksum;
}

}  // namespace

Status VerifyTenantRow(const Statement& row, int tenant_pk_column, int checksum_column,
                       std::string_view tenant_id) {
  const int64_t tenant_pk = row.ColumnInt64(tenant_pk_column);
  return VerifyRowChecksum(
      StoredChecksum(row, checksum_column), [&] { return TenantChecksum(tenant_pk, tenant_id); },
      [&] {
        return NameTenant(tenant_id, tenant_pk) + ": its tenants row (" +
               std::to_string(tenant_pk) + ")";
      });
}

Status ForEachTenant(Connection& db, const std::function<void(std::string tenant_id)>& visit) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(sql::kListTenants));
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return Status::Ok();
    std::string tenant_id = select.ColumnText(1);
    PATHWISE_RETURN_IF_ERROR(VerifyTenantRow(select, 0, 2, tenant_id));
    visit(std::move(tenant_id));
  }
}

Status VerifyTenantRows(Connection& db) {
  return ForEachTenant(db, [](const std::string&) {});
}

Result<std::optional<int64_t>> FindTenant(Connection& db, std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql::kSelectTenant));
  stmt.Bind(1, tenant_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) {
    // The tenant may be one whose row is damaged in its id: no read by the right id reaches that
    // row, so the tenant's data would look gone, and its next write would start it anew under a
    // new key. So "no such tenant" is believed only once every tenants row is verified. Tenants
    // are few, and a lookup misses only for a tenant with nothing stored yet.
    PATHWISE_RETURN_IF_ERROR(VerifyTenantRows(db));
    return std::optional<int64_t>();
  }
  const int64_t tenant_pk = stmt.ColumnInt64(0);
  PATHWISE_RETURN_IF_ERROR(VerifyTenantRow(stmt, 0, 1, tenant_id));
  return std::optional<int64_t>(tenant_pk);
}

Status CheckTenantMiss(Connection& db, std::string_view tenant_id) {
  return FindTenant(db, tenant_id).status();
}

std::optional<int64_t> StoredChecksum(const Statement& row, int column) {
  if (row.ColumnIsNull(column)) return std::nullopt;  // written before its table had checksums
  return row.ColumnInt64(column);
}

Status SignRows(Connection& db, const char* unsigned_sql, const char* update_sql,
                const KeySlice& keys,
                const std::function<void(const Statement& row, Statement& update)>& sign) {
  PATHWISE_ASSIGN_OR_RETURN(Statement row, db.Prepare(unsigned_sql));
  row.Bind(1, keys.after);
  row.Bind(2, keys.up_to);
  PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(update_sql));
  for (;;) {
    // The update changes only the checksum, which no index holds, so the scan goes on past it.
    PATHWISE_ASSIGN_OR_RETURN(const bool found, row.Step());
    if (!found) return Status::Ok();
    sign(row, update);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    update.Reset();
  }
}

Status SignTenantRows(Connection& db, const KeySlice& keys) {
  return SignRows(db, sql::kUnsignedTenants, sql::kSignTenant, keys,
                  [](const Statement& row, Statement& update) {
                    update.Bind(1, TenantChecksum(row.ColumnInt64(0), row.ColumnBlob(1)).value());
                    update.Bind(2, row.ColumnInt64(0));
                  });
}

std::string NameTenant(std::string_view tenant_id, int64_t tenant_pk) {
  return tenant_id.empty() ? "tenant #" + std::to_string(tenant_pk)
                           : "tenant '" + std::string(tenant_id) + "'";
}

Result<int64_t> GetOrCreateTenant(Connection& db, std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> found, FindTenant(db, tenant_id));
  if (found.has_value()) return *found;
  int64_t tenant_pk = 0;
  {
    PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(sql::kNextTenantPk));
    PATHWISE_RETURN_IF_ERROR(next.Step().status());
    tenant_pk = next.ColumnInt64(0);
  }
  PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertTenant));
  insert.Bind(1, tenant_pk);
  insert.Bind(2, tenant_id);
  insert.Bind(3, TenantChecksum(tenant_pk, tenant_id).value());
  PATHWISE_RETURN_IF_ERROR(insert.Run());
  return tenant_pk;
}

}  // namespace internal

Result<std::vector<std::string>> SqliteStore::DoListTenants() {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  std::vector<std::string> out;
  PATHWISE_RETURN_IF_ERROR(internal::ForEachTenant(
      *reader, [&](std::string tenant_id) { out.push_back(std::move(tenant_id)); }));
  return out;
}

}  // namespace pathwise::store
