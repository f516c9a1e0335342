// SPDX-License-Identifier: GPL-2.0
/*
 * Segment output: the write queue, Nagle, flow and congestion limits,
 * retransmission, and the control segments (ACK, SYN, FIN, RST).
 *
 * sk_write_queue holds every byte not yet acknowledged, in sequence order:
 * first the skbs in flight, then, from xs->send_head on, the unsent ones.
 * An skb may carry up to xtcp_size_goal() bytes; when it is larger than
 * the MSS it leaves as one GSO super-packet (SKB_GSO_TCPV4 with
 * CHECKSUM_PARTIAL) and the device or the core's software GSO cuts it.
 * Transmission sends a clone, so the queued skb stays for retransmission.
 *
 * All functions here run under the socket lock, from process context
 * (owner) or softirq (bh_lock_sock), except the stateless senders at the
 * end, which need no socket at all.
 */
#include <linux/random.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include "xtcp.h"

struct sk_buff *xtcp_alloc_skb(struct sock *sk, unsigned int size, gfp_t gfp)
{
	struct sk_buff *skb;

	skb = alloc_skb_fclone(size + XTCP_MAX_HEADER, gfp);
	if (!skb)
		return NULL;
	skb_reserve(skb, XTCP_MAX_HEADER);
	/*
	 * Only clones get headers: release the header room so that they
	 * may write it without a copy (skb_header_cloned() stays false).
	 */
	__skb_header_release(skb);
	/* the checksum is always left to the device or to software GSO */
	skb->ip_summed = CHECKSUM_PARTIAL;
	memset(skb->cb, 0, sizeof(skb->cb));
	return skb;
}

/* free space in the receive buffer, as payload bytes */
long xtcp_rcv_space(const struct sock *sk)
{
	long space = READ_ONCE(sk->sk_rcvbuf) - atomic_read(&sk->sk_rmem_alloc);

	/*
	 * skb overhead (truesize) can be as large as the payload, so only
	 * half the room is offered, as Linux does with tcp_adv_win_scale=1.
	 */
	return max(space, 0L) / 2;
}

/*
 * The window scale of our SYN or SYN-ACK (RFC 7323 2.3), as Linux's
 * tcp_select_initial_window(): it must cover the largest window the
 * connection may come to offer, which is what autotuning may grow the
 * buffer to: tcp_rmem's max or net.core.rmem_max (what SO_RCVBUF may
 * ask), whichever is larger. A buffer the user set (SO_RCVBUF) is not
 * autotuned and gets the shift its own window needs, as Linux's
 * window_clamp does. Linux's formula, ilog2(space) - 15, so that with the
 * same settings the SYN says the same (7 with tcp_rmem max 6 MiB).
 * TCP_WINDOW_CLAMP caps the window, and so the shift, as there.
 */
u8 xtcp_choose_wscale(const struct sock *sk)
{
	u32 space = READ_ONCE(sk->sk_rcvbuf) / 2;
	u32 clamp = READ_ONCE(xtcp_sk(sk)->window_clamp);

	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
		space = max_t(u32, space, xtcp_buf_rmem(XTCP_BUF_MAX));
		space = max_t(u32, space, READ_ONCE(sysctl_rmem_max));
	}
	if (clamp)
		space = min(space, clamp);
	if (!space)
		return 0;
	return clamp_t(int, ilog2(space) - 15, 0, XTCP_MAX_WSCALE);
}

u32 xtcp_initial_window(const struct sock *sk)
{
	u32 win = min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2, 65535U);
	u32 clamp = READ_ONCE(xtcp_sk(sk)->window_clamp);

	return clamp ? min(win, clamp) : win;
}

/*
 * TCP_WINDOW_CLAMP, as tcp_set_window_clamp(): the largest window we
 * offer, in bytes, raised to SOCK_MIN_RCVBUF / 2; 0 removes the clamp,
 * but only in CLOSE (EINVAL otherwise). A negative value compares as a
 * huge one there (int against size_t), so it sets no effective clamp;
 * XTCP keeps that. A clamp set on a connection stops the window from
 * growing past it, never shrinks what was offered (xtcp_window_offer()),
 * and cannot lower the window scale already agreed on. Differs from
 * Linux 6.1 twice: receive autotuning keeps the clamp here, where
 * tcp_rcv_space_adjust() replaces it with the grown buffer's window (so
 * that a Linux clamp holds only with SO_RCVBUF set); and getsockopt() on
 * a connection without a clamp reads 0 here, Linux's the window its
 * buffer allows.
 */
int xtcp_output_set_window_clamp(struct sock *sk, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sock_owned_by_me(sk);
	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		WRITE_ONCE(xs->window_clamp, 0);
		return 0;
	}
	if (val > 0 && val < SOCK_MIN_RCVBUF / 2)
		val = SOCK_MIN_RCVBUF / 2;
	WRITE_ONCE(xs->window_clamp, val);
	return 0;
}

/* the part of the last advertised window that is still open */
static u32 xtcp_receive_window(const struct xtcp_sock *xs)
{
	s32 win = xs->rcv_wup + xs->rcv_wnd - xs->rcv_nxt;

	return max(win, 0);
}

/*
 * The window to offer now, in bytes, without committing to it: RFC 9293
 * 3.8.6.2.2's receiver-side SWS avoidance (RFC 1122 4.2.3.3). The right
 * edge, RCV.NXT + RCV.WND, never moves left, and it moves right only once
 * it can move by at least min(Fr * RCV.BUFF, Eff.snd.MSS), with Fr = 1/2,
 * RCV.BUFF the window an empty buffer offers and Eff.snd.MSS our advmss.
 * Until then the window shrinks as data arrives and the edge stays put.
 *
 * With the half-buffer term, a buffer smaller than two segments still
 * opens: the window is zero only while the free space is below half the
 * buffer and below an MSS, which is also where Linux's
 * __tcp_select_window() clamps the MSS to the full space and returns
 * zero. Linux also rounds an unscaled window down to a multiple of the
 * MSS; XTCP does not.
 */
