// The config file: the example parses and validates; mistakes are named by field.
#include "app/config.h"

#include <cmath>

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

TEST(ConfigTest, ExampleConfigParsesAndValidates) {
  Result<ServerConfig> config =
      ReadServerConfigFile(pathwise::testing::SourcePath("examples/service/pathwised.json"));
  ASSERT_OK(config);
  EXPECT_OK(config->Validate());
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(config->store, "sqlite");
  ASSERT_EQ(config->tenants.size(), 2u);
  EXPECT_EQ(config->tenants[0].id, "demo");
  EXPECT_EQ(config->limits.max_batch_events, 10000);
}

TEST(ConfigTest, UnknownKeyIsAnErrorNamingIt) {
  Result<ServerConfig> config =
      ParseServerConfig(R"({"tenants": [], "limits": {"max_kk": 3}})", "c.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("c.json: limits.max_kk: unknown key"), std::string::npos)
      << config.status();
}

TEST(ConfigTest, TenantCurriculumSetsTheCourseOptions) {
  Result<ServerConfig> config = ParseServerConfig(
      R"({"store": "memory", "tenants": [{"id": "acme", "api_keys": ["0123456789abcdef"],
                       "curriculum": {"individual_pace": true, "pace_prior_sd": 0.5,
                                      "mastery_min_opportunities": 3,
                                      "mastery_recent_correct": 2, "progress_weight": 1.5,
                                      "advance_threshold": 1,
                                      "stall_min_attempts": 5, "stall_max_recent_correct": 1,
                                      "stall_pause_hours": 48}}]})",
      "c.json");
  ASSERT_OK(config);
  EXPECT_OK(config->Validate());
  const TenantConfig& t = config->tenants[0];
  EXPECT_TRUE(t.tracker.individual_pace);
  EXPECT_EQ(t.tracker.pace_prior_sd, 0.5);
  EXPECT_EQ(t.recommender.mastery.mastery_min_opportunities, 3);
  EXPECT_EQ(t.recommender.mastery.mastery_recent_correct, 2);
  EXPECT_EQ(t.recommender.mastery.progress_weight, 1.5);
  EXPECT_EQ(t.recommender.mastery.advance_threshold, 1.0);
  EXPECT_EQ(t.recommender.mastery.stall_min_attempts, 5);
  EXPECT_EQ(t.recommender.mastery.stall_max_recent_correct, 1);
  EXPECT_EQ(t.recommender.mastery.stall_pause_hours, 48.0);

  Result<ServerConfig> typo = ParseServerConfig(
      R"({"tenants": [{"id": "acme", "api_keys": ["0123456789abcdef"],
                       "curriculum": {"individual_pace": 1}}]})",
      "c.json");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.status().message(),
            "c.json: tenants[0].curriculum.individual_pace: must be true or false");
  Result<ServerConfig> unknown = ParseServerConfig(
      R"({"tenants": [{"id": "acme", "api_keys": ["0123456789abcdef"],
                       "curriculum": {"pace": true}}]})",
      "c.json");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("tenants[0].curriculum.pace: unknown key"),
            std::string::npos)
      << unknown.status();

  Result<ServerConfig> ranged = ParseServerConfig(
      R"({"store": "memory", "tenants": [{"id": "acme", "api_keys": ["0123456789abcdef"],
                       "curriculum": {"mastery_recent_correct": 9}}]})",
      "c.json");
  ASSERT_OK(ranged);
  const Status invalid = ranged->Validate();
  EXPECT_EQ(invalid.code(), StatusCode::kInvalidArgument);
  // Named as the file spells the key, not by its path in RecommenderOptions.
  EXPECT_NE(
      invalid.message().find("tenants[0].curriculum: mastery_recent_correct must be in [0, 8]"),
      std::string::npos)
      << invalid;
}

