#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the VM once, run the whole selftest suite in it (scripts/vm/suite.sh)
# and print TAP. The last line is always
#
#   selftests: N passed, M failed, S skipped
#
# where the kernel log of the run (vm-run's verdict: no Oops, WARNING,
# KASAN, lockdep, kmemleak... splat) counts as one more subtest. Exits
# non-zero if anything failed. `make check` builds first and then runs this.
#
# Usage: scripts/check.sh [-k BZIMAGE] [-c CPUS] [-m MEM] [-t SECONDS] [TEST...]
#   -k  kernel to boot (default: /boot/vmlinuz for KDIR, else vm-run's)
#   TEST  programs to run, relative to selftests/ (default: all, from
#         make -C selftests list)
#
# Environment: KDIR (which kernel the module was built for), VMRUN_KERNEL,
# VMRUN_TIMEOUT (whole VM; default 600 s + (per-program timeout + 10 s) per
# program), and everything suite.sh reads:
# XTCP_MODULE_PARAMS, XTCP_TEST_TIMEOUT, ...
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

usage() {
	echo "usage: $0 [-k BZIMAGE] [-c CPUS] [-m MEM] [-t SECONDS] [TEST...]" >&2
	exit 2
}

vm_args=()
kernel=${VMRUN_KERNEL-}
while getopts k:c:m:t:h opt; do
	case "$opt" in
	k) kernel=$OPTARG ;;
	c | m | t) vm_args+=("-$opt" "$OPTARG") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

pass=0
fail=0
skip=0

summary() {
	echo "selftests: $pass passed, $fail failed, $skip skipped"
}

# Something went wrong before the suite could run: say so and still end
# with the summary line.
abort() {
	echo "check: $*" >&2
	echo "Bail out! $*"
	fail=$((fail + 1))
	summary
	exit 1
}

ko=${XTCP_MODULE:-$repo/module/xtcp.ko}
[ -f "$ko" ] || abort "$ko not found: run make (or make check) first"

if [ -z "$kernel" ]; then
	kdir=${KDIR:-$("$repo/scripts/vm/kinfo.sh" kdir)} || abort "no kernel found (scripts/setup.sh)"
	kernel=$("$repo/scripts/vm/kinfo.sh" image "$kdir") ||
		abort "no kernel image to boot for KDIR=$kdir (use -k BZIMAGE)"
fi
krel=$("$repo/scripts/vm/kinfo.sh" image-release "$kernel") || abort "cannot read the release of $kernel"
mrel=$("$repo/scripts/vm/kinfo.sh" module-release "$ko") || abort "cannot read the vermagic of $ko"
# Never load a module built for another kernel.
[ "$krel" = "$mrel" ] ||
	abort "$ko is built for $mrel but $kernel is $krel: make clean && make KDIR=... for $krel"

if [ $# -gt 0 ]; then
	tests="$*"
else
	tests=$(make -s --no-print-directory -C "$repo/selftests" list) ||
		abort "make -C selftests list failed"
	tests=$(echo "$tests" | tr '\n' ' ')
fi
[ -n "${tests// /}" ] || abort "no selftests listed by make -C selftests list"

# Each program is bounded by suite.sh; bound the VM by their sum plus boot,
# module load and the kmemleak scans, unless the caller chose.
if [ -z "${VMRUN_TIMEOUT-}" ]; then
	per=${XTCP_TEST_TIMEOUT:-$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$repo/selftests/settings" 2>/dev/null)}
	read -r -a tl <<<"$tests"
	export VMRUN_TIMEOUT=$((600 + ${#tl[@]} * (${per:-45} + 10)))
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/xtcp-check.XXXXXX")
trap 'rm -rf "$out"' EXIT

echo "# booting $kernel ($krel) under TCG; tests: $tests" >&2
start=$(date +%s)
set +e
XTCP_TESTS=$tests \
XTCP_SUITE_COUNTS=$out/counts \
XTCP_SUITE_EXTRA=1 \
VMRUN_OUTDIR=$out \
VMRUN_VERDICT=$out/verdict \
VMRUN_KLOG=${XTCP_CHECK_KLOG:-$out/klog} \
	"$repo/scripts/vm-run" -k "$kernel" "${vm_args[@]}" -- "$repo/scripts/vm/suite.sh"
vm_rc=$?
set -e
elapsed=$(($(date +%s) - start))

next=1
done_=0
if [ -s "$out/counts" ]; then
	# pass= fail= skip= next= done=, written by suite.sh after every step
	read -r -a kvs <"$out/counts"
	for kv in "${kvs[@]}"; do
		case "$kv" in
		pass=*) pass=${kv#pass=} ;;
		fail=*) fail=${kv#fail=} ;;
		skip=*) skip=${kv#skip=} ;;
		next=*) next=${kv#next=} ;;
		done=*) done_=${kv#done=} ;;
		esac
	done
fi

if [ "$done_" != 1 ]; then
	echo "not ok $next selftests: xtcp: suite did not finish (vm-run status $vm_rc)"
	fail=$((fail + 1))
	next=$((next + 1))
fi

if [ "$done_" = 1 ] && [ "$vm_rc" != 0 ] && [ "$fail" = 0 ] && [ -s "$out/verdict" ] &&
	[ "$(cat "$out/verdict")" = clean ]; then
	echo "not ok $next selftests: xtcp: vm-run exited with status $vm_rc"
	fail=$((fail + 1))
	next=$((next + 1))
fi

verdict=$(cat "$out/verdict" 2>/dev/null || echo missing)
if [ "$verdict" = clean ]; then
	echo "ok $next selftests: xtcp: kernel log clean"
	pass=$((pass + 1))
else
	echo "not ok $next selftests: xtcp: kernel log clean # $verdict"
	fail=$((fail + 1))
fi

echo "# VM run took ${elapsed}s"
summary
[ "$fail" = 0 ] && [ "$vm_rc" = 0 ]
