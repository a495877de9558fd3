// Fuzz targets: arbitrary bytes into each of Pathwise's parsers of outside input (files, imports,
// the service's config and wire messages). A target returns normally for every input: a parser
// must answer with a Status, never crash, hang or read out of bounds; where it accepts, the result
// must keep its documented invariants (a written graph or model reads back the same), which the
// targets check with Check (an abort that libFuzzer reports as a crash).
//
// Each target is built two ways (fuzz/CMakeLists.txt): as a libFuzzer binary with clang
// (PATHWISE_BUILD_FUZZERS, scripts/fuzz.sh) and, in every build with tests, into
// pathwise_fuzz_replay, which runs the kept corpora (fuzz/corpus/<target>/) and the test fixtures
// through the targets as ordinary tests.
#ifndef PATHWISE_FUZZ_TARGETS_H_
#define PATHWISE_FUZZ_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pathwise::fuzz {

/// libFuzzer's signature: 0 for every input (-1 would ask libFuzzer not to keep it).
using Target = int (*)(const uint8_t* data, size_t size);

struct NamedTarget {
  std::string_view name;  ///< the corpus directory's name, fuzz/corpus/<name>/
  Target target;
};

/// Every target of this build (the service's only with PATHWISE_BUILD_SERVICE).
const std::vector<NamedTarget>& AllTargets();

/// Aborts with `what` when `condition` is false: a broken invariant is a finding.
void Check(bool condition, const char* what);

int GraphJson(const uint8_t* data, size_t size);
int ModelJson(const uint8_t* data, size_t size);
int ObservationsCsv(const uint8_t* data, size_t size);
int ResponseLogFile(const uint8_t* data, size_t size);
int XapiStatements(const uint8_t* data, size_t size);
int CaliperEvents(const uint8_t* data, size_t size);
int CasePackage(const uint8_t* data, size_t size);
int EdFiStandards(const uint8_t* data, size_t size);
#ifdef PATHWISE_FUZZ_SERVICE
int ServerConfigJson(const uint8_t* data, size_t size);
int GraphMessage(const uint8_t* data, size_t size);
int ModelMessage(const uint8_t* data, size_t size);
int EventsMessage(const uint8_t* data, size_t size);
#endif

}  // namespace pathwise::fuzz

#endif  // PATHWISE_FUZZ_TARGETS_H_
