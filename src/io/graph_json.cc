// Graph JSON ("pathwise.graph", version 1): parsing with field-path errors, and a stable pretty
// writer.
#include <climits>
#include <cmath>
#include <exception>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_json.h>

#include "csv_reader.h"
#include "graph_io_internal.h"

namespace pathwise {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr double kDefaultMasteryThreshold = 0.95;
constexpr double kDefaultStrength = 1.0;
constexpr double kDefaultWeight = 1.0;
constexpr double kDefaultExpectedMinutes = 5.0;

const char* TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    case json::value_t::binary:
      return "binary data";
    case json::value_t::discarded:
      break;
  }
  return "nothing";
}

std::string JoinPath(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string IndexPath(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Reads typed fields out of the parsed document, collecting every structural error (with its field
// path) instead of stopping at the first, so that one run shows the author everything to fix.
// Past kMaxErrors the errors are only counted: a document of millions of wrong entries (a 15 MiB
// array of numbers) would otherwise cost over 2 GiB and a minute in messages nobody reads.
class StructureReader {
 public:
  static constexpr size_t kMaxErrors = 100;

  void Error(const std::string& path, const std::string& message) {
    if (errors_.size() == kMaxErrors) {
      ++left_out_;
      return;
    }
    errors_.push_back((path.empty() ? std::string("(top level)") : path) + ": " + message);
  }
  bool failed() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  size_t left_out() const { return left_out_; }

  // Reports every key of `object` that is not in `allowed`.
  void CheckKeys(const json& object, const std::string& path,
                 std::initializer_list<std::string_view> allowed) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      bool known = false;
      for (std::string_view key : allowed) known = known || it.key() == key;
      if (known) continue;
      std::string expected;
      for (std::string_view key : allowed) {
        if (!expected.empty()) expected += ", ";
        expected += key;
      }
      Error(path, "unknown key '" + it.key() + "' (expected one of: " + expected + ")");
    }
  }

  // The member, or nullptr when absent (an error when required).
  const json* Member(const json& object, std::string_view key, const std::string& path,
                     bool required) {
    auto it = object.find(std::string(key));
    if (it == object.end()) {
      if (required) Error(JoinPath(path, key), "missing (required)");
      return nullptr;
    }
    return &*it;
  }

  void ReadString(const json& object, std::string_view key, const std::string& path, bool required,
                  std::string* out) {
    const json* value = Member(object, key, path, required);
    if (value == nullptr) return;
    if (!value->is_string()) {
      Error(JoinPath(path, key), std::string("expected a string, got ") + TypeName(*value));
      return;
    }
    *out = value->get<std::string>();
  }

  bool ReadNumber(const json& object, std::string_view key, const std::string& path, bool required,
                  double* out) {
    const json* value = Member(object, key, path, required);
    if (value == nullptr) return false;
    if (!value->is_number()) {
      Error(JoinPath(path, key), std::string("expected a number, got ") + TypeName(*value));
      return false;
    }
    *out = value->get<double>();
    return true;
  }

  // An integer member (a number with no fractional part, within int); false when absent or bad.
  bool ReadInt(const json& object, std::string_view key, const std::string& path, bool required,
               std::optional<int>* out) {
    const json* value = Member(object, key, path, required);
    if (value == nullptr) return false;
    const bool integral =
        value->is_number_integer() ||
        (value->is_number_float() && std::floor(value->get<double>()) == value->get<double>());
    if (!value->is_number() || !integral || value->get<double>() < INT_MIN ||
        value->get<double>() > INT_MAX) {
      Error(JoinPath(path, key), std::string("expected an integer, got ") +
                                     (value->is_number() ? value->dump() : TypeName(*value)));
      return false;
    }
    *out = static_cast<int>(value->get<double>());
    return true;
  }

  // The member if it is an object; nullptr (and an error when it is something else) otherwise.
  const json* ReadObject(const json& object, std::string_view key, const std::string& path,
                         bool required) {
    const json* value = Member(object, key, path, required);
    if (value == nullptr) return nullptr;
    if (!value->is_object()) {
      Error(JoinPath(path, key), std::string("expected an object, got ") + TypeName(*value));
      return nullptr;
    }
    return value;
  }

  const json* ReadArray(const json& object, std::string_view key, const std::string& path,
                        bool required) {
    const json* value = Member(object, key, path, required);
    if (value == nullptr) return nullptr;
    if (!value->is_array()) {
      Error(JoinPath(path, key), std::string("expected an array, got ") + TypeName(*value));
      return nullptr;
    }
    return value;
  }

  // True when `element` (at `path`) is an object; reports it otherwise.
  bool ExpectObject(const json& element, const std::string& path) {
    if (element.is_object()) return true;
    Error(path, std::string("expected an object, got ") + TypeName(element));
    return false;
  }

 private:
  std::vector<std::string> errors_;
  size_t left_out_ = 0;
};

Group ParseGroup(StructureReader& reader, const json& value, const std::string& path) {
  Group group;
  reader.CheckKeys(value, path, {"id", "name", "parent"});
  reader.ReadString(value, "id", path, true, &group.id);
  reader.ReadString(value, "name", path, false, &group.name);
  reader.ReadString(value, "parent", path, false, &group.parent);
  return group;
}

BktParams ParseParams(StructureReader& reader, const json& value, const std::string& path) {
  BktParams params;
  reader.CheckKeys(value, path, {"prior", "learn", "forget", "guess", "slip"});
  reader.ReadNumber(value, "prior", path, true, &params.prior);
  reader.ReadNumber(value, "learn", path, true, &params.learn);
  params.forget = 0.0;  // standard BKT unless stated
  reader.ReadNumber(value, "forget", path, false, &params.forget);
  reader.ReadNumber(value, "guess", path, true, &params.guess);
  reader.ReadNumber(value, "slip", path, true, &params.slip);
  return params;
}

Competency ParseCompetency(StructureReader& reader, const json& value, const std::string& path) {
  Competency competency;
  reader.CheckKeys(value, path,
                   {"id", "name", "description", "group", "params", "mastery_threshold",
                    "mastery_min_opportunities", "mastery_recent_correct"});
  reader.ReadString(value, "id", path, true, &competency.id);
  reader.ReadString(value, "name", path, false, &competency.name);
  reader.ReadString(value, "description", path, false, &competency.description);
  reader.ReadString(value, "group", path, false, &competency.group);
  if (const json* params = reader.ReadObject(value, "params", path, false)) {
    competency.params = ParseParams(reader, *params, JoinPath(path, "params"));
  }
  reader.ReadNumber(value, "mastery_threshold", path, false, &competency.mastery_threshold);
  reader.ReadInt(value, "mastery_min_opportunities", path, false,
                 &competency.mastery_min_opportunities);
  reader.ReadInt(value, "mastery_recent_correct", path, false, &competency.mastery_recent_correct);
  return competency;
}

Prerequisite ParsePrerequisite(StructureReader& reader, const json& value,
                               const std::string& path) {
  Prerequisite prerequisite;
  reader.CheckKeys(value, path, {"from", "to", "strength"});
  reader.ReadString(value, "from", path, true, &prerequisite.from);
  reader.ReadString(value, "to", path, true, &prerequisite.to);
  reader.ReadNumber(value, "strength", path, false, &prerequisite.strength);
  return prerequisite;
}

Activity ParseActivity(StructureReader& reader, const json& value, const std::string& path) {
  Activity activity;
  reader.CheckKeys(
      value, path,
      {"id", "name", "competencies", "difficulty", "expected_minutes", "kind", "tags"});
  reader.ReadString(value, "id", path, true, &activity.id);
  reader.ReadString(value, "name", path, false, &activity.name);
  if (const json* practiced = reader.ReadArray(value, "competencies", path, true)) {
    const std::string list_path = JoinPath(path, "competencies");
    for (size_t i = 0; i < practiced->size(); ++i) {
      const std::string item_path = IndexPath(list_path, i);
      const json& item = (*practiced)[i];
      if (!reader.ExpectObject(item, item_path)) continue;
      PracticedCompetency entry;
      reader.CheckKeys(item, item_path, {"competency", "weight"});
      reader.ReadString(item, "competency", item_path, true, &entry.competency_id);
      reader.ReadNumber(item, "weight", item_path, false, &entry.weight);
      activity.competencies.push_back(std::move(entry));
    }
  }
  double difficulty = 0.0;
  if (reader.ReadNumber(value, "difficulty", path, false, &difficulty)) {
    activity.difficulty = difficulty;
  }
  reader.ReadNumber(value, "expected_minutes", path, false, &activity.expected_minutes);
  reader.ReadString(value, "kind", path, false, &activity.kind);
  if (const json* tags = reader.ReadArray(value, "tags", path, false)) {
    for (size_t i = 0; i < tags->size(); ++i) {
      const json& tag = (*tags)[i];
      if (!tag.is_string()) {
        reader.Error(IndexPath(JoinPath(path, "tags"), i),
                     std::string("expected a string, got ") + TypeName(tag));
        continue;
      }
      activity.tags.push_back(tag.get<std::string>());
    }
  }
  return activity;
}

// Reads one top-level array, element by element.
template <typename T, typename ParseFn>
void ParseList(StructureReader& reader, const json& document, std::string_view key, bool required,
               ParseFn parse, std::vector<T>* out) {
  const json* list = reader.ReadArray(document, key, "", required);
  if (list == nullptr) return;
  out->reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string path = IndexPath(std::string(key), i);
    const json& element = (*list)[i];
    if (!reader.ExpectObject(element, path)) continue;
    out->push_back(parse(reader, element, path));
  }
}

