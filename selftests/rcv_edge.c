// SPDX-License-Identifier: GPL-2.0
/*
 * The receive path's edge cases, driven segment by segment (issue 15,
 * items 4, 8 and 14).
 *
 *   ns[0]: the receiver under test, veth0     ns[1]: veth1 with no address;
 *          192.0.2.1, XTCP (variant xtcp)            a raw peer on an
 *          or native TCP (variant tcp, the           AF_PACKET socket plays
 *          reference)                                192.0.2.2 alone
 *
 * The peer answers ARP, accepts the receiver's connect() with a SYN-ACK
 * of its own (MSS 1460, no window scaling, ISN just below 2^32 so that
 * the sequence numbers wrap), and then sends exactly the segments each
 * test needs, with bytes that are a function of their offset from the
 * first byte of the stream, so what the application reads can be checked
 * byte for byte. Whatever ACKs the receiver sends are read back.
 *
 * ofo_wedge: one-byte segments from RCV.NXT + 2000 on, with gaps so that
 * Linux cannot coalesce them, until the receiver counts a drop for lack of
 * buffer (see rcvbuf_drops()); then the hole, [RCV.NXT, +1000) with the receive queue empty and
 * [+1000, +2000) with it not empty. Both must be ACKed and read intact;
 * XTCP must have pruned out-of-order data from the far end for the second.
 *
 * fin_beyond_ofo: [X, X + 10) first, then [RCV.NXT, X) with FIN. The FIN
 * ends the stream: the application reads X - RCV.NXT bytes, then EOF, and
 * the FIN's ACK acknowledges X + 1.
 *
 * sws_window_update (XTCP only): 100-byte segments, each read by the
 * application at once. RFC 9293 3.8.6.2.2: the right edge of the window
 * the receiver offers never moves by less than min(RCV.BUFF / 2, MSS).
 * Linux does not do it this way (it keeps the window's size, a multiple of
 * the MSS, so its right edge follows each segment), so there is no native
 * reference for this one.
 *
 * Deterministic: the peer waits for the receiver's answer to each step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
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

#define PORT		5557
#define PEER_ISN	0xfffff900u	/* RCV.NXT + 2000 wraps past 2^32 */
#define PEER_MSS	1460
#define OFO_START	2000
#define OFO_MAX		400		/* one-byte segments, two apart */
#define SWS_SEGS	24
#define SWS_LEN		100
#define MAX_EDGES	256

struct peer {
	int fd, ifindex;
	unsigned char mac[ETH_ALEN];	/* veth1, ours */
	unsigned char cmac[ETH_ALEN];	/* veth0, the receiver's */
	uint16_t cport;
	uint32_t snd_nxt;		/* our next sequence number */
	uint32_t rcv_nxt;		/* the receiver's, +1 for its SYN */
	bool synced;			/* saw the receiver's SYN */
	bool acked;			/* last_ack is valid */
	uint32_t last_ack;
	uint16_t last_win;
	unsigned int acks;		/* ACKs seen so far */
	/* right edges (SEG.ACK + SEG.WND) of the ACKs, when logging */
	bool log;
	unsigned int nedges;
	uint32_t edges[MAX_EDGES];
};

FIXTURE(edge) {
	struct xtcp_test_pair pair;
	struct peer p;
};

FIXTURE_VARIANT(edge) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(edge, xtcp) { .xtcp = true };
FIXTURE_VARIANT_ADD(edge, tcp) { .xtcp = false };

FIXTURE_SETUP(edge)
{
	self->p.fd = -1;
	XTCP_PAIR_SETUP_BARE("xtcp-edge", variant->xtcp);
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[1], "veth1", self->p.mac,
				   &self->p.ifindex));
	self->p.fd = xtcp_test_packet_socket(self->pair.net.ns[1],
					     self->p.ifindex, false);
	ASSERT_LE(0, self->p.fd);
}

FIXTURE_TEARDOWN(edge)
{
	if (self->p.fd >= 0)
		close(self->p.fd);
	XTCP_PAIR_TEARDOWN(10000);
}

static bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* the stream's byte at offset off from its first byte */
static unsigned char pattern(uint32_t off)
{
	return (unsigned char)((off * 167u) ^ (off >> 7) ^ 0x5a);
}

static void fill(unsigned char *buf, uint32_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(off + (uint32_t)i);
}

static int peer_send(struct peer *p, uint32_t seq, uint8_t flags,
		     const void *opts, size_t optlen,
		     const void *data, size_t len)
{
	unsigned char frame[2048];
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR1),
		.daddr = inet_addr(XTCP_TEST_ADDR0),
		.sport = PORT,
		.dport = p->cport,
		.seq = seq,
		.ack = p->rcv_nxt,
		.flags = flags,
		.window = 65535,
		.opts = opts,
		.optlen = optlen,
		.data = data,
		.len = len,
	};
	size_t n;

	memcpy(seg.dmac, p->cmac, ETH_ALEN);
	memcpy(seg.smac, p->mac, ETH_ALEN);
	n = xtcp_test_tcp_frame(frame, sizeof(frame), &seg);
	if (!n)
		return -1;
	return xtcp_test_packet_send(p->fd, p->ifindex, frame, n) ==
	       (ssize_t)n ? 0 : -1;
}

static void peer_arp(struct peer *p, const unsigned char *buf, size_t n)
{
	const struct ether_arp *req = (const void *)(buf + ETH_HLEN);
	unsigned char frame[ETH_HLEN + sizeof(struct ether_arp)];
	struct ether_header *eth = (struct ether_header *)frame;
	struct ether_arp *rep = (struct ether_arp *)(frame + ETH_HLEN);
	in_addr_t me = inet_addr(XTCP_TEST_ADDR1);

	if (n < sizeof(frame) || ntohs(req->ea_hdr.ar_op) != ARPOP_REQUEST ||
	    memcmp(req->arp_tpa, &me, 4))
		return;
	memcpy(eth->ether_dhost, req->arp_sha, ETH_ALEN);
	memcpy(eth->ether_shost, p->mac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_ARP);
	rep->ea_hdr = req->ea_hdr;
	rep->ea_hdr.ar_op = htons(ARPOP_REPLY);
	memcpy(rep->arp_sha, p->mac, ETH_ALEN);
	memcpy(rep->arp_spa, &me, 4);
	memcpy(rep->arp_tha, req->arp_sha, ETH_ALEN);
	memcpy(rep->arp_tpa, req->arp_spa, 4);
	xtcp_test_packet_send(p->fd, p->ifindex, frame, sizeof(frame));
}

static void peer_tcp(struct peer *p, const unsigned char *buf, size_t n)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	const struct iphdr *ip = (const void *)(buf + ETH_HLEN);
	const struct tcphdr *th;

	if (n < ETH_HLEN + sizeof(*ip) + sizeof(*th) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP ||
	    ip->saddr != inet_addr(XTCP_TEST_ADDR0) ||
	    ip->daddr != inet_addr(XTCP_TEST_ADDR1))
		return;
	th = (const void *)(ip + 1);
	if (ntohs(th->dest) != PORT)
		return;
	if (th->syn && !th->ack) {
		/* the receiver's connect(): answer, again if it resends */
		memcpy(p->cmac, buf + ETH_ALEN, ETH_ALEN);
		p->cport = ntohs(th->source);
		p->rcv_nxt = ntohl(th->seq) + 1;
		p->snd_nxt = PEER_ISN + 1;
		p->synced = true;
		peer_send(p, PEER_ISN, TH_SYN | TH_ACK, mss, sizeof(mss),
			  NULL, 0);
		return;
	}
	if (!p->synced || ntohs(th->source) != p->cport || !th->ack ||
	    th->rst)
		return;
	p->acked = true;
	p->last_ack = ntohl(th->ack_seq);
	p->last_win = ntohs(th->window);
	p->acks++;
	if (p->log && p->nedges < MAX_EDGES)
		p->edges[p->nedges++] = p->last_ack + p->last_win;
}

