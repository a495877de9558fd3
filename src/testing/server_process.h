// pathwised as a child process, for the programs that drive the real server binary: the
// durability and PostgreSQL service tests, bench/service_load and the class demo. Not installed.
//
//     pathwise::testing::ServerProcess server;
//     pathwise::testing::ServerProcessOptions options;
//     options.binary = pathwise::testing::BinaryBesideSelf("pathwised");
//     options.args = {"--data-dir", dir, "--api-key", "tenant=0123456789abcdef"};
//     options.log_path = dir + ".log";
//     pathwise::Status started = server.Start(options);
//     ... grpc::CreateChannel(server.address(), ...) ...
//     std::string report;
//     bool clean = server.Stop(15.0, &report);
#ifndef PATHWISE_TESTING_SERVER_PROCESS_H_
#define PATHWISE_TESTING_SERVER_PROCESS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/status_code_enum.h>
#include <sys/types.h>

#include "pathwise/result.h"
#include "pathwise/status.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace pathwise::testing {

struct ServerProcessOptions {
  /// The pathwised executable.
  std::string binary;
  /// Arguments after `--listen 127.0.0.1:0`, which the process always gets: the server picks a
  /// free port itself and reports it, so two runs never race for one.
  std::vector<std::string> args;
  /// Where the server's stderr (its log) goes; empty: this process's stderr.
  std::string log_path;
  /// Append to `log_path` (a restart on the same directory keeps the first run's log) rather than
  /// truncate it.
  bool append_log = true;
  /// How long Start waits for the server to listen and answer SERVING; 0: no limit (a restart that
  /// rebuilds a large store may take minutes).
  double startup_timeout_seconds = 60;
  /// Whether Start waits for SERVING (the default) or for any answer to a health check: a server
  /// that finds its store damaged right after it starts answers NOT_SERVING.
  bool wait_for_serving = true;
  /// Called with the child's pid right after the spawn, before Start waits: a signal handler that
  /// forwards Ctrl-C needs the pid during a slow start-up too.
  std::function<void(pid_t)> on_spawn;
};

/// One pathwised child. The destructor kills (SIGKILL) and reaps a server still running, so an
/// early return never leaves one behind. Not thread-safe.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  /// Spawns the server, reads its "pathwised listening on ADDRESS, ..." line and waits until
  /// grpc.health.v1.Health/Check answers SERVING. On failure no process is left running and the
  /// message says why, with the end of the log.
  Status Start(const ServerProcessOptions& options);

  /// Sends `signal`, waits for the exit and returns the wait status; -1 when not running.
  int Signal(int signal);

  /// SIGTERM, then up to `timeout_seconds` for the exit (SIGKILL after that). True when the
  /// server exited with status 0; *report says how it ended (and shows the log's end if not clean).
  bool Stop(double timeout_seconds, std::string* report);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// "127.0.0.1:PORT" once started.
  const std::string& address() const { return address_; }
  /// "HOST:PORT" of the metrics endpoint when the server was started with --metrics-listen (its
  /// start line ends ", metrics http://HOST:PORT/metrics"); empty otherwise.
  const std::string& metrics_address() const { return metrics_address_; }
  /// The server's first line on stdout, "pathwised listening on ADDRESS, data directory ...".
  const std::string& start_line() const { return start_line_; }
  /// "; its log ends:" and the last `lines` lines of the log, or "" without a log file.
  std::string LogTail(int lines = 5) const;

 private:
  void Reap(int* status);
  void CloseStdout();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // kept open while the server runs: a write to a closed pipe would kill it
  std::string address_;
  std::string metrics_address_;
  std::string start_line_;
  std::string log_path_;
};

/// "UNAVAILABLE", "NOT_FOUND", ...: a gRPC status code as the gRPC documentation spells it.
const char* GrpcCodeName(grpc::StatusCode code);

/// "exit status 0", "killed by signal 9", ...
std::string DescribeExit(int wait_status);

/// `name` in the directory of the running executable (build/bin/ holds every program).
std::string BinaryBesideSelf(const std::string& name);

/// A number from /proc/PID/status: "VmHWM" (peak resident memory, KiB), "VmRSS", "Threads", ...;
/// -1 when the process or the line is not there.
int64_t ProcStatusNumber(pid_t pid, const std::string& field);

/// grpc.health.v1.Health/Check through the generated stub: the status of `service` ("" for the
/// whole server) as its enum name ("SERVING", "NOT_SERVING", ...), or the call's error.
Result<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service = "", double timeout_seconds = 5);

}  // namespace pathwise::testing

#endif  // PATHWISE_TESTING_SERVER_PROCESS_H_
