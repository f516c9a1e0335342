// SPDX-License-Identifier: GPL-2.0
/*
 * Passive open: the SYN queue of half-open requests and the accept queue
 * of established children, both hanging off the listener.
 *
 * A request is a small struct, not a socket: the full socket is built only
 * when the handshake's last ACK arrives (RFC 9293 3.5), as Linux does with
 * request_sock. Unlike Linux, requests are not in the global demux table;
 * the listener keeps them in a small hash of its own, which a segment
 * reaches through the listener lookup.
 *
 * SYN cookies (RFC 4987 3.6, syncookie.c) take over when the SYN queue is
 * full, or for every SYN with syncookies=2, as Linux's tcp_conn_request():
 * the SYN-ACK carries its request in its ISS and TSval, and nothing is
 * queued. The ACK that echoes a valid cookie rebuilds the request on the
 * stack (xtcp_listen_cookie_ack()) and makes the child as any ACK does.
 *
 * A SYN with a valid TCP Fast Open cookie (RFC 7413, fastopen.c) skips
 * the request: xtcp_listen_fastopen() makes the child at once, in
 * SYN-RECEIVED, with the SYN's data on its receive queue and the child on
 * the accept queue, and the child sends and resends its own SYN-ACK from
 * its write queue, as Linux's tcp_fastopen_create_child() does.
 *
 * Locking: the SYN queue and the accept queue change only under the
 * listener's socket lock. xtcp_listen.lock additionally guards the SYN
 * hash so that /proc/net/xtcp can walk it without the socket lock.
 */
#include <linux/log2.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include "xtcp.h"
#include "syncookie.h"

/*
 * Bounds on the buckets of a listener's SYN hash, which has one bucket per
 * request the backlog allows, rounded up to a power of two: chains stay
 * short at a full queue without a large table for a small backlog.
 */
enum {
	XTCP_SYNQ_MIN_BUCKETS	= 8,
	XTCP_SYNQ_MAX_BUCKETS	= 1024,
};

struct xtcp_request {
	struct hlist_node node;		/* in xtcp_listen.syn_hash */
	__be32 laddr;
	__be32 raddr;
	__be16 rport;
	u16 mss;			/* effective send MSS */
	u16 advmss;
	u8 snd_wscale;
	u8 rcv_wscale;
	u8 wscale_ok:1,
	   sack_ok:1,			/* both offered SACK-permitted */
	   tstamp_ok:1;			/* both offered timestamps */
	u8 retries;			/* SYN-ACKs resent */
	/*
	 * Runs of the listener's timer for it (Linux's num_timeout), with
	 * a SYN-ACK resent or, under TCP_DEFER_ACCEPT, not; acked: a bare
	 * ACK completed the handshake and was dropped for the deferral.
	 */
	u8 timeouts;
	u8 acked:1,
	   /*
	    * never queued: a cookie SYN-ACK's, or one rebuilt from the
	    * cookie an ACK echoes (no RTT sample, no Fast Open)
	    */
	   syncookie:1;
	/* a cookie SYN-ACK's TSval, before tsoffset (xtcp_syncookie_tsval()) */
	u32 cookie_tsval;
	u32 ts_recent;			/* the SYN's TSval, if tstamp_ok */
	u32 tsoffset;			/* our TSval clock's, as the child's */
	u32 iss;
	u32 irs;
	u32 snd_wnd;			/* from the SYN, unscaled */
	u32 rcv_wnd;			/* announced in the SYN-ACK */
	u64 sent_us;			/* first SYN-ACK, for an RTT sample */
	unsigned long expires;		/* jiffies of the next resend */
};

struct xtcp_listen {
	/* guards syn_hash against /proc readers; leaf, BH-safe */
	spinlock_t lock;
	unsigned int syn_qlen;
	struct list_head accept_queue;	/* children, oldest first */
	/*
	 * jiffies of the last cookie sent, valid if cookie_sent: ACKs are
	 * checked for a cookie only within XTCP_SYNCOOKIE_VALID of it, as
	 * Linux's tcp_synq_no_recent_overflow(), so that a listener that is
	 * not flooded offers no cookie to guess. Listener's socket lock.
	 */
	unsigned long cookie_stamp;
	bool cookie_sent;
	struct rcu_head rcu;
	unsigned int syn_mask;		/* buckets - 1; set at listen() */
	struct hlist_head syn_hash[];
};

static struct kmem_cache *xtcp_request_cache;

/*
 * Keys the SYN hash, so that a peer can't pick addresses and ports that
 * chain a listener's whole SYN queue into one bucket. Taken at load time,
 * like demux.c's table keys; read-only afterwards.
 */
static hsiphash_key_t xtcp_synq_key __ro_after_init;

int xtcp_listen_init(void)
{
	get_random_bytes(&xtcp_synq_key, sizeof(xtcp_synq_key));
	xtcp_syncookie_init();
	xtcp_request_cache = KMEM_CACHE(xtcp_request, 0);
	return xtcp_request_cache ? 0 : -ENOMEM;
}

void xtcp_listen_uninit(void)
{
	kmem_cache_destroy(xtcp_request_cache);
}

