// Ed-Fi LearningStandard resources (API JSON) -> competency graph.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/edfi_import.h>

#include "csv_reader.h"
#include "graph_io_internal.h"
#include "standards_internal.h"

namespace pathwise {
namespace {

using json = nlohmann::json;

constexpr std::string_view kGroupPrefix = "group:";

const json* Find(const json& object, const char* key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// The learningStandardId of a reference object at `path`; empty (and an error) when malformed.
std::string ReferencedId(const json& reference, const std::string& path,
                         std::vector<std::string>* errors) {
  const json* id = reference.is_object() ? Find(reference, "learningStandardId") : nullptr;
  if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
    errors->push_back(path +
                      ".learningStandardId: missing; a reference names a learningStandardId");
    return {};
  }
  return id->get<std::string>();
}

// The resources (API JSON objects, or XML elements converted to that shape) and the path that
// names each in errors.
Result<ImportedEdFi> ImportResources(const std::vector<const json*>& resources,
                                     const std::vector<std::string>& paths,
                                     const std::string& source) {
  struct Standard {
    std::string id, description, parent;
    std::vector<std::pair<std::string, std::string>> prerequisites;  // id, JSON path
    std::string parent_path;
    std::string path;  // of the resource
  };
  std::vector<Standard> standards;
  std::vector<std::string> errors;
  std::unordered_map<std::string, size_t> index;
  for (size_t r = 0; r < resources.size(); ++r) {
    const json& resource = *resources[r];
    const std::string& path = paths[r];
    if (!resource.is_object()) {
      errors.push_back(path + ": a LearningStandard must be a JSON object");
      continue;
    }
    Standard standard;
    standard.path = path;
    const json* id = Find(resource, "learningStandardId");
    if (id == nullptr || !id->is_string() || id->get_ref<const std::string&>().empty()) {
      errors.push_back(path + ".learningStandardId: missing; every LearningStandard has one");
    } else {
      standard.id = id->get<std::string>();
    }
    if (const json* description = Find(resource, "description")) {
      if (!description->is_string()) {
        errors.push_back(path + ".description: must be a string");
      } else {
        standard.description = description->get<std::string>();
      }
    }
    if (const json* parent = Find(resource, "parentLearningStandardReference")) {
      standard.parent_path = path + ".parentLearningStandardReference";
      standard.parent = ReferencedId(*parent, standard.parent_path, &errors);
    }
    if (const json* list = Find(resource, "prerequisiteLearningStandards")) {
      const std::string list_path = path + ".prerequisiteLearningStandards";
      if (!list->is_array()) {
        errors.push_back(list_path + ": must be an array");
      } else {
        for (size_t i = 0; i < list->size(); ++i) {
          const std::string element_path = list_path + "[" + std::to_string(i) + "]";
          const json& element = (*list)[i];
          const json* reference = element.is_object()
                                      ? Find(element, "prerequisiteLearningStandardReference")
                                      : nullptr;
          if (reference == nullptr) {
            errors.push_back(element_path + ".prerequisiteLearningStandardReference: missing");
            continue;
          }
          const std::string reference_path =
              element_path + ".prerequisiteLearningStandardReference";
          std::string prerequisite = ReferencedId(*reference, reference_path, &errors);
          if (!prerequisite.empty()) {
            standard.prerequisites.emplace_back(std::move(prerequisite), reference_path);
          }
        }
      }
    }
    if (!standard.id.empty()) {
      auto [it, inserted] = index.emplace(standard.id, standards.size());
      if (!inserted) {
        errors.push_back(path + ".learningStandardId: '" + standard.id +
                         "' is given twice (first at " + standards[it->second].path + ")");
        continue;
      }
    }
    standards.push_back(std::move(standard));
  }
  if (!errors.empty()) {
    std::string message;
    for (const std::string& error : errors)
      message += source + ": " + io_internal::ReplaceInvalidUtf8(error) + "\n";
    return Status::InvalidArgument(message + "nothing imported");
  }

  ImportedEdFi out;
  out.standards = standards.size();
  std::vector<bool> is_parent(standards.size(), false);
  for (Standard& standard : standards) {
    if (standard.parent.empty()) continue;
    auto it = index.find(standard.parent);
    if (it == index.end() || standard.parent == standard.id) {
      out.notes.push_back(
          standard.parent_path + ": parent '" + standard.parent + "' of '" + standard.id +
          (it == index.end() ? "' is not in the file" : "' is the standard itself") +
          "; the standard stays at the top level");
      standard.parent.clear();
      continue;
    }
    is_parent[it->second] = true;
  }
  GraphDefinition def;
  // Parents before children, so that each group's parent group already exists.
  std::vector<size_t> depth(standards.size(), 0);
  for (size_t i = 0; i < standards.size(); ++i) {
    size_t d = 0;
    for (std::string up = standards[i].parent; !up.empty() && d <= standards.size();
         up = standards[index[up]].parent) {
      ++d;
    }
    depth[i] = d;
  }
  std::vector<size_t> parents;
  for (size_t i = 0; i < standards.size(); ++i) {
    if (is_parent[i]) parents.push_back(i);
  }
  std::stable_sort(parents.begin(), parents.end(),
                   [&depth](size_t a, size_t b) { return depth[a] < depth[b]; });
  auto group_of = [&](const Standard& standard) {
    return standard.parent.empty() ? std::string() : std::string(kGroupPrefix) + standard.parent;
  };
  for (size_t i : parents) {
    def.groups.push_back(
        {std::string(kGroupPrefix) + standards[i].id, standards[i].id, group_of(standards[i])});
  }
  std::set<std::pair<std::string, std::string>> edges;
  for (const Standard& standard : standards) {
    Competency competency;
    competency.id = standard.id;
    competency.name = standard.id;
    competency.description = standard.description;
    competency.group = group_of(standard);
    def.competencies.push_back(std::move(competency));
    for (const auto& [prerequisite, path] : standard.prerequisites) {
      if (index.count(prerequisite) == 0) {
        out.notes.push_back(path + ": prerequisite '" + prerequisite +
                            "' is not in the file; skipped");
      } else if (prerequisite == standard.id) {
        out.notes.push_back(path + ": '" + prerequisite + "' is its own prerequisite; skipped");
      } else if (!edges.emplace(prerequisite, standard.id).second) {
        out.notes.push_back(path + ": prerequisite '" + prerequisite + "' is given twice; skipped");
      } else {
        def.prerequisites.push_back({prerequisite, standard.id, 1.0});
      }
    }
  }
  if (def.prerequisites.empty()) {
    out.notes.push_back(
        "prerequisiteLearningStandards: none in the file: the graph has no "
        "prerequisites, so every competency is ready from the start");
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(def));
  if (!graph.ok()) return io_internal::PrefixEachLine(graph.status(), source);
  out.graph = std::move(graph).value();
  return out;
}

// ---------------------------------------------------------------------------------------------------
// XML bulk interchange (InterchangeStandards): just enough XML for Ed-Fi's well-formed exports
// (elements, attributes, comments, CDATA, the five predefined entities and character references;
// no DTDs). Each LearningStandard element becomes the JSON resource the API would return.
// ---------------------------------------------------------------------------------------------------

class XmlStandardsReader {
 public:
  XmlStandardsReader(std::string_view text, std::string source)
      : text_(text), source_(std::move(source)) {}

