// SPDX-License-Identifier: GPL-2.0
/*
 * TCP_INFO: getsockopt(SOL_TCP, TCP_INFO) answers with Linux 6.1's struct
 * tcp_info (uapi <linux/tcp.h>), filled as tcp_get_info() fills it, and
 * copied with do_tcp_getsockopt()'s length rules: the first optlen bytes
 * of the structure (all of it when optlen is larger), optlen set to what
 * was copied; a negative optlen is EINVAL (sockopt.c).
 *
 * Most fields are TCB state XTCP keeps anyway. The counters Linux keeps
 * only for TCP_INFO live in xtcp_sock.info and are bumped by one-line
 * hooks on the paths (input.c, output.c, recovery.c, listen.c,
 * fastopen.c), all under the socket lock. Where XTCP's state differs
 * from Linux's it is converted here:
 *
 * - sacked_out, lost_out and retrans_out count bytes, Linux's count
 *   segments: tcpi_unacked, _sacked, _lost and _retrans are counted off
 *   the retransmit queue's marks, each skb as many MSS-sized segments as
 *   it holds above SND.UNA (Linux's tcp_skb_pcount()).
 * - XTCP has no Disorder state: an open connection with SACKed, lost or
 *   resent data outstanding is reported as TCP_CA_Disorder, as
 *   tcp_try_to_open() would set it.
 * - srtt_us and rttvar_us are plain microseconds (Linux keeps them scaled
 *   by 8 and 4); rto (already backed off, as icsk_rto) is in jiffies.
 * - The delayed ACK waits a fixed XTCP_DELACK_MIN (timer.c), which
 *   Linux's ato starts from; like Linux, 0 until the first data came.
 * - tcpi_pmtu is the MTU of the link the route takes now: XTCP does no
 *   path MTU discovery, so that is what Linux's icsk_pmtu_cookie would
 *   hold from the route.
 * - tcpi_rcv_ssthresh: XTCP grows no receive window in slow start; its
 *   offers are bounded by half the receive buffer and the scaled 16-bit
 *   field (output.c, xtcp_window_offer()), reported as the threshold.
 * - tcpi_reordering is XTCP's fixed duplicate-ACK threshold: RACK, not a
 *   learnt dupthresh, copes with reordering.
 * - tcpi_pacing_rate: XTCP does not pace, so it is what
 *   tcp_update_pacing_rate() would set: mss * cwnd / srtt at
 *   net.ipv4.tcp_pacing_ss_ratio percent in slow start (cwnd below half
 *   of ssthresh), tcp_pacing_ca_ratio after, below SO_MAX_PACING_RATE;
 *   sk_pacing_rate (~0, unlimited) before an RTT sample.
 * - tcpi_rcv_rtt is tcp_rcv_rtt_measure_ts()'s estimate from the TSecr
 *   of full-sized data segments; without timestamps it stays 0 (Linux
 *   then times a window's worth of data, tcp_rcv_rtt_measure()).
 * - tcpi_dsack_dups counts D-SACK blocks, where Linux counts the
 *   segments they cover.
 *
 * Zero because XTCP has no such thing: tcpi_delivery_rate and
 * tcpi_delivery_rate_app_limited (no delivery rate sampling), the chrono
 * fields tcpi_busy_time, tcpi_rwnd_limited and tcpi_sndbuf_limited, ECN
 * (TCPI_OPT_ECN, _ECN_SEEN, tcpi_delivered_ce), and
 * tcpi_fastopen_client_fail. tcpi_fackets and tcpi_last_ack_sent are 0
 * in Linux 6.1 too.
 */
#include <linux/tcp.h>
#include "xtcp.h"

/* Linux's TCP_CA_* for XTCP's episode, as tcp_try_to_open() would say */
static u8 xtcp_info_ca_state(const struct xtcp_sock *xs)
{
	switch (xs->in_recovery) {
	case XTCP_CA_RECOVERY:
		return TCP_CA_Recovery;
	case XTCP_CA_LOSS:
		return TCP_CA_Loss;
	}
	if (xs->sacked_out || xs->lost_out || xs->retrans_out)
		return TCP_CA_Disorder;
	return TCP_CA_Open;
}

/* segments of skb, as tcp_skb_pcount() counts a sent skb: one at least */
static u32 xtcp_info_pcount(const struct xtcp_sock *xs, u32 bytes)
{
	return max_t(u32, DIV_ROUND_UP(bytes, xs->mss), 1);
}

