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
#include <linux/prandom.h>
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

/* ms between two ACKs to invalid segments, as tcp_invalid_ratelimit */
static unsigned int xtcp_invalid_ratelimit = 500;
module_param_named(invalid_ratelimit, xtcp_invalid_ratelimit, uint, 0644);
MODULE_PARM_DESC(invalid_ratelimit,
		 "ms between duplicate ACKs to invalid segments (default 500)");

/*
 * RFC 5961 10 (tcp_oow_rate_limited()): a segment that fails PAWS or the
 * sequence check, or draws a challenge ACK, is answered once per
 * invalid_ratelimit ms at most, so that two ends that disagree about the
 * window do not trade ACKs forever, and an attacker gets no ACK flood
 * out of us. Data is always answered (xtcp_oow_rate_limited()): a resend
 * of data we have is how a lost ACK shows, and no ACK loop carries data;
 * challenge ACKs are limited whatever the segment carries, as
 * tcp_send_challenge_ack().
 */
static bool __xtcp_oow_rate_limited(struct sock *sk, enum xtcp_mib_field mib)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 gap = msecs_to_jiffies(READ_ONCE(xtcp_invalid_ratelimit));
	u32 now = jiffies;

	if (xs->last_oow_ack && (s32)(now - xs->last_oow_ack) >= 0 &&
	    now - xs->last_oow_ack < gap) {
		this_cpu_inc(xtcp_net(sock_net(sk))->mib->mibs[mib]);
		return true;
	}
	xs->last_oow_ack = now ? : 1;
	return false;
}

static bool xtcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb,
				  enum xtcp_mib_field mib)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (cb->seq != cb->end_seq && !(cb->flags & XTCP_FLAG_SYN))
		return false;
	return __xtcp_oow_rate_limited(sk, mib);
}

/* challenge ACKs per second in a netns, as tcp_challenge_ack_limit */
static unsigned int xtcp_challenge_ack_limit = 1000;
module_param_named(challenge_ack_limit, xtcp_challenge_ack_limit, uint, 0644);
MODULE_PARM_DESC(challenge_ack_limit,
		 "challenge ACKs per second per netns, about (default 1000; >= 2^31-1: no limit)");

/*
 * RFC 5961 7, ACK throttling: a blind attacker's RSTs and SYNs must not
 * draw unlimited ACKs out of a netns. Linux 6.1's
 * tcp_challenge_ack_allowed(): each second's budget is drawn at random
 * from [limit / 2, limit * 3 / 2), so that an off-path attacker cannot
 * count the budget down and learn from what is left whether its guess
 * hit a connection (CVE-2016-5696). XTCP's limit is a module parameter,
 * the same for every netns, where Linux has a sysctl in each; the
 * budget is each netns's own. Overflow is counted, which Linux does not.
 */
static bool xtcp_challenge_ack_allowed(struct net *net)
{
	struct xtcp_net *xn = xtcp_net(net);
	u32 limit = READ_ONCE(xtcp_challenge_ack_limit);
	u32 now = jiffies / HZ, count;

	if (limit >= INT_MAX)
		return true;
	if (now != READ_ONCE(xn->challenge_stamp)) {
		WRITE_ONCE(xn->challenge_stamp, now);
		WRITE_ONCE(xn->challenge_count,
			   (limit + 1) / 2 + prandom_u32_max(limit));
	}
	count = READ_ONCE(xn->challenge_count);
	if (!count) {
		XTCP_INC_STATS(net, CHALLENGEACKLIMITED);
		return false;
	}
	WRITE_ONCE(xn->challenge_count, count - 1);
	return true;
}

/*
 * Data or not: an RST or SYN with payload must not bypass the limits.
 * The socket's first, then the netns's, as tcp_send_challenge_ack().
 */
