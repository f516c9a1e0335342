// SPDX-License-Identifier: GPL-2.0
/*
 * Socket buffer sizes: the tcp_rmem and tcp_wmem settings, receive buffer
 * autotuning (Linux's dynamic right-sizing, tcp_rcv_space_adjust()) and
 * send buffer growth with cwnd (tcp_sndbuf_expand()).
 *
 * Module parameters, for every netns (Linux has them per netns):
 *	tcp_rmem	(0644) "min default max", default 4096 131072 6291456
 *	tcp_wmem	(0644) "min default max", default 4096 16384 4194304
 * as net.ipv4.tcp_rmem and tcp_wmem with Linux's defaults on a machine
 * with enough memory. A write takes three positive numbers, separated by
 * blanks or commas, with min <= default <= max (Linux checks only that
 * each is positive); anything else is refused with EINVAL. New sockets
 * start at the defaults. The maxima bound autotuning, and the receive
 * maximum (with net.core.rmem_max) sets the window scale of every SYN
 * (xtcp_choose_wscale()). The minima are what a socket may always hold
 * under memory pressure (below).
 *
 * A buffer the user set with SO_RCVBUF or SO_SNDBUF is locked
 * (SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK; the socket layer sets them, XTCP
 * only reads them) and autotuning leaves it alone, as in Linux.
 *
 * Memory accounting, as Linux's tcp_mem: every skb a socket queues (write
 * queue, receive queue, out-of-order tree) is charged to the socket core's
 * proto-level account (xtcp_prot's memory_allocated, in pages, with the
 * per-cpu reserve per_cpu_fw_alloc) through sk_forward_alloc, with
 * sk_wmem_schedule(), sk_rmem_schedule() or sk_forced_mem_schedule()
 * before the charge and sk_mem_uncharge() when the skb goes. The
 * module parameter
 *	tcp_mem		(0644) "low pressure high", in pages, default as
 *			Linux's tcp_init_mem(): 4.68 %, 6.25 % and 9.37 %
 *			of nr_free_buffer_pages() at load
 * bounds it: __sk_mem_raise_allocated() leaves pressure below low, enters
 * it above pressure, and above high refuses whatever is not forced. Under
 * pressure a socket keeps tcp_rmem[0] and tcp_wmem[0] and its fair share
 * (high / sockets_allocated pages); the send buffer is cut to what is
 * queued (sk_stream_moderate_sndbuf()), buffers stop growing, the window
 * offered is clamped, out-of-order data is pruned first, and in-order
 * data for an empty receive queue, which a reader may be waiting for, is
 * always taken (input.c, xtcp_rmem_schedule()).
 *
 * The account is system-wide, not per netns: it is the kernel's own
 * facility (struct proto carries one account) and Linux's tcp_mem is
 * system-wide in 6.1 too (net.ipv4.tcp_mem exists in init_net only).
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/percpu_counter.h>
#include <net/tcp.h>		/* MAX_TCP_HEADER, for Linux's sizing */
#include "xtcp.h"

/*
 * The RTT a receive-side measurement lasts at least. XTCP has no receiver
 * RTT estimate (Linux's tcp_rcv_rtt_measure(), from timestamps or from the
 * time a window takes to arrive): it uses the send side's SRTT, which a
 * pure receiver took from the handshake. On a veth that is tens of
 * microseconds, so short that a measurement would cover a single read;
 * a floor of 1 ms keeps it over a few reads. A receiver that never got an
 * RTT sample measures over the floor too.
 */
#define XTCP_BUF_RTT_MIN_US	USEC_PER_MSEC

/* xtcp_prot's sysctl_rmem/wmem too: [0] is kept under memory pressure */
int xtcp_rmem[3] = { 4096, 131072, 6291456 };	/* READ_ONCE */
int xtcp_wmem[3] = { 4096, 16384, 4194304 };	/* READ_ONCE */

