// `pathwise export xapi|badge` and `pathwise report class`: mastery out to education standards
// and to a teacher. Each replays an events file through the tracker, as `recommend` does.
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/io/case_import.h>
#include <pathwise/io/class_report.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/oneroster_import.h>
#include <pathwise/io/standards_export.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>

#include "commands.h"
#include "exit_codes.h"

namespace pathwise::cli {
namespace {

struct ReplayArgs {
  std::string graph;
  std::string model;
  std::string events;
  std::string case_package;
  std::string iri_base = CompetencyIriScheme{}.base;
  std::string output;
  /// Evidence before "mastered" (the course's; a competency's own setting in the graph wins).
  int mastery_min_opportunities = TrackerOptions{}.mastery_min_opportunities;
  int mastery_recent_correct = TrackerOptions{}.mastery_recent_correct;
};

struct Loaded {
  CompetencyGraph graph;
  BktModel model;
  std::vector<Observation> events;
  CompetencyIriScheme iris;
};

void AddReplayOptions(CLI::App* cmd, ReplayArgs* args, bool iris) {
  cmd->add_option("--graph", args->graph, "Competency graph file (pathwise.graph JSON)")
      ->required();
  cmd->add_option(
      "--model", args->model,
      "BKT model JSON (pathwise.bkt_model); default: BKT defaults for every competency");
  cmd->add_option("--events", args->events,
                  "Events CSV (event_id,learner_id,activity_id,outcome[,timestamp]), replayed in "
                  "file order")
      ->required();
  cmd->add_option("--mastery-min-opportunities", args->mastery_min_opportunities,
                  "Answers before a competency counts as mastered (a competency's own "
                  "mastery_min_opportunities in the graph takes precedence)")
      ->capture_default_str();
  cmd->add_option("--mastery-recent-correct", args->mastery_recent_correct,
                  "The last N answers must be right for mastered (0: off; a competency's own "
                  "setting takes precedence)")
      ->capture_default_str();
  if (iris) {
    cmd->add_option("--case", args->case_package,
                    "CASE CFPackage the graph was imported from: competencies are named by their "
                    "CFItem uri");
    cmd->add_option("--iri-base", args->iri_base,
                    "IRI prefix of the other competencies (followed by the percent-encoded id)");
  }
}

// Sets *exit_code and prints the error when loading fails.
bool Load(const ReplayArgs& args, const char* command, Loaded* out, int* exit_code) {
  auto fail = [&](const Status& status, int code) {
    std::cerr << "pathwise " << command << ": " << status.message() << "\n";
    *exit_code = code;
    return false;
  };
  Result<CompetencyGraph> graph = ReadGraphFile(args.graph);
  if (!graph.ok()) return fail(graph.status(), ExitCodeFor(graph.status()));
  out->graph = std::move(graph).value();
  if (!args.model.empty()) {
    Result<BktModel> model = ReadModelFile(args.model);
    if (!model.ok()) return fail(model.status(), ExitCodeFor(model.status()));
    out->model = std::move(model).value();
  }
  Result<std::vector<Observation>> events = ReadObservationsCsv(args.events);
  if (!events.ok()) return fail(events.status(), ExitCodeFor(events.status()));
  out->events = std::move(events).value();
  out->iris.base = args.iri_base;
  if (!args.case_package.empty()) {
    Result<ImportedCase> package = ReadCasePackage(args.case_package);
    if (!package.ok()) return fail(package.status(), ExitCodeFor(package.status()));
    out->iris.iris = package->report.uris;
  }
  Status iris = out->iris.Validate();
  if (!iris.ok()) return fail(iris.WithContext("--iri-base"), kExitUsage);
  return true;
}

int WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.flush();
  if (!file) {
    std::cerr << path << ": cannot write\n";
    return kExitUsage;
  }
  return kExitOk;
}

TrackerOptions EvidenceOf(const ReplayArgs& args) {
  TrackerOptions options;
  options.mastery_min_opportunities = args.mastery_min_opportunities;
  options.mastery_recent_correct = args.mastery_recent_correct;
  return options;
}

// Replays every event; `on_applied` sees each applied event with the mastery before it and the
// record's result. Errors name the event by its position in the file.
Status Replay(const Loaded& loaded, const ReplayArgs& args,
              const std::function<Status(const MasteryTracker&, const Observation&, size_t,
                                         const LearnerMastery&, const RecordResult&)>& on_applied) {
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<MasteryTracker> tracker,
                            MasteryTracker::Create(loaded.graph, loaded.model, EvidenceOf(args)));
  std::unordered_map<std::string, size_t> sequence;
  for (size_t i = 0; i < loaded.events.size(); ++i) {
    const Observation& e = loaded.events[i];
    Result<LearnerMastery> before = tracker->Mastery(e.learner_id);
    const LearnerMastery previous =
        before.ok() ? std::move(before).value() : tracker->PriorMastery(e.learner_id);
    Result<RecordResult> result = tracker->Record(e);
    if (!result.ok()) {
      return result.status().WithContext(args.events + ": event " + std::to_string(i + 1) +
                                         " (id '" + e.event_id + "')");
    }
    if (!result->applied) continue;
    PATHWISE_RETURN_IF_ERROR(on_applied(*tracker, e, sequence[e.learner_id]++, previous, *result));
  }
  return Status::Ok();
}

