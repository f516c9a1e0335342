#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The XTCP selftest suite, run as root inside the VM (scripts/check.sh starts
# it through scripts/vm-run). Never run it on a host: it loads xtcp.ko.
#
# Steps, each a TAP test line:
#   1      insmod module/xtcp.ko
#   2..    every program of `make -C selftests list`, under timeout
#   then   no xtcp sockets left, kmemleak with the module loaded,
#          rmmod xtcp, kmemleak after the unload
#
# Output is kselftest's runner format: TAP version 13, a plan, each
# program's output prefixed with "# ", "ok N selftests: xtcp: NAME".
#
# Counting: each top-level "ok"/"not ok" line a program prints is one
# subtest ("# SKIP" ones are skipped); a program that fails or times out
# without printing a failing subtest adds one failure; one that prints none
# counts once by its exit status (4 is skip). Each of the other steps counts
# once.
#
# Environment (XTCP_REQUIRED=1 is exported to the tests: a missing module
# fails them instead of skipping):
#   XTCP_MODULE          module to load (default module/xtcp.ko)
#   XTCP_MODULE_PARAMS   module parameters, e.g. "family=19"
#   XTCP_TESTS           programs to run, relative to selftests/, separated
#                        by blanks (default: make -s -C selftests list)
#   XTCP_TEST_TIMEOUT    seconds per program (default: timeout= in
#                        selftests/settings, else 45)
#   XTCP_SUITE_COUNTS    file to keep "pass= fail= skip= next= done=" in,
#                        rewritten after every step
#   XTCP_SUITE_EXTRA     tests the caller appends after ours (for the plan)
#   XTCP_DRAIN_TIMEOUT   seconds to wait for sockets to go (default 10)
set -u

# Inside the suite the module is loaded by us: a test that cannot find it
# must fail, not skip.
export XTCP_REQUIRED=1

repo=$(cd "$(dirname "$0")/../.." && pwd)
ko=${XTCP_MODULE:-$repo/module/xtcp.ko}
counts=${XTCP_SUITE_COUNTS-}
extra=${XTCP_SUITE_EXTRA:-0}
kml=/sys/kernel/debug/kmemleak

pass=0
fail=0
skip=0
num=0
done_=0

if [ "${VMRUN_GUEST-}" != 1 ] && [ "${XTCP_SUITE_ANYWHERE-}" != 1 ]; then
	echo "suite.sh: refusing to run outside vm-run (it loads xtcp.ko); use scripts/check.sh" >&2
	exit 2
fi

save_counts() {
	[ -n "$counts" ] || return 0
	printf 'pass=%d fail=%d skip=%d next=%d done=%d\n' \
		"$pass" "$fail" "$skip" $((num + 1)) "$done_" >"$counts.tmp" &&
		mv "$counts.tmp" "$counts"
}

# result ok|fail|skip NAME [REASON]: one top-level TAP line for one step.
result() {
	local verdict=$1 name=$2 reason=${3-}
	num=$((num + 1))
	case "$verdict" in
	ok) echo "ok $num selftests: xtcp: $name${reason:+ # $reason}" ;;
	skip) echo "ok $num selftests: xtcp: $name # SKIP${reason:+ $reason}" ;;
	*) echo "not ok $num selftests: xtcp: $name${reason:+ # $reason}" ;;
	esac
}

# A step that is its own single subtest.
step() {
	case "$1" in
	ok) pass=$((pass + 1)) ;;
	skip) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)) ;;
	esac
	result "$@"
	save_counts
}

comment() {
	sed -u 's/^/# /'
}

# --- what to run --------------------------------------------------------

tests=()
list_err=
if [ -n "${XTCP_TESTS-}" ]; then
	read -r -a tests <<<"$XTCP_TESTS"
elif ! list=$(make -s --no-print-directory -C "$repo/selftests" list 2>&1); then
	list_err=$list
else
	while IFS= read -r t; do
		[ -n "$t" ] && tests+=("$t")
	done <<<"$list"
fi

per_test_timeout=${XTCP_TEST_TIMEOUT-}
if [ -z "$per_test_timeout" ] && [ -f "$repo/selftests/settings" ]; then
	per_test_timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$repo/selftests/settings")
fi
per_test_timeout=${per_test_timeout:-45}

