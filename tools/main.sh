#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install missing packages,
# configure and build (Release) into build/, then
#  1. fold every built-in model with --verify into build/data/MODEL.rcm,
#     printing a brief report per model (header, totals, verdict; the full
#     per-region report lands in build/data/MODEL.fold.txt);
#  2. benchmark every built-in model unfolded vs bn-fused vs folded with
#     `repconv bench` (interleaved in one process, backend auto) on 1 thread
#     and on all cores, printing the tables; JSON in build/data/bench-*.json
#     and, when gnuplot is installed, the chart build/data/bench.png;
#  3. run the folded repvgg-a0 on a random 1x3x224x224 input.
# About 3 minutes on 2 cores, build included (see README.md).
set -eu
cd "$(dirname "$0")/.."

third_party/install-deps.sh
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

mkdir -p build/data
start=$SECONDS

echo
echo "== 1. fold every built-in model (--verify: folded vs unfolded on one random input)"
echo "   full reports: build/data/MODEL.fold.txt and .fold.json"
for model in $(build/repconv list); do
  echo
  if ! build/repconv fold "$model" -o "build/data/$model.rcm" --verify --threads "$jobs" \
    --json "build/data/$model.fold.json" >"build/data/$model.fold.txt"; then
    cat "build/data/$model.fold.txt"
    exit 1
  fi
  sed -n -e '/^fold report:/p' -e '/^totals:/,/^  params/p' -e '/^verify: max/p' -e '/^wrote /p' \
    "build/data/$model.fold.txt"
done

# --runs 5: five interleaved rounds per form after the warm-up (the median
# is the third of five): enough to separate the forms, whose medians differ
# by 1.3x to 15x, and it keeps the job at about 3 minutes on 2 cores. Every
# model runs at its default input size; ecbsr-m4c16-x2 at 1x1x540x960 is the
# longest part (about 2.3 s per round on 1 thread, most of it the unfolded
# and bn-fused forms).
runs=5
echo
echo "== 2. benchmark: unfolded vs bn-fused vs folded, interleaved in one process (--runs $runs, backend auto)"
results=()
for model in $(build/repconv list); do
  thread_counts="1"
  [ "$jobs" -gt 1 ] && thread_counts="1 $jobs"
  for t in $thread_counts; do
    json="build/data/bench-$model-t$t.json"
    echo
    build/repconv bench "$model" --threads "$t" --runs "$runs" --json "$json"
    results+=("$json")
  done
done
if command -v gnuplot >/dev/null 2>&1; then
  echo
  bench/chart.sh build/data/bench.png "${results[@]}"
else
  echo
  echo "(no chart: gnuplot is not installed; 'apt-get install gnuplot-nox', then"
  echo " bench/chart.sh build/data/bench.png build/data/bench-*.json)"
fi

echo
echo "== 3. the folded repvgg-a0 (build/data/repvgg-a0.rcm) on a random 1x3x224x224 input"
build/repconv gen-input repvgg-a0 -o build/data/input.npy --seed 1
build/repconv run build/data/repvgg-a0.rcm --input build/data/input.npy --output build/data/output.npy
echo
echo "main: fold, benchmarks and run took $((SECONDS - start)) s after the build"
