/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's private header: the TCB, the skb control block, the per-netns
 * state and every cross-file prototype, grouped by the file that defines it.
 *
 * Lock order (outer first):
 *	RTNL / xtcp_net.links_lock	(process context: link add/del)
 *	  demux bucket locks		(link removal collecting sockets)
 *	  neighbour table lock		(link removal, NETDEV_DOWN)
 *
 *	sk_lock of a socket		(lock_sock, or bh_lock_sock in softirq;
 *					 never under RTNL or links_lock: link
 *					 removal aborts sockets from a work
 *					 item holding neither, since a process
 *					 may own a socket indefinitely)
 *	  sk_lock of a child socket	(bh_lock_sock_nested in softirq, or
 *					 lock_sock_nested at teardown;
 *					 listener held)
 *	    demux bhash bucket lock	(spin_lock_bh)
 *	      demux ehash lock		(spin_lock: only connect()'s port
 *					 choice nests them, demux.c)
 *	    demux ehash lock		(spin_lock_bh, leaf)
 *	    neighbour table lock	(spin_lock_bh, leaf; never held across
 *					 dev_queue_xmit)
 * Softirq code and timers never touch a TCB that a process owns: they queue
 * to the backlog (RX) or set a bit in xtcp_sock.deferred for release_cb.
 */
#ifndef _XTCP_H
#define _XTCP_H

#include <linux/types.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/rbtree.h>
#include <linux/ratelimit.h>
#include <linux/netdevice.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <net/netns/generic.h>
#include <uapi/linux/xtcp.h>
#include "mib.h"

/* wire and stack limits */
enum {
	XTCP_HDR_LEN		= 20,		/* struct tcphdr without options */
	XTCP_IP_HDR_LEN		= 20,		/* struct iphdr, no options sent */
	XTCP_MAX_OPT_LEN	= 40,
	/* headroom that every skb we build reserves: link + IP + TCP + opts */
	XTCP_MAX_HEADER		= 128 + XTCP_IP_HDR_LEN + XTCP_HDR_LEN +
				  XTCP_MAX_OPT_LEN,
	XTCP_MIN_MSS		= 88,		/* RFC 9293 3.7.1 floor + opts */
	XTCP_DEFAULT_MSS	= 536,		/* RFC 9293 3.7.1, no MSS option */
	XTCP_MAX_USER_MSS	= 32767,	/* TCP_MAXSEG's, MAX_TCP_WINDOW */
	XTCP_MAX_WSCALE		= 14,		/* RFC 7323 2.3 */
	XTCP_GSO_MAX_BYTES	= 65536 - 256,	/* one GSO super-packet */
	XTCP_INIT_CWND		= 10,		/* RFC 6928 */
	XTCP_DUPACK_THRESH	= 3,		/* RFC 5681 3.2 */
	XTCP_SYN_RETRIES	= 6,		/* like tcp_syn_retries */
	XTCP_MAX_SYNCNT		= 127,		/* TCP_SYNCNT's, MAX_TCP_SYNCNT */
	XTCP_SYNACK_RETRIES	= 5,		/* like tcp_synack_retries */
	XTCP_RETRIES2		= 15,		/* like tcp_retries2 */
	XTCP_FASTOPEN_COOKIE_MIN = 4,		/* RFC 7413 4.1.1 */
	XTCP_FASTOPEN_COOKIE_MAX = 16,
	XTCP_FASTOPEN_COOKIE_LEN = 8,		/* what we hand out, as Linux */
	XTCP_MAX_SACKS		= 4,		/* RFC 2018 3: 40 bytes hold 4 */
	XTCP_TS_ALIGNED_LEN	= 12,		/* NOP NOP TS, RFC 7323 App. A */
	XTCP_PAWS_WINDOW	= 1,		/* ticks, Linux's TCP_PAWS_WINDOW */
	XTCP_CA_NAME_MAX	= 16,		/* TCP_CA_NAME_MAX */
	/*
	 * xtcp_sock.cong_priv, bytes: the largest algorithm's state rounded
	 * up to u64s (CUBIC's 52, cubic.c checks it), not Linux's 104.
	 */
	XTCP_CA_PRIV_SIZE	= 56,
};

#define XTCP_RTO_MIN		(HZ / 5)	/* Linux's 200 ms, not RFC's 1 s */
#define XTCP_RTO_MAX		(120 * HZ)
#define XTCP_TIMEOUT_INIT	HZ		/* RFC 6298 2.1 */
#define XTCP_DELACK_MIN		(HZ / 25)	/* 40 ms */
/* TCP_LINGER2's ceiling, Linux's TCP_FIN_TIMEOUT_MAX */
#define XTCP_FIN_TIMEOUT_MAX	(120 * HZ)
/* TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) and TCP_KEEPCNT: Linux's bounds */
#define XTCP_MAX_KEEPIDLE	32767
#define XTCP_MAX_KEEPINTVL	32767
#define XTCP_MAX_KEEPCNT	127

/* TCP header flags, as in byte 13 of the header */
#define XTCP_FLAG_FIN	0x01
#define XTCP_FLAG_SYN	0x02
#define XTCP_FLAG_RST	0x04
#define XTCP_FLAG_PSH	0x08
#define XTCP_FLAG_ACK	0x10
#define XTCP_FLAG_URG	0x20

/*
 * Per-skb state, in skb->cb. On input it describes the arriving segment; on
 * the write queue it describes the bytes the skb carries.
 */
struct xtcp_skb_cb {
	u32 seq;		/* first sequence number */
	u32 end_seq;		/* seq + SYN + data + FIN */
	u32 ack_seq;		/* input: SEG.ACK */
	u32 when;		/* output: jiffies of the last transmission */
	u16 window;		/* input: raw SEG.WND, before scaling */
	u8 flags;		/* XTCP_FLAG_* */
	u8 retrans;		/* output: retransmitted at least once */
	u8 saw_tstamp;		/* input: a timestamp option came */
	union {
		u8 sacked;	/* output: XTCP_SACKED_* scoreboard marks */
		/*
		 * input: where the SACK option starts, in bytes from the
		 * TCP header, 0: none (Linux keeps it in cb->sacked too)
		 */
		u8 sack_off;
	};
	union {
		struct {
			__be32 saddr;	/* input: addresses of the segment */
			__be32 daddr;
		};
		/*
		 * output: clock_us of the last transmission, for RTT samples
		 * and RACK (RFC 8985 6.1, Linux's skb_mstamp_ns)
		 */
		u64 xmit_us;
	};
	u32 tsval;		/* input: its TSval and TSecr, if saw_tstamp */
	u32 tsecr;
	/*
	 * input: clock_us when xtcp_rcv_state_process() took it, the one
	 * clock read of a segment (Linux's tcp_mstamp_refresh())
	 */
	u64 rcv_us;
};

/*
 * The SACK scoreboard (recovery.c): per-skb marks on the retransmit
 * queue, as Linux's TCPCB_SACKED_ACKED, TCPCB_LOST and
 * TCPCB_SACKED_RETRANS. Each mark counts the skb's bytes above SND.UNA
 * in xs->sacked_out, lost_out or retrans_out. retrans in the cb stays
 * set for good (Linux's TCPCB_EVER_RETRANS: Karn).
 */
