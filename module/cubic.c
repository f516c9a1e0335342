// SPDX-License-Identifier: GPL-2.0
/*
 * CUBIC congestion control (RFC 9438) with HyStart, XTCP's default as it
 * is Linux's. Behaviour follows RFC 9438 and, where the RFC leaves a
 * choice, Linux's tcp_cubic.c with its default parameters; the arithmetic
 * is XTCP's own.
 *
 * The window (RFC 9438 4.2), with t the time since the epoch began and
 * W_max the cwnd before the last reduction:
 *
 *	W_cubic(t) = C * (t - K)^3 + W_max,  K = cbrt((W_max - cwnd_epoch) / C)
 *
 * with C = 0.4 segments/s^3 and beta_cubic = 0.7.
 *
 * Fixed point (no floating point in the kernel): time is in milliseconds,
 * windows in whole segments. With t in ms, C * t^3 = 0.4 * t^3 / 10^9
 * segments = 2 * t^3 / (5 * 10^9), computed in u64 with |t - K| capped at
 * 2^20 ms (17 minutes; 2 * 2^60 still fits), which is far beyond the point
 * where the window is at its 65535 cap anyway. K in ms is
 * cbrt((W_max - cwnd) * 2.5 * 10^9), an integer cube root (bit by bit, 22
 * steps) of a number below 2^48, once per epoch. beta_cubic is 7/10 and
 * the fast-convergence factor (1 + beta_cubic) / 2 is 17/20. The
 * Reno-friendly estimate grows by alpha_cubic = 3 (1 - beta) / (1 + beta)
 * = 9/17 segment per cwnd of acked segments: kept exactly as a remainder
 * counted in 17ths of a segment times cwnd. cwnd grows per ACK by
 * (target - cwnd) / cwnd (RFC 9438 4.4), exactly, through snd_cwnd_cnt.
 *
 * HyStart (Linux's defaults: both detectors, from cwnd 16 up): slow start
 * ends, ssthresh = cwnd, when within one round either
 *  - the ACK train: ACKs arriving at most 2 ms apart keep coming for more
 *    than half the minimum RTT after the round began, so the pipe is full;
 *  - the delay increase: the smallest of the round's first 8 RTT samples
 *    exceeds the minimum RTT by clamp(min RTT / 8, 4 ms, 16 ms).
 * A round ends when SND.UNA passes what SND.NXT was at its start. The delay
 * detector needs RTT samples (xtcp_cong_rtt_sample()): one per ACK that
 * acknowledges or SACKs new data, with or without timestamps.
 *
 * Per-connection state: struct xtcp_cubic, 52 bytes of the 56 in
 * xtcp_sock.cong_priv (Linux's struct bictcp is 64 of 104).
 */
#include <linux/math64.h>
#include "xtcp.h"

#define CUBIC_CWND_MAX		65535U
#define CUBIC_BETA_NUM		7	/* beta_cubic = 7/10 */
#define CUBIC_BETA_DEN		10
#define CUBIC_FC_NUM		17	/* (1 + beta_cubic) / 2 = 17/20 */
#define CUBIC_FC_DEN		20
#define CUBIC_ALPHA_NUM		9	/* alpha_cubic = 9/17 */
#define CUBIC_ALPHA_DEN		17
#define CUBIC_OFFS_MAX		(1U << 20)	/* ms: caps |t - K| */

#define HYSTART_LOW_WINDOW	16	/* cwnd from which HyStart looks */
#define HYSTART_ACK_DELTA_US	2000	/* ACKs this close form a train */
#define HYSTART_MIN_SAMPLES	8	/* RTT samples per round */
#define HYSTART_DELAY_MIN_US	4000U
#define HYSTART_DELAY_MAX_US	16000U
/* delay samples right after a reduction are ignored for this long */
#define CUBIC_QUIET_MS		1000

struct xtcp_cubic {
	u32 epoch_start;	/* ms (xtcp_cubic_now_ms()), 0: none */
	u32 w_max;		/* segments, cwnd before the last reduction */
	u32 w_max_prior;	/* w_max before that, for undo */
	u32 origin;		/* W_max of this epoch's curve */
	u32 k_ms;		/* K of this epoch */
	u32 w_est;		/* RFC 9438 4.3 Reno-friendly window */
	u32 est_cnt;		/* w_est's fraction, 1/17 segment units */
	/* HyStart */
	u32 delay_min;		/* us, smallest RTT sample, 0: none yet */
	u32 round_start;	/* us */
	u32 last_ack;		/* us, arrival of the train's last ACK */
	u32 round_end;		/* round ends once SND.UNA passes it */
	u32 curr_rtt;		/* us, smallest sample of this round */
	u8 sample_cnt;		/* samples this round */
	u8 found;		/* slow start has been left by HyStart */
	u8 in_round;		/* round_* are valid */
};

