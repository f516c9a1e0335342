// SPDX-License-Identifier: GPL-2.0
/*
 * TCP Fast Open (RFC 7413), as Linux 6.1 offers it (net/ipv4/tcp_fastopen.c):
 * the global switch, the cookie keys, the server's cookies and its queue of
 * Fast Open children, and the client's cookie cache.
 *
 * Server: a listener with TCP_FASTOPEN > 0 answers a SYN that asks for a
 * cookie (an empty option) with one in its SYN-ACK. A later SYN that
 * carries a valid cookie makes the child at once, in SYN-RECEIVED, with
 * the SYN's data queued for reading and in the accept queue
 * (listen.c, xtcp_listen_fastopen()); its SYN-ACK acknowledges the data.
 * The cookie is a keyed hash (SipHash-2-4, 8 bytes, as Linux) of the
 * client's and the server's address: the listener's TCP_FASTOPEN_KEY if it
 * set one, else the global key (module parameter fastopen_key, random at
 * load). A wrong cookie gets the plain handshake, the data is not
 * acknowledged (the client sends it again) and the SYN-ACK carries the
 * right cookie.
 *
 * Client: sendto(MSG_FASTOPEN) on an unconnected socket, or connect() with
 * TCP_FASTOPEN_CONNECT followed by a write (sock.c). With a cookie cached
 * for the destination, the SYN carries it and the first bytes; without,
 * the SYN asks for one. A SYN-ACK that acknowledges none of the data
 * (cookie refused, server without Fast Open, SYN-data lost) makes the
 * client send it again at once (xtcp_fastopen_synack()).
 *
 * Differences from Linux: the switch is one module parameter for every
 * netns rather than a per-netns sysctl; no TCP_FASTOPEN_NO_COOKIE, no
 * experimental option kind 254, no black-hole detection and no backoff
 * after a lost SYN-data; the cache is global (keyed by netns and address),
 * not the tcp_metrics table.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <crypto/algapi.h>
#include <net/netns/hash.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <asm/unaligned.h>
#include "xtcp.h"

/*
 * Like net.ipv4.tcp_fastopen: bit 1 (XTCP_FASTOPEN_CLIENT) lets sockets
 * send data in their SYN, bit 2 (XTCP_FASTOPEN_SERVER) lets listeners
 * with TCP_FASTOPEN accept it. Linux's default, 1: client only. Read
 * locklessly; a change affects the next SYN.
 */
static unsigned int xtcp_fastopen_mode = XTCP_FASTOPEN_CLIENT;
module_param_named(fastopen, xtcp_fastopen_mode, uint, 0644);
MODULE_PARM_DESC(fastopen, "TCP Fast Open: 1 client, 2 server, 3 both (default 1)");

bool xtcp_fastopen_enabled(unsigned int bit)
{
	return READ_ONCE(xtcp_fastopen_mode) & bit;
}

/*
 * Keys: TCP_FASTOPEN_KEY and fastopen_key take 16 bytes (a primary key),
 * the socket option also 32 (primary, then a backup that still validates,
 * for key rotation, as Linux). The bytes become a siphash_key_t as two
 * little-endian u64s, so that one key string means one key everywhere.
 */
enum {
	XTCP_FASTOPEN_KEY_LEN	= sizeof(siphash_key_t),
	XTCP_FASTOPEN_KEY_MAX	= 2,
};

struct xtcp_fastopen_ctx {
	siphash_key_t key[XTCP_FASTOPEN_KEY_MAX];
	unsigned int num;
};

/* the global key; writers are the parameter and load, readers softirq */
static DEFINE_SEQLOCK(xtcp_fastopen_key_lock);
static siphash_key_t xtcp_fastopen_gkey;	/* under the seqlock */
static bool xtcp_fastopen_gkey_set;		/* under the seqlock */

static void xtcp_fastopen_key_from_bytes(siphash_key_t *key, const u8 *b)
{
	key->key[0] = get_unaligned_le64(b);
	key->key[1] = get_unaligned_le64(b + 8);
}

static void xtcp_fastopen_key_to_bytes(const siphash_key_t *key, u8 *b)
{
	put_unaligned_le64(key->key[0], b);
	put_unaligned_le64(key->key[1], b + 8);
}

