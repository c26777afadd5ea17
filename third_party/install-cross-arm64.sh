#!/usr/bin/env bash
# Installs what the AArch64 cross build and its qemu test run need, from
# Debian 12 packages only. Idempotent: prints nothing and changes nothing
# when everything is in place. Runs apt-get through sudo when not root.
#
#   host tools     gcc-aarch64-linux-gnu + libc6-dev-arm64-cross (the cross
#                  compiler and the arm64 libc under /usr/aarch64-linux-gnu),
#                  qemu-user-static (qemu-aarch64-static runs the tests)
#   arm64 libs     XNNPACK, pthreadpool, cpuinfo, cmocka, protobuf-c: the
#                  :arm64 .debs are downloaded with apt-get and unpacked into
#                  a private sysroot ($REPCONV_ARM64_SYSROOT, default
#                  /opt/repconv-arm64-sysroot), not installed with dpkg,
#                  because Debian's libxnnpack-dev and libpthreadpool-dev are
#                  not Multi-Arch: same: installing them :arm64 would remove
#                  the native amd64 ones the main build needs.
#
# Used by .ci/run and by cmake/aarch64-linux-gnu.cmake (which reads the same
# REPCONV_ARM64_SYSROOT).
set -eu

sysroot="${REPCONV_ARM64_SYSROOT:-/opt/repconv-arm64-sysroot}"
host_packages="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"
arm64_packages="libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0 libcpuinfo-dev
libcmocka0 libcmocka-dev libprotobuf-c1 libprotobuf-c-dev"

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "install-cross-arm64: dpkg-query not found (not a Debian system)" >&2
  exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "install-cross-arm64: run as root or install sudo" >&2
    exit 1
  fi
fi

# The stamp names the package set, so a changed list re-populates the sysroot.
stamp_want="$(echo $arm64_packages | tr ' ' '\n' | sort | tr '\n' ' ')"
stamp_file="$sysroot/.repconv-packages"

missing=""
for p in $host_packages; do
  case "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" in
    *" ok installed") ;;
    *) missing="$missing $p" ;;
  esac
done
have_arch=0
dpkg --print-foreign-architectures | grep -qx arm64 && have_arch=1
sysroot_ok=0
[ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_want" ] && sysroot_ok=1

if [ -z "$missing" ] && [ "$sysroot_ok" = 1 ]; then
  exit 0
fi

if [ "$have_arch" = 0 ]; then
  echo "install-cross-arm64: adding the arm64 architecture to dpkg (package lists only)"
  $sudo dpkg --add-architecture arm64
fi
echo "install-cross-arm64: running ${sudo:+$sudo }apt-get update"
$sudo apt-get update -qq
if [ -n "$missing" ]; then
  echo "install-cross-arm64: installing$missing"
  # shellcheck disable=SC2086  # word splitting of the package list is intended
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi

if [ "$sysroot_ok" = 0 ]; then
  echo "install-cross-arm64: unpacking arm64 libraries into $sysroot"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  # apt-get download writes to the current directory, as the invoking user.
  chmod 755 "$tmp"
  if [ -z "$sudo" ] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  # shellcheck disable=SC2086
  (cd "$tmp" && apt-get download -qq $(for p in $arm64_packages; do printf '%s:arm64 ' "$p"; done))
  $sudo rm -rf "$sysroot"
  $sudo mkdir -p "$sysroot"
  for deb in "$tmp"/*.deb; do
    $sudo dpkg-deb -x "$deb" "$sysroot"
  done
  echo "$stamp_want" | $sudo tee "$stamp_file" >/dev/null
fi
echo "install-cross-arm64: done"
