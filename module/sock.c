// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_XTCP socket family: socket(), the proto_ops a process calls, and
 * the state changes every other file goes through (xtcp_set_state(),
 * xtcp_done(), xtcp_reset(), xtcp_abort()).
 *
 * Reference rules: sk_alloc() gives the user (or, for a child not yet
 * accepted, the accept queue) one reference. Each demux table holds one
 * more while the socket is in it, and each pending timer one. After
 * close() the socket lives on, orphaned, on the table references until it
 * reaches TCP_CLOSE, where xtcp_done() takes it out of everything.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/termios.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include "xtcp.h"

static const struct proto_ops xtcp_stream_ops;

void xtcp_write_space(struct sock *sk)
{
	struct socket *sock = sk->sk_socket;
	struct socket_wq *wq;

	/*
	 * As sk_stream_write_space(): wake a writer only once the unsent
	 * data is below half of TCP_NOTSENT_LOWAT (wake = 1), so that it
	 * does not wake for every segment sent.
	 */
	if (!sock || !__sk_stream_is_writeable(sk, 1))
		return;
	clear_bit(SOCK_NOSPACE, &sock->flags);
	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
						      EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static void xtcp_write_queue_purge(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&sk->sk_write_queue)))
		xtcp_buf_wqueue_free(sk, skb);
	xs->send_head = NULL;
}

static void xtcp_sock_destruct(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	__skb_queue_purge(&sk->sk_receive_queue);
	xtcp_ofo_purge(sk);
	xtcp_write_queue_purge(sk);
	xtcp_fastopen_destroy(sk);
	WARN_ON_ONCE(xs->listen);
	WARN_ON_ONCE(xtcp_demux_hashed(sk));
	WARN_ON_ONCE(!hlist_unhashed(&sk->sk_bind_node));
	if (sk->sk_frag.page) {
		put_page(sk->sk_frag.page);
		sk->sk_frag.page = NULL;
	}
	xtcp_buf_sock_destruct(sk);
}

/* a fresh TCB: for socket(), and for children of a listener */
void xtcp_sock_init_tcb(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sk->sk_type = SOCK_STREAM;
	/*
	 * Not IPPROTO_TCP: BPF helpers (bpf_tcp_sock(), bpf_skc_to_tcp_sock())
	 * and other code take sk_protocol == IPPROTO_TCP on a stream socket
	 * to mean struct tcp_sock, which is far larger than ours. MPTCP
	 * gives its sockets IPPROTO_MPTCP for the same reason.
	 */
	sk->sk_protocol = IPPROTO_XTCP;
	sk->sk_state = TCP_CLOSE;
	sk->sk_destruct = xtcp_sock_destruct;
	sk->sk_backlog_rcv = xtcp_backlog_rcv;
	sk->sk_write_space = xtcp_write_space;
	/* tcp_wmem[1] and tcp_rmem[1], as tcp_init_sock() (buf.c) */
	sk->sk_sndbuf = xtcp_buf_wmem(XTCP_BUF_DEFAULT);
	sk->sk_rcvbuf = xtcp_buf_rmem(XTCP_BUF_DEFAULT);
	/* demux lookups run under RCU and take references afterwards */
	sock_set_flag(sk, SOCK_RCU_FREE);
	xs->ofo_root = RB_ROOT;
	INIT_LIST_HEAD(&xs->accept_node);
	INIT_HLIST_NODE(&xs->listen_node);
	xs->rto = XTCP_TIMEOUT_INIT;
	xs->mss = XTCP_DEFAULT_MSS;
	xs->advmss = XTCP_DEFAULT_MSS;
	xtcp_cong_init(sk);
	xtcp_recovery_init(sk);
	xtcp_timer_init(sk);
	xtcp_buf_sock_init(sk);
}

/*
 * Every state change goes through here, for the CurrEstab gauge and so
 * that a socket leaves the demux tables the moment it is closed. Unless
 * the user bound it explicitly, a closed socket also gives up its port.
 */
void xtcp_set_state(struct sock *sk, int state)
{
	struct net *net = sock_net(sk);
	int old = sk->sk_state;
	bool was_estab = old == TCP_ESTABLISHED || old == TCP_CLOSE_WAIT;
	bool is_estab = state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT;

	if (old == state)
		return;
	/* a passive Fast Open child gives its listener's slot back */
	if (old == TCP_SYN_RECV)
		xtcp_fastopen_child_done(sk);
	if (is_estab && !was_estab)
		XTCP_INC_STATS(net, CURRESTAB);
	else if (was_estab && !is_estab)
		XTCP_DEC_STATS(net, CURRESTAB);

	if (state == TCP_CLOSE) {
		if (was_estab)
			XTCP_INC_STATS(net, ESTABRESETS);
		if (old == TCP_SYN_SENT || old == TCP_SYN_RECV)
			XTCP_INC_STATS(net, ATTEMPTFAILS);
		xtcp_demux_unhash(sk);
		if (!(sk->sk_userlocks & SOCK_BINDPORT_LOCK)) {
			xtcp_demux_unbind(sk);
			sk->sk_num = 0;
			if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
				WRITE_ONCE(sk->sk_rcv_saddr, 0);
		}
	}
	/* pairs with the lockless readers: demux and /proc/net/xtcp */
	smp_store_release(&sk->sk_state, state);
}

