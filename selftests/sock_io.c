// SPDX-License-Identifier: GPL-2.0
/*
 * The data path's socket API (issue 18, parcel B): receive flags, the
 * low-water marks, the queue ioctls, buffer sizes, the send path on the
 * wire, sendfile()/splice(), and the SOL_TCP options of the data path, in
 * the four variants of XTCP_PAIR_VARIANTS; tcp_tcp (both ends native) is
 * the reference that shows Linux behaves as asserted.
 *
 *   ns[0]                              ns[1]
 *   veth0 192.0.2.1 (client) <------> veth1 192.0.2.2 (server)
 *   + capture socket on veth0          tc ingress drop, where a test
 *                                      needs a silent peer
 *
 * Each test names what it shows; "the client's stack" is XTCP in
 * xtcp_xtcp and xtcp_tcp, Linux in the others, and a test about one end
 * asserts that end's stack. Where XTCP differs from Linux by design
 * (SO_DOMAIN is XTCP's family, SO_PROTOCOL IPPROTO_XTCP, SO_ZEROCOPY and
 * the unimplemented SOL_TCP options), the test says so and asserts each
 * stack's own answer.
 *
 * On the baseline module (before this work), the variants with an XTCP
 * client (xtcp_xtcp, xtcp_tcp) fail in: msg_trunc (data copied into a
 * NULL buffer: EFAULT), rcvlowat_cap and rcvlowat_poll (no cap, no
 * buffer growth, POLLIN below the mark), tcp_inq, notsent_lowat,
 * quickack, window_clamp (ENOPROTOOPT), outq_syn_sent (1 in SYN_SENT)
 * and maxseg (32768 accepted); tcp_xtcp passes them there, as they are
 * about the client's socket.
 *
 * Timing: the tests wait for conditions with deadlines scaled by
 * XTCP_TIMEOUT_SCALE. Three assertions are about time itself and use
 * wide bounds: SO_RCVTIMEO and SO_SNDTIMEO (not before the timeout, not
 * long after it), and msg_more_nodelay's "held" (the data is unsent in
 * SIOCOUTQNSD right after the write, which is exact, not a wait).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <openssl/evp.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/xtcp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#ifndef TCP_INQ
#define TCP_INQ		36
#define TCP_CM_INQ	TCP_INQ
#endif
#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif

FIXTURE(io) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(io);

FIXTURE_SETUP(io)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-io", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(io)
{
	XTCP_PAIR_TEARDOWN(10000);
}

static int scale(void)
{
	return xtcp_test_timeout_scale();
}

static int cli_socket(FIXTURE_DATA(io) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

/* a native TCP socket beside the client, for Linux's own answer */
static int native_socket(FIXTURE_DATA(io) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0], AF_INET, SOCK_STREAM);
}

static int srv_listener(FIXTURE_DATA(io) *self, int rcvbuf)
{
	int fd = xtcp_test_socket(self->pair.net.ns[1],
				  xtcp_test_sock_family(self->pair.net.xtcp[1]),
				  SOCK_STREAM);
	struct sockaddr_in sin;
	int one = 1;

	if (fd < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				      sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 16)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cli_connect(FIXTURE_DATA(io) *self, int fd)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/*
 * A connected pair: *c in ns[0] (from c_in if >= 0, a socket the caller
 * prepared), *s accepted in ns[1] from a listener with this SO_RCVBUF
 * (0: the default). Returns 0.
 */
static int make_pair_opt(FIXTURE_DATA(io) *self, int c_in, int rcvbuf,
			 int *c, int *s)
{
	int l = srv_listener(self, rcvbuf);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = c_in >= 0 ? c_in : cli_socket(self);
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

static int make_pair(FIXTURE_DATA(io) *self, int *c, int *s)
{
	return make_pair_opt(self, -1, 0, c, s);
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) ? errno : 0;
}

static int get_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val = -12345;

	if (getsockopt(fd, level, opt, &val, &len) || len != sizeof(int))
		return -12345;
	return val;
}

static int get_err(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val;

	return getsockopt(fd, level, opt, &val, &len) ? errno : 0;
}

static int ioctl_int(int fd, unsigned long req)
{
	int v = -12345;

	if (ioctl(fd, req, &v))
		return -errno;
	return v;
}

/* poll until SIOCINQ on fd is at least n, for up to ms (scaled) */
static int wait_inq(int fd, int n, int ms)
{
	long long end = xtcp_test_now_ms() + (long long)ms * scale();
	int v;

	for (;;) {
		v = ioctl_int(fd, SIOCINQ);
		if (v >= n || xtcp_test_now_ms() > end)
			return v;
		xtcp_test_msleep(5);
	}
}

/* poll until fd's SIOCOUTQ is 0: everything written was acked */
static int wait_acked(int fd, int ms)
{
	long long end = xtcp_test_now_ms() + (long long)ms * scale();
	int v;

	for (;;) {
		v = ioctl_int(fd, SIOCOUTQ);
		if (!v || xtcp_test_now_ms() > end)
			return v;
		xtcp_test_msleep(5);
	}
}

/* an abortive close (SO_LINGER 0): the end goes at once, with an RST */
static void close_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* poll() on one fd: the events seen, 0 on timeout */
static short poll1(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return pfd.revents;
}

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
	struct xtcp_test_prng p;

	xtcp_test_prng_init(&p, seed);
	xtcp_test_fill(&p, buf, len);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- MSG_TRUNC (row 33) --------------------------------------------- */

/*
 * recv(MSG_TRUNC) on TCP discards the bytes without copying them and
 * returns their count (tcp_recvmsg_locked()): with a NULL buffer too; the
 * next read continues after them.
 */
