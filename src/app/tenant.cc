#include "app/tenant.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>

#include "app/log.h"

namespace pathwise::app {
namespace {

// Events read from the store per page, and learners per page, when replaying.
constexpr size_t kEventPage = 10000;
constexpr size_t kLearnerPage = 1000;
// Learners whose rewritten states are committed together during a rebuild.
constexpr size_t kStateFlush = 256;

Status UnknownLearner(std::string_view learner_id) {
  return Status::NotFound("learner '" + std::string(learner_id) + "' not found");
}

Status NoGraph() {
  return Status::FailedPrecondition(
      "the tenant has no graph yet: put one with CurriculumService.PutGraph first");
}

// Every policy kind, for the per-learner states the engine's policies keep (empty for the kinds
// that keep none, which are then not stored).
constexpr PolicyKind kPolicyKinds[] = {PolicyKind::kMastery, PolicyKind::kZpdes,
                                       PolicyKind::kRandom, PolicyKind::kCurriculum};

// A learner's individual pace (MasteryTracker::SavePace) is stored as a policy state under this
// name, which no PolicyKindName takes. Why there: a policy state is the store's one per-learner
// record of opaque, self-versioned bytes, committed in the same transaction as the events that
// produced it and rewritten with them on a rebuild, which is exactly what the pace needs (it is
// derived from those events); the per-competency MasteryEstimate rows have no place for a
// learner-wide value, and a record of its own would change the LearnerStore interface (and every
// store behind it) for one value.
constexpr std::string_view kPaceRecord = "pace";

// The engine's policy states of a learner and its pace, non-empty ones only, sorted by name (as
// the store lists them).
Result<std::vector<store::PolicyState>> SavePolicyStates(const Engine& engine,
                                                         std::string_view learner_id) {
  std::vector<store::PolicyState> out;
  for (PolicyKind kind : kPolicyKinds) {
    PATHWISE_ASSIGN_OR_RETURN(std::string bytes, engine.SaveLearnerState(kind, learner_id));
    if (!bytes.empty()) out.push_back({std::string(PolicyKindName(kind)), std::move(bytes)});
  }
  PATHWISE_ASSIGN_OR_RETURN(std::string pace, engine.tracker().SavePace(learner_id));
  if (!pace.empty()) out.push_back({std::string(kPaceRecord), std::move(pace)});
  std::sort(out.begin(), out.end(), [](const store::PolicyState& a, const store::PolicyState& b) {
    return a.policy < b.policy;
  });
  return out;
}

bool SameDouble(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

// The odds too: a state stored without them (before the store kept them) is rewritten with them,
// so that the next start-up can restore it exactly.
bool SameEstimate(const MasteryEstimate& a, const MasteryEstimate& b) {
  return a.competency_id == b.competency_id && a.p_learned == b.p_learned &&
         SameDouble(a.log_odds, b.log_odds) && SameDouble(a.odds_scale, b.odds_scale) &&
         a.odds_exponent == b.odds_exponent && a.mastered == b.mastered &&
         a.opportunities == b.opportunities && a.last_practiced_ms == b.last_practiced_ms &&
         a.recent_answers == b.recent_answers;
}

// Changes whenever the way states are derived from events changes (the tracker's update, what
// the policies keep): states stored under another revision are rebuilt by replay.
// 2: states carry the recent answers (MasteryEstimate::recent_answers), and the mastery policy
// keeps no answers of its own. 3: the mastery policy keeps the learner's last activity.
constexpr std::string_view kStateRevision = "pathwise-states/3";

// A double exactly, for the state origin.
std::string ExactText(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%a", value);
  return buffer;
}

// The tracker marks a competency never practised with opportunities 0; only practised ones are
// stored.
MasteryEstimate Normalized(MasteryEstimate e) {
  if (e.last_practiced_ms < 0) e.last_practiced_ms = 0;
  return e;
}

// Every stored event of a learner, in sequence order.
Result<std::vector<store::StoredObservation>> ReadAllEvents(store::LearnerStore& store,
                                                            std::string_view tenant_id,
                                                            std::string_view learner_id) {
  std::vector<store::StoredObservation> all;
  int64_t after = 0;
  while (true) {
    PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> page,
                              store.ListEvents(tenant_id, learner_id, after, kEventPage));
    if (page.empty()) break;
    after = page.back().sequence;
    const bool last_page = page.size() < kEventPage;
    if (all.empty()) {
      all = std::move(page);
    } else {
      all.insert(all.end(), std::make_move_iterator(page.begin()),
                 std::make_move_iterator(page.end()));
    }
    if (last_page) break;
  }
  return all;
}

// Replays stored events into the engine, so into its tracker and its policies (as Record would,
// event ids left out: the store keeps idempotency). Events of activities the graph no longer has
// are skipped.
Status Replay(Engine& engine, const std::vector<store::StoredObservation>& events) {
  std::vector<Observation> observations;
  observations.reserve(events.size());
  for (const store::StoredObservation& e : events) {
    if (!engine.tracker().ActivityIndex(e.observation.activity_id).ok()) continue;
    Observation o = e.observation;
    o.event_id.clear();
    observations.push_back(std::move(o));
  }
  if (observations.empty()) return Status::Ok();
  return engine.RecordBatch(observations).status();
}

// Restores one of the learner's stored policy states (or its pace, kept as one) into `engine`.
Status RestorePolicyState(Engine& engine, const std::string& learner,
                          const store::PolicyState& policy) {
  if (policy.policy == kPaceRecord) return engine.tracker().RestorePace(learner, policy.state);
  Result<PolicyKind> kind = ParsePolicyKind(policy.policy);
  if (!kind.ok()) return kind.status();
  return engine.RestoreLearnerState(*kind, learner, policy.state);
}

// Replays a learner's stored events into `engine` (which must not hold the learner) and returns
// the update that brings its stored states and policy states in line (empty when they already
// are).
Result<store::LearnerUpdate> RederiveLearner(Engine& engine, const std::string& learner,
                                             const store::StoredLearner& state,
                                             const std::vector<store::StoredObservation>& events) {
  MasteryTracker& tracker = engine.tracker();
  PATHWISE_RETURN_IF_ERROR(Replay(engine, events));
  // The states the store should hold: every practised competency, and the prior for a stored
  // competency that the replay no longer practises (e.g. its activities left the graph).
  Result<LearnerMastery> replayed_mastery = tracker.Mastery(learner);
  const LearnerMastery mastery =
      replayed_mastery.ok() ? std::move(replayed_mastery).value() : tracker.PriorMastery(learner);
  std::unordered_map<std::string_view, const MasteryEstimate*> stored;
  for (const MasteryEstimate& e : state.competencies) stored.emplace(e.competency_id, &e);
  store::LearnerUpdate update;
  update.learner_id = learner;
  update.expected_version = state.version;
  for (const MasteryEstimate& raw : mastery.competencies) {
    const MasteryEstimate e = Normalized(raw);
    auto it = stored.find(e.competency_id);
    if (e.opportunities == 0 && it == stored.end()) continue;
    if (it != stored.end() && SameEstimate(*it->second, e)) continue;
    update.states.push_back(e);
  }
  // The policies' states likewise: write those that differ, delete those no longer kept.
  PATHWISE_ASSIGN_OR_RETURN(std::vector<store::PolicyState> policies,
                            SavePolicyStates(engine, learner));
  if (policies != state.policy_states) {
    update.policy_states = policies;
    for (const store::PolicyState& stored_policy : state.policy_states) {
      const bool kept = std::any_of(
          policies.begin(), policies.end(),
          [&](const store::PolicyState& p) { return p.policy == stored_policy.policy; });
      if (!kept) update.policy_states.push_back({stored_policy.policy, ""});
    }
  }
  return update;
}

// The roster as the store keeps it: the app's own encoding, versioned by its "format" and
// "version" keys so that a later server can read what an earlier one wrote.
constexpr std::string_view kRosterFormat = "pathwise.roster";

std::string RosterToJson(const Roster& roster) {
  nlohmann::json classes = nlohmann::json::array();
  for (const RosterClass& c : roster.classes) {
    classes.push_back({{"sourced_id", c.sourced_id},
                       {"title", c.title},
                       {"course_sourced_id", c.course_sourced_id},
                       {"school_sourced_id", c.school_sourced_id},
                       {"learners", c.learners},
                       {"teachers", c.teachers}});
  }
  const nlohmann::json out = {{"format", kRosterFormat},
                              {"version", 1},
                              {"classes", classes},
                              {"learners", roster.learners},
                              {"orgs", roster.orgs},
                              {"courses", roster.courses},
                              {"users", roster.users},
                              {"enrollments", roster.enrollments},
                              {"other_roles", roster.other_roles},
                              {"notes", roster.notes}};
  return out.dump();
}

Result<Roster> RosterFromJson(const std::string& text) {
  try {
    const nlohmann::json in = nlohmann::json::parse(text);
    if (in.at("format").get<std::string>() != kRosterFormat || in.at("version").get<int>() != 1) {
      return Status::InvalidArgument("not a pathwise.roster version 1");
    }
    Roster roster;
    for (const nlohmann::json& c : in.at("classes")) {
      RosterClass cls;
      cls.sourced_id = c.at("sourced_id").get<std::string>();
      cls.title = c.at("title").get<std::string>();
      cls.course_sourced_id = c.at("course_sourced_id").get<std::string>();
      cls.school_sourced_id = c.at("school_sourced_id").get<std::string>();
      cls.learners = c.at("learners").get<std::vector<std::string>>();
      cls.teachers = c.at("teachers").get<std::vector<std::string>>();
      roster.classes.push_back(std::move(cls));
    }
    roster.learners = in.at("learners").get<std::vector<std::string>>();
    roster.orgs = in.at("orgs").get<size_t>();
    roster.courses = in.at("courses").get<size_t>();
    roster.users = in.at("users").get<size_t>();
    roster.enrollments = in.at("enrollments").get<size_t>();
    roster.other_roles = in.at("other_roles").get<size_t>();
    roster.notes = in.at("notes").get<std::vector<std::string>>();
    return roster;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(e.what());
  }
}

// The tenant's latest graph, active model and roster as stored, parsed.
struct StoredCurriculum {
  std::optional<CompetencyGraph> graph;  // none stored: nullopt
  int64_t graph_version = 0;
  BktModel model;  // none stored: the library's defaults, version 0
  int64_t model_version = 0;
  std::optional<Roster> roster;
};

// FailedPrecondition when something stored no longer loads; store errors as they come.
Result<StoredCurriculum> ReadStoredCurriculum(store::LearnerStore& store,
                                              const std::string& tenant_id) {
  StoredCurriculum out;
  Result<store::GraphVersion> stored_graph = store.GetGraph(tenant_id, store::kLatestVersion);
  if (stored_graph.ok()) {
    Result<GraphDefinition> def = ParseGraphJson(stored_graph->graph_json, "stored graph");
    Result<CompetencyGraph> built = def.ok()
                                        ? CompetencyGraph::FromDefinition(std::move(def).value())
                                        : Result<CompetencyGraph>(def.status());
    if (!built.ok()) {
      return Status::FailedPrecondition("stored graph version " +
                                        std::to_string(stored_graph->version) +
                                        " does not load: " + built.status().message());
    }
    out.graph = std::move(built).value();
    out.graph_version = stored_graph->version;
  } else if (stored_graph.status().code() != StatusCode::kNotFound) {
    return stored_graph.status();
  }

  Result<store::ModelVersion> stored_model =
      store.GetModel(tenant_id, std::string(kActiveModelName), store::kLatestVersion);
  if (stored_model.ok()) {
    Result<BktModel> parsed = ParseModelJson(stored_model->model_json, "stored model");
    if (!parsed.ok()) {
      return Status::FailedPrecondition("stored active model version " +
                                        std::to_string(stored_model->version) +
                                        " does not load: " + parsed.status().message());
    }
    out.model = std::move(parsed).value();
    out.model_version = stored_model->version;
  } else if (stored_model.status().code() != StatusCode::kNotFound) {
    return stored_model.status();
  }

  Result<store::RosterVersion> stored_roster = store.GetRoster(tenant_id, store::kLatestVersion);
  if (stored_roster.ok()) {
    Result<Roster> roster = RosterFromJson(stored_roster->roster_json);
    if (!roster.ok()) {
      return Status::FailedPrecondition("stored roster version " +
                                        std::to_string(stored_roster->version) +
                                        " does not load: " + roster.status().message());
    }
    out.roster = std::move(roster).value();
  } else if (stored_roster.status().code() != StatusCode::kNotFound) {
    return stored_roster.status();
  }

  return out;
}

}  // namespace

// ---- Tenant -------------------------------------------------------------------------------------

Tenant::Tenant(std::string id, store::LearnerStore* store, const ServiceLimits* limits,
               RecommenderOptions recommender_options, TrackerOptions tracker_options)
    : id_(std::move(id)),
      store_(store),
      limits_(limits),
      recommender_options_(std::move(recommender_options)),
      tracker_options_(tracker_options),
      curriculum_(std::make_shared<Curriculum>()),
      seen_events_(std::make_shared<SeenEvents>(*limits_)) {
  seen_events_->complete = true;  // nothing is stored before a Load
}

Tenant::~Tenant() { StopBackgroundWork(); }

Result<Tenant::StreamSlot> Tenant::OpenStream() {
  const int64_t open = open_streams_.fetch_add(1, std::memory_order_relaxed);
  StreamSlot slot(&open_streams_);  // gives the count back on every path
  if (open >= limits_->max_streams_per_tenant) {
    return Status::ResourceExhausted(
        "tenant '" + id_ + "' has " + std::to_string(open) +
        " streaming calls open, the most limits.max_streams_per_tenant "
        "allows; finish one, or retry later");
  }
  return slot;
}

LoadReport Tenant::last_load() const {
  std::lock_guard<std::mutex> lock(load_mu_);
  return last_load_;
}

bool Tenant::event_filter_complete() const {
  std::shared_lock<std::shared_mutex> write(write_mu_);
  return seen_events_->complete.load();
}

std::string Tenant::StateOrigin(const Curriculum& curriculum) const {
  // Every setting that shapes a learner's stored states: the tracker's (pace), and the policy
  // options that decide what the policies keep per learner (zpdes) or how they read the graph.
  const RecommenderOptions& r = recommender_options_;
  std::string out(kStateRevision);
  out += " graph=" + std::to_string(curriculum.graph_version);
  out += " model=" + std::to_string(curriculum.model_version);
  out += " pace=" + std::to_string(tracker_options_.individual_pace ? 1 : 0) + "/" +
         ExactText(tracker_options_.pace_prior_sd);
  out += " zpdes=" + std::to_string(r.zpdes.window) + "/" + ExactText(r.zpdes.mastery_rate) + "/" +
         ExactText(r.zpdes.exploration) + "/" + std::to_string(r.zpdes.zone_size);
  out += " hard=" + ExactText(r.hard_prerequisite_strength);
  out += " seed=" + std::to_string(r.seed);
  return out;
}

std::shared_ptr<const Curriculum> Tenant::curriculum() const {
  std::lock_guard<std::mutex> lock(curriculum_mu_);
  return curriculum_;
}

void Tenant::Publish(std::shared_ptr<Curriculum> next) {
  std::lock_guard<std::mutex> lock(curriculum_mu_);
  curriculum_ = std::move(next);
}

Tenant::LearnerSlot* Tenant::FindSlot(std::string_view learner_id) const {
  std::lock_guard<std::mutex> lock(slots_mu_);
  auto it = slots_.find(std::string(learner_id));
  return it == slots_.end() ? nullptr : it->second.get();
}

Tenant::LearnerSlot* Tenant::GetOrCreateSlot(const std::string& learner_id) {
  std::lock_guard<std::mutex> lock(slots_mu_);
  std::unique_ptr<LearnerSlot>& slot = slots_[learner_id];
  if (slot == nullptr) slot = std::make_unique<LearnerSlot>();
  return slot.get();
}

size_t Tenant::num_learners() const {
  if (!all_listed_.load(std::memory_order_acquire)) {
    // Learners the warm-up has not reached have no slot yet: the store knows them all. On a store
    // error they are counted from the slots below, as before a start from states.
    size_t n = 0;
    if (ForEachStoredLearnerPage([&n](const std::vector<std::string>& page) {
          n += page.size();
        }).ok())
      return n;
  }
  std::lock_guard<std::mutex> lock(slots_mu_);
  size_t n = 0;
  for (const auto& [id, slot] : slots_) {
    std::lock_guard<std::mutex> slot_lock(slot->mu);
    if (slot->stored) ++n;
  }
  return n;
}

Result<std::shared_ptr<Curriculum>> Tenant::BuildCurriculum(std::optional<CompetencyGraph> graph,
                                                            int64_t graph_version, BktModel model,
                                                            int64_t model_version) const {
  auto next = std::make_shared<Curriculum>();
  next->generation = ++curriculum_generations_;
  next->graph_version = graph_version;
  next->model_version = model_version;
  next->model = model;
  if (!graph) return next;
  const std::vector<const Competency*> competencies = graph->competencies();
  for (size_t i = 0; i < competencies.size(); ++i) {
    next->competency_index.emplace(competencies[i]->id, i);
  }
  EngineOptions engine_options;
  engine_options.tracker = tracker_options_;
  PATHWISE_ASSIGN_OR_RETURN(next->engine,
                            Engine::Create(std::move(*graph), std::move(model), engine_options));
  PATHWISE_RETURN_IF_ERROR(next->engine->SetRecommenderOptions(recommender_options_));
  return next;
}

Status Tenant::Load() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock<std::shared_mutex> write(write_mu_);
  StopWarmUp();
  // Announcements before this read are covered by it.
  const uint64_t curriculum_announced = curriculum_announced_.load();
  anything_caught_up_ = anything_announced_.load();
  PATHWISE_ASSIGN_OR_RETURN(StoredCurriculum stored, ReadStoredCurriculum(*store_, id_));
  if (stored.roster) {
    std::lock_guard<std::mutex> lock(roster_mu_);
    roster_ = std::make_shared<const Roster>(std::move(*stored.roster));
  }
  std::optional<CompetencyGraph> graph = std::move(stored.graph);
  const int64_t graph_version = stored.graph_version;
  BktModel model = std::move(stored.model);
  const int64_t model_version = stored.model_version;
  Result<std::shared_ptr<Curriculum>> next =
      BuildCurriculum(std::move(graph), graph_version, std::move(model), model_version);
  if (!next.ok()) {
    return Status::FailedPrecondition("the stored graph and active model do not fit: " +
                                      next.status().message());
  }
  std::shared_ptr<Curriculum> loaded = std::move(next).value();
  LoadReport report;
  if (loaded->has_graph()) {
    PATHWISE_ASSIGN_OR_RETURN(const std::string stored_origin, store_->GetStateOrigin(id_));
    report.from_states = stored_origin == StateOrigin(*loaded);
  }
  {
    std::lock_guard<std::mutex> lock(load_mu_);
    last_load_ = report;
  }
  if (report.from_states) {
    loaded->states_restorable = true;
    StartFromStatesLocked(std::move(loaded));
  } else {
    PATHWISE_ASSIGN_OR_RETURN(report.learners, RebuildLocked(std::move(loaded)));
    std::lock_guard<std::mutex> lock(load_mu_);
    last_load_ = report;
  }
  curriculum_caught_up_ = curriculum_announced;
  LogLine(LogLevel::kInfo, "tenant loaded")
      .Add("tenant", id_)
      .Add("graph_version", graph_version)
      .Add("model_version", model_version)
      .Add("learners", report.learners)
      .Add("from", report.from_states ? "states (learners warm up in the background)" : "events")
      .Add("seconds",
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return Status::Ok();
}

void Tenant::StartFromStatesLocked(std::shared_ptr<Curriculum> next) {
  StopFillingEventFilter();
  // Every slot a previous curriculum left has another generation, so it reloads on first use;
  // learners without a slot get one when a call names them (FindSlotToLoad) or the warm-up
  // reaches them.
  all_listed_ = false;
  // Until the filter holds every stored id, MarkDuplicates asks the store about every event of a
  // stored learner: start-up does not wait for the ids, and no duplicate gets through meanwhile.
  // The warm-up fills it once it is done: both read most of the store, and run together each
  // takes as long as both one after the other, while a learner not yet restored costs a call more
  // (a load) than an event id not yet in the filter (a lookup).
  auto seen = std::make_shared<SeenEvents>(*limits_);
  std::atomic_store(&seen_events_, seen);
  std::shared_ptr<const Curriculum> target = next;
  Publish(std::move(next));
  {
    std::lock_guard<std::mutex> lock(warm_up_mu_);
    stop_warm_up_ = false;
    warm_up_running_ = true;
  }
  warm_up_ = std::thread([this, target = std::move(target), seen = std::move(seen)]() mutable {
    WarmUp(std::move(target), std::chrono::steady_clock::now());
    // Also after a stop: every other user of filler_ stops the warm-up first, and a stop by a new
    // curriculum of another replica (CatchUp) keeps this filter.
    StartFillingEventFilter(std::move(seen));
  });
}

void Tenant::WarmUp(std::shared_ptr<const Curriculum> target,
                    std::chrono::steady_clock::time_point started) {
  // What other replicas had announced of each learner before the store's snapshot below is taken:
  // a learner restored from the snapshot is reloaded on first use when more was announced since
  // (a slot made later had nothing announced before the snapshot that it would not cover).
  std::unordered_map<const LearnerSlot*, uint64_t> announced_before;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const auto& [learner, slot] : slots_)
      announced_before.emplace(slot.get(), slot->announced.load(std::memory_order_acquire));
  }
  uint64_t restored = 0, replayed = 0;
  Status visited = store_->ForEachLearner(id_, [&](const store::StoredLearner& learner) -> Status {
    {
      std::unique_lock<std::mutex> lock(warm_up_mu_);
      warm_up_cv_.wait(lock, [this] { return !warm_up_paused_ || stop_warm_up_; });
      if (stop_warm_up_) return Status::Cancelled("warm-up stopped");
    }
    LearnerSlot* slot = GetOrCreateSlot(learner.learner_id);
    std::lock_guard<std::mutex> lock(slot->mu);
    // Loaded already by a call that needed it (from the store as it is now, at least as new as
    // this snapshot's row).
    if (!slot->NeedsReload(*target)) return Status::Ok();
    auto before = announced_before.find(slot);
    const uint64_t announced = before == announced_before.end() ? 0 : before->second;
    if (RestoreStoredStates(*target, learner)) {
      slot->stored = true;
      slot->stale = false;
      slot->version = learner.version;
      slot->generation = target->generation;
      slot->reloaded_announced = announced;
      ++restored;
      return Status::Ok();
    }
    // Not exact: replayed from the events (and its states rewritten) as the store holds them now.
    Status reloaded = ReloadLearnerLocked(*target, learner.learner_id, slot);
    if (!reloaded.ok()) {
      LogLine(LogLevel::kWarning, "warm-up could not load a learner; it loads on first use")
          .Add("tenant", id_)
          .Add("learner", learner.learner_id)
          .Add(reloaded);
    }
    ++replayed;
    return Status::Ok();
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard<std::mutex> lock(load_mu_);
    last_load_.learners = restored + replayed;
    last_load_.replayed = replayed;
    if (visited.ok()) {
      last_load_.warm_up_complete = true;
      last_load_.warm_up_seconds = seconds;
    }
  }
  if (visited.ok()) {
    all_listed_ = true;
    LogLine(LogLevel::kInfo, "warm-up complete")
        .Add("tenant", id_)
        .Add("learners", restored + replayed)
        .Add("replayed", replayed)
        .Add("seconds", seconds);
  } else {
    LogLine(visited.code() == StatusCode::kCancelled ? LogLevel::kInfo : LogLevel::kWarning,
            "warm-up stopped; learners not reached load on first use")
        .Add("tenant", id_)
        .Add("learners", restored + replayed)
        .Add("seconds", seconds)
        .Add(visited);
  }
  std::lock_guard<std::mutex> lock(warm_up_mu_);
  warm_up_running_ = false;
  warm_up_cv_.notify_all();
}

