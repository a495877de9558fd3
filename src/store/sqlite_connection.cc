#include "store/sqlite_connection.h"

#include <mutex>

namespace pathwise::store::internal {
namespace {

// SQLite keeps global memory statistics behind a process-wide mutex by default; the store does not
// read them, and every allocation of the writer and of every reader would contend for that mutex.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Fails harmlessly (SQLITE_MISUSE) when SQLite was already initialised by someone else.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  });
}

std::string_view SqlForMessage(sqlite3_stmt* stmt) {
  const char* sql = sqlite3_sql(stmt);
  return sql == nullptr ? std::string_view("?") : std::string_view(sql);
}

}  // namespace

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  // sqlite3_errmsg describes the latest failure on the connection, which is this one; without a
  // connection only the generic text of the code is known.
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::FailedPrecondition(
          "the database file is corrupt or is not a database (restore it from a backup): " +
          message);
    default:
      return Status::Internal(std::move(message));
  }
}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

void Statement::Bind(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::Bind(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::Bind(int index, std::string_view text) {
  // A null data pointer would bind NULL; an empty view must still be the empty string.
  const char* data = text.data() == nullptr ? "" : text.data();
  const int rc = sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob, not NULL, even for an empty view.
  const int rc = bytes.empty()
                     ? sqlite3_bind_zeroblob(stmt_, index, 0)
                     : sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

void Statement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == SQLITE_OK) bind_error_ = rc;
}

Result<bool> Statement::Step() {
  if (bind_error_ != SQLITE_OK) {
    return SqliteStatus(nullptr, bind_error_,
                        "binding parameters of '" + std::string(SqlForMessage(stmt_)) + "'");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_, rc, "running '" + std::string(SqlForMessage(stmt_)) + "'");
}

Status Statement::Run() {
  PATHWISE_ASSIGN_OR_RETURN(const bool row, Step());
  if (row) {
    return Status::Internal("'" + std::string(SqlForMessage(stmt_)) + "' returned a row");
  }
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);  // returns the last Step()'s error, which was reported already
  bind_error_ = SQLITE_OK;
}

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

std::string_view Statement::ColumnBlob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);
  if (data == nullptr) return {};
  return std::string_view(static_cast<const char*>(data),
                          static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, int flags) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteStatus(db, rc, "opening database '" + path + "'");
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  // Only other processes can hold the write lock (the store has one writer connection); waiting
  // for them briefly beats failing a request.
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& entry : statements_) sqlite3_finalize(entry.second);
  sqlite3_close_v2(db_);
}

Status Connection::Exec(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  sqlite3_free(error);  // sqlite3_errmsg still holds the same text
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "running '" + std::string(sql) + "'");
  return Status::Ok();
}

Result<Statement> Connection::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, /*pzTail=*/nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return SqliteStatus(db_, rc, "preparing '" + std::string(sql) + "'");
    }
    it = statements_.emplace(sql, stmt).first;
  }
  return Statement(db_, it->second);
}

Status Connection::Run(const char* sql) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  return stmt.Run();
}

Result<int64_t> Connection::QueryInt(const char* sql) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return Status::Internal("'" + std::string(sql) + "' returned no row");
  return stmt.ColumnInt64(0);
}

}  // namespace pathwise::store::internal
