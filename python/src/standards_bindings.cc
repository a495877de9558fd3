// pathwise._core: imports of education standards (learning_records.h, case_import.h,
// oneroster_import.h, edfi_import.h). The parsers take text and a source name for the messages;
// the pure-Python package adds the read_* functions that open a file.
#include <pathwise/competency_graph.h>
#include <pathwise/io/case_import.h>
#include <pathwise/io/edfi_import.h>
#include <pathwise/io/learning_records.h>
#include <pathwise/io/oneroster_import.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

LearningRecordOptions RecordOptions(std::optional<std::unordered_map<std::string, std::string>> map,
                                    bool completion_as_outcome, std::string account_home_page) {
  LearningRecordOptions options;
  if (map) options.activity_map = std::move(*map);
  options.completion_as_outcome = completion_as_outcome;
  options.account_home_page = std::move(account_home_page);
  return options;
}

CaseVersion ParseCaseVersion(const std::string& version) {
  if (version == "1.1") return CaseVersion::kV1p1;
  if (version == "1.0") return CaseVersion::kV1p0;
  RaiseInvalidArgument("version: '" + version +
                       "' is not a CASE version this reader knows (1.0, 1.1)");
}

}  // namespace

void BindStandards(py::module_& m) {
  py::class_<LearningRecordReport>(m, "LearningRecordReport",
                                   "What an import of xAPI statements or Caliper events read, and "
                                   "what it did with each record.")
      .def_readonly("records_read", &LearningRecordReport::records_read)
      .def_readonly("accepted", &LearningRecordReport::accepted,
                    "Observations produced (after voiding and duplicates).")
      .def_readonly("skipped", &LearningRecordReport::skipped,
                    "Records that are not answers, by reason ('no-outcome', 'duplicate-id', ...).")
      .def_readonly("skipped_by_verb", &LearningRecordReport::skipped_by_verb,
                    "Non-answers by xAPI verb id or Caliper 'Type/Action'.")
      .def_readonly("voiding", &LearningRecordReport::voiding)
      .def_readonly("voided_in_batch", &LearningRecordReport::voided_in_batch,
                    "Statement ids voided by this batch whose statement was in it (removed).")
      .def_readonly("voided_elsewhere", &LearningRecordReport::voided_elsewhere,
                    "Statement ids voided by this batch but not in it: a consumer that stores "
                    "events deletes them and replays the learner.")
      .def(PATHWISE_REPR("records_read", "accepted", "skipped", "voiding"));

  py::class_<ImportedObservations>(m, "ImportedObservations")
      .def_readonly("observations", &ImportedObservations::observations,
                    "In input order; event_id is the statement / event id.")
      .def_readonly("report", &ImportedObservations::report)
      .def(PATHWISE_REPR("observations", "report"));

  m.def(
      "parse_xapi_statements",
      [](const std::string& text, const std::string& source_name,
         std::optional<std::unordered_map<std::string, std::string>> activity_map,
         bool completion_as_outcome, std::string account_home_page) {
        return ValueOrThrow(
            ParseXapiStatements(text, source_name,
                                RecordOptions(std::move(activity_map), completion_as_outcome,
                                              std::move(account_home_page))));
      },
      py::arg("text"), py::arg("source_name") = "<string>", py::kw_only(),
      py::arg("activity_map") = std::nullopt, py::arg("completion_as_outcome") = false,
      py::arg("account_home_page") = "",
      "xAPI 1.0.x / 2.0.x statements (one, an array, or a StatementResult) as observations; the "
      "mapping rules are in docs/standards.md. activity_map: activity IRI -> Pathwise activity id "
      "(None: the IRI is the id; given: an unmapped IRI is skipped as 'unmapped-activity'). "
      "completion_as_outcome: a statement whose only evidence is result.completion counts as an "
      "answer. account_home_page: accounts on this homePage are learners named by account.name "
      "alone. Raises InvalidArgumentError naming the source, the statement's index and its JSON "
      "path; one bad statement imports nothing.");
  m.def(
      "parse_caliper_events",
      [](const std::string& text, const std::string& source_name,
         std::optional<std::unordered_map<std::string, std::string>> activity_map) {
        return ValueOrThrow(ParseCaliperEvents(text, source_name,
                                               RecordOptions(std::move(activity_map), false, "")));
      },
      py::arg("text"), py::arg("source_name") = "<string>", py::kw_only(),
      py::arg("activity_map") = std::nullopt,
      "Caliper 1.2 events (an envelope, an array or one event): GradeEvent 'Graded' on an Attempt "
      "is an answer, everything else is counted and skipped. activity_map as for "
      "parse_xapi_statements.");
  m.def(
      "read_activity_map_csv",
      [](const std::string& path) { return ValueOrThrow(ReadActivityMapCsv(path)); },
      py::arg("path"), "An activity map CSV (columns iri, activity_id) as a dict.");

  py::class_<CaseLink>(m, "CaseLink", "A CASE association kept as data, never gating.")
      .def_readonly("competency_id", &CaseLink::competency_id)
      .def_readonly("other_id", &CaseLink::other_id)
      .def_readonly("other_uri", &CaseLink::other_uri)
      .def(PATHWISE_REPR("competency_id", "other_id", "other_uri"));
  py::class_<CaseNote>(m, "CaseNote", "A warning or a dropped association, with its JSON path.")
      .def_readonly("path", &CaseNote::path)
      .def_readonly("message", &CaseNote::message)
      .def("__str__", [](const CaseNote& n) { return n.path + ": " + n.message; })
      .def(PATHWISE_REPR("path", "message"));
  py::class_<CaseImportReport>(m, "CaseImportReport")
      .def_readonly("document_id", &CaseImportReport::document_id)
      .def_readonly("document_title", &CaseImportReport::document_title)
      .def_readonly("items", &CaseImportReport::items)
      .def_readonly("uris", &CaseImportReport::uris,
                    "CASE identifier -> uri, for the document and every item.")
      .def_readonly("associations", &CaseImportReport::associations)
      .def_readonly("associations_by_type", &CaseImportReport::associations_by_type)
      .def_readonly("aliases", &CaseImportReport::aliases, "exactMatchOf associations.")
      .def_readonly("related", &CaseImportReport::related, "isRelatedTo associations.")
      .def_readonly("notes", &CaseImportReport::notes)
      .def(PATHWISE_REPR("document_id", "document_title", "items", "associations"));
  py::class_<ImportedCase>(m, "ImportedCase")
      .def_readonly("graph", &ImportedCase::graph)
      .def_readonly("report", &ImportedCase::report)
      .def(PATHWISE_REPR("report"));
  m.def(
      "parse_case_package",
      [](const std::string& text, const std::string& source_name, const std::string& version) {
        CaseImportOptions options;
        options.version = ParseCaseVersion(version);
        return ValueOrThrow(ParseCasePackage(text, source_name, options));
      },
      py::arg("text"), py::arg("source_name") = "<string>", py::kw_only(),
      py::arg("version") = "1.1",
      "A CASE CFPackage as a competency graph (CFItems -> competencies keeping their identifiers, "
      "isChildOf -> groups, precedes -> prerequisites), validated first against the CASE schema of "
      "`version` ('1.1' or '1.0'). Raises InvalidArgumentError listing every violation by JSON "
      "path, FailedPreconditionError for a precedes cycle.");

  m.def(
      "read_case_package",
      [](const std::string& path, const std::string& version) {
        CaseImportOptions options;
        options.version = ParseCaseVersion(version);
        return ValueOrThrow(ReadCasePackage(path, options));
      },
      py::arg("path"), py::kw_only(), py::arg("version") = "1.1",
      "A CASE CFPackage JSON file as a competency graph (see parse_case_package).");

  py::class_<RosterClass>(m, "RosterClass", "A OneRoster class and who is in it (ids only).")
      .def_readonly("sourced_id", &RosterClass::sourced_id)
      .def_readonly("title", &RosterClass::title)
      .def_readonly("course_sourced_id", &RosterClass::course_sourced_id)
      .def_readonly("school_sourced_id", &RosterClass::school_sourced_id)
      .def_readonly("learners", &RosterClass::learners)
      .def_readonly("teachers", &RosterClass::teachers)
      .def(PATHWISE_REPR("sourced_id", "title", "learners", "teachers"));
  py::class_<Roster>(m, "Roster")
      .def_readonly("classes", &Roster::classes)
      .def_readonly("learners", &Roster::learners)
      .def_readonly("orgs", &Roster::orgs)
      .def_readonly("courses", &Roster::courses)
      .def_readonly("users", &Roster::users)
      .def_readonly("enrollments", &Roster::enrollments)
      .def_readonly("other_roles", &Roster::other_roles)
      .def_readonly("notes", &Roster::notes, "'<file>:<line>: ...' for what was read but not used.")
      .def(PATHWISE_REPR("classes", "learners", "enrollments", "notes"));
  m.def(
      "read_oneroster",
      [](const std::string& directory) { return ValueOrThrow(ReadOneRosterDirectory(directory)); },
      py::arg("directory"),
      "A OneRoster 1.2 CSV bulk export (classes.csv, users.csv, enrollments.csv; orgs.csv, "
      "courses.csv and manifest.csv when present). Raises NotFoundError for a missing file, "
      "InvalidArgumentError '<file>:<line>: ...' for malformed rows.");

  py::class_<ImportedEdFi>(m, "ImportedEdFi")
      .def_readonly("graph", &ImportedEdFi::graph)
      .def_readonly("standards", &ImportedEdFi::standards)
      .def_readonly("notes", &ImportedEdFi::notes)
      .def_readonly("equivalences", &ImportedEdFi::equivalences)
      .def(PATHWISE_REPR("standards", "notes"));
  m.def(
      "parse_edfi_learning_standards",
      [](const std::string& text, const std::string& source_name) {
        return ValueOrThrow(ParseEdFiLearningStandards(text, source_name));
      },
      py::arg("text"), py::arg("source_name") = "<string>",
      "Ed-Fi LearningStandard resources (the API's JSON, or an XML interchange) as a graph: "
      "parents -> groups, prerequisiteLearningStandards -> prerequisites.");
  m.def(
      "read_edfi_learning_standards",
      [](const std::string& path) { return ValueOrThrow(ReadEdFiLearningStandards(path)); },
      py::arg("path"),
      "Ed-Fi learning standards (API JSON or XML interchange) from a file (see "
      "parse_edfi_learning_standards).");
}

}  // namespace pathwise::python
