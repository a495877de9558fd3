// The real pathwised binary as a child process on a loopback port: killed with SIGKILL while a
// client streams events, restarted on the same data directory; every acknowledged event is there,
// none is counted twice, and re-sending everything completes the data exactly once. Also: SIGTERM
// drains and exits cleanly.
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "server_process.h"
#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::ChildServer;
using testing::Ctx;
using testing::ExpectMasteryEqualsReplay;
using testing::ExportEvents;
using testing::kKeyA;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::ReadFile;
using testing::Stubs;
using testing::TempDir;

// Info logs for the assertions on start-up, and a short grace so that a stop does not linger.
const std::vector<std::string> kDurabilityArgs = {"--log-level", "info", "--shutdown-grace-seconds",
                                                  "5"};

TEST(DurabilityTest, KillDuringStreamingKeepsEveryAcknowledgedEventExactlyOnce) {
  TempDir dir;
  const std::string log = dir.path() + "/pathwised.log";
  const std::string data = dir.path() + "/data";
  const v1::Graph graph = ChainGraph();
  constexpr int kLearners = 16;
  constexpr int kEventsPerBatch = 40;
  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab"};

  std::vector<v1::RecordEventsRequest> sent;  // every batch the client tried
  std::set<std::string> acknowledged;         // "learner/event" of acknowledged batches
  {
    ChildServer child({"--data-dir", data}, log, kDurabilityArgs);
    ASSERT_TRUE(child.started()) << child.start_status();
    Stubs stubs(grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
    PutGraphOrFail(stubs, kKeyA, graph);

    std::mutex mu;
    std::atomic<size_t> acked_events{0};
    std::atomic<bool> server_gone{false};
    std::thread streamer([&] {
      for (int round = 0; !server_gone.load(); ++round) {
        // Each round: one stream of three batches, then one unary batch.
        std::vector<v1::RecordEventsRequest> batches(4);
        for (int b = 0; b < 4; ++b) {
          for (int i = 0; i < kEventsPerBatch; ++i) {
            const int n = (round * 4 + b) * kEventsPerBatch + i;
            *batches[b].add_events() =
                MakeObservation("ev" + std::to_string(n), "learner" + std::to_string(n % kLearners),
                                activities[(n / kLearners) % 4], (n % 3) == 0 ? 0 : 1, n);
          }
        }
        {
          std::lock_guard<std::mutex> lock(mu);
          sent.insert(sent.end(), batches.begin(), batches.end());
        }
        auto ack = [&](const v1::RecordEventsRequest& batch) {
          std::lock_guard<std::mutex> lock(mu);
          for (const v1::Observation& e : batch.events()) {
            acknowledged.insert(e.learner_id() + "/" + e.event_id());
          }
          acked_events += batch.events_size();
        };
        auto context = Ctx(kKeyA);
        v1::RecordEventsResponse response;
        auto writer = stubs.learners->StreamEvents(context.get(), &response);
        for (int b = 0; b < 3; ++b) writer->Write(batches[b]);
        writer->WritesDone();
        if (!writer->Finish().ok()) {
          server_gone = true;
          break;
        }
        for (int b = 0; b < 3; ++b) ack(batches[b]);
        v1::RecordEventsResponse unary_response;
        if (!stubs.learners->RecordEvents(Ctx(kKeyA).get(), batches[3], &unary_response).ok()) {
          server_gone = true;
          break;
        }
        ack(batches[3]);
      }
    });
    // Kill once a good number of events is acknowledged, with the client still streaming.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (acked_events.load() < 4000 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const int status = child.Signal(SIGKILL);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    server_gone = true;
    streamer.join();
  }
  ASSERT_GE(acknowledged.size(), 4000u);

  ChildServer child({"--data-dir", data}, log, kDurabilityArgs);
  ASSERT_TRUE(child.started()) << child.start_status();
  Stubs stubs(grpc::CreateChannel(child.address(), grpc::InsecureChannelCredentials()));
  std::set<std::string> stored;
  for (int l = 0; l < kLearners; ++l) {
    const std::string learner = "learner" + std::to_string(l);
    const std::vector<v1::StoredObservation> events =
        ExpectMasteryEqualsReplay(stubs, kKeyA, learner, graph);
    for (const v1::StoredObservation& e : events) {
      EXPECT_TRUE(stored.insert(learner + "/" + e.event().event_id()).second)
          << "stored twice: " << e.event().event_id();
    }
  }
  for (const std::string& id : acknowledged) {
    EXPECT_EQ(stored.count(id), 1u) << "acknowledged but lost: " << id;
  }

  // Re-sending everything stores exactly what was missing.
  uint64_t recorded = 0, duplicates = 0, total = 0;
  std::set<std::string> all;
  for (const v1::RecordEventsRequest& batch : sent) {
    v1::RecordEventsResponse response;
    grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), batch, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    recorded += response.recorded();
    duplicates += response.duplicates();
    total += batch.events_size();
    for (const v1::Observation& e : batch.events()) all.insert(e.learner_id() + "/" + e.event_id());
  }
  EXPECT_EQ(duplicates, stored.size());
  EXPECT_EQ(recorded + duplicates, total);
  std::set<std::string> final_ids;
  for (int l = 0; l < kLearners; ++l) {
    const std::string learner = "learner" + std::to_string(l);
    for (const v1::StoredObservation& e : ExpectMasteryEqualsReplay(stubs, kKeyA, learner, graph)) {
      EXPECT_TRUE(final_ids.insert(learner + "/" + e.event().event_id()).second);
    }
  }
  EXPECT_EQ(final_ids, all);

  // SIGTERM drains and exits 0, closing the store.
  const int status = child.Signal(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const std::string logs = ReadFile(log);
  EXPECT_NE(logs.find("msg=\"shutting down\" signal=SIGTERM"), std::string::npos) << logs;
  EXPECT_NE(logs.find("store_closed=true"), std::string::npos) << logs;
}

TEST(DurabilityTest, SecondServerOnTheSameDataDirectoryRefusesToStart) {
  TempDir dir;
  const std::string log = dir.path() + "/pathwised.log";
  ChildServer first({"--data-dir", dir.path() + "/data"}, log, kDurabilityArgs);
  ASSERT_TRUE(first.started()) << first.start_status();
  app::ServerConfig config = testing::TwoTenantConfig();
  config.store = "sqlite";
  config.data_dir = dir.path() + "/data";
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  EXPECT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
}

}  // namespace
}  // namespace pathwise::service
