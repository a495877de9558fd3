// ZPDES: a learning-progress bandit over a zone of proximal development (Clement et al. 2015).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/recommender.h>

#include "memory_compaction.h"
#include "recommender_index.h"

namespace pathwise {
namespace rec_internal {
namespace {

// A floor on every arm's weight so that an arm whose success rate is flat still gets drawn now and
// then beyond the uniform exploration share.
constexpr double kMinWeight = 1e-3;

// Outcomes are kept in one byte each, in 240ths: a learner's zone is kept for every learner the
// engine has seen, so its size per practised competency is the server's memory per state (issue
// 15: at most 40 bytes with the tracker's 24). 240 holds halves, thirds, quarters, fifths, sixths,
// eighths, tenths, twelfths and twentieths exactly, so binary answers and the usual partial credits
// compare with mastery_rate as before; other credits move by at most 1/480.
constexpr double kOutcomeSteps = 240.0;
inline uint8_t QuantizeOutcome(double outcome) {
  return static_cast<uint8_t>(std::lround(outcome * kOutcomeSteps));
}
inline float OutcomeOf(uint8_t q) { return static_cast<float>(q / kOutcomeSteps); }

// One learner's zone in a single buffer of fixed-size arm records rather than a hash map of arms
// (about 300 bytes per arm as 64 floats in a map node). A record is, for one practised
// competency: its index (u32, bit 31 set when ZPDES-mastered), the outcomes observed (u16,
// saturating at 65,535 as MasteryEstimate::opportunities does) and the last `window` outcomes,
// newest first: 6 + window bytes, in ascending competency index.
class LearnerZone {
 public:
  static constexpr size_t kNoArm = SIZE_MAX;

  explicit LearnerZone(int window) : window_(static_cast<size_t>(window)) {}

  size_t num_arms() const { return bytes_.size() / stride(); }
  uint32_t competency(size_t arm) const { return Word(arm) & ~kMasteredBit; }

  size_t FindArm(uint32_t c) const {
    const size_t arm = LowerBound(c);
    return arm < num_arms() && competency(arm) == c ? arm : kNoArm;
  }
  // The arm of c, added with no outcomes when c has none yet. REQUIRES: the zone's window is the
  // one it was made with.
  size_t AddArm(uint32_t c) {
    const size_t arm = LowerBound(c);
    if (arm < num_arms() && competency(arm) == c) return arm;
    // Grow by an eighth rather than double: a learner's zone lives as long as the server. The room
    // is checked for a whole record: a capacity that is not a multiple of it would otherwise let
    // the insert below grow the buffer the vector's way, by doubling.
    if (bytes_.size() + stride() > bytes_.capacity())
      bytes_.reserve(bytes_.size() + bytes_.size() / 8 + stride());
    bytes_.insert(bytes_.begin() + static_cast<std::ptrdiff_t>(arm * stride()), stride(),
                  uint8_t{0});
    SetWord(arm, c);
    return arm;
  }
  void Reserve(size_t arms) { bytes_.reserve(arms * stride()); }
  // Gives back the buffers' spare room (compaction_internal::ShrinkIfSpare); the bytes released.
  size_t Compact() {
    return compaction_internal::ShrinkIfSpare(bytes_) +
           compaction_internal::ShrinkIfSpare(unlocked_ranks_);
  }

  uint32_t Total(size_t arm) const {
    uint16_t total;
    std::memcpy(&total, Record(arm) + 4, sizeof(total));
    return total;
  }
  void SetTotal(size_t arm, uint32_t total) {
    const uint16_t saturated = static_cast<uint16_t>(std::min<uint32_t>(total, UINT16_MAX));
    std::memcpy(Record(arm) + 4, &saturated, sizeof(saturated));
  }
  bool Mastered(size_t arm) const { return (Word(arm) & kMasteredBit) != 0; }
  bool MasteredCompetency(uint32_t c) const {
    const size_t arm = FindArm(c);
    return arm != kNoArm && Mastered(arm);
  }
  void SetMastered(size_t arm) { SetWord(arm, Word(arm) | kMasteredBit); }

  void Push(size_t arm, double outcome) {
    uint8_t* recent = Record(arm) + kHeader;
    std::memmove(recent + 1, recent, window_ - 1);
    recent[0] = QuantizeOutcome(outcome);
    SetTotal(arm, Total(arm) + 1);
  }
  int Filled(size_t arm) const {
    return static_cast<int>(std::min<uint32_t>(Total(arm), static_cast<uint32_t>(window_)));
  }
  // i-th most recent outcome, i in [0, Filled).
  float Recent(size_t arm, int i) const { return OutcomeOf(Record(arm)[kHeader + i]); }
  double SuccessRate(size_t arm) const {
    const int filled = Filled(arm);
    if (filled == 0) return 0.0;
    double sum = 0.0;
    for (int i = 0; i < filled; ++i) sum += Recent(arm, i);
    return sum / filled;
  }
  // |mean(newer half) - mean(older half)| of a full window.
  double LearningProgress(size_t arm) const {
    const int window = static_cast<int>(window_);
    const int half = window / 2;
    double newer = 0.0, older = 0.0;
    for (int i = 0; i < half; ++i) newer += Recent(arm, i);
    for (int i = half; i < window; ++i) older += Recent(arm, i);
    return std::abs(newer - older) / half;
  }