u32 xtcp_window_offer(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 max_win = 65535U << xs->rcv_wscale;
	/* TCP_WINDOW_CLAMP bounds what we offer, not what we offered */
	u32 limit = xtcp_buf_window_limit(sk, xs->window_clamp ?
					  min(max_win, xs->window_clamp) :
					  max_win);
	u32 full = min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2, limit);
	u32 step = min_t(u32, full / 2, xs->advmss);
	u32 cur = xtcp_receive_window(xs);
	u32 free = min_t(u32, xtcp_rcv_space(sk), limit);
	u32 win = cur;

	if (free >= cur + step)
		win = round_down(free, 1U << xs->rcv_wscale);
	/* the scaled field cannot say cur exactly: round the edge up */
	if (win < cur)
		win = min(ALIGN(cur, 1U << xs->rcv_wscale), max_win);
	return win;
}

/* the window to put in an outgoing segment, already scaled down */
u32 xtcp_select_window(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 win = xtcp_window_offer(sk);

	xs->rcv_wnd = win;
	xs->rcv_wup = xs->rcv_nxt;
	return win >> xs->rcv_wscale;
}

/*
 * Fill in a TCP header in front of skb->data and set up the checksum
 * offload. Used for every segment we send, stateful or not.
 */
static struct tcphdr *xtcp_build_header(struct sk_buff *skb, __be32 saddr,
					__be32 daddr, __be16 sport,
					__be16 dport, u32 seq, u32 ack,
					u8 flags, u16 window,
					unsigned int optlen)
{
	unsigned int hlen = sizeof(struct tcphdr) + optlen;
	struct tcphdr *th;

	th = skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = hlen / 4;
	((u8 *)th)[13] = flags;
	th->window = htons(window);

	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	th->check = ~csum_tcpudp_magic(saddr, daddr, skb->len, IPPROTO_TCP, 0);
	return th;
}

/*
 * The IPv4 header of one of sk's packets, as ip_queue_xmit() fills it for
 * a TCP socket: its IP_TOS and IP_TTL, DF unless IP_MTU_DISCOVER asked
 * for none (ip_dont_fragment(); XTCP has no locked route MTU), and the
 * next IDs of the connection's own counter, one per datagram a GSO packet
 * becomes (ip_select_ident_segs() with a connected socket). The counter
 * is the TCB's, so no atomic and no cache line is shared per packet, and
 * nobody who cannot see the connection learns how much it sent.
 */
static void xtcp_ip_params_sk(struct sock *sk, struct sk_buff *skb,
			      struct xtcp_ip_params *ipp)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u16 segs = max_t(u16, skb_shinfo(skb)->gso_segs, 1);

	sock_owned_by_me(sk);
	ipp->saddr = sk->sk_rcv_saddr;
	ipp->daddr = sk->sk_daddr;
	ipp->proto = IPPROTO_TCP;
	ipp->tos = xs->ip_tos;
	ipp->ttl = xs->ip_ttl;
	ipp->df = !xs->ip_pmtudisc_set || xs->ip_pmtudisc == IP_PMTUDISC_DO ||
		  xs->ip_pmtudisc == IP_PMTUDISC_WANT;
	ipp->id = xs->ip_id;
	xs->ip_id += segs;
	/* SO_MARK and SO_PRIORITY, which the core sets without our lock */
	ipp->mark = READ_ONCE(sk->sk_mark);
	ipp->priority = READ_ONCE(sk->sk_priority);
}

/*
 * The IPv4 header of a packet no connection owns (an RST or ACK for a
 * segment without a full socket, a SYN-ACK): ID 0 with DF, as Linux
 * sends DF packets without a connected socket (ip_select_ident_segs()).
 * RFC 6864 4.1 lets an atomic datagram carry any ID; 0 rather than a
 * per-destination counter like Linux's ip_idents because XTCP sets DF on
 * all of these and reassembly never needs the field, and a constant
 * tells an observer nothing, while even a hashed counter can be read
 * by a host that shares the bucket.
 */
static void xtcp_ip_params_stateless(struct xtcp_ip_params *ipp,
				     __be32 saddr, __be32 daddr)
{
	memset(ipp, 0, sizeof(*ipp));
	ipp->saddr = saddr;
	ipp->daddr = daddr;
	ipp->proto = IPPROTO_TCP;
	ipp->df = true;
}

/*
 * The options of a SYN, or of the SYN-ACK a simultaneous open or a Fast
 * Open child sends: MSS, then what our SYN offers or, past SYN-SENT, what
 * both sides agreed on (sack_ok, tstamp_ok and wscale_ok are set at
 * connect() and cleared by a SYN-ACK without the option).
 */
static void xtcp_syn_options(struct sock *sk, const struct sk_buff *skb,
			     u64 now_us, struct xtcp_out_opts *o)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool syn_sent = sk->sk_state == TCP_SYN_SENT;

	memset(o, 0, sizeof(*o));
	o->tfo_len = -1;
	o->mss = xs->advmss;
	o->ws_ok = xs->wscale_ok || syn_sent;
	o->ws = xs->rcv_wscale;
	o->sack_perm = xs->sack_ok;
	if (xs->tstamp_ok) {
		o->ts = 1;
		o->tsval = xtcp_ts_of(now_us) + xs->tsoffset;
		/* RFC 7323 3.2: TSecr of a SYN is 0; a SYN-ACK echoes */
		o->tsecr = syn_sent ? 0 : xs->ts_recent;
	}
	/*
	 * A Fast Open client's first SYN carries its cookie or asks for
	 * one; a resent SYN does neither, as in Linux, whose
	 * retransmissions are plain SYNs.
	 */
	if (syn_sent && !XTCP_SKB_CB(skb)->retrans && xs->tfo_req &&
	    xs->tfo_req->len >= 0) {
		o->tfo_len = xs->tfo_req->len;
		o->tfo_cookie = xs->tfo_req->cookie;
	}
}

/*
 * The options of any other segment (RFC 7323 3.2: timestamps on every
 * one once agreed; RFC 2018 4: SACK blocks on ACKs while the receiver
 * holds data out of order), the D-SACK block first (RFC 2883 4).
 *
 * A segment with data may only carry as many blocks as fit beside its
 * payload in the MTU: xs->mss leaves room for the timestamp only. Linux
 * shrinks the data of such segments instead (tcp_current_mss() counts
 * the blocks); XTCP keeps its segments whole and sends the blocks on the
 * pure ACKs, which the receiver of out-of-order data sends at once for
 * every segment (input.c), so the sender learns every hole anyway.
 */