TEST_F(io, msg_trunc)
{
	unsigned char out[1000], in[1000];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	fill(out, sizeof(out), 33);
	ASSERT_EQ(0, write_all(s, out, sizeof(out)));
	ASSERT_EQ(1000, wait_inq(c, 1000, 5000));

	memset(in, 0xa5, sizeof(in));
	ASSERT_EQ(200, recv(c, in, 200, MSG_TRUNC));
	/* nothing copied */
	for (int i = 0; i < 200; i++)
		ASSERT_EQ(0xa5, in[i]);
	ASSERT_EQ(300, recv(c, NULL, 300, MSG_TRUNC)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(500, ioctl_int(c, SIOCINQ));
	ASSERT_EQ(0, read_full(c, in, 500));
	ASSERT_EQ(0, memcmp(in, out + 500, 500));
	close(c);
	close(s);
}

/* --- SO_RCVLOWAT (row 34) ------------------------------------------- */

/*
 * tcp_set_rcvlowat(): the value is capped at half of tcp_rmem[2] (half
 * the buffer if SO_RCVBUF fixed it), so getsockopt() reads back the cap;
 * and an unfixed receive buffer grows to twice the mark. Asserted as
 * equal to a native socket's answers in the same netns.
 */
TEST_F(io, rcvlowat_cap)
{
	int fd[2], i, rb[2];

	SKIP_IF_NEEDED();
	fd[0] = cli_socket(self);
	fd[1] = native_socket(self);
	ASSERT_LE(0, fd[0]);
	ASSERT_LE(0, fd[1]);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, get_int(fd[i], SOL_SOCKET, SO_RCVLOWAT));
		ASSERT_EQ(0, set_int(fd[i], SOL_SOCKET, SO_RCVLOWAT, 200000));
		ASSERT_EQ(200000, get_int(fd[i], SOL_SOCKET, SO_RCVLOWAT));
		rb[i] = get_int(fd[i], SOL_SOCKET, SO_RCVBUF);
		ASSERT_EQ(400000, rb[i]);
		ASSERT_EQ(0, set_int(fd[i], SOL_SOCKET, SO_RCVLOWAT, 1 << 30));
		rb[i] = get_int(fd[i], SOL_SOCKET, SO_RCVLOWAT);
		ASSERT_GT(1 << 30, rb[i]);
		ASSERT_EQ(0, set_int(fd[i], SOL_SOCKET, SO_RCVLOWAT, 0));
		ASSERT_EQ(1, get_int(fd[i], SOL_SOCKET, SO_RCVLOWAT));
	}
	/* the cap, tcp_rmem[2] / 2, is XTCP's rmem max / 2 too */
	ASSERT_EQ(rb[1], rb[0]);
	for (i = 0; i < 2; i++) {
		/* a fixed buffer (SO_RCVBUF 10000 -> 20000) caps at its half */
		ASSERT_EQ(0, set_int(fd[i], SOL_SOCKET, SO_RCVBUF, 10000));
		ASSERT_EQ(0, set_int(fd[i], SOL_SOCKET, SO_RCVLOWAT, 100000));
		ASSERT_EQ(10000, get_int(fd[i], SOL_SOCKET, SO_RCVLOWAT));
		ASSERT_EQ(20000, get_int(fd[i], SOL_SOCKET, SO_RCVBUF));
		close(fd[i]);
	}
}

/*
 * poll() says POLLIN only once SO_RCVLOWAT bytes wait (tcp_poll()), and
 * a lowered mark makes the socket readable at once.
 */
TEST_F(io, rcvlowat_poll)
{
	unsigned char buf[3000];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_RCVLOWAT, 2000));
	fill(buf, sizeof(buf), 34);
	ASSERT_EQ(0, write_all(s, buf, 1000));
	ASSERT_EQ(1000, wait_inq(c, 1000, 5000));
	ASSERT_EQ(0, poll1(c, POLLIN, 0));
	ASSERT_EQ(0, write_all(s, buf + 1000, 1000));
	ASSERT_EQ(POLLIN, poll1(c, POLLIN, 5000 * scale()));
	ASSERT_EQ(2000, ioctl_int(c, SIOCINQ));
	ASSERT_EQ(2000, recv(c, buf, sizeof(buf), 0));

	/* 500 bytes under a mark of 1000; lowering it wakes the reader */
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_RCVLOWAT, 1000));
	ASSERT_EQ(0, write_all(s, buf, 500));
	ASSERT_EQ(500, wait_inq(c, 500, 5000));
	ASSERT_EQ(0, poll1(c, POLLIN, 0));
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_RCVLOWAT, 400));
	ASSERT_EQ(POLLIN, poll1(c, POLLIN, 0));
	ASSERT_EQ(500, recv(c, buf, sizeof(buf), 0));
	close(c);
	close(s);
}

/* --- TCP_INQ (row 37) ----------------------------------------------- */

/* one recvmsg() with a cmsg buffer: the TCP_CM_INQ value, or -1 */
static ssize_t recv_inq(int fd, void *buf, size_t len, int *inq)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*inq = -1;
	n = recvmsg(fd, &msg, 0);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_TCP && cm->cmsg_type == TCP_CM_INQ)
			memcpy(inq, CMSG_DATA(cm), sizeof(*inq));
	return n;
}

/*
 * TCP_INQ 0 or 1 (EINVAL else); on, each read carries a TCP_CM_INQ cmsg
 * with the bytes left, counting the peer's FIN as Linux's tcp_inq_hint()
 * does (RCV.NXT - copied_seq), and 1 once only the FIN is left so that
 * the reader reads on to see the end.
 */
TEST_F(io, tcp_inq)
{
	unsigned char buf[1000];
	int c, s, inq;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, get_int(c, SOL_TCP, TCP_INQ));
	ASSERT_EQ(EINVAL, set_int(c, SOL_TCP, TCP_INQ, 2));
	ASSERT_EQ(EINVAL, set_int(c, SOL_TCP, TCP_INQ, -1));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_INQ, 1));
	ASSERT_EQ(1, get_int(c, SOL_TCP, TCP_INQ));

	fill(buf, sizeof(buf), 37);
	ASSERT_EQ(0, write_all(s, buf, sizeof(buf)));
	ASSERT_EQ(1000, wait_inq(c, 1000, 5000));
	ASSERT_EQ(400, recv_inq(c, buf, 400, &inq));
	ASSERT_EQ(600, inq);
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_TRUE(poll1(c, POLLRDHUP, 5000 * scale()) & POLLRDHUP);
	ASSERT_EQ(300, recv_inq(c, buf, 300, &inq));
	ASSERT_EQ(301, inq);
	ASSERT_EQ(300, recv_inq(c, buf, 300, &inq));
	ASSERT_EQ(1, inq);
	ASSERT_EQ(0, recv_inq(c, buf, 300, &inq));
	ASSERT_EQ(1, inq);

	/* off again: no cmsg */
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_INQ, 0));
	ASSERT_EQ(0, recv_inq(c, buf, 300, &inq));
	ASSERT_EQ(-1, inq);
	close(c);
	close(s);
}

/* --- SO_TIMESTAMP, SO_TIMESTAMPNS, SO_TIMESTAMPING (row 80) ----------- */

/* recvmsg() with room for any timestamp cmsg; the one found, as ns */
static ssize_t recv_ts(int fd, void *buf, size_t len, int type,
		       long long *ns)
{
	char cbuf[CMSG_SPACE(3 * sizeof(struct timespec))];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	struct timespec ts;
	struct timeval tv;
	ssize_t n;

	*ns = -1;
	n = recvmsg(fd, &msg, 0);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != type)
			continue;
		if (type == SO_TIMESTAMP) {
			memcpy(&tv, CMSG_DATA(cm), sizeof(tv));
			*ns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
		} else {
			/* SCM_TIMESTAMPNS, or SCM_TIMESTAMPING's first */
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	}
	return n;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Each way of asking for the receive time gets it, as tcp_recv_timestamp()
 * gives it: the arrival of the last skb read, between the write and the
 * read; without asking, no cmsg.
 */
