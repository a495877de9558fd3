#include "store/sqlite_store.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/event_id_cache.h"
#include "store/sqlite_connection.h"
#include "store/store_codec.h"
#include "store/store_validation.h"

namespace pathwise::store {

using internal::Connection;
using internal::Statement;

namespace {

// "PWDB": marks the file as ours in the SQLite header, so opening someone else's database fails
// with a clear message instead of a confusing schema error.
constexpr int32_t kApplicationId = 0x50574442;

// Migration i takes the schema from version i to i + 1; each runs in its own transaction. Never
// edit a migration that has shipped: add the next one.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (0);
CREATE TABLE tenants (
  tenant_pk INTEGER PRIMARY KEY,
  tenant_id TEXT NOT NULL UNIQUE
);
CREATE TABLE graphs (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  version INTEGER NOT NULL,
  graph_json TEXT NOT NULL,
  UNIQUE (tenant_pk, version)
);
CREATE TABLE models (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  model_json TEXT NOT NULL,
  UNIQUE (tenant_pk, name, version)
);
-- AUTOINCREMENT: a learner key is never reused after a deletion, so nothing cached about a deleted
-- learner can be mistaken for a new one. `states` is the learner's states in one blob
-- (store_codec.h), rewritten by each commit that changes them.
CREATE TABLE learners (
  learner_pk INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  learner_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  states BLOB NOT NULL,
  UNIQUE (tenant_pk, learner_id)
);
-- One row per learner per commit holding that commit's new events of the learner (store_codec.h).
-- An event's sequence is chunk_pk * 65536 + its index in the chunk. Event ids are deduplicated
-- against an in-memory index of hashes (event_id_cache.h) confirmed against these rows.
CREATE TABLE event_chunks (
  chunk_pk INTEGER PRIMARY KEY,
  learner_pk INTEGER NOT NULL REFERENCES learners (learner_pk) ON DELETE CASCADE,
  events BLOB NOT NULL
);
CREATE INDEX event_chunks_by_learner ON event_chunks (learner_pk, chunk_pk);
CREATE TABLE jobs (
  tenant_pk INTEGER NOT NULL REFERENCES tenants (tenant_pk),
  job_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  status INTEGER NOT NULL,
  progress REAL NOT NULL,
  params_json TEXT NOT NULL,
  result_model_name TEXT NOT NULL,
  result_model_version INTEGER NOT NULL,
  error_message TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  UNIQUE (tenant_pk, job_id)
);
)sql",
    // 1 -> 2: the recommendation policies' per-learner states (learner_store.h PolicyState), one
    // row per (learner, policy), written by the commit of the events that produced them.
    R"sql(
CREATE TABLE policy_states (
  learner_pk INTEGER NOT NULL REFERENCES learners (learner_pk) ON DELETE CASCADE,
  policy TEXT NOT NULL,
  state BLOB NOT NULL,
  PRIMARY KEY (learner_pk, policy)
) WITHOUT ROWID;
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == SqliteStore::kSchemaVersion,
              "one migration per schema version");

// At most this many events per chunk row, so an event's index fits the low 16 bits of its sequence.
constexpr size_t kMaxEventsPerChunk = 65535;
constexpr int kSequenceShift = 16;

// Statements, prepared once per connection (the cache is keyed by these addresses).
constexpr char kBegin[] = "BEGIN";
constexpr char kBeginImmediate[] = "BEGIN IMMEDIATE";
constexpr char kCommit[] = "COMMIT";
constexpr char kRollback[] = "ROLLBACK";
constexpr char kSavepoint[] = "SAVEPOINT write";
constexpr char kRelease[] = "RELEASE write";
constexpr char kRollbackToSavepoint[] = "ROLLBACK TO write";

constexpr char kSelectTenant[] = "SELECT tenant_pk FROM tenants WHERE tenant_id = ?1";
constexpr char kInsertTenant[] = "INSERT INTO tenants (tenant_id) VALUES (?1)";
constexpr char kListTenants[] = "SELECT tenant_id FROM tenants ORDER BY tenant_id";

