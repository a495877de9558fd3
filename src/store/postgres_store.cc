#include "store/postgres_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include "store/learner_rows.h"
#include "store/store_validation.h"

namespace pathwise::store {

namespace {

// Taken (per transaction) around schema migrations, so that processes starting on one database at
// the same time migrate it once. "PWDB".
constexpr int64_t kMigrationLockKey = 0x50574442;

// Migration i takes the schema from version i to i + 1; each runs in its own transaction. Never
// edit a migration that has shipped: add the next one.
//
// Every key starts with tenant_id, and every learner table's with (tenant_id, learner_id), so the
// tables can be distributed by tenant_id (Citus) or hash-partitioned without a rewrite
// (docs/postgres-sharding.md). Ids are COLLATE "C": sorted and paged by bytes, as the other stores
// do, whatever the database's locale.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the initial schema.
    R"sql(
CREATE TABLE tenants (
  tenant_id text COLLATE "C" PRIMARY KEY
);
CREATE TABLE graphs (
  tenant_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  graph_json text NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
CREATE TABLE models (
  tenant_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  model_json text NOT NULL,
  PRIMARY KEY (tenant_id, name, version)
);
-- `states` is the learner's states in one value (store_codec.h), rewritten by each commit that
-- changes them; the row is also the lock that orders a learner's commits.
CREATE TABLE learners (
  tenant_id text COLLATE "C" NOT NULL,
  learner_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  states bytea NOT NULL,
  PRIMARY KEY (tenant_id, learner_id)
);
CREATE SEQUENCE event_sequence;
-- event_id '' means "no id": never a duplicate, so outside the unique index.
CREATE TABLE events (
  tenant_id text COLLATE "C" NOT NULL,
  learner_id text COLLATE "C" NOT NULL,
  sequence bigint NOT NULL DEFAULT nextval('event_sequence'),
  event_id text COLLATE "C" NOT NULL,
  activity_id text NOT NULL,
  outcome double precision NOT NULL,
  timestamp_ms bigint NOT NULL,
  PRIMARY KEY (tenant_id, learner_id, sequence),
  FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, learner_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX events_event_id ON events (tenant_id, learner_id, event_id)
  WHERE event_id <> '';
CREATE TABLE policy_states (
  tenant_id text COLLATE "C" NOT NULL,
  learner_id text COLLATE "C" NOT NULL,
  policy text COLLATE "C" NOT NULL,
  state bytea NOT NULL,
  PRIMARY KEY (tenant_id, learner_id, policy),
  FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, learner_id) ON DELETE CASCADE
);
CREATE TABLE jobs (
  tenant_id text COLLATE "C" NOT NULL,
  job_id text COLLATE "C" NOT NULL,
  kind text NOT NULL,
  status integer NOT NULL,
  progress double precision NOT NULL,
  params_json text NOT NULL,
  result_model_name text NOT NULL,
  result_model_version bigint NOT NULL,
  error_message text NOT NULL,
  created_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  PRIMARY KEY (tenant_id, job_id)
);
)sql",
    // 1 -> 2: rosters (OneRoster classes and their learners), versioned like graphs.
    R"sql(
CREATE TABLE rosters (
  tenant_id text COLLATE "C" NOT NULL,
  version bigint NOT NULL,
  roster_json text NOT NULL,
  PRIMARY KEY (tenant_id, version)
);
)sql",
    // 2 -> 3: under what each tenant's stored learner states were derived (learner_store.h
    // PutStateOrigin); no row: unknown.
    R"sql(
CREATE TABLE state_origins (
  tenant_id text COLLATE "C" PRIMARY KEY REFERENCES tenants (tenant_id),
  origin text NOT NULL
);
)sql",
    // 3 -> 4: fit job leases (learner_store.h ClaimJob): who runs a job and until when.
    R"sql(
ALTER TABLE jobs ADD COLUMN owner text NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN lease_expires_ms bigint NOT NULL DEFAULT 0;
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == PostgresStore::kSchemaVersion,
              "one migration per schema version");

// ForEachLearner reads learners in pages of this many, inside one snapshot.
constexpr int kLearnerPage = 1000;

std::string Str(std::string_view text) { return std::string(text); }

// Doubles travel as text: 17 significant digits read back to the same double.
std::string FloatText(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

// A PostgreSQL array literal of text values, each quoted.
std::string TextArray(const std::vector<std::string_view>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

template <typename T, typename Format>
std::string NumberArray(const std::vector<T>& items, Format&& format) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += format(items[i]);
  }
  out += '}';
  return out;
}

std::string Bytes(const pqxx::field& field) { return pqxx::binarystring(field).str(); }

Result<std::vector<PolicyState>> ReadPolicyStates(pqxx::transaction_base& tx,
                                                  const std::string& tenant_id,
                                                  const std::string& learner_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT policy, state FROM policy_states WHERE tenant_id = $1 AND learner_id = $2 "
      "ORDER BY policy",
      tenant_id, learner_id);
  std::vector<PolicyState> out;
  out.reserve(rows.size());
  for (const pqxx::row& row : rows) out.push_back({row[0].as<std::string>(), Bytes(row[1])});
  return out;
}

constexpr char kJobColumns[] =
    "job_id, kind, status, progress, params_json, result_model_name, result_model_version, "
    "error_message, created_ms, updated_ms, owner, lease_expires_ms";

JobRecord ReadJob(const pqxx::row& row) {
  JobRecord job;
  job.job_id = row[0].as<std::string>();
  job.kind = row[1].as<std::string>();
  job.status = static_cast<JobStatus>(row[2].as<int>());
  job.progress = row[3].as<double>();
  job.params_json = row[4].as<std::string>();
  job.result_model_name = row[5].as<std::string>();
  job.result_model_version = row[6].as<int64_t>();
  job.error_message = row[7].as<std::string>();
  job.created_ms = row[8].as<int64_t>();
  job.updated_ms = row[9].as<int64_t>();
  job.owner = row[10].as<std::string>();
  job.lease_expires_ms = row[11].as<int64_t>();
  return job;
}

