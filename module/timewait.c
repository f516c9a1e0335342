// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT (RFC 9293 3.10.7.4 and 3.6.1) in a small entry. A connection
 * that enters TIME-WAIT leaves a struct xtcp_tw (xtcp.h) in the ehash
 * and bhash in its socket's place and the socket is closed at once, as
 * Linux's tcp_time_wait() leaves an inet_timewait_sock and calls
 * tcp_done(). The entry keeps what it needs to answer a retransmitted FIN
 * and to judge a new SYN, and holds the 4-tuple and the local port for
 * 2 MSL.
 *
 * Segments for an entry come to xtcp_timewait_rcv(), which returns a
 * verdict that xtcp_rcv() acts on, as tcp_timewait_state_process()
 * returns one to tcp_v4_rcv().
 *
 * Expiry: every entry lives 2 MSL from its creation or its last restart,
 * so a per-netns FIFO (struct xtcp_tw_row) is in expiry order: a restart
 * moves its entry to the tail. One timer, armed for the head, then
 * expires them in batches. That costs one list move per restart and no
 * timer per entry; 100,000 entries are 100,000 list nodes rather than as
 * many timers to add, modify and delete (Linux 6.1 gives each
 * inet_timewait_sock a timer of its own). msl_ms may change at run time:
 * an entry made after a shortening waits behind older ones, so it may
 * live up to the old 2 MSL; never less than the new one.
 *
 * Locks: the row lock (spin_lock_bh) guards the FIFO, each entry's
 * expires and dead, and count. The demux locks are taken after it is
 * dropped, never under it. Entries are freed after an RCU grace period,
 * since RX looks them up under rcu_read_lock() alone.
 */
#include <linux/slab.h>
#include <linux/tcp.h>
#include "xtcp.h"

/* entries one timer run expires at most, so that softirq stays short */
#define XTCP_TW_BATCH	1024

static struct kmem_cache *xtcp_tw_cache __ro_after_init;

static unsigned long xtcp_tw_timeout(void)
{
	return 2 * msecs_to_jiffies(READ_ONCE(xtcp_msl_ms));
}

static struct xtcp_tw_row *xtcp_tw_row(const struct xtcp_tw *tw)
{
	return &xtcp_net(read_pnet(&tw->hn.net))->tw;
}

static void xtcp_tw_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(xtcp_tw_cache, container_of(head, struct xtcp_tw, rcu));
}

void xtcp_timewait_put(struct xtcp_tw *tw)
{
	/* the FIFO let go of @fifo before the last reference could go */
	if (refcount_dec_and_test(&tw->refcnt))
		call_rcu(&tw->rcu, xtcp_tw_free_rcu);
}

/* Arms the row's timer for @tw, now at the tail, if nothing is pending. */
static void __xtcp_tw_arm(struct xtcp_tw_row *row, struct xtcp_tw *tw)
{
	lockdep_assert_held(&row->lock);
	if (!row->dying && !timer_pending(&row->timer))
		mod_timer(&row->timer, tw->expires);
}

/*
 * Takes @tw off its row: true if this call did (it was alive), and then
 * the caller owns its life reference. Under the row lock.
 */
static bool __xtcp_tw_unlink(struct xtcp_tw_row *row, struct xtcp_tw *tw)
{
	lockdep_assert_held(&row->lock);
	if (tw->dead)
		return false;
	tw->dead = 1;
	/* on the FIFO unless killed before xtcp_time_wait() put it there */
	if (!list_empty(&tw->fifo)) {
		list_del_init(&tw->fifo);
		row->count--;
	}
	return true;
}

/* The end of an entry that __xtcp_tw_unlink() took off its row. */
static void xtcp_tw_destroy(struct xtcp_tw *tw)
{
	xtcp_demux_unhash_tw(tw);
	xtcp_timewait_put(tw);
}

/*
 * Kills @tw at once: a new SYN took its 4-tuple over. The caller holds a
 * reference of its own; a second kill, or one racing expiry, does nothing.
 */