static void xtcp_established_options(struct sock *sk,
				     const struct sk_buff *skb, u64 now_us,
				     struct xtcp_out_opts *o)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned int room, n = 0, i, seg;

	memset(o, 0, sizeof(*o));
	o->tfo_len = -1;
	if (xs->tstamp_ok) {
		o->ts = 1;
		o->tsval = xtcp_ts_of(now_us) + xs->tsoffset;
		o->tsecr = xs->ts_recent;
	}
	if (!xs->sack_ok || (!xs->dsack && !xs->num_sacks))
		return;
	room = xtcp_options_sack_room(o);
	seg = skb_shinfo(skb)->gso_size ? : skb->len;
	if (seg) {
		unsigned int spare = xs->mss > seg ? xs->mss - seg : 0;

		room = spare < 12 ? 0 : min(room, (spare - 4) / 8);
	}
	/* RFC 2883 4: a D-SACK block is reported once */
	if (xs->dsack && n < room) {
		o->sacks[n++] = xs->dsack_block;
		xs->dsack = 0;
	}
	for (i = 0; i < xs->num_sacks && n < room; i++)
		o->sacks[n++] = xs->selective_acks[i];
	o->num_sacks = n;
}

/*
 * Send one segment of the TCB: a clone of a write-queue skb, or a control
 * skb of our own (clone == false). A write-queue skb's TSval is the time
 * its sender just stamped in cb->xmit_us (one clock read per burst, as
 * Linux's tcp_write_xmit() refreshes tcp_mstamp once); a control skb
 * reads the clock.
 */
static int xtcp_transmit_skb(struct sock *sk, struct sk_buff *skb, bool clone)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u64 now_us = clone ? cb->xmit_us : xtcp_clock_us();
	struct net *net = sock_net(sk);
	struct xtcp_out_opts opts;
	struct xtcp_ip_params ipp;
	struct tcphdr *th;
	u16 window;
	u8 flags = cb->flags;

	if (clone) {
		/* a clone still in a device queue shares our header room */
		if (unlikely(skb_cloned(skb)))
			skb = pskb_copy(skb, GFP_ATOMIC);
		else
			skb = skb_clone(skb, GFP_ATOMIC);
		if (!skb) {
			XTCP_INC_STATS(net, OUT_DROPS);
			return -ENOBUFS;
		}
	}

	if (flags & XTCP_FLAG_SYN) {
		xtcp_syn_options(sk, skb, now_us, &opts);
		/* RFC 7323 2.2: the window in a SYN is never scaled */
		window = min_t(u32, xtcp_initial_window(sk), 65535U);
		xs->rcv_wnd = window;
		xs->rcv_wup = xs->rcv_nxt;
	} else {
		window = xtcp_select_window(sk);
		xtcp_established_options(sk, skb, now_us, &opts);
	}
	if (sk->sk_state != TCP_SYN_SENT)
		flags |= XTCP_FLAG_ACK;

	th = xtcp_build_header(skb, sk->sk_rcv_saddr, sk->sk_daddr,
			       htons(sk->sk_num), sk->sk_dport, cb->seq,
			       xs->rcv_nxt, flags, window,
			       xtcp_options_size(&opts));
	xtcp_options_write((u8 *)(th + 1), &opts);

	if (flags & XTCP_FLAG_ACK)
		xtcp_timer_ack_sent(sk);
	/* RFC 6937: what fast recovery sent, new data or resent */
	if (clone && xs->in_recovery == XTCP_CA_RECOVERY)
		xs->prr_out += max_t(u16, skb_shinfo(skb)->gso_segs, 1);
	XTCP_ADD_STATS(net, OUTSEGS, max_t(u16, skb_shinfo(skb)->gso_segs, 1));
	xtcp_info_sent(sk, skb, skb->len - __tcp_hdrlen(th));
	xtcp_ip_params_sk(sk, skb, &ipp);
	xtcp_link_output(net, skb, &ipp);
	return 0;
}

/* mark an skb larger than one MSS for segmentation offload */
static void xtcp_set_gso(struct sk_buff *skb, unsigned int mss)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (skb->len > mss) {
		shinfo->gso_size = mss;
		shinfo->gso_type = SKB_GSO_TCPV4;
		shinfo->gso_segs = DIV_ROUND_UP(skb->len, mss);
	} else {
		shinfo->gso_size = 0;
		shinfo->gso_type = 0;
		shinfo->gso_segs = 1;
	}
}

/*
 * Give skb a private header and frag array before we change them, keeping
 * its truesize as the write queue charged it (6.1 does not export
 * skb_unclone_keeptruesize()).
 */
static int xtcp_skb_unclone(struct sk_buff *skb)
{
	unsigned int truesize = skb->truesize;
	int err;

	err = skb_unclone(skb, GFP_ATOMIC);
	skb->truesize = truesize;
	return err;
}

/*
 * Cut skb at len bytes, putting the tail in a new skb right after it.
 * Like tcp_fragment(); the FIN and PSH flags travel with the tail, so
 * PSH stays on the last segment of a write however it is cut (software
 * and hardware GSO likewise keep it on the last segment only). Both
 * pieces keep the scoreboard marks and the send time: the marks count
 * bytes (recovery.c), so their totals do not change.
 */
int xtcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *buff;
	u32 nlen, nsize;

	/*
	 * tcp_fragment()'s bound: once the queue holds twice the send
	 * buffer, sent skbs are no longer cut, except the first (SND.UNA's
	 * resend) and the last sent (the tail loss probe). Whatever the peer
	 * makes us cut, memory stays bounded.
	 */
	if (unlikely(sk->sk_wmem_queued >> 1 >
		     sk->sk_sndbuf + 2 * SKB_TRUESIZE(XTCP_GSO_MAX_BYTES)) &&
	    skb != xs->send_head && skb != skb_peek(&sk->sk_write_queue) &&
	    !skb_queue_is_last(&sk->sk_write_queue, skb) &&
	    skb->next != xs->send_head) {
		XTCP_INC_STATS(sock_net(sk), WQUEUETOOBIG);
		return -ENOMEM;
	}
	/* skb_split() rewrites the frag array a clone in flight shares */
	if (xtcp_skb_unclone(skb))
		return -ENOMEM;
	/* room for linear bytes past len, as tcp_fragment(); usually none */
	nsize = skb_headlen(skb) > len ? skb_headlen(skb) - len : 0;
	buff = xtcp_alloc_skb(sk, nsize, GFP_ATOMIC);
	if (!buff)
		return -ENOMEM;
	/* the new skb's own overhead is new memory; its bytes just move */
	xtcp_buf_wqueue_charge(sk, buff, true);
	sk_wmem_queued_add(sk, buff->truesize);
	nlen = skb->len - len;
	skb_split(skb, buff, len);
	buff->truesize += nlen;
	skb->truesize -= nlen;

	XTCP_SKB_CB(buff)->seq = cb->seq + len;
	XTCP_SKB_CB(buff)->end_seq = cb->end_seq;
	XTCP_SKB_CB(buff)->flags = cb->flags;
	XTCP_SKB_CB(buff)->when = cb->when;
	XTCP_SKB_CB(buff)->retrans = cb->retrans;
	XTCP_SKB_CB(buff)->sacked = cb->sacked;
	XTCP_SKB_CB(buff)->xmit_us = cb->xmit_us;
	cb->end_seq = cb->seq + len;
	cb->flags &= ~(XTCP_FLAG_FIN | XTCP_FLAG_PSH);
	__skb_queue_after(&sk->sk_write_queue, skb, buff);
	return 0;
}