echo "TAP version 13"
echo "1..$((1 + ${#tests[@]} + 4 + extra))"
echo "# kernel $(uname -r), $(nproc) CPUs, per-program timeout ${per_test_timeout}s"
save_counts

# --- load ---------------------------------------------------------------

# Built into the debug kernel, modules on Debian's: either way they are there.
for m in veth sch_netem tun; do
	modprobe -q "$m" 2>/dev/null || true
done

loaded=0
params=()
if [ ! -f "$ko" ]; then
	step fail "insmod $(basename "$ko")" "$ko missing: run make first"
elif read -r -a params <<<"${XTCP_MODULE_PARAMS-}" &&
	out=$(insmod "$ko" "${params[@]}" 2>&1); then
	loaded=1
	step ok "insmod $(basename "$ko")${XTCP_MODULE_PARAMS:+ $XTCP_MODULE_PARAMS}"
else
	echo "$out" | comment
	dmesg | tail -n 20 | comment
	step fail "insmod $(basename "$ko")" "insmod failed"
fi

# --- the programs ---------------------------------------------------------

# run_one NAME: run selftests/NAME, stream its output, count its subtests.
run_one() {
	local t=$1 log rc p=0 f=0 s=0 started
	log=$(mktemp)
	echo "# selftests: xtcp: $t"
	if [ "$loaded" != 1 ]; then
		fail=$((fail + 1))
		result fail "$t" "module not loaded"
		return
	fi
	if [ ! -e "$repo/selftests/$t" ]; then
		fail=$((fail + 1))
		result fail "$t" "selftests/$t missing: not built?"
		return
	fi
	if [ ! -x "$repo/selftests/$t" ]; then
		fail=$((fail + 1))
		result fail "$t" "selftests/$t is not executable"
		return
	fi
	# Line-buffer C programs so their output interleaves as they wrote it.
	started=$SECONDS
	(cd "$repo/selftests" &&
		exec timeout -k 5 "$per_test_timeout" stdbuf -oL -eL "./$t") 2>&1 |
		tee "$log" | comment
	rc=${PIPESTATUS[0]}
	# what the timeout in selftests/settings has to cover
	echo "# $t took $((SECONDS - started))s"

	# The program's own top-level TAP lines; indented or "# "-prefixed ones
	# belong to nested output.
	while IFS= read -r line; do
		case "$line" in
		"not ok "[0-9]*) f=$((f + 1)) ;;
		"ok "[0-9]*)
			if [[ "$line" =~ \#[[:space:]]*[Ss][Kk][Ii][Pp] ]]; then
				s=$((s + 1))
			else
				p=$((p + 1))
			fi
			;;
		esac
	done <"$log"
	rm -f "$log"

	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		# A hang must cost a failure even if the subtests so far passed.
		[ "$f" -gt 0 ] || f=1
		result fail "$t" "TIMEOUT $per_test_timeout seconds"
	elif [ "$rc" = 4 ] && [ "$f" = 0 ]; then
		[ $((p + s)) -gt 0 ] || s=1
		result skip "$t"
	elif [ "$rc" != 0 ]; then
		[ "$f" -gt 0 ] || f=1
		result fail "$t" "exit=$rc"
	else
		[ $((p + f + s)) -gt 0 ] || p=1
		if [ "$f" -gt 0 ]; then
			result fail "$t" "exit 0 but $f subtests failed"
		else
			result ok "$t"
		fi
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
}

if [ -n "$list_err" ]; then
	echo "# make -C selftests list failed:"
	echo "$list_err" | comment
	fail=$((fail + 1))
	echo "# no selftests listed"
fi

for t in "${tests[@]}"; do
	# A test may unload and reload xtcp.ko itself; if one left it unloaded,
	# the next test still gets a loaded module.
	if [ "$loaded" = 1 ] && [ ! -d /sys/module/xtcp ]; then
		echo "# xtcp.ko was unloaded by the previous test: loading it again"
		insmod "$ko" "${params[@]}" 2>&1 | comment
		if [ ! -d /sys/module/xtcp ]; then
			loaded=0
		fi
	fi
	run_one "$t"
	save_counts
done

# --- after the programs ---------------------------------------------------

# Whatever a test left behind must not keep the module pinned: name it, then
# take it down, so that rmmod below tests the module and not the tests.
leftover=$(ip netns list 2>/dev/null | cut -d' ' -f1 | tr '\n' ' ')
if [ -n "$leftover" ]; then
	echo "# leftover network namespaces (a test did not clean up): $leftover"
	ip -all netns delete 2>/dev/null
fi

# /proc/net/xtcp of the init netns: header only once everything is closed.
# Namespace teardown is asynchronous (cleanup_net()), so poll, bounded.
check_drained() {
	local i limit=$((${XTCP_DRAIN_TIMEOUT:-10} * 10)) n
	if [ "$loaded" != 1 ]; then
		step skip "no sockets left" "module not loaded"
		return
	fi
	if [ ! -r /proc/net/xtcp ]; then
		step fail "no sockets left" "/proc/net/xtcp missing"
		return
	fi
	for ((i = 0; i <= limit; i++)); do
		n=$(wc -l </proc/net/xtcp)
		[ "$n" -gt 1 ] || break
		[ "$i" = "$limit" ] || sleep 0.1
	done
	if [ "$n" -le 1 ]; then
		step ok "no sockets left"
	else
		comment </proc/net/xtcp
		step fail "no sockets left" "$((n - 1)) sockets after ${XTCP_DRAIN_TIMEOUT:-10}s"
	fi
}

# kmemleak_check NAME: scan, and fail on unreferenced objects allocated by
# xtcp. An allocation backtrace names xtcp's functions while the module is
# loaded. Code that is gone, module init text (freed once init returns) or
# an unloaded module (module_reload.sh's earlier rounds, or after rmmod),
# shows as a bare address instead: kallsyms resolves all of the kernel's own
# text, so a bare address is module code. On the debug kernel every driver
# is built in and xtcp is the only module ever loaded, so a bare address is
# xtcp's; on a kernel with other modules the report says so.
kmemleak_check() {
	local name=$1 report ours others
	if [ ! -w "$kml" ]; then
		step skip "$name" "no kmemleak in this kernel"
		return
	fi
	# Two scans: an object must be seen unreferenced twice to be reported.
	if ! { echo scan >"$kml" && echo scan >"$kml"; } 2>/dev/null; then
		step skip "$name" "kmemleak is disabled"
		return
	fi
	report=$(cat "$kml")
	echo clear >"$kml"
	# Split the report into objects and keep those that are ours.
	ours=$(awk '
		function flush() {
			if (obj != "" && hit) printf "%s", obj
			obj = ""; hit = 0
		}
		/^unreferenced object/ { flush() }
		{ obj = obj $0 "\n" }
		# Backtrace lines only: the hex dump may spell anything.
		/\[</ && (/xtcp/ || /\] 0x[0-9a-f]+$/) { hit = 1 }
		END { flush() }' <<<"$report")
	if [ -n "$ours" ]; then
		echo "$ours" | comment
		if [ -n "$other_modules" ]; then
			echo "# bare addresses may also be code of: $other_modules"
		fi
		step fail "$name" "xtcp leaked memory"
	else
		others=$(grep -c '^unreferenced object' <<<"$report")
		[ "$others" = 0 ] || echo "# kmemleak: $others unreferenced objects, none from xtcp"
		step ok "$name"
	fi
}

check_drained

# Modules other than xtcp, for kmemleak_check()'s bare addresses.
other_modules=$(awk '$1 != "xtcp" { printf "%s ", $1 }' /proc/modules)
if [ "$loaded" = 1 ]; then
	if [ ! -d /sys/module/xtcp ]; then
		insmod "$ko" "${params[@]}" 2>&1 | comment
	fi
	kmemleak_check "kmemleak with xtcp loaded"
	if out=$(rmmod xtcp 2>&1); then
		step ok "rmmod xtcp"
	else
		echo "$out" | comment
		grep '^xtcp ' /proc/modules | comment
		step fail "rmmod xtcp" "rmmod failed"
	fi
	kmemleak_check "kmemleak after rmmod"
else
	step skip "kmemleak with xtcp loaded" "module not loaded"
	step skip "rmmod xtcp" "module not loaded"
	step skip "kmemleak after rmmod" "module not loaded"
fi

done_=1
save_counts
echo "# suite: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
