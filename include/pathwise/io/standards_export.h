// Exporting mastery to education standards: xAPI statements for mastery changes, and Open Badges
// 3.0 credentials for what a learner has mastered. docs/standards.md documents every rule with a
// worked example.
//
// Exports are deterministic: the same events give byte-identical output, statement and credential
// ids included (UUID version 5 of what the record is about), so a rerun sent to an LRS or a wallet
// is idempotent. Every function reports bad input as a Status naming what is wrong and where, and
// never throws.
#ifndef PATHWISE_IO_STANDARDS_EXPORT_H_
#define PATHWISE_IO_STANDARDS_EXPORT_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise {

// ---------------------------------------------------------------------------------------------------
// Identifiers
// ---------------------------------------------------------------------------------------------------

/// The namespace of Pathwise's UUIDv5 ids, used unless an export's options name another.
inline constexpr std::string_view kPathwiseUuidNamespace = "3f1c9a52-6d0e-5b7a-9c84-2e61f0d7a4b3";

/// UUID version 5 (RFC 9562: SHA-1 of the namespace's 16 bytes then `name`), lower-case text.
/// InvalidArgument when `namespace_uuid` is not a UUID.
Result<std::string> UuidV5(std::string_view namespace_uuid, std::string_view name);

/// How exports name competencies and groups by IRI. First rule that applies:
/// 1. `iris` has the id: that IRI (a CASE package gives identifier -> CFItem uri, see
///    CaseImportReport::uris; a group "group:<identifier>" of a CASE import is looked up by its
///    identifier).
/// 2. The id is already an absolute IRI (a scheme such as "https:" or "urn:"): the id itself.
/// 3. `base` followed by the id, percent-encoded except for unreserved characters (RFC 3986).
struct CompetencyIriScheme {
  /// Ends the IRI of a competency that rules 1 and 2 do not name. The default is a placeholder URN
  /// that resolves nowhere; a platform sets its own, e.g. "https://lms.example/competencies/".
  std::string base = "urn:pathwise:competency:";
  std::map<std::string, std::string> iris;

  std::string IriOf(const std::string& id) const;
  /// InvalidArgument when `base` is empty or is not an absolute IRI, or an `iris` value is not.
  Status Validate() const;
};

// ---------------------------------------------------------------------------------------------------
// xAPI statements out
// ---------------------------------------------------------------------------------------------------

/// One (learner, competency) whose mastery an observation changed.
struct MasteryChange {
  std::string learner_id;
  std::string competency_id;
  double p_before = 0.0;
  double p_after = 0.0;
  bool mastered_before = false;
  bool mastered_after = false;
  double mastery_threshold = 0.95;
  uint32_t opportunities = 0;  ///< after the observation
  /// The observation that made the change: its event id (may be empty) and time.
  std::string event_id;
  TimestampMs timestamp_ms = 0;
  /// The learner's observations before this one (0 for the first): names the change when the
  /// event has no id, so that ids stay deterministic.
  size_t learner_sequence = 0;
};

/// The changes one applied observation made: one per entry of `after` (MasteryTracker::Record's
/// RecordResult::updated), compared with the same competency in `before` (the learner's mastery
/// just before Record, e.g. MasteryTracker::Mastery or PriorMastery). InvalidArgument naming
/// "after[i]" when a competency of `after` is not in `before` or the graph.
Result<std::vector<MasteryChange>> DiffMastery(const CompetencyGraph& graph,
                                               const Observation& observation,
                                               const LearnerMastery& before,
                                               const std::vector<MasteryEstimate>& after,
                                               size_t learner_sequence = 0);

/// Replays `events` in order through a new MasteryTracker over `graph` and `model` (with
/// `tracker`'s options: its evidence before "mastered" says when a competency becomes mastered)
/// and returns every change of every applied event (DiffMastery; an event id seen before for its
/// learner changes nothing). InvalidArgument "events[i] (id '<id>'): <the tracker's message>" for
/// an event the tracker rejects (an unknown activity, an outcome outside [0, 1]); the model's
/// errors.
Result<std::vector<MasteryChange>> ReplayMasteryChanges(const CompetencyGraph& graph,
                                                        const BktModel& model,
                                                        const std::vector<Observation>& events,
                                                        const TrackerOptions& tracker = {});

struct XapiExportOptions {
  /// The actor is an Agent identified by account {homePage, name}: this homePage, and the learner
  /// id as name. Required: an absolute IRI, such as the LMS whose accounts the learner ids are.
  /// A learner id in the form the xAPI import gives ("account:<homePage>|<name>", "sha1:<sum>",
  /// "openid:<uri>") is turned back into that identifier instead, so a learner keeps one identity
  /// across import and export.
  std::string account_home_page;
  CompetencyIriScheme iris;
  /// Namespace of the statement ids (a UUID).
  std::string id_namespace = std::string(kPathwiseUuidNamespace);
  /// Emit a "progressed" statement for every change. Off: only "mastered" statements (fewer
  /// statements for an LRS that only wants milestones).
  bool progressed = true;
  /// Time of changes whose observation has no timestamp (0), in ms since the epoch; 0 makes such a
  /// change an error, since an xAPI timestamp of 1970 would be a lie.
  TimestampMs default_timestamp_ms = 0;
  /// context.platform of every statement.
  std::string platform = "Pathwise";
};