#define XTCP_SACKED_ACKED	0x01	/* covered by a SACK block */
#define XTCP_SACKED_LOST	0x02	/* judged lost, to resend */
#define XTCP_SACKED_RETRANS	0x04	/* resent in this episode, in flight */

#define XTCP_SKB_CB(skb) ((struct xtcp_skb_cb *)&((skb)->cb[0]))

/* one SACK block (RFC 2018 3), host order: [start, end) */
struct xtcp_sack_block {
	u32 start;
	u32 end;
};

/* TCP options we parse; see options.c */
struct xtcp_opts {
	u16 mss;		/* 0 if absent */
	u8 wscale;		/* valid if wscale_ok */
	u8 wscale_ok:1,
	   sack_ok:1,		/* SACK-permitted, on a SYN (RFC 2018 2) */
	   saw_tstamp:1,	/* RFC 7323 3.2; tsval and tsecr valid */
	   tfo_ok:1;		/* a Fast Open option (RFC 7413) */
	u8 num_sacks;		/* SACK blocks in sacks[] */
	u8 sack_off;		/* SACK option's offset in the header */
	u8 tfo_len;		/* its cookie's length, 0: a cookie request */
	u32 tsval;
	u32 tsecr;
	struct xtcp_sack_block sacks[XTCP_MAX_SACKS];
	u8 tfo_cookie[XTCP_FASTOPEN_COOKIE_MAX];
};

/* the options of one outgoing segment; see options.c */
struct xtcp_out_opts {
	u16 mss;		/* MSS option (a SYN), 0: none */
	u8 ws;			/* shift, if ws_ok */
	u8 ws_ok:1,
	   sack_perm:1,		/* SACK-permitted (a SYN) */
	   ts:1;		/* tsval and tsecr */
	u8 num_sacks;		/* blocks in sacks[], D-SACK first */
	s8 tfo_len;		/* Fast Open cookie length, -1: no option */
	u32 tsval;
	u32 tsecr;
	const u8 *tfo_cookie;
	struct xtcp_sack_block sacks[XTCP_MAX_SACKS];
};

/*
 * What TCP_INFO reports that XTCP keeps for it alone (info.c), as the
 * counters and clocks of Linux's tcp_sock. Bumped by one-line hooks on
 * the paths, under the socket lock; zero from sk_alloc(), cleared by
 * xtcp_info_reset() when the socket starts another connection.
 */
struct xtcp_info_stats {
	u64 bytes_acked;	/* SND.UNA's advance, the SYN's included */
	u64 bytes_received;	/* RCV.NXT's advance over data and FIN */
	u64 bytes_sent;		/* payload sent, resends included */
	u64 bytes_retrans;	/* payload resent */
	u32 segs_out;		/* segments sent, pure ACKs and resends too */
	u32 segs_in;		/* segments received */
	u32 data_segs_out;	/* segments sent with payload */
	u32 data_segs_in;	/* segments received with payload */
	u32 total_retrans;	/* segments resent */
	u32 delivered;		/* segments acked or SACKed, each once */
	u32 dsack_dups;		/* D-SACK blocks received */
	u32 reord_seen;		/* reordering detected (recovery.c) */
	u32 rcv_ooopack;	/* segments queued out of order */
	u32 lrcvtime;		/* jiffies: in-order data came, 0: none */
	u32 rcv_rtt_us;		/* receiver's RTT estimate, 0: none */
	u32 rcv_rtt_tsecr;	/* the TSecr of its last sample */
};

struct xtcp_cong_ops;
struct xtcp_listen;
struct xtcp_fastopen_ctx;
struct xtcp_fastopen_req;

/*
 * The start of everything the established hash (demux.c) chains: a full
 * socket, where it is embedded in struct xtcp_sock, or a TIME_WAIT entry,
 * which begins with it (struct xtcp_tw). One lookup thus finds either, as
 * Linux's struct sock_common starts both tcp_sock and inet_timewait_sock;
 * sock_common itself is too large for a TIME_WAIT entry of 128 bytes.
 *
 * The keys are demux.c's: written under the chain's ehash lock before the
 * node is published, read by lockless RX lookups, which re-check them once
 * they hold a reference (a socket may be unhashed and hashed again under
 * other keys meanwhile). @tw never changes: 0 for a socket (sk_alloc()
 * zeroes it), 1 for an entry.
 */
struct xtcp_hnode {
	struct hlist_node node;	/* ehash chain; ehash lock */
	possible_net_t net;
	__be32 laddr;
	__be32 raddr;
	u16 lport;		/* host order, like sk_num */
	__be16 rport;
	u32 hash;		/* of the keys; selects the chain and lock */
	u8 tw;			/* 1: struct xtcp_tw, 0: struct xtcp_sock */
};

/* how xtcp_write_xmit() treats a short last segment */
enum {
	XTCP_NAGLE_ON,		/* hold it while data is in flight */
	XTCP_NAGLE_OFF,		/* send it (TCP_NODELAY, FIN, timers) */
	XTCP_NAGLE_CORK,	/* hold it: the app said MSG_MORE */
	/* send even less than an MSS: RFC 1122 4.2.3.4's override timeout */
	XTCP_NAGLE_OVERRIDE,
};

/* bits of xtcp_sock.deferred: work a timer left for release_cb */
enum {
	XTCP_DEFER_RTX,
	XTCP_DEFER_DELACK,
};

/*
 * The TCB. Everything below is protected by the socket lock: taken as
 * lock_sock() by processes and as bh_lock_sock() by softirq input and
 * timers, which defer to the backlog or to release_cb when a process owns
 * the socket. Exceptions say so.
 *
 * Layout: what every segment touches (sequence space, ACK, RTT and
 * congestion state, then the scoreboard) comes first, in the cache lines
 * right after struct sock; listener, option and TCP_INFO state last. The
 * members are ordered so that pahole -C xtcp_sock shows almost no holes:
 * the size is held by the static_assert below the struct (issue 13).
 */
struct xtcp_sock {
	struct sock sk;		/* must be first: sk_state uses TCP_* */
	struct xtcp_hnode hn;	/* ehash linkage and keys (demux.c) */

	/* send sequence space, RFC 9293 3.3.1 */
	u32 snd_una;
	u32 snd_nxt;
	u32 snd_wnd;		/* scaled */
	u32 snd_wl1;
	u32 snd_wl2;
	u32 iss;
	u32 write_seq;		/* tail of the write queue */
	u32 max_window;		/* largest SND.WND seen */

	/* receive sequence space */
	u32 rcv_nxt;
	u32 rcv_wnd;		/* advertised at rcv_wup */
	u32 rcv_wup;		/* rcv_nxt when the window was last sent */
	u32 irs;
	u32 copied_seq;		/* next byte recvmsg() hands out */

	u16 mss;		/* effective send MSS */
	u16 advmss;		/* what we announced */
	u16 user_mss;		/* TCP_MAXSEG, 0 if unset */
	u8 snd_wscale;
	u8 rcv_wscale;
	u8 nodelay:1,		/* TCP_NODELAY */
	   wscale_ok:1,		/* both sides sent the option */
	   ack_pending:1,	/* an ACK is owed (delack timer armed) */
	   /*
	    * A segment asked for an ACK at once; any segment we send
	    * carries it (xtcp_timer_ack_sent()), as Linux's ICSK_ACK_NOW
	    */
	   ack_now:1,
	   fin_sent:1,		/* our FIN has a sequence number */
	   /*
	    * Both sides sent SACK-permitted, or timestamps (RFC 2018 2,
	    * RFC 7323 3.2). In SYN-SENT: what our SYN offers.
	    */
	   sack_ok:1,
	   tstamp_ok:1,
	   /*
	    * Fast Open: the SYN's data was acked (TCPI_OPT_SYN_DATA), a
	    * bit as tcp_sock's; cleared with info by xtcp_info_reset().
	    */
	   syn_data_acked:1;
	u8 dupacks;
	/* the SACK blocks below: counts, here to fill the word */
	u8 num_sacks;
	u8 dsack;