/* orphan at TCP_CLOSE: nothing will ever use it again */
static void xtcp_destroy(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	/* as inet_csk_destroy_sock() takes it off tcp_orphan_count */
	if (xs->orphan_counted) {
		xs->orphan_counted = 0;
		atomic_dec(&xtcp_net(sock_net(sk))->orphans);
	}
	xtcp_demux_unbind(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	xtcp_ofo_purge(sk);
	xtcp_write_queue_purge(sk);
}

/* like tcp_done(): the connection is over, whatever the reason */
void xtcp_done(struct sock *sk)
{
	xtcp_set_state(sk, TCP_CLOSE);
	xtcp_timer_clear(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_state_change(sk);
	else
		xtcp_destroy(sk);
}

/* an acceptable RST arrived (RFC 9293 3.10.7.4, second check) */
void xtcp_reset(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		sk->sk_err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		/* the peer had said goodbye; writing on now is the error */
		sk->sk_err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		sk->sk_err = ECONNRESET;
	}
	/* sk_err must be visible before the state says closed */
	smp_wmb();
	xtcp_write_queue_purge(sk);
	xtcp_done(sk);
	if (!sock_flag(sk, SOCK_DEAD))
		sk_error_report(sk);
}

/* local abort: link removal, listener teardown, disconnect() */
void xtcp_abort(struct sock *sk, int err)
{
	bool listener = sk->sk_state == TCP_LISTEN;

	if (sk->sk_state == TCP_CLOSE)
		return;
	if (listener) {
		xtcp_listen_stop(sk);
	} else {
		if ((1 << sk->sk_state) &
		    (TCPF_ESTABLISHED | TCPF_SYN_RECV | TCPF_FIN_WAIT1 |
		     TCPF_FIN_WAIT2 | TCPF_CLOSE_WAIT | TCPF_CLOSING |
		     TCPF_LAST_ACK))
			xtcp_send_active_reset(sk, GFP_ATOMIC,
					       XTCP_MIB_RSTABORT);
		xtcp_write_queue_purge(sk);
		xtcp_done(sk);
	}
	sk->sk_err = err;
	if (sock_flag(sk, SOCK_DEAD))
		return;
	sk_error_report(sk);
	/*
	 * accept() sleeps exclusively (xtcp_listen_accept()), so the one
	 * wake-up of sk_error_report() releases a single waiter. Wake them
	 * all, each to find the socket no longer listening, as tcp_done()'s
	 * sk_state_change() does after Linux's tcp_abort() of a listener.
	 * (Other states got it from xtcp_done() already.)
	 */
	if (listener)
		sk->sk_state_change(sk);
}

static int xtcp_create(struct net *net, struct socket *sock, int protocol,
		       int kern)
{
	struct sock *sk;

	if (sock->type != SOCK_STREAM)
		return -ESOCKTNOSUPPORT;
	/* 0 and IPPROTO_TCP, so that code ported from AF_INET works */
	if (protocol && protocol != IPPROTO_TCP && protocol != IPPROTO_XTCP)
		return -EPROTONOSUPPORT;

	sk = sk_alloc(net, xtcp_family, GFP_KERNEL, &xtcp_prot, kern);
	if (!sk)
		return -ENOBUFS;
	sock->ops = &xtcp_stream_ops;
	sock->state = SS_UNCONNECTED;
	sock_init_data(sock, sk);
	xtcp_sock_init_tcb(sk);
	return 0;
}

static int xtcp_check_addr(const struct sockaddr *uaddr, int addr_len)
{
	if (addr_len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	if (uaddr->sa_family != AF_INET && uaddr->sa_family != xtcp_family)
		return -EAFNOSUPPORT;
	return 0;
}

static int xtcp_bind(struct socket *sock, struct sockaddr *uaddr,
		     int addr_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	__be32 addr;
	u16 port;
	int err;

	if (addr_len < (int)sizeof(*sin))
		return -EINVAL;
	/* like inet_bind(): AF_UNSPEC with INADDR_ANY is old code's habit */
	if (sin->sin_family != AF_INET && sin->sin_family != xtcp_family &&
	    (sin->sin_family != AF_UNSPEC ||
	     sin->sin_addr.s_addr != htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	addr = sin->sin_addr.s_addr;
	port = ntohs(sin->sin_port);
	/* __inet_bind()'s order: the address first, then the port's owner */
	if (addr != htonl(INADDR_ANY) && !xtcp_link_addr_is_local(net, addr))
		return -EADDRNOTAVAIL;
	if (port && port < READ_ONCE(net->ipv4.sysctl_ip_prot_sock) &&
	    !ns_capable(net->user_ns, CAP_NET_BIND_SERVICE))
		return -EACCES;

	lock_sock(sk);
	err = -EINVAL;
	if (sk->sk_state != TCP_CLOSE || sk->sk_num)
		goto out;
	/*
	 * IP_BIND_ADDRESS_NO_PORT, as inet_bind() has it: bind(addr, 0) only
	 * sets the address, and connect() picks the port later
	 * (xtcp_demux_connect_port()), sharing it with other connect()s
	 * where the 4-tuples differ; a 0.0.0.0 address leaves the socket as
	 * it was. Until then getsockname() says port 0, and bind() may be
	 * called again.
	 */
	if (!port && xtcp_sk(sk)->ip_bind_address_no_port) {
		WRITE_ONCE(sk->sk_rcv_saddr, addr);
		err = 0;
	} else {
		err = xtcp_demux_bind(sk, addr, port);
	}
	if (err)
		goto out;
	if (addr)
		sk->sk_userlocks |= SOCK_BINDADDR_LOCK;
	if (port)
		sk->sk_userlocks |= SOCK_BINDPORT_LOCK;
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
out:
	release_sock(sk);
	return err;
}

/* like tcp_need_reset(): the states whose peer a disconnect must reset */
static bool xtcp_need_reset(int state)
{
	return (1 << state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
			       TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |
			       TCPF_SYN_RECV);
}

/*
 * Forget the last connection of a socket in TCP_CLOSE, so that the next
 * connect() starts as on a fresh socket: no sequence numbers, RTT, RTO,
 * backoff, retry count or congestion state of the old one, nothing queued,
 * no timer. Like the part of tcp_disconnect() after the state change.
 * xtcp_set_state() already took the socket out of the ehash and gave back
 * a port the user did not bind. What the user set stays: buffers,
 * TCP_NODELAY, TCP_MAXSEG, SO_LINGER, a bound address and port.
 */
static void xtcp_sock_forget(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sock_owned_by_me(sk);
	WARN_ON_ONCE(sk->sk_state != TCP_CLOSE);

	xtcp_timer_clear(sk);
	__skb_queue_purge(&sk->sk_receive_queue);
	xtcp_ofo_purge(sk);
	xtcp_write_queue_purge(sk);
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	sk->sk_err_soft = 0;
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		WRITE_ONCE(sk->sk_rcv_saddr, 0);
	sk->sk_daddr = 0;
	sk->sk_dport = 0;

	/* lockless readers: /proc/net/xtcp, SIOCOUTQ, xtcp_inq() */
	WRITE_ONCE(xs->snd_una, 0);
	WRITE_ONCE(xs->snd_nxt, 0);
	WRITE_ONCE(xs->write_seq, 0);
	WRITE_ONCE(xs->snd_wnd, 0);
	xs->snd_wl1 = 0;
	xs->snd_wl2 = 0;
	xs->iss = 0;
	xs->max_window = 0;
	WRITE_ONCE(xs->rcv_nxt, 0);
	WRITE_ONCE(xs->copied_seq, 0);
	xs->rcv_wnd = 0;
	xs->rcv_wup = 0;
	xs->irs = 0;

	xs->mss = XTCP_DEFAULT_MSS;
	xs->advmss = XTCP_DEFAULT_MSS;
	xs->snd_wscale = 0;
	xs->rcv_wscale = 0;
	xs->wscale_ok = 0;
	xs->sack_ok = 0;
	xs->tstamp_ok = 0;
	xs->num_sacks = 0;
	xs->dsack = 0;
	xs->rcv_mss = 0;
	xs->quickack = 0;
	xs->pingpong = 0;
	xs->ack_pending = 0;
	xs->ack_now = 0;
	xs->fin_sent = 0;
	xs->dupacks = 0;

	xs->srtt_us = 0;
	xs->rttvar_us = 0;
	WRITE_ONCE(xs->rto, XTCP_TIMEOUT_INIT);
	xs->backoff = 0;
	WRITE_ONCE(xs->retries, 0);
	WRITE_ONCE(xs->probes, 0);

	xs->recover = 0;
	xtcp_cong_init(sk);
	xtcp_info_reset(sk);
	xtcp_recovery_init(sk);

	/* TCP_FASTOPEN_CONNECT stays; a SYN that never left is forgotten */
	kfree(xs->tfo_req);
	xs->tfo_req = NULL;
	xs->tfo_defer = 0;
}

/*
 * Pick the route, the port and the ISN and enter SYN-SENT; the caller
 * sends the SYN (xtcp_connect_syn(), or Fast Open with its data).
 */
static int xtcp_connect_start(struct sock *sk, struct sockaddr *uaddr,
			      int addr_len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)uaddr;
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct net *net = sock_net(sk);
	__be32 daddr, saddr;
	unsigned int mtu;
	int err;

	err = xtcp_check_addr(uaddr, addr_len);
	if (err)
		return err;
	daddr = sin->sin_addr.s_addr;
	if (ipv4_is_zeronet(daddr) || ipv4_is_multicast(daddr) ||
	    ipv4_is_lbcast(daddr) || !sin->sin_port)
		return -ENETUNREACH;
	/*
	 * Whatever left the socket in TCP_CLOSE, start from a clean TCB;
	 * the connect() error path normally did this already.
	 */
	xtcp_sock_forget(sk);
	saddr = sk->sk_rcv_saddr;
	/* SO_BINDTODEVICE: only that device's link, as ip_route_connect() */
	err = xtcp_link_route_dev(net, READ_ONCE(sk->sk_bound_dev_if), daddr,
				  &saddr, &mtu);
	if (err)
		return err;

	sk->sk_daddr = daddr;
	sk->sk_dport = sin->sin_port;
	if (!sk->sk_rcv_saddr)
		WRITE_ONCE(sk->sk_rcv_saddr, saddr);
	/*
	 * Without a port (unbound, or IP_BIND_ADDRESS_NO_PORT), pick one that
	 * other connect()s may share and hash the 4-tuple in one step, as
	 * __inet_hash_connect() does; with one, only hash the 4-tuple.
	 */
	if (!sk->sk_num)
		err = xtcp_demux_connect_port(sk);
	else
		err = xtcp_demux_hash(sk);
	if (err)
		goto err_addr;

	xs->iss = xtcp_demux_isn(sk->sk_rcv_saddr, daddr, htons(sk->sk_num),
				 sk->sk_dport);
	xs->snd_una = xs->iss;
	xs->snd_nxt = xs->iss;
	xs->write_seq = xs->iss;
	xs->rcv_wscale = xtcp_choose_wscale(sk);
	/* what the SYN offers; the SYN-ACK keeps what the peer shares */
	xs->sack_ok = READ_ONCE(xtcp_sack_enabled);
	xs->tstamp_ok = READ_ONCE(xtcp_timestamps_enabled);
	xs->tsoffset = xtcp_demux_ts_off(sk->sk_rcv_saddr, daddr);
	xtcp_init_mss(sk, mtu, 0);
	sk->sk_err = 0;
	sk->sk_shutdown = 0;
	sock_reset_flag(sk, SOCK_DONE);
	xtcp_set_state(sk, TCP_SYN_SENT);
	XTCP_INC_STATS(net, ACTIVEOPENS);
	return 0;

err_addr:
	if (!(sk->sk_userlocks & SOCK_BINDADDR_LOCK))
		WRITE_ONCE(sk->sk_rcv_saddr, 0);
	sk->sk_daddr = 0;
	sk->sk_dport = 0;
	return err;
}

/*
 * connect() once xtcp_connect_start() succeeded. With TCP_FASTOPEN_CONNECT
 * and a cookie cached for the destination, the SYN waits for the first
 * write, which it will carry (Linux's tcp_fastopen_defer_connect(); the
 * caller returns 0 at once); without a cookie it asks for one. Returns
 * true when the SYN was deferred.
 */
static bool xtcp_connect_syn(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	if (xs->tfo_connect && xtcp_fastopen_enabled(XTCP_FASTOPEN_CLIENT) &&
	    xtcp_fastopen_client_start(sk) > 0) {
		xs->tfo_defer = 1;
		return true;
	}
	xtcp_send_syn(sk);
	return false;
}

static long xtcp_wait_for_connect(struct sock *sk, long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
		if (signal_pending(current) || !timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return timeo;
}

/*
 * Tear a connection down so the socket can be used again, like
 * tcp_disconnect(): connect(AF_UNSPEC), or shutdown() of a listener or of
 * a socket still in SYN-SENT.
 */
static int xtcp_disconnect(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int old = sk->sk_state;

	if (old == TCP_LISTEN) {
		xtcp_listen_stop(sk);
	} else if (old != TCP_CLOSE) {
		/*
		 * As tcp_disconnect(): a RST where the peer still has a
		 * connection it may send on, or where our FIN has not left
		 * yet. From TIME_WAIT, and from CLOSING or LAST_ACK with
		 * the FIN sent, both sides have said goodbye: the peer has
		 * closed or only waits for our ACK, and a RST would tell it
		 * nothing (RFC 9293 3.10.4 ABORT sends none from there).
		 */
		if (xtcp_need_reset(old) ||
		    (xs->snd_nxt != xs->write_seq &&
		     (1 << old) & (TCPF_CLOSING | TCPF_LAST_ACK))) {
			xtcp_send_active_reset(sk, GFP_KERNEL,
					       XTCP_MIB_RSTABORT);
			sk->sk_err = ECONNRESET;
		} else if (old == TCP_SYN_SENT) {
			/*
			 * No RST for a SYN the peer may never have seen, but
			 * the attempt ended: SO_ERROR, and a connect() still
			 * waiting on it, say ECONNRESET, as tcp_disconnect().
			 */
			sk->sk_err = ECONNRESET;
		}
		xtcp_set_state(sk, TCP_CLOSE);
	}
	xtcp_sock_forget(sk);
	sk_error_report(sk);
	return 0;
}

static int __xtcp_connect(struct socket *sock, struct sockaddr *uaddr,
			  int addr_len, int flags)
{
	struct sock *sk = sock->sk;
	long timeo;
	int err;

	if (addr_len < (int)sizeof(uaddr->sa_family))
		return -EINVAL;
	if (uaddr->sa_family == AF_UNSPEC) {
		err = xtcp_disconnect(sk);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		return err;
	}

	switch (sock->state) {
	default:
		return -EINVAL;
	case SS_CONNECTED:
		return -EISCONN;
	case SS_CONNECTING:
		/* as __inet_stream_connect(): the deferred SYN is the write's */
		if (xtcp_sk(sk)->tfo_defer)
			return -EISCONN;
		err = -EALREADY;
		break;
	case SS_UNCONNECTED:
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		err = xtcp_connect_start(sk, uaddr, addr_len);
		if (err)
			return err;
		sock->state = SS_CONNECTING;
		if (xtcp_connect_syn(sk))
			return 0;
		err = -EINPROGRESS;
		break;
	}

	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (!timeo)
			return err;
		timeo = xtcp_wait_for_connect(sk, timeo);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
			if (signal_pending(current))
				return sock_intr_errno(timeo);
			return err;
		}
	}
	/* refused, reset, timed out, or disconnected meanwhile */
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		/*
		 * __inet_stream_connect() disconnects here: a retry on this
		 * socket must not inherit the retry count, backoff, RTO or
		 * congestion state of the attempt that failed.
		 */
		xtcp_sock_forget(sk);
		return err;
	}
	sock->state = SS_CONNECTED;
	return 0;
}

static int xtcp_connect(struct socket *sock, struct sockaddr *uaddr,
			int addr_len, int flags)
{
	int err;

	lock_sock(sock->sk);
	err = __xtcp_connect(sock, uaddr, addr_len, flags);
	release_sock(sock->sk);
	return err;
}

static int xtcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED ||
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;
	/* __sys_listen() already clamped backlog to net.core.somaxconn */
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	err = 0;
	if (sk->sk_state != TCP_LISTEN)
		err = xtcp_listen_start(sk, backlog);
out:
	release_sock(sk);
	return err;
}

