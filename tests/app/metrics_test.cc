// The metrics registry and its Prometheus text (exposition format 0.0.4).
#include "app/metrics.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "app/server_metrics.h"

namespace pathwise::app {
namespace {

TEST(MetricsTest, RendersASmallRegistryExactly) {
  MetricsRegistry registry;
  auto& requests = registry.AddCounter("demo_requests_total", "Requests served.", {"method"});
  auto& depth = registry.AddGauge("demo_queue_depth", "Jobs waiting.");
  auto& latency =
      registry.AddHistogram("demo_latency_seconds", "Latency.", {"method"}, {0.25, 1, 2.5});
  requests.With({"Put"}).Increment();
  requests.With({"Get"}).Increment(2);
  depth.With({}).Set(3);
  latency.With({"Get"}).Observe(0.125);
  latency.With({"Get"}).Observe(0.25);  // on a bound: counted in that bucket (le is <=)
  latency.With({"Get"}).Observe(2);
  latency.With({"Get"}).Observe(7);

  EXPECT_EQ(registry.Render(),
            "# HELP demo_requests_total Requests served.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{method=\"Get\"} 2\n"
            "demo_requests_total{method=\"Put\"} 1\n"
            "# HELP demo_queue_depth Jobs waiting.\n"
            "# TYPE demo_queue_depth gauge\n"
            "demo_queue_depth 3\n"
            "# HELP demo_latency_seconds Latency.\n"
            "# TYPE demo_latency_seconds histogram\n"
            "demo_latency_seconds_bucket{method=\"Get\",le=\"0.25\"} 2\n"
            "demo_latency_seconds_bucket{method=\"Get\",le=\"1\"} 2\n"
            "demo_latency_seconds_bucket{method=\"Get\",le=\"2.5\"} 3\n"
            "demo_latency_seconds_bucket{method=\"Get\",le=\"+Inf\"} 4\n"
            "demo_latency_seconds_sum{method=\"Get\"} 9.375\n"
            "demo_latency_seconds_count{method=\"Get\"} 4\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  auto& counter = registry.AddCounter("demo_total", "A \\ help\nwith \"quotes\".", {"a", "b"});
  counter.With({"back\\slash \"quoted\"", "line\nfeed"}).Increment();
  EXPECT_EQ(registry.Render(),
            "# HELP demo_total A \\\\ help\\nwith \"quotes\".\n"
            "# TYPE demo_total counter\n"
            "demo_total{a=\"back\\\\slash \\\"quoted\\\"\",b=\"line\\nfeed\"} 1\n");
}

TEST(MetricsTest, LabelledFamilyWithoutSamplesShowsOnlyItsHeader) {
  MetricsRegistry registry;
  registry.AddCounter("demo_total", "Nothing yet.", {"tenant"});
  registry.AddHistogram("demo_seconds", "Nothing observed.", {}, {1});
  EXPECT_EQ(registry.Render(),
            "# HELP demo_total Nothing yet.\n"
            "# TYPE demo_total counter\n"
            "# HELP demo_seconds Nothing observed.\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{le=\"1\"} 0\n"
            "demo_seconds_bucket{le=\"+Inf\"} 0\n"
            "demo_seconds_sum 0\n"
            "demo_seconds_count 0\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Histogram histogram({0.001, 0.01, 0.1, 1});
  for (double v : {0.0005, 0.002, 0.003, 0.05, 0.5, 0.7, 3.0}) histogram.Observe(v);
  const Histogram::Snapshot snapshot = histogram.snapshot();
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{1, 3, 4, 6, 7}));
  EXPECT_EQ(snapshot.count, 7u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 0.0005 + 0.002 + 0.003 + 0.05 + 0.5 + 0.7 + 3.0);
}

TEST(MetricsTest, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(FormatMetricValue(0.1), "0.1");
  EXPECT_EQ(FormatMetricValue(2.5), "2.5");
  EXPECT_EQ(FormatMetricValue(10), "10");
  EXPECT_EQ(FormatMetricValue(20), "20");
  EXPECT_EQ(FormatMetricValue(-3000), "-3000");
  EXPECT_EQ(FormatMetricValue(1e20), "1e+20");
  EXPECT_EQ(FormatMetricValue(0.0005), "0.0005");
  EXPECT_EQ(FormatMetricValue(1.0 / 3.0), "0.3333333333333333");  // 16 digits suffice
  EXPECT_EQ(FormatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatMetricValue(std::nan("")), "NaN");
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry registry;
  auto& counter = registry.AddCounter("demo_total", "Calls.", {"tenant"});
  auto& histogram = registry.AddHistogram("demo_seconds", "Time.", {"tenant"}, {0.5});
  auto& gauge = registry.AddGauge("demo_level", "Level.");
  constexpr int kThreads = 4, kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Two tenants, so label sets are created while other threads look them up.
      const std::string tenant = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kEach; ++i) {
        counter.With({tenant}).Increment();
        histogram.With({tenant}).Observe(1.0);
        gauge.With({}).Add(1.0);
        if (i % 1000 == 0) (void)registry.Render();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.With({"even"}).value(), 2u * kEach);
  EXPECT_EQ(counter.With({"odd"}).value(), 2u * kEach);
  EXPECT_EQ(histogram.With({"odd"}).snapshot().cumulative, (std::vector<uint64_t>{0, 2u * kEach}));
  EXPECT_DOUBLE_EQ(histogram.With({"odd"}).snapshot().sum, 2.0 * kEach);
  EXPECT_DOUBLE_EQ(gauge.With({}).value(), 1.0 * kThreads * kEach);
}

