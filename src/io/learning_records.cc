// xAPI statements and Caliper events as observations. The mapping rules are documented in
// pathwise/io/learning_records.h and docs/standards.md; this file follows them in the same order.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/io/learning_records.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/sha1.h>

#include "csv_reader.h"
#include "standards_internal.h"

namespace pathwise {
namespace {

using json = nlohmann::json;
using io_internal::RecordErrors;

constexpr std::string_view kAdlVerbs = "http://adlnet.gov/expapi/verbs/";

bool IsHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHex(text.substr(i, 1))) return false;
  }
  return true;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// What one record turned out to be, before batch-level rules (duplicates, voiding) apply.
struct Classified {
  enum class Kind { kAnswer, kSkipped, kVoiding } kind = Kind::kSkipped;
  Observation observation;
  std::string record_id;    // the statement / event id; empty when it has none
  std::string skip_reason;  // kSkipped
  std::string verb;         // kSkipped: what to count it under
  std::string voided_id;    // kVoiding
  RecordOrigin origin;
};

std::string ApplyActivityMap(const LearningRecordOptions& options, const std::string& iri,
                             bool* unmapped) {
  *unmapped = false;
  if (options.activity_map.empty()) return iri;
  auto it = options.activity_map.find(iri);
  if (it == options.activity_map.end()) {
    *unmapped = true;
    return {};
  }
  return it->second;
}

// Batch-level rules shared by xAPI and Caliper: a record id seen twice is kept once, voided
// records are removed, and the report is filled in.
ImportedObservations Assemble(std::vector<Classified> records) {
  ImportedObservations out;
  LearningRecordReport& report = out.report;
  report.records_read = records.size();
  std::unordered_set<std::string> seen_ids;
  std::vector<std::string> voided_order;
  std::unordered_set<std::string> voided;
  for (Classified& record : records) {
    if (!record.record_id.empty() && !seen_ids.insert(record.record_id).second) {
      ++report.skipped["duplicate-id"];
      continue;
    }
    switch (record.kind) {
      case Classified::Kind::kVoiding:
        ++report.voiding;
        if (voided.insert(record.voided_id).second) voided_order.push_back(record.voided_id);
        break;
      case Classified::Kind::kSkipped:
        ++report.skipped[record.skip_reason];
        // An unmapped answer is an answer: counting it by verb would call it a non-answer.
        if (!record.verb.empty() && record.skip_reason != "unmapped-activity") {
          ++report.skipped_by_verb[record.verb];
        }
        break;
      case Classified::Kind::kAnswer:
        out.observations.push_back(std::move(record.observation));
        out.origins.push_back(std::move(record.origin));
        break;
    }
  }
  if (!voided.empty()) {
    size_t kept = 0;
    for (size_t i = 0; i < out.observations.size(); ++i) {
      if (voided.count(out.observations[i].event_id) > 0) continue;
      if (kept != i) {  // a self-move would leave the strings empty
        out.observations[kept] = std::move(out.observations[i]);
        out.origins[kept] = std::move(out.origins[i]);
      }
      ++kept;
    }
    out.observations.resize(kept);
    out.origins.resize(kept);
  }
  for (const std::string& id : voided_order) {
    (seen_ids.count(id) ? report.voided_in_batch : report.voided_elsewhere).push_back(id);
  }
  report.accepted = out.observations.size();
  return out;
}

// ---------------------------------------------------------------------------------------------------
// xAPI
// ---------------------------------------------------------------------------------------------------

class XapiReader {
 public:
  XapiReader(const LearningRecordOptions& options, RecordErrors* errors)
      : options_(options), errors_(errors) {}

