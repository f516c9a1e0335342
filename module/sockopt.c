// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at SOL_TCP, SOL_IP and SOL_XTCP. SOL_SOCKET never reaches
 * us: the socket core's sock_setsockopt() handles SO_REUSEADDR,
 * SO_RCVBUF, SO_LINGER, SO_BINDTODEVICE, SO_MARK, SO_PRIORITY and the
 * rest on struct sock, which XTCP reads where they matter. It refuses
 * SO_REUSEPORT for our family: SOL_XTCP's XTCP_REUSEPORT stands in
 * (xtcp_setsockopt_xtcp()).
 *
 * The allow-lists below are explicit: an option XTCP does not implement
 * gets ENOPROTOOPT, never a silent success.
 *
 * TCP_CORK, as do_tcp_setsockopt(): an int, any non-zero value is on
 * (reads back 1); output.c xtcp_output_set_cork() holds and releases.
 * TCP_NODELAY turned on sends what is queued, corked or not.
 *
 * TCP_SYNCNT, as do_tcp_setsockopt(): 1 to 127 SYN retransmissions
 * before connect() gives up with ETIMEDOUT (EINVAL otherwise); reads
 * back the default, XTCP_SYN_RETRIES like tcp_syn_retries, until set.
 * Accepted children keep it, as inet_csk_clone_lock() copies it.
 *
 * TCP_CONGESTION (cong.c), as do_tcp_setsockopt()/do_tcp_getsockopt():
 * set takes a name of up to 15 bytes (EINVAL for optlen 0, ENOENT for a
 * name no algorithm has; every algorithm is allowed to every user); get
 * copies the name NUL-padded to 16 bytes, cut to optlen, and sets optlen
 * to what it copied. In any state; accepted children keep a listener's
 * choice (xtcp_cong_init_child()).
 *
 * TCP Fast Open (fastopen.c), with do_tcp_setsockopt()'s checks and errno:
 *	TCP_FASTOPEN		a listener's queue length (>= 0, clamped to
 *				net.core.somaxconn), before or after listen()
 *	TCP_FASTOPEN_CONNECT	0 or 1, in CLOSE; EOPNOTSUPP with the client
 *				side of the fastopen parameter off
 *	TCP_FASTOPEN_KEY	16 or 32 bytes (primary, backup); read back
 *				as the socket's keys, else the global one
 * TCP_FASTOPEN_NO_COOKIE is not implemented (ENOPROTOOPT).
 *
 * TCP_DEFER_ACCEPT (listen.c), as Linux: seconds, kept as a count of
 * SYN-ACK timeouts and read back rounded up to their sum; a listener
 * makes no child of a bare handshake ACK until the client sends data or
 * that many timeouts have passed.
 *
 * SOL_IP, with do_ip_setsockopt()'s validation, errno and int-or-char
 * optval, for the options programs commonly set on TCP sockets:
 *	IP_TOS			the TOS byte of every packet the socket
 *				sends (data, ACKs, its RSTs; a listener's
 *				SYN-ACKs); the ECN bits stay the stack's, as
 *				__ip_sock_set_tos() keeps them for TCP
 *	IP_TTL			1..255, or -1 for net.ipv4.ip_default_ttl
 *	IP_MTU_DISCOVER		DO and WANT (the default) send DF, the others
 *				do not, as ip_dont_fragment() says for TCP.
 *				Stored and answered only otherwise: XTCP does
 *				no path MTU discovery yet (icmp.c drops the
 *				errors), so there is nothing to probe
 *	IP_RECVERR		stored and answered, no effect yet: XTCP
 *				queues no ICMP errors to sk_error_queue
 *	IP_FREEBIND		stored and answered, no effect: bind()
 *	IP_TRANSPARENT		still wants the address of an attached link
 *				(EADDRNOTAVAIL), as Linux does without them.
 *				A link has one address and sends only from
 *				it (link.c finds the link by the source
 *				address), and RX takes only what is sent
 *				to it: a socket on any other address could
 *				neither send nor receive. IP_TRANSPARENT
 *				turned on wants CAP_NET_RAW or CAP_NET_ADMIN
 *				(EPERM), as in Linux
 *	IP_LOCAL_PORT_RANGE	the socket's own ephemeral range, u32 lo |
 *				hi << 16, 0 for an end the netns's
 *				ip_local_port_range gives; used where it
 *				lies inside that range, as
 *				inet_sk_get_local_port_range() (demux.c)
 *	IP_BIND_ADDRESS_NO_PORT	bind() with port 0 sets only the address,
 *				and connect() picks the port, which it may
 *				share with other connect()s (sock.c
 *				xtcp_bind(), demux.c), as inet_bind() does
 * All are inherited by accepted children (xtcp_output_init_child()), as
 * inet_csk_clone_lock() copies inet_sock. Other SOL_IP options get
 * ENOPROTOOPT; the socket-API issue lists them.
 */