/* drop the first len bytes of a partly acknowledged skb */
static int xtcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *shinfo;
	u32 eat = len, head;
	int i, k = 0;

	if (xtcp_skb_unclone(skb))
		return -ENOMEM;
	head = min_t(u32, eat, skb_headlen(skb));
	__skb_pull(skb, head);
	eat -= head;

	shinfo = skb_shinfo(skb);
	for (i = 0; i < shinfo->nr_frags; i++) {
		skb_frag_t *frag = &shinfo->frags[i];
		u32 size = skb_frag_size(frag);

		if (size <= eat) {
			skb_frag_unref(skb, i);
			eat -= size;
			continue;
		}
		shinfo->frags[k] = *frag;
		if (eat) {
			skb_frag_off_add(&shinfo->frags[k], eat);
			skb_frag_size_sub(&shinfo->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	shinfo->nr_frags = k;
	/*
	 * __skb_pull() took head bytes off skb->len already; the frags
	 * lost the rest. (skb_headlen() is len - data_len: it cannot be
	 * read between the two updates.)
	 */
	skb->data_len -= len - head;
	skb->len -= len - head;
	XTCP_SKB_CB(skb)->seq += len;
	return 0;
}

static struct sk_buff *xtcp_write_queue_next(struct sock *sk,
					     struct sk_buff *skb)
{
	return skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL : skb->next;
}

/*
 * Learn what the device sk sends through takes in one GSO packet, at
 * connect and accept time as Linux's sk_setup_caps() does. As there, the
 * size is kept net of the largest headers, so that a packet of
 * sk_gso_max_size payload bytes still fits the device's gso_max_size.
 */
static void xtcp_setup_gso_caps(struct sock *sk)
{
	unsigned int max_size;
	u16 max_segs;

	xtcp_link_gso_caps(sock_net(sk), sk->sk_rcv_saddr, &max_size,
			   &max_segs);
	sk->sk_gso_max_size = max_size > XTCP_MAX_HEADER ?
			      max_size - XTCP_MAX_HEADER : 0;
	sk->sk_gso_max_segs = max_segs;
}

/*
 * The payload bytes one skb on the write queue may carry, like Linux's
 * tcp_xmit_size_goal(): a whole number of MSS, within what the device
 * takes in one GSO packet (sk_gso_max_size, sk_gso_max_segs) and below
 * half the peer's largest window; never less than one MSS.
 */
unsigned int xtcp_size_goal(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 goal = rounddown(XTCP_GSO_MAX_BYTES, xs->mss);

	goal = min(goal, rounddown(sk->sk_gso_max_size, xs->mss));
	goal = min(goal, (u32)sk->sk_gso_max_segs * xs->mss);

	/* like Linux, keep a super-packet below half the peer's window */
	if (xs->max_window > 2 * xs->mss)
		goal = min(goal, rounddown(xs->max_window / 2, xs->mss));
	return max_t(u32, goal, xs->mss);
}

/*
 * Sender-side rules for one unsent skb. Returns the number of bytes that
 * may go now (0: none) given the peer's window, cwnd, Nagle (RFC 896,
 * RFC 1122 4.2.3.4) and corking.
 */
static u32 xtcp_send_quota(struct sock *sk, struct sk_buff *skb, int nonagle)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 in_flight = xtcp_in_flight(xs);
	u32 cwnd_bytes = xs->snd_cwnd * xs->mss;
	u32 wnd_end = xs->snd_una + xs->snd_wnd;
	u32 quota, len = skb->len;
	bool last = !xtcp_write_queue_next(sk, skb);

	if (in_flight >= cwnd_bytes)
		return 0;
	/* a SYN goes before any window is known; a bare FIN needs one */
	if (cb->flags & XTCP_FLAG_SYN)
		return 1;
	if (!xtcp_after(wnd_end, cb->seq))
		return 0;
	if (!len)
		return 1;
	quota = min(wnd_end - cb->seq, cwnd_bytes - in_flight);
	if (len > quota) {
		/* sender SWS avoidance: whole segments only, unless idle */
		u32 cut = rounddown(quota, xs->mss);

		if (!cut && !xtcp_packets_out_bytes(xs) &&
		    (quota >= xs->max_window / 2 ||
		     nonagle == XTCP_NAGLE_OVERRIDE))
			cut = quota;
		return cut;
	}
	if (len < xs->mss && last && !(cb->flags & XTCP_FLAG_FIN)) {
		if (nonagle == XTCP_NAGLE_CORK)
			return 0;
		/* RFC 896: unacknowledged data, not the pipe (tcp_nagle_check()) */
		if (nonagle == XTCP_NAGLE_ON && xtcp_packets_out_bytes(xs))
			return 0;
	}
	return len;
}

/*
 * Send quota bytes of send_head, the first unsent skb, cut there first.
 * Its send time, now_us, times it: every ACK of it gives an RTT sample
 * (recovery.c).
 */
static int xtcp_xmit_new(struct sock *sk, struct sk_buff *skb, u32 quota,
			 u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (quota < skb->len && xtcp_fragment(sk, skb, quota))
		return -ENOMEM;
	xtcp_set_gso(skb, xs->mss);
	cb->when = jiffies;
	cb->xmit_us = now_us;
	if (xtcp_transmit_skb(sk, skb, true))
		return -ENOBUFS;
	xtcp_cong_data_sent(sk);
	xs->send_head = xtcp_write_queue_next(sk, skb);
	if (xtcp_after(cb->end_seq, xs->snd_nxt))
		xs->snd_nxt = cb->end_seq;
	return 0;
}

/*
 * Send what the windows allow, starting at send_head. When the peer's
 * window keeps everything back and nothing is in flight, the probe timer
 * takes over (RFC 9293 3.8.6.1).
 */
void xtcp_write_xmit(struct sock *sk, int nonagle)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool was_idle = xs->snd_una == xs->snd_nxt;
	bool sent = false;
	struct sk_buff *skb;
	u64 now_us = 0;

	xtcp_cong_tx_start(sk);
	while ((skb = xs->send_head)) {
		u32 quota = xtcp_send_quota(sk, skb, nonagle);

		if (!quota)
			break;
		/* the burst's segments share one send time (tcp_mstamp) */
		if (!now_us)
			now_us = xtcp_clock_us();
		if (xtcp_xmit_new(sk, skb, quota, now_us))
			break;
		sent = true;
	}
	/* the first of a flight starts the RTO; the window may keep it all */
	if (sent || (xs->send_head && was_idle))
		xtcp_timer_on_send(sk, was_idle && sent);
}

