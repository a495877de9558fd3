// SqliteStore's options, Open and Close. The store's other parts are listed in
// sqlite_store_impl.h.
#include "store/sqlite_store.h"

#include <filesystem>
#include <utility>

#include "store/sqlite_schema.h"
#include "store/sqlite_statements.h"
#include "store/sqlite_store_impl.h"

namespace pathwise::store {

using internal::Connection;

Status SqliteStoreOptions::Validate() const {
  if (data_dir.empty()) return Status::InvalidArgument("data_dir: must not be empty");
  if (max_writes_per_commit < 1 || max_writes_per_commit > 100000) {
    return Status::InvalidArgument("max_writes_per_commit: must be in [1, 100000], got " +
                                   std::to_string(max_writes_per_commit));
  }
  if (max_cached_event_ids < 0 || max_cached_event_ids > (int64_t{1} << 32)) {
    return Status::InvalidArgument("max_cached_event_ids: must be in [0, 2^32], got " +
                                   std::to_string(max_cached_event_ids));
  }
  if (max_idle_readers < 1 || max_idle_readers > 64) {
    return Status::InvalidArgument("max_idle_readers: must be in [1, 64], got " +
                                   std::to_string(max_idle_readers));
  }
  return Status::Ok();
}

namespace {

// A database file of 0 bytes is a truncated or emptied store (SQLite would take it for a new one
// and start empty, losing everything silently), unless its write-ahead log holds the data: in WAL
// mode the main file stays empty until the first checkpoint. A missing file is a new store.
Status RefuseEmptyDatabaseFile(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error || size != 0) return Status::Ok();
  const std::uintmax_t wal = std::filesystem::file_size(path + "-wal", error);
  if (!error && wal > 0) return Status::Ok();
  return Status::FailedPrecondition("'" + path +
                                    "' is empty (0 bytes): a truncated or damaged store, not a new "
                                    "one; restore it from a backup, "
                                    "or move it away to start a new, empty store");
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteStoreOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  std::error_code error;
  std::filesystem::create_directories(options.data_dir, error);
  if (error) {
    return Status::Unavailable("cannot create data directory '" + options.data_dir +
                               "': " + error.message());
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->path = options.data_dir + "/pathwise.db";
  impl->event_ids =
      std::make_unique<internal::EventIdCache>(static_cast<size_t>(options.max_cached_event_ids));
  PATHWISE_ASSIGN_OR_RETURN(impl->lock, internal::DirectoryLock::Acquire(options.data_dir));
  PATHWISE_RETURN_IF_ERROR(RefuseEmptyDatabaseFile(impl->path));
  PATHWISE_ASSIGN_OR_RETURN(
      std::unique_ptr<Connection> writer,
      Connection::Open(impl->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  PATHWISE_RETURN_IF_ERROR(internal::PrepareDatabase(*writer, impl->path));
  PATHWISE_RETURN_IF_ERROR(internal::VerifyTenantRows(*writer));
  PATHWISE_ASSIGN_OR_RETURN(impl->last_chunk_pk, writer->QueryInt(internal::sql::kLastChunkPk));
  impl->readers = std::make_unique<internal::ReaderPool>(impl->path, options.max_idle_readers);
  internal::EventIdCache* event_ids = impl->event_ids.get();
  impl->writer = std::make_unique<internal::GroupCommitWriter>(
      std::move(writer), options.max_writes_per_commit,
      [event_ids](int64_t learner_pk) { event_ids->Erase(learner_pk); });
  auto store = std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
  if (options.check_integrity_at_open) PATHWISE_RETURN_IF_ERROR(store->CheckIntegrity());
  return store;
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() { (void)Close(); }

const std::string& SqliteStore::path() const { return impl_->path; }

Status SqliteStore::DoClose() {
  // Readers first: the writer's connection is then the last one, and closing it checkpoints the
  // WAL into the database file.
  impl_->readers->Close();
  impl_->writer->Stop();
  impl_->lock.reset();
  return Status::Ok();
}

SqliteStore::CommitStats SqliteStore::commit_stats() const {
  const internal::GroupCommitWriter::Stats stats = impl_->writer->stats();
  return CommitStats{stats.transactions, stats.writes, stats.max_writes_per_transaction,
                     stats.queued_writes};
}

}  // namespace pathwise::store
