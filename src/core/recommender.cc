// The mastery policy: part-score ranking of frontier, review and remediation candidates.
#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/recommender.h>

#include "recommender_index.h"

namespace pathwise {
namespace rec_internal {
namespace {

constexpr double kMsPerDay = 86400000.0;
constexpr double kMsPerHour = 3600000.0;
constexpr size_t kNumParts = 7;  // kReadiness .. kContinuity, kLearningProgress

std::string Ago(double elapsed_ms) {
  const double days = elapsed_ms / kMsPerDay;
  if (days >= 2.0) return std::to_string(static_cast<long long>(days)) + " days ago";
  if (days >= 1.0) return "1 day ago";
  const double hours = elapsed_ms / kMsPerHour;
  if (hours >= 2.0) return std::to_string(static_cast<long long>(hours)) + " hours ago";
  if (hours >= 1.0) return "1 hour ago";
  return "less than an hour ago";
}

// "a", "a and b", "a, b and c"; `more` unnamed items end it as "a, b and 3 more".
std::string JoinNames(const std::vector<std::string>& names, size_t more) {
  std::string text;
  const size_t total = names.size() + (more > 0 ? 1 : 0);
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == total ? " and " : ", ";
    text += names[i];
  }
  if (more > 0) text += " and " + std::to_string(more) + " more";
  return text;
}

// What one competency contributes, computed once per request and only for the competencies the
// request touches.
struct CompEval {
  double readiness = 1.0;
  double remediation = 0.0;
  double review = 0.0;  // 1 - retention when due
  double recall = 0.0;
  bool locked = false;
  bool mastered = false;
  bool eligible = false;
  uint32_t remediation_dependent = kNone;
};

struct Scored {
  double score;
  uint32_t activity;
};

// Correct answers among the last n of `answers` (or all of them when fewer).
int CorrectInLast(const RecentAnswers& answers, int n) {
  const uint32_t m = std::min<uint32_t>(static_cast<uint32_t>(n), answers.count);
  return __builtin_popcount(answers.bits & ((1u << m) - 1u));
}

// The stall rule's part that reads the answers (IsStalled; MasteryPolicy::Stalled adds "not
// mastered" at the advance point).
bool StalledAnswers(const RecentAnswers& answers, const MasteryPolicyOptions& o) {
  return answers.count >= static_cast<uint32_t>(o.stall_min_attempts) &&
         CorrectInLast(answers, o.stall_min_attempts) <= o.stall_max_recent_correct;
}

bool Better(const Scored& a, const Scored& b) {
  return a.score > b.score || (a.score == b.score && a.activity < b.activity);
}

struct ActivityParts {
  std::array<double, kNumParts> value{};
  double predicted = 0.0;
  bool locked = false;
};

class MasteryPolicy final : public PolicyBase {
 public:
  explicit MasteryPolicy(std::shared_ptr<const RecIndex> index) : PolicyBase(std::move(index)) {
    const MasteryPolicyOptions& o = index_->options.mastery;
    weights_ = {o.readiness_weight, o.goal_weight,       o.difficulty_weight, o.remediation_weight,
                o.review_weight,    o.continuity_weight, o.progress_weight};
  }

  PolicyKind kind() const override { return PolicyKind::kMastery; }

  // The learner's answers reach the policy in LearnerState (CompetencyState::recent_answers, which
  // the tracker keeps). What it keeps itself is each learner's last activity, read when
  // LearnerState::last_activity_id is empty: a server builds LearnerState from the tracker, which
  // has no place for it, and without it continuity and the turns of a stalled competency's
  // activities (GivesWay) fall back to what the states say (on the policy suite's dev worlds,
  // 1 point less reach).
  Status Observe(const Observation& observation) override;

  bool keeps_learner_state() const override { return true; }
  Result<std::string> SaveLearnerState(std::string_view learner_id) const override;

  std::unique_ptr<Policy> Fork(uint64_t /*stream*/) const override {
    return std::make_unique<MasteryPolicy>(index_);
  }

  Status RestoreLearnerState(std::string_view learner_id, std::string_view bytes) override;

  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest& request) override;