void xtcp_push(struct sock *sk, int flags)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int nonagle = xs->nodelay ? XTCP_NAGLE_OFF : XTCP_NAGLE_ON;

	if ((flags & MSG_MORE) || xs->corked)
		nonagle = XTCP_NAGLE_CORK;
	if (xs->send_head)
		xtcp_write_xmit(sk, nonagle);
}

/*
 * TCP_CORK, as __tcp_sock_set_cork(): on, a partial last segment waits
 * (full ones still go) until the option is cleared, the write queue
 * fills it, a FIN follows it, or the override timeout sends it (RFC 1122
 * 4.2.3.4: timer.c's probe, where Linux's probe0 timer gives the 200 ms
 * ceiling tcp(7) speaks of). Off, what waited goes by Nagle's rule, or
 * at once with TCP_NODELAY. Linux sets TCP_NAGLE_PUSH for the latter;
 * xtcp_push() comes to the same, as nodelay means XTCP_NAGLE_OFF there.
 */
void xtcp_output_set_cork(struct sock *sk, bool on)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sock_owned_by_me(sk);
	xs->corked = on;
	if (!on && (1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
		xtcp_push(sk, 0);
}

/*
 * TCP_NODELAY turned on: what is queued goes now, even corked, as
 * __tcp_sock_set_nodelay()'s TCP_NAGLE_PUSH does; later writes stay
 * corked (TCP_CORK is the stronger of the two).
 */
void xtcp_output_push_queued(struct sock *sk)
{
	sock_owned_by_me(sk);
	if (xtcp_sk(sk)->send_head)
		xtcp_write_xmit(sk, XTCP_NAGLE_OFF);
}

/*
 * Send a sent skb again, at most limit bytes of it (whole MSS, at least
 * one) from SND.UNA on: the acknowledged head of a partly acked skb is
 * cut away first, the part beyond limit split off. Like
 * __tcp_retransmit_skb(); the caller marks the scoreboard. cb->retrans
 * stays for good: no RTT sample comes from this skb's send time again
 * (Karn), and RACK knows it as resent.
 */
static int __xtcp_retransmit_skb(struct sock *sk, struct sk_buff *skb,
				 u32 limit)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u16 segs;
	int err;

	if (xtcp_before(cb->seq, xs->snd_una) &&
	    xtcp_trim_head(sk, skb, xs->snd_una - cb->seq))
		return -ENOMEM;
	limit = max_t(u32, rounddown(limit, xs->mss), xs->mss);
	if (skb->len > limit && xtcp_fragment(sk, skb, limit))
		return -ENOMEM;
	xtcp_set_gso(skb, xs->mss);
	cb->retrans = 1;
	cb->when = jiffies;
	cb->xmit_us = xtcp_clock_us();
	segs = max_t(u16, skb_shinfo(skb)->gso_segs, 1);
	xtcp_info_retransmitted(sk, skb, segs);
	err = xtcp_transmit_skb(sk, skb, true);
	if (!err)
		XTCP_ADD_STATS(sock_net(sk), RETRANSSEGS, segs);
	return err;
}

/* the same, for loss recovery: the skb is in flight again (recovery.c) */
int xtcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, u32 limit)
{
	int err = __xtcp_retransmit_skb(sk, skb, limit);

	/* the TSval the resend carried (xtcp_eifel()) */
	if (!err)
		xtcp_recovery_retransmitted(sk, skb,
					    max_t(u16, skb_shinfo(skb)->gso_segs,
						  1),
					    xtcp_ts_of(XTCP_SKB_CB(skb)->xmit_us) +
					    xtcp_sk(sk)->tsoffset);
	return err;
}

/*
 * Resend the oldest unacknowledged segment: one MSS from snd_una. The
 * SYN's retries, NewReno's fast retransmit and partial ACKs (RFC 6582).
 */
int xtcp_retransmit_head(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || skb == xs->send_head)
		return 0;
	xtcp_mark_skb_lost(sk, skb);
	return xtcp_retransmit_skb(sk, skb, xs->mss);
}

/*
 * Resend the holes: every skb judged lost and neither SACKed nor resent
 * yet, oldest first, while the pipe (xtcp_in_flight()) is below cwnd.
 * Like tcp_xmit_retransmit_queue(), resending the head restarts the RTO
 * unless the RACK reorder timer waits.
 */
void xtcp_xmit_retransmit_queue(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb, *next;

	for (skb = skb_peek(&sk->sk_write_queue);
	     skb && skb != xs->send_head; skb = next) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 cwnd_bytes = xs->snd_cwnd * xs->mss;
		u32 in_flight = xtcp_in_flight(xs);
		bool head = skb == skb_peek(&sk->sk_write_queue);

		if (!(cb->sacked & XTCP_SACKED_LOST) ||
		    (cb->sacked & (XTCP_SACKED_ACKED | XTCP_SACKED_RETRANS))) {
			next = xtcp_write_queue_next(sk, skb);
			continue;
		}
		if (in_flight >= cwnd_bytes)
			break;
		if (xtcp_retransmit_skb(sk, skb, cwnd_bytes - in_flight))
			break;
		if (xs->in_recovery == XTCP_CA_RECOVERY)
			XTCP_INC_STATS(sock_net(sk), FASTRETRANS);
		if (head && !(xs->rtx_event == XTCP_EV_REO &&
			      timer_pending(&xs->rtx_timer)))
			xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
		next = xtcp_write_queue_next(sk, skb);
	}
}