constexpr char kNextGraphVersion[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM graphs WHERE tenant_pk = ?1";
constexpr char kInsertGraph[] =
    "INSERT INTO graphs (tenant_pk, version, graph_json) VALUES (?1, ?2, ?3)";
constexpr char kSelectLatestGraph[] =
    "SELECT g.version, g.graph_json FROM graphs g JOIN tenants t ON t.tenant_pk = g.tenant_pk "
    "WHERE t.tenant_id = ?1 ORDER BY g.version DESC LIMIT 1";
constexpr char kSelectGraph[] =
    "SELECT g.version, g.graph_json FROM graphs g JOIN tenants t ON t.tenant_pk = g.tenant_pk "
    "WHERE t.tenant_id = ?1 AND g.version = ?2";

constexpr char kNextModelVersion[] =
    "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE tenant_pk = ?1 AND name = ?2";
constexpr char kInsertModel[] =
    "INSERT INTO models (tenant_pk, name, version, model_json) VALUES (?1, ?2, ?3, ?4)";
constexpr char kSelectLatestModel[] =
    "SELECT m.version, m.model_json FROM models m JOIN tenants t ON t.tenant_pk = m.tenant_pk "
    "WHERE t.tenant_id = ?1 AND m.name = ?2 ORDER BY m.version DESC LIMIT 1";
constexpr char kSelectModel[] =
    "SELECT m.version, m.model_json FROM models m JOIN tenants t ON t.tenant_pk = m.tenant_pk "
    "WHERE t.tenant_id = ?1 AND m.name = ?2 AND m.version = ?3";
constexpr char kListModels[] =
    "SELECT m.name, MAX(m.version) FROM models m JOIN tenants t ON t.tenant_pk = m.tenant_pk "
    "WHERE t.tenant_id = ?1 GROUP BY m.name ORDER BY m.name";

constexpr char kSelectLearnerInTenant[] =
    "SELECT learner_pk, version, states FROM learners WHERE tenant_pk = ?1 AND learner_id = ?2";
constexpr char kSelectLearner[] =
    "SELECT l.learner_pk, l.version, l.states FROM learners l "
    "JOIN tenants t ON t.tenant_pk = l.tenant_pk WHERE t.tenant_id = ?1 AND l.learner_id = ?2";
constexpr char kInsertLearner[] =
    "INSERT INTO learners (tenant_pk, learner_id, version, states) VALUES (?1, ?2, 0, x'')";
constexpr char kUpdateLearner[] =
    "UPDATE learners SET version = ?2, states = ?3 WHERE learner_pk = ?1";
constexpr char kUpdateLearnerVersion[] = "UPDATE learners SET version = ?2 WHERE learner_pk = ?1";
constexpr char kDeleteLearner[] = "DELETE FROM learners WHERE learner_pk = ?1";
constexpr char kListLearners[] =
    "SELECT l.learner_id FROM learners l JOIN tenants t ON t.tenant_pk = l.tenant_pk "
    "WHERE t.tenant_id = ?1 AND l.learner_id > ?2 ORDER BY l.learner_id LIMIT ?3";
// One pass over the tenant's learners in id order, straight from the unique index: no sort.
constexpr char kSelectAllLearners[] =
    "SELECT l.learner_id, l.version, l.states, l.learner_pk FROM learners l "
    "JOIN tenants t ON t.tenant_pk = l.tenant_pk WHERE t.tenant_id = ?1 ORDER BY l.learner_id";

constexpr char kUpsertPolicyState[] =
    "INSERT INTO policy_states (learner_pk, policy, state) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (learner_pk, policy) DO UPDATE SET state = excluded.state";
constexpr char kDeletePolicyState[] =
    "DELETE FROM policy_states WHERE learner_pk = ?1 AND policy = ?2";
constexpr char kSelectPolicyStates[] =
    "SELECT policy, state FROM policy_states WHERE learner_pk = ?1 ORDER BY policy";

constexpr char kInsertChunk[] = "INSERT INTO event_chunks (learner_pk, events) VALUES (?1, ?2)";
constexpr char kSelectChunks[] = "SELECT events FROM event_chunks WHERE learner_pk = ?1";
constexpr char kSelectChunksFrom[] =
    "SELECT chunk_pk, events FROM event_chunks WHERE learner_pk = ?1 AND chunk_pk >= ?2 "
    "ORDER BY chunk_pk";

constexpr char kInsertJob[] =
    "INSERT INTO jobs (tenant_pk, job_id, kind, status, progress, params_json, result_model_name, "
    "result_model_version, error_message, created_ms, updated_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (tenant_pk, job_id) DO "
    "NOTHING";
constexpr char kUpdateJob[] =
    "UPDATE jobs SET kind = ?3, status = ?4, progress = ?5, params_json = ?6, "
    "result_model_name = ?7, result_model_version = ?8, error_message = ?9, created_ms = ?10, "
    "updated_ms = ?11 WHERE tenant_pk = ?1 AND job_id = ?2";
constexpr char kSelectJob[] =
    "SELECT j.job_id, j.kind, j.status, j.progress, j.params_json, j.result_model_name, "
    "j.result_model_version, j.error_message, j.created_ms, j.updated_ms FROM jobs j "
    "JOIN tenants t ON t.tenant_pk = j.tenant_pk WHERE t.tenant_id = ?1 AND j.job_id = ?2";
constexpr char kListJobs[] =
    "SELECT j.job_id, j.kind, j.status, j.progress, j.params_json, j.result_model_name, "
    "j.result_model_version, j.error_message, j.created_ms, j.updated_ms FROM jobs j "
    "JOIN tenants t ON t.tenant_pk = j.tenant_pk WHERE t.tenant_id = ?1 "
    "ORDER BY j.created_ms, j.job_id";

Status LearnerNotFound(std::string_view learner_id) {
  return Status::NotFound("learner '" + std::string(learner_id) + "' is not stored");
}

Status JobNotFound(std::string_view job_id) {
  return Status::NotFound("job '" + std::string(job_id) + "' does not exist");
}

// SQLite's LIMIT takes -1 for "no limit".
int64_t SqlLimit(size_t limit) { return limit == 0 ? -1 : static_cast<int64_t>(limit); }

JobRecord ReadJob(const Statement& row) {
  JobRecord job;
  job.job_id = row.ColumnText(0);
  job.kind = row.ColumnText(1);
  job.status = static_cast<JobStatus>(row.ColumnInt64(2));
  job.progress = row.ColumnDouble(3);
  job.params_json = row.ColumnText(4);
  job.result_model_name = row.ColumnText(5);
  job.result_model_version = row.ColumnInt64(6);
  job.error_message = row.ColumnText(7);
  job.created_ms = row.ColumnInt64(8);
  job.updated_ms = row.ColumnInt64(9);
  return job;
}

void BindJob(Statement& stmt, int64_t tenant_pk, const JobRecord& job) {
  stmt.Bind(1, tenant_pk);
  stmt.Bind(2, std::string_view(job.job_id));
  stmt.Bind(3, std::string_view(job.kind));
  stmt.Bind(4, static_cast<int64_t>(job.status));
  stmt.Bind(5, job.progress);
  stmt.Bind(6, std::string_view(job.params_json));
  stmt.Bind(7, std::string_view(job.result_model_name));
  stmt.Bind(8, job.result_model_version);
  stmt.Bind(9, std::string_view(job.error_message));
  stmt.Bind(10, static_cast<int64_t>(job.created_ms));
  stmt.Bind(11, static_cast<int64_t>(job.updated_ms));
}

Status RunStatement(Connection& connection, const char* sql) {
  PATHWISE_ASSIGN_OR_RETURN(Statement stmt, connection.Prepare(sql));
  return stmt.Run();
}

// An exclusive advisory lock on <data_dir>/LOCK for as long as the store is open: two processes
// writing one database would each believe their in-memory state is the truth.
class DirectoryLock {
 public:
  static Result<std::unique_ptr<DirectoryLock>> Acquire(const std::string& dir) {
    const std::string path = dir + "/LOCK";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Status::Unavailable("cannot open lock file '" + path + "': " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error == EWOULDBLOCK) {
        return Status::FailedPrecondition("data directory '" + dir +
                                          "' is in use by another store (its LOCK file is held)");
      }
      return Status::Unavailable("cannot lock '" + path + "': " + std::strerror(error));
    }
    return std::unique_ptr<DirectoryLock>(new DirectoryLock(fd));
  }
  ~DirectoryLock() { ::close(fd_); }  // closing releases the lock
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

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

struct SqliteStore::Impl {
  SqliteStoreOptions options;
  std::string path;
  std::unique_ptr<DirectoryLock> lock;

  // The writer connection belongs to the writer thread once it runs.
  std::unique_ptr<Connection> writer;
  std::thread writer_thread;

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
  std::mutex queue_mu;
  std::condition_variable queue_cv;
  std::deque<PendingWrite*> queue;  // guarded by queue_mu
  bool stopping = false;            // guarded by queue_mu
  bool closed = false;              // guarded by queue_mu
  CommitStats stats;                // guarded by queue_mu

  // Hashes of stored event ids per learner (see event_id_cache.h). The writer records which
  // learners' entries it changed in the current write and group, and forgets those entries when the
  // write or the group is rolled back, since they then describe data that was never committed.
  std::unique_ptr<internal::EventIdCache> event_ids;
  std::vector<int64_t> write_touched;  // writer thread only
  std::vector<int64_t> group_touched;  // writer thread only

  std::mutex readers_mu;
  std::condition_variable readers_cv;
  std::vector<std::unique_ptr<Connection>> idle_readers;  // guarded by readers_mu
  int leased_readers = 0;                                 // guarded by readers_mu
  bool readers_closed = false;                            // guarded by readers_mu

  // ---- Writes --------------------------------------------------------------------------------

  // Runs `apply` inside the next group transaction and returns once that transaction is durable
  // (or failed).
  Status Write(std::function<Status(Connection&)> apply) {
    PendingWrite write;
    write.apply = std::move(apply);
    {
      std::lock_guard<std::mutex> lock_queue(queue_mu);
      if (closed || stopping) return internal::StoreClosed();
      queue.push_back(&write);
    }
    queue_cv.notify_one();
    std::unique_lock<std::mutex> wait(write.mu);
    write.cv.wait(wait, [&] { return write.done; });
    return write.status;
  }

  static void Complete(PendingWrite* write, Status status) {
    std::lock_guard<std::mutex> lock_write(write->mu);
    write->status = std::move(status);
    write->done = true;
    write->cv.notify_one();
  }

  void WriterLoop() {
    std::vector<PendingWrite*> group;
    std::vector<Status> results;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock_queue(queue_mu);
        queue_cv.wait(lock_queue, [&] { return !queue.empty() || stopping; });
        if (queue.empty()) return;  // stopping, and every queued write has been committed
        while (!queue.empty() &&
               group.size() < static_cast<size_t>(options.max_writes_per_commit)) {
          group.push_back(queue.front());
          queue.pop_front();
        }
      }
      results.assign(group.size(), Status::Ok());
      const bool committed = CommitGroup(group, &results);
      {
        std::lock_guard<std::mutex> lock_queue(queue_mu);
        stats.transactions += committed ? 1 : 0;
        stats.writes += group.size();
        stats.max_writes_per_transaction =
            std::max<uint64_t>(stats.max_writes_per_transaction, group.size());
      }
      for (size_t i = 0; i < group.size(); ++i) Complete(group[i], std::move(results[i]));
      group.clear();
    }
  }

  // Applies every write of the group in one transaction, each in its own savepoint; fills
  // `results`. Returns whether the transaction committed.
  bool CommitGroup(const std::vector<PendingWrite*>& group, std::vector<Status>* results) {
    Connection& db = *writer;
    group_touched.clear();
    const auto fail_all = [&](const Status& status) {
      for (Status& result : *results) {
        if (result.ok()) result = status;
      }
      for (int64_t learner_pk : group_touched) event_ids->Erase(learner_pk);
    };
    Status begin = RunStatement(db, kBeginImmediate);
    if (!begin.ok()) {
      fail_all(begin);
      return false;
    }
    for (size_t i = 0; i < group.size(); ++i) {
      write_touched.clear();
      Status status = RunStatement(db, kSavepoint);
      if (status.ok()) status = group[i]->apply(db);
      if (status.ok()) status = RunStatement(db, kRelease);
      group_touched.insert(group_touched.end(), write_touched.begin(), write_touched.end());
      if (status.ok()) continue;
      (*results)[i] = status;
      for (int64_t learner_pk : write_touched) event_ids->Erase(learner_pk);
      // On I/O errors, a full disk and the like SQLite may have rolled back the whole transaction
      // already; then the writes applied before this one are gone too and nothing may be
      // acknowledged.
      const bool in_transaction = sqlite3_get_autocommit(db.db()) == 0;
      Status undo = in_transaction ? RunStatement(db, kRollbackToSavepoint)
                                   : Status::Unavailable("transaction was rolled back");
      if (undo.ok()) undo = RunStatement(db, kRelease);
      if (!undo.ok()) {
        if (sqlite3_get_autocommit(db.db()) == 0) (void)RunStatement(db, kRollback);
        fail_all(
            Status::Unavailable("the write was rolled back because a write committed with it "
                                "failed: " +
                                status.message()));
        return false;
      }
    }
    Status commit = RunStatement(db, kCommit);
    if (!commit.ok()) {
      if (sqlite3_get_autocommit(db.db()) == 0) (void)RunStatement(db, kRollback);
      fail_all(commit);
      return false;
    }
    return true;
  }

  // ---- Reads ---------------------------------------------------------------------------------

  // A reader connection for the duration of one call.
  class Reader {
   public:
    Reader(Impl* impl, std::unique_ptr<Connection> connection)
        : impl_(impl), connection_(std::move(connection)) {}
    Reader(Reader&& other) noexcept
        : impl_(other.impl_), connection_(std::move(other.connection_)) {}
    Reader& operator=(Reader&&) = delete;
    ~Reader() {
      if (connection_ != nullptr) impl_->ReturnReader(std::move(connection_));
    }
    Connection& operator*() { return *connection_; }
    Connection* operator->() { return connection_.get(); }

   private:
    Impl* impl_;
    std::unique_ptr<Connection> connection_;
  };

  Result<Reader> AcquireReader() {
    {
      std::lock_guard<std::mutex> lock_readers(readers_mu);
      if (readers_closed) return internal::StoreClosed();
      ++leased_readers;
      if (!idle_readers.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_readers.back());
        idle_readers.pop_back();
        return Reader(this, std::move(connection));
      }
    }
    Result<std::unique_ptr<Connection>> connection = OpenReader();
    if (!connection.ok()) {
      std::lock_guard<std::mutex> lock_readers(readers_mu);
      --leased_readers;
      readers_cv.notify_all();
      return connection.status();
    }
    return Reader(this, std::move(connection).value());
  }

  Result<std::unique_ptr<Connection>> OpenReader() {
    PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection,
                              Connection::Open(path, SQLITE_OPEN_READWRITE));
    PATHWISE_RETURN_IF_ERROR(connection->Exec("PRAGMA query_only = ON"));
    return connection;
  }

  void ReturnReader(std::unique_ptr<Connection> connection) {
    std::unique_ptr<Connection> to_close;
    {
      std::lock_guard<std::mutex> lock_readers(readers_mu);
      --leased_readers;
      if (!readers_closed && idle_readers.size() < static_cast<size_t>(options.max_idle_readers)) {
        idle_readers.push_back(std::move(connection));
      } else {
        to_close = std::move(connection);
      }
    }
    readers_cv.notify_all();
  }

  // ---- Helpers shared by writes ----------------------------------------------------------------

  static Result<std::optional<int64_t>> FindTenant(Connection& db, std::string_view tenant_id) {
    PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectTenant));
    stmt.Bind(1, tenant_id);
    PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return std::optional<int64_t>();
    return std::optional<int64_t>(stmt.ColumnInt64(0));
  }

  static Result<int64_t> GetOrCreateTenant(Connection& db, std::string_view tenant_id) {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> found, FindTenant(db, tenant_id));
    if (found.has_value()) return *found;
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertTenant));
    insert.Bind(1, tenant_id);
    PATHWISE_RETURN_IF_ERROR(insert.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db.db()));
  }

  uint64_t HashId(std::string_view event_id) const {
    if (options.event_id_hash_for_testing == nullptr) return internal::HashEventId(event_id);
    const uint64_t hash = options.event_id_hash_for_testing(event_id);
    return hash == 0 ? 1 : hash;  // 0 marks an empty slot in IdHashSet
  }

  struct LearnerRow {
    int64_t pk = 0;  // 0: not stored (rowids start at 1)
    uint64_t version = 0;
    std::string states;  // the encoded states blob
  };

  static Result<LearnerRow> FindLearnerInTenant(Connection& db, int64_t tenant_pk,
                                                std::string_view learner_id) {
    PATHWISE_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectLearnerInTenant));
    stmt.Bind(1, tenant_pk);
    stmt.Bind(2, learner_id);
    PATHWISE_ASSIGN_OR_RETURN(const bool row, stmt.Step());
    if (!row) return LearnerRow{};
    return LearnerRow{stmt.ColumnInt64(0), static_cast<uint64_t>(stmt.ColumnInt64(1)),
                      std::string(stmt.ColumnBlob(2))};
  }

  static Result<int64_t> InsertLearner(Connection& db, int64_t tenant_pk,
                                       std::string_view learner_id) {
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertLearner));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, learner_id);
    PATHWISE_RETURN_IF_ERROR(insert.Run());
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db.db()));
  }

  // Calls visit(event_id) for every stored event id of a learner, as `db` sees them.
  template <typename Visit>
  static Status ForEachStoredEventId(Connection& db, int64_t learner_pk, Visit&& visit) {
    PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(kSelectChunks));
    select.Bind(1, learner_pk);
    for (;;) {
      PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
      if (!row) return Status::Ok();
      PATHWISE_RETURN_IF_ERROR(internal::DecodeEvents(
          select.ColumnBlob(0),
          [&](size_t, std::string_view event_id, std::string_view, double, int64_t) {
            if (!event_id.empty()) visit(event_id);
          }));
    }
  }

  // The hashes of a learner's stored event ids, as `db` sees them.
  Result<internal::IdHashSet> LoadIdHashes(Connection& db, int64_t learner_pk) const {
    internal::IdHashSet hashes;
    PATHWISE_RETURN_IF_ERROR(ForEachStoredEventId(
        db, learner_pk, [&](std::string_view id) { hashes.Insert(HashId(id)); }));
    return hashes;
  }

  // For each of `ids` (all nonempty), whether the learner has stored it, as `db` sees the learner
  // at `version`: hashes from the cache (loaded and cached on a miss), then a scan of the stored
  // ids only when a hash matches, which is rare outside re-deliveries. `touched`, when not null,
  // collects learners whose cache entry was installed.
  Result<std::vector<bool>> FindStored(Connection& db, int64_t learner_pk, uint64_t version,
                                       const std::vector<std::string_view>& ids,
                                       std::vector<int64_t>* touched) {
    std::vector<uint64_t> id_hashes(ids.size());
    for (size_t i = 0; i < ids.size(); ++i) id_hashes[i] = HashId(ids[i]);
    std::vector<bool> maybe(ids.size(), false);
    const auto check = [&](const internal::IdHashSet& hashes) {
      for (size_t i = 0; i < ids.size(); ++i) maybe[i] = hashes.Contains(id_hashes[i]);
    };
    if (!event_ids->Read(learner_pk, version, check)) {
      PATHWISE_ASSIGN_OR_RETURN(internal::IdHashSet hashes, LoadIdHashes(db, learner_pk));
      check(hashes);
      event_ids->Install(learner_pk, version, std::move(hashes));
      if (touched != nullptr) touched->push_back(learner_pk);
    }
    std::unordered_set<std::string_view> suspects;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (maybe[i]) suspects.insert(ids[i]);
    }
    std::vector<bool> stored(ids.size(), false);
    if (suspects.empty()) return stored;
    std::unordered_set<std::string> confirmed;
    PATHWISE_RETURN_IF_ERROR(ForEachStoredEventId(db, learner_pk, [&](std::string_view id) {
      if (suspects.count(id) > 0) confirmed.emplace(id);
    }));
    for (size_t i = 0; i < ids.size(); ++i) {
      stored[i] = maybe[i] && confirmed.count(std::string(ids[i])) > 0;
    }
    return stored;
  }

  // The body of CommitEvents, run by the writer inside the batch's savepoint.
  Status ApplyEventBatch(Connection& db, const EventBatch& batch,
                         const std::vector<size_t>& learner_of_event, CommitResult* result) {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, GetOrCreateTenant(db, batch.tenant_id));
    const size_t num_learners = batch.learners.size();
    std::vector<LearnerRow> learners(num_learners);
    for (size_t i = 0; i < num_learners; ++i) {
      const LearnerUpdate& update = batch.learners[i];
      PATHWISE_ASSIGN_OR_RETURN(learners[i], FindLearnerInTenant(db, tenant_pk, update.learner_id));
      if (update.expected_version.has_value() && *update.expected_version != learners[i].version) {
        return internal::VersionMismatch(update.learner_id, *update.expected_version,
                                         learners[i].version);
      }
    }
    std::vector<std::vector<size_t>> events_of(num_learners);
    for (size_t i = 0; i < batch.events.size(); ++i) events_of[learner_of_event[i]].push_back(i);

    // Which events are new: not stored before, not earlier in this batch.
    std::vector<bool> duplicate(batch.events.size(), false);
    std::vector<std::vector<const Observation*>> new_events(num_learners);
    for (size_t l = 0; l < num_learners; ++l) {
      if (events_of[l].empty()) continue;
      std::unordered_set<std::string_view> seen;
      std::vector<std::string_view> candidates;
      std::vector<size_t> candidate_events;
      for (size_t i : events_of[l]) {
        const std::string& id = batch.events[i].event_id;
        if (id.empty()) continue;
        if (!seen.insert(id).second) {
          duplicate[i] = true;
        } else {
          candidates.push_back(id);
          candidate_events.push_back(i);
        }
      }
      if (learners[l].pk != 0 && !candidates.empty()) {
        Result<std::vector<bool>> stored =
            FindStored(db, learners[l].pk, learners[l].version, candidates, &write_touched);
        if (!stored.ok()) {
          return stored.status().WithContext("learner '" + batch.learners[l].learner_id + "'");
        }
        for (size_t c = 0; c < candidates.size(); ++c) {
          if ((*stored)[c]) duplicate[candidate_events[c]] = true;
        }
      }
      for (size_t i : events_of[l]) {
        if (!duplicate[i]) new_events[l].push_back(&batch.events[i]);
      }
    }
    result->duplicate_indices.clear();
    for (size_t i = 0; i < duplicate.size(); ++i) {
      if (duplicate[i]) result->duplicate_indices.push_back(i);
    }
    result->num_recorded = batch.events.size() - result->duplicate_indices.size();

    {
      PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertChunk));
      for (size_t l = 0; l < num_learners; ++l) {
        const std::vector<const Observation*>& events = new_events[l];
        if (events.empty()) continue;
        if (learners[l].pk == 0) {
          PATHWISE_ASSIGN_OR_RETURN(learners[l].pk,
                                    InsertLearner(db, tenant_pk, batch.learners[l].learner_id));
        }
        for (size_t first = 0; first < events.size(); first += kMaxEventsPerChunk) {
          const size_t last = std::min(events.size(), first + kMaxEventsPerChunk);
          const std::string chunk = internal::EncodeEvents(
              std::vector<const Observation*>(events.begin() + static_cast<std::ptrdiff_t>(first),
                                              events.begin() + static_cast<std::ptrdiff_t>(last)));
          insert.Bind(1, learners[l].pk);
          insert.BindBlob(2, chunk);
          PATHWISE_RETURN_IF_ERROR(insert.Run());
          insert.Reset();
        }
      }
    }
    if (options.fault_hook_for_testing) {
      PATHWISE_RETURN_IF_ERROR(options.fault_hook_for_testing(batch));
    }

    result->learner_versions.assign(num_learners, 0);
    for (size_t l = 0; l < num_learners; ++l) {
      const LearnerUpdate& update = batch.learners[l];
      LearnerRow& row = learners[l];
      const bool changed =
          !new_events[l].empty() || !update.states.empty() || !update.policy_states.empty();
      if (!changed) {
        result->learner_versions[l] = row.version;
        continue;
      }
      if (row.pk == 0) {
        PATHWISE_ASSIGN_OR_RETURN(row.pk, InsertLearner(db, tenant_pk, update.learner_id));
      }
      const uint64_t old_version = row.version;
      const uint64_t new_version = old_version + 1;
      if (update.states.empty()) {
        PATHWISE_ASSIGN_OR_RETURN(Statement bump, db.Prepare(kUpdateLearnerVersion));
        bump.Bind(1, row.pk);
        bump.Bind(2, static_cast<int64_t>(new_version));
        PATHWISE_RETURN_IF_ERROR(bump.Run());
      } else {
        Result<std::vector<MasteryEstimate>> stored = internal::DecodeStates(row.states);
        if (!stored.ok()) {
          return stored.status().WithContext("learner '" + update.learner_id + "'");
        }
        const std::string states =
            internal::EncodeStates(internal::MergeStates(std::move(stored).value(), update.states));
        PATHWISE_ASSIGN_OR_RETURN(Statement write, db.Prepare(kUpdateLearner));
        write.Bind(1, row.pk);
        write.Bind(2, static_cast<int64_t>(new_version));
        write.BindBlob(3, states);
        PATHWISE_RETURN_IF_ERROR(write.Run());
      }
      for (const PolicyState& policy : update.policy_states) {
        PATHWISE_ASSIGN_OR_RETURN(
            Statement write,
            db.Prepare(policy.state.empty() ? kDeletePolicyState : kUpsertPolicyState));
        write.Bind(1, row.pk);
        write.Bind(2, std::string_view(policy.policy));
        if (!policy.state.empty()) write.BindBlob(3, policy.state);
        PATHWISE_RETURN_IF_ERROR(write.Run());
      }
      result->learner_versions[l] = new_version;
      std::vector<uint64_t> hashes;
      hashes.reserve(new_events[l].size());
      for (const Observation* event : new_events[l]) {
        if (!event->event_id.empty()) hashes.push_back(HashId(event->event_id));
      }
      if (old_version == 0) {
        // A new learner: its id set is exactly this batch's.
        internal::IdHashSet ids;
        for (uint64_t hash : hashes) ids.Insert(hash);
        event_ids->Install(row.pk, new_version, std::move(ids));
      } else {
        event_ids->Advance(row.pk, old_version, new_version, hashes);
      }
      write_touched.push_back(row.pk);
    }
    return Status::Ok();
  }
};

