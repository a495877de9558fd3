// xAPI statements and Open Badges 3.0 credentials out: every rule of standards_export.h, and the
// validators that hold the exports to the specifications' required fields and formats.
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/learning_records.h>
#include <pathwise/io/standards_export.h>
#include <pathwise/mastery_tracker.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// The fields a test sets, the others at their defaults: brace-initialising a Competency without its
// last fields trips -Wmissing-field-initializers, an error under PATHWISE_WERROR.
Competency MakeCompetency(std::string id, std::string name, std::string description,
                          std::string group, const BktParams& params) {
  Competency competency;
  competency.id = std::move(id);
  competency.name = std::move(name);
  competency.description = std::move(description);
  competency.group = std::move(group);
  competency.params = params;
  return competency;
}

using json = nlohmann::json;

constexpr char kHome[] = "https://lms.example";

// Two competencies in one topic, a -> b; BKT prior 0.5, learn 0.2, guess 0.2, slip 0.1, so that
// the posteriors can be written by hand (bkt.h): after a correct answer from p,
// p' = p(1 - slip) / (p(1 - slip) + (1 - p) guess), then p'' = p' + (1 - p') learn.
CompetencyGraph SmallGraph() {
  GraphDefinition def;
  def.groups = {{"topic", "Topic", ""}};
  BktParams params;
  params.prior = 0.5;
  params.learn = 0.2;
  params.guess = 0.2;
  params.slip = 0.1;
  Competency a = MakeCompetency("a", "Alpha", "Knows alpha", "topic", params);
  Competency b = MakeCompetency("b", "Beta", "", "topic", params);
  def.competencies = {a, b};
  def.prerequisites = {{"a", "b"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return std::move(graph).value();
}

double AfterCorrect(double p) {
  const double posterior = p * 0.9 / (p * 0.9 + (1 - p) * 0.2);
  return posterior + (1 - posterior) * 0.2;
}

// Replays `events` and returns every change, as the CLI does.
std::vector<MasteryChange> Changes(const CompetencyGraph& graph,
                                   const std::vector<Observation>& events) {
  auto tracker = MasteryTracker::Create(graph, BktModel{});
  EXPECT_OK(tracker);
  std::vector<MasteryChange> changes;
  std::map<std::string, size_t> sequence;
  for (const Observation& e : events) {
    Result<LearnerMastery> before = (*tracker)->Mastery(e.learner_id);
    LearnerMastery previous = before.ok() ? *before : (*tracker)->PriorMastery(e.learner_id);
    Result<RecordResult> result = (*tracker)->Record(e);
    EXPECT_OK(result);
    if (!result.ok() || !result->applied) continue;
    auto diff = DiffMastery(graph, e, previous, result->updated, sequence[e.learner_id]++);
    EXPECT_OK(diff);
    for (const MasteryChange& c : *diff) changes.push_back(c);
  }
  return changes;
}

const TimestampMs kT0 = 1788253440000;  // 2026-09-01T09:04:00Z

std::vector<Observation> AnnTwoCorrect() {
  return {{"e1", "ann", "a", 1.0, kT0}, {"e2", "ann", "a", 1.0, kT0 + 60000}};
}

XapiExportOptions Options() {
  XapiExportOptions options;
  options.account_home_page = kHome;
  return options;
}

json Statements(const CompetencyGraph& graph, const std::vector<MasteryChange>& changes,
                const XapiExportOptions& options = Options()) {
  Result<std::string> text = MasteryStatementsJson(graph, changes, options);
  EXPECT_OK(text);
  return text.ok() ? json::parse(*text) : json::array();
}

TEST(UuidV5Test, MatchesTheRfcExample) {
  // RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
  Result<std::string> id = UuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com");
  ASSERT_OK(id);
  EXPECT_EQ(*id, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  EXPECT_FALSE(UuidV5("not-a-uuid", "x").ok());
}

TEST(CompetencyIriSchemeTest, MapThenAbsoluteIriThenBase) {
  CompetencyIriScheme scheme;
  scheme.base = "https://lms.example/c/";
  scheme.iris = {{"d1000000-0000-4000-8000-000000000000", "https://case.example/uri/d1"}};
  EXPECT_EQ(scheme.IriOf("d1000000-0000-4000-8000-000000000000"), "https://case.example/uri/d1");
  // A CASE group is named by its item's uri.
  EXPECT_EQ(scheme.IriOf("group:d1000000-0000-4000-8000-000000000000"),
            "https://case.example/uri/d1");
  EXPECT_EQ(scheme.IriOf("https://x.example/skill/7"), "https://x.example/skill/7");
  EXPECT_EQ(scheme.IriOf("fractions.add like/2"), "https://lms.example/c/fractions.add%20like%2F2");
  EXPECT_EQ(scheme.IriOf("group:topic"), "https://lms.example/c/group%3Atopic");
  scheme.base = "no scheme";
  EXPECT_FALSE(scheme.Validate().ok());
}

TEST(DiffMasteryTest, ComparesEachUpdatedCompetencyWithItsValueBefore) {
  const CompetencyGraph graph = SmallGraph();
  const std::vector<MasteryChange> changes = Changes(graph, AnnTwoCorrect());
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_NEAR(changes[0].p_before, 0.5, 1e-12);
  EXPECT_NEAR(changes[0].p_after, AfterCorrect(0.5), 1e-9);
  EXPECT_NEAR(changes[1].p_before, AfterCorrect(0.5), 1e-9);
  EXPECT_NEAR(changes[1].p_after, AfterCorrect(AfterCorrect(0.5)), 1e-9);
  EXPECT_FALSE(changes[0].mastered_after);  // 0.855 < 0.95
  EXPECT_TRUE(changes[1].mastered_after);   // 0.971 >= 0.95
  EXPECT_EQ(changes[1].opportunities, 2u);
  EXPECT_EQ(changes[1].learner_sequence, 1u);
}

TEST(ReplayMasteryChangesTest, GivesTheChangesOfEveryAppliedEventAndNamesBadOnes) {
  const CompetencyGraph graph = SmallGraph();
  std::vector<Observation> events = AnnTwoCorrect();
  events.push_back(events[0]);  // a duplicate event id changes nothing
  Result<std::vector<MasteryChange>> replayed = ReplayMasteryChanges(graph, BktModel{}, events);
  ASSERT_OK(replayed);
  const std::vector<MasteryChange> expected = Changes(graph, AnnTwoCorrect());
  ASSERT_EQ(replayed->size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*replayed)[i].event_id, expected[i].event_id);
    EXPECT_EQ((*replayed)[i].p_after, expected[i].p_after);
  }
  events.push_back({"e9", "ann", "zeta", 1.0, kT0});
  Result<std::vector<MasteryChange>> bad = ReplayMasteryChanges(graph, BktModel{}, events);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("events[3] (id 'e9')"), std::string::npos)
      << bad.status().message();
}

