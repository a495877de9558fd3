// One tenant's live state in pathwised: its curriculum (graph, active model and the engine built
// from them), its learners' mastery, and the rules that keep that state and the store in step.
#ifndef PATHWISE_APP_TENANT_H_
#define PATHWISE_APP_TENANT_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/io/oneroster_import.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "app/calls.h"
#include "app/event_id_filter.h"
#include "app/limits.h"
#include "store/learner_store.h"

namespace pathwise::app {

/// The model name whose latest version the server uses for mastery, recommendations and plans.
inline constexpr std::string_view kActiveModelName = "active";

/// What a tenant serves at one moment. Replaced as a whole (never edited) when the graph or the
/// active model changes; the engine's tracker is the only part that changes in place.
struct Curriculum {
  int64_t graph_version = 0;  ///< 0: the tenant has no graph yet (then engine is null)
  int64_t model_version = 0;  ///< of the active model; 0: none stored (library defaults)
  /// Distinct for every curriculum a tenant builds: a learner's slot records the one whose engine
  /// holds its memory, so that a reader still holding the previous curriculum cannot make a
  /// learner look loaded into the next one.
  uint64_t generation = 0;
  BktModel model;
  /// The library's engine: its tracker holds the learners' mastery, and its policies (every kind,
  /// with the server's recommender options) hold their per-learner state, fed by Engine::Record.
  /// The service recommends and plans through it alone, so it serves exactly what the library does.
  std::unique_ptr<Engine> engine;
  /// Competency id -> position in the graph (= in LearnerMastery).
  std::unordered_map<std::string, size_t> competency_index;
  /// Whether a learner's stored states may be restored as stored when the learner is loaded (the
  /// store's state origin named this curriculum and the tenant's settings when it was published).
  /// Otherwise a learner is loaded by replaying its events. Set before the curriculum is published.
  bool states_restorable = false;

  bool has_graph() const { return engine != nullptr; }
};

/// What Record did.
struct RecordOutcome {
  uint64_t recorded = 0;
  std::vector<uint32_t> duplicate_indices;  ///< ascending
  /// With want_mastery: per learner of the batch (sorted by id), the competencies the batch changed
  /// (sorted by id).
  std::vector<LearnerMastery> changed;
};

/// A learner's mastery, with the versions it was computed under.
struct MasteryView {
  LearnerMastery mastery;
  std::vector<GroupMastery> groups;
  int64_t graph_version = 0;
  int64_t model_version = 0;
  /// The learner's pace (MasteryTracker::Pace); absent for a learner without events.
  std::optional<LearnerFactors> pace;
};

struct RecommendView {
  std::vector<Recommendation> recommendations;
  int64_t graph_version = 0;
  int64_t model_version = 0;
};

struct PlanView {
  Pathway pathway;
  int64_t graph_version = 0;
  int64_t model_version = 0;
};

struct PutGraphOutcome {
  int64_t version = 0;
  size_t competencies = 0, prerequisites = 0, activities = 0, groups = 0;
  uint64_t learners_rescored = 0;
};

struct PutModelOutcome {
  int64_t version = 0;
  bool active = false;
  uint64_t learners_rescored = 0;
};

/// How the last Load brought the learners into memory.
struct LoadReport {
  /// True: from their stored states (the fast path: the store's state origin matched the
  /// curriculum and settings). The tenant serves as soon as the curriculum is read; the learners
  /// are restored by a background warm-up, and a call that needs a learner before the warm-up
  /// reached it loads that learner first. False: by replaying their events (the recovery path,
  /// before Load returns), after which the states are rewritten and the origin put.
  bool from_states = false;
  /// Learners brought into memory: by the replay, or (from states) by the warm-up so far, learners
  /// that calls loaded first not counted.
  uint64_t learners = 0;
  /// From states: learners whose stored states could not be restored exactly (stored before the
  /// odds were, a policy state this build does not read), replayed from their events and their
  /// states rewritten, so that the next start restores them.
  uint64_t replayed = 0;
  /// From states: whether the warm-up has restored every stored learner, and how long it took
  /// (seconds from Load's start).
  bool warm_up_complete = false;
  double warm_up_seconds = 0.0;
};

/// What Record would do with a batch, found without changing anything (a dry run).
struct RecordPreview {
  uint64_t new_events = 0;                ///< events that are not stored yet
  uint64_t duplicates = 0;                ///< events already stored for their learner
  std::vector<std::string> new_learners;  ///< learners the batch would create, sorted
};

/// One stored event that VoidEvents removed (or, in a dry run, would remove).
struct VoidedEvent {
  std::string learner_id;
  std::string event_id;
};

struct VoidOutcome {
  std::vector<VoidedEvent> removed;    ///< sorted by learner, then event id
  std::vector<std::string> not_found;  ///< ids no learner of the tenant has, in the order given
  uint64_t learners_rescored = 0;      ///< learners re-derived from their remaining events
};

/// Everything stored about a learner as of one moment, read a page at a time
/// (Tenant::ExportLearner). The state and the sequence of the learner's last event are read
/// together under the learner's lock; the events up to that sequence are then read from the store
/// page by page without it, so that a slow reader holds neither the learner's lock nor its whole
/// history, and events recorded meanwhile are not part of the export. Not thread-safe; the Tenant
/// must outlive it.
class LearnerExport {
 public:
  /// The learner's version, states and policy states, and last_event_sequence, the export's end.
  const store::StoredLearner& state() const { return state_; }

