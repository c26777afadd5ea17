#!/bin/sh
# Drives `repconv upscale` as a user would (tests/test_image.c and
# tests/test_upscale.c check the pixels):
#
#   sh tests/cli/test_upscale.sh PATH/TO/repconv SCRATCH_DIR
#
# Every picture kind in and the PNG kind out (read from the PNG header),
# tiled output byte-identical to the untiled one on every backend (and not
# with a halo too small: the check can fail), folder mode, and bad input
# (truncated, malformed, CMYK, bad options): exit 1 or 2 by itself, exactly
# one "repconv: " line on stderr, no output file left behind. Uses the
# built-in ecbsr-m4c16-x2 (random weights) and tests/fixtures/images.
set -u
. "$(dirname "$0")/common.sh"
IMG=${REPCONV_FIXTURES:-$(dirname "$0")/../fixtures}/images
case "$IMG" in /*) ;; *) IMG="$(pwd)/$IMG" ;; esac
cli_setup test_upscale "$@"
M=ecbsr-m4c16-x2

# header FILE: "WIDTH HEIGHT DEPTH COLORTYPE" from a PNG's IHDR.
header() {
  od -An -tu1 -j16 -N10 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8, $9, $10}'
}
expect_header() {
  checks=$((checks + 1))
  got=$(header "$2")
  [ "$got" = "$3" ] || bad "$1: $2 has header '$got', expected '$3'"
}

run upscale $M -i "$IMG/rgb8.png" -o probe.png
if grep -q "built without" err; then
  echo "test_upscale: repconv was built without libpng/libjpeg: skipped"
  echo "0 passed, 0 failed"
  exit 0
fi

# ---------------------------------------------------------------- kinds
# PNG color types: 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA.
for kind in "rgb8.png 8 2" "gray8.png 8 0" "rgba8.png 8 6" "graya8.png 8 4" "gray16.png 16 0" "rgb16.png 16 2" \
  "palette.png 8 6" "gray1.png 8 0" "rgb.jpg 8 2" "gray.jpg 8 0" "progressive.jpg 8 2"; do
  set -- $kind
  if expect_ok "upscale $1" upscale $M -i "$IMG/$1" -o "k_$1.png"; then
    expect_header "upscale $1" "k_$1.png" "74 46 $2 $3"
    checks=$((checks + 1))
    grep -q "37x23 .* 74x46 (x2" out || { bad "upscale $1: summary line"; show; }
  fi
done
[ ! -e "k_rgb8.png.png.part" ] || bad "a .part file was left behind"
expect_ok "1x1" upscale $M -i "$IMG/one.png" -o one_x2.png && expect_header "1x1" one_x2.png "2 2 8 2"
expect_ok "--bicubic" upscale $M --bicubic -i "$IMG/rgba8.png" -o bic.png && expect_header "--bicubic" bic.png "74 46 8 6"

# ---------------------------------------------------------------- tiles
# A 148x92 16-bit RGB picture (bicubic x4 of a fixture): 16-bit output
# keeps differences the 8-bit rounding would hide.
expect_ok "make big" upscale $M --bicubic -i "$IMG/rgb16.png" -o mid.png
expect_ok "make big" upscale $M --bicubic -i mid.png -o big.png
for be in "--backend winograd --winograd 2" "--backend winograd --winograd 4" "--backend winograd --winograd 6" \
  "--backend gemm" "--backend xnnpack" "--backend ref" "--backend auto"; do
  # shellcheck disable=SC2086  # the backend options are words
  expect_ok "untiled $be" upscale $M $be -i big.png -o whole.png -t 1000
  for t in 1 13 40; do
    # shellcheck disable=SC2086
    if expect_ok "-t $t $be" upscale $M $be --threads 2 -i big.png -o tiled.png -t $t; then
      checks=$((checks + 1))
      grep -Eq "\(x2, [0-9]+ tiles of" out || { bad "-t $t $be: not tiled"; show; }
      cmp -s whole.png tiled.png || bad "-t $t $be: tiled output differs from the untiled one"
    fi
  done
done
# The halo matters: F(6,3) blocks reach 6 pixels a layer, the convs 1.
expect_ok "halo too small" upscale $M --backend winograd --winograd 6 -i big.png -o whole.png -t 1000
expect_ok "halo too small" upscale $M --backend winograd --winograd 6 -i big.png -o small_halo.png -t 13 --halo 6
checks=$((checks + 1))
cmp -s whole.png small_halo.png && bad "--halo 6 under F(6,3) gave the untiled output: the tiled check proves nothing"
# A memory budget small enough to tile, and --progress on stderr only.
expect_ok "budget" upscale $M -i big.png -o budget.png --max-memory 16
checks=$((checks + 1))
"$BIN" upscale $M -i big.png -o progress.png --progress -t 20 >pout 2>perr
grep -q "tile" perr || bad "--progress: no progress on stderr"
grep -q "tile [0-9]*/" pout && bad "--progress: progress on stdout"

