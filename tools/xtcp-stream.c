// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-stream: one-way bulk transfer over any stream socket family, for
 * scripts/bench's goodput-under-loss and burst-recovery metrics.
 *
 * Why a tool of our own: as for xtcp-crr, no packaged tool lets the caller
 * choose the socket family (iperf3 and the rest call socket(AF_INET, ...)),
 * and the burst metric needs what none of them reports: the longest pause
 * in the receiver's in-order delivery, and where in the stream it ended.
 * selftests/xtcp_connect moves and hashes a fixed number of bytes, but
 * cannot bound a transfer in time, which goodput under 10% loss needs.
 *
 * Server (-l): accepts one connection after another. With -d SECONDS it
 * reads for that long from the first byte, then aborts the connection
 * (SO_LINGER 0: a RST, so that the client stops at once, whatever it
 * still has queued); without -d it reads to EOF and closes. For each
 * connection it prints one line:
 *   stream rx BYTES seconds S mbps M maxgap_ms G gap_end OFFSET
 * where S runs from the first byte to the last read, M is the goodput
 * (BYTES * 8 / S), G the longest time between two reads that returned
 * data and OFFSET the stream offset (bytes read before) of the read that
 * ended it. With -g FROM,TO the line ends with "stall_ms T": the time from
 * the last read that ended at or before stream offset FROM to the first
 * read that ended past offset TO (-1 if the stream never got there), the
 * stall of a hole known to lie between the two offsets (the burst metric).
 * Runs until SIGINT or SIGTERM.
 *
 * Client (-c ADDR): connects and writes for -d SECONDS or -n BYTES; with
 * -n it then half-closes and waits for the server's EOF. A RST from the
 * server ends it normally (that is how a -d server stops it). Prints
 *   stream tx BYTES seconds S
 * Exit status: 0 ran, 1 the system refused something (socket, connect, a
 * write error other than the server's reset), 2 bad usage.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

#include "xtcp-tool.h"

#define PROG "xtcp-stream"
#define BUF_LEN 65536
/* a client that hears nothing back for this long after its data gives up */
#define LINGER_S 30

static const char usage_text[] =
	"Usage: " PROG " -l [-f FAMILY] [-p PORT] [-b ADDR] [-d SECONDS] [-g FROM,TO]\n"
	"       " PROG " -c ADDR [-f FAMILY] [-p PORT] (-d SECONDS | -n BYTES)\n"
	"  -l          server: read each connection (for -d s, else to EOF),\n"
	"              print what arrived; until SIGTERM\n"
	"  -c ADDR     client: connect to ADDR and write\n"
	"  -f FAMILY   inet, xtcp (number from " FAMILY_PARAM "), or a number\n"
	"              (default inet)\n"
	"  -p PORT     TCP port (default 9300)\n"
	"  -b ADDR     server: local address (default any)\n"
	"  -d SECONDS  server: read this long; client: write this long\n"
	"  -n BYTES    client: write this many bytes, then wait for EOF\n"
	"  -g FROM,TO  server: also print the stall from offset FROM past TO\n"
	"Server prints \"stream rx BYTES seconds S mbps M maxgap_ms G gap_end O\"\n"
	"per connection, the client \"stream tx BYTES seconds S\".\n";

/* waits up to ms for events on fd; false on timeout or a signal */
static bool wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	return poll(&pfd, 1, ms) > 0;
}

/* stream offsets of -g: the stall from FROM until the stream passes TO */
static struct {
	bool on;
	unsigned long long from, to;
} hole;