/* handles one frame; false when none came within timeout_ms */
static bool peer_rx(struct peer *p, int timeout_ms)
{
	unsigned char buf[4096];
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	const struct ether_header *eth = (const void *)buf;
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < (ssize_t)ETH_HLEN)
		return n >= 0;
	if (ntohs(eth->ether_type) == ETHERTYPE_ARP)
		peer_arp(p, buf, (size_t)n);
	else if (ntohs(eth->ether_type) == ETHERTYPE_IP)
		peer_tcp(p, buf, (size_t)n);
	return true;
}

/* handles every frame already waiting */
static void peer_drain(struct peer *p)
{
	while (peer_rx(p, 0))
		;
}

static int scaled_ms(int ms)
{
	return ms * xtcp_test_timeout_scale();
}

/* reads frames until the receiver acknowledged want; false on timeout */
static bool peer_wait_ack(struct peer *p, uint32_t want, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);

	for (;;) {
		long long left = deadline - xtcp_test_now_ms();

		if (p->acked && !seq_before(p->last_ack, want))
			return true;
		if (left <= 0)
			return false;
		peer_rx(p, (int)left);
	}
}

/* reads frames until the receiver sent more than acks ACKs */
static bool peer_wait_acks(struct peer *p, unsigned int acks, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);

	for (;;) {
		long long left = deadline - xtcp_test_now_ms();

		if (p->acks > acks)
			return true;
		if (left <= 0)
			return false;
		peer_rx(p, (int)left);
	}
}

/*
 * A socket of the variant's kind in ns[0], with SO_RCVBUF rcvbuf if not
 * 0, connected to the peer; the peer's first sequence number is then
 * p->snd_nxt.
 */
static int edge_connect(struct __test_metadata *_metadata,
			FIXTURE_DATA(edge) *self, int rcvbuf)
{
	struct peer *p = &self->p;
	struct sockaddr_in sin;
	long long deadline;
	struct pollfd pfd;
	socklen_t len;
	int c, err = 0;

	c = xtcp_test_socket(self->pair.net.ns[0],
			     xtcp_test_sock_family(self->pair.net.xtcp[0]),
			     SOCK_STREAM);
	if (c < 0)
		return -1;
	if (rcvbuf && setsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				 sizeof(rcvbuf)))
		goto fail;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (fcntl(c, F_SETFL, O_NONBLOCK) ||
	    (connect(c, (struct sockaddr *)&sin, sizeof(sin)) &&
	     errno != EINPROGRESS))
		goto fail;
	/* ARP, SYN and SYN-ACK go by while we poll */
	pfd = (struct pollfd){ .fd = c, .events = POLLOUT };
	deadline = xtcp_test_now_ms() + scaled_ms(10000);
	while (xtcp_test_now_ms() < deadline) {
		peer_rx(p, 20);
		if (poll(&pfd, 1, 0) == 1)
			break;
	}
	len = sizeof(err);
	if (!(pfd.revents & POLLOUT) ||
	    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len) || err ||
	    fcntl(c, F_SETFL, 0))
		goto fail;
	/* the handshake's last ACK, which carries the receiver's window */
	if (!peer_wait_ack(p, p->snd_nxt, 3000))
		goto fail;
	return c;
fail:
	TH_LOG("connect to the raw peer failed (errno %d, SO_ERROR %d)",
	       errno, err);
	close(c);
	return -1;
}

/* an abortive close: the peer does not answer a FIN */
static void edge_close(int c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c);
}

/* reads exactly len bytes, the stream's from offset off, within 5 s */
static void read_check(struct __test_metadata *_metadata, int c,
		       uint32_t off, size_t len)
{
	unsigned char buf[4096], want[4096];
	struct pollfd pfd = { .fd = c, .events = POLLIN };
	ssize_t n;

	while (len) {
		size_t chunk = len < sizeof(buf) ? len : sizeof(buf);

		ASSERT_EQ(1, poll(&pfd, 1, scaled_ms(5000)))
			TH_LOG("%zu bytes still to read, none came", len);
		n = read(c, buf, chunk);
		ASSERT_LT(0, n) TH_LOG("read: %zd, errno %d", n, errno);
		fill(want, off, (size_t)n);
		ASSERT_EQ(0, memcmp(buf, want, (size_t)n))
			TH_LOG("bytes at offset %u differ", off);
		off += (uint32_t)n;
		len -= (size_t)n;
	}
}

