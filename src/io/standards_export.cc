// xAPI statements and Open Badges 3.0 credentials out. The rules are documented in
// standards_export.h and docs/standards.md; this file follows them in the same order.
#include "pathwise/io/standards_export.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/io/sha1.h>
#include <pathwise/mastery_tracker.h>

#include "standards_internal.h"

namespace pathwise {
namespace {

using ordered_json = nlohmann::ordered_json;
using json = nlohmann::json;

constexpr char kVerbProgressed[] = "http://adlnet.gov/expapi/verbs/progressed";
constexpr char kVerbMastered[] = "http://adlnet.gov/expapi/verbs/mastered";
constexpr char kActivityTypeObjective[] = "http://adlnet.gov/expapi/activities/objective";
constexpr char kExtensionBase[] = "urn:pathwise:xapi:";
constexpr char kGroupPrefix[] = "group:";

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !IsHexDigit(text[i])) return false;
  }
  return true;
}

// RFC 3986 scheme ":" followed by something: what xAPI and the VC data model call an absolute IRI.
bool IsAbsoluteIri(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size()) return false;
  const char first = text[0];
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  for (size_t i = 1; i < colon; ++i) {
    const char c = text[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '<' || c == '>') {
      return false;
    }
  }
  return true;
}

std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Howard Hinnant's civil_from_days: the proleptic Gregorian date of a day count since 1970-01-01.
void CivilFromDays(int64_t days, int64_t* year, unsigned* month, unsigned* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = static_cast<int64_t>(yoe) + era * 400 + (*month <= 2 ? 1 : 0);
}

// "2026-09-01T09:04:00.000Z": milliseconds always written, so that the text sorts like the time.
std::string FormatIso8601(TimestampMs ms) {
  int64_t days = ms / 86400000, rest = ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  int64_t year = 0;
  unsigned month = 0, day = 0;
  CivilFromDays(days, &year, &month, &day);
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), month, day, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return buffer;
}

// Rounded to 6 decimals: a score is read by people and dashboards, and 17 digits of P(learned)
// would only make equal runs look different after a change of compiler flags.
double Rounded(double p) { return std::round(p * 1e6) / 1e6; }

std::string DisplayName(const Competency& c) { return c.name.empty() ? c.id : c.name; }

// The actor: the identifier the xAPI import read a learner id from, else an account.
ordered_json Actor(const std::string& learner_id, const XapiExportOptions& options) {
  ordered_json actor;
  actor["objectType"] = "Agent";
  const std::string_view id = learner_id;
  if (id.rfind("sha1:", 0) == 0 && id.size() == 45) {
    actor["mbox_sha1sum"] = learner_id.substr(5);
    return actor;
  }
  if (id.rfind("openid:", 0) == 0 && IsAbsoluteIri(id.substr(7))) {
    actor["openid"] = learner_id.substr(7);
    return actor;
  }
  if (id.rfind("account:", 0) == 0) {
    const size_t bar = id.find('|');
    if (bar != std::string_view::npos && bar + 1 < id.size() &&
        IsAbsoluteIri(id.substr(8, bar - 8))) {
      actor["account"] = {{"homePage", learner_id.substr(8, bar - 8)},
                          {"name", learner_id.substr(bar + 1)}};
      return actor;
    }
  }
  actor["account"] = {{"homePage", options.account_home_page}, {"name", learner_id}};
  return actor;
}

