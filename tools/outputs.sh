#!/usr/bin/env bash
# tools/outputs.sh REPCONV_BIN OUTDIR [FIXTURES_DIR]: writes every output the CLI makes
# from fixed inputs: the built-in models (gen-input, saved .rcm bytes folded and
# unfolded, run with backends auto/gemm/xnnpack and --no-fold on 1 and 2 threads)
# and every ONNX fixture (run folded and --no-fold, save). For a change that must
# not change behaviour (a refactor): run it with the binary before and after,
# then `diff -r OUT_BEFORE OUT_AFTER` must print nothing.
set -u
bin=$1; out=$2; fx=${3:-"$(dirname "$0")/../tests/fixtures"}
mkdir -p "$out"
for m in $($bin list); do
  $bin gen-input $m -o "$out/$m.in.npy" --seed 7 >/dev/null
  $bin save $m -o "$out/$m.folded.rcm" >/dev/null
  $bin save $m -o "$out/$m.unfolded.rcm" --no-fold >/dev/null
  for t in 1 2; do
    for b in auto gemm xnnpack; do
      $bin run $m --input "$out/$m.in.npy" --output "$out/$m.$b.t$t.npy" --threads $t --backend $b >/dev/null 2>&1 || echo "fail $m $b $t" >"$out/$m.$b.t$t.err"
    done
    $bin run $m --input "$out/$m.in.npy" --output "$out/$m.nofold.t$t.npy" --threads $t --no-fold >/dev/null 2>&1 || echo fail >"$out/$m.nofold.t$t.err"
  done
done
for f in "$fx"/onnx/*.onnx; do
  n=$(basename "$f" .onnx); i="$fx/onnx/$n.in.npy"
  [ -f "$i" ] || continue
  for t in 1 2; do
    $bin run "$f" --input "$i" --output "$out/onnx.$n.t$t.npy" --threads $t >/dev/null 2>&1 || echo fail >"$out/onnx.$n.t$t.err"
    $bin run "$f" --input "$i" --output "$out/onnx.$n.nofold.t$t.npy" --threads $t --no-fold >/dev/null 2>&1 || echo fail >"$out/onnx.$n.nofold.t$t.err"
  done
  $bin save "$f" -o "$out/onnx.$n.folded.rcm" >/dev/null 2>&1 || echo fail >"$out/onnx.$n.save.err"
done
echo "outputs: $(ls "$out" | wc -l) files in $out"
