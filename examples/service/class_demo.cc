// pathwise_class_demo: pathwised end to end, the way a learning platform uses it.
//
// Starts the real server binary on loopback with a fresh SQLite data directory and one tenant,
// loads the example curriculum, and drives a small simulated class through gRPC: every round each
// learner asks Recommend for the next activity, answers it, and the round's answers go back in one
// RecordEvents batch. Then it prints what a teacher or a developer wants to see (mastery, the next
// activity and why, the pathway to the goal, a class summary, what errors look like), stops the
// server with SIGTERM and checks that it exited cleanly.
//
//     build/bin/pathwise_class_demo [--server build/bin/pathwised] [--learners 8] [--rounds 80]
//         [--seed 7] [--goal fractions.add_unlike] [--graph examples/curriculum/fractions.json]
//         [--events examples/curriculum/fractions_events.csv | --events ""] [--keep-data DIR]
//         [--startup-timeout SECONDS]
//
// The learners' answers come from the core simulator (SyntheticCohort, seeded), which plays the
// part of real students: it knows their hidden knowledge; the server only sees their answers. So
// the output is the same on every run apart from the port, the directory and the timings.
//
// Exit code: 0 when every step worked and the server stopped cleanly, 1 otherwise, 2 for bad
// usage. The server is never left running: every error path stops it.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/simulator.h>

#include "pathwise/v1/curriculum_service.grpc.pb.h"
#include "pathwise/v1/learner_service.grpc.pb.h"
#include "pathwise/v1/recommendation_service.grpc.pb.h"
#include "server_process.h"

namespace v1 = pathwise::v1;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kTenant[] = "demo";
constexpr char kApiKey[] = "class-demo-key-0123456789";  // the server wants >= 16 characters
// The class starts on Monday 2026-09-07 09:00 UTC, a week after the example events.
constexpr int64_t kClassStartMs = 1788771600000;
constexpr int kRoundsPerSession = 10;  // then the class meets again the next day

struct Options {
  std::string server;  // empty: pathwised beside this executable
  std::string graph = "examples/curriculum/fractions.json";
  std::string events = "examples/curriculum/fractions_events.csv";  // empty: replay nothing
  std::string goal = "fractions.add_unlike";
  std::string keep_data;  // empty: a temporary directory, removed at the end
  int learners = 8;
  int rounds = 80;
  uint64_t seed = 7;
  double startup_timeout_seconds = 10.0;
};

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) return false;
    const std::string value = argv[i + 1];
    char* end = nullptr;
    if (flag == "--server") {
      o->server = value;
    } else if (flag == "--graph") {
      o->graph = value;
    } else if (flag == "--events") {
      o->events = value;
    } else if (flag == "--goal") {
      o->goal = value;
    } else if (flag == "--keep-data") {
      o->keep_data = value;
    } else if (flag == "--learners") {
      o->learners = static_cast<int>(std::strtol(value.c_str(), &end, 10));
      if (*end != '\0' || o->learners < 1 || o->learners > 100) return false;
    } else if (flag == "--rounds") {
      o->rounds = static_cast<int>(std::strtol(value.c_str(), &end, 10));
      if (*end != '\0' || o->rounds < 1 || o->rounds > 1000) return false;
    } else if (flag == "--seed") {
      o->seed = std::strtoull(value.c_str(), &end, 10);
      if (*end != '\0' || value.empty()) return false;
    } else if (flag == "--startup-timeout") {
      o->startup_timeout_seconds = std::strtod(value.c_str(), &end);
      const double t = o->startup_timeout_seconds;
      if (*end != '\0' || !(t > 0 && t <= 3600)) return false;
    } else {
      return false;
    }
  }
  return !o->graph.empty() && !o->goal.empty();
}

// ---- The server as a child process --------------------------------------------------------------

// The child's pid for the signal handler: a Ctrl-C or a kill of the demo passes SIGTERM on, so the
// server drains and exits instead of outliving us.
volatile sig_atomic_t g_child_pid = -1;
volatile sig_atomic_t g_interrupted = 0;

void ForwardSignal(int) {
  g_interrupted = 1;
  if (g_child_pid > 0) kill(static_cast<pid_t>(g_child_pid), SIGTERM);
}

