// SPDX-License-Identifier: GPL-2.0
/*
 * TCP Fast Open (RFC 7413; issue 16), in the variants xtcp_xtcp, xtcp_tcp,
 * tcp_xtcp and the tcp_tcp reference (client first, server second; client
 * in ns[0], server in ns[1]). XTCP's Fast Open is switched on for both
 * sides with its module parameter fastopen=3, native's with
 * net.ipv4.tcp_fastopen=3 in its netns. Each transaction: the client
 * sends a request, the server's accept()ed socket reads exactly it and
 * answers, the client reads the answer, shuts down, and the server sees
 * EOF right after the request: the request arrived once, whole.
 *
 * exchange: the first sendto(MSG_FASTOPEN) asks for a cookie
 * (TCPFastOpenCookieReqd on the server); the second carries the request
 * in its SYN, as a capture on the client's veth shows, with the SYN-ACK
 * acknowledging it (TCPFastOpenActive, TCPFastOpenPassive); a third with
 * TCP_FASTOPEN_CONNECT, connect() then write(), does the same.
 *
 * fallback: the client has a cookie, but the listener it meets has no
 * TCP_FASTOPEN. The SYN-ACK acknowledges only the SYN and carries no
 * cookie; the client counts TCPFastOpenActiveFail and sends the data
 * again, which the server reads once.
 *
 * bad_cookie: the listener changes its key (TCP_FASTOPEN_KEY) after the
 * client got its cookie. The old cookie is refused (TCPFastOpenPassiveFail,
 * TCPFastOpenActiveFail), the data is delivered once after a plain
 * handshake, and the SYN-ACK carries a new cookie, which the next SYN
 * uses with success.
 *
 * early: the client's pure ACKs are dropped (a tc filter on its veth), so
 * the handshake of a Fast Open connection never completes; the server's
 * accept() returns the child all the same, in SYN_RECV (state 03 in
 * /proc), and it reads the request. The listener's TCP_FASTOPEN of 1 is
 * then used up: the next cookie SYN gets the plain handshake
 * (TCPFastOpenListenOverflow, TCPFastOpenActiveFail) and its data comes
 * after it. With the filter gone, both connections finish.
 *
 * All deterministic: nothing here depends on timing but the deadlines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#ifndef TCP_FASTOPEN_CONNECT
#define TCP_FASTOPEN_CONNECT	30
#endif
#ifndef TCP_FASTOPEN_KEY
#define TCP_FASTOPEN_KEY	33
#endif

#define TFO_PARAM	"/sys/module/xtcp/parameters/fastopen"
#define TFO_QLEN	16
#define TFO_OPT		34	/* RFC 7413 4.1.1 */
#define REPLY_LEN	7

/* net.ipv4.tcp_fastopen of namespace ns */
static int native_tfo(const char *ns, int val)
{
	int ret;

	if (xtcp_test_ns_enter(ns))
		return -1;
	ret = xtcp_test_int_file("/proc/sys/net/ipv4/tcp_fastopen", val);
	xtcp_test_ns_leave();
	return ret == val ? 0 : -1;
}

FIXTURE(tfo) {
	struct xtcp_test_pair pair;
	int old_mode;		/* XTCP's fastopen parameter to restore */
};

XTCP_PAIR_VARIANTS(tfo);

FIXTURE_SETUP(tfo)
{
	int i;

	signal(SIGPIPE, SIG_IGN);
	self->old_mode = -1;
	XTCP_PAIR_SETUP("xtcp-tfo", variant->client_xtcp,
			variant->server_xtcp);
	/*
	 * The baseline module has no such parameter: its variants then run
	 * and fail on what they assert, not here.
	 */
	if (variant->client_xtcp || variant->server_xtcp) {
		self->old_mode = xtcp_test_int_file(TFO_PARAM, -1);
		if (self->old_mode >= 0)
			ASSERT_EQ(3, xtcp_test_int_file(TFO_PARAM, 3));
	}
	for (i = 0; i < 2; i++)
		if (!self->pair.net.xtcp[i])
			ASSERT_EQ(0, native_tfo(self->pair.net.ns[i], 3));
}

FIXTURE_TEARDOWN(tfo)
{
	XTCP_PAIR_TEARDOWN(10000);
	if (self->old_mode >= 0)
		xtcp_test_int_file(TFO_PARAM, self->old_mode);
}

