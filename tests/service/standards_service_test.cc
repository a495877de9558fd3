// StandardsService over a real server: the imports of xAPI, Caliper, CASE, Ed-Fi and OneRoster on
// the repository's fixtures and the real files in ../shared/data/standards, and the class report
// against the library's own page for the same class.
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/io/class_report.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/oneroster_import.h>

#include "pathwise/v1/standards_service.grpc.pb.h"
#include "service_test_util.h"

namespace pathwise::service::testing {
namespace {

using pathwise::testing::SharedDataPath;
using pathwise::testing::SourcePath;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

constexpr char kAna[] = "sha1:ac2b798a936e633547c4c3d04210db14fc26fa34";

// One answer of learner "s-0042" (an account on https://lms.example) as an xAPI statement.
std::string Answer(const std::string& id, const std::string& activity, bool success,
                   const std::string& time) {
  return R"({"id": ")" + id +
         R"(", "actor": {"account": {"homePage": "https://lms.example", "name": "s-0042"}},
  "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
  "object": {"id": "https://lms.example/activities/)" +
         activity + R"("}, "result": {"success": )" + (success ? "true" : "false") +
         R"(}, "timestamp": ")" + time + R"("})";
}

std::string Voiding(const std::string& id, const std::string& voided) {
  return R"({"id": ")" + id +
         R"(", "actor": {"mbox": "mailto:teacher@school.example"},
  "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
  "object": {"objectType": "StatementRef", "id": ")" +
         voided + R"("}})";
}

class StandardsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartServer(TwoTenantConfig());
    ASSERT_NE(server_, nullptr);
    channel_ = server_->InProcessChannel();
    stubs_ = std::make_unique<Stubs>(channel_);
    standards_ = v1::StandardsService::NewStub(channel_);
  }

  // The fractions example's activity map (tests/data/standards/xapi_activity_map.csv).
  static void MapFractions(v1::ImportLearningRecordsRequest* request) {
    auto& map = *request->mutable_activity_map();
    map["https://lms.example/activities/partition-shapes"] = "act.partition.shapes";
    map["https://lms.example/activities/unit-pizza"] = "act.unit.pizza";
    map["https://lms.example/activities/identify-shaded"] = "act.identify.shaded";
    map["https://lms.example/activities/identify-sets"] = "act.identify.sets";
  }

  grpc::Status ImportXapi(const std::string& key, const std::string& json, bool dry_run,
                          v1::ImportLearningRecordsResponse* response,
                          const std::string& home_page = "https://lms.example") {
    v1::ImportLearningRecordsRequest request;
    request.set_format(v1::ImportLearningRecordsRequest::XAPI);
    request.set_records_json(json);
    request.set_account_home_page(home_page);
    request.set_dry_run(dry_run);
    MapFractions(&request);
    return standards_->ImportLearningRecords(Ctx(key).get(), request, response);
  }

  std::vector<std::string> EventIds(const std::string& key, const std::string& learner) {
    std::vector<std::string> ids;
    for (const v1::StoredObservation& e : ExportEvents(*stubs_, key, learner)) {
      ids.push_back(e.event().event_id());
    }
    return ids;
  }

  std::unique_ptr<PathwiseServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stubs> stubs_;
  std::unique_ptr<v1::StandardsService::Stub> standards_;
};

// ---- xAPI and Caliper ---------------------------------------------------------------------------

