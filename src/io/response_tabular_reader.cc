// Delimited response logs: pyBKT / ASSISTments CSV, PSLC DataShop TSV/CSV (both with a header row),
// and hmm-scalable's headerless 4-column TSV.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/io/response_readers.h>
#include <pathwise/response_log.h>
#include <pathwise/status.h>

#include "response_block_reader.h"
#include "response_reader_internal.h"

namespace pathwise::readers_internal {
namespace {

enum Role : int8_t {
  kLearner,
  kCompetency,
  kCorrect,
  kActivity,
  kOrder,
  kGroup,
  kOriginal,
  kNumRoles
};

struct FieldRef {
  std::string_view text;
  size_t offset = 0;  // byte offset of the field (its opening quote, if quoted) within the record
  bool present = false;
};

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  if (text.size() > kMaxShown) return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
  return "'" + std::string(text) + "'";
}

// An integer, or a decimal with an integral value ("1.0": pandas writes integer columns with
// missing values as floats).
bool ParseInteger(std::string_view text, int64_t* value) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (text.empty()) return false;
  auto [stop, error] = std::from_chars(begin, end, *value);
  if (error == std::errc() && stop == end) return true;
  double number = 0;
  auto [dstop, derror] = std::from_chars(begin, end, number);
  if (derror != std::errc() || dstop != end || !std::isfinite(number) ||
      number != std::floor(number) || std::fabs(number) > 9.0e15) {
    return false;
  }
  *value = static_cast<int64_t>(number);
  return true;
}

// Unescapes '""' to '"'.
void Unescape(std::string_view quoted_inner, std::string* out) {
  out->clear();
  for (size_t i = 0; i < quoted_inner.size(); ++i) {
    out->push_back(quoted_inner[i]);
    if (quoted_inner[i] == '"') ++i;  // skip the second quote of the pair
  }
}

class TabularFileReader {
 public:
  TabularFileReader(const std::string& path, LogFormat format, ReadContext* context)
      : path_(path),
        format_(format),
        context_(*context),
        options_(context->options()),
        report_(context->report()),
        log_(context->log()) {}

  Status Read() {
    PATHWISE_RETURN_IF_ERROR(reader_.Open(path_));
    first_row_ = log_.num_rows();
    if (format_ == LogFormat::kHmmsc) {
      SetUpHmmsc();
    } else {
      PATHWISE_RETURN_IF_ERROR(ReadHeader());
    }
    RecordSpan span;
    while (quotes_ ? reader_.NextCsvRecord(delimiter_, &span) : reader_.NextLine(&span)) {
      const std::string_view record = reader_.View(span);
      if (!record.empty()) {
        ++report_.rows_read;
        Status status = ReadRecord(span, record);
        if (!status.ok()) PATHWISE_RETURN_IF_ERROR(context_.BadRecord(std::move(status)));
      }
      reader_.Release();
      const double rows_per_byte = context_.MaybeReserve(reader_.bytes_consumed());
      if (rows_per_byte > 0 && use_order_) {
        const double remaining = static_cast<double>(
            reader_.file_size() - std::min(reader_.file_size(), reader_.bytes_consumed()));
        order_.reserve(order_.size() + static_cast<size_t>(remaining * rows_per_byte * 1.1) + 4096);
      }
    }
    PATHWISE_RETURN_IF_ERROR(reader_.status());
    if (any_out_of_order_) SortRowsByOrder();
    if (use_group_) log_.learner_group.resize(log_.learners.size(), IdTable::kNone);
    return Status::Ok();
  }

 private:
  void SetUpHmmsc() {
    delimiter_ = options_.delimiter == '\0' ? '\t' : options_.delimiter;
    quotes_ = false;
    roles_of_column_ = {1 << kCorrect, 1 << kLearner, 1 << kActivity, 1 << kCompetency};
    header_size_ = 0;  // no header: extra columns (hmm-scalable's slice column) are ignored
    use_activity_ = options_.read_activities;
    separator_ = options_.competency_separator.value_or("~");
  }

