// Model JSON (read/write) and the pyBKT params() export.
#include <algorithm>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/fit.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/pybkt_params.h>

#include "graph_io_internal.h"
#include "params_json.h"

namespace pathwise {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string ShortestText(double value) {
  char buffer[64];
  const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// Walks a parsed document; every error names the source and the field path.
class ModelReader {
 public:
  explicit ModelReader(std::string_view source) : source_(source) {}

  Status Error(const std::string& path, const std::string& message) const {
    return Status::InvalidArgument(source_ + ": " + path + ": " + message);
  }

  Status ExpectObject(const json& value, const std::string& path) const {
    if (!value.is_object())
      return Error(path, std::string("expected an object, got ") + value.type_name());
    return Status::Ok();
  }

  Status CheckKeys(const json& object, const std::string& path,
                   std::initializer_list<std::string_view> allowed) const {
    for (const auto& item : object.items()) {
      bool known = false;
      for (std::string_view key : allowed) known = known || item.key() == key;
      if (!known) {
        std::string list;
        for (std::string_view key : allowed) list += (list.empty() ? "" : ", ") + std::string(key);
        return Error(Join(path, item.key()), "unknown key (expected one of: " + list + ")");
      }
    }
    return Status::Ok();
  }

  // Reads object[key] as a number into *out; `found` tells whether it was there.
  Status Number(const json& object, const std::string& path, const char* key, bool required,
                double* out, bool* found = nullptr) const {
    auto it = object.find(key);
    if (found != nullptr) *found = it != object.end();
    if (it == object.end()) return required ? Error(Join(path, key), "missing") : Status::Ok();
    if (!it->is_number()) {
      return Error(Join(path, key), std::string("expected a number, got ") + it->type_name());
    }
    *out = it->get<double>();
    return Status::Ok();
  }

  Status Params(const json& value, const std::string& path, BktParams* params) const {
    PATHWISE_RETURN_IF_ERROR(ExpectObject(value, path));
    PATHWISE_RETURN_IF_ERROR(CheckKeys(value, path, {"prior", "learn", "forget", "guess", "slip"}));
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "prior", true, &params->prior));
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "learn", true, &params->learn));
    params->forget = 0.0;
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "forget", false, &params->forget));
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "guess", true, &params->guess));
    return Number(value, path, "slip", true, &params->slip);
  }

  Status Overrides(const json& value, const std::string& path, ActivityParams* overrides) const {
    PATHWISE_RETURN_IF_ERROR(ExpectObject(value, path));
    PATHWISE_RETURN_IF_ERROR(CheckKeys(value, path, {"guess", "slip", "learn"}));
    double x = 0.0;
    bool found = false;
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "guess", false, &x, &found));
    if (found) overrides->guess = x;
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "slip", false, &x, &found));
    if (found) overrides->slip = x;
    PATHWISE_RETURN_IF_ERROR(Number(value, path, "learn", false, &x, &found));
    if (found) overrides->learn = x;
    return Status::Ok();
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  static std::string Index(const std::string& path, const std::string& key) {
    return path + "[" + key + "]";
  }

 private:
  std::string source_;
};