// The working directory of the run: a fresh temporary one, removed at the end, or the one the user
// asked to keep. Declared before the server so that it outlives it.
class WorkDir {
 public:
  ~WorkDir() {
    if (!remove_ || path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  bool Create(const std::string& keep, std::string* error) {
    std::error_code ec;
    if (!keep.empty()) {
      // A store from an earlier run would mix its learners with this class's: start empty.
      if (std::filesystem::exists(keep, ec) && !std::filesystem::is_empty(keep, ec)) {
        *error = "--keep-data " + keep + ": the directory must be new or empty";
        return false;
      }
      std::filesystem::create_directories(keep, ec);
      if (ec) {
        *error = "--keep-data " + keep + ": " + ec.message();
        return false;
      }
      path_ = keep;
      return true;
    }
    std::string pattern =
        (std::filesystem::temp_directory_path(ec) / "pathwise-class-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      *error = "cannot create a temporary directory " + pattern + ": " + std::strerror(errno);
      return false;
    }
    path_ = pattern;
    remove_ = true;
    return true;
  }

  const std::string& path() const { return path_; }
  bool removed_at_exit() const { return remove_; }

 private:
  std::string path_;
  bool remove_ = false;
};

// ---- gRPC helpers -------------------------------------------------------------------------------

std::string Describe(const grpc::Status& status) {
  return std::string(pathwise::testing::GrpcCodeName(status.error_code())) + ": " +
         status.error_message();
}

// Every call carries the tenant's key and a deadline, as a platform's client would.
std::unique_ptr<grpc::ClientContext> Context(const std::string& key = kApiKey) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

std::string ReadFile(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot be read (run from the repository root, or pass the path)";
    return "";
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// "fractions.add_unlike" -> "add_unlike" when every id shares the prefix: keeps lines short.
class ShortIds {
 public:
  explicit ShortIds(const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    const size_t dot = ids[0].find('.');
    if (dot == std::string::npos) return;
    prefix_ = ids[0].substr(0, dot + 1);
    for (const std::string& id : ids) {
      if (id.rfind(prefix_, 0) != 0) prefix_.clear();
    }
  }
  std::string operator()(const std::string& id) const {
    return !prefix_.empty() && id.rfind(prefix_, 0) == 0 ? id.substr(prefix_.size()) : id;
  }

 private:
  std::string prefix_;
};

const char* PartName(v1::ScorePart part) {
  switch (part) {
    case v1::SCORE_PART_READINESS:
      return "readiness";
    case v1::SCORE_PART_GOAL_RELEVANCE:
      return "goal";
    case v1::SCORE_PART_DIFFICULTY_FIT:
      return "difficulty fit";
    case v1::SCORE_PART_REMEDIATION:
      return "remediation";
    case v1::SCORE_PART_REVIEW_DUE:
      return "review";
    case v1::SCORE_PART_CONTINUITY:
      return "continuity";
    case v1::SCORE_PART_LEARNING_PROGRESS:
      return "progress";
    default:
      return "?";
  }
}

// ---- The class ----------------------------------------------------------------------------------

// One simulated student: the server knows the id and the answers; only the demo knows `truth`.
struct Student {
  std::string id;
  std::string group;
  pathwise::SyntheticLearner truth;
  double minutes = 0.0;  // the student's own clock, since the class started
  int events = 0;
  int correct = 0;
  int goal_mastered_round = 0;  // the round after which the server first reported the goal mastered
};

std::string StudentId(int i) {
  static const char* const kNames[] = {"amir", "bea",  "carlos", "dara", "eli",   "fay",
                                       "gus",  "hana", "ivan",   "jo",   "kemal", "lin"};
  return i < 12 ? kNames[i] : "student-" + std::to_string(i + 1);
}

// Runs the whole demo; false (after printing why) when anything failed.
class ClassDemo {
 public:
  explicit ClassDemo(const Options& options) : o_(options) {}
  // server_'s destructor kills a server still running; the signal handler must not find its pid.
  ~ClassDemo() { g_child_pid = -1; }

  bool Run() {
    std::string error;
    if (!work_dir_.Create(o_.keep_data, &error)) return Fail(error);
    const std::string data_dir = (std::filesystem::path(work_dir_.path()) / "data").string();
    const std::string log = (std::filesystem::path(work_dir_.path()) / "pathwised.log").string();
    pathwise::testing::ServerProcessOptions server;
    server.binary = ServerBinary();
    server.args = {"--data-dir",  data_dir, "--api-key", std::string(kTenant) + "=" + kApiKey,
                   "--log-level", "warning"};
    server.log_path = log;
    server.append_log = false;
    server.startup_timeout_seconds = o_.startup_timeout_seconds;
    server.on_spawn = [](pid_t pid) { g_child_pid = pid; };
    if (pathwise::Status started = server_.Start(server); !started.ok()) {
      g_child_pid = -1;
      return Fail(started.message());
    }
    channel_ = grpc::CreateChannel(server_.address(), grpc::InsecureChannelCredentials());
    curriculum_ = v1::CurriculumService::NewStub(channel_);
    learners_ = v1::LearnerService::NewStub(channel_);
    recommendations_ = v1::RecommendationService::NewStub(channel_);
    // Start waited for SERVING already; asked again here as a platform's readiness probe would.
    pathwise::Result<std::string> health = pathwise::testing::CheckHealth(channel_);
    if (!health.ok()) return Fail(health.status().message());
    if (*health != "SERVING") return Fail("health check: the server is " + *health);
    std::printf("pathwised listening on %s (pid %d); health check: SERVING\n",
                server_.address().c_str(), static_cast<int>(server_.pid()));
    std::printf("  SQLite store in %s; tenant \"%s\", its API key passed with --api-key\n",
                data_dir.c_str(), kTenant);

    const bool ok =
        LoadCurriculum() && ReplayEvents() && MakeClass() && Teach() && Report() && ShowErrors();
    std::string stopped;
    const bool clean = server_.Stop(15.0, &stopped);
    g_child_pid = -1;
    std::printf("\nSIGTERM: pathwised stopped, %s%s\n", stopped.c_str(), clean ? " (clean)" : "");
    if (work_dir_.removed_at_exit()) {
      std::printf("removed %s\n", work_dir_.path().c_str());
    } else {
      std::printf("kept the data in %s (restart: pathwised --data-dir %s --api-key %s=%s)\n",
                  work_dir_.path().c_str(), data_dir.c_str(), kTenant, kApiKey);
    }
    return ok && clean;
  }

 private:
  bool Fail(const std::string& message) {
    std::fprintf(stderr, "pathwise_class_demo: %s\n", message.c_str());
    return false;
  }

  bool Fail(const char* call, const grpc::Status& status) {
    if (g_interrupted) return Fail("interrupted: the server was asked to stop");
    return Fail(std::string(call) + " failed: " + Describe(status));
  }

  std::string ServerBinary() const {
    return o_.server.empty() ? pathwise::testing::BinaryBesideSelf("pathwised") : o_.server;
  }

  // ValidateGraph first (it stores nothing and lists every problem), then PutGraph.
  bool LoadCurriculum() {
    std::string error;
    const std::string json = ReadFile(o_.graph, &error);
    if (!error.empty()) return Fail(error);
    v1::ValidateGraphRequest validate;
    validate.set_graph_json(json);
    v1::ValidateGraphResponse validation;
    grpc::Status status = curriculum_->ValidateGraph(Context().get(), validate, &validation);
    if (!status.ok()) return Fail("ValidateGraph", status);
    if (!validation.valid()) {
      std::string problems;
      for (const v1::GraphProblem& p : validation.problems()) {
        problems += "\n  " + p.path() + ": " + p.message();
      }
      return Fail("ValidateGraph: " + o_.graph + " is not valid:" + problems);
    }
    v1::PutGraphRequest put;
    put.set_graph_json(json);
    put.set_expected_version(0);  // a fresh store has no graph yet
    v1::PutGraphResponse graph;
    status = curriculum_->PutGraph(Context().get(), put, &graph);
    if (!status.ok()) return Fail("PutGraph", status);
    std::printf("ValidateGraph %s: valid, no problems\n", o_.graph.c_str());
    std::printf(
        "PutGraph: version %lld, %d competencies, %d prerequisites, %d activities, %d groups\n",
        static_cast<long long>(graph.version()), graph.competencies(), graph.prerequisites(),
        graph.activities(), graph.groups());
    return true;
  }

  // The example log through the client stream, one message per learner; then the same events
  // again with RecordEvents, which must find every one already stored.
  bool ReplayEvents() {
    if (o_.events.empty()) return true;
    auto observations = pathwise::ReadObservationsCsv(o_.events);
    if (!observations.ok()) return Fail(observations.status().ToString());
    std::map<std::string, v1::RecordEventsRequest> per_learner;
    v1::RecordEventsRequest all;
    for (const pathwise::Observation& o : *observations) {
      for (v1::RecordEventsRequest* request : {&per_learner[o.learner_id], &all}) {
        v1::Observation* e = request->add_events();
        e->set_event_id(o.event_id);
        e->set_learner_id(o.learner_id);
        e->set_activity_id(o.activity_id);
        e->set_outcome(o.outcome);
        e->set_timestamp_ms(o.timestamp_ms);
      }
    }
    auto context = Context();
    v1::RecordEventsResponse streamed;
    auto writer = learners_->StreamEvents(context.get(), &streamed);
    for (const auto& [learner, batch] : per_learner) {
      if (!writer->Write(batch)) break;  // the server ended the call: Finish says why
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return Fail("StreamEvents", status);
    v1::RecordEventsResponse again;
    status = learners_->RecordEvents(Context().get(), all, &again);
    if (!status.ok()) return Fail("RecordEvents", status);
    std::printf("StreamEvents %s: %llu events of %zu learners recorded in %llu batches\n",
                o_.events.c_str(), static_cast<unsigned long long>(streamed.recorded()),
                per_learner.size(), static_cast<unsigned long long>(streamed.batches()));
    std::printf(
        "RecordEvents of the same %d events again: %llu recorded, %llu duplicates "
        "(idempotent by event_id)\n",
        all.events_size(), static_cast<unsigned long long>(again.recorded()),
        static_cast<unsigned long long>(again.duplicates()));
    if (again.recorded() != 0) return Fail("re-sent events were recorded a second time");
    return true;
  }

  // The ground truth: the same curriculum in the core simulator, three groups of abilities.
  bool MakeClass() {
    auto graph = pathwise::ReadGraphFile(o_.graph);
    if (!graph.ok()) return Fail(graph.status().ToString());
    graph_ = std::make_unique<pathwise::CompetencyGraph>(*std::move(graph));
    pathwise::LearnerModelOptions truth;
    truth.groups = {{"quick", 1.0, /*learn_offset=*/0.8, /*prior_offset=*/0.5},
                    {"steady", 1.0, 0.0, 0.0},
                    {"needs-support", 1.0, /*learn_offset=*/-0.8, /*prior_offset=*/-0.5}};
    auto cohort = pathwise::SyntheticCohort::Create(*graph_, truth, o_.seed);
    if (!cohort.ok()) return Fail(cohort.status().ToString());
    cohort_ = *std::move(cohort);
    auto goal = cohort_->CompetencyIndex(o_.goal);
    if (!goal.ok()) return Fail("--goal: " + goal.status().ToString());
    goal_index_ = *goal;
    std::map<std::string, int> sizes;
    for (int i = 0; i < o_.learners; ++i) {
      pathwise::SyntheticLearner truth_learner = cohort_->MakeLearner(static_cast<uint32_t>(i));
      const std::string group = cohort_->group_names()[truth_learner.group()];
      ++sizes[group];
      students_.push_back(Student{StudentId(i), group, std::move(truth_learner)});
    }
    std::string groups;
    for (const std::string& name : cohort_->group_names()) {
      groups += (groups.empty() ? "" : ", ") + name + " " + std::to_string(sizes[name]);
    }
    std::printf("\nclass: %d simulated learners (seed %llu): %s; goal %s\n", o_.learners,
                static_cast<unsigned long long>(o_.seed), groups.c_str(), o_.goal.c_str());
    std::printf(
        "  %d rounds: Recommend for each learner, who answers the top activity; one "
        "RecordEvents batch a round\n",
        o_.rounds);
    return true;
  }

  bool Teach() {
    for (int round = 1; round <= o_.rounds; ++round) {
      if (g_interrupted) return Fail("interrupted");
      v1::RecordEventsRequest batch;
      batch.set_return_mastery(true);  // tells us when the server first sees the goal mastered
      for (Student& s : students_) {
        v1::RecommendRequest request;
        request.set_learner_id(s.id);
        request.add_goals(o_.goal);
        request.set_k(1);
        // A learner exists once an event is stored; before, it gets the cold-start recommendation.
        v1::RecommendResponse response;
        const auto started = Clock::now();
        grpc::Status status = recommendations_->Recommend(Context().get(), request, &response);
        recommend_ms_.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - started).count());
        if (!status.ok()) return Fail("Recommend", status);
        if (response.recommendations().empty()) continue;  // nothing left to do this round
        const v1::Recommendation& next = response.recommendations(0);
        auto activity = cohort_->ActivityIndex(next.activity_id());
        if (!activity.ok()) return Fail(activity.status().ToString());
        // A new day every kRoundsPerSession rounds: the simulator forgets over that time.
        const int session = (round - 1) / kRoundsPerSession;
        s.minutes = std::max(s.minutes, session * 1440.0);
        const bool correct = s.truth.Attempt(*activity, s.minutes);
        s.minutes += next.expected_minutes();
        ++s.events;
        s.correct += correct ? 1 : 0;
        v1::Observation* e = batch.add_events();
        e->set_event_id(s.id + "-" + std::to_string(round));
        e->set_learner_id(s.id);
        e->set_activity_id(next.activity_id());
        e->set_outcome(correct ? 1.0 : 0.0);
        e->set_timestamp_ms(kClassStartMs + static_cast<int64_t>(s.minutes * 60000.0));
      }
      if (batch.events().empty()) continue;
      v1::RecordEventsResponse recorded;
      const auto started = Clock::now();
      grpc::Status status = learners_->RecordEvents(Context().get(), batch, &recorded);
      record_ms_.push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - started).count());
      if (!status.ok()) return Fail("RecordEvents", status);
      events_sent_ += batch.events_size();
      duplicates_ += static_cast<int>(recorded.duplicates());
      for (const v1::LearnerMasteryUpdate& update : recorded.learners()) {
        for (const v1::MasteryEstimate& e : update.competencies()) {
          if (e.competency_id() != o_.goal || !e.mastered()) continue;
          for (Student& s : students_) {
            if (s.id == update.learner_id() && s.goal_mastered_round == 0) {
              s.goal_mastered_round = round;
            }
          }
        }
      }
    }
    return true;
  }

