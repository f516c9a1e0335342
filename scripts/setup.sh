#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything XTCP needs to build, test and boot its VM, from Debian's
# archive. Idempotent: when every package is present this only asks dpkg and
# returns, so `make check` and `make run` call it every time.
#
# Usage: scripts/setup.sh [-n]
#   -n  only report what is missing (exit 1 if anything is)
set -eu

# The selftests run in the VM with the host's binaries: what they call is
# listed here too (ip, iptables with both backends, ping, setpriv, modprobe,
# awk, diff; libmnl and libcrypto to build them; shellcheck for
# `make -C selftests check-scripts`). make bench adds linux-perf (PERF=1,
# matches Debian's 6.1 kernel) and gnuplot-nox (its PNG charts); python3
# makes its table. selftests/xtcp_run.sh runs Debian's programs through
# tools/xtcp-run: iperf3, nginx-light, curl, wrk, redis-server (with
# redis-tools), sockperf, socat, python3 (their services are not started:
# the VM has no init, and the host's stay as its policy leaves them).
# groff-base renders xtcp(7) for make man and make style.
PACKAGES=(
	gcc make bc flex bison pkg-config sparse dwarves rsync xz-utils groff-base
	libelf-dev libssl-dev libmnl-dev
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod cpio
	iproute2 iptables iputils-ping util-linux procps mawk diffutils
	ethtool iperf3 tcpdump shellcheck
	linux-perf gnuplot-nox python3
	nginx-light redis-server redis-tools sockperf wrk socat curl
)

usage() {
	echo "usage: $0 [-n]" >&2
	exit 2
}

dry_run=0
while getopts n opt; do
	case "$opt" in
	n) dry_run=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

# One dpkg-query for all of them: it is the slow part of the no-op case.
installed=" $(dpkg-query -W -f='${Package}=${db:Status-Status} ' \
	"${PACKAGES[@]}" 2>/dev/null || true)"
missing=()
for pkg in "${PACKAGES[@]}"; do
	case "$installed" in
	*" $pkg=installed "*) ;;
	*) missing+=("$pkg") ;;
	esac
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: missing packages: ${missing[*]}" >&2
if [ "$dry_run" = 1 ]; then
	exit 1
fi

SUDO=
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null; then
		SUDO=sudo
	else
		echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
# nginx-light and redis-server start their daemons when installed: not
# here, the tests run them in the VM. A policy-rc.d that refuses every
# start (invoke-rc.d and deb-systemd-invoke ask it) for the time of the
# install, unless the host has one of its own.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# scripts/setup.sh: no daemon starts during its install\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null
	$SUDO chmod 0755 "$policy"
	trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}" >&2