static void xtcp_challenge_ack(struct sock *sk)
{
	if (__xtcp_oow_rate_limited(sk, XTCP_MIB_ACKSKIPPEDCHALLENGE))
		return;
	if (!xtcp_challenge_ack_allowed(sock_net(sk)))
		return;
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

	/*
	 * A retransmission of bytes we have, reaching Last.ACK.sent
	 * (rcv_wup): typically the last segment again, after our ACK of it
	 * was lost. RFC 9293's table calls it unacceptable, but Linux's
	 * tcp_sequence() lets it through, and so do we: its ACK field counts
	 * and its TSval becomes TS.Recent (RFC 7323 4.3 (2): SEG.SEQ <=
	 * Last.ACK.sent), so the ACK that answers it echoes the resend's
	 * time. Echoing the original's instead, as a drop here did, showed
	 * the sender an RTT as long as its RTO wait (seconds under heavy
	 * loss), and its RTO grew without bound.
	 */
	if (cb->seq != cb->end_seq && !xtcp_after(cb->end_seq, xs->rcv_nxt))
		return xtcp_before(cb->end_seq, xs->rcv_wup) ? XTCP_SEQ_BAD :
							       XTCP_SEQ_OK;

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
 * it would hide a duplicate ACK, and its SACK blocks, from loss
 * recovery. Linux lets it through (tcp_disordered_ack()) when it moves
 * nothing, neither SND.UNA nor the window, and is at most about an RTO
 * older; so does XTCP. "Moves the window" is tcp_may_update_window()'s
 * test, not RFC 9293's: from the same SND.WL1, only a larger window
 * would. A dupack that a later one overtook usually offers less
 * than the later one did (the receiver's buffer opened in between):
 * requiring the very same window, as XTCP did, dropped those under PAWS
 * (PAWSEstabRejected on the sender of sack.sh, on a clean path).
 */
static bool xtcp_disordered_ack(const struct xtcp_sock *xs,
				const struct xtcp_skb_cb *cb)
{
	u32 wnd = (u32)cb->window << xs->snd_wscale;
	u32 ms = jiffies_to_msecs(xs->rto);

	return (cb->flags & XTCP_FLAG_ACK) && cb->seq == cb->end_seq &&
	       cb->seq == xs->rcv_nxt && cb->ack_seq == xs->snd_una &&
	       !xtcp_after(cb->seq, xs->snd_wl1) && wnd <= xs->snd_wnd &&
	       (s32)(xs->ts_recent - cb->tsval) <= (s32)ms;
}

/*
 * RFC 7323 5.3 R1, PAWS: a segment whose TSval is older than TS.Recent
 * is a duplicate of an earlier incarnation of its sequence space. Older
 * by more than one tick, as Linux's TCP_PAWS_WINDOW: segments a peer
 * sends from two CPUs may swap places on the way (a veth queues each on
 * its sender's CPU) and a millisecond apart, and are no duplicates. Like
 * tcp_paws_discard(), a RST is judged by its sequence number alone
 * (RFC 7323 5.3 keeps its ACK out of this), and RFC 7323's "R3" update
 * of TS.Recent happens after the segment is found acceptable
 * (xtcp_update_ts_recent()).
 */
static bool xtcp_paws_reject(const struct xtcp_sock *xs,
			     const struct xtcp_skb_cb *cb)
{
	/* a TS.Recent of 0 (a peer whose SYN said TSval 0) proves nothing */
	return xs->tstamp_ok && cb->saw_tstamp && xs->ts_recent &&
	       !(cb->flags & XTCP_FLAG_RST) &&
	       (s32)(xs->ts_recent - cb->tsval) > XTCP_PAWS_WINDOW &&
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
	if ((s32)(cb->tsval - xs->ts_recent) >= 0 || !xs->ts_recent ||
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
 * tcp_data_snd_check(): send what an ACK let go; what was just sent may
 * have brought the unsent bytes under TCP_NOTSENT_LOWAT, even on an ACK
 * that only opened the window
 */
static void xtcp_data_snd_check(struct sock *sk)
{
	xtcp_push(sk, 0);
	xtcp_check_space(sk);
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
				const struct sk_buff *skb,
				struct xtcp_ack_state *as)
{
	memset(as, 0, sizeof(*as));
	as->prior_una = xs->snd_una;
	as->prior_fack = xs->sacked_out ? xs->highest_sack : xs->snd_una;
	as->now_us = XTCP_SKB_CB(skb)->rcv_us;
	as->rtt_us = -1;
	as->sack_rtt_us = -1;
	as->ca_rtt_us = -1;
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
	xtcp_ack_state_init(xs, skb, &as);
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
	/* tcp_ack_update_rtt() on a SACK-only ACK: a sample all the same */
	if (!as.una_advanced && as.sack_rtt_us >= 0)
		xtcp_recovery_rtt(sk, skb, &as);
	xtcp_recovery_on_ack(sk, skb, &as);
	xtcp_info_on_ack(sk, &as);
	if (as.rearm)
		xtcp_timer_on_ack(sk);
	if (as.una_advanced)
		xtcp_check_space(sk);
	return true;
}

/*
 * When the receiver ACKs, as Linux's icsk_ack and __tcp_ack_snd_check():
 * RFC 1122 4.2.3.2 delays an ACK, but sends one for at least every
 * second full-sized segment (more than one rcv_mss unacknowledged), and
 * RFC 5681 4.2 at once for out-of-order data, a duplicate, and a hole
 * that fills. Quick-ACK mode (tcp_incr_quickack()) ACKs the next few
 * segments at once, so that a sender in slow start, at the start of a
 * connection or after a loss, gets its ACK clock; an interactive
 * connection (pingpong) leaves it, and its ACKs wait to ride on the
 * reply.
 */
#define XTCP_MAX_QUICKACKS	16	/* Linux's TCP_MAX_QUICKACKS */

/* tcp_initialize_rcv_mss(): a guess of the peer's segments until data */
u32 xtcp_rcv_mss(const struct xtcp_sock *xs)
{
	u32 hint;

	if (xs->rcv_mss)
		return xs->rcv_mss;
	hint = min_t(u32, xs->advmss, xs->mss);
	hint = min_t(u32, hint, xs->rcv_wnd / 2);
	hint = min_t(u32, hint, XTCP_DEFAULT_MSS);
	return max_t(u32, hint, XTCP_MIN_MSS);
}

/* as many quick ACKs as half the window holds segments, 2 at least */
static void xtcp_incr_quickack(struct xtcp_sock *xs, unsigned int max)
{
	unsigned int n = xs->rcv_wnd / (2 * xtcp_rcv_mss(xs));

	n = min(n ? : 2, max);
	if (n > xs->quickack)
		xs->quickack = n;
}

/* tcp_enter_quickack_mode(): and no longer interactive */
static void xtcp_enter_quickack(struct xtcp_sock *xs, unsigned int max)
{
	xtcp_incr_quickack(xs, max);
	xs->pingpong = 0;
}

static bool xtcp_in_quickack(const struct xtcp_sock *xs)
{
	return xs->quickack && !xs->pingpong;
}

/*
 * In-order data came, as tcp_event_data_recv() sees it. rcv_mss follows
 * the largest segment up to our MSS (tcp_measure_rcv_mss(), without its
 * guess from small PSH segments). The first data starts quick-ACK mode.
 * Data we sent since the previous in-order data was a reply: the
 * connection is interactive. Linux calls a reply what leaves within the
 * ACK timeout of the last data received (tcp_event_data_sent()); XTCP,
 * whose output path keeps no such time, takes any data sent in between,
 * and, as Linux, leaves pingpong when the delayed-ACK timer finds that no
 * reply took the ACK (timer.c, xtcp_timer_delack_fire()).
 */
static void xtcp_event_data_recv(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 len = skb_shinfo(skb)->gso_size ? : skb->len;
	bool first = !xs->rcv_mss;

	if (len >= xtcp_rcv_mss(xs))
		xs->rcv_mss = min_t(u32, len, xs->advmss);
	else if (first)
		xs->rcv_mss = xtcp_rcv_mss(xs);
	if (first)
		xtcp_incr_quickack(xs, XTCP_MAX_QUICKACKS);
	else if (xs->snd_nxt != xs->rcv_snd_mark)
		xs->pingpong = 1;
	xs->rcv_snd_mark = xs->snd_nxt;
	xtcp_info_data_recv(sk, skb);
}

/* [seq, end) joins @sp if the two overlap or touch (tcp_sack_extend()) */
static bool xtcp_sack_extend(struct xtcp_sack_block *sp, u32 seq, u32 end)
{
	if (xtcp_after(sp->start, end) || xtcp_after(seq, sp->end))
		return false;
	if (xtcp_before(seq, sp->start))
		sp->start = seq;
	if (xtcp_after(end, sp->end))
		sp->end = end;
	return true;
}

/*
 * RFC 2883 4: the next ACK reports [seq, end) as received twice, in a
 * D-SACK block before the SACK blocks, once (output.c clears dsack when
 * it sent it). As tcp_dsack_set(): only if both sides agreed on SACK;
 * counted by whether the duplicate lies below RCV.NXT or out of order.
 */
static void xtcp_dsack_set(struct sock *sk, u32 seq, u32 end)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->sack_ok)
		return;
	if (xtcp_before(seq, xs->rcv_nxt))
		XTCP_INC_STATS(sock_net(sk), DSACKOLDSENT);
	else
		XTCP_INC_STATS(sock_net(sk), DSACKOFOSENT);
	xs->dsack = 1;
	xs->dsack_block.start = seq;
	xs->dsack_block.end = end;
}

/* more duplicate bytes of the same segment: one block (tcp_dsack_extend()) */
static void xtcp_dsack_extend(struct sock *sk, u32 seq, u32 end)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->dsack)
		xtcp_dsack_set(sk, seq, end);
	else
		xtcp_sack_extend(&xs->dsack_block, seq, end);
}