TEST_F(io, rx_timestamp)
{
	static const struct {
		int opt, val, type;
	} ways[] = {
		{ SO_TIMESTAMP, 1, SO_TIMESTAMP },
		{ SO_TIMESTAMPNS, 1, SO_TIMESTAMPNS },
		{ SO_TIMESTAMPING, SOF_TIMESTAMPING_RX_SOFTWARE |
				   SOF_TIMESTAMPING_SOFTWARE, SO_TIMESTAMPING },
	};
	unsigned char buf[100];
	long long t0 = 0, t1 = 0, ns, deadline;
	unsigned int i, k;
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	fill(buf, sizeof(buf), 41);
	ASSERT_EQ(0, write_all(s, buf, sizeof(buf)));
	ASSERT_EQ(100, wait_inq(c, 100, 5000));
	ASSERT_EQ(100, recv_ts(c, buf, sizeof(buf), SO_TIMESTAMP, &ns));
	EXPECT_EQ(-1, ns) TH_LOG("a timestamp nobody asked for");

	for (i = 0; i < ARRAY_SIZE(ways); i++) {
		ASSERT_EQ(0, set_int(c, SOL_SOCKET, ways[i].opt, ways[i].val));
		/*
		 * The device stamps packets once net_enable_timestamp()'s
		 * deferred work has run (a kworker patching a static key,
		 * slow under TCG): packets may come unstamped until then, on
		 * either stack. Try for up to 10 s.
		 */
		deadline = now_ns() + 10000000000LL * scale();
		for (k = 0, ns = -1; ns < 0 && now_ns() < deadline; k++) {
			t0 = now_ns();
			ASSERT_EQ(0, write_all(s, buf, sizeof(buf)));
			ASSERT_EQ(100, wait_inq(c, 100, 5000));
			t1 = now_ns();
			ASSERT_EQ(100, recv_ts(c, buf, sizeof(buf),
					       ways[i].type, &ns));
		}
		ASSERT_LE(0, ns) TH_LOG("way %u: no timestamp in %u reads", i, k);
		TH_LOG("way %u: arrival %lld ns after the write, %lld before the read",
		       i, ns - t0, t1 - ns);
		/* SO_TIMESTAMP has microseconds: round t0 down to them */
		EXPECT_LE(t0 / 1000 * 1000, ns);
		EXPECT_GE(t1, ns);
		ASSERT_EQ(0, set_int(c, SOL_SOCKET, ways[i].opt, 0));
	}
	close(c);
	close(s);
}

/* --- SIOCINQ, SIOCOUTQ, SIOCOUTQNSD (rows 38-40) -------------------- */

/*
 * In SYN_SENT both output queue ioctls say 0 (tcp_ioctl()): the SYN is
 * no byte of the application's. The server is a black hole, so the
 * client stays in SYN_SENT.
 */
TEST_F(io, outq_syn_sent)
{
	int c, l;

	SKIP_IF_NEEDED();
	l = srv_listener(self, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, xtcp_test_blackhole(self->pair.net.ns[1], "veth1"));
	c = xtcp_test_socket(self->pair.net.ns[0],
			     xtcp_test_sock_family(self->pair.net.xtcp[0]),
			     SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, cli_connect(self, c));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(XTCP_TEST_SYN_SENT,
		  xtcp_test_sk_state(self->pair.net.ns[0],
				     self->pair.net.xtcp[0],
				     xtcp_test_local_port(c),
				     self->pair.port));
	ASSERT_EQ(0, ioctl_int(c, SIOCOUTQ));
	ASSERT_EQ(0, ioctl_int(c, SIOCOUTQNSD));
	ASSERT_EQ(0, ioctl_int(c, SIOCINQ));
	/* and a listener refuses all three */
	ASSERT_EQ(-EINVAL, ioctl_int(l, SIOCINQ));
	ASSERT_EQ(-EINVAL, ioctl_int(l, SIOCOUTQ));
	ASSERT_EQ(-EINVAL, ioctl_int(l, SIOCOUTQNSD));
	close(c);
	close(l);
}

/*
 * On a connection: SIOCINQ counts unread bytes (the FIN not), SIOCOUTQ
 * unacknowledged ones, SIOCOUTQNSD unsent ones; with the server silenced
 * after the handshake, what the client writes is sent and unacked.
 */
TEST_F(io, queue_ioctls)
{
	unsigned char buf[3000];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	fill(buf, sizeof(buf), 38);
	ASSERT_EQ(0, write_all(s, buf, 3000));
	ASSERT_EQ(3000, wait_inq(c, 3000, 5000));
	ASSERT_EQ(0, wait_acked(s, 5000));
	ASSERT_EQ(0, ioctl_int(s, SIOCOUTQNSD));
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_TRUE(poll1(c, POLLRDHUP, 5000 * scale()) & POLLRDHUP);
	ASSERT_EQ(3000, ioctl_int(c, SIOCINQ));
	ASSERT_EQ(0, read_full(c, buf, 3000));
	ASSERT_EQ(0, ioctl_int(c, SIOCINQ));

	ASSERT_EQ(0, xtcp_test_blackhole(self->pair.net.ns[1], "veth1"));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_NODELAY, 1));
	ASSERT_EQ(1000, write(c, buf, 1000));
	ASSERT_EQ(1000, ioctl_int(c, SIOCOUTQ));
	ASSERT_EQ(0, ioctl_int(c, SIOCOUTQNSD));
	/* the server hears nothing more: both ends go at once, by RST */
	close_abort(c);
	close_abort(s);
}

/* --- TCP_MAXSEG (row 49) -------------------------------------------- */

/* 88..32767 or 0, EINVAL else (do_tcp_setsockopt(): MAX_TCP_WINDOW) */
TEST_F(io, maxseg)
{
	int fd;

	SKIP_IF_NEEDED();
	fd = cli_socket(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(EINVAL, set_int(fd, SOL_TCP, TCP_MAXSEG, 87));
	ASSERT_EQ(EINVAL, set_int(fd, SOL_TCP, TCP_MAXSEG, 32768));
	ASSERT_EQ(EINVAL, set_int(fd, SOL_TCP, TCP_MAXSEG, 65495));
	ASSERT_EQ(EINVAL, set_int(fd, SOL_TCP, TCP_MAXSEG, -1));
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_MAXSEG, 88));
	ASSERT_EQ(88, get_int(fd, SOL_TCP, TCP_MAXSEG));
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_MAXSEG, 32767));
	ASSERT_EQ(32767, get_int(fd, SOL_TCP, TCP_MAXSEG));
	ASSERT_EQ(0, set_int(fd, SOL_TCP, TCP_MAXSEG, 0));
	close(fd);
}

/* --- TCP_QUICKACK (row 61) ------------------------------------------ */

/*
 * Reads 1 (not in pingpong mode) on a new socket; 0 enters pingpong
 * mode, any other value leaves it (__tcp_sock_set_quickack()). That an
 * owed ACK leaves at once is not asserted: when one is owed depends on
 * the delayed-ACK timer.
 */
TEST_F(io, quickack)
{
	unsigned char b = 'q';
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(1, get_int(c, SOL_TCP, TCP_QUICKACK));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_QUICKACK, 0));
	ASSERT_EQ(0, get_int(c, SOL_TCP, TCP_QUICKACK));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_QUICKACK, 1));
	ASSERT_EQ(1, get_int(c, SOL_TCP, TCP_QUICKACK));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_QUICKACK, 0));
	/* data still flows both ways */
	ASSERT_EQ(1, write(s, &b, 1));
	ASSERT_EQ(1, read(c, &b, 1));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_QUICKACK, 1));
	ASSERT_EQ(1, write(c, &b, 1));
	ASSERT_EQ(1, read(s, &b, 1));
	ASSERT_EQ(0, wait_acked(c, 5000));
	ASSERT_EQ(0, wait_acked(s, 5000));
	close(c);
	close(s);
}