static void xtcp_fastopen_gkey_read(siphash_key_t *key)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&xtcp_fastopen_key_lock);
		*key = xtcp_fastopen_gkey;
	} while (read_seqretry(&xtcp_fastopen_key_lock, seq));
}

/* "fastopen_key": 32 hex digits, dashes anywhere ignored */
static int xtcp_fastopen_key_param_set(const char *val,
				       const struct kernel_param *kp)
{
	u8 bytes[XTCP_FASTOPEN_KEY_LEN];
	unsigned int n = 0;
	int hi, lo;

	while (*val && n < sizeof(bytes)) {
		if (*val == '-') {
			val++;
			continue;
		}
		hi = hex_to_bin(val[0]);
		lo = val[1] ? hex_to_bin(val[1]) : -1;
		if (hi < 0 || lo < 0)
			return -EINVAL;
		bytes[n++] = hi << 4 | lo;
		val += 2;
	}
	while (*val == '-' || isspace(*val))
		val++;
	if (n != sizeof(bytes) || *val)
		return -EINVAL;

	write_seqlock_bh(&xtcp_fastopen_key_lock);
	xtcp_fastopen_key_from_bytes(&xtcp_fastopen_gkey, bytes);
	xtcp_fastopen_gkey_set = true;
	write_sequnlock_bh(&xtcp_fastopen_key_lock);
	return 0;
}

/* like the sysctl tcp_fastopen_key: four groups of 8 hex digits */
static int xtcp_fastopen_key_param_get(char *buf,
				       const struct kernel_param *kp)
{
	u8 b[XTCP_FASTOPEN_KEY_LEN];
	siphash_key_t key;

	xtcp_fastopen_gkey_read(&key);
	xtcp_fastopen_key_to_bytes(&key, b);
	return sysfs_emit(buf, "%*phN-%*phN-%*phN-%*phN\n", 4, b, 4, b + 4,
			  4, b + 8, 4, b + 12);
}

static const struct kernel_param_ops xtcp_fastopen_key_ops = {
	.set	= xtcp_fastopen_key_param_set,
	.get	= xtcp_fastopen_key_param_get,
};

/* root only: whoever reads the key can forge every cookie */
module_param_cb(fastopen_key, &xtcp_fastopen_key_ops, NULL, 0600);
MODULE_PARM_DESC(fastopen_key, "TCP Fast Open key: 32 hex digits, dashes allowed");

/* TCP_FASTOPEN_KEY on any socket; it matters once the socket listens */
int xtcp_fastopen_set_key(struct sock *sk, sockptr_t optval,
			  unsigned int optlen)
{
	u8 bytes[XTCP_FASTOPEN_KEY_LEN * XTCP_FASTOPEN_KEY_MAX];
	struct xtcp_fastopen_ctx *ctx, *old;
	unsigned int i;

	if (optlen != XTCP_FASTOPEN_KEY_LEN &&
	    optlen != XTCP_FASTOPEN_KEY_LEN * XTCP_FASTOPEN_KEY_MAX)
		return -EINVAL;
	if (copy_from_sockptr(bytes, optval, optlen))
		return -EFAULT;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->num = optlen / XTCP_FASTOPEN_KEY_LEN;
	for (i = 0; i < ctx->num; i++)
		xtcp_fastopen_key_from_bytes(&ctx->key[i],
					     bytes + i * XTCP_FASTOPEN_KEY_LEN);

	/*
	 * Softirq reads tfo_ctx only under the listener's bh lock while no
	 * process owns it, so the socket lock is all a writer needs.
	 */
	lock_sock(sk);
	old = xtcp_sk(sk)->tfo_ctx;
	xtcp_sk(sk)->tfo_ctx = ctx;
	release_sock(sk);
	kfree_sensitive(old);
	return 0;
}

/* the socket's keys, else the global one, as tcp_fastopen_get_cipher() */
int xtcp_fastopen_get_key(struct sock *sk, char __user *optval,
			  int __user *optlen)
{
	u8 bytes[XTCP_FASTOPEN_KEY_LEN * XTCP_FASTOPEN_KEY_MAX];
	struct xtcp_fastopen_ctx *ctx;
	unsigned int i, n = 1;
	siphash_key_t key;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	lock_sock(sk);
	ctx = xtcp_sk(sk)->tfo_ctx;
	if (ctx) {
		n = ctx->num;
		for (i = 0; i < n; i++)
			xtcp_fastopen_key_to_bytes(&ctx->key[i], bytes +
						   i * XTCP_FASTOPEN_KEY_LEN);
	} else {
		xtcp_fastopen_gkey_read(&key);
		xtcp_fastopen_key_to_bytes(&key, bytes);
	}
	release_sock(sk);
	len = min_t(unsigned int, len, n * XTCP_FASTOPEN_KEY_LEN);
	if (put_user(len, optlen) || copy_to_user(optval, bytes, len))
		return -EFAULT;
	return 0;
}