// ---- Open and close ---------------------------------------------------------------------------

namespace {

// Reads the schema version of an opened database, telling a fresh file (0) from a foreign or
// damaged one.
Result<int64_t> ReadSchemaVersion(Connection& db, const std::string& path) {
  // Reading the header is the first real I/O: a file that is not a database fails here.
  PATHWISE_ASSIGN_OR_RETURN(const int64_t application_id, db.QueryInt("PRAGMA application_id"));
  PATHWISE_ASSIGN_OR_RETURN(const int64_t num_objects,
                            db.QueryInt("SELECT COUNT(*) FROM sqlite_master"));
  if (application_id == 0 && num_objects == 0) return 0;  // a new, empty database
  if (application_id != kApplicationId) {
    return Status::FailedPrecondition("'" + path +
                                      "' is an SQLite database but not a Pathwise store "
                                      "(application_id " +
                                      std::to_string(application_id) + ")");
  }
  Result<int64_t> version = db.QueryInt("SELECT version FROM schema_version");
  if (!version.ok()) {
    return Status::FailedPrecondition(
        "'" + path + "' has no readable schema version: " + version.status().message());
  }
  return version;
}

Status Migrate(Connection& db, const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(const int64_t version, ReadSchemaVersion(db, path));
  if (version > SqliteStore::kSchemaVersion) {
    return Status::FailedPrecondition(
        "'" + path + "' has schema version " + std::to_string(version) +
        ", newer than this build supports (" + std::to_string(SqliteStore::kSchemaVersion) +
        "): run a newer pathwised, or restore a backup made by this version");
  }
  if (version < 0) {
    return Status::FailedPrecondition("'" + path + "' has an invalid schema version " +
                                      std::to_string(version));
  }
  for (int64_t from = version; from < SqliteStore::kSchemaVersion; ++from) {
    const std::string context =
        "migrating '" + path + "' to schema version " + std::to_string(from + 1);
    PATHWISE_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE").WithContext(context));
    Status status = db.Exec(kMigrations[from]);
    if (status.ok()) {
      const std::string finish = "UPDATE schema_version SET version = " + std::to_string(from + 1) +
                                 "; PRAGMA application_id = " + std::to_string(kApplicationId) +
                                 "; COMMIT";
      status = db.Exec(finish.c_str());
    }
    if (!status.ok()) {
      (void)db.Exec("ROLLBACK");
      return status.WithContext(context);
    }
  }
  return Status::Ok();
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
  PATHWISE_ASSIGN_OR_RETURN(impl->lock, DirectoryLock::Acquire(options.data_dir));
  PATHWISE_ASSIGN_OR_RETURN(
      impl->writer, Connection::Open(impl->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  Connection& db = *impl->writer;
  // Check what the file is before changing anything in it.
  PATHWISE_RETURN_IF_ERROR(ReadSchemaVersion(db, impl->path).status());
  PATHWISE_ASSIGN_OR_RETURN(Statement journal, db.Prepare("PRAGMA journal_mode = WAL"));
  PATHWISE_ASSIGN_OR_RETURN(const bool row, journal.Step());
  if (!row || journal.ColumnText(0) != "wal") {
    return Status::Unavailable("'" + impl->path + "' cannot use WAL journaling (journal mode '" +
                               (row ? journal.ColumnText(0) : std::string()) + "')");
  }
  journal.Reset();
  // FULL: the WAL is fsynced at every commit, so an acknowledged write survives a crash of the
  // machine, not only of the process. The writer's page cache is larger than the default so the
  // hot parts of the indexes stay in memory.
  PATHWISE_RETURN_IF_ERROR(
      db.Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536"));
  PATHWISE_RETURN_IF_ERROR(Migrate(db, impl->path));
  impl->writer_thread = std::thread([raw = impl.get()] { raw->WriterLoop(); });
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(impl)));
}

SqliteStore::SqliteStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SqliteStore::~SqliteStore() { (void)Close(); }

const std::string& SqliteStore::path() const { return impl_->path; }

Status SqliteStore::Close() {
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    if (impl_->closed) return Status::Ok();
    impl_->stopping = true;
  }
  impl_->queue_cv.notify_all();
  if (impl_->writer_thread.joinable()) impl_->writer_thread.join();
  {
    std::unique_lock<std::mutex> lock(impl_->readers_mu);
    impl_->readers_closed = true;
    impl_->readers_cv.wait(lock, [&] { return impl_->leased_readers == 0; });
    impl_->idle_readers.clear();
  }
  {
    std::lock_guard<std::mutex> lock(impl_->queue_mu);
    impl_->closed = true;
  }
  // Closing the last connection checkpoints the WAL into the database file.
  impl_->writer.reset();
  impl_->lock.reset();
  return Status::Ok();
}

SqliteStore::CommitStats SqliteStore::commit_stats() const {
  std::lock_guard<std::mutex> lock(impl_->queue_mu);
  CommitStats stats = impl_->stats;
  stats.queued_writes = impl_->queue.size();
  return stats;
}

// ---- Curriculum -------------------------------------------------------------------------------

Result<int64_t> SqliteStore::PutGraph(std::string_view tenant_id, std::string_view graph_json) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(graph_json, "graph_json"));
  int64_t version = 0;
  const Status written = impl_->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, Impl::GetOrCreateTenant(db, tenant_id));
    {
      PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(kNextGraphVersion));
      next.Bind(1, tenant_pk);
      PATHWISE_RETURN_IF_ERROR(next.Step().status());
      version = next.ColumnInt64(0);
    }
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertGraph));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, version);
    insert.Bind(3, graph_json);
    return insert.Run();
  });
  if (!written.ok()) return written;
  return version;
}

