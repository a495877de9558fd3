// ZPDES: a learning-progress bandit over a zone of proximal development (Clement et al. 2015).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/recommender.h>

#include "recommender_index.h"

namespace pathwise {
namespace rec_internal {
namespace {

// A floor on every arm's weight so that an arm whose success rate is flat still gets drawn now and
// then beyond the uniform exploration share.
constexpr double kMinWeight = 1e-3;

// The last `window` outcomes of one competency.
struct Arm {
  std::array<float, 64> ring{};
  uint32_t total = 0;  // outcomes ever observed

  void Push(float outcome, int window) {
    ring[total % static_cast<uint32_t>(window)] = outcome;
    ++total;
  }
  int Filled(int window) const {
    return static_cast<int>(std::min<uint32_t>(total, static_cast<uint32_t>(window)));
  }
  // i-th most recent outcome, i in [0, Filled).
  float Recent(int i, int window) const {
    return ring[(total - 1 - static_cast<uint32_t>(i)) % static_cast<uint32_t>(window)];
  }
  double SuccessRate(int window) const {
    const int filled = Filled(window);
    if (filled == 0) return 0.0;
    double sum = 0.0;
    for (int i = 0; i < filled; ++i) sum += Recent(i, window);
    return sum / filled;
  }
  // |mean(newer half) - mean(older half)| of a full window.
  double LearningProgress(int window) const {
    const int half = window / 2;
    double newer = 0.0, older = 0.0;
    for (int i = 0; i < half; ++i) newer += Recent(i, window);
    for (int i = half; i < window; ++i) older += Recent(i, window);
    return std::abs(newer - older) / half;
  }
};

struct LearnerZone {
  std::vector<uint8_t> mastered;  // ZPDES-mastered, by competency
  std::unordered_map<uint32_t, Arm> arms;
  std::set<uint32_t> ready_ranks;  // topological ranks of unmastered competencies whose hard
                                   // prerequisites are all ZPDES-mastered
};

class ZpdesPolicy final : public PolicyBase {
 public:
  ZpdesPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream)
      : PolicyBase(std::move(index)), rng_(MixSeed(index_->options.seed, stream)) {}

  PolicyKind kind() const override { return PolicyKind::kZpdes; }

  std::unique_ptr<Policy> Fork(uint64_t stream) const override {
    return std::make_unique<ZpdesPolicy>(index_, stream);
  }

  Status Observe(const Observation& observation) override {
    PATHWISE_RETURN_IF_ERROR(ResolveObservation(index(), observation, &scratch_));
    LearnerZone& zone = Learner(observation.learner_id);
    const ZpdesPolicyOptions& o = index().options.zpdes;
    for (uint32_t c : scratch_) {
      Arm& arm = zone.arms[c];
      arm.Push(static_cast<float>(observation.outcome), o.window);
      if (!zone.mastered[c] && arm.Filled(o.window) == o.window &&
          arm.SuccessRate(o.window) >= o.mastery_rate)
        MarkMastered(&zone, c);
    }
    return Status::Ok();
  }

  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest& request) override;

  bool keeps_learner_state() const override { return true; }
  Result<std::string> SaveLearnerState(std::string_view learner_id) const override;
  Status RestoreLearnerState(std::string_view learner_id, std::string_view bytes) override;

 private:
  static constexpr uint32_t kStateFormat = 1;

  // The zone of a learner with no state: nothing mastered, the competencies with no hard
  // prerequisite ready.
  LearnerZone NewZone() const {
    LearnerZone zone;
    zone.mastered.assign(index().num_competencies(), 0);
    for (uint32_t c : index().no_hard_prerequisite) zone.ready_ranks.insert(index().topo_rank[c]);
    return zone;
  }

  LearnerZone& Learner(const std::string& learner_id) {
    auto it = learners_.find(learner_id);
    if (it != learners_.end()) return it->second;
    return learners_.emplace(learner_id, NewZone()).first->second;
  }

  void MarkMastered(LearnerZone* zone, uint32_t c) {
    const RecIndex& ix = index();
    zone->mastered[c] = 1;
    zone->ready_ranks.erase(ix.topo_rank[c]);
    const Csr& dep = ix.dependents;
    for (uint32_t i = dep.begin(c); i < dep.end(c); ++i) {
      const uint32_t d = dep.targets[i];
      if (zone->mastered[d] || !ix.IsHard(dep.weights[i])) continue;
      bool all = true;
      const Csr& pre = ix.prerequisites;
      for (uint32_t j = pre.begin(d); j < pre.end(d) && all; ++j)
        all = !ix.IsHard(pre.weights[j]) || zone->mastered[pre.targets[j]];
      if (all) zone->ready_ranks.insert(ix.topo_rank[d]);
    }
  }

