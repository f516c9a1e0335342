// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp-rr: request/response on long-lived connections, and idle
 * connections held open, over any stream socket family, for scripts/bench's
 * rr, scale and mem metrics.
 *
 * Why a tool of our own: the rr metric is 1-byte requests and responses,
 * and sockperf (the packaged tool that reports latency percentiles) sends
 * at least 14 bytes, its own header; netperf's TCP_RR is not in Debian
 * main; iperf3 has no request/response mode. The scale metric wants one
 * client process driving 1 to 1,000 connections with epoll and a latency
 * percentile over all of them, which none of them does (sockperf's
 * multi-connection mode measures one connection out of the set). The mem
 * metric wants 100,000 established connections that then sit idle, spread
 * over several server ports because one (client address, server address,
 * server port) has only 64,000 ephemeral ports, and a line that says when
 * all are up. And, as for xtcp-crr, this takes the socket family as a
 * flag, so no preload library sits in the measured path.
 *
 * Server (-l): listens on PORT .. PORT+NPORTS-1 (-P NPORTS). Without -H it
 * runs one epoll loop that echoes back whatever each connection sends (the
 * response is the request), until SIGINT or SIGTERM, then prints
 *   rr served N conns C
 * With -H it only accepts and keeps every connection (no epoll
 * registration, so that nothing but the connection itself costs kernel
 * memory), and prints "rr accepted K" whenever it has been idle for
 * 200 ms after accepting more, until SIGTERM.
 *
 * Client, request/response (-c ADDR -C CONNS): opens CONNS connections to
 * PORT (all of them before the clock starts), then for -d SECONDS keeps
 * one request of -s BYTES (default 1) outstanding on each and reads the
 * response whole. One connection is driven by blocking send()/recv()
 * (netperf's TCP_RR); more, or -e, by one epoll loop. Every transaction's
 * latency (request sent to response read, CLOCK_MONOTONIC) is kept, and
 * the exact percentiles are printed:
 *   rr conns C tx N failed F seconds S tps T p50_us A p90_us B p99_us D
 *   rr errors NAME=COUNT ...     (only when something failed)
 * A connection that fails (an error, EOF, no response within 5 s) counts
 * one failure and is dropped. At the end every connection is aborted
 * (SO_LINGER 0), so that no TIME_WAIT entry of this run lingers into the
 * next metric's memory baseline.
 *
 * Client, hold (-c ADDR -H N): opens N connections, round-robin over the
 * server's NPORTS ports, at most 256 connect()s in flight (non-blocking,
 * epoll), keeps each one that is established without epoll registration
 * and prints
 *   rr held N failed F seconds S
 * then sits until SIGTERM and exits, which aborts them all (SO_LINGER 0:
 * one RST each, no TIME_WAIT). Both ends raise RLIMIT_NOFILE as needed.
 *
 * Exit status: 0 ran (failures are reported, not an exit status), 1 the
 * system refused something before the run could start, 2 bad usage.
 */

#define _GNU_SOURCE	/* accept4(), strerrorname_np() */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/xtcp.h>

#include "xtcp-tool.h"

#define PROG "xtcp-rr"
/* a response that takes longer than this is a failed connection */
#define IO_TIMEOUT_S 5
#define MAX_EVENTS 256
#define MAX_MSG 65536
#define MAX_PORTS 64
/* connect()s in flight at once in hold mode */
#define HOLD_WINDOW 256
#define NR_ERR_SLOTS 256

