// `pathwise fit|evaluate|predict|crossvalidate`: BKT fitting and evaluation on response logs.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/pybkt_params.h>
#include <pathwise/io/response_readers.h>

#include "commands.h"
#include "exit_codes.h"

namespace pathwise::cli {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::ordered_json;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double PeakRssMiB() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Options shared by every command: the data and how to report.
struct DataArgs {
  std::vector<std::string> data;
  std::string format;
  bool skip_bad_rows = false;
  std::string activity_column;
  std::string dkvmn_header = "auto";
  std::string report = "text";
};

// Options of fitting (fit, crossvalidate, and evaluate/predict without --model).
struct FitArgs {
  int threads = 1;
  int restarts = 1;
  uint64_t seed = 42;
  int max_iterations = FitOptions().max_iterations;
  double tolerance = FitOptions().tolerance;
  std::string start;
  bool forgets = false;
  bool multigs = false;
  bool multilearn = false;
  CLI::Option* multiprior = nullptr;
  std::string multiprior_column;
  bool ibkt = false;
  double ibkt_l2 = FitOptions().ibkt_l2;
  std::vector<double> prior_bounds, learn_bounds, forget_bounds, guess_bounds, slip_bounds;
  std::optional<double> fix_prior, fix_learn, fix_forget, fix_guess, fix_slip;
  bool beta_priors = false;
  std::vector<double> prior_beta, learn_beta, forget_beta, guess_beta, slip_beta;
};

struct CommandArgs {
  DataArgs data;
  FitArgs fit;
  std::string model_in;
  std::string model_out;
  std::string export_pybkt;
  std::string predictions_out;
  int folds = 5;
};

void AddDataOptions(CLI::App* cmd, DataArgs* args) {
  cmd->add_option("--data", args->data,
                  "Response log file; repeat to read several as one (train then test)")
      ->required();
  cmd->add_option("--format", args->format, "Response log format")
      ->required()
      ->check(CLI::IsMember({"pybkt", "datashop", "dkvmn", "hmmsc"}));
  cmd->add_flag("--skip-bad-rows", args->skip_bad_rows,
                "Skip malformed records (counted and reported) instead of failing");
  cmd->add_option(
      "--activity-column", args->activity_column,
      "Column giving each row's activity (pybkt/datashop; default template_id, problem_id or "
      "Problem Name)");
  cmd->add_option("--dkvmn-header", args->dkvmn_header, "What line 1 of a dkvmn group holds")
      ->check(CLI::IsMember({"auto", "length", "learner-id"}));
  cmd->add_option("--report", args->report, "Report format on standard output")
      ->check(CLI::IsMember({"text", "json"}));
}

void AddFitOptions(CLI::App* cmd, FitArgs* args) {
  cmd->add_option("--threads", args->threads, "Worker threads (results do not depend on it)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--restarts", args->restarts,
                  "Fits per competency from different starts; best kept")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", args->seed,
                  "Seed of the random restarts (and of the cross-validation folds)");
  cmd->add_option("--max-iterations", args->max_iterations,
                  "EM iterations per competency and restart at most")
      ->check(CLI::PositiveNumber);
  cmd->add_option(
      "--tolerance", args->tolerance,
      "Stop when an iteration gains less log-likelihood than this per row (0: always run "
      "--max-iterations)");
  cmd->add_option("--start", args->start,
                  "Start of restart 0 as prior,learn,forget,guess,slip (e.g. 0.5,0.4,0,0.2,0.2); "
                  "default random");
  cmd->add_flag("--forgets", args->forgets, "Fit forget (otherwise 0)");
  cmd->add_flag("--multigs", args->multigs, "Guess and slip per (competency, activity)");
  cmd->add_flag("--multilearn", args->multilearn, "Learn per (competency, activity)");
  args->multiprior =
      cmd->add_option("--multiprior", args->multiprior_column,
                      "Prior per group: the learner's group from COLUMN, or without a "
                      "value the learner's first response (as pyBKT)")
          ->expected(0, 1);
  cmd->add_flag("--ibkt", args->ibkt,
                "Per-learner prior and learn offsets shared across competencies");
  cmd->add_option("--ibkt-l2", args->ibkt_l2, "iBKT: L2 penalty weight on the learner offsets");
  auto bounds = [&](const char* name, std::vector<double>* value, const char* what) {
    cmd->add_option(name, *value, what)->delimiter(',')->expected(2);
  };
  bounds("--prior-bounds", &args->prior_bounds, "LO,HI for prior (default 0,1)");
  bounds("--learn-bounds", &args->learn_bounds, "LO,HI for learn (default 0,1)");
  bounds("--forget-bounds", &args->forget_bounds, "LO,HI for forget (default 0,1)");
  bounds("--guess-bounds", &args->guess_bounds, "LO,HI for guess (default 0,0.3)");
  bounds("--slip-bounds", &args->slip_bounds, "LO,HI for slip (default 0,0.3)");
  cmd->add_option("--fix-prior", args->fix_prior, "Hold prior at this value");
  cmd->add_option("--fix-learn", args->fix_learn, "Hold learn at this value");
  cmd->add_option("--fix-forget", args->fix_forget, "Hold forget at this value");
  cmd->add_option("--fix-guess", args->fix_guess, "Hold guess at this value");
  cmd->add_option("--fix-slip", args->fix_slip, "Hold slip at this value");
  cmd->add_flag("--beta-priors", args->beta_priors,
                "MAP-EM: Beta priors on the parameters, by default weak ones (fit.h: prior 2,2; "
                "learn 2,6; forget 1,11; guess 2,6; slip 2,6)");
  auto beta = [&](const char* name, std::vector<double>* value, const char* what) {
    cmd->add_option(name, *value, what)->delimiter(',')->expected(2);
  };
  beta("--prior-beta", &args->prior_beta, "A,B of the Beta prior on prior (implies --beta-priors)");
  beta("--learn-beta", &args->learn_beta, "A,B of the Beta prior on learn (implies --beta-priors)");
  beta("--forget-beta", &args->forget_beta,
       "A,B of the Beta prior on forget (implies --beta-priors)");
  beta("--guess-beta", &args->guess_beta, "A,B of the Beta prior on guess (implies --beta-priors)");
  beta("--slip-beta", &args->slip_beta, "A,B of the Beta prior on slip (implies --beta-priors)");
}