/*
 * packets_out, sacked_out, lost_out and retrans_out in segments, from
 * the marks of the retransmit queue (recovery.c).
 */
static void xtcp_info_queue(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
		u32 start = xtcp_after(xs->snd_una, cb->seq) ? xs->snd_una :
							     cb->seq;
		u32 segs;

		if (skb == xs->send_head)
			break;
		if (!xtcp_after(cb->end_seq, start))
			continue;
		segs = xtcp_info_pcount(xs, cb->end_seq - start);
		info->tcpi_unacked += segs;
		if (cb->sacked & XTCP_SACKED_ACKED)
			info->tcpi_sacked += segs;
		else if (cb->sacked & XTCP_SACKED_LOST)
			info->tcpi_lost += segs;
		if (cb->sacked & XTCP_SACKED_RETRANS)
			info->tcpi_retrans += segs;
	}
}

/* what tcp_update_pacing_rate() would have set, see above */
static u64 xtcp_info_pacing_rate(const struct sock *sk, u32 packets_out)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	const struct net *net = sock_net(sk);
	unsigned long max_rate = READ_ONCE(sk->sk_max_pacing_rate);
	unsigned long rate = READ_ONCE(sk->sk_pacing_rate);
	u64 rate64;
	int ratio;

	if (!xs->srtt_us)
		return rate != ~0UL ? rate : ~0ULL;
	if (xs->snd_cwnd < xs->snd_ssthresh / 2)
		ratio = READ_ONCE(net->ipv4.sysctl_tcp_pacing_ss_ratio);
	else
		ratio = READ_ONCE(net->ipv4.sysctl_tcp_pacing_ca_ratio);
	rate64 = (u64)xs->mss * (USEC_PER_SEC / 100) * ratio *
		 max(xs->snd_cwnd, packets_out);
	rate64 = div_u64(rate64, xs->srtt_us);
	if (max_rate != ~0UL)
		rate64 = min_t(u64, rate64, max_rate);
	return rate64;
}

/* the link MTU of the route to the peer: no PMTUD (see above) */
static u32 xtcp_info_pmtu(const struct sock *sk)
{
	__be32 saddr = sk->sk_rcv_saddr;
	unsigned int mtu;

	if (!sk->sk_daddr ||
	    xtcp_link_route(sock_net(sk), sk->sk_daddr, &saddr, &mtu))
		return 0;
	return mtu;
}

/*
 * The options both ends agreed on, once the handshake has said so: in
 * SYN-SENT XTCP's flags hold what its SYN offers, where Linux's rx_opt
 * holds nothing yet. Linux's advmss drops by the timestamp option's
 * room once timestamps are agreed (tcp_rcv_synsent_state_process(),
 * and tcp_rcv_state_process() in SYN-RECV); XTCP's stays what it
 * announced, so the report takes the room off.
 */
static void xtcp_info_options(struct sock *sk, struct tcp_info *info,
			      bool synced)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	info->tcpi_advmss = xs->advmss;
	if (!synced)
		return;
	if (xs->tstamp_ok) {
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
		info->tcpi_advmss -= XTCP_TS_ALIGNED_LEN;
	}
	if (xs->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (xs->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = xs->snd_wscale;
		info->tcpi_rcv_wscale = xs->rcv_wscale;
	}
	if (xs->syn_data_acked)
		info->tcpi_options |= TCPI_OPT_SYN_DATA;
}

