// SPDX-License-Identifier: GPL-2.0
/*
 * The devices XTCP owns. An attached device gets a packet_type per protocol
 * bound to it alone (pt.dev), and an rx_handler that keeps the kernel's own
 * IPv4 and ARP input off those frames. IPv4 is checked here as ip_rcv()
 * would, then handed to input.c or icmp.c; on the way out this file writes
 * the IPv4 header, picks the next hop and leaves it to arp.c to find its
 * hardware address.
 *
 * There is no routing table: each link has one address, a prefix and an
 * optional gateway, and the link owning the source address is the way out.
 */

#include <linux/inetdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/random.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/netlink.h>
#include "xtcp.h"
#include "link.h"

/*
 * Every link of every netns, so that the netdevice notifier finds a link by
 * its device without touching the per-netns state of namespaces XTCP may
 * not (or no longer) know about. Protected by RTNL.
 */
static LIST_HEAD(xtcp_link_all);

/*
 * Runs each link's abort_work: aborting a socket takes its lock, which may
 * wait as long as a process owns the socket, so it is done here, without
 * RTNL. Drained at module exit, after the last link is detached.
 */
static struct workqueue_struct *xtcp_link_wq __ro_after_init;

static struct xtcp_link *link_find_dev(const struct net_device *dev)
{
	struct xtcp_link *link;

	ASSERT_RTNL();
	list_for_each_entry(link, &xtcp_link_all, all_node)
		if (link->dev == dev)
			return link;
	return NULL;
}

/* Called under rcu_read_lock() or links_lock. */
static struct xtcp_link *link_find_addr(struct xtcp_net *xn, __be32 addr)
{
	struct xtcp_link *link;

	list_for_each_entry_rcu(link, &xn->links, node,
				lockdep_is_held(&xn->links_lock))
		if (link->addr == addr)
			return link;
	return NULL;
}

static bool link_is_bcast(const struct xtcp_link *link, __be32 addr)
{
	/* RFC 3021: a /31 has no broadcast address, a /32 has no peers */
	if (link->prefixlen >= 31)
		return false;
	return addr == (link->addr | ~link->mask);
}

/*
 * The next hop towards daddr through this link: daddr itself when it is
 * inside the prefix, else the gateway, else 0 (unreachable). A link never
 * reaches its own address: there is no loopback, so such a packet would
 * only wander off on the wire.
 */
static __be32 link_nexthop(const struct xtcp_link *link, __be32 daddr)
{
	if (daddr == link->addr || !daddr || ipv4_is_multicast(daddr) ||
	    ipv4_is_lbcast(daddr))
		return 0;
	if (!((daddr ^ link->addr) & link->mask))
		return link_is_bcast(link, daddr) ? 0 : daddr;
	return link->gw;
}

/*
 * Link removal. The sockets on the link's address must be aborted, and
 * aborting one takes its lock, which sleeps for as long as a process owns
 * the socket (a recv() blocked in a page fault owns it indefinitely). So
 * nothing here does that under RTNL, which is one mutex for the whole
 * system, nor under links_lock or the genl mutex:
 *
 *  link_kill()    RTNL and links_lock: sets dead, so that routes, binds
 *                 and dumps stop finding the link, collects the sockets
 *                 on its address with references (bucket locks only) and
 *                 queues abort_work.
 *  abort_work     no lock: xtcp_demux_abort_run() locks and aborts each
 *                 of them in the socket's own time, as Linux's
 *                 tcp_abort() runs without RTNL for SOCK_DESTROY. Then
 *                 RTNL and links_lock for link_detach(), unless someone
 *                 detached the link meanwhile, and kfree().
 *  link_detach()  RTNL and links_lock: unlists the link, removes its
 *                 packet handlers, waits for RCU readers and releases the
 *                 device.
 *
 * `xtcpctl link del` kills the link and returns: the link keeps its
 * packet handlers and stays on xtcp_net.links for xtcp_link_output() until
 * its sockets are aborted, so their RSTs go out, as they did when removal
 * aborted them under RTNL. Device unregistration, netns exit and module
 * exit kill and detach at once, since the device reference must go now:
 * their sockets are aborted without RSTs, which have no device to leave
 * by (Linux sends none when a device goes either). A new link on the same
 * device or address detaches a dead one at once for the same reason.
 *
 * A connect() that picked the address before it died is caught by
 * xtcp_demux_hash(), which refuses an address that is no longer local (see
 * xtcp_demux_abort_collect() for why one of the two always sees the
 * other). Collecting when the link dies, not in abort_work, also keeps a
 * new link with the same address out of the old one's aborts.
 */

