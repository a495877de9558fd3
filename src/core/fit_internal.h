// Private to the fitting code (fit*.cc, evaluation.cc) and its benchmark: the per-competency layout
// of a ResponseLog, the E-step kernel and seeds (ParallelFor comes from parallel_for.h).
#ifndef PATHWISE_SRC_CORE_FIT_INTERNAL_H_
#define PATHWISE_SRC_CORE_FIT_INTERNAL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <pathwise/fit.h>
#include <pathwise/model.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

#include "parallel_for.h"

namespace pathwise::fit_internal {

/// What BuildLayout should materialise besides outcomes and sequence boundaries.
struct LayoutRequest {
  bool activity_classes = false;  ///< per-row class index (multigs / multilearn)
  /// Per-row learn-class index from ResponseLog::learn_class (multilearn on a learn-class column).
  bool learn_classes = false;
  /// When non-null, only rows of learners with (*learner_mask)[learner] true are laid out.
  const std::vector<bool>* learner_mask = nullptr;
};

/// A ResponseLog regrouped for EM: rows of one competency are contiguous, and inside a competency
/// the rows of one learner (a "sequence") are contiguous and in time order.
///
/// Memory: 1 byte per row (outcomes) + 8 bytes per sequence, + 4 bytes per row for activity classes
/// when requested. Row and sequence offsets are 32-bit: BuildLayout refuses logs of 2^32 rows or
/// more.
struct Layout {
  size_t num_competencies = 0;
  std::vector<uint8_t> outcome;          ///< per laid-out row, 0 or 1
  std::vector<uint32_t> seq_begin;       ///< per sequence + 1: offset of its first row in `outcome`
  std::vector<uint32_t> seq_learner;     ///< per sequence: learner index
  std::vector<uint32_t> competency_seq;  ///< per competency + 1: its first sequence
  std::vector<uint32_t> max_seq_length;  ///< per competency
  std::vector<uint32_t> correct_count;   ///< per competency: rows with outcome 1
  // activity_classes: rows of a competency are split into classes by activity; class k of
  // competency c is global class competency_class[c] + k, whose activity is class_activity[...]
  // (IdTable::kNone for rows without one). row_class holds the local class k.
  std::vector<uint32_t> row_class;
  std::vector<uint32_t> competency_class;  ///< per competency + 1
  std::vector<uint32_t> class_activity;    ///< per global class
  std::vector<uint32_t> class_rows;        ///< per global class: number of rows
  // learn_classes: the same split by ResponseLog::learn_class (empty unless requested): local learn
  // class row_learn_class[pos] of competency c is global learn class competency_learn_class[c] + k,
  // whose ResponseLog::learn_classes index is learn_class_id[...] (kNone: rows without one).
  std::vector<uint32_t> row_learn_class;
  std::vector<uint32_t> competency_learn_class;  ///< per competency + 1
  std::vector<uint32_t> learn_class_id;          ///< per global learn class