// Writes every column of `job` ($3..$13 in kJobColumns' order after the keys $1, $2) to its row,
// when the row also meets `condition` (SQL over those parameters; "" for none).
pqxx::result WriteJobRow(pqxx::work& tx, std::string_view tenant_id, const JobRecord& job,
                         const std::string& condition) {
  return tx.exec_params(
      "UPDATE jobs SET kind = $3, status = $4, progress = $5::float8, params_json = $6, "
      "result_model_name = $7, result_model_version = $8, error_message = $9, "
      "created_ms = $10, updated_ms = $11, owner = $12, lease_expires_ms = $13 "
      "WHERE tenant_id = $1 AND job_id = $2" +
          condition,
      Str(tenant_id), job.job_id, job.kind, static_cast<int>(job.status), FloatText(job.progress),
      job.params_json, job.result_model_name, job.result_model_version, job.error_message,
      job.created_ms, job.updated_ms, job.owner, job.lease_expires_ms);
}

// After a conditional job write changed nothing: JobNotFound when there is no such job, OK when
// the job is there but did not meet the condition.
Status JobNotFoundOrOk(pqxx::work& tx, std::string_view tenant_id, std::string_view job_id) {
  const pqxx::result exists = tx.exec_params(
      "SELECT 1 FROM jobs WHERE tenant_id = $1 AND job_id = $2", Str(tenant_id), Str(job_id));
  return exists.empty() ? internal::JobNotFound(job_id) : Status::Ok();
}

// The channel on which every PostgresStore announces its committed changes (LearnerStore::
// WatchChanges), from inside the committing transaction: PostgreSQL delivers a NOTIFY only when
// its transaction commits, and in commit order.
constexpr char kChangeChannel[] = "pathwise_changes";

// A NOTIFY payload must be shorter than 8000 bytes. A change whose ids do not fit is announced as
// "anything may have changed", which costs the listeners a reload but loses nothing.
constexpr size_t kMaxChangePayload = 7900;

// "<sender> <kind> <version> <tenant length> <tenant><learner>": the ids come last and the
// tenant's length is given, so that no id needs escaping whatever bytes it holds. `sender` tells
// a store its own changes apart.
std::string ChangePayload(const std::string& sender, char kind, uint64_t version,
                          std::string_view tenant_id, std::string_view learner_id) {
  std::string out = sender + ' ' + kind + ' ' + std::to_string(version) + ' ' +
                    std::to_string(tenant_id.size()) + ' ';
  out.append(tenant_id);
  out.append(learner_id);
  if (out.size() > kMaxChangePayload) return sender + " U 0 0 ";
  return out;
}

struct ParsedChange {
  std::string sender;
  StoreChange change;
};

// Nullopt for a payload that is not ChangePayload's (another program notifying on the channel).
std::optional<ParsedChange> ParseChangePayload(const std::string& payload) {
  size_t at = 0;
  std::string fields[4];
  for (std::string& field : fields) {
    const size_t space = payload.find(' ', at);
    if (space == std::string::npos) return std::nullopt;
    field = payload.substr(at, space - at);
    at = space + 1;
  }
  ParsedChange out;
  out.sender = fields[0];
  if (fields[1] == "L") {
    out.change.kind = StoreChange::Kind::kLearner;
  } else if (fields[1] == "C") {
    out.change.kind = StoreChange::Kind::kCurriculum;
  } else if (fields[1] == "U") {
    out.change.kind = StoreChange::Kind::kUnknown;
    return out;
  } else {
    return std::nullopt;
  }
  try {
    out.change.version = std::stoull(fields[2]);
    const size_t tenant_size = std::stoull(fields[3]);
    if (tenant_size > payload.size() - at) return std::nullopt;
    out.change.tenant_id = payload.substr(at, tenant_size);
    out.change.learner_id = payload.substr(at + tenant_size);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

// A random id per store object, for telling its own announcements apart.
std::string NewSenderId() {
  std::random_device device;
  std::mt19937_64 bits((static_cast<uint64_t>(device()) << 32) ^ device());
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(bits()));
  return text;
}

class ChangeReceiver final : public pqxx::notification_receiver {
 public:
  ChangeReceiver(pqxx::connection_base& connection, std::function<void(const std::string&)> on)
      : pqxx::notification_receiver(connection, kChangeChannel), on_(std::move(on)) {}
  void operator()(const std::string& payload, int) override { on_(payload); }

 private:
  std::function<void(const std::string&)> on_;
};

}  // namespace

bool IsPostgresUri(std::string_view text) {
  return text.rfind("postgresql://", 0) == 0 || text.rfind("postgres://", 0) == 0;
}

std::string RedactPostgresUri(std::string_view uri) {
  std::string out(uri);
  const size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    const size_t start = scheme + 3;
    const size_t end = std::min(out.find('/', start), out.find('?', start));
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t at = out.find("password="); at != std::string::npos;
       at = out.find("password=", at + 1)) {
    const size_t value = at + 9;
    size_t end = out.find_first_of("& ", value);
    if (end == std::string::npos) end = out.size();
    out.replace(value, end - value, "***");
  }
  return out;
}

