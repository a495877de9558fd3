#include "store/sqlite_reader_pool.h"

#include <utility>

#include "store/sqlite_statements.h"
#include "store/store_validation.h"

namespace pathwise::store::internal {

Result<ReaderPool::Reader> ReaderPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return StoreClosed();
    ++leased_;
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Reader(this, std::move(connection));
    }
  }
  Result<std::unique_ptr<Connection>> connection = Open();
  if (!connection.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    --leased_;
    cv_.notify_all();
    return connection.status();
  }
  return Reader(this, std::move(connection).value());
}

Result<std::unique_ptr<Connection>> ReaderPool::Open() const {
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                            Connection::Open(path_, SQLITE_OPEN_READWRITE));
  PATHWISE_RETURN_IF_ERROR(connection->Exec("PRAGMA query_only = ON"));
  return connection;
}

void ReaderPool::Return(std::unique_ptr<Connection> connection) {
  std::unique_ptr<Connection> to_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    --leased_;
    if (!closed_ && idle_.size() < static_cast<size_t>(max_idle_)) {
      idle_.push_back(std::move(connection));
    } else {
      to_close = std::move(connection);
    }
  }
  cv_.notify_all();
}

void ReaderPool::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  closed_ = true;
  cv_.wait(lock, [&] { return leased_ == 0; });
  idle_.clear();
}

Result<ReadTransaction> ReadTransaction::Begin(Connection& db) {
  PATHWISE_RETURN_IF_ERROR(db.Run(sql::kBegin));
  return ReadTransaction(&db);
}

ReadTransaction::~ReadTransaction() {
  // Ending a read-only transaction cannot lose anything; ROLLBACK also works after an error.
  if (db_ != nullptr && sqlite3_get_autocommit(db_->db()) == 0) (void)db_->Run(sql::kRollback);
}

}  // namespace pathwise::store::internal
