// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_ns: what the shell selftests would otherwise do with several
 * `ip`, `ip netns exec`, `sysctl`, `xtcpctl` and `awk` processes, in one
 * process. In the TCG test VM starting a process costs a large part of a
 * second (more on the debug kernel), and a polling loop of `ip netns exec
 * NS awk` costs that per poll. The work is done by the helpers of
 * xtcp_test.c, the same code the C selftests use.
 *
 *   xtcp_ns add NS...                      ip netns add, lo up, IPv6 off
 *   xtcp_ns del NS...                      ip netns del
 *   xtcp_ns veth NS1 DEV1 NS2 DEV2         a veth pair, both ends up
 *   xtcp_ns attach NS DEV A.B.C.D/N [GW]   xtcpctl link add
 *   xtcp_ns detach NS DEV                  xtcpctl link del
 *   xtcp_ns native NS DEV A.B.C.D/N        ip addr add
 *   xtcp_ns state NS xtcp|tcp LPORT [RPORT]
 *	prints the st column (hex, as /proc/net/tcp) of the matching socket,
 *	nothing if there is none; a connected socket wins over a listener
 *   xtcp_ns wait-state NS xtcp|tcp LPORT RPORT STATE [SECONDS]
 *	polls until the socket is in STATE (hex; "" or 0 = gone), default 10 s
 *   xtcp_ns wait-drained NS [SECONDS]
 *	polls until /proc/net/xtcp of NS is empty; prints what is left if not
 *   xtcp_ns counter NS NAME                a counter of /proc/net/xtcp_stat
 *   xtcp_ns snmp NS PROTO NAME             a counter of /proc/net/snmp
 *	(native TCP's, e.g. Tcp InCsumErrors)
 *   xtcp_ns show NS...
 *	/proc/net/xtcp and the non-zero counters of each NS, as "# " comments
 *	(what a failed test leaves in its log)
 *
 * Exit 0 on success, 1 on failure (with a message on stderr), 2 on bad
 * arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xtcp_test.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcp_ns add|del NS...\n"
		"       xtcp_ns veth NS1 DEV1 NS2 DEV2\n"
		"       xtcp_ns attach NS DEV A.B.C.D/N [GW]\n"
		"       xtcp_ns detach NS DEV\n"
		"       xtcp_ns native NS DEV A.B.C.D/N\n"
		"       xtcp_ns state NS xtcp|tcp LPORT [RPORT]\n"
		"       xtcp_ns wait-state NS xtcp|tcp LPORT RPORT STATE [SECONDS]\n"
		"       xtcp_ns wait-drained NS [SECONDS]\n"
		"       xtcp_ns counter NS NAME\n"
		"       xtcp_ns snmp NS PROTO NAME\n"
		"       xtcp_ns show NS...\n"
		"       xtcp_ns stream-tail SEED BYTES LEN\n");
	exit(2);
}

static unsigned long num(const char *s, int base, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || end == s || v > max)
		usage();
	return v;
}

static bool stack(const char *s)
{
	if (!strcmp(s, "xtcp"))
		return true;
	if (!strcmp(s, "tcp"))
		return false;
	usage();
	return false;
}

static void print_state(int st)
{
	if (st > 0)
		printf("%02X\n", st);
}