 private:
  Status Prepare(const LearnerState& state, const RecommendRequest& request);
  const CompEval& Eval(uint32_t c);
  void Consider(uint32_t c);
  // Fills `out`; with stop_if_locked returns early (out->locked set) at the first locked
  // competency.
  void ScoreActivity(uint32_t a, bool stop_if_locked, ActivityParts* out);
  double Sum(const ActivityParts& parts) const {
    double score = 0.0;
    for (size_t i = 0; i < kNumParts; ++i) score += weights_[i] * parts.value[i];
    return score;
  }
  // The learner's last answers to c (none when not practised, or not known).
  RecentAnswers CompetencyAnswers(uint32_t c) const {
    const CompetencyState* s = view_.Find(c);
    return s == nullptr ? RecentAnswers{} : RecentAnswersOf(s->opportunities, s->recent_answers);
  }
  // The competencies that `activity_id` (an activity, or a competency id used as one) practises,
  // into scratch_competencies_; NotFound when the graph has neither.
  Status ResolveActivity(std::string activity_id);
  // Whether the learner's last activity practises c.
  bool LastActivityIsOf(uint32_t c) const;
  // Whether activity a of stalled competency c gives way to c's others (loses learning progress),
  // so that the learner meets them rather than the one that keeps failing: the last activity,
  // when it was one of c's; otherwise c's activities take turns, one per answer to c, and all but
  // the one whose turn it is give way. The only activity of c always gives way.
  bool GivesWay(uint32_t c, uint32_t a) const;
  // P(learned) at the advance point (RecIndex::advance) with the evidence RecommenderOptions asks
  // for: where the policy goes on from c.
  bool Mastered(uint32_t c) const;
  // Many answers, few right, not mastered (MasteryPolicyOptions::stall_min_attempts).
  bool StalledByAnswers(uint32_t c) const;
  // Milliseconds from c's last practice to now (0 when not practised, not known, or not before
  // now).
  double MsSincePractice(uint32_t c) const;
  // StalledByAnswers and practised within MasteryPolicyOptions::stall_pause_hours: the stalls
  // that move the learner on.
  bool Stalled(uint32_t c) const;
  // The learning-progress part of activity a: 1, or less when its competencies are stalled and it
  // gives way (GivesWay).
  double ProgressValue(uint32_t a) const;
  double GoalValue(uint32_t c, const CompEval& e) const {
    if (!goals_.InClosure(c)) return 0.0;
    return e.mastered ? 0.5 : 1.0;
  }
  // The review part: review due, or, while refreshing a scope believed mastered, how far recall
  // is from certain (the least certain, or longest unpractised, first).
  double ReviewValue(const CompEval& e) const {
    return refreshing_ ? std::max(e.review, 1.0 - e.recall) : e.review;
  }
  // Whether mastered competency c holds up the way to a pending goal: it is a goal, or a
  // prerequisite of an unmastered competency on the path (review_only_goal_path).
  bool GatesGoalPath(uint32_t c) const;
  void Offer(const Scored& candidate);
  Recommendation Build(uint32_t a, bool pinned);
  std::string ReadinessReason(uint32_t a);
  // "at this learner's pace (...)" when LearnerState::pace is far enough from the population's to
  // matter; empty otherwise.
  std::string PaceNote() const;

  std::array<double, kNumParts> weights_{};
  std::optional<LearnerFactors> pace_;
  StateView view_;
  GoalClosure goals_;
  ResolvedRequest request_;
  TimestampMs now_ms_ = 0;
  StampMap<CompEval> evals_;
  StampSet considered_;
  StampSet seen_activities_;
  StampSet struggling_;
  size_t num_struggling_ = 0;
  StampSet last_competencies_;
  std::vector<uint32_t> last_competency_list_;
  uint32_t last_activity_ = kNone;  // LearnerState::last_activity_id, when an activity
  StampSet review_allowed_;
  StampSet remediation_candidates_;  // prerequisites of struggling competencies
  std::vector<uint32_t> remediation_list_;
  std::vector<std::pair<double, uint32_t>> review_queue_;  // max-heap on (recall, index)
  std::vector<uint32_t> eligible_;
  // Every goal-scope competency is believed mastered: the scope is practised again (Recommend).
  bool refreshing_ = false;
  std::vector<Scored> top_;
  std::vector<Scored> bounds_;  // (bound, competency) of the eligible competencies
  std::vector<uint32_t> scratch_competencies_;

  // The last activity of each learner Observe saw (by timestamp: a late event does not replace a
  // newer one), kept as the observation named it (an activity or a competency id).
  struct LastActivity {
    std::string activity_id;
    TimestampMs timestamp_ms = 0;
  };
  std::unordered_map<std::string, LastActivity> last_activities_;