// --- export xapi
// ------------------------------------------------------------------------------------

struct XapiArgs {
  ReplayArgs replay;
  std::string home_page;
  std::vector<std::string> learners;
  bool mastered_only = false;
  std::string id_namespace = std::string(kPathwiseUuidNamespace);
  std::string timestamp;
};

int RunExportXapi(const XapiArgs& args) {
  int exit_code = kExitRejected;
  Loaded loaded;
  if (!Load(args.replay, "export xapi", &loaded, &exit_code)) return exit_code;
  XapiExportOptions options;
  options.account_home_page = args.home_page;
  options.iris = loaded.iris;
  options.id_namespace = args.id_namespace;
  options.progressed = !args.mastered_only;
  if (!args.timestamp.empty()) {
    Result<TimestampMs> when = ParseTimestamp(args.timestamp);
    if (!when.ok()) {
      std::cerr << "pathwise export xapi: --timestamp: " << when.status().message() << "\n";
      return kExitUsage;
    }
    options.default_timestamp_ms = *when;
  }
  Result<std::vector<MasteryChange>> replayed =
      ReplayMasteryChanges(loaded.graph, loaded.model, loaded.events, EvidenceOf(args.replay));
  if (!replayed.ok()) {
    std::cerr << "pathwise export xapi: " << args.replay.events << ": "
              << replayed.status().message() << "\n";
    return kExitRejected;
  }
  std::vector<MasteryChange> changes;
  std::set<std::string> wanted(args.learners.begin(), args.learners.end());
  for (MasteryChange& c : *replayed) {
    if (wanted.empty() || wanted.count(c.learner_id) > 0) changes.push_back(std::move(c));
  }
  Result<std::string> json = MasteryStatementsJson(loaded.graph, changes, options);
  if (!json.ok()) {
    std::cerr << "pathwise export xapi: " << json.status().message() << "\n";
    return json.status().message().rfind("changes[", 0) == 0 ? kExitRejected : kExitUsage;
  }
  // What is written must be valid: the validator is the contract the tests hold the export to.
  Status valid = ValidateXapiStatements(*json, "export");
  if (!valid.ok()) {
    std::cerr << "pathwise export xapi: internal error, invalid output:\n"
              << valid.message() << "\n";
    return kExitRejected;
  }
  size_t mastered = 0;
  for (const MasteryChange& c : changes) mastered += !c.mastered_before && c.mastered_after;
  const size_t statements = (options.progressed ? changes.size() : 0) + mastered;
  std::cerr << args.replay.events << ": " << loaded.events.size() << " events replayed; "
            << changes.size() << " mastery changes; " << statements << " statements ("
            << (options.progressed ? changes.size() : 0) << " progressed, " << mastered
            << " mastered)\n";
  return WriteOutput(args.replay.output, *json);
}

