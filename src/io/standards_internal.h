// Helpers shared by the standards importers (pathwise/io/learning_records.h, case_import.h,
// edfi_import.h, oneroster_import.h). Private to pathwise::io.
#ifndef PATHWISE_SRC_IO_STANDARDS_INTERNAL_H_
#define PATHWISE_SRC_IO_STANDARDS_INTERNAL_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise::io_internal {

/// Parses JSON; InvalidArgument "<source>:<line>:<column>: <message>" on a syntax error.
Result<nlohmann::json> ParseJsonDocument(std::string_view text, std::string_view source_name);

/// ISO 8601 date-time as the standards write it: YYYY-MM-DDTHH:MM:SS, any number of fraction
/// digits (milliseconds kept), then Z, +HH:MM, -HH:MM, +HHMM or nothing (read as UTC).
Result<TimestampMs> ParseIso8601(std::string_view text);

/// Collects the problems of every record of a batch, so that one Status lists them all as
/// "<source>: <noun> <index>: <path>: <message>".
class RecordErrors {
 public:
  RecordErrors(std::string_view source_name, std::string noun)
      : source_(source_name), noun_(std::move(noun)) {}
  void Add(size_t index, const std::string& path, const std::string& message);
  size_t count() const { return lines_.size(); }
  /// InvalidArgument listing every problem (the first 50, then how many more).
  Status ToStatus() const;

 private:
  std::string source_;
  std::string noun_;
  std::vector<std::string> lines_;
};

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_STANDARDS_INTERNAL_H_
