// Helpers of the service tests: a server with two tenants (in-process or on a loopback port), stubs
// and authenticated client contexts, small graphs, temporary directories.
#ifndef PATHWISE_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
#define PATHWISE_TESTS_SERVICE_SERVICE_TEST_UTIL_H_

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <pathwise/io/graph_json.h>
#include <pathwise/mastery_tracker.h>

#include "pathwise/v1/curriculum_service.grpc.pb.h"
#include "pathwise/v1/learner_service.grpc.pb.h"
#include "pathwise/v1/model_service.grpc.pb.h"
#include "pathwise/v1/recommendation_service.grpc.pb.h"
#include "service/proto_convert.h"
#include "service/server.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "testing/server_process.h"
#include "testing/status_matchers.h"

namespace pathwise::service::testing {

inline constexpr char kTenantA[] = "tenant-a";
inline constexpr char kTenantB[] = "tenant-b";
inline constexpr char kKeyA[] = "key-a-0123456789abcdef";
inline constexpr char kKeyB[] = "key-b-0123456789abcdef";

/// The whole text of a file (empty when it cannot be read), e.g. a child server's log.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// pathwised as a child process on 127.0.0.1:<free port>, serving kTenantA with kKeyA from the
/// store `store_args` names ({"--data-dir", DIR} or {"--store", URI}), with `extra_args`, its log
/// appended to `log_path`.
// Whether this test (and so the pathwised it starts, built alike) runs under AddressSanitizer,
// whose quarantine and shadow memory raise a server's peak memory by hundreds of MiB.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

class ChildServer : public pathwise::testing::ServerProcess {
 public:
  ChildServer(std::vector<std::string> store_args, const std::string& log_path,
              const std::vector<std::string>& extra_args = {}, bool wait_for_serving = true) {
    pathwise::testing::ServerProcessOptions options;
    options.wait_for_serving = wait_for_serving;
    options.binary = pathwise::testing::BinaryBesideSelf("pathwised");
    options.args = std::move(store_args);
    options.args.insert(options.args.end(), {"--api-key", std::string(kTenantA) + "=" + kKeyA});
    options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
    options.log_path = log_path;
    started_ = Start(options);
  }

  bool started() const { return started_.ok(); }
  const Status& start_status() const { return started_; }

 private:
  Status started_;
};

/// A directory under the system temp dir, removed (with its contents) on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pathwise_service_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Two tenants, A and B, one key each; no network port (in-process channels only).
inline app::ServerConfig TwoTenantConfig() {
  app::ServerConfig config;
  config.listen = "";
  config.store = "memory";
  config.tenants = {{kTenantA, {kKeyA}, {}, {}}, {kTenantB, {kKeyB}, {}, {}}};
  config.shutdown_grace_seconds = 5;
  return config;
}

/// A client context carrying `authorization: Bearer <key>` (none when key is empty).
inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& key) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return context;
}

/// Stubs of every service on one channel.
struct Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& channel)
      : curriculum(v1::CurriculumService::NewStub(channel)),
        learners(v1::LearnerService::NewStub(channel)),
        recommendations(v1::RecommendationService::NewStub(channel)),
        models(v1::ModelService::NewStub(channel)) {}
  std::unique_ptr<v1::CurriculumService::Stub> curriculum;
  std::unique_ptr<v1::LearnerService::Stub> learners;
  std::unique_ptr<v1::RecommendationService::Stub> recommendations;
  std::unique_ptr<v1::ModelService::Stub> models;
};

/// The example curriculum (examples/curriculum/fractions.json) as a message.
inline v1::Graph FractionsGraph() {
  Result<GraphDefinition> def =
      ReadGraphDefinitionFile(pathwise::testing::SourcePath("examples/curriculum/fractions.json"));
  EXPECT_TRUE(def.ok()) << def.status();
  v1::Graph graph;
  if (def.ok()) ToProto(*def, &graph);
  return graph;
}

