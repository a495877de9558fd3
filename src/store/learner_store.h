// The storage interface of the service: what pathwised keeps for each tenant (graphs, models,
// events, learner states, background jobs), independent of the database behind it.
//
// Include as "store/learner_store.h" (target pathwise::store). The core knows nothing of this
// layer.
#ifndef PATHWISE_STORE_LEARNER_STORE_H_
#define PATHWISE_STORE_LEARNER_STORE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise::store {

/// Pass as a version to mean "the latest one".
inline constexpr int64_t kLatestVersion = 0;

/// One stored version of a tenant's competency graph.
struct GraphVersion {
  int64_t version = 0;     ///< 1 for the first graph a tenant put, then +1 per PutGraph
  std::string graph_json;  ///< exactly the text that was put (the store does not parse it)
};

/// One stored version of a named model of a tenant.
struct ModelVersion {
  std::string name;
  int64_t version = 0;  ///< 1 for the first model put under this name, then +1 per PutModel
  std::string model_json;
};

/// One stored version of a tenant's roster (OneRoster classes and their learners).
struct RosterVersion {
  int64_t version = 0;      ///< 1 for the first roster a tenant put, then +1 per PutRoster
  std::string roster_json;  ///< exactly the text that was put
};

/// An observation as stored: the observation and where it sits in the store's order.
struct StoredObservation {
  /// Increases in commit order (across all learners and tenants, with gaps); a learner's events
  /// listed by ListEvents are in this order, which is the order in which they were committed.
  int64_t sequence = 0;
  Observation observation;
};

/// What a recommendation policy keeps about one learner (pathwise::Policy::SaveLearnerState's
/// bytes), stored per (tenant, learner, policy).
struct PolicyState {
  std::string policy;  ///< the policy's name (PolicyKindName: "zpdes")
  /// Opaque to the store (the policy's encoding carries its own format version). In a
  /// LearnerUpdate, empty deletes the stored state.
  std::string state;

  bool operator==(const PolicyState& other) const {
    return policy == other.policy && state == other.state;
  }
};

/// Everything the store keeps of one learner: its version, mastery and policy states (the events
/// are listed apart, by ListEvents). Not pathwise::LearnerState, which is what a policy reads.
struct StoredLearner {
  std::string learner_id;
  /// Starts at 1 when the learner is first stored and increases by one with every commit that
  /// changes the learner (a new event or a state). Used for optimistic concurrency, see
  /// LearnerUpdate::expected_version.
  uint64_t version = 0;
  /// The competencies that have ever been written for this learner, sorted by competency id.
  /// Competencies never written are at their prior (the store knows nothing of priors).
  std::vector<MasteryEstimate> competencies;
  /// The policies' states of this learner, sorted by policy; never an empty state.
  std::vector<PolicyState> policy_states;
  /// GetLearner only (0 from ForEachLearner): the sequence of the learner's last stored event,
  /// read in the same moment as the states (0: no events). Paging ListEvents up to it reads
  /// exactly the events these states were derived from, however many are committed meanwhile.
  int64_t last_event_sequence = 0;
};

/// The new state of one learner in an EventBatch.
struct LearnerUpdate {
  LearnerUpdate() = default;
  LearnerUpdate(std::string id, std::optional<uint64_t> expected,
                std::vector<MasteryEstimate> new_states = {},
                std::vector<PolicyState> new_policy_states = {})
      : learner_id(std::move(id)),
        expected_version(expected),
        states(std::move(new_states)),
        policy_states(std::move(new_policy_states)) {}

  std::string learner_id;
  /// If set, the batch is rejected with Aborted (and changes nothing) unless the learner's stored
  /// version equals this; 0 means "the learner must not exist yet". Unset: no check.
  std::optional<uint64_t> expected_version;
  /// Competencies to write (insert or overwrite, by competency_id; each id at most once).
  /// Competencies not listed keep their stored state. May be empty.
  std::vector<MasteryEstimate> states;
  /// Policy states to write (insert or overwrite by policy; each policy at most once; an empty
  /// state deletes the stored one), in the same transaction as the events that produced them.
  /// Policies not listed keep their stored state. May be empty.
  std::vector<PolicyState> policy_states;
};