/*
 * The epoch's clock: jiffies in milliseconds, as bictcp_update() counts
 * with tcp_jiffies32. Per-ACK work reads no clock source, which may be
 * slow to read (a VM's HPET); a tick (4 ms at HZ=250) is fine enough for
 * a curve that spans seconds.
 */
static u32 xtcp_cubic_now_ms(void)
{
	u32 now = jiffies_to_msecs(jiffies);

	return now ? : 1;	/* 0 means "no epoch" */
}

static struct xtcp_cubic *xtcp_cubic(const struct sock *sk)
{
	BUILD_BUG_ON(sizeof(struct xtcp_cubic) > XTCP_CA_PRIV_SIZE);
	return xtcp_cong_priv(sk);
}

/*
 * floor(cbrt(a)), one bit of the root per step from the top: the root's
 * next bit is 1 when a still holds (2y + 1)^3 - (2y)^3 = 3 * 2y * (2y + 1)
 * + 1 at that bit's weight.
 */
static u32 xtcp_cubic_cbrt(u64 a)
{
	u64 y = 0, b;
	int s;

	for (s = 63; s >= 0; s -= 3) {
		y <<= 1;
		b = 3 * y * (y + 1) + 1;
		if ((a >> s) >= b) {
			a -= b << s;
			y++;
		}
	}
	return y;
}

/* W_cubic(t), t in ms since the epoch began; in segments, capped */
static u32 xtcp_cubic_window(const struct xtcp_cubic *ca, u32 t)
{
	u64 offs, delta;

	offs = t > ca->k_ms ? t - ca->k_ms : ca->k_ms - t;
	offs = min_t(u64, offs, CUBIC_OFFS_MAX);
	/* C * offs^3 with C = 0.4 / 10^9 per ms^3 */
	delta = div64_u64(2 * offs * offs * offs, 5ULL * NSEC_PER_SEC);
	if (t < ca->k_ms)
		return delta < ca->origin ? ca->origin - delta : 1;
	return min_t(u64, ca->origin + delta, CUBIC_CWND_MAX);
}

/*
 * RFC 9438 4.2: an epoch begins with the first congestion avoidance ACK
 * after a reduction (or after slow start). Below W_max the curve starts
 * concave, K ms before it reaches W_max; with no W_max above cwnd (slow
 * start ended without a loss, or an RTO made us forget it, RFC 9438 4.8
 * and 4.10) K = 0 and W_max = cwnd: the curve is convex from here.
 */
static void xtcp_cubic_epoch(struct sock *sk, struct xtcp_cubic *ca, u32 now)
{
	u32 cwnd = xtcp_sk(sk)->snd_cwnd;

	ca->epoch_start = now;
	ca->w_est = cwnd;
	ca->est_cnt = 0;
	if (ca->w_max > cwnd) {
		ca->origin = ca->w_max;
		/* K = cbrt((W_max - cwnd) / C) s = cbrt(... * 2.5e9) ms */
		ca->k_ms = xtcp_cubic_cbrt((u64)(ca->w_max - cwnd) *
					   (5ULL * NSEC_PER_SEC / 2));
	} else {
		ca->origin = cwnd;
		ca->k_ms = 0;
	}
}

/* RFC 9438 4.3: W_est += alpha_cubic * acked / cwnd (1 once past W_max) */
static void xtcp_cubic_reno_friendly(struct xtcp_cubic *ca, u32 cwnd,
				     u32 acked)
{
	u32 alpha = ca->w_est >= ca->w_max ? CUBIC_ALPHA_DEN : CUBIC_ALPHA_NUM;
	u32 unit = CUBIC_ALPHA_DEN * cwnd;

	ca->est_cnt += alpha * acked;
	if (ca->est_cnt >= unit) {
		ca->w_est += ca->est_cnt / unit;
		ca->est_cnt %= unit;
	}
}

