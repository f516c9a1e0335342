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
 * Issue 17, the receive side with SACK and timestamps (RFC 2018, 2883,
 * 7323). In these the peer's SYN-ACK offers SACK-permitted and timestamps
 * and every later segment of the peer carries a timestamp; the receiver
 * answers each out-of-order segment at once (Linux's SACK compression,
 * net.ipv4.tcp_comp_sack_nr, is off in the tcp variant).
 *
 * synack_options: the receiver listens instead; a raw SYN with MSS,
 * SACK-permitted, timestamps and window scale gets a SYN-ACK with MSS,
 * SACK-permitted and timestamps sharing their padding, TSecr echoing the
 * SYN's TSval, and NOP plus window scale: Linux's byte layout, which the
 * tcp variant checks on a native listener. A SYN with only MSS gets
 * neither SACK-permitted nor timestamps.
 *
 * sack_blocks: segments with two holes; each duplicate ACK carries the
 * blocks of RFC 2018 4, the one holding the latest segment first; as the
 * holes fill, blocks go, and none is left at the end; the stream reads
 * back intact.
 *
 * dsack: data below RCV.NXT resent is answered with a D-SACK block for
 * it (RFC 2883 4.1.1), so is a segment straddling RCV.NXT for its old
 * part, and a duplicate of out-of-order data, whole or partial, is
 * reported before the SACK blocks (4.1.2); counters rise as Linux's
 * TCPDSACKOldSent and TCPDSACKOfoSent do.
 *
 * paws: a segment with a TSval older than TS.Recent is dropped (RFC 7323
 * 5.3): its bytes, unlike the stream's, never reach the reader, and
 * PAWSEstabRejected (native: TcpExt PAWSEstab) rises.
 *
 * ofo_coalesce: 256 one-byte segments out of order, some sent twice,
 * end up in a few skbs: the receive memory they hold (SO_MEMINFO) is
 * under a quarter of one skb per byte, and RcvCoalesce (native:
 * TCPRcvCoalesce) counts the joins. The stream then reads back intact.
 *
 * Issue 17's review (the fixes of b9c4bc0), the last four tests:
 *
 * resend_echo: the last segment resent after its ACK: the duplicate ACK
 * answering it echoes the resend's TSval (RFC 7323 4.3).
 *
 * paws_ts_zero: the peer's SYN-ACK says TSval 0 and its data then
 * 0x80000010 and on: taken, as tcp_paws_check() takes anything against
 * a TS.Recent of 0, PAWSEstabRejected (PAWSEstab) not rising.
 *
 * sack_shred and syn_lost_iw turn the host into the sender: it writes
 * 64 KiB to the peer, which records each data segment it sees (struct
 * stream) and ACKs only when a test lets it. sack_shred: SACK blocks
 * with edges inside segments SACK nothing, and every resend is made of
 * whole segments. syn_lost_iw: after one lost SYN the first flight is
 * still the initial window of 10 segments. Each is described above it.
 *
 * Deterministic: the peer waits for the receiver's answer to each step
 * (the sender tests: for the segments or resends they need, up to a
 * deadline; how many resends a stack makes is not asserted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/if_ether.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PORT		5557
#define LPORT		5558		/* the receiver's, as a listener */
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
	uint16_t port;			/* ours: PORT unless a test moves it */
	/* SACK-permitted and timestamps in our SYN-ACK, TSval tsval */
	bool opts;
	uint32_t tsval;
	uint32_t ts_recent;		/* the receiver's last TSval */
	/* the receiver's last segment: flags, raw options, parsed */
	uint8_t flags;
	size_t optlen;
	unsigned char optbuf[40];
	bool saw_ts;
	uint32_t seg_tsval, seg_tsecr;
	unsigned int nsacks;
	uint32_t sacks[4][2];
	unsigned int syn_ignore;	/* the host's SYNs left unanswered */
	struct stream *in;		/* the host's data, when it sends */
};

/*
 * The host as a sender: the data segments the peer sees, by offset from
 * the first byte of the stream. Originals (first sight of their bytes)
 * give the segment boundaries; a resend must start and end on one of
 * them, i.e. be whole segments of the original transmission. With
 * accept, the peer keeps the bytes and ACKs each segment cumulatively
 * (no SACK blocks); without, it throws them away unACKed, as if lost.
 */
#define STREAM_LEN	65536
#define STREAM_SEGS	512

struct stream {
	uint32_t base;			/* the host's first data byte */
	bool accept;
	uint32_t hi;			/* past the highest byte seen */
	uint32_t una;			/* the bytes kept in order */
	unsigned int nsegs;		/* originals seen */
	uint32_t seg[STREAM_SEGS][2];	/* originals, [start, end) */
	unsigned int resent;		/* resends seen */
	unsigned int bad;		/* resends not whole segments */
	uint32_t bad_seg[2];		/* the first of those */
	bool have[STREAM_LEN];
	unsigned char buf[STREAM_LEN];
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
	self->p.port = PORT;
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

/*
 * One segment to the receiver. With p->opts, a segment that is no SYN
 * carries NOP NOP TS (TSval p->tsval, TSecr the receiver's last) after
 * opts.
 */
static int peer_send(struct peer *p, uint32_t seq, uint8_t flags,
		     const void *opts, size_t optlen,
		     const void *data, size_t len)
{
	unsigned char frame[2048], o[40];
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR1),
		.daddr = inet_addr(XTCP_TEST_ADDR0),
		.sport = p->port,
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