// Draws a progress bar on stderr once a run has taken more than a second, and only on a terminal.
class ProgressBar {
 public:
  ProgressBar() : enabled_(isatty(STDERR_FILENO) != 0), start_(Clock::now()) {}
  ~ProgressBar() { Finish(); }
  void Update(double fraction) {
    if (!enabled_) return;
    const double elapsed = SecondsSince(start_);
    // Quiet for short runs; at most ten redraws a second.
    if (elapsed < 1.0 || (elapsed - last_draw_ < 0.1 && fraction < 1.0)) return;
    last_draw_ = elapsed;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    std::string bar(filled, '#');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r[%s] %3.0f%% %.1f s", bar.c_str(), 100.0 * fraction, elapsed);
    std::fflush(stderr);
    drawn_ = true;
  }
  void Finish() {
    if (drawn_) std::fprintf(stderr, "\r%60s\r", "");
    drawn_ = false;
  }

 private:
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  double last_draw_ = 0.0;
};

Status ParseStart(const std::string& text, BktParams* params) {
  std::vector<double> values;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      values.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      return Status::InvalidArgument("--start: '" + item + "' is not a number");
    }
  }
  if (values.size() != 5) {
    return Status::InvalidArgument("--start needs 5 numbers prior,learn,forget,guess,slip; got " +
                                   std::to_string(values.size()));
  }
  *params = BktParams{values[0], values[1], values[2], values[3], values[4]};
  return Status::Ok();
}