/*
 * Called with RTNL and links_lock held. Never waits for a socket: it only
 * takes the bind hash's bucket locks, and allocates.
 */
static void link_kill(struct xtcp_link *link)
{
	ASSERT_RTNL();
	lockdep_assert_held(&xtcp_net(link->net)->links_lock);

	if (link->dead)
		return;
	WRITE_ONCE(link->dead, true);
	/*
	 * dead before the walk of the bind hash reads any address: pairs
	 * with the smp_mb() in xtcp_demux_hash(), where connect() checks
	 * its address after storing it (xtcp_demux_abort_collect()).
	 */
	smp_mb();
	/* an exiting netns has no socket left, and no reference to give */
	link->abort_net = maybe_get_net(link->net);
	if (link->abort_net)
		link->abort_set = xtcp_demux_abort_collect(link->net,
							   link->addr);
	queue_work(xtcp_link_wq, &link->abort_work);
}

/*
 * Called with RTNL and links_lock held, on a dead link. Sleeps in
 * synchronize_net() only: it never waits for a socket.
 */
static void link_detach(struct xtcp_link *link)
{
	struct xtcp_net *xn = xtcp_net(link->net);

	ASSERT_RTNL();
	lockdep_assert_held(&xn->links_lock);
	WARN_ON_ONCE(!link->dead);

	if (list_empty(&link->all_node))
		return;
	list_del_rcu(&link->node);
	xn->nr_links--;
	list_del_init(&link->all_node);

	if (link->rx_exact)
		netdev_rx_handler_unregister(link->dev);
	__dev_remove_pack(&link->pt_ip);
	if (link->has_arp)
		__dev_remove_pack(&link->pt_arp);
	/*
	 * One grace period covers the rx_handler, both packet handlers and
	 * every RCU reader that found the link on the list (output, route):
	 * after it, nobody but the ARP timer can touch the link, and nobody
	 * can arm that timer again.
	 */
	synchronize_net();

	xtcp_arp_destroy(link);
	netdev_put(link->dev, &link->dev_tracker);
}

/* abort_work: process context, no lock held */
static void link_abort_work(struct work_struct *work)
{
	struct xtcp_link *link = container_of(work, struct xtcp_link,
					      abort_work);
	struct xtcp_net *xn;

	if (link->abort_set)
		xtcp_demux_abort_run(link->abort_set);
	else if (link->abort_net)
		/* link_kill() ran out of memory collecting them */
		xtcp_demux_abort_addr(link->abort_net, link->addr);

	rtnl_lock();
	/*
	 * Still attached means nobody detached it, so its netns has not
	 * exited: abort_net holds it.
	 */
	if (!list_empty(&link->all_node)) {
		xn = xtcp_net(link->net);
		mutex_lock(&xn->links_lock);
		link_detach(link);
		mutex_unlock(&xn->links_lock);
	}
	rtnl_unlock();

	if (link->abort_net)
		put_net(link->abort_net);
	kfree(link);
}

/*
 * Hands one finished IPv4 packet to the device, with an Ethernet header to
 * ha if the link resolves next hops. Called under rcu_read_lock() from the
 * output path or from arp.c, never with the ARP lock held.
 */