void Tenant::StopWarmUp() {
  if (!warm_up_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(warm_up_mu_);
    stop_warm_up_ = true;
  }
  warm_up_cv_.notify_all();
  warm_up_.join();
}

void Tenant::WaitForWarmUp() {
  std::unique_lock<std::mutex> lock(warm_up_mu_);
  warm_up_cv_.wait(lock, [this] { return !warm_up_running_; });
}

void Tenant::PauseWarmUpForTesting(bool paused) {
  {
    std::lock_guard<std::mutex> lock(warm_up_mu_);
    warm_up_paused_ = paused;
  }
  warm_up_cv_.notify_all();
}

void Tenant::StopBackgroundWork() {
  StopWarmUp();
  StopFillingEventFilter();
}

bool Tenant::RestoreStoredStates(const Curriculum& curriculum,
                                 const store::StoredLearner& learner) {
  Engine& engine = *curriculum.engine;
  MasteryTracker& tracker = engine.tracker();
  const std::string& id = learner.learner_id;
  Status removed = engine.RemoveLearner(id);
  (void)removed;  // NotFound: the engine did not hold the learner
  auto not_exact = [&](const char* what, const std::string& policy, const Status& status) {
    LogLine(LogLevel::kWarning, what)
        .Add("tenant", id_)
        .Add("learner", id)
        .Add("policy", policy)
        .Add(status);
    (void)engine.RemoveLearner(id);
    return false;
  };
  std::vector<MasteryEstimate> practised;
  practised.reserve(learner.competencies.size());
  for (const MasteryEstimate& e : learner.competencies) {
    // Never practised (a prior kept for a competency that lost its activities), or of a
    // competency the graph no longer has: neither is carried by the tracker.
    if (e.opportunities == 0 || curriculum.competency_index.count(e.competency_id) == 0) continue;
    // Stored before the store kept the odds: the log-odds alone do not restore them exactly.
    if (std::isnan(e.odds_scale)) {
      (void)engine.RemoveLearner(id);
      return false;
    }
    practised.push_back(e);
  }
  if (!practised.empty()) {
    Status status = tracker.RestoreLearner(id, practised);
    if (!status.ok()) return not_exact("stored states not restored", "", status);
  }
  for (const store::PolicyState& policy : learner.policy_states) {
    Status status = RestorePolicyState(engine, id, policy);
    if (!status.ok()) return not_exact("stored policy state not restored", policy.policy, status);
  }
  return true;
}

