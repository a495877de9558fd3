#include <array>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <pathwise/engine.h>

#include "memory_compaction.h"
#include "recommender_index.h"

namespace pathwise {
namespace {

constexpr size_t kNumKinds = 4;  // PolicyKind values are 0..3
constexpr PolicyKind kAllKinds[kNumKinds] = {PolicyKind::kMastery, PolicyKind::kZpdes,
                                             PolicyKind::kRandom, PolicyKind::kCurriculum};
// Learners are spread over this many independently locked shards of policy state, so that Record
// calls for different learners rarely wait for each other.
constexpr size_t kShards = 16;

uint64_t Fnv1a(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The generator stream of a learner's draw: a function of the learner and of its policy state.
uint64_t DrawStream(std::string_view learner_id, std::string_view policy_state) {
  uint64_t h = Fnv1a(0xcbf29ce484222325ULL, learner_id);
  if (policy_state.empty()) return h;
  h = Fnv1a(h, std::string_view("\xff", 1));
  return Fnv1a(h, policy_state);
}

bool Draws(PolicyKind kind) { return kind == PolicyKind::kRandom || kind == PolicyKind::kZpdes; }

}  // namespace

// Per-learner policy state of a shard of learners: one instance of each policy kind that keeps
// learner state holds the state of every learner of the shard.
struct Engine::LearnerPolicies {
  std::mutex mu;
  std::array<std::unique_ptr<Policy>, kNumKinds> holders;  // null for stateless kinds
  std::unordered_set<std::string> learners;                // every learner a holder may know
};

struct Engine::Impl {
  CompetencyGraph graph;
  BktModel model;
  std::unique_ptr<MasteryTracker> tracker;
  std::array<LearnerPolicies, kShards> shards;
  // Built by Create from graph and model; replaced whole by SetRecommenderOptions while calls that
  // hold the old one finish with it.
  std::mutex recommend_mutex;
  std::shared_ptr<RecommendState> recommend_state;
};

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::Create(CompetencyGraph graph, BktModel model,
                                               EngineOptions options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("options"));
  auto impl = std::make_unique<Impl>();
  impl->graph = std::move(graph);
  impl->model = std::move(model);
  PATHWISE_ASSIGN_OR_RETURN(impl->tracker,
                            MasteryTracker::Create(impl->graph, impl->model, options.tracker));
  std::unique_ptr<Engine> engine(new Engine(std::move(impl)));
  // The policies start from the tracker's evidence before "mastered", so that both say the same.
  RecommenderOptions recommender;
  recommender.mastery.mastery_min_opportunities = options.tracker.mastery_min_opportunities;
  recommender.mastery.mastery_recent_correct = options.tracker.mastery_recent_correct;
  PATHWISE_RETURN_IF_ERROR(engine->SetRecommenderOptions(recommender));
  return engine;
}

const CompetencyGraph& Engine::graph() const { return impl_->graph; }
const BktModel& Engine::model() const { return impl_->model; }
MasteryTracker& Engine::tracker() { return *impl_->tracker; }
const MasteryTracker& Engine::tracker() const { return *impl_->tracker; }

Engine::LearnerPolicies& Engine::ShardOf(std::string_view learner_id) const {
  return impl_->shards[Fnv1a(0xcbf29ce484222325ULL, learner_id) % kShards];
}

Status Engine::Observe(const Observation& observation) {
  LearnerPolicies& shard = ShardOf(observation.learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  for (std::unique_ptr<Policy>& holder : shard.holders) {
    if (holder == nullptr) continue;
    shard.learners.insert(observation.learner_id);
    Status observed = holder->Observe(observation);
    // The tracker accepted the observation, and the policies validate it the same way.
    if (!observed.ok()) {
      return Status::Internal(
          "the " + std::string(PolicyKindName(holder->kind())) +
          " policy rejected an observation the tracker applied: " + observed.message());
    }
  }
  return Status::Ok();
}

Result<RecordResult> Engine::Record(const Observation& observation) {
  PATHWISE_ASSIGN_OR_RETURN(RecordResult result, impl_->tracker->Record(observation));
  if (result.applied) PATHWISE_RETURN_IF_ERROR(Observe(observation));
  return result;
}

Result<size_t> Engine::RecordBatch(const std::vector<Observation>& observations) {
  std::vector<bool> applied;
  PATHWISE_ASSIGN_OR_RETURN(size_t n, impl_->tracker->RecordBatch(observations, &applied));
  for (size_t i = 0; i < observations.size(); ++i) {
    if (applied[i]) PATHWISE_RETURN_IF_ERROR(Observe(observations[i]));
  }
  return n;
}

LearnerMastery Engine::Mastery(std::string_view learner_id) const {
  Result<LearnerMastery> mastery = impl_->tracker->Mastery(learner_id);
  if (mastery.ok()) return std::move(mastery).value();
  return impl_->tracker->PriorMastery(learner_id);
}

std::vector<std::string> Engine::Frontier(std::string_view learner_id) const {
  const LearnerMastery mastery = Mastery(learner_id);
  std::unordered_map<std::string_view, bool> mastered;
  mastered.reserve(mastery.competencies.size());
  for (const MasteryEstimate& e : mastery.competencies)
    mastered.emplace(e.competency_id, e.mastered);
  return impl_->graph.Frontier([&mastered](const std::string& competency_id) {
    auto it = mastered.find(competency_id);
    return it != mastered.end() && it->second;
  });
}

std::vector<GroupMastery> Engine::GroupRollup(std::string_view learner_id) const {
  const LearnerMastery mastery = Mastery(learner_id);
  std::unordered_map<std::string_view, const MasteryEstimate*> by_id;
  by_id.reserve(mastery.competencies.size());
  for (const MasteryEstimate& e : mastery.competencies) by_id.emplace(e.competency_id, &e);

  std::vector<GroupMastery> rollup;
  for (const Group* group : impl_->graph.groups()) {
    GroupMastery g;
    g.group_id = group->id;
    double sum = 0.0;
    for (const std::string& member : impl_->graph.GroupMembers(group->id)) {
      auto it = by_id.find(member);
      if (it == by_id.end())
        continue;  // the graph and the tracker were built together; cannot happen
      ++g.members;
      sum += it->second->p_learned;
      if (it->second->mastered) ++g.members_mastered;
    }
    if (g.members > 0) g.p_learned = sum / static_cast<double>(g.members);
    g.mastered = g.members > 0 && g.members_mastered == g.members;
    rollup.push_back(std::move(g));
  }
  return rollup;
}

// Recommendation and planning. Policies keep per-call scratch, so concurrent calls each borrow a
// fork from a small pool per kind (random and zpdes fork per call instead, for their seeding).
struct Engine::RecommendState {
  RecommenderOptions options;
  struct Served {
    std::unique_ptr<Policy> prototype;
    std::mutex pool_mutex;
    std::vector<std::unique_ptr<Policy>> pool;
  };
  std::array<Served, kNumKinds> served;
  std::unique_ptr<PathwayPlanner> planner;
};

std::shared_ptr<Engine::RecommendState> Engine::GetRecommendState() const {
  std::lock_guard<std::mutex> lock(impl_->recommend_mutex);
  return impl_->recommend_state;
}

RecommenderOptions Engine::recommender_options() const { return GetRecommendState()->options; }

Status Engine::SetRecommenderOptions(const RecommenderOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("options"));
  auto state = std::make_shared<RecommendState>();
  state->options = options;
  // One index shared by every kind (MakePolicy would build one each).
  PATHWISE_ASSIGN_OR_RETURN(std::shared_ptr<const rec_internal::RecIndex> index,
                            rec_internal::BuildRecIndex(impl_->graph, impl_->model, options));
  state->served[static_cast<size_t>(PolicyKind::kMastery)].prototype =
      rec_internal::NewMasteryPolicy(index);
  state->served[static_cast<size_t>(PolicyKind::kZpdes)].prototype =
      rec_internal::NewZpdesPolicy(index, 0);
  state->served[static_cast<size_t>(PolicyKind::kRandom)].prototype =
      rec_internal::NewRandomPolicy(index, 0);
  state->served[static_cast<size_t>(PolicyKind::kCurriculum)].prototype =
      rec_internal::NewCurriculumPolicy(index);
  PATHWISE_ASSIGN_OR_RETURN(state->planner,
                            PathwayPlanner::Create(impl_->graph, impl_->model, options));

  // New holders, with every learner's state carried over; then both are swapped in while every
  // shard is locked, so that no observation lands in a holder that is being replaced.
  std::vector<std::unique_lock<std::mutex>> locks;
  locks.reserve(kShards);
  for (LearnerPolicies& shard : impl_->shards) locks.emplace_back(shard.mu);
  std::array<std::array<std::unique_ptr<Policy>, kNumKinds>, kShards> holders;
  for (size_t s = 0; s < kShards; ++s) {
    LearnerPolicies& shard = impl_->shards[s];
    for (PolicyKind kind : kAllKinds) {
      const size_t k = static_cast<size_t>(kind);
      const Policy& prototype = *state->served[k].prototype;
      if (!prototype.keeps_learner_state()) continue;
      holders[s][k] = prototype.Fork(0);
      if (shard.holders[k] == nullptr) continue;
      for (const std::string& learner : shard.learners) {
        PATHWISE_ASSIGN_OR_RETURN(std::string bytes, shard.holders[k]->SaveLearnerState(learner));
        PATHWISE_RETURN_IF_ERROR(holders[s][k]->RestoreLearnerState(learner, bytes));
      }
    }
  }
  // Validated with the options above, so this cannot fail.
  PATHWISE_RETURN_IF_ERROR(impl_->tracker->SetMasteryEvidence(
      options.mastery.mastery_min_opportunities, options.mastery.mastery_recent_correct));
  for (size_t s = 0; s < kShards; ++s) impl_->shards[s].holders = std::move(holders[s]);
  std::lock_guard<std::mutex> lock(impl_->recommend_mutex);
  impl_->recommend_state = std::move(state);
  return Status::Ok();
}

Result<std::string> Engine::SaveLearnerState(PolicyKind kind, std::string_view learner_id) const {
  const size_t k = static_cast<size_t>(kind);
  if (k >= kNumKinds) return Status::InvalidArgument("unknown policy kind " + std::to_string(k));
  LearnerPolicies& shard = ShardOf(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.holders[k] == nullptr) return std::string();
  return shard.holders[k]->SaveLearnerState(learner_id);
}

Status Engine::RestoreLearnerState(PolicyKind kind, std::string_view learner_id,
                                   std::string_view bytes) {
  const size_t k = static_cast<size_t>(kind);
  if (k >= kNumKinds) return Status::InvalidArgument("unknown policy kind " + std::to_string(k));
  LearnerPolicies& shard = ShardOf(learner_id);
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.holders[k] == nullptr) {
    // A stateless kind: its own answer (OK for empty bytes, InvalidArgument otherwise).
    return GetRecommendState()->served[k].prototype->Fork(0)->RestoreLearnerState(learner_id,
                                                                                  bytes);
  }
  PATHWISE_RETURN_IF_ERROR(shard.holders[k]->RestoreLearnerState(learner_id, bytes));
  if (!bytes.empty()) shard.learners.emplace(learner_id);
  return Status::Ok();
}

