#include "service/proto_convert.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>

namespace pathwise::service {

// The app layer's request limits and checks, which every converter applies.
using app::CheckCount;
using app::DescribeNumber;
using app::IndexPath;
using app::PlanCall;
using app::RecommendCall;
using app::ServiceLimits;
using app::ValidateId;
using app::ValidateText;

namespace {

// 9999-12-31T23:59:59.999Z: the latest timestamp ISO 8601 (and every client library) can print.
constexpr int64_t kMaxTimestampMs = 253402300799999;

void AddProblem(std::vector<GraphProblem>* problems, GraphProblem::Kind kind, std::string path,
                std::string message) {
  problems->push_back({kind, std::move(path), std::move(message)});
}

// The first of prior, learn, guess and slip (the parameters without a default) that is absent, or
// null.
const char* MissingParam(const v1::BktParams& p) {
  if (!p.has_prior()) return "prior";
  if (!p.has_learn()) return "learn";
  if (!p.has_guess()) return "guess";
  if (!p.has_slip()) return "slip";
  return nullptr;
}

// BktParams message -> core. Range checks are the core's (BktParams::Validate, called by graph and
// model validation).
Result<BktParams> ParamsFromProto(const v1::BktParams& p, const std::string& path) {
  if (const char* missing = MissingParam(p)) {
    return Status::InvalidArgument(path + "." + missing + ": required");
  }
  BktParams out;
  out.prior = p.prior();
  out.learn = p.learn();
  out.forget = p.has_forget() ? p.forget() : 0.0;
  out.guess = p.guess();
  out.slip = p.slip();
  return out;
}

void ParamsToProto(const BktParams& p, v1::BktParams* out) {
  out->set_prior(p.prior);
  out->set_learn(p.learn);
  out->set_forget(p.forget);
  out->set_guess(p.guess);
  out->set_slip(p.slip);
}

// Graph message -> definition. Missing required parameters are MALFORMED problems; everything the
// core checks (ranges, NaN, references) is left to ValidateGraphDefinition.
GraphDefinition DefinitionFromProto(const v1::Graph& graph, std::vector<GraphProblem>* problems) {
  GraphDefinition def;
  def.groups.reserve(graph.groups_size());
  for (const v1::Group& g : graph.groups()) def.groups.push_back({g.id(), g.name(), g.parent()});
  def.competencies.reserve(graph.competencies_size());
  for (int i = 0; i < graph.competencies_size(); ++i) {
    const v1::Competency& c = graph.competencies(i);
    Competency out;
    out.id = c.id();
    out.name = c.name();
    out.description = c.description();
    out.group = c.group();
    if (c.has_params()) {
      if (const char* missing = MissingParam(c.params())) {
        AddProblem(problems, GraphProblem::Kind::kMalformed,
                   "graph." + IndexPath("competencies", i) + ".params." + missing, "required");
      } else {
        out.params = *ParamsFromProto(c.params(), "");
      }
    }
    if (c.has_mastery_threshold()) out.mastery_threshold = c.mastery_threshold();
    if (c.has_mastery_min_opportunities())
      out.mastery_min_opportunities = c.mastery_min_opportunities();
    if (c.has_mastery_recent_correct()) out.mastery_recent_correct = c.mastery_recent_correct();
    def.competencies.push_back(std::move(out));
  }
  def.prerequisites.reserve(graph.prerequisites_size());
  for (const v1::Prerequisite& p : graph.prerequisites()) {
    def.prerequisites.push_back({p.from(), p.to(), p.has_strength() ? p.strength() : 1.0});
  }
  def.activities.reserve(graph.activities_size());
  for (const v1::Activity& a : graph.activities()) {
    Activity out;
    out.id = a.id();
    out.name = a.name();
    out.competencies.reserve(a.competencies_size());
    for (const v1::PracticedCompetency& pc : a.competencies()) {
      out.competencies.push_back({pc.competency_id(), pc.has_weight() ? pc.weight() : 1.0});
    }
    if (a.has_difficulty()) out.difficulty = a.difficulty();
    if (a.has_expected_minutes()) out.expected_minutes = a.expected_minutes();
    out.kind = a.kind();
    out.tags.assign(a.tags().begin(), a.tags().end());
    def.activities.push_back(std::move(out));
  }
  return def;
}

Status CheckGraphCounts(const v1::Graph& graph, const ServiceLimits& limits) {
  PATHWISE_RETURN_IF_ERROR(CheckCount(graph.groups_size(), limits.max_graph_items, "graph.groups"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(graph.competencies_size(), limits.max_graph_items, "graph.competencies"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(graph.prerequisites_size(), limits.max_graph_items, "graph.prerequisites"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(graph.activities_size(), limits.max_graph_items, "graph.activities"));
  return Status::Ok();
}

Status CheckDefinitionCounts(const GraphDefinition& def, const ServiceLimits& limits) {
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(def.groups.size(), limits.max_graph_items, "graph_json.groups"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(def.competencies.size(), limits.max_graph_items, "graph_json.competencies"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(def.prerequisites.size(), limits.max_graph_items, "graph_json.prerequisites"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(def.activities.size(), limits.max_graph_items, "graph_json.activities"));
  return Status::Ok();
}

// Model map keys are ids of competencies, activities, learners or groups.
Status CheckKey(const std::string& key, const std::string& path, const ServiceLimits& limits) {
  return ValidateId(key, path, limits);
}

Result<ActivityParams> ActivityParamsFromProto(const v1::ActivityParams& p) {
  ActivityParams out;
  if (p.has_guess()) out.guess = p.guess();
  if (p.has_slip()) out.slip = p.slip();
  if (p.has_learn()) out.learn = p.learn();
  return out;
}

void ActivityParamsToProto(const ActivityParams& p, v1::ActivityParams* out) {
  if (p.guess) out->set_guess(*p.guess);
  if (p.slip) out->set_slip(*p.slip);
  if (p.learn) out->set_learn(*p.learn);
}

// Model validation must see the ids in a fixed order so that "the first bad value" is stable; the
// protobuf map iterates in an unspecified order, so keys are sorted first.
template <typename Value>
std::vector<std::pair<std::string, const Value*>> Sorted(
    const google::protobuf::Map<std::string, Value>& map) {
  std::vector<std::pair<std::string, const Value*>> out;
  out.reserve(map.size());
  for (const auto& [key, value] : map) out.emplace_back(key, &value);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Status CheckModelLimits(const BktModel& model, std::string_view prefix,
                        const ServiceLimits& limits) {
  const std::string p(prefix);
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.competencies.size(), limits.max_graph_items, p + ".competencies"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.activities.size(), limits.max_graph_items, p + ".activities"));
  PATHWISE_RETURN_IF_ERROR(CheckCount(model.competency_activities.size(), limits.max_graph_items,
                                      p + ".competency_activities"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.group_priors.size(), limits.max_graph_items, p + ".group_priors"));
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.learner_factors.size(), limits.max_graph_items, p + ".learner_factors"));
  PATHWISE_RETURN_IF_ERROR(CheckCount(model.competency_learn_classes.size(), limits.max_graph_items,
                                      p + ".competency_learn_classes"));
  for (const auto& [id, inner] : model.competency_learn_classes) {
    const std::string path = p + ".competency_learn_classes[" + id + "]";
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, path, limits));
    PATHWISE_RETURN_IF_ERROR(CheckCount(inner.size(), limits.max_graph_items, path));
    for (const auto& [name, unused] : inner) {
      PATHWISE_RETURN_IF_ERROR(CheckKey(name, path + "[" + name + "]", limits));
    }
  }
  for (const auto& [id, unused] : model.competencies) {
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, p + ".competencies[" + id + "]", limits));
  }
  for (const auto& [id, unused] : model.activities) {
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, p + ".activities[" + id + "]", limits));
  }
  for (const auto& [id, inner] : model.competency_activities) {
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, p + ".competency_activities[" + id + "]", limits));
    PATHWISE_RETURN_IF_ERROR(
        CheckCount(inner.size(), limits.max_graph_items, p + ".competency_activities[" + id + "]"));
    for (const auto& [activity, unused] : inner) {
      PATHWISE_RETURN_IF_ERROR(
          CheckKey(activity, p + ".competency_activities[" + id + "][" + activity + "]", limits));
    }
  }
  for (const auto& [id, inner] : model.group_priors) {
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, p + ".group_priors[" + id + "]", limits));
    PATHWISE_RETURN_IF_ERROR(
        CheckCount(inner.size(), limits.max_graph_items, p + ".group_priors[" + id + "]"));
    for (const auto& [group, unused] : inner) {
      PATHWISE_RETURN_IF_ERROR(
          CheckKey(group, p + ".group_priors[" + id + "][" + group + "]", limits));
    }
  }
  for (const auto& [id, unused] : model.learner_factors) {
    PATHWISE_RETURN_IF_ERROR(CheckKey(id, p + ".learner_factors[" + id + "]", limits));
  }
  return Status::Ok();
}

