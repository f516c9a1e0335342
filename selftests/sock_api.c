// SPDX-License-Identifier: GPL-2.0
/*
 * Socket API parity: the same checks run with XTCP and native TCP at each
 * end (variants xtcp_xtcp, xtcp_tcp, tcp_xtcp, and tcp_tcp as the
 * reference), and every errno must be the one native TCP gives.
 *
 * Client sockets live in ns[0] (192.0.2.1), servers in ns[1] (192.0.2.2);
 * see xtcp_test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <linux/xtcp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"

FIXTURE(api) {
	struct xtcp_test_net net;
	const char *skip;
	int old_msl;
	uint16_t port;
};

FIXTURE_VARIANT(api) {
	bool client_xtcp;
	bool server_xtcp;
};

FIXTURE_VARIANT_ADD(api, xtcp_xtcp) { .client_xtcp = true, .server_xtcp = true };
FIXTURE_VARIANT_ADD(api, xtcp_tcp) { .client_xtcp = true, .server_xtcp = false };
FIXTURE_VARIANT_ADD(api, tcp_xtcp) { .client_xtcp = false, .server_xtcp = true };
FIXTURE_VARIANT_ADD(api, tcp_tcp) { .client_xtcp = false, .server_xtcp = false };

FIXTURE_SETUP(api)
{
	const char *why = NULL;

	signal(SIGPIPE, SIG_IGN);
	self->old_msl = -1;
	self->port = (uint16_t)(20000 + (getpid() % 30000));
	if (variant->client_xtcp || variant->server_xtcp)
		why = xtcp_test_unavailable();
	if (why) {
		ASSERT_FALSE(xtcp_test_required()) TH_LOG("%s", why);
		self->skip = why;
		return;
	}
	self->old_msl = xtcp_test_msl(-1);
	if (self->old_msl >= 0)
		xtcp_test_msl(200);
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-api",
					 variant->client_xtcp,
					 variant->server_xtcp));
}

FIXTURE_TEARDOWN(api)
{
	int i, left;

	/* (k): whatever the test did, its XTCP sockets must go away */
	for (i = 0; i < 2 && !self->skip; i++) {
		if (!self->net.xtcp[i])
			continue;
		left = xtcp_test_wait_drained(self->net.ns[i], 10000);
		if (left) {
			TH_LOG("%d socket(s) left in /proc/net/xtcp of %s",
			       left, self->net.ns[i]);
			_metadata->passed = 0;
		}
	}
	xtcp_test_net_cleanup(&self->net);
	if (self->old_msl >= 0)
		xtcp_test_msl(self->old_msl);
}

#define SKIP_IF_NEEDED() do {						\
	if (self->skip)							\
		SKIP(return, "%s", self->skip);				\
} while (0)

static int cli_socket(FIXTURE_DATA(api) *self, int type)
{
	return xtcp_test_socket(self->net.ns[0],
				xtcp_test_sock_family(self->net.xtcp[0]), type);
}

static int srv_socket(FIXTURE_DATA(api) *self, int type)
{
	return xtcp_test_socket(self->net.ns[1],
				xtcp_test_sock_family(self->net.xtcp[1]), type);
}

static int srv_bind(FIXTURE_DATA(api) *self, int fd, bool reuse)
{
	struct sockaddr_in sin;
	int one = 1;

	if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->port);
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int srv_listener(FIXTURE_DATA(api) *self, int flags)
{
	int fd = srv_socket(self, SOCK_STREAM | flags);

	if (fd < 0)
		return -1;
	if (srv_bind(self, fd, true) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cli_connect(FIXTURE_DATA(api) *self, int fd)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->port);
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A connected pair: *c in ns[0], *s accepted in ns[1]; returns 0. */
static int make_pair(FIXTURE_DATA(api) *self, int *c, int *s)
{
	int l = srv_listener(self, 0);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = cli_socket(self, SOCK_STREAM);
	if (*c < 0 || cli_connect(self, *c))
		goto err;
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		goto err;
	close(l);
	return 0;
err:
	close(l);
	return -1;
}

static short wait_events(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	return pfd.revents;
}

static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return n < 0 ? n : (ssize_t)got;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

TEST_F(api, connect_refused)
{
	int fd;

	SKIP_IF_NEEDED();
	fd = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, cli_connect(self, fd));
	ASSERT_EQ(ECONNREFUSED, errno);
	close(fd);
}

