#include "csv_reader.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace pathwise::io_internal {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

Status SyntaxError(std::string_view source, std::string_view text, size_t offset,
                   std::string_view message) {
  const TextPosition pos = PositionOfOffset(text, offset);
  return Status::InvalidArgument(std::string(source) + ":" + std::to_string(pos.line) + ":" +
                                 std::to_string(pos.column) + ": " + std::string(message));
}

}  // namespace

TextPosition PositionOfOffset(std::string_view text, size_t offset) {
  TextPosition pos;
  if (offset > text.size()) offset = text.size();
  for (size_t i = 0; i < offset; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {  // continuation bytes belong to the character already counted
      ++pos.column;
    }
  }
  return pos;
}

size_t FindInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    unsigned int code_point;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      code_point = (code_point << 6) | (cc & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    static constexpr unsigned int kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return i;
    }
    i += length;
  }
  return std::string_view::npos;
}

std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t bad = FindInvalidUtf8(text);
    if (bad == std::string_view::npos) {
      out.append(text);
      break;
    }
    out.append(text.substr(0, bad));
    out += '?';
    text.remove_prefix(bad + 1);
  }
  return out;
}

std::string_view TrimSpaces(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

int CsvTable::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<std::vector<size_t>> CsvTable::RequireColumns(
    std::string_view source_name, std::initializer_list<std::string_view> names) const {
  std::vector<size_t> indices;
  std::string missing;
  for (std::string_view name : names) {
    const int index = ColumnIndex(name);
    if (index < 0) {
      if (!missing.empty()) missing += ", ";
      missing += "'" + std::string(name) + "'";
    } else {
      indices.push_back(static_cast<size_t>(index));
    }
  }
  if (missing.empty()) return indices;
  std::string have;
  for (const std::string& column : header) {
    if (!have.empty()) have += ", ";
    have += column;
  }
  return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(header_line) +
                                 ": missing column " + missing + " (the header has: " + have + ")");
}

Result<CsvTable> ParseCsv(std::string_view text, std::string_view source_name, char delimiter) {
  const size_t bad_utf8 = FindInvalidUtf8(text);
  if (bad_utf8 != std::string_view::npos) {
    return SyntaxError(source_name, text, bad_utf8, "invalid UTF-8");
  }
  size_t pos = 0;
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) pos = kUtf8Bom.size();

  CsvTable table;
  bool have_header = false;
  size_t line = 1;
  while (pos < text.size()) {
    const size_t row_start = pos;
    const size_t row_line = line;
    std::vector<std::string> fields;
    std::string field;
    bool row_done = false;
    while (!row_done) {
      const size_t field_start = pos;
      field.clear();
      if (pos < text.size() && text[pos] == '"') {
        ++pos;
        bool closed = false;
        while (pos < text.size()) {
          const char c = text[pos];
          if (c == '"') {
            if (pos + 1 < text.size() && text[pos + 1] == '"') {
              field += '"';
              pos += 2;
              continue;
            }
            ++pos;
            closed = true;
            break;
          }
          if (c == '\n') ++line;
          field += c;
          ++pos;
        }
        if (!closed) {
          return SyntaxError(source_name, text, field_start,
                             "unterminated quoted field (no closing '\"')");
        }
        if (pos < text.size() && text[pos] != delimiter && text[pos] != '\n' &&
            !(text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') &&
            !(text[pos] == '\r' && pos + 1 == text.size())) {
          return SyntaxError(source_name, text, pos,
                             "unexpected text after a closing quote (a quote inside a quoted field "
                             "must be doubled)");
        }
      } else {
        while (pos < text.size() && text[pos] != delimiter && text[pos] != '\n') {
          if (text[pos] == '\r' && (pos + 1 == text.size() || text[pos + 1] == '\n')) break;
          if (text[pos] == '"') {
            return SyntaxError(source_name, text, pos,
                               "quote inside an unquoted field (quote the whole field and double "
                               "the quote)");
          }
          field += text[pos];
          ++pos;
        }
      }
      fields.push_back(field);
      if (pos < text.size() && text[pos] == delimiter) {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == '\r') ++pos;
      if (pos < text.size() && text[pos] == '\n') {
        ++pos;
        ++line;
      }
      row_done = true;
    }
    if (fields.size() == 1 && fields[0].empty() && text[row_start] != '"') continue;  // blank line
    if (!have_header) {
      table.header = std::move(fields);
      table.header_line = row_line;
      have_header = true;
      continue;
    }
    if (fields.size() != table.header.size()) {
      return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(row_line) +
                                     ": expected " + std::to_string(table.header.size()) +
                                     " fields as in the header, found " +
                                     std::to_string(fields.size()));
    }
    table.rows.push_back(CsvRow{row_line, std::move(fields)});
  }
  if (!have_header) {
    return Status::InvalidArgument(std::string(source_name) + ":1:1: empty file (no header row)");
  }
  for (std::string& column : table.header) column = std::string(TrimSpaces(column));
  return table;
}

Result<std::string> ReadFileToString(const std::string& path) {
  std::error_code error_code;
  if (std::filesystem::is_directory(path, error_code)) {
    return Status::InvalidArgument(path + ": is a directory, not a file");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::Internal(path + ": cannot open: " + std::strerror(error));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::Internal(path + ": read error");
  return std::move(contents).str();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string temporary = path + ".tmp";
  {
    errno = 0;
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) {
      return Status::Internal(path + ": cannot write: " + std::strerror(errno));
    }
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      return Status::Internal(path + ": write error");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return Status::Internal(path + ": cannot replace: " + std::strerror(error));
  }
  return Status::Ok();
}

}  // namespace pathwise::io_internal
