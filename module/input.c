// SPDX-License-Identifier: GPL-2.0
/*
 * Segment arrival. xtcp_rcv() checks the TCP header and finds the socket;
 * xtcp_rcv_state_process() then follows RFC 9293 3.10.7.4 ("SEGMENT
 * ARRIVES, otherwise") step by step: sequence number, RST, SYN, ACK,
 * segment text, FIN. Linux's tcp_rcv_state_process() has the same shape;
 * XTCP has no header-prediction fast path yet.
 *
 * Everything below xtcp_rcv() runs under the socket lock: in softirq with
 * bh_lock_sock() held, or in process context from the backlog while the
 * socket is owned.
 */
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include "xtcp.h"

/* how the first check of RFC 9293 3.10.7.4 judged a segment */
enum xtcp_seq_verdict {
	XTCP_SEQ_BAD,
	XTCP_SEQ_OK,
	XTCP_SEQ_ACK_ONLY,	/* zero window: keep its ACK, drop its text */
};

static bool xtcp_csum_ok(struct sk_buff *skb, const struct iphdr *iph)
{
	if (skb_csum_unnecessary(skb))
		return true;
	if (skb->ip_summed == CHECKSUM_COMPLETE &&
	    !csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len, IPPROTO_TCP,
			       skb->csum))
		return true;
	skb->csum = csum_tcpudp_nofold(iph->saddr, iph->daddr, skb->len,
				       IPPROTO_TCP, 0);
	return !__skb_checksum_complete(skb);
}

static void xtcp_challenge_ack(struct sock *sk)
{
	XTCP_INC_STATS(sock_net(sk), CHALLENGEACKS);
	xtcp_send_ack(sk);
}

/*
 * RFC 9293 3.10.7.4, first check, as its table of four cases has it. The
 * receive window is what we last advertised, measured from RCV.NXT.
 */
static enum xtcp_seq_verdict xtcp_sequence_check(const struct xtcp_sock *xs,
						 const struct xtcp_skb_cb *cb)
{
	s32 right = xs->rcv_wup + xs->rcv_wnd - xs->rcv_nxt;
	u32 wnd = max(right, 0);
	u32 last = xs->rcv_nxt + wnd;

	if (cb->seq == cb->end_seq) {
		if (!wnd)
			return cb->seq == xs->rcv_nxt ? XTCP_SEQ_OK : XTCP_SEQ_BAD;
		return xtcp_between(cb->seq, xs->rcv_nxt, last - 1) ?
			XTCP_SEQ_OK : XTCP_SEQ_BAD;
	}
	if (!wnd)
		return cb->seq == xs->rcv_nxt ? XTCP_SEQ_ACK_ONLY :
						XTCP_SEQ_BAD;
	if (xtcp_between(cb->seq, xs->rcv_nxt, last - 1) ||
	    xtcp_between(cb->end_seq - 1, xs->rcv_nxt, last - 1))
		return XTCP_SEQ_OK;
	return XTCP_SEQ_BAD;
}

/* TS.Recent takes the segment's TSval (RFC 7323 4.3) */
static void xtcp_store_ts_recent(struct xtcp_sock *xs,
				 const struct xtcp_skb_cb *cb)
{
	xs->ts_recent = cb->tsval;
	xs->ts_recent_stamp = ktime_get_seconds();
}

/*
 * RFC 7323 5.5: a TS.Recent idle for more than 24 days is invalid, since
 * the peer's clock may have wrapped half its space meanwhile; the next
 * timestamp is taken whatever its value.
 */
static bool xtcp_ts_recent_valid(const struct xtcp_sock *xs)
{
	return ktime_get_seconds() - xs->ts_recent_stamp <= 24 * 24 * 3600;
}

/*
 * A pure duplicate ACK that the network put behind a later segment: its
 * TSval is older than TS.Recent, yet it is no old duplicate, and dropping
 * it would hide a duplicate ACK from loss recovery. Linux lets it through
 * (tcp_disordered_ack()) when it moves nothing, neither SND.UNA nor the
 * window, and is at most about an RTO older; so does XTCP.
 */