static const char usage_text[] =
	"Usage: " PROG " -l [-f FAMILY] [-p PORT] [-P NPORTS] [-b ADDR] [-H]\n"
	"       " PROG " -c ADDR [-f FAMILY] [-p PORT] [-C CONNS] [-d SECONDS] [-s BYTES] [-e]\n"
	"       " PROG " -c ADDR [-f FAMILY] [-p PORT] [-P NPORTS] -H COUNT\n"
	"  -l          server: echo what each connection sends; until SIGTERM\n"
	"  -c ADDR     client: connect to ADDR\n"
	"  -f FAMILY   inet, xtcp (number from " FAMILY_PARAM "), or a number\n"
	"              (default inet)\n"
	"  -p PORT     first TCP port (default 9500)\n"
	"  -P NPORTS   ports PORT..PORT+NPORTS-1 (server: listen on all; hold\n"
	"              client: spread over them), at most 64 (default 1)\n"
	"  -b ADDR     server: local address (default any)\n"
	"  -C CONNS    client: request/response on CONNS connections (default 1)\n"
	"  -d SECONDS  client: run this long (default 10)\n"
	"  -s BYTES    client: request (and response) size (default 1)\n"
	"  -e          client: drive even one connection with epoll\n"
	"  -H [COUNT]  server: accept and hold, print \"rr accepted K\";\n"
	"              client: open COUNT idle connections, print \"rr held N\",\n"
	"              hold them until SIGTERM\n"
	"Prints \"rr conns C tx N failed F seconds S tps T p50_us A p90_us B\n"
	"p99_us D\". Exit 0 when it ran, 1 when the system refused to start,\n"
	"2 on bad usage.\n";

/* failures by cause: errno values, 0 for EOF, the last slot for the rest */
static unsigned long err_count[NR_ERR_SLOTS];

struct rr_opts {
	int family;
	struct sockaddr_in addr;	/* port: the first one */
	unsigned long nports;
	unsigned long conns;
	unsigned long secs;
	unsigned long size;
	unsigned long hold;		/* client: connections to hold */
	bool hold_server;
	bool use_epoll;
};

/* one client connection of the request/response loop */
struct rr_conn {
	int fd;
	size_t got;		/* bytes of the current response read */
	double sent;		/* when the current request went out */
};

/* every transaction's latency in ns, in a growing array */
static struct {
	uint64_t *v;
	size_t n, cap;
} lat;

static void count_err(int err)
{
	err_count[err >= 0 && err < NR_ERR_SLOTS - 1 ? err : NR_ERR_SLOTS - 1]++;
}

static unsigned long print_errors(void)
{
	unsigned long total = 0;
	const char *name;
	int e;

	for (e = 0; e < NR_ERR_SLOTS; e++) {
		if (!err_count[e])
			continue;
		if (!total)
			printf("rr errors");
		total += err_count[e];
		name = e && e < NR_ERR_SLOTS - 1 ? strerrorname_np(e) : NULL;
		if (!e)
			printf(" EOF=%lu", err_count[e]);
		else if (name)
			printf(" %s=%lu", name, err_count[e]);
		else
			printf(" errno%d=%lu", e, err_count[e]);
	}
	if (total)
		printf("\n");
	return total;
}

/*
 * Room for @need descriptors. Raising the hard limit needs
 * CAP_SYS_RESOURCE (root in the VM has it), up to fs.nr_open.
 */