/// a -> b -> c, one activity per competency ("act.a" ...), plus "act.ab" practising a and b.
inline v1::Graph ChainGraph() {
  v1::Graph graph;
  for (const char* id : {"a", "b", "c"}) {
    v1::Competency* c = graph.add_competencies();
    c->set_id(id);
    c->set_name(std::string("Competency ") + id);
    v1::Activity* a = graph.add_activities();
    a->set_id(std::string("act.") + id);
    a->add_competencies()->set_competency_id(id);
    a->set_expected_minutes(4);
  }
  v1::Activity* ab = graph.add_activities();
  ab->set_id("act.ab");
  ab->add_competencies()->set_competency_id("a");
  v1::PracticedCompetency* b = ab->add_competencies();
  b->set_competency_id("b");
  b->set_weight(0.5);
  ab->set_expected_minutes(12);
  v1::Prerequisite* p1 = graph.add_prerequisites();
  p1->set_from("a");
  p1->set_to("b");
  v1::Prerequisite* p2 = graph.add_prerequisites();
  p2->set_from("b");
  p2->set_to("c");
  return graph;
}

inline v1::Observation MakeObservation(const std::string& event_id, const std::string& learner,
                                       const std::string& activity, double outcome,
                                       int64_t timestamp_ms) {
  v1::Observation e;
  e.set_event_id(event_id);
  e.set_learner_id(learner);
  e.set_activity_id(activity);
  e.set_outcome(outcome);
  e.set_timestamp_ms(timestamp_ms);
  return e;
}

/// Puts `graph` for the tenant of `key`; fails the test on error.
inline void PutGraphOrFail(Stubs& stubs, const std::string& key, const v1::Graph& graph) {
  v1::PutGraphRequest request;
  *request.mutable_graph() = graph;
  v1::PutGraphResponse response;
  grpc::Status status = stubs.curriculum->PutGraph(Ctx(key).get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
}

/// Every event the server stores for a learner, in sequence order (empty on NOT_FOUND).
inline std::vector<v1::StoredObservation> ExportEvents(Stubs& stubs, const std::string& key,
                                                       const std::string& learner,
                                                       grpc::Status* status_out = nullptr) {
  v1::ExportLearnerRequest request;
  request.set_learner_id(learner);
  auto context = Ctx(key);
  auto reader = stubs.learners->ExportLearner(context.get(), request);
  std::vector<v1::StoredObservation> events;
  v1::ExportLearnerResponse message;
  while (reader->Read(&message)) {
    for (const v1::StoredObservation& e : message.events()) events.push_back(e);
  }
  grpc::Status status = reader->Finish();
  if (status_out != nullptr) *status_out = status;
  return events;
}

/// Checks that the server's mastery of `learner` equals a replay of its exported events, in export
/// (commit) order, through a fresh core MasteryTracker over `graph` and the default model: the
/// server applied every stored event exactly once, in that order. Returns the exported events.
inline std::vector<v1::StoredObservation> ExpectMasteryEqualsReplay(Stubs& stubs,
                                                                    const std::string& key,
                                                                    const std::string& learner,
                                                                    const v1::Graph& graph) {
  const std::vector<v1::StoredObservation> events = ExportEvents(stubs, key, learner);
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, app::ServiceLimits{});
  EXPECT_TRUE(checked.ok()) << checked.status();
  if (!checked.ok()) return events;
  Result<CompetencyGraph> built = CompetencyGraph::FromDefinition(checked->definition);
  EXPECT_TRUE(built.ok()) << built.status();
  if (!built.ok()) return events;
  Result<std::unique_ptr<MasteryTracker>> tracker = MasteryTracker::Create(*built, BktModel{});
  EXPECT_TRUE(tracker.ok()) << tracker.status();
  if (!tracker.ok()) return events;
  for (const v1::StoredObservation& e : events) {
    const v1::Observation& ev = e.event();
    EXPECT_TRUE((*tracker)
                    ->Record({ev.event_id(), ev.learner_id(), ev.activity_id(), ev.outcome(),
                              ev.timestamp_ms()})
                    .ok());
  }
  v1::GetMasteryRequest request;
  request.set_learner_id(learner);
  v1::GetMasteryResponse served;
  grpc::Status status = stubs.learners->GetMastery(Ctx(key).get(), request, &served);
  EXPECT_TRUE(status.ok()) << status.error_message();
  Result<LearnerMastery> expected = (*tracker)->Mastery(learner);
  EXPECT_TRUE(expected.ok()) << expected.status();
  if (!status.ok() || !expected.ok()) return events;
  EXPECT_EQ(served.competencies_size(), static_cast<int>(expected->competencies.size()));
  for (int i = 0;
       i < served.competencies_size() && i < static_cast<int>(expected->competencies.size()); ++i) {
    const MasteryEstimate& want = expected->competencies[i];
    const v1::MasteryEstimate& got = served.competencies(i);
    EXPECT_EQ(got.competency_id(), want.competency_id);
    EXPECT_EQ(got.p_learned(), want.p_learned) << learner << " " << want.competency_id;
    EXPECT_EQ(got.opportunities(), want.opportunities) << learner << " " << want.competency_id;
    EXPECT_EQ(got.mastered(), want.mastered);
    EXPECT_EQ(got.last_practiced_ms(), want.opportunities > 0 ? want.last_practiced_ms : 0);
  }
  return events;
}