void xtcp_timewait_kill(struct xtcp_tw *tw)
{
	struct xtcp_tw_row *row = xtcp_tw_row(tw);
	bool alive;

	spin_lock_bh(&row->lock);
	alive = __xtcp_tw_unlink(row, tw);
	spin_unlock_bh(&row->lock);
	if (alive)
		xtcp_tw_destroy(tw);
}

/* RFC 9293 3.10.7.4: "restart the 2 MSL timeout" */
static void xtcp_tw_restart(struct xtcp_tw *tw)
{
	struct xtcp_tw_row *row = xtcp_tw_row(tw);

	spin_lock_bh(&row->lock);
	if (!tw->dead) {
		tw->expires = jiffies + xtcp_tw_timeout();
		list_move_tail(&tw->fifo, &row->fifo);
		__xtcp_tw_arm(row, tw);
	}
	spin_unlock_bh(&row->lock);
}

/*
 * The row's timer: expires the entries at the head whose time has come,
 * at most XTCP_TW_BATCH per run, and re-arms for what is left. Restarted
 * entries moved to the tail, so the head is always the first to go.
 */
static void xtcp_tw_row_expire(struct timer_list *t)
{
	struct xtcp_tw_row *row = from_timer(row, t, timer);
	struct xtcp_tw *tw, *tmp;
	unsigned int n = 0;
	LIST_HEAD(done);

	spin_lock(&row->lock);
	while ((tw = list_first_entry_or_null(&row->fifo, struct xtcp_tw,
					      fifo))) {
		if (time_before(jiffies, tw->expires)) {
			__xtcp_tw_arm(row, tw);
			break;
		}
		if (n++ == XTCP_TW_BATCH) {
			/* the rest in the next tick, after other softirqs */
			if (!row->dying)
				mod_timer(&row->timer, jiffies + 1);
			break;
		}
		tw->dead = 1;
		list_move_tail(&tw->fifo, &done);
		row->count--;
	}
	spin_unlock(&row->lock);

	list_for_each_entry_safe(tw, tmp, &done, fifo) {
		/* before the last put: @fifo shares its room with @rcu */
		list_del_init(&tw->fifo);
		xtcp_tw_destroy(tw);
	}
}

/*
 * Like tcp_time_wait(TCP_TIME_WAIT) then tcp_done(): called with @sk's
 * lock held, from RX (the FIN in FIN-WAIT-2, the ACK of our FIN in
 * CLOSING). Over max_tw_buckets, or out of memory, the socket just
 * closes, as Linux does on "time wait bucket table overflow".
 */
void xtcp_time_wait(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct net *net = sock_net(sk);
	struct xtcp_tw_row *row = &xtcp_net(net)->tw;
	struct xtcp_tw *tw = NULL;
	bool dying;
	s32 wnd;

	if (READ_ONCE(row->count) < READ_ONCE(xtcp_max_tw_buckets))
		tw = kmem_cache_alloc(xtcp_tw_cache, GFP_ATOMIC);
	if (!tw) {
		XTCP_INC_STATS(net, TWOVERFLOW);
		net_dbg_ratelimited("time wait bucket table overflow\n");
		goto done;
	}

	/* the keys its socket was hashed under */
	tw->hn = xs->hn;
	INIT_HLIST_NODE(&tw->hn.node);
	tw->hn.tw = 1;
	INIT_HLIST_NODE(&tw->bind_node);
	INIT_LIST_HEAD(&tw->fifo);
	/* its life, and ours until it is on the row */
	refcount_set(&tw->refcnt, 2);
	tw->snd_nxt = xs->snd_nxt;
	tw->rcv_nxt = xs->rcv_nxt;
	/* what is left of the window we offered, as tcp_receive_window() */
	wnd = xs->rcv_wup + xs->rcv_wnd - xs->rcv_nxt;
	tw->rcv_wnd = max(wnd, 0);
	tw->rcv_wscale = xs->wscale_ok ? xs->rcv_wscale : 0;
	tw->reuse = !!sk->sk_reuse;
	tw->reuseport = !!sk->sk_reuseport;
	tw->bound_dev_if = sk->sk_bound_dev_if;
	tw->port_by_connect = xtcp_sk(sk)->port_by_connect;
	tw->dead = 0;
	/* what tcp_time_wait() keeps for the timestamps, as tw_ts_recent */
	tw->tstamp_ok = xs->tstamp_ok;
	tw->tsoffset = xs->tsoffset;
	tw->ts_recent = xs->ts_recent;

	xtcp_demux_hash_tw(sk, tw);

	spin_lock_bh(&row->lock);
	/* a SYN may have killed it already, through the ehash */
	if (!tw->dead && !row->dying) {
		tw->expires = jiffies + xtcp_tw_timeout();
		list_add_tail(&tw->fifo, &row->fifo);
		row->count++;
		__xtcp_tw_arm(row, tw);
	}
	/* no socket is left to die with the netns, but never leak one */
	dying = row->dying && __xtcp_tw_unlink(row, tw);
	spin_unlock_bh(&row->lock);
	if (dying)
		xtcp_tw_destroy(tw);
	XTCP_INC_STATS(net, TW);
	xtcp_timewait_put(tw);

done:
	sk_stop_timer(sk, &xs->rtx_timer);
	xtcp_done(sk);
}