static bool xtcp_disordered_ack(const struct xtcp_sock *xs,
				const struct xtcp_skb_cb *cb)
{
	u32 ms = jiffies_to_msecs(xs->rto);

	return (cb->flags & XTCP_FLAG_ACK) && cb->seq == cb->end_seq &&
	       cb->seq == xs->rcv_nxt && cb->ack_seq == xs->snd_una &&
	       ((u32)cb->window << xs->snd_wscale) == xs->snd_wnd &&
	       (s32)(xs->ts_recent - cb->tsval) <= (s32)ms;
}

/*
 * RFC 7323 5.3 R1, PAWS: a segment whose TSval is older than TS.Recent
 * is a duplicate of an earlier incarnation of its sequence space. Like
 * tcp_paws_discard(), a RST is judged by its sequence number alone
 * (RFC 7323 5.3 keeps its ACK out of this), and RFC 7323's "R3" update
 * of TS.Recent happens after the segment is found acceptable
 * (xtcp_update_ts_recent()).
 */
static bool xtcp_paws_reject(const struct xtcp_sock *xs,
			     const struct xtcp_skb_cb *cb)
{
	return xs->tstamp_ok && cb->saw_tstamp &&
	       !(cb->flags & XTCP_FLAG_RST) &&
	       (s32)(cb->tsval - xs->ts_recent) < 0 &&
	       xtcp_ts_recent_valid(xs) && !xtcp_disordered_ack(xs, cb);
}

/*
 * RFC 7323 4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ <=
 * Last.ACK.sent, then SEG.TSval is copied to TS.Recent". Last.ACK.sent
 * is rcv_wup, RCV.NXT when we last sent a window, as in Linux's
 * tcp_replace_ts_recent().
 */
static void xtcp_update_ts_recent(struct xtcp_sock *xs,
				  const struct xtcp_skb_cb *cb)
{
	if (!xs->tstamp_ok || !cb->saw_tstamp ||
	    xtcp_after(cb->seq, xs->rcv_wup))
		return;
	if ((s32)(cb->tsval - xs->ts_recent) >= 0 ||
	    !xtcp_ts_recent_valid(xs))
		xtcp_store_ts_recent(xs, cb);
}

static void xtcp_check_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;

	if (sock && test_bit(SOCK_NOSPACE, &sock->flags))
		sk->sk_write_space(sk);
}

/*
 * A duplicate ACK from a peer without SACK: RFC 5681 3.2's three
 * duplicate ACKs. With SACK, RACK judges losses from the blocks instead
 * (recovery.c), as Linux does by default.
 */
static void xtcp_dupack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->dupacks++;
	if (xs->dupacks == XTCP_DUPACK_THRESH &&
	    xs->in_recovery == XTCP_CA_OPEN) {
		/* RFC 5681 3.2 and RFC 6582 3.2 step 2 */
		xtcp_recovery_enter(sk);
		XTCP_INC_STATS(sock_net(sk), FASTRETRANS);
		xtcp_retransmit_head(sk);
		xtcp_timer_on_ack(sk);
	} else if (xs->dupacks > XTCP_DUPACK_THRESH &&
		   xs->in_recovery == XTCP_CA_RECOVERY) {
		/* RFC 6582 3.2 step 3: each further dupack left the network */
		xs->snd_cwnd++;
	}
}

/*
 * SND.UNA moves forward to the ACK of skb: the retransmit queue gives
 * back what it acknowledges, and the ACK gives an RTT sample.
 */
static void xtcp_ack_new_data(struct sock *sk, const struct sk_buff *skb,
			      struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ack = XTCP_SKB_CB(skb)->ack_seq;

	xs->dupacks = 0;
	xtcp_clean_rtx_queue(sk, ack, as);
	xs->snd_una = ack;
	as->una_advanced = 1;
	/* RFC 6298 5.7: new data acknowledged ends the backoff */
	xs->backoff = 0;
	xs->retries = 0;
	xs->probes = 0;
	xtcp_timer_rtt_sample(sk, 0);
	xtcp_recovery_rtt(sk, skb, as);
}

