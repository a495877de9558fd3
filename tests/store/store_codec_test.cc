// The blob encodings of the SQLite store: exact round trips, and damage reported, never trusted.
#include "store/store_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/bkt.h>

#include "testing/status_matchers.h"

namespace pathwise::store::internal {
namespace {

MasteryEstimate Estimate(std::string id, double p, uint32_t opportunities, int64_t last,
                         bool mastered) {
  MasteryEstimate e;
  e.competency_id = std::move(id);
  e.p_learned = p;
  e.opportunities = opportunities;
  e.last_practiced_ms = last;
  e.mastered = mastered;
  return e;
}

void ExpectSameStates(const std::vector<MasteryEstimate>& a,
                      const std::vector<MasteryEstimate>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].competency_id, b[i].competency_id);
    EXPECT_EQ(a[i].p_learned, b[i].p_learned);
    EXPECT_EQ(a[i].opportunities, b[i].opportunities);
    EXPECT_EQ(a[i].last_practiced_ms, b[i].last_practiced_ms);
    EXPECT_EQ(a[i].mastered, b[i].mastered);
  }
}

TEST(StoreCodecTest, StatesRoundTripExactly) {
  const std::vector<MasteryEstimate> states = {
      Estimate("", 0.0, 0, 0, false),
      Estimate("fractions.add", 1.0 / 3.0, 1, -1, false),
      Estimate("fractions.add.1", std::nextafter(1.0, 0.0), UINT32_MAX,
               std::numeric_limits<int64_t>::min(), true),
      Estimate("fractions.sub", 1.0, 7, std::numeric_limits<int64_t>::max(), true),
      Estimate("g", 5e-324, 128, 1700000000000, false),
  };
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(EncodeStates(states));
  ASSERT_OK(decoded);
  ExpectSameStates(*decoded, states);
}

// The tracker's states carry log-odds; those are what is stored, so a state far past what a
// probability can show (P(learned) reads 1.0) comes back with its evidence intact. A state built
// with p_learned alone keeps that probability and gets log-odds derived from it.
TEST(StoreCodecTest, LogOddsAreStoredWhenTheyAreTheState) {
  MasteryEstimate streak = Estimate("a", 1.0, 2000, 5, true);
  streak.log_odds = 2999.75;
  MasteryEstimate ordinary = Estimate("b", 0.0, 3, 6, false);
  ordinary.log_odds = -1.25;
  ordinary.p_learned = 1.0 / (1.0 + std::exp(1.25));
  MasteryEstimate by_hand = Estimate("c", 0.7, 1, 7, false);  // log_odds NaN: not known
  Result<std::vector<MasteryEstimate>> decoded =
      DecodeStates(EncodeStates({streak, ordinary, by_hand}));
  ASSERT_OK(decoded);
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].log_odds, 2999.75);
  EXPECT_EQ((*decoded)[0].p_learned, 1.0);
  EXPECT_TRUE((*decoded)[0].mastered);
  EXPECT_EQ((*decoded)[1].log_odds, -1.25);
  EXPECT_EQ((*decoded)[1].p_learned, ordinary.p_learned);
  EXPECT_EQ((*decoded)[2].p_learned, 0.7);
  EXPECT_NEAR((*decoded)[2].log_odds, std::log(0.7 / 0.3), 1e-15);
}

// The tracker's recent answers are stored, so that the evidence rule and the stall detection read
// the same after a restart; an estimate that does not know them (-1) comes back not knowing them.
// Bits for more answers than the estimate counts are damage.
TEST(StoreCodecTest, RecentAnswersAreStoredWhenKnown) {
  MasteryEstimate eight = Estimate("a", 0.4, 20, 5, false);
  eight.recent_answers = 0b10110001;
  MasteryEstimate three = Estimate("b", 0.4, 3, 6, false);
  three.recent_answers = 0b101;
  const MasteryEstimate unknown = Estimate("c", 0.4, 3, 7, false);
  const std::string bytes = EncodeStates({eight, three, unknown});
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(bytes);
  ASSERT_OK(decoded);
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].recent_answers, 0b10110001);
  EXPECT_EQ((*decoded)[1].recent_answers, 0b101);
  EXPECT_EQ((*decoded)[2].recent_answers, -1);

  std::string damaged = EncodeStates({three});
  damaged.back() = static_cast<char>(0b1101);  // four answers' bits for three answers
  const Status status = DecodeStates(damaged).status();
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_NE(status.message().find("recent answers"), std::string::npos) << status.message();
}