TEST(DiffMasteryTest, RejectsAnUpdateWithoutAValueBefore) {
  const CompetencyGraph graph = SmallGraph();
  LearnerMastery before{"ann", {}};
  MasteryEstimate after{"a", 0.7};
  Result<std::vector<MasteryChange>> diff =
      DiffMastery(graph, {"e1", "ann", "a", 1.0, kT0}, before, {after});
  ASSERT_FALSE(diff.ok());
  EXPECT_NE(diff.status().message().find("after[0].competency_id"), std::string::npos);
}

TEST(XapiExportTest, ProgressedForEveryChangeAndMasteredWhenTheThresholdIsCrossed) {
  const CompetencyGraph graph = SmallGraph();
  const json statements = Statements(graph, Changes(graph, AnnTwoCorrect()));
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0]["verb"]["id"], "http://adlnet.gov/expapi/verbs/progressed");
  EXPECT_EQ(statements[1]["verb"]["id"], "http://adlnet.gov/expapi/verbs/progressed");
  EXPECT_EQ(statements[2]["verb"]["id"], "http://adlnet.gov/expapi/verbs/mastered");
  EXPECT_NEAR(statements[0]["result"]["score"]["scaled"].get<double>(), AfterCorrect(0.5), 1e-6);
  EXPECT_FALSE(statements[0]["result"]["success"].get<bool>());
  EXPECT_TRUE(statements[2]["result"]["success"].get<bool>());
  // The mastered statement is about the event that crossed: the second answer's time.
  EXPECT_EQ(statements[2]["timestamp"], "2026-09-01T09:05:00.000Z");
  EXPECT_EQ(statements[0]["timestamp"], "2026-09-01T09:04:00.000Z");
  EXPECT_EQ(statements[0]["object"]["id"], "urn:pathwise:competency:a");
  EXPECT_EQ(statements[0]["object"]["definition"]["type"],
            "http://adlnet.gov/expapi/activities/objective");
  EXPECT_EQ(statements[0]["object"]["definition"]["name"]["en-US"], "Alpha");
  EXPECT_EQ(statements[0]["actor"]["account"]["homePage"], kHome);
  EXPECT_EQ(statements[0]["actor"]["account"]["name"], "ann");
}

