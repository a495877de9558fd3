// The real pathwised under every attack of issue 15's "Found under attack and faults" at once, for
// a bounded time, while well-behaved clients keep ingesting and reading through it: a flood of idle
// unauthenticated connections, deeply nested and huge JSON in PutGraph and PutModel, long chain
// graphs, more concurrent streams per tenant than a server should hold, stalled readers of a large
// export, unreadable requests on every RPC and a huge cycle error. The verdict depends on what the
// server answered and kept, never on how fast it was: the attacks run for kSoakSeconds of wall time
// whatever the machine does in them.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_process.h"
#include "service_test_util.h"

namespace pathwise::service {
namespace {

using pathwise::testing::ProcStatusNumber;
using testing::ChainGraph;
using testing::Ctx;
using testing::CycleGraph;
using testing::ExpectMasteryEqualsReplay;
using testing::ForEachPathwiseMethod;
using testing::kAddressSanitizer;
using testing::kKeyA;
using testing::kKeyB;
using testing::kUnreadableMessage;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::RawClientStreamCall;
using testing::RawReply;
using testing::RawUnaryCall;
using testing::Stubs;
using testing::TempDir;

// How long the attacks go on, in wall time. Each attack and each well-behaved client runs at least
// one round however slow the machine; none starts a round after this.
constexpr auto kSoakSeconds = std::chrono::seconds(20);
// More than the default soft limit on open files (1024) that made the listener die for good.
constexpr int kIdleConnections = 1100;
// Concurrent StreamEvents calls that a tenant of their own opens and holds for the whole soak.
// Each open stream holds a server thread, so pathwised caps them per tenant
// (limits.max_streams_per_tenant, 64 by default: issue 15, defect 15); those past the cap get
// RESOURCE_EXHAUSTED, and the other tenants' streams are not affected.
constexpr int kHeldStreams = 100;
constexpr int kStreamCap = 64;  // the default limits.max_streams_per_tenant
// Stalled readers of one learner's export, each reading one message and then nothing.
constexpr int kStalledReaders = 10;
constexpr int kExportEvents = 50000;
// Chain graphs as JSON (the parser that was quadratic) and the cycle whose error was too long.
constexpr int kChainCompetencies = 50000;
constexpr int kCycleCompetencies = 20000;
constexpr int kWellBehavedClients = 3;
// The server's bounds. Threads: gRPC's pollers and the store's and fit threads, plus one per call
// in progress, which the held streams and stalled exports are; idle connections must cost none.
// Memory, as measured alone in a Release build: a 50,000-competency chain graph about 450 MiB (the
// old and the new graph both alive while it is swapped in), a shallow 15 MiB document about
// 500 MiB while parsed, the stalled exports about 70 MiB. Together, with the allocator's arenas
// holding on to what was freed, the whole soak peaked at 1.6 to 2.3 GiB in Release builds and
// 1.9 GiB under AddressSanitizer at -O1 (2 cores, December 2026); ASan's quarantine and redzones
// vary more with the interleaving, hence its wider margin.
constexpr int64_t kMaxServerThreads = 64 + kStreamCap + kStalledReaders + 32;
constexpr int64_t kMaxServerPeakMiB = kAddressSanitizer ? 4096 : 3072;

constexpr char kAttacker[] = "tenant-b";  // a large learner, stalled exports, unreadable calls
constexpr char kCurriculumTenant[] = "tenant-c";
constexpr char kKeyC[] = "key-c-0123456789abcdef";
constexpr char kStreamHolder[] = "tenant-d";  // holds streams
constexpr char kKeyD[] = "key-d-0123456789abcdef";

std::string Describe(const grpc::Status& s) {
  return std::string(pathwise::testing::GrpcCodeName(s.error_code())) + " \"" +
         s.error_message().substr(0, 300) + "\"";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// What the soak saw that it should not have: each line names the call and its status.
class Findings {
 public:
  void Add(const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    if (lines_.size() < 50) lines_.push_back(line);
    ++count_;
  }
  // A well-behaved call may succeed or be refused for a stated reason; nothing else.
  bool WellBehaved(const std::string& call, const grpc::Status& s) {
    if (s.ok()) return true;
    if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED || s.error_message().empty()) {
      Add(call + ": " + Describe(s));
    }
    return false;
  }
  // An attack's call must get `code` with a message containing `part`.
  void Expect(const std::string& call, const grpc::Status& s, grpc::StatusCode code,
              const std::string& part) {
    if (s.error_code() != code || !Contains(s.error_message(), part)) {
      Add(call + ": " + Describe(s) + ", expected " + pathwise::testing::GrpcCodeName(code) +
          " with \"" + part + "\"");
    }
  }
  std::string Report() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string text = std::to_string(count_) + " unexpected answers:";
    for (const std::string& line : lines_) text += "\n  " + line;
    return text;
  }
  int count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  int count_ = 0;
};

// A chain c0 -> c1 -> ... as graph JSON, one activity per competency.
std::string ChainGraphJson(int n) {
  GraphDefinition chain;
  for (int i = 0; i < n; ++i) {
    Competency c;
    c.id = "c" + std::to_string(i);
    chain.competencies.push_back(c);
    Activity a;
    a.id = "a" + std::to_string(i);
    a.competencies.push_back({c.id, 1.0});
    chain.activities.push_back(a);
    if (i > 0) chain.prerequisites.push_back({"c" + std::to_string(i - 1), c.id, 1.0});
  }
  return WriteGraphJson(chain);
}

// A deadline far beyond any call's time on a slow, loaded machine (ctest's TIMEOUT bounds the whole
// test): a late answer during the soak is not a wrong one.
std::unique_ptr<grpc::ClientContext> PatientCtx(const std::string& key) {
  std::unique_ptr<grpc::ClientContext> context = Ctx(key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(4));
  return context;
}

// A TCP connection to the server that never says anything: no TLS, no HTTP/2 preface, no key.
int ConnectIdle(const sockaddr_in& address) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{10, 0};  // connect() gives up after this instead of blocking the flood forever
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // its own connection, not a shared one
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

// One well-behaved client's record: every batch it sent, and the events the server acknowledged.
struct ClientLog {
  std::vector<v1::RecordEventsRequest> unacknowledged;
  std::set<std::string> sent;          // "learner/event"
  std::set<std::string> acknowledged;  // "learner/event"
  std::set<std::string> learners;
  int rounds = 0;
  int refusals = 0;
};

void Acknowledge(const v1::RecordEventsRequest& batch, ClientLog* log) {
  for (const v1::Observation& e : batch.events()) {
    log->acknowledged.insert(e.learner_id() + "/" + e.event_id());
  }
}

TEST(SoakTest, ServerStaysHealthyAndKeepsEveryAcknowledgedEventUnderEveryAttackAtOnce) {
  // Both ends of every idle connection are on this machine; this process needs one descriptor per
  // connection (the server raises its own limit at start).
  const uint64_t files = RaiseOpenFileLimit();
  if (files < kIdleConnections + 500) GTEST_SKIP() << "the open-file hard limit is " << files;
  TempDir dir;
  pathwise::testing::ServerProcess server;
  pathwise::testing::ServerProcessOptions options;
  options.binary = pathwise::testing::BinaryBesideSelf("pathwised");
  options.args = {"--data-dir",
                  dir.path() + "/data",
                  "--api-key",
                  std::string(testing::kTenantA) + "=" + kKeyA,
                  "--api-key",
                  std::string(kAttacker) + "=" + kKeyB,
                  "--api-key",
                  std::string(kCurriculumTenant) + "=" + kKeyC,
                  "--api-key",
                  std::string(kStreamHolder) + "=" + kKeyD,
                  "--log-level",
                  "warning",
                  "--shutdown-grace-seconds",
                  "10"};
  options.log_path = dir.path() + "/pathwised.log";
  ASSERT_OK(server.Start(options));
  const pid_t pid = server.pid();
  const std::string address = server.address();
  const v1::Graph graph = ChainGraph();
  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab"};

  // Before the soak: the graphs, and the attacker's large learner whose export readers stall.
  {
    Stubs stubs(NewChannel(address));
    PutGraphOrFail(stubs, kKeyA, graph);
    PutGraphOrFail(stubs, kKeyB, graph);
    PutGraphOrFail(stubs, kKeyD, graph);
    for (int first = 0; first < kExportEvents; first += 10000) {
      v1::RecordEventsRequest batch;
      for (int i = first; i < first + 10000; ++i) {
        *batch.add_events() =
            MakeObservation("big" + std::to_string(i), "big", activities[i % 4], i % 3 ? 1 : 0, i);
      }
      v1::RecordEventsResponse response;
      const grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyB).get(), batch, &response);
      ASSERT_TRUE(status.ok()) << Describe(status);
    }
  }

  Findings findings;
  std::atomic<bool> soaking{true};
  std::atomic<int64_t> most_threads{0};
  std::atomic<int64_t> most_descriptors{0};
  std::map<std::string, int> rounds;  // attack -> rounds done
  std::mutex rounds_mu;
  auto count_round = [&](const std::string& attack) {
    std::lock_guard<std::mutex> lock(rounds_mu);
    ++rounds[attack];
  };
  // Runs `round` until the soak ends, at least once.
  auto repeat = [&](const std::string& attack, const std::function<void()>& round) {
    do {
      round();
      count_round(attack);
    } while (soaking.load());
  };

  // The server's threads and open descriptors, sampled through the soak and once after it.
  auto sample = [&] {
    most_threads = std::max(most_threads.load(), ProcStatusNumber(pid, "Threads"));
    std::error_code ec;
    int64_t descriptors = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++descriptors;
    }
    most_descriptors = std::max(most_descriptors.load(), descriptors);
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    do {
      sample();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (soaking.load());
  });

  // A flood of idle, unauthenticated connections, held for the whole soak.
  std::vector<int> idle;
  threads.emplace_back([&] {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    int failed = 0;
    for (int i = 0; i < kIdleConnections; ++i) {
      const int fd = ConnectIdle(to);
      if (fd < 0) {
        ++failed;
      } else {
        idle.push_back(fd);
      }
    }
    if (failed > 0) findings.Add(std::to_string(failed) + " idle connections could not connect");
    count_round("idle connections");
  });

  // Deeply nested and huge JSON in PutGraph and PutModel, three requests at a time. Nesting is
  // refused before a document is built, and a request over max_message_bytes before it is read.
  // A shallow document of millions of values is parsed whole (nlohmann's DOM), at about 25 times
  // its size: one sender alone sends those, so that the memory bound below holds one of them, not
  // three.
  const std::string nested_arrays(4 << 20, '[');
  std::string nested_objects;
  for (int i = 0; i < (2 << 20); ++i) nested_objects += "{\"a\":";
  std::string wide_graph = R"({"format": "pathwise.graph", "version": 1, "competencies": [)";
  while (wide_graph.size() < (15 << 20)) wide_graph += "0,";
  wide_graph += "0]}";
  std::string wide_model = R"({"format": "pathwise.bkt_model", "version": 1, "competencies": [)";
  while (wide_model.size() < (15 << 20)) wide_model += "0,";
  wide_model += "0]}";
  const std::string oversized((17 << 20), ' ');  // over the 16 MiB max_message_bytes
  for (int sender = 0; sender < 3; ++sender) {
    threads.emplace_back([&, sender] {
      Stubs stubs(NewChannel(address));
      repeat("nested and huge JSON", [&] {
        v1::PutGraphRequest graph_request;
        v1::PutGraphResponse graph_response;
        v1::PutModelRequest model_request;
        model_request.set_name("attack");
        v1::PutModelResponse model_response;
        auto put_graph = [&](const std::string& call, const std::string& json,
                             grpc::StatusCode code, const std::string& part) {
          graph_request.set_graph_json(json);
          findings.Expect(
              call,
              stubs.curriculum->PutGraph(PatientCtx(kKeyC).get(), graph_request, &graph_response),
              code, part);
        };
        auto put_model = [&](const std::string& call, const std::string& json,
                             grpc::StatusCode code, const std::string& part) {
          model_request.set_model_json(json);
          findings.Expect(
              call,
              stubs.curriculum->PutModel(PatientCtx(kKeyC).get(), model_request, &model_response),
              code, part);
        };
        const bool arrays = sender % 2 == 0;
        put_graph("PutGraph of nested JSON", arrays ? nested_arrays : nested_objects,
                  grpc::StatusCode::INVALID_ARGUMENT, "nesting deeper than");
        put_model("PutModel of nested JSON", arrays ? nested_objects : nested_arrays,
                  grpc::StatusCode::INVALID_ARGUMENT, "nesting deeper than");
        put_model("PutModel of 17 MiB", oversized, grpc::StatusCode::RESOURCE_EXHAUSTED,
                  "larger than max");
        if (sender == 0) {
          put_graph("PutGraph of 15 MiB JSON", wide_graph, grpc::StatusCode::INVALID_ARGUMENT,
                    "competencies[0]: expected an object, got a number");
          put_model("PutModel of 15 MiB JSON", wide_model, grpc::StatusCode::INVALID_ARGUMENT,
                    "competencies: expected an object");
        }
      });
    });
  }

  // Long chain graphs, and a cycle whose error names 20,000 competencies.
  const std::string chain = ChainGraphJson(kChainCompetencies);
  threads.emplace_back([&] {
    Stubs stubs(NewChannel(address));
    repeat("chain graphs", [&] {
      v1::PutGraphRequest request;
      request.set_graph_json(chain);
      v1::PutGraphResponse response;
      const grpc::Status status =
          stubs.curriculum->PutGraph(PatientCtx(kKeyC).get(), request, &response);
      if (!status.ok()) findings.Add("PutGraph of a chain: " + Describe(status));
    });
  });
  const v1::Graph cycle = CycleGraph(kCycleCompetencies);
  threads.emplace_back([&] {
    Stubs stubs(NewChannel(address));
    repeat("cycle errors", [&] {
      v1::PutGraphRequest request;
      *request.mutable_graph() = cycle;
      v1::PutGraphResponse response;
      const grpc::Status status =
          stubs.curriculum->PutGraph(PatientCtx(kKeyC).get(), request, &response);
      findings.Expect("PutGraph of a cycle", status, grpc::StatusCode::FAILED_PRECONDITION,
                      "more bytes left out]");
      if (status.error_message().size() > 4096) {
        findings.Add("the cycle error is " + std::to_string(status.error_message().size()) +
                     " bytes");
      }
    });
  });

  // Unreadable requests on every RPC.
  threads.emplace_back([&] {
    const std::shared_ptr<grpc::Channel> channel = NewChannel(address);
    repeat("unreadable requests", [&] {
      ForEachPathwiseMethod([&](const std::string& path,
                                const google::protobuf::MethodDescriptor& method) {
        const RawReply reply = method.client_streaming()
                                   ? RawClientStreamCall(channel, path, {kUnreadableMessage}, kKeyB)
                                   : RawUnaryCall(channel, path, kUnreadableMessage, kKeyB);
        findings.Expect(path + " unreadable", reply.status, grpc::StatusCode::INVALID_ARGUMENT,
                        method.input_type()->name());
      });
    });
  });

  // One tenant's streams: opened, each given a batch, then held open until the soak ends. Streams
  // over the server's cap may be refused (RESOURCE_EXHAUSTED with a message), never anything else.
  threads.emplace_back([&] {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    for (int i = 0; i < 4; ++i) channels.push_back(NewChannel(address));
    struct Held {
      std::unique_ptr<Stubs> stubs;
      std::unique_ptr<grpc::ClientContext> context;
      v1::RecordEventsResponse response;
      std::unique_ptr<grpc::ClientWriter<v1::RecordEventsRequest>> writer;
    };
    std::vector<Held> held(kHeldStreams);
    for (int i = 0; i < kHeldStreams; ++i) {
      held[i].stubs = std::make_unique<Stubs>(channels[i % channels.size()]);
      held[i].context = PatientCtx(kKeyD);
      held[i].writer =
          held[i].stubs->learners->StreamEvents(held[i].context.get(), &held[i].response);
      v1::RecordEventsRequest batch;
      *batch.add_events() = MakeObservation("held" + std::to_string(i), "held", "act.a", 1, i);
      held[i].writer->Write(batch);  // false once refused; Finish says why
    }
    while (soaking.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int admitted = 0, capped = 0;
    for (Held& h : held) {
      h.writer->WritesDone();
      const grpc::Status status = h.writer->Finish();
      if (status.ok()) {
        ++admitted;
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                 Contains(status.error_message(), "max_streams_per_tenant")) {
        ++capped;
      } else {
        findings.Add("a held stream: " + Describe(status));
      }
    }
    // The tenant never had more than its cap open at once, so the rest were refused.
    if (admitted > kStreamCap || capped < kHeldStreams - kStreamCap) {
      findings.Add("held streams: " + std::to_string(admitted) + " admitted, " +
                   std::to_string(capped) + " refused at the cap of " + std::to_string(kStreamCap));
    }
    count_round("held streams");
  });

  // Stalled readers of the large export: each reads one message, then nothing until the end.
  threads.emplace_back([&] {
    Stubs stubs(NewChannel(address));
    struct Stalled {
      std::unique_ptr<grpc::ClientContext> context;
      std::unique_ptr<grpc::ClientReader<v1::ExportLearnerResponse>> reader;
    };
    std::vector<Stalled> stalled(kStalledReaders);
    v1::ExportLearnerRequest request;
    request.set_learner_id("big");
    for (Stalled& s : stalled) {
      s.context = PatientCtx(kKeyB);
      s.reader = stubs.learners->ExportLearner(s.context.get(), request);
      v1::ExportLearnerResponse first;
      if (!s.reader->Read(&first)) findings.Add("a stalled export got no first message");
    }
    while (soaking.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (Stalled& s : stalled) {
      s.context->TryCancel();
      // Cancelled by this reader, or already finished by the server (OK, or refused).
      const grpc::Status status = s.reader->Finish();
      if (status.error_code() != grpc::StatusCode::CANCELLED) {
        (void)findings.WellBehaved("a stalled export", status);
      }
    }
    count_round("stalled exports");
  });

  // The well-behaved clients: ingest (unary and streamed), read mastery, recommendations and
  // exports, and now and then come back on a brand-new connection, all through the attacks.
  std::vector<ClientLog> logs(kWellBehavedClients);
  for (int c = 0; c < kWellBehavedClients; ++c) {
    threads.emplace_back([&, c] {
      ClientLog& log = logs[c];
      std::unique_ptr<Stubs> stubs;
      int next_event = 0;
      auto make_batch = [&] {
        v1::RecordEventsRequest batch;
        for (int i = 0; i < 20; ++i, ++next_event) {
          const std::string learner =
              "good" + std::to_string(c) + "-" + std::to_string(next_event % 4);
          const std::string id = "g" + std::to_string(c) + "-" + std::to_string(next_event);
          *batch.add_events() = MakeObservation(id, learner, activities[(next_event / 4) % 4],
                                                next_event % 3 ? 1 : 0, next_event);
          log.sent.insert(learner + "/" + id);
          log.learners.insert(learner);
        }
        return batch;
      };
      do {
        if (log.rounds % 5 == 0) stubs = std::make_unique<Stubs>(NewChannel(address));
        const v1::RecordEventsRequest unary = make_batch();
        v1::RecordEventsResponse recorded;
        if (findings.WellBehaved("RecordEvents", stubs->learners->RecordEvents(
                                                     PatientCtx(kKeyA).get(), unary, &recorded))) {
          Acknowledge(unary, &log);
        } else {
          log.unacknowledged.push_back(unary);
          ++log.refusals;
        }
        const std::vector<v1::RecordEventsRequest> streamed = {make_batch(), make_batch()};
        auto context = PatientCtx(kKeyA);
        v1::RecordEventsResponse streamed_response;
        auto writer = stubs->learners->StreamEvents(context.get(), &streamed_response);
        for (const v1::RecordEventsRequest& batch : streamed) {
          if (!writer->Write(batch)) break;
        }
        writer->WritesDone();
        if (findings.WellBehaved("StreamEvents", writer->Finish())) {
          for (const v1::RecordEventsRequest& batch : streamed) Acknowledge(batch, &log);
        } else {
          log.unacknowledged.insert(log.unacknowledged.end(), streamed.begin(), streamed.end());
          ++log.refusals;
        }
        const std::string learner =
            "good" + std::to_string(c) + "-" + std::to_string(log.rounds % 4);
        v1::GetMasteryRequest mastery_request;
        mastery_request.set_learner_id(learner);
        v1::GetMasteryResponse mastery;
        if (!findings.WellBehaved(
                "GetMastery",
                stubs->learners->GetMastery(PatientCtx(kKeyA).get(), mastery_request, &mastery))) {
          ++log.refusals;
        }
        v1::RecommendRequest recommend_request;
        recommend_request.set_learner_id(learner);
        v1::RecommendResponse recommendations;
        if (!findings.WellBehaved(
                "Recommend", stubs->recommendations->Recommend(
                                 PatientCtx(kKeyA).get(), recommend_request, &recommendations))) {
          ++log.refusals;
        }
        grpc::Status exported;
        testing::ExportEvents(*stubs, kKeyA, learner, &exported);
        if (!findings.WellBehaved("ExportLearner", exported)) ++log.refusals;
        ++log.rounds;
      } while (soaking.load());
    });
  }

  std::this_thread::sleep_for(kSoakSeconds);
  soaking = false;
  for (std::thread& t : threads) t.join();
  sample();  // the idle connections are still open

  // The server is alive, says SERVING, and takes a brand-new client while the flood still holds.
  const std::shared_ptr<grpc::Channel> fresh = NewChannel(address);
  const Result<std::string> health = pathwise::testing::CheckHealth(fresh, "", 30);
  ASSERT_TRUE(health.ok()) << health.status() << server.LogTail(20);
  EXPECT_EQ(*health, "SERVING");
  Stubs stubs(fresh);
  EXPECT_EQ(findings.count(), 0) << findings.Report();
  {
    std::lock_guard<std::mutex> lock(rounds_mu);
    for (const char* attack :
         {"idle connections", "nested and huge JSON", "chain graphs", "cycle errors",
          "unreadable requests", "held streams", "stalled exports"}) {
      EXPECT_GE(rounds[attack], 1) << attack;
    }
  }
  for (const ClientLog& log : logs) EXPECT_GE(log.rounds, 1);
  const int64_t threads_after = ProcStatusNumber(pid, "Threads");
  const int64_t peak_kib = ProcStatusNumber(pid, "VmHWM");
  EXPECT_GE(most_descriptors.load(), kIdleConnections) << "the flood did not reach the server";
  EXPECT_LE(most_threads.load(), kMaxServerThreads);
  EXPECT_LE(peak_kib, kMaxServerPeakMiB * 1024);
  // Shown on success too: the margins to the bounds, and that the flood really reached the server.
  std::printf(
      "soak: %d rounds of well-behaved clients (%d refusals); server peaks: %lld threads "
      "(%lld after), %lld MiB (VmHWM), %lld descriptors\n",
      logs[0].rounds + logs[1].rounds + logs[2].rounds,
      logs[0].refusals + logs[1].refusals + logs[2].refusals,
      static_cast<long long>(most_threads.load()), static_cast<long long>(threads_after),
      static_cast<long long>(peak_kib / 1024), static_cast<long long>(most_descriptors.load()));
  for (const auto& [attack, count] : rounds)
    std::printf("  %s: %d rounds\n", attack.c_str(), count);

  // Every acknowledged event of the well-behaved clients is stored exactly once, and the server's
  // mastery equals a replay of what it stored; then re-sending the refused batches completes them.
  for (ClientLog& log : logs) {
    std::set<std::string> stored;
    for (const std::string& learner : log.learners) {
      for (const v1::StoredObservation& e :
           ExpectMasteryEqualsReplay(stubs, kKeyA, learner, graph)) {
        const std::string id = learner + "/" + e.event().event_id();
        EXPECT_TRUE(stored.insert(id).second) << "stored twice: " << id;
        EXPECT_EQ(log.sent.count(id), 1u) << "stored but never sent: " << id;
      }
    }
    for (const std::string& id : log.acknowledged) {
      EXPECT_EQ(stored.count(id), 1u) << "acknowledged but not stored: " << id;
    }
    for (const v1::RecordEventsRequest& batch : log.unacknowledged) {
      v1::RecordEventsResponse response;
      const grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), batch, &response);
      EXPECT_TRUE(status.ok()) << Describe(status);
    }
    std::set<std::string> completed;
    for (const std::string& learner : log.learners) {
      for (const v1::StoredObservation& e : testing::ExportEvents(stubs, kKeyA, learner)) {
        EXPECT_TRUE(completed.insert(learner + "/" + e.event().event_id()).second);
      }
    }
    EXPECT_EQ(completed, log.sent);
  }

  for (int fd : idle) close(fd);
  std::string report;
  EXPECT_TRUE(server.Stop(30, &report)) << report;
}

}  // namespace
}  // namespace pathwise::service
