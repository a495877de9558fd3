// pathwise._core: the exception classes, and the one translation point from Status to Python
// exceptions (RaiseStatus).
#include <pathwise/status.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

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

}  // namespace

[[noreturn]] void RaiseStatus(const Status& status) {
  PyObject* cls = ExceptionClassFor(status.code());
  py::object exception = py::reinterpret_borrow<py::object>(cls)(status.message());
  exception.attr("code") = py::str(std::string(StatusCodeName(status.code())));
  PyErr_SetObject(cls, exception.ptr());
  throw py::error_already_set();
}

[[noreturn]] void RaiseInvalidArgument(const std::string& message) {
  RaiseStatus(Status::InvalidArgument(message));
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

}  // namespace pathwise::python
