#!/bin/sh
# Drives the repconv command-line program as a user would.
#
#   sh tests/cli/test_cli.sh PATH/TO/repconv SCRATCH_DIR
#
# Checks the documented commands and, for hostile input (missing, truncated,
# garbage or wrongly shaped files, bad options), that the program exits
# non-zero by itself (not by a signal) with exactly one line on stderr that
# starts with "repconv: ". The full-size (1x3x224x224) RepVGG-A0 runs folded
# four times and unfolded once (fold --verify); repeated runs elsewhere use
# --shape 1x3x64x64, and bench runs at 1x3x32x32 or smaller (the ASan build
# runs this script too).
set -u
. "$(dirname "$0")/common.sh"
cli_setup test_cli "$@"

# ---------------------------------------------------------------- help, version
expect_ok "--help" --help && expect_grep "--help" '^usage: repconv' out
expect_grep "--help lists the built-in models" 'repvgg-a0' out
expect_ok "-h" -h
expect_ok "run --help" run --help
expect_ok "--version" --version && expect_grep "--version" '^repconv 0\.1\.0' out
if expect_ok "list" list; then
  expect_grep "list names repvgg-a0" '^repvgg-a0$' out
fi
expect_fail "list with an argument" 2 list repvgg-a0
checks=$((checks + 1))
if "$BIN" --help | grep -Eiq 'no fold pass|fold requested'; then bad "--help still says there is no fold pass"; fi

# ---------------------------------------------------------------- info
if expect_ok "info repvgg-a0" info repvgg-a0; then
  cp out info.txt
  # RepVGG-A0 train-time: 22 blocks, each 3x3 conv+BN and 1x1 conv+BN, plus an
  # identity BN in the 17 blocks with in == out channels and stride 1.
  expect_grep "info: 44 conv2d" '^ +conv2d +44$' info.txt
  expect_grep "info: 61 batchnorm" '^ +batchnorm +61$' info.txt
  expect_grep "info: input shape" '1x3x224x224' info.txt
  expect_grep "info: output shape" '1x1000' info.txt
  expect_grep "info: parameters" '^parameters: [0-9]' info.txt
  expect_grep "info: FLOPs" '^FLOPs: [0-9.]+ GFLOPs' info.txt
  expect_grep "info: node list has a 3x3 stride-2 conv" 'conv2d .* 3x3 +2x2 ' info.txt
  checks=$((checks + 1))
  if grep -q '^fold:' info.txt; then bad "info without --fold prints a fold summary"; fi
fi
# --fold: the folded graph (one 3x3 conv per block) and a one-line summary.
if expect_ok "info --fold" info repvgg-a0 --fold; then
  expect_grep "info --fold: 22 conv2d" '^ +conv2d +22$' out
  expect_grep "info --fold: summary line" '^fold: nodes [0-9]+ → [0-9]+, convs 44 → 22, 22 regions \(22 exact, 0 cut\)' out
  checks=$((checks + 1))
  if grep -Eq '^ +batchnorm ' out; then bad "info --fold: batchnorm nodes left after folding"; fi
fi
if expect_ok "info --fold --max-kernel 1" info repvgg-a0 --fold --max-kernel 1; then
  expect_grep "info --fold --max-kernel 1: the 3x3 convs stay" '^ +conv2d +44$' out
fi

# ---------------------------------------------------------------- gen-input
expect_ok "gen-input" gen-input repvgg-a0 -o x.npy --seed 1
expect_ok "gen-input again" gen-input repvgg-a0 -o x_again.npy --seed 1
expect_ok "gen-input other seed" gen-input repvgg-a0 --output=x_seed2.npy --seed=2
if [ -f x.npy ] && [ -f x_again.npy ] && [ -f x_seed2.npy ]; then
  expect_same "gen-input is deterministic" x.npy x_again.npy
  checks=$((checks + 1))
  if cmp -s x.npy x_seed2.npy; then bad "gen-input: seeds 1 and 2 give the same tensor"; fi
  checks=$((checks + 1))
  # 1x3x224x224 float32 plus a header of at most a few hundred bytes
  size=$(file_size x.npy)
  if [ "$size" -lt 602112 ] || [ "$size" -gt 603136 ]; then bad "gen-input: x.npy has $size bytes"; fi
else
  bad "gen-input: no .npy written"
fi

# ---------------------------------------------------------------- run, save
# The full runs: built-in, saved .rcm, both on two threads.
if expect_ok "run repvgg-a0" run repvgg-a0 --input x.npy --output y.npy; then
  expect_grep "run: output summary" '1x1000 +min .* max .* mean ' out
  expect_grep "run: time" '^time [0-9.]+ ms' out
  expect_grep "run: fold status" '^time .*fold on: 44 → 22 convs\)$' out
  cat out
fi
checks=$((checks + 1))
[ -s y.npy ] || bad "run: y.npy not written"

expect_ok "save repvgg-a0" save repvgg-a0 -o a0.rcm && expect_grep "save: fold status" 'fold on: 44 → 22 convs' out
expect_ok "save --no-fold" save repvgg-a0 --no-fold -o a0-train.rcm
if expect_ok "info of the saved train-time model" info a0-train.rcm; then
  expect_grep "info a0-train.rcm: 44 conv2d" '^ +conv2d +44$' out
fi

# A model is planned for the thread count it is loaded with (a plan for one
# thread may take another Winograd variant), so the saved model on two
# threads is compared with the built-in one on two; sessions of one model
# agree bitwise at every thread count (tests/test_determinism.c).
expect_ok "run repvgg-a0 --threads 2" run repvgg-a0 -i x.npy -o y_b2.npy --threads 2 &&
  expect_ok "run a0.rcm --threads 2" run a0.rcm -i x.npy -o y_t2.npy --threads 2 &&
  expect_same "built-in vs saved model output, 2 threads" y_b2.npy y_t2.npy

# ---------------------------------------------------------------- fold
# json_int KEY FILE: the integer value of a top-level "KEY": N in the report.
json_int() {
  sed -n "s/^  \"$1\": \([0-9-]*\),*\$/\1/p" "$2" | head -n 1
}

