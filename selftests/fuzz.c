// SPDX-License-Identifier: GPL-2.0
/*
 * A packet fuzzer (issue 14, "Hostile input"), and RFC 5961's blind
 * attacker.
 *
 *   ns[0]: the target, veth0 192.0.2.1:      ns[1]: native clients on veth1
 *          XTCP (variant xtcp) or native            192.0.2.2, a sniffing
 *          TCP (variant tcp, the reference);        AF_PACKET socket and an
 *          a listener on PORT and the server        injecting one (protocol
 *          ends of the connections                  0: it receives nothing)
 *
 * The connections: "hashed", on which the target sends a stream that the
 * native client reads and hashes (SHA-256) for the whole run, and
 * NVICTIMS idle "victims". The sniffing socket sees every frame the
 * target sends (PACKET_IGNORE_OUTGOING hides ns[1]'s own), so it learns
 * each connection's ISN, RCV.NXT (the ACK field), the window it offers
 * and how far it has sent: the live state the segments are crafted from.
 *
 * fuzz.segments: FUZZ_SEGMENTS frames (default below), each drawn from a
 * seed, at the listener, the hashed connection, the victims and closed
 * ports: random bytes, random TCP headers with a right checksum, and
 * structured segments with one mutation: bad IPv4 or TCP checksum; IHL
 * below 5, total length past the frame or below the header, a frame cut
 * inside the IPv4 or the TCP header, data offset below 5 or past the
 * segment, a fragment, IPv4 options; TCP options of length 0 or 1,
 * overrunning the header, repeated and contradictory; every flag
 * combination; SEQ and ACK in, just outside and far outside the live
 * window; zero and huge windows; urgent pointers.
 *
 * The hashed connection only gets what every TCP must drop whenever it
 * arrives: malformed frames, and well-formed segments whose ACK is beyond
 * anything the target can have sent (its application's byte count bounds
 * SND.NXT) or far too old, with no data or FIN when their SEQ may be in
 * the window and no RST at RCV.NXT (RCV.NXT stays at the client's ISN + 1:
 * the client sends nothing). Anything else could rightly move its state:
 * that is what the victims are for, and they get every class.
 *
 * Throughout, the stream goes on; at the end it completes with its hash
 * intact, a new connection to the listener exchanges bytes, and (xtcp)
 * each malformed class raised the counter of /proc/net/xtcp_stat that
 * link.c and input.c count it in, by at least what was sent of it less
 * what the veth pair itself dropped. Native TCP counts differently: the
 * tcp variant asserts the stream and the new connection only. The suite
 * fails the run on any Oops, WARN or report in dmesg.
 *
 * Determinism: the seed is printed first (and in every failure); it
 * fixes each frame's class, target and mutation. The SEQ/ACK a frame
 * carries is relative to the state sniffed so far, which depends on
 * timing, so a run is reproducible in what it sends, not in the
 * absolute numbers. XTCP_FUZZ_SEED=N replays a seed.
 *
 * Rate: about 46,000 segments/s at XTCP and 43,000/s at native TCP on
 * the stock kernel under TCG (2 vCPUs; a FUZZ_SEGMENTS=1000000 run took
 * 21.6 s and 23.4 s). The default FUZZ_SEGMENTS is that million, a
 * measured fit for make check's time (the program took about 60 s);
 * FUZZ_SEGMENTS=3000000 is about 65 s a variant. The debug kernel
 * divides it by XTCP_TIMEOUT_SCALE.
 *
 * fuzz.blind: RFC 5961's off-path attacker knows the hashed
 * connection's 4-tuple only: 10,000 RSTs, 10,000 SYNs and 10,000 data
 * segments with random SEQ and ACK while the stream moves. The
 * connection survives with its hash intact, and the pure ACKs the
 * target answers with (challenge ACKs and duplicate ACKs: the hashed
 * client sends no data, so the target has no other reason for a pure
 * ACK) are counted: the SYNs' challenge ACKs stay within the per-netns
 * limit (see the test).
 *
 * fuzz.flood_rst, fuzz.flood_echo: SYNs at a closed port, pings; XTCP's
 * RSTs and echo replies stay within their per-netns limits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netpacket/packet.h>
#include <sys/socket.h>

#include <openssl/evp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PORT		5570
#define CLOSED_PORT	5571		/* nobody listens there */
#define FLOOD		5000		/* SYNs at it, pings */
#define NVICTIMS	4
#define NCONNS		(1 + NVICTIMS)	/* [0] is the hashed connection */
#define BATCH		64		/* frames between two looks around */
#define CHUNK		8192		/* stream bytes written per look */
#define DEFAULT_SEGMENTS 1000000
#define BLIND_EACH	10000
#define FRAME_MAX	1600

/* what a frame is; the first ones name the drop counter they must raise */
enum fz_class {
	FZ_IP_CSUM,	/* DropIpChecksum */
	FZ_IHL_SMALL,	/* DropIpHeader */
	FZ_IP_CUT,	/* DropIpHeader: the frame ends inside the header */
	FZ_LEN_LONG,	/* DropIpLength: total length past the frame */
	FZ_LEN_SHORT,	/* DropIpLength: total length below the header */
	FZ_FRAG,	/* DropIpFragment */
	FZ_TCP_CSUM,	/* DropTcpChecksum */
	FZ_DOFF_SMALL,	/* DropTcpHeader */
	FZ_DOFF_LARGE,	/* DropTcpHeader */
	FZ_TCP_CUT,	/* DropTcpHeader: total length inside the header */
	FZ_COUNTED,	/* the classes above must be counted */
	FZ_RANDOM = FZ_COUNTED,	/* random bytes after the Ethernet header */
	FZ_RANDOM_TCP,	/* random TCP header and options, checksums right */
	FZ_IP_OPTS,	/* IPv4 options, the segment well-formed */
	FZ_TCP_OPTS,	/* hostile TCP options, checksums right */
	FZ_FLAGS,	/* any flag combination */
	FZ_WINDOW,	/* zero, huge, random window; urgent pointer */
	FZ_NCLASSES,
};

static const char * const fz_counter[FZ_COUNTED] = {
	[FZ_IP_CSUM] = "DropIpChecksum",
	[FZ_IHL_SMALL] = "DropIpHeader",
	[FZ_IP_CUT] = "DropIpHeader",
	[FZ_LEN_LONG] = "DropIpLength",
	[FZ_LEN_SHORT] = "DropIpLength",
	[FZ_FRAG] = "DropIpFragment",
	[FZ_TCP_CSUM] = "DropTcpChecksum",
	[FZ_DOFF_SMALL] = "DropTcpHeader",
	[FZ_DOFF_LARGE] = "DropTcpHeader",
	[FZ_TCP_CUT] = "DropTcpHeader",
};

