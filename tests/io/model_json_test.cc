#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/fit.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/pybkt_params.h>
#include <pathwise/io/response_readers.h>
#include <pathwise/model.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

void ExpectSameModel(const BktModel& a, const BktModel& b) {
  EXPECT_EQ(a.defaults, b.defaults);
  EXPECT_EQ(a.competencies, b.competencies);
  EXPECT_EQ(a.activities, b.activities);
  EXPECT_EQ(a.competency_activities, b.competency_activities);
  EXPECT_EQ(a.competency_learn_classes, b.competency_learn_classes);
  EXPECT_EQ(a.prior_groups, b.prior_groups);
  EXPECT_EQ(a.group_priors, b.group_priors);
  EXPECT_EQ(a.learner_factors, b.learner_factors);
}

BktModel EveryField() {
  BktModel model;
  model.defaults = {0.1 + 0.2, 1.0 / 3.0, 0.0, 0.2, 0.1};
  model.competencies["fractions, \"proper\""] = {0.3, 0.2, 1e-17, 0.25, 0.1};
  model.competencies["decimals"] = {0.7, 0.05, 0.01, 0.125, 2.0 / 7.0};
  model.activities["q1"] = {0.25, std::nullopt, std::nullopt};
  model.competency_activities["decimals"]["q2"] = {0.1, 0.05, 0.3};
  model.competency_activities["decimals"]["q3"] = {std::nullopt, std::nullopt, 0.01};
  model.competency_learn_classes["decimals"] = {{"ann", 0.4}, {"bob", 1.0 / 7.0}};
  model.prior_groups = PriorGroupSource::kFirstResponse;
  model.group_priors["decimals"] = {{"first_correct", 0.9},
                                    {"first_incorrect", 0.123456789012345678}};
  model.learner_factors["ann"] = {0.4, -1.0 / 3.0};
  model.learner_factors["bob"] = {-2.5, 0.0};
  return model;
}

TEST(ModelJsonTest, RoundTripIsExact) {
  const BktModel model = EveryField();
  const std::string text = WriteModelJson(model);
  Result<BktModel> back = ParseModelJson(text, "inline");
  ASSERT_OK(back);
  ExpectSameModel(model, *back);
  EXPECT_EQ(WriteModelJson(*back), text);
}

TEST(ModelJsonTest, FittedModelRoundTripsThroughAFile) {
  Result<ResponseLog> log = ReadResponseLog(
      testing::SharedDataPath("assistments2009_pybkt_subset/as.csv"), LogFormat::kPyBkt);
  ASSERT_OK(log);
  FitOptions options;
  options.multigs = true;
  options.multiprior = PriorGroupSource::kFirstResponse;
  options.forgets = true;
  options.max_iterations = 30;
  Result<FitResult> fit = FitBkt(*log, options);
  ASSERT_OK(fit);
  const std::string path = ::testing::TempDir() + "/model_json_test_fitted.json";
  ASSERT_OK(WriteModelFile(fit->model, path));
  Result<BktModel> back = ReadModelFile(path);
  ASSERT_OK(back);
  ExpectSameModel(fit->model, *back);
  // The reloaded model predicts exactly as the fitted one.
  Result<std::vector<double>> p1 = PredictOneStepAhead(fit->model, *log);
  Result<std::vector<double>> p2 = PredictOneStepAhead(*back, *log);
  ASSERT_OK(p1);
  ASSERT_OK(p2);
  EXPECT_EQ(*p1, *p2);
  std::remove(path.c_str());
}

// Real data end to end (reader, fit, prediction). The bar is the optimum the common C++ fitter
// reaches on the same data from the same start (shared/data/README.md), not a number taken from
// this code.
TEST(RealDataFitTest, Assist2015ReachesTheReferenceOptimum) {
  const std::string dir = testing::SharedDataPath("assistments_dkvmn/assist2015/");
  Result<ResponseLog> log = ReadResponseLogs(
      {dir + "assist2015_train.csv", dir + "assist2015_test.csv"}, LogFormat::kDkvmn);
  ASSERT_OK(log);
  ASSERT_EQ(log->num_rows(), 683801u);
  FitOptions options;
  options.start = BktParams{0.5, 0.4, 0.0, 0.2, 0.2};
  options.threads = 2;
  Result<FitResult> fit = FitBkt(*log, options);
  ASSERT_OK(fit);
  EXPECT_LE(-fit->log_likelihood, 364566.7);
  EXPECT_EQ(fit->competencies.size(), 100u);
  EXPECT_GT(fit->obs_iterations, 0);
}