TEST_F(api, connect_nonblock_refused)
{
	socklen_t len = sizeof(int);
	int fd, err = -1;

	SKIP_IF_NEEDED();
	fd = cli_socket(self, SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, cli_connect(self, fd));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_NE(0, wait_events(fd, POLLOUT, 5000) & POLLOUT);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(ECONNREFUSED, err);
	/* reported once: then the error is gone */
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err);
	close(fd);
}

TEST_F(api, connect_nonblock)
{
	socklen_t len = sizeof(int);
	int l, fd, s, err = -1;

	SKIP_IF_NEEDED();
	l = srv_listener(self, 0);
	ASSERT_LE(0, l);
	fd = cli_socket(self, SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, cli_connect(self, fd));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_NE(0, wait_events(fd, POLLOUT, 5000) & POLLOUT);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err);
	/*
	 * As native: the next connect() reports the finished connect (0),
	 * the one after says EISCONN.
	 */
	ASSERT_EQ(0, cli_connect(self, fd));
	ASSERT_EQ(-1, cli_connect(self, fd));
	ASSERT_EQ(EISCONN, errno);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(1, write(fd, "x", 1));
	ASSERT_EQ(1, read(s, &err, 1));
	close(fd);
	close(s);
	close(l);
}

TEST_F(api, bind_addrinuse)
{
	int a, b;

	SKIP_IF_NEEDED();
	a = srv_socket(self, SOCK_STREAM);
	b = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, srv_bind(self, a, false));
	ASSERT_EQ(-1, srv_bind(self, b, false));
	ASSERT_EQ(EADDRINUSE, errno);
	/* bound twice is EINVAL, as native */
	ASSERT_EQ(-1, srv_bind(self, a, false));
	ASSERT_EQ(EINVAL, errno);
	close(a);
	close(b);
}

TEST_F(api, listen_addrinuse)
{
	int a, b, c;

	SKIP_IF_NEEDED();
	/* SO_REUSEADDR does not let a bind share a listener's port */
	a = srv_listener(self, 0);
	ASSERT_LE(0, a);
	b = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, b);
	ASSERT_EQ(-1, srv_bind(self, b, true));
	ASSERT_EQ(EADDRINUSE, errno);
	close(a);
	close(b);

	/* two SO_REUSEADDR binds are fine; only one of them may listen */
	b = srv_socket(self, SOCK_STREAM);
	c = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, srv_bind(self, b, true));
	ASSERT_EQ(0, srv_bind(self, c, true));
	ASSERT_EQ(0, listen(b, 4));
	ASSERT_EQ(-1, listen(c, 4));
	ASSERT_EQ(EADDRINUSE, errno);
	close(b);
	close(c);
}

TEST_F(api, recv_eagain)
{
	char buf[16];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(-1, recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(-1, read(c, buf, sizeof(buf)));
	ASSERT_EQ(EAGAIN, errno);
	close(c);
	close(s);
}

TEST_F(api, accept_eagain)
{
	int l;

	SKIP_IF_NEEDED();
	l = srv_listener(self, SOCK_NONBLOCK);
	ASSERT_LE(0, l);
	ASSERT_EQ(-1, accept(l, NULL, NULL));
	ASSERT_EQ(EAGAIN, errno);
	close(l);
}

TEST_F(api, accept_not_listening)
{
	int a;

	SKIP_IF_NEEDED();
	a = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, srv_bind(self, a, false));
	ASSERT_EQ(-1, accept(a, NULL, NULL));
	ASSERT_EQ(EINVAL, errno);
	close(a);
}