void xtcp_link_xmit(struct xtcp_link *link, struct sk_buff *skb,
		    const u8 *ha)
{
	struct net_device *dev = link->dev;
	int rc;

	if (ha && dev_hard_header(skb, dev, ETH_P_IP, ha, NULL,
				  skb->len) < 0) {
		XTCP_INC_STATS(link->net, OUT_DROPS);
		kfree_skb_reason(skb, SKB_DROP_REASON_DEV_HDR);
		return;
	}

	rc = dev_queue_xmit(skb);
	if (unlikely(net_xmit_eval(rc))) {
		XTCP_INC_STATS(link->net, OUT_DROPS);
		net_dbg_ratelimited("%s: xmit failed: %d\n",
				    dev->name, rc);
	}
}

/*
 * The qdisc layer and some drivers account per segment: fill the count of
 * a GSO packet in if the caller left it out.
 */
static void link_gso_segs(struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int hdrlen;

	if (skb_is_gso(skb) && !shinfo->gso_segs) {
		hdrlen = skb_transport_offset(skb) + tcp_hdrlen(skb);
		shinfo->gso_segs = DIV_ROUND_UP(skb->len - hdrlen,
						shinfo->gso_size);
	}
}

/*
 * Sends skb from ipp->saddr to ipp->daddr. The IPv4 ID is the caller's:
 * a connection numbers its own packets, as Linux's inet_id does, and
 * everything else goes with ID 0 and DF (see xtcp_ip_params), so no
 * counter here is shared between connections or visible to a pinging
 * stranger (CVE-2016-5696, CVE-2019-10638).
 */
void xtcp_link_output(struct net *net, struct sk_buff *skb,
		      const struct xtcp_ip_params *ipp)
{
	__be32 saddr = ipp->saddr, daddr = ipp->daddr;
	struct xtcp_link *link;
	struct net_device *dev;
	struct iphdr *iph;
	__be32 nexthop;
	u8 ttl;

	rcu_read_lock();
	link = link_find_addr(xtcp_net(net), saddr);
	if (unlikely(!link))
		goto drop_noroute;
	nexthop = link_nexthop(link, daddr);
	if (unlikely(!nexthop))
		goto drop_noroute;
	dev = link->dev;

	/* TCP pushes its header into clones of queued skbs: check both */
	if (unlikely(skb_cow_head(skb, LL_RESERVED_SPACE(dev) +
				  sizeof(*iph))))
		goto drop_nomem;

	link_gso_segs(skb);
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	/* XTCP never fragments (DF or not), so len fits for GSO too */
	if (unlikely(skb->len > IP_MAX_MTU ||
		     (!skb_is_gso(skb) && skb->len > READ_ONCE(dev->mtu))))
		goto drop_toobig;

	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = ipp->tos;
	iph->tot_len = htons(skb->len);
	iph->id = htons(ipp->id);
	iph->frag_off = ipp->df ? htons(IP_DF) : 0;
	/* like ip_select_ttl(): the socket's IP_TTL, else the sysctl */
	ttl = ipp->ttl ?: READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
	iph->ttl = ttl;
	iph->protocol = ipp->proto;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = 0;
	iph->check = ip_fast_csum(iph, iph->ihl);

	skb->protocol = htons(ETH_P_IP);
	skb->dev = dev;
	/* what ip_queue_xmit() copies from the socket, for tc and netfilter */
	skb->mark = ipp->mark;
	skb->priority = ipp->priority;

	if (link->has_arp)
		xtcp_arp_output(link, skb, nexthop);
	else
		xtcp_link_xmit(link, skb, NULL);
	rcu_read_unlock();
	return;

drop_noroute:
	rcu_read_unlock();
	XTCP_INC_STATS(net, DROP_NOROUTE);
	net_dbg_ratelimited("no route from %pI4 to %pI4\n",
			    &saddr, &daddr);
	kfree_skb_reason(skb, SKB_DROP_REASON_IP_OUTNOROUTES);
	return;
drop_nomem:
	rcu_read_unlock();
	XTCP_INC_STATS(net, DROP_NOMEM);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
	return;
drop_toobig:
	rcu_read_unlock();
	XTCP_INC_STATS(net, OUT_DROPS);
	kfree_skb_reason(skb, SKB_DROP_REASON_PKT_TOO_BIG);
}