// "guess: must be ..." under "defaults" -> "defaults.guess: must be ..."; a message that does not
// start with a field path ("guess + slip must be below 1") gets "defaults: " in front instead.
Status WithFieldPath(const Status& status, const std::string& prefix) {
  if (status.ok()) return status;
  const std::string& message = status.message();
  const size_t colon = message.find(": ");
  const bool path_first = colon != std::string::npos && colon > 0 && message.find(' ') > colon;
  if (!path_first) return status.WithContext(prefix);
  return Status(status.code(), prefix + (message.front() == '[' ? "" : ".") + message);
}

Status ValidateModel(const BktModel& model, std::string_view prefix) {
  PATHWISE_RETURN_IF_ERROR(WithFieldPath(model.Validate(), std::string(prefix)));
  PATHWISE_RETURN_IF_ERROR(WithFieldPath(ValidateFittedVariants(model), std::string(prefix)));
  return Status::Ok();
}

v1::ScorePart ToProto(ScorePart part) {
  switch (part) {
    case ScorePart::kReadiness:
      return v1::SCORE_PART_READINESS;
    case ScorePart::kGoalRelevance:
      return v1::SCORE_PART_GOAL_RELEVANCE;
    case ScorePart::kDifficultyFit:
      return v1::SCORE_PART_DIFFICULTY_FIT;
    case ScorePart::kRemediation:
      return v1::SCORE_PART_REMEDIATION;
    case ScorePart::kReviewDue:
      return v1::SCORE_PART_REVIEW_DUE;
    case ScorePart::kContinuity:
      return v1::SCORE_PART_CONTINUITY;
    case ScorePart::kLearningProgress:
      return v1::SCORE_PART_LEARNING_PROGRESS;
  }
  return v1::SCORE_PART_UNSPECIFIED;
}

