// Helpers shared by the graph readers and writers of pathwise::io. Private.
#ifndef PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
#define PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_

#include <string_view>

#include <pathwise/status.h>

namespace pathwise::io_internal {

/// The same status with "<prefix>: " in front of every line of its message (a validation status
/// lists one problem per line, and each should name the file). OK stays OK.
Status PrefixEachLine(const Status& status, std::string_view prefix);

/// Deepest nesting of arrays and objects a JSON document of ours may have. The deepest legitimate
/// document (graph or model) nests 4 levels; a parsed level costs about 100 bytes, so a 4 MiB
/// document of 2M levels would cost 400 MiB before any check could run.
inline constexpr int kMaxJsonDepth = 64;

/// InvalidArgument "<source>:<line>:<column>: nesting deeper than <max_depth> levels of arrays and
/// objects (the limit)" at the bracket that goes past `max_depth`, found by one pass over the text
/// before anything is parsed; OK otherwise (syntax errors are left to the parser).
Status CheckJsonDepth(std::string_view text, std::string_view source, int max_depth);

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
