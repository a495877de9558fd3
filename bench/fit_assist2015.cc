// End-to-end fitting benchmark (issue 3): EM speed and quality on the DKVMN split of ASSISTments
// 2015 and 2009, and linear scaling on synthetic logs. Prints one line per measurement;
// bench/README.md quotes them.
//
//     fit_assist2015 [--data-dir DIR]        assist2015 / assist2009_updated numbers
//     fit_assist2015 --synthetic ROWS        one synthetic size, in its own process so peak RSS is
//     its own
//     fit_assist2015 --held-out              held-out effect of MAP-EM priors and first-response
//                                            multiprior (5-fold CV by learner)
//
// The whole-command targets (parse + fit wall time, peak RSS) are measured on the CLI with
// /usr/bin/time -v; see bench/README.md.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <time.h>

#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/io/response_readers.h>

#include "fit_internal.h"

namespace {

using pathwise::BktParams;
using pathwise::FitOptions;
using pathwise::FitResult;
using pathwise::ResponseLog;

double WallNow() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double ThreadCpuNow() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}
double PeakRssBytes() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024.0;
}

[[noreturn]] void Die(const pathwise::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::exit(1);
}

FitOptions BenchmarkStart() {
  FitOptions options;  // default bounds, tolerance and iteration cap: the stopping rule in fit.h
  options.start = BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
  return options;
}

ResponseLog ReadDkvmn(const std::string& dir, const std::string& name) {
  const std::string base = dir + "/assistments_dkvmn/" + name + "/" + name;
  pathwise::Result<ResponseLog> log = pathwise::ReadResponseLogs(
      {base + "_train.csv", base + "_test.csv"}, pathwise::LogFormat::kDkvmn);
  if (!log.ok()) Die(log.status());
  return std::move(log).value();
}

// E-step throughput alone: repeated passes over every competency at the start parameters, on this
// thread.
double PureEStepRate(const ResponseLog& log, const FitOptions& options) {
  namespace fi = pathwise::fit_internal;
  fi::Prepared prepared;
  pathwise::Status status = fi::Prepare(log, options, nullptr, &prepared);
  if (!status.ok()) Die(status);
  std::vector<fi::EmParams> params;
  for (const fi::CompetencySetup& setup : prepared.setups) {
    params.push_back(fi::StartParams(options, setup, log.competencies.Name(setup.competency), 0));
  }
  fi::EStepScratch scratch;
  fi::EmStats stats;
  constexpr int kPasses = 10;
  double best = 1e300, sink = 0.0;
  for (int repeat = 0; repeat < 7; ++repeat) {
    const double start = ThreadCpuNow();
    for (int pass = 0; pass < kPasses; ++pass) {
      for (size_t i = 0; i < prepared.setups.size(); ++i) {
        fi::EStep(prepared.layout, prepared.setups[i].competency, params[i], nullptr, {}, &scratch,
                  &stats);
        sink += stats.log_likelihood;
      }
    }
    best = std::min(best, ThreadCpuNow() - start);
  }
  if (sink == 0.0) std::printf("(unexpected zero likelihood)\n");
  return kPasses * static_cast<double>(prepared.layout.num_rows()) / best;
}

void FitReport(const char* label, const ResponseLog& log, FitOptions options) {
  const double wall = WallNow(), cpu = ThreadCpuNow();
  pathwise::Result<FitResult> fit = pathwise::FitBkt(log, options);
  const double wall_s = WallNow() - wall, cpu_s = ThreadCpuNow() - cpu;
  if (!fit.ok()) Die(fit.status());
  size_t converged = 0;
  for (const auto& c : fit->competencies) converged += c.converged ? 1 : 0;
  std::printf(
      "%s: threads %d restarts %d | fit wall %.3f s (calling-thread CPU %.3f s) | iterations %lld, "
      "obs-iterations %lld (%.1f M/s wall) | -loglik %.1f | converged %zu/%zu\n",
      label, options.threads, options.restarts, wall_s, cpu_s,
      static_cast<long long>(fit->iterations), static_cast<long long>(fit->obs_iterations),
      fit->obs_iterations / wall_s / 1e6, -fit->log_likelihood, converged,
      fit->competencies.size());
}

