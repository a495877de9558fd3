// Ed-Fi LearningStandard resources (API JSON): every mapping rule and rejection. The Ed-Fi samples
// in ../shared/data/standards/edfi are XML bulk interchanges without parents or prerequisites, so
// the resources here are written by hand in the shape GET /ed-fi/learningStandards returns.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/edfi_import.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

using json = nlohmann::json;

json Standard(const std::string& id, const std::string& parent = "",
              const std::vector<std::string>& prerequisites = {}) {
  json standard = {
      {"id", "0f7a" + std::to_string(id.size())},
      {"learningStandardId", id},
      {"namespace", "uri://ed-fi.org/LearningStandard"},
      {"description", "Standard " + id},
      {"gradeLevels",
       {{{"gradeLevelDescriptor", "uri://ed-fi.org/GradeLevelDescriptor#Fifth grade"}}}}};
  if (!parent.empty()) {
    standard["parentLearningStandardReference"] = {
        {"learningStandardId", parent},
        {"link", {{"rel", "LearningStandard"}, {"href", "/ed-fi/learningStandards/x"}}}};
  }
  if (!prerequisites.empty()) {
    json list = json::array();
    for (const std::string& p : prerequisites) {
      list.push_back({{"prerequisiteLearningStandardReference", {{"learningStandardId", p}}}});
    }
    standard["prerequisiteLearningStandards"] = list;
  }
  return standard;
}

json Standards() {
  return json::array({Standard("MATH.5"), Standard("MATH.5.NF", "MATH.5"),
                      Standard("MATH.5.NF.1", "MATH.5.NF"),
                      Standard("MATH.5.NF.2", "MATH.5.NF", {"MATH.5.NF.1"}),
                      Standard("MATH.5.NF.3", "", {"MATH.5.NF.2", "MATH.5.NF.1"})});
}

ImportedEdFi ImportOk(const json& resources) {
  Result<ImportedEdFi> out = ParseEdFiLearningStandards(resources.dump(), "standards.json");
  EXPECT_OK(out);
  return out.ok() ? std::move(out).value() : ImportedEdFi{};
}

std::string ErrorOf(const json& resources) {
  Result<ImportedEdFi> out = ParseEdFiLearningStandards(resources.dump(), "standards.json");
  EXPECT_FALSE(out.ok());
  return out.status().message();
}

