#include "store/sqlite_group_commit.h"

#include <algorithm>
#include <utility>

#include "store/sqlite_statements.h"
#include "store/store_validation.h"

namespace pathwise::store::internal {

GroupCommitWriter::GroupCommitWriter(std::unique_ptr<Connection> connection,
                                     int max_writes_per_commit,
                                     std::function<void(int64_t key)> forget)
    : connection_(std::move(connection)),
      max_writes_per_commit_(static_cast<size_t>(max_writes_per_commit)),
      forget_(std::move(forget)),
      thread_([this] { Loop(); }) {}

GroupCommitWriter::~GroupCommitWriter() { Stop(); }

void GroupCommitWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  connection_.reset();
}

GroupCommitWriter::Stats GroupCommitWriter::stats() const {
  std::lock_guard<std::mutex> lock(queue_mu_);
  Stats stats = stats_;
  stats.queued_writes = queue_.size();
  return stats;
}

Status GroupCommitWriter::Write(std::function<Status(Connection&)> apply) {
  PendingWrite write;
  write.apply = std::move(apply);
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return StoreClosed();
    queue_.push_back(&write);
  }
  queue_cv_.notify_one();
  std::unique_lock<std::mutex> wait(write.mu);
  write.cv.wait(wait, [&] { return write.done; });
  return write.status;
}

void GroupCommitWriter::Complete(PendingWrite* write, Status status) {
  std::lock_guard<std::mutex> lock(write->mu);
  write->status = std::move(status);
  write->done = true;
  write->cv.notify_one();
}

void GroupCommitWriter::Loop() {
  std::vector<PendingWrite*> group;
  std::vector<Status> results;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and every queued write has been committed
      while (!queue_.empty() && group.size() < max_writes_per_commit_) {
        group.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    results.assign(group.size(), Status::Ok());
    const bool committed = CommitGroup(group, &results);
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stats_.transactions += committed ? 1 : 0;
      stats_.writes += group.size();
      stats_.max_writes_per_transaction =
          std::max<uint64_t>(stats_.max_writes_per_transaction, group.size());
    }
    for (size_t i = 0; i < group.size(); ++i) Complete(group[i], std::move(results[i]));
    group.clear();
  }
}

bool GroupCommitWriter::CommitGroup(const std::vector<PendingWrite*>& group,
                                    std::vector<Status>* results) {
  Connection& db = *connection_;
  group_touched_.clear();
  const auto fail_all = [&](const Status& status) {
    for (Status& result : *results) {
      if (result.ok()) result = status;
    }
    for (int64_t key : group_touched_) forget_(key);
  };
  Status begin = db.Run(sql::kBeginImmediate);
  if (!begin.ok()) {
    fail_all(begin);
    return false;
  }
  for (size_t i = 0; i < group.size(); ++i) {
    write_touched_.clear();
    Status status = db.Run(sql::kSavepoint);
    if (status.ok()) status = group[i]->apply(db);
    if (status.ok()) status = db.Run(sql::kRelease);
    group_touched_.insert(group_touched_.end(), write_touched_.begin(), write_touched_.end());
    if (status.ok()) continue;
    (*results)[i] = status;
    for (int64_t key : write_touched_) forget_(key);
    // On I/O errors, a full disk and the like SQLite may have rolled back the whole transaction
    // already; then the writes applied before this one are gone too and nothing may be
    // acknowledged.
    const bool in_transaction = sqlite3_get_autocommit(db.db()) == 0;
    Status undo = in_transaction ? db.Run(sql::kRollbackToSavepoint)
                                 : Status::Unavailable("transaction was rolled back");
    if (undo.ok()) undo = db.Run(sql::kRelease);
    if (!undo.ok()) {
      if (sqlite3_get_autocommit(db.db()) == 0) (void)db.Run(sql::kRollback);
      fail_all(
          Status::Unavailable("the write was rolled back because a write committed with it "
                              "failed: " +
                              status.message()));
      return false;
    }
  }
  Status commit = db.Run(sql::kCommit);
  if (!commit.ok()) {
    if (sqlite3_get_autocommit(db.db()) == 0) (void)db.Run(sql::kRollback);
    fail_all(commit);
    return false;
  }
  return true;
}

}  // namespace pathwise::store::internal
