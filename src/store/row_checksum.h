// Checksums of the rows SqliteStore keeps: each learner row, event chunk and policy state (schema
// version 6 on), each graph, model, roster, job and state origin (version 7 on), and each tenant
// (version 8 on: its key and its id) carries a CRC-32C of its columns, written with the row and
// checked on every read, so that a damaged database file is reported (DataLoss naming the tenant
// and the row) instead of served. The CRC covers the row's keys as well as its payload: a bit
// flipped in a key would otherwise move a row to another learner or another place in a history, or
// point one tenant's reads at another tenant's rows. Rows written before their table had the
// column get theirs from the first integrity check that passes (version 9 on). Private to
// pathwise::store.
#ifndef PATHWISE_STORE_ROW_CHECKSUM_H_
#define PATHWISE_STORE_ROW_CHECKSUM_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pathwise/status.h>

namespace pathwise::store::internal {

/// CRC-32C (Castagnoli, the polynomial of iSCSI and ext4's metadata), continuing from `crc` (0 to
/// start). Detects every error of up to 3 bits in rows of this size, and any burst up to 32 bits.
uint32_t Crc32c(std::string_view bytes, uint32_t crc = 0);

/// The CRC-32C of a row's columns, each added in a fixed order. Integers are added as 8
/// little-endian bytes, reals as the 8 bytes of their IEEE 754 bits and texts with their length
/// first, so that no two different rows give the same byte stream.
class RowChecksum {
 public:
  RowChecksum& Add(int64_t value);
  RowChecksum& Add(std::string_view text);
  /// A REAL column. -0.0 is added as 0.0: SQLite may store a whole REAL as the integer 0 and read
  /// it back as +0.0. (NaN is never stored: SQLite binds it as NULL.)
  RowChecksum& AddReal(double value);
  /// Stored as an SQLite INTEGER (always positive).
  int64_t value() const { return static_cast<int64_t>(crc_); }

 private:
  uint32_t crc_ = 0;
};

/// DataLoss saying "<what> fails its checksum (stored, computed): the database file is damaged".
Status ChecksumMismatch(int64_t stored, int64_t computed, const std::string& what);

/// OK when `stored` is absent (a row written before its table had checksums) or equals the checksum
/// that `compute()` returns (a RowChecksum); ChecksumMismatch with `describe()` otherwise. Each
/// runs only when needed: rows are read far more often than they are damaged.
template <typename Compute, typename Describe>
Status VerifyRowChecksum(std::optional<int64_t> stored, Compute&& compute, Describe&& describe) {
  if (!stored.has_value()) return Status::Ok();
  const int64_t computed = compute().value();
  if (*stored == computed) return Status::Ok();
  return ChecksumMismatch(*stored, computed, describe());
}

/// Whether `text` is well-formed UTF-8 (what protobuf's string fields require): no overlong
/// forms, surrogates or code points past U+10FFFF.
bool IsValidUtf8(std::string_view text);

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_ROW_CHECKSUM_H_
