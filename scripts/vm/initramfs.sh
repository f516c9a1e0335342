#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) vm-run's initramfs for one kernel release and print its
# path: busybox-static, scripts/vm/init as /init, and the 9p/virtio modules
# (with their dependencies, in load order) from /lib/modules/RELEASE when that
# kernel has them as modules. Cached under $XTCP_CACHE/initramfs/, keyed by
# the content of everything that goes in.
#
# Usage: scripts/vm/initramfs.sh RELEASE
set -eu

[ $# -eq 1 ] || { echo "usage: $0 RELEASE" >&2; exit 2; }
rel=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${XTCP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/xtcp}/initramfs
busybox=/bin/busybox
MODULES=(virtio_pci 9pnet_virtio 9p)

die() {
	echo "initramfs: $*" >&2
	exit 1
}

[ -x "$busybox" ] || die "$busybox missing (apt-get install busybox-static)"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$busybox" 2>&1 | grep -q 'not a dynamic' ||
	die "$busybox is not static (apt-get install busybox-static)"

# Module paths in load order, each once. modprobe prints "insmod PATH" for
# modules and "builtin NAME" for what the kernel already has.
kos=()
if [ -f "/lib/modules/$rel/modules.dep" ]; then
	while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		case " ${kos[*]-} " in *" $path "*) continue ;; esac
		kos+=("$path")
	done < <(for m in "${MODULES[@]}"; do
		modprobe -S "$rel" --show-depends "$m" 2>/dev/null || true
	done)
fi

key=$( {
	sha256sum "$here/init" "$busybox"
	echo "$rel"
	for ko in "${kos[@]}"; do stat -c '%n %s %Y' "$ko"; done
} | sha256sum | cut -c1-16)
out=$cache/$rel-$key.cpio.gz

if [ ! -s "$out" ]; then
	mkdir -p "$cache"
	exec 9>"$cache/.lock"
	flock 9
fi
if [ ! -s "$out" ]; then
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	root=$tmp/root
	mkdir -p "$root/bin" "$root/modules" "$root/dev"
	# So PID 1 starts with a console; without it init still works (it mounts
	# devtmpfs first) but the kernel complains.
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
	cp "$busybox" "$root/bin/busybox"
	cp "$here/init" "$root/init"
	chmod 755 "$root/init"
	: >"$root/modules.list.tmp"
	for ko in "${kos[@]}"; do
		name=$(basename "$ko")
		# busybox insmod wants plain ELF.
		case "$name" in
		*.ko.xz) xz -dc "$ko" >"$root/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" >"$root/modules/${name%.zst}"; name=${name%.zst} ;;
		*.ko.gz) gzip -dc "$ko" >"$root/modules/${name%.gz}"; name=${name%.gz} ;;
		*) cp "$ko" "$root/modules/$name" ;;
		esac
		echo "$name" >>"$root/modules.list.tmp"
	done
	if [ ${#kos[@]} -gt 0 ]; then
		mv "$root/modules.list.tmp" "$root/modules.list"
	else
		rm "$root/modules.list.tmp"
	fi
	(cd "$root" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$tmp/initramfs.cpio.gz"
	mv "$tmp/initramfs.cpio.gz" "$out"
	# Older builds of the same release are dead weight.
	find "$cache" -maxdepth 1 -name "$rel-*.cpio.gz" ! -name "$(basename "$out")" -delete
fi
echo "$out"
