#include "app/fit_job_params.h"

#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace pathwise::app {
namespace {

using nlohmann::json;

// 2: every FitOptions field; params without a format (1) held only the scalar options.
constexpr int kFormat = 2;

json Optional(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

json RangeJson(const ParamRange& range) { return json::array({range.lower, range.upper}); }

json BetaJson(const BetaPrior& beta) { return json::array({beta.a, beta.b}); }

// The five BKT parameters of a group (BktParams, ParamBounds, FixedParams, ParamPriors), named as
// the JSON names them: one list, so that writing and reading cannot disagree.
template <typename Group, typename Visit>
void ForEachParam(Group& group, Visit&& visit) {
  visit("prior", group.prior);
  visit("learn", group.learn);
  visit("forget", group.forget);
  visit("guess", group.guess);
  visit("slip", group.slip);
}

// {"prior": to_json(group.prior), ...}.
template <typename Group, typename ToJson>
json ParamsJson(const Group& group, ToJson&& to_json) {
  json out = json::object();
  ForEachParam(group, [&](const char* name, const auto& value) { out[name] = to_json(value); });
  return out;
}

// Reading: each accessor names the field it could not read, from the root of the options.
class Reader {
 public:
  Status error() const { return error_; }

  const json* Find(const json& object, const char* key, const std::string& path) {
    if (!error_.ok()) return nullptr;
    if (!object.is_object()) {
      Fail(path, "must be an object");
      return nullptr;
    }
    auto it = object.find(key);
    if (it == object.end()) {
      Fail(path + "." + key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  double Number(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr) return 0.0;
    if (!value->is_number()) Fail(path + "." + key, "must be a number");
    return value->is_number() ? value->get<double>() : 0.0;
  }

  int64_t Integer(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) Fail(path + "." + key, "must be an integer");
    return value->is_number_integer() ? value->get<int64_t>() : 0;
  }

  uint64_t Unsigned(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr) return 0;
    if (!value->is_number_unsigned()) Fail(path + "." + key, "must be a non-negative integer");
    return value->is_number_unsigned() ? value->get<uint64_t>() : 0;
  }

  bool Bool(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr) return false;
    if (!value->is_boolean()) Fail(path + "." + key, "must be true or false");
    return value->is_boolean() && value->get<bool>();
  }

  std::optional<double> OptionalNumber(const json& object, const char* key,
                                       const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_number()) Fail(path + "." + key, "must be a number or null");
    return value->is_number() ? std::optional<double>(value->get<double>()) : std::nullopt;
  }

  std::pair<double, double> Pair(const json& object, const char* key, const std::string& path) {
    const json* value = Find(object, key, path);
    if (value == nullptr) return {0.0, 0.0};
    if (!value->is_array() || value->size() != 2 || !(*value)[0].is_number() ||
        !(*value)[1].is_number()) {
      Fail(path + "." + key, "must be an array of two numbers");
      return {0.0, 0.0};
    }
    return {(*value)[0].get<double>(), (*value)[1].get<double>()};
  }

  void Fail(const std::string& path, const std::string& what) {
    if (error_.ok()) error_ = Status::InvalidArgument("params_json: " + path + " " + what);
  }

 private:
  Status error_ = Status::Ok();
};

}  // namespace

std::string FitJobParamsToJson(const FitJobParams& params) {
  const FitOptions& o = params.options;
  const json start =
      o.start ? ParamsJson(*o.start, [](double value) { return json(value); }) : json(nullptr);
  json priors = ParamsJson(o.priors, BetaJson);
  priors["enabled"] = o.priors.enabled;
  json fixed_classes = json::object();
  for (const auto& [competency, classes] : o.fixed_classes) {
    json& target = fixed_classes[competency];
    target = json::object();
    for (const auto& [name, values] : classes) {
      target[name] = json{{"guess", Optional(values.guess)},
                          {"slip", Optional(values.slip)},
                          {"learn", Optional(values.learn)}};
    }
  }
  json options{{"max_iterations", o.max_iterations},
               {"tolerance", o.tolerance},
               {"restarts", o.restarts},
               {"seed", o.seed},
               {"start", start},
               {"bounds", ParamsJson(o.bounds, RangeJson)},
               {"fixed", ParamsJson(o.fixed, Optional)},
               {"fixed_classes", fixed_classes},
               {"forgets", o.forgets},
               {"multigs", o.multigs},
               {"multilearn", o.multilearn},
               {"multiprior", static_cast<int>(o.multiprior)},
               {"ibkt", o.ibkt},
               {"ibkt_l2", o.ibkt_l2},
               {"record_trace", o.record_trace},
               {"priors", priors},
               {"warnings",
                {{"bound_tolerance", o.warnings.bound_tolerance},
                 {"guess_plus_slip", o.warnings.guess_plus_slip},
                 {"no_learning", o.warnings.no_learning},
                 {"min_learners", static_cast<uint64_t>(o.warnings.min_learners)},
                 {"min_rows", static_cast<uint64_t>(o.warnings.min_rows)}}}};
  return json{{"format", kFormat}, {"model_name", params.model_name}, {"options", options}}.dump();
}

