#include "recommender_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/bkt.h>

namespace pathwise {
namespace rec_internal {
namespace {

// Activity::expected_minutes' default: what a competency used as its own activity is assumed to
// take.
constexpr double kDefaultMinutes = 5.0;

Status CheckRange(const std::string& field, double value, double lo, double hi, bool lo_open,
                  bool hi_open) {
  const bool bad = std::isnan(value) || (lo_open ? value <= lo : value < lo) ||
                   (hi_open ? value >= hi : value > hi);
  if (!bad) return Status::Ok();
  return Status::InvalidArgument(field + " must be in " + (lo_open ? "(" : "[") + Fixed2(lo) +
                                 ", " + Fixed2(hi) + (hi_open ? ")" : "]") + ", got " +
                                 std::to_string(value));
}

Status CheckWeight(const std::string& field, double value) {
  if (std::isfinite(value) && value >= 0.0) return Status::Ok();
  return Status::InvalidArgument(field + " must be finite and >= 0, got " + std::to_string(value));
}

// Builds a CSR from (source, target, weight) triples; keeps the triples' order within a source.
Csr BuildCsr(size_t num_nodes, const std::vector<uint32_t>& sources,
             const std::vector<uint32_t>& targets, const std::vector<double>& weights) {
  Csr csr;
  csr.offsets.assign(num_nodes + 1, 0);
  for (uint32_t s : sources) ++csr.offsets[s + 1];
  for (size_t v = 0; v < num_nodes; ++v) csr.offsets[v + 1] += csr.offsets[v];
  csr.targets.resize(targets.size());
  csr.weights.resize(targets.size());
  std::vector<uint32_t> cursor(csr.offsets.begin(), csr.offsets.end() - 1);
  for (size_t i = 0; i < sources.size(); ++i) {
    const uint32_t at = cursor[sources[i]]++;
    csr.targets[at] = targets[i];
    csr.weights[at] = weights[i];
  }
  return csr;
}

}  // namespace

std::string Fixed2(double value) {
  // Reasons print several numbers per recommendation; integer formatting avoids printf's
  // floating-point path. Same text as "%.2f" except in the rare exact-half-cent ties.
  if (std::isfinite(value) && std::abs(value) < 1e12) {
    const long long cents = std::llround(std::abs(value) * 100.0);
    std::string text = (value < 0.0 && cents != 0) ? "-" : "";
    text += std::to_string(cents / 100);
    text += '.';
    text += static_cast<char>('0' + (cents % 100) / 10);
    text += static_cast<char>('0' + cents % 10);
    return text;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.2f", value);
  return buffer;
}

uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

Result<std::shared_ptr<const RecIndex>> BuildRecIndex(const CompetencyGraph& graph,
                                                      const BktModel& model,
                                                      const RecommenderOptions& options) {
  PATHWISE_RETURN_IF_ERROR(options.Validate().WithContext("options"));
  PATHWISE_RETURN_IF_ERROR(model.Validate().WithContext("model"));
  if (graph.num_competencies() >= kNone || graph.num_activities() >= kNone)
    return Status::ResourceExhausted("graph too large for 32-bit indices");

  auto index = std::make_shared<RecIndex>();
  index->options = options;
  const std::vector<const Competency*> competencies = graph.competencies();
  const size_t n = competencies.size();
  index->competency_ids.reserve(n);
  index->threshold.reserve(n);
  index->advance.reserve(n);
  index->params.reserve(n);
  for (const Competency* c : competencies) {
    index->competency_ids.push_back(c->id);
    index->threshold.push_back(c->mastery_threshold);
    index->advance.push_back(std::min(c->mastery_threshold, options.mastery.advance_threshold));
    index->evidence.push_back(EvidenceRuleFor(*c, options.mastery.mastery_min_opportunities,
                                              options.mastery.mastery_recent_correct));
    index->params.push_back(model.ParamsFor(c->id, c->params));
  }
  index->competency_by_id.reserve(n);
  for (uint32_t i = 0; i < n; ++i) index->competency_by_id.emplace(index->competency_ids[i], i);

  const std::vector<std::string> topo = graph.TopologicalOrder();
  index->topo_rank.assign(n, 0);
  index->topo_order.reserve(n);
  for (uint32_t r = 0; r < topo.size(); ++r) {
    const uint32_t c = index->FindCompetency(topo[r]);
    index->topo_rank[c] = r;
    index->topo_order.push_back(c);
  }

  {
    std::vector<uint32_t> from, to;
    std::vector<double> strength;
    for (const Prerequisite& edge : graph.prerequisites()) {
      from.push_back(index->FindCompetency(edge.from));
      to.push_back(index->FindCompetency(edge.to));
      strength.push_back(edge.strength);
    }
    index->prerequisites = BuildCsr(n, to, from, strength);
    index->dependents = BuildCsr(n, from, to, strength);
  }
  {
    Csr& by_rank = index->prerequisite_ranks;
    by_rank.offsets.reserve(n + 1);
    by_rank.targets.reserve(index->prerequisites.targets.size());
    by_rank.offsets.push_back(0);
    for (uint32_t c : index->topo_order) {
      for (uint32_t i = index->prerequisites.begin(c); i < index->prerequisites.end(c); ++i)
        by_rank.targets.push_back(index->topo_rank[index->prerequisites.targets[i]]);
      by_rank.offsets.push_back(static_cast<uint32_t>(by_rank.targets.size()));
    }
  }

  // Activities, or one per competency when the graph has none.
  std::vector<uint32_t> act_of_row, comp_of_row;
  std::vector<double> q_of_row;
  const std::vector<const Activity*> activities = graph.activities();
  index->synthetic_activities = activities.empty();
  auto pair_params = [&](const std::string& competency_id, const std::string& activity_id,
                         const std::optional<BktParams>& authored) {
    BktParams p = model.ParamsFor(competency_id, activity_id, authored);
    auto by_comp = model.competency_activities.find(competency_id);
    if (by_comp != model.competency_activities.end()) {
      auto it = by_comp->second.find(activity_id);
      if (it != by_comp->second.end()) {
        if (it->second.guess) p.guess = *it->second.guess;
        if (it->second.slip) p.slip = *it->second.slip;
      }
    }
    return PairParams{p.guess, p.slip};
  };
  if (index->synthetic_activities) {
    for (uint32_t c = 0; c < n; ++c) {
      index->activity_ids.push_back(index->competency_ids[c]);
      index->expected_minutes.push_back(kDefaultMinutes);
      index->odds_multiplier.push_back(1.0);
      act_of_row.push_back(c);
      comp_of_row.push_back(c);
      q_of_row.push_back(1.0);
      index->pair_params.push_back(
          pair_params(index->competency_ids[c], index->competency_ids[c], competencies[c]->params));
    }
  } else {
    for (uint32_t a = 0; a < activities.size(); ++a) {
      const Activity& activity = *activities[a];
      index->activity_ids.push_back(activity.id);
      index->expected_minutes.push_back(activity.expected_minutes);
      index->odds_multiplier.push_back(
          activity.difficulty
              ? std::exp(options.mastery.difficulty_logit_scale * (0.5 - *activity.difficulty))
              : 1.0);
      for (const PracticedCompetency& row : activity.competencies) {
        const uint32_t c = index->FindCompetency(row.competency_id);
        act_of_row.push_back(a);
        comp_of_row.push_back(c);
        q_of_row.push_back(row.weight);
        index->pair_params.push_back(
            pair_params(row.competency_id, activity.id, competencies[c]->params));
      }
    }
  }
  index->activity_by_id.reserve(index->activity_ids.size());
  for (uint32_t a = 0; a < index->activity_ids.size(); ++a)
    index->activity_by_id.emplace(index->activity_ids[a], a);
  // Rows are grouped by activity already, so the CSR keeps pair_params aligned with its targets.
  index->activity_competencies =
      BuildCsr(index->activity_ids.size(), act_of_row, comp_of_row, q_of_row);
  index->competency_activities = BuildCsr(n, comp_of_row, act_of_row, q_of_row);
  index->has_multi_competency_activities = comp_of_row.size() > index->activity_ids.size();

  index->mean_minutes.assign(n, kDefaultMinutes);
  for (uint32_t c = 0; c < n; ++c) {
    const Csr& ca = index->competency_activities;
    if (ca.degree(c) == 0) continue;
    double sum = 0.0;
    for (uint32_t i = ca.begin(c); i < ca.end(c); ++i)
      sum += index->expected_minutes[ca.targets[i]];
    index->mean_minutes[c] = sum / ca.degree(c);
  }

  for (const Group* group : graph.groups()) {
    std::vector<uint32_t>& members = index->group_members[group->id];
    for (const std::string& id : graph.GroupMembers(group->id))
      members.push_back(index->FindCompetency(id));
  }

  // Candidates for a learner who practised nothing: everyone at the prior.
  const bool hard = options.mastery.gating == Gating::kHard;
  for (uint32_t c = 0; c < n; ++c) {
    if (index->params[c].prior >= index->threshold[c]) continue;
    bool locked = false, hard_locked = false;
    double sum = 0.0, total = 0.0;
    const Csr& pre = index->prerequisites;
    for (uint32_t i = pre.begin(c); i < pre.end(c); ++i) {
      const uint32_t p = pre.targets[i];
      const double ratio = std::min(1.0, index->params[p].prior / index->threshold[p]);
      sum += pre.weights[i] * ratio;
      total += pre.weights[i];
      if (index->IsHard(pre.weights[i]) && index->params[p].prior < index->threshold[p]) {
        hard_locked = true;
        if (hard) locked = true;
      }
    }
    const double readiness = total > 0.0 ? sum / total : 1.0;
    if (!locked && readiness >= options.mastery.soft_min_readiness)
      index->static_candidates.push_back(c);
    if (!hard_locked) index->static_ready.push_back(c);
  }

  for (uint32_t c : index->topo_order) {
    bool has_hard = false;
    const Csr& pre = index->prerequisites;
    for (uint32_t i = pre.begin(c); i < pre.end(c); ++i) has_hard |= index->IsHard(pre.weights[i]);
    if (!has_hard) index->no_hard_prerequisite.push_back(c);
  }

  // Curriculum: expected opportunities from the prior, the mean of the others when unreachable.
  index->curriculum_opportunities.assign(n, 0);
  if (options.curriculum.opportunities > 0) {
    std::fill(index->curriculum_opportunities.begin(), index->curriculum_opportunities.end(),
              options.curriculum.opportunities);
  } else {
    double sum = 0.0;
    size_t count = 0;
    for (uint32_t c = 0; c < n; ++c) {
      std::optional<int> expected = ExpectedOpportunitiesToMastery(
          index->params[c], index->params[c].prior, index->threshold[c]);
      if (!expected) continue;
      index->curriculum_opportunities[c] = std::max(1, *expected);
      sum += index->curriculum_opportunities[c];
      ++count;
    }
    const int fallback = count > 0 ? std::max(1, static_cast<int>(std::lround(sum / count))) : 1;
    for (int& opportunities : index->curriculum_opportunities)
      if (opportunities == 0) opportunities = fallback;
  }
  return std::shared_ptr<const RecIndex>(std::move(index));
}

Result<LearnerState> SparseState(const RecIndex& index, const LearnerMastery& mastery) {
  const size_t n = index.num_competencies();
  if (mastery.competencies.size() != n) {
    return Status::InvalidArgument(
        "mastery.competencies has " + std::to_string(mastery.competencies.size()) +
        " entries, the graph has " + std::to_string(n) + " competencies");
  }
  LearnerState state;
  state.learner_id = mastery.learner_id;
  for (uint32_t c = 0; c < n; ++c) {
    const MasteryEstimate& e = mastery.competencies[c];
    if (e.competency_id != index.competency_ids[c]) {
      return Status::InvalidArgument("mastery.competencies[" + std::to_string(c) +
                                     "].competency_id: expected '" + index.competency_ids[c] +
                                     "' (the graph's order), got '" + e.competency_id + "'");
    }
    if (std::isnan(e.p_learned) || e.p_learned < 0.0 || e.p_learned > 1.0) {
      return Status::InvalidArgument("mastery.competencies[" + std::to_string(c) +
                                     "].p_learned must be in [0, 1], got " +
                                     std::to_string(e.p_learned));
    }
    if (e.recent_answers != -1) {
      PATHWISE_RETURN_IF_ERROR(
          CheckRecentAnswers(e.opportunities, e.recent_answers,
                             "mastery.competencies[" + std::to_string(c) + "].recent_answers"));
    }
    if (e.opportunities > 0 || e.last_practiced_ms != 0 || e.p_learned != index.params[c].prior) {
      state.competencies.push_back(
          {c, e.p_learned, e.opportunities, e.last_practiced_ms, e.recent_answers});
    }
  }
  return state;
}

Result<uint32_t> PolicyBase::CompetencyIndex(std::string_view competency_id) const {
  const uint32_t c = index_->FindCompetency(competency_id);
  if (c == kNone) return Status::NotFound("competency '" + std::string(competency_id) + "'");
  return c;
}

Status StateView::Reset(const RecIndex& index, const LearnerState& state) {
  index_ = &index;
  state_ = &state;
  by_competency_.Resize(index.num_competencies());
  by_competency_.Clear();
  latest_ms_ = 0;
  for (size_t i = 0; i < state.competencies.size(); ++i) {
    const CompetencyState& entry = state.competencies[i];
    // Built only on error: this loop runs for every practised competency of every request.
    auto where = [i] { return "competencies[" + std::to_string(i) + "]"; };
    if (entry.competency >= index.num_competencies()) {
      return Status::InvalidArgument(where() + ".competency: index " +
                                     std::to_string(entry.competency) + " out of range (" +
                                     std::to_string(index.num_competencies()) + " competencies)");
    }
    if (by_competency_.Find(entry.competency) != nullptr) {
      return Status::InvalidArgument(where() + ".competency: '" +
                                     index.competency_ids[entry.competency] + "' listed twice");
    }
    if (std::isnan(entry.p_learned) || entry.p_learned < 0.0 || entry.p_learned > 1.0) {
      return Status::InvalidArgument(where() + ".p_learned must be in [0, 1], got " +
                                     std::to_string(entry.p_learned));
    }
    if (entry.recent_answers != -1) {
      PATHWISE_RETURN_IF_ERROR(CheckRecentAnswers(entry.opportunities, entry.recent_answers,
                                                  where() + ".recent_answers"));
    }
    by_competency_.Set(entry.competency, entry);
    latest_ms_ = std::max(latest_ms_, entry.last_practiced_ms);
  }
  return Status::Ok();
}

namespace {

// Bit scans of a non-zero word (C++17 has no <bit>; g++ and clang have the builtins).
int HighestBit(uint64_t word) { return 63 - __builtin_clzll(word); }
int LowestBit(uint64_t word) { return __builtin_ctzll(word); }
int PopCount(uint64_t word) { return __builtin_popcountll(word); }

Result<std::shared_ptr<const ClosureData>> ExpandClosure(const RecIndex& index,
                                                         const std::vector<std::string>& goals) {
  auto data = std::make_shared<ClosureData>();
  const size_t words = (index.num_competencies() + 63) / 64;
  data->goal_bits.assign(words, 0);
  data->closure_bits.assign(words, 0);
  auto insert = [](std::vector<uint64_t>* bits, uint32_t c) {
    uint64_t& word = (*bits)[c >> 6];
    const uint64_t mask = uint64_t{1} << (c & 63);
    if (word & mask) return false;
    word |= mask;
    return true;
  };
  std::string unknown;
  for (const std::string& id : goals) {
    const uint32_t c = index.FindCompetency(id);
    if (c != kNone) {
      if (insert(&data->goal_bits, c)) data->goal_list.push_back(c);
      continue;
    }
    auto group = index.group_members.find(id);
    if (group == index.group_members.end()) {
      unknown += (unknown.empty() ? "'" : ", '") + id + "'";
      continue;
    }
    for (uint32_t member : group->second)
      if (insert(&data->goal_bits, member)) data->goal_list.push_back(member);
  }
  if (!unknown.empty()) return Status::NotFound("goals: unknown competency or group " + unknown);
  auto by_rank = [&index](uint32_t a, uint32_t b) {
    return index.topo_rank[a] < index.topo_rank[b];
  };
  std::sort(data->goal_list.begin(), data->goal_list.end(), by_rank);
  if (data->goal_list.empty()) return std::shared_ptr<const ClosureData>(std::move(data));

  // Ancestors by one sweep down the topological order, in rank space: a prerequisite ranks below
  // its dependents, so by the time the sweep reaches a rank every marked dependent has marked it.
  // Reading whole words skips what is not in the closure, and the rank-ordered rows are read
  // sequentially, where a breadth-first walk jumps around a big graph (an advanced goal's
  // ancestors are most of it).
  std::vector<uint64_t> marked(words, 0);
  for (uint32_t g : data->goal_list) {
    const uint32_t r = index.topo_rank[g];
    marked[r >> 6] |= uint64_t{1} << (r & 63);
  }
  const Csr& pre = index.prerequisite_ranks;
  for (size_t w = (index.topo_rank[data->goal_list.back()] >> 6) + 1; w-- > 0;) {
    uint64_t pending = marked[w];
    while (pending != 0) {
      const int bit = HighestBit(pending);
      const uint32_t r = static_cast<uint32_t>(w * 64 + bit);
      for (uint32_t i = pre.begin(r); i < pre.end(r); ++i) {
        const uint32_t p = pre.targets[i];
        marked[p >> 6] |= uint64_t{1} << (p & 63);
      }
      // Prerequisites of r may have landed lower in this same word.
      pending = marked[w] & ((uint64_t{1} << bit) - 1);
    }
  }
  size_t count = 0;
  for (uint64_t word : marked) count += static_cast<size_t>(PopCount(word));
  std::vector<uint32_t>& closure = data->closure_list;
  closure.reserve(count);
  for (size_t w = 0; w < marked.size(); ++w) {
    for (uint64_t word = marked[w]; word != 0; word &= word - 1) {
      const uint32_t c = index.topo_order[w * 64 + static_cast<size_t>(LowestBit(word))];
      closure.push_back(c);
      data->closure_bits[c >> 6] |= uint64_t{1} << (c & 63);
    }
  }
  return std::shared_ptr<const ClosureData>(std::move(data));
}

}  // namespace

Status GoalClosure::Update(const RecIndex& index, const std::vector<std::string>& goals) {
  if (valid_ && goals == goals_) return Status::Ok();
  valid_ = false;
  data_.reset();
  goals_.clear();
  if (goals.empty()) {
    valid_ = true;
    return Status::Ok();
  }
  std::string key;
  for (const std::string& id : goals) {
    key += id;
    key += '\0';  // ids cannot be told apart by concatenation alone
  }
  {
    std::lock_guard<std::mutex> lock(index.closure_mutex);
    auto& cache = index.closure_cache;
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->first != key) continue;
      cache.splice(cache.begin(), cache, it);
      data_ = it->second;
      break;
    }
  }
  if (data_ == nullptr) {
    // Expanded outside the lock: two threads may both expand a new goal set, which is harmless.
    PATHWISE_ASSIGN_OR_RETURN(data_, ExpandClosure(index, goals));
    std::lock_guard<std::mutex> lock(index.closure_mutex);
    auto& cache = index.closure_cache;
    cache.emplace_front(key, data_);
    if (cache.size() > RecIndex::kClosureCacheSize) cache.pop_back();
  }
  goals_ = goals;
  valid_ = true;
  return Status::Ok();
}

Status ResolveRequest(const RecIndex& index, const RecommendRequest& request,
                      ResolvedRequest* resolved) {
  if (request.k < 1)
    return Status::InvalidArgument("k must be at least 1, got " + std::to_string(request.k));
  if (request.time_budget_minutes &&
      !(std::isfinite(*request.time_budget_minutes) && *request.time_budget_minutes > 0.0)) {
    return Status::InvalidArgument("time_budget_minutes must be a number > 0, got " +
                                   std::to_string(*request.time_budget_minutes));
  }
  resolved->k = static_cast<size_t>(request.k);
  resolved->budget = request.time_budget_minutes;
  resolved->pinned.clear();
  resolved->excluded.Resize(index.num_activities());
  resolved->excluded.Clear();
  for (size_t i = 0; i < request.excluded_activities.size(); ++i) {
    const uint32_t a = index.FindActivity(request.excluded_activities[i]);
    if (a == kNone) {
      return Status::NotFound("excluded_activities[" + std::to_string(i) + "]: unknown activity '" +
                              request.excluded_activities[i] + "'");
    }
    resolved->excluded.Insert(a);
  }
  std::vector<uint32_t> pins;
  for (size_t i = 0; i < request.pinned_activities.size(); ++i) {
    const uint32_t a = index.FindActivity(request.pinned_activities[i]);
    if (a == kNone) {
      return Status::NotFound("pinned_activities[" + std::to_string(i) + "]: unknown activity '" +
                              request.pinned_activities[i] + "'");
    }
    if (resolved->excluded.Contains(a)) {
      return Status::InvalidArgument("pinned_activities[" + std::to_string(i) + "]: '" +
                                     request.pinned_activities[i] + "' is also excluded");
    }
    if (std::find(pins.begin(), pins.end(), a) == pins.end()) pins.push_back(a);
  }
  for (uint32_t a : pins) {
    resolved->excluded.Insert(a);  // ranking must not list a pin twice
    if (resolved->pinned.size() < resolved->k) resolved->pinned.push_back(a);
  }
  return Status::Ok();
}

Status ResolveObservation(const RecIndex& index, const Observation& observation,
                          std::vector<uint32_t>* competencies) {
  if (observation.learner_id.empty())
    return Status::InvalidArgument("observation.learner_id is empty");
  if (std::isnan(observation.outcome) || observation.outcome < 0.0 || observation.outcome > 1.0) {
    return Status::InvalidArgument("observation.outcome must be in [0, 1], got " +
                                   std::to_string(observation.outcome));
  }
  competencies->clear();
  const uint32_t a = index.FindActivity(observation.activity_id);
  if (a != kNone) {
    const Csr& ac = index.activity_competencies;
    for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) competencies->push_back(ac.targets[i]);
    return Status::Ok();
  }
  const uint32_t c = index.FindCompetency(observation.activity_id);
  if (c == kNone) {
    return Status::NotFound("observation.activity_id: '" + observation.activity_id +
                            "' is neither an activity nor a competency");
  }
  competencies->push_back(c);
  return Status::Ok();
}

