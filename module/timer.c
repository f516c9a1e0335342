// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP's timers, one place for all of them:
 *
 *	rtx_timer	retransmission timeout (RFC 6298), SYN retries, and
 *			zero-window probes while nothing is in flight; or,
 *			as xs->rtx_event says, the tail loss probe (RFC 8985
 *			7) or the RACK reorder timer (RFC 8985 6.3), which
 *			share it as Linux's icsk_pending events share
 *			icsk_retransmit_timer; on a listener, SYN-ACK
 *			retransmission for its SYN queue
 *	delack_timer	delayed ACK (RFC 1122 4.2.3.2)
 *	sk->sk_timer	orphaned FIN_WAIT_2
 *
 * TIME_WAIT entries have no socket: one timer per netns expires them
 * (timewait.c).
 *
 * The rest of the stack reports events (xtcp_timer_on_send(), ..._on_ack(),
 * ..._schedule_ack()) and never arms a timer itself. Every handler takes
 * bh_lock_sock(); when a process owns the socket, the work is left to
 * xtcp_release_cb() through a bit in xs->deferred, as tcp_delack_timer()
 * does. A pending timer holds a socket reference (sk_reset_timer()).
 */
#include "xtcp.h"

/* arm rtx_timer for event (XTCP_EV_*) at when */
void xtcp_timer_arm(struct sock *sk, u8 event, unsigned long when)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rtx_event = event;
	sk_reset_timer(sk, &xs->rtx_timer, when);
}

/* the RTO, or the tail loss probe where it may go first (recovery.c) */
static void xtcp_timer_rearm(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long when;

	if (xtcp_recovery_tlp_timeout(sk, &when))
		xtcp_timer_arm(sk, XTCP_EV_TLP, when);
	else
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
}

/*
 * New data went out (tcp_event_new_data_sent() and the end of
 * tcp_write_xmit()). RFC 6298 5.1 starts the RTO only when it is not
 * running, or when nothing was in flight before; but the tail loss
 * probe moves with every send (RFC 8985 7.2: the PTO counts from the
 * last transmission), so that a flight sent after an ACK of everything
 * has a probe behind it and not a bare RTO. The RACK reorder timer keeps
 * its deadline.
 */
void xtcp_timer_on_send(struct sock *sk, bool was_idle)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool pending = timer_pending(&xs->rtx_timer);
	unsigned long when;

	if (pending && xs->rtx_event == XTCP_EV_REO)
		return;
	if (xtcp_recovery_tlp_timeout(sk, &when))
		xtcp_timer_arm(sk, XTCP_EV_TLP, when);
	else if (!pending || was_idle || xs->rtx_event == XTCP_EV_TLP)
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
}

/*
 * RFC 6298 5.2 and 5.3: stop the timer when all data is acknowledged,
 * restart it on an ACK of new data (as a probe timer when a TLP may go
 * first, RFC 8985 7.2), unless the RACK reorder timer waits. With unsent
 * data held back by a closed window it stays on as the probe timer.
 */
void xtcp_timer_on_ack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->snd_una != xs->snd_nxt) {
		if (xs->rtx_event == XTCP_EV_REO &&
		    timer_pending(&xs->rtx_timer))
			return;
		xtcp_timer_rearm(sk);
	} else if (!xs->send_head) {
		sk_stop_timer(sk, &xs->rtx_timer);
	} else if (xs->rtx_event != XTCP_EV_RTO &&
		   timer_pending(&xs->rtx_timer)) {
		/* nothing in flight: the persist timer's own RTO */
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
	}
}

/*
 * The peer's window opened while we were probing: what we send next gets
 * a fresh RTO, not the probe's backed-off one.
 */
void xtcp_timer_window_open(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->backoff)
		return;
	xs->backoff = 0;
	xtcp_timer_rtt_sample(sk, 0);
	if (!xs->srtt_us)
		xs->rto = XTCP_TIMEOUT_INIT;
	sk_stop_timer(sk, &xs->rtx_timer);
}

