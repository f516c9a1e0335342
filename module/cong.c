// SPDX-License-Identifier: GPL-2.0
/*
 * Congestion control: the framework of ops every algorithm plugs into,
 * like Linux's tcp_cong.c, and Reno (RFC 5681 slow start and congestion
 * avoidance). NewReno recovery (RFC 6582) is the stack's, not an
 * algorithm's: xtcp_cong_enter_recovery() and its siblings below keep it
 * and call the ops for what differs (ssthresh, state changes).
 *
 * cwnd and ssthresh count segments, as in Linux. The state changes of
 * recovery (recover, in_recovery through xtcp_cong_set_state()) and the
 * cwnd and ssthresh they set live here; when to enter, leave or undo an
 * episode, and cwnd during it (PRR), is recovery.c's.
 *
 * Algorithms sit on a list, registered at module init (Reno here, CUBIC in
 * cubic.c; a third one is one more file and one register call). A socket
 * points at its algorithm, chosen by name at socket() from the
 * congestion_control parameter (default "cubic", as Linux), by
 * TCP_CONGESTION, or from its listener. Algorithms are unregistered only
 * at module exit, when no socket is left, so sockets hold no reference.
 *
 * Module parameters:
 *	congestion_control		(0644) the default for new sockets; a
 *					write of a name not on the list fails
 *					with ENOENT, as the sysctl does
 *	available_congestion_control	(0444) the names on the list
 *	slow_start_after_idle		(0644) 1: cut cwnd after an idle
 *					period longer than the RTO, as
 *					net.ipv4.tcp_slow_start_after_idle
 */
#include <linux/module.h>
#include <linux/rculist.h>
#include "xtcp.h"

#define XTCP_CWND_MAX	65535U

static LIST_HEAD(xtcp_cong_list);	/* RCU readers; xtcp_cong_lock */
static DEFINE_SPINLOCK(xtcp_cong_lock);	/* writers of xtcp_cong_list */

/*
 * The default algorithm. The name is what the parameter holds, written
 * under kernel_param_lock (sysfs) or before init (insmod); the ops
 * pointer is what sockets read, published once the name resolved.
 */
static char xtcp_cong_default_name[XTCP_CA_NAME_MAX] = "cubic";
static const struct xtcp_cong_ops *xtcp_cong_default;	/* READ_ONCE */
static bool xtcp_cong_ready;	/* the list is up: names can be checked */

bool xtcp_slow_start_after_idle = true;
module_param_named(slow_start_after_idle, xtcp_slow_start_after_idle, bool,
		   0644);
MODULE_PARM_DESC(slow_start_after_idle,
		 "cut cwnd after an idle period longer than the RTO (RFC 5681 4.1)");

/* under rcu_read_lock() or xtcp_cong_lock */
static struct xtcp_cong_ops *xtcp_cong_find(const char *name)
{
	struct xtcp_cong_ops *ops;

	list_for_each_entry_rcu(ops, &xtcp_cong_list, list,
				lockdep_is_held(&xtcp_cong_lock)) {
		if (!strcmp(ops->name, name))
			return ops;
	}
	return NULL;
}

int xtcp_cong_register(struct xtcp_cong_ops *ops)
{
	int err = 0;

	if (!ops->ssthresh || !ops->cong_avoid || !ops->name[0]) {
		pr_err("congestion control %s lacks required ops\n", ops->name);
		return -EINVAL;
	}
	spin_lock(&xtcp_cong_lock);
	if (xtcp_cong_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail_rcu(&ops->list, &xtcp_cong_list);
	spin_unlock(&xtcp_cong_lock);
	return err;
}

/* module exit only: no socket points at ops any more */
void xtcp_cong_unregister(struct xtcp_cong_ops *ops)
{
	spin_lock(&xtcp_cong_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&xtcp_cong_lock);
	synchronize_rcu();
}

/*
 * congestion_control=NAME: like the net.ipv4.tcp_congestion_control
 * sysctl, an unknown name is refused (ENOENT) and the default stays.
 * At insmod time the list is not up yet: the name is kept and checked by
 * xtcp_cong_module_init(), which fails the load if it is unknown.
 */
static int xtcp_cong_param_set(const char *val, const struct kernel_param *kp)
{
	char name[XTCP_CA_NAME_MAX];
	const struct xtcp_cong_ops *ops;
	size_t len = strcspn(val, "\n");

	if (!len || len >= sizeof(name))
		return -EINVAL;
	memcpy(name, val, len);
	name[len] = 0;
	if (xtcp_cong_ready) {
		rcu_read_lock();
		ops = xtcp_cong_find(name);
		rcu_read_unlock();
		if (!ops)
			return -ENOENT;
		/* never freed while the module lives: no reference needed */
		WRITE_ONCE(xtcp_cong_default, ops);
	}
	strscpy(xtcp_cong_default_name, name, sizeof(xtcp_cong_default_name));
	return 0;
}

static int xtcp_cong_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", xtcp_cong_default_name);
}

