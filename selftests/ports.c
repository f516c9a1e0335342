// SPDX-License-Identifier: GPL-2.0
/*
 * Ephemeral ports shared by 4-tuple (issue 16), in the variants xtcp_xtcp,
 * xtcp_tcp, tcp_xtcp and the tcp_tcp reference (client first, in ns[0];
 * servers in ns[1], see xtcp_test.h). Each test narrows
 * net.ipv4.ip_local_port_range of the client's namespace, which XTCP reads
 * as Linux does, so that running out of ports takes few connections.
 *
 * crr_five_ports: netperf's TCP_CRR (connect, 1 byte each way, close; the
 * client closes first, so it is the one left in TIME_WAIT) against five
 * listeners in turn, as the "five server ports" loop. The range is
 * XTCP_PORTS_RANGE ports (default 1000 / XTCP_TIMEOUT_SCALE, even, as
 * Linux scans only an even number of ports), and each listener gets
 * XTCP_PORTS_COUNT transactions (default 4/5 of the range). TIME_WAIT
 * holds a port for 60 s on Linux and for 2 * msl_ms on XTCP (msl_ms is
 * 5 s here), so the loop needs more ports than the range has: it passes
 * only if connect() shares a local port between 4-tuples that differ, as
 * __inet_hash_connect() does. A stack that never shares runs out after
 * about one range's worth of transactions, in the second listener's turn,
 * provided that the first turn takes less than 2 * msl_ms (it takes about
 * a second on the stock kernel); a slower one would pass without sharing,
 * which the log then shows. The full figure is
 * XTCP_PORTS_RANGE=28232 XTCP_PORTS_COUNT=10000 (Linux's default range,
 * 50,000 transactions).
 *
 * share_one_port: with a range of one port, two connects to different
 * listeners get the same port, and a third to the first listener gets
 * EADDRNOTAVAIL.
 *
 * bound_port_not_shared: a port taken by bind() conflicts with a second
 * bind() (EADDRINUSE) and is never handed out by connect()'s autobind;
 * bind() of a port held by connect()s is EADDRINUSE, unless both sides
 * set SO_REUSEADDR (bind_reuseaddr_connected).
 *
 * bind_address_no_port: IP_BIND_ADDRESS_NO_PORT makes bind(addr, 0) leave
 * the port to connect() (getsockname() says port 0), which then shares it.
 *
 * All are deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* the listeners of crr_five_ports, on port, port + 1, ... */
#define N_DEST		5
/* the first port of every client range here */
#define RANGE_LOW	40000
/* crr_five_ports: the range on the stock kernel, over XTCP_TIMEOUT_SCALE */
#define CRR_RANGE	1000
/* crr_five_ports: msl_ms, so that TIME_WAIT holds ports for 10 s */
#define CRR_MSL_MS	5000
/* what the server adds to the client's byte */
#define CRR_REPLY	0x5a
/* sockets a test leaves to the teardown */
#define MAX_FDS		16

FIXTURE(ports) {
	struct xtcp_test_pair pair;
	int lfd[N_DEST];
	int fds[MAX_FDS];	/* closed by the teardown, in this order */
	int nfds;
	int drain_ms;		/* for the teardown: TIME_WAIT to wait out */
};

XTCP_PAIR_VARIANTS(ports);

FIXTURE_SETUP(ports)
{
	int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < N_DEST; i++)
		self->lfd[i] = -1;
	self->nfds = 0;
	self->drain_ms = 10000;
	XTCP_PAIR_SETUP("xtcp-ports", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(ports)
{
	int i;

	/* also after a failed ASSERT, so that the drain check says the truth */
	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	for (i = 0; i < N_DEST; i++)
		if (self->lfd[i] >= 0)
			close(self->lfd[i]);
	XTCP_PAIR_TEARDOWN(self->drain_ms);
}

/* net.ipv4.ip_local_port_range of ns: [low, high]; 0 or -1 */
static int set_port_range(const char *ns, int low, int high)
{
	const char *path = "/proc/sys/net/ipv4/ip_local_port_range";
	char buf[32];
	int fd, len, ret = -1;

	if (xtcp_test_ns_enter(ns))
		return -1;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		len = snprintf(buf, sizeof(buf), "%d %d\n", low, high);
		if (write(fd, buf, len) == len)
			ret = 0;
		close(fd);
	}
	xtcp_test_ns_leave();
	return ret;
}