/// Events and the learner states they produced, committed atomically.
struct EventBatch {
  std::string tenant_id;
  /// May hold events of several learners. An event id may repeat: the later one is a duplicate.
  std::vector<Observation> events;
  /// Exactly one entry per learner that has an event in `events` (plus, optionally, learners that
  /// only get states). Learner ids are unique within the batch.
  std::vector<LearnerUpdate> learners;
};

/// What CommitEvents did.
struct CommitResult {
  /// Indices into EventBatch::events of the events skipped because their (tenant, learner,
  /// event_id) was already stored, or appeared earlier in the same batch. Ascending. Events with
  /// an empty event_id are never duplicates.
  std::vector<size_t> duplicate_indices;
  /// Events stored (events.size() - duplicate_indices.size()).
  size_t num_recorded = 0;
  /// The version of each of EventBatch::learners after the commit, in the same order. A learner for
  /// which nothing changed (all of its events duplicates, no states) keeps its version.
  std::vector<uint64_t> learner_versions;
};

/// What CommitEvents reports to a CommitObserver once the commit returned.
struct CommitReport {
  std::string_view tenant_id;
  double seconds = 0.0;     ///< from the call to its return, waiting for a group commit included
  bool ok = false;          ///< the commit returned OK
  size_t num_recorded = 0;  ///< events stored (0 when not ok)
};

/// Told of every CommitEvents that passed the argument checks (for metrics). Runs on the calling
/// thread; it must be cheap and must not call the store.
using CommitObserver = std::function<void(const CommitReport&)>;

/// Told of every call that met damage (DataLoss from a read or a write; not CheckIntegrity, whose
/// caller has the answer), with that status. Runs on the calling thread; it must be cheap and must
/// not call the store.
using DamageObserver = std::function<void(const Status&)>;

/// A change that another process committed to the store, as LearnerStore::WatchChanges reports it.
struct StoreChange {
  enum class Kind {
    /// A learner's events, states or policy states changed, or the learner was deleted.
    kLearner,
    /// A graph, a model or a roster of the tenant was put.
    kCurriculum,
    /// Changes may have been missed (the watch lost its connection and reconnected): anything of
    /// any tenant may have changed.
    kUnknown,
  };
  Kind kind = Kind::kUnknown;
  std::string tenant_id;   ///< empty for kUnknown
  std::string learner_id;  ///< kLearner only
  /// kLearner: the learner's version after the change; 0 when it was deleted or its history
  /// replaced (ReplaceLearner), after which versions start again from 1.
  uint64_t version = 0;
};

/// Told of every change another process commits (see LearnerStore::WatchChanges). Runs on the
/// store's watch thread, one change at a time; it must be cheap and must not call the store.
using ChangeListener = std::function<void(const StoreChange&)>;

/// The state of a background job.
enum class JobStatus : int {
  kQueued = 1,
  kRunning = 2,
  kSucceeded = 3,
  kFailed = 4,
  kCancelled = 5,
};

/// "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED".
std::string_view JobStatusName(JobStatus status);

/// A background job (for example fitting a model from the tenant's stored events).
struct JobRecord {
  std::string job_id;  ///< non-empty, unique per tenant; chosen by the caller
  std::string kind;    ///< what the job does, e.g. "fit"
  JobStatus status = JobStatus::kQueued;
  double progress = 0.0;             ///< in [0, 1]
  std::string params_json;           ///< the request that started the job, opaque to the store
  std::string result_model_name;     ///< set when a job produced a model (see PutModel)
  int64_t result_model_version = 0;  ///< 0 when no model was produced
  std::string error_message;         ///< why a job failed; empty otherwise
  TimestampMs created_ms = 0;        ///< supplied by the caller (the store reads no clock)
  TimestampMs updated_ms = 0;
  /// Who runs the job (a replica id, see ClaimJob); empty while no one has claimed it.
  std::string owner;
  /// Until when the owner's claim holds (ms, the caller's clock); 0 while unclaimed. Once it is
  /// past, another process may claim the RUNNING job (its owner is presumed dead).
  TimestampMs lease_expires_ms = 0;
};