/*
 * The device's rx_handler: IPv4 and ARP frames go to the handlers bound to
 * the device only (RX_HANDLER_EXACT), which are XTCP's. Without it, the
 * kernel's ip_rcv() sees every XTCP segment too: it clones the shared skb,
 * finds no route to an address it does not have, allocates a dst for the
 * unreachable route and frees it through RCU, per packet, only to drop it
 * (CRR XTCP->XTCP went from 1.2x to 1.6x native with this handler, see
 * Documentation/benchmark.md). Taps (ptype_all, tcpdump)
 * and tc ingress run before the rx_handler and still see everything; other
 * protocols (IPv6) pass as before.
 */
static rx_handler_result_t xtcp_link_rx_handler(struct sk_buff **pskb)
{
	__be16 proto = (*pskb)->protocol;

	if (proto == htons(ETH_P_IP) || proto == htons(ETH_P_ARP))
		return RX_HANDLER_EXACT;
	return RX_HANDLER_PASS;
}

/*
 * ip_rcv() for XTCP's devices, mirroring ip_rcv_core() minus the parts a
 * host with one address and no reassembly does not need.
 */
static int xtcp_link_rcv(struct sk_buff *skb, struct net_device *dev,
			 struct packet_type *pt, struct net_device *orig_dev)
{
	struct xtcp_link *link = container_of(pt, struct xtcp_link, pt_ip);
	struct net *net = dev_net(dev);
	enum skb_drop_reason reason;
	const struct iphdr *iph;
	unsigned int hlen, len;

	/*
	 * Handlers bound to a device also see what its VLAN or macvlan uppers
	 * receive (skb->dev is then the upper): that is not ours.
	 */
	if (unlikely(dev != link->dev)) {
		consume_skb(skb);
		return NET_RX_SUCCESS;
	}
	if (skb->pkt_type == PACKET_OTHERHOST)
		goto drop_otherhost;

	/* the kernel's ip_rcv() holds the same skb */
	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		XTCP_INC_STATS(net, DROP_NOMEM);
		return NET_RX_DROP;
	}

	if (!pskb_may_pull(skb, sizeof(*iph)))
		goto drop_hdr;
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	if (iph->version != 4 || iph->ihl < 5)
		goto drop_hdr;
	hlen = iph->ihl * 4;
	if (!pskb_may_pull(skb, hlen))
		goto drop_hdr;
	iph = ip_hdr(skb);
	if (unlikely(ip_fast_csum(iph, iph->ihl)))
		goto drop_csum;

	len = ntohs(iph->tot_len);
	if (len < hlen || len > skb->len)
		goto drop_len;
	/* Ethernet pads short frames; pskb_trim_rcsum() fixes up csum */
	if (pskb_trim_rcsum(skb, len))
		goto drop_nomem;
	iph = ip_hdr(skb);

	if (ip_is_fragment(iph))
		goto drop_frag;
	if (iph->daddr != link->addr)
		goto drop_otherhost;
	/* nothing may answer these: a reply would be a broadcast */
	if (!iph->saddr || ipv4_is_multicast(iph->saddr) ||
	    ipv4_is_lbcast(iph->saddr) || link_is_bcast(link, iph->saddr))
		goto drop_hdr;

	/* XTCP is the last stop: the sender's socket keeps no claim on it */
	skb_orphan(skb);
	skb_pull_rcsum(skb, hlen);
	skb_reset_transport_header(skb);

	switch (iph->protocol) {
	case IPPROTO_TCP:
		xtcp_rcv(skb);
		return NET_RX_SUCCESS;
	case IPPROTO_ICMP:
		xtcp_icmp_rcv(link, skb);
		return NET_RX_SUCCESS;
	}
	XTCP_INC_STATS(net, DROP_IP_PROTO);
	reason = SKB_DROP_REASON_IP_NOPROTO;
	goto drop;

