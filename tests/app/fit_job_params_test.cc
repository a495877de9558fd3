// A fit job's stored request carries every option, so another replica runs the fit submitted.
#include "app/fit_job_params.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

TEST(FitJobParamsTest, EveryOptionReadsBackAsWritten) {
  FitJobParams params;
  params.model_name = "district";
  FitOptions& o = params.options;
  o.max_iterations = 77;
  o.tolerance = 1.0 / 3.0;
  o.restarts = 5;
  o.seed = 18446744073709551557ull;
  o.start = BktParams{0.31, 0.12, 0.03, 0.14, 0.09};
  o.bounds.prior = {0.05, 0.95};
  o.bounds.learn = {0.01, 0.5};
  o.bounds.forget = {0.0, 0.2};
  o.bounds.guess = {0.02, 0.25};
  o.bounds.slip = {0.03, 0.2};
  o.fixed.prior = 0.4;
  o.fixed.slip = 0.1;
  o.fixed_classes["fractions"]["act.1"] = ActivityParams{0.2, std::nullopt, 0.3};
  o.fixed_classes["fractions"]["act.2"] = ActivityParams{std::nullopt, 0.15, std::nullopt};
  o.forgets = true;
  o.multigs = true;
  o.multilearn = true;
  o.multiprior = PriorGroupSource::kFirstResponse;
  o.ibkt = true;
  o.ibkt_l2 = 2.5;
  o.record_trace = true;
  o.priors.enabled = true;
  o.priors.prior = {3.0, 4.0};
  o.priors.learn = {2.5, 7.0};
  o.priors.forget = {1.0, 20.0};
  o.priors.guess = {2.0, 9.0};
  o.priors.slip = {2.0, 8.5};
  o.warnings.bound_tolerance = 0.01;
  o.warnings.guess_plus_slip = 0.8;
  o.warnings.no_learning = 0.002;
  o.warnings.min_learners = 7;
  o.warnings.min_rows = 99;

  Result<FitJobParams> read = FitJobParamsFromJson(FitJobParamsToJson(params));
  ASSERT_OK(read);
  EXPECT_EQ(read->model_name, "district");
  const FitOptions& r = read->options;
  EXPECT_EQ(r.max_iterations, 77);
  EXPECT_EQ(r.tolerance, 1.0 / 3.0);
  EXPECT_EQ(r.restarts, 5);
  EXPECT_EQ(r.seed, 18446744073709551557ull);
  ASSERT_TRUE(r.start.has_value());
  EXPECT_EQ(r.start->prior, 0.31);
  EXPECT_EQ(r.start->learn, 0.12);
  EXPECT_EQ(r.start->forget, 0.03);
  EXPECT_EQ(r.start->guess, 0.14);
  EXPECT_EQ(r.start->slip, 0.09);
  for (const auto& [got, want] : {std::pair{r.bounds.prior, o.bounds.prior},
                                  {r.bounds.learn, o.bounds.learn},
                                  {r.bounds.forget, o.bounds.forget},
                                  {r.bounds.guess, o.bounds.guess},
                                  {r.bounds.slip, o.bounds.slip}}) {
    EXPECT_EQ(got.lower, want.lower);
    EXPECT_EQ(got.upper, want.upper);
  }
  EXPECT_EQ(r.fixed.prior, o.fixed.prior);
  EXPECT_EQ(r.fixed.learn, std::nullopt);
  EXPECT_EQ(r.fixed.forget, std::nullopt);
  EXPECT_EQ(r.fixed.guess, std::nullopt);
  EXPECT_EQ(r.fixed.slip, o.fixed.slip);
  EXPECT_EQ(r.fixed_classes, o.fixed_classes);
  EXPECT_TRUE(r.forgets);
  EXPECT_TRUE(r.multigs);
  EXPECT_TRUE(r.multilearn);
  EXPECT_EQ(r.multiprior, PriorGroupSource::kFirstResponse);
  EXPECT_TRUE(r.ibkt);
  EXPECT_EQ(r.ibkt_l2, 2.5);
  EXPECT_TRUE(r.record_trace);
  EXPECT_TRUE(r.priors.enabled);
  for (const auto& [got, want] : {std::pair{r.priors.prior, o.priors.prior},
                                  {r.priors.learn, o.priors.learn},
                                  {r.priors.forget, o.priors.forget},
                                  {r.priors.guess, o.priors.guess},
                                  {r.priors.slip, o.priors.slip}}) {
    EXPECT_EQ(got.a, want.a);
    EXPECT_EQ(got.b, want.b);
  }
  EXPECT_EQ(r.warnings.bound_tolerance, 0.01);
  EXPECT_EQ(r.warnings.guess_plus_slip, 0.8);
  EXPECT_EQ(r.warnings.no_learning, 0.002);
  EXPECT_EQ(r.warnings.min_learners, 7u);
  EXPECT_EQ(r.warnings.min_rows, 99u);
}

TEST(FitJobParamsTest, DefaultsReadBackWithoutAStart) {
  Result<FitJobParams> read = FitJobParamsFromJson(FitJobParamsToJson(FitJobParams{"m", {}}));
  ASSERT_OK(read);
  EXPECT_FALSE(read->options.start.has_value());
  EXPECT_TRUE(read->options.fixed_classes.empty());
  EXPECT_EQ(read->options.bounds.guess.upper, FitOptions().bounds.guess.upper);
}

TEST(FitJobParamsTest, ParamsOfAnOlderServerCannotBeRunAgain) {
  Result<FitJobParams> old = FitJobParamsFromJson(
      R"({"model_name": "m", "options": {"max_iterations": 5, "restarts": 1}})");
  EXPECT_EQ(old.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(old.status().message().find("older server"), std::string::npos) << old.status();
}

TEST(FitJobParamsTest, AMalformedFieldIsNamed) {
  std::string json = FitJobParamsToJson(FitJobParams{"m", {}});
  const std::string from = "\"min_rows\":200";
  ASSERT_NE(json.find(from), std::string::npos) << json;
  json.replace(json.find(from), from.size(), "\"min_rows\":\"many\"");
  Result<FitJobParams> read = FitJobParamsFromJson(json);
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(read.status().message().find("options.warnings.min_rows"), std::string::npos)
      << read.status();
  EXPECT_EQ(FitJobParamsFromJson("[1]").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pathwise::app
