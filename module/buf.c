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
 * (xtcp_choose_wscale()). The minima are not used: XTCP has no memory
 * pressure that would shrink a buffer to them.
 *
 * A buffer the user set with SO_RCVBUF or SO_SNDBUF is locked
 * (SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK; the socket layer sets them, XTCP
 * only reads them) and autotuning leaves it alone, as in Linux.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
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

static int xtcp_rmem[3] = { 4096, 131072, 6291456 };	/* READ_ONCE */
static int xtcp_wmem[3] = { 4096, 16384, 4194304 };	/* READ_ONCE */

int xtcp_buf_rmem(int which)
{
	return READ_ONCE(xtcp_rmem[which]);
}

int xtcp_buf_wmem(int which)
{
	return READ_ONCE(xtcp_wmem[which]);
}

/* "min default max": three positive ints, blanks or commas between */
static int xtcp_buf_param_set(const char *val, const struct kernel_param *kp)
{
	int *triple = kp->arg, v[3], n = 0, err = 0;
	char *buf, *cur, *tok;

	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	cur = buf;
	while ((tok = strsep(&cur, " ,\t\n"))) {
		if (!*tok)
			continue;
		if (n == 3 || kstrtoint(tok, 0, &v[n]) || v[n] <= 0) {
			err = -EINVAL;
			break;
		}
		n++;
	}
	kfree(buf);
	if (!err && (n != 3 || v[0] > v[1] || v[1] > v[2] ||
		     v[2] > INT_MAX / 2))
		err = -EINVAL;
	if (err)
		return err;
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

	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK)) {
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
 * and never a buffer the user set. Called on every ACK of new data
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
