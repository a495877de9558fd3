// The metrics endpoint's setting: off by default, read from "metrics_listen", and checked like
// "listen" (a port out of range is refused, not wrapped).
#include <gtest/gtest.h>

#include "app/config.h"
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

Result<ServerConfig> Parse(const std::string& extra) {
  return ParseServerConfig(R"({"data_dir": "d", )" + extra +
                               R"("tenants": [{"id": "t1", "api_keys": ["key-one-0123456789"]}]})",
                           "c.json");
}

TEST(MetricsConfigTest, OffByDefaultAndReadFromTheFile) {
  Result<ServerConfig> plain = Parse("");
  ASSERT_OK(plain);
  EXPECT_EQ(plain->metrics_listen, "");
  EXPECT_OK(plain->Validate());

  Result<ServerConfig> with = Parse(R"("metrics_listen": "127.0.0.1:9464", )");
  ASSERT_OK(with);
  EXPECT_EQ(with->metrics_listen, "127.0.0.1:9464");
  EXPECT_OK(with->Validate());

  Result<ServerConfig> wrong_type = Parse(R"("metrics_listen": 9464, )");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.status().message().find("metrics_listen"), std::string::npos)
      << wrong_type.status();
}

TEST(MetricsConfigTest, AddressIsCheckedLikeListen) {
  Result<ServerConfig> parsed = Parse("");
  ASSERT_OK(parsed);
  for (const char* address : {"127.0.0.1:99999", "127.0.0.1:65536"}) {
    ServerConfig config = *parsed;
    config.metrics_listen = address;
    const Status status = config.Validate();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << address;
    EXPECT_EQ(status.message().rfind("metrics_listen: port", 0), 0u) << status.message();
    EXPECT_NE(status.message().find("[0, 65535]"), std::string::npos) << status.message();
  }
  for (const char* address : {"127.0.0.1", "127.0.0.1:x", "unix:/tmp/m.sock"}) {
    ServerConfig config = *parsed;
    config.metrics_listen = address;
    EXPECT_EQ(config.Validate().message().rfind("metrics_listen:", 0), 0u) << address;
  }
  for (const char* address : {"127.0.0.1:0", "0.0.0.0:9464", "[::1]:9464"}) {
    ServerConfig config = *parsed;
    config.metrics_listen = address;
    EXPECT_OK(config.Validate());
  }
}

}  // namespace
}  // namespace pathwise::app
