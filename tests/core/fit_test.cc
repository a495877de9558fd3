#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/bkt.h>
#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/model.h>
#include <pathwise/response_log.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

constexpr uint64_t kSeed = 20261122;

double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// ---------------------------------------------------------------------------------------------------
// Simulation from known parameters.

struct SimCompetency {
  BktParams base;
  /// Per activity overrides (guess/slip/learn); an activity is drawn uniformly for each row. Empty
  /// means rows carry no activity.
  std::vector<ActivityParams> activities;
  /// Per learner group prior (learners are in group l % size); empty means base.prior.
  std::vector<double> group_prior;
};

struct SimOptions {
  size_t learners = 200;
  size_t rows_per_sequence = 20;
  /// Interleave rows of different learners (each learner's rows keep their order), so the log is
  /// not grouped by learner.
  bool interleave_learners = false;
  /// Learners per group for multiprior (0 = no group column).
  size_t groups = 0;
  uint64_t seed = kSeed;
};

ResponseLog Simulate(const std::vector<SimCompetency>& truth, const SimOptions& sim) {
  std::mt19937_64 rng(sim.seed);
  struct Row {
    std::string learner, competency, activity;
    bool correct;
  };
  std::vector<std::vector<Row>> per_learner(sim.learners);
  for (size_t l = 0; l < sim.learners; ++l) {
    const std::string learner = "learner" + std::to_string(l);
    // Each competency's rows of this learner, then a random interleaving of the competencies.
    std::vector<std::vector<Row>> sequences(truth.size());
    for (size_t c = 0; c < truth.size(); ++c) {
      const SimCompetency& comp = truth[c];
      double prior = comp.base.prior;
      if (!comp.group_prior.empty()) prior = comp.group_prior[l % comp.group_prior.size()];
      bool learned = Uniform(rng) < prior;
      for (size_t t = 0; t < sim.rows_per_sequence; ++t) {
        BktParams p = comp.base;
        std::string activity;
        if (!comp.activities.empty()) {
          const size_t a = rng() % comp.activities.size();
          activity = "c" + std::to_string(c) + "a" + std::to_string(a);
          const ActivityParams& o = comp.activities[a];
          if (o.guess) p.guess = *o.guess;
          if (o.slip) p.slip = *o.slip;
          if (o.learn) p.learn = *o.learn;
        }
        const bool correct = learned ? Uniform(rng) >= p.slip : Uniform(rng) < p.guess;
        sequences[c].push_back({learner, "skill" + std::to_string(c), activity, correct});
        learned = learned ? Uniform(rng) >= p.forget : Uniform(rng) < p.learn;
      }
    }
    std::vector<size_t> next(truth.size(), 0);
    size_t remaining = truth.size() * sim.rows_per_sequence;
    while (remaining > 0) {
      size_t c = rng() % truth.size();
      while (next[c] == sequences[c].size()) c = (c + 1) % truth.size();
      per_learner[l].push_back(sequences[c][next[c]++]);
      --remaining;
    }
  }
  ResponseLog log;
  auto add = [&](const Row& row) {
    log.AddRow(row.learner, row.competency, row.activity, row.correct);
  };
  if (sim.interleave_learners) {
    std::vector<size_t> next(sim.learners, 0);
    for (bool any = true; any;) {
      any = false;
      for (size_t l = 0; l < sim.learners; ++l) {
        // A random number (0..2) of this learner's next rows per round.
        const size_t take = rng() % 3;
        for (size_t i = 0; i < take && next[l] < per_learner[l].size(); ++i)
          add(per_learner[l][next[l]++]);
        any = any || next[l] < per_learner[l].size();
      }
    }
  } else {
    for (const auto& rows : per_learner) {
      for (const Row& row : rows) add(row);
    }
  }
  if (sim.groups > 0) {
    // Learner "learnerN" is in group N % groups.
    for (size_t l = 0; l < log.learners.size(); ++l) {
      const size_t number = std::stoul(log.learners.Name(static_cast<uint32_t>(l)).substr(7));
      log.learner_group.push_back(log.groups.Intern("group" + std::to_string(number % sim.groups)));
    }
  }
  return log;
}

std::vector<SimCompetency> TwoSkills() {
  return {
      {{0.3, 0.15, 0.0, 0.2, 0.1}, {}, {}},
      {{0.6, 0.05, 0.0, 0.25, 0.08}, {}, {}},
  };
}

// ---------------------------------------------------------------------------------------------------
// The deliberately naive reference: log-space forward-backward with plain loops and maps, one
// sequence at a time, no scaling tricks, no layout. Shares nothing with the fast path but the
// M-step formulas (expected count ratios, clamped).

struct NaiveOptions {
  bool forgets = false;
  bool multigs = false;
  bool multilearn = false;
  PriorGroupSource multiprior = PriorGroupSource::kNone;
  BktParams start;
  FixedParams fixed;
  /// FitOptions::fixed_classes: competency -> class -> values.
  std::map<std::string, std::map<std::string, ActivityParams>> fixed_classes;
  ParamBounds bounds;
  int m_steps = 10;
};

struct NaiveCompetency {
  double forget = 0.0;
  double prior = 0.0;
  std::map<std::string, double> group_prior;  // by group name
  std::map<std::string, double> learn, guess,
      slip;  // by class: activity id, or "" for the competency
};

struct NaiveResult {
  double log_likelihood = 0.0;
  std::map<std::string, NaiveCompetency> competencies;
};