Result<GraphVersion> SqliteStore::GetGraph(std::string_view tenant_id, int64_t version) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(
      Statement select,
      reader->Prepare(version == kLatestVersion ? kSelectLatestGraph : kSelectGraph));
  select.Bind(1, tenant_id);
  if (version != kLatestVersion) select.Bind(2, version);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    if (version == kLatestVersion) return Status::NotFound("no graph stored");
    return Status::NotFound("graph version " + std::to_string(version) + " does not exist");
  }
  return GraphVersion{select.ColumnInt64(0), select.ColumnText(1)};
}

Result<int64_t> SqliteStore::PutModel(std::string_view tenant_id, std::string_view name,
                                      std::string_view model_json) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(name, "name"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(model_json, "model_json"));
  int64_t version = 0;
  const Status written = impl_->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, Impl::GetOrCreateTenant(db, tenant_id));
    {
      PATHWISE_ASSIGN_OR_RETURN(Statement next, db.Prepare(kNextModelVersion));
      next.Bind(1, tenant_pk);
      next.Bind(2, name);
      PATHWISE_RETURN_IF_ERROR(next.Step().status());
      version = next.ColumnInt64(0);
    }
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertModel));
    insert.Bind(1, tenant_pk);
    insert.Bind(2, name);
    insert.Bind(3, version);
    insert.Bind(4, model_json);
    return insert.Run();
  });
  if (!written.ok()) return written;
  return version;
}

