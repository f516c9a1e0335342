// SPDX-License-Identifier: GPL-2.0
/*
 * What XTCP puts on the wire below the payload: IPv4 IDs, TOS and TTL,
 * PSH, and the size of GSO packets. Every check reads frames from an
 * AF_PACKET socket on veth0, the client's device, and runs in the four
 * variants of sock_api.c (client/server: xtcp_xtcp, xtcp_tcp, tcp_xtcp and
 * tcp_tcp as the reference that shows Linux behaves as asserted).
 *
 *   ns[0]: client, veth0 192.0.2.1     ns[1]: server, veth1 192.0.2.2
 *          + capture socket on veth0
 *
 * ip_id_probe   (issue 15 item 3) an off-path prober pings the server,
 *               sends N spoofed in-window RSTs (challenge ACKs, one per
 *               500 ms, the rest counted as skipped), and
 *               pings again. XTCP's echo replies carry ID 0 with DF, so
 *               their IDs are the same whatever N is, and the server's
 *               connection numbers its packets with a counter of its own:
 *               its IDs run on by one per packet, across the pings, as
 *               Linux's inet_id does. With one counter per link (the old
 *               code) the replies' ID step is N + 1 and the connection's
 *               IDs jump over every reply.
 * gso_limits    (item 12) the client's device gets gso_max_size 8000, then
 *               also gso_max_segs 3, then TSO off; a 512 KiB transfer
 *               arrives intact and no packet the client hands the device
 *               (PACKET_OUTGOING) exceeds the limits, while most bytes
 *               still leave in GSO packets the device segments. The 6.1
 *               core guards the device itself: gso_features_check() sends
 *               a GSO packet over either limit through software
 *               segmentation before the taps, so the tap never shows an
 *               oversized packet even from the old code; what the old
 *               code loses is the offload, as nearly all its bytes reach
 *               the device cut to the MTU in software. That share is what
 *               fails there. Without TSO the core segments everything, so
 *               the third configuration holds with or without the fix.
 * psh           (item 15) one write() of 1,000 bytes, then one of 100 KB:
 *               the segment ending each carries PSH. The capture is the
 *               sender's PACKET_OUTGOING with TSO off on veth0, so the tap
 *               sees the segments the wire carries after the core's
 *               software GSO (a receive-side capture would see what GRO
 *               merged). For an XTCP sender, PSH is on no other segment.
 *               The client's SO_SNDBUF holds the whole write: a write
 *               that waits for buffer space first pushes what it has,
 *               with PSH, as tcp_sendmsg_locked() does before
 *               sk_stream_wait_memory(), and on a slow kernel (the debug
 *               one) the 100 KB write waited and drew such a PSH.
 * ip_opts       (item 17) SOL_IP round trips and errno, as Linux's
 *               do_ip_setsockopt() gives them, on a client and a server
 *               socket; then IP_TOS/IP_TTL on the client and on the
 *               listener, and IP_MTU_DISCOVER DONT on the client: every
 *               packet of the connection, the SYN-ACK and the client's RST
 *               included, carries them (the client's without DF, the
 *               server's with it), and the accepted socket answers the
 *               listener's values.
 *
 * Deterministic: frames are read after the fact, all within one veth pair
 * and in the order the taps saw them.
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
#include <netinet/ip_icmp.h>
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

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define ECHO_IDENT	0x5a5a
#define RST_COUNT	20
#define BULK_LEN	(512 * 1024)
#define PSH_SMALL	1000
#define PSH_LARGE	(100 * 1000)
#define GSO_SIZE	8000
#define GSO_SEGS	3

FIXTURE(wire) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(wire);

FIXTURE_SETUP(wire)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-wire", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(wire)
{
	XTCP_PAIR_TEARDOWN(10000);
}

/* --- sockets -------------------------------------------------------- */

