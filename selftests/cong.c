// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control and buffers (issue 17): TCP_CONGESTION, the window
 * scale of the SYN, receive buffer autotuning, and what CUBIC and Reno do
 * to ssthresh on a loss. Variants xtcp_xtcp, xtcp_tcp, tcp_xtcp and the
 * tcp_tcp reference (client_server; client in ns[0], server in ns[1],
 * see xtcp_test.h); every assertion holds for native Linux too.
 *
 * name_default     a new socket's TCP_CONGESTION is "cubic", on both sides
 * set_get          "reno" set reads back; "nosuch" is ENOENT and changes
 *                  nothing; optlen 0 is EINVAL
 * short_optlen     getsockopt with optlen 3 copies "cub" and says 3; with
 *                  optlen 40 it copies 16 bytes, NUL-padded, and says 16
 * child_inherits   a listener that set "reno" gives its accepted children
 *                  "reno"; one that set nothing gives the default, "cubic"
 * default_param    the client side's default: XTCP's congestion_control
 *                  module parameter, Linux's tcp_congestion_control sysctl
 *                  of the netns. A write of "nosuch" fails with ENOENT;
 *                  after "reno" a new socket says "reno"; the available
 *                  names (available_congestion_control, or
 *                  tcp_available_congestion_control) hold reno and cubic
 * wscale           the window scale of the client's SYN and the server's
 *                  SYN-ACK is Linux's tcp_select_initial_window() shift of
 *                  the netns's settings: ilog2(max(tcp_rmem[2],
 *                  rmem_max)) - 15 (7 with Linux's 6 MiB tcp_rmem max);
 *                  XTCP's tcp_rmem parameter has Linux's default, so both
 *                  stacks must agree (captured on veth0)
 * wscale_locked    with SO_RCVBUF 65536 set before connect()/listen() the
 *                  shift covers only that buffer's window (65536: shift 1)
 * autotune         16 MiB client to server, the server reading steadily:
 *                  its SO_RCVBUF starts at tcp_rmem[1] and ends above it;
 *                  the bytes arrive intact
 * autotune_locked  the same with SO_RCVBUF set on the listener: the
 *                  accepted socket's SO_RCVBUF never changes
 * loss_cubic       a bulk transfer (a stream the writer ends when told);
 * loss_reno        after 4 MiB all the client sends is dropped (netem
 *                  loss 100% on veth0) until its RTO fires (the server's
 *                  SO_RCVBUF 65536 keeps the flight it loses small); the
 *                  ssthresh the RTO set (/proc/net/xtcp or /proc/net/tcp)
 *                  is 0.7 of the cwnd before it with cubic (Linux:
 *                  717/1024), at most half with reno; then the link heals
 *                  and every byte written arrives intact. Deterministic:
 *                  no ACK can arrive once the drop is in place, so cwnd
 *                  stays put until the RTO, and a thread reading /proc
 *                  every few ms sees the value the RTO cuts. netem is in
 *                  place from the start and only changed (netem_loss()),
 *                  or Linux would cut at the qdisc swap, not the RTO.
 *
 * Not deterministic: nothing here; autotune depends on the reader keeping
 * up, which a 16 MiB transfer on a veth gives on the stock and the debug
 * kernel alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define CA_NAME_MAX	16		/* TCP_CA_NAME_MAX */
#define AUTOTUNE_LEN	(16 << 20)
#define LOSS_LEN	(4 << 20)	/* before the drop */
#define LOCKED_RCVBUF	65536
#define TUNE_RCVBUF	100000		/* below net.core.rmem_max */
#define CHUNK		65536

FIXTURE(cong) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(cong);

FIXTURE_SETUP(cong)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-cong", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(cong)
{
	XTCP_PAIR_TEARDOWN(10000);
}

/* --- sockets -------------------------------------------------------- */

static int cli_socket(FIXTURE_DATA(cong) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

static int srv_socket(FIXTURE_DATA(cong) *self)
{
	return xtcp_test_socket(self->pair.net.ns[1],
				xtcp_test_sock_family(self->pair.net.xtcp[1]),
				SOCK_STREAM);
}

static int set_ca(int fd, const char *name)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
			  strlen(name));
}

