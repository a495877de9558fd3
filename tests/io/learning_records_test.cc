// xAPI statements and Caliper events as observations: every mapping rule and every rejection of
// pathwise/io/learning_records.h, on hand-written statements and on the real files in
// ../shared/data/standards.
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pathwise/io/learning_records.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/sha1.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using testing::SharedDataPath;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A statement with the given actor, verb (last IRI segment of an ADL verb), object IRI and result
// JSON ("" for none).
std::string Statement(const std::string& id, const std::string& actor, const std::string& verb,
                      const std::string& object, const std::string& result,
                      const std::string& extra = "") {
  std::string text = "{";
  if (!id.empty()) text += R"("id": ")" + id + R"(", )";
  text += R"("actor": )" + actor + R"(, "verb": {"id": "http://adlnet.gov/expapi/verbs/)" + verb +
          R"("}, "object": {"id": ")" + object + R"("})";
  if (!result.empty()) text += R"(, "result": )" + result;
  return text + extra + "}";
}

const char kAnnAccount[] = R"({"account": {"homePage": "https://lms.example", "name": "u-17"}})";
const char kId1[] = "9b2e7a70-0c1d-4f5e-8a9b-0c1d2e3f4a5b";
const char kId2[] = "0f4c2a10-3b5d-4e6f-9a8b-7c6d5e4f3a2b";
const char kId3[] = "5d3c1b2a-9f8e-4d7c-8b6a-5f4e3d2c1b0a";

ImportedObservations ParseOk(const std::string& text, const LearningRecordOptions& options = {}) {
  Result<ImportedObservations> imported = ParseXapiStatements(text, "test.json", options);
  EXPECT_OK(imported);
  return imported.ok() ? *imported : ImportedObservations{};
}

std::string ErrorOf(const std::string& text) {
  Result<ImportedObservations> imported = ParseXapiStatements(text, "test.json");
  EXPECT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kInvalidArgument);
  return imported.status().message();
}

TEST(Sha1Test, MatchesFipsExamples) {
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  // Two blocks of padding: 56..63 bytes leave no room for the length in the first block.
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(XapiTest, MboxIsHashedAsMboxSha1sumSoBothFormsAreOneLearner) {
  const std::string mbox = R"({"mbox": "mailto:ann@example.org"})";
  const std::string sum = R"({"mbox_sha1sum": ")" + Sha1Hex("mailto:ann@example.org") + R"("})";
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, mbox, "answered", "https://x/q1", R"({"success": true})") + "," +
      Statement(kId2, sum, "answered", "https://x/q2", R"({"success": false})") + "]");
  ASSERT_EQ(out.observations.size(), 2u);
  EXPECT_EQ(out.observations[0].learner_id, "sha1:" + Sha1Hex("mailto:ann@example.org"));
  EXPECT_EQ(out.observations[0].learner_id, out.observations[1].learner_id);
  EXPECT_EQ(out.observations[0].learner_id.find("ann"), std::string::npos);
}

TEST(XapiTest, MboxSha1sumIsLowerCased) {
  const std::string upper = "A9993E364706816ABA3E25717850C26C9CD0D89D";
  const ImportedObservations out =
      ParseOk(Statement(kId1, R"({"mbox_sha1sum": ")" + upper + R"("})", "answered", "https://x/q",
                        R"({"success": true})"));
  ASSERT_EQ(out.observations.size(), 1u);
  EXPECT_EQ(out.observations[0].learner_id, "sha1:a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(XapiTest, AccountAndOpenidIdentifyLearners) {
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})") + "," +
      Statement(kId2, R"({"openid": "https://id.example/ann"})", "answered", "https://x/q",
                R"({"success": true})") +
      "]");
  ASSERT_EQ(out.observations.size(), 2u);
  EXPECT_EQ(out.observations[0].learner_id, "account:https://lms.example|u-17");
  EXPECT_EQ(out.observations[1].learner_id, "openid:https://id.example/ann");
}