double LogSumExp(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

double SafeLog(double x) {
  return x > 0.0 ? std::log(x) : -std::numeric_limits<double>::infinity();
}

double ClampTo(double x, const ParamRange& r) { return std::min(std::max(x, r.lower), r.upper); }

NaiveResult NaiveFit(const ResponseLog& log, const NaiveOptions& options) {
  // Sequences: (competency, learner) -> rows in log order.
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> sequences;
  for (size_t r = 0; r < log.num_rows(); ++r) {
    sequences[{log.competencies.Name(log.competency[r]), log.learners.Name(log.learner[r])}]
        .push_back(r);
  }
  auto activity_of = [&](size_t r) {
    return log.activity[r] == IdTable::kNone ? std::string() : log.activities.Name(log.activity[r]);
  };
  // multilearn's class: the learn-class column when the log has one (fit.h), else the activity.
  auto learn_class_of = [&](size_t r) {
    if (!log.has_learn_classes()) return activity_of(r);
    return log.learn_class[r] == IdTable::kNone ? std::string()
                                                : log.learn_classes.Name(log.learn_class[r]);
  };
  // The value a class is fixed to, if any (classes named "" are the competency's own).
  auto class_fixed = [&](const std::string& competency, const std::string& cls,
                         std::optional<double> ActivityParams::*field) -> std::optional<double> {
    auto it = options.fixed_classes.find(competency);
    if (cls.empty() || it == options.fixed_classes.end()) return std::nullopt;
    auto found = it->second.find(cls);
    return found == it->second.end() ? std::nullopt : found->second.*field;
  };
  // The chains scored: a sequence, or with first-response groups (fit.h) the first answer alone
  // (with the competency prior) and then the rest (with the prior of the group it selected).
  struct Chain {
    std::string competency;
    std::vector<size_t> rows;
    std::optional<std::string> group;  // absent: the competency prior
  };
  std::vector<Chain> chains;
  for (const auto& [key, rows] : sequences) {
    if (options.multiprior == PriorGroupSource::kFirstResponse) {
      chains.push_back({key.first, {rows[0]}, std::nullopt});
      if (rows.size() > 1) {
        chains.push_back({key.first, std::vector<size_t>(rows.begin() + 1, rows.end()),
                          log.correct[rows[0]] ? "first_correct" : "first_incorrect"});
      }
    } else if (options.multiprior == PriorGroupSource::kLearnerGroup) {
      const uint32_t g = log.learner_group[log.learner[rows[0]]];
      chains.push_back({key.first, rows, g == IdTable::kNone ? std::string() : log.groups.Name(g)});
    } else {
      chains.push_back({key.first, rows, std::nullopt});
    }
  }
  NaiveResult result;
  for (const Chain& chain : chains) {
    const std::vector<size_t>& rows = chain.rows;
    NaiveCompetency& c = result.competencies[chain.competency];
    // The start is clamped into the bounds, as FitOptions documents.
    const ParamBounds& b = options.bounds;
    const BktParams& s = options.start;
    const FixedParams& f = options.fixed;
    c.prior = f.prior.value_or(ClampTo(s.prior, b.prior));
    c.forget =
        options.forgets ? f.forget.value_or(ClampTo(s.forget, b.forget)) : f.forget.value_or(0.0);
    for (size_t r : rows) {
      const std::string lc = options.multilearn ? learn_class_of(r) : "";
      const std::string gc = options.multigs ? activity_of(r) : "";
      const std::string& name = chain.competency;
      c.learn[lc] = class_fixed(name, lc, &ActivityParams::learn)
                        .value_or(f.learn.value_or(ClampTo(s.learn, b.learn)));
      c.guess[gc] = class_fixed(name, gc, &ActivityParams::guess)
                        .value_or(f.guess.value_or(ClampTo(s.guess, b.guess)));
      c.slip[gc] = class_fixed(name, gc, &ActivityParams::slip)
                       .value_or(f.slip.value_or(ClampTo(s.slip, b.slip)));
    }
    if (chain.group) c.group_prior[*chain.group] = c.prior;
  }

  for (int step = 0; step <= options.m_steps; ++step) {
    struct Counts {
      double init = 0, seqs = 0, forget_num = 0, forget_den = 0;
      std::map<std::string, double> group_init, group_seqs, learn_num, learn_den, lt, lw, ut, ur;
    };
    std::map<std::string, Counts> counts;
    double total_ll = 0.0;
    for (const Chain& chain : chains) {
      const std::vector<size_t>& rows = chain.rows;
      const NaiveCompetency& c = result.competencies.at(chain.competency);
      Counts& k = counts[chain.competency];
      const size_t n = rows.size();
      const std::string group = chain.group.value_or("");
      const double prior = chain.group ? c.group_prior.at(group) : c.prior;
      auto gs_class = [&](size_t t) {
        return options.multigs ? activity_of(rows[t]) : std::string();
      };
      auto learn_class = [&](size_t t) {
        return options.multilearn ? learn_class_of(rows[t]) : std::string();
      };
      // log P(o_t | state), state 0 = learned, 1 = unlearned.
      auto log_emission = [&](size_t t, int state) {
        const bool correct = log.correct[rows[t]] != 0;
        const double guess = c.guess.at(gs_class(t)), slip = c.slip.at(gs_class(t));
        if (state == 0) return SafeLog(correct ? 1.0 - slip : slip);
        return SafeLog(correct ? guess : 1.0 - guess);
      };
      // log P(state_t+1 = j | state_t = i), using the learn of row t's class.
      auto log_transition = [&](size_t t, int i, int j) {
        const double learn = c.learn.at(learn_class(t));
        if (i == 0) return SafeLog(j == 0 ? 1.0 - c.forget : c.forget);
        return SafeLog(j == 0 ? learn : 1.0 - learn);
      };
      std::vector<std::vector<double>> log_alpha(n, std::vector<double>(2)),
          log_beta(n, std::vector<double>(2));
      log_alpha[0][0] = SafeLog(prior) + log_emission(0, 0);
      log_alpha[0][1] = SafeLog(1.0 - prior) + log_emission(0, 1);
      for (size_t t = 1; t < n; ++t) {
        for (int j = 0; j < 2; ++j) {
          double acc = -std::numeric_limits<double>::infinity();
          for (int i = 0; i < 2; ++i)
            acc = LogSumExp(acc, log_alpha[t - 1][i] + log_transition(t - 1, i, j));
          log_alpha[t][j] = acc + log_emission(t, j);
        }
      }
      log_beta[n - 1][0] = log_beta[n - 1][1] = 0.0;
      for (size_t t = n - 1; t-- > 0;) {
        for (int i = 0; i < 2; ++i) {
          double acc = -std::numeric_limits<double>::infinity();
          for (int j = 0; j < 2; ++j) {
            acc = LogSumExp(acc,
                            log_transition(t, i, j) + log_emission(t + 1, j) + log_beta[t + 1][j]);
          }
          log_beta[t][i] = acc;
        }
      }
      const double log_p = LogSumExp(log_alpha[n - 1][0], log_alpha[n - 1][1]);
      total_ll += log_p;
      auto gamma = [&](size_t t, int i) {
        return std::exp(log_alpha[t][i] + log_beta[t][i] - log_p);
      };
      auto xi = [&](size_t t, int i, int j) {
        return std::exp(log_alpha[t][i] + log_transition(t, i, j) + log_emission(t + 1, j) +
                        log_beta[t + 1][j] - log_p);
      };
      if (!chain.group || options.multiprior == PriorGroupSource::kLearnerGroup) {
        k.init += gamma(0, 0);
        k.seqs += 1.0;
      }
      if (chain.group) {
        k.group_init[group] += gamma(0, 0);
        k.group_seqs[group] += 1.0;
      }
      for (size_t t = 0; t < n; ++t) {
        const bool correct = log.correct[rows[t]] != 0;
        if (t + 1 < n) {
          k.learn_num[learn_class(t)] += xi(t, 1, 0);
          k.learn_den[learn_class(t)] += gamma(t, 1);
          k.forget_num += xi(t, 0, 1);
          k.forget_den += gamma(t, 0);
        }
        k.lt[gs_class(t)] += gamma(t, 0);
        k.lw[gs_class(t)] += correct ? 0.0 : gamma(t, 0);
        k.ut[gs_class(t)] += gamma(t, 1);
        k.ur[gs_class(t)] += correct ? gamma(t, 1) : 0.0;
      }
    }
    result.log_likelihood = total_ll;
    if (step == options.m_steps) break;
    const ParamBounds& b = options.bounds;
    const FixedParams& f = options.fixed;
    for (auto& [name, c] : result.competencies) {
      Counts& k = counts[name];
      if (!f.prior) {
        c.prior = ClampTo(k.init / k.seqs, b.prior);
        for (auto& [group, prior] : c.group_prior)
          prior = ClampTo(k.group_init[group] / k.group_seqs[group], b.prior);
      }
      if (options.forgets && !f.forget && k.forget_den > 0)
        c.forget = ClampTo(k.forget_num / k.forget_den, b.forget);
      for (auto& [cls, learn] : c.learn) {
        if (!f.learn && !class_fixed(name, cls, &ActivityParams::learn) && k.learn_den[cls] > 0)
          learn = ClampTo(k.learn_num[cls] / k.learn_den[cls], b.learn);
      }
      for (auto& [cls, guess] : c.guess) {
        if (!f.guess && !class_fixed(name, cls, &ActivityParams::guess) && k.ut[cls] > 0)
          guess = ClampTo(k.ur[cls] / k.ut[cls], b.guess);
      }
      for (auto& [cls, slip] : c.slip) {
        if (!f.slip && !class_fixed(name, cls, &ActivityParams::slip) && k.lt[cls] > 0)
          slip = ClampTo(k.lw[cls] / k.lt[cls], b.slip);
      }
    }
  }
  return result;
}

// Fits with the fast path for exactly `m_steps` M-steps from `start`.
Result<FitResult> FastFit(const ResponseLog& log, const NaiveOptions& naive, int threads = 1) {
  FitOptions options;
  options.start = naive.start;
  options.forgets = naive.forgets;
  options.multigs = naive.multigs;
  options.multilearn = naive.multilearn;
  options.multiprior = naive.multiprior;
  options.fixed = naive.fixed;
  options.fixed_classes = naive.fixed_classes;
  options.bounds = naive.bounds;
  options.tolerance = 0.0;
  options.max_iterations = naive.m_steps + 1;
  options.threads = threads;
  return FitBkt(log, options);
}

void ExpectAgree(const ResponseLog& log, const NaiveOptions& naive) {
  const NaiveResult reference = NaiveFit(log, naive);
  Result<FitResult> fast = FastFit(log, naive);
  ASSERT_OK(fast);
  constexpr double kTol = 1e-9;
  EXPECT_NEAR(fast->log_likelihood, reference.log_likelihood, kTol);
  for (const auto& [name, c] : reference.competencies) {
    SCOPED_TRACE(name);
    const BktParams& p = fast->model.competencies.at(name);
    EXPECT_NEAR(p.forget, c.forget, kTol);
    if (naive.multiprior != PriorGroupSource::kLearnerGroup) {
      // With first-response groups the competency prior is the one fitted on first answers.
      EXPECT_NEAR(p.prior, c.prior, kTol);
    }
    if (naive.multiprior != PriorGroupSource::kNone) {
      for (const auto& [group, prior] : c.group_prior) {
        EXPECT_NEAR(fast->model.group_priors.at(name).at(group), prior, kTol) << group;
      }
    }
    for (const auto& [cls, learn] : c.learn) {
      const double got = cls.empty() ? p.learn
                         : log.has_learn_classes()
                             ? fast->model.competency_learn_classes.at(name).at(cls)
                             : *fast->model.competency_activities.at(name).at(cls).learn;
      EXPECT_NEAR(got, learn, kTol) << cls;
    }
    for (const auto& [cls, guess] : c.guess) {
      const auto& per_activity = fast->model.competency_activities;
      const double got_guess = cls.empty() ? p.guess : *per_activity.at(name).at(cls).guess;
      const double got_slip = cls.empty() ? p.slip : *per_activity.at(name).at(cls).slip;
      EXPECT_NEAR(got_guess, guess, kTol) << cls;
      EXPECT_NEAR(got_slip, c.slip.at(cls), kTol) << cls;
    }
  }
}

std::vector<SimCompetency> SkillsWithActivities() {
  std::vector<SimCompetency> truth = TwoSkills();
  truth[0].activities = {{0.1, 0.05, 0.3}, {0.3, 0.15, 0.05}, {0.2, 0.1, 0.1}};
  truth[1].activities = {{0.25, 0.2, 0.2}, {0.05, 0.05, 0.02}};
  return truth;
}

// ---------------------------------------------------------------------------------------------------

TEST(FitTest, NaiveReferenceAgreesOnStandardBkt) {
  SimOptions sim;
  sim.interleave_learners = true;
  const ResponseLog log = Simulate(TwoSkills(), sim);
  NaiveOptions naive;
  naive.start = {0.5, 0.4, 0.0, 0.2, 0.2};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithForgets) {
  std::vector<SimCompetency> truth = TwoSkills();
  truth[0].base.forget = 0.1;
  const ResponseLog log = Simulate(truth, SimOptions());
  NaiveOptions naive;
  naive.forgets = true;
  naive.start = {0.4, 0.3, 0.1, 0.2, 0.15};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithPerActivityGuessSlipAndLearn) {
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  NaiveOptions naive;
  naive.multigs = true;
  naive.multilearn = true;
  naive.forgets = true;
  naive.start = {0.4, 0.3, 0.05, 0.2, 0.15};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithFirstResponsePriors) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  NaiveOptions naive;
  naive.multiprior = PriorGroupSource::kFirstResponse;
  naive.start = {0.5, 0.4, 0.0, 0.2, 0.2};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithGroupColumnPriors) {
  std::vector<SimCompetency> truth = TwoSkills();
  truth[0].group_prior = {0.1, 0.8, 0.5};
  SimOptions sim;
  sim.groups = 3;
  sim.interleave_learners = true;
  const ResponseLog log = Simulate(truth, sim);
  NaiveOptions naive;
  naive.multiprior = PriorGroupSource::kLearnerGroup;
  naive.start = {0.5, 0.4, 0.0, 0.2, 0.2};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithFixedParametersAndTightBounds) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  NaiveOptions naive;
  naive.start = {0.5, 0.4, 0.0, 0.2, 0.2};
  naive.fixed.guess = 0.22;
  naive.fixed.prior = 0.45;
  naive.bounds.slip = {0.12, 0.2};  // the true slips (0.1, 0.08) lie below: the clamp is active
  naive.bounds.learn = {0.0, 0.1};
  ExpectAgree(log, naive);
}