/*
 * RFC 7323 5.3 R1 in TIME-WAIT, as tcp_timewait_state_process() applies
 * tcp_paws_reject(): a segment whose TSval is older than TS.Recent is
 * an old duplicate. RSTs never get here (see below), and TS.Recent is
 * at most 2 MSL old, so RFC 7323 5.5's 24 days never come into it.
 */
static bool xtcp_tw_paws_reject(const struct xtcp_tw *tw,
				const struct xtcp_skb_cb *cb)
{
	u32 ts_recent = READ_ONCE(tw->ts_recent);

	/* as tcp_paws_check(): a TS.Recent of 0 proves nothing */
	return tw->tstamp_ok && cb->saw_tstamp && ts_recent &&
	       (s32)(cb->tsval - ts_recent) < 0;
}

/*
 * May this ACK-less SYN open a new incarnation of the 4-tuple? RFC 6191
 * 2, in Linux's more lenient form (tcp_timewait_state_process()): its
 * ISN is beyond the old RCV.NXT (RFC 1122 4.2.2.13), or, if the old
 * connection had timestamps, its TSval is newer than TS.Recent, whatever
 * its ISN; our TSval clock per address pair (xtcp_demux_ts_off()) makes
 * the peer's rise across incarnations as RFC 6191 needs. A SYN with an
 * old TSval never gets here: PAWS rejected it.
 */
static bool xtcp_tw_syn_ok(const struct xtcp_tw *tw,
			   const struct xtcp_skb_cb *cb)
{
	if (xtcp_after(cb->seq, tw->rcv_nxt))
		return true;
	return tw->tstamp_ok && cb->saw_tstamp &&
	       (s32)(cb->tsval - READ_ONCE(tw->ts_recent)) > 0;
}

/*
 * A segment for @tw: what to do with it, as tcp_timewait_state_process()
 * decides for the TIME_WAIT substate.
 *
 * RFC 9293 3.10.7.4: "The only thing that can arrive in this state is a
 * retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL
 * timeout." A RST is ignored, as RFC 1337 section 3 (fix F1) advises
 * against TIME-WAIT assassination; Linux does so with tcp_rfc1337=1.
 * With timestamps, PAWS first (RFC 7323 5.3): an old TSval is answered
 * with our ACK, counted in PAWSEstabRejected as Linux does, and restarts
 * the 2 MSL. A SYN that passes xtcp_tw_syn_ok() opens a new
 * incarnation: the caller kills the entry and looks the SYN up again,
 * for the listener. Any other segment is answered with our ACK (RFC
 * 9293's "acknowledge it"), and one carrying an ACK restarts the 2 MSL;
 * a bare in-window ACK (the peer's last one, repeated) only restarts it,
 * and its TSval becomes TS.Recent, as in Linux.
 */
