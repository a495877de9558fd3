// Graphviz DOT export of competency graphs, optionally coloured by a learner's mastery.
#ifndef PATHWISE_IO_GRAPH_DOT_H_
#define PATHWISE_IO_GRAPH_DOT_H_

#include <optional>
#include <string>
#include <unordered_map>

#include <pathwise/competency_graph.h>

namespace pathwise {

struct DotOptions {
  /// P(learned) per competency id. A competency with a value is filled on a red (0) to green (1)
  /// scale and labelled with the value; ids that are not in the graph are ignored; values are
  /// clamped to [0, 1] (NaN counts as 0).
  std::unordered_map<std::string, double> mastery;
  /// When set, the threshold for "mastered" of every competency; otherwise each competency's own
  /// mastery_threshold. A mastered competency gets a double, bold border and "mastered" in its
  /// label.
  std::optional<double> mastered_threshold;
  /// Draw groups as (nested) clusters around their member competencies.
  bool group_clusters = true;
  /// Lay prerequisites out left to right (rankdir=LR) rather than top to bottom.
  bool left_to_right = true;
};

/// The graph in Graphviz DOT, accepted by `dot -Tsvg`: one node per competency (named by its quoted
/// id, labelled with its name), one edge per prerequisite (dashed and labelled with the strength
/// when that is below 1), groups as clusters. Deterministic: the same graph and options give the
/// same text.
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::DotOptions options;
///     options.mastery = {{"fractions.identify", 0.97}, {"fractions.equivalent", 0.4}};
///     std::ofstream("fractions.dot") << pathwise::ToDot(*graph, options);
std::string ToDot(const CompetencyGraph& graph, const DotOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_IO_GRAPH_DOT_H_