int main(int argc, char **argv)
{
	const char *cmd;
	int i, st, want;

	if (argc < 3)
		usage();
	cmd = argv[1];
	argv += 2;
	argc -= 2;

	if (!strcmp(cmd, "add") || !strcmp(cmd, "del")) {
		for (i = 0; i < argc; i++) {
			if (cmd[0] == 'a' ? xtcp_test_ns_add(argv[i]) :
					    xtcp_test_ns_del(argv[i]))
				return 1;
		}
		return 0;
	}
	if (!strcmp(cmd, "veth")) {
		if (argc != 4)
			usage();
		return !!xtcp_test_veth(argv[0], argv[1], argv[2], argv[3]);
	}
	if (!strcmp(cmd, "attach")) {
		if (argc != 3 && argc != 4)
			usage();
		return !!xtcp_test_attach(argv[0], argv[1], argv[2],
					  argc == 4 ? argv[3] : NULL);
	}
	if (!strcmp(cmd, "detach")) {
		if (argc != 2)
			usage();
		return !!xtcp_test_detach(argv[0], argv[1]);
	}
	if (!strcmp(cmd, "native")) {
		if (argc != 3)
			usage();
		return !!xtcp_test_native(argv[0], argv[1], argv[2]);
	}
	if (!strcmp(cmd, "state")) {
		if (argc != 3 && argc != 4)
			usage();
		st = xtcp_test_sk_state(argv[0], stack(argv[1]),
					(uint16_t)num(argv[2], 10, 65535),
					argc == 4 ? (uint16_t)num(argv[3], 10, 65535) : 0);
		if (st < 0) {
			perror("xtcp_ns: /proc/net");
			return 1;
		}
		print_state(st);
		return 0;
	}
	if (!strcmp(cmd, "wait-state")) {
		if (argc != 5 && argc != 6)
			usage();
		want = argv[4][0] ? (int)num(argv[4], 16, 255) : 0;
		st = xtcp_test_wait_state(argv[0], stack(argv[1]),
					  (uint16_t)num(argv[2], 10, 65535),
					  (uint16_t)num(argv[3], 10, 65535), want,
					  1000 * (int)(argc == 6 ? num(argv[5], 10, 3600) : 10));
		if (st == want)
			return 0;
		fprintf(stderr, "xtcp_ns: socket %s->%s in %s: state %02X, wanted %02X\n",
			argv[2], argv[3], argv[0], st, want);
		return 1;
	}
	if (!strcmp(cmd, "wait-drained")) {
		if (argc != 1 && argc != 2)
			usage();
		st = xtcp_test_wait_drained(argv[0],
					    1000 * (int)(argc == 2 ? num(argv[1], 10, 3600) : 10));
		if (!st)
			return 0;
		fprintf(stderr, "xtcp_ns: %d socket(s) left in /proc/net/xtcp of %s:\n",
			st, argv[0]);
		xtcp_test_proc_dump(argv[0], "xtcp", stderr);
		return 1;
	}
	if (!strcmp(cmd, "counter")) {
		long long v;

		if (argc != 2)
			usage();
		v = xtcp_test_counter(argv[0], argv[1]);
		if (v < 0) {
			fprintf(stderr, "xtcp_ns: no counter %s in %s\n",
				argv[1], argv[0]);
			return 1;
		}
		printf("%lld\n", v);
		return 0;
	}
	if (!strcmp(cmd, "snmp")) {
		long long v;

		if (argc != 3)
			usage();
		v = xtcp_test_snmp(argv[0], argv[1], argv[2]);
		if (v < 0) {
			fprintf(stderr, "xtcp_ns: no counter %s %s in %s\n",
				argv[1], argv[2], argv[0]);
			return 1;
		}
		printf("%lld\n", v);
		return 0;
	}
	/*
	 * The hex of the last LEN bytes of what "xtcp_connect -n BYTES -S
	 * SEED" sends: a pattern that only the segment carrying the end of
	 * the stream holds, for a firewall rule to find it.
	 */
	if (!strcmp(cmd, "stream-tail")) {
		struct xtcp_test_prng prng;
		unsigned char buf[4096];
		unsigned long total, len, left;

		if (argc != 3)
			usage();
		xtcp_test_prng_init(&prng, num(argv[0], 0, ULONG_MAX));
		total = num(argv[1], 0, ULONG_MAX);
		len = num(argv[2], 0, sizeof(buf));
		if (len > total)
			usage();
		for (left = total - len; left; ) {
			unsigned long n = left < sizeof(buf) ? left : sizeof(buf);

			xtcp_test_fill(&prng, buf, n);
			left -= n;
		}
		xtcp_test_fill(&prng, buf, len);
		for (left = 0; left < len; left++)
			printf("%02x", buf[left]);
		printf("\n");
		return 0;
	}
	if (!strcmp(cmd, "show")) {
		for (i = 0; i < argc; i++) {
			printf("# %s: /proc/net/xtcp\n", argv[i]);
			xtcp_test_proc_dump(argv[i], "xtcp", stdout);
			printf("# %s: /proc/net/xtcp_stat (non-zero)\n", argv[i]);
			xtcp_test_proc_dump_nonzero(argv[i], "xtcp_stat", stdout);
		}
		return 0;
	}
	usage();
	return 2;
}