TEST(XapiTest, AccountsOnTheRosterHomePageAreNamedByTheirNameAlone) {
  LearningRecordOptions options;
  options.account_home_page = "https://lms.example";
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})") + "," +
          Statement(kId2, R"({"account": {"homePage": "https://other.example", "name": "u-17"}})",
                    "answered", "https://x/q", R"({"success": true})") +
          "]",
      options);
  ASSERT_EQ(out.observations.size(), 2u);
  EXPECT_EQ(out.observations[0].learner_id, "u-17");
  EXPECT_EQ(out.observations[1].learner_id, "account:https://other.example|u-17");
}

TEST(XapiTest, GroupActorAndNonActivityObjectsAreSkipped) {
  const std::string group = R"({"objectType": "Group", "member": [{"mbox": "mailto:a@b.c"}]})";
  const std::string statement_ref = std::string("{\"id\": \"") + kId3 +
                                    "\", \"actor\": " + kAnnAccount +
                                    R"(, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
      "object": {"objectType": "Agent", "mbox": "mailto:x@y.z"}, "result": {"success": true}})";
  const ImportedObservations out =
      ParseOk("[" + Statement(kId1, group, "answered", "https://x/q", R"({"success": true})") +
              "," + statement_ref + "]");
  EXPECT_TRUE(out.observations.empty());
  EXPECT_EQ(out.report.skipped.at("group-actor"), 1u);
  EXPECT_EQ(out.report.skipped.at("not-an-activity"), 1u);
}

TEST(XapiTest, OutcomeRulesInOrder) {
  struct Case {
    std::string verb, result;
    double outcome;
  };
  const std::vector<Case> cases = {
      {"answered", R"({"score": {"scaled": 0.75}, "success": false})", 0.75},  // scaled first
      {"answered", R"({"score": {"scaled": -0.5}})", 0.0},                     // negative -> 0
      {"scored", R"({"score": {"raw": 3, "min": 1, "max": 5}})", 0.5},         // raw within range
      {"answered", R"({"success": true, "completion": false})", 1.0},
      {"answered", R"({"success": false})", 0.0},
      {"passed", "", 1.0},
      // min = max: nothing could be scored, so the score is ignored and success decides
      {"answered", R"({"score": {"scaled": 0, "raw": 0, "min": 0, "max": 0}, "success": true})",
       1.0},
      {"failed", R"({"completion": true})", 0.0},
  };
  for (const Case& c : cases) {
    const ImportedObservations out =
        ParseOk(Statement(kId1, kAnnAccount, c.verb, "https://x/q", c.result));
    ASSERT_EQ(out.observations.size(), 1u) << c.result;
    EXPECT_DOUBLE_EQ(out.observations[0].outcome, c.outcome) << c.verb << " " << c.result;
  }
}

TEST(XapiTest, StatementsWithoutOutcomeAreCountedByVerbNotErrors) {
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "launched", "https://x/a", "") + "," +
      Statement(kId2, kAnnAccount, "experienced", "https://x/a", R"({"duration": "PT3M"})") + "," +
      Statement(kId3, kAnnAccount, "completed", "https://x/a", R"({"completion": true})") +
      // raw without min and max says nothing about correctness
      "," + Statement("", kAnnAccount, "scored", "https://x/a", R"({"score": {"raw": 7}})") + "]");
  EXPECT_TRUE(out.observations.empty());
  EXPECT_EQ(out.report.records_read, 4u);
  EXPECT_EQ(out.report.skipped.at("no-outcome"), 4u);
  EXPECT_EQ(out.report.skipped_by_verb.at("http://adlnet.gov/expapi/verbs/launched"), 1u);
  EXPECT_EQ(out.report.skipped_by_verb.at("http://adlnet.gov/expapi/verbs/completed"), 1u);
}

