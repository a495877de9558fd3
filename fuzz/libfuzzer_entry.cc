// One libFuzzer binary per target: PATHWISE_FUZZ_TARGET names the target's function (CMake sets
// it).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return pathwise::fuzz::PATHWISE_FUZZ_TARGET(data, size);
}