if expect_ok "fold repvgg-a0 --verify --json" fold repvgg-a0 -o a0f.rcm --verify --json a0f.json; then
  cp out fold.txt
  cat fold.txt
  # The table: 22 regions (one per block), each folded exactly into one 3x3 conv.
  expect_grep "fold: report header" '^fold report: repvgg-a0 .*22 regions, 22 exact, 0 cut' fold.txt
  expect_grep "fold: table header" '^ +# +output +nodes +kernel +fold +FLOPs +params' fold.txt
  expect_grep "fold: a stride-2 block" '^ +0 +stage0\.0\.[^ ]+ +5 → 1 +3x3 s2 +exact ' fold.txt
  expect_grep "fold: an identity block" ' 7 → 1 +3x3 +exact ' fold.txt
  checks=$((checks + 1))
  rows=$(grep -Ec '^ +[0-9]+ +[^ ]+ +[0-9]+ → [0-9]+ +3x3( s2)? +exact ' fold.txt)
  [ "$rows" -eq 22 ] || bad "fold: $rows exact 3x3 rows in the table, expected 22"
  expect_grep "fold: totals convs 44 → 22" '^ +convs +44 → 22$' fold.txt
  expect_grep "fold: totals nodes" '^ +nodes +[0-9]+ → [0-9]+$' fold.txt
  expect_grep "fold: totals FLOPs" '^ +FLOPs +.* → ' fold.txt
  expect_grep "fold: totals params" '^ +params +.* → ' fold.txt
  # --verify: the max relative difference is printed and at float rounding.
  expect_grep "fold --verify: per-output line" '^ +output +1x1000 +[0-9.e+-]+ +[0-9.e+-]+ +[0-9.e+-]+$' fold.txt
  expect_grep "fold --verify: verdict" '^verify: max abs [0-9.e+-]+, max rel [0-9.e+-]+ <= 1e-04: ok' fold.txt
  checks=$((checks + 1))
  rel=$(sed -n 's/^verify: max abs [^,]*, max rel \([0-9.e+-]*\) .*/\1/p' fold.txt)
  if [ -z "$rel" ] || ! awk -v r="$rel" 'BEGIN { exit !(r + 0 < 1e-5) }'; then
    bad "fold --verify: max rel '$rel' is not below 1e-5"
  fi
  expect_grep "fold: wrote the model" '^wrote a0f\.rcm ' fold.txt
fi
if [ -s a0f.json ]; then
  for key in model nodes_before nodes_after convs_before convs_after flops_before flops_after params_before \
    params_after regions verify; do
    expect_grep "fold --json: top-level key $key" "^  \"$key\": " a0f.json
  done
  for key in output nodes_before nodes_after kernel stride dilation groups exact note flops_before flops_after \
    params_before params_after; do
    expect_grep "fold --json: region key $key" "^    \\{.*\"$key\": " a0f.json
  done
  expect_grep "fold --json: verify figures" '"verify": \{"max_abs": [0-9.e+-]+, "max_rel": [0-9.e+-]+' a0f.json
  expect_grep "fold --json: a region" '"kernel": \[3, 3\], "stride": \[2, 2\], "dilation": \[1, 1\], "groups": 1, "exact": true' a0f.json
  checks=$((checks + 1))
  [ "$(json_int convs_before a0f.json)" = 44 ] || bad "fold --json: convs_before is not 44"
  checks=$((checks + 1))
  [ "$(json_int convs_after a0f.json)" = 22 ] || bad "fold --json: convs_after is not 22"
  checks=$((checks + 1))
  [ "$(grep -c '^    {"output": ' a0f.json)" -eq 22 ] || bad "fold --json: not 22 regions"
  py_check "fold --json: a0f.json is not valid JSON or has the wrong figures" 'import json, sys; d = json.load(open(sys.argv[1])); assert d["convs_after"] == 22 and len(d["regions"]) == 22 and d["verify"]["max_rel"] < 1e-5' a0f.json
else
  bad "fold --json: a0f.json not written"
fi
# The folded file: the same bytes as save writes, and the same output bits as
# running repvgg-a0 folded directly.
if [ -s a0f.rcm ]; then
  expect_same "fold -o and save write the same .rcm" a0.rcm a0f.rcm
  expect_ok "run the folded .rcm" run a0f.rcm --input x.npy --output y_fold.npy &&
    expect_same "folded .rcm vs built-in folded output" y.npy y_fold.npy
  if expect_ok "info of the folded .rcm" info a0f.rcm; then
    expect_grep "info a0f.rcm: 22 conv2d" '^ +conv2d +22$' out
  fi
fi

# Small input from here on.
S=1x3x64x64
expect_ok "gen-input --shape $S" gen-input repvgg-a0 --shape $S -o xs.npy --seed 3
if expect_ok "run --no-fold" run repvgg-a0 --shape $S --no-fold --input xs.npy --output ys_train.npy; then
  expect_grep "run --no-fold: fold status" '^time .*fold off\)$' out
fi
if expect_ok "run --max-kernel 1" run repvgg-a0 --shape $S --max-kernel 1 --input xs.npy --output ys_k1.npy; then
  expect_grep "run --max-kernel 1: fold status" '^time .*fold on: 44 → 44 convs\)$' out
fi
expect_ok "save --max-kernel 1" save repvgg-a0 --max-kernel=1 -o k1s.rcm && expect_grep "save --max-kernel 1" 'fold on: 44 → 44 convs' out

# --limit: a session over the arena limit is refused with the limit's name
# and the flag; under it the same run works; bad values are usage errors.
if expect_fail "run --limit arena-bytes=1M" 1 run repvgg-a0 --shape $S --limit arena-bytes=1M --input xs.npy; then
  expect_grep "run --limit: names the limit and the flag" "over the limit 'arena-bytes'.*--limit arena-bytes=N" err
fi
expect_ok "run --limit arena-bytes=1G" run repvgg-a0 --shape $S --limit arena-bytes=1G --input xs.npy
expect_fail "info --limit nodes=10" 1 info repvgg-a0 --limit nodes=10
expect_fail "run --limit bogus=1" 2 run repvgg-a0 --limit bogus=1 --input xs.npy
expect_fail "run --limit nodes=1X" 2 run repvgg-a0 --limit nodes=1X --input xs.npy
expect_fail "list --limit (loads no model)" 2 list --limit nodes=1

# --max-kernel 1: the 3x3 convs cannot take the 1x1 and identity branches,
# so more convs remain; the output is still the unfolded one.
if expect_ok "fold --max-kernel 1" fold repvgg-a0 --max-kernel 1 --shape $S -o k1.rcm --json k1.json --verify; then
  expect_grep "fold --max-kernel 1: header" '^fold report: repvgg-a0 .*max kernel 1:' out
  expect_grep "fold --max-kernel 1: verify ok" '^verify: .* <= 1e-04: ok' out
  checks=$((checks + 1))
  after=$(json_int convs_after k1.json)
  if [ -z "$after" ] || [ "$after" -le 22 ]; then bad "fold --max-kernel 1: convs_after '$after', expected more than 22"; fi
  checks=$((checks + 1))
  if grep -Eq '"kernel": \[3, 3\]' k1.json; then bad "fold --max-kernel 1: a region folded to 3x3"; fi