	/*
	 * RFC 7323 timestamps. Our TSval is a millisecond clock plus
	 * tsoffset, a per-address-pair secret as Linux's secure_tcp_ts_off()
	 * (RFC 7323 5.4 and 7.1: no shared clock for a peer to read).
	 * Socket lock (owner, or bh_lock_sock() in softirq).
	 */
	u32 tsoffset;
	u32 ts_recent;		/* TS.Recent, RFC 7323 4.3 */
	u32 ts_recent_stamp;	/* seconds when it was set (PAWS, 5.5) */

	/*
	 * The SACK blocks our next ACKs carry (RFC 2018 4), most recent
	 * first, and a D-SACK block (RFC 2883) sent once before them.
	 * Socket lock (owner, or bh_lock_sock() in softirq).
	 */
	struct xtcp_sack_block selective_acks[XTCP_MAX_SACKS];
	struct xtcp_sack_block dsack_block;

	/*
	 * When the receiver ACKs (input.c, xtcp_ack_snd_check()), as
	 * Linux's icsk_ack: rcv_mss estimates the peer's segment size (0
	 * until data came), quickack counts the ACKs still to send at once
	 * (quick-ACK mode), pingpong says the connection is interactive, so
	 * that our replies carry the ACKs. rcv_snd_mark is SND.NXT when
	 * in-order data last came: our data sent since is a reply.
	 * Socket lock (owner, or bh_lock_sock() in softirq).
	 */
	u16 rcv_mss;
	u8 quickack;
	u8 pingpong;
	u32 rcv_snd_mark;

	/* RFC 6298 state; srtt/rttvar in microseconds, 0 = no sample */
	u32 srtt_us;
	u32 rttvar_us;
	u32 rto;		/* jiffies */
	u8 backoff;		/* RTO doublings so far */
	u8 retries;		/* consecutive timeouts of the same data */
	u8 probes;		/* zero-window probes without answer */
	u8 syn_retries;		/* TCP_SYNCNT, 0: XTCP_SYN_RETRIES */
	u8 rtx_event;		/* XTCP_EV_*: what rtx_timer is armed for */
	/*
	 * Of the congestion control below, here to share the word with the
	 * u8s above rather than leave holes (issue 13's size target).
	 */
	u8 in_recovery;		/* XTCP_CA_*: xtcp_cong_set_state() */
	u8 cong_user;		/* TCP_CONGESTION chose cong: children keep it */
	u32 min_rtt_us;		/* lowest RTT sample, 0: none (RACK) */
	u32 min_rtt_stamp;	/* jiffies of min_rtt_us */

	/* congestion control, in segments */
	u32 snd_cwnd;
	u32 snd_ssthresh;
	u32 snd_cwnd_cnt;
	u32 recover;		/* NewReno: snd_nxt when recovery began */

	/*
	 * Congestion control ops and buffer autotuning (cong.c, cubic.c,
	 * buf.c). Socket lock. cong below is the algorithm, chosen at
	 * socket() from the congestion_control parameter, by TCP_CONGESTION,
	 * or inherited from the listener; it stays across disconnect().
	 * cong_user is with the u8s above.
	 */
	u32 lsndtime;		/* jiffies of the last data sent, 0: none */
	/*
	 * jiffies: the last acceptable ACK came. Of the keepalive group
	 * below (timer.c reads it), but written per ACK: here, by the
	 * other per-segment state, and so that no hole is left before cong.
	 */
	u32 rcv_tstamp;
	u32 rcvq_seq;		/* DRS: copied_seq when the period began */
	u32 rcvq_space;		/* DRS: most bytes copied in one period */
	const struct xtcp_cong_ops *cong;
	u64 rcvq_time_us;	/* DRS: start of the period, 0: not yet */
	/* the algorithm's own state (struct xtcp_cubic...), zeroed by init */
	u64 cong_priv[XTCP_CA_PRIV_SIZE / sizeof(u64)];

	/*
	 * SACK scoreboard and loss recovery (recovery.c), in bytes above
	 * SND.UNA: what the marks of XTCP_SACKED_* cover. Everything from
	 * here to tlp_high_seq (PRR, undo, RACK, TLP), and the marks in the
	 * cb of each skb of the write queue, is under the socket lock
	 * (owner, or bh_lock_sock() in softirq); recovery.c's entry points
	 * assert it.
	 */
	u32 sacked_out;
	u32 lost_out;		/* marked lost and not SACKed */
	u32 retrans_out;	/* resent and neither acked nor SACKed */
	u32 highest_sack;	/* end of the highest SACKed skb */
	/* PRR (RFC 6937), in segments */
	u32 prr_delivered;
	u32 prr_out;
	u32 prior_cwnd;		/* cwnd when the episode began */
	u32 prior_ssthresh;	/* for undo */
	/* undo (RFC 3522, RFC 2883): Linux's undo_marker/undo_retrans */
	u32 undo_marker;	/* SND.UNA at the start, 0: nothing to undo */
	s32 undo_retrans;	/* retransmissions not yet D-SACKed, -1: none */
	u32 dsack_segs;		/* segments D-SACKed, ever (tp->dsack_dups) */
	u32 undo_tsval;		/* TSval of the first retransmission, 0: none */
	/* RACK (RFC 8985 6): the most recently sent delivered segment */
	u64 rack_xmit_us;
	u32 rack_end_seq;
	u32 rack_rtt_us;
	u32 rack_dsack_seq;	/* snd_nxt at the last reo_wnd growth */
	u8 rack_reo_steps;	/* reo_wnd in min_rtt/4 steps (6.2 step 4) */
	u8 rack_reo_persist;	/* recoveries left before steps reset */
	u8 rack_reord:1,	/* reordering seen on this connection */
	   rack_advanced:1;	/* moved since the last loss detection */
	/* TLP (RFC 8985 7) */
	u8 tlp_retrans;		/* the probe was a retransmission */
	u32 tlp_high_seq;	/* snd_nxt at the probe, 0: no probe out */
	/* socket lock; here, not by ofo_last, to fill the word */
	u32 last_oow_ack;	/* jiffies of the last rate-limited ACK */

	/* sk_write_queue holds sent-but-unacked data, then unsent data */
	struct sk_buff *send_head;	/* first unsent skb, or NULL */
	struct rb_root ofo_root;	/* out-of-order data by seq */
	struct sk_buff *ofo_last;	/* its highest skb, or NULL */

	struct timer_list rtx_timer;	/* RTO, SYN, probes; SYN-ACKs */
	struct timer_list delack_timer;
	unsigned long deferred;		/* XTCP_DEFER_*, atomic bitops */

	struct xtcp_listen *listen;	/* LISTEN: SYN and accept queues */
	struct hlist_node listen_node;	/* LISTEN: in demux.c's lhash */
	struct list_head accept_node;	/* child: in the accept queue */