TEST_F(api, eof_and_shutdown)
{
	char out[1000], in[1000];
	int c, s, i;

	SKIP_IF_NEEDED();
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)(i * 7);
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ((ssize_t)sizeof(out), write(c, out, sizeof(out)));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	/* all the data, then EOF, and EOF again */
	ASSERT_EQ((ssize_t)sizeof(in), read_full(s, in, sizeof(in)));
	ASSERT_EQ(0, memcmp(in, out, sizeof(in)));
	ASSERT_EQ(0, read(s, in, sizeof(in)));
	ASSERT_EQ(0, read(s, in, sizeof(in)));
	/* our own write side is shut */
	ASSERT_EQ(-1, send(c, out, 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	/* half-closed: the other direction still works */
	ASSERT_EQ(5, write(s, "hello", 5));
	ASSERT_EQ(5, read_full(c, in, 5));
	ASSERT_EQ(0, memcmp(in, "hello", 5));
	close(s);
	ASSERT_EQ(0, read(c, in, sizeof(in)));
	close(c);
}

TEST_F(api, shutdown_not_connected)
{
	int fd;

	SKIP_IF_NEEDED();
	fd = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, shutdown(fd, SHUT_WR));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(-1, send(fd, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	close(fd);
}

TEST_F(api, names)
{
	struct sockaddr_in cl, cp, sl, sp, acc;
	socklen_t len;
	int l, c, s;

	SKIP_IF_NEEDED();
	l = srv_listener(self, 0);
	ASSERT_LE(0, l);
	len = sizeof(sl);
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&sl, &len));
	ASSERT_EQ(AF_INET, sl.sin_family);
	ASSERT_EQ(self->port, ntohs(sl.sin_port));
	c = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, c);
	len = sizeof(cp);
	ASSERT_EQ(-1, getpeername(c, (struct sockaddr *)&cp, &len));
	ASSERT_EQ(ENOTCONN, errno);
	ASSERT_EQ(0, cli_connect(self, c));
	len = sizeof(acc);
	memset(&acc, 0, sizeof(acc));
	s = accept(l, (struct sockaddr *)&acc, &len);
	ASSERT_LE(0, s);
	ASSERT_EQ(sizeof(acc), len);

	len = sizeof(cl);
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&cl, &len));
	ASSERT_EQ(AF_INET, cl.sin_family);
	ASSERT_EQ(inet_addr(XTCP_TEST_ADDR0), cl.sin_addr.s_addr);
	ASSERT_NE(0, cl.sin_port);
	len = sizeof(cp);
	ASSERT_EQ(0, getpeername(c, (struct sockaddr *)&cp, &len));
	ASSERT_EQ(AF_INET, cp.sin_family);
	ASSERT_EQ(inet_addr(XTCP_TEST_ADDR1), cp.sin_addr.s_addr);
	ASSERT_EQ(self->port, ntohs(cp.sin_port));

	len = sizeof(sp);
	ASSERT_EQ(0, getpeername(s, (struct sockaddr *)&sp, &len));
	ASSERT_EQ(AF_INET, sp.sin_family);
	ASSERT_EQ(cl.sin_addr.s_addr, sp.sin_addr.s_addr);
	ASSERT_EQ(cl.sin_port, sp.sin_port);
	ASSERT_EQ(AF_INET, acc.sin_family);
	ASSERT_EQ(cl.sin_addr.s_addr, acc.sin_addr.s_addr);
	ASSERT_EQ(cl.sin_port, acc.sin_port);
	len = sizeof(sl);
	ASSERT_EQ(0, getsockname(s, (struct sockaddr *)&sl, &len));
	ASSERT_EQ(AF_INET, sl.sin_family);
	ASSERT_EQ(inet_addr(XTCP_TEST_ADDR1), sl.sin_addr.s_addr);
	ASSERT_EQ(self->port, ntohs(sl.sin_port));
	close(c);
	close(s);
	close(l);
}

/* sin_family AF_XTCP is accepted on the way in by XTCP sockets */
TEST_F(api, family_xtcp_in_sockaddr)
{
	struct sockaddr_in sin;
	int l, c, s;

	SKIP_IF_NEEDED();
	if (!variant->client_xtcp || !variant->server_xtcp)
		SKIP(return, "XTCP at both ends only");
	l = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, l);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->port);
	sin.sin_family = (sa_family_t)xtcp_test_sock_family(true);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));
	c = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(c);
	close(s);
	close(l);
}