TEST_F(StandardsServiceTest, XapiFixtureAcceptsSkipsAndVoidsAsTheLibraryDoes) {
  const v1::Graph graph = FractionsGraph();
  PutGraphOrFail(*stubs_, kKeyA, graph);
  const std::string json = ReadText(SourcePath("tests/data/standards/xapi_fractions.json"));

  v1::ImportLearningRecordsResponse dry;
  grpc::Status status = ImportXapi(kKeyA, json, /*dry_run=*/true, &dry);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(dry.dry_run());
  EXPECT_EQ(dry.recorded(), 3u);
  EXPECT_EQ(dry.new_learner_ids_size(), 2);
  grpc::Status export_status;
  ExportEvents(*stubs_, kKeyA, kAna, &export_status);
  EXPECT_EQ(export_status.error_code(), grpc::StatusCode::NOT_FOUND) << "a dry run stored events";

  v1::ImportLearningRecordsResponse r;
  status = ImportXapi(kKeyA, json, /*dry_run=*/false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.records_read(), 7u);
  EXPECT_EQ(r.accepted(), 3u);
  EXPECT_EQ(r.recorded(), 3u);
  EXPECT_EQ(r.duplicates(), 0u);
  EXPECT_EQ(r.skipped().at("no-outcome"), 1u);
  EXPECT_EQ(r.skipped().at("unmapped-activity"), 1u);
  EXPECT_EQ(r.skipped_by_verb().at("http://adlnet.gov/expapi/verbs/launched"), 1u);
  EXPECT_EQ(r.voiding(), 1u);
  ASSERT_EQ(r.voided_in_batch_size(), 1);
  EXPECT_EQ(r.voided_in_batch(0), "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d05");
  EXPECT_EQ(r.voided_events_size(), 0);
  ASSERT_EQ(r.learner_ids_size(), 2);
  EXPECT_EQ(r.learner_ids(0), "s-0042");
  EXPECT_EQ(r.learner_ids(1), kAna);

  // The mbox and the mbox_sha1sum of one address are one learner; its mastery is a replay of
  // exactly the statements that were answers.
  const std::vector<v1::StoredObservation> ana =
      ExpectMasteryEqualsReplay(*stubs_, kKeyA, kAna, graph);
  ASSERT_EQ(ana.size(), 2u);
  EXPECT_EQ(ana[0].event().event_id(), "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d02");
  EXPECT_EQ(ana[1].event().activity_id(), "act.unit.pizza");
  EXPECT_EQ(ana[1].event().timestamp_ms(), 1788250530250);
  EXPECT_EQ(EventIds(kKeyA, "s-0042"),
            std::vector<std::string>{"6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7d04"});

  // Idempotent: the same batch again changes nothing.
  v1::ImportLearningRecordsResponse again;
  status = ImportXapi(kKeyA, json, /*dry_run=*/false, &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(again.recorded(), 0u);
  EXPECT_EQ(again.duplicates(), 3u);
  EXPECT_EQ(again.new_learner_ids_size(), 0);
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, kAna).size(), 2u);
}

TEST_F(StandardsServiceTest, OneMalformedStatementRejectsTheBatchNamingIndexAndPath) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  v1::ImportLearningRecordsResponse r;
  grpc::Status status = ImportXapi(
      kKeyA, ReadText(SourcePath("tests/data/standards/xapi_bad_batch.json")), false, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("records: statement 1: [1].actor.mbox"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("[1].result.score.scaled"), std::string::npos)
      << status.error_message();
  // Statement 0 is a good answer of ana: not stored, since the batch was rejected.
  grpc::Status export_status;
  ExportEvents(*stubs_, kKeyA, kAna, &export_status);
  EXPECT_EQ(export_status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(StandardsServiceTest, IdsTheServiceRefusesRejectTheBatchNamingTheStatement) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  const std::string json = ReadText(SourcePath("tests/data/standards/xapi_fractions.json"));
  // Without account_home_page the account's learner id is "account:<homePage>|<name>", whose '|'
  // the service does not store.
  v1::ImportLearningRecordsResponse r;
  grpc::Status status = ImportXapi(kKeyA, json, false, &r, /*home_page=*/"");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("records: statement 3 ([3]): learner id"),
            std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("account_home_page"), std::string::npos);
  grpc::Status export_status;
  ExportEvents(*stubs_, kKeyA, kAna, &export_status);
  EXPECT_EQ(export_status.error_code(), grpc::StatusCode::NOT_FOUND) << "statement 1 was stored";

  // An activity the graph lacks: NOT_FOUND naming the statement, as RecordEvents does.
  v1::ImportLearningRecordsRequest unmapped;
  unmapped.set_format(v1::ImportLearningRecordsRequest::XAPI);
  unmapped.set_records_json(
      "[" +
      Answer("6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7e01", "unit-pizza", true, "2026-09-01T09:00:00Z") +
      "]");
  unmapped.set_account_home_page("https://lms.example");
  (*unmapped.mutable_activity_map())["https://lms.example/activities/unit-pizza"] = "act.nowhere";
  status = standards_->ImportLearningRecords(Ctx(kKeyA).get(), unmapped, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("statement 0 ([0]): activity 'act.nowhere'"),
            std::string::npos)
      << status.error_message();
}

