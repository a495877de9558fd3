// The LearnerStore contract (learner_store_contract.cc) run against PostgresStore on a real server.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/learner_store_contract.h"
#include "store/postgres_store.h"
#include "store/postgres_test_server.h"

namespace pathwise::store {
namespace {

// The test's fresh directory names its database, so a reopen in the same test finds its data.
Result<std::unique_ptr<LearnerStore>> OpenPostgres(const std::string& dir, FaultHook hook,
                                                   int max_connections) {
  Status error;
  testing::PostgresTestServer* server = testing::SharedPostgresServer(nullptr, &error);
  if (server == nullptr) return error;
  PATHWISE_ASSIGN_OR_RETURN(std::string uri,
                            server->CreateDatabase(std::filesystem::path(dir).filename().string()));
  PostgresStoreOptions options;
  options.connection = uri;
  options.max_connections = max_connections;
  options.fault_hook_for_testing = std::move(hook);
  Result<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<LearnerStore>(std::move(store).value());
}

std::vector<StoreKind> PostgresStoreKinds() {
  return {
      {"Postgres", [](const std::string& dir,
                      FaultHook hook) { return OpenPostgres(dir, std::move(hook), 8); }},
      // Every call waits for the one connection: the pool's hand-over under contention.
      {"PostgresOneConnection",
       [](const std::string& dir, FaultHook hook) {
         return OpenPostgres(dir, std::move(hook), 1);
       }},
  };
}

INSTANTIATE_TEST_SUITE_P(Postgres, LearnerStoreTest, ::testing::ValuesIn(PostgresStoreKinds()),
                         StoreKindName);

}  // namespace
}  // namespace pathwise::store