	/*
	 * TCP Fast Open (RFC 7413, fastopen.c). Socket lock, except that
	 * tfo_pending is atomic: a listener counts its children in
	 * SYN-RECEIVED that came from a SYN with a valid cookie, and each
	 * child gives its slot back under its own lock.
	 */
	struct xtcp_fastopen_ctx *tfo_ctx;	/* TCP_FASTOPEN_KEY's keys */
	struct xtcp_fastopen_req *tfo_req;	/* client: the SYN's cookie */
	struct sock *tfo_listener;	/* child: holds a slot of its qlen */
	u32 tfo_qlen;			/* listener: TCP_FASTOPEN */
	atomic_t tfo_pending;		/* listener: children holding a slot */
	u8 tfo_connect;			/* TCP_FASTOPEN_CONNECT */
	u8 tfo_defer;			/* connect() left the SYN to write() */

	/*
	 * TCP_CORK (output.c xtcp_output_set_cork()), socket lock: a
	 * partial last segment waits, as with MSG_MORE on every write.
	 * Accepted children keep the listener's, as sk_clone_lock() keeps
	 * tp->nonagle.
	 */
	u8 corked;

	/*
	 * The local port came from connect()'s autobind, so that another
	 * connect() may share it while the 4-tuples differ, as a Linux bind
	 * bucket with fastreuse -1 (demux.c, xtcp_port_holder_shareable()).
	 * Not the socket lock: demux.c writes it under the bhash bucket lock
	 * as the socket joins the bind hash and reads it under that lock.
	 */
	bool port_by_connect;
	/*
	 * TCP_DEFER_ACCEPT as a count of SYN-ACK timeouts, 0: off
	 * (listen.c). Written under the socket lock with WRITE_ONCE, read
	 * by the listener's RX and timer under it, and by getsockopt()
	 * without it.
	 */
	u8 defer_accept;

	/*
	 * The IPv4 header of what this socket sends (SOL_IP options, see
	 * sockopt.c), inherited by accepted children as inet_csk_clone_lock()
	 * copies inet_sock. Socket lock; a listener's SYN-ACKs read its TOS
	 * and TTL under its bh lock. The GSO limits of the device live in
	 * struct sock's sk_gso_max_size and sk_gso_max_segs (socket lock),
	 * learned at connect and accept time.
	 */
	u16 ip_id;		/* next IPv4 ID, like inet_id: per connection */
	u8 ip_tos;		/* IP_TOS; the ECN bits stay ours (0) */
	u8 ip_ttl;		/* IP_TTL, 0: the netns default */
	u8 ip_pmtudisc;		/* IP_MTU_DISCOVER, valid if ip_pmtudisc_set */
	u8 ip_pmtudisc_set:1,	/* else IP_PMTUDISC_WANT, Linux's default */
	   ip_recverr:1,	/* IP_RECVERR */
	   ip_freebind:1,	/* IP_FREEBIND */
	   ip_bind_address_no_port:1, /* IP_BIND_ADDRESS_NO_PORT */
	   ip_transparent:1;	/* IP_TRANSPARENT, stored only */
	/*
	 * IP_LOCAL_PORT_RANGE: lo | hi << 16, 0: unset. Written under the
	 * socket lock with WRITE_ONCE; demux.c reads it when it picks a
	 * port, with the socket lock held.
	 */
	u32 port_range;

	/* TCP_INFO's counters and clocks (info.c); socket lock */
	struct xtcp_info_stats info;

	/*
	 * Keepalive, TCP_USER_TIMEOUT and the orphaned FIN_WAIT_2 timeout
	 * (timer.c), as Linux's tcp_sock keepalive_time/_intvl/_probes,
	 * linger2, rcv_tstamp (above), retrans_stamp and
	 * icsk_user_timeout. Socket lock; the options' values are written
	 * with WRITE_ONCE for getsockopt(), which reads them without it.
	 * Kept across disconnect(), inherited by accepted children.
	 */
	u32 keepalive_time;	/* TCP_KEEPIDLE, jiffies; 0: keepalive_time */
	u32 keepalive_intvl;	/* TCP_KEEPINTVL, jiffies; 0: the parameter */
	u32 user_timeout;	/* TCP_USER_TIMEOUT, ms; 0: none */
	/* TCP_LINGER2, jiffies: 0 fin_timeout, < 0 reset instead */
	int linger2;
	u32 retrans_stamp;	/* jiffies: the first RTO of this episode */
	u8 keepalive_probes;	/* TCP_KEEPCNT; 0: keepalive_probes */

	/*
	 * The orphan limit (timer.c xtcp_timer_orphan_oom(), as Linux's
	 * tcp_check_oom()): close() left the socket alive and counted it in
	 * xtcp_net.orphans; xtcp_destroy() takes it off exactly once. Socket
	 * lock.
	 */
	u8 orphan_counted;
	u8 recvmsg_inq;		/* TCP_INQ: a TCP_CM_INQ cmsg per read */

	/*
	 * Options of the data path (sock.c, output.c), as tcp_sock's
	 * notsent_lowat, window_clamp and recvmsg_inq. Socket lock; written
	 * with WRITE_ONCE where poll() and getsockopt() read them without
	 * it. Kept across disconnect(), inherited by accepted children
	 * (xtcp_output_init_child()), as sk_clone_lock() copies them.
	 * recvmsg_inq is with orphan_counted above, not to leave holes.
	 */
	u32 notsent_lowat;	/* TCP_NOTSENT_LOWAT, 0: the parameter */
	u32 window_clamp;	/* TCP_WINDOW_CLAMP, bytes; 0: none */
};

/*
 * Issue 13's memory target: an XTCP socket's slab object at most 1,472
 * bytes, 0.64x of Linux's 2,304-byte TCP socket. proto_register() makes
 * the cache with SLAB_HWCACHE_ALIGN, so the object is sizeof() rounded up
 * to a cache line: 1,472 is 23 lines of 64 bytes, and one byte more costs
 * a whole line. A new member must fit a hole that pahole -C xtcp_sock
 * shows, or something else must shrink. Held on a production config
 * only: lockdep (CONFIG_LOCKDEP, as in the debug kernel of make
 * check-debug) and spinlock debugging grow struct sock and every timer.
 */
#if !IS_ENABLED(CONFIG_LOCKDEP) && !IS_ENABLED(CONFIG_DEBUG_SPINLOCK)
static_assert(sizeof(struct xtcp_sock) <= 1472);
#endif

static inline struct xtcp_sock *xtcp_sk(const struct sock *sk)
{
	return (struct xtcp_sock *)sk;
}

/*
 * A TIME_WAIT entry (timewait.c): what is left of a connection once its
 * socket is freed, as Linux's tcp_time_wait() leaves an
 * inet_timewait_sock. It answers a retransmitted FIN and judges a new SYN
 * for its 4-tuple (RFC 9293 3.10.7.4, RFC 6191), and holds the local port
 * in the bind hash for 2 MSL. Its size is reported in slabinfo as
 * "xtcp_tw"; keep it within 128 bytes.
 *
 * One reference belongs to the entry's life (its place in the netns's
 * expiry FIFO and both hashes, dropped when it is killed); lockless
 * lookups take more with refcount_inc_not_zero(). Freed after an RCU
 * grace period, since RX walks the ehash under rcu_read_lock() alone.
 */