Result<ModelVersion> SqliteStore::GetModel(std::string_view tenant_id, std::string_view name,
                                           int64_t version) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(name, "name"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(
      Statement select,
      reader->Prepare(version == kLatestVersion ? kSelectLatestModel : kSelectModel));
  select.Bind(1, tenant_id);
  select.Bind(2, name);
  if (version != kLatestVersion) select.Bind(3, version);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) {
    if (version == kLatestVersion) {
      return Status::NotFound("model '" + std::string(name) + "' does not exist");
    }
    return Status::NotFound("model '" + std::string(name) + "' has no version " +
                            std::to_string(version));
  }
  return ModelVersion{std::string(name), select.ColumnInt64(0), select.ColumnText(1)};
}

Result<std::vector<ModelVersion>> SqliteStore::ListModels(std::string_view tenant_id) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kListModels));
  select.Bind(1, tenant_id);
  std::vector<ModelVersion> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(ModelVersion{select.ColumnText(0), select.ColumnInt64(1), {}});
  }
  return out;
}

// ---- Events and learner state -----------------------------------------------------------------

Result<CommitResult> SqliteStore::CommitEvents(const EventBatch& batch) {
  std::vector<size_t> learner_of_event;
  PATHWISE_RETURN_IF_ERROR(internal::ValidateEventBatch(batch, &learner_of_event));
  CommitResult result;
  const Status written = impl_->Write(
      [&](Connection& db) { return impl_->ApplyEventBatch(db, batch, learner_of_event, &result); });
  if (!written.ok()) return written;
  return result;
}