  /// The next at most `limit` (> 0) events in sequence (commit) order; empty once every event of
  /// the export was returned. Aborted when the learner was deleted or its history rewritten
  /// (voided events) since the export began: the events the state was derived from are gone, so
  /// the export cannot be finished consistently; export again. Store errors as ListEvents.
  Result<std::vector<store::StoredObservation>> NextEvents(size_t limit);

  /// Every event not returned yet, as repeated NextEvents calls would (for in-process callers
  /// that need the whole history anyway).
  Result<std::vector<store::StoredObservation>> RemainingEvents();

 private:
  friend class Tenant;
  Status Rewritten() const;

  store::LearnerStore* store_ = nullptr;
  std::string tenant_id_;
  store::StoredLearner state_;
  // The learner slot's count of history rewrites, and its value when the export began.
  const std::atomic<uint64_t>* rewrites_ = nullptr;
  uint64_t rewrites_at_start_ = 0;
  int64_t after_sequence_ = 0;  // the last sequence returned
};

/// One tenant. Mastery is a function of the stored events and the current graph and active model:
/// events are applied per learner in commit order; putting a graph or an active model re-derives
/// every learner's mastery from their events (and rewrites the stored states that changed, with
/// each competency's recent answers). The same holds for the policies' per-learner state (zpdes)
/// and the learners' individual pace: it is committed with the events that
/// produced it (store::PolicyState), re-derived and rewritten where it differs on Load and on a new
/// curriculum, and restored from the store when a learner is reloaded.
///
/// Recording (the store's protocol, learner_store.h): under a per-learner lock, duplicates are
/// found (a Bloom filter of stored ids rules most events out without a lookup; the rest are looked
/// up), the new events are applied to the engine's tracker, and events plus the changed states are
/// committed in one transaction with each learner's expected version. If the commit fails, the
/// learners of the batch are reloaded from the store, so memory never runs ahead of the store.
/// Reads of a learner take the same lock, so they never see an uncommitted event.
///
/// Replicas (several servers on one store, see README "Running replicas"): a commit made with a
/// learner's version that another replica has moved on fails with Aborted and changes nothing;
/// Record then reloads the batch's learners from the store (which also teaches the event-id
/// filter their stored ids, so an event recorded through another replica is found a duplicate)
/// and computes and commits again, up to kMaxRecordAttempts times. So a write never builds on
/// stale state. Reads are kept fresh by the store's announcements (LearnerStore::WatchChanges,
/// routed here by TenantRegistry): NoteLearnerChanged marks a learner for reloading before its
/// next read or write, NoteCurriculumChanged makes the next call re-read the graph, active model
/// and roster (a new graph or model replaces the engine and marks every learner for reloading),
/// and NoteAnythingChanged (a watch that reconnected) does both for every learner. A replica
/// reads its own writes at once and another replica's once the announcement has arrived
/// (normally milliseconds after the commit).
///
/// Lock order: write_mu_ (shared by writers of learners, exclusive while the curriculum is
/// replaced), then learner locks in increasing learner id. Readers take only the learner lock.
///
/// Thread safety: every method may be called concurrently.
///
/// Example:
///
///     Tenant tenant("acme", store, &limits);
///     PATHWISE_RETURN_IF_ERROR(tenant.Load());
///     auto outcome = tenant.Record({{"e1", "ann", "fractions.add.1", 1.0, 1700000000000}}, false);
class Tenant {
 public:
  /// `store` and `limits` must outlive the tenant.
  /// `recommender_options` and `tracker_options` are the tenant's course settings (TenantConfig's
  /// "curriculum"): every curriculum the tenant serves is built with them.
  Tenant(std::string id, store::LearnerStore* store, const ServiceLimits* limits,
         RecommenderOptions recommender_options = {}, TrackerOptions tracker_options = {});
  ~Tenant();
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  const std::string& id() const { return id_; }