  // 2: the last activity. 1 (read and dropped): the answers the policy kept before the tracker did.
  static constexpr uint32_t kStateFormat = 2;
};

Status MasteryPolicy::Observe(const Observation& observation) {
  PATHWISE_RETURN_IF_ERROR(ResolveObservation(index(), observation, &scratch_competencies_));
  auto [it, added] = last_activities_.try_emplace(observation.learner_id);
  if (added || observation.timestamp_ms >= it->second.timestamp_ms)
    it->second = {observation.activity_id, observation.timestamp_ms};
  return Status::Ok();
}

Result<std::string> MasteryPolicy::SaveLearnerState(std::string_view learner_id) const {
  auto it = last_activities_.find(std::string(learner_id));
  if (it == last_activities_.end()) return std::string();
  LearnerStateWriter out(PolicyKind::kMastery, kStateFormat);
  out.VarintBytes(it->second.activity_id);
  out.Varint(static_cast<uint64_t>(it->second.timestamp_ms));
  return out.Finish();
}

Status MasteryPolicy::RestoreLearnerState(std::string_view learner_id, std::string_view bytes) {
  const std::string id(learner_id);
  if (bytes.empty()) {
    last_activities_.erase(id);
    return Status::Ok();
  }
  LearnerStateReader in(bytes);
  PATHWISE_ASSIGN_OR_RETURN(const uint32_t format, in.Header(PolicyKind::kMastery, kStateFormat));
  // mastery/1: answers this policy kept before the tracker kept them. LearnerState carries those
  // now, so nothing is restored, but learners stored then stay loadable.
  if (format == 1) {
    last_activities_.erase(id);
    return Status::Ok();
  }
  PATHWISE_ASSIGN_OR_RETURN(const std::string_view activity_id, in.VarintBytes());
  PATHWISE_ASSIGN_OR_RETURN(const uint64_t timestamp, in.Varint());
  if (!in.done()) return in.Error("unexpected bytes after the last activity");
  if (!ResolveActivity(std::string(activity_id)).ok()) {
    last_activities_.erase(id);  // the graph no longer has the activity
    return Status::Ok();
  }
  last_activities_[id] = {std::string(activity_id), static_cast<TimestampMs>(timestamp)};
  return Status::Ok();
}

Status MasteryPolicy::ResolveActivity(std::string activity_id) {
  Observation probe;
  probe.learner_id = "-";
  probe.activity_id = std::move(activity_id);
  return ResolveObservation(index(), probe, &scratch_competencies_);
}

bool MasteryPolicy::Mastered(uint32_t c) const {
  if (view_.P(c) < index().advance[c]) return false;
  const CompetencyState* s = view_.Find(c);
  if (s == nullptr) return true;  // at the threshold by its prior
  return HasMasteryEvidence(s->opportunities, CompetencyAnswers(c), index().evidence[c]);
}

bool MasteryPolicy::StalledByAnswers(uint32_t c) const {
  return StalledAnswers(CompetencyAnswers(c), index().options.mastery) && !Mastered(c);
}

double MasteryPolicy::MsSincePractice(uint32_t c) const {
  const CompetencyState* s = view_.Find(c);
  if (s == nullptr || s->last_practiced_ms <= 0 || now_ms_ <= s->last_practiced_ms) return 0.0;
  return static_cast<double>(now_ms_ - s->last_practiced_ms);
}

bool MasteryPolicy::Stalled(uint32_t c) const {
  return StalledByAnswers(c) &&
         MsSincePractice(c) < index().options.mastery.stall_pause_hours * kMsPerHour;
}

bool MasteryPolicy::LastActivityIsOf(uint32_t c) const {
  const Csr& ca = index().competency_activities;
  for (uint32_t i = ca.begin(c); i < ca.end(c); ++i)
    if (ca.targets[i] == last_activity_) return true;
  return false;
}

bool MasteryPolicy::GivesWay(uint32_t c, uint32_t a) const {
  const Csr& ca = index().competency_activities;
  const uint32_t begin = ca.begin(c), n = ca.end(c) - begin;
  if (n < 2) return true;
  if (LastActivityIsOf(c)) return a == last_activity_;
  const CompetencyState* s = view_.Find(c);
  return s == nullptr || ca.targets[begin + s->opportunities % n] != a;
}

double MasteryPolicy::ProgressValue(uint32_t a) const {
  const Csr& ac = index().activity_competencies;
  double lost = 0.0, total = 0.0;
  for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
    const uint32_t c = ac.targets[i];
    total += ac.weights[i];
    if (!Stalled(c) || !GivesWay(c, a)) continue;
    // A third of the part for each of the last three answers to c that were wrong.
    const RecentAnswers answers = CompetencyAnswers(c);
    const int recent = static_cast<int>(std::min<uint32_t>(answers.count, 3));
    lost += ac.weights[i] * static_cast<double>(recent - CorrectInLast(answers, 3)) / 3.0;
  }
  return total > 0.0 ? 1.0 - lost / total : 1.0;
}