/* --- TCP_NOTSENT_LOWAT (row 43) ------------------------------------- */

/*
 * Fill fd (nonblocking) until the peer's window is shut: send until
 * EAGAIN, and again while poll() says writable or data is still in
 * flight (SIOCOUTQ > SIOCOUTQNSD: an ACK to come may free buffer), so
 * that at the end nothing will change by itself; a last try must give
 * EAGAIN. Returns the bytes written, -1 on an error or after 30 s.
 */
static long fill_until_blocked(int fd, const unsigned char *buf,
			       size_t chunk)
{
	long long end = xtcp_test_now_ms() + 30000LL * scale();
	long total = 0;
	int quiet = 0;
	ssize_t n;

	while (xtcp_test_now_ms() < end) {
		while ((n = send(fd, buf, chunk, MSG_DONTWAIT)) > 0) {
			total += n;
			quiet = 0;
		}
		if (errno != EAGAIN)
			return -1;
		if (poll1(fd, POLLOUT, 50) & POLLOUT ||
		    ioctl_int(fd, SIOCOUTQ) != ioctl_int(fd, SIOCOUTQNSD)) {
			quiet = 0;
			continue;
		}
		/* twice in a row: not a moment between two segments */
		if (++quiet == 2)
			return total;
	}
	return -1;
}

/* an unsigned number in a file, 0 when it cannot be read */
static unsigned long read_ulong(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * The default is 0 (the sysctl's, or XTCP's parameter, UINT_MAX: no
 * limit). With 10000 set and a peer whose window is closed, the sender
 * takes no more data once 10000 bytes wait unsent (tcp_stream_memory_
 * free(); up to one segment goal over, as Linux checks before a new
 * skb), poll() says not writable while at least half the mark waits
 * (wake 1), and writable again once the reader drains.
 */
TEST_F(io, notsent_lowat)
{
	static unsigned char buf[1 << 20];
	int c, s, sndbuf = 1 << 20;
	unsigned long def;
	long total, got = 0;
	const char *path;
	ssize_t n;

	SKIP_IF_NEEDED();
	path = self->pair.net.xtcp[0] ? "/sys/module/xtcp/parameters/notsent_lowat" :
	       "/proc/sys/net/ipv4/tcp_notsent_lowat";
	ASSERT_EQ(0, xtcp_test_ns_enter(self->pair.net.ns[0]));
	def = read_ulong(path);
	xtcp_test_ns_leave();
	ASSERT_EQ(UINT_MAX, def) TH_LOG("%s", path);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, get_int(c, SOL_TCP, TCP_NOTSENT_LOWAT));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_NOTSENT_LOWAT, 10000));
	ASSERT_EQ(10000, get_int(c, SOL_TCP, TCP_NOTSENT_LOWAT));
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_SNDBUF, sndbuf));
	ASSERT_EQ(0, make_pair_opt(self, c, 8192, &c, &s));

	fill(buf, sizeof(buf), 43);
	total = fill_until_blocked(c, buf, 1000);
	ASSERT_LT(0, total);
	n = ioctl_int(c, SIOCOUTQNSD);
	/*
	 * not writable: at least half the mark unsent (it was over the
	 * mark when the writes stopped, and may have gone down since as the
	 * window let some out), and never more than one 64 KiB segment goal
	 * over it, where the send buffer (2 MiB) would take far more
	 */
	ASSERT_LE(10000 / 2, n);
	ASSERT_GT(10000 + 65536, n) TH_LOG("%zd unsent of %ld", n, total);
	ASSERT_EQ(0, poll1(c, POLLOUT, 0));

	/* the reader drains: writable again, and every byte arrives */
	while (got < total) {
		n = read(s, buf, sizeof(buf));
		ASSERT_LT(0, n);
		got += n;
		if (poll1(c, POLLOUT, 0) & POLLOUT)
			break;
	}
	ASSERT_TRUE(poll1(c, POLLOUT, 5000 * scale()) & POLLOUT);
	ASSERT_GT(10000 / 2, ioctl_int(c, SIOCOUTQNSD));
	close(c);
	close(s);
}

/* --- frames on the client's veth --------------------------------- */

struct frame {
	int pkttype;
	uint16_t sport, dport;
	size_t payload;
	bool psh, syn;
	unsigned int window;	/* the raw field */
	int wscale;		/* a SYN's window scale option, -1: none */
};

/* the window scale option (RFC 7323 2.2) among len bytes of options */
static int opt_wscale(const unsigned char *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2)
			break;
		if (o[i] == 3 && o[i + 1] == 3 && i + 2 < len)
			return o[i + 2];
		i += o[i + 1];
	}
	return -1;
}

/* the next TCP frame the capture holds; false when there is none */
static bool next_frame(int fd, struct frame *f)
{
	static unsigned char buf[128 * 1024];
	const struct iphdr *ip;
	const struct tcphdr *th;
	struct sockaddr_ll sll;
	socklen_t alen;
	size_t hl;
	ssize_t n;

	for (;;) {
		alen = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &alen);
		if (n < 0)
			return false;
		if (n < (ssize_t)(ETH_HLEN + sizeof(*ip)) || buf[12] != 0x08 ||
		    buf[13])
			continue;
		ip = (const struct iphdr *)(buf + ETH_HLEN);
		hl = ip->ihl * 4u;
		if (ip->protocol != IPPROTO_TCP ||
		    (size_t)n < ETH_HLEN + hl + sizeof(*th))
			continue;
		th = (const struct tcphdr *)((const char *)ip + hl);
		f->pkttype = sll.sll_pkttype;
		f->sport = ntohs(th->source);
		f->dport = ntohs(th->dest);
		f->payload = (size_t)n - ETH_HLEN - hl - th->doff * 4u;
		f->psh = th->psh;
		f->syn = th->syn;
		f->window = ntohs(th->window);
		f->wscale = -1;
		if (th->syn && th->doff > 5 &&
		    (size_t)n >= ETH_HLEN + hl + th->doff * 4u)
			f->wscale = opt_wscale((const unsigned char *)(th + 1),
					       th->doff * 4u - sizeof(*th));
		return true;
	}
}

/* --- TCP_WINDOW_CLAMP (row 67) -------------------------------------- */

struct writer {
	int fd;
	const unsigned char *buf;
	size_t len;
	int ret;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	w->ret = write_all(w->fd, w->buf, w->len);
	return NULL;
}

/*
 * 0 on a new socket; a small value reads back raised to
 * SOCK_MIN_RCVBUF / 2 (the native socket's answer); 0 only in CLOSE
 * (EINVAL on a connection). Set before connect(), 8192 bounds the window
 * the client offers: its SYN asks for no scaling, and no window in its
 * segments of a 200 KB transfer exceeds 8192 bytes, where its buffer
 * would offer 64 KB (tcp_select_initial_window(), __tcp_select_window()).
 *
 * The client fixes its buffer with SO_RCVBUF: Linux 6.1's receive
 * autotuning, when it grows the buffer, sets window_clamp from the new
 * size (tcp_rcv_space_adjust()), dropping the user's clamp; XTCP keeps
 * the clamp (a difference xtcp(7) states), and a fixed buffer is where
 * both agree. On a connection without a clamp Linux reads back the
 * window its buffer allows, XTCP 0: not asserted.
 */