Result<FitOptions> MakeFitOptions(const FitArgs& args, ProgressBar* progress) {
  FitOptions options;
  options.threads = args.threads;
  options.restarts = args.restarts;
  options.seed = args.seed;
  options.max_iterations = args.max_iterations;
  options.tolerance = args.tolerance;
  if (!args.start.empty()) {
    BktParams start;
    PATHWISE_RETURN_IF_ERROR(ParseStart(args.start, &start));
    options.start = start;
  }
  options.forgets = args.forgets;
  options.multigs = args.multigs;
  options.multilearn = args.multilearn;
  if (args.multiprior != nullptr && args.multiprior->count() > 0) {
    options.multiprior = args.multiprior_column.empty() ? PriorGroupSource::kFirstResponse
                                                        : PriorGroupSource::kLearnerGroup;
  }
  options.ibkt = args.ibkt;
  options.ibkt_l2 = args.ibkt_l2;
  auto range = [](const std::vector<double>& v, ParamRange* r) {
    if (v.size() == 2) *r = {v[0], v[1]};
  };
  range(args.prior_bounds, &options.bounds.prior);
  range(args.learn_bounds, &options.bounds.learn);
  range(args.forget_bounds, &options.bounds.forget);
  range(args.guess_bounds, &options.bounds.guess);
  range(args.slip_bounds, &options.bounds.slip);
  options.fixed = {args.fix_prior, args.fix_learn, args.fix_forget, args.fix_guess, args.fix_slip};
  options.priors.enabled = args.beta_priors;
  auto beta = [&](const std::vector<double>& v, BetaPrior* prior) {
    if (v.size() != 2) return;
    *prior = {v[0], v[1]};
    options.priors.enabled = true;
  };
  beta(args.prior_beta, &options.priors.prior);
  beta(args.learn_beta, &options.priors.learn);
  beta(args.forget_beta, &options.priors.forget);
  beta(args.guess_beta, &options.priors.guess);
  beta(args.slip_beta, &options.priors.slip);
  options.progress = [progress](double fraction) { progress->Update(fraction); };
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  return options;
}

struct LoadedLog {
  ResponseLog log;
  ReadReport report;
  double seconds = 0.0;
};

Result<LoadedLog> LoadLog(const DataArgs& data, const FitArgs* fit) {
  PATHWISE_ASSIGN_OR_RETURN(LogFormat format, ParseLogFormat(data.format));
  ReadOptions options;
  options.skip_bad_rows = data.skip_bad_rows;
  options.activity_column = data.activity_column;
  if (data.dkvmn_header == "length") options.dkvmn_header = DkvmnHeader::kLength;
  if (data.dkvmn_header == "learner-id") options.dkvmn_header = DkvmnHeader::kLearnerId;
  if (fit != nullptr && fit->multiprior != nullptr && fit->multiprior->count() > 0) {
    options.group_column = fit->multiprior_column;
  }
  LoadedLog loaded;
  const Clock::time_point start = Clock::now();
  Result<ResponseLog> log = ReadResponseLogs(data.data, format, options, &loaded.report);
  if (!log.ok()) return log.status();
  loaded.log = std::move(log).value();
  loaded.seconds = SecondsSince(start);
  if (data.skip_bad_rows && loaded.report.rows_skipped > 0) std::cerr << loaded.report.Summary();
  return loaded;
}

ordered_json MetricsJson(const Metrics& m) {
  auto number = [](double x) { return std::isnan(x) ? ordered_json(nullptr) : ordered_json(x); };
  ordered_json j;
  j["count"] = m.count;
  j["auc"] = number(m.auc);
  j["auc_competency_mean"] = number(m.auc_competency_mean);
  j["auc_competencies"] = m.auc_competencies;
  j["rmse"] = number(m.rmse);
  j["accuracy"] = number(m.accuracy);
  j["log_loss"] = number(m.log_loss);
  j["ece"] = number(m.ece);
  return j;
}

void AddMetrics(const Metrics& m, ordered_json* report) {
  const ordered_json metrics = MetricsJson(m);
  for (const auto& item : metrics.items()) (*report)[item.key()] = item.value();
}

std::string MetricsText(const Metrics& m) {
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer),
                "%zu predictions: AUC %.4f (pooled), %.4f (mean over %zu competencies); RMSE %.4f; "
                "accuracy %.4f; log-loss %.4f; ECE %.4f\n",
                m.count, m.auc, m.auc_competency_mean, m.auc_competencies, m.rmse, m.accuracy,
                m.log_loss, m.ece);
  return buffer;
}

ordered_json BaseReport(const std::string& command, const LoadedLog& loaded) {
  ordered_json report;
  report["command"] = command;
  report["rows"] = loaded.log.num_rows();
  report["learners"] = loaded.log.learners.size();
  report["competencies"] = loaded.log.competencies.size();
  report["activities"] = loaded.log.activities.size();
  report["rows_skipped"] = loaded.report.rows_skipped;
  report["read_seconds"] = loaded.seconds;
  return report;
}

