#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/xtcpctl: bad arguments are refused with a message and usage (exit
# 2), kernel errors exit 1, add/del need CAP_NET_ADMIN, show and stats
# report what is there.

# shellcheck source=xtcp_lib.sh
. "$(dirname "$0")/xtcp_lib.sh"

ns=
out=
err=

# expect RC ARGS...: run xtcpctl in $ns, exit code must be RC and, for a
# failure, stderr must say something
expect() {
	local want=$1 rc=0
	shift
	out=$xtcp_lib_tmp/out.$BASHPID
	err=$xtcp_lib_tmp/err.$BASHPID
	ip netns exec "$ns" "$XTCPCTL" "$@" >"$out" 2>"$err" || rc=$?
	xtcp_lib_log "xtcpctl $* -> $rc: $(head -n1 "$err")"
	[ "$rc" = "$want" ] || xtcp_lib_fail "exit $rc, wanted $want"
	if [ "$want" != 0 ] && [ ! -s "$err" ]; then
		xtcp_lib_fail "no message on stderr"
	fi
	if [ "$want" = 2 ] && ! grep -qi usage "$err"; then
		xtcp_lib_fail "no usage on stderr"
	fi
}

setup() {
	xtcp_lib_require_xtcp
	xtcp_lib_ns_create ns peer
	# shellcheck disable=SC2154 # set by xtcp_lib_ns_create
	xtcp_lib_veth "$ns" veth0 "$peer" veth1
}

# argument checks happen before the kernel is asked: no module needed (the
# namespace is there in case xtcpctl asked it all the same)
setup_args() {
	[ -x "$XTCPCTL" ] || xtcp_lib_skip "no $XTCPCTL"
	[ -x "$XTCP_NS" ] || xtcp_lib_skip "no $XTCP_NS"
	xtcp_lib_ns_create ns
}

# link_add ARGS...: xtcpctl link add ARGS must work; detached at cleanup
link_add() {
	expect 0 link add "$@"
	xtcp_lib_links+=("$ns $2")
}

t_no_args()      { setup_args; expect 2; }
t_unknown_cmd()  { setup_args; expect 2 frobnicate; }
t_link_no_dev()  { setup_args; expect 2 link add addr 192.0.2.1/24; }
t_bad_addr()     { setup_args; expect 2 link add dev veth0 addr 192.0.2.300/24; }
t_no_prefix()    { setup_args; expect 2 link add dev veth0 addr 192.0.2.1; }
t_prefix_33()    { setup_args; expect 2 link add dev veth0 addr 192.0.2.1/33; }
t_bad_gw()       { setup_args; expect 2 link add dev veth0 addr 192.0.2.1/24 gw 192.0.2; }
t_extra_arg()    { setup_args; expect 2 link add dev veth0 addr 192.0.2.1/24 bogus; }
t_unknown_dev()  { setup; expect 1 link add dev nosuchdev0 addr 192.0.2.1/24; }
t_del_unattached() { setup; expect 1 link del dev veth0; }

t_add_twice() {
	setup
	link_add dev veth0 addr 192.0.2.1/24
	expect 1 link add dev veth0 addr 192.0.2.1/24
}

# a device the kernel's own IPv4 stack has an address on is refused
t_kernel_addr() {
	setup
	ip -n "$ns" addr add 192.0.2.9/24 dev veth0
	expect 1 link add dev veth0 addr 192.0.2.1/24
	grep -q 'IPv4 address' "$err" || xtcp_lib_fail "no reason given"
	ip -n "$ns" addr flush dev veth0
	link_add dev veth0 addr 192.0.2.1/24
}

t_show() {
	setup
	link_add dev veth0 addr 192.0.2.1/24 gw 192.0.2.254
	expect 0 link show
	sed 's/^/# /' "$out"
	grep -Eq '^veth0: 192\.0\.2\.1/24 gw 192\.0\.2\.254 mtu 1500 neighs [0-9]+$' "$out" ||
		xtcp_lib_fail "link show line not as expected"
	expect 0 link del dev veth0
	expect 0 link show
	! grep -q '^veth0:' "$out" || xtcp_lib_fail "veth0 still shown"
	# detached now: the cleanup must not find it attached
	expect 1 link del dev veth0
}

t_stats() {
	local proc pick='$1 ~ /^(ActiveOpens|PassiveOpens|OutRsts)$/ { print $1, $2 }'
	setup
	expect 0 stats
	grep -Eq '^ActiveOpens [0-9]+$' "$out" || xtcp_lib_fail "no ActiveOpens"
	grep -Eq '^DropTcpChecksum [0-9]+$' "$out" || xtcp_lib_fail "no DropTcpChecksum"
	# the same numbers as /proc/net/xtcp_stat (the path is named here:
	# $BASHPID would be another inside the process substitutions)
	proc=$xtcp_lib_tmp/proc.$BASHPID
	ip netns exec "$ns" cat /proc/net/xtcp_stat >"$proc"
	# (the file pads its names with blanks and a tab: compare fields)
	diff <(awk "$pick" "$out") <(awk "$pick" "$proc") ||
		xtcp_lib_fail "stats and /proc/net/xtcp_stat differ"
	[ "$(awk "$pick" "$proc" | wc -l)" = 3 ] ||
		xtcp_lib_fail "/proc/net/xtcp_stat lacks one of the three counters"
}

# without CAP_NET_ADMIN: add and del are refused (EPERM), show still works
t_no_cap() {
	local rc=0 msg
	setup
	xtcp_lib_require_cmd setpriv
	msg=$(ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all --bounding-set=-all \
		"$XTCPCTL" link add dev veth0 addr 192.0.2.1/24 2>&1) || rc=$?
	xtcp_lib_log "unprivileged add -> $rc: $msg"
	[ "$rc" = 1 ] || xtcp_lib_fail "exit $rc, wanted 1"
	grep -qi 'permi' <<<"$msg" || xtcp_lib_fail "no permission error"
	# and it was not attached
	expect 1 link del dev veth0
	rc=0
	ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 \
		--clear-groups --inh-caps=-all --bounding-set=-all \
		"$XTCPCTL" link show >/dev/null || rc=$?
	[ "$rc" = 0 ] || xtcp_lib_fail "unprivileged link show failed: $rc"
}

xtcp_lib_init
xtcp_lib_test xtcpctl_no_args t_no_args
xtcp_lib_test xtcpctl_unknown_command t_unknown_cmd
xtcp_lib_test xtcpctl_link_add_without_dev t_link_no_dev
xtcp_lib_test xtcpctl_bad_address t_bad_addr
xtcp_lib_test xtcpctl_address_without_prefix t_no_prefix
xtcp_lib_test xtcpctl_prefix_33 t_prefix_33
xtcp_lib_test xtcpctl_bad_gateway t_bad_gw
xtcp_lib_test xtcpctl_extra_argument t_extra_arg
xtcp_lib_test xtcpctl_unknown_device t_unknown_dev
xtcp_lib_test xtcpctl_del_not_attached t_del_unattached
xtcp_lib_test xtcpctl_add_twice t_add_twice
xtcp_lib_test xtcpctl_kernel_address t_kernel_addr
xtcp_lib_test xtcpctl_show_and_del t_show
xtcp_lib_test xtcpctl_stats t_stats
xtcp_lib_test xtcpctl_needs_net_admin t_no_cap
xtcp_lib_exit