// --- export badge
// -----------------------------------------------------------------------------------

struct BadgeArgs {
  ReplayArgs replay;
  std::string learner;
  std::string achievement;
  std::string issuer_id;
  std::string issuer_name;
  std::string identity_type = "systemId";
};

int RunExportBadge(const BadgeArgs& args) {
  int exit_code = kExitRejected;
  Loaded loaded;
  if (!Load(args.replay, "export badge", &loaded, &exit_code)) return exit_code;
  const CompetencyGraph& graph = loaded.graph;
  std::vector<std::string> members;
  if (graph.FindCompetency(args.achievement) != nullptr) {
    members = {args.achievement};
  } else if (graph.FindGroup(args.achievement) != nullptr) {
    members = graph.GroupMembers(args.achievement);
  } else {
    std::cerr << "pathwise export badge: --achievement: '" << args.achievement
              << "' is neither a competency nor a group of " << args.replay.graph << "\n";
    return kExitRejected;
  }
  // validFrom is when the achievement last became mastered, so that a rerun on the same events
  // issues the same credential.
  bool mastered = false;
  TimestampMs mastered_ms = 0;
  double p_learned = 0.0;
  Status status =
      Replay(loaded, args.replay,
             [&](const MasteryTracker& tracker, const Observation& e, size_t, const LearnerMastery&,
                 const RecordResult&) -> Status {
               if (e.learner_id != args.learner) return Status::Ok();
               // The group rule needs every member, not only those this event updated.
               bool all = true;
               double sum = 0.0;
               for (const std::string& id : members) {
                 PATHWISE_ASSIGN_OR_RETURN(MasteryEstimate m, tracker.Mastery(args.learner, id));
                 all = all && m.mastered;
                 sum += m.p_learned;
               }
               if (all && !mastered) mastered_ms = e.timestamp_ms;
               mastered = all;
               p_learned = members.empty() ? 0.0 : sum / members.size();
               return Status::Ok();
             });
  if (!status.ok()) {
    std::cerr << "pathwise export badge: " << status.message() << "\n";
    return kExitRejected;
  }
  if (!mastered) {
    std::cerr << "pathwise export badge: " << args.learner << " has not mastered '"
              << args.achievement << "' (mean P(learned) " << p_learned
              << "); no credential issued\n";
    return kExitRejected;
  }
  BadgeOptions options;
  options.issuer_id = args.issuer_id;
  options.issuer_name = args.issuer_name;
  options.identity_type = args.identity_type;
  options.iris = loaded.iris;
  BadgeAward award{args.learner, args.achievement, mastered_ms, p_learned};
  Result<std::string> json = BadgeCredentialJson(graph, award, options);
  if (!json.ok()) {
    std::cerr << "pathwise export badge: " << json.status().message() << "\n";
    return json.status().message().rfind("mastered_ms", 0) == 0 ? kExitRejected : kExitUsage;
  }
  Status valid = ValidateBadgeCredential(*json, "export");
  if (!valid.ok()) {
    std::cerr << "pathwise export badge: internal error, invalid output:\n"
              << valid.message() << "\n";
    return kExitRejected;
  }
  std::cerr << "Open Badges 3.0 credential for " << args.learner << ": '" << args.achievement
            << "' (validFrom: when it was mastered; unsigned: sign it before issuing)\n";
  return WriteOutput(args.replay.output, *json);
}

// --- report class
// -----------------------------------------------------------------------------------

