#!/usr/bin/env bash
# Soak (not in the default suite): bench/soak.c's load/create/run/destroy
# cycles of every built-in model, CYCLES each (default 1000), twice:
#  1. the release build: resident set after the first tenth of the cycles
#     vs at the end (flat means nothing accumulates per cycle);
#  2. an AddressSanitizer build (LeakSanitizer on at exit): any leak fails.
# Usage: bench/soak.sh [CYCLES] [THREADS]
set -eu
cd "$(dirname "$0")/.."
cycles=${1:-1000}
threads=${2:-2}
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"

third_party/install-deps.sh
cmake -S . -B build -DREPCONV_WERROR=ON >/dev/null
cmake --build build -j"$jobs" --target repconv_soak
echo "== release build: RSS over $cycles cycles per model"
build/bench/repconv_soak "$cycles" "$threads"

cmake -S . -B build-asan -DREPCONV_SANITIZE=ON -DREPCONV_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" >/dev/null
cmake --build build-asan -j"$jobs" --target repconv_soak
echo "== ASan + LeakSanitizer build: $cycles cycles per model"
ASAN_OPTIONS=detect_leaks=1 build-asan/bench/repconv_soak "$cycles" "$threads"
echo "soak: no leaks reported"
