# Shared by the CLI test scripts (sourced, not run): set-up, the counters and
# the checks. A script sources it with `. "$(dirname "$0")/common.sh"` and
# calls `cli_setup NAME "$@"` first and `cli_summary` last.
#
# Every check bumps $checks; a failed one prints "FAIL: ..." and bumps
# $failures. `run ARGS...` runs the binary: stdout -> out, stderr -> err,
# exit status -> $rc.

# cli_setup NAME REPCONV_BINARY SCRATCH_DIR: $BIN absolute, a fresh scratch
# directory as the working directory ($DIR, absolute).
cli_setup() {
  TEST_NAME=$1
  shift
  if [ $# -ne 2 ]; then
    echo "usage: sh $TEST_NAME.sh REPCONV_BINARY SCRATCH_DIR" >&2
    exit 2
  fi
  BIN=$1
  DIR=$2
  case "$BIN" in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
  rm -rf "$DIR"
  mkdir -p "$DIR" || exit 1
  cd "$DIR" || exit 1
  DIR=$(pwd)
  failures=0
  checks=0
}

# A passing script removes its scratch directory (test_cli's holds ~330 MB of
# models, written again in every build of the suite); a failing one keeps it.
cli_summary() {
  echo "$TEST_NAME: $checks checks, $failures failed"
  [ "$failures" -eq 0 ] || return 1
  cd / && rm -rf "$DIR"
}

bad() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

show() {
  echo "  --- stdout:"
  sed -n '1,20p' out | sed 's/^/  | /'
  echo "  --- stderr:"
  sed -n '1,20p' err | sed 's/^/  | /'
}

run() {
  "$BIN" "$@" >out 2>err
  rc=$?
}

# check DESC COMMAND...: the command must succeed.
check() {
  desc=$1
  shift
  checks=$((checks + 1))
  if ! "$@"; then
    bad "$desc"
    [ -s err ] && sed -n '1,5p' err | sed 's/^/  | /'
  fi
}

# expect_ok DESC ARGS...: exit 0 and nothing on stderr.
expect_ok() {
  desc=$1
  shift
  checks=$((checks + 1))
  run "$@"
  if [ "$rc" -ne 0 ] || [ -s err ]; then
    bad "$desc: exit status $rc (expected 0, quiet stderr)"
    show
    return 1
  fi
  return 0
}

# one_error_line DESC: err holds exactly one line starting "repconv: ".
one_error_line() {
  lines=$(wc -l <err | tr -d ' ')
  chars=$(wc -c <err | tr -d ' ')
  if [ "$lines" -ne 1 ] || [ "$chars" -le 10 ] || ! head -n 1 err | grep -q '^repconv: '; then
    bad "$1: expected exactly one 'repconv: ' line on stderr, got $lines line(s)"
    show
    return 1
  fi
  return 0
}

# expect_fail DESC WANT ARGS...: exits non-zero without a signal (WANT: 1, 2
# or "any"), one error line on stderr.
expect_fail() {
  desc=$1
  want=$2
  shift 2
  checks=$((checks + 1))
  run "$@"
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || { [ "$want" != any ] && [ "$rc" -ne "$want" ]; }; then
    bad "$desc: exit status $rc, expected $want (a signal is >= 128)"
    show
    return 1
  fi
  one_error_line "$desc"
}

# expect_fail_with DESC WANT NEEDLE ARGS...: expect_fail, and the error line
# contains NEEDLE.
expect_fail_with() {
  desc=$1
  needle=$3
  want=$2
  shift 3
  expect_fail "$desc" "$want" "$@" || return 1
  if ! grep -q -- "$needle" err; then
    bad "$desc: stderr lacks '$needle'"
    show
    return 1
  fi
  return 0
}

# expect_no_crash DESC ARGS...: success (quiet stderr) or a clean failure.
expect_no_crash() {
  desc=$1
  shift
  checks=$((checks + 1))
  run "$@"
  if [ "$rc" -ge 128 ]; then
    bad "$desc: killed by a signal (exit status $rc)"
    show
    return 1
  fi
  if [ "$rc" -eq 0 ]; then
    if [ -s err ]; then
      bad "$desc: exit 0 but output on stderr"
      show
      return 1
    fi
    return 0
  fi
  one_error_line "$desc"
}

# expect_grep DESC PATTERN FILE: an extended regular expression matches a line.
expect_grep() {
  checks=$((checks + 1))
  if ! grep -Eq "$2" "$3"; then
    bad "$1: no line matching /$2/ in $3"
    sed -n '1,40p' "$3" | sed 's/^/  | /'
  fi
}

# expect_same DESC FILE1 FILE2: byte-identical.
expect_same() {
  checks=$((checks + 1))
  if ! cmp -s "$2" "$3"; then
    bad "$1: $2 and $3 differ"
  fi
}

file_size() { wc -c <"$1" | tr -d ' '; }

# py_check MESSAGE SCRIPT FILE...: a check that python3 runs SCRIPT on the
# files (sys.argv[1:]) without an error, else MESSAGE; none without python3.
py_check() {
  command -v python3 >/dev/null 2>&1 || return 0
  checks=$((checks + 1))
  msg=$1
  script=$2
  shift 2
  python3 -c "$script" "$@" || bad "$msg"
}
