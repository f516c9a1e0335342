#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Pull the kselftest harness and checkpatch out of Debian's linux-source
# tarball into a cache, so the selftests use the harness of the kernel tree
# we build against instead of a fork of it.
#
#   $XTCP_CACHE/ksft/       kselftest_harness.h kselftest.h
#   $XTCP_CACHE/checkpatch/ checkpatch.pl spelling.txt const_structs.checkpatch
#
# XTCP_CACHE defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/xtcp and
# XTCP_LINUX_SOURCE to /usr/src/linux-source-6.1.tar.xz. Prints the ksft
# directory. Extracts again only when the tarball changes.
#
# Usage: scripts/ksft-headers.sh [--checkpatch]
#   --checkpatch  print the checkpatch directory instead
set -eu

usage() {
	echo "usage: $0 [--checkpatch]" >&2
	exit 2
}

what=ksft
case "${1-}" in
"") ;;
--checkpatch) what=checkpatch ;;
*) usage ;;
esac
[ $# -le 1 ] || usage

cache=${XTCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xtcp}
src=${XTCP_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}

if [ ! -f "$src" ]; then
	echo "$0: $src not found (run scripts/setup.sh, package linux-source-6.1)" >&2
	exit 1
fi

top=$(basename "$src" .tar.xz)
stamp_want="$(stat -c '%s %Y' "$src") $src"
ksft_files=(kselftest_harness.h kselftest.h)
cp_files=(checkpatch.pl spelling.txt const_structs.checkpatch)

uptodate() {
	local f
	[ "$(cat "$cache/.ksft-stamp" 2>/dev/null)" = "$stamp_want" ] || return 1
	for f in "${ksft_files[@]}"; do [ -s "$cache/ksft/$f" ] || return 1; done
	for f in "${cp_files[@]}"; do [ -s "$cache/checkpatch/$f" ] || return 1; done
}

mkdir -p "$cache"
# Two makes (or make -j) may get here at once: one extracts, the other waits.
exec 9>"$cache/.ksft-lock"
flock 9
if ! uptodate; then
	tmp=$(mktemp -d "$cache/.extract.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	members=()
	for f in "${ksft_files[@]}"; do
		members+=("$top/tools/testing/selftests/$f")
	done
	for f in "${cp_files[@]}"; do
		members+=("$top/scripts/$f")
	done
	echo "ksft-headers: extracting from $src" >&2
	tar -xJf "$src" -C "$tmp" "${members[@]}"
	mkdir -p "$tmp/out/ksft" "$tmp/out/checkpatch"
	for f in "${ksft_files[@]}"; do
		mv "$tmp/$top/tools/testing/selftests/$f" "$tmp/out/ksft/"
	done
	for f in "${cp_files[@]}"; do
		mv "$tmp/$top/scripts/$f" "$tmp/out/checkpatch/"
	done
	chmod +x "$tmp/out/checkpatch/checkpatch.pl"
	rm -rf "$cache/ksft" "$cache/checkpatch"
	mv "$tmp/out/ksft" "$tmp/out/checkpatch" "$cache/"
	echo "$stamp_want" >"$cache/.ksft-stamp"
fi

echo "$cache/$what"