void Tenant::StartFillingEventFilter(std::shared_ptr<SeenEvents> seen) {
  StopFillingEventFilter();
  stop_filling_ = false;
  filler_ = std::thread([this, seen = std::move(seen)]() {
    std::string after;
    uint64_t ids = 0;
    while (!stop_filling_.load()) {
      Result<std::vector<std::string>> learners = store_->ListLearners(id_, after, kLearnerPage);
      if (!learners.ok()) {
        LogLine(LogLevel::kWarning, "event-id filter not filled; duplicates are looked up")
            .Add("tenant", id_)
            .Add(learners.status());
        return;
      }
      for (const std::string& learner : *learners) {
        if (stop_filling_.load()) return;
        Result<std::vector<store::StoredObservation>> events = ReadAllEvents(*store_, id_, learner);
        if (!events.ok()) {
          if (events.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
          LogLine(LogLevel::kWarning, "event-id filter not filled; duplicates are looked up")
              .Add("tenant", id_)
              .Add(events.status());
          return;
        }
        std::vector<EventIdFilter::Key> keys;
        keys.reserve(events->size());
        for (const store::StoredObservation& e : *events) {
          if (!e.observation.event_id.empty())
            keys.push_back(EventIdFilter::KeyOf(learner, e.observation.event_id));
        }
        seen->filter.InsertAll(keys);
        ids += keys.size();
      }
      if (learners->size() < kLearnerPage) {
        seen->complete = true;
        LogLine(LogLevel::kInfo, "event-id filter filled").Add("tenant", id_).Add("ids", ids);
        return;
      }
      after = learners->back();
    }
  });
}

void Tenant::StopFillingEventFilter() {
  if (!filler_.joinable()) return;
  stop_filling_ = true;
  filler_.join();
}

Result<uint64_t> Tenant::RebuildLocked(std::shared_ptr<Curriculum> next) {
  StopWarmUp();
  StopFillingEventFilter();
  // No origin while the states are being rewritten: a crash halfway must not leave one that the
  // states do not all match.
  PATHWISE_RETURN_IF_ERROR(store_->PutStateOrigin(id_, ""));
  auto seen = std::make_shared<SeenEvents>(*limits_);
  EventIdFilter* filter = &seen->filter;
  std::unordered_set<std::string> stored_learners;
  uint64_t replayed = 0;
  uint64_t rewritten = 0;

  struct Pending {
    LearnerSlot* slot;
    store::LearnerUpdate update;
  };
  std::vector<Pending> pending;
  // When another replica recorded for some of the learners since they were read, they are read,
  // replayed and rewritten again one by one.
  auto rewrite_one = [&](Pending& p) -> Status {
    const std::string& learner = p.update.learner_id;
    std::lock_guard<std::mutex> lock(p.slot->mu);
    for (int attempt = 1;; ++attempt) {
      Result<store::StoredLearner> state = store_->GetLearner(id_, learner);
      if (!state.ok()) {
        return state.status().code() == StatusCode::kNotFound ? Status::Ok() : state.status();
      }
      PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> events,
                                ReadAllEvents(*store_, id_, learner));
      for (const store::StoredObservation& e : events)
        filter->Insert(learner, e.observation.event_id);
      Status removed = next->engine->RemoveLearner(learner);
      (void)removed;  // NotFound: the learner practised nothing the graph has
      PATHWISE_ASSIGN_OR_RETURN(store::LearnerUpdate update,
                                RederiveLearner(*next->engine, learner, *state, events));
      p.slot->version = state->version;
      if (update.states.empty() && update.policy_states.empty()) return Status::Ok();
      store::EventBatch batch;
      batch.tenant_id = id_;
      batch.learners.push_back(std::move(update));
      Result<store::CommitResult> result = store_->CommitEvents(batch);
      if (result.ok()) {
        p.slot->version = result->learner_versions[0];
        return Status::Ok();
      }
      if (result.status().code() != StatusCode::kAborted || attempt == kMaxRecordAttempts)
        return result.status();
    }
  };
  auto flush = [&]() -> Status {
    if (pending.empty()) return Status::Ok();
    store::EventBatch batch;
    batch.tenant_id = id_;
    for (const Pending& p : pending) batch.learners.push_back(p.update);
    Result<store::CommitResult> committed = store_->CommitEvents(batch);
    if (!committed.ok() && committed.status().code() == StatusCode::kAborted) {
      for (Pending& p : pending) PATHWISE_RETURN_IF_ERROR(rewrite_one(p));
      rewritten += pending.size();
      pending.clear();
      return Status::Ok();
    }
    PATHWISE_ASSIGN_OR_RETURN(store::CommitResult result, std::move(committed));
    for (size_t i = 0; i < pending.size(); ++i) {
      std::lock_guard<std::mutex> lock(pending[i].slot->mu);
      pending[i].slot->version = result.learner_versions[i];
    }
    rewritten += pending.size();
    pending.clear();
    return Status::Ok();
  };

  std::string after;
  while (true) {
    PATHWISE_ASSIGN_OR_RETURN(std::vector<std::string> learners,
                              store_->ListLearners(id_, after, kLearnerPage));
    for (const std::string& learner : learners) {
      LearnerSlot* slot = GetOrCreateSlot(learner);
      std::lock_guard<std::mutex> lock(slot->mu);
      Result<store::StoredLearner> state = store_->GetLearner(id_, learner);
      if (!state.ok()) {
        if (state.status().code() == StatusCode::kNotFound) continue;
        return state.status();
      }
      PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> events,
                                ReadAllEvents(*store_, id_, learner));
      for (const store::StoredObservation& e : events)
        filter->Insert(learner, e.observation.event_id);
      slot->stored = true;
      slot->stale = false;
      slot->generation = next->generation;
      slot->version = state->version;
      stored_learners.insert(learner);
      ++replayed;
      if (!next->has_graph()) continue;

      PATHWISE_ASSIGN_OR_RETURN(store::LearnerUpdate update,
                                RederiveLearner(*next->engine, learner, *state, events));
      if (!update.states.empty() || !update.policy_states.empty())
        pending.push_back({slot, std::move(update)});
    }
    if (pending.size() >= kStateFlush) PATHWISE_RETURN_IF_ERROR(flush());
    if (learners.size() < kLearnerPage) break;
    after = learners.back();
  }
  PATHWISE_RETURN_IF_ERROR(flush());

  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (auto& [learner, slot] : slots_) {
      if (stored_learners.count(learner) != 0) continue;
      std::lock_guard<std::mutex> slot_lock(slot->mu);
      slot->stored = false;
      slot->stale = false;
      slot->generation = next->generation;
      slot->version = 0;
    }
  }
  seen->complete = true;
  std::atomic_store(&seen_events_, std::move(seen));
  all_listed_ = true;
  if (next->has_graph()) {
    // Every learner's states now derive from this curriculum: the next start-up may restore them,
    // and so may a reload.
    Status put = store_->PutStateOrigin(id_, StateOrigin(*next));
    next->states_restorable = put.ok();
    if (!put.ok()) {
      LogLine(LogLevel::kWarning, "state origin not stored; the next start-up replays events")
          .Add("tenant", id_)
          .Add(put);
    }
  }
  // The replay grew every learner's state by recording; not served yet, so compacted at no cost
  // to any call.
  if (next->has_graph()) (void)next->engine->CompactMemory();
  if (rewritten > 0) {
    LogLine(LogLevel::kInfo, "learner states rewritten")
        .Add("tenant", id_)
        .Add("learners", rewritten)
        .Add("graph_version", next->graph_version)
        .Add("model_version", next->model_version);
  }
  Publish(std::move(next));
  return replayed;
}