namespace {

// A read transaction: several statements see one snapshot.
class ReadTransaction {
 public:
  static Result<ReadTransaction> Begin(Connection& db) {
    PATHWISE_RETURN_IF_ERROR(RunStatement(db, kBegin));
    return ReadTransaction(&db);
  }
  ReadTransaction(ReadTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  ReadTransaction& operator=(ReadTransaction&&) = delete;
  ~ReadTransaction() {
    // Ending a read-only transaction cannot lose anything; ROLLBACK also works after an error.
    if (db_ != nullptr && sqlite3_get_autocommit(db_->db()) == 0)
      (void)RunStatement(*db_, kRollback);
  }

 private:
  explicit ReadTransaction(Connection* db) : db_(db) {}
  Connection* db_;
};

struct StoredLearner {
  int64_t pk = 0;
  uint64_t version = 0;
  std::string states;
};

Result<std::optional<StoredLearner>> FindLearner(Connection& db, std::string_view tenant_id,
                                                 std::string_view learner_id) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(kSelectLearner));
  select.Bind(1, tenant_id);
  select.Bind(2, learner_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) return std::optional<StoredLearner>();
  return std::optional<StoredLearner>(StoredLearner{select.ColumnInt64(0),
                                                    static_cast<uint64_t>(select.ColumnInt64(1)),
                                                    std::string(select.ColumnBlob(2))});
}