static int raise_nofile(unsigned long need)
{
	unsigned long nr_open;
	struct rlimit rl;
	FILE *f;

	f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		if (fscanf(f, "%lu", &nr_open) == 1 && need > nr_open)
			need = nr_open;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (!setrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	/* not allowed past the hard limit: as far as it goes, then */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return 0;
	fprintf(stderr, PROG ": cannot raise the fd limit to %lu (hard limit %lu)\n",
		need, (unsigned long)rl.rlim_max);
	return -1;
}

static void lat_add(double secs)
{
	uint64_t *v;

	if (lat.n == lat.cap) {
		lat.cap = lat.cap ? lat.cap * 2 : 65536;
		v = realloc(lat.v, lat.cap * sizeof(*v));
		if (!v) {
			/* keep what we have: percentiles of the first ones */
			lat.cap = lat.n;
			return;
		}
		lat.v = v;
	}
	lat.v[lat.n++] = (uint64_t)(secs * 1e9);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* the nearest-rank percentile, in µs; the array is sorted */
static double lat_pct(unsigned int pct)
{
	size_t rank;

	if (!lat.n)
		return 0;
	rank = (lat.n * pct + 99) / 100;
	return lat.v[rank ? rank - 1 : 0] / 1e3;
}

/* abort: a RST instead of a FIN, so nothing is left in TIME_WAIT */
static void abort_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static void set_nodelay(int fd)
{
	int one = 1;

	/* requests are tiny; Nagle would hold the next one back */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ----------------------------------------------------------- server */

static int listen_all(const struct rr_opts *o, int *lfds, int flags)
{
	struct sockaddr_in a = o->addr;
	unsigned long i;
	int one = 1;

	for (i = 0; i < o->nports; i++) {
		lfds[i] = socket(o->family, SOCK_STREAM | flags, 0);
		if (lfds[i] < 0) {
			perror(PROG ": socket");
			return -1;
		}
		setsockopt(lfds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		a.sin_port = htons(ntohs(o->addr.sin_port) + i);
		if (bind(lfds[i], (const struct sockaddr *)&a, sizeof(a)) ||
		    listen(lfds[i], 4096)) {
			perror(PROG ": bind/listen");
			return -1;
		}
	}
	return 0;
}

/* One readable connection: echo what arrived. False when it is done. */
static bool echo(int fd, char *buf, unsigned long *served)
{
	ssize_t n, w, off;

	n = recv(fd, buf, MAX_MSG, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		/* the client's abort at the end is how every run ends */
		if (n < 0 && errno != ECONNRESET)
			count_err(errno);
		return false;
	}
	/* responses are small: the send buffer takes them whole */
	for (off = 0; off < n; off += w) {
		w = send(fd, buf + off, n - off, 0);
		if (w <= 0) {
			/* a response the client's final abort overtook */
			if (w == 0 || (errno != ECONNRESET && errno != EPIPE))
				count_err(w < 0 ? errno : EPIPE);
			return false;
		}
	}
	(*served)++;
	return true;
}

static int run_echo_server(const struct rr_opts *o, int *lfds)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	unsigned long served = 0, conns = 0, i;
	char *buf = malloc(MAX_MSG);
	int ep, fd, n, k;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || !buf) {
		perror(PROG ": epoll_create1");
		return 1;
	}
	for (i = 0; i < o->nports; i++) {
		/* listeners are told apart from connections by a negative index */
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)-1 - i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, lfds[i], &ev)) {
			perror(PROG ": epoll_ctl");
			return 1;
		}
	}
	printf("rr listening\n");
	fflush(stdout);
	while (!xtcp_tool_stop) {
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		for (k = 0; k < n; k++) {
			uint64_t id = evs[k].data.u64;

			if (id < (uint64_t)-1 - MAX_PORTS) {
				fd = (int)id;
				if (!echo(fd, buf, &served)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
					close(fd);
				}
				continue;
			}
			for (;;) {
				fd = accept4(lfds[(uint64_t)-1 - id], NULL, NULL,
					     SOCK_NONBLOCK);
				if (fd < 0) {
					if (errno != EAGAIN && errno != EINTR)
						count_err(errno);
					break;
				}
				set_nodelay(fd);
				ev.events = EPOLLIN;
				ev.data.u64 = (uint64_t)fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
					count_err(errno);
					close(fd);
					continue;
				}
				conns++;
			}
		}
	}
	printf("rr served %lu conns %lu\n", served, conns);
	print_errors();
	free(buf);
	return 0;
}

/*
 * Accept and keep. poll() on the listeners only: an accepted connection
 * is in no epoll set, and costs the kernel what the connection costs.
 */