  // The allowed activity of competency c to offer next (rotating through them), or kNone.
  uint32_t NextActivity(const LearnerZone& zone, uint32_t c) const {
    const RecIndex& ix = index();
    const Csr& ca = ix.competency_activities;
    auto arm = zone.arms.find(c);
    const uint32_t done = arm == zone.arms.end() ? 0 : arm->second.total;
    const uint32_t degree = ca.degree(c);
    for (uint32_t step = 0; step < degree; ++step) {
      const uint32_t a = ca.targets[ca.begin(c) + (done + step) % degree];
      if (request_.excluded.Contains(a)) continue;
      if (request_.budget && ix.expected_minutes[a] > *request_.budget) continue;
      return a;
    }
    return kNone;
  }

  std::mt19937_64 rng_;
  std::unordered_map<std::string, LearnerZone> learners_;
  GoalClosure goals_;
  ResolvedRequest request_;
  std::vector<uint32_t> scratch_;
};

Result<std::string> ZpdesPolicy::SaveLearnerState(std::string_view learner_id) const {
  auto it = learners_.find(std::string(learner_id));
  if (it == learners_.end()) return std::string();
  const LearnerZone& zone = it->second;
  const RecIndex& ix = index();
  const int window = ix.options.zpdes.window;
  std::vector<uint32_t> arms;
  arms.reserve(zone.arms.size());
  for (const auto& [c, arm] : zone.arms) arms.push_back(c);
  std::sort(arms.begin(), arms.end(),
            [&ix](uint32_t a, uint32_t b) { return ix.competency_ids[a] < ix.competency_ids[b]; });
  LearnerStateWriter out(PolicyKind::kZpdes, kStateFormat);
  out.U32(static_cast<uint32_t>(window));
  out.U32(static_cast<uint32_t>(arms.size()));
  for (uint32_t c : arms) {
    const Arm& arm = zone.arms.at(c);
    out.Bytes(ix.competency_ids[c]);
    out.U32(arm.total);
    out.U8(zone.mastered[c] ? 1 : 0);
    const int kept = arm.Filled(window);
    out.U8(static_cast<uint8_t>(kept));
    for (int i = kept - 1; i >= 0; --i) out.F32(arm.Recent(i, window));
  }
  return out.Finish();
}

Status ZpdesPolicy::RestoreLearnerState(std::string_view learner_id, std::string_view bytes) {
  const std::string id(learner_id);
  if (bytes.empty()) {
    learners_.erase(id);
    return Status::Ok();
  }
  const RecIndex& ix = index();
  const int window = ix.options.zpdes.window;
  LearnerStateReader in(bytes);
  PATHWISE_RETURN_IF_ERROR(in.Header(PolicyKind::kZpdes, kStateFormat).status());
  PATHWISE_ASSIGN_OR_RETURN(uint32_t saved_window, in.U32());
  if (saved_window < 2 || saved_window > 64) {
    return in.Error("window " + std::to_string(saved_window) + " outside [2, 64]");
  }
  PATHWISE_ASSIGN_OR_RETURN(uint32_t num_arms, in.U32());
  LearnerZone zone = NewZone();
  for (uint32_t k = 0; k < num_arms; ++k) {
    PATHWISE_ASSIGN_OR_RETURN(std::string_view competency, in.Bytes());
    PATHWISE_ASSIGN_OR_RETURN(uint32_t total, in.U32());
    PATHWISE_ASSIGN_OR_RETURN(uint8_t mastered, in.U8());
    PATHWISE_ASSIGN_OR_RETURN(uint8_t kept, in.U8());
    if (mastered > 1) return in.Error("mastered flag " + std::to_string(mastered));
    if (kept > saved_window || kept > total) {
      return in.Error(std::to_string(kept) + " outcomes kept of " + std::to_string(total) +
                      " with window " + std::to_string(saved_window));
    }
    Arm arm;
    arm.total = total - kept;
    for (uint8_t i = 0; i < kept; ++i) {
      PATHWISE_ASSIGN_OR_RETURN(float outcome, in.F32());
      if (!(outcome >= 0.0f && outcome <= 1.0f)) return in.Error("outcome outside [0, 1]");
      arm.Push(outcome, window);
    }
    const uint32_t c = ix.FindCompetency(competency);
    if (c == kNone) continue;  // the graph changed since the state was saved
    if (zone.arms.count(c) != 0) {
      return in.Error("competency '" + std::string(competency) + "' listed twice");
    }
    zone.arms.emplace(c, arm);
    zone.mastered[c] = mastered;
  }
  if (!in.done()) return in.Error("unexpected bytes after the last arm");
  // The ready set follows from the mastered flags (MarkMastered keeps it so incrementally).
  zone.ready_ranks.clear();
  const Csr& pre = ix.prerequisites;
  for (uint32_t c = 0; c < ix.num_competencies(); ++c) {
    if (zone.mastered[c]) continue;
    bool ready = true;
    for (uint32_t j = pre.begin(c); j < pre.end(c) && ready; ++j)
      ready = !ix.IsHard(pre.weights[j]) || zone.mastered[pre.targets[j]];
    if (ready) zone.ready_ranks.insert(ix.topo_rank[c]);
  }
  learners_[id] = std::move(zone);
  return Status::Ok();
}

Result<std::vector<Recommendation>> ZpdesPolicy::Recommend(const LearnerState& state,
                                                           const RecommendRequest& request) {
  const RecIndex& ix = index();
  const ZpdesPolicyOptions& o = ix.options.zpdes;
  PATHWISE_RETURN_IF_ERROR(ResolveRequest(ix, request, &request_));
  PATHWISE_RETURN_IF_ERROR(goals_.Update(ix, request.goals));
  LearnerZone& zone = Learner(state.learner_id);

  struct Member {
    uint32_t competency;
    uint32_t activity;
    double weight;
  };
  std::vector<Member> members;
  const size_t cap = o.zone_size > 0 ? static_cast<size_t>(o.zone_size) : SIZE_MAX;
  for (uint32_t rank : zone.ready_ranks) {
    if (members.size() >= cap) break;
    const uint32_t c = ix.topo_order[rank];
    if (!goals_.empty() && !goals_.InClosure(c)) continue;
    const uint32_t a = NextActivity(zone, c);
    if (a != kNone) members.push_back({c, a, 0.0});
  }
  bool reviewing = false;
  if (members.empty()) {
    // Everything reachable is ZPDES-mastered: keep practising the weakest of the goal's
    // competencies (or of all) rather than stop, since outcome-based mastery can be premature.
    std::vector<std::pair<double, uint32_t>> weakest;
    const std::vector<uint32_t>& pool = goals_.empty() ? ix.topo_order : goals_.closure_list();
    for (uint32_t c : pool) {
      auto arm = zone.arms.find(c);
      weakest.push_back({arm == zone.arms.end() ? 0.0 : arm->second.SuccessRate(o.window), c});
    }
    std::stable_sort(weakest.begin(), weakest.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& [rate, c] : weakest) {
      if (members.size() >= (cap == SIZE_MAX ? 6 : cap)) break;
      const uint32_t a = NextActivity(zone, c);
      if (a != kNone) members.push_back({c, a, 0.0});
    }
    reviewing = true;
  }

  std::vector<Recommendation> out;
  for (uint32_t a : request_.pinned) {
    Recommendation rec = BaseRecommendation(ix, a);
    rec.pinned = true;
    rec.reasons.push_back("pinned by request");
    out.push_back(std::move(rec));
  }
  if (members.empty() || out.size() >= request_.k) return out;

  // New arms get the largest weight so that each is tried until its window fills.
  double total = 0.0, max_weight = 0.0;
  for (Member& m : members) {
    auto arm = zone.arms.find(m.competency);
    const bool full = arm != zone.arms.end() && arm->second.Filled(o.window) == o.window;
    m.weight = full ? std::max(kMinWeight, arm->second.LearningProgress(o.window)) : 1.0;
    total += m.weight;
    max_weight = std::max(max_weight, m.weight);
  }
  const double explore = o.exploration / static_cast<double>(members.size());
  std::vector<double> probability(members.size());
  for (size_t i = 0; i < members.size(); ++i)
    probability[i] = (1.0 - o.exploration) * members[i].weight / total + explore;

  double u = UnitDouble(rng_);
  size_t drawn = members.size() - 1;
  for (size_t i = 0; i < members.size(); ++i) {
    if (u < probability[i]) {
      drawn = i;
      break;
    }
    u -= probability[i];
  }
  std::vector<size_t> order(members.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (x == drawn || y == drawn) return x == drawn && y != drawn;
    return probability[x] > probability[y];
  });

