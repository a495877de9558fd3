// The metrics endpoint on the real pathwised binary: calls over a real gRPC socket, then a scrape
// of GET /metrics over real HTTP, and the counters, the latency histogram and the error codes of
// those calls per method and tenant, the store's commits and the fit jobs.
#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "server_process.h"
#include "service_test_util.h"

namespace pathwise::service::testing {
namespace {

using pathwise::testing::BinaryBesideSelf;
using pathwise::testing::ServerProcess;
using pathwise::testing::ServerProcessOptions;

ServerProcessOptions Options(const TempDir& dir, std::vector<std::string> extra) {
  ServerProcessOptions options;
  options.binary = BinaryBesideSelf("pathwised");
  options.args = {"--data-dir", dir.path() + "/data",
                  "--api-key",  std::string(kTenantA) + "=" + kKeyA,
                  "--api-key",  std::string(kTenantB) + "=" + kKeyB};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  options.log_path = dir.path() + "/pathwised.log";
  return options;
}

// "host:port" -> an HTTP client of it.
std::unique_ptr<httplib::Client> HttpClient(const std::string& address) {
  const size_t colon = address.rfind(':');
  auto client = std::make_unique<httplib::Client>(address.substr(0, colon),
                                                  std::stoi(address.substr(colon + 1)));
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(10, 0);
  return client;
}

// The samples of a scrape, by their name and labels as written ("name{a=\"x\"}").
std::map<std::string, double> ParseSamples(const std::string& text) {
  std::map<std::string, double> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

// The sample's value, or -1 when the scrape does not have it.
double Value(const std::map<std::string, double>& samples, const std::string& key) {
  auto found = samples.find(key);
  return found == samples.end() ? -1.0 : found->second;
}

std::string Labels(const std::string& service, const std::string& method, const std::string& tenant,
                   const std::string& extra = "") {
  return "{service=\"pathwise.v1." + service + "\",method=\"" + method + "\",tenant=\"" + tenant +
         "\"" + extra + "}";
}

grpc::StatusCode GetMastery(Stubs& stubs, const std::string& key, const std::string& learner) {
  v1::GetMasteryRequest request;
  request.set_learner_id(learner);
  v1::GetMasteryResponse response;
  return stubs.learners->GetMastery(Ctx(key).get(), request, &response).error_code();
}

TEST(MetricsEndpointTest, CountsCallsPerMethodAndTenantOnTheRealServer) {
  TempDir dir;
  ServerProcess server;
  const Status started = server.Start(Options(dir, {"--metrics-listen", "127.0.0.1:0"}));
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_FALSE(server.metrics_address().empty()) << server.start_line();
  EXPECT_NE(server.metrics_address(), server.address());

  const auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  Stubs stubs(channel);
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  {
    v1::RecordEventsRequest request;
    *request.add_events() = MakeObservation("e1", "ann", "act.a", 1, 1000);
    *request.add_events() = MakeObservation("e2", "ann", "act.a", 0, 2000);
    *request.add_events() = MakeObservation("e3", "ann", "act.b", 1, 3000);
    v1::RecordEventsResponse response;
    const grpc::Status status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(response.recorded(), 3u);
  }
  EXPECT_EQ(GetMastery(stubs, kKeyA, "ann"), grpc::StatusCode::OK);
  EXPECT_EQ(GetMastery(stubs, kKeyA, "ann"), grpc::StatusCode::OK);
  EXPECT_EQ(GetMastery(stubs, kKeyA, "nobody"), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GetMastery(stubs, kKeyB, "ann"), grpc::StatusCode::NOT_FOUND);  // A's learner
  EXPECT_EQ(GetMastery(stubs, "", "ann"), grpc::StatusCode::UNAUTHENTICATED);
  // Bytes that are no GetMasteryRequest: the status the client gets (INVALID_ARGUMENT, set by an
  // interceptor after the handler) is the one counted.
  const RawReply unreadable =
      RawUnaryCall(channel, "/pathwise.v1.LearnerService/GetMastery",
                   std::string("\x0a\x7f\x01", 3), kKeyA);  // a field longer than the message
  EXPECT_EQ(unreadable.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A path the server does not serve is not counted, so clients cannot invent series.
  EXPECT_EQ(RawUnaryCall(channel, "/pathwise.v1.LearnerService/NoSuchMethod", "", kKeyA)
                .status.error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  v1::FitJob job;
  {
    v1::FitModelRequest request;
    request.set_model_name("fitted");
    request.mutable_options()->set_max_iterations(5);
    const grpc::Status status = stubs.models->FitModel(Ctx(kKeyA).get(), request, &job);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (job.state() == v1::JOB_STATE_QUEUED || job.state() == v1::JOB_STATE_RUNNING) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the fit did not finish";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    v1::GetFitJobRequest request;
    request.set_job_id(job.job_id());
    ASSERT_TRUE(stubs.models->GetFitJob(Ctx(kKeyA).get(), request, &job).ok());
  }
  const std::string end_state = job.state() == v1::JOB_STATE_SUCCEEDED ? "succeeded" : "failed";

  auto http = HttpClient(server.metrics_address());
  httplib::Result scrape = http->Get("/metrics");
  ASSERT_TRUE(scrape) << "GET /metrics: " << httplib::to_string(scrape.error());
  EXPECT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = scrape->body;
  const std::map<std::string, double> samples = ParseSamples(text);

  const std::string a_mastery = Labels("LearnerService", "GetMastery", kTenantA);
  EXPECT_EQ(Value(samples, "pathwise_rpc_requests_total" + a_mastery), 4) << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_duration_seconds_count" + a_mastery), 4) << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_duration_seconds_bucket" +
                               Labels("LearnerService", "GetMastery", kTenantA, ",le=\"+Inf\"")),
            4)
      << text;
  EXPECT_GT(Value(samples, "pathwise_rpc_duration_seconds_sum" + a_mastery), 0) << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_errors_total" + Labels("LearnerService", "GetMastery",
                                                                kTenantA, ",code=\"NOT_FOUND\"")),
            1)
      << text;
  EXPECT_EQ(
      Value(samples, "pathwise_rpc_errors_total" + Labels("LearnerService", "GetMastery", kTenantA,
                                                          ",code=\"INVALID_ARGUMENT\"")),
      1)
      << text;
  // Tenant B's one call is B's, and the call without a key belongs to no tenant.
  EXPECT_EQ(Value(samples,
                  "pathwise_rpc_requests_total" + Labels("LearnerService", "GetMastery", kTenantB)),
            1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_errors_total" + Labels("LearnerService", "GetMastery",
                                                                kTenantB, ",code=\"NOT_FOUND\"")),
            1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_errors_total" + Labels("LearnerService", "GetMastery", "",
                                                                ",code=\"UNAUTHENTICATED\"")),
            1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_requests_total" +
                               Labels("LearnerService", "RecordEvents", kTenantA)),
            1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_rpc_requests_total" +
                               Labels("CurriculumService", "PutGraph", kTenantA)),
            1)
      << text;
  EXPECT_EQ(text.find("NoSuchMethod"), std::string::npos) << text;
  // Keys never appear, only tenant ids.
  EXPECT_EQ(text.find(kKeyA), std::string::npos);
  EXPECT_EQ(text.find(kKeyB), std::string::npos);

  EXPECT_EQ(Value(samples, "pathwise_store_events_committed_total{tenant=\"tenant-a\"}"), 3)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_store_commit_duration_seconds_count"), 1) << text;
  EXPECT_EQ(Value(samples, "pathwise_store_commit_failures_total"), 0) << text;
  EXPECT_EQ(Value(samples, "pathwise_store_commit_queue_depth"), 0) << text;

  EXPECT_EQ(Value(samples, "pathwise_fit_jobs_total{tenant=\"tenant-a\",state=\"queued\"}"), 1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_fit_jobs_total{tenant=\"tenant-a\",state=\"running\"}"), 1)
      << text;
  EXPECT_EQ(
      Value(samples, "pathwise_fit_jobs_total{tenant=\"tenant-a\",state=\"" + end_state + "\"}"), 1)
      << job.error_message() << "\n"
      << text;
  EXPECT_EQ(Value(samples, "pathwise_fit_duration_seconds_count{tenant=\"tenant-a\",state=\"" +
                               end_state + "\"}"),
            1)
      << text;
  EXPECT_EQ(Value(samples, "pathwise_fit_queue_depth"), 0) << text;
  EXPECT_EQ(Value(samples, "pathwise_fit_jobs_running"), 0) << text;
  // Started on an empty store: nothing to warm up, every learner is in memory from the start.
  EXPECT_EQ(Value(samples, "pathwise_tenant_warm_up_complete{tenant=\"tenant-a\"}"), 1) << text;
  EXPECT_EQ(Value(samples, "pathwise_tenant_warm_up_seconds{tenant=\"tenant-a\"}"), 0) << text;

  httplib::Result health = http->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  httplib::Result missing = http->Get("/nothing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  std::string report;
  EXPECT_TRUE(server.Stop(15.0, &report)) << report;
}

