#!/usr/bin/env bash
# Fails when a C/C++ file of the project differs from what clang-format 14
# makes of it with the committed .clang-format (third_party/ is not ours).
# To apply: clang-format-14 -i FILE...   Usage: tools/check-format.sh
set -eu
cd "$(dirname "$0")/.."
third_party/install-deps.sh --format
cf=$(command -v clang-format-14 || command -v clang-format)
files=$(git ls-files '*.c' '*.h' '*.cc' '*.inc' | grep -v '^third_party/')
if ! "$cf" --dry-run --Werror $files; then
  echo "check-format: the files above differ from .clang-format; run: $cf -i FILE..." >&2
  exit 1
fi
echo "check-format: $(wc -w <<<"$files") files match .clang-format ($("$cf" --version | head -1))"
