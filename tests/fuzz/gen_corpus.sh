#!/usr/bin/env bash
# Regenerates the committed seeds and reproducers in tests/fuzz/corpus/ from
# a normal build (default build/): fuzz_gen_corpus (C: .rcm graphs, builder
# programs, .npy variants, the ECBSR built-in), gen_onnx_corpus.py (ONNX
# reproducers; Debian's /usr/bin/python3 with onnx), and `repconv save` of a
# few ONNX fixtures as .rcm, as stored and folded.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
build="${1:-$root/build}"
corpus="$here/corpus"
mkdir -p "$corpus"/fuzz_rcm "$corpus"/fuzz_onnx "$corpus"/fuzz_npy "$corpus"/fuzz_builder

"$build/tests/fuzz/fuzz_gen_corpus" "$corpus"
/usr/bin/python3 "$here/gen_onnx_corpus.py"
for m in repvgg_block_s1 acnet_block dbb_block_k3 ecb_block dense_concat fire_concat residual_block \
         mobileone_dw psconv_dilated repmlp_block plain_head doconv sr_skip_bicubic repvgg_se se_hardsigmoid; do
  "$build/repconv" save "$root/tests/fixtures/onnx/$m.onnx" --no-fold -o "$corpus/fuzz_rcm/onnx_$m.rcm" >/dev/null
  "$build/repconv" save "$root/tests/fixtures/onnx/$m.onnx" -o "$corpus/fuzz_rcm/onnx_${m}_folded.rcm" >/dev/null
done
echo "gen_corpus: $(find "$corpus" -type f | wc -l) files in $corpus"
