// Result<T>: a value or the Status that explains why there is none (like absl::StatusOr).
#ifndef PATHWISE_RESULT_H_
#define PATHWISE_RESULT_H_

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include <pathwise/status.h>

namespace pathwise {

namespace detail {
[[noreturn]] void DieOnBadResultAccess(const Status& status);
}  // namespace detail

/// Holds either a T or a non-OK Status.
///
/// Accessing the value of a Result that holds an error is a programming bug and aborts with the
/// status message; check ok() first.
///
/// Example:
///
///     pathwise::Result<pathwise::CompetencyGraph> g = pathwise::ReadGraphFile("c.json");
///     if (!g.ok()) return g.status();
///     std::cout << g->num_competencies();
template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::decay_t<T>, Status>, "Result<Status> makes no sense");

  /// An error. REQUIRES: !status.ok().
  Result(Status status) : status_(std::move(status)) {  // NOLINT(runtime/explicit)
    if (status_.ok())
      status_ = Status::Internal("Result constructed from an OK status without a value");
  }
  Result(const T& value) : value_(value) {}        // NOLINT(runtime/explicit)
  Result(T&& value) : value_(std::move(value)) {}  // NOLINT(runtime/explicit)
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : value_(std::forward<U>(value)) {}  // NOLINT(runtime/explicit)

  bool ok() const noexcept { return value_.has_value(); }
  const Status& status() const noexcept { return status_; }

  T& value() & {
    Check();
    return *value_;
  }
  const T& value() const& {
    Check();
    return *value_;
  }
  T&& value() && {
    Check();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Check() const {
    if (!value_.has_value()) detail::DieOnBadResultAccess(status_);
  }
  Status status_;
  std::optional<T> value_;
};

}  // namespace pathwise

#define PATHWISE_CONCAT_INNER_(a, b) a##b
#define PATHWISE_CONCAT_(a, b) PATHWISE_CONCAT_INNER_(a, b)

/// `PATHWISE_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its Status.
#define PATHWISE_ASSIGN_OR_RETURN(lhs, expr) \
  PATHWISE_ASSIGN_OR_RETURN_IMPL_(PATHWISE_CONCAT_(_pathwise_result_, __LINE__), lhs, expr)
#define PATHWISE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(tmp).value()

#endif  // PATHWISE_RESULT_H_