static const struct kernel_param_ops xtcp_cong_param_ops = {
	.set	= xtcp_cong_param_set,
	.get	= xtcp_cong_param_get,
};

module_param_cb(congestion_control, &xtcp_cong_param_ops, NULL, 0644);
MODULE_PARM_DESC(congestion_control,
		 "default congestion control of new sockets (default cubic)");

/* the names, space-separated, as tcp_available_congestion_control */
static int xtcp_cong_avail_get(char *buf, const struct kernel_param *kp)
{
	struct xtcp_cong_ops *ops;
	int len = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(ops, &xtcp_cong_list, list)
		len += scnprintf(buf + len, PAGE_SIZE - len, "%s%s",
				 len ? " " : "", ops->name);
	rcu_read_unlock();
	len += scnprintf(buf + len, PAGE_SIZE - len, "\n");
	return len;
}

static const struct kernel_param_ops xtcp_cong_avail_ops = {
	.get	= xtcp_cong_avail_get,
};

module_param_cb(available_congestion_control, &xtcp_cong_avail_ops, NULL,
		0444);
MODULE_PARM_DESC(available_congestion_control,
		 "congestion control algorithms TCP_CONGESTION accepts");

/*
 * RFC 5681 3.1: in slow start cwnd grows by the segments acked, up to
 * ssthresh. Returns what is left over for congestion avoidance, as Linux's
 * tcp_slow_start().
 */
u32 xtcp_cong_slow_start(struct sock *sk, u32 acked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 cwnd = min(xs->snd_cwnd + acked, xs->snd_ssthresh);

	acked -= cwnd - xs->snd_cwnd;
	xs->snd_cwnd = min(cwnd, XTCP_CWND_MAX);
	return acked;
}

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
		acked = xtcp_cong_slow_start(sk, acked);
		if (!acked)
			return;
	}
	xs->snd_cwnd_cnt += acked;
	if (xs->snd_cwnd_cnt >= xs->snd_cwnd) {
		xs->snd_cwnd_cnt -= xs->snd_cwnd;
		xs->snd_cwnd = min(xs->snd_cwnd + 1, XTCP_CWND_MAX);
	}
}

static struct xtcp_cong_ops xtcp_reno = {
	.name		= "reno",
	.ssthresh	= xtcp_reno_ssthresh,
	.cong_avoid	= xtcp_reno_cong_avoid,
};

int xtcp_cong_module_init(void)
{
	const struct xtcp_cong_ops *ops;
	int err;

	err = xtcp_cong_register(&xtcp_reno);
	if (err)
		return err;
	err = xtcp_cubic_register();
	if (err)
		goto err_reno;
	rcu_read_lock();
	ops = xtcp_cong_find(xtcp_cong_default_name);
	rcu_read_unlock();
	if (!ops) {
		pr_err("congestion_control=%s: no such algorithm\n",
		       xtcp_cong_default_name);
		err = -ENOENT;
		goto err_cubic;
	}
	WRITE_ONCE(xtcp_cong_default, ops);
	xtcp_cong_ready = true;
	return 0;

err_cubic:
	xtcp_cubic_unregister();
err_reno:
	xtcp_cong_unregister(&xtcp_reno);
	return err;
}

void xtcp_cong_module_exit(void)
{
	xtcp_cong_ready = false;
	xtcp_cubic_unregister();
	xtcp_cong_unregister(&xtcp_reno);
}

