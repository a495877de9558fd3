// BktParams as JSON, the one spelling shared by model files (model_io.h) and simulation reports
// (simulation_io.h). Private to pathwise::io.
#ifndef PATHWISE_SRC_IO_PARAMS_JSON_H_
#define PATHWISE_SRC_IO_PARAMS_JSON_H_

#include <nlohmann/json.hpp>

#include <pathwise/bkt.h>

namespace pathwise::io_internal {

/// {"prior": ..., "learn": ..., "forget": ..., "guess": ..., "slip": ...}, in that order.
inline nlohmann::ordered_json ParamsJson(const BktParams& params) {
  nlohmann::ordered_json j;
  j["prior"] = params.prior;
  j["learn"] = params.learn;
  j["forget"] = params.forget;
  j["guess"] = params.guess;
  j["slip"] = params.slip;
  return j;
}

}  // namespace pathwise::io_internal

#endif  // PATHWISE_SRC_IO_PARAMS_JSON_H_