	if (p->opts && !(flags & TH_SYN) && optlen + 12 <= sizeof(o)) {
		if (optlen)
			memcpy(o, opts, optlen);
		seg.opts = o;
		seg.optlen = optlen + xtcp_test_ts_opt(o + optlen, p->tsval,
						       p->ts_recent);
	}
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

/* the options of the receiver's segment th, raw and parsed, into p */
static void peer_opts(struct peer *p, const struct tcphdr *th, size_t n)
{
	size_t len = th->doff * 4 > sizeof(*th) ? th->doff * 4 - sizeof(*th)
						: 0;
	struct xtcp_test_opts o;

	if (len > sizeof(p->optbuf) || sizeof(*th) + len > n)
		len = 0;
	p->optlen = len;
	memcpy(p->optbuf, th + 1, len);
	xtcp_test_tcp_opts(p->optbuf, len, &o);
	p->saw_ts = o.ts;
	if (o.ts) {
		p->seg_tsval = o.tsval;
		p->seg_tsecr = o.tsecr;
		p->ts_recent = o.tsval;
	}
	p->nsacks = o.nsacks;
	memcpy(p->sacks, o.sacks, sizeof(p->sacks));
}

/* is off a boundary of the original segments seen? */
static bool stream_edge(const struct stream *in, uint32_t off)
{
	unsigned int i;

	for (i = 0; i < in->nsegs; i++)
		if (in->seg[i][0] == off || in->seg[i][1] == off)
			return true;
	return false;
}

/*
 * A segment of the host's, ip and th in a frame the caller checked:
 * recorded, then with in->accept kept and ACKed.
 */
static void stream_rx(struct peer *p, const struct iphdr *ip,
		      const struct tcphdr *th, size_t n)
{
	struct stream *in = p->in;
	size_t hlen = sizeof(*ip) + th->doff * 4;
	size_t len = ntohs(ip->tot_len) > hlen ? ntohs(ip->tot_len) - hlen : 0;
	const unsigned char *data = (const unsigned char *)ip + hlen;
	uint32_t a = ntohl(th->seq) - in->base, b = a + (uint32_t)len, i;

	/* n: the bytes of the frame from ip on (a GSO packet is cut short) */
	if (!len || ntohs(ip->tot_len) > n || a >= STREAM_LEN ||
	    b > STREAM_LEN)
		return;
	if (a >= in->hi) {
		if (in->nsegs < STREAM_SEGS) {
			in->seg[in->nsegs][0] = a;
			in->seg[in->nsegs++][1] = b;
		}
	} else {
		in->resent++;
		if ((!stream_edge(in, a) || !stream_edge(in, b)) &&
		    !in->bad++) {
			in->bad_seg[0] = a;
			in->bad_seg[1] = b;
		}
	}
	if (b > in->hi)
		in->hi = b;
	if (!in->accept)
		return;
	for (i = a; i < b; i++) {
		in->buf[i] = data[i - a];
		in->have[i] = true;
	}
	while (in->una < STREAM_LEN && in->have[in->una])
		in->una++;
	p->rcv_nxt = in->base + in->una;
	peer_send(p, p->snd_nxt, TH_ACK, NULL, 0, NULL, 0);
}

static void peer_tcp(struct peer *p, const unsigned char *buf, size_t n)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	/* MSS, NOP NOP TS, NOP NOP SACK-permitted */
	unsigned char synack[20] = { 2, 4, PEER_MSS >> 8, PEER_MSS & 0xff,
				     1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0,
				     1, 1, 4, 2 };
	const struct iphdr *ip = (const void *)(buf + ETH_HLEN);
	const struct tcphdr *th;

