// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: RFC 5681 slow start and congestion avoidance with
 * RFC 6582 NewReno recovery, behind a small ops table so that CUBIC can be
 * selected per socket later without touching the ACK path.
 *
 * cwnd and ssthresh count segments, as in Linux. The recovery bookkeeping
 * (recover, in_recovery) lives here; input.c only reports events.
 */
#include "xtcp.h"

#define XTCP_CWND_MAX	65535U

/* RFC 5681 (4): ssthresh = max(FlightSize / 2, 2 * SMSS) */
static u32 xtcp_reno_ssthresh(struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 flight = DIV_ROUND_UP(xtcp_packets_out_bytes(xs), xs->mss);

	return max(flight / 2, 2U);
}

/* RFC 5681 3.1: one segment per ACKed segment in slow start, then 1/cwnd */
static void xtcp_reno_cong_avoid(struct sock *sk, u32 acked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->snd_cwnd < xs->snd_ssthresh) {
		u32 room = xs->snd_ssthresh - xs->snd_cwnd;
		u32 grow = min(acked, room);

		xs->snd_cwnd += grow;
		acked -= grow;
		if (!acked)
			return;
	}
	xs->snd_cwnd_cnt += acked;
	if (xs->snd_cwnd_cnt >= xs->snd_cwnd) {
		xs->snd_cwnd_cnt -= xs->snd_cwnd;
		xs->snd_cwnd = min(xs->snd_cwnd + 1, XTCP_CWND_MAX);
	}
}

static const struct xtcp_cong_ops xtcp_reno = {
	.name		= "reno",
	.ssthresh	= xtcp_reno_ssthresh,
	.cong_avoid	= xtcp_reno_cong_avoid,
};

void xtcp_cong_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->cong = &xtcp_reno;
	xs->snd_cwnd = XTCP_INIT_CWND;
	xs->snd_ssthresh = 0x7fffffff;	/* RFC 5681 3.1: "arbitrarily high" */
	xs->snd_cwnd_cnt = 0;
	xs->in_recovery = 0;
}

void xtcp_cong_on_ack(struct sock *sk, u32 acked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* cwnd grows in slow start after a timeout, never in fast recovery */
	if (xs->in_recovery != 1)
		xs->cong->cong_avoid(sk, acked);
}

/*
 * Fast recovery begins: RFC 6582 3.2 step 2 on the third duplicate ACK
 * of a peer without SACK, with cwnd inflated by the three segments that
 * left the network; or RACK's first lost segment with SACK, where PRR
 * (RFC 6937, recovery.c) sizes cwnd from here on, as Linux's
 * tcp_init_cwnd_reduction() leaves cwnd alone.
 */
void xtcp_cong_enter_recovery(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->snd_ssthresh = xs->cong->ssthresh(sk);
	if (!xs->sack_ok)
		xs->snd_cwnd = xs->snd_ssthresh + XTCP_DUPACK_THRESH;
	xs->prr_delivered = 0;
	xs->prr_out = 0;
	xs->recover = xs->snd_nxt;
	xs->in_recovery = XTCP_CA_RECOVERY;
}

/*
 * RFC 6582 3.2 step 3, full acknowledgment: fast recovery deflates to
 * ssthresh; recovery after a timeout keeps the cwnd slow start built.
 */
void xtcp_cong_exit_recovery(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->in_recovery == XTCP_CA_RECOVERY) {
		xs->snd_cwnd = max(xs->snd_ssthresh, 2U);
		xs->snd_cwnd_cnt = 0;
	}
	xs->in_recovery = XTCP_CA_OPEN;
}

/*
 * RFC 5681 (4) and 3.1: after a retransmission timeout cwnd is one segment.
 * ssthresh is cut only on the first timeout of a series, as Linux does,
 * since FlightSize no longer means anything once we are backing off.
 */
void xtcp_cong_on_timeout(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->backoff && xs->in_recovery != XTCP_CA_RECOVERY)
		xs->snd_ssthresh = xs->cong->ssthresh(sk);
	xs->snd_cwnd = 1;
	xs->snd_cwnd_cnt = 0;
	xs->recover = xs->snd_nxt;
	xs->in_recovery = XTCP_CA_LOSS;
}

/*
 * Undo (recovery.c): the cwnd to restore once an episode proved
 * spurious, as tcp_reno_undo_cwnd(): what it was when the episode began,
 * or more if it grew since.
 */
u32 xtcp_cong_undo_cwnd(struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return max(xs->snd_cwnd, xs->prior_cwnd);
}