Status MasteryPolicy::Prepare(const LearnerState& state, const RecommendRequest& request) {
  const RecIndex& ix = index();
  PATHWISE_RETURN_IF_ERROR(view_.Reset(ix, state));
  PATHWISE_RETURN_IF_ERROR(ResolveRequest(ix, request, &request_));
  PATHWISE_RETURN_IF_ERROR(goals_.Update(ix, request.goals));
  now_ms_ = request.now_ms != 0 ? request.now_ms : view_.latest_ms();
  pace_ = state.pace;

  const size_t n = ix.num_competencies();
  evals_.Resize(n);
  evals_.Clear();
  considered_.Resize(n);
  considered_.Clear();
  seen_activities_.Resize(ix.num_activities());
  seen_activities_.Clear();

  struggling_.Resize(n);
  struggling_.Clear();
  remediation_candidates_.Resize(n);
  remediation_candidates_.Clear();
  remediation_list_.clear();
  num_struggling_ = 0;
  const MasteryPolicyOptions& o = ix.options.mastery;
  for (const CompetencyState& entry : state.competencies) {
    const uint32_t d = entry.competency;
    const bool low =
        entry.opportunities >= static_cast<uint32_t>(o.remediation_min_opportunities) &&
        entry.p_learned < o.remediation_max_p && entry.p_learned < ix.advance[d];
    if (low) {
      struggling_.Insert(d);
      ++num_struggling_;
      const Csr& pre = ix.prerequisites;
      for (uint32_t i = pre.begin(d); i < pre.end(d); ++i)
        if (remediation_candidates_.Insert(pre.targets[i]))
          remediation_list_.push_back(pre.targets[i]);
    }
  }

  // The review queue: the max_review_candidates due competencies with the lowest recall; while a
  // goal is pending, only those that gate the way to it.
  review_allowed_.Resize(n);
  review_allowed_.Clear();
  review_queue_.clear();
  bool goal_pending = false;
  if (o.review_only_goal_path) {
    for (uint32_t g : goals_.goal_list()) goal_pending = goal_pending || !Mastered(g);
  }
  const size_t queue_size = static_cast<size_t>(o.max_review_candidates);
  for (const CompetencyState& entry : state.competencies) {
    const uint32_t c = entry.competency;
    if (queue_size == 0 || entry.p_learned < ix.advance[c] || entry.last_practiced_ms <= 0 ||
        now_ms_ <= entry.last_practiced_ms)
      continue;
    const double days = static_cast<double>(now_ms_ - entry.last_practiced_ms) / kMsPerDay;
    const double recall = entry.p_learned * std::exp2(-days / o.review_half_life_days);
    if (recall >= o.review_recall_threshold) continue;
    if (goal_pending && !GatesGoalPath(c)) continue;
    // Ties by index, so that the queue does not depend on the order of the state's entries.
    const std::pair<double, uint32_t> item{recall, c};
    if (review_queue_.size() < queue_size) {
      review_queue_.push_back(item);
      std::push_heap(review_queue_.begin(), review_queue_.end());
    } else if (item < review_queue_.front()) {
      std::pop_heap(review_queue_.begin(), review_queue_.end());
      review_queue_.back() = item;
      std::push_heap(review_queue_.begin(), review_queue_.end());
    }
  }
  for (const auto& item : review_queue_) review_allowed_.Insert(item.second);

  last_competencies_.Resize(n);
  last_competencies_.Clear();
  last_competency_list_.clear();
  const std::string* last_activity_id = &state.last_activity_id;
  if (last_activity_id->empty()) {
    auto kept = last_activities_.find(state.learner_id);
    if (kept != last_activities_.end()) last_activity_id = &kept->second.activity_id;
  }
  last_activity_ = ix.FindActivity(*last_activity_id);
  if (!last_activity_id->empty()) {
    Status status = ResolveActivity(*last_activity_id);
    if (!status.ok()) return status.WithContext("last_activity_id");
    for (uint32_t c : scratch_competencies_)
      if (last_competencies_.Insert(c)) last_competency_list_.push_back(c);
  } else if (view_.latest_ms() > 0) {
    for (const CompetencyState& entry : state.competencies)
      if (entry.last_practiced_ms == view_.latest_ms() &&
          last_competencies_.Insert(entry.competency))
        last_competency_list_.push_back(entry.competency);
  }
  return Status::Ok();
}