TEST(XapiExportTest, MasteredOnlyLeavesOutProgressed) {
  const CompetencyGraph graph = SmallGraph();
  XapiExportOptions options = Options();
  options.progressed = false;
  const json statements = Statements(graph, Changes(graph, AnnTwoCorrect()), options);
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0]["verb"]["display"]["en-US"], "mastered");
}

TEST(XapiExportTest, NoMasteredStatementWhenMasteryIsLostOrKept) {
  const CompetencyGraph graph = SmallGraph();
  std::vector<Observation> events = AnnTwoCorrect();
  events.push_back({"e3", "ann", "a", 1.0, kT0 + 120000});  // stays mastered
  events.push_back({"e4", "ann", "a", 0.0, kT0 + 180000});  // falls below
  events.push_back({"e5", "ann", "a", 0.0, kT0 + 240000});
  const std::vector<MasteryChange> changes = Changes(graph, events);
  const json statements = Statements(graph, changes);
  size_t mastered = 0;
  for (const json& s : statements) mastered += s["verb"]["display"]["en-US"] == "mastered";
  EXPECT_EQ(mastered, 1u);
  EXPECT_FALSE(changes.back().mastered_after);
}

TEST(XapiExportTest, IdsAreDeterministicAndDistinct) {
  const CompetencyGraph graph = SmallGraph();
  const json first = Statements(graph, Changes(graph, AnnTwoCorrect()));
  const json second = Statements(graph, Changes(graph, AnnTwoCorrect()));
  EXPECT_EQ(first.dump(), second.dump());
  std::set<std::string> ids;
  for (const json& s : first) ids.insert(s["id"].get<std::string>());
  EXPECT_EQ(ids.size(), first.size());
  // The id is the UUIDv5 of what the statement is about.
  Result<std::string> expected = UuidV5(kPathwiseUuidNamespace, "xapi|mastered|ann|a|e2");
  ASSERT_OK(expected);
  EXPECT_EQ(first[2]["id"], *expected);
  // Another namespace gives other ids.
  XapiExportOptions options = Options();
  options.id_namespace = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
  EXPECT_NE(Statements(graph, Changes(graph, AnnTwoCorrect()), options)[0]["id"], first[0]["id"]);
}

TEST(XapiExportTest, EventsWithoutIdAreNamedByTheirPlaceInTheLearnersHistory) {
  const CompetencyGraph graph = SmallGraph();
  const json statements = Statements(
      graph, Changes(graph, {{"", "ann", "a", 1.0, kT0}, {"", "ann", "a", 1.0, kT0 + 1}}));
  ASSERT_EQ(statements.size(), 3u);
  Result<std::string> expected = UuidV5(kPathwiseUuidNamespace, "xapi|progressed|ann|a|#1");
  ASSERT_OK(expected);
  EXPECT_EQ(statements[1]["id"], *expected);
}