static int cli_socket(FIXTURE_DATA(wire) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

static int srv_socket(FIXTURE_DATA(wire) *self)
{
	return xtcp_test_socket(self->pair.net.ns[1],
				xtcp_test_sock_family(self->pair.net.xtcp[1]),
				SOCK_STREAM);
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static int get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val = -12345;

	if (getsockopt(fd, level, name, &val, &len) || len != sizeof(int))
		return -12345;
	return val;
}

/* A listener on port, with IP_TOS/IP_TTL set first when >= 0. */
static int srv_listen(FIXTURE_DATA(wire) *self, uint16_t port, int tos,
		      int ttl)
{
	struct sockaddr_in sin;
	int l = srv_socket(self);

	if (l < 0)
		return -1;
	if (set_int(l, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    (tos >= 0 && set_int(l, SOL_IP, IP_TOS, tos)) ||
	    (ttl >= 0 && set_int(l, SOL_IP, IP_TTL, ttl)))
		goto err;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, port);
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 4))
		goto err;
	return l;
err:
	close(l);
	return -1;
}

/* A connected client, with IP_TOS/IP_TTL/IP_MTU_DISCOVER set when >= 0 */
static int cli_connect_fd(FIXTURE_DATA(wire) *self, uint16_t port, int tos,
			  int ttl, int pmtudisc)
{
	struct sockaddr_in sin;
	int c = cli_socket(self);

	if (c < 0)
		return -1;
	if ((tos >= 0 && set_int(c, SOL_IP, IP_TOS, tos)) ||
	    (ttl >= 0 && set_int(c, SOL_IP, IP_TTL, ttl)) ||
	    (pmtudisc >= 0 &&
	     set_int(c, SOL_IP, IP_MTU_DISCOVER, pmtudisc)))
		goto err;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, port);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		goto err;
	return c;
err:
	close(c);
	return -1;
}

static int cli_connect(FIXTURE_DATA(wire) *self, uint16_t port, int tos,
		       int ttl)
{
	return cli_connect_fd(self, port, tos, ttl, -1);
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* --- frames --------------------------------------------------------- */

struct frame {
	int pkttype;		/* PACKET_OUTGOING, PACKET_HOST, ... */
	size_t len;		/* the whole frame, as the tap saw it */
	struct iphdr ip;
	bool tcp;
	struct tcphdr th;
	size_t payload;
	bool icmp;
	struct icmphdr icmph;
};

/* The next IPv4 frame the capture holds; false when there is none. */
static bool next_frame(int fd, struct frame *f)
{
	static unsigned char buf[128 * 1024];
	struct sockaddr_ll sll;
	socklen_t alen;
	const struct iphdr *ip;
	size_t hl;
	ssize_t n;

	for (;;) {
		alen = sizeof(sll);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&sll, &alen);
		if (n < 0)
			return false;
		if (n < (ssize_t)(ETH_HLEN + sizeof(*ip)) ||
		    (size_t)n > sizeof(buf) || buf[12] != 0x08 || buf[13])
			continue;
		memset(f, 0, sizeof(*f));
		f->pkttype = sll.sll_pkttype;
		f->len = (size_t)n;
		ip = (const struct iphdr *)(buf + ETH_HLEN);
		memcpy(&f->ip, ip, sizeof(*ip));
		hl = ip->ihl * 4u;
		if (ip->protocol == IPPROTO_TCP &&
		    (size_t)n >= ETH_HLEN + hl + sizeof(f->th)) {
			memcpy(&f->th, (const char *)ip + hl, sizeof(f->th));
			f->tcp = true;
			f->payload = (size_t)n - ETH_HLEN - hl - f->th.doff * 4u;
		} else if (ip->protocol == IPPROTO_ICMP &&
			   (size_t)n >= ETH_HLEN + hl + sizeof(f->icmph)) {
			memcpy(&f->icmph, (const char *)ip + hl,
			       sizeof(f->icmph));
			f->icmp = true;
		}
		return true;
	}
}

/* a TCP frame of the connection between cport and sport, either way */
static bool conn_frame(const struct frame *f, uint16_t cport, uint16_t sport,
		       bool from_client)
{
	if (!f->tcp)
		return false;
	if (from_client)
		return ntohs(f->th.source) == cport &&
		       ntohs(f->th.dest) == sport;
	return ntohs(f->th.source) == sport && ntohs(f->th.dest) == cport;
}

