// pathwise._core: Fitting (EM) and evaluation.
#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/model.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {

void BindFit(py::module_& m) {
  py::class_<ParamRange>(m, "ParamRange", "A closed interval inside [0, 1].")
      .def(py::init([](double lower, double upper) {
             return ParamRange{lower, upper};
           }),
           py::arg("lower") = 0.0, py::arg("upper") = 1.0)
      .def_readwrite("lower", &ParamRange::lower)
      .def_readwrite("upper", &ParamRange::upper)
      .def(PATHWISE_REPR("lower", "upper"));
  py::class_<ParamBounds>(m, "ParamBounds",
                          "Bounds per parameter (guess and slip <= 0.3 by default).")
      .def(py::init<>())
      .def_readwrite("prior", &ParamBounds::prior)
      .def_readwrite("learn", &ParamBounds::learn)
      .def_readwrite("forget", &ParamBounds::forget)
      .def_readwrite("guess", &ParamBounds::guess)
      .def_readwrite("slip", &ParamBounds::slip)
      .def(PATHWISE_REPR("prior", "learn", "forget", "guess", "slip"));
  py::class_<FixedParams>(m, "FixedParams", "Parameters held at a value instead of fitted.")
      .def(py::init<>())
      .def_readwrite("prior", &FixedParams::prior)
      .def_readwrite("learn", &FixedParams::learn)
      .def_readwrite("forget", &FixedParams::forget)
      .def_readwrite("guess", &FixedParams::guess)
      .def_readwrite("slip", &FixedParams::slip)
      .def(PATHWISE_REPR("prior", "learn", "forget", "guess", "slip"));

  py::class_<BetaPrior>(m, "BetaPrior", "A Beta(a, b) prior on a probability (a, b >= 1).")
      .def(py::init([](double a, double b) {
             return BetaPrior{a, b};
           }),
           py::arg("a") = 1.0, py::arg("b") = 1.0)
      .def_readwrite("a", &BetaPrior::a)
      .def_readwrite("b", &BetaPrior::b)
      .def(PATHWISE_REPR("a", "b"));
  py::class_<ParamPriors>(m, "ParamPriors",
                          "MAP-EM: Beta priors on the parameters (off unless enabled).")
      .def(py::init<>())
      .def_readwrite("enabled", &ParamPriors::enabled)
      .def_readwrite("prior", &ParamPriors::prior)
      .def_readwrite("learn", &ParamPriors::learn)
      .def_readwrite("forget", &ParamPriors::forget)
      .def_readwrite("guess", &ParamPriors::guess)
      .def_readwrite("slip", &ParamPriors::slip)
      .def(PATHWISE_REPR("enabled", "prior", "learn", "forget", "guess", "slip"));
  py::class_<FitWarningThresholds>(m, "FitWarningThresholds",
                                   "When a competency's fit is flagged (see fit.h).")
      .def(py::init<>())
      .def_readwrite("bound_tolerance", &FitWarningThresholds::bound_tolerance)
      .def_readwrite("guess_plus_slip", &FitWarningThresholds::guess_plus_slip)
      .def_readwrite("no_learning", &FitWarningThresholds::no_learning)
      .def_readwrite("min_learners", &FitWarningThresholds::min_learners)
      .def_readwrite("min_rows", &FitWarningThresholds::min_rows)
      .def(PATHWISE_REPR("bound_tolerance", "guess_plus_slip", "no_learning", "min_learners",
                         "min_rows"));
  py::enum_<FitWarningCode>(m, "FitWarningCode", "What a FitWarning reports.")
      .value("PARAMETER_AT_BOUND", FitWarningCode::kParameterAtBound)
      .value("GUESS_PLUS_SLIP_NEAR_ONE", FitWarningCode::kGuessPlusSlipNearOne)
      .value("NO_LEARNING", FitWarningCode::kNoLearning)
      .value("FEW_LEARNERS", FitWarningCode::kFewLearners)
      .value("FEW_ROWS", FitWarningCode::kFewRows);
  py::class_<FitWarning>(m, "FitWarning", "One reason to distrust a competency's fit.")
      .def_readonly("code", &FitWarning::code)
      .def_property_readonly("name", [](const FitWarning& w) { return FitWarningCodeName(w.code); })
      .def_readonly("message", &FitWarning::message)
      .def(PATHWISE_REPR("name", "message"));

  py::class_<FitOptions>(m, "FitOptions", "Options of fit_bkt (see fit.h).")
      .def(py::init<>())
      .def_readwrite("max_iterations", &FitOptions::max_iterations)
      .def_readwrite("tolerance", &FitOptions::tolerance)
      .def_readwrite("restarts", &FitOptions::restarts)
      .def_readwrite("seed", &FitOptions::seed)
      .def_readwrite("threads", &FitOptions::threads)
      .def_readwrite("start", &FitOptions::start)
      .def_readwrite("bounds", &FitOptions::bounds)
      .def_readwrite("fixed", &FitOptions::fixed)
      .def_property(
          "fixed_classes",
          [](FitOptions& o) -> CompetencyActivityParamsMap& { return o.fixed_classes; },
          [](FitOptions& o, const py::object& value) {
            CompetencyActivityParamsMap out;
            for (auto item : py::reinterpret_borrow<py::dict>(value))
              out[item.first.cast<std::string>()] = MapFromPython<ActivityParamsMap>(item.second);
            o.fixed_classes = std::move(out);
          },
          py::return_value_policy::reference_internal,
          "Values fixed per class: competency id -> class name -> ActivityParams (guess/slip of "
          "a multigs class, learn of a multilearn class).")
      .def_readwrite("forgets", &FitOptions::forgets)
      .def_readwrite("multigs", &FitOptions::multigs)
      .def_readwrite("multilearn", &FitOptions::multilearn)
      .def_readwrite("multiprior", &FitOptions::multiprior)
      .def_readwrite("ibkt", &FitOptions::ibkt)
      .def_readwrite("ibkt_l2", &FitOptions::ibkt_l2)
      .def_readwrite("record_trace", &FitOptions::record_trace)
      .def_readwrite("priors", &FitOptions::priors)
      .def_readwrite("warnings", &FitOptions::warnings)
      .def("validate", [](const FitOptions& o) { ThrowIfError(o.Validate()); })
      .def(PATHWISE_REPR("max_iterations", "tolerance", "restarts", "seed", "threads", "start",
                         "bounds", "fixed", "forgets", "multigs", "multilearn", "multiprior",
                         "ibkt", "ibkt_l2", "priors"));

  py::class_<CompetencyFit>(m, "CompetencyFit", "How the fit of one competency went.")
      .def_readonly("competency", &CompetencyFit::competency)
      .def_readonly("rows", &CompetencyFit::rows)
      .def_readonly("sequences", &CompetencyFit::sequences)
      .def_readonly("log_likelihood", &CompetencyFit::log_likelihood)
      .def_readonly("iterations", &CompetencyFit::iterations)
      .def_readonly("best_restart", &CompetencyFit::best_restart)
      .def_readonly("converged", &CompetencyFit::converged)
      .def_readonly("trace", &CompetencyFit::trace)
      .def_readonly("warnings", &CompetencyFit::warnings)
      .def(PATHWISE_REPR("competency", "rows", "log_likelihood", "iterations", "converged",
                         "warnings"));

  py::class_<FitResult>(m, "FitResult", "The result of fit_bkt.")
      .def_readonly("model", &FitResult::model)
      .def_readonly("log_likelihood", &FitResult::log_likelihood)
      .def_readonly("penalized_log_likelihood", &FitResult::penalized_log_likelihood)
      .def_readonly("iterations", &FitResult::iterations)
      .def_readonly("obs_iterations", &FitResult::obs_iterations)
      .def_readonly("rows", &FitResult::rows)
      .def_readonly("learners", &FitResult::learners)
      .def_readonly("competencies", &FitResult::competencies)
      .def_readonly("trace", &FitResult::trace)
      .def(PATHWISE_REPR("log_likelihood", "iterations", "obs_iterations", "rows", "learners"));

  m.def(
      "fit_bkt",
      [](const ResponseLog& log, FitOptions options, const py::object& progress) {
        // Progress calls come from worker threads while the GIL is released: take it for the
        // call, and keep the first Python error to raise once the fit is over (the core cannot be
        // interrupted).
        auto error = std::make_shared<std::optional<py::error_already_set>>();
        if (!progress.is_none()) {
          py::object callback = progress;
          options.progress = [callback, error](double fraction) {
            py::gil_scoped_acquire gil;
            if (error->has_value()) return;
            try {
              callback(fraction);
            } catch (py::error_already_set& e) {
              error->emplace(std::move(e));
            }
          };
        }
        Result<FitResult> result = [&] {
          py::gil_scoped_release release;
          return FitBkt(log, options);
        }();
        options.progress = nullptr;  // drops the callback's reference while the GIL is held
        if (error->has_value()) throw std::move(**error);
        return ValueOrThrow(std::move(result));
      },
      py::arg("log"), py::arg("options") = FitOptions{}, py::arg("progress") = py::none(),
      "Fits a BKT model to every competency of the log by EM (releases the GIL). `progress` is "
      "called with the fraction done.");

  m.def(
      "predict_one_step_ahead",
      [](const BktModel& model, const ResponseLog& log) {
        Result<std::vector<double>> p = [&] {
          py::gil_scoped_release release;
          return PredictOneStepAhead(model, log);
        }();
        return ToNumpy(ValueOrThrow(std::move(p)));
      },
      py::arg("model"), py::arg("log"),
      "P(correct) of every row from the earlier rows of its learner and competency.");

  m.def(
      "validate_fitted_variants",
      [](const BktModel& model) { ThrowIfError(ValidateFittedVariants(model)); }, py::arg("model"));

  py::class_<MetricsOptions>(m, "MetricsOptions")
      .def(py::init<>())
      .def_readwrite("calibration_bins", &MetricsOptions::calibration_bins)
      .def_readwrite("log_loss_epsilon", &MetricsOptions::log_loss_epsilon)
      .def(PATHWISE_REPR("calibration_bins", "log_loss_epsilon"));

  py::class_<Metrics>(m, "Metrics", "Quality of P(correct) predictions; NaN when undefined.")
      .def(py::init<>())
      .def_readonly("count", &Metrics::count)
      .def_readonly("auc", &Metrics::auc)
      .def_readonly("auc_competency_mean", &Metrics::auc_competency_mean)
      .def_readonly("auc_competencies", &Metrics::auc_competencies)
      .def_readonly("rmse", &Metrics::rmse)
      .def_readonly("accuracy", &Metrics::accuracy)
      .def_readonly("log_loss", &Metrics::log_loss)
      .def_readonly("ece", &Metrics::ece)
      .def("to_dict",
           [](const py::object& self) {
             return FieldsDict(self, {"count", "auc", "auc_competency_mean", "auc_competencies",
                                      "rmse", "accuracy", "log_loss", "ece"});
           })
      .def(PATHWISE_REPR("count", "auc", "auc_competency_mean", "rmse", "accuracy", "log_loss",
                         "ece"));

  m.def(
      "compute_metrics",
      [](const InputArray<double>& correct, const InputArray<double>& p_correct,
         const std::optional<InputArray<int64_t>>& competency, const MetricsOptions& options) {
        std::vector<uint8_t> y(static_cast<size_t>(correct.size()));
        for (size_t i = 0; i < y.size(); ++i) {
          const double v = correct.data()[i];
          if (v != 0.0 && v != 1.0) {
            RaiseInvalidArgument("correct[" + std::to_string(i) + "] is not 0 or 1");
          }
          y[i] = v == 1.0 ? 1 : 0;
        }
        std::vector<double> p(p_correct.data(), p_correct.data() + p_correct.size());
        std::vector<uint32_t> c;
        if (competency) {
          c.resize(static_cast<size_t>(competency->size()));
          for (size_t i = 0; i < c.size(); ++i) {
            const int64_t v = competency->data()[i];
            if (v < 0 || v > static_cast<int64_t>(UINT32_MAX) - 1) {
              RaiseInvalidArgument("competency[" + std::to_string(i) + "] is not a valid index");
            }
            c[i] = static_cast<uint32_t>(v);
          }
        }
        Result<Metrics> metrics = [&] {
          py::gil_scoped_release release;
          return ComputeMetrics(y, p, c, options);
        }();
        return ValueOrThrow(std::move(metrics));
      },
      py::arg("correct"), py::arg("p_correct"), py::arg("competency") = py::none(),
      py::arg("options") = MetricsOptions{},
      "AUC, RMSE, accuracy, log-loss and ECE of predictions against 0/1 outcomes.");

  m.def(
      "evaluate_model",
      [](const BktModel& model, const ResponseLog& log, const MetricsOptions& options) {
        Result<Metrics> metrics = [&] {
          py::gil_scoped_release release;
          return EvaluateModel(model, log, options);
        }();
        return ValueOrThrow(std::move(metrics));
      },
      py::arg("model"), py::arg("log"), py::arg("options") = MetricsOptions{});

  py::class_<CrossValidationOptions>(m, "CrossValidationOptions")
      .def(py::init([](int folds, uint64_t seed) {
             CrossValidationOptions o;
             o.folds = folds;
             o.seed = seed;
             return o;
           }),
           py::arg("folds") = 5, py::arg("seed") = 42)
      .def_readwrite("folds", &CrossValidationOptions::folds)
      .def_readwrite("seed", &CrossValidationOptions::seed)
      .def_readwrite("metrics", &CrossValidationOptions::metrics)
      .def(PATHWISE_REPR("folds", "seed"));

  py::class_<CrossValidationResult>(m, "CrossValidationResult")
      .def_readonly("folds", &CrossValidationResult::folds)
      .def_readonly("pooled", &CrossValidationResult::pooled)
      .def_readonly("mean_fold_auc", &CrossValidationResult::mean_fold_auc)
      .def_property_readonly("learner_fold",
                             [](const CrossValidationResult& r) {
                               return ToNumpy(std::vector<uint32_t>(r.learner_fold));
                             })
      .def_readonly("iterations", &CrossValidationResult::iterations)
      .def_readonly("obs_iterations", &CrossValidationResult::obs_iterations)
      .def(PATHWISE_REPR("mean_fold_auc", "pooled", "iterations"));

  m.def(
      "cross_validate",
      [](const ResponseLog& log, const FitOptions& fit_options,
         const CrossValidationOptions& options) {
        Result<CrossValidationResult> result = [&] {
          py::gil_scoped_release release;
          return CrossValidate(log, fit_options, options);
        }();
        return ValueOrThrow(std::move(result));
      },
      py::arg("log"), py::arg("fit_options") = FitOptions{},
      py::arg("options") = CrossValidationOptions{},
      "K-fold cross-validation splitting learners (releases the GIL).");

  m.def(
      "assign_learner_folds",
      [](size_t num_learners, int folds, uint64_t seed) {
        if (folds < 1) RaiseInvalidArgument("folds must be >= 1, got " + std::to_string(folds));
        return ToNumpy(AssignLearnerFolds(num_learners, folds, seed));
      },
      py::arg("num_learners"), py::arg("folds"), py::arg("seed"),
      "Learner -> fold, as cross_validate assigns them.");
}

}  // namespace pathwise::python
