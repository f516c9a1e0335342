// SPDX-License-Identifier: GPL-2.0
/*
 * TIME-WAIT (RFC 9293 3.10.7.4 and 3.6.1). For now the full socket waits
 * out 2 MSL; everything that knows about that is in this file, so that a
 * small TIME_WAIT entry can replace it later without touching input.c.
 */
#include <linux/tcp.h>
#include "xtcp.h"

void xtcp_time_wait(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	xtcp_set_state(sk, TCP_TIME_WAIT);
	sk_stop_timer(sk, &xs->rtx_timer);
	xtcp_timer_time_wait(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
}

/*
 * RFC 9293 3.10.7.4: "The only thing that can arrive in this state is a
 * retransmission of the remote FIN. Acknowledge it, and restart the 2 MSL
 * timeout." A RST ends the wait, as Linux does by default (it does not
 * follow RFC 1337 unless asked to).
 */
void xtcp_timewait_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);

	if (cb->flags & XTCP_FLAG_RST) {
		if (cb->seq == xs->rcv_nxt)
			xtcp_done(sk);
		goto discard;
	}
	if (cb->flags & XTCP_FLAG_FIN) {
		xtcp_send_ack(sk);
		xtcp_timer_time_wait(sk);
		goto discard;
	}
	/* data after the FIN, or an old duplicate: repeat our ACK */
	if (cb->seq != cb->end_seq)
		xtcp_send_ack(sk);
discard:
	kfree_skb(skb);
}

/*
 * A new SYN for the 4-tuple of a connection in TIME-WAIT may start a new
 * incarnation when its sequence number is above the old one (RFC 1122
 * 4.2.2.13, RFC 6191 without timestamps). Returns true when the TIME-WAIT
 * socket was closed and the caller should look the segment up again.
 */
bool xtcp_timewait_recycle(struct sock *sk, struct sk_buff *skb)
{
	struct xtcp_skb_cb *cb = XTCP_SKB_CB(skb);
	bool done = false;

	if ((cb->flags & (XTCP_FLAG_SYN | XTCP_FLAG_ACK | XTCP_FLAG_RST)) !=
	    XTCP_FLAG_SYN)
		return false;
	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk) && sk->sk_state == TCP_TIME_WAIT &&
	    xtcp_after(cb->seq, xtcp_sk(sk)->rcv_nxt)) {
		xtcp_done(sk);
		XTCP_INC_STATS(sock_net(sk), TWRECYCLED);
		done = true;
	}
	bh_unlock_sock(sk);
	return done;
}
