// The event-id filter's bound (max_bytes); its other tests are in tenant_test.cc.
#include "app/event_id_filter.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pathwise::app {
namespace {

std::string EventId(int i) { return "event-" + std::to_string(i); }

TEST(EventIdFilterTest, PastItsBoundItStopsGrowingAndAnswersMaybe) {
  constexpr size_t kMaxBytes = 64 << 10;
  EventIdFilter filter(/*initial_capacity=*/1024, kMaxBytes);
  EXPECT_FALSE(filter.MayContain("ann", "never"));
  for (int i = 0; i < 200000; ++i) {
    std::vector<EventIdFilter::Key> batch = {EventIdFilter::KeyOf("ann", EventId(i))};
    filter.InsertAll(batch);
  }
  EXPECT_TRUE(filter.saturated());
  EXPECT_LE(filter.memory_bytes(), kMaxBytes);
  EXPECT_LT(filter.size(), 200000u);
  // No duplicate may be missed, so every pair is a "maybe" now, inserted or not.
  for (int i = 0; i < 200000; i += 997) EXPECT_TRUE(filter.MayContain("ann", EventId(i)));
  EXPECT_TRUE(filter.MayContain("bob", "never"));
}

}  // namespace
}  // namespace pathwise::app