static struct hlist_head *xtcp_listen_bucket(struct xtcp_listen *l,
					     __be32 raddr, __be16 rport)
{
	u32 h = hsiphash_2u32((__force u32)raddr, (__force u32)rport,
			      &xtcp_synq_key);

	return &l->syn_hash[h & l->syn_mask];
}

static struct xtcp_request *xtcp_listen_find(struct xtcp_listen *l,
					     __be32 raddr, __be16 rport,
					     __be32 laddr)
{
	struct xtcp_request *req;

	hlist_for_each_entry(req, xtcp_listen_bucket(l, raddr, rport), node)
		if (req->raddr == raddr && req->rport == rport &&
		    req->laddr == laddr)
			return req;
	return NULL;
}

static void xtcp_listen_drop_req(struct xtcp_listen *l,
				 struct xtcp_request *req)
{
	spin_lock_bh(&l->lock);
	hlist_del(&req->node);
	l->syn_qlen--;
	spin_unlock_bh(&l->lock);
	kmem_cache_free(xtcp_request_cache, req);
}

/*
 * A SYN-ACK answers each option of the SYN it offers too (RFC 7323 1.3,
 * RFC 2018 2), with a Fast Open cookie when @cookie is set.
 */
static void xtcp_listen_send_synack(struct sock *lsk,
				    const struct xtcp_request *req,
				    const u8 *cookie, unsigned int cookie_len)
{
	struct xtcp_out_opts o = {
		.mss = req->advmss,
		.ws_ok = req->wscale_ok,
		.ws = req->rcv_wscale,
		.sack_perm = req->sack_ok,
		.ts = req->tstamp_ok,
		.tsval = (req->syncookie ? req->cookie_tsval : xtcp_ts_now()) +
			 req->tsoffset,
		.tsecr = req->ts_recent,
		.tfo_cookie = cookie,
		.tfo_len = cookie ? cookie_len : -1,
	};

	xtcp_send_synack(lsk, req->laddr, req->raddr, htons(lsk->sk_num),
			 req->rport, req->iss, req->irs + 1, req->rcv_wnd, &o);
}

int xtcp_listen_start(struct sock *sk, int backlog)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_listen *l;
	unsigned int buckets, i;
	int err;

	/*
	 * Sized from the backlog of the first listen(); a later listen()
	 * that changes the backlog keeps the table, whose chains then grow
	 * or shrink on average. xtcp_listen_syn() admits at least 8.
	 */
	buckets = clamp_t(unsigned int, backlog, XTCP_SYNQ_MIN_BUCKETS,
			  XTCP_SYNQ_MAX_BUCKETS);
	buckets = roundup_pow_of_two(buckets);
	l = kzalloc(struct_size(l, syn_hash, buckets), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	spin_lock_init(&l->lock);
	l->syn_mask = buckets - 1;
	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&l->syn_hash[i]);
	INIT_LIST_HEAD(&l->accept_queue);

	if (!sk->sk_num) {
		err = xtcp_demux_autobind(sk);
		if (err) {
			err = -EAGAIN;	/* what inet_listen() says here */
			goto err_free;
		}
	}
	WRITE_ONCE(sk->sk_ack_backlog, 0);
	/* pairs with xtcp_listen_walk(): /proc sees @l initialised */
	smp_store_release(&xs->listen, l);
	/* LISTEN before the lhash publishes it: lookups check the state */
	xtcp_set_state(sk, TCP_LISTEN);
	err = xtcp_demux_listen_hash(sk);
	if (err)
		goto err_state;
	return 0;

err_state:
	/* pairs with the lockless state reads of demux and /proc */
	smp_store_release(&sk->sk_state, TCP_CLOSE);
	WRITE_ONCE(xs->listen, NULL);
	if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK)) {
		xtcp_demux_unbind(sk);
		sk->sk_num = 0;
	}
	/* a /proc walker may have picked @l up already */
	kfree_rcu(l, rcu);
	return err;
err_free:
	kfree(l);
	return err;
}

/* tear down a listener: RST to children nobody accepted, drop requests */
void xtcp_listen_stop(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_listen *l = xs->listen;
	struct xtcp_sock *child, *tmp;
	struct hlist_node *n;
	struct xtcp_request *req;
	unsigned int i;

	if (!l)
		return;
	/* no new segment finds it; those on their way see TCP_CLOSE below */
	xtcp_demux_listen_unhash(sk);
	sk_stop_timer(sk, &xs->rtx_timer);
	for (i = 0; i <= l->syn_mask; i++)
		hlist_for_each_entry_safe(req, n, &l->syn_hash[i], node)
			xtcp_listen_drop_req(l, req);

	/*
	 * Process context (close, shutdown, link removal): own each child
	 * as a process does, since link removal may also be locking it.
	 */
	list_for_each_entry_safe(child, tmp, &l->accept_queue, accept_node) {
		struct sock *csk = &child->sk;

		list_del_init(&child->accept_node);
		sk_acceptq_removed(sk);
		lock_sock_nested(csk, SINGLE_DEPTH_NESTING);
		sock_orphan(csk);
		xtcp_abort(csk, ECONNRESET);
		release_sock(csk);
		/* the accept queue's reference, once the user's to be */
		sock_put(csk);
	}

	xtcp_set_state(sk, TCP_CLOSE);
	WRITE_ONCE(xs->listen, NULL);
	/* /proc readers may still walk the SYN hash */
	kfree_rcu(l, rcu);
}

