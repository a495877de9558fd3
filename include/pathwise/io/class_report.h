// A class report for a teacher: mastery of every learner on every competency, who is stalled and
// on what, each learner's pathway to the class goal and next activities with their reasons, and
// the same numbers per cohort so that a group falling behind shows. Built as data
// (BuildClassReport, tested number by number) and rendered as one self-contained HTML file
// (ClassReportHtml).
#ifndef PATHWISE_IO_CLASS_REPORT_H_
#define PATHWISE_IO_CLASS_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/io/oneroster_import.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/types.h>

namespace pathwise {

struct ClassReportOptions {
  /// The page's title and first heading.
  std::string title = "Class report";
  /// The class goal (competency or group ids) that pathways lead to and recommendations aim at.
  /// Empty: every root group (a group without parent), or every competency when the graph has no
  /// groups.
  std::vector<std::string> goals;
  /// Options of the recommender and the planner (the engine's defaults otherwise).
  RecommenderOptions recommender;
  /// Recommendations shown per learner, >= 1.
  int recommendations_per_learner = 3;
  // Who is stalled is the recommender's stall rule (IsStalled with recommender.mastery's
  // stall_min_attempts and stall_max_recent_correct): the stalls that the recommendations' reasons
  // name and respond to are the ones the teacher sees.
  /// "Now" for review due in recommendations; 0: the latest event's timestamp.
  TimestampMs now_ms = 0;
};

/// What the class report reads besides the graph and model.
struct ClassReportInput {
  /// The class, in display order. Empty: every learner with an event, first seen first. A learner
  /// without events is shown at the model's priors.
  std::vector<std::string> learners;
  /// Events in the order they happened (any learners: those outside the class are replayed but not
  /// shown).
  std::vector<Observation> events;
  /// Cohort name -> its learners (a learner may be in several cohorts or none). Empty: one cohort,
  /// the whole class. Learners not in the class are ignored.
  std::map<std::string, std::vector<std::string>> cohorts;
  /// Names what the report is about ("class cls-1 'Year 5 maths'"), for the subtitle; may be empty.
  std::string description;
};

/// A competency of one learner that the stalled rule flags.
struct StalledCompetency {
  std::string competency_id;
  double p_learned = 0.0;
  uint32_t opportunities = 0;
  /// Right answers among the last MasteryPolicyOptions::stall_min_attempts.
  int recent_correct = 0;
};

struct ClassReportLearner {
  std::string learner_id;
  size_t events = 0;            ///< events of this learner that were applied
  LearnerMastery mastery;       ///< every competency, the graph's insertion order
  double mean_p_learned = 0.0;  ///< over every competency
  size_t competencies_mastered = 0;
  bool goal_reached = false;  ///< every goal competency mastered
  std::vector<StalledCompetency> stalled;
  Pathway pathway;                              ///< to the class goal
  std::vector<Recommendation> recommendations;  ///< mastery policy, toward the class goal
};

/// A cohort's numbers, over its learners that are in the class.
struct CohortSummary {
  std::string cohort;
  size_t learners = 0;
  /// Mean of P(learned) over learners x competencies.
  double mean_p_learned = 0.0;
  /// Share of learner x competency cells mastered, in [0, 1].
  double share_mastered = 0.0;
  /// Share of learners who reached the class goal, in [0, 1].
  double share_goal_reached = 0.0;
  size_t stalled = 0;  ///< stalled (learner, competency) cells
  /// Mean P(learned) per heatmap topic (ClassReport::topics order).
  std::vector<double> topic_mean_p_learned;
};

/// Columns of the heatmap, grouped by topic (a competency's own group).
struct ReportTopic {
  std::string group_id;  ///< empty for competencies without a group
  std::string name;      ///< "Other competencies" for those
  std::vector<std::string> competency_ids;
};

struct ClassReport {
  std::string title;
  std::string description;
  std::vector<std::string> goals;  ///< as given, or the default (see ClassReportOptions::goals)
  std::vector<ReportTopic> topics;
  std::map<std::string, std::string> competency_names;  ///< id -> name (the id when unnamed)
  std::map<std::string, double> thresholds;             ///< id -> mastery threshold
  std::vector<ClassReportLearner> learners;
  /// One per cohort of the input (name order), or one "Whole class" cohort; the last entry is
  /// always the whole class when there are cohorts.
  std::vector<CohortSummary> cohorts;
  size_t events_applied = 0;
  TimestampMs latest_event_ms = 0;
  ClassReportOptions options;
};

/// Replays the events (MasteryTracker rules, through an Engine) and computes everything the report
/// shows. Returns InvalidArgument for invalid options or model (naming the field), an event the
/// tracker rejects ("events: observations[i]..."), an empty or repeated learner id in the class,
/// recommendations_per_learner < 1; NotFound naming an unknown goal. A cohort with no learner of
/// the class is left out.
Result<ClassReport> BuildClassReport(const CompetencyGraph& graph, const BktModel& model,
                                     const ClassReportInput& input,
                                     const ClassReportOptions& options = {});

/// The learners, cohorts and description of a report on a OneRoster roster, as `pathwise report
/// class --roster` reads them (events left empty): every class of the roster is a cohort named
/// "title (sourcedId)" (the sourcedId alone when untitled); the learners are the class's students
/// when class_id is given, else every learner of the roster. NotFound "no class '<id>' in <source>
/// (classes: ...)" for a class the roster lacks.
Result<ClassReportInput> ClassReportInputForRoster(const Roster& roster,
                                                   const std::string& class_id,
                                                   const std::string& source_name);

/// Reads learner groups (cohorts) from a CSV with a header holding learner_id and `column` (other
/// columns ignored, so a demographics export can be read one column at a time): cohort value ->
/// learners, in file order. An empty value puts the learner in no cohort. InvalidArgument
/// "<path>:<line>: ..." for malformed CSV, a missing column, an empty learner id, or a learner
/// given twice; NotFound when the file does not exist.
Result<std::map<std::string, std::vector<std::string>>> ReadLearnerGroupsCsv(
    const std::string& path, const std::string& column = "cohort");

/// The report as one self-contained HTML5 page: inline CSS (with a print style sheet), inline SVG,
/// no script, no external font, image or style sheet. Tables have captions and header cells with
/// scope; every number is written as text (colour only repeats it); mastered and stalled cells are
/// marked with a symbol and a text for screen readers.
std::string ClassReportHtml(const ClassReport& report);

}  // namespace pathwise

#endif  // PATHWISE_IO_CLASS_REPORT_H_
