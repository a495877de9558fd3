// main() of the PostgreSQL store tests: one real server for the whole binary (started here, stopped
// at exit), and exit code 77, which ctest reports as a skip, when the server binaries are absent.
#include <cstdio>

#include <gtest/gtest.h>

#include "store/postgres_test_server.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  bool missing = false;
  pathwise::Status error;
  if (pathwise::store::testing::SharedPostgresServer(&missing, &error) == nullptr) {
    if (missing) {
      std::printf("SKIPPED: %s\n", pathwise::store::testing::PostgresMissingMessage().c_str());
      return 77;
    }
    std::fprintf(stderr, "cannot start the PostgreSQL test server: %s\n", error.message().c_str());
    return 1;
  }
  return RUN_ALL_TESTS();
}
