// CASE CFPackage import: schema validation, every mapping rule and rejection, and the real
// frameworks in ../shared/data/standards/case.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/case_import.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using json = nlohmann::json;
using testing::SharedDataPath;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Framework(const std::string& name) {
  return SharedDataPath("standards/case/frameworks/" + name);
}

// Identifiers of a small hand-made package: a document, a domain with two standards, and a third
// standard at the top level.
const char kDoc[] = "d0000000-0000-4000-8000-000000000000";
const char kDomain[] = "d1000000-0000-4000-8000-000000000000";
const char kAdd[] = "a1000000-0000-4000-8000-000000000000";
const char kMul[] = "a2000000-0000-4000-8000-000000000000";
const char kPow[] = "a3000000-0000-4000-8000-000000000000";
const char kOutside[] = "e9000000-0000-4000-8000-000000000000";

json Link(const std::string& id) {
  return {{"title", "t"}, {"identifier", id}, {"uri", "https://case.example/uri/" + id}};
}

json Item(const std::string& id, const std::string& code, const std::string& statement) {
  return {{"identifier", id},
          {"uri", "https://case.example/uri/" + id},
          {"fullStatement", statement},
          {"humanCodingScheme", code},
          {"lastChangeDateTime", "2024-01-01T00:00:00Z"}};
}

json Association(int n, const std::string& type, const std::string& origin,
                 const std::string& destination) {
  char id[40];
  std::snprintf(id, sizeof(id), "c%07d-0000-4000-8000-000000000000", n);
  return {{"identifier", id},
          {"uri", std::string("https://case.example/uri/") + id},
          {"associationType", type},
          {"originNodeURI", Link(origin)},
          {"destinationNodeURI", Link(destination)},
          {"lastChangeDateTime", "2024-01-01T00:00:00Z"}};
}

json Package() {
  json package;
  package["CFDocument"] = {{"identifier", kDoc},
                           {"uri", std::string("https://case.example/uri/") + kDoc},
                           {"creator", "Pathwise tests"},
                           {"title", "Arithmetic"},
                           {"lastChangeDateTime", "2024-01-01T00:00:00Z"},
                           {"subject", {"Mathematics"}}};
  package["CFItems"] = {
      Item(kDomain, "A", "Arithmetic operations"), Item(kAdd, "A.1", "Add whole numbers"),
      Item(kMul, "A.2", "Multiply whole numbers"), Item(kPow, "B.1", "Raise to a power")};
  package["CFAssociations"] = {
      Association(1, "isChildOf", kDomain, kDoc),     Association(2, "isChildOf", kAdd, kDomain),
      Association(3, "isChildOf", kMul, kDomain),     Association(4, "isChildOf", kPow, kDoc),
      Association(5, "precedes", kAdd, kMul),         Association(6, "precedes", kMul, kPow),
      Association(7, "exactMatchOf", kAdd, kOutside), Association(8, "isRelatedTo", kPow, kAdd),
      Association(9, "exemplar", kMul, kOutside)};
  return package;
}

ImportedCase ImportOk(const json& package, const CaseImportOptions& options = {}) {
  Result<ImportedCase> imported = ParseCasePackage(package.dump(), "pkg.json", options);
  EXPECT_OK(imported);
  return imported.ok() ? std::move(imported).value() : ImportedCase{};
}

std::string ErrorOf(const json& package, const CaseImportOptions& options = {}) {
  Result<ImportedCase> imported = ParseCasePackage(package.dump(), "pkg.json", options);
  EXPECT_FALSE(imported.ok());
  return imported.status().message();
}