/*
 * Every change of in_recovery after xtcp_cong_init(), as Linux's
 * tcp_set_ca_state(): the algorithm hears of the state before the stack
 * enters it (struct xtcp_cong_ops).
 */
void xtcp_cong_set_state(struct sock *sk, u8 state)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->cong->set_state)
		xs->cong->set_state(sk, state);
	xs->in_recovery = state;
}

static void xtcp_cong_event(struct sock *sk, enum xtcp_ca_event ev)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->cong->cwnd_event)
		xs->cong->cwnd_event(sk, ev);
}

/* a fresh start of the algorithm's own state, as tcp_init_congestion_control() */
static void xtcp_cong_ops_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	memset(xs->cong_priv, 0, sizeof(xs->cong_priv));
	if (xs->cong->init)
		xs->cong->init(sk);
}

/*
 * A new connection's congestion state (socket(), a child, disconnect()).
 * The algorithm is the one the socket has, which survives disconnect()
 * as in Linux, else the default.
 */
void xtcp_cong_init(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!xs->cong)
		xs->cong = READ_ONCE(xtcp_cong_default);
	xs->snd_cwnd = XTCP_INIT_CWND;
	xs->snd_ssthresh = 0x7fffffff;	/* RFC 5681 3.1: "arbitrarily high" */
	xs->snd_cwnd_cnt = 0;
	xs->in_recovery = XTCP_CA_OPEN;
	xs->lsndtime = 0;
	xs->rcvq_seq = 0;
	xs->rcvq_space = 0;
	xs->rcvq_time_us = 0;
	xtcp_cong_ops_init(sk);
}

/*
 * The handshake completed, as tcp_init_transfer(): a lost SYN taught
 * nothing about the path's capacity, so ssthresh is arbitrarily high
 * again and cwnd the initial window, or 1 after more than one SYN
 * timeout (RFC 6298 5.7's spirit; Linux's rule).
 */
void xtcp_cong_established(struct sock *sk, u32 syn_timeouts)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (!syn_timeouts)
		return;
	xs->snd_cwnd = syn_timeouts > 1 ? 1 : XTCP_INIT_CWND;
	xs->snd_ssthresh = 0x7fffffff;
	xs->snd_cwnd_cnt = 0;
	xtcp_cong_set_state(sk, XTCP_CA_OPEN);
	xtcp_cong_ops_init(sk);
}

/*
 * A listener's child: the listener's algorithm if TCP_CONGESTION chose
 * it, else the default of now, as Linux's tcp_ca_openreq_child() (the
 * child of a listener that never set TCP_CONGESTION follows a change of
 * the default made after listen()). Its first data must not look like a
 * restart after idle: the handshake just completed (Linux sets lsndtime
 * there too).
 */
void xtcp_cong_init_child(const struct sock *lsk, struct sock *sk)
{
	const struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_sock *xs = xtcp_sk(sk);

	xs->cong_user = lxs->cong_user;
	xs->cong = lxs->cong_user ? lxs->cong : READ_ONCE(xtcp_cong_default);
	xtcp_cong_ops_init(sk);
	xs->lsndtime = jiffies ? : 1;
	xtcp_buf_snd_expand(sk);
}

/*
 * TCP_CONGESTION: switch to the named algorithm, as
 * tcp_set_congestion_control(): ENOENT for an unknown name; cwnd and
 * ssthresh stay, the algorithm starts afresh. Linux also limits what an
 * unprivileged user may pick to tcp_allowed_congestion_control; all of
 * XTCP's algorithms are allowed.
 */
int xtcp_cong_set(struct sock *sk, const char *name)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_cong_ops *ops;

	sock_owned_by_me(sk);
	rcu_read_lock();
	ops = xtcp_cong_find(name);
	rcu_read_unlock();
	if (!ops)
		return -ENOENT;
	xs->cong_user = 1;
	if (ops == xs->cong)
		return 0;
	xs->cong = ops;
	xtcp_cong_ops_init(sk);
	return 0;
}

void xtcp_cong_on_ack(struct sock *sk, u32 acked, u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* cwnd grows in slow start after a timeout, never in fast recovery */
	if (xs->in_recovery != XTCP_CA_RECOVERY)
		xs->cong->cong_avoid(sk, acked);
	if (xs->cong->pkts_acked)
		xs->cong->pkts_acked(sk, acked, now_us);
	xtcp_buf_snd_expand(sk);
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
	xtcp_cong_set_state(sk, XTCP_CA_RECOVERY);
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
	xtcp_cong_set_state(sk, XTCP_CA_OPEN);
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
	xtcp_cong_set_state(sk, XTCP_CA_LOSS);
}