// A learn-class column beside the activities: learner N's rows get class "pace(N % 3)", except
// learners with N % 4 == 3, whose rows have none (the competency's own class).
ResponseLog WithLearnClasses(const ResponseLog& log) {
  ResponseLog out;
  for (size_t r = 0; r < log.num_rows(); ++r) {
    const std::string& learner = log.learners.Name(log.learner[r]);
    const size_t number = std::stoul(learner.substr(7));
    const std::string activity =
        log.activity[r] == IdTable::kNone ? "" : log.activities.Name(log.activity[r]);
    out.AddRow(learner, log.competencies.Name(log.competency[r]), activity,
               number % 4 == 3 ? "" : "pace" + std::to_string(number % 3), log.correct[r] != 0);
  }
  return out;
}

TEST(FitTest, NaiveReferenceAgreesWithLearnClassesOnAColumnOfTheirOwn) {
  const ResponseLog log = WithLearnClasses(Simulate(SkillsWithActivities(), SimOptions()));
  NaiveOptions naive;
  naive.multigs = true;
  naive.multilearn = true;
  naive.forgets = true;
  naive.start = {0.4, 0.3, 0.05, 0.2, 0.15};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithPerClassFixedValues) {
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  NaiveOptions naive;
  naive.multigs = true;
  naive.multilearn = true;
  naive.start = {0.4, 0.3, 0.0, 0.2, 0.15};
  naive.fixed_classes["skill0"]["c0a0"].slip = 0.05;
  naive.fixed_classes["skill0"]["c0a1"].guess = 0.25;
  naive.fixed_classes["skill0"]["c0a1"].learn = 0.2;
  naive.fixed_classes["skill1"]["c1a1"].slip = 0.6;  // outside the slip bounds: allowed per class
  naive.bounds.guess = {0.0, 0.3};
  ExpectAgree(log, naive);
}

TEST(FitTest, NaiveReferenceAgreesWithFixedLearnClasses) {
  const ResponseLog log = WithLearnClasses(Simulate(SkillsWithActivities(), SimOptions()));
  NaiveOptions naive;
  naive.multilearn = true;
  naive.start = {0.4, 0.3, 0.0, 0.2, 0.15};
  naive.fixed_classes["skill1"]["pace2"].learn = 0.01;
  ExpectAgree(log, naive);
}

TEST(FitTest, PerClassFixedValuesComeBackExactlyAlsoWithPriors) {
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  FitOptions options;
  options.multigs = true;
  options.multilearn = true;
  options.restarts = 2;
  options.priors.enabled = true;  // pseudo-counts must not move a fixed class either
  options.bounds.guess = {0.0, 0.35};
  const double slips[] = {0.0, 0.35, 0.6};
  for (int a = 0; a < 3; ++a)
    options.fixed_classes["skill0"]["c0a" + std::to_string(a)].slip = slips[a];
  options.fixed_classes["skill1"]["c1a0"].learn = 0.123;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  const auto& skill0 = fit->model.competency_activities.at("skill0");
  for (int a = 0; a < 3; ++a) {
    const ActivityParams& got = skill0.at("c0a" + std::to_string(a));
    EXPECT_EQ(*got.slip, slips[a]) << a;
    EXPECT_NE(*got.guess, 0.2) << a;  // fitted
  }
  const auto& skill1 = fit->model.competency_activities.at("skill1");
  EXPECT_EQ(*skill1.at("c1a0").learn, 0.123);
  EXPECT_NE(*skill1.at("c1a1").learn, 0.123);
  EXPECT_NE(*skill1.at("c1a0").slip, *skill1.at("c1a1").slip);  // free classes are fitted apart
}

// Learners of two paces (learn 0.4 or 0.03, by learner), guess and slip by problem (two problems
// per skill), as in pyBKT's README fit of multilearn by student and multigs by problem.
ResponseLog PacesAndProblems(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const double guess[2] = {0.05, 0.35}, slip[2] = {0.05, 0.2};
  ResponseLog log;
  for (int l = 0; l < 300; ++l) {
    const std::string learner = "learner" + std::to_string(l);
    const bool fast = l % 2 == 0;
    bool learned = Uniform(rng) < 0.2;
    for (int t = 0; t < 15; ++t) {
      const int problem = static_cast<int>(rng() % 2);
      const bool correct = learned ? Uniform(rng) >= slip[problem] : Uniform(rng) < guess[problem];
      log.AddRow(learner, "skill", "p" + std::to_string(problem), fast ? "fast" : "slow", correct);
      if (!learned) learned = Uniform(rng) < (fast ? 0.4 : 0.03);
    }
  }
  return log;
}

TEST(FitTest, LearnClassesAndGuessSlipClassesOnDifferentColumnsRecoverBoth) {
  const ResponseLog log = PacesAndProblems(kSeed);
  FitOptions options;
  options.multigs = true;
  options.restarts = 3;
  options.bounds.guess = {0.0, 0.5};
  Result<FitResult> by_problem = FitBkt(log, options);
  options.multilearn = true;
  Result<FitResult> both = FitBkt(log, options);
  ASSERT_OK(by_problem);
  ASSERT_OK(both);
  const auto& learns = both->model.competency_learn_classes.at("skill");
  EXPECT_NEAR(learns.at("fast"), 0.4, 0.08);
  EXPECT_NEAR(learns.at("slow"), 0.03, 0.02);
  const auto& problems = both->model.competency_activities.at("skill");
  EXPECT_NEAR(*problems.at("p0").guess, 0.05, 0.05);
  EXPECT_NEAR(*problems.at("p1").guess, 0.35, 0.07);
  EXPECT_FALSE(problems.at("p0").learn);  // learns are keyed by learn class, not by problem
  // Nested models: the learner paces explain the data clearly better.
  EXPECT_GT(both->log_likelihood, by_problem->log_likelihood + 20.0);
  // The reported likelihood is the product of the model's one-step-ahead predictions.
  Result<std::vector<double>> p = PredictOneStepAhead(both->model, log);
  ASSERT_OK(p);
  double ll = 0.0;
  for (size_t r = 0; r < log.num_rows(); ++r)
    ll += std::log(log.correct[r] ? (*p)[r] : 1 - (*p)[r]);
  EXPECT_NEAR(ll, both->log_likelihood, 1e-6);
}

TEST(FitTest, RejectsInvalidPerClassFixedValues) {
  auto rejected = [](const FitOptions& options, const std::string& fragment) {
    const Status status = options.Validate();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << fragment;
    EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
  };
  FitOptions options;
  options.multigs = true;
  options.fixed_classes["s"]["p"].slip = 1.5;
  rejected(options, "fixed_classes[s][p].slip must be a probability");
  options.fixed_classes["s"]["p"].slip = 0.8;  // with guess up to 0.3: 1.1
  rejected(options, "fixed_classes[s][p].slip = 0.80000000000000004 allows guess + slip");
  options.fixed_classes["s"]["p"].guess = 0.1;  // the class's own guess: 0.9 is fine
  EXPECT_OK(options.Validate());
  options.multigs = false;
  rejected(options, "fixed_classes[s][p].guess is per guess/slip class, which needs multigs");
  FitOptions learn;
  learn.fixed_classes["s"]["p"].learn = 0.2;
  rejected(learn, "fixed_classes[s][p].learn is per learn class, which needs multilearn");

  // Names the log does not have.
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  FitOptions typo;
  typo.multigs = true;
  typo.fixed_classes["skil0"]["c0a0"].slip = 0.1;
  Result<FitResult> fit = FitBkt(log, typo);
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("fixed_classes[skil0]"), std::string::npos);
  typo.fixed_classes.clear();
  typo.fixed_classes["skill0"]["c0a9"].slip = 0.1;
  fit = FitBkt(log, typo);
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("no activity 'c0a9'"), std::string::npos);
}