TEST(MetricsTest, CollectHooksRunBeforeEachRendering) {
  MetricsRegistry registry;
  Gauge& depth = registry.AddGauge("demo_depth", "Depth.").With({});
  int calls = 0;
  registry.AddCollectHook([&] { depth.Set(++calls * 10); });
  EXPECT_NE(registry.Render().find("demo_depth 10\n"), std::string::npos) << registry.Render();
  EXPECT_NE(registry.Render().find("demo_depth 20\n"), std::string::npos);
}

TEST(MetricsTest, RefusesBadNamesAndLabelCounts) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.AddCounter("9lives", "x"), std::logic_error);
  EXPECT_THROW(registry.AddCounter("ok_total", "x", {"bad-label"}), std::logic_error);
  EXPECT_THROW(registry.AddCounter("ok_total", "x", {"__reserved"}), std::logic_error);
  EXPECT_THROW(registry.AddHistogram("h_seconds", "x", {"le"}, {1}), std::logic_error);
  EXPECT_THROW(registry.AddHistogram("h_seconds", "x", {}, {2, 1}), std::logic_error);
  auto& counter = registry.AddCounter("ok_total", "x", {"tenant"});
  EXPECT_THROW(registry.AddGauge("ok_total", "twice"), std::logic_error);
  EXPECT_THROW(counter.With({"a", "b"}), std::logic_error);
}

TEST(ServerMetricsTest, RecordsRpcsCommitsAndFitJobsUnderTheirNames) {
  ServerMetrics metrics;
  metrics.RecordRpc("pathwise.v1.LearnerService", "GetMastery", "acme", "OK", 0.002);
  metrics.RecordRpc("pathwise.v1.LearnerService", "GetMastery", "acme", "NOT_FOUND", 0.003);
  store::CommitReport commit;
  commit.tenant_id = "acme";
  commit.seconds = 0.004;
  commit.ok = true;
  commit.num_recorded = 5;
  metrics.RecordCommit(commit);
  commit.ok = false;
  metrics.RecordCommit(commit);
  metrics.RecordFitJob("acme", store::JobStatus::kQueued, -1);
  metrics.RecordFitJob("acme", store::JobStatus::kSucceeded, 1.5);
  const std::string text = metrics.registry().Render();
  const std::string labels =
      "{service=\"pathwise.v1.LearnerService\",method=\"GetMastery\",tenant=\"acme\"";
  for (const std::string& line : {
           "pathwise_rpc_requests_total" + labels + "} 2\n",
           "pathwise_rpc_errors_total" + labels + ",code=\"NOT_FOUND\"} 1\n",
           "pathwise_rpc_duration_seconds_bucket" + labels + ",le=\"0.0025\"} 1\n",
           "pathwise_rpc_duration_seconds_count" + labels + "} 2\n",
           std::string("pathwise_store_commit_duration_seconds_count 2\n"),
           std::string("pathwise_store_commit_failures_total 1\n"),
           std::string("pathwise_store_events_committed_total{tenant=\"acme\"} 5\n"),
           std::string("pathwise_fit_jobs_total{tenant=\"acme\",state=\"queued\"} 1\n"),
           std::string("pathwise_fit_jobs_total{tenant=\"acme\",state=\"succeeded\"} 1\n"),
           std::string(
               "pathwise_fit_duration_seconds_count{tenant=\"acme\",state=\"succeeded\"} 1\n"),
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing " << line << " in\n" << text;
  }
  // An OK call is no error, and a job that never ran has no duration.
  EXPECT_EQ(text.find("code=\"OK\""), std::string::npos) << text;
  EXPECT_EQ(text.find("pathwise_fit_duration_seconds_count{tenant=\"acme\",state=\"queued\"}"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace pathwise::app
