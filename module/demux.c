// SPDX-License-Identifier: GPL-2.0
/*
 * Demultiplexing: which socket an arriving segment belongs to, which local
 * ports are taken, and the numbers a new connection starts from (ephemeral
 * port, RFC 6056; initial sequence number, RFC 6528).
 *
 * Two global tables serve every network namespace; the netns is part of
 * every key and is mixed into every hash (net_hash_mix()):
 *
 *  ehash	connected sockets, SYN_SENT to LAST_ACK, and TIME_WAIT
 *		entries, keyed by (netns, local address, local port, remote
 *		address, remote port) and chained through the struct
 *		xtcp_hnode both start with (xtcp.h), so one lookup finds
 *		either, as Linux's established hash holds sockets and
 *		inet_timewait_socks alike. Its locks are striped, like
 *		inet_ehash_locks_alloc() does for Linux's established hash.
 *  bhash	every socket that holds a local port: bound, listening or
 *		connected, keyed by (netns, port) and chained through
 *		sk->sk_bind_node; and, in a second chain of the same bucket,
 *		the TIME_WAIT entries holding the port (xtcp_tw.bind_node),
 *		which only the port and bind checks look at (Linux keeps
 *		them among a bind bucket's owners).
 *  lhash	listeners only, keyed by (netns, port) and chained through
 *		xtcp_sock.listen_node, as Linux's lhash2. A server's port
 *		holds every child it accepted in its bind chain, tens of
 *		thousands under churn; the listener lookup of each SYN walks
 *		this short chain instead.
 *
 * Readers (softirq RX, /proc) walk the chains under rcu_read_lock() alone.
 * Writers take the chain's spinlock with BHs off, because process context
 * (bind, connect, close) and softirq (accepted children, resets, TIME_WAIT
 * expiry) both write. Sockets are SOCK_RCU_FREE, so a reader may look at a
 * socket whose last reference is gone until the grace period ends; it keeps
 * one only if refcount_inc_not_zero() succeeds.
 *
 * Every table membership holds one socket reference: sock_hold() on insert,
 * __sock_put() on removal (the caller holds a reference of its own, so
 * removal never frees). A TIME_WAIT entry's memberships are covered by
 * the one reference of its life, which timewait.c drops after
 * xtcp_demux_unhash_tw(); entries are freed after a grace period too.
 *
 * Linux chains both tables with hlist_nulls, whose end marker tells a
 * reader that it followed a socket that moved to another chain (unhashed,
 * then hashed again under new keys, e.g. a connect() retried after a
 * failure), so that it may have skipped part of its own chain. XTCP keeps
 * plain hlists in xtcp_hnode.node and sk_bind_node, so that
 * hlist_unhashed() keeps its meaning for the rest of the module, and
 * detects such a walk with a seqcount next to each lock instead: removals
 * bump it, and a reader that found nothing checks it and walks again.
 * Insertions add at the head, which can't make a reader skip anything, so
 * they leave it alone.
 *
 * Lock order: a connect() that picks its port holds the port's bhash
 * bucket lock and takes the 4-tuple's ehash lock inside it, as
 * __inet_hash_connect() calls __inet_check_established() in Linux, so that
 * "every holder of the port got it from connect(), and this 4-tuple is
 * free", and the insertion into both tables are one step
 * (__xtcp_connect_take_port()). That is the only place where two demux
 * locks are held at once; nothing takes a bhash bucket lock under an ehash
 * lock.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/seqlock.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <net/ip.h>
#include <net/netns/hash.h>
#include <net/sock.h>
#include <net/sock_reuseport.h>

#include "xtcp.h"

enum {
	XTCP_EHASH_SIZE		= 1 << 16,	/* chains */
	XTCP_EHASH_LOCKS	= 1 << 10,	/* lock stripes, divides SIZE */
	XTCP_BHASH_SIZE		= 1 << 13,	/* chains, one lock each */
	XTCP_LHASH_SIZE		= 1 << 9,	/* chains, one lock each */
	XTCP_PERTURB_SIZE	= 1 << 12,	/* RFC 6056 3.3.4 table[] */
};

/*
 * One stripe of ehash locks, shared by XTCP_EHASH_SIZE / XTCP_EHASH_LOCKS
 * chains: those whose hash agrees with its index in the low bits.
 */
struct xtcp_ehash_lock {
	/*
	 * Protects insertion into and removal from its chains, and makes the
	 * duplicate 4-tuple check (__xtcp_ehash_unique()) atomic with the
	 * insert. Taken with spin_lock_bh() from process context (connect,
	 * close) and from softirq (passive open, reset, TIME_WAIT expiry),
	 * and with spin_lock() inside a bhash bucket lock by a connect()
	 * picking its port. A leaf lock.
	 */
	spinlock_t lock;
	/* bumped under @lock by removals; see the top of this file */
	seqcount_spinlock_t seq;
};

struct xtcp_bhash_bucket {
	/*
	 * Protects @chain, and makes "is this port free? then take it" one
	 * step, so that two racing binds can't both win. Taken with
	 * spin_lock_bh() from process context (bind, listen, connect, close,
	 * xtcp_demux_abort_collect()) and from softirq (accepted children,
	 * resets, TIME_WAIT expiry). Only a connect() picking its port
	 * takes another lock inside it: the ehash lock of its 4-tuple.
	 */
	spinlock_t lock;
	seqcount_spinlock_t seq;	/* as in struct xtcp_ehash_lock */
	struct hlist_head chain;	/* sockets, through sk_bind_node */
	struct hlist_head tw_chain;	/* TIME_WAIT entries, bind_node */
};

struct xtcp_lhash_bucket {
	/*
	 * Protects @chain, and makes listen()'s "no other listener on this
	 * port and address? then listen" one step. Taken with spin_lock_bh()
	 * from process context only (listen, close, link removal). Never
	 * held with a bhash lock; the only lock taken inside it is the
	 * core's reuseport_lock (SO_REUSEPORT groups, listen and unhash).
	 */
	spinlock_t lock;
	seqcount_spinlock_t seq;	/* as in struct xtcp_ehash_lock */
	struct hlist_head chain;	/* listeners, through listen_node */
};

/* Written once by xtcp_demux_init(), read-only afterwards. */
static struct hlist_head *xtcp_ehash __ro_after_init;
static struct xtcp_ehash_lock *xtcp_ehash_locks __ro_after_init;
static struct xtcp_bhash_bucket *xtcp_bhash __ro_after_init;
static struct xtcp_lhash_bucket *xtcp_lhash __ro_after_init;

/*
 * Per-boot secrets. The hash-table keys make chain lengths unpredictable
 * to a peer choosing addresses and ports; the others are RFC 6056's and
 * RFC 6528's secret_key.
 */
static hsiphash_key_t xtcp_ehash_key __ro_after_init;
static hsiphash_key_t xtcp_bhash_key __ro_after_init;
static hsiphash_key_t xtcp_lhash_key __ro_after_init;
static siphash_key_t xtcp_port_key __ro_after_init;
static siphash_key_t xtcp_isn_key __ro_after_init;
static siphash_key_t xtcp_ts_key __ro_after_init;	/* TSval offsets */

/*
 * RFC 6056 3.3.4 table[]: how far each group of connections has already
 * walked its part of the port range. No lock, as Linux's table_perturb: an
 * update lost between two CPUs only makes a later search start at a port
 * that may be taken, which that search then skips. The READ_ONCE() and
 * WRITE_ONCE() pair with each other.
 */
static u32 xtcp_port_perturb[XTCP_PERTURB_SIZE];

/* Called before linking a socket in, with its new ->next. */
static void xtcp_order_after_removal(void)
{
	/*
	 * A socket that moves from one chain to another gets a new ->next
	 * here. A reader that followed it off its old chain must then see
	 * the old chain's seqcount bumped by the removal: pairs with the
	 * smp_rmb() in read_seqcount_retry().
	 */
	smp_wmb();
}