v1::UnreachableReason ToProto(UnreachableReason reason) {
  switch (reason) {
    case UnreachableReason::kNone:
      return v1::UNREACHABLE_REASON_UNSPECIFIED;
    case UnreachableReason::kForgettingCeiling:
      return v1::UNREACHABLE_REASON_FORGETTING_CEILING;
    case UnreachableReason::kNoActivity:
      return v1::UNREACHABLE_REASON_NO_ACTIVITY;
    case UnreachableReason::kBlockedByPrerequisite:
      return v1::UNREACHABLE_REASON_BLOCKED_BY_PREREQUISITE;
  }
  return v1::UNREACHABLE_REASON_UNSPECIFIED;
}

// One problem per line of a multi-line parse error ("graph_json:3:5: ..." or
// "graph_json: competencies[2].id: ..."), with the path up to the first ": " after the source.
void ParseErrorToProblems(const Status& status, std::vector<GraphProblem>* problems) {
  const std::string& message = status.message();
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string line = message.substr(start, end - start);
    if (!line.empty()) {
      std::string path = "graph_json";
      std::string text = line;
      const std::string head = "graph_json: ";
      if (line.rfind(head, 0) == 0) {
        text = line.substr(head.size());
        const size_t colon = text.find(": ");
        if (colon != std::string::npos && text.find(' ') > colon) {
          path += "." + text.substr(0, colon);
          text = text.substr(colon + 2);
        }
      }
      AddProblem(problems, GraphProblem::Kind::kMalformed, std::move(path), std::move(text));
    }
    start = end + 1;
  }
}

}  // namespace

// ---- Graph --------------------------------------------------------------------------------------

Result<CheckedGraph> CheckGraph(const v1::Graph* graph, const std::string* graph_json,
                                const ServiceLimits& limits) {
  if ((graph == nullptr) == (graph_json == nullptr)) {
    return Status::InvalidArgument("definition: give exactly one of graph or graph_json");
  }
  CheckedGraph checked;
  std::string prefix;
  if (graph != nullptr) {
    PATHWISE_RETURN_IF_ERROR(CheckGraphCounts(*graph, limits));
    checked.definition = DefinitionFromProto(*graph, &checked.problems);
    prefix = "graph";
  } else {
    Result<GraphDefinition> parsed = ParseGraphJson(*graph_json, "graph_json");
    if (!parsed.ok()) {
      ParseErrorToProblems(parsed.status(), &checked.problems);
      return checked;
    }
    checked.definition = std::move(parsed).value();
    PATHWISE_RETURN_IF_ERROR(CheckDefinitionCounts(checked.definition, limits));
    prefix = "graph_json";
  }
  // An empty graph would be stored as the latest version and hide every learner's mastery until a
  // full graph came back.
  if (checked.definition.competencies.empty()) {
    AddProblem(&checked.problems, GraphProblem::Kind::kMalformed,
               app::JoinFieldPath(prefix, "competencies"), "a graph needs at least one competency");
  }
  app::CheckGraphDefinitionLimits(checked.definition, prefix, limits, &checked.problems);
  for (GraphProblem& p : ValidateGraphDefinition(checked.definition)) {
    AddProblem(&checked.problems, p.kind, app::JoinFieldPath(prefix, p.path), std::move(p.message));
  }
  return checked;
}

