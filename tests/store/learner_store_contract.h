// The LearnerStore contract as a value-parameterized suite: learner_store_contract.cc defines the
// cases once, and each test binary instantiates them for the stores it has (learner_store_test.cc:
// memory and SQLite; postgres/: PostgreSQL, against a server of its own).
#ifndef PATHWISE_TESTS_STORE_LEARNER_STORE_CONTRACT_H_
#define PATHWISE_TESTS_STORE_LEARNER_STORE_CONTRACT_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/learner_store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {

using FaultHook = std::function<Status(const EventBatch&)>;

/// One store under test. `open` opens the store whose data belongs to `dir` (a fresh directory per
/// test): a second call with the same dir must open the same data, as a restart would.
struct StoreKind {
  std::string name;
  std::function<Result<std::unique_ptr<LearnerStore>>(const std::string& dir, FaultHook hook)> open;
};

inline void PrintTo(const StoreKind& kind, std::ostream* os) { *os << kind.name; }

/// Instantiate with INSTANTIATE_TEST_SUITE_P(Name, LearnerStoreTest, ValuesIn(kinds),
/// StoreKindName).
class LearnerStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { store_ = Open(nullptr); }

  std::unique_ptr<LearnerStore> Open(FaultHook hook) {
    store_.reset();  // a data directory is opened by one store at a time
    Result<std::unique_ptr<LearnerStore>> store = GetParam().open(dir_.path(), std::move(hook));
    EXPECT_OK(store);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  size_t NumEvents(const std::string& tenant, const std::string& learner) {
    Result<std::vector<StoredObservation>> events = store_->ListEvents(tenant, learner, 0, 0);
    return events.ok() ? events->size() : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<LearnerStore> store_;
};

inline std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& param_info) {
  return param_info.param.name;
}

}  // namespace pathwise::store

#endif  // PATHWISE_TESTS_STORE_LEARNER_STORE_CONTRACT_H_
