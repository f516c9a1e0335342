// SPDX-License-Identifier: GPL-2.0
/*
 * TIME_WAIT entries (issue 16): what a connection leaves behind once its
 * socket is gone, and what it answers.
 *
 * Fixture tw, a raw peer, variants xtcp and tcp (native, the reference):
 *
 *   ns[0]: the host under test, veth0        ns[1]: veth1 with no address;
 *          192.0.2.1, XTCP or native TCP            a raw peer on an
 *                                                   AF_PACKET socket plays
 *                                                   192.0.2.2 alone
 *
 * The host closes first, the peer ACKs its FIN and sends its own, so the
 * host's end of the 4-tuple is in TIME_WAIT. Then:
 *
 * fin_retransmit: the peer sends its FIN again. The entry answers with an
 *   ACK whose SEQ is one past the host's FIN and whose ACK is one past the
 *   peer's, and the 2 MSL start again (/proc's tm->when grows back). The
 *   application still holds its socket (after shutdown(SHUT_WR)), but the
 *   TIME_WAIT line in /proc has inode 0: it is an entry, not that socket,
 *   as Linux's tcp_time_wait() then tcp_done() leave it.
 * rst_ignored: an in-window RST leaves the entry (RFC 1337); native with
 *   net.ipv4.tcp_rfc1337=1. A FIN sent after it is still ACKed.
 * synack_again: the peer's SYN-ACK again, reaching the host after its
 *   FIN (as when the host's SYN was retransmitted before the first
 *   SYN-ACK came: the peer answers both). The host, in FIN_WAIT_1,
 *   answers it with a duplicate ACK (RFC 9293 3.10.7.4's first check;
 *   Linux: a challenge ACK, RFC 5961 4.2), then still ACKs the peer's
 *   FIN and enters TIME_WAIT. The duplicate is not the answer to the FIN.
 * syn_takeover: the host was the server; a SYN beyond the old RCV.NXT for
 *   the same 4-tuple reaches the listener and the handshake completes
 *   (RFC 6191 without timestamps).
 * expiry (XTCP only: native's TIME_WAIT is a fixed 60 s): the entry shows
 *   as 06 with at most 2 MSL left, then goes after 2 MSL.
 * bind_reuse, bind_noreuse: the server's port, held by the entry after
 *   its listener closed, can be bound with SO_REUSEADDR only if the
 *   listener had it too (inet_csk_bind_conflict()), else EADDRINUSE.
 *
 * With timestamps (RFC 7323; issue 17), the peer offering them:
 * ts_ack: the entry's ACK of the peer's FIN, sent again, carries a
 *   timestamp whose TSecr is TS.Recent, the TSval of the peer's FIN, and
 *   whose TSval follows the connection's clock (tcp_v4_timewait_ack()).
 * ts_recycle: the host was the server; a SYN for the same 4-tuple with
 *   an ISN below the old RCV.NXT and an old TSval is PAWS-rejected and
 *   answered with the entry's ACK (PAWSEstabRejected, native PAWSEstab);
 *   the same SYN with a TSval newer than TS.Recent opens a new
 *   incarnation (RFC 6191 2): the handshake completes.
 * ts_zero: the peer's clock wraps to 0 at its FIN (TSval 0xffffffff in
 *   its SYN-ACK, then 0), so TS.Recent is 0 in TIME_WAIT; its FIN
 *   again with TSval 0x80000010 is no old duplicate, as
 *   tcp_paws_check() exempts a TS.Recent of 0: ACKed,
 *   PAWSEstabRejected (PAWSEstab) not rising (issue 17's review).
 *
 * Many entries at once: timewait_many.c.
 *
 * Deterministic: the peer waits for the host's answer to each step; times
 * only bound what /proc may show.
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

#define PORT		5571		/* the peer's, or the host's server */
#define PEER_PORT	40123		/* the peer's as a client */
#define PEER_ISN	0x10000000u
#define PEER_MSS	1460
#define TW_MSL_MS	2000		/* fixture tw, XTCP: 4 s of TIME_WAIT */