fi
# --max-kernel 3 is enough for RepVGG: the same as the default.
if expect_ok "fold --max-kernel 3" fold repvgg-a0 --max-kernel 3 --shape $S -o k3.rcm --json k3.json; then
  checks=$((checks + 1))
  [ "$(json_int convs_after k3.json)" = 22 ] || bad "fold --max-kernel 3: convs_after is not 22"
fi

# Names from a file reach the table and the JSON: a name with a quote, a
# backslash and a tab (a same-length byte edit of the unfolded .rcm).
if [ -s a0-train.rcm ] && command -v python3 >/dev/null 2>&1; then
  LC_ALL=C sed 's/stage1\.1\.add_identity/stage1"1\\add\tidentity/g' a0-train.rcm >weird.rcm
  if expect_ok "fold a model with odd names" fold weird.rcm --shape $S -o weird-f.rcm --json weird.json; then
    expect_grep "fold: a tab in a name shown as \\t" 'stage1"1\\add\\tidentity' out
    py_check "fold --json: a name with a quote, a backslash and a tab is not escaped right" 'import json, sys; d = json.load(open(sys.argv[1])); assert "stage1\"1\\add\tidentity" in [r["output"] for r in d["regions"]]' weird.json
  fi
  # info and its plan print the names (and the notes that quote them) escaped.
  if expect_ok "info a model with odd names" info weird.rcm --shape $S --fold --plan; then
    expect_grep "info: a tab in a name shown as \\t" 'stage1"1\\add\\tidentity' out
    checks=$((checks + 1))
    checks=$((checks + 1))
    if LC_ALL=C grep -q "$(printf '\t')" out; then bad "info --plan: a raw tab from a name reached the output"; fi
  fi
fi

# Usage errors and failures of fold.
for k in 0 -1 abc 4097 1.5 "" " 3"; do
  expect_fail "fold --max-kernel '$k'" 2 fold repvgg-a0 -o z.rcm --max-kernel "$k"
done
expect_fail "run --max-kernel 0" 2 run repvgg-a0 --input xs.npy --max-kernel 0
expect_fail "info --max-kernel abc" 2 info repvgg-a0 --max-kernel abc
expect_fail "save --max-kernel -1" 2 save repvgg-a0 -o z.rcm --max-kernel -1
expect_fail "fold without -o" 2 fold repvgg-a0 --verify
expect_fail "fold without a model" 2 fold -o z.rcm
expect_fail "fold -o twice" 2 fold repvgg-a0 -o z.rcm -o z2.rcm
expect_fail "fold --json without a value" 2 fold repvgg-a0 -o z.rcm --json
expect_fail "fold --json ''" 2 fold repvgg-a0 -o z.rcm --json ""
expect_fail "fold --verify with a value" 2 fold repvgg-a0 -o z.rcm --verify=1
expect_fail "fold --no-fold" 2 fold repvgg-a0 -o z.rcm --no-fold
expect_fail "fold --input" 2 fold repvgg-a0 -o z.rcm --input xs.npy
expect_fail "run --verify" 2 run repvgg-a0 --input xs.npy --verify
expect_fail "fold a missing file" 1 fold "$DIR/does-not-exist.rcm" -o z.rcm
expect_fail "fold an unknown model" 1 fold no-such-model -o z.rcm
echo "this is not a model either" >notamodel.rcm
expect_fail "fold a text file" 1 fold notamodel.rcm -o z.rcm --verify --json z.json
expect_fail "fold into a missing directory" 1 fold repvgg-a0 --shape $S -o "$DIR/no/such/dir/z.rcm"
expect_fail "fold --json into a missing directory" 1 fold repvgg-a0 --shape $S -o z.rcm --json "$DIR/no/such/dir/r.json"
checks=$((checks + 1))
[ ! -e z.rcm ] && [ ! -e z.json ] || bad "a failed fold wrote z.rcm or z.json"

# ---------------------------------------------------------------- bench
# Unfolded, bn-fused and folded timed side by side. Only the shape of the
# output is checked: benchmarks are not tests, no time is asserted.
if expect_ok "bench repvgg-a0" bench repvgg-a0 --shape 1x3x32x32 --runs 2 --json bench.json; then
  expect_grep "bench: header" '^bench: repvgg-a0 \(built-in\), input 1x3x32x32, 1 thread, backend auto; 2 rounds interleaved' out
  expect_grep "bench: warm by default" '; each timed run after 30 ms of untimed runs of its form \(warm, as consecutive frames\)$' out
  expect_grep "bench: FMA peak" '^FMA peak \(measured\): [0-9.]+ GFLOP/s on 1 thread' out
  expect_grep "bench: weights" '^weights \(MB = 10\^6 bytes\): parameters [0-9.]+ MB; resident [0-9.]+ MB, [0-9.]+x the parameters = the parameters \(the model keeps them\) \+ Winograd filters [0-9.]+ \+ GEMM packed [0-9.]+ \+ XNNPACK.s copies ~[0-9.]+$' out
  expect_grep "bench: memory" '^memory: transparent huge pages [a-z/]+(; [0-9.]+ MB of this process on huge pages)?$' out
  expect_grep "bench: other load" '^machine: other processes [0-9.]+ cores, steal [0-9.]+ during the timed runs \(this process [0-9.]+\)(; a busy machine: the times are slower and noisier than on an idle one)?$' out
  for form in unfolded bn-fused folded; do
    expect_grep "bench: row $form" "^  $form +auto +.* +1 +[0-9.]+ +[0-9.]+-[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+\$" out
  done
  expect_grep "bench: the folded row is the unit" '^  folded .* 1\.00$' out
  expect_grep "bench: speedup" '^speedup of folding: [0-9.]+x \(unfolded median / folded median\)' out
  expect_grep "bench: outputs agree" '^outputs vs unfolded: bn-fused max rel [0-9.e+-]+, folded max rel [0-9.e+-]+$' out