/*
 * The handshake completed: a full socket for the request, returned
 * bh-locked. Runs under the listener's lock in softirq or with BH disabled.
 * When skb is the SYN itself (Fast Open), the child is in SYN-RECEIVED,
 * its SYN-ACK still to send, and the SYN's window is its first, unscaled
 * (RFC 7323 2.2).
 */
static struct sock *xtcp_listen_child(struct sock *lsk,
				      const struct xtcp_request *req,
				      const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool fastopen = cb->flags & XTCP_FLAG_SYN;
	struct net *net = sock_net(lsk);
	struct xtcp_sock *xs;
	struct sock *sk;

	sk = sk_alloc(net, lsk->sk_family, GFP_ATOMIC, &xtcp_prot, false);
	if (!sk)
		return NULL;
	sock_init_data(NULL, sk);
	xtcp_sock_init_tcb(sk);
	xs = xtcp_sk(sk);

	/* what a clone of the listener would have carried over */
	sk->sk_flags = lsk->sk_flags & ~(1UL << SOCK_DEAD);
	sk->sk_userlocks = lsk->sk_userlocks & ~(SOCK_BINDADDR_LOCK |
						 SOCK_BINDPORT_LOCK);
	sk->sk_rcvbuf = lsk->sk_rcvbuf;
	sk->sk_sndbuf = lsk->sk_sndbuf;
	sk->sk_lingertime = lsk->sk_lingertime;
	sk->sk_rcvtimeo = lsk->sk_rcvtimeo;
	sk->sk_sndtimeo = lsk->sk_sndtimeo;
	sk->sk_rcvlowat = lsk->sk_rcvlowat;
	sk->sk_mark = lsk->sk_mark;
	/* not sk_priority: sk_clone_lock() clears it, the child sends with 0 */
	sk->sk_reuse = lsk->sk_reuse;
	/* as sk_clone_lock() copies them; the child joins no group */
	sk->sk_reuseport = lsk->sk_reuseport;
	sk->sk_bound_dev_if = lsk->sk_bound_dev_if;
	xs->nodelay = xtcp_sk(lsk)->nodelay;
	xs->corked = xtcp_sk(lsk)->corked;
	xs->user_mss = xtcp_sk(lsk)->user_mss;
	xs->syn_retries = xtcp_sk(lsk)->syn_retries;
	xtcp_timer_init_child(lsk, sk);

	sk->sk_rcv_saddr = req->laddr;
	sk->sk_daddr = req->raddr;
	sk->sk_dport = req->rport;
	xtcp_output_init_child(lsk, sk);

	xs->iss = req->iss;
	xs->snd_una = req->iss + 1;
	xs->snd_nxt = xs->snd_una;
	xs->write_seq = xs->snd_una;
	xs->irs = req->irs;
	xs->rcv_nxt = req->irs + 1;
	xs->copied_seq = xs->rcv_nxt;
	xs->rcv_wup = xs->rcv_nxt;
	xs->rcv_wnd = req->rcv_wnd;
	xs->wscale_ok = req->wscale_ok;
	xs->snd_wscale = req->snd_wscale;
	xs->rcv_wscale = req->rcv_wscale;
	xs->mss = req->mss;
	xs->advmss = req->advmss;
	xs->sack_ok = req->sack_ok;
	xs->tstamp_ok = req->tstamp_ok;
	xs->tsoffset = req->tsoffset;
	xs->ts_recent = req->ts_recent;
	xs->ts_recent_stamp = ktime_get_seconds();
	xtcp_cong_init_child(lsk, sk);
	if (fastopen) {
		/* the SYN-ACK, SND.NXT = ISS, is still to go */
		xs->snd_una = req->iss;
		xs->snd_nxt = req->iss;
		xs->write_seq = req->iss;
		xs->snd_wnd = req->snd_wnd;
		xs->max_window = req->snd_wnd;
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = req->iss;
	} else {
		/* the ACK completing the handshake is the first window update */
		xs->snd_wnd = (u32)cb->window << xs->snd_wscale;
		xs->max_window = max(xs->snd_wnd, req->snd_wnd);
		xs->snd_wl1 = cb->seq;
		xs->snd_wl2 = cb->ack_seq;
		/* the SYN-ACK's delivery, as tcp_rcv_state_process() counts */
		xs->info.delivered = 1;
		if (!req->retries && !req->syncookie)
			xtcp_timer_rtt_sample(sk, max_t(u32, xtcp_clock_us() -
							req->sent_us, 1));
	}

	/*
	 * Locked before it is hashed: once in the bind hash, link removal
	 * may lock_sock() it, and once in the ehash, softirq may deliver to
	 * it. Both wait until the caller has handed it the ACK.
	 */
	bh_lock_sock_nested(sk);
	xtcp_demux_inherit_port(lsk, sk);
	if (xtcp_demux_hash(sk)) {
		xtcp_demux_unbind(sk);
		bh_unlock_sock(sk);
		sk_free(sk);
		return NULL;
	}
	xtcp_set_state(sk, fastopen ? TCP_SYN_RECV : TCP_ESTABLISHED);
	xtcp_timer_established(sk);
	XTCP_INC_STATS(net, PASSIVEOPENS);
	return sk;
}

