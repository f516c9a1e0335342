// SPDX-License-Identifier: GPL-2.0
/*
 * Keepalive, TCP_USER_TIMEOUT and the orphaned FIN_WAIT_2 timeout (issue
 * 18), in the variants xtcp_xtcp (client and server XTCP) and tcp_tcp
 * (both native: the reference, which shows Linux behaves as asserted).
 *
 *   ns[0]                              ns[1]
 *   veth0 192.0.2.1 (client) <------> veth1 192.0.2.2 (server)
 *                                     tc ingress: matchall drop (IP only),
 *                                     added where a test kills the peer
 *
 * A dead peer is the server behind xtcp_test_blackhole(): it still holds
 * its address and answers ARP, but no IP packet reaches its stack, so it
 * neither answers nor resets; the filter counts what it dropped, which is
 * what the client put on the wire.
 *
 * options: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 * TCP_USER_TIMEOUT and TCP_LINGER2 read back their defaults (7200 s,
 * 75 s, 9, 0 ms, 60 s: Linux's sysctls in a new netns, XTCP's module
 * parameters) and take Linux's ranges, with EINVAL outside them.
 *
 * dead_peer: with IDLE 1, INTVL 1, CNT 3 set on an idle connection whose
 * peer then died, probes go at 1, 2 and 3 s and the 4 s timer, finding
 * 3 unanswered, resets the connection: a read gets ETIMEDOUT after 4 s
 * (3.8 s to 4 s + 3 s times XTCP_TIMEOUT_SCALE). On the wire, what the
 * filter dropped: exactly 3 probes and the RST (Linux's
 * tcp_keepalive_timer() sends one). Counted: TCPKeepAlive 3,
 * TCPAbortOnTimeout 1 (XTCP's /proc/net/xtcp_stat, Linux's TcpExt).
 *
 * alive_peer: the same settings with a peer that answers: more probes
 * than CNT go out (the 5th after about 5 s > IDLE + CNT * INTVL), each
 * answer resets the count, and the connection still carries data.
 *
 * user_timeout_probes: TCP_USER_TIMEOUT 2500 ms bounds keepalive as in
 * tcp_keepalive_timer(): with CNT 9 the connection ends once 2.5 s passed
 * since the peer was last heard and a probe is unanswered: 1 or 2 probes
 * (how many depends on how long after the last segment SO_KEEPALIVE was
 * set), not 9.
 *
 * user_timeout_data: TCP_USER_TIMEOUT 1000 ms with data unacknowledged by
 * a dead peer gives ETIMEDOUT 1 s after the first retransmission (Linux's
 * retransmits_timed_out() counts from retrans_stamp), about 1.2 s after
 * the write: between 1 s and 3 s (times the scale), where the default 15
 * retries take 15 minutes.
 *
 * linger2_orphan: TCP_LINGER2 2 s; after close() with the peer's FIN not
 * yet sent, the orphan sits in FIN_WAIT2 (Linux: a timewait entry in that
 * substate) and is gone from /proc after 2 s, or 3.5 RTO if that is more
 * (tcp_fin_time(); the RTO read from /proc before the close), within
 * -0.2 s to +3 s times the scale, silently: the peer stays in CLOSE_WAIT and the client sent
 * no RST (OutRsts unchanged; Linux's entry expires without a segment).
 *
 * linger2_negative: TCP_LINGER2 -1 on a socket in FIN_WAIT2 after
 * shutdown(SHUT_WR): close() resets the connection at once (tcp_close(),
 * TCPAbortOnLinger), and the peer in CLOSE_WAIT goes away on the RST.
 *
 * On the baseline module (no TCP_KEEP*, TCP_USER_TIMEOUT, TCP_LINGER2:
 * ENOPROTOOPT) every xtcp_xtcp test fails at its first setsockopt.
 * Timing bounds are wide (the scale stretches the upper ones) but the
 * tests rely on the timers keeping roughly to their second: a kernel
 * stalled for seconds at a time could fail dead_peer's lower bound only
 * if it fired timers early, which kernels do not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PEER_DEV	"veth1"

FIXTURE(ka) {
	struct xtcp_test_pair pair;
	int c, s;		/* the connection: client and server ends */
};

FIXTURE_VARIANT(ka) {
	bool xtcp;		/* both ends XTCP, else both native */
};

