#!/usr/bin/env bash
# The AArch64 job on an x86-64 Debian 12 machine: install the cross compiler,
# qemu-user and the arm64 libraries (third_party/install-cross-arm64.sh),
# cross-build into build-arm64/ with warnings as errors, and run the tests
# under qemu-aarch64 (ctest adds the emulator from the toolchain file).
#
# Left out under qemu, for time (`ctest --test-dir build-arm64` runs
# everything): test_xnnpack, which exercises Debian's arm64 XNNPACK through
# code that has nothing architecture-specific (passes, ~3 min under qemu),
# the CLI test, which starts qemu for each of its ~150 runs (not yet run
# to the end under qemu: over 10 min), and cli_bench_load, whose FMA peak
# probes under emulation measure qemu, not a CPU.
# The Winograd kernels, the planner, folding and the built-in models all run,
# NEON included.
set -eu
cd "$(dirname "$0")/.."

start=$SECONDS
third_party/install-cross-arm64.sh
installed=$SECONDS
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DREPCONV_WERROR=ON
cmake --build build-arm64 -j"$jobs"
built=$SECONDS
ctest --test-dir build-arm64 -j"$jobs" --output-on-failure -E '^(cli|cli_bench_load|test_xnnpack)$'
echo "test-arm64: install $((installed - start)) s, build $((built - installed)) s, qemu tests $((SECONDS - built)) s"