/*
 * A SYN with a valid Fast Open cookie (RFC 7413 4.2.2): the child now,
 * like tcp_fastopen_create_child(). Its SYN-ACK acknowledges the SYN's
 * data, which waits on its receive queue, and accept() hands it out
 * before the handshake completes. A FIN in the SYN is left unacknowledged
 * for the client to send again, as data beyond what we keep. Returns true
 * when the child took skb. Listener's lock, BH off.
 */
static bool xtcp_listen_fastopen(struct sock *lsk, struct xtcp_request *req,
				 struct sk_buff *skb)
{
	struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_sock *xs;
	struct sock *child;

	child = xtcp_listen_child(lsk, req, skb);
	if (!child)
		return false;
	xs = xtcp_sk(child);
	if (xtcp_queue_syn(child, GFP_ATOMIC)) {
		/* no SYN-ACK to send: gone again, unseen */
		xtcp_set_state(child, TCP_CLOSE);
		bh_unlock_sock(child);
		sk_free(child);
		return false;
	}
	xtcp_fastopen_child_slot(lsk, child);

	cb->seq = req->irs + 1;
	cb->flags &= ~(XTCP_FLAG_SYN | XTCP_FLAG_FIN);
	cb->end_seq = cb->seq + skb->len;
	if (skb->len) {
		xs->rcv_nxt = cb->end_seq;
		/* as tcp_fastopen_add_skb() counts the SYN's data */
		xs->info.bytes_received = skb->len;
		xs->syn_data_acked = 1;
		/* charged whatever the memory account says, as there */
		xtcp_buf_forced_schedule(child, skb->truesize);
		skb_set_owner_r(skb, child);
		__skb_queue_tail(&child->sk_receive_queue, skb);
	} else {
		consume_skb(skb);
	}
	xs->rcv_wup = xs->rcv_nxt;
	xtcp_write_xmit(child, XTCP_NAGLE_OFF);
	bh_unlock_sock(child);

	list_add_tail(&xs->accept_node, &lxs->listen->accept_queue);
	sk_acceptq_added(lsk);
	lsk->sk_data_ready(lsk);
	return true;
}

/*
 * TCP_DEFER_ACCEPT, as tcp_check_req(): while the request has seen fewer
 * timer runs than the option's count, the bare ACK that completes the
 * handshake makes no child; the request waits for the client's first
 * data (whose segment does make one) and remembers that the client got
 * this far. Returns true when @skb is to be dropped so.
 */
static bool xtcp_listen_defer(struct sock *lsk, struct xtcp_request *req,
			      const struct sk_buff *skb)
{
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (req->timeouts >= READ_ONCE(xtcp_sk(lsk)->defer_accept) ||
	    cb->end_seq != req->irs + 1)
		return false;
	req->acked = 1;
	XTCP_INC_STATS(sock_net(lsk), DEFERACCEPTDROP);
	return true;
}

/*
 * The ACK of @req's handshake is good: the child takes it and goes on
 * the accept queue. False, with skb left to the caller, when the accept
 * queue is full or no child could be made; @req is the caller's either
 * way (a queued request stays for the peer's next try, as
 * tcp_check_req() leaves it on a full queue).
 */
static bool xtcp_listen_complete(struct sock *lsk,
				 const struct xtcp_request *req,
				 struct sk_buff *skb)
{
	struct net *net = sock_net(lsk);
	struct sock *child;

	if (sk_acceptq_is_full(lsk)) {
		XTCP_INC_STATS(net, LISTENOVERFLOWS);
		XTCP_INC_STATS(net, LISTENDROPS);
		return false;
	}
	child = xtcp_listen_child(lsk, req, skb);
	if (!child) {
		XTCP_INC_STATS(net, DROP_NOMEM);
		XTCP_INC_STATS(net, LISTENDROPS);
		return false;
	}

	/* the ACK may carry data or even a FIN: the child takes it */
	xtcp_rcv_state_process(child, skb);
	xtcp_rcv_snd_check(child);
	bh_unlock_sock(child);

	list_add_tail(&xtcp_sk(child)->accept_node,
		      &xtcp_sk(lsk)->listen->accept_queue);
	sk_acceptq_added(lsk);
	lsk->sk_data_ready(lsk);
	return true;
}

/* a segment for a request in the SYN queue (RFC 9293 3.10.7.4, SYN-RECEIVED) */
static void xtcp_listen_req_rcv(struct sock *lsk, struct xtcp_request *req,
				struct sk_buff *skb)
{
	struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(lsk);

	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->seq == req->irs + 1)
			xtcp_listen_drop_req(lxs->listen, req);
		goto discard;
	}
	if (cb->flags & XTCP_FLAG_SYN) {
		/* a retransmitted SYN: our SYN-ACK was lost */
		if (cb->seq == req->irs)
			xtcp_listen_send_synack(lsk, req, NULL, 0);
		goto discard;
	}
	if (!(cb->flags & XTCP_FLAG_ACK))
		goto discard;
	if (cb->ack_seq != req->iss + 1) {
		XTCP_INC_STATS(net, DROP_ACK);
		xtcp_send_reset_reply(net, skb, XTCP_MIB_RSTBADACK);
		goto discard;
	}
	if (!xtcp_between(cb->seq, req->irs + 1, req->irs + 1 + req->rcv_wnd)) {
		XTCP_INC_STATS(net, DROP_SEQ);
		goto discard;
	}
	if (xtcp_listen_defer(lsk, req, skb))
		goto discard;
	/* else keep the request: the peer's retransmission retries */
	if (!xtcp_listen_complete(lsk, req, skb))
		goto discard;
	xtcp_listen_drop_req(lxs->listen, req);
	return;