TEST(XapiTest, CompletionCountsOnlyWhenAsked) {
  LearningRecordOptions options;
  options.completion_as_outcome = true;
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "completed", "https://x/a", R"({"completion": true})") +
          "," +
          Statement(kId2, kAnnAccount, "completed", "https://x/b", R"({"completion": false})") +
          "]",
      options);
  ASSERT_EQ(out.observations.size(), 2u);
  EXPECT_EQ(out.observations[0].outcome, 1.0);
  EXPECT_EQ(out.observations[1].outcome, 0.0);
}

TEST(XapiTest, ActivityMapRenamesAndSkipsUnmapped) {
  LearningRecordOptions options;
  options.activity_map = {{"https://x/q1", "fractions.identify.1"}};
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "answered", "https://x/q1", R"({"success": true})") + "," +
          Statement(kId2, kAnnAccount, "answered", "https://x/q2", R"({"success": true})") + "]",
      options);
  ASSERT_EQ(out.observations.size(), 1u);
  EXPECT_EQ(out.observations[0].activity_id, "fractions.identify.1");
  EXPECT_EQ(out.report.skipped.at("unmapped-activity"), 1u);
  EXPECT_TRUE(out.report.skipped_by_verb.empty());  // an unmapped answer is still an answer
  // Without a map the IRI is the activity id.
  const ImportedObservations plain =
      ParseOk(Statement(kId2, kAnnAccount, "answered", "https://x/q2", R"({"success": true})"));
  EXPECT_EQ(plain.observations.at(0).activity_id, "https://x/q2");
}

TEST(XapiTest, TimestampsWithOffsetsAndFractionsAndStoredAsFallback) {
  const ImportedObservations out =
      ParseOk("[" +
              Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})",
                        R"(, "timestamp": "2020-07-15T08:46:41.543562+02:00")") +
              "," +
              Statement(kId2, kAnnAccount, "answered", "https://x/q", R"({"success": true})",
                        R"(, "stored": "2020-07-15T06:46:41Z")") +
              "]");
  ASSERT_EQ(out.observations.size(), 2u);
  const TimestampMs expected = *ParseTimestamp("2020-07-15T06:46:41.543Z");
  EXPECT_EQ(out.observations[0].timestamp_ms, expected);
  EXPECT_EQ(out.observations[1].timestamp_ms, expected - 543);
}

TEST(XapiTest, StatementIdIsTheEventIdAndARepeatIsKeptOnce) {
  const std::string upper = "9B2E7A70-0C1D-4F5E-8A9B-0C1D2E3F4A5B";
  const ImportedObservations out = ParseOk(
      "[" + Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})") + "," +
      Statement(upper, kAnnAccount, "answered", "https://x/q", R"({"success": false})") + "]");
  ASSERT_EQ(out.observations.size(), 1u);
  EXPECT_EQ(out.observations[0].event_id, kId1);
  EXPECT_EQ(out.observations[0].outcome, 1.0);
  EXPECT_EQ(out.report.skipped.at("duplicate-id"), 1u);
}

std::string Voiding(const std::string& id, const std::string& target) {
  return R"({"id": ")" + id + R"(", "actor": {"mbox": "mailto:admin@lms.example"},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
             "object": {"objectType": "StatementRef", "id": ")" +
         target + R"("}})";
}

TEST(XapiTest, VoidingRemovesTheVoidedStatementInEitherOrder) {
  for (bool voiding_first : {false, true}) {
    const std::string answer =
        Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})");
    const std::string other =
        Statement(kId2, kAnnAccount, "answered", "https://x/q", R"({"success": false})");
    const std::string voiding = Voiding(kId3, kId1);
    const ImportedObservations out =
        ParseOk("[" + (voiding_first ? voiding + "," + answer : answer + "," + voiding) + "," +
                other + "]");
    ASSERT_EQ(out.observations.size(), 1u);
    EXPECT_EQ(out.observations[0].event_id, kId2);
    EXPECT_EQ(out.report.voiding, 1u);
    EXPECT_EQ(out.report.voided_in_batch, std::vector<std::string>{kId1});
    EXPECT_TRUE(out.report.voided_elsewhere.empty());
    EXPECT_EQ(out.report.accepted, 1u);
  }
}

