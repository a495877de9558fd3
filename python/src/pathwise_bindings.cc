// pathwise._core: pybind11 bindings of the Pathwise C++ API. Binding code only: conversions, the
// GIL, and the one place where a Status becomes a Python exception (RaiseStatus). Conveniences
// (DataFrames, keyword options, the pyBKT-compatible model) live in the pure-Python package.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl_bind.h>

#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/evaluation.h>
#include <pathwise/fit.h>
#include <pathwise/io/class_report.h>
#include <pathwise/io/graph_dot.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/mastery_csv.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/pybkt_params.h>
#include <pathwise/io/response_readers.h>
#include <pathwise/io/standards_export.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/simulator.h>
#include <pathwise/status.h>
#include <pathwise/types.h>
#include <pathwise/version.h>

namespace py = pybind11;

// Maps with reference semantics in Python, so that `model.competencies["x"].prior = 0.3` changes
// the model rather than a copy.
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::BktParams>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::ActivityParams>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, std::map<std::string, pathwise::ActivityParams>>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, double>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, std::map<std::string, double>>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::LearnerFactors>)

namespace pathwise {
namespace {

using BktParamsMap = std::map<std::string, BktParams>;
using ActivityParamsMap = std::map<std::string, ActivityParams>;
using CompetencyActivityParamsMap = std::map<std::string, ActivityParamsMap>;
using FloatMap = std::map<std::string, double>;
using GroupPriorsMap = std::map<std::string, FloatMap>;
using LearnerFactorsMap = std::map<std::string, LearnerFactors>;

// ---------------------------------------------------------------------------------------------------
// Errors: the one translation point from Status to Python exceptions.
// ---------------------------------------------------------------------------------------------------

// Exception classes, created once at import and kept for the life of the process.
struct ExceptionClasses {
  PyObject* base = nullptr;                 // PathwiseError(Exception)
  PyObject* invalid_argument = nullptr;     // (PathwiseError, ValueError)
  PyObject* failed_precondition = nullptr;  // (PathwiseError, ValueError)
  PyObject* already_exists = nullptr;       // (PathwiseError, ValueError)
  PyObject* out_of_range = nullptr;         // (PathwiseError, ValueError)
  PyObject* not_found = nullptr;            // (PathwiseError, LookupError)
  PyObject* unimplemented = nullptr;        // (PathwiseError, NotImplementedError)
  PyObject* internal = nullptr;             // (PathwiseError, RuntimeError): everything else
};
ExceptionClasses exception_classes;

PyObject* ExceptionClassFor(StatusCode code) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return exception_classes.invalid_argument;
    case StatusCode::kFailedPrecondition:
      return exception_classes.failed_precondition;
    case StatusCode::kAlreadyExists:
      return exception_classes.already_exists;
    case StatusCode::kOutOfRange:
      return exception_classes.out_of_range;
    case StatusCode::kNotFound:
      return exception_classes.not_found;
    case StatusCode::kUnimplemented:
      return exception_classes.unimplemented;
    default:
      return exception_classes.internal;
  }
}

// Raises the Python exception for a non-OK status: the class chosen by its code, the core's message
// as the exception's message, and the gRPC-style code name as `.code`. REQUIRES: the GIL is held.
[[noreturn]] void RaiseStatus(const Status& status) {
  PyObject* cls = ExceptionClassFor(status.code());
  py::object exception = py::reinterpret_borrow<py::object>(cls)(status.message());
  exception.attr("code") = py::str(std::string(StatusCodeName(status.code())));
  PyErr_SetObject(cls, exception.ptr());
  throw py::error_already_set();
}

void ThrowIfError(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

template <typename T>
T ValueOrThrow(Result<T>&& result) {
  if (!result.ok()) RaiseStatus(result.status());
  return std::move(result).value();
}

[[noreturn]] void RaiseInvalidArgument(const std::string& message) {
  RaiseStatus(Status::InvalidArgument(message));
}

PyObject* NewExceptionClass(py::module_& m, const char* name, const char* doc,
                            std::initializer_list<PyObject*> bases) {
  py::tuple base_tuple(bases.size());
  size_t i = 0;
  for (PyObject* base : bases) base_tuple[i++] = py::reinterpret_borrow<py::object>(base);
  const std::string qualified = std::string("pathwise.") + name;
  PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base_tuple.ptr(), nullptr);
  if (cls == nullptr) throw py::error_already_set();
  m.attr(name) = py::reinterpret_borrow<py::object>(cls);
  return cls;  // the new reference is kept for the life of the process
}

void BindErrors(py::module_& m) {
  exception_classes.base = NewExceptionClass(
      m, "PathwiseError",
      "Base of every error raised by Pathwise. `.code` is the status code name (e.g. "
      "'INVALID_ARGUMENT'); str(e) is the core's message.",
      {PyExc_Exception});
  PyObject* base = exception_classes.base;
  exception_classes.invalid_argument = NewExceptionClass(
      m, "InvalidArgumentError", "Malformed input: a bad range, NaN, bad syntax, an unknown name.",
      {base, PyExc_ValueError});
  exception_classes.failed_precondition = NewExceptionClass(
      m, "FailedPreconditionError",
      "Well-formed input that the current state forbids (e.g. a prerequisite cycle).",
      {base, PyExc_ValueError});
  exception_classes.already_exists =
      NewExceptionClass(m, "AlreadyExistsError", "A duplicate id.", {base, PyExc_ValueError});
  exception_classes.out_of_range =
      NewExceptionClass(m, "OutOfRangeError", "A value out of range.", {base, PyExc_ValueError});
  exception_classes.not_found = NewExceptionClass(
      m, "NotFoundError", "An id (learner, competency, activity, file) that does not exist.",
      {base, PyExc_LookupError});
  exception_classes.unimplemented = NewExceptionClass(
      m, "UnimplementedError", "Not implemented in this build.", {base, PyExc_NotImplementedError});
  exception_classes.internal = NewExceptionClass(
      m, "InternalError", "Any other failure: I/O below Pathwise, a size limit, a bug.",
      {base, PyExc_RuntimeError});

  m.def(
      "_raise_status",
      [](int code, const std::string& message) {
        if (code < 1 || code > 16) RaiseInvalidArgument("status code must be in [1, 16]");
        RaiseStatus(Status(static_cast<StatusCode>(code), message));
      },
      py::arg("code"), py::arg("message"),
      "Raises the exception a core Status with this numeric code becomes (for tests).");
}

// ---------------------------------------------------------------------------------------------------
// Small helpers.
// ---------------------------------------------------------------------------------------------------

// A NumPy array that owns the vector's buffer (no copy).
template <typename T>
py::array_t<T> ToNumpy(std::vector<T>&& values) {
  auto* heap = new std::vector<T>(std::move(values));
  py::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(heap->size())}, {sizeof(T)}, heap->data(), owner);
}

template <typename T>
using InputArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

// "ClassName(field=repr, ...)" from the object's attributes.
std::string FieldsRepr(const py::handle& self, std::initializer_list<const char*> fields) {
  std::string out = py::str(py::type::handle_of(self).attr("__name__"));
  out += "(";
  bool first = true;
  for (const char* field : fields) {
    if (!first) out += ", ";
    first = false;
    out += field;
    out += "=";
    out += py::repr(self.attr(field));
  }
  return out + ")";
}

#define PATHWISE_REPR(...) \
  "__repr__", [](const py::object& self) { return FieldsRepr(self, {__VA_ARGS__}); }