  Status Read() {
    while (pos_ < text_.size()) {
      if (text_[pos_] != '<') {
        const size_t end = text_.find('<', pos_);
        PATHWISE_RETURN_IF_ERROR(AppendText(text_.substr(pos_, end - pos_)));
        pos_ = end == std::string_view::npos ? text_.size() : end;
        continue;
      }
      if (StartsWith("<?")) {
        PATHWISE_RETURN_IF_ERROR(SkipPast("?>"));
      } else if (StartsWith("<!--")) {
        PATHWISE_RETURN_IF_ERROR(SkipPast("-->"));
      } else if (StartsWith("<![CDATA[")) {
        const size_t start = pos_ + 9;
        PATHWISE_RETURN_IF_ERROR(SkipPast("]]>"));
        text_buffer_ += std::string(text_.substr(start, pos_ - 3 - start));
      } else if (StartsWith("<!")) {
        return ErrorAt(pos_, "DTDs are not supported");
      } else if (StartsWith("</")) {
        PATHWISE_RETURN_IF_ERROR(EndTag());
      } else {
        PATHWISE_RETURN_IF_ERROR(StartTag());
      }
    }
    if (!stack_.empty()) {
      return ErrorAt(text_.size(), "element <" + stack_.back() + "> is not closed");
    }
    return Status::Ok();
  }

  std::vector<json>& standards() { return standards_; }
  std::vector<std::string>& paths() { return paths_; }
  std::vector<std::pair<std::string, std::string>>& equivalences() { return equivalences_; }

 private:
  bool StartsWith(std::string_view prefix) const {
    return text_.compare(pos_, prefix.size(), prefix) == 0;
  }

  Status ErrorAt(size_t offset, const std::string& message) const {
    const io_internal::TextPosition where = io_internal::PositionOfOffset(text_, offset);
    return Status::InvalidArgument(source_ + ":" + std::to_string(where.line) + ":" +
                                   std::to_string(where.column) + ": " + message);
  }