struct peer {
	int fd, ifindex;
	unsigned char mac[ETH_ALEN];	/* veth1, ours */
	unsigned char hmac[ETH_ALEN];	/* veth0, the host's */
	bool have_hmac;
	uint16_t sport, dport;		/* ours, the host's */
	uint32_t snd_nxt;		/* our next sequence number */
	uint32_t rcv_nxt;		/* the host's next, once synced */
	bool synced;
	/* the last segment from the host on our 4-tuple */
	unsigned int segs;
	uint32_t seq, ack, end_seq;
	uint8_t flags;
	/* peer_wait_ack(): the host's segments it passed over */
	unsigned int passed;
	/* tw_as_client(): our SYN-ACK again once the host's FIN is in */
	bool synack_again;
	/*
	 * tw_as_client(): our FIN's TSval, whatever came before it (a SYN
	 * the host sent again while the VM was slow gets a SYN-ACK too)
	 */
	bool fin_tsval_set;
	uint32_t fin_tsval;
	/* timestamps: offered, our clock, the host's last TSval */
	bool ts;
	uint32_t tsval, last_tsval;
	uint32_t ts_recent;
	/* the host's last segment had one, and these */
	bool saw_ts;
	uint32_t seg_tsval, seg_tsecr;
};

FIXTURE(tw) {
	struct xtcp_test_pair pair;
	struct peer p;
};

FIXTURE_VARIANT(tw) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(tw, xtcp) { .xtcp = true };
FIXTURE_VARIANT_ADD(tw, tcp) { .xtcp = false };

static int scaled_ms(int ms)
{
	return ms * xtcp_test_timeout_scale();
}

FIXTURE_SETUP(tw)
{
	self->p.fd = -1;
	XTCP_PAIR_SETUP_BARE("xtcp-tw", variant->xtcp);
	ASSERT_EQ(0, xtcp_test_mac(self->pair.net.ns[1], "veth1", self->p.mac,
				   &self->p.ifindex));
	self->p.fd = xtcp_test_packet_socket(self->pair.net.ns[1],
					     self->p.ifindex, false);
	ASSERT_LE(0, self->p.fd);
	if (variant->xtcp) {
		ASSERT_EQ(TW_MSL_MS, xtcp_test_msl(TW_MSL_MS));
	} else {
		/* RFC 1337's advice, which XTCP always follows */
		ASSERT_EQ(0, xtcp_test_run("ip netns exec %s sysctl -qw net.ipv4.tcp_rfc1337=1",
					   self->pair.net.ns[0]));
	}
}

FIXTURE_TEARDOWN(tw)
{
	if (self->p.fd >= 0)
		close(self->p.fd);
	/* the entries go with the netns, so teardown waits for none */
	XTCP_PAIR_TEARDOWN(3 * TW_MSL_MS);
}

/*
 * One segment to the host; with p->ts, opts are followed by NOP NOP TS:
 * TSval from our clock, which then ticks, and TSecr the host's last
 * TSval (0 on a SYN).
 */
static int peer_send(struct peer *p, uint32_t seq, uint8_t flags,
		     const void *opts, size_t optlen)
{
	unsigned char frame[256], o[40];
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR1),
		.daddr = inet_addr(XTCP_TEST_ADDR0),
		.sport = p->sport,
		.dport = p->dport,
		.seq = seq,
		.ack = (flags & TH_ACK) ? p->rcv_nxt : 0,
		.flags = flags,
		.window = 65535,
		.opts = opts,
		.optlen = optlen,
	};
	size_t n;

	if (p->ts && optlen + 12 <= sizeof(o)) {
		if (optlen)
			memcpy(o, opts, optlen);
		p->last_tsval = p->tsval++;
		seg.opts = o;
		seg.optlen = optlen + xtcp_test_ts_opt(o + optlen, p->last_tsval,
						       (flags & TH_ACK) ?
						       p->ts_recent : 0);
	}
	memcpy(seg.dmac, p->hmac, ETH_ALEN);
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
	memcpy(p->hmac, req->arp_sha, ETH_ALEN);
	p->have_hmac = true;
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

