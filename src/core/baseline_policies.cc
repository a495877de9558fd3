// Baselines for comparison: random among ready activities, and a fixed topological curriculum.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/recommender.h>

#include "recommender_index.h"

namespace pathwise {
namespace rec_internal {
namespace {

Recommendation PinnedRecommendation(const RecIndex& index, uint32_t a) {
  Recommendation rec = BaseRecommendation(index, a);
  rec.pinned = true;
  rec.reasons.push_back("pinned by request");
  return rec;
}

bool Allowed(const RecIndex& index, const ResolvedRequest& request, uint32_t a) {
  if (request.excluded.Contains(a)) return false;
  return !request.budget || index.expected_minutes[a] <= *request.budget;
}

class RandomPolicy final : public PolicyBase {
 public:
  RandomPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream)
      : PolicyBase(std::move(index)), rng_(MixSeed(index_->options.seed, stream)) {}

  PolicyKind kind() const override { return PolicyKind::kRandom; }
  std::unique_ptr<Policy> Fork(uint64_t stream) const override {
    return std::make_unique<RandomPolicy>(index_, stream);
  }
  Status Observe(const Observation& observation) override {
    return ResolveObservation(index(), observation, &scratch_);
  }

  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest& request) override {
    const RecIndex& ix = index();
    PATHWISE_RETURN_IF_ERROR(view_.Reset(ix, state));
    PATHWISE_RETURN_IF_ERROR(ResolveRequest(ix, request, &request_));
    PATHWISE_RETURN_IF_ERROR(goals_.Update(ix, request.goals));
    const size_t n = ix.num_competencies();
    considered_.Resize(n);
    considered_.Clear();
    seen_.Resize(ix.num_activities());
    seen_.Clear();
    ready_.clear();
    on_path_.clear();

    auto consider = [&](uint32_t c) {
      if (!considered_.Insert(c) || !Ready(c)) return;
      const Csr& ca = ix.competency_activities;
      for (uint32_t i = ca.begin(c); i < ca.end(c); ++i) {
        const uint32_t a = ca.targets[i];
        if (!seen_.Insert(a) || !Allowed(ix, request_, a) || Locked(a)) continue;
        ready_.push_back(a);
        if (OnPath(a)) on_path_.push_back(a);
      }
    };
    for (uint32_t c : ix.static_ready) consider(c);
    for (const CompetencyState& entry : state.competencies) {
      consider(entry.competency);
      const Csr& dep = ix.dependents;
      for (uint32_t i = dep.begin(entry.competency); i < dep.end(entry.competency); ++i)
        consider(dep.targets[i]);
    }

    std::vector<uint32_t>& pool =
        ix.options.random.restrict_to_goal && !on_path_.empty() ? on_path_ : ready_;
    // The generation order depends on the order of the state's entries; sorting makes the draw
    // depend on the set only.
    std::sort(pool.begin(), pool.end());
    std::vector<Recommendation> out;
    for (uint32_t a : request_.pinned) out.push_back(PinnedRecommendation(ix, a));
    const size_t want = std::min(request_.k - out.size(), pool.size());
    for (size_t i = 0; i < want; ++i) {
      const size_t j =
          i + static_cast<size_t>(UnitDouble(rng_) * static_cast<double>(pool.size() - i));
      std::swap(pool[i], pool[j]);
      Recommendation rec = BaseRecommendation(ix, pool[i]);
      rec.reasons.push_back(
          "random choice among " + std::to_string(pool.size()) +
          (&pool == &on_path_ ? " ready activities on the path to the goal" : " ready activities"));
      out.push_back(std::move(rec));
    }
    return out;
  }

 private:
  // Unmastered with every hard prerequisite mastered, whatever the gating option.
  bool Ready(uint32_t c) const {
    if (view_.Mastered(c)) return false;
    return !HardLocked(c);
  }
  bool HardLocked(uint32_t c) const {
    const RecIndex& ix = index();
    const Csr& pre = ix.prerequisites;
    for (uint32_t i = pre.begin(c); i < pre.end(c); ++i)
      if (ix.IsHard(pre.weights[i]) && !view_.Mastered(pre.targets[i])) return true;
    return false;
  }
  bool Locked(uint32_t a) const {
    const Csr& ac = index().activity_competencies;
    for (uint32_t i = ac.begin(a); i < ac.end(a); ++i)
      if (HardLocked(ac.targets[i])) return true;
    return false;
  }
  bool OnPath(uint32_t a) const {
    const Csr& ac = index().activity_competencies;
    for (uint32_t i = ac.begin(a); i < ac.end(a); ++i)
      if (goals_.InClosure(ac.targets[i])) return true;
    return false;
  }