  size_t num_rows() const { return outcome.size(); }
  size_t num_sequences() const { return seq_learner.size(); }
  uint32_t RowBegin(size_t c) const { return seq_begin[competency_seq[c]]; }
  uint32_t RowEnd(size_t c) const { return seq_begin[competency_seq[c + 1]]; }
  size_t Rows(size_t c) const { return RowEnd(c) - RowBegin(c); }
  size_t NumClasses(size_t c) const { return competency_class[c + 1] - competency_class[c]; }
  size_t NumLearnClasses(size_t c) const {
    return competency_learn_class[c + 1] - competency_learn_class[c];
  }
};

/// ResourceExhausted when the log has 2^32 rows or more; Internal when its columns are
/// inconsistent.
Status BuildLayout(const ResponseLog& log, const LayoutRequest& request, Layout* layout);

/// The rows of `log` ordered learner by learner (stable: each learner's rows keep file order,
/// learners by index), or an empty vector when every learner's rows are already contiguous, which
/// is the common case and then costs no memory.
std::vector<uint32_t> LearnerMajorOrder(const ResponseLog& log);

/// Calls visit(row) for every row in learner-major order (see LearnerMajorOrder).
template <typename Visit>
void ForEachRowByLearner(const ResponseLog& log, const std::vector<uint32_t>& order,
                         Visit&& visit) {
  if (order.empty()) {
    const auto n = static_cast<uint32_t>(log.num_rows());
    for (uint32_t r = 0; r < n; ++r) visit(r);
  } else {
    for (uint32_t r : order) visit(r);
  }
}

/// Parameters of one competency during EM. Class tables are per activity class (one entry when the
/// variant is off), group priors per group.
struct EmParams {
  double prior = 0.5;
  double forget = 0.0;
  std::vector<double> learn;  ///< per learn class (size 1 unless multilearn)
  std::vector<double> guess;  ///< per guess/slip class (size 1 unless multigs)
  std::vector<double> slip;
  std::vector<double> group_prior;  ///< per prior group (empty unless multiprior)
};

/// Expected counts of one E-step over one competency.
struct EmStats {
  double log_likelihood = 0.0;
  double init_learned = 0.0;  ///< sum over sequences of P(L at the first row | data)
  double sequences = 0.0;
  double forget_num = 0.0;            ///< sum of P(L_t, U_t+1 | data)
  double forget_den = 0.0;            ///< sum over non-final rows of P(L_t | data)
  std::vector<double> learn_num;      ///< per learn class: sum of P(U_t, L_t+1 | data)
  std::vector<double> learn_den;      ///< per learn class: sum over non-final rows of P(U_t | data)
  std::vector<double> learned_total;  ///< per gs class: sum of P(L_t | data)
  std::vector<double> learned_wrong;  ///< per gs class: sum of P(L_t | data) over incorrect rows
  std::vector<double> unlearned_total;     ///< per gs class: sum of P(U_t | data)
  std::vector<double> unlearned_right;     ///< per gs class: sum of P(U_t | data) over correct rows
  std::vector<double> group_init_learned;  ///< per prior group
  std::vector<double> group_sequences;     ///< per prior group
};

/// Per-sequence inputs and outputs of the E-step, for multiprior and iBKT. Pointers index sequences
/// of the competency from 0; null when unused.
struct SequenceTerms {
  const double* prior = nullptr;  ///< overrides EmParams::prior per sequence
  const double* learn =
      nullptr;  ///< overrides EmParams::learn[0] per sequence (not with multilearn)
  double* init_learned = nullptr;  ///< out: P(L at the first row | data)
  double* learn_num = nullptr;     ///< out: sum of P(U_t, L_t+1 | data)
  double* learn_den = nullptr;     ///< out: sum over non-final rows of P(U_t | data)
};

/// Scratch memory of one E-step caller; reused across iterations so the loop never allocates.
struct EStepScratch {
  std::vector<double> alpha;  ///< 2 per row of the longest sequence
  std::vector<double> tables;
};

/// One E-step (scaled forward-backward) over competency c with `params`; fills `stats` (resized to
/// the class/group counts of `params`). multigs/multilearn are on when params.guess / params.learn
/// have more than one entry (learn classes from layout.row_learn_class when the layout has them,
/// else from row_class); `group_of_sequence`, when non-null, gives each sequence's prior group
/// (multiprior).
void EStep(const Layout& layout, size_t c, const EmParams& params,
           const uint32_t* group_of_sequence, const SequenceTerms& terms, EStepScratch* scratch,
           EmStats* stats);

/// One competency to fit: its activity classes and prior groups.
struct CompetencySetup {
  size_t competency = 0;            ///< index in ResponseLog::competencies
  size_t gs_classes = 1;            ///< guess/slip classes (activity classes with multigs, else 1)
  size_t learn_classes = 1;         ///< learn classes (activity classes with multilearn, else 1)
  std::vector<uint32_t> seq_group;  ///< multiprior: local group per sequence of the competency
  std::vector<std::string> group_names;  ///< multiprior: local group -> name in the model
  /// First-response multiprior: the local group whose sequences are learners' first answers alone,
  /// scored with the competency prior; its prior is the competency's, not a model group. kNoGroup
  /// otherwise.
  uint32_t first_answer_group = kNoGroup;
  size_t learners = 0;  ///< learners with rows of the competency
  /// FitOptions::fixed_classes resolved to local classes: per learn class / guess-slip class, the
  /// fixed value or NaN when free; empty when no class of the competency has one.
  std::vector<double> fixed_learn, fixed_guess, fixed_slip;