  Status SkipPast(std::string_view terminator) {
    const size_t end = text_.find(terminator, pos_);
    if (end == std::string_view::npos) {
      return ErrorAt(pos_, "unterminated markup (no '" + std::string(terminator) + "')");
    }
    pos_ = end + terminator.size();
    return Status::Ok();
  }

  static std::string LocalName(std::string_view name) {
    const size_t colon = name.find(':');
    return std::string(colon == std::string_view::npos ? name : name.substr(colon + 1));
  }

  Status StartTag() {
    const size_t start = pos_;
    size_t i = pos_ + 1;
    while (i < text_.size() && text_[i] != '>' && text_[i] != '/' && text_[i] != ' ' &&
           text_[i] != '\t' && text_[i] != '\n' && text_[i] != '\r') {
      ++i;
    }
    const std::string name = LocalName(text_.substr(pos_ + 1, i - pos_ - 1));
    if (name.empty()) return ErrorAt(start, "malformed start tag");
    char quote = 0;  // attribute values may hold '>' and '/'
    for (; i < text_.size(); ++i) {
      if (quote != 0) {
        if (text_[i] == quote) quote = 0;
      } else if (text_[i] == '"' || text_[i] == '\'') {
        quote = text_[i];
      } else if (text_[i] == '>') {
        break;
      }
    }
    if (i >= text_.size()) return ErrorAt(start, "unterminated start tag <" + name + ">");
    const bool empty_element = text_[i - 1] == '/';
    pos_ = i + 1;
    Open(name, start);
    if (empty_element) Close();
    return Status::Ok();
  }

  Status EndTag() {
    const size_t start = pos_;
    const size_t end = text_.find('>', pos_);
    if (end == std::string_view::npos) return ErrorAt(start, "unterminated end tag");
    std::string_view raw = text_.substr(pos_ + 2, end - pos_ - 2);
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) {
      raw.remove_suffix(1);
    }
    const std::string name = LocalName(raw);
    if (stack_.empty() || stack_.back() != name) {
      return ErrorAt(start, "end tag </" + name + "> does not match " +
                                (stack_.empty() ? std::string("any open element")
                                                : "<" + stack_.back() + ">"));
    }
    pos_ = end + 1;
    Close();
    return Status::Ok();
  }