/*
 * SO_BINDTODEVICE: two sockets can only clash on a port if they may see
 * the same packets, i.e. either is unbound or both are bound to one
 * device (inet_bind_conflict()'s first test).
 */
static bool xtcp_dev_overlap(int dev1, int dev2)
{
	return !dev1 || !dev2 || dev1 == dev2;
}

/*
 * May a socket bound to device @bound (0: none) take a segment that
 * arrived on @dif? Linux's inet_sk_bound_dev_eq() without l3mdev.
 */
static bool xtcp_dev_match(int bound, int dif)
{
	return !bound || bound == dif;
}

/* ehash */

static u32 xtcp_ehashfn(const struct net *net, __be32 laddr, u16 lport,
			__be32 raddr, __be16 rport)
{
	return hsiphash_4u32((__force u32)laddr, (__force u32)raddr,
			     (u32)lport << 16 | (__force u16)rport,
			     net_hash_mix(net), &xtcp_ehash_key);
}

static struct hlist_head *xtcp_ehash_chain(u32 hash)
{
	return &xtcp_ehash[hash & (XTCP_EHASH_SIZE - 1)];
}

static struct xtcp_ehash_lock *xtcp_ehash_lock(u32 hash)
{
	return &xtcp_ehash_locks[hash & (XTCP_EHASH_LOCKS - 1)];
}

/*
 * Lockless readers may see keys change under them; they re-check after
 * taking a reference.
 */
static bool xtcp_ehash_match(const struct xtcp_hnode *hn,
			     const struct net *net, __be32 laddr, u16 lport,
			     __be32 raddr, __be16 rport)
{
	return hn->laddr == laddr && hn->raddr == raddr &&
	       hn->lport == lport && hn->rport == rport &&
	       net_eq(read_pnet(&hn->net), net);
}

/* A reference on what @hn starts, unless its last one is gone. */
static bool xtcp_hnode_hold(struct xtcp_hnode *hn)
{
	if (hn->tw)
		return refcount_inc_not_zero(&xtcp_hnode_tw(hn)->refcnt);
	return refcount_inc_not_zero(&xtcp_hnode_sk(hn)->sk_refcnt);
}

/* The device @hn is bound to (SO_BINDTODEVICE), 0: none */
static int xtcp_hnode_dev(struct xtcp_hnode *hn)
{
	if (hn->tw)
		return xtcp_hnode_tw(hn)->bound_dev_if;
	return READ_ONCE(xtcp_hnode_sk(hn)->sk_bound_dev_if);
}

static void xtcp_hnode_put(struct xtcp_hnode *hn)
{
	if (hn->tw)
		xtcp_timewait_put(xtcp_hnode_tw(hn));
	else
		sock_put(xtcp_hnode_sk(hn));
}

/*
 * Like __inet_lookup_established(), without hlist_nulls (see the top):
 * a connection or a TIME_WAIT entry, with a reference.
 */
static struct xtcp_hnode *xtcp_ehash_lookup(const struct net *net,
					    __be32 laddr, u16 lport,
					    __be32 raddr, __be16 rport,
					    int dif)
{
	u32 hash = xtcp_ehashfn(net, laddr, lport, raddr, rport);
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(hash);
	struct hlist_head *chain = xtcp_ehash_chain(hash);
	struct xtcp_hnode *hn;
	unsigned int seq;

again:
	seq = read_seqcount_begin(&el->seq);
	hlist_for_each_entry_rcu(hn, chain, node) {
		if (hn->hash != hash ||
		    !xtcp_ehash_match(hn, net, laddr, lport, raddr, rport) ||
		    !xtcp_dev_match(xtcp_hnode_dev(hn), dif))
			continue;
		/*
		 * Dying: what took over its 4-tuple may follow (a TIME_WAIT
		 * entry replaces its socket in the chain, see
		 * xtcp_demux_hash_tw()).
		 */
		if (unlikely(!xtcp_hnode_hold(hn)))
			continue;
		/* It may have been rehashed under other keys meanwhile. */
		if (likely(xtcp_ehash_match(hn, net, laddr, lport, raddr,
					    rport)))
			return hn;
		xtcp_hnode_put(hn);
		goto again;
	}
	if (read_seqcount_retry(&el->seq, seq))
		goto again;
	return NULL;
}

/*
 * Is the 4-tuple free for a new connection of @net? Under the lock of its
 * ehash chain, so that the caller's insert makes check and insert one
 * step, as __inet_check_established() does.
 */
static bool __xtcp_ehash_unique(u32 hash, const struct net *net,
				__be32 laddr, u16 lport, __be32 raddr,
				__be16 rport)
{
	const struct xtcp_hnode *hn2;

	lockdep_assert_held(&xtcp_ehash_lock(hash)->lock);
	hlist_for_each_entry(hn2, xtcp_ehash_chain(hash), node) {
		if (hn2->hash != hash ||
		    !xtcp_ehash_match(hn2, net, laddr, lport, raddr, rport))
			continue;
		/*
		 * Taken, even by a connection in TIME_WAIT: XTCP does not
		 * implement tcp_tw_reuse. With it, Linux's tcp_twsk_unique()
		 * lets a connect() take a TIME_WAIT 4-tuple over when the
		 * entry saw timestamps (tw_ts_recent_stamp): PAWS then keeps
		 * the old incarnation's duplicates out of the new one, which
		 * starts at the old SND.NXT + 65535 + 2. Its default (2)
		 * allows that for loopback traffic only, which XTCP never
		 * carries (no loopback link), so a connect() here moves on to
		 * the next port as on Linux by default. A new incarnation
		 * from the peer's side is RFC 6191's (timewait.c,
		 * xtcp_tw_syn_ok()). To add tcp_tw_reuse: for a connect()
		 * (not an accepted child, which its listener's TIME_WAIT
		 * check handles), hand an entry with tstamp_ok back here for
		 * the caller to unhash once it has inserted, as
		 * __inet_check_established() does with *twp.
		 */
		return false;
	}
	return true;
}

/*
 * Links @sk into the ehash under @hash, whose lock the caller holds, with
 * the keys it has now.
 */
static void __xtcp_ehash_add(struct sock *sk, u32 hash)
{
	struct xtcp_hnode *hn = &xtcp_sk(sk)->hn;

	lockdep_assert_held(&xtcp_ehash_lock(hash)->lock);
	hn->hash = hash;
	hn->laddr = sk->sk_rcv_saddr;
	hn->raddr = sk->sk_daddr;
	hn->lport = sk->sk_num;
	hn->rport = sk->sk_dport;
	write_pnet(&hn->net, sock_net(sk));
	sock_hold(sk);
	xtcp_order_after_removal();
	hlist_add_head_rcu(&hn->node, xtcp_ehash_chain(hash));
}

/* bhash */

static struct xtcp_bhash_bucket *xtcp_bhash_bucket(const struct net *net,
						   u16 port)
{
	u32 hash = hsiphash_2u32(port, net_hash_mix(net), &xtcp_bhash_key);

	return &xtcp_bhash[hash & (XTCP_BHASH_SIZE - 1)];
}

static bool xtcp_addr_overlap(__be32 a, __be32 b)
{
	return !a || !b || a == b;
}

/*
 * SO_REUSEPORT: may @sk share a port and address with @sk2? Both set it
 * and belong to the same effective user, inet_bind_conflict()'s rule
 * (the user is the socket file's owner, sock_i_uid(), as in Linux: an
 * accepted child not yet handed out counts as root's). Linux also asks
 * that @sk not be in a reuseport group already (reuseport_cb_ok); an
 * XTCP socket joins a group only in listen() and leaves it when it
 * stops listening, so at bind and listen time it never is.
 */