/// Durable storage of everything the service keeps per tenant. Every call names its tenant; data of
/// one tenant is never visible through another tenant's id. Tenants need no registration: a tenant
/// exists once something has been stored for it, and reads of an unknown tenant behave as reads of
/// an empty one (NotFound for named things, empty lists otherwise).
///
/// Writes are atomic and durable when they return OK: a write that returns an error changed
/// nothing, and a write that returned OK survives a crash of the process (for SqliteStore, also
/// kill -9 and, with synchronous=FULL, power loss as far as the disk honours fsync).
///
/// Recording events: the caller computes the learners' new states (with the core MasteryTracker)
/// and hands events and states to CommitEvents, which stores both in one transaction. So that the
/// states describe exactly the events that were stored, the caller should, for each learner:
///   1. hold its own per-learner lock (the store does not serialize a read-compute-write cycle),
///   2. know the learner's version (from GetLearner, ForEachLearner at start-up, or the
///      CommitResult of its previous commit) and which of the new events are already stored
///      (FindRecordedEvents, or its own memory of the ids it committed since start-up),
///   3. compute the states from the events that are not stored yet,
///   4. commit with LearnerUpdate::expected_version set: if the version still matches, the events
///      the store finds to be duplicates are exactly those the caller found, and otherwise the
///      batch fails with Aborted, so a missed lock or a second server cannot silently corrupt
///      state,
///   5. apply the states to its in-memory tracker only after CommitEvents returned OK.
///
/// Thread safety: every method may be called concurrently from any thread. Concurrent writes are
/// serialized by the store (SqliteStore commits concurrent writes together, see sqlite_store.h);
/// a read sees every write that returned before the read started.
///
/// Errors common to every method: InvalidArgument for an empty tenant id or another malformed
/// argument (the message names the field, e.g. "events[3].outcome"); Unavailable when the store is
/// closed or the database is busy or out of space; Internal for other database failures (the
/// message carries the database's own); FailedPrecondition when the database file is corrupt;
/// DataLoss when a stored row read fails its checksum or does not decode (naming tenant, learner
/// and row), and for every call once CheckIntegrity found damage: damaged data is never served.
///
/// Example:
///
///     std::unique_ptr<pathwise::store::LearnerStore> store = ...;  // SqliteStore::Open(...)
///     pathwise::store::EventBatch batch;
///     batch.tenant_id = "acme";
///     batch.events.push_back({"e1", "ann", "fractions.add.1", 1.0, 1700000000000});
///     batch.learners.push_back({"ann", /*expected_version=*/0, updated_states});
///     pathwise::Result<pathwise::store::CommitResult> done = store->CommitEvents(batch);
///     if (!done.ok()) return done.status();  // nothing was stored
///
/// No method has default arguments: pass kLatestVersion, after_sequence 0, after_learner_id "" and
/// limit 0 for "latest", "from the start" and "all".
///
/// Implementing a store: the public methods are not virtual. Each checks its arguments and that
/// the store is open, in one place for every store, and only then calls the private virtual Do*
/// method of the same name, which a store overrides. So every store rejects the same input with
/// the same message, and an implementation sees only arguments that passed those checks.
class LearnerStore {
 public:
  virtual ~LearnerStore() = default;
  LearnerStore(const LearnerStore&) = delete;
  LearnerStore& operator=(const LearnerStore&) = delete;

  // ---- Curriculum -------------------------------------------------------------------------------