struct xtcp_tw {
	struct xtcp_hnode hn;		/* must be first: the ehash walks it */
	struct hlist_node bind_node;	/* bhash tw_chain; bucket lock */
	union {
		/* the netns's expiry FIFO (xtcp_tw_row.fifo); its lock */
		struct list_head fifo;
		/* after the last reference: the FIFO is done with it */
		struct rcu_head rcu;
	};
	unsigned long expires;		/* jiffies; row lock */
	refcount_t refcnt;
	/* fixed at creation, read without a lock */
	u32 snd_nxt;			/* SEG.SEQ of our ACKs */
	u32 rcv_nxt;			/* SEG.ACK of our ACKs; the SYN test */
	u32 rcv_wnd;			/* what is left of our window, scaled */
	u8 rcv_wscale;
	u8 reuse:1,			/* the socket had SO_REUSEADDR */
	   /* its port came from connect()'s autobind (port_by_connect) */
	   port_by_connect:1,
	   tstamp_ok:1,			/* the connection had timestamps */
	   reuseport:1;			/* the socket had SO_REUSEPORT */
	/* killed or expired; row lock (a byte of its own: no bitfield RMW) */
	u8 dead;
	/* the socket's SO_BINDTODEVICE, 0: none (demux.c: lookup, bind) */
	int bound_dev_if;
	/*
	 * RFC 7323 timestamps, if tstamp_ok: the connection's TSval offset
	 * for our ACKs, and TS.Recent for PAWS and RFC 6191's test in
	 * xtcp_timewait_rcv(). An in-window ACK updates TS.Recent without
	 * a lock (READ_ONCE/WRITE_ONCE), as Linux's tw_ts_recent: RX on two
	 * CPUs may race, and either value is one the peer sent. No stamp
	 * for RFC 7323 5.5: an entry lives 2 MSL, not 24 days.
	 */
	u32 tsoffset;
	u32 ts_recent;
};

static inline struct sock *xtcp_hnode_sk(struct xtcp_hnode *hn)
{
	return &container_of(hn, struct xtcp_sock, hn)->sk;
}

static inline struct xtcp_tw *xtcp_hnode_tw(struct xtcp_hnode *hn)
{
	return container_of(hn, struct xtcp_tw, hn);
}

/* RFC 1982 serial arithmetic on sequence numbers */
static inline bool xtcp_before(u32 a, u32 b)
{
	return (s32)(a - b) < 0;
}

#define xtcp_after(a, b) xtcp_before(b, a)

static inline bool xtcp_between(u32 seq, u32 lo, u32 hi)
{
	return hi - lo >= seq - lo;	/* lo <= seq <= hi */
}

static inline u64 xtcp_clock_us(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_USEC);
}

/* bytes in flight */
static inline u32 xtcp_packets_out_bytes(const struct xtcp_sock *xs)
{
	return xs->snd_nxt - xs->snd_una;
}

/*
 * Bytes still in the network, RFC 6675's "pipe" as Linux's
 * tcp_packets_in_flight(): sent, less SACKed, less judged lost, plus
 * what was resent.
 */
static inline u32 xtcp_in_flight(const struct xtcp_sock *xs)
{
	u32 out = xtcp_packets_out_bytes(xs);
	u32 left = xs->sacked_out + xs->lost_out;

	return (out > left ? out - left : 0) + xs->retrans_out;
}

/*
 * What a congestion episode is (xs->in_recovery), as icsk_ca_state; the
 * algorithm is told about it too (ops->set_state, Linux's TCP_CA_*).
 */
enum xtcp_ca_state {
	XTCP_CA_OPEN,		/* nothing being repaired */
	XTCP_CA_RECOVERY,	/* fast recovery: SACK/RACK or 3 dupACKs */
	XTCP_CA_LOSS,		/* after an RTO */
};

/* what xs->rtx_timer is armed for, as Linux's icsk_pending */
enum {
	XTCP_EV_RTO,		/* RTO, SYN retries, zero-window probes */
	XTCP_EV_TLP,		/* tail loss probe (RFC 8985 7.2) */
	XTCP_EV_REO,		/* RACK reorder timer (RFC 8985 6.3) */
};

/*
 * How xtcp_link_output() fills the IPv4 header of one packet (or of each
 * datagram of a GSO packet, whose IDs count up from id).
 */
struct xtcp_ip_params {
	__be32 saddr;
	__be32 daddr;
	u16 id;			/* 0 for what no connection owns, with df */
	u8 proto;
	u8 tos;
	u8 ttl;			/* 0: the netns default */
	bool df;
	u32 mark;		/* skb->mark: the sender's SO_MARK */
	u32 priority;		/* skb->priority: its SO_PRIORITY */
};

/*
 * A netns's TIME_WAIT entries, oldest first, as Linux's tcp_death_row
 * counts them. Every entry lives 2 MSL from its creation or last restart,
 * so the FIFO is in expiry order and one timer, armed for the head, serves
 * them all (timewait.c says why, and what a change of msl_ms does).
 */
struct xtcp_tw_row {
	/* guards everything below and xtcp_tw.fifo, .expires, .dead; BHs off */
	spinlock_t lock;
	struct list_head fifo;
	struct timer_list timer;	/* fires for the head's expiry */
	unsigned int count;		/* entries on @fifo; READ_ONCE outside */
	bool dying;			/* netns exit: arm nothing more */
};

/* per network namespace state */
struct xtcp_net {
	struct xtcp_tw_row tw;		/* TIME_WAIT entries (timewait.c) */
	/* attached devices; RCU readers, writers hold links_lock */
	struct list_head links;
	struct mutex links_lock;	/* process context only */
	struct xtcp_mib __percpu *mib;
	unsigned int nr_links;		/* under links_lock */
	/*
	 * Orphans alive: sockets close() left to finish on their own, as
	 * Linux's tcp_orphan_count but per netns and exact (Linux sums
	 * per-CPU counters every 100 ms). Atomic: each socket changes it
	 * under its own lock.
	 */
	atomic_t orphans;
	/*
	 * Hostile input: what a netns answers with, per second. The
	 * challenge ACK budget (input.c) is read and written with
	 * READ_ONCE/WRITE_ONCE from any CPU without a lock, as Linux's
	 * tcp_challenge_count: two CPUs may both take the last one. The
	 * ratelimit_states (RSTs, output.c; echo replies, icmp.c) have
	 * their own lock.
	 */
	u32 challenge_stamp;		/* jiffies / HZ of challenge_count */
	u32 challenge_count;		/* challenge ACKs left this second */
	struct ratelimit_state rst_rs;
	struct ratelimit_state echo_rs;
};

extern unsigned int xtcp_net_id;

static inline struct xtcp_net *xtcp_net(const struct net *net)
{
	return net_generic(net, xtcp_net_id);
}

