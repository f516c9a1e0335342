// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/xtcp and /proc/net/xtcp_stat, and the counter names and folding
 * that netlink.c shares.
 *
 * /proc/net/xtcp has the columns of /proc/net/tcp (tcp4_seq_show() in
 * net/ipv4/tcp_ipv4.c), so that tools parsing that file read this one too.
 * TIME_WAIT entries (timewait.c) get the short line of
 * get_timewait4_sock(), timer 3 with the time left. Differences: half-open
 * connections come from the listener's SYN queue and carry no retransmit
 * count; ato and quickack/pingpong are always 0.
 */

#include <linux/jiffies.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <net/net_namespace.h>

#include "xtcp.h"

/* the same list builds the enum, so position i is XTCP_MIB_* value i */
#define XTCP_MIB(e, s) s,
const char * const xtcp_mib_names[__XTCP_MIB_MAX] = {
#include "mib_list.h"
};

#undef XTCP_MIB

/*
 * Sum the per-cpu counters without stopping writers, so a value may miss
 * an increment in flight. CurrEstab is a gauge whose inc and dec may happen
 * on different CPUs: single per-cpu values can "go negative" and wrap, but
 * their sum modulo the width of unsigned long is exact.
 */
void xtcp_stats_fold(struct net *net, u64 *vals)
{
	const struct xtcp_mib __percpu *mib = xtcp_net(net)->mib;
	int cpu, i;

	memset(vals, 0, sizeof(*vals) * __XTCP_MIB_MAX);
	for_each_possible_cpu(cpu) {
		const struct xtcp_mib *m = per_cpu_ptr(mib, cpu);

		for (i = 0; i < __XTCP_MIB_MAX; i++)
			vals[i] += READ_ONCE(m->mibs[i]);
	}

	/* a no-op on 64-bit; on 32-bit it undoes the carries of wrapped cpus */
	vals[XTCP_MIB_CURRESTAB] = (unsigned long)vals[XTCP_MIB_CURRESTAB];
}

/* the layout of /proc/net/snmp6, see snmp6_seq_show_item() */
static int xtcp_proc_stat_show(struct seq_file *seq, void *v)
{
	u64 vals[__XTCP_MIB_MAX];
	int i;

	xtcp_stats_fold(seq_file_single_net(seq), vals);
	for (i = 0; i < __XTCP_MIB_MAX; i++)
		seq_printf(seq, "%-32s\t%llu\n", xtcp_mib_names[i], vals[i]);
	xtcp_buf_proc_show(seq);
	return 0;
}

/* every line of /proc/net/tcp is padded to this width, newline included */
#define XTCP_PROC_LINE	150

struct xtcp_proc_walk {
	struct seq_file *seq;
	int num;		/* the "sl" column: lines printed so far */
};

/*
 * Which timer the "tr" column names, as get_tcp4_sock() does: 1 retransmit
 * (also SYN and, on a listener, SYN-ACK), 4 zero-window probe, 2 keepalive
 * or FIN_WAIT2 in sk_timer, 0 none. (3, TIME_WAIT, is an entry's.)
 */
static int xtcp_proc_timer(const struct sock *sk, int state,
			   unsigned long *expires)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	if (timer_pending(&xs->rtx_timer)) {
		*expires = READ_ONCE(xs->rtx_timer.expires);
		/* rtx_timer doubles as the persist timer: window shut, idle */
		if (state != TCP_LISTEN && !READ_ONCE(xs->snd_wnd) &&
		    READ_ONCE(xs->snd_nxt) == READ_ONCE(xs->snd_una))
			return 4;
		return 1;
	}
	if (timer_pending(&sk->sk_timer)) {
		*expires = READ_ONCE(sk->sk_timer.expires);
		return 2;
	}
	*expires = jiffies;
	return 0;
}

/* A half-open connection of a listener, like get_openreq4(). */
static void xtcp_proc_show_req(struct sock *lsk, __be32 raddr, __be16 rport,
			       __be32 laddr, u32 expires, void *arg)
{
	struct xtcp_proc_walk *walk = arg;
	struct seq_file *seq = walk->seq;
	/* the SYN queue keeps 32 bits of jiffies */
	long delta = (s32)(expires - (u32)jiffies);

	seq_setwidth(seq, XTCP_PROC_LINE - 1);
	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %pK",
		   walk->num++, laddr, lsk->sk_num, raddr, ntohs(rport),
		   TCP_SYN_RECV, 0, 0, 1, jiffies_delta_to_clock_t(delta), 0,
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(lsk)),
		   0, 0, 0, NULL);
	seq_pad(seq, '\n');
}