/* blocks that now touch the first one join it (tcp_sack_maybe_coalesce()) */
static void xtcp_sack_coalesce(struct xtcp_sock *xs)
{
	struct xtcp_sack_block *sp = xs->selective_acks;
	unsigned int i, n;
	bool again;

	do {
		again = false;
		for (i = n = 1; i < xs->num_sacks; i++) {
			if (xtcp_sack_extend(&sp[0], sp[i].start, sp[i].end))
				again = true;
			else
				sp[n++] = sp[i];
		}
		xs->num_sacks = n;
	} while (again);
}

/*
 * RFC 2018 4: the first SACK block holds the segment that just came out
 * of order, with whatever it joined; the others are the most recently
 * reported before it, as tcp_sack_new_ofo_skb() keeps them. With
 * XTCP_MAX_SACKS blocks, the oldest is forgotten; the data is still
 * queued, and once it is the only block left out the next ACKs of that
 * range report it again.
 */
static void xtcp_sack_new_ofo(struct xtcp_sock *xs, u32 seq, u32 end)
{
	struct xtcp_sack_block *sp = xs->selective_acks;
	struct xtcp_sack_block blk = { .start = seq, .end = end };
	unsigned int i, n = xs->num_sacks;

	for (i = 0; i < n; i++) {
		if (xtcp_sack_extend(&sp[i], seq, end)) {
			blk = sp[i];
			break;
		}
	}
	if (i == n) {
		if (n < XTCP_MAX_SACKS)
			xs->num_sacks++;
		else
			i--;
	}
	memmove(sp + 1, sp, i * sizeof(*sp));
	sp[0] = blk;
	xtcp_sack_coalesce(xs);
}