bool HasNote(const CaseImportReport& report, const std::string& path, const std::string& text) {
  for (const CaseNote& note : report.notes) {
    if (note.path == path && note.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(CaseImportTest, ItemsAreCompetenciesKeepingTheirIdentifiers) {
  const ImportedCase out = ImportOk(Package());
  const CompetencyGraph& graph = out.graph;
  EXPECT_EQ(graph.num_competencies(), 4u);
  const Competency* add = graph.FindCompetency(kAdd);
  ASSERT_NE(add, nullptr);
  EXPECT_EQ(add->name, "A.1");
  EXPECT_EQ(add->description, "Add whole numbers");
  EXPECT_EQ(out.report.document_id, kDoc);
  EXPECT_EQ(out.report.items, 4u);
}

TEST(CaseImportTest, ReportKeepsTheUriOfTheDocumentAndOfEveryItem) {
  const ImportedCase out = ImportOk(Package());
  EXPECT_EQ(out.report.uris.size(), 5u);
  EXPECT_EQ(out.report.uris.at(kDoc), std::string("https://case.example/uri/") + kDoc);
  EXPECT_EQ(out.report.uris.at(kMul), std::string("https://case.example/uri/") + kMul);
}

TEST(CaseImportTest, IsChildOfBecomesGroups) {
  const ImportedCase out = ImportOk(Package());
  const CompetencyGraph& graph = out.graph;
  EXPECT_EQ(graph.num_groups(), 2u);  // the document and the domain, which has children
  const Group* domain = graph.FindGroup(std::string("group:") + kDomain);
  ASSERT_NE(domain, nullptr);
  EXPECT_EQ(domain->parent, std::string("group:") + kDoc);
  EXPECT_EQ(graph.FindCompetency(kAdd)->group, std::string("group:") + kDomain);
  EXPECT_EQ(graph.FindCompetency(kPow)->group, std::string("group:") + kDoc);
  EXPECT_EQ(graph.GroupMembers(std::string("group:") + kDoc).size(), 4u);
}

TEST(CaseImportTest, PrecedesArePrerequisitesAndOtherLinksAreKeptButNotGating) {
  const ImportedCase out = ImportOk(Package());
  const CompetencyGraph& graph = out.graph;
  ASSERT_EQ(graph.num_prerequisites(), 2u);
  EXPECT_EQ(graph.PrerequisitesOf(kMul).at(0).from, kAdd);
  EXPECT_EQ(graph.PrerequisitesOf(kPow).at(0).from, kMul);
  // isRelatedTo pow -> add does not gate pow on add directly.
  for (const Prerequisite& edge : graph.PrerequisitesOf(kPow)) EXPECT_NE(edge.from, kAdd);
  ASSERT_EQ(out.report.aliases.size(), 1u);
  EXPECT_EQ(out.report.aliases[0].competency_id, kAdd);
  EXPECT_EQ(out.report.aliases[0].other_id, kOutside);
  ASSERT_EQ(out.report.related.size(), 1u);
  EXPECT_EQ(out.report.related[0].competency_id, kPow);
  EXPECT_EQ(out.report.related[0].other_id, kAdd);
  EXPECT_TRUE(
      HasNote(out.report, "CFAssociations[8]", "association type 'exemplar' is not imported"));
  EXPECT_EQ(out.report.associations_by_type.at("isChildOf"), 4u);
}

TEST(CaseImportTest, WithoutPrecedesItImportsWithAWarning) {
  json package = Package();
  json kept = json::array();
  for (const json& a : package["CFAssociations"]) {
    if (a["associationType"] != "precedes") kept.push_back(a);
  }
  package["CFAssociations"] = kept;
  const ImportedCase out = ImportOk(package);
  EXPECT_EQ(out.graph.num_prerequisites(), 0u);
  EXPECT_TRUE(HasNote(out.report, "CFAssociations", "the graph has no prerequisites"));
  EXPECT_FALSE(HasNote(ImportOk(Package()).report, "CFAssociations", "no prerequisites"));
}

TEST(CaseImportTest, AssociationsThatCannotBeImportedAreNotedAndSkipped) {
  json package = Package();
  auto& list = package["CFAssociations"];
  list.push_back(Association(10, "precedes", kAdd, kOutside));      // [9] external end
  list.push_back(Association(11, "precedes", kAdd, kAdd));          // [10] self-loop
  list.push_back(Association(12, "precedes", kAdd, kMul));          // [11] duplicate edge
  list.push_back(Association(13, "isChildOf", kAdd, kDoc));         // [12] second parent
  list.push_back(Association(14, "isChildOf", kOutside, kDomain));  // [13] child outside
  list.push_back(Association(15, "isChildOf", kMul, kOutside));     // [14] second parent as well
  list.push_back(Association(1, "isRelatedTo", kAdd, kMul));        // [15] duplicate identifier
  list.push_back(Association(16, "isChildOf", kPow, kDomain));      // [16] pow is the document's
  const ImportedCase out = ImportOk(package);
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[9]", "end outside the package"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[10]", "precedes itself"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[11]", "duplicate precedes"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[12]", "already has the parent"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[13]", "not a CFItem of the package"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[15]", "duplicate association identifier"));
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[16]",
                      "already has the parent '" + std::string(kDoc) + "'"));
  EXPECT_EQ(out.graph.FindCompetency(kPow)->group, std::string("group:") + kDoc);
  EXPECT_EQ(out.graph.num_prerequisites(), 2u);
  EXPECT_EQ(out.graph.FindCompetency(kAdd)->group, std::string("group:") + kDomain);
}

