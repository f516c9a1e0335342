// SPDX-License-Identifier: GPL-2.0
/*
 * Loss recovery of the sender: the SACK scoreboard, RACK-TLP, PRR and
 * undo. Linux's tcp_input.c, tcp_recovery.c and tcp_output.c do the same
 * work; XTCP takes their behaviour, not their structure:
 *
 * - The scoreboard (RFC 2018, RFC 6675) is a per-skb mark in the
 *   retransmit queue, XTCP_SACKED_ACKED, _LOST and _RETRANS, and three
 *   byte counts of what the marks cover above SND.UNA (sacked_out,
 *   lost_out, retrans_out). A SACK block that covers part of an skb cuts
 *   it at the last whole segment inside the block (xtcp_fragment()), so
 *   that every mark is exact; Linux shifts and collapses SACKed skbs
 *   instead, XTCP never merges.
 *   The queue is walked from its head for each block: O(skbs in
 *   flight) per block, where Linux keeps hints (a SACK cache, a
 *   retransmit hint); not done yet.
 * - RACK (RFC 8985 6) judges a segment lost once a segment sent after it
 *   was delivered, and it is older than that by more than the reordering
 *   window; a reorder timer covers those not old enough yet. XTCP walks
 *   the queue in sequence order rather than keeping Linux's
 *   time-sorted list, and stops at the first never-resent skb sent
 *   after RACK's, past which none can be lost yet.
 * - TLP (RFC 8985 7): a probe when the tail of a flight goes unanswered.
 * - PRR (RFC 6937) sizes cwnd during fast recovery, as tcp_cwnd_reduction().
 * - Undo (RFC 2883 D-SACK, RFC 3522 Eifel with timestamps) restores cwnd
 *   when every retransmission of an episode proves needless.
 *
 * Peers without SACK keep RFC 5681 / RFC 6582 NewReno (input.c's dupack
 * counting and the partial ACKs here). After an RTO everything not SACKed
 * is lost and resent in order under slow start, as tcp_enter_loss().
 *
 * Everything runs under the socket lock, from the ACK path or the
 * retransmission timer (timer.c), never on a TCB a process owns.
 */
#include <linux/tcp.h>
#include "xtcp.h"

/* RFC 8985 6.2 step 4: D-SACK widened windows last this many recoveries */
#define XTCP_RACK_RECOVERY_THRESH	16

static struct sk_buff *xtcp_rtx_next(struct sock *sk, struct sk_buff *skb)
{
	return skb_queue_is_last(&sk->sk_write_queue, skb) ? NULL : skb->next;
}

/* bytes of skb above SND.UNA: what its marks count */
static u32 xtcp_skb_live(const struct xtcp_sock *xs, const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 start = xtcp_after(xs->snd_una, cb->seq) ? xs->snd_una : cb->seq;

	return xtcp_after(cb->end_seq, start) ? cb->end_seq - start : 0;
}

static u32 xtcp_segs(const struct xtcp_sock *xs, u32 bytes)
{
	return DIV_ROUND_UP(bytes, xs->mss);
}

/* counters never wrap below zero, whatever an accounting slip did */
static void xtcp_sub(u32 *v, u32 d)
{
	*v = *v > d ? *v - d : 0;
}

void xtcp_recovery_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* the scoreboard and the send time share skb->cb with the input */
	BUILD_BUG_ON(sizeof(struct xtcp_skb_cb) >
		     sizeof_field(struct sk_buff, cb));
	xs->sacked_out = 0;
	xs->lost_out = 0;
	xs->retrans_out = 0;
	xs->highest_sack = 0;
	xs->prr_delivered = 0;
	xs->prr_out = 0;
	xs->prior_cwnd = 0;
	xs->prior_ssthresh = 0;
	xs->undo_marker = 0;
	xs->undo_retrans = -1;
	xs->undo_tsval = 0;
	xs->dsack_segs = 0;
	xs->rack_xmit_us = 0;
	xs->rack_end_seq = 0;
	xs->rack_rtt_us = 0;
	xs->rack_dsack_seq = 0;
	xs->rack_reo_steps = 1;
	xs->rack_reo_persist = 0;
	xs->rack_reord = 0;
	xs->rack_advanced = 0;
	xs->tlp_retrans = 0;
	xs->tlp_high_seq = 0;
	xs->min_rtt_us = 0;
	xs->min_rtt_stamp = 0;
	xs->rtx_event = XTCP_EV_RTO;
}

/*
 * RFC 8985 6.2 step 5 marks, RFC 6582 the head, an RTO everything: a lost
 * skb is resent by xtcp_xmit_retransmit_queue(). A resent skb found lost
 * again (its retransmission was lost) is resent again, as
 * tcp_mark_skb_lost() does.
 */
void xtcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 live = xtcp_skb_live(xs, skb);

	if (cb->sacked & XTCP_SACKED_ACKED)
		return;
	if (!(cb->sacked & XTCP_SACKED_LOST)) {
		cb->sacked |= XTCP_SACKED_LOST;
		xs->lost_out += live;
	} else if (cb->sacked & XTCP_SACKED_RETRANS) {
		cb->sacked &= ~XTCP_SACKED_RETRANS;
		xtcp_sub(&xs->retrans_out, live);
	}
}

/*
 * An skb was resent (output.c): it is in flight again until acked,
 * SACKed or found lost once more. The first retransmission of an episode
 * is where undo starts counting (Linux's retrans_stamp and undo_retrans).
 * @tsval is our TS clock read before the skb went, so at or below the
 * TSval it carries: Eifel (xtcp_eifel()) must not take the echo of the
 * resend itself for an older one. Read after the send, as XTCP did, the
 * clock may have ticked on, and a recovery that repaired a real loss was
 * undone (sack.sh's sack_xtcp_xtcp: TCPFullUndo 1). Linux takes the
 * skb's own timestamp (tcp_retransmit_skb(), retrans_stamp).
 */
void xtcp_recovery_retransmitted(struct sock *sk, struct sk_buff *skb,
				 u32 segs, u32 tsval)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (!(cb->sacked & XTCP_SACKED_RETRANS)) {
		cb->sacked |= XTCP_SACKED_RETRANS;
		xs->retrans_out += xtcp_skb_live(xs, skb);
	}
	if (xs->in_recovery == XTCP_CA_OPEN || !xs->undo_marker)
		return;
	if (xs->tstamp_ok && !xs->undo_tsval)
		xs->undo_tsval = tsval ? : 1;
	if (xs->undo_retrans < 0)
		xs->undo_retrans = 0;
	xs->undo_retrans += segs;
}

/* lowest RTT seen, for RACK's reordering window; forgotten after 5 min */
static void xtcp_update_min_rtt(struct xtcp_sock *xs, u32 rtt_us)
{
	if (!xs->min_rtt_us || rtt_us <= xs->min_rtt_us ||
	    (u32)jiffies - xs->min_rtt_stamp > 300 * HZ) {
		xs->min_rtt_us = rtt_us;
		xs->min_rtt_stamp = (u32)jiffies;
	}
}

/* was (t1, seq1) sent after (t2, seq2)? tcp_rack_sent_after() */
static bool xtcp_rack_sent_after(u64 t1, u64 t2, u32 seq1, u32 seq2)
{
	return t1 > t2 || (t1 == t2 && xtcp_after(seq1, seq2));
}

/*
 * RFC 8985 6.2 steps 1 and 2, tcp_rack_advance(): skb was delivered
 * (acked or SACKed). A resent skb delivered sooner than min_rtt after its
 * retransmission was surely delivered by its original: ambiguous, no news.
 */
static void xtcp_rack_advance(struct xtcp_sock *xs, const struct sk_buff *skb,
			      u64 now)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 rtt = now > cb->xmit_us ? now - cb->xmit_us : 1;

	if (cb->retrans && (!xs->min_rtt_us || rtt < xs->min_rtt_us))
		return;
	xs->rack_rtt_us = rtt;
	if (xtcp_rack_sent_after(cb->xmit_us, xs->rack_xmit_us, cb->end_seq,
				 xs->rack_end_seq)) {
		xs->rack_xmit_us = cb->xmit_us;
		xs->rack_end_seq = cb->end_seq;
		xs->rack_advanced = 1;
	}
}

/*
 * skb newly covered by a SACK block (tcp_sacktag_one()): its lost and
 * retransmitted marks give way to the SACKed one.
 */
static void xtcp_sack_one(struct sock *sk, struct sk_buff *skb, bool dsack,
			  struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 live = xtcp_skb_live(xs, skb);

	/*
	 * RFC 2883: a D-SACK above SND.UNA says the receiver got this skb
	 * twice; if we resent it in this episode, that resend was needless.
	 */
	if (dsack && cb->retrans && xs->undo_marker && xs->undo_retrans > 0 &&
	    xtcp_after(cb->end_seq, xs->undo_marker))
		xs->undo_retrans = max_t(s32, 0, xs->undo_retrans -
					 xtcp_segs(xs, cb->end_seq - cb->seq));
	if ((cb->sacked & XTCP_SACKED_ACKED) || !live)
		return;
	if (cb->sacked & XTCP_SACKED_LOST)
		xtcp_sub(&xs->lost_out, live);
	if (cb->sacked & XTCP_SACKED_RETRANS)
		xtcp_sub(&xs->retrans_out, live);
	cb->sacked = (cb->sacked & ~(XTCP_SACKED_LOST | XTCP_SACKED_RETRANS)) |
		     XTCP_SACKED_ACKED;
	xs->sacked_out += live;
	as->sacked += live;
	xtcp_info_delivered(sk, skb, true);
	if (!cb->retrans) {
		u64 now = as->now_us;
		s64 rtt = now > cb->xmit_us ? now - cb->xmit_us : 1;

		/* never-resent skbs only (Karn): the oldest, the newest */
		as->sack_rtt_us = max(as->sack_rtt_us, rtt);
		if (as->ca_rtt_us < 0 || rtt < as->ca_rtt_us)
			as->ca_rtt_us = rtt;
		/*
		 * Delivered below what was SACKed before, never resent: the
		 * network reordered (tcp_check_sack_reordering()).
		 */
		if (xtcp_before(cb->end_seq, as->prior_fack)) {
			xs->rack_reord = 1;
			as->reord = 1;
		}
	}
	if (xs->sacked_out == live || xtcp_after(cb->end_seq, xs->highest_sack))
		xs->highest_sack = cb->end_seq;
	xtcp_rack_advance(xs, skb, as->now_us);
}