  const std::string zone_reason =
      reviewing ? "review: every competency in reach is mastered by recent success"
                : "in the zone of proximal development (" + std::to_string(members.size()) +
                      (members.size() == 1 ? " competency)" : " competencies)");
  for (size_t i : order) {
    if (out.size() >= request_.k) break;
    const Member& m = members[i];
    Recommendation rec = BaseRecommendation(ix, m.activity);
    rec.score = probability[i];
    PartScore part;
    part.part = ScorePart::kLearningProgress;
    part.weight = 1.0;
    part.value = m.weight / max_weight;
    auto arm = zone.arms.find(m.competency);
    const int filled = arm == zone.arms.end() ? 0 : arm->second.Filled(o.window);
    if (filled < o.window) {
      part.reason = "new to the zone: " + std::to_string(filled) + " of " +
                    std::to_string(o.window) + " attempts so far on " +
                    ix.competency_ids[m.competency];
    } else {
      part.reason = "learning progress " + Fixed2(arm->second.LearningProgress(o.window)) +
                    " over the last " + std::to_string(o.window) + " attempts on " +
                    ix.competency_ids[m.competency];
    }
    rec.reasons.push_back(zone_reason);
    if (i == drawn) rec.reasons.push_back("drawn with probability " + Fixed2(probability[i]));
    rec.reasons.push_back(part.reason);
    rec.parts.push_back(std::move(part));
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

std::unique_ptr<Policy> NewZpdesPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream) {
  return std::make_unique<ZpdesPolicy>(std::move(index), stream);
}

}  // namespace rec_internal
}  // namespace pathwise