static int cli_socket(FIXTURE_DATA(ports) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

static int srv_socket(FIXTURE_DATA(ports) *self)
{
	return xtcp_test_socket(self->pair.net.ns[1],
				xtcp_test_sock_family(self->pair.net.xtcp[1]),
				SOCK_STREAM);
}

/* fd, kept for the teardown to close (when it is one) */
static int keep(FIXTURE_DATA(ports) *self, int fd)
{
	if (fd >= 0 && self->nfds < MAX_FDS)
		self->fds[self->nfds++] = fd;
	return fd;
}

static uint16_t dest_port(FIXTURE_DATA(ports) *self, int d)
{
	return (uint16_t)(self->pair.port + d);
}

/* n listeners on 192.0.2.2, ports dest_port(0 .. n-1), in lfd[] */
static int listeners(FIXTURE_DATA(ports) *self, int n)
{
	struct sockaddr_in sin;
	int i, one = 1;

	for (i = 0; i < n; i++) {
		self->lfd[i] = srv_socket(self);
		if (self->lfd[i] < 0)
			return -1;
		xtcp_test_addr(&sin, XTCP_TEST_ADDR1, dest_port(self, i));
		if (setsockopt(self->lfd[i], SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) ||
		    bind(self->lfd[i], (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(self->lfd[i], 16))
			return -1;
	}
	return 0;
}

/* connect(fd) to listener d: 0, or -1 with errno */
static int connect_dest(FIXTURE_DATA(ports) *self, int fd, int d)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, dest_port(self, d));
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* the next connection of listener d, waiting up to 5 s (scaled) */
static int accept_dest(FIXTURE_DATA(ports) *self, int d)
{
	struct pollfd pfd = { .fd = self->lfd[d], .events = POLLIN };

	if (poll(&pfd, 1, 5000 * xtcp_test_timeout_scale()) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return accept(self->lfd[d], NULL, NULL);
}

/* a bind() of ns[0]'s address (0.0.0.0 if !addr) and port; 0 or errno */
static int bind_cli(int fd, bool addr, uint16_t port)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, addr ? XTCP_TEST_ADDR0 : "0.0.0.0", port);
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
}

static int get_env(const char *name, int def)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? atoi(v) : def;
}

/* reads one byte from fd within 5 s (scaled); 1, 0 on EOF, -1 */
static int read_byte(int fd, unsigned char *b)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, 5000 * xtcp_test_timeout_scale()) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	n = read(fd, b, 1);
	return n < 0 ? -1 : (int)n;
}

/*
 * One CRR transaction with listener d, both ends in this thread: the
 * client connects and sends b, the server answers b + CRR_REPLY, the
 * client closes first, and the server closes on the EOF. Returns 0 or an
 * errno (EPROTO: a wrong byte or no EOF); *lport: the client's port.
 */
static int crr_one(FIXTURE_DATA(ports) *self, int d, unsigned char b,
		   uint16_t *lport)
{
	int cfd, sfd = -1, err = 0, n;
	unsigned char r;

	cfd = cli_socket(self);
	if (cfd < 0)
		return errno;
	if (connect_dest(self, cfd, d)) {
		err = errno;
		goto out;
	}
	*lport = xtcp_test_local_port(cfd);
	sfd = accept_dest(self, d);
	if (sfd < 0 || write(cfd, &b, 1) != 1) {
		err = errno;
		goto out;
	}
	n = read_byte(sfd, &r);
	if (n != 1) {
		err = n < 0 ? errno : EPROTO;
		goto out;
	}
	r += CRR_REPLY;
	if (write(sfd, &r, 1) != 1) {
		err = errno;
		goto out;
	}
	n = read_byte(cfd, &r);
	if (n != 1 || r != (unsigned char)(b + CRR_REPLY)) {
		err = n < 0 ? errno : EPROTO;
		goto out;
	}
	close(cfd);
	cfd = -1;
	/* the client's FIN: the server closes second, no TIME_WAIT here */
	n = read_byte(sfd, &r);
	if (n != 0)
		err = n < 0 ? errno : EPROTO;
out:
	if (cfd >= 0)
		close(cfd);
	if (sfd >= 0)
		close(sfd);
	return err;
}