const CompEval& MasteryPolicy::Eval(uint32_t c) {
  if (const CompEval* cached = evals_.Find(c)) return *cached;
  const RecIndex& ix = index();
  const MasteryPolicyOptions& o = ix.options.mastery;
  CompEval e;
  const double p = view_.P(c);
  const double t = ix.advance[c];
  e.mastered = Mastered(c);

  double sum = 0.0, total = 0.0;
  const Csr& pre = ix.prerequisites;
  const bool hard = o.gating == Gating::kHard;
  for (uint32_t i = pre.begin(c); i < pre.end(c); ++i) {
    const uint32_t q = pre.targets[i];
    const double pq = view_.P(q);
    sum += pre.weights[i] * std::min(1.0, pq / ix.advance[q]);
    total += pre.weights[i];
    if (hard && pq < ix.advance[q] && ix.IsHard(pre.weights[i])) e.locked = true;
  }
  e.readiness = total > 0.0 ? sum / total : 1.0;

  double recall = p;
  if (e.mastered) {
    if (const double elapsed_ms = MsSincePractice(c); elapsed_ms > 0.0) {
      const double retention = std::exp2(-elapsed_ms / kMsPerDay / o.review_half_life_days);
      recall = p * retention;
      if (recall < o.review_recall_threshold) e.review = 1.0 - retention;
    }
  }
  e.recall = recall;

  if (num_struggling_ > 0 && recall < t) {
    const Csr& dep = ix.dependents;
    for (uint32_t i = dep.begin(c); i < dep.end(c); ++i) {
      const uint32_t d = dep.targets[i];
      if (!struggling_.Contains(d)) continue;
      const double need = dep.weights[i] * (1.0 - view_.P(d) / ix.advance[d]);
      if (need > e.remediation) {
        e.remediation = need;
        e.remediation_dependent = d;
      }
    }
  }
  e.eligible =
      !e.locked && e.readiness >= o.soft_min_readiness &&
      (!e.mastered || (e.review > 0.0 && review_allowed_.Contains(c)) || e.remediation > 0.0);
  evals_.Set(c, e);
  return *evals_.Find(c);
}

void MasteryPolicy::Consider(uint32_t c) {
  if (!considered_.Insert(c)) return;
  // Most of what a learner practised is mastered, not queued for review and not a prerequisite of
  // anything going badly: skip it cheaply.
  if (Mastered(c) && !review_allowed_.Contains(c) && !remediation_candidates_.Contains(c)) return;
  if (Eval(c).eligible) eligible_.push_back(c);
}

void MasteryPolicy::ScoreActivity(uint32_t a, bool stop_if_locked, ActivityParts* out) {
  const RecIndex& ix = index();
  const Csr& ac = ix.activity_competencies;
  double total = 0.0, readiness = 0.0, goal = 0.0, remediation = 0.0, review = 0.0, correct = 0.0;
  bool continues = false;
  out->locked = false;
  for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
    const uint32_t c = ac.targets[i];
    const CompEval& e = Eval(c);
    if (e.locked) {
      out->locked = true;
      if (stop_if_locked) return;
    }
    const double q = ac.weights[i];
    total += q;
    readiness += q * e.readiness;
    goal += q * GoalValue(c, e);
    remediation += q * e.remediation;
    review += q * ReviewValue(e);
    const PairParams& pp = ix.pair_params[i];
    correct += q * PredictCorrect(view_.P(c), pp.guess, pp.slip);
    continues |= last_competencies_.Contains(c);
  }
  const double predicted = ApplyOddsMultiplier(correct / total, ix.odds_multiplier[a]);
  const double target = ix.options.mastery.target_success;
  out->predicted = predicted;
  out->value[0] = readiness / total;
  out->value[1] = goal / total;
  out->value[2] =
      std::max(0.0, 1.0 - std::abs(predicted - target) / std::max(target, 1.0 - target));
  out->value[3] = remediation / total;
  out->value[4] = review / total;
  // Refreshing a scope believed mastered spreads the checks over it rather than repeating one.
  out->value[5] = continues && !refreshing_ ? 1.0 : 0.0;
  // With the part off, no stall lookups on the hot path: every activity gets 1.
  out->value[6] = weights_[6] > 0.0 ? ProgressValue(a) : 1.0;
}

bool MasteryPolicy::GatesGoalPath(uint32_t c) const {
  if (goals_.IsGoal(c)) return true;
  const Csr& dep = index().dependents;
  for (uint32_t i = dep.begin(c); i < dep.end(c); ++i) {
    const uint32_t d = dep.targets[i];
    if (goals_.InClosure(d) && !Mastered(d)) return true;
  }
  return false;
}

void MasteryPolicy::Offer(const Scored& candidate) {
  const size_t k = request_.k - request_.pinned.size();
  if (k == 0) return;
  if (top_.size() == k && !Better(candidate, top_.back())) return;
  auto at = std::upper_bound(top_.begin(), top_.end(), candidate, Better);
  top_.insert(at, candidate);
  if (top_.size() > k) top_.pop_back();
}

std::string MasteryPolicy::PaceNote() const {
  if (!pace_) return {};
  // Odds within a factor 1.5 of the population's: too close to the population to be worth a word.
  const double kNotable = std::log(1.5);
  std::string note;
  if (std::abs(pace_->learn_offset) >= kNotable) {
    note = "learns at about " + Fixed2(std::exp(pace_->learn_offset)) + " times the typical pace";
  }
  if (std::abs(pace_->prior_offset) >= kNotable) {
    if (!note.empty()) note += ", ";
    note += pace_->prior_offset > 0.0 ? "started ahead of the typical learner"
                                      : "started behind the typical learner";
  }
  return note.empty() ? note : "at this learner's pace (" + note + ")";
}