/*
 * The RTT sample of every ACK that (S)ACKed never-resent data, from the
 * newest such skb (recovery.c, xtcp_recovery_rtt()), for algorithms that
 * watch delay: HyStart's delay increase, as Linux's pkts_acked() sees.
 */
void xtcp_cong_rtt_sample(struct sock *sk, u32 rtt_us, u64 now_us)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->cong->rtt_sample && rtt_us)
		xs->cong->rtt_sample(sk, rtt_us, now_us);
}

/*
 * RFC 5681 4.1 ("Restarting Idle Connections") as Linux's
 * tcp_cwnd_restart() with tcp_slow_start_after_idle=1: after no data went
 * out for longer than the RTO, cwnd falls back to the restart window,
 * min(IW, cwnd), halved once per RTO of idleness rather than at once, so
 * that a connection idle for just over an RTO keeps most of what it
 * learnt. ssthresh first keeps 3/4 of the old cwnd (tcp_current_ssthresh()
 * outside recovery), so slow start climbs back there quickly. RFC 7661
 * would instead keep cwnd for a rate-limited sender; XTCP does as Linux.
 */
static void xtcp_cong_restart(struct sock *sk, s32 idle)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u32 restart = min_t(u32, XTCP_INIT_CWND, xs->snd_cwnd);
	u32 cwnd = xs->snd_cwnd;

	xtcp_cong_event(sk, XTCP_CA_EVENT_CWND_RESTART);
	xs->snd_ssthresh = max(xs->snd_ssthresh,
			       xs->snd_cwnd - xs->snd_cwnd / 4);
	for (idle -= xs->rto; idle > 0 && cwnd > restart; idle -= xs->rto)
		cwnd /= 2;
	xs->snd_cwnd = max(cwnd, restart);
	xs->snd_cwnd_cnt = 0;
	XTCP_INC_STATS(sock_net(sk), CWNDRESTART);
}

/*
 * output.c calls this before it sends from the write queue: when nothing
 * is in flight, the data about to go is the first after an idle period
 * (or ever). Restart the window if the idle period was longer than the
 * RTO, so that no whole cwnd leaves at line rate, and tell the algorithm
 * (CUBIC moves its epoch by the idle time). Like the checks Linux makes in
 * tcp_slow_start_after_idle_check() and tcp_event_data_sent().
 */
void xtcp_cong_tx_start(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	s32 idle;

	if (!xs->send_head || xs->snd_una != xs->snd_nxt || !xs->lsndtime ||
	    !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
				     TCPF_FIN_WAIT1 | TCPF_CLOSING |
				     TCPF_LAST_ACK)))
		return;
	/* the first data of a connection sizes its send buffer */
	xtcp_buf_snd_expand(sk);
	idle = (s32)((u32)jiffies - xs->lsndtime);
	if (READ_ONCE(xtcp_slow_start_after_idle) && idle > (s32)xs->rto &&
	    xs->in_recovery == XTCP_CA_OPEN)
		xtcp_cong_restart(sk, idle);
	xtcp_cong_event(sk, XTCP_CA_EVENT_TX_START);
	/* the event saw the idle time once; the next skb is not a start */
	xs->lsndtime = jiffies ? : 1;
}

/* output.c: a segment of the write queue left (its first transmission) */
void xtcp_cong_data_sent(struct sock *sk)
{
	xtcp_sk(sk)->lsndtime = jiffies ? : 1;
}

/*
 * The cwnd to restore when a reduction proved spurious (D-SACK or Eifel
 * undo), given the cwnd before it: the algorithm's undo_cwnd, else
 * Linux's tcp_reno_undo_cwnd(), the larger of the two.
 */
u32 xtcp_cong_undo_cwnd(struct sock *sk, u32 prior_cwnd)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->cong->undo_cwnd)
		return xs->cong->undo_cwnd(sk, prior_cwnd);
	return max(xs->snd_cwnd, prior_cwnd);
}