TEST(FitTest, LearnClassColumnWithoutAnyClassIsRejected) {
  ResponseLog log;
  log.AddRow("ann", "s", "p", "", true);
  log.AddRow("ann", "s", "p", "", false);
  FitOptions options;
  options.multilearn = true;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_FALSE(fit.ok());
  EXPECT_NE(fit.status().message().find("learn-class column"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------
// Issue 12: first-response multiprior must not score the answer that selects a learner's group
// with that group's prior.

// GLOPs-style data: many short problem sets, each with its own parameters; learners differ in
// how fast they learn. One log per problem set. Learners 0, 2, 4, ... train; 1, 3, 5, ... test.
std::vector<ResponseLog> ProblemSets(size_t sets, size_t learners, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<ResponseLog> logs(sets);
  for (size_t c = 0; c < sets; ++c) {
    const double prior = 0.2 + 0.5 * Uniform(rng), learn = 0.05 + 0.25 * Uniform(rng);
    const double guess = 0.1 + 0.2 * Uniform(rng), slip = 0.05 + 0.15 * Uniform(rng);
    for (size_t l = 0; l < learners; ++l) {
      const double learner_learn = l % 3 == 0 ? std::min(0.9, 3.0 * learn) : learn;
      bool learned = Uniform(rng) < prior;
      const size_t length = 3 + rng() % 8;
      for (size_t t = 0; t < length; ++t) {
        const bool correct = learned ? Uniform(rng) >= slip : Uniform(rng) < guess;
        logs[c].AddRow("learner" + std::to_string(l), "set" + std::to_string(c), "", correct);
        learned = learned || Uniform(rng) < learner_learn;
      }
    }
  }
  return logs;
}

ResponseLog RowsOfLearners(const ResponseLog& log, int parity) {
  ResponseLog out;
  for (size_t r = 0; r < log.num_rows(); ++r) {
    const std::string& learner = log.learners.Name(log.learner[r]);
    if (std::stoi(learner.substr(7)) % 2 == parity) {
      out.AddRow(learner, log.competencies.Name(log.competency[r]), "", log.correct[r] != 0);
    }
  }
  return out;
}

double HeldOutLogLikelihood(const ResponseLog& log, const std::vector<double>& p) {
  double ll = 0.0;
  for (size_t r = 0; r < log.num_rows(); ++r) ll += std::log(log.correct[r] ? p[r] : 1.0 - p[r]);
  return ll;
}

// The rule before the fix, for comparison: the group prior scored each learner's first answer
// (fitted here as a group column holding the first answer), and prediction replaced P(L) after
// the first answer by its group's prior updated by that answer.
std::vector<double> LeakyFitAndPredict(const ResponseLog& train, const ResponseLog& test,
                                       BktModel* fitted) {
  ResponseLog grouped = train;
  std::vector<std::string> first(train.learners.size());
  for (size_t r = 0; r < train.num_rows(); ++r) {
    std::string& g = first[train.learner[r]];
    if (g.empty()) g = train.correct[r] ? "first_correct" : "first_incorrect";
  }
  for (const std::string& g : first) grouped.learner_group.push_back(grouped.groups.Intern(g));
  FitOptions options;
  options.multiprior = PriorGroupSource::kLearnerGroup;
  options.restarts = 3;
  Result<FitResult> fit = FitBkt(grouped, options);
  EXPECT_OK(fit);
  *fitted = fit->model;
  const BktParams& c = fit->model.competencies.begin()->second;
  const auto& groups = fit->model.group_priors.begin()->second;
  std::vector<double> p(test.num_rows());
  std::vector<bool> seen(test.learners.size(), false);
  std::vector<double> state(test.learners.size(), c.prior);
  for (size_t r = 0; r < test.num_rows(); ++r) {
    const uint32_t l = test.learner[r];
    const bool correct = test.correct[r] != 0;
    p[r] = PredictCorrect(state[l], c.guess, c.slip);
    double before = state[l];
    if (!seen[l]) {
      seen[l] = true;
      auto it = groups.find(correct ? "first_correct" : "first_incorrect");
      if (it != groups.end()) before = it->second;
    }
    state[l] = Transition(Posterior(before, c.guess, c.slip, correct ? 1.0 : 0.0), c.learn, 0.0);
  }
  return p;
}

bool Degenerate(const BktModel& model) {
  const BktParams& c = model.competencies.begin()->second;
  for (const auto& [group, prior] : model.group_priors.begin()->second) {
    if (prior < 1e-3 || prior > 1.0 - 1e-3) return c.guess < 1e-3 || c.slip < 1e-3;
  }
  return false;
}

TEST(FitTest, Issue12FirstResponsePriorsPredictHeldOutLearnersBetterThanTheLeakyRule) {
  const std::vector<ResponseLog> sets = ProblemSets(16, 300, kSeed);
  double leaky_ll = 0.0, fixed_ll = 0.0;
  int leaky_degenerate = 0, fixed_degenerate = 0;
  std::vector<uint8_t> outcomes;
  std::vector<double> leaky_p, fixed_p;
  for (const ResponseLog& set : sets) {
    const ResponseLog train = RowsOfLearners(set, 0), test = RowsOfLearners(set, 1);
    BktModel leaky_model;
    const std::vector<double> leaky = LeakyFitAndPredict(train, test, &leaky_model);
    FitOptions options;
    options.multiprior = PriorGroupSource::kFirstResponse;
    options.restarts = 3;
    Result<FitResult> fit = FitBkt(train, options);
    ASSERT_OK(fit);
    Result<std::vector<double>> predicted = PredictOneStepAhead(fit->model, test);
    ASSERT_OK(predicted);
    leaky_ll += HeldOutLogLikelihood(test, leaky);
    fixed_ll += HeldOutLogLikelihood(test, *predicted);
    leaky_degenerate += Degenerate(leaky_model);
    fixed_degenerate += Degenerate(fit->model);
    outcomes.insert(outcomes.end(), test.correct.begin(), test.correct.end());
    leaky_p.insert(leaky_p.end(), leaky.begin(), leaky.end());
    fixed_p.insert(fixed_p.end(), predicted->begin(), predicted->end());
  }
  Result<Metrics> leaky_metrics = ComputeMetrics(outcomes, leaky_p);
  Result<Metrics> fixed_metrics = ComputeMetrics(outcomes, fixed_p);
  ASSERT_OK(leaky_metrics);
  ASSERT_OK(fixed_metrics);
  std::printf(
      "held-out log-likelihood %.1f (leaky rule %.1f), AUC %.4f (%.4f), degenerate sets "
      "%d (%d) of %zu\n",
      fixed_ll, leaky_ll, fixed_metrics->auc, leaky_metrics->auc, fixed_degenerate,
      leaky_degenerate, sets.size());
  EXPECT_GT(leaky_degenerate, 0);  // the data shows the issue's symptom under the old rule
  EXPECT_EQ(fixed_degenerate, 0);
  EXPECT_GT(fixed_ll, leaky_ll);
  EXPECT_GT(fixed_metrics->auc, leaky_metrics->auc);
}

TEST(FitTest, RecoversSimulatedParameters) {
  // 3000 learners x 40 rows per skill. Tolerance 0.03 on every parameter: at this size the sampling
  // error of the estimates is below 0.01, so the margin covers the optimiser, not luck.
  std::vector<SimCompetency> truth = TwoSkills();
  SimOptions sim;
  sim.learners = 3000;
  sim.rows_per_sequence = 40;
  const ResponseLog log = Simulate(truth, sim);
  FitOptions options;
  options.restarts = 3;
  options.tolerance = 1e-8;
  options.max_iterations = 1000;
  options.threads = 2;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (size_t c = 0; c < truth.size(); ++c) {
    const std::string name = "skill" + std::to_string(c);
    SCOPED_TRACE(name);
    const BktParams& got = fit->model.competencies.at(name);
    const BktParams& want = truth[c].base;
    EXPECT_NEAR(got.prior, want.prior, 0.03);
    EXPECT_NEAR(got.learn, want.learn, 0.03);
    EXPECT_NEAR(got.guess, want.guess, 0.03);
    EXPECT_NEAR(got.slip, want.slip, 0.03);
    EXPECT_EQ(got.forget, 0.0);
  }
}

TEST(FitTest, RecoversForgetting) {
  std::vector<SimCompetency> truth = {{{0.4, 0.2, 0.08, 0.2, 0.1}, {}, {}}};
  SimOptions sim;
  sim.learners = 4000;
  sim.rows_per_sequence = 40;
  const ResponseLog log = Simulate(truth, sim);
  FitOptions options;
  options.forgets = true;
  options.restarts = 3;
  options.tolerance = 1e-8;
  options.max_iterations = 2000;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  const BktParams& got = fit->model.competencies.at("skill0");
  EXPECT_NEAR(got.forget, 0.08, 0.03);
  EXPECT_NEAR(got.learn, 0.2, 0.03);
  EXPECT_NEAR(got.guess, 0.2, 0.03);
  EXPECT_NEAR(got.slip, 0.1, 0.03);
}

TEST(FitTest, LogLikelihoodNeverDecreasesForEveryVariant) {
  std::vector<SimCompetency> truth = SkillsWithActivities();
  truth[0].base.forget = 0.05;
  SimOptions sim;
  sim.groups = 2;
  const ResponseLog log = Simulate(truth, sim);
  struct Variant {
    const char* name;
    void (*set)(FitOptions*);
  };
  const Variant variants[] = {
      {"standard", [](FitOptions*) {}},
      {"forgets", [](FitOptions* o) { o->forgets = true; }},
      {"multigs", [](FitOptions* o) { o->multigs = true; }},
      {"multilearn", [](FitOptions* o) { o->multilearn = true; }},
      {"multiprior-first", [](FitOptions* o) { o->multiprior = PriorGroupSource::kFirstResponse; }},
      {"multiprior-column", [](FitOptions* o) { o->multiprior = PriorGroupSource::kLearnerGroup; }},
      {"all-but-ibkt",
       [](FitOptions* o) {
         o->forgets = o->multigs = o->multilearn = true;
         o->multiprior = PriorGroupSource::kFirstResponse;
       }},
  };
  for (const Variant& variant : variants) {
    SCOPED_TRACE(variant.name);
    FitOptions options;
    options.record_trace = true;
    options.tolerance = 0.0;
    options.max_iterations = 60;
    options.restarts = 2;
    variant.set(&options);
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_OK(fit);
    for (const CompetencyFit& c : fit->competencies) {
      ASSERT_EQ(c.trace.size(), 60u);
      for (size_t i = 1; i < c.trace.size(); ++i) {
        // Rounding of sums over ~4000 rows is far below 1e-9 relative.
        EXPECT_GE(c.trace[i], c.trace[i - 1] - 1e-9 * std::abs(c.trace[i - 1]))
            << c.competency << " " << i;
      }
      EXPECT_EQ(c.trace.back(), c.log_likelihood);
    }
  }
}

TEST(FitTest, IndividualizedObjectiveNeverDecreases) {
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  FitOptions options;
  options.ibkt = true;
  options.multigs = true;
  options.forgets = true;
  options.record_trace = true;
  options.tolerance = 0.0;
  options.max_iterations = 40;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  ASSERT_EQ(fit->trace.size(), 40u);
  for (size_t i = 1; i < fit->trace.size(); ++i) {
    EXPECT_GE(fit->trace[i], fit->trace[i - 1] - 1e-9 * std::abs(fit->trace[i - 1])) << i;
  }
  EXPECT_EQ(fit->trace.back(), fit->penalized_log_likelihood);
  EXPECT_LE(fit->penalized_log_likelihood, fit->log_likelihood);
}

TEST(FitTest, IndividualizedFitSeparatesFastAndSlowLearners) {
  // 400 learners learn fast (0.3) on every skill, 400 others ("slow...") slowly (0.03): their mean
  // learn offsets must come apart, in the right direction.
  std::vector<SimCompetency> truth = {{{0.2, 0.3, 0.0, 0.2, 0.1}, {}, {}},
                                      {{0.3, 0.3, 0.0, 0.2, 0.1}, {}, {}},
                                      {{0.1, 0.3, 0.0, 0.2, 0.1}, {}, {}}};
  ResponseLog log = Simulate(truth, {400, 15, false, 0, kSeed});
  for (auto& c : truth) c.base.learn = 0.03;
  const ResponseLog slow_log = Simulate(truth, {400, 15, false, 0, kSeed + 1});
  ResponseLog renamed_slow;
  for (size_t r = 0; r < slow_log.num_rows(); ++r) {
    renamed_slow.AddRow("slow" + slow_log.learners.Name(slow_log.learner[r]),
                        slow_log.competencies.Name(slow_log.competency[r]), "",
                        slow_log.correct[r]);
  }
  log.Append(renamed_slow);
  FitOptions options;
  options.ibkt = true;
  options.tolerance = 1e-7;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  double fast_mean = 0.0, slow_mean = 0.0;
  for (const auto& [learner, factors] : fit->model.learner_factors) {
    (learner.rfind("slow", 0) == 0 ? slow_mean : fast_mean) += factors.learn_offset / 400.0;
  }
  EXPECT_GT(fast_mean, slow_mean + 0.5);
}

TEST(FitTest, FixedParametersStayFixed) {
  const ResponseLog log = Simulate(SkillsWithActivities(), SimOptions());
  FitOptions options;
  options.multigs = true;
  options.forgets = true;
  options.fixed.slip = 0.07;
  options.fixed.forget = 0.02;
  options.fixed.prior = 0.35;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (const auto& [name, p] : fit->model.competencies) {
    EXPECT_EQ(p.slip, 0.07) << name;
    EXPECT_EQ(p.forget, 0.02) << name;
    EXPECT_EQ(p.prior, 0.35) << name;
    EXPECT_NE(p.learn, BktParams().learn) << name;  // the others were fitted
  }
  ASSERT_FALSE(fit->model.competency_activities.empty());
  for (const auto& [competency, activities] : fit->model.competency_activities) {
    for (const auto& [name, a] : activities) EXPECT_EQ(*a.slip, 0.07) << competency << " " << name;
  }
}

TEST(FitTest, ReportedLikelihoodIsThatOfTheReturnedFixedModel) {
  // The E-step must use the fixed values: the naive reference, evaluating the returned model with
  // no M-step, gets the same log-likelihood.
  std::vector<SimCompetency> truth = {{{0.4, 0.2, 0.05, 0.2, 0.1}, {}, {}}};
  const ResponseLog log = Simulate(truth, SimOptions());
  FitOptions options;
  options.forgets = true;
  options.fixed.slip = 0.15;
  options.fixed.forget = 0.01;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  NaiveOptions naive;
  naive.forgets = true;
  naive.m_steps = 0;
  naive.start = fit->model.competencies.at("skill0");
  EXPECT_EQ(naive.start.slip, 0.15);
  EXPECT_NEAR(fit->log_likelihood, NaiveFit(log, naive).log_likelihood, 1e-9);
}

void ExpectSameFit(const FitResult& a, const FitResult& b) {
  EXPECT_EQ(a.log_likelihood, b.log_likelihood);
  EXPECT_EQ(a.penalized_log_likelihood, b.penalized_log_likelihood);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.obs_iterations, b.obs_iterations);
  EXPECT_EQ(a.model.defaults, b.model.defaults);
  EXPECT_EQ(a.model.competencies, b.model.competencies);
  EXPECT_EQ(a.model.activities, b.model.activities);
  EXPECT_EQ(a.model.competency_activities, b.model.competency_activities);
  EXPECT_EQ(a.model.group_priors, b.model.group_priors);
  EXPECT_EQ(a.model.learner_factors, b.model.learner_factors);
  ASSERT_EQ(a.competencies.size(), b.competencies.size());
  for (size_t i = 0; i < a.competencies.size(); ++i) {
    EXPECT_EQ(a.competencies[i].best_restart, b.competencies[i].best_restart);
    EXPECT_EQ(a.competencies[i].iterations, b.competencies[i].iterations);
  }
}

ResponseLog UnevenLog() {
  // Seven skills whose sizes differ by up to 40x, so threads finish at different times.
  ResponseLog log;
  for (size_t c = 0; c < 7; ++c) {
    std::vector<SimCompetency> truth = {{{0.1 + 0.1 * c, 0.05 + 0.02 * c, 0.0, 0.15, 0.1}, {}, {}}};
    truth[0].activities = {{}, {0.25, std::nullopt, 0.1}};
    SimOptions sim;
    sim.learners = 20 + 100 * (c % 3) * (c % 4);
    sim.seed = kSeed + c;
    const ResponseLog part = Simulate(truth, sim);
    ResponseLog renamed;
    for (size_t r = 0; r < part.num_rows(); ++r) {
      renamed.AddRow(part.learners.Name(part.learner[r]), "skill" + std::to_string(c),
                     part.activities.Name(part.activity[r]) + "_" + std::to_string(c),
                     part.correct[r]);
    }
    log.Append(renamed);
  }
  return log;
}

TEST(FitTest, ResultIsBitIdenticalForAnyThreadCount) {
  const ResponseLog log = UnevenLog();
  FitOptions options;
  options.restarts = 3;
  options.multigs = true;
  options.forgets = true;
  std::vector<FitResult> fits;
  for (int threads : {1, 2, 4}) {
    options.threads = threads;
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_OK(fit);
    fits.push_back(*fit);
  }
  ExpectSameFit(fits[0], fits[1]);
  ExpectSameFit(fits[0], fits[2]);
}

TEST(FitTest, IndividualizedResultIsBitIdenticalForAnyThreadCount) {
  const ResponseLog log = UnevenLog();
  FitOptions options;
  options.ibkt = true;
  options.restarts = 2;
  options.max_iterations = 30;
  std::vector<FitResult> fits;
  for (int threads : {1, 2, 4}) {
    options.threads = threads;
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_OK(fit);
    fits.push_back(*fit);
  }
  ExpectSameFit(fits[0], fits[1]);
  ExpectSameFit(fits[0], fits[2]);
}

// ---------------------------------------------------------------------------------------------------
// Progress and cancellation.

// The standard fit (7 skills x 3 restarts = 21 work units) and iBKT (2 restarts, each stopping by
// the tolerance or the iteration cap).
std::vector<std::pair<std::string, FitOptions>> ProgressVariants() {
  FitOptions standard;
  standard.restarts = 3;
  standard.multigs = true;
  standard.threads = 2;
  FitOptions ibkt;
  ibkt.ibkt = true;
  ibkt.restarts = 2;
  ibkt.max_iterations = 30;
  ibkt.threads = 2;
  return {{"standard", standard}, {"ibkt", ibkt}};
}

TEST(FitProgressTest, RisesMonotonicallyToOne) {
  const ResponseLog log = UnevenLog();
  for (auto variant : ProgressVariants()) {
    const std::string& name = variant.first;
    FitOptions& options = variant.second;
    std::vector<double> reports;
    options.progress = [&reports](double fraction) { reports.push_back(fraction); };
    ASSERT_OK(FitBkt(log, options));
    ASSERT_FALSE(reports.empty()) << name;
    EXPECT_GT(reports.front(), 0.0) << name;
    for (size_t i = 1; i < reports.size(); ++i) {
      EXPECT_GE(reports[i], reports[i - 1]) << name << " report " << i;
    }
    EXPECT_EQ(reports.back(), 1.0) << name;
    if (name == "standard") {
      EXPECT_EQ(reports.size(), 21u);  // one per work unit
    }
  }
}

TEST(FitProgressTest, ACallbackAndAnUnsetCancelLeaveTheResultBitIdentical) {
  const ResponseLog log = UnevenLog();
  for (auto variant : ProgressVariants()) {
    const std::string& name = variant.first;
    FitOptions& options = variant.second;
    SCOPED_TRACE(name);
    Result<FitResult> plain = FitBkt(log, options);
    std::atomic<bool> cancel{false};
    options.progress = [](double) {};
    options.cancel = &cancel;
    Result<FitResult> observed = FitBkt(log, options);
    ASSERT_OK(plain);
    ASSERT_OK(observed);
    ExpectSameFit(*plain, *observed);
  }
}

TEST(FitProgressTest, CancelFromTheCallbackStopsBeforeTheNextIteration) {
  const ResponseLog log = UnevenLog();
  for (auto variant : ProgressVariants()) {
    const std::string& name = variant.first;
    FitOptions& options = variant.second;
    // One thread, so nothing else is mid-unit when the flag is set: the next work unit (standard)
    // or the next iteration (iBKT) sees it before its first E-step and no report follows.
    options.threads = 1;
    options.max_iterations = 1000;
    options.tolerance = 0.0;
    std::atomic<bool> cancel{false};
    int reports = 0;
    options.cancel = &cancel;
    options.progress = [&](double) {
      if (++reports == 3) cancel = true;
    };
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_FALSE(fit.ok()) << name;
    EXPECT_EQ(fit.status().code(), StatusCode::kCancelled) << name << ": " << fit.status();
    EXPECT_EQ(reports, 3) << name;
  }
}

TEST(FitProgressTest, CancelFromAnotherThreadStopsARunningFit) {
  const ResponseLog log = UnevenLog();
  for (auto variant : ProgressVariants()) {
    const std::string& name = variant.first;
    FitOptions& options = variant.second;
    options.max_iterations = 1000;
    options.tolerance = 0.0;
    std::atomic<bool> cancel{false};
    // The first report waits until the other thread has set the flag, so the fit is certainly
    // still running when it is cancelled.
    std::mutex mu;
    std::condition_variable cv;
    bool started = false, cancelled = false;
    options.cancel = &cancel;
    options.progress = [&](double) {
      std::unique_lock<std::mutex> lock(mu);
      if (started) return;
      started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return cancelled; });
    };
    std::thread canceller([&] {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return started; });
      cancel = true;
      cancelled = true;
      cv.notify_all();
    });
    Result<FitResult> fit = FitBkt(log, options);
    canceller.join();
    ASSERT_FALSE(fit.ok()) << name;
    EXPECT_EQ(fit.status().code(), StatusCode::kCancelled) << name << ": " << fit.status();
  }
}