static int run_hold_server(const struct rr_opts *o, int *lfds)
{
	struct pollfd pfd[MAX_PORTS];
	unsigned long accepted = 0, said = 0, i;
	int fd, n;

	for (i = 0; i < o->nports; i++) {
		pfd[i].fd = lfds[i];
		pfd[i].events = POLLIN;
	}
	printf("rr listening\n");
	fflush(stdout);
	while (!xtcp_tool_stop) {
		n = poll(pfd, o->nports, 200);
		if (n <= 0) {
			if (accepted != said) {
				printf("rr accepted %lu\n", accepted);
				fflush(stdout);
				said = accepted;
			}
			continue;
		}
		for (i = 0; i < o->nports; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (;;) {
				fd = accept4(lfds[i], NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0) {
					if (errno != EAGAIN && errno != EINTR)
						count_err(errno);
					break;
				}
				accepted++;
			}
		}
	}
	printf("rr accepted %lu\n", accepted);
	print_errors();
	return 0;
}

static int run_server(const struct rr_opts *o)
{
	int lfds[MAX_PORTS];

	/*
	 * Every accepted connection, the listeners and stdio: a holding
	 * server takes what fs.nr_open allows, an echo server what a
	 * client's 60,000 connections need. With less they go on: what
	 * does not fit fails accept() with EMFILE, which is counted.
	 */
	raise_nofile(o->hold_server ? 1048576 : 60064);
	if (listen_all(o, lfds, SOCK_NONBLOCK))
		return 1;
	if (o->hold_server)
		return run_hold_server(o, lfds);
	return run_echo_server(o, lfds);
}

/* ----------------------------------------------------------- client */

static int connect_one(const struct rr_opts *o, unsigned long port_idx,
		       int flags)
{
	struct sockaddr_in a = o->addr;
	int fd;

	fd = socket(o->family, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -errno;
	a.sin_port = htons(ntohs(o->addr.sin_port) + port_idx);
	if (connect(fd, (const struct sockaddr *)&a, sizeof(a)) &&
	    errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static bool send_req(struct rr_conn *c, const char *req, size_t size)
{
	ssize_t n;

	c->sent = xtcp_tool_now();
	c->got = 0;
	n = send(c->fd, req, size, MSG_DONTWAIT);
	if (n == (ssize_t)size)
		return true;
	/* a request that does not fit an empty send buffer is a failure */
	count_err(n < 0 ? errno : EMSGSIZE);
	return false;
}

/* reads what there is of c's response; 1 done, 0 not yet, -1 failed */
static int read_resp(struct rr_conn *c, char *buf, size_t size, int flags)
{
	ssize_t n;

	while (c->got < size) {
		n = recv(c->fd, buf, size - c->got, flags);
		if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
		    (flags & MSG_DONTWAIT))
			return 0;
		if (n <= 0) {
			count_err(n < 0 ? errno : 0);
			return -1;
		}
		c->got += (size_t)n;
	}
	return 1;
}

/* the blocking loop of one connection: netperf's TCP_RR */
static unsigned long rr_blocking(struct rr_conn *c, const struct rr_opts *o,
				 char *req, char *buf, double end)
{
	unsigned long fails = 0;
	double t;

	set_timeouts(c->fd);
	while (!xtcp_tool_stop) {
		if (!send_req(c, req, o->size)) {
			fails++;
			break;
		}
		if (read_resp(c, buf, o->size, 0) < 0) {
			fails++;
			break;
		}
		t = xtcp_tool_now();
		lat_add(t - c->sent);
		if (t >= end)
			break;
	}
	return fails;
}

static void drop_conn(int ep, struct rr_conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	abort_close(c->fd);
	c->fd = -1;
}

/* one epoll loop over every connection, one request outstanding on each */
static unsigned long rr_epoll(struct rr_conn *cs, const struct rr_opts *o,
			      char *req, char *buf, double end)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	unsigned long fails = 0, live = 0, i;
	double t, oldest;
	int ep, n, k, r;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror(PROG ": epoll_create1");
		exit(1);
	}
	for (i = 0; i < o->conns; i++) {
		ev.events = EPOLLIN;
		ev.data.u64 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) ||
		    !send_req(&cs[i], req, o->size)) {
			count_err(errno);
			fails++;
			abort_close(cs[i].fd);
			cs[i].fd = -1;
			continue;
		}
		live++;
	}
	while (!xtcp_tool_stop && live) {
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		t = xtcp_tool_now();
		for (k = 0; k < n; k++) {
			struct rr_conn *c = &cs[evs[k].data.u64];

			r = read_resp(c, buf, o->size, MSG_DONTWAIT);
			if (!r)
				continue;
			if (r < 0) {
				drop_conn(ep, c);
				fails++;
				live--;
				continue;
			}
			t = xtcp_tool_now();
			lat_add(t - c->sent);
			if (t < end && !send_req(c, req, o->size)) {
				drop_conn(ep, c);
				fails++;
				live--;
			}
		}
		if (t >= end)
			break;
		/* a connection whose response is overdue has failed */
		oldest = t - IO_TIMEOUT_S;
		for (i = 0; n <= 0 && i < o->conns; i++) {
			if (cs[i].fd >= 0 && cs[i].sent < oldest) {
				count_err(ETIMEDOUT);
				drop_conn(ep, &cs[i]);
				fails++;
				live--;
			}
		}
	}
	close(ep);
	return fails;
}

