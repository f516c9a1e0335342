// SPDX-License-Identifier: GPL-2.0
/*
 * The global memory limit, tcp_mem (issue 14, "Memory"). NCONNS
 * connections from ns[0] to a listener in ns[1] whose server side never
 * reads; each client writes, non-blocking, until it gets EAGAIN, sweep
 * after sweep, until two sweeps in a row write nothing. The limit is set
 * low for the test: XTCP's tcp_mem module parameter, or net.ipv4.tcp_mem
 * for the tcp_tcp reference (global in 6.1, like XTCP's: it exists in
 * init_net only, so it is written there and restored after).
 *
 * Asserted, in both variants:
 * - the account (XTCP: MemoryPages of /proc/net/xtcp_stat, the exact
 *   total; Linux: "mem" of /proc/net/sockstat), sampled during the fill,
 *   never exceeds the high mark by more than the slack Linux's own
 *   accounting allows (MEM_SLACK below);
 * - pressure was entered (TCPMemoryPressures) and is in effect at the end
 *   of the fill (/proc/net/protocols, "pressure yes");
 * - under pressure, one more connection whose reader is reading moves
 *   LIVE_BYTES with its hash intact: in-order data a reader waits for is
 *   never refused;
 * - then the readers drain every connection: each one's bytes (its own
 *   offset into a random block, so that bytes of one connection cannot
 *   pass for another's) hash as sent, so no in-order data was lost;
 * - after everything closes, the account goes back to 0 (XTCP: exactly;
 *   Linux: within its per-cpu reserves).
 * The figures (pages at the end of the fill, the highest sample, per
 * connection, and the prune and drop counters) are logged.
 *
 * params_refused: the module parameters tcp_mem, tcp_rmem and tcp_wmem
 * refuse what is not three positive numbers, ascending (EINVAL, the value
 * kept), and take blanks or commas between them.
 *
 * XTCP_MEMLIMIT_CONNS overrides NCONNS (for a quick look); the debug
 * kernel runs NCONNS / XTCP_TIMEOUT_SCALE (nconns()). Deterministic in
 * what it asserts; the figures vary with timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define NCONNS		10000
#define PORT		5556
#define BLK		65536		/* the random block, stored twice */
#define LIVE_BYTES	(256 << 10)	/* 60 s moved 640 KB (XTCP), 418 KB (Linux) */
/*
 * tcp_mem for the test, in pages per connection: low, pressure, high.
 * Under pressure each socket keeps tcp_rmem[0] or tcp_wmem[0] (a page)
 * and an skb forced in, so high must leave room for that.
 */
#define LOW_PER_CONN	2
#define PRESS_PER_CONN	3
#define HIGH_PER_CONN	6
/*
 * How far the account may go past high, in pages, as Linux's does: each
 * cpu's reserve (sysctl_mem_pcpu_rsv, 1 MiB, is flushed to the total only
 * when full, and the limit is checked against the total), plus what is
 * charged whatever the limit says, per connection: the receiver's first
 * in-order skb for an empty queue, the sender's first skb and up to
 * tcp_wmem[0] (a page) of data, and the one allocation a stream sender
 * over its shrunken sndbuf is granted (__sk_mem_raise_allocated()). With
 * TSO on, veth hands the receiver 64 KB GSO skbs and that floor alone is
 * some 20 pages a connection, for Linux as for XTCP (a first run with TSO
 * on: 205684 pages for Linux, 232808 for XTCP, high 60000 for 10000
 * connections); the test turns TSO off so that segments are MTU-sized.
 */
#define PCPU_RSV_PAGES	256
/*
 * Measured with TSO off, 10000 connections, high 60000 pages: Linux ends
 * the fill at 174813 pages, XTCP at 183743, 11 and 12 pages a connection
 * over high: senders keep what they queued before their sndbuf was cut,
 * as __sk_mem_raise_allocated() never refuses a stream sender at or over
 * its sndbuf. 16 pages covers that; the assertion is that the account is
 * bounded as Linux's is, not that high is a hard cap (it is not in Linux).
 */
