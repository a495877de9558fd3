// Converters between the wire messages (pathwise.v1) and the core's plain C++ types. Every
// FromProto validates what it reads (ids, ranges, NaN, limits) and names the offending field path
// in its Status; every ToProto is total. Unit-tested without a server
// (tests/service/proto_convert_test.cc).
#ifndef PATHWISE_SERVICE_PROTO_CONVERT_H_
#define PATHWISE_SERVICE_PROTO_CONVERT_H_

#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/fit.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "app/calls.h"
#include "app/limits.h"
#include "pathwise/v1/curriculum_service.pb.h"
#include "pathwise/v1/graph.pb.h"
#include "pathwise/v1/learner_service.pb.h"
#include "pathwise/v1/model.pb.h"
#include "pathwise/v1/model_service.pb.h"
#include "pathwise/v1/recommendation_service.pb.h"

namespace pathwise::service {

// ---- Graph --------------------------------------------------------------------------------------

/// A graph read from a request, and everything wrong with it.
struct CheckedGraph {
  GraphDefinition definition;
  /// Every problem, with field paths under "graph" or "graph_json"; empty when the graph is valid.
  /// Core problems until the proto boundary, so that ProblemsToStatus (competency_graph.h) turns
  /// them into one Status by the core's rule (FailedPrecondition only for cycles alone).
  std::vector<GraphProblem> problems;
};

/// Reads the graph of a PutGraph / ValidateGraph request, given either as a message (`graph`, may
/// be null) or as graph JSON (`graph_json`, may be null); exactly one must be non-null. Collects
/// every problem: JSON that does not parse and ids the service does not accept (kind kMalformed),
/// then the core's validation (ValidateGraphDefinition), each with its field path.
///
/// Returns InvalidArgument when neither form is given; ResourceExhausted "graph.<list>: ..." when a
/// list exceeds limits.max_graph_items (nothing else is read then).
///
/// Thread safety: pure function.
///
/// Example:
///
///     Result<CheckedGraph> checked = CheckGraph(&request.graph(), nullptr, limits);
///     if (!checked.ok()) return checked.status();
///     if (!checked->problems.empty()) return ProblemsToStatus(checked->problems);
Result<CheckedGraph> CheckGraph(const v1::Graph* graph, const std::string* graph_json,
                                const app::ServiceLimits& limits);

/// A problem as the ValidateGraph response lists it (GraphProblem::Kind to v1::GraphProblem::Kind
/// by name; kMalformed is MALFORMED).
void ToProto(const GraphProblem& problem, v1::GraphProblem* out);

/// The graph as a message, every optional field set explicitly.
void ToProto(const GraphDefinition& definition, v1::Graph* out);

// ---- Model --------------------------------------------------------------------------------------

/// Converts and validates a model message: ids and counts against `limits`, required parameters
/// present, then BktModel::Validate and ValidateFittedVariants. InvalidArgument naming the field
/// path under `prefix` (e.g. "model.competencies[fractions].slip"); ResourceExhausted for a map
/// over limits.max_graph_items.
Result<BktModel> ModelFromProto(const v1::Model& model, const app::ServiceLimits& limits,
                                std::string_view prefix = "model");

/// Model JSON (the "pathwise.bkt_model" format) with the same checks; errors are prefixed with
/// "model_json".
Result<BktModel> ModelFromJson(const std::string& model_json, const app::ServiceLimits& limits);

/// The model as a message.
void ToProto(const BktModel& model, v1::Model* out);

// ---- Learners -----------------------------------------------------------------------------------

/// The events of a RecordEvents request (or one StreamEvents message), validated: at least one
/// (InvalidArgument "events: ..."), at most limits.max_batch_events (ResourceExhausted), and for
/// each "events[i]": event_id, learner_id and activity_id valid ids, outcome present, finite and in
/// [0, 1], timestamp_ms in [0, 9999-12-31]. Whether the activity exists is the tracker's business.
Result<std::vector<Observation>> EventsFromProto(
    const google::protobuf::RepeatedPtrField<v1::Observation>& events,
    const app::ServiceLimits& limits);

void ToProto(const Observation& observation, v1::Observation* out);
void ToProto(const MasteryEstimate& estimate, v1::MasteryEstimate* out);
void ToProto(const GroupMastery& mastery, v1::GroupMastery* out);

/// A list of ids from a request: at most limits.max_list_items (ResourceExhausted) and each a valid
/// id (InvalidArgument "<field>[i]: ...").
Result<std::vector<std::string>> IdsFromProto(
    const google::protobuf::RepeatedPtrField<std::string>& ids, std::string_view field,
    const app::ServiceLimits& limits);

// ---- Recommendations ----------------------------------------------------------------------------

/// Validates learner_id, the id lists, k in [1, limits.max_k] (absent: 5), a finite positive time
/// budget and now_ms >= 0. InvalidArgument naming the field; ResourceExhausted for a list over
/// limits. Unknown goal / activity ids are left to the policy (NotFound).
Result<app::RecommendCall> RecommendCallFromProto(const v1::RecommendRequest& request,
                                                  const app::ServiceLimits& limits);

void ToProto(const Recommendation& recommendation, v1::Recommendation* out);

/// Validates learner_id and goals (at least one). InvalidArgument naming the field.
Result<app::PlanCall> PlanCallFromProto(const v1::PlanPathwayRequest& request,
                                        const app::ServiceLimits& limits);

void ToProto(const Pathway& pathway, v1::Pathway* out);

v1::Policy ToProto(PolicyKind kind);

// ---- Fitting ------------------------------------------------------------------------------------

/// The client-settable FitOptions over the library defaults, validated (FitOptions::Validate, with
/// paths under "options"). InvalidArgument also for multiprior from the learner group (stored
/// events carry no group), and for a count or number past its limit ("options.restarts: must be in
/// [1, 100], got 2000000000"; restarts and max_iterations by `limits`, tolerance in [0, 1],
/// ibkt_l2 in (0, 1e6]).
Result<FitOptions> FitOptionsFromProto(const v1::FitOptions& options,
                                       const app::ServiceLimits& limits);

}  // namespace pathwise::service

#endif  // PATHWISE_SERVICE_PROTO_CONVERT_H_