size_t Tenant::CompactMemory() {
  std::shared_ptr<const Curriculum> current = curriculum();
  return current->has_graph() ? current->engine->CompactMemory() : 0;
}

Status Tenant::ReloadLearnerLocked(const Curriculum& curriculum, const std::string& learner_id,
                                   LearnerSlot* slot) {
  const uint64_t announced = slot->announced.load(std::memory_order_acquire);
  // Another replica (or a commit that failed with Aborted because of one) may have stored events
  // this replica's event-id filter lacks; a first load after a start or a new curriculum finds
  // the filter filled from the store (or being filled) instead.
  const bool filter_may_lack_ids = slot->stale || announced != slot->reloaded_announced;
  slot->stale = true;
  if (curriculum.has_graph()) {
    Status removed = curriculum.engine->RemoveLearner(learner_id);
    (void)removed;  // NotFound: nothing was applied for this learner yet
  }
  Result<store::StoredLearner> state = store_->GetLearner(id_, learner_id);
  if (!state.ok()) {
    if (state.status().code() != StatusCode::kNotFound) return state.status();
    slot->stored = false;
    slot->version = 0;
    slot->stale = false;
    slot->generation = curriculum.generation;
    slot->reloaded_announced = announced;
    return Status::Ok();
  }
  uint64_t version = state->version;
  std::optional<std::vector<store::StoredObservation>> events;
  if (curriculum.has_graph() &&
      !(curriculum.states_restorable && RestoreStoredStates(curriculum, *state))) {
    PATHWISE_ASSIGN_OR_RETURN(events, ReadAllEvents(*store_, id_, learner_id));
    if (curriculum.states_restorable) {
      // The stored states are not exact (stored before the odds were, or a policy state this
      // build does not read): replayed, and rewritten so that the next load restores them.
      PATHWISE_ASSIGN_OR_RETURN(store::LearnerUpdate update,
                                RederiveLearner(*curriculum.engine, learner_id, *state, *events));
      if (!update.states.empty() || !update.policy_states.empty()) {
        store::EventBatch batch;
        batch.tenant_id = id_;
        batch.learners.push_back(std::move(update));
        Result<store::CommitResult> rewritten = store_->CommitEvents(batch);
        if (rewritten.ok()) {
          version = rewritten->learner_versions[0];
        } else {
          // Memory is right for the events read; the stored states are rewritten on a later load.
          LogLine(LogLevel::kWarning, "learner's inexact stored states not rewritten")
              .Add("tenant", id_)
              .Add("learner", learner_id)
              .Add(rewritten.status());
        }
      }
    } else {
      PATHWISE_RETURN_IF_ERROR(Replay(*curriculum.engine, *events));
      // The stored policy states and pace were committed with these events: restore them as
      // stored (the replay derives the same; a state that no longer restores, e.g. of a policy
      // this build lacks, keeps the replayed one).
      for (const store::PolicyState& policy : state->policy_states) {
        Status restored = RestorePolicyState(*curriculum.engine, learner_id, policy);
        if (!restored.ok()) {
          LogLine(LogLevel::kWarning, "stored policy state not restored; replayed instead")
              .Add("tenant", id_)
              .Add("learner", learner_id)
              .Add("policy", policy.policy)
              .Add(restored);
        }
      }
    }
  }
  if (!events.has_value() && filter_may_lack_ids) {
    PATHWISE_ASSIGN_OR_RETURN(events, ReadAllEvents(*store_, id_, learner_id));
  }
  // The filter learns the ids stored meanwhile by another replica (or a failed commit's caller),
  // so that re-sent events are found duplicates without a lookup each.
  if (events.has_value()) {
    std::vector<EventIdFilter::Key> keys;
    keys.reserve(events->size());
    for (const store::StoredObservation& e : *events) {
      if (!e.observation.event_id.empty())
        keys.push_back(EventIdFilter::KeyOf(learner_id, e.observation.event_id));
    }
    std::atomic_load(&seen_events_)->filter.InsertAll(keys);
  }
  slot->stored = true;
  slot->version = version;
  slot->stale = false;
  slot->generation = curriculum.generation;
  slot->reloaded_announced = announced;
  return Status::Ok();
}