TEST(XapiExportTest, ImportedLearnerIdsGetTheirIdentifierBack) {
  const CompetencyGraph graph = SmallGraph();
  const std::string sha1 = "sha1:ac2b798a936e633547c4c3d04210db14fc26fa34";
  const std::string account = "account:https://other.example|u-9";
  const std::string openid = "openid:https://id.example/ana";
  const json statements = Statements(graph, Changes(graph, {{"e1", sha1, "a", 1.0, kT0},
                                                            {"e2", account, "a", 1.0, kT0},
                                                            {"e3", openid, "a", 1.0, kT0}}));
  ASSERT_EQ(statements.size(), 3u);
  EXPECT_EQ(statements[0]["actor"]["mbox_sha1sum"], sha1.substr(5));
  EXPECT_EQ(statements[1]["actor"]["account"]["homePage"], "https://other.example");
  EXPECT_EQ(statements[1]["actor"]["account"]["name"], "u-9");
  EXPECT_EQ(statements[2]["actor"]["openid"], "https://id.example/ana");
  // The import reads each back as the same learner.
  LearningRecordOptions import_options;
  Result<ImportedObservations> back =
      ParseXapiStatements(statements.dump(), "export.json", import_options);
  ASSERT_OK(back);
  ASSERT_EQ(back->observations.size(), 3u);
  EXPECT_EQ(back->observations[0].learner_id, sha1);
  EXPECT_EQ(back->observations[1].learner_id, account);
  EXPECT_EQ(back->observations[2].learner_id, openid);
  EXPECT_EQ(back->observations[0].timestamp_ms, kT0);
}

TEST(XapiExportTest, AnAnswerThatWasAStatementIsReferenced) {
  const CompetencyGraph graph = SmallGraph();
  const std::string answer = "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d02";
  const json statements = Statements(graph, Changes(graph, {{answer, "ann", "a", 1.0, kT0}}));
  EXPECT_EQ(statements[0]["context"]["statement"]["objectType"], "StatementRef");
  EXPECT_EQ(statements[0]["context"]["statement"]["id"], answer);
  EXPECT_FALSE(
      Statements(graph, Changes(graph, AnnTwoCorrect()))[0]["context"].contains("statement"));
}

TEST(XapiExportTest, RejectsMissingTimeAndBadOptions) {
  const CompetencyGraph graph = SmallGraph();
  const std::vector<MasteryChange> untimed = Changes(graph, {{"e1", "ann", "a", 1.0, 0}});
  Result<std::string> text = MasteryStatementsJson(graph, untimed, Options());
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("changes[0].timestamp_ms"), std::string::npos);
  XapiExportOptions with_default = Options();
  with_default.default_timestamp_ms = kT0;
  EXPECT_OK(MasteryStatementsJson(graph, untimed, with_default));

  XapiExportOptions no_home;
  Result<std::string> bad = MasteryStatementsJson(graph, {}, no_home);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("account home page"), std::string::npos);
  XapiExportOptions bad_namespace = Options();
  bad_namespace.id_namespace = "nope";
  EXPECT_FALSE(MasteryStatementsJson(graph, {}, bad_namespace).ok());
  MasteryChange unknown;
  unknown.learner_id = "ann";
  unknown.competency_id = "zeta";
  unknown.timestamp_ms = kT0;
  Result<std::string> unknown_text = MasteryStatementsJson(graph, {unknown}, Options());
  ASSERT_FALSE(unknown_text.ok());
  EXPECT_NE(unknown_text.status().message().find("changes[0].competency_id"), std::string::npos);
}

// --- the xAPI validator
// -------------------------------------------------------------------------------

json ValidStatement() {
  const CompetencyGraph graph = SmallGraph();
  return Statements(graph, Changes(graph, AnnTwoCorrect()))[2];
}

std::string ValidationError(const json& statement) {
  Status status = ValidateXapiStatements(json::array({statement}).dump(), "s.json");
  EXPECT_FALSE(status.ok()) << statement.dump();
  return status.message();
}