drop_otherhost:
	XTCP_INC_STATS(net, DROP_IP_OTHERHOST);
	reason = SKB_DROP_REASON_OTHERHOST;
	goto drop;
drop_hdr:
	XTCP_INC_STATS(net, DROP_IP_HDR);
	reason = SKB_DROP_REASON_IP_INHDR;
	goto drop;
drop_csum:
	XTCP_INC_STATS(net, DROP_IP_CSUM);
	reason = SKB_DROP_REASON_IP_CSUM;
	goto drop;
drop_len:
	XTCP_INC_STATS(net, DROP_IP_LEN);
	reason = SKB_DROP_REASON_PKT_TOO_SMALL;
	goto drop;
drop_nomem:
	XTCP_INC_STATS(net, DROP_NOMEM);
	reason = SKB_DROP_REASON_NOMEM;
	goto drop;
drop_frag:
	/* XTCP sends DF and does not reassemble */
	XTCP_INC_STATS(net, DROP_IP_FRAG);
	reason = SKB_DROP_REASON_IP_INHDR;
drop:
	kfree_skb_reason(skb, reason);
	return NET_RX_DROP;
}

static int link_check_addr(__be32 addr, u8 prefixlen, __be32 gw,
			   struct netlink_ext_ack *extack)
{
	__be32 mask;

	if (prefixlen > 32) {
		NL_SET_ERR_MSG(extack, "prefix length above 32");
		return -EINVAL;
	}
	mask = inet_make_mask(prefixlen);
	if (!addr || ipv4_is_multicast(addr) || ipv4_is_lbcast(addr) ||
	    ipv4_is_loopback(addr) ||
	    (prefixlen < 31 && addr == (addr | ~mask))) {
		NL_SET_ERR_MSG(extack, "address not usable by a host");
		return -EINVAL;
	}
	if (gw && (gw == addr || ((gw ^ addr) & mask) ||
		   (prefixlen < 31 && gw == (addr | ~mask)))) {
		NL_SET_ERR_MSG(extack, "gateway not a host inside the prefix");
		return -EINVAL;
	}
	return 0;
}

/*
 * Ethernet gets ARP; devices without a link-layer header (tun, WireGuard)
 * get bare IPv4. Anything else would need a resolver XTCP does not have.
 */
static int link_check_dev(struct net_device *dev, bool *has_arp,
			  struct netlink_ext_ack *extack)
{
	struct in_device *in_dev = __in_dev_get_rtnl(dev);

	if (dev->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG(extack, "loopback cannot be attached");
		return -EINVAL;
	}
	/*
	 * With an IPv4 address of its own on the device, the kernel would
	 * answer ARP and ping for it and reset XTCP's connections.
	 */
	if (in_dev && rtnl_dereference(in_dev->ifa_list)) {
		NL_SET_ERR_MSG(extack,
			       "device has kernel IPv4 addresses; remove them first");
		return -EBUSY;
	}
	/*
	 * tun in IFF_TUN mode has header_ops with only parse_protocol (for
	 * AF_PACKET): what matters is that it builds no link-layer header.
	 */
	if (!dev->header_ops || !dev->header_ops->create) {
		*has_arp = false;
		return 0;
	}
	if (dev->type == ARPHRD_ETHER && dev->addr_len == ETH_ALEN) {
		*has_arp = true;
		return 0;
	}
	NL_SET_ERR_MSG(extack, "device is neither Ethernet nor header-less");
	return -EOPNOTSUPP;
}

int xtcp_link_add(struct net *net, const char *ifname, int ifindex,
		  __be32 addr, u8 prefixlen, __be32 gw,
		  struct netlink_ext_ack *extack)
{
	struct xtcp_link *link, *old_dev, *old_addr;
	struct xtcp_net *xn = xtcp_net(net);
	struct net_device *dev;
	bool has_arp;
	int err;