// Copies fields listed by name into a dict.
py::dict FieldsDict(const py::handle& self, std::initializer_list<const char*> fields) {
  py::dict out;
  for (const char* field : fields) out[field] = self.attr(field);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// BKT parameters and models.
// ---------------------------------------------------------------------------------------------------

template <typename Map>
Map MapFromPython(const py::handle& value) {
  if (py::isinstance<Map>(value)) return value.cast<Map>();
  Map out;
  for (auto item : py::reinterpret_borrow<py::dict>(value)) {
    out.emplace(item.first.cast<std::string>(), item.second.cast<typename Map::mapped_type>());
  }
  return out;
}

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

// ---------------------------------------------------------------------------------------------------
// Competency graph.
// ---------------------------------------------------------------------------------------------------

template <typename T>
std::vector<T> CopyAll(const std::vector<const T*>& pointers) {
  std::vector<T> out;
  out.reserve(pointers.size());
  for (const T* p : pointers) out.push_back(*p);
  return out;
}

template <typename T>
std::optional<T> CopyOrNone(const T* p) {
  return p == nullptr ? std::nullopt : std::optional<T>(*p);
}

void BindGraph(py::module_& m) {
  py::class_<Competency>(m, "Competency", "A skill / knowledge component / standard.")
      .def(py::init([](std::string id, std::string name, std::string description, std::string group,
                       std::optional<BktParams> params, double mastery_threshold,
                       std::optional<int> mastery_min_opportunities,
                       std::optional<int> mastery_recent_correct) {
             Competency c{std::move(id),    std::move(name), std::move(description),
                          std::move(group), params,          mastery_threshold};
             c.mastery_min_opportunities = mastery_min_opportunities;
             c.mastery_recent_correct = mastery_recent_correct;
             return c;
           }),
           py::arg("id"), py::arg("name") = "", py::arg("description") = "", py::arg("group") = "",
           py::arg("params") = py::none(), py::arg("mastery_threshold") = 0.95,
           py::arg("mastery_min_opportunities") = py::none(),
           py::arg("mastery_recent_correct") = py::none())
      .def_readwrite("id", &Competency::id)
      .def_readwrite("name", &Competency::name)
      .def_readwrite("description", &Competency::description)
      .def_readwrite("group", &Competency::group)
      .def_readwrite("params", &Competency::params)
      .def_readwrite("mastery_threshold", &Competency::mastery_threshold)
      .def_readwrite("mastery_min_opportunities", &Competency::mastery_min_opportunities,
                     "Evidence before mastered for this competency: at least this many answers; "
                     "None: the course's RecommenderOptions.mastery_min_opportunities.")
      .def_readwrite("mastery_recent_correct", &Competency::mastery_recent_correct,
                     "Evidence before mastered for this competency: the last N answers right; "
                     "None: the course's RecommenderOptions.mastery_recent_correct.")
      .def(PATHWISE_REPR("id", "name", "group", "params", "mastery_threshold"));

  py::class_<Group>(m, "Group", "A node of the hierarchy (area > topic > ...).")
      .def(py::init([](std::string id, std::string name, std::string parent) {
             return Group{std::move(id), std::move(name), std::move(parent)};
           }),
           py::arg("id"), py::arg("name") = "", py::arg("parent") = "")
      .def_readwrite("id", &Group::id)
      .def_readwrite("name", &Group::name)
      .def_readwrite("parent", &Group::parent)
      .def(PATHWISE_REPR("id", "name", "parent"));

  // `from` is a Python keyword, hence `from_` (PEP 8's convention).
  py::class_<Prerequisite>(m, "Prerequisite", "`from_` should be mastered before `to`.")
      .def(py::init([](std::string from, std::string to, double strength) {
             return Prerequisite{std::move(from), std::move(to), strength};
           }),
           py::arg("from_"), py::arg("to"), py::arg("strength") = 1.0)
      .def_readwrite("from_", &Prerequisite::from)
      .def_readwrite("to", &Prerequisite::to)
      .def_readwrite("strength", &Prerequisite::strength)
      .def(PATHWISE_REPR("from_", "to", "strength"));

  py::class_<PracticedCompetency>(m, "PracticedCompetency",
                                  "One Q-matrix entry: an activity practises a competency.")
      .def(py::init([](std::string competency_id, double weight) {
             return PracticedCompetency{std::move(competency_id), weight};
           }),
           py::arg("competency_id"), py::arg("weight") = 1.0)
      .def_readwrite("competency_id", &PracticedCompetency::competency_id)
      .def_readwrite("weight", &PracticedCompetency::weight)
      .def(PATHWISE_REPR("competency_id", "weight"));
  py::implicitly_convertible<py::str, PracticedCompetency>();

  py::class_<Activity>(m, "Activity", "Something a learner does: a problem, item, video.")
      .def(py::init([](std::string id, std::string name,
                       std::vector<PracticedCompetency> competencies,
                       std::optional<double> difficulty, double expected_minutes, std::string kind,
                       std::vector<std::string> tags) {
             return Activity{std::move(id),    std::move(name), std::move(competencies), difficulty,
                             expected_minutes, std::move(kind), std::move(tags)};
           }),
           py::arg("id"), py::arg("name") = "",
           py::arg("competencies") = std::vector<PracticedCompetency>{},
           py::arg("difficulty") = py::none(), py::arg("expected_minutes") = 5.0,
           py::arg("kind") = "", py::arg("tags") = std::vector<std::string>{})
      .def_readwrite("id", &Activity::id)
      .def_readwrite("name", &Activity::name)
      .def_readwrite("competencies", &Activity::competencies)
      .def_readwrite("difficulty", &Activity::difficulty)
      .def_readwrite("expected_minutes", &Activity::expected_minutes)
      .def_readwrite("kind", &Activity::kind)
      .def_readwrite("tags", &Activity::tags)
      .def(PATHWISE_REPR("id", "name", "competencies", "difficulty", "expected_minutes"));

  py::class_<GraphDefinition>(m, "GraphDefinition",
                              "Plain data for a whole graph, as read or built; may be invalid.")
      .def(py::init([](std::vector<Group> groups, std::vector<Competency> competencies,
                       std::vector<Prerequisite> prerequisites, std::vector<Activity> activities) {
             return GraphDefinition{std::move(groups), std::move(competencies),
                                    std::move(prerequisites), std::move(activities)};
           }),
           py::arg("groups") = std::vector<Group>{},
           py::arg("competencies") = std::vector<Competency>{},
           py::arg("prerequisites") = std::vector<Prerequisite>{},
           py::arg("activities") = std::vector<Activity>{})
      .def_readwrite("groups", &GraphDefinition::groups)
      .def_readwrite("competencies", &GraphDefinition::competencies)
      .def_readwrite("prerequisites", &GraphDefinition::prerequisites)
      .def_readwrite("activities", &GraphDefinition::activities)
      .def("to_json", py::overload_cast<const GraphDefinition&>(&WriteGraphJson))
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source_name) {
            return ValueOrThrow(ParseGraphJson(text, source_name));
          },
          py::arg("text"), py::arg("source_name") = "<string>",
          "Parses graph JSON without validating its meaning.")
      .def_static(
          "read",
          [](const std::string& path) { return ValueOrThrow(ReadGraphDefinitionFile(path)); },
          py::arg("path"));

  py::class_<GraphProblem>(m, "GraphProblem", "One thing wrong with a GraphDefinition.")
      .def_property_readonly(
          "kind", [](const GraphProblem& p) { return std::string(GraphProblemKindName(p.kind)); })
      .def_readonly("path", &GraphProblem::path)
      .def_readonly("message", &GraphProblem::message)
      .def(PATHWISE_REPR("kind", "path", "message"));

  m.def("validate_graph_definition", &ValidateGraphDefinition, py::arg("definition"),
        "Every problem of a definition, in definition order; empty when valid.");

  py::class_<CompetencyGraph>(
      m, "CompetencyGraph",
      "A validated competency graph: unique ids, resolved references, acyclic prerequisites.")
      .def(py::init<>())
      .def_static(
          "from_definition",
          [](GraphDefinition def) {
            return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
          },
          py::arg("definition"))
      .def_static(
          "read", [](const std::string& path) { return ValueOrThrow(ReadGraphFile(path)); },
          py::arg("path"), "Reads and validates a pathwise.graph JSON file.")
      .def_static(
          "from_json",
          [](const std::string& text, const std::string& source_name) {
            GraphDefinition def = ValueOrThrow(ParseGraphJson(text, source_name));
            return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
          },
          py::arg("text"), py::arg("source_name") = "<string>")
      .def("to_definition", &CompetencyGraph::ToDefinition)
      .def("to_json", py::overload_cast<const CompetencyGraph&>(&WriteGraphJson))
      .def(
          "save",
          [](const CompetencyGraph& graph, const std::string& path) {
            ThrowIfError(WriteGraphFile(graph, path));
          },
          py::arg("path"))
      .def(
          "to_dot",
          [](const CompetencyGraph& graph, std::unordered_map<std::string, double> mastery,
             std::optional<double> mastered_threshold, bool group_clusters, bool left_to_right) {
            DotOptions options;
            options.mastery = std::move(mastery);
            options.mastered_threshold = mastered_threshold;
            options.group_clusters = group_clusters;
            options.left_to_right = left_to_right;
            return ToDot(graph, options);
          },
          py::arg("mastery") = std::unordered_map<std::string, double>{},
          py::arg("mastered_threshold") = py::none(), py::arg("group_clusters") = true,
          py::arg("left_to_right") = true, "Graphviz DOT text (render with dot -Tsvg).")
      .def(
          "add_group", [](CompetencyGraph& g, Group x) { ThrowIfError(g.AddGroup(std::move(x))); },
          py::arg("group"))
      .def(
          "add_competency",
          [](CompetencyGraph& g, Competency x) { ThrowIfError(g.AddCompetency(std::move(x))); },
          py::arg("competency"))
      .def(
          "add_prerequisite",
          [](CompetencyGraph& g, Prerequisite x) { ThrowIfError(g.AddPrerequisite(std::move(x))); },
          py::arg("prerequisite"))
      .def(
          "add_activity",
          [](CompetencyGraph& g, Activity x) { ThrowIfError(g.AddActivity(std::move(x))); },
          py::arg("activity"))
      .def(
          "remove_competency",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveCompetency(id)); },
          py::arg("id"))
      .def(
          "remove_prerequisite",
          [](CompetencyGraph& g, const std::string& from, const std::string& to) {
            ThrowIfError(g.RemovePrerequisite(from, to));
          },
          py::arg("from_"), py::arg("to"))
      .def(
          "remove_activity",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveActivity(id)); },
          py::arg("id"))
      .def(
          "remove_group",
          [](CompetencyGraph& g, const std::string& id) { ThrowIfError(g.RemoveGroup(id)); },
          py::arg("id"))
      .def(
          "find_competency",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindCompetency(id));
          },
          py::arg("id"), "A copy of the competency, or None.")
      .def(
          "find_activity",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindActivity(id));
          },
          py::arg("id"))
      .def(
          "find_group",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyOrNone(g.FindGroup(id));
          },
          py::arg("id"))
      .def_property_readonly("num_competencies", &CompetencyGraph::num_competencies)
      .def_property_readonly("num_prerequisites", &CompetencyGraph::num_prerequisites)
      .def_property_readonly("num_activities", &CompetencyGraph::num_activities)
      .def_property_readonly("num_groups", &CompetencyGraph::num_groups)
      .def_property_readonly("competencies",
                             [](const CompetencyGraph& g) { return CopyAll(g.competencies()); })
      .def_property_readonly("activities",
                             [](const CompetencyGraph& g) { return CopyAll(g.activities()); })
      .def_property_readonly("groups", [](const CompetencyGraph& g) { return CopyAll(g.groups()); })
      .def_property_readonly("prerequisites", &CompetencyGraph::prerequisites)
      .def_property_readonly("competency_ids",
                             [](const CompetencyGraph& g) {
                               std::vector<std::string> ids;
                               for (const Competency* c : g.competencies()) ids.push_back(c->id);
                               return ids;
                             })
      .def(
          "prerequisites_of",
          [](const CompetencyGraph& g, const std::string& id) { return g.PrerequisitesOf(id); },
          py::arg("id"))
      .def(
          "dependents_of",
          [](const CompetencyGraph& g, const std::string& id) { return g.DependentsOf(id); },
          py::arg("id"))
      .def(
          "activities_for",
          [](const CompetencyGraph& g, const std::string& id) {
            return CopyAll(g.ActivitiesFor(id));
          },
          py::arg("competency_id"))
      .def("topological_order", &CompetencyGraph::TopologicalOrder)
      .def(
          "ancestors",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.Ancestors(ids));
          },
          py::arg("ids"))
      .def(
          "descendants",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.Descendants(ids));
          },
          py::arg("ids"))
      .def(
          "frontier",
          [](const CompetencyGraph& g, const py::object& mastered) {
            // A callable id -> bool, or any container of mastered ids.
            const bool is_callable = PyCallable_Check(mastered.ptr()) != 0;
            return g.Frontier([&](const std::string& id) {
              py::str key(id);
              return is_callable ? mastered(key).cast<bool>() : mastered.contains(key);
            });
          },
          py::arg("mastered"),
          "Unmastered competencies whose prerequisites are all mastered, in topological order. "
          "`mastered` is a set of competency ids or a callable id -> bool.")
      .def(
          "expand_goals",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.ExpandGoals(ids));
          },
          py::arg("goal_ids"))
      .def(
          "subgraph_for_goals",
          [](const CompetencyGraph& g, const std::vector<std::string>& ids) {
            return ValueOrThrow(g.SubgraphForGoals(ids));
          },
          py::arg("goal_ids"))
      .def(
          "group_members",
          [](const CompetencyGraph& g, const std::string& id) { return g.GroupMembers(id); },
          py::arg("group_id"))
      .def("__copy__", [](const CompetencyGraph& g) { return CompetencyGraph(g); })
      .def("__deepcopy__", [](const CompetencyGraph& g, py::dict) { return CompetencyGraph(g); })
      .def("__repr__",
           [](const CompetencyGraph& g) {
             return "CompetencyGraph(" + std::to_string(g.num_competencies()) + " competencies, " +
                    std::to_string(g.num_prerequisites()) + " prerequisites, " +
                    std::to_string(g.num_activities()) + " activities, " +
                    std::to_string(g.num_groups()) + " groups)";
           })
      .def(py::pickle([](const CompetencyGraph& g) { return WriteGraphJson(g); },
                      [](const std::string& text) {
                        GraphDefinition def = ValueOrThrow(ParseGraphJson(text, "<pickle>"));
                        return ValueOrThrow(CompetencyGraph::FromDefinition(std::move(def)));
                      }));

  py::class_<ImportProblem>(m, "ImportProblem", "One thing wrong with imported data.")
      .def_property_readonly(
          "kind", [](const ImportProblem& p) { return std::string(ImportProblemKindName(p.kind)); })
      .def_readonly("file", &ImportProblem::file)
      .def_readonly("line", &ImportProblem::line)
      .def_readonly("message", &ImportProblem::message)
      .def_readonly("action", &ImportProblem::action)
      .def("__str__", &ImportProblem::ToString)
      .def(PATHWISE_REPR("kind", "file", "line", "message", "action"));
  py::class_<ImportReport>(m, "ImportReport")
      .def_readonly("problems", &ImportReport::problems)
      .def_readonly("rows_read", &ImportReport::rows_read)
      .def_readonly("references_read", &ImportReport::references_read)
      .def(PATHWISE_REPR("rows_read", "references_read", "problems"));
  py::class_<ImportedGraph>(m, "ImportedGraph")
      .def_readonly("graph", &ImportedGraph::graph)
      .def_readonly("report", &ImportedGraph::report)
      .def(PATHWISE_REPR("graph", "report"));

  m.def(
      "import_junyi",
      [](const std::string& path, bool repair) {
        ImportOptions options;
        options.repair = repair;
        return ValueOrThrow(ImportJunyiExerciseTable(path, options));
      },
      py::arg("path"), py::arg("repair") = false,
      "Imports the Junyi Academy exercise table (prerequisites, topics, areas).");
  m.def(
      "import_eedi",
      [](const std::string& subjects, const std::optional<std::string>& questions, bool repair) {
        ImportOptions options;
        options.repair = repair;
        return ValueOrThrow(ImportEediSubjects(subjects, questions, options));
      },
      py::arg("subject_csv"), py::arg("question_csv") = py::none(), py::arg("repair") = false,
      "Imports the Eedi subject tree (and questions as activities).");
  m.def(
      "read_mastery_csv",
      [](const std::string& path, const CompetencyGraph* graph) {
        return ValueOrThrow(ReadMasteryCsv(path, graph));
      },
      py::arg("path"), py::arg("graph") = nullptr);
}