TEST_F(io, window_clamp)
{
	static unsigned char buf[200000], in[200000];
	unsigned int maxwin = 0, win;
	int c, s, fd[2], i, pfd, ws = -2;
	struct writer w;
	struct frame f;
	uint16_t cport;
	pthread_t th;

	SKIP_IF_NEEDED();
	fd[0] = cli_socket(self);
	fd[1] = native_socket(self);
	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, get_int(fd[i], SOL_TCP, TCP_WINDOW_CLAMP));
		ASSERT_EQ(0, set_int(fd[i], SOL_TCP, TCP_WINDOW_CLAMP, 100));
	}
	ASSERT_EQ(get_int(fd[1], SOL_TCP, TCP_WINDOW_CLAMP),
		  get_int(fd[0], SOL_TCP, TCP_WINDOW_CLAMP));
	ASSERT_LT(100, get_int(fd[0], SOL_TCP, TCP_WINDOW_CLAMP));
	ASSERT_EQ(0, set_int(fd[0], SOL_TCP, TCP_WINDOW_CLAMP, 0));
	ASSERT_EQ(0, get_int(fd[0], SOL_TCP, TCP_WINDOW_CLAMP));
	close(fd[1]);

	c = fd[0];
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_RCVBUF, 1 << 18));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_WINDOW_CLAMP, 8192));
	ASSERT_EQ(8192, get_int(c, SOL_TCP, TCP_WINDOW_CLAMP));
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, make_pair_opt(self, c, 0, &c, &s));
	cport = xtcp_test_local_port(c);
	ASSERT_EQ(EINVAL, set_int(c, SOL_TCP, TCP_WINDOW_CLAMP, 0));

	fill(buf, sizeof(buf), 67);
	w = (struct writer){ .fd = s, .buf = buf, .len = sizeof(buf) };
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_fn, &w));
	ASSERT_EQ(0, read_full(c, in, sizeof(in)));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, w.ret);
	ASSERT_EQ(0, memcmp(in, buf, sizeof(buf)));

	while (next_frame(pfd, &f)) {
		if (f.pkttype != PACKET_OUTGOING || f.sport != cport)
			continue;
		if (f.syn) {
			ws = f.wscale;
			continue;
		}
		ASSERT_NE(-2, ws) TH_LOG("the client's SYN was not captured");
		win = f.window << (ws > 0 ? ws : 0);
		if (win > maxwin)
			maxwin = win;
	}
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
	ASSERT_GE(0, ws) TH_LOG("window scale %d under a clamp of 8192", ws);
	ASSERT_GE(8192U, maxwin);
	ASSERT_LT(8192U / 2, maxwin);
	close(pfd);
	close(c);
	close(s);
}

/* --- MSG_PEEK, SO_PEEK_OFF (rows 29-30) ----------------------------- */

/*
 * MSG_PEEK reads without consuming, across segments (each write is its
 * own segment: TCP_NODELAY) and up to the FIN, after which it gives 0.
 */
TEST_F(io, msg_peek)
{
	unsigned char out[300], in[400];
	int c, s, i;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, set_int(s, SOL_TCP, TCP_NODELAY, 1));
	fill(out, sizeof(out), 29);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(100, write(s, out + 100 * i, 100));
		ASSERT_EQ(100 * (i + 1), wait_inq(c, 100 * (i + 1), 5000));
	}
	ASSERT_EQ(0, shutdown(s, SHUT_WR));
	ASSERT_TRUE(poll1(c, POLLRDHUP, 5000 * scale()) & POLLRDHUP);

	ASSERT_EQ(300, recv(c, in, sizeof(in), MSG_PEEK));
	ASSERT_EQ(0, memcmp(in, out, 300));
	ASSERT_EQ(150, recv(c, in, 150, MSG_PEEK));
	ASSERT_EQ(0, memcmp(in, out, 150));
	ASSERT_EQ(150, recv(c, in, 150, 0));
	ASSERT_EQ(0, memcmp(in, out, 150));
	ASSERT_EQ(150, recv(c, in, sizeof(in), MSG_PEEK));
	ASSERT_EQ(0, memcmp(in, out + 150, 150));
	ASSERT_EQ(150, recv(c, in, sizeof(in), 0));
	ASSERT_EQ(0, memcmp(in, out + 150, 150));
	ASSERT_EQ(0, recv(c, in, sizeof(in), MSG_PEEK));
	ASSERT_EQ(0, recv(c, in, sizeof(in), 0));
	close(c);
	close(s);
}

/*
 * Linux 6.1 TCP has no SO_PEEK_OFF (inet_stream_ops has no set_peek_off;
 * TCP got it in 6.9): EOPNOTSUPP both ways, on both stacks.
 */
TEST_F(io, peek_off)
{
	int fd;

	SKIP_IF_NEEDED();
	fd = cli_socket(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(EOPNOTSUPP, set_int(fd, SOL_SOCKET, SO_PEEK_OFF, 0));
	ASSERT_EQ(EOPNOTSUPP, get_err(fd, SOL_SOCKET, SO_PEEK_OFF));
	close(fd);
}

/* --- MSG_WAITALL (row 31) ------------------------------------------- */

struct pieces {
	int fd;
	const unsigned char *buf;
	int n, len;
	bool fin;
};

/* n writes of len bytes, 50 ms apart (to split them), then maybe a FIN */
static void *pieces_fn(void *arg)
{
	struct pieces *p = arg;

	for (int i = 0; i < p->n; i++) {
		xtcp_test_msleep(50);
		if (write(p->fd, p->buf + i * p->len, p->len) != p->len)
			return (void *)1;
	}
	if (p->fin)
		shutdown(p->fd, SHUT_WR);
	return NULL;
}

/*
 * One recv(MSG_WAITALL) gathers pieces written apart; it comes back
 * short when the FIN ends the stream first.
 */
TEST_F(io, msg_waitall)
{
	unsigned char out[3000], in[4000];
	struct pieces p;
	pthread_t th;
	void *ret;
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, set_int(s, SOL_TCP, TCP_NODELAY, 1));
	fill(out, sizeof(out), 31);
	p = (struct pieces){ .fd = s, .buf = out, .n = 3, .len = 1000 };
	ASSERT_EQ(0, pthread_create(&th, NULL, pieces_fn, &p));
	ASSERT_EQ(3000, recv(c, in, 3000, MSG_WAITALL));
	ASSERT_EQ(0, pthread_join(th, &ret));
	ASSERT_EQ(NULL, ret);
	ASSERT_EQ(0, memcmp(in, out, 3000));

	p = (struct pieces){ .fd = s, .buf = out, .n = 2, .len = 1000,
			     .fin = true };
	ASSERT_EQ(0, pthread_create(&th, NULL, pieces_fn, &p));
	ASSERT_EQ(2000, recv(c, in, sizeof(in), MSG_WAITALL));
	ASSERT_EQ(0, pthread_join(th, &ret));
	ASSERT_EQ(NULL, ret);
	ASSERT_EQ(0, memcmp(in, out, 2000));
	ASSERT_EQ(0, recv(c, in, sizeof(in), MSG_WAITALL));
	close(c);
	close(s);
}