namespace {

v1::GraphProblem::Kind KindToProto(GraphProblem::Kind kind) {
  switch (kind) {
    case GraphProblem::Kind::kMissingId:
      return v1::GraphProblem::MISSING_ID;
    case GraphProblem::Kind::kDuplicateId:
      return v1::GraphProblem::DUPLICATE_ID;
    case GraphProblem::Kind::kSelfLoop:
      return v1::GraphProblem::SELF_LOOP;
    case GraphProblem::Kind::kDuplicateEdge:
      return v1::GraphProblem::DUPLICATE_EDGE;
    case GraphProblem::Kind::kDanglingReference:
      return v1::GraphProblem::DANGLING_REFERENCE;
    case GraphProblem::Kind::kOutOfRange:
      return v1::GraphProblem::OUT_OF_RANGE;
    case GraphProblem::Kind::kEmptyActivity:
      return v1::GraphProblem::EMPTY_ACTIVITY;
    case GraphProblem::Kind::kCycle:
      return v1::GraphProblem::CYCLE;
    case GraphProblem::Kind::kMalformed:
      return v1::GraphProblem::MALFORMED;
  }
  return v1::GraphProblem::KIND_UNSPECIFIED;
}

}  // namespace

void ToProto(const GraphProblem& problem, v1::GraphProblem* out) {
  out->set_kind(KindToProto(problem.kind));
  out->set_path(problem.path);
  out->set_message(problem.message);
}

void ToProto(const GraphDefinition& def, v1::Graph* out) {
  out->Clear();
  for (const Group& g : def.groups) {
    v1::Group* group = out->add_groups();
    group->set_id(g.id);
    group->set_name(g.name);
    group->set_parent(g.parent);
  }
  for (const Competency& c : def.competencies) {
    v1::Competency* competency = out->add_competencies();
    competency->set_id(c.id);
    competency->set_name(c.name);
    competency->set_description(c.description);
    competency->set_group(c.group);
    if (c.params) ParamsToProto(*c.params, competency->mutable_params());
    competency->set_mastery_threshold(c.mastery_threshold);
    if (c.mastery_min_opportunities)
      competency->set_mastery_min_opportunities(*c.mastery_min_opportunities);
    if (c.mastery_recent_correct) competency->set_mastery_recent_correct(*c.mastery_recent_correct);
  }
  for (const Prerequisite& p : def.prerequisites) {
    v1::Prerequisite* prerequisite = out->add_prerequisites();
    prerequisite->set_from(p.from);
    prerequisite->set_to(p.to);
    prerequisite->set_strength(p.strength);
  }
  for (const Activity& a : def.activities) {
    v1::Activity* activity = out->add_activities();
    activity->set_id(a.id);
    activity->set_name(a.name);
    for (const PracticedCompetency& pc : a.competencies) {
      v1::PracticedCompetency* practiced = activity->add_competencies();
      practiced->set_competency_id(pc.competency_id);
      practiced->set_weight(pc.weight);
    }
    if (a.difficulty) activity->set_difficulty(*a.difficulty);
    activity->set_expected_minutes(a.expected_minutes);
    activity->set_kind(a.kind);
    for (const std::string& tag : a.tags) activity->add_tags(tag);
  }
}

// ---- Model --------------------------------------------------------------------------------------

