// The registry without a server: a key string finds its tenant, and a key that is not configured
// finds nothing and says nothing about why.
#include "app/tenant_registry.h"

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/memory_store.h"
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

constexpr char kKeyA[] = "key-a-0123456789abcdef";
constexpr char kKeyA2[] = "key-a-second-0123456789";
constexpr char kKeyB[] = "key-b-0123456789abcdef";

std::vector<TenantConfig> TwoTenants() {
  return {{"tenant-a", {kKeyA, kKeyA2}, {}, {}}, {"tenant-b", {kKeyB}, {}, {}}};
}

TEST(TenantRegistryTest, EachConfiguredKeyAuthenticatesAsItsTenant) {
  store::MemoryStore store;
  ServiceLimits limits;
  TenantRegistry registry(TwoTenants(), &store, &limits);
  ASSERT_OK(registry.LoadAll());
  const std::vector<std::pair<std::string, std::string>> keys = {
      {kKeyA, "tenant-a"}, {kKeyA2, "tenant-a"}, {kKeyB, "tenant-b"}};
  for (const auto& [key, tenant] : keys) {
    Result<Tenant*> found = registry.Authenticate(key);
    ASSERT_OK(found);
    EXPECT_EQ((*found)->id(), tenant) << key;
  }
}

TEST(TenantRegistryTest, AnyOtherKeyIsUnauthenticatedWithOneMessage) {
  store::MemoryStore store;
  ServiceLimits limits;
  TenantRegistry registry(TwoTenants(), &store, &limits);
  ASSERT_OK(registry.LoadAll());
  const std::string a(kKeyA);
  // Unknown, empty, a prefix, an extension, another case: none is a key, and the message is the
  // same for all, naming neither a tenant nor a key.
  for (const std::string& key :
       {std::string("no-such-key-0123456789"), std::string(), a.substr(0, a.size() - 1), a + "x",
        std::string("KEY-A-0123456789ABCDEF")}) {
    Result<Tenant*> found = registry.Authenticate(key);
    ASSERT_FALSE(found.ok()) << key;
    EXPECT_EQ(found.status().code(), StatusCode::kUnauthenticated) << key;
    EXPECT_EQ(found.status().message(), "unknown API key") << key;
  }
}

TEST(TenantRegistryTest, FindNamesAnUnconfiguredTenant) {
  store::MemoryStore store;
  ServiceLimits limits;
  TenantRegistry registry(TwoTenants(), &store, &limits);
  Result<Tenant*> b = registry.Find("tenant-b");
  ASSERT_OK(b);
  EXPECT_EQ((*b)->id(), "tenant-b");
  Result<Tenant*> other = registry.Find("tenant-c");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(other.status().message(), "tenant 'tenant-c' is not configured");
}

TEST(TenantRegistryTest, LoadAllNamesTheTenantWhoseStoredGraphDoesNotLoad) {
  store::MemoryStore store;
  ASSERT_OK(store.PutGraph("tenant-b", "{not json"));
  ServiceLimits limits;
  TenantRegistry registry(TwoTenants(), &store, &limits);
  Status loaded = registry.LoadAll();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.message().rfind("tenant 'tenant-b': stored graph version 1 does not load", 0),
            0u)
      << loaded.message();
}

TEST(TenantRegistryTest, MemoryCompactionRunsInTheBackgroundUntilStopped) {
  store::MemoryStore store;
  ServiceLimits limits;
  TenantRegistry registry(TwoTenants(), &store, &limits);
  ASSERT_OK(registry.LoadAll());
  Result<Tenant*> tenant = registry.Find("tenant-a");
  ASSERT_OK(tenant);
  GraphDefinition def;
  for (int c = 0; c < 40; ++c) {
    Competency competency;
    competency.id = "c" + std::to_string(c);
    def.competencies.push_back(competency);
  }
  ASSERT_OK((*tenant)->PutGraph(def, std::nullopt));
  std::vector<Observation> events;
  for (int c = 0; c < 40; ++c) {
    events.push_back({"e" + std::to_string(c), "ann", "c" + std::to_string(c), 1.0, c});
  }
  ASSERT_OK((*tenant)->Record(events, false));
  const std::shared_ptr<const Curriculum> curriculum = (*tenant)->curriculum();
  const MasteryTracker& tracker = curriculum->engine->tracker();
  const size_t grown = tracker.EstimateMemory().bytes;  // 40 states in room for 64

  registry.StartMemoryCompaction(std::chrono::milliseconds(1));
  // Nothing else changes the tracker: only the registry's thread can make it smaller. No bound
  // on the wait (the test's timeout is one): a slow machine only makes it longer.
  while (tracker.EstimateMemory().bytes >= grown) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  registry.StopBackgroundWork();  // returns once the thread has stopped
  EXPECT_EQ((*tenant)->CompactMemory(), 0u);
}

}  // namespace
}  // namespace pathwise::app
