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
#  3. run the folded repvgg-a0 on a random 1x3x224x224 input;
#  4. demo: upscale held-out pictures with the trained ecbsr-x2 (PSNR/SSIM
#     against bicubic) and push a 960x540 clip through `repconv video`.
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
  # ecbsr-x2 is ecbsr-m4c16-x2's network with trained weights: the same
  # kernels and times, so it is benchmarked once, under the random model.
  [ "$model" = ecbsr-x2 ] && continue
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
echo "== 4. demo: the trained ecbsr-x2 on held-out pictures and on a video clip (results in build/data)"
# Pictures the model never saw in training (tools/train/RESULTS.md), their
# LR made with the training degradation: PSNR/SSIM on Y against the HR
# picture, the model's and plain bicubic upscaling's.
for picture in chelsea camera; do
  build/repconv upscale ecbsr-x2 -i "tests/fixtures/images/${picture}_lr.png" -o "build/data/${picture}_x2.png" \
    --reference "tests/fixtures/images/${picture}_hr.png"
done
# A 960x540 4:2:0 clip through `repconv video` by pipes: ffmpeg's test
# pattern when ffmpeg is installed (tools/install-deps.sh installs it), else
# a synthetic clip of random frames written here.
clip=build/data/clip_960x540.y4m
frames=50
if command -v ffmpeg >/dev/null 2>&1; then
  ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=960x540:rate=25 -frames:v $frames -pix_fmt yuv420p \
    -f yuv4mpegpipe "$clip"
else
  echo "(ffmpeg not installed: a synthetic clip of random frames)"
  {
    printf 'YUV4MPEG2 W960 H540 F25:1 Ip A1:1 C420jpeg\n'
    for _ in $(seq $frames); do
      printf 'FRAME\n'
      head -c $((960 * 540 * 3 / 2)) /dev/urandom
    done
  } >"$clip"
fi
# frames/s with the output to /dev/null (an encoder in the pipe would share
# the cores), on 1 thread and on all cores; then once more into an mp4.
threads="1"
[ "$jobs" -gt 1 ] && threads="1 $jobs"
for t in $threads; do
  build/repconv video ecbsr-x2 "$clip" - --threads "$t" >/dev/null
done
if command -v ffmpeg >/dev/null 2>&1; then
  build/repconv video ecbsr-x2 "$clip" - --threads "$jobs" --quiet |
    ffmpeg -loglevel error -y -f yuv4mpegpipe -i - -c:v libx264 -preset veryfast build/data/clip_1920x1080.mp4
  echo "wrote build/data/clip_1920x1080.mp4"
fi

echo
echo "main: fold, benchmarks, run and demo took $((SECONDS - start)) s after the build"