Result<BktModel> ModelFromProto(const v1::Model& model, const ServiceLimits& limits,
                                std::string_view prefix) {
  const std::string p(prefix);
  BktModel out;
  if (model.has_defaults()) {
    PATHWISE_ASSIGN_OR_RETURN(out.defaults, ParamsFromProto(model.defaults(), p + ".defaults"));
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.competencies_size(), limits.max_graph_items, p + ".competencies"));
  for (const auto& [id, params] : Sorted(model.competencies())) {
    PATHWISE_ASSIGN_OR_RETURN(out.competencies[id],
                              ParamsFromProto(*params, p + ".competencies[" + id + "]"));
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.activities_size(), limits.max_graph_items, p + ".activities"));
  for (const auto& [id, params] : Sorted(model.activities())) {
    PATHWISE_ASSIGN_OR_RETURN(out.activities[id], ActivityParamsFromProto(*params));
  }
  PATHWISE_RETURN_IF_ERROR(CheckCount(model.competency_activities_size(), limits.max_graph_items,
                                      p + ".competency_activities"));
  for (const auto& [id, inner] : Sorted(model.competency_activities())) {
    PATHWISE_RETURN_IF_ERROR(CheckCount(inner->activities_size(), limits.max_graph_items,
                                        p + ".competency_activities[" + id + "]"));
    std::map<std::string, ActivityParams>& target = out.competency_activities[id];
    for (const auto& [activity, params] : Sorted(inner->activities())) {
      PATHWISE_ASSIGN_OR_RETURN(target[activity], ActivityParamsFromProto(*params));
    }
  }
  switch (model.prior_groups()) {
    case v1::PRIOR_GROUP_SOURCE_UNSPECIFIED:
      out.prior_groups = PriorGroupSource::kNone;
      break;
    case v1::PRIOR_GROUP_SOURCE_LEARNER_GROUP:
      out.prior_groups = PriorGroupSource::kLearnerGroup;
      break;
    case v1::PRIOR_GROUP_SOURCE_FIRST_RESPONSE:
      out.prior_groups = PriorGroupSource::kFirstResponse;
      break;
    default:
      return Status::InvalidArgument(p + ".prior_groups: unknown value " +
                                     std::to_string(model.prior_groups()));
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.group_priors_size(), limits.max_graph_items, p + ".group_priors"));
  for (const auto& [id, inner] : Sorted(model.group_priors())) {
    PATHWISE_RETURN_IF_ERROR(
        CheckCount(inner->priors_size(), limits.max_graph_items, p + ".group_priors[" + id + "]"));
    std::map<std::string, double>& target = out.group_priors[id];
    for (const auto& [group, prior] : Sorted(inner->priors())) target[group] = *prior;
  }
  PATHWISE_RETURN_IF_ERROR(
      CheckCount(model.learner_factors_size(), limits.max_graph_items, p + ".learner_factors"));
  for (const auto& [id, factors] : Sorted(model.learner_factors())) {
    out.learner_factors[id] = LearnerFactors{factors->prior_offset(), factors->learn_offset()};
  }
  PATHWISE_RETURN_IF_ERROR(CheckCount(model.competency_learn_classes_size(), limits.max_graph_items,
                                      p + ".competency_learn_classes"));
  for (const auto& [id, inner] : Sorted(model.competency_learn_classes())) {
    PATHWISE_RETURN_IF_ERROR(CheckCount(inner->learns_size(), limits.max_graph_items,
                                        p + ".competency_learn_classes[" + id + "]"));
    std::map<std::string, double>& target = out.competency_learn_classes[id];
    for (const auto& [name, learn] : Sorted(inner->learns())) target[name] = *learn;
  }
  PATHWISE_RETURN_IF_ERROR(CheckModelLimits(out, prefix, limits));
  PATHWISE_RETURN_IF_ERROR(ValidateModel(out, prefix));
  return out;
}

Result<BktModel> ModelFromJson(const std::string& model_json, const ServiceLimits& limits) {
  PATHWISE_ASSIGN_OR_RETURN(BktModel model, ParseModelJson(model_json, "model_json"));
  PATHWISE_RETURN_IF_ERROR(CheckModelLimits(model, "model_json", limits));
  return model;
}

void ToProto(const BktModel& model, v1::Model* out) {
  out->Clear();
  ParamsToProto(model.defaults, out->mutable_defaults());
  for (const auto& [id, params] : model.competencies) {
    ParamsToProto(params, &(*out->mutable_competencies())[id]);
  }
  for (const auto& [id, params] : model.activities) {
    ActivityParamsToProto(params, &(*out->mutable_activities())[id]);
  }
  for (const auto& [id, inner] : model.competency_activities) {
    v1::CompetencyActivityParams& target = (*out->mutable_competency_activities())[id];
    for (const auto& [activity, params] : inner) {
      ActivityParamsToProto(params, &(*target.mutable_activities())[activity]);
    }
  }
  switch (model.prior_groups) {
    case PriorGroupSource::kNone:
      out->set_prior_groups(v1::PRIOR_GROUP_SOURCE_UNSPECIFIED);
      break;
    case PriorGroupSource::kLearnerGroup:
      out->set_prior_groups(v1::PRIOR_GROUP_SOURCE_LEARNER_GROUP);
      break;
    case PriorGroupSource::kFirstResponse:
      out->set_prior_groups(v1::PRIOR_GROUP_SOURCE_FIRST_RESPONSE);
      break;
  }
  for (const auto& [id, inner] : model.group_priors) {
    v1::GroupPriors& target = (*out->mutable_group_priors())[id];
    for (const auto& [group, prior] : inner) (*target.mutable_priors())[group] = prior;
  }
  for (const auto& [id, factors] : model.learner_factors) {
    v1::LearnerFactors& target = (*out->mutable_learner_factors())[id];
    target.set_prior_offset(factors.prior_offset);
    target.set_learn_offset(factors.learn_offset);
  }
  for (const auto& [id, inner] : model.competency_learn_classes) {
    v1::LearnClassLearns& target = (*out->mutable_competency_learn_classes())[id];
    for (const auto& [name, learn] : inner) (*target.mutable_learns())[name] = learn;
  }
}