Status PostgresStoreOptions::Validate() const {
  if (connection.empty()) return Status::InvalidArgument("connection: must not be empty");
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(connection.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    return Status::InvalidArgument("connection: " + message);
  }
  PQconninfoFree(parsed);
  if (max_connections < 1 || max_connections > 256) {
    return Status::InvalidArgument("max_connections: must be in [1, 256], got " +
                                   std::to_string(max_connections));
  }
  if (max_retries < 0 || max_retries > 100) {
    return Status::InvalidArgument("max_retries: must be in [0, 100], got " +
                                   std::to_string(max_retries));
  }
  return Status::Ok();
}

struct PostgresStore::Impl {
  PostgresStoreOptions options;
  const std::string sender = NewSenderId();

  // The watch (WatchChanges): a connection of its own that LISTENs, on a thread of its own.
  std::mutex watch_mu;  // serializes starting and stopping it
  std::thread watch_thread;
  std::atomic<bool> watch_stop{false};

  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<pqxx::connection>> idle;  // guarded by mu
  int leased = 0;                                       // guarded by mu
  bool closed = false;                                  // guarded by mu

  Result<std::unique_ptr<pqxx::connection>> Acquire() {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return closed || !idle.empty() || leased < options.max_connections; });
      if (closed) return internal::StoreClosed();
      ++leased;
      if (!idle.empty()) {
        std::unique_ptr<pqxx::connection> connection = std::move(idle.back());
        idle.pop_back();
        return connection;
      }
    }
    try {
      return std::make_unique<pqxx::connection>(options.connection);
    } catch (const std::exception& e) {
      Release(nullptr);
      return Status::Unavailable("cannot connect to PostgreSQL: " + Trimmed(e.what()));
    }
  }

  // Gives a connection back; nullptr (or a broken one) frees its slot.
  void Release(std::unique_ptr<pqxx::connection> connection) {
    std::unique_ptr<pqxx::connection> to_close;
    {
      std::lock_guard<std::mutex> lock(mu);
      --leased;
      if (connection != nullptr && connection->is_open() && !closed) {
        idle.push_back(std::move(connection));
      } else {
        to_close = std::move(connection);
      }
    }
    cv.notify_all();
  }

  static std::string Trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  // Runs fn(pqxx::connection&) -> Status on a pooled connection and turns the server's errors into
  // Status. When `retry` is set, fn is a whole transaction and is run again after a deadlock or a
  // serialization failure, which PostgreSQL resolves by rolling one transaction back.
  template <typename Fn>
  Status Run(bool retry, Fn&& fn) {
    PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<pqxx::connection> connection, Acquire());
    for (int attempt = 0;; ++attempt) {
      try {
        Status status = fn(*connection);
        Release(std::move(connection));
        return status;
      } catch (const pqxx::transaction_rollback& e) {
        if (retry && attempt < options.max_retries &&
            dynamic_cast<const pqxx::statement_completion_unknown*>(&e) == nullptr) {
          continue;
        }
        Release(std::move(connection));
        return Status::Unavailable("PostgreSQL rolled the transaction back: " + Trimmed(e.what()));
      } catch (const pqxx::in_doubt_error& e) {
        Release(nullptr);
        return Status::Unavailable(
            "the connection to PostgreSQL was lost during COMMIT, so whether the write was stored "
            "is unknown (re-sending it is safe): " +
            Trimmed(e.what()));
      } catch (const pqxx::broken_connection& e) {
        Release(nullptr);
        return Status::Unavailable("lost the connection to PostgreSQL: " + Trimmed(e.what()));
      } catch (const pqxx::insufficient_resources& e) {
        Release(std::move(connection));
        return Status::Unavailable("PostgreSQL is out of resources: " + Trimmed(e.what()));
      } catch (const pqxx::sql_error& e) {
        Release(std::move(connection));
        return Status::Internal("PostgreSQL error " + e.sqlstate() + ": " + Trimmed(e.what()));
      } catch (const std::exception& e) {
        if (connection != nullptr && !connection->is_open()) connection.reset();
        Release(std::move(connection));
        return Status::Internal("PostgreSQL client error: " + Trimmed(e.what()));
      }
    }
  }

  Status Migrate() {
    return Run(/*retry=*/false, [&](pqxx::connection& c) -> Status {
      for (;;) {
        pqxx::work tx(c);
        tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
        tx.exec("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        const pqxx::result rows = tx.exec("SELECT version FROM schema_version");
        if (rows.size() > 1) {
          return Status::FailedPrecondition("schema_version has " + std::to_string(rows.size()) +
                                            " rows, expected one");
        }
        if (rows.empty()) tx.exec("INSERT INTO schema_version (version) VALUES (0)");
        const int64_t version = rows.empty() ? 0 : rows[0][0].as<int64_t>();
        if (version > kSchemaVersion) {
          return Status::FailedPrecondition(
              "the database has schema version " + std::to_string(version) +
              ", newer than this build supports (" + std::to_string(kSchemaVersion) +
              "): run a newer pathwised");
        }
        if (version < 0) {
          return Status::FailedPrecondition("the database has an invalid schema version " +
                                            std::to_string(version));
        }
        if (version == kSchemaVersion) {
          tx.commit();
          return Status::Ok();
        }
        try {
          tx.exec(kMigrations[version]);
          tx.exec_params("UPDATE schema_version SET version = $1", version + 1);
          tx.commit();
        } catch (const pqxx::sql_error& e) {
          return Status::FailedPrecondition("migrating to schema version " +
                                            std::to_string(version + 1) + ": " + Trimmed(e.what()));
        }
      }
    });
  }

  // Announces changes to the other processes' watches, in `tx`: delivered if it commits.
  static void Announce(pqxx::work& tx, const std::vector<std::string>& payloads) {
    if (payloads.empty()) return;
    std::vector<std::string_view> views(payloads.begin(), payloads.end());
    tx.exec_params("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", kChangeChannel,
                   TextArray(views));
  }

  void StopWatch() {
    if (!watch_thread.joinable()) return;
    watch_stop = true;
    watch_thread.join();
  }

  Status StartWatch(ChangeListener listener) {
    StopWatch();
    if (!listener) return Status::Ok();
    watch_stop = false;
    std::promise<Status> ready;
    std::future<Status> started = ready.get_future();
    watch_thread = std::thread(
        [this, listener = std::move(listener), &ready]() mutable { Watch(listener, &ready); });
    Status status = started.get();
    if (!status.ok()) StopWatch();
    return status;
  }

  // The watch thread. `ready` is told once, when the first LISTEN is in place or has failed (and
  // is not touched after: it lives on StartWatch's stack).
  void Watch(const ChangeListener& listener, std::promise<Status>* ready) {
    std::chrono::milliseconds backoff(50);
    while (!watch_stop) {
      try {
        pqxx::connection connection(options.connection);
        ChangeReceiver receiver(connection, [&](const std::string& payload) {
          std::optional<ParsedChange> parsed = ParseChangePayload(payload);
          if (parsed && parsed->sender != sender) listener(parsed->change);
        });
        if (ready != nullptr) {
          ready->set_value(Status::Ok());
          ready = nullptr;
        } else {
          listener(StoreChange{});  // kUnknown: announcements may have been missed
        }
        backoff = std::chrono::milliseconds(50);
        while (!watch_stop) {
          // Wakes at least every 100 ms to see watch_stop.
          // A lost connection throws (what was announced meanwhile is lost, so the listener must
          // hear kUnknown): await_notification does not reconnect by itself.
          connection.await_notification(0, 100 * 1000);
          if (!connection.is_open()) throw pqxx::broken_connection("watch connection closed");
        }
      } catch (const std::exception& e) {
        if (ready != nullptr) {
          ready->set_value(
              Status::Unavailable("cannot watch PostgreSQL for changes: " + Trimmed(e.what())));
          return;
        }
        // Reconnects with a growing pause, up to 2 s, looking at watch_stop meanwhile.
        for (auto waited = std::chrono::milliseconds(0); waited < backoff && !watch_stop;
             waited += std::chrono::milliseconds(10)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
  }

  // The body of CommitEvents: one transaction.
  // `announce`: tell the other processes' watches of each learner changed (with its version).
  Status ApplyEventBatch(pqxx::work& tx, const EventBatch& batch,
                         const std::vector<size_t>& learner_of_event, bool announce,
                         CommitResult* result) {
    const std::string tenant = batch.tenant_id;
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    const size_t num_learners = batch.learners.size();
    const std::vector<std::vector<size_t>> events_of =
        internal::EventsOfLearners(batch, learner_of_event);

    // Lock the learners in id order, so that two batches sharing learners cannot deadlock. A new
    // learner that this batch changes is inserted first (version 0) so that there is a row to
    // lock: a concurrent batch for it then waits for this one instead of racing it.
    std::vector<size_t> order(num_learners);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return batch.learners[a].learner_id < batch.learners[b].learner_id;
    });
    struct Row {
      bool exists = false;
      uint64_t version = 0;
      std::string states;
    };
    std::vector<Row> rows(num_learners);
    for (size_t l : order) {
      const LearnerUpdate& update = batch.learners[l];
      if (internal::ChangesLearner(update, !events_of[l].empty())) {
        tx.exec_params(
            "INSERT INTO learners (tenant_id, learner_id, version, states) "
            "VALUES ($1, $2, 0, '') ON CONFLICT DO NOTHING",
            tenant, update.learner_id);
      }
      const pqxx::result found = tx.exec_params(
          "SELECT version, states FROM learners WHERE tenant_id = $1 AND learner_id = $2 "
          "FOR UPDATE",
          tenant, update.learner_id);
      if (!found.empty()) {
        rows[l].version = found[0][0].as<uint64_t>();
        rows[l].exists = rows[l].version > 0;
        rows[l].states = Bytes(found[0][1]);
      }
      PATHWISE_RETURN_IF_ERROR(internal::CheckExpectedVersion(update, rows[l].version));
    }

    // The learners' row locks keep anyone else from storing their events meanwhile.
    const auto find_stored = [&](size_t l, const std::vector<std::string_view>& ids) {
      std::vector<bool> found(ids.size(), false);
      if (!rows[l].exists) return Result<std::vector<bool>>(std::move(found));
      const pqxx::result stored_rows = tx.exec_params(
          "SELECT event_id FROM events WHERE tenant_id = $1 AND learner_id = $2 "
          "AND event_id <> '' AND event_id = ANY($3::text[])",
          tenant, batch.learners[l].learner_id, TextArray(ids));
      std::unordered_set<std::string> stored;
      for (const pqxx::row& row : stored_rows) stored.insert(row[0].as<std::string>());
      for (size_t i = 0; i < ids.size(); ++i) found[i] = stored.count(std::string(ids[i])) > 0;
      return Result<std::vector<bool>>(std::move(found));
    };
    PATHWISE_ASSIGN_OR_RETURN(const std::vector<std::vector<const Observation*>> new_events,
                              internal::SelectNewEvents(batch, events_of, find_stored, result));

    // One statement per learner, whatever its number of events: the columns travel as arrays.
    for (size_t l = 0; l < num_learners; ++l) {
      const std::vector<const Observation*>& events = new_events[l];
      if (events.empty()) continue;
      std::vector<std::string_view> ids, activities;
      std::vector<double> outcomes;
      std::vector<int64_t> timestamps;
      for (const Observation* event : events) {
        ids.push_back(event->event_id);
        activities.push_back(event->activity_id);
        outcomes.push_back(event->outcome);
        timestamps.push_back(event->timestamp_ms);
      }
      tx.exec_params(
          "INSERT INTO events (tenant_id, learner_id, event_id, activity_id, outcome, "
          "timestamp_ms) SELECT $1, $2, e.id, e.activity, e.outcome, e.ts FROM "
          "unnest($3::text[], $4::text[], $5::float8[], $6::int8[]) WITH ORDINALITY "
          "AS e (id, activity, outcome, ts, n) ORDER BY e.n",
          tenant, batch.learners[l].learner_id, TextArray(ids), TextArray(activities),
          NumberArray(outcomes, FloatText),
          NumberArray(timestamps, [](int64_t t) { return std::to_string(t); }));
    }
    if (options.fault_hook_for_testing) {
      PATHWISE_RETURN_IF_ERROR(options.fault_hook_for_testing(batch));
    }

    result->learner_versions.assign(num_learners, 0);
    std::vector<std::string> changes;
    for (size_t l = 0; l < num_learners; ++l) {
      const LearnerUpdate& update = batch.learners[l];
      Row& row = rows[l];
      if (!internal::ChangesLearner(update, !new_events[l].empty())) {
        result->learner_versions[l] = row.version;
        continue;
      }
      const uint64_t new_version = row.version + 1;
      if (update.states.empty()) {
        tx.exec_params("UPDATE learners SET version = $3 WHERE tenant_id = $1 AND learner_id = $2",
                       tenant, update.learner_id, static_cast<int64_t>(new_version));
      } else {
        PATHWISE_ASSIGN_OR_RETURN(
            const std::string states,
            internal::MergeEncodedStates(row.states, update.states, update.learner_id));
        tx.exec_params(
            "UPDATE learners SET version = $3, states = $4 WHERE tenant_id = $1 AND "
            "learner_id = $2",
            tenant, update.learner_id, static_cast<int64_t>(new_version),
            pqxx::binarystring(states));
      }
      for (const PolicyState& policy : update.policy_states) {
        if (policy.state.empty()) {
          tx.exec_params(
              "DELETE FROM policy_states WHERE tenant_id = $1 AND learner_id = $2 AND policy = $3",
              tenant, update.learner_id, policy.policy);
        } else {
          tx.exec_params(
              "INSERT INTO policy_states (tenant_id, learner_id, policy, state) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, learner_id, policy) "
              "DO UPDATE SET state = excluded.state",
              tenant, update.learner_id, policy.policy, pqxx::binarystring(policy.state));
        }
      }
      result->learner_versions[l] = new_version;
      if (announce) {
        changes.push_back(ChangePayload(sender, 'L', new_version, tenant, update.learner_id));
      }
    }
    Announce(tx, changes);
    return Status::Ok();
  }
};

using ReadSnapshot = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

// ---- Open and close ---------------------------------------------------------------------------

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(const PostgresStoreOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  PATHWISE_RETURN_IF_ERROR(impl->Migrate());
  return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PostgresStore::~PostgresStore() { (void)Close(); }

Status PostgresStore::DoWatchChanges(ChangeListener listener) {
  std::lock_guard<std::mutex> lock(impl_->watch_mu);
  return impl_->StartWatch(std::move(listener));
}

Status PostgresStore::DoClose() {
  {
    std::lock_guard<std::mutex> lock(impl_->watch_mu);
    impl_->StopWatch();
  }
  std::vector<std::unique_ptr<pqxx::connection>> to_close;
  {
    std::unique_lock<std::mutex> lock(impl_->mu);
    impl_->closed = true;
    impl_->cv.notify_all();
    // Calls in flight finish (and commit) before the connections go.
    impl_->cv.wait(lock, [&] { return impl_->leased == 0; });
    to_close.swap(impl_->idle);
  }
  return Status::Ok();
}

// ---- Curriculum -------------------------------------------------------------------------------

Result<int64_t> PostgresStore::DoPutGraph(std::string_view tenant_id, std::string_view graph_json) {
  int64_t version = 0;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const std::string tenant = Str(tenant_id);
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    // The tenant's row orders its puts, so two never pick the same version.
    tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1 FOR UPDATE", tenant);
    version =
        tx.exec_params1("SELECT COALESCE(MAX(version), 0) + 1 FROM graphs WHERE tenant_id = $1",
                        tenant)[0]
            .as<int64_t>();
    tx.exec_params("INSERT INTO graphs (tenant_id, version, graph_json) VALUES ($1, $2, $3)",
                   tenant, version, Str(graph_json));
    Impl::Announce(tx, {ChangePayload(impl_->sender, 'C', 0, tenant, {})});
    tx.commit();
    return Status::Ok();
  }));
  return version;
}