TEST(XapiTest, VoidingAStatementOutsideTheBatchIsReported) {
  const ImportedObservations out = ParseOk(Voiding(kId3, kId2));
  EXPECT_TRUE(out.observations.empty());
  EXPECT_EQ(out.report.voided_elsewhere, std::vector<std::string>{kId2});
}

TEST(XapiTest, SingleStatementArrayAndStatementResultAreAccepted) {
  const std::string one =
      Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})");
  EXPECT_EQ(ParseOk(one).observations.size(), 1u);
  EXPECT_EQ(ParseOk("[" + one + "]").observations.size(), 1u);
  EXPECT_EQ(ParseOk(R"({"statements": [)" + one + R"(], "more": ""})").observations.size(), 1u);
}

// --- rejections --------------------------------------------------------------------------------

TEST(XapiTest, SyntaxErrorNamesLineAndColumn) {
  EXPECT_NE(ErrorOf("[\n{\"id\": }").find("test.json:2:8: syntax error"), std::string::npos)
      << ErrorOf("[\n{\"id\": }");
}

TEST(XapiTest, EachMalformedStatementIsNamedByIndexAndPath) {
  struct Case {
    std::string statement, expected;
  };
  const std::string good = R"({"success": true})";
  const std::vector<Case> cases = {
      {"42", "statement 0: [0]: a statement must be a JSON object"},
      {R"({"verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "https://x/q"}})",
       "statement 0: [0].actor: missing"},
      {R"({"actor": {"openid": "https://i/a"}, "object": {"id": "https://x/q"}})",
       "[0].verb: missing"},
      {R"({"actor": {"openid": "https://i/a"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}})",
       "[0].object: missing"},
      {R"({"actor": {"openid": "https://i/a"}, "verb": {}, "object": {"id": "https://x/q"}})",
       "[0].verb.id: missing"},
      {Statement(kId1, R"({"name": "Ann"})", "answered", "https://x/q", good),
       "[0].actor: no identifier"},
      {Statement(kId1, R"({"mbox": "mailto:a@b.c", "openid": "https://i/a"})", "answered",
                 "https://x/q", good),
       "[0].actor: several identifiers (mbox, openid)"},
      {Statement(kId1, R"({"mbox": "ann@example.org"})", "answered", "https://x/q", good),
       "[0].actor.mbox: must be a mailto: IRI"},
      {Statement(kId1, R"({"mbox_sha1sum": "abc"})", "answered", "https://x/q", good),
       "[0].actor.mbox_sha1sum: must be 40 hexadecimal digits"},
      {Statement(kId1, R"({"account": {"homePage": "https://lms"}})", "answered", "https://x/q",
                 good),
       "[0].actor.account.name: missing"},
      {Statement("not-a-uuid", kAnnAccount, "answered", "https://x/q", good),
       "[0].id: must be a UUID"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q", good, R"(, "version": "0.95")"),
       "[0].version: unsupported xAPI version"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q", good,
                 R"(, "timestamp": "yesterday")"),
       "[0].timestamp: not an ISO 8601 date-time"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"score": {"scaled": 1.5}})"),
       "[0].result.score.scaled: must be a number in [-1, 1], got 1.5"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q",
                 R"({"score": {"raw": 9, "min": 0, "max": 5}})"),
       "[0].result.score.raw: raw 9 is outside [min, max]"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q",
                 R"({"score": {"raw": 5.5, "min": 6, "max": 5}})"),
       "[0].result.score: min 6 must not be above max 5"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": "yes"})"),
       "[0].result.success: must be true or false"},
      {Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"completion": 1})"),
       "[0].result.completion: must be true or false"},
      {Statement(kId1, kAnnAccount, "voided", "https://x/q", ""),
       "[0].object: a voiding statement's object must be a StatementRef"},
  };
  for (const Case& c : cases) {
    const std::string message = ErrorOf("[" + c.statement + "]");
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "expected: " << c.expected << "\ngot: " << message;
  }
}