  Classified Read(const json& statement, size_t index, const std::string& base) {
    index_ = index;
    Classified out;
    if (!statement.is_object()) {
      Error(base, "a statement must be a JSON object, got " + std::string(statement.type_name()));
      return out;
    }
    const size_t errors_before = errors_->count();
    std::string id;
    if (const json* value = Find(statement, "id")) {
      if (!value->is_string() || !IsUuid(value->get_ref<const std::string&>())) {
        Error(base + ".id", "must be a UUID string like 7ab3e4b2-0f1e-4c5d-9a8b-1c2d3e4f5a6b");
      } else {
        id = Lower(value->get_ref<const std::string&>());
      }
    }
    out.record_id = id;
    if (const json* version = Find(statement, "version")) {
      const bool supported =
          version->is_string() && (version->get_ref<const std::string&>().rfind("1.0", 0) == 0 ||
                                   version->get_ref<const std::string&>().rfind("2.0", 0) == 0);
      if (!supported) Error(base + ".version", "unsupported xAPI version (1.0.x and 2.0.x are)");
    }
    TimestampMs when = 0;
    for (const char* key : {"timestamp", "stored"}) {
      const json* value = Find(statement, key);
      if (value == nullptr) continue;
      Result<TimestampMs> parsed =
          value->is_string()
              ? io_internal::ParseIso8601(value->get<std::string>())
              : Result<TimestampMs>(Status::InvalidArgument("must be an ISO 8601 string"));
      if (!parsed.ok()) {
        Error(base + "." + key, parsed.status().message());
      } else if (when == 0) {
        when = *parsed;
      }
    }

    const json* actor = Require(statement, "actor", base);
    const json* verb = Require(statement, "verb", base);
    const json* object = Require(statement, "object", base);
    std::string verb_id;
    if (verb != nullptr) {
      const json* verb_id_value = verb->is_object() ? Find(*verb, "id") : nullptr;
      if (verb_id_value == nullptr || !verb_id_value->is_string() ||
          verb_id_value->get_ref<const std::string&>().empty()) {
        Error(base + ".verb.id", "missing; a verb is identified by its IRI");
      } else {
        verb_id = verb_id_value->get<std::string>();
      }
    }
    std::optional<std::string> learner;
    bool group_actor = false;
    if (actor != nullptr) learner = ReadActor(*actor, base + ".actor", &group_actor);

    std::string object_type = "Activity";
    std::string object_id;
    if (object != nullptr) {
      if (!object->is_object()) {
        Error(base + ".object", "must be an object");
      } else {
        if (const json* type = Find(*object, "objectType")) {
          if (type->is_string()) object_type = type->get<std::string>();
        }
        const json* object_id_value = Find(*object, "id");
        if (object_id_value != nullptr && object_id_value->is_string()) {
          object_id = object_id_value->get<std::string>();
        }
        if ((object_type == "Activity" || object_type == "StatementRef") && object_id.empty()) {
          Error(base + ".object.id", std::string("missing; ") +
                                         (object_type == "Activity" ? "an " : "a ") + object_type +
                                         " needs an id");
        }
      }
    }

    const bool voiding = verb_id == std::string(kAdlVerbs) + "voided";
    if (voiding) {
      if (object != nullptr && object->is_object() &&
          (object_type != "StatementRef" || !IsUuid(object_id))) {
        Error(base + ".object",
              "a voiding statement's object must be a StatementRef with the id of "
              "the voided statement");
      }
    }
    std::optional<double> outcome = ReadResult(statement, base, verb_id);
    if (errors_->count() != errors_before) return out;

    if (voiding) {
      out.kind = Classified::Kind::kVoiding;
      out.voided_id = Lower(object_id);
      return out;
    }
    out.verb = verb_id;
    if (group_actor) return Skip(std::move(out), "group-actor");
    if (object_type != "Activity") return Skip(std::move(out), "not-an-activity");
    if (!outcome.has_value()) return Skip(std::move(out), "no-outcome");
    bool unmapped = false;
    std::string activity = ApplyActivityMap(options_, object_id, &unmapped);
    if (unmapped) return Skip(std::move(out), "unmapped-activity");
    out.kind = Classified::Kind::kAnswer;
    out.verb.clear();
    out.observation.event_id = id;
    out.observation.learner_id = *learner;
    out.observation.activity_id = std::move(activity);
    out.observation.outcome = *outcome;
    out.observation.timestamp_ms = when;
    return out;
  }

 private:
  static Classified Skip(Classified record, std::string reason) {
    record.kind = Classified::Kind::kSkipped;
    record.skip_reason = std::move(reason);
    return record;
  }