/* what xtcp_ack() starts from */
static void xtcp_ack_state_init(const struct xtcp_sock *xs,
				struct xtcp_ack_state *as)
{
	memset(as, 0, sizeof(*as));
	as->prior_una = xs->snd_una;
	as->prior_fack = xs->sacked_out ? xs->highest_sack : xs->snd_una;
	as->prior_in_flight = xtcp_in_flight(xs);
	as->rtt_us = -1;
	as->sack_rtt_us = -1;
}

/* RFC 9293 3.10.7.4, fifth check: the ACK field. Returns false to drop. */
static bool xtcp_ack(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 ack = cb->ack_seq, prior_una = xs->snd_una;
	u32 wnd = (u32)cb->window << xs->snd_wscale;
	struct xtcp_ack_state as;
	bool win_changed = false;

	if (xtcp_after(ack, xs->snd_nxt) ||
	    xtcp_before(ack, prior_una - xs->max_window)) {
		/* not yet sent, or too old to believe (RFC 5961 5.2) */
		XTCP_INC_STATS(sock_net(sk), DROP_ACK);
		xtcp_send_ack(sk);
		return false;
	}

	if (!xtcp_before(ack, prior_una) &&
	    (xtcp_before(xs->snd_wl1, cb->seq) ||
	     (xs->snd_wl1 == cb->seq && !xtcp_before(ack, xs->snd_wl2)))) {
		win_changed = wnd != xs->snd_wnd;
		xs->snd_wnd = wnd;
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = ack;
		xs->max_window = max(xs->max_window, wnd);
	}

	/* RFC 1122 4.2.2.17: a peer that answers probes is alive */
	xs->probes = 0;
	xtcp_ack_state_init(xs, &as);
	if (xs->sack_ok)
		xtcp_sacktag(sk, skb, &as);
	if (xtcp_after(ack, prior_una)) {
		xtcp_ack_new_data(sk, skb, &as);
	} else if (ack == prior_una && cb->seq == cb->end_seq &&
		   !win_changed && xs->snd_una != xs->snd_nxt) {
		as.dupack = 1;
		if (!xs->sack_ok)
			xtcp_dupack(sk);
	} else if (win_changed && xs->snd_wnd && xs->snd_una == xs->snd_nxt) {
		xtcp_timer_window_open(sk);
	}
	xtcp_recovery_on_ack(sk, skb, &as);
	if (as.una_advanced) {
		xtcp_timer_on_ack(sk);
		xtcp_check_space(sk);
	}
	return true;
}

/* in-order payload to the receive queue; false if the caller frees skb */
static bool xtcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_receive_queue);
	bool fragstolen;
	int delta;

	if (!skb->len)
		return false;
	xs->rcv_nxt = XTCP_SKB_CB(skb)->seq + skb->len;
	if (tail && skb_try_coalesce(tail, skb, &fragstolen, &delta)) {
		atomic_add(delta, &sk->sk_rmem_alloc);
		kfree_skb_partial(skb, fragstolen);
		return true;
	}
	skb_set_owner_r(skb, sk);
	__skb_queue_tail(&sk->sk_receive_queue, skb);
	return true;
}

/* RFC 9293 3.10.7.4, eighth check: the FIN bit, once it is in order */
static void xtcp_fin(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rcv_nxt++;
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		xtcp_set_state(sk, TCP_CLOSE_WAIT);
		break;
	case TCP_FIN_WAIT1:
		/* our FIN is not acknowledged yet: simultaneous close */
		xtcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		/*
		 * ACK the FIN now, as tcp_fin() does: xtcp_time_wait() frees
		 * the socket's port, and only its entry is left to answer.
		 */
		xtcp_send_ack(sk);
		xtcp_time_wait(sk);
		break;
	}
	/* nothing can follow a FIN */
	xtcp_ofo_purge(sk);
	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		sk_wake_async(sk, SOCK_WAKE_WAITD,
			      sk->sk_shutdown == SHUTDOWN_MASK ? POLL_HUP :
								 POLL_IN);
	}
}

