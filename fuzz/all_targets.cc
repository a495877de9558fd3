#include "targets.h"

namespace pathwise::fuzz {

const std::vector<NamedTarget>& AllTargets() {
  static const std::vector<NamedTarget> targets = {
      {"graph_json", GraphJson},
      {"model_json", ModelJson},
      {"observations_csv", ObservationsCsv},
      {"response_log", ResponseLogFile},
      {"xapi", XapiStatements},
      {"caliper", CaliperEvents},
      {"case", CasePackage},
      {"edfi", EdFiStandards},
#ifdef PATHWISE_FUZZ_SERVICE
      {"server_config", ServerConfigJson},
      {"graph_message", GraphMessage},
      {"model_message", ModelMessage},
      {"events_message", EventsMessage},
#endif
  };
  return targets;
}

}  // namespace pathwise::fuzz
