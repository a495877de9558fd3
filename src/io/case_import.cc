// CASE CFPackage -> competency graph. Validation against the CFPackage schema's required fields
// and types comes first, so that the mapping below can trust the shapes it reads.
#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/case_import.h>

#include "csv_reader.h"
#include "graph_io_internal.h"
#include "standards_internal.h"

namespace pathwise {
namespace {

using json = nlohmann::json;

constexpr std::string_view kGroupPrefix = "group:";

const std::set<std::string>& KnownAssociationTypes() {
  static const std::set<std::string> types = {
      "isChildOf",   "isPeerOf",   "isPartOf", "exactMatchOf",  "precedes",
      "isRelatedTo", "replacedBy", "exemplar", "hasSkillLevel", "isTranslationOf"};
  return types;
}

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (dash ? c != '-' : !hex) return false;
  }
  return true;
}

// The structural part of the CASE CFPackage JSON schema: required fields, the type of every
// property the mapping or the schema constrains, the associationType vocabulary and UUID
// identifiers. Every violation is collected with its JSON path.
class CaseValidator {
 public:
  explicit CaseValidator(CaseVersion version) : version_(version) {}

  void ValidatePackage(const json& root) {
    if (!root.is_object()) {
      Error("$", "a CFPackage must be a JSON object");
      return;
    }
    const json* document = Get(root, "CFDocument");
    if (document == nullptr) {
      Error("CFDocument", "missing (required)");
    } else {
      ValidateDocument(*document, "CFDocument");
    }
    ValidateArray(root, "CFItems", "",
                  [this](const json& item, const std::string& path) { ValidateItem(item, path); });
    ValidateArray(root, "CFAssociations", "",
                  [this](const json& association, const std::string& path) {
                    ValidateAssociation(association, path);
                  });
    if (const json* definitions = Get(root, "CFDefinitions")) {
      if (!definitions->is_object()) Error("CFDefinitions", "must be an object");
    }
    ValidateArray(root, "CFRubrics", "", [this](const json& rubric, const std::string& path) {
      RequireStrings(rubric, path, {"identifier", "uri", "lastChangeDateTime"});
    });
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  static const json* Get(const json& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
  }

  void Error(const std::string& path, const std::string& message) {
    errors_.push_back(path + ": " + message);
  }

  template <typename Fn>
  void ValidateArray(const json& parent, const char* key, const std::string& base, Fn each) {
    const json* array = Get(parent, key);
    if (array == nullptr) return;
    const std::string path = base.empty() ? key : base + "." + key;
    if (!array->is_array()) {
      Error(path, std::string("must be an array, got ") + array->type_name());
      return;
    }
    for (size_t i = 0; i < array->size(); ++i) {
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      if (!(*array)[i].is_object()) {
        Error(element_path, "must be an object");
        continue;
      }
      each((*array)[i], element_path);
    }
  }

  void RequireStrings(const json& object, const std::string& path,
                      std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
      const json* value = Get(object, key);
      if (value == nullptr) {
        Error(path + "." + key, "missing (required)");
      } else if (!value->is_string()) {
        Error(path + "." + key, std::string("must be a string, got ") + value->type_name());
      }
    }
  }

