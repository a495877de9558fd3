// Three real pathwised processes (replicas) on one PostgreSQL database, over loopback gRPC:
// concurrent clients write overlapping learners through different replicas, re-send events
// through other replicas than the first, and one replica is killed with SIGKILL mid-batch. Every
// acknowledged event is stored once, the duplicates are counted once, and every surviving replica
// serves the mastery of a sequential replay of the stored events.
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <pathwise/bkt.h>
#include <pathwise/mastery_tracker.h>

#include "server_process.h"
#include "service_test_util.h"
#include "store/postgres_store.h"
#include "store/postgres_test_server.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::ChildServer;
using testing::Ctx;
using testing::ExportEvents;
using testing::kKeyA;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::Stubs;
using testing::TempDir;

// "" when `served` is the mastery of a fresh tracker fed `events` in order; else what differs.
std::string DiffFromReplay(const v1::Graph& graph, const std::vector<v1::StoredObservation>& events,
                           const std::string& learner, const v1::GetMasteryResponse& served) {
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, app::ServiceLimits{});
  if (!checked.ok()) return checked.status().ToString();
  Result<CompetencyGraph> built = CompetencyGraph::FromDefinition(checked->definition);
  if (!built.ok()) return built.status().ToString();
  Result<std::unique_ptr<MasteryTracker>> tracker = MasteryTracker::Create(*built, BktModel{});
  if (!tracker.ok()) return tracker.status().ToString();
  for (const v1::StoredObservation& e : events) {
    const v1::Observation& o = e.event();
    Result<RecordResult> recorded = (*tracker)->Record(
        {o.event_id(), o.learner_id(), o.activity_id(), o.outcome(), o.timestamp_ms()});
    if (!recorded.ok()) return recorded.status().ToString();
  }
  Result<LearnerMastery> expected = (*tracker)->Mastery(learner);
  if (!expected.ok()) return expected.status().ToString();
  if (served.competencies_size() != static_cast<int>(expected->competencies.size())) {
    return "served " + std::to_string(served.competencies_size()) + " competencies, replay has " +
           std::to_string(expected->competencies.size());
  }
  for (int i = 0; i < served.competencies_size(); ++i) {
    const MasteryEstimate& want = expected->competencies[static_cast<size_t>(i)];
    const v1::MasteryEstimate& got = served.competencies(i);
    if (got.competency_id() != want.competency_id || got.p_learned() != want.p_learned ||
        got.opportunities() != want.opportunities) {
      return want.competency_id + ": served p " + std::to_string(got.p_learned()) + " after " +
             std::to_string(got.opportunities()) + " opportunities, replay p " +
             std::to_string(want.p_learned) + " after " + std::to_string(want.opportunities);
    }
  }
  return "";
}