Status ValidateNamespace(const std::string& id_namespace, const char* field) {
  if (!IsUuid(id_namespace)) {
    return Status::InvalidArgument(std::string(field) + ": must be a UUID, got '" + id_namespace +
                                   "'");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> UuidV5(std::string_view namespace_uuid, std::string_view name) {
  if (!IsUuid(namespace_uuid)) {
    return Status::InvalidArgument("UUID namespace must be a UUID, got '" +
                                   std::string(namespace_uuid) + "'");
  }
  std::string data;
  for (size_t i = 0; i < namespace_uuid.size(); ++i) {
    if (namespace_uuid[i] == '-') continue;
    data += static_cast<char>(HexValue(namespace_uuid[i]) * 16 + HexValue(namespace_uuid[i + 1]));
    ++i;
  }
  data.append(name.data(), name.size());
  const std::string hash = Sha1Hex(data);  // 40 hex digits; the UUID takes the first 32
  std::string hex = hash.substr(0, 32);
  hex[12] = '5';  // version 5
  const int variant = (HexValue(hex[16]) & 0x3) | 0x8;
  hex[16] = "0123456789abcdef"[variant];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string CompetencyIriScheme::IriOf(const std::string& id) const {
  auto it = iris.find(id);
  if (it != iris.end()) return it->second;
  if (id.rfind(kGroupPrefix, 0) == 0) {
    it = iris.find(id.substr(sizeof(kGroupPrefix) - 1));
    if (it != iris.end()) return it->second;
  }
  if (IsAbsoluteIri(id) && id.rfind(kGroupPrefix, 0) != 0) return id;
  return base + PercentEncode(id);
}

Status CompetencyIriScheme::Validate() const {
  if (!IsAbsoluteIri(base)) {
    return Status::InvalidArgument(
        "IRI base: must be an absolute IRI such as "
        "https://lms.example/competencies/, got '" +
        base + "'");
  }
  for (const auto& [id, iri] : iris) {
    if (!IsAbsoluteIri(iri)) {
      return Status::InvalidArgument("IRI of '" + id + "': must be an absolute IRI, got '" + iri +
                                     "'");
    }
  }
  return Status::Ok();
}

Result<std::vector<MasteryChange>> DiffMastery(const CompetencyGraph& graph,
                                               const Observation& observation,
                                               const LearnerMastery& before,
                                               const std::vector<MasteryEstimate>& after,
                                               size_t learner_sequence) {
  std::unordered_map<std::string_view, const MasteryEstimate*> previous;
  for (const MasteryEstimate& e : before.competencies) previous[e.competency_id] = &e;
  std::vector<MasteryChange> changes;
  for (size_t i = 0; i < after.size(); ++i) {
    const MasteryEstimate& now = after[i];
    const Competency* competency = graph.FindCompetency(now.competency_id);
    const std::string path = "after[" + std::to_string(i) + "].competency_id";
    if (competency == nullptr) {
      return Status::InvalidArgument(path + ": '" + now.competency_id +
                                     "' is not a competency of the graph");
    }
    auto it = previous.find(now.competency_id);
    if (it == previous.end()) {
      return Status::InvalidArgument(path + ": '" + now.competency_id +
                                     "' has no estimate in the mastery before");
    }
    MasteryChange change;
    change.learner_id = observation.learner_id;
    change.competency_id = now.competency_id;
    change.p_before = it->second->p_learned;
    change.p_after = now.p_learned;
    change.mastered_before = it->second->mastered;
    change.mastered_after = now.mastered;
    change.mastery_threshold = competency->mastery_threshold;
    change.opportunities = now.opportunities;
    change.event_id = observation.event_id;
    change.timestamp_ms = observation.timestamp_ms;
    change.learner_sequence = learner_sequence;
    changes.push_back(std::move(change));
  }
  return changes;
}

Result<std::vector<MasteryChange>> ReplayMasteryChanges(const CompetencyGraph& graph,
                                                        const BktModel& model,
                                                        const std::vector<Observation>& events,
                                                        const TrackerOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<MasteryTracker> tracker,
                            MasteryTracker::Create(graph, model, options));
  std::vector<MasteryChange> changes;
  std::unordered_map<std::string, size_t> sequence;
  for (size_t i = 0; i < events.size(); ++i) {
    const Observation& e = events[i];
    Result<LearnerMastery> before = tracker->Mastery(e.learner_id);
    const LearnerMastery previous =
        before.ok() ? std::move(before).value() : tracker->PriorMastery(e.learner_id);
    Result<RecordResult> result = tracker->Record(e);
    if (!result.ok()) {
      return result.status().WithContext("events[" + std::to_string(i) + "] (id '" + e.event_id +
                                         "')");
    }
    if (!result->applied) continue;
    PATHWISE_ASSIGN_OR_RETURN(
        std::vector<MasteryChange> diff,
        DiffMastery(graph, e, previous, result->updated, sequence[e.learner_id]++));
    for (MasteryChange& c : diff) changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::string> MasteryStatementsJson(const CompetencyGraph& graph,
                                          const std::vector<MasteryChange>& changes,
                                          const XapiExportOptions& options) {
  if (!IsAbsoluteIri(options.account_home_page)) {
    return Status::InvalidArgument(
        "account home page: must be an absolute IRI such as https://lms.example, got '" +
        options.account_home_page + "'");
  }
  PATHWISE_RETURN_IF_ERROR(options.iris.Validate());
  PATHWISE_RETURN_IF_ERROR(ValidateNamespace(options.id_namespace, "id namespace"));
  ordered_json statements = ordered_json::array();
  for (size_t i = 0; i < changes.size(); ++i) {
    const MasteryChange& change = changes[i];
    const std::string path = "changes[" + std::to_string(i) + "]";
    const Competency* competency = graph.FindCompetency(change.competency_id);
    if (competency == nullptr) {
      return Status::InvalidArgument(path + ".competency_id: '" + change.competency_id +
                                     "' is not a competency of the graph");
    }
    if (change.learner_id.empty()) {
      return Status::InvalidArgument(path + ".learner_id: empty");
    }
    const TimestampMs when =
        change.timestamp_ms != 0 ? change.timestamp_ms : options.default_timestamp_ms;
    if (when <= 0) {
      return Status::InvalidArgument(
          path + ".timestamp_ms: the event '" + change.event_id + "' of " + change.learner_id +
          " has no timestamp; give one in the events or a default time (--timestamp)");
    }
    const std::string event_key =
        change.event_id.empty() ? "#" + std::to_string(change.learner_sequence) : change.event_id;
    auto statement = [&](const char* verb, const char* verb_name) -> Result<ordered_json> {
      PATHWISE_ASSIGN_OR_RETURN(
          std::string id,
          UuidV5(options.id_namespace, std::string("xapi|") + verb_name + "|" + change.learner_id +
                                           "|" + change.competency_id + "|" + event_key));
      ordered_json s;
      s["id"] = id;
      s["actor"] = Actor(change.learner_id, options);
      s["verb"] = {{"id", verb}, {"display", {{"en-US", verb_name}}}};
      ordered_json definition;
      definition["type"] = kActivityTypeObjective;
      definition["name"] = {{"en-US", DisplayName(*competency)}};
      if (!competency->description.empty()) {
        definition["description"] = {{"en-US", competency->description}};
      }
      s["object"] = {{"objectType", "Activity"},
                     {"id", options.iris.IriOf(competency->id)},
                     {"definition", std::move(definition)}};
      ordered_json result;
      result["score"] = {{"scaled", Rounded(change.p_after)}};
      result["success"] = change.mastered_after;
      s["result"] = std::move(result);
      ordered_json context;
      context["platform"] = options.platform;
      if (IsUuid(change.event_id)) {
        context["statement"] = {{"objectType", "StatementRef"}, {"id", change.event_id}};
      }
      context["extensions"] = {
          {std::string(kExtensionBase) + "mastery-threshold", change.mastery_threshold},
          {std::string(kExtensionBase) + "opportunities", change.opportunities},
          {std::string(kExtensionBase) + "p-learned-before", Rounded(change.p_before)}};
      s["context"] = std::move(context);
      s["timestamp"] = FormatIso8601(when);
      s["version"] = "1.0.3";
      return s;
    };
    if (options.progressed) {
      PATHWISE_ASSIGN_OR_RETURN(ordered_json s, statement(kVerbProgressed, "progressed"));
      statements.push_back(std::move(s));
    }
    if (!change.mastered_before && change.mastered_after) {
      PATHWISE_ASSIGN_OR_RETURN(ordered_json s, statement(kVerbMastered, "mastered"));
      statements.push_back(std::move(s));
    }
  }
  return statements.dump(2) + "\n";
}

// ---------------------------------------------------------------------------------------------------
// Validation of what we export: a small checker that lists every problem with its JSON path.
// ---------------------------------------------------------------------------------------------------

namespace {

class Checker {
 public:
  Checker(std::string_view source, std::string noun) : errors_(source, std::move(noun)) {}

  void Add(size_t index, const std::string& path, const std::string& message) {
    errors_.Add(index, path, message);
  }
  // The member `key` of `object` (at `path`), or null after reporting it missing.
  const json* Require(size_t index, const json& object, const std::string& path, const char* key) {
    if (!object.is_object() || !object.contains(key) || object[key].is_null()) {
      Add(index, path + "." + key, "missing");
      return nullptr;
    }
    return &object[key];
  }
  const json* RequireString(size_t index, const json& object, const std::string& path,
                            const char* key) {
    const json* value = Require(index, object, path, key);
    if (value == nullptr) return nullptr;
    if (!value->is_string() || value->get<std::string>().empty()) {
      Add(index, path + "." + key, "must be a non-empty string, got " + value->dump());
      return nullptr;
    }
    return value;
  }
  void RequireIri(size_t index, const json& object, const std::string& path, const char* key) {
    const json* value = RequireString(index, object, path, key);
    if (value != nullptr && !IsAbsoluteIri(value->get<std::string>())) {
      Add(index, path + "." + key, "must be an absolute IRI, got " + value->dump());
    }
  }
  void RequireTimestamp(size_t index, const json& object, const std::string& path,
                        const char* key) {
    const json* value = RequireString(index, object, path, key);
    if (value == nullptr) return;
    const std::string text = value->get<std::string>();
    // The export side of ISO 8601: a zone must be written, since a time without one is ambiguous.
    const bool zoned =
        !text.empty() &&
        (text.back() == 'Z' ||
         (text.size() > 6 && (text[text.size() - 6] == '+' || text[text.size() - 6] == '-')));
    if (!zoned || !io_internal::ParseIso8601(text).ok()) {
      Add(index, path + "." + key,
          "must be an ISO 8601 date-time with a time zone, got " + value->dump());
    }
  }
  bool TypeHas(const json& type, const std::string& name) {
    if (type.is_string()) return type.get<std::string>() == name;
    if (!type.is_array()) return false;
    for (const json& t : type) {
      if (t.is_string() && t.get<std::string>() == name) return true;
    }
    return false;
  }
  size_t count() const { return errors_.count(); }
  Status ToStatus(const char* what) const {
    Status status = errors_.ToStatus();
    std::string message = status.message();
    const size_t cut = message.rfind("\nnothing imported");
    if (cut != std::string::npos) message = message.substr(0, cut);
    return Status::InvalidArgument(message + "\n" + what);
  }

 private:
  io_internal::RecordErrors errors_;
};

void CheckLanguageMap(Checker& c, size_t i, const json& value, const std::string& path) {
  if (!value.is_object() || value.empty()) {
    c.Add(i, path, "must be a language map {\"en-US\": \"...\"}, got " + value.dump());
    return;
  }
  for (const auto& [tag, text] : value.items()) {
    if (tag.empty() || !text.is_string()) {
      c.Add(i, path + "." + tag, "must be a string under a language tag");
    }
  }
}

void CheckAgent(Checker& c, size_t i, const json& actor, const std::string& path) {
  if (!actor.is_object()) {
    c.Add(i, path, "must be an object");
    return;
  }
  if (actor.contains("objectType") && actor["objectType"] != "Agent" &&
      actor["objectType"] != "Group") {
    c.Add(i, path + ".objectType", "must be Agent or Group, got " + actor["objectType"].dump());
  }
  int identifiers = 0;
  for (const char* key : {"mbox", "mbox_sha1sum", "openid", "account"}) {
    if (actor.contains(key) && !actor[key].is_null()) ++identifiers;
  }
  if (identifiers != 1) {
    c.Add(i, path,
          "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account; has " +
              std::to_string(identifiers));
  }
  if (actor.contains("mbox")) {
    const json& mbox = actor["mbox"];
    if (!mbox.is_string() || mbox.get<std::string>().rfind("mailto:", 0) != 0 ||
        mbox.get<std::string>().find('@') == std::string::npos) {
      c.Add(i, path + ".mbox", "must be a mailto: IRI, got " + mbox.dump());
    }
  }
  if (actor.contains("mbox_sha1sum")) {
    const json& sum = actor["mbox_sha1sum"];
    bool ok = sum.is_string() && sum.get<std::string>().size() == 40;
    if (ok) {
      for (char ch : sum.get<std::string>()) ok = ok && IsHexDigit(ch);
    }
    if (!ok) c.Add(i, path + ".mbox_sha1sum", "must be 40 hex digits, got " + sum.dump());
  }
  if (actor.contains("openid")) c.RequireIri(i, actor, path, "openid");
  if (actor.contains("account")) {
    const json& account = actor["account"];
    if (!account.is_object()) {
      c.Add(i, path + ".account", "must be an object {homePage, name}");
    } else {
      c.RequireIri(i, account, path + ".account", "homePage");
      c.RequireString(i, account, path + ".account", "name");
    }
  }
}

void CheckStatement(Checker& c, size_t i, const json& s, const std::string& path) {
  if (!s.is_object()) {
    c.Add(i, path, "must be an object");
    return;
  }
  if (const json* id = c.RequireString(i, s, path, "id");
      id != nullptr && !IsUuid(id->get<std::string>())) {
    c.Add(i, path + ".id", "must be a UUID, got " + id->dump());
  }
  if (const json* actor = c.Require(i, s, path, "actor")) CheckAgent(c, i, *actor, path + ".actor");
  if (const json* verb = c.Require(i, s, path, "verb")) {
    c.RequireIri(i, *verb, path + ".verb", "id");
    if (verb->is_object() && verb->contains("display")) {
      CheckLanguageMap(c, i, (*verb)["display"], path + ".verb.display");
    }
  }
  if (const json* object = c.Require(i, s, path, "object")) {
    const std::string type =
        object->is_object() && object->contains("objectType") && (*object)["objectType"].is_string()
            ? (*object)["objectType"].get<std::string>()
            : "Activity";
    if (type == "Activity") {
      c.RequireIri(i, *object, path + ".object", "id");
      if (object->contains("definition")) {
        const json& definition = (*object)["definition"];
        const std::string dpath = path + ".object.definition";
        if (definition.contains("name"))
          CheckLanguageMap(c, i, definition["name"], dpath + ".name");
        if (definition.contains("description")) {
          CheckLanguageMap(c, i, definition["description"], dpath + ".description");
        }
        if (definition.contains("type")) c.RequireIri(i, definition, dpath, "type");
      }
    } else if (type == "StatementRef") {
      if (const json* id = c.RequireString(i, *object, path + ".object", "id");
          id != nullptr && !IsUuid(id->get<std::string>())) {
        c.Add(i, path + ".object.id", "must be a UUID, got " + id->dump());
      }
    }
  }
  c.RequireTimestamp(i, s, path, "timestamp");
  if (s.contains("result")) {
    const json& result = s["result"];
    if (result.contains("score")) {
      const json& score = result["score"];
      if (score.contains("scaled")) {
        const json& scaled = score["scaled"];
        if (!scaled.is_number() || scaled.get<double>() < -1.0 || scaled.get<double>() > 1.0) {
          c.Add(i, path + ".result.score.scaled",
                "must be a number in [-1, 1], got " + scaled.dump());
        }
      }
    }
    for (const char* key : {"success", "completion"}) {
      if (result.contains(key) && !result[key].is_boolean()) {
        c.Add(i, path + ".result." + key, "must be a boolean, got " + result[key].dump());
      }
    }
  }
  if (s.contains("version")) {
    const json& version = s["version"];
    const std::string text = version.is_string() ? version.get<std::string>() : "";
    if (text.rfind("1.0.", 0) != 0 && text.rfind("2.0.", 0) != 0 && text != "1.0" &&
        text != "2.0") {
      c.Add(i, path + ".version", "must be 1.0.x or 2.0.x, got " + version.dump());
    }
  }
  if (s.contains("context")) {
    const json& context = s["context"];
    if (context.contains("statement")) {
      const json& ref = context["statement"];
      if (!ref.is_object() || ref.value("objectType", "") != "StatementRef" ||
          !ref.contains("id") || !ref["id"].is_string() || !IsUuid(ref["id"].get<std::string>())) {
        c.Add(i, path + ".context.statement", "must be a StatementRef with a UUID id");
      }
    }
    if (context.contains("extensions")) {
      for (const auto& [key, value] : context["extensions"].items()) {
        if (!IsAbsoluteIri(key)) {
          c.Add(i, path + ".context.extensions", "key '" + key + "' is not an absolute IRI");
        }
      }
    }
  }
}

}  // namespace

Status ValidateXapiStatements(std::string_view text, std::string_view source_name) {
  PATHWISE_ASSIGN_OR_RETURN(json document, io_internal::ParseJsonDocument(text, source_name));
  Checker checker(source_name, "statement");
  if (document.is_array()) {
    for (size_t i = 0; i < document.size(); ++i) {
      CheckStatement(checker, i, document[i], "[" + std::to_string(i) + "]");
    }
  } else {
    CheckStatement(checker, 0, document, "$");
  }
  if (checker.count() == 0) return Status::Ok();
  return checker.ToStatus("not valid xAPI statements");
}

// ---------------------------------------------------------------------------------------------------
// Open Badges 3.0
// ---------------------------------------------------------------------------------------------------

namespace {

constexpr char kVcContext[] = "https://www.w3.org/ns/credentials/v2";
constexpr char kObContext[] = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

std::string Percent(double p) {
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%.2f", p);
  return buffer;
}

}  // namespace

Result<std::string> BadgeCredentialJson(const CompetencyGraph& graph, const BadgeAward& award,
                                        const BadgeOptions& options) {
  if (options.issuer_id.empty()) return Status::InvalidArgument("issuer id: missing");
  if (!IsAbsoluteIri(options.issuer_id)) {
    return Status::InvalidArgument(
        "issuer id: must be an absolute IRI (https://... or did:...), "
        "got '" +
        options.issuer_id + "'");
  }
  if (options.issuer_name.empty()) return Status::InvalidArgument("issuer name: missing");
  if (options.identity_type.empty()) return Status::InvalidArgument("identity type: missing");
  PATHWISE_RETURN_IF_ERROR(options.iris.Validate());
  PATHWISE_RETURN_IF_ERROR(ValidateNamespace(options.id_namespace, "id namespace"));
  if (award.learner_id.empty()) return Status::InvalidArgument("learner_id: empty");
  if (award.mastered_ms <= 0) {
    return Status::InvalidArgument(
        "mastered_ms: must be a time after 1970 (ms since the epoch), "
        "got " +
        std::to_string(award.mastered_ms));
  }
  const Competency* competency = graph.FindCompetency(award.achievement_id);
  const Group* group = competency == nullptr ? graph.FindGroup(award.achievement_id) : nullptr;
  if (competency == nullptr && group == nullptr) {
    return Status::InvalidArgument("achievement_id: '" + award.achievement_id +
                                   "' is neither a competency nor a group of the graph");
  }
  std::string name, description, narrative;
  if (competency != nullptr) {
    name = DisplayName(*competency);
    description = competency->description.empty() ? "Mastery of the competency " + name + "."
                                                  : competency->description;
    narrative =
        "Mastered as estimated by Bayesian Knowledge Tracing: P(learned) reached the "
        "competency's threshold " +
        Percent(competency->mastery_threshold) + " (it was " + Percent(award.p_learned) +
        " when awarded).";
  } else {
    name = group->name.empty() ? group->id : group->name;
    const std::vector<std::string> members = graph.GroupMembers(group->id);
    description = "Mastery of every competency of " + name + " (" + std::to_string(members.size()) +
                  " competencies).";
    narrative = "Every one of the " + std::to_string(members.size()) +
                " competencies of the group reached its mastery threshold, as estimated by "
                "Bayesian Knowledge Tracing (mean P(learned) " +
                Percent(award.p_learned) + " when awarded).";
  }
  const std::string iri = options.iris.IriOf(award.achievement_id);
  PATHWISE_ASSIGN_OR_RETURN(
      std::string id,
      UuidV5(options.id_namespace, "badge|" + award.learner_id + "|" + award.achievement_id));

  ordered_json achievement;
  achievement["id"] = iri;
  achievement["type"] = {"Achievement"};
  achievement["achievementType"] = "Competency";
  achievement["name"] = name;
  achievement["description"] = description;
  achievement["criteria"] = {{"narrative", narrative}};
  // An IRI from the CASE map names a CFItem or CFDocument: align the badge to it so that a reader
  // can tell which standard it certifies.
  const std::string bare = award.achievement_id.rfind(kGroupPrefix, 0) == 0
                               ? award.achievement_id.substr(sizeof(kGroupPrefix) - 1)
                               : award.achievement_id;
  if (options.iris.iris.count(award.achievement_id) > 0 || options.iris.iris.count(bare) > 0) {
    ordered_json alignment;
    alignment["type"] = {"Alignment"};
    alignment["targetName"] = name;
    alignment["targetUrl"] = iri;
    alignment["targetCode"] = bare;
    alignment["targetType"] = "CFItem";
    achievement["alignment"] = ordered_json::array({alignment});
  }

  ordered_json credential;
  credential["@context"] = {kVcContext, kObContext};
  credential["id"] = "urn:uuid:" + id;
  credential["type"] = {"VerifiableCredential", "OpenBadgeCredential"};
  credential["issuer"] = {
      {"id", options.issuer_id}, {"type", {"Profile"}}, {"name", options.issuer_name}};
  credential["validFrom"] = FormatIso8601(award.mastered_ms);
  credential["name"] = name;
  ordered_json subject;
  subject["type"] = {"AchievementSubject"};
  subject["identifier"] = ordered_json::array({{{"type", "IdentityObject"},
                                                {"hashed", false},
                                                {"identityHash", award.learner_id},
                                                {"identityType", options.identity_type}}});
  subject["achievement"] = std::move(achievement);
  credential["credentialSubject"] = std::move(subject);
  return credential.dump(2) + "\n";
}

Status ValidateBadgeCredential(std::string_view text, std::string_view source_name) {
  PATHWISE_ASSIGN_OR_RETURN(json c, io_internal::ParseJsonDocument(text, source_name));
  Checker k(source_name, "credential");
  const std::string p = "$";
  if (!c.is_object()) {
    k.Add(0, p, "must be an object");
    return k.ToStatus("not a valid Open Badges 3.0 credential");
  }
  if (const json* context = k.Require(0, c, p, "@context")) {
    if (!context->is_array() || context->empty() || (*context)[0] != kVcContext) {
      k.Add(
          0, p + ".@context",
          std::string("must be an array starting with ") + kVcContext + ", got " + context->dump());
    } else {
      bool ob = false;
      for (const json& entry : *context) {
        ob = ob || (entry.is_string() && entry.get<std::string>().rfind(
                                             "https://purl.imsglobal.org/spec/ob/v3p0/", 0) == 0);
      }
      if (!ob) k.Add(0, p + ".@context", "must hold an Open Badges v3p0 context");
    }
  }
  k.RequireIri(0, c, p, "id");
  if (const json* type = k.Require(0, c, p, "type")) {
    if (!k.TypeHas(*type, "VerifiableCredential") ||
        !(k.TypeHas(*type, "OpenBadgeCredential") || k.TypeHas(*type, "AchievementCredential"))) {
      k.Add(0, p + ".type",
            "must hold VerifiableCredential and OpenBadgeCredential, got " + type->dump());
    }
  }
  if (const json* issuer = k.Require(0, c, p, "issuer")) {
    if (issuer->is_string()) {
      if (!IsAbsoluteIri(issuer->get<std::string>())) {
        k.Add(0, p + ".issuer", "must be an absolute IRI, got " + issuer->dump());
      }
    } else {
      k.RequireIri(0, *issuer, p + ".issuer", "id");
      if (const json* type = k.Require(0, *issuer, p + ".issuer", "type");
          type != nullptr && !k.TypeHas(*type, "Profile")) {
        k.Add(0, p + ".issuer.type", "must hold Profile, got " + type->dump());
      }
    }
  }
  if (c.contains("validFrom") || !c.contains("issuanceDate")) {
    k.RequireTimestamp(0, c, p, "validFrom");
  } else {
    k.RequireTimestamp(0, c, p, "issuanceDate");
  }
  k.RequireString(0, c, p, "name");
  if (const json* subject = k.Require(0, c, p, "credentialSubject")) {
    const std::string sp = p + ".credentialSubject";
    if (const json* type = k.Require(0, *subject, sp, "type");
        type != nullptr && !k.TypeHas(*type, "AchievementSubject")) {
      k.Add(0, sp + ".type", "must hold AchievementSubject, got " + type->dump());
    }
    const bool has_id = subject->is_object() && subject->contains("id");
    const bool has_identifier = subject->is_object() && subject->contains("identifier");
    if (!has_id && !has_identifier) {
      k.Add(0, sp, "needs an id or an identifier");
    }
    if (has_id) k.RequireIri(0, *subject, sp, "id");
    if (has_identifier) {
      const json& identifiers = (*subject)["identifier"];
      if (!identifiers.is_array() || identifiers.empty()) {
        k.Add(0, sp + ".identifier", "must be a non-empty array of IdentityObjects");
      } else {
        for (size_t i = 0; i < identifiers.size(); ++i) {
          const std::string ip = sp + ".identifier[" + std::to_string(i) + "]";
          const json& identity = identifiers[i];
          if (const json* type = k.Require(0, identity, ip, "type");
              type != nullptr && *type != "IdentityObject") {
            k.Add(0, ip + ".type", "must be IdentityObject, got " + type->dump());
          }
          if (const json* hashed = k.Require(0, identity, ip, "hashed");
              hashed != nullptr && !hashed->is_boolean()) {
            k.Add(0, ip + ".hashed", "must be a boolean, got " + hashed->dump());
          }
          k.RequireString(0, identity, ip, "identityHash");
          k.RequireString(0, identity, ip, "identityType");
        }
      }
    }
    if (const json* achievement = k.Require(0, *subject, sp, "achievement")) {
      const std::string ap = sp + ".achievement";
      k.RequireIri(0, *achievement, ap, "id");
      if (const json* type = k.Require(0, *achievement, ap, "type");
          type != nullptr && !k.TypeHas(*type, "Achievement")) {
        k.Add(0, ap + ".type", "must hold Achievement, got " + type->dump());
      }
      k.RequireString(0, *achievement, ap, "name");
      k.RequireString(0, *achievement, ap, "description");
      if (const json* criteria = k.Require(0, *achievement, ap, "criteria")) {
        if (!criteria->is_object() ||
            (!criteria->contains("id") && !criteria->contains("narrative"))) {
          k.Add(0, ap + ".criteria", "needs an id or a narrative");
        }
      }
    }
  }
  if (k.count() == 0) return Status::Ok();
  return k.ToStatus("not a valid Open Badges 3.0 credential");
}

}  // namespace pathwise
