// pathwise._core: the module. Binding code only, one file per area (*_bindings.cc): conversions,
// the GIL, and the one place where a Status becomes a Python exception (errors_bindings.cc).
// Conveniences (DataFrames, keyword options, the pyBKT-compatible model) live in the pure-Python
// package.
#include <pathwise/version.h>

#include "bindings.h"

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "Pathwise C++ core (pybind11). Use the `pathwise` package, which re-exports this module and "
      "adds NumPy/pandas conveniences.";
  m.attr("__version__") = PATHWISE_VERSION_STRING;
  pathwise::python::BindErrors(m);
  pathwise::python::BindModel(m);
  pathwise::python::BindGraph(m);
  pathwise::python::BindTracker(m);
  pathwise::python::BindLog(m);
  pathwise::python::BindFit(m);
  pathwise::python::BindRecommender(m);
  pathwise::python::BindPlanner(m);
  pathwise::python::BindSimulator(m);
  pathwise::python::BindStandards(m);
}