void xtcp_timer_schedule_ack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->ack_pending = 1;
	if (!timer_pending(&xs->delack_timer))
		sk_reset_timer(sk, &xs->delack_timer,
			       jiffies + XTCP_DELACK_MIN);
}

/*
 * Any segment we send carries the ACK. The delayed-ACK timer is left to
 * expire on its own rather than deleted on every segment: it finds
 * ack_pending clear and does nothing. Each ACK uses up one of quick-ACK
 * mode's (input.c), as tcp_event_ack_sent() calls tcp_dec_quickack_mode().
 */
void xtcp_timer_ack_sent(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->ack_pending = 0;
	if (xs->quickack)
		xs->quickack--;
}

void xtcp_timer_fin_wait2(struct sock *sk)
{
	sk_reset_timer(sk, &sk->sk_timer, jiffies + XTCP_FIN_TIMEOUT);
}

/*
 * RFC 6298 2.2 and 2.3 on a new sample (rtt_us > 0), then 2.4 and 5.5:
 * RTO = SRTT + max(G, 4 * RTTVAR), clamped, doubled per backoff. With
 * rtt_us == 0 only the RTO is recomputed, e.g. after a backoff ended.
 */
void xtcp_timer_rtt_sample(struct sock *sk, u32 rtt_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 rto;

	if (rtt_us) {
		if (!xs->srtt_us) {
			xs->srtt_us = rtt_us;
			xs->rttvar_us = rtt_us / 2;
		} else {
			u32 err = abs((s32)(xs->srtt_us - rtt_us));

			xs->rttvar_us = xs->rttvar_us - xs->rttvar_us / 4 +
					err / 4;
			xs->srtt_us = xs->srtt_us - xs->srtt_us / 8 +
				      rtt_us / 8;
		}
	}
	if (!xs->srtt_us)
		return;
	rto = usecs_to_jiffies(xs->srtt_us +
			       max_t(u32, 4 * xs->rttvar_us,
				     jiffies_to_usecs(1)));
	/* Linux's 200 ms floor rather than RFC 6298 2.4's 1 s */
	rto = clamp_t(u32, rto, XTCP_RTO_MIN, XTCP_RTO_MAX);
	xs->rto = min_t(u32, rto << xs->backoff, XTCP_RTO_MAX);
}

/* give up: tcp_write_err() */
static void xtcp_timer_give_up(struct sock *sk)
{
	sk->sk_err = sk->sk_err_soft ? : ETIMEDOUT;
	sk_error_report(sk);
	xtcp_done(sk);
}

static void xtcp_timer_probe(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* a peer that stopped answering probes is gone */
	if (xs->probes >= XTCP_RETRIES2) {
		xtcp_timer_give_up(sk);
		return;
	}
	if (xs->snd_wnd) {
		/*
		 * Corked data, or a window too small for sender SWS
		 * avoidance: the override timeout of RFC 1122 4.2.3.4.
		 */
		xtcp_write_xmit(sk, XTCP_NAGLE_OVERRIDE);
		if (xs->snd_una != xs->snd_nxt)
			return;
	}
	xtcp_send_probe(sk);
	xs->probes++;
	/* RFC 1122 4.2.2.17: probe for as long as the peer answers */
	xs->backoff = min_t(u8, xs->backoff + 1, 16);
	xs->rto = min_t(u32, xs->rto * 2, XTCP_RTO_MAX);
	xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
}