TEST(FitProgressTest, ACancelSetBeforeTheFitReportsNothing) {
  const ResponseLog log = UnevenLog();
  for (auto variant : ProgressVariants()) {
    const std::string& name = variant.first;
    FitOptions& options = variant.second;
    std::atomic<bool> cancel{true};
    int reports = 0;
    options.cancel = &cancel;
    options.progress = [&reports](double) { ++reports; };
    Result<FitResult> fit = FitBkt(log, options);
    EXPECT_EQ(fit.status().code(), StatusCode::kCancelled) << name;
    EXPECT_EQ(reports, 0) << name;
  }
}

TEST(FitTest, MoreRestartsNeverLoseLikelihoodAndSeedsMatter) {
  const ResponseLog log = UnevenLog();
  FitOptions options;
  options.seed = 7;
  Result<FitResult> one = FitBkt(log, options);
  options.restarts = 4;
  Result<FitResult> four = FitBkt(log, options);
  Result<FitResult> four_again = FitBkt(log, options);
  options.seed = 8;
  Result<FitResult> other_seed = FitBkt(log, options);
  ASSERT_OK(one);
  ASSERT_OK(four);
  ASSERT_OK(four_again);
  ASSERT_OK(other_seed);
  for (size_t i = 0; i < one->competencies.size(); ++i) {
    EXPECT_GE(four->competencies[i].log_likelihood, one->competencies[i].log_likelihood);
  }
  ExpectSameFit(*four, *four_again);
  EXPECT_NE(four->obs_iterations, other_seed->obs_iterations);
}

