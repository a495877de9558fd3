// Value types shared across the API: observations and mastery estimates.
#ifndef PATHWISE_TYPES_H_
#define PATHWISE_TYPES_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace pathwise {

/// Milliseconds since the Unix epoch (UTC). Pathwise never reads a clock itself: callers pass time
/// in.
using TimestampMs = int64_t;

/// One thing a learner did: attempted an activity with an outcome.
struct Observation {
  /// Makes recording idempotent: an event id seen before for this learner changes nothing. Empty
  /// means "no id": the event is applied every time it is recorded.
  std::string event_id;
  std::string learner_id;  ///< non-empty
  /// The activity attempted. A competency id is accepted too, meaning an item that practises
  /// exactly that competency with weight 1 (useful for skill-level logs and graphs without
  /// activities).
  std::string activity_id;
  /// Credit in [0, 1]: 1 correct, 0 incorrect, between for partial credit.
  double outcome = 0.0;
  TimestampMs timestamp_ms = 0;  ///< when it happened; used for reports and review scheduling
};

/// What is known of one (learner, competency).
struct MasteryEstimate {
  std::string competency_id;
  double p_learned = 0.0;  ///< P(learned) before the next opportunity
  /// p_learned >= the competency's mastery threshold, with the evidence the course or the
  /// competency asks for (TrackerOptions::mastery_min_opportunities, mastery_recent_correct).
  bool mastered = false;
  /// Observations applied to this competency (MasteryTracker counts up to 65,535 and stays there).
  uint32_t opportunities = 0;
  TimestampMs last_practiced_ms = 0;  ///< timestamp of the latest applied observation; 0 if none
  /// The carried state, log(P(L) / (1 - P(L))) (bkt.h), set by MasteryTracker: p_learned is read
  /// from it and rounds to 1.0 near mastery, log_odds keeps the evidence p_learned cannot show. NaN
  /// when not known (an estimate built by hand); readers then derive it from p_learned.
  double log_odds = std::numeric_limits<double>::quiet_NaN();
  /// The carried state exactly as MasteryTracker holds it (bkt.h's Odds: log_odds is
  /// log(odds_scale) + 512 odds_exponent ln 2, rounded, so it cannot give the odds back bit for
  /// bit). What MasteryTracker::RestoreLearner needs to carry on exactly as if it had seen the
  /// events. odds_scale is NaN when not known (an estimate built by hand, or stored before the
  /// store kept the odds).
  double odds_scale = std::numeric_limits<double>::quiet_NaN();
  int32_t odds_exponent = 0;  ///< see odds_scale
  /// The last min(opportunities, 8) answers as bits, the newest in bit 0, 1 = correct (credit from
  /// one half up): the evidence before "mastered" and the mastery policy's stall detection read
  /// them. -1 when not known (an estimate built by hand, or stored before the store kept them).
  int32_t recent_answers = -1;
};

/// A learner's mastery of every competency in the graph, in the graph's insertion order.
struct LearnerMastery {
  std::string learner_id;
  std::vector<MasteryEstimate> competencies;
};

}  // namespace pathwise

#endif  // PATHWISE_TYPES_H_