/* the name TCP_CONGESTION reads, "" on error */
static const char *get_ca(int fd)
{
	static char name[CA_NAME_MAX + 1];
	socklen_t len = CA_NAME_MAX;

	memset(name, 0, sizeof(name));
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len))
		return "";
	return name;
}

static int get_int(int fd, int level, int opt)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, level, opt, &val, &len))
		return -1;
	return val;
}

/* A listener on the pair's port; SO_RCVBUF rcvbuf and ca first if set */
static int srv_listen(FIXTURE_DATA(cong) *self, int rcvbuf, const char *ca)
{
	struct sockaddr_in sin;
	int l = srv_socket(self), one = 1;

	if (l < 0)
		return -1;
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (rcvbuf && setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    (ca && set_ca(l, ca)))
		goto err;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 8))
		goto err;
	return l;
err:
	close(l);
	return -1;
}

static int cli_connect(FIXTURE_DATA(cong) *self, int rcvbuf, const char *ca)
{
	struct sockaddr_in sin;
	int c = cli_socket(self);

	if (c < 0)
		return -1;
	if ((rcvbuf && setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    (ca && set_ca(c, ca)))
		goto err;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		goto err;
	return c;
err:
	close(c);
	return -1;
}

/* --- /proc and sysctls ---------------------------------------------- */

static FILE *ns_fopen(const char *ns, const char *path)
{
	FILE *f;
	int err;

	if (xtcp_test_ns_enter(ns))
		return NULL;
	f = fopen(path, "r");
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	return f;
}

/*
 * cwnd and ssthresh (the last two columns, ssthresh -1 while "infinite")
 * of the connection with these ports in /proc/net/xtcp or /proc/net/tcp
 * of ns; 1 when found.
 */
static int proc_cwnd(const char *ns, bool xtcp, uint16_t lport,
		     uint16_t rport, long *cwnd, long *ssthresh)
{
	char line[512], *p;
	unsigned int lp, rp;
	int found = 0, n;
	long v[2];
	FILE *f;

	f = ns_fopen(ns, xtcp ? "/proc/thread-self/net/xtcp" :
				"/proc/thread-self/net/tcp");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x", &lp, &rp) != 2 ||
		    lp != lport || rp != rport)
			continue;
		/* the two last numbers of the line */
		p = line + strlen(line);
		for (n = 1; n >= 0; n--) {
			while (p > line && (p[-1] == '\n' || p[-1] == ' '))
				p--;
			while (p > line && p[-1] != ' ')
				p--;
			v[n] = strtol(p, NULL, 10);
		}
		*cwnd = v[0];
		*ssthresh = v[1];
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

/* the three numbers of net.ipv4.tcp_rmem (or any such file) in ns */
static int read_triple(const char *ns, const char *path, long v[3])
{
	return xtcp_test_read_triple(ns_fopen(ns, path), v);
}

/* net.core.rmem_max: global, so only the initial netns shows it */
static long read_rmem_max(void)
{
	FILE *f = fopen("/proc/sys/net/core/rmem_max", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* tcp_select_initial_window()'s shift for a window of space bytes */
static int shift_of(long space)
{
	int s = -15;

	while (space > 1) {
		space >>= 1;
		s++;
	}
	return s < 0 ? 0 : s > 14 ? 14 : s;
}

/* --- transfers ------------------------------------------------------ */

struct xfer {
	int fd;
	size_t len;		/* writer: bytes to send, 0: until stop */
	uint64_t seed;
	size_t done;
	int err;		/* errno, or EBADMSG for a wrong byte */
	volatile bool stop;	/* writer: end the stream now */
};

static void *writer_fn(void *arg)
{
	struct xfer *x = arg;
	static unsigned char buf[CHUNK];
	struct xtcp_test_prng p;
	size_t n;
	ssize_t w;

	xtcp_test_prng_init(&p, x->seed);
	while (x->len ? x->done < x->len : !x->stop) {
		n = x->len && x->len - x->done < CHUNK ? x->len - x->done :
							 CHUNK;
		xtcp_test_fill(&p, buf, n);
		w = write(x->fd, buf, n);
		if (w != (ssize_t)n) {
			x->err = w < 0 ? errno : EIO;
			break;
		}
		x->done += n;
	}
	shutdown(x->fd, SHUT_WR);
	return NULL;
}

/* reads until EOF, every byte checked against the writer's stream */
static void *reader_fn(void *arg)
{
	struct xfer *x = arg;
	static unsigned char buf[CHUNK], want[CHUNK];
	struct xtcp_test_prng p;
	ssize_t n;

	xtcp_test_prng_init(&p, x->seed);
	for (;;) {
		n = read(x->fd, buf, sizeof(buf));
		if (n < 0) {
			x->err = errno;
			break;
		}
		if (!n)
			break;
		xtcp_test_fill(&p, want, (size_t)n);
		if (memcmp(buf, want, (size_t)n)) {
			x->err = EBADMSG;
			break;
		}
		x->done += (size_t)n;
	}
	return NULL;
}

/* --- TCP_CONGESTION ------------------------------------------------- */

TEST_F(cong, name_default)
{
	int c, s;

	SKIP_IF_NEEDED();
	c = cli_socket(self);
	s = srv_socket(self);
	ASSERT_LE(0, c);
	ASSERT_LE(0, s);
	EXPECT_STREQ("cubic", get_ca(c));
	EXPECT_STREQ("cubic", get_ca(s));
	close(c);
	close(s);
}

TEST_F(cong, set_get)
{
	int c;

	SKIP_IF_NEEDED();
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_ca(c, "reno"));
	EXPECT_STREQ("reno", get_ca(c));
	errno = 0;
	EXPECT_EQ(-1, set_ca(c, "nosuch"));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_STREQ("reno", get_ca(c));
	/* only 15 bytes are read: "cubicxxxxxxxxxx" is no algorithm */
	errno = 0;
	EXPECT_EQ(-1, set_ca(c, "cubicxxxxxxxxxxxxxxx"));
	EXPECT_EQ(ENOENT, errno);
	errno = 0;
	EXPECT_EQ(-1, setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "cubic", 0));
	EXPECT_EQ(EINVAL, errno);
	/* a NUL ends the name before optlen does */
	ASSERT_EQ(0, setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "cubic\0xx",
				8));
	EXPECT_STREQ("cubic", get_ca(c));
	close(c);
}