  /// Stores a new version of the tenant's graph and returns its version number (1, 2, ...). The
  /// text is stored as is: the caller validates it. InvalidArgument for empty text.
  Result<int64_t> PutGraph(std::string_view tenant_id, std::string_view graph_json);

  /// The given version of the tenant's graph, or the latest with kLatestVersion. NotFound when the
  /// tenant has no graph or not that version.
  Result<GraphVersion> GetGraph(std::string_view tenant_id, int64_t version);

  /// Stores a new version of the named model and returns its version (1, 2, ... per name).
  /// InvalidArgument for an empty name or empty text.
  Result<int64_t> PutModel(std::string_view tenant_id, std::string_view name,
                           std::string_view model_json);

  /// The given version of the named model, or its latest with kLatestVersion. NotFound when there
  /// is no such model or version.
  Result<ModelVersion> GetModel(std::string_view tenant_id, std::string_view name, int64_t version);

  /// The latest version of every model of the tenant, sorted by name, with model_json left empty.
  Result<std::vector<ModelVersion>> ListModels(std::string_view tenant_id);

  /// Stores a new version of the tenant's roster (the app's encoding of its classes and their
  /// learners) and returns its version (1, 2, ...), as PutGraph. InvalidArgument for empty text.
  Result<int64_t> PutRoster(std::string_view tenant_id, std::string_view roster_json);

  /// The given version of the tenant's roster, or the latest with kLatestVersion. NotFound when
  /// the tenant has no roster or not that version.
  Result<RosterVersion> GetRoster(std::string_view tenant_id, int64_t version);

  // ---- Events and learner state -----------------------------------------------------------------

  /// Stores the events that are not duplicates and writes the learners' states, all in one
  /// transaction; returns only after the transaction is durable. Nothing is stored when it returns
  /// an error. See the class comment for how to compute states that match.
  ///
  /// InvalidArgument (naming the field, e.g. "events[2].outcome") when: the batch has no events and
  /// no states; a learner or activity id is empty; an outcome is NaN or outside [0, 1]; a state has
  /// an empty competency id, a p_learned that is NaN or outside [0, 1], or repeats a competency id;
  /// a policy state has an empty policy name or repeats one;
  /// an event's learner has no entry in `learners`; a learner id appears twice in `learners`.
  /// Aborted when a learner's expected_version does not match its stored version.
  Result<CommitResult> CommitEvents(const EventBatch& batch);

  /// For each of `event_ids`, whether (tenant, learner, event_id) is stored. Empty ids are never
  /// stored (false). Unknown tenants and learners give all false.
  Result<std::vector<bool>> FindRecordedEvents(std::string_view tenant_id,
                                               std::string_view learner_id,
                                               const std::vector<std::string>& event_ids);

  /// A learner's version, stored states, policy states and last event's sequence, read in one
  /// consistent moment. NotFound for a learner not stored for this tenant.
  Result<StoredLearner> GetLearner(std::string_view tenant_id, std::string_view learner_id);

  /// Calls `visitor` once per stored learner of the tenant (sorted by learner id) with its state,
  /// from one consistent snapshot: the fast way to rebuild in-memory trackers at start-up without
  /// replaying events. Stops at, and returns, the first non-OK status the visitor returns.
  Status ForEachLearner(std::string_view tenant_id,
                        const std::function<Status(const StoredLearner&)>& visitor);

  /// A learner's events with sequence > after_sequence, in sequence order, at most `limit` of them
  /// (0: no limit). Page with after_sequence = the last sequence returned. NotFound for a learner
  /// not stored for this tenant.
  Result<std::vector<StoredObservation>> ListEvents(std::string_view tenant_id,
                                                    std::string_view learner_id,
                                                    int64_t after_sequence, size_t limit);

  /// Ids of the tenant's stored learners greater than after_learner_id, sorted, at most `limit`
  /// (0: no limit). Page with after_learner_id = the last id returned.
  Result<std::vector<std::string>> ListLearners(std::string_view tenant_id,
                                                std::string_view after_learner_id, size_t limit);

