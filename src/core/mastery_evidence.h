// Private: evidence before "mastered" (MasteryPolicyOptions::mastery_min_opportunities), the one
// rule that the tracker's MasteryEstimate::mastered, the mastery policy and the planner share, so
// that what a report calls mastered is what the recommendations treat as mastered.
#ifndef PATHWISE_SRC_CORE_MASTERY_EVIDENCE_H_
#define PATHWISE_SRC_CORE_MASTERY_EVIDENCE_H_

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include <pathwise/competency_graph.h>
#include <pathwise/status.h>

namespace pathwise {
namespace rec_internal {

/// The evidence one competency asks for: its own setting (Competency), else the course's.
struct EvidenceRule {
  uint32_t min_opportunities = 1;  ///< >= 1
  int recent_correct = 0;          ///< in [0, 8]
};

/// A competency's own setting (`own_*`, Competency::mastery_min_opportunities /
/// mastery_recent_correct) over the course's.
inline EvidenceRule EvidenceRuleFor(const std::optional<int>& own_min_opportunities,
                                    const std::optional<int>& own_recent_correct,
                                    int min_opportunities, int recent_correct) {
  return {static_cast<uint32_t>(own_min_opportunities.value_or(min_opportunities)),
          own_recent_correct.value_or(recent_correct)};
}
inline EvidenceRule EvidenceRuleFor(const Competency& competency, int min_opportunities,
                                    int recent_correct) {
  return EvidenceRuleFor(competency.mastery_min_opportunities, competency.mastery_recent_correct,
                         min_opportunities, recent_correct);
}

/// A learner's last answers to one competency: how many there were (saturating) and the last of
/// them as bits, the newest in bit 0, 1 for correct (an outcome of at least 0.5).
struct RecentAnswers {
  uint32_t count = 0;
  uint32_t bits = 0;
};

/// What MasteryEstimate::recent_answers (or CompetencyState's) says of `opportunities` answers:
/// the last min(opportunities, 8) of them, or none when not known (-1).
inline RecentAnswers RecentAnswersOf(uint32_t opportunities, int32_t recent_answers) {
  if (recent_answers < 0) return {};
  return {std::min<uint32_t>(opportunities, 8), static_cast<uint32_t>(recent_answers)};
}

/// OK when `recent_answers` can be the last answers of `opportunities` ones: -1 (not known), or
/// bits for at most min(opportunities, 8) answers. `field` names it in the error.
inline Status CheckRecentAnswers(uint32_t opportunities, int32_t recent_answers,
                                 const std::string& field) {
  if (recent_answers == -1) return Status::Ok();
  const uint32_t count = std::min<uint32_t>(opportunities, 8);
  if (recent_answers < 0 || (static_cast<uint32_t>(recent_answers) >> count) != 0) {
    return Status::InvalidArgument(field + ": " + std::to_string(recent_answers) +
                                   " is not the bits of the last " + std::to_string(count) +
                                   " answers (-1 when not known)");
  }
  return Status::Ok();
}

/// Whether a competency at or above its mastery threshold has the evidence `rule` asks for:
/// never practised (the prior is at the threshold: the model says so), or at least
/// min_opportunities answers with the last recent_correct of them correct. `answers` may know fewer
/// answers than `opportunities` counts (a policy that saw only some of them, or none): the recent
/// answers are then judged only when there are at least recent_correct of them.
inline bool HasMasteryEvidence(uint32_t opportunities, const RecentAnswers& answers,
                               const EvidenceRule& rule) {
  if (opportunities == 0) return true;
  if (opportunities < rule.min_opportunities) return false;
  if (rule.recent_correct <= 0 || answers.count < static_cast<uint32_t>(rule.recent_correct)) {
    return true;
  }
  const uint32_t mask = (1u << rule.recent_correct) - 1u;
  return (answers.bits & mask) == mask;
}

}  // namespace rec_internal
}  // namespace pathwise

#endif  // PATHWISE_SRC_CORE_MASTERY_EVIDENCE_H_
