#include "server_process.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grpc/health/v1/health.grpc.pb.h"

extern char** environ;

namespace pathwise::testing {
namespace {

using Clock = std::chrono::steady_clock;
namespace health = grpc::health::v1;

std::string FormatSeconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f s", seconds);
  return text;
}

// Milliseconds left before `deadline`, or a day without one.
int64_t MillisecondsLeft(const Clock::time_point* deadline) {
  if (deadline == nullptr) return 24 * 3600 * 1000;
  return std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
}

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {"OK",
                                       "CANCELLED",
                                       "UNKNOWN",
                                       "INVALID_ARGUMENT",
                                       "DEADLINE_EXCEEDED",
                                       "NOT_FOUND",
                                       "ALREADY_EXISTS",
                                       "PERMISSION_DENIED",
                                       "RESOURCE_EXHAUSTED",
                                       "FAILED_PRECONDITION",
                                       "ABORTED",
                                       "OUT_OF_RANGE",
                                       "UNIMPLEMENTED",
                                       "INTERNAL",
                                       "UNAVAILABLE",
                                       "DATA_LOSS",
                                       "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i <= 16 ? kNames[i] : "UNKNOWN_CODE";
}

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "wait status " + std::to_string(wait_status);
}

int64_t ProcStatusNumber(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = field + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::atoll(line.c_str() + prefix.size());
  }
  return -1;
}

std::string BinaryBesideSelf(const std::string& name) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

Result<std::string> CheckHealth(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service, double timeout_seconds) {
  std::unique_ptr<health::Health::Stub> stub = health::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
  health::HealthCheckRequest request;
  request.set_service(service);
  health::HealthCheckResponse response;
  // The callback API rather than the blocking one: its first use starts gRPC's callback threads in
  // this process, which keep serving the connection once the call is done, so that a server shut
  // down later sees the connection close at once. With blocking calls only, nothing reads the
  // server's GOAWAY and pathwised waits about 5 s before it exits.
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub->async()->Check(&context, &request, &response, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (!status.ok()) {
    return Status::Unavailable(
        "health check failed: " + std::string(GrpcCodeName(status.error_code())) + ": " +
        status.error_message());
  }
  return health::HealthCheckResponse::ServingStatus_Name(response.status());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) (void)Signal(SIGKILL);
  CloseStdout();
}

void ServerProcess::CloseStdout() {
  if (stdout_fd_ >= 0) close(stdout_fd_);
  stdout_fd_ = -1;
}

