#!/usr/bin/env bash
# Fails when an internal #include crosses the layers docs/DESIGN.md ("Layout")
# allows. Data flows one way, loaders -> IR -> fold -> plan -> kernels, and
# every folder below may include only the folders listed on its line (its own
# always). Internal includes are written from the repo root ("runtime/graph/
# graph.h", never "graph.h"); the public header is "repconv.h".
# Also fails on a source or header over 800 lines. Usage: tools/check-layout.sh
set -eu
cd "$(dirname "$0")/.."

# folder: folders it may include (lowest layer first).
rules='
runtime/graph:
kernels/thread:
kernels/common:
kernels/ref: kernels/thread
kernels/gemm: kernels/thread kernels/common
kernels/winograd: kernels/thread kernels/common kernels/gemm
kernels/xnnpack: kernels/thread kernels/common kernels/ref runtime/graph
runtime/eval: runtime/graph kernels/thread kernels/ref
runtime/io: runtime/graph
runtime/rcm: runtime/graph runtime/io
runtime/onnx: runtime/graph runtime/io runtime/eval
runtime/zoo: runtime/graph
fold: runtime/graph runtime/eval
runtime/plan: runtime/graph runtime/eval kernels/thread kernels/common kernels/ref kernels/gemm kernels/winograd kernels/xnnpack
runtime/exec: runtime/graph runtime/eval runtime/plan kernels/thread kernels/common kernels/ref kernels/gemm kernels/winograd kernels/xnnpack
runtime/api: runtime/graph runtime/eval runtime/io runtime/rcm runtime/onnx runtime/zoo fold runtime/plan runtime/exec kernels/thread kernels/common kernels/ref kernels/gemm kernels/winograd kernels/xnnpack
'
max_lines=800

folder_of() { # the most specific folder of the rules that holds path $1
  local best=""
  while read -r dir _; do
    dir=${dir%:}
    [ -n "$dir" ] || continue
    case "$1" in "$dir"/*) [ ${#dir} -gt ${#best} ] && best=$dir ;; esac
  done <<<"$rules"
  echo "$best"
}
allowed() { # folders folder $1 may include
  sed -n "s|^$1: *||p" <<<"$rules"
}

fail=0
files=$(git ls-files '*.c' '*.h' '*.cc' '*.inc' | grep -v '^third_party/')
for f in $files; do
  n=$(wc -l <"$f")
  if [ "$n" -gt "$max_lines" ]; then
    echo "check-layout: $f has $n lines (more than $max_lines): split it by job" >&2
    fail=1
  fi
  from=$(folder_of "$f")
  while IFS= read -r inc; do
    [ "$inc" = "repconv.h" ] && continue
    if [ ! -f "$inc" ]; then
      echo "check-layout: $f includes \"$inc\": write internal includes from the repo root" >&2
      fail=1
      continue
    fi
    [ -n "$from" ] || continue # tools/, bench/, tests/, examples/ may include anything
    to=$(folder_of "$inc")
    [ -z "$to" ] && { echo "check-layout: $f (in $from) includes \"$inc\", outside the library's layers" >&2; fail=1; continue; }
    [ "$to" = "$from" ] && continue
    ok=0
    for a in $(allowed "$from"); do [ "$a" = "$to" ] && ok=1; done
    if [ $ok = 0 ]; then
      echo "check-layout: $f (in $from) includes \"$inc\" (in $to): $from may include only: $(allowed "$from" | tr -s ' ')" >&2
      fail=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
if [ $fail = 0 ]; then
  echo "check-layout: $(wc -w <<<"$files") files, includes follow the layers, none over $max_lines lines"
fi
exit $fail
