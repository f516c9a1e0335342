// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "xtcp": attach and detach devices, list them,
 * read the counters. uapi/linux/xtcp.h documents every command; this file
 * only parses and formats, link.c and proc.c do the work.
 */

#include <linux/if.h>
#include <net/genetlink.h>

#include "xtcp.h"

static struct genl_family xtcp_genl_family;

/*
 * Requests are validated strictly (no GENL_DONT_VALIDATE_* flag on any op),
 * so attributes that only appear in replies (MTU, NEIGHS, STATS) are left
 * out of the policy and rejected when a request carries them.
 */
static const struct nla_policy xtcp_genl_policy[XTCP_A_MAX + 1] = {
	[XTCP_A_LINK_IFINDEX]	= NLA_POLICY_MIN(NLA_U32, 1),
	[XTCP_A_LINK_IFNAME]	= { .type = NLA_NUL_STRING,
				    .len = IFNAMSIZ - 1 },
	[XTCP_A_LINK_ADDR]	= { .type = NLA_U32 },
	[XTCP_A_LINK_PREFIXLEN]	= NLA_POLICY_MAX(NLA_U8, 32),
	[XTCP_A_LINK_GATEWAY]	= { .type = NLA_U32 },
};

/*
 * A device is named by XTCP_A_LINK_IFNAME or XTCP_A_LINK_IFINDEX; when both
 * come, link.c gets both and decides.
 */
static int xtcp_genl_get_dev(struct genl_info *info, const char **ifname,
			     int *ifindex)
{
	struct nlattr **attrs = info->attrs;

	if (!attrs[XTCP_A_LINK_IFNAME] && !attrs[XTCP_A_LINK_IFINDEX]) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing device: need XTCP_A_LINK_IFNAME or XTCP_A_LINK_IFINDEX");
		return -EINVAL;
	}

	*ifname = attrs[XTCP_A_LINK_IFNAME] ?
		  nla_data(attrs[XTCP_A_LINK_IFNAME]) : NULL;
	*ifindex = attrs[XTCP_A_LINK_IFINDEX] ?
		   nla_get_u32(attrs[XTCP_A_LINK_IFINDEX]) : 0;
	return 0;
}

static int xtcp_genl_link_add(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	const char *ifname;
	__be32 gw = 0;
	int ifindex;
	int err;

	err = xtcp_genl_get_dev(info, &ifname, &ifindex);
	if (err)
		return err;

	if (GENL_REQ_ATTR_CHECK(info, XTCP_A_LINK_ADDR)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing address: need XTCP_A_LINK_ADDR");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, XTCP_A_LINK_PREFIXLEN)) {
		NL_SET_ERR_MSG_MOD(info->extack,
				   "missing prefix length: need XTCP_A_LINK_PREFIXLEN");
		return -EINVAL;
	}
	if (attrs[XTCP_A_LINK_GATEWAY])
		gw = nla_get_in_addr(attrs[XTCP_A_LINK_GATEWAY]);

	return xtcp_link_add(genl_info_net(info), ifname, ifindex,
			     nla_get_in_addr(attrs[XTCP_A_LINK_ADDR]),
			     nla_get_u8(attrs[XTCP_A_LINK_PREFIXLEN]), gw,
			     info->extack);
}

static int xtcp_genl_link_del(struct sk_buff *skb, struct genl_info *info)
{
	const char *ifname;
	int ifindex;
	int err;

	err = xtcp_genl_get_dev(info, &ifname, &ifindex);
	if (err)
		return err;

	return xtcp_link_del(genl_info_net(info), ifname, ifindex,
			     info->extack);
}

struct xtcp_genl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

/*
 * Called by xtcp_link_dump() under RCU for each link not sent yet.
 * Returning non-zero says the skb is full: xtcp_link_dump() stops and
 * leaves this link for the next round.
 */
