// SPDX-License-Identifier: GPL-2.0
/*
 * ARP (RFC 826) for XTCP's Ethernet links: a small per-link cache, the
 * requests that fill it and the replies that announce our address.
 *
 * An entry goes through a simplified form of the kernel's NUD states
 * (net/core/neighbour.c):
 *
 *	INCOMPLETE	requests are broadcast once a second, up to
 *			XTCP_ARP_MAX_PROBES, while up to XTCP_ARP_MAX_QUEUE
 *			packets wait; then FAILED and the queue is dropped.
 *	REACHABLE	confirmed by a reply or a request from the peer within
 *			XTCP_ARP_REACHABLE_TIME, then STALE.
 *	STALE		still used; the first use starts unicast requests to
 *			the known address (Linux's DELAY and PROBE in one),
 *			and if none is answered the entry becomes FAILED.
 *	FAILED		the next packet starts a fresh broadcast resolution.
 *
 * STALE and FAILED entries unused for XTCP_ARP_GC_TIME are removed, and a
 * full cache makes room by evicting its least recently used entry. One
 * timer per cache drives all of it. Nothing is transmitted under the lock:
 * work found under it is put on a local queue and sent after unlocking.
 */

#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/slab.h>
#include "xtcp.h"
#include "link.h"

enum xtcp_arp_state {
	XTCP_ARP_INCOMPLETE,
	XTCP_ARP_REACHABLE,
	XTCP_ARP_STALE,
	XTCP_ARP_FAILED,
};

/* One cache entry; everything is under xtcp_arp_table.lock. */
struct xtcp_neigh {
	struct hlist_node node;
	__be32 ip;
	u8 ha[ETH_ALEN];
	u8 state;			/* enum xtcp_arp_state */
	u8 probes;			/* requests sent in this round */
	unsigned long confirmed;	/* jiffies: last word from the peer */
	unsigned long used;		/* jiffies: last packet sent through */
	unsigned long probed;		/* jiffies: last request sent */
	struct sk_buff_head queue;	/* INCOMPLETE: packets waiting */
};

/* The body of an Ethernet/IPv4 ARP packet, after struct arphdr. */
struct xtcp_arp_body {
	u8 sha[ETH_ALEN];
	__be32 sip;
	u8 tha[ETH_ALEN];
	__be32 tip;
} __packed;

/*
 * Builds a request or reply; dest NULL means broadcast. GFP_ATOMIC: the
 * timer builds requests under the table lock.
 */
static struct sk_buff *arp_build(struct xtcp_link *link, u16 op,
				 __be32 tip, const u8 *tha, const u8 *dest)
{
	struct net_device *dev = link->dev;
	struct xtcp_arp_body *body;
	struct arphdr *arp;
	struct sk_buff *skb;

	skb = alloc_skb(LL_RESERVED_SPACE(dev) + sizeof(*arp) + sizeof(*body) +
			dev->needed_tailroom, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_RESERVED_SPACE(dev));
	skb_reset_network_header(skb);
	skb->dev = dev;
	skb->protocol = htons(ETH_P_ARP);

	arp = skb_put(skb, sizeof(*arp));
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = sizeof(__be32);
	arp->ar_op = htons(op);

	body = skb_put(skb, sizeof(*body));
	ether_addr_copy(body->sha, dev->dev_addr);
	body->sip = link->addr;
	if (tha)
		ether_addr_copy(body->tha, tha);
	else
		eth_zero_addr(body->tha);	/* RFC 5227 2.1.1 */
	body->tip = tip;

	if (dev_hard_header(skb, dev, ETH_P_ARP, dest ?: dev->broadcast,
			    NULL, skb->len) < 0) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

static void arp_xmit_list(struct xtcp_link *link, struct sk_buff_head *list)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list))) {
		/* net_xmit_eval() evaluates its argument twice */
		int rc = dev_queue_xmit(skb);

		if (unlikely(net_xmit_eval(rc)))
			XTCP_INC_STATS(link->net, OUT_DROPS);
	}
}