TEST(MetricsEndpointTest, OffByDefault) {
  TempDir dir;
  ServerProcess server;
  const Status started = server.Start(Options(dir, {}));
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(server.metrics_address(), "");
  EXPECT_EQ(server.start_line().find("metrics"), std::string::npos) << server.start_line();
  std::string report;
  EXPECT_TRUE(server.Stop(15.0, &report)) << report;
}

TEST(MetricsEndpointTest, OutOfRangePortIsRefusedAtStart) {
  TempDir dir;
  ServerProcess server;
  const Status started = server.Start(Options(dir, {"--metrics-listen", "127.0.0.1:99999"}));
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("metrics_listen: port 99999 is out of range [0, 65535]"),
            std::string::npos)
      << started;
  EXPECT_FALSE(server.running());
}

TEST(MetricsEndpointTest, AMetricsPortInUseIsAnErrorNamingIt) {
  app::ServerConfig config = TwoTenantConfig();
  config.metrics_listen = "127.0.0.1:0";
  std::unique_ptr<PathwiseServer> first = StartServer(config);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(first->metrics(), nullptr);
  config.metrics_listen = first->metrics_address();
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  ASSERT_TRUE(store.ok()) << store.status();
  Result<std::unique_ptr<PathwiseServer>> second =
      PathwiseServer::Start(config, std::move(store).value());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("metrics_listen: cannot listen on '" +
                                           first->metrics_address() + "'"),
            std::string::npos)
      << second.status();
  EXPECT_OK(first->Shutdown(std::chrono::seconds(1)));
}

TEST(MetricsEndpointTest, NothingIsRecordedWithoutAMetricsAddress) {
  std::unique_ptr<PathwiseServer> server = StartServer(TwoTenantConfig());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->metrics(), nullptr);
  EXPECT_EQ(server->metrics_address(), "");
  EXPECT_OK(server->Shutdown(std::chrono::seconds(1)));
}

}  // namespace
}  // namespace pathwise::service::testing
