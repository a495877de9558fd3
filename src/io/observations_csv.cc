#include <charconv>
#include <cmath>
#include <string>

#include <pathwise/io/observations_csv.h>

#include "csv_reader.h"

namespace pathwise {
namespace {

using io_internal::CsvTable;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseFixedDigits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  *out = value;
  return true;
}

Result<double> ParseOutcome(std::string_view text) {
  if (text == "true" || text == "TRUE" || text == "True") return 1.0;
  if (text == "false" || text == "FALSE" || text == "False") return 0.0;
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || std::isnan(value) || value < 0.0 ||
      value > 1.0) {
    return Status::InvalidArgument("outcome must be a number in [0, 1] or true/false, got '" +
                                   std::string(text) + "'");
  }
  return value;
}

}  // namespace

Result<TimestampMs> ParseTimestamp(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    TimestampMs value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size()) return value;
  }
  // YYYY-MM-DDTHH:MM:SS[.fff]Z
  int year, month, day, hour, minute, second, millis = 0;
  const bool shape_ok = text.size() >= 20 && ParseFixedDigits(text, 0, 4, &year) &&
                        text[4] == '-' && ParseFixedDigits(text, 5, 2, &month) && text[7] == '-' &&
                        ParseFixedDigits(text, 8, 2, &day) &&
                        (text[10] == 'T' || text[10] == ' ') &&
                        ParseFixedDigits(text, 11, 2, &hour) && text[13] == ':' &&
                        ParseFixedDigits(text, 14, 2, &minute) && text[16] == ':' &&
                        ParseFixedDigits(text, 17, 2, &second);
  bool tail_ok = false;
  if (shape_ok) {
    if (text.size() == 20) {
      tail_ok = text[19] == 'Z';
    } else if (text.size() == 24) {
      tail_ok = text[19] == '.' && ParseFixedDigits(text, 20, 3, &millis) && text[23] == 'Z';
    }
  }
  if (!tail_ok || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 60) {
    return Status::InvalidArgument(
        "timestamp must be milliseconds since the epoch or ISO 8601 UTC "
        "like 2026-09-01T09:00:00Z, got '" +
        std::string(text) + "'");
  }
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60 * 1000 + second * 1000 + millis;
}

Result<std::vector<Observation>> ParseObservationsCsv(std::string_view text,
                                                      std::string_view source_name) {
  PATHWISE_ASSIGN_OR_RETURN(CsvTable table, io_internal::ParseCsv(text, source_name));
  PATHWISE_ASSIGN_OR_RETURN(
      std::vector<size_t> columns,
      table.RequireColumns(source_name, {"event_id", "learner_id", "activity_id", "outcome"}));
  const int timestamp_column = table.ColumnIndex("timestamp");

  auto error_at = [&](size_t line, size_t column, const std::string& message) {
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(line) + ":" +
                                   std::to_string(column + 1) + ": " + message);
  };
  std::vector<Observation> observations;
  observations.reserve(table.rows.size());
  for (const io_internal::CsvRow& row : table.rows) {
    Observation obs;
    obs.event_id = row.fields[columns[0]];
    obs.learner_id = row.fields[columns[1]];
    obs.activity_id = row.fields[columns[2]];
    if (obs.learner_id.empty()) return error_at(row.line, columns[1], "learner_id is empty");
    if (obs.activity_id.empty()) return error_at(row.line, columns[2], "activity_id is empty");
    Result<double> outcome = ParseOutcome(io_internal::TrimSpaces(row.fields[columns[3]]));
    if (!outcome.ok()) return error_at(row.line, columns[3], outcome.status().message());
    obs.outcome = *outcome;
    if (timestamp_column >= 0) {
      const auto ts_index = static_cast<size_t>(timestamp_column);
      std::string_view ts_text = io_internal::TrimSpaces(row.fields[ts_index]);
      if (!ts_text.empty()) {
        Result<TimestampMs> ts = ParseTimestamp(ts_text);
        if (!ts.ok()) return error_at(row.line, ts_index, ts.status().message());
        obs.timestamp_ms = *ts;
      }
    }
    observations.push_back(std::move(obs));
  }
  return observations;
}

Result<std::vector<Observation>> ReadObservationsCsv(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  return ParseObservationsCsv(text, path);
}

}  // namespace pathwise