static int run_rr_client(const struct rr_opts *o)
{
	struct rr_conn *cs = calloc(o->conns, sizeof(*cs));
	char *req = malloc(o->size), *buf = malloc(o->size);
	unsigned long fails = 0, i;
	double start, elapsed;
	int fd;

	if (!cs || !req || !buf || raise_nofile(o->conns + 64))
		return 1;
	memset(req, 'r', o->size);
	/* every connection is up before the clock starts */
	for (i = 0; i < o->conns; i++) {
		fd = connect_one(o, 0, 0);
		if (fd < 0) {
			fprintf(stderr, PROG ": connect %lu of %lu: %s\n",
				i + 1, o->conns, strerror(-fd));
			return 1;
		}
		set_nodelay(fd);
		cs[i].fd = fd;
	}
	start = xtcp_tool_now();
	if (o->conns == 1 && !o->use_epoll)
		fails = rr_blocking(&cs[0], o, req, buf, start + o->secs);
	else
		fails = rr_epoll(cs, o, req, buf, start + o->secs);
	elapsed = xtcp_tool_now() - start;
	for (i = 0; i < o->conns; i++)
		if (cs[i].fd >= 0)
			abort_close(cs[i].fd);

	qsort(lat.v, lat.n, sizeof(*lat.v), cmp_u64);
	printf("rr conns %lu tx %zu failed %lu seconds %.3f tps %.1f p50_us %.1f p90_us %.1f p99_us %.1f\n",
	       o->conns, lat.n, fails, elapsed,
	       elapsed > 0 ? lat.n / elapsed : 0.0, lat_pct(50), lat_pct(90),
	       lat_pct(99));
	print_errors();
	free(cs);
	free(req);
	free(buf);
	free(lat.v);
	return 0;
}

/* a connect() in flight finished: keep the socket, or count its error */
static bool hold_done(int ep, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t len = sizeof(int);
	int err = 0;

	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		count_err(err ? err : errno);
		close(fd);
		return false;
	}
	/* our exit aborts it: no FIN handshakes, no TIME_WAIT */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return true;
}