#define XTCP_INC_STATS(net, field) \
	this_cpu_inc(xtcp_net(net)->mib->mibs[XTCP_MIB_##field])
#define XTCP_DEC_STATS(net, field) \
	this_cpu_dec(xtcp_net(net)->mib->mibs[XTCP_MIB_##field])
#define XTCP_ADD_STATS(net, field, n) \
	this_cpu_add(xtcp_net(net)->mib->mibs[XTCP_MIB_##field], n)

/* what one attached link looks like from outside link.c */
struct xtcp_link_info {
	int ifindex;
	char ifname[IFNAMSIZ];
	__be32 addr;
	__be32 gw;		/* 0: none */
	u8 prefixlen;
	u32 mtu;
	u32 neighs;		/* entries in its ARP cache */
};

/* main.c */
bool xtcp_net_ratelimit(struct ratelimit_state *rs, unsigned int per_sec);
extern unsigned int xtcp_family;
extern unsigned int xtcp_msl_ms;
extern unsigned int xtcp_max_tw_buckets;
extern bool xtcp_sack_enabled;
extern bool xtcp_timestamps_enabled;
extern unsigned int xtcp_keepalive_time;
extern unsigned int xtcp_keepalive_intvl;
extern unsigned int xtcp_keepalive_probes;
extern unsigned int xtcp_fin_timeout;
extern unsigned int xtcp_max_orphans;
extern unsigned int xtcp_notsent_lowat;
extern struct proto xtcp_prot;

/* sock.c APIs */
int xtcp_sock_register(void);
void xtcp_sock_unregister(void);
void xtcp_sock_init_tcb(struct sock *sk);
void xtcp_set_state(struct sock *sk, int state);
void xtcp_done(struct sock *sk);
void xtcp_reset(struct sock *sk);
void xtcp_abort(struct sock *sk, int err);
void xtcp_write_space(struct sock *sk);
u32 xtcp_inq(const struct sock *sk);
bool xtcp_stream_memory_free(const struct sock *sk, int wake);
int xtcp_sock_io_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			    unsigned int optlen);
int xtcp_sock_io_getsockopt(struct sock *sk, int optname);

/* sockopt.c APIs */
int xtcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int xtcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen);

/* input.c APIs */
int xtcp_rcv(struct sk_buff *skb);
int xtcp_backlog_rcv(struct sock *sk, struct sk_buff *skb);
int xtcp_rcv_deliver(struct sock *sk, struct sk_buff *skb, int subclass);
void xtcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
void xtcp_rcv_snd_check(struct sock *sk);
void xtcp_ofo_purge(struct sock *sk);
u32 xtcp_rcv_mss(const struct xtcp_sock *xs);

/* output.c APIs */
struct sk_buff *xtcp_alloc_skb(struct sock *sk, unsigned int size, gfp_t gfp);
void xtcp_write_xmit(struct sock *sk, int nonagle);
void xtcp_output_set_cork(struct sock *sk, bool on);
int xtcp_output_set_window_clamp(struct sock *sk, int val);
void xtcp_output_push_queued(struct sock *sk);
void xtcp_push(struct sock *sk, int msg_flags);
void xtcp_mark_push(struct sock *sk);
int xtcp_retransmit_head(struct sock *sk);
void xtcp_send_ack(struct sock *sk);
void xtcp_send_syn(struct sock *sk);
void xtcp_send_fin(struct sock *sk);
void xtcp_send_active_reset(struct sock *sk, gfp_t gfp,
			    enum xtcp_mib_field reason);
void xtcp_send_probe(struct sock *sk, enum xtcp_mib_field mib);
void xtcp_send_reset_reply(struct net *net, const struct sk_buff *skb,
			   enum xtcp_mib_field reason);
void xtcp_output_init_child(const struct sock *lsk, struct sock *sk);
void xtcp_send_synack(const struct sock *lsk, __be32 saddr, __be32 daddr,
		      __be16 sport, __be16 dport, u32 iss, u32 ack,
		      u32 window, const struct xtcp_out_opts *opts);
int xtcp_queue_syn(struct sock *sk, gfp_t gfp);
void xtcp_send_syn_data(struct sock *sk);
void xtcp_send_ack_stateless(struct net *net, const struct sk_buff *skb,
			     u32 seq, u32 ack, u32 window,
			     const struct xtcp_out_opts *opts);
long xtcp_rcv_space(const struct sock *sk);
u32 xtcp_window_offer(const struct sock *sk);
u32 xtcp_select_window(struct sock *sk);
u32 xtcp_initial_window(const struct sock *sk);
u8 xtcp_choose_wscale(const struct sock *sk);
void xtcp_init_mss(struct sock *sk, unsigned int mtu, u16 peer_mss);
unsigned int xtcp_size_goal(const struct sock *sk);
struct xtcp_ack_state;
u32 xtcp_clean_rtx_queue(struct sock *sk, u32 ack, struct xtcp_ack_state *as);
int xtcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len);
int xtcp_retransmit_skb(struct sock *sk, struct sk_buff *skb, u32 limit);
void xtcp_xmit_retransmit_queue(struct sock *sk);
bool xtcp_send_loss_probe(struct sock *sk);

/*
 * recovery.c APIs: what one ACK did (filled by xtcp_sacktag() and
 * xtcp_clean_rtx_queue(), read by xtcp_recovery_on_ack())
 */
struct xtcp_ack_state {
	u32 prior_una;
	u32 prior_fack;		/* highest SACKed (or SND.UNA) before it */
	u64 now_us;		/* the segment's cb->rcv_us */
	u32 acked;		/* bytes newly acknowledged cumulatively */
	u32 sacked;		/* bytes newly SACKed */
	s64 rtt_us;		/* oldest never-resent acked skb, -1: none */
	s64 sack_rtt_us;	/* the same among newly SACKed skbs */
	s64 ca_rtt_us;		/* newest never-resent (S)ACKed skb, -1 */
	u8 dsack:1,		/* the ACK carried a D-SACK (RFC 2883) */
	   dsack_tlp:1,		/* ... for the tail loss probe's segment */
	   una_advanced:1,
	   retrans_acked:1,	/* a resent skb acked cumulatively */
	   dupack:1,		/* a duplicate ACK (RFC 5681 2) */
	   reord:1,		/* it showed reordering (TCP_INFO) */
	   rearm:1;		/* it restarts the RTO or probe timer */
};

void xtcp_recovery_init(struct sock *sk);
void xtcp_sacktag(struct sock *sk, const struct sk_buff *skb,
		  struct xtcp_ack_state *as);
void xtcp_recovery_acked(struct sock *sk, struct sk_buff *skb, u32 bytes,
			 struct xtcp_ack_state *as);
void xtcp_recovery_enter(struct sock *sk);
void xtcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb);
void xtcp_recovery_on_ack(struct sock *sk, const struct sk_buff *skb,
			  struct xtcp_ack_state *as);
void xtcp_recovery_rtt(struct sock *sk, const struct sk_buff *skb,
		       const struct xtcp_ack_state *as);
void xtcp_recovery_on_rto(struct sock *sk);
void xtcp_recovery_reo_timeout(struct sock *sk);
void xtcp_recovery_tlp_fire(struct sock *sk);
bool xtcp_recovery_tlp_timeout(struct sock *sk, bool advancing_rto,
			       unsigned long *when);
u32 xtcp_recovery_rto_left(const struct sock *sk);
void xtcp_recovery_retransmitted(struct sock *sk, struct sk_buff *skb,
				 u32 segs, u32 tsval);

/* options.c APIs */
void xtcp_parse_options(const struct sk_buff *skb, struct xtcp_opts *opts);
void xtcp_parse_timestamp(const struct sk_buff *skb, struct xtcp_skb_cb *cb);
void xtcp_parse_sack_blocks(const struct sk_buff *skb, struct xtcp_opts *opts);
unsigned int xtcp_options_size(const struct xtcp_out_opts *o);
unsigned int xtcp_options_sack_room(const struct xtcp_out_opts *o);
void xtcp_options_write(u8 *ptr, const struct xtcp_out_opts *o);

/*
 * The TSval clock (RFC 7323 4.1: about 1 ms a tick, as Linux 6.1), of a
 * time already read: the clock source may be slow to read (the HPET of a
 * VM), so a segment or a burst reads it once, as Linux's tcp_mstamp
 */
static inline u32 xtcp_ts_of(u64 us)
{
	return (u32)div_u64(us, USEC_PER_MSEC);
}

static inline u32 xtcp_ts_now(void)
{
	return xtcp_ts_of(xtcp_clock_us());
}

/* info.c APIs */
int xtcp_info_getsockopt(struct sock *sk, char __user *optval,
			 int __user *optlen);
void xtcp_info_reset(struct sock *sk);
void xtcp_info_sent(struct sock *sk, const struct sk_buff *skb, u32 data);
void xtcp_info_retransmitted(struct sock *sk, const struct sk_buff *skb,
			     u32 segs);
void xtcp_info_rcv(struct sock *sk, const struct sk_buff *skb);
void xtcp_info_data_recv(struct sock *sk, const struct sk_buff *skb);
void xtcp_info_on_ack(struct sock *sk, const struct xtcp_ack_state *as);
void xtcp_info_delivered(struct sock *sk, const struct sk_buff *skb,
			 bool sacked);

/* fastopen.c APIs */
enum {
	XTCP_FASTOPEN_CLIENT	= 1,	/* bits of the fastopen parameter */
	XTCP_FASTOPEN_SERVER	= 2,
};

/* a client's Fast Open SYN, from connect() until the SYN-ACK */
struct xtcp_fastopen_req {
	u8 cookie[XTCP_FASTOPEN_COOKIE_MAX];
	s8 len;			/* the cookie's; 0 asks for one, -1: none */
	u32 syn_data;		/* bytes the SYN carried */
};

bool xtcp_fastopen_enabled(unsigned int bit);
int xtcp_fastopen_init(void);
void xtcp_fastopen_net_exit(struct net *net);
int xtcp_fastopen_set_key(struct sock *sk, sockptr_t optval,
			  unsigned int optlen);
int xtcp_fastopen_get_key(struct sock *sk, char __user *optval,
			  int __user *optlen);
void xtcp_fastopen_destroy(struct sock *sk);
void xtcp_fastopen_cookie(const struct sock *lsk, __be32 saddr,
			  __be32 daddr, u8 *cookie);
bool xtcp_fastopen_cookie_ok(const struct sock *lsk, __be32 saddr,
			     __be32 daddr, const struct xtcp_opts *opts);
bool xtcp_fastopen_cache_get(struct net *net, __be32 daddr, u8 *cookie,
			     s8 *len);
void xtcp_fastopen_cache_set(struct net *net, __be32 daddr,
			     const u8 *cookie, u8 len);
bool xtcp_fastopen_queue_check(struct sock *lsk);
void xtcp_fastopen_child_slot(struct sock *lsk, struct sock *child);
void xtcp_fastopen_child_done(struct sock *sk);
int xtcp_fastopen_client_start(struct sock *sk);
void xtcp_fastopen_synack(struct sock *sk, const struct xtcp_opts *opts,
			  u32 ack);

/* cong.c APIs */
/* events for ops->cwnd_event (Linux's CA_EVENT_*) */
enum xtcp_ca_event {
	XTCP_CA_EVENT_TX_START,		/* data leaves with nothing in flight */
	XTCP_CA_EVENT_CWND_RESTART,	/* cwnd cut after an idle period */
};

/*
 * A congestion control algorithm, like Linux's struct tcp_congestion_ops
 * cut to what Reno and CUBIC use. ssthresh and cong_avoid are required,
 * the rest optional. Every hook runs under the socket lock. An algorithm
 * keeps its per-connection state in xtcp_sock.cong_priv (XTCP_CA_PRIV_SIZE
 * bytes, zeroed before init) and is one file: cubic.c is the example.
 */
struct xtcp_cong_ops {
	struct list_head list;		/* xtcp_cong_list; RCU, cong.c lock */
	char name[XTCP_CA_NAME_MAX];	/* what TCP_CONGESTION names */
	/* (re)start the algorithm's state: new socket, TCP_CONGESTION */
	void (*init)(struct sock *sk);
	/* ssthresh after a loss (fast retransmit or RTO), in segments */
	u32 (*ssthresh)(struct sock *sk);
	/* grow cwnd for acked segments, outside fast recovery */
	void (*cong_avoid)(struct sock *sk, u32 acked);
	/* before the stack enters the state (XTCP_CA_*) */
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum xtcp_ca_event ev);
	/*
	 * an ACK of new data (every one), after cong_avoid; now_us is the
	 * ACK's arrival (clock_us), as Linux's tcp_mstamp
	 */
	void (*pkts_acked)(struct sock *sk, u32 acked, u64 now_us);
	/* an RTT sample in microseconds, when the stack takes one */
	void (*rtt_sample)(struct sock *sk, u32 rtt_us, u64 now_us);
	/* cwnd to restore when a reduction proved spurious */
	u32 (*undo_cwnd)(struct sock *sk, u32 prior_cwnd);
};

extern bool xtcp_slow_start_after_idle;

int xtcp_cong_register(struct xtcp_cong_ops *ops);
void xtcp_cong_unregister(struct xtcp_cong_ops *ops);
int xtcp_cong_module_init(void);
void xtcp_cong_module_exit(void);
void xtcp_cong_init(struct sock *sk);
void xtcp_cong_established(struct sock *sk, u32 syn_timeouts);
void xtcp_cong_init_child(const struct sock *lsk, struct sock *sk);
int xtcp_cong_set(struct sock *sk, const char *name);
void xtcp_cong_on_ack(struct sock *sk, u32 acked, u64 now_us);
void xtcp_cong_enter_recovery(struct sock *sk);
void xtcp_cong_exit_recovery(struct sock *sk);
void xtcp_cong_set_state(struct sock *sk, u8 state);
void xtcp_cong_on_timeout(struct sock *sk);
void xtcp_cong_rtt_sample(struct sock *sk, u32 rtt_us, u64 now_us);
void xtcp_cong_tx_start(struct sock *sk);
void xtcp_cong_data_sent(struct sock *sk);
u32 xtcp_cong_undo_cwnd(struct sock *sk, u32 prior_cwnd);
u32 xtcp_cong_slow_start(struct sock *sk, u32 acked);

static inline void *xtcp_cong_priv(const struct sock *sk)
{
	return (void *)xtcp_sk(sk)->cong_priv;
}

/* cubic.c APIs */
int xtcp_cubic_register(void);
void xtcp_cubic_unregister(void);

/* buf.c APIs: tcp_rmem/tcp_wmem and autotuning */
enum {
	XTCP_BUF_MIN,
	XTCP_BUF_DEFAULT,
	XTCP_BUF_MAX,
};

int xtcp_buf_rmem(int which);
int xtcp_buf_wmem(int which);
void xtcp_buf_rcv_adjust(struct sock *sk);
void xtcp_buf_snd_expand(struct sock *sk);
/* buf.c: the proto-level memory account (tcp_mem) */
extern atomic_long_t xtcp_memory_allocated;
DECLARE_PER_CPU(int, xtcp_memory_per_cpu_fw_alloc);
extern unsigned long xtcp_memory_pressure;
extern struct percpu_counter xtcp_sockets_allocated;
extern long xtcp_mem[3];
extern int xtcp_rmem[3];
extern int xtcp_wmem[3];
void xtcp_buf_enter_memory_pressure(struct sock *sk);
void xtcp_buf_leave_memory_pressure(struct sock *sk);
void xtcp_buf_sock_init(struct sock *sk);
void xtcp_buf_sock_destruct(struct sock *sk);
void xtcp_buf_forced_schedule(struct sock *sk, int size);
void xtcp_buf_wqueue_charge(struct sock *sk, struct sk_buff *skb, bool force);
bool xtcp_buf_wqueue_schedule(struct sock *sk, struct sk_buff *skb);
int xtcp_buf_wmem_schedule(struct sock *sk, int copy);
void xtcp_buf_wqueue_free(struct sock *sk, struct sk_buff *skb);
u32 xtcp_buf_window_limit(const struct sock *sk, u32 limit);
struct seq_file;
void xtcp_buf_proc_show(struct seq_file *seq);
int xtcp_buf_init(void);
void xtcp_buf_uninit(void);

/* timer.c APIs */
void xtcp_timer_init(struct sock *sk);
void xtcp_timer_clear(struct sock *sk);
void xtcp_timer_on_send(struct sock *sk, bool was_idle);
void xtcp_timer_on_ack(struct sock *sk);
void xtcp_timer_window_open(struct sock *sk);
void xtcp_timer_schedule_ack(struct sock *sk);
void xtcp_timer_ack_sent(struct sock *sk);
void xtcp_timer_fin_wait2(struct sock *sk);
void xtcp_timer_rtt_sample(struct sock *sk, u32 rtt_us);
void xtcp_timer_arm(struct sock *sk, u8 event, unsigned long when);
void xtcp_release_cb(struct sock *sk);
void xtcp_keepalive(struct sock *sk, int val);
void xtcp_timer_established(struct sock *sk);
void xtcp_timer_init_child(const struct sock *lsk, struct sock *sk);
int xtcp_fin_time(const struct sock *sk);
bool xtcp_timer_orphan_oom(struct sock *sk, int shift);
int xtcp_timer_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			  unsigned int optlen);
int xtcp_timer_getsockopt(const struct sock *sk, int optname);