static int xtcp_accept(struct socket *sock, struct socket *newsock, int flags,
		       bool kern)
{
	struct sock *child;
	int err;

	child = xtcp_listen_accept(sock->sk, flags, &err);
	if (!child)
		return err;
	lock_sock(child);
	sock_graft(child, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(child);
	return 0;
}

static int xtcp_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	DECLARE_SOCKADDR(struct sockaddr_in *, sin, uaddr);
	struct sock *sk = sock->sk;

	sin->sin_family = AF_INET;
	if (peer) {
		if (!sk->sk_dport ||
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT) &&
		     peer == 1))
			return -ENOTCONN;
		sin->sin_port = sk->sk_dport;
		sin->sin_addr.s_addr = sk->sk_daddr;
	} else {
		sin->sin_port = htons(sk->sk_num);
		sin->sin_addr.s_addr = READ_ONCE(sk->sk_rcv_saddr);
	}
	memset(sin->sin_zero, 0, sizeof(sin->sin_zero));
	return sizeof(*sin);
}

/* bytes the application can read now */
u32 xtcp_inq(const struct sock *sk)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 n = READ_ONCE(xs->rcv_nxt) - READ_ONCE(xs->copied_seq);

	/* the FIN has a sequence number but no byte */
	if (n && sock_flag(sk, SOCK_DONE))
		n--;
	return n;
}