enum xtcp_tw_verdict xtcp_timewait_rcv(struct xtcp_tw *tw,
				       const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u8 flags = cb->flags;
	bool paws;

	if (flags & XTCP_FLAG_RST)
		return XTCP_TW_DROP;

	paws = xtcp_tw_paws_reject(tw, cb);
	if (!paws && cb->seq == tw->rcv_nxt && cb->seq == cb->end_seq) {
		/* in window, no text: only a repeated ACK fits here */
		if (flags & XTCP_FLAG_ACK) {
			xtcp_tw_restart(tw);
			if (tw->tstamp_ok && cb->saw_tstamp)
				WRITE_ONCE(tw->ts_recent, cb->tsval);
		}
		return XTCP_TW_DROP;
	}

	if ((flags & (XTCP_FLAG_SYN | XTCP_FLAG_ACK)) == XTCP_FLAG_SYN &&
	    !paws && xtcp_tw_syn_ok(tw, cb))
		return XTCP_TW_SYN;

	if (paws)
		XTCP_INC_STATS(read_pnet(&tw->hn.net), PAWSESTABREJECTED);
	/*
	 * An ACK-less SYN below RCV.NXT may be an old duplicate or a new
	 * SYN with an unlucky ISN: answer it, but don't stretch the wait.
	 */
	if (paws || (flags & XTCP_FLAG_ACK))
		xtcp_tw_restart(tw);
	return XTCP_TW_ACK;
}

/*
 * The ACK of XTCP_TW_ACK, from the numbers the connection left
 * (tcp_v4_timewait_ack()). Sent with the netns's default TOS and TTL:
 * the entry does not keep the socket's IP_TOS and IP_TTL.
 */
void xtcp_timewait_send_ack(struct xtcp_tw *tw, const struct sk_buff *skb)
{
	struct xtcp_out_opts opts = { .tfo_len = -1 };

	/* RFC 7323 3.2: every segment, as tcp_v4_timewait_ack() */
	if (tw->tstamp_ok) {
		opts.ts = 1;
		opts.tsval = xtcp_ts_now() + tw->tsoffset;
		opts.tsecr = READ_ONCE(tw->ts_recent);
	}
	xtcp_send_ack_stateless(read_pnet(&tw->hn.net), skb, tw->snd_nxt,
				tw->rcv_nxt, tw->rcv_wnd >> tw->rcv_wscale,
				&opts);
}

void xtcp_timewait_net_init(struct net *net)
{
	struct xtcp_tw_row *row = &xtcp_net(net)->tw;

	spin_lock_init(&row->lock);
	INIT_LIST_HEAD(&row->fifo);
	timer_setup(&row->timer, xtcp_tw_row_expire, 0);
	row->count = 0;
	row->dying = false;
}

/*
 * netns exit, also for every netns at rmmod: kills every entry. Entries
 * hold no netns reference (as in Linux, whose tcp_twsk_purge() does this
 * job), so they don't keep a netns alive for 2 MSL. No socket is left to
 * make a new one; RX may still find one and restart or kill it, which
 * dead makes harmless.
 */
void xtcp_timewait_net_exit(struct net *net)
{
	struct xtcp_tw_row *row = &xtcp_net(net)->tw;
	struct xtcp_tw *tw, *tmp;
	LIST_HEAD(done);

	spin_lock_bh(&row->lock);
	row->dying = true;
	list_for_each_entry(tw, &row->fifo, fifo)
		tw->dead = 1;
	list_splice_init(&row->fifo, &done);
	row->count = 0;
	spin_unlock_bh(&row->lock);
	/* dying keeps it from being armed again */
	del_timer_sync(&row->timer);

	list_for_each_entry_safe(tw, tmp, &done, fifo) {
		list_del_init(&tw->fifo);
		xtcp_tw_destroy(tw);
		cond_resched();
	}
}

int xtcp_timewait_init(void)
{
	/* the budget: 120 bytes, with the timestamps */
	BUILD_BUG_ON(sizeof(struct xtcp_tw) > 128 - 8);
	xtcp_tw_cache = kmem_cache_create("xtcp_tw", sizeof(struct xtcp_tw),
					  0, 0, NULL);
	return xtcp_tw_cache ? 0 : -ENOMEM;
}

/* after every netns is gone and rcu_barrier(): every entry is freed */
void xtcp_timewait_uninit(void)
{
	kmem_cache_destroy(xtcp_tw_cache);
}