void xtcp_ofo_purge(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct rb_node *node;

	while ((node = rb_first(&xs->ofo_root))) {
		rb_erase(node, &xs->ofo_root);
		kfree_skb(rb_to_skb(node));
	}
}

/*
 * Keep a segment that arrived ahead of RCV.NXT. Duplicates that one
 * queued skb already covers are dropped; partial overlaps are trimmed
 * when the data becomes in order. Merging neighbours comes later.
 */
static void xtcp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct rb_node **p = &xs->ofo_root.rb_node, *parent = NULL;
	u32 seq = XTCP_SKB_CB(skb)->seq, end = XTCP_SKB_CB(skb)->end_seq;

	while (*p) {
		struct sk_buff *s = rb_to_skb(*p);

		parent = *p;
		if (xtcp_before(seq, XTCP_SKB_CB(s)->seq)) {
			p = &parent->rb_left;
			continue;
		}
		if (!xtcp_after(end, XTCP_SKB_CB(s)->end_seq)) {
			kfree_skb(skb);
			return;
		}
		p = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &xs->ofo_root);
	skb_set_owner_r(skb, sk);
	XTCP_INC_STATS(sock_net(sk), OFOQUEUE);
}

/* move what became in order from the OFO tree to the receive queue */
static void xtcp_ofo_drain(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct rb_node *node;

	while ((node = rb_first(&xs->ofo_root))) {
		struct sk_buff *skb = rb_to_skb(node);
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		bool fin = cb->flags & XTCP_FLAG_FIN;

		if (xtcp_after(cb->seq, xs->rcv_nxt))
			break;
		rb_erase(node, &xs->ofo_root);
		if (!xtcp_after(cb->end_seq, xs->rcv_nxt) ||
		    (xtcp_before(cb->seq, xs->rcv_nxt) &&
		     !pskb_pull(skb, xs->rcv_nxt - cb->seq))) {
			kfree_skb(skb);
			continue;
		}
		cb->seq = xs->rcv_nxt;
		if (!xtcp_queue_rcv(sk, skb))
			kfree_skb(skb);
		if (fin) {
			xtcp_fin(sk);
			break;
		}
	}
}

/* receive memory past the limit a peer may make us hold */
static bool xtcp_rmem_over(const struct sock *sk)
{
	/*
	 * Twice the buffer, counted in truesize: the window offers half of
	 * sk_rcvbuf as payload (xtcp_rcv_space()), reckoning skb overhead
	 * as large as the payload, so this stops a peer that ignores our
	 * window, or one whose segments are tiny for their overhead.
	 */
	return atomic_read(&sk->sk_rmem_alloc) > 2 * READ_ONCE(sk->sk_rcvbuf);
}

/*
 * Make room for skb by dropping out-of-order data from its far end, the
 * bytes the sender will come to last, like tcp_prune_ofo_queue(). Nothing
 * at or below skb's own sequence number goes: when skb would itself be
 * the farthest data queued, it is skb that is dropped. We never SACK, so
 * the pruned bytes are simply still unacknowledged and the sender resends
 * them. Each pruned skb counts in OfoPrune. Returns true when there is
 * room now.
 */
static bool xtcp_prune_ofo(struct sock *sk, const struct sk_buff *in)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 seq = XTCP_SKB_CB(in)->seq;
	struct rb_node *node;

	while (xtcp_rmem_over(sk) && (node = rb_last(&xs->ofo_root))) {
		struct sk_buff *skb = rb_to_skb(node);

		if (xtcp_before(XTCP_SKB_CB(skb)->seq, seq))
			break;
		rb_erase(node, &xs->ofo_root);
		kfree_skb(skb);
		XTCP_INC_STATS(sock_net(sk), OFOPRUNE);
	}
	return !xtcp_rmem_over(sk);
}

