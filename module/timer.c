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
 *	sk->sk_timer	keepalive (RFC 1122 4.2.3.6), or the orphaned
 *			FIN_WAIT_2 timeout: the two never run together (an
 *			orphan has no one to keep alive for), so they share
 *			it as Linux's tcp_keepalive_timer() serves both from
 *			icsk_keepalive_timer, which is sk_timer too
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
#include <linux/tcp.h>
#include "xtcp.h"

/* arm rtx_timer for event (XTCP_EV_*) at when */
void xtcp_timer_arm(struct sock *sk, u8 event, unsigned long when)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rtx_event = event;
	sk_reset_timer(sk, &xs->rtx_timer, when);
}

/*
 * tcp_rearm_rto(): the RTO from now; but where the probe timer or the
 * RACK reorder timer stood in for it, from the head's last transmission
 * (tcp_rto_delta_us()), so that neither puts the RTO off.
 */
static void xtcp_timer_rearm_rto(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (timer_pending(&xs->rtx_timer) && xs->rtx_event != XTCP_EV_RTO)
		xtcp_timer_arm(sk, XTCP_EV_RTO,
			       jiffies + xtcp_recovery_rto_left(sk));
	else
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
}

/*
 * New data went out: tcp_event_new_data_sent() for each segment, then
 * tcp_schedule_loss_probe() at the end of tcp_write_xmit(). Wherever a
 * probe is allowed (the open state, SACK, recovery.c), the probe timer
 * takes the timer over, whatever it stood for before, the reorder timer
 * too: RFC 8985 7.2 counts the PTO from the last transmission, and a
 * flight whose ACKs all go missing is then repaired by a probe 2 * SRTT
 * on, not by an RTO at least 200 ms on. Otherwise, as RFC 6298 5.1, the
 * RTO starts only when nothing was in flight (or not running); a probe
 * timer that may no longer stand becomes the RTO it stood in for, and
 * the reorder timer (in recovery) keeps its deadline.
 */
void xtcp_timer_on_send(struct sock *sk, bool was_idle)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool pending = timer_pending(&xs->rtx_timer);
	unsigned long when;

	if (xtcp_recovery_tlp_timeout(sk, false, &when))
		xtcp_timer_arm(sk, XTCP_EV_TLP, when);
	else if (!pending || was_idle)
		xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xs->rto);
	else if (xs->rtx_event == XTCP_EV_TLP)
		xtcp_timer_rearm_rto(sk);
}

/*
 * An ACK that restarts the timer (as->rearm, tcp_set_xmit_timer()):
 * one of new data, or a SACK as recovery.c's xtcp_sack_rearms() says,
 * and RACK armed no reorder timer on it. RFC 6298 5.2 and 5.3: stop the
 * timer when all data is acknowledged, else restart it; as the probe
 * timer wherever a probe is allowed (RFC 8985 7.2), even after a probe
 * or the reorder timer had re-armed it as the RTO. With unsent data held
 * back by a closed window it stays on as the persist timer.
 */