	if (n < ETH_HLEN + sizeof(*ip) + sizeof(*th) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP ||
	    ip->saddr != inet_addr(XTCP_TEST_ADDR0) ||
	    ip->daddr != inet_addr(XTCP_TEST_ADDR1))
		return;
	th = (const void *)(ip + 1);
	if (ntohs(th->dest) != p->port)
		return;
	peer_opts(p, th, n - ETH_HLEN - sizeof(*ip));
	if (th->syn && !th->ack && p->syn_ignore) {
		/* a SYN lost on the way: the host must time out */
		p->syn_ignore--;
		return;
	}
	if (th->syn && !th->ack) {
		/* the receiver's connect(): answer, again if it resends */
		memcpy(p->cmac, buf + ETH_ALEN, ETH_ALEN);
		p->cport = ntohs(th->source);
		p->rcv_nxt = ntohl(th->seq) + 1;
		p->snd_nxt = PEER_ISN + 1;
		p->synced = true;
		if (p->opts) {
			xtcp_test_put32(synack + 8, p->tsval);
			xtcp_test_put32(synack + 12,
					p->saw_ts ? p->seg_tsval : 0);
			peer_send(p, PEER_ISN, TH_SYN | TH_ACK, synack,
				  sizeof(synack), NULL, 0);
		} else {
			peer_send(p, PEER_ISN, TH_SYN | TH_ACK, mss,
				  sizeof(mss), NULL, 0);
		}
		return;
	}
	if (!p->synced || ntohs(th->source) != p->cport)
		return;
	p->flags = ((const uint8_t *)th)[13];
	if (!th->ack || th->rst)
		return;
	p->acked = true;
	p->last_ack = ntohl(th->ack_seq);
	p->last_win = ntohs(th->window);
	p->acks++;
	if (p->log && p->nedges < MAX_EDGES)
		p->edges[p->nedges++] = p->last_ack + p->last_win;
	if (p->in)
		stream_rx(p, ip, th, n - ETH_HLEN);
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

/*
 * Linux compresses the duplicate ACKs of a SACK connection after the
 * third (tcp_comp_sack_nr); the tests want one per segment.
 */
static void no_sack_compression(struct __test_metadata *_metadata,
				FIXTURE_DATA(edge) *self)
{
	if (self->pair.net.xtcp[0])
		return;
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s sysctl -qw net.ipv4.tcp_comp_sack_nr=0",
				   self->pair.net.ns[0]));
}

/* a counter of the variant's stack: XTCP's name, or native TcpExt's */
static long long stat_of(FIXTURE_DATA(edge) *self, const char *xname,
			 const char *tname)
{
	if (self->pair.net.xtcp[0])
		return xtcp_test_counter(self->pair.net.ns[0], xname);
	return xtcp_test_netstat(self->pair.net.ns[0], tname);
}

/*
 * Sends the stream's bytes [off, off + len) (at RCV.NXT base), then waits
 * for the receiver's next ACK and all that follow at once; false if none
 * came.
 */
static bool send_wait(struct peer *p, uint32_t base, uint32_t off,
		      size_t len)
{
	unsigned char data[1400];
	unsigned int acks;

	peer_drain(p);
	acks = p->acks;
	fill(data, off, len);
	if (peer_send(p, base + off, TH_ACK, NULL, 0, data, len))
		return false;
	if (!peer_wait_acks(p, acks, 3000))
		return false;
	while (peer_rx(p, 20))
		;
	return true;
}

/* the last ACK acknowledged base + ack and carried exactly these blocks */
static void check_ack(struct __test_metadata *_metadata, struct peer *p,
		      uint32_t base, uint32_t ack, unsigned int n,
		      const uint32_t (*blocks)[2])
{
	unsigned int i;

	EXPECT_EQ(base + ack, p->last_ack)
		TH_LOG("ACK is +%u, want +%u", p->last_ack - base, ack);
	EXPECT_TRUE(p->saw_ts) TH_LOG("no timestamp on the ACK");
	ASSERT_EQ(n, p->nsacks) TH_LOG("%u SACK blocks, want %u", p->nsacks, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(base + blocks[i][0], p->sacks[i][0])
			TH_LOG("block %u starts at +%u, want +%u", i,
			       p->sacks[i][0] - base, blocks[i][0]);
		EXPECT_EQ(base + blocks[i][1], p->sacks[i][1])
			TH_LOG("block %u ends at +%u, want +%u", i,
			       p->sacks[i][1] - base, blocks[i][1]);
	}
}

/*
 * Connects with SACK-permitted and timestamps offered, TSval tsval in the
 * SYN-ACK; RCV.NXT base.
 */
static int ts_connect(struct __test_metadata *_metadata,
		      FIXTURE_DATA(edge) *self, uint32_t *base, uint32_t tsval)
{
	struct peer *p = &self->p;
	int c;

	no_sack_compression(_metadata, self);
	p->opts = true;
	p->tsval = tsval;
	c = edge_connect(_metadata, self, 0);
	if (c < 0)
		return -1;
	*base = p->snd_nxt;
	if (!p->saw_ts) {
		TH_LOG("the receiver's ACK has no timestamp: not negotiated");
		close(c);
		return -1;
	}
	return c;
}

static int opts_connect(struct __test_metadata *_metadata,
			FIXTURE_DATA(edge) *self, uint32_t *base)
{
	return ts_connect(_metadata, self, base, 1000);
}

/* a raw SYN to the receiver's listener; its SYN-ACK's options in p */
static void synack_for(struct __test_metadata *_metadata, struct peer *p,
		       uint16_t port, const unsigned char *opts,
		       size_t optlen)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(5000);

	p->port = port;
	p->cport = LPORT;
	p->synced = true;
	p->flags = 0;
	ASSERT_EQ(0, peer_send(p, PEER_ISN, TH_SYN, opts, optlen, NULL, 0));
	while (p->flags != (TH_SYN | TH_ACK) && xtcp_test_now_ms() < deadline)
		peer_rx(p, 20);
	ASSERT_EQ(TH_SYN | TH_ACK, p->flags) TH_LOG("no SYN-ACK");
	EXPECT_EQ(PEER_ISN + 1, p->last_ack);
}