/* where SEQ (or ACK) sits relative to the live state */
enum fz_pos { POS_IN, POS_EDGE, POS_BELOW, POS_ABOVE, POS_FAR, POS_RANDOM,
	      POS_N };

/* One connection as the sniffer sees the target's side of it. */
struct fz_conn {
	int cfd, sfd;		/* native client in ns[1], target's end */
	uint16_t cport;
	bool synack;		/* its SYN-ACK was seen */
	uint32_t isn;		/* the target's ISN */
	uint32_t rcv_nxt;	/* the ACK field of its latest segment */
	uint32_t snd_max;	/* highest SEQ + len it sent */
	uint32_t wnd;		/* the window it offered, scaled */
	uint8_t wscale;		/* its shift, from the SYN-ACK */
	uint32_t peer_isn;	/* the client's, SYN-ACK's ACK - 1 */
	unsigned long long pure_acks;	/* target's segments without data */
};

struct fz_stream {
	EVP_MD_CTX *sent, *got;
	struct xtcp_test_prng prng;
	unsigned long long written, read;
	bool shut;
};

FIXTURE(fuzz) {
	struct xtcp_test_pair pair;
	unsigned char tmac[ETH_ALEN], pmac[ETH_ALEN];
	int ifindex;		/* veth1's */
	int sniff, inj, lfd;
	struct fz_conn conn[NCONNS];
	struct fz_stream st;
	uint64_t seed;
	struct xtcp_test_prng rng;
	unsigned long long sent[FZ_NCLASSES];
	unsigned long long closed_rsts;	/* RSTs from CLOSED_PORT */
	unsigned long long echo_replies;
};

FIXTURE_VARIANT(fuzz) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(fuzz, xtcp) {
	.xtcp = true,
};

/* the reference: Linux's own TCP as the target */
FIXTURE_VARIANT_ADD(fuzz, tcp) {
	.xtcp = false,
};

static uint64_t fz_seed(void)
{
	const char *v = getenv("XTCP_FUZZ_SEED");
	struct timespec ts;

	if (v && *v)
		return strtoull(v, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)ts.tv_nsec ^
	       ((uint64_t)getpid() << 40);
}

static unsigned long long fz_segments(void)
{
	const char *v = getenv("FUZZ_SEGMENTS");
	unsigned long long n = DEFAULT_SEGMENTS / xtcp_test_timeout_scale();

	if (v && *v)
		n = strtoull(v, NULL, 0);
	return n;
}

static uint32_t rnd32(struct xtcp_test_prng *p)
{
	uint32_t v;

	xtcp_test_fill(p, &v, sizeof(v));
	return v;
}

/* uniform enough in [0, n) for a fuzzer */
static uint32_t rnd(struct xtcp_test_prng *p, uint32_t n)
{
	return n ? rnd32(p) % n : 0;
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* TX drops of veth1 plus RX drops of veth0: frames XTCP never saw */
static long long veth_drops(FIXTURE_DATA(fuzz) *self)
{
	static const char * const dev[2] = { "veth0", "veth1" };
	struct ifaddrs *ifa, *i;
	long long sum = 0;
	int side;

	for (side = 0; side < 2; side++) {
		if (xtcp_test_ns_enter(self->pair.net.ns[side]))
			return -1;
		if (getifaddrs(&ifa)) {
			xtcp_test_ns_leave();
			return -1;
		}
		for (i = ifa; i; i = i->ifa_next) {
			const struct rtnl_link_stats *s = i->ifa_data;

			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET ||
			    !s || strcmp(i->ifa_name, dev[side]))
				continue;
			sum += side ? s->tx_dropped : s->rx_dropped;
		}
		freeifaddrs(ifa);
		xtcp_test_ns_leave();
	}
	return sum;
}

/* --- the sniffer ----------------------------------------------------- */

static uint8_t fz_wscale(const struct tcphdr *th, size_t hlen)
{
	const unsigned char *o = (const unsigned char *)(th + 1);
	size_t len = hlen - sizeof(*th), i = 0;

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
			return o[i + 2] > 14 ? 14 : o[i + 2];
		i += o[i + 1];
	}
	return 0;
}

static void fz_sniff_one(FIXTURE_DATA(fuzz) *self, const unsigned char *buf,
			 size_t n)
{
	const struct iphdr *ip = (const struct iphdr *)(buf + ETH_HLEN);
	const struct tcphdr *th;
	struct fz_conn *c = NULL;
	size_t hlen, doff;
	uint32_t end;
	long len;
	int i;

	if (n < ETH_HLEN + sizeof(*ip) + sizeof(*th) ||
	    buf[12] != 0x08 || buf[13] != 0x00)
		return;
	hlen = ip->ihl * 4u;
	/* ICMP echo reply: type 0 */
	if (ip->protocol == IPPROTO_ICMP && n > ETH_HLEN + hlen &&
	    buf[ETH_HLEN + hlen] == 0) {
		self->echo_replies++;
		return;
	}
	if (ip->protocol != IPPROTO_TCP)
		return;
	th = (const struct tcphdr *)((const unsigned char *)ip + hlen);
	if (n < ETH_HLEN + hlen + sizeof(*th))
		return;
	if (ntohs(th->source) == CLOSED_PORT && th->rst)
		self->closed_rsts++;
	if (ntohs(th->source) != PORT)
		return;
	for (i = 0; i < NCONNS; i++)
		if (self->conn[i].cport && ntohs(th->dest) == self->conn[i].cport)
			c = &self->conn[i];
	if (!c)
		return;
	doff = th->doff * 4u;
	/* what the IPv4 header says, not what recv() copied */
	len = (long)ntohs(ip->tot_len) - (long)(hlen + doff);
	if (len < 0)
		return;
	if (th->syn && th->ack) {
		c->synack = true;
		c->isn = ntohl(th->seq);
		c->snd_max = c->isn + 1;
		c->peer_isn = ntohl(th->ack_seq) - 1;
		c->rcv_nxt = ntohl(th->ack_seq);
		c->wnd = ntohs(th->window);
		if (n >= ETH_HLEN + hlen + doff)
			c->wscale = fz_wscale(th, doff);
		return;
	}
	if (!c->synack || th->rst || !th->ack)
		return;
	if (!len && !th->fin)
		c->pure_acks++;
	end = ntohl(th->seq) + (uint32_t)len + th->fin;
	if (seq_after(end, c->snd_max))
		c->snd_max = end;
	if (seq_after(ntohl(th->ack_seq), c->rcv_nxt))
		c->rcv_nxt = ntohl(th->ack_seq);
	c->wnd = (uint32_t)ntohs(th->window) << c->wscale;
}

