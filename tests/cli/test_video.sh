#!/bin/sh
# Drives `repconv video` through files and pipes as a user would:
#
#   sh tests/cli/test_video.sh PATH/TO/repconv SCRATCH_DIR
#
# Synthetic clips (made here with printf and head) check the stream: sizes,
# header fields carried over, '-' for stdin and stdout, errors (malformed
# headers, truncated frames, interlaced input, a consumer that quits early)
# as one "repconv: " line on stderr, exit status 1, and the frames before the
# error written complete. With ffmpeg (Debian's; third_party/install-deps.sh
# installs it), clips that testsrc generates go through ffmpeg | repconv |
# ffmpeg and ffprobe checks size, frame count, pixel format, rate and aspect,
# for 4:2:0, 4:2:2, 4:4:4, gray and 10-bit 4:2:0; without it those checks are
# skipped with a message. The model is the built-in ecbsr-m4c16-x2 (random
# weights, 1 channel, x2).
set -u
. "$(dirname "$0")/common.sh"
cli_setup test_video "$@"
M=ecbsr-m4c16-x2

# mk W H C FRAMES FRAME_BYTES [FRAME_PARAMS]: a clip on stdout, random samples.
mk() {
  printf 'YUV4MPEG2 W%s H%s F25:1 Ip A1:1 C%s XYSCSS=TEST\n' "$1" "$2" "$3"
  i=0
  while [ "$i" -lt "$4" ]; do
    printf 'FRAME%s\n' "${6:-}"
    head -c "$5" /dev/urandom
    i=$((i + 1))
  done
}

# error_case DESC WANT COMMAND...: exit status 1 (not a signal), one line on
# stderr starting "repconv: " and containing WANT.
error_case() {
  desc=$1
  want=$2
  shift 2
  checks=$((checks + 1))
  "$@" >out 2>err
  rc=$?
  lines=$(wc -l <err | tr -d ' ')
  if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q "^repconv: .*$want" err; then
    bad "$desc: exit status $rc, $lines line(s) on stderr, expected 1 and one line with '$want'"
    sed -n '1,5p' err | sed 's/^/  | /'
  fi
}

# ------------------------------------------------------------ synthetic clips

# 4:2:0 at 33x17 (odd: chroma 17x9 in, 33x17 out): 561 + 2 * 153 = 867 bytes a frame.
mk 33 17 420jpeg 4 867 >odd.y4m
check "video: stdin to stdout" sh -c "cat odd.y4m | '$BIN' video $M - - >odd_x2.y4m 2>err"
check "video: a summary line on stderr" grep -q "^video: 4 frames 33x17 .* 66x34 (C420jpeg) in .* frames/s" err
check "video: header carried over, W and H scaled" \
  sh -c "head -n 1 odd_x2.y4m | grep -qx 'YUV4MPEG2 W66 H34 F25:1 Ip A1:1 C420jpeg XYSCSS=TEST'"
# 66x34 4:2:0: 2244 + 2 * 33 * 17 = 3366 bytes, 4 frames of 6 + 3366 after the header
hdr=$(head -n 1 odd.y4m | wc -c | tr -d ' ') # W and H keep their digit counts
check "video: output size (4 frames of 66x34 4:2:0)" test "$(file_size odd_x2.y4m)" -eq $((hdr + 4 * 3372))
check "video: files in and out, --quiet prints nothing" sh -c "'$BIN' video $M odd.y4m odd_f.y4m --quiet 2>err && test ! -s err"
check "video: same bytes from files and pipes" cmp -s odd_x2.y4m odd_f.y4m
check "video: --threads 2 gives the same bytes" sh -c "'$BIN' video $M odd.y4m - --threads 2 -q >odd_t2.y4m && cmp -s odd_x2.y4m odd_t2.y4m"
check "video: --progress on a non-terminal" sh -c "'$BIN' video $M odd.y4m /dev/null --progress 2>err && grep -q 'frames/s' err"
check "video: --profile prints the stages" sh -c "'$BIN' video $M odd.y4m /dev/null --profile 2>err && grep -q 'per frame (ms)' err"
check "video: --model-only" sh -c "'$BIN' video $M odd.y4m --model-only 2>err && grep -q 'model alone: 4 frames' err"

# FRAME parameters carried over
mk 16 8 mono 2 128 " Ixyz" >params.y4m
check "video: FRAME parameters carried over" sh -c "'$BIN' video $M params.y4m - -q | grep -ao 'FRAME Ixyz' | wc -l | grep -qx 2"
# zero frames: the header alone
mk 16 8 422 0 0 >zero.y4m
check "video: zero frames" sh -c "'$BIN' video $M zero.y4m - 2>err >zero_x2.y4m && grep -q '^video: 0 frames' err"
check "video: zero frames, header only" sh -c "test \"\$(cat zero_x2.y4m)\" = 'YUV4MPEG2 W32 H16 F25:1 Ip A1:1 C422 XYSCSS=TEST'"
# every layout's frame size: W32 H16 in, W64 H32 out
for c in "420paldv 768 3072" "420mpeg2 768 3072" "411 768 3072" "422 1024 4096" "444 1536 6144" \
  "444alpha 2048 8192" "mono 512 2048" "420p10 1536 6144" "mono16 1024 4096"; do
  set -- $c
  mk 32 16 "$1" 3 "$2" >c.y4m
  hdr=$(head -n 1 c.y4m | wc -c | tr -d ' ')
  check "video: C$1 (3 frames)" sh -c "'$BIN' video $M c.y4m c_x2.y4m -q && test \$(wc -c <c_x2.y4m) -eq $((hdr + 3 * (6 + $3)))"
done