double PredictActivity(const RecIndex& index, const StateView& view, uint32_t activity) {
  const Csr& ac = index.activity_competencies;
  double sum = 0.0, total = 0.0;
  for (uint32_t i = ac.begin(activity); i < ac.end(activity); ++i) {
    const PairParams& pp = index.pair_params[i];
    sum += ac.weights[i] * PredictCorrect(view.P(ac.targets[i]), pp.guess, pp.slip);
    total += ac.weights[i];
  }
  return ApplyOddsMultiplier(total > 0.0 ? sum / total : 0.0, index.odds_multiplier[activity]);
}

Recommendation BaseRecommendation(const RecIndex& index, uint32_t activity) {
  Recommendation rec;
  rec.activity_id = index.activity_ids[activity];
  const Csr& ac = index.activity_competencies;
  for (uint32_t i = ac.begin(activity); i < ac.end(activity); ++i)
    rec.competency_ids.push_back(index.competency_ids[ac.targets[i]]);
  rec.expected_minutes = index.expected_minutes[activity];
  return rec;
}

}  // namespace rec_internal

std::string_view PolicyKindName(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kMastery:
      return "mastery";
    case PolicyKind::kZpdes:
      return "zpdes";
    case PolicyKind::kRandom:
      return "random";
    case PolicyKind::kCurriculum:
      return "curriculum";
  }
  return "unknown";
}