  static const json* Find(const json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  const json* Require(const json& statement, const char* key, const std::string& base) {
    const json* value = Find(statement, key);
    if (value == nullptr) Error(base + "." + key, "missing; every statement has one");
    return value;
  }

  void Error(const std::string& path, const std::string& message) {
    errors_->Add(index_, path, message);
  }

  std::optional<std::string> ReadActor(const json& actor, const std::string& path,
                                       bool* group_actor) {
    if (!actor.is_object()) {
      Error(path, "must be an object");
      return std::nullopt;
    }
    if (const json* type = Find(actor, "objectType")) {
      if (type->is_string() && type->get_ref<const std::string&>() == "Group") {
        *group_actor = true;
        return std::nullopt;
      }
    }
    std::vector<std::string> given;
    for (const char* key : {"mbox", "mbox_sha1sum", "openid", "account"}) {
      if (Find(actor, key) != nullptr) given.push_back(key);
    }
    if (given.empty()) {
      Error(path, "no identifier: an Agent needs one of mbox, mbox_sha1sum, openid, account");
      return std::nullopt;
    }
    if (given.size() > 1) {
      Error(path, "several identifiers (" + given[0] + ", " + given[1] +
                      "); xAPI allows exactly one per Agent");
      return std::nullopt;
    }
    const json& value = *Find(actor, given[0].c_str());
    const std::string field = path + "." + given[0];
    if (given[0] == "mbox") {
      const std::string text = value.is_string() ? value.get<std::string>() : std::string();
      if (text.rfind("mailto:", 0) != 0 || text.find('@') == std::string::npos) {
        Error(field, "must be a mailto: IRI such as mailto:learner@example.org");
        return std::nullopt;
      }
      return "sha1:" + Sha1Hex(text);
    }
    if (given[0] == "mbox_sha1sum") {
      const std::string text = value.is_string() ? value.get<std::string>() : std::string();
      if (text.size() != 40 || !IsHex(text)) {
        Error(field, "must be 40 hexadecimal digits (the SHA-1 of the mailto: IRI)");
        return std::nullopt;
      }
      return "sha1:" + Lower(text);
    }
    if (given[0] == "openid") {
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        Error(field, "must be a non-empty URI");
        return std::nullopt;
      }
      return "openid:" + value.get<std::string>();
    }
    const json* home = value.is_object() ? Find(value, "homePage") : nullptr;
    const json* name = value.is_object() ? Find(value, "name") : nullptr;
    if (home == nullptr || !home->is_string() || home->get_ref<const std::string&>().empty()) {
      Error(field + ".homePage", "missing; an account needs homePage and name");
      return std::nullopt;
    }
    if (name == nullptr || !name->is_string() || name->get_ref<const std::string&>().empty()) {
      Error(field + ".name", "missing; an account needs homePage and name");
      return std::nullopt;
    }
    if (!options_.account_home_page.empty() &&
        home->get_ref<const std::string&>() == options_.account_home_page) {
      return name->get<std::string>();
    }
    return "account:" + home->get<std::string>() + "|" + name->get<std::string>();
  }

  std::optional<double> ReadNumber(const json& parent, const char* key, const std::string& path) {
    const json* value = Find(parent, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number()) {
      Error(path + "." + key, "must be a number");
      return std::nullopt;
    }
    return value->get<double>();
  }

  std::optional<bool> ReadBool(const json& parent, const char* key, const std::string& path) {
    const json* value = Find(parent, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean()) {
      Error(path + "." + key, "must be true or false");
      return std::nullopt;
    }
    return value->get<bool>();
  }

  // The outcome by the rules of pathwise/io/learning_records.h; nullopt when the statement carries
  // none. Absent numbers are NaN (JSON has no NaN, so a present one never is).
  std::optional<double> ReadResult(const json& statement, const std::string& base,
                                   const std::string& verb_id) {
    constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();
    double scaled = kAbsent, raw = kAbsent, min = kAbsent, max = kAbsent;
    std::optional<bool> success, completion;
    if (const json* result = Find(statement, "result")) {
      const std::string path = base + ".result";
      if (!result->is_object()) {
        Error(path, "must be an object");
        return std::nullopt;
      }
      if (const json* score = Find(*result, "score")) {
        const std::string score_path = path + ".score";
        if (!score->is_object()) {
          Error(score_path, "must be an object");
        } else {
          scaled = ReadNumber(*score, "scaled", score_path).value_or(kAbsent);
          raw = ReadNumber(*score, "raw", score_path).value_or(kAbsent);
          min = ReadNumber(*score, "min", score_path).value_or(kAbsent);
          max = ReadNumber(*score, "max", score_path).value_or(kAbsent);
          if (scaled < -1.0 || scaled > 1.0) {
            Error(score_path + ".scaled",
                  "must be a number in [-1, 1], got " + FormatNumber(scaled));
          }
          if (min > max) {
            Error(score_path,
                  "min " + FormatNumber(min) + " must not be above max " + FormatNumber(max));
          } else if (raw < min || raw > max) {
            Error(score_path + ".raw", "raw " + FormatNumber(raw) + " is outside [min, max]");
          } else if (min == max) {
            // Nothing could be scored (Open edX sends min = max = 0 for an item worth no
            // points): the score says nothing, so success decides.
            scaled = kAbsent;
            raw = kAbsent;
          }
        }
      }
      success = ReadBool(*result, "success", path);
      completion = ReadBool(*result, "completion", path);
    }
    if (!std::isnan(scaled)) return std::max(0.0, scaled);
    if (min < max && !std::isnan(raw)) return (raw - min) / (max - min);
    if (success) return *success ? 1.0 : 0.0;
    if (verb_id == std::string(kAdlVerbs) + "passed") return 1.0;
    if (verb_id == std::string(kAdlVerbs) + "failed") return 0.0;
    if (completion && options_.completion_as_outcome) return *completion ? 1.0 : 0.0;
    return std::nullopt;
  }

