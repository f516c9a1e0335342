#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# xtcp(7): Documentation/xtcp.7 and its text twin Documentation/xtcp.7.txt.
#
#   scripts/man.sh          write the twin from the page (make man)
#   scripts/man.sh --check  fail if groff warns about the page, or if the
#                           twin is not what the page renders to (make style)
#
# The twin is groff's own rendering, 78 columns of plain ASCII (no bold,
# underline or colour, one continuous page), so that it reads the same in
# any pager and diffs cleanly; groff comes with groff-base
# (scripts/setup.sh). `man -l Documentation/xtcp.7` shows the page itself.
set -eu

cd "$(dirname "$0")/.."
page=Documentation/xtcp.7
twin=Documentation/xtcp.7.txt

command -v groff >/dev/null || {
	echo "man.sh: groff missing: scripts/setup.sh installs groff-base" >&2
	exit 1
}

render() {
	LC_ALL=C groff -t -man -Tascii -rLL=78n -rcR=1 \
		-P-c -P-b -P-o -P-u "$page"
}

case "${1-}" in
"")
	render > "$twin.tmp"
	mv "$twin.tmp" "$twin"
	;;
--check)
	warnings=$(LC_ALL=C groff -t -man -ww -z "$page" 2>&1)
	if [ -n "$warnings" ]; then
		printf '%s\n' "$warnings" >&2
		echo "man.sh: groff warns about $page" >&2
		exit 1
	fi
	if ! render | cmp -s - "$twin"; then
		echo "man.sh: $twin is out of date: run make man" >&2
		exit 1
	fi
	;;
*)
	echo "usage: $0 [--check]" >&2
	exit 2
	;;
esac