/*
 * Tag the skbs of [start, end). An skb the block covers only in part is
 * cut, but only at a multiple of the MSS from its start, as
 * tcp_match_skb_to_sack() does: an honest receiver's blocks end where
 * our segments end, so this cuts a GSO skb between its segments; a
 * block edge inside a segment (a receiver that SACKs odd bytes) leaves
 * that segment unSACKed instead of shredding the queue into tiny skbs
 * (CVE-2019-11477's lesson). A FIN alone past the block is left
 * unSACKed rather than cut off as a zero-length skb.
 */
static void xtcp_sacktag_block(struct sock *sk, u32 start, u32 end,
			       bool dsack, struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb, *next;

	for (skb = skb_peek(&sk->sk_write_queue);
	     skb && skb != xs->send_head; skb = next) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 cut;

		next = xtcp_rtx_next(sk, skb);
		if (!xtcp_after(cb->end_seq, start))
			continue;
		if (!xtcp_before(cb->seq, end))
			break;
		if (cb->sacked & XTCP_SACKED_ACKED && !dsack)
			continue;
		if (xtcp_before(cb->seq, start) &&
		    xtcp_after(start, xs->snd_una)) {
			/* the first whole segment inside the block */
			cut = roundup(start - cb->seq, xs->mss);
			if (cut >= skb->len)
				continue;
			if (xtcp_fragment(sk, skb, cut))
				break;
			/* the piece from the cut on comes next */
			next = xtcp_rtx_next(sk, skb);
			continue;
		}
		if (xtcp_after(cb->end_seq, end)) {
			/* the last whole segment inside the block */
			cut = rounddown(end - cb->seq, xs->mss);
			if (!cut || cut >= skb->len ||
			    !xtcp_after(cb->seq + cut, xs->snd_una))
				break;
			if (xtcp_fragment(sk, skb, cut))
				break;
			next = xtcp_rtx_next(sk, skb);
		}
		xtcp_sack_one(sk, skb, dsack, as);
	}
}

/*
 * tcp_is_sackblock_valid(), as RFC 2018 and RFC 2883 allow: a block is
 * not wrapped, claims nothing we did not send, and nothing older than a
 * window below SND.UNA (a D-SACK may lie below SND.UNA).
 */
static bool xtcp_sack_block_valid(const struct xtcp_sock *xs, u32 start,
				  u32 end)
{
	if (!xtcp_before(start, end) || xtcp_after(end, xs->snd_nxt))
		return false;
	return !xtcp_before(start, xs->snd_una - xs->max_window);
}

/*
 * RFC 2883 4 (tcp_check_dsack()): the first block is a D-SACK when it
 * lies below the cumulative ACK or inside the second block. One below
 * SND.UNA for data resent in this episode proves that resend needless.
 */
static bool xtcp_check_dsack(struct sock *sk, const struct xtcp_opts *o,
			     u32 ack, struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 start = o->sacks[0].start, end = o->sacks[0].end;
	bool dsack = false;
	u32 dup_segs;

	if (xtcp_before(start, ack))
		dsack = true;
	else if (o->num_sacks > 1 &&
		 !xtcp_after(end, o->sacks[1].end) &&
		 !xtcp_before(start, o->sacks[1].start))
		dsack = true;
	if (!dsack)
		return false;
	XTCP_INC_STATS(sock_net(sk), DSACKRECV);
	/*
	 * tcp_dsack_seen(): no window's worth of duplicates is believable,
	 * nor more duplicates than we ever resent (a network that
	 * duplicates packets would else undo a real reduction). A dubious
	 * block is then judged as a plain SACK block, as Linux does.
	 */
	dup_segs = end - start > xs->mss ? DIV_ROUND_UP(end - start, xs->mss) :
					  1;
	xs->dsack_segs += dup_segs;
	if (end - start > xs->max_window ||
	    xs->dsack_segs > xs->info.total_retrans) {
		XTCP_INC_STATS(sock_net(sk), DSACKIGNOREDDUBIOUS);
		return false;
	}
	/* FLAG_DSACK_TLP: the probe and its original both arrived */
	if (xs->tlp_high_seq && end == xs->tlp_high_seq &&
	    end - start <= xs->mss)
		as->dsack_tlp = 1;
	if (xs->undo_marker && xs->undo_retrans > 0 &&
	    !xtcp_after(end, as->prior_una) &&
	    xtcp_after(end, xs->undo_marker))
		xs->undo_retrans = max_t(s32, 0, xs->undo_retrans - dup_segs);
	return true;
}