/*
 * The tail loss probe (RFC 8985 7.3, tcp_send_loss_probe()): one segment
 * of new data if the peer's window takes it, whatever cwnd says; else
 * the last MSS sent, again. Either way the ACK it draws lets SACK and
 * RACK see a lost tail without waiting for the RTO. True when it went.
 */
bool xtcp_send_loss_probe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = xs->send_head;

	if (skb && xtcp_after(xs->snd_una + xs->snd_wnd, XTCP_SKB_CB(skb)->seq)) {
		u32 room = xs->snd_una + xs->snd_wnd - XTCP_SKB_CB(skb)->seq;

		if (xtcp_xmit_new(sk, skb, min3(skb->len, room, (u32)xs->mss),
				  xtcp_clock_us()))
			return false;
		xs->tlp_retrans = 0;
	} else {
		skb = skb ? skb->prev : skb_peek_tail(&sk->sk_write_queue);
		if (!skb || skb == (struct sk_buff *)&sk->sk_write_queue ||
		    (XTCP_SKB_CB(skb)->sacked & XTCP_SACKED_ACKED) ||
		    !xtcp_after(XTCP_SKB_CB(skb)->end_seq, xs->snd_una))
			return false;
		/* only its last MSS */
		if (skb->len > xs->mss) {
			if (xtcp_fragment(sk, skb,
					  rounddown(skb->len - 1, xs->mss)))
				return false;
			skb = xtcp_write_queue_next(sk, skb);
		}
		if (__xtcp_retransmit_skb(sk, skb, xs->mss))
			return false;
		xs->tlp_retrans = 1;
	}
	xs->tlp_high_seq = xs->snd_nxt;
	XTCP_INC_STATS(sock_net(sk), LOSSPROBES);
	return true;
}

/*
 * Free every skb the peer acknowledged in full; the scoreboard, RTT and
 * RACK learn from every byte acked (recovery.c). Runs before SND.UNA
 * moves from as->prior_una to ack.
 */
u32 xtcp_clean_rtx_queue(struct sock *sk, u32 ack, struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;
	u32 freed = 0;

	while ((skb = skb_peek(&sk->sk_write_queue)) && skb != xs->send_head) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 lo = xtcp_after(as->prior_una, cb->seq) ? as->prior_una :
							     cb->seq;
		u32 hi = xtcp_after(cb->end_seq, ack) ? ack : cb->end_seq;

		if (!xtcp_after(hi, lo))
			break;
		xtcp_recovery_acked(sk, skb, hi - lo, as);
		if (xtcp_after(cb->end_seq, ack))
			break;
		xtcp_info_delivered(sk, skb, false);
		__skb_unlink(skb, &sk->sk_write_queue);
		xtcp_buf_wqueue_free(sk, skb);
		freed++;
	}
	return freed;
}

/* an ACK of our own, now */
void xtcp_send_ack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (sk->sk_state == TCP_CLOSE)
		return;
	skb = xtcp_alloc_skb(sk, 0, GFP_ATOMIC);
	if (!skb) {
		/* the delayed-ACK timer tries again */
		xtcp_timer_schedule_ack(sk);
		return;
	}
	XTCP_SKB_CB(skb)->seq = xs->snd_nxt;
	XTCP_SKB_CB(skb)->flags = XTCP_FLAG_ACK;
	xtcp_transmit_skb(sk, skb, false);
}

/*
 * Zero-window or keepalive probe: an ACK whose sequence number is one
 * below SND.UNA is outside the peer's window, so RFC 9293 3.10.7.4 makes
 * it answer with an ACK carrying its current window. Like Linux's
 * tcp_xmit_probe_skb(), counted in @mib as tcp_write_wakeup() counts.
 */
void xtcp_send_probe(struct sock *sk, enum xtcp_mib_field mib)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	skb = xtcp_alloc_skb(sk, 0, GFP_ATOMIC);
	if (!skb)
		return;
	XTCP_SKB_CB(skb)->seq = xs->snd_una - 1;
	XTCP_SKB_CB(skb)->flags = XTCP_FLAG_ACK;
	this_cpu_inc(xtcp_net(sock_net(sk))->mib->mibs[mib]);
	xtcp_transmit_skb(sk, skb, false);
}

static void xtcp_queue_skb(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* a SYN or a FIN: queued whatever the memory account says */
	xtcp_buf_wqueue_charge(sk, skb, true);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	if (!xs->send_head)
		xs->send_head = skb;
}

/*
 * The SYN goes through the write queue so that it is retransmitted; a
 * passive Fast Open child queues its SYN-ACK the same way (listen.c),
 * from softirq, hence @gfp.
 */
int xtcp_queue_syn(struct sock *sk, gfp_t gfp)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	/* a connection starts its IDs at random, as tcp_v4_connect() does */
	sock_owned_by_me(sk);
	xs->ip_id = get_random_u16();
	xtcp_setup_gso_caps(sk);

	skb = xtcp_alloc_skb(sk, 0, gfp);
	if (!skb)
		return -ENOBUFS;
	XTCP_SKB_CB(skb)->seq = xs->iss;
	XTCP_SKB_CB(skb)->end_seq = xs->iss + 1;
	XTCP_SKB_CB(skb)->flags = XTCP_FLAG_SYN;
	xs->write_seq = xs->iss + 1;
	xtcp_queue_skb(sk, skb);
	return 0;
}

void xtcp_send_syn(struct sock *sk)
{
	xtcp_queue_syn(sk, sk->sk_allocation | __GFP_NOFAIL);
	xtcp_write_xmit(sk, XTCP_NAGLE_OFF);
}

/*
 * A Fast Open client's SYN with data (RFC 7413 3): the write queue holds
 * the SYN and, right behind it, the skb of the bytes the SYN may carry.
 * One segment goes with both, SYN first; the queue keeps them apart, as
 * tcp_send_syn_data() leaves them, so that an RTO resends a plain SYN
 * (xtcp_retransmit_head()) and data the SYN-ACK does not acknowledge can
 * be resent alone (xtcp_fastopen_synack()). Without memory for the
 * combined segment, the SYN goes alone and the data after the handshake.
 */
