// Streams a file in large blocks and hands out lines or CSV records without copying them. Private
// to the response-log readers (src/io/response_*.cc).
#ifndef PATHWISE_SRC_IO_RESPONSE_BLOCK_READER_H_
#define PATHWISE_SRC_IO_RESPONSE_BLOCK_READER_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <pathwise/status.h>

namespace pathwise::readers_internal {

/// A record handed out by BlockReader: stream offsets (so it survives the buffer moving) and the
/// 1-based line it starts on. `end` excludes the line break and a CR before it.
struct RecordSpan {
  uint64_t begin = 0;
  uint64_t end = 0;
  uint64_t line = 0;
};

/// Reads a file block by block. Records stay readable (View) until Release(), so a caller can hold
/// the three lines of a DKVMN group at once; the buffer grows only when unreleased records fill it.
///
/// Not thread-safe. A UTF-8 byte order mark at the start of the file is skipped.
class BlockReader {
 public:
  static constexpr size_t kBlockSize = size_t{256} << 10;

  BlockReader() = default;
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;
  ~BlockReader();

  /// NotFound when the file cannot be opened.
  Status Open(const std::string& path);

  /// The next line (LF or CRLF). False at the end of the file or on a read error (see status()).
  bool NextLine(RecordSpan* span);
  /// The next CSV record: like NextLine, but a line break inside a quoted field (a '"' at the start
  /// of a field opens it, '""' inside is a quote) does not end the record. An unterminated quote
  /// runs to the end of the file; the field parser reports it.
  bool NextCsvRecord(char delimiter, RecordSpan* span);

  std::string_view View(const RecordSpan& span) const {
    return std::string_view(buffer_.get() + (span.begin - buffer_offset_),
                            static_cast<size_t>(span.end - span.begin));
  }
  /// Allows the records handed out so far to be overwritten.
  void Release() { released_ = next_; }

  /// OK, or Internal after a read error.
  const Status& status() const { return status_; }
  uint64_t file_size() const { return file_size_; }
  /// Bytes of the file handed out as records so far.
  uint64_t bytes_consumed() const { return buffer_offset_ + next_; }
  /// The 1-based line number the next record will start on.
  uint64_t next_line() const { return next_line_; }

 private:
  // Makes room and reads more; false when nothing more could be read (end of file or error).
  bool Fill();
  // Ends a record at buffer index `stop` (exclusive of the line break), consuming `consumed` bytes.
  void Emit(size_t stop, size_t consumed, uint64_t lines, RecordSpan* span);

  std::FILE* file_ = nullptr;
  std::string path_;
  Status status_;
  uint64_t file_size_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  uint64_t buffer_offset_ = 0;  // stream offset of buffer_[0]
  size_t released_ = 0;         // buffer index before which bytes may be dropped
  size_t next_ = 0;             // buffer index where the next record starts
  size_t end_ = 0;              // buffer index past the last byte read
  size_t scanned_ = 0;          // NextLine: bytes from next_ known to hold no line break
  bool eof_ = false;
  bool at_start_ = true;
  uint64_t next_line_ = 1;
};

}  // namespace pathwise::readers_internal

#endif  // PATHWISE_SRC_IO_RESPONSE_BLOCK_READER_H_