/*
 * The SACK blocks of an arriving ACK onto the scoreboard, as
 * tcp_sacktag_write_queue(): check each, find a D-SACK, tag the skbs.
 * tcp_hdr(skb) still points at the ACK's header (input.c).
 */
void xtcp_sacktag(struct sock *sk, const struct sk_buff *skb,
		  struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ack = XTCP_SKB_CB(skb)->ack_seq;
	struct xtcp_opts o;
	unsigned int i;

	sock_owned_by_me(sk);
	/* the option walk on the way in found the blocks, if any */
	if (!XTCP_SKB_CB(skb)->sack_off)
		return;
	xtcp_parse_sack_blocks(skb, &o);
	if (!o.num_sacks)
		return;
	as->dsack = xtcp_check_dsack(sk, &o, ack, as);
	for (i = 0; i < o.num_sacks; i++) {
		u32 start = o.sacks[i].start, end = o.sacks[i].end;
		bool dsack = as->dsack && !i;

		if (!xtcp_sack_block_valid(xs, start, end)) {
			if (!dsack)
				XTCP_INC_STATS(sock_net(sk), SACKDISCARD);
			continue;
		}
		/* below SND.UNA: news only as a D-SACK, counted above */
		if (!xtcp_after(end, xs->snd_una))
			continue;
		xtcp_sacktag_block(sk, start, end, dsack, as);
	}
}

/*
 * bytes of skb acknowledged cumulatively (output.c's
 * xtcp_clean_rtx_queue(), before SND.UNA moves): its marks give back
 * what they counted, and the ACK's RTT and RACK state learn from it.
 */
void xtcp_recovery_acked(struct sock *sk, struct sk_buff *skb, u32 bytes,
			 struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (cb->sacked & XTCP_SACKED_ACKED) {
		xtcp_sub(&xs->sacked_out, bytes);
		return;
	}
	if (cb->sacked & XTCP_SACKED_LOST)
		xtcp_sub(&xs->lost_out, bytes);
	if (cb->sacked & XTCP_SACKED_RETRANS)
		xtcp_sub(&xs->retrans_out, bytes);
	as->acked += bytes;
	if (cb->retrans) {
		as->retrans_acked = 1;
	} else {
		u64 now = as->now_us;
		s64 rtt = now > cb->xmit_us ? now - cb->xmit_us : 1;

		as->rtt_us = max(as->rtt_us, rtt);
		if (as->ca_rtt_us < 0 || rtt < as->ca_rtt_us)
			as->ca_rtt_us = rtt;
		if (xtcp_before(cb->end_seq, as->prior_fack)) {
			xs->rack_reord = 1;
			as->reord = 1;
		}
	}
	xtcp_rack_advance(xs, skb, as->now_us);
}

/*
 * RFC 6298 with RFC 7323 4.1, as tcp_ack_update_rtt(): a sample on every
 * ACK that acknowledged or SACKed never-resent data (Karn), else from
 * TSecr when SND.UNA advanced (RFC 7323 4.1's RTTM rule), which times
 * resent data too. SRTT takes the oldest such skb, the time the ACK
 * really took (a delayed or stretch ACK included); min_rtt, for RACK,
 * takes the newest.
 */
void xtcp_recovery_rtt(struct sock *sk, const struct sk_buff *skb,
		       const struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	s64 rtt = as->rtt_us, ca_rtt = as->ca_rtt_us;

	/*
	 * FLAG_RETRANS_DATA_ACKED: a resent skb among those acked makes
	 * the cumulative part ambiguous (Karn): the never-resent ones after
	 * it waited for the resend to fill the hole.
	 */
	if (as->retrans_acked)
		rtt = -1;
	if (rtt < 0)
		rtt = as->sack_rtt_us;
	if (rtt < 0 && xs->tstamp_ok && cb->saw_tstamp && cb->tsecr &&
	    as->una_advanced) {
		u32 ms = xtcp_ts_of(as->now_us) + xs->tsoffset - cb->tsecr;

		/* a TSecr from the future or from long ago is no sample */
		if (ms < INT_MAX / USEC_PER_MSEC)
			rtt = (s64)max(ms, 1U) * USEC_PER_MSEC;
	}
	if (rtt < 0)
		return;
	rtt = clamp_t(s64, rtt, 1, U32_MAX);
	ca_rtt = ca_rtt < 0 ? rtt : clamp_t(s64, ca_rtt, 1, rtt);
	xtcp_update_min_rtt(xs, ca_rtt);
	xtcp_timer_rtt_sample(sk, rtt);
	/* HyStart's delay detector sees the newest, as pkts_acked() does */
	xtcp_cong_rtt_sample(sk, ca_rtt, as->now_us);
}