static u64 xtcp_fastopen_hash(const siphash_key_t *key, __be32 saddr,
			      __be32 daddr)
{
	return siphash_2u32((__force u32)saddr, (__force u32)daddr, key);
}

/*
 * The cookie for a SYN from saddr to daddr, with the listener's primary
 * key, under its lock. Like __tcp_fastopen_cookie_gen_cipher(), a hash of
 * both addresses: a client behind one address gets one cookie per server.
 */
void xtcp_fastopen_cookie(const struct sock *lsk, __be32 saddr,
			  __be32 daddr, u8 *cookie)
{
	const struct xtcp_fastopen_ctx *ctx = xtcp_sk(lsk)->tfo_ctx;
	siphash_key_t key;
	u64 h;

	if (ctx)
		key = ctx->key[0];
	else
		xtcp_fastopen_gkey_read(&key);
	h = xtcp_fastopen_hash(&key, saddr, daddr);
	memcpy(cookie, &h, XTCP_FASTOPEN_COOKIE_LEN);
	memzero_explicit(&key, sizeof(key));
}

/* does the SYN's cookie match one of the listener's keys? */
bool xtcp_fastopen_cookie_ok(const struct sock *lsk, __be32 saddr,
			     __be32 daddr, const struct xtcp_opts *opts)
{
	const struct xtcp_fastopen_ctx *ctx = xtcp_sk(lsk)->tfo_ctx;
	siphash_key_t key;
	unsigned int i;
	bool ok = false;
	u64 h;

	if (opts->tfo_len != XTCP_FASTOPEN_COOKIE_LEN)
		return false;
	if (!ctx) {
		xtcp_fastopen_gkey_read(&key);
		h = xtcp_fastopen_hash(&key, saddr, daddr);
		memzero_explicit(&key, sizeof(key));
		return !crypto_memneq(&h, opts->tfo_cookie, sizeof(h));
	}
	for (i = 0; i < ctx->num && !ok; i++) {
		h = xtcp_fastopen_hash(&ctx->key[i], saddr, daddr);
		ok = !crypto_memneq(&h, opts->tfo_cookie, sizeof(h));
	}
	return ok;
}

/*
 * May the listener take one more Fast Open child? Like
 * tcp_fastopen_queue_check(): only with TCP_FASTOPEN set, and only while
 * fewer than its qlen children are still in SYN-RECEIVED; else the SYN
 * gets the plain handshake (TCPFastOpenListenOverflow). Listener's lock.
 */
bool xtcp_fastopen_queue_check(struct sock *lsk)
{
	struct xtcp_sock *lxs = xtcp_sk(lsk);

	if (!lxs->tfo_qlen)
		return false;
	if (atomic_read(&lxs->tfo_pending) >= lxs->tfo_qlen) {
		XTCP_INC_STATS(sock_net(lsk), FASTOPENLISTENOVERFLOW);
		return false;
	}
	return true;
}

/*
 * child takes one of the listener's slots until it leaves SYN-RECEIVED,
 * and a reference on the listener to give the slot back to, as Linux's
 * request keeps rsk_listener. Listener's lock; only here is tfo_pending
 * raised, so the check above cannot be overtaken.
 */
void xtcp_fastopen_child_slot(struct sock *lsk, struct sock *child)
{
	atomic_inc(&xtcp_sk(lsk)->tfo_pending);
	sock_hold(lsk);
	xtcp_sk(child)->tfo_listener = lsk;
}

/* the child left SYN-RECEIVED (established, reset, aborted): its slot */
void xtcp_fastopen_child_done(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sock *lsk = xs->tfo_listener;

	if (!lsk)
		return;
	WRITE_ONCE(xs->tfo_listener, NULL);
	atomic_dec(&xtcp_sk(lsk)->tfo_pending);
	sock_put(lsk);
}