void xtcp_timer_on_ack(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long when;

	if (xs->snd_una != xs->snd_nxt) {
		if (xtcp_recovery_tlp_timeout(sk, true, &when))
			xtcp_timer_arm(sk, XTCP_EV_TLP, when);
		else
			xtcp_timer_rearm_rto(sk);
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
	xs->ack_now = 0;
	if (xs->quickack)
		xs->quickack--;
}

/*
 * How long an orphan waits in FIN_WAIT_2 for the peer's FIN: TCP_LINGER2,
 * else the fin_timeout parameter, and never less than 3.5 RTO, as Linux's
 * tcp_fin_time(). For linger2 >= 0 only.
 */
int xtcp_fin_time(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int rto = xs->rto;
	int tmo;

	tmo = READ_ONCE(xs->linger2) ? :
	      min_t(unsigned int, READ_ONCE(xtcp_fin_timeout), INT_MAX / HZ) *
	      HZ;
	return max(tmo, (rto << 2) - (rto >> 1));
}

/*
 * An orphan reached FIN_WAIT_2: close() found it there, or the ACK of its
 * FIN came after close() (input.c). With TCP_LINGER2 < 0 it is reset at
 * once, as tcp_close() does (and tcp_rcv_state_process(), which counts
 * TCPAbortOnData there; XTCP counts both as TCPAbortOnLinger). Else it
 * waits xtcp_fin_time() for the peer's FIN, which takes it into
 * TIME_WAIT (input.c xtcp_fin()). Linux moves it at once into a
 * FIN_WAIT2 timewait entry when that time is at most TIME_WAIT's 60 s;
 * XTCP keeps the socket instead, which answers the peer the same way
 * (a FIN: TIME_WAIT; new data: RST) and, like the entry, goes silently
 * when the time runs out (xtcp_timer_sk_handler()).
 */
void xtcp_timer_fin_wait2(struct sock *sk)
{
	if (READ_ONCE(xtcp_sk(sk)->linger2) < 0) {
		xtcp_send_active_reset(sk, GFP_ATOMIC, XTCP_MIB_RSTABORT);
		XTCP_INC_STATS(sock_net(sk), ABORTONLINGER);
		xtcp_done(sk);
		return;
	}
	sk_reset_timer(sk, &sk->sk_timer, jiffies + xtcp_fin_time(sk));
}

/*
 * Too many orphans in the netns (the max_orphans parameter): reset this
 * one, an orphan, and let it go, as Linux's tcp_check_oom() and its
 * callers, tcp_close() and tcp_out_of_resources(), do: RFC 9293 lets an
 * orphan finish on its own, but a peer that never closes or never ACKs
 * would hold it without end, and a host must be able to shed them (the
 * RST tells the peer at once). shift judges a timer's orphan harder
 * when it has been silent long or an ICMP error came. XTCP counts
 * exactly, per netns, where Linux compares a global sum refreshed
 * every 100 ms; and it has no tcp_mem limit to check beside. True when
 * the socket was reset (xtcp_done() destroyed it).
 */
bool xtcp_timer_orphan_oom(struct sock *sk, int shift)
{
	unsigned int n = atomic_read(&xtcp_net(sock_net(sk))->orphans);

	WARN_ON_ONCE(!sock_flag(sk, SOCK_DEAD));
	if ((u64)n << shift <= READ_ONCE(xtcp_max_orphans))
		return false;
	net_info_ratelimited("too many orphaned sockets\n");
	xtcp_send_active_reset(sk, GFP_ATOMIC, XTCP_MIB_RSTABORT);
	XTCP_INC_STATS(sock_net(sk), ABORTONMEMORY);
	xtcp_done(sk);
	return true;
}

/*
 * An orphan's RTO or zero-window probe is due: first, Linux's
 * tcp_out_of_resources(). One silent for more than 2 * RTO_MAX, or hit
 * by an ICMP error, counts double each time. XTCP always resets, as
 * Linux does for an orphan still backing off (it has no
 * tcp_orphan_retries to tell a dead one by).
 */
static bool xtcp_timer_orphan_out(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int shift = 0;

	if (!sock_flag(sk, SOCK_DEAD))
		return false;
	if ((s32)((u32)jiffies - xs->lsndtime) > 2 * XTCP_RTO_MAX)
		shift++;
	if (READ_ONCE(sk->sk_err_soft))
		shift++;
	return xtcp_timer_orphan_oom(sk, shift);
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
	/*
	 * RFC 6298 2.3's SRTT + 4 * RTTVAR, with Linux's 200 ms floor (not
	 * 2.4's 1 s) on the variance term, as tcp_rtt_estimator() keeps
	 * rttvar_us at least tcp_rto_min: the RTO is then SRTT past the
	 * floor. A floor on the sum instead left an RTO of exactly 200 ms
	 * on a fast path, no more than a Linux receiver's longest delayed
	 * ACK (TCP_DELACK_MAX), and such ACKs raced it into spurious RTOs.
	 */
	rto = usecs_to_jiffies(xs->srtt_us +
			       max_t(u32, 4 * xs->rttvar_us,
				     jiffies_to_usecs(XTCP_RTO_MIN)));
	rto = min_t(u32, rto, XTCP_RTO_MAX);
	xs->rto = min_t(u32, rto << xs->backoff, XTCP_RTO_MAX);
}

/* give up: tcp_write_err() */
static void xtcp_timer_give_up(struct sock *sk)
{
	sk->sk_err = sk->sk_err_soft ? : ETIMEDOUT;
	sk_error_report(sk);
	xtcp_done(sk);
	XTCP_INC_STATS(sock_net(sk), ABORTONTIMEOUT);
}

/*
 * TCP_USER_TIMEOUT ran out for the data the RTO is resending: Linux's
 * retransmits_timed_out() with icsk_user_timeout, counted from the first
 * retransmission of this episode (retrans_stamp, set by the RTO in
 * xtcp_timer_rtx_fire(); Linux also sets it on a fast retransmit). Only
 * once something was resent, as Linux asks icsk_retransmits first.
 */
static bool xtcp_timer_user_expired(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ut = READ_ONCE(xs->user_timeout);

	if (!ut || !xs->retries)
		return false;
	return (s32)((u32)jiffies - xs->retrans_stamp -
		     msecs_to_jiffies(ut)) >= 0;
}

/*
 * The next RTO, but no later than TCP_USER_TIMEOUT's end, so that the
 * give-up comes on time: tcp_clamp_rto_to_user_timeout().
 */
static u32 xtcp_timer_user_rto(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 ut = READ_ONCE(xs->user_timeout);
	s32 left;

	if (!ut)
		return xs->rto;
	left = xs->retrans_stamp + msecs_to_jiffies(ut) - (u32)jiffies;
	if (left <= 0)
		return 1;
	return min_t(u32, xs->rto, left);
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
	xtcp_send_probe(sk, XTCP_MIB_ZEROWINDOWPROBES);
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
		if (xs->send_head && !xtcp_timer_orphan_out(sk))
			xtcp_timer_probe(sk);
		return;
	}

	limit = sk->sk_state == TCP_SYN_SENT ?
		(xs->syn_retries ? : XTCP_SYN_RETRIES) :
					       XTCP_RETRIES2;
	if (xs->retries >= limit || xtcp_timer_user_expired(sk)) {
		xtcp_timer_give_up(sk);
		return;
	}
	if (xtcp_timer_orphan_out(sk))
		return;
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
	if (!xs->retries)
		xs->retrans_stamp = jiffies;
	xs->retries++;
	/* RFC 6298 5.5, capped as Linux's TCP_RTO_MAX */
	xs->backoff = min_t(u8, xs->backoff + 1, 16);
	xs->rto = min_t(u32, xs->rto * 2, XTCP_RTO_MAX);
	xtcp_timer_arm(sk, XTCP_EV_RTO, jiffies + xtcp_timer_user_rto(sk));
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

/* TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT or their parameters */
static u32 xtcp_keepalive_time_when(const struct xtcp_sock *xs)
{
	return READ_ONCE(xs->keepalive_time) ? :
	       clamp_t(unsigned int, READ_ONCE(xtcp_keepalive_time), 1,
		       INT_MAX / HZ) * HZ;
}

static u32 xtcp_keepalive_intvl_when(const struct xtcp_sock *xs)
{
	return READ_ONCE(xs->keepalive_intvl) ? :
	       clamp_t(unsigned int, READ_ONCE(xtcp_keepalive_intvl), 1,
		       INT_MAX / HZ) * HZ;
}

static u32 xtcp_keepalive_probes_max(const struct xtcp_sock *xs)
{
	return READ_ONCE(xs->keepalive_probes) ? :
	       READ_ONCE(xtcp_keepalive_probes);
}

/*
 * Since the peer last showed it is alive: Linux's keepalive_time_elapsed()
 * takes the later of the last data and the last ACK; every segment XTCP
 * accepts in a synchronized state carries an ACK (input.c, xtcp_ack()).
 */
static u32 xtcp_keepalive_elapsed(const struct xtcp_sock *xs)
{
	return (u32)jiffies - xs->rcv_tstamp;
}

static void xtcp_keepalive_reset(struct sock *sk, u32 when)
{
	sk_reset_timer(sk, &sk->sk_timer, jiffies + when);
}

/*
 * SO_KEEPALIVE, from sock_setsockopt() under the socket lock before it
 * sets SOCK_KEEPOPEN (struct proto's keepalive hook, like
 * tcp_set_keepalive()): a connection starts the timer or stops it. In
 * CLOSE and LISTEN only the flag matters, for a later connection and for
 * accepted children (xtcp_timer_established()).
 */
void xtcp_keepalive(struct sock *sk, int val)
{
	sock_owned_by_me(sk);
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (val && !sock_flag(sk, SOCK_KEEPOPEN))
		xtcp_keepalive_reset(sk,
				     xtcp_keepalive_time_when(xtcp_sk(sk)));
	else if (!val)
		sk_stop_timer(sk, &sk->sk_timer);
}

/*
 * The handshake completed (or a child was made): the peer was just heard
 * from, and with SO_KEEPALIVE the idle time starts, as
 * tcp_finish_connect() and tcp_create_openreq_child() arm it. Socket
 * lock, or the bh lock of a socket no process owns.
 */
void xtcp_timer_established(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->rcv_tstamp = jiffies;
	if (sock_flag(sk, SOCK_KEEPOPEN))
		xtcp_keepalive_reset(sk, xtcp_keepalive_time_when(xs));
}

/* what an accepted child keeps of its listener's options */
void xtcp_timer_init_child(const struct sock *lsk, struct sock *sk)
{
	const struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->keepalive_time = lxs->keepalive_time;
	xs->keepalive_intvl = lxs->keepalive_intvl;
	xs->keepalive_probes = lxs->keepalive_probes;
	xs->user_timeout = lxs->user_timeout;
	xs->linger2 = lxs->linger2;
}

/*
 * RFC 1122 4.2.3.6, as tcp_keepalive_timer(): after keepalive_time of
 * silence an ACK one below SND.UNA (xtcp_send_probe()), which the peer
 * must answer, every keepalive_intvl; any ACK from the peer counts as an
 * answer (xtcp_ack() clears probes, xtcp_info_on_ack() stamps rcv_tstamp). With
 * keepalive_probes unanswered, or with TCP_USER_TIMEOUT set, once that
 * long passed since the peer was last heard and a probe went unanswered,
 * the connection is reset and gives ETIMEDOUT. Not while data is in
 * flight or waiting: the retransmission timer watches the peer then.
 */
static void xtcp_timer_keepalive_fire(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 when = xtcp_keepalive_time_when(xs);
	u32 elapsed, ut;

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    ((1 << sk->sk_state) &
	     (TCPF_CLOSE | TCPF_SYN_SENT | TCPF_LISTEN)))
		return;
	if (xs->snd_una != xs->snd_nxt || xs->send_head)
		goto resched;

	elapsed = xtcp_keepalive_elapsed(xs);
	if (elapsed < when) {
		when -= elapsed;
		goto resched;
	}
	ut = READ_ONCE(xs->user_timeout);
	if ((ut && elapsed >= msecs_to_jiffies(ut) && xs->probes) ||
	    (!ut && xs->probes >= xtcp_keepalive_probes_max(xs))) {
		xtcp_send_active_reset(sk, GFP_ATOMIC, XTCP_MIB_RSTTIMEOUT);
		xtcp_timer_give_up(sk);
		return;
	}
	xtcp_send_probe(sk, XTCP_MIB_KEEPALIVE);
	xs->probes++;
	when = xtcp_keepalive_intvl_when(xs);
resched:
	xtcp_keepalive_reset(sk, when);
}