/*
 * RFC 8985 6.2 step 4, tcp_rack_update_reo_wnd(): each D-SACK (once per
 * round trip) widens the reordering window by min_rtt/4; the width holds
 * for 16 recoveries, then falls back to one step.
 */
static void xtcp_rack_update_reo_wnd(struct xtcp_sock *xs,
				     const struct xtcp_ack_state *as)
{
	/* a probe's D-SACK says nothing of reordering: TLP is timer-driven */
	if (!as->dsack || as->dsack_tlp) {
		if (!xs->rack_reo_persist)
			xs->rack_reo_steps = 1;
		return;
	}
	xs->rack_reord = 1;
	if (xs->rack_dsack_seq && xtcp_before(as->prior_una, xs->rack_dsack_seq))
		return;
	xs->rack_reo_steps = min_t(u32, xs->rack_reo_steps + 1, 255);
	xs->rack_dsack_seq = xs->snd_nxt ? : 1;
	xs->rack_reo_persist = XTCP_RACK_RECOVERY_THRESH;
}

/*
 * RFC 8985 6.2, tcp_rack_reo_wnd(): until reordering is seen, none at
 * all once in recovery or with DupThresh segments SACKed, so that RACK
 * acts at once where three duplicate ACKs would.
 */
static u32 xtcp_rack_reo_wnd(const struct xtcp_sock *xs)
{
	if (!xs->rack_reord) {
		if (xs->in_recovery != XTCP_CA_OPEN)
			return 0;
		if (xs->sacked_out >= XTCP_DUPACK_THRESH * xs->mss)
			return 0;
	}
	return min_t(u32, xs->min_rtt_us / 4 * xs->rack_reo_steps,
		     xs->srtt_us);
}

/*
 * RFC 8985 6.2 step 5, tcp_rack_detect_loss(): a segment sent before the
 * most recently delivered one is lost once RACK.rtt + reo_wnd passed
 * since it left, by now (clock_us). Returns the microseconds until the
 * next one would be, 0 if none waits.
 */
static u32 xtcp_rack_detect_loss(struct sock *sk, u64 now)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 reo_wnd = xtcp_rack_reo_wnd(xs);
	struct sk_buff *skb;
	u32 wait = 0;

	for (skb = skb_peek(&sk->sk_write_queue);
	     skb && skb != xs->send_head; skb = xtcp_rtx_next(sk, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		s64 left;

		/*
		 * The queue is in sequence order, not send order as Linux's
		 * tsorted list; but an skb never resent left after every
		 * skb before it and before every one after it, so once one
		 * was not sent before RACK's, none after it was either.
		 */
		if (!cb->retrans &&
		    !xtcp_rack_sent_after(xs->rack_xmit_us, cb->xmit_us,
					  xs->rack_end_seq, cb->end_seq))
			break;
		if (cb->sacked & XTCP_SACKED_ACKED)
			continue;
		/* lost, and not resent yet: nothing more to learn */
		if ((cb->sacked & XTCP_SACKED_LOST) &&
		    !(cb->sacked & XTCP_SACKED_RETRANS))
			continue;
		if (!xtcp_rack_sent_after(xs->rack_xmit_us, cb->xmit_us,
					  xs->rack_end_seq, cb->end_seq))
			continue;
		left = (s64)cb->xmit_us + xs->rack_rtt_us + reo_wnd - now;
		if (left <= 0)
			xtcp_mark_skb_lost(sk, skb);
		else if (!wait || left < wait)
			wait = left;
	}
	return wait;
}

/*
 * Run RACK when the ACK moved it; arm the reorder timer (RFC 8985 6.3).
 * True when it did: the ACK then leaves the timer alone, as
 * tcp_identify_packet_loss() clears FLAG_SET_XMIT_TIMER.
 */
static bool xtcp_rack_mark_lost(struct sock *sk, u64 now)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 wait;

	if (!xs->rack_advanced)
		return false;
	xs->rack_advanced = 0;
	wait = xtcp_rack_detect_loss(sk, now);
	if (wait)
		xtcp_timer_arm(sk, XTCP_EV_REO,
			       jiffies + usecs_to_jiffies(wait) + 1);
	return wait;
}

/* tcp_init_undo(): what an episode may restore */
static void xtcp_init_undo(struct xtcp_sock *xs)
{
	xs->undo_marker = xs->snd_una ? : 1;
	xs->undo_retrans = -1;
	xs->undo_tsval = 0;
	xs->prior_cwnd = xs->snd_cwnd;
	/* tcp_current_ssthresh(): where the flow stood, for undo */
	xs->prior_ssthresh = max(xs->snd_ssthresh,
				 xs->snd_cwnd - xs->snd_cwnd / 4);
}

/* fast recovery begins (RFC 6675 5, RFC 6582 3.2 step 2) */
void xtcp_recovery_enter(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_init_undo(xs);
	xtcp_cong_enter_recovery(sk);
	/* tcp_init_cwnd_reduction(): a probe's loss is this episode's */
	xs->tlp_high_seq = 0;
	if (xs->sack_ok)
		XTCP_INC_STATS(sock_net(sk), SACKRECOVERY);
	if (xs->rack_reo_persist)
		xs->rack_reo_persist--;
}

