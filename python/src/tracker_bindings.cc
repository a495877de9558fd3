// pathwise._core: Observations, the mastery tracker and the engine.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/io/class_report.h>
#include <pathwise/io/mastery_csv.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/standards_export.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

std::vector<Observation> ObservationsFromArrays(
    const std::vector<std::string>& learner_ids, const std::vector<std::string>& activity_ids,
    const InputArray<double>& outcomes, const std::optional<InputArray<int64_t>>& times,
    const std::optional<std::vector<std::string>>& ids) {
  const size_t n = learner_ids.size();
  auto check = [n](size_t size, const char* name) {
    if (size != n) {
      RaiseInvalidArgument(std::string(name) + " has " + std::to_string(size) +
                           " entries, learner_ids has " + std::to_string(n));
    }
  };
  check(activity_ids.size(), "activity_ids");
  check(static_cast<size_t>(outcomes.size()), "outcomes");
  if (outcomes.ndim() != 1) RaiseInvalidArgument("outcomes must be one-dimensional");
  if (times) check(static_cast<size_t>(times->size()), "timestamps_ms");
  if (ids) check(ids->size(), "event_ids");
  std::vector<Observation> observations(n);
  const double* outcome = outcomes.data();
  const int64_t* time = times ? times->data() : nullptr;
  for (size_t i = 0; i < n; ++i) {
    Observation& o = observations[i];
    if (ids) o.event_id = (*ids)[i];
    o.learner_id = learner_ids[i];
    o.activity_id = activity_ids[i];
    o.outcome = outcome[i];
    o.timestamp_ms = time ? time[i] : 0;
  }
  return observations;
}

template <typename Recorder>
size_t RecordArrays(Recorder& recorder, const std::vector<std::string>& learner_ids,
                    const std::vector<std::string>& activity_ids,
                    const InputArray<double>& outcomes,
                    const std::optional<InputArray<int64_t>>& times,
                    const std::optional<std::vector<std::string>>& ids) {
  std::vector<Observation> observations =
      ObservationsFromArrays(learner_ids, activity_ids, outcomes, times, ids);
  Result<size_t> applied = [&] {
    py::gil_scoped_release release;
    return recorder.RecordBatch(observations);
  }();
  return ValueOrThrow(std::move(applied));
}

// pathwise.NOW: the explicit "stamp this observation with the wall clock" (the core reads no
// clock).
struct NowSentinel {};

TimestampMs TimestampFromPython(const py::object& timestamp_ms) {
  if (py::isinstance<NowSentinel>(timestamp_ms)) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  if (timestamp_ms.is_none()) {
    throw py::type_error(
        "Observation: timestamp_ms is required: milliseconds since the Unix epoch, or pathwise.NOW "
        "for the current time");
  }
  return timestamp_ms.cast<TimestampMs>();
}

}  // namespace