static bool xtcp_reuseport_ok(const struct sock *sk, kuid_t uid,
			      const struct sock *sk2)
{
	return sk->sk_reuseport && sk2->sk_reuseport &&
	       uid_eq(uid, sock_i_uid((struct sock *)sk2));
}

/*
 * Takes @port for @sk: the caller checked that it may. @by_connect: it is
 * connect()'s autobind, and other connect()s may share the port.
 */
static void __xtcp_bhash_add(struct xtcp_bhash_bucket *b, struct sock *sk,
			     __be32 addr, u16 port, bool by_connect)
{
	lockdep_assert_held(&b->lock);
	/*
	 * Set the keys before hlist_add_head_rcu() publishes them. Lockless
	 * readers use READ_ONCE(): sock.c may still fill in a wildcard
	 * address at connect() time.
	 */
	WRITE_ONCE(sk->sk_rcv_saddr, addr);
	sk->sk_num = port;
	xtcp_sk(sk)->port_by_connect = by_connect;
	sock_hold(sk);
	xtcp_order_after_removal();
	hlist_add_head_rcu(&sk->sk_bind_node, &b->chain);
}

/* Does a TIME_WAIT entry of @net hold @port in @b? */
static bool __xtcp_port_taken_tw(const struct xtcp_bhash_bucket *b,
				 const struct net *net, u16 port)
{
	const struct xtcp_tw *tw;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(tw, &b->tw_chain, bind_node)
		if (tw->hn.lport == port && net_eq(read_pnet(&tw->hn.net), net))
			return true;
	return false;
}

/* A TIME_WAIT entry holds its port until it dies, like a socket. */
static bool __xtcp_port_taken(const struct xtcp_bhash_bucket *b,
			      const struct net *net, u16 port)
{
	const struct sock *sk2;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(sk2, &b->chain, sk_bind_node)
		if (sk2->sk_num == port && net_eq(sock_net(sk2), net))
			return true;
	return __xtcp_port_taken_tw(b, net, port);
}

/*
 * inet_csk_bind_conflict() against TIME_WAIT entries, which Linux keeps
 * among the bind bucket's owners with the sk_reuse of their socket: an
 * entry stands in the way of an overlapping address unless both the
 * binding socket and the entry's socket set SO_REUSEADDR (an entry never
 * listens).
 */
static bool __xtcp_bind_conflict_tw(const struct xtcp_bhash_bucket *b,
				    const struct sock *sk,
				    const struct net *net, __be32 addr,
				    u16 port)
{
	const struct xtcp_tw *tw;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(tw, &b->tw_chain, bind_node) {
		if (tw->hn.lport != port ||
		    !net_eq(read_pnet(&tw->hn.net), net) ||
		    !xtcp_addr_overlap(addr, tw->hn.laddr) ||
		    !xtcp_dev_overlap(sk->sk_bound_dev_if, tw->bound_dev_if))
			continue;
		if (sk->sk_reuse && tw->reuse)
			continue;
		/* a TIME_WAIT owner's uid is not checked, as in Linux */
		if (sk->sk_reuseport && tw->reuseport)
			continue;
		return true;
	}
	return false;
}

/*
 * May connect()'s autobind share the port that @sk2 holds? Only if @sk2
 * got it the same way, in any state (TIME_WAIT included): Linux's
 * __inet_hash_connect() shares only a bind bucket that connect() made
 * (fastreuse and fastreuseport -1), never one made by bind() or listen(),
 * nor one an accepted child shares with its listener. Unlike Linux, a
 * later bind() of the port with SO_REUSEADDR on both sides stops the
 * sharing (Linux's bucket stays at -1 then): an explicitly bound port is
 * never handed out by an autobind.
 */
static bool xtcp_port_holder_shareable(const struct sock *sk2)
{
	return xtcp_sk(sk2)->port_by_connect;
}

/*
 * Is every socket and TIME_WAIT entry of @net on @port one that connect()
 * may share it with?
 */
static bool __xtcp_port_connect_shareable(const struct xtcp_bhash_bucket *b,
					  const struct net *net, u16 port)
{
	const struct xtcp_tw *tw;
	const struct sock *sk2;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(sk2, &b->chain, sk_bind_node)
		if (sk2->sk_num == port && net_eq(sock_net(sk2), net) &&
		    !xtcp_port_holder_shareable(sk2))
			return false;
	hlist_for_each_entry(tw, &b->tw_chain, bind_node)
		if (tw->hn.lport == port &&
		    net_eq(read_pnet(&tw->hn.net), net) &&
		    !tw->port_by_connect)
			return false;
	return true;
}

/*
 * inet_csk_bind_conflict() as bind() calls it (relax and reuseport_ok),
 * without the fast-reuse cache of a bind bucket: two sockets of one
 * netns on one port clash when their addresses overlap (equal, or either
 * is the wildcard) and so do their bound devices (xtcp_dev_overlap()),
 * unless both set SO_REUSEADDR and the one already there is not
 * listening, or both set SO_REUSEPORT as one user (xtcp_reuseport_ok()).
 */
static bool __xtcp_bind_conflict(const struct xtcp_bhash_bucket *b,
				 const struct sock *sk, const struct net *net,
				 __be32 addr, u16 port)
{
	kuid_t uid = sock_i_uid((struct sock *)sk);
	const struct sock *sk2;

	lockdep_assert_held(&b->lock);
	hlist_for_each_entry(sk2, &b->chain, sk_bind_node) {
		if (sk2 == sk || sk2->sk_num != port ||
		    !net_eq(sock_net(sk2), net))
			continue;
		if (!xtcp_addr_overlap(addr, READ_ONCE(sk2->sk_rcv_saddr)) ||
		    !xtcp_dev_overlap(sk->sk_bound_dev_if,
				      READ_ONCE(sk2->sk_bound_dev_if)))
			continue;
		if (sk->sk_reuse && sk2->sk_reuse &&
		    sk2->sk_state != TCP_LISTEN)
			continue;
		if (xtcp_reuseport_ok(sk, uid, sk2))
			continue;
		return true;
	}
	return __xtcp_bind_conflict_tw(b, sk, net, addr, port);
}

/*
 * How well listener @sk fits a segment for @addr:@port that arrived on
 * device @dif, as compute_score() ranks listeners in Linux: -1 not at all,
 * else higher for a listener bound to @addr than for a wildcard one (Linux
 * looks for those first, inet_lhash2_lookup() with daddr, then with
 * INADDR_ANY) and, within each, higher for one bound to @dif.
 */
static int xtcp_listener_score(const struct sock *sk, const struct net *net,
			       __be32 addr, u16 port, int dif)
{
	__be32 rcv_saddr;
	int bound;

	if (READ_ONCE(sk->sk_state) != TCP_LISTEN || sk->sk_num != port ||
	    !net_eq(sock_net(sk), net))
		return -1;
	rcv_saddr = READ_ONCE(sk->sk_rcv_saddr);
	if (rcv_saddr && rcv_saddr != addr)
		return -1;
	bound = READ_ONCE(sk->sk_bound_dev_if);
	if (!xtcp_dev_match(bound, dif))
		return -1;
	return (rcv_saddr ? 2 : 0) + (bound ? 2 : 1);
}

/* lhash */

static struct xtcp_lhash_bucket *xtcp_lhash_bucket(const struct net *net,
						   u16 port)
{
	u32 hash = hsiphash_2u32(port, net_hash_mix(net), &xtcp_lhash_key);

	return &xtcp_lhash[hash & (XTCP_LHASH_SIZE - 1)];
}

