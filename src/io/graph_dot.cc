// Graphviz DOT export of a competency graph, optionally coloured by a learner's mastery.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_dot.h>
#include <pathwise/io/mastery_csv.h>

#include "csv_reader.h"

namespace pathwise {
namespace {

// A DOT double-quoted string. Inside one, graphviz reads \" as a quote and keeps every other
// backslash, so doubling backslashes keeps a trailing one from escaping the closing quote; in
// labels (escString)
// "\\" then shows as one backslash. Line breaks become \n, which labels show as a new line.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

std::string FormatDouble(double value, const char* format) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// Red (hue 0) through yellow to green (hue 1/3) in graphviz's "H S V" colour form.
std::string MasteryColor(double p_learned) {
  return FormatDouble(p_learned / 3.0, "%.3f") + " 0.550 1.000";
}

class DotWriter {
 public:
  DotWriter(const CompetencyGraph& graph, const DotOptions& options)
      : graph_(graph), options_(options) {}

  std::string Write() {
    out_ += "digraph \"pathwise\" {\n";
    out_ += std::string("  graph [rankdir=") + (options_.left_to_right ? "LR" : "TB") +
            ", fontname=\"Helvetica\", fontsize=12];\n";
    out_ +=
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"white\", "
        "fontname=\"Helvetica\"];\n";
    out_ += "  edge [color=\"#555555\", fontname=\"Helvetica\", fontsize=10];\n";

    std::vector<const Competency*> ungrouped;
    for (const Competency* competency : graph_.competencies()) {
      if (options_.group_clusters && !competency->group.empty() &&
          graph_.FindGroup(competency->group) != nullptr) {
        members_[competency->group].push_back(competency);
      } else {
        ungrouped.push_back(competency);
      }
    }
    if (options_.group_clusters) {
      for (const Group* group : graph_.groups()) {
        if (!group->parent.empty() && graph_.FindGroup(group->parent) != nullptr) {
          subgroups_[group->parent].push_back(group);
        }
      }
      for (const Group* group : graph_.groups()) {
        if (group->parent.empty() || graph_.FindGroup(group->parent) == nullptr) {
          WriteCluster(*group, 1);
        }
      }
    }
    for (const Competency* competency : ungrouped) WriteNode(*competency, 1);
    for (const Prerequisite& prerequisite : graph_.prerequisites()) WriteEdge(prerequisite);
    out_ += "}\n";
    return std::move(out_);
  }

 private:
  void Indent(int depth) { out_.append(static_cast<size_t>(depth) * 2, ' '); }

  void WriteCluster(const Group& group, int depth) {
    Indent(depth);
    out_ += "subgraph " + Quote("cluster_" + std::to_string(cluster_count_++)) + " {\n";
    Indent(depth + 1);
    out_ += "label=" + Quote(group.name.empty() ? group.id : group.name) +
            "; tooltip=" + Quote(group.id) + "; style=\"rounded\"; color=\"#999999\";\n";
    auto subgroups = subgroups_.find(group.id);
    if (subgroups != subgroups_.end()) {
      for (const Group* child : subgroups->second) WriteCluster(*child, depth + 1);
    }
    auto members = members_.find(group.id);
    if (members != members_.end()) {
      for (const Competency* competency : members->second) WriteNode(*competency, depth + 1);
    }
    Indent(depth);
    out_ += "}\n";
  }

  void WriteNode(const Competency& competency, int depth) {
    std::string label = competency.name.empty() ? competency.id : competency.name;
    std::string attributes;
    auto mastery = options_.mastery.find(competency.id);
    if (mastery != options_.mastery.end()) {
      double p = mastery->second;
      p = std::isnan(p) ? 0.0 : std::clamp(p, 0.0, 1.0);
      const double threshold = options_.mastered_threshold.value_or(competency.mastery_threshold);
      const bool mastered = p >= threshold;
      label += "\nP(L) = " + FormatDouble(p, "%.2f");
      if (mastered) label += ", mastered";
      attributes += ", fillcolor=" + Quote(MasteryColor(p));
      if (mastered) attributes += ", peripheries=2, penwidth=2";
    }
    std::string tooltip = competency.id;
    if (!competency.description.empty()) tooltip += ": " + competency.description;
    Indent(depth);
    out_ += Quote(competency.id) + " [label=" + Quote(label) + ", tooltip=" + Quote(tooltip) +
            attributes + "];\n";
  }

  void WriteEdge(const Prerequisite& prerequisite) {
    out_ += "  " + Quote(prerequisite.from) + " -> " + Quote(prerequisite.to);
    if (prerequisite.strength < 1.0) {
      out_ += " [style=dashed, label=" + Quote(FormatDouble(prerequisite.strength, "%.2g")) + "]";
    }
    out_ += ";\n";
  }

  const CompetencyGraph& graph_;
  const DotOptions& options_;
  std::string out_;
  int cluster_count_ = 0;
  std::unordered_map<std::string, std::vector<const Competency*>> members_;
  std::unordered_map<std::string, std::vector<const Group*>> subgroups_;
};

}  // namespace

std::string ToDot(const CompetencyGraph& graph, const DotOptions& options) {
  return DotWriter(graph, options).Write();
}

Result<std::unordered_map<std::string, double>> ReadMasteryCsv(const std::string& path,
                                                               const CompetencyGraph* graph) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  PATHWISE_ASSIGN_OR_RETURN(io_internal::CsvTable table, io_internal::ParseCsv(text, path));
  PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> columns,
                            table.RequireColumns(path, {"competency_id", "p_learned"}));
  std::unordered_map<std::string, double> mastery;
  std::unordered_map<std::string, size_t> first_line;
  std::string errors;
  auto fail = [&](size_t line, const std::string& message) {
    if (!errors.empty()) errors += "\n";
    errors += path + ":" + std::to_string(line) + ": " + message;
  };
  for (const io_internal::CsvRow& row : table.rows) {
    const std::string id(io_internal::TrimSpaces(row.fields[columns[0]]));
    const std::string value(io_internal::TrimSpaces(row.fields[columns[1]]));
    if (id.empty()) {
      fail(row.line, "empty competency_id");
      continue;
    }
    char* end = nullptr;
    const double p = value.empty() ? 0.0 : std::strtod(value.c_str(), &end);
    if (value.empty() || end != value.c_str() + value.size() || !(p >= 0.0 && p <= 1.0)) {
      fail(row.line, "p_learned of '" + id + "' is '" + value + "', not a number in [0, 1]");
      continue;
    }
    if (graph != nullptr && graph->FindCompetency(id) == nullptr) {
      fail(row.line, "'" + id + "' is not a competency of the graph");
      continue;
    }
    auto [it, inserted] = first_line.emplace(id, row.line);
    if (!inserted) {
      fail(row.line, "'" + id + "' given twice (first at line " + std::to_string(it->second) + ")");
      continue;
    }
    mastery.emplace(id, p);
  }
  if (!errors.empty()) return Status::InvalidArgument(std::move(errors));
  return mastery;
}

}  // namespace pathwise