static uint16_t csum_of(const void *p, size_t len)
{
	return htons(xtcp_test_csum_fold(xtcp_test_csum_add(0, p, len)));
}

static void ip_fill(struct iphdr *ip, size_t len, uint8_t proto)
{
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)len);
	ip->id = htons(0x4242);
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = inet_addr(XTCP_TEST_ADDR0);
	ip->daddr = inet_addr(XTCP_TEST_ADDR1);
	ip->check = csum_of(ip, sizeof(*ip));
}

/* Sends a frame from veth0 (the client's MAC) to veth1 */
struct injector {
	int fd;
	struct sockaddr_ll to;
	unsigned char smac[ETH_ALEN];
};

static int inject(struct injector *in, unsigned char *frame, size_t len)
{
	struct ether_header *eth = (struct ether_header *)frame;

	memcpy(eth->ether_dhost, in->to.sll_addr, ETH_ALEN);
	memcpy(eth->ether_shost, in->smac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	return sendto(in->fd, frame, len, 0, (struct sockaddr *)&in->to,
		      sizeof(in->to)) == (ssize_t)len ? 0 : -1;
}

static int send_echo(struct injector *in, uint16_t seq)
{
	unsigned char f[ETH_HLEN + sizeof(struct iphdr) + 8 + 32] = { 0 };
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	struct icmphdr *icmph = (struct icmphdr *)(ip + 1);

	icmph->type = ICMP_ECHO;
	icmph->un.echo.id = htons(ECHO_IDENT);
	icmph->un.echo.sequence = htons(seq);
	memset(icmph + 1, 'p', 32);
	icmph->checksum = csum_of(icmph, 8 + 32);
	ip_fill(ip, sizeof(*ip) + 8 + 32, IPPROTO_ICMP);
	return inject(in, f, sizeof(f));
}

static int send_rst(struct injector *in, uint16_t cport, uint16_t sport,
		    uint32_t seq)
{
	unsigned char f[ETH_HLEN + sizeof(struct iphdr) +
			sizeof(struct tcphdr)] = { 0 };
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);

	ip_fill(ip, sizeof(*ip) + sizeof(*th), IPPROTO_TCP);
	th->source = htons(cport);
	th->dest = htons(sport);
	th->seq = htonl(seq);
	th->doff = 5;
	th->rst = 1;
	th->check = htons(xtcp_test_tcp_csum(ip, th, sizeof(*th)));
	return inject(in, f, sizeof(f));
}

/* --- item 3: IPv4 IDs ----------------------------------------------- */

struct id_probe {
	uint32_t client_isn;
	bool have_isn;
	/* IDs of the server's connection packets after the SYN-ACK */
	uint16_t conn_ids[256];
	int nr_conn;
	int challenge;		/* bare ACKs of the server after the RSTs */
	uint16_t reply_id[4];
	bool reply_df[4];
	int nr_replies;
};

static void id_collect(int pfd, uint16_t cport, uint16_t sport,
		       struct id_probe *p, bool after_rsts)
{
	struct frame f;

	while (next_frame(pfd, &f)) {
		if (f.pkttype == PACKET_OUTGOING) {
			if (conn_frame(&f, cport, sport, true) && f.th.syn) {
				p->client_isn = ntohl(f.th.seq);
				p->have_isn = true;
			}
			continue;
		}
		if (f.icmp && f.icmph.type == ICMP_ECHOREPLY &&
		    ntohs(f.icmph.un.echo.id) == ECHO_IDENT &&
		    p->nr_replies < 4) {
			p->reply_id[p->nr_replies] = ntohs(f.ip.id);
			p->reply_df[p->nr_replies] =
				!!(ntohs(f.ip.frag_off) & IP_DF);
			p->nr_replies++;
			continue;
		}
		if (!conn_frame(&f, cport, sport, false) || f.th.syn)
			continue;
		if (p->nr_conn < 256)
			p->conn_ids[p->nr_conn++] = ntohs(f.ip.id);
		if (after_rsts && !f.payload && !f.th.rst)
			p->challenge++;
	}
}