static void fz_sniff(FIXTURE_DATA(fuzz) *self)
{
	unsigned char buf[128];
	ssize_t n;

	/* headers are enough: a short buffer truncates the copy */
	while ((n = recv(self->sniff, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC)) > 0)
		fz_sniff_one(self, buf, n > (ssize_t)sizeof(buf) ?
				 sizeof(buf) : (size_t)n);
}

/* --- the stream on the hashed connection ----------------------------- */

/* writes a chunk when the target's end has room, reads what arrived */
static int fz_pump(FIXTURE_DATA(fuzz) *self, bool more)
{
	struct fz_stream *st = &self->st;
	unsigned char buf[CHUNK];
	ssize_t n;
	int i;

	if (more && !st->shut) {
		xtcp_test_fill(&st->prng, buf, sizeof(buf));
		n = send(self->conn[0].sfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			EVP_DigestUpdate(st->sent, buf, (size_t)n);
			st->written += (unsigned long long)n;
		}
		/* the hash takes what went; the rest of buf is forgotten */
		if (n < 0 && errno != EAGAIN)
			return -1;
	}
	for (;;) {
		n = recv(self->conn[0].cfd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			EVP_DigestUpdate(st->got, buf, (size_t)n);
			st->read += (unsigned long long)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN)
			return -1;
		break;
	}
	/* what the victims received: read and forgotten, the window stays open */
	for (i = 1; i < NCONNS; i++)
		while (recv(self->conn[i].sfd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
	return 0;
}

/* --- crafting -------------------------------------------------------- */

/* SEQ for connection c at position pos, for a segment of len bytes */
static uint32_t fz_seq(struct xtcp_test_prng *r, const struct fz_conn *c,
		       enum fz_pos pos, size_t len)
{
	uint32_t wnd = c->wnd ? c->wnd : 1;
	uint32_t slack = (1u << c->wscale) * 2 + 1;

	switch (pos) {
	case POS_IN:
		return c->rcv_nxt + rnd(r, wnd);
	case POS_EDGE:
		return rnd(r, 2) ? c->rcv_nxt : c->rcv_nxt + wnd - 1;
	case POS_BELOW:
		return c->rcv_nxt - (uint32_t)len - 1 - rnd(r, 1000);
	case POS_ABOVE:
		return c->rcv_nxt + wnd + slack + rnd(r, 1000);
	case POS_FAR:
		return c->rcv_nxt + (rnd(r, 2) ? 0x40000000u : 0xc0000000u) +
		       rnd(r, 1u << 20);
	default:
		return rnd32(r);
	}
}

/*
 * ACK for connection c. bound is the most the target can have sent:
 * SND.NXT never passes it, so an ACK above it is never acceptable.
 */
static uint32_t fz_ack(struct xtcp_test_prng *r, const struct fz_conn *c,
		       enum fz_pos pos, uint32_t bound)
{
	switch (pos) {
	case POS_IN:
		return c->snd_max - rnd(r, 2000);
	case POS_EDGE:
		return c->snd_max;
	case POS_BELOW:
		return c->snd_max - 0x10000000u - rnd(r, 1000);
	case POS_ABOVE:
		return bound + 1 + rnd(r, 65536);
	case POS_FAR:
		return bound + 0x40000000u + rnd(r, 1u << 20);
	default:
		return rnd32(r);
	}
}

/* TCP options: up to 40 bytes, a multiple of 4 */
static size_t fz_tcp_opts(struct xtcp_test_prng *r, unsigned char *o)
{
	static const unsigned char kinds[] = { 2, 3, 4, 5, 8, 19, 28, 29, 30,
					       34, 254 };
	size_t len = 0, max = 4 * (1 + rnd(r, 10));
	unsigned char kind;

	while (len + 1 < max) {
		kind = kinds[rnd(r, sizeof(kinds))];
		switch (rnd(r, 8)) {
		case 0:		/* length 0 or 1 */
			o[len++] = kind;
			o[len++] = (unsigned char)rnd(r, 2);
			break;
		case 1:		/* overrunning the header */
			o[len] = kind;
			o[len + 1] = (unsigned char)(max - len + 1 + rnd(r, 40));
			len += 2;
			break;
		case 2:		/* NOP, or EOL and garbage after it */
			o[len++] = (unsigned char)rnd(r, 2);
			break;
		case 3:		/* SACK blocks, maybe of a wrong length */
			o[len++] = 5;
			o[len++] = (unsigned char)(2 + 8 * rnd(r, 5) + rnd(r, 3));
			break;
		case 4:		/* MSS or window scale, any value, repeated */
			if (len + 4 > max)
				goto out;
			kind = (unsigned char)(rnd(r, 2) ? 2 : 3);
			o[len++] = kind;
			o[len++] = (unsigned char)(kind == 2 ? 4 : 3);
			o[len++] = (unsigned char)rnd32(r);
			o[len++] = (unsigned char)rnd32(r);
			break;
		case 5:		/* timestamp, right or wrong length */
			if (len + 10 > max)
				goto out;
			o[len++] = 8;
			o[len++] = (unsigned char)(rnd(r, 4) ? 10 : rnd(r, 12));
			xtcp_test_put32(o + len, rnd32(r));
			xtcp_test_put32(o + len + 4, rnd32(r));
			len += 8;
			break;
		default:	/* any byte */
			o[len++] = (unsigned char)rnd32(r);
			break;
		}
	}
out:
	while (len < max)
		o[len++] = (unsigned char)rnd32(r);
	return max;
}

/*
 * One frame into f, from the seed's next draws: its class, target and
 * mutation. Returns the frame's length.
 */
static size_t fz_craft(FIXTURE_DATA(fuzz) *self, unsigned char *f,
		       enum fz_class *cls_out, bool *at_hashed)
{
	struct xtcp_test_prng *r = &self->rng;
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	unsigned char opts[40], data[256];
	struct xtcp_test_seg seg = { 0 };
	const struct fz_conn *c = NULL;
	enum fz_class cls = (enum fz_class)rnd(r, FZ_NCLASSES);
	enum fz_pos spos = (enum fz_pos)rnd(r, POS_N);
	enum fz_pos apos = (enum fz_pos)rnd(r, POS_N);
	uint32_t target = rnd(r, 10), bound = 0;
	bool hashed = false, seq_may_fit;
	size_t frame, tcp_len, ihl;
	unsigned int k;

	memcpy(seg.dmac, self->tmac, ETH_ALEN);
	memcpy(seg.smac, self->pmac, ETH_ALEN);
	seg.saddr = inet_addr(XTCP_TEST_ADDR1);
	seg.daddr = inet_addr(XTCP_TEST_ADDR0);
	seg.flags = TH_ACK;
	seg.window = (uint16_t)rnd32(r);
	seg.len = rnd(r, 4) ? 0 : 1 + rnd(r, sizeof(data));
	xtcp_test_fill(r, data, seg.len);
	seg.data = data;

	/* 4 in 10 at the hashed connection, 3 at victims, 2 at the listener */
	if (target < 4) {
		c = &self->conn[0];
		hashed = true;
	} else if (target < 7) {
		c = &self->conn[1 + rnd(r, NVICTIMS)];
	}
	if (c) {
		seg.sport = c->cport;
		seg.dport = PORT;
		seg.seq = fz_seq(r, c, spos, seg.len);
		bound = c->isn + 1 + (uint32_t)self->st.written;
		seg.ack = fz_ack(r, c, apos, c == &self->conn[0] ? bound :
				 c->snd_max);
	} else {
		seg.sport = (uint16_t)(1024 + rnd(r, 60000));
		seg.dport = target < 9 ? PORT : (uint16_t)(1 + rnd(r, 65535));
		seg.seq = rnd32(r);
		seg.ack = rnd32(r);
		seg.flags = (uint8_t)(rnd(r, 2) ? TH_SYN : rnd32(r));
	}

	switch (cls) {
	case FZ_TCP_OPTS:
		seg.optlen = fz_tcp_opts(r, opts);
		seg.opts = opts;
		break;
	case FZ_FLAGS:
		seg.flags = (uint8_t)rnd32(r);
		break;
	case FZ_WINDOW:
		k = rnd(r, 3);
		seg.window = k == 0 ? 0 : k == 1 ? 0xffff : seg.window;
		break;
	default:
		break;
	}

	/*
	 * The hashed connection: a well-formed segment must be one every
	 * TCP drops. Its ACK is beyond SND.NXT (or far too old); where its
	 * SEQ may be acceptable, it carries nothing that a TCP acts upon
	 * before the ACK check (RFC 9293 3.10.7.4: a RST at RCV.NXT) or
	 * that moves RCV.NXT.
	 */
	if (hashed && cls >= FZ_RANDOM) {
		if (apos != POS_ABOVE && apos != POS_FAR)
			seg.ack = fz_ack(r, c, POS_FAR, bound);
		seq_may_fit = spos == POS_IN || spos == POS_EDGE ||
			      spos == POS_RANDOM;
		if (seq_may_fit) {
			seg.len = 0;
			seg.flags &= (uint8_t)~TH_FIN;
			if ((seg.flags & TH_RST) && seg.seq == c->rcv_nxt)
				seg.seq++;
		}
		if (cls == FZ_RANDOM_TCP)
			cls = FZ_TCP_OPTS;
	}

	frame = xtcp_test_tcp_frame(f, FRAME_MAX, &seg);
	tcp_len = frame - ETH_HLEN - sizeof(*ip);

	switch (cls) {
	case FZ_IP_CSUM:
		ip->check ^= htons((uint16_t)(1 + rnd(r, 0xfffe)));
		break;
	case FZ_IHL_SMALL:
		ip->ihl = rnd(r, 5);
		xtcp_test_ip_csum(ip);
		break;
	case FZ_IP_CUT:
		frame = ETH_HLEN + rnd(r, sizeof(*ip));
		break;
	case FZ_LEN_LONG:
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len + 1 +
					       rnd(r, 1000)));
		xtcp_test_ip_csum(ip);
		break;
	case FZ_LEN_SHORT:
		ip->tot_len = htons((uint16_t)rnd(r, sizeof(*ip)));
		xtcp_test_ip_csum(ip);
		break;
	case FZ_FRAG:
		ip->frag_off = htons((uint16_t)(rnd(r, 2) ? IP_MF :
						1 + rnd(r, 0x1fff)));
		xtcp_test_ip_csum(ip);
		break;
	case FZ_TCP_CSUM:
		th->check ^= htons((uint16_t)(1 + rnd(r, 0xfffe)));
		break;
	case FZ_DOFF_SMALL:
		th->doff = rnd(r, 5);
		th->check = 0;
		th->check = htons(xtcp_test_tcp_csum(ip, th, tcp_len));
		break;
	case FZ_DOFF_LARGE:
		/* past the segment: at least 4 bytes more than it has */
		k = (unsigned int)(tcp_len / 4 + 1);
		if (k > 15) {
			/* 60 bytes would fit: cut the segment instead */
			tcp_len = 20;
			k = 15;
			frame = ETH_HLEN + sizeof(*ip) + tcp_len;
			ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len));
			xtcp_test_ip_csum(ip);
		}
		th->doff = k + rnd(r, 16 - k);
		th->check = 0;
		th->check = htons(xtcp_test_tcp_csum(ip, th, tcp_len));
		break;
	case FZ_TCP_CUT:
		tcp_len = rnd(r, sizeof(*th));
		frame = ETH_HLEN + sizeof(*ip) + tcp_len;
		ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len));
		xtcp_test_ip_csum(ip);
		break;
	case FZ_RANDOM:
		frame = ETH_HLEN + rnd(r, 200);
		xtcp_test_fill(r, f + ETH_HLEN, frame - ETH_HLEN);
		break;
	case FZ_RANDOM_TCP:
		/* keep the ports, randomise the rest of the header */
		xtcp_test_fill(r, (unsigned char *)th + 4, sizeof(*th) - 4);
		if (th->doff * 4u > tcp_len)
			th->doff = 5;
		th->check = 0;
		th->check = htons(xtcp_test_tcp_csum(ip, th, tcp_len));
		break;
	case FZ_IP_OPTS:
		/* move the TCP segment back and put options before it */
		ihl = 5 + 1 + rnd(r, 10);
		memmove((unsigned char *)ip + ihl * 4, th, tcp_len);
		xtcp_test_fill(r, ip + 1, ihl * 4 - sizeof(*ip));
		if (rnd(r, 2)) {	/* a well-formed NOP...EOL list */
			memset(ip + 1, 1, ihl * 4 - sizeof(*ip) - 1);
			((unsigned char *)ip)[ihl * 4 - 1] = 0;
		}
		ip->ihl = ihl;
		ip->tot_len = htons((uint16_t)(ihl * 4 + tcp_len));
		xtcp_test_ip_csum(ip);
		frame = ETH_HLEN + ihl * 4 + tcp_len;
		break;
	default:
		break;
	}
	*cls_out = cls;
	*at_hashed = hashed;
	return frame;
}

