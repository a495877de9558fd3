// The targets over the io library's parsers (files and standards imports).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <unistd.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/case_import.h>
#include <pathwise/io/edfi_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/learning_records.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/io/response_readers.h>

#include "targets.h"

namespace pathwise::fuzz {
namespace {

std::string_view Text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// A graph the library accepted must survive its own writer: written, read and built again, with
// the same counts.
void CheckGraphRoundTrip(const CompetencyGraph& graph) {
  Result<GraphDefinition> again = ParseGraphJson(WriteGraphJson(graph), "written");
  Check(again.ok(), "a written graph does not parse");
  Result<CompetencyGraph> rebuilt = CompetencyGraph::FromDefinition(std::move(again).value());
  Check(rebuilt.ok(), "a written graph does not build");
  Check(rebuilt->num_competencies() == graph.num_competencies() &&
            rebuilt->num_prerequisites() == graph.num_prerequisites() &&
            rebuilt->num_activities() == graph.num_activities() &&
            rebuilt->num_groups() == graph.num_groups(),
        "a written graph reads back with other counts");
}

void CheckObservations(const std::vector<Observation>& observations) {
  for (const Observation& o : observations) {
    Check(!o.learner_id.empty() && !o.activity_id.empty(), "an accepted observation has no id");
    Check(std::isfinite(o.outcome) && o.outcome >= 0.0 && o.outcome <= 1.0,
          "an accepted outcome is outside [0, 1]");
  }
}

// One file per process for the inputs of the readers that take a path, removed at exit.
struct TemporaryFile {
  TemporaryFile() {
    // The system's temporary directory (TMPDIR when set), with a name unique to this process.
    std::string name = (std::filesystem::temp_directory_path() / "pathwise_fuzz_XXXXXX").string();
    const int fd = mkstemp(name.data());
    Check(fd >= 0, "no temporary file");
    close(fd);
    path = name;
  }
  ~TemporaryFile() { std::remove(path.c_str()); }
  std::string path;
};

}  // namespace

void Check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

int GraphJson(const uint8_t* data, size_t size) {
  Result<GraphDefinition> definition = ParseGraphJson(Text(data, size), "fuzz");
  if (!definition.ok()) return 0;
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(definition).value());
  if (graph.ok()) CheckGraphRoundTrip(*graph);
  return 0;
}

int ModelJson(const uint8_t* data, size_t size) {
  Result<BktModel> model = ParseModelJson(Text(data, size), "fuzz");
  if (!model.ok()) return 0;
  // The writer's output is a fixed point: read and written again, it is the same text.
  const std::string written = WriteModelJson(*model);
  Result<BktModel> again = ParseModelJson(written, "written");
  Check(again.ok(), "a written model does not parse");
  Check(WriteModelJson(*again) == written, "a written model reads back as another model");
  return 0;
}

int ObservationsCsv(const uint8_t* data, size_t size) {
  Result<std::vector<Observation>> observations = ParseObservationsCsv(Text(data, size), "fuzz");
  if (observations.ok()) CheckObservations(*observations);
  return 0;
}

int ResponseLogFile(const uint8_t* data, size_t size) {
  // The readers take a path (they stream large files): the input goes to one file per process.
  // The first byte picks the format and whether bad rows are skipped.
  if (size == 0) return 0;
  static const TemporaryFile file_for_input;
  const std::string& path = file_for_input.path;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  Check(file != nullptr, "temporary file not writable");
  std::fwrite(data + 1, 1, size - 1, file);
  std::fclose(file);
  static constexpr LogFormat kFormats[] = {LogFormat::kPyBkt, LogFormat::kDataShop,
                                           LogFormat::kDkvmn, LogFormat::kHmmsc};
  ReadOptions options;
  options.skip_bad_rows = (data[0] & 4) != 0;
  Result<pathwise::ResponseLog> log = ReadResponseLog(path, kFormats[data[0] & 3], options);
  (void)log;
  return 0;
}

int XapiStatements(const uint8_t* data, size_t size) {
  LearningRecordOptions options;
  options.completion_as_outcome = size % 2 == 1;
  Result<ImportedObservations> imported = ParseXapiStatements(Text(data, size), "fuzz", options);
  if (imported.ok()) CheckObservations(imported->observations);
  return 0;
}

int CaliperEvents(const uint8_t* data, size_t size) {
  Result<ImportedObservations> imported = ParseCaliperEvents(Text(data, size), "fuzz");
  if (imported.ok()) CheckObservations(imported->observations);
  return 0;
}

int CasePackage(const uint8_t* data, size_t size) {
  Result<ImportedCase> imported = ParseCasePackage(Text(data, size), "fuzz");
  if (imported.ok()) CheckGraphRoundTrip(imported->graph);
  return 0;
}

int EdFiStandards(const uint8_t* data, size_t size) {
  Result<ImportedEdFi> imported = ParseEdFiLearningStandards(Text(data, size), "fuzz");
  if (imported.ok()) CheckGraphRoundTrip(imported->graph);
  return 0;
}

}  // namespace pathwise::fuzz