  static constexpr uint32_t kNoGroup = 0xffffffffu;
};

/// A log laid out for fitting, with the competencies that have rows.
struct Prepared {
  Layout layout;
  std::vector<CompetencySetup> setups;
  size_t learners_with_rows = 0;
};

/// Validates the options against the log and lays it out (only learners in `mask`, when non-null).
/// Statuses as FitBkt.
Status Prepare(const ResponseLog& log, const FitOptions& options, const std::vector<bool>* mask,
               Prepared* prepared);

/// The start of `restart` for one competency (see fit.h), clamped into the bounds, fixed values
/// applied.
EmParams StartParams(const FitOptions& options, const CompetencySetup& setup,
                     const std::string& name, int restart);

/// The M-step: every parameter that is neither fixed (options.fixed, or per class in
/// setup.fixed_*) nor (when !update_prior_learn) prior/learn becomes its clamped closed-form
/// maximiser (with options.priors.enabled, of the expected counts plus the Beta pseudo-counts); a
/// parameter whose count denominator is 0 keeps its value.
void MStep(const EmStats& stats, const FitOptions& options, const CompetencySetup& setup,
           bool update_prior_learn, EmParams* params);

/// The unnormalised log Beta density of the fitted (not fixed) parameters (0 unless
/// options.priors.enabled): what MAP-EM adds to the log-likelihood.
double LogPrior(const EmParams& params, const FitOptions& options, const CompetencySetup& setup);

/// Builds result->model and the per-competency summaries from the final parameters and E-step
/// statistics of every setup (same order as prepared.setups). learner_offsets, when non-null, holds
/// iBKT factors per learner index.
void AssembleModel(const ResponseLog& log, const FitOptions& options, const Prepared& prepared,
                   const std::vector<EmParams>& params, const std::vector<EmStats>& stats,
                   const std::vector<LearnerFactors>* learner_offsets, FitResult* result);

/// Whether options.cancel asks the fit to stop. Relaxed: the flag orders no other memory, and a
/// request seen one iteration late only delays the stop.
inline bool CancelRequested(const FitOptions& options) {
  return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

/// What FitBkt returns when CancelRequested.
inline Status CancelledStatus() { return Status::Cancelled("the fit was cancelled"); }

/// iBKT (fit_ibkt.cc). Statuses as FitBkt.
Result<FitResult> FitIndividualized(const ResponseLog& log, const FitOptions& options,
                                    const Prepared& prepared);

/// FitBkt on the rows of the learners in `mask` only (all when null): cross-validation trains with
/// it.
Result<FitResult> FitBktOnLearners(const ResponseLog& log, const FitOptions& options,
                                   const std::vector<bool>* mask);

/// PredictOneStepAhead on the rows of the learners in `mask` only (all when null); other rows get
/// NaN.
Result<std::vector<double>> PredictOnLearners(const BktModel& model, const ResponseLog& log,
                                              const std::vector<bool>* mask);

/// A uniform double in [0, 1) from raw engine bits (portable, unlike
/// std::uniform_real_distribution).
inline double UniformDouble(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

using ::pathwise::ParallelFor;  // parallel_for.h

/// A stable 64-bit hash (FNV-1a) so seeds derived from names are the same on every platform.
uint64_t StableHash(const std::string& text);

/// splitmix64: mixes a seed into well-distributed bits.
uint64_t MixSeed(uint64_t x);

}  // namespace pathwise::fit_internal

#endif  // PATHWISE_SRC_CORE_FIT_INTERNAL_H_
