#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the kernel image vm-run should hand to qemu -kernel for BZIMAGE.
#
# Under TCG a guest needs seconds to decompress its own kernel (XZ for
# Debian's). If the bzImage's payload decompresses here to an ELF vmlinux
# with a PVH entry note (CONFIG_PVH), qemu boots that directly and the
# decompressor never runs. The result is cached under $XTCP_CACHE/vmlinux/;
# anything else prints BZIMAGE unchanged.
#
# Usage: scripts/vm/vmlinux.sh BZIMAGE
set -eu

[ $# -eq 1 ] || { echo "usage: $0 BZIMAGE" >&2; exit 2; }
img=$1
cache=${XTCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xtcp}/vmlinux

fallback() {
	echo "$img"
	exit 0
}

[ -f "$img" ] || { echo "vmlinux: $img not found" >&2; exit 1; }
command -v readelf >/dev/null || fallback

key=$(printf '%s %s\n' "$(readlink -f "$img")" "$(stat -c '%s %Y' "$img")" |
	sha256sum | cut -c1-16)
out=$cache/$key.vmlinux
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
if [ -e "$cache/$key.none" ]; then
	fallback
fi

mkdir -p "$cache"
tmp=$(mktemp "$cache/.extract.XXXXXX")
trap 'rm -f "$tmp"' EXIT

# try MAGIC DECOMPRESSOR...: decompress from each offset where MAGIC occurs
# until the result is an ELF with a PVH note (XEN_ELFNOTE_PHYS32_ENTRY, 18).
try() {
	local magic=$1 off
	shift
	command -v "$1" >/dev/null || return 1
	for off in $(LC_ALL=C grep -abo -P "$magic" "$img" 2>/dev/null | cut -d: -f1 | head -n 8); do
		tail -c +$((off + 1)) "$img" | "$@" >"$tmp" 2>/dev/null
		if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = 177ELF ] &&
			readelf -n "$tmp" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'; then
			return 0
		fi
	done
	return 1
}

if try '\xfd7zXZ\x00' xz -dcq || try '\x28\xb5\x2f\xfd' zstd -dcq ||
	try '\x1f\x8b\x08' gzip -dcq; then
	mv "$tmp" "$out"
	echo "$out"
else
	: >"$cache/$key.none"
	fallback
fi
