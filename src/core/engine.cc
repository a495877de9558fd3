#include <string>
#include <unordered_map>
#include <utility>

#include <pathwise/engine.h>

namespace pathwise {

struct Engine::Impl {
  CompetencyGraph graph;
  BktModel model;
  std::unique_ptr<MasteryTracker> tracker;
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
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

const CompetencyGraph& Engine::graph() const { return impl_->graph; }
const BktModel& Engine::model() const { return impl_->model; }
MasteryTracker& Engine::tracker() { return *impl_->tracker; }
const MasteryTracker& Engine::tracker() const { return *impl_->tracker; }

Result<RecordResult> Engine::Record(const Observation& observation) {
  return impl_->tracker->Record(observation);
}

Result<size_t> Engine::RecordBatch(const std::vector<Observation>& observations) {
  return impl_->tracker->RecordBatch(observations);
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

// Recommendation and planning. The mastery policy keeps per-call scratch, so concurrent calls each
// borrow a fork from a small pool.
struct Engine::RecommendState {
  std::unique_ptr<Policy> prototype;
  std::unique_ptr<PathwayPlanner> planner;
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<Policy>> pool;
};

std::shared_ptr<Engine::RecommendState> Engine::GetRecommendState() const {
  std::lock_guard<std::mutex> lock(recommend_mutex_);
  if (recommend_state_ == nullptr) {
    auto state = std::make_shared<RecommendState>();
    // The model and the default options were validated already (Create), so this cannot fail.
    Result<std::unique_ptr<Policy>> policy =
        MakePolicy(PolicyKind::kMastery, impl_->graph, impl_->model, RecommenderOptions{});
    Result<std::unique_ptr<PathwayPlanner>> planner =
        PathwayPlanner::Create(impl_->graph, impl_->model, RecommenderOptions{});
    if (!policy.ok() || !planner.ok()) return nullptr;
    state->prototype = std::move(policy).value();
    state->planner = std::move(planner).value();
    recommend_state_ = std::move(state);
  }
  return recommend_state_;
}

Status Engine::SetRecommenderOptions(const RecommenderOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("options"));
  auto state = std::make_shared<RecommendState>();
  PATHWISE_ASSIGN_OR_RETURN(state->prototype,
                            MakePolicy(PolicyKind::kMastery, impl_->graph, impl_->model, options));
  PATHWISE_ASSIGN_OR_RETURN(state->planner,
                            PathwayPlanner::Create(impl_->graph, impl_->model, options));
  std::lock_guard<std::mutex> lock(recommend_mutex_);
  recommend_state_ = std::move(state);
  return Status::Ok();
}

Result<std::vector<Recommendation>> Engine::Recommend(std::string_view learner_id,
                                                      const RecommendRequest& request) const {
  std::shared_ptr<RecommendState> state = GetRecommendState();
  if (state == nullptr) return Status::Internal("the recommender could not be built");
  PATHWISE_ASSIGN_OR_RETURN(LearnerState learner,
                            state->prototype->StateFromMastery(Mastery(learner_id)));
  std::unique_ptr<Policy> policy;
  {
    std::lock_guard<std::mutex> lock(state->pool_mutex);
    if (!state->pool.empty()) {
      policy = std::move(state->pool.back());
      state->pool.pop_back();
    }
  }
  if (policy == nullptr) policy = state->prototype->Fork(0);
  Result<std::vector<Recommendation>> result = policy->Recommend(learner, request);
  std::lock_guard<std::mutex> lock(state->pool_mutex);
  state->pool.push_back(std::move(policy));
  return result;
}

Result<Pathway> Engine::Plan(std::string_view learner_id,
                             const std::vector<std::string>& goals) const {
  std::shared_ptr<RecommendState> state = GetRecommendState();
  if (state == nullptr) return Status::Internal("the planner could not be built");
  return state->planner->Plan(Mastery(learner_id), goals);
}

}  // namespace pathwise