TEST(RealDataFitTest, CognitiveTutorVariantsFitAndPredict) {
  Result<ResponseLog> log = ReadResponseLog(
      testing::SharedDataPath("cognitive_tutor_pybkt/ct_channinghsu.csv"), LogFormat::kDataShop);
  ASSERT_OK(log);
  for (int variant = 0; variant < 3; ++variant) {
    FitOptions options;
    options.multigs = variant == 0;
    options.multilearn = variant == 1;
    options.ibkt = variant == 2;
    options.forgets = true;
    options.max_iterations = 40;
    Result<FitResult> fit = FitBkt(*log, options);
    ASSERT_OK(fit);
    Result<std::vector<double>> p = PredictOneStepAhead(fit->model, *log);
    ASSERT_OK(p);
    ASSERT_EQ(p->size(), log->num_rows());
    for (double x : *p) ASSERT_TRUE(x >= 0.0 && x <= 1.0);
    // Reload from JSON and predict identically.
    Result<BktModel> back = ParseModelJson(WriteModelJson(fit->model), "ct");
    ASSERT_OK(back);
    Result<std::vector<double>> q = PredictOneStepAhead(*back, *log);
    ASSERT_OK(q);
    EXPECT_EQ(*p, *q);
  }
}

TEST(ModelJsonTest, SyntaxErrorNamesLineAndColumn) {
  const std::string text = "{\n  \"format\": \"pathwise.bkt_model\",\n  \"version\": 1,,\n}";
  Result<BktModel> model = ParseModelJson(text, "m.json");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message().rfind("m.json:3:", 0), 0u) << model.status();
}

TEST(ModelJsonTest, StructuralErrorsNameTheFieldPath) {
  struct Case {
    std::string body;
    std::string fragment;
  };
  const std::string head = R"({"format": "pathwise.bkt_model", "version": 1, )";
  const std::vector<Case> cases = {
      {R"("competencies": {"a": {"priro": 0.1}}})", "competencies[a].priro: unknown key"},
      {R"("competencies": {"a": {"prior": 0.1, "learn": 0.1, "guess": 0.2}}})",
       "competencies[a].slip: missing"},
      {R"("competencies": {"a": {"prior": "x", "learn": 0.1, "guess": 0.2, "slip": 0.1}}})",
       "competencies[a].prior: expected a number"},
      {R"("competencies": {"a": {"prior": 0.1, "learn": 0.1, "guess": 0.2, "slip": 1.5}}})",
       "competencies[a]"},
      {R"("competency_activities": {"a": {"q": {"guess": -0.1}}}})",
       "competency_activities[a][q].guess"},
      {R"("group_priors": {"a": {"g": 0.5}}})", "prior_groups is none"},
      {R"("prior_groups": "by_class"})", "prior_groups"},
      {R"("learner_factors": {"ann": {"prior_offset": 1, "speed": 2}}})",
       "learner_factors[ann].speed"},
      {R"("extra": 1})", "extra: unknown key"},
  };
  for (const Case& c : cases) {
    Result<BktModel> model = ParseModelJson(head + c.body, "src");
    ASSERT_FALSE(model.ok()) << c.body;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(model.status().message().find(c.fragment), std::string::npos) << model.status();
    EXPECT_EQ(model.status().message().rfind("src", 0), 0u) << model.status();
  }
}