TEST(XapiValidatorTest, EveryExportedStatementIsValid) {
  const CompetencyGraph graph = SmallGraph();
  std::vector<Observation> events = AnnTwoCorrect();
  events.push_back({"6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d02",
                    "sha1:ac2b798a936e633547c4c3d04210db14fc26fa34", "b", 0.5, kT0});
  Result<std::string> text = MasteryStatementsJson(graph, Changes(graph, events), Options());
  ASSERT_OK(text);
  EXPECT_OK(ValidateXapiStatements(*text, "export.json"));
}

TEST(XapiValidatorTest, EachRequiredFieldMissingIsNamed) {
  for (const char* field : {"id", "actor", "verb", "object", "timestamp"}) {
    json s = ValidStatement();
    s.erase(field);
    EXPECT_NE(ValidationError(s).find(std::string("[0].") + field + ": missing"), std::string::npos)
        << field;
  }
  json no_verb_id = ValidStatement();
  no_verb_id["verb"].erase("id");
  EXPECT_NE(ValidationError(no_verb_id).find("[0].verb.id: missing"), std::string::npos);
  json no_object_id = ValidStatement();
  no_object_id["object"].erase("id");
  EXPECT_NE(ValidationError(no_object_id).find("[0].object.id: missing"), std::string::npos);
  json no_identifier = ValidStatement();
  no_identifier["actor"].erase("account");
  EXPECT_NE(ValidationError(no_identifier).find("exactly one of mbox"), std::string::npos);
  json no_name = ValidStatement();
  no_name["actor"]["account"].erase("name");
  EXPECT_NE(ValidationError(no_name).find("[0].actor.account.name: missing"), std::string::npos);
}

TEST(XapiValidatorTest, EachFormatIsChecked) {
  auto with = [](const std::string& pointer, const json& value) {
    json s = ValidStatement();
    s[json::json_pointer(pointer)] = value;
    return ValidationError(s);
  };
  EXPECT_NE(with("/id", "12345").find("[0].id: must be a UUID"), std::string::npos);
  EXPECT_NE(with("/timestamp", "2026-09-01T09:05:00").find("[0].timestamp: must be an ISO 8601"),
            std::string::npos);
  EXPECT_NE(with("/timestamp", "yesterday").find("[0].timestamp"), std::string::npos);
  EXPECT_NE(with("/verb/id", "mastered").find("[0].verb.id: must be an absolute IRI"),
            std::string::npos);
  EXPECT_NE(with("/object/id", "a b").find("[0].object.id: must be an absolute IRI"),
            std::string::npos);
  EXPECT_NE(with("/actor/account/homePage", "lms").find("[0].actor.account.homePage"),
            std::string::npos);
  EXPECT_NE(with("/actor/mbox", "mailto:a@b").find("has 2"), std::string::npos);
  EXPECT_NE(with("/result/score/scaled", 1.5).find("[0].result.score.scaled"), std::string::npos);
  EXPECT_NE(with("/result/success", "yes").find("[0].result.success"), std::string::npos);
  EXPECT_NE(with("/version", "0.9").find("[0].version"), std::string::npos);
  EXPECT_NE(with("/verb/display", "mastered").find("[0].verb.display: must be a language map"),
            std::string::npos);
  EXPECT_NE(with("/context/statement/id", "x").find("[0].context.statement"), std::string::npos);
  // Offsets are time zones too.
  json offset = ValidStatement();
  offset["timestamp"] = "2026-09-01T11:05:00+02:00";
  EXPECT_OK(ValidateXapiStatements(offset.dump(), "s.json"));
}

TEST(XapiValidatorTest, JsonSyntaxErrorsHaveLineAndColumn) {
  Status status = ValidateXapiStatements("[\n{\"id\": }", "s.json");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("s.json:2:"), std::string::npos) << status.message();
}

// --- Open Badges 3.0
// --------------------------------------------------------------------------------