/*
 * SO_REUSEPORT: @sk won the lookup and is in a reuseport group (all its
 * members listen on its address and device, xtcp_demux_listen_hash()):
 * the member the 4-tuple's hash picks, as inet_lookup_reuseport() does
 * with inet_ehashfn(). The same 4-tuple always picks the same member
 * while the group stays as it is, so the handshake's ACK finds the
 * listener whose SYN queue holds the request; a member that leaves takes
 * its requests along, and their ACKs then get the RST of a listener that
 * knows them not, as in Linux without tcp_migrate_req. A BPF program the
 * group has (SO_ATTACH_REUSEPORT_CBPF/EBPF) chooses instead, from @skb,
 * whose data is the payload. Returns @sk, or the member with a reference
 * in place of @sk's.
 */
static struct sock *xtcp_listener_reuseport(struct sock *sk, int score,
					    const struct net *net,
					    struct sk_buff *skb, __be32 saddr,
					    __be16 sport, __be32 daddr,
					    u16 hnum, int dif)
{
	u32 hash = xtcp_ehashfn(net, daddr, hnum, saddr, sport);
	struct sock *sk2;

	sk2 = reuseport_select_sock(sk, hash, skb, 0);
	if (!sk2 || sk2 == sk ||
	    unlikely(!refcount_inc_not_zero(&sk2->sk_refcnt)))
		return sk;
	/* It may have stopped listening since it was picked. */
	if (unlikely(xtcp_listener_score(sk2, net, daddr, hnum, dif) !=
		     score)) {
		sock_put(sk2);
		return sk;
	}
	sock_put(sk);
	return sk2;
}

/*
 * A listener for a segment that matched no connection: the best by
 * xtcp_listener_score(), as compute_score() ranks them in Linux, then
 * the member of its SO_REUSEPORT group that the 4-tuple picks. Without
 * SO_REUSEPORT, xtcp_demux_listen_hash() allows one listener per port,
 * address and device, so there is no tie to break.
 */
static struct sock *xtcp_listener_lookup(const struct net *net,
					 struct sk_buff *skb, __be32 saddr,
					 __be16 sport, __be32 addr, u16 port,
					 int dif)
{
	struct xtcp_lhash_bucket *b = xtcp_lhash_bucket(net, port);
	int score, hiscore;
	struct xtcp_sock *xs;
	struct sock *sk, *best;
	unsigned int seq;

again:
	best = NULL;
	hiscore = 0;
	seq = read_seqcount_begin(&b->seq);
	hlist_for_each_entry_rcu(xs, &b->chain, listen_node) {
		sk = &xs->sk;
		score = xtcp_listener_score(sk, net, addr, port, dif);
		if (score <= hiscore)
			continue;
		if (unlikely(!refcount_inc_not_zero(&sk->sk_refcnt)))
			continue;
		/* It may have closed or been rebound since the test. */
		if (unlikely(xtcp_listener_score(sk, net, addr, port, dif) !=
			     score)) {
			sock_put(sk);
			continue;
		}
		if (best)
			sock_put(best);
		best = sk;
		hiscore = score;
	}
	/* A walk led astray may have missed a better one. */
	if (read_seqcount_retry(&b->seq, seq)) {
		if (best)
			sock_put(best);
		goto again;
	}
	if (best && rcu_access_pointer(best->sk_reuseport_cb))
		best = xtcp_listener_reuseport(best, hiscore, net, skb, saddr,
					       sport, addr, port, dif);
	return best;
}

/*
 * connect()'s autobind tries @port for @sk, whose local address and remote
 * end are set: usable when every socket of the netns holding the port got
 * it from connect() too and the new 4-tuple is unique; then @sk joins the
 * bind hash and the ehash at once. Holding @b's lock while taking the
 * ehash lock makes check and insert one step against a connect() racing
 * for the same 4-tuple, whatever port it came through (a bound socket's
 * xtcp_demux_hash() checks under the same ehash lock): Linux's
 * __inet_hash_connect() and __inet_check_established() nest the same way.
 *
 * Returns 0 when taken, -EADDRINUSE to try the next port, -EADDRNOTAVAIL
 * when the local address has gone.
 */
static int __xtcp_connect_take_port(struct xtcp_bhash_bucket *b,
				    struct sock *sk, __be32 laddr, u16 port)
{
	struct net *net = sock_net(sk);
	__be32 raddr = sk->sk_daddr;
	__be16 rport = sk->sk_dport;
	u32 hash = xtcp_ehashfn(net, laddr, port, raddr, rport);
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(hash);
	int err = 0;

	lockdep_assert_held(&b->lock);
	if (!__xtcp_port_connect_shareable(b, net, port))
		return -EADDRINUSE;
	/*
	 * As in xtcp_demux_hash(): link removal aborts what it finds in the
	 * bind hash. If its walk of @b comes after us, it finds @sk; if it
	 * came before, our acquisition of @b's lock orders its dead flag,
	 * set before that walk, before this check, which then fails.
	 */
	if (!xtcp_link_addr_is_local(net, laddr))
		return -EADDRNOTAVAIL;

	spin_lock(&el->lock);
	if (__xtcp_ehash_unique(hash, net, laddr, port, raddr, rport)) {
		/* sk_num first: the ehash publishes the full 4-tuple */
		__xtcp_bhash_add(b, sk, laddr, port, true);
		__xtcp_ehash_add(sk, hash);
	} else {
		err = -EADDRINUSE;
	}
	spin_unlock(&el->lock);
	return err;
}

/*
 * The ephemeral range for @sk: the netns's ip_local_port_range, with an
 * end IP_LOCAL_PORT_RANGE set that lies inside it taken instead, as
 * inet_sk_get_local_port_range() does. The sysctl keeps low <= high, and
 * setsockopt() refuses lo > hi, so the result is never empty.
 */
static void xtcp_local_port_range(const struct sock *sk, int *low, int *high)
{
	u32 range = READ_ONCE(xtcp_sk(sk)->port_range);
	int lo, hi, sk_lo = range & 0xffff, sk_hi = range >> 16;

	inet_get_local_port_range(sock_net(sk), &lo, &hi);
	if (lo <= sk_lo && sk_lo <= hi)
		lo = sk_lo;
	if (lo <= sk_hi && sk_hi <= hi)
		hi = sk_hi;
	*low = lo;
	*high = hi;
}

/*
 * RFC 6056 3.3.4, Algorithm 4 ("Double-Hash Port Selection"):
 *
 *	offset = F(local_IP, remote_IP, remote_port, secret_key1)
 *	index = G(local_IP, remote_IP, remote_port, secret_key2)
 *	port = min + (offset + table[index] + i) % num, for i = 0, 1, ...
 *
 * Issue 16 asks for Algorithm 3 (3.3.3), the keyed hash of the destination
 * that picks where the search starts. Algorithm 4 is Algorithm 3 with
 * table[] in place of its single next_ephemeral counter, which would tell
 * one peer how many connections we made to others; table[index]
 * advancing by the number of ports tried gives the next connection to the
 * same peer a new port, while connections to other peers start elsewhere.
 * It is what Linux's __inet_hash_connect() does, so XTCP keeps it. F and
 * G are the two halves of one siphash. The netns is an input, so
 * namespaces don't learn of each other's connections.
 *
 * Which port is free depends on the caller, as in Linux:
 *  - connect() passes its remote end (@raddr is never 0 there): a port
 *    may be shared with other connect()s whose 4-tuples differ
 *    (__xtcp_connect_take_port()), so EADDRNOTAVAIL means that every port
 *    of the range is taken for this destination;
 *  - bind(port 0) and listen()'s autobind pass no remote end: a port is
 *    free only if no socket of the netns holds it; their offset then
 *    depends only on the local address and moves on through table[].
 *
 * Differences from Linux: no TIME_WAIT 4-tuple is taken over (see
 * __xtcp_ehash_unique()), and there is no even/odd split between
 * connect() and bind(0). Ports in ip_local_reserved_ports are skipped, as
 * Linux does.
 */
