#!/usr/bin/env bash
# The test job on a fresh Debian 12 machine: install missing packages,
# configure and build into build/ with warnings as errors, run every test
# (as many at once as there are CPUs: the tests share no files).
set -eu
cd "$(dirname "$0")/.."

third_party/install-deps.sh
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake -S . -B build -DREPCONV_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build -j"$jobs" --output-on-failure