Result<int64_t> PostgresStore::DoPutRoster(std::string_view tenant_id,
                                           std::string_view roster_json) {
  int64_t version = 0;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const std::string tenant = Str(tenant_id);
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    // The tenant's row orders its puts, so two never pick the same version.
    tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1 FOR UPDATE", tenant);
    version =
        tx.exec_params1("SELECT COALESCE(MAX(version), 0) + 1 FROM rosters WHERE tenant_id = $1",
                        tenant)[0]
            .as<int64_t>();
    tx.exec_params("INSERT INTO rosters (tenant_id, version, roster_json) VALUES ($1, $2, $3)",
                   tenant, version, Str(roster_json));
    Impl::Announce(tx, {ChangePayload(impl_->sender, 'C', 0, tenant, {})});
    tx.commit();
    return Status::Ok();
  }));
  return version;
}

Result<RosterVersion> PostgresStore::DoGetRoster(std::string_view tenant_id, int64_t version) {
  RosterVersion out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows =
        version == kLatestVersion
            ? tx.exec_params(
                  "SELECT version, roster_json FROM rosters WHERE tenant_id = $1 "
                  "ORDER BY version DESC LIMIT 1",
                  Str(tenant_id))
            : tx.exec_params(
                  "SELECT version, roster_json FROM rosters WHERE tenant_id = $1 "
                  "AND version = $2",
                  Str(tenant_id), version);
    if (rows.empty()) return internal::RosterNotFound(version);
    out = RosterVersion{rows[0][0].as<int64_t>(), rows[0][1].as<std::string>()};
    return Status::Ok();
  }));
  return out;
}

