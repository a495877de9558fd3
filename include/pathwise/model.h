// A BKT model: parameters per competency plus optional per-activity overrides.
#ifndef PATHWISE_MODEL_H_
#define PATHWISE_MODEL_H_

#include <map>
#include <optional>
#include <string>

#include <pathwise/bkt.h>
#include <pathwise/status.h>

namespace pathwise {

/// Parameters of one activity that override its competencies' (per-activity guess/slip as in pyBKT's
/// multigs, per-activity learn as in multilearn). Unset fields fall back to the competency's.
struct ActivityParams {
  std::optional<double> guess;
  std::optional<double> slip;
  std::optional<double> learn;

  friend bool operator==(const ActivityParams& a, const ActivityParams& b) {
    return a.guess == b.guess && a.slip == b.slip && a.learn == b.learn;
  }
};

/// BKT parameters for a curriculum.
///
/// Which parameters a competency uses: `competencies[id]` if present, else the params authored on the
/// competency in the graph, else `defaults`. An activity's entry in `activities` then overrides guess, slip
/// and learn of every competency it practises.
struct BktModel {
  BktParams defaults;                             ///< for competencies with nothing more specific
  std::map<std::string, BktParams> competencies;  ///< by competency id
  std::map<std::string, ActivityParams> activities;  ///< by activity id

  /// InvalidArgument naming the field path (e.g. "competencies[fractions].slip") of the first bad value:
  /// every BktParams must pass BktParams::Validate, every override be in [0, 1], and guess + slip < 1 for
  /// every combination an override can produce with the defaults or the competency's own params.
  Status Validate() const;

  /// `competencies[id]`, or `authored` when absent and given, else `defaults`.
  BktParams ParamsFor(const std::string& competency_id,
                             const std::optional<BktParams>& authored = std::nullopt) const;
  /// ParamsFor(competency) with the activity's overrides applied.
  BktParams ParamsFor(const std::string& competency_id, const std::string& activity_id,
                      const std::optional<BktParams>& authored = std::nullopt) const;
};

}  // namespace pathwise

#endif  // PATHWISE_MODEL_H_