	err = link_check_addr(addr, prefixlen, gw, extack);
	if (err)
		return err;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;

	/*
	 * RTNL from the lookup to the list insertion: the device cannot be
	 * unregistered in between, so the notifier is sure to see the link.
	 */
	rtnl_lock();
	mutex_lock(&xn->links_lock);

	dev = ifname ? __dev_get_by_name(net, ifname) :
		       __dev_get_by_index(net, ifindex);
	if (!dev) {
		NL_SET_ERR_MSG(extack, "device not found");
		err = -ENODEV;
		goto err_unlock;
	}
	err = link_check_dev(dev, &has_arp, extack);
	if (err)
		goto err_unlock;
	old_dev = link_find_dev(dev);
	if (old_dev && !old_dev->dead) {
		NL_SET_ERR_MSG(extack, "device already attached");
		err = -EEXIST;
		goto err_unlock;
	}
	old_addr = link_find_addr(xn, addr);
	if (old_addr && !old_addr->dead) {
		NL_SET_ERR_MSG(extack, "address already used by another link");
		err = -EADDRINUSE;
		goto err_unlock;
	}
	/*
	 * A removed link still aborting its sockets yields to the new one:
	 * one link per device and per address, and what it has left to
	 * abort goes without RSTs.
	 */
	if (old_dev)
		link_detach(old_dev);
	if (old_addr && old_addr != old_dev)
		link_detach(old_addr);

	link->net = net;
	link->dev = dev;
	link->addr = addr;
	link->prefixlen = prefixlen;
	link->mask = inet_make_mask(prefixlen);
	link->gw = gw;
	link->has_arp = has_arp;
	INIT_WORK(&link->abort_work, link_abort_work);
	xtcp_arp_init(link);
	netdev_hold(dev, &link->dev_tracker, GFP_KERNEL);

	/* routable before the first packet comes in, so replies find it */
	list_add_tail_rcu(&link->node, &xn->links);
	xn->nr_links++;
	list_add_tail(&link->all_node, &xtcp_link_all);

	link->pt_ip.type = htons(ETH_P_IP);
	link->pt_ip.dev = dev;
	link->pt_ip.func = xtcp_link_rcv;
	dev_add_pack(&link->pt_ip);
	if (has_arp) {
		link->pt_arp.type = htons(ETH_P_ARP);
		link->pt_arp.dev = dev;
		link->pt_arp.func = xtcp_arp_rcv;
		dev_add_pack(&link->pt_arp);
	}
	/*
	 * The slot is the device's only one: a bridge port, a bond slave or
	 * a macvlan lower has it taken. XTCP then works as well, with the
	 * kernel's IPv4 input dropping a copy of each packet beside it.
	 */
	link->rx_exact = !netdev_rx_handler_register(dev, xtcp_link_rx_handler,
						     NULL);

	mutex_unlock(&xn->links_lock);
	rtnl_unlock();
	return 0;

err_unlock:
	mutex_unlock(&xn->links_lock);
	rtnl_unlock();
	kfree(link);
	return err;
}

int xtcp_link_del(struct net *net, const char *ifname, int ifindex,
		  struct netlink_ext_ack *extack)
{
	struct xtcp_net *xn = xtcp_net(net);
	struct xtcp_link *link, *found = NULL;

	rtnl_lock();
	mutex_lock(&xn->links_lock);
	list_for_each_entry(link, &xn->links, node) {
		/* already on its way out: as good as gone */
		if (link->dead)
			continue;
		/* device names are stable under RTNL */
		if (ifname ? !strcmp(link->dev->name, ifname) :
			     link->dev->ifindex == ifindex) {
			found = link;
			break;
		}
	}
	/* detached by abort_work, once the RSTs are out */
	if (found)
		link_kill(found);
	else
		NL_SET_ERR_MSG(extack, "device not attached");
	mutex_unlock(&xn->links_lock);
	rtnl_unlock();

	return found ? 0 : -ENODEV;
}