/* a tc filter on the client's veth0 that drops its pure ACKs, or none */
static int drop_pure_acks(struct _test_data_tfo *self, bool on)
{
	const char *ns = self->pair.net.ns[0];

	if (!on)
		return xtcp_test_run("ip netns exec %s tc qdisc del dev veth0 clsact",
				     ns);
	/*
	 * Modules on Debian's kernel (tc does not load them), built in on
	 * the debug kernel (scripts/vm/debug.config).
	 */
	xtcp_test_run("modprobe -q -a sch_ingress cls_u32 act_gact 2>/dev/null");
	/* no IP options on either stack: the TCP flags are at 20 + 13 */
	if (xtcp_test_run("ip netns exec %s tc qdisc add dev veth0 clsact",
			  ns))
		return -1;
	return xtcp_test_run("ip netns exec %s tc filter add dev veth0 egress protocol ip u32 match ip protocol 6 0xff match u8 0x10 0xff at 33 action drop",
			     ns);
}

/* a Fast Open counter of one side: XTCP's xtcp_stat, or native TcpExt */
static long long counter(struct _test_data_tfo *self, int side,
			 const char *name)
{
	if (self->pair.net.xtcp[side])
		return xtcp_test_counter(self->pair.net.ns[side], name);
	return xtcp_test_netstat(self->pair.net.ns[side], name);
}

struct tfo_counts {
	long long active, active_fail, passive, passive_fail, reqd;
};

static void counts(struct _test_data_tfo *self, struct tfo_counts *c)
{
	c->active = counter(self, 0, "TCPFastOpenActive");
	c->active_fail = counter(self, 0, "TCPFastOpenActiveFail");
	c->passive = counter(self, 1, "TCPFastOpenPassive");
	c->passive_fail = counter(self, 1, "TCPFastOpenPassiveFail");
	c->reqd = counter(self, 1, "TCPFastOpenCookieReqd");
}

/* qlen < 0: no TCP_FASTOPEN; after: set it after listen() */
static int srv_listen(struct _test_data_tfo *self, int qlen, bool after,
		      const void *key)
{
	struct sockaddr_in sin;
	int l, one = 1;

	l = xtcp_test_socket(self->pair.net.ns[1],
			     xtcp_test_sock_family(self->pair.net.xtcp[1]),
			     SOCK_STREAM);
	if (l < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (key && setsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, key, 16)) ||
	    (qlen >= 0 && !after &&
	     setsockopt(l, SOL_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen))) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 16) ||
	    (qlen >= 0 && after &&
	     setsockopt(l, SOL_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)))) {
		close(l);
		return -1;
	}
	return l;
}

static int cli_socket(struct _test_data_tfo *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

/* len bytes from fd within the deadline; 0 on success */
static int read_full(int fd, void *buf, size_t len)
{
	long long deadline = xtcp_test_now_ms() +
			     10000LL * xtcp_test_timeout_scale();
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, 100) < 0)
			return -1;
		if (xtcp_test_now_ms() > deadline)
			return -1;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		got += n;
	}
	return 0;
}

/* EOF on fd within the deadline: 0, else what came instead */
static int read_eof(int fd)
{
	char b;
	struct timeval tv = { .tv_sec = 10 * xtcp_test_timeout_scale() };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return -1;
	return recv(fd, &b, 1, 0) == 0 ? 0 : -1;
}

/*
 * One request/response on client c, already connected (TCP_FASTOPEN_CONNECT)
 * or not (sendto(MSG_FASTOPEN) connects it): see the top of the file.
 */
static void transact(struct __test_metadata *_metadata,
		     struct _test_data_tfo *self, int l, int c,
		     const char *req, bool connected)
{
	size_t len = strlen(req);
	char got[256], reply[REPLY_LEN];
	struct sockaddr_in sin;
	int s;

	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (connected) {
		ASSERT_EQ((ssize_t)len, write(c, req, len));
	} else {
		ASSERT_EQ((ssize_t)len,
			  sendto(c, req, len, MSG_FASTOPEN,
				 (struct sockaddr *)&sin, sizeof(sin)))
			TH_LOG("sendto(MSG_FASTOPEN): %s", strerror(errno));
	}
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(0, read_full(s, got, len));
	ASSERT_EQ(0, memcmp(got, req, len));
	memset(reply, 'R', sizeof(reply));
	ASSERT_EQ(REPLY_LEN, write(s, reply, REPLY_LEN));
	ASSERT_EQ(0, read_full(c, got, REPLY_LEN));
	ASSERT_EQ(0, memcmp(got, reply, REPLY_LEN));
	/* the request came once: nothing follows it but the FIN */
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(0, read_eof(s));
	close(s);
	ASSERT_EQ(0, read_eof(c));
	close(c);
}