  Status ReadHeader() {
    RecordSpan span;
    if (!reader_.NextCsvRecord(options_.delimiter == '\0' ? ',' : options_.delimiter, &span)) {
      PATHWISE_RETURN_IF_ERROR(reader_.status());
      return Status::InvalidArgument(Where(path_, 1, 1) + ": empty file, expected a header row");
    }
    const std::string_view header = reader_.View(span);
    header_line_ = span.line;
    if (header.empty()) {
      return Status::InvalidArgument(Where(path_, span.line, 1) +
                                     ": empty header row, expected column names");
    }
    delimiter_ = options_.delimiter != '\0'                    ? options_.delimiter
                 : header.find('\t') != std::string_view::npos ? '\t'
                                                               : ',';
    std::vector<std::string> names;
    size_t error_offset = 0;
    const char* error = nullptr;
    std::string scratch;
    const bool ok = Split(header, &error_offset, &error,
                          [&](size_t, std::string_view inner, size_t, bool escaped) {
                            if (escaped) {
                              Unescape(inner, &scratch);
                              names.push_back(scratch);
                            } else {
                              names.emplace_back(inner);
                            }
                          });
    if (!ok) return ErrorAt(span, header, error_offset, error);
    header_size_ = names.size();
    reader_.Release();
    return ResolveColumns(names);
  }