TEST(CaseImportTest, ParentOutsideThePackageLeavesTheItemAtTheTop) {
  json package = Package();
  package["CFAssociations"][3] = Association(4, "isChildOf", kPow, kOutside);
  const ImportedCase out = ImportOk(package);
  EXPECT_TRUE(HasNote(out.report, "CFAssociations[3]", "is outside the package"));
  EXPECT_EQ(out.graph.FindCompetency(kPow)->group, std::string("group:") + kDoc);
}

// --- rejections --------------------------------------------------------------------------------

TEST(CaseImportTest, SchemaViolationsAreNamedByJsonPath) {
  struct Case {
    std::function<void(json&)> mutate;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {[](json& p) { p.erase("CFDocument"); }, "pkg.json: CFDocument: missing (required)"},
      {[](json& p) { p["CFDocument"].erase("creator"); }, "CFDocument.creator: missing (required)"},
      {[](json& p) { p["CFDocument"]["title"] = 7; },
       "CFDocument.title: must be a string, got number"},
      {[](json& p) { p["CFDocument"]["identifier"] = "doc-1"; },
       "CFDocument.identifier: must be a UUID, got 'doc-1'"},
      {[](json& p) { p["CFItems"][1].erase("fullStatement"); },
       "CFItems[1].fullStatement: missing (required)"},
      {[](json& p) { p["CFItems"][2]["educationLevel"] = "05"; },
       "CFItems[2].educationLevel: must be an array of strings in CASE 1.1, got string"},
      {[](json& p) {
         p["CFItems"][0]["CFItemTypeURI"] = {{"title", "Domain"}};
       },
       "CFItems[0].CFItemTypeURI.identifier: missing (required)"},
      {[](json& p) { p["CFItems"] = json::object(); }, "CFItems: must be an array, got object"},
      {[](json& p) { p["CFItems"][3] = "x"; }, "CFItems[3]: must be an object"},
      {[](json& p) { p["CFAssociations"][4]["associationType"] = "requires"; },
       "CFAssociations[4].associationType: 'requires' is neither a CASE association type nor an "
       "extension"},
      {[](json& p) { p["CFAssociations"][4].erase("destinationNodeURI"); },
       "CFAssociations[4].destinationNodeURI: missing (required)"},
      {[](json& p) { p["CFAssociations"][4]["sequenceNumber"] = "1"; },
       "CFAssociations[4].sequenceNumber: must be an integer"},
      {[](json& p) {
         p["CFRubrics"] = {{{"uri", "u"}}};
       },
       "CFRubrics[0].identifier: missing"},
  };
  for (const Case& c : cases) {
    json package = Package();
    c.mutate(package);
    const std::string message = ErrorOf(package);
    EXPECT_NE(message.find(c.expected), std::string::npos)
        << "expected: " << c.expected << "\ngot: " << message;
    EXPECT_NE(message.find("nothing imported"), std::string::npos);
  }
}

TEST(CaseImportTest, Case10AllowsStringSubjectAndEducationLevel) {
  json package = Package();
  package["CFDocument"]["subject"] = "Mathematics";
  package["CFItems"][2]["educationLevel"] = "05";
  CaseImportOptions v10;
  v10.version = CaseVersion::kV1p0;
  EXPECT_EQ(ImportOk(package, v10).graph.num_competencies(), 4u);
  EXPECT_NE(ErrorOf(package).find("CFDocument.subject: must be an array of strings"),
            std::string::npos);
}

TEST(CaseImportTest, NullCountsAsAbsentAndUnknownKeysAreAccepted) {
  json package = Package();
  package["CFItems"][0]["notes"] = nullptr;
  package["CFItems"][0]["CFDocumentURI"] = Link(kDoc);  // CASE 1.0 exports carry it
  EXPECT_EQ(ImportOk(package).graph.num_competencies(), 4u);
}

TEST(CaseImportTest, DuplicateItemIdentifiersAreRejected) {
  json package = Package();
  package["CFItems"].push_back(Item(kAdd, "A.1bis", "Again"));
  EXPECT_NE(ErrorOf(package).find("CFItems[4].identifier: '" + std::string(kAdd) +
                                  "' is already used by CFItems[1]"),
            std::string::npos);
}

