#include "app/standards.h"

#include <algorithm>
#include <set>
#include <utility>

#include <pathwise/competency_graph.h>
#include <pathwise/io/class_report.h>
#include <pathwise/io/edfi_import.h>

#include "app/log.h"

namespace pathwise::app {
namespace {

// The names in messages: the request fields the texts come in (standards_service.proto).
constexpr char kRecordsSource[] = "records";
constexpr char kDocumentSource[] = "document";
constexpr char kRosterSource[] = "roster";

// The association types the CASE importer turns into something (docs/standards.md); the others
// are only counted and noted.
const std::set<std::string>& ImportedAssociationTypes() {
  static const std::set<std::string> types = {"isChildOf", "precedes", "exactMatchOf",
                                              "isRelatedTo"};
  return types;
}

// The files of a OneRoster 1.2 CSV export that the roster reader reads.
const std::set<std::string>& RosterFileNames() {
  static const std::set<std::string> names = {"manifest.csv", "orgs.csv",  "courses.csv",
                                              "classes.csv",  "users.csv", "enrollments.csv"};
  return names;
}

// "records: statement 3 ([3]): " for a record the service refuses after the library accepted it.
std::string RecordPrefix(const ImportLearningRecordsCall& call, const RecordOrigin& origin) {
  return std::string(kRecordsSource) + ": " +
         (call.format == LearningRecordFormat::kXapi ? "statement " : "event ") +
         std::to_string(origin.index) + " (" + origin.path + "): ";
}

// The service's id rules (charset, length) and the graph, applied to what the library accepted:
// an xAPI account id ("account:<homePage>|<name>") or an IRI may be a fine learner or activity id
// for the library and still not one the service stores.
Status CheckAccepted(const ImportLearningRecordsCall& call, const ImportedObservations& imported,
                     const Curriculum& curriculum, const ServiceLimits& limits) {
  std::string problems;
  bool malformed = false;  // else only unknown activities: NotFound
  size_t listed = 0;
  constexpr size_t kMaxListed = 20;
  auto add = [&](const std::string& line) {
    if (listed++ < kMaxListed) problems += (problems.empty() ? "" : "\n") + line;
  };
  for (size_t i = 0; i < imported.observations.size(); ++i) {
    const Observation& o = imported.observations[i];
    const std::string at = RecordPrefix(call, imported.origins[i]);
    Status learner = ValidateId(o.learner_id, "learner id", limits);
    if (!learner.ok()) {
      malformed = true;
      add(at + learner.message() +
          (o.learner_id.find('|') != std::string::npos
               ? " (an xAPI account: give account_home_page to use account names as learner ids)"
               : ""));
    }
    Status activity = ValidateId(o.activity_id, "activity id", limits);
    if (!activity.ok()) {
      malformed = true;
      add(at + activity.message() + " (map the IRI with activity_map)");
    } else if (!curriculum.engine->tracker().ActivityIndex(o.activity_id).ok()) {
      // The records do not match the tenant's graph: NOT_FOUND, as RecordEvents says it, unless
      // something is malformed too.
      add(at + "activity '" + o.activity_id +
          "' is neither an activity nor a competency of the tenant's graph (version " +
          std::to_string(curriculum.graph_version) + "; map the IRI with activity_map)");
    }
    Status event = ValidateOptionalId(o.event_id, "event id", limits);
    if (!event.ok()) {
      malformed = true;
      add(at + event.message());
    }
  }
  if (listed == 0) return Status::Ok();
  if (listed > kMaxListed) {
    problems += "\n... and " + std::to_string(listed - kMaxListed) + " more";
  }
  return Status(malformed ? StatusCode::kInvalidArgument : StatusCode::kNotFound,
                problems + "\nnothing stored");
}

}  // namespace

Result<ImportLearningRecordsOutcome> ImportLearningRecords(Tenant& tenant,
                                                           const ImportLearningRecordsCall& call,
                                                           const ServiceLimits& limits) {
  PATHWISE_ASSIGN_OR_RETURN(ImportedObservations imported,
                            call.format == LearningRecordFormat::kXapi
                                ? ParseXapiStatements(call.text, kRecordsSource, call.options)
                                : ParseCaliperEvents(call.text, kRecordsSource, call.options));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(imported.observations.size(), limits.max_batch_events, "records (answers)"));
  std::shared_ptr<const Curriculum> curriculum = tenant.curriculum();
  if (!curriculum->has_graph() && !imported.observations.empty()) {
    return Status::FailedPrecondition(
        "the tenant has no graph yet: put one with CurriculumService.PutGraph or "
        "StandardsService.ImportFramework first");
  }
  if (!imported.observations.empty()) {
    PATHWISE_RETURN_IF_ERROR(CheckAccepted(call, imported, *curriculum, limits));
  }