TEST_F_TIMEOUT(edge, synack_options, 120)
{
	/* MSS 1460, SACK-permitted and TS as Linux lays them out, WS 7 */
	static const unsigned char full[20] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0x01, 0x02, 0x03, 0x04,
		0, 0, 0, 0, 1, 3, 3, 7,
	};
	static const unsigned char mss_only[4] = { 2, 4, 0x05, 0xb4 };
	struct peer *p = &self->p;
	struct sockaddr_in sin;
	unsigned int i;
	int l;

	SKIP_IF_NEEDED();
	l = xtcp_test_socket(self->pair.net.ns[0],
			     xtcp_test_sock_family(self->pair.net.xtcp[0]),
			     SOCK_STREAM);
	ASSERT_LE(0, l);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, LPORT);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 8));
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[0], "veth0", p->cmac,
				   NULL));

	synack_for(_metadata, p, PORT, full, sizeof(full));
	for (i = 0; i < p->optlen; i++)
		TH_LOG("SYN-ACK option byte %u: %u", i, p->optbuf[i]);
	/* MSS; SACK-permitted and TS; NOP, WS: tcp_options_write()'s */
	ASSERT_EQ(20u, p->optlen);
	EXPECT_EQ(2, p->optbuf[0]);
	EXPECT_EQ(4, p->optbuf[1]);
	EXPECT_EQ(4, p->optbuf[4]);
	EXPECT_EQ(2, p->optbuf[5]);
	EXPECT_EQ(8, p->optbuf[6]);
	EXPECT_EQ(10, p->optbuf[7]);
	EXPECT_EQ(0x01020304u, xtcp_test_get32(p->optbuf + 12))
		TH_LOG("TSecr does not echo the SYN's TSval");
	EXPECT_EQ(1, p->optbuf[16]);
	EXPECT_EQ(3, p->optbuf[17]);
	EXPECT_EQ(3, p->optbuf[18]);

	/* a SYN with neither, from another port: a SYN-ACK with neither */
	synack_for(_metadata, p, PORT + 1, mss_only, sizeof(mss_only));
	for (i = 0; i < p->optlen; i += p->optbuf[i] <= 1 ? 1 :
					 p->optbuf[i + 1]) {
		EXPECT_NE(4, p->optbuf[i]) TH_LOG("SACK-permitted");
		EXPECT_NE(8, p->optbuf[i]) TH_LOG("timestamps");
		if (p->optbuf[i] > 1 && p->optbuf[i + 1] < 2)
			break;
	}
	EXPECT_EQ(4u, p->optlen) TH_LOG("options beside MSS");
	close(l);
}

TEST_F_TIMEOUT(edge, sack_blocks, 120)
{
	static const uint32_t b1[][2] = { { 200, 300 } };
	static const uint32_t b2[][2] = { { 200, 400 } };
	static const uint32_t b3[][2] = { { 500, 600 }, { 200, 400 } };
	static const uint32_t b4[][2] = { { 500, 700 }, { 200, 400 } };
	static const uint32_t b5[][2] = { { 200, 400 }, { 500, 700 } };
	static const uint32_t b6[][2] = { { 500, 700 } };
	struct peer *p = &self->p;
	uint32_t base;
	int c;

	SKIP_IF_NEEDED();
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);

	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 0, NULL);
	/* holes at [100, 200) and [400, 500) */
	ASSERT_TRUE(send_wait(p, base, 200, 100));
	check_ack(_metadata, p, base, 100, 1, b1);
	ASSERT_TRUE(send_wait(p, base, 300, 100));
	check_ack(_metadata, p, base, 100, 1, b2);
	ASSERT_TRUE(send_wait(p, base, 500, 100));
	check_ack(_metadata, p, base, 100, 2, b3);
	ASSERT_TRUE(send_wait(p, base, 600, 100));
	check_ack(_metadata, p, base, 100, 2, b4);
	/*
	 * Bytes of the older block again: a D-SACK block for them, then
	 * the older block, now the most recent, then the other.
	 */
	ASSERT_TRUE(send_wait(p, base, 300, 50));
	ASSERT_EQ(3u, p->nsacks);
	EXPECT_EQ(base + 300, p->sacks[0][0]);
	EXPECT_EQ(base + 350, p->sacks[0][1]);
	memmove(p->sacks[0], p->sacks[1], sizeof(p->sacks[0]) * 2);
	p->nsacks = 2;
	check_ack(_metadata, p, base, 100, 2, b5);
	/* the first hole fills: its block goes */
	ASSERT_TRUE(send_wait(p, base, 100, 100));
	check_ack(_metadata, p, base, 400, 1, b6);
	/* the second: none left */
	ASSERT_TRUE(send_wait(p, base, 400, 100));
	check_ack(_metadata, p, base, 700, 0, NULL);

	read_check(_metadata, c, 0, 700);
	edge_close(c);
}