  /// Records under what the tenant's stored learner states were derived (their "state origin"):
  /// a text chosen by the caller and opaque to the store (pathwised's tenant writes its graph and
  /// active model versions and the settings that shape the states). A caller writes it after it
  /// has brought every learner's states in line with that origin, and clears it (empty text)
  /// before it starts rewriting them, so that a crash halfway leaves no origin that the states do
  /// not all match. Overwrites the tenant's previous origin. Clearing never creates a tenant.
  Status PutStateOrigin(std::string_view tenant_id, std::string_view origin);

  /// The tenant's state origin last put, or empty when none is stored (never put, or cleared).
  Result<std::string> GetStateOrigin(std::string_view tenant_id);

  /// Deletes a learner for good: its events (including their ids, so a re-sent old event is then
  /// recorded again), its states and its policy states. NotFound for a learner not stored for this
  /// tenant.
  Status DeleteLearner(std::string_view tenant_id, std::string_view learner_id);

  /// Replaces one learner's stored history in one transaction: the learner as stored (events and
  /// their ids, states, policy states) is deleted and `batch` is committed as if the learner were
  /// new, so that the learner is either as before or as `batch` says, never in between. For
  /// removing some of a learner's events (a voided xAPI statement): the caller re-derives the
  /// states of the events it keeps and passes those events and states. `batch` holds exactly one
  /// learner (InvalidArgument otherwise) and is checked as CommitEvents checks it; its
  /// expected_version, when set, is compared with the version stored before the replacement
  /// (Aborted). A learner not stored is simply committed.
  Result<CommitResult> ReplaceLearner(const EventBatch& batch);

  /// Ids of the tenants that have anything stored, sorted.
  Result<std::vector<std::string>> ListTenants();

  // ---- Background jobs --------------------------------------------------------------------------

  /// Stores a new job. InvalidArgument for an empty job id, a progress outside [0, 1] or NaN, or an
  /// unknown status; AlreadyExists when the tenant already has a job with this id.
  Status CreateJob(std::string_view tenant_id, const JobRecord& job);

  /// Overwrites a stored job (found by job.job_id). Same InvalidArgument cases as CreateJob;
  /// NotFound when the tenant has no job with this id.
  Status UpdateJob(std::string_view tenant_id, const JobRecord& job);

  /// NotFound when the tenant has no job with this id.
  Result<JobRecord> GetJob(std::string_view tenant_id, std::string_view job_id);

  /// All jobs of the tenant, oldest first (by created_ms, then job id).
  Result<std::vector<JobRecord>> ListJobs(std::string_view tenant_id);

  /// Atomically makes `owner` the job's runner: a QUEUED job, a RUNNING one whose lease expired
  /// (lease_expires_ms <= now_ms: its owner is presumed dead) or one `owner` already holds becomes
  /// RUNNING, owned by `owner` until `lease_until_ms`, updated at now_ms; the claimed record is
  /// returned. std::nullopt, changing nothing, when another owner's lease is live or the job has
  /// finished. Of processes claiming one job at once, one gets it. InvalidArgument for an empty
  /// owner or a lease_until_ms not after now_ms; NotFound for an unknown job.
  Result<std::optional<JobRecord>> ClaimJob(std::string_view tenant_id, std::string_view job_id,
                                            std::string_view owner, TimestampMs now_ms,
                                            TimestampMs lease_until_ms);

  /// Overwrites the job (as UpdateJob) only while it is stored RUNNING and owned by job.owner:
  /// how its owner renews the lease (a later lease_expires_ms), reports progress and stores its
  /// end state. false, changing nothing, once the owner lost the job (its lease expired and
  /// another process claimed it, or it was cancelled in the store). InvalidArgument as UpdateJob
  /// and for an empty owner; NotFound for an unknown job.
  Result<bool> UpdateClaimedJob(std::string_view tenant_id, const JobRecord& job);