// "[json.exception.parse_error.101] parse error at line 2, column 11: syntax error ..." -> "syntax
// error
// ..."; our own line and column replace nlohmann's.
std::string ParseErrorDetail(const std::string& what) {
  const size_t start = what.find("parse error");
  if (start != std::string::npos) {
    const size_t colon = what.find(": ", start);
    if (colon != std::string::npos) return what.substr(colon + 2);
  }
  return what;
}

Status StructureErrors(std::string_view source_name, const StructureReader& reader) {
  std::string message;
  for (const std::string& error : reader.errors()) {
    if (!message.empty()) message += "\n";
    message += std::string(source_name) + ": " + error;
  }
  if (reader.left_out() > 0) {
    message += "\n" + std::string(source_name) + ": ... and " + std::to_string(reader.left_out()) +
               " more errors";
  }
  return Status::InvalidArgument(std::move(message));
}

ordered_json GroupToJson(const Group& group) {
  ordered_json out;
  out["id"] = group.id;
  if (!group.name.empty()) out["name"] = group.name;
  if (!group.parent.empty()) out["parent"] = group.parent;
  return out;
}

ordered_json CompetencyToJson(const Competency& competency) {
  ordered_json out;
  out["id"] = competency.id;
  if (!competency.name.empty()) out["name"] = competency.name;
  if (!competency.description.empty()) out["description"] = competency.description;
  if (!competency.group.empty()) out["group"] = competency.group;
  if (competency.params.has_value()) {
    const BktParams& p = *competency.params;
    ordered_json params;
    params["prior"] = p.prior;
    params["learn"] = p.learn;
    if (p.forget != 0.0) params["forget"] = p.forget;
    params["guess"] = p.guess;
    params["slip"] = p.slip;
    out["params"] = std::move(params);
  }
  if (competency.mastery_threshold != kDefaultMasteryThreshold) {
    out["mastery_threshold"] = competency.mastery_threshold;
  }
  if (competency.mastery_min_opportunities)
    out["mastery_min_opportunities"] = *competency.mastery_min_opportunities;
  if (competency.mastery_recent_correct)
    out["mastery_recent_correct"] = *competency.mastery_recent_correct;
  return out;
}