TEST_F_TIMEOUT(edge, dsack, 120)
{
	static const uint32_t old[][2] = { { 0, 100 } };
	static const uint32_t part[][2] = { { 50, 100 } };
	static const uint32_t ofo[][2] = { { 300, 400 } };
	static const uint32_t ofo_dup[][2] = { { 300, 400 }, { 300, 400 } };
	static const uint32_t ofo_part[][2] = { { 350, 400 }, { 300, 450 } };
	struct peer *p = &self->p;
	long long old0, ofo0, dup0 = 0, part0 = 0;
	uint32_t base;
	int c;

	SKIP_IF_NEEDED();
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 0, NULL);

	old0 = stat_of(self, "DSACKOldSent", "TCPDSACKOldSent");
	ofo0 = stat_of(self, "DSACKOfoSent", "TCPDSACKOfoSent");
	ASSERT_LE(0, old0);
	ASSERT_LE(0, ofo0);
	if (self->pair.net.xtcp[0]) {
		dup0 = xtcp_test_counter(self->pair.net.ns[0], "RcvDuplicate");
		part0 = xtcp_test_counter(self->pair.net.ns[0],
					  "RcvPartialDuplicate");
	}

	/* acknowledged data again: the D-SACK block is exactly it */
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 1, old);
	EXPECT_EQ(old0 + 1, stat_of(self, "DSACKOldSent", "TCPDSACKOldSent"));

	/* straddling RCV.NXT: the new half is taken, the old reported */
	ASSERT_TRUE(send_wait(p, base, 50, 150));
	check_ack(_metadata, p, base, 200, 1, part);
	EXPECT_EQ(old0 + 2, stat_of(self, "DSACKOldSent", "TCPDSACKOldSent"));

	/* out of order, then again: D-SACK first, then the SACK block */
	ASSERT_TRUE(send_wait(p, base, 300, 100));
	check_ack(_metadata, p, base, 200, 1, ofo);
	ASSERT_TRUE(send_wait(p, base, 300, 100));
	check_ack(_metadata, p, base, 200, 2, ofo_dup);
	EXPECT_EQ(ofo0 + 1, stat_of(self, "DSACKOfoSent", "TCPDSACKOfoSent"));
	/* overlapping its tail: the overlap is the D-SACK block */
	ASSERT_TRUE(send_wait(p, base, 350, 100));
	check_ack(_metadata, p, base, 200, 2, ofo_part);
	EXPECT_EQ(ofo0 + 2, stat_of(self, "DSACKOfoSent", "TCPDSACKOfoSent"));

	/* the hole: everything, once */
	ASSERT_TRUE(send_wait(p, base, 200, 100));
	check_ack(_metadata, p, base, 450, 0, NULL);
	if (self->pair.net.xtcp[0]) {
		EXPECT_EQ(dup0 + 1, xtcp_test_counter(self->pair.net.ns[0],
						      "RcvDuplicate"));
		EXPECT_EQ(part0 + 1,
			  xtcp_test_counter(self->pair.net.ns[0],
					    "RcvPartialDuplicate"));
	}
	read_check(_metadata, c, 0, 450);
	edge_close(c);
}

TEST_F_TIMEOUT(edge, paws, 120)
{
	struct peer *p = &self->p;
	unsigned char junk[100];
	long long paws0;
	unsigned int acks;
	uint32_t base;
	int c;

	SKIP_IF_NEEDED();
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);
	p->tsval = 1010;
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 0, NULL);
	paws0 = stat_of(self, "PAWSEstabRejected", "PAWSEstab");
	ASSERT_LE(0, paws0);

	/* [100, 200) with bytes not the stream's and an old TSval */
	memset(junk, 0xa5, sizeof(junk));
	p->tsval = 1002;
	peer_drain(p);
	acks = p->acks;
	ASSERT_EQ(0, peer_send(p, base + 100, TH_ACK, NULL, 0, junk,
			       sizeof(junk)));
	ASSERT_TRUE(peer_wait_acks(p, acks, 3000))
		TH_LOG("no duplicate ACK for the old segment");
	EXPECT_EQ(base + 100, p->last_ack) TH_LOG("the old segment was taken");
	EXPECT_EQ(paws0 + 1, stat_of(self, "PAWSEstabRejected", "PAWSEstab"));

	/* the stream's [100, 200), with a new TSval: taken */
	p->tsval = 1020;
	ASSERT_TRUE(send_wait(p, base, 100, 100));
	check_ack(_metadata, p, base, 200, 0, NULL);
	read_check(_metadata, c, 0, 200);
	edge_close(c);
}

/* the receive memory sk holds (sk_rmem_alloc), or -1 */
static long rmem_of(int c)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(c, SOL_SOCKET, SO_MEMINFO, mem, &len))
		return -1;
	return mem[SK_MEMINFO_RMEM_ALLOC];
}

#define COALESCE_SEGS	256