TEST(ConfigTest, SyntaxErrorHasLineAndColumn) {
  Result<ServerConfig> config = ParseServerConfig("{\n  \"listen\": ,\n}", "c.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("c.json:2:", 0), 0u) << config.status();
}

TEST(ConfigTest, WrongTypeIsNamed) {
  Result<ServerConfig> config = ParseServerConfig(R"({"fit_threads": "two"})", "c.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("fit_threads: must be an integer"), std::string::npos);
}

ServerConfig Valid() {
  ServerConfig config;
  config.data_dir = "pathwise-data";  // only validated, never created
  config.tenants = {{"t1", {"key-one-0123456789"}, {}, {}}, {"t2", {"key-two-0123456789"}, {}, {}}};
  return config;
}

TEST(ConfigTest, ValidationNamesTheField) {
  EXPECT_OK(Valid().Validate());

  ServerConfig short_key = Valid();
  short_key.tenants[1].api_keys[0] = "short";
  EXPECT_EQ(short_key.Validate().message().rfind("tenants[1].api_keys[0]", 0), 0u);

  ServerConfig shared_key = Valid();
  shared_key.tenants[1].api_keys[0] = shared_key.tenants[0].api_keys[0];
  EXPECT_NE(shared_key.Validate().message().find("used twice"), std::string::npos);

  ServerConfig duplicate_tenant = Valid();
  duplicate_tenant.tenants[1].id = "t1";
  EXPECT_NE(duplicate_tenant.Validate().message().find("listed twice"), std::string::npos);

  ServerConfig bad_id = Valid();
  bad_id.tenants[0].id = "t 1";
  EXPECT_EQ(bad_id.Validate().message().rfind("tenants[0].id", 0), 0u);

  ServerConfig no_dir = Valid();
  no_dir.data_dir.clear();
  EXPECT_EQ(no_dir.Validate().message().rfind("data_dir", 0), 0u);
  no_dir.store = "memory";
  EXPECT_OK(no_dir.Validate());

  ServerConfig instant_lease = Valid();
  instant_lease.fit_lease_seconds = 0.0;
  EXPECT_EQ(instant_lease.Validate().message().rfind("fit_lease_seconds", 0), 0u);
  Result<ServerConfig> parsed = ParseServerConfig(
      R"({"tenants": [{"id": "t1", "api_keys": ["key-one-0123456789"]}], "fit_lease_seconds": 2})",
      "c.json");
  ASSERT_OK(parsed);
  EXPECT_EQ(parsed->fit_lease_seconds, 2.0);

  EXPECT_EQ(Valid().memory_compaction_interval_seconds, 600.0);
  for (double interval : {-1.0, 0.5, 31536001.0, std::nan("")}) {
    ServerConfig bad_compaction = Valid();
    bad_compaction.memory_compaction_interval_seconds = interval;
    EXPECT_EQ(bad_compaction.Validate().message().rfind(
                  "memory_compaction_interval_seconds: must be 0 (never) or in [1, 31536000]", 0),
              0u)
        << interval;
  }
  for (double interval : {0.0, 1.0, 86400.0}) {
    ServerConfig good_compaction = Valid();
    good_compaction.memory_compaction_interval_seconds = interval;
    EXPECT_OK(good_compaction.Validate());
  }
  Result<ServerConfig> compaction = ParseServerConfig(
      R"({"tenants": [{"id": "t1", "api_keys": ["key-one-0123456789"]}],
          "memory_compaction_interval_seconds": 3600})",
      "c.json");
  ASSERT_OK(compaction);
  EXPECT_EQ(compaction->memory_compaction_interval_seconds, 3600.0);
  Result<ServerConfig> compaction_text =
      ParseServerConfig(R"({"tenants": [], "memory_compaction_interval_seconds": "10"})", "c.json");
  EXPECT_NE(compaction_text.status().message().find("memory_compaction_interval_seconds"),
            std::string::npos)
      << compaction_text.status();

  ServerConfig half_tls = Valid();
  half_tls.tls.cert = "server.crt";
  EXPECT_EQ(half_tls.Validate().message().rfind("tls", 0), 0u);

  ServerConfig bad_limit = Valid();
  bad_limit.limits.max_batch_events = 0;
  EXPECT_EQ(bad_limit.Validate().message().rfind("limits.max_batch_events", 0), 0u);

  ServerConfig no_tenants = Valid();
  no_tenants.tenants.clear();
  EXPECT_EQ(no_tenants.Validate().message().rfind("tenants", 0), 0u);
}

TEST(ConfigTest, ListenPortOutOfRangeIsRefused) {
  for (const char* listen : {"127.0.0.1:99999", "127.0.0.1:65536", "0.0.0.0:1000000"}) {
    ServerConfig config = Valid();
    config.listen = listen;
    const Status status = config.Validate();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << listen;
    EXPECT_EQ(status.message().rfind("listen: port", 0), 0u) << status.message();
    EXPECT_NE(status.message().find("[0, 65535]"), std::string::npos) << status.message();
  }
  for (const char* listen : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:-1", "127.0.0.1:80a"}) {
    ServerConfig config = Valid();
    config.listen = listen;
    EXPECT_EQ(config.Validate().message().rfind("listen:", 0), 0u) << listen;
  }
  for (const char* listen : {"127.0.0.1:0", "127.0.0.1:65535", "[::1]:50051", "unix:/tmp/p.sock"}) {
    ServerConfig config = Valid();
    config.listen = listen;
    EXPECT_TRUE(config.Validate().ok()) << listen;
  }
}

}  // namespace
}  // namespace pathwise::app
