// The read connections of SqliteStore: a pool of query-only connections that run concurrently with
// the writer (each read sees a WAL snapshot). Private to pathwise::store.
#ifndef PATHWISE_STORE_SQLITE_READER_POOL_H_
#define PATHWISE_STORE_SQLITE_READER_POOL_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pathwise/result.h>

#include "store/sqlite_connection.h"

namespace pathwise::store::internal {

/// Keeps up to `max_idle` connections to the database open between calls; more are opened on
/// demand and closed after use.
///
/// Thread safety: every method may be called concurrently.
class ReaderPool {
 public:
  /// A connection leased for the duration of one call; returned to the pool when it dies. Must
  /// not outlive the pool.
  class Reader {
   public:
    Reader(ReaderPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Reader(Reader&& other) noexcept
        : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
      if (connection_ != nullptr) pool_->Return(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  ReaderPool(std::string path, int max_idle) : path_(std::move(path)), max_idle_(max_idle) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  /// An idle connection, or a new one. Unavailable once Close has begun.
  Result<Reader> Acquire();

  /// Waits for every leased connection to come back, then closes them all. Later Acquires fail.
  void Close();

 private:
  Result<std::unique_ptr<Connection>> Open() const;
  void Return(std::unique_ptr<Connection> connection);

  const std::string path_;
  const int max_idle_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int leased_ = 0;                                 // guarded by mu_
  bool closed_ = false;                            // guarded by mu_
};

/// A read transaction: the statements run on `db` while it lives see one snapshot.
class ReadTransaction {
 public:
  static Result<ReadTransaction> Begin(Connection& db);
  ReadTransaction(ReadTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ~ReadTransaction();

 private:
  explicit ReadTransaction(Connection* db) : db_(db) {}
  Connection* db_;
};

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_SQLITE_READER_POOL_H_
