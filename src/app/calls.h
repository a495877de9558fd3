// What a Recommend or a PlanPathway call asks of a tenant, read from the request by the service's
// converters (RecommendCallFromProto, PlanCallFromProto) and served by Tenant::Recommend / Plan.
#ifndef PATHWISE_APP_CALLS_H_
#define PATHWISE_APP_CALLS_H_

#include <string>
#include <vector>

#include <pathwise/recommender.h>

namespace pathwise::app {

/// A Recommend call.
struct RecommendCall {
  std::string learner_id;
  PolicyKind policy = PolicyKind::kMastery;
  /// False (the default): a learner with no stored events gets the cold-start recommendation.
  bool require_known_learner = false;
  RecommendRequest request;
};

/// A PlanPathway call.
struct PlanCall {
  std::string learner_id;
  std::vector<std::string> goals;
  /// False (the default): a learner with no stored events is planned from the priors.
  bool require_known_learner = false;
};

}  // namespace pathwise::app

#endif  // PATHWISE_APP_CALLS_H_