  Status ResolveColumns(const std::vector<std::string>& names) {
    const bool pybkt = format_ == LogFormat::kPyBkt;
    auto find = [&](const std::string& name) -> int {
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == name) return static_cast<int>(i);
      }
      return -1;
    };
    roles_of_column_.assign(names.size(), 0);
    auto missing = [&](const std::string& name, const char* what) {
      std::string message = Where(path_, header_line_, 1) + ": missing " + what + " column \"" +
                            name + "\"; the header has: ";
      constexpr size_t kMaxListed = 60;
      for (size_t i = 0; i < names.size() && i < kMaxListed; ++i) {
        message += (i > 0 ? ", \"" : "\"") + names[i] + "\"";
      }
      if (names.size() > kMaxListed) message += ", ...";
      return Status::InvalidArgument(message);
    };
    // `name` empty: the column is absent unless a default exists. `required`: absence is an error.
    auto bind = [&](Role role, const std::string& chosen, const std::string& fallback,
                    bool required, const char* what) -> Status {
      const std::string& name = chosen.empty() ? fallback : chosen;
      if (name.empty()) return Status::Ok();
      const int column = find(name);
      if (column < 0) {
        if (required || !chosen.empty()) return missing(name, what);
        return Status::Ok();
      }
      roles_of_column_[static_cast<size_t>(column)] |= static_cast<uint8_t>(1 << role);
      column_name_[role] = name;
      return Status::Ok();
    };
    PATHWISE_RETURN_IF_ERROR(bind(kLearner, options_.learner_column,
                                  pybkt ? "user_id" : "Anon Student Id", true, "learner"));
    PATHWISE_RETURN_IF_ERROR(bind(kCompetency, options_.competency_column,
                                  pybkt ? "skill_name" : "KC(Default)", true, "competency"));
    PATHWISE_RETURN_IF_ERROR(bind(kCorrect, options_.correct_column,
                                  pybkt ? "correct" : "Correct First Attempt", true, "correct"));
    if (options_.read_activities) {
      std::string fallback = "Problem Name";
      if (pybkt) fallback = find("template_id") >= 0 ? "template_id" : "problem_id";
      PATHWISE_RETURN_IF_ERROR(
          bind(kActivity, options_.activity_column, fallback, false, "activity"));
    }
    if (options_.sort_by_order) {
      PATHWISE_RETURN_IF_ERROR(
          bind(kOrder, options_.order_column, pybkt ? "order_id" : "Row", false, "order"));
    }
    PATHWISE_RETURN_IF_ERROR(bind(kGroup, options_.group_column, "", true, "group"));
    if (options_.only_original)
      PATHWISE_RETURN_IF_ERROR(bind(kOriginal, "", "original", false, ""));

    for (uint8_t roles : roles_of_column_) {
      use_activity_ |= (roles >> kActivity) & 1;
      use_order_ |= (roles >> kOrder) & 1;
      use_group_ |= (roles >> kGroup) & 1;
      use_original_ |= (roles >> kOriginal) & 1;
    }
    separator_ = options_.competency_separator.value_or(pybkt ? "" : "~~");
    return Status::Ok();
  }

  // Splits `record` into fields, calling on_field(column, text, offset, escaped) for each; `text`
  // is the inside of a quoted field, still holding '""' pairs when `escaped`. False on a quoting
  // error.
  template <typename OnField>
  bool Split(std::string_view record, size_t* error_offset, const char** error,
             OnField&& on_field) {
    const size_t n = record.size();
    size_t pos = 0;
    for (size_t column = 0;; ++column) {
      size_t next;
      if (quotes_ && pos < n && record[pos] == '"') {
        size_t close = pos + 1;
        bool escaped = false;
        for (;;) {
          const size_t quote = record.find('"', close);
          if (quote == std::string_view::npos) {
            *error_offset = pos;
            *error = "unterminated quoted field";
            return false;
          }
          if (quote + 1 < n && record[quote + 1] == '"') {
            escaped = true;
            close = quote + 2;
            continue;
          }
          close = quote;
          break;
        }
        if (close + 1 < n && record[close + 1] != delimiter_) {
          *error_offset = close + 1;
          *error = "unexpected text after a closing quote";
          return false;
        }
        on_field(column, record.substr(pos + 1, close - pos - 1), pos, escaped);
        next = close + 1;
      } else {
        next = record.find(delimiter_, pos);
        if (next == std::string_view::npos) next = n;
        on_field(column, record.substr(pos, next - pos), pos, false);
      }
      if (next >= n) return true;
      pos = next + 1;
    }
  }

  Status ErrorAt(const RecordSpan& span, std::string_view record, size_t offset,
                 std::string_view what) const {
    uint64_t line = span.line;
    size_t line_start = 0;
    for (size_t i = 0; i < offset && i < record.size(); ++i) {
      if (record[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return Status::InvalidArgument(Where(path_, line, offset - line_start + 1) + ": " +
                                   std::string(what));
  }

  Status ReadRecord(const RecordSpan& span, std::string_view record) {
    for (FieldRef& field : fields_) field = FieldRef{{}, record.size(), false};
    size_t field_count = 0;
    size_t extra_offset = 0;
    size_t error_offset = 0;
    const char* error = nullptr;
    const bool ok = Split(record, &error_offset, &error,
                          [&](size_t column, std::string_view text, size_t offset, bool escaped) {
                            ++field_count;
                            if (column >= roles_of_column_.size()) {
                              if (column == roles_of_column_.size()) extra_offset = offset;
                              return;
                            }
                            const uint8_t roles = roles_of_column_[column];
                            for (int role = 0; role < kNumRoles; ++role) {
                              if (((roles >> role) & 1) == 0) continue;
                              if (escaped) {
                                Unescape(text, &scratch_[role]);
                                fields_[role] = FieldRef{scratch_[role], offset, true};
                              } else {
                                fields_[role] = FieldRef{text, offset, true};
                              }
                            }
                          });
    if (!ok) return ErrorAt(span, record, error_offset, error);
    if (format_ == LogFormat::kHmmsc) {
      if (field_count < roles_of_column_.size()) {
        return ErrorAt(span, record, record.size(),
                       "expected 4 tab-separated fields (outcome, student, step, skills), found " +
                           std::to_string(field_count));
      }
    } else if (field_count > header_size_) {
      return ErrorAt(span, record, extra_offset,
                     std::to_string(field_count) + " fields, but the header has " +
                         std::to_string(header_size_));
    }

    const FieldRef& learner_field = fields_[kLearner];
    if (learner_field.text.empty()) {
      return ErrorAt(span, record, learner_field.offset, "empty learner id");
    }
    if (use_original_) {
      int64_t original = 0;
      if (!ParseInteger(fields_[kOriginal].text, &original) || original != 1) {
        ++report_.records_not_original;
        return Status::Ok();
      }
    }

    const FieldRef& correct_field = fields_[kCorrect];
    uint8_t is_correct = 0;
    if (format_ == LogFormat::kHmmsc) {
      if (correct_field.text == "1" || correct_field.text == "2") {
        is_correct = correct_field.text == "1" ? 1 : 0;
      } else {
        return ErrorAt(
            span, record, correct_field.offset,
            "outcome must be 1 (correct) or 2 (incorrect), got " + Quote(correct_field.text));
      }
    } else {
      int64_t value = 0;
      if (!ParseInteger(correct_field.text, &value) || value < -1 || value > 1) {
        return ErrorAt(span, record, correct_field.offset,
                       "column \"" + column_name_[kCorrect] +
                           "\" must be 0 or 1 (or -1, no response), got " +
                           Quote(correct_field.text));
      }
      if (value == -1) {
        ++report_.records_without_response;
        return Status::Ok();
      }
      is_correct = static_cast<uint8_t>(value);
    }

    int64_t order = 0;
    if (use_order_ && !ParseInteger(fields_[kOrder].text, &order)) {
      return ErrorAt(span, record, fields_[kOrder].offset,
                     "column \"" + column_name_[kOrder] + "\" must be an integer, got " +
                         Quote(fields_[kOrder].text));
    }

    const std::string_view group = fields_[kGroup].text;
    if (use_group_ && !group.empty()) {
      const uint32_t known = log_.learners.Find(learner_field.text);
      if (known != IdTable::kNone && known < log_.learner_group.size() &&
          log_.learner_group[known] != IdTable::kNone &&
          log_.groups.Name(log_.learner_group[known]) != group) {
        return ErrorAt(span, record, fields_[kGroup].offset,
                       "learner " + Quote(learner_field.text) + " is in group " +
                           Quote(log_.groups.Name(log_.learner_group[known])) +
                           " on earlier rows, but this row says " + Quote(group));
      }
    }

    // Competencies: the cell, split by the separator; empty pieces are separator noise, not
    // competencies.
    parts_.clear();
    const std::string_view cell = fields_[kCompetency].text;
    const bool null_cell =
        cell.empty() || (format_ == LogFormat::kHmmsc && (cell == "." || cell == " "));
    if (!null_cell) {
      if (separator_.empty()) {
        parts_.push_back(cell);
      } else {
        size_t pos = 0;
        while (pos <= cell.size()) {
          size_t stop = cell.find(separator_, pos);
          if (stop == std::string_view::npos) stop = cell.size();
          if (stop > pos) parts_.push_back(cell.substr(pos, stop - pos));
          pos = stop + separator_.size();
        }
      }
    }
    if (parts_.empty()) {
      ++report_.records_without_competency;
      return Status::Ok();
    }

    const uint32_t learner = InternRepeated(log_.learners, &last_learner_, learner_field.text);
    const std::string_view activity_text = fields_[kActivity].text;
    const uint32_t activity = use_activity_ && !activity_text.empty()
                                  ? InternRepeated(log_.activities, &last_activity_, activity_text)
                                  : IdTable::kNone;
    if (use_group_) {
      if (learner >= log_.learner_group.size()) {
        log_.learner_group.resize(log_.learners.size(), IdTable::kNone);
      }
      if (!group.empty() && log_.learner_group[learner] == IdTable::kNone) {
        log_.learner_group[learner] = log_.groups.Intern(group);
      }
    }
    if (use_order_) {
      if (learner >= max_order_.size()) {
        max_order_.resize(log_.learners.size(), std::numeric_limits<int64_t>::min());
        out_of_order_.resize(log_.learners.size(), 0);
      }
      if (order < max_order_[learner]) {
        out_of_order_[learner] = 1;
        any_out_of_order_ = true;
      } else {
        max_order_[learner] = order;
      }
    }
    for (std::string_view part : parts_) {
      log_.learner.push_back(learner);
      log_.competency.push_back(context_.InternCompetency(part));
      log_.activity.push_back(activity);
      log_.correct.push_back(is_correct);
      if (use_order_) order_.push_back(order);
    }
    report_.rows_added += parts_.size();
    return Status::Ok();
  }

  // Puts each out-of-order learner's rows of this file in order-column order (stable), reusing the
  // row positions that learner already occupies, so other learners' rows do not move.
  void SortRowsByOrder() {
    const size_t n = log_.num_rows() - first_row_;
    std::vector<uint32_t> positions;  // rows (relative to first_row_) of out-of-order learners
    for (size_t i = 0; i < n; ++i) {
      if (out_of_order_[log_.learner[first_row_ + i]])
        positions.push_back(static_cast<uint32_t>(i));
    }
    std::vector<uint32_t> sorted = positions;
    std::stable_sort(sorted.begin(), sorted.end(), [&](uint32_t a, uint32_t b) {
      const uint32_t la = log_.learner[first_row_ + a];
      const uint32_t lb = log_.learner[first_row_ + b];
      return la != lb ? la < lb : order_[a] < order_[b];
    });
    // cursor[learner]: where that learner's next row is in `sorted`.
    std::vector<uint32_t> cursor(log_.learners.size(), 0);
    for (size_t k = sorted.size(); k-- > 0;) {
      cursor[log_.learner[first_row_ + sorted[k]]] = static_cast<uint32_t>(k);
    }
    std::vector<uint32_t> source(positions.size());
    for (size_t k = 0; k < positions.size(); ++k) {
      source[k] = sorted[cursor[log_.learner[first_row_ + positions[k]]]++];
    }
    sorted = {};
    cursor = {};
    auto permute = [&](auto& column) {
      using Value = typename std::decay_t<decltype(column)>::value_type;
      std::vector<Value> moved(positions.size());
      for (size_t k = 0; k < positions.size(); ++k) moved[k] = column[first_row_ + source[k]];
      for (size_t k = 0; k < positions.size(); ++k) column[first_row_ + positions[k]] = moved[k];
    };
    permute(log_.competency);
    permute(log_.activity);
    permute(log_.correct);
    for (uint8_t flag : out_of_order_) report_.learners_reordered += flag;
  }

  const std::string& path_;
  const LogFormat format_;
  ReadContext& context_;
  const ReadOptions& options_;
  ReadReport& report_;
  ResponseLog& log_;
  BlockReader reader_;

  char delimiter_ = ',';
  bool quotes_ = true;
  uint64_t header_line_ = 1;
  size_t header_size_ = 0;
  std::vector<uint8_t> roles_of_column_;  // by column index: a bit set of Roles
  std::string column_name_[kNumRoles];
  bool use_activity_ = false;
  bool use_order_ = false;
  bool use_group_ = false;
  bool use_original_ = false;
  std::string separator_;

  FieldRef fields_[kNumRoles];
  std::string scratch_[kNumRoles];  // unescaped quoted fields; capacity is reused
  std::vector<std::string_view> parts_;
  uint32_t last_learner_ = IdTable::kNone;
  uint32_t last_activity_ = IdTable::kNone;

  size_t first_row_ = 0;
  std::vector<int64_t> order_;         // per row of this file
  std::vector<int64_t> max_order_;     // per learner: the largest order value so far in this file
  std::vector<uint8_t> out_of_order_;  // per learner
  bool any_out_of_order_ = false;
};

}  // namespace

Status ReadTabularFile(const std::string& path, LogFormat format, ReadContext* context) {
  TabularFileReader reader(path, format, context);
  return reader.Read();
}

}  // namespace pathwise::readers_internal