/* Queues a request for ip on tx; unicast to ha if given. */
static void arp_queue_request(struct xtcp_link *link, __be32 ip,
			      const u8 *ha, struct sk_buff_head *tx)
{
	struct sk_buff *skb;

	skb = arp_build(link, ARPOP_REQUEST, ip, NULL, ha);
	if (!skb) {
		XTCP_INC_STATS(link->net, OUT_DROPS);
		return;
	}
	XTCP_INC_STATS(link->net, OUT_ARP_REQUESTS);
	__skb_queue_tail(tx, skb);
}

/* Moves n's waiting packets to drop; returns how many, for the counters. */
static unsigned int arp_take_queue(struct xtcp_neigh *n,
				   struct sk_buff_head *drop)
{
	unsigned int qlen = skb_queue_len(&n->queue);

	skb_queue_splice_tail_init(&n->queue, drop);
	return qlen;
}

static struct xtcp_neigh *arp_lookup(struct xtcp_arp_table *tbl, __be32 ip)
{
	struct xtcp_neigh *n;

	lockdep_assert_held(&tbl->lock);
	hash_for_each_possible(tbl->buckets, n, node, (__force u32)ip)
		if (n->ip == ip)
			return n;
	return NULL;
}

static void arp_remove(struct xtcp_arp_table *tbl, struct xtcp_neigh *n)
{
	lockdep_assert_held(&tbl->lock);
	hash_del(&n->node);
	WRITE_ONCE(tbl->count, tbl->count - 1);
	kfree(n);
}

/* Whether a makes a better victim than b: idle first, then least used. */
static bool arp_evict_before(const struct xtcp_neigh *a,
			     const struct xtcp_neigh *b)
{
	bool a_busy = !skb_queue_empty(&a->queue);
	bool b_busy = !skb_queue_empty(&b->queue);

	if (a_busy != b_busy)
		return !a_busy;
	return time_before(a->used, b->used);
}

static struct xtcp_neigh *arp_victim(struct xtcp_arp_table *tbl)
{
	struct xtcp_neigh *n, *victim = NULL;
	unsigned int bkt;

	hash_for_each(tbl->buckets, bkt, n, node)
		if (!victim || arp_evict_before(n, victim))
			victim = n;
	return victim;
}

/*
 * A new INCOMPLETE entry that has sent nothing yet. The timer is armed for
 * its first retry, which keeps it pending while the table is not empty.
 */
static struct xtcp_neigh *arp_create(struct xtcp_link *link, __be32 ip,
				     struct sk_buff_head *drop)
{
	struct xtcp_arp_table *tbl = &link->arp;
	struct xtcp_neigh *n;

	lockdep_assert_held(&tbl->lock);
	if (tbl->count >= XTCP_ARP_MAX_ENTRIES) {
		n = arp_victim(tbl);
		XTCP_ADD_STATS(link->net, DROP_ARP_QUEUE,
			       arp_take_queue(n, drop));
		arp_remove(tbl, n);
	}

	n = kzalloc(sizeof(*n), GFP_ATOMIC);
	if (!n)
		return NULL;
	n->ip = ip;
	n->state = XTCP_ARP_INCOMPLETE;
	n->used = jiffies;
	__skb_queue_head_init(&n->queue);
	hash_add(tbl->buckets, &n->node, (__force u32)ip);
	WRITE_ONCE(tbl->count, tbl->count + 1);
	timer_reduce(&tbl->timer, jiffies + XTCP_ARP_RETRANS_TIME);
	return n;
}

static void arp_probe(struct xtcp_link *link, struct xtcp_neigh *n,
		      const u8 *ha, struct sk_buff_head *tx)
{
	unsigned long now = jiffies;

	n->probes++;
	n->probed = now;
	arp_queue_request(link, n->ip, ha, tx);
	timer_reduce(&link->arp.timer, now + XTCP_ARP_RETRANS_TIME);
}

/*
 * Sends skb (an IPv4 packet, headroom for the link header reserved) to
 * nexthop on this link, resolving it first if need be. Consumes skb.
 * Called under rcu_read_lock() from xtcp_link_output(), in any context.
 */