void AddFitReport(const FitResult& fit, const FitOptions& options, double seconds,
                  ordered_json* report) {
  size_t converged = 0;
  for (const CompetencyFit& c : fit.competencies) converged += c.converged ? 1 : 0;
  (*report)["threads"] = options.threads;
  (*report)["restarts"] = options.restarts;
  (*report)["iterations"] = fit.iterations;
  (*report)["obs_iterations"] = fit.obs_iterations;
  (*report)["neg_log_likelihood"] = -fit.log_likelihood;
  if (options.ibkt || options.priors.enabled)
    (*report)["neg_penalized_log_likelihood"] = -fit.penalized_log_likelihood;
  (*report)["converged_competencies"] = converged;
  (*report)["fit_seconds"] = seconds;
  ordered_json warnings = ordered_json::array();
  size_t flagged = 0;
  for (const CompetencyFit& c : fit.competencies) {
    flagged += c.warnings.empty() ? 0 : 1;
    for (const FitWarning& w : c.warnings) {
      warnings.push_back(ordered_json{{"competency", c.competency},
                                      {"code", FitWarningCodeName(w.code)},
                                      {"message", w.message}});
    }
  }
  (*report)["competencies_with_warnings"] = flagged;
  (*report)["warnings"] = std::move(warnings);
}

// One line per competency with warnings, after a count.
std::string WarningsText(const FitResult& fit) {
  std::string text;
  size_t flagged = 0;
  for (const CompetencyFit& c : fit.competencies) {
    if (c.warnings.empty()) continue;
    ++flagged;
    text += "  " + c.competency + ":";
    for (size_t i = 0; i < c.warnings.size(); ++i) {
      text += (i == 0 ? " " : "; ") + c.warnings[i].message + " [" +
              FitWarningCodeName(c.warnings[i].code) + "]";
    }
    text += "\n";
  }
  if (flagged == 0) return text;
  return "Warnings: " + std::to_string(flagged) + " of " + std::to_string(fit.competencies.size()) +
         " competencies have degenerate or weakly identified fits\n" + text;
}

std::string FitText(const FitResult& fit, double seconds) {
  size_t converged = 0;
  for (const CompetencyFit& c : fit.competencies) converged += c.converged ? 1 : 0;
  char buffer[512];
  std::snprintf(buffer, sizeof(buffer),
                "Fitted %zu competencies in %.3f s: -log-likelihood %.3f, %lld EM iterations "
                "(%lld observation-iterations), %zu converged\n",
                fit.competencies.size(), seconds, -fit.log_likelihood,
                static_cast<long long>(fit.iterations), static_cast<long long>(fit.obs_iterations),
                converged);
  return buffer;
}

void PrintReport(const CommandArgs& args, ordered_json report, const std::string& text) {
  report["peak_rss_mib"] = PeakRssMiB();
  if (args.data.report == "json") {
    std::cout << report.dump() << "\n";
  } else {
    std::cout << text;
  }
}

std::string ReadText(const LoadedLog& loaded) {
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer),
                "Read %zu rows (%zu learners, %zu competencies) in %.3f s\n", loaded.log.num_rows(),
                loaded.log.learners.size(), loaded.log.competencies.size(), loaded.seconds);
  return buffer;
}

// Fits (or loads with --model) the model a command works with; writes --model-out / --export-pybkt.
Status ObtainModel(const CommandArgs& args, const LoadedLog& loaded, ProgressBar* progress,
                   BktModel* model, ordered_json* report, std::string* text) {
  if (!args.model_in.empty()) {
    PATHWISE_ASSIGN_OR_RETURN(*model, ReadModelFile(args.model_in));
    (*report)["model"] = args.model_in;
  } else {
    PATHWISE_ASSIGN_OR_RETURN(FitOptions options, MakeFitOptions(args.fit, progress));
    const Clock::time_point start = Clock::now();
    Result<FitResult> fit = FitBkt(loaded.log, options);
    const double seconds = SecondsSince(start);
    progress->Finish();
    if (!fit.ok()) return fit.status();
    AddFitReport(*fit, options, seconds, report);
    *text += FitText(*fit, seconds);
    *text += WarningsText(*fit);
    *model = std::move(fit->model);
  }
  if (!args.model_out.empty()) {
    PATHWISE_RETURN_IF_ERROR(WriteModelFile(*model, args.model_out));
    *text += "Wrote " + args.model_out + "\n";
  }
  if (!args.export_pybkt.empty()) {
    PATHWISE_RETURN_IF_ERROR(WritePyBktParamsFile(*model, args.export_pybkt));
    *text += "Wrote " + args.export_pybkt + "\n";
  }
  return Status::Ok();
}

