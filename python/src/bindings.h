// What every binding file of pathwise._core shares: the pybind11 headers (one set of type casters
// for every translation unit), the maps bound with reference semantics, the one place where a
// Status becomes a Python exception, and small conversion helpers. One Bind<Area>(m) per file;
// module.cc calls them in order (a class must be bound before a later signature names it).
#ifndef PATHWISE_PYTHON_SRC_BINDINGS_H_
#define PATHWISE_PYTHON_SRC_BINDINGS_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl_bind.h>

#include <pathwise/bkt.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace py = pybind11;

// Maps with reference semantics in Python, so that `model.competencies["x"].prior = 0.3` changes
// the model rather than a copy.
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::BktParams>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::ActivityParams>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, std::map<std::string, pathwise::ActivityParams>>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, double>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, std::map<std::string, double>>)
PYBIND11_MAKE_OPAQUE(std::map<std::string, pathwise::LearnerFactors>)

namespace pathwise::python {

using BktParamsMap = std::map<std::string, BktParams>;
using ActivityParamsMap = std::map<std::string, ActivityParams>;
using CompetencyActivityParamsMap = std::map<std::string, ActivityParamsMap>;
using FloatMap = std::map<std::string, double>;
using GroupPriorsMap = std::map<std::string, FloatMap>;
using LearnerFactorsMap = std::map<std::string, LearnerFactors>;

void BindErrors(py::module_& m);
void BindModel(py::module_& m);
void BindGraph(py::module_& m);
void BindTracker(py::module_& m);
void BindLog(py::module_& m);
void BindFit(py::module_& m);
void BindRecommender(py::module_& m);
void BindPlanner(py::module_& m);
void BindSimulator(py::module_& m);
void BindStandards(py::module_& m);

// ---- Errors (errors_bindings.cc)
// ------------------------------------------------------------------

// Raises the Python exception for a non-OK status: the class chosen by its code, the core's message
// as the exception's message, and the gRPC-style code name as `.code`. REQUIRES: the GIL is held.
[[noreturn]] void RaiseStatus(const Status& status);

[[noreturn]] void RaiseInvalidArgument(const std::string& message);

inline void ThrowIfError(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}

template <typename T>
T ValueOrThrow(Result<T>&& result) {
  if (!result.ok()) RaiseStatus(result.status());
  return std::move(result).value();
}

// ---- Conversions
// ----------------------------------------------------------------------------------

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
inline std::string FieldsRepr(const py::handle& self, std::initializer_list<const char*> fields) {
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

// Value semantics for a bound struct of plain data, as a frozen dataclass has them: == compares
// the listed attributes as Python reads them (lists of bound values compare element by element),
// instances are unhashable (their lists are not frozen), and pickling rebuilds the object by
// calling the class with those attributes, so `fields` must be the constructor's arguments in
// order. pathwise.Client returns these classes, which is why they need to behave as values.
template <typename Class>
void DefValueSemantics(Class& cls, std::initializer_list<const char*> field_list) {
  const std::vector<const char*> fields(field_list);
  cls.def("__eq__", [fields](const py::object& self, const py::object& other) -> py::object {
    if (!py::isinstance(other, py::type::handle_of(self))) {
      return py::reinterpret_borrow<py::object>(Py_NotImplemented);
    }
    for (const char* field : fields) {
      if (!self.attr(field).equal(other.attr(field))) return py::bool_(false);
    }
    return py::bool_(true);
  });
  cls.attr("__hash__") = py::none();
  cls.def("__reduce__", [fields](const py::object& self) {
    py::list args;
    for (const char* field : fields) args.append(self.attr(field));
    return py::make_tuple(py::type::handle_of(self), py::tuple(args));
  });
}

// Copies fields listed by name into a dict.
inline py::dict FieldsDict(const py::handle& self, std::initializer_list<const char*> fields) {
  py::dict out;
  for (const char* field : fields) out[field] = self.attr(field);
  return out;
}

// A map of the model from a bound map (shared) or a dict (copied).
template <typename Map>
Map MapFromPython(const py::handle& value) {
  if (py::isinstance<Map>(value)) return value.cast<Map>();
  Map out;
  for (auto item : py::reinterpret_borrow<py::dict>(value)) {
    out.emplace(item.first.cast<std::string>(), item.second.cast<typename Map::mapped_type>());
  }
  return out;
}

// PolicyKind from its name ("zpdes") or the enum (recommender_bindings.cc).
PolicyKind PolicyKindFromPython(const py::handle& kind);

}  // namespace pathwise::python

#endif  // PATHWISE_PYTHON_SRC_BINDINGS_H_