/*
 * May skb's text be charged to the receive buffer? In-window data is
 * accepted up to xtcp_rmem_over(); past it, like tcp_data_queue() with
 * tcp_try_rmem_schedule():
 * - in-order data is taken anyway while the receive queue is empty.
 *   Otherwise an out-of-order queue that fills the budget would keep out
 *   the very segment that fills the hole in front of it, and with nothing
 *   for the application to read, nothing would ever free room: the
 *   connection would be wedged for good;
 * - else out-of-order data beyond skb is pruned to make room.
 */
static bool xtcp_rmem_schedule(struct sock *sk, const struct sk_buff *skb)
{
	if (!xtcp_rmem_over(sk))
		return true;
	if (!xtcp_after(XTCP_SKB_CB(skb)->seq, xtcp_sk(sk)->rcv_nxt) &&
	    skb_queue_empty(&sk->sk_receive_queue))
		return true;
	return xtcp_prune_ofo(sk, skb);
}

/*
 * RFC 9293 3.10.7.4, seventh check: segment text. Returns true when the
 * skb was kept; *ack_now says whether to answer at once.
 */
static bool xtcp_data_queue(struct sock *sk, struct sk_buff *skb,
			    bool *ack_now)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool fin = cb->flags & XTCP_FLAG_FIN;
	bool queued;

	if (skb->len && !xtcp_rmem_schedule(sk, skb)) {
		XTCP_INC_STATS(sock_net(sk), DROP_RCVBUF);
		*ack_now = true;
		return false;
	}

	if (xtcp_after(cb->seq, xs->rcv_nxt)) {
		xtcp_ofo_queue(sk, skb);
		/* a duplicate ACK tells the sender about the hole at once */
		*ack_now = true;
		return true;
	}

	if (xtcp_before(cb->seq, xs->rcv_nxt)) {
		if (!pskb_pull(skb, xs->rcv_nxt - cb->seq)) {
			XTCP_INC_STATS(sock_net(sk), DROP_NOMEM);
			return false;
		}
		cb->seq = xs->rcv_nxt;
	}

	queued = xtcp_queue_rcv(sk, skb);
	/*
	 * The FIN before the out-of-order queue, as tcp_data_queue() does:
	 * the stream ends at this FIN (RFC 9293 3.10.7.4, eighth check), so
	 * what the peer queued beyond it is no data of the stream, and
	 * xtcp_fin() purges it rather than let the drain below hand it to
	 * the application and move RCV.NXT past the FIN.
	 */
	if (fin) {
		xtcp_fin(sk);
		/*
		 * A FIN that closes the peer's half of an open connection is
		 * ACKed with a delay, as tcp_fin() enters pingpong mode: the
		 * application reads the end of the stream and usually
		 * close()s at once, and its FIN then carries the ACK. Sent
		 * apart, the ACK and the FIN reach a Linux peer back to
		 * back, and it loses the FIN when the two race on its CPUs
		 * ("really marginal case" in tcp_rcv_state_process(): the
		 * ACK turns the FIN-WAIT-2 orphan into a timewait sock
		 * while the FIN waits for the closed socket), so the FIN
		 * waits for our retransmission timeout: issue 16 saw that in
		 * 1 of 10 connect/request/response/close loops. A FIN in
		 * FIN-WAIT-1 or -2 (CLOSING, TIME-WAIT) is ACKed at once.
		 */
		*ack_now = sk->sk_state != TCP_CLOSE_WAIT;
	} else if (!RB_EMPTY_ROOT(&xs->ofo_root)) {
		xtcp_ofo_drain(sk);
		*ack_now = true;
	}
	if (queued && !sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return queued;
}

/* RFC 1122 4.2.3.2: ACK at least every second full segment, else delay */
static void xtcp_ack_snd_check(struct sock *sk, bool ack_now)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (ack_now || xs->rcv_nxt - xs->rcv_wup > xs->advmss)
		xtcp_send_ack(sk);
	else if (xs->rcv_nxt != xs->rcv_wup)
		xtcp_timer_schedule_ack(sk);
}

