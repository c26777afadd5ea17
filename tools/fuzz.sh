#!/usr/bin/env bash
# The fuzz job: installs clang (third_party/install-deps.sh --fuzz), builds
# build-fuzz/ with -DREPCONV_FUZZ=ON (libFuzzer + ASan + UBSan), then runs
# each target for FUZZ_SECONDS (default 60) over a copy of its seed corpus,
# as many targets at once as there are CPUs.
#
#   FUZZ_SECONDS=300 tools/fuzz.sh            longer runs
#   FUZZ_TARGETS="fuzz_rcm fuzz_onnx" ...     a subset
#   FUZZ_FORK=0 ...                           stop at the first crash instead
#                                             of going on (-fork=1 -ignore_*)
#
# Issue reproducers (corpus files named item*) are first run alone: one that
# still crashes is reported and left out of the seeds, so fuzzing goes on.
# Output per target in build-fuzz/fuzz-out/<target>/: log, crash-*/leak-*/
# timeout-*/oom-* reproducers, the grown corpus; a summary (executions, cov:,
# ft:, findings) in build-fuzz/fuzz-out/summary.txt. Exit status 1 when a
# reproducer or the fuzzer crashed (timeouts and out-of-memory are reported;
# they fail the job only with FUZZ_STRICT=1, as does a run killed by the
# outer limit of twice FUZZ_SECONDS + 2 minutes).
set -eu
cd "$(dirname "$0")/.."
root="$(pwd)"

seconds="${FUZZ_SECONDS:-60}"
limit=$((seconds * 2 + 120)) # the outer limit on each target's run (fuzz_one)
targets="${FUZZ_TARGETS:-fuzz_rcm fuzz_onnx fuzz_npy fuzz_builder}"
fork="${FUZZ_FORK:-1}"
strict="${FUZZ_STRICT:-0}"
out="$root/build-fuzz/fuzz-out"

third_party/install-deps.sh --fuzz
cc=clang-14
command -v "$cc" >/dev/null 2>&1 || cc=clang
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
CC="$cc" cmake -S . -B build-fuzz -DREPCONV_FUZZ=ON -DREPCONV_BUILD_TESTS=OFF -DREPCONV_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086  # the target list
cmake --build build-fuzz -j"$jobs" --target $targets

fix="$root/tests/fixtures"
corpus="$root/tests/fuzz/corpus"
seeds() { # target → seed files, one per line
  case "$1" in
    fuzz_rcm) ls "$corpus"/fuzz_rcm/* ;;
    fuzz_onnx) ls "$fix"/onnx/*.onnx "$fix"/onnx_bad/*.onnx "$corpus"/fuzz_onnx/* ;;
    fuzz_npy) ls "$fix"/ref/*.npy "$fix"/onnx/*.npy "$corpus"/fuzz_npy/* ;;
    fuzz_builder) ls "$corpus"/fuzz_builder/* ;;
  esac
}
max_len() {
  case "$1" in
    fuzz_builder) echo 1024 ;;
    fuzz_npy) echo 65536 ;;
    *) echo 262144 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
common=(-rss_limit_mb=2048 -timeout=10)
mkdir -p "$out"
: >"$out/summary.txt"
# One target: its seeds, its run, its summary in $dir/summary; exit 1 on a
# finding that fails the job.
fuzz_one() {
  local t="$1" bin="$root/build-fuzz/tests/fuzz/$1" dir="$out/$1" len known_crash="" status=0 last execs crashes slow
  rm -rf "$dir"
  mkdir -p "$dir/corpus" "$dir/known"
  len="$(max_len "$t")"
  while IFS= read -r f; do
    [ "$(stat -c %s "$f")" -le "$len" ] || continue # longer seeds would be cut
    case "$(basename "$f")" in
      item*)
        if ! timeout -k 10 120 "$bin" "${common[@]}" -artifact_prefix="$dir/known/" "$f" >"$dir/known/$(basename "$f").log" 2>&1; then
          known_crash="$known_crash $(basename "$f")"
          continue
        fi ;;
    esac
    cp "$f" "$dir/corpus/"
  done < <(seeds "$t")
  echo "== $t: $(ls "$dir/corpus" | wc -l) seeds, ${seconds} s"
  local flags=("${common[@]}" -max_len="$len" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$dir/")
  if [ "$fork" = 1 ]; then
    flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  # An outer limit: libFuzzer's own alarm can deadlock inside ASan's
  # allocator (a fork-mode job paused or starved past -timeout dumps its
  # unit from the signal handler, which allocates), and the fork-mode parent
  # waits on its job without a limit, so one stalled job would hang the
  # whole job (seen in a 13-minute run, 2026-12-06). Killed, it is reported.
  timeout -k 30 "$limit" "$bin" "${flags[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
  local stalled=0
  [ "$status" -ne 124 ] && [ "$status" -ne 137 ] || stalled=1
  last="$(grep -E 'cov: [0-9]+' "$dir/log" | tail -1 || true)"
  # executions: the last status line's #N (fork mode prints no final stats)
  execs="$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')"
  [ -n "$execs" ] || execs="$(grep -E 'stat::number_of_executed_units' "$dir/log" | awk '{s += $2} END {print s + 0}')"
  crashes="$(find "$dir" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'deadly*' \) | wc -l)"
  slow="$(find "$dir" -maxdepth 1 \( -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)"
  {
    echo "$t: exit $status; last status: ${last:-none}"
    echo "$t: executions: $execs; crash/leak reproducers: $crashes; timeout/oom: $slow"
    [ -z "$known_crash" ] || echo "$t: issue reproducers that still crash (left out of the seeds):$known_crash"
    [ "$stalled" = 0 ] || echo "$t: stalled: killed after $limit s (see $dir/log)"
  } >"$dir/summary"
  if [ "$crashes" -gt 0 ] || [ -n "$known_crash" ] || { [ "$fork" != 1 ] && [ "$status" -ne 0 ]; }; then
    return 1
  fi
  if [ "$strict" = 1 ] && { [ "$slow" -gt 0 ] || [ "$stalled" = 1 ]; }; then return 1; fi
  return 0
}

# As many targets at once as there are CPUs (each fuzzes on one).
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  (fuzz_one "$t" && echo 0 >"$out/$t.rc" || echo 1 >"$out/$t.rc") &
done
wait
failed=0
for t in $targets; do
  [ "$(cat "$out/$t.rc" 2>/dev/null)" = 0 ] || failed=1
  cat "$out/$t/summary" 2>/dev/null | tee -a "$out/summary.txt" || echo "$t: no summary" | tee -a "$out/summary.txt"
done
echo "fuzz: summary in $out/summary.txt"
exit "$failed"