  /// How often Record computes and commits a batch whose learners other replicas keep changing
  /// meanwhile, before it gives up with Aborted.
  static constexpr int kMaxRecordAttempts = 10;

  /// Loads the latest graph and active model and every learner's mastery, policy states and pace.
  /// When the store's state origin (LearnerStore::PutStateOrigin) says that the stored states were
  /// derived under exactly this curriculum and these settings, Load returns once the curriculum
  /// and roster are read, without reading a learner: a background warm-up restores every stored
  /// learner's states as stored (MasteryTracker::RestoreLearner), and a call that needs a learner
  /// the warm-up has not reached yet loads that learner from the store first (one row), under the
  /// learner's lock, so every answer is the one a complete restore gives. Calls that need every
  /// learner (VoidEvents, num_learners) list them from the store until the warm-up is done. A
  /// learner whose stored states are not exact (stored without their odds, a policy state this
  /// build does not read) is replayed from its events instead, and its states rewritten. The
  /// event-id filter is filled from the stored ids in the background once the warm-up is done, and
  /// until it is complete every event of a stored learner is looked up in the store, so
  /// idempotency holds from the first call. Otherwise (no origin, a stale one after a crash in the
  /// middle of a rebuild, other settings, or states stored by an older revision) every
  /// learner is rebuilt by replaying the stored events before Load returns, the stored states that
  /// differ are rewritten, and the origin is put. FailedPrecondition when the stored graph or model
  /// no longer validates; store errors as they come.
  Status Load();

  /// Blocks until the warm-up started by a Load from states has restored every stored learner,
  /// or has stopped (a new curriculum, shutdown, a store error). Returns at once when none runs.
  void WaitForWarmUp();
  /// Holds the warm-up before its next learner while paused (for tests: learners it has not
  /// reached stay unloaded until a call needs them). Call before Load to hold it from the start.
  void PauseWarmUpForTesting(bool paused);
  /// Stops the background threads (the warm-up, the filling of the event-id filter) and waits for
  /// them; learners the warm-up did not reach are loaded by the calls that need them. For a
  /// server shutting down, before the store closes.
  void StopBackgroundWork();

  /// What the last Load did.
  LoadReport last_load() const;

  /// Whether the event-id filter holds every stored event id (false while the background thread
  /// started by a Load from states is filling it; lookups go to the store meanwhile).
  bool event_filter_complete() const;

  /// The current curriculum (never null).
  std::shared_ptr<const Curriculum> curriculum() const;