Result<std::vector<Recommendation>> MasteryPolicy::Recommend(const LearnerState& state,
                                                             const RecommendRequest& request) {
  PATHWISE_RETURN_IF_ERROR(Prepare(state, request));
  const RecIndex& ix = index();

  // Candidates: every competency that could be eligible is either unchanged since the start (and
  // then in static_candidates), practised, or a dependent of something practised; review
  // candidates are in the queue.
  eligible_.clear();
  refreshing_ = false;
  for (uint32_t c : ix.static_candidates) Consider(c);
  for (const auto& item : review_queue_) Consider(item.second);
  for (uint32_t c : remediation_list_) Consider(c);
  for (const CompetencyState& entry : state.competencies) {
    Consider(entry.competency);
    const Csr& dep = ix.dependents;
    for (uint32_t i = dep.begin(entry.competency); i < dep.end(entry.competency); ++i)
      Consider(dep.targets[i]);
  }

  // A learner who named a goal works towards it: new material off its path waits until the goal
  // is set aside (review and remediation off the path still come). Without this, once the goal
  // looked mastered the policy moved on to unrelated competencies while the goal's own were still
  // shaky or fading (traces of eedi/power_law/near in bench/policy_suite.cc).
  if (!goals_.goal_list().empty()) {
    eligible_.erase(std::remove_if(eligible_.begin(), eligible_.end(),
                                   [&](uint32_t c) {
                                     if (goals_.InClosure(c)) return false;
                                     const CompEval& e = Eval(c);
                                     return e.review == 0.0 && e.remediation == 0.0;
                                   }),
                    eligible_.end());
  }

  // Nothing left to learn towards the goals, by the model's account: then practise the goals' scope
  // again (the least certain recall first: the review part) rather than send the learner away with
  // nothing. The model may be wrong, about a slow learner most of all, and a learner who stops has
  // no chance to show it. Without a goal the scope is what the learner practised.
  if (eligible_.empty()) {
    refreshing_ = true;
    if (!goals_.goal_list().empty()) {
      for (uint32_t c : goals_.closure_list())
        if (!Eval(c).locked) eligible_.push_back(c);
    } else {
      for (const CompetencyState& entry : state.competencies)
        if (!Eval(entry.competency).locked) eligible_.push_back(entry.competency);
    }
  }

  // Everything but difficulty fit is known per competency, and difficulty fit is at most 1: that
  // bounds the score of each single-competency activity, so once k activities are ranked the
  // competencies that cannot beat the k-th are skipped without scoring their activities. Visiting
  // the best bounds first makes that happen early.
  bounds_.clear();
  for (uint32_t c : eligible_) {
    const CompEval& e = Eval(c);
    ActivityParts best;
    best.value = {e.readiness,
                  GoalValue(c, e),
                  1.0,
                  e.remediation,
                  ReviewValue(e),
                  last_competencies_.Contains(c) && !refreshing_ ? 1.0 : 0.0,
                  1.0};
    bounds_.push_back({Sum(best), c});
  }
  std::sort(bounds_.begin(), bounds_.end(), Better);

  top_.clear();
  const size_t k = request_.k - request_.pinned.size();
  ActivityParts parts;
  const Csr& ca = ix.competency_activities;
  const Csr& ac = ix.activity_competencies;
  for (const Scored& bound : bounds_) {
    const bool hopeless = k == 0 || (top_.size() == k && bound.score < top_.back().score);
    if (hopeless && !ix.has_multi_competency_activities) break;
    const uint32_t c = bound.activity;  // a competency here
    for (uint32_t i = ca.begin(c); i < ca.end(c); ++i) {
      const uint32_t a = ca.targets[i];
      if (hopeless && ac.degree(a) == 1) continue;
      if (!seen_activities_.Insert(a) || request_.excluded.Contains(a)) continue;
      if (request_.budget && ix.expected_minutes[a] > *request_.budget) continue;
      ScoreActivity(a, /*stop_if_locked=*/true, &parts);
      if (parts.locked) continue;
      Offer({Sum(parts), a});
    }
  }

  std::vector<Recommendation> out;
  out.reserve(request_.pinned.size() + top_.size());
  for (uint32_t a : request_.pinned) out.push_back(Build(a, /*pinned=*/true));
  for (const Scored& s : top_) out.push_back(Build(s.activity, /*pinned=*/false));
  return out;
}