/* listen.c APIs */
int xtcp_listen_init(void);
void xtcp_listen_uninit(void);
int xtcp_listen_start(struct sock *sk, int backlog);
void xtcp_listen_set_defer(struct sock *sk, int secs);
int xtcp_listen_get_defer(const struct sock *sk);
void xtcp_listen_stop(struct sock *sk);
void xtcp_listen_rcv(struct sock *sk, struct sk_buff *skb);
void xtcp_listen_timer(struct sock *sk);
struct sock *xtcp_listen_accept(struct sock *sk, int flags, int *err);
void xtcp_listen_walk(struct sock *sk,
		      void (*fn)(struct sock *lsk, __be32 raddr, __be16 rport,
				 __be32 laddr, u32 expires, void *arg),
		      void *arg);

/* timewait.c APIs */
/* what xtcp_rcv() does with a segment for a TIME_WAIT entry */
enum xtcp_tw_verdict {
	XTCP_TW_DROP,		/* nothing to answer */
	XTCP_TW_ACK,		/* repeat our last ACK */
	XTCP_TW_SYN,		/* a new incarnation: kill, look up again */
};

int xtcp_timewait_init(void);
void xtcp_timewait_uninit(void);
void xtcp_timewait_net_init(struct net *net);
void xtcp_timewait_net_exit(struct net *net);
void xtcp_time_wait(struct sock *sk);
enum xtcp_tw_verdict xtcp_timewait_rcv(struct xtcp_tw *tw,
				       const struct sk_buff *skb);