/*
 * TCP_NOTSENT_LOWAT, as tcp_stream_memory_free() (xtcp_prot's
 * stream_memory_free, read by sk_stream_memory_free() and so by
 * xtcp_sendmsg(), and by poll and write_space with wake 1): the socket
 * takes more data only while what is written but not yet sent is below
 * the socket's value, else the notsent_lowat parameter's. Lockless.
 */
bool xtcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	u32 notsent = READ_ONCE(xs->write_seq) - READ_ONCE(xs->snd_nxt);
	u32 lowat = READ_ONCE(xs->notsent_lowat) ? :
		    READ_ONCE(xtcp_notsent_lowat);

	return (notsent << wake) < lowat;
}

/*
 * Readable for poll(), as tcp_stream_is_readable() and
 * tcp_epollin_ready(): target bytes (SO_RCVLOWAT) are waiting, or fewer
 * that will not grow because the receive buffer is nearly full (7/8) or
 * the window we offered has less than a segment left. Lockless.
 */
static bool xtcp_stream_is_readable(const struct sock *sk, int target)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	u32 avail = xtcp_inq(sk);
	s32 win;

	if (!avail)
		return false;
	if (avail >= target)
		return true;
	if (atomic_read(&sk->sk_rmem_alloc) > rcvbuf - (rcvbuf >> 3))
		return true;
	win = READ_ONCE(xs->rcv_wup) + READ_ONCE(xs->rcv_wnd) -
	      READ_ONCE(xs->rcv_nxt);
	return max(win, 0) <= (s32)xtcp_rcv_mss(xs);
}