#include <linux/ip.h>
#include <linux/tcp.h>
#include <net/inet_ecn.h>
#include <net/route.h>
#include "xtcp.h"

static int xtcp_setsockopt_int(sockptr_t optval, unsigned int optlen,
			       int *val)
{
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(val, optval, sizeof(*val)))
		return -EFAULT;
	return 0;
}

/*
 * do_ip_setsockopt()'s reading of optval: an int, or a single byte when
 * optlen is shorter; optlen 0 reads as 0.
 */
static int xtcp_ip_optval(sockptr_t optval, unsigned int optlen, int *val)
{
	unsigned char ucval;

	*val = 0;
	if (optlen >= sizeof(int))
		return copy_from_sockptr(val, optval, sizeof(*val)) ?
		       -EFAULT : 0;
	if (optlen >= sizeof(char)) {
		if (copy_from_sockptr(&ucval, optval, sizeof(ucval)))
			return -EFAULT;
		*val = ucval;
	}
	return 0;
}

static int xtcp_setsockopt_ip(struct sock *sk, int optname,
			      sockptr_t optval, unsigned int optlen)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val, err;

	switch (optname) {
	case IP_TOS:
	case IP_TTL:
	case IP_MTU_DISCOVER:
	case IP_RECVERR:
	case IP_FREEBIND:
	case IP_BIND_ADDRESS_NO_PORT:
	case IP_TRANSPARENT:
	case IP_LOCAL_PORT_RANGE:
		break;
	default:
		return -ENOPROTOOPT;
	}
	err = xtcp_ip_optval(optval, optlen, &val);
	if (err)
		return err;

	/* Linux's checks, before the lock as far as they need no state */
	switch (optname) {
	case IP_TTL:
		if (optlen < 1 || (val != -1 && (val < 1 || val > 255)))
			return -EINVAL;
		break;
	case IP_MTU_DISCOVER:
		if (val < IP_PMTUDISC_DONT || val > IP_PMTUDISC_OMIT)
			return -EINVAL;
		break;
	case IP_FREEBIND:
		if (optlen < 1)
			return -EINVAL;
		break;
	case IP_TRANSPARENT:
		/* do_ip_setsockopt(): the capability first, then optlen */
		if (val && !ns_capable(sock_net(sk)->user_ns, CAP_NET_RAW) &&
		    !ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN))
			return -EPERM;
		if (optlen < 1)
			return -EINVAL;
		break;
	case IP_LOCAL_PORT_RANGE:
		/* lo in the low 16 bits, hi above; 0 leaves that end be */
		if (optlen != sizeof(u32) ||
		    ((u16)val && (u16)(val >> 16) &&
		     (u16)val > (u16)(val >> 16)))
			return -EINVAL;
		break;
	}

	lock_sock(sk);
	switch (optname) {
	case IP_TOS:
		/* the ECN field is the stack's (RFC 3168 6.1.1) */
		val = (val & ~INET_ECN_MASK) | (xs->ip_tos & INET_ECN_MASK);
		WRITE_ONCE(xs->ip_tos, val);
		WRITE_ONCE(sk->sk_priority, rt_tos2priority(val));
		break;
	case IP_TTL:
		WRITE_ONCE(xs->ip_ttl, val == -1 ? 0 : val);
		break;
	case IP_MTU_DISCOVER:
		WRITE_ONCE(xs->ip_pmtudisc, val);
		xs->ip_pmtudisc_set = 1;
		break;
	case IP_RECVERR:
		xs->ip_recverr = !!val;
		if (!val)
			skb_queue_purge(&sk->sk_error_queue);
		break;
	case IP_FREEBIND:
		xs->ip_freebind = !!val;
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		xs->ip_bind_address_no_port = !!val;
		break;
	case IP_TRANSPARENT:
		xs->ip_transparent = !!val;
		break;
	case IP_LOCAL_PORT_RANGE:
		WRITE_ONCE(xs->port_range, (u32)val);
		break;
	}
	release_sock(sk);
	return 0;
}