/* One connection: read it, print its line, close or abort it. */
static void serve(int fd, unsigned long secs, char *buf)
{
	unsigned long long bytes = 0, gap_end = 0;
	double first = 0, last = 0, t, end = 0, maxgap = 0;
	double before = 0, after = 0;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	ssize_t n;
	int ms;

	while (!xtcp_tool_stop) {
		ms = 1000;
		if (secs && first) {
			t = xtcp_tool_now();
			if (t >= end)
				break;
			ms = (int)((end - t) * 1000) + 1;
		}
		if (!wait_fd(fd, POLLIN, ms))
			continue;
		n = recv(fd, buf, BUF_LEN, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		t = xtcp_tool_now();
		if (!first) {
			first = t;
			end = t + secs;
		} else if (t - last > maxgap) {
			maxgap = t - last;
			gap_end = bytes;
		}
		last = t;
		bytes += (unsigned long long)n;
		if (bytes <= hole.from)
			before = t;
		else if (bytes > hole.to && !after)
			after = t;
	}
	t = last > first ? last - first : 0;
	printf("stream rx %llu seconds %.3f mbps %.3f maxgap_ms %.1f gap_end %llu",
	       bytes, t, t > 0 ? bytes * 8 / t / 1e6 : 0.0, maxgap * 1000,
	       gap_end);
	if (hole.on)
		printf(" stall_ms %.1f",
		       before && after ? (after - before) * 1000 : -1.0);
	printf("\n");
	fflush(stdout);
	/* with -d the client is still writing: a RST stops it at once */
	if (secs)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int run_server(int family, const struct sockaddr_in *addr,
		      unsigned long secs)
{
	char *buf = malloc(BUF_LEN);
	int lfd, fd, one = 1;

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0 || !buf) {
		perror(PROG ": socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (const struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(lfd, 16)) {
		perror(PROG ": bind/listen");
		return 1;
	}
	printf("stream listening\n");
	fflush(stdout);
	while (!xtcp_tool_stop) {
		if (!wait_fd(lfd, POLLIN, 1000))
			continue;
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(fd, secs, buf);
	}
	close(lfd);
	free(buf);
	return 0;
}

static bool reset_by_peer(int err)
{
	return err == ECONNRESET || err == EPIPE;
}

static int run_client(int family, const struct sockaddr_in *dst,
		      unsigned long secs, unsigned long long count)
{
	unsigned long long sent = 0;
	double start, end;
	char *buf = malloc(BUF_LEN);
	size_t len;
	ssize_t n;
	int fd, ret = 1;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0 || !buf) {
		perror(PROG ": socket");
		return 1;
	}
	memset(buf, 'x', BUF_LEN);
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst))) {
		perror(PROG ": connect");
		goto out;
	}
	start = xtcp_tool_now();
	end = start + secs;
	while (!xtcp_tool_stop && (count ? sent < count : xtcp_tool_now() < end)) {
		/* poll, so that a -d client notices its end while blocked */
		if (!wait_fd(fd, POLLOUT, 100))
			continue;
		len = count && count - sent < BUF_LEN ? count - sent : BUF_LEN;
		n = send(fd, buf, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			if (reset_by_peer(errno))
				break;
			perror(PROG ": send");
			goto out;
		}
		sent += (unsigned long long)n;
	}
	if (count && sent == count) {
		/* everything queued: the server's EOF says it all arrived */
		if (shutdown(fd, SHUT_WR)) {
			perror(PROG ": shutdown");
			goto out;
		}
		end = xtcp_tool_now() + LINGER_S;
		while (!xtcp_tool_stop && xtcp_tool_now() < end) {
			if (!wait_fd(fd, POLLIN, 100))
				continue;
			n = recv(fd, buf, BUF_LEN, MSG_DONTWAIT);
			if (n > 0 || (n < 0 && errno == EAGAIN))
				continue;
			break;
		}
	}
	printf("stream tx %llu seconds %.3f\n", sent, xtcp_tool_now() - start);
	ret = 0;
out:
	close(fd);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	unsigned long port = 9300, secs = 0, v;
	unsigned long long count = 0;
	const char *caddr = NULL, *baddr = NULL;
	int family = AF_INET, opt;
	bool server = false;

	xtcp_tool_init(PROG, usage_text);
	while ((opt = getopt(argc, argv, "lc:f:p:b:d:n:g:h")) != -1) {
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
			if (!xtcp_tool_parse_ulong(optarg, ~0UL, &v) || !v)
				xtcp_tool_usage("bad count", optarg);
			count = v;
			break;
		case 'g':
			if (sscanf(optarg, "%llu,%llu", &hole.from, &hole.to) != 2 ||
			    hole.from >= hole.to)
				xtcp_tool_usage("bad -g FROM,TO", optarg);
			hole.on = true;
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
	if (server && count)
		xtcp_tool_usage("-n is a client option", NULL);
	if (!server && hole.on)
		xtcp_tool_usage("-g is a server option", NULL);
	if (!server && !!secs == !!count)
		xtcp_tool_usage("a client needs exactly one of -d and -n", NULL);
	if (!server && baddr)
		xtcp_tool_usage("-b is a server option", NULL);

	sin.sin_port = htons((unsigned short)port);
	if (caddr && inet_pton(AF_INET, caddr, &sin.sin_addr) != 1)
		xtcp_tool_usage("bad address", caddr);
	if (baddr && inet_pton(AF_INET, baddr, &sin.sin_addr) != 1)
		xtcp_tool_usage("bad address", baddr);

	xtcp_tool_catch_stop(false);

	if (server)
		return run_server(family, &sin, secs);
	return run_client(family, &sin, secs, count);
}
