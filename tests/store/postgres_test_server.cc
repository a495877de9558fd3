#include "store/postgres_test_server.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pqxx/pqxx>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace pathwise::store::testing {

namespace {

namespace fs = std::filesystem;

bool HasServerBinaries(const fs::path& dir) {
  for (const char* name : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((dir / name).c_str(), X_OK) != 0) return false;
  }
  return true;
}

// Runs argv[0] (a path) with its output appended to `log`; returns its exit status, or -1.
int Run(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadTail(const std::string& path, size_t max_bytes = 4000) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > max_bytes ? "..." + all.substr(all.size() - max_bytes) : all;
}

// A port nobody listens on right now. The server may still lose a race for it; Start retries.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

std::string PostgresTestServer::FindBinDir() {
  if (const char* env = std::getenv("PATHWISE_POSTGRES_BIN"); env != nullptr && *env != '\0') {
    return HasServerBinaries(env) ? std::string(env) : std::string();
  }
  // Debian installs the server outside PATH, one directory per major version.
  std::vector<std::pair<int, fs::path>> versions;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    const std::string name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit) &&
        HasServerBinaries(entry.path() / "bin")) {
      versions.emplace_back(std::stoi(name), entry.path() / "bin");
    }
  }
  if (!versions.empty()) return std::max_element(versions.begin(), versions.end())->second;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
      if (!dir.empty() && HasServerBinaries(dir)) return dir;
    }
  }
  return "";
}

std::string PostgresMissingMessage() {
  return "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
         "$PATHWISE_POSTGRES_BIN, "
         "/usr/lib/postgresql/<version>/bin or PATH: install Debian's postgresql package "
         "(scripts/install-deps.sh does) to run the PostgreSQL tests";
}

Result<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start(const std::string& bin_dir) {
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer());
  server->bin_dir_ = bin_dir;
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/pathwise_pg_XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::FailedPrecondition("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  server->dir_ = pattern;
  const std::string data = server->dir_ + "/data";
  const std::string log = server->dir_ + "/commands.log";

  // PostgreSQL will not run as root: hand the directory to the postgres user and run as it.
  std::vector<std::string> prefix;
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return Status::FailedPrecondition(
          "running as root, and there is no 'postgres' user to run the test server as (Debian's "
          "postgresql package creates it)");
    }
    if (::chown(server->dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return Status::FailedPrecondition("chown " + server->dir_ + ": " + std::strerror(errno));
    }
    server->as_postgres_user_ = true;
    prefix = {"runuser", "-u", "postgres", "--"};
  }
  const auto command = [&](std::vector<std::string> args) {
    args.insert(args.begin(), prefix.begin(), prefix.end());
    return args;
  };

  // No fsync at initdb: the cluster is thrown away afterwards.
  if (Run(command({bin_dir + "/initdb", "--pgdata=" + data, "--username=pathwise", "--auth=trust",
                   "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"}),
          log) != 0) {
    return Status::FailedPrecondition("initdb failed in " + server->dir_ + ":\n" + ReadTail(log));
  }
  // Settings go into postgresql.auto.conf, read at start; the port is tried again if another
  // process took it in the meantime.
  for (int attempt = 0; attempt < 3; ++attempt) {
    server->port_ = FreePort();
    {
      std::ofstream conf(data + "/postgresql.auto.conf", std::ios::trunc);
      conf << "port = " << server->port_ << "\n"
           << "listen_addresses = '127.0.0.1'\n"
           << "unix_socket_directories = '" << server->dir_ << "'\n"
           << "fsync = off\nfull_page_writes = off\nsynchronous_commit = on\n"
           << "max_connections = 200\nshared_buffers = 32MB\n";
    }
    if (server->as_postgres_user_) {
      const passwd* user = ::getpwnam("postgres");
      (void)::chown((data + "/postgresql.auto.conf").c_str(), user->pw_uid, user->pw_gid);
    }
    if (Run(command({bin_dir + "/pg_ctl", "--pgdata=" + data,
                     "--log=" + server->dir_ + "/server.log", "--wait", "--timeout=60", "start"}),
            log) == 0) {
      server->running_ = true;
      return server;
    }
  }
  return Status::FailedPrecondition("the PostgreSQL test server did not start in " + server->dir_ +
                                    ":\n" + ReadTail(log) + "\n" +
                                    ReadTail(server->dir_ + "/server.log"));
}

Status PostgresTestServer::Stop() {
  if (!running_) return Status::Ok();
  running_ = false;
  std::vector<std::string> args = {bin_dir_ + "/pg_ctl", "--pgdata=" + dir_ + "/data",
                                   "--mode=immediate", "--wait", "stop"};
  if (as_postgres_user_) args.insert(args.begin(), {"runuser", "-u", "postgres", "--"});
  if (Run(args, dir_ + "/commands.log") != 0) {
    return Status::Internal("pg_ctl stop failed:\n" + ReadTail(dir_ + "/commands.log"));
  }
  return Status::Ok();
}

PostgresTestServer::~PostgresTestServer() {
  const Status stopped = Stop();
  if (!stopped.ok()) {
    std::fprintf(stderr, "PostgresTestServer: %s (left %s in place)\n", stopped.message().c_str(),
                 dir_.c_str());
    return;
  }
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string PostgresTestServer::SocketUri(const std::string& database) const {
  // libpq takes a socket directory as the host, percent-encoded in a URI.
  std::string host;
  for (char c : dir_) {
    if (c == '/') {
      host += "%2F";
    } else {
      host += c;
    }
  }
  return "postgresql://pathwise@" + host + ":" + std::to_string(port_) + "/" + database;
}

Result<std::string> PostgresTestServer::CreateDatabase(const std::string& name) {
  try {
    pqxx::connection admin(SocketUri("postgres"));
    pqxx::nontransaction tx(admin);
    if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1", name).empty()) {
      tx.exec("CREATE DATABASE " + tx.quote_name(name));
    }
  } catch (const std::exception& e) {
    return Status::Internal("creating database '" + name + "': " + e.what());
  }
  return "postgresql://pathwise@127.0.0.1:" + std::to_string(port_) + "/" + name;
}

PostgresTestServer* SharedPostgresServer(bool* missing, Status* error) {
  struct Shared {
    std::unique_ptr<PostgresTestServer> server;
    bool missing = false;
    Status error;
  };
  static Shared* shared = [] {
    // Destroyed at exit (a function-local static), which stops the server.
    static Shared instance;
    const std::string bin_dir = PostgresTestServer::FindBinDir();
    if (bin_dir.empty()) {
      instance.missing = true;
      return &instance;
    }
    Result<std::unique_ptr<PostgresTestServer>> started = PostgresTestServer::Start(bin_dir);
    if (started.ok()) {
      instance.server = std::move(started).value();
    } else {
      instance.error = started.status();
    }
    return &instance;
  }();
  if (missing != nullptr) *missing = shared->missing;
  if (error != nullptr) *error = shared->error;
  return shared->server.get();
}

Result<std::string> CreateSharedDatabase(const std::string& name, bool* missing) {
  Status error;
  PostgresTestServer* server = SharedPostgresServer(missing, &error);
  if (server == nullptr) {
    return error.ok() ? Status::FailedPrecondition(PostgresMissingMessage()) : error;
  }
  return server->CreateDatabase(name);
}

}  // namespace pathwise::store::testing