TEST_F(api, accept4_flags)
{
	int l, c, s, fl;

	SKIP_IF_NEEDED();
	l = srv_listener(self, 0);
	ASSERT_LE(0, l);
	c = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, cli_connect(self, c));
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, s);
	fl = fcntl(s, F_GETFL);
	ASSERT_NE(0, fl & O_NONBLOCK);
	fl = fcntl(s, F_GETFD);
	ASSERT_NE(0, fl & FD_CLOEXEC);
	ASSERT_EQ(-1, read(s, &fl, 1));
	ASSERT_EQ(EAGAIN, errno);
	close(s);
	s = -1;
	/* and without flags: neither */
	close(c);
	c = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, cli_connect(self, c));
	s = accept4(l, NULL, NULL, 0);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, fcntl(s, F_GETFL) & O_NONBLOCK);
	ASSERT_EQ(0, fcntl(s, F_GETFD) & FD_CLOEXEC);
	close(s);
	close(c);
	close(l);
}

TEST_F(api, listen_backlog_huge)
{
	int l;

	SKIP_IF_NEEDED();
	l = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, srv_bind(self, l, true));
	ASSERT_EQ(0, listen(l, INT_MAX));
	/* listen again only changes the backlog */
	ASSERT_EQ(0, listen(l, 1));
	close(l);
}

TEST_F(api, nodelay)
{
	socklen_t len = sizeof(int);
	int fd, v = -1, one = 1;

	SKIP_IF_NEEDED();
	fd = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, getsockopt(fd, SOL_TCP, TCP_NODELAY, &v, &len));
	ASSERT_EQ(0, v);
	ASSERT_EQ(0, setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, sizeof(one)));
	len = sizeof(int);
	ASSERT_EQ(0, getsockopt(fd, SOL_TCP, TCP_NODELAY, &v, &len));
	ASSERT_EQ(sizeof(int), len);
	ASSERT_NE(0, v);
	close(fd);
}

/*
 * The server closes first, so its port is left in TIME_WAIT: a plain bind
 * to it fails, one with SO_REUSEADDR works (as native).
 */
TEST_F(api, reuseaddr_timewait)
{
	int c, s, l, st;
	char b;

	SKIP_IF_NEEDED();
	if (self->old_msl >= 0)
		xtcp_test_msl(2000);
	ASSERT_EQ(0, make_pair(self, &c, &s));
	close(s);
	ASSERT_EQ(0, read(c, &b, 1));
	close(c);
	st = xtcp_test_wait_state(self->net.ns[1], self->net.xtcp[1],
				  self->port, 0, XTCP_TEST_TIME_WAIT, 5000);
	ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);

	l = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(-1, srv_bind(self, l, false));
	ASSERT_EQ(EADDRINUSE, errno);
	close(l);
	l = srv_socket(self, SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, srv_bind(self, l, true));
	ASSERT_EQ(0, listen(l, 1));
	close(l);
	if (self->old_msl >= 0)
		xtcp_test_msl(200);
}

/* close() with SO_LINGER {1, 0} sends RST: the peer's read says so */
TEST_F(api, linger_rst)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[8];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(s);
	ASSERT_NE(0, wait_events(c, POLLIN, 5000) & (POLLHUP | POLLERR));
	ASSERT_EQ(-1, read(c, buf, sizeof(buf)));
	ASSERT_EQ(ECONNRESET, errno);
	/* the error is reported once; the socket is closed after it */
	ASSERT_EQ(0, read(c, buf, sizeof(buf)));
	ASSERT_EQ(-1, send(c, buf, 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	close(c);
}

/* a send after the peer's RST: ECONNRESET once, then EPIPE */
TEST_F(api, send_after_reset)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t len = sizeof(int);
	int c, s, err = -1;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(s);
	ASSERT_NE(0, wait_events(c, POLLIN, 5000) & (POLLHUP | POLLERR));
	ASSERT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(ECONNRESET, errno);
	ASSERT_EQ(-1, send(c, "x", 1, MSG_NOSIGNAL));
	ASSERT_EQ(EPIPE, errno);
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(0, err);
	close(c);
}

