// `pathwise graph validate|import|dot`.
#include <algorithm>
#include <cstddef>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_dot.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/mastery_csv.h>

#include "commands.h"
#include "exit_codes.h"
#include "graph_output.h"

namespace pathwise::cli {
namespace {

std::string Plural(size_t count, const std::string& singular, const std::string& plural) {
  return std::to_string(count) + " " + (count == 1 ? singular : plural);
}

// The longest chain of prerequisites, as competency ids from first to last.
std::vector<std::string> LongestChain(const CompetencyGraph& graph) {
  std::unordered_map<std::string, size_t> length;
  std::unordered_map<std::string, std::string> previous;
  std::string best_end;
  size_t best_length = 0;
  for (const std::string& id : graph.TopologicalOrder()) {
    size_t own = 1;
    for (const Prerequisite& edge : graph.PrerequisitesOf(id)) {
      if (length[edge.from] + 1 > own) {
        own = length[edge.from] + 1;
        previous[id] = edge.from;
      }
    }
    length[id] = own;
    if (own > best_length) {
      best_length = own;
      best_end = id;
    }
  }
  std::vector<std::string> chain;
  for (std::string id = best_end; !id.empty();) {
    chain.push_back(id);
    auto it = previous.find(id);
    id = it == previous.end() ? std::string() : it->second;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

std::string ChainText(const std::vector<std::string>& chain) {
  constexpr size_t kShown = 6;  // a long chain is summarised by its ends
  std::string text;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (chain.size() > kShown && i == kShown - 2) {
      text += " -> ...";
      i = chain.size() - 2;
      continue;
    }
    if (!text.empty()) text += " -> ";
    text += chain[i];
  }
  return text;
}

std::string GraphSummary(const CompetencyGraph& graph) {
  size_t roots = 0;
  size_t without_activity = 0;
  for (const Competency* competency : graph.competencies()) {
    if (graph.PrerequisitesOf(competency->id).empty()) ++roots;
    if (graph.ActivitiesFor(competency->id).empty()) ++without_activity;
  }
  const std::vector<std::string> chain = LongestChain(graph);
  std::string text = Plural(graph.num_competencies(), "competency", "competencies") + ", " +
                     Plural(graph.num_prerequisites(), "prerequisite", "prerequisites") + ", " +
                     Plural(graph.num_activities(), "activity", "activities") + " and " +
                     Plural(graph.num_groups(), "group", "groups") + "; " +
                     Plural(roots, "root", "roots") + " (competencies without prerequisites)";
  if (graph.num_prerequisites() > 0) {
    text += "; longest prerequisite chain: " + Plural(chain.size(), "competency", "competencies") +
            " (" + ChainText(chain) + ")";
  }
  if (without_activity > 0 && graph.num_activities() > 0) {
    text += "; " + Plural(without_activity, "competency has", "competencies have") + " no activity";
  }
  return text + ".";
}

int RunValidate(const std::string& path) {
  Result<GraphDefinition> definition = ReadGraphDefinitionFile(path);
  if (!definition.ok()) {
    std::cerr << definition.status().message() << "\n";
    return ExitCodeFor(definition.status());
  }
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(*definition);
  if (!problems.empty()) {
    std::cerr << path << ": invalid graph, " << Plural(problems.size(), "problem", "problems")
              << ":\n";
    for (const GraphProblem& problem : problems) {
      std::cerr << path << ": " << problem.path << ": " << problem.message << " ["
                << GraphProblemKindName(problem.kind) << "]\n";
    }
    return kExitRejected;
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(definition).value());
  if (!graph.ok()) {
    std::cerr << path << ": " << graph.status().message() << "\n";
    return kExitRejected;
  }
  std::cout << path << ": valid " << kGraphFormatName << " version " << kGraphFormatVersion
            << " with " << GraphSummary(*graph) << "\n";
  return kExitOk;
}

struct ImportArgs {
  std::string format;
  bool repair = false;
  std::string input;
  std::string questions;
  std::string output;
};

int RunImport(const ImportArgs& args) {
  if (!args.questions.empty() && args.format != "eedi") {
    std::cerr << "--questions only applies to --format eedi\n";
    return kExitUsage;
  }
  ImportOptions options;
  options.repair = args.repair;
  Result<ImportedGraph> imported =
      args.format == "junyi"
          ? ImportJunyiExerciseTable(args.input, options)
          : ImportEediSubjects(
                args.input,
                args.questions.empty() ? std::nullopt : std::optional<std::string>(args.questions),
                options);
  if (!imported.ok()) {
    const Status& status = imported.status();
    const int code = ExitCodeFor(status);
    std::cerr << args.input << ": import failed; nothing written:\n" << status.message() << "\n";
    if (code == kExitRejected && !args.repair) {
      std::cerr << "hint: --repair drops duplicate rows, bad references and one edge per cycle and "
                   "lists each drop; it cannot fix malformed CSV.\n";
    }
    return code;
  }
  const ImportReport& report = imported->report;
  for (const ImportProblem& problem : report.problems) {
    std::cerr << problem.ToString() << " [" << ImportProblemKindName(problem.kind) << "]\n";
  }
  const CompetencyGraph& graph = imported->graph;
  std::cout << "Imported " << args.input << " (" << args.format
            << "): " << Plural(report.rows_read, "row", "rows") << ", "
            << Plural(report.references_read, "reference", "references") << "; "
            << Plural(report.problems.size(), "problem", "problems")
            << (report.problems.empty() ? "" : " repaired")
            << "; graph: " << Plural(graph.num_competencies(), "competency", "competencies") << ", "
            << Plural(graph.num_prerequisites(), "prerequisite", "prerequisites") << ", "
            << Plural(graph.num_activities(), "activity", "activities") << ", "
            << Plural(graph.num_groups(), "group", "groups") << ".\n";
  return WriteGraphOutput(graph, args.output);
}

struct DotArgs {
  std::string input;
  std::string mastery;
  std::string output;
  double threshold = -1.0;  // < 0: each competency's own threshold
  bool no_groups = false;
  bool top_to_bottom = false;
};

int RunDot(const DotArgs& args) {
  Result<CompetencyGraph> graph = ReadGraphFile(args.input);
  if (!graph.ok()) {
    std::cerr << graph.status().message() << "\n";
    return ExitCodeFor(graph.status());
  }
  DotOptions options;
  options.group_clusters = !args.no_groups;
  options.left_to_right = !args.top_to_bottom;
  if (args.threshold >= 0.0) options.mastered_threshold = args.threshold;
  if (!args.mastery.empty()) {
    Result<std::unordered_map<std::string, double>> mastery = ReadMasteryCsv(args.mastery, &*graph);
    if (!mastery.ok()) {
      std::cerr << mastery.status().message() << "\n";
      return ExitCodeFor(mastery.status());
    }
    options.mastery = std::move(mastery).value();
  }
  const std::string dot = ToDot(*graph, options);
  if (args.output.empty() || args.output == "-") {
    std::cout << dot;
    return kExitOk;
  }
  std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
  out << dot;
  out.flush();
  if (!out) {
    std::cerr << args.output << ": cannot write\n";
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void AddGraphCommands(CLI::App& app, int* exit_code) {
  CLI::App* graph = app.add_subcommand("graph", "Validate, import and draw competency graphs");
  graph->require_subcommand(1);

  auto validate_file = std::make_shared<std::string>();
  CLI::App* validate = graph->add_subcommand(
      "validate", "Check a graph JSON file; print a summary, or every problem (exit 1)");
  validate->add_option("FILE", *validate_file, "Graph JSON file")->required();
  validate->callback([validate_file, exit_code] { *exit_code = RunValidate(*validate_file); });

  auto import_args = std::make_shared<ImportArgs>();
  CLI::App* import = graph->add_subcommand(
      "import", "Import a real curriculum (Junyi exercise table, Eedi subject tree) as graph JSON");
  import->add_option("--format", import_args->format, "Input format")
      ->required()
      ->check(CLI::IsMember({"junyi", "eedi"}));
  import->add_flag("--repair", import_args->repair,
                   "Drop duplicate rows, bad edges and one edge per cycle, and report each drop");
  import
      ->add_option("FILE", import_args->input,
                   "junyi_Exercise_table.csv, or Eedi subject_metadata.csv")
      ->required();
  import->add_option("--questions", import_args->questions,
                     "Eedi question_metadata CSV: one activity per question");
  import->add_option("-o,--output", import_args->output, "Graph JSON file to write");
  import->callback([import_args, exit_code] { *exit_code = RunImport(*import_args);
});

auto dot_args = std::make_shared<DotArgs>();
CLI::App* dot =
    graph->add_subcommand("dot", "Write a graph as Graphviz DOT (render with dot -Tsvg)");
dot->add_option("FILE", dot_args->input, "Graph JSON file")->required();
dot->add_option("--mastery", dot_args->mastery,
                "CSV with columns competency_id,p_learned: colour nodes red to green");
dot->add_option("--threshold", dot_args->threshold,
                "P(learned) counted as mastered (default: each competency's own threshold)")
    ->check(CLI::Range(0.0, 1.0));
dot->add_flag("--no-groups", dot_args->no_groups, "Do not draw groups as clusters");
dot->add_flag("--top-to-bottom", dot_args->top_to_bottom,
              "Lay out top to bottom, not left to right");
dot->add_option("-o,--output", dot_args->output, "DOT file to write (default: standard output)");
dot->callback([dot_args, exit_code] { *exit_code = RunDot(*dot_args); });
}  // namespace pathwise::cli

}  // namespace pathwise::cli