int xtcp_buf_rmem(int which)
{
	return READ_ONCE(xtcp_rmem[which]);
}

int xtcp_buf_wmem(int which)
{
	return READ_ONCE(xtcp_wmem[which]);
}

/*
 * Three positive numbers, ascending, blanks or commas between: the form
 * of tcp_rmem, tcp_wmem and tcp_mem, as the sysctls take them
 */
static int xtcp_buf_parse3(const char *val, long v[3])
{
	char *buf, *cur, *tok;
	int n = 0, err = 0;

	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cur = buf;
	while ((tok = strsep(&cur, " ,\t\n"))) {
		if (!*tok)
			continue;
		if (n == 3 || kstrtol(tok, 0, &v[n]) || v[n] <= 0) {
			err = -EINVAL;
			break;
		}
		n++;
	}
	kfree(buf);
	if (!err && (n != 3 || v[0] > v[1] || v[1] > v[2]))
		err = -EINVAL;
	return err;
}

/* "min default max" in bytes; the maximum doubled must fit an int */
static int xtcp_buf_param_set(const char *val, const struct kernel_param *kp)
{
	int *triple = kp->arg, n, err;
	long v[3];

	err = xtcp_buf_parse3(val, v);
	if (err)
		return err;
	if (v[2] > INT_MAX / 2)
		return -EINVAL;
	for (n = 0; n < 3; n++)
		WRITE_ONCE(triple[n], v[n]);
	return 0;
}

static int xtcp_buf_param_get(char *buf, const struct kernel_param *kp)
{
	const int *triple = kp->arg;

	return sysfs_emit(buf, "%d\t%d\t%d\n", READ_ONCE(triple[0]),
			  READ_ONCE(triple[1]), READ_ONCE(triple[2]));
}

static const struct kernel_param_ops xtcp_buf_param_ops = {
	.set	= xtcp_buf_param_set,
	.get	= xtcp_buf_param_get,
};

module_param_cb(tcp_rmem, &xtcp_buf_param_ops, xtcp_rmem, 0644);
MODULE_PARM_DESC(tcp_rmem, "receive buffer min, default, max (autotuning's limit)");
module_param_cb(tcp_wmem, &xtcp_buf_param_ops, xtcp_wmem, 0644);
MODULE_PARM_DESC(tcp_wmem, "send buffer min, default, max (growth's limit)");

/*
 * The proto-level memory account (xtcp_prot in main.c points at these).
 * xtcp_memory_allocated and the per-cpu reserve are the socket core's
 * (sk_memory_allocated_add()); xtcp_memory_pressure is 0 or the jiffies
 * at which pressure began, as tcp_memory_pressure. All system-wide.
 */
atomic_long_t xtcp_memory_allocated;
DEFINE_PER_CPU(int, xtcp_memory_per_cpu_fw_alloc);
unsigned long xtcp_memory_pressure;	/* cmpxchg/xchg, READ_ONCE */
struct percpu_counter xtcp_sockets_allocated;
long xtcp_mem[3];			/* READ_ONCE, set at load */

/* "low pressure high" in pages */
static int xtcp_buf_mem_set(const char *val, const struct kernel_param *kp)
{
	long v[3];
	int n, err;

	err = xtcp_buf_parse3(val, v);
	if (err)
		return err;
	for (n = 0; n < 3; n++)
		WRITE_ONCE(xtcp_mem[n], v[n]);
	return 0;
}

static int xtcp_buf_mem_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\t%ld\t%ld\n", READ_ONCE(xtcp_mem[0]),
			  READ_ONCE(xtcp_mem[1]), READ_ONCE(xtcp_mem[2]));
}

static const struct kernel_param_ops xtcp_buf_mem_ops = {
	.set	= xtcp_buf_mem_set,
	.get	= xtcp_buf_mem_get,
};

module_param_cb(tcp_mem, &xtcp_buf_mem_ops, NULL, 0644);
MODULE_PARM_DESC(tcp_mem, "memory of all XTCP sockets, in pages: low, pressure, high");

