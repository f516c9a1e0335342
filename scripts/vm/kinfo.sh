#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Which kernel do we build against and boot? One answer for the Makefile,
# vm-run and check.sh.
#
#   kinfo.sh kdir             default KDIR: /usr/src/linux-headers-<ver>-amd64
#                             for the newest <ver> that also has
#                             /boot/vmlinuz-<ver>-amd64
#   kinfo.sh release KDIR     kernel release (uname -r) KDIR builds for
#   kinfo.sh image KDIR       /boot/vmlinuz-<release of KDIR>
#   kinfo.sh image-release BZIMAGE
#                             kernel release stored in a bzImage header
#   kinfo.sh module-release KO
#                             kernel release a module was built for
set -eu

usage() {
	echo "usage: $0 kdir | release KDIR | image KDIR | image-release BZIMAGE | module-release KO" >&2
	exit 2
}

die() {
	echo "kinfo: $*" >&2
	exit 1
}

default_kdir() {
	local img ver best=
	# Only the standard flavour: -cloud-amd64 lacks 9p and virtio-pci bits
	# we boot with, and -rt would be a different kernel altogether.
	for img in /boot/vmlinuz-*-amd64; do
		[ -e "$img" ] || continue
		ver=${img#/boot/vmlinuz-}
		ver=${ver%-amd64}
		case "$ver" in *-cloud | *-rt) continue ;; esac
		[ -f "/usr/src/linux-headers-$ver-amd64/Makefile" ] || continue
		best=$(printf '%s\n%s\n' "$best" "$ver" | sed '/^$/d' | sort -V | tail -n1)
	done
	[ -n "$best" ] || die "no /boot/vmlinuz-<ver>-amd64 with matching /usr/src/linux-headers-<ver>-amd64 (run scripts/setup.sh)"
	echo "/usr/src/linux-headers-$best-amd64"
}

kdir_release() {
	local kdir=$1 f rel
	f=$kdir/include/generated/utsrelease.h
	[ -f "$f" ] || die "$f not found: is $kdir a prepared kernel build tree?"
	rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$f")
	[ -n "$rel" ] || die "no UTS_RELEASE in $f"
	echo "$rel"
}

# Documentation/x86/boot.rst: the 16-bit field at 0x20e is the offset of the
# version string minus 0x200.
image_release() {
	local img=$1 off magic
	[ -f "$img" ] || die "$img not found"
	magic=$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)
	[ "$magic" = HdrS ] || die "$img is not a bzImage"
	off=$(dd if="$img" bs=1 skip=$((0x20e)) count=2 2>/dev/null | od -An -tu2 | tr -d ' ')
	dd if="$img" bs=1 skip=$((off + 0x200)) count=256 2>/dev/null |
		tr '\0' '\n' | head -n1 | cut -d' ' -f1
}

case "${1-}" in
kdir) [ $# -eq 1 ] || usage; default_kdir ;;
release) [ $# -eq 2 ] || usage; kdir_release "$2" ;;
image)
	[ $# -eq 2 ] || usage
	rel=$(kdir_release "$2")
	[ -f "/boot/vmlinuz-$rel" ] || die "no /boot/vmlinuz-$rel to boot for KDIR=$2"
	echo "/boot/vmlinuz-$rel"
	;;
image-release) [ $# -eq 2 ] || usage; image_release "$2" ;;
module-release)
	[ $# -eq 2 ] || usage
	[ -f "$2" ] || die "$2 not found"
	modinfo -F vermagic "$2" | cut -d' ' -f1
	;;
*) usage ;;
esac