/* like tcp_poll(): the mask follows the state and both directions */
static __poll_t xtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	int state = inet_sk_state_load(sk);
	u8 shutdown;
	__poll_t mask = 0;

	sock_poll_wait(file, sock, wait);
	if (state == TCP_LISTEN)
		return sk_acceptq_is_full(sk) || READ_ONCE(sk->sk_ack_backlog) ?
		       EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	/* a passive Fast Open child reads and writes in SYN-RECEIVED */
	if (state != TCP_SYN_SENT &&
	    (state != TCP_SYN_RECV || READ_ONCE(xtcp_sk(sk)->tfo_listener))) {
		if (xtcp_stream_is_readable(sk, sock_rcvlowat(sk, 0, INT_MAX)))
			mask |= EPOLLIN | EPOLLRDNORM;
		/* wake 1: writable with the unsent data below half the lowat */
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (__sk_stream_is_writeable(sk, 1)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* re-check after publishing NOSPACE */
				smp_mb__after_atomic();
				if (__sk_stream_is_writeable(sk, 1))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
	} else if (state == TCP_SYN_SENT &&
		   READ_ONCE(xtcp_sk(sk)->tfo_defer)) {
		/* TCP_FASTOPEN_CONNECT: the first write sends the SYN */
		mask |= EPOLLOUT | EPOLLWRNORM;
	}
	/* pairs with smp_wmb() in xtcp_reset() */
	smp_rmb();
	/* as tcp_poll(), a queued error (IP_RECVERR, completions) too */
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

static int xtcp_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int answ;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		answ = xtcp_inq(sk);
		release_sock(sk);
		break;
	/*
	 * As tcp_ioctl(), 0 in the SYN states: the SYN's sequence number
	 * is no byte of the application's (nor is a Fast Open SYN's data
	 * counted there).
	 */
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			answ = 0;
		else
			answ = READ_ONCE(xs->write_seq) -
			       READ_ONCE(xs->snd_una);
		break;
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			answ = 0;
		else
			answ = READ_ONCE(xs->write_seq) -
			       READ_ONCE(xs->snd_nxt);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return put_user(answ, (int __user *)arg);
}

/* RFC 9293 3.10.4 CLOSE: the state our FIN takes us to */
static bool xtcp_close_state(struct sock *sk)
{
	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		xtcp_set_state(sk, TCP_FIN_WAIT1);
		return true;
	case TCP_CLOSE_WAIT:
		xtcp_set_state(sk, TCP_LAST_ACK);
		return true;
	case TCP_SYN_SENT:
		xtcp_done(sk);
		return false;
	default:
		return false;
	}
}

static int xtcp_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	int err = 0;

	/* SHUT_RD..SHUT_RDWR are 0..2; RCV_SHUTDOWN..SHUTDOWN_MASK 1..3 */
	how++;
	if ((how & ~SHUTDOWN_MASK) || !how)
		return -EINVAL;

	lock_sock(sk);
	if (sock->state == SS_CONNECTING) {
		if ((1 << sk->sk_state) &
		    (TCPF_SYN_SENT | TCPF_SYN_RECV | TCPF_CLOSE))
			sock->state = SS_DISCONNECTING;
		else
			sock->state = SS_CONNECTED;
	}
	switch (sk->sk_state) {
	case TCP_CLOSE:
		err = -ENOTCONN;
		fallthrough;
	default:
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | how);
		if ((how & SEND_SHUTDOWN) &&
		    ((1 << sk->sk_state) &
		     (TCPF_ESTABLISHED | TCPF_SYN_RECV | TCPF_CLOSE_WAIT)) &&
		    xtcp_close_state(sk))
			xtcp_send_fin(sk);
		break;
	case TCP_LISTEN:
		if (!(how & RCV_SHUTDOWN))
			break;
		fallthrough;
	case TCP_SYN_SENT:
		err = xtcp_disconnect(sk);
		sock->state = err ? SS_DISCONNECTING : SS_UNCONNECTED;
		break;
	}
	sk->sk_state_change(sk);
	release_sock(sk);
	return err;
}

/* like tcp_close(); timeout is the SO_LINGER time */
static void xtcp_close(struct sock *sk, long timeout)
{
	bool unread = false;
	struct sk_buff *skb;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);
	if (sk->sk_state == TCP_LISTEN) {
		xtcp_listen_stop(sk);
		goto orphan;
	}

	while ((skb = __skb_dequeue(&sk->sk_receive_queue))) {
		unread = true;
		__kfree_skb(skb);
	}
	xtcp_ofo_purge(sk);

	if (sk->sk_state == TCP_CLOSE)
		goto orphan;
	if (unread || (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime)) {
		/*
		 * RFC 2525 2.17: data the application never read is lost,
		 * so say so with a RST; SO_LINGER with a zero time asks for
		 * the same abortive close.
		 */
		xtcp_abort(sk, 0);
	} else if (xtcp_close_state(sk)) {
		xtcp_send_fin(sk);
	}
	sk_stream_wait_close(sk, timeout);

orphan:
	/* the user reference goes below; hold one across the orphaning */
	sock_hold(sk);
	sock_orphan(sk);
	/*
	 * From here on, reaching TCP_CLOSE destroys the socket (xtcp_done()),
	 * also in the backlog that release_sock() is about to process.
	 */
	if (sk->sk_state == TCP_CLOSE) {
		xtcp_destroy(sk);
	} else {
		/*
		 * An orphan lives on: counted until xtcp_destroy(), and
		 * reset at once if that makes too many (tcp_close() checks
		 * after its FIN_WAIT2 step, as here).
		 */
		xtcp_sk(sk)->orphan_counted = 1;
		atomic_inc(&xtcp_net(sock_net(sk))->orphans);
		if (sk->sk_state == TCP_FIN_WAIT2)
			xtcp_timer_fin_wait2(sk);
		if (sk->sk_state != TCP_CLOSE)
			xtcp_timer_orphan_oom(sk, 0);
	}
	release_sock(sk);
	sock_put(sk);
	sock_put(sk);
}

static int xtcp_release(struct socket *sock)
{
	struct sock *sk = sock->sk;
	long timeout = 0;

	if (!sk)
		return 0;
	if (sock_flag(sk, SOCK_LINGER) && !(current->flags & PF_EXITING))
		timeout = sk->sk_lingertime;
	xtcp_close(sk, timeout);
	sock->sk = NULL;
	return 0;
}

