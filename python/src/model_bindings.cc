// pathwise._core: BKT parameters and models: BktParams, ActivityParams, BktModel and its maps.
#include <pathwise/bkt.h>
#include <pathwise/fit.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/pybkt_params.h>
#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {

void BindModel(py::module_& m) {
  py::class_<BktParams>(m, "BktParams",
                        "The five BKT probabilities of one competency (see bkt.h for the model).")
      .def(py::init([](double prior, double learn, double forget, double guess, double slip) {
             return BktParams{prior, learn, forget, guess, slip};
           }),
           py::arg("prior") = BktParams().prior, py::arg("learn") = BktParams().learn,
           py::arg("forget") = BktParams().forget, py::arg("guess") = BktParams().guess,
           py::arg("slip") = BktParams().slip)
      .def_readwrite("prior", &BktParams::prior, "P(L0): learned before the first opportunity.")
      .def_readwrite("learn", &BktParams::learn, "P(T): unlearned -> learned per opportunity.")
      .def_readwrite("forget", &BktParams::forget, "P(F): learned -> unlearned per opportunity.")
      .def_readwrite("guess", &BktParams::guess, "P(correct | unlearned).")
      .def_readwrite("slip", &BktParams::slip, "P(incorrect | learned).")
      .def(
          "validate", [](const BktParams& p) { ThrowIfError(p.Validate()); },
          "Raises InvalidArgumentError naming the field when a value is NaN or outside [0, 1], "
          "or guess + slip >= 1.")
      .def("predict_correct", py::overload_cast<const BktParams&, double>(&PredictCorrect),
           py::arg("p_learned"), "P(correct) given P(learned).")
      .def(
          "update",
          [](const BktParams& p, double p_learned, double credit, double weight) {
            return UpdateMastery(p, p_learned, credit, weight);
          },
          py::arg("p_learned"), py::arg("credit"), py::arg("weight") = 1.0,
          "P(learned) after one observation with this credit in [0, 1] (posterior, then "
          "transition). One step only: a probability carried across steps rounds to 1.0 after a "
          "streak; carry update_log_odds' value instead, or use a Tracker.")
      .def(
          "update_log_odds",
          [](const BktParams& p, double log_odds, double credit, double weight) {
            return UpdateOdds(p, Odds::OfLogOdds(log_odds), credit, weight).log_odds();
          },
          py::arg("log_odds"), py::arg("credit"), py::arg("weight") = 1.0,
          "The log-odds of P(learned) after one observation (the state the core carries, see "
          "bkt.h); log_odds_to_mastery reads P(learned) from it. math.inf stands for P = 1.")
      .def("mastery_ceiling", &MasteryCeiling, "learn / (learn + forget): where practice leads.")
      .def("expected_opportunities_to_mastery", &ExpectedOpportunitiesToMastery,
           py::arg("p_learned"), py::arg("threshold"),
           "Expected opportunities until P(learned) >= threshold; None when unreachable.")
      .def(py::self == py::self)
      .def(py::self != py::self)
      .def("to_dict",
           [](const py::object& self) {
             return FieldsDict(self, {"prior", "learn", "forget", "guess", "slip"});
           })
      .def(PATHWISE_REPR("prior", "learn", "forget", "guess", "slip"))
      .def(py::pickle(
          [](const BktParams& p) {
            return py::make_tuple(p.prior, p.learn, p.forget, p.guess, p.slip);
          },
          [](const py::tuple& t) {
            return BktParams{t[0].cast<double>(), t[1].cast<double>(), t[2].cast<double>(),
                             t[3].cast<double>(), t[4].cast<double>()};
          }));

  py::class_<ActivityParams>(
      m, "ActivityParams",
      "Per-activity overrides of guess, slip and learn; None falls back to the competency's.")
      .def(py::init([](std::optional<double> guess, std::optional<double> slip,
                       std::optional<double> learn) {
             return ActivityParams{guess, slip, learn};
           }),
           py::arg("guess") = py::none(), py::arg("slip") = py::none(),
           py::arg("learn") = py::none())
      .def_readwrite("guess", &ActivityParams::guess)
      .def_readwrite("slip", &ActivityParams::slip)
      .def_readwrite("learn", &ActivityParams::learn)
      .def(py::self == py::self)
      .def(PATHWISE_REPR("guess", "slip", "learn"));

  py::class_<LearnerFactors>(m, "LearnerFactors",
                             "iBKT: a learner's logit offsets on prior and learn.")
      .def(py::init([](double prior_offset, double learn_offset) {
             return LearnerFactors{prior_offset, learn_offset};
           }),
           py::arg("prior_offset") = 0.0, py::arg("learn_offset") = 0.0)
      .def_readwrite("prior_offset", &LearnerFactors::prior_offset)
      .def_readwrite("learn_offset", &LearnerFactors::learn_offset)
      .def(py::self == py::self)
      .def(PATHWISE_REPR("prior_offset", "learn_offset"));

  py::enum_<PriorGroupSource>(m, "PriorGroupSource",
                              "How a multiprior model puts a learner in a prior group.")
      .value("NONE", PriorGroupSource::kNone)
      .value("LEARNER_GROUP", PriorGroupSource::kLearnerGroup)
      .value("FIRST_RESPONSE", PriorGroupSource::kFirstResponse);

  // Dict-like views into a model; repr() shows the entries like a dict.
  auto dict_repr = [](const py::object& self) {
    return std::string(py::str(py::type::handle_of(self).attr("__name__"))) + "(" +
           std::string(py::repr(py::dict(self.attr("items")()))) + ")";
  };
  py::bind_map<BktParamsMap>(m, "BktParamsMap").def("__repr__", dict_repr);
  py::bind_map<ActivityParamsMap>(m, "ActivityParamsMap").def("__repr__", dict_repr);
  py::bind_map<CompetencyActivityParamsMap>(m, "CompetencyActivityParamsMap")
      .def("__repr__", dict_repr);
  py::bind_map<FloatMap>(m, "FloatMap").def("__repr__", dict_repr);
  py::bind_map<GroupPriorsMap>(m, "GroupPriorsMap").def("__repr__", dict_repr);
  py::bind_map<LearnerFactorsMap>(m, "LearnerFactorsMap").def("__repr__", dict_repr);

  py::class_<BktModel>(m, "BktModel",
                       "BKT parameters for a curriculum: defaults, per competency, per activity, "
                       "and the fitted variants (multigs/multilearn, multiprior, iBKT).")
      .def(py::init<>())
      .def(py::init<const BktModel&>(), py::arg("other"), "A copy of another model.")
      .def(py::init([](const BktParams& defaults) {
             BktModel model;
             model.defaults = defaults;
             return model;
           }),
           py::arg("defaults"))
      .def_readwrite("defaults", &BktModel::defaults)
      .def_property(
          "competencies", [](BktModel& model) -> BktParamsMap& { return model.competencies; },
          [](BktModel& model, const py::object& value) {
            model.competencies = MapFromPython<BktParamsMap>(value);
          },
          py::return_value_policy::reference_internal, "BktParams by competency id.")
      .def_property(
          "activities", [](BktModel& model) -> ActivityParamsMap& { return model.activities; },
          [](BktModel& model, const py::object& value) {
            model.activities = MapFromPython<ActivityParamsMap>(value);
          },
          py::return_value_policy::reference_internal, "ActivityParams by activity id.")
      .def_property(
          "competency_activities",
          [](BktModel& model) -> CompetencyActivityParamsMap& {
            return model.competency_activities;
          },
          [](BktModel& model, const py::object& value) {
            CompetencyActivityParamsMap out;
            for (auto item : py::reinterpret_borrow<py::dict>(value))
              out[item.first.cast<std::string>()] = MapFromPython<ActivityParamsMap>(item.second);
            model.competency_activities = std::move(out);
          },
          py::return_value_policy::reference_internal,
          "Fitted per-(competency, activity) overrides (multigs, multilearn).")
      .def_property(
          "competency_learn_classes",
          [](BktModel& model) -> GroupPriorsMap& { return model.competency_learn_classes; },
          [](BktModel& model, const py::object& value) {
            GroupPriorsMap out;
            for (auto item : py::reinterpret_borrow<py::dict>(value))
              out[item.first.cast<std::string>()] = MapFromPython<FloatMap>(item.second);
            model.competency_learn_classes = std::move(out);
          },
          py::return_value_policy::reference_internal,
          "multilearn on a learn-class column: competency id -> learn class -> learn.")
      .def_readwrite("prior_groups", &BktModel::prior_groups)
      .def_property(
          "group_priors", [](BktModel& model) -> GroupPriorsMap& { return model.group_priors; },
          [](BktModel& model, const py::object& value) {
            GroupPriorsMap out;
            for (auto item : py::reinterpret_borrow<py::dict>(value))
              out[item.first.cast<std::string>()] = MapFromPython<FloatMap>(item.second);
            model.group_priors = std::move(out);
          },
          py::return_value_policy::reference_internal,
          "multiprior: competency id -> group name -> prior.")
      .def_property(
          "learner_factors",
          [](BktModel& model) -> LearnerFactorsMap& { return model.learner_factors; },
          [](BktModel& model, const py::object& value) {
            model.learner_factors = MapFromPython<LearnerFactorsMap>(value);
          },
          py::return_value_policy::reference_internal, "iBKT: LearnerFactors by learner id.")
      .def(
          "validate",
          [](const BktModel& model) {
            ThrowIfError(model.Validate());
            ThrowIfError(ValidateFittedVariants(model));
          },
          "Raises InvalidArgumentError naming the field path of the first bad value.")
      .def(
          "params_for",
          [](const BktModel& model, const std::string& competency,
             const std::optional<std::string>& activity) {
            return activity ? model.ParamsFor(competency, *activity) : model.ParamsFor(competency);
          },
          py::arg("competency_id"), py::arg("activity_id") = py::none(),
          "The parameters a competency uses (with the activity's overrides when given).")
      .def("to_json", &WriteModelJson, "The model as pathwise.bkt_model JSON text.")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source_name) {
            return ValueOrThrow(ParseModelJson(text, source_name));
          },
          py::arg("text"), py::arg("source_name") = "<string>")
      .def(
          "save",
          [](const BktModel& model, const std::string& path) {
            ThrowIfError(WriteModelFile(model, path));
          },
          py::arg("path"), "Writes the model JSON to a file.")
      .def_static(
          "load", [](const std::string& path) { return ValueOrThrow(ReadModelFile(path)); },
          py::arg("path"), "Reads a model JSON file.")
      .def("export_pybkt_params", &ExportPyBktParams,
           "The parameters as CSV in the layout of pyBKT's Model.params().")
      .def("__eq__", [](const BktModel& a,
                        const BktModel& b) { return WriteModelJson(a) == WriteModelJson(b); })
      .def("__copy__", [](const BktModel& model) { return BktModel(model); })
      .def("__deepcopy__", [](const BktModel& model, py::dict) { return BktModel(model); })
      .def("__repr__",
           [](const BktModel& model) {
             return "BktModel(" + std::to_string(model.competencies.size()) + " competencies, " +
                    std::to_string(model.activities.size()) + " activities)";
           })
      .def(py::pickle(
          [](const BktModel& model) { return WriteModelJson(model); },
          [](const std::string& text) { return ValueOrThrow(ParseModelJson(text, "<pickle>")); }));
}

}  // namespace pathwise::python