  ImportLearningRecordsOutcome out;
  std::set<std::string> learners;
  for (const Observation& o : imported.observations) learners.insert(o.learner_id);
  out.learners.assign(learners.begin(), learners.end());
  if (!imported.observations.empty()) {
    PATHWISE_ASSIGN_OR_RETURN(RecordPreview preview, tenant.PreviewRecord(imported.observations));
    out.new_learners = std::move(preview.new_learners);
    if (call.dry_run) {
      out.recorded = preview.new_events;
      out.duplicates = preview.duplicates;
    } else {
      PATHWISE_ASSIGN_OR_RETURN(RecordOutcome recorded,
                                tenant.Record(imported.observations, /*want_mastery=*/false));
      out.recorded = recorded.recorded;
      out.duplicates = recorded.duplicate_indices.size();
    }
  }
  // Voiding after recording: a batch that records an answer and voids an older one of the same
  // learner replays the learner with the new answer in place.
  if (!imported.report.voided_elsewhere.empty()) {
    PATHWISE_ASSIGN_OR_RETURN(out.voided,
                              tenant.VoidEvents(imported.report.voided_elsewhere, call.dry_run));
  }
  out.report = std::move(imported.report);
  if (!call.dry_run) {
    LogLine(LogLevel::kInfo, "learning records imported")
        .Add("tenant", tenant.id())
        .Add("records", static_cast<uint64_t>(out.report.records_read))
        .Add("recorded", out.recorded)
        .Add("duplicates", out.duplicates)
        .Add("voided", static_cast<uint64_t>(out.voided.removed.size()));
  }
  return out;
}