bool HasNote(const ImportedEdFi& out, const std::string& text) {
  for (const std::string& note : out.notes) {
    if (note.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(EdFiImportTest, StandardsAreCompetenciesParentsAreGroups) {
  const ImportedEdFi out = ImportOk(Standards());
  const CompetencyGraph& graph = out.graph;
  EXPECT_EQ(out.standards, 5u);
  EXPECT_EQ(graph.num_competencies(), 5u);
  EXPECT_EQ(graph.FindCompetency("MATH.5.NF.1")->description, "Standard MATH.5.NF.1");
  EXPECT_EQ(graph.num_groups(), 2u);  // MATH.5 and MATH.5.NF have children
  EXPECT_EQ(graph.FindGroup("group:MATH.5.NF")->parent, "group:MATH.5");
  EXPECT_EQ(graph.FindCompetency("MATH.5.NF.1")->group, "group:MATH.5.NF");
  EXPECT_EQ(graph.FindCompetency("MATH.5.NF")->group, "group:MATH.5");
  EXPECT_EQ(graph.FindCompetency("MATH.5.NF.3")->group, "");
  EXPECT_EQ(graph.GroupMembers("group:MATH.5").size(), 3u);
}

TEST(EdFiImportTest, PrerequisiteLearningStandardsArePrerequisites) {
  const ImportedEdFi out = ImportOk(Standards());
  const CompetencyGraph& graph = out.graph;
  EXPECT_EQ(graph.num_prerequisites(), 3u);
  ASSERT_EQ(graph.PrerequisitesOf("MATH.5.NF.2").size(), 1u);
  EXPECT_EQ(graph.PrerequisitesOf("MATH.5.NF.2")[0].from, "MATH.5.NF.1");
  EXPECT_EQ(graph.PrerequisitesOf("MATH.5.NF.3").size(), 2u);
  EXPECT_FALSE(HasNote(out, "no prerequisites"));
}

TEST(EdFiImportTest, WithoutPrerequisitesItImportsWithAWarning) {
  const ImportedEdFi out = ImportOk(json::array({Standard("A"), Standard("B", "A")}));
  EXPECT_EQ(out.graph.num_prerequisites(), 0u);
  EXPECT_TRUE(HasNote(out, "the graph has no prerequisites"));
}

TEST(EdFiImportTest, ASingleResourceIsAccepted) {
  EXPECT_EQ(ImportOk(Standard("A")).graph.num_competencies(), 1u);
}

TEST(EdFiImportTest, UnusableReferencesAreNotedAndSkipped) {
  json standards = Standards();
  standards.push_back(Standard("X", "NOT.HERE", {"ALSO.NOT.HERE", "X", "MATH.5", "MATH.5"}));
  standards.push_back(Standard("Y", "Y"));
  const ImportedEdFi out = ImportOk(standards);
  EXPECT_TRUE(HasNote(out,
                      "[5].parentLearningStandardReference: parent 'NOT.HERE' of 'X' is not in "
                      "the file"));
  EXPECT_TRUE(HasNote(out,
                      "[5].prerequisiteLearningStandards[0].prerequisiteLearningStandardReference: "
                      "prerequisite 'ALSO.NOT.HERE' is not in the file"));
  EXPECT_TRUE(HasNote(out,
                      "[5].prerequisiteLearningStandards[1].prerequisiteLearningStandardReference: "
                      "'X' is its own prerequisite"));
  EXPECT_TRUE(HasNote(out,
                      "[5].prerequisiteLearningStandards[3].prerequisiteLearningStandardReference: "
                      "prerequisite 'MATH.5' is given twice"));
  EXPECT_TRUE(HasNote(out, "parent 'Y' of 'Y' is the standard itself"));
  EXPECT_EQ(out.graph.PrerequisitesOf("X").size(), 1u);
  EXPECT_EQ(out.graph.FindCompetency("X")->group, "");
}

TEST(EdFiImportTest, MalformedResourcesAreRejectedWithPaths) {
  json standards = Standards();
  standards.push_back(42);
  standards.push_back({{"description", "no id"}});
  standards.push_back(Standard("MATH.5"));
  json bad_reference = Standard("Z");
  bad_reference["parentLearningStandardReference"] = {{"namespace", "x"}};
  bad_reference["prerequisiteLearningStandards"] = {{{"learningStandardId", "MATH.5"}}};
  bad_reference["description"] = 3;
  standards.push_back(bad_reference);
  json bad_list = Standard("W");
  bad_list["prerequisiteLearningStandards"] = "MATH.5";
  standards.push_back(bad_list);
  const std::string message = ErrorOf(standards);
  for (const char* expected :
       {"standards.json: [5]: a LearningStandard must be a JSON object",
        "standards.json: [6].learningStandardId: missing",
        "standards.json: [7].learningStandardId: 'MATH.5' is given twice (first at [0])",
        "standards.json: [8].description: must be a string",
        "standards.json: [8].parentLearningStandardReference.learningStandardId: missing",
        "standards.json: [8].prerequisiteLearningStandards[0]."
        "prerequisiteLearningStandardReference: missing",
        "standards.json: [9].prerequisiteLearningStandards: must be an array",
        "nothing imported"}) {
    EXPECT_NE(message.find(expected), std::string::npos) << expected << "\ngot: " << message;
  }
}

TEST(EdFiImportTest, CyclesAreRejected) {
  Result<ImportedEdFi> prerequisites = ParseEdFiLearningStandards(
      json::array({Standard("A", "", {"B"}), Standard("B", "", {"A"})}).dump(), "s.json");
  ASSERT_FALSE(prerequisites.ok());
  EXPECT_EQ(prerequisites.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(prerequisites.status().message().find("cycle"), std::string::npos);
  Result<ImportedEdFi> parents = ParseEdFiLearningStandards(
      json::array({Standard("A", "B"), Standard("B", "A")}).dump(), "s.json");
  ASSERT_FALSE(parents.ok());
  EXPECT_NE(parents.status().message().find("cycle"), std::string::npos)
      << parents.status().message();
}

TEST(EdFiImportTest, SyntaxErrorAndMissingFile) {
  Result<ImportedEdFi> bad = ParseEdFiLearningStandards("[{\"learningStandardId\": }]", "s.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("s.json:1:25: syntax error"), std::string::npos)
      << bad.status().message();
  EXPECT_EQ(ReadEdFiLearningStandards("no/such/file.json").status().code(), StatusCode::kNotFound);
}

// --- XML interchange ---------------------------------------------------------------------------

const char kXml[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- an InterchangeStandards in the shape of the Ed-Fi samples -->
<InterchangeStandards xmlns="http://ed-fi.org/5.2.0" xmlns:ann="http://ed-fi.org/annotation">
  <LearningStandard>
    <LearningStandardId>CC.5.NF</LearningStandardId>
    <Description>Fractions &amp; decimals: a &lt; b, caf&#233; &#x2192; <![CDATA[x < y]]></Description>
  </LearningStandard>
  <LearningStandard>
    <LearningStandardId>CC.5.NF.1</LearningStandardId>
    <Description>Add fractions.</Description>
    <ParentLearningStandardReference>
      <LearningStandardIdentity>
        <LearningStandardId>CC.5.NF</LearningStandardId>
      </LearningStandardIdentity>
    </ParentLearningStandardReference>
    <GradeLevel attr="a>b">uri://ed-fi.org/GradeLevelDescriptor#Fifth grade</GradeLevel>
  </LearningStandard>
  <LearningStandardEquivalenceAssociation>
    <SourceLearningStandardReference><LearningStandardIdentity>
      <LearningStandardId>CC.5.NF.1</LearningStandardId>
    </LearningStandardIdentity></SourceLearningStandardReference>
    <TargetLearningStandardReference><LearningStandardIdentity>
      <LearningStandardId>CC.5.NF</LearningStandardId>
    </LearningStandardIdentity></TargetLearningStandardReference>
    <Namespace/>
  </LearningStandardEquivalenceAssociation>
</InterchangeStandards>
)";

TEST(EdFiXmlTest, LearningStandardElementsMapAsTheApiResources) {
  Result<ImportedEdFi> out = ParseEdFiLearningStandards(kXml, "standards.xml");
  ASSERT_OK(out);
  EXPECT_EQ(out->standards, 2u);
  EXPECT_EQ(out->graph.FindCompetency("CC.5.NF")->description,
            "Fractions & decimals: a < b, caf\u00e9 \u2192 x < y");
  EXPECT_EQ(out->graph.FindCompetency("CC.5.NF.1")->group, "group:CC.5.NF");
  ASSERT_EQ(out->equivalences.size(), 1u);
  EXPECT_EQ(out->equivalences[0], std::make_pair(std::string("CC.5.NF.1"), std::string("CC.5.NF")));
}

TEST(EdFiXmlTest, MalformedXmlIsRejectedWithLineAndColumn) {
  struct Case {
    std::string xml, expected;
  };
  const std::vector<Case> cases = {
      {"<I>\n  <LearningStandard></Learning>\n</I>",
       "x.xml:2:21: end tag </Learning> does not match <LearningStandard>"},
      {"<I><LearningStandard><Description>a &nbsp; b</Description></LearningStandard></I>",
       "unknown entity &nbsp;"},
      {"<I><LearningStandard>", "element <LearningStandard> is not closed"},
      {"<!DOCTYPE I>\n<I/>", "x.xml:1:1: DTDs are not supported"},
      {"<I><!-- open", "x.xml:1:4: unterminated markup"},
      {"<I>\n<LearningStandard>\n<Description>x</Description>\n</LearningStandard></I>",
       "x.xml: LearningStandard[0] (line 2).learningStandardId: missing"},
  };
  for (const Case& c : cases) {
    Result<ImportedEdFi> out = ParseEdFiLearningStandards(c.xml, "x.xml");
    ASSERT_FALSE(out.ok()) << c.xml;
    EXPECT_NE(out.status().message().find(c.expected), std::string::npos)
        << "expected: " << c.expected << "\ngot: " << out.status().message();
  }
}

TEST(EdFiRealDataTest, GrandBendStandardsXml) {
  Result<ImportedEdFi> out =
      ReadEdFiLearningStandards(testing::SharedDataPath("standards/edfi/Standards.xml"));
  ASSERT_OK(out);
  EXPECT_EQ(out->standards, 5597u);
  EXPECT_EQ(out->graph.num_competencies(), 5597u);
  // The sample has neither parent references nor prerequisites (Ed-Fi XML has no such element).
  EXPECT_EQ(out->graph.num_groups(), 0u);
  EXPECT_EQ(out->graph.num_prerequisites(), 0u);
  EXPECT_TRUE(HasNote(*out, "the graph has no prerequisites"));
  ASSERT_EQ(out->equivalences.size(), 4u);
  EXPECT_EQ(out->equivalences[1],
            std::make_pair(std::string("111.14.2.1.B"), std::string("CC.3.NBT.2")));
  const Competency* first = out->graph.FindCompetency("110.13.1.A");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->description.rfind("distinguish features of a sentence", 0), 0u);
}

}  // namespace
}  // namespace pathwise