/*
 * A TIME_WAIT entry, like get_timewait4_sock(): timer 3 and the time left
 * of its 2 MSL (read without the row lock: a restart may race the read).
 */
static void xtcp_proc_show_tw(struct xtcp_tw *tw, struct xtcp_proc_walk *walk)
{
	struct seq_file *seq = walk->seq;
	long delta = READ_ONCE(tw->expires) - jiffies;

	seq_setwidth(seq, XTCP_PROC_LINE - 1);
	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5d %8d %d %d %pK",
		   walk->num++, tw->hn.laddr, tw->hn.lport, tw->hn.raddr,
		   ntohs(tw->hn.rport), TCP_TIME_WAIT, 0, 0, 3,
		   jiffies_delta_to_clock_t(delta), 0, 0, 0, 0,
		   refcount_read(&tw->refcnt), tw);
	seq_pad(seq, '\n');
}

/*
 * Called by xtcp_proc_show() under RCU; the socket is not locked, so
 * every field that moves is read once and the line may mix two instants,
 * exactly as /proc/net/tcp does.
 */
static void xtcp_proc_show_sock(struct sock *sk, void *arg)
{
	struct xtcp_proc_walk *walk = arg;
	const struct xtcp_sock *xs = xtcp_sk(sk);
	struct seq_file *seq = walk->seq;
	unsigned long expires;
	int state, rx_queue, ssthresh, timer;
	u32 ss;

	/* like /proc/net/tcp, which never shows a merely bound socket */
	state = READ_ONCE(sk->sk_state);
	if (state == TCP_CLOSE)
		return;

	timer = xtcp_proc_timer(sk, state, &expires);
	if (state == TCP_LISTEN)
		rx_queue = READ_ONCE(sk->sk_ack_backlog);
	else
		/* unlocked: may be transiently negative */
		rx_queue = max_t(int, xtcp_inq(sk), 0);

	/* Linux prints the TFO queue length, which XTCP has not, for LISTEN */
	ss = READ_ONCE(xs->snd_ssthresh);
	if (state == TCP_LISTEN)
		ssthresh = 0;
	else
		ssthresh = ss >= 0x7fffffff ? -1 : (int)ss;

	seq_setwidth(seq, XTCP_PROC_LINE - 1);
	seq_printf(seq, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   walk->num++, sk->sk_rcv_saddr, sk->sk_num,
		   sk->sk_daddr, ntohs(sk->sk_dport), state,
		   READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_una),
		   rx_queue, timer, jiffies_delta_to_clock_t(expires - jiffies),
		   READ_ONCE(xs->retries),
		   from_kuid_munged(seq_user_ns(seq), sock_i_uid(sk)),
		   READ_ONCE(xs->probes), sock_i_ino(sk),
		   refcount_read(&sk->sk_refcnt), sk,
		   jiffies_to_clock_t(READ_ONCE(xs->rto)), 0UL, 0,
		   READ_ONCE(xs->snd_cwnd), ssthresh);
	seq_pad(seq, '\n');

	/*
	 * The reference keeps the listener, and so its SYN queue, from being
	 * freed under the walk if it is closing; one whose count already hit
	 * zero has no queue worth showing.
	 */
	if (state == TCP_LISTEN && refcount_inc_not_zero(&sk->sk_refcnt)) {
		xtcp_listen_walk(sk, xtcp_proc_show_req, walk);
		sock_put(sk);
	}
}

/*
 * The seq_file iterator of /proc/net/xtcp. Position 0 is the header; each
 * later position is one socket of the netns that is not in TCP_CLOSE (a
 * record: its line, and for a listener the lines of its SYN queue), found
 * through xtcp_demux_iter(). Like tcp_seq_start(), a read() that goes on
 * where the last one stopped resumes at the saved bucket and offset
 * instead of walking everything before it; any other position (lseek, a
 * rewind) walks from the start. RCU is held from ->start to ->stop only,
 * that is for one buffer's worth of records, never across a copy to user
 * space.
 */
struct xtcp_proc_iter {
	struct seq_net_private p;	/* first: seq_file_net() */
	unsigned int bucket;		/* where the current record is */
	unsigned int offset;
	loff_t last_pos;		/* the position of the current record */
	int num;			/* "sl" of its first line */
	int lines;			/* the lines ->show printed for it */
};

