#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install missing packages,
# configure and build (Release) into build/, then show the built-in
# train-time RepVGG-A0 and run it on a 1x3x224x224 input, printing the output
# summary and the run time.
set -eu
cd "$(dirname "$0")/.."

third_party/install-deps.sh
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

mkdir -p build/data
build/repconv info repvgg-a0
build/repconv gen-input repvgg-a0 -o build/data/input.npy --seed 1
build/repconv run repvgg-a0 --input build/data/input.npy --output build/data/output.npy