/* what the capture saw of one connection's opening */
struct opening {
	bool syn_seen, synack_seen;
	uint32_t isn;
	size_t syn_len;			/* payload bytes of the SYN */
	char syn_data[256];
	int syn_cookie_len;		/* -1: no option, 0: a request */
	unsigned char syn_cookie[16];
	uint32_t synack_ack;
	int synack_cookie_len;
	unsigned char synack_cookie[16];
};

/* the Fast Open option of a TCP header: cookie length, -1 if none */
static int tfo_option(const struct tcphdr *th, unsigned char *cookie)
{
	const unsigned char *p = (const unsigned char *)(th + 1);
	int len = th->doff * 4 - (int)sizeof(*th);

	while (len > 0) {
		if (p[0] == TCPOPT_EOL)
			break;
		if (p[0] == TCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2 || p[1] < 2 || p[1] > len)
			break;
		if (p[0] == TFO_OPT) {
			memcpy(cookie, p + 2, p[1] - 2);
			return p[1] - 2;
		}
		len -= p[1];
		p += p[1];
	}
	return -1;
}

/* SYN (outgoing) and SYN-ACK (incoming) of the connection to the server */
static void parse_opening(int pfd, uint16_t sport, struct opening *o)
{
	unsigned char f[2048];
	struct sockaddr_ll sll;
	socklen_t sl;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	for (;;) {
		const struct iphdr *ip = (const void *)(f + ETH_HLEN);
		const struct tcphdr *th;
		size_t off, plen;

		sl = sizeof(sll);
		n = recvfrom(pfd, f, sizeof(f), MSG_DONTWAIT,
			     (struct sockaddr *)&sll, &sl);
		if (n < 0)
			break;
		if (n < ETH_HLEN + (ssize_t)sizeof(*ip) ||
		    ntohs(((struct ether_header *)f)->ether_type) != ETH_P_IP ||
		    ip->protocol != IPPROTO_TCP)
			continue;
		off = ETH_HLEN + ip->ihl * 4;
		th = (const void *)(f + off);
		if ((size_t)n < off + sizeof(*th) || !th->syn)
			continue;
		plen = ntohs(ip->tot_len) - ip->ihl * 4 - th->doff * 4;
		if (sll.sll_pkttype == PACKET_OUTGOING && !th->ack &&
		    ntohs(th->dest) == sport && !o->syn_seen) {
			o->syn_seen = true;
			o->isn = ntohl(th->seq);
			o->syn_len = plen;
			if (plen <= sizeof(o->syn_data))
				memcpy(o->syn_data,
				       (const char *)th + th->doff * 4, plen);
			o->syn_cookie_len = tfo_option(th, o->syn_cookie);
		} else if (sll.sll_pkttype != PACKET_OUTGOING && th->ack &&
			   ntohs(th->source) == sport && o->syn_seen &&
			   !o->synack_seen) {
			o->synack_seen = true;
			o->synack_ack = ntohl(th->ack_seq);
			o->synack_cookie_len = tfo_option(th, o->synack_cookie);
		}
	}
}

TEST_F(tfo, exchange)
{
	static const char req1[] = "GET /first";
	static const char req2[] = "GET /second, in the SYN";
	static const char req3[] = "GET /third, TCP_FASTOPEN_CONNECT";
	struct tfo_counts c0, c1;
	struct sockaddr_in sin;
	struct opening o;
	int l, c, pfd, val;
	socklen_t vl = sizeof(val);

	SKIP_IF_NEEDED();
	/* TCP_FASTOPEN after listen(), as Linux allows */
	l = srv_listen(self, TFO_QLEN, true, NULL);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, getsockopt(l, SOL_TCP, TCP_FASTOPEN, &val, &vl));
	ASSERT_EQ(TFO_QLEN, val);
	counts(self, &c0);

	/* 1: no cookie yet, the SYN asks for one */
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req1, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	ASSERT_EQ((size_t)0, o.syn_len);
	ASSERT_EQ(0, o.syn_cookie_len);
	ASSERT_EQ(8, o.synack_cookie_len);
	ASSERT_EQ(o.isn + 1, o.synack_ack);
	counts(self, &c1);
	ASSERT_EQ(c0.reqd + 1, c1.reqd);
	ASSERT_EQ(c0.active, c1.active);
	ASSERT_EQ(c0.passive, c1.passive);

	/* 2: the cookie and the request ride in the SYN */
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req2, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	ASSERT_EQ(strlen(req2), o.syn_len);
	ASSERT_EQ(0, memcmp(o.syn_data, req2, o.syn_len));
	ASSERT_EQ(8, o.syn_cookie_len);
	/* the SYN-ACK acknowledges the data */
	ASSERT_EQ(o.isn + 1 + strlen(req2), o.synack_ack);
	counts(self, &c0);
	ASSERT_EQ(c1.active + 1, c0.active);
	ASSERT_EQ(c1.passive + 1, c0.passive);
	ASSERT_EQ(c1.active_fail, c0.active_fail);
	ASSERT_EQ(c1.passive_fail, c0.passive_fail);

	/* 3: TCP_FASTOPEN_CONNECT: connect() returns, write() sends SYN */
	c = cli_socket(self);
	ASSERT_LE(0, c);
	val = 1;
	ASSERT_EQ(0, setsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &val,
				sizeof(val)));
	val = 0;
	vl = sizeof(val);
	ASSERT_EQ(0, getsockopt(c, SOL_TCP, TCP_FASTOPEN_CONNECT, &val, &vl));
	ASSERT_EQ(1, val);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	transact(_metadata, self, l, c, req3, true);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	ASSERT_EQ(strlen(req3), o.syn_len);
	ASSERT_EQ(0, memcmp(o.syn_data, req3, o.syn_len));
	ASSERT_EQ(o.isn + 1 + strlen(req3), o.synack_ack);
	counts(self, &c1);
	ASSERT_EQ(c0.active + 1, c1.active);
	ASSERT_EQ(c0.passive + 1, c1.passive);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
	close(pfd);
	close(l);
}