TEST(XapiTest, KeyGivenTwiceIsRejectedWithItsPath) {
  const std::string text =
      "[" + Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})") + "," +
      Statement(kId2, kAnnAccount, "answered", "https://x/q",
                R"({"score": {"scaled": 1, "scaled": 0}})") +
      "]";
  EXPECT_NE(ErrorOf(text).find("test.json: [1].result.score: key 'scaled' given twice"),
            std::string::npos)
      << ErrorOf(text);
}

TEST(XapiTest, OneBadStatementRejectsTheWholeBatchAndEveryProblemIsListed) {
  const std::string good =
      Statement(kId1, kAnnAccount, "answered", "https://x/q", R"({"success": true})");
  const std::string bad1 =
      Statement(kId2, R"({"mbox": "nobody"})", "answered", "https://x/q", R"({"success": true})");
  const std::string bad2 =
      Statement(kId3, kAnnAccount, "answered", "https://x/q", R"({"score": {"scaled": 2}})");
  Result<ImportedObservations> out =
      ParseXapiStatements("[" + good + "," + bad1 + "," + good + "," + bad2 + "]", "batch.json");
  ASSERT_FALSE(out.ok());
  const std::string message = out.status().message();
  EXPECT_NE(message.find("batch.json: statement 1: [1].actor.mbox:"), std::string::npos) << message;
  EXPECT_NE(message.find("batch.json: statement 3: [3].result.score.scaled:"), std::string::npos);
  EXPECT_NE(message.find("nothing imported"), std::string::npos);
}

// --- real files --------------------------------------------------------------------------------

TEST(XapiRealDataTest, OpenEdxBundleIsRejectedForItsOneStatementWithoutObjectId) {
  const std::string path =
      SharedDataPath("standards/xapi/openedx_erb_xapi_1p0p3_ALL_90_statements.json");
  Result<ImportedObservations> out = ParseXapiStatements(ReadText(path), path);
  ASSERT_FALSE(out.ok());
  const std::string message = out.status().message();
  EXPECT_NE(message.find("statement 59: [59].object.id: missing; an Activity needs an id"),
            std::string::npos)
      << message;
  // That is the only problem: the min = max = 0 scores of items worth no points are accepted.
  EXPECT_EQ(message.find("statement 31"), std::string::npos) << message;
}

TEST(XapiRealDataTest, OpenEdxBundleWithoutTheBadStatement) {
  const std::string path =
      SharedDataPath("standards/xapi/openedx_erb_xapi_1p0p3_ALL_90_statements.json");
  nlohmann::json bundle = nlohmann::json::parse(ReadText(path));
  bundle.erase(59);
  Result<ImportedObservations> out = ParseXapiStatements(bundle.dump(), "bundle-59");
  ASSERT_OK(out);
  const LearningRecordReport& report = out->report;
  EXPECT_EQ(report.records_read, 89u);
  // The fixtures reuse statement ids across files: an LRS keeps the first of each.
  EXPECT_EQ(report.skipped.at("duplicate-id"), 25u);
  EXPECT_EQ(report.skipped.at("not-an-activity"), 4u);  // GroupActivity objects
  EXPECT_EQ(report.skipped.at("no-outcome"), 41u);
  EXPECT_EQ(report.accepted, 19u);
  std::set<std::string> learners;
  for (const Observation& obs : out->observations) {
    learners.insert(obs.learner_id);
    EXPECT_GE(obs.outcome, 0.0);
    EXPECT_LE(obs.outcome, 1.0);
    EXPECT_GT(obs.timestamp_ms, *ParseTimestamp("2019-01-01T00:00:00Z"));
    EXPECT_EQ(obs.activity_id.rfind("http://localhost:18000/", 0), 0u) << obs.activity_id;
  }
  EXPECT_EQ(learners.size(), 1u);
  EXPECT_EQ(learners.begin()->rfind("account:http://localhost:18000|", 0), 0u);
}