/* --- SO_RCVTIMEO, SO_SNDTIMEO (rows 35-36) -------------------------- */

static void set_timeo(int fd, int opt, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/*
 * A read with nothing to read, and a write with no room, give EAGAIN
 * after the timeout: not before it, and not much after (2 s, scaled).
 */
TEST_F(io, timeouts)
{
	static unsigned char buf[1 << 16];
	long long t0, dt;
	int c, s, sndbuf = 4096;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	set_timeo(c, SO_RCVTIMEO, 300);
	t0 = xtcp_test_now_ms();
	ASSERT_EQ(-1, recv(c, buf, sizeof(buf), 0));
	dt = xtcp_test_now_ms() - t0;
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LE(295, dt);
	ASSERT_GT(300 + 2000LL * scale(), dt);

	/* the server does not read: fill the client's buffer, then wait */
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_SNDBUF, sndbuf));
	ASSERT_LT(0, fill_until_blocked(c, buf, sizeof(buf)));
	set_timeo(c, SO_SNDTIMEO, 300);
	t0 = xtcp_test_now_ms();
	ASSERT_EQ(-1, send(c, buf, sizeof(buf), 0));
	dt = xtcp_test_now_ms() - t0;
	ASSERT_EQ(EAGAIN, errno);
	ASSERT_LE(295, dt);
	ASSERT_GT(300 + 2000LL * scale(), dt);
	close(c);
	close(s);
}

/* --- MSG_MORE and TCP_NODELAY on the wire (rows 45-46) -------------- */

/*
 * Ten 100-byte writes with MSG_MORE and a last one without leave as one
 * 1100-byte segment with PSH; 200 bytes written with MSG_MORE wait
 * unsent (SIOCOUTQNSD) until TCP_NODELAY is set, which sends them at
 * once (__tcp_sock_set_nodelay()'s push).
 */
TEST_F(io, msg_more_nodelay)
{
	unsigned char buf[1100];
	struct frame f;
	int c, s, pfd, i, segs = 0;
	uint16_t cport;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, xtcp_test_tso(self->pair.net.ns[0], "veth0", false));
	ASSERT_EQ(0, make_pair(self, &c, &s));
	cport = xtcp_test_local_port(c);
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	fill(buf, sizeof(buf), 45);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(100, send(c, buf + 100 * i, 100, MSG_MORE));
	ASSERT_EQ(1000, ioctl_int(c, SIOCOUTQNSD));
	ASSERT_EQ(100, send(c, buf + 1000, 100, 0));
	ASSERT_EQ(0, read_full(s, buf, 1100));
	ASSERT_EQ(0, wait_acked(c, 5000));
	while (next_frame(pfd, &f)) {
		if (f.pkttype != PACKET_OUTGOING || f.sport != cport ||
		    !f.payload)
			continue;
		segs++;
		ASSERT_EQ(1100U, f.payload);
		ASSERT_TRUE(f.psh);
	}
	ASSERT_EQ(1, segs);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));

	ASSERT_EQ(200, send(c, buf, 200, MSG_MORE));
	ASSERT_EQ(200, ioctl_int(c, SIOCOUTQNSD));
	ASSERT_EQ(0, ioctl_int(s, SIOCINQ));
	ASSERT_EQ(0, set_int(c, SOL_TCP, TCP_NODELAY, 1));
	ASSERT_EQ(200, wait_inq(s, 200, 5000));
	ASSERT_EQ(0, ioctl_int(c, SIOCOUTQNSD));
	close(pfd);
	close(c);
	close(s);
}

/* --- sendfile() and splice() (rows 47-48) --------------------------- */

#define XFER_LEN	(1 << 20)

static void sha256(const void *buf, size_t len, unsigned char *md)
{
	unsigned int mdlen = 32;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
}

/* SHA-256 of what the file fd holds from offset 0, len bytes; 0 or -1 */
static int sha256_fd(int fd, size_t len, unsigned char *md)
{
	unsigned char *buf = malloc(len);
	int ret = -1;

	if (buf && pread(fd, buf, len, 0) == (ssize_t)len) {
		sha256(buf, len, md);
		ret = 0;
	}
	free(buf);
	return ret;
}

static int tmp_file(void)
{
	char name[] = "/tmp/xtcp-io-XXXXXX";
	int fd = mkstemp(name);

	if (fd >= 0)
		unlink(name);
	return fd;
}

struct xfer {
	int fd;			/* socket to read from */
	int file;		/* file to splice into */
	long got;
};

/* socket -> pipe -> file, with splice(), until EOF */
static void *splice_in_fn(void *arg)
{
	struct xfer *x = arg;
	int p[2];
	ssize_t n, m;

	x->got = -1;
	if (pipe(p))
		return NULL;
	x->got = 0;
	for (;;) {
		n = splice(x->fd, NULL, p[1], NULL, 65536, SPLICE_F_MOVE);
		if (n <= 0)
			break;
		while (n) {
			m = splice(p[0], NULL, x->file, NULL, n, SPLICE_F_MOVE);
			if (m <= 0) {
				x->got = -1;
				goto out;
			}
			n -= m;
			x->got += m;
		}
	}
	if (n < 0)
		x->got = -1;
out:
	close(p[0]);
	close(p[1]);
	return NULL;
}

/* file -> pipe -> socket, with splice(); 0 or -1 */
static int splice_out(int file, int sock, size_t len)
{
	loff_t off = 0;
	int p[2], ret = -1;
	ssize_t n, m;

	if (pipe(p))
		return -1;
	while (len) {
		n = splice(file, &off, p[1], NULL, len < 65536 ? len : 65536,
			   SPLICE_F_MOVE);
		if (n <= 0)
			goto out;
		len -= n;
		while (n) {
			m = splice(p[0], NULL, sock, NULL, n,
				   SPLICE_F_MOVE | (len ? SPLICE_F_MORE : 0));
			if (m <= 0)
				goto out;
			n -= m;
		}
	}
	ret = 0;
out:
	close(p[0]);
	close(p[1]);
	return ret;
}

/*
 * 1 MiB from a file each way: client to server with sendfile() and
 * spliced into a file at the server; server to client with splice()
 * from a file and spliced into a file at the client. SHA-256 of each
 * received file equals the sent one's.
 */
