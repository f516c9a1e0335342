// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP (RFC 792) for XTCP's addresses. The kernel keeps no address on an
 * XTCP device, so nobody else answers ping there. Everything but echo is
 * counted and dropped for now.
 */

#include <linux/icmp.h>
#include <linux/ip.h>
#include <net/checksum.h>
#include "xtcp.h"
#include "link.h"

/* echo replies per second per netns */
static unsigned int xtcp_echo_ratelimit = 1000;
module_param_named(echo_ratelimit, xtcp_echo_ratelimit, uint, 0644);
MODULE_PARM_DESC(echo_ratelimit,
		 "ICMP echo replies per second per netns (default 1000; 0: no limit)");

/*
 * A ping flood must not make us send as much as it brings: echo replies
 * are bounded per netns, counted when held back. Linux does not limit
 * them by default (echo reply is outside icmp_ratemask); RFC 1122
 * 3.2.2.6 does not require that every echo be answered.
 */
static bool icmp_echo_allowed(struct xtcp_link *link)
{
	if (xtcp_net_ratelimit(&xtcp_net(link->net)->echo_rs,
			       READ_ONCE(xtcp_echo_ratelimit)))
		return true;
	XTCP_INC_STATS(link->net, OUTECHOLIMITED);
	return false;
}

/*
 * RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence
 * number and data. Built afresh rather than turned around in place, since
 * the request may be a clone shared with the kernel or sit in fragments.
 */
static void icmp_echo(struct xtcp_link *link, struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	/*
	 * No connection owns a reply: ID 0 with DF, as Linux numbers DF
	 * packets without a connected socket (ip_select_ident_segs()), so
	 * the reply's ID says nothing about what else the host sent.
	 */
	struct xtcp_ip_params ipp = {
		.saddr = iph->daddr,
		.daddr = iph->saddr,
		.proto = IPPROTO_ICMP,
		.df = true,
	};
	unsigned int len = skb->len;
	struct icmphdr *icmph;
	struct sk_buff *reply;

	reply = alloc_skb(XTCP_MAX_HEADER + len, GFP_ATOMIC);
	if (!reply) {
		XTCP_INC_STATS(link->net, DROP_NOMEM);
		kfree_skb_reason(skb, SKB_DROP_REASON_NOMEM);
		return;
	}
	skb_reserve(reply, XTCP_MAX_HEADER);
	skb_reset_transport_header(reply);
	icmph = skb_put(reply, len);
	/* cannot fail: len is exactly what skb holds */
	skb_copy_bits(skb, 0, icmph, len);
	icmph->type = ICMP_ECHOREPLY;
	icmph->code = 0;
	icmph->checksum = 0;
	icmph->checksum = ip_compute_csum(icmph, len);

	XTCP_INC_STATS(link->net, OUT_ECHO_REPLIES);
	xtcp_link_output(link->net, reply, &ipp);
	consume_skb(skb);
}

/*
 * Errors that quote one of our segments (destination unreachable, among
 * them RFC 1191 "fragmentation needed", time exceeded, parameter problem)
 * belong to the TCP socket they name, per RFC 1122 4.2.3.9 and RFC 5927.
 * Until input.c offers a handler, they are counted and dropped here; the
 * quoted headers are already checksum-verified and pullable from skb.
 */
static void icmp_error(struct xtcp_link *link, struct sk_buff *skb)
{
	XTCP_INC_STATS(link->net, DROP_ICMP);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
}

/*
 * Called from link.c's RX with the IPv4 header checked and pulled (still
 * reachable through ip_hdr()) and skb->data at the ICMP header.
 */
void xtcp_icmp_rcv(struct xtcp_link *link, struct sk_buff *skb)
{
	const struct icmphdr *icmph;

	if (!pskb_may_pull(skb, sizeof(*icmph)))
		goto drop;
	/* handles CHECKSUM_COMPLETE and _UNNECESSARY, else sums it all */
	if (skb_checksum_simple_validate(skb))
		goto drop_csum;

	icmph = icmp_hdr(skb);
	switch (icmph->type) {
	case ICMP_ECHO:
		if (icmph->code)
			break;
		if (!icmp_echo_allowed(link)) {
			consume_skb(skb);
			return;
		}
		icmp_echo(link, skb);
		return;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		icmp_error(link, skb);
		return;
	}

drop:
	XTCP_INC_STATS(link->net, DROP_ICMP);
	kfree_skb_reason(skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return;
drop_csum:
	XTCP_INC_STATS(link->net, DROP_ICMP);
	kfree_skb_reason(skb, SKB_DROP_REASON_ICMP_CSUM);
}
