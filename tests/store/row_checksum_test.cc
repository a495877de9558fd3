// CRC-32C as the SQLite store's row checksums compute it, and the UTF-8 check on ids read back.
#include "store/row_checksum.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace pathwise::store::internal {
namespace {

// One bit at a time, straight from the definition: what the fast paths must agree with.
uint32_t Crc32cBitwise(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : bytes) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

TEST(RowChecksumTest, Crc32cMatchesTheStandardsCheckValueAndTheDefinition) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);  // the CRC catalogue's check value of CRC-32C
  EXPECT_EQ(Crc32c(""), 0u);
  std::mt19937_64 rng(15);
  for (size_t size : {1u, 7u, 8u, 9u, 63u, 64u, 1000u, 4099u}) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
    EXPECT_EQ(Crc32c(bytes), Crc32cBitwise(bytes)) << size << " bytes";
    // In two parts, continuing from the first.
    const size_t cut = size / 3;
    EXPECT_EQ(Crc32c(bytes.substr(cut), Crc32c(bytes.substr(0, cut))), Crc32cBitwise(bytes));
  }
}

TEST(RowChecksumTest, ColumnsAreDelimitedSoThatNoTwoRowsShareAByteStream) {
  RowChecksum ab_c, a_bc;
  ab_c.Add("ab").Add("c");
  a_bc.Add("a").Add("bc");
  EXPECT_NE(ab_c.value(), a_bc.value());
  RowChecksum one, other;
  one.Add(int64_t{1}).Add("x");
  other.Add(int64_t{2}).Add("x");
  EXPECT_NE(one.value(), other.value());
  EXPECT_GE(one.value(), 0);
}

TEST(RowChecksumTest, RealsAreAddedByValueWithBothZerosAlike) {
  const auto of = [](double value) { return RowChecksum().AddReal(value).value(); };
  EXPECT_EQ(of(-0.0), of(0.0));  // SQLite may read a stored -0.0 back as +0.0
  EXPECT_NE(of(0.25), of(0.5));
  EXPECT_NE(of(0.25), of(0.0));
  EXPECT_NE(of(1.0), RowChecksum().Add(int64_t{1}).value());
}

TEST(RowChecksumTest, Utf8IsCheckedAsProtobufRequiresIt) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("fractions.add_unlike"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9l\xC3\xA8ve \xE2\x82\xAC \xF0\x9F\x93\x9A"));  // élève € 📚
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("ann\xC3"));           // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\x80z"));            // a continuation byte alone
}

}  // namespace
}  // namespace pathwise::store::internal