/* the timestamp option of the host's segment th, if any, into p */
static void peer_ts(struct peer *p, const struct tcphdr *th, size_t n)
{
	struct xtcp_test_opts o;

	p->saw_ts = false;
	if (th->doff * 4 < sizeof(*th) || th->doff * 4 > n)
		return;
	xtcp_test_tcp_opts(th + 1, th->doff * 4 - sizeof(*th), &o);
	p->saw_ts = o.ts;
	if (o.ts) {
		p->seg_tsval = o.tsval;
		p->seg_tsecr = o.tsecr;
		p->ts_recent = o.tsval;
	}
}

/*
 * A segment from the host: recorded if it is on our 4-tuple. As a server
 * (sport PORT) the peer also answers the host's SYN.
 */
static void peer_tcp(struct peer *p, const unsigned char *buf, size_t n)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	const struct iphdr *ip = (const void *)(buf + ETH_HLEN);
	const struct tcphdr *th;
	size_t tcplen;

	if (n < ETH_HLEN + sizeof(*ip) + sizeof(*th) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_TCP ||
	    ip->saddr != inet_addr(XTCP_TEST_ADDR0) ||
	    ip->daddr != inet_addr(XTCP_TEST_ADDR1))
		return;
	th = (const void *)(ip + 1);
	if (ntohs(th->dest) != p->sport)
		return;
	memcpy(p->hmac, buf + ETH_ALEN, ETH_ALEN);
	p->have_hmac = true;
	peer_ts(p, th, n - ETH_HLEN - sizeof(*ip));
	if (p->sport == PORT && th->syn && !th->ack) {
		p->dport = ntohs(th->source);
		p->rcv_nxt = ntohl(th->seq) + 1;
		p->snd_nxt = PEER_ISN + 1;
		p->synced = true;
		peer_send(p, PEER_ISN, TH_SYN | TH_ACK, mss, sizeof(mss));
	}
	if (ntohs(th->source) != p->dport)
		return;
	tcplen = ntohs(ip->tot_len) - sizeof(*ip);
	p->segs++;
	p->seq = ntohl(th->seq);
	p->ack = ntohl(th->ack_seq);
	p->end_seq = p->seq + (uint32_t)(tcplen - th->doff * 4) + th->syn +
		     th->fin;
	p->flags = ((const uint8_t *)th)[13];
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

/* reads frames until the host sent a segment after the first segs */
static bool peer_wait_seg(struct peer *p, unsigned int segs, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);

	for (;;) {
		long long left = deadline - xtcp_test_now_ms();

		if (p->segs > segs)
			return true;
		if (left <= 0)
			return false;
		peer_rx(p, (int)left);
	}
}

/* reads frames until the host's last segment had these flags */
static bool peer_wait_flags(struct peer *p, uint8_t flags, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);
	unsigned int segs = p->segs;

	for (;;) {
		if (!peer_wait_seg(p, segs, 100)) {
			if (xtcp_test_now_ms() > deadline)
				return false;
			continue;
		}
		segs = p->segs;
		if ((p->flags & flags) == flags)
			return true;
	}
}

/*
 * Reads frames until the host's last segment acknowledges up to ack.
 * Segments acknowledging less are passed over, not taken for the answer:
 * the host may have sent them before ours reached it (its duplicate ACK
 * of a SYN-ACK sent again: synack_again). A host that does not accept
 * ours never sends the ACK, so the wait still fails on it.
 */
static bool peer_wait_ack(struct peer *p, uint32_t ack, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);
	unsigned int segs = p->segs;

	p->passed = 0;
	for (;;) {
		if (!peer_wait_seg(p, segs, 100)) {
			if (xtcp_test_now_ms() > deadline)
				return false;
			continue;
		}
		segs = p->segs;
		if ((p->flags & TH_ACK) && p->ack == ack)
			return true;
		p->passed++;
	}
}

