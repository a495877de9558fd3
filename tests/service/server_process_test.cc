// The test-support launcher of pathwised (src/testing/server_process.h), on the real binary: it
// starts a server that answers SERVING through the generated health stub, stops it cleanly, and
// says why when the binary is missing or exits during start-up, leaving no process behind.
#include "server_process.h"

#include <cerrno>
#include <fstream>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "service_test_util.h"

namespace pathwise::testing {
namespace {

using service::testing::kKeyA;
using service::testing::kTenantA;
using service::testing::TempDir;

ServerProcessOptions Options(const TempDir& dir) {
  ServerProcessOptions options;
  options.binary = BinaryBesideSelf("pathwised");
  options.args = {"--data-dir", dir.path() + "/data", "--api-key",
                  std::string(kTenantA) + "=" + kKeyA};
  options.log_path = dir.path() + "/pathwised.log";
  return options;
}

// Whether a process with this pid still exists (a zombie counts: it has not been reaped).
bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

TEST(ServerProcessTest, StartsServingAndStopsCleanly) {
  TempDir dir;
  ServerProcess server;
  pid_t spawned = -1;
  ServerProcessOptions options = Options(dir);
  options.on_spawn = [&spawned](pid_t pid) { spawned = pid; };
  const Status started = server.Start(options);
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(server.pid(), spawned);
  EXPECT_EQ(server.address().rfind("127.0.0.1:", 0), 0u) << server.address();
  EXPECT_NE(server.start_line().find("pathwised listening on " + server.address()),
            std::string::npos)
      << server.start_line();

  const auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  Result<std::string> health = CheckHealth(channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, "SERVING");
  Result<std::string> unknown = CheckHealth(channel, "no.such.Service");
  EXPECT_FALSE(unknown.ok());  // the default health service answers NOT_FOUND for unknown names
  EXPECT_NE(unknown.status().message().find("NOT_FOUND"), std::string::npos) << unknown.status();

  std::string report;
  EXPECT_TRUE(server.Stop(15.0, &report)) << report;
  EXPECT_EQ(report.rfind("exit status 0 after ", 0), 0u) << report;
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(ProcessExists(spawned));
  EXPECT_FALSE(CheckHealth(channel, "", 1.0).ok());
}

TEST(ServerProcessTest, DestructorKillsAndReapsARunningServer) {
  TempDir dir;
  pid_t pid = -1;
  {
    ServerProcess server;
    const Status started = server.Start(Options(dir));
    ASSERT_TRUE(started.ok()) << started;
    pid = server.pid();
    ASSERT_TRUE(ProcessExists(pid));
  }
  EXPECT_FALSE(ProcessExists(pid));
}

TEST(ServerProcessTest, SignalReturnsTheWaitStatus) {
  TempDir dir;
  ServerProcess server;
  const Status started = server.Start(Options(dir));
  ASSERT_TRUE(started.ok()) << started;
  const int status = server.Signal(SIGKILL);
  EXPECT_EQ(DescribeExit(status), "killed by signal 9");
  EXPECT_FALSE(server.running());
  EXPECT_EQ(server.Signal(SIGKILL), -1);  // nothing left to signal
}

TEST(ServerProcessTest, AMissingBinaryIsNamed) {
  TempDir dir;
  ServerProcessOptions options = Options(dir);
  options.binary = dir.path() + "/no-such-pathwised";
  ServerProcess server;
  const Status started = server.Start(options);
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.message().find(options.binary), std::string::npos) << started;
  EXPECT_FALSE(server.running());
}

TEST(ServerProcessTest, AServerThatExitsDuringStartUpIsReportedWithItsLog) {
  TempDir dir;
  ServerProcessOptions options = Options(dir);
  options.args.push_back("--no-such-flag");
  ServerProcess server;
  pid_t spawned = -1;
  options.on_spawn = [&spawned](pid_t pid) { spawned = pid; };
  const Status started = server.Start(options);
  EXPECT_EQ(started.code(), StatusCode::kUnavailable);
  EXPECT_NE(started.message().find("pathwised exited during start-up (exit status "),
            std::string::npos)
      << started;
  EXPECT_NE(started.message().find("no-such-flag"), std::string::npos) << started;  // the log
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(ProcessExists(spawned));
}

}  // namespace
}  // namespace pathwise::testing
