#!/usr/bin/env bash
# bench/ab.sh A_BIN B_BIN [ROUNDS] [OUTDIR]: `repconv bench MODEL --runs 5` of A and B
# alternated (A B A B ...) per model and thread count; prints per form the
# median over rounds of each binary's median and B/A.
# Needs /usr/bin/python3 for the summary (Debian: python3).
set -eu
A=$1; B=$2; R=${3:-3}; out=${4:-/tmp/bench-ab}
mkdir -p "$out"
for m in $($A list); do
  for t in 1 2; do
    for r in $(seq 1 "$R"); do
      $A bench $m --threads $t --runs 5 --json "$out/$m.t$t.A.$r.json" >/dev/null
      $B bench $m --threads $t --runs 5 --json "$out/$m.t$t.B.$r.json" >/dev/null
    done
  done
done
/usr/bin/python3 - "$out" "$R" <<'PY'
import json, sys, statistics, glob, os
out, R = sys.argv[1], int(sys.argv[2])
models = sorted({os.path.basename(f).split('.t')[0] for f in glob.glob(out + '/*.json')})
print('%-16s %2s %-9s %10s %10s %7s' % ('model', 't', 'form', 'before ms', 'after ms', 'after/before'))
for m in models:
  for t in (1, 2):
    med = {}
    for side in 'AB':
      per = {}
      for r in range(1, R + 1):
        j = json.load(open('%s/%s.t%d.%s.%d.json' % (out, m, t, side, r)))
        for res in j['results']:
          per.setdefault(res['form'], []).append(res['median_ms'])
      med[side] = {k: statistics.median(v) for k, v in per.items()}
    for form in ('unfolded', 'bn-fused', 'folded'):
      a, b = med['A'][form], med['B'][form]
      print('%-16s %2d %-9s %10.2f %10.2f %7.3f' % (m, t, form, a, b, b / a))
PY
