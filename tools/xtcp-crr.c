// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-crr: a connect/request/response loop (netperf's TCP_CRR) over any
 * stream socket family, for scripts/bench.
 *
 * Why a tool of our own: netperf is not in Debian main, and neither it nor
 * any packaged tool (iperf3, sockperf, wrk, ab) lets the caller choose the
 * socket family: they all call socket(AF_INET, ...). AF_XTCP needs exactly
 * that and nothing else, so this tool is the smallest CRR loop that takes
 * the family as a flag.
 *
 * Server (-l): accept, read 1 byte, write 1 byte, close; one epoll loop,
 * so a connection that stalls never holds up the next one. Runs until
 * SIGINT or SIGTERM, then prints what it served.
 *
 * Client (-c ADDR): connect, write 1 byte, read 1 byte, close, for -d
 * seconds (or -n transactions). Every error counts as one failed
 * transaction (any failing call, a short read, EOF, a timeout); the loop
 * goes on with the next connection. -w waits for the server's FIN before
 * closing, so that the server closes first and holds TIME_WAIT.
 *
 * Output, one line each, easy to parse:
 *   crr tx N failed M seconds S tps T
 *   crr errors NAME=COUNT ...     (only when something failed)
 * Exit status: 0 ran (failures are reported, not an exit status), 1 the
 * system refused something before the loop could start, 2 bad usage.
 */

#define _GNU_SOURCE	/* accept4() */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

#include "xtcp-tool.h"

#define PROG "xtcp-crr"
/* a peer that answers nothing for this long is a failed transaction */
#define IO_TIMEOUT_S 5
#define MAX_EVENTS 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char usage_text[] =
	"Usage: " PROG " -l [-f FAMILY] [-p PORT] [-b ADDR]\n"
	"       " PROG " -c ADDR [-f FAMILY] [-p PORT] [-d SECONDS | -n COUNT] [-w]\n"
	"  -l          server: accept, read 1, write 1, close; until SIGTERM\n"
	"  -c ADDR     client: connect to ADDR, write 1, read 1, close, in a loop\n"
	"  -f FAMILY   inet, xtcp (number from " FAMILY_PARAM "), or a number\n"
	"              (default inet)\n"
	"  -p PORT     TCP port (default 9000)\n"
	"  -b ADDR     server: local address (default any)\n"
	"  -d SECONDS  client: run this long (default 10)\n"
	"  -n COUNT    client: stop after COUNT transactions instead\n"
	"  -w          client: wait for the server's FIN before close, so the\n"
	"              server holds TIME_WAIT\n"
	"Prints \"crr tx N failed M seconds S tps T\". Exit 0 when it ran,\n"
	"1 when the system refused to start, 2 on bad usage.\n";

/* the errno names that a CRR loop can meet; others print as numbers */
static const struct {
	int err;
	const char *name;
} err_names[] = {
	{ ECONNRESET, "ECONNRESET" },	{ ECONNREFUSED, "ECONNREFUSED" },
	{ ETIMEDOUT, "ETIMEDOUT" },	{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ EADDRINUSE, "EADDRINUSE" },	{ EAGAIN, "EAGAIN" },
	{ EINTR, "EINTR" },		{ EPIPE, "EPIPE" },
	{ ENETUNREACH, "ENETUNREACH" },	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ ENOBUFS, "ENOBUFS" },		{ ENOMEM, "ENOMEM" },
	{ EMFILE, "EMFILE" },		{ EAFNOSUPPORT, "EAFNOSUPPORT" },
};

/* failures by cause: errno values, plus 0 for EOF before the response */
#define NR_ERR_SLOTS 256
static unsigned long err_count[NR_ERR_SLOTS];

static void count_err(int err)
{
	err_count[err >= 0 && err < NR_ERR_SLOTS ? err : NR_ERR_SLOTS - 1]++;
}

static void print_errors(void)
{
	bool any = false;
	size_t i;
	int e;

	for (e = 0; e < NR_ERR_SLOTS; e++) {
		const char *name = NULL;

		if (!err_count[e])
			continue;
		if (!any)
			printf("crr errors");
		any = true;
		for (i = 0; i < ARRAY_SIZE(err_names); i++)
			if (err_names[i].err == e)
				name = err_names[i].name;
		if (!e)
			printf(" EOF=%lu", err_count[e]);
		else if (name)
			printf(" %s=%lu", name, err_count[e]);
		else
			printf(" errno%d=%lu", e, err_count[e]);
	}
	if (any)
		printf("\n");
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	/* best effort: a family without them still has the alarm below */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One transaction. Returns 0, or the errno of what failed (0 is EOF). */
static int client_once(int family, const struct sockaddr_in *dst, bool wait_fin,
		       bool *failed)
{
	char c = 'q';
	ssize_t n;
	int fd, err = 0;

	*failed = true;
	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	set_timeouts(fd);
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst))) {
		err = errno;
		goto out;
	}
	n = write(fd, &c, 1);
	if (n != 1) {
		err = n < 0 ? errno : EPIPE;
		goto out;
	}
	n = read(fd, &c, 1);
	if (n != 1) {
		err = n < 0 ? errno : 0;
		goto out;
	}
	if (wait_fin) {
		n = read(fd, &c, 1);
		if (n != 0) {
			/* more data is a protocol error too */
			err = n < 0 ? errno : EPROTO;
			goto out;
		}
	}
	*failed = false;