# ---------------------------------------------------------------- folders
mkdir -p in/sub
cp "$IMG/rgb8.png" in/a.png
cp "$IMG/gray.jpg" in/b.JPG
cp "$IMG/rgba8.png" in/c.jpeg.png
echo "not a picture" >in/notes.txt
if expect_ok "folder" upscale $M -i in -o outdir; then
  for f in a.png b.png c.jpeg.png; do
    checks=$((checks + 1))
    [ -f "outdir/$f" ] || bad "folder: outdir/$f missing"
  done
  expect_header "folder" outdir/b.png "74 46 8 0"
  checks=$((checks + 1))
  grep -q "skipped notes.txt" out || bad "folder: no note for notes.txt"
  grep -q "skipped sub" out || bad "folder: no note for sub/"
  grep -q "3 pictures upscaled, 0 failed" out || bad "folder: summary"
fi
cp "$IMG/rgb.jpg" in/a.jpg
expect_fail_with "folder: two inputs, one output name" 1 "would both be written" upscale $M -i in -o outdir2
rm in/a.jpg
expect_fail_with "folder: output folder is the input" 1 "overwrite" upscale $M -i in -o in
head -c 100 "$IMG/rgb8.png" >in/d.png
expect_fail_with "folder: a bad picture among good ones" 1 "d.png" upscale $M -i in -o outdir3
checks=$((checks + 1))
[ -f outdir3/a.png ] && [ ! -e outdir3/d.png ] || bad "folder: the good pictures are written, the bad one is not"
expect_fail_with "--reference with a folder" 2 "one picture" upscale $M -i in -o outdir --reference "$IMG/rgb8.png"

# ---------------------------------------------------------------- reference
if expect_ok "--reference" upscale $M -i "$IMG/rgb8.png" -o ref.png --reference k_rgb8.png.png; then
  checks=$((checks + 1))
  grep -Eq "^  $M +PSNR +inf dB +SSIM 1.0000" out || { bad "--reference: output vs itself is not inf dB"; show; }
  grep -Eq "^  bicubic +PSNR +[0-9.]+ dB +SSIM 0\.[0-9]+" out || { bad "--reference: no bicubic line"; show; }
fi
expect_fail_with "--reference of another size" 1 "the output is 74x46" upscale $M -i "$IMG/rgb8.png" -o ref.png \
  --reference "$IMG/rgb8.png"

# ---------------------------------------------------------------- bad input
head -c 300 "$IMG/rgb8.png" >cut.png
expect_fail_with "truncated PNG" 1 "cut.png: truncated" upscale $M -i cut.png -o cut_out.png
checks=$((checks + 1))
[ ! -e cut_out.png ] && [ ! -e cut_out.png.part ] || bad "truncated PNG: an output file was left"
head -c 500 "$IMG/rgb.jpg" >cut.jpg
expect_fail_with "truncated JPEG" 1 "cut.jpg: " upscale $M -i cut.jpg -o cut_out.png
printf 'P6\n1 1\n255\nabc' >x.ppm
expect_fail_with "not a picture" 1 "not a PNG or JPEG" upscale $M -i x.ppm -o x.png
expect_fail_with "CMYK" 1 "CMYK" upscale $M -i "$IMG/cmyk.jpg" -o x.png
expect_fail_with "missing input" 1 "cannot open" upscale $M -i nope.png -o x.png
expect_fail_with "output folder missing" 1 "cannot create" upscale $M -i "$IMG/rgb8.png" -o no/such/dir/x.png
expect_fail_with "output over input" 1 "overwrite the input" upscale $M -i k_rgb8.png.png -o k_rgb8.png.png
expect_fail_with "not an image model" 1 "image model" upscale repvgg-a0 -i "$IMG/rgb8.png" -o x.png
expect_fail_with "-t -1" 2 "bad --tile value" upscale $M -i "$IMG/rgb8.png" -o x.png -t -1
expect_fail_with "--max-memory 1" 2 "bad --max-memory value" upscale $M -i "$IMG/rgb8.png" -o x.png --max-memory 1
expect_fail_with "no -o" 2 "give one -o" upscale $M -i "$IMG/rgb8.png"
expect_fail_with "-o x.jpg" 2 "does not end in .png" upscale $M -i "$IMG/rgb8.png" -o x.jpg
expect_fail_with "--tile on run" 2 "does not apply" run $M --tile 4 --input x.npy

cli_summary