void xtcp_send_syn_data(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *syn = skb_peek(&sk->sk_write_queue);
	struct sk_buff *data, *buff;
	struct xtcp_skb_cb *cb;

	sock_owned_by_me(sk);
	data = syn ? xtcp_write_queue_next(sk, syn) : NULL;
	if (!data || !data->len || !xs->tfo_req)
		goto plain;
	buff = xtcp_alloc_skb(sk, data->len, sk->sk_allocation);
	if (!buff)
		goto plain;
	if (skb_copy_bits(data, 0, skb_put(buff, data->len), data->len)) {
		__kfree_skb(buff);
		goto plain;
	}
	cb = XTCP_SKB_CB(buff);
	cb->seq = xs->iss;
	cb->end_seq = XTCP_SKB_CB(data)->end_seq;
	cb->flags = XTCP_FLAG_SYN;
	XTCP_SKB_CB(syn)->when = jiffies;
	XTCP_SKB_CB(data)->when = jiffies;
	XTCP_SKB_CB(syn)->xmit_us = xtcp_clock_us();
	XTCP_SKB_CB(data)->xmit_us = XTCP_SKB_CB(syn)->xmit_us;
	xs->tfo_req->syn_data = data->len;
	xtcp_transmit_skb(sk, buff, false);
	xs->send_head = xtcp_write_queue_next(sk, data);
	xs->snd_nxt = XTCP_SKB_CB(data)->end_seq;
	xtcp_timer_on_send(sk, true);
	return;
plain:
	xtcp_write_xmit(sk, XTCP_NAGLE_OFF);
}

/* FIN rides on the last unsent skb when there is one */
void xtcp_send_fin(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	if (xs->fin_sent)
		return;
	if (xs->send_head && tail &&
	    !(XTCP_SKB_CB(tail)->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN))) {
		XTCP_SKB_CB(tail)->flags |= XTCP_FLAG_FIN;
		XTCP_SKB_CB(tail)->end_seq++;
	} else {
		struct sk_buff *skb;

		skb = xtcp_alloc_skb(sk, 0, sk->sk_allocation | __GFP_NOFAIL);
		XTCP_SKB_CB(skb)->seq = xs->write_seq;
		XTCP_SKB_CB(skb)->end_seq = xs->write_seq + 1;
		XTCP_SKB_CB(skb)->flags = XTCP_FLAG_FIN;
		xtcp_queue_skb(sk, skb);
	}
	xs->write_seq++;
	xs->fin_sent = 1;
	xtcp_write_xmit(sk, XTCP_NAGLE_OFF);
}

/*
 * RST for a connection we abort (RFC 9293 3.10.7.1, "ABORT Call"). Each RST
 * counts in OutRsts and in @reason, one of the Rst* rows of mib_list.h.
 */
void xtcp_send_active_reset(struct sock *sk, gfp_t gfp,
			    enum xtcp_mib_field reason)
{
	struct xtcp_out_opts opts = { .tfo_len = -1 };
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_ip_params ipp;
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = xtcp_alloc_skb(sk, 0, gfp);
	if (!skb)
		return;
	/* RFC 7323 3.2: once agreed, every segment has the timestamp */
	if (xs->tstamp_ok) {
		opts.ts = 1;
		opts.tsval = xtcp_ts_now() + xs->tsoffset;
		opts.tsecr = xs->ts_recent;
	}
	th = xtcp_build_header(skb, sk->sk_rcv_saddr, sk->sk_daddr,
			       htons(sk->sk_num), sk->sk_dport, xs->snd_nxt,
			       xs->rcv_nxt, XTCP_FLAG_RST | XTCP_FLAG_ACK, 0,
			       xtcp_options_size(&opts));
	xtcp_options_write((u8 *)(th + 1), &opts);
	XTCP_INC_STATS(sock_net(sk), OUTRSTS);
	this_cpu_inc(xtcp_net(sock_net(sk))->mib->mibs[reason]);
	XTCP_INC_STATS(sock_net(sk), OUTSEGS);
	xtcp_info_sent(sk, skb, 0);
	/* the connection's own header: its TOS, TTL and next ID */
	xtcp_ip_params_sk(sk, skb, &ipp);
	xtcp_link_output(sock_net(sk), skb, &ipp);
}

/* RSTs per second a netns sends in reply to segments nobody wants */
static unsigned int xtcp_rst_ratelimit = 1000;
module_param_named(rst_ratelimit, xtcp_rst_ratelimit, uint, 0644);
MODULE_PARM_DESC(rst_ratelimit,
		 "RSTs per second per netns to segments no connection wants (default 1000; 0: no limit)");

/*
 * A scan or flood at closed ports must not turn a netns into a RST
 * cannon: Linux limits the ICMP errors it answers closed UDP ports with
 * (icmp_global_allow(), icmp_msgs_per_sec) but sends TCP RSTs without
 * limit; XTCP applies the same idea to its stateless RSTs, those that
 * answer a segment no connection wants (RFC 9293 3.10.7.1, 3.10.7.2,
 * an unacceptable ACK to a request). A RST a connection sends on its own
 * account (xtcp_send_active_reset()) is never held back.
 */
static bool xtcp_rst_allowed(struct net *net)
{
	if (xtcp_net_ratelimit(&xtcp_net(net)->rst_rs,
			       READ_ONCE(xtcp_rst_ratelimit)))
		return true;
	XTCP_INC_STATS(net, OUTRSTLIMITED);
	return false;
}

/*
 * RST in answer to a segment no connection wants (RFC 9293 3.10.7.1):
 * if it carried an ACK, the RST takes its sequence number from it;
 * otherwise the RST acknowledges the segment. @reason as above.
 */
void xtcp_send_reset_reply(struct net *net, const struct sk_buff *in,
			   enum xtcp_mib_field reason)
{
	const struct xtcp_skb_cb *icb = XTCP_SKB_CB(in);
	const struct tcphdr *ith = tcp_hdr(in);
	struct xtcp_ip_params ipp;
	struct sk_buff *skb;
	u32 seq = 0, ack = 0;
	u8 flags = XTCP_FLAG_RST;

