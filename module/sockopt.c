// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options at SOL_TCP. SOL_SOCKET never reaches us: the socket
 * layer's sock_setsockopt() handles SO_REUSEADDR, SO_RCVBUF, SO_LINGER and
 * the rest on struct sock, which XTCP reads where they matter.
 *
 * The allow-list below is explicit: an option XTCP does not implement
 * gets ENOPROTOOPT, never a silent success. TCP_INFO, TCP_CORK,
 * TCP_KEEP* and TCP_CONGESTION come with the lifecycle issue.
 */
#include <linux/tcp.h>
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

int xtcp_setsockopt(struct socket *sock, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int val, err;

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
			xtcp_push(sk, 0);
		release_sock(sk);
		return 0;
	case TCP_MAXSEG:
		err = xtcp_setsockopt_int(optval, optlen, &val);
		if (err)
			return err;
		/* RFC 9293 3.7.1 floor; 0 means "the route decides" */
		if (val && (val < XTCP_MIN_MSS || val > 65535 - 40))
			return -EINVAL;
		lock_sock(sk);
		xs->user_mss = val;
		release_sock(sk);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int xtcp_getsockopt(struct socket *sock, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	struct sock *sk = sock->sk;
	struct xtcp_sock *xs = xtcp_sk(sk);
	int len, val;

	if (level != SOL_TCP)
		return -ENOPROTOOPT;
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCP_NODELAY:
		val = xs->nodelay;
		break;
	case TCP_MAXSEG:
		val = (1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN) ?
		      (xs->user_mss ? : XTCP_DEFAULT_MSS) : xs->mss;
		break;
	default:
		return -ENOPROTOOPT;
	}
	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}