/* as tcp_enter_memory_pressure(): the first socket to enter counts it */
void xtcp_buf_enter_memory_pressure(struct sock *sk)
{
	unsigned long val;

	if (READ_ONCE(xtcp_memory_pressure))
		return;
	val = jiffies ?: -1UL;
	if (!cmpxchg(&xtcp_memory_pressure, 0, val))
		XTCP_INC_STATS(sock_net(sk), MEMORYPRESSURES);
}

/* as tcp_leave_memory_pressure(): the time spent under it, in ms */
void xtcp_buf_leave_memory_pressure(struct sock *sk)
{
	unsigned long val;

	if (!READ_ONCE(xtcp_memory_pressure))
		return;
	val = xchg(&xtcp_memory_pressure, 0);
	if (val)
		XTCP_ADD_STATS(sock_net(sk), MEMORYPRESSURESCHRONO,
			       jiffies_to_msecs(jiffies - val));
}

/*
 * A new TCB counts in sockets_allocated (tcp_init_sock()), for the fair
 * share. It is charged to no memory cgroup: a forced charge must reach
 * the cgroup too, and neither sk_forced_mem_schedule() nor
 * mem_cgroup_charge_skmem() is exported to modules, so sk_alloc()'s
 * cgroup reference is dropped here. XTCP sockets were never charged to a
 * cgroup; now they are charged to tcp_mem's account at least.
 */
void xtcp_buf_sock_init(struct sock *sk)
{
#ifdef CONFIG_MEMCG
	if (sk->sk_memcg) {
		css_put(&sk->sk_memcg->css);
		sk->sk_memcg = NULL;
	}
#endif
	sk_sockets_allocated_inc(sk);
}

/*
 * Charge @size to sk whatever the account says, as sk_forced_mem_schedule()
 * (tcp_output.c, not exported). Straight to the global count: the per-cpu
 * reserve's drain (sk_memory_allocated_add()) is not exported either, and
 * the reserve is only a cache of the same total.
 */
void xtcp_buf_forced_schedule(struct sock *sk, int size)
{
	int delta = size - sk->sk_forward_alloc, amt;

	if (delta <= 0)
		return;
	amt = sk_mem_pages(delta);
	sk_forward_alloc_add(sk, amt << PAGE_SHIFT);
	atomic_long_add(amt, &xtcp_memory_allocated);
}

/*
 * The socket is being freed with its queues purged: its reserve goes back
 * to the account (inet_sock_destruct()'s sk_mem_reclaim_final()), and a
 * reserve left over means a charge without its uncharge.
 */
void xtcp_buf_sock_destruct(struct sock *sk)
{
	sk_mem_reclaim_final(sk);
	WARN_ON_ONCE(sk->sk_forward_alloc);
	WARN_ON_ONCE(sk->sk_wmem_queued);
	sk_sockets_allocated_dec(sk);
}

/*
 * Charge skb, about to join the write queue, with the memory it brings.
 * A SYN, a FIN or the new half of a cut skb must be queued whatever the
 * account says, as tcp_stream_alloc_skb(..., force_schedule = true) for
 * tcp_connect(), tcp_send_fin() and tcp_fragment(): forced. The caller
 * adds skb to sk_wmem_queued.
 */