static int xtcp_demux_pick_port(struct sock *sk, __be32 laddr, __be32 raddr,
				__be16 rport)
{
	struct net *net = sock_net(sk);
	struct xtcp_bhash_bucket *b;
	u32 num, offset, index, i;
	int low, high, err;
	u16 port;
	u64 hash;

	xtcp_local_port_range(sk, &low, &high);
	num = high - low + 1;	/* the sysctl keeps low <= high */

	hash = siphash_4u32((__force u32)laddr, (__force u32)raddr,
			    (__force u16)rport, net_hash_mix(net),
			    &xtcp_port_key);
	index = (u32)hash & (XTCP_PERTURB_SIZE - 1);
	offset = ((u32)(hash >> 32) +
		  READ_ONCE(xtcp_port_perturb[index])) % num;

	for (i = 0; i < num; i++) {
		port = low + (offset + i) % num;
		if (inet_is_local_reserved_port(net, port))
			continue;

		b = xtcp_bhash_bucket(net, port);
		spin_lock_bh(&b->lock);
		if (raddr) {
			err = __xtcp_connect_take_port(b, sk, laddr, port);
		} else if (__xtcp_port_taken(b, net, port)) {
			err = -EADDRINUSE;
		} else {
			__xtcp_bhash_add(b, sk, laddr, port, false);
			err = 0;
		}
		spin_unlock_bh(&b->lock);

		if (!err) {
			WRITE_ONCE(xtcp_port_perturb[index],
				   READ_ONCE(xtcp_port_perturb[index]) + i + 1);
			return 0;
		}
		if (err != -EADDRINUSE)
			return err;
		/* A full range is tens of thousands of lock round trips. */
		cond_resched();
	}
	return -EADDRNOTAVAIL;
}

/*
 * Called from softirq RX under rcu_read_lock(): @saddr and @sport are the
 * segment's source (the remote end), @daddr and @dport its destination,
 * @skb the segment (data at its payload), whose skb_iif is the device it
 * came in on: a socket bound to another one (SO_BINDTODEVICE) is not a
 * match, as inet_sk_bound_dev_eq() rules in Linux.
 * Returns a connection or else a listener, with a reference. A TIME_WAIT
 * entry for the 4-tuple comes back in *@twp, with a reference, and NULL
 * is returned: its segments are for timewait.c to judge, never for a
 * listener. Without @twp such an entry just makes the lookup fail.
 */
struct sock *xtcp_demux_lookup(struct net *net, struct sk_buff *skb,
			       __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport,
			       struct xtcp_tw **twp)
{
	u16 hnum = ntohs(dport);
	int dif = skb->skb_iif;
	struct xtcp_hnode *hn;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "xtcp lookup outside RCU");

	if (twp)
		*twp = NULL;
	hn = xtcp_ehash_lookup(net, daddr, hnum, saddr, sport, dif);
	if (hn && !hn->tw)
		return xtcp_hnode_sk(hn);
	if (hn) {
		if (twp)
			*twp = xtcp_hnode_tw(hn);
		else
			xtcp_hnode_put(hn);
		return NULL;
	}
	return xtcp_listener_lookup(net, skb, saddr, sport, daddr, hnum, dif);
}

/*
 * Hashes the 4-tuple of a socket that has its port already: a connect()
 * after bind(), or an accepted child (connect()'s autobind hashes in
 * xtcp_demux_connect_port()). Connections are unique by 4-tuple and netns,
 * so a second one is refused even if the first is in TIME_WAIT
 * (__xtcp_ehash_unique()); whoever takes a TIME_WAIT 4-tuple over (a new
 * SYN arriving in TIME_WAIT, RFC 1122 4.2.2.13 and RFC 6191) unhashes the
 * TIME_WAIT socket first.
 *
 * xtcp_sock.hn belongs to this file: it keeps the keys and the hash, so
 * that unhash finds the lock even if the caller changed a key since.
 */
int xtcp_demux_hash(struct sock *sk)
{
	struct net *net = sock_net(sk);
	__be32 laddr = sk->sk_rcv_saddr, raddr = sk->sk_daddr;
	__be16 rport = sk->sk_dport;
	u16 lport = sk->sk_num;
	u32 hash = xtcp_ehashfn(net, laddr, lport, raddr, rport);
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(hash);
	int err = 0;

	if (WARN_ON_ONCE(xtcp_demux_hashed(sk)))
		return -EINVAL;
	/*
	 * The local address may have gone since the caller chose it: link
	 * removal aborts what it finds in the bind hash, and the caller's
	 * port is there already, so either that walk finds this socket or
	 * this check sees the link dead (xtcp_demux_abort_collect()). A
	 * socket bound to the wildcard got its address from connect()
	 * without a bucket lock: order that store before reading dead, as
	 * link_kill() orders dead before its walk reads the address.
	 */
	smp_mb();
	if (!xtcp_link_addr_is_local(net, laddr))
		return -EADDRNOTAVAIL;

	spin_lock_bh(&el->lock);
	/* a TIME_WAIT entry holds its 4-tuple too */
	if (__xtcp_ehash_unique(hash, net, laddr, lport, raddr, rport))
		__xtcp_ehash_add(sk, hash);
	else
		err = -EADDRNOTAVAIL;
	spin_unlock_bh(&el->lock);
	return err;
}

void xtcp_demux_unhash(struct sock *sk)
{
	struct xtcp_hnode *hn = &xtcp_sk(sk)->hn;
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(hn->hash);
	bool removed = false;

	spin_lock_bh(&el->lock);
	if (!hlist_unhashed(&hn->node)) {
		write_seqcount_begin(&el->seq);
		hlist_del_init_rcu(&hn->node);
		write_seqcount_end(&el->seq);
		removed = true;
	}
	spin_unlock_bh(&el->lock);

	if (removed)
		__sock_put(sk);
}

/* Is @sk in the ehash? (Linux's sk_hashed(), for our own linkage.) */
bool xtcp_demux_hashed(const struct sock *sk)
{
	return !hlist_unhashed_lockless(&xtcp_sk(sk)->hn.node);
}

/*
 * @sk enters TIME_WAIT: @tw takes its place in the ehash, in one step
 * under the chain lock so that no lookup in between finds neither (Linux's
 * inet_twsk_hashdance()), and joins the bind bucket of its port, where it
 * keeps the port taken (xtcp_demux_bind(), port choice) after @sk lets go.
 * The entry is added before the socket is removed: a reader on the socket
 * follows it on down the chain, and one that starts after the removal
 * meets the entry first. Called with @sk's lock held, from RX; @tw's keys
 * are set and its life reference covers both memberships.
 */
void xtcp_demux_hash_tw(struct sock *sk, struct xtcp_tw *tw)
{
	struct xtcp_hnode *hn = &xtcp_sk(sk)->hn;
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(tw->hn.hash);
	struct net *net = read_pnet(&tw->hn.net);
	struct xtcp_bhash_bucket *b = xtcp_bhash_bucket(net, tw->hn.lport);
	bool removed = false;

	spin_lock_bh(&b->lock);
	hlist_add_head_rcu(&tw->bind_node, &b->tw_chain);
	spin_unlock_bh(&b->lock);

	spin_lock_bh(&el->lock);
	xtcp_order_after_removal();
	hlist_add_head_rcu(&tw->hn.node, xtcp_ehash_chain(tw->hn.hash));
	if (!hlist_unhashed(&hn->node)) {
		write_seqcount_begin(&el->seq);
		hlist_del_init_rcu(&hn->node);
		write_seqcount_end(&el->seq);
		removed = true;
	}
	spin_unlock_bh(&el->lock);

	if (removed)
		__sock_put(sk);
}