  // Per learner: what the server knows (GetMastery), what comes next and why (Recommend), the
  // pathway to the goal (PlanPathway); beside it, what the simulator knows to be true.
  bool Report() {
    ShortIds short_id(cohort_->competency_ids());
    std::printf(
        "\nafter %d rounds (P(L): the server's estimate; truth: the simulator's; pathway: P(L) "
        "(expected opportunities))\n",
        o_.rounds);
    std::map<std::string, std::pair<int, int>> group_goal;  // group -> (mastered, learners)
    int goal_mastered = 0, goal_learned = 0, agree = 0, cells = 0;
    for (Student& s : students_) {
      if (s.events == 0) {  // unknown to the server: its mastery would be NOT_FOUND
        std::printf("%-7s %-13s no events: nothing was recommended\n", s.id.c_str(),
                    s.group.c_str());
        continue;
      }
      v1::GetMasteryRequest mastery_request;
      mastery_request.set_learner_id(s.id);
      v1::GetMasteryResponse mastery;
      grpc::Status status = learners_->GetMastery(Context().get(), mastery_request, &mastery);
      if (!status.ok()) return Fail("GetMastery", status);
      int mastered = 0;
      double goal_p = 0.0;
      bool goal_is_mastered = false;
      for (const v1::MasteryEstimate& e : mastery.competencies()) {
        mastered += e.mastered() ? 1 : 0;
        auto index = cohort_->CompetencyIndex(e.competency_id());
        if (!index.ok()) return Fail(index.status().ToString());
        agree += e.mastered() == s.truth.IsLearned(*index) ? 1 : 0;
        ++cells;
        if (e.competency_id() == o_.goal) {
          goal_p = e.p_learned();
          goal_is_mastered = e.mastered();
        }
      }
      goal_mastered += goal_is_mastered ? 1 : 0;
      goal_learned += s.truth.IsLearned(goal_index_) ? 1 : 0;
      group_goal[s.group].first += goal_is_mastered ? 1 : 0;
      group_goal[s.group].second += 1;
      std::string when;
      if (s.goal_mastered_round > 0) when = " at round " + std::to_string(s.goal_mastered_round);
      std::printf(
          "%-7s %-13s %3d events, %2d%% correct | %s P(L) %.2f%s%s | %d/%d mastered (truth %zu)\n",
          s.id.c_str(), s.group.c_str(), s.events, s.events > 0 ? 100 * s.correct / s.events : 0,
          short_id(o_.goal).c_str(), goal_p, goal_is_mastered ? ", mastered" : "", when.c_str(),
          mastered, mastery.competencies_size(), s.truth.num_learned());

      v1::RecommendRequest request;
      request.set_learner_id(s.id);
      request.add_goals(o_.goal);
      request.set_k(1);
      v1::RecommendResponse next;
      status = recommendations_->Recommend(Context().get(), request, &next);
      if (!status.ok()) return Fail("Recommend", status);
      if (next.recommendations().empty()) {
        std::printf("  next     nothing to recommend\n");
      } else {
        PrintRecommendation(next.recommendations(0));
      }

      v1::PlanPathwayRequest plan_request;
      plan_request.set_learner_id(s.id);
      plan_request.add_goals(o_.goal);
      v1::PlanPathwayResponse plan;
      status = recommendations_->PlanPathway(Context().get(), plan_request, &plan);
      if (!status.ok()) return Fail("PlanPathway", status);
      PrintPathway(plan.pathway(), short_id);
    }

    std::string by_group;
    for (const std::string& name : cohort_->group_names()) {
      const auto& [mastered, count] = group_goal[name];
      if (count == 0) continue;
      by_group += (by_group.empty() ? "" : ", ") + name + " " + std::to_string(mastered) + "/" +
                  std::to_string(count);
    }
    std::printf("\nclass: %s mastered by %d of %d (%s); learned in truth: %d of %d\n",
                o_.goal.c_str(), goal_mastered, o_.learners, by_group.c_str(), goal_learned,
                o_.learners);
    std::printf(
        "  mastered (server) and learned (truth) agree on %d%% of learner x competency pairs\n",
        cells > 0 ? 100 * agree / cells : 0);
    std::printf(
        "  %zu Recommend calls, median %.1f ms; %zu RecordEvents batches (%d events, %d "
        "duplicates), median %.1f ms\n",
        recommend_ms_.size(), Median(recommend_ms_), record_ms_.size(), events_sent_, duplicates_,
        Median(record_ms_));
    return true;
  }