void xtcp_buf_wqueue_charge(struct sock *sk, struct sk_buff *skb, bool force)
{
	if (force)
		xtcp_buf_forced_schedule(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
}

/*
 * May sendmsg() queue a new skb? As tcp_stream_alloc_skb(): forced when
 * nothing is queued, so that every socket can send; else the account must
 * allow it, and a refusal is pressure (enter it, shrink the send buffer to
 * what is queued) and makes the writer wait. Charges skb when it returns
 * true.
 */
bool xtcp_buf_wqueue_schedule(struct sock *sk, struct sk_buff *skb)
{
	if (skb_queue_empty(&sk->sk_write_queue)) {
		xtcp_buf_wqueue_charge(sk, skb, true);
		return true;
	}
	if (!sk_wmem_schedule(sk, skb->truesize)) {
		sk->sk_prot->enter_memory_pressure(sk);
		sk_stream_moderate_sndbuf(sk);
		return false;
	}
	xtcp_buf_wqueue_charge(sk, skb, false);
	return true;
}

/*
 * How many of @copy bytes sendmsg() may add to the write queue now, as
 * tcp_wmem_schedule(): all if the account allows; else, so that a socket
 * with little queued still progresses, what tcp_wmem[0] leaves is forced,
 * and what is in the reserve may be used. 0 makes the writer wait.
 * skb_copy_to_page_nocache() charges what is copied.
 */
int xtcp_buf_wmem_schedule(struct sock *sk, int copy)
{
	int left;

	if (likely(sk_wmem_schedule(sk, copy)))
		return copy;
	left = xtcp_buf_wmem(XTCP_BUF_MIN) - sk->sk_wmem_queued;
	if (left > 0)
		xtcp_buf_forced_schedule(sk, min(left, copy));
	return max(min(copy, sk->sk_forward_alloc), 0);
}

/* an skb leaves the write queue: sk_wmem_free_skb(), tcp_wmem_free_skb() */
void xtcp_buf_wqueue_free(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	__kfree_skb(skb);
}

/*
 * The window we offer is clamped under memory pressure to four segments,
 * the bound tcp_adjust_rcv_ssthresh() puts on rcv_ssthresh, so that the
 * peer sends what we can take rather than what we would have to drop.
 * Linux keeps the clamp in rcv_ssthresh and lets it grow back after
 * pressure; XTCP has no rcv_ssthresh and applies it while pressure lasts.
 */
u32 xtcp_buf_window_limit(const struct sock *sk, u32 limit)
{
	if (unlikely(sk_under_memory_pressure(sk)))
		return min_t(u32, limit, 4U * xtcp_sk(sk)->advmss);
	return limit;
}

/* proto-level figures for /proc/net/xtcp_stat, after the counters */
void xtcp_buf_proc_show(struct seq_file *seq)
{
	long pages = atomic_long_read(&xtcp_memory_allocated);
	int cpu;

	/* the exact total: the account plus every cpu's unflushed reserve */
	for_each_possible_cpu(cpu)
		pages += *per_cpu_ptr(&xtcp_memory_per_cpu_fw_alloc, cpu);
	seq_printf(seq, "%-32s\t%ld\n", "MemoryPages", max(pages, 0L));
	seq_printf(seq, "%-32s\t%d\n", "MemoryPressure",
		   !!READ_ONCE(xtcp_memory_pressure));
	seq_printf(seq, "%-32s\t%lld\n", "SocketsAllocated",
		   percpu_counter_sum_positive(&xtcp_sockets_allocated));
}

/*
 * tcp_mem's defaults (tcp_init_mem()), unless insmod set it, and the
 * sockets_allocated counter
 */
int __init xtcp_buf_init(void)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);

	if (!xtcp_mem[2]) {
		xtcp_mem[0] = limit / 4 * 3;
		xtcp_mem[1] = limit;
		xtcp_mem[2] = xtcp_mem[0] * 2;
	}
	return percpu_counter_init(&xtcp_sockets_allocated, 0, GFP_KERNEL);
}

void xtcp_buf_uninit(void)
{
	percpu_counter_destroy(&xtcp_sockets_allocated);
}

/*
 * Receive buffer autotuning, called by recvmsg() after it copied (Linux's
 * tcp_rcv_space_adjust(), dynamic right-sizing). Once per RTT it looks at
 * how many bytes the application took in that RTT; when that is more than
 * in any earlier RTT, the buffer grows so that the window could carry
 * twice as much, plus 16 segments of slack, plus as much again as the
 * rate grew since the last RTT, since a sender in slow start doubles its
 * rate and our ACKs now open the window of the RTT after next. XTCP
 * offers half the free buffer as window (xtcp_rcv_space()), so the buffer
 * is twice that window; up to tcp_rmem's max, never smaller than it was.
 */
