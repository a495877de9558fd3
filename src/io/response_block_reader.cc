#include "response_block_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace pathwise::readers_internal {

BlockReader::~BlockReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Status BlockReader::Open(const std::string& path) {
  path_ = path;
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return Status::InvalidArgument(path + ": is a directory, not a response log");
  }
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    return Status::NotFound(path + ": cannot open: " + std::strerror(errno));
  }
  // Whole blocks go straight into our buffer; stdio's own buffer would only add a copy.
  std::setvbuf(file_, nullptr, _IONBF, 0);
  const auto size = std::filesystem::file_size(path, error);
  file_size_ = error ? 0 : static_cast<uint64_t>(size);
  return Status::Ok();
}

bool BlockReader::Fill() {
  if (eof_ || file_ == nullptr) return false;
  if (released_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + released_, end_ - released_);
    buffer_offset_ += released_;
    next_ -= released_;
    end_ -= released_;
    released_ = 0;
  }
  if (end_ == capacity_) {
    // Unreleased records fill the buffer: a very long line or DKVMN group. Grow rather than fail.
    const size_t new_capacity = capacity_ == 0 ? kBlockSize : 2 * capacity_;
    auto bigger = std::make_unique<char[]>(new_capacity);
    if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = new_capacity;
  }
  const size_t got = std::fread(buffer_.get() + end_, 1, capacity_ - end_, file_);
  if (got == 0) {
    if (std::ferror(file_))
      status_ = Status::Internal(path_ + ": read error: " + std::strerror(errno));
    eof_ = true;
    return false;
  }
  end_ += got;
  if (at_start_ && end_ >= 3) {
    at_start_ = false;
    if (std::memcmp(buffer_.get(), "\xEF\xBB\xBF", 3) == 0) next_ = released_ = 3;
  }
  return true;
}

void BlockReader::Emit(size_t stop, size_t consumed, uint64_t lines, RecordSpan* span) {
  const char* base = buffer_.get();
  if (stop > next_ && base[stop - 1] == '\r') --stop;
  span->begin = buffer_offset_ + next_;
  span->end = buffer_offset_ + stop;
  span->line = next_line_;
  next_line_ += lines;
  next_ += consumed;
  scanned_ = 0;
}

bool BlockReader::NextLine(RecordSpan* span) {
  for (;;) {
    const size_t from = next_ + scanned_;
    if (from < end_) {
      const char* base = buffer_.get();
      const void* newline = std::memchr(base + from, '\n', end_ - from);
      if (newline != nullptr) {
        const size_t stop = static_cast<size_t>(static_cast<const char*>(newline) - base);
        Emit(stop, stop + 1 - next_, 1, span);
        return true;
      }
      scanned_ = end_ - next_;
    }
    if (!Fill()) {
      if (!status_.ok() || next_ >= end_) return false;
      Emit(end_, end_ - next_, 1, span);  // last line without a line break
      return true;
    }
  }
}

bool BlockReader::NextCsvRecord(char delimiter, RecordSpan* span) {
  for (;;) {
    if (next_ < end_) {
      const char* base = buffer_.get();
      const void* newline = std::memchr(base + next_, '\n', end_ - next_);
      const size_t line_stop =
          newline ? static_cast<size_t>(static_cast<const char*>(newline) - base) : end_;
      if (newline != nullptr && std::memchr(base + next_, '"', line_stop - next_) == nullptr) {
        Emit(line_stop, line_stop + 1 - next_, 1, span);  // the common case: no quotes at all
        return true;
      }
      // Quotes on this line: walk the record, since a quoted field may hold line breaks.
      bool field_start = true;
      bool in_quotes = false;
      uint64_t inner_breaks = 0;
      for (size_t i = next_; i < end_; ++i) {
        const char c = base[i];
        if (in_quotes) {
          if (c == '"') {
            if (i + 1 == end_ && !eof_) break;  // cannot tell '""' from '"' yet: read more
            if (i + 1 < end_ && base[i + 1] == '"') {
              ++i;
            } else {
              in_quotes = false;
            }
          } else if (c == '\n') {
            ++inner_breaks;
          }
          continue;
        }
        if (c == '\n') {
          Emit(i, i + 1 - next_, inner_breaks + 1, span);
          return true;
        }
        if (c == '"' && field_start) {
          in_quotes = true;
          field_start = false;
        } else {
          field_start = c == delimiter;
        }
      }
    }
    if (!Fill()) {
      if (!status_.ok() || next_ >= end_) return false;
      // The file ends inside this record (no final line break, or an unterminated quote).
      const char* base = buffer_.get();
      uint64_t breaks = 0;
      for (size_t i = next_; i < end_; ++i) breaks += base[i] == '\n';
      Emit(end_, end_ - next_, breaks + 1, span);
      return true;
    }
  }
}

}  // namespace pathwise::readers_internal
