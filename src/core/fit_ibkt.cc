// iBKT: per-learner prior and learn offsets (logit scale) shared across competencies, fitted by
// generalised EM together with the competency parameters. The model and the objective are stated in
// fit.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <pathwise/fit.h>

#include "fit_internal.h"

namespace pathwise::fit_internal {
namespace {

// Keeps logit finite for competency priors and learns on the iBKT path.
constexpr double kLogitEdge = 1e-6;
constexpr int kNewtonSteps = 4;

double Logit(double p) {
  p = std::min(std::max(p, kLogitEdge), 1.0 - kLogitEdge);
  return std::log(p / (1.0 - p));
}
double Sigmoid(double z) {
  if (z >= 0.0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// Maximises f(x) = sum_i [y_i log sigmoid(x + o_i) + (w_i - y_i) log sigmoid(-(x + o_i))] - lambda
// x^2 / 2 over [lo, hi] from x0 by Newton steps, halving a step until f does not decrease: the
// result never has a lower f than x0. for_each_term(fn) calls fn(y, w, o) for every term.
template <typename ForEachTerm>
double MaximiseLogistic(double x0, double lo, double hi, double lambda,
                        const ForEachTerm& for_each_term) {
  auto evaluate = [&](double x, double* gradient, double* hessian) {
    double f = 0.0, g = 0.0, h = 0.0;
    for_each_term([&](double y, double w, double o) {
      // One exp and one log1p per term: with e = exp(-|z|), log sigmoid(z) = min(z, 0) - log1p(e)
      // and log sigmoid(-z) = min(-z, 0) - log1p(e).
      const double z = x + o;
      const double e = std::exp(-std::abs(z));
      const double log1pe = std::log1p(e);
      const double p = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      f += y * (std::min(z, 0.0) - log1pe) + (w - y) * (std::min(-z, 0.0) - log1pe);
      g += y - w * p;
      h -= w * p * (1.0 - p);
    });
    *gradient = g - lambda * x;
    *hessian = h - lambda;
    return f - 0.5 * lambda * x * x;
  };
  double x = std::min(std::max(x0, lo), hi);
  double g, h;
  double f = evaluate(x, &g, &h);
  // A few Newton steps suffice: each M-step only has to improve the objective, and the next EM
  // iteration continues from here.
  for (int iteration = 0; iteration < kNewtonSteps; ++iteration) {
    if (!(h < 0.0)) break;  // flat: no information about x
    double step = -g / h;
    double x_new = std::min(std::max(x + step, lo), hi);
    double g_new, h_new;
    double f_new = evaluate(x_new, &g_new, &h_new);
    for (int halving = 0; f_new < f && halving < 40; ++halving) {
      step *= 0.5;
      x_new = std::min(std::max(x + step, lo), hi);
      f_new = evaluate(x_new, &g_new, &h_new);
    }
    if (f_new < f || x_new == x) break;
    const bool done = std::abs(x_new - x) < 1e-10;
    x = x_new;
    f = f_new;
    g = g_new;
    h = h_new;
    if (done) break;
  }
  return x;
}

}  // namespace

Result<FitResult> FitIndividualized(const ResponseLog& log, const FitOptions& options,
                                    const Prepared& prepared) {
  const Layout& layout = prepared.layout;
  const size_t num_setups = prepared.setups.size();
  const size_t num_sequences = layout.num_sequences();
  const size_t num_learners = log.learners.size();
  const FixedParams& fixed = options.fixed;
  const bool fit_prior_offsets = !fixed.prior;
  const bool fit_learn_offsets = !fixed.learn;

  // Sequences of each learner (CSR) and the setup of each sequence.
  std::vector<uint32_t> seq_setup(num_sequences, 0);
  for (size_t i = 0; i < num_setups; ++i) {
    const size_t c = prepared.setups[i].competency;
    for (uint32_t s = layout.competency_seq[c]; s < layout.competency_seq[c + 1]; ++s) {
      seq_setup[s] = static_cast<uint32_t>(i);
    }
  }
  std::vector<uint32_t> learner_begin(num_learners + 1, 0);
  for (uint32_t l : layout.seq_learner) ++learner_begin[l + 1];
  for (size_t l = 0; l < num_learners; ++l) learner_begin[l + 1] += learner_begin[l];
  std::vector<uint32_t> learner_seqs(num_sequences);
  {
    std::vector<uint32_t> cursor(learner_begin.begin(), learner_begin.end() - 1);
    for (uint32_t s = 0; s < num_sequences; ++s) learner_seqs[cursor[layout.seq_learner[s]]++] = s;
  }
  // E-steps largest competency first.
  std::vector<size_t> order(num_setups);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layout.Rows(prepared.setups[a].competency) > layout.Rows(prepared.setups[b].competency);
  });
  const double total_rows = static_cast<double>(layout.num_rows());
  const double prior_lo = Logit(options.bounds.prior.lower),
               prior_hi = Logit(options.bounds.prior.upper);
  const double learn_lo = Logit(options.bounds.learn.lower),
               learn_hi = Logit(options.bounds.learn.upper);

