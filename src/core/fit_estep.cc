// The E-step: scaled forward-backward over the sequences of one competency.
//
// Forward: alpha_t(i) = P(o_1..o_t, state_t = i), kept unnormalised and multiplied by 2^256 (exact,
// no rounding) whenever the pair drops below 2^-256, so the inner loop has no division and no log.
// The sequences' likelihoods alpha_T(L) + alpha_T(U) are multiplied together, rescaled the same
// way, and the competency's log-likelihood is one log of that product minus the rescalings.
// Backward: beta_t(i) = P(o_t+1..o_T | state_t = i), rescaled the same way. With
// b_t(i) = sum_j A(i, j) e_j(o_t+1) beta_t+1(j) (the unrescaled beta_t) and Z_t = sum_i alpha_t(i)
// b_t(i), the posteriors are gamma_t(i) = alpha_t(i) b_t(i) / Z_t and xi_t(i, j) = alpha_t(i) A(i,
// j) e_j(o_t+1) beta_t+1(j) / Z_t; the scale factors cancel in the ratios, so one division per row
// (off the recursion's critical path) suffices.
#include <cmath>
#include <cstring>

#include "fit_internal.h"

namespace pathwise::fit_internal {
namespace {

constexpr double kTiny = 0x1p-256;
constexpr double kHuge = 0x1p256;
constexpr double kLogHuge = 256.0 * 0.69314718055994530941723212145818;

// One forward step folded into four coefficients (transition out of the previous row with learn
// `learn`, then the emission e of this row's outcome):
//   alpha'_L = alpha_L ll + alpha_U ul,   alpha'_U = alpha_L lu + alpha_U uu.
// The backward step uses the same coefficients transposed.
struct Step {
  double ll, ul, lu, uu;
};
inline Step MakeStep(const double* e, double learn, double forget) {
  return {e[0] * (1.0 - forget), e[0] * learn, e[1] * forget, e[1] * (1.0 - learn)};
}

template <bool kForget, bool kMultiGs, bool kMultiLearn>
void EStepKernel(const Layout& layout, size_t c, const EmParams& params, const uint32_t* group,
                 const SequenceTerms& terms, EStepScratch* scratch, EmStats* stats) {
  const uint8_t* outcome = layout.outcome.data();
  // Guess/slip classes are activity classes; learn classes are too unless the log has a learn-class
  // column of its own (then both point at the same array when neither is split otherwise).
  const uint32_t* gs_class =
      kMultiGs ? layout.row_class.data() : static_cast<const uint32_t*>(nullptr);
  const uint32_t* learn_class = static_cast<const uint32_t*>(nullptr);
  if (kMultiLearn) {
    learn_class =
        layout.row_learn_class.empty() ? layout.row_class.data() : layout.row_learn_class.data();
  }
  const size_t gs_classes = params.guess.size();

  // Emission table: emission[4 k + 2 o + i] = P(o | state i) for class k, i = 0 learned, 1
  // unlearned.
  double* emission = scratch->tables.data();
  for (size_t k = 0; k < gs_classes; ++k) {
    emission[4 * k + 0] = params.slip[k];
    emission[4 * k + 1] = 1.0 - params.guess[k];
    emission[4 * k + 2] = 1.0 - params.slip[k];
    emission[4 * k + 3] = params.guess[k];
  }
  static constexpr double kIsCorrect[2] = {0.0, 1.0};
  const double* learn = params.learn.data();
  const double forget = params.forget;
  double* alpha = scratch->alpha.data();
  // Without per-row classes the step coefficients depend only on the outcome: two tables, refreshed
  // per sequence only when learn is per sequence (iBKT).
  Step fixed_steps[2] = {MakeStep(emission, learn[0], forget),
                         MakeStep(emission + 2, learn[0], forget)};

  // The likelihood of the competency is kept as likelihood_product x 2^(-256 x rescalings): one log
  // per E-step instead of one per sequence (sequences are often only a few rows long).
  double likelihood_product = 1.0;
  int64_t rescalings = 0;
  double init_learned = 0.0, forget_num = 0.0, forget_den = 0.0;
  double learn_num = 0.0, learn_den = 0.0;
  double learned_total = 0.0, learned_wrong = 0.0, unlearned_total = 0.0, unlearned_right = 0.0;
  double* class_learn_num = stats->learn_num.data();
  double* class_learn_den = stats->learn_den.data();
  double* class_learned_total = stats->learned_total.data();
  double* class_learned_wrong = stats->learned_wrong.data();
  double* class_unlearned_total = stats->unlearned_total.data();
  double* class_unlearned_right = stats->unlearned_right.data();

  const uint32_t seq_first = layout.competency_seq[c];
  const uint32_t seq_last = layout.competency_seq[c + 1];
  for (uint32_t s = seq_first; s < seq_last; ++s) {
    const uint32_t local = s - seq_first;
    const uint32_t begin = layout.seq_begin[s];
    const uint32_t length = layout.seq_begin[s + 1] - begin;
    const uint8_t* o = outcome + begin;
    const uint32_t* k = kMultiGs ? gs_class + begin : nullptr;
    const uint32_t* kl = kMultiLearn ? learn_class + begin : nullptr;
    double prior = params.prior;
    if (terms.prior != nullptr) {
      prior = terms.prior[local];
    } else if (group != nullptr) {
      prior = params.group_prior[group[local]];
    }
    if (terms.learn != nullptr && !kMultiLearn && !kMultiGs) {
      fixed_steps[0] = MakeStep(emission, terms.learn[local], forget);
      fixed_steps[1] = MakeStep(emission + 2, terms.learn[local], forget);
    }
    const double seq_learn = terms.learn != nullptr ? terms.learn[local] : learn[0];
    // The transition out of row t - 1 followed by the emission of row t.
    auto step_into = [&](uint32_t t) -> Step {
      if (!kMultiGs && !kMultiLearn) return fixed_steps[o[t]];
      return MakeStep(emission + (kMultiGs ? 4 * k[t] : 0) + 2 * o[t],
                      kMultiLearn ? learn[kl[t - 1]] : seq_learn, forget);
    };

    // Forward.
    const double* e = emission + (kMultiGs ? 4 * k[0] : 0) + 2 * o[0];
    double a_learned = prior * e[0];
    double a_unlearned = (1.0 - prior) * e[1];
    alpha[0] = a_learned;
    alpha[1] = a_unlearned;
    for (uint32_t t = 1; t < length; ++t) {
      const Step st = step_into(t);
      // Two independent products then one add: the shortest dependency chain without FMA.
      const double next_learned = a_learned * st.ll + a_unlearned * st.ul;
      a_unlearned = kForget ? a_learned * st.lu + a_unlearned * st.uu : a_unlearned * st.uu;
      a_learned = next_learned;
      if (a_learned + a_unlearned < kTiny) {
        a_learned *= kHuge;
        a_unlearned *= kHuge;
        ++rescalings;
      }
      alpha[2 * t] = a_learned;
      alpha[2 * t + 1] = a_unlearned;
    }
    likelihood_product *= a_learned + a_unlearned;
    if (likelihood_product < kTiny) {
      likelihood_product *= kHuge;
      ++rescalings;
    }

    // Backward. The final row has beta = 1.
    double g_learned, g_unlearned;
    {
      const double inv = 1.0 / (a_learned + a_unlearned);
      g_learned = a_learned * inv;
      g_unlearned = a_unlearned * inv;
      const uint32_t t = length - 1;
      const double right = kIsCorrect[o[t]];
      if (kMultiGs) {
        const uint32_t kc = k[t];
        class_learned_total[kc] += g_learned;
        class_learned_wrong[kc] += g_learned - g_learned * right;
        class_unlearned_total[kc] += g_unlearned;
        class_unlearned_right[kc] += g_unlearned * right;
      } else {
        learned_total += g_learned;
        learned_wrong += g_learned - g_learned * right;
        unlearned_total += g_unlearned;
        unlearned_right += g_unlearned * right;
      }
    }
    double b_learned = 1.0, b_unlearned = 1.0;
    double seq_learn_num = 0.0, seq_learn_den = 0.0;
    for (uint32_t t = length - 1; t-- > 0;) {
      const Step st = step_into(t + 1);
      // c = the unrescaled beta_t: c_L = (1 - F) e_L b_L + F e_U b_U, c_U = T e_L b_L + (1 - T) e_U
      // b_U.
      const double to_learned_path = st.ul * b_learned;
      const double c_learned =
          kForget ? b_learned * st.ll + b_unlearned * st.lu : b_learned * st.ll;
      const double c_unlearned = to_learned_path + b_unlearned * st.uu;
      const double al = alpha[2 * t];
      const double au = alpha[2 * t + 1];
      const double inv_z = 1.0 / (al * c_learned + au * c_unlearned);
      g_learned = al * c_learned * inv_z;
      g_unlearned = au * c_unlearned * inv_z;
      const double to_learned = au * to_learned_path * inv_z;
      if (kForget) {
        forget_num += al * (st.lu * b_unlearned) * inv_z;
        forget_den += g_learned;
      }
      if (kMultiLearn) {
        class_learn_num[kl[t]] += to_learned;
        class_learn_den[kl[t]] += g_unlearned;
      } else {
        seq_learn_num += to_learned;
        seq_learn_den += g_unlearned;
      }
      const double right = kIsCorrect[o[t]];
      if (kMultiGs) {
        const uint32_t kc = k[t];
        class_learned_total[kc] += g_learned;
        class_learned_wrong[kc] += g_learned - g_learned * right;
        class_unlearned_total[kc] += g_unlearned;
        class_unlearned_right[kc] += g_unlearned * right;
      } else {
        learned_total += g_learned;
        learned_wrong += g_learned - g_learned * right;
        unlearned_total += g_unlearned;
        unlearned_right += g_unlearned * right;
      }
      b_learned = c_learned;
      b_unlearned = c_unlearned;
      if (b_learned + b_unlearned < kTiny) {
        b_learned *= kHuge;
        b_unlearned *= kHuge;
      }
    }
    init_learned += g_learned;
    learn_num += seq_learn_num;
    learn_den += seq_learn_den;
    if (group != nullptr) {
      stats->group_init_learned[group[local]] += g_learned;
      stats->group_sequences[group[local]] += 1.0;
    }
    if (terms.init_learned != nullptr) terms.init_learned[local] = g_learned;
    if (terms.learn_num != nullptr) terms.learn_num[local] = seq_learn_num;
    if (terms.learn_den != nullptr) terms.learn_den[local] = seq_learn_den;
  }

  stats->log_likelihood = std::log(likelihood_product) - static_cast<double>(rescalings) * kLogHuge;
  stats->init_learned = init_learned;
  stats->sequences = static_cast<double>(seq_last - seq_first);
  stats->forget_num = forget_num;
  stats->forget_den = forget_den;
  if (!kMultiLearn) {
    stats->learn_num[0] = learn_num;
    stats->learn_den[0] = learn_den;
  }
  if (!kMultiGs) {
    stats->learned_total[0] = learned_total;
    stats->learned_wrong[0] = learned_wrong;
    stats->unlearned_total[0] = unlearned_total;
    stats->unlearned_right[0] = unlearned_right;
  }
}

void ResetStats(const EmParams& params, EmStats* stats) {
  auto zero = [](std::vector<double>* v, size_t n) { v->assign(n, 0.0); };
  zero(&stats->learn_num, params.learn.size());
  zero(&stats->learn_den, params.learn.size());
  zero(&stats->learned_total, params.guess.size());
  zero(&stats->learned_wrong, params.guess.size());
  zero(&stats->unlearned_total, params.guess.size());
  zero(&stats->unlearned_right, params.guess.size());
  zero(&stats->group_init_learned, params.group_prior.size());
  zero(&stats->group_sequences, params.group_prior.size());
}

}  // namespace

void EStep(const Layout& layout, size_t c, const EmParams& params, const uint32_t* group,
           const SequenceTerms& terms, EStepScratch* scratch, EmStats* stats) {
  ResetStats(params, stats);
  const size_t alpha_size = 2 * static_cast<size_t>(layout.max_seq_length[c]);
  if (scratch->alpha.size() < alpha_size) scratch->alpha.resize(alpha_size);
  if (scratch->tables.size() < 4 * params.guess.size())
    scratch->tables.resize(4 * params.guess.size());
  const bool forget = params.forget != 0.0;
  const bool multigs = params.guess.size() > 1;
  const bool multilearn = params.learn.size() > 1;
  using Kernel = void (*)(const Layout&, size_t, const EmParams&, const uint32_t*,
                          const SequenceTerms&, EStepScratch*, EmStats*);
  static constexpr Kernel kKernels[8] = {
      EStepKernel<false, false, false>, EStepKernel<false, false, true>,
      EStepKernel<false, true, false>,  EStepKernel<false, true, true>,
      EStepKernel<true, false, false>,  EStepKernel<true, false, true>,
      EStepKernel<true, true, false>,   EStepKernel<true, true, true>,
  };
  kKernels[(forget ? 4 : 0) + (multigs ? 2 : 0) + (multilearn ? 1 : 0)](layout, c, params, group,
                                                                        terms, scratch, stats);
}

}  // namespace pathwise::fit_internal