out:
	close(fd);
	return err;
}

static int run_client(int family, const struct sockaddr_in *dst,
		      unsigned long secs, unsigned long count, bool wait_fin)
{
	unsigned long tx = 0, fails = 0;
	double start, end, elapsed;
	bool failed;
	int err;

	start = xtcp_tool_now();
	end = start + secs;
	/* a call that hangs past the end is cut by EINTR and counted */
	if (!count)
		alarm(secs + 2 * IO_TIMEOUT_S);
	while (!xtcp_tool_stop) {
		if (count ? tx + fails >= count : xtcp_tool_now() >= end)
			break;
		err = client_once(family, dst, wait_fin, &failed);
		if (failed) {
			fails++;
			count_err(err);
			/* the family itself is missing: no point looping */
			if (err == EAFNOSUPPORT)
				break;
		} else {
			tx++;
		}
	}
	alarm(0);
	elapsed = xtcp_tool_now() - start;
	printf("crr tx %lu failed %lu seconds %.3f tps %.1f\n", tx, fails,
	       elapsed, elapsed > 0 ? tx / elapsed : 0.0);
	print_errors();
	return 0;
}

/* Server side of one connection: the request byte, the reply byte, close. */
static void serve(int ep, int fd, unsigned long *tx, unsigned long *fails)
{
	char c;
	ssize_t n;

	n = read(fd, &c, 1);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;		/* not here yet: epoll says when */
	if (n == 1 && write(fd, &c, 1) == 1) {
		(*tx)++;
	} else {
		(*fails)++;
		count_err(n < 0 ? errno : 0);
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

static int run_server(int family, const struct sockaddr_in *addr)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	unsigned long tx = 0, fails = 0;
	int lfd, ep, fd, i, n, one = 1;

	lfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0) {
		perror(PROG ": socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(lfd, 1024)) {
		perror(PROG ": bind/listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror(PROG ": epoll_create1");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror(PROG ": epoll_ctl");
		return 1;
	}
	printf("crr listening\n");
	fflush(stdout);
	while (!xtcp_tool_stop) {
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd != lfd) {
				serve(ep, evs[i].data.fd, &tx, &fails);
				continue;
			}
			for (;;) {
				fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0) {
					if (errno != EAGAIN && errno != EWOULDBLOCK &&
					    errno != EINTR) {
						fails++;
						count_err(errno);
					}
					break;
				}
				ev.events = EPOLLIN;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
					fails++;
					count_err(errno);
					close(fd);
				}
			}
		}
	}
	printf("crr served %lu failed %lu\n", tx, fails);
	print_errors();
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long port = 9000, secs = 10, count = 0;
	const char *caddr = NULL, *baddr = NULL;
	bool server = false, wait_fin = false;
	int family = AF_INET, opt;

	xtcp_tool_init(PROG, usage_text);
	while ((opt = getopt(argc, argv, "lc:f:p:b:d:n:wh")) != -1) {
		switch (opt) {
		case 'l':
			server = true;
			break;
		case 'c':
			caddr = optarg;
			break;
		case 'f':
			family = xtcp_tool_family_arg(optarg);
			break;
		case 'p':
			if (!xtcp_tool_parse_ulong(optarg, 65535, &port) || !port)
				xtcp_tool_usage("bad port", optarg);
			break;
		case 'b':
			baddr = optarg;
			break;
		case 'd':
			if (!xtcp_tool_parse_ulong(optarg, 86400, &secs) || !secs)
				xtcp_tool_usage("bad duration", optarg);
			break;
		case 'n':
			if (!xtcp_tool_parse_ulong(optarg, ~0UL, &count) || !count)
				xtcp_tool_usage("bad count", optarg);
			break;
		case 'w':
			wait_fin = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			xtcp_tool_usage(NULL, NULL);
		}
	}
	if (optind != argc)
		xtcp_tool_usage("unexpected argument", argv[optind]);
	if (server == !!caddr)
		xtcp_tool_usage("give exactly one of -l and -c ADDR", NULL);
	if (server && (count || wait_fin))
		xtcp_tool_usage("-n and -w are client options", NULL);
	if (!server && baddr)
		xtcp_tool_usage("-b is a server option", NULL);

	sin.sin_port = htons((unsigned short)port);
	if (caddr && inet_pton(AF_INET, caddr, &sin.sin_addr) != 1)
		xtcp_tool_usage("bad address", caddr);
	if (baddr && inet_pton(AF_INET, baddr, &sin.sin_addr) != 1)
		xtcp_tool_usage("bad address", baddr);

	xtcp_tool_catch_stop(true);

	if (server)
		return run_server(family, &sin);
	return run_client(family, &sin, secs, count, wait_fin);
}