discard:
	kfree_skb(skb);
}

/*
 * What a request takes from its SYN's options (@opts) and from the route
 * (@mtu), alike for a queued request, a cookie SYN-ACK's and one rebuilt
 * from a cookie, whose @opts are what the cookie kept.
 */
static void xtcp_listen_req_init(const struct sock *lsk,
				 struct xtcp_request *req,
				 const struct sk_buff *skb,
				 const struct xtcp_opts *opts, unsigned int mtu)
{
	const struct xtcp_sock *lxs = xtcp_sk(lsk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	u16 peer_mss;

	req->laddr = cb->daddr;
	req->raddr = cb->saddr;
	req->rport = tcp_hdr(skb)->source;
	req->wscale_ok = opts->wscale_ok;
	if (opts->wscale_ok) {
		req->snd_wscale = opts->wscale;
		req->rcv_wscale = xtcp_choose_wscale(lsk);
	}
	req->advmss = mtu - XTCP_IP_HDR_LEN - XTCP_HDR_LEN;
	if (lxs->user_mss)
		req->advmss = min(req->advmss, lxs->user_mss);
	peer_mss = opts->mss ? : XTCP_DEFAULT_MSS;
	req->mss = clamp_t(u16, peer_mss, XTCP_MIN_MSS, req->advmss);
	/* RFC 2018 2 and RFC 7323 3.2: only what the SYN offered */
	req->sack_ok = opts->sack_ok && READ_ONCE(xtcp_sack_enabled);
	if (opts->saw_tstamp && READ_ONCE(xtcp_timestamps_enabled)) {
		req->tstamp_ok = 1;
		req->ts_recent = opts->tsval;
		req->tsoffset = xtcp_demux_ts_off(req->laddr, req->raddr);
		/* each segment carries the option: room for it, as Linux */
		req->mss = max_t(int, req->mss - XTCP_TS_ALIGNED_LEN,
				 XTCP_MIN_MSS);
	}
	req->rcv_wnd = xtcp_initial_window(lsk);
}

/*
 * A SYN answered with a cookie, as tcp_conn_request() with want_cookie:
 * nothing is kept. Without timestamps the cookie has no room for window
 * scale and SACK-permitted, so the SYN-ACK offers neither (Linux clears
 * the SYN's options then too), and never Fast Open. The MSS the child
 * will use is the peer's rounded down to the cookie's table.
 */
static void xtcp_listen_send_cookie(struct sock *lsk, struct sk_buff *skb,
				    struct xtcp_opts *opts, unsigned int mtu)
{
	struct xtcp_listen *l = xtcp_sk(lsk)->listen;
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_request req = {};
	u16 peer_mss = opts->mss ? : XTCP_DEFAULT_MSS;

	if (!opts->saw_tstamp || !READ_ONCE(xtcp_timestamps_enabled)) {
		opts->saw_tstamp = 0;
		opts->wscale_ok = 0;
		opts->sack_ok = 0;
	}
	xtcp_listen_req_init(lsk, &req, skb, opts, mtu);
	req.syncookie = 1;
	req.irs = cb->seq;
	req.iss = xtcp_syncookie_iss(req.laddr, req.raddr, htons(lsk->sk_num),
				     req.rport, req.irs, &peer_mss);
	if (req.tstamp_ok)
		req.cookie_tsval = xtcp_syncookie_tsval(xtcp_ts_now(),
							req.wscale_ok,
							req.snd_wscale,
							req.sack_ok);
	l->cookie_stamp = jiffies;
	l->cookie_sent = true;
	XTCP_INC_STATS(sock_net(lsk), SYNCOOKIESSENT);
	xtcp_listen_send_synack(lsk, &req, NULL, 0);
}

/*
 * An ACK that matches no request: the handshake's last ACK for a cookie
 * SYN-ACK, if SEG.ACK - 1 is a cookie for this 4-tuple and SEG.SEQ - 1,
 * as cookie_v4_check(). Looked at only while the listener sends cookies
 * or did within a cookie's life. A valid cookie rebuilds the request on
 * the stack from what it and the echoed TSval kept, and the child is made
 * as for any request (no TCP_DEFER_ACCEPT wait: Linux makes the child at
 * once too). Returns false when the ACK is no cookie's, for the caller's
 * RST (RFC 9293 3.10.7.2, as Linux answers a failed cookie); true when
 * it took skb (a child, or dropped: accept queue full, no route).
 */
static bool xtcp_listen_cookie_ack(struct sock *lsk, struct sk_buff *skb)
{
	struct xtcp_listen *l = xtcp_sk(lsk)->listen;
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct net *net = sock_net(lsk);
	struct xtcp_opts ack_opts, opts = {};
	struct xtcp_request req = {};
	__be32 laddr = cb->daddr;
	unsigned int mtu;
	bool ws_ok, sack_ok;
	u8 ws;

	if (!xtcp_syncookies() || !l->cookie_sent ||
	    time_after(jiffies, l->cookie_stamp + XTCP_SYNCOOKIE_VALID))
		return false;
	opts.mss = xtcp_syncookie_check(cb->daddr, cb->saddr, th->dest,
					th->source, cb->seq - 1,
					cb->ack_seq - 1);
	if (!opts.mss) {
		XTCP_INC_STATS(net, SYNCOOKIESFAILED);
		return false;
	}
	XTCP_INC_STATS(net, SYNCOOKIESRECV);

	xtcp_parse_options(skb, &ack_opts);
	if (ack_opts.saw_tstamp) {
		/* timestamps turned off since: the peer still sends them */
		if (!READ_ONCE(xtcp_timestamps_enabled))
			return false;
		if (!xtcp_syncookie_ts_decode(ack_opts.tsecr -
					      xtcp_demux_ts_off(cb->daddr,
								cb->saddr),
					      &ws_ok, &ws, &sack_ok))
			return false;
		opts.saw_tstamp = 1;
		opts.tsval = ack_opts.tsval;
		opts.wscale_ok = ws_ok;
		opts.wscale = ws;
		opts.sack_ok = sack_ok;
	}
	if (xtcp_link_route(net, cb->saddr, &laddr, &mtu)) {
		XTCP_INC_STATS(net, DROP_NOROUTE);
		goto discard;
	}
	xtcp_listen_req_init(lsk, &req, skb, &opts, mtu);
	req.syncookie = 1;
	req.irs = cb->seq - 1;
	req.iss = cb->ack_seq - 1;
	if (xtcp_listen_complete(lsk, &req, skb))
		return true;
discard:
	kfree_skb(skb);
	return true;
}

/*
 * a SYN for the listener: a new request (RFC 9293 3.10.7.2), a cookie
 * SYN-ACK, or a Fast Open child at once. Returns true when skb was taken.
 */
static bool xtcp_listen_syn(struct sock *lsk, struct sk_buff *skb)
{
	struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_listen *l = lxs->listen;
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct net *net = sock_net(lsk);
	unsigned int mode = xtcp_syncookies();
	u8 cookie[XTCP_FASTOPEN_COOKIE_LEN];
	struct xtcp_request *req;
	unsigned int cookie_len = 0;
	bool want_cookie = false;
	struct xtcp_opts opts;
	__be32 laddr = cb->daddr;
	unsigned int mtu;

	/* as tcp_conn_request() and tcp_syn_flood_action() */
	if (mode == 2 ||
	    l->syn_qlen >= max_t(u32, READ_ONCE(lsk->sk_max_ack_backlog), 8)) {
		if (!mode) {
			XTCP_INC_STATS(net, REQQFULLDROP);
			XTCP_INC_STATS(net, LISTENDROPS);
			return false;
		}
		XTCP_INC_STATS(net, REQQFULLDOCOOKIES);
		want_cookie = true;
	}
	if (sk_acceptq_is_full(lsk)) {
		XTCP_INC_STATS(net, LISTENOVERFLOWS);
		XTCP_INC_STATS(net, LISTENDROPS);
		return false;
	}
	if (xtcp_link_route(net, cb->saddr, &laddr, &mtu)) {
		XTCP_INC_STATS(net, DROP_NOROUTE);
		return false;
	}
	xtcp_parse_options(skb, &opts);
	if (want_cookie) {
		xtcp_listen_send_cookie(lsk, skb, &opts, mtu);
		return false;
	}
	req = kmem_cache_zalloc(xtcp_request_cache, GFP_ATOMIC);
	if (!req) {
		XTCP_INC_STATS(net, DROP_NOMEM);
		return false;
	}
	xtcp_listen_req_init(lsk, req, skb, &opts, mtu);
	req->irs = cb->seq;
	req->iss = xtcp_demux_isn(req->laddr, req->raddr, htons(lsk->sk_num),
				  req->rport);
	req->snd_wnd = cb->window;
	req->sent_us = xtcp_clock_us();
	req->expires = jiffies + XTCP_TIMEOUT_INIT;

	/*
	 * RFC 7413 4.2, in tcp_try_fastopen()'s order: a valid cookie makes
	 * the child now; a request, or a wrong cookie, gets the right cookie
	 * in the SYN-ACK and the plain handshake, the data left for the
	 * client to send again. With Fast Open off here, or the listener's
	 * queue full, the SYN-ACK carries no cookie.
	 */
	if (opts.tfo_ok && !opts.tfo_len)
		XTCP_INC_STATS(net, FASTOPENCOOKIEREQD);
	if (opts.tfo_ok && xtcp_fastopen_enabled(XTCP_FASTOPEN_SERVER) &&
	    xtcp_fastopen_queue_check(lsk)) {
		if (opts.tfo_len &&
		    xtcp_fastopen_cookie_ok(lsk, cb->saddr, cb->daddr, &opts)) {
			if (xtcp_listen_fastopen(lsk, req, skb)) {
				XTCP_INC_STATS(net, FASTOPENPASSIVE);
				kmem_cache_free(xtcp_request_cache, req);
				return true;
			}
			XTCP_INC_STATS(net, FASTOPENPASSIVEFAIL);
		} else if (opts.tfo_len) {
			XTCP_INC_STATS(net, FASTOPENPASSIVEFAIL);
		}
		xtcp_fastopen_cookie(lsk, cb->saddr, cb->daddr, cookie);
		cookie_len = sizeof(cookie);
	}

	spin_lock_bh(&l->lock);
	hlist_add_head(&req->node, xtcp_listen_bucket(l, req->raddr,
						      req->rport));
	l->syn_qlen++;
	spin_unlock_bh(&l->lock);

	/* only the first SYN-ACK has the cookie, as tcp_rtx_synack() */
	xtcp_listen_send_synack(lsk, req, cookie_len ? cookie : NULL,
				cookie_len);
	/* the timer serves every request: it must fire at the earliest */
	if (!timer_pending(&lxs->rtx_timer) ||
	    time_before(req->expires, lxs->rtx_timer.expires))
		sk_reset_timer(lsk, &lxs->rtx_timer, req->expires);
	return false;
}

/*
 * A segment that found the listener but no request may belong to a child
 * that its request became after demux chose the listener for it. Demux
 * looks in the ehash first, so only a segment that was on its way
 * meanwhile gets here: one that waited in the listener's backlog behind
 * the handshake's ACK while a process owned the listener (accept() does,
 * between its sleeps), or one that waited on the listener's spinlock on
 * another CPU while that ACK made the child. The client sends its first
 * data right behind its ACK, so this is every short request/response
 * connection's race, and answering it with RFC 9293 3.10.7.2's RST for
 * "an ACK to a LISTEN socket" resets a connection that exists.
 *
 * Linux never gets here: its request is itself in the ehash
 * (TCP_NEW_SYN_RECV), so the data finds the request or, once
 * inet_csk_complete_hashdance() has swapped them, the child; tcp_v4_rcv()
 * never hands such a segment to the listener. Where two CPUs race for one
 * request, the loser (tcp_check_req() says req_stolen) looks the segment
 * up again and feeds it to the child. XTCP keeps requests private to the
 * listener and does the same here, the one place its race can end: the
 * child was hashed under the listener's lock, which we hold, so it is
 * found. It takes the segment as RX would have (xtcp_rcv_deliver()),
 * locked at subclass 1 under the listener (Documentation/locking.md), or
 * through its own backlog if a process owns it already. Returns true when
 * the segment went there.
 */
static bool xtcp_listen_to_child(struct sock *lsk, struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct sock *sk;

	/* the backlog runs in process context, outside RX's RCU section */
	rcu_read_lock();
	sk = xtcp_demux_lookup(sock_net(lsk), skb, cb->saddr,
			       tcp_hdr(skb)->source, cb->daddr,
			       tcp_hdr(skb)->dest, NULL);
	rcu_read_unlock();
	if (!sk)
		return false;
	/* a listener again (this one, or a more specific one since) */
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
		sock_put(sk);
		return false;
	}
	xtcp_rcv_deliver(sk, skb, SINGLE_DEPTH_NESTING);
	return true;
}