TEST_F_TIMEOUT(edge, ofo_coalesce, 300)
{
	struct peer *p = &self->p;
	long long joins0;
	long rmem1, rmem;
	uint32_t base;
	int c, i;

	SKIP_IF_NEEDED();
	c = edge_connect(_metadata, self, 0);
	ASSERT_LE(0, c);
	base = p->snd_nxt;
	joins0 = stat_of(self, "RcvCoalesce", "TCPRcvCoalesce");

	/* one byte at a time from +1000 on, every 8th twice */
	ASSERT_TRUE(send_wait(p, base, 1000, 1));
	ASSERT_EQ(base, p->last_ack);
	rmem1 = rmem_of(c);
	ASSERT_LT(0, rmem1);
	for (i = 1; i < COALESCE_SEGS; i++) {
		ASSERT_TRUE(send_wait(p, base, 1000 + i, 1));
		ASSERT_EQ(base, p->last_ack);
		if (i % 8 == 7) {
			ASSERT_TRUE(send_wait(p, base, 1000 + i, 1));
			ASSERT_EQ(base, p->last_ack);
		}
	}
	rmem = rmem_of(c);
	TH_LOG("receive memory: %ld for one byte, %ld for %d", rmem1, rmem,
	       COALESCE_SEGS);
	EXPECT_LT(rmem, rmem1 * COALESCE_SEGS / 4)
		TH_LOG("the one-byte segments were not coalesced");
	EXPECT_LE(0, joins0) TH_LOG("no coalesce counter");
	EXPECT_LE(joins0 + COALESCE_SEGS / 2,
		  stat_of(self, "RcvCoalesce", "TCPRcvCoalesce"));

	/* the hole: the stream, intact and once */
	ASSERT_TRUE(send_wait(p, base, 0, 1000));
	EXPECT_EQ(base + 1000 + COALESCE_SEGS, p->last_ack);
	read_check(_metadata, c, 0, 1000 + COALESCE_SEGS);
	edge_close(c);
}

/*
 * A SYN-ACK with TSval 0 makes TS.Recent 0, which proves nothing: the
 * peer's clock may start anywhere, so a TSval 2^31 or more later is no
 * older segment. Linux's tcp_paws_check() accepts anything against a
 * TS.Recent of 0; so must XTCP (it dropped every such segment, counting
 * PAWSEstabRejected).
 */
TEST_F_TIMEOUT(edge, paws_ts_zero, 120)
{
	struct peer *p = &self->p;
	long long paws0;
	uint32_t base;
	int c, i;

	SKIP_IF_NEEDED();
	c = ts_connect(_metadata, self, &base, 0);
	ASSERT_LE(0, c);
	paws0 = stat_of(self, "PAWSEstabRejected", "PAWSEstab");
	ASSERT_LE(0, paws0);
	for (i = 0; i < 4; i++) {
		p->tsval = 0x80000010u + (uint32_t)i * 16;
		ASSERT_TRUE(send_wait(p, base, (uint32_t)i * 100, 100));
		check_ack(_metadata, p, base, (uint32_t)(i + 1) * 100, 0, NULL);
	}
	read_check(_metadata, c, 0, 400);
	EXPECT_EQ(paws0, stat_of(self, "PAWSEstabRejected", "PAWSEstab"))
		TH_LOG("segments taken for old ones");
	edge_close(c);
}

/*
 * The last segment again, after the receiver ACKed it: what a sender
 * resends when that ACK was lost. It reaches Last.ACK.sent, so its TSval
 * becomes TS.Recent (RFC 7323 4.3 (2)) and the duplicate ACK that answers
 * it, with its D-SACK block, echoes the resend's TSval, not the
 * original's: Linux's tcp_sequence() lets it through by rcv_wup. Echoing
 * the original's shows the sender an RTT as long as it waited to resend,
 * and a Linux sender's RTO grew to seconds from such samples (XTCP
 * dropped the resend as out of window).
 */
TEST_F_TIMEOUT(edge, resend_echo, 120)
{
	static const uint32_t old[][2] = { { 0, 100 } };
	struct peer *p = &self->p;
	uint32_t base;
	int c;

	SKIP_IF_NEEDED();
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 0, NULL);
	EXPECT_EQ(p->tsval, p->seg_tsecr);
	/* the same bytes, 5 s later by the peer's clock */
	p->tsval += 5000;
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	check_ack(_metadata, p, base, 100, 1, old);
	EXPECT_EQ(p->tsval, p->seg_tsecr)
		TH_LOG("the ACK of the resend echoes %u, the resend said %u",
		       p->seg_tsecr, p->tsval);
	read_check(_metadata, c, 0, 100);
	edge_close(c);
}

/*
 * RFC 5961 10, tcp_oow_rate_limited(): bare ACKs far outside the window
 * are answered once per tcp_invalid_ratelimit (500 ms), the rest counted
 * as skipped. Three back to back draw one duplicate ACK at most (none if
 * an earlier invalid segment was answered less than 500 ms before: the
 * handshake's timing decides, so both are allowed), and all three are
 * accounted for. Data outside the window is answered every time: a
 * resend of what the receiver has is how a lost ACK shows. Once the
 * interval has passed, the next bare ACK is answered again.
 */