/* --- setup ----------------------------------------------------------- */

FIXTURE_SETUP(fuzz)
{
	XTCP_PAIR_SETUP("xtcp-fz", variant->xtcp, false);
	/* nothing below the target may vouch for a checksum */
	ASSERT_EQ(0, xtcp_test_rx_csum(self->pair.net.ns[0], "veth0", false));
	self->sniff = self->inj = self->lfd = -1;
}

/*
 * A victim's state may rightly be anything after the fuzz (its RCV.NXT
 * past what its client sent, say, so that the client's FIN is out of
 * its window): it is aborted, not closed.
 */
static void fz_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

FIXTURE_TEARDOWN(fuzz)
{
	int i;

	for (i = 0; i < NCONNS; i++) {
		if (self->conn[i].cfd > 0)
			fz_abort(self->conn[i].cfd);
		if (self->conn[i].sfd > 0)
			fz_abort(self->conn[i].sfd);
	}
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->sniff >= 0)
		close(self->sniff);
	if (self->inj >= 0)
		close(self->inj);
	if (self->st.sent)
		EVP_MD_CTX_free(self->st.sent);
	if (self->st.got)
		EVP_MD_CTX_free(self->st.got);
	/* what is left, and in which state, says what went wrong */
	if (!self->pair.skip && variant->xtcp &&
	    xtcp_test_wait_drained(self->pair.net.ns[0], 20000) > 0)
		xtcp_test_proc_dump(self->pair.net.ns[0], "xtcp", stdout);
	XTCP_PAIR_TEARDOWN(20000);
}