TEST_F(StandardsServiceTest, VoidingAStoredStatementRemovesItAndRederivesTheLearner) {
  const v1::Graph graph = FractionsGraph();
  PutGraphOrFail(*stubs_, kKeyA, graph);
  const std::string a1 = "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7e01";
  const std::string a2 = "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7e02";
  const std::string a3 = "6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7e03";
  v1::ImportLearningRecordsResponse r;
  grpc::Status status =
      ImportXapi(kKeyA,
                 "[" + Answer(a1, "partition-shapes", true, "2026-09-01T09:00:00Z") + "," +
                     Answer(a2, "partition-shapes", false, "2026-09-01T09:01:00Z") + "," +
                     Answer(a3, "identify-shaded", true, "2026-09-01T09:02:00Z") + "]",
                 false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(r.recorded(), 3u);
  v1::GetMasteryRequest mastery_request;
  mastery_request.set_learner_id("s-0042");
  v1::GetMasteryResponse before;
  ASSERT_TRUE(stubs_->learners->GetMastery(Ctx(kKeyA).get(), mastery_request, &before).ok());

  // Another tenant voiding that id touches nothing of tenant A.
  const std::string voiding = "[" + Voiding("6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7f01", a2) + "]";
  PutGraphOrFail(*stubs_, kKeyB, graph);
  status = ImportXapi(kKeyB, voiding, false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.voided_events_size(), 0);
  ASSERT_EQ(r.voided_not_found_size(), 1);
  EXPECT_EQ(r.voided_not_found(0), a2);
  EXPECT_EQ(EventIds(kKeyA, "s-0042"), (std::vector<std::string>{a1, a2, a3}));

  // A dry run finds the event and removes nothing.
  status = ImportXapi(kKeyA, voiding, true, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(r.voided_events_size(), 1);
  EXPECT_EQ(r.voided_events(0).learner_id(), "s-0042");
  EXPECT_EQ(r.voided_events(0).event_id(), a2);
  EXPECT_EQ(r.learners_rescored(), 0u);
  EXPECT_EQ(EventIds(kKeyA, "s-0042"), (std::vector<std::string>{a1, a2, a3}));

  status = ImportXapi(kKeyA, voiding, false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.voiding(), 1u);
  ASSERT_EQ(r.voided_events_size(), 1);
  EXPECT_EQ(r.voided_events(0).event_id(), a2);
  EXPECT_EQ(r.learners_rescored(), 1u);
  EXPECT_EQ(EventIds(kKeyA, "s-0042"), (std::vector<std::string>{a1, a3}));
  // The learner's mastery is now a replay of the remaining events, and the wrong answer is gone
  // from it: partitioning is higher than before.
  ExpectMasteryEqualsReplay(*stubs_, kKeyA, "s-0042", graph);
  v1::GetMasteryResponse after;
  ASSERT_TRUE(stubs_->learners->GetMastery(Ctx(kKeyA).get(), mastery_request, &after).ok());
  ASSERT_EQ(after.competencies_size(), before.competencies_size());
  bool raised = false;
  for (int i = 0; i < after.competencies_size(); ++i) {
    raised = raised || after.competencies(i).p_learned() > before.competencies(i).p_learned();
  }
  EXPECT_TRUE(raised);

  // Voiding again: the id is gone, nothing changes.
  status = ImportXapi(kKeyA, voiding, false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.voided_events_size(), 0);
  EXPECT_EQ(r.voided_not_found_size(), 1);
  EXPECT_EQ(EventIds(kKeyA, "s-0042"), (std::vector<std::string>{a1, a3}));

  // Voiding a learner's only... every event deletes the learner.
  status = ImportXapi(kKeyA,
                      "[" + Voiding("6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7f02", a1) + "," +
                          Voiding("6a1f0c52-1b7e-4c3a-9d2e-0f4b5a6c7f03", a3) + "]",
                      false, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.voided_events_size(), 2);
  grpc::Status export_status;
  ExportEvents(*stubs_, kKeyA, "s-0042", &export_status);
  EXPECT_EQ(export_status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(StandardsServiceTest, CaliperMixedEnvelopeCountsEntitiesAndEvents) {
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  v1::ImportLearningRecordsRequest request;
  request.set_format(v1::ImportLearningRecordsRequest::CALIPER);
  request.set_records_json(
      ReadText(SharedDataPath("standards/caliper/v1p2_fixtures/caliperEnvelopeMixedBatch.json")));
  (*request.mutable_activity_map())
      ["https://example.edu/terms/201601/courses/7/sections/1/assess/1?ver=v1p0"] =
          "act.unit.pizza";
  v1::ImportLearningRecordsResponse r;
  grpc::Status status = standards_->ImportLearningRecords(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.records_read(), 7u);
  EXPECT_EQ(r.accepted(), 1u);
  EXPECT_EQ(r.recorded(), 1u);
  EXPECT_EQ(r.skipped().at("entity"), 4u);
  EXPECT_EQ(r.skipped().at("not-an-answer"), 2u);
  ASSERT_EQ(r.learner_ids_size(), 1);
  EXPECT_EQ(ExportEvents(*stubs_, kKeyA, r.learner_ids(0)).size(), 1u);

  request.set_format(v1::ImportLearningRecordsRequest::FORMAT_UNSPECIFIED);
  status = standards_->ImportLearningRecords(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(standards_->ImportLearningRecords(Ctx("").get(), request, &r).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(StandardsServiceTest, RealXapiFilesThroughTheService) {
  // DATASIM: answers by raw score only among thousands of non-answers. Its activity IRIs are not
  // in the fractions graph: refused as RecordEvents would, naming the statement.
  PutGraphOrFail(*stubs_, kKeyA, FractionsGraph());
  const std::string datasim =
      ReadText(SharedDataPath("standards/xapi/datasim_tccc_dev_statements.json"));
  v1::ImportLearningRecordsRequest request;
  request.set_format(v1::ImportLearningRecordsRequest::XAPI);
  request.set_records_json(datasim);
  request.set_dry_run(true);
  v1::ImportLearningRecordsResponse r;
  grpc::Status status = standards_->ImportLearningRecords(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_NE(status.error_message().find("is neither an activity nor a competency"),
            std::string::npos);

  // With a graph whose competencies are its activity IRIs it imports: 256 answers of 2,814.
  v1::Graph graph;
  std::set<std::string> iris;
  for (size_t at = datasim.find("\"object\""); at != std::string::npos;
       at = datasim.find("\"object\"", at + 1)) {
    const size_t id = datasim.find("\"id\"", at);
    const size_t open = datasim.find('"', datasim.find(':', id) + 1);
    iris.insert(datasim.substr(open + 1, datasim.find('"', open + 1) - open - 1));
  }
  for (const std::string& iri : iris) graph.add_competencies()->set_id(iri);
  PutGraphOrFail(*stubs_, kKeyB, graph);
  request.set_dry_run(false);
  status = standards_->ImportLearningRecords(Ctx(kKeyB).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.records_read(), 2814u);
  EXPECT_EQ(r.accepted(), 256u);
  EXPECT_EQ(r.recorded(), 256u);
  uint64_t skipped = 0;
  for (const auto& [reason, count] : r.skipped()) skipped += count;
  EXPECT_EQ(skipped, 2558u);
  EXPECT_EQ(r.skipped_by_verb().at("http://adlnet.gov/expapi/verbs/interacted"), 954u);
  EXPECT_EQ(r.learner_ids_size(), 6);
  size_t stored = 0;
  for (const std::string& learner : r.learner_ids()) {
    stored += ExportEvents(*stubs_, kKeyB, learner).size();
  }
  EXPECT_EQ(stored, 256u);

  // The Open edX bundle: rejected as a whole for its statement 59 (an Activity without id).
  request.set_records_json(
      ReadText(SharedDataPath("standards/xapi/openedx_erb_xapi_1p0p3_ALL_90_statements.json")));
  status = standards_->ImportLearningRecords(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("statement 59"), std::string::npos)
      << status.error_message();
}

// ---- Frameworks ---------------------------------------------------------------------------------

TEST_F(StandardsServiceTest, CaseFrameworkDryRunThenPutAsTheGraph) {
  v1::ImportFrameworkRequest request;
  request.set_format(v1::ImportFrameworkRequest::CASE);
  request.set_document(ReadText(
      SharedDataPath("standards/case/frameworks/smarterbalanced_math_content_spec_case1p0.json")));
  request.set_dry_run(true);
  v1::ImportFrameworkResponse r;
  grpc::Status status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.version(), 0);
  EXPECT_EQ(r.competencies(), 585);
  EXPECT_EQ(r.prerequisites(), 419);
  EXPECT_EQ(r.groups(), 151);
  EXPECT_EQ(r.records_read(), 585u);
  EXPECT_EQ(r.associations(), 3368u);
  EXPECT_EQ(r.associations_by_type().at("precedes"), 423u);
  EXPECT_EQ(r.aliases(), 914u);
  EXPECT_EQ(r.related(), 1460u);
  EXPECT_EQ(r.warnings_size(), 5);
  EXPECT_EQ(r.unknown_association_types_size(), 0);
  v1::GetGraphResponse graph;
  EXPECT_EQ(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &graph).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "a dry run put the graph";

  request.set_dry_run(false);
  request.set_expected_version(0);
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.version(), 1);
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &graph).ok());
  EXPECT_EQ(graph.graph().competencies_size(), 585);
  EXPECT_EQ(graph.graph().prerequisites_size(), 419);
  // expected_version as PutGraph's.
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  // Tenant B has no graph: A's import is not B's.
  EXPECT_EQ(stubs_->curriculum->GetGraph(Ctx(kKeyB).get(), {}, &graph).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(StandardsServiceTest, CaseSchemaViolationsAndUnknownAssociationTypes) {
  v1::ImportFrameworkRequest request;
  request.set_format(v1::ImportFrameworkRequest::CASE);
  const std::string teks = ReadText(
      SharedDataPath("standards/case/frameworks/tx_teks_math_ch111_official_case1p0.json"));
  request.set_document(teks);
  v1::ImportFrameworkResponse r;
  grpc::Status status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("document: CFDocument.subject"), std::string::npos)
      << status.error_message();
  request.set_case_version("1.0");
  request.set_dry_run(true);
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.competencies(), 1515);
  EXPECT_EQ(r.prerequisites(), 0);
  bool warned = false;
  for (const std::string& w : r.warnings())
    warned = warned || w.find("precedes") != std::string::npos;
  EXPECT_TRUE(warned) << "no warning that the framework has no prerequisites";

  // The OpenSALT demo with its string sequenceNumbers made integers: two exemplar associations.
  std::string demo = ReadText(
      SharedDataPath("standards/case/frameworks/opensalt_demo_what_standards_could_be.json"));
  for (size_t at = demo.find("\"sequenceNumber\": \""); at != std::string::npos;
       at = demo.find("\"sequenceNumber\": \"", at)) {
    const size_t open = at + std::string("\"sequenceNumber\": ").size();
    demo.erase(open, 1);
    demo.erase(demo.find('"', open), 1);
  }
  request.set_document(demo);
  request.set_case_version("");
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.competencies(), 16);
  EXPECT_EQ(r.prerequisites(), 2);
  ASSERT_EQ(r.unknown_association_types_size(), 1);
  EXPECT_EQ(r.unknown_association_types(0), "exemplar");
  EXPECT_EQ(r.associations_by_type().at("exemplar"), 2u);

  request.set_case_version("2.0");
  EXPECT_EQ(standards_->ImportFramework(Ctx(kKeyA).get(), request, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(StandardsServiceTest, EdFiLearningStandardsAsTheGraph) {
  v1::ImportFrameworkRequest request;
  request.set_format(v1::ImportFrameworkRequest::EDFI);
  request.set_document(ReadText(SourcePath("tests/data/standards/edfi_learning_standards.json")));
  v1::ImportFrameworkResponse r;
  grpc::Status status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.version(), 1);
  EXPECT_GT(r.competencies(), 0);
  EXPECT_GT(r.prerequisites(), 0);
  EXPECT_GT(r.groups(), 0);
  v1::GetGraphResponse graph;
  ASSERT_TRUE(stubs_->curriculum->GetGraph(Ctx(kKeyA).get(), {}, &graph).ok());
  EXPECT_EQ(graph.graph().competencies_size(), r.competencies());

  request.set_document(R"([{"learningStandardId": "A", "prerequisiteLearningStandards": [
      {"prerequisiteLearningStandardReference": {"learningStandardId": "B"}}]},
    {"learningStandardId": "B", "prerequisiteLearningStandards": [
      {"prerequisiteLearningStandardReference": {"learningStandardId": "A"}}]}])");
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  request.set_document(R"([{"description": "no id"}])");
  status = standards_->ImportFramework(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("document: [0]"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(graph.version(), 1);
}

// ---- Rosters and the class report ---------------------------------------------------------------

std::map<std::string, std::string> RosterFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files[entry.path().filename().string()] = ReadText(entry.path().string());
  }
  return files;
}

TEST_F(StandardsServiceTest, RealOneRosterExportDryRunAndImport) {
  v1::ImportRosterRequest request;
  for (const auto& [name, text] :
       RosterFiles(SharedDataPath("standards/oneroster/moodle_catalyst_v1p2_full_dataset"))) {
    (*request.mutable_files())[name] = text;
  }
  request.set_dry_run(true);
  v1::ImportRosterResponse r;
  grpc::Status status = standards_->ImportRoster(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(r.classes_size(), 1);
  EXPECT_EQ(r.classes(0).sourced_id(), "cls-222-123456");
  EXPECT_EQ(r.classes(0).title(), "Introduction to Physics");
  EXPECT_EQ(r.learners(), 2u);
  EXPECT_FALSE(r.replaced());
  EXPECT_GT(r.ignored_files_size(), 0);  // academicSessions.csv & co: not a roster's

  request.set_dry_run(false);
  status = standards_->ImportRoster(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(r.replaced());
  status = standards_->ImportRoster(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(r.replaced());

  // Without enrollments.csv: rejected naming the file.
  request.mutable_files()->erase("enrollments.csv");
  status = standards_->ImportRoster(Ctx(kKeyB).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("enrollments.csv"), std::string::npos)
      << status.error_message();
}

TEST(StandardsServiceRestartTest, RosterSurvivesARestartWithSqlite) {
  TempDir dir;
  app::ServerConfig config = TwoTenantConfig();
  config.store = "sqlite";
  config.data_dir = dir.path();
  const std::string report = SourcePath("tests/data/report/");
  v1::ImportRosterRequest request;
  for (const auto& [name, text] : RosterFiles(report + "roster")) {
    (*request.mutable_files())[name] = text;
  }
  v1::GetClassReportRequest class_b;
  class_b.set_class_id("cls-b");
  std::string before;
  {
    std::unique_ptr<PathwiseServer> server = StartServer(config);
    ASSERT_NE(server, nullptr);
    Stubs stubs(server->InProcessChannel());
    auto standards = v1::StandardsService::NewStub(server->InProcessChannel());
    v1::PutGraphRequest put;
    put.set_graph_json(ReadText(report + "graph.json"));
    v1::PutGraphResponse put_response;
    ASSERT_TRUE(stubs.curriculum->PutGraph(Ctx(kKeyA).get(), put, &put_response).ok());
    v1::ImportRosterResponse imported;
    ASSERT_TRUE(standards->ImportRoster(Ctx(kKeyA).get(), request, &imported).ok());
    v1::GetClassReportResponse r;
    grpc::Status status = standards->GetClassReport(Ctx(kKeyA).get(), class_b, &r);
    ASSERT_TRUE(status.ok()) << status.error_message();
    before = r.html();
  }
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  auto standards = v1::StandardsService::NewStub(server->InProcessChannel());
  v1::GetClassReportResponse r;
  grpc::Status status = standards->GetClassReport(Ctx(kKeyA).get(), class_b, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.learners(), 2u);
  EXPECT_EQ(r.html(), before);
  Stubs stubs(server->InProcessChannel());
  PutGraphOrFail(stubs, kKeyB, ChainGraph());
  EXPECT_EQ(standards->GetClassReport(Ctx(kKeyB).get(), class_b, &r).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "tenant B sees A's roster";
}

TEST_F(StandardsServiceTest, ClassReportIsTheLibrarysPageForTheClass) {
  const std::string dir = SourcePath("tests/data/report/");
  v1::PutGraphRequest put_graph;
  put_graph.set_graph_json(ReadText(dir + "graph.json"));
  v1::PutGraphResponse put_graph_response;
  ASSERT_TRUE(stubs_->curriculum->PutGraph(Ctx(kKeyA).get(), put_graph, &put_graph_response).ok());
  v1::PutModelRequest put_model;
  put_model.set_name("active");
  put_model.set_model_json(ReadText(dir + "model.json"));
  v1::PutModelResponse put_model_response;
  ASSERT_TRUE(stubs_->curriculum->PutModel(Ctx(kKeyA).get(), put_model, &put_model_response).ok());
  Result<std::vector<Observation>> events = ReadObservationsCsv(dir + "events.csv");
  ASSERT_OK(events);
  v1::RecordEventsRequest record;
  for (const Observation& o : *events) {
    *record.add_events() =
        MakeObservation(o.event_id, o.learner_id, o.activity_id, o.outcome, o.timestamp_ms);
  }
  v1::RecordEventsResponse recorded;
  ASSERT_TRUE(stubs_->learners->RecordEvents(Ctx(kKeyA).get(), record, &recorded).ok());

  v1::GetClassReportRequest request;
  request.set_class_id("cls-a");
  request.set_title("Maths 2A");
  v1::GetClassReportResponse r;
  // No roster yet.
  EXPECT_EQ(standards_->GetClassReport(Ctx(kKeyA).get(), request, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ImportRosterRequest roster_request;
  for (const auto& [name, text] : RosterFiles(dir + "roster")) {
    (*roster_request.mutable_files())[name] = text;
  }
  v1::ImportRosterResponse roster_response;
  ASSERT_TRUE(standards_->ImportRoster(Ctx(kKeyA).get(), roster_request, &roster_response).ok());

  grpc::Status status = standards_->GetClassReport(Ctx(kKeyA).get(), request, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.learners(), 3u);
  EXPECT_EQ(r.cohorts(), 2u);  // the class, then the whole class (cls-b has none of its learners)

  // What `pathwise report class --roster DIR --class cls-a` writes from the same files.
  Result<CompetencyGraph> graph = ReadGraphFile(dir + "graph.json");
  ASSERT_OK(graph);
  Result<BktModel> model = ReadModelFile(dir + "model.json");
  ASSERT_OK(model);
  Result<Roster> roster = ReadOneRosterDirectory(dir + "roster");
  ASSERT_OK(roster);
  Result<ClassReportInput> input = ClassReportInputForRoster(*roster, "cls-a", dir + "roster");
  ASSERT_OK(input);
  input->events = *events;
  ClassReportOptions options;
  options.title = "Maths 2A";
  Result<ClassReport> expected = BuildClassReport(*graph, *model, *input, options);
  ASSERT_OK(expected);
  EXPECT_EQ(r.events(), expected->events_applied);
  EXPECT_EQ(r.html(), ClassReportHtml(*expected));
  EXPECT_NE(r.html().find("Class cls-a &#39;Maths 2A&#39;"), std::string::npos);

  // A list of learners; one that the tenant does not have is NOT_FOUND, as another tenant's is.
  v1::GetClassReportRequest by_learners;
  by_learners.mutable_learner_ids()->add_ids("s1");
  by_learners.mutable_learner_ids()->add_ids("s4");
  status = standards_->GetClassReport(Ctx(kKeyA).get(), by_learners, &r);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(r.learners(), 2u);
  EXPECT_NE(r.html().find("<!DOCTYPE html>"), std::string::npos);
  PutGraphOrFail(*stubs_, kKeyB, ChainGraph());
  status = standards_->GetClassReport(Ctx(kKeyB).get(), by_learners, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("learner_ids[0]"), std::string::npos)
      << status.error_message();
  status = standards_->GetClassReport(Ctx(kKeyB).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << "B sees A's roster";
  request.set_class_id("cls-z");
  status = standards_->GetClassReport(Ctx(kKeyA).get(), request, &r);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(status.error_message().find("cls-a, cls-b"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(standards_->GetClassReport(Ctx(kKeyA).get(), {}, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace pathwise::service::testing