  /// Stores `definition` (already validated) as the next graph version and re-derives every
  /// learner. Aborted when expected_version is set and differs from the latest version;
  /// InvalidArgument when the active model does not fit the graph; store errors.
  Result<PutGraphOutcome> PutGraph(const GraphDefinition& definition,
                                   std::optional<int64_t> expected_version);
  /// The definition and version of a stored graph (0: the latest). NotFound when there is none.
  Result<std::pair<int64_t, GraphDefinition>> GetGraph(int64_t version) const;

  /// Stores a model version under `name`; the name kActiveModelName also makes it the model in use
  /// and re-derives every learner. InvalidArgument when an active model does not fit the graph.
  Result<PutModelOutcome> PutModel(const std::string& name, const BktModel& model);
  /// A stored model version (0: the latest). NotFound when there is none.
  Result<std::pair<int64_t, BktModel>> GetModel(const std::string& name, int64_t version) const;

  /// Records validated events (ids, outcomes and timestamps checked, as the service's
  /// EventsFromProto does). FailedPrecondition without a graph; NotFound
  /// naming "events[i].activity_id" for an activity the graph lacks; Unavailable / Internal /
  /// Aborted from the store (nothing is recorded then).
  Result<RecordOutcome> Record(std::vector<Observation> events, bool want_mastery);

  /// Mastery of all competencies (`competency_ids` empty) or of the ones named, in that order.
  /// NotFound for an unknown learner or competency ("competency_ids[i]: ...").
  Result<MasteryView> Mastery(const std::string& learner_id,
                              const std::vector<std::string>& competency_ids, bool include_groups);

  /// FailedPrecondition without a graph; NotFound for an unknown learner only when the call
  /// requires a known learner (otherwise cold start: the population-level recommendation, for an
  /// id never seen and another tenant's id alike); the policy's errors otherwise.
  Result<RecommendView> Recommend(const RecommendCall& call);
  Result<PlanView> Plan(const PlanCall& call);

  /// What Record(events) would record, without recording: which events are new, which are stored
  /// already, which learners are new. Events are checked as by Record's caller.
  Result<RecordPreview> PreviewRecord(const std::vector<Observation>& events);

  /// Removes the stored events with these ids (of whichever learner holds them: an xAPI voiding
  /// statement names the voided statement, not its learner) and re-derives each affected
  /// learner's mastery and policy states by replaying the remaining events, as a new graph does.
  /// With dry_run, only finds them. A learner left without events is deleted.
  ///
  /// Atomic per learner: the store replaces the learner's history with its remaining events (same
  /// order, new sequence numbers) and their states in one transaction (LearnerStore::
  /// ReplaceLearner); a failure leaves that learner as stored before and names it. Learners are
  /// handled one after another: an error stops the call after the learners already done.
  Result<VoidOutcome> VoidEvents(const std::vector<std::string>& event_ids, bool dry_run);

  /// The tenant's OneRoster roster (classes and their learners), null when none was imported.
  std::shared_ptr<const Roster> roster() const;
  /// Stores the roster as the tenant's next roster version (Load reads the latest back) and
  /// serves it from then on; returns whether one was replaced. Store errors as they come.
  Result<bool> PutRoster(Roster roster);

  /// The course settings the tenant's recommender runs with (TenantConfig's "curriculum").
  const RecommenderOptions& recommender_options() const { return recommender_options_; }

  /// Counts one open streaming call of the tenant while it lives (see OpenStream).
  class StreamSlot {
   public:
    explicit StreamSlot(std::atomic<int64_t>* open) : open_(open) {}
    ~StreamSlot() {
      if (open_ != nullptr) open_->fetch_sub(1, std::memory_order_relaxed);
    }
    StreamSlot(StreamSlot&& other) noexcept : open_(other.open_) { other.open_ = nullptr; }
    StreamSlot(const StreamSlot&) = delete;
    StreamSlot& operator=(const StreamSlot&) = delete;
    StreamSlot& operator=(StreamSlot&&) = delete;