/* everything but a listener's fields; socket lock */
static void xtcp_info_fill(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_info_stats *st = &xs->info;
	bool synced = !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT));
	u32 now = jiffies;

	sock_owned_by_me(sk);
	info->tcpi_ca_state = xtcp_info_ca_state(xs);
	info->tcpi_retransmits = xs->retries;
	info->tcpi_probes = xs->probes;
	info->tcpi_backoff = xs->backoff;
	xtcp_info_options(sk, info, synced);

	info->tcpi_rto = jiffies_to_usecs(xs->rto);
	info->tcpi_ato = xs->rcv_mss ? jiffies_to_usecs(XTCP_DELACK_MIN) : 0;
	info->tcpi_snd_mss = xs->mss;
	/*
	 * Linux guesses rcv_mss when the connection is set up
	 * (tcp_initialize_rcv_mss()); XTCP guesses when it needs one
	 */
	info->tcpi_rcv_mss = synced ? xtcp_rcv_mss(xs) : 0;
	xtcp_info_queue(sk, info);

	info->tcpi_last_data_sent = jiffies_to_msecs(now - xs->lsndtime);
	info->tcpi_last_data_recv = jiffies_to_msecs(now - st->lrcvtime);
	info->tcpi_last_ack_recv = jiffies_to_msecs(now - xs->rcv_tstamp);

	info->tcpi_pmtu = xtcp_info_pmtu(sk);
	info->tcpi_rcv_ssthresh = min_t(u32, READ_ONCE(sk->sk_rcvbuf) / 2,
					65535U << xs->rcv_wscale);
	info->tcpi_rtt = xs->srtt_us;
	info->tcpi_rttvar = xs->rttvar_us;
	info->tcpi_snd_ssthresh = xs->snd_ssthresh;
	info->tcpi_rcv_rtt = st->rcv_rtt_us;
	/*
	 * buf.c starts its first measurement at the first read, from what
	 * tcp_init_buffer_space() starts Linux's with at the handshake
	 */
	info->tcpi_rcv_space = xs->rcvq_space;
	if (!info->tcpi_rcv_space && synced)
		info->tcpi_rcv_space = min_t(u32, max_t(u32, xs->rcv_wnd,
							info->tcpi_advmss),
					     XTCP_INIT_CWND * info->tcpi_advmss);
	info->tcpi_total_retrans = st->total_retrans;
	info->tcpi_pacing_rate = xtcp_info_pacing_rate(sk, info->tcpi_unacked);

	info->tcpi_bytes_acked = st->bytes_acked;
	info->tcpi_bytes_received = st->bytes_received;
	info->tcpi_segs_out = st->segs_out;
	info->tcpi_segs_in = st->segs_in;
	info->tcpi_notsent_bytes = max_t(int, 0, xs->write_seq - xs->snd_nxt);
	/*
	 * tcp_min_rtt() of a reset minmax: ~0U until the first sample. A
	 * passive open's handshake sample (listen.c) feeds srtt only, so
	 * with no other sample srtt is that one sample.
	 */
	info->tcpi_min_rtt = xs->min_rtt_us ? : xs->srtt_us ? : ~0U;
	info->tcpi_data_segs_in = st->data_segs_in;
	info->tcpi_data_segs_out = st->data_segs_out;
	info->tcpi_delivered = st->delivered;
	info->tcpi_bytes_sent = st->bytes_sent;
	info->tcpi_bytes_retrans = st->bytes_retrans;
	info->tcpi_dsack_dups = st->dsack_dups;
	info->tcpi_reord_seen = st->reord_seen;
	info->tcpi_rcv_ooopack = st->rcv_ooopack;
	info->tcpi_snd_wnd = xs->snd_wnd;
}

/*
 * tcp_get_info(): a listener answers without its lock, with the accept
 * queue's length in tcpi_unacked and its limit in tcpi_sacked.
 */
static void xtcp_get_info(struct sock *sk, struct tcp_info *info)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned long rate;

	memset(info, 0, sizeof(*info));
	info->tcpi_state = inet_sk_state_load(sk);
	rate = READ_ONCE(sk->sk_max_pacing_rate);
	info->tcpi_max_pacing_rate = rate != ~0UL ? rate : ~0ULL;
	info->tcpi_reordering = XTCP_DUPACK_THRESH;
	info->tcpi_snd_cwnd = READ_ONCE(xs->snd_cwnd);
	if (info->tcpi_state == TCP_LISTEN) {
		rate = READ_ONCE(sk->sk_pacing_rate);
		info->tcpi_pacing_rate = rate != ~0UL ? rate : ~0ULL;
		info->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	lock_sock(sk);
	/* the state again: it may have changed before we had the lock */
	info->tcpi_state = sk->sk_state;
	info->tcpi_snd_cwnd = xs->snd_cwnd;
	xtcp_info_fill(sk, info);
	release_sock(sk);
}

