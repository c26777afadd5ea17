#!/usr/bin/env bash
# Installs the Debian 12 packages repconv needs to build and test, when any
# are missing. Idempotent: prints nothing and changes nothing when all are
# installed. Runs apt-get through sudo when not root.
#   --fuzz    also clang and its runtimes (libFuzzer, sanitizers), for
#             tools/fuzz.sh only: a plain build does not need clang.
#   --format  also clang-format 14, for tools/check-format.sh only.
set -eu

# ffmpeg: tests/cli/test_video.sh's round trips (ffmpeg | repconv video | ffmpeg, ffprobe) only.
packages="libxnnpack-dev libcpuinfo-dev libpthreadpool-dev libcmocka-dev libbenchmark-dev
libprotobuf-c-dev protobuf-c-compiler libonnx-dev cmake gcc g++ make pkg-config ffmpeg
libpng-dev libjpeg62-turbo-dev"
fuzz_packages="clang-14 libclang-rt-14-dev"
case "${1:-}" in
  --fuzz) packages="$packages $fuzz_packages" ;;
  --format) packages="$packages clang-format-14" ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  # shellcheck disable=SC2086  # one line listing the packages
  echo "install-deps: dpkg-query not found (not a Debian system); install these yourself:" $packages >&2
  exit 0
fi

missing=""
for p in $packages; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  case "$status" in
    *" ok installed") ;;
    *) missing="$missing $p" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-deps: missing packages:$missing; run as root or install sudo" >&2
    exit 1
  fi
fi

echo "install-deps: missing Debian packages:$missing"
echo "install-deps: running ${sudo:+$sudo }apt-get update"
$sudo apt-get update
echo "install-deps: running ${sudo:+$sudo }apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086  # word splitting of the package list is intended
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
echo "install-deps: done"