FIXTURE_VARIANT_ADD(ka, xtcp_xtcp) {
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(ka, tcp_tcp) {
	.xtcp = false,
};

FIXTURE_SETUP(ka)
{
	signal(SIGPIPE, SIG_IGN);
	self->c = -1;
	self->s = -1;
	XTCP_PAIR_SETUP("xtcp-ka", variant->xtcp, variant->xtcp);
}

/* an abortive close: the server's end goes at once, dead peer or not */
static void close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

FIXTURE_TEARDOWN(ka)
{
	close_abort(self->s);
	close_abort(self->c);
	XTCP_PAIR_TEARDOWN(10000);
}

/* a counter of the client's stack: xtcp_stat, or TcpExt for native */
static long long cli_counter(FIXTURE_DATA(ka) *self, const char *name)
{
	if (self->pair.net.xtcp[0])
		return xtcp_test_counter(self->pair.net.ns[0], name);
	return xtcp_test_netstat(self->pair.net.ns[0], name);
}

/* RSTs the client's stack sent */
static long long cli_out_rsts(FIXTURE_DATA(ka) *self)
{
	if (self->pair.net.xtcp[0])
		return xtcp_test_counter(self->pair.net.ns[0], "OutRsts");
	return xtcp_test_snmp(self->pair.net.ns[0], "Tcp", "OutRsts");
}

/*
 * The RTO in ms of the client socket with these ports, from the rto
 * column of /proc/net/xtcp or /proc/net/tcp (clock ticks, 100 a second,
 * after the inode, refcount and address), or -1.
 */
static long cli_rto_ms(FIXTURE_DATA(ka) *self, uint16_t lport)
{
	unsigned int lp, rp, ref;
	char line[512], path[64];
	unsigned long ino;
	long rto = -1, r;
	void *addr;
	FILE *f;

	if (xtcp_test_ns_enter(self->pair.net.ns[0]))
		return -1;
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s",
		 self->pair.net.xtcp[0] ? "xtcp" : "tcp");
	f = fopen(path, "r");
	xtcp_test_ns_leave();
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x %*u %*u %lu %u %p %ld",
			   &lp, &rp, &ino, &ref, &addr, &r) == 6 &&
		    lp == lport && rp == self->pair.port) {
			rto = r * 10;
			break;
		}
	}
	fclose(f);
	return rto;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int get_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val = -12345;

	if (getsockopt(fd, level, opt, &val, &len) || len != sizeof(int))
		return -12345;
	return val;
}

/* setsockopt's errno, 0 on success */
static int set_err(int fd, int opt, int val)
{
	return set_int(fd, SOL_TCP, opt, val) ? errno : 0;
}

/*
 * self->c connected to self->s, a byte exchanged each way so that both
 * ends are idle with nothing unacknowledged; returns 0.
 */
static int make_conn(FIXTURE_DATA(ka) *self)
{
	struct xtcp_test_net *net = &self->pair.net;
	struct sockaddr_in sin;
	int one = 1, l;
	char b = 'k';

	l = xtcp_test_socket(net->ns[1], xtcp_test_sock_family(net->xtcp[1]),
			     SOCK_STREAM);
	if (l < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 4))
		goto err;
	self->c = xtcp_test_socket(net->ns[0],
				   xtcp_test_sock_family(net->xtcp[0]),
				   SOCK_STREAM);
	if (self->c < 0 || connect(self->c, (struct sockaddr *)&sin,
				   sizeof(sin)))
		goto err;
	self->s = accept(l, NULL, NULL);
	if (self->s < 0)
		goto err;
	close(l);
	if (write(self->c, &b, 1) != 1 || read(self->s, &b, 1) != 1 ||
	    write(self->s, &b, 1) != 1 || read(self->c, &b, 1) != 1)
		return -1;
	return 0;
err:
	close(l);
	return -1;
}

/*
 * Wait for the client's end to fail (POLLERR or POLLHUP) for up to
 * timeout_ms, then read: returns read()'s errno (0 if it did not fail).
 */
static int wait_error(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char b;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	return read(fd, &b, 1) < 0 ? errno : 0;
}

static void set_keepalive(struct __test_metadata *_metadata, int fd,
			  int idle, int intvl, int cnt)
{
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_KEEPIDLE, idle))
		TH_LOG("TCP_KEEPIDLE: %s", strerror(errno));
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_KEEPINTVL, intvl));
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_KEEPCNT, cnt));
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
}

