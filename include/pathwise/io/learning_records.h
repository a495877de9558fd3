// Importing learning records (xAPI statements, Caliper events) as observations. docs/standards.md
// documents every mapping rule with a worked example.
//
// Every function reports bad input as a Status naming the source and where in it (line and column
// for JSON syntax, the record's index and a JSON path such as "[3].result.score.scaled" for
// structure, file:line for CSV) and never throws. An import is all or nothing: one malformed
// record fails the whole batch and nothing of it is returned.
#ifndef PATHWISE_IO_LEARNING_RECORDS_H_
#define PATHWISE_IO_LEARNING_RECORDS_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/types.h>

namespace pathwise {

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

/// Where an observation came from: its record's index in the input and JSON path ("[3]",
/// "statements[3]", "data[2]").
struct RecordOrigin {
  size_t index = 0;
  std::string path;
};

struct ImportedObservations {
  /// In input order; event_id is the statement / event id (idempotent when recorded again).
  std::vector<Observation> observations;
  /// Parallel to observations: so that a consumer that refuses an observation (a store whose ids
  /// are stricter than the standard's, say) can name the record, as the parser's own errors do.
  std::vector<RecordOrigin> origins;
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

}  // namespace pathwise

#endif  // PATHWISE_IO_LEARNING_RECORDS_H_