fi
if [ -s bench.json ]; then
  keys="model threads backend shape runs timing flops results speedup peak_gflops peak_isa weights"
  if [ -r /proc/stat ]; then keys="$keys other_load peak_other_load"; fi
  for key in $keys; do
    expect_grep "bench --json: top-level key $key" "^  \"$key\": " bench.json
  done
  for form in unfolded bn-fused folded; do
    expect_grep "bench --json: $form result" "^    \\{\"form\": \"$form\", \"backend\": \"auto\", .*\"median_ms\": [0-9.e+-]+, \"min_ms\": [0-9.e+-]+, \"max_ms\": [0-9.e+-]+, \"gflops\": [0-9.e+-]+, .*\"runs\": 2\\}" bench.json
  done
  expect_grep "bench --json: shape" '^  "shape": \[1, 3, 32, 32\],$' bench.json
  py_check "bench --json: bench.json is not valid JSON or lacks the results" 'import json, sys; d = json.load(open(sys.argv[1])); r = d["results"]; assert [x["form"] for x in r] == ["unfolded", "bn-fused", "folded"] and all(x["median_ms"] > 0 and x["runs"] == 2 for x in r) and d["speedup"] > 0 and d["threads"] == 1 and d["timing"] == "warm"' bench.json
else
  bad "bench --json: bench.json not written"
fi
if expect_ok "bench --threads 2 --backend xnnpack" bench repvgg-a0 --shape 1x3x16x16 --runs 1 --threads 2 --backend=xnnpack; then
  expect_grep "bench --threads 2: rows" '^  folded +xnnpack +.* +2 +[0-9.]+ ' out
fi
expect_ok "bench --backend ref" bench repvgg-a0 --shape 1x3x8x8 --runs 1 --backend ref
# --cold: each timed run right after the other forms' (no run of its own before it).
if expect_ok "bench --cold" bench repvgg-a0 --shape 1x3x8x8 --runs 1 --cold --threads 2 --json cold.json; then
  expect_grep "bench --cold: header" '; each timed run right after the other forms. \(cold\); 30 ms pause before it \(their workers go to sleep\)$' out
  expect_grep "bench --cold --json: timing" '^  "timing": "cold",$' cold.json
fi
# --weights fp16: binary16 Winograd/GEMM weights; bench reports the outputs'
# error against float32 weights and the resident bytes drop (the Winograd
# weights to half, but for the Cin = 3 stem's, computed directly in float32).
if expect_ok "bench --weights fp16" bench repvgg-a0 --shape 1x3x32x32 --runs 1 --weights fp16 --json fp16.json; then
  expect_grep "bench --weights fp16: error line" '^binary16 weights: folded outputs vs float32 weights max rel [0-9]\.[0-9]e-0[3-5] ' out
  expect_grep "bench --weights fp16: forms" '^outputs vs unfolded: .*\(every form with binary16 weights\)$' out
  expect_grep "bench --weights fp16 --json: storage" '^  "weight_storage": "fp16",$' fp16.json
  expect_grep "bench --weights fp16 --json: error" '^  "fp16_max_rel": [0-9.e-]+$' fp16.json
  if [ -s bench.json ]; then
    py_check "bench --weights fp16: the Winograd weights are not about half of float32's" 'import json, sys; h = json.load(open(sys.argv[1]))["weights"]; f = json.load(open(sys.argv[2]))["weights"]; assert f["winograd_bytes"] <= 2 * h["winograd_bytes"] < 1.2 * f["winograd_bytes"] and h["resident_bytes"] < f["resident_bytes"]' fp16.json bench.json
  fi
fi
expect_ok "run --weights fp16" run repvgg-a0 --input x.npy --weights fp16
expect_fail "--weights bf16" 2 bench repvgg-a0 --weights bf16
expect_fail "fold --weights fp16" 2 fold repvgg-a0 -o w16.rcm --verify --weights fp16
# --profile: one row per plan entry of the folded form (the ECBSR tail's add
# and shuffle run inside its last conv, so their rows say fused), then the
# roofline: one row per entry that is not fused, and a total.
if expect_ok "bench --profile" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --runs 3 --profile --json profile.json; then
  expect_grep "bench --profile: header" '^profile of the folded form: median per plan entry over 3 rounds \(sum [0-9.]+ ms\)$' out
  expect_grep "bench --profile: per round" '^per round \(medians\): [0-9.]+ ms, of which the entries [0-9.]+ and [0-9.]+ outside them' out
  expect_grep "bench --profile: a Winograd row" '^ +[0-9]+  backbone\.1\.add_lpl +conv2d +winograd:wino[246]3__[a-z0-9]+\+prelu \(fused\) +[0-9.]+ +[0-9.]+% ' out
  expect_grep "bench --profile: the fused shuffle" '^ +12  upsampler +depth_to_space +fused +- +- +- +-$' out
  checks=$((checks + 1))
  [ "$(sed -n '/^profile of/,/^$/p' out | grep -cE '^ +[0-9]+  ')" = 13 ] || bad "bench --profile: not 13 plan entries"
  expect_grep "bench --profile: roofline header" '^roofline of the folded form: bytes each counted once' out
  expect_grep "bench --profile: bandwidth" '^memory bandwidth \(measured, 1 thread, [0-9]+ MB buffer, last-level cache [0-9]+ MB\): read [0-9.]+ GB/s, write [0-9.]+ GB/s, memcpy [0-9.]+ GB/s \(read \+ written\)$' out
  expect_grep "bench --profile: ridge point" '^ridge point [0-9.]+ FLOP/byte \(FMA peak [0-9.]+ GFLOP/s / read bandwidth\)' out
  expect_grep "bench --profile: roofline columns" '^ +# +node +MFLOP +weights MB +act MB +FLOP/B +median ms +GFLOP/s +% peak +% bw +bound$' out
  expect_grep "bench --profile: a roofline row" '^ +[0-9]+  backbone\.1\.add_lpl +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +(compute|memory)$' out
  expect_grep "bench --profile: roofline total" '^ +total +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$' out
  checks=$((checks + 1))
  [ "$(sed -n '/^roofline of/,$p' out | grep -cE '^ +[0-9]+  ')" = 7 ] || bad "bench --profile: not 7 roofline rows (13 entries less 6 fused)"
  # The JSON holds every entry; a Winograd conv 16 -> 16 at 24x20 reads its
  # input (16 x 24 x 20 floats) and U (alpha^2 x 16 x 16 floats).
  py_check "bench --profile --json: profile.json lacks the roofline" '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["profile"]
assert p["runs"] == 3 and p["threads"] == 1 and p["sum_ms"] > 0 and p["steady"] is False and p["form"] == "folded"
assert 0 < p["steps_ms"] <= p["run_ms"]  # each run holds its steps
bw = p["bandwidth"]
assert bw["read_gbs"] > 0 and bw["write_gbs"] > 0 and bw["copy_gbs"] > 0 and bw["buffer_bytes"] > 0
assert p["ridge_flop_per_byte"] > 0
e = p["entries"]
assert len(e) == 13 and [x["index"] for x in e] == list(range(13))
keys = {"node", "op", "backend", "kernel", "fused", "median_ms", "share", "flops", "layers", "weight_bytes",
        "channel_bytes", "input_bytes", "output_bytes", "ring_bytes_per_thread", "bytes", "flop_per_byte",
        "gflops", "peak_fraction", "bandwidth_fraction", "bound"}