// ---------------------------------------------------------------------------------------------------
// Observations, tracker, engine.
// ---------------------------------------------------------------------------------------------------

std::vector<Observation> ObservationsFromArrays(
    const std::vector<std::string>& learner_ids, const std::vector<std::string>& activity_ids,
    const InputArray<double>& outcomes, const std::optional<InputArray<int64_t>>& times,
    const std::optional<std::vector<std::string>>& ids) {
  const size_t n = learner_ids.size();
  auto check = [n](size_t size, const char* name) {
    if (size != n) {
      RaiseInvalidArgument(std::string(name) + " has " + std::to_string(size) +
                           " entries, learner_ids has " + std::to_string(n));
    }
  };
  check(activity_ids.size(), "activity_ids");
  check(static_cast<size_t>(outcomes.size()), "outcomes");
  if (outcomes.ndim() != 1) RaiseInvalidArgument("outcomes must be one-dimensional");
  if (times) check(static_cast<size_t>(times->size()), "timestamps_ms");
  if (ids) check(ids->size(), "event_ids");
  std::vector<Observation> observations(n);
  const double* outcome = outcomes.data();
  const int64_t* time = times ? times->data() : nullptr;
  for (size_t i = 0; i < n; ++i) {
    Observation& o = observations[i];
    if (ids) o.event_id = (*ids)[i];
    o.learner_id = learner_ids[i];
    o.activity_id = activity_ids[i];
    o.outcome = outcome[i];
    o.timestamp_ms = time ? time[i] : 0;
  }
  return observations;
}

template <typename Recorder>
size_t RecordArrays(Recorder& recorder, const std::vector<std::string>& learner_ids,
                    const std::vector<std::string>& activity_ids,
                    const InputArray<double>& outcomes,
                    const std::optional<InputArray<int64_t>>& times,
                    const std::optional<std::vector<std::string>>& ids) {
  std::vector<Observation> observations =
      ObservationsFromArrays(learner_ids, activity_ids, outcomes, times, ids);
  Result<size_t> applied = [&] {
    py::gil_scoped_release release;
    return recorder.RecordBatch(observations);
  }();
  return ValueOrThrow(std::move(applied));
}

// pathwise.NOW: the explicit "stamp this observation with the wall clock" (the core reads no
// clock).
struct NowSentinel {};

TimestampMs TimestampFromPython(const py::object& timestamp_ms) {
  if (py::isinstance<NowSentinel>(timestamp_ms)) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  if (timestamp_ms.is_none()) {
    throw py::type_error(
        "Observation: timestamp_ms is required: milliseconds since the Unix epoch, or pathwise.NOW "
        "for the current time");
  }
  return timestamp_ms.cast<TimestampMs>();
}