# errors: one line, exit 1
printf 'YUV4MPEG2 W16 H8 C420jpeg\nFRAME\n' >trunc.y4m
head -c 192 /dev/urandom >>trunc.y4m
printf 'FRAME\n' >>trunc.y4m
head -c 192 /dev/urandom >>trunc.y4m
printf 'FRAME\n' >>trunc.y4m
head -c 100 /dev/urandom >>trunc.y4m
error_case "video: truncated frame" "'stdin': frame 3 is truncated: the input ends after 100 of its 192 bytes" \
  sh -c "cat trunc.y4m | '$BIN' video $M - trunc_x2.y4m"
check "video: the 2 frames before the truncated one written complete" test "$(file_size trunc_x2.y4m)" -eq $((27 + 2 * (6 + 768)))
error_case "video: malformed header" "'bad.y4m': bad height 'Hx'" sh -c "printf 'YUV4MPEG2 W16 Hx\n' >bad.y4m; '$BIN' video $M bad.y4m -"
error_case "video: not a y4m" "not a YUV4MPEG2 stream" sh -c "printf 'RIFF....WAVEfmt ' | '$BIN' video $M - -"
error_case "video: empty input" "empty input" sh -c "'$BIN' video $M - - </dev/null"
error_case "video: 17-bit" "colorspace 'C420p17' is not supported" sh -c "printf 'YUV4MPEG2 W16 H8 C420p17\n' | '$BIN' video $M - -"
error_case "video: interlaced" "interlaced (It)" sh -c "printf 'YUV4MPEG2 W16 H8 It\n' | '$BIN' video $M - -"
error_case "video: a bad FRAME header" "frame 1: expected a FRAME header" sh -c "printf 'YUV4MPEG2 W2 H2 Cmono\nFRAMX\n1234' | '$BIN' video $M - -"
error_case "video: missing input file" "cannot open 'nope.y4m'" "$BIN" video $M nope.y4m -
error_case "video: a directory" "is a directory" "$BIN" video $M . -
error_case "video: output directory missing" "cannot create 'no/dir.y4m'" "$BIN" video $M odd.y4m no/dir.y4m
error_case "video: a 3-channel model" "" sh -c "'$BIN' video repvgg-a0 odd.y4m - >/dev/null"
checks=$((checks + 1))
"$BIN" video $M odd.y4m >out 2>err
if [ $? -ne 2 ] || ! grep -q "expected MODEL IN.y4m OUT.y4m" err; then bad "video: OUT missing is a usage error"; fi

# the consumer quits early: "output closed after N frames", exit 1, no signal
mk 96 64 420jpeg 10 9216 >clip.y4m
checks=$((checks + 1))
{
  "$BIN" video $M clip.y4m - 2>err
  echo $? >rc
} | head -c 1000 >/dev/null
if [ "$(cat rc)" -ne 1 ] || ! grep -q "^repconv: video: output closed after [0-9]* frames$" err; then
  bad "video: consumer closed early: exit $(cat rc)"
  sed 's/^/  | /' err
fi

# ------------------------------------------------------------ ffmpeg round trips

if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
  for fmt in yuv420p yuv422p yuv444p gray yuv420p10le; do
    ffmpeg -v error -f lavfi -i testsrc=size=96x64:rate=5 -vf setsar=4/3 -frames:v 5 -pix_fmt "$fmt" -strict -1 \
      -f yuv4mpegpipe - 2>ffmpeg_err | "$BIN" video $M - - 2>err |
      ffmpeg -v error -f yuv4mpegpipe -i - -c:v ffv1 -y "rt_$fmt.mkv" 2>>ffmpeg_err
    got=$(ffprobe -v error -count_frames -select_streams v:0 \
      -show_entries stream=width,height,pix_fmt,nb_read_frames,r_frame_rate,sample_aspect_ratio \
      -of default=noprint_wrappers=1 "rt_$fmt.mkv" 2>>ffmpeg_err | sort | tr '\n' ' ')
    want="height=128 nb_read_frames=5 pix_fmt=$fmt r_frame_rate=5/1 sample_aspect_ratio=4:3 width=192 "
    checks=$((checks + 1))
    if [ "$got" != "$want" ]; then
      bad "video: ffmpeg round trip $fmt: ffprobe says '$got', expected '$want'"
      sed 's/^/  | /' err ffmpeg_err
    fi
  done
  # the chroma planes are bicubic: close to ffmpeg's own bicubic upscale of them
  ffmpeg -v error -f lavfi -i testsrc=size=96x64:rate=5 -frames:v 5 -pix_fmt yuv444p -f yuv4mpegpipe - >t444.y4m
  "$BIN" video $M t444.y4m t444_x2.y4m -q
  ffmpeg -v error -i t444.y4m -vf scale=192:128:flags=bicubic -pix_fmt yuv444p -f yuv4mpegpipe -y ref444.y4m
  psnr=$(ffmpeg -i t444_x2.y4m -i ref444.y4m -lavfi psnr -f null - 2>&1 | sed -n 's/.*PSNR y:\([0-9.]*\) u:\([0-9.]*\) v:\([0-9.]*\).*/\1 \2 \3/p')
  set -- $psnr
  # u and v: the same filter family as ffmpeg's (a = -0.75 here, -0.5 there), > 35 dB;
  # y: the random-weight model is a modest correction of the upscale, > 20 dB
  check "video: PSNR against ffmpeg's bicubic (y u v: $psnr)" \
    awk -v y="${1:-0}" -v u="${2:-0}" -v v="${3:-0}" 'BEGIN { exit !(y + 0 > 20 && u + 0 > 35 && v + 0 > 35) }'
else
  echo "SKIP: ffmpeg or ffprobe not found: the ffmpeg round trips are not checked (third_party/install-deps.sh installs ffmpeg)"
fi

cli_summary