  // ---- Changes by other processes ---------------------------------------------------------------

  /// Starts telling `listener` of the changes that other processes (other pathwised replicas on
  /// the same database) commit from now on; an empty listener stops the watch, waiting for a call
  /// of the previous listener in progress. Changes this store object commits itself are not
  /// reported. Returns once the watch is in place: a change committed by another process after
  /// WatchChanges returned is reported, normally within milliseconds of its commit (and only if it
  /// commits). When the watch loses its connection it reconnects and reports kUnknown, since
  /// changes may have been missed meanwhile. Stores that only one process can open (memory,
  /// SQLite, whose directory lock keeps a second process out) have no one else to hear and never
  /// call the listener. Unavailable when the watch cannot be set up. Call before the store is
  /// shared between threads, or from one thread at a time.
  Status WatchChanges(ChangeListener listener);

  // ---- Integrity --------------------------------------------------------------------------------

  /// Checks the whole database for damage: OK when it is sound, DataLoss describing the damage
  /// otherwise, after which every call of this store returns that DataLoss (so nothing more is
  /// served from a damaged database; restart on a restored backup). Runs on a read snapshot,
  /// alongside other calls; it reads the whole database, so it takes seconds per GiB. What is
  /// checked is the store's: SqliteStore runs SQLite's quick_check or integrity_check and checks
  /// every row checksum (SqliteStoreOptions::integrity_check), and the first check that passes
  /// gives the rows written before their table had a checksum one (the check's only write); the
  /// memory store has nothing to check, and PostgreSQL verifies its own pages on every read when
  /// its cluster has data checksums (initdb --data-checksums), so PostgresStore returns OK.
  Status CheckIntegrity();

  // ---- Lifecycle --------------------------------------------------------------------------------

  /// Finishes the writes in flight, then releases the database. Every later call returns
  /// Unavailable. Idempotent; the destructor calls it.
  Status Close();

  /// Sets what CommitEvents reports to (none by default). Call before the store is shared between
  /// threads.
  void SetCommitObserver(CommitObserver observer) { commit_observer_ = std::move(observer); }

  /// Sets who is told of damage (none by default): pathwised checks the whole store at once when a
  /// call meets damage, rather than at its next scheduled check. Call before the store is shared
  /// between threads.
  void SetDamageObserver(DamageObserver observer) { damage_observer_ = std::move(observer); }

 protected:
  LearnerStore() = default;