// ---- Learners -----------------------------------------------------------------------------------

Result<std::vector<Observation>> EventsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Observation>& events,
    const ServiceLimits& limits) {
  if (events.empty()) return Status::InvalidArgument("events: at least one event is required");
  PATHWISE_RETURN_IF_ERROR(CheckCount(events.size(), limits.max_batch_events, "events"));
  std::vector<Observation> out;
  out.reserve(events.size());
  for (int i = 0; i < events.size(); ++i) {
    const v1::Observation& e = events[i];
    // The field path is built only for an error: this loop runs for every ingested event.
    const auto at = [i](std::string_view field) {
      return IndexPath("events", static_cast<size_t>(i)) + "." + std::string(field);
    };
    const auto check_id = [&](const std::string& id, std::string_view field) -> Status {
      if (Status valid = ValidateId(id, field, limits); !valid.ok()) {
        return Status(valid.code(),
                      IndexPath("events", static_cast<size_t>(i)) + "." + valid.message());
      }
      return Status::Ok();
    };
    PATHWISE_RETURN_IF_ERROR(check_id(e.event_id(), "event_id"));
    PATHWISE_RETURN_IF_ERROR(check_id(e.learner_id(), "learner_id"));
    PATHWISE_RETURN_IF_ERROR(check_id(e.activity_id(), "activity_id"));
    if (!e.has_outcome()) return Status::InvalidArgument(at("outcome") + ": required");
    if (!(e.outcome() >= 0.0 && e.outcome() <= 1.0)) {
      return Status::InvalidArgument(at("outcome") + ": must be a credit in [0, 1], got " +
                                     DescribeNumber(e.outcome()));
    }
    if (e.timestamp_ms() < 0 || e.timestamp_ms() > kMaxTimestampMs) {
      return Status::InvalidArgument(at("timestamp_ms") + ": must be in [0, " +
                                     std::to_string(kMaxTimestampMs) + "], got " +
                                     std::to_string(e.timestamp_ms()));
    }
    out.push_back(
        Observation{e.event_id(), e.learner_id(), e.activity_id(), e.outcome(), e.timestamp_ms()});
  }
  return out;
}

void ToProto(const Observation& observation, v1::Observation* out) {
  out->set_event_id(observation.event_id);
  out->set_learner_id(observation.learner_id);
  out->set_activity_id(observation.activity_id);
  out->set_outcome(observation.outcome);
  out->set_timestamp_ms(observation.timestamp_ms);
}

void ToProto(const MasteryEstimate& estimate, v1::MasteryEstimate* out) {
  out->set_competency_id(estimate.competency_id);
  out->set_p_learned(estimate.p_learned);
  out->set_mastered(estimate.mastered);
  out->set_opportunities(estimate.opportunities);
  // The tracker marks "never practised" with 0 or, internally, the smallest int64.
  out->set_last_practiced_ms(estimate.last_practiced_ms > 0 ? estimate.last_practiced_ms : 0);
  out->set_recent_answers(estimate.recent_answers);
}

void ToProto(const GroupMastery& mastery, v1::GroupMastery* out) {
  out->set_group_id(mastery.group_id);
  out->set_p_learned(mastery.p_learned);
  out->set_mastered(mastery.mastered);
  out->set_members(static_cast<uint32_t>(mastery.members));
  out->set_members_mastered(static_cast<uint32_t>(mastery.members_mastered));
}

Result<std::vector<std::string>> IdsFromProto(
    const google::protobuf::RepeatedPtrField<std::string>& ids, std::string_view field,
    const ServiceLimits& limits) {
  PATHWISE_RETURN_IF_ERROR(CheckCount(ids.size(), limits.max_list_items, field));
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (int i = 0; i < ids.size(); ++i) {
    PATHWISE_RETURN_IF_ERROR(ValidateId(ids[i], IndexPath(field, i), limits));
    out.push_back(ids[i]);
  }
  return out;
}