/*
 * SOL_XTCP: what XTCP must offer under a level of its own.
 *
 * XTCP_REUSEPORT is SO_REUSEPORT: Linux 6.1's socket core refuses
 * setsockopt(SOL_SOCKET, SO_REUSEPORT) for a family other than AF_INET
 * and AF_INET6 (sk_setsockopt(), sk_is_inet()) with EOPNOTSUPP, and
 * answers SOL_SOCKET without asking the protocol (only MPTCP's sockets
 * get to see it, sock_use_custom_sol_socket()). The flag is the same
 * sk_reuseport, so getsockopt(SOL_SOCKET, SO_REUSEPORT) reads it back, and
 * tools/xtcp-run turns a program's SO_REUSEPORT into this option.
 */
static int xtcp_setsockopt_xtcp(struct sock *sk, int optname,
				sockptr_t optval, unsigned int optlen)
{
	int val, err;

	switch (optname) {
	case XTCP_REUSEPORT:
		/* sk_setsockopt()'s reading: an int, any non-zero is on */
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		lock_sock(sk);
		sk->sk_reuseport = !!val;
		release_sock(sk);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int xtcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val, err;

	if (level == SOL_XTCP)
		return xtcp_setsockopt_xtcp(sk, optname, optval, optlen);
	if (level == SOL_IP)
		return xtcp_setsockopt_ip(sk, optname, optval, optlen);
	if (level != SOL_TCP)
		return -ENOPROTOOPT;

	switch (optname) {
	case TCP_NODELAY:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		lock_sock(sk);
		xs->nodelay = !!val;
		/* like Linux, turning Nagle off sends what it held back */
		if (val && (1 << sk->sk_state) &
			   (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT))
			xtcp_output_push_queued(sk);
		release_sock(sk);
		return 0;
	case TCP_MAXSEG:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		/*
		 * RFC 9293 3.7.1 floor; 0 means "the route decides". The
		 * ceiling is Linux's, MAX_TCP_WINDOW.
		 */
		if (val && (val < XTCP_MIN_MSS || val > XTCP_MAX_USER_MSS))
			return -EINVAL;
		lock_sock(sk);
		xs->user_mss = val;
		release_sock(sk);
		return 0;
	case TCP_SYNCNT:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		if (val < 1 || val > XTCP_MAX_SYNCNT)
			return -EINVAL;
		lock_sock(sk);
		xs->syn_retries = val;
		release_sock(sk);
		return 0;
	case TCP_FASTOPEN_KEY:
		return xtcp_fastopen_set_key(sk, optval, optlen);
	case TCP_FASTOPEN:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		lock_sock(sk);
		err = -EINVAL;
		if (val >= 0 &&
		    (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) {
			/* fastopen_queue_tune() */
			xs->tfo_qlen = min_t(unsigned int, val,
					     READ_ONCE(sock_net(sk)->core.sysctl_somaxconn));
			err = 0;
		}
		release_sock(sk);
		return err;
	case TCP_CONGESTION: {
		char name[XTCP_CA_NAME_MAX];
		long n;

		/* do_tcp_setsockopt(): up to 15 bytes, or to a NUL */
		if (optlen < 1)
			return -EINVAL;
		n = strncpy_from_sockptr(name, optval,
					 min_t(long, XTCP_CA_NAME_MAX - 1,
					       optlen));
		if (n < 0)
			return -EFAULT;
		name[n] = 0;
		lock_sock(sk);
		err = xtcp_cong_set(sk, name);
		release_sock(sk);
		return err;
	}
	case TCP_FASTOPEN_CONNECT:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		if (val > 1 || val < 0)
			return -EINVAL;
		if (!xtcp_fastopen_enabled(XTCP_FASTOPEN_CLIENT))
			return -EOPNOTSUPP;
		lock_sock(sk);
		err = -EINVAL;
		if (sk->sk_state == TCP_CLOSE) {
			xs->tfo_connect = val;
			err = 0;
		}
		release_sock(sk);
		return err;
	case TCP_CORK:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		lock_sock(sk);
		xtcp_output_set_cork(sk, val);
		release_sock(sk);
		return 0;
	/* keepalive, user timeout, orphan timeout: timer.c */
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_USER_TIMEOUT:
	case TCP_LINGER2:
		return xtcp_timer_setsockopt(sk, optname, optval, optlen);
	case TCP_DEFER_ACCEPT:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		lock_sock(sk);
		xtcp_listen_set_defer(sk, val);
		release_sock(sk);
		return 0;
	/* data path options: sock.c */
	case TCP_NOTSENT_LOWAT:
	case TCP_INQ:
	case TCP_QUICKACK:
	case TCP_WINDOW_CLAMP:
		return xtcp_sock_io_setsockopt(sk, optname, optval, optlen);
	default:
		return -ENOPROTOOPT;
	}
}

/*
 * do_ip_getsockopt(): a value 0..255 asked for with less than an int
 * comes back as one byte.
 */
static int xtcp_getsockopt_ip(struct sock *sk, int optname,
			      char __user *optval, int __user *optlen)
{
	struct xtcp_sock *xs = xtcp_sk(sk);
	unsigned char ucval;
	int len, val;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	lock_sock(sk);
	switch (optname) {
	case IP_TOS:
		val = xs->ip_tos;
		break;
	case IP_TTL:
		val = xs->ip_ttl ? :
		      READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_default_ttl);
		break;
	case IP_MTU_DISCOVER:
		val = xs->ip_pmtudisc_set ? xs->ip_pmtudisc : IP_PMTUDISC_WANT;
		break;
	case IP_RECVERR:
		val = xs->ip_recverr;
		break;
	case IP_FREEBIND:
		val = xs->ip_freebind;
		break;
	case IP_BIND_ADDRESS_NO_PORT:
		val = xs->ip_bind_address_no_port;
		break;
	case IP_TRANSPARENT:
		val = xs->ip_transparent;
		break;
	case IP_LOCAL_PORT_RANGE:
		val = xs->port_range;
		break;
	default:
		release_sock(sk);
		return -ENOPROTOOPT;
	}
	release_sock(sk);

	if (len < sizeof(int) && len > 0 && val >= 0 && val <= 255) {
		ucval = val;
		len = 1;
		if (put_user(len, optlen) ||
		    copy_to_user(optval, &ucval, 1))
			return -EFAULT;
		return 0;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

int xtcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int len, val;

	if (level == SOL_IP)
		return xtcp_getsockopt_ip(sk, optname, optval, optlen);
	if (level != SOL_TCP && level != SOL_XTCP)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (level == SOL_XTCP) {
		if (optname != XTCP_REUSEPORT)
			return -ENOPROTOOPT;
		val = sk->sk_reuseport;
		goto out;
	}

	switch (optname) {
	case TCP_NODELAY:
		val = xs->nodelay;
		break;
	case TCP_SYNCNT:
		val = READ_ONCE(xs->syn_retries) ? : XTCP_SYN_RETRIES;
		break;
	case TCP_FASTOPEN:
		val = READ_ONCE(xs->tfo_qlen);
		break;
	case TCP_FASTOPEN_CONNECT:
		val = READ_ONCE(xs->tfo_connect);
		break;
	case TCP_FASTOPEN_KEY:
		return xtcp_fastopen_get_key(sk, optval, optlen);
	case TCP_CONGESTION: {
		char name[XTCP_CA_NAME_MAX] = {};

		/*
		 * do_tcp_getsockopt(): the name's buffer, NUL-padded to
		 * TCP_CA_NAME_MAX, cut to optlen, which says what was copied
		 */
		len = min_t(unsigned int, len, XTCP_CA_NAME_MAX);
		lock_sock(sk);
		strscpy(name, xs->cong->name, sizeof(name));
		release_sock(sk);
		if (put_user(len, optlen) || copy_to_user(optval, name, len))
			return -EFAULT;
		return 0;
	}
	case TCP_INFO:
		return xtcp_info_getsockopt(sk, optval, optlen);
	case TCP_MAXSEG:
		val = (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN) ?
		      (xs->user_mss ? : XTCP_DEFAULT_MSS) : xs->mss;
		break;
	case TCP_CORK:
		val = READ_ONCE(xs->corked);
		break;
	/* keepalive, user timeout, orphan timeout: timer.c */
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
	case TCP_USER_TIMEOUT:
	case TCP_LINGER2:
		val = xtcp_timer_getsockopt(sk, optname);
		break;
	case TCP_DEFER_ACCEPT:
		val = xtcp_listen_get_defer(sk);
		break;
	/* data path options: sock.c */
	case TCP_NOTSENT_LOWAT:
	case TCP_INQ:
	case TCP_QUICKACK:
	case TCP_WINDOW_CLAMP:
		val = xtcp_sock_io_getsockopt(sk, optname);
		break;
	default:
		return -ENOPROTOOPT;
	}
out:
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