static void xtcp_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_opts opts;

	if ((cb->flags & XTCP_FLAG_ACK) &&
	    (!xtcp_after(cb->ack_seq, xs->iss) ||
	     xtcp_after(cb->ack_seq, xs->snd_nxt))) {
		XTCP_INC_STATS(sock_net(sk), DROP_ACK);
		xtcp_send_reset_reply(sock_net(sk), skb, XTCP_MIB_RSTBADACK);
		goto discard;
	}
	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->flags & XTCP_FLAG_ACK)
			xtcp_reset(sk);
		goto discard;
	}
	if (!(cb->flags & XTCP_FLAG_SYN))
		goto discard;

	xtcp_parse_options(skb, &opts);
	xs->irs = cb->seq;
	xs->rcv_nxt = cb->seq + 1;
	xs->copied_seq = xs->rcv_nxt;
	xs->rcv_wup = xs->rcv_nxt;
	xs->wscale_ok = opts.wscale_ok;
	xs->snd_wscale = opts.wscale_ok ? opts.wscale : 0;
	if (!opts.wscale_ok)
		xs->rcv_wscale = 0;
	/* RFC 2018 2, RFC 7323 3.2: what both offered */
	xs->sack_ok &= opts.sack_ok;
	xs->tstamp_ok &= opts.saw_tstamp;
	xtcp_init_mss(sk, xs->advmss + XTCP_IP_HDR_LEN + XTCP_HDR_LEN,
		      opts.mss);
	if (xs->tstamp_ok) {
		xtcp_store_ts_recent(xs, cb);
		/* every segment carries the option: room for it, as Linux */
		xs->mss = max_t(int, xs->mss - XTCP_TS_ALIGNED_LEN,
				XTCP_MIN_MSS);
	}
	/* RFC 7323 2.2: the window of a SYN is not scaled */
	xs->snd_wnd = cb->window;
	xs->max_window = xs->snd_wnd;
	xs->snd_wl1 = cb->seq;
	xs->snd_wl2 = cb->ack_seq;

	if (cb->flags & XTCP_FLAG_ACK) {
		struct xtcp_ack_state as;

		xtcp_ack_state_init(xs, &as);
		xtcp_ack_new_data(sk, skb, &as);
		xtcp_timer_on_ack(sk);
		/* a Fast Open SYN: its cookie, and data to resend (fastopen.c) */
		xtcp_fastopen_synack(sk, &opts, cb->ack_seq);
		xtcp_set_state(sk, TCP_ESTABLISHED);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
		xtcp_send_ack(sk);
		xtcp_push(sk, 0);
	} else {
		/* simultaneous open (RFC 9293 figure 8): our SYN becomes a
		 * SYN-ACK, because transmission adds ACK outside SYN-SENT
		 */
		xtcp_set_state(sk, TCP_SYN_RECV);
		xtcp_retransmit_head(sk);
	}
discard:
	kfree_skb(skb);
}

/* our FIN has been acknowledged */
static bool xtcp_fin_acked(const struct xtcp_sock *xs)
{
	return xs->fin_sent && xs->snd_una == xs->write_seq;
}

void xtcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	enum xtcp_seq_verdict verdict;
	bool ack_now = false;

	switch (sk->sk_state) {
	case TCP_CLOSE:
		goto discard;
	case TCP_LISTEN:
		xtcp_listen_rcv(sk, skb);
		return;
	case TCP_SYN_SENT:
		xtcp_rcv_synsent(sk, skb);
		return;
	}

	/* RFC 7323 5.3: PAWS comes before the sequence number check */
	if (xtcp_paws_reject(xs, cb)) {
		XTCP_INC_STATS(sock_net(sk), PAWSESTABREJECTED);
		xtcp_send_ack(sk);
		goto discard;
	}

	/* first: the sequence number */
	verdict = xtcp_sequence_check(xs, cb);
	if (verdict == XTCP_SEQ_BAD) {
		XTCP_INC_STATS(sock_net(sk), DROP_SEQ);
		if (!(cb->flags & XTCP_FLAG_RST))
			xtcp_send_ack(sk);
		goto discard;
	}

	/* second: RST, in RFC 5961 3.2's stricter form */
	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->seq == xs->rcv_nxt)
			xtcp_reset(sk);
		else
			xtcp_challenge_ack(sk);
		goto discard;
	}

	/* fourth: a SYN in a synchronized state (RFC 5961 4.2) */
	if (cb->flags & XTCP_FLAG_SYN) {
		xtcp_challenge_ack(sk);
		goto discard;
	}

	/* fifth: the ACK field */
	if (!(cb->flags & XTCP_FLAG_ACK))
		goto discard;
	if (sk->sk_state == TCP_SYN_RECV) {
		if (!xtcp_between(cb->ack_seq, xs->snd_una + 1, xs->snd_nxt)) {
			xtcp_send_reset_reply(sock_net(sk), skb,
					      XTCP_MIB_RSTBADACK);
			goto discard;
		}
		xtcp_set_state(sk, TCP_ESTABLISHED);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_state_change(sk);
	}
	if (!xtcp_ack(sk, skb))
		goto discard;
	xtcp_update_ts_recent(xs, cb);

	switch (sk->sk_state) {
	case TCP_FIN_WAIT1:
		if (!xtcp_fin_acked(xs))
			break;
		xtcp_set_state(sk, TCP_FIN_WAIT2);
		sk->sk_shutdown |= SEND_SHUTDOWN;
		if (sock_flag(sk, SOCK_DEAD))
			xtcp_timer_fin_wait2(sk);
		else
			sk->sk_state_change(sk);
		break;
	case TCP_CLOSING:
		if (xtcp_fin_acked(xs)) {
			xtcp_time_wait(sk);
			goto discard;
		}
		break;
	case TCP_LAST_ACK:
		if (xtcp_fin_acked(xs)) {
			xtcp_done(sk);
			goto discard;
		}
		break;
	}

	/* seventh and eighth: segment text and FIN */
	if (cb->seq != cb->end_seq) {
		switch (sk->sk_state) {
		case TCP_FIN_WAIT1:
		case TCP_FIN_WAIT2:
			/*
			 * The application closed its end for reading; new
			 * data can never reach it, so reset, like Linux.
			 */
			if ((sk->sk_shutdown & RCV_SHUTDOWN) &&
			    xtcp_after(cb->end_seq -
				       !!(cb->flags & XTCP_FLAG_FIN),
				       xs->rcv_nxt)) {
				xtcp_send_active_reset(sk, GFP_ATOMIC,
						       XTCP_MIB_RSTDATAAFTERCLOSE);
				xtcp_reset(sk);
				goto discard;
			}
			fallthrough;
		case TCP_ESTABLISHED:
			if (verdict == XTCP_SEQ_ACK_ONLY) {
				ack_now = true;
				break;
			}
			if (xtcp_data_queue(sk, skb, &ack_now)) {
				skb = NULL;
				break;
			}
			break;
		default:
			/* CLOSE_WAIT, CLOSING, LAST_ACK: the peer's FIN is in */
			break;
		}
	}

	/* closed, maybe into TIME_WAIT: xtcp_fin() sent the ACK owed */
	if (sk->sk_state != TCP_CLOSE) {
		xtcp_push(sk, 0);
		xtcp_ack_snd_check(sk, ack_now);
	}
discard:
	kfree_skb(skb);
}

int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	/*
	 * From release_sock() this runs with BH enabled, but the listener
	 * path locks children with bh_lock_sock_nested(), which softirq
	 * takes too.
	 */
	local_bh_disable();
	if (sk->sk_state == TCP_LISTEN)
		xtcp_listen_rcv(sk, skb);
	else
		xtcp_rcv_state_process(sk, skb);
	local_bh_enable();
	return 0;
}

