#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install missing packages,
# configure and build (Release) into build/, then fold every built-in model
# with --verify (printing its fold report and the folded-vs-unfolded
# difference) into build/data/MODEL.rcm, and run the folded RepVGG-A0 on a
# 1x3x224x224 input, printing the output summary and the run time.
set -eu
cd "$(dirname "$0")/.."

third_party/install-deps.sh
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

mkdir -p build/data

# --verify runs the model twice (folded and unfolded). Models whose
# train-time graph costs more than this at their default input size are
# folded and verified at a smaller input: H and W halved until it fits
# (ecbsr-m4c16-x2: 1x1x540x960, 42.8 GFLOPs -> 1x1x135x240, 2.7 GFLOPs).
# The folded .rcm then has that input size; `--shape` runs it at any other.
max_flops=10000000000

for model in $(build/repconv list); do
  shape_opt=""
  info="$(build/repconv info "$model")"
  # "FLOPs: 42.780 GFLOPs (42,780,441,600)" and the first input's shape.
  flops="$(printf '%s\n' "$info" | sed -n 's/^FLOPs: .*(\([0-9,]*\))$/\1/p' | tr -d ',')"
  shape="$(printf '%s\n' "$info" | sed -n '/^inputs/{n;p;q}' | awk '{print $2}')"
  if [ -n "$flops" ] && [ "$flops" -gt "$max_flops" ] && [[ "$shape" =~ ^([0-9]+)x([0-9]+)x([0-9]+)x([0-9]+)$ ]]; then
    n=${BASH_REMATCH[1]} c=${BASH_REMATCH[2]} h=${BASH_REMATCH[3]} w=${BASH_REMATCH[4]}
    while [ "$flops" -gt "$max_flops" ] && [ "$h" -ge 16 ] && [ "$w" -ge 16 ]; do
      h=$((h / 2)) w=$((w / 2)) flops=$((flops / 4))
    done
    shape_opt="--shape ${n}x${c}x${h}x${w}"
    echo "== $model: $shape is large for two reference runs; folding and verifying at ${n}x${c}x${h}x${w}"
  else
    echo "== $model"
  fi
  # shellcheck disable=SC2086 # shape_opt is empty or two words
  build/repconv fold "$model" -o "build/data/$model.rcm" --verify --threads "$jobs" $shape_opt
  echo
done

echo "== the folded repvgg-a0 (build/data/repvgg-a0.rcm) on a random 1x3x224x224 input"
build/repconv gen-input repvgg-a0 -o build/data/input.npy --seed 1
build/repconv run build/data/repvgg-a0.rcm --input build/data/input.npy --output build/data/output.npy