   private:
    std::atomic<int64_t>* open_;
  };
  /// A slot for one more streaming call (StreamEvents, ExportLearner), held for the call's life.
  /// ResourceExhausted when the tenant already has limits.max_streams_per_tenant open.
  Result<StreamSlot> OpenStream();

  /// Begins an export of what is stored of the learner: holds the learner's lock only to read its
  /// state and the end of its history. NotFound for an unknown learner.
  Result<LearnerExport> ExportLearner(const std::string& learner_id);
  /// Deletes a learner's events and state from the store and from memory. NotFound when unknown.
  Status DeleteLearner(const std::string& learner_id);

  /// The tenant's stored events as a response log for fitting: one row per (event, competency its
  /// activity practises in the current graph), a learner's rows in commit order, correct when the
  /// outcome is >= 0.5. Events of activities the graph no longer has are skipped.
  /// FailedPrecondition without a graph.
  Result<ResponseLog> CollectResponseLog() const;

  size_t num_learners() const;

  /// Gives back the spare room the learners' state in memory took while it grew by recording
  /// (Engine::CompactMemory): a server that recorded its learners' events since it started holds
  /// 47 bytes per practised competency where one restored from stored states holds 39
  /// (bench/README.md), and this brings it to the restored level. Changes no answer; holds a
  /// lock for at most 128 learners at a time, so it runs beside traffic. TenantRegistry calls it
  /// every memory_compaction_interval_seconds, and a rebuild (a start by replay, a new graph or
  /// active model) does before it serves. Returns the bytes released.
  size_t CompactMemory();

  /// Told (by the store's watch, through TenantRegistry) that another replica changed a learner,
  /// the curriculum (graph, models, roster), or possibly anything. Cheap and never waits for a
  /// learner or the store: the reload happens on the next call that needs it.
  void NoteLearnerChanged(const std::string& learner_id);
  void NoteCurriculumChanged();
  void NoteAnythingChanged();

  /// Brings the curriculum and roster in line with the store when another replica announced a
  /// change (every call that serves a learner does this first). Store errors as they come.
  Status CatchUp();

 private:
  struct LearnerSlot {
    std::mutex mu;
    bool stored = false;   // the store has this learner
    bool stale = false;    // memory may differ from the store: reload before use
    uint64_t version = 0;  // the store's version of the learner (when stored)
    // Changes of this learner that other replicas announced (counted without the lock, by the
    // store's watch), and how many of them had been announced when the last reload started: a
    // change announced during a reload is reloaded again.
    std::atomic<uint64_t> announced{0};
    uint64_t reloaded_announced = 0;
    uint64_t generation = 0;  // of the curriculum whose engine holds this learner's memory
    // Deletions and replacements of the learner's stored history, counted before each starts (so
    // an export that may have read a page of the new history sees the count move): an export in
    // progress fails rather than mix two histories (LearnerExport::NextEvents).
    std::atomic<uint64_t> rewrites{0};

    // Whether the learner must be reloaded before `current` serves it. REQUIRES: mu.
    bool NeedsReload(const Curriculum& current) const {
      return stale || generation != current.generation ||
             announced.load(std::memory_order_acquire) != reloaded_announced;
    }
  };

  LearnerSlot* FindSlot(std::string_view learner_id) const;
  LearnerSlot* GetOrCreateSlot(const std::string& learner_id);

  // The learner's slot; while the stored learners are not all listed (warm-up running), a slot
  // that loads the learner from the store on first use when the tenant has none yet.
  LearnerSlot* FindSlotToLoad(const std::string& learner_id);
  // Gives every stored learner a slot (listing them from the store) unless that is done already.
  Status EnsureAllListed();
  // Gives every stored learner a slot, listing them from the store even when that was done.
  Status ListAllLearners();
  // Calls visit with the ids of the stored learners, a page of kLearnerPage at a time.
  Status ForEachStoredLearnerPage(
      const std::function<void(const std::vector<std::string>&)>& visit) const;

