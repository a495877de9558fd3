// Importing Ed-Fi learning standards (API JSON or XML bulk interchange) as competency graphs.
// docs/standards.md documents every mapping rule with a worked example.
#ifndef PATHWISE_IO_EDFI_IMPORT_H_
#define PATHWISE_IO_EDFI_IMPORT_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>

namespace pathwise {

struct ImportedEdFi {
  CompetencyGraph graph;
  size_t standards = 0;  ///< LearningStandard resources read
  /// References not imported, as "<JSON path>: <message>": a parent or prerequisite that is not in
  /// the file, a standard listed as its own prerequisite, a prerequisite given twice, and the
  /// warning that there are no prerequisites at all.
  std::vector<std::string> notes;
  /// XML only: LearningStandardEquivalenceAssociation (source, target) with both ends in the file;
  /// kept like CASE exactMatchOf, never gating.
  std::vector<std::pair<std::string, std::string>> equivalences;
};

/// Imports Ed-Fi LearningStandard resources as the Ed-Fi API returns them (GET
/// /ed-fi/learningStandards: a JSON array, or one object). Each standard becomes a competency with
/// its learningStandardId as id (name: the id; description: description).
/// parentLearningStandardReference.learningStandardId makes the parent a group "group:<id>" (the
/// parent stays a competency too) holding the child; prerequisiteLearningStandards[i].
/// prerequisiteLearningStandardReference.learningStandardId is a prerequisite of the standard.
///
/// Returns InvalidArgument "<source>:<line>:<column>" for JSON syntax, and "<source>: <JSON path>:
/// ..." for a resource that is not an object, a missing or non-string learningStandardId, a
/// description / reference of the wrong type, or a learningStandardId given twice, all listed;
/// FailedPrecondition for prerequisites or parents that form a cycle.
///
/// Text that starts with '<' is read as an Ed-Fi XML bulk interchange (InterchangeStandards, as in
/// the Ed-Fi samples): LearningStandard elements give the same resources (LearningStandardId,
/// Description, ParentLearningStandardReference; the XML has no prerequisites), paths read
/// "LearningStandard[i] (line n)", and malformed XML is "<source>:<line>:<column>: ...".
Result<ImportedEdFi> ParseEdFiLearningStandards(std::string_view text,
                                                std::string_view source_name);
Result<ImportedEdFi> ReadEdFiLearningStandards(const std::string& path);

}  // namespace pathwise

#endif  // PATHWISE_IO_EDFI_IMPORT_H_