/* Pings, sends n in-window RSTs, pings again; waits for both replies. */
static void id_round(struct __test_metadata *_metadata, int pfd,
		     struct injector *in, uint16_t cport, uint16_t sport,
		     uint32_t rcv_nxt, int n, struct id_probe *p)
{
	long long deadline;
	int i;

	p->nr_replies = 0;
	p->challenge = 0;
	ASSERT_EQ(0, send_echo(in, 1));
	for (i = 0; i < n; i++)
		ASSERT_EQ(0, send_rst(in, cport, sport,
				      rcv_nxt + 1000 + (uint32_t)i * 7));
	ASSERT_EQ(0, send_echo(in, 2));
	deadline = xtcp_test_now_ms() + 5000LL * xtcp_test_timeout_scale();
	do {
		id_collect(pfd, cport, sport, p, true);
		if (p->nr_replies >= 2 && (!n || p->challenge))
			break;
		xtcp_test_msleep(10);
	} while (xtcp_test_now_ms() < deadline);
	ASSERT_EQ(2, p->nr_replies) TH_LOG("echo replies seen: %d",
					   p->nr_replies);
	if (n)
		ASSERT_LT(0, p->challenge) TH_LOG("no challenge ACK seen");
}

TEST_F(wire, ip_id_probe)
{
	const char *sns = self->pair.net.ns[1];
	struct id_probe p = { 0 };
	struct injector in;
	long long ca0 = 0, ca1, sk0 = 0;
	uint16_t cport, step0, step1;
	char buf[10] = "0123456789";
	int l, c, s, i, pfd, ifindex;

	SKIP_IF_NEEDED();
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	memset(&in, 0, sizeof(in));
	in.fd = pfd;
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[0], "veth0", in.smac,
				      &ifindex));
	ASSERT_EQ(0, xtcp_test_mac(sns, "veth1", in.to.sll_addr, NULL));
	in.to.sll_family = AF_PACKET;
	in.to.sll_ifindex = ifindex;
	in.to.sll_halen = ETH_ALEN;

	l = srv_listen(self, self->pair.port, -1, -1);
	ASSERT_LE(0, l);
	c = cli_connect(self, self->pair.port, -1, -1);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	cport = xtcp_test_local_port(c);

	/* the server's connection sends two data packets at least */
	ASSERT_EQ(10, write(c, buf, 10));
	ASSERT_EQ(0, read_full(s, buf, 10));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(10, write(s, buf, 10));
		ASSERT_EQ(0, read_full(c, buf, 10));
	}
	id_collect(pfd, cport, self->pair.port, &p, false);
	ASSERT_TRUE(p.have_isn) TH_LOG("client SYN not captured");

	if (self->pair.net.xtcp[1]) {
		ca0 = xtcp_test_counter(sns, "ChallengeAcks");
		sk0 = xtcp_test_counter(sns, "TCPACKSkippedChallenge");
	}
	id_round(_metadata, pfd, &in, cport, self->pair.port,
		 p.client_isn + 1 + 10, 0, &p);
	step0 = (uint16_t)(p.reply_id[1] - p.reply_id[0]);
	id_round(_metadata, pfd, &in, cport, self->pair.port,
		 p.client_isn + 1 + 10, RST_COUNT, &p);
	step1 = (uint16_t)(p.reply_id[1] - p.reply_id[0]);
	TH_LOG("echo reply ID steps: %u without RSTs, %u with %d; %d challenge ACK(s) seen",
	       step0, step1, RST_COUNT, p.challenge);

	if (self->pair.net.xtcp[1]) {
		/*
		 * The RSTs were in the window: challenge ACKs, one per
		 * invalid_ratelimit (500 ms) as Linux's, the rest skipped
		 */
		ca1 = xtcp_test_counter(sns, "ChallengeAcks");
		ASSERT_LT(ca0, ca1);
		ASSERT_EQ(ca1 - ca0, p.challenge);
		ASSERT_EQ(RST_COUNT, ca1 - ca0 +
			  xtcp_test_counter(sns, "TCPACKSkippedChallenge") -
			  sk0);
		/* what no connection owns: ID 0, DF (Linux's rule for DF) */
		for (i = 0; i < 2; i++) {
			ASSERT_EQ(0, p.reply_id[i]);
			ASSERT_TRUE(p.reply_df[i]);
		}
		ASSERT_EQ(step0, step1) TH_LOG("the ID step reveals the RSTs");
	}

	/*
	 * The connection's own counter, in every variant: one ID per packet
	 * (none is GSO here), not shared with the echo replies in between.
	 */
	ASSERT_LE(3, p.nr_conn);
	for (i = 1; i < p.nr_conn; i++)
		ASSERT_EQ((uint16_t)(p.conn_ids[i - 1] + 1), p.conn_ids[i])
			TH_LOG("server packet %d of the connection: ID %u after %u",
			       i, p.conn_ids[i], p.conn_ids[i - 1]);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));

	close(c);
	close(s);
	close(l);
	close(pfd);
}