TEST_F(ka, options)
{
	short sh = 1;
	int fd;

	SKIP_IF_NEEDED();
	fd = xtcp_test_socket(self->pair.net.ns[0],
			      xtcp_test_sock_family(variant->xtcp),
			      SOCK_STREAM);
	ASSERT_LE(0, fd);
	self->c = fd;

	/* the defaults */
	EXPECT_EQ(0, get_int(fd, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(7200, get_int(fd, SOL_TCP, TCP_KEEPIDLE));
	EXPECT_EQ(75, get_int(fd, SOL_TCP, TCP_KEEPINTVL));
	EXPECT_EQ(9, get_int(fd, SOL_TCP, TCP_KEEPCNT));
	EXPECT_EQ(0, get_int(fd, SOL_TCP, TCP_USER_TIMEOUT));
	EXPECT_EQ(60, get_int(fd, SOL_TCP, TCP_LINGER2));

	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1));
	EXPECT_EQ(1, get_int(fd, SOL_SOCKET, SO_KEEPALIVE));

	/* TCP_KEEPIDLE and TCP_KEEPINTVL: 1..32767 s */
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPIDLE, 0));
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPIDLE, -1));
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPIDLE, 32768));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPIDLE, 32767));
	EXPECT_EQ(32767, get_int(fd, SOL_TCP, TCP_KEEPIDLE));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPIDLE, 1));
	EXPECT_EQ(1, get_int(fd, SOL_TCP, TCP_KEEPIDLE));
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPINTVL, 0));
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPINTVL, 32768));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPINTVL, 32767));
	EXPECT_EQ(32767, get_int(fd, SOL_TCP, TCP_KEEPINTVL));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPINTVL, 1));
	EXPECT_EQ(1, get_int(fd, SOL_TCP, TCP_KEEPINTVL));

	/* TCP_KEEPCNT: 1..127 */
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPCNT, 0));
	EXPECT_EQ(EINVAL, set_err(fd, TCP_KEEPCNT, 128));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPCNT, 127));
	EXPECT_EQ(127, get_int(fd, SOL_TCP, TCP_KEEPCNT));
	EXPECT_EQ(0, set_err(fd, TCP_KEEPCNT, 1));
	EXPECT_EQ(1, get_int(fd, SOL_TCP, TCP_KEEPCNT));

	/* TCP_USER_TIMEOUT: ms >= 0 */
	EXPECT_EQ(EINVAL, set_err(fd, TCP_USER_TIMEOUT, -1));
	EXPECT_EQ(0, set_err(fd, TCP_USER_TIMEOUT, 1000));
	EXPECT_EQ(1000, get_int(fd, SOL_TCP, TCP_USER_TIMEOUT));
	EXPECT_EQ(0, set_err(fd, TCP_USER_TIMEOUT, 0));
	EXPECT_EQ(0, get_int(fd, SOL_TCP, TCP_USER_TIMEOUT));

	/* TCP_LINGER2: < 0 reads -1, 0 the default, capped at 120 s */
	EXPECT_EQ(0, set_err(fd, TCP_LINGER2, 5));
	EXPECT_EQ(5, get_int(fd, SOL_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_err(fd, TCP_LINGER2, 0));
	EXPECT_EQ(60, get_int(fd, SOL_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_err(fd, TCP_LINGER2, -5));
	EXPECT_EQ(-1, get_int(fd, SOL_TCP, TCP_LINGER2));
	EXPECT_EQ(0, set_err(fd, TCP_LINGER2, 1000));
	EXPECT_EQ(120, get_int(fd, SOL_TCP, TCP_LINGER2));

	/* an optval shorter than an int */
	EXPECT_EQ(-1, setsockopt(fd, SOL_TCP, TCP_KEEPIDLE, &sh, sizeof(sh)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(fd, SOL_TCP, TCP_USER_TIMEOUT, &sh,
				 sizeof(sh)));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F_TIMEOUT(ka, dead_peer, 60)
{
	int scale = xtcp_test_timeout_scale();
	long long probes, aborts, pkts, t0, ms;
	const char *ns1 = self->pair.net.ns[1];
	int err;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	ASSERT_EQ(0, xtcp_test_blackhole(ns1, PEER_DEV));
	probes = cli_counter(self, "TCPKeepAlive");
	aborts = cli_counter(self, "TCPAbortOnTimeout");
	ASSERT_LE(0, probes);
	ASSERT_LE(0, aborts);

	t0 = xtcp_test_now_ms();
	set_keepalive(_metadata, self->c, 1, 1, 3);
	err = wait_error(self->c, (4000 + 10000) * scale);
	ms = xtcp_test_now_ms() - t0;
	probes = cli_counter(self, "TCPKeepAlive") - probes;
	aborts = cli_counter(self, "TCPAbortOnTimeout") - aborts;
	pkts = xtcp_test_blackhole_dropped(ns1, PEER_DEV);
	TH_LOG("%s after %lld ms; %lld probes, %lld aborts; the filter dropped %lld packets",
	       err ? strerror(err) : "no error", ms, probes, aborts, pkts);
	ASSERT_EQ(ETIMEDOUT, err);
	EXPECT_LE(3800, ms);
	EXPECT_GE((4000 + 3000) * scale, ms);
	EXPECT_EQ(3, probes);
	EXPECT_EQ(1, aborts);
	/* 3 probes and the RST */
	EXPECT_EQ(4, pkts);
	/* the connection is gone, not just in error */
	EXPECT_EQ(0, xtcp_test_sk_state(self->pair.net.ns[0], variant->xtcp,
					xtcp_test_local_port(self->c),
					self->pair.port));
}

TEST_F_TIMEOUT(ka, alive_peer, 60)
{
	int scale = xtcp_test_timeout_scale();
	long long probes, now, t0, deadline;
	uint16_t lport;
	char b = 'a';

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	lport = xtcp_test_local_port(self->c);
	probes = cli_counter(self, "TCPKeepAlive");
	ASSERT_LE(0, probes);
	t0 = xtcp_test_now_ms();
	set_keepalive(_metadata, self->c, 1, 1, 3);

	/* CNT + 2 probes: more than a dead peer would have been given */
	deadline = t0 + (5000 + 10000) * scale;
	do {
		xtcp_test_msleep(100);
		now = cli_counter(self, "TCPKeepAlive") - probes;
	} while (now < 5 && xtcp_test_now_ms() < deadline);
	TH_LOG("%lld probes in %lld ms", now, xtcp_test_now_ms() - t0);
	ASSERT_LE(5, now);
	EXPECT_LE(4500, xtcp_test_now_ms() - t0);

	/* still established and without error, and it carries data */
	EXPECT_EQ(0, get_int(self->c, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(XTCP_TEST_ESTABLISHED,
		  xtcp_test_sk_state(self->pair.net.ns[0], variant->xtcp,
				     lport, self->pair.port));
	EXPECT_EQ(-1, recv(self->c, &b, 1, MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, write(self->c, "x", 1));
	ASSERT_EQ(1, read(self->s, &b, 1));
	EXPECT_EQ('x', b);
	ASSERT_EQ(1, write(self->s, "y", 1));
	ASSERT_EQ(1, read(self->c, &b, 1));
	EXPECT_EQ('y', b);
}

TEST_F_TIMEOUT(ka, user_timeout_probes, 60)
{
	int scale = xtcp_test_timeout_scale();
	long long probes, t0, ms;
	const char *ns1 = self->pair.net.ns[1];
	int err;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	/* the peer was last heard about now */
	t0 = xtcp_test_now_ms();
	ASSERT_EQ(0, xtcp_test_blackhole(ns1, PEER_DEV));
	probes = cli_counter(self, "TCPKeepAlive");
	ASSERT_LE(0, probes);
	ASSERT_EQ(0, set_int(self->c, SOL_TCP, TCP_USER_TIMEOUT, 2500))
		TH_LOG("TCP_USER_TIMEOUT: %s", strerror(errno));
	set_keepalive(_metadata, self->c, 1, 1, 9);
	err = wait_error(self->c, (10000 + 10000) * scale);
	ms = xtcp_test_now_ms() - t0;
	probes = cli_counter(self, "TCPKeepAlive") - probes;
	TH_LOG("%s after %lld ms, %lld probes", err ? strerror(err) :
	       "no error", ms, probes);
	ASSERT_EQ(ETIMEDOUT, err);
	/* elapsed in jiffies since a moment just before t0 */
	EXPECT_LE(2400, ms);
	EXPECT_LE(1, probes);
	EXPECT_GE(2, probes);
}

TEST_F_TIMEOUT(ka, user_timeout_data, 60)
{
	int scale = xtcp_test_timeout_scale();
	long long aborts, rtos, t0, ms;
	char buf[1000] = { 0 };
	int err;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	ASSERT_EQ(0, xtcp_test_blackhole(self->pair.net.ns[1], PEER_DEV));
	ASSERT_EQ(0, set_int(self->c, SOL_TCP, TCP_USER_TIMEOUT, 1000))
		TH_LOG("TCP_USER_TIMEOUT: %s", strerror(errno));
	aborts = cli_counter(self, "TCPAbortOnTimeout");
	ASSERT_LE(0, aborts);
	rtos = cli_counter(self, variant->xtcp ? "Timeouts" : "TCPTimeouts");
	ASSERT_LE(0, rtos);
	t0 = xtcp_test_now_ms();
	ASSERT_EQ((ssize_t)sizeof(buf), write(self->c, buf, sizeof(buf)));
	err = wait_error(self->c, 30000 * scale);
	ms = xtcp_test_now_ms() - t0;
	aborts = cli_counter(self, "TCPAbortOnTimeout") - aborts;
	rtos = cli_counter(self, variant->xtcp ? "Timeouts" : "TCPTimeouts") -
	       rtos;
	TH_LOG("%s after %lld ms, %lld RTOs", err ? strerror(err) :
	       "no error", ms, rtos);
	ASSERT_EQ(ETIMEDOUT, err);
	EXPECT_LE(1000, ms);
	EXPECT_GE(10000 * scale, ms);
	EXPECT_EQ(1, aborts);
	/* a few RTOs, not the 15 of the retry limit */
	EXPECT_LE(1, rtos);
	EXPECT_GE(6, rtos);
}

TEST_F_TIMEOUT(ka, linger2_orphan, 90)
{
	int scale = xtcp_test_timeout_scale();
	const char *ns0 = self->pair.net.ns[0];
	long long rsts, t0, ms;
	long rto, want;
	uint16_t lport;
	int st;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	lport = xtcp_test_local_port(self->c);
	ASSERT_EQ(0, set_int(self->c, SOL_TCP, TCP_LINGER2, 2))
		TH_LOG("TCP_LINGER2: %s", strerror(errno));
	rsts = cli_out_rsts(self);
	ASSERT_LE(0, rsts);

	/*
	 * tcp_fin_time(): never less than 3.5 RTO. On a clean veth the RTO
	 * is 200 ms, but a handshake whose SYN was resent (the XTCP client's
	 * first SYN may go before ARP resolves) leaves it at seconds.
	 */
	rto = cli_rto_ms(self, lport);
	ASSERT_LT(0, rto);
	want = rto * 7 / 2 > 2000 ? rto * 7 / 2 : 2000;
	t0 = xtcp_test_now_ms();
	ASSERT_EQ(0, close(self->c));
	self->c = -1;
	st = xtcp_test_wait_state(ns0, variant->xtcp, lport, self->pair.port,
				  XTCP_TEST_FIN_WAIT2, 1500);
	ASSERT_EQ(XTCP_TEST_FIN_WAIT2, st);
	st = xtcp_test_wait_state(ns0, variant->xtcp, lport, self->pair.port,
				  0, (want + 3000) * scale);
	ms = xtcp_test_now_ms() - t0;
	TH_LOG("RTO %ld ms: the orphan left FIN_WAIT2 after %lld ms, %ld expected (state now %d)",
	       rto, ms, want, st);
	ASSERT_EQ(0, st);
	EXPECT_LE(want - 200, ms);
	EXPECT_GE((want + 3000) * scale, ms);
	/* silently: no RST, the peer is still in CLOSE_WAIT */
	EXPECT_EQ(rsts, cli_out_rsts(self));
	EXPECT_EQ(XTCP_TEST_CLOSE_WAIT,
		  xtcp_test_sk_state(self->pair.net.ns[1], variant->xtcp,
				     self->pair.port, lport));
}

TEST_F_TIMEOUT(ka, linger2_negative, 60)
{
	const char *ns0 = self->pair.net.ns[0];
	const char *ns1 = self->pair.net.ns[1];
	long long aborts;
	uint16_t lport;
	char b;
	int st;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_conn(self));
	lport = xtcp_test_local_port(self->c);
	ASSERT_EQ(0, shutdown(self->c, SHUT_WR));
	st = xtcp_test_wait_state(ns0, variant->xtcp, lport, self->pair.port,
				  XTCP_TEST_FIN_WAIT2, 5000);
	ASSERT_EQ(XTCP_TEST_FIN_WAIT2, st);
	ASSERT_EQ(0, read(self->s, &b, 1));
	ASSERT_EQ(0, set_int(self->c, SOL_TCP, TCP_LINGER2, -1))
		TH_LOG("TCP_LINGER2: %s", strerror(errno));
	aborts = cli_counter(self, "TCPAbortOnLinger");
	ASSERT_LE(0, aborts);

	ASSERT_EQ(0, close(self->c));
	self->c = -1;
	EXPECT_EQ(0, xtcp_test_sk_state(ns0, variant->xtcp, lport,
					self->pair.port));
	EXPECT_EQ(1, cli_counter(self, "TCPAbortOnLinger") - aborts);
	/* the RST ends the peer's CLOSE_WAIT */
	st = xtcp_test_wait_state(ns1, variant->xtcp, self->pair.port, lport,
				  0, 5000);
	EXPECT_EQ(0, st);
	EXPECT_EQ(-1, write(self->s, "z", 1));
	EXPECT_EQ(EPIPE, errno);
}

XTCP_HARNESS_MAIN