TEST_F(io, sendfile_splice)
{
	unsigned char md[2][32];
	unsigned char *buf = malloc(XFER_LEN);
	int c, s, src, dst, dir;
	struct xfer x;
	pthread_t th;
	off_t off;
	ssize_t n;

	SKIP_IF_NEEDED();
	ASSERT_NE(NULL, buf);
	fill(buf, XFER_LEN, 47);
	sha256(buf, XFER_LEN, md[0]);
	src = tmp_file();
	ASSERT_LE(0, src);
	ASSERT_EQ(XFER_LEN, pwrite(src, buf, XFER_LEN, 0));
	free(buf);

	for (dir = 0; dir < 2; dir++) {
		ASSERT_EQ(0, make_pair(self, &c, &s));
		dst = tmp_file();
		ASSERT_LE(0, dst);
		x = (struct xfer){ .fd = dir ? c : s, .file = dst };
		ASSERT_EQ(0, pthread_create(&th, NULL, splice_in_fn, &x));
		if (!dir) {
			off = 0;
			while (off < XFER_LEN) {
				n = sendfile(c, src, &off, XFER_LEN - off);
				ASSERT_LT(0, n) TH_LOG("sendfile: %s",
						       strerror(errno));
			}
			ASSERT_EQ(0, shutdown(c, SHUT_WR));
		} else {
			ASSERT_EQ(0, splice_out(src, s, XFER_LEN))
				TH_LOG("splice to the socket: %s",
				       strerror(errno));
			ASSERT_EQ(0, shutdown(s, SHUT_WR));
		}
		ASSERT_EQ(0, pthread_join(th, NULL));
		ASSERT_EQ(XFER_LEN, x.got) TH_LOG("direction %d", dir);
		ASSERT_EQ(0, sha256_fd(dst, XFER_LEN, md[1]));
		ASSERT_EQ(0, memcmp(md[0], md[1], 32)) TH_LOG("direction %d",
							     dir);
		close(dst);
		close(c);
		close(s);
	}
	close(src);
}

/* --- SO_RCVBUF, SO_SNDBUF, *BUFFORCE (rows 41-42) ------------------- */

/*
 * Defaults and the doubling and clamping of sock_setsockopt(): tiny
 * values rise to SOCK_MIN_*BUF, normal ones double, huge ones stop at
 * twice net.core.[rw]mem_max; each equal to a native socket's answer.
 */
TEST_F(io, bufsizes)
{
	static const int vals[] = { 1, 1000, 65536, 1 << 30 };
	static const int opts[] = { SO_RCVBUF, SO_SNDBUF };
	int fd[2], i, j, k, got[2];

	SKIP_IF_NEEDED();
	for (j = 0; j < 2; j++) {
		fd[0] = cli_socket(self);
		fd[1] = native_socket(self);
		ASSERT_LE(0, fd[0]);
		ASSERT_LE(0, fd[1]);
		for (k = 0; k < 2; k++)
			got[k] = get_int(fd[k], SOL_SOCKET, opts[j]);
		ASSERT_EQ(got[1], got[0]) TH_LOG("default of %s",
						 j ? "SO_SNDBUF" : "SO_RCVBUF");
		for (i = 0; i < (int)ARRAY_SIZE(vals); i++) {
			for (k = 0; k < 2; k++) {
				ASSERT_EQ(0, set_int(fd[k], SOL_SOCKET,
						     opts[j], vals[i]));
				got[k] = get_int(fd[k], SOL_SOCKET, opts[j]);
			}
			ASSERT_EQ(got[1], got[0]) TH_LOG("%s %d",
							 j ? "SO_SNDBUF" : "SO_RCVBUF",
							 vals[i]);
		}
		close(fd[0]);
		close(fd[1]);
	}
}

/* drop CAP_NET_ADMIN from this process's effective set; 0 or -1 */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/*
 * SO_RCVBUFFORCE and SO_SNDBUFFORCE: EPERM without CAP_NET_ADMIN (in a
 * child that dropped it); with it, past net.core.[rw]mem_max (8 MiB in,
 * 16 MiB read back), as on a native socket.
 */
TEST_F(io, bufforce)
{
	int fd, st, big = 8 << 20;
	pid_t pid;

	SKIP_IF_NEEDED();
	fd = cli_socket(self);
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_net_admin())
			_exit(2);
		if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, big) != EPERM ||
		    set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, big) != EPERM)
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, big));
	ASSERT_EQ(2 * big, get_int(fd, SOL_SOCKET, SO_RCVBUF));
	ASSERT_EQ(0, set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, big));
	ASSERT_EQ(2 * big, get_int(fd, SOL_SOCKET, SO_SNDBUF));
	close(fd);
}

/* --- SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN (70-73) --------- */

/*
 * SO_TYPE is SOCK_STREAM; SO_ACCEPTCONN 1 on a listener only. By design
 * an XTCP socket's SO_DOMAIN is XTCP's family (the socket core answers
 * sk_family), and SO_PROTOCOL IPPROTO_XTCP; a native one's AF_INET and
 * IPPROTO_TCP.
 */
TEST_F(io, identity)
{
	bool x = self->pair.net.xtcp[0];
	int c, s, l;

	SKIP_IF_NEEDED();
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(SOCK_STREAM, get_int(c, SOL_SOCKET, SO_TYPE));
	ASSERT_EQ(x ? xtcp_test_family() : AF_INET,
		  get_int(c, SOL_SOCKET, SO_DOMAIN));
	ASSERT_EQ(x ? IPPROTO_XTCP : IPPROTO_TCP,
		  get_int(c, SOL_SOCKET, SO_PROTOCOL));
	ASSERT_EQ(0, get_int(c, SOL_SOCKET, SO_ACCEPTCONN));
	close(c);

	l = srv_listener(self, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(1, get_int(l, SOL_SOCKET, SO_ACCEPTCONN));
	close(l);
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, get_int(s, SOL_SOCKET, SO_ACCEPTCONN));
	ASSERT_EQ(0, get_int(c, SOL_SOCKET, SO_ACCEPTCONN));
	ASSERT_EQ(SOCK_STREAM, get_int(s, SOL_SOCKET, SO_TYPE));
	close(c);
	close(s);
}

/* --- SO_ZEROCOPY (rows 87-88) --------------------------------------- */

/*
 * XTCP offers no zero-copy send: the socket core refuses SO_ZEROCOPY for
 * families other than AF_INET/AF_INET6 (EOPNOTSUPP), and without it
 * MSG_ZEROCOPY is ignored and the data copied, as Linux does for a
 * socket without SO_ZEROCOPY. Linux TCP takes SO_ZEROCOPY.
 */
TEST_F(io, zerocopy)
{
	unsigned char b[100];
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(self->pair.net.xtcp[0] ? EOPNOTSUPP : 0,
		  set_int(c, SOL_SOCKET, SO_ZEROCOPY, 1));
	fill(b, sizeof(b), 87);
	ASSERT_EQ(100, send(c, b, sizeof(b), MSG_ZEROCOPY));
	ASSERT_EQ(0, read_full(s, b, sizeof(b)));
	close(c);
	close(s);
}

/* --- unknown SOL_TCP options (row 68) ------------------------------- */

/*
 * Options Linux has and XTCP does not give ENOPROTOOPT, set and get, on
 * an XTCP socket (xtcp(7) lists them); an option number no stack knows
 * gives ENOPROTOOPT on both.
 */