/* SO_RCVBUF reads back as native does: at least what was asked */
TEST_F(api, rcvbuf)
{
	socklen_t len = sizeof(int);
	int fd, v = 65536;

	SKIP_IF_NEEDED();
	fd = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len));
	ASSERT_LE(65536, v);
	close(fd);
}

/*
 * Orderly close, seen through /proc/net/xtcp (XTCP) or /proc/net/tcp
 * (native): the active closer goes FIN_WAIT2 then TIME_WAIT, the passive
 * side sits in CLOSE_WAIT until its application closes, then goes away
 * (through LAST_ACK). An XTCP TIME_WAIT ends after 2 * msl_ms.
 */
static void close_sequence(struct __test_metadata *_metadata,
			   FIXTURE_DATA(api) *self, int active)
{
	int fd[2], st, passive = !active;
	uint16_t port[2];
	long long t0;
	char b;

	if (self->old_msl >= 0)
		ASSERT_EQ(500, xtcp_test_msl(500));
	ASSERT_EQ(0, make_pair(self, &fd[0], &fd[1]));
	port[0] = xtcp_test_local_port(fd[0]);
	port[1] = self->port;
	ASSERT_EQ(1, write(fd[active], "a", 1));
	ASSERT_EQ(1, read(fd[passive], &b, 1));

	ASSERT_EQ(0, close(fd[active]));
	st = xtcp_test_wait_state(self->net.ns[passive], self->net.xtcp[passive],
				  port[passive], port[active],
				  XTCP_TEST_CLOSE_WAIT, 5000);
	ASSERT_EQ(XTCP_TEST_CLOSE_WAIT, st);
	st = xtcp_test_wait_state(self->net.ns[active], self->net.xtcp[active],
				  port[active], port[passive],
				  XTCP_TEST_FIN_WAIT2, 5000);
	ASSERT_EQ(XTCP_TEST_FIN_WAIT2, st);
	ASSERT_EQ(0, read(fd[passive], &b, 1));
	/* it stays in CLOSE_WAIT for as long as the application holds it */
	xtcp_test_msleep(300);
	st = xtcp_test_sk_state(self->net.ns[passive], self->net.xtcp[passive],
				port[passive], port[active]);
	ASSERT_EQ(XTCP_TEST_CLOSE_WAIT, st);

	ASSERT_EQ(0, close(fd[passive]));
	t0 = xtcp_test_now_ms();
	st = xtcp_test_wait_state(self->net.ns[passive], self->net.xtcp[passive],
				  port[passive], port[active], 0, 5000);
	ASSERT_EQ(0, st) TH_LOG("passive side still in state %02X", st);
	st = xtcp_test_sk_state(self->net.ns[active], self->net.xtcp[active],
				port[active], port[passive]);
	if (st) {
		ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);
	} else {
		/* XTCP may already be past 2 * MSL here on a slow machine */
		ASSERT_TRUE(self->net.xtcp[active]);
		ASSERT_LE(1000, xtcp_test_now_ms() - t0);
	}
	if (!self->net.xtcp[active])
		return;	/* native TIME_WAIT lasts 60 s: not waited for */
	st = xtcp_test_wait_state(self->net.ns[active], true, port[active],
				  port[passive], 0, 1000 + 3000);
	ASSERT_EQ(0, st) TH_LOG("TIME_WAIT outlived 2 * MSL");
	if (self->old_msl >= 0)
		xtcp_test_msl(200);
}

TEST_F(api, close_client_first)
{
	SKIP_IF_NEEDED();
	close_sequence(_metadata, self, 0);
}

TEST_F(api, close_server_first)
{
	SKIP_IF_NEEDED();
	close_sequence(_metadata, self, 1);
}

XTCP_HARNESS_MAIN
