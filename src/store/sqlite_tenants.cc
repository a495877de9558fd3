// Tenants in SqliteStore: a tenant is a row that the other tables refer to by its key.
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"

namespace pathwise::store {

using internal::Statement;

namespace internal {

Result<std::optional<int64_t>> FindTenant(Connection& db, std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(sql::kSelectTenant));
  stmt.Bind(1, tenant_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt.ColumnInt64(0));
}

std::optional<int64_t> StoredChecksum(const Statement& row, int column) {
  if (row.ColumnIsNull(column)) return std::nullopt;  // written before its table had checksums
  return row.ColumnInt64(column);
}

std::string NameTenant(std::string_view tenant_id, int64_t tenant_pk) {
  return tenant_id.empty() ? "tenant #" + std::to_string(tenant_pk)
                           : "tenant '" + std::string(tenant_id) + "'";
}

Result<int64_t> GetOrCreateTenant(Connection& db, std::string_view tenant_id) {
  PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> found, FindTenant(db, tenant_id));
  if (found.has_value()) return *found;
  PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(sql::kInsertTenant));
  insert.Bind(1, tenant_id);
  PATHWISE_RETURN_IF_ERROR(insert.Run());
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db.db()));
}

}  // namespace internal

Result<std::vector<std::string>> SqliteStore::DoListTenants() {
  PATHWISE_ASSIGN_OR_RETURN(internal::ReaderPool::Reader reader, impl_->readers->Acquire());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(internal::sql::kListTenants));
  std::vector<std::string> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(select.ColumnText(0));
  }
  return out;
}

}  // namespace pathwise::store
