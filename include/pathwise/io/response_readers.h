// Readers for learner response logs (pyBKT CSV, DataShop TSV, DKVMN sequences, hmm-scalable TSV).
#ifndef PATHWISE_IO_RESPONSE_READERS_H_
#define PATHWISE_IO_RESPONSE_READERS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/response_log.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// The response-log file formats Pathwise reads. In every format a learner's rows keep file order
/// (the time order a fitter relies on), except where an order column says otherwise (pybkt,
/// datashop).
///
/// kPyBkt: pyBKT / ASSISTments CSV with a header row, RFC 4180 quoting (a field may hold the
/// delimiter,
/// '""' and line breaks). Columns as pyBKT's defaults: `user_id`, `skill_name`, `correct`,
/// `order_id`, activity `template_id` (else `problem_id`). What pyBKT's `convert_data` does, and
/// where we differ:
/// - order: pyBKT sorts all rows by `order_id`, then stably by `user_id`. We sort each learner's
/// rows by
///   the order column stably (pyBKT's first sort is not stable, so its ties have no defined order)
///   and keep the row positions each learner holds; learners are numbered by first appearance, not
///   sorted by id, which changes nothing a fitter computes.
/// - `original`: when the column exists pyBKT keeps only rows with original == 1; so do we.
/// - `correct`: pyBKT requires -1, 0 or 1 (int() of the value, so "1.0" is 1). -1 means "no
/// response",
///   which pyBKT keeps as an unobserved step; a ResponseLog has no unobserved outcome, so we drop
///   these rows and count them (ReadReport::records_without_response). Any other value is an error
///   in both.
/// - missing skill: pandas reads an empty cell (and "NA", "NULL", "nan", ...) as NaN and pyBKT then
/// fits
///   a skill literally named "nan". We treat only an empty cell as missing; such rows add nothing
///   and are counted (records_without_competency). "NA" and the like are ordinary names here.
/// - several skills in one cell: pyBKT never splits ("A~~B" is one skill of its own); neither do we
/// unless
///   ReadOptions::competency_separator is set. ASSISTments tags a multi-skill problem with one row
///   per skill (same order_id), and both read those as separate rows.
/// - delimiter and text: pyBKT tries comma, then tab when parsing fails; we take tab when the
/// header line
///   has one. pyBKT decodes latin-1; we keep bytes as they are (UTF-8 passes through). pandas fills
///   a short row with NaN and rejects a long one; so do we (empty fields; an error). pandas accepts
///   text after a closing quote; we report it.
///
/// kDataShop: PSLC DataShop student-step export, tab- or comma-separated (detected from the header;
/// the comma variant is the pyBKT examples' `ct.csv`). `Anon Student Id`, `KC(Default)`, `Correct
/// First Attempt`, activity `Problem Name`, order `Row` (pyBKT's CT defaults). A KC cell naming
/// several KCs separated by "~~" gives one row per KC; a step without a KC adds nothing and is
/// counted.
///
/// kDkvmn: DKT/DKVMN 3-line groups: line 1 the sequence length or a learner id (DkvmnHeader), line
/// 2 the comma-separated competency ids, line 3 the comma-separated 0/1 answers. A trailing comma,
/// spaces around values, CRLF and blank lines between groups are accepted. Lines 2 and 3 of
/// different lengths, or a length line that disagrees with them, are errors at file:line:column.
/// Each group of a length-headed file is its own learner ("<file name>#<group number>"); with id
/// headers the id names the learner. No activities.
///
/// kHmmsc: hmm-scalable's headerless TSV: outcome (1 correct, 2 incorrect), student, step (the
/// activity), skills separated by "~". A skill cell that is empty, "." or " " is hmm-scalable's "no
/// skill": it keeps such rows but no skill's fitting uses them, so we add nothing and count them.
/// Other outcomes (such as
/// "." for unknown) are errors. Columns past the fourth (hmm-scalable's slice column) are ignored.
/// hmm-scalable splits on "~" only with its multi-skill option and merges consecutive tabs; we
/// always split (competency_separator = "" turns it off) and keep empty fields in place.
enum class LogFormat { kPyBkt, kDataShop, kDkvmn, kHmmsc };

/// "pybkt", "datashop", "dkvmn" or "hmmsc".
std::string_view LogFormatName(LogFormat format);

/// Parses "pybkt", "datashop", "dkvmn" or "hmmsc" (exact, lower case). Returns InvalidArgument
/// naming the accepted names otherwise.
[[nodiscard]] Result<LogFormat> ParseLogFormat(std::string_view name);

/// What line 1 of a DKVMN group holds.
enum class DkvmnHeader {
  /// Decided per file from its first group: a length when that line is an integer equal to the
  /// number of
  /// competency ids on line 2, a learner id otherwise. Name the mode explicitly for a file whose
  /// first
  /// learner id might equal that learner's sequence length.
  kAuto,
  kLength,     ///< the sequence length: must equal the counts on lines 2 and 3
  kLearnerId,  ///< a learner id: groups with the same id are one learner
};

/// How to read a response log. Every field has a default that suits the format's usual files;
/// column names left empty mean the format's default column.
struct ReadOptions {
  /// When false (the default), the first malformed record fails the read with "file:line:column:
  /// what". When true, malformed records are counted and listed in ReadReport and reading goes on.
  bool skip_bad_rows = false;

  // --- pybkt and datashop (header-row formats) ---