/* every segment that demux hands to a listener comes here */
void xtcp_listen_rcv(struct sock *lsk, struct sk_buff *skb)
{
	struct xtcp_listen *l = xtcp_sk(lsk)->listen;
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_request *req;

	if (!l)
		goto discard;
	req = xtcp_listen_find(l, cb->saddr, tcp_hdr(skb)->source, cb->daddr);
	if (req) {
		xtcp_listen_req_rcv(lsk, req, skb);
		return;
	}
	/*
	 * Not a SYN: sent in order, none comes after its handshake's ACK,
	 * and one for a TIME_WAIT 4-tuple is xtcp_rcv()'s to judge.
	 */
	if (!(cb->flags & XTCP_FLAG_SYN) && xtcp_listen_to_child(lsk, skb))
		return;
	if (cb->flags & XTCP_FLAG_RST)
		goto discard;
	if (cb->flags & XTCP_FLAG_ACK) {
		if (!(cb->flags & XTCP_FLAG_SYN) &&
		    xtcp_listen_cookie_ack(lsk, skb))
			return;
		/* RFC 9293 3.10.7.2: an ACK to a listener gets a RST */
		xtcp_send_reset_reply(sock_net(lsk), skb,
				      XTCP_MIB_RSTLISTENACK);
		goto discard;
	}
	if ((cb->flags & XTCP_FLAG_SYN) && xtcp_listen_syn(lsk, skb))
		return;
discard:
	kfree_skb(skb);
}