  // Replaces the engine's memory of one learner by what the store holds (its stored states when
  // curriculum.states_restorable and they are exact, else a replay of its events), and refreshes
  // the slot. REQUIRES: the slot's lock.
  Status ReloadLearnerLocked(const Curriculum& curriculum, const std::string& learner_id,
                             LearnerSlot* slot);
  // Restores the learner's stored states, pace and policy states into the engine exactly as
  // stored. False, with the learner removed from the engine, when one of them cannot be restored
  // exactly (then only a replay gives what an uninterrupted server would serve).
  bool RestoreStoredStates(const Curriculum& curriculum, const store::StoredLearner& learner);
  // The learner's mastery, reloading it first when stale. NotFound for an unknown learner unless
  // allow_new. REQUIRES: curriculum.has_graph().
  // The learner's mastery, and when asked their groups' and their pace (null: not asked).
  Result<LearnerMastery> ReadMastery(const Curriculum& curriculum, const std::string& learner_id,
                                     bool allow_new, std::vector<GroupMastery>* groups,
                                     std::optional<LearnerFactors>* pace = nullptr);
  // Runs `read` under the learner's lock (reloading it first when stale), so that it never sees an
  // uncommitted event. NotFound for an unknown learner unless allow_new; FailedPrecondition
  // without a graph.
  Status ReadLearner(const Curriculum& curriculum, const std::string& learner_id, bool allow_new,
                     const std::function<Status()>& read);

  // Replaces the learner's stored events by those without `event_ids`, re-deriving its states.
  // REQUIRES: write_mu_ held shared, the slot's lock, slot->stored.
  Status RemoveEventsLocked(const Curriculum& curriculum, const std::string& learner_id,
                            const std::unordered_set<std::string>& event_ids, LearnerSlot* slot);

  // A Record call's events on their way through the steps below (tenant.cc).
  struct PendingBatch;
  // The steps of Record, in order. REQUIRES: write_mu_ held shared; from LockLearners on, the
  // learner locks the batch holds.
  //
  // NotFound naming "events[i].activity_id" for an activity the graph lacks.
  Status CheckActivitiesExist(const PendingBatch& batch) const;
  // Groups the events by learner and locks the learners in increasing id (the lock order),
  // reloading the stale ones.
  Status LockLearners(PendingBatch& batch);
  // Marks the events repeated within the batch or already stored: the event-id filter rules most
  // events out, and the store is asked about the rest.
  Status MarkDuplicates(PendingBatch& batch);
  // Applies the events that are not duplicates to the engine (its tracker and its policies) and
  // collects each learner's changed states for the store. On failure the learners it changed are
  // reloaded.
  Status ApplyNewEvents(PendingBatch& batch);
  // Commits the events and states in one transaction with the learners' expected versions. On
  // failure the learners are reloaded, so memory never runs ahead of the store.
  Result<store::CommitResult> CommitBatch(PendingBatch& batch);
  // Takes the learners' committed versions and returns the duplicates' indices: the store's, with
  // every learner reloaded, in the (protocol-breaking) case that they differ from the batch's.
  std::vector<uint32_t> AdoptCommit(PendingBatch& batch, const store::CommitResult& committed);
  // Adds the recorded events' ids to the event-id filter.
  void RememberEventIds(const PendingBatch& batch);
  // Per learner of the batch (sorted by id), the competencies it changed (sorted by id); moves
  // them out of the batch.
  std::vector<LearnerMastery> ChangedMastery(PendingBatch& batch);
  // Replaces the learners the batch applied events to by what the store holds
  // (ReloadLearnerLocked).
  void ReloadAppliedLearners(PendingBatch& batch);
  // After a commit that another replica's write made fail: every learner of the batch reloaded
  // from the store, and the batch back to where LockLearners left it.
  Status PrepareRetry(PendingBatch& batch);