Status PostgresStore::DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) {
  return impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const std::string tenant = Str(tenant_id);
    if (origin.empty()) {
      tx.exec_params("DELETE FROM state_origins WHERE tenant_id = $1", tenant);
    } else {
      tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
      tx.exec_params(
          "INSERT INTO state_origins (tenant_id, origin) VALUES ($1, $2) "
          "ON CONFLICT (tenant_id) DO UPDATE SET origin = EXCLUDED.origin",
          tenant, Str(origin));
    }
    tx.commit();
    return Status::Ok();
  });
}

Result<std::string> PostgresStore::DoGetStateOrigin(std::string_view tenant_id) {
  std::string out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows =
        tx.exec_params("SELECT origin FROM state_origins WHERE tenant_id = $1", Str(tenant_id));
    if (!rows.empty()) out = rows[0][0].as<std::string>();
    return Status::Ok();
  }));
  return out;
}

Result<GraphVersion> PostgresStore::DoGetGraph(std::string_view tenant_id, int64_t version) {
  GraphVersion out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows =
        version == kLatestVersion
            ? tx.exec_params(
                  "SELECT version, graph_json FROM graphs WHERE tenant_id = $1 "
                  "ORDER BY version DESC LIMIT 1",
                  Str(tenant_id))
            : tx.exec_params(
                  "SELECT version, graph_json FROM graphs WHERE tenant_id = $1 "
                  "AND version = $2",
                  Str(tenant_id), version);
    if (rows.empty()) return internal::GraphNotFound(version);
    out = GraphVersion{rows[0][0].as<int64_t>(), rows[0][1].as<std::string>()};
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> PostgresStore::DoPutModel(std::string_view tenant_id, std::string_view name,
                                          std::string_view model_json) {
  int64_t version = 0;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const std::string tenant = Str(tenant_id);
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1 FOR UPDATE", tenant);
    version = tx.exec_params1(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM models "
                    "WHERE tenant_id = $1 AND name = $2",
                    tenant, Str(name))[0]
                  .as<int64_t>();
    tx.exec_params(
        "INSERT INTO models (tenant_id, name, version, model_json) VALUES ($1, $2, $3, $4)", tenant,
        Str(name), version, Str(model_json));
    Impl::Announce(tx, {ChangePayload(impl_->sender, 'C', 0, tenant, {})});
    tx.commit();
    return Status::Ok();
  }));
  return version;
}

