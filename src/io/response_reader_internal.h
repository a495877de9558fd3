// Shared state of one ReadResponseLog(s) call, and the per-format readers. Private to pathwise::io.
#ifndef PATHWISE_SRC_IO_RESPONSE_READER_INTERNAL_H_
#define PATHWISE_SRC_IO_RESPONSE_READER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/io/response_readers.h>
#include <pathwise/response_log.h>
#include <pathwise/status.h>

namespace pathwise::readers_internal {

/// "path:line:column".
std::string Where(const std::string& path, uint64_t line, uint64_t column);

/// `name` interned into `table`, trying the previous answer first: consecutive rows usually repeat
/// the learner and often the competency, and a string compare is cheaper than a hash.
inline uint32_t InternRepeated(IdTable& table, uint32_t* last, std::string_view name) {
  if (*last != IdTable::kNone && table.Name(*last) == name) return *last;
  *last = table.Intern(name);
  return *last;
}

/// One read: the options, the log being filled, the report being kept.
class ReadContext {
 public:
  ReadContext(const ReadOptions& options, ReadReport* report, ResponseLog* log,
              uint64_t total_bytes)
      : options_(options), report_(*report), log_(*log), total_bytes_(total_bytes) {}

  const ReadOptions& options() const { return options_; }
  ReadReport& report() { return report_; }
  ResponseLog& log() { return log_; }

  /// A malformed record. Returns `error` to stop the read, or OK after counting and listing it when
  /// the options say to skip bad rows.
  Status BadRecord(Status error);

  /// Once about kEstimateAfterBytes of input have been parsed, reserves every column for the whole
  /// read (all files), extrapolating rows per byte. Pages past the rows really written are never
  /// touched, so a generous estimate costs address space, not memory, and no column is copied while
  /// doubling. Returns the estimated rows per remaining byte when it reserved just now, else 0.
  double MaybeReserve(uint64_t bytes_consumed_in_file) {
    if (reserved_ || bytes_before_ + bytes_consumed_in_file < kEstimateAfterBytes) return 0;
    return Reserve(bytes_consumed_in_file);
  }
  /// Called after each file.
  void FinishFile(uint64_t file_size) { bytes_before_ += file_size; }

  /// The competency named `name`, with a direct table for small canonical integers ("0".."9999"),
  /// which is what DKVMN files hold: no hashing on the hot path.
  uint32_t InternCompetency(std::string_view name) {
    constexpr size_t kMaxDigits = 4;  // "0".."9999": the direct table stays small
    if (!name.empty() && name.size() <= kMaxDigits && (name[0] != '0' || name.size() == 1)) {
      uint32_t value = 0;
      bool digits = true;
      for (char c : name) {
        digits &= c >= '0' && c <= '9';
        value = value * 10 + static_cast<uint32_t>(c - '0');
      }
      if (digits && value < small_competency_ids_.size() &&
          small_competency_ids_[value] != IdTable::kNone) {
        return small_competency_ids_[value];
      }
      if (digits) return InternSmallCompetency(name, value);
    }
    return InternRepeated(log_.competencies, &last_competency_, name);
  }

 private:
  static constexpr uint64_t kEstimateAfterBytes = uint64_t{512} << 10;
  double Reserve(uint64_t bytes_consumed_in_file);
  uint32_t InternSmallCompetency(std::string_view name, uint32_t value);

  const ReadOptions& options_;
  ReadReport& report_;
  ResponseLog& log_;
  uint64_t total_bytes_;
  uint64_t bytes_before_ = 0;
  bool reserved_ = false;
  std::vector<uint32_t> small_competency_ids_;
  uint32_t last_competency_ = IdTable::kNone;
};

/// pybkt, datashop and hmmsc files: appends to context->log().
Status ReadTabularFile(const std::string& path, LogFormat format, ReadContext* context);
/// dkvmn files: appends to context->log().
Status ReadDkvmnFile(const std::string& path, ReadContext* context);

}  // namespace pathwise::readers_internal

#endif  // PATHWISE_SRC_IO_RESPONSE_READER_INTERNAL_H_
