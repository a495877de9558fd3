// FitBkt: options, preparation, the per-(competency, restart) EM driver and model assembly.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/fit.h>

#include "fit_internal.h"

namespace pathwise {
namespace {

using fit_internal::CompetencySetup;
using fit_internal::EmParams;
using fit_internal::EmStats;
using fit_internal::Prepared;

std::string Num(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", x);
  return buffer;
}

bool IsProbability(double x) { return !std::isnan(x) && x >= 0.0 && x <= 1.0; }

Status CheckRange(const std::string& name, const ParamRange& range) {
  if (!IsProbability(range.lower) || !IsProbability(range.upper)) {
    return Status::InvalidArgument("bounds." + name + " must lie in [0, 1], got [" +
                                   Num(range.lower) + ", " + Num(range.upper) + "]");
  }
  if (range.lower > range.upper) {
    return Status::InvalidArgument("bounds." + name + " has lower " + Num(range.lower) +
                                   " above upper " + Num(range.upper));
  }
  return Status::Ok();
}

Status CheckFixed(const std::string& name, const std::optional<double>& value,
                  const ParamRange& range) {
  if (!value) return Status::Ok();
  if (!IsProbability(*value)) {
    return Status::InvalidArgument("fixed." + name + " must be a probability in [0, 1], got " +
                                   Num(*value));
  }
  if (*value < range.lower || *value > range.upper) {
    return Status::InvalidArgument("fixed." + name + " = " + Num(*value) + " lies outside bounds." +
                                   name + " [" + Num(range.lower) + ", " + Num(range.upper) + "]");
  }
  return Status::Ok();
}

Status CheckBeta(const std::string& name, const BetaPrior& prior) {
  const std::pair<const char*, double> fields[] = {{"a", prior.a}, {"b", prior.b}};
  for (const auto& [field, value] : fields) {
    if (!(value >= 1.0) || std::isinf(value)) {
      return Status::InvalidArgument("priors." + name + "." + field +
                                     " must be finite and >= 1 (the mode must exist), got " +
                                     Num(value));
    }
  }
  return Status::Ok();
}

// (a - 1) log p + (b - 1) log(1 - p), with 0 log 0 = 0 so a flat side adds nothing.
double LogBeta(double p, const BetaPrior& prior) {
  double sum = 0.0;
  if (prior.a != 1.0) sum += (prior.a - 1.0) * std::log(p);
  if (prior.b != 1.0) sum += (prior.b - 1.0) * std::log1p(-p);
  return sum;
}

double Clamp(double x, const ParamRange& range) {
  return std::min(std::max(x, range.lower), range.upper);
}

// Draws u in [0, 1) into [max(lo, range.lower), min(hi, range.upper)], or the whole range when that
// intersection is empty.
double DrawInto(double u, double lo, double hi, const ParamRange& range) {
  double a = std::max(lo, range.lower), b = std::min(hi, range.upper);
  if (a > b) {
    a = range.lower;
    b = range.upper;
  }
  return a + u * (b - a);
}

// First-response multiprior: the local group of the sequences that hold a learner's first answer.
constexpr uint32_t kFirstAnswers = 2;

// Splits every sequence of `layout` in two: its first row alone, then the rest (when there is
// any). The first-response multiprior scores these as separate chains: the answer that selects
// a learner's group is never scored with that group's prior (fit.h).
void SplitFirstRows(fit_internal::Layout* layout) {
  std::vector<uint32_t> seq_begin, seq_learner, competency_seq(layout->competency_seq.size(), 0);
  seq_begin.reserve(2 * layout->num_sequences() + 1);
  seq_learner.reserve(2 * layout->num_sequences());
  for (size_t c = 0; c < layout->num_competencies; ++c) {
    competency_seq[c] = static_cast<uint32_t>(seq_learner.size());
    for (uint32_t s = layout->competency_seq[c]; s < layout->competency_seq[c + 1]; ++s) {
      const uint32_t begin = layout->seq_begin[s], end = layout->seq_begin[s + 1];
      seq_begin.push_back(begin);
      seq_learner.push_back(layout->seq_learner[s]);
      if (end - begin > 1) {
        seq_begin.push_back(begin + 1);
        seq_learner.push_back(layout->seq_learner[s]);
      }
    }
  }
  competency_seq.back() = static_cast<uint32_t>(seq_learner.size());
  seq_begin.push_back(layout->seq_begin.back());
  layout->seq_begin = std::move(seq_begin);
  layout->seq_learner = std::move(seq_learner);
  layout->competency_seq = std::move(competency_seq);
}

std::string Short(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.4g", x);
  return buffer;
}

// The warnings of one competency's fit (FitWarningThresholds documents the rules).
std::vector<FitWarning> Warnings(const BktParams& p, const std::map<std::string, double>* groups,
                                 size_t learners, size_t rows, const FitOptions& options) {
  const FitWarningThresholds& t = options.warnings;
  const ParamBounds& b = options.bounds;
  const FixedParams& f = options.fixed;
  std::vector<FitWarning> out;
  auto at_bound = [&](const std::string& what, double value, const ParamRange& range,
                      bool lower_too) {
    if (lower_too && value <= range.lower + t.bound_tolerance) {
      out.push_back({FitWarningCode::kParameterAtBound,
                     what + " = " + Short(value) + " is at its lower bound " + Short(range.lower)});
    } else if (value >= range.upper - t.bound_tolerance) {
      out.push_back({FitWarningCode::kParameterAtBound,
                     what + " = " + Short(value) + " is at its upper bound " + Short(range.upper)});
    }
  };
  if (!f.prior) {
    if (groups != nullptr) {
      for (const auto& [group, prior] : *groups)
        at_bound("prior of group '" + group + "'", prior, b.prior, true);
    }
    at_bound("prior", p.prior, b.prior, true);
  }
  if (!f.learn) at_bound("learn", p.learn, b.learn, true);
  if (options.forgets && !f.forget) at_bound("forget", p.forget, b.forget, false);
  if (!f.guess) at_bound("guess", p.guess, b.guess, true);
  if (!f.slip) at_bound("slip", p.slip, b.slip, true);
  if (p.guess + p.slip >= t.guess_plus_slip) {
    out.push_back({FitWarningCode::kGuessPlusSlipNearOne,
                   "guess + slip = " + Short(p.guess + p.slip) + " >= " + Short(t.guess_plus_slip) +
                       ": a correct answer barely raises mastery"});
  }
  if (p.learn <= t.no_learning && p.slip >= b.slip.upper - t.bound_tolerance) {
    out.push_back(
        {FitWarningCode::kNoLearning, "learn = " + Short(p.learn) +
                                          " with slip at its upper bound " + Short(b.slip.upper) +
                                          ": the fit explains the data by neither learning "
                                          "nor mastery"});
  }
  if (learners < t.min_learners) {
    out.push_back({FitWarningCode::kFewLearners, std::to_string(learners) + " learners (< " +
                                                     std::to_string(t.min_learners) + ")"});
  }
  if (rows < t.min_rows) {
    out.push_back({FitWarningCode::kFewRows,
                   std::to_string(rows) + " rows (< " + std::to_string(t.min_rows) + ")"});
  }
  return out;
}

struct UnitResult {
  Status status;
  EmParams params;
  EmStats stats;
  double log_likelihood = 0.0;
  double objective = 0.0;  ///< log_likelihood + log prior (MAP-EM), else log_likelihood
  int iterations = 0;
  bool converged = false;
  std::vector<double> trace;
};

void RunEm(const ResponseLog& log, const FitOptions& options, const Prepared& prepared,
           const CompetencySetup& setup, int restart, UnitResult* out) {
  const fit_internal::Layout& layout = prepared.layout;
  const std::string& name = log.competencies.Name(static_cast<uint32_t>(setup.competency));
  out->params = fit_internal::StartParams(options, setup, name, restart);
  const double rows = static_cast<double>(layout.Rows(setup.competency));
  const uint32_t* groups = setup.seq_group.empty() ? nullptr : setup.seq_group.data();
  fit_internal::EStepScratch scratch;
  double previous = 0.0;
  for (int iteration = 1;; ++iteration) {
    if (fit_internal::CancelRequested(options)) {
      out->status = fit_internal::CancelledStatus();
      return;
    }
    fit_internal::EStep(layout, setup.competency, out->params, groups, {}, &scratch, &out->stats);
    // With MAP-EM the objective (and so the trace, the stopping rule and the choice of restart)
    // includes the log prior; EM never lowers it, while the log-likelihood alone may dip.
    const double ll =
        out->stats.log_likelihood + fit_internal::LogPrior(out->params, options, setup);
    out->iterations = iteration;
    if (!std::isfinite(ll)) {
      out->status = Status::FailedPrecondition(
          "competency '" + name + "': some observations have zero likelihood under the " +
          (iteration == 1 ? std::string("start or fixed") : std::string("current")) +
          " parameters");
      return;
    }
    if (options.record_trace) out->trace.push_back(ll);
    if (iteration > 1 && options.tolerance > 0.0 && ll - previous < options.tolerance * rows) {
      out->converged = true;
      break;
    }
    if (iteration >= options.max_iterations) break;
    previous = ll;
    fit_internal::MStep(out->stats, options, setup, /*update_prior_learn=*/true, &out->params);
  }
  out->log_likelihood = out->stats.log_likelihood;
  out->objective = out->log_likelihood + fit_internal::LogPrior(out->params, options, setup);
}

Result<FitResult> FitStandard(const ResponseLog& log, const FitOptions& options,
                              const Prepared& prepared) {
  struct Unit {
    size_t setup;
    int restart;
    size_t rows;
  };
  std::vector<Unit> units;
  for (size_t i = 0; i < prepared.setups.size(); ++i) {
    for (int r = 0; r < options.restarts; ++r) {
      units.push_back({i, r, prepared.layout.Rows(prepared.setups[i].competency)});
    }
  }
  // Largest first, so one big competency does not start last and leave the other threads idle.
  std::stable_sort(units.begin(), units.end(),
                   [](const Unit& a, const Unit& b) { return a.rows > b.rows; });
  double total_rows = 0.0;
  for (const Unit& u : units) total_rows += static_cast<double>(u.rows);

  std::vector<UnitResult> results(units.size());
  std::mutex progress_mutex;
  double done_rows = 0.0;
  fit_internal::ParallelFor(options.threads, units.size(), [&](size_t i) {
    const Unit& unit = units[i];
    RunEm(log, options, prepared, prepared.setups[unit.setup], unit.restart, &results[i]);
    // A unit that stopped on an error or a cancel did not do its work.
    if (options.progress && results[i].status.ok()) {
      std::lock_guard<std::mutex> lock(progress_mutex);
      done_rows += static_cast<double>(unit.rows);
      options.progress(total_rows > 0 ? done_rows / total_rows : 1.0);
    }
  });

  // A cancelled unit ends the fit however far the others got, so the status does not depend on
  // which units saw the request.
  for (const UnitResult& unit : results) {
    if (unit.status.code() == StatusCode::kCancelled) return unit.status;
  }
  // Reductions in a fixed order: by setup, then restart.
  std::vector<size_t> unit_of(prepared.setups.size() * static_cast<size_t>(options.restarts));
  for (size_t i = 0; i < units.size(); ++i) {
    unit_of[units[i].setup * static_cast<size_t>(options.restarts) +
            static_cast<size_t>(units[i].restart)] = i;
  }
  std::vector<size_t> best(prepared.setups.size());
  FitResult result;
  for (size_t setup = 0; setup < prepared.setups.size(); ++setup) {
    for (int r = 0; r < options.restarts; ++r) {
      const size_t i =
          unit_of[setup * static_cast<size_t>(options.restarts) + static_cast<size_t>(r)];
      if (!results[i].status.ok()) return results[i].status;
      result.iterations += results[i].iterations;
      result.obs_iterations += static_cast<int64_t>(units[i].rows) * results[i].iterations;
      if (r == 0 || results[i].objective > results[best[setup]].objective) best[setup] = i;
    }
  }
  std::vector<EmParams> params(prepared.setups.size());
  std::vector<EmStats> stats(prepared.setups.size());
  for (size_t setup = 0; setup < prepared.setups.size(); ++setup) {
    params[setup] = std::move(results[best[setup]].params);
    stats[setup] = std::move(results[best[setup]].stats);
  }
  fit_internal::AssembleModel(log, options, prepared, params, stats, nullptr, &result);
  for (size_t setup = 0; setup < prepared.setups.size(); ++setup) {
    UnitResult& unit = results[best[setup]];
    CompetencyFit& summary = result.competencies[setup];
    summary.iterations = unit.iterations;
    summary.best_restart = units[best[setup]].restart;
    summary.converged = unit.converged;
    summary.trace = std::move(unit.trace);
  }
  result.penalized_log_likelihood = 0.0;
  for (size_t setup = 0; setup < prepared.setups.size(); ++setup)
    result.penalized_log_likelihood += results[best[setup]].objective;
  return result;
}

}  // namespace

Status FitOptions::Validate() const {
  if (max_iterations < 1) {
    return Status::InvalidArgument("max_iterations must be >= 1, got " +
                                   std::to_string(max_iterations));
  }
  if (!(tolerance >= 0.0) || std::isinf(tolerance)) {
    return Status::InvalidArgument("tolerance must be finite and >= 0, got " + Num(tolerance));
  }
  if (restarts < 1) {
    return Status::InvalidArgument("restarts must be >= 1, got " + std::to_string(restarts));
  }
  if (threads < 1) {
    return Status::InvalidArgument("threads must be >= 1, got " + std::to_string(threads));
  }
  if (!(ibkt_l2 > 0.0) || std::isinf(ibkt_l2)) {
    return Status::InvalidArgument("ibkt_l2 must be finite and > 0, got " + Num(ibkt_l2));
  }
  PATHWISE_RETURN_IF_ERROR(CheckRange("prior", bounds.prior));
  PATHWISE_RETURN_IF_ERROR(CheckRange("learn", bounds.learn));
  PATHWISE_RETURN_IF_ERROR(CheckRange("forget", bounds.forget));
  PATHWISE_RETURN_IF_ERROR(CheckRange("guess", bounds.guess));
  PATHWISE_RETURN_IF_ERROR(CheckRange("slip", bounds.slip));
  PATHWISE_RETURN_IF_ERROR(CheckFixed("prior", fixed.prior, bounds.prior));
  PATHWISE_RETURN_IF_ERROR(CheckFixed("learn", fixed.learn, bounds.learn));
  // Without `forgets` a fixed forget is simply the forget used, so only the forget bounds' own
  // check applies to it when forgets is on.
  PATHWISE_RETURN_IF_ERROR(
      CheckFixed("forget", fixed.forget, forgets ? bounds.forget : ParamRange{0.0, 1.0}));
  PATHWISE_RETURN_IF_ERROR(CheckFixed("guess", fixed.guess, bounds.guess));
  PATHWISE_RETURN_IF_ERROR(CheckFixed("slip", fixed.slip, bounds.slip));
  const double max_guess = fixed.guess.value_or(bounds.guess.upper);
  const double max_slip = fixed.slip.value_or(bounds.slip.upper);
  if (max_guess + max_slip >= 1.0) {
    return Status::InvalidArgument(
        "bounds.guess.upper + bounds.slip.upper (or the fixed values) must be < 1, got " +
        Num(max_guess) + " + " + Num(max_slip) +
        ": guess + slip >= 1 is the degenerate model where a correct answer lowers mastery");
  }
  for (const auto& [competency, classes] : fixed_classes) {
    for (const auto& [name, values] : classes) {
      const std::string path = "fixed_classes[" + competency + "][" + name + "]";
      const std::pair<const char*, const std::optional<double>*> fields[] = {
          {"guess", &values.guess}, {"slip", &values.slip}, {"learn", &values.learn}};
      for (const auto& [field, value] : fields) {
        if (*value && !IsProbability(**value)) {
          return Status::InvalidArgument(path + "." + field +
                                         " must be a probability in [0, 1], got " + Num(**value));
        }
      }
      if ((values.guess || values.slip) && !multigs) {
        return Status::InvalidArgument(path + "." + (values.guess ? "guess" : "slip") +
                                       " is per guess/slip class, which needs multigs");
      }
      if (values.learn && !multilearn) {
        return Status::InvalidArgument(path + ".learn is per learn class, which needs multilearn");
      }
      const double guess = values.guess ? *values.guess : max_guess;
      const double slip = values.slip ? *values.slip : max_slip;
      if ((values.guess || values.slip) && guess + slip >= 1.0) {
        return Status::InvalidArgument(
            path + "." + (values.slip ? "slip" : "guess") + " = " +
            Num(values.slip ? slip : guess) + " allows guess + slip = " + Num(guess) + " + " +
            Num(slip) + " >= 1 for the class (lower bounds." + (values.slip ? "guess" : "slip") +
            ".upper, or fix the class's " + (values.slip ? "guess" : "slip") + " too)");
      }
    }
  }
  if (start) PATHWISE_RETURN_IF_ERROR(start->Validate().WithContext("start"));
  if (ibkt && multilearn) {
    return Status::InvalidArgument(
        "ibkt cannot be combined with multilearn (both individualise learn)");
  }
  if (ibkt && multiprior != PriorGroupSource::kNone) {
    return Status::InvalidArgument(
        "ibkt cannot be combined with multiprior (both individualise prior)");
  }
  PATHWISE_RETURN_IF_ERROR(CheckBeta("prior", priors.prior));
  PATHWISE_RETURN_IF_ERROR(CheckBeta("learn", priors.learn));
  PATHWISE_RETURN_IF_ERROR(CheckBeta("forget", priors.forget));
  PATHWISE_RETURN_IF_ERROR(CheckBeta("guess", priors.guess));
  PATHWISE_RETURN_IF_ERROR(CheckBeta("slip", priors.slip));
  if (ibkt && priors.enabled) {
    return Status::InvalidArgument(
        "priors.enabled cannot be combined with ibkt (its M-step for prior and learn is Newton's "
        "on the logit scale, not the closed form the pseudo-counts enter)");
  }
  if (!(warnings.bound_tolerance >= 0.0 && warnings.bound_tolerance <= 0.5)) {
    return Status::InvalidArgument("warnings.bound_tolerance must lie in [0, 0.5], got " +
                                   Num(warnings.bound_tolerance));
  }
  if (!IsProbability(warnings.guess_plus_slip) && !(warnings.guess_plus_slip == 1.0)) {
    return Status::InvalidArgument("warnings.guess_plus_slip must lie in [0, 1], got " +
                                   Num(warnings.guess_plus_slip));
  }
  if (!IsProbability(warnings.no_learning)) {
    return Status::InvalidArgument("warnings.no_learning must lie in [0, 1], got " +
                                   Num(warnings.no_learning));
  }
  return Status::Ok();
}

const char* FitWarningCodeName(FitWarningCode code) {
  switch (code) {
    case FitWarningCode::kParameterAtBound:
      return "parameter_at_bound";
    case FitWarningCode::kGuessPlusSlipNearOne:
      return "guess_plus_slip_near_one";
    case FitWarningCode::kNoLearning:
      return "no_learning";
    case FitWarningCode::kFewLearners:
      return "few_learners";
    case FitWarningCode::kFewRows:
      return "few_rows";
  }
  return "unknown";
}

namespace fit_internal {
namespace {

// FitOptions::fixed_classes of competency c as per-local-class values (NaN: free). A competency
// with a single class fits it as its own value, which a fixed class value then holds too.
void ResolveFixedClasses(const ResponseLog& log, const FitOptions& options, const Layout& layout,
                         size_t c, const std::map<std::string, ActivityParams>& fixed,
                         bool learn_classes, CompetencySetup* setup) {
  constexpr double kFree = std::numeric_limits<double>::quiet_NaN();
  auto find = [&](const std::string& name) -> const ActivityParams* {
    auto it = fixed.find(name);
    return it == fixed.end() ? nullptr : &it->second;
  };
  bool any = false;
  std::vector<double> guess(setup->gs_classes, kFree), slip(setup->gs_classes, kFree),
      learn(setup->learn_classes, kFree);
  for (size_t k = 0; options.multigs && k < setup->gs_classes; ++k) {
    const uint32_t activity = layout.class_activity[layout.competency_class[c] + k];
    if (activity == IdTable::kNone) continue;
    if (const ActivityParams* values = find(log.activities.Name(activity))) {
      if (values->guess) guess[k] = *values->guess, any = true;
      if (values->slip) slip[k] = *values->slip, any = true;
    }
  }
  for (size_t k = 0; options.multilearn && k < setup->learn_classes; ++k) {
    const uint32_t id = learn_classes ? layout.learn_class_id[layout.competency_learn_class[c] + k]
                                      : layout.class_activity[layout.competency_class[c] + k];
    if (id == IdTable::kNone) continue;
    const ActivityParams* values =
        find(learn_classes ? log.learn_classes.Name(id) : log.activities.Name(id));
    if (values != nullptr && values->learn) learn[k] = *values->learn, any = true;
  }
  if (any) {
    setup->fixed_guess = std::move(guess);
    setup->fixed_slip = std::move(slip);
    setup->fixed_learn = std::move(learn);
  }
}

}  // namespace

Status Prepare(const ResponseLog& log, const FitOptions& options, const std::vector<bool>* mask,
               Prepared* prepared) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  if (log.num_rows() == 0) return Status::InvalidArgument("the response log has no rows");
  // multilearn splits rows by the learn-class column when the log has one (fit.h).
  const bool learn_classes = options.multilearn && log.has_learn_classes();
  const bool classes = options.multigs || (options.multilearn && !learn_classes);
  auto none = [](const std::vector<uint32_t>& column) {
    return std::all_of(column.begin(), column.end(),
                       [](uint32_t a) { return a == IdTable::kNone; });
  };
  if (classes && none(log.activity)) {
    return Status::InvalidArgument(std::string(options.multigs ? "multigs" : "multilearn") +
                                   " needs activity ids, but no row of the log has one");
  }
  if (learn_classes && none(log.learn_class)) {
    return Status::InvalidArgument(
        "multilearn uses the log's learn-class column, but no row of it has a class");
  }
  for (const auto& [competency, fixed] : options.fixed_classes) {
    const std::string path = "fixed_classes[" + competency + "]";
    if (log.competencies.Find(competency) == IdTable::kNone) {
      return Status::InvalidArgument(path + ": the log has no competency '" + competency + "'");
    }
    for (const auto& [name, values] : fixed) {
      if ((values.guess || values.slip) && log.activities.Find(name) == IdTable::kNone) {
        return Status::InvalidArgument(path + "[" + name + "]: the log has no activity '" + name +
                                       "' (guess/slip classes are activities)");
      }
      if (values.learn &&
          (learn_classes ? log.learn_classes : log.activities).Find(name) == IdTable::kNone) {
        return Status::InvalidArgument(path + "[" + name + "]: the log has no " +
                                       (learn_classes ? "learn class" : "activity") + " '" + name +
                                       "'");
      }
    }
  }
  if (options.multiprior == PriorGroupSource::kLearnerGroup && log.learner_group.empty()) {
    return Status::InvalidArgument(
        "multiprior by group column needs learner groups, but the log has none");
  }
  LayoutRequest request;
  request.activity_classes = classes;
  request.learn_classes = learn_classes;
  request.learner_mask = mask;
  PATHWISE_RETURN_IF_ERROR(BuildLayout(log, request, &prepared->layout));
  std::vector<uint32_t> learners_per_competency(prepared->layout.num_competencies);
  for (size_t c = 0; c < learners_per_competency.size(); ++c) {
    learners_per_competency[c] =
        prepared->layout.competency_seq[c + 1] - prepared->layout.competency_seq[c];
  }
  if (options.multiprior == PriorGroupSource::kFirstResponse) {
    SplitFirstRows(&prepared->layout);
  }
  const Layout& layout = prepared->layout;
  prepared->setups.clear();
  for (size_t c = 0; c < layout.num_competencies; ++c) {
    if (layout.Rows(c) == 0) continue;
    CompetencySetup setup;
    setup.competency = c;
    setup.gs_classes = options.multigs ? layout.NumClasses(c) : 1;
    setup.learn_classes = !options.multilearn ? 1
                          : learn_classes     ? layout.NumLearnClasses(c)
                                              : layout.NumClasses(c);
    if (auto it = options.fixed_classes.find(log.competencies.Name(static_cast<uint32_t>(c)));
        it != options.fixed_classes.end()) {
      ResolveFixedClasses(log, options, layout, c, it->second, learn_classes, &setup);
    }
    const uint32_t first = layout.competency_seq[c], last = layout.competency_seq[c + 1];
    setup.learners = learners_per_competency[c];
    if (options.multiprior == PriorGroupSource::kFirstResponse) {
      // After SplitFirstRows: a learner's first answer alone (scored with the competency prior,
      // group kFirstAnswers), then the rest of the learner's rows, when there are any, in the
      // group that first answer selected.
      setup.group_names = {"first_incorrect", "first_correct", ""};
      setup.first_answer_group = kFirstAnswers;
      for (uint32_t s = first; s < last; ++s) {
        const bool first_answer = s == first || layout.seq_learner[s] != layout.seq_learner[s - 1];
        setup.seq_group.push_back(first_answer ? kFirstAnswers
                                               : layout.outcome[layout.seq_begin[s - 1]]);
      }
    } else if (options.multiprior == PriorGroupSource::kLearnerGroup) {
      std::vector<uint32_t> local_of;  // global group (kNone last) -> local + 1
      local_of.assign(log.groups.size() + 1, 0);
      for (uint32_t s = first; s < last; ++s) {
        const uint32_t g = log.learner_group[layout.seq_learner[s]];
        const size_t slot = g == IdTable::kNone ? log.groups.size() : g;
        if (local_of[slot] == 0) {
          setup.group_names.push_back(g == IdTable::kNone ? std::string() : log.groups.Name(g));
          local_of[slot] = static_cast<uint32_t>(setup.group_names.size());
        }
        setup.seq_group.push_back(local_of[slot] - 1);
      }
    }
    prepared->setups.push_back(std::move(setup));
  }
  std::vector<bool> seen(log.learners.size(), false);
  prepared->learners_with_rows = 0;
  for (uint32_t l : layout.seq_learner) {
    if (!seen[l]) {
      seen[l] = true;
      ++prepared->learners_with_rows;
    }
  }
  return Status::Ok();
}

EmParams StartParams(const FitOptions& options, const CompetencySetup& setup,
                     const std::string& name, int restart) {
  std::mt19937_64 rng(MixSeed(MixSeed(options.seed) ^ StableHash(name) ^
                              MixSeed(0x5eedULL + static_cast<uint64_t>(restart))));
  double u[5];
  for (double& x : u) x = UniformDouble(rng());
  const ParamBounds& b = options.bounds;
  BktParams start;
  if (restart == 0 && options.start) {
    start = *options.start;
    if (options.forgets && start.forget == 0.0) start.forget = 0.05;  // 0 is a fixed point of EM
  } else {
    start.prior = DrawInto(u[0], 0.05, 0.95, b.prior);
    start.learn = DrawInto(u[1], 0.01, 0.5, b.learn);
    start.forget = DrawInto(u[2], 0.0, 0.2, b.forget);
    start.guess = DrawInto(u[3], 0.01, 0.3, b.guess);
    start.slip = DrawInto(u[4], 0.01, 0.3, b.slip);
  }
  const FixedParams& f = options.fixed;
  EmParams params;
  params.prior = f.prior.value_or(Clamp(start.prior, b.prior));
  const double learn = f.learn.value_or(Clamp(start.learn, b.learn));
  params.forget =
      options.forgets ? f.forget.value_or(Clamp(start.forget, b.forget)) : f.forget.value_or(0.0);
  const double guess = f.guess.value_or(Clamp(start.guess, b.guess));
  const double slip = f.slip.value_or(Clamp(start.slip, b.slip));
  params.learn.assign(setup.learn_classes, learn);
  params.guess.assign(setup.gs_classes, guess);
  params.slip.assign(setup.gs_classes, slip);
  params.group_prior.assign(setup.group_names.size(), params.prior);
  auto apply = [](const std::vector<double>& fixed, std::vector<double>* values) {
    for (size_t k = 0; k < fixed.size(); ++k) {
      if (!std::isnan(fixed[k])) (*values)[k] = fixed[k];
    }
  };
  apply(setup.fixed_learn, &params.learn);
  apply(setup.fixed_guess, &params.guess);
  apply(setup.fixed_slip, &params.slip);
  return params;
}

// True when class k of a per-class table is free (not fixed by FitOptions::fixed_classes).
bool Free(const std::vector<double>& fixed, size_t k) {
  return fixed.empty() || std::isnan(fixed[k]);
}

void MStep(const EmStats& stats, const FitOptions& options, const CompetencySetup& setup,
           bool update_prior_learn, EmParams* params) {
  const ParamBounds& b = options.bounds;
  const FixedParams& f = options.fixed;
  const ParamPriors& priors = options.priors;
  // The clamped maximiser of successes log p + failures log(1 - p) (+ the log Beta density with
  // MAP): the expected count ratio, with the pseudo-counts added; kept when there are no counts.
  auto update = [&](double successes, double trials, const BetaPrior& beta, const ParamRange& range,
                    double* value) {
    if (priors.enabled) {
      successes += beta.a - 1.0;
      trials += beta.a + beta.b - 2.0;
    }
    if (trials > 0.0) *value = Clamp(successes / trials, range);
  };
  if (update_prior_learn && !f.prior) {
    for (size_t g = 0; g < params->group_prior.size(); ++g) {
      update(stats.group_init_learned[g], stats.group_sequences[g], priors.prior, b.prior,
             &params->group_prior[g]);
    }
    update(stats.init_learned, stats.sequences, priors.prior, b.prior, &params->prior);
  }
  if (update_prior_learn && !f.learn) {
    for (size_t k = 0; k < params->learn.size(); ++k) {
      if (Free(setup.fixed_learn, k))
        update(stats.learn_num[k], stats.learn_den[k], priors.learn, b.learn, &params->learn[k]);
    }
  }
  if (options.forgets && !f.forget) {
    update(stats.forget_num, stats.forget_den, priors.forget, b.forget, &params->forget);
  }
  for (size_t k = 0; k < params->guess.size(); ++k) {
    if (!f.guess && Free(setup.fixed_guess, k)) {
      update(stats.unlearned_right[k], stats.unlearned_total[k], priors.guess, b.guess,
             &params->guess[k]);
    }
    if (!f.slip && Free(setup.fixed_slip, k)) {
      update(stats.learned_wrong[k], stats.learned_total[k], priors.slip, b.slip, &params->slip[k]);
    }
  }
}

double LogPrior(const EmParams& params, const FitOptions& options, const CompetencySetup& setup) {
  const ParamPriors& priors = options.priors;
  const FixedParams& f = options.fixed;
  if (!priors.enabled) return 0.0;
  double sum = 0.0;
  if (!f.prior) {
    if (params.group_prior.empty()) {
      sum += LogBeta(params.prior, priors.prior);
    } else {
      for (double p : params.group_prior) sum += LogBeta(p, priors.prior);
    }
  }
  if (!f.learn) {
    for (size_t k = 0; k < params.learn.size(); ++k) {
      if (Free(setup.fixed_learn, k)) sum += LogBeta(params.learn[k], priors.learn);
    }
  }
  if (options.forgets && !f.forget) sum += LogBeta(params.forget, priors.forget);
  for (size_t k = 0; k < params.guess.size(); ++k) {
    if (!f.guess && Free(setup.fixed_guess, k)) sum += LogBeta(params.guess[k], priors.guess);
    if (!f.slip && Free(setup.fixed_slip, k)) sum += LogBeta(params.slip[k], priors.slip);
  }
  return sum;
}

void AssembleModel(const ResponseLog& log, const FitOptions& options, const Prepared& prepared,
                   const std::vector<EmParams>& params, const std::vector<EmStats>& stats,
                   const std::vector<LearnerFactors>* learner_offsets, FitResult* result) {
  const Layout& layout = prepared.layout;
  const ParamBounds& b = options.bounds;
  const FixedParams& f = options.fixed;
  BktModel& model = result->model;
  model = BktModel();
  model.prior_groups = options.multiprior;
  result->competencies.clear();
  result->log_likelihood = 0.0;
  result->rows = layout.num_rows();
  result->learners = prepared.learners_with_rows;

  BktParams weighted{0.0, 0.0, 0.0, 0.0, 0.0};
  double total_rows = 0.0;
  for (size_t i = 0; i < prepared.setups.size(); ++i) {
    const CompetencySetup& setup = prepared.setups[i];
    const EmParams& p = params[i];
    const EmStats& s = stats[i];
    const std::string& name = log.competencies.Name(static_cast<uint32_t>(setup.competency));
    const uint32_t class_base = layout.competency_class[setup.competency];

    // Competency-level values: the class of rows without an activity when there is one, else the
    // pooled estimate over all classes (the model an activity unseen in training gets).
    BktParams cp;
    cp.prior = p.prior;
    cp.forget = p.forget;
    auto pooled = [](const std::vector<double>& num, const std::vector<double>& den,
                     double fallback, const ParamRange& range) {
      double n = 0.0, d = 0.0;
      for (size_t k = 0; k < num.size(); ++k) {
        n += num[k];
        d += den[k];
      }
      return d > 0.0 ? Clamp(n / d, range) : fallback;
    };
    cp.learn = p.learn.size() == 1
                   ? p.learn[0]
                   : f.learn.value_or(pooled(s.learn_num, s.learn_den, p.learn[0], b.learn));
    cp.guess =
        p.guess.size() == 1
            ? p.guess[0]
            : f.guess.value_or(pooled(s.unlearned_right, s.unlearned_total, p.guess[0], b.guess));
    cp.slip = p.slip.size() == 1
                  ? p.slip[0]
                  : f.slip.value_or(pooled(s.learned_wrong, s.learned_total, p.slip[0], b.slip));
    if (p.guess.size() > 1) {
      for (size_t k = 0; k < p.guess.size(); ++k) {
        const uint32_t activity = layout.class_activity[class_base + k];
        if (activity == IdTable::kNone) {
          cp.guess = p.guess[k];
          cp.slip = p.slip[k];
        } else {
          // Per (competency, activity), exactly as fitted: the same activity may practise several
          // competencies with different values.
          ActivityParams& overrides =
              model.competency_activities[name][log.activities.Name(activity)];
          overrides.guess = p.guess[k];
          overrides.slip = p.slip[k];
        }
      }
    }
    if (p.learn.size() > 1) {
      const bool learn_classes = !layout.row_learn_class.empty();
      for (size_t k = 0; k < p.learn.size(); ++k) {
        const uint32_t id =
            learn_classes
                ? layout.learn_class_id[layout.competency_learn_class[setup.competency] + k]
                : layout.class_activity[class_base + k];
        if (id == IdTable::kNone) {
          cp.learn = p.learn[k];
        } else if (learn_classes) {
          model.competency_learn_classes[name][log.learn_classes.Name(id)] = p.learn[k];
        } else {
          model.competency_activities[name][log.activities.Name(id)].learn = p.learn[k];
        }
      }
    }
    if (setup.first_answer_group != CompetencySetup::kNoGroup) {
      // First-response groups: the competency prior is the one fitted on first answers, which
      // predicts a learner's first answer; the groups hold P(L) at the second answer.
      auto& groups = model.group_priors[name];
      for (size_t g = 0; g < setup.group_names.size(); ++g) {
        if (g != setup.first_answer_group && s.group_sequences[g] > 0.0)
          groups[setup.group_names[g]] = p.group_prior[g];
      }
      cp.prior = p.group_prior[setup.first_answer_group];
    } else if (!setup.group_names.empty()) {
      auto& groups = model.group_priors[name];
      for (size_t g = 0; g < setup.group_names.size(); ++g) {
        if (s.group_sequences[g] > 0.0) groups[setup.group_names[g]] = p.group_prior[g];
      }
      // The competency prior is the group-weighted mean: what a learner of unknown group starts
      // from.
      double num = 0.0, den = 0.0;
      for (size_t g = 0; g < setup.group_names.size(); ++g) {
        num += s.group_sequences[g] * p.group_prior[g];
        den += s.group_sequences[g];
      }
      if (den > 0.0) cp.prior = num / den;
    }
    model.competencies[name] = cp;

    const double rows = static_cast<double>(layout.Rows(setup.competency));
    weighted.prior += rows * cp.prior;
    weighted.learn += rows * cp.learn;
    weighted.forget += rows * cp.forget;
    weighted.guess += rows * cp.guess;
    weighted.slip += rows * cp.slip;
    total_rows += rows;

    CompetencyFit summary;
    summary.competency = name;
    summary.rows = layout.Rows(setup.competency);
    summary.sequences = setup.learners;
    auto groups = model.group_priors.find(name);
    summary.warnings = Warnings(cp, groups == model.group_priors.end() ? nullptr : &groups->second,
                                setup.learners, summary.rows, options);
    summary.log_likelihood = s.log_likelihood;
    result->log_likelihood += s.log_likelihood;
    result->competencies.push_back(std::move(summary));
  }
  if (total_rows > 0.0) {
    model.defaults = BktParams{weighted.prior / total_rows, weighted.learn / total_rows,
                               weighted.forget / total_rows, weighted.guess / total_rows,
                               weighted.slip / total_rows};
  }
  if (learner_offsets != nullptr) {
    for (size_t l = 0; l < learner_offsets->size(); ++l) {
      const LearnerFactors& factors = (*learner_offsets)[l];
      if (factors.prior_offset != 0.0 || factors.learn_offset != 0.0) {
        model.learner_factors[log.learners.Name(static_cast<uint32_t>(l))] = factors;
      }
    }
  }
}

Result<FitResult> FitBktOnLearners(const ResponseLog& log, const FitOptions& options,
                                   const std::vector<bool>* mask) {
  Prepared prepared;
  PATHWISE_RETURN_IF_ERROR(Prepare(log, options, mask, &prepared));
  if (prepared.setups.empty())
    return Status::InvalidArgument("no rows to fit for the selected learners");
  if (options.ibkt) return FitIndividualized(log, options, prepared);
  return FitStandard(log, options, prepared);
}

}  // namespace fit_internal

Result<FitResult> FitBkt(const ResponseLog& log, const FitOptions& options) {
  return fit_internal::FitBktOnLearners(log, options, nullptr);
}

}  // namespace pathwise