void xtcp_buf_rcv_adjust(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	u64 now = xtcp_clock_us(), rcvwin, rcvbuf;
	u32 copied, period;

	sock_owned_by_me(sk);
	if (!((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	if (!xs->rcvq_time_us) {
		/* the first read starts the first measurement */
		xs->rcvq_space = min_t(u32, max_t(u32, xs->rcv_wnd, xs->advmss),
				       XTCP_INIT_CWND * xs->advmss);
		goto new_measure;
	}
	period = max_t(u32, xs->srtt_us, XTCP_BUF_RTT_MIN_US);
	if (now - xs->rcvq_time_us < period)
		return;
	copied = xs->copied_seq - xs->rcvq_seq;
	if (copied <= xs->rcvq_space)
		goto new_measure;

	/* under memory pressure buffers do not grow (tcp_clamp_window()) */
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    !sk_under_memory_pressure(sk)) {
		rcvwin = 2ULL * copied + 16ULL * xs->advmss;
		rcvwin += div_u64(2 * rcvwin * (copied - xs->rcvq_space),
				  xs->rcvq_space);
		rcvbuf = min_t(u64, 2 * rcvwin, xtcp_buf_rmem(XTCP_BUF_MAX));
		if (rcvbuf > READ_ONCE(sk->sk_rcvbuf)) {
			WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
			XTCP_INC_STATS(sock_net(sk), RCVBUFGROW);
		}
	}
	xs->rcvq_space = copied;
new_measure:
	xs->rcvq_seq = xs->copied_seq;
	xs->rcvq_time_us = now;
}

/*
 * The send buffer follows cwnd (Linux's tcp_sndbuf_expand()): room for
 * twice the larger of cwnd and the initial window (CUBIC's 1.7 rounded
 * up, for fast recovery, and slack for an application slow to refill),
 * each segment counted at the truesize Linux reckons for a worst-case
 * skb of its own (a power-of-two head holding Linux's MAX_TCP_HEADER, so
 * that the sizes come out as Linux's: 87040 bytes for 10 segments of
 * 1460), up to tcp_wmem's max. Only while we are not cwnd-limited, as
 * tcp_should_expand_sndbuf() (then the buffer is not what holds us back),
 * and never a buffer the user set, and not under memory pressure nor
 * above tcp_mem's low mark, as there. Called on every ACK of new data
 * (xtcp_cong_on_ack()) and, as Linux's tcp_init_buffer_space() does at
 * the handshake, for an accepted child and before a connection's first
 * data (xtcp_cong_init_child(), xtcp_cong_tx_start()).
 */
void xtcp_buf_snd_expand(struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 per_mss, segs, flight;
	u64 sndmem;

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return;
	if (sk_under_memory_pressure(sk) ||
	    sk_memory_allocated(sk) >= sk_prot_mem_limits(sk, 0))
		return;
	flight = DIV_ROUND_UP(xtcp_packets_out_bytes(xs), xs->mss);
	if (flight >= xs->snd_cwnd)
		return;
	per_mss = roundup_pow_of_two(xs->mss + MAX_TCP_HEADER +
				     SKB_DATA_ALIGN(sizeof(struct skb_shared_info))) +
		  SKB_DATA_ALIGN(sizeof(struct sk_buff));
	segs = max_t(u32, xs->snd_cwnd, XTCP_INIT_CWND);
	sndmem = min_t(u64, 2ULL * segs * per_mss,
		       xtcp_buf_wmem(XTCP_BUF_MAX));
	if (sndmem > READ_ONCE(sk->sk_sndbuf))
		WRITE_ONCE(sk->sk_sndbuf, sndmem);
}
