// Online BKT mastery for many learners.
#ifndef PATHWISE_MASTERY_TRACKER_H_
#define PATHWISE_MASTERY_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise {

struct TrackerOptions {
  /// Learners are split over this many independently locked partitions; more shards mean less lock
  /// contention between threads recording for different learners. In [1, 65536].
  int num_shards = 64;

  /// Individual pace, online (iBKT-style offsets; see "Individual pace" below). Off: every learner
  /// is tracked with the model's parameters, exactly as fitted (standard BKT). On: each learner's
  /// prior and learn offsets (LearnerFactors, model.h) are estimated from their own answers, shrunk
  /// toward the population, and used for their later updates. A learner listed in
  /// BktModel::learner_factors keeps those fitted offsets (as if SetPace) whether this is on or
  /// not.
  bool individual_pace = false;
  /// The standard deviation of the population around which offsets are shrunk (the Gaussian prior
  /// on each logit offset), in [0.1, 5]. Smaller trusts the population more.
  double pace_prior_sd = 1.0;

  /// Evidence before "mastered" (MasteryEstimate::mastered), the course's setting: a practised
  /// competency is mastered only with P(learned) at its threshold, at least this many answers, and
  /// the last mastery_recent_correct of them correct (an outcome of at least 0.5). The same rule,
  /// defaults and precedence as MasteryPolicyOptions::mastery_min_opportunities (recommender.h): a
  /// competency's own Competency::mastery_min_opportunities / mastery_recent_correct in the graph
  /// win over these. Engine keeps them equal to its policies' (Engine::SetRecommenderOptions), so
  /// that what the tracker reports as mastered is what the recommendations treat as mastered.
  /// >= 1; 1 with mastery_recent_correct 0 is the threshold alone.
  int mastery_min_opportunities = 1;
  /// See mastery_min_opportunities. In [0, 8].
  int mastery_recent_correct = 0;

  /// InvalidArgument naming the field that is out of range.
  Status Validate() const;
};

/// What Record did.
struct RecordResult {
  /// False when the event id had been recorded before for this learner (nothing changed).
  bool applied = false;
  /// The competencies the observation updated, after the update (empty when not applied).
  std::vector<MasteryEstimate> updated;
};

/// One step of a learner's history for RecordSequence, with the activity already resolved.
struct ResolvedOutcome {
  uint32_t activity_index;  ///< from MasteryTracker::ActivityIndex
  float outcome;            ///< credit in [0, 1]
  TimestampMs timestamp_ms;
};