struct ReportArgs {
  ReplayArgs replay;
  std::string roster;
  std::string class_id;
  std::string cohorts;
  std::string cohort_column = "cohort";
  std::vector<std::string> goals;
  std::string title;
  int stall_min_attempts = MasteryPolicyOptions{}.stall_min_attempts;
  int stall_max_recent_correct = MasteryPolicyOptions{}.stall_max_recent_correct;
  int recommendations = ClassReportOptions{}.recommendations_per_learner;
};

int RunReportClass(const ReportArgs& args) {
  int exit_code = kExitRejected;
  Loaded loaded;
  if (!Load(args.replay, "report class", &loaded, &exit_code)) return exit_code;
  ClassReportInput input;
  input.events = loaded.events;
  if (!args.class_id.empty() && args.roster.empty()) {
    std::cerr << "pathwise report class: --class needs --roster DIR\n";
    return kExitUsage;
  }
  if (!args.roster.empty()) {
    Result<Roster> roster = ReadOneRosterDirectory(args.roster);
    if (!roster.ok()) {
      std::cerr << "pathwise report class: " << roster.status().message() << "\n";
      return ExitCodeFor(roster.status());
    }
    Result<ClassReportInput> from_roster =
        ClassReportInputForRoster(*roster, args.class_id, args.roster);
    if (!from_roster.ok()) {
      std::cerr << "pathwise report class: --class: " << from_roster.status().message() << "\n";
      return kExitRejected;
    }
    input.learners = std::move(from_roster->learners);
    input.cohorts = std::move(from_roster->cohorts);
    input.description = std::move(from_roster->description);
  }
  if (!args.cohorts.empty()) {
    Result<std::map<std::string, std::vector<std::string>>> groups =
        ReadLearnerGroupsCsv(args.cohorts, args.cohort_column);
    if (!groups.ok()) {
      std::cerr << "pathwise report class: " << groups.status().message() << "\n";
      return ExitCodeFor(groups.status());
    }
    for (auto& [name, learners] : *groups) {
      const std::string key = args.cohort_column + " " + name;
      input.cohorts[key] = std::move(learners);
    }
  }
  ClassReportOptions options;
  if (!args.title.empty()) options.title = args.title;
  options.goals = args.goals;
  options.recommender.mastery.stall_min_attempts = args.stall_min_attempts;
  options.recommender.mastery.stall_max_recent_correct = args.stall_max_recent_correct;
  options.recommendations_per_learner = args.recommendations;
  options.recommender.mastery.mastery_min_opportunities = args.replay.mastery_min_opportunities;
  options.recommender.mastery.mastery_recent_correct = args.replay.mastery_recent_correct;
  Result<ClassReport> report = BuildClassReport(loaded.graph, loaded.model, input, options);
  if (!report.ok()) {
    std::cerr << "pathwise report class: " << report.status().message() << "\n";
    return kExitRejected;
  }
  size_t stalled = 0, at_goal = 0;
  for (const ClassReportLearner& l : report->learners) {
    stalled += l.stalled.size();
    at_goal += l.goal_reached;
  }
  const int written = WriteOutput(args.replay.output, ClassReportHtml(*report));
  if (written != kExitOk) return written;
  std::cerr << "Class report: " << report->learners.size() << " learners, "
            << report->events_applied << " events, " << report->cohorts.size() << " cohorts, "
            << at_goal << " at the goal, " << stalled << " stalled pairs";
  if (!args.replay.output.empty() && args.replay.output != "-") {
    std::cerr << "; wrote " << args.replay.output;
  }
  std::cerr << "\n";
  return kExitOk;
}

}  // namespace