assert all(keys <= set(x) for x in e)
w = [x for x in e if x["node"] == "backbone.1.add_lpl"][0]
assert w["backend"] == "winograd" and w["input_bytes"] == 16 * 24 * 20 * 4, w
assert w["weight_bytes"] in (a * a * 16 * 16 * 4 for a in (4, 6, 8)), w
assert w["channel_bytes"] == 2 * 16 * 4 and w["output_bytes"] == 16 * 24 * 20 * 4, w
assert w["bytes"] == w["weight_bytes"] + w["channel_bytes"] + w["input_bytes"] + w["output_bytes"]
assert w["bound"] in ("compute", "memory") and w["flops"] >= 2 * 24 * 20 * 16 * 16 * 9  # and its fused PReLU
assert all(x["bound"] is None and x["bytes"] == 0 and x["layers"] == 0 for x in e if x["fused"])
assert sum(1 for x in e if x["fused"]) == 6
wt = d["weights"]
assert wt["resident_bytes"] == wt["param_bytes"] + wt["winograd_bytes"] + wt["gemm_bytes"] + wt["xnnpack_bytes"]
assert wt["winograd_bytes"] > 0
' profile.json
fi

# --steady: one form, frames back to back; the format and the JSON fields,
# never the times.
if expect_ok "bench --steady --frames 3" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --steady --frames 3 --json steady.json; then
  expect_grep "bench --steady: header" '^bench --steady: ecbsr-m4c16-x2 \(built-in\), input 1x1x24x20, 1 thread, backend auto, form folded; 3 frames back to back in [0-9.]+ s after 1 warm-up frame \(not timed\); one input buffer, not rewritten between frames$' out
  expect_grep "bench --steady: FLOPs and peak" '^FLOPs per frame: [0-9.]+[KMG]?; FMA peak \(measured\): [0-9.]+ GFLOP/s on 1 thread' out
  expect_grep "bench --steady: weights" '^weights \(MB = 10\^6 bytes\): parameters [0-9.]+ MB; resident [0-9.]+ MB' out
  expect_grep "bench --steady: columns" '^  form +backend +kernels +threads +frames +fps median +fps overall +ms median +ms p90 +min-max ms +GFLOP/s +% peak$' out
  expect_grep "bench --steady: row" '^  folded +auto +.*winograd [0-9]+.* +1 +3 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+-[0-9.]+ +[0-9.]+ +[0-9.]+$' out
  expect_grep "bench --steady: summary" '^frames/s: [0-9.]+ from the median frame \(1000 / ms median\), [0-9.]+ overall \(frames / wall time\); effective GFLOP/s [0-9.]+ median, [0-9.]+ overall \([0-9.]+% of the peak\)$' out
  py_check "bench --steady --json: steady.json lacks the fields" '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["mode"] == "steady" and d["form"] == "folded" and d["frames"] == 3 and d["threads"] == 1
assert d["warmup_frames"] == 1 and d["input_rewritten"] is False and d["shape"] == [1, 1, 24, 20]
assert d["ms_min"] <= d["ms_median"] <= d["ms_p90"] <= d["ms_max"]
assert abs(d["fps_median"] * d["ms_median"] - 1000) < 1e-6 * 1000
assert d["fps_overall"] > 0 and d["wall_s"] > 0 and d["gflops"] > 0 and d["gflops_overall"] > 0
assert d["peak_gflops"] > 0 and d["peak_fraction"] > 0 and d["flops"] > 0 and d["kernels"]["winograd"] >= 1
assert set(d["weights"]) == {"param_bytes", "resident_bytes", "winograd_bytes", "gemm_bytes", "xnnpack_bytes"}
assert set(d["other_load"]) == {"other_cores", "steal_cores", "own_cores"} and min(d["other_load"].values()) >= 0
assert set(d["peak_other_load"]) == set(d["other_load"]) and min(d["peak_other_load"].values()) >= 0
' steady.json
fi
# --steady --profile: the same tables after the timed frames, over frames
# back to back, for the form asked for; the JSON says steady.
if expect_ok "bench --steady --profile" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --steady --frames 3 --form bn-fused --profile --json steady_profile.json; then
  expect_grep "bench --steady --profile: header" '^profile of the bn-fused form: median per plan entry over 3 frames back to back \(sum [0-9.]+ ms\)$' out
  expect_grep "bench --steady --profile: roofline header" '^roofline of the bn-fused form: bytes each counted once' out
  expect_grep "bench --steady --profile: a Winograd row" '^ +[0-9]+  [a-z0-9._]+ +conv2d +winograd:wino[246]3__[a-z0-9]+' out
  py_check "bench --steady --profile --json: steady_profile.json lacks the profile" '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["profile"]
assert d["mode"] == "steady" and d["form"] == "bn-fused"
assert p["form"] == "bn-fused" and p["steady"] is True and p["runs"] == 3 and p["threads"] == 1 and p["sum_ms"] > 0
assert len(p["entries"]) >= 13 and all(x["median_ms"] >= 0 for x in p["entries"] if not x["fused"])
' steady_profile.json
fi
# --scaling: a 1-thread session's profile alongside, frames taking turns; a
# line with both runs' medians, and each entry's time there and speedup.
if expect_ok "bench --steady --profile --scaling" bench ecbsr-m4c16-x2 --shape 1x1x24x20 --steady --frames 12 --profile --scaling --threads 2 --json scaling.json; then
  expect_grep "bench --scaling: the 1-thread line" '^on 1 thread, its frames alternating with these: [0-9.]+ ms a frame, the entries [0-9.]+; 2 threads over 1: [0-9.]+x \(frames\), [0-9.]+x \(entries\)$' out
  expect_grep "bench --scaling: columns" '^ +# +node +op +kernel +median ms +share +GFLOP/s +% peak +1t ms +speedup$' out
  expect_grep "bench --scaling: a Winograd row" '^ +[0-9]+  backbone\.1\.add_lpl +conv2d +winograd:[a-z0-9_]+.* +[0-9.]+ +[0-9.]+x$' out
  expect_grep "bench --scaling: a fused row" '^ +12  upsampler +depth_to_space +fused +- +- +- +- +- +-$' out
  py_check "bench --scaling --json: scaling.json lacks the baseline" '
