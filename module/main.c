// SPDX-License-Identifier: GPL-2.0
/*
 * XTCP: an AF_XTCP socket family with a TCP of its own, speaking IPv4 on
 * devices it owns. This file is only the init/exit ladder.
 */
#include <linux/module.h>
#include <net/net_namespace.h>
#include "xtcp.h"

unsigned int xtcp_family = AF_XTCP;
module_param_named(family, xtcp_family, uint, 0444);
MODULE_PARM_DESC(family, "socket family number (default AF_XTCP)");

unsigned int xtcp_msl_ms = 30000;
module_param_named(msl_ms, xtcp_msl_ms, uint, 0644);
MODULE_PARM_DESC(msl_ms, "maximum segment lifetime in ms; TIME_WAIT lasts 2 MSL");

/*
 * Like tcp_max_tw_buckets, per netns. Linux 6.1 sets it to half its
 * established hash's size (tcp_set_hashinfo()), which scales with memory:
 * 262144 where that hash has 524288 buckets, less on small machines.
 */
unsigned int xtcp_max_tw_buckets = 262144;
module_param_named(max_tw_buckets, xtcp_max_tw_buckets, uint, 0644);
MODULE_PARM_DESC(max_tw_buckets, "TIME_WAIT entries per netns; over it a connection closes without one");

/* like tcp_sack and tcp_timestamps: what a SYN and a SYN-ACK offer */
bool xtcp_sack_enabled = true;
module_param_named(sack, xtcp_sack_enabled, bool, 0644);
MODULE_PARM_DESC(sack, "offer SACK (RFC 2018) in SYNs and SYN-ACKs");

bool xtcp_timestamps_enabled = true;
module_param_named(timestamps, xtcp_timestamps_enabled, bool, 0644);
MODULE_PARM_DESC(timestamps, "offer timestamps (RFC 7323) in SYNs and SYN-ACKs");

/*
 * Like tcp_keepalive_time, _intvl and _probes (seconds, seconds, count)
 * and tcp_fin_timeout (seconds), global rather than per netns: the
 * defaults of TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT and TCP_LINGER2
 * (timer.c). A socket reads them when it arms its timer.
 */
unsigned int xtcp_keepalive_time = 7200;
module_param_named(keepalive_time, xtcp_keepalive_time, uint, 0644);
MODULE_PARM_DESC(keepalive_time, "seconds idle before the first keepalive probe (TCP_KEEPIDLE's default)");

unsigned int xtcp_keepalive_intvl = 75;
module_param_named(keepalive_intvl, xtcp_keepalive_intvl, uint, 0644);
MODULE_PARM_DESC(keepalive_intvl, "seconds between keepalive probes (TCP_KEEPINTVL's default)");

unsigned int xtcp_keepalive_probes = 9;
module_param_named(keepalive_probes, xtcp_keepalive_probes, uint, 0644);
MODULE_PARM_DESC(keepalive_probes, "unanswered keepalive probes before ETIMEDOUT (TCP_KEEPCNT's default)");

unsigned int xtcp_fin_timeout = 60;
module_param_named(fin_timeout, xtcp_fin_timeout, uint, 0644);
MODULE_PARM_DESC(fin_timeout, "seconds an orphaned FIN_WAIT_2 waits for the peer's FIN (TCP_LINGER2's default)");

/*
 * Like tcp_max_orphans, per netns: orphans beyond it are reset (timer.c
 * xtcp_timer_orphan_oom()). Linux 6.1 sets it, like tcp_max_tw_buckets,
 * to half its established hash's size (tcp_init()).
 */
unsigned int xtcp_max_orphans = 262144;
module_param_named(max_orphans, xtcp_max_orphans, uint, 0644);
MODULE_PARM_DESC(max_orphans, "orphaned sockets per netns; over it a closed connection is reset");

/*
 * Like tcp_notsent_lowat, global rather than per netns: TCP_NOTSENT_LOWAT's
 * default, UINT_MAX (no limit) as Linux's (sock.c
 * xtcp_stream_memory_free()).
 */
unsigned int xtcp_notsent_lowat = UINT_MAX;
module_param_named(notsent_lowat, xtcp_notsent_lowat, uint, 0644);
MODULE_PARM_DESC(notsent_lowat, "unsent bytes above which a socket is not writable (TCP_NOTSENT_LOWAT's default)");

unsigned int xtcp_net_id __read_mostly;

struct proto xtcp_prot = {
	.name		= "XTCP",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct xtcp_sock),
	.backlog_rcv	= xtcp_backlog_rcv,
	.release_cb	= xtcp_release_cb,
	.keepalive	= xtcp_keepalive,
	.stream_memory_free = xtcp_stream_memory_free,
	/* the socket core's memory account, as tcp_prot's (buf.c) */
	.enter_memory_pressure	= xtcp_buf_enter_memory_pressure,
	.leave_memory_pressure	= xtcp_buf_leave_memory_pressure,
	.memory_allocated	= &xtcp_memory_allocated,
	.per_cpu_fw_alloc	= &xtcp_memory_per_cpu_fw_alloc,
	.memory_pressure	= &xtcp_memory_pressure,
	.sockets_allocated	= &xtcp_sockets_allocated,
	.sysctl_mem		= xtcp_mem,
	.sysctl_wmem		= xtcp_wmem,
	.sysctl_rmem		= xtcp_rmem,
};

