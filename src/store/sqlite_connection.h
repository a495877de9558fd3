// A thin RAII layer over one SQLite connection: cached prepared statements, typed binds, and SQLite
// result codes turned into Status. Private to pathwise::store; no public header includes sqlite3.h.
#ifndef PATHWISE_STORE_SQLITE_CONNECTION_H_
#define PATHWISE_STORE_SQLITE_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include <sqlite3.h>

#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise::store::internal {

/// Turns a failed SQLite call into a Status: busy, locked, I/O and disk-full errors become
/// Unavailable, corrupt files and files that are not databases FailedPrecondition, the rest
/// Internal. The message is "<what>: <SQLite's message>". `db` may be null.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

/// A prepared statement borrowed from a Connection's cache: bind, step, read columns; it is reset
/// and its bindings cleared when this object dies, so the statement can be reused.
///
/// Text is bound without copying (SQLITE_STATIC): a bound string must outlive this object.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1. A failed bind is reported by the next Step().
  void Bind(int index, int64_t value);
  void Bind(int index, double value);
  void Bind(int index, std::string_view text);  // an empty view binds '' (not NULL)
  void BindNull(int index);
  void BindBlob(int index, std::string_view bytes);  // bound without copying, like text

  /// SQLITE_ROW or SQLITE_DONE as true/false; anything else an error naming the statement.
  Result<bool> Step();
  /// Step() for statements that return no row; an unexpected row is Internal.
  Status Run();
  /// Makes the statement ready to bind and run again (within the same borrow).
  void Reset();

  // Columns are numbered from 0.
  int64_t ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }
  double ColumnDouble(int index) const { return sqlite3_column_double(stmt_, index); }
  bool ColumnIsNull(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
  std::string ColumnText(int index) const;
  /// The bytes of a BLOB (or TEXT) column, valid until the next Step() or Reset().
  std::string_view ColumnBlob(int index) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = SQLITE_OK;
};

/// One open database connection and its prepared statements. Not thread-safe: use from one thread
/// at a time (the store hands connections to threads).
class Connection {
 public:
  /// Opens `path` with SQLITE_OPEN_* `flags` (NOMUTEX is added: the store never shares a connection
  /// between threads at the same time) and sets a busy timeout.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, int flags);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }

  /// Runs one or more statements that return nothing of interest (pragmas, DDL, BEGIN, ...).
  Status Exec(const char* sql);

  /// The cached statement for `sql`, prepared on first use. `sql` must be a string with static
  /// storage duration: the cache is keyed by its address.
  Result<Statement> Prepare(const char* sql);

  /// Runs the cached statement for `sql` (as Prepare), which must return no row (BEGIN, COMMIT,
  /// SAVEPOINT, ...).
  Status Run(const char* sql);

  /// Runs a statement that returns one integer row (e.g. PRAGMA user_version).
  Result<int64_t> QueryInt(const char* sql);

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_SQLITE_CONNECTION_H_
