// The LearnerStore contract (learner_store_contract.cc) run against MemoryStore and SqliteStore.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/learner_store_contract.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace pathwise::store {
namespace {

std::vector<StoreKind> AllStoreKinds() {
  return {
      {"Memory",
       [](const std::string&, FaultHook hook) -> Result<std::unique_ptr<LearnerStore>> {
         MemoryStoreOptions options;
         options.fault_hook_for_testing = std::move(hook);
         return std::unique_ptr<LearnerStore>(std::make_unique<MemoryStore>(std::move(options)));
       }},
      {"Sqlite",
       [](const std::string& dir, FaultHook hook) -> Result<std::unique_ptr<LearnerStore>> {
         SqliteStoreOptions options;
         options.data_dir = dir;
         options.fault_hook_for_testing = std::move(hook);
         Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
         if (!store.ok()) return store.status();
         return std::unique_ptr<LearnerStore>(std::move(store).value());
       }},
      // Every learner's ids are reloaded from the database on each batch.
      {"SqliteNoCache",
       [](const std::string& dir, FaultHook hook) -> Result<std::unique_ptr<LearnerStore>> {
         SqliteStoreOptions options;
         options.data_dir = dir;
         options.max_cached_event_ids = 0;
         options.fault_hook_for_testing = std::move(hook);
         Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
         if (!store.ok()) return store.status();
         return std::unique_ptr<LearnerStore>(std::move(store).value());
       }},
      // Every event id has the same hash: each check goes through confirmation against the stored
      // ids, which must keep duplicate detection exact.
      {"SqliteCollidingHashes",
       [](const std::string& dir, FaultHook hook) -> Result<std::unique_ptr<LearnerStore>> {
         SqliteStoreOptions options;
         options.data_dir = dir;
         options.event_id_hash_for_testing = [](std::string_view) -> uint64_t { return 42; };
         options.fault_hook_for_testing = std::move(hook);
         Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
         if (!store.ok()) return store.status();
         return std::unique_ptr<LearnerStore>(std::move(store).value());
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(AllStores, LearnerStoreTest, ::testing::ValuesIn(AllStoreKinds()),
                         StoreKindName);

}  // namespace
}  // namespace pathwise::store