BadgeOptions Issuer() {
  BadgeOptions options;
  options.issuer_id = "https://school.example/issuer";
  options.issuer_name = "Example School";
  return options;
}

json Badge(const BadgeAward& award, const BadgeOptions& options = Issuer()) {
  Result<std::string> text = BadgeCredentialJson(SmallGraph(), award, options);
  EXPECT_OK(text);
  return text.ok() ? json::parse(*text) : json::object();
}

TEST(BadgeTest, CredentialHasTheRequiredFieldsOfOpenBadges3) {
  const json c = Badge({"ann", "a", kT0 + 60000, 0.97});
  EXPECT_EQ(c["@context"][0], "https://www.w3.org/ns/credentials/v2");
  EXPECT_EQ(c["@context"][1], "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json");
  EXPECT_EQ(c["type"], json({"VerifiableCredential", "OpenBadgeCredential"}));
  EXPECT_EQ(c["issuer"]["id"], "https://school.example/issuer");
  EXPECT_EQ(c["issuer"]["type"], json({"Profile"}));
  EXPECT_EQ(c["validFrom"], "2026-09-01T09:05:00.000Z");
  const json& subject = c["credentialSubject"];
  EXPECT_EQ(subject["type"], json({"AchievementSubject"}));
  EXPECT_EQ(subject["identifier"][0]["identityHash"], "ann");
  EXPECT_EQ(subject["identifier"][0]["hashed"], false);
  const json& achievement = subject["achievement"];
  EXPECT_EQ(achievement["id"], "urn:pathwise:competency:a");
  EXPECT_EQ(achievement["type"], json({"Achievement"}));
  EXPECT_EQ(achievement["name"], "Alpha");
  EXPECT_EQ(achievement["description"], "Knows alpha");
  EXPECT_NE(achievement["criteria"]["narrative"].get<std::string>().find("threshold 0.95"),
            std::string::npos);
  EXPECT_FALSE(c.contains("proof"));
  Result<std::string> id = UuidV5(kPathwiseUuidNamespace, "badge|ann|a");
  ASSERT_OK(id);
  EXPECT_EQ(c["id"], "urn:uuid:" + *id);
  EXPECT_OK(ValidateBadgeCredential(c.dump(), "badge.json"));
}

TEST(BadgeTest, GroupBadgeAndCaseAlignment) {
  BadgeOptions options = Issuer();
  options.iris.iris = {{"topic", "https://case.example/uri/topic"}};
  const json c = Badge({"ann", "topic", kT0, 0.96}, options);
  const json& achievement = c["credentialSubject"]["achievement"];
  EXPECT_EQ(achievement["name"], "Topic");
  EXPECT_NE(achievement["description"].get<std::string>().find("2 competencies"),
            std::string::npos);
  EXPECT_EQ(achievement["id"], "https://case.example/uri/topic");
  EXPECT_EQ(achievement["alignment"][0]["targetUrl"], "https://case.example/uri/topic");
  EXPECT_EQ(achievement["alignment"][0]["type"], json({"Alignment"}));
  EXPECT_OK(ValidateBadgeCredential(c.dump(), "badge.json"));
  EXPECT_FALSE(
      Badge({"ann", "a", kT0, 0.96})["credentialSubject"]["achievement"].contains("alignment"));
}

TEST(BadgeTest, RejectsBadAwardsAndIssuers) {
  const CompetencyGraph graph = SmallGraph();
  auto error = [&](const BadgeAward& award, const BadgeOptions& options) {
    Result<std::string> text = BadgeCredentialJson(graph, award, options);
    EXPECT_FALSE(text.ok());
    return text.status().message();
  };
  EXPECT_NE(error({"ann", "zeta", kT0, 1}, Issuer()).find("achievement_id"), std::string::npos);
  EXPECT_NE(error({"", "a", kT0, 1}, Issuer()).find("learner_id"), std::string::npos);
  EXPECT_NE(error({"ann", "a", 0, 1}, Issuer()).find("mastered_ms"), std::string::npos);
  BadgeOptions no_issuer = Issuer();
  no_issuer.issuer_id = "";
  EXPECT_NE(error({"ann", "a", kT0, 1}, no_issuer).find("issuer id: missing"), std::string::npos);
  BadgeOptions relative = Issuer();
  relative.issuer_id = "school";
  EXPECT_NE(error({"ann", "a", kT0, 1}, relative).find("absolute IRI"), std::string::npos);
  BadgeOptions unnamed = Issuer();
  unnamed.issuer_name = "";
  EXPECT_NE(error({"ann", "a", kT0, 1}, unnamed).find("issuer name"), std::string::npos);
}