/* getsockopt(SOL_TCP, TCP_INFO); the caller refused a negative optlen */
int xtcp_info_getsockopt(struct sock *sk, char __user *optval,
			 int __user *optlen)
{
	struct tcp_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	xtcp_get_info(sk, &info);
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

/* a new connection on this socket starts its counters again */
void xtcp_info_reset(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	memset(&xs->info, 0, sizeof(xs->info));
	xs->syn_data_acked = 0;
}

/*
 * A segment left (output.c): segs_out, and data_segs_out and bytes_sent
 * when it carries @data bytes, resends included (__tcp_transmit_skb()).
 */
void xtcp_info_sent(struct sock *sk, const struct sk_buff *skb, u32 data)
{
	struct xtcp_info_stats *st = &xtcp_sk(sk)->info;
	u32 segs = max_t(u16, skb_shinfo(skb)->gso_segs, 1);

	st->segs_out += segs;
	if (data) {
		st->data_segs_out += segs;
		st->bytes_sent += data;
	}
}

/*
 * skb, @segs segments, is sent again: counted before the attempt, as
 * __tcp_retransmit_skb() counts it
 */
void xtcp_info_retransmitted(struct sock *sk, const struct sk_buff *skb,
			     u32 segs)
{
	struct xtcp_info_stats *st = &xtcp_sk(sk)->info;

	st->total_retrans += segs;
	st->bytes_retrans += skb->len;
}

/*
 * A segment came for a connection (input.c), as tcp_segs_in(); not for
 * a listener, as tcp_v4_rcv() counts none. skb's TCP header is pulled.
 */
void xtcp_info_rcv(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_info_stats *st = &xtcp_sk(sk)->info;
	u32 segs = max_t(u16, skb_shinfo(skb)->gso_segs, 1);

	if (sk->sk_state == TCP_LISTEN)
		return;
	st->segs_in += segs;
	if (skb->len)
		st->data_segs_in += segs;
}

/*
 * In-order data came (input.c, xtcp_event_data_recv()): the time, and a
 * receiver RTT sample as tcp_rcv_rtt_measure_ts() takes it, from the
 * TSecr of a full-sized segment, once per TSecr, smoothed by 1/8.
 */
void xtcp_info_data_recv(struct sock *sk, const struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	struct xtcp_info_stats *st = &xs->info;
	s32 delta, sample;

	st->lrcvtime = jiffies;
	if (!xs->tstamp_ok || !cb->saw_tstamp || !cb->tsecr ||
	    cb->tsecr == st->rcv_rtt_tsecr || skb->len < xs->rcv_mss)
		return;
	st->rcv_rtt_tsecr = cb->tsecr;
	delta = xtcp_ts_of(cb->rcv_us) + xs->tsoffset - cb->tsecr;
	if (delta < 0 || delta >= INT_MAX / USEC_PER_MSEC)
		return;
	sample = max_t(s32, delta, 1) * USEC_PER_MSEC;
	if (st->rcv_rtt_us)
		st->rcv_rtt_us += (sample - (s32)st->rcv_rtt_us) / 8;
	else
		st->rcv_rtt_us = sample;
}

/*
 * An acceptable ACK was processed (input.c: xtcp_ack(), and the SYN-ACK
 * in SYN-SENT): its time, bytes_acked as tcp_snd_una_update() counts
 * SND.UNA's advance (the SYN's too), and a D-SACK. The first ACK of a
 * connection also starts tcpi_last_data_recv's clock, as
 * tcp_finish_connect() and tcp_create_openreq_child() do.
 */
void xtcp_info_on_ack(struct sock *sk, const struct xtcp_ack_state *as)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_info_stats *st = &xs->info;

	/* the one stamp of an acceptable ACK: keepalive reads it too */
	xs->rcv_tstamp = jiffies;
	if (!st->lrcvtime)
		st->lrcvtime = xs->rcv_tstamp;
	st->bytes_acked += xs->snd_una - as->prior_una;
	st->dsack_dups += as->dsack;
	/* once per ACK, as tcp_check_sack_reordering() counts */
	st->reord_seen += as->reord;
}

/*
 * skb was delivered (output.c: acked in full; recovery.c: newly SACKed):
 * its segments count in tcpi_delivered once, as tcp_clean_rtx_queue()
 * and tcp_sacktag_one() count them; one SACKed before was counted then.
 */
void xtcp_info_delivered(struct sock *sk, const struct sk_buff *skb,
			 bool sacked)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	const struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (!sacked && (cb->sacked & XTCP_SACKED_ACKED))
		return;
	xs->info.delivered += xtcp_info_pcount(xs, cb->end_seq - cb->seq);
}