TEST_F(io, unknown_tcp_opts)
{
	static const int opts[] = {
		TCP_MD5SIG, TCP_MD5SIG_EXT, TCP_ULP, TCP_REPAIR,
		TCP_REPAIR_QUEUE, TCP_QUEUE_SEQ, TCP_REPAIR_OPTIONS,
		TCP_REPAIR_WINDOW, TCP_THIN_LINEAR_TIMEOUTS, TCP_THIN_DUPACK,
		TCP_SAVE_SYN, TCP_SAVED_SYN, TCP_TIMESTAMP, TCP_TX_DELAY,
		TCP_FASTOPEN_NO_COOKIE, TCP_ZEROCOPY_RECEIVE, TCP_CC_INFO,
	};
	int fd, i;

	SKIP_IF_NEEDED();
	fd = cli_socket(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(ENOPROTOOPT, set_int(fd, SOL_TCP, 200, 0));
	ASSERT_EQ(ENOPROTOOPT, get_err(fd, SOL_TCP, 200));
	if (self->pair.net.xtcp[0]) {
		for (i = 0; i < (int)ARRAY_SIZE(opts); i++) {
			ASSERT_EQ(ENOPROTOOPT, set_int(fd, SOL_TCP, opts[i], 0))
				TH_LOG("setsockopt %d", opts[i]);
			ASSERT_EQ(ENOPROTOOPT, get_err(fd, SOL_TCP, opts[i]))
				TH_LOG("getsockopt %d", opts[i]);
		}
	}
	close(fd);
}

/* --- bad optlen and bad pointers, every option XTCP answers (row 89) --- */

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51	/* linux/in.h, Debian's 6.1 has it */
#endif

/* setsockopt()'s result: 0 or errno */
static int set_raw(int fd, int level, int opt, const void *val, socklen_t len)
{
	return setsockopt(fd, level, opt, val, len) ? errno : 0;
}

/* getsockopt()'s result, and the length it wrote back in *len */
static int get_raw(int fd, int level, int opt, void *val, socklen_t *len)
{
	return getsockopt(fd, level, opt, val, len) ? errno : 0;
}

/*
 * For each SOL_TCP and SOL_IP option XTCP implements: setsockopt() with
 * optlen 0, 1, 2 and 3 (short), a NULL pointer and one past the user
 * space, and getsockopt() with optlen -1, 0 and 2 and a NULL pointer,
 * give what a native socket beside it gives (result, errno, and the
 * length getsockopt writes back), and the option reads the same after:
 * a refused call leaves no partial state.
 */
TEST_F(io, bad_optlen)
{
	static const struct {
		int level, opt;
	} opts[] = {
		{ SOL_TCP, TCP_NODELAY }, { SOL_TCP, TCP_MAXSEG },
		{ SOL_TCP, TCP_CORK }, { SOL_TCP, TCP_KEEPIDLE },
		{ SOL_TCP, TCP_KEEPINTVL }, { SOL_TCP, TCP_KEEPCNT },
		{ SOL_TCP, TCP_SYNCNT }, { SOL_TCP, TCP_LINGER2 },
		{ SOL_TCP, TCP_DEFER_ACCEPT }, { SOL_TCP, TCP_WINDOW_CLAMP },
		{ SOL_TCP, TCP_QUICKACK }, { SOL_TCP, TCP_USER_TIMEOUT },
		{ SOL_TCP, TCP_NOTSENT_LOWAT }, { SOL_TCP, TCP_INQ },
		{ SOL_TCP, TCP_CONGESTION }, { SOL_TCP, TCP_INFO },
		{ SOL_IP, IP_TOS }, { SOL_IP, IP_TTL }, { SOL_IP, IP_FREEBIND },
		{ SOL_IP, IP_TRANSPARENT }, { SOL_IP, IP_MTU_DISCOVER },
		{ SOL_IP, IP_RECVERR }, { SOL_IP, IP_BIND_ADDRESS_NO_PORT },
		{ SOL_IP, IP_LOCAL_PORT_RANGE },
	};
	static const socklen_t lens[] = { 0, 1, 2, 3 };
	unsigned char val[4] = { 1, 0, 0, 0 };
	unsigned char before[2][256], after[2][256];
	socklen_t blen[2], alen[2];
	int fd[2], i, j, k, r[2];

	SKIP_IF_NEEDED();
	fd[0] = cli_socket(self);
	fd[1] = native_socket(self);
	ASSERT_LE(0, fd[0]);
	ASSERT_LE(0, fd[1]);
	for (i = 0; i < (int)ARRAY_SIZE(opts); i++) {
		int lv = opts[i].level, op = opts[i].opt;

		for (k = 0; k < 2; k++) {
			blen[k] = sizeof(before[k]);
			memset(before[k], 0, sizeof(before[k]));
			get_raw(fd[k], lv, op, before[k], &blen[k]);
		}
		for (j = 0; j < (int)ARRAY_SIZE(lens); j++) {
			for (k = 0; k < 2; k++)
				r[k] = set_raw(fd[k], lv, op, val, lens[j]);
			/* a short string names no algorithm, or a prefix */
			if (op == TCP_CONGESTION && lv == SOL_TCP)
				continue;
			EXPECT_EQ(r[1], r[0])
				TH_LOG("level %d option %d optlen %u", lv, op,
				       lens[j]);
		}
		for (k = 0; k < 2; k++)
			r[k] = set_raw(fd[k], lv, op, NULL, sizeof(int));
		EXPECT_EQ(r[1], r[0]) TH_LOG("level %d option %d NULL", lv, op);
		for (k = 0; k < 2; k++)
			r[k] = set_raw(fd[k], lv, op, (void *)1, sizeof(int));
		EXPECT_EQ(r[1], r[0]) TH_LOG("level %d option %d bad ptr", lv, op);

		/* getsockopt: negative, zero and short lengths, NULL */
		for (k = 0; k < 2; k++) {
			alen[k] = (socklen_t)-1;
			r[k] = get_raw(fd[k], lv, op, after[k], &alen[k]);
		}
		EXPECT_EQ(r[1], r[0]) TH_LOG("get level %d option %d len -1", lv, op);
		for (j = 0; j < 2; j++) {
			for (k = 0; k < 2; k++) {
				alen[k] = j ? 2 : 0;
				r[k] = get_raw(fd[k], lv, op, after[k], &alen[k]);
			}
			EXPECT_EQ(r[1], r[0])
				TH_LOG("get level %d option %d len %d", lv, op, j ? 2 : 0);
			if (!r[0] && !r[1] && op != TCP_INFO)
				EXPECT_EQ(alen[1], alen[0])
					TH_LOG("get level %d option %d len %d: length written",
					       lv, op, j ? 2 : 0);
		}
		for (k = 0; k < 2; k++) {
			alen[k] = sizeof(int);
			r[k] = get_raw(fd[k], lv, op, NULL, &alen[k]);
		}
		EXPECT_EQ(r[1], r[0]) TH_LOG("get level %d option %d NULL", lv, op);

		/*
		 * what the calls left (a short SOL_IP value may be taken as
		 * a byte, on both): the same on both, where both began alike
		 */
		for (k = 0; k < 2; k++) {
			alen[k] = sizeof(after[k]);
			memset(after[k], 0, sizeof(after[k]));
			get_raw(fd[k], lv, op, after[k], &alen[k]);
		}
		if (op != TCP_INFO && blen[0] == blen[1] &&
		    !memcmp(before[0], before[1], blen[0])) {
			EXPECT_EQ(alen[1], alen[0]);
			EXPECT_EQ(0, memcmp(after[0], after[1], alen[0]))
				TH_LOG("level %d option %d: XTCP left %d, Linux %d",
				       lv, op, after[0][0], after[1][0]);
		}
	}
	close(fd[0]);
	close(fd[1]);
}

XTCP_HARNESS_MAIN