 private:
  // What each database implements. The public methods above have already checked every argument
  // their comments call InvalidArgument (the same checks and messages for every store) and that
  // the store is not closed, so an implementation checks neither again. An implementation still
  // refuses work it can no longer do once DoClose has begun (a call that passed the closed check
  // just before Close), with internal::StoreClosed().
  virtual Result<int64_t> DoPutGraph(std::string_view tenant_id, std::string_view graph_json) = 0;
  virtual Result<GraphVersion> DoGetGraph(std::string_view tenant_id, int64_t version) = 0;
  virtual Result<int64_t> DoPutModel(std::string_view tenant_id, std::string_view name,
                                     std::string_view model_json) = 0;
  virtual Result<ModelVersion> DoGetModel(std::string_view tenant_id, std::string_view name,
                                          int64_t version) = 0;
  virtual Result<std::vector<ModelVersion>> DoListModels(std::string_view tenant_id) = 0;
  virtual Result<int64_t> DoPutRoster(std::string_view tenant_id, std::string_view roster_json) = 0;
  virtual Result<RosterVersion> DoGetRoster(std::string_view tenant_id, int64_t version) = 0;
  /// `learner_of_event[i]` is the index into batch.learners of batch.events[i]'s learner.
  virtual Result<CommitResult> DoCommitEvents(const EventBatch& batch,
                                              const std::vector<size_t>& learner_of_event) = 0;
  virtual Result<std::vector<bool>> DoFindRecordedEvents(
      std::string_view tenant_id, std::string_view learner_id,
      const std::vector<std::string>& event_ids) = 0;
  virtual Result<StoredLearner> DoGetLearner(std::string_view tenant_id,
                                             std::string_view learner_id) = 0;
  virtual Status DoForEachLearner(std::string_view tenant_id,
                                  const std::function<Status(const StoredLearner&)>& visitor) = 0;
  virtual Result<std::vector<StoredObservation>> DoListEvents(std::string_view tenant_id,
                                                              std::string_view learner_id,
                                                              int64_t after_sequence,
                                                              size_t limit) = 0;
  virtual Result<std::vector<std::string>> DoListLearners(std::string_view tenant_id,
                                                          std::string_view after_learner_id,
                                                          size_t limit) = 0;
  virtual Status DoPutStateOrigin(std::string_view tenant_id, std::string_view origin) = 0;
  virtual Result<std::string> DoGetStateOrigin(std::string_view tenant_id) = 0;
  virtual Status DoDeleteLearner(std::string_view tenant_id, std::string_view learner_id) = 0;
  /// `fresh` is the caller's batch with its learner's expected_version 0 (checked as "new" after
  /// the delete); `update` is the caller's own learner entry, whose expected_version is checked
  /// against the stored version first. All in one transaction.
  virtual Result<CommitResult> DoReplaceLearner(const LearnerUpdate& update,
                                                const EventBatch& fresh,
                                                const std::vector<size_t>& learner_of_event) = 0;
  virtual Result<std::vector<std::string>> DoListTenants() = 0;
  virtual Status DoCreateJob(std::string_view tenant_id, const JobRecord& job) = 0;
  virtual Status DoUpdateJob(std::string_view tenant_id, const JobRecord& job) = 0;
  virtual Result<JobRecord> DoGetJob(std::string_view tenant_id, std::string_view job_id) = 0;
  virtual Result<std::vector<JobRecord>> DoListJobs(std::string_view tenant_id) = 0;
  virtual Result<std::optional<JobRecord>> DoClaimJob(std::string_view tenant_id,
                                                      std::string_view job_id,
                                                      std::string_view owner, TimestampMs now_ms,
                                                      TimestampMs lease_until_ms) = 0;
  virtual Result<bool> DoUpdateClaimedJob(std::string_view tenant_id, const JobRecord& job) = 0;
  /// An empty listener stops the watch. The store's Close stops it too.
  virtual Status DoWatchChanges(ChangeListener listener) = 0;
  /// See CheckIntegrity; OK by default (nothing to check).
  virtual Status DoCheckIntegrity() { return Status::Ok(); }
  /// Called once, by the first Close (later calls return OK without calling it): finishes the
  /// calls in flight and releases the database. A store's destructor calls Close(), since by the
  /// time ~LearnerStore runs the store's own members are gone.
  virtual Status DoClose() = 0;

  // Unavailable once closed, the damage found once damaged, else OK.
  Status CheckUsable() const;

  // `result`, after telling the damage observer when it is DataLoss.
  Status NoticeDamage(Status result) const {
    if (result.code() == StatusCode::kDataLoss && damage_observer_) damage_observer_(result);
    return result;
  }
  template <typename T>
  Result<T> NoticeDamage(Result<T> result) const {
    if (!result.ok()) (void)NoticeDamage(result.status());
    return result;
  }

  // Set by the first Close. Calls that start later fail without reaching the implementation.
  std::atomic<bool> closed_{false};
  // Set when CheckIntegrity found damage; damage_ (under damage_mu_) says what.
  std::atomic<bool> damaged_{false};
  mutable std::mutex damage_mu_;
  Status damage_;
  CommitObserver commit_observer_;
  DamageObserver damage_observer_;
};

}  // namespace pathwise::store

#endif  // PATHWISE_STORE_LEARNER_STORE_H_