/* RCV.NXT moved: the blocks it reached go (tcp_sack_remove()) */
static void xtcp_sack_remove(struct xtcp_sock *xs)
{
	unsigned int i, n = 0;

	if (RB_EMPTY_ROOT(&xs->ofo_root)) {
		xs->num_sacks = 0;
		return;
	}
	for (i = 0; i < xs->num_sacks; i++)
		if (xtcp_after(xs->selective_acks[i].start, xs->rcv_nxt))
			xs->selective_acks[n++] = xs->selective_acks[i];
	xs->num_sacks = n;
}

/*
 * A duplicate ACK for a segment we cannot take (old, out of window, or
 * PAWS), as tcp_send_dupack(): if it brought data below RCV.NXT, the
 * sender resent what we hold (our ACK was lost, or its retransmission
 * was spurious). That data is counted and reported in a D-SACK block
 * (RFC 2883 4.1.1), and quick-ACK mode keeps the ACKs coming.
 */
/* data we already have: report it in a D-SACK, ACK at once (RFC 2883) */
static void xtcp_rcv_duplicate(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (cb->end_seq != cb->seq && xtcp_before(cb->seq, xs->rcv_nxt)) {
		u32 end = xtcp_after(cb->end_seq, xs->rcv_nxt) ?
			  xs->rcv_nxt : cb->end_seq;

		XTCP_INC_STATS(sock_net(sk), RCVDUPLICATE);
		xtcp_enter_quickack(xs, XTCP_MAX_QUICKACKS);
		xtcp_dsack_set(sk, cb->seq, end);
	}
}

static void xtcp_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	xtcp_rcv_duplicate(sk, skb);
	xtcp_send_ack(sk);
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
	xs->info.bytes_received += skb->len;
	if (tail && skb_try_coalesce(tail, skb, &fragstolen, &delta)) {
		/* the newest arrival's time, for SO_TIMESTAMP (sock.c) */
		if (skb->tstamp)
			tail->tstamp = skb->tstamp;
		atomic_add(delta, &sk->sk_rmem_alloc);
		sk_mem_charge(sk, delta);
		kfree_skb_partial(skb, fragstolen);
		XTCP_INC_STATS(sock_net(sk), RCVCOALESCE);
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
	xs->info.bytes_received++;
	sk->sk_shutdown |= RCV_SHUTDOWN;
	sock_set_flag(sk, SOCK_DONE);
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		xtcp_set_state(sk, TCP_CLOSE_WAIT);
		/* our FIN should carry the ACK: see xtcp_data_queue() */
		xs->pingpong = 1;
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
	xs->ofo_last = NULL;
	xs->num_sacks = 0;
}

/*
 * Link skb into the tree right after @prev, or first when @prev is NULL:
 * xtcp_ofo_find() has found its place already, so no second walk by
 * sequence, as tcp_data_queue_ofo() links at the parent its search ends
 * on.
 */
static void xtcp_ofo_link_after(struct xtcp_sock *xs, struct sk_buff *prev,
				struct sk_buff *skb)
{
	struct rb_node *parent, **p;