/* from xtcp_sock_destruct(): whatever Fast Open state is left */
void xtcp_fastopen_destroy(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_fastopen_child_done(sk);
	kfree_sensitive(xs->tfo_ctx);
	xs->tfo_ctx = NULL;
	kfree(xs->tfo_req);
	xs->tfo_req = NULL;
}

/*
 * The client's cookie cache: per netns and destination address, what the
 * last SYN-ACK from there handed out (Linux keeps it in tcp_metrics).
 * A fixed table of XTCP_FASTOPEN_CACHE_BUCKETS buckets of at most
 * XTCP_FASTOPEN_CACHE_DEPTH entries, so it stays small whatever the
 * number of destinations: a new entry in a full bucket takes the place
 * of the one used least recently. Lookups run under RCU; writers take
 * xtcp_fastopen_cache_lock and never change an entry in place but
 * replace it, so a reader copies a consistent cookie. A netns that goes
 * away takes its entries with it (xtcp_fastopen_net_exit()).
 */
enum {
	XTCP_FASTOPEN_CACHE_BITS	= 6,
	XTCP_FASTOPEN_CACHE_BUCKETS	= 1 << XTCP_FASTOPEN_CACHE_BITS,
	XTCP_FASTOPEN_CACHE_DEPTH	= 8,
};

struct xtcp_fastopen_entry {
	struct hlist_node node;		/* RCU; in xtcp_fastopen_cache */
	struct rcu_head rcu;
	possible_net_t net;
	__be32 daddr;
	unsigned long stamp;		/* jiffies of the last set */
	u8 len;
	u8 cookie[XTCP_FASTOPEN_COOKIE_MAX];
};

static DEFINE_SPINLOCK(xtcp_fastopen_cache_lock);	/* writers; leaf */
static struct hlist_head xtcp_fastopen_cache[XTCP_FASTOPEN_CACHE_BUCKETS];
/* entries per bucket, under xtcp_fastopen_cache_lock */
static u8 xtcp_fastopen_cache_depth[XTCP_FASTOPEN_CACHE_BUCKETS];
/* so that a peer can't pick addresses that chain one bucket */
static hsiphash_key_t xtcp_fastopen_cache_seed __ro_after_init;

static unsigned int xtcp_fastopen_bucket(const struct net *net, __be32 daddr)
{
	return hsiphash_2u32((__force u32)daddr, net_hash_mix(net),
			     &xtcp_fastopen_cache_seed) &
	       (XTCP_FASTOPEN_CACHE_BUCKETS - 1);
}

/* a cached cookie for daddr in net: true, with *len set */
bool xtcp_fastopen_cache_get(struct net *net, __be32 daddr, u8 *cookie,
			     s8 *len)
{
	struct xtcp_fastopen_entry *e;
	bool found = false;

	rcu_read_lock();
	hlist_for_each_entry_rcu(e, &xtcp_fastopen_cache[
					xtcp_fastopen_bucket(net, daddr)],
				 node) {
		if (e->daddr != daddr || !net_eq(read_pnet(&e->net), net))
			continue;
		memcpy(cookie, e->cookie, e->len);
		*len = e->len;
		found = true;
		break;
	}
	rcu_read_unlock();
	return found;
}

/* remember the cookie daddr handed out; softirq or process context */
void xtcp_fastopen_cache_set(struct net *net, __be32 daddr,
			     const u8 *cookie, u8 len)
{
	unsigned int b = xtcp_fastopen_bucket(net, daddr);
	struct xtcp_fastopen_entry *e, *old = NULL, *lru = NULL;
	struct xtcp_fastopen_entry *new;

	if (len < XTCP_FASTOPEN_COOKIE_MIN || len > XTCP_FASTOPEN_COOKIE_MAX)
		return;
	new = kzalloc(sizeof(*new), GFP_ATOMIC);
	if (!new)
		return;
	write_pnet(&new->net, net);
	new->daddr = daddr;
	new->stamp = jiffies;
	new->len = len;
	memcpy(new->cookie, cookie, len);

	spin_lock_bh(&xtcp_fastopen_cache_lock);
	hlist_for_each_entry(e, &xtcp_fastopen_cache[b], node) {
		if (e->daddr == daddr && net_eq(read_pnet(&e->net), net)) {
			old = e;
			break;
		}
		if (!lru || time_before(e->stamp, lru->stamp))
			lru = e;
	}
	if (!old && xtcp_fastopen_cache_depth[b] >= XTCP_FASTOPEN_CACHE_DEPTH)
		old = lru;
	if (old) {
		hlist_replace_rcu(&old->node, &new->node);
		kfree_rcu(old, rcu);
	} else {
		hlist_add_head_rcu(&new->node, &xtcp_fastopen_cache[b]);
		xtcp_fastopen_cache_depth[b]++;
	}
	spin_unlock_bh(&xtcp_fastopen_cache_lock);
}