import json, sys
p = json.load(open(sys.argv[1]))["profile"]
b = p["baseline"]
assert p["threads"] == 2 and p["runs"] == 12 and b["threads"] == 1 and b["same_entries"] is True and b["run_ms"] > 0
for x in p["entries"]:
    if x["fused"]:
        assert x["baseline_ms"] is None and x["speedup"] is None
    else:
        assert x["baseline_ms"] >= 0 and (x["speedup"] is None or x["speedup"] >= 0)
' scaling.json
fi
expect_fail "bench --scaling on 1 thread" 2 bench repvgg-a0 --steady --profile --scaling --threads 1
expect_fail "bench --scaling without --profile" 2 bench repvgg-a0 --steady --scaling --threads 2
expect_fail "bench --scaling without --steady" 2 bench repvgg-a0 --profile --scaling --threads 2
if expect_ok "bench --steady --seconds --form unfolded --threads 2" bench repvgg-a0 --shape 1x3x16x16 --steady --seconds 0.2 --form unfolded --threads 2; then
  expect_grep "bench --steady: unfolded row" '^  unfolded +auto +.* +2 +[0-9]+ +[0-9.]+ ' out
  expect_grep "bench --steady: 2 threads" '^bench --steady: repvgg-a0 \(built-in\), input 1x3x16x16, 2 threads, backend auto, form unfolded; [0-9]+ frames? back to back' out
fi
for v in 0 -1 abc "" 1.5 " 2" 100001; do
  expect_fail "bench --steady --frames '$v'" 2 bench repvgg-a0 --steady --frames "$v"
done
for v in 0 -1 abc "" 3601 nan inf 1e9 " 1" 2s; do
  expect_fail "bench --steady --seconds '$v'" 2 bench repvgg-a0 --steady --seconds "$v"
done
expect_fail "bench --frames without --steady" 2 bench repvgg-a0 --frames 2
expect_fail "bench --seconds without --steady" 2 bench repvgg-a0 --seconds 1
expect_fail "bench --form without --steady" 2 bench repvgg-a0 --form folded
expect_fail "bench --cold with --steady" 2 bench repvgg-a0 --steady --cold
expect_fail "bench --steady --form bogus" 2 bench repvgg-a0 --steady --form bogus
expect_fail "bench --steady --runs" 2 bench repvgg-a0 --steady --runs 2
expect_fail "bench --steady --frames --seconds" 2 bench repvgg-a0 --steady --frames 2 --seconds 1
expect_fail "run --steady" 2 run repvgg-a0 --input x.npy --steady
for r in 0 -1 abc "" 1.5 " 2" 100001 99999999999999999999; do
  expect_fail "bench --runs '$r'" 2 bench repvgg-a0 --runs "$r"
done
expect_fail "bench --runs without a value" 2 bench repvgg-a0 --runs
expect_fail "bench without a model" 2 bench --runs 2
expect_fail "bench --threads 0" 2 bench repvgg-a0 --threads 0
expect_fail "bench --backend bogus" 2 bench repvgg-a0 --backend bogus
expect_fail "bench --input" 2 bench repvgg-a0 --input x.npy
expect_fail "bench --json ''" 2 bench repvgg-a0 --json ""
expect_fail "run --runs" 2 run repvgg-a0 --input x.npy --runs 2
expect_fail "bench a missing file" 1 bench "$DIR/does-not-exist.rcm" --runs 1
expect_fail "bench --json into a missing directory" 1 bench repvgg-a0 --shape 1x3x8x8 --runs 1 --json "$DIR/no/such/dir/b.json"

# ---------------------------------------------------------------- usage errors
expect_fail "no command" 2
expect_fail "unknown command" 2 frobnicate
expect_fail "unknown global option" 2 --frobnicate
expect_fail "unknown option" 2 run a0.rcm --input x.npy --frobnicate
expect_fail "unknown short option" 2 run a0.rcm -x x.npy
expect_fail "option of another command" 2 info a0.rcm --seed 3
expect_fail "run without a model" 2 run
expect_fail "run without --input" 2 run a0.rcm
expect_fail "--input without a value" 2 run a0.rcm --input
expect_fail "two models" 2 info a0.rcm a0.rcm
expect_fail "save without -o" 2 save a0.rcm
expect_fail "gen-input without -o" 2 gen-input a0.rcm
expect_fail "--no-fold with a value" 2 run a0.rcm --no-fold=1 --input x.npy
for t in 0 -1 abc 257 1.5 "" 99999999999999999999 " 2"; do
  expect_fail "--threads '$t'" 2 run a0.rcm --input x.npy --threads "$t"
done
expect_fail "--threads=0" 2 run a0.rcm --input x.npy --threads=0
expect_fail "--backend bogus" 2 run a0.rcm --input x.npy --backend bogus
expect_fail "--seed -1" 2 gen-input a0.rcm -o z.npy --seed -1
# --no-fold and --backend ref are accepted (the run then stops at the bad input, not at the options).
expect_fail "--no-fold --backend ref parse" 1 run a0.rcm --no-fold --backend ref --input "$DIR/does-not-exist.npy"
expect_fail "--backend=auto -t 1 parse" 1 run a0.rcm --backend=auto -t 1 --input "$DIR/does-not-exist.npy"

# ---------------------------------------------------------------- hostile models
expect_fail "nonexistent model file" 1 info "$DIR/does-not-exist.rcm"
expect_fail "unknown model name" 1 run no-such-model --input x.npy --output z.npy
expect_fail "a directory as model" 1 info "$DIR"
: >empty.rcm
expect_fail "empty .rcm" 1 info empty.rcm
# Garbage: bytes of the program itself, and text.
head -c 65536 "$BIN" >garbage.rcm
expect_fail "garbage .rcm" 1 info garbage.rcm
echo "this is not a model" >text.rcm
expect_fail "text file as .rcm" 1 run text.rcm --input x.npy --output z.npy
if [ -s a0.rcm ]; then
  size=$(file_size a0.rcm)
  for n in 1 4 8 12 16 24 32 48 64 100 128 256 512 1000 4096 65536 $((size / 2)) $((size - 64)) $((size - 1)); do
    [ "$n" -lt "$size" ] || continue
    head -c "$n" a0.rcm >trunc.rcm
    expect_fail "a0.rcm truncated to $n bytes" 1 info trunc.rcm
  done
  # Corrupted (not truncated): one byte overwritten at several offsets of
  # the header and node table. The file may still be valid; it must not crash.
  for off in 0 4 8 12 16 24 32 48 64 96 128 256 512 1024; do
    [ "$off" -lt "$size" ] || continue
    cp a0.rcm corrupt.rcm
    printf '\377' | dd of=corrupt.rcm bs=1 seek="$off" conv=notrunc 2>/dev/null
    expect_no_crash "a0.rcm with byte $off = 0xff" info corrupt.rcm
    printf '\177' | dd of=corrupt.rcm bs=1 seek="$off" conv=notrunc 2>/dev/null
    expect_no_crash "a0.rcm with byte $off = 0x7f" info corrupt.rcm
  done
