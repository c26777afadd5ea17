#!/bin/sh
# `repconv bench` under load it does not control: what it says about other
# processes, and the threaded FMA peak it measures again when the threads do
# not scale.
#
#   sh tests/cli/test_bench_load.sh PATH/TO/repconv SCRATCH_DIR
#
# Its own test, run by ctest with RUN_SERIAL: a test running beside it on
# the same CPU would change what these checks measure (the taskset check
# failed in 1 of 5 `ctest -j2` runs while it was part of test_cli), and its
# spinning process would slow that test. A few seconds, at 1x1x24x20.
set -u
. "$(dirname "$0")/common.sh"
cli_setup test_bench_load "$@"

# The other-load line counts what else runs: a process spinning beside a
# 1-thread steady run for its whole second shows as half a core or more of
# other load (a whole core when the machine has two). timeout bounds the
# spinner should this script stop before it kills it.
if [ -r /proc/stat ] && command -v python3 >/dev/null 2>&1; then
  timeout 60 sh -c 'while :; do :; done' &
  spinner=$!
  if expect_ok "bench --steady beside a spinning process" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --steady --seconds 1 --json busy.json; then
    expect_grep "bench --steady: a busy machine said" '^machine: other processes [0-9.]+ cores, .*; a busy machine: ' out
    expect_grep "bench --steady: a busy peak probe said" 'FMA peak \(measured\): .*; other processes [0-9.]+ cores, steal [0-9.]+ while it was measured: it may read low\)$' out
    py_check "bench --steady: the spinning process did not count as other load (timed runs and peak probe)" '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["other_load"]["other_cores"] >= 0.4, j["other_load"]
assert j["peak_other_load"]["other_cores"] >= 0.4, j["peak_other_load"]
' busy.json
  fi
  kill "$spinner"
  wait "$spinner" 2>/dev/null || true
fi
# The threaded FMA peak is measured again while it scales too little: with
# both threads pinned to one CPU (taskset) it cannot scale, so the line says
# it was measured 4 times and is still about the 1-thread peak (the
# 1-thread one is measured again too, so a busy moment on that CPU during
# one try does not decide it).
if command -v taskset >/dev/null 2>&1 && [ "$(getconf _NPROCESSORS_ONLN)" -ge 2 ]; then
  checks=$((checks + 1))
  if taskset -c 0 "$BIN" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --steady --frames 3 --threads 2 >out 2>err; then
    expect_grep "bench: the 2-thread peak measured again" 'FMA peak \(measured\): [0-9.]+ GFLOP/s on 2 threads \([a-z0-9]+; .*; the 2-thread peak measured 4 times, best kept: still [0-9.]+x the 1-thread peak' out
  else
    bad "bench --steady --threads 2 on one CPU (taskset -c 0): exit status $?"
    show
  fi
fi

cli_summary