void xtcp_link_net_exit(struct net *net)
{
	struct xtcp_net *xn = xtcp_net(net);
	struct xtcp_link *link, *tmp;

	/* every socket of the netns is gone: abort_work only frees */
	rtnl_lock();
	mutex_lock(&xn->links_lock);
	list_for_each_entry_safe(link, tmp, &xn->links, node) {
		link_kill(link);
		link_detach(link);
	}
	mutex_unlock(&xn->links_lock);
	rtnl_unlock();
}

static void link_fill_info(const struct xtcp_link *link,
			   struct xtcp_link_info *info)
{
	const struct net_device *dev = link->dev;

	memset(info, 0, sizeof(*info));
	info->ifindex = dev->ifindex;
	/* a concurrent rename may tear the copy; the next dump is right */
	strscpy(info->ifname, dev->name, sizeof(info->ifname));
	info->addr = link->addr;
	info->gw = link->gw;
	info->prefixlen = link->prefixlen;
	info->mtu = READ_ONCE(dev->mtu);
	info->neighs = xtcp_arp_count(link);
}

/*
 * Returns the index to resume from: the links skipped plus those fn
 * accepted. The link fn refused (its message did not fit) is not counted,
 * so the next call starts with it.
 */
int xtcp_link_dump(struct net *net, int skip,
		   int (*fn)(const struct xtcp_link_info *info, void *arg),
		   void *arg)
{
	struct xtcp_net *xn = xtcp_net(net);
	struct xtcp_link_info info;
	struct xtcp_link *link;
	int idx = 0;

	rcu_read_lock();
	list_for_each_entry_rcu(link, &xn->links, node) {
		/* removed, and only sending its last RSTs */
		if (READ_ONCE(link->dead))
			continue;
		if (idx < skip) {
			idx++;
			continue;
		}
		link_fill_info(link, &info);
		if (fn(&info, arg))
			break;
		idx++;
	}
	rcu_read_unlock();

	return idx;
}

/*
 * The most specific link whose prefix covers daddr, else the first link
 * (in attach order) that has a gateway. With *saddr set, only the link
 * owning it is considered, as for a socket bound to an address.
 */
int xtcp_link_route(struct net *net, __be32 daddr, __be32 *saddr,
		    unsigned int *mtu)
{
	return xtcp_link_route_dev(net, 0, daddr, saddr, mtu);
}

/*
 * xtcp_link_route() over the device @ifindex only, if not 0: the route of
 * a socket bound to it (SO_BINDTODEVICE), as ip_route_connect() passes
 * the socket's sk_bound_dev_if as the flow's oif. Unlike Linux, which
 * takes a destination no route of that device covers for one on its link
 * and tries ARP there, XTCP says ENETUNREACH at once: a link has one
 * prefix and one gateway, and nothing else is reachable through it.
 */
int xtcp_link_route_dev(struct net *net, int ifindex, __be32 daddr,
			__be32 *saddr, unsigned int *mtu)
{
	struct xtcp_link *link, *onlink = NULL, *via_gw = NULL;
	struct xtcp_net *xn = xtcp_net(net);
	__be32 nexthop;
	int err = -ENETUNREACH;

	rcu_read_lock();
	list_for_each_entry_rcu(link, &xn->links, node) {
		/* a removed link takes no new connection */
		if (READ_ONCE(link->dead))
			continue;
		if (*saddr && link->addr != *saddr)
			continue;
		if (ifindex && link->dev->ifindex != ifindex)
			continue;
		nexthop = link_nexthop(link, daddr);
		if (!nexthop)
			continue;
		if (nexthop == daddr) {
			if (!onlink || link->prefixlen > onlink->prefixlen)
				onlink = link;
		} else if (!via_gw) {
			via_gw = link;
		}
	}
	link = onlink ?: via_gw;
	if (link) {
		*saddr = link->addr;
		*mtu = READ_ONCE(link->dev->mtu);
		err = 0;
	}
	rcu_read_unlock();

	return err;
}