// ---- Recommendations ----------------------------------------------------------------------------

Result<RecommendCall> RecommendCallFromProto(const v1::RecommendRequest& request,
                                             const ServiceLimits& limits) {
  RecommendCall call;
  PATHWISE_RETURN_IF_ERROR(ValidateId(request.learner_id(), "learner_id", limits));
  call.learner_id = request.learner_id();
  PATHWISE_ASSIGN_OR_RETURN(call.request.goals, IdsFromProto(request.goals(), "goals", limits));
  if (request.has_k()) {
    if (request.k() < 1 || request.k() > limits.max_k) {
      return Status::InvalidArgument("k: must be in [1, " + std::to_string(limits.max_k) +
                                     "], got " + std::to_string(request.k()));
    }
    call.request.k = request.k();
  }
  PATHWISE_ASSIGN_OR_RETURN(
      call.request.excluded_activities,
      IdsFromProto(request.excluded_activities(), "excluded_activities", limits));
  PATHWISE_ASSIGN_OR_RETURN(call.request.pinned_activities,
                            IdsFromProto(request.pinned_activities(), "pinned_activities", limits));
  if (request.has_time_budget_minutes()) {
    const double budget = request.time_budget_minutes();
    if (!(budget > 0.0) || std::isinf(budget)) {
      return Status::InvalidArgument("time_budget_minutes: must be finite and > 0, got " +
                                     DescribeNumber(budget));
    }
    call.request.time_budget_minutes = budget;
  }
  if (request.now_ms() < 0 || request.now_ms() > kMaxTimestampMs) {
    return Status::InvalidArgument("now_ms: must be in [0, " + std::to_string(kMaxTimestampMs) +
                                   "], got " + std::to_string(request.now_ms()));
  }
  call.request.now_ms = request.now_ms();
  switch (request.policy()) {
    case v1::POLICY_UNSPECIFIED:
    case v1::POLICY_MASTERY:
      call.policy = PolicyKind::kMastery;
      break;
    case v1::POLICY_RANDOM:
      call.policy = PolicyKind::kRandom;
      break;
    case v1::POLICY_CURRICULUM:
      call.policy = PolicyKind::kCurriculum;
      break;
    case v1::POLICY_ZPDES:
      call.policy = PolicyKind::kZpdes;
      break;
    default:
      return Status::InvalidArgument("policy: unknown value " + std::to_string(request.policy()));
  }
  call.require_known_learner = request.require_known_learner();
  return call;
}

void ToProto(const Recommendation& r, v1::Recommendation* out) {
  out->set_activity_id(r.activity_id);
  out->set_score(r.score);
  for (const PartScore& part : r.parts) {
    v1::PartScore* p = out->add_parts();
    p->set_part(ToProto(part.part));
    p->set_weight(part.weight);
    p->set_value(part.value);
    p->set_contribution(part.contribution());
    p->set_reason(part.reason);
  }
  for (const std::string& reason : r.reasons) out->add_reasons(reason);
  for (const std::string& id : r.competency_ids) out->add_competency_ids(id);
  out->set_expected_minutes(r.expected_minutes);
  if (r.predicted_correct >= 0.0) out->set_predicted_correct(r.predicted_correct);
  out->set_pinned(r.pinned);
}

Result<PlanCall> PlanCallFromProto(const v1::PlanPathwayRequest& request,
                                   const ServiceLimits& limits) {
  PlanCall call;
  PATHWISE_RETURN_IF_ERROR(ValidateId(request.learner_id(), "learner_id", limits));
  call.learner_id = request.learner_id();
  PATHWISE_ASSIGN_OR_RETURN(call.goals, IdsFromProto(request.goals(), "goals", limits));
  if (call.goals.empty()) return Status::InvalidArgument("goals: at least one goal is required");
  call.require_known_learner = request.require_known_learner();
  return call;
}