void xtcp_timewait_send_ack(struct xtcp_tw *tw, const struct sk_buff *skb);
void xtcp_timewait_kill(struct xtcp_tw *tw);
void xtcp_timewait_put(struct xtcp_tw *tw);

/* demux.c APIs */
int xtcp_demux_init(void);
void xtcp_demux_uninit(void);
struct sock *xtcp_demux_lookup(struct net *net, struct sk_buff *skb,
			       __be32 saddr, __be16 sport,
			       __be32 daddr, __be16 dport,
			       struct xtcp_tw **twp);
int xtcp_demux_hash(struct sock *sk);
void xtcp_demux_unhash(struct sock *sk);
bool xtcp_demux_hashed(const struct sock *sk);
void xtcp_demux_hash_tw(struct sock *sk, struct xtcp_tw *tw);
void xtcp_demux_unhash_tw(struct xtcp_tw *tw);
int xtcp_demux_bind(struct sock *sk, __be32 addr, u16 port);
int xtcp_demux_autobind(struct sock *sk);
int xtcp_demux_connect_port(struct sock *sk);
int xtcp_demux_listen_hash(struct sock *sk);
void xtcp_demux_listen_unhash(struct sock *sk);
void xtcp_demux_inherit_port(struct sock *lsk, struct sock *child);
void xtcp_demux_unbind(struct sock *sk);
struct xtcp_abort_set;
struct xtcp_abort_set *xtcp_demux_abort_collect(struct net *net, __be32 addr);
void xtcp_demux_abort_run(struct xtcp_abort_set *set);
void xtcp_demux_abort_addr(struct net *net, __be32 addr);
struct xtcp_hnode *xtcp_demux_iter(struct net *net, unsigned int *bucket,
				   unsigned int *offset);
u32 xtcp_demux_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
u32 xtcp_demux_ts_off(__be32 saddr, __be32 daddr);

/* link.c APIs */
int xtcp_link_init(void);
void xtcp_link_uninit(void);
void xtcp_link_net_exit(struct net *net);
int xtcp_link_add(struct net *net, const char *ifname, int ifindex,
		  __be32 addr, u8 prefixlen, __be32 gw,
		  struct netlink_ext_ack *extack);
int xtcp_link_del(struct net *net, const char *ifname, int ifindex,
		  struct netlink_ext_ack *extack);
int xtcp_link_dump(struct net *net, int skip,
		   int (*fn)(const struct xtcp_link_info *info, void *arg),
		   void *arg);
int xtcp_link_route(struct net *net, __be32 daddr, __be32 *saddr,
		    unsigned int *mtu);
int xtcp_link_route_dev(struct net *net, int ifindex, __be32 daddr,
			__be32 *saddr, unsigned int *mtu);
bool xtcp_link_addr_is_local(struct net *net, __be32 addr);
void xtcp_link_output(struct net *net, struct sk_buff *skb,
		      const struct xtcp_ip_params *ipp);
void xtcp_link_gso_caps(struct net *net, __be32 saddr,
			unsigned int *max_size, u16 *max_segs);

/* netlink.c APIs */
int xtcp_genl_init(void);
void xtcp_genl_uninit(void);

/* proc.c APIs */
int xtcp_proc_net_init(struct net *net);
void xtcp_proc_net_exit(struct net *net);
void xtcp_stats_fold(struct net *net, u64 *vals);

#endif /* _XTCP_H */
