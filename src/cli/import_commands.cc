// `pathwise import xapi|caliper|case|edfi|oneroster`: education-standards data in, Pathwise data
// out.
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/io/case_import.h>
#include <pathwise/io/edfi_import.h>
#include <pathwise/io/learning_records.h>
#include <pathwise/io/oneroster_import.h>

#include "commands.h"
#include "exit_codes.h"
#include "graph_output.h"

namespace pathwise::cli {
namespace {

using nlohmann::ordered_json;

// The whole input: a file, or standard input for "-".
Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    return buffer.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": no such file or cannot be opened");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

// The events CSV that ReadObservationsCsv reads back (pathwise/io/observations_csv.h).
std::string EventsCsv(const std::vector<Observation>& observations) {
  std::string text = "event_id,learner_id,activity_id,outcome,timestamp\n";
  for (const Observation& obs : observations) {
    std::ostringstream outcome;
    outcome.precision(17);
    outcome << obs.outcome;
    text += CsvField(obs.event_id) + "," + CsvField(obs.learner_id) + "," +
            CsvField(obs.activity_id) + "," + outcome.str() + "," +
            std::to_string(obs.timestamp_ms) + "\n";
  }
  return text;
}

struct RecordsArgs {
  std::string format;  // xapi or caliper
  std::string input;
  std::string activity_map;
  std::string output;
  std::string report = "text";
  bool completion_as_outcome = false;
  std::string account_home_page;
  bool dry_run = false;
};

std::string CountsText(const std::map<std::string, size_t>& counts) {
  std::string text;
  for (const auto& [key, count] : counts) {
    if (!text.empty()) text += ", ";
    text += key + " " + std::to_string(count);
  }
  return text;
}

int RunRecords(const RecordsArgs& args) {
  LearningRecordOptions options;
  options.completion_as_outcome = args.completion_as_outcome;
  options.account_home_page = args.account_home_page;
  if (!args.activity_map.empty()) {
    auto map = ReadActivityMapCsv(args.activity_map);
    if (!map.ok()) {
      std::cerr << map.status().message() << "\n";
      return ExitCodeFor(map.status());
    }
    options.activity_map = std::move(map).value();
  }
  Result<std::string> text = ReadInput(args.input);
  if (!text.ok()) {
    std::cerr << text.status().message() << "\n";
    return kExitUsage;
  }
  const std::string source = args.input == "-" ? "<stdin>" : args.input;
  Result<ImportedObservations> imported = args.format == "xapi"
                                              ? ParseXapiStatements(*text, source, options)
                                              : ParseCaliperEvents(*text, source, options);
  if (!imported.ok()) {
    std::cerr << imported.status().message() << "\n";
    return kExitRejected;
  }
  const LearningRecordReport& report = imported->report;
  const bool to_stdout = args.output == "-" && !args.dry_run;
  std::ostream& out = to_stdout ? std::cerr : std::cout;
  size_t skipped = 0;
  for (const auto& entry : report.skipped) skipped += entry.second;
  if (args.report == "json") {
    ordered_json doc;
    doc["command"] = "import " + args.format;
    doc["input"] = source;
    doc["dry_run"] = args.dry_run;
    doc["records"] = report.records_read;
    doc["accepted"] = report.accepted;
    doc["skipped"] = skipped;
    doc["skipped_by_reason"] = report.skipped;
    doc["skipped_by_verb"] = report.skipped_by_verb;
    doc["voiding"] = report.voiding;
    doc["voided_in_batch"] = report.voided_in_batch;
    doc["voided_elsewhere"] = report.voided_elsewhere;
    out << doc.dump() << "\n";
  } else {
    const char* noun = args.format == "xapi" ? "statements" : "events";
    out << source << ": " << report.records_read << " " << noun << "; " << report.accepted
        << " accepted, " << skipped << " skipped";
    if (skipped > 0) out << " (" << CountsText(report.skipped) << ")";
    out << ", " << report.voiding << " voiding.\n";
    if (!report.skipped_by_verb.empty()) {
      out << "Skipped, not answers: " << CountsText(report.skipped_by_verb) << "\n";
    }
    if (!report.voided_in_batch.empty()) {
      out << "Voided within the batch (removed): " << report.voided_in_batch.size() << "\n";
    }
    for (const std::string& id : report.voided_elsewhere) {
      out << "Voided, not in this batch: " << id
          << " (a store holding it must delete it and recompute the learner)\n";
    }
  }
  const std::string csv = EventsCsv(imported->observations);
  if (args.dry_run) {
    out << "Dry run: " << report.accepted << " events would be written"
        << (args.output.empty() ? "" : " to " + args.output) << "; nothing written.\n";
    return kExitOk;
  }
  if (args.output.empty()) {
    out << "Nothing written (no -o given; -o - writes the events CSV to standard output).\n";
    return kExitOk;
  }
  if (to_stdout) {
    std::cout << csv;
    return kExitOk;
  }
  std::ofstream file(args.output, std::ios::binary | std::ios::trunc);
  file << csv;
  file.flush();
  if (!file) {
    std::cerr << args.output << ": cannot write\n";
    return kExitUsage;
  }
  out << "Wrote " << report.accepted << " events to " << args.output << "\n";
  return kExitOk;
}

void AddRecordsCommand(CLI::App* import, const std::string& format, const std::string& help,
                       int* exit_code) {
  auto args = std::make_shared<RecordsArgs>();
  args->format = format;
  CLI::App* cmd = import->add_subcommand(format, help);
  cmd->add_option("FILE", args->input, "JSON file, or - for standard input")->required();
  cmd->add_option("--activity-map", args->activity_map,
                  "CSV with columns iri,activity_id; unmapped activities are skipped");
  if (format == "xapi") {
    cmd->add_flag("--completion-as-outcome", args->completion_as_outcome,
                  "Count result.completion alone as an answer (completed 1, not 0)");
    cmd->add_option("--account-home-page", args->account_home_page,
                    "Accounts on this homePage are learners named by account.name alone (e.g. "
                    "OneRoster sourcedIds)");
  }
  cmd->add_flag("--dry-run", args->dry_run, "Report what would be imported; write nothing");
  cmd->add_option("-o,--output", args->output,
                  "Events CSV to write (event_id,learner_id,activity_id,outcome,timestamp); - for "
                  "standard output");
  cmd->add_option("--report", args->report, "Report format")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->callback([args, exit_code] { *exit_code = RunRecords(*args); });
}

struct CaseArgs {
  std::string input;
  std::string version = "1.1";
  std::string output;
  std::string links;
  bool dry_run = false;
};

std::string LinksCsv(const CaseImportReport& report) {
  std::string text = "competency_id,relation,other_id,other_uri\n";
  for (const auto& [relation, links] : {std::make_pair("exactMatchOf", &report.aliases),
                                        std::make_pair("isRelatedTo", &report.related)}) {
    for (const CaseLink& link : *links) {
      text += CsvField(link.competency_id) + "," + relation + "," + CsvField(link.other_id) + "," +
              CsvField(link.other_uri) + "\n";
    }
  }
  return text;
}

int WriteText(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.flush();
  if (!file) {
    std::cerr << path << ": cannot write\n";
    return kExitUsage;
  }
  return kExitOk;
}

int RunCase(const CaseArgs& args) {
  CaseImportOptions options;
  options.version = args.version == "1.0" ? CaseVersion::kV1p0 : CaseVersion::kV1p1;
  Result<ImportedCase> imported = ReadCasePackage(args.input, options);
  if (!imported.ok()) {
    std::cerr << imported.status().message() << "\n";
    return ExitCodeFor(imported.status());
  }
  const CaseImportReport& report = imported->report;
  const CompetencyGraph& graph = imported->graph;
  std::cout << args.input << ": CASE " << args.version << " CFPackage '" << report.document_title
            << "' (" << report.document_id << "): " << report.items << " CFItems, "
            << report.associations << " CFAssociations (" << CountsText(report.associations_by_type)
            << ")\n";
  std::cout << "Graph: " << graph.num_competencies() << " competencies, "
            << graph.num_prerequisites() << " prerequisites (precedes), " << graph.num_groups()
            << " groups (isChildOf); " << report.aliases.size() << " aliases (exactMatchOf), "
            << report.related.size() << " related (isRelatedTo, not gating); "
            << report.notes.size() << " notes\n";
  for (const CaseNote& note : report.notes) {
    std::cerr << args.input << ": " << note.path << ": " << note.message << "\n";
  }
  if (args.dry_run) {
    std::cout << "Dry run: nothing written.\n";
    return kExitOk;
  }
  if (const int written = WriteGraphOutput(graph, args.output); written != kExitOk) return written;
  if (!args.links.empty()) {
    if (WriteText(args.links, LinksCsv(report)) != kExitOk) return kExitUsage;
    std::cout << "Wrote " << args.links << "\n";
  }
  return kExitOk;
}

struct EdFiArgs {
  std::string input;
  std::string output;
  bool dry_run = false;
};

int RunEdFi(const EdFiArgs& args) {
  Result<ImportedEdFi> imported = ReadEdFiLearningStandards(args.input);
  if (!imported.ok()) {
    std::cerr << imported.status().message() << "\n";
    return ExitCodeFor(imported.status());
  }
  const CompetencyGraph& graph = imported->graph;
  std::cout << args.input << ": " << imported->standards
            << " Ed-Fi learning standards; graph: " << graph.num_competencies() << " competencies, "
            << graph.num_prerequisites() << " prerequisites, " << graph.num_groups()
            << " groups (parents); " << imported->equivalences.size()
            << " equivalences (not gating); " << imported->notes.size() << " notes\n";
  for (const std::string& note : imported->notes) std::cerr << args.input << ": " << note << "\n";
  if (args.dry_run) {
    std::cout << "Dry run: nothing written.\n";
    return kExitOk;
  }
  return WriteGraphOutput(graph, args.output);
}

struct RosterArgs {
  std::string directory;
  std::string output;
  bool dry_run = false;
};

int RunOneRoster(const RosterArgs& args) {
  Result<Roster> roster = ReadOneRosterDirectory(args.directory);
  if (!roster.ok()) {
    std::cerr << roster.status().message() << "\n";
    return ExitCodeFor(roster.status());
  }
  std::cout << args.directory << ": OneRoster 1.2: " << roster->classes.size() << " classes, "
            << roster->learners.size() << " learners, " << roster->enrollments << " enrollments ("
            << roster->users << " users, " << roster->orgs << " orgs, " << roster->courses
            << " courses read)\n";
  std::string csv = "class_id,learner_id\n";
  for (const RosterClass& cls : roster->classes) {
    std::cout << "  class " << cls.sourced_id << " '" << cls.title << "': " << cls.learners.size()
              << " learners";
    for (size_t i = 0; i < cls.learners.size(); ++i) {
      std::cout << (i == 0 ? " (" : ", ") << cls.learners[i];
      csv += CsvField(cls.sourced_id) + "," + CsvField(cls.learners[i]) + "\n";
    }
    std::cout << (cls.learners.empty() ? "" : ")") << ", " << cls.teachers.size() << " teachers\n";
  }
  for (const std::string& note : roster->notes) std::cerr << note << "\n";
  if (args.dry_run) {
    std::cout << "Dry run: nothing written.\n";
    return kExitOk;
  }
  if (args.output.empty()) {
    std::cout << "Nothing written (no -o given).\n";
    return kExitOk;
  }
  if (WriteText(args.output, csv) != kExitOk) return kExitUsage;
  std::cout << "Wrote " << args.output << "\n";
  return kExitOk;
}

}  // namespace

