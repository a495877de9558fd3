#include "store/store_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <pathwise/bkt.h>

namespace pathwise::store::internal {
namespace {

// Format 1 (before log-odds) stored P(learned) and a `mastered` byte of 0 or 1. Format 2 uses bit
// 1 of that byte to say that the double is the log-odds instead, format 3 bit 2 to say that it is
// the odds' scale, an exponent following (see EncodeStates), format 4 bit 3 to say that a byte of
// recent answers (MasteryEstimate::recent_answers) follows.
constexpr uint8_t kStateFormat = 4;
constexpr uint8_t kStateFormatOdds = 3;
constexpr uint8_t kStateFormatLogOdds = 2;
constexpr uint8_t kStateFormatProbabilityOnly = 1;
constexpr uint8_t kEventFormat = 1;
constexpr uint8_t kMasteredBit = 1;
constexpr uint8_t kLogOddsBit = 2;
constexpr uint8_t kOddsBit = 4;
constexpr uint8_t kRecentAnswersBit = 8;

// Odds a tracker carries (bkt.h): a scale inside the window, or 0 or inf at certainty.
bool IsCarriedOdds(double scale, int64_t exponent) {
  if (scale >= detail::kOddsLow && scale < detail::kOddsHigh) {
    return exponent >= std::numeric_limits<int32_t>::min() &&
           exponent <= std::numeric_limits<int32_t>::max();
  }
  return (scale == 0.0 || std::isinf(scale)) && scale >= 0.0 && exponent == 0;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// A format-1 P(learned) of exactly 0 or 1 was, almost always, a streak rounded off by the double
// (the defect log-odds fixes), not a certainty: it is read as the nearest probability a double
// holds inside (0, 1), so that new evidence moves it again.
double LogOddsOfStoredProbability(double p) {
  constexpr double kSmallest = 4.9406564584124654e-324;  // the least positive double
  if (p <= 0.0) return ProbabilityToLogOdds(kSmallest);
  if (p >= 1.0) return ProbabilityToLogOdds(1.0 - 1.1102230246251565e-16);  // 1 - 2^-53
  return ProbabilityToLogOdds(p);
}

// Encoders fill a small buffer and append it once: a push_back per byte checks the capacity per
// byte, and these run for every state of every committed batch.
void PutVarint(std::string& out, uint64_t value) {
  char bytes[10];
  size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out.append(bytes, n);
}

void PutZigzag(std::string& out, int64_t value) {
  PutVarint(out, (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63));
}

void PutText(std::string& out, std::string_view text) {
  PutVarint(out, text.size());
  out.append(text.data(), text.size());
}

void PutDouble(std::string& out, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
  out.append(bytes, sizeof(bytes));
}

}  // namespace

Status CorruptBlob(std::string_view what) {
  return Status(StatusCode::kDataLoss, "the database holds a damaged " + std::string(what) +
                                           " (restore it from a backup)");
}

uint8_t ByteReader::Byte() {
  if (pos_ >= bytes_.size()) {
    ok_ = false;
    return 0;
  }
  return static_cast<uint8_t>(bytes_[pos_++]);
}

uint64_t ByteReader::Varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= bytes_.size()) break;
    const uint8_t byte = static_cast<uint8_t>(bytes_[pos_++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  ok_ = false;
  return 0;
}

int64_t ByteReader::ZigzagVarint() {
  const uint64_t raw = Varint();
  return static_cast<int64_t>(raw >> 1) ^ -static_cast<int64_t>(raw & 1);
}

double ByteReader::Double() {
  if (pos_ > bytes_.size() || bytes_.size() - pos_ < 8) {
    ok_ = false;
    return 0.0;
  }
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) {
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  double value = 0.0;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

std::string_view ByteReader::Text() {
  const uint64_t size = Varint();
  if (!ok_ || size > bytes_.size() - pos_) {
    ok_ = false;
    return {};
  }
  std::string_view text = bytes_.substr(pos_, size);
  pos_ += size;
  return text;
}

std::string EncodeStates(const std::vector<MasteryEstimate>& sorted_states) {
  std::string out;
  out.reserve(2 + sorted_states.size() * 32);
  out.push_back(static_cast<char>(kStateFormat));
  PutVarint(out, sorted_states.size());
  std::string_view previous;
  for (const MasteryEstimate& state : sorted_states) {
    // Front coding: sorted ids of one curriculum share long prefixes ("fractions.add.1",
    // "fractions.add.2"), so most of each id is the previous one's.
    const std::string_view id = state.competency_id;
    size_t shared = 0;
    while (shared < previous.size() && shared < id.size() && previous[shared] == id[shared]) {
      ++shared;
    }
    PutVarint(out, shared);
    PutText(out, id.substr(shared));
    previous = id;
    // The odds when they are the state behind p_learned and log_odds (what the tracker hands over:
    // a tracker restored from them carries on bit for bit), else the log-odds when they are the
    // state behind p_learned, else the probability alone (a caller that filled in p_learned only).
    const Odds odds{state.odds_scale, state.odds_exponent};
    const bool has_odds =
        !std::isnan(state.odds_scale) && IsCarriedOdds(state.odds_scale, state.odds_exponent) &&
        odds.mastery() == state.p_learned && SameBits(odds.log_odds(), state.log_odds);
    const bool has_log_odds = !has_odds && !std::isnan(state.log_odds) &&
                              MasteryFromLogOdds(state.log_odds) == state.p_learned;
    PutDouble(out, has_odds ? state.odds_scale : has_log_odds ? state.log_odds : state.p_learned);
    PutVarint(out, state.opportunities);
    PutZigzag(out, state.last_practiced_ms);
    const bool has_recent_answers = state.recent_answers >= 0 && state.recent_answers <= 0xff;
    out.push_back(static_cast<char>((state.mastered ? kMasteredBit : 0) |
                                    (has_log_odds ? kLogOddsBit : 0) | (has_odds ? kOddsBit : 0) |
                                    (has_recent_answers ? kRecentAnswersBit : 0)));
    if (has_odds) PutZigzag(out, state.odds_exponent);
    if (has_recent_answers) out.push_back(static_cast<char>(state.recent_answers));
  }
  return out;
}

Result<std::vector<MasteryEstimate>> DecodeStates(std::string_view bytes) {
  std::vector<MasteryEstimate> states;
  if (bytes.empty()) return states;
  ByteReader reader(bytes);
  const uint8_t format = reader.Byte();
  if (format < kStateFormatProbabilityOnly || format > kStateFormat || !reader.ok()) {
    return CorruptBlob("learner state (format)");
  }
  const uint8_t max_flags = format == kStateFormat
                                ? (kMasteredBit | kLogOddsBit | kOddsBit | kRecentAnswersBit)
                            : format == kStateFormatOdds ? (kMasteredBit | kLogOddsBit | kOddsBit)
                            : format == kStateFormatLogOdds ? (kMasteredBit | kLogOddsBit)
                                                            : kMasteredBit;
  const uint64_t count = reader.Varint();
  if (!reader.ok() || count > bytes.size()) return CorruptBlob("learner state (count)");
  states.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    MasteryEstimate state;
    const uint64_t shared = reader.Varint();
    if (!reader.ok() || shared > (i == 0 ? 0 : states.back().competency_id.size())) {
      return CorruptBlob("learner state (competency id prefix)");
    }
    if (shared > 0) state.competency_id = states.back().competency_id.substr(0, shared);
    state.competency_id += reader.Text();
    if (!IsValidUtf8(state.competency_id)) return CorruptBlob("learner state (competency id)");
    const double value = reader.Double();
    const uint64_t opportunities = reader.Varint();
    state.opportunities = static_cast<uint32_t>(opportunities);
    state.last_practiced_ms = reader.ZigzagVarint();
    const uint8_t flags = reader.Byte();
    if (!reader.ok() || flags > max_flags || opportunities > UINT32_MAX) {
      return CorruptBlob("learner state (truncated)");
    }
    if ((flags & (kLogOddsBit | kOddsBit)) == (kLogOddsBit | kOddsBit)) {
      return CorruptBlob("learner state (flags)");
    }
    if ((flags & kOddsBit) != 0) {
      const int64_t exponent = reader.ZigzagVarint();
      if (!reader.ok() || !IsCarriedOdds(value, exponent))
        return CorruptBlob("learner state (odds)");
      const Odds odds{value, static_cast<int32_t>(exponent)};
      state.odds_scale = odds.scale;
      state.odds_exponent = odds.exponent;
      state.log_odds = odds.log_odds();
      state.p_learned = odds.mastery();
    } else if ((flags & kLogOddsBit) != 0) {
      if (std::isnan(value)) return CorruptBlob("learner state (log-odds)");
      state.log_odds = value;
      state.p_learned = MasteryFromLogOdds(value);
    } else {
      if (!(value >= 0.0 && value <= 1.0)) return CorruptBlob("learner state (probability)");
      state.p_learned = value;
      state.log_odds = LogOddsOfStoredProbability(value);
    }
    state.mastered = (flags & kMasteredBit) != 0;
    if ((flags & kRecentAnswersBit) != 0) {
      const uint8_t bits = reader.Byte();
      const uint32_t answers = std::min<uint32_t>(state.opportunities, 8);
      if (!reader.ok() || (answers < 8 && (bits >> answers) != 0)) {
        return CorruptBlob("learner state (recent answers)");
      }
      state.recent_answers = bits;
    }
    states.push_back(std::move(state));
  }
  if (!reader.done()) return CorruptBlob("learner state (trailing bytes)");
  return states;
}

std::vector<MasteryEstimate> MergeStates(std::vector<MasteryEstimate> stored,
                                         const std::vector<MasteryEstimate>& updates) {
  std::vector<const MasteryEstimate*> sorted_updates;
  sorted_updates.reserve(updates.size());
  for (const MasteryEstimate& update : updates) sorted_updates.push_back(&update);
  std::sort(sorted_updates.begin(), sorted_updates.end(),
            [](const MasteryEstimate* a, const MasteryEstimate* b) {
              return a->competency_id < b->competency_id;
            });
  std::vector<MasteryEstimate> merged;
  merged.reserve(stored.size() + updates.size());
  size_t i = 0;
  for (const MasteryEstimate* update : sorted_updates) {
    while (i < stored.size() && stored[i].competency_id < update->competency_id) {
      merged.push_back(std::move(stored[i++]));
    }
    if (i < stored.size() && stored[i].competency_id == update->competency_id) ++i;
    merged.push_back(*update);
  }
  while (i < stored.size()) merged.push_back(std::move(stored[i++]));
  return merged;
}

Result<uint64_t> CountEvents(std::string_view chunk_head) {
  ByteReader reader(chunk_head);
  if (reader.Byte() != kEventFormat || !reader.ok()) {
    return CorruptBlob("event chunk with an unknown format");
  }
  const uint64_t count = reader.Varint();
  if (!reader.ok() || count == 0) return CorruptBlob("event chunk with a bad count");
  return count;
}

std::string EncodeEvents(const std::vector<const Observation*>& events) {
  std::string out;
  out.reserve(2 + events.size() * 40);
  out.push_back(static_cast<char>(kEventFormat));
  PutVarint(out, events.size());
  int64_t previous = 0;
  for (const Observation* event : events) {
    PutText(out, event->event_id);
    PutText(out, event->activity_id);
    if (event->outcome == 0.0) {
      out.push_back(0);
    } else if (event->outcome == 1.0) {
      out.push_back(1);
    } else {
      out.push_back(2);
      PutDouble(out, event->outcome);
    }
    // Wrapping subtraction: any pair of int64 timestamps round-trips.
    PutZigzag(out, static_cast<int64_t>(static_cast<uint64_t>(event->timestamp_ms) -
                                        static_cast<uint64_t>(previous)));
    previous = event->timestamp_ms;
  }
  return out;
}

}  // namespace pathwise::store::internal
