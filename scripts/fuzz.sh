#!/usr/bin/env bash
# Fuzzes the targets in fuzz/ with libFuzzer (clang++, ASan + UBSan).
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]
#         Fuzzes each target (default: every target with a kept corpus) for SECONDS (default 60) and
#         keeps what it learned: new inputs that add coverage are merged into fuzz/corpus/<target>/,
#         which every build replays as tests (fuzz_replay_*). A crash stops the script with the
#         input that caused it, which belongs in the corpus once fixed.
#
#     scripts/fuzz.sh --ci [SECONDS] [TARGET...]
#         The short run CI does: every target of the build (or those named) for SECONDS (default 5)
#         each, from the kept corpus and the test fixtures, in a scratch copy under build-fuzz-ci/ci/,
#         so the tree is left as it was. Fails, after trying every target, if any crashed, timed
#         out, leaked or ran out of memory, naming the input and how to reproduce it.
#
# JOBS (default 2) is the build's parallelism. The file-parser targets need only the core and io
# libraries; the message and config targets (server_config, *_message) build the service too.
set -euo pipefail
cd "$(dirname "$0")/.."
ci=false
if [[ ${1:-} == --ci ]]; then
  ci=true
  shift
fi
seconds=${1:-$($ci && echo 5 || echo 60)}
shift || true
if [[ ! $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [--ci] [SECONDS] [TARGET...] (SECONDS a whole number, got '$seconds')" >&2
  exit 2
fi
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# CI's run builds apart, at -O1 with line tables only (as the ASan step in .ci/run): less
# compile time than -O2 -g, and a short run needs no more speed than that.
build=build-fuzz
flags=()
if $ci; then
  build=build-fuzz-ci
  flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -fno-omit-frame-pointer -DNDEBUG")
fi
cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" "${flags[@]}" -DPATHWISE_SANITIZE="address;undefined" -DPATHWISE_BUILD_FUZZERS=ON \
  -DPATHWISE_BUILD_TESTS=OFF -DPATHWISE_BUILD_BENCH=OFF -DPATHWISE_BUILD_TOOLS=OFF \
  -DPATHWISE_BUILD_PYTHON=OFF -DPATHWISE_INSTALL=OFF >/dev/null
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  if $ci; then
    # Every target this build has: the configure step writes a seed list for each.
    for list in $build/fuzz/seeds/*.txt; do targets+=("$(basename "$list" .txt)"); done
  else
    for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
  fi
fi
cmake --build $build -j "${JOBS:-2}" --target "${targets[@]/#/pathwise_fuzz_}"

# Copies the test fixtures the replay reads (fuzz/CMakeLists.txt) into $2: they are seeds too.
copy_seeds() {
  local seed
  while read -r seed; do
    [[ -z $seed ]] && continue
    if [[ -d $seed ]]; then cp -r "$seed"/. "$2"/; elif [[ -f $seed ]]; then cp "$seed" "$2"/; fi
  done <"$build/fuzz/seeds/$1.txt"
}

# Fuzzes target $1 for $seconds over the corpus directories after it (libFuzzer adds new inputs to
# the first), writing findings as $artifacts<kind>-<hash>. Returns non-zero, having said which
# input and how to reproduce it, when libFuzzer found something.
fuzz() {
  local target=$1 binary=$build/bin/pathwise_fuzz_$1 artifacts=$2 log=$2log
  shift 2
  rm -f "$artifacts"crash-* "$artifacts"timeout-* "$artifacts"leak-* "$artifacts"oom-*
  echo "== $target: $seconds s"
  # Inputs up to 4 KiB keep the kept corpus small; the seeds may be larger.
  local status=0
  "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts" -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' "$log" || true
  local found
  found=$(ls "$artifacts"crash-* "$artifacts"timeout-* "$artifacts"leak-* "$artifacts"oom-* \
    2>/dev/null || true)
  if [[ $status -ne 0 || -n $found ]]; then
    echo "FAILED $target (libFuzzer exit status $status); its output: $log"
    tail -n 30 "$log" | sed 's/^/    /'
    local input
    for input in $found; do
      echo "FAILED $target on input $input; reproduce: $binary $input"
    done
    return 1
  fi
}

failed=()
for target in "${targets[@]}"; do
  binary=$build/bin/pathwise_fuzz_$target
  if [[ ! -x $binary ]]; then
    echo "no fuzzer for $target (a service target needs the service build)"
    $ci && failed+=("$target")
    continue
  fi
  if $ci; then
    # A scratch corpus: the kept one is read, never written.
    work=$build/ci/$target
    rm -rf "$work"
    mkdir -p "$work"
    [[ -d fuzz/corpus/$target ]] && cp -r "fuzz/corpus/$target"/. "$work"/
    copy_seeds "$target" "$work"
    fuzz "$target" "$build/ci/$target-" "$work" || failed+=("$target")
  else
    work=$build/corpus/$target
    mkdir -p "$work" "fuzz/corpus/$target"
    copy_seeds "$target" "$work"
    fuzz "$target" "$build/$target-" "$work" "fuzz/corpus/$target" || exit 1
    "$binary" -merge=1 -max_len=4096 "fuzz/corpus/$target" "$work" 2>&1 |
      grep -E 'MERGE-OUTER: [0-9]+ new files' || true
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing failed: ${failed[*]}"
  exit 1
fi
echo "fuzzing found nothing in ${#targets[@]} targets, $seconds s each"