/* --- item 12: GSO limits -------------------------------------------- */

/* Moves len PRNG bytes from c to s through nonblocking fds; 0: intact. */
static int pump(int c, int s, size_t len, uint64_t seed)
{
	struct xtcp_test_prng tx, rx;
	static unsigned char out[65536], in[65536], want[65536];
	size_t sent = 0, got = 0, pend = 0, off = 0;
	long long deadline;
	struct pollfd pfd[2];
	ssize_t n;

	xtcp_test_prng_init(&tx, seed);
	xtcp_test_prng_init(&rx, seed);
	fcntl(c, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	deadline = xtcp_test_now_ms() + 60000LL * xtcp_test_timeout_scale();
	while (got < len) {
		if (xtcp_test_now_ms() > deadline)
			return -1;
		pfd[0].fd = c;
		pfd[0].events = sent < len ? POLLOUT : 0;
		pfd[1].fd = s;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) < 0)
			return -1;
		if (sent < len && (pfd[0].revents & POLLOUT)) {
			if (!pend) {
				pend = len - sent < sizeof(out) ?
				       len - sent : sizeof(out);
				xtcp_test_fill(&tx, out, pend);
				off = 0;
			}
			n = write(c, out + off, pend);
			if (n > 0) {
				off += (size_t)n;
				pend -= (size_t)n;
				sent += (size_t)n;
			}
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(s, in, sizeof(in));
			if (n <= 0)
				return -1;
			xtcp_test_fill(&rx, want, (size_t)n);
			if (memcmp(in, want, (size_t)n))
				return -1;
			got += (size_t)n;
		}
	}
	return 0;
}