// The odds themselves are stored when they are the state behind p_learned and log_odds, so a
// tracker restored from decoded states continues bit for bit: the log-odds alone cannot give them
// back (exp(log(x)) is not x to the bit, least of all far out).
TEST(StoreCodecTest, OddsAreStoredExactlyWhenTheyAreTheState) {
  std::vector<MasteryEstimate> states;
  const std::pair<double, int32_t> odds[] = {{1.0 / 3.0, 0},   {std::nextafter(0x1.0p200, 0.0), 0},
                                             {0x1.8p-250, -7}, {0x1.123456789abcdp100, 40000},
                                             {0.0, 0},         {HUGE_VAL, 0}};
  for (size_t i = 0; i < sizeof(odds) / sizeof(odds[0]); ++i) {
    const Odds o{odds[i].first, odds[i].second};
    MasteryEstimate e = Estimate(std::string(1, static_cast<char>('a' + i)), o.mastery(), 3,
                                 100 + static_cast<int64_t>(i), i % 2 == 0);
    e.log_odds = o.log_odds();
    e.odds_scale = o.scale;
    e.odds_exponent = o.exponent;
    states.push_back(e);
  }
  // Odds that are not the state behind p_learned are not stored as odds: the log-odds are.
  MasteryEstimate inconsistent = states[0];
  inconsistent.competency_id = "z";
  inconsistent.odds_scale = 0.5;
  states.push_back(inconsistent);
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(EncodeStates(states));
  ASSERT_OK(decoded);
  ASSERT_EQ(decoded->size(), states.size());
  for (size_t i = 0; i + 1 < states.size(); ++i) {
    const MasteryEstimate& d = (*decoded)[i];
    EXPECT_EQ(std::memcmp(&d.odds_scale, &states[i].odds_scale, sizeof(double)), 0) << i;
    EXPECT_EQ(d.odds_exponent, states[i].odds_exponent) << i;
    EXPECT_EQ(std::memcmp(&d.log_odds, &states[i].log_odds, sizeof(double)), 0) << i;
    EXPECT_EQ(d.p_learned, states[i].p_learned) << i;
    EXPECT_EQ(d.mastered, states[i].mastered) << i;
  }
  EXPECT_TRUE(std::isnan(decoded->back().odds_scale));
  EXPECT_EQ(decoded->back().log_odds, inconsistent.log_odds);

  // Damaged odds (a scale outside the window) are reported, not served.
  std::vector<MasteryEstimate> one = {states[0]};
  std::string bytes = EncodeStates(one);
  const double bad = 0x1.0p300;
  const size_t value_at = 1 + 1 + 1 + 2;  // format, count, shared prefix, length and "a"
  std::memcpy(&bytes[value_at], &bad, sizeof(bad));
  EXPECT_EQ(DecodeStates(bytes).status().code(), StatusCode::kDataLoss);
}

// Format 1 (before log-odds) stored the probability; a stored 1.0 was a rounded streak and is read
// as the nearest probability below 1, so new evidence can move it.
TEST(StoreCodecTest, FormatOneIsReadAsProbabilities) {
  std::string blob;
  blob.push_back(1);  // format 1
  blob.push_back(2);  // two states
  for (const auto& [id, p] : {std::pair<char, double>{'a', 1.0}, {'b', 0.25}}) {
    blob.push_back(0);  // shares nothing with the previous id
    blob.push_back(1);
    blob.push_back(id);
    uint64_t bits = 0;
    std::memcpy(&bits, &p, sizeof(bits));
    for (int i = 0; i < 8; ++i) blob.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
    blob.push_back(4);                  // opportunities
    blob.push_back(0);                  // last practised (zigzag 0)
    blob.push_back(id == 'a' ? 1 : 0);  // mastered
  }
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(blob);
  ASSERT_OK(decoded);
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_TRUE(std::isfinite((*decoded)[0].log_odds));
  EXPECT_NEAR((*decoded)[0].log_odds, 36.74, 0.01);
  EXPECT_TRUE((*decoded)[0].mastered);
  EXPECT_EQ((*decoded)[1].p_learned, 0.25);
  EXPECT_NEAR((*decoded)[1].log_odds, std::log(0.25 / 0.75), 1e-15);
  // A flag bit that format 1 does not have is damage, not log-odds.
  blob[blob.size() - 1] = 2;
  EXPECT_FALSE(DecodeStates(blob).ok());
}

TEST(StoreCodecTest, SharedPrefixesAreStoredOnce) {
  std::vector<MasteryEstimate> states;
  for (int i = 0; i < 100; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "curriculum.algebra.skill-%03d", i);
    states.push_back(Estimate(id, 0.5, 1, 0, false));
  }
  const std::string encoded = EncodeStates(states);
  // Each id after the first costs its 1-3 differing characters plus two length bytes, not 29.
  EXPECT_LT(encoded.size(), 100u * (8 + 1 + 1 + 1 + 5) + 40);
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates(encoded);
  ASSERT_OK(decoded);
  ExpectSameStates(*decoded, states);
}

