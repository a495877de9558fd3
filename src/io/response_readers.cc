#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

#include <pathwise/io/response_readers.h>

#include "response_reader_internal.h"

namespace pathwise {

std::string_view LogFormatName(LogFormat format) {
  switch (format) {
    case LogFormat::kPyBkt:
      return "pybkt";
    case LogFormat::kDataShop:
      return "datashop";
    case LogFormat::kDkvmn:
      return "dkvmn";
    case LogFormat::kHmmsc:
      return "hmmsc";
  }
  return "unknown";
}

Result<LogFormat> ParseLogFormat(std::string_view name) {
  for (LogFormat format :
       {LogFormat::kPyBkt, LogFormat::kDataShop, LogFormat::kDkvmn, LogFormat::kHmmsc}) {
    if (name == LogFormatName(format)) return format;
  }
  return Status::InvalidArgument("unknown log format '" + std::string(name) +
                                 "': expected pybkt, datashop, dkvmn or hmmsc");
}

Status ReadOptions::Validate() const {
  if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
    return Status::InvalidArgument("delimiter must not be a quote or a line break");
  }
  if (competency_separator && delimiter != '\0' &&
      competency_separator->find(delimiter) != std::string::npos) {
    return Status::InvalidArgument("competency_separator '" + *competency_separator +
                                   "' contains the delimiter");
  }
  return Status::Ok();
}

std::string ReadReport::Summary() const {
  std::string out = "read " + std::to_string(rows_read) + " records from " +
                    std::to_string(files.size()) + (files.size() == 1 ? " file" : " files") +
                    ", added " + std::to_string(rows_added) + " rows\n";
  if (records_without_competency > 0) {
    out += std::to_string(records_without_competency) + " records tag no competency (not added)\n";
  }
  if (records_not_original > 0) {
    out += std::to_string(records_not_original) + " records have original != 1 (not added)\n";
  }
  if (records_without_response > 0) {
    out += std::to_string(records_without_response) +
           " records have correct = -1, no response (not added)\n";
  }
  if (learners_reordered > 0) {
    out += std::to_string(learners_reordered) + " learners' rows were put in order-column order\n";
  }
  if (rows_skipped > 0) {
    out += "skipped " + std::to_string(rows_skipped) + " malformed records:\n";
    for (const std::string& message : skipped) out += "  " + message + "\n";
    if (rows_skipped > skipped.size()) {
      out += "  ... and " + std::to_string(rows_skipped - skipped.size()) + " more\n";
    }
  }
  return out;
}

namespace readers_internal {

std::string Where(const std::string& path, uint64_t line, uint64_t column) {
  return path + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Status ReadContext::BadRecord(Status error) {
  if (!options_.skip_bad_rows) return error;
  ++report_.rows_skipped;
  if (report_.skipped.size() < ReadReport::kMaxSkippedMessages) {
    report_.skipped.push_back(error.message());
  }
  return Status::Ok();
}

double ReadContext::Reserve(uint64_t bytes_consumed_in_file) {
  reserved_ = true;
  const uint64_t consumed = bytes_before_ + bytes_consumed_in_file;
  if (consumed == 0 || total_bytes_ <= consumed) return 0;
  const double rows_per_byte =
      static_cast<double>(report_.rows_added) / static_cast<double>(consumed);
  const double remaining = static_cast<double>(total_bytes_ - consumed) * rows_per_byte;
  const size_t target = log_.num_rows() + static_cast<size_t>(remaining * 1.1) + 4096;
  log_.learner.reserve(target);
  log_.competency.reserve(target);
  log_.activity.reserve(target);
  log_.correct.reserve(target);
  return rows_per_byte;
}

uint32_t ReadContext::InternSmallCompetency(std::string_view name, uint32_t value) {
  if (value >= small_competency_ids_.size()) {
    small_competency_ids_.resize(std::max<size_t>(value + 1, 2 * small_competency_ids_.size()),
                                 IdTable::kNone);
  }
  uint32_t& slot = small_competency_ids_[value];
  if (slot == IdTable::kNone) slot = log_.competencies.Intern(name);
  return slot;
}

}  // namespace readers_internal

Result<ResponseLog> ReadResponseLogs(const std::vector<std::string>& paths, LogFormat format,
                                     const ReadOptions& options, ReadReport* report) {
  PATHWISE_RETURN_IF_ERROR(options.Validate());
  ReadReport local_report;
  ReadReport& out_report = report != nullptr ? *report : local_report;
  out_report = ReadReport{};

  uint64_t total_bytes = 0;
  for (const std::string& path : paths) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (!error) total_bytes += static_cast<uint64_t>(size);
  }

  ResponseLog log;
  readers_internal::ReadContext context(options, &out_report, &log, total_bytes);
  for (const std::string& path : paths) {
    const size_t rows_before = log.num_rows();
    out_report.files.push_back(path);
    Status status = format == LogFormat::kDkvmn
                        ? readers_internal::ReadDkvmnFile(path, &context)
                        : readers_internal::ReadTabularFile(path, format, &context);
    if (!status.ok()) return status;
    out_report.rows_per_file.push_back(log.num_rows() - rows_before);
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    context.FinishFile(error ? 0 : static_cast<uint64_t>(size));
  }
  if (!log.learner_group.empty()) log.learner_group.resize(log.learners.size(), IdTable::kNone);
  return log;
}

Result<ResponseLog> ReadResponseLog(const std::string& path, LogFormat format,
                                    const ReadOptions& options, ReadReport* report) {
  return ReadResponseLogs(std::vector<std::string>{path}, format, options, report);
}

}  // namespace pathwise