/*
 * RFC 3522 (Eifel), tcp_packet_delayed(): the ACK echoes a TSval older
 * than our first retransmission's, so the original made it.
 */
static bool xtcp_eifel(const struct xtcp_sock *xs,
		       const struct xtcp_skb_cb *cb)
{
	return xs->tstamp_ok && xs->undo_tsval && cb->saw_tstamp &&
	       cb->tsecr && xtcp_before(cb->tsecr, xs->undo_tsval);
}

/* tcp_may_undo(): every retransmission D-SACKed, or Eifel says so */
static bool xtcp_may_undo(const struct xtcp_sock *xs,
			  const struct xtcp_skb_cb *cb)
{
	return xs->undo_marker &&
	       (!xs->undo_retrans || xtcp_eifel(xs, cb));
}

/*
 * tcp_undo_cwnd_reduction(): back to where the episode began. After an
 * RTO, what was judged lost and not resent yet is not lost after all.
 */
static void xtcp_undo(struct sock *sk, bool unmark_loss)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (unmark_loss) {
		for (skb = skb_peek(&sk->sk_write_queue);
		     skb && skb != xs->send_head; skb = xtcp_rtx_next(sk, skb))
			XTCP_SKB_CB(skb)->sacked &= ~XTCP_SACKED_LOST;
		xs->lost_out = 0;
	}
	xs->snd_cwnd = xtcp_cong_undo_cwnd(sk, xs->prior_cwnd);
	if (xs->prior_ssthresh > xs->snd_ssthresh)
		xs->snd_ssthresh = xs->prior_ssthresh;
	xs->snd_cwnd_cnt = 0;
	xs->undo_marker = 0;
	xtcp_cong_set_state(sk, XTCP_CA_OPEN);
}

/*
 * RFC 6937 PRR as Linux's tcp_cwnd_reduction(), in segments: while the
 * pipe is above ssthresh, send in proportion to what was delivered
 * (prr_delivered * ssthresh / RecoverFS, with prior_cwnd as RecoverFS);
 * below it, grow back towards ssthresh as PRR-SSRB: what was delivered
 * and not yet answered, one more when SND.UNA advanced and this ACK
 * found no new loss (@grow). The first retransmission always goes.
 */
static void xtcp_prr(struct sock *sk, u32 delivered, bool grow)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 pipe = xtcp_segs(xs, xtcp_in_flight(xs));
	s64 delta = (s64)xs->snd_ssthresh - pipe;
	s64 sndcnt;

	if (!delivered || !xs->prior_cwnd)
		return;
	xs->prr_delivered += delivered;
	if (delta < 0) {
		u64 dividend = (u64)xs->snd_ssthresh * xs->prr_delivered +
			       xs->prior_cwnd - 1;

		sndcnt = (s64)div_u64(dividend, xs->prior_cwnd) - xs->prr_out;
	} else {
		sndcnt = max_t(s64, (s64)xs->prr_delivered - xs->prr_out,
			       delivered) + grow;
		sndcnt = min(delta, sndcnt);
	}
	sndcnt = max_t(s64, sndcnt, xs->prr_out ? 0 : 1);
	xs->snd_cwnd = max_t(u32, pipe + sndcnt, 1);
}

/*
 * RFC 8985 7.4, tcp_process_tlp_ack(): was the probe's loss real? A
 * D-SACK for the probe's segment, or a plain duplicate ACK, says the original
 * arrived; an ACK beyond the probe without either says the probe
 * repaired a loss, and cwnd answers as to fast recovery.
 */
static void xtcp_tlp_ack(struct sock *sk, u32 ack,
			 const struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->tlp_high_seq || xtcp_before(ack, xs->tlp_high_seq))
		return;
	if (!xs->tlp_retrans || as->dsack_tlp) {
		xs->tlp_high_seq = 0;
	} else if (xtcp_after(ack, xs->tlp_high_seq)) {
		xs->tlp_high_seq = 0;
		xs->snd_ssthresh = xs->cong->ssthresh(sk);
		xs->snd_cwnd = min(xs->snd_cwnd, max(xs->snd_ssthresh, 2U));
		xs->snd_cwnd_cnt = 0;
		XTCP_INC_STATS(sock_net(sk), LOSSPROBERECOVERY);
	} else if (as->dupack && !as->sacked) {
		xs->tlp_high_seq = 0;
	}
}

/* the episode reached its end: SND.UNA passed recover */
static void xtcp_recovery_done(struct sock *sk, const struct xtcp_skb_cb *cb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool loss = xs->in_recovery == XTCP_CA_LOSS;

	/* tcp_try_undo_recovery() */
	if (xtcp_may_undo(xs, cb)) {
		xtcp_undo(sk, loss);
		if (loss)
			XTCP_INC_STATS(sock_net(sk), LOSSUNDO);
		else
			XTCP_INC_STATS(sock_net(sk), FULLUNDO);
		return;
	}
	xtcp_cong_exit_recovery(sk);
}