TEST_F(wire, gso_limits)
{
	static const struct {
		const char *ip_args;	/* for `ip link set dev veth0` */
		bool tso;
		unsigned int max_len;	/* frame bytes */
		unsigned int max_segs;
		bool want_gso;		/* some packet above the MTU */
	} conf[] = {
		{ "gso_max_size 8000", true, GSO_SIZE, 0, true },
		{ "gso_max_size 8000 gso_max_segs 3", true, GSO_SIZE,
		  GSO_SEGS, true },
		{ "gso_max_size 65536 gso_max_segs 65535", false,
		  ETH_HLEN + 1500 + 1, 1, false },
	};
	const char *cns = self->pair.net.ns[0];
	unsigned int i, bad;
	size_t bytes, big;
	int l, c, s, pfd, mss;
	uint16_t cport, port;
	struct frame f;

	SKIP_IF_NEEDED();
	for (i = 0; i < sizeof(conf) / sizeof(conf[0]); i++) {
		port = (uint16_t)(self->pair.port + i);
		ASSERT_EQ(0, xtcp_test_run("ip -n %s link set dev veth0 %s",
					   cns, conf[i].ip_args));
		ASSERT_EQ(0, xtcp_test_tso(cns, "veth0", conf[i].tso));
		l = srv_listen(self, port, -1, -1);
		ASSERT_LE(0, l);
		pfd = xtcp_test_capture(cns, "veth0");
		ASSERT_LE(0, pfd);
		c = cli_connect(self, port, -1, -1);
		ASSERT_LE(0, c);
		s = accept(l, NULL, NULL);
		ASSERT_LE(0, s);
		cport = xtcp_test_local_port(c);
		mss = get_int(c, SOL_TCP, TCP_MAXSEG);
		ASSERT_LT(0, mss);

		ASSERT_EQ(0, pump(c, s, BULK_LEN, 1000 + i))
			TH_LOG("%s: transfer broken", conf[i].ip_args);

		bad = 0;
		bytes = big = 0;
		while (next_frame(pfd, &f)) {
			if (f.pkttype != PACKET_OUTGOING ||
			    !conn_frame(&f, cport, port, true))
				continue;
			bytes += f.payload;
			if (f.len > ETH_HLEN + 1500)
				big += f.payload;
			/* gso_features_check() refuses len >= gso_max_size */
			if (f.len >= conf[i].max_len ||
			    (conf[i].max_segs &&
			     f.payload > conf[i].max_segs * (unsigned int)mss)) {
				if (!bad++)
					TH_LOG("%s: a %zu-byte frame, %zu payload bytes (MSS %d)",
					       conf[i].ip_args, f.len,
					       f.payload, mss);
			}
		}
		ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
		ASSERT_EQ(0u, bad) TH_LOG("%s, tso %s: %u packet(s) over the limits",
					 conf[i].ip_args,
					 conf[i].tso ? "on" : "off", bad);
		TH_LOG("%s, tso %s: %zu of %zu bytes in GSO packets",
		       conf[i].ip_args, conf[i].tso ? "on" : "off", big, bytes);
		ASSERT_LE((size_t)BULK_LEN, bytes);
		/* sized for the device: it, not software, segments them */
		if (conf[i].want_gso)
			ASSERT_LE(bytes, 2 * big)
				TH_LOG("%s: most bytes cut to the MTU in software",
				       conf[i].ip_args);
		close(c);
		close(s);
		close(l);
		close(pfd);
	}
}

/* --- item 15: PSH --------------------------------------------------- */

struct writer {
	int fd;
	const void *buf;
	size_t len;
	ssize_t ret;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	w->ret = write(w->fd, w->buf, w->len);
	return NULL;
}

TEST_F(wire, psh)
{
	const size_t ends[2] = { PSH_SMALL, PSH_SMALL + PSH_LARGE };
	static unsigned char buf[PSH_LARGE];
	uint32_t isn = 0, end;
	bool have_isn = false, psh_at[2] = { false, false };
	struct writer w;
	pthread_t th;
	struct frame f;
	int l, c, s, pfd, i, stray = 0;
	uint16_t cport;

	SKIP_IF_NEEDED();
	/* the tap then sees the segments the core's GSO cut */
	ASSERT_EQ(0, xtcp_test_tso(self->pair.net.ns[0], "veth0", false));
	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	l = srv_listen(self, self->pair.port, -1, -1);
	ASSERT_LE(0, l);
	c = cli_connect(self, self->pair.port, -1, -1);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	cport = xtcp_test_local_port(c);
	/* room for the whole write, so that it never waits (see the top) */
	ASSERT_EQ(0, set_int(c, SOL_SOCKET, SO_SNDBUF, 4 * PSH_LARGE));

	memset(buf, 'a', sizeof(buf));
	ASSERT_EQ(PSH_SMALL, write(c, buf, PSH_SMALL));
	ASSERT_EQ(0, read_full(s, buf, PSH_SMALL));
	/* one write() call, however long the receiver takes */
	w.fd = c;
	w.buf = buf;
	w.len = PSH_LARGE;
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_fn, &w));
	ASSERT_EQ(0, read_full(s, buf, PSH_LARGE));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(PSH_LARGE, w.ret);

	while (next_frame(pfd, &f)) {
		if (f.pkttype != PACKET_OUTGOING ||
		    !conn_frame(&f, cport, self->pair.port, true))
			continue;
		if (f.th.syn) {
			isn = ntohl(f.th.seq);
			have_isn = true;
			continue;
		}
		if (!f.payload || !have_isn)
			continue;
		end = ntohl(f.th.seq) - isn - 1 + (uint32_t)f.payload;
		ASSERT_GE((size_t)ETH_HLEN + 1500, f.len) TH_LOG("TSO off, yet GSO");
		for (i = 0; i < 2; i++)
			if (end == ends[i])
				psh_at[i] = psh_at[i] || f.th.psh;
		if (f.th.psh && end != ends[0] && end != ends[1] && !stray++)
			TH_LOG("PSH on a segment ending at %u", end);
	}
	ASSERT_TRUE(have_isn);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));
	ASSERT_TRUE(psh_at[0]) TH_LOG("no PSH at the end of the 1,000-byte write");
	ASSERT_TRUE(psh_at[1]) TH_LOG("no PSH at the end of the 100 KB write");
	/* XTCP marks the end of each write only; Linux may force more */
	if (self->pair.net.xtcp[0])
		ASSERT_EQ(0, stray);

	close(c);
	close(s);
	close(l);
	close(pfd);
}

