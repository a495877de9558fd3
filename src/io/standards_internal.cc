#include "standards_internal.h"

#include <string>

#include <pathwise/io/observations_csv.h>

#include "csv_reader.h"
#include "graph_io_internal.h"

namespace pathwise::io_internal {

Result<nlohmann::json> ParseJsonDocument(std::string_view text, std::string_view source_name) {
  PATHWISE_RETURN_IF_ERROR(CheckJsonDepth(text, source_name, kMaxJsonDepth));
  DuplicateKeyFinder duplicate_finder;
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text.begin(), text.end());
    nlohmann::json::sax_parse(text.begin(), text.end(), &duplicate_finder);
  } catch (const nlohmann::json::parse_error& error) {
    // `byte` counts the characters read, so the offending one is the byte before it.
    const size_t offset = error.byte > 0 ? error.byte - 1 : 0;
    const TextPosition pos = PositionOfOffset(text, offset);
    std::string detail = error.what();
    const size_t start = detail.find("parse error");
    if (start != std::string::npos) {
      const size_t colon = detail.find(": ", start);
      if (colon != std::string::npos) detail = detail.substr(colon + 2);
    }
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(pos.line) + ":" +
                                   std::to_string(pos.column) + ": " + ReplaceInvalidUtf8(detail));
  } catch (const std::exception& error) {
    return Status::InvalidArgument(std::string(source_name) + ": " +
                                   ReplaceInvalidUtf8(error.what()));
  }
  // nlohmann keeps the last of two equal keys; a record with two actors (or two scores) is
  // ambiguous, so it is rejected rather than read one way.
  if (!duplicate_finder.duplicates().empty()) {
    std::string message;
    for (const auto& [path, problem] : duplicate_finder.duplicates()) {
      message += std::string(source_name) + ": " + (path.empty() ? "$" : path) + ": " +
                 ReplaceInvalidUtf8(problem) + "\n";
    }
    return Status::InvalidArgument(message + "nothing imported: a key given twice is ambiguous");
  }
  return document;
}

Result<TimestampMs> ParseIso8601(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("not an ISO 8601 date-time like 2026-09-01T09:00:00Z: '" +
                                   ReplaceInvalidUtf8(text) + "'");
  };
  if (text.size() < 19) return bad();
  // The seconds-precision part is checked by ParseTimestamp; fractions and offsets are ours.
  std::string base(text.substr(0, 19));
  size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int64_t offset_minutes = 0;
  const std::string_view zone = text.substr(pos);
  if (zone == "Z" || zone.empty()) {
  } else if ((zone[0] == '+' || zone[0] == '-') && (zone.size() == 6 || zone.size() == 5)) {
    const bool colon = zone.size() == 6;
    if (colon && zone[3] != ':') return bad();
    const std::string_view hh = zone.substr(1, 2), mm = zone.substr(colon ? 4 : 3, 2);
    for (char c : std::string(hh) + std::string(mm)) {
      if (c < '0' || c > '9') return bad();
    }
    const int hours = (hh[0] - '0') * 10 + (hh[1] - '0');
    const int minutes = (mm[0] - '0') * 10 + (mm[1] - '0');
    if (hours > 23 || minutes > 59) return bad();
    offset_minutes = (zone[0] == '+' ? 1 : -1) * (hours * 60 + minutes);
  } else {
    return bad();
  }
  Result<TimestampMs> seconds = ParseTimestamp(base + "Z");
  if (!seconds.ok()) return bad();
  return *seconds + millis - offset_minutes * 60 * 1000;
}

void RecordErrors::Add(size_t index, const std::string& path, const std::string& message) {
  lines_.push_back(source_ + ": " + noun_ + " " + std::to_string(index) + ": " + path + ": " +
                   ReplaceInvalidUtf8(message));
}

Status RecordErrors::ToStatus() const {
  constexpr size_t kShown = 50;
  std::string message;
  for (size_t i = 0; i < lines_.size() && i < kShown; ++i) {
    if (!message.empty()) message += "\n";
    message += lines_[i];
  }
  if (lines_.size() > kShown) {
    message += "\n... and " + std::to_string(lines_.size() - kShown) + " more problems";
  }
  return Status::InvalidArgument(message + "\nnothing imported: one bad " + noun_ +
                                 " rejects the whole batch");
}

}  // namespace pathwise::io_internal
