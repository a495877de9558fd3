// pathwise._core: Response logs and the dataset readers.
#include <pathwise/io/response_readers.h>
#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

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

}  // namespace

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

}  // namespace pathwise::python