ordered_json PrerequisiteToJson(const Prerequisite& prerequisite) {
  ordered_json out;
  out["from"] = prerequisite.from;
  out["to"] = prerequisite.to;
  if (prerequisite.strength != kDefaultStrength) out["strength"] = prerequisite.strength;
  return out;
}

ordered_json ActivityToJson(const Activity& activity) {
  ordered_json out;
  out["id"] = activity.id;
  if (!activity.name.empty()) out["name"] = activity.name;
  ordered_json practiced = ordered_json::array();
  for (const PracticedCompetency& entry : activity.competencies) {
    ordered_json item;
    item["competency"] = entry.competency_id;
    if (entry.weight != kDefaultWeight) item["weight"] = entry.weight;
    practiced.push_back(std::move(item));
  }
  out["competencies"] = std::move(practiced);
  if (activity.difficulty.has_value()) out["difficulty"] = *activity.difficulty;
  if (activity.expected_minutes != kDefaultExpectedMinutes) {
    out["expected_minutes"] = activity.expected_minutes;
  }
  if (!activity.kind.empty()) out["kind"] = activity.kind;
  if (!activity.tags.empty()) out["tags"] = activity.tags;
  return out;
}

}  // namespace

namespace io_internal {

Status PrefixEachLine(const Status& status, std::string_view prefix) {
  if (status.ok()) return status;
  std::string message;
  size_t start = 0;
  const std::string& original = status.message();
  while (start <= original.size()) {
    size_t end = original.find('\n', start);
    if (end == std::string::npos) end = original.size();
    if (!message.empty()) message += "\n";
    message += std::string(prefix) + ": " + original.substr(start, end - start);
    start = end + 1;
  }
  return Status(status.code(), std::move(message));
}

Status CheckJsonDepth(std::string_view text, std::string_view source, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        const TextPosition pos = PositionOfOffset(text, i);
        return Status::InvalidArgument(std::string(source) + ":" + std::to_string(pos.line) + ":" +
                                       std::to_string(pos.column) + ": nesting deeper than " +
                                       std::to_string(max_depth) +
                                       " levels of arrays and objects (the limit)");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::Ok();
}

}  // namespace io_internal

