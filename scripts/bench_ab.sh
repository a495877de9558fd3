#!/usr/bin/env bash
# Compares two builds' Google Benchmark binaries by alternating runs on one pinned core.
#
#   scripts/bench_ab.sh BASE_BIN_DIR HEAD_BIN_DIR [ROUNDS] [BENCH...]
#
# Each round runs every benchmark binary from BASE, then from HEAD, so slow drifts of a shared machine
# hit both sides alike. Prints, per benchmark, the median real time of each side and the median and
# range of the per-round ratios head/base: a change is "within noise" when the range spans 1.
# Run from the source root (recommend_bench reads ../shared/data relative to it).
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: $0 BASE_BIN_DIR HEAD_BIN_DIR [ROUNDS] [BENCH...]" >&2
  exit 2
fi
base_dir=$1
head_dir=$2
rounds=${3:-4}
shift $(($# < 3 ? $# : 3))
benches=("$@")
[[ ${#benches[@]} -eq 0 ]] && benches=(tracker_bench recommend_bench)
min_time=${BENCH_AB_MIN_TIME:-0.3}
filter=${BENCH_AB_FILTER:-.}
# The last core, so the shell and the other core's neighbours disturb it least.
core=$(($(nproc) - 1))

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((round = 1; round <= rounds; ++round)); do
  for side in base head; do
    dir=$base_dir
    [[ $side == head ]] && dir=$head_dir
    for bench in "${benches[@]}"; do
      taskset -c "$core" "$dir/$bench" --benchmark_min_time="$min_time" \
        --benchmark_filter="$filter" --benchmark_format=json \
        >"$out/${bench}_${side}_${round}.json" 2>/dev/null
    done
  done
  echo "round $round of $rounds done" >&2
done

/usr/bin/python3 - "$out" <<'EOF'
import collections, glob, json, os, statistics, sys
out = sys.argv[1]
times = collections.defaultdict(lambda: collections.defaultdict(dict))
for path in glob.glob(os.path.join(out, "*.json")):
    stem = os.path.basename(path)[:-len(".json")]
    bench, side, round_ = stem.rsplit("_", 2)
    text = open(path).read()
    if not text.strip():  # the filter matched nothing in this binary
        continue
    for row in json.loads(text)["benchmarks"]:
        if row.get("run_type", "iteration") == "iteration":
            times[row["name"]][side][round_] = row["real_time"]
print(f"{'benchmark':48s} {'base':>10s} {'head':>10s}  ratio median (range)")
for name, sides in times.items():
    rounds = sorted(set(sides["base"]) & set(sides["head"]))
    if not rounds:
        continue
    ratios = [sides["head"][r] / sides["base"][r] for r in rounds]
    base = statistics.median(sides["base"][r] for r in rounds)
    head = statistics.median(sides["head"][r] for r in rounds)
    print(f"{name:48s} {base:10.1f} {head:10.1f}  {statistics.median(ratios):.3f} "
          f"({min(ratios):.3f}-{max(ratios):.3f})")
EOF