TEST_F_TIMEOUT(ports, crr_five_ports, 600)
{
	int scale = xtcp_test_timeout_scale();
	int range = get_env("XTCP_PORTS_RANGE", CRR_RANGE / scale) & ~1;
	int count, d, i, err = 0, done = 0, outside = 0;
	uint16_t lport = 0;
	long long t0, t;

	SKIP_IF_NEEDED();
	if (range < 50)
		range = 50;
	count = get_env("XTCP_PORTS_COUNT", range * 4 / 5);
	ASSERT_EQ(0, set_port_range(self->pair.net.ns[0], RANGE_LOW,
				    RANGE_LOW + range - 1));
	ASSERT_EQ(0, listeners(self, N_DEST));
	/* TIME_WAIT must hold the client's ports across listeners */
	if (self->pair.net.xtcp[0]) {
		ASSERT_EQ(CRR_MSL_MS, xtcp_test_msl(CRR_MSL_MS));
		self->drain_ms = 2 * CRR_MSL_MS + 10000;
	}

	TH_LOG("%d ports, %d listeners, %d transactions each", range,
	       N_DEST, count);
	t0 = xtcp_test_now_ms();
	for (d = 0; d < N_DEST && !err; d++) {
		for (i = 0; i < count; i++) {
			err = crr_one(self, d, (unsigned char)i, &lport);
			if (err)
				break;
			if (lport < RANGE_LOW || lport >= RANGE_LOW + range)
				outside++;
			done++;
		}
		TH_LOG("listener %d: %d transactions by %lld ms", d, i,
		       xtcp_test_now_ms() - t0);
	}
	t = xtcp_test_now_ms() - t0;
	if (err)
		TH_LOG("listener %d, transaction %d (%d in all): %s", d - 1,
		       i, done, strerror(err));
	TH_LOG("%d transactions in %lld ms", done, t);
	EXPECT_EQ(0, err);
	EXPECT_EQ(N_DEST * count, done);
	EXPECT_EQ(0, outside);
}

TEST_F(ports, share_one_port)
{
	int c[3], s[2], i;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, set_port_range(self->pair.net.ns[0], RANGE_LOW,
				    RANGE_LOW));
	ASSERT_EQ(0, listeners(self, 2));
	for (i = 0; i < 3; i++) {
		c[i] = keep(self, cli_socket(self));
		ASSERT_LE(0, c[i]);
	}
	/* different listeners: one local port, two 4-tuples */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, connect_dest(self, c[i], i))
			TH_LOG("connect %d: %s", i, strerror(errno));
		EXPECT_EQ(RANGE_LOW, xtcp_test_local_port(c[i]));
		s[i] = keep(self, accept_dest(self, i));
		ASSERT_LE(0, s[i]);
	}
	/* the first listener again: its 4-tuple is taken */
	EXPECT_EQ(-1, connect_dest(self, c[2], 0));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	EXPECT_EQ(0, xtcp_test_local_port(c[2]));
}

TEST_F(ports, bound_port_not_shared)
{
	int b[3], c[3], s[2], i;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, set_port_range(self->pair.net.ns[0], RANGE_LOW,
				    RANGE_LOW + 1));
	ASSERT_EQ(0, listeners(self, 2));
	for (i = 0; i < 3; i++) {
		b[i] = keep(self, cli_socket(self));
		c[i] = keep(self, cli_socket(self));
		ASSERT_LE(0, b[i]);
		ASSERT_LE(0, c[i]);
	}
	/* the first port of the range, bound, and bound again */
	ASSERT_EQ(0, bind_cli(b[0], false, RANGE_LOW));
	EXPECT_EQ(EADDRINUSE, bind_cli(b[1], false, RANGE_LOW));
	EXPECT_EQ(EADDRINUSE, bind_cli(b[1], true, RANGE_LOW));
	/* autobinds share the other one, never the bound one */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, connect_dest(self, c[i], i))
			TH_LOG("connect %d: %s", i, strerror(errno));
		EXPECT_EQ(RANGE_LOW + 1, xtcp_test_local_port(c[i]));
		s[i] = keep(self, accept_dest(self, i));
		ASSERT_LE(0, s[i]);
	}
	EXPECT_EQ(-1, connect_dest(self, c[2], 0));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	/* a port connect()s hold is in use for bind() without SO_REUSEADDR */
	EXPECT_EQ(EADDRINUSE, bind_cli(b[2], true, RANGE_LOW + 1));
	EXPECT_EQ(EADDRINUSE, bind_cli(b[2], false, RANGE_LOW + 1));
}

