#!/usr/bin/env bash
# The ThreadSanitizer job: build with -DREPCONV_TSAN=ON into build-tsan/ and
# run the threaded tests (the thread pool itself, sessions on several threads
# with pools of 2-4 threads, the executor's boundary copies split over planes
# and rows on 1-3 threads, the Winograd chain, the GEMM and Winograd kernels
# at 2-3 threads, the video pipeline's reader, model, chroma and writer
# threads).
#
# repconv's loops run on rc_pool (kernels/thread/pool.c), C11 atomics TSan
# sees. XNNPACK's operators run on Debian's libpthreadpool, which is not
# instrumented and syncs its threads with its own atomics, so TSan would
# report every XNNPACK step; REPCONV_TSAN replaces it with
# tests/support/tsan_pthreadpool.c (mutex + condition variables), which the
# test programs export, so libXNNPACK.so's calls land on it. XNNPACK's own code stays uninstrumented: races inside its
# kernels are out of scope (its inputs, outputs and thread hand-offs are
# seen). tsan_canary first checks the machinery: a clean program must pass,
# a racy one must be reported.
#
# test_gemm_plan is left out (5 minutes under TSan, nearly all of it
# single-threaded reference convs; its one threaded check, the GEMM kernel on
# 2 threads, is test_gemm's at 2 and 3). The tests run two at a time (ctest
# -j: 95 s against 178 one at a time); about 3 minutes on 2 cores in all.
set -eu
cd "$(dirname "$0")/.."

jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
tests="test_pool test_session test_dynamic test_exec_io test_wino_chain test_gemm test_winograd test_winograd_plan test_video_pipeline"
cmake -S . -B build-tsan -DREPCONV_TSAN=ON -DREPCONV_WERROR=ON -DREPCONV_ONNX=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
# shellcheck disable=SC2086
cmake --build build-tsan -j"$jobs" --target tsan_canary $tests

export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
build-tsan/tsan_canary clean
if build-tsan/tsan_canary race 2>/dev/null; then
  echo "test-tsan: TSan did not report the canary's race: the TSan build checks nothing" >&2
  exit 1
fi
echo "test-tsan: canary ok (clean run silent, race reported)"
ctest --test-dir build-tsan -j"$jobs" --output-on-failure -R "^($(echo $tests | tr ' ' '|'))\$"