static void xtcp_cubic_cong_avoid(struct sock *sk, u32 acked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_cubic *ca = xtcp_cubic(sk);
	u32 now, t, rtt_ms, target, cwnd, grow;

	if (xs->snd_cwnd < xs->snd_ssthresh) {
		acked = xtcp_cong_slow_start(sk, acked);
		if (!acked)
			return;
	}
	now = xtcp_cubic_now_ms();
	if (!ca->epoch_start)
		xtcp_cubic_epoch(sk, ca, now);
	cwnd = xs->snd_cwnd;
	t = now - ca->epoch_start;
	xtcp_cubic_reno_friendly(ca, cwnd, acked);

	/* RFC 9438 4.3: below the Reno-friendly window, follow it */
	if (xtcp_cubic_window(ca, t) < ca->w_est) {
		if (ca->w_est > cwnd) {
			xs->snd_cwnd = min(ca->w_est, CUBIC_CWND_MAX);
			xs->snd_cwnd_cnt = 0;
		}
		return;
	}

	/*
	 * RFC 9438 4.4: aim at W_cubic(t + RTT), within [cwnd, 1.5 cwnd],
	 * growing by (target - cwnd) / cwnd per acked segment.
	 */
	rtt_ms = xs->srtt_us / USEC_PER_MSEC;
	target = xtcp_cubic_window(ca, t + rtt_ms);
	target = clamp(target, cwnd, cwnd + cwnd / 2);
	if (target == cwnd)
		return;
	xs->snd_cwnd_cnt += acked * (target - cwnd);
	if (xs->snd_cwnd_cnt >= cwnd) {
		grow = xs->snd_cwnd_cnt / cwnd;
		xs->snd_cwnd_cnt -= grow * cwnd;
		xs->snd_cwnd = min(cwnd + grow, CUBIC_CWND_MAX);
	}
}

/*
 * RFC 9438 4.6 and 4.7: ssthresh = beta_cubic * cwnd, and W_max is the
 * cwnd reached, lowered to (1 + beta_cubic) / 2 of it when it fell short
 * of the last W_max (fast convergence: a flow that lost share gives way).
 */
static u32 xtcp_cubic_ssthresh(struct sock *sk)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);
	u32 cwnd = xtcp_sk(sk)->snd_cwnd;

	ca->epoch_start = 0;
	ca->w_max_prior = ca->w_max;
	if (cwnd < ca->w_max)
		ca->w_max = cwnd * CUBIC_FC_NUM / CUBIC_FC_DEN;
	else
		ca->w_max = cwnd;
	return max(cwnd * CUBIC_BETA_NUM / CUBIC_BETA_DEN, 2U);
}

static void xtcp_cubic_hystart_reset(struct xtcp_cubic *ca)
{
	ca->found = 0;
	ca->in_round = 0;
}

static void xtcp_cubic_init(struct sock *sk)
{
	xtcp_cubic_hystart_reset(xtcp_cubic(sk));
}

/*
 * RFC 9438 4.8: after an RTO the next congestion avoidance starts with
 * K = 0 and W_max = cwnd; forget the curve and let HyStart look at the
 * slow start that follows, as Linux's cubictcp_state() does. The minimum
 * RTT is the path's and stays.
 */
static void xtcp_cubic_set_state(struct sock *sk, u8 new_state)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);

	if (new_state != XTCP_CA_LOSS)
		return;
	ca->epoch_start = 0;
	ca->w_max = 0;
	ca->w_max_prior = 0;
	xtcp_cubic_hystart_reset(ca);
}

/*
 * RFC 9438 5.8: an application-limited (idle) period is no time on the
 * curve. Move the epoch forward by the idle time, not past now, as
 * Linux's cubictcp_cwnd_event() does on CA_EVENT_TX_START.
 */
static void xtcp_cubic_cwnd_event(struct sock *sk, enum xtcp_ca_event ev)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);
	u32 idle, now;

	if (ev != XTCP_CA_EVENT_TX_START || !ca->epoch_start ||
	    !xtcp_sk(sk)->lsndtime)
		return;
	idle = jiffies_to_msecs((u32)jiffies - xtcp_sk(sk)->lsndtime);
	if ((s32)idle <= 0)
		return;
	now = xtcp_cubic_now_ms();
	ca->epoch_start += idle;
	if ((s32)(ca->epoch_start - now) > 0)
		ca->epoch_start = now;
}