TEST_F(ports, bind_reuseaddr_connected)
{
	int c, b, s[2], one = 1;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, set_port_range(self->pair.net.ns[0], RANGE_LOW,
				    RANGE_LOW));
	ASSERT_EQ(0, listeners(self, 2));
	c = keep(self, cli_socket(self));
	b = keep(self, cli_socket(self));
	ASSERT_LE(0, c);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	ASSERT_EQ(0, connect_dest(self, c, 0));
	EXPECT_EQ(RANGE_LOW, xtcp_test_local_port(c));
	s[0] = keep(self, accept_dest(self, 0));
	ASSERT_LE(0, s[0]);
	/* both SO_REUSEADDR, the holder not listening: inet_bind_conflict() */
	ASSERT_EQ(0, bind_cli(b, true, RANGE_LOW));
	ASSERT_EQ(0, connect_dest(self, b, 1));
	EXPECT_EQ(RANGE_LOW, xtcp_test_local_port(b));
	s[1] = keep(self, accept_dest(self, 1));
	ASSERT_LE(0, s[1]);
}

TEST_F(ports, bind_address_no_port)
{
	int c[4], s[2], i, one = 1, val;
	struct sockaddr_in sin;
	socklen_t len;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, set_port_range(self->pair.net.ns[0], RANGE_LOW,
				    RANGE_LOW));
	ASSERT_EQ(0, listeners(self, 2));
	for (i = 0; i < 4; i++) {
		c[i] = keep(self, cli_socket(self));
		ASSERT_LE(0, c[i]);
		if (i == 2)
			continue;
		ASSERT_EQ(0, setsockopt(c[i], IPPROTO_IP,
					IP_BIND_ADDRESS_NO_PORT, &one,
					sizeof(one)));
		len = sizeof(val);
		ASSERT_EQ(0, getsockopt(c[i], IPPROTO_IP,
					IP_BIND_ADDRESS_NO_PORT, &val, &len));
		EXPECT_EQ(1, val);
	}
	for (i = 0; i < 2; i++) {
		/* the address now, the port at connect() */
		ASSERT_EQ(0, bind_cli(c[i], true, 0));
		len = sizeof(sin);
		ASSERT_EQ(0, getsockname(c[i], (struct sockaddr *)&sin, &len));
		EXPECT_EQ(inet_addr(XTCP_TEST_ADDR0), sin.sin_addr.s_addr);
		EXPECT_EQ(0, ntohs(sin.sin_port));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, connect_dest(self, c[i], i))
			TH_LOG("connect %d: %s", i, strerror(errno));
		len = sizeof(sin);
		ASSERT_EQ(0, getsockname(c[i], (struct sockaddr *)&sin, &len));
		EXPECT_EQ(inet_addr(XTCP_TEST_ADDR0), sin.sin_addr.s_addr);
		EXPECT_EQ(RANGE_LOW, ntohs(sin.sin_port));
		s[i] = keep(self, accept_dest(self, i));
		ASSERT_LE(0, s[i]);
	}
	/* without the option, bind(addr, 0) wants a port nobody holds */
	EXPECT_EQ(EADDRINUSE, bind_cli(c[2], true, 0));
	/* with it and the wildcard, connect() finds the 4-tuple taken */
	ASSERT_EQ(0, bind_cli(c[3], false, 0));
	EXPECT_EQ(0, xtcp_test_local_port(c[3]));
	EXPECT_EQ(-1, connect_dest(self, c[3], 1));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
}

XTCP_HARNESS_MAIN