static struct sk_buff *xtcp_sendmsg_new_skb(struct sock *sk)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb;

	if (!sk_stream_memory_free(sk))
		return NULL;
	skb = xtcp_alloc_skb(sk, 0, sk->sk_allocation);
	if (!skb)
		return NULL;
	if (!xtcp_buf_wqueue_schedule(sk, skb)) {
		__kfree_skb(skb);
		return NULL;
	}
	XTCP_SKB_CB(skb)->seq = xs->write_seq;
	XTCP_SKB_CB(skb)->end_seq = xs->write_seq;
	XTCP_SKB_CB(skb)->flags = XTCP_FLAG_ACK;
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	if (!xs->send_head)
		xs->send_head = skb;
	return skb;
}

/*
 * Append user data to the unsent tail skb, or to a new one, in page
 * fragments. Returns the bytes copied, -EAGAIN when out of buffer.
 */
static int xtcp_sendmsg_copy(struct sock *sk, struct msghdr *msg,
			     unsigned int size_goal)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
	struct page_frag *pfrag = sk_page_frag(sk);
	int copy, i, err;
	bool merge;

	if (!xs->send_head || !skb || skb->len >= size_goal ||
	    (XTCP_SKB_CB(skb)->flags & (XTCP_FLAG_SYN | XTCP_FLAG_FIN)))
		skb = NULL;
	if (!sk_page_frag_refill(sk, pfrag))
		return -EAGAIN;
	if (skb) {
		i = skb_shinfo(skb)->nr_frags;
		merge = skb_can_coalesce(skb, i, pfrag->page, pfrag->offset);
		if (!merge && i >= MAX_SKB_FRAGS)
			skb = NULL;
	}
	if (!skb) {
		skb = xtcp_sendmsg_new_skb(sk);
		if (!skb)
			return -EAGAIN;
		i = 0;
		merge = false;
	}

	copy = min_t(int, size_goal - skb->len, msg_data_left(msg));
	copy = min_t(int, copy, pfrag->size - pfrag->offset);
	/* skb_copy_to_page_nocache() charges what this schedules */
	copy = xtcp_buf_wmem_schedule(sk, copy);
	if (!copy) {
		/* a new skb left empty goes (tcp_remove_empty_skb()) */
		if (!skb->len) {
			if (xs->send_head == skb)
				xs->send_head = NULL;
			__skb_unlink(skb, &sk->sk_write_queue);
			xtcp_buf_wqueue_free(sk, skb);
		}
		return -EAGAIN;
	}
	err = skb_copy_to_page_nocache(sk, &msg->msg_iter, skb, pfrag->page,
				       pfrag->offset, copy);
	if (err)
		return err;
	if (merge) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
	} else {
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
		page_ref_inc(pfrag->page);
	}
	pfrag->offset += copy;
	XTCP_SKB_CB(skb)->end_seq += copy;
	xs->write_seq += copy;
	return copy;
}

/*
 * The SYN of a Fast Open client (RFC 7413 3), like tcp_sendmsg_fastopen():
 * sendto(MSG_FASTOPEN) on an unconnected socket connects, and a socket
 * whose TCP_FASTOPEN_CONNECT connect() deferred its SYN sends it now. With
 * a cookie cached, the SYN carries it and up to one segment of the
 * message, less room for options (*copied says how much); without, it asks
 * for a cookie and the data waits for the handshake. Then, as connect()
 * would, it waits for the handshake unless MSG_DONTWAIT: -EINPROGRESS,
 * which the caller turns into *copied when the SYN took data.
 */
static int xtcp_sendmsg_fastopen(struct sock *sk, struct msghdr *msg,
				 int *copied)
{
	struct sockaddr *uaddr = msg->msg_name;
	struct socket *sock = sk->sk_socket;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int err, n, space;
	long timeo;

	if (xs->tfo_defer) {
		xs->tfo_defer = 0;
	} else {
		if (!xtcp_fastopen_enabled(XTCP_FASTOPEN_CLIENT) ||
		    (uaddr && msg->msg_namelen >= (int)sizeof(uaddr->sa_family) &&
		     uaddr->sa_family == AF_UNSPEC))
			return -EOPNOTSUPP;
		if (xs->tfo_req)
			return -EALREADY;
		switch (sock->state) {
		case SS_CONNECTED:
			return -EISCONN;
		case SS_CONNECTING:
			return -EALREADY;
		case SS_UNCONNECTED:
			break;
		default:
			return -EINVAL;
		}
		if (sk->sk_state != TCP_CLOSE)
			return -EISCONN;
		if (!uaddr)
			return -EINVAL;	/* what tcp_v4_connect() says */
		err = xtcp_connect_start(sk, uaddr, msg->msg_namelen);
		if (err)
			return err;
		sock->state = SS_CONNECTING;
		if (xtcp_fastopen_client_start(sk) < 0) {
			xtcp_send_syn(sk);
			goto wait;
		}
	}

	if (!xs->tfo_req || xs->tfo_req->len <= 0) {
		xtcp_send_syn(sk);
		goto wait;
	}
	xtcp_queue_syn(sk, sk->sk_allocation | __GFP_NOFAIL);
	/* one segment whatever MSS the server announces, as Linux */
	space = max_t(int, xs->advmss - XTCP_MAX_OPT_LEN, XTCP_MIN_MSS);
	while (msg_data_left(msg) && *copied < space) {
		n = xtcp_sendmsg_copy(sk, msg, space);
		if (n <= 0)
			break;
		*copied += n;
	}
	/* a SYN that could not carry them leaves them for after it */
	xtcp_mark_push(sk);
	xtcp_send_syn_data(sk);

wait:
	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV)) {
		if (!timeo)
			return -EINPROGRESS;
		timeo = xtcp_wait_for_connect(sk, timeo);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			return signal_pending(current) ?
			       sock_intr_errno(timeo) : -EINPROGRESS;
	}
	if (sk->sk_state == TCP_CLOSE) {
		err = sock_error(sk) ? : -ECONNABORTED;
		sock->state = SS_UNCONNECTED;
		xtcp_sock_forget(sk);
		return err;
	}
	sock->state = SS_CONNECTED;
	return 0;
}

