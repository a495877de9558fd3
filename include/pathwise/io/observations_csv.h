// Reading and writing observations (learner events) as CSV.
#ifndef PATHWISE_IO_OBSERVATIONS_CSV_H_
#define PATHWISE_IO_OBSERVATIONS_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/types.h>

namespace pathwise {

/// Parses an events CSV. The header names the columns, in any order:
///
///     event_id,learner_id,activity_id,outcome,timestamp
///     e1,ann,fractions.identify.1,1,2026-09-01T09:00:00Z
///     e2,ann,fractions.identify.2,0.5,1756717260000
///
/// `event_id` may be empty (no idempotency for that event); `outcome` is a credit in [0, 1] (1/0,
/// or "true"/"false"); `timestamp` is milliseconds since the Unix epoch or ISO 8601 UTC
/// (YYYY-MM-DDTHH:MM:SS[.fff]Z). The `timestamp` column is optional (0 when absent).
///
/// InvalidArgument "<source>:<line>:<column>: ..." for a missing column, a malformed row, an empty
/// learner or activity id, or an outcome that is not a number in [0, 1].
Result<std::vector<Observation>> ParseObservationsCsv(std::string_view text,
                                                      std::string_view source_name);
/// ParseObservationsCsv on a file. NotFound when the file does not exist.
Result<std::vector<Observation>> ReadObservationsCsv(const std::string& path);

/// Parses "2026-09-01T09:00:00Z" / "2026-09-01T09:00:00.250Z" or a decimal millisecond count.
/// InvalidArgument when it is neither.
Result<TimestampMs> ParseTimestamp(std::string_view text);

}  // namespace pathwise

#endif  // PATHWISE_IO_OBSERVATIONS_CSV_H_