TEST_F(tfo, fallback)
{
	static const char req1[] = "cookie, please";
	static const char req2[] = "sent twice, read once";
	struct tfo_counts c0, c1;
	struct opening o;
	int l, c, pfd;

	SKIP_IF_NEEDED();
	l = srv_listen(self, TFO_QLEN, false, NULL);
	ASSERT_LE(0, l);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req1, false);
	close(l);

	/* the same port, now without Fast Open */
	l = srv_listen(self, -1, false, NULL);
	ASSERT_LE(0, l);
	counts(self, &c0);
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req2, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	/* the client tried ... */
	ASSERT_EQ(8, o.syn_cookie_len);
	ASSERT_EQ(strlen(req2), o.syn_len);
	/* ... and the server took only the SYN, giving no cookie */
	ASSERT_EQ(o.isn + 1, o.synack_ack);
	ASSERT_EQ(-1, o.synack_cookie_len);
	counts(self, &c1);
	ASSERT_EQ(c0.active_fail + 1, c1.active_fail);
	ASSERT_EQ(c0.active, c1.active);
	ASSERT_EQ(c0.passive, c1.passive);
	ASSERT_EQ(c0.passive_fail, c1.passive_fail);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
	close(pfd);
	close(l);
}

TEST_F(tfo, bad_cookie)
{
	static const unsigned char key_a[16] = "0123456789abcdef";
	static const unsigned char key_b[16] = "fedcba9876543210";
	static const char req1[] = "cookie, please";
	static const char req2[] = "a stale cookie";
	static const char req3[] = "the new cookie";
	unsigned char got_key[32], old_cookie[16];
	socklen_t kl = sizeof(got_key);
	struct tfo_counts c0, c1;
	struct opening o;
	int l, c, pfd;

	SKIP_IF_NEEDED();
	l = srv_listen(self, TFO_QLEN, false, key_a);
	ASSERT_LE(0, l);
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req1, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_EQ(8, o.synack_cookie_len);
	memcpy(old_cookie, o.synack_cookie, 8);

	/* the listener's key changes: the client's cookie goes stale */
	ASSERT_EQ(0, setsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, key_b,
				sizeof(key_b)));
	ASSERT_EQ(0, getsockopt(l, SOL_TCP, TCP_FASTOPEN_KEY, got_key, &kl));
	ASSERT_EQ(16U, kl);
	ASSERT_EQ(0, memcmp(got_key, key_b, 16));
	counts(self, &c0);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req2, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	ASSERT_EQ(8, o.syn_cookie_len);
	ASSERT_EQ(0, memcmp(o.syn_cookie, old_cookie, 8));
	ASSERT_EQ(strlen(req2), o.syn_len);
	/* plain handshake: the data not taken, a new cookie given */
	ASSERT_EQ(o.isn + 1, o.synack_ack);
	ASSERT_EQ(8, o.synack_cookie_len);
	ASSERT_NE(0, memcmp(o.synack_cookie, old_cookie, 8));
	memcpy(old_cookie, o.synack_cookie, 8);
	counts(self, &c1);
	ASSERT_EQ(c0.passive_fail + 1, c1.passive_fail);
	ASSERT_EQ(c0.active_fail + 1, c1.active_fail);
	ASSERT_EQ(c0.passive, c1.passive);
	ASSERT_EQ(c0.active, c1.active);

	/* the new cookie works */
	c = cli_socket(self);
	ASSERT_LE(0, c);
	transact(_metadata, self, l, c, req3, false);
	parse_opening(pfd, self->pair.port, &o);
	ASSERT_TRUE(o.syn_seen && o.synack_seen);
	ASSERT_EQ(8, o.syn_cookie_len);
	ASSERT_EQ(0, memcmp(o.syn_cookie, old_cookie, 8));
	ASSERT_EQ(o.isn + 1 + strlen(req3), o.synack_ack);
	counts(self, &c0);
	ASSERT_EQ(c1.passive + 1, c0.passive);
	ASSERT_EQ(c1.active + 1, c0.active);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
	close(pfd);
	close(l);
}