TEST_F_TIMEOUT(edge, oow_ratelimit, 120)
{
	struct peer *p = &self->p;
	unsigned char data[100];
	long long skip0, skip1;
	unsigned int acks, k;
	uint32_t base;
	int c;

	SKIP_IF_NEEDED();
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);
	ASSERT_TRUE(send_wait(p, base, 0, 100));
	skip0 = stat_of(self, "TCPACKSkippedSeq", "TCPACKSkippedSeq");
	ASSERT_LE(0, skip0);

	peer_drain(p);
	acks = p->acks;
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, peer_send(p, base + 0x40000000, TH_ACK, NULL, 0,
				       NULL, 0));
	/* what the three draw comes at once; give the host 200 ms */
	while (peer_rx(p, scaled_ms(200)))
		;
	skip1 = stat_of(self, "TCPACKSkippedSeq", "TCPACKSkippedSeq");
	TH_LOG("3 out-of-window ACKs: %u answered, %lld skipped",
	       p->acks - acks, skip1 - skip0);
	EXPECT_GE(acks + 1, p->acks);
	EXPECT_LE(skip0 + 2, skip1);
	EXPECT_EQ(3, p->acks - acks + skip1 - skip0);

	/* out-of-window data, within the same 500 ms: answered */
	fill(data, 0, sizeof(data));
	acks = p->acks;
	ASSERT_EQ(0, peer_send(p, base + 0x40000000, TH_ACK, NULL, 0, data,
			       sizeof(data)));
	EXPECT_TRUE(peer_wait_acks(p, acks, 3000))
		TH_LOG("out-of-window data drew no ACK");
	EXPECT_EQ(skip1, stat_of(self, "TCPACKSkippedSeq", "TCPACKSkippedSeq"));
	EXPECT_EQ(base + 100, p->last_ack);

	/* the interval is what is tested: wait it out, then one more */
	usleep(1000 * 1000);
	peer_drain(p);
	acks = p->acks;
	ASSERT_EQ(0, peer_send(p, base + 0x40000000, TH_ACK, NULL, 0, NULL, 0));
	EXPECT_TRUE(peer_wait_acks(p, acks, 3000))
		TH_LOG("no ACK 1 s after the burst");
	EXPECT_EQ(skip1, stat_of(self, "TCPACKSkippedSeq", "TCPACKSkippedSeq"));
	read_check(_metadata, c, 0, 100);
	edge_close(c);
}

/*
 * The sender tests: this process on CPU 0 alone, and with it the softirq
 * work its packets cause and the timers it arms, so that the host sends
 * from one CPU and its segments reach the peer in the order it sent them
 * (a veth queues each packet on its sender's CPU; see sack.sh).
 */
static void one_cpu(struct __test_metadata *_metadata)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
}

/*
 * The variant's socket connected to the peer with SACK and timestamps,
 * nonblocking, about to send STREAM_LEN bytes to it; in records them.
 */
static int stream_connect(struct __test_metadata *_metadata,
			  FIXTURE_DATA(edge) *self, struct stream *in)
{
	struct peer *p = &self->p;
	uint32_t base;
	int c;

	one_cpu(_metadata);
	/* one segment a frame: GSO packets are cut on the way out */
	ASSERT_EQ(0, xtcp_test_tso(self->pair.net.ns[0], "veth0", false));
	c = opts_connect(_metadata, self, &base);
	ASSERT_LE(0, c);
	in->base = p->rcv_nxt;
	p->in = in;
	EXPECT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
	return c;
}

/* writes what the socket takes of the stream from *off on */
static void stream_write(int c, uint32_t *off)
{
	unsigned char data[4096];
	ssize_t n;

	while (*off < STREAM_LEN) {
		size_t len = STREAM_LEN - *off;

		if (len > sizeof(data))
			len = sizeof(data);
		fill(data, *off, len);
		n = write(c, data, len);
		if (n <= 0)
			return;
		*off += (uint32_t)n;
	}
}

/* writes and reads frames until the peer saw segs originals or a resend */
static void stream_first_flight(struct peer *p, int c, uint32_t *off,
				unsigned int segs, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);

	while (p->in->nsegs < segs && !p->in->resent &&
	       xtcp_test_now_ms() < deadline) {
		stream_write(c, off);
		peer_rx(p, 20);
	}
}

/*
 * The peer takes everything from now on: the whole stream must arrive,
 * intact, and no resend be a piece of a segment (checked as they come:
 * the first stops the test).
 */