TEST(XapiRealDataTest, DatasimRawScoresAndMboxLearners) {
  const std::string path = SharedDataPath("standards/xapi/datasim_tccc_dev_statements.json");
  Result<ImportedObservations> out = ParseXapiStatements(ReadText(path), path);
  ASSERT_OK(out);
  EXPECT_EQ(out->report.records_read, 2814u);
  EXPECT_EQ(out->report.accepted, 256u);
  EXPECT_EQ(out->report.skipped.at("no-outcome"), 2558u);
  EXPECT_EQ(out->report.skipped_by_verb.at("http://adlnet.gov/expapi/verbs/interacted"), 954u);
  std::set<std::string> learners;
  for (const Observation& obs : out->observations) learners.insert(obs.learner_id);
  EXPECT_EQ(learners.size(), 6u);
  for (const std::string& learner : learners) EXPECT_EQ(learner.rfind("sha1:", 0), 0u);
  LearningRecordOptions completion;
  completion.completion_as_outcome = true;
  Result<ImportedObservations> with = ParseXapiStatements(ReadText(path), path, completion);
  ASSERT_OK(with);
  EXPECT_EQ(with->report.accepted, 256u + 70u);
}

TEST(XapiRealDataTest, AdlConformanceTemplates) {
  const std::string dir = "standards/xapi/adl_conformance_templates_v2_0/statements__";
  struct Case {
    std::string name, rejection;  // empty rejection: accepted
  };
  const std::vector<Case> cases = {
      {"actor", "$.actor: no identifier"},
      {"no_actor", "$.actor: missing"},
      {"no_verb", "$.verb: missing"},
      {"no_object", "$.object: missing"},
      {"verb", "$.verb.id: missing"},
      {"object_activity", "$.object.id: missing"},
      {"object_statementref_no_id", "$.object.id: missing"},
      {"default", ""},
      {"context_sans_objectType", ""},
      {"unicode", ""},
      {"result", ""},
      {"object_agent_default", ""},
      {"object_substatement_default", ""},
  };
  for (const Case& c : cases) {
    const std::string path = SharedDataPath(dir + c.name + ".json");
    Result<ImportedObservations> out = ParseXapiStatements(ReadText(path), path);
    if (c.rejection.empty()) {
      ASSERT_OK(out);
      EXPECT_TRUE(out->observations.empty()) << c.name;  // attended, no result: not an answer
      EXPECT_EQ(out->report.records_read, 1u);
    } else {
      ASSERT_FALSE(out.ok()) << c.name;
      EXPECT_NE(out.status().message().find("statement 0: " + c.rejection), std::string::npos)
          << c.name << ": " << out.status().message();
    }
  }
  // Two "actor" keys: nlohmann would keep the second; the statement is ambiguous and rejected.
  const std::string multiple = SharedDataPath(dir + "multiple_actor.json");
  Result<ImportedObservations> ambiguous = ParseXapiStatements(ReadText(multiple), multiple);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("multiple_actor.json: $: key 'actor' given twice"),
            std::string::npos)
      << ambiguous.status().message();
  const std::string voiding = SharedDataPath(dir + "voiding.json");
  Result<ImportedObservations> out = ParseXapiStatements(ReadText(voiding), voiding);
  ASSERT_OK(out);
  EXPECT_EQ(out->report.voided_elsewhere,
            std::vector<std::string>{"8f87ccde-bb56-4c2e-ab83-44982ef22df0"});
}

// --- Caliper -----------------------------------------------------------------------------------

std::string CaliperFixture(const std::string& name) {
  return ReadText(SharedDataPath("standards/caliper/v1p2_fixtures/" + name));
}