/// Tracks P(learned) for every (learner, competency) with BKT, applying observations as they
/// arrive.
///
/// Rules (see bkt.h for the maths): an observation of an activity updates each competency the
/// activity practises, independently, with that competency's parameters (model.h: competency
/// params, then the activity's guess/slip/learn overrides) and the Q-matrix weight as evidence
/// weight. Observations of one learner are applied in the order they are recorded; recording the
/// same non-empty event id again for a learner changes nothing, whatever came in between. A
/// competency id used as an activity practises just that competency with weight 1; an entry for
/// that id in BktModel::activities overrides it like any activity's. last_practiced_ms is the
/// largest timestamp applied, so an older event that arrives late does not move it back.
///
/// Mastered: P(learned) at the competency's threshold with the evidence TrackerOptions asks for
/// (mastery_min_opportunities, mastery_recent_correct, or the competency's own setting); the
/// tracker keeps each practised competency's last 8 answers for it.
///
/// Memory: 24 bytes per (learner, competency) that has been practised (competency index, the last
/// 8 answers, an opportunity count that saturates at 65,535, the odds of P(learned) of bkt.h, and
/// last timestamp), plus about 100 bytes per learner (and 152 more with a pace of their own), plus
/// the event ids kept for idempotency (the string and about 40 bytes of hash-set overhead each).
/// Unpractised competencies cost nothing: they are at their prior. EstimateMemory() reports the
/// totals, counting allocator rounding; on the Junyi replay (bench/README.md) it agrees with
/// glibc's own count within 3%: 10.9 MiB for 9,785 learners and 292,737 states (about 110 bytes per
/// learner and 35 per state once the per-learner arrays' spare capacity is included), and 76 bytes
/// per event id of up to 15 characters. CompactMemory() gives that spare capacity back.
///
/// Thread safety: every method may be called concurrently from any thread. Concurrent Record calls
/// for the same learner are serialized (in an unspecified order).
///
/// Example:
///
///     auto tracker = pathwise::MasteryTracker::Create(graph, pathwise::BktModel{});
///     if (!tracker.ok()) return tracker.status();
///     auto result = (*tracker)->Record({"e1", "ann", "fractions.add.1", 1.0, 1700000000000});
///     auto mastery = (*tracker)->Mastery("ann");
///
/// Individual pace (TrackerOptions::individual_pace). Learners differ in how much they know at the
/// start and in how fast they learn; a tracker with the population's parameters over-credits a slow
/// learner (a lucky answer reads as learned, and practice is expected to teach more than it does)
/// and under-credits a fast one. With individual_pace, each learner carries a posterior over a grid
/// of logit offsets (kPaceGrid values from -2.1 to 2.1, i.e. learn rates from about 1/8 to 8 times
/// the population's in odds), with a Gaussian prior of sd pace_prior_sd centred on 0 (the
/// population, where a new learner starts):
///   - prior_offset is updated by each first answer on a competency, whose likelihood is
///     PredictCorrect(sigmoid(logit(prior) + offset), guess, slip);
///   - learn_offset by each later answer at opportunity n (up to kPaceMaxOpportunity), with the
///     expected learning curve P(L_n) = 1 - (1 - prior') (1 - learn')^n of the learner's current
///     prior' and the grid's learn' (forgetting ignored): a learner who keeps failing where the
///     population would have learned is slower. The curve ignores the learner's earlier answers on
///     the same competency, which makes the evidence look stronger than it is; the shrinkage is
///     what keeps it in check.
/// The posterior means are the learner's LearnerFactors, applied from the next update on (states
/// already carried are not revised): the prior of a competency first practised, and the learn rate
/// of every transition. The estimate is a deterministic function of the learner's observations in
/// order, so a replay of the same events restores it. Pace(learner) reads it; SetPace fixes it.
class MasteryTracker {
 public:
  /// Copies what it needs from `graph` and `model` (neither needs to outlive the tracker).
  /// InvalidArgument when the model or options are invalid; ResourceExhausted for a graph of 2^24
  /// competencies or more.
  static Result<std::unique_ptr<MasteryTracker>> Create(const CompetencyGraph& graph,
                                                        const BktModel& model,
                                                        TrackerOptions options = {});
  ~MasteryTracker();
  MasteryTracker(const MasteryTracker&) = delete;
  MasteryTracker& operator=(const MasteryTracker&) = delete;

  /// Applies one observation. InvalidArgument for an empty learner id or an outcome that is NaN or
  /// outside [0, 1]; NotFound for an activity id that is neither an activity nor a competency.
  Result<RecordResult> Record(const Observation& observation);

  /// Validates every observation first, then applies them in order; on an error nothing is applied
  /// and the message names "observations[i].<field>". Returns how many were applied (not
  /// duplicates).
  Result<size_t> RecordBatch(const std::vector<Observation>& observations);
  /// As above; when `applied` is not null it gets one flag per observation, false for duplicates
  /// (for callers that pass the applied observations on, as Engine does to its policies).
  Result<size_t> RecordBatch(const std::vector<Observation>& observations,
                             std::vector<bool>* applied);

  /// Dense index of an activity (or of a competency used as an activity, see Observation) for
  /// RecordSequence. NotFound when unknown.
  Result<uint32_t> ActivityIndex(std::string_view activity_id) const;

  /// Bulk replay of one learner's history without event ids (nothing is deduplicated): the fast
  /// path for importing logs. Validates all steps first (InvalidArgument naming "steps[i]"), then
  /// applies. Empty `steps` change nothing (the learner is not created).
  Status RecordSequence(std::string_view learner_id, const std::vector<ResolvedOutcome>& steps);

  /// Mastery of every competency, in the graph's insertion order. NotFound for a learner never
  /// recorded.
  Result<LearnerMastery> Mastery(std::string_view learner_id) const;
  /// Mastery of one competency. NotFound for an unknown learner or competency.
  Result<MasteryEstimate> Mastery(std::string_view learner_id,
                                  std::string_view competency_id) const;
  /// The state of a learner with no observations: every competency at its prior.
  LearnerMastery PriorMastery(std::string_view learner_id) const;

  /// The learner's current offsets: estimated (individual_pace), fixed by SetPace, from the model's
  /// learner_factors, or 0 (the population). NotFound for a learner never recorded.
  Result<LearnerFactors> Pace(std::string_view learner_id) const;
  /// Fixes a learner's offsets (creating the learner when new): later updates use them and no
  /// longer estimate them. For offsets fitted offline, or for an experiment that knows the truth.
  /// InvalidArgument for an empty id or offsets that are not finite or outside [-10, 10].
  Status SetPace(std::string_view learner_id, const LearnerFactors& factors);