Tenant::LearnerSlot* Tenant::FindSlotToLoad(const std::string& learner_id) {
  // Read first: once every stored learner has a slot, a learner without one is not stored.
  const bool listed = all_listed_.load(std::memory_order_acquire);
  LearnerSlot* slot = FindSlot(learner_id);
  // A new slot has no curriculum's generation, so the caller loads it from the store.
  if (slot == nullptr && !listed) slot = GetOrCreateSlot(learner_id);
  return slot;
}

Status Tenant::EnsureAllListed() {
  if (all_listed_.load(std::memory_order_acquire)) return Status::Ok();
  return ListAllLearners();
}

Status Tenant::ListAllLearners() {
  PATHWISE_RETURN_IF_ERROR(ForEachStoredLearnerPage([this](const std::vector<std::string>& page) {
    for (const std::string& learner : page) GetOrCreateSlot(learner);
  }));
  all_listed_ = true;
  return Status::Ok();
}

Status Tenant::ForEachStoredLearnerPage(
    const std::function<void(const std::vector<std::string>&)>& visit) const {
  std::string after;
  while (true) {
    PATHWISE_ASSIGN_OR_RETURN(std::vector<std::string> learners,
                              store_->ListLearners(id_, after, kLearnerPage));
    visit(learners);
    if (learners.size() < kLearnerPage) return Status::Ok();
    after = learners.back();
  }
}

// ---- Other replicas' changes -------------------------------------------------------------------

void Tenant::NoteLearnerChanged(const std::string& learner_id) {
  // A learner this replica has not seen gets a slot too, so that reads find it in the store.
  GetOrCreateSlot(learner_id)->announced.fetch_add(1, std::memory_order_acq_rel);
}

void Tenant::NoteCurriculumChanged() {
  curriculum_announced_.fetch_add(1, std::memory_order_acq_rel);
}

void Tenant::NoteAnythingChanged() {
  anything_announced_.fetch_add(1, std::memory_order_acq_rel);
  NoteCurriculumChanged();
}

Status Tenant::CatchUp() {
  if (curriculum_announced_.load(std::memory_order_acquire) ==
      curriculum_caught_up_.load(std::memory_order_acquire)) {
    return Status::Ok();
  }
  std::unique_lock<std::shared_mutex> write(write_mu_);
  // Announcements up to here are covered by the reads below.
  const uint64_t announced = curriculum_announced_.load(std::memory_order_acquire);
  if (announced == curriculum_caught_up_.load()) return Status::Ok();  // another call caught up
  const uint64_t anything = anything_announced_.load(std::memory_order_acquire);
  const bool learners_unknown = anything != anything_caught_up_;

  PATHWISE_ASSIGN_OR_RETURN(StoredCurriculum stored, ReadStoredCurriculum(*store_, id_));
  if (stored.roster) {
    std::lock_guard<std::mutex> lock(roster_mu_);
    roster_ = std::make_shared<const Roster>(std::move(*stored.roster));
  }
  std::shared_ptr<const Curriculum> current = curriculum();
  if (learners_unknown || stored.graph_version != current->graph_version ||
      stored.model_version != current->model_version) {
    const int64_t graph_version = stored.graph_version;
    const int64_t model_version = stored.model_version;
    Result<std::shared_ptr<Curriculum>> next = BuildCurriculum(
        std::move(stored.graph), stored.graph_version, std::move(stored.model), model_version);
    if (!next.ok()) {
      return Status::FailedPrecondition("the stored graph and active model do not fit: " +
                                        next.status().message());
    }
    // A fresh engine, and every learner reloaded (replayed under the new curriculum, whose
    // generation no slot has) on first use: the replica that put the curriculum rewrites the stored
    // states, so this one only reads. Replayed, not restored from the states: a batch this replica
    // recorded under the previous curriculum in the moments before it heard of the new one stored
    // states of the previous one (README, "Running replicas"). Learners created elsewhere get a
    // slot, so that reads find them.
    StopWarmUp();
    PATHWISE_RETURN_IF_ERROR(ListAllLearners());
    Publish(std::move(next).value());
    LogLine(LogLevel::kInfo, "curriculum changed by another server")
        .Add("tenant", id_)
        .Add("graph_version", graph_version)
        .Add("model_version", model_version);
  }
  anything_caught_up_ = anything;
  curriculum_caught_up_ = announced;
  return Status::Ok();
}

// ---- Curriculum ---------------------------------------------------------------------------------

Result<PutGraphOutcome> Tenant::PutGraph(const GraphDefinition& definition,
                                         std::optional<int64_t> expected_version) {
  PATHWISE_ASSIGN_OR_RETURN(CompetencyGraph graph, CompetencyGraph::FromDefinition(definition));
  PutGraphOutcome outcome;
  outcome.competencies = graph.num_competencies();
  outcome.prerequisites = graph.num_prerequisites();
  outcome.activities = graph.num_activities();
  outcome.groups = graph.num_groups();
  const std::string json = WriteGraphJson(graph);

  // expected_version is compared with the latest graph, whichever replica put it.
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::unique_lock<std::shared_mutex> write(write_mu_);
  std::shared_ptr<const Curriculum> current = curriculum();
  if (expected_version && *expected_version != current->graph_version) {
    return Status(StatusCode::kAborted, "expected_version: " + std::to_string(*expected_version) +
                                            ", but the latest graph version is " +
                                            std::to_string(current->graph_version));
  }
  // Built before anything is stored, so a graph the active model does not fit stores nothing.
  Result<std::shared_ptr<Curriculum>> next =
      BuildCurriculum(std::move(graph), 0, current->model, current->model_version);
  if (!next.ok()) {
    return Status::InvalidArgument("graph: does not fit the active model version " +
                                   std::to_string(current->model_version) + ": " +
                                   next.status().message());
  }
  PATHWISE_ASSIGN_OR_RETURN(outcome.version, store_->PutGraph(id_, json));
  (*next)->graph_version = outcome.version;
  Result<uint64_t> rescored = RebuildLocked(std::move(next).value());
  if (!rescored.ok()) {
    LogLine(LogLevel::kError, "rebuild after a graph put failed; restart to recover")
        .Add("tenant", id_)
        .Add(rescored.status());
    return rescored.status();
  }
  outcome.learners_rescored = *rescored;
  LogLine(LogLevel::kInfo, "graph put")
      .Add("tenant", id_)
      .Add("version", outcome.version)
      .Add("competencies", static_cast<uint64_t>(outcome.competencies))
      .Add("activities", static_cast<uint64_t>(outcome.activities))
      .Add("learners_rescored", outcome.learners_rescored);
  return outcome;
}

Result<std::pair<int64_t, GraphDefinition>> Tenant::GetGraph(int64_t version) const {
  PATHWISE_ASSIGN_OR_RETURN(store::GraphVersion stored, store_->GetGraph(id_, version));
  Result<GraphDefinition> def = ParseGraphJson(stored.graph_json, "stored graph");
  if (!def.ok()) return Status::Internal(def.status().message());
  return std::make_pair(stored.version, std::move(def).value());
}

Result<PutModelOutcome> Tenant::PutModel(const std::string& name, const BktModel& model) {
  const std::string json = WriteModelJson(model);
  PutModelOutcome outcome;
  if (name != kActiveModelName) {
    PATHWISE_ASSIGN_OR_RETURN(outcome.version, store_->PutModel(id_, name, json));
    return outcome;
  }
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::unique_lock<std::shared_mutex> write(write_mu_);
  std::shared_ptr<const Curriculum> current = curriculum();
  std::optional<CompetencyGraph> graph;
  if (current->has_graph()) graph = current->engine->graph();
  Result<std::shared_ptr<Curriculum>> next =
      BuildCurriculum(std::move(graph), current->graph_version, model, 0);
  if (!next.ok()) {
    return Status::InvalidArgument("model: does not fit graph version " +
                                   std::to_string(current->graph_version) + ": " +
                                   next.status().message());
  }
  PATHWISE_ASSIGN_OR_RETURN(outcome.version, store_->PutModel(id_, name, json));
  (*next)->model_version = outcome.version;
  outcome.active = true;
  Result<uint64_t> rescored = RebuildLocked(std::move(next).value());
  if (!rescored.ok()) {
    LogLine(LogLevel::kError, "rebuild after a model put failed; restart to recover")
        .Add("tenant", id_)
        .Add(rescored.status());
    return rescored.status();
  }
  outcome.learners_rescored = *rescored;
  LogLine(LogLevel::kInfo, "active model put")
      .Add("tenant", id_)
      .Add("version", outcome.version)
      .Add("learners_rescored", outcome.learners_rescored);
  return outcome;
}

Result<std::pair<int64_t, BktModel>> Tenant::GetModel(const std::string& name,
                                                      int64_t version) const {
  PATHWISE_ASSIGN_OR_RETURN(store::ModelVersion stored, store_->GetModel(id_, name, version));
  Result<BktModel> model = ParseModelJson(stored.model_json, "stored model");
  if (!model.ok()) return Status::Internal(model.status().message());
  return std::make_pair(stored.version, std::move(model).value());
}

// ---- Learners -----------------------------------------------------------------------------------

// A Record call in progress, handed from one step to the next.
struct Tenant::PendingBatch {
  // One learner's events: a range of `order`, with the learner's slot.
  struct LearnerEvents {
    size_t begin, end;  // range of `order`
    LearnerSlot* slot;
    // Points into `events`' buffer, which stays put when the vector moves into `store_batch`.
    const std::string* learner;
    bool applied = false;  // the engine has taken at least one of the events
  };