/* the retransmission timer expired (RFC 6298 5.4 to 5.6) */
static void xtcp_timer_rtx_fire(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned int limit;

	if (sk->sk_state == TCP_LISTEN) {
		xtcp_listen_timer(sk);
		return;
	}
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_TIME_WAIT) ||
	    timer_pending(&xs->rtx_timer))
		return;
	if (xs->snd_una != xs->snd_nxt) {
		if (xs->rtx_event == XTCP_EV_TLP) {
			xtcp_recovery_tlp_fire(sk);
			return;
		}
		if (xs->rtx_event == XTCP_EV_REO) {
			xtcp_recovery_reo_timeout(sk);
			return;
		}
	}
	xs->rtx_event = XTCP_EV_RTO;
	if (xs->snd_una == xs->snd_nxt) {
		if (xs->send_head)
			xtcp_timer_probe(sk);
		return;
	}

	limit = sk->sk_state == TCP_SYN_SENT ?
		(xs->syn_retries ? : XTCP_SYN_RETRIES) :
					       XTCP_RETRIES2;
	if (xs->retries >= limit) {
		xtcp_timer_give_up(sk);
		return;
	}
	XTCP_INC_STATS(sock_net(sk), TIMEOUTS);
	if (sk->sk_state == TCP_SYN_SENT)
		XTCP_INC_STATS(sock_net(sk), SYNRETRANS);
	xs->dupacks = 0;
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		xtcp_cong_on_timeout(sk);
		xtcp_retransmit_head(sk);
	} else {
		/* everything not SACKed is lost (tcp_enter_loss()) */
		xtcp_recovery_on_rto(sk);
	}
	xs->retries++;
	/* RFC 6298 5.5, capped as Linux's TCP_RTO_MAX */
	xs->backoff = min_t(u8, xs->backoff + 1, 16);
	xs->rto = min_t(u32, xs->rto * 2, XTCP_RTO_MAX);
	xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
}

static void xtcp_timer_delack_fire(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->ack_pending || sk->sk_state == TCP_CLOSE)
		return;
	/*
	 * No reply took the ACK in time: not interactive after all, as
	 * tcp_delack_timer_handler() leaves pingpong mode (input.c).
	 */
	xs->pingpong = 0;
	XTCP_INC_STATS(sock_net(sk), DELAYEDACKS);
	xtcp_send_ack(sk);
}

static void xtcp_timer_rtx_handler(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, rtx_timer);
	struct sock *sk = &xs->sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		xtcp_timer_rtx_fire(sk);
	else if (!test_and_set_bit(XTCP_DEFER_RTX, &xs->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

static void xtcp_timer_delack_handler(struct timer_list *t)
{
	struct xtcp_sock *xs = from_timer(xs, t, delack_timer);
	struct sock *sk = &xs->sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		xtcp_timer_delack_fire(sk);
	else if (!test_and_set_bit(XTCP_DEFER_DELACK, &xs->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* orphaned FIN_WAIT_2 ends here */
static void xtcp_timer_sk_handler(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		/* rare: try again shortly, like tcp_keepalive_timer() */
		sk_reset_timer(sk, &sk->sk_timer, jiffies + HZ / 20);
	} else if (sk->sk_state == TCP_FIN_WAIT2 &&
		   sock_flag(sk, SOCK_DEAD)) {
		xtcp_send_active_reset(sk, GFP_ATOMIC, XTCP_MIB_RSTTIMEOUT);
		xtcp_done(sk);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* called by release_sock() with the socket still owned */
void xtcp_release_cb(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (test_and_clear_bit(XTCP_DEFER_RTX, &xs->deferred)) {
		xtcp_timer_rtx_fire(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(XTCP_DEFER_DELACK, &xs->deferred)) {
		xtcp_timer_delack_fire(sk);
		__sock_put(sk);
	}
}

void xtcp_timer_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	timer_setup(&xs->rtx_timer, xtcp_timer_rtx_handler, 0);
	timer_setup(&xs->delack_timer, xtcp_timer_delack_handler, 0);
	timer_setup(&sk->sk_timer, xtcp_timer_sk_handler, 0);
}

void xtcp_timer_clear(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sk_stop_timer(sk, &xs->rtx_timer);
	sk_stop_timer(sk, &xs->delack_timer);
	sk_stop_timer(sk, &sk->sk_timer);
	xs->ack_pending = 0;
}