/*
 * Out-of-order data turned away for lack of receive buffer. XTCP drops
 * the segment (DropRcvbufFull); Linux 6.1 instead prunes its queue's far
 * end to take the segment, which counts in OfoPruned.
 */
static long long rcvbuf_drops(FIXTURE_DATA(edge) *self)
{
	if (self->pair.net.xtcp[0])
		return xtcp_test_counter(self->pair.net.ns[0],
					 "DropRcvbufFull");
	return xtcp_test_netstat(self->pair.net.ns[0], "OfoPruned");
}

TEST_F_TIMEOUT(edge, ofo_wedge, 120)
{
	struct peer *p = &self->p;
	unsigned char data[1000];
	long long before, pruned = 0;
	uint32_t rcv_nxt, win, off = 0;
	long long deadline;
	int c, i;

	SKIP_IF_NEEDED();
	c = edge_connect(_metadata, self, 4096);
	ASSERT_LE(0, c);
	rcv_nxt = p->snd_nxt;
	win = p->last_win;
	TH_LOG("window offered: %u", win);
	ASSERT_LT((uint32_t)(OFO_START + 2 * 40), win);

	/* out-of-order bytes until the buffer is full and one is dropped */
	before = rcvbuf_drops(self);
	ASSERT_LE(0, before);
	for (i = 0; i < OFO_MAX; i++) {
		off = OFO_START + 2 * i;
		if (off >= win)
			break;
		fill(data, off, 1);
		ASSERT_EQ(0, peer_send(p, rcv_nxt + off, TH_ACK, NULL, 0,
				       data, 1));
		peer_drain(p);
		if (rcvbuf_drops(self) > before)
			break;
	}
	/* softirq may lag behind the last segments */
	deadline = xtcp_test_now_ms() + scaled_ms(3000);
	while (rcvbuf_drops(self) <= before && xtcp_test_now_ms() < deadline)
		peer_rx(p, 10);
	ASSERT_LT(before, rcvbuf_drops(self))
		TH_LOG("%d segments sent, no drop counted", i);
	TH_LOG("buffer full after %d one-byte segments", i);
	ASSERT_EQ(rcv_nxt, p->last_ack);
	if (self->pair.net.xtcp[0])
		pruned = xtcp_test_counter(self->pair.net.ns[0], "OfoPrune");

	/* the hole, while the receive queue is empty: forced in */
	fill(data, 0, 1000);
	ASSERT_EQ(0, peer_send(p, rcv_nxt, TH_ACK | TH_PUSH, NULL, 0,
			       data, 1000));
	ASSERT_TRUE(peer_wait_ack(p, rcv_nxt + 1000, 3000))
		TH_LOG("the first half of the hole is not acknowledged: "
		       "last ACK %u, want %u", p->last_ack - rcv_nxt, 1000);

	/* the rest, the queue holding data: out-of-order data makes room */
	fill(data, 1000, 1000);
	ASSERT_EQ(0, peer_send(p, rcv_nxt + 1000, TH_ACK | TH_PUSH, NULL, 0,
			       data, 1000));
	ASSERT_TRUE(peer_wait_ack(p, rcv_nxt + OFO_START, 3000))
		TH_LOG("the second half of the hole is not acknowledged: "
		       "last ACK %u, want %u", p->last_ack - rcv_nxt,
		       OFO_START);
	if (self->pair.net.xtcp[0])
		ASSERT_LT(pruned, xtcp_test_counter(self->pair.net.ns[0],
						    "OfoPrune"));

	/* everything acknowledged is there to read, intact */
	TH_LOG("acknowledged %u bytes", p->last_ack - rcv_nxt);
	ASSERT_GE(off + 1, p->last_ack - rcv_nxt);
	read_check(_metadata, c, 0, p->last_ack - rcv_nxt);
	edge_close(c);
}

