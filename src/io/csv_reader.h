// A strict RFC 4180 CSV reader that remembers where every row starts, for importers that must name
// file:line in their errors. Private to pathwise::io.
#ifndef PATHWISE_SRC_IO_CSV_READER_H_
#define PATHWISE_SRC_IO_CSV_READER_H_

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise::io_internal {

struct CsvRow {
  size_t line = 0;  ///< 1-based physical line where the row starts (a quoted field may span lines)
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;
  size_t header_line = 1;
  std::vector<CsvRow> rows;

  /// Index of the column named `name`, or -1.
  int ColumnIndex(std::string_view name) const;
  /// Indices of the named columns, in the order asked; InvalidArgument "<source>:<line>: missing
  /// column 'x' (the header has: a, b, c)" naming every missing one.
  Result<std::vector<size_t>> RequireColumns(std::string_view source_name,
                                             std::initializer_list<std::string_view> names) const;
};

/// Parses CSV text: a UTF-8 byte order mark is skipped; rows end in LF or CRLF; fields may be
/// quoted with
/// '"', a doubled quote inside quotes is one quote, and quoted fields may contain the delimiter and
/// line breaks. Lines that are entirely empty are skipped. The first row is the header; every other
/// row must have as many fields.
///
/// InvalidArgument "<source>:<line>:<column>: <message>" (column counted in characters) for invalid
/// UTF-8, a quote inside an unquoted field, text after a closing quote, an unterminated quote, a
/// row with the wrong number of fields, or no header at all.
Result<CsvTable> ParseCsv(std::string_view text, std::string_view source_name,
                          char delimiter = ',');

/// The whole file. NotFound when it does not exist, Internal when it cannot be read.
Result<std::string> ReadFileToString(const std::string& path);

/// Writes `contents` to a temporary file beside `path`, then renames it over `path`, so readers
/// never see half a file. Internal on failure.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

/// Line and column (1-based, column counted in UTF-8 characters) of byte `offset` of `text`.
struct TextPosition {
  size_t line = 1;
  size_t column = 1;
};
TextPosition PositionOfOffset(std::string_view text, size_t offset);

/// The byte offset of the first invalid UTF-8 sequence of `text`, or npos when it is all valid.
size_t FindInvalidUtf8(std::string_view text);

/// `text` with every invalid UTF-8 sequence replaced by '?', so that messages quoting raw input
/// stay valid UTF-8 (protobuf strings, JSON output and terminals all need that).
std::string ReplaceInvalidUtf8(std::string_view text);

/// `text` without leading and trailing ASCII spaces and tabs.
std::string_view TrimSpaces(std::string_view text);

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_CSV_READER_H_