void BindTracker(py::module_& m) {
  py::class_<NowSentinel>(m, "_Now", "The type of pathwise.NOW.")
      .def("__repr__", [](const NowSentinel&) { return std::string("pathwise.NOW"); });
  m.attr("NOW") = NowSentinel{};

  py::class_<Observation>(m, "Observation",
                          R"doc(One thing a learner did: an activity and its outcome.

``timestamp_ms`` is required: milliseconds since the Unix epoch, or ``pathwise.NOW`` to stamp the
observation with the current wall-clock time (explicitly, so that a replayed log never gets "now"
by accident). Review scheduling and continuity read it.)doc")
      .def(py::init([](std::string event_id, std::string learner_id, std::string activity_id,
                       double outcome, const py::object& timestamp_ms) {
             return Observation{std::move(event_id), std::move(learner_id), std::move(activity_id),
                                outcome, TimestampFromPython(timestamp_ms)};
           }),
           py::arg("event_id") = "", py::arg("learner_id") = "", py::arg("activity_id") = "",
           py::arg("outcome") = 0.0, py::arg("timestamp_ms") = py::none())
      .def_readwrite("event_id", &Observation::event_id)
      .def_readwrite("learner_id", &Observation::learner_id)
      .def_readwrite("activity_id", &Observation::activity_id)
      .def_readwrite("outcome", &Observation::outcome)
      .def_readwrite("timestamp_ms", &Observation::timestamp_ms)
      .def(PATHWISE_REPR("event_id", "learner_id", "activity_id", "outcome", "timestamp_ms"));

  m.def(
      "read_observations_csv",
      [](const std::string& path) { return ValueOrThrow(ReadObservationsCsv(path)); },
      py::arg("path"),
      "Reads an events CSV (event_id, learner_id, activity_id, outcome, timestamp).");
  m.def(
      "parse_observations_csv",
      [](const std::string& text, const std::string& source_name) {
        return ValueOrThrow(ParseObservationsCsv(text, source_name));
      },
      py::arg("text"), py::arg("source_name") = "<string>");

  // Exports (standards_export.h, class_report.h): text out, so that Python writes it where it
  // likes.
  m.def(
      "mastery_statements",
      [](const CompetencyGraph& graph, const BktModel& model,
         const std::vector<Observation>& events, const std::string& home_page,
         const std::string& iri_base, bool progressed) {
        XapiExportOptions options;
        options.account_home_page = home_page;
        options.iris.base = iri_base;
        options.progressed = progressed;
        const std::vector<MasteryChange> changes =
            ValueOrThrow(ReplayMasteryChanges(graph, model, events));
        return ValueOrThrow(MasteryStatementsJson(graph, changes, options));
      },
      py::arg("graph"), py::arg("model"), py::arg("events"), py::arg("home_page"),
      py::arg("iri_base") = CompetencyIriScheme{}.base, py::arg("progressed") = true,
      "xAPI statements (a JSON array, as text) for every mastery change of the events replayed in "
      "order: progressed with the new P(learned), mastered when a threshold is crossed.");
  m.def(
      "class_report_html",
      [](const CompetencyGraph& graph, const BktModel& model,
         const std::vector<Observation>& events, const std::vector<std::string>& learners,
         const std::map<std::string, std::vector<std::string>>& cohorts,
         const std::vector<std::string>& goals, const std::string& title) {
        ClassReportInput input;
        input.learners = learners;
        input.events = events;
        input.cohorts = cohorts;
        ClassReportOptions options;
        options.goals = goals;
        options.title = title;
        return ClassReportHtml(ValueOrThrow(BuildClassReport(graph, model, input, options)));
      },
      py::arg("graph"), py::arg("model"), py::arg("events"),
      py::arg("learners") = std::vector<std::string>{},
      py::arg("cohorts") = std::map<std::string, std::vector<std::string>>{},
      py::arg("goals") = std::vector<std::string>{}, py::arg("title") = "Class report",
      "The class report as one self-contained HTML page (class_report.h).");
  m.def("log_odds_to_mastery", &MasteryFromLogOdds, py::arg("log_odds"),
        "P(learned) = 1 / (1 + exp(-log_odds)).");
  m.def("mastery_to_log_odds", &ProbabilityToLogOdds, py::arg("p_learned"),
        "log(p / (1 - p)); inf at 1, -inf at 0.");
  m.def(
      "parse_timestamp", [](const std::string& text) { return ValueOrThrow(ParseTimestamp(text)); },
      py::arg("text"), "Milliseconds since the epoch from ISO 8601 UTC or a millisecond count.");

  py::class_<MasteryEstimate>(m, "MasteryEstimate", "What is known of one (learner, competency).")
      .def_readonly("competency_id", &MasteryEstimate::competency_id)
      .def_readonly("p_learned", &MasteryEstimate::p_learned)
      .def_readonly("log_odds", &MasteryEstimate::log_odds,
                    "log(P / (1 - P)): the state behind p_learned, which keeps the evidence "
                    "p_learned rounds away near 1.")
      .def_readonly("mastered", &MasteryEstimate::mastered)
      .def_readonly("opportunities", &MasteryEstimate::opportunities)
      .def_readonly("last_practiced_ms", &MasteryEstimate::last_practiced_ms)
      .def(PATHWISE_REPR("competency_id", "p_learned", "mastered", "opportunities",
                         "last_practiced_ms"));

  py::class_<LearnerMastery>(m, "LearnerMastery",
                             "A learner's mastery of every competency, in graph order.")
      .def_readonly("learner_id", &LearnerMastery::learner_id)
      .def_readonly("competencies", &LearnerMastery::competencies)
      .def_property_readonly(
          "p_learned",
          [](const LearnerMastery& lm) {
            std::vector<double> p;
            p.reserve(lm.competencies.size());
            for (const MasteryEstimate& e : lm.competencies) p.push_back(e.p_learned);
            return ToNumpy(std::move(p));
          },
          "P(learned) of every competency as a NumPy array, in graph order.")
      .def_property_readonly("competency_ids",
                             [](const LearnerMastery& lm) {
                               std::vector<std::string> ids;
                               for (const MasteryEstimate& e : lm.competencies)
                                 ids.push_back(e.competency_id);
                               return ids;
                             })
      .def(
          "to_dict",
          [](const LearnerMastery& lm) {
            py::dict out;
            for (const MasteryEstimate& e : lm.competencies)
              out[py::str(e.competency_id)] = e.p_learned;
            return out;
          },
          "{competency_id: p_learned}.")
      .def("__repr__", [](const LearnerMastery& lm) {
        return "LearnerMastery(learner_id='" + lm.learner_id + "', " +
               std::to_string(lm.competencies.size()) + " competencies)";
      });

  py::class_<RecordResult>(m, "RecordResult")
      .def_readonly("applied", &RecordResult::applied)
      .def_readonly("updated", &RecordResult::updated)
      .def(PATHWISE_REPR("applied", "updated"));

  py::class_<TrackerOptions>(m, "TrackerOptions")
      .def(py::init([](int num_shards, bool individual_pace, double pace_prior_sd) {
             return TrackerOptions{num_shards, individual_pace, pace_prior_sd};
           }),
           py::arg("num_shards") = TrackerOptions().num_shards,
           py::arg("individual_pace") = TrackerOptions().individual_pace,
           py::arg("pace_prior_sd") = TrackerOptions().pace_prior_sd)
      .def_readwrite("num_shards", &TrackerOptions::num_shards)
      .def_readwrite("individual_pace", &TrackerOptions::individual_pace,
                     "Estimate each learner's prior and learn offsets online (iBKT-style, shrunk "
                     "toward the population) and use them in their updates. Off: standard BKT.")
      .def_readwrite("pace_prior_sd", &TrackerOptions::pace_prior_sd,
                     "Standard deviation of the population prior on each offset, in [0.1, 5].")
      .def(PATHWISE_REPR("num_shards", "individual_pace", "pace_prior_sd"));

  py::class_<MasteryTracker::MemoryUsage>(m, "TrackerMemoryUsage")
      .def_readonly("learners", &MasteryTracker::MemoryUsage::learners)
      .def_readonly("states", &MasteryTracker::MemoryUsage::states)
      .def_readonly("event_ids", &MasteryTracker::MemoryUsage::event_ids)
      .def_readonly("bytes", &MasteryTracker::MemoryUsage::bytes)
      .def(PATHWISE_REPR("learners", "states", "event_ids", "bytes"));

  py::class_<MasteryTracker>(
      m, "MasteryTracker",
      "Online BKT mastery for many learners. Thread-safe; bulk calls release the GIL.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const BktModel& model, TrackerOptions options) {
            return ValueOrThrow(MasteryTracker::Create(graph, model, options));
          },
          py::arg("graph"), py::arg("model") = BktModel{}, py::arg("options") = TrackerOptions{})
      .def(
          "record",
          [](MasteryTracker& t, const Observation& o) { return ValueOrThrow(t.Record(o)); },
          py::arg("observation"))
      .def(
          "record_batch",
          [](MasteryTracker& t, const std::vector<Observation>& observations) {
            Result<size_t> applied = [&] {
              py::gil_scoped_release release;
              return t.RecordBatch(observations);
            }();
            return ValueOrThrow(std::move(applied));
          },
          py::arg("observations"),
          "Validates all, then applies in order; nothing is applied on error. Returns how many "
          "were applied (not duplicates).")
      .def("record_arrays", &RecordArrays<MasteryTracker>, py::arg("learner_ids"),
           py::arg("activity_ids"), py::arg("outcomes"), py::arg("timestamps_ms") = py::none(),
           py::arg("event_ids") = py::none(),
           "record_batch from parallel arrays (outcomes as floats in [0, 1]).")
      .def(
          "activity_index",
          [](const MasteryTracker& t, const std::string& id) {
            return ValueOrThrow(t.ActivityIndex(id));
          },
          py::arg("activity_id"))
      .def(
          "record_sequence",
          [](MasteryTracker& t, const std::string& learner_id,
             const InputArray<uint32_t>& activity_indices, const InputArray<float>& outcomes,
             const std::optional<InputArray<int64_t>>& times) {
            const size_t n = static_cast<size_t>(activity_indices.size());
            if (static_cast<size_t>(outcomes.size()) != n ||
                (times && static_cast<size_t>(times->size()) != n)) {
              RaiseInvalidArgument("activity_indices, outcomes and timestamps_ms differ in length");
            }
            std::vector<ResolvedOutcome> steps(n);
            for (size_t i = 0; i < n; ++i) {
              steps[i] = {activity_indices.data()[i], outcomes.data()[i],
                          times ? times->data()[i] : 0};
            }
            Status status = [&] {
              py::gil_scoped_release release;
              return t.RecordSequence(learner_id, steps);
            }();
            ThrowIfError(status);
          },
          py::arg("learner_id"), py::arg("activity_indices"), py::arg("outcomes"),
          py::arg("timestamps_ms") = py::none(),
          "Bulk replay of one learner's history (no event ids, nothing deduplicated).")
      .def(
          "mastery",
          [](const MasteryTracker& t, const std::string& learner) {
            return ValueOrThrow(t.Mastery(learner));
          },
          py::arg("learner_id"))
      .def(
          "mastery",
          [](const MasteryTracker& t, const std::string& learner, const std::string& competency) {
            return ValueOrThrow(t.Mastery(learner, competency));
          },
          py::arg("learner_id"), py::arg("competency_id"))
      .def(
          "mastery_matrix",
          [](const MasteryTracker& t, const std::vector<std::string>& learners) {
            std::vector<LearnerMastery> rows;
            rows.reserve(learners.size());
            for (const std::string& learner : learners)
              rows.push_back(ValueOrThrow(t.Mastery(learner)));
            const size_t width = rows.empty() ? 0 : rows.front().competencies.size();
            py::array_t<double> out({rows.size(), width});
            auto view = out.mutable_unchecked<2>();
            for (size_t i = 0; i < rows.size(); ++i)
              for (size_t j = 0; j < width; ++j) view(i, j) = rows[i].competencies[j].p_learned;
            return out;
          },
          py::arg("learner_ids"),
          "P(learned) as a (learners x competencies) array, competencies in graph order.")
      .def(
          "prior_mastery",
          [](const MasteryTracker& t, const std::string& learner) {
            return t.PriorMastery(learner);
          },
          py::arg("learner_id"))
      .def(
          "pace",
          [](const MasteryTracker& t, const std::string& learner) {
            return ValueOrThrow(t.Pace(learner));
          },
          py::arg("learner_id"),
          "The learner's LearnerFactors: estimated (individual_pace), fixed by set_pace or the "
          "model's learner_factors, or 0 (the population).")
      .def(
          "set_pace",
          [](MasteryTracker& t, const std::string& learner, const LearnerFactors& factors) {
            ThrowIfError(t.SetPace(learner, factors));
          },
          py::arg("learner_id"), py::arg("factors"),
          "Fixes a learner's offsets; later updates use them and no longer estimate them.")
      .def(
          "save_pace",
          [](const MasteryTracker& t, const std::string& learner) {
            return py::bytes(ValueOrThrow(t.SavePace(learner)));
          },
          py::arg("learner_id"),
          "The learner's pace (estimate and posterior) as versioned bytes to store; b'' for an "
          "unknown learner or one at the population's parameters.")
      .def(
          "restore_pace",
          [](MasteryTracker& t, const std::string& learner, const py::bytes& bytes) {
            ThrowIfError(t.RestorePace(learner, std::string(bytes)));
          },
          py::arg("learner_id"), py::arg("state"),
          "Replaces the learner's pace by save_pace's bytes (b'': the pace a new learner gets). "
          "ValueError naming the byte offset for bad bytes; nothing changes then.")
      .def(
          "has_learner",
          [](const MasteryTracker& t, const std::string& learner) { return t.HasLearner(learner); },
          py::arg("learner_id"))
      .def(
          "remove_learner",
          [](MasteryTracker& t, const std::string& learner) {
            ThrowIfError(t.RemoveLearner(learner));
          },
          py::arg("learner_id"))
      .def("learner_ids", &MasteryTracker::LearnerIds)
      .def_property_readonly("num_learners", &MasteryTracker::num_learners)
      .def("estimate_memory", &MasteryTracker::EstimateMemory);

  py::class_<EngineOptions>(m, "EngineOptions")
      .def(py::init([](TrackerOptions tracker) { return EngineOptions{tracker}; }),
           py::arg("tracker") = TrackerOptions{})
      .def_readwrite("tracker", &EngineOptions::tracker);

  py::class_<GroupMastery>(m, "GroupMastery", "Roll-up of a group: the mean of its members.")
      .def_readonly("group_id", &GroupMastery::group_id)
      .def_readonly("p_learned", &GroupMastery::p_learned)
      .def_readonly("mastered", &GroupMastery::mastered)
      .def_readonly("members", &GroupMastery::members)
      .def_readonly("members_mastered", &GroupMastery::members_mastered)
      .def(PATHWISE_REPR("group_id", "p_learned", "mastered", "members", "members_mastered"));

  py::class_<Engine>(m, "Engine", "A competency graph, a BKT model and a mastery tracker together.")
      .def_static(
          "create",
          [](CompetencyGraph graph, BktModel model, EngineOptions options) {
            return ValueOrThrow(Engine::Create(std::move(graph), std::move(model), options));
          },
          py::arg("graph"), py::arg("model") = BktModel{}, py::arg("options") = EngineOptions{})
      // Copies: the engine's graph and model are immutable after create().
      .def_property_readonly("graph", [](const Engine& e) { return CompetencyGraph(e.graph()); })
      .def_property_readonly("model", [](const Engine& e) { return BktModel(e.model()); })
      .def_property_readonly(
          "tracker", [](Engine& e) -> MasteryTracker& { return e.tracker(); },
          py::return_value_policy::reference_internal)
      .def(
          "record", [](Engine& e, const Observation& o) { return ValueOrThrow(e.Record(o)); },
          py::arg("observation"),
          "Records one observation: the tracker's mastery and the state of every policy the "
          "engine serves (zpdes) are updated from this one call. A duplicate event id changes "
          "nothing.")
      .def(
          "record_batch",
          [](Engine& e, const std::vector<Observation>& observations) {
            Result<size_t> applied = [&] {
              py::gil_scoped_release release;
              return e.RecordBatch(observations);
            }();
            return ValueOrThrow(std::move(applied));
          },
          py::arg("observations"))
      .def("record_arrays", &RecordArrays<Engine>, py::arg("learner_ids"), py::arg("activity_ids"),
           py::arg("outcomes"), py::arg("timestamps_ms") = py::none(),
           py::arg("event_ids") = py::none())
      .def(
          "mastery", [](const Engine& e, const std::string& learner) { return e.Mastery(learner); },
          py::arg("learner_id"), "Mastery of a learner; an unknown learner is at the priors.")
      .def(
          "frontier",
          [](const Engine& e, const std::string& learner) { return e.Frontier(learner); },
          py::arg("learner_id"))
      .def(
          "group_rollup",
          [](const Engine& e, const std::string& learner) { return e.GroupRollup(learner); },
          py::arg("learner_id"));
}

// ---------------------------------------------------------------------------------------------------
// Response logs and readers.
// ---------------------------------------------------------------------------------------------------

// Interns `names` in order; InvalidArgument when a name repeats (the codes would be ambiguous).
void InternAll(const std::vector<std::string>& names, const char* field, IdTable* table) {
  for (size_t i = 0; i < names.size(); ++i) {
    const uint32_t index = table->Intern(names[i]);
    if (index != i) {
      RaiseInvalidArgument(std::string(field) + "[" + std::to_string(i) + "] '" + names[i] +
                           "' repeats " + field + "[" + std::to_string(index) + "]");
    }
  }
}

// Copies codes into a column, checking that each is an index into a table of `size` names (or -1
// when `allow_none`, stored as IdTable::kNone). Returns the first bad index, or -1.
int64_t CopyCodes(const int64_t* codes, size_t n, size_t size, bool allow_none,
                  std::vector<uint32_t>* column) {
  column->resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t code = codes[i];
    if (code >= 0 && static_cast<uint64_t>(code) < size) {
      (*column)[i] = static_cast<uint32_t>(code);
    } else if (allow_none && code == -1) {
      (*column)[i] = IdTable::kNone;
    } else {
      return static_cast<int64_t>(i);
    }
  }
  return -1;
}