Status LearnerContext(const Status& status, std::string_view learner_id) {
  return status.WithContext("learner '" + std::string(learner_id) + "'");
}

}  // namespace

Result<std::vector<bool>> SqliteStore::FindRecordedEvents(
    std::string_view tenant_id, std::string_view learner_id,
    const std::vector<std::string>& event_ids) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(learner_id, "learner_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(ReadTransaction transaction, ReadTransaction::Begin(*reader));
  std::vector<bool> found(event_ids.size(), false);
  PATHWISE_ASSIGN_OR_RETURN(const std::optional<StoredLearner> learner,
                            FindLearner(*reader, tenant_id, learner_id));
  if (!learner.has_value()) return found;
  std::vector<std::string_view> ids;
  std::vector<size_t> positions;
  for (size_t i = 0; i < event_ids.size(); ++i) {
    if (event_ids[i].empty()) continue;
    ids.push_back(event_ids[i]);
    positions.push_back(i);
  }
  Result<std::vector<bool>> stored =
      impl_->FindStored(*reader, learner->pk, learner->version, ids, /*touched=*/nullptr);
  if (!stored.ok()) return LearnerContext(stored.status(), learner_id);
  for (size_t i = 0; i < ids.size(); ++i) found[positions[i]] = (*stored)[i];
  return found;
}

namespace {

Result<std::vector<PolicyState>> ReadPolicyStates(Connection& db, int64_t learner_pk) {
  PATHWISE_ASSIGN_OR_RETURN(Statement select, db.Prepare(kSelectPolicyStates));
  select.Bind(1, learner_pk);
  std::vector<PolicyState> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back({select.ColumnText(0), std::string(select.ColumnBlob(1))});
  }
  return out;
}

}  // namespace

Result<LearnerState> SqliteStore::GetLearnerState(std::string_view tenant_id,
                                                  std::string_view learner_id) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(learner_id, "learner_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(ReadTransaction transaction, ReadTransaction::Begin(*reader));
  PATHWISE_ASSIGN_OR_RETURN(const std::optional<StoredLearner> learner,
                            FindLearner(*reader, tenant_id, learner_id));
  if (!learner.has_value()) return LearnerNotFound(learner_id);
  Result<std::vector<MasteryEstimate>> states = internal::DecodeStates(learner->states);
  if (!states.ok()) return LearnerContext(states.status(), learner_id);
  LearnerState out{std::string(learner_id), learner->version, std::move(states).value(), {}};
  PATHWISE_ASSIGN_OR_RETURN(out.policy_states, ReadPolicyStates(*reader, learner->pk));
  return out;
}

