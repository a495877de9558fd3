// Importing education-standards data: learning records (xAPI statements, Caliper events) as
// observations, and curricula and rosters (CASE frameworks, OneRoster CSV) as graphs and classes.
// docs/standards.md documents every mapping rule with a worked example.
//
// Every function reports bad input as a Status naming the source and where in it (line and column
// for JSON syntax, the record's index and a JSON path such as "[3].result.score.scaled" for
// structure, file:line for CSV) and never throws. An import is all or nothing: one malformed
// record fails the whole batch and nothing of it is returned.
#ifndef PATHWISE_STANDARDS_IO_H_
#define PATHWISE_STANDARDS_IO_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/result.h>
#include <pathwise/types.h>

namespace pathwise {

// ---------------------------------------------------------------------------------------------------
// Learning records: xAPI statements and Caliper events
// ---------------------------------------------------------------------------------------------------

struct LearningRecordOptions {
  /// Activity IRI (xAPI object id, Caliper assignable id) -> Pathwise activity id. Empty: the IRI
  /// itself is the activity id. Not empty: a record whose IRI is not a key is skipped with reason
  /// "unmapped-activity".
  std::unordered_map<std::string, std::string> activity_map;
  /// xAPI: a statement whose only evidence is result.completion counts as an answer (completion
  /// true 1, false 0). Off by default: finishing a video or a page says nothing about correctness.
  bool completion_as_outcome = false;
  /// xAPI: accounts on this homePage are learners named by account.name alone, e.g. the OneRoster
  /// sourcedId an LMS uses as its account name, so that imported events join a roster. Accounts
  /// on other homePages keep "account:<homePage>|<name>". Empty: every account keeps that form.
  std::string account_home_page;
};

/// What an import of learning records read, and what it did with each record.
struct LearningRecordReport {
  size_t records_read = 0;  ///< statements or events, envelopes unwrapped
  size_t accepted = 0;      ///< observations produced (after voiding and duplicates)
  /// Records that are not answers, by reason ("no-outcome", "not-an-activity", "group-actor",
  /// "unmapped-activity", "duplicate-id", ...); ordered by reason for stable output.
  std::map<std::string, size_t> skipped;
  /// Non-answers by verb (xAPI verb id) or by event type and action (Caliper "ViewEvent/Viewed"),
  /// so that a report can say what was in the file. Unmapped answers and duplicates are not
  /// counted here.
  std::map<std::string, size_t> skipped_by_verb;
  size_t voiding = 0;  ///< xAPI voiding statements read
  /// Statement ids voided by a statement of this batch whose voided statement was in the batch:
  /// its observation was removed from the result.
  std::vector<std::string> voided_in_batch;
  /// Statement ids voided by this batch but not found in it. A store-backed consumer must delete
  /// the learner's event with this id and recompute that learner's mastery from the remaining
  /// events (replay): BKT updates are not invertible one by one.
  std::vector<std::string> voided_elsewhere;
};

struct ImportedObservations {
  /// In input order; event_id is the statement / event id (idempotent when recorded again).
  std::vector<Observation> observations;
  LearningRecordReport report;
};

/// Parses xAPI 1.0.x or 2.0.x statements: a single statement object, an array of statements, or an
/// LRS StatementResult ({"statements": [...], "more": ...}).
///
/// Mapping (docs/standards.md has the worked example):
/// - learner_id from the actor's identifier: mbox "mailto:a@b" -> "sha1:" + hex SHA-1 of the whole
///   "mailto:a@b" (the mailto address itself is never kept), mbox_sha1sum -> "sha1:" + the sum in
///   lower case (so both forms of one address give one learner), openid -> "openid:" + URI,
///   account -> "account:" + homePage + "|" + name (just name on options.account_home_page). A
///   Group actor is skipped ("group-actor").
/// - activity_id from object.id (objectType Activity, the default) through options.activity_map.
/// - outcome, first rule that applies: result.score.scaled (in [-1, 1]; below 0 counts as 0);
///   result.score.raw with min < max: (raw - min) / (max - min); result.success: 1 / 0; the verbs
///   passed / failed (http://adlnet.gov/expapi/verbs/): 1 / 0; result.completion when
///   options.completion_as_outcome. A score with min = max says nothing (Open edX sends 0/0 for
///   items worth no points) and is ignored. Otherwise the statement is not an answer: skipped
///   ("no-outcome") and counted by verb. Objects that are not Activities: "not-an-activity".
/// - timestamp from "timestamp", else "stored", else 0; event_id from "id" (lower case).
/// - A voiding statement (verb http://adlnet.gov/expapi/verbs/voided, object StatementRef) removes
///   the voided statement's observation from the result (voided_in_batch), or lists the id in
///   voided_elsewhere. A statement id seen twice is kept once ("duplicate-id").
///
/// Returns InvalidArgument "<source>:<line>:<column>: ..." for a JSON syntax error, and
/// "<source>: statement <i>: <path>: <message>" (path like "[3].actor.mbox") for every malformed
/// statement, all listed: not an object, a missing actor / verb / object, an actor with no or
/// several identifiers, a bad mbox / mbox_sha1sum / account, an id that is not a UUID, an
/// unsupported version, a bad timestamp, a scaled score outside [-1, 1], a raw score outside
/// [min, max] or a min above max, a success / completion that is not a boolean, an Activity without
/// id, a voiding statement without a StatementRef. A key given twice in one object is rejected in
/// every JSON import
/// ("<source>: [1].result.score: key 'scaled' given twice").
Result<ImportedObservations> ParseXapiStatements(std::string_view text,
                                                 std::string_view source_name,
                                                 const LearningRecordOptions& options = {});

/// Parses Caliper 1.2 events: an envelope ({"sensor", "sendTime", "dataVersion", "data": [...]}),
/// an array of events, or one event. Answers are GradeEvent "Graded" events whose object is an
/// Attempt: learner_id = the attempt's assignee id, activity_id = its assignable id (mapped as for
/// xAPI), outcome = generated.scoreGiven / generated.maxScore (maxScore from the assignable when
/// the Score has none), event_id = the event id, timestamp = eventTime. AssessmentItemEvent
/// "Completed" carries a response but no score: skipped ("no-outcome"), as are all other events
/// and entities in the envelope ("not-an-answer", "entity"), each counted by type/action.
///
/// Errors as ParseXapiStatements ("<source>: event <i>: data[2].generated.scoreGiven: ..."): a
/// missing id, type or eventTime; a Graded event without an Attempt object, assignee, assignable or
/// Score; a scoreGiven outside [0, maxScore]; no positive maxScore.
Result<ImportedObservations> ParseCaliperEvents(std::string_view text, std::string_view source_name,
                                                const LearningRecordOptions& options = {});

/// Reads an activity map CSV with columns iri and activity_id (header required; others ignored).
/// InvalidArgument "<path>:<line>: ..." for an empty cell or an IRI given twice.
Result<std::unordered_map<std::string, std::string>> ReadActivityMapCsv(const std::string& path);

// ---------------------------------------------------------------------------------------------------
// CASE frameworks
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Ed-Fi learning standards
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// OneRoster 1.2 CSV
// ---------------------------------------------------------------------------------------------------

/// A class and who is in it. Only identifiers and titles are kept: no names, e-mail addresses or
/// passwords are read from users.csv.
struct RosterClass {
  std::string sourced_id;  ///< the class's sourcedId: the key Pathwise keeps
  std::string title;
  std::string course_sourced_id;
  std::string school_sourced_id;
  std::vector<std::string> learners;  ///< user sourcedIds enrolled with role student, file order
  std::vector<std::string> teachers;  ///< user sourcedIds enrolled with role teacher
};

struct Roster {
  std::vector<RosterClass> classes;         ///< active classes, in classes.csv order
  std::vector<std::string> learners;        ///< every learner of some class, first seen first
  size_t orgs = 0, courses = 0, users = 0;  ///< active rows read
  size_t enrollments = 0;                   ///< active enrollments read
  size_t other_roles = 0;                   ///< enrollments neither student nor teacher
  /// "<file>:<line>: ..." for what was read but not used: rows with status tobedeleted (and the
  /// enrollments of such classes and users), references to orgs or courses that are not in the
  /// files, files the manifest marks absent.
  std::vector<std::string> notes;
};

/// Reads a OneRoster 1.2 CSV bulk export from a directory: classes.csv, users.csv and
/// enrollments.csv are needed, orgs.csv and courses.csv are read when present, and manifest.csv,
/// when present, says which files are there (file.X = bulk / absent; delta is not supported).
/// sourcedId is the key throughout; a blank status means active (bulk files leave it blank).
///
/// Returns NotFound for a needed file that does not exist; InvalidArgument "<file>:<line>[:col]:
/// ..." for malformed CSV, a missing column, an empty or duplicate sourcedId, an enrollment that
/// names no class or no user, a manifest that asks for delta processing; all listed.
Result<Roster> ReadOneRosterDirectory(const std::string& directory);

/// Hex SHA-1 (FIPS 180-4) of `data`, lower case: the xAPI mbox_sha1sum of "mailto:...".
std::string Sha1Hex(std::string_view data);

}  // namespace pathwise

#endif  // PATHWISE_STANDARDS_IO_H_