#define SEED_FMT "seed %" PRIu64 " (XTCP_FUZZ_SEED replays it)"
#define SEED_ARGS self->seed

/* the listener, the connections, and the state the sniffer learns */
static void fz_start(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fuzz) *self, const FIXTURE_VARIANT(fuzz) *variant)
{
	const char *ns0 = self->pair.net.ns[0], *ns1 = self->pair.net.ns[1];
	struct sockaddr_in sin;
	long long deadline;
	int i, one = 1, fl;
	bool all;

	self->seed = fz_seed();
	TH_LOG("fuzz " SEED_FMT, SEED_ARGS);
	xtcp_test_prng_init(&self->rng, self->seed);
	xtcp_test_prng_init(&self->st.prng, self->seed);
	self->st.sent = EVP_MD_CTX_new();
	self->st.got = EVP_MD_CTX_new();
	ASSERT_TRUE(self->st.sent && self->st.got);
	ASSERT_EQ(1, EVP_DigestInit_ex(self->st.sent, EVP_sha256(), NULL));
	ASSERT_EQ(1, EVP_DigestInit_ex(self->st.got, EVP_sha256(), NULL));

	ASSERT_EQ(0, xtcp_test_mac(ns0, "veth0", self->tmac, NULL));
	ASSERT_EQ(0, xtcp_test_mac(ns1, "veth1", self->pmac, &self->ifindex));
	self->sniff = xtcp_test_packet_socket(ns1, self->ifindex, false);
	ASSERT_LE(0, self->sniff);
	self->inj = xtcp_test_socket(ns1, AF_PACKET, SOCK_RAW);
	ASSERT_LE(0, self->inj);

	self->lfd = xtcp_test_socket(ns0, variant->xtcp ? -1 : AF_INET,
				     SOCK_STREAM);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, setsockopt(self->lfd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, PORT);
	ASSERT_EQ(0, bind(self->lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->lfd, 64));

	for (i = 0; i < NCONNS; i++) {
		struct fz_conn *c = &self->conn[i];

		c->cfd = xtcp_test_socket(ns1, AF_INET, SOCK_STREAM);
		ASSERT_LE(0, c->cfd);
		ASSERT_EQ(0, connect(c->cfd, (struct sockaddr *)&sin,
				     sizeof(sin)));
		c->cport = xtcp_test_local_port(c->cfd);
		c->sfd = accept(self->lfd, NULL, NULL);
		ASSERT_LE(0, c->sfd);
		/* accept() order is the connect order: one at a time */
		fl = fcntl(c->cfd, F_GETFL);
		ASSERT_EQ(0, fcntl(c->cfd, F_SETFL, fl | O_NONBLOCK));
		fl = fcntl(c->sfd, F_GETFL);
		ASSERT_EQ(0, fcntl(c->sfd, F_SETFL, fl | O_NONBLOCK));
	}
	fl = fcntl(self->lfd, F_GETFL);
	ASSERT_EQ(0, fcntl(self->lfd, F_SETFL, fl | O_NONBLOCK));

	/* the stream starts, and with it the state of every connection */
	deadline = xtcp_test_now_ms() + 5000LL * xtcp_test_timeout_scale();
	do {
		ASSERT_EQ(0, fz_pump(self, true));
		fz_sniff(self);
		for (i = 0, all = true; i < NCONNS; i++)
			all &= self->conn[i].synack;
		if (all && self->st.read > 4 * CHUNK)
			break;
		xtcp_test_msleep(1);
	} while (xtcp_test_now_ms() < deadline);
	ASSERT_TRUE(all) TH_LOG("SYN-ACKs not all seen; " SEED_FMT, SEED_ARGS);
	ASSERT_LT(4ULL * CHUNK, self->st.read) TH_LOG("the stream does not move");
}