static int host_socket(FIXTURE_DATA(tw) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

/*
 * The host connects to the peer, then closes its sending side; the peer
 * ACKs the FIN and sends its own, which the host ACKs from TIME_WAIT.
 * With p->synack_again, our SYN-ACK goes again just before our FIN, as a
 * server's would if the host's SYN had been retransmitted before our
 * first SYN-ACK reached it. Returns the host's socket, still open, or -1.
 */
static int tw_as_client(struct __test_metadata *_metadata,
			FIXTURE_DATA(tw) *self)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	struct peer *p = &self->p;
	struct sockaddr_in sin;
	const char *why = "socket";
	long long deadline;
	struct pollfd pfd;
	int c, st;

	p->sport = PORT;
	c = host_socket(self);
	if (c < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (fcntl(c, F_SETFL, O_NONBLOCK) ||
	    (connect(c, (struct sockaddr *)&sin, sizeof(sin)) &&
	     errno != EINPROGRESS))
		goto fail;
	pfd = (struct pollfd){ .fd = c, .events = POLLOUT };
	deadline = xtcp_test_now_ms() + scaled_ms(10000);
	while (xtcp_test_now_ms() < deadline) {
		peer_rx(p, 20);
		if (poll(&pfd, 1, 0) == 1)
			break;
	}
	why = "handshake";
	if (!(pfd.revents & POLLOUT) || fcntl(c, F_SETFL, 0))
		goto fail;
	/* the handshake's ACK, then the FIN */
	why = "the host's FIN";
	if (shutdown(c, SHUT_WR) || !peer_wait_flags(p, TH_FIN, 5000))
		goto fail;
	why = "our SYN-ACK again";
	if (p->synack_again &&
	    peer_send(p, PEER_ISN, TH_SYN | TH_ACK, mss, sizeof(mss)))
		goto fail;
	p->rcv_nxt = p->end_seq;
	if (p->fin_tsval_set)
		p->tsval = p->fin_tsval;
	if (peer_send(p, p->snd_nxt, TH_ACK | TH_FIN, NULL, 0))
		goto fail;
	p->snd_nxt++;
	why = "the ACK of our FIN";
	if (!peer_wait_ack(p, p->snd_nxt, 5000))
		goto fail;
	why = "TIME_WAIT in /proc";
	st = xtcp_test_wait_state(self->pair.net.ns[0], self->pair.net.xtcp[0],
				  p->dport, PORT, XTCP_TEST_TIME_WAIT, 5000);
	if (st != XTCP_TEST_TIME_WAIT)
		goto fail;
	return c;
fail:
	TH_LOG("no TIME_WAIT as a client: %s (errno %d; last segment flags %#x seq %u ack %u, %u segments)",
	       why, errno, p->flags, p->seq, p->ack, p->segs);
	close(c);
	return -1;
}

/*
 * The host listens on PORT (SO_REUSEADDR if reuse), the peer connects
 * from PEER_PORT with ISN isn, the host accepts and closes first. The
 * listener is returned in *lfd. Returns 0 with the host's end in
 * TIME_WAIT, else -1.
 */
static int tw_as_server(struct __test_metadata *_metadata,
			FIXTURE_DATA(tw) *self, bool reuse, int *lfd)
{
	struct peer *p = &self->p;
	struct sockaddr_in sin;
	int l, a = -1, one = 1, st;
	long long deadline;
	struct pollfd pfd;

	p->sport = PEER_PORT;
	p->dport = PORT;
	l = host_socket(self);
	*lfd = l;
	if (l < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, PORT);
	if ((reuse && setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one,
				 sizeof(one))) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 8) ||
	    fcntl(l, F_SETFL, O_NONBLOCK))
		goto fail;

	/* the host resolves us when it answers; our SYN goes out blind */
	memset(p->hmac, 0xff, ETH_ALEN);
	if (xtcp_test_mac(self->pair.net.ns[0], "veth0", p->hmac, NULL))
		goto fail;
	p->snd_nxt = PEER_ISN;
	if (peer_send(p, p->snd_nxt, TH_SYN, NULL, 0) ||
	    !peer_wait_flags(p, TH_SYN | TH_ACK, 5000))
		goto fail;
	p->snd_nxt++;
	p->rcv_nxt = p->end_seq;
	if (peer_send(p, p->snd_nxt, TH_ACK, NULL, 0))
		goto fail;
	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	deadline = xtcp_test_now_ms() + scaled_ms(5000);
	while (a < 0 && xtcp_test_now_ms() < deadline) {
		peer_rx(p, 0);
		if (poll(&pfd, 1, 20) == 1)
			a = accept(l, NULL, NULL);
	}
	if (a < 0)
		goto fail;
	close(a);
	if (!peer_wait_flags(p, TH_FIN, 5000))
		goto fail;
	p->rcv_nxt = p->end_seq;
	if (peer_send(p, p->snd_nxt, TH_ACK | TH_FIN, NULL, 0))
		goto fail;
	p->snd_nxt++;
	if (!peer_wait_ack(p, p->snd_nxt, 5000))
		goto fail;
	st = xtcp_test_wait_state(self->pair.net.ns[0], self->pair.net.xtcp[0],
				  PORT, PEER_PORT, XTCP_TEST_TIME_WAIT, 5000);
	if (st != XTCP_TEST_TIME_WAIT)
		goto fail;
	return 0;