Result<ImportFrameworkOutcome> ImportFramework(Tenant& tenant, const ImportFrameworkCall& call,
                                               const ServiceLimits& limits) {
  ImportFrameworkOutcome out;
  std::optional<CompetencyGraph> graph;
  if (call.format == FrameworkFormat::kCase) {
    CaseImportOptions options;
    options.version = call.case_version;
    PATHWISE_ASSIGN_OR_RETURN(ImportedCase imported,
                              ParseCasePackage(call.text, kDocumentSource, options));
    const CaseImportReport& report = imported.report;
    out.records = report.items;
    out.associations = report.associations;
    out.associations_by_type = report.associations_by_type;
    for (const auto& [type, count] : report.associations_by_type) {
      if (ImportedAssociationTypes().count(type) == 0)
        out.unknown_association_types.push_back(type);
    }
    out.aliases = report.aliases.size();
    out.related = report.related.size();
    for (const CaseNote& note : report.notes)
      out.warnings.push_back(note.path + ": " + note.message);
    graph = std::move(imported.graph);
  } else {
    PATHWISE_ASSIGN_OR_RETURN(ImportedEdFi imported,
                              ParseEdFiLearningStandards(call.text, kDocumentSource));
    out.records = imported.standards;
    out.aliases = imported.equivalences.size();
    out.warnings = std::move(imported.notes);
    graph = std::move(imported.graph);
  }
  const GraphDefinition definition = graph->ToDefinition();
  PATHWISE_RETURN_IF_ERROR(CheckCount(definition.competencies.size(), limits.max_graph_items,
                                      "document (competencies)"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(definition.groups.size(), limits.max_graph_items, "document (groups)"));
  PATHWISE_RETURN_IF_ERROR(CheckCount(definition.prerequisites.size(), limits.max_graph_items,
                                      "document (prerequisites)"));
  std::vector<GraphProblem> problems;
  CheckGraphDefinitionLimits(definition, kDocumentSource, limits, &problems);
  if (definition.competencies.empty()) {
    problems.push_back({GraphProblem::Kind::kMalformed, kDocumentSource,
                        "the framework has no competencies (a graph needs at least one)"});
  }
  if (!problems.empty()) return ProblemsToStatus(problems);

  if (call.dry_run) {
    out.graph.competencies = definition.competencies.size();
    out.graph.prerequisites = definition.prerequisites.size();
    out.graph.activities = definition.activities.size();
    out.graph.groups = definition.groups.size();
    return out;
  }
  PATHWISE_ASSIGN_OR_RETURN(out.graph, tenant.PutGraph(definition, call.expected_version));
  return out;
}

Result<ImportRosterOutcome> ImportRoster(Tenant& tenant, const ImportRosterCall& call,
                                         const ServiceLimits& limits) {
  PATHWISE_RETURN_IF_ERROR(CheckCount(call.files.size(), limits.max_list_items, "files"));
  ImportRosterOutcome out;
  std::map<std::string, std::string> files;
  for (const auto& [name, text] : call.files) {
    if (RosterFileNames().count(name) == 0) {
      out.ignored_files.push_back(name);
    } else {
      files.emplace(name, text);
    }
  }
  PATHWISE_ASSIGN_OR_RETURN(out.roster, ParseOneRosterFiles(files, kRosterSource));
  if (call.dry_run) return out;
  PATHWISE_ASSIGN_OR_RETURN(out.replaced, tenant.PutRoster(out.roster));
  LogLine(LogLevel::kInfo, "roster imported")
      .Add("tenant", tenant.id())
      .Add("classes", static_cast<uint64_t>(out.roster.classes.size()))
      .Add("learners", static_cast<uint64_t>(out.roster.learners.size()));
  return out;
}

Result<ClassReportOutcome> BuildTenantClassReport(Tenant& tenant, const ClassReportCall& call,
                                                  const ServiceLimits& limits) {
  if (call.class_id.empty() == call.learner_ids.empty()) {
    return Status::InvalidArgument("give class_id or learner_ids (one of them)");
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(call.learner_ids.size(), limits.max_list_items, "learner_ids"));
  PATHWISE_RETURN_IF_ERROR(CheckCount(call.goals.size(), limits.max_list_items, "goals"));
  PATHWISE_RETURN_IF_ERROR(ValidateText(call.title, "title", limits));
  for (size_t i = 0; i < call.goals.size(); ++i) {
    PATHWISE_RETURN_IF_ERROR(ValidateId(call.goals[i], IndexPath("goals", i), limits));
  }
  std::shared_ptr<const Curriculum> curriculum = tenant.curriculum();
  if (!curriculum->has_graph()) {
    return Status::FailedPrecondition(
        "the tenant has no graph yet: put one with CurriculumService.PutGraph or "
        "StandardsService.ImportFramework first");
  }

  ClassReportInput input;
  // Learners of the roster may have no events yet (they are shown at the priors); learners named
  // one by one must be the tenant's, as everywhere else in the service.
  bool require_known = false;
  if (!call.class_id.empty()) {
    PATHWISE_RETURN_IF_ERROR(ValidateText(call.class_id, "class_id", limits));
    // A roster imported through another replica is read from the store once announced.
    PATHWISE_RETURN_IF_ERROR(tenant.CatchUp());
    std::shared_ptr<const Roster> roster = tenant.roster();
    if (roster == nullptr) {
      return Status::NotFound(
          "class_id: the tenant has no roster: import one with "
          "StandardsService.ImportRoster first");
    }
    Result<ClassReportInput> from_roster =
        ClassReportInputForRoster(*roster, call.class_id, "the tenant's roster");
    if (!from_roster.ok()) {
      return Status(from_roster.status().code(), "class_id: " + from_roster.status().message());
    }
    input = std::move(from_roster).value();
  } else {
    for (size_t i = 0; i < call.learner_ids.size(); ++i) {
      PATHWISE_RETURN_IF_ERROR(
          ValidateId(call.learner_ids[i], IndexPath("learner_ids", i), limits));
    }
    input.learners = call.learner_ids;
    require_known = true;
  }
  // The events of the learners the report shows, then of the other cohorts' learners: the CLI
  // replays a whole events file, and the latest event of any of them is the report's "now".
  std::vector<std::string> replayed = input.learners;
  std::set<std::string> listed(replayed.begin(), replayed.end());
  for (const auto& [cohort, learners] : input.cohorts) {
    for (const std::string& learner : learners) {
      if (listed.insert(learner).second) replayed.push_back(learner);
    }
  }
  for (size_t i = 0; i < replayed.size(); ++i) {
    Result<LearnerExport> exported = tenant.ExportLearner(replayed[i]);
    if (!exported.ok()) {
      if (exported.status().code() != StatusCode::kNotFound) return exported.status();
      if (require_known) {
        return Status::NotFound(IndexPath("learner_ids", i) + ": " + exported.status().message());
      }
      continue;
    }
    PATHWISE_ASSIGN_OR_RETURN(std::vector<store::StoredObservation> events,
                              exported->RemainingEvents());
    for (store::StoredObservation& e : events) input.events.push_back(std::move(e.observation));
  }
  ClassReportOptions options;
  if (!call.title.empty()) options.title = call.title;
  options.goals = call.goals;
  options.recommender = tenant.recommender_options();
  PATHWISE_ASSIGN_OR_RETURN(
      ClassReport report,
      BuildClassReport(curriculum->engine->graph(), curriculum->model, input, options));
  ClassReportOutcome out;
  out.html = ClassReportHtml(report);
  out.learners = report.learners.size();
  out.events = report.events_applied;
  out.cohorts = report.cohorts.size();
  for (const ClassReportLearner& l : report.learners) {
    out.stalled += l.stalled.size();
    out.at_goal += l.goal_reached ? 1 : 0;
  }
  out.graph_version = curriculum->graph_version;
  out.model_version = curriculum->model_version;
  return out;
}

}  // namespace pathwise::app