  /// Learner column; "" = "user_id" (pybkt) or "Anon Student Id" (datashop).
  std::string learner_column;
  /// Competency column; "" = "skill_name" (pybkt) or "KC(Default)" (datashop).
  std::string competency_column;
  /// Correctness column; "" = "correct" (pybkt) or "Correct First Attempt" (datashop).
  std::string correct_column;
  /// The column whose value becomes the row's activity, i.e. the column pyBKT's multigs /
  /// multilearn / multipair would use. "" = "template_id" when present, else "problem_id", else
  /// none (pybkt), and "Problem Name" when present (datashop). A column named here must exist.
  std::string activity_column;
  /// Set to false to read no activities at all (every row gets IdTable::kNone).
  bool read_activities = true;
  /// The integer column giving time order; "" = "order_id" (pybkt) or "Row" (datashop), when
  /// present. A column named here must exist.
  std::string order_column;
  /// When true and an order column exists, each learner's rows are put in order-column order
  /// (stable for ties), as pyBKT's sort does; the set of row positions each learner occupies does
  /// not change. When false, file order is kept.
  bool sort_by_order = true;
  /// The learner-group column for multiprior (per-learner prior); "" = no groups. A learner's group
  /// is the first non-empty value on its rows; a later different value is a malformed row.
  std::string group_column;
  /// pyBKT keeps only rows whose `original` column is 1 when that column exists (ASSISTments
  /// scaffolding questions have 0). Set to false to keep every row.
  bool only_original = true;
  /// The field delimiter; '\0' = detect from the header line (tab when it contains one, else
  /// comma).
  char delimiter = '\0';
  /// Splits one competency cell into several competencies (one row each). Unset = the format's
  /// default: none for pybkt (pyBKT treats "A~~B" as one combined skill), "~~" for datashop, "~"
  /// for hmmsc. An empty string never splits.
  std::optional<std::string> competency_separator;

  // --- dkvmn ---

  DkvmnHeader dkvmn_header = DkvmnHeader::kAuto;

  /// InvalidArgument when the delimiter is a quote, CR or LF, or the separator contains a
  /// delimiter.
  [[nodiscard]] Status Validate() const;
};

/// What a read did, for the summary printed to the user.
///
/// A "record" is one data line (pybkt, datashop, hmmsc; the header is not counted) or one 3-line
/// group (dkvmn). One record adds one log row per competency it tags.
struct ReadReport {
  static constexpr size_t kMaxSkippedMessages = 20;

  size_t rows_read = 0;   ///< records seen (see above), whatever became of them
  size_t rows_added = 0;  ///< ResponseLog rows appended (after splitting multi-competency records)
  size_t rows_skipped = 0;  ///< malformed records skipped because skip_bad_rows was set
  /// "file:line:column: what is wrong" for the first kMaxSkippedMessages skipped records.
  std::vector<std::string> skipped;
  /// Well-formed records that tag no competency (empty cell; "." or " " in hmmsc) and so add no
  /// row: a BKT fitter has nothing to attribute them to. hmm-scalable ignores them the same way.
  size_t records_without_competency = 0;
  size_t records_not_original = 0;  ///< pybkt/datashop rows dropped because original != 1
  /// Rows whose correctness is -1, pyBKT's "no response": dropped (pyBKT keeps them as an
  /// unobserved step).
  size_t records_without_response = 0;
  size_t learners_reordered = 0;  ///< learners whose rows the order column put in a different order
  std::vector<std::string> files;  ///< the files read, in order
  std::vector<size_t>
      rows_per_file;  ///< rows appended by each file (train rows, then test rows, ...)

  /// Several lines for a person: counts, then the skipped-record messages (and how many more there
  /// were).
  std::string Summary() const;
};

/// Reads one response log into a new ResponseLog. Rows keep file order, except that with an order
/// column each learner's rows are sorted by it (ReadOptions::sort_by_order).
///
/// Learner names: the learner column (pybkt, datashop), the student column (hmmsc), and for dkvmn
/// either the id on line 1 (DkvmnHeader::kLearnerId) or "<file name>#<group number>" (1-based, file
/// name without directories), so every group of a length-headed file is its own learner.
///
/// The file is streamed in blocks: memory is the log's columns plus one block, never the whole
/// text.
///
/// Returns:
/// - NotFound when the file cannot be opened; Internal on a read error.
/// - InvalidArgument for bad options (ReadOptions::Validate), a missing header or required column
/// (the
///   message names the column and lists the columns found), or, unless `options.skip_bad_rows`, the
///   first malformed record as "file:line:column: what is wrong" (line and column 1-based, column
///   in bytes).
///
/// Thread safety: independent calls may run concurrently. `report` may be null; when given it is
/// reset.
///
/// Example:
///
///     pathwise::ReadOptions options;
///     options.skip_bad_rows = true;
///     pathwise::ReadReport report;
///     pathwise::Result<pathwise::ResponseLog> log =
///         pathwise::ReadResponseLog("as.csv", pathwise::LogFormat::kPyBkt, options, &report);
///     if (!log.ok()) return log.status();
///     std::cerr << report.Summary();
[[nodiscard]] Result<ResponseLog> ReadResponseLog(const std::string& path, LogFormat format,
                                                  const ReadOptions& options = {},
                                                  ReadReport* report = nullptr);

/// Reads several files of one format into one ResponseLog, in the order given (train then test), as
/// if ResponseLog::Append were called on each. Same names, same statuses as ReadResponseLog; the
/// first failing file stops the read. `report` covers all files (rows_per_file tells where each one
/// starts).
[[nodiscard]] Result<ResponseLog> ReadResponseLogs(const std::vector<std::string>& paths,
                                                   LogFormat format,
                                                   const ReadOptions& options = {},
                                                   ReadReport* report = nullptr);

}  // namespace pathwise

#endif  // PATHWISE_IO_RESPONSE_READERS_H_