void xtcp_arp_output(struct xtcp_link *link, struct sk_buff *skb,
		     __be32 nexthop)
{
	struct xtcp_arp_table *tbl = &link->arp;
	struct sk_buff_head tx, drop;
	struct xtcp_neigh *n;
	u8 ha[ETH_ALEN] __aligned(2);
	bool resolved = false;

	__skb_queue_head_init(&tx);
	__skb_queue_head_init(&drop);

	spin_lock_bh(&tbl->lock);
	n = arp_lookup(tbl, nexthop);
	if (!n) {
		n = arp_create(link, nexthop, &drop);
		if (unlikely(!n)) {
			XTCP_INC_STATS(link->net, DROP_NOMEM);
			__skb_queue_tail(&drop, skb);
			goto unlock;
		}
	}
	n->used = jiffies;

	switch (n->state) {
	case XTCP_ARP_STALE:
		if (!n->probes)
			arp_probe(link, n, n->ha, &tx);
		fallthrough;
	case XTCP_ARP_REACHABLE:
		ether_addr_copy(ha, n->ha);
		resolved = true;
		break;
	case XTCP_ARP_FAILED:
		n->state = XTCP_ARP_INCOMPLETE;
		n->probes = 0;
		fallthrough;
	case XTCP_ARP_INCOMPLETE:
		if (!n->probes)
			arp_probe(link, n, NULL, &tx);
		/* the oldest waiting packet is the least useful */
		if (skb_queue_len(&n->queue) >= XTCP_ARP_MAX_QUEUE) {
			XTCP_INC_STATS(link->net, DROP_ARP_QUEUE);
			__skb_queue_tail(&drop, __skb_dequeue(&n->queue));
		}
		__skb_queue_tail(&n->queue, skb);
		break;
	}
unlock:
	spin_unlock_bh(&tbl->lock);

	arp_xmit_list(link, &tx);
	if (resolved)
		xtcp_link_xmit(link, skb, ha);
	__skb_queue_purge(&drop);
}

/*
 * The peer ip is at ha: confirm or (if create) add its entry and send what
 * waited for it. Called from RX softirq.
 */
static void arp_learn(struct xtcp_link *link, __be32 ip, const u8 *ha,
		      bool create)
{
	struct xtcp_arp_table *tbl = &link->arp;
	struct sk_buff_head ready, drop;
	struct xtcp_neigh *n;
	struct sk_buff *skb;

	__skb_queue_head_init(&ready);
	__skb_queue_head_init(&drop);

	spin_lock_bh(&tbl->lock);
	n = arp_lookup(tbl, ip);
	if (!n && create)
		n = arp_create(link, ip, &drop);
	if (n) {
		ether_addr_copy(n->ha, ha);
		n->state = XTCP_ARP_REACHABLE;
		n->confirmed = jiffies;
		n->probes = 0;
		skb_queue_splice_tail_init(&n->queue, &ready);
	}
	spin_unlock_bh(&tbl->lock);

	while ((skb = __skb_dequeue(&ready)))
		xtcp_link_xmit(link, skb, ha);
	__skb_queue_purge(&drop);
}

/*
 * INCOMPLETE, or STALE while being verified: one more request, or FAILED
 * once XTCP_ARP_MAX_PROBES went unanswered. Returns the next deadline.
 */
static unsigned long arp_age_probing(struct xtcp_link *link,
				     struct xtcp_neigh *n, unsigned long now,
				     struct sk_buff_head *tx,
				     struct sk_buff_head *drop)
{
	unsigned long due = n->probed + XTCP_ARP_RETRANS_TIME;

	if (time_before(now, due))
		return due;

	if (n->probes >= XTCP_ARP_MAX_PROBES) {
		net_dbg_ratelimited("%s: no ARP answer from %pI4\n",
				    link->dev->name, &n->ip);
		n->state = XTCP_ARP_FAILED;
		n->probes = 0;
		XTCP_ADD_STATS(link->net, DROP_ARP_FAILED,
			       arp_take_queue(n, drop));
		return n->used + XTCP_ARP_GC_TIME;
	}

