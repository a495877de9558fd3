// The exit codes every `pathwise` sub-command uses.
#ifndef PATHWISE_CLI_EXIT_CODES_H_
#define PATHWISE_CLI_EXIT_CODES_H_

#include <pathwise/status.h>

namespace pathwise::cli {

constexpr int kExitOk = 0;
constexpr int kExitRejected = 1;  // the input was read and found wanting
constexpr int kExitUsage = 2;     // bad arguments, or a file that cannot be read or written

/// For a failure to read or write a file: a missing or unreadable file (NOT_FOUND, INTERNAL) is an
/// I/O error, anything else a verdict on the input.
inline int ExitCodeFor(const Status& status) {
  return status.code() == StatusCode::kNotFound || status.code() == StatusCode::kInternal
             ? kExitUsage
             : kExitRejected;
}

}  // namespace pathwise::cli

#endif  // PATHWISE_CLI_EXIT_CODES_H_