/* undo: the reduction was spurious, so was the W_max it lowered */
static u32 xtcp_cubic_undo_cwnd(struct sock *sk, u32 prior_cwnd)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);

	if (ca->w_max_prior > ca->w_max)
		ca->w_max = ca->w_max_prior;
	ca->epoch_start = 0;
	return max(xtcp_sk(sk)->snd_cwnd, prior_cwnd);
}

/* a new HyStart round once SND.UNA passed the end of the last one */
static void xtcp_cubic_round(struct sock *sk, struct xtcp_cubic *ca, u32 now)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	if (ca->in_round && !xtcp_after(xs->snd_una, ca->round_end))
		return;
	ca->in_round = 1;
	ca->round_start = now;
	ca->last_ack = now;
	ca->round_end = xs->snd_nxt;
	ca->curr_rtt = ~0U;
	ca->sample_cnt = 0;
}

/* HyStart looks at slow start from HYSTART_LOW_WINDOW on, once */
static bool xtcp_cubic_hystart_on(const struct sock *sk,
				  const struct xtcp_cubic *ca)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	return !ca->found && xs->snd_cwnd < xs->snd_ssthresh;
}

static void xtcp_cubic_hystart_exit(struct sock *sk, struct xtcp_cubic *ca,
				    enum xtcp_mib_field why)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	ca->found = 1;
	xs->snd_ssthresh = xs->snd_cwnd;
	this_cpu_inc(xtcp_net(sock_net(sk))->mib->mibs[why]);
}

/* HyStart's ACK train, on every ACK of new data in slow start */
static void xtcp_cubic_pkts_acked(struct sock *sk, u32 acked, u64 now_us)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);
	u32 now = (u32)now_us;

	if (!xtcp_cubic_hystart_on(sk, ca))
		return;
	xtcp_cubic_round(sk, ca, now);
	if (xtcp_sk(sk)->snd_cwnd < HYSTART_LOW_WINDOW || !ca->delay_min)
		return;
	if ((s32)(now - ca->last_ack) > HYSTART_ACK_DELTA_US)
		return;
	ca->last_ack = now;
	/* XTCP does not pace: the train may span half the minimum RTT */
	if ((s32)(now - ca->round_start) > ca->delay_min / 2)
		xtcp_cubic_hystart_exit(sk, ca, XTCP_MIB_HYSTARTTRAIN);
}

/* the minimum RTT, and HyStart's delay increase */
static void xtcp_cubic_rtt_sample(struct sock *sk, u32 rtt_us, u64 now_us)
{
	struct xtcp_cubic *ca = xtcp_cubic(sk);
	u32 thresh;

	/* queues drain after a reduction: those samples say little */
	if (ca->epoch_start &&
	    (s32)(xtcp_cubic_now_ms() - ca->epoch_start) < CUBIC_QUIET_MS)
		return;
	if (!ca->delay_min || rtt_us < ca->delay_min)
		ca->delay_min = rtt_us;
	if (!xtcp_cubic_hystart_on(sk, ca))
		return;
	xtcp_cubic_round(sk, ca, (u32)now_us);
	if (xtcp_sk(sk)->snd_cwnd < HYSTART_LOW_WINDOW)
		return;
	ca->curr_rtt = min(ca->curr_rtt, rtt_us);
	if (ca->sample_cnt < HYSTART_MIN_SAMPLES) {
		ca->sample_cnt++;
		return;
	}
	thresh = clamp(ca->delay_min / 8, HYSTART_DELAY_MIN_US,
		       HYSTART_DELAY_MAX_US);
	if (ca->curr_rtt > ca->delay_min + thresh)
		xtcp_cubic_hystart_exit(sk, ca, XTCP_MIB_HYSTARTDELAY);
}

static struct xtcp_cong_ops xtcp_cubic_ops = {
	.name		= "cubic",
	.init		= xtcp_cubic_init,
	.ssthresh	= xtcp_cubic_ssthresh,
	.cong_avoid	= xtcp_cubic_cong_avoid,
	.set_state	= xtcp_cubic_set_state,
	.cwnd_event	= xtcp_cubic_cwnd_event,
	.pkts_acked	= xtcp_cubic_pkts_acked,
	.rtt_sample	= xtcp_cubic_rtt_sample,
	.undo_cwnd	= xtcp_cubic_undo_cwnd,
};

int xtcp_cubic_register(void)
{
	return xtcp_cong_register(&xtcp_cubic_ops);
}

void xtcp_cubic_unregister(void)
{
	xtcp_cong_unregister(&xtcp_cubic_ops);
}