#define FORCED_PER_CONN	16

#define XTCP_TCP_MEM	"/sys/module/xtcp/parameters/tcp_mem"
#define LINUX_TCP_MEM	"/proc/sys/net/ipv4/tcp_mem"

struct conn {
	int cfd, sfd;
	uint64_t sent, got;
	uint64_t hs, hr;	/* FNV-1a of the bytes written, read */
};

static unsigned char blk[2 * BLK];

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV0	0xcbf29ce484222325ULL

/* where connection i's byte at offset off lies in blk */
static const unsigned char *data_at(int i, uint64_t off)
{
	return blk + (off + (uint64_t)i * 4099) % BLK;
}

/*
 * The debug kernel (XTCP_TIMEOUT_SCALE 10) runs a tenth of the
 * connections: it looks for leaks and bad accounting, which a thousand
 * connections under the same limit per connection show as well, and
 * 10,000 would outlast check-debug's time per program.
 */
static int nconns(void)
{
	const char *s = getenv("XTCP_MEMLIMIT_CONNS");

	if (s && atoi(s) > 0)
		return atoi(s);
	return NCONNS / xtcp_test_timeout_scale();
}

static int read_limits(const char *path, long v[3])
{
	return xtcp_test_read_triple(fopen(path, "r"), v);
}

static int write_limits(const char *path, const long v[3])
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%ld %ld %ld\n", v[0], v[1], v[2]);
	return fclose(f) ? -1 : 0;
}