fail:
	TH_LOG("no TIME_WAIT as a server (errno %d)", errno);
	return -1;
}

/* the host's TIME_WAIT end as /proc shows it; -1 ms: not there */
static long tw_left_ms(FIXTURE_DATA(tw) *self, uint16_t lport,
		       uint16_t rport, int *state, unsigned long *inode)
{
	long when = -1;

	*state = 0;
	if (xtcp_test_sk_timer(self->pair.net.ns[0], self->pair.net.xtcp[0],
			       lport, rport, state, &when, inode) != 1)
		return -1;
	return when;
}

TEST_F_TIMEOUT(tw, fin_retransmit, 120)
{
	struct peer *p = &self->p;
	long left0, left1, left2;
	unsigned long inode = 1;
	long long deadline;
	uint32_t fin_seq;
	unsigned int segs;
	int c, st;

	SKIP_IF_NEEDED();
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);

	/* the user still holds @c; what waits is an entry, not @c */
	left0 = tw_left_ms(self, p->dport, PORT, &st, &inode);
	ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);
	EXPECT_EQ(0UL, inode) TH_LOG("TIME_WAIT is still a socket");
	ASSERT_LT(0, left0);
	/* let a second of the 2 MSL go by, as /proc shows it */
	deadline = xtcp_test_now_ms() + scaled_ms(5000);
	do {
		xtcp_test_msleep(50);
		left1 = tw_left_ms(self, p->dport, PORT, &st, NULL);
		ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);
	} while (left1 > left0 - 1000 && xtcp_test_now_ms() < deadline);
	ASSERT_LE(left1, left0 - 1000);

	/* the peer's FIN again: same SEQ, same ACK */
	fin_seq = p->snd_nxt - 1;
	segs = p->segs;
	ASSERT_EQ(0, peer_send(p, fin_seq, TH_ACK | TH_FIN, NULL, 0));
	ASSERT_TRUE(peer_wait_seg(p, segs, 5000));
	EXPECT_EQ(TH_ACK, p->flags & (TH_ACK | TH_SYN | TH_FIN | TH_RST));
	EXPECT_EQ(p->rcv_nxt, p->seq) TH_LOG("SEQ of the entry's ACK");
	EXPECT_EQ(fin_seq + 1, p->ack) TH_LOG("ACK of the entry's ACK");

	/* and the 2 MSL started again */
	left2 = tw_left_ms(self, p->dport, PORT, &st, NULL);
	EXPECT_EQ(XTCP_TEST_TIME_WAIT, st);
	EXPECT_GT(left2, left1 + 500)
		TH_LOG("left before %ld ms, after the FIN %ld ms", left1, left2);
	close(c);
}

TEST_F_TIMEOUT(tw, rst_ignored, 120)
{
	struct peer *p = &self->p;
	unsigned int segs;
	long left;
	int c, st;

	SKIP_IF_NEEDED();
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);
	close(c);

	/* exactly at RCV.NXT: Linux's default would end TIME_WAIT */
	ASSERT_EQ(0, peer_send(p, p->snd_nxt, TH_RST, NULL, 0));
	/* the FIN again, after the RST on the same wire: still answered */
	segs = p->segs;
	ASSERT_EQ(0, peer_send(p, p->snd_nxt - 1, TH_ACK | TH_FIN, NULL, 0));
	ASSERT_TRUE(peer_wait_seg(p, segs, 5000))
		TH_LOG("the entry is gone: nothing answered the FIN");
	EXPECT_EQ(TH_ACK, p->flags & (TH_ACK | TH_SYN | TH_FIN | TH_RST));
	EXPECT_EQ(p->snd_nxt, p->ack);
	left = tw_left_ms(self, p->dport, PORT, &st, NULL);
	EXPECT_EQ(XTCP_TEST_TIME_WAIT, st);
	EXPECT_LT(0, left);
}