/*
 * A SACK-only ACK restarts the RTO (or the probe timer) when its RTT
 * sample comes from data sent before the head's last transmission, as
 * tcp_clean_rtx_queue() sets FLAG_SET_XMIT_TIMER: the head was resent
 * after the SACKed data left, so the path delivers and the resend is
 * owed a whole RTO. SACKs of data sent after the head do not, or a
 * stream of them would put off the RTO of a lost head without end.
 */
static bool xtcp_sack_rearms(const struct sock *sk,
			     const struct xtcp_ack_state *as)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (as->sack_rtt_us < 0 || !head || head == xs->send_head)
		return false;
	return as->sack_rtt_us > (s64)(as->now_us - XTCP_SKB_CB(head)->xmit_us);
}

/*
 * What an ACK means for loss recovery, after the scoreboard and SND.UNA
 * took it in; tcp_fastretrans_alert() and tcp_cong_control() in one.
 * It says in as->rearm whether the ACK restarts the RTO or probe timer
 * (xtcp_timer_on_ack()).
 */
void xtcp_recovery_on_ack(struct sock *sk, const struct sk_buff *skb,
			  struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u32 delivered = xtcp_segs(xs, as->acked + as->sacked);
	bool una_advanced = as->una_advanced;
	u32 prior_lost = xs->lost_out;

	sock_owned_by_me(sk);
	as->rearm = as->una_advanced || xtcp_sack_rearms(sk, as);
	xtcp_tlp_ack(sk, cb->ack_seq, as);
	if (xs->sack_ok) {
		xtcp_rack_update_reo_wnd(xs, as);
		if (xtcp_rack_mark_lost(sk, as->now_us))
			as->rearm = 0;
	}
	/* tcp_cwnd_reduction()'s newly_lost */
	if (xs->lost_out > prior_lost)
		una_advanced = false;

	switch (xs->in_recovery) {
	case XTCP_CA_OPEN:
		/* a late D-SACK proves the last episode needless */
		if (xs->undo_marker && !xs->undo_retrans) {
			xtcp_undo(sk, false);
			XTCP_INC_STATS(sock_net(sk), DSACKUNDO);
		}
		if (xs->sack_ok && xs->lost_out) {
			xtcp_recovery_enter(sk);
			una_advanced = false;	/* no growth: it found a loss */
		}
		break;
	case XTCP_CA_RECOVERY:
		if (!xtcp_before(xs->snd_una, xs->recover)) {
			xtcp_recovery_done(sk, cb);
		} else if (!xs->sack_ok) {
			/* RFC 6582 3.2 step 4: a partial ACK shows the next hole */
			if (as->una_advanced) {
				u32 segs = xtcp_segs(xs, xs->snd_una -
						     as->prior_una);

				xtcp_retransmit_head(sk);
				xs->snd_cwnd = xs->snd_cwnd > segs ?
					       xs->snd_cwnd - segs + 1 : 1;
			}
		} else if (xtcp_may_undo(xs, cb) && !xs->undo_retrans) {
			/* tcp_try_undo_dsack() */
			xtcp_undo(sk, false);
			XTCP_INC_STATS(sock_net(sk), DSACKUNDO);
		}
		break;
	case XTCP_CA_LOSS:
		/* tcp_try_undo_loss(): the RTO was spurious */
		if (as->una_advanced && xtcp_may_undo(xs, cb)) {
			xtcp_undo(sk, true);
			XTCP_INC_STATS(sock_net(sk), LOSSUNDO);
		} else if (!xtcp_before(xs->snd_una, xs->recover)) {
			xtcp_cong_exit_recovery(sk);
		}
		break;
	}

	if (xs->in_recovery == XTCP_CA_RECOVERY) {
		if (xs->sack_ok)
			xtcp_prr(sk, delivered, una_advanced);
	} else if (as->una_advanced) {
		xtcp_cong_on_ack(sk, xtcp_segs(xs, xs->snd_una - as->prior_una),
				 as->now_us);
	}
	if (xs->lost_out)
		xtcp_xmit_retransmit_queue(sk);
}

/*
 * The retransmission timer expired in a synchronized state (RFC 6298
 * 5.4 to 5.6, tcp_enter_loss()): everything not SACKed is lost and goes
 * again in order, from cwnd 1. When the skb at SND.UNA is SACKed, the
 * receiver dropped data it had SACKed (reneging, RFC 2018 8): the SACK
 * marks go too.
 */