TEST_F(tfo, early)
{
	static const char req1[] = "cookie, please";
	static const char req2[] = "read before the handshake ends";
	static const char req3[] = "over the queue length";
	long long ovf0, ovf1;
	struct sockaddr_in sin;
	struct tfo_counts c0, c1;
	char got[64], reply[REPLY_LEN];
	int l, c2, c3, s2, s3, st;

	SKIP_IF_NEEDED();
	l = srv_listen(self, 1, false, NULL);
	ASSERT_LE(0, l);
	c2 = cli_socket(self);
	ASSERT_LE(0, c2);
	transact(_metadata, self, l, c2, req1, false);

	ASSERT_EQ(0, drop_pure_acks(self, true));
	counts(self, &c0);
	ovf0 = counter(self, 1, "TCPFastOpenListenOverflow");
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);

	/* the SYN-ACK is never acknowledged, yet the child is accept()ed */
	c2 = cli_socket(self);
	ASSERT_LE(0, c2);
	ASSERT_EQ((ssize_t)strlen(req2),
		  sendto(c2, req2, strlen(req2), MSG_FASTOPEN,
			 (struct sockaddr *)&sin, sizeof(sin)));
	s2 = accept(l, NULL, NULL);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, read_full(s2, got, strlen(req2)));
	ASSERT_EQ(0, memcmp(got, req2, strlen(req2)));
	st = xtcp_test_sk_state(self->pair.net.ns[1], self->pair.net.xtcp[1],
				self->pair.port, xtcp_test_local_port(c2));
	ASSERT_EQ(XTCP_TEST_SYN_RECV, st);

	/* the one slot is taken: a plain handshake, the data after it */
	c3 = cli_socket(self);
	ASSERT_LE(0, c3);
	ASSERT_EQ((ssize_t)strlen(req3),
		  sendto(c3, req3, strlen(req3), MSG_FASTOPEN,
			 (struct sockaddr *)&sin, sizeof(sin)));
	s3 = accept(l, NULL, NULL);
	ASSERT_LE(0, s3);
	ASSERT_EQ(0, read_full(s3, got, strlen(req3)));
	ASSERT_EQ(0, memcmp(got, req3, strlen(req3)));
	counts(self, &c1);
	ovf1 = counter(self, 1, "TCPFastOpenListenOverflow");
	ASSERT_EQ(ovf0 + 1, ovf1);
	ASSERT_EQ(c0.passive + 1, c1.passive);
	ASSERT_EQ(c0.active + 1, c1.active);
	ASSERT_EQ(c0.active_fail + 1, c1.active_fail);

	/* the ACKs flow again: both finish */
	ASSERT_EQ(0, drop_pure_acks(self, false));
	memset(reply, 'R', sizeof(reply));
	ASSERT_EQ(REPLY_LEN, write(s2, reply, REPLY_LEN));
	ASSERT_EQ(REPLY_LEN, write(s3, reply, REPLY_LEN));
	ASSERT_EQ(0, read_full(c2, got, REPLY_LEN));
	ASSERT_EQ(0, read_full(c3, got, REPLY_LEN));
	ASSERT_EQ(0, shutdown(c2, SHUT_WR));
	ASSERT_EQ(0, shutdown(c3, SHUT_WR));
	ASSERT_EQ(0, read_eof(s2));
	ASSERT_EQ(0, read_eof(s3));
	close(s2);
	close(s3);
	ASSERT_EQ(0, read_eof(c2));
	ASSERT_EQ(0, read_eof(c3));
	close(c2);
	close(c3);
	close(l);
}

XTCP_HARNESS_MAIN