Result<GraphDefinition> ParseGraphJson(std::string_view text, std::string_view source_name) {
  PATHWISE_RETURN_IF_ERROR(
      io_internal::CheckJsonDepth(text, source_name, io_internal::kMaxJsonDepth));
  io_internal::DuplicateKeyFinder duplicate_finder;
  json document;
  try {
    document = json::parse(text.begin(), text.end());
    json::sax_parse(text.begin(), text.end(), &duplicate_finder);
  } catch (const json::parse_error& error) {
    // `byte` counts the characters read, so the offending one is the byte before it.
    const size_t offset = error.byte > 0 ? error.byte - 1 : 0;
    const io_internal::TextPosition pos = io_internal::PositionOfOffset(text, offset);
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(pos.line) + ":" +
                                   std::to_string(pos.column) + ": " +
                                   io_internal::ReplaceInvalidUtf8(ParseErrorDetail(error.what())));
  } catch (const std::exception& error) {
    return Status::InvalidArgument(std::string(source_name) + ": " +
                                   io_internal::ReplaceInvalidUtf8(error.what()));
  }

  try {
    StructureReader reader;
    if (!document.is_object()) {
      reader.Error("", std::string("expected a JSON object, got ") + TypeName(document));
      return StructureErrors(source_name, reader);
    }
    // Format and version come first: if they are wrong, the rest is not ours to judge.
    const json* format = reader.Member(document, "format", "", true);
    if (format == nullptr) return StructureErrors(source_name, reader);
    if (!format->is_string() || format->get_ref<const std::string&>() != kGraphFormatName) {
      reader.Error("format", "expected \"" + std::string(kGraphFormatName) + "\", got " +
                                 (format->is_string() ? format->dump() : TypeName(*format)));
      return StructureErrors(source_name, reader);
    }
    const json* version = reader.Member(document, "version", "", true);
    if (version == nullptr) return StructureErrors(source_name, reader);
    if (!version->is_number_integer()) {
      reader.Error("version", std::string("expected an integer, got ") + TypeName(*version) +
                                  (version->is_number() ? " (" + version->dump() + ")" : ""));
      return StructureErrors(source_name, reader);
    }
    if (version->get<long long>() != kGraphFormatVersion) {
      reader.Error("version", "unsupported version " + version->dump() +
                                  " (this build reads version " +
                                  std::to_string(kGraphFormatVersion) + ")");
      return StructureErrors(source_name, reader);
    }

    for (const auto& [path, message] : duplicate_finder.duplicates()) reader.Error(path, message);
    reader.CheckKeys(
        document, "",
        {"format", "version", "groups", "competencies", "prerequisites", "activities"});
    GraphDefinition definition;
    ParseList(reader, document, "groups", false, ParseGroup, &definition.groups);
    ParseList(reader, document, "competencies", true, ParseCompetency, &definition.competencies);
    ParseList(reader, document, "prerequisites", false, ParsePrerequisite,
              &definition.prerequisites);
    ParseList(reader, document, "activities", false, ParseActivity, &definition.activities);
    if (reader.failed()) return StructureErrors(source_name, reader);
    return definition;
  } catch (const std::exception& error) {
    // The reader checks every type before converting, so this is a bug; still, never throw across
    // the API.
    return Status::Internal(std::string(source_name) + ": " + error.what());
  }
}

