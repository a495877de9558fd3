// Reading a learner's mastery (P(learned) per competency) from CSV, e.g. to colour a graph
// (graph_dot.h).
#ifndef PATHWISE_IO_MASTERY_CSV_H_
#define PATHWISE_IO_MASTERY_CSV_H_

#include <string>
#include <unordered_map>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>

namespace pathwise {

/// Reads a learner's mastery from CSV with a header naming the columns competency_id and p_learned
/// (others are ignored), one competency per row, e.g. for DotOptions::mastery (graph_dot.h).
///
/// Returns NotFound / Internal when the file cannot be read, and InvalidArgument naming
/// "<path>:<line>[:<column>]" for malformed CSV, a missing column, an empty id, a value that is not
/// a number in [0, 1], an id given twice, or (when `graph` is not null) an id that is not a
/// competency of `graph`; every bad row is listed.
Result<std::unordered_map<std::string, double>> ReadMasteryCsv(const std::string& path,
                                                               const CompetencyGraph* graph);

}  // namespace pathwise

#endif  // PATHWISE_IO_MASTERY_CSV_H_