Result<FitJobParams> FitJobParamsFromJson(std::string_view params_json) {
  const json root = json::parse(params_json, nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return Status::InvalidArgument("params_json: not a JSON object");
  auto format = root.find("format");
  if (format == root.end()) {
    return Status::FailedPrecondition(
        "params_json: stored by an older server that kept only part of the fit options; the job "
        "cannot be re-run as it was submitted");
  }
  if (!format->is_number_integer() || format->get<int64_t>() != kFormat) {
    return Status::InvalidArgument("params_json: format " + format->dump() + " is not " +
                                   std::to_string(kFormat));
  }
  Reader r;
  FitJobParams out;
  const json* model_name = r.Find(root, "model_name", "params_json");
  if (model_name != nullptr && !model_name->is_string()) r.Fail("model_name", "must be a string");
  if (model_name != nullptr && model_name->is_string())
    out.model_name = model_name->get<std::string>();
  const json* options = r.Find(root, "options", "params_json");
  if (options == nullptr) return r.error();
  const std::string p = "options";
  FitOptions& o = out.options;
  o.max_iterations = static_cast<int>(r.Integer(*options, "max_iterations", p));
  o.tolerance = r.Number(*options, "tolerance", p);
  o.restarts = static_cast<int>(r.Integer(*options, "restarts", p));
  o.seed = r.Unsigned(*options, "seed", p);
  if (const json* start = r.Find(*options, "start", p); start != nullptr && !start->is_null()) {
    BktParams s;
    ForEachParam(
        s, [&](const char* key, double& target) { target = r.Number(*start, key, p + ".start"); });
    o.start = s;
  }
  if (const json* bounds = r.Find(*options, "bounds", p)) {
    ForEachParam(o.bounds, [&](const char* key, ParamRange& target) {
      const std::pair<double, double> range = r.Pair(*bounds, key, p + ".bounds");
      target = ParamRange{range.first, range.second};
    });
  }
  if (const json* fixed = r.Find(*options, "fixed", p)) {
    ForEachParam(o.fixed, [&](const char* key, std::optional<double>& target) {
      target = r.OptionalNumber(*fixed, key, p + ".fixed");
    });
  }
  if (const json* classes = r.Find(*options, "fixed_classes", p)) {
    if (!classes->is_object()) r.Fail(p + ".fixed_classes", "must be an object");
    for (auto competency = classes->begin(); classes->is_object() && competency != classes->end();
         ++competency) {
      const std::string at = p + ".fixed_classes." + competency.key();
      if (!competency->is_object()) r.Fail(at, "must be an object");
      for (auto name = competency->begin(); competency->is_object() && name != competency->end();
           ++name) {
        const std::string inner = at + "." + name.key();
        ActivityParams values;
        values.guess = r.OptionalNumber(*name, "guess", inner);
        values.slip = r.OptionalNumber(*name, "slip", inner);
        values.learn = r.OptionalNumber(*name, "learn", inner);
        o.fixed_classes[competency.key()][name.key()] = values;
      }
    }
  }
  o.forgets = r.Bool(*options, "forgets", p);
  o.multigs = r.Bool(*options, "multigs", p);
  o.multilearn = r.Bool(*options, "multilearn", p);
  const int64_t multiprior = r.Integer(*options, "multiprior", p);
  if (multiprior < 0 || multiprior > static_cast<int>(PriorGroupSource::kFirstResponse)) {
    r.Fail(p + ".multiprior", "is not a known prior group source");
  }
  o.multiprior = static_cast<PriorGroupSource>(multiprior);
  o.ibkt = r.Bool(*options, "ibkt", p);
  o.ibkt_l2 = r.Number(*options, "ibkt_l2", p);
  o.record_trace = r.Bool(*options, "record_trace", p);
  if (const json* priors = r.Find(*options, "priors", p)) {
    o.priors.enabled = r.Bool(*priors, "enabled", p + ".priors");
    ForEachParam(o.priors, [&](const char* key, BetaPrior& target) {
      const std::pair<double, double> beta = r.Pair(*priors, key, p + ".priors");
      target = BetaPrior{beta.first, beta.second};
    });
  }
  if (const json* warnings = r.Find(*options, "warnings", p)) {
    const std::string at = p + ".warnings";
    o.warnings.bound_tolerance = r.Number(*warnings, "bound_tolerance", at);
    o.warnings.guess_plus_slip = r.Number(*warnings, "guess_plus_slip", at);
    o.warnings.no_learning = r.Number(*warnings, "no_learning", at);
    o.warnings.min_learners = static_cast<size_t>(r.Unsigned(*warnings, "min_learners", at));
    o.warnings.min_rows = static_cast<size_t>(r.Unsigned(*warnings, "min_rows", at));
  }
  PATHWISE_RETURN_IF_ERROR(r.error());
  return out;
}

}  // namespace pathwise::app