Result<PolicyKind> ParsePolicyKind(std::string_view name) {
  for (PolicyKind kind :
       {PolicyKind::kMastery, PolicyKind::kZpdes, PolicyKind::kRandom, PolicyKind::kCurriculum}) {
    if (PolicyKindName(kind) == name) return kind;
  }
  return Status::InvalidArgument("unknown policy '" + std::string(name) +
                                 "' (expected mastery, zpdes, random or curriculum)");
}

std::string_view ScorePartName(ScorePart part) {
  switch (part) {
    case ScorePart::kReadiness:
      return "readiness";
    case ScorePart::kGoalRelevance:
      return "goal_relevance";
    case ScorePart::kDifficultyFit:
      return "difficulty_fit";
    case ScorePart::kRemediation:
      return "remediation";
    case ScorePart::kReviewDue:
      return "review_due";
    case ScorePart::kContinuity:
      return "continuity";
    case ScorePart::kLearningProgress:
      return "learning_progress";
  }
  return "unknown";
}

namespace {

// Each struct's checks, naming fields under `at` ("" for the struct's own Validate, "mastery." for
// RecommenderOptions::Validate), so both name the field as their caller spells it.
Status CheckMastery(const MasteryPolicyOptions& o, const std::string& at) {
  using rec_internal::CheckRange;
  using rec_internal::CheckWeight;
  const auto count = [&](const char* field, int value, const char* rule) {
    return Status::InvalidArgument(at + field + " must be " + rule + ", got " +
                                   std::to_string(value));
  };
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "readiness_weight", o.readiness_weight));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "goal_weight", o.goal_weight));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "difficulty_weight", o.difficulty_weight));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "remediation_weight", o.remediation_weight));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "review_weight", o.review_weight));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "continuity_weight", o.continuity_weight));
  if (o.gating != Gating::kSoft && o.gating != Gating::kHard)
    return Status::InvalidArgument(at + "gating must be kSoft or kHard");
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(at + "soft_min_readiness", o.soft_min_readiness, 0.0, 1.0, false, false));
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(at + "target_success", o.target_success, 0.0, 1.0, true, true));
  PATHWISE_RETURN_IF_ERROR(CheckWeight(at + "difficulty_logit_scale", o.difficulty_logit_scale));
  if (!(std::isfinite(o.review_half_life_days) && o.review_half_life_days > 0.0)) {
    return Status::InvalidArgument(at + "review_half_life_days must be a number > 0, got " +
                                   std::to_string(o.review_half_life_days));
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(at + "advance_threshold", o.advance_threshold, 0.0, 1.0, true, false));
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(at + "review_recall_threshold", o.review_recall_threshold, 0.0, 1.0, true, false));
  if (o.max_review_candidates < 0) {
    return count("max_review_candidates", o.max_review_candidates, ">= 0");
  }
  if (o.remediation_min_opportunities < 1) {
    return count("remediation_min_opportunities", o.remediation_min_opportunities, ">= 1");
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckRange(at + "remediation_max_p", o.remediation_max_p, 0.0, 1.0, true, false));
  if (o.max_named_prerequisites < 1) {
    return count("max_named_prerequisites", o.max_named_prerequisites, ">= 1");
  }
  if (o.mastery_min_opportunities < 1) {
    return count("mastery_min_opportunities", o.mastery_min_opportunities, ">= 1");
  }
  if (o.mastery_recent_correct < 0 || o.mastery_recent_correct > 8) {
    return count("mastery_recent_correct", o.mastery_recent_correct, "in [0, 8]");
  }
  if (o.stall_min_attempts < 2 || o.stall_min_attempts > 8) {
    return count("stall_min_attempts", o.stall_min_attempts, "in [2, 8]");
  }
  if (o.stall_max_recent_correct < 0) {
    return count("stall_max_recent_correct", o.stall_max_recent_correct, ">= 0");
  }
  if (!(std::isfinite(o.stall_pause_hours) && o.stall_pause_hours > 0.0)) {
    return Status::InvalidArgument(at + "stall_pause_hours must be a number > 0, got " +
                                   std::to_string(o.stall_pause_hours));
  }
  return CheckWeight(at + "progress_weight", o.progress_weight);
}

