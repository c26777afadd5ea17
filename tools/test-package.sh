#!/usr/bin/env bash
# The package as an app sees it. Builds repconv (reusing build/ when it is a
# Release build, else build-package/), installs it into a temporary prefix,
# builds examples/embed against that prefix twice, with find_package(repconv)
# (CMAKE_PREFIX_PATH: embed on the shared library, embed_static on the static
# one) and with `pkg-config --static` (PKG_CONFIG_PATH: embed-pc), runs them
# and checks: the same output from every binary, also on an .rcm written by the
# installed CLI; the library's version equal to the header's and the package's;
# the shared library exporting exactly the functions repconv.h declares.
# ~15 s when build/ is up to date.
set -eu
cd "$(dirname "$0")/.."
root="$PWD"

third_party/install-deps.sh
jobs="$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
build=build
if ! grep -qs '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt"; then
  build=build-package
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPCONV_WERROR=ON -DREPCONV_BUILD_TESTS=OFF
fi
cmake --build "$build" -j"$jobs"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
libdir="$(dirname "$(find "$prefix" -name 'librepconv.so' | head -n 1)")"

fail() {
  echo "test-package: FAIL: $*" >&2
  exit 1
}

# The shared library exports exactly the REPCONV_API functions of repconv.h.
grep -E '^REPCONV_API' include/repconv.h | grep -oE 'repconv_[a-z0-9_]+ *\(' | tr -d ' (' | sort >"$tmp/declared"
nm -D --defined-only "$libdir/librepconv.so" | awk '{print $3}' | sort >"$tmp/exported"
diff -u "$tmp/declared" "$tmp/exported" >"$tmp/exports.diff" ||
  fail "librepconv.so exports differ from repconv.h's REPCONV_API functions (- declared, + exported):
$(cat "$tmp/exports.diff")"

# find_package(repconv): shared and static targets.
cmake -S examples/embed -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cmake.log" || fail "configuring examples/embed: $(cat "$tmp/cmake.log")"
cmake --build "$tmp/cmake" -j"$jobs" >>"$tmp/cmake.log" || fail "building examples/embed: $(cat "$tmp/cmake.log")"

# pkg-config --static: the example's Makefile, as an app would copy it.
mkdir "$tmp/pc"
cp examples/embed/main.c examples/embed/Makefile "$tmp/pc/"
PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$tmp/pc" CFLAGS="-O2 -Wall -Wextra -Werror" >"$tmp/make.log" 2>&1 ||
  fail "make with pkg-config: $(cat "$tmp/make.log")"
version="$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion repconv)"

# embed links librepconv.so; embed_static and embed-pc do not.
needed() { readelf -d "$1" | grep -c 'NEEDED.*librepconv' || true; }
[ "$(needed "$tmp/cmake/embed")" = 1 ] || fail "embed does not link librepconv.so"
[ "$(needed "$tmp/cmake/embed_static")" = 0 ] || fail "embed_static links librepconv.so"
[ "$(needed "$tmp/pc/embed-pc")" = 0 ] || fail "embed-pc links librepconv.so"

"$prefix/bin/repconv" fold repvgg-a0 -o "$tmp/a0.rcm" >/dev/null
"$tmp/cmake/embed" repvgg-a0 >"$tmp/out.shared"
"$tmp/cmake/embed_static" repvgg-a0 >"$tmp/out.static"
"$tmp/pc/embed-pc" repvgg-a0 >"$tmp/out.pc"
"$tmp/pc/embed-pc" "$tmp/a0.rcm" >"$tmp/out.rcm"
grep -qx "repconv $version (header $version)" "$tmp/out.shared" ||
  fail "version: package $version, embed printed '$(head -n 1 "$tmp/out.shared")'"
grep -qE '^mean .*, fnv1a [0-9a-f]{16}$' "$tmp/out.shared" || fail "embed printed no output summary: $(cat "$tmp/out.shared")"
for other in static pc rcm; do
  cmp -s "$tmp/out.shared" "$tmp/out.$other" ||
    fail "embed ($other) differs from embed (shared): $(diff "$tmp/out.shared" "$tmp/out.$other")"
done
echo "test-package: ok: repconv $version installed, examples/embed built with find_package (shared, static)" \
  "and pkg-config --static; the same output ($(grep -oE 'fnv1a [0-9a-f]+' "$tmp/out.shared"))"