	n->probes++;
	n->probed = now;
	/* a STALE peer is asked where we think it is, as Linux's PROBE */
	arp_queue_request(link, n->ip,
			  n->state == XTCP_ARP_STALE ? n->ha : NULL, tx);
	return now + XTCP_ARP_RETRANS_TIME;
}

/*
 * Moves n along its states. Returns false if n should go, else sets *due
 * to when it next needs the timer.
 */
static bool arp_age(struct xtcp_link *link, struct xtcp_neigh *n,
		    unsigned long now, unsigned long *due,
		    struct sk_buff_head *tx, struct sk_buff_head *drop)
{
	switch (n->state) {
	case XTCP_ARP_INCOMPLETE:
		*due = arp_age_probing(link, n, now, tx, drop);
		return true;
	case XTCP_ARP_REACHABLE:
		/* a peer that keeps asking for us is no reason to keep it */
		if (!time_before(now, n->used + XTCP_ARP_GC_TIME))
			return false;
		*due = n->confirmed + XTCP_ARP_REACHABLE_TIME;
		if (time_before(now, *due))
			return true;
		n->state = XTCP_ARP_STALE;
		n->probes = 0;
		fallthrough;
	case XTCP_ARP_STALE:
		if (n->probes) {
			*due = arp_age_probing(link, n, now, tx, drop);
			return true;
		}
		fallthrough;
	case XTCP_ARP_FAILED:
	default:
		*due = n->used + XTCP_ARP_GC_TIME;
		return time_before(now, *due);
	}
}

static void xtcp_arp_timer(struct timer_list *t)
{
	struct xtcp_link *link = from_timer(link, t, arp.timer);
	struct xtcp_arp_table *tbl = &link->arp;
	unsigned long now = jiffies, next, due;
	struct sk_buff_head tx, drop;
	struct hlist_node *tmp;
	struct xtcp_neigh *n;
	unsigned int bkt;

	__skb_queue_head_init(&tx);
	__skb_queue_head_init(&drop);
	next = now + XTCP_ARP_GC_TIME;

	spin_lock_bh(&tbl->lock);
	hash_for_each_safe(tbl->buckets, bkt, tmp, n, node) {
		if (!arp_age(link, n, now, &due, &tx, &drop)) {
			arp_remove(tbl, n);
			continue;
		}
		if (time_before(due, next))
			next = due;
	}
	/* an idle cache keeps no timer; arp_create() arms it again */
	if (tbl->count)
		mod_timer(&tbl->timer, time_after(next, now) ? next : now + 1);
	spin_unlock_bh(&tbl->lock);

	arp_xmit_list(link, &tx);
	__skb_queue_purge(&drop);
}

static void arp_send_reply(struct xtcp_link *link, __be32 tip, const u8 *tha)
{
	struct sk_buff *skb;
	int rc;

	skb = arp_build(link, ARPOP_REPLY, tip, tha, tha);
	if (!skb) {
		XTCP_INC_STATS(link->net, OUT_DROPS);
		return;
	}
	XTCP_INC_STATS(link->net, OUT_ARP_REPLIES);
	rc = dev_queue_xmit(skb);
	if (unlikely(net_xmit_eval(rc)))
		XTCP_INC_STATS(link->net, OUT_DROPS);
}

/* RX of ARP on an attached Ethernet device: the link's pt_arp.func. */
int xtcp_arp_rcv(struct sk_buff *skb, struct net_device *dev,
		 struct packet_type *pt, struct net_device *orig_dev)
{
	struct xtcp_link *link = container_of(pt, struct xtcp_link, pt_arp);
	struct net *net = dev_net(dev);
	const struct xtcp_arp_body *body;
	const struct arphdr *arp;
	u8 sha[ETH_ALEN] __aligned(2);
	__be32 sip, tip;
	u16 op;

	/* not ours: an upper device's frame, or another host's */
	if (dev != link->dev || skb->pkt_type == PACKET_OTHERHOST)
		goto consume;