TEST_F_TIMEOUT(edge, fin_beyond_ofo, 120)
{
	struct peer *p = &self->p;
	unsigned char data[110], b;
	struct pollfd pfd;
	uint32_t rcv_nxt, x;
	unsigned int acks;
	int c;

	SKIP_IF_NEEDED();
	c = edge_connect(_metadata, self, 0);
	ASSERT_LE(0, c);
	rcv_nxt = p->snd_nxt;
	x = rcv_nxt + 100;
	fill(data, 0, sizeof(data));

	/* [X, X + 10) first: held out of order, answered by a dup ACK */
	peer_drain(p);
	acks = p->acks;
	ASSERT_EQ(0, peer_send(p, x, TH_ACK, NULL, 0, data + 100, 10));
	ASSERT_TRUE(peer_wait_acks(p, acks, 3000));
	ASSERT_EQ(rcv_nxt, p->last_ack);

	/* then [RCV.NXT, X) with FIN: the stream ends at X */
	ASSERT_EQ(0, peer_send(p, rcv_nxt, TH_ACK | TH_PUSH | TH_FIN, NULL, 0,
			       data, 100));
	ASSERT_TRUE(peer_wait_ack(p, x + 1, 3000))
		TH_LOG("FIN not acknowledged: last ACK RCV.NXT + %u",
		       p->last_ack - rcv_nxt);
	ASSERT_EQ(x + 1, p->last_ack)
		TH_LOG("the FIN's ACK is RCV.NXT + %u, want + %u",
		       p->last_ack - rcv_nxt, x + 1 - rcv_nxt);

	read_check(_metadata, c, 0, 100);
	pfd = (struct pollfd){ .fd = c, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, scaled_ms(3000)));
	ASSERT_EQ(0, read(c, &b, 1)) TH_LOG("data after the FIN was read");
	edge_close(c);
}

TEST_F_TIMEOUT(edge, sws_window_update, 120)
{
	struct peer *p = &self->p;
	unsigned char data[SWS_LEN];
	uint32_t rcv_nxt, step, moved = 0;
	unsigned int i;
	int c, rcvbuf;
	socklen_t len = sizeof(rcvbuf);

	SKIP_IF_NEEDED();
	if (!variant->xtcp)
		SKIP(return, "Linux moves its right edge by any amount");
	c = edge_connect(_metadata, self, 8192);
	ASSERT_LE(0, c);
	rcv_nxt = p->snd_nxt;
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	/* min(RCV.BUFF / 2, MSS); RCV.BUFF is half of sk_rcvbuf */
	step = (uint32_t)rcvbuf / 4 < PEER_MSS ? (uint32_t)rcvbuf / 4 :
						  PEER_MSS;
	TH_LOG("sk_rcvbuf %d, window %u, SWS step %u", rcvbuf, p->last_win,
	       step);
	ASSERT_LT(SWS_SEGS * SWS_LEN, p->last_win);

	p->log = true;
	p->nedges = 0;
	p->edges[p->nedges++] = p->last_ack + p->last_win;
	for (i = 0; i < SWS_SEGS; i++) {
		uint32_t off = i * SWS_LEN;

		fill(data, off, SWS_LEN);
		ASSERT_EQ(0, peer_send(p, rcv_nxt + off, TH_ACK | TH_PUSH,
				       NULL, 0, data, SWS_LEN));
		/* read at once: the buffer is empty again when it ACKs */
		read_check(_metadata, c, off, SWS_LEN);
		ASSERT_TRUE(peer_wait_ack(p, rcv_nxt + off + SWS_LEN, 3000));
	}
	peer_drain(p);
	for (i = 1; i < p->nedges; i++) {
		uint32_t d = p->edges[i] - p->edges[i - 1];

		ASSERT_FALSE(seq_before(p->edges[i], p->edges[i - 1]))
			TH_LOG("ACK %u moved the right edge left", i);
		ASSERT_TRUE(d == 0 || d >= step)
			TH_LOG("ACK %u moved the right edge by %u < %u", i,
			       d, step);
		moved += d;
	}
	/* 2400 bytes read: the edge must have moved on */
	ASSERT_LT(0u, moved);
	edge_close(c);
}

XTCP_HARNESS_MAIN
