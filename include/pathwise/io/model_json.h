// Saving and loading BKT models as model JSON.
//
// Model JSON (the project's own, versioned; every section but "format" and "version" optional;
// unknown keys are errors):
//
//     {
//       "format": "pathwise.bkt_model", "version": 1,
//       "defaults": {"prior": 0.1, "learn": 0.1, "forget": 0, "guess": 0.2, "slip": 0.1},
//       "competencies": {"fractions": {"prior": 0.3, "learn": 0.2, "forget": 0, "guess": 0.2,
//       "slip": 0.1}}, "activities": {"q1": {"guess": 0.25}}, "competency_activities":
//       {"fractions": {"q2": {"guess": 0.1, "slip": 0.05, "learn": 0.3}}},
//       "competency_learn_classes": {"fractions": {"ann": 0.25}}, "prior_groups":
//       "first_response",           // or "learner_group"; absent = none "group_priors":
//       {"fractions": {"first_correct": 0.8, "first_incorrect": 0.2}}, "learner_factors": {"ann":
//       {"prior_offset": 0.4, "learn_offset": -0.1}}
//     }
//
// Parameter objects need prior, learn, guess and slip; forget defaults to 0. Numbers are written
// with the shortest text that reads back to the same double, so a save/load round trip is exact.
#ifndef PATHWISE_IO_MODEL_JSON_H_
#define PATHWISE_IO_MODEL_JSON_H_

#include <string>
#include <string_view>

#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// The value of the "format" key of a model file.
inline constexpr std::string_view kModelJsonFormat = "pathwise.bkt_model";
/// The only "version" this build reads and writes.
inline constexpr int kModelJsonVersion = 1;

/// Parses model JSON. `source_name` prefixes every error message.
///
/// Returns InvalidArgument for a JSON syntax error ("<source>:<line>:<column>: <message>"), a wrong
/// "format" or unsupported "version", a missing field, a value of the wrong type or an unknown key
/// ("<source>: <field path>: <message>"), or a model that fails BktModel::Validate or
/// ValidateFittedVariants ("<source>: <their message>").
///
/// Thread safety: safe to call concurrently.
///
/// Example:
///
///     pathwise::Result<pathwise::BktModel> model = pathwise::ParseModelJson(
///         R"({"format": "pathwise.bkt_model", "version": 1})", "inline");
[[nodiscard]] Result<BktModel> ParseModelJson(std::string_view text, std::string_view source_name);

/// ParseModelJson of a file's contents, with the path as source name. NotFound when the file does
/// not exist, Internal when it cannot be read.
[[nodiscard]] Result<BktModel> ReadModelFile(const std::string& path);

/// The model as pretty-printed model JSON (two-space indent, sections in the order above, empty
/// sections omitted, a final newline). ParseModelJson of the result equals `model`.
std::string WriteModelJson(const BktModel& model);

/// Writes WriteModelJson(model) to `path`. Internal when the file cannot be written.
[[nodiscard]] Status WriteModelFile(const BktModel& model, const std::string& path);

}  // namespace pathwise

#endif  // PATHWISE_IO_MODEL_JSON_H_
