#!/usr/bin/env bash
# The clang UndefinedBehaviorSanitizer job: build with clang and
# -DREPCONV_UBSAN=ON (UBSan alone, no ASan) into build-ubsan/ and run the
# tests that go through the kernels, the thread pool and the session paths
# (binary16 weights, Winograd chains, frames, NaN inputs, the ONNX and
# built-in models, the fuzz seeds), about 2 minutes on 2 cores.
#
# Why beside the GCC ASan+UBSan suite of .ci/run: clang's UBSan checks what
# GCC's does not (an offset applied to a null pointer), and without ASan the
# allocator is glibc's, whose 16-byte alignment exposes objects of
# over-aligned types (ASan's size classes happened to align them). Each kind
# hid a bug that suite passed (db987a4, 63f3fc8). ubsan_canary first checks
# that the build reports both.
set -eu
cd "$(dirname "$0")/.."

third_party/install-deps.sh --fuzz
cc=clang-14
command -v "$cc" >/dev/null 2>&1 || cc=clang
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
tests="test_pool test_gemm test_winograd test_wino_chain test_wino_store test_session test_frame test_nan test_exec_io
test_weights_fp16 test_models test_ops_models test_trained test_onnx"
seeds="rcm onnx npy builder" # the fuzz targets' seed replays, ctest fuzz_corpus_<name>
CC="$cc" cmake -S . -B build-ubsan -DREPCONV_UBSAN=ON -DREPCONV_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2046,SC2086  # word lists
cmake --build build-ubsan -j"$jobs" --target ubsan_canary $tests $(for s in $seeds; do echo "fuzz_${s}_replay"; done)

export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"
build-ubsan/ubsan_canary clean
for bad in misaligned null; do
  if build-ubsan/ubsan_canary $bad 2>/dev/null; then
    echo "test-ubsan: UBSan did not report the canary's $bad case: the build does not check it" >&2
    exit 1
  fi
done
echo "test-ubsan: canary ok (clean run silent, the misaligned access and the null offset reported)"
# shellcheck disable=SC2046,SC2086  # word lists
names="$(echo $tests $(for s in $seeds; do echo "fuzz_corpus_$s"; done) | tr ' ' '|')"
ctest --test-dir build-ubsan -j"$jobs" --output-on-failure -R "^($names)\$"