void ServerProcess::Reap(int* status) {
  while (waitpid(pid_, status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  CloseStdout();
}

Status ServerProcess::Start(const ServerProcessOptions& options) {
  if (pid_ > 0)
    return Status::FailedPrecondition("pathwised is already running (pid " + std::to_string(pid_) +
                                      ")");
  address_.clear();
  metrics_address_.clear();
  start_line_.clear();
  log_path_ = options.log_path;
  if (access(options.binary.c_str(), X_OK) != 0) {
    return Status::FailedPrecondition("cannot run " + options.binary + ": " + std::strerror(errno) +
                                      " (build it with `cmake --build build --target pathwised`)");
  }
  int out[2];
  if (pipe(out) != 0) return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  posix_spawn_file_actions_addclose(&actions, out[1]);
  if (!options.log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.log_path.c_str(),
                                     O_WRONLY | O_CREAT | (options.append_log ? O_APPEND : O_TRUNC),
                                     0644);
  }
  std::vector<std::string> args = {options.binary, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, options.binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    return Status::Internal("cannot run " + options.binary + ": " + std::strerror(spawned));
  }
  pid_ = pid;
  stdout_fd_ = out[0];
  if (options.on_spawn) options.on_spawn(pid);

  const auto started = Clock::now();
  const Clock::time_point deadline =
      started +
      std::chrono::milliseconds(static_cast<int64_t>(options.startup_timeout_seconds * 1000));
  const Clock::time_point* limit = options.startup_timeout_seconds > 0 ? &deadline : nullptr;
  const auto fail = [this](const std::string& message) {
    const std::string tail = LogTail();
    if (pid_ > 0) (void)Signal(SIGKILL);
    return Status::Unavailable(message + tail);
  };

  // "pathwised listening on 127.0.0.1:PORT, data directory DIR" (or "..., store URI").
  std::string line;
  while (line.find('\n') == std::string::npos) {
    const int64_t left = MillisecondsLeft(limit);
    if (left <= 0) {
      return fail("pathwised did not report that it is listening within " +
                  FormatSeconds(options.startup_timeout_seconds));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = poll(&fd, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (ready < 0 && errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno));
    if (ready <= 0) continue;
    char buffer[256];
    const ssize_t n = read(stdout_fd_, buffer, sizeof(buffer));
    if (n <= 0) {  // the server exited before it listened
      const std::string tail = LogTail();
      int status = 0;
      Reap(&status);
      return Status::Unavailable("pathwised exited during start-up (" + DescribeExit(status) + ")" +
                                 tail);
    }
    line.append(buffer, static_cast<size_t>(n));
  }
  const std::string prefix = "pathwised listening on ";
  const size_t at = line.find(prefix);
  const size_t comma = line.find(',', at);
  if (at == std::string::npos || comma == std::string::npos) {
    return fail("unexpected first line from pathwised: " + line.substr(0, line.find('\n')));
  }
  start_line_ = line.substr(0, line.find('\n'));
  const std::string address = line.substr(at + prefix.size(), comma - at - prefix.size());
  const std::string metrics_prefix = ", metrics http://";
  const size_t metrics_at = start_line_.rfind(metrics_prefix);
  const size_t metrics_end = start_line_.rfind("/metrics");
  if (metrics_at != std::string::npos && metrics_end > metrics_at) {
    metrics_address_ = start_line_.substr(metrics_at + metrics_prefix.size(),
                                          metrics_end - metrics_at - metrics_prefix.size());
  }

  // The line is printed once the server serves, but no client has reached it yet: ask until it
  // answers, so that callers start on a server known to be reachable.
  const std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  for (;;) {
    const double call_seconds =
        static_cast<double>(std::clamp<int64_t>(MillisecondsLeft(limit), 100, 5000)) / 1000.0;
    Result<std::string> health = CheckHealth(channel, "", call_seconds);
    if (health.ok() && (*health == "SERVING" || !options.wait_for_serving)) {
      address_ = address;
      return Status::Ok();
    }
    if (MillisecondsLeft(limit) <= 0) {
      return fail("pathwised at " + address + " is not SERVING within " +
                  FormatSeconds(options.startup_timeout_seconds) + ": " +
                  (health.ok() ? "it answers " + *health : health.status().message()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int ServerProcess::Signal(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  Reap(&status);
  return status;
}

bool ServerProcess::Stop(double timeout_seconds, std::string* report) {
  if (pid_ <= 0) {
    *report = "not running";
    return false;
  }
  const auto started = Clock::now();
  kill(pid_, SIGTERM);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid_, &status, WNOHANG)) == 0 &&
         Clock::now() - started < std::chrono::duration<double>(timeout_seconds)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool clean = done == pid_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (done == pid_) {
    *report = DescribeExit(status) + " after " +
              FormatSeconds(std::chrono::duration<double>(Clock::now() - started).count());
    pid_ = -1;
    CloseStdout();
  } else {
    kill(pid_, SIGKILL);
    Reap(&status);
    *report = "did not stop within " + FormatSeconds(timeout_seconds) + " of SIGTERM: killed";
    clean = false;
  }
  if (!clean) *report += LogTail();
  return clean;
}

std::string ServerProcess::LogTail(int lines) const {
  if (log_path_.empty()) return "";
  std::ifstream in(log_path_);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  if (all.empty()) return "";
  std::string tail = "; its log ends:";
  const size_t first = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  for (size_t i = first; i < all.size(); ++i) tail += "\n    " + all[i];
  return tail;
}

}  // namespace pathwise::testing