void QualityReport(const char* name, const ResponseLog& log) {
  FitOptions options = BenchmarkStart();
  options.threads = 2;
  pathwise::Result<FitResult> fit = pathwise::FitBkt(log, options);
  if (!fit.ok()) Die(fit.status());
  pathwise::Result<pathwise::Metrics> train = pathwise::EvaluateModel(fit->model, log);
  if (!train.ok()) Die(train.status());
  pathwise::CrossValidationOptions cv_options;
  cv_options.folds = 5;
  cv_options.seed = 42;
  pathwise::Result<pathwise::CrossValidationResult> cv =
      pathwise::CrossValidate(log, options, cv_options);
  if (!cv.ok()) Die(cv.status());
  std::printf(
      "%s: %zu rows | training AUC %.4f (pooled) %.4f (mean of %zu competencies), RMSE %.4f, "
      "accuracy "
      "%.4f, log-loss %.4f | 5-fold CV by learner (seed 42): AUC %.4f pooled over held-out rows, "
      "%.4f mean "
      "of folds, %.4f mean per competency; RMSE %.4f\n",
      name, log.num_rows(), train->auc, train->auc_competency_mean, train->auc_competencies,
      train->rmse, train->accuracy, train->log_loss, cv->pooled.auc, cv->mean_fold_auc,
      cv->pooled.auc_competency_mean, cv->pooled.rmse);
}

// Held-out effect of a fitting option: 5-fold CV by learner (seed 42), and how many competencies of
// the full-data fit carry warnings (and a parameter at a bound).
void HeldOutReport(const char* name, const char* variant, const ResponseLog& log,
                   const FitOptions& options) {
  pathwise::CrossValidationOptions cv_options;
  cv_options.folds = 5;
  cv_options.seed = 42;
  pathwise::Result<pathwise::CrossValidationResult> cv =
      pathwise::CrossValidate(log, options, cv_options);
  if (!cv.ok()) Die(cv.status());
  pathwise::Result<FitResult> fit = pathwise::FitBkt(log, options);
  if (!fit.ok()) Die(fit.status());
  size_t flagged = 0, at_bound = 0;
  for (const auto& c : fit->competencies) {
    flagged += c.warnings.empty() ? 0 : 1;
    at_bound += std::any_of(c.warnings.begin(), c.warnings.end(), [](const auto& w) {
      return w.code == pathwise::FitWarningCode::kParameterAtBound;
    });
  }
  const pathwise::Metrics& m = cv->pooled;
  std::printf(
      "%s %s: held-out (5-fold by learner, seed 42) log-likelihood %.1f (log-loss %.5f), AUC %.4f "
      "pooled / %.4f per-competency mean, RMSE %.5f | full fit: %zu of %zu competencies warned, "
      "%zu with a parameter at a bound\n",
      name, variant, -m.log_loss * static_cast<double>(m.count), m.log_loss, m.auc,
      m.auc_competency_mean, m.rmse, flagged, fit->competencies.size(), at_bound);
}

int RunHeldOut(const std::string& data_dir) {
  for (const char* name : {"assist2015", "assist2009_updated"}) {
    const ResponseLog log = ReadDkvmn(data_dir, name);
    FitOptions ml = BenchmarkStart();
    ml.threads = 2;
    HeldOutReport(name, "ML", log, ml);
    FitOptions weak = ml;
    weak.priors.enabled = true;  // the documented weak defaults
    HeldOutReport(name, "MAP weak Beta (defaults)", log, weak);
    FitOptions strong = weak;  // 10x the pseudo-counts, same modes
    strong.priors.prior = {11.0, 11.0};
    strong.priors.learn = {11.0, 51.0};
    strong.priors.guess = {11.0, 51.0};
    strong.priors.slip = {11.0, 51.0};
    HeldOutReport(name, "MAP 10x Beta", log, strong);
    FitOptions multiprior = ml;
    multiprior.multiprior = pathwise::PriorGroupSource::kFirstResponse;
    HeldOutReport(name, "ML multiprior (first response)", log, multiprior);
  }
  return 0;
}