/* The entry leaves both hashes; the caller then drops its reference. */
void xtcp_demux_unhash_tw(struct xtcp_tw *tw)
{
	struct xtcp_ehash_lock *el = xtcp_ehash_lock(tw->hn.hash);
	struct net *net = read_pnet(&tw->hn.net);
	struct xtcp_bhash_bucket *b = xtcp_bhash_bucket(net, tw->hn.lport);

	spin_lock_bh(&el->lock);
	if (!hlist_unhashed(&tw->hn.node)) {
		write_seqcount_begin(&el->seq);
		hlist_del_init_rcu(&tw->hn.node);
		write_seqcount_end(&el->seq);
	}
	spin_unlock_bh(&el->lock);

	spin_lock_bh(&b->lock);
	if (!hlist_unhashed(&tw->bind_node)) {
		write_seqcount_begin(&b->seq);
		hlist_del_init_rcu(&tw->bind_node);
		write_seqcount_end(&b->seq);
	}
	spin_unlock_bh(&b->lock);
}

/* Called with the socket lock held. Port 0 asks for an ephemeral port. */
int xtcp_demux_bind(struct sock *sk, __be32 addr, u16 port)
{
	struct net *net = sock_net(sk);
	struct xtcp_bhash_bucket *b;
	int err = 0;

	sock_owned_by_me(sk);
	if (WARN_ON_ONCE(!hlist_unhashed(&sk->sk_bind_node)))
		return -EINVAL;
	/* a range with no free port is "in use", as inet_csk_get_port() says */
	if (!port)
		return xtcp_demux_pick_port(sk, addr, 0, 0) ? -EADDRINUSE : 0;

	b = xtcp_bhash_bucket(net, port);
	spin_lock_bh(&b->lock);
	if (__xtcp_bind_conflict(b, sk, net, addr, port))
		err = -EADDRINUSE;
	else
		__xtcp_bhash_add(b, sk, addr, port, false);
	spin_unlock_bh(&b->lock);
	return err;
}

/* listen() on an unbound socket. Called with the socket lock held. */
int xtcp_demux_autobind(struct sock *sk)
{
	sock_owned_by_me(sk);
	if (WARN_ON_ONCE(!hlist_unhashed(&sk->sk_bind_node)))
		return -EINVAL;
	return xtcp_demux_pick_port(sk, sk->sk_rcv_saddr, 0, 0);
}

/*
 * connect() on a socket without a port (unbound, or bound to an address
 * only with IP_BIND_ADDRESS_NO_PORT), whose local address and remote end
 * are set: picks a port that other connect()s may share and hashes the
 * 4-tuple with it, in one step (__xtcp_connect_take_port()); the caller
 * must not call xtcp_demux_hash(). Called with the socket lock held.
 */
int xtcp_demux_connect_port(struct sock *sk)
{
	sock_owned_by_me(sk);
	if (WARN_ON_ONCE(!hlist_unhashed(&sk->sk_bind_node) ||
			 xtcp_demux_hashed(sk)))
		return -EINVAL;
	return xtcp_demux_pick_port(sk, sk->sk_rcv_saddr, sk->sk_daddr,
				    sk->sk_dport);
}

/*
 * listen() on a bound socket: a port, address and device may have one
 * listener, even among SO_REUSEADDR sockets, as inet_csk_listen_start()
 * re-checks with inet_csk_get_port(), unless all of them set SO_REUSEPORT
 * as one user; those form a reuseport group. The check and the insert
 * are one step under the lhash bucket lock, so of two racing listen()s
 * one fails. Called with the socket lock held, after the caller set
 * TCP_LISTEN.
 */
int xtcp_demux_listen_hash(struct sock *sk)
{
	struct net *net = sock_net(sk);
	u16 port = sk->sk_num;
	struct xtcp_lhash_bucket *b = xtcp_lhash_bucket(net, port);
	kuid_t uid = sock_i_uid(sk);
	struct sock *group = NULL;
	struct xtcp_sock *xs2;
	int err = 0;

	sock_owned_by_me(sk);
	if (WARN_ON_ONCE(!hlist_unhashed(&xtcp_sk(sk)->listen_node)))
		return -EINVAL;

	spin_lock_bh(&b->lock);
	hlist_for_each_entry(xs2, &b->chain, listen_node) {
		struct sock *sk2 = &xs2->sk;
		__be32 addr2 = READ_ONCE(sk2->sk_rcv_saddr);
		int dev2 = READ_ONCE(sk2->sk_bound_dev_if);

		if (sk2->sk_num != port || !net_eq(sock_net(sk2), net))
			continue;
		if (!xtcp_addr_overlap(sk->sk_rcv_saddr, addr2) ||
		    !xtcp_dev_overlap(sk->sk_bound_dev_if, dev2))
			continue;
		if (!xtcp_reuseport_ok(sk, uid, sk2)) {
			err = -EADDRINUSE;
			goto out;
		}
		/*
		 * inet_reuseport_add_sock(): a group is the listeners of
		 * one address (the wildcard apart) and one device.
		 */
		if (addr2 == sk->sk_rcv_saddr && dev2 == sk->sk_bound_dev_if)
			group = sk2;
	}
	/*
	 * SO_REUSEPORT: join the group of the listeners we share the port
	 * with, or start one, under the bucket lock like __inet_hash(), so
	 * that RX never sees a member outside its group. The core's
	 * sock_reuseport code serves any family: its group is an array of
	 * sockets with a lock of its own, and XTCP's lookup only asks it to
	 * pick (xtcp_listener_reuseport()).
	 */
	if (sk->sk_reuseport) {
		if (group)
			err = reuseport_add_sock(sk, group, !sk->sk_rcv_saddr);
		else
			err = reuseport_alloc(sk, !sk->sk_rcv_saddr);
		if (err)
			goto out;
	}
	sock_hold(sk);
	xtcp_order_after_removal();
	hlist_add_head_rcu(&xtcp_sk(sk)->listen_node, &b->chain);
out:
	spin_unlock_bh(&b->lock);
	return err;
}

/* The listener stops. Called with the socket lock held. */
void xtcp_demux_listen_unhash(struct sock *sk)
{
	struct xtcp_lhash_bucket *b = xtcp_lhash_bucket(sock_net(sk),
							sk->sk_num);
	struct xtcp_sock *xs = xtcp_sk(sk);
	bool removed = false;

	sock_owned_by_me(sk);
	spin_lock_bh(&b->lock);
	if (!hlist_unhashed(&xs->listen_node)) {
		write_seqcount_begin(&b->seq);
		hlist_del_init_rcu(&xs->listen_node);
		write_seqcount_end(&b->seq);
		removed = true;
	}
	/*
	 * Out of its SO_REUSEPORT group too, as inet_unhash() does: the
	 * others take its share of new connections at once. (No migration
	 * of its requests or children: reuseport_stop_listen_sock() does
	 * that only for IPPROTO_TCP sockets.)
	 */
	if (rcu_access_pointer(sk->sk_reuseport_cb))
		reuseport_detach_sock(sk);
	spin_unlock_bh(&b->lock);

	if (removed)
		__sock_put(sk);
}

/*
 * An accepted child shares its listener's port, as inet_csk_clone_lock()
 * and __inet_inherit_port() arrange in Linux: no conflict check, the
 * 4-tuple tells the child apart. Called from softirq, or from the backlog
 * in process context, with the listener's socket lock held.
 */
void xtcp_demux_inherit_port(struct sock *lsk, struct sock *child)
{
	u16 port = lsk->sk_num;
	struct xtcp_bhash_bucket *b = xtcp_bhash_bucket(sock_net(child), port);

	sock_owned_by_me(lsk);

	spin_lock_bh(&b->lock);
	__xtcp_bhash_add(b, child, child->sk_rcv_saddr, port, false);
	spin_unlock_bh(&b->lock);
}

/*
 * Gives the port back; sk->sk_num stays, for the caller to clear or keep.
 * Call it before changing sk->sk_num, which selects the bucket.
 */