/* The stream ends: FIN, the client reads to EOF, both hashes agree. */
static void fz_finish(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self)
{
	unsigned char md_sent[EVP_MAX_MD_SIZE], md_got[EVP_MAX_MD_SIZE];
	unsigned int len_sent, len_got;
	struct fz_stream *st = &self->st;
	long long deadline;
	unsigned char b;

	ASSERT_EQ(0, shutdown(self->conn[0].sfd, SHUT_WR))
		TH_LOG("errno %d: the connection is gone; " SEED_FMT, errno,
		       SEED_ARGS);
	st->shut = true;
	deadline = xtcp_test_now_ms() + 30000LL * xtcp_test_timeout_scale();
	while (st->read < st->written && xtcp_test_now_ms() < deadline) {
		ASSERT_EQ(0, fz_pump(self, false))
			TH_LOG("errno %d; " SEED_FMT, errno, SEED_ARGS);
		xtcp_test_msleep(1);
	}
	ASSERT_EQ(st->written, st->read)
		TH_LOG("stream incomplete; " SEED_FMT, SEED_ARGS);
	/* then EOF, not a reset */
	for (;;) {
		ssize_t n = recv(self->conn[0].cfd, &b, 1, MSG_DONTWAIT);

		if (n == 0)
			break;
		ASSERT_TRUE(n < 0 && errno == EAGAIN)
			TH_LOG("after the stream: %zd, errno %d; " SEED_FMT, n,
			       errno, SEED_ARGS);
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("no FIN; " SEED_FMT, SEED_ARGS);
		xtcp_test_msleep(1);
	}
	ASSERT_EQ(1, EVP_DigestFinal_ex(st->sent, md_sent, &len_sent));
	ASSERT_EQ(1, EVP_DigestFinal_ex(st->got, md_got, &len_got));
	ASSERT_EQ(0, memcmp(md_sent, md_got, len_sent))
		TH_LOG("SHA-256 differs after %llu bytes; " SEED_FMT,
		       st->written, SEED_ARGS);
}

/* A new connection to the listener, bytes both ways. */
static void fz_new_conn(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	int c, s, fl;
	char b[4];

	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, PORT);
	c = xtcp_test_socket(self->pair.net.ns[1], AF_INET, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("errno %d; " SEED_FMT, errno, SEED_ARGS);
	pfd.fd = self->lfd;
	pfd.events = POLLIN;
	/* children a fuzzed handshake completed may come first */
	for (;;) {
		struct sockaddr_in peer;
		socklen_t alen = sizeof(peer);

		ASSERT_EQ(1, poll(&pfd, 1, 5000 * xtcp_test_timeout_scale()))
			TH_LOG("no child; " SEED_FMT, SEED_ARGS);
		s = accept(self->lfd, (struct sockaddr *)&peer, &alen);
		if (s < 0 && errno == EAGAIN)
			continue;
		ASSERT_LE(0, s) TH_LOG("errno %d; " SEED_FMT, errno, SEED_ARGS);
		if (ntohs(peer.sin_port) == xtcp_test_local_port(c))
			break;
		fz_abort(s);
	}
	fl = fcntl(s, F_GETFL);
	ASSERT_EQ(0, fcntl(s, F_SETFL, fl & ~O_NONBLOCK));
	ASSERT_EQ(4, write(c, "ping", 4));
	ASSERT_EQ(4, read(s, b, 4));
	ASSERT_EQ(0, memcmp(b, "ping", 4));
	ASSERT_EQ(4, write(s, "pong", 4));
	ASSERT_EQ(4, read(c, b, 4));
	ASSERT_EQ(0, memcmp(b, "pong", 4));
	close(c);
	close(s);
}

TEST_F_TIMEOUT(fuzz, segments, 300)
{
	static const char * const names[] = { "DropIpChecksum", "DropIpHeader",
		"DropIpLength", "DropIpFragment", "DropTcpChecksum",
		"DropTcpHeader" };
	const char *ns0 = self->pair.net.ns[0];
	long long before[6], after, drops0, drops;
	unsigned long long total = fz_segments(), i, hashed = 0;
	unsigned char frame[FRAME_MAX];
	long long t0, t1;
	unsigned int j, k;

	SKIP_IF_NEEDED();
	fz_start(_metadata, self, variant);
	for (k = 0; k < 6; k++)
		before[k] = variant->xtcp ? xtcp_test_counter(ns0, names[k]) : 0;
	drops0 = veth_drops(self);
	ASSERT_LE(0, drops0);

	t0 = xtcp_test_now_ms();
	for (i = 0; i < total; ) {
		for (j = 0; j < BATCH && i < total; j++, i++) {
			enum fz_class cls;
			bool at_hashed;
			size_t len = fz_craft(self, frame, &cls, &at_hashed);

			ASSERT_EQ((ssize_t)len, xtcp_test_packet_send(self->inj,
					self->ifindex, frame, len))
				TH_LOG("send: errno %d; " SEED_FMT, errno,
				       SEED_ARGS);
			self->sent[cls]++;
			hashed += at_hashed;
		}
		fz_sniff(self);
		ASSERT_EQ(0, fz_pump(self, true))
			TH_LOG("stream: errno %d after %llu segments; " SEED_FMT,
			       errno, i, SEED_ARGS);
	}
	t1 = xtcp_test_now_ms();
	TH_LOG("%llu segments (%llu at the hashed connection) in %lld ms: %lld/s; %llu stream bytes",
	       total, hashed, t1 - t0, (long long)(total * 1000 / (t1 - t0 + 1)),
	       self->st.written);

	fz_finish(_metadata, self);
	fz_new_conn(_metadata, self);

	drops = veth_drops(self) - drops0;
	TH_LOG("frames the veth pair dropped: %lld", drops);
	if (!variant->xtcp)
		return;
	for (k = 0; k < 6; k++) {
		unsigned long long want = 0;
		int cls;

		for (cls = 0; cls < FZ_COUNTED; cls++)
			if (!strcmp(fz_counter[cls], names[k]))
				want += self->sent[cls];
		after = xtcp_test_counter(ns0, names[k]);
		TH_LOG("%s: sent %llu, counted %lld", names[k], want,
		       after - before[k]);
		ASSERT_LE((long long)want - drops, after - before[k])
			TH_LOG("%s: %llu sent, %lld counted; " SEED_FMT,
			       names[k], want, after - before[k], SEED_ARGS);
	}
}

/*
 * An integer file of ns (a sysctl of /proc/sys/net, which shows the
 * netns of whoever opens it), written when val >= 0; what it held, or -1.
 */
static int fz_ns_int(const char *ns, const char *path, int val)
{
	int old;

	if (xtcp_test_ns_enter(ns))
		return -1;
	old = xtcp_test_int_file(path, -1);
	if (old >= 0 && val >= 0 && xtcp_test_int_file(path, val) < 0)
		old = -1;
	xtcp_test_ns_leave();
	return old;
}