TEST(BadgeValidatorTest, EachRequiredFieldMissingIsNamed) {
  const json valid = Badge({"ann", "a", kT0, 0.97});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/@context", "$.@context: missing"},
      {"/id", "$.id: missing"},
      {"/type", "$.type: missing"},
      {"/issuer", "$.issuer: missing"},
      {"/validFrom", "$.validFrom: missing"},
      {"/name", "$.name: missing"},
      {"/credentialSubject", "$.credentialSubject: missing"},
      {"/credentialSubject/type", "$.credentialSubject.type: missing"},
      {"/credentialSubject/identifier", "$.credentialSubject: needs an id or an identifier"},
      {"/credentialSubject/achievement", "$.credentialSubject.achievement: missing"},
      {"/credentialSubject/achievement/id", "$.credentialSubject.achievement.id: missing"},
      {"/credentialSubject/achievement/type", "$.credentialSubject.achievement.type: missing"},
      {"/credentialSubject/achievement/name", "$.credentialSubject.achievement.name: missing"},
      {"/credentialSubject/achievement/description",
       "$.credentialSubject.achievement.description: missing"},
      {"/credentialSubject/achievement/criteria",
       "$.credentialSubject.achievement.criteria: missing"},
      {"/issuer/id", "$.issuer.id: missing"},
      {"/credentialSubject/identifier/0/identityType",
       "$.credentialSubject.identifier[0].identityType: missing"},
  };
  for (const auto& [pointer, expected] : cases) {
    json c = valid;
    const json::json_pointer p(pointer);
    c[p.parent_pointer()].erase(p.back());
    Status status = ValidateBadgeCredential(c.dump(), "badge.json");
    ASSERT_FALSE(status.ok()) << pointer;
    EXPECT_NE(status.message().find(expected), std::string::npos)
        << pointer << ": " << status.message();
  }
}

TEST(BadgeValidatorTest, WrongValuesAreNamed) {
  const json valid = Badge({"ann", "a", kT0, 0.97});
  auto with = [&](const std::string& pointer, const json& value) {
    json c = valid;
    c[json::json_pointer(pointer)] = value;
    Status status = ValidateBadgeCredential(c.dump(), "badge.json");
    EXPECT_FALSE(status.ok()) << pointer;
    return status.message();
  };
  EXPECT_NE(with("/@context", json({"https://www.w3.org/2018/credentials/v1"})).find("$.@context"),
            std::string::npos);
  EXPECT_NE(with("/type", json({"VerifiableCredential"})).find("$.type"), std::string::npos);
  EXPECT_NE(with("/validFrom", "2026-09-01").find("$.validFrom"), std::string::npos);
  EXPECT_NE(with("/issuer/type", json({"Issuer"})).find("$.issuer.type"), std::string::npos);
  EXPECT_NE(with("/credentialSubject/achievement/criteria", json::object())
                .find("criteria: needs an id or a narrative"),
            std::string::npos);
  EXPECT_NE(with("/credentialSubject/identifier/0/hashed", "no").find("hashed"), std::string::npos);
  // OB 3.0 on the VC 1.1 data model writes issuanceDate instead of validFrom.
  json older = valid;
  older.erase("validFrom");
  older["issuanceDate"] = "2026-09-01T09:05:00Z";
  EXPECT_OK(ValidateBadgeCredential(older.dump(), "badge.json"));
}

}  // namespace
}  // namespace pathwise