ResponseLog LogFromCodes(const InputArray<int64_t>& learner,
                         const std::vector<std::string>& learner_names,
                         const InputArray<int64_t>& competency,
                         const std::vector<std::string>& competency_names,
                         const InputArray<double>& correct,
                         const std::optional<InputArray<int64_t>>& activity,
                         const std::vector<std::string>& activity_names,
                         const std::optional<InputArray<int64_t>>& learner_group,
                         const std::vector<std::string>& group_names,
                         const std::optional<InputArray<int64_t>>& learn_class,
                         const std::vector<std::string>& learn_class_names) {
  const size_t n = static_cast<size_t>(learner.size());
  auto check_length = [n](size_t size, const char* name) {
    if (size != n) {
      RaiseInvalidArgument(std::string(name) + " has " + std::to_string(size) +
                           " rows, learner has " + std::to_string(n));
    }
  };
  for (const py::array* a :
       {static_cast<const py::array*>(&learner), static_cast<const py::array*>(&competency),
        static_cast<const py::array*>(&correct)}) {
    if (a->ndim() != 1) RaiseInvalidArgument("log columns must be one-dimensional arrays");
  }
  check_length(static_cast<size_t>(competency.size()), "competency");
  check_length(static_cast<size_t>(correct.size()), "correct");
  if (activity) check_length(static_cast<size_t>(activity->size()), "activity");
  if (learn_class) check_length(static_cast<size_t>(learn_class->size()), "learn_class");
  if (n >= (uint64_t{1} << 32)) {
    RaiseStatus(Status::ResourceExhausted("a ResponseLog holds fewer than 2^32 rows"));
  }
  if (learner_group && static_cast<size_t>(learner_group->size()) != learner_names.size()) {
    RaiseInvalidArgument("learner_group has " + std::to_string(learner_group->size()) +
                         " entries, one per learner (" + std::to_string(learner_names.size()) +
                         ") expected");
  }

  ResponseLog log;
  InternAll(learner_names, "learner_names", &log.learners);
  InternAll(competency_names, "competency_names", &log.competencies);
  InternAll(activity_names, "activity_names", &log.activities);
  InternAll(group_names, "group_names", &log.groups);
  InternAll(learn_class_names, "learn_class_names", &log.learn_classes);

  struct BadRow {
    const char* column = nullptr;
    int64_t row = -1;
  } bad;
  {
    py::gil_scoped_release release;
    const int64_t bad_learner =
        CopyCodes(learner.data(), n, learner_names.size(), false, &log.learner);
    const int64_t bad_competency =
        CopyCodes(competency.data(), n, competency_names.size(), false, &log.competency);
    int64_t bad_activity = -1;
    if (activity) {
      bad_activity = CopyCodes(activity->data(), n, activity_names.size(), true, &log.activity);
    } else {
      log.activity.assign(n, IdTable::kNone);
    }
    int64_t bad_learn_class = -1;
    if (learn_class) {
      bad_learn_class =
          CopyCodes(learn_class->data(), n, learn_class_names.size(), true, &log.learn_class);
    }
    int64_t bad_correct = -1;
    log.correct.resize(n);
    const double* c = correct.data();
    for (size_t i = 0; i < n; ++i) {
      if (c[i] == 1.0) {
        log.correct[i] = 1;
      } else if (c[i] == 0.0) {
        log.correct[i] = 0;
      } else {
        bad_correct = static_cast<int64_t>(i);
        break;
      }
    }
    int64_t bad_group = -1;
    if (learner_group) {
      bad_group = CopyCodes(learner_group->data(), learner_names.size(), group_names.size(), true,
                            &log.learner_group);
    }
    if (bad_learner >= 0)
      bad = {"learner", bad_learner};
    else if (bad_competency >= 0)
      bad = {"competency", bad_competency};
    else if (bad_activity >= 0)
      bad = {"activity", bad_activity};
    else if (bad_correct >= 0)
      bad = {"correct", bad_correct};
    else if (bad_group >= 0)
      bad = {"learner_group", bad_group};
    else if (bad_learn_class >= 0)
      bad = {"learn_class", bad_learn_class};
  }
  if (bad.column != nullptr) {
    const std::string column = bad.column;
    const std::string at = column + "[" + std::to_string(bad.row) + "]";
    if (column == "correct") {
      RaiseInvalidArgument(at + " = " +
                           py::repr(py::float_(correct.data()[bad.row])).cast<std::string>() +
                           " is not 0 or 1");
    }
    RaiseInvalidArgument(at + " is not an index into the " + column + " names");
  }
  return log;
}