	if (icb->flags & XTCP_FLAG_RST)
		return;
	if (!xtcp_rst_allowed(net))
		return;
	if (icb->flags & XTCP_FLAG_ACK) {
		seq = icb->ack_seq;
	} else {
		ack = icb->end_seq;
		flags |= XTCP_FLAG_ACK;
	}
	skb = xtcp_alloc_skb(NULL, 0, GFP_ATOMIC);
	if (!skb)
		return;
	xtcp_build_header(skb, icb->daddr, icb->saddr, ith->dest, ith->source,
			  seq, ack, flags, 0, 0);
	XTCP_INC_STATS(net, OUTRSTS);
	this_cpu_inc(xtcp_net(net)->mib->mibs[reason]);
	XTCP_INC_STATS(net, OUTSEGS);
	xtcp_ip_params_stateless(&ipp, icb->daddr, icb->saddr);
	xtcp_link_output(net, skb, &ipp);
}

/*
 * A bare ACK for a connection that has no full socket (a TIME_WAIT
 * entry), with @opts (a timestamp, RFC 7323 3.2) or none if NULL.
 */
void xtcp_send_ack_stateless(struct net *net, const struct sk_buff *in,
			     u32 seq, u32 ack, u32 window,
			     const struct xtcp_out_opts *opts)
{
	const struct xtcp_skb_cb *icb = XTCP_SKB_CB(in);
	const struct tcphdr *ith = tcp_hdr(in);
	unsigned int optlen = opts ? xtcp_options_size(opts) : 0;
	struct xtcp_ip_params ipp;
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = xtcp_alloc_skb(NULL, 0, GFP_ATOMIC);
	if (!skb)
		return;
	th = xtcp_build_header(skb, icb->daddr, icb->saddr, ith->dest,
			       ith->source, seq, ack, XTCP_FLAG_ACK,
			       min_t(u32, window, 65535U), optlen);
	if (opts)
		xtcp_options_write((u8 *)(th + 1), opts);
	XTCP_INC_STATS(net, OUTSEGS);
	xtcp_ip_params_stateless(&ipp, icb->daddr, icb->saddr);
	xtcp_link_output(net, skb, &ipp);
}

/*
 * SYN-ACK of a half-open request in a listener's SYN queue. No connection
 * owns it yet: ID 0 with DF, as ip_build_and_send_pkt() does; the TOS and
 * TTL are the listener's, which the child inherits.
 */
void xtcp_send_synack(const struct sock *lsk, __be32 saddr, __be32 daddr,
		      __be16 sport, __be16 dport, u32 iss, u32 ack,
		      u32 window, const struct xtcp_out_opts *opts)
{
	const struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct net *net = sock_net(lsk);
	struct xtcp_ip_params ipp;
	struct sk_buff *skb;
	struct tcphdr *th;

	skb = xtcp_alloc_skb(NULL, 0, GFP_ATOMIC);
	if (!skb)
		return;
	th = xtcp_build_header(skb, saddr, daddr, sport, dport, iss, ack,
			       XTCP_FLAG_SYN | XTCP_FLAG_ACK,
			       min_t(u32, window, 65535U),
			       xtcp_options_size(opts));
	xtcp_options_write((u8 *)(th + 1), opts);
	XTCP_INC_STATS(net, OUTSEGS);
	xtcp_ip_params_stateless(&ipp, saddr, daddr);
	ipp.tos = READ_ONCE(lxs->ip_tos);
	ipp.ttl = READ_ONCE(lxs->ip_ttl);
	/* the listener's, as ip_build_and_send_pkt() takes them */
	ipp.mark = READ_ONCE(lsk->sk_mark);
	ipp.priority = READ_ONCE(lsk->sk_priority);
	xtcp_link_output(net, skb, &ipp);
}

/*
 * What a child takes from its listener below TCP, as inet_csk_clone_lock()
 * copies inet_sock in Linux: the SOL_IP settings. Its IPv4 IDs start at
 * random, as tcp_v4_syn_recv_sock() seeds inet_id, and it learns the GSO
 * limits of its device. Called under the listener's lock, with the child's
 * addresses set and before it is hashed, so nobody else sees it yet.
 */
void xtcp_output_init_child(const struct sock *lsk, struct sock *sk)
{
	const struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->ip_tos = lxs->ip_tos;
	xs->ip_ttl = lxs->ip_ttl;
	xs->ip_pmtudisc = lxs->ip_pmtudisc;
	xs->ip_pmtudisc_set = lxs->ip_pmtudisc_set;
	xs->ip_recverr = lxs->ip_recverr;
	xs->ip_freebind = lxs->ip_freebind;
	xs->ip_bind_address_no_port = lxs->ip_bind_address_no_port;
	xs->ip_transparent = lxs->ip_transparent;
	xs->port_range = lxs->port_range;
	xs->ip_id = get_random_u16();
	xtcp_setup_gso_caps(sk);
	/* and the data path's options (sock.c), as sk_clone_lock() */
	xs->notsent_lowat = lxs->notsent_lowat;
	xs->window_clamp = lxs->window_clamp;
	xs->recvmsg_inq = lxs->recvmsg_inq;
}

/*
 * PSH on the last byte queued so far, for the end of a write() (RFC 9293
 * 3.9.1.2, MUST-61: with no PUSH flag on SEND, the last buffered segment
 * carries PSH). Like tcp_mark_push() at the end of tcp_sendmsg_locked(),
 * and like there a full skb is never sent while the write goes on, so the
 * mark always lands on a segment not sent yet; xtcp_fragment() then keeps
 * it on the tail piece.
 */
void xtcp_mark_push(struct sock *sk)
{
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);
	struct xtcp_skb_cb *cb;

	sock_owned_by_me(sk);
	if (!xtcp_sk(sk)->send_head || !tail)
		return;
	cb = XTCP_SKB_CB(tail);
	if (!(cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN)) &&
	    cb->end_seq != cb->seq)
		cb->flags |= XTCP_FLAG_PSH;
}

/*
 * MSS for this path: the link MTU less our headers, lowered to what the
 * peer announced (RFC 9293 3.7.1; 536 when it announced nothing).
 */
void xtcp_init_mss(struct sock *sk, unsigned int mtu, u16 peer_mss)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 own = mtu - XTCP_IP_HDR_LEN - XTCP_HDR_LEN;

	if (xs->user_mss)
		own = min_t(u32, own, xs->user_mss);
	own = clamp_t(u32, own, XTCP_MIN_MSS, 65535U - 40);
	xs->advmss = own;
	if (!peer_mss)
		peer_mss = XTCP_DEFAULT_MSS;
	xs->mss = clamp_t(u32, peer_mss, XTCP_MIN_MSS, own);
}