void xtcp_recovery_on_rto(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);
	bool reneged = skb && skb != xs->send_head &&
		       (XTCP_SKB_CB(skb)->sacked & XTCP_SACKED_ACKED);

	sock_owned_by_me(sk);
	/*
	 * tcp_enter_loss(): a fresh undo point, unless this RTO only extends
	 * a recovery or a series of timeouts whose undo state still holds
	 */
	if (xs->in_recovery == XTCP_CA_OPEN || !xs->undo_marker ||
	    (xs->in_recovery == XTCP_CA_LOSS && !xs->backoff))
		xtcp_init_undo(xs);
	xtcp_cong_on_timeout(sk);
	for (; skb && skb != xs->send_head; skb = xtcp_rtx_next(sk, skb)) {
		struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

		if (reneged)
			cb->sacked &= ~XTCP_SACKED_ACKED;
		cb->sacked &= ~XTCP_SACKED_RETRANS;
		if (!(cb->sacked & XTCP_SACKED_ACKED))
			cb->sacked |= XTCP_SACKED_LOST;
	}
	if (reneged)
		xs->sacked_out = 0;
	xs->retrans_out = 0;
	xs->lost_out = xtcp_packets_out_bytes(xs) - min(xs->sacked_out,
						  xtcp_packets_out_bytes(xs));
	xs->tlp_high_seq = 0;
	xtcp_xmit_retransmit_queue(sk);
}

/*
 * Jiffies until the RTO of the oldest segment in flight, at least one:
 * where the reorder timer or a probe stood in for the RTO, the RTO keeps
 * counting from that segment's last transmission, as tcp_rearm_rto()
 * does with tcp_rto_delta_us(), not from now.
 */
u32 xtcp_recovery_rto_left(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	s32 left;

	if (!head || head == xs->send_head)
		return xs->rto;
	left = XTCP_SKB_CB(head)->when + xs->rto - (u32)jiffies;
	return clamp_t(s32, left, 1, xs->rto);
}

/*
 * The reorder timer (RFC 8985 6.3, tcp_rack_reo_timeout()): segments
 * that were waiting out the reordering window are lost now.
 */
void xtcp_recovery_reo_timeout(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 prior_lost = xs->lost_out;
	u32 wait;

	sock_owned_by_me(sk);
	wait = xtcp_rack_detect_loss(sk, xtcp_clock_us());
	if (xs->lost_out != prior_lost) {
		if (xs->in_recovery == XTCP_CA_OPEN)
			xtcp_recovery_enter(sk);
		if (xs->in_recovery == XTCP_CA_RECOVERY)
			xtcp_prr(sk, 1, false);
		xtcp_xmit_retransmit_queue(sk);
	}
	if (wait)
		xtcp_timer_arm(sk, XTCP_EV_REO,
			       jiffies + usecs_to_jiffies(wait) + 1);
	else
		xtcp_timer_arm(sk, XTCP_EV_RTO,
			       jiffies + xtcp_recovery_rto_left(sk));
}

/*
 * RFC 8985 7.2, tcp_schedule_loss_probe(): when a probe would be due,
 * if one may be armed now. Only in the open state with SACK: PTO = 2 *
 * SRTT, plus the peer's worst delayed ACK when a single segment is out
 * (else 2 ms, TCP_TIMEOUT_MIN_US), never later than the RTO would fire:
 * the RTO as it stands (from the head's last transmission), or, when
 * the caller restarts the RTO (an ACK, advancing_rto), a whole RTO from
 * now. As in Linux, a probe already out does not stop the timer being
 * armed: when it expires xtcp_recovery_tlp_fire() sends no second probe
 * and arms the RTO instead (RFC 8985 7.3 allows one probe at a time).
 */
bool xtcp_recovery_tlp_timeout(struct sock *sk, bool advancing_rto,
			       unsigned long *when)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 pto;

	if (!xs->sack_ok || xs->in_recovery != XTCP_CA_OPEN ||
	    xs->snd_una == xs->snd_nxt ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		return false;
	if (xs->srtt_us) {
		u32 extra = xtcp_packets_out_bytes(xs) <= xs->mss ?
			    jiffies_to_usecs(XTCP_RTO_MIN) : 2 * USEC_PER_MSEC;

		pto = usecs_to_jiffies(2 * xs->srtt_us + extra);
	} else {
		pto = XTCP_TIMEOUT_INIT;
	}
	*when = jiffies + min(pto, advancing_rto ? xs->rto :
				   xtcp_recovery_rto_left(sk));
	return true;
}

/*
 * RFC 8985 7.3: the probe timer expired. A probe sent restarts the RTO
 * from now, as tcp_send_loss_probe() does: the probe is the newest
 * transmission and its ACK needs a round trip, maybe a delayed ACK
 * too. With a probe still out, or none possible, the RTO counts from
 * the head's last transmission (tcp_rearm_rto()).
 */
void xtcp_recovery_tlp_fire(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sock_owned_by_me(sk);
	if (xs->in_recovery == XTCP_CA_OPEN && !xs->tlp_high_seq &&
	    xtcp_send_loss_probe(sk))
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
	else
		xtcp_timer_arm(sk, XTCP_EV_RTO,
			       jiffies + xtcp_recovery_rto_left(sk));
}