TEST(CaliperTest, GradedItemIsAnAnswer) {
  Result<ImportedObservations> out =
      ParseCaliperEvents(CaliperFixture("caliperEventGradeGradedItem.json"), "item.json");
  ASSERT_OK(out);
  ASSERT_EQ(out->observations.size(), 1u);
  const Observation& obs = out->observations[0];
  EXPECT_EQ(obs.learner_id, "https://example.edu/users/554433");
  EXPECT_EQ(obs.activity_id,
            "https://example.edu/terms/201601/courses/7/sections/1/assess/1/items/3");
  EXPECT_DOUBLE_EQ(obs.outcome, 5.0 / 5.0);
  EXPECT_EQ(obs.event_id, "urn:uuid:12c05c4e-253f-4073-9f29-5786f3ff3f36");
  EXPECT_EQ(obs.timestamp_ms, *ParseTimestamp("2016-11-15T10:57:06.000Z"));
}

TEST(CaliperTest, GradedAssessmentGivesScoreOverMax) {
  Result<ImportedObservations> out =
      ParseCaliperEvents(CaliperFixture("caliperEventGradeGraded.json"), "graded.json");
  ASSERT_OK(out);
  ASSERT_EQ(out->observations.size(), 1u);
  EXPECT_DOUBLE_EQ(out->observations[0].outcome, 10.0 / 15.0);
}

TEST(CaliperTest, MixedEnvelopeSkipsEntitiesAndOtherEvents) {
  Result<ImportedObservations> out =
      ParseCaliperEvents(CaliperFixture("caliperEnvelopeMixedBatch.json"), "mixed.json");
  ASSERT_OK(out);
  EXPECT_EQ(out->report.records_read, 7u);
  EXPECT_EQ(out->report.skipped.at("entity"), 4u);
  EXPECT_EQ(out->report.skipped.at("not-an-answer"), 2u);
  EXPECT_EQ(out->report.skipped_by_verb.at("AssessmentEvent/Started"), 1u);
  ASSERT_EQ(out->observations.size(), 1u);
  // Thinned references: the assignee is an IRI string.
  EXPECT_EQ(out->observations[0].learner_id, "https://example.edu/users/554433");
}

TEST(CaliperTest, CompletedItemHasNoOutcome) {
  Result<ImportedObservations> out = ParseCaliperEvents(
      CaliperFixture("caliperEventAssessmentItemCompleted.json"), "completed.json");
  ASSERT_OK(out);
  EXPECT_TRUE(out->observations.empty());
  EXPECT_EQ(out->report.skipped.at("no-outcome"), 1u);
}

TEST(CaliperTest, ActivityMapApplies) {
  LearningRecordOptions options;
  options.activity_map = {
      {"https://example.edu/terms/201601/courses/7/sections/1/assess/1/items/3", "item3"}};
  Result<ImportedObservations> out =
      ParseCaliperEvents(CaliperFixture("caliperEventGradeGradedItem.json"), "item.json", options);
  ASSERT_OK(out);
  EXPECT_EQ(out->observations.at(0).activity_id, "item3");
  Result<ImportedObservations> other =
      ParseCaliperEvents(CaliperFixture("caliperEventGradeGraded.json"), "graded.json", options);
  ASSERT_OK(other);
  EXPECT_EQ(other->report.skipped.at("unmapped-activity"), 1u);
}

std::string GradeEvent(const std::string& object, const std::string& generated,
                       const std::string& time = R"("2016-11-15T10:57:06.000Z")") {
  return R"({"id": "urn:uuid:1", "type": "GradeEvent", "action": "Graded", "eventTime": )" + time +
         R"(, "actor": "https://example.edu/autograder", "object": )" + object +
         R"(, "generated": )" + generated + "}";
}

