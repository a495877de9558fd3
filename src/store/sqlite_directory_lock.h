// The lock that keeps a second process from opening a SqliteStore's data directory. Private to
// pathwise::store.
#ifndef PATHWISE_STORE_SQLITE_DIRECTORY_LOCK_H_
#define PATHWISE_STORE_SQLITE_DIRECTORY_LOCK_H_

#include <memory>
#include <string>

#include <pathwise/result.h>

namespace pathwise::store::internal {

/// An exclusive advisory lock (flock) on <dir>/LOCK, held for as long as this object lives: two
/// processes writing one database would each believe their in-memory state is the truth.
class DirectoryLock {
 public:
  /// Creates <dir>/LOCK if missing and locks it without waiting. FailedPrecondition when another
  /// process (or another store in this one) holds it; Unavailable when it cannot be opened.
  static Result<std::unique_ptr<DirectoryLock>> Acquire(const std::string& dir);

  ~DirectoryLock();  // closing the file releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_SQLITE_DIRECTORY_LOCK_H_