  Result<std::shared_ptr<Curriculum>> BuildCurriculum(std::optional<CompetencyGraph> graph,
                                                      int64_t graph_version, BktModel model,
                                                      int64_t model_version) const;
  // Replays every stored learner into `next` (fresh tracker), rewrites stored states that differ,
  // refreshes every slot and the event-id filter, then publishes `next`. Returns how many learners
  // were replayed. REQUIRES: write_mu_ held exclusively.
  Result<uint64_t> RebuildLocked(std::shared_ptr<Curriculum> next);
  // Publishes `next` with every stored learner not yet loaded and starts the warm-up that restores
  // the learners' stored states, then fills a new event-id filter. REQUIRES: write_mu_
  // held exclusively, and the store's state origin equal to StateOrigin(*next).
  void StartFromStatesLocked(std::shared_ptr<Curriculum> next);
  // The warm-up's thread: restores every stored learner that no call has loaded yet into
  // `target`, then marks the learners all listed.
  void WarmUp(std::shared_ptr<const Curriculum> target,
              std::chrono::steady_clock::time_point started);
  // Stops the warm-up (if any) and waits for it.
  void StopWarmUp();
  // What the stored states of a tenant serving `curriculum` are derived under: the graph and
  // active model versions, and the settings that shape a learner's states.
  std::string StateOrigin(const Curriculum& curriculum) const;

  // The event-id filter, and whether it holds every stored id yet. Replaced as a whole (with
  // std::atomic_store) under write_mu_ held exclusively; Record uses it under write_mu_ held
  // shared, and a reload (which may run without write_mu_) through std::atomic_load.
  struct SeenEvents {
    explicit SeenEvents(const ServiceLimits& limits)
        : filter(size_t{1} << 16, static_cast<size_t>(limits.max_event_filter_bytes)) {}
    EventIdFilter filter;
    std::atomic<bool> complete{false};
  };
  // Fills `seen` from the store's event ids on a thread of its own, then marks it complete.
  void StartFillingEventFilter(std::shared_ptr<SeenEvents> seen);
  // Stops the filling thread (if any) and waits for it.
  void StopFillingEventFilter();
  void Publish(std::shared_ptr<Curriculum> next);

  const std::string id_;
  store::LearnerStore* const store_;
  const ServiceLimits* const limits_;
  const RecommenderOptions recommender_options_;
  const TrackerOptions tracker_options_;

  mutable std::shared_mutex write_mu_;
  mutable std::mutex curriculum_mu_;  // guards the pointer only
  std::shared_ptr<const Curriculum> curriculum_;

  mutable std::mutex slots_mu_;
  std::unordered_map<std::string, std::unique_ptr<LearnerSlot>> slots_;

  std::shared_ptr<SeenEvents> seen_events_;
  std::thread filler_;
  std::atomic<bool> stop_filling_{false};

  // False while stored learners may lack a slot (from a Load from states until the warm-up, or a
  // call that needs every learner, has listed them all).
  std::atomic<bool> all_listed_{true};
  std::thread warm_up_;
  std::mutex warm_up_mu_;  // guards the three below
  std::condition_variable warm_up_cv_;
  bool warm_up_paused_ = false;
  bool stop_warm_up_ = false;
  bool warm_up_running_ = false;

  // Announcements of other replicas (Note*), and how many of them the curriculum has caught up
  // with; the caught-up counts change under write_mu_ held exclusively.
  mutable std::atomic<uint64_t> curriculum_generations_{0};  // the last generation given out
  std::atomic<uint64_t> curriculum_announced_{0};
  std::atomic<uint64_t> curriculum_caught_up_{0};
  std::atomic<uint64_t> anything_announced_{0};
  uint64_t anything_caught_up_ = 0;

  std::atomic<int64_t> open_streams_{0};  // see OpenStream

  mutable std::mutex load_mu_;
  LoadReport last_load_;

  mutable std::mutex roster_mu_;  // guards the pointer only
  std::shared_ptr<const Roster> roster_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_TENANT_H_