static int xtcp_sendmsg(struct socket *sock, struct msghdr *msg, size_t size)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int flags = msg->msg_flags;
	unsigned int size_goal;
	int copied = 0, err;
	long timeo;

	/*
	 * Urgent data (RFC 9293 3.8.5) is not implemented: refuse it rather
	 * than send it in-band, with what Linux says for a stream socket
	 * without urgent data (unix_stream_sendmsg(), MPTCP).
	 */
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	if (unlikely((flags & MSG_FASTOPEN) || xs->tfo_defer)) {
		err = xtcp_sendmsg_fastopen(sk, msg, &copied);
		if (err == -EINPROGRESS && copied > 0)
			goto out;
		if (err)
			goto out_err;
	}
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	/* a passive Fast Open child may send in SYN-RECEIVED (RFC 7413 4.2.2) */
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    !(sk->sk_state == TCP_SYN_RECV && xs->tfo_listener)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto do_error;
	}
	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto do_error;

	size_goal = xtcp_size_goal(sk);
	while (msg_data_left(msg)) {
		int n = xtcp_sendmsg_copy(sk, msg, size_goal);

		if (n > 0) {
			copied += n;
			/*
			 * A full skb goes now, unless it is the write's last:
			 * that one gets PSH first (tcp_sendmsg_locked() too).
			 */
			if (msg_data_left(msg) &&
			    skb_peek_tail(&sk->sk_write_queue)->len >= size_goal)
				xtcp_write_xmit(sk, XTCP_NAGLE_ON);
			continue;
		}
		if (n != -EAGAIN) {
			err = n;
			goto do_error;
		}
		/* out of buffer: send what we have, then wait for ACKs */
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		if (copied) {
			/* the peer may wait for this much: push it */
			xtcp_mark_push(sk);
			xtcp_push(sk, flags & ~MSG_MORE);
		}
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto do_error;
		if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN)) {
			err = -EPIPE;
			goto do_error;
		}
		size_goal = xtcp_size_goal(sk);
	}
	/* RFC 9293 3.9.1.2: PSH ends each write, unless more is coming */
	if (!(flags & MSG_MORE))
		xtcp_mark_push(sk);
	xtcp_push(sk, flags);
out:
	release_sock(sk);
	return copied;

do_error:
	if (copied) {
		if (!(flags & MSG_MORE))
			xtcp_mark_push(sk);
		xtcp_push(sk, flags);
		release_sock(sk);
		return copied;
	}
out_err:
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/*
 * After the application read, announce a window that opened a lot (like
 * tcp_cleanup_rbuf()): at least doubled, so that a sender stalled on a
 * small window need not wait for its probe timer. xtcp_window_offer()
 * applies receiver SWS avoidance, so this never announces a sliver.
 */
static void xtcp_cleanup_rbuf(struct sock *sk, int copied)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	s32 open = xs->rcv_wup + xs->rcv_wnd - xs->rcv_nxt;
	u32 now = max(open, 0);
	u32 clamp = 65535U << xs->rcv_wscale;

	if (copied <= 0 || (sk->sk_shutdown & RCV_SHUTDOWN) ||
	    !((1 << sk->sk_state) &
	      (TCPF_ESTABLISHED | TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2)))
		return;
	if (xs->ack_pending && xs->rcv_nxt - xs->rcv_wup > xs->advmss) {
		xtcp_send_ack(sk);
		return;
	}
	if (2 * now <= clamp) {
		u32 offer = xtcp_window_offer(sk);

		if (offer && offer >= 2 * now)
			xtcp_send_ack(sk);
	}
}

/*
 * TCP_INQ, as tcp_recvmsg() and tcp_inq_hint(): after a read, the bytes
 * still waiting in msg_inq (for io_uring, which asks with msg_get_inq),
 * and as a TCP_CM_INQ cmsg if the option is on. Like Linux it counts
 * RCV.NXT - copied_seq, the peer's FIN included, and says 1 after the
 * FIN so that the application reads on and sees the end.
 */
static void xtcp_recvmsg_inq(struct sock *sk, struct msghdr *msg, bool cmsg)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);
	int inq = READ_ONCE(xs->rcv_nxt) - READ_ONCE(xs->copied_seq);

	if (inq <= 0) {
		inq = 0;
		if (sock_flag(sk, SOCK_DONE))
			inq = 1;
	}
	msg->msg_inq = inq;
	if (cmsg)
		put_cmsg(msg, SOL_TCP, TCP_CM_INQ, sizeof(msg->msg_inq),
			 &msg->msg_inq);
}

static int xtcp_recvmsg(struct socket *sock, struct msghdr *msg, size_t len,
			int flags)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	struct sk_buff *tskb = NULL;
	u32 peek_seq, *seq;
	int copied = 0, target, err;
	bool inq_cmsg = false, want_ts;
	long timeo;

	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	if (flags & MSG_OOB)
		return -EINVAL;

	lock_sock(sk);
	err = -ENOTCONN;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	inq_cmsg = xs->recvmsg_inq;
	if (inq_cmsg)
		msg->msg_get_inq = 1;
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	seq = &xs->copied_seq;
	if (flags & MSG_PEEK) {
		peek_seq = xs->copied_seq;
		seq = &peek_seq;
	}
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	/*
	 * SO_TIMESTAMP(NS) and SO_TIMESTAMPING's software receive stamp, as
	 * tcp_recv_timestamp(): the time of the last skb read from, kept
	 * until the read ends (xtcp_queue_rcv() gives a coalesced skb the
	 * newest arrival's time, as tcp_try_coalesce())
	 */
	want_ts = sock_flag(sk, SOCK_RCVTSTAMP) ||
		  (READ_ONCE(sk->sk_tsflags) & SOF_TIMESTAMPING_SOFTWARE);

	while (copied < (int)len) {
		struct sk_buff *skb, *last = skb_peek_tail(&sk->sk_receive_queue);
		u32 offset, used;

		skb_queue_walk(&sk->sk_receive_queue, skb) {
			offset = *seq - XTCP_SKB_CB(skb)->seq;
			if (offset < skb->len)
				goto found;
		}

		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				/* never connected: Linux says ENOTCONN */
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		xtcp_cleanup_rbuf(sk, copied);
		if (copied >= target) {
			/* let the backlog in before going on */
			release_sock(sk);
			lock_sock(sk);
		} else {
			sk_wait_data(sk, &timeo, last);
		}
		continue;

found:
		used = min_t(u32, skb->len - offset, len - copied);
		/* MSG_TRUNC: the bytes are consumed, not copied (Linux too) */
		if (!(flags & MSG_TRUNC) &&
		    skb_copy_datagram_msg(skb, offset, msg, used)) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		*seq += used;
		copied += used;
		if (want_ts && skb->tstamp) {
			/*
			 * A clone, not a reference: the last reference to a
			 * queued skb uncharges sk_forward_alloc (sock_rfree()),
			 * which only the lock holder may touch, and tskb is
			 * freed after release_sock().
			 */
			kfree_skb(tskb);
			tskb = skb_clone(skb, sk->sk_allocation);
		}
		if (!(flags & MSG_PEEK) && offset + used == skb->len) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
	}
	/* receive buffer autotuning measures what the application takes */
	if (copied > 0 && !(flags & MSG_PEEK))
		xtcp_buf_rcv_adjust(sk);
	xtcp_cleanup_rbuf(sk, copied);
	err = copied;
