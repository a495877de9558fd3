// DKT / DKVMN 3-line sequence files: line 1 the sequence length or a learner id, line 2 the
// comma-separated competency ids, line 3 the comma-separated 0/1 answers.
#include <charconv>
#include <cstdint>
#include <filesystem>
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

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Trims ASCII spaces and tabs; `offset` moves with the start.
std::string_view Trim(std::string_view text, size_t* offset) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  *offset += begin;
  return text.substr(begin, end - begin);
}

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  if (text.size() > kMaxShown) return "'" + std::string(text.substr(0, kMaxShown)) + "...'";
  return "'" + std::string(text) + "'";
}

class DkvmnFileReader {
 public:
  DkvmnFileReader(const std::string& path, ReadContext* context)
      : path_(path),
        file_name_(std::filesystem::path(path).filename().string()),
        context_(*context),
        log_(context->log()),
        mode_(context->options().dkvmn_header) {}

  Status Read() {
    PATHWISE_RETURN_IF_ERROR(reader_.Open(path_));
    RecordSpan lines[3];
    for (;;) {
      bool have_header = false;
      while ((have_header = reader_.NextLine(&lines[0]))) {
        if (!IsBlank(reader_.View(lines[0]))) break;
        reader_.Release();
      }
      if (!have_header) break;
      ++group_number_;
      ++context_.report().rows_read;
      int have = 1;
      while (have < 3 && reader_.NextLine(&lines[have])) ++have;
      Status status;
      if (have < 3) {
        if (!reader_.status().ok()) return reader_.status();
        status = Status::InvalidArgument(
            Where(path_, lines[0].line + have, 1) + ": the group that starts on line " +
            std::to_string(lines[0].line) + " ends early: expected " +
            (have == 1 ? "a line of competency ids" : "a line of 0/1 answers") +
            ", found the end of the file");
      } else {
        status = ReadGroup(lines);
      }
      if (!status.ok()) PATHWISE_RETURN_IF_ERROR(context_.BadRecord(std::move(status)));
      reader_.Release();
      context_.MaybeReserve(reader_.bytes_consumed());
    }
    return reader_.status();
  }

 private:
  struct Token {
    uint32_t begin;
    uint32_t length;
  };

  // Splits a comma-separated line into `tokens` (trimmed of spaces and tabs); a trailing comma ends
  // the list, as DKT files often have one. Returns the offset of the first empty token, or npos. A
  // plain loop: tokens are one to four bytes, too short for memchr to pay.
  static size_t Tokenize(std::string_view line, std::vector<Token>* tokens) {
    tokens->clear();
    const size_t n = line.size();
    size_t i = 0;
    while (i < n) {
      size_t begin = i;
      while (i < n && line[i] != ',') ++i;
      size_t end = i;
      while (begin < end && (line[begin] == ' ' || line[begin] == '\t')) ++begin;
      while (end > begin && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
      if (begin == end) return begin;
      tokens->push_back(Token{static_cast<uint32_t>(begin), static_cast<uint32_t>(end - begin)});
      ++i;  // the comma
    }
    return std::string_view::npos;
  }

  Status ReadGroup(const RecordSpan (&lines)[3]) {
    const std::string_view ids_line = reader_.View(lines[1]);
    const size_t empty_id = Tokenize(ids_line, &id_tokens_);
    if (empty_id != std::string_view::npos) {
      return Status::InvalidArgument(Where(path_, lines[1].line, empty_id + 1) +
                                     ": empty competency id");
    }
    const std::string_view answers_line = reader_.View(lines[2]);
    const size_t empty_answer = Tokenize(answers_line, &answer_tokens_);
    if (empty_answer != std::string_view::npos) {
      return Status::InvalidArgument(Where(path_, lines[2].line, empty_answer + 1) +
                                     ": empty answer");
    }
    answers_.resize(answer_tokens_.size());
    for (size_t k = 0; k < answer_tokens_.size(); ++k) {
      const Token& token = answer_tokens_[k];
      const char c = answers_line[token.begin];
      if (token.length != 1 || (c != '0' && c != '1')) {
        return Status::InvalidArgument(Where(path_, lines[2].line, token.begin + 1) +
                                       ": answer must be 0 or 1, got " +
                                       Quote(answers_line.substr(token.begin, token.length)));
      }
      answers_[k] = static_cast<uint8_t>(c - '0');
    }
    const size_t num_ids = id_tokens_.size();
    const size_t num_answers = answers_.size();
    if (num_answers != num_ids) {
      const size_t column =
          num_answers > num_ids ? answer_tokens_[num_ids].begin + 1 : answers_line.size() + 1;
      return Status::InvalidArgument(Where(path_, lines[2].line, column) + ": " +
                                     std::to_string(num_answers) + " answers, but line " +
                                     std::to_string(lines[1].line) + " has " +
                                     std::to_string(num_ids) + " competency ids");
    }

    size_t header_offset = 0;
    std::string_view header = Trim(reader_.View(lines[0]), &header_offset);
    if (!header.empty() && header.back() == ',') header.remove_suffix(1);
    uint64_t length = 0;
    const auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), length);
    const bool is_integer = error == std::errc() && end == header.data() + header.size();
    if (mode_ == DkvmnHeader::kAuto) {
      mode_ = is_integer && length == num_ids ? DkvmnHeader::kLength : DkvmnHeader::kLearnerId;
    }
    if (mode_ == DkvmnHeader::kLength) {
      if (!is_integer) {
        return Status::InvalidArgument(Where(path_, lines[0].line, header_offset + 1) +
                                       ": expected a sequence length, got " + Quote(header));
      }
      if (length != num_ids) {
        return Status::InvalidArgument(
            Where(path_, lines[0].line, header_offset + 1) + ": sequence length " +
            std::to_string(length) + ", but lines " + std::to_string(lines[1].line) + " and " +
            std::to_string(lines[2].line) + " have " + std::to_string(num_ids) + " responses");
      }
    }
    if (mode_ == DkvmnHeader::kLearnerId && header.empty()) {
      return Status::InvalidArgument(Where(path_, lines[0].line, header_offset + 1) +
                                     ": empty learner id");
    }
    if (num_ids == 0) return Status::Ok();

    uint32_t learner;
    if (mode_ == DkvmnHeader::kLength) {
      learner_name_.assign(file_name_);
      learner_name_ += '#';
      learner_name_ += std::to_string(group_number_);
      learner = log_.learners.Intern(learner_name_);
    } else {
      learner = log_.learners.Intern(header);
    }
    const size_t first = log_.num_rows();
    const size_t total = first + num_ids;
    log_.learner.resize(total, learner);
    log_.activity.resize(total, IdTable::kNone);
    log_.correct.insert(log_.correct.end(), answers_.begin(), answers_.end());
    log_.competency.resize(total);
    uint32_t* competency = log_.competency.data() + first;
    for (const Token& token : id_tokens_) {
      *competency++ = context_.InternCompetency(ids_line.substr(token.begin, token.length));
    }
    context_.report().rows_added += num_ids;
    return Status::Ok();
  }

  const std::string& path_;
  const std::string file_name_;
  ReadContext& context_;
  ResponseLog& log_;
  DkvmnHeader mode_;
  BlockReader reader_;
  uint64_t group_number_ = 0;
  std::string learner_name_;
  std::vector<Token> id_tokens_;
  std::vector<Token> answer_tokens_;
  std::vector<uint8_t> answers_;
};

}  // namespace

Status ReadDkvmnFile(const std::string& path, ReadContext* context) {
  DkvmnFileReader reader(path, context);
  return reader.Read();
}

}  // namespace pathwise::readers_internal