static int xtcp_genl_link_put(const struct xtcp_link_info *link, void *arg)
{
	struct xtcp_genl_dump *dump = arg;
	struct sk_buff *skb = dump->skb;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(dump->cb->skb).portid,
			  dump->cb->nlh->nlmsg_seq, &xtcp_genl_family,
			  NLM_F_MULTI, XTCP_CMD_LINK_GET);
	if (!hdr)
		return 1;

	if (nla_put_u32(skb, XTCP_A_LINK_IFINDEX, link->ifindex) ||
	    nla_put_string(skb, XTCP_A_LINK_IFNAME, link->ifname) ||
	    nla_put_in_addr(skb, XTCP_A_LINK_ADDR, link->addr) ||
	    nla_put_u8(skb, XTCP_A_LINK_PREFIXLEN, link->prefixlen) ||
	    (link->gw && nla_put_in_addr(skb, XTCP_A_LINK_GATEWAY, link->gw)) ||
	    nla_put_u32(skb, XTCP_A_LINK_MTU, link->mtu) ||
	    nla_put_u32(skb, XTCP_A_LINK_NEIGHS, link->neighs)) {
		genlmsg_cancel(skb, hdr);
		return 1;
	}

	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[0] is the index to resume from, which xtcp_link_dump() returns.
 * Links attached or detached between two rounds may be skipped or shown
 * twice, as in any netlink dump; a list that fits one skb (a few hundred
 * links) is always exact. A round that adds nothing ends the dump.
 */
static int xtcp_genl_link_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct xtcp_genl_dump dump = { .skb = skb, .cb = cb };

	cb->args[0] = xtcp_link_dump(sock_net(skb->sk), cb->args[0],
				     xtcp_genl_link_put, &dump);
	return skb->len;
}

/* XTCP_A_STATS, holding one XTCP_A_STAT nest per counter */
static size_t xtcp_genl_stats_size(void)
{
	size_t size = nla_total_size(0);
	int i;

	for (i = 0; i < __XTCP_MIB_MAX; i++)
		size += nla_total_size(0) +
			nla_total_size(strlen(xtcp_mib_names[i]) + 1) +
			nla_total_size_64bit(sizeof(u64));
	return size;
}

static int xtcp_genl_put_stats(struct sk_buff *msg, const u64 *vals)
{
	struct nlattr *stats, *stat;
	int i;

	stats = nla_nest_start(msg, XTCP_A_STATS);
	if (!stats)
		return -EMSGSIZE;

	for (i = 0; i < __XTCP_MIB_MAX; i++) {
		stat = nla_nest_start(msg, XTCP_A_STAT);
		if (!stat)
			goto err_cancel;
		if (nla_put_string(msg, XTCP_A_STAT_NAME, xtcp_mib_names[i]) ||
		    nla_put_u64_64bit(msg, XTCP_A_STAT_VALUE, vals[i],
				      XTCP_A_STAT_PAD))
			goto err_cancel;
		nla_nest_end(msg, stat);
	}

	nla_nest_end(msg, stats);
	return 0;

err_cancel:
	nla_nest_cancel(msg, stats);
	return -EMSGSIZE;
}

static int xtcp_genl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	u64 vals[__XTCP_MIB_MAX];
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(xtcp_genl_stats_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &xtcp_genl_family, 0,
				XTCP_CMD_STATS_GET);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}

	xtcp_stats_fold(genl_info_net(info), vals);
	err = xtcp_genl_put_stats(msg, vals);
	if (err)
		goto err_free;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

static const struct genl_small_ops xtcp_genl_ops[] = {
	{
		.cmd	= XTCP_CMD_LINK_ADD,
		.doit	= xtcp_genl_link_add,
		/* CAP_NET_ADMIN in the user namespace owning the netns */
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= XTCP_CMD_LINK_DEL,
		.doit	= xtcp_genl_link_del,
		.flags	= GENL_UNS_ADMIN_PERM,
	}, {
		.cmd	= XTCP_CMD_LINK_GET,
		.dumpit	= xtcp_genl_link_dump,
	}, {
		.cmd	= XTCP_CMD_STATS_GET,
		.doit	= xtcp_genl_stats_get,
	},
};

/*
 * resv_start_op stays 0: every command is new, so the core checks the
 * reserved genl header field and applies the policy to all of them.
 */
static struct genl_family xtcp_genl_family __ro_after_init = {
	.name		= XTCP_GENL_NAME,
	.version	= XTCP_GENL_VERSION,
	.maxattr	= XTCP_A_MAX,
	.policy		= xtcp_genl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.small_ops	= xtcp_genl_ops,
	.n_small_ops	= ARRAY_SIZE(xtcp_genl_ops),
};

/* The family is written by registration, so this runs from module init. */
int __init xtcp_genl_init(void)
{
	return genl_register_family(&xtcp_genl_family);
}

void xtcp_genl_uninit(void)
{
	genl_unregister_family(&xtcp_genl_family);
}