	if (!prev) {
		parent = rb_first(&xs->ofo_root);
		p = parent ? &parent->rb_left : &xs->ofo_root.rb_node;
	} else if (!prev->rbnode.rb_right) {
		parent = &prev->rbnode;
		p = &parent->rb_right;
	} else {
		parent = prev->rbnode.rb_right;
		while (parent->rb_left)
			parent = parent->rb_left;
		p = &parent->rb_left;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &xs->ofo_root);
}

/* the queued skb that starts last at or before seq, or NULL */
static struct sk_buff *xtcp_ofo_find(const struct xtcp_sock *xs, u32 seq)
{
	struct rb_node *node = xs->ofo_root.rb_node;
	struct sk_buff *prev = NULL;

	while (node) {
		struct sk_buff *s = rb_to_skb(node);

		if (xtcp_before(seq, XTCP_SKB_CB(s)->seq)) {
			node = node->rb_left;
		} else {
			prev = s;
			node = node->rb_right;
		}
	}
	return prev;
}

/*
 * @from, queued right after @to (or about to be: !@linked), joins it
 * when its sequence space follows on and skb_try_coalesce() can
 * (tcp_try_coalesce()), so that a run of small segments costs one skb
 * rather than one each. Both are
 * charged to sk: @to grows by the truesize skb_try_coalesce() gives it,
 * and @from's charge goes as it is freed.
 */
static bool xtcp_ofo_coalesce(struct sock *sk, struct sk_buff *to,
			      struct sk_buff *from, bool linked)
{
	struct xtcp_skb_cb *tcb = XTCP_SKB_CB(to), *fcb = XTCP_SKB_CB(from);
	bool fragstolen;
	int delta;

	if (tcb->end_seq != fcb->seq || (tcb->flags & XTCP_FLAG_FIN) ||
	    !skb_try_coalesce(to, from, &fragstolen, &delta))
		return false;
	if (linked)
		rb_erase(&from->rbnode, &xtcp_sk(sk)->ofo_root);
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	tcb->end_seq = fcb->end_seq;
	tcb->flags |= fcb->flags;
	kfree_skb_partial(from, fragstolen);
	XTCP_INC_STATS(sock_net(sk), RCVCOALESCE);
	return true;
}

/*
 * Keep a segment that arrived ahead of RCV.NXT, as tcp_data_queue_ofo()
 * does: each byte is queued once. A segment that a queued skb holds
 * already is dropped (OfoMerge); one whose head a queued skb holds loses
 * that head; queued skbs it covers go (OfoMerge), and one that overlaps
 * its tail trims that tail. Then it coalesces with the neighbours it
 * touches. Linux leaves partial overlaps in its queue and trims them on
 * the way to the receive queue; XTCP trims at once, so that the queue
 * stays disjoint and adjacent skbs meet (xtcp_ofo_drain() still copes
 * with an overlap, left when a trim finds no memory, or before a FIN,
 * whose data is never cut). The bytes found twice are reported in a
 * D-SACK block (RFC 2883 4.1.2) and the segment in the SACK blocks (RFC
 * 2018 4), even when nothing of it was new, as Linux does.
 */
static void xtcp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 seq = cb->seq, end = cb->end_seq;
	struct sk_buff *prev, *next;

	XTCP_INC_STATS(sock_net(sk), OFOQUEUE);
	xs->info.rcv_ooopack += max_t(u16, skb_shinfo(skb)->gso_segs, 1);
	/*
	 * Under loss most segments land after the highest queued one: that
	 * one needs no search (tcp_data_queue_ofo()'s ooo_last_skb).
	 */
	prev = xs->ofo_last;
	if (!prev || xtcp_before(seq, XTCP_SKB_CB(prev)->end_seq))
		prev = xtcp_ofo_find(xs, seq);
	if (prev) {
		u32 pend = XTCP_SKB_CB(prev)->end_seq;

		if (!xtcp_after(end, pend)) {
			xtcp_dsack_set(sk, seq, end);
			XTCP_INC_STATS(sock_net(sk), OFOMERGE);
			kfree_skb(skb);
			goto add_sack;
		}
		if (xtcp_after(pend, seq)) {
			xtcp_dsack_set(sk, seq, pend);
			if (pskb_pull(skb, pend - seq))
				cb->seq = pend;
		}
	}

	next = prev ? skb_rb_next(prev) : skb_rb_first(&xs->ofo_root);
	while (next && !xtcp_before(cb->end_seq, XTCP_SKB_CB(next)->end_seq)) {
		struct sk_buff *n = skb_rb_next(next);

		xtcp_dsack_extend(sk, XTCP_SKB_CB(next)->seq,
				  XTCP_SKB_CB(next)->end_seq);
		rb_erase(&next->rbnode, &xs->ofo_root);
		kfree_skb(next);
		XTCP_INC_STATS(sock_net(sk), OFOMERGE);
		next = n;
	}
	if (next && xtcp_after(cb->end_seq, XTCP_SKB_CB(next)->seq) &&
	    !(cb->flags & XTCP_FLAG_FIN)) {
		u32 nseq = XTCP_SKB_CB(next)->seq;

		xtcp_dsack_extend(sk, nseq, cb->end_seq);
		if (!pskb_trim(skb, nseq - cb->seq))
			cb->end_seq = nseq;
	}

	/* joined to prev before it is linked, so never linked and erased */
	skb_set_owner_r(skb, sk);
	if (prev && xtcp_ofo_coalesce(sk, prev, skb, false))
		skb = prev;
	else
		xtcp_ofo_link_after(xs, prev, skb);
	next = skb_rb_next(skb);
	if (next && xtcp_ofo_coalesce(sk, skb, next, true))
		next = skb_rb_next(skb);
	if (!next)
		xs->ofo_last = skb;