/*
 * A per-netns limit on replies an attacker could draw out of us: a
 * second's worth of burst, refilled each second (lib/ratelimit.c, as
 * icmp_global_allow() is a token bucket for ICMP errors). Silent:
 * overflow is counted by the caller, never logged.
 */
static void xtcp_net_ratelimit_init(struct ratelimit_state *rs)
{
	ratelimit_state_init(rs, HZ, 1);
	ratelimit_set_flags(rs, RATELIMIT_MSG_ON_RELEASE);
}

/*
 * true when a reply may go: at most @per_sec in a second, none held back
 * when @per_sec is 0 (as icmp_ratelimit 0). The limit is a module
 * parameter, read at each call so that a write takes effect at once.
 * ___ratelimit() only trylocks: a reply racing another CPU's may be
 * held back, which a limit on hostile traffic can afford.
 */
bool xtcp_net_ratelimit(struct ratelimit_state *rs, unsigned int per_sec)
{
	unsigned long flags;

	if (!per_sec)
		return true;
	if (unlikely(READ_ONCE(rs->burst) != per_sec)) {
		raw_spin_lock_irqsave(&rs->lock, flags);
		rs->burst = per_sec;
		raw_spin_unlock_irqrestore(&rs->lock, flags);
	}
	return __ratelimit(rs);
}

static int __net_init xtcp_net_init(struct net *net)
{
	struct xtcp_net *xn = xtcp_net(net);
	int err;

	INIT_LIST_HEAD(&xn->links);
	mutex_init(&xn->links_lock);
	xtcp_net_ratelimit_init(&xn->rst_rs);
	xtcp_net_ratelimit_init(&xn->echo_rs);
	xtcp_timewait_net_init(net);
	xn->mib = alloc_percpu(struct xtcp_mib);
	if (!xn->mib)
		return -ENOMEM;
	err = xtcp_proc_net_init(net);
	if (err)
		goto err_free_mib;
	return 0;

err_free_mib:
	free_percpu(xn->mib);
	return err;
}

/*
 * every socket of the netns is gone: each one held a reference on it.
 * TIME_WAIT entries hold none, and go here.
 */
static void __net_exit xtcp_net_exit(struct net *net)
{
	xtcp_timewait_net_exit(net);
	xtcp_link_net_exit(net);
	xtcp_fastopen_net_exit(net);
	xtcp_proc_net_exit(net);
	free_percpu(xtcp_net(net)->mib);
}

static struct pernet_operations xtcp_net_ops = {
	.init	= xtcp_net_init,
	.exit	= xtcp_net_exit,
	.id	= &xtcp_net_id,
	.size	= sizeof(struct xtcp_net),
};

static int __init xtcp_init(void)
{
	int err;

	if (!xtcp_family || xtcp_family >= NPROTO) {
		pr_err("family=%u is out of range (1..%d)\n", xtcp_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	err = xtcp_demux_init();
	if (err)
		return err;
	err = xtcp_listen_init();
	if (err)
		goto err_demux;
	err = xtcp_fastopen_init();
	if (err)
		goto err_listen;
	err = xtcp_timewait_init();
	if (err)
		goto err_listen;
	err = xtcp_cong_module_init();
	if (err)
		goto err_timewait;
	err = xtcp_buf_init();
	if (err)
		goto err_cong;
	err = proto_register(&xtcp_prot, 1);
	if (err)
		goto err_buf;
	err = register_pernet_subsys(&xtcp_net_ops);
	if (err)
		goto err_proto;
	err = xtcp_link_init();
	if (err)
		goto err_pernet;
	err = xtcp_sock_register();
	if (err)
		goto err_link;
	err = xtcp_genl_init();
	if (err)
		goto err_sock;
	pr_info("loaded, address family %u\n", xtcp_family);
	return 0;

err_sock:
	xtcp_sock_unregister();
err_link:
	xtcp_link_uninit();
err_pernet:
	unregister_pernet_subsys(&xtcp_net_ops);
err_proto:
	proto_unregister(&xtcp_prot);
err_buf:
	xtcp_buf_uninit();
err_cong:
	xtcp_cong_module_exit();
err_timewait:
	/* the failed netns setup freed its entries after a grace period */
	rcu_barrier();
	xtcp_timewait_uninit();
err_listen:
	xtcp_listen_uninit();
err_demux:
	xtcp_demux_uninit();
	return err;
}

static void __exit xtcp_exit(void)
{
	xtcp_genl_uninit();
	xtcp_sock_unregister();
	xtcp_link_uninit();
	unregister_pernet_subsys(&xtcp_net_ops);
	/*
	 * sockets (SOCK_RCU_FREE) and TIME_WAIT entries are freed after a
	 * grace period
	 */
	rcu_barrier();
	proto_unregister(&xtcp_prot);
	xtcp_buf_uninit();
	xtcp_cong_module_exit();
	xtcp_timewait_uninit();
	xtcp_listen_uninit();
	xtcp_demux_uninit();
}

module_init(xtcp_init);
module_exit(xtcp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("XTCP: a TCP of its own behind AF_XTCP");
MODULE_AUTHOR("The XTCP developers");
MODULE_ALIAS_NETPROTO(AF_XTCP);