TEST_F_TIMEOUT(tw, synack_again, 120)
{
	struct peer *p = &self->p;
	int c;

	SKIP_IF_NEEDED();
	p->synack_again = true;
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);
	/* the duplicate ACK came first, and was passed over */
	EXPECT_LE(1U, p->passed)
		TH_LOG("the host did not answer the SYN-ACK sent again");
	close(c);
}

TEST_F_TIMEOUT(tw, syn_takeover, 120)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	struct peer *p = &self->p;
	long long recycled = 0;
	long long deadline;
	struct pollfd pfd;
	uint32_t isn;
	int l, a = -1;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, tw_as_server(_metadata, self, false, &l));
	if (self->pair.net.xtcp[0])
		recycled = xtcp_test_counter(self->pair.net.ns[0],
					     "TimeWaitRecycled");

	/* a new incarnation, its ISN well beyond the old RCV.NXT */
	isn = p->snd_nxt + 100000;
	p->snd_nxt = isn;
	ASSERT_EQ(0, peer_send(p, isn, TH_SYN, mss, sizeof(mss)));
	ASSERT_TRUE(peer_wait_flags(p, TH_SYN | TH_ACK, 5000));
	EXPECT_EQ(isn + 1, p->ack);
	p->snd_nxt++;
	p->rcv_nxt = p->end_seq;
	ASSERT_EQ(0, peer_send(p, p->snd_nxt, TH_ACK, NULL, 0));

	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	deadline = xtcp_test_now_ms() + scaled_ms(5000);
	while (a < 0 && xtcp_test_now_ms() < deadline)
		if (poll(&pfd, 1, 20) == 1)
			a = accept(l, NULL, NULL);
	ASSERT_LE(0, a) TH_LOG("the new connection was not accepted");
	EXPECT_EQ(XTCP_TEST_ESTABLISHED,
		  xtcp_test_sk_state(self->pair.net.ns[0],
				     self->pair.net.xtcp[0], PORT, PEER_PORT));
	if (self->pair.net.xtcp[0]) {
		EXPECT_EQ(recycled + 1,
			  xtcp_test_counter(self->pair.net.ns[0],
					    "TimeWaitRecycled"));
	}
	/* an abortive close: the peer will not answer a FIN */
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(a);
	close(l);
}

TEST_F_TIMEOUT(tw, expiry, 120)
{
	struct peer *p = &self->p;
	long long t0, gone;
	long left, max_ms;
	int c, st;

	SKIP_IF_NEEDED();
	if (!self->pair.net.xtcp[0])
		SKIP(return, "native TIME_WAIT lasts a fixed 60 s");
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);
	close(c);
	t0 = xtcp_test_now_ms();
	left = tw_left_ms(self, p->dport, PORT, &st, NULL);
	ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);
	/* timer 3, within 2 MSL (a tick of rounding) */
	max_ms = 2 * TW_MSL_MS + 10;
	EXPECT_LT(0, left);
	EXPECT_GE(max_ms, left);

	st = xtcp_test_wait_state(self->pair.net.ns[0], true, p->dport, PORT,
				  0, 4 * TW_MSL_MS);
	gone = xtcp_test_now_ms();
	ASSERT_EQ(0, st) TH_LOG("the entry outlived 2 MSL");
	/* it lasted what /proc said was left, less the polling's slack */
	EXPECT_GE(gone - t0, left - 100)
		TH_LOG("gone after %lld ms, %ld ms were left", gone - t0, left);
}