TEST_F(cong, short_optlen)
{
	char buf[64];
	socklen_t len;
	int c, i;

	SKIP_IF_NEEDED();
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, set_ca(c, "cubic"));

	memset(buf, 'X', sizeof(buf));
	len = 3;
	ASSERT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_EQ(3u, len);
	EXPECT_EQ(0, memcmp(buf, "cubX", 4));

	memset(buf, 'X', sizeof(buf));
	len = 40;
	ASSERT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_EQ((socklen_t)CA_NAME_MAX, len);
	EXPECT_STREQ("cubic", buf);
	for (i = 5; i < CA_NAME_MAX; i++)
		EXPECT_EQ(0, buf[i]);
	EXPECT_EQ('X', buf[CA_NAME_MAX]);

	len = 0;
	ASSERT_EQ(0, getsockopt(c, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_EQ(0u, len);
	close(c);
}

TEST_F(cong, child_inherits)
{
	int l, c, s, round;

	SKIP_IF_NEEDED();
	for (round = 0; round < 2; round++) {
		const char *lca = round ? NULL : "reno";

		l = srv_listen(self, 0, lca);
		ASSERT_LE(0, l);
		c = cli_connect(self, 0, "reno");
		ASSERT_LE(0, c);
		s = accept(l, NULL, NULL);
		ASSERT_LE(0, s);
		EXPECT_STREQ(lca ? lca : "cubic", get_ca(s));
		EXPECT_STREQ(lca ? lca : "cubic", get_ca(l));
		/* the client's own choice survives the handshake */
		EXPECT_STREQ("reno", get_ca(c));
		close(c);
		close(s);
		close(l);
	}
}

/* write str to path, in ns when it is not NULL; 0 or an errno */
static int write_str(const char *ns, const char *path, const char *str)
{
	int fd, err = 0;

	if (ns && xtcp_test_ns_enter(ns))
		return EBADF;
	fd = open(path, O_WRONLY);
	if (ns)
		xtcp_test_ns_leave();
	if (fd < 0)
		return errno;
	if (write(fd, str, strlen(str)) != (ssize_t)strlen(str))
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

TEST_F(cong, default_param)
{
	const char *ns = self->pair.net.ns[0];
	bool xtcp = self->pair.net.xtcp[0];
	const char *path = xtcp ?
		"/sys/module/xtcp/parameters/congestion_control" :
		"/proc/sys/net/ipv4/tcp_congestion_control";
	const char *avail = xtcp ?
		"/sys/module/xtcp/parameters/available_congestion_control" :
		"/proc/sys/net/ipv4/tcp_available_congestion_control";
	char names[256] = "";
	FILE *f;
	int c;

	SKIP_IF_NEEDED();
	f = xtcp ? fopen(avail, "r") : ns_fopen(ns, avail);
	ASSERT_NE(NULL, f);
	if (!fgets(names, sizeof(names), f))
		names[0] = 0;
	fclose(f);
	TH_LOG("available: %s", names);
	EXPECT_NE(NULL, strstr(names, "reno"));
	EXPECT_NE(NULL, strstr(names, "cubic"));

	EXPECT_EQ(ENOENT, write_str(xtcp ? NULL : ns, path, "nosuch\n"));
	c = cli_socket(self);
	ASSERT_LE(0, c);
	EXPECT_STREQ("cubic", get_ca(c));
	close(c);

	EXPECT_EQ(0, write_str(xtcp ? NULL : ns, path, "reno\n"));
	c = cli_socket(self);
	EXPECT_LE(0, c);
	EXPECT_STREQ("reno", get_ca(c));
	close(c);
	ASSERT_EQ(0, write_str(xtcp ? NULL : ns, path, "cubic\n"));
	c = cli_socket(self);
	ASSERT_LE(0, c);
	EXPECT_STREQ("cubic", get_ca(c));
	close(c);
}

/* --- window scale --------------------------------------------------- */

/* the window scale option of a TCP header, -1 when absent */
static int wscale_of(const unsigned char *th, size_t len)
{
	size_t doff = (th[12] >> 4) * 4u, i = 20;

	if (doff > len)
		return -1;
	while (i < doff) {
		if (th[i] == TCPOPT_EOL)
			break;
		if (th[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= doff || th[i + 1] < 2)
			break;
		if (th[i] == TCPOPT_WINDOW && th[i + 1] == 3)
			return th[i + 2];
		i += th[i + 1];
	}
	return -1;
}

/*
 * The window scales of the SYN (client) and SYN-ACK (server) of a
 * connection to the pair's port, from a capture on veth0.
 */
static void syn_wscales(FIXTURE_DATA(cong) *self, int pfd, int *syn,
			int *synack)
{
	static unsigned char buf[70000];
	const struct iphdr *ip;
	const unsigned char *th;
	uint16_t port;
	ssize_t n;

	*syn = *synack = -2;
	for (;;) {
		n = recv(pfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		if (n < ETH_HLEN + 40 || buf[12] != 0x08 || buf[13])
			continue;
		ip = (const struct iphdr *)(buf + ETH_HLEN);
		if (ip->protocol != IPPROTO_TCP)
			continue;
		th = (const unsigned char *)ip + ip->ihl * 4;
		if ((size_t)(th - buf) + 20 > (size_t)n)
			continue;
		if ((th[13] & (TH_SYN | TH_ACK)) == TH_SYN) {
			memcpy(&port, th + 2, 2);
			if (ntohs(port) == self->pair.port)
				*syn = wscale_of(th, n - (th - buf));
		} else if ((th[13] & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
			memcpy(&port, th, 2);
			if (ntohs(port) == self->pair.port)
				*synack = wscale_of(th, n - (th - buf));
		}
	}
}

static void check_wscale(struct __test_metadata *_metadata,
			 FIXTURE_DATA(cong) *self, int rcvbuf)
{
	long rmem[3], rmem_max;
	int pfd, l, c, s, syn, synack, want, i;

	/* Linux's rule on the netns's own settings (tcp_tcp checks it) */
	ASSERT_EQ(0, read_triple(self->pair.net.ns[0],
				 "/proc/sys/net/ipv4/tcp_rmem", rmem));
	rmem_max = read_rmem_max();
	ASSERT_LT(0, rmem_max);
	if (rcvbuf) {
		/* the kernel doubles SO_RCVBUF; the window is half of it */
		want = shift_of(rcvbuf);
	} else {
		want = shift_of(rmem[2] > rmem_max ? rmem[2] : rmem_max);
	}
	TH_LOG("tcp_rmem %ld %ld %ld, rmem_max %ld, SO_RCVBUF %d: shift %d",
	       rmem[0], rmem[1], rmem[2], rmem_max, rcvbuf, want);

	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	l = srv_listen(self, rcvbuf, NULL);
	ASSERT_LE(0, l);
	c = cli_connect(self, rcvbuf, NULL);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	/* the SYN-ACK reached the tap before connect() returned */
	for (i = 0; i < 50; i++) {
		syn_wscales(self, pfd, &syn, &synack);
		if (syn != -2 && synack != -2)
			break;
		xtcp_test_msleep(20);
	}
	TH_LOG("SYN wscale %d, SYN-ACK wscale %d", syn, synack);
	EXPECT_EQ(want, syn);
	EXPECT_EQ(want, synack);
	close(c);
	close(s);
	close(l);
	close(pfd);
}

TEST_F(cong, wscale)
{
	SKIP_IF_NEEDED();
	check_wscale(_metadata, self, 0);
}

TEST_F(cong, wscale_locked)
{
	SKIP_IF_NEEDED();
	check_wscale(_metadata, self, LOCKED_RCVBUF);
}

/* --- autotuning ----------------------------------------------------- */

static void check_autotune(struct __test_metadata *_metadata,
			   FIXTURE_DATA(cong) *self, int rcvbuf)
{
	struct xfer w = { .len = AUTOTUNE_LEN, .seed = 17 };
	struct xfer r = { .seed = 17 };
	pthread_t wt, rt;
	int l, c, s, before, after;
	long rmem[3], rmem_max;

	l = srv_listen(self, rcvbuf, NULL);
	ASSERT_LE(0, l);
	c = cli_connect(self, 0, NULL);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	before = get_int(s, SOL_SOCKET, SO_RCVBUF);
	if (!rcvbuf && !self->pair.net.xtcp[1]) {
		ASSERT_EQ(0, read_triple(self->pair.net.ns[1],
					 "/proc/sys/net/ipv4/tcp_rmem", rmem));
		EXPECT_EQ(rmem[1], before);
	} else if (!rcvbuf) {
		/* XTCP's tcp_rmem parameter has Linux's default */
		EXPECT_EQ(131072, before);
	} else {
		/* SO_RCVBUF: doubled, after a cap at net.core.rmem_max */
		rmem_max = read_rmem_max();
		ASSERT_LT(0, rmem_max);
		EXPECT_EQ(2 * (rcvbuf < rmem_max ? rcvbuf : rmem_max), before);
	}

	w.fd = c;
	r.fd = s;
	ASSERT_EQ(0, pthread_create(&rt, NULL, reader_fn, &r));
	ASSERT_EQ(0, pthread_create(&wt, NULL, writer_fn, &w));
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	after = get_int(s, SOL_SOCKET, SO_RCVBUF);
	close(c);
	close(s);
	close(l);
	TH_LOG("receiver SO_RCVBUF %d before, %d after %d bytes", before,
	       after, AUTOTUNE_LEN);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ((size_t)AUTOTUNE_LEN, r.done);
	if (rcvbuf) {
		EXPECT_EQ(before, after);
	} else {
		EXPECT_LT(before, after);
	}
}

TEST_F_TIMEOUT(cong, autotune, 120)
{
	SKIP_IF_NEEDED();
	check_autotune(_metadata, self, 0);
}

TEST_F_TIMEOUT(cong, autotune_locked, 120)
{
	SKIP_IF_NEEDED();
	check_autotune(_metadata, self, TUNE_RCVBUF);
}

/* --- ssthresh on a loss --------------------------------------------- */

/*
 * netem on veth0, the client's egress: set up at 0% before the
 * connection, then changed in place. Adding a root qdisc under a running
 * flow would swap qdiscs, and Linux takes the packets the swap drops
 * (NET_XMIT_CN) for local congestion: it would cut ssthresh there (CWR),
 * not at the RTO.
 */
static int netem_loss(FIXTURE_DATA(cong) *self, const char *op, int pct)
{
	return xtcp_test_run("ip netns exec %s tc qdisc %s dev veth0 root netem loss %d%%",
			     self->pair.net.ns[0], op, pct);
}

/*
 * Watches the client's cwnd and ssthresh in /proc every few ms until
 * cwnd is 1 (the RTO) or the deadline: pre is the last sample before.
 * Once the drop is in place no ACK arrives, so cwnd stays put for the
 * whole RTO (200 ms at least) and pre is what the RTO cut.
 */
struct watch {
	const char *ns;
	bool xtcp;
	uint16_t lport, rport;
	long long deadline;
	long pre_cwnd, pre_ss, post_cwnd, post_ss;
	bool seen;		/* cwnd 1 came */
};

static void *watch_fn(void *arg)
{
	struct watch *wa = arg;
	long cwnd, ss;

	while (xtcp_test_now_ms() < wa->deadline) {
		if (proc_cwnd(wa->ns, wa->xtcp, wa->lport, wa->rport, &cwnd,
			      &ss) != 1)
			break;
		if (cwnd == 1) {
			wa->post_cwnd = cwnd;
			wa->post_ss = ss;
			wa->seen = true;
			break;
		}
		wa->pre_cwnd = cwnd;
		wa->pre_ss = ss;
		xtcp_test_msleep(2);
	}
	return NULL;
}

static void check_loss(struct __test_metadata *_metadata,
		       FIXTURE_DATA(cong) *self, const char *ca)
{
	struct xfer w = { .seed = 42 };		/* until w.stop */
	struct xfer r = { .seed = 42 };
	struct watch wa = { .ns = self->pair.net.ns[0],
			    .xtcp = self->pair.net.xtcp[0],
			    .rport = self->pair.port };
	pthread_t wt, rt, pt;
	long long deadline;
	int l, c, s, dropped;

	ASSERT_EQ(0, netem_loss(self, "add", 0));
	/*
	 * A small window keeps the flight the RTO loses small: an XTCP
	 * sender without SACK resends it one segment per delayed ACK.
	 */
	l = srv_listen(self, LOCKED_RCVBUF, NULL);
	ASSERT_LE(0, l);
	c = cli_connect(self, 0, ca);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_STREQ(ca, get_ca(c));
	wa.lport = xtcp_test_local_port(c);

	w.fd = c;
	r.fd = s;
	ASSERT_EQ(0, pthread_create(&rt, NULL, reader_fn, &r));
	ASSERT_EQ(0, pthread_create(&wt, NULL, writer_fn, &w));
	/* a few MiB first, so that cwnd is past its start */
	deadline = xtcp_test_now_ms() + 30000LL * xtcp_test_timeout_scale();
	while (r.done < LOSS_LEN && !r.err && xtcp_test_now_ms() < deadline)
		xtcp_test_msleep(5);

	wa.deadline = xtcp_test_now_ms() + 20000LL * xtcp_test_timeout_scale();
	ASSERT_EQ(0, pthread_create(&pt, NULL, watch_fn, &wa));
	dropped = netem_loss(self, "change", 100);
	pthread_join(pt, NULL);
	TH_LOG("%s: cwnd %ld ssthresh %ld before the RTO, cwnd %ld ssthresh %ld after",
	       ca, wa.pre_cwnd, wa.pre_ss, wa.post_cwnd, wa.post_ss);
	EXPECT_EQ(0, netem_loss(self, "change", 0));
	w.stop = true;
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	close(c);
	close(s);
	close(l);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(w.done, r.done);
	EXPECT_LE((size_t)LOSS_LEN, r.done);

	ASSERT_EQ(0, dropped);
	ASSERT_TRUE(wa.seen);
	ASSERT_LE(10, wa.pre_cwnd);
	if (!strcmp(ca, "cubic")) {
		/* 0.7 cwnd (XTCP), 717/1024 cwnd (Linux): within 2% */
		EXPECT_LE(wa.post_ss, wa.pre_cwnd * 72 / 100 + 1);
		EXPECT_GE(wa.post_ss, wa.pre_cwnd * 68 / 100 - 1);
	} else {
		/* half of cwnd (Linux) or of the flight (XTCP, RFC 5681) */
		EXPECT_LE(wa.post_ss, wa.pre_cwnd / 2 + 1);
		EXPECT_GE(wa.post_ss, 2);
	}
}

TEST_F_TIMEOUT(cong, loss_cubic, 120)
{
	SKIP_IF_NEEDED();
	check_loss(_metadata, self, "cubic");
}

TEST_F_TIMEOUT(cong, loss_reno, 120)
{
	SKIP_IF_NEEDED();
	check_loss(_metadata, self, "reno");
}

XTCP_HARNESS_MAIN