/* memory, in pages, and pressure of a protocol, from /proc/net/protocols */
static int proto_line(const char *name, long *mem, bool *pressure)
{
	char line[512], pname[32], press[8];
	unsigned int size;
	int socks;
	FILE *f;
	int ret = -1;

	f = fopen("/proc/net/protocols", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %u %d %ld %7s", pname, &size, &socks,
			   mem, press) == 5 && !strcmp(pname, name)) {
			*pressure = !strcmp(press, "yes");
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

FIXTURE(mem) {
	struct xtcp_test_pair pair;
	long saved[3];
	bool restore;
	struct conn *c;
	int n;
};

FIXTURE_VARIANT(mem) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(mem, xtcp_xtcp) {
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(mem, tcp_tcp) {
	.xtcp = false,
};

static const char *limit_path(bool xtcp)
{
	return xtcp ? XTCP_TCP_MEM : LINUX_TCP_MEM;
}

FIXTURE_SETUP(mem)
{
	struct rlimit rl;
	int n = nconns();

	rl.rlim_cur = rl.rlim_max = 2 * (rlim_t)n + 64;
	self->c = NULL;
	self->restore = false;
	XTCP_PAIR_SETUP("xtcp-mem", variant->xtcp, variant->xtcp);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, read_limits(limit_path(variant->xtcp), self->saved));
	self->restore = true;
	self->n = n;
	self->c = calloc((size_t)n + 1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
}

FIXTURE_TEARDOWN(mem)
{
	int i;

	if (self->c) {
		for (i = 0; i <= self->n; i++) {
			if (self->c[i].cfd > 0)
				close(self->c[i].cfd);
			if (self->c[i].sfd > 0)
				close(self->c[i].sfd);
		}
		free(self->c);
	}
	if (self->restore)
		write_limits(limit_path(variant->xtcp), self->saved);
	XTCP_PAIR_TEARDOWN(60000);
}

/* the account's total in pages; XTCP's counts every cpu's reserve too */
static long mem_pages(bool xtcp, const char *ns)
{
	bool pressure;
	long mem;

	if (xtcp)
		return (long)xtcp_test_counter(ns, "MemoryPages");
	if (proto_line("TCP", &mem, &pressure))
		return -1;
	return mem;
}

static bool under_pressure(bool xtcp)
{
	bool pressure = false;
	long mem;

	proto_line(xtcp ? "XTCP" : "TCP", &mem, &pressure);
	return pressure;
}

static long long counter(bool xtcp, const char *ns, const char *xname,
			 const char *lname)
{
	if (xtcp)
		return xtcp_test_counter(ns, xname);
	return xtcp_test_netstat(ns, lname);
}

/* both namespaces' sum of a counter */
static long long counter2(bool xtcp, const struct xtcp_test_pair *pair,
			  const char *xname, const char *lname)
{
	return counter(xtcp, pair->net.ns[0], xname, lname) +
	       counter(xtcp, pair->net.ns[1], xname, lname);
}

static void log_counters(struct __test_metadata *_metadata, bool xtcp,
			 const struct xtcp_test_pair *pair)
{
	TH_LOG("TCPMemoryPressures %lld PruneCalled %lld RcvPruned %lld TCPRcvQDrop %lld OfoPrune(d) %lld",
	       counter2(xtcp, pair, "TCPMemoryPressures", "TCPMemoryPressures"),
	       counter2(xtcp, pair, "PruneCalled", "PruneCalled"),
	       counter2(xtcp, pair, "RcvPruned", "RcvPruned"),
	       counter2(xtcp, pair, "TCPRcvQDrop", "TCPRcvQDrop"),
	       counter2(xtcp, pair, "OfoPrune", "OfoPruned"));
}

/* write connection i's stream until EAGAIN; the bytes written */
static ssize_t fill(struct conn *c, int i, size_t max)
{
	ssize_t n, total = 0;
	size_t len;

	for (;;) {
		len = max - (size_t)total < BLK ? max - (size_t)total : BLK;
		if (!len)
			return total;
		n = send(c->cfd, data_at(i, c->sent), len, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? total : -1;
		c->hs = fnv(c->hs, data_at(i, c->sent), (size_t)n);
		c->sent += (uint64_t)n;
		total += n;
	}
}

/* read what is there of connection i's stream; -1 on error or bad bytes */
static ssize_t drain(struct conn *c, int i)
{
	unsigned char buf[BLK];
	ssize_t n, total = 0;

	for (;;) {
		n = recv(c->sfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? total : -1;
		if (!n || c->got + (uint64_t)n > c->sent)
			return -1;
		if (memcmp(buf, data_at(i, c->got), (size_t)n))
			return -1;
		c->hr = fnv(c->hr, buf, (size_t)n);
		c->got += (uint64_t)n;
		total += n;
	}
}

static int conn_open(const struct xtcp_test_pair *pair, int l, bool xtcp,
		     struct conn *c)
{
	struct sockaddr_in sin;
	int flags;

	c->hs = FNV0;
	c->hr = FNV0;
	c->cfd = xtcp_test_socket(pair->net.ns[0],
				  xtcp_test_sock_family(xtcp), SOCK_STREAM);
	if (c->cfd < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (connect(c->cfd, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	c->sfd = accept(l, NULL, NULL);
	if (c->sfd < 0)
		return -1;
	flags = fcntl(c->cfd, F_GETFL);
	return fcntl(c->cfd, F_SETFL, flags | O_NONBLOCK);
}

TEST_F_TIMEOUT(mem, no_reader, 1100)
{
	const char *ns0 = self->pair.net.ns[0];
	int n = self->n, i, l, one = 1, idle, ep, nev, done, ncpu;
	long lim[3], pages, max_pages = 0, end_pages, slack;
	long long press0, deadline, t0;
	struct epoll_event ev, evs[256];
	struct xtcp_test_prng prng;
	struct sockaddr_in sin;
	struct conn *live;
	ssize_t w;
	bool pressure;

	SKIP_IF_NEEDED();
	xtcp_test_prng_init(&prng, 0x6d656d14);
	xtcp_test_fill(&prng, blk, BLK);
	memcpy(blk + BLK, blk, BLK);
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	lim[0] = (long)LOW_PER_CONN * n;
	lim[1] = (long)PRESS_PER_CONN * n;
	lim[2] = (long)HIGH_PER_CONN * n;
	slack = (long)PCPU_RSV_PAGES * ncpu + (long)FORCED_PER_CONN * n;
	ASSERT_EQ(0, xtcp_test_tso(self->pair.net.ns[0], "veth0", false));
	ASSERT_EQ(0, xtcp_test_tso(self->pair.net.ns[1], "veth1", false));

	l = xtcp_test_socket(self->pair.net.ns[1],
			     xtcp_test_sock_family(variant->xtcp), SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1024));

	/* the connections, then the limit: the handshakes need no memory */
	t0 = xtcp_test_now_ms();
	for (i = 0; i <= n; i++)
		ASSERT_EQ(0, conn_open(&self->pair, l, variant->xtcp, &self->c[i]))
			TH_LOG("connection %d: errno %d", i, errno);
	close(l);
	live = &self->c[n];
	TH_LOG("%d connections (and one live) in %lld ms", n,
	       xtcp_test_now_ms() - t0);
	press0 = counter2(variant->xtcp, &self->pair, "TCPMemoryPressures",
			  "TCPMemoryPressures");
	ASSERT_EQ(0, write_limits(limit_path(variant->xtcp), lim));
	TH_LOG("tcp_mem %ld %ld %ld pages, slack %ld (%d cpus)",
	       lim[0], lim[1], lim[2], slack, ncpu);

	/* fill: sweep every client until two sweeps in a row write nothing */
	t0 = xtcp_test_now_ms();
	deadline = t0 + 300000LL * xtcp_test_timeout_scale();
	for (idle = 0; idle < 2;) {
		uint64_t sweep = 0;

		for (i = 0; i < n; i++) {
			w = fill(&self->c[i], i, SIZE_MAX);
			ASSERT_LE(0, w) TH_LOG("conn %d: send errno %d", i, errno);
			sweep += (uint64_t)w;
			if (i % 1000 == 999) {
				pages = mem_pages(variant->xtcp, ns0);
				if (pages > max_pages)
					max_pages = pages;
			}
		}
		pages = mem_pages(variant->xtcp, ns0);
		if (pages > max_pages)
			max_pages = pages;
		idle = sweep ? 0 : idle + 1;
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("still writing: %llu bytes in the last sweep",
			       (unsigned long long)sweep);
		/* what is in flight settles before the next sweep */
		xtcp_test_msleep(200);
	}
	end_pages = mem_pages(variant->xtcp, ns0);
	pressure = under_pressure(variant->xtcp);
	{
		uint64_t total = 0;

		for (i = 0; i < n; i++)
			total += self->c[i].sent;
		TH_LOG("filled in %lld ms: %llu bytes written, %llu per connection",
		       xtcp_test_now_ms() - t0, (unsigned long long)total,
		       (unsigned long long)(total / (uint64_t)n));
	}
	TH_LOG("account: %ld pages at the end (%ld bytes per connection), highest sample %ld, high %ld",
	       end_pages, end_pages * 4096 / n, max_pages, lim[2]);
	log_counters(_metadata, variant->xtcp, &self->pair);
	ASSERT_LE(max_pages, lim[2] + slack);
	ASSERT_LE(end_pages, lim[2] + slack);
	ASSERT_LT(press0, counter2(variant->xtcp, &self->pair, "TCPMemoryPressures",
				   "TCPMemoryPressures"));
	ASSERT_TRUE(pressure) TH_LOG("not under pressure at the end of the fill");

	/* under pressure, a connection with a reader still moves */
	t0 = xtcp_test_now_ms();
	deadline = t0 + 60000LL * xtcp_test_timeout_scale();
	while (live->got < LIVE_BYTES) {
		struct pollfd pfd[2] = {
			{ .fd = live->cfd, .events = POLLOUT },
			{ .fd = live->sfd, .events = POLLIN },
		};

		if (live->sent < LIVE_BYTES)
			ASSERT_LE(0, fill(live, n, LIVE_BYTES - live->sent));
		ASSERT_LE(0, drain(live, n)) TH_LOG("live: bad bytes");
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("live: %llu of %d bytes read",
			       (unsigned long long)live->got, LIVE_BYTES);
		if (live->sent >= LIVE_BYTES)
			pfd[0].fd = -1;
		poll(pfd, 2, 100);
	}
	ASSERT_EQ(live->hs, live->hr);
	TH_LOG("live connection: %d bytes in %lld ms under pressure (%s)",
	       LIVE_BYTES, xtcp_test_now_ms() - t0,
	       under_pressure(variant->xtcp) ? "still" : "no longer");

	/* the readers drain everything: every byte, in order, hashed */
	ep = epoll_create1(0);
	ASSERT_LE(0, ep);
	done = 0;
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->c[i].sfd, &ev));
	}
	t0 = xtcp_test_now_ms();
	deadline = t0 + 300000LL * xtcp_test_timeout_scale();
	while (done < n) {
		nev = epoll_wait(ep, evs, 256, 1000);
		ASSERT_LE(0, nev);
		for (int k = 0; k < nev; k++) {
			struct conn *c;

			i = (int)evs[k].data.u32;
			c = &self->c[i];
			if (c->got == c->sent)
				continue;
			ASSERT_LE(0, drain(c, i)) TH_LOG("conn %d: bad bytes", i);
			if (c->got == c->sent) {
				ASSERT_EQ(c->hs, c->hr);
				epoll_ctl(ep, EPOLL_CTL_DEL, c->sfd, NULL);
				done++;
			}
		}
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("drained %d of %d connections", done, n);
	}
	close(ep);
	TH_LOG("drained in %lld ms", xtcp_test_now_ms() - t0);

	/* close; the account returns to 0 */
	for (i = 0; i <= n; i++) {
		close(self->c[i].cfd);
		close(self->c[i].sfd);
		self->c[i].cfd = self->c[i].sfd = -1;
	}
	deadline = xtcp_test_now_ms() + 60000LL * xtcp_test_timeout_scale();
	for (;;) {
		pages = mem_pages(variant->xtcp, ns0);
		if (variant->xtcp ? pages == 0 :
		    labs(pages) <= (long)PCPU_RSV_PAGES * ncpu)
			break;
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("%ld pages still charged after close", pages);
		xtcp_test_msleep(100);
	}
	TH_LOG("after close: %ld pages", pages);
}

/*
 * tcp_mem, tcp_rmem and tcp_wmem take three positive numbers, ascending
 * (one parser in buf.c): anything else is EINVAL and leaves the value as
 * it was. XTCP only: Linux's sysctls take any three ints (tcp_mem does
 * not check the order), so there is no native reference to hold it to.
 */
static int param_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		err = errno;
	close(fd);
	return err;
}

static void param_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* TEST() leaves the harness's variant argument unused */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
TEST(params_refused)
{
	static const char *const names[] = { "tcp_mem", "tcp_rmem", "tcp_wmem" };
	static const char *const bad[] = {
		"1 2", "1 2 3 4", "3 2 1", "1 3 2", "0 1 2", "-1 2 3", "a b c",
		"1 2 3x", "\n",
	};
	char path[96], saved[64], now[64];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "/sys/module/xtcp/parameters/%s",
			 names[i]);
		param_read(path, saved, sizeof(saved));
		ASSERT_NE('\0', saved[0]);
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			EXPECT_EQ(EINVAL, param_write(path, bad[j]))
				TH_LOG("%s <- \"%s\"", names[i], bad[j]);
			param_read(path, now, sizeof(now));
			EXPECT_STREQ(saved, now);
		}
		/* a buffer size doubled must fit an int; pages need not */
		EXPECT_EQ(i ? EINVAL : 0,
			  param_write(path, "4096 8192 1073741824"));
		/* commas and blanks both separate, as the sysctls' writers use */
		EXPECT_EQ(0, param_write(path, "4096,8192  16384\n"));
		param_read(path, now, sizeof(now));
		EXPECT_STREQ("4096\t8192\t16384\n", now);
		EXPECT_EQ(0, param_write(path, saved));
		param_read(path, now, sizeof(now));
		EXPECT_STREQ(saved, now);
	}
}
#pragma GCC diagnostic pop

TEST_HARNESS_MAIN