/* --- item 17: SOL_IP ------------------------------------------------ */

/* Linux's answers for a fresh TCP socket, checked on fd */
static void ip_roundtrips(struct __test_metadata *_metadata, int fd)
{
	static const int bad_ttl[] = { 0, 256, -2, 1000 };
	unsigned char uc;
	socklen_t len;
	int val;
	size_t i;

	/* defaults: the sysctl's TTL, TOS 0, PMTU discovery WANT */
	ASSERT_EQ(64, get_int(fd, SOL_IP, IP_TTL));
	ASSERT_EQ(0, get_int(fd, SOL_IP, IP_TOS));
	ASSERT_EQ(IP_PMTUDISC_WANT, get_int(fd, SOL_IP, IP_MTU_DISCOVER));
	ASSERT_EQ(0, get_int(fd, SOL_IP, IP_RECVERR));
	ASSERT_EQ(0, get_int(fd, SOL_IP, IP_FREEBIND));
	ASSERT_EQ(0, get_int(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT));

	/* IP_TTL: 1..255 or -1 */
	for (i = 0; i < sizeof(bad_ttl) / sizeof(bad_ttl[0]); i++) {
		errno = 0;
		ASSERT_EQ(-1, set_int(fd, SOL_IP, IP_TTL, bad_ttl[i]));
		ASSERT_EQ(EINVAL, errno) TH_LOG("IP_TTL %d", bad_ttl[i]);
	}
	errno = 0;
	ASSERT_EQ(-1, setsockopt(fd, SOL_IP, IP_TTL, &val, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TTL, 33));
	ASSERT_EQ(33, get_int(fd, SOL_IP, IP_TTL));
	uc = 200;
	ASSERT_EQ(0, setsockopt(fd, SOL_IP, IP_TTL, &uc, 1));
	ASSERT_EQ(200, get_int(fd, SOL_IP, IP_TTL));
	/* asked for with less than an int: one byte back */
	uc = 0;
	len = 1;
	ASSERT_EQ(0, getsockopt(fd, SOL_IP, IP_TTL, &uc, &len));
	ASSERT_EQ(1u, len);
	ASSERT_EQ(200, uc);
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TTL, -1));
	ASSERT_EQ(64, get_int(fd, SOL_IP, IP_TTL));

	/* IP_TOS: a stream socket keeps its own ECN bits */
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TOS, 0x2f));
	ASSERT_EQ(0x2c, get_int(fd, SOL_IP, IP_TOS));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TOS, 0x1b8));
	ASSERT_EQ(0xb8, get_int(fd, SOL_IP, IP_TOS));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_TOS, 0));

	/* IP_MTU_DISCOVER: DONT (0) .. OMIT (5) */
	errno = 0;
	ASSERT_EQ(-1, set_int(fd, SOL_IP, IP_MTU_DISCOVER, 6));
	ASSERT_EQ(EINVAL, errno);
	errno = 0;
	ASSERT_EQ(-1, set_int(fd, SOL_IP, IP_MTU_DISCOVER, -1));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT));
	ASSERT_EQ(IP_PMTUDISC_DONT, get_int(fd, SOL_IP, IP_MTU_DISCOVER));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO));
	ASSERT_EQ(IP_PMTUDISC_DO, get_int(fd, SOL_IP, IP_MTU_DISCOVER));

	/* booleans */
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_RECVERR, 5));
	ASSERT_EQ(1, get_int(fd, SOL_IP, IP_RECVERR));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_RECVERR, 0));
	ASSERT_EQ(0, get_int(fd, SOL_IP, IP_RECVERR));
	errno = 0;
	ASSERT_EQ(-1, setsockopt(fd, SOL_IP, IP_FREEBIND, &val, 0));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_FREEBIND, 3));
	ASSERT_EQ(1, get_int(fd, SOL_IP, IP_FREEBIND));
	ASSERT_EQ(0, set_int(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 7));
	ASSERT_EQ(1, get_int(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT));
}

