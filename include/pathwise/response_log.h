// ResponseLog: learner response data in a compact columnar form, the input of fitting and
// evaluation.
#ifndef PATHWISE_RESPONSE_LOG_H_
#define PATHWISE_RESPONSE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>  // not used here any more; kept for includers that relied on it
#include <vector>

#include <pathwise/status.h>

namespace pathwise {

/// Interns strings to dense uint32 indices (first seen, first numbered).
///
/// Intern and Find hash the string_view directly (open addressing), so a lookup never allocates;
/// only a new name is copied. Thread safety: const methods may run concurrently; Intern needs
/// external synchronization.
///
/// Example:
///
///     pathwise::IdTable skills;
///     uint32_t fractions = skills.Intern("fractions");  // 0
///     assert(skills.Find("fractions") == fractions && skills.Find("ratios") == IdTable::kNone);
class IdTable {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  /// The index of `name`, adding it when new.
  uint32_t Intern(std::string_view name);
  /// The index of `name`, or kNone.
  uint32_t Find(std::string_view name) const;
  const std::string& Name(uint32_t index) const { return names_[index]; }
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }

 private:
  static uint64_t Hash(std::string_view name);
  void Rehash(size_t slot_count);

  std::vector<std::string> names_;
  // Power-of-two open-addressing table with linear probing. A slot holds (index + 1) in its low 32
  // bits (0 = empty) and the high 32 bits of the name's hash, which rejects most mismatches without
  // touching the name.
  std::vector<uint64_t> slots_;
};

/// One row per (response, competency): a response that tags several competencies is stored once per
/// competency, as pyBKT and the common C++ fitter do. Rows keep file order; within a learner that
/// order is the time order, and one-step-ahead prediction relies on it.
///
/// Memory: 13 bytes per row (learner 4, competency 4, activity 4, correct 1) plus the id tables;
/// the optional group column adds 4 per learner, not per row; the optional learn-class column 4 per
/// row.
struct ResponseLog {
  IdTable learners;
  IdTable competencies;
  IdTable activities;     ///< problem / item / template ids; rows without one use kNone
  IdTable groups;         ///< learner groups for multiprior, when the data has them
  IdTable learn_classes;  ///< classes of the optional learn-class column (see learn_class)

  std::vector<uint32_t> learner;     ///< per row, index into learners
  std::vector<uint32_t> competency;  ///< per row, index into competencies
  std::vector<uint32_t> activity;    ///< per row, index into activities or IdTable::kNone
  std::vector<uint8_t> correct;      ///< per row, 1 correct, 0 incorrect
  /// Per learner (not per row), index into groups or IdTable::kNone; empty when no groups were
  /// read.
  std::vector<uint32_t> learner_group;
  /// Per row, index into learn_classes or IdTable::kNone; empty when the log has no learn-class
  /// column, which is the usual case. When present, multilearn fits learn per (competency, learn
  /// class) instead of per activity, so that multigs and multilearn can split rows by different
  /// columns (pyBKT's README: guess/slip per problem, learn per student); fit.h states the rule.
  std::vector<uint32_t> learn_class;

  bool has_learn_classes() const { return !learn_class.empty(); }

  size_t num_rows() const { return correct.size(); }

  /// Appends one row, interning the names. An empty activity means none.
  void AddRow(std::string_view learner_name, std::string_view competency_name,
              std::string_view activity_name, bool is_correct);
  /// Appends one row with a learn class (an empty name means none), starting the learn-class
  /// column if the log has none yet (earlier rows then have none; so do later rows added with the
  /// overload above).
  void AddRow(std::string_view learner_name, std::string_view competency_name,
              std::string_view activity_name, std::string_view learn_class_name, bool is_correct);

  /// Appends all rows of `other`, re-interning its ids: reading train then test as one data set.
  void Append(const ResponseLog& other);

  /// The rows whose learner is in `keep` (indexed by learner index), with the same id tables; used
  /// to split learners into cross-validation folds.
  ResponseLog SelectLearners(const std::vector<bool>& keep) const;

  /// Internal when the columns have different lengths or an index is out of range.
  Status CheckConsistent() const;
};

}  // namespace pathwise

#endif  // PATHWISE_RESPONSE_LOG_H_