  // "next     ACTIVITY: score S = part + part + part + rest" and, below it, the reasons.
  static void PrintRecommendation(const v1::Recommendation& r) {
    std::vector<const v1::PartScore*> parts;
    for (const v1::PartScore& p : r.parts()) {
      if (p.contribution() > 0) parts.push_back(&p);
    }
    std::stable_sort(parts.begin(), parts.end(), [](const auto* a, const auto* b) {
      return a->contribution() > b->contribution();
    });
    std::string sum;
    double rest = 0.0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i >= 3) {
        rest += parts[i]->contribution();
        continue;
      }
      char text[64];
      std::snprintf(text, sizeof(text), "%s%s %.2f", i == 0 ? "" : " + ",
                    PartName(parts[i]->part()), parts[i]->contribution());
      sum += text;
    }
    if (rest > 0) {
      char text[32];
      std::snprintf(text, sizeof(text), " + %.2f more", rest);
      sum += text;
    }
    std::printf("  next     %s: score %.2f = %s\n", r.activity_id().c_str(), r.score(),
                sum.c_str());
    // Reasons come largest contribution first; a second one is shown when the line has room.
    std::string why = r.reasons().empty() ? "" : r.reasons(0);
    if (r.reasons_size() > 1 && why.size() + r.reasons(1).size() < 90) why += "; " + r.reasons(1);
    if (!why.empty()) std::printf("           why: %s\n", why.c_str());
  }

  static void PrintPathway(const v1::Pathway& pathway, const ShortIds& short_id) {
    if (pathway.steps().empty()) {
      std::printf("  pathway  goal mastered: nothing left to plan\n");
      return;
    }
    std::string steps;
    const int shown = pathway.steps_size() <= 4 ? pathway.steps_size() : 3;
    for (int i = 0; i < shown; ++i) {
      const v1::PathwayStep& step = pathway.steps(i);
      char text[96];
      std::snprintf(text, sizeof(text), "%s%s %.2f (%d)", i == 0 ? "" : " > ",
                    short_id(step.competency_id()).c_str(), step.p_learned(),
                    step.expected_opportunities());
      steps += text;
    }
    if (shown < pathway.steps_size()) {
      steps += " > " + std::to_string(pathway.steps_size() - shown) + " more";
    }
    std::printf("  pathway  %d opportunities, ~%.0f min%s: %s\n",
                pathway.total_expected_opportunities(), pathway.total_expected_minutes(),
                pathway.reachable() ? "" : " (UNREACHABLE)", steps.c_str());
  }

  // What a client sees when it gets something wrong: each call must fail with the documented code.
  bool ShowErrors() {
    std::printf("\nerrors a client can expect:\n");
    bool ok = true;
    auto expect = [&](const char* what, const grpc::Status& status, grpc::StatusCode code) {
      std::printf("  %-40s -> %s\n", what, Describe(status).c_str());
      if (status.error_code() != code) {
        ok = Fail(std::string(what) + ": expected " + pathwise::testing::GrpcCodeName(code));
      }
    };
    {
      v1::RecommendRequest request;
      request.set_learner_id("zoe");
      request.add_goals(o_.goal);
      // Without this, a learner with no events gets the cold-start (population) recommendation.
      request.set_require_known_learner(true);
      v1::RecommendResponse response;
      expect("Recommend \"zoe\", require_known_learner",
             recommendations_->Recommend(Context().get(), request, &response),
             grpc::StatusCode::NOT_FOUND);
    }
    {
      v1::GetMasteryRequest request;
      request.set_learner_id(students_.front().id);
      v1::GetMasteryResponse response;
      expect("GetMastery with a wrong API key",
             learners_->GetMastery(Context("not-the-key-0123456789").get(), request, &response),
             grpc::StatusCode::UNAUTHENTICATED);
    }
    {
      v1::RecordEventsRequest request;
      v1::Observation* e = request.add_events();
      e->set_event_id("bad-1");
      e->set_learner_id(students_.front().id);
      e->set_activity_id(cohort_->activity_ids().front());
      e->set_outcome(1.5);
      v1::RecordEventsResponse response;
      expect("RecordEvents with outcome 1.5",
             learners_->RecordEvents(Context().get(), request, &response),
             grpc::StatusCode::INVALID_ARGUMENT);
    }
    return ok;
  }

  const Options o_;
  WorkDir work_dir_;  // before server_: destroyed after it
  pathwise::testing::ServerProcess server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::CurriculumService::Stub> curriculum_;
  std::unique_ptr<v1::LearnerService::Stub> learners_;
  std::unique_ptr<v1::RecommendationService::Stub> recommendations_;
  std::unique_ptr<pathwise::CompetencyGraph> graph_;
  std::unique_ptr<pathwise::SyntheticCohort> cohort_;  // after graph_: it may refer to it
  uint32_t goal_index_ = 0;
  std::vector<Student> students_;  // after cohort_: learners need their cohort
  int events_sent_ = 0;
  int duplicates_ = 0;
  std::vector<double> recommend_ms_;
  std::vector<double> record_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  constexpr char kUsage[] =
      "usage: pathwise_class_demo [--server PATH] [--learners N (1-100, default 8)]\n"
      "    [--rounds N (1-1000, default 80)] [--seed N (default 7)] [--goal ID]\n"
      "    [--graph FILE.json] [--events FILE.csv | --events \"\"] [--keep-data DIR]\n"
      "    [--startup-timeout SECONDS (default 10)]\n"
      "Starts pathwised (default: the one beside this program) on 127.0.0.1 with a temporary\n"
      "data directory (--keep-data: a new or empty one that is kept), then drives a simulated\n"
      "class through gRPC.\n";
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("%s", kUsage);
    return 0;
  }
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::fprintf(stderr, "%s", kUsage);
    return 2;
  }
  struct sigaction action {};
  action.sa_handler = ForwardSignal;
  sigemptyset(&action.sa_mask);
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) sigaction(signal_number, &action, nullptr);

  bool ok = false;
  try {
    ClassDemo demo(options);
    ok = demo.Run();
  } catch (const std::exception& e) {  // only std::bad_alloc and the like: report, do not abort
    std::fprintf(stderr, "pathwise_class_demo: %s\n", e.what());
  }  // either way the server is stopped and the directory removed by now
  std::printf("class demo: %s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
