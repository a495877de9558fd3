// The education-standards imports and the class report, as a tenant serves them: the library's
// readers (include/pathwise/io) applied to a tenant's store, with the service's limits and error
// conventions. src/service only converts the messages (standards_service.proto).
#ifndef PATHWISE_APP_STANDARDS_H_
#define PATHWISE_APP_STANDARDS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pathwise/io/case_import.h>
#include <pathwise/io/learning_records.h>
#include <pathwise/io/oneroster_import.h>
#include <pathwise/result.h>

#include "app/limits.h"
#include "app/tenant.h"

namespace pathwise::app {

enum class LearningRecordFormat { kXapi, kCaliper };

struct ImportLearningRecordsCall {
  LearningRecordFormat format = LearningRecordFormat::kXapi;
  std::string text;  ///< the statements / events JSON
  LearningRecordOptions options;
  bool dry_run = false;
};

struct ImportLearningRecordsOutcome {
  LearningRecordReport report;            ///< the library's report, as `pathwise import` prints it
  uint64_t recorded = 0;                  ///< events stored (dry run: that would be)
  uint64_t duplicates = 0;                ///< accepted records whose event the learner already has
  std::vector<std::string> learners;      ///< learners with an accepted record, sorted
  std::vector<std::string> new_learners;  ///< of those, the ones the tenant did not have
  /// voided_elsewhere resolved against the store: the events removed (dry run: that would be),
  /// and the ids no learner of the tenant has.
  VoidOutcome voided;
};

/// Parses the records with the library (ParseXapiStatements / ParseCaliperEvents: every mapping
/// rule and rejection of docs/standards.md), records the accepted ones as RecordEvents does
/// (idempotent by statement id), then removes the stored events that the batch's voiding
/// statements name and re-derives those learners (Tenant::VoidEvents).
///
/// Errors, nothing stored: InvalidArgument "records: statement <i>: <path>: ..." from the parser
/// (every malformed record), and "records: statement <i> (<path>): ..." for a learner or activity
/// id the service does not allow (charset and length of ServiceLimits); ResourceExhausted when the
/// accepted records exceed max_batch_events; FailedPrecondition without a graph; NotFound naming
/// the statement for an activity that the graph lacks.
Result<ImportLearningRecordsOutcome> ImportLearningRecords(Tenant& tenant,
                                                           const ImportLearningRecordsCall& call,
                                                           const ServiceLimits& limits);

enum class FrameworkFormat { kCase, kEdFi };

struct ImportFrameworkCall {
  FrameworkFormat format = FrameworkFormat::kCase;
  std::string text;  ///< the CFPackage JSON, or the Ed-Fi learning standards (JSON or XML)
  CaseVersion case_version = CaseVersion::kV1p1;
  std::optional<int64_t> expected_version;  ///< as PutGraph's
  bool dry_run = false;
};

struct ImportFrameworkOutcome {
  /// The graph put (version 0 and learners_rescored 0 on a dry run); its counts either way.
  PutGraphOutcome graph;
  size_t records = 0;       ///< CFItems or Ed-Fi learning standards read
  size_t associations = 0;  ///< CFAssociations read (CASE)
  std::map<std::string, size_t> associations_by_type;
  /// Association types read but not imported (not isChildOf, precedes, exactMatchOf or
  /// isRelatedTo), sorted.
  std::vector<std::string> unknown_association_types;
  size_t aliases = 0;  ///< exactMatchOf (CASE), equivalences (Ed-Fi XML)
  size_t related = 0;  ///< isRelatedTo (CASE)
  /// The importer's notes, "<path>: <message>": warnings (no prerequisites) and what was skipped.
  std::vector<std::string> warnings;
};

/// Imports a framework with the library (ParseCasePackage / ParseEdFiLearningStandards) and puts
/// it as the tenant's graph as Tenant::PutGraph does (every learner re-derived), unless dry_run.
/// Errors as the importer's (InvalidArgument "document: <path>: ...", FailedPrecondition for a
/// cycle), then as PutGraph's; InvalidArgument naming "document.competencies[i].id" & co for an id
/// or text over the service's limits, ResourceExhausted for too many items.
Result<ImportFrameworkOutcome> ImportFramework(Tenant& tenant, const ImportFrameworkCall& call,
                                               const ServiceLimits& limits);

struct ImportRosterCall {
  /// File name as in the export ("classes.csv", "users.csv", "enrollments.csv", optionally
  /// "orgs.csv", "courses.csv", "manifest.csv") -> its CSV text.
  std::map<std::string, std::string> files;
  bool dry_run = false;
};

struct ImportRosterOutcome {
  Roster roster;
  bool replaced = false;                   ///< the tenant had a roster before (never on a dry run)
  std::vector<std::string> ignored_files;  ///< files given that a roster does not read
};

/// Reads a OneRoster 1.2 CSV export with the library (ParseOneRosterFiles) and stores its classes
/// and their learners as the tenant's roster (a new version in the store; a restart reads the
/// latest), for the class report. Errors: InvalidArgument
/// "roster/<file>:<line>: ..." (all listed) and for a needed file not given; ResourceExhausted for
/// more files than max_list_items.
Result<ImportRosterOutcome> ImportRoster(Tenant& tenant, const ImportRosterCall& call,
                                         const ServiceLimits& limits);

struct ClassReportCall {
  /// A class of the tenant's roster (its sourcedId), or
  std::string class_id;
  /// the learners to report on, in this order (each must have events).
  std::vector<std::string> learner_ids;
  std::vector<std::string> goals;  ///< empty: the graph's root groups
  std::string title;               ///< empty: "Class report"
};

struct ClassReportOutcome {
  std::string html;  ///< ClassReportHtml: one self-contained page
  size_t learners = 0, events = 0, cohorts = 0, at_goal = 0, stalled = 0;
  int64_t graph_version = 0;
  int64_t model_version = 0;
};

/// The class report of `pathwise report class` on the tenant's stored events, graph and active
/// model: for a roster class, the same learners, cohorts (every class of the roster) and
/// description as `--roster DIR --class ID`; for a list of learners, just those. A roster learner
/// without events is shown at the priors.
///
/// Errors: InvalidArgument without class_id or learner_ids, or with both, and for ids over the
/// limits; FailedPrecondition without a graph; NotFound for a class the roster lacks (or no
/// roster), a learner of learner_ids the tenant does not have ("learner_ids[i]: ..."), an unknown
/// goal.
Result<ClassReportOutcome> BuildTenantClassReport(Tenant& tenant, const ClassReportCall& call,
                                                  const ServiceLimits& limits);

}  // namespace pathwise::app

#endif  // PATHWISE_APP_STANDARDS_H_
