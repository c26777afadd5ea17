#!/bin/sh
# `repconv video` end to end against the model alone, side by side in one
# run: for each thread count, ROUNDS rounds alternating
#   e2e:   cat clip.y4m | repconv video MODEL - - --threads T | cat >/dev/null
#          (y4m in and out through pipes, chroma included; frames/s from the
#          summary line: frames over the stream's time, model loading excluded)
#   gray:  the same clip as gray (no chroma planes): what chroma costs
#   model: repconv video MODEL clip.y4m --model-only --threads T
#          (the same session on the same frames back to back, no I/O)
# and prints the medians and e2e / model, both as the ratio of the medians
# and as the median of each round's ratio (e2e and model of one round run
# next to each other: steadier when other load on the machine drifts).
#
#   sh bench/video.sh BUILD/repconv [ROUNDS] [FRAMES] [WxH] [MODEL]
# Needs ffmpeg for the clip (testsrc2, 4:2:0).
set -eu
BIN=$1
ROUNDS=${2:-5}
FRAMES=${3:-12}
SIZE=${4:-960x540}
MODEL=${5:-ecbsr-m4c16-x2}
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
ffmpeg -v error -f lavfi -i "testsrc2=size=$SIZE:rate=25" -frames:v "$FRAMES" -pix_fmt yuv420p -f yuv4mpegpipe "$DIR/c.y4m"
ffmpeg -v error -f lavfi -i "testsrc2=size=$SIZE:rate=25" -frames:v "$FRAMES" -pix_fmt gray -f yuv4mpegpipe "$DIR/g.y4m"
fps() { sed -n 's/.* \([0-9.]*\) frames\/s.*/\1/p' "$1" | head -n 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "clip: $FRAMES frames $SIZE 4:2:0 (and gray), model $MODEL, $ROUNDS rounds, medians"
for t in 1 2; do
  : >"$DIR/e" && : >"$DIR/g" && : >"$DIR/m"
  r=0
  while [ "$r" -lt "$ROUNDS" ]; do
    cat "$DIR/c.y4m" | "$BIN" video "$MODEL" - - --threads "$t" 2>"$DIR/err" | cat >/dev/null
    fps "$DIR/err" >>"$DIR/e"
    cat "$DIR/g.y4m" | "$BIN" video "$MODEL" - - --threads "$t" 2>"$DIR/err" | cat >/dev/null
    fps "$DIR/err" >>"$DIR/g"
    "$BIN" video "$MODEL" "$DIR/c.y4m" --model-only --threads "$t" 2>"$DIR/err"
    fps "$DIR/err" >>"$DIR/m"
    r=$((r + 1))
  done
  e=$(median <"$DIR/e")
  g=$(median <"$DIR/g")
  m=$(median <"$DIR/m")
  re=$(paste "$DIR/e" "$DIR/m" | awk '{ printf "%.4f\n", $1 / $2 }' | median)
  echo "threads $t: e2e $e frames/s, e2e gray $g frames/s, model alone $m frames/s; e2e/model $(awk "BEGIN { printf \"%.1f%%\", 100 * $e / $m }") (per round $(awk "BEGIN { printf \"%.1f%%\", 100 * $re }")), gray/model $(awk "BEGIN { printf \"%.1f%%\", 100 * $g / $m }")"
  echo "  e2e: $(tr '\n' ' ' <"$DIR/e") | gray: $(tr '\n' ' ' <"$DIR/g") | model: $(tr '\n' ' ' <"$DIR/m")"
done
