/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * XTCP: a TCP implementation of its own behind a socket family of its own.
 *
 * Sockets
 * -------
 *
 *	int fd = socket(AF_XTCP, SOCK_STREAM, 0);
 *
 * The protocol argument may be 0, IPPROTO_TCP or IPPROTO_XTCP. The socket's
 * protocol is IPPROTO_XTCP whichever was passed, and getsockopt(SO_PROTOCOL)
 * answers IPPROTO_XTCP, as an MPTCP socket answers IPPROTO_MPTCP: the socket
 * layer answers SO_PROTOCOL from sk->sk_protocol before XTCP sees the call,
 * and that field must not say IPPROTO_TCP, because the kernel (BPF helpers
 * such as bpf_tcp_sock() above all) takes a stream socket whose protocol is
 * IPPROTO_TCP for a struct tcp_sock, which an XTCP socket is not. Code that
 * checks SO_PROTOCOL == IPPROTO_TCP should accept IPPROTO_XTCP too.
 *
 * Urgent data is not implemented: send(MSG_OOB) fails with EOPNOTSUPP and
 * recv(MSG_OOB) with EINVAL (what TCP says when no urgent data is pending).
 * TCP Fast Open (RFC 7413) works as on Linux: TCP_FASTOPEN on a listener,
 * sendto(MSG_FASTOPEN), TCP_FASTOPEN_CONNECT and TCP_FASTOPEN_KEY. The
 * module parameter "fastopen" plays net.ipv4.tcp_fastopen (1 client, the
 * default; 2 server; 3 both) and "fastopen_key" the global key
 * (tcp_fastopen_key). TCP_FASTOPEN_NO_COOKIE is not implemented.
 *
 * Addresses are struct sockaddr_in. sin_family may be AF_INET or AF_XTCP on
 * the way in; addresses handed back (getsockname, getpeername, accept) say
 * AF_INET so that inet_ntop() and friends work unchanged. Socket options at
 * SOL_TCP (IPPROTO_TCP) use the values of <netinet/tcp.h>.
 *
 * SO_REUSEPORT: Linux 6.1's socket layer refuses
 * setsockopt(SOL_SOCKET, SO_REUSEPORT) with EOPNOTSUPP for any family but
 * AF_INET and AF_INET6, before XTCP sees the call. Set it with
 *
 *	setsockopt(fd, SOL_XTCP, XTCP_REUSEPORT, &one, sizeof(one));
 *
 * instead (tools/xtcp-run does that for the programs it runs);
 * getsockopt(SOL_SOCKET, SO_REUSEPORT) reads it back. Listeners that all
 * set it, as one user, share a port as on Linux.
 *
 * The family number below is the default; the module parameter "family"
 * overrides it and /sys/module/xtcp/parameters/family shows the one in use.
 *
 * Generic netlink
 * ---------------
 *
 * The family is named XTCP_GENL_NAME and works per network namespace.
 * Commands marked (admin) need CAP_NET_ADMIN in the namespace's user
 * namespace.
 *
 * XTCP_CMD_LINK_ADD (admin): attach a device to XTCP
 *	XTCP_A_LINK_IFINDEX: NLA_U32, or
 *	XTCP_A_LINK_IFNAME: NLA_NUL_STRING
 *	XTCP_A_LINK_ADDR: NLA_U32, IPv4 address in network byte order
 *	XTCP_A_LINK_PREFIXLEN: NLA_U8, 0..32
 *	XTCP_A_LINK_GATEWAY: NLA_U32, optional, network byte order
 *
 * XTCP_CMD_LINK_DEL (admin): detach a device; its connections are aborted
 *	XTCP_A_LINK_IFINDEX or XTCP_A_LINK_IFNAME
 *
 * XTCP_CMD_LINK_GET (dump): one message per attached device, carrying
 *	XTCP_A_LINK_IFINDEX, XTCP_A_LINK_IFNAME, XTCP_A_LINK_ADDR,
 *	XTCP_A_LINK_PREFIXLEN, XTCP_A_LINK_GATEWAY (if set),
 *	XTCP_A_LINK_MTU: NLA_U32
 *	XTCP_A_LINK_NEIGHS: NLA_U32, entries in the device's ARP cache
 *
 * XTCP_CMD_STATS_GET: the namespace's counters, in one message
 *	XTCP_A_STATS: NLA_NESTED, holding one XTCP_A_STAT per counter:
 *		XTCP_A_STAT: NLA_NESTED
 *			XTCP_A_STAT_NAME: NLA_NUL_STRING
 *			XTCP_A_STAT_VALUE: NLA_U64
 */
#ifndef _UAPI_LINUX_XTCP_H
#define _UAPI_LINUX_XTCP_H

/*
 * 19 was AF_ECONET, whose last user left the kernel in 3.5; nothing in 6.1
 * registers it and it is below AF_MAX (46).
 */
#define AF_XTCP		19
#define PF_XTCP		AF_XTCP

/*
 * sk_protocol of every XTCP socket, and SO_PROTOCOL's answer (see the top).
 * Above IPPROTO_MAX (263 in 6.1; the values above 255 are the kernel's own,
 * such as IPPROTO_MPTCP 262, and new ones are added just above) and below
 * 65536, since sk_protocol is 16 bits wide. 0x5854 is "XT" in ASCII.
 */
#define IPPROTO_XTCP	0x5854

/* the socket option level of what XTCP offers beyond Linux's names */
#define SOL_XTCP	IPPROTO_XTCP
#define XTCP_REUSEPORT	1	/* int: SO_REUSEPORT, see above */

#define XTCP_GENL_NAME		"xtcp"
#define XTCP_GENL_VERSION	1

enum xtcp_cmd {
	XTCP_CMD_UNSPEC,
	XTCP_CMD_LINK_ADD,
	XTCP_CMD_LINK_DEL,
	XTCP_CMD_LINK_GET,
	XTCP_CMD_STATS_GET,
	__XTCP_CMD_LAST
};
#define XTCP_CMD_MAX (__XTCP_CMD_LAST - 1)

enum xtcp_attr {
	XTCP_A_UNSPEC,
	XTCP_A_LINK_IFINDEX,
	XTCP_A_LINK_IFNAME,
	XTCP_A_LINK_ADDR,
	XTCP_A_LINK_PREFIXLEN,
	XTCP_A_LINK_GATEWAY,
	XTCP_A_LINK_MTU,
	XTCP_A_LINK_NEIGHS,
	XTCP_A_STATS,
	__XTCP_A_LAST
};
#define XTCP_A_MAX (__XTCP_A_LAST - 1)

enum xtcp_stat_attr {
	XTCP_A_STAT_UNSPEC,
	XTCP_A_STAT,
	XTCP_A_STAT_NAME,
	XTCP_A_STAT_VALUE,
	XTCP_A_STAT_PAD,
	__XTCP_A_STAT_LAST
};
#define XTCP_A_STAT_MAX (__XTCP_A_STAT_LAST - 1)

#endif /* _UAPI_LINUX_XTCP_H */