#define CHALLENGE_LIMIT	1000
#define XTCP_PARAM(name)	"/sys/module/xtcp/parameters/" name
#define NATIVE_SYSCTL(name)	"/proc/sys/net/ipv4/" name

/*
 * The most a limit of limit per second, with each second's budget drawn
 * from [limit / 2, limit * 3 / 2) (Linux 6.1), lets through in ms: every
 * second boundary the run crosses starts a new budget.
 */
static unsigned long long fz_budget(long long ms, unsigned int limit)
{
	return (unsigned long long)(ms / 1000 + 2) * (limit + limit / 2);
}

/*
 * RFC 5961's blind attacker at the hashed connection: it knows the
 * 4-tuple, not the numbers. RSTs, SYNs and data in turn; the pure ACKs
 * the target answers each kind with are counted apart. A SYN is
 * challenged whatever its SEQ (RFC 5961 4.2), so the SYNs' ACKs are
 * challenge ACKs, and stay within the per-netns limit: 1000 a second
 * (XTCP's default; native TCP's net.ipv4.tcp_challenge_ack_limit is set
 * to it, since 6.1 defaults to no limit). The per-socket limit of one
 * ACK per invalid_ratelimit ms is turned off (XTCP's module parameter
 * where it exists, native's net.ipv4.tcp_invalid_ratelimit) so that the
 * per-netns one is what is measured. Data out of the window is answered
 * with a duplicate ACK each, by both: RFC 5961 leaves those alone.
 */
TEST_F_TIMEOUT(fuzz, blind, 300)
{
	static const uint8_t flags[3] = { TH_RST, TH_SYN, TH_ACK | TH_PUSH };
	static const char * const what[3] = { "RSTs", "SYNs", "data" };
	const char *ns0 = self->pair.net.ns[0];
	unsigned long long acks0, acks[3], i, bound;
	unsigned char frame[FRAME_MAX], data[100];
	struct fz_conn *c = &self->conn[0];
	int old_limit = -1, old_invalid = -1;
	long long t0, t1, ms[3], limited0 = 0;
	unsigned int kind;

	SKIP_IF_NEEDED();
	if (variant->xtcp) {
		/*
		 * A module without the limit (the baseline) is measured all
		 * the same, and fails on what it sends.
		 */
		old_limit = xtcp_test_int_file(XTCP_PARAM("challenge_ack_limit"),
					       CHALLENGE_LIMIT);
		/* the per-socket limit (perf17), if this module has it */
		old_invalid = xtcp_test_int_file(XTCP_PARAM("invalid_ratelimit"),
						 -1);
		if (old_invalid >= 0)
			xtcp_test_int_file(XTCP_PARAM("invalid_ratelimit"), 0);
		limited0 = xtcp_test_counter(ns0, "ChallengeAcksLimited");
	} else {
		ASSERT_LE(0, fz_ns_int(ns0, NATIVE_SYSCTL("tcp_challenge_ack_limit"),
				       CHALLENGE_LIMIT));
		ASSERT_LE(0, fz_ns_int(ns0, NATIVE_SYSCTL("tcp_invalid_ratelimit"),
				       0));
	}
	fz_start(_metadata, self, variant);
	memset(data, 'B', sizeof(data));
	t0 = xtcp_test_now_ms();
	for (kind = 0; kind < 3; kind++) {
		fz_sniff(self);
		acks0 = c->pure_acks;
		ms[kind] = xtcp_test_now_ms();
		for (i = 0; i < BLIND_EACH; i++) {
			struct xtcp_test_seg seg = {
				.saddr = inet_addr(XTCP_TEST_ADDR1),
				.daddr = inet_addr(XTCP_TEST_ADDR0),
				.sport = c->cport,
				.dport = PORT,
				.seq = rnd32(&self->rng),
				.ack = rnd32(&self->rng),
				.flags = flags[kind],
				.window = 65535,
				.data = data,
				.len = kind == 2 ? sizeof(data) : 0,
			};
			size_t len;

			memcpy(seg.dmac, self->tmac, ETH_ALEN);
			memcpy(seg.smac, self->pmac, ETH_ALEN);
			/*
			 * A blind RST at exactly RCV.NXT resets any TCP
			 * (RFC 5961 3.2); 1 in 2^32, but a fixed seed
			 * must not make the run fail by chance.
			 */
			if (kind == 0 && seg.seq == c->rcv_nxt)
				seg.seq++;
			len = xtcp_test_tcp_frame(frame, sizeof(frame), &seg);
			ASSERT_EQ((ssize_t)len, xtcp_test_packet_send(self->inj,
					self->ifindex, frame, len));
			if (i % BATCH == BATCH - 1) {
				fz_sniff(self);
				ASSERT_EQ(0, fz_pump(self, true))
					TH_LOG("errno %d; " SEED_FMT, errno,
					       SEED_ARGS);
			}
		}
		/* the last answers are on their way */
		xtcp_test_msleep(50);
		fz_sniff(self);
		ms[kind] = xtcp_test_now_ms() - ms[kind];
		acks[kind] = c->pure_acks - acks0;
		TH_LOG("%d blind %s in %lld ms: %llu pure ACKs back (%lld/s)",
		       BLIND_EACH, what[kind], ms[kind], acks[kind],
		       (long long)(acks[kind] * 1000 /
				   (unsigned long long)(ms[kind] + 1)));
	}
	t1 = xtcp_test_now_ms();
	TH_LOG("%d blind segments in %lld ms", 3 * BLIND_EACH, t1 - t0);
	if (variant->xtcp) {
		if (old_limit >= 0)
			xtcp_test_int_file(XTCP_PARAM("challenge_ack_limit"),
					   old_limit);
		if (old_invalid >= 0)
			xtcp_test_int_file(XTCP_PARAM("invalid_ratelimit"),
					   old_invalid);
	}
	bound = fz_budget(ms[1], CHALLENGE_LIMIT);
	ASSERT_GE(bound, acks[1])
		TH_LOG("%llu challenge ACKs in %lld ms, above %d/s; " SEED_FMT,
		       acks[1], ms[1], CHALLENGE_LIMIT, SEED_ARGS);
	if (variant->xtcp) {
		long long limited = xtcp_test_counter(ns0,
						      "ChallengeAcksLimited");

		TH_LOG("ChallengeAcksLimited: %lld", limited - limited0);
		/* each SYN drew a challenge ACK or counted as held back */
		ASSERT_LE(0, limited0);
		ASSERT_LE((long long)(BLIND_EACH - acks[1]), limited - limited0)
			TH_LOG(SEED_FMT, SEED_ARGS);
	}
	ASSERT_LT(0ULL, acks[1]) TH_LOG("no challenge ACK at all");
	fz_finish(_metadata, self);
	fz_new_conn(_metadata, self);
}