Status CheckZpdes(const ZpdesPolicyOptions& o, const std::string& at) {
  using rec_internal::CheckRange;
  if (o.window < 2 || o.window > 64 || o.window % 2 != 0) {
    return Status::InvalidArgument(at + "window must be even and in [2, 64], got " +
                                   std::to_string(o.window));
  }
  PATHWISE_RETURN_IF_ERROR(CheckRange(at + "mastery_rate", o.mastery_rate, 0.0, 1.0, true, false));
  PATHWISE_RETURN_IF_ERROR(CheckRange(at + "exploration", o.exploration, 0.0, 1.0, false, false));
  if (o.zone_size < 0) {
    return Status::InvalidArgument(at + "zone_size must be >= 0, got " +
                                   std::to_string(o.zone_size));
  }
  return Status::Ok();
}

Status CheckCurriculum(const CurriculumPolicyOptions& o, const std::string& at) {
  if (o.opportunities >= 0) return Status::Ok();
  return Status::InvalidArgument(at + "opportunities must be >= 0, got " +
                                 std::to_string(o.opportunities));
}

Status CheckPlanner(const PlannerOptions& o, const std::string& at) {
  if (o.activities_per_competency >= 1) return Status::Ok();
  return Status::InvalidArgument(at + "activities_per_competency must be >= 1, got " +
                                 std::to_string(o.activities_per_competency));
}

}  // namespace

