// Exporting fitted BKT parameters in pyBKT's layout, to compare a fit with pyBKT's.
#ifndef PATHWISE_IO_PYBKT_PARAMS_H_
#define PATHWISE_IO_PYBKT_PARAMS_H_

#include <string>

#include <pathwise/model.h>
#include <pathwise/status.h>

namespace pathwise {

/// The fitted parameters as CSV in the layout of pyBKT's `Model.params()` DataFrame: header
/// "skill,param,class,value", then per competency (sorted by id) the rows prior, learns, guesses,
/// slips, forgets, as pyBKT orders them. The class is "default", or the activity id for
/// per-activity values (multigs: guesses/slips; multilearn: learns, with forgets repeated per
/// activity as pyBKT keys forgets by the same classes), the competency-level value then following
/// as "default". With multiprior the prior rows list "default" (the group-weighted prior) and one
/// row per group (pyBKT itself has no such rows: it encodes multiprior as extra learn classes).
/// iBKT learner factors have no pyBKT counterpart and are not exported. Fields are quoted per RFC
/// 4180 when needed.
std::string ExportPyBktParams(const BktModel& model);

/// Writes ExportPyBktParams(model) to `path`. Internal when the file cannot be written.
[[nodiscard]] Status WritePyBktParamsFile(const BktModel& model, const std::string& path);

}  // namespace pathwise

#endif  // PATHWISE_IO_PYBKT_PARAMS_H_