  Status AppendText(std::string_view raw) {
    if (!in_field_) return Status::Ok();
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        text_buffer_ += raw[i];
        continue;
      }
      const size_t semicolon = raw.find(';', i);
      if (semicolon == std::string_view::npos) return ErrorAt(pos_ + i, "'&' without ';'");
      const std::string_view entity = raw.substr(i + 1, semicolon - i - 1);
      if (entity == "amp")
        text_buffer_ += '&';
      else if (entity == "lt")
        text_buffer_ += '<';
      else if (entity == "gt")
        text_buffer_ += '>';
      else if (entity == "quot")
        text_buffer_ += '"';
      else if (entity == "apos")
        text_buffer_ += '\'';
      else if (!entity.empty() && entity[0] == '#') {
        PATHWISE_RETURN_IF_ERROR(AppendCodePoint(entity.substr(1), pos_ + i));
      } else {
        return ErrorAt(pos_ + i, "unknown entity &" + std::string(entity) + ";");
      }
      i = semicolon;
    }
    return Status::Ok();
  }

  Status AppendCodePoint(std::string_view digits, size_t offset) {
    const bool hex = !digits.empty() && (digits[0] == 'x' || digits[0] == 'X');
    if (hex) digits.remove_prefix(1);
    uint32_t code = 0;
    for (char c : digits) {
      int value = -1;
      if (c >= '0' && c <= '9') value = c - '0';
      if (hex && c >= 'a' && c <= 'f') value = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') value = c - 'A' + 10;
      if (value < 0 || code > 0x10ffff) return ErrorAt(offset, "malformed character reference");
      code = code * (hex ? 16 : 10) + static_cast<uint32_t>(value);
    }
    if (digits.empty() || code == 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      return ErrorAt(offset, "malformed character reference");
    }
    if (code < 0x80) {
      text_buffer_ += static_cast<char>(code);
    } else if (code < 0x800) {
      text_buffer_ += static_cast<char>(0xc0 | (code >> 6));
      text_buffer_ += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      text_buffer_ += static_cast<char>(0xe0 | (code >> 12));
      text_buffer_ += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      text_buffer_ += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      text_buffer_ += static_cast<char>(0xf0 | (code >> 18));
      text_buffer_ += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      text_buffer_ += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      text_buffer_ += static_cast<char>(0x80 | (code & 0x3f));
    }
    return Status::Ok();
  }

  // Offsets only grow while reading, so the line is counted on from the last one asked: a scan
  // from the start for every standard would make a large interchange quadratic.
  size_t LineAt(size_t offset) {
    for (; line_offset_ < offset && line_offset_ < text_.size(); ++line_offset_) {
      if (text_[line_offset_] == '\n') ++line_;
    }
    return line_;
  }

  // The path below the interchange root, e.g. "LearningStandard/Description".
  std::string InnerPath() const {
    std::string path;
    for (size_t i = 1; i < stack_.size(); ++i) path += (i > 1 ? "/" : "") + stack_[i];
    return path;
  }

  void Open(const std::string& name, size_t offset) {
    stack_.push_back(name);
    const std::string path = InnerPath();
    if (path == "LearningStandard") {
      standards_.push_back(json::object());
      paths_.push_back("LearningStandard[" + std::to_string(standards_.size() - 1) + "] (line " +
                       std::to_string(LineAt(offset)) + ")");
    } else if (path == "LearningStandardEquivalenceAssociation") {
      equivalences_.emplace_back();
    }
    in_field_ = FieldOf(path) != nullptr;
    text_buffer_.clear();
  }

  void Close() {
    const std::string path = InnerPath();
    if (in_field_) {
      std::string value(io_internal::TrimSpaces(text_buffer_));
      if (path.rfind("LearningStandardEquivalenceAssociation/", 0) == 0) {
        (path.find("/Source") != std::string::npos ? equivalences_.back().first
                                                   : equivalences_.back().second) = value;
      } else if (!standards_.empty()) {
        json* target = &standards_.back();
        for (const char* key : *FieldOf(path)) target = &(*target)[key];
        *target = value;
      }
    }
    in_field_ = false;
    text_buffer_.clear();
    stack_.pop_back();
  }

  // The JSON keys an element's text goes to, for the elements read; null for the others.
  static const std::vector<const char*>* FieldOf(const std::string& path) {
    static const std::vector<std::pair<std::string, std::vector<const char*>>> fields = {
        {"LearningStandard/LearningStandardId", {"learningStandardId"}},
        {"LearningStandard/Description", {"description"}},
        {"LearningStandard/ParentLearningStandardReference/LearningStandardIdentity/"
         "LearningStandardId",
         {"parentLearningStandardReference", "learningStandardId"}},
        {"LearningStandardEquivalenceAssociation/SourceLearningStandardReference/"
         "LearningStandardIdentity/LearningStandardId",
         {}},
        {"LearningStandardEquivalenceAssociation/TargetLearningStandardReference/"
         "LearningStandardIdentity/LearningStandardId",
         {}},
    };
    for (const auto& field : fields) {
      if (field.first == path) return &field.second;
    }
    return nullptr;
  }

  std::string_view text_;
  std::string source_;
  size_t pos_ = 0;
  std::vector<std::string> stack_;
  size_t line_offset_ = 0;  // LineAt's cursor
  size_t line_ = 1;
  bool in_field_ = false;
  std::string text_buffer_;
  std::vector<json> standards_;
  std::vector<std::string> paths_;
  std::vector<std::pair<std::string, std::string>> equivalences_;
};

bool LooksLikeXml(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n\xef\xbb\xbf");
  return first != std::string_view::npos && text[first] == '<';
}

}  // namespace

Result<ImportedEdFi> ParseEdFiLearningStandards(std::string_view text,
                                                std::string_view source_name) {
  const std::string source(source_name);
  if (LooksLikeXml(text)) {
    XmlStandardsReader reader(text, source);
    PATHWISE_RETURN_IF_ERROR(reader.Read());
    std::vector<const json*> resources;
    for (const json& standard : reader.standards()) resources.push_back(&standard);
    PATHWISE_ASSIGN_OR_RETURN(ImportedEdFi out, ImportResources(resources, reader.paths(), source));
    for (const auto& [from, to] : reader.equivalences()) {
      if (out.graph.FindCompetency(from) == nullptr || out.graph.FindCompetency(to) == nullptr) {
        out.notes.push_back("LearningStandardEquivalenceAssociation " + from + " -> " + to +
                            ": an end is not in the file; skipped");
        continue;
      }
      out.equivalences.emplace_back(from, to);
    }
    return out;
  }
  PATHWISE_ASSIGN_OR_RETURN(json document, io_internal::ParseJsonDocument(text, source_name));
  std::vector<const json*> resources;
  std::vector<std::string> paths;
  if (document.is_array()) {
    for (size_t i = 0; i < document.size(); ++i) {
      resources.push_back(&document[i]);
      paths.push_back("[" + std::to_string(i) + "]");
    }
  } else {
    resources.push_back(&document);
    paths.push_back("$");
  }
  return ImportResources(resources, paths, source);
}

Result<ImportedEdFi> ReadEdFiLearningStandards(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  return ParseEdFiLearningStandards(text, path);
}

}  // namespace pathwise
