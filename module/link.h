/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What link.c, arp.c and icmp.c share and nobody else needs: the attached
 * device (struct xtcp_link) and its ARP cache. Everything outside these
 * three files goes through the "link.c APIs" of xtcp.h.
 */
#ifndef _XTCP_LINK_H
#define _XTCP_LINK_H

#include <linux/hashtable.h>
#include <linux/if_ether.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include "xtcp.h"

/* ARP cache limits, per link */
enum {
	XTCP_ARP_HASH_BITS	= 6,
	XTCP_ARP_MAX_ENTRIES	= 256,	/* then the least recently used goes */
	XTCP_ARP_MAX_QUEUE	= 3,	/* skbs held while a hop resolves */
	XTCP_ARP_MAX_PROBES	= 3,	/* requests before FAILED */
};

#define XTCP_ARP_RETRANS_TIME	HZ		/* between two requests */
#define XTCP_ARP_REACHABLE_TIME	(30 * HZ)	/* REACHABLE, then STALE */
#define XTCP_ARP_GC_TIME	(180 * HZ)	/* unused STALE/FAILED go */

/*
 * One ARP cache. The timer walks the table whenever some entry has a
 * deadline (a retry, REACHABLE turning STALE, garbage collection); it is
 * pending or running whenever count != 0, and nothing arms it once the link
 * is off the list and its packet handlers are gone.
 */
struct xtcp_arp_table {
	/*
	 * Protects buckets, count and every entry. Taken with spin_lock_bh
	 * from RX softirq, from the timer and from xtcp_link_output() in any
	 * context. A leaf: nothing is transmitted while it is held.
	 */
	spinlock_t lock;
	DECLARE_HASHTABLE(buckets, XTCP_ARP_HASH_BITS);
	unsigned int count;		/* written under lock, read locklessly */
	struct timer_list timer;
};

/*
 * A device attached to XTCP. Lives on xtcp_net.links (RCU readers: RX, the
 * output path, route lookups; writers hold RTNL and links_lock) and on
 * link.c's list of all links (RTNL), from xtcp_link_add() until it is
 * detached. Removal has two steps (link.c explains why): it is killed
 * first (dead set, routes and binds stop finding it, abort_work queued),
 * and detached (off both lists, packet handlers and device released) by
 * abort_work once the sockets on its address are aborted, or at once by
 * the netdevice notifier, the netns exit or module exit. abort_work frees
 * it. Apart from arp and dead, nothing changes after it is published.
 */
struct xtcp_link {
	struct list_head node;		/* in xtcp_net.links */
	/* in link.c's xtcp_link_all; empty once detached (RTNL) */
	struct list_head all_node;
	struct net *net;		/* the netns the link was added in */
	struct net_device *dev;
	netdevice_tracker dev_tracker;
	struct packet_type pt_ip;	/* ETH_P_IP, .dev = dev */
	struct packet_type pt_arp;	/* ETH_P_ARP, registered if has_arp */
	__be32 addr;
	__be32 mask;
	__be32 gw;			/* 0: no gateway */
	u8 prefixlen;
	bool has_arp;			/* Ethernet: resolve next hops */
	bool rx_exact;			/* xtcp_link_rx_handler registered */
	/*
	 * Being removed: route lookups, local-address checks and link
	 * dumps skip it, but xtcp_link_output() still sends through it, so
	 * that the RSTs of the sockets being aborted go out. Set under RTNL
	 * and links_lock, read locklessly (READ_ONCE).
	 */
	bool dead;
	struct xtcp_arp_table arp;
	/*
	 * Aborts the sockets on addr without RTNL, then detaches and frees
	 * the link. abort_set holds the sockets found when the link died
	 * (NULL if out of memory: abort_work looks for them itself);
	 * abort_net is a reference on net, NULL when net is already exiting
	 * (no socket is left).
	 */
	struct work_struct abort_work;
	struct xtcp_abort_set *abort_set;
	struct net *abort_net;
};

/* link.c, for arp.c and icmp.c */
void xtcp_link_xmit(struct xtcp_link *link, struct sk_buff *skb,
		    const u8 *ha);

/* arp.c APIs */
void xtcp_arp_init(struct xtcp_link *link);
void xtcp_arp_destroy(struct xtcp_link *link);
void xtcp_arp_flush(struct xtcp_link *link);
void xtcp_arp_output(struct xtcp_link *link, struct sk_buff *skb,
		     __be32 nexthop);
int xtcp_arp_rcv(struct sk_buff *skb, struct net_device *dev,
		 struct packet_type *pt, struct net_device *orig_dev);
unsigned int xtcp_arp_count(const struct xtcp_link *link);

/* icmp.c APIs */
void xtcp_icmp_rcv(struct xtcp_link *link, struct sk_buff *skb);

#endif /* _XTCP_LINK_H */