fi

# ---------------------------------------------------------------- hostile tensors
expect_fail "nonexistent input" 1 run a0.rcm --input "$DIR/does-not-exist.npy" --output z.npy
if [ -s y.npy ]; then
  expect_fail "input of the wrong shape" 1 run a0.rcm --input y.npy --output z.npy
fi
expect_fail "garbage .npy" 1 run a0.rcm --input garbage.rcm --output z.npy
expect_fail "a directory as .npy" 1 run a0.rcm --input "$DIR" --output z.npy
if [ -s x.npy ]; then
  size=$(file_size x.npy)
  for n in 0 1 6 8 9 10 11 64 127 128 129 1000 $((size / 2)) $((size - 4)) $((size - 1)); do
    head -c "$n" x.npy >trunc.npy
    expect_fail "x.npy truncated to $n bytes" 1 run a0.rcm --input trunc.npy --output z.npy
  done
  # A corrupted preamble: magic, version or header length overwritten.
  for off in 0 1 5 6 7 8 9; do
    cp x.npy corrupt.npy
    printf '\377' | dd of=corrupt.npy bs=1 seek="$off" conv=notrunc 2>/dev/null
    expect_fail "x.npy with byte $off = 0xff" 1 run a0.rcm --input corrupt.npy --output z.npy
  done
fi
expect_fail "save into a missing directory" 1 save a0.rcm -o "$DIR/no/such/dir/out.rcm"
expect_fail "gen-input into a missing directory" 1 gen-input a0.rcm -o "$DIR/no/such/dir/x.npy"
checks=$((checks + 1))
[ ! -e z.npy ] || bad "a failed run wrote z.npy"

# ---------------------------------------------------------------- plan dump
expect_ok "info --plan" info repvgg-a0 --plan --shape 1x3x32x32
expect_grep "info --plan: header with the arena" '^plan \(backend auto, 1 thread\): arena [0-9,]+ bytes' out
expect_grep "info --plan: a conv and its kernel" '^ +[0-9]+ +stage0\.0\.[a-z_]+ +conv2d +[a-z]+:' out
expect_grep "info --plan: the fused ReLU" '^ +[0-9]+ +stage0\.0\.relu +relu +fused' out
# --winograd forces a variant; --autotune times the candidates at load.
expect_ok "info --plan --winograd 2" info repvgg-a0 --plan --winograd 2 --shape 1x3x32x32
expect_grep "info --plan --winograd 2: forced" '^ +[0-9]+ +stage1\.1\.[a-z_]+ +conv2d +winograd:wino23__[a-z0-9]+\+relu \(fused\) +wino23: .*forced by the option' out
expect_ok "info --plan --autotune" info repvgg-a0 --plan --autotune --shape 1x3x32x32
# The GEMM is a candidate only with a SIMD GEMM micro-kernel (not under
# REPCONV_MAX_ISA=scalar).
if [ "${REPCONV_MAX_ISA:-}" = scalar ]; then gemm_c=''; else gemm_c=' gemm [0-9.]+ ms,'; fi
expect_grep "info --plan --autotune: times in the note" "^ +[0-9]+ +stage1\\.1\\.[a-z_]+ +conv2d +[a-z]+:.* autotuned, 1 thread: F2 [0-9.]+ ms, F4 [0-9.]+ ms, F6 [0-9.]+ ms,$gemm_c xnnpack [0-9.]+ ms\$" out
expect_fail "--winograd 5" 2 info repvgg-a0 --plan --winograd 5
# --chains: at 540x960 the ECBSR convs run as one Winograd chain headed by the
# first conv; off, layer by layer.
# One loaded model at another size (issue 13): run --shape-from-input takes
# the .npy's shape; the same bits as a model loaded at that size.
expect_ok "gen-input 1x1x37x53" gen-input ecbsr-m4c16-x2 --shape 1x1x37x53 -o odd.npy --seed 5
expect_ok "run at the loaded size" run ecbsr-m4c16-x2 --shape 1x1x37x53 --input odd.npy --output odd_static.npy
expect_fail "run at another size without --shape-from-input" 1 run ecbsr-m4c16-x2 --input odd.npy
expect_grep "the error suggests --shape-from-input" 'shape-from-input' err
if expect_ok "run --shape-from-input" run ecbsr-m4c16-x2 --shape-from-input --input odd.npy --output odd_dyn.npy; then
  expect_grep "run --shape-from-input: output 1x1x74x106" 'output: 1x1x74x106' out
  expect_same "size change and static load give the same bits" odd_static.npy odd_dyn.npy
fi
expect_fail "run --shape-from-input: a size the graph does not infer for" 1 run repvgg-a0 --shape-from-input --input odd.npy
expect_grep "the error names the node and shapes" "node '.*' \(conv2d\): input 1x1x37x53" err
expect_ok "info --plan: chain" info ecbsr-m4c16-x2 --plan
expect_grep "info --plan: chain head" '^ +0 +backbone\.0\.add_lpl +conv2d +winograd:wino[246]3__[a-z0-9]+\+prelu \(fused\) \[chain of 6\] .*runs a chain of 6 layers to .backbone\.5\.add_lpl.' out
expect_grep "info --plan: chain member" '^ +10 +backbone\.5\.add_lpl +conv2d +winograd:wino[246]3__[a-z0-9]+\+add\+depth_to_space \(fused\) \[in chain\] .*run by .backbone\.0\.add_lpl. in its chain' out
expect_ok "info --plan --chains off" info ecbsr-m4c16-x2 --plan --chains off
if grep -q 'chain' out; then bad "info --plan --chains off: a chain in the plan"; fi
expect_fail "--chains maybe" 2 info ecbsr-m4c16-x2 --plan --chains maybe
# REPCONV_MAX_ISA caps repconv's kernels: on an AVX-512 machine, avx2 plans
# the AVX2 Winograd kernels; scalar, the scalar ones (x86-64 only).
expect_ok "info --plan: the CPU's widest Winograd kernels" info ecbsr-m4c16-x2 --plan
if grep -q 'wino43__avx512f' out; then
  export REPCONV_MAX_ISA=avx2
  expect_ok "REPCONV_MAX_ISA=avx2" info ecbsr-m4c16-x2 --plan
  expect_grep "REPCONV_MAX_ISA=avx2: AVX2 kernels" 'winograd:wino43__avx2\+prelu' out
  export REPCONV_MAX_ISA=scalar
  expect_ok "REPCONV_MAX_ISA=scalar" info ecbsr-m4c16-x2 --plan
  expect_grep "REPCONV_MAX_ISA=scalar: scalar kernels" 'winograd:wino43__scalar\+prelu' out
  unset REPCONV_MAX_ISA