TEST(FitTest, StartIsUsedByRestartZero) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  FitOptions options;
  options.start = BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
  options.max_iterations = 1;  // one E-step, no M-step: the model is the start
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  EXPECT_EQ(fit->model.competencies.at("skill0"), *options.start);
  EXPECT_EQ(fit->iterations, 2);
  EXPECT_EQ(fit->obs_iterations, static_cast<int64_t>(log.num_rows()));
}

TEST(FitTest, ToleranceStopsEarlierThanTheIterationCap) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  FitOptions options;
  options.tolerance = 1e-4;
  options.max_iterations = 500;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies) {
    EXPECT_TRUE(c.converged);
    EXPECT_LT(c.iterations, 500);
  }
}

TEST(FitTest, RejectsInvalidOptions) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  auto expect_invalid = [&](FitOptions options, const std::string& fragment) {
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_FALSE(fit.ok()) << fragment;
    EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(fit.status().message().find(fragment), std::string::npos) << fit.status();
  };
  FitOptions o;
  o.bounds.guess = {0.4, 0.2};
  expect_invalid(o, "bounds.guess");
  o = FitOptions();
  o.priors.guess.a = 0.5;
  expect_invalid(o, "priors.guess.a");
  o = FitOptions();
  o.priors.forget.b = std::numeric_limits<double>::infinity();
  expect_invalid(o, "priors.forget.b");
  o = FitOptions();
  o.priors.enabled = true;
  o.ibkt = true;
  expect_invalid(o, "priors.enabled");
  o = FitOptions();
  o.warnings.bound_tolerance = -1.0;
  expect_invalid(o, "warnings.bound_tolerance");
  o = FitOptions();
  o.warnings.guess_plus_slip = std::nan("");
  expect_invalid(o, "warnings.guess_plus_slip");
  o = FitOptions();
  o.bounds.guess.upper = 0.6;
  o.bounds.slip.upper = 0.5;
  expect_invalid(o, "guess.upper + bounds.slip.upper");
  o = FitOptions();
  o.fixed.slip = 0.5;
  expect_invalid(o, "fixed.slip");
  o = FitOptions();
  o.ibkt = true;
  o.multilearn = true;
  expect_invalid(o, "ibkt");
  o = FitOptions();
  o.max_iterations = 0;
  expect_invalid(o, "max_iterations");
  o = FitOptions();
  o.start = BktParams{0.5, 0.4, 0.0, 0.6, 0.5};
  expect_invalid(o, "start");
  o = FitOptions();
  o.multigs = true;  // the simulated log has no activities
  expect_invalid(o, "activity");
  o = FitOptions();
  o.multiprior = PriorGroupSource::kLearnerGroup;  // nor groups
  expect_invalid(o, "group");
}

