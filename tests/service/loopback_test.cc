// The server on a real loopback port: plaintext, and TLS with and without client certificates.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>

#include "server_process.h"
#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::kKeyA;
using testing::PutGraphOrFail;
using testing::StartServer;
using testing::Stubs;
using testing::TempDir;
using testing::TwoTenantConfig;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(LoopbackTest, PlaintextPortServesEveryService) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  ASSERT_GT(server->port(), 0);
  EXPECT_EQ(server->address(), "127.0.0.1:" + std::to_string(server->port()));
  Stubs stubs(grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  v1::RecordEventsRequest request;
  *request.add_events() = testing::MakeObservation("e1", "ann", "act.a", 1, 1);
  v1::RecordEventsResponse response;
  ASSERT_TRUE(stubs.learners->RecordEvents(Ctx(kKeyA).get(), request, &response).ok());
  EXPECT_EQ(response.recorded(), 1u);
  v1::RecommendRequest recommend;
  recommend.set_learner_id("ann");
  v1::RecommendResponse recommendations;
  ASSERT_TRUE(stubs.recommendations->Recommend(Ctx(kKeyA).get(), recommend, &recommendations).ok());
  EXPECT_OK(server->Shutdown(std::chrono::seconds(5)));
}

TEST(LoopbackTest, PortInUseIsUnavailable) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  std::unique_ptr<PathwiseServer> first = StartServer(config);
  ASSERT_NE(first, nullptr);
  config.listen = first->address();
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  ASSERT_OK(store);
  Result<std::unique_ptr<PathwiseServer>> second =
      PathwiseServer::Start(config, std::move(store).value());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable) << second.status();
  EXPECT_OK(first->Shutdown(std::chrono::seconds(5)));
}

TEST(LoopbackTest, HealthCheckStopsAnsweringServingWhenShutdownBegins) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  const Result<std::string> before = pathwise::testing::CheckHealth(channel);
  ASSERT_OK(before);
  ASSERT_EQ(*before, "SERVING");

  // An open call keeps the server in its shutdown grace.
  Stubs stubs(channel);
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  auto context = Ctx(kKeyA);
  v1::RecordEventsResponse response;
  auto writer = stubs.learners->StreamEvents(context.get(), &response);
  v1::RecordEventsRequest batch;
  *batch.add_events() = testing::MakeObservation("e1", "ann", "act.a", 1, 1);
  ASSERT_TRUE(writer->Write(batch));
  std::thread stopper([&] { EXPECT_OK(server->Shutdown(std::chrono::seconds(10))); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  // Every Check now says NOT_SERVING or fails; none says SERVING.
  auto fresh = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  for (const auto& ch : {channel, fresh}) {
    const Result<std::string> during = pathwise::testing::CheckHealth(ch);
    EXPECT_FALSE(during.ok() && *during == "SERVING")
        << "Check answered SERVING during the shutdown grace";
  }
  // The stream itself may be ended by the shutdown; only the health answers are asserted here.
  writer->WritesDone();
  (void)writer->Finish();
  stopper.join();
}

TEST(LoopbackTest, ANewClientIsAcceptedAfterAThousandIdleConnections) {
  // Both ends of every connection are in this process: 1000 connections need 2000 descriptors.
  const uint64_t limit = RaiseOpenFileLimit();
  if (limit < 2500) GTEST_SKIP() << "the open-file hard limit is " << limit;
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  std::vector<std::shared_ptr<grpc::Channel>> idle;
  for (int i = 0; i < 1000; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
    idle.push_back(
        grpc::CreateCustomChannel(server->address(), grpc::InsecureChannelCredentials(), args));
    ASSERT_TRUE(
        idle.back()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
        << "connection " << i;
  }
  const Result<std::string> health = pathwise::testing::CheckHealth(
      grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  ASSERT_OK(health);
  EXPECT_EQ(*health, "SERVING");
  idle.clear();
  EXPECT_OK(server->Shutdown(std::chrono::seconds(5)));
}

// A CA, a server certificate for localhost/127.0.0.1 and a client certificate, made with the
// openssl command line tool.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl command not available";
    }
    const std::string d = dir_.path();
    const std::string script =
        "cd " + d +
        " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
        " -keyout ca.key -out ca.crt"
        " && openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key"
        " -out server.csr"
        " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext"
        " && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
        " -extfile san.ext -out server.crt"
        " && openssl req -newkey rsa:2048 -nodes -subj /CN=client -keyout client.key"
        " -out client.csr"
        " && openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
        " -out client.crt";
    ASSERT_EQ(std::system(("(" + script + ") > /dev/null 2>&1").c_str()), 0)
        << "certificate generation";
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }

  grpc::Status Call(const std::string& address,
                    const std::shared_ptr<grpc::ChannelCredentials>& c) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    Stubs stubs(grpc::CreateCustomChannel(address, c, args));
    v1::ValidateGraphRequest request;
    *request.mutable_graph() = ChainGraph();
    v1::ValidateGraphResponse response;
    auto context = Ctx(kKeyA);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stubs.curriculum->ValidateGraph(context.get(), request, &response);
  }

  TempDir dir_;
};

TEST_F(TlsTest, ServesTlsAndRequiresClientCertificatesWhenAsked) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  config.tls.cert = Path("server.crt");
  config.tls.key = Path("server.key");
  config.tls.client_ca = Path("ca.crt");
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);

  grpc::SslCredentialsOptions with_cert;
  with_cert.pem_root_certs = Slurp(Path("ca.crt"));
  with_cert.pem_private_key = Slurp(Path("client.key"));
  with_cert.pem_cert_chain = Slurp(Path("client.crt"));
  grpc::Status status = Call(server->address(), grpc::SslCredentials(with_cert));
  EXPECT_TRUE(status.ok()) << status.error_message();

  grpc::SslCredentialsOptions without_cert;
  without_cert.pem_root_certs = Slurp(Path("ca.crt"));
  EXPECT_FALSE(Call(server->address(), grpc::SslCredentials(without_cert)).ok());
  EXPECT_FALSE(Call(server->address(), grpc::InsecureChannelCredentials()).ok());
  EXPECT_OK(server->Shutdown(std::chrono::seconds(5)));
}

TEST_F(TlsTest, MissingCertificateFileIsUnavailable) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  config.tls.cert = Path("nope.crt");
  config.tls.key = Path("server.key");
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  ASSERT_OK(store);
  Result<std::unique_ptr<PathwiseServer>> server =
      PathwiseServer::Start(config, std::move(store).value());
  EXPECT_EQ(server.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(server.status().message().find("tls.cert"), std::string::npos);
}

TEST_F(TlsTest, KeyOfAnotherCertificateIsNamedAsAMismatch) {
  app::ServerConfig config = TwoTenantConfig();
  config.listen = "127.0.0.1:0";
  config.tls.cert = Path("server.crt");
  config.tls.key = Path("client.key");
  Result<std::unique_ptr<store::LearnerStore>> store = OpenStore(config);
  ASSERT_OK(store);
  Result<std::unique_ptr<PathwiseServer>> server =
      PathwiseServer::Start(config, std::move(store).value());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument) << server.status();
  EXPECT_NE(server.status().message().find("does not match the certificate"), std::string::npos)
      << server.status();

  // A file that is no PEM key at all is named too.
  config.tls.key = Path("san.ext");
  store = OpenStore(config);
  ASSERT_OK(store);
  server = PathwiseServer::Start(config, std::move(store).value());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument) << server.status();
  EXPECT_EQ(server.status().message().rfind("tls.key", 0), 0u) << server.status();
}

}  // namespace
}  // namespace pathwise::service