int Fail(const Status& status) {
  std::cerr << status.message() << "\n";
  return ExitCodeFor(status);
}

int RunFitOrEvaluate(const CommandArgs& args, bool evaluate) {
  Result<LoadedLog> loaded = LoadLog(args.data, &args.fit);
  if (!loaded.ok()) return Fail(loaded.status());
  ProgressBar progress;
  ordered_json report = BaseReport(evaluate ? "evaluate" : "fit", *loaded);
  std::string text = ReadText(*loaded);
  BktModel model;
  Status status = ObtainModel(args, *loaded, &progress, &model, &report, &text);
  if (!status.ok()) return Fail(status);
  if (evaluate) {
    const Clock::time_point start = Clock::now();
    Result<Metrics> metrics = EvaluateModel(model, loaded->log);
    if (!metrics.ok()) return Fail(metrics.status());
    AddMetrics(*metrics, &report);
    report["evaluate_seconds"] = SecondsSince(start);
    text += MetricsText(*metrics);
  }
  PrintReport(args, std::move(report), text);
  return kExitOk;
}

int RunPredict(const CommandArgs& args) {
  if (args.data.report == "json" && args.predictions_out.empty()) {
    std::cerr << "--report json prints the report on standard output; give --out FILE for the "
                 "predictions\n";
    return kExitUsage;
  }
  Result<LoadedLog> loaded = LoadLog(args.data, &args.fit);
  if (!loaded.ok()) return Fail(loaded.status());
  ProgressBar progress;
  ordered_json report = BaseReport("predict", *loaded);
  std::string text = ReadText(*loaded);
  BktModel model;
  Status status = ObtainModel(args, *loaded, &progress, &model, &report, &text);
  if (!status.ok()) return Fail(status);
  Result<std::vector<double>> predictions = PredictOneStepAhead(model, loaded->log);
  if (!predictions.ok()) return Fail(predictions.status());
  std::ofstream file;
  if (!args.predictions_out.empty()) {
    file.open(args.predictions_out, std::ios::binary | std::ios::trunc);
    if (!file)
      return Fail(Status::Internal("cannot open '" + args.predictions_out + "' for writing"));
  }
  std::ostream& out = args.predictions_out.empty() ? std::cout : file;
  const ResponseLog& log = loaded->log;
  auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string quoted = "\"";
    for (char ch : s) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return quoted + "\"";
  };
  out << "row,learner,competency,activity,correct,p_correct\n";
  char number[32];
  for (size_t r = 0; r < log.num_rows(); ++r) {
    std::snprintf(number, sizeof(number), "%.17g", (*predictions)[r]);
    out << r << ',' << field(log.learners.Name(log.learner[r])) << ','
        << field(log.competencies.Name(log.competency[r])) << ','
        << (log.activity[r] == IdTable::kNone ? std::string()
                                              : field(log.activities.Name(log.activity[r])))
        << ',' << static_cast<int>(log.correct[r]) << ',' << number << '\n';
  }
  out.flush();
  if (!out) return Fail(Status::Internal("cannot write the predictions"));
  if (!args.predictions_out.empty()) text += "Wrote " + args.predictions_out + "\n";
  if (args.predictions_out.empty()) {
    std::cerr << text;  // stdout holds the predictions
  } else {
    PrintReport(args, std::move(report), text);
  }
  return kExitOk;
}