/*
 * What the device of the link owning saddr accepts in one GSO packet, for
 * the socket to cache at connect and accept time as sk_setup_caps() does:
 * the whole packet below gso_max_size, at most gso_max_segs segments.
 * Like Linux, XTCP builds GSO packets whether or not the device does TSO:
 * without it the core cuts them in software before the driver (and before
 * the packet taps) sees them, which costs less than sending each segment
 * down the stack. Limits of 0 when no link owns saddr (any more).
 */
void xtcp_link_gso_caps(struct net *net, __be32 saddr,
			unsigned int *max_size, u16 *max_segs)
{
	struct xtcp_link *link;

	*max_size = 0;
	*max_segs = 0;
	rcu_read_lock();
	link = link_find_addr(xtcp_net(net), saddr);
	if (link) {
		/* pairs with WRITE_ONCE() in netif_set_gso_max_size/segs() */
		*max_size = READ_ONCE(link->dev->gso_max_size);
		*max_segs = min_t(u32, READ_ONCE(link->dev->gso_max_segs),
				  U16_MAX);
	}
	rcu_read_unlock();
}

/* Whether addr belongs to a link that is not being removed. */
bool xtcp_link_addr_is_local(struct net *net, __be32 addr)
{
	struct xtcp_link *link;
	bool local;

	rcu_read_lock();
	link = link_find_addr(xtcp_net(net), addr);
	local = link && !READ_ONCE(link->dead);
	rcu_read_unlock();

	return local;
}

static int xtcp_link_netdev_event(struct notifier_block *nb,
				  unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct xtcp_link *link;
	struct xtcp_net *xn;

	if (event != NETDEV_UNREGISTER && event != NETDEV_DOWN)
		return NOTIFY_DONE;

	link = link_find_dev(dev);
	if (!link)
		return NOTIFY_DONE;

	/* whatever sits behind the device now may not be what we learned */
	if (event == NETDEV_DOWN) {
		xtcp_arp_flush(link);
		return NOTIFY_DONE;
	}

	/*
	 * Unregistration, also the first half of a move to another netns:
	 * dev_net() is still the old netns, the one the link belongs to.
	 * The core holds RTNL and waits for the device's references, so the
	 * link lets go of it now; abort_work aborts the sockets later.
	 */
	xn = xtcp_net(link->net);
	mutex_lock(&xn->links_lock);
	link_kill(link);
	link_detach(link);
	mutex_unlock(&xn->links_lock);
	return NOTIFY_DONE;
}

static struct notifier_block xtcp_link_notifier = {
	.notifier_call = xtcp_link_netdev_event,
};

int xtcp_link_init(void)
{
	int err;

	/* unbound: one work may sleep on a socket while others proceed */
	xtcp_link_wq = alloc_workqueue("xtcp_link", WQ_UNBOUND, 0);
	if (!xtcp_link_wq)
		return -ENOMEM;
	err = register_netdevice_notifier(&xtcp_link_notifier);
	if (err)
		destroy_workqueue(xtcp_link_wq);
	return err;
}

/*
 * Called with the genl family and the socket family already gone, so no
 * link can be added any more; the netns may still hold some. Detaching
 * them before the notifier goes leaves no window where an unregistering
 * device could keep its references. No socket is left (each holds the
 * module), so the abort_work still queued cannot wait on one: draining
 * the workqueue, without RTNL, which it takes, ends them all.
 */
void xtcp_link_uninit(void)
{
	struct xtcp_link *link, *tmp;
	struct xtcp_net *xn;

	rtnl_lock();
	list_for_each_entry_safe(link, tmp, &xtcp_link_all, all_node) {
		xn = xtcp_net(link->net);
		mutex_lock(&xn->links_lock);
		link_kill(link);
		link_detach(link);
		mutex_unlock(&xn->links_lock);
	}
	rtnl_unlock();

	unregister_netdevice_notifier(&xtcp_link_notifier);
	destroy_workqueue(xtcp_link_wq);
}