Result<ModelVersion> PostgresStore::DoGetModel(std::string_view tenant_id, std::string_view name,
                                               int64_t version) {
  ModelVersion out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows =
        version == kLatestVersion
            ? tx.exec_params(
                  "SELECT version, model_json FROM models WHERE tenant_id = $1 "
                  "AND name = $2 ORDER BY version DESC LIMIT 1",
                  Str(tenant_id), Str(name))
            : tx.exec_params(
                  "SELECT version, model_json FROM models WHERE tenant_id = $1 "
                  "AND name = $2 AND version = $3",
                  Str(tenant_id), Str(name), version);
    if (rows.empty()) return internal::ModelNotFound(name, version);
    out = ModelVersion{Str(name), rows[0][0].as<int64_t>(), rows[0][1].as<std::string>()};
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<ModelVersion>> PostgresStore::DoListModels(std::string_view tenant_id) {
  std::vector<ModelVersion> out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT name, MAX(version) FROM models WHERE tenant_id = $1 GROUP BY name ORDER BY name",
        Str(tenant_id));
    for (const pqxx::row& row : rows) {
      out.push_back(ModelVersion{row[0].as<std::string>(), row[1].as<int64_t>(), {}});
    }
    return Status::Ok();
  }));
  return out;
}

// ---- Events and learner state -----------------------------------------------------------------

Result<CommitResult> PostgresStore::DoCommitEvents(const EventBatch& batch,
                                                   const std::vector<size_t>& learner_of_event) {
  CommitResult result;
  const Status written = impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    result = CommitResult{};
    Status applied = impl_->ApplyEventBatch(tx, batch, learner_of_event, true, &result);
    if (!applied.ok()) return applied;  // the transaction rolls back
    tx.commit();
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return result;
}

Result<std::vector<bool>> PostgresStore::DoFindRecordedEvents(
    std::string_view tenant_id, std::string_view learner_id,
    const std::vector<std::string>& event_ids) {
  std::vector<bool> found(event_ids.size(), false);
  std::vector<std::string_view> ids;
  for (const std::string& id : event_ids) {
    if (!id.empty()) ids.push_back(id);
  }
  if (ids.empty()) return found;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT event_id FROM events WHERE tenant_id = $1 AND learner_id = $2 "
        "AND event_id <> '' AND event_id = ANY($3::text[])",
        Str(tenant_id), Str(learner_id), TextArray(ids));
    std::unordered_set<std::string> stored;
    for (const pqxx::row& row : rows) stored.insert(row[0].as<std::string>());
    for (size_t i = 0; i < event_ids.size(); ++i) {
      found[i] = !event_ids[i].empty() && stored.count(event_ids[i]) > 0;
    }
    return Status::Ok();
  }));
  return found;
}