TEST(CaliperTest, MalformedGradeEventsAreRejectedWithPaths) {
  const std::string attempt =
      R"({"id": "https://e/a/1", "type": "Attempt", "assignee": "https://e/u/1", "assignable": "https://e/i/1"})";
  const std::string score =
      R"({"id": "https://e/s/1", "type": "Score", "scoreGiven": 3, "maxScore": 5})";
  struct Case {
    std::string event, expected;
  };
  const std::vector<Case> cases = {
      {GradeEvent(R"("https://e/a/1")", score),
       "data[0].object: a Graded event's object must be an Attempt"},
      {GradeEvent(attempt, R"("https://e/s/1")"),
       "data[0].generated: a Graded event must generate a Score"},
      {GradeEvent(attempt, R"({"type": "Score", "scoreGiven": 6, "maxScore": 5})"),
       "data[0].generated.scoreGiven: must be in [0, maxScore]"},
      {GradeEvent(attempt, R"({"type": "Score", "scoreGiven": 0, "maxScore": 0})"),
       "data[0].generated.maxScore: missing or not positive"},
      {GradeEvent(attempt, R"({"type": "Score", "maxScore": 5})"),
       "data[0].generated.scoreGiven: missing"},
      {GradeEvent(R"({"type": "Attempt", "assignable": "https://e/i/1"})", score),
       "data[0].object.assignee: missing"},
      {GradeEvent(attempt, score, "null"), "data[0].eventTime: missing"},
      {GradeEvent(attempt, score, R"("15/11/2016")"), "data[0].eventTime: not an ISO 8601"},
  };
  for (const Case& c : cases) {
    Result<ImportedObservations> out =
        ParseCaliperEvents(R"({"sensor": "s", "data": [)" + c.event + "]}", "env.json");
    ASSERT_FALSE(out.ok()) << c.event;
    EXPECT_NE(out.status().message().find("env.json: event 0: " + c.expected), std::string::npos)
        << "expected: " << c.expected << "\ngot: " << out.status().message();
  }
}

TEST(CaliperTest, EveryRealEventFixtureParses) {
  // All 1.2 fixtures are valid Caliper: none may be rejected, and only graded attempts answer.
  size_t answers = 0;
  for (const char* name :
       {"caliperEventAssessmentItemStarted.json", "caliperEventAssessmentItemSkipped.json",
        "caliperEventAssessmentItemCompleted.json", "caliperEventGradeGraded.json",
        "caliperEventGradeGradedItem.json", "caliperEnvelopeEventBatch.json",
        "caliperEnvelopeEventThinned.json", "caliperEnvelopeEntityBatch.json",
        "caliperEventViewViewedExtended.json", "caliperEventToolUseUsedWithProgress.json"}) {
    Result<ImportedObservations> out = ParseCaliperEvents(CaliperFixture(name), name);
    ASSERT_OK(out);
    answers += out->observations.size();
  }
  EXPECT_EQ(answers, 2u);
}

TEST(ActivityMapTest, ReadsAndRejectsDuplicates) {
  const std::string dir = ::testing::TempDir();
  const std::string good = dir + "/activity_map_good.csv";
  std::ofstream(good) << "iri,activity_id\nhttps://x/q1,q1\nhttps://x/q2,q2\n";
  auto map = ReadActivityMapCsv(good);
  ASSERT_OK(map);
  EXPECT_EQ(map->at("https://x/q2"), "q2");
  const std::string bad = dir + "/activity_map_bad.csv";
  std::ofstream(bad) << "iri,activity_id\nhttps://x/q1,q1\nhttps://x/q1,q9\nhttps://x/q3,\n";
  auto rejected = ReadActivityMapCsv(bad);
  ASSERT_FALSE(rejected.ok());
  EXPECT_NE(
      rejected.status().message().find(":3: iri 'https://x/q1' is mapped twice (first at line 2)"),
      std::string::npos)
      << rejected.status().message();
  EXPECT_NE(rejected.status().message().find(":4: iri and activity_id must both be given"),
            std::string::npos);
}

}  // namespace
}  // namespace pathwise