Status Engine::RemoveLearner(std::string_view learner_id) {
  {
    LearnerPolicies& shard = ShardOf(learner_id);
    std::lock_guard<std::mutex> lock(shard.mu);
    for (std::unique_ptr<Policy>& holder : shard.holders) {
      if (holder != nullptr) PATHWISE_RETURN_IF_ERROR(holder->RestoreLearnerState(learner_id, ""));
    }
    shard.learners.erase(std::string(learner_id));
  }
  return impl_->tracker->RemoveLearner(learner_id);
}

size_t Engine::CompactMemory() {
  size_t released = impl_->tracker->CompactMemory();
  for (LearnerPolicies& shard : impl_->shards) {
    compaction_internal::VisitInBatches(shard.mu, shard.learners, [&](const std::string& learner) {
      for (std::unique_ptr<Policy>& holder : shard.holders) {
        if (holder != nullptr) released += holder->CompactMemory(learner);
      }
    });
  }
  return released;
}

Result<std::vector<Recommendation>> Engine::Recommend(std::string_view learner_id,
                                                      const RecommendRequest& request) const {
  return Recommend(learner_id, request, PolicyKind::kMastery);
}

Result<std::vector<Recommendation>> Engine::Recommend(std::string_view learner_id,
                                                      const RecommendRequest& request,
                                                      PolicyKind kind) const {
  const size_t k = static_cast<size_t>(kind);
  if (k >= kNumKinds) return Status::InvalidArgument("unknown policy kind " + std::to_string(k));
  std::shared_ptr<RecommendState> state = GetRecommendState();
  RecommendState::Served& served = state->served[k];
  PATHWISE_ASSIGN_OR_RETURN(LearnerState learner,
                            served.prototype->StateFromMastery(Mastery(learner_id)));
  learner.learner_id = std::string(learner_id);
  if (Result<LearnerFactors> pace = impl_->tracker->Pace(learner_id); pace.ok()) {
    if (pace->prior_offset != 0.0 || pace->learn_offset != 0.0) learner.pace = *pace;
  }
  const bool stateful = served.prototype->keeps_learner_state();
  std::string policy_state;
  if (stateful) {
    PATHWISE_ASSIGN_OR_RETURN(policy_state, SaveLearnerState(kind, learner_id));
  }

  std::unique_ptr<Policy> policy;
  if (Draws(kind)) {
    policy = served.prototype->Fork(DrawStream(learner_id, policy_state));
  } else {
    std::lock_guard<std::mutex> lock(served.pool_mutex);
    if (!served.pool.empty()) {
      policy = std::move(served.pool.back());
      served.pool.pop_back();
    }
  }
  if (policy == nullptr) policy = served.prototype->Fork(0);
  if (stateful) PATHWISE_RETURN_IF_ERROR(policy->RestoreLearnerState(learner_id, policy_state));
  Result<std::vector<Recommendation>> result = policy->Recommend(learner, request);
  if (Draws(kind)) return result;
  if (stateful && !policy->RestoreLearnerState(learner_id, "").ok()) return result;
  std::lock_guard<std::mutex> lock(served.pool_mutex);
  served.pool.push_back(std::move(policy));
  return result;
}

Result<Pathway> Engine::Plan(std::string_view learner_id,
                             const std::vector<std::string>& goals) const {
  return GetRecommendState()->planner->Plan(Mastery(learner_id), goals);
}

}  // namespace pathwise
