// Importing CASE frameworks (CFPackage JSON) as competency graphs. docs/standards.md documents
// every mapping rule with a worked example.
#ifndef PATHWISE_IO_CASE_IMPORT_H_
#define PATHWISE_IO_CASE_IMPORT_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>

namespace pathwise {

/// Which CASE schema a package is validated against. They require the same fields; 1.1 also types
/// subject, educationLevel and conceptKeywords as arrays of strings where 1.0 allows a string.
enum class CaseVersion { kV1p0, kV1p1 };

struct CaseImportOptions {
  CaseVersion version = CaseVersion::kV1p1;
};

/// A CASE association kept as data but not as a prerequisite (exactMatchOf, isRelatedTo).
struct CaseLink {
  std::string competency_id;  ///< the CFItem of the package (its identifier)
  std::string other_id;       ///< the other node's identifier, in the package or not
  std::string other_uri;      ///< its uri as the association gives it
};

/// One thing noted while importing: a warning or a dropped association, with its JSON path.
struct CaseNote {
  std::string path;  ///< e.g. "CFAssociations[12]"
  std::string message;
};

struct CaseImportReport {
  std::string document_id;     ///< CFDocument.identifier: also the root group's id
  std::string document_title;  ///< CFDocument.title
  size_t items = 0;            ///< CFItems read (each one a competency)
  /// CASE identifier -> uri, for the CFDocument and every CFItem: the IRIs that exports (xAPI
  /// objects, badge alignments) name a competency by (standards_export.h), since the graph keeps
  /// only the identifier.
  std::map<std::string, std::string> uris;
  size_t associations = 0;  ///< CFAssociations read
  std::map<std::string, size_t> associations_by_type;
  /// exactMatchOf: the item is the same standard as `other` (aliases to resolve ids with).
  std::vector<CaseLink> aliases;
  /// isRelatedTo: kept for people and reports; never gates a competency.
  std::vector<CaseLink> related;
  /// Associations not imported (other types, external ends, a second parent, duplicates,
  /// self-loops), and warnings such as "no precedes: the graph has no prerequisites".
  std::vector<CaseNote> notes;
};

struct ImportedCase {
  CompetencyGraph graph;
  CaseImportReport report;
};

/// Imports a CASE CFPackage (CFDocument, CFItems, CFAssociations) as a competency graph.
///
/// Validation first, against the required fields and types of the CASE CFPackage JSON schema
/// (docs/standards.md lists them); every violation is named by its JSON path and nothing is
/// imported. Keys the schema does not know are not errors (CASE 1.0 exports carry CFDocumentURI
/// and CFPackageURI), and null counts as absent.
///
/// Mapping: every CFItem becomes a competency whose id is its CASE identifier (name:
/// humanCodingScheme and abbreviatedStatement or fullStatement; description: fullStatement). The
/// document and every item that has children (origin of an isChildOf pointing at it) also become
/// groups with id "group:<identifier>"; an item belongs to its parent's group, a top-level item to
/// the document's. "A precedes B" is the prerequisite A -> B. exactMatchOf and isRelatedTo go to
/// the report. Other association types, associations with an end outside the package, a second
/// isChildOf of one item, duplicate and self-loop edges are listed in report.notes and skipped. A
/// package without internal precedes imports with the note that it has no prerequisites.
///
/// Returns NotFound / Internal when the file cannot be read; InvalidArgument for JSON syntax
/// ("<path>:<line>:<column>") and for schema violations and duplicate identifiers
/// ("<path>: <JSON path>: <message>", all listed); the graph's own validation (a precedes cycle:
/// FailedPrecondition) otherwise.
Result<ImportedCase> ParseCasePackage(std::string_view text, std::string_view source_name,
                                      const CaseImportOptions& options = {});
Result<ImportedCase> ReadCasePackage(const std::string& path,
                                     const CaseImportOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_IO_CASE_IMPORT_H_