/*
 * Hand skb to sk, whose reference the caller passes on: at once when no
 * process owns sk, else to its backlog, which release_sock() feeds to
 * xtcp_backlog_rcv() (the "socket lock" of Linux's tcp_v4_rcv()). BH must
 * be off. @subclass is lockdep's: 0 from xtcp_rcv(), SINGLE_DEPTH_NESTING
 * when the caller holds a listener and sk is its child (listen.c), the
 * order Documentation/locking.md gives.
 */
int xtcp_rcv_deliver(struct sock *sk, struct sk_buff *skb, int subclass)
{
	struct net *net = sock_net(sk);
	int ret = NET_RX_SUCCESS;

	spin_lock_nested(&sk->sk_lock.slock, subclass);
	if (!sock_owned_by_user(sk)) {
		xtcp_backlog_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
					   READ_ONCE(sk->sk_sndbuf))) {
		XTCP_INC_STATS(net, DROP_BACKLOG);
		kfree_skb(skb);
		ret = NET_RX_DROP;
	}
	bh_unlock_sock(sk);
	sock_put(sk);
	return ret;
}

/*
 * Entry from link.c, in softirq under rcu_read_lock(). skb->data is the
 * TCP header; the IPv4 header was checked and is at skb_network_header().
 */
int xtcp_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph;
	const struct tcphdr *th;
	struct xtcp_skb_cb *cb;
	struct xtcp_tw *tw;
	unsigned int doff;
	struct sock *sk;

	XTCP_INC_STATS(net, INSEGS);
	if (!pskb_may_pull(skb, sizeof(*th)))
		goto bad_header;
	th = tcp_hdr(skb);
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > skb->len ||
	    !pskb_may_pull(skb, doff))
		goto bad_header;
	iph = ip_hdr(skb);
	if (!xtcp_csum_ok(skb, iph))
		goto csum_error;

	th = tcp_hdr(skb);
	cb = XTCP_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->saddr = iph->saddr;
	cb->daddr = iph->daddr;
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - doff;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->window = ntohs(th->window);
	cb->flags = ((u8 *)th)[13];
	xtcp_parse_timestamp(skb, cb);
	/* skb->data becomes the payload; tcp_hdr() still finds the header */
	__skb_pull(skb, doff);

lookup:
	sk = xtcp_demux_lookup(net, cb->saddr, th->source, cb->daddr,
			       th->dest, &tw);
	if (tw)
		goto time_wait;
	if (!sk)
		goto no_socket;

	/* subclass 0: a listener here locks children as subclass 1 */
	return xtcp_rcv_deliver(sk, skb, 0);

time_wait:
	/* timewait.c judges, we act, as tcp_v4_rcv() does with its verdict */
	switch (xtcp_timewait_rcv(tw, skb)) {
	case XTCP_TW_SYN:
		/*
		 * A new incarnation (RFC 6191): the entry goes and the SYN
		 * finds the listener, or a RST if there is none. Linux keeps
		 * the entry and ACKs when no listener is there.
		 */
		xtcp_timewait_kill(tw);
		xtcp_timewait_put(tw);
		XTCP_INC_STATS(net, TWRECYCLED);
		goto lookup;
	case XTCP_TW_ACK:
		xtcp_timewait_send_ack(tw, skb);
		break;
	case XTCP_TW_DROP:
		break;
	}
	xtcp_timewait_put(tw);
	goto discard;

no_socket:
	XTCP_INC_STATS(net, DROP_NO_SOCKET);
	xtcp_send_reset_reply(net, skb, XTCP_MIB_RSTNOSOCKET);
	goto discard;
csum_error:
	XTCP_INC_STATS(net, INCSUMERRORS);
	XTCP_INC_STATS(net, DROP_TCP_CSUM);
	XTCP_INC_STATS(net, INERRS);
	goto discard;
bad_header:
	XTCP_INC_STATS(net, DROP_TCP_HDR);
	XTCP_INC_STATS(net, INERRS);
discard:
	kfree_skb(skb);
	return NET_RX_DROP;
}