out:
	release_sock(sk);
	if (tskb) {
		if (err > 0)
			__sock_recv_timestamp(msg, sk, tskb);
		kfree_skb(tskb);
	}
	if (err >= 0 && msg->msg_get_inq)
		xtcp_recvmsg_inq(sk, msg, inq_cmsg);
	return err;
}

/*
 * SO_RCVLOWAT, as tcp_set_rcvlowat() (the socket core calls it with the
 * socket lock held): at most half of what the receive buffer may grow to,
 * so that the window can always admit that much; and, unless SO_RCVBUF
 * fixed the buffer, the buffer grows to twice the value at once. A
 * lowered value may make the socket readable now: wake the readers.
 */
static int xtcp_set_rcvlowat(struct sock *sk, int val)
{
	int cap;

	sock_owned_by_me(sk);
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		cap = READ_ONCE(sk->sk_rcvbuf) >> 1;
	else
		cap = xtcp_buf_rmem(XTCP_BUF_MAX) >> 1;
	val = min(val, cap);
	WRITE_ONCE(sk->sk_rcvlowat, val ? : 1);
	if (xtcp_inq(sk) >= (u32)sk->sk_rcvlowat ||
	    sock_flag(sk, SOCK_DONE))
		sk->sk_data_ready(sk);
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		return 0;
	if (2 * val > READ_ONCE(sk->sk_rcvbuf))
		WRITE_ONCE(sk->sk_rcvbuf, 2 * val);
	return 0;
}

/*
 * TCP_QUICKACK, as __tcp_sock_set_quickack(): 0 enters pingpong mode (our
 * ACKs wait, to ride on replies); non-zero leaves it and sends an ACK we
 * owe now, then an even value goes back to pingpong, so that only this
 * ACK was quick. Not sticky either way: the stack moves in and out of
 * pingpong mode on its own (input.c, timer.c), as Linux's does.
 */
static void xtcp_set_quickack(struct sock *sk, int val)
{
	struct xtcp_sock *xs = xtcp_sk(sk);

	sock_owned_by_me(sk);
	if (!val) {
		xs->pingpong = 1;
		return;
	}
	xs->pingpong = 0;
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    xs->ack_pending) {
		xtcp_send_ack(sk);
		if (!(val & 1))
			xs->pingpong = 1;
	}
}

/*
 * SOL_TCP options of the data path, with do_tcp_setsockopt()'s checks:
 *	TCP_NOTSENT_LOWAT	any value, unsigned; 0: the notsent_lowat
 *				parameter (xtcp_stream_memory_free())
 *	TCP_INQ			0 or 1, else EINVAL
 *	TCP_QUICKACK		any value (xtcp_set_quickack())
 *	TCP_WINDOW_CLAMP	output.c xtcp_output_set_window_clamp()
 */
int xtcp_sock_io_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			    unsigned int optlen)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val, err = 0;

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;
	lock_sock(sk);
	switch (optname) {
	case TCP_NOTSENT_LOWAT:
		WRITE_ONCE(xs->notsent_lowat, val);
		/* a larger value may make the socket writable now */
		sk->sk_write_space(sk);
		break;
	case TCP_INQ:
		if (val < 0 || val > 1)
			err = -EINVAL;
		else
			xs->recvmsg_inq = val;
		break;
	case TCP_QUICKACK:
		xtcp_set_quickack(sk, val);
		break;
	case TCP_WINDOW_CLAMP:
		err = xtcp_output_set_window_clamp(sk, val);
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sk);
	return err;
}

/* what do_tcp_getsockopt() reads back for them; lockless */
int xtcp_sock_io_getsockopt(struct sock *sk, int optname)
{
	const struct xtcp_sock *xs = xtcp_sk(sk);

	switch (optname) {
	case TCP_NOTSENT_LOWAT:
		return READ_ONCE(xs->notsent_lowat);
	case TCP_INQ:
		return READ_ONCE(xs->recvmsg_inq);
	case TCP_QUICKACK:
		return !READ_ONCE(xs->pingpong);
	case TCP_WINDOW_CLAMP:
		return READ_ONCE(xs->window_clamp);
	}
	return 0;
}

/*
 * The socket layer dispatches on net_proto_family.family, set from the
 * module parameter below; proto_ops.family is informational only.
 */
static const struct proto_ops xtcp_stream_ops = {
	.family		= PF_XTCP,
	.owner		= THIS_MODULE,
	.release	= xtcp_release,
	.bind		= xtcp_bind,
	.connect	= xtcp_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= xtcp_accept,
	.getname	= xtcp_getname,
	.poll		= xtcp_poll,
	.ioctl		= xtcp_ioctl,
	.listen		= xtcp_listen,
	.shutdown	= xtcp_shutdown,
	.setsockopt	= xtcp_setsockopt,
	.getsockopt	= xtcp_getsockopt,
	.sendmsg	= xtcp_sendmsg,
	.recvmsg	= xtcp_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
	.set_rcvlowat	= xtcp_set_rcvlowat,
};

static struct net_proto_family xtcp_family_ops = {
	.family	= PF_XTCP,
	.create	= xtcp_create,
	.owner	= THIS_MODULE,
};

int xtcp_sock_register(void)
{
	int err;

	xtcp_family_ops.family = xtcp_family;
	err = sock_register(&xtcp_family_ops);
	if (err == -EEXIST)
		pr_err("address family %u is taken; load with family=N to pick a free one\n",
		       xtcp_family);
	return err;
}

void xtcp_sock_unregister(void)
{
	sock_unregister(xtcp_family);
}
