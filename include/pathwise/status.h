// The error type of every Pathwise public API.
#ifndef PATHWISE_STATUS_H_
#define PATHWISE_STATUS_H_

#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace pathwise {

/// Error codes. The numeric values equal grpc::StatusCode so that the service maps them 1:1.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,  ///< the caller asked the operation to stop before it finished
  kUnknown = 2,
  kInvalidArgument = 3,  ///< the caller passed something malformed (bad range, NaN, bad syntax)
  kDeadlineExceeded = 4,
  kNotFound = 5,       ///< an id that does not exist
  kAlreadyExists = 6,  ///< a duplicate id
  kPermissionDenied = 7,
  kResourceExhausted = 8,   ///< a size limit was hit
  kFailedPrecondition = 9,  ///< the request is well-formed but the state forbids it (e.g. a cycle)
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,  ///< a bug or an I/O failure below us
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

/// Returns "OK", "INVALID_ARGUMENT", ... (the gRPC spelling).
std::string_view StatusCodeName(StatusCode code);

/// Success, or an error code with a message for a person. Cheap to copy and move when OK (one null
/// pointer).
///
/// Example:
///
///     pathwise::Status s = graph.AddCompetency(c);
///     if (!s.ok()) std::cerr << s << "\n";
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }
  static Status Cancelled(std::string msg) {
    return Status(StatusCode::kCancelled, std::move(msg));
  }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) {
    return Status(StatusCode::kAlreadyExists, std::move(msg));
  }
  static Status FailedPrecondition(std::string msg) {
    return Status(StatusCode::kFailedPrecondition, std::move(msg));
  }
  static Status ResourceExhausted(std::string msg) {
    return Status(StatusCode::kResourceExhausted, std::move(msg));
  }
  static Status OutOfRange(std::string msg) {
    return Status(StatusCode::kOutOfRange, std::move(msg));
  }
  static Status Unimplemented(std::string msg) {
    return Status(StatusCode::kUnimplemented, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  static Status Unavailable(std::string msg) {
    return Status(StatusCode::kUnavailable, std::move(msg));
  }

  bool ok() const noexcept { return rep_ == nullptr; }
  StatusCode code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }
  /// The message without the code; empty when OK.
  const std::string& message() const noexcept;
  /// "OK" or "NOT_FOUND: competency 'x' is not in the graph".
  std::string ToString() const;

  /// Returns a copy whose message is "<prefix>: <message>" (same code); OK stays OK.
  Status WithContext(std::string_view prefix) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code() == b.code() && a.message() == b.message();
  }
  friend bool operator!=(const Status& a, const Status& b) { return !(a == b); }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;  // null means OK; shared so copies are cheap
};

std::ostream& operator<<(std::ostream& os, const Status& s);

}  // namespace pathwise

/// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define PATHWISE_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    ::pathwise::Status _pathwise_status = (expr);        \
    if (!_pathwise_status.ok()) return _pathwise_status; \
  } while (0)

#endif  // PATHWISE_STATUS_H_