static void xtcp_proc_count_req(struct sock *lsk, __be32 raddr, __be16 rport,
				__be32 laddr, u32 expires, void *arg)
{
	(*(int *)arg)++;
}

/* the lines xtcp_proc_show() would print for @hn, under RCU */
static int xtcp_proc_lines(struct xtcp_hnode *hn)
{
	struct sock *sk;
	int lines = 1;

	if (hn->tw)
		return lines;
	sk = xtcp_hnode_sk(hn);
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN &&
	    refcount_inc_not_zero(&sk->sk_refcnt)) {
		xtcp_listen_walk(sk, xtcp_proc_count_req, &lines);
		sock_put(sk);
	}
	return lines;
}

/* the record at or after the saved bucket and offset, or NULL at the end */
static struct xtcp_hnode *xtcp_proc_get(struct seq_file *seq)
{
	struct xtcp_proc_iter *it = seq->private;
	struct xtcp_hnode *hn;

	while ((hn = xtcp_demux_iter(seq_file_net(seq), &it->bucket,
				     &it->offset))) {
		/* like /proc/net/tcp, which never shows a merely bound socket */
		if (hn->tw ||
		    READ_ONCE(xtcp_hnode_sk(hn)->sk_state) != TCP_CLOSE)
			return hn;
		it->offset++;
	}
	return NULL;
}

static void *xtcp_proc_start(struct seq_file *seq, loff_t *pos)
	__acquires(RCU)
{
	struct xtcp_proc_iter *it = seq->private;
	struct xtcp_hnode *hn;
	loff_t n;

	rcu_read_lock();
	if (!*pos) {
		it->last_pos = 0;
		return SEQ_START_TOKEN;
	}
	/* where the last read() stopped, or the one after if it went */
	if (*pos == it->last_pos)
		return xtcp_proc_get(seq);

	it->bucket = 0;
	it->offset = 0;
	it->num = 0;
	for (n = 1; (hn = xtcp_proc_get(seq)) && n < *pos; n++) {
		it->num += xtcp_proc_lines(hn);
		it->offset++;
	}
	it->last_pos = *pos;
	return hn;
}

static void *xtcp_proc_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct xtcp_proc_iter *it = seq->private;
	struct xtcp_hnode *hn;

	if (v == SEQ_START_TOKEN) {
		it->bucket = 0;
		it->offset = 0;
		it->num = 0;
	} else {
		it->num += it->lines;
		it->offset++;
	}
	++*pos;
	hn = xtcp_proc_get(seq);
	it->last_pos = *pos;
	return hn;
}

static void xtcp_proc_stop(struct seq_file *seq, void *v)
	__releases(RCU)
{
	rcu_read_unlock();
}

static int xtcp_proc_show(struct seq_file *seq, void *v)
{
	struct xtcp_proc_iter *it = seq->private;
	struct xtcp_proc_walk walk = { .seq = seq, .num = it->num };

	if (v == SEQ_START_TOKEN) {
		seq_setwidth(seq, XTCP_PROC_LINE - 1);
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
		seq_pad(seq, '\n');
		it->lines = 0;
		return 0;
	}
	/* shown again after an overflow: ->next has not counted it yet */
	if (((struct xtcp_hnode *)v)->tw)
		xtcp_proc_show_tw(xtcp_hnode_tw(v), &walk);
	else
		xtcp_proc_show_sock(xtcp_hnode_sk(v), &walk);
	it->lines = walk.num - it->num;
	return 0;
}

static const struct seq_operations xtcp_proc_seq_ops = {
	.start	= xtcp_proc_start,
	.next	= xtcp_proc_next,
	.stop	= xtcp_proc_stop,
	.show	= xtcp_proc_show,
};

int xtcp_proc_net_init(struct net *net)
{
	if (!proc_create_net("xtcp", 0444, net->proc_net, &xtcp_proc_seq_ops,
			     sizeof(struct xtcp_proc_iter)))
		goto err;
	if (!proc_create_net_single("xtcp_stat", 0444, net->proc_net,
				    xtcp_proc_stat_show, NULL))
		goto err_remove_xtcp;
	return 0;

err_remove_xtcp:
	remove_proc_entry("xtcp", net->proc_net);
err:
	return -ENOMEM;
}

void xtcp_proc_net_exit(struct net *net)
{
	remove_proc_entry("xtcp_stat", net->proc_net);
	remove_proc_entry("xtcp", net->proc_net);
}
