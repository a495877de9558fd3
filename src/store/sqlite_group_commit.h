// The group-commit writer of SqliteStore: one thread that owns the write connection and commits the
// writes queued by any number of callers together, one transaction and one fsync per group.
// Private to pathwise::store.
#ifndef PATHWISE_STORE_SQLITE_GROUP_COMMIT_H_
#define PATHWISE_STORE_SQLITE_GROUP_COMMIT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <pathwise/status.h>

#include "store/sqlite_connection.h"

namespace pathwise::store::internal {

/// Takes all writes queued while its previous commit was in flight (at most max_writes_per_commit)
/// and applies them in one transaction, each inside its own SAVEPOINT, so a write that fails (for
/// example a version mismatch) is rolled back alone and the others still commit. Writes within a
/// group are applied in queue order. Each caller of Write returns once the transaction holding its
/// write is durable, or failed.
///
/// Writes may keep state beside the database (SqliteStore's cache of event-id hashes per learner):
/// a write calls Touch(key) for each entry it changed, and when the write or its whole group is
/// rolled back the writer calls `forget(key)` for those entries, since they then describe data
/// that was never committed.
///
/// Thread safety: Write, stats and Stop may be called from any thread; Touch only from inside a
/// write (on the writer thread).
class GroupCommitWriter {
 public:
  /// What the writer has done since it started.
  struct Stats {
    uint64_t transactions = 0;                ///< group transactions committed
    uint64_t writes = 0;                      ///< writes taken, including rejected ones
    uint64_t max_writes_per_transaction = 0;  ///< the largest group so far
    uint64_t queued_writes = 0;               ///< writes waiting right now
  };

  /// Starts the writer thread, which owns `connection` from now on.
  GroupCommitWriter(std::unique_ptr<Connection> connection, int max_writes_per_commit,
                    std::function<void(int64_t key)> forget);
  ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  /// Runs `apply` inside the next group transaction and returns once that transaction is durable
  /// (or failed). Unavailable once Stop has begun.
  Status Write(std::function<Status(Connection&)> apply);

  /// Writer thread only, inside a write: the write changed the state kept beside the database
  /// under `key`.
  void Touch(int64_t key) { write_touched_.push_back(key); }

  /// Commits every write queued so far, ends the thread and closes the connection; later writes
  /// fail. Idempotent.
  void Stop();

  Stats stats() const;

 private:
  // A write waiting for the writer thread. Lives on the caller's stack; the caller blocks until
  // `done`, which the writer sets (and signals) while holding `mu`, so the caller cannot free it
  // between the two.
  struct PendingWrite {
    std::function<Status(Connection&)> apply;
    Status status;
    bool done = false;
    std::mutex mu;
    std::condition_variable cv;
  };

  static void Complete(PendingWrite* write, Status status);
  void Loop();
  // Applies every write of the group in one transaction, each in its own savepoint; fills
  // `results`. Returns whether the transaction committed.
  bool CommitGroup(const std::vector<PendingWrite*>& group, std::vector<Status>* results);

  std::unique_ptr<Connection> connection_;  // the writer thread's while it runs
  const size_t max_writes_per_commit_;
  const std::function<void(int64_t)> forget_;

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingWrite*> queue_;  // guarded by queue_mu_
  bool stopping_ = false;            // guarded by queue_mu_
  Stats stats_;                      // guarded by queue_mu_

  std::vector<int64_t> write_touched_;  // writer thread only
  std::vector<int64_t> group_touched_;  // writer thread only

  std::thread thread_;  // last: starts once everything above is ready
};

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_SQLITE_GROUP_COMMIT_H_