Status ParseDocument(const json& doc, const ModelReader& reader, BktModel* model) {
  PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(doc, "(document)"));
  PATHWISE_RETURN_IF_ERROR(reader.CheckKeys(
      doc, "",
      {"format", "version", "defaults", "competencies", "activities", "competency_activities",
       "competency_learn_classes", "prior_groups", "group_priors", "learner_factors"}));
  auto format = doc.find("format");
  if (format == doc.end()) return reader.Error("format", "missing");
  if (!format->is_string() || format->get<std::string>() != kModelJsonFormat) {
    return reader.Error(
        "format", "expected \"" + std::string(kModelJsonFormat) + "\", got " + format->dump());
  }
  auto version = doc.find("version");
  if (version == doc.end()) return reader.Error("version", "missing");
  if (!version->is_number_integer() || version->get<int64_t>() != kModelJsonVersion) {
    return reader.Error("version", "unsupported version " + version->dump() +
                                       " (this build reads " + std::to_string(kModelJsonVersion) +
                                       ")");
  }
  if (auto it = doc.find("defaults"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.Params(*it, "defaults", &model->defaults));
  }
  if (auto it = doc.find("competencies"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "competencies"));
    for (const auto& item : it->items()) {
      PATHWISE_RETURN_IF_ERROR(reader.Params(item.value(),
                                             ModelReader::Index("competencies", item.key()),
                                             &model->competencies[item.key()]));
    }
  }
  if (auto it = doc.find("activities"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "activities"));
    for (const auto& item : it->items()) {
      PATHWISE_RETURN_IF_ERROR(reader.Overrides(item.value(),
                                                ModelReader::Index("activities", item.key()),
                                                &model->activities[item.key()]));
    }
  }
  if (auto it = doc.find("competency_activities"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "competency_activities"));
    for (const auto& competency : it->items()) {
      const std::string path = ModelReader::Index("competency_activities", competency.key());
      PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(competency.value(), path));
      for (const auto& activity : competency.value().items()) {
        PATHWISE_RETURN_IF_ERROR(
            reader.Overrides(activity.value(), ModelReader::Index(path, activity.key()),
                             &model->competency_activities[competency.key()][activity.key()]));
      }
    }
  }
  if (auto it = doc.find("competency_learn_classes"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "competency_learn_classes"));
    for (const auto& competency : it->items()) {
      const std::string path = ModelReader::Index("competency_learn_classes", competency.key());
      PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(competency.value(), path));
      for (const auto& learn_class : competency.value().items()) {
        if (!learn_class.value().is_number()) {
          return reader.Error(
              ModelReader::Index(path, learn_class.key()),
              std::string("expected a number, got ") + learn_class.value().type_name());
        }
        model->competency_learn_classes[competency.key()][learn_class.key()] =
            learn_class.value().get<double>();
      }
    }
  }
  if (auto it = doc.find("prior_groups"); it != doc.end()) {
    const std::string value = it->is_string() ? it->get<std::string>() : std::string();
    if (value == "none") {
      model->prior_groups = PriorGroupSource::kNone;
    } else if (value == "learner_group") {
      model->prior_groups = PriorGroupSource::kLearnerGroup;
    } else if (value == "first_response") {
      model->prior_groups = PriorGroupSource::kFirstResponse;
    } else {
      return reader.Error(
          "prior_groups",
          "expected \"none\", \"learner_group\" or \"first_response\", got " + it->dump());
    }
  }
  if (auto it = doc.find("group_priors"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "group_priors"));
    for (const auto& competency : it->items()) {
      const std::string path = ModelReader::Index("group_priors", competency.key());
      PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(competency.value(), path));
      for (const auto& group : competency.value().items()) {
        if (!group.value().is_number()) {
          return reader.Error(ModelReader::Index(path, group.key()),
                              std::string("expected a number, got ") + group.value().type_name());
        }
        model->group_priors[competency.key()][group.key()] = group.value().get<double>();
      }
    }
  }
  if (auto it = doc.find("learner_factors"); it != doc.end()) {
    PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(*it, "learner_factors"));
    for (const auto& learner : it->items()) {
      const std::string path = ModelReader::Index("learner_factors", learner.key());
      PATHWISE_RETURN_IF_ERROR(reader.ExpectObject(learner.value(), path));
      PATHWISE_RETURN_IF_ERROR(
          reader.CheckKeys(learner.value(), path, {"prior_offset", "learn_offset"}));
      LearnerFactors& factors = model->learner_factors[learner.key()];
      PATHWISE_RETURN_IF_ERROR(
          reader.Number(learner.value(), path, "prior_offset", false, &factors.prior_offset));
      PATHWISE_RETURN_IF_ERROR(
          reader.Number(learner.value(), path, "learn_offset", false, &factors.learn_offset));
    }
  }
  return Status::Ok();
}

ordered_json OverridesJson(const ActivityParams& o) {
  ordered_json j = ordered_json::object();
  if (o.guess) j["guess"] = *o.guess;
  if (o.slip) j["slip"] = *o.slip;
  if (o.learn) j["learn"] = *o.learn;
  return j;
}

const char* PriorGroupName(PriorGroupSource source) {
  switch (source) {
    case PriorGroupSource::kLearnerGroup:
      return "learner_group";
    case PriorGroupSource::kFirstResponse:
      return "first_response";
    case PriorGroupSource::kNone:
      break;
  }
  return "none";
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char ch : field) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

Status WriteText(const std::string& text, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Internal("cannot open '" + path + "' for writing");
  out << text;
  out.flush();
  if (!out) return Status::Internal("cannot write '" + path + "'");
  return Status::Ok();
}

}  // namespace

Result<BktModel> ParseModelJson(std::string_view text, std::string_view source_name) {
  const std::string source(source_name);
  PATHWISE_RETURN_IF_ERROR(io_internal::CheckJsonDepth(text, source, io_internal::kMaxJsonDepth));
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset just past the problem; report line and column of that byte.
    size_t line = 1, column = 1;
    const size_t end = std::min<size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    for (size_t i = 0; i < end; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    const size_t colon = what.find(": ", what.find("parse error"));
    if (colon != std::string::npos) what = what.substr(colon + 2);
    return Status::InvalidArgument(source + ":" + std::to_string(line) + ":" +
                                   std::to_string(column) + ": " + what);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
  BktModel model;
  try {
    PATHWISE_RETURN_IF_ERROR(ParseDocument(doc, ModelReader(source), &model));
  } catch (const json::exception& e) {
    return Status::InvalidArgument(source + ": " + e.what());
  }
  PATHWISE_RETURN_IF_ERROR(model.Validate().WithContext(source));
  PATHWISE_RETURN_IF_ERROR(ValidateFittedVariants(model).WithContext(source));
  return model;
}

Result<BktModel> ReadModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open model file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Internal("cannot read model file '" + path + "'");
  return ParseModelJson(text.str(), path);
}