void ToProto(const Pathway& pathway, v1::Pathway* out) {
  out->set_learner_id(pathway.learner_id);
  for (const std::string& goal : pathway.goals) out->add_goals(goal);
  for (const std::string& goal : pathway.goals_mastered) out->add_goals_mastered(goal);
  for (const PathwayStep& step : pathway.steps) {
    v1::PathwayStep* s = out->add_steps();
    s->set_competency_id(step.competency_id);
    s->set_p_learned(step.p_learned);
    s->set_mastery_threshold(step.mastery_threshold);
    s->set_is_goal(step.is_goal);
    for (const std::string& id : step.prerequisites_in_plan) s->add_prerequisites_in_plan(id);
    for (const std::string& id : step.activity_ids) s->add_activity_ids(id);
    s->set_expected_opportunities(step.expected_opportunities);
    s->set_expected_minutes(step.expected_minutes);
    s->set_unreachable(ToProto(step.unreachable));
    s->set_unreachable_message(step.unreachable_message);
  }
  for (const UnreachableGoal& goal : pathway.unreachable) {
    v1::UnreachableGoal* g = out->add_unreachable();
    g->set_goal_id(goal.goal_id);
    g->set_reason(ToProto(goal.reason));
    g->set_cause_competency_id(goal.cause_competency_id);
    g->set_message(goal.message);
  }
  out->set_total_expected_opportunities(pathway.total_expected_opportunities);
  out->set_total_expected_minutes(pathway.total_expected_minutes);
  out->set_reachable(pathway.reachable());
}

v1::Policy ToProto(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kMastery:
      return v1::POLICY_MASTERY;
    case PolicyKind::kRandom:
      return v1::POLICY_RANDOM;
    case PolicyKind::kCurriculum:
      return v1::POLICY_CURRICULUM;
    case PolicyKind::kZpdes:
      return v1::POLICY_ZPDES;
  }
  return v1::POLICY_UNSPECIFIED;
}

// ---- Fitting ------------------------------------------------------------------------------------

namespace {

Status CheckFitCount(int64_t value, int64_t limit, const char* field) {
  if (value < 1 || value > limit) {
    return Status::InvalidArgument(std::string("options.") + field + ": must be in [1, " +
                                   std::to_string(limit) + "], got " + std::to_string(value));
  }
  return Status::Ok();
}

// A tolerance above 1 log-likelihood unit per row stops every fit after its first E-step, and an
// ibkt_l2 above 1e6 pins every learner offset at 0: both are mistakes, not settings.
constexpr double kMaxFitTolerance = 1.0;
constexpr double kMaxIbktL2 = 1e6;

}  // namespace

Result<FitOptions> FitOptionsFromProto(const v1::FitOptions& options, const ServiceLimits& limits) {
  FitOptions out;
  if (options.has_max_iterations()) {
    PATHWISE_RETURN_IF_ERROR(
        CheckFitCount(options.max_iterations(), limits.max_fit_iterations, "max_iterations"));
    out.max_iterations = options.max_iterations();
  }
  if (options.has_tolerance()) {
    if (!(options.tolerance() >= 0.0 && options.tolerance() <= kMaxFitTolerance)) {
      return Status::InvalidArgument("options.tolerance: must be in [0, 1], got " +
                                     DescribeNumber(options.tolerance()));
    }
    out.tolerance = options.tolerance();
  }
  if (options.has_restarts()) {
    PATHWISE_RETURN_IF_ERROR(
        CheckFitCount(options.restarts(), limits.max_fit_restarts, "restarts"));
    out.restarts = options.restarts();
  }
  if (options.has_seed()) out.seed = options.seed();
  out.forgets = options.forgets();
  out.multigs = options.multigs();
  out.multilearn = options.multilearn();
  switch (options.multiprior()) {
    case v1::PRIOR_GROUP_SOURCE_UNSPECIFIED:
      out.multiprior = PriorGroupSource::kNone;
      break;
    case v1::PRIOR_GROUP_SOURCE_FIRST_RESPONSE:
      out.multiprior = PriorGroupSource::kFirstResponse;
      break;
    case v1::PRIOR_GROUP_SOURCE_LEARNER_GROUP:
      return Status::InvalidArgument(
          "options.multiprior: PRIOR_GROUP_SOURCE_LEARNER_GROUP needs a learner group column, and "
          "stored events carry none; use PRIOR_GROUP_SOURCE_FIRST_RESPONSE");
    default:
      return Status::InvalidArgument("options.multiprior: unknown value " +
                                     std::to_string(options.multiprior()));
  }
  out.ibkt = options.ibkt();
  if (options.has_ibkt_l2()) {
    if (!(options.ibkt_l2() > 0.0 && options.ibkt_l2() <= kMaxIbktL2)) {
      return Status::InvalidArgument("options.ibkt_l2: must be in (0, 1e6], got " +
                                     DescribeNumber(options.ibkt_l2()));
    }
    out.ibkt_l2 = options.ibkt_l2();
  }
  PATHWISE_RETURN_IF_ERROR(out.Validate().WithContext("options"));
  return out;
}

}  // namespace pathwise::service