TEST(CaseImportTest, PrecedesCycleIsRejected) {
  json package = Package();
  package["CFAssociations"].push_back(Association(20, "precedes", kPow, kAdd));
  Result<ImportedCase> imported = ParseCasePackage(package.dump(), "pkg.json");
  ASSERT_FALSE(imported.ok());
  EXPECT_EQ(imported.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(imported.status().message().find("cycle"), std::string::npos);
}

TEST(CaseImportTest, SyntaxErrorAndMissingFile) {
  Result<ImportedCase> bad = ParseCasePackage("{\n  \"CFDocument\": ,", "pkg.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pkg.json:2:17: syntax error"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(ReadCasePackage("no/such/package.json").status().code(), StatusCode::kNotFound);
  std::string twice = Package().dump();
  twice.insert(twice.find("\"title\":\"Arithmetic\""), "\"title\":\"Other\",");
  Result<ImportedCase> ambiguous = ParseCasePackage(twice, "pkg.json");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_NE(ambiguous.status().message().find("pkg.json: CFDocument: key 'title' given twice"),
            std::string::npos)
      << ambiguous.status().message();
}

// --- real frameworks ---------------------------------------------------------------------------

TEST(CaseRealDataTest, TexasTeksIsCase10) {
  const std::string path = Framework("tx_teks_math_ch111_official_case1p0.json");
  Result<ImportedCase> strict = ReadCasePackage(path);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find(
                "CFDocument.subject: must be an array of strings in CASE 1.1, got string"),
            std::string::npos)
      << strict.status().message();
  CaseImportOptions v10;
  v10.version = CaseVersion::kV1p0;
  Result<ImportedCase> out = ReadCasePackage(path, v10);
  ASSERT_OK(out);
  EXPECT_EQ(out->graph.num_competencies(), 1515u);
  EXPECT_EQ(out->graph.num_prerequisites(), 0u);
  // 279 items have children, plus the document.
  EXPECT_EQ(out->graph.num_groups(), 280u);
  EXPECT_TRUE(HasNote(out->report, "CFAssociations", "no prerequisites"));
}

TEST(CaseRealDataTest, SmarterBalancedPrecedesAndLinks) {
  Result<ImportedCase> out =
      ReadCasePackage(Framework("smarterbalanced_math_content_spec_case1p0.json"));
  ASSERT_OK(out);
  const CaseImportReport& report = out->report;
  EXPECT_EQ(out->graph.num_competencies(), 585u);
  EXPECT_EQ(report.associations, 3368u);
  EXPECT_EQ(report.associations_by_type.at("precedes"), 423u);
  // 420 precedes lie inside the package; one of them is listed twice.
  EXPECT_EQ(out->graph.num_prerequisites(), 419u);
  EXPECT_EQ(report.aliases.size(), 914u);
  // One isRelatedTo repeats an association identifier and is skipped.
  EXPECT_EQ(report.related.size(), 1460u);
  EXPECT_EQ(out->graph.num_groups(), 151u);
  size_t external = 0;
  for (const CaseNote& note : report.notes) {
    if (note.message.find("end outside the package") != std::string::npos) ++external;
  }
  EXPECT_EQ(external, 3u);
}

TEST(CaseRealDataTest, OpenSaltDemoNeedsIntegerSequenceNumbers) {
  const std::string path = Framework("opensalt_demo_what_standards_could_be.json");
  Result<ImportedCase> strict = ReadCasePackage(path);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("CFAssociations[15].sequenceNumber: must be an integer"),
            std::string::npos);
  // With the two sequence numbers as integers, as the schema wants, the rest maps.
  json package = json::parse(ReadText(path));
  for (json& association : package["CFAssociations"]) {
    if (association.contains("sequenceNumber")) {
      association["sequenceNumber"] = std::stoi(association["sequenceNumber"].get<std::string>());
    }
  }
  const ImportedCase out = ImportOk(package);
  EXPECT_EQ(out.graph.num_competencies(), 16u);
  EXPECT_EQ(out.graph.num_prerequisites(), 2u);  // the third precedes leaves the package
  EXPECT_EQ(out.report.aliases.size(), 16u);
  EXPECT_EQ(out.report.related.size(), 2u);
  EXPECT_EQ(out.graph.num_groups(), 5u);
  size_t exemplars = 0;
  for (const CaseNote& note : out.report.notes) {
    if (note.message.find("'exemplar' is not imported") != std::string::npos) ++exemplars;
  }
  EXPECT_EQ(exemplars, 2u);
}

TEST(CaseRealDataTest, Case11PackageWithRubricsAndJapaneseText) {
  Result<ImportedCase> out =
      ReadCasePackage(Framework("compeito_fictional_university_case1p1_with_rubrics.json"));
  ASSERT_OK(out);
  EXPECT_EQ(out->graph.num_competencies(), 36u);
  EXPECT_EQ(out->graph.num_groups(), 16u);
  EXPECT_EQ(out->graph.FindCompetency("10000000-0000-0000-0000-000000000001")->description,
            "計算機科学の基礎");
}

}  // namespace
}  // namespace pathwise
