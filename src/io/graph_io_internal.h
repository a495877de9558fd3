// Helpers shared by the graph readers and writers of pathwise::io. Private.
#ifndef PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
#define PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_

#include <string_view>

#include <pathwise/status.h>

namespace pathwise::io_internal {

/// The same status with "<prefix>: " in front of every line of its message (a validation status
/// lists one problem per line, and each should name the file). OK stays OK.
Status PrefixEachLine(const Status& status, std::string_view prefix);

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_GRAPH_IO_INTERNAL_H_
