// Structured logs: one line per event on stderr, as key=value pairs (logfmt), e.g.
//
//     ts=2026-09-01T09:00:00.123Z level=info msg=listening address=127.0.0.1:50051 data_dir=/var/pw
#ifndef PATHWISE_APP_LOG_H_
#define PATHWISE_APP_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <pathwise/status.h>

namespace pathwise::app {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

/// Lines below `level` are dropped. Default kInfo. Thread-safe.
void SetLogLevel(LogLevel level);
/// "debug", "info", "warning", "error". InvalidArgument listing them otherwise.
Status ParseLogLevel(std::string_view name, LogLevel* level);
bool LogEnabled(LogLevel level);

/// Builds one line and writes it, whole, when destroyed (lines of concurrent threads never
/// interleave). Values with spaces, quotes or '=' are quoted with \" and \\ escaped; newlines
/// become \n, so a line is always one line.
///
/// Example:
///
///     LogLine(LogLevel::kInfo, "listening").Add("address", address).Add("tenants", 2);
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view message);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& Add(std::string_view key, std::string_view value);
  LogLine& Add(std::string_view key, const char* value) {
    return Add(key, std::string_view(value));
  }
  LogLine& Add(std::string_view key, const std::string& value) {
    return Add(key, std::string_view(value));
  }
  LogLine& Add(std::string_view key, int64_t value);
  LogLine& Add(std::string_view key, uint64_t value);
  LogLine& Add(std::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  LogLine& Add(std::string_view key, double value);
  LogLine& Add(std::string_view key, bool value) {
    return Add(key, std::string_view(value ? "true" : "false"));
  }
  /// code=<CODE> error="<message>" for a non-OK status.
  LogLine& Add(const Status& status);

 private:
  bool enabled_;
  std::string line_;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_LOG_H_