/// A graph whose prerequisites go round one cycle of `n` competencies with long ids: the cycle
/// error names every one of them, far more than a client's metadata limit holds.
inline v1::Graph CycleGraph(int n) {
  v1::Graph graph;
  for (int i = 0; i < n; ++i) {
    v1::Competency* c = graph.add_competencies();
    c->set_id("competency-with-a-long-id-" + std::to_string(i));
    c->set_name("c");
    v1::Prerequisite* p = graph.add_prerequisites();
    p->set_from(c->id());
    p->set_to("competency-with-a-long-id-" + std::to_string((i + 1) % n));
  }
  return graph;
}

// A field-1 tag announcing a length-delimited value longer than the message: no protobuf parser
// reads it, whatever the request type.
inline const std::string kUnreadableMessage("\x0a\x7f\x01", 3);

/// Calls `visit` with the path ("/pathwise.v1.LearnerService/GetMastery") and descriptor of every
/// method of Pathwise's five services; returns how many there were.
inline int ForEachPathwiseMethod(
    const std::function<void(const std::string&, const google::protobuf::MethodDescriptor&)>&
        visit) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  int methods = 0;
  for (const char* name : {"pathwise.v1.CurriculumService", "pathwise.v1.LearnerService",
                           "pathwise.v1.RecommendationService", "pathwise.v1.ModelService",
                           "pathwise.v1.StandardsService"}) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      visit("/" + std::string(name) + "/" + service->method(i)->name(), *service->method(i));
      ++methods;
    }
  }
  return methods;
}

struct RawReply {
  grpc::Status status;
  std::string bytes;
};

// A unary call with hand-made request bytes, through the generic stub: lets a test send what no
// generated stub would (a broken message) or call a service without linking its generated code.
inline RawReply RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& method, const std::string& request_bytes,
                             const std::string& key) {
  grpc::TemplatedGenericStub<grpc::ByteBuffer, grpc::ByteBuffer> stub(channel);
  std::unique_ptr<grpc::ClientContext> context = Ctx(key);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer reply;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  RawReply out;
  stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &reply, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    out.status = s;
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  std::vector<grpc::Slice> slices;
  if (out.status.ok() && reply.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      out.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

/// A client-streaming call with hand-made message bytes (one string per message) through the
/// generic stub. The server may end the call before reading every message; the writes that fail
/// then are not an error here, the call's status says what happened.
inline RawReply RawClientStreamCall(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& method,
                                    const std::vector<std::string>& messages,
                                    const std::string& key) {
  grpc::GenericStub stub(channel);
  std::unique_ptr<grpc::ClientContext> context = Ctx(key);
  grpc::CompletionQueue cq;
  RawReply out;
  auto call = stub.PrepareCall(context.get(), method, &cq);
  void* tag = nullptr;
  bool ok = false;
  // Each step waits for its own tag: the queue holds one operation at a time here.
  auto wait = [&] { return cq.Next(&tag, &ok) && ok; };
  call->StartCall(reinterpret_cast<void*>(1));
  bool open = wait();
  for (const std::string& bytes : messages) {
    if (!open) break;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call->Write(buffer, reinterpret_cast<void*>(2));
    open = wait();
  }
  if (open) {
    call->WritesDone(reinterpret_cast<void*>(3));
    (void)wait();
  }
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(4));
  const bool got_reply = wait();
  call->Finish(&out.status, reinterpret_cast<void*>(5));
  (void)wait();
  std::vector<grpc::Slice> slices;
  if (got_reply && out.status.ok() && reply.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      out.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}

/// A server started on `config` with a MemoryStore (config.store "memory") or a SqliteStore in
/// config.data_dir.
inline std::unique_ptr<PathwiseServer> StartServer(const app::ServerConfig& config) {
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return nullptr;
  Result<std::unique_ptr<PathwiseServer>> server =
      PathwiseServer::Start(config, std::move(store).value());
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  return std::move(server).value();
}

}  // namespace pathwise::service::testing

#endif  // PATHWISE_TESTS_SERVICE_SERVICE_TEST_UTIL_H_