void AddExportCommands(CLI::App& app, int* exit_code) {
  CLI::App* export_cmd =
      app.add_subcommand("export", "Export mastery as xAPI statements or Open Badges 3.0");
  export_cmd->require_subcommand(1);

  auto xapi = std::make_shared<XapiArgs>();
  CLI::App* xapi_cmd = export_cmd->add_subcommand(
      "xapi", "Replay events; one xAPI statement per mastery change (progressed, mastered)");
  AddReplayOptions(xapi_cmd, &xapi->replay, /*iris=*/true);
  xapi_cmd
      ->add_option("--home-page", xapi->home_page,
                   "account.homePage of the actors (the LMS whose accounts the learner ids are)")
      ->required();
  xapi_cmd->add_option("--learner", xapi->learners, "Only this learner (repeatable)");
  xapi_cmd->add_flag("--mastered-only", xapi->mastered_only,
                     "Only 'mastered' statements, no 'progressed'");
  xapi_cmd->add_option("--id-namespace", xapi->id_namespace,
                       "UUID namespace of the statement ids (UUIDv5)");
  xapi_cmd->add_option("--timestamp", xapi->timestamp,
                       "Time of events without one (ISO 8601 UTC or ms since the epoch)");
  xapi_cmd->add_option("-o,--output", xapi->replay.output,
                       "JSON file to write (an array of statements); default standard output");
  xapi_cmd->callback([xapi, exit_code] { *exit_code = RunExportXapi(*xapi); });

  auto badge = std::make_shared<BadgeArgs>();
  CLI::App* badge_cmd = export_cmd->add_subcommand(
      "badge", "An unsigned Open Badges 3.0 credential for a mastered competency or group");
  AddReplayOptions(badge_cmd, &badge->replay, /*iris=*/true);
  badge_cmd->add_option("--learner", badge->learner, "Learner id")->required();
  badge_cmd->add_option("--achievement", badge->achievement, "Competency or group id")->required();
  badge_cmd->add_option("--issuer-id", badge->issuer_id, "Issuer IRI (https://... or did:...)")
      ->required();
  badge_cmd->add_option("--issuer-name", badge->issuer_name, "Issuer name")->required();
  badge_cmd->add_option("--identity-type", badge->identity_type,
                        "identityType of the learner id (systemId, oneRosterSourcedId, ...)");
  badge_cmd->add_option("-o,--output", badge->replay.output,
                        "JSON file to write; default standard output");
  badge_cmd->callback([badge, exit_code] { *exit_code = RunExportBadge(*badge); });

  CLI::App* report_cmd = app.add_subcommand("report", "Reports for people");
  report_cmd->require_subcommand(1);
  auto report = std::make_shared<ReportArgs>();
  CLI::App* class_cmd = report_cmd->add_subcommand(
      "class", "One self-contained HTML page: heatmap, stalled learners, cohorts, pathways");
  AddReplayOptions(class_cmd, &report->replay, /*iris=*/false);
  class_cmd->add_option("--roster", report->roster,
                        "OneRoster 1.2 CSV directory: its classes are cohorts");
  class_cmd->add_option("--class", report->class_id,
                        "Report on this OneRoster class's learners (sourcedId)");
  class_cmd->add_option("--cohorts", report->cohorts,
                        "Learner groups CSV (learner_id and the --cohort-column)");
  class_cmd->add_option("--cohort-column", report->cohort_column,
                        "Column of --cohorts that names the cohort");
  class_cmd->add_option("--goal", report->goals,
                        "Class goal, a competency or group id (repeatable); default: every root "
                        "group");
  class_cmd->add_option("--title", report->title, "Title of the page");
  // The recommender's stall rule, as `pathwise recommend` names its flags.
  class_cmd->add_option("--stall-min-attempts", report->stall_min_attempts,
                        "Stalled: at most --stall-max-recent-correct of the last this many answers "
                        "to an unmastered competency right (2 to 8)");
  class_cmd->add_option("--stall-max-recent-correct", report->stall_max_recent_correct,
                        "See --stall-min-attempts");
  class_cmd
      ->add_option("--recommendations", report->recommendations,
                   "Recommendations shown per learner")
      ->check(CLI::PositiveNumber);
  class_cmd->add_option("-o,--output", report->replay.output, "HTML file to write")->required();
  class_cmd->callback([report, exit_code] { *exit_code = RunReportClass(*report); });
}

}  // namespace pathwise::cli