fi
expect_fail "--winograd on a command without --backend" 2 save repvgg-a0 -o x.rcm --winograd 2
expect_ok "info --plan --backend ref" info repvgg-a0 --plan --backend ref --shape 1x3x32x32
expect_grep "info --plan --backend ref: reference kernels" '^ +[0-9]+ +stage0\.0\.[a-z_]+ +conv2d +ref:' out
expect_fail "info --plan --backend bogus" 2 info repvgg-a0 --plan --backend bogus

# ---------------------------------------------------------------- ONNX
# PyTorch exports from tests/fixtures (numbers are checked by test_onnx; here
# the command line: loading, --shape, errors).
FIX=${REPCONV_FIXTURES:-}
if [ -n "$FIX" ] && [ -f "$FIX/onnx/ecbsr_x2.onnx" ]; then
  O=$FIX/onnx
  expect_ok "info .onnx" info "$O/plain_vgg.onnx" && expect_grep "info .onnx lists the convs" '^ +conv2d +6$' out
  expect_grep "info .onnx: constant subgraphs are gone" '^ +pad ' out
  if grep -Eq '^ +(cast|slice|transpose|constant)' out; then bad "info .onnx shows constant-subgraph ops"; fi
  # Dynamic dims (issue 13): info shows them as ?, run takes them from the .npy.
  if expect_ok "info of a dynamic .onnx" info "$O/ecbsr_x2_dyn.onnx"; then
    expect_grep "info: dynamic input dims as ?" '^  input +\?x1x\?x\?$' out
    expect_grep "info: dynamic output dims as ?" '^  output +\?x1x\?x\?$' out
    expect_grep "info: FLOPs depend on the size" '^FLOPs: depend on the input size' out
  fi
  expect_ok "dynamic .onnx without --shape" run "$O/ecbsr_x2_dyn.onnx" --input "$O/ecbsr_x2_dyn.in.npy" -o dn.npy
  expect_ok "dynamic .onnx with --shape" run "$O/ecbsr_x2_dyn.onnx" --shape 1x1x23x31 --input "$O/ecbsr_x2_dyn.in.npy" --output d.npy
  expect_ok "static .onnx" run "$O/ecbsr_x2.onnx" --input "$O/ecbsr_x2.in.npy" --output s.npy
  expect_same "dynamic and static exports give the same bits" d.npy s.npy
  expect_same "dynamic export without --shape gives the same bits" dn.npy s.npy
  expect_fail "a Shape op on a dynamic input" 1 info "$O/ecb_block_official_dyn.onnx"
  expect_grep "the error names the Shape node and asks for --shape" "Shape.*static shape.*--shape" err
  if grep -q 'repconv_options_set_input_shape) (--shape' err; then :; else bad "the CLI adds its --shape hint"; fi
  expect_ok "save .onnx as .rcm" save "$O/ecbsr_x2.onnx" -o sr.rcm
  expect_ok "run the saved .rcm" run sr.rcm --input "$O/ecbsr_x2.in.npy" --output r.npy
  expect_same ".onnx and its .rcm give the same bits" s.npy r.npy
  expect_ok "batch 2 via --shape NAME=" run "$O/repvgg_classifier_dyn.onnx" --shape input=2x3x33x33 \
    --input "$O/repvgg_classifier_dyn.in.npy" --output b.npy
  expect_fail "--shape contradicting a static dim" 1 run "$O/ecbsr_x2.onnx" --shape 1x1x24x31 --input "$O/ecbsr_x2.in.npy"
  expect_fail "--shape with a zero dim" 2 run "$O/ecbsr_x2.onnx" --shape 1x0x23x31 --input "$O/ecbsr_x2.in.npy"
  expect_fail "--shape garbage" 2 info "$O/ecbsr_x2.onnx" --shape 1x1xfoo
  expect_fail "--shape for a missing input" 1 info "$O/ecbsr_x2.onnx" --shape nope=1x1x23x31
  # Constant shifts (issue 11, item 1): relu(conv(x)) + b and conv(x - m) + m
  # used to fold to y = x at the shift (--verify: 0.32 and 0.20 relative);
  # (x - mean) / std before a padded conv must be cut there, and say why.
  for m in relu_conv_bias mean_shift_sr norm_conv; do
    if expect_ok "fold --verify $m.onnx" fold "$O/$m.onnx" -o "$m.rcm" --verify; then
      expect_grep "fold --verify $m.onnx: verdict" '^verify: max abs [0-9.e+-]+, max rel [0-9.e+-]+ <= 1e-04: ok' out
      checks=$((checks + 1))
      rel=$(sed -n 's/^verify: max abs [^,]*, max rel \([0-9.e+-]*\) .*/\1/p' out)
      if [ -z "$rel" ] || ! awk -v r="$rel" 'BEGIN { exit !(r + 0 < 1e-5) }'; then
        bad "fold --verify $m.onnx: max rel '$rel' is not below 1e-5"
      fi
    fi
  done
  expect_grep "fold norm_conv.onnx: cut before the padded conv" \
    "cut before '/conv/Conv' \\(conv2d\\): the padded map's bias .* is not the pad value 0" out
  for f in "$FIX"/onnx_bad/*.onnx; do
    # dynamic_dim.onnx (a symbolic height) loads since issue 13
    [ "$(basename "$f")" = dynamic_dim.onnx ] && continue
    expect_fail "bad ONNX $(basename "$f")" 1 info "$f"
  done
  if expect_ok "info of a symbolic height" info "$FIX/onnx_bad/dynamic_dim.onnx"; then
    expect_grep "info: 1x2x?x5" '^  input +1x2x\?x5$' out
  fi
  size=$(file_size "$O/plain_vgg.onnx")
  for len in 1 7 100 1000 5000 $((size / 2)) $((size - 1)); do
    head -c "$len" "$O/plain_vgg.onnx" >trunc.onnx
    expect_fail "ONNX truncated to $len bytes" 1 info trunc.onnx
  done
fi

cli_summary