  std::mt19937_64 rng_;
  StateView view_;
  GoalClosure goals_;
  ResolvedRequest request_;
  StampSet considered_;
  StampSet seen_;
  std::vector<uint32_t> ready_;
  std::vector<uint32_t> on_path_;
  std::vector<uint32_t> scratch_;
};

class CurriculumPolicy final : public PolicyBase {
 public:
  explicit CurriculumPolicy(std::shared_ptr<const RecIndex> index) : PolicyBase(std::move(index)) {}

  PolicyKind kind() const override { return PolicyKind::kCurriculum; }
  std::unique_ptr<Policy> Fork(uint64_t /*stream*/) const override {
    return std::make_unique<CurriculumPolicy>(index_);
  }
  Status Observe(const Observation& observation) override {
    return ResolveObservation(index(), observation, &scratch_);
  }

  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest& request) override {
    const RecIndex& ix = index();
    PATHWISE_RETURN_IF_ERROR(view_.Reset(ix, state));
    PATHWISE_RETURN_IF_ERROR(ResolveRequest(ix, request, &request_));
    PATHWISE_RETURN_IF_ERROR(goals_.Update(ix, request.goals));
    const std::vector<uint32_t>& sequence = goals_.empty() ? ix.topo_order : goals_.closure_list();

    std::vector<Recommendation> out;
    for (uint32_t a : request_.pinned) out.push_back(PinnedRecommendation(ix, a));
    if (sequence.empty()) return out;

    auto opportunities = [&](uint32_t c) -> uint32_t {
      const CompetencyState* s = view_.Find(c);
      return s ? s->opportunities : 0;
    };
    // Once every competency has had its share, the curriculum starts another pass, so a learner
    // always has something to do.
    uint32_t pass = UINT32_MAX;
    for (uint32_t c : sequence)
      pass =
          std::min(pass, opportunities(c) / static_cast<uint32_t>(ix.curriculum_opportunities[c]));

    seen_.Resize(ix.num_activities());
    seen_.Clear();
    for (uint32_t a : request_.pinned) seen_.Insert(a);
    const Csr& ca = ix.competency_activities;
    for (size_t step = 0; step < sequence.size() && out.size() < request_.k; ++step) {
      const uint32_t c = sequence[step];
      const uint32_t share = static_cast<uint32_t>(ix.curriculum_opportunities[c]);
      const uint32_t goal = share * (pass + 1);
      const uint32_t degree = ca.degree(c);
      for (uint32_t done = opportunities(c); done < goal && out.size() < request_.k; ++done) {
        // The done-th practice uses the activity at that position, skipping disallowed ones.
        uint32_t a = kNone;
        for (uint32_t probe = 0; probe < degree && a == kNone; ++probe) {
          const uint32_t candidate = ca.targets[ca.begin(c) + (done + probe) % degree];
          if (Allowed(ix, request_, candidate) && !seen_.Contains(candidate)) a = candidate;
        }
        if (a == kNone) break;
        seen_.Insert(a);
        Recommendation rec = BaseRecommendation(ix, a);
        rec.reasons.push_back(
            std::string(pass > 0 ? "curriculum pass " + std::to_string(pass + 1) + ", "
                                 : "curriculum ") +
            "step " + std::to_string(step + 1) + " of " + std::to_string(sequence.size()) + ": " +
            ix.competency_ids[c] + ", practice " + std::to_string(done - share * pass + 1) +
            " of " + std::to_string(share));
        out.push_back(std::move(rec));
      }
    }
    return out;
  }

 private:
  StateView view_;
  GoalClosure goals_;
  ResolvedRequest request_;
  StampSet seen_;
  std::vector<uint32_t> scratch_;
};

}  // namespace

std::unique_ptr<Policy> NewRandomPolicy(std::shared_ptr<const RecIndex> index, uint64_t stream) {
  return std::make_unique<RandomPolicy>(std::move(index), stream);
}

std::unique_ptr<Policy> NewCurriculumPolicy(std::shared_ptr<const RecIndex> index) {
  return std::make_unique<CurriculumPolicy>(std::move(index));
}

}  // namespace rec_internal
}  // namespace pathwise