TEST(FitTest, EmptyLogIsRejected) {
  Result<FitResult> fit = FitBkt(ResponseLog());
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument);
}

TEST(FitTest, ImpossibleObservationsUnderFixedParametersAreReported) {
  ResponseLog log;
  log.AddRow("ann", "s", "", false);
  FitOptions options;
  options.fixed.prior = 1.0;
  options.fixed.slip = 0.0;
  options.fixed.learn = 0.0;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(fit.status().message().find("'s'"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------
// Prediction.

// ---------------------------------------------------------------------------------------------------
// Warnings.

bool HasWarning(const CompetencyFit& fit, FitWarningCode code, const std::string& fragment = "") {
  for (const FitWarning& w : fit.warnings) {
    if (w.code == code && w.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

TEST(FitWarningTest, AWellIdentifiedFitHasNone) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());  // 200 learners x 20 rows
  FitOptions options;
  options.restarts = 3;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies) {
    EXPECT_TRUE(c.warnings.empty()) << c.competency << ": " << c.warnings.front().message;
  }
}

TEST(FitWarningTest, FlagsTooFewLearnersAndRows) {
  SimOptions sim;
  sim.learners = 10;
  sim.rows_per_sequence = 5;
  const ResponseLog log = Simulate(TwoSkills(), sim);
  Result<FitResult> fit = FitBkt(log);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies) {
    EXPECT_TRUE(HasWarning(c, FitWarningCode::kFewLearners, "10 learners (< 50)"));
    EXPECT_TRUE(HasWarning(c, FitWarningCode::kFewRows, "50 rows (< 200)"));
  }
  FitOptions lenient;
  lenient.warnings.min_learners = 10;
  lenient.warnings.min_rows = 50;
  fit = FitBkt(log, lenient);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies) {
    EXPECT_FALSE(HasWarning(c, FitWarningCode::kFewLearners));
    EXPECT_FALSE(HasWarning(c, FitWarningCode::kFewRows));
  }
}

TEST(FitWarningTest, FlagsAParameterAtItsBoundButNotAFixedOne) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());  // true guess 0.2 and 0.25
  FitOptions options;
  options.bounds.guess = {0.0, 0.05};
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies) {
    EXPECT_TRUE(
        HasWarning(c, FitWarningCode::kParameterAtBound, "guess = 0.05 is at its upper bound 0.05"))
        << c.competency;
  }
  options.fixed.guess = 0.05;
  fit = FitBkt(log, options);
  ASSERT_OK(fit);
  for (const CompetencyFit& c : fit->competencies)
    EXPECT_FALSE(HasWarning(c, FitWarningCode::kParameterAtBound, "guess")) << c.competency;
}

TEST(FitWarningTest, FlagsNoLearningWithSlipAtItsBoundAndGuessPlusSlipNearOne) {
  // Nobody learns and the learned slip often: EM can only push slip to its cap and learn to 0.
  std::vector<SimCompetency> truth = {{{0.5, 0.0, 0.0, 0.25, 0.45}, {}, {}}};
  const ResponseLog log = Simulate(truth, SimOptions());
  FitOptions options;
  options.start = BktParams{0.5, 0.0, 0.0, 0.2, 0.2};
  options.fixed.learn = 0.0;
  options.warnings.guess_plus_slip = 0.5;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  const CompetencyFit& c = fit->competencies.front();
  EXPECT_TRUE(HasWarning(c, FitWarningCode::kNoLearning, "learn = 0 with slip at its upper"));
  EXPECT_TRUE(HasWarning(c, FitWarningCode::kGuessPlusSlipNearOne, ">= 0.5"));
  EXPECT_EQ(FitWarningCodeName(FitWarningCode::kNoLearning), std::string("no_learning"));
}

// ---------------------------------------------------------------------------------------------------
// MAP-EM with Beta priors.

TEST(FitPriorTest, MapPriorIsTheClosedFormOnAHandComputableLog) {
  // guess = slip = 0 and no learning: every learner's state is known from any answer, so one
  // M-step gives the exact posterior counts: 2 of 3 learners learned.
  ResponseLog log;
  for (const char* learner : {"a", "b"}) {
    log.AddRow(learner, "s", "", true);
    log.AddRow(learner, "s", "", true);
  }
  log.AddRow("c", "s", "", false);
  FitOptions options;
  options.start = BktParams{0.5, 0.0, 0.0, 0.0, 0.0};
  options.fixed.learn = 0.0;
  options.fixed.guess = 0.0;
  options.fixed.slip = 0.0;
  options.max_iterations = 5;
  options.tolerance = 0.0;
  Result<FitResult> ml = FitBkt(log, options);
  ASSERT_OK(ml);
  EXPECT_DOUBLE_EQ(ml->model.competencies.at("s").prior, 2.0 / 3.0);
  options.priors.enabled = true;
  options.priors.prior = {5.0, 1.0};  // 4 pseudo-learned learners
  Result<FitResult> map = FitBkt(log, options);
  ASSERT_OK(map);
  EXPECT_DOUBLE_EQ(map->model.competencies.at("s").prior, (2.0 + 4.0) / (3.0 + 4.0));
  // The objective adds (a - 1) log p.
  EXPECT_NEAR(map->penalized_log_likelihood - map->log_likelihood, 4.0 * std::log(6.0 / 7.0),
              1e-12);
}

TEST(FitPriorTest, MapGuessIsTheClosedFormOnAHandComputableLog) {
  // Nobody is learned (prior 0, learn 0): every row is an unlearned answer, 1 of 4 correct.
  ResponseLog log;
  log.AddRow("a", "s", "", true);
  log.AddRow("a", "s", "", false);
  log.AddRow("b", "s", "", false);
  log.AddRow("b", "s", "", false);
  FitOptions options;
  options.start = BktParams{0.0, 0.0, 0.0, 0.1, 0.1};
  options.fixed.prior = 0.0;
  options.fixed.learn = 0.0;
  options.priors.enabled = true;
  options.priors.guess = {2.0, 6.0};
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  EXPECT_DOUBLE_EQ(fit->model.competencies.at("s").guess, (1.0 + 1.0) / (4.0 + 6.0));
}

TEST(FitPriorTest, StrongerPriorsPullTowardTheirMode) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());  // true learn 0.15 and 0.05
  FitOptions options;
  options.start = BktParams{0.5, 0.2, 0.0, 0.2, 0.2};
  double previous_distance[2] = {0, 0};
  int i = 0;
  for (double strength : {0.0, 100.0, 1000.0, 1e6}) {
    options.priors.enabled = strength > 0.0;
    options.priors.learn = {1.0 + 0.4 * strength, 1.0 + 0.6 * strength};  // mode 0.4
    options.record_trace = true;
    Result<FitResult> fit = FitBkt(log, options);
    ASSERT_OK(fit);
    for (int c = 0; c < 2; ++c) {
      const CompetencyFit& summary = fit->competencies[c];
      const double learn = fit->model.competencies.at(summary.competency).learn;
      const double distance = std::abs(learn - 0.4);
      if (i > 0) {
        EXPECT_LT(distance, previous_distance[c]) << strength;
      }
      previous_distance[c] = distance;
      // MAP-EM never lowers its objective.
      for (size_t k = 1; k < summary.trace.size(); ++k)
        EXPECT_GE(summary.trace[k], summary.trace[k - 1] - 1e-9 * std::abs(summary.trace[k]));
    }
    ++i;
  }
  EXPECT_LT(previous_distance[0], 1e-3);
  EXPECT_LT(previous_distance[1], 1e-3);
}

TEST(FitPriorTest, DisabledPriorsAreMaximumLikelihoodBitForBit) {
  const ResponseLog log = Simulate(TwoSkills(), SimOptions());
  FitOptions options;
  Result<FitResult> plain = FitBkt(log, options);
  options.priors.prior = {50.0, 2.0};  // ignored while disabled
  Result<FitResult> ignored = FitBkt(log, options);
  ASSERT_OK(plain);
  ASSERT_OK(ignored);
  EXPECT_EQ(plain->log_likelihood, ignored->log_likelihood);
  EXPECT_EQ(plain->penalized_log_likelihood, plain->log_likelihood);
  EXPECT_EQ(plain->model.competencies, ignored->model.competencies);
}

TEST(PredictTest, MatchesTheHandComputedForwardFilter) {
  ResponseLog log;
  log.AddRow("ann", "s", "", true);
  log.AddRow("bob", "s", "", false);
  log.AddRow("ann", "s", "", false);
  log.AddRow("ann", "s", "", true);
  BktModel model;
  const BktParams p{0.3, 0.2, 0.05, 0.25, 0.1};
  model.competencies["s"] = p;
  Result<std::vector<double>> got = PredictOneStepAhead(model, log);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 4u);
  const double first = 0.3 * 0.9 + 0.7 * 0.25;
  EXPECT_DOUBLE_EQ((*got)[0], first);
  EXPECT_DOUBLE_EQ((*got)[1], first);  // bob's first row: nothing earlier of bob counts
  // ann: after a correct answer, posterior 0.27 / (0.27 + 0.175), then learning and forgetting.
  const double post1 = 0.27 / (0.27 + 0.7 * 0.25);
  const double l1 = post1 * 0.95 + (1 - post1) * 0.2;
  EXPECT_NEAR((*got)[2], l1 * 0.9 + (1 - l1) * 0.25, 1e-15);
  const double post2 = l1 * 0.1 / (l1 * 0.1 + (1 - l1) * 0.75);
  const double l2 = post2 * 0.95 + (1 - post2) * 0.2;
  EXPECT_NEAR((*got)[3], l2 * 0.9 + (1 - l2) * 0.25, 1e-15);
}