/*
 * sk_timer: an orphan's FIN_WAIT_2 ends here without a segment, as
 * Linux's FIN_WAIT2 timewait entry expires (xtcp_timer_fin_wait2() says
 * why XTCP has no such entry); else it is the keepalive timer.
 */
static void xtcp_timer_sk_handler(struct timer_list *t)
{
	struct sock *sk = from_timer(sk, t, sk_timer);

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		/* rare: try again shortly, like tcp_keepalive_timer() */
		sk_reset_timer(sk, &sk->sk_timer, jiffies + HZ / 20);
	} else if (sk->sk_state == TCP_FIN_WAIT2 &&
		   sock_flag(sk, SOCK_DEAD)) {
		xtcp_done(sk);
	} else {
		xtcp_timer_keepalive_fire(sk);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

/*
 * TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT and
 * TCP_LINGER2, with do_tcp_setsockopt()'s bounds and errno: an int (EINVAL
 * when shorter); idle and interval 1..32767 s, count 1..127, the user
 * timeout >= 0 ms (0: none), else EINVAL. TCP_LINGER2 takes any value:
 * < 0 stores -1 (an orphan reaching FIN_WAIT_2 is reset), 0 the
 * fin_timeout parameter, more than 120 s is cut to 120 s. A new idle time
 * applies at once to a connection with SO_KEEPALIVE, counted from when
 * the peer was last heard, as tcp_sock_set_keepidle_locked() does.
 */
int xtcp_timer_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			  unsigned int optlen)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	switch (optname) {
	case TCP_KEEPIDLE:
		if (val < 1 || val > XTCP_MAX_KEEPIDLE)
			return -EINVAL;
		break;
	case TCP_KEEPINTVL:
		if (val < 1 || val > XTCP_MAX_KEEPINTVL)
			return -EINVAL;
		break;
	case TCP_KEEPCNT:
		if (val < 1 || val > XTCP_MAX_KEEPCNT)
			return -EINVAL;
		break;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			return -EINVAL;
		break;
	case TCP_LINGER2:
		break;
	default:
		return -ENOPROTOOPT;
	}

	lock_sock(sk);
	switch (optname) {
	case TCP_KEEPIDLE:
		WRITE_ONCE(xs->keepalive_time, val * HZ);
		if (sock_flag(sk, SOCK_KEEPOPEN) &&
		    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))) {
			u32 elapsed = xtcp_keepalive_elapsed(xs);
			u32 when = val * HZ;

			xtcp_keepalive_reset(sk, when > elapsed ?
						 when - elapsed : 0);
		}
		break;
	case TCP_KEEPINTVL:
		WRITE_ONCE(xs->keepalive_intvl, val * HZ);
		break;
	case TCP_KEEPCNT:
		WRITE_ONCE(xs->keepalive_probes, val);
		break;
	case TCP_USER_TIMEOUT:
		WRITE_ONCE(xs->user_timeout, val);
		break;
	case TCP_LINGER2:
		if (val < 0)
			val = -1;
		else if (val > XTCP_FIN_TIMEOUT_MAX / HZ)
			val = XTCP_FIN_TIMEOUT_MAX;
		else
			val *= HZ;
		WRITE_ONCE(xs->linger2, val);
		break;
	}
	release_sock(sk);
	return 0;
}

/*
 * The value of one of those, as do_tcp_getsockopt() gives it: seconds,
 * a count, ms, seconds or -1. No lock: each is one READ_ONCE.
 */
int xtcp_timer_getsockopt(const struct sock *sk, int optname)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int linger2;

	switch (optname) {
	case TCP_KEEPIDLE:
		return xtcp_keepalive_time_when(xs) / HZ;
	case TCP_KEEPINTVL:
		return xtcp_keepalive_intvl_when(xs) / HZ;
	case TCP_KEEPCNT:
		return xtcp_keepalive_probes_max(xs);
	case TCP_USER_TIMEOUT:
		return READ_ONCE(xs->user_timeout);
	default:
		WARN_ON_ONCE(optname != TCP_LINGER2);
		linger2 = READ_ONCE(xs->linger2);
		if (linger2 < 0)
			return -1;
		return linger2 ? linger2 / HZ : READ_ONCE(xtcp_fin_timeout);
	}
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
	xs->ack_now = 0;
}
