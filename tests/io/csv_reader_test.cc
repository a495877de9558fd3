// The CSV reader is private to pathwise::io; its header is included by path to test it directly.
#include "../../src/io/csv_reader.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace pathwise::io_internal {
namespace {

using Fields = std::vector<std::string>;

TEST(CsvReaderTest, QuotesDoubledQuotesBomAndCrlf) {
  const std::string text =
      "\xEF\xBB\xBF"
      "id,text\r\n"
      "a,\"x, y\"\r\n"
      "b,\"say \"\"hi\"\"\"\r\n"
      "c,\r\n";
  Result<CsvTable> table = ParseCsv(text, "t.csv");
  ASSERT_OK(table);
  EXPECT_EQ(table->header, (Fields{"id", "text"}));
  ASSERT_EQ(table->rows.size(), 3u);
  EXPECT_EQ(table->rows[0].fields, (Fields{"a", "x, y"}));
  EXPECT_EQ(table->rows[1].fields, (Fields{"b", "say \"hi\""}));
  EXPECT_EQ(table->rows[2].fields, (Fields{"c", ""}));
  EXPECT_EQ(table->rows[2].line, 4u);
}

TEST(CsvReaderTest, QuotedLineBreaksKeepLineNumbersOfLaterRows) {
  Result<CsvTable> table = ParseCsv("k,v\n1,\"two\nlines\"\n2,x\n\n3,y", "t.csv");
  ASSERT_OK(table);
  ASSERT_EQ(table->rows.size(), 3u);
  EXPECT_EQ(table->rows[0].line, 2u);
  EXPECT_EQ(table->rows[0].fields[1], "two\nlines");
  EXPECT_EQ(table->rows[1].line, 4u);
  EXPECT_EQ(table->rows[2].line, 6u);  // the blank line 5 is skipped; no final newline is fine
  EXPECT_EQ(table->rows[2].fields, (Fields{"3", "y"}));
}

TEST(CsvReaderTest, QuotedEmptyFieldIsNotABlankLine) {
  Result<CsvTable> table = ParseCsv("only\n\"\"\n", "t.csv");
  ASSERT_OK(table);
  ASSERT_EQ(table->rows.size(), 1u);
  EXPECT_EQ(table->rows[0].fields, (Fields{""}));
}

TEST(CsvReaderTest, MalformedInputNamesLineAndColumn) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"a,b\n1,\"open\n2,3\n", "t.csv:2:3: unterminated quoted field (no closing '\"')"},
      {"a,b\n1,x\"y\n",
       "t.csv:2:4: quote inside an unquoted field (quote the whole field and double "
       "the quote)"},
      {"a,b\n1,\"x\"y\n",
       "t.csv:2:6: unexpected text after a closing quote (a quote inside a quoted "
       "field must be doubled)"},
      {"a,b\n1,2,3\n", "t.csv:2: expected 2 fields as in the header, found 3"},
      {"a,b\n\xC3\xA9,\xFF\n", "t.csv:2:3: invalid UTF-8"},
      {"", "t.csv:1:1: empty file (no header row)"},
  };
  for (const Case& c : cases) {
    Result<CsvTable> table = ParseCsv(c.text, "t.csv");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(table.status().message(), c.message);
  }
}

TEST(CsvReaderTest, RequireColumnsNamesEveryMissingOne) {
  Result<CsvTable> table = ParseCsv("a, b ,c\n", "t.csv");
  ASSERT_OK(table);
  Result<std::vector<size_t>> present = table->RequireColumns("t.csv", {"c", "b"});
  ASSERT_OK(present);
  EXPECT_EQ(*present, (std::vector<size_t>{2, 1}));  // header names are trimmed
  Result<std::vector<size_t>> missing = table->RequireColumns("t.csv", {"a", "x", "y"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "t.csv:1: missing column 'x', 'y' (the header has: a, b, c)");
}

TEST(CsvReaderTest, Utf8Validation) {
  EXPECT_EQ(FindInvalidUtf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("比值 1 \xF0\x9F\x98\x80"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("ab\xC0\xAF"), 2u);        // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("ab\xED\xA0\x80"), 2u);    // UTF-16 surrogate
  EXPECT_EQ(FindInvalidUtf8("ab\xE6\xAF"), 2u);        // truncated
  EXPECT_EQ(FindInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // past U+10FFFF
}

TEST(CsvReaderTest, PositionOfOffsetCountsCharacters) {
  const std::string text = "ab\n比值x";
  const TextPosition x = PositionOfOffset(text, text.find('x'));
  EXPECT_EQ(x.line, 2u);
  EXPECT_EQ(x.column, 3u);
  const TextPosition end = PositionOfOffset(text, text.size() + 10);  // clamped
  EXPECT_EQ(end.line, 2u);
  EXPECT_EQ(end.column, 4u);
}

}  // namespace
}  // namespace pathwise::io_internal
