// A real PostgreSQL server for tests: initdb in a temporary directory, started on a free port with
// its unix socket in that directory, stopped and removed on destruction. Never a mock.
#ifndef PATHWISE_TESTS_STORE_POSTGRES_TEST_SERVER_H_
#define PATHWISE_TESTS_STORE_POSTGRES_TEST_SERVER_H_

#include <memory>
#include <string>

#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise::store::testing {

/// One throwaway PostgreSQL cluster. When the process runs as root (as in CI containers), the
/// server runs as the unprivileged `postgres` user (created by Debian's postgresql package) through
/// runuser, and its directory is owned by that user; PostgreSQL refuses to run as root.
///
/// Settings are for speed, not crash safety of the machine: fsync off (a commit still reaches the
/// server's files before it is acknowledged, so kill -9 of a client or of pathwised loses nothing).
class PostgresTestServer {
 public:
  /// Where initdb, pg_ctl and postgres are: $PATHWISE_POSTGRES_BIN if set, else the newest
  /// /usr/lib/postgresql/<version>/bin (Debian's layout), else the directory of `pg_ctl` on PATH.
  /// Empty when none has all three.
  static std::string FindBinDir();

  /// initdb and start. FailedPrecondition (with the server's log) when that fails.
  static Result<std::unique_ptr<PostgresTestServer>> Start(const std::string& bin_dir);

  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  /// Creates the database unless it exists, and returns its URI (TCP on 127.0.0.1, user
  /// `pathwise`, trust authentication).
  Result<std::string> CreateDatabase(const std::string& name);

  /// The URI of a database over the unix socket in the server's directory.
  std::string SocketUri(const std::string& database) const;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

 private:
  PostgresTestServer() = default;
  Status Stop();

  std::string bin_dir_;
  std::string dir_;  // the temporary directory: data/, the socket, logs
  bool as_postgres_user_ = false;
  bool running_ = false;
  int port_ = 0;
};

/// The message a test prints when it skips for want of server binaries.
std::string PostgresMissingMessage();

/// One server for the whole test process, started on the first call and stopped at exit. Null when
/// the binaries are absent (`*missing` set) or the server failed to start (`*error` set).
PostgresTestServer* SharedPostgresServer(bool* missing, Status* error);

/// A new database `name` on the shared server, and its URI. When the server binaries are absent,
/// `*missing` is set (the caller skips, with PostgresMissingMessage()) and the result is an error,
/// as it is when the server would not start or the database cannot be made (the caller fails).
Result<std::string> CreateSharedDatabase(const std::string& name, bool* missing);

}  // namespace pathwise::store::testing

#endif  // PATHWISE_TESTS_STORE_POSTGRES_TEST_SERVER_H_