  std::vector<double> seq_prior(num_sequences), seq_learn(num_sequences), seq_init(num_sequences),
      seq_num(num_sequences), seq_den(num_sequences);
  std::vector<EmStats> stats(num_setups);
  std::vector<EStepScratch> scratch(num_setups);

  FitResult best;
  bool have_best = false;
  std::vector<EmParams> best_params;
  std::vector<EmStats> best_stats;
  std::vector<LearnerFactors> best_offsets;
  int64_t iterations = 0, obs_iterations = 0;

  for (int restart = 0; restart < options.restarts; ++restart) {
    std::vector<EmParams> params(num_setups);
    std::vector<double> theta(num_setups), phi(num_setups);
    for (size_t i = 0; i < num_setups; ++i) {
      const std::string& name =
          log.competencies.Name(static_cast<uint32_t>(prepared.setups[i].competency));
      params[i] = StartParams(options, prepared.setups[i], name, restart);
      theta[i] = std::min(std::max(Logit(params[i].prior), prior_lo), prior_hi);
      phi[i] = std::min(std::max(Logit(params[i].learn[0]), learn_lo), learn_hi);
    }
    std::vector<double> prior_offset(num_learners, 0.0), learn_offset(num_learners, 0.0);
    std::vector<double> trace;
    double previous = 0.0, objective = 0.0;
    int iteration = 0;
    bool converged = false;
    for (iteration = 1;; ++iteration) {
      if (CancelRequested(options)) return CancelledStatus();
      for (uint32_t s = 0; s < num_sequences; ++s) {
        const uint32_t l = layout.seq_learner[s];
        const size_t i = seq_setup[s];
        seq_prior[s] = fixed.prior ? *fixed.prior : Sigmoid(theta[i] + prior_offset[l]);
        seq_learn[s] = fixed.learn ? *fixed.learn : Sigmoid(phi[i] + learn_offset[l]);
      }
      ParallelFor(options.threads, num_setups, [&](size_t j) {
        const size_t i = order[j];
        const size_t c = prepared.setups[i].competency;
        const uint32_t first = layout.competency_seq[c];
        SequenceTerms terms;
        terms.prior = seq_prior.data() + first;
        terms.learn = seq_learn.data() + first;
        terms.init_learned = seq_init.data() + first;
        terms.learn_num = seq_num.data() + first;
        terms.learn_den = seq_den.data() + first;
        EStep(layout, c, params[i], nullptr, terms, &scratch[i], &stats[i]);
      });
      double ll = 0.0;
      for (size_t i = 0; i < num_setups; ++i) ll += stats[i].log_likelihood;
      double penalty = 0.0;
      for (size_t l = 0; l < num_learners; ++l) {
        penalty += prior_offset[l] * prior_offset[l] + learn_offset[l] * learn_offset[l];
      }
      objective = ll - 0.5 * options.ibkt_l2 * penalty;
      iterations += static_cast<int64_t>(num_setups);
      obs_iterations += static_cast<int64_t>(layout.num_rows());
      if (!std::isfinite(objective)) {
        return Status::FailedPrecondition(
            "iBKT: some observations have zero likelihood under the start or fixed parameters");
      }
      if (options.record_trace) trace.push_back(objective);
      converged = iteration > 1 && options.tolerance > 0.0 &&
                  objective - previous < options.tolerance * total_rows;
      const bool stops = converged || iteration >= options.max_iterations;
      if (options.progress) {
        // A restart that stops early counts as whole, so the last call of the fit reports 1.
        const double restart_done =
            stops ? 1.0 : iteration / static_cast<double>(options.max_iterations);
        options.progress((restart + restart_done) / options.restarts);
      }
      if (stops) break;
      previous = objective;

      // M-step, block by block; each block maximises the expected complete-data objective given the
      // others, so the objective cannot decrease.
      ParallelFor(options.threads, num_setups, [&](size_t i) {
        MStep(stats[i], options, prepared.setups[i], /*update_prior_learn=*/false, &params[i]);
        const size_t c = prepared.setups[i].competency;
        const uint32_t first = layout.competency_seq[c], last = layout.competency_seq[c + 1];
        if (!fixed.prior) {
          theta[i] = MaximiseLogistic(theta[i], prior_lo, prior_hi, 0.0, [&](const auto& term) {
            for (uint32_t s = first; s < last; ++s)
              term(seq_init[s], 1.0, prior_offset[layout.seq_learner[s]]);
          });
        }
        if (!fixed.learn) {
          phi[i] = MaximiseLogistic(phi[i], learn_lo, learn_hi, 0.0, [&](const auto& term) {
            for (uint32_t s = first; s < last; ++s)
              term(seq_num[s], seq_den[s], learn_offset[layout.seq_learner[s]]);
          });
        }
      });
      const double inf = std::numeric_limits<double>::infinity();
      ParallelFor(options.threads, num_learners, [&](size_t l) {
        const uint32_t begin = learner_begin[l], end = learner_begin[l + 1];
        if (begin == end) return;
        if (fit_prior_offsets) {
          prior_offset[l] =
              MaximiseLogistic(prior_offset[l], -inf, inf, options.ibkt_l2, [&](const auto& term) {
                for (uint32_t j = begin; j < end; ++j)
                  term(seq_init[learner_seqs[j]], 1.0, theta[seq_setup[learner_seqs[j]]]);
              });
        }
        if (fit_learn_offsets) {
          learn_offset[l] =
              MaximiseLogistic(learn_offset[l], -inf, inf, options.ibkt_l2, [&](const auto& term) {
                for (uint32_t j = begin; j < end; ++j) {
                  const uint32_t s = learner_seqs[j];
                  term(seq_num[s], seq_den[s], phi[seq_setup[s]]);
                }
              });
        }
      });
    }

    if (!have_best || objective > best.penalized_log_likelihood) {
      have_best = true;
      best.penalized_log_likelihood = objective;
      best.trace = trace;
      best_params = params;
      for (size_t i = 0; i < num_setups; ++i) {
        best_params[i].prior = fixed.prior ? *fixed.prior : Sigmoid(theta[i]);
        if (!fixed.learn) best_params[i].learn.assign(1, Sigmoid(phi[i]));
      }
      best_stats = stats;
      best_offsets.assign(num_learners, LearnerFactors());
      for (size_t l = 0; l < num_learners; ++l) {
        best_offsets[l].prior_offset = prior_offset[l];
        best_offsets[l].learn_offset = learn_offset[l];
      }
      best.competencies.assign(num_setups, CompetencyFit());
      for (CompetencyFit& summary : best.competencies) {
        summary.iterations = iteration;
        summary.best_restart = restart;
        summary.converged = converged;
      }
    }
  }

  FitResult result;
  AssembleModel(log, options, prepared, best_params, best_stats, &best_offsets, &result);
  for (size_t i = 0; i < num_setups; ++i) {
    result.competencies[i].iterations = best.competencies[i].iterations;
    result.competencies[i].best_restart = best.competencies[i].best_restart;
    result.competencies[i].converged = best.competencies[i].converged;
  }
  result.penalized_log_likelihood = best.penalized_log_likelihood;
  result.trace = std::move(best.trace);
  result.iterations = iterations;
  result.obs_iterations = obs_iterations;
  return result;
}

}  // namespace pathwise::fit_internal