TEST(StoreCodecTest, EmptyBlobHasNoStates) {
  Result<std::vector<MasteryEstimate>> decoded = DecodeStates("");
  ASSERT_OK(decoded);
  EXPECT_TRUE(decoded->empty());
}

TEST(StoreCodecTest, MergeOverwritesByIdAndKeepsOrder) {
  std::vector<MasteryEstimate> stored = {Estimate("b", 0.2, 1, 1, false),
                                         Estimate("d", 0.4, 1, 1, false)};
  const std::vector<MasteryEstimate> updates = {Estimate("e", 0.5, 1, 2, false),
                                                Estimate("a", 0.1, 1, 2, false),
                                                Estimate("d", 0.9, 2, 2, false)};
  const std::vector<MasteryEstimate> merged = MergeStates(stored, updates);
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(merged[0].competency_id, "a");
  EXPECT_EQ(merged[1].competency_id, "b");
  EXPECT_EQ(merged[1].p_learned, 0.2);
  EXPECT_EQ(merged[2].competency_id, "d");
  EXPECT_EQ(merged[2].p_learned, 0.9);
  EXPECT_EQ(merged[3].competency_id, "e");
}

TEST(StoreCodecTest, EventsRoundTripExactly) {
  const std::vector<Observation> events = {
      {"e1", "ann", "a1", 1.0, 1700000000000},
      {"", "ann", "a2", 0.0, 5},  // no id; time goes backwards
      {"e3", "ann", "a1", 0.1 + 0.2, std::numeric_limits<int64_t>::max()},
      {"e4", "ann", "", 0.5, std::numeric_limits<int64_t>::min()},
  };
  std::vector<const Observation*> pointers;
  for (const Observation& event : events) pointers.push_back(&event);
  std::vector<Observation> decoded;
  ASSERT_OK(DecodeEvents(
      EncodeEvents(pointers), [&](size_t index, std::string_view id, std::string_view activity,
                                  double outcome, int64_t timestamp) {
        EXPECT_EQ(index, decoded.size());
        decoded.push_back({std::string(id), "ann", std::string(activity), outcome, timestamp});
      }));
  ASSERT_EQ(decoded.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(decoded[i].event_id, events[i].event_id);
    EXPECT_EQ(decoded[i].activity_id, events[i].activity_id);
    EXPECT_EQ(decoded[i].outcome, events[i].outcome);
    EXPECT_EQ(decoded[i].timestamp_ms, events[i].timestamp_ms);
  }
}

TEST(StoreCodecTest, DamagedBlobsAreReportedNotDecoded) {
  const std::vector<MasteryEstimate> states = {Estimate("alpha", 0.3, 2, 99, false),
                                               Estimate("beta", 0.6, 3, 100, false)};
  const std::string good_states = EncodeStates(states);
  const Observation event{"e1", "ann", "activity", 0.25, 12345};
  const std::string good_events = EncodeEvents({&event, &event});
  const auto decode_events = [](const std::string& bytes) {
    return DecodeEvents(bytes, [](size_t, std::string_view, std::string_view, double, int64_t) {});
  };
  ASSERT_OK(DecodeStates(good_states));
  ASSERT_OK(decode_events(good_events));

  // Every truncation and every single-byte change of the format byte must be caught.
  for (size_t n = 1; n < good_states.size(); ++n) {
    EXPECT_EQ(DecodeStates(good_states.substr(0, n)).status().code(), StatusCode::kDataLoss)
        << "states truncated to " << n;
  }
  for (size_t n = 0; n < good_events.size(); ++n) {
    EXPECT_EQ(decode_events(good_events.substr(0, n)).code(), StatusCode::kDataLoss)
        << "events truncated to " << n;
  }
  EXPECT_FALSE(DecodeStates(good_states + "x").ok());
  EXPECT_FALSE(decode_events(good_events + "x").ok());
  std::string bad_format = good_states;
  bad_format[0] = 9;
  EXPECT_FALSE(DecodeStates(bad_format).ok());
  // Random bytes never crash the decoders (they may rarely decode to something).
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string noise(static_cast<size_t>(rng() % 64), '\0');
    for (char& c : noise) c = static_cast<char>(rng() & 0xff);
    (void)DecodeStates(noise);
    (void)decode_events(noise);
  }
}

}  // namespace
}  // namespace pathwise::store::internal