add_sack:
	if (xs->sack_ok)
		xtcp_sack_new_ofo(xs, seq, end);
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
	/* only an emptied tree lost its highest skb from the front */
	if (RB_EMPTY_ROOT(&xs->ofo_root))
		xs->ofo_last = NULL;
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
 * May skb be charged to sk? Within the socket's bound, and if the memory
 * account (tcp_mem, buf.c) gives sk_forward_alloc the room:
 * sk_rmem_schedule() may enter memory pressure, and refuses above the
 * high mark, or under pressure past tcp_rmem[0] and the fair share.
 */
static bool xtcp_rmem_fits(struct sock *sk, struct sk_buff *skb)
{
	return !xtcp_rmem_over(sk) && sk_rmem_schedule(sk, skb, skb->truesize);
}

/*
 * Make room for skb by dropping out-of-order data from its far end, the
 * bytes the sender will come to last, like tcp_prune_ofo_queue(). Nothing
 * at or below skb's own sequence number goes: when skb would itself be
 * the farthest data queued, it is skb that is dropped. The pruned bytes
 * were never acknowledged, but may have been SACKed: RFC 2018 8 lets a
 * receiver renege so, and the sender must keep them until they are
 * cumulatively ACKed. Our SACK blocks then forget everything, as
 * tcp_prune_ofo_queue() resets them, so that no ACK reports data we no
 * longer hold; the next out-of-order segments build them again. Each
 * pruned skb counts in OfoPrune. Returns true when skb fits now.
 */
static bool xtcp_prune_ofo(struct sock *sk, struct sk_buff *in)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 seq = XTCP_SKB_CB(in)->seq;
	struct rb_node *node;

	while (!xtcp_rmem_fits(sk, in) && (node = rb_last(&xs->ofo_root))) {
		struct sk_buff *skb = rb_to_skb(node);

		if (xtcp_before(XTCP_SKB_CB(skb)->seq, seq))
			break;
		rb_erase(node, &xs->ofo_root);
		kfree_skb(skb);
		XTCP_INC_STATS(sock_net(sk), OFOPRUNE);
		xs->num_sacks = 0;
	}
	node = rb_last(&xs->ofo_root);
	xs->ofo_last = node ? rb_to_skb(node) : NULL;
	return xtcp_rmem_fits(sk, in);
}

/*
 * May skb be queued, in order or out of order? Like tcp_data_queue() with
 * tcp_try_rmem_schedule() and tcp_prune_queue():
 * - in-order data is taken while the receive queue is empty, charged
 *   whatever the socket's bound and the memory account say
 *   (xtcp_buf_forced_schedule()): it is what a reader may be waiting for,
 *   and otherwise an out-of-order queue that fills the budget would keep
 *   out the very segment that fills the hole in front of it, and with
 *   nothing for the application to read, nothing would ever free room;
 * - else skb is taken when it fits (xtcp_rmem_fits());
 * - else out-of-order data beyond skb is pruned to make room (PruneCalled;
 *   RcvPruned when that is not enough, and TCPRcvQDrop for in-order
 *   data, which then waits for the reader to make room and the sender to
 *   resend). Linux first collapses its queues; XTCP coalesces on arrival
 *   instead and has nothing left to collapse.
 * Under memory pressure the window we offer shrinks too
 * (xtcp_buf_window_limit()), so that a peer respecting it rarely sends
 * what gets here.
 */