  static std::string FormatNumber(double value) {
    std::string text = std::to_string(value);
    text.erase(text.find_last_not_of('0') + 1);
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  }

  const LearningRecordOptions& options_;
  RecordErrors* errors_;
  size_t index_ = 0;
};

// ---------------------------------------------------------------------------------------------------
// Caliper
// ---------------------------------------------------------------------------------------------------

class CaliperReader {
 public:
  CaliperReader(const LearningRecordOptions& options, RecordErrors* errors)
      : options_(options), errors_(errors) {}

  Classified Read(const json& event, size_t index, const std::string& base) {
    index_ = index;
    Classified out;
    if (!event.is_object()) {
      Error(base, "an event must be a JSON object, got " + std::string(event.type_name()));
      return out;
    }
    const size_t errors_before = errors_->count();
    const std::string type = StringField(event, "type", base, true);
    const std::string id = StringField(event, "id", base, true);
    const bool is_event = type.size() >= 5 && type.compare(type.size() - 5, 5, "Event") == 0;
    if (!type.empty() && !is_event) {
      // Envelopes may carry entities (Person, Assessment, ...) to describe what events refer to.
      out.record_id.clear();
      out.verb = type;
      out.skip_reason = "entity";
      return out;
    }
    out.record_id = id;
    const std::string action = StringField(event, "action", base, true);
    const std::string event_time = StringField(event, "eventTime", base, true);
    TimestampMs when = 0;
    if (!event_time.empty()) {
      Result<TimestampMs> parsed = io_internal::ParseIso8601(event_time);
      if (!parsed.ok()) {
        Error(base + ".eventTime", parsed.status().message());
      } else {
        when = *parsed;
      }
    }
    out.verb = type + "/" + action;
    if (errors_->count() != errors_before) return out;
    if (type == "AssessmentItemEvent" && action == "Completed") {
      out.skip_reason = "no-outcome";
      return out;
    }
    if (type != "GradeEvent" || action != "Graded") {
      out.skip_reason = "not-an-answer";
      return out;
    }

    const json* object = Find(event, "object");
    const std::string object_path = base + ".object";
    if (object == nullptr || !object->is_object() || StringOf(Find(*object, "type")) != "Attempt") {
      Error(object_path,
            "a Graded event's object must be an Attempt (with assignee and "
            "assignable), not a bare reference");
      return out;
    }
    const std::string learner = IdOf(Find(*object, "assignee"), object_path + ".assignee");
    const json* assignable = Find(*object, "assignable");
    const std::string iri = IdOf(assignable, object_path + ".assignable");
    const json* score = Find(event, "generated");
    const std::string score_path = base + ".generated";
    if (score == nullptr || !score->is_object() || StringOf(Find(*score, "type")) != "Score") {
      Error(score_path, "a Graded event must generate a Score");
      return out;
    }
    std::optional<double> given = Number(*score, "scoreGiven", score_path);
    std::optional<double> max = Number(*score, "maxScore", score_path);
    if (!max && assignable != nullptr && assignable->is_object()) {
      max = Number(*assignable, "maxScore", object_path + ".assignable");
    }
    if (!given) Error(score_path + ".scoreGiven", "missing; a Score needs scoreGiven");
    if (!max || !(*max > 0.0)) {
      Error(score_path + ".maxScore",
            "missing or not positive (on the Score or its assignable); the outcome is "
            "scoreGiven / maxScore");
    } else if (given && (*given < 0.0 || *given > *max)) {
      Error(score_path + ".scoreGiven", "must be in [0, maxScore]");
    }
    if (errors_->count() != errors_before) return out;
    bool unmapped = false;
    std::string activity = ApplyActivityMap(options_, iri, &unmapped);
    if (unmapped) {
      out.skip_reason = "unmapped-activity";
      return out;
    }
    out.kind = Classified::Kind::kAnswer;
    out.verb.clear();
    out.observation.event_id = id;
    out.observation.learner_id = learner;
    out.observation.activity_id = std::move(activity);
    out.observation.outcome = *given / *max;
    out.observation.timestamp_ms = when;
    return out;
  }

 private:
  static const json* Find(const json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }
  static std::string StringOf(const json* value) {
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
  }

  void Error(const std::string& path, const std::string& message) {
    errors_->Add(index_, path, message);
  }