/*
 * The netns is going: its entries must not outlive it, or a new netns at
 * the same address would find them. Module unload runs this for every
 * netns; main.c's rcu_barrier() then waits for the frees.
 */
void xtcp_fastopen_net_exit(struct net *net)
{
	struct xtcp_fastopen_entry *e;
	struct hlist_node *n;
	unsigned int b;

	spin_lock_bh(&xtcp_fastopen_cache_lock);
	for (b = 0; b < XTCP_FASTOPEN_CACHE_BUCKETS; b++) {
		hlist_for_each_entry_safe(e, n, &xtcp_fastopen_cache[b], node) {
			if (!net_eq(read_pnet(&e->net), net))
				continue;
			hlist_del_rcu(&e->node);
			xtcp_fastopen_cache_depth[b]--;
			kfree_rcu(e, rcu);
		}
	}
	spin_unlock_bh(&xtcp_fastopen_cache_lock);
}

/*
 * connect() of a Fast Open client, its route, port and ISN chosen and the
 * SYN not sent: what its SYN will carry. Returns 1 with a cookie cached
 * (the SYN may carry data), 0 when the SYN asks for one, or -ENOMEM
 * (a plain SYN). Socket lock.
 */
int xtcp_fastopen_client_start(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_fastopen_req *req;

	sock_owned_by_me(sk);
	req = xs->tfo_req;
	if (!req) {
		req = kzalloc(sizeof(*req), sk->sk_allocation);
		if (!req)
			return -ENOMEM;
		xs->tfo_req = req;
	}
	req->syn_data = 0;
	if (!xtcp_fastopen_cache_get(sock_net(sk), sk->sk_daddr, req->cookie,
				     &req->len))
		req->len = 0;
	return req->len > 0;
}

/*
 * The SYN-ACK of a Fast Open client arrived and acknowledged ack; SND.UNA
 * has moved already. Like tcp_rcv_fastopen_synack(): keep the cookie it
 * carries, count whether our SYN's data was taken, and when it was not,
 * send that data again now rather than after an RTO: it is still on the
 * write queue, acknowledged by nothing, so it goes back in front of
 * send_head and xtcp_push() sends it as soon as the caller is ESTABLISHED.
 */
void xtcp_fastopen_synack(struct sock *sk, const struct xtcp_opts *opts,
			  u32 ack)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_fastopen_req *req = xs->tfo_req;
	struct net *net = sock_net(sk);

	if (!req)
		return;
	if (opts->tfo_ok && opts->tfo_len)
		xtcp_fastopen_cache_set(net, sk->sk_daddr, opts->tfo_cookie,
					opts->tfo_len);
	if (req->syn_data) {
		if (ack == xs->iss + 1 + req->syn_data) {
			XTCP_INC_STATS(net, FASTOPENACTIVE);
			xs->syn_data_acked = 1;
		} else {
			XTCP_INC_STATS(net, FASTOPENACTIVEFAIL);
			XTCP_INC_STATS(net, RETRANSSEGS);
			xs->send_head = skb_peek(&sk->sk_write_queue);
			xs->snd_nxt = xs->snd_una;
		}
	}
	xs->tfo_req = NULL;
	kfree(req);
}

int xtcp_fastopen_init(void)
{
	get_random_bytes(&xtcp_fastopen_cache_seed,
			 sizeof(xtcp_fastopen_cache_seed));
	/* a key given at load time stays */
	write_seqlock_bh(&xtcp_fastopen_key_lock);
	if (!xtcp_fastopen_gkey_set)
		get_random_bytes(&xtcp_fastopen_gkey,
				 sizeof(xtcp_fastopen_gkey));
	xtcp_fastopen_gkey_set = true;
	write_sequnlock_bh(&xtcp_fastopen_key_lock);
	return 0;
}