std::string MasteryPolicy::ReadinessReason(uint32_t a) {
  const RecIndex& ix = index();
  struct Named {
    double ratio;
    uint32_t competency;
  };
  std::vector<Named> prerequisites;
  const Csr& ac = ix.activity_competencies;
  const Csr& pre = ix.prerequisites;
  for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
    const uint32_t c = ac.targets[i];
    for (uint32_t j = pre.begin(c); j < pre.end(c); ++j) {
      const uint32_t q = pre.targets[j];
      if (std::any_of(prerequisites.begin(), prerequisites.end(),
                      [q](const Named& n) { return n.competency == q; }))
        continue;
      prerequisites.push_back({std::min(1.0, view_.P(q) / ix.advance[q]), q});
    }
  }
  if (prerequisites.empty()) return "no prerequisites";
  std::sort(prerequisites.begin(), prerequisites.end(), [&ix](const Named& x, const Named& y) {
    return x.ratio < y.ratio ||
           (x.ratio == y.ratio && ix.topo_rank[x.competency] < ix.topo_rank[y.competency]);
  });
  // Weakest first: when any prerequisite is unmastered, only those are named.
  size_t unmastered = 0;
  for (const Named& n : prerequisites) unmastered += n.ratio < 1.0 ? 1 : 0;
  const size_t pool = unmastered > 0 ? unmastered : prerequisites.size();
  const size_t shown =
      std::min(pool, static_cast<size_t>(ix.options.mastery.max_named_prerequisites));
  std::vector<std::string> names;
  for (size_t i = 0; i < shown; ++i) {
    const uint32_t q = prerequisites[i].competency;
    names.push_back(ix.competency_ids[q] + " (" + Fixed2(view_.P(q)) + ")");
  }
  // Past the advance point but short of the threshold is not "mastered": the tracker does not say
  // so yet, and a teacher reading the reason should not be told otherwise.
  bool all_mastered = true;
  for (size_t i = 0; i < pool; ++i) {
    const uint32_t q = prerequisites[i].competency;
    all_mastered = all_mastered && view_.P(q) >= ix.threshold[q];
  }
  const std::string verb = unmastered > 0 ? "not yet mastered"
                           : all_mastered ? "mastered"
                                          : "far enough to go on";
  if (pool == 1) {
    const uint32_t q = prerequisites[0].competency;
    return "prerequisite " + ix.competency_ids[q] + " " + verb + " (" + Fixed2(view_.P(q)) + ")";
  }
  return "prerequisites " + JoinNames(names, pool - shown) + " " + verb;
}

