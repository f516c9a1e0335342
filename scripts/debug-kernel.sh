#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, or reuse, the debug kernel that every XTCP VM test boots.
#
#   scripts/debug-kernel.sh
#
# On success stdout has exactly two lines and nothing else:
#
#   <KDIR>      the tree to build xtcp.ko against: make -C <KDIR> M=...
#   <bzImage>   absolute path of the kernel image for qemu -kernel
#
# Progress and errors go to stderr.
#
# The source is Debian's linux-source-6.1 (the same 6.1 release as the
# linux-headers package the module is normally built against). It is
# configured as x86_64_defconfig + kernel/configs/kvm_guest.config +
# scripts/vm/debug.config, merged with the kernel's own merge_config.sh, and
# built in ${XDG_CACHE_HOME:-~/.cache}/xtcp/debug-<key>/. The key hashes the
# fragment's settings (not its comments), the linux-source package version
# and RECIPE below, so changing an option or upgrading the package starts a
# new tree, and a finished tree is reused at once. An interrupted build resumes where make stopped.
#
# Nothing here touches the host kernel: the result is only booted under QEMU.

set -euo pipefail

# Bump when the steps below change in a way that needs a fresh tree.
RECIPE=1

PKG=linux-source-6.1
TARBALL=/usr/src/$PKG.tar.xz
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FRAGMENT=$TOP/scripts/vm/debug.config

log() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# A caller's make (e.g. `make vm M=...`) exports its flags and command-line
# variables; a kernel make that inherited M= would build the wrong thing.
unset MAKEFLAGS MFLAGS MAKELEVEL KBUILD_OUTPUT O M ARCH CROSS_COMPILE

[[ -r $FRAGMENT ]] || die "no fragment at $FRAGMENT"
[[ -r $TARBALL ]] || die "no $TARBALL: apt-get install $PKG"
version=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) ||
	die "$PKG is not installed: apt-get install $PKG"

# Only the settings count: a comment edit must not cost a 40-minute build.
key=$({
	echo "recipe $RECIPE"
	echo "$PKG $version"
	grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$FRAGMENT"
} | sha256sum | cut -c1-12)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/xtcp/debug-$key
src=$cache/$PKG
buildlog=$cache/build.log
bzimage=$src/arch/x86/boot/bzImage

done_already() {
	[[ -e $cache/.built && -e $bzimage && -e $src/Module.symvers ]]
}

print_result() {
	printf '%s\n%s\n' "$src" "$bzimage"
}

if done_already; then
	print_result
	exit 0
fi

mkdir -p "$cache"
# Two callers (CI and a developer's `make vm`) may race for the same key;
# the second waits and then takes the finished tree.
exec 9>"$cache/.lock"
if ! flock -n 9; then
	log "another build of $cache is running; waiting for it"
	flock 9
fi
if done_already; then
	print_result
	exit 0
fi

log "building debug kernel $PKG $version (key $key) in $cache"
log "log: $buildlog"
: >"$buildlog"

fail() {
	log "error: $*; last lines of $buildlog:"
	tail -n 40 "$buildlog" >&2
	exit 1
}

# Each stage leaves a stamp so that a rerun after a failure or Ctrl-C skips
# what was already done; make itself is incremental.
if [[ ! -e $cache/.extracted ]]; then
	log "extracting $TARBALL"
	rm -rf "$src" "$cache/tmp"
	mkdir -p "$cache/tmp"
	tar -xJf "$TARBALL" -C "$cache/tmp" || die "cannot extract $TARBALL"
	mv "$cache/tmp/$PKG" "$src"
	rmdir "$cache/tmp"
	touch "$cache/.extracted"
fi

kmake() {
	# LOCALVERSION= (set but empty): the release is exactly
	# 6.1.N + CONFIG_LOCALVERSION, with no "+" from setlocalversion.
	nice make -C "$src" LOCALVERSION= "$@" >>"$buildlog" 2>&1
}

# Every option the fragment sets must come out as set: merge_config.sh only
# warns when an option's dependencies are unmet, and olddefconfig then
# silently drops it (or a select turns an "is not set" back on).
verify_config() {
	local line opt want got bad=0

	while IFS= read -r line; do
		if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
			opt=${BASH_REMATCH[1]}
			want=${BASH_REMATCH[2]}
		elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			opt=${BASH_REMATCH[1]}
			want=n
		else
			continue
		fi
		got=$(sed -n "s/^$opt=//p" "$src/.config")
		[[ -n $got ]] || got=n
		if [[ $got != "$want" ]]; then
			log "config: $opt=$want in the fragment, but $opt=$got in .config"
			bad=1
		fi
	done <"$FRAGMENT"
	return $bad
}

if [[ ! -e $cache/.configured ]]; then
	log "configuring"
	kmake x86_64_defconfig || fail "make x86_64_defconfig failed"
	(cd "$src" && ./scripts/kconfig/merge_config.sh -m .config \
		kernel/configs/kvm_guest.config "$FRAGMENT") >>"$buildlog" 2>&1 ||
		fail "merge_config.sh failed"
	kmake olddefconfig || fail "make olddefconfig failed"
	verify_config || die "$FRAGMENT does not apply cleanly (unmet dependencies?); fix the fragment"
	cp "$src/.config" "$cache/config"
	touch "$cache/.configured"
fi

# `all` is vmlinux, bzImage and modules: modpost writes Module.symvers,
# which out-of-tree builds against this tree need.
log "building with $(nproc) jobs (this takes a while on a small machine)"
start=$SECONDS
kmake -j"$(nproc)" all || fail "kernel build failed"
[[ -e $bzimage ]] || fail "no $bzimage after the build"
[[ -e $src/Module.symvers ]] || fail "no Module.symvers after the build"
touch "$cache/.built"
log "built $(cat "$src/include/config/kernel.release") in $((SECONDS - start))s"

print_result