void BindLog(py::module_& m) {
  py::class_<ResponseLog>(
      m, "ResponseLog",
      "Learner responses in columnar form (one row per response and competency), the input of "
      "fitting and evaluation. Rows keep their order; within a learner that is the time order.")
      .def(py::init<>())
      .def_static(
          "from_codes", &LogFromCodes, py::arg("learner"), py::arg("learner_names"),
          py::arg("competency"), py::arg("competency_names"), py::arg("correct"),
          py::arg("activity") = py::none(), py::arg("activity_names") = std::vector<std::string>{},
          py::arg("learner_group") = py::none(),
          py::arg("group_names") = std::vector<std::string>{}, py::arg("learn_class") = py::none(),
          py::arg("learn_class_names") = std::vector<std::string>{},
          "Builds a log from integer codes into name lists (activity -1: none; "
          "learner_group: one code per learner, -1 none; learn_class: the optional "
          "multilearn class column, -1 none) and 0/1 outcomes.")
      .def_property_readonly("num_rows", &ResponseLog::num_rows)
      .def("__len__", &ResponseLog::num_rows)
      .def_property_readonly("learner_names",
                             [](const ResponseLog& l) { return l.learners.names(); })
      .def_property_readonly("competency_names",
                             [](const ResponseLog& l) { return l.competencies.names(); })
      .def_property_readonly("activity_names",
                             [](const ResponseLog& l) { return l.activities.names(); })
      .def_property_readonly("group_names", [](const ResponseLog& l) { return l.groups.names(); })
      .def_property_readonly("learn_class_names",
                             [](const ResponseLog& l) { return l.learn_classes.names(); })
      .def_property_readonly(
          "learn_class",
          [](const ResponseLog& l) {
            std::vector<int64_t> out(l.learn_class.size());
            for (size_t i = 0; i < out.size(); ++i) {
              out[i] =
                  l.learn_class[i] == IdTable::kNone ? -1 : static_cast<int64_t>(l.learn_class[i]);
            }
            return ToNumpy(std::move(out));
          },
          "Per row: index into learn_class_names, -1 for none; empty without the column.")
      .def_property_readonly(
          "learner", [](const ResponseLog& l) { return ToNumpy(std::vector<uint32_t>(l.learner)); },
          "Per row: index into learner_names (a copy).")
      .def_property_readonly(
          "competency",
          [](const ResponseLog& l) { return ToNumpy(std::vector<uint32_t>(l.competency)); },
          "Per row: index into competency_names (a copy).")
      .def_property_readonly(
          "activity",
          [](const ResponseLog& l) {
            std::vector<int64_t> out(l.activity.size());
            for (size_t i = 0; i < out.size(); ++i)
              out[i] = l.activity[i] == IdTable::kNone ? -1 : static_cast<int64_t>(l.activity[i]);
            return ToNumpy(std::move(out));
          },
          "Per row: index into activity_names, -1 for none (a copy).")
      .def_property_readonly(
          "correct", [](const ResponseLog& l) { return ToNumpy(std::vector<uint8_t>(l.correct)); },
          "Per row: 1 correct, 0 incorrect (a copy).")
      .def_property_readonly(
          "learner_group",
          [](const ResponseLog& l) {
            std::vector<int64_t> out(l.learner_group.size());
            for (size_t i = 0; i < out.size(); ++i) {
              out[i] = l.learner_group[i] == IdTable::kNone
                           ? -1
                           : static_cast<int64_t>(l.learner_group[i]);
            }
            return ToNumpy(std::move(out));
          },
          "Per learner: index into group_names, -1 for none; empty without groups.")
      .def("append", &ResponseLog::Append, py::arg("other"),
           "Appends another log's rows, re-interning its ids.")
      .def(
          "select_learners",
          [](const ResponseLog& log, const InputArray<bool>& keep) {
            if (static_cast<size_t>(keep.size()) != log.learners.size()) {
              RaiseInvalidArgument("keep has " + std::to_string(keep.size()) +
                                   " entries, one per learner (" +
                                   std::to_string(log.learners.size()) + ") expected");
            }
            std::vector<bool> mask(keep.data(), keep.data() + keep.size());
            py::gil_scoped_release release;
            return log.SelectLearners(mask);
          },
          py::arg("keep"), "The rows of the learners whose entry in `keep` is true.")
      .def("__copy__", [](const ResponseLog& l) { return ResponseLog(l); })
      .def("__deepcopy__", [](const ResponseLog& l, py::dict) { return ResponseLog(l); })
      .def("__repr__", [](const ResponseLog& l) {
        return "ResponseLog(" + std::to_string(l.num_rows()) + " rows, " +
               std::to_string(l.learners.size()) + " learners, " +
               std::to_string(l.competencies.size()) + " competencies, " +
               std::to_string(l.activities.size()) + " activities)";
      });

  py::enum_<DkvmnHeader>(m, "DkvmnHeader")
      .value("AUTO", DkvmnHeader::kAuto)
      .value("LENGTH", DkvmnHeader::kLength)
      .value("LEARNER_ID", DkvmnHeader::kLearnerId);

  py::class_<ReadOptions>(m, "ReadOptions", "How to read a response log (see response_readers.h).")
      .def(py::init<>())
      .def_readwrite("skip_bad_rows", &ReadOptions::skip_bad_rows)
      .def_readwrite("learner_column", &ReadOptions::learner_column)
      .def_readwrite("competency_column", &ReadOptions::competency_column)
      .def_readwrite("correct_column", &ReadOptions::correct_column)
      .def_readwrite("activity_column", &ReadOptions::activity_column)
      .def_readwrite("read_activities", &ReadOptions::read_activities)
      .def_readwrite("order_column", &ReadOptions::order_column)
      .def_readwrite("sort_by_order", &ReadOptions::sort_by_order)
      .def_readwrite("group_column", &ReadOptions::group_column)
      .def_readwrite("only_original", &ReadOptions::only_original)
      .def_property(
          "delimiter",
          [](const ReadOptions& o) {
            return o.delimiter == '\0' ? std::string() : std::string(1, o.delimiter);
          },
          [](ReadOptions& o, const std::string& d) {
            if (d.size() > 1) RaiseInvalidArgument("delimiter must be one character or empty");
            o.delimiter = d.empty() ? '\0' : d[0];
          },
          "The field delimiter; '' detects it from the header line.")
      .def_readwrite("competency_separator", &ReadOptions::competency_separator)
      .def_readwrite("dkvmn_header", &ReadOptions::dkvmn_header)
      .def("validate", [](const ReadOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<ReadReport>(m, "ReadReport", "What a read did.")
      .def_readonly("rows_read", &ReadReport::rows_read)
      .def_readonly("rows_added", &ReadReport::rows_added)
      .def_readonly("rows_skipped", &ReadReport::rows_skipped)
      .def_readonly("skipped", &ReadReport::skipped)
      .def_readonly("records_without_competency", &ReadReport::records_without_competency)
      .def_readonly("records_not_original", &ReadReport::records_not_original)
      .def_readonly("records_without_response", &ReadReport::records_without_response)
      .def_readonly("learners_reordered", &ReadReport::learners_reordered)
      .def_readonly("files", &ReadReport::files)
      .def_readonly("rows_per_file", &ReadReport::rows_per_file)
      .def("summary", &ReadReport::Summary)
      .def(PATHWISE_REPR("rows_read", "rows_added", "rows_skipped", "files"));

  m.def(
      "read_response_log",
      [](const std::vector<std::string>& paths, const std::string& format,
         const ReadOptions& options) {
        const LogFormat log_format = ValueOrThrow(ParseLogFormat(format));
        ReadReport report;
        Result<ResponseLog> log = [&] {
          py::gil_scoped_release release;
          return ReadResponseLogs(paths, log_format, options, &report);
        }();
        return py::make_tuple(ValueOrThrow(std::move(log)), report);
      },
      py::arg("paths"), py::arg("format"), py::arg("options") = ReadOptions{},
      "Reads response logs of one format ('pybkt', 'datashop', 'dkvmn', 'hmmsc') into one "
      "ResponseLog; returns (log, report).");
}

// ---------------------------------------------------------------------------------------------------
// Fitting and evaluation.
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Recommender and planner.
// ---------------------------------------------------------------------------------------------------

PolicyKind PolicyKindFromPython(const py::handle& kind) {
  if (py::isinstance<py::str>(kind)) return ValueOrThrow(ParsePolicyKind(kind.cast<std::string>()));
  return kind.cast<PolicyKind>();
}

void BindRecommender(py::module_& m) {
  py::enum_<PolicyKind>(m, "PolicyKind")
      .value("MASTERY", PolicyKind::kMastery)
      .value("ZPDES", PolicyKind::kZpdes)
      .value("RANDOM", PolicyKind::kRandom)
      .value("CURRICULUM", PolicyKind::kCurriculum)
      .def_property_readonly("label", [](PolicyKind k) { return std::string(PolicyKindName(k)); });
  m.def(
      "parse_policy_kind",
      [](const std::string& name) { return ValueOrThrow(ParsePolicyKind(name)); }, py::arg("name"),
      "'mastery', 'zpdes', 'random' or 'curriculum' -> PolicyKind.");

  py::enum_<Gating>(m, "Gating").value("SOFT", Gating::kSoft).value("HARD", Gating::kHard);
  py::enum_<ScorePart>(m, "ScorePart")
      .value("READINESS", ScorePart::kReadiness)
      .value("GOAL_RELEVANCE", ScorePart::kGoalRelevance)
      .value("DIFFICULTY_FIT", ScorePart::kDifficultyFit)
      .value("REMEDIATION", ScorePart::kRemediation)
      .value("REVIEW_DUE", ScorePart::kReviewDue)
      .value("CONTINUITY", ScorePart::kContinuity)
      .value("LEARNING_PROGRESS", ScorePart::kLearningProgress)
      .def_property_readonly("label", [](ScorePart p) { return std::string(ScorePartName(p)); });

  py::class_<RecommenderOptions>(m, "RecommenderOptions",
                                 "Options of every policy and the planner.")
      .def(py::init<>())
      .def_readwrite("readiness_weight", &RecommenderOptions::readiness_weight)
      .def_readwrite("goal_weight", &RecommenderOptions::goal_weight)
      .def_readwrite("difficulty_weight", &RecommenderOptions::difficulty_weight)
      .def_readwrite("remediation_weight", &RecommenderOptions::remediation_weight)
      .def_readwrite("review_weight", &RecommenderOptions::review_weight)
      .def_readwrite("continuity_weight", &RecommenderOptions::continuity_weight)
      .def_readwrite("gating", &RecommenderOptions::gating)
      .def_readwrite("hard_prerequisite_strength", &RecommenderOptions::hard_prerequisite_strength)
      .def_readwrite("soft_min_readiness", &RecommenderOptions::soft_min_readiness)
      .def_readwrite("target_success", &RecommenderOptions::target_success)
      .def_readwrite("difficulty_logit_scale", &RecommenderOptions::difficulty_logit_scale)
      .def_readwrite("review_half_life_days", &RecommenderOptions::review_half_life_days)
      .def_readwrite("review_recall_threshold", &RecommenderOptions::review_recall_threshold)
      .def_readwrite("max_review_candidates", &RecommenderOptions::max_review_candidates)
      .def_readwrite("review_only_goal_path", &RecommenderOptions::review_only_goal_path)
      .def_readwrite("remediation_min_opportunities",
                     &RecommenderOptions::remediation_min_opportunities)
      .def_readwrite("remediation_max_p", &RecommenderOptions::remediation_max_p)
      .def_readwrite("max_named_prerequisites", &RecommenderOptions::max_named_prerequisites)
      .def_readwrite("zpdes_window", &RecommenderOptions::zpdes_window)
      .def_readwrite("zpdes_mastery_rate", &RecommenderOptions::zpdes_mastery_rate)
      .def_readwrite("zpdes_exploration", &RecommenderOptions::zpdes_exploration)
      .def_readwrite("zpdes_zone_size", &RecommenderOptions::zpdes_zone_size)
      .def_readwrite("random_restrict_to_goal", &RecommenderOptions::random_restrict_to_goal)
      .def_readwrite("curriculum_opportunities", &RecommenderOptions::curriculum_opportunities)
      .def_readwrite("plan_activities_per_competency",
                     &RecommenderOptions::plan_activities_per_competency)
      .def_readwrite("seed", &RecommenderOptions::seed)
      .def("validate", [](const RecommenderOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<PartScore>(m, "PartScore", "One part of a score, as it entered the sum.")
      .def_readonly("part", &PartScore::part)
      .def_readonly("weight", &PartScore::weight)
      .def_readonly("value", &PartScore::value)
      .def_readonly("reason", &PartScore::reason)
      .def_property_readonly("contribution", &PartScore::contribution)
      .def(PATHWISE_REPR("part", "weight", "value", "reason"));

  py::class_<Recommendation>(m, "Recommendation", "One recommended activity, with why.")
      .def_readonly("activity_id", &Recommendation::activity_id)
      .def_readonly("score", &Recommendation::score)
      .def_readonly("parts", &Recommendation::parts)
      .def_readonly("reasons", &Recommendation::reasons)
      .def_readonly("competency_ids", &Recommendation::competency_ids)
      .def_readonly("expected_minutes", &Recommendation::expected_minutes)
      .def_readonly("predicted_correct", &Recommendation::predicted_correct)
      .def_readonly("pinned", &Recommendation::pinned)
      .def(PATHWISE_REPR("activity_id", "score", "reasons", "predicted_correct", "pinned"));

  py::class_<RecommendRequest>(m, "RecommendRequest", "What the caller wants.")
      .def(py::init([](std::vector<std::string> goals, int k,
                       std::vector<std::string> excluded_activities,
                       std::vector<std::string> pinned_activities,
                       std::optional<double> time_budget_minutes, TimestampMs now_ms) {
             RecommendRequest r;
             r.goals = std::move(goals);
             r.k = k;
             r.excluded_activities = std::move(excluded_activities);
             r.pinned_activities = std::move(pinned_activities);
             r.time_budget_minutes = time_budget_minutes;
             r.now_ms = now_ms;
             return r;
           }),
           py::arg("goals") = std::vector<std::string>{}, py::arg("k") = 5,
           py::arg("excluded_activities") = std::vector<std::string>{},
           py::arg("pinned_activities") = std::vector<std::string>{},
           py::arg("time_budget_minutes") = py::none(), py::arg("now_ms") = 0)
      .def_readwrite("goals", &RecommendRequest::goals)
      .def_readwrite("k", &RecommendRequest::k)
      .def_readwrite("excluded_activities", &RecommendRequest::excluded_activities)
      .def_readwrite("pinned_activities", &RecommendRequest::pinned_activities)
      .def_readwrite("time_budget_minutes", &RecommendRequest::time_budget_minutes)
      .def_readwrite("now_ms", &RecommendRequest::now_ms)
      .def(PATHWISE_REPR("goals", "k", "excluded_activities", "pinned_activities",
                         "time_budget_minutes", "now_ms"));

  py::class_<CompetencyState>(m, "CompetencyState", "A practised competency, by dense index.")
      .def(py::init([](uint32_t competency, double p_learned, uint32_t opportunities,
                       TimestampMs last_practiced_ms) {
             return CompetencyState{competency, p_learned, opportunities, last_practiced_ms};
           }),
           py::arg("competency"), py::arg("p_learned"), py::arg("opportunities") = 0,
           py::arg("last_practiced_ms") = 0)
      .def_readwrite("competency", &CompetencyState::competency)
      .def_readwrite("p_learned", &CompetencyState::p_learned)
      .def_readwrite("opportunities", &CompetencyState::opportunities)
      .def_readwrite("last_practiced_ms", &CompetencyState::last_practiced_ms)
      .def(PATHWISE_REPR("competency", "p_learned", "opportunities", "last_practiced_ms"));

  py::class_<LearnerState>(m, "LearnerState", "A learner as a policy reads it (sparse).")
      .def(py::init([](std::string learner_id, std::vector<CompetencyState> competencies,
                       std::string last_activity_id) {
             return LearnerState{std::move(learner_id), std::move(competencies),
                                 std::move(last_activity_id)};
           }),
           py::arg("learner_id") = "", py::arg("competencies") = std::vector<CompetencyState>{},
           py::arg("last_activity_id") = "")
      .def_readwrite("learner_id", &LearnerState::learner_id)
      .def_readwrite("competencies", &LearnerState::competencies)
      .def_readwrite("last_activity_id", &LearnerState::last_activity_id)
      .def(PATHWISE_REPR("learner_id", "competencies", "last_activity_id"));

  py::class_<Policy, std::shared_ptr<Policy>>(
      m, "Policy",
      "Chooses activities for learners. Not thread-safe: fork() one instance per thread.")
      .def_property_readonly("kind", &Policy::kind)
      .def(
          "recommend",
          [](Policy& p, const LearnerState& state, const RecommendRequest& request) {
            return ValueOrThrow(p.Recommend(state, request));
          },
          py::arg("state"), py::arg("request") = RecommendRequest{},
          R"doc(Up to request.k activities for the learner, best first, each with its score, part-scores
and reasons. mastery, random and curriculum read the mastery in ``state`` (a LearnerState, or a
LearnerMastery as Engine.mastery returns); zpdes reads only ``state.learner_id`` and the outcomes
given to observe(). Raises ValueError / KeyError naming the bad field or id.)doc")
      .def(
          "recommend",
          [](Policy& p, const LearnerMastery& mastery, const RecommendRequest& request) {
            return ValueOrThrow(p.Recommend(mastery, request));
          },
          py::arg("mastery"), py::arg("request") = RecommendRequest{})
      .def(
          "observe", [](Policy& p, const Observation& o) { ThrowIfError(p.Observe(o)); },
          py::arg("observation"),
          "Tells a stateful policy (zpdes) what happened; the others ignore it. A policy used on "
          "its own must be fed every observation; Engine.recommend does this for you.")
      .def(
          "fork",
          [](const Policy& p, uint64_t stream) { return std::shared_ptr<Policy>(p.Fork(stream)); },
          py::arg("stream"),
          R"doc(A new, independent policy over the same graph, model and options (the index is shared:
no graph work), with no per-learner state and its random generator seeded from
(options.seed, stream). Use one fork per thread, or per learner for results that do not depend
on scheduling.)doc")
      .def_property_readonly("keeps_learner_state", &Policy::keeps_learner_state)
      .def(
          "save_learner_state",
          [](const Policy& p, const std::string& learner) {
            return py::bytes(ValueOrThrow(p.SaveLearnerState(learner)));
          },
          py::arg("learner_id"),
          "The policy's state of a learner as versioned bytes (b'' when it keeps none).")
      .def(
          "restore_learner_state",
          [](Policy& p, const std::string& learner, const py::bytes& bytes) {
            ThrowIfError(p.RestoreLearnerState(learner, std::string(bytes)));
          },
          py::arg("learner_id"), py::arg("state"),
          "Replaces a learner's state by bytes from save_learner_state (b'' forgets the learner).")
      .def(
          "state_from_mastery",
          [](const Policy& p, const LearnerMastery& mastery) {
            return ValueOrThrow(p.StateFromMastery(mastery));
          },
          py::arg("mastery"))
      .def(
          "competency_index",
          [](const Policy& p, const std::string& id) {
            return ValueOrThrow(p.CompetencyIndex(id));
          },
          py::arg("competency_id"));

  m.def(
      "make_policy",
      [](const py::object& kind, const CompetencyGraph& graph, const BktModel& model,
         const RecommenderOptions& options) {
        const PolicyKind policy_kind = PolicyKindFromPython(kind);
        return std::shared_ptr<Policy>(
            ValueOrThrow(MakePolicy(policy_kind, graph, model, options)));
      },
      py::arg("kind"), py::arg("graph"), py::arg("model") = BktModel{},
      py::arg("options") = RecommenderOptions{},
      R"doc(Builds a policy of ``kind`` ('mastery', 'zpdes', 'random', 'curriculum' or a PolicyKind)
over ``graph`` and ``model``: an immutable index of both is precomputed (neither needs to outlive
the policy), so build once and fork() per thread. A standalone policy keeps its own per-learner
state: feed a zpdes policy with observe(). To serve learners with one recording channel, use
Engine.record and Engine.recommend(..., policy=...) instead. Raises ValueError for invalid options
or model, naming the field.)doc");

  py::class_<Engine> engine = py::reinterpret_borrow<py::class_<Engine>>(m.attr("Engine"));
  engine
      .def(
          "recommend",
          [](const Engine& e, const std::string& learner, const RecommendRequest& request,
             const py::object& policy) {
            const PolicyKind kind = PolicyKindFromPython(policy);
            Result<std::vector<Recommendation>> recs = [&] {
              py::gil_scoped_release release;
              return e.Recommend(learner, request, kind);
            }();
            return ValueOrThrow(std::move(recs));
          },
          py::arg("learner_id"), py::arg("request") = RecommendRequest{},
          py::arg("policy") = "mastery",
          R"doc(What the learner should do next by ``policy`` (default 'mastery', the library's default
policy), from everything recorded through this engine: mastery for the mastery-based policies,
the observed outcomes for zpdes (record() feeds both). Cold start: a learner with nothing
recorded gets the population-level recommendation (the priors; zpdes's starting zone). Random
draws (random, zpdes) are seeded by the options' seed, the learner id and the learner's state.)doc")
      .def(
          "plan",
          [](const Engine& e, const std::string& learner, const std::vector<std::string>& goals) {
            return ValueOrThrow(e.Plan(learner, goals));
          },
          py::arg("learner_id"), py::arg("goals"),
          "The pathway from the learner's mastery (the priors for a new learner) to the goals.")
      .def(
          "set_recommender_options",
          [](Engine& e, const RecommenderOptions& options) {
            ThrowIfError(e.SetRecommenderOptions(options));
          },
          py::arg("options"), "Options of recommend and plan; per-learner policy state is kept.")
      .def(
          "save_learner_state",
          [](const Engine& e, const py::object& policy, const std::string& learner) {
            return py::bytes(
                ValueOrThrow(e.SaveLearnerState(PolicyKindFromPython(policy), learner)));
          },
          py::arg("policy"), py::arg("learner_id"),
          "The served policy's state of a learner as versioned bytes (b'' when none).")
      .def(
          "restore_learner_state",
          [](Engine& e, const py::object& policy, const std::string& learner,
             const py::bytes& bytes) {
            ThrowIfError(
                e.RestoreLearnerState(PolicyKindFromPython(policy), learner, std::string(bytes)));
          },
          py::arg("policy"), py::arg("learner_id"), py::arg("state"),
          "Replaces a learner's state in the served policy (b'' forgets the learner).");
}

void BindPlanner(py::module_& m) {
  py::class_<PathwayStep>(m, "PathwayStep", "One competency still to master.")
      .def_readonly("competency_id", &PathwayStep::competency_id)
      .def_readonly("p_learned", &PathwayStep::p_learned)
      .def_readonly("mastery_threshold", &PathwayStep::mastery_threshold)
      .def_readonly("is_goal", &PathwayStep::is_goal)
      .def_readonly("prerequisites_in_plan", &PathwayStep::prerequisites_in_plan)
      .def_readonly("activity_ids", &PathwayStep::activity_ids)
      .def_readonly("expected_opportunities", &PathwayStep::expected_opportunities)
      .def_readonly("expected_minutes", &PathwayStep::expected_minutes)
      .def_property_readonly(
          "unreachable",
          [](const PathwayStep& s) { return std::string(UnreachableReasonName(s.unreachable)); })
      .def_readonly("unreachable_message", &PathwayStep::unreachable_message)
      .def(PATHWISE_REPR("competency_id", "p_learned", "is_goal", "expected_opportunities",
                         "unreachable"));
  py::class_<UnreachableGoal>(m, "UnreachableGoal", "A goal that cannot be reached, and why.")
      .def_readonly("goal_id", &UnreachableGoal::goal_id)
      .def_property_readonly(
          "reason",
          [](const UnreachableGoal& g) { return std::string(UnreachableReasonName(g.reason)); })
      .def_readonly("cause_competency_id", &UnreachableGoal::cause_competency_id)
      .def_readonly("message", &UnreachableGoal::message)
      .def(PATHWISE_REPR("goal_id", "reason", "cause_competency_id", "message"));
  py::class_<Pathway>(m, "Pathway", "The plan from a learner's state to a goal set.")
      .def_readonly("learner_id", &Pathway::learner_id)
      .def_readonly("goals", &Pathway::goals)
      .def_readonly("goals_mastered", &Pathway::goals_mastered)
      .def_readonly("steps", &Pathway::steps)
      .def_readonly("unreachable", &Pathway::unreachable)
      .def_readonly("total_expected_opportunities", &Pathway::total_expected_opportunities)
      .def_readonly("total_expected_minutes", &Pathway::total_expected_minutes)
      .def_property_readonly("reachable", &Pathway::reachable)
      .def(PATHWISE_REPR("learner_id", "goals", "reachable", "total_expected_opportunities",
                         "total_expected_minutes"));

  py::class_<PathwayPlanner>(m, "PathwayPlanner", "Plans pathways to goals. Thread-safe.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const BktModel& model,
             const RecommenderOptions& options) {
            return ValueOrThrow(PathwayPlanner::Create(graph, model, options));
          },
          py::arg("graph"), py::arg("model") = BktModel{},
          py::arg("options") = RecommenderOptions{})
      .def(
          "plan",
          [](const PathwayPlanner& p, const LearnerState& state,
             const std::vector<std::string>& goals) { return ValueOrThrow(p.Plan(state, goals)); },
          py::arg("state"), py::arg("goals"))
      .def(
          "plan",
          [](const PathwayPlanner& p, const LearnerMastery& mastery,
             const std::vector<std::string>& goals) {
            return ValueOrThrow(p.Plan(mastery, goals));
          },
          py::arg("mastery"), py::arg("goals"));
}

std::vector<PolicyKind> PolicyKindsFromPython(const py::iterable& kinds) {
  std::vector<PolicyKind> out;
  for (py::handle kind : kinds) out.push_back(PolicyKindFromPython(kind));
  return out;
}

// Per-learner outcomes as columns (NumPy arrays), ready for a DataFrame.
py::dict LearnerOutcomeColumns(const SimulationResult& result) {
  const size_t n = result.learner_outcomes.size();
  std::vector<uint32_t> policy(n), learner(n), group(n), start_learned(n), final_learned(n),
      final_scope_learned(n);
  std::vector<double> learn_offset(n), prior_offset(n);
  std::vector<int32_t> steps_to_goal(n), steps_taken(n);
  std::vector<bool> reached(n);
  for (size_t i = 0; i < n; ++i) {
    const LearnerOutcome& o = result.learner_outcomes[i];
    policy[i] = o.policy;
    learner[i] = o.learner;
    group[i] = o.group;
    learn_offset[i] = o.learn_offset;
    prior_offset[i] = o.prior_offset;
    steps_to_goal[i] = o.steps_to_goal;
    reached[i] = o.reached_goal;
    steps_taken[i] = o.steps_taken;
    start_learned[i] = o.start_learned;
    final_learned[i] = o.final_learned;
    final_scope_learned[i] = o.final_scope_learned;
  }
  py::array_t<bool> reached_goal(static_cast<py::ssize_t>(n));
  for (size_t i = 0; i < n; ++i) reached_goal.mutable_data()[i] = reached[i];
  py::dict out;
  out["policy"] = ToNumpy(std::move(policy));
  out["learner"] = ToNumpy(std::move(learner));
  out["group"] = ToNumpy(std::move(group));
  out["learn_offset"] = ToNumpy(std::move(learn_offset));
  out["prior_offset"] = ToNumpy(std::move(prior_offset));
  out["steps_to_goal"] = ToNumpy(std::move(steps_to_goal));
  out["reached_goal"] = reached_goal;
  out["steps_taken"] = ToNumpy(std::move(steps_taken));
  out["start_learned"] = ToNumpy(std::move(start_learned));
  out["final_learned"] = ToNumpy(std::move(final_learned));
  out["final_scope_learned"] = ToNumpy(std::move(final_scope_learned));
  return out;
}

void BindSimulator(py::module_& m) {
  py::class_<CohortGroup>(m, "CohortGroup",
                          "A named part of the simulated population with its own logit offsets.")
      .def(py::init([](std::string name, double weight, double learn_offset, double prior_offset,
                       double learn_spread, double prior_spread) {
             return CohortGroup{std::move(name), weight,       learn_offset,
                                prior_offset,    learn_spread, prior_spread};
           }),
           py::arg("name"), py::arg("weight") = CohortGroup().weight,
           py::arg("learn_offset") = CohortGroup().learn_offset,
           py::arg("prior_offset") = CohortGroup().prior_offset,
           py::arg("learn_spread") = CohortGroup().learn_spread,
           py::arg("prior_spread") = CohortGroup().prior_spread)
      .def_readwrite("name", &CohortGroup::name)
      .def_readwrite("weight", &CohortGroup::weight)
      .def_readwrite("learn_offset", &CohortGroup::learn_offset)
      .def_readwrite("prior_offset", &CohortGroup::prior_offset)
      .def_readwrite("learn_spread", &CohortGroup::learn_spread)
      .def_readwrite("prior_spread", &CohortGroup::prior_spread)
      .def(PATHWISE_REPR("name", "weight", "learn_offset", "prior_offset", "learn_spread",
                         "prior_spread"));

  py::class_<LearnerModelOptions>(m, "LearnerModelOptions",
                                  "The ground truth: how simulated learners really learn.")
      .def(py::init<>())
      .def_readwrite("model", &LearnerModelOptions::model)
      .def_readwrite("competency_learn_spread", &LearnerModelOptions::competency_learn_spread)
      .def_readwrite("competency_prior_spread", &LearnerModelOptions::competency_prior_spread)
      .def_readwrite("prerequisite_penalty", &LearnerModelOptions::prerequisite_penalty)
      .def_readwrite("forget_per_day", &LearnerModelOptions::forget_per_day)
      .def_readwrite("review_stability", &LearnerModelOptions::review_stability)
      .def_readwrite("prior_knowledge_practices", &LearnerModelOptions::prior_knowledge_practices)
      .def_readwrite("groups", &LearnerModelOptions::groups)
      .def("validate", [](const LearnerModelOptions& o) { ThrowIfError(o.Validate()); })
      .def(PATHWISE_REPR("competency_learn_spread", "competency_prior_spread",
                         "prerequisite_penalty", "forget_per_day", "review_stability",
                         "prior_knowledge_practices", "groups"));

  py::class_<ScheduleOptions>(m, "ScheduleOptions", "When simulated steps happen.")
      .def(py::init<>())
      .def_readwrite("steps_per_session", &ScheduleOptions::steps_per_session)
      .def_readwrite("session_interval_minutes", &ScheduleOptions::session_interval_minutes)
      .def_readwrite("start_ms", &ScheduleOptions::start_ms)
      .def(PATHWISE_REPR("steps_per_session", "session_interval_minutes", "start_ms"));

  py::class_<SimulationOptions>(m, "SimulationOptions", "What to simulate (see simulator.h).")
      .def(py::init<>())
      .def_property(
          "policies", [](const SimulationOptions& o) { return o.policies; },
          [](SimulationOptions& o, const py::iterable& kinds) {
            o.policies = PolicyKindsFromPython(kinds);
          },
          "Policies to compare: PolicyKind values or their names ('mastery', ...).")
      .def_readwrite("recommender", &SimulationOptions::recommender)
      .def_readwrite("goals", &SimulationOptions::goals)
      .def_readwrite("learners", &SimulationOptions::learners)
      .def_readwrite("steps", &SimulationOptions::steps)
      .def_readwrite("seed", &SimulationOptions::seed)
      .def_readwrite("threads", &SimulationOptions::threads)
      .def_readwrite("truth", &SimulationOptions::truth)
      .def_readwrite("online_model", &SimulationOptions::online_model)
      .def_readwrite("schedule", &SimulationOptions::schedule)
      .def_readwrite("curve_points", &SimulationOptions::curve_points)
      .def("validate", [](const SimulationOptions& o) { ThrowIfError(o.Validate()); })
      .def(PATHWISE_REPR("policies", "goals", "learners", "steps", "seed", "threads",
                         "curve_points"));

  py::class_<CohortOutcome>(m, "CohortOutcome", "Results of a policy for a set of learners.")
      .def_readonly("group", &CohortOutcome::group)
      .def_readonly("learners", &CohortOutcome::learners)
      .def_readonly("mean_steps_to_goal", &CohortOutcome::mean_steps_to_goal)
      .def_readonly("median_steps_to_goal", &CohortOutcome::median_steps_to_goal)
      .def_readonly("reached_goal_share", &CohortOutcome::reached_goal_share)
      .def_readonly("mean_steps_among_reached", &CohortOutcome::mean_steps_among_reached)
      .def_readonly("mean_final_learned", &CohortOutcome::mean_final_learned)
      .def_readonly("mean_final_scope_learned", &CohortOutcome::mean_final_scope_learned)
      .def_readonly("stopped_early_share", &CohortOutcome::stopped_early_share)
      .def_readonly("prediction", &CohortOutcome::prediction)
      .def_property_readonly(
          "curve_learned",
          [](const CohortOutcome& o) { return ToNumpy(std::vector<double>(o.curve_learned)); })
      .def_property_readonly("curve_scope_learned",
                             [](const CohortOutcome& o) {
                               return ToNumpy(std::vector<double>(o.curve_scope_learned));
                             })
      .def_property_readonly("curve_reached_share",
                             [](const CohortOutcome& o) {
                               return ToNumpy(std::vector<double>(o.curve_reached_share));
                             })
      .def("to_dict",
           [](const py::object& self) {
             return FieldsDict(
                 self, {"group", "learners", "mean_steps_to_goal", "median_steps_to_goal",
                        "reached_goal_share", "mean_steps_among_reached", "mean_final_learned",
                        "mean_final_scope_learned", "stopped_early_share"});
           })
      .def(PATHWISE_REPR("group", "learners", "mean_steps_to_goal", "reached_goal_share",
                         "mean_final_learned"));

  py::class_<PolicyResult>(m, "PolicyResult")
      .def_readonly("policy", &PolicyResult::policy)
      .def_readonly("all", &PolicyResult::all)
      .def_readonly("groups", &PolicyResult::groups)
      .def(PATHWISE_REPR("policy", "all"));

  py::class_<LearnerOutcome>(m, "LearnerOutcome", "One learner under one policy.")
      .def_readonly("policy", &LearnerOutcome::policy)
      .def_readonly("learner", &LearnerOutcome::learner)
      .def_readonly("group", &LearnerOutcome::group)
      .def_readonly("learn_offset", &LearnerOutcome::learn_offset)
      .def_readonly("prior_offset", &LearnerOutcome::prior_offset)
      .def_readonly("steps_to_goal", &LearnerOutcome::steps_to_goal)
      .def_readonly("reached_goal", &LearnerOutcome::reached_goal)
      .def_readonly("steps_taken", &LearnerOutcome::steps_taken)
      .def_readonly("start_learned", &LearnerOutcome::start_learned)
      .def_readonly("final_learned", &LearnerOutcome::final_learned)
      .def_readonly("final_scope_learned", &LearnerOutcome::final_scope_learned)
      .def(PATHWISE_REPR("policy", "learner", "group", "steps_to_goal", "reached_goal"));

  py::class_<SimulationResult>(m, "SimulationResult")
      .def_readonly("seed", &SimulationResult::seed)
      .def_readonly("learners", &SimulationResult::learners)
      .def_readonly("steps", &SimulationResult::steps)
      .def_readonly("goal_competencies", &SimulationResult::goal_competencies)
      .def_readonly("goal_scope_size", &SimulationResult::goal_scope_size)
      .def_readonly("num_competencies", &SimulationResult::num_competencies)
      .def_readonly("group_names", &SimulationResult::group_names)
      .def_property_readonly(
          "curve_steps",
          [](const SimulationResult& r) { return ToNumpy(std::vector<int>(r.curve_steps)); })
      .def_readonly("policies", &SimulationResult::policies)
      .def_readonly("learner_outcomes", &SimulationResult::learner_outcomes)
      .def("learner_outcome_columns", &LearnerOutcomeColumns,
           "Per-learner outcomes as a dict of NumPy arrays (policy-major, then learner order).")
      .def(PATHWISE_REPR("seed", "learners", "steps", "goal_competencies", "policies"));

  py::class_<SyntheticLearner>(m, "SyntheticLearner",
                               "One simulated learner with hidden knowledge. Not thread-safe.")
      .def_property_readonly("index", &SyntheticLearner::index)
      .def_property_readonly("group", &SyntheticLearner::group)
      .def_property_readonly("learn_offset", &SyntheticLearner::learn_offset)
      .def_property_readonly("prior_offset", &SyntheticLearner::prior_offset)
      .def("is_learned", &SyntheticLearner::IsLearned, py::arg("competency"))
      .def_property_readonly("num_learned", &SyntheticLearner::num_learned)
      .def("learn_probability", &SyntheticLearner::LearnProbability, py::arg("activity"),
           py::arg("competency"))
      .def("correct_probability", &SyntheticLearner::CorrectProbability, py::arg("activity"))
      .def("advance_to", &SyntheticLearner::AdvanceTo, py::arg("minutes"))
      .def("attempt", &SyntheticLearner::Attempt, py::arg("activity"), py::arg("minutes"),
           "Answers the activity (True = correct), then learns or forgets.");

  py::class_<SyntheticCohort>(m, "SyntheticCohort",
                              "The ground truth compiled for one graph; makes learners.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const LearnerModelOptions& options, uint64_t seed) {
            return ValueOrThrow(SyntheticCohort::Create(graph, options, seed));
          },
          py::arg("graph"), py::arg("options") = LearnerModelOptions{}, py::arg("seed") = 1)
      .def("make_learner", &SyntheticCohort::MakeLearner, py::arg("index"), py::keep_alive<0, 1>(),
           "Learner `index`, drawn from (seed, index) only.")
      .def_property_readonly("num_competencies", &SyntheticCohort::num_competencies)
      .def_property_readonly("num_activities", &SyntheticCohort::num_activities)
      .def_property_readonly("competency_ids", &SyntheticCohort::competency_ids)
      .def_property_readonly("activity_ids", &SyntheticCohort::activity_ids)
      .def_property_readonly("group_names", &SyntheticCohort::group_names)
      .def(
          "activity_index",
          [](const SyntheticCohort& c, const std::string& id) {
            return ValueOrThrow(c.ActivityIndex(id));
          },
          py::arg("activity_id"))
      .def(
          "competency_index",
          [](const SyntheticCohort& c, const std::string& id) {
            return ValueOrThrow(c.CompetencyIndex(id));
          },
          py::arg("competency_id"))
      .def("population_params", &SyntheticCohort::PopulationParams, py::arg("competency"),
           py::return_value_policy::copy)
      .def("population_model", &SyntheticCohort::PopulationModel);

  py::class_<Simulation>(m, "Simulation", "Runs simulations on one graph with one set of options.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, SimulationOptions options) {
            return ValueOrThrow(Simulation::Create(graph, std::move(options)));
          },
          py::arg("graph"), py::arg("options") = SimulationOptions{})
      .def_property_readonly("options",
                             [](const Simulation& s) { return SimulationOptions(s.options()); })
      .def_property_readonly("cohort", &Simulation::cohort,
                             py::return_value_policy::reference_internal)
      .def_property_readonly("online_model",
                             [](const Simulation& s) { return BktModel(s.online_model()); })
      .def(
          "run",
          [](const Simulation& s) {
            Result<SimulationResult> result = [&] {
              py::gil_scoped_release release;
              return s.Run();
            }();
            return ValueOrThrow(std::move(result));
          },
          "Every policy of options.policies on every learner (releases the GIL).")
      .def(
          "run",
          [](const Simulation& s,
             const std::vector<std::pair<std::string, std::shared_ptr<Policy>>>& policies) {
            std::vector<SimulatedPolicy> simulated;
            for (const auto& [name, policy] : policies) {
              if (policy == nullptr) RaiseInvalidArgument("policy '" + name + "' is None");
              simulated.push_back({name, policy});
            }
            Result<SimulationResult> result = [&] {
              py::gil_scoped_release release;
              return s.Run(simulated);
            }();
            return ValueOrThrow(std::move(result));
          },
          py::arg("policies"),
          "Runs (name, Policy) pairs built with make_policy (typically on online_model).");

  m.def(
      "run_simulation",
      [](const CompetencyGraph& graph, const SimulationOptions& options) {
        Result<SimulationResult> result = [&] {
          py::gil_scoped_release release;
          return RunSimulation(graph, options);
        }();
        return ValueOrThrow(std::move(result));
      },
      py::arg("graph"), py::arg("options") = SimulationOptions{},
      "Simulation.create(graph, options).run().");
}

}  // namespace
}  // namespace pathwise

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "Pathwise C++ core (pybind11). Use the `pathwise` package, which re-exports this module and "
      "adds NumPy/pandas conveniences.";
  m.attr("__version__") = PATHWISE_VERSION_STRING;
  pathwise::BindErrors(m);
  pathwise::BindModel(m);
  pathwise::BindGraph(m);
  pathwise::BindTracker(m);
  pathwise::BindLog(m);
  pathwise::BindFit(m);
  pathwise::BindRecommender(m);
  pathwise::BindPlanner(m);
  pathwise::BindSimulator(m);
}