static bool xtcp_rmem_schedule(struct sock *sk, struct sk_buff *skb)
{
	bool in_order = !xtcp_after(XTCP_SKB_CB(skb)->seq,
				    xtcp_sk(sk)->rcv_nxt);

	if (in_order && skb_queue_empty(&sk->sk_receive_queue)) {
		xtcp_buf_forced_schedule(sk, skb->truesize);
		return true;
	}
	if (xtcp_rmem_fits(sk, skb))
		return true;
	XTCP_INC_STATS(sock_net(sk), PRUNECALLED);
	sk_mem_reclaim(sk);
	if (xtcp_prune_ofo(sk, skb))
		return true;
	XTCP_INC_STATS(sock_net(sk), RCVPRUNED);
	if (in_order)
		XTCP_INC_STATS(sock_net(sk), RCVQDROP);
	return false;
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

	/* a D-SACK block reports this segment's duplicate only, as Linux */
	xs->dsack = 0;
	/* a bare FIN out of order is queued, and charged, too */
	if ((skb->len || xtcp_after(cb->seq, xs->rcv_nxt)) &&
	    !xtcp_rmem_schedule(sk, skb)) {
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
		/*
		 * It straddles RCV.NXT: the new bytes are kept, the old
		 * ones reported in a D-SACK block (RFC 2883 4.1.1), as
		 * tcp_data_queue() does with a "partial packet".
		 */
		XTCP_INC_STATS(sock_net(sk), RCVPARTIALDUP);
		xtcp_dsack_set(sk, cb->seq, xs->rcv_nxt);
		if (!pskb_pull(skb, xs->rcv_nxt - cb->seq)) {
			XTCP_INC_STATS(sock_net(sk), DROP_NOMEM);
			return false;
		}
		cb->seq = xs->rcv_nxt;
	}

	if (skb->len)
		xtcp_event_data_recv(sk, skb);
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
		 * xtcp_fin() set pingpong, so that quick-ACK mode does not
		 * send it either.
		 */
		*ack_now = sk->sk_state != TCP_CLOSE_WAIT;
	} else if (!RB_EMPTY_ROOT(&xs->ofo_root)) {
		xtcp_ofo_drain(sk);
		/*
		 * RFC 5681 4.2: ACK at once when a hole is filled, or
		 * partly, so that the sender learns it. Once the queue is
		 * empty the sender leaves recovery; quick-ACK mode then ACKs
		 * its next segments at once too, as Linux once did for
		 * out-of-order data (Linux 6.1 sends the one ACK,
		 * ICSK_ACK_NOW).
		 */
		*ack_now = true;
		if (RB_EMPTY_ROOT(&xs->ofo_root))
			xtcp_incr_quickack(xs, XTCP_MAX_QUICKACKS);
	}
	if (xs->num_sacks)
		xtcp_sack_remove(xs);
	/* the D-SACK block goes at once, before another segment resets it */
	if (xs->dsack)
		*ack_now = true;
	if (queued && !sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
	return queued;
}

/*
 * Answer now or later (see XTCP_MAX_QUICKACKS above): at once when asked
 * (ack_now, unless what we sent since carried the ACK),
 * when more than one full segment (rcv_mss) is unacknowledged, so for at
 * least every second one, or in quick-ACK mode; else with the delayed-ACK
 * timer. Something is owed when data or a FIN came since our last ACK,
 * which every segment we send carries (it moves rcv_wup to RCV.NXT,
 * xtcp_select_window()): a pure ACK owes nothing. As
 * __tcp_ack_snd_check(), without its test that the right edge of the
 * window moves (XTCP's window offer is output.c's).
 */
