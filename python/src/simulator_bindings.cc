// pathwise._core: The simulator: synthetic learners and cohorts, simulation runs and their results.
#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/simulator.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

std::vector<PolicyKind> PolicyKindsFromPython(const py::iterable& kinds) {
  std::vector<PolicyKind> out;
  for (py::handle kind : kinds) out.push_back(PolicyKindFromPython(kind));
  return out;
}

// Per-learner outcomes as columns (NumPy arrays), ready for a DataFrame.
py::dict LearnerOutcomeColumns(const SimulationResult& result) {
  const size_t n = result.learner_outcomes.size();
  std::vector<uint32_t> policy(n), learner(n), group(n), start_learned(n), final_learned(n),
      final_scope_learned(n);
  std::vector<double> learn_offset(n), prior_offset(n);
  std::vector<int32_t> steps_to_goal(n), steps_taken(n);
  std::vector<bool> reached(n);
  for (size_t i = 0; i < n; ++i) {
    const LearnerOutcome& o = result.learner_outcomes[i];
    policy[i] = o.policy;
    learner[i] = o.learner;
    group[i] = o.group;
    learn_offset[i] = o.learn_offset;
    prior_offset[i] = o.prior_offset;
    steps_to_goal[i] = o.steps_to_goal;
    reached[i] = o.reached_goal;
    steps_taken[i] = o.steps_taken;
    start_learned[i] = o.start_learned;
    final_learned[i] = o.final_learned;
    final_scope_learned[i] = o.final_scope_learned;
  }
  py::array_t<bool> reached_goal(static_cast<py::ssize_t>(n));
  for (size_t i = 0; i < n; ++i) reached_goal.mutable_data()[i] = reached[i];
  py::dict out;
  out["policy"] = ToNumpy(std::move(policy));
  out["learner"] = ToNumpy(std::move(learner));
  out["group"] = ToNumpy(std::move(group));
  out["learn_offset"] = ToNumpy(std::move(learn_offset));
  out["prior_offset"] = ToNumpy(std::move(prior_offset));
  out["steps_to_goal"] = ToNumpy(std::move(steps_to_goal));
  out["reached_goal"] = reached_goal;
  out["steps_taken"] = ToNumpy(std::move(steps_taken));
  out["start_learned"] = ToNumpy(std::move(start_learned));
  out["final_learned"] = ToNumpy(std::move(final_learned));
  out["final_scope_learned"] = ToNumpy(std::move(final_scope_learned));
  return out;
}

}  // namespace

