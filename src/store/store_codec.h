// The compact binary encodings SqliteStore keeps in BLOB columns: a learner's states, and a chunk
// of one learner's events. One row per learner (states) and one row per learner per commit (events)
// instead of a row per state and per event: SQLite's cost is per row and per index entry, so this
// is what lets one writer thread keep up with hundreds of thousands of events per second.
// Private to pathwise::store.
#ifndef PATHWISE_STORE_STORE_CODEC_H_
#define PATHWISE_STORE_STORE_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/types.h>

#include "store/row_checksum.h"

namespace pathwise::store::internal {

/// Encodes states sorted by competency id (REQUIRES: sorted, ids unique). Layout: a format byte
/// (3), varint count, then per state: the competency id front-coded (varint length of the prefix
/// it shares with the previous id, varint length + bytes of the rest), a value as 8 little-endian
/// bytes of its IEEE double, varint opportunities, zigzag varint last_practiced_ms, one flags byte,
/// and with bit 2 set a zigzag varint. Flags: bit 0 `mastered`; bit 2 "the value is odds_scale and
/// the varint odds_exponent" (set when the odds are the state behind p_learned and log_odds, as the
/// tracker produces them, so that a tracker restored from the decoded states carries on bit for
/// bit; log_odds and p_learned are derived from them on decoding, exactly as the tracker derives
/// them); else bit 1 "the value is log_odds" (set when log_odds is the state behind p_learned);
/// otherwise the value is p_learned and log_odds is derived from it on decoding.
std::string EncodeStates(const std::vector<MasteryEstimate>& sorted_states);

/// Decodes EncodeStates' output (empty input: no states), format 2 (written before the odds: bit
/// 2 never set, odds_scale NaN after decoding), and format 1 (written before log-odds:
/// the value is always p_learned, flags only `mastered`; a stored 0 or 1, which was a rounded
/// streak, is read as the nearest probability inside (0, 1)). DataLoss naming the problem when the
/// bytes are not a valid encoding or hold an id that is not UTF-8 (a damaged database).
Result<std::vector<MasteryEstimate>> DecodeStates(std::string_view bytes);

/// `stored` (sorted) with `updates` written over it by competency id; the result is sorted.
/// REQUIRES: competency ids unique within `updates`.
std::vector<MasteryEstimate> MergeStates(std::vector<MasteryEstimate> stored,
                                         const std::vector<MasteryEstimate>& updates);

/// Encodes a chunk of one learner's events (the learner id is not stored: the row has it). Layout:
/// a format byte (1), varint count, then per event: varint length + event id bytes (0: no id),
/// varint length + activity id bytes, an outcome byte (0: 0.0, 1: 1.0, 2: 8 little-endian bytes of
/// a double follow), zigzag varint of the timestamp minus the previous event's (0 for the first).
std::string EncodeEvents(const std::vector<const Observation*>& events);

/// The number of events in a chunk, read from its first bytes (at least the format byte and the
/// count's varint). DataLoss when they are not the head of a valid chunk.
Result<uint64_t> CountEvents(std::string_view chunk_head);

/// Calls `visit(index, event_id, activity_id, outcome, timestamp_ms)` for each event of a chunk, in
/// order; the views point into `bytes`. DataLoss when the bytes are not a valid chunk or hold an id
/// that is not UTF-8.
template <typename Visitor>
Status DecodeEvents(std::string_view bytes, Visitor&& visit);

// ---- Implementation details ---------------------------------------------------------------------

/// Reads encoded values from a byte string, remembering the first failure.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool done() const { return pos_ == bytes_.size(); }
  uint8_t Byte();
  uint64_t Varint();
  int64_t ZigzagVarint();
  double Double();
  std::string_view Text();  // varint length + bytes

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

Status CorruptBlob(std::string_view what);

template <typename Visitor>
Status DecodeEvents(std::string_view bytes, Visitor&& visit) {
  ByteReader reader(bytes);
  if (reader.Byte() != 1 || !reader.ok()) return CorruptBlob("event chunk with an unknown format");
  const uint64_t count = reader.Varint();
  // Every event takes at least 4 bytes, so a count beyond that is damage, not a huge chunk.
  if (!reader.ok() || count > bytes.size()) return CorruptBlob("event chunk with a bad count");
  int64_t timestamp = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const std::string_view event_id = reader.Text();
    const std::string_view activity_id = reader.Text();
    const uint8_t outcome_tag = reader.Byte();
    double outcome = 0.0;
    if (outcome_tag == 1) {
      outcome = 1.0;
    } else if (outcome_tag == 2) {
      outcome = reader.Double();
    } else if (outcome_tag != 0) {
      return CorruptBlob("event chunk with a bad outcome tag");
    }
    timestamp = static_cast<int64_t>(static_cast<uint64_t>(timestamp) +
                                     static_cast<uint64_t>(reader.ZigzagVarint()));
    if (!reader.ok()) return CorruptBlob("truncated event chunk");
    // Ids go out in protobuf strings, which must be UTF-8: damage must not reach a client as such.
    if (!IsValidUtf8(event_id) || !IsValidUtf8(activity_id)) {
      return CorruptBlob("event chunk (an id that is not UTF-8)");
    }
    visit(static_cast<size_t>(i), event_id, activity_id, outcome, timestamp);
  }
  if (!reader.done()) return CorruptBlob("event chunk with trailing bytes");
  return Status::Ok();
}

}  // namespace pathwise::store::internal

#endif  // PATHWISE_STORE_STORE_CODEC_H_