/// Statements for mastery changes, as a JSON array (two-space indent), in the order of `changes`:
///
/// - "progressed" (http://adlnet.gov/expapi/verbs/progressed) for every change when
///   options.progressed, with the new P(learned) as result.score.scaled and result.success = the
///   new mastered flag;
/// - "mastered" (http://adlnet.gov/expapi/verbs/mastered) when the change crosses the threshold
///   upward (not mastered before, mastered after), after the progressed statement;
/// - actor: see XapiExportOptions::account_home_page; object: an Activity whose id is the
///   competency's IRI (CompetencyIriScheme), definition.type
///   http://adlnet.gov/expapi/activities/objective, definition.name the competency's name;
/// - id: UuidV5(options.id_namespace, "xapi|<verb>|<learner>|<competency>|<event id or
///   #sequence>"); timestamp: the observation's, ISO 8601 UTC with milliseconds; version 1.0.3;
///   context.statement: a StatementRef to the answer when the event id is a UUID (an imported
///   xAPI statement); context.extensions: urn:pathwise:xapi:mastery-threshold, :opportunities and
///   :p-learned-before (docs/standards.md).
///
/// InvalidArgument for invalid options, an unknown competency ("changes[i].competency_id"), or a
/// change without timestamp and no default ("changes[i].timestamp_ms").
Result<std::string> MasteryStatementsJson(const CompetencyGraph& graph,
                                          const std::vector<MasteryChange>& changes,
                                          const XapiExportOptions& options);

/// Checks statements against the xAPI 1.0.3 / 2.0 data model's required fields and formats, listing
/// every problem as "<source>: statement <i>: <JSON path>: <message>": id (a UUID), actor (an
/// Agent with exactly one of mbox, mbox_sha1sum, openid, account; an account with homePage an
/// absolute IRI and a non-empty name), verb.id (an absolute IRI; display, when given, a language
/// map of strings), object.id (an absolute IRI for an Activity), timestamp (ISO 8601 with a time
/// zone), result.score.scaled in [-1, 1], result.success a boolean, version 1.0.x / 2.0.x,
/// context.statement a StatementRef with a UUID id, extension keys absolute IRIs. Stricter than
/// the import (ParseXapiStatements), which accepts statements without id or timestamp as an LRS
/// does; this is what an export must produce. Input: a statement or an array of statements.
Status ValidateXapiStatements(std::string_view text, std::string_view source_name);

// ---------------------------------------------------------------------------------------------------
// Open Badges 3.0
// ---------------------------------------------------------------------------------------------------

struct BadgeOptions {
  /// The issuer Profile: id (an absolute IRI, required, e.g. https://school.example/issuer or a
  /// did:) and name (required).
  std::string issuer_id;
  std::string issuer_name;
  /// How the learner is identified in credentialSubject.identifier: an IdentityObject with
  /// hashed false, identityHash the learner id and this identityType (Open Badges 3.0's
  /// IdentifierTypeEnum, e.g. "systemId", "oneRosterSourcedId", "accountId").
  std::string identity_type = "systemId";
  CompetencyIriScheme iris;
  /// When the IRI of the achievement came from a CASE package (CompetencyIriScheme rule 1), an
  /// Alignment to that CFItem / CFDocument is added.
  std::string id_namespace = std::string(kPathwiseUuidNamespace);
};

/// What a badge is for: a mastered competency, or a group all of whose members are mastered.
struct BadgeAward {
  std::string learner_id;
  std::string achievement_id;  ///< a competency or group id of the graph
  /// validFrom: when it was mastered (ms since the epoch, > 0), e.g. the time of the observation
  /// that crossed the threshold.
  TimestampMs mastered_ms = 0;
  /// P(learned) when awarded (the group's mean for a group), for the criteria narrative.
  double p_learned = 0.0;
};

/// An unsigned Open Badges 3.0 OpenBadgeCredential (the AchievementCredential of the spec) as JSON
/// (two-space indent): @context [the VC 2.0 context, the OB 3.0.3 context], id urn:uuid:UuidV5(
/// "badge|<learner>|<achievement>"), type ["VerifiableCredential", "OpenBadgeCredential"], issuer
/// Profile, validFrom, name, credentialSubject {type ["AchievementSubject"], identifier,
/// achievement {id (the IRI), type ["Achievement"], achievementType "Competency", name,
/// description, criteria.narrative stating the mastery rule, alignment when from CASE}}. No proof:
/// the issuer signs it.
///
/// InvalidArgument for a missing issuer id or name, an issuer id that is not an absolute IRI, an
/// unknown achievement id, an empty learner id or mastered_ms <= 0, naming the field.
Result<std::string> BadgeCredentialJson(const CompetencyGraph& graph, const BadgeAward& award,
                                        const BadgeOptions& options);

/// Checks a credential against the required fields of the Open Badges 3.0 data model (VC data
/// model 2.0), listing every problem with its JSON path: @context an array starting with
/// https://www.w3.org/ns/credentials/v2 and holding an OB v3p0 context; id an absolute IRI; type
/// holding VerifiableCredential and OpenBadgeCredential (or AchievementCredential); issuer (an IRI,
/// or a Profile with id and type Profile); validFrom ISO 8601 with zone (or issuanceDate, OB 3.0 on
/// VC 1.1); name; credentialSubject with type AchievementSubject, an id or an identifier
/// (IdentityObject with hashed, identityHash, identityType), achievement with id, type
/// Achievement, name, description and criteria (with id or narrative).
Status ValidateBadgeCredential(std::string_view text, std::string_view source_name);

}  // namespace pathwise

#endif  // PATHWISE_IO_STANDARDS_EXPORT_H_
