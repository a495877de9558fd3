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

}  // namespace pathwise