// Standard BKT data: ROWS / 50 learners, each answering 10 rows on each of 5 of 100 skills
// (interleaved).
ResponseLog Synthetic(size_t rows, uint64_t seed) {
  constexpr size_t kSkills = 100, kSkillsPerLearner = 5, kRowsPerSkill = 10;
  constexpr size_t kRowsPerLearner = kSkillsPerLearner * kRowsPerSkill;
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return static_cast<double>(rng() >> 11) * 0x1.0p-53; };
  std::vector<BktParams> truth(kSkills);
  ResponseLog log;
  for (size_t s = 0; s < kSkills; ++s) {
    truth[s] = {0.1 + 0.5 * uniform(), 0.05 + 0.25 * uniform(), 0.0, 0.1 + 0.2 * uniform(),
                0.05 + 0.15 * uniform()};
    log.competencies.Intern("skill" + std::to_string(s));
  }
  const size_t learners = rows / kRowsPerLearner;
  const size_t n = learners * kRowsPerLearner;
  log.learner.reserve(n);
  log.competency.reserve(n);
  log.activity.reserve(n);
  log.correct.reserve(n);
  for (size_t l = 0; l < learners; ++l) {
    const uint32_t learner = log.learners.Intern("u" + std::to_string(l));
    uint32_t skills[kSkillsPerLearner];
    bool learned[kSkillsPerLearner];
    int left[kSkillsPerLearner];
    for (size_t k = 0; k < kSkillsPerLearner; ++k) {
      skills[k] = static_cast<uint32_t>(rng() % kSkills);
      learned[k] = uniform() < truth[skills[k]].prior;
      left[k] = kRowsPerSkill;
    }
    for (size_t t = 0; t < kRowsPerLearner; ++t) {
      size_t k = rng() % kSkillsPerLearner;
      while (left[k] == 0) k = (k + 1) % kSkillsPerLearner;
      --left[k];
      const BktParams& p = truth[skills[k]];
      const bool correct = learned[k] ? uniform() >= p.slip : uniform() < p.guess;
      learned[k] = learned[k] || uniform() < p.learn;
      log.learner.push_back(learner);
      log.competency.push_back(skills[k]);
      log.activity.push_back(pathwise::IdTable::kNone);
      log.correct.push_back(correct ? 1 : 0);
    }
  }
  return log;
}

int RunSynthetic(size_t rows) {
  const double wall = WallNow();
  const ResponseLog log = Synthetic(rows, 7);
  const double generate_s = WallNow() - wall;
  FitOptions options;
  options.start = BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
  options.tolerance = 0.0;  // a fixed amount of work per row, so times compare across sizes
  options.max_iterations = 20;
  const double fit_wall = WallNow(), fit_cpu = ThreadCpuNow();
  pathwise::Result<FitResult> fit = pathwise::FitBkt(log, options);
  const double wall_s = WallNow() - fit_wall, cpu_s = ThreadCpuNow() - fit_cpu;
  if (!fit.ok()) Die(fit.status());
  const double rss = PeakRssBytes();
  std::printf(
      "synthetic %zu rows (%zu learners, 100 skills): generate %.2f s | fit 20 iterations, 1 "
      "thread: wall "
      "%.3f s, CPU %.3f s, %.1f ns/row/iteration (CPU) | peak RSS %.1f MiB = %.1f bytes/row (log "
      "itself %.0f "
      "bytes/row)\n",
      log.num_rows(), log.learners.size(), generate_s, wall_s, cpu_s,
      1e9 * cpu_s / static_cast<double>(fit->obs_iterations), rss / 1048576.0,
      rss / static_cast<double>(log.num_rows()), 13.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = PATHWISE_SHARED_DATA_DIR;
  bool held_out = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--synthetic") == 0 && i + 1 < argc) {
      return RunSynthetic(static_cast<size_t>(std::strtoull(argv[i + 1], nullptr, 10)));
    }
    if (std::strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc) {
      data_dir = argv[++i];
    } else if (std::strcmp(argv[i], "--held-out") == 0) {
      held_out = true;
    } else {
      std::fprintf(stderr, "usage: %s [--data-dir DIR] [--held-out] | --synthetic ROWS\n", argv[0]);
      return 2;
    }
  }
  if (held_out) return RunHeldOut(data_dir);
  const double read_start = WallNow();
  const ResponseLog assist2015 = ReadDkvmn(data_dir, "assist2015");
  std::printf("assist2015: read %zu rows, %zu learners, %zu skills in %.3f s\n",
              assist2015.num_rows(), assist2015.learners.size(), assist2015.competencies.size(),
              WallNow() - read_start);
  FitOptions single = BenchmarkStart();
  FitReport("assist2015 standard BKT", assist2015, single);
  std::printf(
      "assist2015 E-step alone: %.1f M observation-iterations/s on one core (thread CPU time)\n",
      PureEStepRate(assist2015, single) / 1e6);
  FitOptions restarts = BenchmarkStart();
  restarts.restarts = 5;
  restarts.threads = 2;
  FitReport("assist2015 standard BKT", assist2015, restarts);
  QualityReport("assist2015", assist2015);
  QualityReport("assist2009_updated", ReadDkvmn(data_dir, "assist2009_updated"));
  return 0;
}