void xtcp_demux_unbind(struct sock *sk)
{
	struct xtcp_bhash_bucket *b = xtcp_bhash_bucket(sock_net(sk),
							sk->sk_num);
	bool removed = false;

	spin_lock_bh(&b->lock);
	if (!hlist_unhashed(&sk->sk_bind_node)) {
		write_seqcount_begin(&b->seq);
		hlist_del_init_rcu(&sk->sk_bind_node);
		write_seqcount_end(&b->seq);
		removed = true;
	}
	spin_unlock_bh(&b->lock);

	if (removed)
		__sock_put(sk);
}

/* Does @sk hold a port on @addr in @net, whatever its state? */
static bool xtcp_abort_match(const struct sock *sk, const struct net *net,
			     __be32 addr)
{
	return READ_ONCE(sk->sk_rcv_saddr) == addr && net_eq(sock_net(sk), net);
}

static bool xtcp_abort_candidate(const struct sock *sk, const struct net *net,
				 __be32 addr)
{
	return xtcp_abort_match(sk, net, addr) &&
	       READ_ONCE(sk->sk_state) != TCP_CLOSE;
}

/* Takes the socket in its own time and aborts it; drops the caller's ref. */
static void xtcp_abort_one(struct sock *sk, const struct net *net,
			   __be32 addr)
{
	lock_sock(sk);
	/* It may have closed, or never got further than bind(). */
	if (xtcp_abort_candidate(sk, net, addr))
		xtcp_abort(sk, ECONNABORTED);
	release_sock(sk);
	sock_put(sk);
}

/*
 * The sockets on an address that is going, each with a reference, for
 * link.c to abort later (xtcp_demux_abort_collect()).
 */
struct xtcp_abort_set {
	struct net *net;	/* no reference: each socket holds it */
	__be32 addr;
	unsigned int n;
	unsigned int cap;
	struct sock **sk;	/* n sockets, room for cap */
};

/*
 * Adds every socket of @b on the set's address to @set, or none of them
 * if @set has no room: then *need says how many there were.
 */
static bool xtcp_bhash_collect(struct xtcp_bhash_bucket *b,
			       struct xtcp_abort_set *set, unsigned int *need)
{
	unsigned int first = set->n;
	struct sock *sk;

	*need = 0;
	spin_lock_bh(&b->lock);
	hlist_for_each_entry(sk, &b->chain, sk_bind_node) {
		if (!xtcp_abort_match(sk, set->net, set->addr))
			continue;
		(*need)++;
		if (set->n < set->cap) {
			sock_hold(sk);
			set->sk[set->n++] = sk;
		}
	}
	spin_unlock_bh(&b->lock);

	if (first + *need <= set->cap)
		return true;
	/* Too many: give this bucket's back, the caller grows the set. */
	while (set->n > first)
		sock_put(set->sk[--set->n]);
	return false;
}

static void xtcp_abort_set_free(struct xtcp_abort_set *set)
{
	while (set->n)
		sock_put(set->sk[--set->n]);
	kvfree(set->sk);
	kfree(set);
}

/*
 * @addr is leaving @net: collect every socket bound to it, whatever its
 * state, with a reference each, for xtcp_demux_abort_run(). Takes only
 * the bucket locks and never waits for a socket, so link.c calls it under
 * RTNL, at the moment the link dies. NULL when out of memory.
 *
 * Why any state, TCP_CLOSE included: a connect() that picked @addr before
 * the link died holds its socket lock from the route lookup to SYN_SENT,
 * and takes its port in the bind hash before xtcp_demux_hash(), which
 * refuses an address that is no longer local. For the bucket of that
 * port, either this walk's critical section comes after the connect()'s
 * and collects the socket, still in TCP_CLOSE maybe, which
 * xtcp_demux_abort_run() then aborts once connect() lets go of it; or it
 * comes before, and then the connect()'s acquisition of the bucket lock
 * orders the link's dead flag, set before this walk, before its check in
 * xtcp_demux_hash(), which fails. A child created from a segment that sat
 * in a listener's backlog is covered the same way
 * (xtcp_demux_inherit_port(), then xtcp_demux_hash()). A socket bound to
 * the wildcard port-wise is in the bind hash already, and connect() only
 * stores its address: there a full barrier on each side (link_kill()
 * between dead and this walk, xtcp_demux_hash() between the address and
 * its check) makes sure that one of them sees the other's store.
 */
struct xtcp_abort_set *xtcp_demux_abort_collect(struct net *net, __be32 addr)
{
	struct xtcp_abort_set *set;
	unsigned int i, need, cap;
	struct sock **grown;

	set = kzalloc(sizeof(*set), GFP_KERNEL);
	if (!set)
		return NULL;
	set->net = net;
	set->addr = addr;

	for (i = 0; i < XTCP_BHASH_SIZE; i++) {
		while (!xtcp_bhash_collect(&xtcp_bhash[i], set, &need)) {
			/* a listener's children all share its bucket */
			cap = max3(16U, 2 * set->cap, set->n + need);
			grown = kvmalloc_array(cap, sizeof(*grown), GFP_KERNEL);
			if (!grown) {
				xtcp_abort_set_free(set);
				return NULL;
			}
			if (set->n)
				memcpy(grown, set->sk, set->n * sizeof(*grown));
			kvfree(set->sk);
			set->sk = grown;
			set->cap = cap;
		}
		cond_resched();
	}
	return set;
}

/*
 * Aborts what xtcp_demux_abort_collect() found, as Linux's tcp_abort()
 * does for SOCK_DESTROY, and frees @set. Sockets now in TCP_CLOSE keep
 * their binding, as a socket bound to a vanished address does in Linux;
 * wildcard sockets were not collected.
 *
 * Process context, with no lock held: lock_sock() sleeps for as long as a
 * process owns the socket, so the caller must not hold RTNL, links_lock or
 * anything else others wait for (link.c runs it from a work item). A
 * socket a process owns now, such as one blocked in recv() on a faulting
 * page, may stay owned for long: those go last, so that one of them does
 * not hold up the others. Ownership is only a hint; lock_sock() waits
 * either way.
 */
void xtcp_demux_abort_run(struct xtcp_abort_set *set)
{
	unsigned int i;

	might_sleep();

	for (i = 0; i < set->n; i++) {
		if (sock_owned_by_user_nocheck(set->sk[i]))
			continue;
		xtcp_abort_one(set->sk[i], set->net, set->addr);
		set->sk[i] = NULL;
		cond_resched();
	}
	for (i = 0; i < set->n; i++) {
		if (!set->sk[i])
			continue;
		xtcp_abort_one(set->sk[i], set->net, set->addr);
		cond_resched();
	}
	set->n = 0;
	xtcp_abort_set_free(set);
}

/* A socket of @b to abort, with a reference; NULL when none is left. */
static struct sock *xtcp_bhash_grab(struct xtcp_bhash_bucket *b,
				    const struct net *net, __be32 addr)
{
	struct sock *sk;

	spin_lock_bh(&b->lock);
	hlist_for_each_entry(sk, &b->chain, sk_bind_node) {
		if (xtcp_abort_candidate(sk, net, addr)) {
			sock_hold(sk);
			break;
		}
	}
	spin_unlock_bh(&b->lock);
	return sk;
}

/*
 * xtcp_demux_abort_collect() and xtcp_demux_abort_run() in one, for when
 * the collection at removal time ran out of memory: same context rules as
 * xtcp_demux_abort_run(). If memory is still short, the sockets are taken
 * one at a time, and a connect() still between bind and SYN_SENT, which
 * looks closed, is left to xtcp_demux_hash().
 */