void BindTracker(py::module_& m) {
  py::class_<NowSentinel>(m, "_Now", "The type of pathwise.NOW.")
      .def("__repr__", [](const NowSentinel&) { return std::string("pathwise.NOW"); });
  m.attr("NOW") = NowSentinel{};

  py::class_<Observation>(m, "Observation",
                          R"doc(One thing a learner did: an activity and its outcome.

``timestamp_ms`` is required: milliseconds since the Unix epoch, or ``pathwise.NOW`` to stamp the
observation with the current wall-clock time (explicitly, so that a replayed log never gets "now"
by accident). Review scheduling and continuity read it.)doc")
      .def(py::init([](std::string event_id, std::string learner_id, std::string activity_id,
                       double outcome, const py::object& timestamp_ms) {
             return Observation{std::move(event_id), std::move(learner_id), std::move(activity_id),
                                outcome, TimestampFromPython(timestamp_ms)};
           }),
           py::arg("event_id") = "", py::arg("learner_id") = "", py::arg("activity_id") = "",
           py::arg("outcome") = 0.0, py::arg("timestamp_ms") = py::none())
      .def_readwrite("event_id", &Observation::event_id)
      .def_readwrite("learner_id", &Observation::learner_id)
      .def_readwrite("activity_id", &Observation::activity_id)
      .def_readwrite("outcome", &Observation::outcome)
      .def_readwrite("timestamp_ms", &Observation::timestamp_ms)
      .def(PATHWISE_REPR("event_id", "learner_id", "activity_id", "outcome", "timestamp_ms"));

  m.def(
      "read_observations_csv",
      [](const std::string& path) { return ValueOrThrow(ReadObservationsCsv(path)); },
      py::arg("path"),
      "Reads an events CSV (event_id, learner_id, activity_id, outcome, timestamp).");
  m.def(
      "parse_observations_csv",
      [](const std::string& text, const std::string& source_name) {
        return ValueOrThrow(ParseObservationsCsv(text, source_name));
      },
      py::arg("text"), py::arg("source_name") = "<string>");

  // Exports (standards_export.h, class_report.h): text out, so that Python writes it where it
  // likes.
  m.def(
      "mastery_statements",
      [](const CompetencyGraph& graph, const BktModel& model,
         const std::vector<Observation>& events, const std::string& home_page,
         const std::string& iri_base, bool progressed) {
        XapiExportOptions options;
        options.account_home_page = home_page;
        options.iris.base = iri_base;
        options.progressed = progressed;
        const std::vector<MasteryChange> changes =
            ValueOrThrow(ReplayMasteryChanges(graph, model, events));
        return ValueOrThrow(MasteryStatementsJson(graph, changes, options));
      },
      py::arg("graph"), py::arg("model"), py::arg("events"), py::arg("home_page"),
      py::arg("iri_base") = CompetencyIriScheme{}.base, py::arg("progressed") = true,
      "xAPI statements (a JSON array, as text) for every mastery change of the events replayed in "
      "order: progressed with the new P(learned), mastered when a threshold is crossed.");
  m.def(
      "class_report_html",
      [](const CompetencyGraph& graph, const BktModel& model,
         const std::vector<Observation>& events, const std::vector<std::string>& learners,
         const std::map<std::string, std::vector<std::string>>& cohorts,
         const std::vector<std::string>& goals, const std::string& title) {
        ClassReportInput input;
        input.learners = learners;
        input.events = events;
        input.cohorts = cohorts;
        ClassReportOptions options;
        options.goals = goals;
        options.title = title;
        return ClassReportHtml(ValueOrThrow(BuildClassReport(graph, model, input, options)));
      },
      py::arg("graph"), py::arg("model"), py::arg("events"),
      py::arg("learners") = std::vector<std::string>{},
      py::arg("cohorts") = std::map<std::string, std::vector<std::string>>{},
      py::arg("goals") = std::vector<std::string>{}, py::arg("title") = "Class report",
      "The class report as one self-contained HTML page (class_report.h).");
  m.def("log_odds_to_mastery", &MasteryFromLogOdds, py::arg("log_odds"),
        "P(learned) = 1 / (1 + exp(-log_odds)).");
  m.def("mastery_to_log_odds", &ProbabilityToLogOdds, py::arg("p_learned"),
        "log(p / (1 - p)); inf at 1, -inf at 0.");
  m.def(
      "parse_timestamp", [](const std::string& text) { return ValueOrThrow(ParseTimestamp(text)); },
      py::arg("text"), "Milliseconds since the epoch from ISO 8601 UTC or a millisecond count.");

  // Constructible and compared by value because pathwise.Client returns this class too (one
  // MasteryEstimate in Python); the wire carries no log-odds, so the client's are NaN, nor recent
  // answers, so the client's are -1 and they are not compared.
  py::class_<MasteryEstimate>(m, "MasteryEstimate", "What is known of one (learner, competency).")
      .def(py::init([](std::string competency_id, double p_learned, bool mastered,
                       uint32_t opportunities, TimestampMs last_practiced_ms, double log_odds,
                       int32_t recent_answers) {
             MasteryEstimate e{std::move(competency_id), p_learned, mastered, opportunities,
                               last_practiced_ms,        log_odds};
             e.recent_answers = recent_answers;
             return e;
           }),
           py::arg("competency_id"), py::arg("p_learned"), py::arg("mastered"),
           py::arg("opportunities") = 0, py::arg("last_practiced_ms") = 0,
           py::arg("log_odds") = std::numeric_limits<double>::quiet_NaN(),
           py::arg("recent_answers") = -1,
           "log_odds NaN, recent_answers -1: not known (readers derive log_odds from p_learned).")
      .def(
          "__eq__",
          [](const MasteryEstimate& a, const MasteryEstimate& b) {
            // NaN log-odds means "not known" in both, so two unknowns are equal.
            const bool same_odds =
                a.log_odds == b.log_odds || (std::isnan(a.log_odds) && std::isnan(b.log_odds));
            return a.competency_id == b.competency_id && a.p_learned == b.p_learned &&
                   a.mastered == b.mastered && a.opportunities == b.opportunities &&
                   a.last_practiced_ms == b.last_practiced_ms && same_odds;
          },
          py::is_operator())
      .def("__hash__",
           [](const MasteryEstimate& e) {
             return py::hash(py::make_tuple(e.competency_id, e.p_learned, e.mastered,
                                            e.opportunities, e.last_practiced_ms));
           })
      .def(py::pickle(
          [](const MasteryEstimate& e) {
            return py::make_tuple(e.competency_id, e.p_learned, e.mastered, e.opportunities,
                                  e.last_practiced_ms, e.log_odds, e.recent_answers);
          },
          [](const py::tuple& t) {
            // 6 fields: pickled before recent_answers.
            if (t.size() != 6 && t.size() != 7) {
              RaiseInvalidArgument("MasteryEstimate pickle: expected 7 fields");
            }
            MasteryEstimate e{t[0].cast<std::string>(), t[1].cast<double>(),
                              t[2].cast<bool>(),        t[3].cast<uint32_t>(),
                              t[4].cast<TimestampMs>(), t[5].cast<double>()};
            if (t.size() == 7) e.recent_answers = t[6].cast<int32_t>();
            return e;
          }))
      .def_readonly("competency_id", &MasteryEstimate::competency_id)
      .def_readonly("p_learned", &MasteryEstimate::p_learned)
      .def_readonly("log_odds", &MasteryEstimate::log_odds,
                    "log(P / (1 - P)): the state behind p_learned, which keeps the evidence "
                    "p_learned rounds away near 1.")
      .def_readonly("mastered", &MasteryEstimate::mastered)
      .def_readonly("opportunities", &MasteryEstimate::opportunities)
      .def_readonly("last_practiced_ms", &MasteryEstimate::last_practiced_ms)
      .def_readonly("recent_answers", &MasteryEstimate::recent_answers,
                    "The last min(opportunities, 8) answers as bits, the newest in bit 0 (1 = "
                    "correct); -1 when not known.")
      .def(PATHWISE_REPR("competency_id", "p_learned", "mastered", "opportunities",
                         "last_practiced_ms"));

  py::class_<LearnerMastery> learner_mastery(
      m, "LearnerMastery", "A learner's mastery of every competency, in graph order.");
  learner_mastery
      .def(py::init([](std::string learner_id, std::vector<MasteryEstimate> competencies) {
             return LearnerMastery{std::move(learner_id), std::move(competencies)};
           }),
           py::arg("learner_id"), py::arg("competencies") = std::vector<MasteryEstimate>{})
      .def_readonly("learner_id", &LearnerMastery::learner_id)
      .def_readonly("competencies", &LearnerMastery::competencies)
      .def_property_readonly(
          "p_learned",
          [](const LearnerMastery& lm) {
            std::vector<double> p;
            p.reserve(lm.competencies.size());
            for (const MasteryEstimate& e : lm.competencies) p.push_back(e.p_learned);
            return ToNumpy(std::move(p));
          },
          "P(learned) of every competency as a NumPy array, in graph order.")
      .def_property_readonly("competency_ids",
                             [](const LearnerMastery& lm) {
                               std::vector<std::string> ids;
                               for (const MasteryEstimate& e : lm.competencies)
                                 ids.push_back(e.competency_id);
                               return ids;
                             })
      .def(
          "to_dict",
          [](const LearnerMastery& lm) {
            py::dict out;
            for (const MasteryEstimate& e : lm.competencies)
              out[py::str(e.competency_id)] = e.p_learned;
            return out;
          },
          "{competency_id: p_learned}.")
      .def("__repr__", [](const LearnerMastery& lm) {
        return "LearnerMastery(learner_id='" + lm.learner_id + "', " +
               std::to_string(lm.competencies.size()) + " competencies)";
      });
  DefValueSemantics(learner_mastery, {"learner_id", "competencies"});

  py::class_<RecordResult>(m, "RecordResult")
      .def_readonly("applied", &RecordResult::applied)
      .def_readonly("updated", &RecordResult::updated)
      .def(PATHWISE_REPR("applied", "updated"));

  py::class_<TrackerOptions>(m, "TrackerOptions")
      .def(py::init([](int num_shards, bool individual_pace, double pace_prior_sd,
                       int mastery_min_opportunities, int mastery_recent_correct) {
             return TrackerOptions{num_shards, individual_pace, pace_prior_sd,
                                   mastery_min_opportunities, mastery_recent_correct};
           }),
           py::arg("num_shards") = TrackerOptions().num_shards,
           py::arg("individual_pace") = TrackerOptions().individual_pace,
           py::arg("pace_prior_sd") = TrackerOptions().pace_prior_sd,
           py::arg("mastery_min_opportunities") = TrackerOptions().mastery_min_opportunities,
           py::arg("mastery_recent_correct") = TrackerOptions().mastery_recent_correct)
      .def_readwrite("num_shards", &TrackerOptions::num_shards)
      .def_readwrite("individual_pace", &TrackerOptions::individual_pace,
                     "Estimate each learner's prior and learn offsets online (iBKT-style, shrunk "
                     "toward the population) and use them in their updates. Off: standard BKT.")
      .def_readwrite("pace_prior_sd", &TrackerOptions::pace_prior_sd,
                     "Standard deviation of the population prior on each offset, in [0.1, 5].")
      .def_readwrite("mastery_min_opportunities", &TrackerOptions::mastery_min_opportunities,
                     "Evidence before 'mastered' (the course's; a competency's own setting wins): "
                     "at least this many answers, >= 1. Engine keeps it equal to its policies'.")
      .def_readwrite("mastery_recent_correct", &TrackerOptions::mastery_recent_correct,
                     "Evidence before 'mastered': the last this many answers correct, in [0, 8].")
      .def(PATHWISE_REPR("num_shards", "individual_pace", "pace_prior_sd",
                         "mastery_min_opportunities", "mastery_recent_correct"));

  py::class_<MasteryTracker::MemoryUsage>(m, "TrackerMemoryUsage")
      .def_readonly("learners", &MasteryTracker::MemoryUsage::learners)
      .def_readonly("states", &MasteryTracker::MemoryUsage::states)
      .def_readonly("event_ids", &MasteryTracker::MemoryUsage::event_ids)
      .def_readonly("bytes", &MasteryTracker::MemoryUsage::bytes)
      .def(PATHWISE_REPR("learners", "states", "event_ids", "bytes"));

  py::class_<MasteryTracker>(
      m, "MasteryTracker",
      "Online BKT mastery for many learners. Thread-safe; bulk calls release the GIL.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const BktModel& model, TrackerOptions options) {
            return ValueOrThrow(MasteryTracker::Create(graph, model, options));
          },
          py::arg("graph"), py::arg("model") = BktModel{}, py::arg("options") = TrackerOptions{})
      .def(
          "record",
          [](MasteryTracker& t, const Observation& o) { return ValueOrThrow(t.Record(o)); },
          py::arg("observation"))
      .def(
          "record_batch",
          [](MasteryTracker& t, const std::vector<Observation>& observations) {
            Result<size_t> applied = [&] {
              py::gil_scoped_release release;
              return t.RecordBatch(observations);
            }();
            return ValueOrThrow(std::move(applied));
          },
          py::arg("observations"),
          "Validates all, then applies in order; nothing is applied on error. Returns how many "
          "were applied (not duplicates).")
      .def("record_arrays", &RecordArrays<MasteryTracker>, py::arg("learner_ids"),
           py::arg("activity_ids"), py::arg("outcomes"), py::arg("timestamps_ms") = py::none(),
           py::arg("event_ids") = py::none(),
           "record_batch from parallel arrays (outcomes as floats in [0, 1]).")
      .def(
          "activity_index",
          [](const MasteryTracker& t, const std::string& id) {
            return ValueOrThrow(t.ActivityIndex(id));
          },
          py::arg("activity_id"))
      .def(
          "record_sequence",
          [](MasteryTracker& t, const std::string& learner_id,
             const InputArray<uint32_t>& activity_indices, const InputArray<float>& outcomes,
             const std::optional<InputArray<int64_t>>& times) {
            const size_t n = static_cast<size_t>(activity_indices.size());
            if (static_cast<size_t>(outcomes.size()) != n ||
                (times && static_cast<size_t>(times->size()) != n)) {
              RaiseInvalidArgument("activity_indices, outcomes and timestamps_ms differ in length");
            }
            std::vector<ResolvedOutcome> steps(n);
            for (size_t i = 0; i < n; ++i) {
              steps[i] = {activity_indices.data()[i], outcomes.data()[i],
                          times ? times->data()[i] : 0};
            }
            Status status = [&] {
              py::gil_scoped_release release;
              return t.RecordSequence(learner_id, steps);
            }();
            ThrowIfError(status);
          },
          py::arg("learner_id"), py::arg("activity_indices"), py::arg("outcomes"),
          py::arg("timestamps_ms") = py::none(),
          "Bulk replay of one learner's history (no event ids, nothing deduplicated).")
      .def(
          "mastery",
          [](const MasteryTracker& t, const std::string& learner) {
            return ValueOrThrow(t.Mastery(learner));
          },
          py::arg("learner_id"))
      .def(
          "mastery",
          [](const MasteryTracker& t, const std::string& learner, const std::string& competency) {
            return ValueOrThrow(t.Mastery(learner, competency));
          },
          py::arg("learner_id"), py::arg("competency_id"))
      .def(
          "mastery_matrix",
          [](const MasteryTracker& t, const std::vector<std::string>& learners) {
            std::vector<LearnerMastery> rows;
            rows.reserve(learners.size());
            for (const std::string& learner : learners)
              rows.push_back(ValueOrThrow(t.Mastery(learner)));
            const size_t width = rows.empty() ? 0 : rows.front().competencies.size();
            py::array_t<double> out({rows.size(), width});
            auto view = out.mutable_unchecked<2>();
            for (size_t i = 0; i < rows.size(); ++i)
              for (size_t j = 0; j < width; ++j) view(i, j) = rows[i].competencies[j].p_learned;
            return out;
          },
          py::arg("learner_ids"),
          "P(learned) as a (learners x competencies) array, competencies in graph order.")
      .def(
          "prior_mastery",
          [](const MasteryTracker& t, const std::string& learner) {
            return t.PriorMastery(learner);
          },
          py::arg("learner_id"))
      .def(
          "pace",
          [](const MasteryTracker& t, const std::string& learner) {
            return ValueOrThrow(t.Pace(learner));
          },
          py::arg("learner_id"),
          "The learner's LearnerFactors: estimated (individual_pace), fixed by set_pace or the "
          "model's learner_factors, or 0 (the population).")
      .def(
          "set_mastery_evidence",
          [](MasteryTracker& t, int min_opportunities, int recent_correct) {
            ThrowIfError(t.SetMasteryEvidence(min_opportunities, recent_correct));
          },
          py::arg("min_opportunities"), py::arg("recent_correct"),
          "Changes the course's evidence before 'mastered' (TrackerOptions."
          "mastery_min_opportunities, mastery_recent_correct) for estimates read from now on. "
          "ValueError when out of range.")
      .def(
          "set_pace",
          [](MasteryTracker& t, const std::string& learner, const LearnerFactors& factors) {
            ThrowIfError(t.SetPace(learner, factors));
          },
          py::arg("learner_id"), py::arg("factors"),
          "Fixes a learner's offsets; later updates use them and no longer estimate them.")
      .def(
          "save_pace",
          [](const MasteryTracker& t, const std::string& learner) {
            return py::bytes(ValueOrThrow(t.SavePace(learner)));
          },
          py::arg("learner_id"),
          "The learner's pace (estimate and posterior) as versioned bytes to store; b'' for an "
          "unknown learner or one at the population's parameters.")
      .def(
          "restore_pace",
          [](MasteryTracker& t, const std::string& learner, const py::bytes& bytes) {
            ThrowIfError(t.RestorePace(learner, std::string(bytes)));
          },
          py::arg("learner_id"), py::arg("state"),
          "Replaces the learner's pace by save_pace's bytes (b'': the pace a new learner gets). "
          "ValueError naming the byte offset for bad bytes; nothing changes then.")
      .def(
          "has_learner",
          [](const MasteryTracker& t, const std::string& learner) { return t.HasLearner(learner); },
          py::arg("learner_id"))
      .def(
          "remove_learner",
          [](MasteryTracker& t, const std::string& learner) {
            ThrowIfError(t.RemoveLearner(learner));
          },
          py::arg("learner_id"))
      .def("learner_ids", &MasteryTracker::LearnerIds)
      .def_property_readonly("num_learners", &MasteryTracker::num_learners)
      .def("estimate_memory", &MasteryTracker::EstimateMemory);

  py::class_<EngineOptions>(m, "EngineOptions")
      .def(py::init([](TrackerOptions tracker) { return EngineOptions{tracker}; }),
           py::arg("tracker") = TrackerOptions{})
      .def_readwrite("tracker", &EngineOptions::tracker);

  py::class_<GroupMastery> group_mastery(m, "GroupMastery",
                                         "Roll-up of a group: the mean of its members.");
  group_mastery
      .def(py::init([](std::string group_id, double p_learned, bool mastered, size_t members,
                       size_t members_mastered) {
             return GroupMastery{std::move(group_id), p_learned, mastered, members,
                                 members_mastered};
           }),
           py::arg("group_id"), py::arg("p_learned"), py::arg("mastered"), py::arg("members"),
           py::arg("members_mastered"))
      .def_readonly("group_id", &GroupMastery::group_id)
      .def_readonly("p_learned", &GroupMastery::p_learned)
      .def_readonly("mastered", &GroupMastery::mastered)
      .def_readonly("members", &GroupMastery::members)
      .def_readonly("members_mastered", &GroupMastery::members_mastered)
      .def(PATHWISE_REPR("group_id", "p_learned", "mastered", "members", "members_mastered"));
  DefValueSemantics(group_mastery,
                    {"group_id", "p_learned", "mastered", "members", "members_mastered"});

  py::class_<Engine>(m, "Engine", "A competency graph, a BKT model and a mastery tracker together.")
      .def_static(
          "create",
          [](CompetencyGraph graph, BktModel model, EngineOptions options) {
            return ValueOrThrow(Engine::Create(std::move(graph), std::move(model), options));
          },
          py::arg("graph"), py::arg("model") = BktModel{}, py::arg("options") = EngineOptions{})
      // Copies: the engine's graph and model are immutable after create().
      .def_property_readonly("graph", [](const Engine& e) { return CompetencyGraph(e.graph()); })
      .def_property_readonly("model", [](const Engine& e) { return BktModel(e.model()); })
      .def_property_readonly(
          "tracker", [](Engine& e) -> MasteryTracker& { return e.tracker(); },
          py::return_value_policy::reference_internal)
      .def(
          "record", [](Engine& e, const Observation& o) { return ValueOrThrow(e.Record(o)); },
          py::arg("observation"),
          "Records one observation: the tracker's mastery and the state of every policy the "
          "engine serves (zpdes, mastery's last activity) are updated from this one call. A "
          "duplicate event id changes nothing.")
      .def(
          "record_batch",
          [](Engine& e, const std::vector<Observation>& observations) {
            Result<size_t> applied = [&] {
              py::gil_scoped_release release;
              return e.RecordBatch(observations);
            }();
            return ValueOrThrow(std::move(applied));
          },
          py::arg("observations"))
      .def("record_arrays", &RecordArrays<Engine>, py::arg("learner_ids"), py::arg("activity_ids"),
           py::arg("outcomes"), py::arg("timestamps_ms") = py::none(),
           py::arg("event_ids") = py::none())
      .def(
          "mastery", [](const Engine& e, const std::string& learner) { return e.Mastery(learner); },
          py::arg("learner_id"), "Mastery of a learner; an unknown learner is at the priors.")
      .def(
          "frontier",
          [](const Engine& e, const std::string& learner) { return e.Frontier(learner); },
          py::arg("learner_id"))
      .def(
          "group_rollup",
          [](const Engine& e, const std::string& learner) { return e.GroupRollup(learner); },
          py::arg("learner_id"));
}

}  // namespace pathwise::python
