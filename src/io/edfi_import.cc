// Ed-Fi LearningStandard resources (API JSON) -> competency graph.
#include <algorithm>
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/standards_io.h>

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

}  // namespace

Result<ImportedEdFi> ParseEdFiLearningStandards(std::string_view text,
                                                std::string_view source_name) {
  PATHWISE_ASSIGN_OR_RETURN(json document, io_internal::ParseJsonDocument(text, source_name));
  const std::string source(source_name);
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

Result<ImportedEdFi> ReadEdFiLearningStandards(const std::string& path) {
  PATHWISE_ASSIGN_OR_RETURN(std::string text, io_internal::ReadFileToString(path));
  return ParseEdFiLearningStandards(text, path);
}

}  // namespace pathwise