  std::string StringField(const json& object, const char* key, const std::string& base,
                          bool required) {
    const json* value = Find(object, key);
    if (value == nullptr || !value->is_string() || value->get_ref<const std::string&>().empty()) {
      if (required) Error(base + "." + key, "missing; every Caliper event has one");
      return {};
    }
    return value->get<std::string>();
  }

  // A Caliper reference is an IRI string or an object with an "id".
  std::string IdOf(const json* value, const std::string& path) {
    std::string id;
    if (value != nullptr && value->is_string()) id = value->get<std::string>();
    if (value != nullptr && value->is_object()) id = StringOf(Find(*value, "id"));
    if (id.empty()) Error(path, "missing; an id (IRI) or an entity with an id is needed");
    return id;
  }

  std::optional<double> Number(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number()) {
      Error(path + "." + key, "must be a number");
      return std::nullopt;
    }
    return value->get<double>();
  }

  const LearningRecordOptions& options_;
  RecordErrors* errors_;
  size_t index_ = 0;
};

// The records of a document and the path prefix of each: a single record, an array, or a
// wrapper object holding the array under `wrapper_key`.
struct RecordList {
  std::vector<std::pair<const json*, std::string>> records;
};

RecordList ListRecords(const json& document, const char* wrapper_key) {
  RecordList list;
  const json* array = nullptr;
  std::string prefix;
  if (document.is_array()) {
    array = &document;
  } else if (document.is_object() && document.contains(wrapper_key) &&
             document[wrapper_key].is_array()) {
    array = &document[wrapper_key];
    prefix = wrapper_key;
  }
  if (array == nullptr) {
    list.records.emplace_back(&document, "$");
    return list;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    list.records.emplace_back(&(*array)[i], prefix + "[" + std::to_string(i) + "]");
  }
  return list;
}

}  // namespace

Result<ImportedObservations> ParseXapiStatements(std::string_view text,
                                                 std::string_view source_name,
                                                 const LearningRecordOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(json document, io_internal::ParseJsonDocument(text, source_name));
  RecordErrors errors(source_name, "statement");
  XapiReader reader(options, &errors);
  std::vector<Classified> records;
  const RecordList list = ListRecords(document, "statements");
  for (size_t i = 0; i < list.records.size(); ++i) {
    records.push_back(reader.Read(*list.records[i].first, i, list.records[i].second));
    records.back().origin = {i, list.records[i].second};
  }
  if (errors.count() > 0) return errors.ToStatus();
  return Assemble(std::move(records));
}

Result<ImportedObservations> ParseCaliperEvents(std::string_view text, std::string_view source_name,
                                                const LearningRecordOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(json document, io_internal::ParseJsonDocument(text, source_name));
  RecordErrors errors(source_name, "event");
  CaliperReader reader(options, &errors);
  std::vector<Classified> records;
  const RecordList list = ListRecords(document, "data");
  for (size_t i = 0; i < list.records.size(); ++i) {
    records.push_back(reader.Read(*list.records[i].first, i, list.records[i].second));
    records.back().origin = {i, list.records[i].second};
  }
  if (errors.count() > 0) return errors.ToStatus();
  return Assemble(std::move(records));
}

Result<std::unordered_map<std::string, std::string>> ReadActivityMapCsv(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  PATHWISE_ASSIGN_OR_RETURN(io_internal::CsvTable table, io_internal::ParseCsv(text, path));
  PATHWISE_ASSIGN_OR_RETURN(std::vector<size_t> columns,
                            table.RequireColumns(path, {"iri", "activity_id"}));
  std::unordered_map<std::string, std::string> map;
  std::unordered_map<std::string, size_t> first_line;
  std::string problems;
  auto problem = [&](size_t line, const std::string& message) {
    if (!problems.empty()) problems += "\n";
    problems += path + ":" + std::to_string(line) + ": " + message;
  };
  for (const io_internal::CsvRow& row : table.rows) {
    const std::string iri(io_internal::TrimSpaces(row.fields[columns[0]]));
    const std::string activity(io_internal::TrimSpaces(row.fields[columns[1]]));
    if (iri.empty() || activity.empty()) {
      problem(row.line, "iri and activity_id must both be given");
      continue;
    }
    auto [it, inserted] = first_line.emplace(iri, row.line);
    if (!inserted) {
      problem(row.line, "iri '" + iri + "' is mapped twice (first at line " +
                            std::to_string(it->second) + ")");
      continue;
    }
    map.emplace(iri, activity);
  }
  if (!problems.empty()) return Status::InvalidArgument(problems);
  return map;
}

}  // namespace pathwise