Status MasteryPolicyOptions::Validate() const { return CheckMastery(*this, ""); }
Status ZpdesPolicyOptions::Validate() const { return CheckZpdes(*this, ""); }
Status CurriculumPolicyOptions::Validate() const { return CheckCurriculum(*this, ""); }
Status PlannerOptions::Validate() const { return CheckPlanner(*this, ""); }

Status RecommenderOptions::Validate() const {
  PATHWISE_RETURN_IF_ERROR(CheckMastery(mastery, "mastery."));
  PATHWISE_RETURN_IF_ERROR(CheckZpdes(zpdes, "zpdes."));
  PATHWISE_RETURN_IF_ERROR(CheckCurriculum(curriculum, "curriculum."));
  PATHWISE_RETURN_IF_ERROR(CheckPlanner(planner, "planner."));
  return rec_internal::CheckRange("hard_prerequisite_strength", hard_prerequisite_strength, 0.0,
                                  1.0, true, false);
}

Result<std::vector<Recommendation>> Policy::Recommend(const LearnerMastery& mastery,
                                                      const RecommendRequest& request) {
  PATHWISE_ASSIGN_OR_RETURN(LearnerState state, StateFromMastery(mastery));
  return Recommend(state, request);
}

Result<std::string> Policy::SaveLearnerState(std::string_view) const { return std::string(); }