std::string WriteModelJson(const BktModel& model) {
  ordered_json doc;
  doc["format"] = std::string(kModelJsonFormat);
  doc["version"] = kModelJsonVersion;
  doc["defaults"] = io_internal::ParamsJson(model.defaults);
  if (!model.competencies.empty()) {
    ordered_json& section = doc["competencies"];
    for (const auto& [id, params] : model.competencies)
      section[id] = io_internal::ParamsJson(params);
  }
  if (!model.activities.empty()) {
    ordered_json& section = doc["activities"];
    for (const auto& [id, overrides] : model.activities) section[id] = OverridesJson(overrides);
  }
  if (!model.competency_activities.empty()) {
    ordered_json& section = doc["competency_activities"];
    for (const auto& [competency, activities] : model.competency_activities) {
      ordered_json& inner = section[competency];
      inner = ordered_json::object();
      for (const auto& [id, overrides] : activities) inner[id] = OverridesJson(overrides);
    }
  }
  if (!model.competency_learn_classes.empty()) {
    ordered_json& section = doc["competency_learn_classes"];
    for (const auto& [competency, classes] : model.competency_learn_classes) {
      ordered_json& inner = section[competency];
      inner = ordered_json::object();
      for (const auto& [name, learn] : classes) inner[name] = learn;
    }
  }
  if (model.prior_groups != PriorGroupSource::kNone)
    doc["prior_groups"] = PriorGroupName(model.prior_groups);
  if (!model.group_priors.empty()) {
    ordered_json& section = doc["group_priors"];
    for (const auto& [competency, groups] : model.group_priors) {
      ordered_json& inner = section[competency];
      inner = ordered_json::object();
      for (const auto& [group, prior] : groups) inner[group] = prior;
    }
  }
  if (!model.learner_factors.empty()) {
    ordered_json& section = doc["learner_factors"];
    for (const auto& [learner, factors] : model.learner_factors) {
      section[learner] = {{"prior_offset", factors.prior_offset},
                          {"learn_offset", factors.learn_offset}};
    }
  }
  return doc.dump(2) + "\n";
}

Status WriteModelFile(const BktModel& model, const std::string& path) {
  return WriteText(WriteModelJson(model), path);
}

std::string ExportPyBktParams(const BktModel& model) {
  std::string out = "skill,param,class,value\n";
  auto row = [&](const std::string& skill, const char* param, const std::string& cls,
                 double value) {
    out += CsvField(skill) + "," + param + "," + CsvField(cls) + "," + ShortestText(value) + "\n";
  };
  for (const auto& entry : model.competencies) {
    // Named references, not a structured binding: the lambdas below capture them (C++17).
    const std::string& skill = entry.first;
    const BktParams& params = entry.second;
    const std::map<std::string, ActivityParams>* per_activity = nullptr;
    if (auto it = model.competency_activities.find(skill);
        it != model.competency_activities.end()) {
      per_activity = &it->second;
    }
    row(skill, "prior", "default", params.prior);
    if (auto it = model.group_priors.find(skill); it != model.group_priors.end()) {
      for (const auto& [group, prior] : it->second) row(skill, "prior", group, prior);
    }
    // One param's rows: every activity with an override of `field`, then the competency's value.
    // With repeat_own the activities' rows repeat the competency's value (forgets keyed by learn
    // classes).
    auto rows = [&](const char* param, std::optional<double> ActivityParams::*field, double own,
                    bool repeat_own) {
      if (per_activity != nullptr) {
        for (const auto& [activity, overrides] : *per_activity) {
          const std::optional<double>& value = overrides.*field;
          if (value) row(skill, param, activity, repeat_own ? own : *value);
        }
      }
      row(skill, param, "default", own);
    };
    auto learn_classes = model.competency_learn_classes.find(skill);
    if (learn_classes != model.competency_learn_classes.end()) {
      // Learns per class of their own column (fit.h): forgets are keyed by the same classes.
      for (const auto& [name, learn] : learn_classes->second) row(skill, "learns", name, learn);
      row(skill, "learns", "default", params.learn);
    } else {
      rows("learns", &ActivityParams::learn, params.learn, false);
    }
    rows("guesses", &ActivityParams::guess, params.guess, false);
    rows("slips", &ActivityParams::slip, params.slip, false);
    if (learn_classes != model.competency_learn_classes.end()) {
      for (const auto& [name, unused] : learn_classes->second)
        row(skill, "forgets", name, params.forget);
      row(skill, "forgets", "default", params.forget);
    } else {
      rows("forgets", &ActivityParams::learn, params.forget, true);
    }
  }
  return out;
}

Status WritePyBktParamsFile(const BktModel& model, const std::string& path) {
  return WriteText(ExportPyBktParams(model), path);
}

}  // namespace pathwise