  PendingBatch(std::shared_ptr<const Curriculum> current, std::vector<Observation> recorded)
      : curriculum(std::move(current)), events(std::move(recorded)) {}

  const std::shared_ptr<const Curriculum> curriculum;
  std::vector<Observation> events;  // moved into store_batch.events by CommitBatch
  // Event indices grouped by learner, in request order within a learner; learners in increasing
  // id, which is the lock order.
  std::vector<uint32_t> order;
  std::vector<LearnerEvents> learners;  // in `order`'s order
  std::vector<std::unique_lock<std::mutex>> locks;
  std::vector<char> duplicate;           // per event: repeated within the batch or already stored
  std::vector<EventIdFilter::Key> keys;  // per event that is not a duplicate
  store::EventBatch store_batch;         // the learners' updates, then the events
};

Result<RecordOutcome> Tenant::Record(std::vector<Observation> events, bool want_mastery) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_lock<std::shared_mutex> write(write_mu_);
  PendingBatch batch(curriculum(), std::move(events));
  if (!batch.curriculum->has_graph()) return NoGraph();
  PATHWISE_RETURN_IF_ERROR(CheckActivitiesExist(batch));
  PATHWISE_RETURN_IF_ERROR(LockLearners(batch));
  store::CommitResult committed;
  for (int attempt = 1;; ++attempt) {
    PATHWISE_RETURN_IF_ERROR(MarkDuplicates(batch));
    PATHWISE_RETURN_IF_ERROR(ApplyNewEvents(batch));
    Result<store::CommitResult> commit = CommitBatch(batch);
    if (commit.ok()) {
      committed = std::move(commit).value();
      break;
    }
    // Aborted: another replica changed one of the learners since this one read it (the store
    // compared versions), so the events were applied to stale state; nothing was stored.
    if (commit.status().code() != StatusCode::kAborted) return commit.status();
    if (attempt == kMaxRecordAttempts) {
      return Status(StatusCode::kAborted,
                    "nothing recorded: the batch's learners were changed by another server "
                    "during each of " +
                        std::to_string(kMaxRecordAttempts) +
                        " attempts to record it; send it again (its event ids make that safe)");
    }
    PATHWISE_RETURN_IF_ERROR(PrepareRetry(batch));
  }
  RecordOutcome outcome;
  outcome.duplicate_indices = AdoptCommit(batch, committed);
  outcome.recorded = committed.num_recorded;
  RememberEventIds(batch);
  if (want_mastery) outcome.changed = ChangedMastery(batch);
  return outcome;
}

Status Tenant::CheckActivitiesExist(const PendingBatch& batch) const {
  const MasteryTracker& tracker = batch.curriculum->engine->tracker();
  for (size_t i = 0; i < batch.events.size(); ++i) {
    const Observation& event = batch.events[i];
    if (!tracker.ActivityIndex(event.activity_id).ok()) {
      return Status::NotFound(IndexPath("events", i) + ".activity_id: '" + event.activity_id +
                              "' is neither an activity nor a competency of graph version " +
                              std::to_string(batch.curriculum->graph_version));
    }
  }
  return Status::Ok();
}

Status Tenant::LockLearners(PendingBatch& batch) {
  const std::vector<Observation>& events = batch.events;
  batch.order.resize(events.size());
  for (uint32_t i = 0; i < batch.order.size(); ++i) batch.order[i] = i;
  std::stable_sort(batch.order.begin(), batch.order.end(), [&events](uint32_t a, uint32_t b) {
    return events[a].learner_id < events[b].learner_id;
  });
  const std::vector<uint32_t>& order = batch.order;
  for (size_t k = 0; k < order.size();) {
    size_t end = k + 1;
    while (end < order.size() && events[order[end]].learner_id == events[order[k]].learner_id) {
      ++end;
    }
    const std::string& learner = events[order[k]].learner_id;
    batch.learners.push_back(
        PendingBatch::LearnerEvents{k, end, GetOrCreateSlot(learner), &learner});
    k = end;
  }
  batch.locks.reserve(batch.learners.size());
  for (const PendingBatch::LearnerEvents& l : batch.learners) batch.locks.emplace_back(l.slot->mu);
  for (const PendingBatch::LearnerEvents& l : batch.learners) {
    if (l.slot->NeedsReload(*batch.curriculum))
      PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*batch.curriculum, *l.learner, l.slot));
  }
  return Status::Ok();
}

Status Tenant::MarkDuplicates(PendingBatch& batch) {
  const std::vector<Observation>& events = batch.events;
  const std::vector<uint32_t>& order = batch.order;
  batch.duplicate.assign(events.size(), 0);
  batch.keys.resize(events.size());
  std::vector<uint32_t> maybe_stored;
  std::unordered_set<std::string_view> in_batch;
  // Read once: a filter that becomes complete during the batch only saves lookups from then on.
  const bool seen_complete = seen_events_->complete.load();
  constexpr size_t kLinearScan = 32;  // below this, comparing beats hashing
  for (const PendingBatch::LearnerEvents& l : batch.learners) {
    const std::string& learner = *l.learner;
    const bool large = l.end - l.begin > kLinearScan;
    if (large) in_batch.clear();
    maybe_stored.clear();
    for (size_t k = l.begin; k < l.end; ++k) {
      const uint32_t i = order[k];
      const std::string& id = events[i].event_id;
      bool repeated = false;
      if (large) {
        repeated = !in_batch.insert(id).second;
      } else {
        for (size_t j = l.begin; j < k && !repeated; ++j)
          repeated = events[order[j]].event_id == id;
      }
      if (repeated) {
        batch.duplicate[i] = 1;
        continue;
      }
      batch.keys[i] = EventIdFilter::KeyOf(learner, id);
      // The filter rules most events out; the rest are looked up.
      if (l.slot->stored && (!seen_complete || seen_events_->filter.MayContain(batch.keys[i])))
        maybe_stored.push_back(i);
    }
    if (maybe_stored.empty()) continue;
    std::vector<std::string> ids;
    ids.reserve(maybe_stored.size());
    for (uint32_t i : maybe_stored) ids.push_back(events[i].event_id);
    PATHWISE_ASSIGN_OR_RETURN(std::vector<bool> found,
                              store_->FindRecordedEvents(id_, learner, ids));
    for (size_t j = 0; j < maybe_stored.size(); ++j) {
      if (found[j]) batch.duplicate[maybe_stored[j]] = 1;
    }
  }
  return Status::Ok();
}

Status Tenant::ApplyNewEvents(PendingBatch& batch) {
  Engine& engine = *batch.curriculum->engine;
  store::EventBatch& store_batch = batch.store_batch;
  store_batch.tenant_id = id_;
  store_batch.learners.reserve(batch.learners.size());
  Observation observation;
  for (PendingBatch::LearnerEvents& l : batch.learners) {
    store::LearnerUpdate update;
    update.learner_id = *l.learner;
    update.expected_version = l.slot->stored ? l.slot->version : 0;
    for (size_t k = l.begin; k < l.end; ++k) {
      const uint32_t i = batch.order[k];
      if (batch.duplicate[i]) continue;
      const Observation& event = batch.events[i];
      // Idempotency is the store's job: the tracker gets no event id, so it keeps none in memory.
      observation.learner_id = event.learner_id;
      observation.activity_id = event.activity_id;
      observation.outcome = event.outcome;
      observation.timestamp_ms = event.timestamp_ms;
      // Through the engine: the tracker and every policy that keeps learner state (zpdes) alike.
      Result<RecordResult> result = engine.Record(observation);
      if (!result.ok()) {
        ReloadAppliedLearners(batch);
        return result.status().WithContext(IndexPath("events", i));
      }
      l.applied = true;
      for (MasteryEstimate& e : result->updated) {
        auto same = std::find_if(
            update.states.begin(), update.states.end(),
            [&e](const MasteryEstimate& s) { return s.competency_id == e.competency_id; });
        if (same == update.states.end()) {
          update.states.push_back(Normalized(std::move(e)));
        } else {
          *same = Normalized(std::move(e));
        }
      }
    }
    if (l.applied) {
      Result<std::vector<store::PolicyState>> policies = SavePolicyStates(engine, *l.learner);
      if (!policies.ok()) {
        ReloadAppliedLearners(batch);
        return policies.status();
      }
      update.policy_states = std::move(policies).value();
    }
    store_batch.learners.push_back(std::move(update));
  }
  return Status::Ok();
}

Result<store::CommitResult> Tenant::CommitBatch(PendingBatch& batch) {
  batch.store_batch.events = std::move(batch.events);
  Result<store::CommitResult> committed = store_->CommitEvents(batch.store_batch);
  if (!committed.ok() && committed.status().code() == StatusCode::kAborted) {
    // Another server changed one of the learners (which one, the store does not say): every
    // learner is reloaded, and Record tries again.
    for (PendingBatch::LearnerEvents& l : batch.learners) l.applied = true;
    ReloadAppliedLearners(batch);
  } else if (!committed.ok()) {
    ReloadAppliedLearners(batch);
    LogLine(LogLevel::kWarning, "event batch not committed")
        .Add("tenant", id_)
        .Add("events", static_cast<uint64_t>(batch.store_batch.events.size()))
        .Add(committed.status());
  }
  return committed;
}