TEST(ModelJsonTest, OutOfRangeValuesAreNamedByTheirFieldPath) {
  const std::string head = R"({"format": "pathwise.bkt_model", "version": 1, )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("defaults": {"prior": 0.1, "learn": 0.1, "guess": 1.5, "slip": 0.1}})",
       "src: defaults.guess: must be a probability"},
      {R"("competencies": {"a": {"prior": 0.1, "learn": -1, "guess": 0.2, "slip": 0.1}}})",
       "src: competencies[a].learn: must be a probability"},
      {R"("activities": {"q": {"slip": 2}}})", "src: activities[q].slip: must be a probability"},
      {R"("prior_groups": "first_response", "group_priors": {"a": {"g": 7}}})",
       "src: group_priors[a][g]: must be a probability"},
  };
  for (const auto& [body, message] : cases) {
    Result<BktModel> model = ParseModelJson(head + body, "src");
    ASSERT_FALSE(model.ok()) << body;
    EXPECT_EQ(model.status().message().rfind(message, 0), 0u) << model.status();
  }
}

TEST(ModelJsonTest, DeepNestingIsRefusedNamingTheLimit) {
  const std::string text = "{\"format\": \"pathwise.bkt_model\", \"version\": 1, \"defaults\": " +
                           std::string(100000, '[') + std::string(100000, ']') + "}";
  Result<BktModel> model = ParseModelJson(text, "deep");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message().rfind("deep:1:", 0), 0u) << model.status();
  EXPECT_NE(model.status().message().find("nesting deeper than 64 levels"), std::string::npos)
      << model.status();
}

TEST(ModelJsonTest, WrongFormatOrVersionIsRejected) {
  EXPECT_FALSE(ParseModelJson(R"({"format": "pathwise.graph", "version": 1})", "s").ok());
  EXPECT_FALSE(ParseModelJson(R"({"format": "pathwise.bkt_model", "version": 2})", "s").ok());
  EXPECT_FALSE(ParseModelJson(R"({"format": "pathwise.bkt_model"})", "s").ok());
  EXPECT_FALSE(ParseModelJson(R"([1, 2])", "s").ok());
  EXPECT_OK(ParseModelJson(R"({"format": "pathwise.bkt_model", "version": 1})", "s"));
}

TEST(ModelJsonTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadModelFile("/nonexistent/dir/model.json").status().code(), StatusCode::kNotFound);
}

TEST(ModelJsonTest, ExportUsesPyBktParamsLayout) {
  BktModel model;
  model.competencies["b"] = {0.5, 0.25, 0.0, 0.125, 0.0625};
  model.competencies["a,x"] = {0.75, 0.5, 0.03125, 0.25, 0.125};
  model.competency_activities["b"]["t1"] = {0.2, 0.1, std::nullopt};
  model.competency_activities["b"]["t2"] = {std::nullopt, std::nullopt, 0.3};
  // Rows per skill in pyBKT's order (prior, learns, guesses, slips, forgets), skills sorted,
  // activity classes before the competency's own "default" value, forgets keyed by the learn
  // classes.
  const std::string expected =
      "skill,param,class,value\n"
      "\"a,x\",prior,default,0.75\n"
      "\"a,x\",learns,default,0.5\n"
      "\"a,x\",guesses,default,0.25\n"
      "\"a,x\",slips,default,0.125\n"
      "\"a,x\",forgets,default,0.03125\n"
      "b,prior,default,0.5\n"
      "b,learns,t2,0.3\n"
      "b,learns,default,0.25\n"
      "b,guesses,t1,0.2\n"
      "b,guesses,default,0.125\n"
      "b,slips,t1,0.1\n"
      "b,slips,default,0.0625\n"
      "b,forgets,t2,0\n"
      "b,forgets,default,0\n";
  EXPECT_EQ(ExportPyBktParams(model), expected);
}

TEST(ModelJsonTest, ExportListsGroupPriors) {
  BktModel model;
  model.competencies["s"] = {0.5, 0.25, 0.0, 0.125, 0.0625};
  model.prior_groups = PriorGroupSource::kFirstResponse;
  model.group_priors["s"] = {{"first_correct", 0.875}, {"first_incorrect", 0.125}};
  const std::string csv = ExportPyBktParams(model);
  EXPECT_NE(
      csv.find("s,prior,default,0.5\ns,prior,first_correct,0.875\ns,prior,first_incorrect,0.125\n"),
      std::string::npos)
      << csv;
}

}  // namespace
}  // namespace pathwise