Status SqliteStore::ForEachLearnerState(std::string_view tenant_id,
                                        const std::function<Status(const LearnerState&)>& visitor) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kSelectAllLearners));
  select.Bind(1, tenant_id);
  LearnerState state;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) return Status::Ok();
    state.learner_id = select.ColumnText(0);
    state.version = static_cast<uint64_t>(select.ColumnInt64(1));
    Result<std::vector<MasteryEstimate>> states = internal::DecodeStates(select.ColumnBlob(2));
    if (!states.ok()) return LearnerContext(states.status(), state.learner_id);
    state.competencies = std::move(states).value();
    // The open select keeps one read snapshot for this query as well.
    PATHWISE_ASSIGN_OR_RETURN(state.policy_states,
                              ReadPolicyStates(*reader, select.ColumnInt64(3)));
    PATHWISE_RETURN_IF_ERROR(visitor(state));
  }
}

Result<std::vector<StoredEvent>> SqliteStore::ListEvents(std::string_view tenant_id,
                                                         std::string_view learner_id,
                                                         int64_t after_sequence, size_t limit) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(learner_id, "learner_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(ReadTransaction transaction, ReadTransaction::Begin(*reader));
  PATHWISE_ASSIGN_OR_RETURN(const std::optional<StoredLearner> learner,
                            FindLearner(*reader, tenant_id, learner_id));
  if (!learner.has_value()) return LearnerNotFound(learner_id);
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kSelectChunksFrom));
  select.Bind(1, learner->pk);
  select.Bind(2, std::max<int64_t>(after_sequence, 0) >> kSequenceShift);
  std::vector<StoredEvent> out;
  while (limit == 0 || out.size() < limit) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    const int64_t first_sequence = select.ColumnInt64(0) << kSequenceShift;
    Status decoded = internal::DecodeEvents(
        select.ColumnBlob(1), [&](size_t index, std::string_view event_id,
                                  std::string_view activity_id, double outcome, int64_t timestamp) {
          const int64_t sequence = first_sequence + static_cast<int64_t>(index);
          if (sequence <= after_sequence || (limit != 0 && out.size() >= limit)) return;
          StoredEvent event;
          event.sequence = sequence;
          event.observation.event_id = std::string(event_id);
          event.observation.learner_id = std::string(learner_id);
          event.observation.activity_id = std::string(activity_id);
          event.observation.outcome = outcome;
          event.observation.timestamp_ms = timestamp;
          out.push_back(std::move(event));
        });
    if (!decoded.ok()) return LearnerContext(decoded, learner_id);
  }
  return out;
}

Result<std::vector<std::string>> SqliteStore::ListLearners(std::string_view tenant_id,
                                                           std::string_view after_learner_id,
                                                           size_t limit) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kListLearners));
  select.Bind(1, tenant_id);
  select.Bind(2, after_learner_id);
  select.Bind(3, SqlLimit(limit));
  std::vector<std::string> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(select.ColumnText(0));
  }
  return out;
}

Status SqliteStore::DeleteLearner(std::string_view tenant_id, std::string_view learner_id) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(learner_id, "learner_id"));
  return impl_->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<StoredLearner> learner,
                              FindLearner(db, tenant_id, learner_id));
    if (!learner.has_value()) return LearnerNotFound(learner_id);
    // Events go with the learner (ON DELETE CASCADE); the key is never reused (AUTOINCREMENT).
    PATHWISE_ASSIGN_OR_RETURN(Statement remove, db.Prepare(kDeleteLearner));
    remove.Bind(1, learner->pk);
    PATHWISE_RETURN_IF_ERROR(remove.Run());
    impl_->event_ids->Erase(learner->pk);
    return Status::Ok();
  });
}

Result<std::vector<std::string>> SqliteStore::ListTenants() {
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kListTenants));
  std::vector<std::string> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(select.ColumnText(0));
  }
  return out;
}

// ---- Background jobs --------------------------------------------------------------------------

Status SqliteStore::CreateJob(std::string_view tenant_id, const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateJob(job));
  return impl_->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const int64_t tenant_pk, Impl::GetOrCreateTenant(db, tenant_id));
    PATHWISE_ASSIGN_OR_RETURN(Statement insert, db.Prepare(kInsertJob));
    BindJob(insert, tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(insert.Run());
    if (sqlite3_changes(db.db()) == 0) {
      return Status::AlreadyExists("job '" + job.job_id + "' already exists");
    }
    return Status::Ok();
  });
}

Status SqliteStore::UpdateJob(std::string_view tenant_id, const JobRecord& job) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateJob(job));
  return impl_->Write([&](Connection& db) -> Status {
    PATHWISE_ASSIGN_OR_RETURN(const std::optional<int64_t> tenant_pk,
                              Impl::FindTenant(db, tenant_id));
    if (!tenant_pk.has_value()) return JobNotFound(job.job_id);
    PATHWISE_ASSIGN_OR_RETURN(Statement update, db.Prepare(kUpdateJob));
    BindJob(update, *tenant_pk, job);
    PATHWISE_RETURN_IF_ERROR(update.Run());
    if (sqlite3_changes(db.db()) == 0) return JobNotFound(job.job_id);
    return Status::Ok();
  });
}

Result<JobRecord> SqliteStore::GetJob(std::string_view tenant_id, std::string_view job_id) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(job_id, "job_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kSelectJob));
  select.Bind(1, tenant_id);
  select.Bind(2, job_id);
  PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
  if (!row) return JobNotFound(job_id);
  return ReadJob(select);
}

Result<std::vector<JobRecord>> SqliteStore::ListJobs(std::string_view tenant_id) {
  PATHWISE_RETURN_IF_ERROR(internal::ValidateId(tenant_id, "tenant_id"));
  PATHWISE_ASSIGN_OR_RETURN(Impl::Reader reader, impl_->AcquireReader());
  PATHWISE_ASSIGN_OR_RETURN(Statement select, reader->Prepare(kListJobs));
  select.Bind(1, tenant_id);
  std::vector<JobRecord> out;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(const bool row, select.Step());
    if (!row) break;
    out.push_back(ReadJob(select));
  }
  return out;
}

}  // namespace pathwise::store