Result<GraphDefinition> ReadGraphDefinitionFile(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  return ParseGraphJson(text, path);
}

Result<CompetencyGraph> ReadGraphFile(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(GraphDefinition definition, ReadGraphDefinitionFile(path));
  const std::vector<GraphProblem> problems = ValidateGraphDefinition(definition);
  if (!problems.empty()) return io_internal::PrefixEachLine(ProblemsToStatus(problems), path);
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(definition));
  if (!graph.ok()) return io_internal::PrefixEachLine(graph.status(), path);
  return graph;
}

std::string WriteGraphJson(const GraphDefinition& definition) {
  ordered_json document;
  document["format"] = kGraphFormatName;
  document["version"] = kGraphFormatVersion;
  ordered_json groups = ordered_json::array();
  for (const Group& group : definition.groups) groups.push_back(GroupToJson(group));
  document["groups"] = std::move(groups);
  ordered_json competencies = ordered_json::array();
  for (const Competency& competency : definition.competencies) {
    competencies.push_back(CompetencyToJson(competency));
  }
  document["competencies"] = std::move(competencies);
  ordered_json prerequisites = ordered_json::array();
  for (const Prerequisite& prerequisite : definition.prerequisites) {
    prerequisites.push_back(PrerequisiteToJson(prerequisite));
  }
  document["prerequisites"] = std::move(prerequisites);
  ordered_json activities = ordered_json::array();
  for (const Activity& activity : definition.activities) {
    activities.push_back(ActivityToJson(activity));
  }
  document["activities"] = std::move(activities);
  // Strings built in memory may hold invalid UTF-8; replacing it (U+FFFD) beats throwing from a
  // writer.
  return document.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

std::string WriteGraphJson(const CompetencyGraph& graph) {
  return WriteGraphJson(graph.ToDefinition());
}

Status WriteGraphFile(const CompetencyGraph& graph, const std::string& path) {
  return io_internal::WriteFileAtomically(path, WriteGraphJson(graph));
}

}  // namespace pathwise