	/* the kernel's arp_rcv() holds the same skb */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		XTCP_INC_STATS(net, DROP_NOMEM);
		return NET_RX_DROP;
	}
	if (!pskb_may_pull(skb, sizeof(*arp) + sizeof(*body)))
		goto drop_trunc;

	skb_reset_network_header(skb);
	arp = arp_hdr(skb);
	if (arp->ar_hrd != htons(ARPHRD_ETHER) ||
	    arp->ar_pro != htons(ETH_P_IP) ||
	    arp->ar_hln != ETH_ALEN || arp->ar_pln != sizeof(__be32))
		goto drop_hdr;
	op = ntohs(arp->ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY)
		goto drop_hdr;
	body = (const struct xtcp_arp_body *)(arp + 1);
	/* the body has no alignment to speak of */
	memcpy(sha, body->sha, ETH_ALEN);
	if (!is_valid_ether_addr(sha))
		goto drop_hdr;
	sip = body->sip;
	tip = body->tip;

	if (sip == link->addr) {
		net_dbg_ratelimited("%s: %pM claims our %pI4\n",
				    dev->name, sha, &sip);
		goto consume;
	}

	if (tip == link->addr) {
		/*
		 * A request means the peer is about to talk to us, so its
		 * entry is worth creating; a reply only confirms one we made.
		 * An RFC 5227 probe (sip 0) teaches nothing but is answered,
		 * which is how its sender learns the address is taken.
		 */
		if (sip && !ipv4_is_multicast(sip) && !ipv4_is_lbcast(sip))
			arp_learn(link, sip, sha, op == ARPOP_REQUEST &&
				  (!((sip ^ link->addr) & link->mask) ||
				   sip == link->gw));
		if (op == ARPOP_REQUEST)
			arp_send_reply(link, sip, sha);
	} else if (sip && sip == tip) {
		/* gratuitous ARP: a known peer moved to a new address */
		arp_learn(link, sip, sha, false);
	}

consume:
	consume_skb(skb);
	return NET_RX_SUCCESS;

drop_trunc:
	XTCP_INC_STATS(net, DROP_ARP_HDR);
	kfree_skb_reason(skb, SKB_DROP_REASON_HDR_TRUNC);
	return NET_RX_DROP;
drop_hdr:
	/* not Ethernet/IPv4, or a sender that is no single station */
	XTCP_INC_STATS(net, DROP_ARP_HDR);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return NET_RX_DROP;
}

/* Empties the cache, dropping what waits; for a device going down. */
void xtcp_arp_flush(struct xtcp_link *link)
{
	struct xtcp_arp_table *tbl = &link->arp;
	struct sk_buff_head drop;
	struct hlist_node *tmp;
	struct xtcp_neigh *n;
	unsigned int bkt;

	__skb_queue_head_init(&drop);

	spin_lock_bh(&tbl->lock);
	hash_for_each_safe(tbl->buckets, bkt, tmp, n, node) {
		XTCP_ADD_STATS(link->net, OUT_DROPS,
			       arp_take_queue(n, &drop));
		arp_remove(tbl, n);
	}
	spin_unlock_bh(&tbl->lock);

	__skb_queue_purge(&drop);
}

void xtcp_arp_init(struct xtcp_link *link)
{
	struct xtcp_arp_table *tbl = &link->arp;

	spin_lock_init(&tbl->lock);
	hash_init(tbl->buckets);
	tbl->count = 0;
	timer_setup(&tbl->timer, xtcp_arp_timer, 0);
}

/*
 * Called once the link is off every list and its handlers are gone, so
 * only the timer can still run; after the shutdown nothing can rearm it.
 */
void xtcp_arp_destroy(struct xtcp_link *link)
{
	timer_shutdown_sync(&link->arp.timer);
	xtcp_arp_flush(link);
}

unsigned int xtcp_arp_count(const struct xtcp_link *link)
{
	/* pairs with the WRITE_ONCE()s in arp_create() and arp_remove() */
	return READ_ONCE(link->arp.count);
}