  // The zone's ready set is RecIndex::no_hard_prerequisite (shared by every learner) minus what
  // is mastered, plus `unlocked_ranks_`: the ranks of unmastered competencies with hard
  // prerequisites, all mastered. So a learner pays only for what practice changed.
  void Unlock(uint32_t rank) {
    auto it = std::lower_bound(unlocked_ranks_.begin(), unlocked_ranks_.end(), rank);
    if (it == unlocked_ranks_.end() || *it != rank) unlocked_ranks_.insert(it, rank);
  }
  void Relock(uint32_t rank) {
    auto it = std::lower_bound(unlocked_ranks_.begin(), unlocked_ranks_.end(), rank);
    if (it != unlocked_ranks_.end() && *it == rank) unlocked_ranks_.erase(it);
  }

  // Calls visit(competency) for each ready competency in ascending topological rank until it
  // returns false.
  template <typename Visit>
  void ForEachReady(const RecIndex& ix, Visit visit) const {
    const std::vector<uint32_t>& base = ix.no_hard_prerequisite;
    size_t i = 0, j = 0;
    while (i < base.size() || j < unlocked_ranks_.size()) {
      uint32_t c;
      if (j == unlocked_ranks_.size() ||
          (i < base.size() && ix.topo_rank[base[i]] < unlocked_ranks_[j])) {
        c = base[i++];
        if (MasteredCompetency(c)) continue;
      } else {
        c = ix.topo_order[unlocked_ranks_[j++]];
      }
      if (!visit(c)) return;
    }
  }

 private:
  static constexpr uint32_t kMasteredBit = 1u << 31;
  static constexpr size_t kHeader = 6;  // u32 competency and flag, u16 total

  size_t stride() const { return kHeader + window_; }
  const uint8_t* Record(size_t arm) const { return bytes_.data() + arm * stride(); }
  uint8_t* Record(size_t arm) { return bytes_.data() + arm * stride(); }
  uint32_t Word(size_t arm) const {
    uint32_t word;
    std::memcpy(&word, Record(arm), sizeof(word));
    return word;
  }
  void SetWord(size_t arm, uint32_t word) { std::memcpy(Record(arm), &word, sizeof(word)); }
  size_t LowerBound(uint32_t c) const {
    size_t lo = 0, hi = num_arms();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (competency(mid) < c) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  size_t window_;
  std::vector<uint8_t> bytes_;
  std::vector<uint32_t> unlocked_ranks_;
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
      const size_t arm = zone.AddArm(c);
      zone.Push(arm, observation.outcome);
      if (!zone.Mastered(arm) && zone.Filled(arm) == o.window &&
          zone.SuccessRate(arm) >= o.mastery_rate)
        MarkMastered(&zone, arm);
    }
    return Status::Ok();
  }

  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest& request) override;

  bool keeps_learner_state() const override { return true; }
  Result<std::string> SaveLearnerState(std::string_view learner_id) const override;
  Status RestoreLearnerState(std::string_view learner_id, std::string_view bytes) override;
  size_t CompactMemory(std::string_view learner_id) override {
    auto it = learners_.find(std::string(learner_id));
    return it == learners_.end() ? 0 : it->second.Compact();
  }

 private:
  // 2: varints, front-coded ids and outcomes in one byte each (240ths, as the zone keeps them):
  // under half the bytes of 1, and the store writes them for every learner of every batch
  // (bench/README.md, "Where ingestion went"). 1 is still read.
  static constexpr uint32_t kStateFormat = 2;

  // A learner with no state has an empty zone: nothing mastered, and the competencies with no
  // hard prerequisite ready.
  LearnerZone& Learner(const std::string& learner_id) {
    return learners_.try_emplace(learner_id, index().options.zpdes.window).first->second;
  }

  // Whether every hard prerequisite of c is ZPDES-mastered.
  bool Unlocked(const LearnerZone& zone, uint32_t c) const {
    const RecIndex& ix = index();
    const Csr& pre = ix.prerequisites;
    for (uint32_t j = pre.begin(c); j < pre.end(c); ++j) {
      if (ix.IsHard(pre.weights[j]) && !zone.MasteredCompetency(pre.targets[j])) return false;
    }
    return true;
  }