static void xtcp_ack_snd_check(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 owed = xs->rcv_nxt - xs->rcv_wup;

	if (xs->ack_now ||
	    (owed && (owed > xtcp_rcv_mss(xs) || xtcp_in_quickack(xs))))
		xtcp_send_ack(sk);
	else if (owed)
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
		u32 syn_timeouts = xs->retries;
		struct xtcp_ack_state as;

		xtcp_ack_state_init(xs, skb, &as);
		xtcp_ack_new_data(sk, skb, &as);
		xtcp_cong_established(sk, syn_timeouts);
		xtcp_info_on_ack(sk, &as);
		xtcp_timer_on_ack(sk);
		/* a Fast Open SYN: its cookie, and data to resend (fastopen.c) */
		xtcp_fastopen_synack(sk, &opts, cb->ack_seq);
		xtcp_set_state(sk, TCP_ESTABLISHED);
		xtcp_timer_established(sk);
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

	cb->rcv_us = xtcp_clock_us();
	xtcp_info_rcv(sk, skb);
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
		if (!xtcp_oow_rate_limited(sk, skb, XTCP_MIB_ACKSKIPPEDPAWS))
			xtcp_send_dupack(sk, skb);
		goto discard;
	}

	/* first: the sequence number */
	verdict = xtcp_sequence_check(xs, cb);
	if (verdict == XTCP_SEQ_BAD) {
		XTCP_INC_STATS(sock_net(sk), DROP_SEQ);
		/*
		 * RFC 5961 4.2: a SYN is answered with a challenge ACK
		 * "irrespective of the sequence number", and so falls under
		 * its limit (tcp_validate_incoming()'s syn_challenge). A
		 * duplicate ACK here gave a blind attacker one ACK per SYN.
		 */
		if ((cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_RST)) ==
		    XTCP_FLAG_SYN) {
			xtcp_challenge_ack(sk);
			goto discard;
		}
		if (!(cb->flags & XTCP_FLAG_RST) &&
		    !xtcp_oow_rate_limited(sk, skb, XTCP_MIB_ACKSKIPPEDSEQ))
			xtcp_send_dupack(sk, skb);
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
		xtcp_timer_established(sk);
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
	if (cb->seq != cb->end_seq && !xtcp_after(cb->end_seq, xs->rcv_nxt)) {
		/* all of it old, in any state: tcp_data_queue()'s resend case */
		xtcp_rcv_duplicate(sk, skb);
		ack_now = true;
	} else if (cb->seq != cb->end_seq) {
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

	/*
	 * Closed, maybe into TIME_WAIT: xtcp_fin() sent the ACK owed. Else
	 * the caller answers, with xtcp_rcv_snd_check().
	 */
	if (ack_now && sk->sk_state != TCP_CLOSE)
		xs->ack_now = 1;
discard:
	kfree_skb(skb);
}

/*
 * After a segment: send what its ACK let go, then the ACK it is owed if
 * that data did not carry it, in tcp_rcv_established()'s order. A pure
 * ACK sent first would be one more segment on the wire, and to a peer
 * without SACK a false duplicate ACK.
 */
void xtcp_rcv_snd_check(struct sock *sk)
{
	if (sk->sk_state == TCP_CLOSE)
		return;
	xtcp_data_snd_check(sk);
	xtcp_ack_snd_check(sk);
}

int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb)
{
	bool listen = sk->sk_state == TCP_LISTEN;

	/*
	 * From release_sock() this runs with BH enabled, but the listener
	 * path locks children with bh_lock_sock_nested(), which softirq
	 * takes too.
	 */
	local_bh_disable();
	if (listen)
		xtcp_listen_rcv(sk, skb);
	else
		xtcp_rcv_state_process(sk, skb);
	local_bh_enable();
	/*
	 * What the ACK let go is sent with BH on, as Linux's
	 * tcp_v4_do_rcv() runs from __release_sock(): each segment's
	 * dev_queue_xmit() then runs the softirq that delivers it, so a
	 * veth peer takes (and ACKs) the segments one by one as they go.
	 * Sent with BH off, a whole cwnd reached a Linux receiver in one
	 * softirq pass and drew one ACK (issue 17). The socket is still
	 * ours: release_sock() has not let go of it. From softirq
	 * (xtcp_rcv_deliver()) BH stays off, as it must.
	 */
	if (!listen)
		xtcp_rcv_snd_check(sk);
	return 0;
}

/*
 * How much the backlog of sk may hold, counted with what its receive
 * queue holds (sk_add_backlog() adds sk_rmem_alloc): Linux 6.1's
 * tcp_add_backlog(), twice the receive buffer plus half the send buffer
 * plus 64 KB. The receive queue alone may fill sk_rcvbuf while the owner
 * copies out, and the segments of the next window arrive meanwhile: a
 * smaller limit drops them, a loss on a clean path that the sender then
 * repairs (the extra resends sack.sh saw). Linux also trims each
 * segment (skb_condense(), not exported to modules) and coalesces it
 * into the backlog's tail; XTCP queues them as they come.
 */
static u32 xtcp_backlog_limit(const struct sock *sk)
{
	u64 limit = (u64)READ_ONCE(sk->sk_rcvbuf) * 2 +
		    READ_ONCE(sk->sk_sndbuf) / 2 + SZ_64K;

	return min_t(u64, limit, U32_MAX);
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
		goto out;
	}
	if (sk_add_backlog(sk, skb, xtcp_backlog_limit(sk))) {
		XTCP_INC_STATS(net, DROP_BACKLOG);
		kfree_skb(skb);
		ret = NET_RX_DROP;
	}
out:
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
	sk = xtcp_demux_lookup(net, skb, cb->saddr, th->source, cb->daddr,
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