TEST(PostgresReplicasTest, ThreeReplicasKillOneMidBatchEveryEventOnceAndReplayedMastery) {
  bool missing = false;
  Result<std::string> uri = store::testing::CreateSharedDatabase("pathwised_replicas", &missing);
  if (missing) GTEST_SKIP() << store::testing::PostgresMissingMessage();
  ASSERT_TRUE(uri.ok()) << uri.status();

  constexpr int kReplicas = 3;
  constexpr int kVictim = 2;  // the replica killed mid-batch
  constexpr int kClientsPerReplica = 2;
  constexpr int kBatchesPerClient = 24;
  constexpr int kEventsPerBatch = 16;
  constexpr int kLearners = 8;  // few, so that the replicas' writes overlap on every learner
  constexpr uint64_t kSeed = 20261206;
  SCOPED_TRACE("seed " + std::to_string(kSeed));

  TempDir dir;
  std::vector<std::unique_ptr<ChildServer>> replicas;
  for (int r = 0; r < kReplicas; ++r) {
    replicas.push_back(
        std::make_unique<ChildServer>(std::vector<std::string>{"--store", *uri},
                                      dir.path() + "/replica" + std::to_string(r) + ".log",
                                      std::vector<std::string>{"--log-level", "info"}));
    ASSERT_TRUE(replicas.back()->started()) << replicas.back()->start_status();
  }
  auto channel = [&](int r) {
    return grpc::CreateChannel(replicas[static_cast<size_t>(r)]->address(),
                               grpc::InsecureChannelCredentials());
  };

  // The graph is put through replica 0 only, after every replica has started: the others learn of
  // it from the store's announcement.
  const v1::Graph graph = ChainGraph();
  {
    Stubs stubs(channel(0));
    PutGraphOrFail(stubs, kKeyA, graph);
  }
  for (int r = 1; r < kReplicas; ++r) {
    Stubs stubs(channel(r));
    v1::RecordEventsRequest probe;
    *probe.add_events() = MakeObservation("probe" + std::to_string(r), "learner0", "act.a", 1, 0);
    grpc::Status status;
    // Bounded: the announcement normally arrives within milliseconds.
    for (int tries = 0; tries < 500; ++tries) {
      v1::RecordEventsResponse response;
      status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), probe, &response);
      if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(status.ok()) << "replica " << r
                             << " never saw the graph: " << status.error_message();
  }

  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab", "b"};
  const double outcomes[] = {0.0, 1.0, 1.0, 0.5, 0.25};
  std::mutex mu;
  std::vector<v1::Observation> sent;                    // every distinct event some client sent
  std::set<std::string> acknowledged;                   // "learner/event" of acknowledged batches
  std::map<std::string, std::set<std::string>> ids_of;  // learner -> distinct event ids sent
  for (int r = 1; r < kReplicas; ++r) {
    sent.push_back(MakeObservation("probe" + std::to_string(r), "learner0", "act.a", 1, 0));
    ids_of["learner0"].insert("probe" + std::to_string(r));
    acknowledged.insert("learner0/probe" + std::to_string(r));
  }
  uint64_t recorded_total = 0, duplicates_total = 0, resent_total = 0;
  uint64_t events_in_failed_calls = 0, failed_calls = 0, events_in_acknowledged_calls = 0;
  std::atomic<int> acknowledged_batches{0};
  std::atomic<bool> victim_killed{false};

  auto client = [&](int id) {
    const int home = id % kReplicas;
    std::mt19937_64 rng(kSeed + static_cast<uint64_t>(id));
    std::vector<std::unique_ptr<Stubs>> stubs;
    for (int r = 0; r < kReplicas; ++r) stubs.push_back(std::make_unique<Stubs>(channel(r)));
    int own = 0;
    for (int b = 0; b < kBatchesPerClient; ++b) {
      v1::RecordEventsRequest request;
      std::set<std::string> in_request;
      uint64_t resent = 0;
      for (int i = 0; i < kEventsPerBatch; ++i) {
        v1::Observation e;
        {
          std::lock_guard<std::mutex> lock(mu);
          // One event in eight re-sends one that some client (mostly through another replica)
          // already sent: it must be counted once, whichever replica it lands on.
          if (!sent.empty() && rng() % 8 == 0) {
            e = sent[rng() % sent.size()];
            ++resent;
          } else {
            e = MakeObservation("c" + std::to_string(id) + "-" + std::to_string(own++),
                                "learner" + std::to_string(rng() % kLearners),
                                activities[rng() % 5], outcomes[rng() % 5],
                                static_cast<int64_t>(rng() % 1000000));
            sent.push_back(e);
            ids_of[e.learner_id()].insert(e.event_id());
          }
        }
        *request.add_events() = e;
      }
      // Through the home replica; when a call fails (the victim died, or the learners kept
      // changing), the same batch again through the next live replica, as a client behind a
      // balancer would.
      for (int attempt = 0;; ++attempt) {
        int r = (home + attempt) % kReplicas;
        if (r == kVictim && victim_killed.load()) r = (r + 1) % kReplicas;
        v1::RecordEventsResponse response;
        grpc::Status status;
        auto context = Ctx(kKeyA);
        context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
        if (b % 2 == 0) {
          status = stubs[static_cast<size_t>(r)]->learners->RecordEvents(context.get(), request,
                                                                         &response);
        } else {
          auto writer =
              stubs[static_cast<size_t>(r)]->learners->StreamEvents(context.get(), &response);
          writer->Write(request);
          writer->WritesDone();
          status = writer->Finish();
        }
        std::lock_guard<std::mutex> lock(mu);
        if (status.ok()) {
          for (const v1::Observation& e : request.events()) {
            acknowledged.insert(e.learner_id() + "/" + e.event_id());
          }
          recorded_total += response.recorded();
          duplicates_total += response.duplicates();
          events_in_acknowledged_calls += static_cast<uint64_t>(request.events_size());
          if (attempt == 0) resent_total += resent;
          ++acknowledged_batches;
          break;
        }
        ++failed_calls;
        events_in_failed_calls += static_cast<uint64_t>(request.events_size());
        ASSERT_LT(attempt, 20) << "batch never acknowledged: " << status.error_message();
      }
    }
  };

  std::vector<std::thread> clients;
  for (int c = 0; c < kReplicas * kClientsPerReplica; ++c) clients.emplace_back(client, c);
  // SIGKILL while batches are in flight on every replica.
  while (acknowledged_batches.load() < kReplicas * kClientsPerReplica * kBatchesPerClient / 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  replicas[kVictim]->Signal(SIGKILL);
  victim_killed = true;
  for (std::thread& t : clients) t.join();
  ASSERT_FALSE(HasFatalFailure());

  uint64_t distinct = 0;
  for (const auto& [learner, ids] : ids_of) distinct += ids.size();
  // Every event counted once: a batch whose call failed may have been stored all the same (the
  // victim died after its commit), and is then reported as duplicates when it is re-sent, so
  // `recorded` falls short of `distinct` by at most the events of failed calls.
  EXPECT_LE(recorded_total, distinct);
  EXPECT_GE(recorded_total + events_in_failed_calls, distinct);
  EXPECT_EQ(recorded_total + duplicates_total, events_in_acknowledged_calls);
  EXPECT_GE(duplicates_total, resent_total);
  if (failed_calls == 0) {
    EXPECT_EQ(recorded_total, distinct);
    EXPECT_EQ(duplicates_total, resent_total);
  }

  // Every surviving replica serves each learner as a replay of its stored events, once the
  // other replicas' announcements have arrived (bounded wait; they normally take milliseconds).
  for (int r = 0; r < kReplicas; ++r) {
    if (r == kVictim) continue;
    SCOPED_TRACE("replica " + std::to_string(r));
    Stubs stubs(channel(r));
    for (const auto& [learner, ids] : ids_of) {
      const std::vector<v1::StoredObservation> events = ExportEvents(stubs, kKeyA, learner);
      std::set<std::string> stored;
      for (const v1::StoredObservation& e : events) stored.insert(e.event().event_id());
      EXPECT_EQ(stored.size(), events.size()) << learner << ": an event stored twice";
      EXPECT_EQ(stored, ids) << learner << ": stored events differ from those sent";
      for (const std::string& id : ids) {
        EXPECT_EQ(acknowledged.count(learner + "/" + id), 1u) << learner << "/" << id;
      }
      std::string diff = "not read";
      for (int tries = 0; tries < 250 && !diff.empty(); ++tries) {
        if (tries > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        v1::GetMasteryRequest request;
        request.set_learner_id(learner);
        v1::GetMasteryResponse served;
        grpc::Status status = stubs.learners->GetMastery(Ctx(kKeyA).get(), request, &served);
        diff = status.ok() ? DiffFromReplay(graph, events, learner, served)
                           : "GetMastery: " + status.error_message();
      }
      EXPECT_EQ(diff, "") << learner;
    }
  }
  std::printf(
      "[ replicas ] %llu events sent, %llu recorded, %llu duplicates (%llu re-sent), "
      "%llu failed calls\n",
      static_cast<unsigned long long>(distinct), static_cast<unsigned long long>(recorded_total),
      static_cast<unsigned long long>(duplicates_total),
      static_cast<unsigned long long>(resent_total), static_cast<unsigned long long>(failed_calls));
}

// A fit job survives the death of its replica: kill -9 of the replica running it, and the other
// replica runs it to the end once the lease (2 s here) expired.
TEST(PostgresReplicasTest, AFitJobOfAKilledReplicaIsFinishedByAnotherOnce) {
  bool missing = false;
  Result<std::string> uri = store::testing::CreateSharedDatabase("pathwised_fit_lease", &missing);
  if (missing) GTEST_SKIP() << store::testing::PostgresMissingMessage();
  ASSERT_TRUE(uri.ok()) << uri.status();
  store::PostgresStoreOptions store_options;
  store_options.connection = *uri;
  // Reads the jobs' owners, which the API does not show.
  Result<std::unique_ptr<store::PostgresStore>> direct = store::PostgresStore::Open(store_options);
  ASSERT_TRUE(direct.ok()) << direct.status();

  TempDir dir;
  const std::vector<std::string> short_lease = {"--log-level", "info", "--fit-lease-seconds", "2"};
  std::unique_ptr<ChildServer> replicas[2];
  for (int r = 0; r < 2; ++r) {
    replicas[r] = std::make_unique<ChildServer>(
        std::vector<std::string>{"--store", *uri},
        dir.path() + "/replica" + std::to_string(r) + ".log", short_lease);
    ASSERT_TRUE(replicas[r]->started()) << replicas[r]->start_status();
  }
  Stubs first_stubs(
      grpc::CreateChannel(replicas[0]->address(), grpc::InsecureChannelCredentials()));
  PutGraphOrFail(first_stubs, kKeyA, ChainGraph());
  v1::RecordEventsRequest events;
  for (int i = 0; i < 200; ++i) {
    *events.add_events() =
        MakeObservation("e" + std::to_string(i), "learner" + std::to_string(i % 10),
                        i % 2 ? "act.a" : "act.b", (i * 7) % 3 ? 1.0 : 0.0, i);
  }
  v1::RecordEventsResponse recorded;
  grpc::Status status = first_stubs.learners->RecordEvents(Ctx(kKeyA).get(), events, &recorded);
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Long enough to be running when the victim dies, short enough to finish on the survivor.
  v1::FitModelRequest request;
  request.set_model_name("refit");
  request.set_job_id("refit-1");
  request.mutable_options()->set_restarts(40);
  request.mutable_options()->set_max_iterations(2000);
  request.mutable_options()->set_tolerance(0.0);
  v1::FitJob job;
  status = first_stubs.models->FitModel(Ctx(kKeyA).get(), request, &job);
  ASSERT_TRUE(status.ok()) << status.error_message();

  auto get = [&](Stubs& stubs) {
    v1::GetFitJobRequest get_request;
    get_request.set_job_id("refit-1");
    v1::FitJob out;
    const grpc::Status got = stubs.models->GetFitJob(Ctx(kKeyA).get(), get_request, &out);
    EXPECT_TRUE(got.ok()) << got.error_message();
    return out;
  };
  auto wait_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  };
  std::string victim_owner;
  ASSERT_TRUE(wait_until([&] {
    Result<store::JobRecord> record = (*direct)->GetJob(testing::kTenantA, "refit-1");
    if (!record.ok() || record->status != store::JobStatus::kRunning) return false;
    victim_owner = record->owner;
    return true;
  }));
  // Either replica may have claimed it (each reads the other's queued jobs): its log says which.
  auto claimed_by = [&](int r) {
    std::ifstream log(dir.path() + "/replica" + std::to_string(r) + ".log");
    const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    return text.find("fit job claimed\" tenant=" + std::string(testing::kTenantA) +
                     " job=refit-1") != std::string::npos;
  };
  ASSERT_TRUE(wait_until([&] { return claimed_by(0) || claimed_by(1); }));
  const int victim = claimed_by(0) ? 0 : 1;
  Stubs survivor_stubs(
      grpc::CreateChannel(replicas[1 - victim]->address(), grpc::InsecureChannelCredentials()));
  ASSERT_EQ(get(survivor_stubs).state(), v1::JOB_STATE_RUNNING)
      << "the fit ended before the replica running it could be killed; lengthen it";
  replicas[victim]->Signal(SIGKILL);

  ASSERT_TRUE(wait_until([&] {
    const v1::FitJob now = get(survivor_stubs);
    return now.state() != v1::JOB_STATE_QUEUED && now.state() != v1::JOB_STATE_RUNNING;
  })) << "the survivor never finished the job";
  const v1::FitJob finished = get(survivor_stubs);
  EXPECT_EQ(finished.state(), v1::JOB_STATE_SUCCEEDED) << finished.error_message();
  Result<store::JobRecord> record = (*direct)->GetJob(testing::kTenantA, "refit-1");
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_FALSE(victim_owner.empty());
  EXPECT_NE(record->owner, victim_owner);
  EXPECT_EQ(record->result_model_version, 1) << "the model was stored more than once";
  v1::GetModelRequest model_request;
  model_request.set_name("refit");
  model_request.set_version(2);
  v1::GetModelResponse model;
  EXPECT_EQ(
      survivor_stubs.curriculum->GetModel(Ctx(kKeyA).get(), model_request, &model).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace pathwise::service