/*
 * One timer run for @req, whose time has come: false when it is to go,
 * else it has resent its SYN-ACK, or not, and has its next time. As
 * reqsk_timer_handler() and syn_ack_recalc(), without the shorter life
 * Linux gives old requests when the SYN queue is half full: after
 * XTCP_SYNACK_RETRIES runs a request goes, unless TCP_DEFER_ACCEPT is
 * waiting for the data of a client that ACKed, which it does for as many
 * runs as the option says. It resends nothing to such a client until
 * the last run, whose SYN-ACK asks the client for an ACK that, the
 * deferral over, makes the child.
 */
static bool xtcp_listen_req_timeout(struct sock *lsk,
				    struct xtcp_request *req,
				    unsigned long now)
{
	u8 defer = READ_ONCE(xtcp_sk(lsk)->defer_accept);
	bool expire, resend;

	expire = req->timeouts >= XTCP_SYNACK_RETRIES &&
		 (!defer || !req->acked || req->timeouts >= defer);
	if (expire)
		return false;
	resend = !defer || !req->acked || req->timeouts >= defer - 1;
	if (resend) {
		req->retries++;
		XTCP_INC_STATS(sock_net(lsk), SYNRETRANS);
		XTCP_INC_STATS(sock_net(lsk), RETRANSSEGS);
		xtcp_listen_send_synack(lsk, req, NULL, 0);
	}
	if (req->timeouts < U8_MAX)
		req->timeouts++;
	req->expires = now + min_t(unsigned long,
				   XTCP_TIMEOUT_INIT << min_t(u8, req->timeouts, 8),
				   XTCP_RTO_MAX);
	return true;
}