void BindSimulator(py::module_& m) {
  py::class_<CohortGroup>(m, "CohortGroup",
                          "A named part of the simulated population with its own logit offsets.")
      .def(py::init([](std::string name, double weight, double learn_offset, double prior_offset,
                       double learn_spread, double prior_spread) {
             return CohortGroup{std::move(name), weight,       learn_offset,
                                prior_offset,    learn_spread, prior_spread};
           }),
           py::arg("name"), py::arg("weight") = CohortGroup().weight,
           py::arg("learn_offset") = CohortGroup().learn_offset,
           py::arg("prior_offset") = CohortGroup().prior_offset,
           py::arg("learn_spread") = CohortGroup().learn_spread,
           py::arg("prior_spread") = CohortGroup().prior_spread)
      .def_readwrite("name", &CohortGroup::name)
      .def_readwrite("weight", &CohortGroup::weight)
      .def_readwrite("learn_offset", &CohortGroup::learn_offset)
      .def_readwrite("prior_offset", &CohortGroup::prior_offset)
      .def_readwrite("learn_spread", &CohortGroup::learn_spread)
      .def_readwrite("prior_spread", &CohortGroup::prior_spread)
      .def(PATHWISE_REPR("name", "weight", "learn_offset", "prior_offset", "learn_spread",
                         "prior_spread"));

  py::class_<LearnerModelOptions>(m, "LearnerModelOptions",
                                  "The ground truth: how simulated learners really learn.")
      .def(py::init<>())
      .def_readwrite("model", &LearnerModelOptions::model)
      .def_readwrite("competency_learn_spread", &LearnerModelOptions::competency_learn_spread)
      .def_readwrite("competency_prior_spread", &LearnerModelOptions::competency_prior_spread)
      .def_readwrite("prerequisite_penalty", &LearnerModelOptions::prerequisite_penalty)
      .def_readwrite("forget_per_day", &LearnerModelOptions::forget_per_day)
      .def_readwrite("review_stability", &LearnerModelOptions::review_stability)
      .def_readwrite("prior_knowledge_practices", &LearnerModelOptions::prior_knowledge_practices)
      .def_readwrite("groups", &LearnerModelOptions::groups)
      .def("validate", [](const LearnerModelOptions& o) { ThrowIfError(o.Validate()); })
      .def(PATHWISE_REPR("competency_learn_spread", "competency_prior_spread",
                         "prerequisite_penalty", "forget_per_day", "review_stability",
                         "prior_knowledge_practices", "groups"));

  py::class_<ScheduleOptions>(m, "ScheduleOptions", "When simulated steps happen.")
      .def(py::init<>())
      .def_readwrite("steps_per_session", &ScheduleOptions::steps_per_session)
      .def_readwrite("session_interval_minutes", &ScheduleOptions::session_interval_minutes)
      .def_readwrite("start_ms", &ScheduleOptions::start_ms)
      .def(PATHWISE_REPR("steps_per_session", "session_interval_minutes", "start_ms"));

  py::class_<SimulationOptions>(m, "SimulationOptions", "What to simulate (see simulator.h).")
      .def(py::init<>())
      .def_property(
          "policies", [](const SimulationOptions& o) { return o.policies; },
          [](SimulationOptions& o, const py::iterable& kinds) {
            o.policies = PolicyKindsFromPython(kinds);
          },
          "Policies to compare: PolicyKind values or their names ('mastery', ...).")
      .def_readwrite("recommender", &SimulationOptions::recommender)
      .def_readwrite("goals", &SimulationOptions::goals)
      .def_readwrite("learners", &SimulationOptions::learners)
      .def_readwrite("steps", &SimulationOptions::steps)
      .def_readwrite("seed", &SimulationOptions::seed)
      .def_readwrite("threads", &SimulationOptions::threads)
      .def_readwrite("truth", &SimulationOptions::truth)
      .def_readwrite("online_model", &SimulationOptions::online_model)
      .def_readwrite("schedule", &SimulationOptions::schedule)
      .def_readwrite("curve_points", &SimulationOptions::curve_points)
      .def("validate", [](const SimulationOptions& o) { ThrowIfError(o.Validate()); })
      .def(PATHWISE_REPR("policies", "goals", "learners", "steps", "seed", "threads",
                         "curve_points"));

  py::class_<CohortOutcome>(m, "CohortOutcome", "Results of a policy for a set of learners.")
      .def_readonly("group", &CohortOutcome::group)
      .def_readonly("learners", &CohortOutcome::learners)
      .def_readonly("mean_steps_to_goal", &CohortOutcome::mean_steps_to_goal)
      .def_readonly("median_steps_to_goal", &CohortOutcome::median_steps_to_goal)
      .def_readonly("reached_goal_share", &CohortOutcome::reached_goal_share)
      .def_readonly("mean_steps_among_reached", &CohortOutcome::mean_steps_among_reached)
      .def_readonly("mean_final_learned", &CohortOutcome::mean_final_learned)
      .def_readonly("mean_final_scope_learned", &CohortOutcome::mean_final_scope_learned)
      .def_readonly("stopped_early_share", &CohortOutcome::stopped_early_share)
      .def_readonly("prediction", &CohortOutcome::prediction)
      .def_property_readonly(
          "curve_learned",
          [](const CohortOutcome& o) { return ToNumpy(std::vector<double>(o.curve_learned)); })
      .def_property_readonly("curve_scope_learned",
                             [](const CohortOutcome& o) {
                               return ToNumpy(std::vector<double>(o.curve_scope_learned));
                             })
      .def_property_readonly("curve_reached_share",
                             [](const CohortOutcome& o) {
                               return ToNumpy(std::vector<double>(o.curve_reached_share));
                             })
      .def("to_dict",
           [](const py::object& self) {
             return FieldsDict(
                 self, {"group", "learners", "mean_steps_to_goal", "median_steps_to_goal",
                        "reached_goal_share", "mean_steps_among_reached", "mean_final_learned",
                        "mean_final_scope_learned", "stopped_early_share"});
           })
      .def(PATHWISE_REPR("group", "learners", "mean_steps_to_goal", "reached_goal_share",
                         "mean_final_learned"));

  py::class_<PolicyResult>(m, "PolicyResult")
      .def_readonly("policy", &PolicyResult::policy)
      .def_readonly("all", &PolicyResult::all)
      .def_readonly("groups", &PolicyResult::groups)
      .def(PATHWISE_REPR("policy", "all"));

  py::class_<LearnerOutcome>(m, "LearnerOutcome", "One learner under one policy.")
      .def_readonly("policy", &LearnerOutcome::policy)
      .def_readonly("learner", &LearnerOutcome::learner)
      .def_readonly("group", &LearnerOutcome::group)
      .def_readonly("learn_offset", &LearnerOutcome::learn_offset)
      .def_readonly("prior_offset", &LearnerOutcome::prior_offset)
      .def_readonly("steps_to_goal", &LearnerOutcome::steps_to_goal)
      .def_readonly("reached_goal", &LearnerOutcome::reached_goal)
      .def_readonly("steps_taken", &LearnerOutcome::steps_taken)
      .def_readonly("start_learned", &LearnerOutcome::start_learned)
      .def_readonly("final_learned", &LearnerOutcome::final_learned)
      .def_readonly("final_scope_learned", &LearnerOutcome::final_scope_learned)
      .def(PATHWISE_REPR("policy", "learner", "group", "steps_to_goal", "reached_goal"));

  py::class_<SimulationResult>(m, "SimulationResult")
      .def_readonly("seed", &SimulationResult::seed)
      .def_readonly("learners", &SimulationResult::learners)
      .def_readonly("steps", &SimulationResult::steps)
      .def_readonly("goal_competencies", &SimulationResult::goal_competencies)
      .def_readonly("goal_scope_size", &SimulationResult::goal_scope_size)
      .def_readonly("num_competencies", &SimulationResult::num_competencies)
      .def_readonly("group_names", &SimulationResult::group_names)
      .def_property_readonly(
          "curve_steps",
          [](const SimulationResult& r) { return ToNumpy(std::vector<int>(r.curve_steps)); })
      .def_readonly("policies", &SimulationResult::policies)
      .def_readonly("learner_outcomes", &SimulationResult::learner_outcomes)
      .def("learner_outcome_columns", &LearnerOutcomeColumns,
           "Per-learner outcomes as a dict of NumPy arrays (policy-major, then learner order).")
      .def(PATHWISE_REPR("seed", "learners", "steps", "goal_competencies", "policies"));

  py::class_<SyntheticLearner>(m, "SyntheticLearner",
                               "One simulated learner with hidden knowledge. Not thread-safe.")
      .def_property_readonly("index", &SyntheticLearner::index)
      .def_property_readonly("group", &SyntheticLearner::group)
      .def_property_readonly("learn_offset", &SyntheticLearner::learn_offset)
      .def_property_readonly("prior_offset", &SyntheticLearner::prior_offset)
      .def("is_learned", &SyntheticLearner::IsLearned, py::arg("competency"))
      .def_property_readonly("num_learned", &SyntheticLearner::num_learned)
      .def("learn_probability", &SyntheticLearner::LearnProbability, py::arg("activity"),
           py::arg("competency"))
      .def("correct_probability", &SyntheticLearner::CorrectProbability, py::arg("activity"))
      .def("advance_to", &SyntheticLearner::AdvanceTo, py::arg("minutes"))
      .def("attempt", &SyntheticLearner::Attempt, py::arg("activity"), py::arg("minutes"),
           "Answers the activity (True = correct), then learns or forgets.");

  py::class_<SyntheticCohort>(m, "SyntheticCohort",
                              "The ground truth compiled for one graph; makes learners.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const LearnerModelOptions& options, uint64_t seed) {
            return ValueOrThrow(SyntheticCohort::Create(graph, options, seed));
          },
          py::arg("graph"), py::arg("options") = LearnerModelOptions{}, py::arg("seed") = 1)
      .def("make_learner", &SyntheticCohort::MakeLearner, py::arg("index"), py::keep_alive<0, 1>(),
           "Learner `index`, drawn from (seed, index) only.")
      .def_property_readonly("num_competencies", &SyntheticCohort::num_competencies)
      .def_property_readonly("num_activities", &SyntheticCohort::num_activities)
      .def_property_readonly("competency_ids", &SyntheticCohort::competency_ids)
      .def_property_readonly("activity_ids", &SyntheticCohort::activity_ids)
      .def_property_readonly("group_names", &SyntheticCohort::group_names)
      .def(
          "activity_index",
          [](const SyntheticCohort& c, const std::string& id) {
            return ValueOrThrow(c.ActivityIndex(id));
          },
          py::arg("activity_id"))
      .def(
          "competency_index",
          [](const SyntheticCohort& c, const std::string& id) {
            return ValueOrThrow(c.CompetencyIndex(id));
          },
          py::arg("competency_id"))
      .def("population_params", &SyntheticCohort::PopulationParams, py::arg("competency"),
           py::return_value_policy::copy)
      .def("population_model", &SyntheticCohort::PopulationModel);

  py::class_<Simulation>(m, "Simulation", "Runs simulations on one graph with one set of options.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, SimulationOptions options) {
            return ValueOrThrow(Simulation::Create(graph, std::move(options)));
          },
          py::arg("graph"), py::arg("options") = SimulationOptions{})
      .def_property_readonly("options",
                             [](const Simulation& s) { return SimulationOptions(s.options()); })
      .def_property_readonly("cohort", &Simulation::cohort,
                             py::return_value_policy::reference_internal)
      .def_property_readonly("online_model",
                             [](const Simulation& s) { return BktModel(s.online_model()); })
      .def(
          "run",
          [](const Simulation& s) {
            Result<SimulationResult> result = [&] {
              py::gil_scoped_release release;
              return s.Run();
            }();
            return ValueOrThrow(std::move(result));
          },
          "Every policy of options.policies on every learner (releases the GIL).")
      .def(
          "run",
          [](const Simulation& s,
             const std::vector<std::pair<std::string, std::shared_ptr<Policy>>>& policies) {
            std::vector<SimulatedPolicy> simulated;
            for (const auto& [name, policy] : policies) {
              if (policy == nullptr) RaiseInvalidArgument("policy '" + name + "' is None");
              simulated.push_back({name, policy});
            }
            Result<SimulationResult> result = [&] {
              py::gil_scoped_release release;
              return s.Run(simulated);
            }();
            return ValueOrThrow(std::move(result));
          },
          py::arg("policies"),
          "Runs (name, Policy) pairs built with make_policy (typically on online_model).");

  m.def(
      "run_simulation",
      [](const CompetencyGraph& graph, const SimulationOptions& options) {
        Result<SimulationResult> result = [&] {
          py::gil_scoped_release release;
          return RunSimulation(graph, options);
        }();
        return ValueOrThrow(std::move(result));
      },
      py::arg("graph"), py::arg("options") = SimulationOptions{},
      "Simulation.create(graph, options).run().");
}

}  // namespace pathwise::python