void AddImportCommands(CLI::App& app, int* exit_code) {
  CLI::App* import = app.add_subcommand(
      "import", "Import education-standards data (xAPI, Caliper, CASE, Ed-Fi, OneRoster)");
  import->require_subcommand(1);
  AddRecordsCommand(
      import, "xapi",
      "xAPI 1.0.3 / 2.0 statements -> events CSV (answers only; see docs/standards.md)", exit_code);
  AddRecordsCommand(import, "caliper",
                    "Caliper 1.2 events or envelopes -> events CSV (GradeEvent scores)", exit_code);

  auto case_args = std::make_shared<CaseArgs>();
  CLI::App* case_cmd = import->add_subcommand(
      "case", "CASE CFPackage -> graph JSON (CFItems, isChildOf groups, precedes prerequisites)");
  case_cmd->add_option("FILE", case_args->input, "CFPackage JSON file")->required();
  case_cmd->add_option("--case-version", case_args->version, "CASE schema to validate against")
      ->check(CLI::IsMember({"1.0", "1.1"}));
  case_cmd->add_flag("--dry-run", case_args->dry_run,
                     "Report what would be created; write nothing");
  case_cmd->add_option("-o,--output", case_args->output, "Graph JSON file to write");
  case_cmd->add_option("--links", case_args->links,
                       "CSV of exactMatchOf aliases and isRelatedTo links to write");
  case_cmd->callback([case_args, exit_code] { *exit_code = RunCase(*case_args); });

  auto edfi_args = std::make_shared<EdFiArgs>();
  CLI::App* edfi_cmd = import->add_subcommand(
      "edfi", "Ed-Fi learning standards (API JSON or XML interchange) -> graph JSON");
  edfi_cmd
      ->add_option("FILE", edfi_args->input,
                   "JSON array of LearningStandard resources, or an InterchangeStandards XML file")
      ->required();
  edfi_cmd->add_flag("--dry-run", edfi_args->dry_run,
                     "Report what would be created; write nothing");
  edfi_cmd->add_option("-o,--output", edfi_args->output, "Graph JSON file to write");
  edfi_cmd->callback([edfi_args, exit_code] { *exit_code = RunEdFi(*edfi_args); });

  auto roster_args = std::make_shared<RosterArgs>();
  CLI::App* roster_cmd = import->add_subcommand(
      "oneroster", "OneRoster 1.2 CSV directory -> classes and their learners (sourcedIds)");
  roster_cmd->add_option("DIR", roster_args->directory, "Directory of the CSV files")->required();
  roster_cmd->add_flag("--dry-run", roster_args->dry_run, "Report what was found; write nothing");
  roster_cmd->add_option("-o,--output", roster_args->output, "CSV class_id,learner_id to write");
  roster_cmd->callback([roster_args, exit_code] { *exit_code = RunOneRoster(*roster_args); });
}

}  // namespace pathwise::cli