TEST_F(wire, ip_opts)
{
	const int ctos = 0x28, cttl = 33, stos = 0x48, sttl = 44;
	int l, c, s, fd, pfd, nc = 0, ns = 0, bad = 0;
	bool c_rst = false, s_synack = false;
	long long deadline;
	char buf[100] = { 0 };
	uint16_t cport;
	struct frame f;

	SKIP_IF_NEEDED();
	fd = cli_socket(self);
	ASSERT_LE(0, fd);
	ip_roundtrips(_metadata, fd);
	close(fd);
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	ip_roundtrips(_metadata, fd);
	close(fd);

	pfd = xtcp_test_capture(self->pair.net.ns[0], "veth0");
	ASSERT_LE(0, pfd);
	l = srv_listen(self, self->pair.port, stos, sttl);
	ASSERT_LE(0, l);
	/* TCP sends DF only with DO and WANT (ip_dont_fragment()) */
	c = cli_connect_fd(self, self->pair.port, ctos, cttl, IP_PMTUDISC_DONT);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	cport = xtcp_test_local_port(c);
	/* the accepted socket has the listener's settings */
	ASSERT_EQ(stos, get_int(s, SOL_IP, IP_TOS));
	ASSERT_EQ(sttl, get_int(s, SOL_IP, IP_TTL));

	ASSERT_EQ(100, write(c, buf, 100));
	ASSERT_EQ(0, read_full(s, buf, 100));
	ASSERT_EQ(100, write(s, buf, 100));
	/* closed with the server's bytes unread: the client sends RST */
	deadline = xtcp_test_now_ms() + 5000LL * xtcp_test_timeout_scale();
	while (xtcp_test_now_ms() < deadline) {
		struct pollfd p = { .fd = c, .events = POLLIN };

		if (poll(&p, 1, 100) == 1)
			break;
	}
	close(c);
	deadline = xtcp_test_now_ms() + 5000LL * xtcp_test_timeout_scale();
	while (!c_rst && xtcp_test_now_ms() < deadline) {
		while (next_frame(pfd, &f)) {
			bool from_c = conn_frame(&f, cport, self->pair.port,
						 true);

			if (!from_c &&
			    !conn_frame(&f, cport, self->pair.port, false))
				continue;
			if (from_c) {
				nc++;
				c_rst = c_rst || f.th.rst;
			} else {
				ns++;
				s_synack = s_synack || (f.th.syn && f.th.ack);
			}
			/* ECN bits are the stack's: compare the rest */
			if ((f.ip.tos & ~3) != (from_c ? ctos : stos) ||
			    f.ip.ttl != (from_c ? cttl : sttl) ||
			    !!(ntohs(f.ip.frag_off) & IP_DF) == from_c) {
				if (!bad++)
					TH_LOG("%s packet%s%s with TOS 0x%x TTL %u frag_off 0x%x",
					       from_c ? "client" : "server",
					       f.th.syn ? " SYN" : "",
					       f.th.rst ? " RST" : "",
					       f.ip.tos, f.ip.ttl,
					       ntohs(f.ip.frag_off));
			}
		}
		xtcp_test_msleep(10);
	}
	ASSERT_TRUE(c_rst) TH_LOG("client RST not seen");
	ASSERT_TRUE(s_synack);
	ASSERT_LE(3, nc);
	ASSERT_LE(2, ns);
	ASSERT_EQ(0, bad);
	ASSERT_EQ(0, xtcp_test_capture_drops(pfd));

	close(s);
	close(l);
	close(pfd);
}

XTCP_HARNESS_MAIN