int RunCrossValidate(const CommandArgs& args) {
  Result<LoadedLog> loaded = LoadLog(args.data, &args.fit);
  if (!loaded.ok()) return Fail(loaded.status());
  ProgressBar progress;
  Result<FitOptions> options = MakeFitOptions(args.fit, &progress);
  if (!options.ok()) return Fail(options.status());
  CrossValidationOptions cv;
  cv.folds = args.folds;
  cv.seed = args.fit.seed;
  const Clock::time_point start = Clock::now();
  Result<CrossValidationResult> result = CrossValidate(loaded->log, *options, cv);
  const double seconds = SecondsSince(start);
  progress.Finish();
  if (!result.ok()) return Fail(result.status());
  ordered_json report = BaseReport("crossvalidate", *loaded);
  report["folds"] = args.folds;
  report["threads"] = options->threads;
  report["restarts"] = options->restarts;
  report["iterations"] = result->iterations;
  report["obs_iterations"] = result->obs_iterations;
  report["cv_seconds"] = seconds;
  AddMetrics(result->pooled, &report);
  report["mean_fold_auc"] = std::isnan(result->mean_fold_auc) ? ordered_json(nullptr)
                                                              : ordered_json(result->mean_fold_auc);
  ordered_json per_fold = ordered_json::array();
  for (const Metrics& m : result->folds) per_fold.push_back(MetricsJson(m));
  report["per_fold"] = per_fold;
  std::string text = ReadText(*loaded);
  char buffer[256];
  std::snprintf(buffer, sizeof(buffer),
                "%d-fold cross-validation by learner in %.3f s; mean fold AUC %.4f\n", args.folds,
                seconds, result->mean_fold_auc);
  text += buffer;
  for (size_t k = 0; k < result->folds.size(); ++k) {
    text += "fold " + std::to_string(k) + ": " + MetricsText(result->folds[k]);
  }
  text += "all held-out rows: " + MetricsText(result->pooled);
  PrintReport(args, std::move(report), text);
  return kExitOk;
}

}  // namespace

void AddFitCommands(CLI::App& app, int* exit_code) {
  auto fit_args = std::make_shared<CommandArgs>();
  CLI::App* fit = app.add_subcommand("fit", "Fit a BKT model to response logs by EM");
  AddDataOptions(fit, &fit_args->data);
  AddFitOptions(fit, &fit_args->fit);
  fit->add_option("--model-out", fit_args->model_out, "Write the fitted model (JSON)");
  fit->add_option("--export-pybkt", fit_args->export_pybkt,
                  "Write the parameters as pyBKT params() CSV");
  fit->callback(
      [fit_args, exit_code] { *exit_code = RunFitOrEvaluate(*fit_args, /*evaluate=*/false); });

  auto evaluate_args = std::make_shared<CommandArgs>();
  CLI::App* evaluate = app.add_subcommand(
      "evaluate",
      "Score one-step-ahead predictions (of --model, or of a model fitted on the same data)");
  AddDataOptions(evaluate, &evaluate_args->data);
  AddFitOptions(evaluate, &evaluate_args->fit);
  evaluate->add_option("--model", evaluate_args->model_in,
                       "Model JSON to evaluate (default: fit first)");
  evaluate->add_option("--model-out", evaluate_args->model_out, "Write the fitted model (JSON)");
  evaluate->callback([evaluate_args, exit_code] {
    *exit_code = RunFitOrEvaluate(*evaluate_args, /*evaluate=*/true);
  });

  auto predict_args = std::make_shared<CommandArgs>();
  CLI::App* predict = app.add_subcommand(
      "predict",
      "Write one-step-ahead P(correct) per row as CSV (of --model, or of a model fitted first)");
  AddDataOptions(predict, &predict_args->data);
  AddFitOptions(predict, &predict_args->fit);
  predict->add_option("--model", predict_args->model_in,
                      "Model JSON (default: fit on the data first)");
  predict->add_option("-o,--out", predict_args->predictions_out,
                      "CSV file (default: standard output)");
  predict->callback([predict_args, exit_code] { *exit_code = RunPredict(*predict_args); });

  auto cv_args = std::make_shared<CommandArgs>();
  CLI::App* cv = app.add_subcommand("crossvalidate", "K-fold cross-validation splitting learners");
  AddDataOptions(cv, &cv_args->data);
  AddFitOptions(cv, &cv_args->fit);
  cv->add_option("--folds", cv_args->folds, "Number of folds")->check(CLI::Range(2, 1000000));
  cv->callback([cv_args, exit_code] { *exit_code = RunCrossValidate(*cv_args); });
}

}  // namespace pathwise::cli