  /// The learner's pace as bytes to store beside its events, so that a restart (RestorePace)
  /// carries on with the same estimate, posterior included, without depending on a replay. Empty
  /// for an unknown learner or one tracked with the population's parameters. Versioned
  /// little-endian encoding: the line "pace/1\n", u8 1 when estimated (0: fixed), f64 prior_offset,
  /// f64 learn_offset, and when estimated u8 the grid size (kPaceGrid, 7) then that many f64
  /// weights of prior_offset and of learn_offset over the grid.
  Result<std::string> SavePace(std::string_view learner_id) const;
  /// Replaces a learner's pace by SavePace's bytes (creating the learner when new); empty bytes
  /// give a known learner the pace a new learner gets (and change nothing for an unknown one).
  /// InvalidArgument naming the byte offset for another header, a format version this library does
  /// not read or a malformed payload (offsets outside [-10, 10], weights negative, not finite or
  /// summing to 0); nothing changes then.
  Status RestorePace(std::string_view learner_id, std::string_view bytes);

  /// Changes the course's evidence before "mastered" (TrackerOptions::mastery_min_opportunities,
  /// mastery_recent_correct) from now on; estimates read later follow it (it is a rule over the
  /// answers kept, not a change of state). InvalidArgument naming the field out of range (nothing
  /// changes).
  Status SetMasteryEvidence(int min_opportunities, int recent_correct);

  /// Replaces a learner's practised states by `estimates` (creating the learner, with a new
  /// learner's pace, when unknown; its pace is left as it is otherwise: RestorePace restores it),
  /// without replaying their events: the fast path for a restart from stored states. An estimate
  /// with opportunities 0 is at its prior and is skipped. With odds_scale set (what Mastery gives),
  /// the state is restored bit for bit, so later observations give exactly what they give a
  /// tracker that saw the events (with the same pace, see SavePace); without it, from log_odds,
  /// else p_learned, to a few ulps. The event ids kept for idempotency are not restored (ids of
  /// events recorded before are then new again), nor are the recent answers the evidence rule
  /// reads (TrackerOptions::mastery_recent_correct): a tracker whose rule reads them must replay.
  /// NotFound naming "estimates[i].competency_id" for a competency the graph lacks; InvalidArgument
  /// for an empty learner id, a competency given twice, or odds the tracker never carries (a scale
  /// outside [2^-256, 2^256) that is not 0 or inf with exponent 0); nothing changes then.
  Status RestoreLearner(std::string_view learner_id, const std::vector<MasteryEstimate>& estimates);

  bool HasLearner(std::string_view learner_id) const;
  /// Forgets a learner entirely (state and event ids). NotFound when unknown.
  Status RemoveLearner(std::string_view learner_id);
  /// All learner ids, sorted.
  std::vector<std::string> LearnerIds() const;
  size_t num_learners() const;

  struct MemoryUsage {
    size_t learners = 0;
    size_t states = 0;     ///< practised (learner, competency) pairs
    size_t event_ids = 0;  ///< ids kept for idempotency
    size_t bytes = 0;      ///< estimated heap bytes of all of the above
  };
  MemoryUsage EstimateMemory() const;

  /// Gives back the spare room that learners' states took while they grew: a learner's practised
  /// states are one array that doubles when it is full, because growing it by less slowed Record
  /// by 4-10 % (bench/README.md), so a tracker grown by recording holds about a third more than
  /// one restored from the same states (32 against 25 bytes per state on state_memory's
  /// workload). Each array with more spare room than a sixteenth of its states is reallocated to
  /// its size. States, estimates and later updates are exactly what they would have been.
  /// Returns the bytes of spare room released (before allocator rounding).
  ///
  /// For a server that keeps learners for months (pathwised calls it every
  /// memory_compaction_interval_seconds): safe beside traffic, since it holds one shard's lock
  /// (TrackerOptions::num_shards) at a time and for at most 128 of its learners, so a concurrent
  /// call waits at most for those copies (about 0.2 ms with 100 states each; 100,000 such
  /// learners take 0.1-0.16 s in all, bench/README.md), however many learners the tracker
  /// holds. A learner that practises a new competency afterwards grows again, which the next
  /// call gives back.
  size_t CompactMemory();

 private:
  struct Impl;
  explicit MasteryTracker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise

#endif  // PATHWISE_MASTERY_TRACKER_H_