Recommendation MasteryPolicy::Build(uint32_t a, bool pinned) {
  const RecIndex& ix = index();
  ActivityParts parts;
  ScoreActivity(a, /*stop_if_locked=*/false, &parts);
  Recommendation rec = BaseRecommendation(ix, a);
  rec.pinned = pinned;
  rec.predicted_correct = parts.predicted;
  rec.score = Sum(parts);

  const Csr& ac = ix.activity_competencies;
  const bool several = ac.degree(a) > 1;
  // The competency that drives each part, for naming it.
  uint32_t goal_c = kNone, closure_c = kNone, remediation_c = kNone, review_c = kNone,
           continuity_c = kNone;
  double best_remediation = 0.0, best_review = 0.0;
  for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
    const uint32_t c = ac.targets[i];
    const CompEval& e = Eval(c);
    if (goal_c == kNone && goals_.IsGoal(c)) goal_c = c;
    if (closure_c == kNone && goals_.InClosure(c)) closure_c = c;
    if (e.remediation > best_remediation) best_remediation = e.remediation, remediation_c = c;
    if (ReviewValue(e) > best_review) best_review = ReviewValue(e), review_c = c;
    if (continuity_c == kNone && last_competencies_.Contains(c)) continuity_c = c;
  }

  rec.parts.reserve(kNumParts);
  static constexpr ScorePart kParts[kNumParts] = {
      ScorePart::kReadiness,       ScorePart::kGoalRelevance, ScorePart::kDifficultyFit,
      ScorePart::kRemediation,     ScorePart::kReviewDue,     ScorePart::kContinuity,
      ScorePart::kLearningProgress};
  for (size_t i = 0; i < kNumParts; ++i) {
    PartScore part;
    part.part = kParts[i];
    part.weight = weights_[i];
    part.value = parts.value[i];
    rec.parts.push_back(std::move(part));
  }
  rec.parts[0].reason = ReadinessReason(a);
  if (goal_c != kNone) {
    rec.parts[1].reason = ix.competency_ids[goal_c] + " is a goal" +
                          (Eval(goal_c).mastered ? ", already mastered" : "");
  } else if (closure_c != kNone) {
    rec.parts[1].reason = Eval(closure_c).mastered
                              ? "supports the goal (a prerequisite already mastered)"
                              : "on the path to the goal";
  }
  if (parts.value[2] > 0.0) {
    // The learner's pace moves P(learned), so predicted success is where it shows.
    const std::string pace = PaceNote();
    rec.parts[2].reason = "predicted success " + Fixed2(parts.predicted) + " (target " +
                          Fixed2(ix.options.mastery.target_success) + ")" +
                          (pace.empty() ? std::string() : " " + pace);
  }
  if (remediation_c != kNone) {
    const uint32_t d = Eval(remediation_c).remediation_dependent;
    const CompetencyState* s = view_.Find(d);
    rec.parts[3].reason =
        "remediation: " + (several ? ix.competency_ids[remediation_c] + " " : "") +
        "prerequisite of " + ix.competency_ids[d] + ", which is not going well (" +
        Fixed2(view_.P(d)) + " after " + std::to_string(s ? s->opportunities : 0) + " attempts)";
  }
  if (review_c != kNone) {
    const CompetencyState* s = view_.Find(review_c);
    std::string practised = "not practised yet";
    if (s != nullptr && s->last_practiced_ms > 0) {
      practised = now_ms_ > s->last_practiced_ms
                      ? "last practised " + Ago(static_cast<double>(now_ms_ - s->last_practiced_ms))
                      : std::string("practised just now");
    }
    rec.parts[4].reason =
        (Eval(review_c).review > 0.0 ? "review due: "
                                     : "everything looks mastered; the least certain first: ") +
        (several ? ix.competency_ids[review_c] + " " : "") + practised + " (recall " +
        Fixed2(Eval(review_c).recall) + ")";
  }
  if (continuity_c != kNone)
    rec.parts[5].reason =
        "continues " + ix.competency_ids[continuity_c] + " from the last activity";
  const int window = ix.options.mastery.stall_min_attempts;
  for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
    const uint32_t c = ac.targets[i];
    if (!Stalled(c)) continue;
    std::string turn;
    if (!GivesWay(c, a)) {
      turn = LastActivityIsOf(c) ? "; another of its activities" : "; its activities take turns";
    }
    rec.parts[6].reason = "stalled on " + ix.competency_ids[c] + " (" +
                          std::to_string(CorrectInLast(CompetencyAnswers(c), window)) +
                          " of the last " + std::to_string(window) + " answers right)" + turn;
    break;
  }
  if (rec.parts[6].reason.empty()) {
    // Moving a learner off what they just did because it stalled: say so. Otherwise say how the
    // learner's answers on this are going.
    for (uint32_t i = ac.begin(a); i < ac.end(a) && rec.parts[6].reason.empty(); ++i) {
      const RecentAnswers answers = CompetencyAnswers(ac.targets[i]);
      if (answers.count == 0) continue;
      const int seen = static_cast<int>(std::min<uint32_t>(answers.count, window));
      rec.parts[6].reason = (several ? ix.competency_ids[ac.targets[i]] + ": " : std::string()) +
                            std::to_string(CorrectInLast(answers, window)) + " of the last " +
                            std::to_string(seen) + " answers right";
    }
    if (rec.parts[6].reason.empty()) rec.parts[6].reason = "not practised yet";
    for (uint32_t i = ac.begin(a); i < ac.end(a); ++i) {
      const uint32_t c = ac.targets[i];
      if (!StalledByAnswers(c) || Stalled(c)) continue;
      rec.parts[6].reason = "back to " + ix.competency_ids[c] + ", stalled when last practised " +
                            Ago(MsSincePractice(c)) + " (" +
                            std::to_string(CorrectInLast(CompetencyAnswers(c), window)) +
                            " of the last " + std::to_string(window) + " answers right)";
      break;
    }
    for (uint32_t c : last_competency_list_) {
      if (!Stalled(c)) continue;
      rec.parts[6].reason = "moves on from " + ix.competency_ids[c] + ", stalled (" +
                            std::to_string(CorrectInLast(CompetencyAnswers(c), window)) +
                            " of the last " + std::to_string(window) + " answers right)";
      break;
    }
  }

  if (pinned) rec.reasons.push_back("pinned by request");
  std::vector<size_t> order;
  for (size_t i = 0; i < kNumParts; ++i)
    if (rec.parts[i].contribution() > 0.0 && !rec.parts[i].reason.empty()) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&rec](size_t x, size_t y) {
    return rec.parts[x].contribution() > rec.parts[y].contribution();
  });
  for (size_t i : order) rec.reasons.push_back(rec.parts[i].reason);
  return rec;
}

}  // namespace

std::unique_ptr<Policy> NewMasteryPolicy(std::shared_ptr<const RecIndex> index) {
  return std::make_unique<MasteryPolicy>(std::move(index));
}

}  // namespace rec_internal

bool IsStalled(const MasteryEstimate& estimate, const MasteryPolicyOptions& options) {
  return !estimate.mastered &&
         rec_internal::StalledAnswers(
             rec_internal::RecentAnswersOf(estimate.opportunities, estimate.recent_answers),
             options);
}

int RecentCorrect(const MasteryEstimate& estimate, int n) {
  return rec_internal::CorrectInLast(
      rec_internal::RecentAnswersOf(estimate.opportunities, estimate.recent_answers), n);
}

}  // namespace pathwise