void xtcp_demux_abort_addr(struct net *net, __be32 addr)
{
	struct xtcp_abort_set *set;
	struct sock *sk;
	unsigned int i;
	bool stuck;

	might_sleep();

	set = xtcp_demux_abort_collect(net, addr);
	if (set) {
		xtcp_demux_abort_run(set);
		return;
	}
	for (i = 0; i < XTCP_BHASH_SIZE; i++) {
		while ((sk = xtcp_bhash_grab(&xtcp_bhash[i], net, addr))) {
			sock_hold(sk);
			xtcp_abort_one(sk, net, addr);
			/* xtcp_abort() ends in TCP_CLOSE: don't spin if not */
			stuck = xtcp_abort_candidate(sk, net, addr);
			sock_put(sk);
			if (WARN_ON_ONCE(stuck))
				break;
		}
		cond_resched();
	}
}

/*
 * Walks the sockets and TIME_WAIT entries of @net holding a port, bucket
 * by bucket (in each, its sockets, then its entries), for the
 * /proc/net/xtcp seq_file, which resumes where the last read() stopped as
 * tcp_seq_start() and tcp_seq_next() do for /proc/net/tcp: no read()
 * walks more than the sockets it prints plus the chain it resumes in.
 *
 * Returns the header (xtcp_hnode: a socket's, or an entry) of the one of
 * @net at index *@offset (counting only @net's) in bhash bucket *@bucket; if that chain has no more, the first of @net in
 * the next chain that has one, with *@bucket moved there and *@offset
 * reset to 0. Returns NULL, with *@bucket at the end, when the table is
 * done. To go on, the caller adds 1 to *@offset. Call under
 * rcu_read_lock(); no reference is taken. Between two calls a chain may
 * change: as with /proc/net/tcp, a socket that binds, unbinds or moves
 * meanwhile may be returned twice or not at all.
 */
struct xtcp_hnode *xtcp_demux_iter(struct net *net, unsigned int *bucket,
				   unsigned int *offset)
{
	struct xtcp_tw *tw;
	struct sock *sk;
	unsigned int n;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "xtcp iter outside RCU");

	for (; *bucket < XTCP_BHASH_SIZE; (*bucket)++, *offset = 0) {
		n = 0;
		hlist_for_each_entry_rcu(sk, &xtcp_bhash[*bucket].chain,
					 sk_bind_node) {
			if (!net_eq(sock_net(sk), net))
				continue;
			if (n++ == *offset)
				return &xtcp_sk(sk)->hn;
		}
		hlist_for_each_entry_rcu(tw, &xtcp_bhash[*bucket].tw_chain,
					 bind_node) {
			if (!net_eq(read_pnet(&tw->hn.net), net))
				continue;
			if (n++ == *offset)
				return &tw->hn;
		}
	}
	*offset = 0;
	return NULL;
}

/*
 * RFC 6528 section 3: ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey), M a timer ticking at least every 4 us (here
 * every 64 ns) and F a keyed hash an attacker can't compute (siphash). Each
 * 4-tuple gets its own sequence space that still moves forward in time,
 * as RFC 9293 3.4.1 asks. Linux's secure_tcp_seq() does the same; XTCP
 * derives no timestamp offset (secure_tcp_ts_off()) next to it. Like
 * Linux, the netns is no input: 4-tuples are told apart already.
 * @saddr and @sport are the local end, @daddr and @dport the remote one.
 */
u32 xtcp_demux_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				(__force u32)sport << 16 | (__force u32)dport,
				&xtcp_isn_key);

	return hash + (u32)(ktime_get_real_ns() >> 6);
}

/*
 * The offset of a connection's TSval clock (RFC 7323 5.4 and 7.1), from
 * the address pair alone, as Linux's secure_tcp_ts_off(): the clock of
 * our connections with one peer ticks as one, which RFC 6191's recycling
 * of TIME_WAIT 4-tuples relies on, while no two peers see the same one.
 */
u32 xtcp_demux_ts_off(__be32 saddr, __be32 daddr)
{
	return siphash_2u32((__force u32)saddr, (__force u32)daddr,
			    &xtcp_ts_key);
}

int xtcp_demux_init(void)
{
	unsigned int i;

	xtcp_ehash = kvmalloc_array(XTCP_EHASH_SIZE, sizeof(*xtcp_ehash),
				    GFP_KERNEL);
	if (!xtcp_ehash)
		return -ENOMEM;

	xtcp_ehash_locks = kvmalloc_array(XTCP_EHASH_LOCKS,
					  sizeof(*xtcp_ehash_locks),
					  GFP_KERNEL);
	if (!xtcp_ehash_locks)
		goto err_free_ehash;

	xtcp_bhash = kvmalloc_array(XTCP_BHASH_SIZE, sizeof(*xtcp_bhash),
				    GFP_KERNEL);
	if (!xtcp_bhash)
		goto err_free_ehash_locks;

	xtcp_lhash = kvmalloc_array(XTCP_LHASH_SIZE, sizeof(*xtcp_lhash),
				    GFP_KERNEL);
	if (!xtcp_lhash)
		goto err_free_bhash;

	for (i = 0; i < XTCP_EHASH_SIZE; i++)
		INIT_HLIST_HEAD(&xtcp_ehash[i]);
	for (i = 0; i < XTCP_EHASH_LOCKS; i++) {
		spin_lock_init(&xtcp_ehash_locks[i].lock);
		seqcount_spinlock_init(&xtcp_ehash_locks[i].seq,
				       &xtcp_ehash_locks[i].lock);
	}
	for (i = 0; i < XTCP_BHASH_SIZE; i++) {
		spin_lock_init(&xtcp_bhash[i].lock);
		seqcount_spinlock_init(&xtcp_bhash[i].seq,
				       &xtcp_bhash[i].lock);
		INIT_HLIST_HEAD(&xtcp_bhash[i].chain);
		INIT_HLIST_HEAD(&xtcp_bhash[i].tw_chain);
	}
	for (i = 0; i < XTCP_LHASH_SIZE; i++) {
		spin_lock_init(&xtcp_lhash[i].lock);
		seqcount_spinlock_init(&xtcp_lhash[i].seq,
				       &xtcp_lhash[i].lock);
		INIT_HLIST_HEAD(&xtcp_lhash[i].chain);
	}

	get_random_bytes(&xtcp_ehash_key, sizeof(xtcp_ehash_key));
	get_random_bytes(&xtcp_bhash_key, sizeof(xtcp_bhash_key));
	get_random_bytes(&xtcp_lhash_key, sizeof(xtcp_lhash_key));
	get_random_bytes(&xtcp_port_key, sizeof(xtcp_port_key));
	get_random_bytes(&xtcp_isn_key, sizeof(xtcp_isn_key));
	get_random_bytes(&xtcp_ts_key, sizeof(xtcp_ts_key));
	/* as Linux does, so that table[] says nothing about uptime */
	get_random_bytes(xtcp_port_perturb, sizeof(xtcp_port_perturb));
	return 0;

err_free_bhash:
	kvfree(xtcp_bhash);
err_free_ehash_locks:
	kvfree(xtcp_ehash_locks);
err_free_ehash:
	kvfree(xtcp_ehash);
	return -ENOMEM;
}

/* Module exit, after every socket is gone. */
void xtcp_demux_uninit(void)
{
	unsigned int i;

	/* An RX lookup that raced with the exit may still walk a chain. */
	synchronize_rcu();

	for (i = 0; i < XTCP_EHASH_SIZE; i++)
		WARN_ON_ONCE(!hlist_empty(&xtcp_ehash[i]));
	for (i = 0; i < XTCP_BHASH_SIZE; i++) {
		WARN_ON_ONCE(!hlist_empty(&xtcp_bhash[i].chain));
		WARN_ON_ONCE(!hlist_empty(&xtcp_bhash[i].tw_chain));
	}
	for (i = 0; i < XTCP_LHASH_SIZE; i++)
		WARN_ON_ONCE(!hlist_empty(&xtcp_lhash[i].chain));

	kvfree(xtcp_lhash);
	kvfree(xtcp_bhash);
	kvfree(xtcp_ehash_locks);
	kvfree(xtcp_ehash);
}