/* the host's server port, held by the entry once its listener is gone */
static void bind_check(struct __test_metadata *_metadata,
		       FIXTURE_DATA(tw) *self, bool listener_reuse)
{
	struct sockaddr_in sin;
	int l, b, one = 1;

	ASSERT_EQ(0, tw_as_server(_metadata, self, listener_reuse, &l));
	close(l);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, PORT);

	b = host_socket(self);
	ASSERT_LE(0, b);
	EXPECT_EQ(-1, bind(b, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(b);

	/* the wildcard overlaps the entry's address too */
	b = host_socket(self);
	ASSERT_LE(0, b);
	xtcp_test_addr(&sin, "0.0.0.0", PORT);
	EXPECT_EQ(-1, bind(b, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	close(b);

	b = host_socket(self);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, PORT);
	if (listener_reuse) {
		EXPECT_EQ(0, bind(b, (struct sockaddr *)&sin, sizeof(sin)));
		EXPECT_EQ(0, listen(b, 1));
	} else {
		EXPECT_EQ(-1, bind(b, (struct sockaddr *)&sin, sizeof(sin)));
		EXPECT_EQ(EADDRINUSE, errno);
	}
	close(b);
	EXPECT_EQ(XTCP_TEST_TIME_WAIT,
		  xtcp_test_sk_state(self->pair.net.ns[0],
				     self->pair.net.xtcp[0], PORT, PEER_PORT));
}

TEST_F_TIMEOUT(tw, bind_reuse, 120)
{
	SKIP_IF_NEEDED();
	bind_check(_metadata, self, true);
}

TEST_F_TIMEOUT(tw, bind_noreuse, 120)
{
	SKIP_IF_NEEDED();
	bind_check(_metadata, self, false);
}

TEST_F_TIMEOUT(tw, ts_ack, 120)
{
	struct peer *p = &self->p;
	uint32_t fin_tsval, host_tsval;
	unsigned int segs;
	int c;

	SKIP_IF_NEEDED();
	p->ts = true;
	p->tsval = 5000;
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);
	ASSERT_TRUE(p->saw_ts) TH_LOG("timestamps were not negotiated");
	fin_tsval = p->last_tsval;
	host_tsval = p->seg_tsval;

	/* our FIN again, a later TSval: the entry's ACK has a timestamp */
	p->tsval += 100;
	segs = p->segs;
	ASSERT_EQ(0, peer_send(p, p->snd_nxt - 1, TH_ACK | TH_FIN, NULL, 0));
	ASSERT_TRUE(peer_wait_seg(p, segs, 5000));
	EXPECT_EQ(TH_ACK, p->flags & (TH_ACK | TH_SYN | TH_FIN | TH_RST));
	EXPECT_EQ(p->snd_nxt, p->ack);
	ASSERT_TRUE(p->saw_ts) TH_LOG("the entry's ACK has no timestamp");
	/* TS.Recent: our FIN's, since the resent FIN is not in sequence */
	EXPECT_EQ(fin_tsval, p->seg_tsecr);
	/* the connection's clock: no step back from its last segment */
	EXPECT_LE(0, (int32_t)(p->seg_tsval - host_tsval))
		TH_LOG("TSval %u after %u", p->seg_tsval, host_tsval);
	close(c);
}

TEST_F_TIMEOUT(tw, ts_recycle, 120)
{
	static const unsigned char mss[4] = { 2, 4, PEER_MSS >> 8,
					      PEER_MSS & 0xff };
	struct peer *p = &self->p;
	long long paws0, recycled = 0;
	uint32_t isn, old_nxt, last;
	long long deadline;
	struct pollfd pfd;
	unsigned int segs;
	int l, a = -1;

	SKIP_IF_NEEDED();
	p->ts = true;
	p->tsval = 5000;
	ASSERT_EQ(0, tw_as_server(_metadata, self, false, &l));
	ASSERT_TRUE(p->saw_ts) TH_LOG("timestamps were not negotiated");
	old_nxt = p->snd_nxt;
	last = p->last_tsval;
	if (self->pair.net.xtcp[0]) {
		paws0 = xtcp_test_counter(self->pair.net.ns[0],
					  "PAWSEstabRejected");
		recycled = xtcp_test_counter(self->pair.net.ns[0],
					     "TimeWaitRecycled");
	} else {
		paws0 = xtcp_test_netstat(self->pair.net.ns[0], "PAWSEstab");
	}
	ASSERT_LE(0, paws0);

	/* an ISN below the old RCV.NXT, an old TSval: the entry's ACK */
	isn = PEER_ISN - 100000;
	p->tsval = last - 1000;
	segs = p->segs;
	ASSERT_EQ(0, peer_send(p, isn, TH_SYN, mss, sizeof(mss)));
	ASSERT_TRUE(peer_wait_seg(p, segs, 5000));
	EXPECT_EQ(TH_ACK, p->flags & (TH_ACK | TH_SYN | TH_FIN | TH_RST));
	EXPECT_EQ(old_nxt, p->ack);
	EXPECT_EQ(paws0 + 1,
		  self->pair.net.xtcp[0] ?
		  xtcp_test_counter(self->pair.net.ns[0], "PAWSEstabRejected") :
		  xtcp_test_netstat(self->pair.net.ns[0], "PAWSEstab"));

	/* the same ISN, a TSval newer than TS.Recent: RFC 6191 takes it */
	p->tsval = last + 1000;
	p->snd_nxt = isn;
	ASSERT_EQ(0, peer_send(p, isn, TH_SYN, mss, sizeof(mss)));
	ASSERT_TRUE(peer_wait_flags(p, TH_SYN | TH_ACK, 5000))
		TH_LOG("no SYN-ACK: the entry kept the 4-tuple");
	EXPECT_EQ(isn + 1, p->ack);
	p->snd_nxt++;
	p->rcv_nxt = p->end_seq;
	ASSERT_EQ(0, peer_send(p, p->snd_nxt, TH_ACK, NULL, 0));

	pfd = (struct pollfd){ .fd = l, .events = POLLIN };
	deadline = xtcp_test_now_ms() + scaled_ms(5000);
	while (a < 0 && xtcp_test_now_ms() < deadline)
		if (poll(&pfd, 1, 20) == 1)
			a = accept(l, NULL, NULL);
	ASSERT_LE(0, a) TH_LOG("the new connection was not accepted");
	if (self->pair.net.xtcp[0])
		EXPECT_EQ(recycled + 1,
			  xtcp_test_counter(self->pair.net.ns[0],
					    "TimeWaitRecycled"));
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(a);
	close(l);
}

TEST_F_TIMEOUT(tw, ts_zero, 120)
{
	struct peer *p = &self->p;
	long long paws0;
	unsigned int segs;
	int c;

	SKIP_IF_NEEDED();
	p->ts = true;
	p->tsval = 0xffffffffu;	/* peer_send() counts one a segment */
	p->fin_tsval_set = true;	/* the FIN's is 0, SYN-ACKs before it */
	p->fin_tsval = 0;
	c = tw_as_client(_metadata, self);
	ASSERT_LE(0, c);
	ASSERT_TRUE(p->saw_ts) TH_LOG("timestamps were not negotiated");
	ASSERT_EQ(0u, p->last_tsval) TH_LOG("the FIN's TSval is not 0");
	paws0 = self->pair.net.xtcp[0] ?
		xtcp_test_counter(self->pair.net.ns[0], "PAWSEstabRejected") :
		xtcp_test_netstat(self->pair.net.ns[0], "PAWSEstab");
	ASSERT_LE(0, paws0);

	p->tsval = 0x80000010u;
	segs = p->segs;
	ASSERT_EQ(0, peer_send(p, p->snd_nxt - 1, TH_ACK | TH_FIN, NULL, 0));
	ASSERT_TRUE(peer_wait_seg(p, segs, 5000));
	EXPECT_EQ(TH_ACK, p->flags & (TH_ACK | TH_SYN | TH_FIN | TH_RST));
	EXPECT_EQ(p->snd_nxt, p->ack);
	EXPECT_EQ(paws0,
		  self->pair.net.xtcp[0] ?
		  xtcp_test_counter(self->pair.net.ns[0], "PAWSEstabRejected") :
		  xtcp_test_netstat(self->pair.net.ns[0], "PAWSEstab"))
		TH_LOG("the FIN was taken for an old duplicate");
	close(c);
}

XTCP_HARNESS_MAIN