  void MarkMastered(LearnerZone* zone, size_t arm) {
    const RecIndex& ix = index();
    const uint32_t c = zone->competency(arm);
    zone->SetMastered(arm);
    zone->Relock(ix.topo_rank[c]);
    const Csr& dep = ix.dependents;
    for (uint32_t i = dep.begin(c); i < dep.end(c); ++i) {
      const uint32_t d = dep.targets[i];
      if (!ix.IsHard(dep.weights[i]) || zone->MasteredCompetency(d)) continue;
      if (Unlocked(*zone, d)) zone->Unlock(ix.topo_rank[d]);
    }
  }

  // The allowed activity of competency c to offer next (rotating through them), or kNone.
  uint32_t NextActivity(const LearnerZone& zone, uint32_t c) const {
    const RecIndex& ix = index();
    const Csr& ca = ix.competency_activities;
    const size_t arm = zone.FindArm(c);
    const uint32_t done = arm == LearnerZone::kNoArm ? 0 : zone.Total(arm);
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
  // By competency id, so that the bytes do not depend on the graph's order.
  std::vector<size_t> arms(zone.num_arms());
  for (size_t arm = 0; arm < arms.size(); ++arm) arms[arm] = arm;
  std::sort(arms.begin(), arms.end(), [&](size_t a, size_t b) {
    return ix.competency_ids[zone.competency(a)] < ix.competency_ids[zone.competency(b)];
  });
  LearnerStateWriter out(PolicyKind::kZpdes, kStateFormat);
  out.Varint(static_cast<uint32_t>(window));
  out.Varint(arms.size());
  std::string_view previous;
  for (size_t arm : arms) {
    // Front coding, as the store's states: sorted ids share long prefixes.
    const std::string_view id = ix.competency_ids[zone.competency(arm)];
    size_t shared = 0;
    while (shared < previous.size() && shared < id.size() && previous[shared] == id[shared]) {
      ++shared;
    }
    out.Varint(shared);
    out.VarintBytes(id.substr(shared));
    previous = id;
    out.Varint(zone.Total(arm));
    const int kept = zone.Filled(arm);
    out.U8(static_cast<uint8_t>((kept << 1) | (zone.Mastered(arm) ? 1 : 0)));
    for (int i = kept - 1; i >= 0; --i) out.U8(QuantizeOutcome(zone.Recent(arm, i)));
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
  PATHWISE_ASSIGN_OR_RETURN(const uint32_t format, in.Header(PolicyKind::kZpdes, kStateFormat));
  const auto count = [&]() -> Result<uint64_t> {
    if (format == 1) {
      PATHWISE_ASSIGN_OR_RETURN(const uint32_t value, in.U32());
      return uint64_t{value};
    }
    return in.Varint();
  };
  PATHWISE_ASSIGN_OR_RETURN(const uint64_t saved_window, count());
  if (saved_window < 2 || saved_window > 64) {
    return in.Error("window " + std::to_string(saved_window) + " outside [2, 64]");
  }
  PATHWISE_ASSIGN_OR_RETURN(const uint64_t num_arms, count());
  // The arms come sorted by competency id; the zone keeps them by index, so they are read first
  // and sorted once rather than inserted one by one.
  struct SavedArm {
    uint32_t competency;
    uint32_t total;
    bool mastered;
    uint8_t kept;
    size_t first_outcome;
  };
  std::vector<SavedArm> saved;
  std::vector<uint8_t> outcomes;
  // Each arm takes at least 4 bytes: a count beyond what the bytes can hold is not reserved.
  saved.reserve(std::min<uint64_t>(num_arms, bytes.size() / 4));
  std::string arm_id;  // format 2: front-coded on the previous arm's
  for (uint64_t k = 0; k < num_arms; ++k) {
    std::string_view competency;
    uint64_t total = 0;
    uint8_t mastered = 0, kept = 0;
    if (format == 1) {
      PATHWISE_ASSIGN_OR_RETURN(competency, in.Bytes());
      PATHWISE_ASSIGN_OR_RETURN(total, in.U32());
      PATHWISE_ASSIGN_OR_RETURN(mastered, in.U8());
      PATHWISE_ASSIGN_OR_RETURN(kept, in.U8());
      if (mastered > 1) return in.Error("mastered flag " + std::to_string(mastered));
    } else {
      PATHWISE_ASSIGN_OR_RETURN(const uint64_t shared, in.Varint());
      if (shared > arm_id.size()) {
        return in.Error("id prefix of " + std::to_string(shared) + " bytes");
      }
      PATHWISE_ASSIGN_OR_RETURN(const std::string_view suffix, in.VarintBytes());
      arm_id.resize(shared);
      arm_id.append(suffix);
      competency = arm_id;
      PATHWISE_ASSIGN_OR_RETURN(total, in.Varint());
      if (total > UINT32_MAX) return in.Error("outcome count " + std::to_string(total));
      PATHWISE_ASSIGN_OR_RETURN(const uint8_t flags, in.U8());
      mastered = flags & 1;
      kept = flags >> 1;
    }
    if (kept > saved_window || kept > total) {
      return in.Error(std::to_string(kept) + " outcomes kept of " + std::to_string(total) +
                      " with window " + std::to_string(saved_window));
    }
    const size_t first_outcome = outcomes.size();
    for (uint8_t i = 0; i < kept; ++i) {
      if (format == 1) {
        PATHWISE_ASSIGN_OR_RETURN(float outcome, in.F32());
        if (!(outcome >= 0.0f && outcome <= 1.0f)) return in.Error("outcome outside [0, 1]");
        outcomes.push_back(QuantizeOutcome(outcome));
      } else {
        PATHWISE_ASSIGN_OR_RETURN(const uint8_t outcome, in.U8());
        if (outcome > kOutcomeSteps) return in.Error("outcome outside [0, 1]");
        outcomes.push_back(outcome);
      }
    }
    const uint32_t c = ix.FindCompetency(competency);
    if (c == kNone) continue;  // the graph changed since the state was saved
    saved.push_back({c, static_cast<uint32_t>(total), mastered == 1, kept, first_outcome});
  }
  if (!in.done()) return in.Error("unexpected bytes after the last arm");
  std::sort(saved.begin(), saved.end(),
            [](const SavedArm& x, const SavedArm& y) { return x.competency < y.competency; });
  LearnerZone zone(window);
  zone.Reserve(saved.size());
  for (size_t k = 0; k < saved.size(); ++k) {
    const SavedArm& s = saved[k];
    if (k > 0 && saved[k - 1].competency == s.competency) {
      return in.Error("competency '" + ix.competency_ids[s.competency] + "' listed twice");
    }
    const size_t arm = zone.AddArm(s.competency);
    zone.SetTotal(arm, s.total - s.kept);
    for (uint8_t i = 0; i < s.kept; ++i) zone.Push(arm, OutcomeOf(outcomes[s.first_outcome + i]));
    if (s.mastered) zone.SetMastered(arm);
  }
  // The unlocked set follows from the mastered flags (MarkMastered keeps it so incrementally):
  // a competency with hard prerequisites, all mastered, is a hard dependent of a mastered one.
  const Csr& dep = ix.dependents;
  for (size_t arm = 0; arm < zone.num_arms(); ++arm) {
    if (!zone.Mastered(arm)) continue;
    const uint32_t c = zone.competency(arm);
    for (uint32_t i = dep.begin(c); i < dep.end(c); ++i) {
      const uint32_t d = dep.targets[i];
      if (!ix.IsHard(dep.weights[i]) || zone.MasteredCompetency(d)) continue;
      if (Unlocked(zone, d)) zone.Unlock(ix.topo_rank[d]);
    }
  }
  learners_.insert_or_assign(id, std::move(zone));
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
  zone.ForEachReady(ix, [&](uint32_t c) {
    if (members.size() >= cap) return false;
    if (!goals_.empty() && !goals_.InClosure(c)) return true;
    const uint32_t a = NextActivity(zone, c);
    if (a != kNone) members.push_back({c, a, 0.0});
    return true;
  });
  bool reviewing = false;
  if (members.empty()) {
    // Everything reachable is ZPDES-mastered: keep practising the weakest of the goal's
    // competencies (or of all) rather than stop, since outcome-based mastery can be premature.
    std::vector<std::pair<double, uint32_t>> weakest;
    const std::vector<uint32_t>& pool = goals_.empty() ? ix.topo_order : goals_.closure_list();
    for (uint32_t c : pool) {
      const size_t arm = zone.FindArm(c);
      weakest.push_back({arm == LearnerZone::kNoArm ? 0.0 : zone.SuccessRate(arm), c});
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
    const size_t arm = zone.FindArm(m.competency);
    const bool full = arm != LearnerZone::kNoArm && zone.Filled(arm) == o.window;
    m.weight = full ? std::max(kMinWeight, zone.LearningProgress(arm)) : 1.0;
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
    const size_t arm = zone.FindArm(m.competency);
    const int filled = arm == LearnerZone::kNoArm ? 0 : zone.Filled(arm);
    if (filled < o.window) {
      part.reason = "new to the zone: " + std::to_string(filled) + " of " +
                    std::to_string(o.window) + " attempts so far on " +
                    ix.competency_ids[m.competency];
    } else {
      part.reason = "learning progress " + Fixed2(zone.LearningProgress(arm)) + " over the last " +
                    std::to_string(o.window) + " attempts on " + ix.competency_ids[m.competency];
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