std::vector<uint32_t> Tenant::AdoptCommit(PendingBatch& batch,
                                          const store::CommitResult& committed) {
  std::vector<uint32_t> duplicates;
  for (uint32_t i = 0; i < batch.store_batch.events.size(); ++i) {
    if (batch.duplicate[i]) duplicates.push_back(i);
  }
  const bool same_duplicates = committed.duplicate_indices.size() == duplicates.size() &&
                               std::equal(committed.duplicate_indices.begin(),
                                          committed.duplicate_indices.end(), duplicates.begin());
  for (size_t k = 0; k < batch.learners.size(); ++k) {
    batch.learners[k].slot->stored = true;
    batch.learners[k].slot->version = committed.learner_versions[k];
  }
  if (!same_duplicates) {
    // Cannot happen while every writer follows the protocol (the expected versions matched, so no
    // one else wrote these learners). Trust the store's events and re-derive from them.
    LogLine(LogLevel::kError, "store and server disagree on duplicates; reloading learners")
        .Add("tenant", id_);
    for (PendingBatch::LearnerEvents& l : batch.learners) l.applied = true;
    ReloadAppliedLearners(batch);
    duplicates.clear();
    for (size_t i : committed.duplicate_indices) duplicates.push_back(static_cast<uint32_t>(i));
  }
  return duplicates;
}

Status Tenant::PrepareRetry(PendingBatch& batch) {
  // CommitBatch reloaded every learner; one whose reload failed is still marked stale.
  for (PendingBatch::LearnerEvents& l : batch.learners) {
    if (l.slot->NeedsReload(*batch.curriculum)) {
      PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*batch.curriculum, *l.learner, l.slot));
    }
    l.applied = false;
  }
  batch.events = std::move(batch.store_batch.events);
  batch.store_batch = store::EventBatch();
  return Status::Ok();
}

void Tenant::RememberEventIds(const PendingBatch& batch) {
  std::vector<EventIdFilter::Key> recorded_keys;
  recorded_keys.reserve(batch.store_batch.events.size());
  for (size_t i = 0; i < batch.store_batch.events.size(); ++i) {
    if (!batch.duplicate[i]) recorded_keys.push_back(batch.keys[i]);
  }
  SeenEvents& seen = *seen_events_;
  const bool was_saturated = seen.filter.saturated();
  seen.filter.InsertAll(recorded_keys);
  if (!was_saturated && seen.filter.saturated()) {
    LogLine(LogLevel::kWarning, "event-id filter full; duplicates are looked up in the store")
        .Add("tenant", id_)
        .Add("max_event_filter_bytes", limits_->max_event_filter_bytes);
  }
}

std::vector<LearnerMastery> Tenant::ChangedMastery(PendingBatch& batch) {
  std::vector<LearnerMastery> changed;
  changed.reserve(batch.learners.size());
  for (store::LearnerUpdate& update : batch.store_batch.learners) {
    std::sort(update.states.begin(), update.states.end(),
              [](const MasteryEstimate& a, const MasteryEstimate& b) {
                return a.competency_id < b.competency_id;
              });
    changed.push_back(LearnerMastery{update.learner_id, std::move(update.states)});
  }
  return changed;
}

void Tenant::ReloadAppliedLearners(PendingBatch& batch) {
  for (PendingBatch::LearnerEvents& l : batch.learners) {
    if (!l.applied) continue;
    Status reloaded = ReloadLearnerLocked(*batch.curriculum, *l.learner, l.slot);
    if (!reloaded.ok()) {
      LogLine(LogLevel::kError, "learner reload failed; will retry on next use")
          .Add("tenant", id_)
          .Add("learner", *l.learner)
          .Add(reloaded);
    }
  }
}

Status Tenant::ReadLearner(const Curriculum& current, const std::string& learner_id, bool allow_new,
                           const std::function<Status()>& read) {
  LearnerSlot* slot = FindSlotToLoad(learner_id);
  std::unique_lock<std::mutex> lock;
  bool stored = false;
  if (slot != nullptr) {
    lock = std::unique_lock<std::mutex>(slot->mu);
    if (slot->NeedsReload(current))
      PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(current, learner_id, slot));
    stored = slot->stored;
  }
  if (!stored && !allow_new) return UnknownLearner(learner_id);
  if (!current.has_graph()) return NoGraph();
  return read();
}

Result<LearnerMastery> Tenant::ReadMastery(const Curriculum& current, const std::string& learner_id,
                                           bool allow_new, std::vector<GroupMastery>* groups,
                                           std::optional<LearnerFactors>* pace) {
  LearnerMastery mastery;
  PATHWISE_RETURN_IF_ERROR(ReadLearner(current, learner_id, allow_new, [&]() -> Status {
    if (groups != nullptr) *groups = current.engine->GroupRollup(learner_id);
    mastery = current.engine->Mastery(learner_id);
    if (pace != nullptr) {
      // NotFound: a learner without events, who has no pace of their own.
      Result<LearnerFactors> own = current.engine->tracker().Pace(learner_id);
      if (own.ok()) *pace = *own;
    }
    return Status::Ok();
  }));
  return mastery;
}

Result<MasteryView> Tenant::Mastery(const std::string& learner_id,
                                    const std::vector<std::string>& competency_ids,
                                    bool include_groups) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_ptr<const Curriculum> current = curriculum();
  MasteryView view;
  view.graph_version = current->graph_version;
  view.model_version = current->model_version;
  PATHWISE_ASSIGN_OR_RETURN(LearnerMastery all,
                            ReadMastery(*current, learner_id, false,
                                        include_groups ? &view.groups : nullptr, &view.pace));
  for (MasteryEstimate& e : all.competencies) e = Normalized(std::move(e));
  if (competency_ids.empty()) {
    view.mastery = std::move(all);
    return view;
  }
  view.mastery.learner_id = learner_id;
  view.mastery.competencies.reserve(competency_ids.size());
  for (size_t i = 0; i < competency_ids.size(); ++i) {
    auto it = current->competency_index.find(competency_ids[i]);
    if (it == current->competency_index.end()) {
      return Status::NotFound(IndexPath("competency_ids", i) + ": competency '" +
                              competency_ids[i] + "' is not in graph version " +
                              std::to_string(current->graph_version));
    }
    view.mastery.competencies.push_back(all.competencies[it->second]);
  }
  return view;
}

Result<RecommendView> Tenant::Recommend(const RecommendCall& call) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_ptr<const Curriculum> current = curriculum();
  RecommendView view;
  view.graph_version = current->graph_version;
  view.model_version = current->model_version;
  // Under the learner's lock: the engine's tracker and policies may hold events of a batch being
  // committed, which must not be seen before they are durable.
  PATHWISE_RETURN_IF_ERROR(
      ReadLearner(*current, call.learner_id, !call.require_known_learner, [&]() -> Status {
        PATHWISE_ASSIGN_OR_RETURN(
            view.recommendations,
            current->engine->Recommend(call.learner_id, call.request, call.policy));
        return Status::Ok();
      }));
  return view;
}

Result<PlanView> Tenant::Plan(const PlanCall& call) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_ptr<const Curriculum> current = curriculum();
  PlanView view;
  view.graph_version = current->graph_version;
  view.model_version = current->model_version;
  PATHWISE_RETURN_IF_ERROR(
      ReadLearner(*current, call.learner_id, !call.require_known_learner, [&]() -> Status {
        PATHWISE_ASSIGN_OR_RETURN(view.pathway, current->engine->Plan(call.learner_id, call.goals));
        return Status::Ok();
      }));
  return view;
}

Result<LearnerExport> Tenant::ExportLearner(const std::string& learner_id) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  LearnerSlot* slot = FindSlotToLoad(learner_id);
  if (slot == nullptr) return UnknownLearner(learner_id);
  std::lock_guard<std::mutex> lock(slot->mu);
  const std::shared_ptr<const Curriculum> current = curriculum();
  if (slot->NeedsReload(*current))
    PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*current, learner_id, slot));
  if (!slot->stored) return UnknownLearner(learner_id);
  LearnerExport out;
  PATHWISE_ASSIGN_OR_RETURN(out.state_, store_->GetLearner(id_, learner_id));
  out.store_ = store_;
  out.tenant_id_ = id_;
  out.rewrites_ = &slot->rewrites;
  out.rewrites_at_start_ = slot->rewrites.load(std::memory_order_acquire);
  return out;
}

Status LearnerExport::Rewritten() const {
  return Status(StatusCode::kAborted, "learner '" + state_.learner_id +
                                          "' was deleted or had events voided during the "
                                          "export: export it again");
}

Result<std::vector<store::StoredObservation>> LearnerExport::NextEvents(size_t limit) {
  std::vector<store::StoredObservation> page;
  const int64_t last = state_.last_event_sequence;
  if (after_sequence_ >= last) return page;
  Result<std::vector<store::StoredObservation>> listed =
      store_->ListEvents(tenant_id_, state_.learner_id, after_sequence_, limit);
  if (!listed.ok()) {
    if (listed.status().code() == StatusCode::kNotFound) return Rewritten();
    return listed.status();
  }
  // Read after the page: a rewrite that began before the page was read is seen here.
  if (rewrites_->load(std::memory_order_acquire) != rewrites_at_start_) return Rewritten();
  page = std::move(listed).value();
  while (!page.empty() && page.back().sequence > last) page.pop_back();
  // Events up to `last` existed when the export began and only a rewrite removes them.
  if (page.empty()) return Rewritten();
  after_sequence_ = page.back().sequence;
  return page;
}

Result<std::vector<store::StoredObservation>> LearnerExport::RemainingEvents() {
  std::vector<store::StoredObservation> all;
  for (;;) {
    PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> page, NextEvents(kEventPage));
    if (page.empty()) return all;
    all.insert(all.end(), std::make_move_iterator(page.begin()),
               std::make_move_iterator(page.end()));
  }
}

