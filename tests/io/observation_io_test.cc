#include <gtest/gtest.h>

#include <pathwise/io/observations_csv.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

TEST(ObservationIoTest, ParsesColumnsInAnyOrderWithBothTimestampForms) {
  const char* text =
      "learner_id,outcome,activity_id,event_id,timestamp\n"
      "ann,1,a1,e1,2026-09-01T09:00:00Z\n"
      "ann,0.5,a2,,1756717260000\n"
      "bob,false,a1,e3,\n";
  Result<std::vector<Observation>> events = ParseObservationsCsv(text, "events.csv");
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].event_id, "e1");
  EXPECT_EQ((*events)[0].learner_id, "ann");
  EXPECT_EQ((*events)[0].activity_id, "a1");
  EXPECT_EQ((*events)[0].outcome, 1.0);
  // 2026-09-01 is day 20,697 after 1970-01-01; plus nine hours.
  EXPECT_EQ((*events)[0].timestamp_ms, (20697LL * 86400 + 9 * 3600) * 1000);
  EXPECT_EQ((*events)[1].event_id, "");
  EXPECT_EQ((*events)[1].outcome, 0.5);
  EXPECT_EQ((*events)[1].timestamp_ms, 1756717260000);
  EXPECT_EQ((*events)[2].outcome, 0.0);
  EXPECT_EQ((*events)[2].timestamp_ms, 0);
}

TEST(ObservationIoTest, TimestampParsingKnownDates) {
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTimestamp("2000-03-01T00:00:01.250Z"), 951868801250);
  EXPECT_FALSE(ParseTimestamp("2026-13-01T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
  EXPECT_FALSE(ParseTimestamp("2026-09-01T09:00:00").ok());
}

TEST(ObservationIoTest, ErrorsNameFileLineAndColumn) {
  Result<std::vector<Observation>> bad_outcome = ParseObservationsCsv(
      "event_id,learner_id,activity_id,outcome\ne1,ann,a1,1\ne2,ann,a1,1.5\n", "ev.csv");
  ASSERT_FALSE(bad_outcome.ok());
  EXPECT_EQ(bad_outcome.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_outcome.status().message().find("ev.csv:3:4: outcome"), std::string::npos)
      << bad_outcome.status();

  Result<std::vector<Observation>> no_learner =
      ParseObservationsCsv("event_id,learner_id,activity_id,outcome\ne1,,a1,1\n", "ev.csv");
  ASSERT_FALSE(no_learner.ok());
  EXPECT_NE(no_learner.status().message().find("ev.csv:2:2: learner_id is empty"),
            std::string::npos)
      << no_learner.status();

  Result<std::vector<Observation>> missing_column =
      ParseObservationsCsv("event_id,learner,activity_id,outcome\n", "ev.csv");
  ASSERT_FALSE(missing_column.ok());
  EXPECT_NE(missing_column.status().message().find("learner_id"), std::string::npos)
      << missing_column.status();
}

TEST(ObservationIoTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadObservationsCsv("/nonexistent/events.csv").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace pathwise
