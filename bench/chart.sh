#!/usr/bin/env bash
# Turns `repconv bench --json` files into a PNG bar chart: per file (model,
# backend, threads) three bars, the median ms of unfolded, bn-fused and
# folded (log scale, the value on each bar), with gnuplot (Debian package
# gnuplot-nox).
#
#   bench/chart.sh OUT.png RESULT.json [RESULT.json ...]
#
# Reads only the layout `repconv bench --json` writes (one result object a
# line), so it needs neither jq nor python.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 OUT.png RESULT.json [RESULT.json ...]" >&2
  exit 2
fi
if ! command -v gnuplot >/dev/null 2>&1; then
  echo "chart.sh: gnuplot not found; install the Debian package gnuplot-nox" >&2
  exit 1
fi
out=$1
shift

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
data="$tmp/data.txt"
: >"$data"

# "key": value of a top-level field (string or number).
top() { sed -n "s/^  \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$2" | head -n 1; }
# median_ms of one form.
median() { sed -n "s/.*\"form\": \"$1\".*\"median_ms\": \([0-9.e+-]*\),.*/\1/p" "$2" | head -n 1; }

n=0
for f in "$@"; do
  model="$(top model "$f")"
  backend="$(top backend "$f")"
  threads="$(top threads "$f")"
  shape="$(sed -n 's/^  "shape": \[\(.*\)\],$/\1/p' "$f" | tr -d ' ' | tr ',' 'x')"
  u="$(median unfolded "$f")" b="$(median bn-fused "$f")" fo="$(median folded "$f")"
  if [ -z "$model" ] || [ -z "$u" ] || [ -z "$b" ] || [ -z "$fo" ]; then
    echo "chart.sh: $f is not a 'repconv bench --json' result" >&2
    exit 1
  fi
  # One row per file: the label (model, input, backend, threads) and the three medians.
  printf '"%s\\n%s\\n%s, %s thread%s" %s %s %s\n' "$model" "$shape" "$backend" "$threads" \
    "$([ "$threads" = 1 ] || echo s)" "$u" "$b" "$fo" >>"$data"
  n=$((n + 1))
done

width=$((260 + 230 * n))
# y range: a factor below the shortest and above the longest bar (log scale).
range="$(awk '{ for (i = NF - 2; i <= NF; i++) { v = $i + 0; if (lo == "" || v < lo) lo = v; if (v > hi) hi = v } }
  END { printf "%g:%g", lo / 2, hi * 2.5 }' "$data")"
gnuplot <<GNUPLOT
set terminal pngcairo size ${width},600 font "sans,10" noenhanced
set output "${out}"
set title "repconv bench: median time per run (lower is better), unfolded vs bn-fused vs folded"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "median ms (log scale)"
set grid ytics
set key top right
set xtics nomirror
set yrange [${range}]
set xrange [-0.6:${n}-0.4]
set bmargin 5
plot "${data}" using 2:xtic(1) title "unfolded" lc rgb "#c0504d", \
     "" using 3 title "bn-fused" lc rgb "#f79646", \
     "" using 4 title "folded" lc rgb "#4f81bd", \
     "" using (\$0-0.25):2:(sprintf("%.1f", \$2)) with labels offset 0,0.7 notitle, \
     "" using (\$0):3:(sprintf("%.1f", \$3)) with labels offset 0,0.7 notitle, \
     "" using (\$0+0.25):4:(sprintf("%.1f", \$4)) with labels offset 0,0.7 notitle
GNUPLOT
echo "chart.sh: wrote $out ($n result$([ "$n" = 1 ] || echo s))"