Status Tenant::DeleteLearner(const std::string& learner_id) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_lock<std::shared_mutex> write(write_mu_);
  LearnerSlot* slot = FindSlotToLoad(learner_id);
  if (slot == nullptr) return UnknownLearner(learner_id);
  std::lock_guard<std::mutex> lock(slot->mu);
  const std::shared_ptr<const Curriculum> current = curriculum();
  if (slot->NeedsReload(*current))
    PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*current, learner_id, slot));
  if (!slot->stored) return UnknownLearner(learner_id);
  slot->rewrites.fetch_add(1, std::memory_order_acq_rel);
  Status deleted = store_->DeleteLearner(id_, learner_id);
  if (!deleted.ok() && deleted.code() != StatusCode::kNotFound) return deleted;
  if (current->has_graph()) {
    Status removed = current->engine->RemoveLearner(learner_id);
    (void)removed;  // NotFound: the learner practised nothing the graph still has
  }
  slot->stored = false;
  slot->stale = false;
  slot->version = 0;
  if (!deleted.ok()) return UnknownLearner(learner_id);
  LogLine(LogLevel::kInfo, "learner deleted").Add("tenant", id_).Add("learner", learner_id);
  return Status::Ok();
}

Result<RecordPreview> Tenant::PreviewRecord(const std::vector<Observation>& events) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_lock<std::shared_mutex> write(write_mu_);
  const std::shared_ptr<const Curriculum> current = curriculum();
  std::map<std::string, std::vector<std::string>> ids_of_learner;
  for (const Observation& e : events) ids_of_learner[e.learner_id].push_back(e.event_id);
  RecordPreview preview;
  for (const auto& [learner, ids] : ids_of_learner) {
    LearnerSlot* slot = FindSlotToLoad(learner);
    bool stored = false;
    if (slot != nullptr) {
      std::lock_guard<std::mutex> lock(slot->mu);
      if (slot->NeedsReload(*current))
        PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*current, learner, slot));
      stored = slot->stored;
    }
    if (!stored) {
      preview.new_learners.push_back(learner);
      preview.new_events += ids.size();
      continue;
    }
    PATHWISE_ASSIGN_OR_RETURN(std::vector<bool> recorded,
                              store_->FindRecordedEvents(id_, learner, ids));
    for (bool r : recorded) ++(r ? preview.duplicates : preview.new_events);
  }
  return preview;
}

Result<VoidOutcome> Tenant::VoidEvents(const std::vector<std::string>& event_ids, bool dry_run) {
  PATHWISE_RETURN_IF_ERROR(CatchUp());
  std::shared_lock<std::shared_mutex> write(write_mu_);
  std::shared_ptr<const Curriculum> current = curriculum();
  // Every stored learner may hold one of the ids: those the warm-up has not reached too.
  PATHWISE_RETURN_IF_ERROR(EnsureAllListed());
  std::vector<std::pair<std::string, LearnerSlot*>> learners;
  {
    std::lock_guard<std::mutex> lock(slots_mu_);
    for (const auto& [learner, slot] : slots_) learners.emplace_back(learner, slot.get());
  }
  std::sort(learners.begin(), learners.end());
  VoidOutcome out;
  std::unordered_set<std::string> found;
  // The filter rules out almost every learner without a store lookup; until it is complete (after
  // a start from stored states) every stored learner is asked.
  const std::shared_ptr<SeenEvents> seen = seen_events_;
  const bool seen_complete = seen->complete.load();
  for (auto& [learner, slot] : learners) {
    std::vector<std::string> candidates;
    for (const std::string& id : event_ids) {
      if (!seen_complete || seen->filter.MayContain(learner, id)) candidates.push_back(id);
    }
    if (candidates.empty()) continue;
    std::lock_guard<std::mutex> lock(slot->mu);
    if (slot->NeedsReload(*current))
      PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*current, learner, slot));
    if (!slot->stored) continue;
    PATHWISE_ASSIGN_OR_RETURN(std::vector<bool> recorded,
                              store_->FindRecordedEvents(id_, learner, candidates));
    std::unordered_set<std::string> remove;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (recorded[i]) remove.insert(candidates[i]);
    }
    if (remove.empty()) continue;
    std::vector<std::string> sorted(remove.begin(), remove.end());
    std::sort(sorted.begin(), sorted.end());
    for (std::string& id : sorted) {
      found.insert(id);
      out.removed.push_back({learner, std::move(id)});
    }
    if (dry_run) continue;
    if (slot->NeedsReload(*current))
      PATHWISE_RETURN_IF_ERROR(ReloadLearnerLocked(*current, learner, slot));
    PATHWISE_RETURN_IF_ERROR(RemoveEventsLocked(*current, learner, remove, slot));
    ++out.learners_rescored;
  }
  for (const std::string& id : event_ids) {
    if (found.count(id) == 0) out.not_found.push_back(id);
  }
  return out;
}

Status Tenant::RemoveEventsLocked(const Curriculum& curriculum, const std::string& learner_id,
                                  const std::unordered_set<std::string>& event_ids,
                                  LearnerSlot* slot) {
  PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> events,
                            ReadAllEvents(*store_, id_, learner_id));
  std::vector<store::StoredObservation> kept;
  for (store::StoredObservation& e : events) {
    if (event_ids.count(e.observation.event_id) == 0) kept.push_back(std::move(e));
  }
  // The states of the remaining events, computed before the store changes, exactly as a rebuild
  // derives them (a replay into the engine).
  store::EventBatch batch;
  batch.tenant_id = id_;
  store::LearnerUpdate update(learner_id, slot->version);
  slot->stale = true;  // memory leaves the store's state from here until the commit
  if (curriculum.has_graph()) {
    Status removed = curriculum.engine->RemoveLearner(learner_id);
    (void)removed;  // NotFound: nothing of this learner was applied
    PATHWISE_RETURN_IF_ERROR(Replay(*curriculum.engine, kept));
    Result<LearnerMastery> mastery = curriculum.engine->tracker().Mastery(learner_id);
    if (mastery.ok()) {
      for (const MasteryEstimate& e : mastery->competencies) {
        if (e.opportunities > 0) update.states.push_back(Normalized(e));
      }
    }
    PATHWISE_ASSIGN_OR_RETURN(update.policy_states,
                              SavePolicyStates(*curriculum.engine, learner_id));
  }
  for (store::StoredObservation& e : kept) batch.events.push_back(std::move(e.observation));
  batch.learners.push_back(std::move(update));

  // One store operation either way, so that the store holds the learner as before or as voided,
  // never in between; on failure memory goes back to what the store holds.
  slot->rewrites.fetch_add(1, std::memory_order_acq_rel);
  if (batch.events.empty()) {
    Status deleted = store_->DeleteLearner(id_, learner_id);
    if (!deleted.ok()) {
      (void)ReloadLearnerLocked(curriculum, learner_id, slot);
      return Status(deleted.code(),
                    "voiding: learner '" + learner_id + "' is unchanged: " + deleted.message());
    }
    slot->stored = false;
    slot->version = 0;
    slot->stale = false;
    if (curriculum.has_graph()) (void)curriculum.engine->RemoveLearner(learner_id);
    return Status::Ok();
  }
  Result<store::CommitResult> committed = store_->ReplaceLearner(batch);
  if (!committed.ok()) {
    (void)ReloadLearnerLocked(curriculum, learner_id, slot);
    return Status(committed.status().code(), "voiding: learner '" + learner_id +
                                                 "' is unchanged: " + committed.status().message());
  }
  slot->stored = true;
  slot->version = committed->learner_versions[0];
  slot->stale = false;
  LogLine(LogLevel::kInfo, "events voided")
      .Add("tenant", id_)
      .Add("learner", learner_id)
      .Add("removed", static_cast<uint64_t>(events.size() - batch.events.size()));
  return Status::Ok();
}

std::shared_ptr<const Roster> Tenant::roster() const {
  std::lock_guard<std::mutex> lock(roster_mu_);
  return roster_;
}

Result<bool> Tenant::PutRoster(Roster roster) {
  const std::string json = RosterToJson(roster);
  auto next = std::make_shared<const Roster>(std::move(roster));
  // Under the lock, so that the roster in memory is the latest stored one.
  std::lock_guard<std::mutex> lock(roster_mu_);
  PATHWISE_RETURN_IF_ERROR(store_->PutRoster(id_, json).status());
  const bool replaced = roster_ != nullptr;
  roster_ = std::move(next);
  return replaced;
}

Result<ResponseLog> Tenant::CollectResponseLog() const {
  std::shared_ptr<const Curriculum> current = curriculum();
  if (!current->has_graph()) return NoGraph();
  const CompetencyGraph& graph = current->engine->graph();
  ResponseLog log;
  std::string after;
  while (true) {
    PATHWISE_ASSIGN_OR_RETURN(std::vector<std::string> learners,
                              store_->ListLearners(id_, after, kLearnerPage));
    for (const std::string& learner : learners) {
      Result<std::vector<store::StoredObservation>> events = ReadAllEvents(*store_, id_, learner);
      if (!events.ok()) {
        if (events.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
        return events.status();
      }
      for (const store::StoredObservation& e : *events) {
        const Observation& o = e.observation;
        const bool correct = o.outcome >= 0.5;
        if (const Activity* activity = graph.FindActivity(o.activity_id)) {
          for (const PracticedCompetency& pc : activity->competencies) {
            log.AddRow(learner, pc.competency_id, activity->id, correct);
          }
        } else if (graph.FindCompetency(o.activity_id) != nullptr) {
          log.AddRow(learner, o.activity_id, "", correct);
        }
      }
    }
    if (learners.size() < kLearnerPage) break;
    after = learners.back();
  }
  return log;
}

}  // namespace pathwise::app
