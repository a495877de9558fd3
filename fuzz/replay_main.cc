// Runs files through a fuzz target, as libFuzzer runs a corpus, without libFuzzer: a regression
// test of the kept corpora in every build (and under ASan + UBSan in CI).
//
//     pathwise_fuzz_replay TARGET PATH...   (a PATH that is a directory: every file below it)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "targets.h"

namespace {

int RunFile(pathwise::fuzz::Target target, const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: cannot be read\n", path.c_str());
    return 1;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  target(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TARGET PATH...\n", argv[0]);
    return 2;
  }
  const std::string name = argv[1];
  pathwise::fuzz::Target target = nullptr;
  for (const pathwise::fuzz::NamedTarget& t : pathwise::fuzz::AllTargets()) {
    if (t.name == name) target = t.target;
  }
  if (target == nullptr) {
    std::fprintf(stderr, "unknown target '%s'; the targets:", name.c_str());
    for (const auto& t : pathwise::fuzz::AllTargets())
      std::fprintf(stderr, " %.*s", static_cast<int>(t.name.size()), t.name.data());
    std::fprintf(stderr, "\n");
    return 2;
  }
  size_t files = 0;
  int failures = 0;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path path = argv[i];
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (!entry.is_regular_file()) continue;
        failures += RunFile(target, entry.path());
        ++files;
      }
    } else {
      failures += RunFile(target, path);
      ++files;
    }
  }
  // An empty corpus would make the test pass while checking nothing.
  if (files == 0) {
    std::fprintf(stderr, "%s: no input files\n", name.c_str());
    return 1;
  }
  std::printf("%s: %zu inputs, every one returned\n", name.c_str(), files);
  return failures == 0 ? 0 : 1;
}