static void stream_finish(struct __test_metadata *_metadata, struct peer *p,
			  int c, uint32_t *off)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(60000);
	struct stream *in = p->in;
	unsigned char want[4096];
	uint32_t i;

	in->accept = true;
	while (in->una < STREAM_LEN && !in->bad &&
	       xtcp_test_now_ms() < deadline) {
		stream_write(c, off);
		peer_rx(p, 20);
	}
	TH_LOG("%u original segments (the first [%u, %u)), %u resends",
	       in->nsegs, in->seg[0][0], in->seg[0][1], in->resent);
	ASSERT_EQ(0u, in->bad)
		TH_LOG("%u resends not whole segments, the first [%u, %u)",
		       in->bad, in->bad_seg[0], in->bad_seg[1]);
	ASSERT_EQ((uint32_t)STREAM_LEN, in->una)
		TH_LOG("%u bytes in order, %u written", in->una, *off);
	for (i = 0; i < STREAM_LEN; i += sizeof(want)) {
		fill(want, i, sizeof(want));
		ASSERT_EQ(0, memcmp(in->buf + i, want, sizeof(want)))
			TH_LOG("bytes at offset %u differ", i);
	}
}

#define INIT_WINDOW	10u	/* segments: RFC 6928, both stacks */
#define SHRED_ROUNDS	8

/*
 * A receiver SACKing byte ranges that start or end inside segments
 * (CVE-2019-11477's class). The peer takes no byte of the first flight,
 * but answers it with SHRED_ROUNDS rounds of duplicate ACKs, one SACK
 * block each: [start + 1, end - 1) of every segment, both edges inside
 * it, and [start + 1, next start + 1), a segment's tail and the next
 * one's first byte. None covers a whole segment, so none may SACK
 * anything (tcp_match_skb_to_sack() cuts at MSS multiples only). Then
 * the peer reneges on all it SACKed (RFC 2018 8) and takes every
 * segment that comes, ACKing cumulatively: the RTO and loss recovery
 * resend the first flight, and every resend must be whole segments of
 * the original transmission (start and end on their boundaries: no
 * 1-byte or odd pieces), and the stream arrive intact.
 *
 * XTCP cut its queue at every block edge and resent the unSACKed bytes,
 * one-byte pieces. Linux resends whole segments (the tcp variant); the
 * two may differ in how many they resend (F-RTO, probes), which is not
 * asserted beyond "at least one".
 */
TEST_F_TIMEOUT(edge, sack_shred, 300)
{
	unsigned char o[12] = { 1, 1, 5, 10 };	/* NOP NOP SACK, 1 block */
	struct peer *p = &self->p;
	unsigned int k, r, n;
	struct stream *in;
	uint32_t off = 0;
	int c;

	SKIP_IF_NEEDED();
	in = calloc(1, sizeof(*in));
	ASSERT_NE(NULL, in);
	c = stream_connect(_metadata, self, in);
	stream_first_flight(p, c, &off, INIT_WINDOW, 5000);
	n = in->nsegs;
	TH_LOG("first flight: %u segments, %u bytes", n, in->hi);
	ASSERT_LE(3u, n);
	for (r = 0; r < SHRED_ROUNDS; r++) {
		for (k = 0; k < n; k++) {
			uint32_t end = in->seg[k][1] - 1;

			if (r % 2) {
				if (k + 1 == n)
					break;
				end = in->seg[k + 1][0] + 1;
			}
			xtcp_test_put32(o + 4, in->base + in->seg[k][0] + 1);
			xtcp_test_put32(o + 8, in->base + end);
			ASSERT_EQ(0, peer_send(p, p->snd_nxt, TH_ACK, o,
					       sizeof(o), NULL, 0));
			peer_drain(p);
		}
	}
	stream_finish(_metadata, p, c, &off);
	EXPECT_LT(0u, in->resent) TH_LOG("nothing resent");
	p->in = NULL;
	free(in);
	edge_close(c);
}

/*
 * A lost SYN: the peer ignores the host's first SYN and answers the
 * resend. The handshake then completes after one SYN timeout, which
 * says nothing about the path's capacity: the first flight is the
 * initial window, 10 segments before any ACK (Linux's
 * tcp_init_transfer(), which cuts cwnd to 1 only after more than one
 * SYN or SYN-ACK timeout). XTCP kept the cwnd of 1 its SYN timeout left.
 * The peer ACKs nothing until 10 segments came, or a resend did (the
 * RTO of a sender with a smaller window, a few hundred ms on), then
 * takes the whole stream.
 */
TEST_F_TIMEOUT(edge, syn_lost_iw, 120)
{
	struct peer *p = &self->p;
	struct stream *in;
	uint32_t off = 0;
	int c;

	SKIP_IF_NEEDED();
	in = calloc(1, sizeof(*in));
	ASSERT_NE(NULL, in);
	p->syn_ignore = 1;
	c = stream_connect(_metadata, self, in);
	EXPECT_EQ(0u, p->syn_ignore);
	stream_first_flight(p, c, &off, INIT_WINDOW, 10000);
	TH_LOG("first flight: %u segments, %u bytes, then %u resends",
	       in->nsegs, in->hi, in->resent);
	ASSERT_EQ(0u, in->resent) TH_LOG("an RTO before the initial window");
	ASSERT_LE(INIT_WINDOW, in->nsegs);
	stream_finish(_metadata, p, c, &off);
	p->in = NULL;
	free(in);
	edge_close(c);
}

XTCP_HARNESS_MAIN