/*
 * A frame from the peer's address to the target: a SYN to CLOSED_PORT
 * (flood_rst) or an ICMP echo request (flood_echo).
 */
static size_t fz_flood_frame(FIXTURE_DATA(fuzz) *self, unsigned char *f,
			     bool echo, unsigned int i)
{
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	unsigned char *icmp = (unsigned char *)(ip + 1);
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR1),
		.daddr = inet_addr(XTCP_TEST_ADDR0),
		.sport = (uint16_t)(10000 + i % 50000),
		.dport = CLOSED_PORT,
		.seq = rnd32(&self->rng),
		.flags = TH_SYN,
		.window = 65535,
	};
	size_t len;

	memcpy(seg.dmac, self->tmac, ETH_ALEN);
	memcpy(seg.smac, self->pmac, ETH_ALEN);
	len = xtcp_test_tcp_frame(f, FRAME_MAX, &seg);
	if (!echo)
		return len;
	/* the same Ethernet and IPv4 headers around 8 bytes of echo + 32 */
	ip->protocol = IPPROTO_ICMP;
	ip->tot_len = htons(sizeof(*ip) + 8 + 32);
	xtcp_test_ip_csum(ip);
	memset(icmp, 0, 8 + 32);
	icmp[0] = 8;				/* echo request */
	icmp[4] = 0x12;				/* identifier */
	icmp[6] = (unsigned char)(i >> 8);	/* sequence */
	icmp[7] = (unsigned char)i;
	xtcp_test_put32(icmp + 8, i);
	/* the folded sum comes complemented, as a checksum field wants */
	len = xtcp_test_csum_fold(xtcp_test_csum_add(0, icmp, 8 + 32));
	icmp[2] = (unsigned char)(len >> 8);
	icmp[3] = (unsigned char)len;
	return ETH_HLEN + sizeof(*ip) + 8 + 32;
}

/*
 * FLOOD SYNs at a closed port (flood_rst), or FLOOD pings (flood_echo),
 * as fast as the injector goes; the RSTs or echo replies that come back
 * are counted. XTCP sends at most rst_ratelimit (echo_ratelimit) a
 * second, 1000 by default, and counts the rest in OutRstsLimited
 * (OutEchoRepliesLimited). Linux limits neither (its RSTs go unlimited,
 * and echo replies are outside icmp_ratemask): the tcp variant prints
 * what it sent.
 */
static void fz_flood(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fuzz) *self,
		     const FIXTURE_VARIANT(fuzz) *variant, bool echo)
{
	const char *ns0 = self->pair.net.ns[0];
	const char *counter = echo ? "OutEchoRepliesLimited" : "OutRstsLimited";
	unsigned long long *seen = echo ? &self->echo_replies :
					  &self->closed_rsts;
	unsigned char frame[FRAME_MAX];
	long long t0, ms, lim0 = 0, lim;
	unsigned int i;
	size_t len;

	SKIP_IF_NEEDED();
	self->seed = fz_seed();
	TH_LOG("flood " SEED_FMT, SEED_ARGS);
	xtcp_test_prng_init(&self->rng, self->seed);
	ASSERT_EQ(0, xtcp_test_mac(ns0, "veth0", self->tmac, NULL));
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[1], "veth1", self->pmac,
				   &self->ifindex));
	self->sniff = xtcp_test_packet_socket(self->pair.net.ns[1],
					      self->ifindex, false);
	ASSERT_LE(0, self->sniff);
	self->inj = xtcp_test_socket(self->pair.net.ns[1], AF_PACKET,
				     SOCK_RAW);
	ASSERT_LE(0, self->inj);
	/* one first, so that ARP is done before the count starts */
	len = fz_flood_frame(self, frame, echo, FLOOD);
	ASSERT_EQ((ssize_t)len, xtcp_test_packet_send(self->inj, self->ifindex,
						      frame, len));
	t0 = xtcp_test_now_ms() + 5000LL * xtcp_test_timeout_scale();
	while (!*seen && xtcp_test_now_ms() < t0) {
		xtcp_test_msleep(10);
		fz_sniff(self);
	}
	ASSERT_EQ(1ULL, *seen) TH_LOG("no answer to the first");
	*seen = 0;
	if (variant->xtcp) {
		int limit = xtcp_test_int_file(echo ?
			XTCP_PARAM("echo_ratelimit") : XTCP_PARAM("rst_ratelimit"),
			-1);

		/* -1: a module without the limit, measured all the same */
		ASSERT_TRUE(limit == 1000 || limit == -1)
			TH_LOG("not the default limit: %d", limit);
		lim0 = xtcp_test_counter(ns0, counter);
	}
	t0 = xtcp_test_now_ms();
	for (i = 0; i < FLOOD; i++) {
		len = fz_flood_frame(self, frame, echo, i);
		ASSERT_EQ((ssize_t)len, xtcp_test_packet_send(self->inj,
					self->ifindex, frame, len));
		if (i % BATCH == BATCH - 1)
			fz_sniff(self);
	}
	xtcp_test_msleep(100);
	fz_sniff(self);
	ms = xtcp_test_now_ms() - t0;
	TH_LOG("%d %s in %lld ms: %llu %s back", FLOOD,
	       echo ? "pings" : "SYNs at a closed port", ms, *seen,
	       echo ? "echo replies" : "RSTs");
	ASSERT_LT(0ULL, *seen) TH_LOG("nothing answered");
	if (!variant->xtcp)
		return;
	/* at most 1000 in each second the flood touched */
	ASSERT_GE((unsigned long long)(ms / 1000 + 2) * 1000, *seen);
	ASSERT_LE(0, lim0);
	lim = xtcp_test_counter(ns0, counter) - lim0;
	TH_LOG("%s: %lld", counter, lim);
	ASSERT_LE((long long)(FLOOD - *seen) - veth_drops(self), lim);
}

TEST_F_TIMEOUT(fuzz, flood_rst, 120)
{
	fz_flood(_metadata, self, variant, false);
}

TEST_F_TIMEOUT(fuzz, flood_echo, 120)
{
	fz_flood(_metadata, self, variant, true);
}

XTCP_HARNESS_MAIN
