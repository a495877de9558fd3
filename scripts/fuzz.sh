#!/usr/bin/env bash
# Fuzzes every target in fuzz/ with libFuzzer (clang++, ASan + UBSan) for SECONDS each (default 60)
# and keeps what it learned: new inputs that add coverage are merged into fuzz/corpus/<target>/,
# which every build replays as tests (fuzz_replay_*). A crash stops the script with the input that
# caused it (crash-*), which belongs in the corpus once fixed.
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" -DPATHWISE_SANITIZE="address;undefined" -DPATHWISE_BUILD_FUZZERS=ON \
  -DPATHWISE_BUILD_TESTS=OFF -DPATHWISE_BUILD_BENCH=OFF -DPATHWISE_BUILD_TOOLS=OFF \
  -DPATHWISE_BUILD_PYTHON=OFF -DPATHWISE_INSTALL=OFF >/dev/null
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi
cmake --build build-fuzz -j "${JOBS:-2}" --target "${targets[@]/#/pathwise_fuzz_}"
for target in "${targets[@]}"; do
  binary=build-fuzz/bin/pathwise_fuzz_$target
  [[ -x $binary ]] || { echo "no fuzzer for $target (a service target needs the service build)"; continue; }
  work=build-fuzz/corpus/$target
  mkdir -p "$work" "fuzz/corpus/$target"
  # The test fixtures the replay reads (fuzz/CMakeLists.txt) are seeds as well.
  while read -r seed; do
    [[ -z $seed ]] && continue
    if [[ -d $seed ]]; then cp -r "$seed"/. "$work"/; elif [[ -f $seed ]]; then cp "$seed" "$work"/; fi
  done < "build-fuzz/fuzz/seeds/$target.txt"
  echo "== $target: $seconds s"
  # Inputs up to 4 KiB keep the kept corpus small; the seeds may be larger.
  "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build-fuzz/$target-" -print_final_stats=1 "$work" "fuzz/corpus/$target" \
    2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' || true
  ls build-fuzz/"$target"-crash-* build-fuzz/"$target"-timeout-* 2>/dev/null && exit 1
  "$binary" -merge=1 -max_len=4096 "fuzz/corpus/$target" "$work" 2>&1 | grep -E 'MERGE-OUTER: [0-9]+ new files' || true
done