  void OptionalStrings(const json& object, const std::string& path,
                       std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
      const json* value = Get(object, key);
      if (value != nullptr && !value->is_string()) {
        Error(path + "." + key, std::string("must be a string, got ") + value->type_name());
      }
    }
  }

  // CASE 1.1 made these arrays of strings; 1.0 left them untyped and exports use a string.
  void StringLists(const json& object, const std::string& path,
                   std::initializer_list<const char*> keys) {
    for (const char* key : keys) {
      const json* value = Get(object, key);
      if (value == nullptr) continue;
      if (version_ == CaseVersion::kV1p0 && value->is_string()) continue;
      bool ok = value->is_array();
      if (ok) {
        for (const json& element : *value) ok = ok && element.is_string();
      }
      if (!ok) {
        Error(path + "." + key, std::string("must be an array of strings") +
                                    (version_ == CaseVersion::kV1p1 ? " in CASE 1.1" : "") +
                                    ", got " + value->type_name());
      }
    }
  }

  void Uuid(const json& object, const std::string& path) {
    const json* value = Get(object, "identifier");
    if (value != nullptr && value->is_string() && !IsUuid(value->get_ref<const std::string&>())) {
      Error(path + ".identifier", "must be a UUID, got '" +
                                      io_internal::ReplaceInvalidUtf8(value->get<std::string>()) +
                                      "'");
    }
  }

  void Link(const json& object, const char* key, const std::string& path, bool required) {
    const json* value = Get(object, key);
    const std::string link_path = path + "." + key;
    if (value == nullptr) {
      if (required) Error(link_path, "missing (required)");
      return;
    }
    if (!value->is_object()) {
      Error(link_path, std::string("must be a link object {title, identifier, uri}, got ") +
                           value->type_name());
      return;
    }
    RequireStrings(*value, link_path, {"title", "identifier", "uri"});
  }

  void LinkList(const json& object, const char* key, const std::string& path) {
    ValidateArray(object, key, path, [this](const json& link, const std::string& link_path) {
      RequireStrings(link, link_path, {"title", "identifier", "uri"});
    });
  }

  void ValidateDocument(const json& document, const std::string& path) {
    if (!document.is_object()) {
      Error(path, "must be an object");
      return;
    }
    RequireStrings(document, path, {"identifier", "uri", "creator", "title", "lastChangeDateTime"});
    Uuid(document, path);
    OptionalStrings(
        document, path,
        {"frameworkType", "caseVersion", "officialSourceURL", "publisher", "description",
         "language", "version", "adoptionStatus", "statusStartDate", "statusEndDate", "notes"});
    StringLists(document, path, {"subject"});
    LinkList(document, "subjectURI", path);
    Link(document, "licenseURI", path, false);
  }

  void ValidateItem(const json& item, const std::string& path) {
    RequireStrings(item, path, {"identifier", "fullStatement", "uri", "lastChangeDateTime"});
    Uuid(item, path);
    OptionalStrings(
        item, path,
        {"alternativeLabel", "CFItemType", "humanCodingScheme", "listEnumeration",
         "abbreviatedStatement", "notes", "language", "statusStartDate", "statusEndDate"});
    StringLists(item, path, {"conceptKeywords", "subject", "educationLevel"});
    Link(item, "conceptKeywordsURI", path, false);
    Link(item, "CFItemTypeURI", path, false);
    Link(item, "licenseURI", path, false);
    LinkList(item, "subjectURI", path);
  }

  void ValidateAssociation(const json& association, const std::string& path) {
    RequireStrings(association, path,
                   {"identifier", "associationType", "uri", "lastChangeDateTime"});
    Uuid(association, path);
    const json* type = Get(association, "associationType");
    if (type != nullptr && type->is_string()) {
      const std::string& text = type->get_ref<const std::string&>();
      if (KnownAssociationTypes().count(text) == 0 && text.rfind("ext:", 0) != 0) {
        Error(path + ".associationType",
              "'" + io_internal::ReplaceInvalidUtf8(text) +
                  "' is neither a CASE association type nor an extension (ext:...)");
      }
    }
    Link(association, "originNodeURI", path, true);
    Link(association, "destinationNodeURI", path, true);
    Link(association, "CFAssociationGroupingURI", path, false);
    if (const json* number = Get(association, "sequenceNumber")) {
      if (!number->is_number_integer()) Error(path + ".sequenceNumber", "must be an integer");
    }
    OptionalStrings(association, path, {"notes"});
  }

  CaseVersion version_;
  std::vector<std::string> errors_;
};

std::string StringOr(const json& object, const char* key, std::string fallback = {}) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace

Result<ImportedCase> ParseCasePackage(std::string_view text, std::string_view source_name,
                                      const CaseImportOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(json root, io_internal::ParseJsonDocument(text, source_name));
  const std::string source(source_name);
  CaseValidator validator(options.version);
  validator.ValidatePackage(root);
  if (!validator.errors().empty()) {
    std::string message;
    for (const std::string& error : validator.errors()) {
      if (!message.empty()) message += "\n";
      message += source + ": " + error;
    }
    return Status::InvalidArgument(message + "\nnot a valid CASE " +
                                   (options.version == CaseVersion::kV1p1 ? "1.1" : "1.0") +
                                   " CFPackage; nothing imported");
  }

  ImportedCase out;
  CaseImportReport& report = out.report;
  const json& document = root["CFDocument"];
  report.document_id = document["identifier"].get<std::string>();
  report.document_title = document["title"].get<std::string>();
  const std::string document_group = std::string(kGroupPrefix) + report.document_id;
  auto note = [&report](std::string path, std::string message) {
    report.notes.push_back({std::move(path), std::move(message)});
  };

  // Items, in package order.
  const json empty = json::array();
  const json& items =
      root.contains("CFItems") && root["CFItems"].is_array() ? root["CFItems"] : empty;
  std::unordered_map<std::string, size_t> item_index;
  std::vector<std::string> duplicate_errors;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string id = items[i]["identifier"].get<std::string>();
    auto [it, inserted] = item_index.emplace(id, i);
    if (!inserted || id == report.document_id) {
      duplicate_errors.push_back(
          source + ": CFItems[" + std::to_string(i) + "].identifier: '" + id +
          "' is already used by " +
          (inserted ? std::string("CFDocument") : "CFItems[" + std::to_string(it->second) + "]"));
    }
  }
  if (!duplicate_errors.empty()) {
    std::string message;
    for (const std::string& line : duplicate_errors) message += line + "\n";
    return Status::InvalidArgument(message + "identifiers must be unique; nothing imported");
  }
  report.items = items.size();
  report.uris[report.document_id] = document["uri"].get<std::string>();
  for (const json& item : items) {
    report.uris[item["identifier"].get<std::string>()] = item["uri"].get<std::string>();
  }

  // Associations.
  const json& associations = root.contains("CFAssociations") && root["CFAssociations"].is_array()
                                 ? root["CFAssociations"]
                                 : empty;
  report.associations = associations.size();
  std::vector<std::string> parent_of(items.size());  // item identifier, or empty: the document
  std::vector<bool> has_children(items.size(), false);
  std::vector<bool> has_parent(items.size(), false);  // the document counts as a parent
  std::vector<Prerequisite> prerequisites;
  std::set<std::pair<std::string, std::string>> edges;
  std::set<std::string> association_ids;
  for (size_t i = 0; i < associations.size(); ++i) {
    const json& association = associations[i];
    const std::string path = "CFAssociations[" + std::to_string(i) + "]";
    const std::string type = association["associationType"].get<std::string>();
    ++report.associations_by_type[type];
    if (!association_ids.insert(association["identifier"].get<std::string>()).second) {
      note(path, "duplicate association identifier; skipped");
      continue;
    }
    const std::string origin = association["originNodeURI"]["identifier"].get<std::string>();
    const std::string destination =
        association["destinationNodeURI"]["identifier"].get<std::string>();
    const bool origin_in = item_index.count(origin) > 0;
    const bool destination_in = item_index.count(destination) > 0;
    if (type == "isChildOf") {
      if (!origin_in) {
        note(path,
             "isChildOf from '" + origin + "', which is not a CFItem of the package; skipped");
        continue;
      }
      const size_t child = item_index[origin];
      if (origin == destination) {
        note(path, "isChildOf of an item to itself; skipped");
        continue;
      }
      if (!destination_in && destination != report.document_id) {
        note(path, "parent '" + destination + "' of '" + origin +
                       "' is outside the package; the item stays at the top level");
        continue;
      }
      if (has_parent[child]) {
        const std::string& first = parent_of[child].empty() ? report.document_id : parent_of[child];
        note(path, "'" + origin + "' already has the parent '" + first +
                       "' (a competency belongs to one group); this isChildOf is skipped");
        continue;
      }
      has_parent[child] = true;
      if (destination_in) {
        parent_of[child] = destination;
        has_children[item_index[destination]] = true;
      }
    } else if (type == "precedes") {
      if (!origin_in || !destination_in) {
        note(path, "precedes with an end outside the package ('" +
                       (origin_in ? destination : origin) + "'); skipped");
        continue;
      }
      if (origin == destination) {
        note(path, "'" + origin + "' precedes itself; skipped");
        continue;
      }
      if (!edges.emplace(origin, destination).second) {
        note(path, "duplicate precedes " + origin + " -> " + destination + "; skipped");
        continue;
      }
      prerequisites.push_back({origin, destination, 1.0});
    } else if (type == "exactMatchOf" || type == "isRelatedTo") {
      if (!origin_in && !destination_in) {
        note(path, type + " between two nodes outside the package; skipped");
        continue;
      }
      const json& other = association[origin_in ? "destinationNodeURI" : "originNodeURI"];
      CaseLink link{origin_in ? origin : destination, other["identifier"].get<std::string>(),
                    other["uri"].get<std::string>()};
      (type == "exactMatchOf" ? report.aliases : report.related).push_back(std::move(link));
    } else {
      note(path, "association type '" + type + "' is not imported");
    }
  }

  // The graph: the document and every parent item are groups; every item is a competency.
  GraphDefinition def;
  def.groups.push_back({document_group, report.document_title, ""});
  auto group_of = [&](size_t item) {
    return parent_of[item].empty() ? document_group : std::string(kGroupPrefix) + parent_of[item];
  };
  auto item_name = [](const json& item) {
    const std::string code = StringOr(item, "humanCodingScheme");
    const std::string abbreviated = StringOr(item, "abbreviatedStatement");
    if (!code.empty() && !abbreviated.empty()) return code + " " + abbreviated;
    if (!abbreviated.empty()) return abbreviated;
    if (!code.empty()) return code;
    return item["fullStatement"].get<std::string>();
  };
  // Parents before children: a group's parent must exist when the group is added. Depth is
  // bounded by the item count, so an isChildOf cycle cannot loop here; the graph's validation
  // reports it.
  std::vector<size_t> depth(items.size(), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    size_t d = 0;
    for (std::string up = parent_of[i]; !up.empty() && d <= items.size();
         up = parent_of[item_index[up]]) {
      ++d;
    }
    depth[i] = d;
  }
  std::vector<size_t> group_items;
  for (size_t i = 0; i < items.size(); ++i) {
    if (has_children[i]) group_items.push_back(i);
  }
  std::stable_sort(group_items.begin(), group_items.end(),
                   [&depth](size_t a, size_t b) { return depth[a] < depth[b]; });
  for (size_t i : group_items) {
    def.groups.push_back({std::string(kGroupPrefix) + items[i]["identifier"].get<std::string>(),
                          item_name(items[i]), group_of(i)});
  }
  for (size_t i = 0; i < items.size(); ++i) {
    Competency competency;
    competency.id = items[i]["identifier"].get<std::string>();
    competency.name = item_name(items[i]);
    competency.description = items[i]["fullStatement"].get<std::string>();
    competency.group = group_of(i);
    def.competencies.push_back(std::move(competency));
  }
  def.prerequisites = std::move(prerequisites);
  if (def.prerequisites.empty()) {
    note("CFAssociations",
         "no precedes association inside the package: the graph has no "
         "prerequisites, so every competency is ready from the start");
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(def));
  if (!graph.ok()) return io_internal::PrefixEachLine(graph.status(), source);
  out.graph = std::move(graph).value();
  return out;
}

Result<ImportedCase> ReadCasePackage(const std::string& path, const CaseImportOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  return ParseCasePackage(text, path, options);
}

}  // namespace pathwise