Status Policy::RestoreLearnerState(std::string_view, std::string_view bytes) {
  if (bytes.empty()) return Status::Ok();
  return Status::InvalidArgument("learner state: the " + std::string(PolicyKindName(kind())) +
                                 " policy keeps no learner state, got " +
                                 std::to_string(bytes.size()) + " bytes");
}

namespace rec_internal {

LearnerStateWriter::LearnerStateWriter(PolicyKind kind, uint32_t format_version) {
  out_.append(PolicyKindName(kind));
  out_.push_back('/');
  out_.append(std::to_string(format_version));
  out_.push_back('\n');
}

void LearnerStateWriter::U32(uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void LearnerStateWriter::F32(float v) {
  uint32_t bits;
  static_assert(sizeof(bits) == sizeof(v), "float is not 32 bits");
  std::memcpy(&bits, &v, sizeof(bits));
  U32(bits);
}

void LearnerStateWriter::Bytes(std::string_view v) {
  U32(static_cast<uint32_t>(v.size()));
  out_.append(v);
}

void LearnerStateWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void LearnerStateWriter::VarintBytes(std::string_view v) {
  Varint(v.size());
  out_.append(v);
}

Status LearnerStateReader::Error(const std::string& what) const {
  return Status::InvalidArgument("learner state: " + what + " at byte " + std::to_string(pos_));
}

Result<uint32_t> LearnerStateReader::Header(PolicyKind kind, uint32_t max_version) {
  const size_t newline = bytes_.find('\n');
  const size_t slash = bytes_.find('/');
  if (newline == std::string_view::npos || slash == std::string_view::npos || slash > newline)
    return Error("no '<policy>/<version>' header line");
  const std::string_view name = bytes_.substr(0, slash);
  if (name != PolicyKindName(kind)) {
    return Error("state of the '" + std::string(name) + "' policy, expected '" +
                 std::string(PolicyKindName(kind)) + "'");
  }
  const std::string_view digits = bytes_.substr(slash + 1, newline - slash - 1);
  uint32_t version = 0;
  bool ok = !digits.empty() && digits.size() <= 9;
  for (char c : digits) {
    if (c < '0' || c > '9') ok = false;
    version = version * 10 + static_cast<uint32_t>(c - '0');
  }
  if (!ok || version < 1 || version > max_version) {
    return Error("format version '" + std::string(digits) + "' of " + std::string(name) +
                 " state is not read by this library (it reads 1 to " +
                 std::to_string(max_version) + ")");
  }
  pos_ = newline + 1;
  return version;
}

Result<uint8_t> LearnerStateReader::U8() {
  if (bytes_.size() - pos_ < 1) return Error("truncated");
  return static_cast<uint8_t>(bytes_[pos_++]);
}

Result<uint32_t> LearnerStateReader::U32() {
  if (bytes_.size() - pos_ < 4) return Error("truncated");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
  pos_ += 4;
  return v;
}

Result<float> LearnerStateReader::F32() {
  PATHWISE_ASSIGN_OR_RETURN(uint32_t bits, U32());
  float v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

Result<std::string_view> LearnerStateReader::Take(uint64_t n) {
  if (bytes_.size() - pos_ < n) return Error("truncated string of " + std::to_string(n) + " bytes");
  std::string_view v = bytes_.substr(pos_, n);
  pos_ += n;
  return v;
}

Result<std::string_view> LearnerStateReader::Bytes() {
  PATHWISE_ASSIGN_OR_RETURN(const uint32_t n, U32());
  return Take(n);
}

Result<uint64_t> LearnerStateReader::Varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ == bytes_.size()) return Error("truncated");
    const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return Error("varint longer than 10 bytes");
}

Result<std::string_view> LearnerStateReader::VarintBytes() {
  PATHWISE_ASSIGN_OR_RETURN(const uint64_t n, Varint());
  return Take(n);
}

}  // namespace rec_internal

Result<std::unique_ptr<Policy>> MakePolicy(PolicyKind kind, const CompetencyGraph& graph,
                                           const BktModel& model,
                                           const RecommenderOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::shared_ptr<const rec_internal::RecIndex> index,
                            rec_internal::BuildRecIndex(graph, model, options));
  switch (kind) {
    case PolicyKind::kMastery:
      return rec_internal::NewMasteryPolicy(std::move(index));
    case PolicyKind::kZpdes:
      return rec_internal::NewZpdesPolicy(std::move(index), 0);
    case PolicyKind::kRandom:
      return rec_internal::NewRandomPolicy(std::move(index), 0);
    case PolicyKind::kCurriculum:
      return rec_internal::NewCurriculumPolicy(std::move(index));
  }
  return Status::InvalidArgument("unknown policy kind " + std::to_string(static_cast<int>(kind)));
}

}  // namespace pathwise