TEST(PredictTest, UsesTheLearnOfTheRowsLearnClass) {
  ResponseLog log;
  log.AddRow("ann", "s", "q", "fast", true);
  log.AddRow("ann", "s", "q", "fast", true);
  log.AddRow("bob", "s", "q", "unseen", true);
  log.AddRow("bob", "s", "q", "unseen", true);
  BktModel model;
  const BktParams p{0.3, 0.2, 0.0, 0.25, 0.1};
  model.competencies["s"] = p;
  model.competency_activities["s"]["q"].learn = 0.1;  // the learn class comes first
  model.competency_learn_classes["s"]["fast"] = 0.6;
  Result<std::vector<double>> got = PredictOneStepAhead(model, log);
  ASSERT_OK(got);
  const double post = 0.27 / (0.27 + 0.7 * 0.25);
  auto next = [&](double learn) {
    const double l = post + (1 - post) * learn;
    return l * 0.9 + (1 - l) * 0.25;
  };
  EXPECT_NEAR((*got)[1], next(0.6), 1e-15);
  EXPECT_NEAR((*got)[3], next(0.1), 1e-15);  // an unseen class: the activity's learn

  ResponseLog without;
  without.AddRow("ann", "s", "q", true);
  Result<std::vector<double>> refused = PredictOneStepAhead(model, without);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("learn-class column"), std::string::npos);
  model.competency_learn_classes["s"]["fast"] = 1.5;
  EXPECT_NE(ValidateFittedVariants(model).message().find("competency_learn_classes[s][fast]"),
            std::string::npos);
}

// The row loop has its own copy of the inline fast paths of bkt.h; it must predict exactly what
// PredictCorrectFromOdds and UpdateOdds give, also where the odds leave a double's range (a long
// streak at a tiny guess) and come back (the opposite streak), and with forgetting.
TEST(PredictTest, EqualsTheCarriedStateOfBktBitForBit) {
  for (const double forget : {0.0, 0.02}) {
    ResponseLog log;
    std::vector<bool> answers;
    for (int i = 0; i < 400; ++i) answers.push_back(i % 37 != 5);  // ~400 correct, odds past 2^256
    for (int i = 0; i < 400; ++i) answers.push_back(i % 41 == 7);  // then mostly incorrect
    for (bool correct : answers) log.AddRow("ann", "s", "", correct);
    BktModel model;
    const BktParams p{0.4, 0.15, forget, 1e-6, 0.08};
    model.competencies["s"] = p;
    Result<std::vector<double>> got = PredictOneStepAhead(model, log);
    ASSERT_OK(got);
    ASSERT_EQ(got->size(), answers.size());
    Odds x = Odds::OfProbability(p.prior);
    int beyond_window = 0;
    for (size_t i = 0; i < answers.size(); ++i) {
      EXPECT_EQ((*got)[i], PredictCorrectFromOdds(x, p.guess, p.slip)) << "row " << i;
      x = UpdateOdds(p, x, answers[i] ? 1.0 : 0.0);
      if (x.exponent != 0) ++beyond_window;
    }
    if (forget == 0.0) {
      EXPECT_GT(beyond_window, 0);  // the slow paths were exercised too
    }
  }
}

TEST(PredictTest, UsesOnlyEarlierRowsOfTheSameLearner) {
  SimOptions sim;
  sim.interleave_learners = true;
  sim.learners = 30;
  ResponseLog log = Simulate(SkillsWithActivities(), sim);
  FitOptions options;
  options.multigs = true;
  options.multilearn = true;
  Result<FitResult> fit = FitBkt(log, options);
  ASSERT_OK(fit);
  Result<std::vector<double>> before = PredictOneStepAhead(fit->model, log);
  ASSERT_OK(before);
  // Flip one answer in the middle of the log: only later rows of that learner and competency may
  // move.
  const size_t flipped = log.num_rows() / 2;
  log.correct[flipped] ^= 1;
  Result<std::vector<double>> after = PredictOneStepAhead(fit->model, log);
  ASSERT_OK(after);
  size_t moved = 0;
  for (size_t r = 0; r < log.num_rows(); ++r) {
    const bool later_same_sequence = r > flipped && log.learner[r] == log.learner[flipped] &&
                                     log.competency[r] == log.competency[flipped];
    if (!later_same_sequence) {
      EXPECT_EQ((*before)[r], (*after)[r]) << r;
    } else if ((*before)[r] != (*after)[r]) {
      ++moved;
    }
  }
  EXPECT_GT(moved, 0u);
}

TEST(PredictTest, UnseenIdsFallBackWithoutFailing) {
  std::vector<SimCompetency> truth = SkillsWithActivities();
  const ResponseLog train = Simulate(truth, SimOptions());
  FitOptions options;
  options.multigs = true;
  options.ibkt = true;
  Result<FitResult> fit = FitBkt(train, options);
  ASSERT_OK(fit);
  const BktModel& model = fit->model;
  ResponseLog test;
  test.AddRow("stranger", "skill0", "never_seen_activity", true);  // new learner, new activity
  test.AddRow("stranger", "new_skill", "c0a0", false);             // new competency
  test.AddRow("learner3", "skill1", "", true);                     // known learner, no activity
  test.AddRow("stranger", "skill0", "c0a0", true);  // a fitted (competency, activity)
  Result<std::vector<double>> got = PredictOneStepAhead(model, test);
  ASSERT_OK(got);
  const BktParams& s0 = model.competencies.at("skill0");
  EXPECT_DOUBLE_EQ((*got)[0], PredictCorrect(s0, s0.prior));
  // c0a0 was fitted for skill0 only; on a new competency it is just an unseen pair.
  EXPECT_DOUBLE_EQ((*got)[1], PredictCorrect(model.defaults, model.defaults.prior));
  const BktParams& s1 = model.competencies.at("skill1");
  const double prior3 =
      ApplyLogitOffset(s1.prior, model.learner_factors.at("learner3").prior_offset);
  EXPECT_DOUBLE_EQ((*got)[2], PredictCorrect(s1, prior3));
  const ActivityParams& a0 = model.competency_activities.at("skill0").at("c0a0");
  const double post = Posterior(s0.prior, s0.guess, s0.slip, 1.0);
  const double next = Transition(post, s0.learn, s0.forget);
  EXPECT_DOUBLE_EQ((*got)[3], PredictCorrect(next, *a0.guess, *a0.slip));
}

TEST(PredictTest, FirstResponseGroupIsNotUsedToPredictThatResponse) {
  BktModel model;
  model.competencies["s"] = BktParams{0.5, 0.1, 0.0, 0.2, 0.1};
  model.prior_groups = PriorGroupSource::kFirstResponse;
  model.group_priors["s"] = {{"first_incorrect", 0.1}, {"first_correct", 0.9}};
  ResponseLog log;
  log.AddRow("ann", "s", "", true);
  log.AddRow("ann", "s", "", true);
  log.AddRow("ann", "s", "", false);
  log.AddRow("bob", "s", "", false);
  log.AddRow("bob", "s", "", true);
  Result<std::vector<double>> got = PredictOneStepAhead(model, log);
  ASSERT_OK(got);
  // The first answer from the competency prior; the group prior is P(L) at the second answer,
  // in place of the first answer's update and transition (fit.h).
  EXPECT_DOUBLE_EQ((*got)[0], 0.5 * 0.9 + 0.5 * 0.2);
  EXPECT_DOUBLE_EQ((*got)[1], 0.9 * 0.9 + 0.1 * 0.2);
  const double post = 0.9 * 0.9 / (0.9 * 0.9 + 0.1 * 0.2);
  const double next = post + (1 - post) * 0.1;
  EXPECT_NEAR((*got)[2], next * 0.9 + (1 - next) * 0.2, 1e-15);
  EXPECT_DOUBLE_EQ((*got)[3], 0.5 * 0.9 + 0.5 * 0.2);
  EXPECT_DOUBLE_EQ((*got)[4], 0.1 * 0.9 + 0.9 * 0.2);
}

TEST(PredictTest, RejectsAnInvalidModel) {
  BktModel model;
  model.group_priors["s"]["g"] = 0.5;  // prior_groups is kNone
  ResponseLog log;
  log.AddRow("ann", "s", "", true);
  EXPECT_EQ(PredictOneStepAhead(model, log).status().code(), StatusCode::kInvalidArgument);
  model.prior_groups = PriorGroupSource::kLearnerGroup;
  model.group_priors["s"]["g"] = 1.5;
  EXPECT_EQ(PredictOneStepAhead(model, log).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pathwise