/*
 * TCP_DEFER_ACCEPT, as do_tcp_setsockopt() and do_tcp_getsockopt(): the
 * seconds become the number of SYN-ACK timeouts (1 s, doubling, at most
 * XTCP_RTO_MAX apart) that first add up to at least that long, and read
 * back as that sum (secs_to_retrans(), retrans_to_secs()). 0 or less
 * turns it off. Any state; children do not inherit it.
 */
void xtcp_listen_set_defer(struct sock *sk, int secs)
{
	int timeout = XTCP_TIMEOUT_INIT / HZ, period = timeout;
	int rto_max = XTCP_RTO_MAX / HZ;
	u8 n = 0;

	if (secs > 0) {
		n = 1;
		while (secs > period && n < U8_MAX) {
			n++;
			timeout = min(timeout << 1, rto_max);
			period += timeout;
		}
	}
	WRITE_ONCE(xtcp_sk(sk)->defer_accept, n);
}

int xtcp_listen_get_defer(const struct sock *sk)
{
	int timeout = XTCP_TIMEOUT_INIT / HZ, rto_max = XTCP_RTO_MAX / HZ;
	u8 n = READ_ONCE(xtcp_sk(sk)->defer_accept);
	int period = 0;

	if (n) {
		period = timeout;
		while (--n) {
			timeout = min(timeout << 1, rto_max);
			period += timeout;
		}
	}
	return period;
}

/* the listener's rtx_timer: resend SYN-ACKs with backoff, expire requests */
void xtcp_listen_timer(struct sock *lsk)
{
	struct xtcp_sock *lxs = xtcp_sk(lsk);
	struct xtcp_listen *l = lxs->listen;
	unsigned long now = jiffies, next = now + XTCP_RTO_MAX;
	struct xtcp_request *req;
	struct hlist_node *n;
	unsigned int i;

	if (!l || !l->syn_qlen)
		return;
	for (i = 0; i <= l->syn_mask; i++) {
		hlist_for_each_entry_safe(req, n, &l->syn_hash[i], node) {
			if (time_before(now, req->expires)) {
				if (time_before(req->expires, next))
					next = req->expires;
				continue;
			}
			if (!xtcp_listen_req_timeout(lsk, req, now)) {
				xtcp_listen_drop_req(l, req);
				continue;
			}
			if (time_before(req->expires, next))
				next = req->expires;
		}
	}
	if (l->syn_qlen)
		sk_reset_timer(lsk, &lxs->rtx_timer, next);
}

struct sock *xtcp_listen_accept(struct sock *sk, int flags, int *err)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_sock *child = NULL;
	long timeo;

	lock_sock(sk);
	*err = -EINVAL;
	if (sk->sk_state != TCP_LISTEN)
		goto out;
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	while (list_empty(&xs->listen->accept_queue)) {
		DEFINE_WAIT_FUNC(wait, woken_wake_function);

		*err = -EAGAIN;
		if (!timeo)
			goto out;
		add_wait_queue_exclusive(sk_sleep(sk), &wait);
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		remove_wait_queue(sk_sleep(sk), &wait);
		*err = -EINVAL;
		if (sk->sk_state != TCP_LISTEN)
			goto out;
		*err = sock_intr_errno(timeo);
		if (signal_pending(current))
			goto out;
	}
	child = list_first_entry(&xs->listen->accept_queue, struct xtcp_sock,
				 accept_node);
	list_del_init(&child->accept_node);
	sk_acceptq_removed(sk);
	*err = 0;
out:
	release_sock(sk);
	return child ? &child->sk : NULL;
}

void xtcp_listen_walk(struct sock *sk,
		      void (*fn)(struct sock *lsk, __be32 raddr, __be16 rport,
				 __be32 laddr, u32 expires, void *arg),
		      void *arg)
{
	/* pairs with xtcp_listen_start(): the lock and hash are set up */
	struct xtcp_listen *l = smp_load_acquire(&xtcp_sk(sk)->listen);
	struct xtcp_request *req;
	unsigned int i;

	/* under rcu_read_lock(): l is freed with kfree_rcu() */
	if (!l)
		return;
	spin_lock_bh(&l->lock);
	for (i = 0; i <= l->syn_mask; i++)
		hlist_for_each_entry(req, &l->syn_hash[i], node)
			fn(sk, req->raddr, req->rport, req->laddr,
			   req->expires, arg);
	spin_unlock_bh(&l->lock);
}
