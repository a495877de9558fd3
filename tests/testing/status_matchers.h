// ASSERT_OK / EXPECT_OK for Status and Result<T> (leveldb's ASSERT_LEVELDB_OK).
#ifndef PATHWISE_TESTS_TESTING_STATUS_MATCHERS_H_
#define PATHWISE_TESTS_TESTING_STATUS_MATCHERS_H_

#include <string>

#include <gtest/gtest.h>

#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise::testing {

inline const Status& ToStatus(const Status& s) { return s; }
template <typename T>
const Status& ToStatus(const Result<T>& r) {
  return r.status();
}

inline std::string SharedDataPath(const std::string& relative) {
  return std::string(PATHWISE_SHARED_DATA_DIR) + "/" + relative;
}
inline std::string SourcePath(const std::string& relative) {
  return std::string(PATHWISE_SOURCE_DIR) + "/" + relative;
}

}  // namespace pathwise::testing

// Each evaluates `expr` exactly once.
#define EXPECT_OK(expr)                                                                     \
  do {                                                                                      \
    const auto& _pathwise_value = (expr);                                                   \
    const ::pathwise::Status& _pathwise_s = ::pathwise::testing::ToStatus(_pathwise_value); \
    EXPECT_TRUE(_pathwise_s.ok()) << #expr << ": " << _pathwise_s;                          \
  } while (0)
#define ASSERT_OK(expr)                                                                     \
  do {                                                                                      \
    const auto& _pathwise_value = (expr);                                                   \
    const ::pathwise::Status& _pathwise_s = ::pathwise::testing::ToStatus(_pathwise_value); \
    ASSERT_TRUE(_pathwise_s.ok()) << #expr << ": " << _pathwise_s;                          \
  } while (0)

#endif  // PATHWISE_TESTS_TESTING_STATUS_MATCHERS_H_