Result<StoredLearner> PostgresStore::DoGetLearner(std::string_view tenant_id,
                                                  std::string_view learner_id) {
  StoredLearner out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    ReadSnapshot tx(c);
    const std::string tenant = Str(tenant_id), learner = Str(learner_id);
    const pqxx::result rows = tx.exec_params(
        "SELECT l.version, l.states, (SELECT COALESCE(MAX(e.sequence), 0) FROM events e "
        "WHERE e.tenant_id = l.tenant_id AND e.learner_id = l.learner_id) "
        "FROM learners l WHERE l.tenant_id = $1 AND l.learner_id = $2",
        tenant, learner);
    if (rows.empty()) return internal::LearnerNotFound(learner_id);
    PATHWISE_ASSIGN_OR_RETURN(
        out, internal::DecodeLearner(learner, rows[0][0].as<uint64_t>(), Bytes(rows[0][1])));
    out.last_event_sequence = rows[0][2].as<int64_t>();
    PATHWISE_ASSIGN_OR_RETURN(out.policy_states, ReadPolicyStates(tx, tenant, learner));
    return Status::Ok();
  }));
  return out;
}

Status PostgresStore::DoForEachLearner(std::string_view tenant_id,
                                       const std::function<Status(const StoredLearner&)>& visitor) {
  return impl_->Run(false, [&](pqxx::connection& c) -> Status {
    // One snapshot for every page.
    ReadSnapshot tx(c);
    const std::string tenant = Str(tenant_id);
    std::string after;
    for (;;) {
      const pqxx::result learners = tx.exec_params(
          "SELECT learner_id, version, states FROM learners WHERE tenant_id = $1 "
          "AND learner_id > $2 ORDER BY learner_id LIMIT $3",
          tenant, after, kLearnerPage);
      if (learners.empty()) return Status::Ok();
      const std::string last = learners[learners.size() - 1][0].as<std::string>();
      const pqxx::result policies = tx.exec_params(
          "SELECT learner_id, policy, state FROM policy_states WHERE tenant_id = $1 "
          "AND learner_id > $2 AND learner_id <= $3 ORDER BY learner_id, policy",
          tenant, after, last);
      size_t p = 0;
      for (const pqxx::row& row : learners) {
        PATHWISE_ASSIGN_OR_RETURN(StoredLearner state,
                                  internal::DecodeLearner(row[0].as<std::string>(),
                                                          row[1].as<uint64_t>(), Bytes(row[2])));
        for (; p < policies.size() && policies[p][0].as<std::string>() == state.learner_id; ++p) {
          state.policy_states.push_back({policies[p][1].as<std::string>(), Bytes(policies[p][2])});
        }
        PATHWISE_RETURN_IF_ERROR(visitor(state));
      }
      if (learners.size() < static_cast<size_t>(kLearnerPage)) return Status::Ok();
      after = last;
    }
  });
}

Result<std::vector<StoredObservation>> PostgresStore::DoListEvents(std::string_view tenant_id,
                                                                   std::string_view learner_id,
                                                                   int64_t after_sequence,
                                                                   size_t limit) {
  std::vector<StoredObservation> out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    ReadSnapshot tx(c);
    const std::string tenant = Str(tenant_id), learner = Str(learner_id);
    if (tx.exec_params("SELECT 1 FROM learners WHERE tenant_id = $1 AND learner_id = $2", tenant,
                       learner)
            .empty()) {
      return internal::LearnerNotFound(learner_id);
    }
    const std::string select =
        "SELECT sequence, event_id, activity_id, outcome, timestamp_ms FROM events "
        "WHERE tenant_id = $1 AND learner_id = $2 AND sequence > $3 ORDER BY sequence" +
        (limit == 0 ? std::string() : " LIMIT " + std::to_string(limit));
    const pqxx::result rows = tx.exec_params(select, tenant, learner, after_sequence);
    out.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      StoredObservation event;
      event.sequence = row[0].as<int64_t>();
      event.observation.event_id = row[1].as<std::string>();
      event.observation.learner_id = learner;
      event.observation.activity_id = row[2].as<std::string>();
      event.observation.outcome = row[3].as<double>();
      event.observation.timestamp_ms = row[4].as<int64_t>();
      out.push_back(std::move(event));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::string>> PostgresStore::DoListLearners(std::string_view tenant_id,
                                                               std::string_view after_learner_id,
                                                               size_t limit) {
  std::vector<std::string> out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const std::string select =
        "SELECT learner_id FROM learners WHERE tenant_id = $1 AND learner_id > $2 "
        "ORDER BY learner_id" +
        (limit == 0 ? std::string() : " LIMIT " + std::to_string(limit));
    for (const pqxx::row& row : tx.exec_params(select, Str(tenant_id), Str(after_learner_id))) {
      out.push_back(row[0].as<std::string>());
    }
    return Status::Ok();
  }));
  return out;
}

Result<CommitResult> PostgresStore::DoReplaceLearner(const LearnerUpdate& update,
                                                     const EventBatch& fresh,
                                                     const std::vector<size_t>& learner_of_event) {
  CommitResult result;
  const Status written = impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    result = CommitResult{};
    // Locks the learner's row until the commit, as CommitEvents does.
    const pqxx::result stored = tx.exec_params(
        "SELECT version FROM learners WHERE tenant_id = $1 AND learner_id = $2 FOR UPDATE",
        Str(fresh.tenant_id), Str(update.learner_id));
    const uint64_t version = stored.empty() ? 0 : stored[0][0].as<uint64_t>();
    PATHWISE_RETURN_IF_ERROR(internal::CheckExpectedVersion(update, version));
    if (!stored.empty()) {
      // Events and policy states go with the learner (ON DELETE CASCADE).
      tx.exec_params("DELETE FROM learners WHERE tenant_id = $1 AND learner_id = $2",
                     Str(fresh.tenant_id), Str(update.learner_id));
    }
    Status applied = impl_->ApplyEventBatch(tx, fresh, learner_of_event, false, &result);
    if (!applied.ok()) return applied;  // the transaction rolls back
    // Version 0: the history was replaced and the versions start again.
    Impl::Announce(tx, {ChangePayload(impl_->sender, 'L', 0, fresh.tenant_id, update.learner_id)});
    tx.commit();
    return Status::Ok();
  });
  if (!written.ok()) return written;
  return result;
}