static int run_hold_client(const struct rr_opts *o)
{
	struct epoll_event ev, evs[MAX_EVENTS];
	unsigned long started = 0, held = 0, fails = 0, inflight = 0;
	double start;
	int ep, fd, n, k;

	if (raise_nofile(o->hold + 64))
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror(PROG ": epoll_create1");
		return 1;
	}
	start = xtcp_tool_now();
	while (!xtcp_tool_stop && (started < o->hold || inflight)) {
		while (started < o->hold && inflight < HOLD_WINDOW) {
			fd = connect_one(o, started % o->nports, SOCK_NONBLOCK);
			started++;
			if (fd < 0) {
				count_err(-fd);
				fails++;
				continue;
			}
			ev.events = EPOLLOUT;
			ev.data.fd = fd;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
				count_err(errno);
				fails++;
				close(fd);
				continue;
			}
			inflight++;
		}
		n = epoll_wait(ep, evs, MAX_EVENTS, 1000);
		for (k = 0; k < n; k++) {
			inflight--;
			if (hold_done(ep, evs[k].data.fd))
				held++;
			else
				fails++;
		}
	}
	close(ep);
	printf("rr held %lu failed %lu seconds %.3f\n", held, fails,
	       xtcp_tool_now() - start);
	print_errors();
	fflush(stdout);
	while (!xtcp_tool_stop)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	struct rr_opts o = {
		.addr = { .sin_family = AF_INET },
		.family = AF_INET, .nports = 1, .conns = 1, .secs = 10,
		.size = 1,
	};
	const char *caddr = NULL, *baddr = NULL;
	unsigned long port = 9500;
	bool server = false, hold = false;
	int opt;

	xtcp_tool_init(PROG, usage_text);
	while ((opt = getopt(argc, argv, "lc:f:p:P:b:C:d:s:eH::h")) != -1) {
		switch (opt) {
		case 'l':
			server = true;
			break;
		case 'c':
			caddr = optarg;
			break;
		case 'f':
			o.family = xtcp_tool_family_arg(optarg);
			break;
		case 'p':
			if (!xtcp_tool_parse_ulong(optarg, 65535, &port) || !port)
				xtcp_tool_usage("bad port", optarg);
			break;
		case 'P':
			if (!xtcp_tool_parse_ulong(optarg, MAX_PORTS, &o.nports) ||
			    !o.nports)
				xtcp_tool_usage("bad number of ports", optarg);
			break;
		case 'b':
			baddr = optarg;
			break;
		case 'C':
			if (!xtcp_tool_parse_ulong(optarg, 60000, &o.conns) ||
			    !o.conns)
				xtcp_tool_usage("bad number of connections", optarg);
			break;
		case 'd':
			if (!xtcp_tool_parse_ulong(optarg, 86400, &o.secs) ||
			    !o.secs)
				xtcp_tool_usage("bad duration", optarg);
			break;
		case 's':
			if (!xtcp_tool_parse_ulong(optarg, MAX_MSG, &o.size) ||
			    !o.size)
				xtcp_tool_usage("bad size", optarg);
			break;
		case 'e':
			o.use_epoll = true;
			break;
		case 'H':
			hold = true;
			/* "-H N" as well as "-HN": optional arguments are glued */
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			if (optarg &&
			    (!xtcp_tool_parse_ulong(optarg, 1000000, &o.hold) ||
			     !o.hold))
				xtcp_tool_usage("bad number of connections", optarg);
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
	if (server && o.hold)
		xtcp_tool_usage("a server's -H takes no count", NULL);
	if (!server && hold && !o.hold)
		xtcp_tool_usage("a client's -H needs a count", NULL);
	if (!server && baddr)
		xtcp_tool_usage("-b is a server option", NULL);
	if (port + o.nports - 1 > 65535)
		xtcp_tool_usage("ports beyond 65535", NULL);
	o.hold_server = server && hold;

	o.addr.sin_port = htons((unsigned short)port);
	if (caddr && inet_pton(AF_INET, caddr, &o.addr.sin_addr) != 1)
		xtcp_tool_usage("bad address", caddr);
	if (baddr && inet_pton(AF_INET, baddr, &o.addr.sin_addr) != 1)
		xtcp_tool_usage("bad address", baddr);

	xtcp_tool_catch_stop(false);

	if (server)
		return run_server(&o);
	if (o.hold)
		return run_hold_client(&o);
	return run_rr_client(&o);
}