Status PostgresStore::DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) {
  return impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    // Events and policy states go with the learner (ON DELETE CASCADE).
    const pqxx::result deleted =
        tx.exec_params("DELETE FROM learners WHERE tenant_id = $1 AND learner_id = $2",
                       Str(tenant_id), Str(learner_id));
    if (deleted.affected_rows() == 0) return internal::LearnerNotFound(learner_id);
    Impl::Announce(tx, {ChangePayload(impl_->sender, 'L', 0, tenant_id, learner_id)});
    tx.commit();
    return Status::Ok();
  });
}

Result<std::vector<std::string>> PostgresStore::DoListTenants() {
  std::vector<std::string> out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    for (const pqxx::row& row : tx.exec("SELECT tenant_id FROM tenants ORDER BY tenant_id")) {
      out.push_back(row[0].as<std::string>());
    }
    return Status::Ok();
  }));
  return out;
}

// ---- Background jobs --------------------------------------------------------------------------

Status PostgresStore::DoCreateJob(std::string_view tenant_id, const JobRecord& job) {
  return impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    const std::string tenant = Str(tenant_id);
    tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", tenant);
    const pqxx::result inserted = tx.exec_params(
        std::string("INSERT INTO jobs (tenant_id, ") + kJobColumns +
            ") VALUES ($1, $2, $3, $4, $5::float8, $6, $7, $8, $9, $10, $11, $12, "
            "$13) ON CONFLICT (tenant_id, job_id) DO NOTHING",
        tenant, job.job_id, job.kind, static_cast<int>(job.status), FloatText(job.progress),
        job.params_json, job.result_model_name, job.result_model_version, job.error_message,
        job.created_ms, job.updated_ms, job.owner, job.lease_expires_ms);
    if (inserted.affected_rows() == 0) {
      return internal::JobExists(job.job_id);
    }
    tx.commit();
    return Status::Ok();
  });
}

Status PostgresStore::DoUpdateJob(std::string_view tenant_id, const JobRecord& job) {
  return impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    if (WriteJobRow(tx, tenant_id, job, "").affected_rows() == 0) {
      return internal::JobNotFound(job.job_id);
    }
    tx.commit();
    return Status::Ok();
  });
}

Result<std::optional<JobRecord>> PostgresStore::DoClaimJob(std::string_view tenant_id,
                                                           std::string_view job_id,
                                                           std::string_view owner,
                                                           TimestampMs now_ms,
                                                           TimestampMs lease_until_ms) {
  std::optional<JobRecord> claimed;
  const Status written = impl_->Run(true, [&](pqxx::connection& c) -> Status {
    claimed.reset();
    pqxx::work tx(c);
    // One statement: the row lock orders concurrent claims, and the second re-reads the row and
    // finds it RUNNING under a live lease.
    const pqxx::result rows = tx.exec_params(
        std::string("UPDATE jobs SET status = 2, owner = $3, updated_ms = $4, "
                    "lease_expires_ms = $5 WHERE tenant_id = $1 AND job_id = $2 AND "
                    "(status = 1 OR (status = 2 AND (owner = $3 OR lease_expires_ms <= $4))) "
                    "RETURNING ") +
            kJobColumns,
        Str(tenant_id), Str(job_id), Str(owner), now_ms, lease_until_ms);
    if (rows.empty()) return JobNotFoundOrOk(tx, tenant_id, job_id);
    claimed = ReadJob(rows[0]);
    tx.commit();
    return Status::Ok();
  });
  PATHWISE_RETURN_IF_ERROR(written);
  return claimed;
}

Result<bool> PostgresStore::DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) {
  bool updated = false;
  const Status written = impl_->Run(true, [&](pqxx::connection& c) -> Status {
    pqxx::work tx(c);
    // Only while the job is RUNNING under this owner's claim.
    updated =
        WriteJobRow(tx, tenant_id, job, " AND status = 2 AND owner = $12").affected_rows() > 0;
    if (!updated) return JobNotFoundOrOk(tx, tenant_id, job.job_id);
    tx.commit();
    return Status::Ok();
  });
  PATHWISE_RETURN_IF_ERROR(written);
  return updated;
}

Result<JobRecord> PostgresStore::DoGetJob(std::string_view tenant_id, std::string_view job_id) {
  JobRecord out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        std::string("SELECT ") + kJobColumns + " FROM jobs WHERE tenant_id = $1 AND job_id = $2",
        Str(tenant_id), Str(job_id));
    if (rows.empty()) return internal::JobNotFound(job_id);
    out = ReadJob(rows[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<JobRecord>> PostgresStore::DoListJobs(std::string_view tenant_id) {
  std::vector<JobRecord> out;
  PATHWISE_RETURN_IF_ERROR(impl_->Run(false, [&](pqxx::connection& c) -> Status {
    pqxx::read_transaction tx(c);
    const pqxx::result rows =
        tx.exec_params(std::string("SELECT ") + kJobColumns +
                           " FROM jobs WHERE tenant_id = $1 ORDER BY created_ms, job_id",
                       Str(tenant_id));
    for (const pqxx::row& row : rows) out.push_back(ReadJob(row));
    return Status::Ok();
  }));
  return out;
}

}  // namespace pathwise::store
