// SPDX-License-Identifier: GPL-2.0
/*
 * Socket configuration that decides where connections go and how their
 * packets are labelled (issue 18): SO_REUSEPORT, SO_BINDTODEVICE, SO_MARK
 * and SO_PRIORITY, and bind()'s errno. Each check runs with XTCP and
 * native TCP at each end (xtcp_xtcp, xtcp_tcp, tcp_xtcp, and tcp_tcp as
 * the reference that shows Linux behaves as asserted).
 *
 * Client sockets live in ns[0] (192.0.2.1, veth0), servers in ns[1]
 * (192.0.2.2, veth1); the SO_BINDTODEVICE test adds a second pair of
 * links, veth2 198.51.100.1 in ns[0] and veth3 198.51.100.2 in ns[1].
 *
 * Determinism: SO_REUSEPORT spreads connections by a keyed hash of the
 * 4-tuple, so which listener gets which connection is random; the test
 * asserts that each of 4 listeners gets at least one of 200 connections,
 * which fails by chance with a probability below 1e-24.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/xtcp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE	51	/* Debian's 6.1 has it; older libc not */
#endif

#define ADDR2_0		"198.51.100.1"
#define ADDR2_1		"198.51.100.2"

FIXTURE(conf) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(conf);

FIXTURE_SETUP(conf)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-conf", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(conf)
{
	XTCP_PAIR_TEARDOWN(10000);
}

static int cli_socket(FIXTURE_DATA(conf) *self)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				SOCK_STREAM);
}

static int srv_socket(FIXTURE_DATA(conf) *self)
{
	return xtcp_test_socket(self->pair.net.ns[1],
				xtcp_test_sock_family(self->pair.net.xtcp[1]),
				SOCK_STREAM);
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

static int get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, level, name, &val, &len) || len != sizeof(int))
		return -2;
	return val;
}

static int bind_to(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, ip, port);
	return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int connect_to(int fd, const char *ip, uint16_t port)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, ip, port);
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* -1 with errno, else 0: a listener on @port, after @opts set its options */
static int srv_listen(FIXTURE_DATA(conf) *self, const char *ip,
		      uint16_t port, int (*opts)(int fd, void *arg), void *arg)
{
	int fd = srv_socket(self), err;

	if (fd < 0)
		return -1;
	if ((opts && opts(fd, arg)) || bind_to(fd, ip, port) ||
	    listen(fd, 64)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/*
 * SO_REUSEPORT; on an XTCP socket through SOL_XTCP's XTCP_REUSEPORT,
 * since Linux 6.1's socket layer refuses SO_REUSEPORT for other families
 * than AF_INET and AF_INET6 (uapi/linux/xtcp.h)
 */
static int opt_reuseport(int fd, void *arg)
{
	(void)arg;
	if (get_int(fd, SOL_SOCKET, SO_DOMAIN) != AF_INET)
		return set_int(fd, SOL_XTCP, XTCP_REUSEPORT, 1);
	return set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
}

static int opt_bindtodevice(int fd, void *arg)
{
	const char *dev = arg;

	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			  (socklen_t)strlen(dev) + 1);
}

/*
 * One connection from ns[0]: connect, send one byte, half-close, and
 * wait for the server's EOF. 0 when it went through, else the errno.
 */
static int one_conn(FIXTURE_DATA(conf) *self, const char *ip, uint16_t port,
		    const char *dev)
{
	char c = 'x';
	int fd, err = 0;

	fd = cli_socket(self);
	if (fd < 0)
		return errno;
	if (dev && opt_bindtodevice(fd, (void *)dev))
		err = errno;
	else if (connect_to(fd, ip, port))
		err = errno;
	else if (write(fd, &c, 1) != 1 || shutdown(fd, SHUT_WR))
		err = errno ? : EIO;
	else if (read(fd, &c, 1) != 0)
		err = errno ? : EPROTO;
	close(fd);
	return err;
}

/* A connected client socket in ns[0] (bound to @dev if set), or -errno */
static int conn_only(FIXTURE_DATA(conf) *self, const char *ip, uint16_t port,
		     const char *dev)
{
	int fd, err;

	fd = cli_socket(self);
	if (fd < 0)
		return -errno;
	if ((dev && opt_bindtodevice(fd, (void *)dev)) ||
	    connect_to(fd, ip, port)) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/*
 * The server side of one_conn(): take every connection on @lfd, read it
 * to EOF and close it, until @stop becomes readable (its writer closed);
 * then report the number taken on @out and exit. Runs in a process of its
 * own, the harness's asserts unavailable.
 */
static void acceptor(int lfd, int stop, int out)
{
	struct pollfd p[2] = {
		{ .fd = lfd, .events = POLLIN },
		{ .fd = stop, .events = POLLIN },
	};
	int n = 0, fd;
	char buf[64];

	for (;;) {
		if (poll(p, 2, -1) < 0)
			_exit(2);
		if (p[0].revents & POLLIN) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				_exit(3);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
			n++;
			continue;
		}
		if (p[1].revents)
			break;
	}
	if (write(out, &n, sizeof(n)) != sizeof(n))
		_exit(4);
	_exit(0);
}

#define NLISTEN	4

/*
 * Issue 18 item 74: four SO_REUSEPORT listeners on one port, each served
 * by a process of its own, share 200 connections, each taking some; with
 * one of them closed, the other three take the next 100; bind() of the
 * port without SO_REUSEPORT gives EADDRINUSE, and so does a listener of
 * another user (here: one that lacks the option on the listening side).
 */
TEST_F(conf, reuseport_spread)
{
	int lfd[NLISTEN], stop[NLISTEN][2], res[NLISTEN][2], n[NLISTEN];
	pid_t pid[NLISTEN];
	int i, j, fd, err, total, status;
	uint16_t port;

	SKIP_IF_NEEDED();
	port = self->pair.port;
	for (i = 0; i < NLISTEN; i++) {
		lfd[i] = srv_listen(self, "0.0.0.0", port, opt_reuseport,
				    NULL);
		ASSERT_LE(0, lfd[i]) TH_LOG("listener %d: %s", i,
					    strerror(errno));
	}
	/* the flag reads back at SOL_SOCKET whichever way it was set */
	EXPECT_EQ(1, get_int(lfd[0], SOL_SOCKET, SO_REUSEPORT));
	if (self->pair.net.xtcp[1]) {
		/* the socket layer's refusal that SOL_XTCP works around */
		EXPECT_EQ(-1, set_int(lfd[0], SOL_SOCKET, SO_REUSEPORT, 1));
		EXPECT_EQ(EOPNOTSUPP, errno);
	}
	/* without SO_REUSEPORT the port is taken */
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-1, bind_to(fd, "0.0.0.0", port));
	ASSERT_EQ(EADDRINUSE, errno);
	close(fd);
	/* with it, on the exact address too, a bind is allowed */
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, opt_reuseport(fd, NULL));
	ASSERT_EQ(0, bind_to(fd, XTCP_TEST_ADDR1, port));
	close(fd);

	for (i = 0; i < NLISTEN; i++) {
		ASSERT_EQ(0, pipe(stop[i]));
		ASSERT_EQ(0, pipe(res[i]));
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			/* only its own listener and pipe ends stay open */
			for (j = 0; j < i; j++) {
				close(stop[j][1]);
				close(res[j][0]);
			}
			for (j = i + 1; j < NLISTEN; j++)
				close(lfd[j]);
			close(stop[i][1]);
			close(res[i][0]);
			acceptor(lfd[i], stop[i][0], res[i][1]);
		}
		close(stop[i][0]);
		close(res[i][1]);
		/* each listener is its process's alone */
		close(lfd[i]);
	}

	for (i = 0; i < 200; i++) {
		err = one_conn(self, XTCP_TEST_ADDR1, port, NULL);
		ASSERT_EQ(0, err) TH_LOG("connection %d: %s", i,
					 strerror(err));
	}
	/* the first listener closes: its process reports and exits */
	close(stop[0][1]);
	ASSERT_EQ((ssize_t)sizeof(n[0]), read(res[0][0], &n[0], sizeof(n[0])));
	ASSERT_EQ(pid[0], waitpid(pid[0], &status, 0));
	ASSERT_EQ(0, status);
	for (i = 0; i < 100; i++) {
		err = one_conn(self, XTCP_TEST_ADDR1, port, NULL);
		ASSERT_EQ(0, err) TH_LOG("connection %d after close: %s", i,
					 strerror(err));
	}
	total = n[0];
	for (i = 1; i < NLISTEN; i++) {
		close(stop[i][1]);
		ASSERT_EQ((ssize_t)sizeof(n[i]), read(res[i][0], &n[i], sizeof(n[i])));
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		ASSERT_EQ(0, status);
		total += n[i];
	}
	TH_LOG("accepted: %d %d %d %d", n[0], n[1], n[2], n[3]);
	ASSERT_EQ(300, total);
	for (i = 0; i < NLISTEN; i++)
		EXPECT_LT(0, n[i]) TH_LOG("listener %d took none", i);
	for (i = 0; i < NLISTEN; i++)
		close(res[i][0]);
}

/*
 * Listeners without SO_REUSEPORT on one port still clash, and so do a
 * SO_REUSEPORT listener and a plain one, in either order (listen()'s
 * check of inet_csk_listen_start(), bind()'s of inet_csk_get_port()).
 */
TEST_F(conf, reuseport_all_or_none)
{
	int a, b;

	SKIP_IF_NEEDED();
	a = srv_listen(self, "0.0.0.0", self->pair.port, NULL, NULL);
	ASSERT_LE(0, a);
	b = srv_listen(self, "0.0.0.0", self->pair.port, opt_reuseport, NULL);
	ASSERT_EQ(-1, b);
	ASSERT_EQ(EADDRINUSE, errno);
	close(a);

	a = srv_listen(self, XTCP_TEST_ADDR1, self->pair.port, opt_reuseport,
		       NULL);
	ASSERT_LE(0, a);
	b = srv_listen(self, "0.0.0.0", self->pair.port, NULL, NULL);
	ASSERT_EQ(-1, b);
	ASSERT_EQ(EADDRINUSE, errno);
	close(a);
}

/* The second pair of links for the SO_BINDTODEVICE test */
static int links2_setup(FIXTURE_DATA(conf) *self)
{
	static const char * const dev[2] = { "veth2", "veth3" };
	static const char * const cidr[2] = {
		ADDR2_0 "/24", ADDR2_1 "/24"
	};
	struct xtcp_test_net *net = &self->pair.net;
	int i;

	if (xtcp_test_veth(net->ns[0], dev[0], net->ns[1], dev[1]))
		return -1;
	for (i = 0; i < 2; i++) {
		if (net->xtcp[i] ? xtcp_test_attach(net->ns[i], dev[i],
						    cidr[i], NULL) :
				   xtcp_test_native(net->ns[i], dev[i],
						    cidr[i]))
			return -1;
	}
	return 0;
}

static void links2_cleanup(FIXTURE_DATA(conf) *self)
{
	static const char * const dev[2] = { "veth2", "veth3" };
	int i;

	for (i = 0; i < 2; i++)
		if (self->pair.net.xtcp[i])
			xtcp_test_detach(self->pair.net.ns[i], dev[i]);
}

/* accept() within a few seconds, -1 if nothing came */
static int accept_wait(int lfd, int timeout_ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms * xtcp_test_timeout_scale()) != 1)
		return -1;
	return accept(lfd, NULL, NULL);
}

/*
 * Issue 18 item 75: a listener bound to a device takes only the
 * connections that arrive on it; another device's connections to the
 * same port get a RST (ECONNREFUSED). Listeners bound to different
 * devices share a port without any reuse option, and an unbound socket
 * clashes with both. A client bound to a device connects through it,
 * from its address.
 */
TEST_F(conf, bindtodevice)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	uint16_t port;
	int l3, l1, fd, c;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, links2_setup(self));
	port = self->pair.port;

	l3 = srv_listen(self, "0.0.0.0", port, opt_bindtodevice, "veth3");
	ASSERT_LE(0, l3) TH_LOG("listen on veth3: %s", strerror(errno));
	/* arriving on veth1: no listener for it */
	EXPECT_EQ(-ECONNREFUSED, conn_only(self, XTCP_TEST_ADDR1, port, NULL));
	/* arriving on veth3 */
	c = conn_only(self, ADDR2_1, port, NULL);
	ASSERT_LE(0, c) TH_LOG("%s", strerror(-c));
	fd = accept_wait(l3, 2000);
	ASSERT_LE(0, fd);
	close(fd);
	close(c);

	/* another device: no clash */
	l1 = srv_listen(self, "0.0.0.0", port, opt_bindtodevice, "veth1");
	ASSERT_LE(0, l1) TH_LOG("listen on veth1: %s", strerror(errno));
	/* no device, or the same one: clash */
	fd = srv_listen(self, "0.0.0.0", port, NULL, NULL);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EADDRINUSE, errno);
	fd = srv_listen(self, XTCP_TEST_ADDR1, port, opt_bindtodevice,
			"veth3");
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EADDRINUSE, errno);

	/* each takes its own device's connection */
	c = conn_only(self, XTCP_TEST_ADDR1, port, NULL);
	ASSERT_LE(0, c) TH_LOG("%s", strerror(-c));
	fd = accept_wait(l1, 2000);
	ASSERT_LE(0, fd);
	close(fd);
	close(c);
	/* and the veth3 listener saw none of it */
	ASSERT_EQ(0, poll(&(struct pollfd){ .fd = l3, .events = POLLIN }, 1,
			  0));
	close(l3);
	close(l1);

	/*
	 * A client bound to veth2 connects from veth2's address; to
	 * another port, the server's TIME_WAIT entries holding this one.
	 */
	port++;
	l1 = srv_listen(self, "0.0.0.0", port, NULL, NULL);
	ASSERT_LE(0, l1);
	c = conn_only(self, ADDR2_1, port, "veth2");
	ASSERT_LE(0, c) TH_LOG("%s", strerror(-c));
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(inet_addr(ADDR2_0), sin.sin_addr.s_addr);
	fd = accept_wait(l1, 2000);
	ASSERT_LE(0, fd);
	close(fd);
	close(c);
	/*
	 * XTCP only: a destination veth2's link does not reach is
	 * unreachable at once. Linux would take it for one on veth2's link
	 * and try ARP there (ip_route_output_key_hash_rcu()), and the
	 * native ns[1] answers ARP for any of its addresses on any device.
	 */
	if (self->pair.net.xtcp[0])
		EXPECT_EQ(-ENETUNREACH, conn_only(self, XTCP_TEST_ADDR1, port,
						  "veth2"));
	close(l1);
	links2_cleanup(self);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/*
 * An AF_PACKET socket on @dev in @ns keeping only the frames whose skb
 * has @mark and @priority (an eBPF socket filter reading __sk_buff), or
 * every frame if @filter is false. Filter first, then bind, so that no
 * frame slips in unfiltered.
 */
static int capture(const char *ns, const char *dev, bool filter, __u32 mark,
		   __u32 prio)
{
	const struct bpf_insn prog[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_1,
		  .off = offsetof(struct __sk_buff, mark) },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_2,
		  .off = 4, .imm = (__s32)mark },
		{ .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_1,
		  .off = offsetof(struct __sk_buff, priority) },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_2,
		  .off = 2, .imm = (__s32)prio },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = -1 },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct sockaddr_ll sll;
	union bpf_attr attr;
	int fd, pfd, ifindex, err, size = 16 << 20;
	unsigned char mac[6];

	if (xtcp_test_mac(ns, dev, mac, &ifindex))
		return -1;
	fd = xtcp_test_socket(ns, AF_PACKET, SOCK_RAW);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	if (filter) {
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		attr.insns = (uintptr_t)prog;
		attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
		attr.license = (uintptr_t)"GPL";
		pfd = sys_bpf(BPF_PROG_LOAD, &attr);
		if (pfd < 0 || setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &pfd,
					  sizeof(pfd))) {
			err = errno;
			fprintf(stderr, "# BPF filter: %s\n", strerror(err));
			close(fd);
			errno = err;
			return -1;
		}
		close(pfd);
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

struct tally {
	int tcp;	/* outgoing IPv4 TCP frames */
	int synack;
	int rst;
};

/* Counts the outgoing TCP frames queued on capture socket @fd. */
static void tally(int fd, struct tally *t)
{
	unsigned char f[256];
	struct sockaddr_ll sll;
	socklen_t len;
	const struct iphdr *ip;
	const struct tcphdr *th;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	for (;;) {
		len = sizeof(sll);
		n = recvfrom(fd, f, sizeof(f), MSG_DONTWAIT | MSG_TRUNC,
			     (struct sockaddr *)&sll, &len);
		if (n < 0)
			return;
		if (sll.sll_pkttype != PACKET_OUTGOING ||
		    n < (ssize_t)(ETH_HLEN + sizeof(*ip) + sizeof(*th)) ||
		    f[12] != 0x08 || f[13] != 0x00)
			continue;
		ip = (const struct iphdr *)(f + ETH_HLEN);
		if (ip->protocol != IPPROTO_TCP)
			continue;
		th = (const struct tcphdr *)((const unsigned char *)ip +
					     ip->ihl * 4);
		t->tcp++;
		if (th->syn && th->ack)
			t->synack++;
		if (th->rst)
			t->rst++;
	}
}

static int opt_mark_prio(int fd, void *arg)
{
	const int *mp = arg;

	return set_int(fd, SOL_SOCKET, SO_MARK, mp[0]) ||
	       set_int(fd, SOL_SOCKET, SO_PRIORITY, mp[1]);
}

/* read to EOF or error; returns the errno of the end, 0 for EOF */
static int drain(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return n ? errno : 0;
}

/*
 * Issue 18 items 76 and 77: SO_MARK and SO_PRIORITY label every packet a
 * socket sends, as skb->mark and skb->priority: data, ACKs, FIN and RST,
 * and a listener's SYN-ACKs. Its accepted children inherit the mark but
 * not the priority: Linux's sk_clone_lock() sets theirs to 0. Filtered
 * captures on each side's device count the frames with each pair of
 * labels: on the client's, all of them have the client's; on the
 * server's, the SYN-ACKs have the listener's mark and priority, and
 * everything else its mark with priority 0.
 */
TEST_F(conf, mark_priority)
{
	static const int cli_mp[2] = { 0x2b, 6 }, srv_mp[2] = { 0x2a, 5 };
	static char buf[16384];
	const char *ns0 = self->pair.net.ns[0], *ns1 = self->pair.net.ns[1];
	int cap[2][3], l, c, s, i, j;
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	struct tally all, marked, child;
	uint16_t port, cport;
	ssize_t n, got;

	SKIP_IF_NEEDED();
	port = self->pair.port;
	for (i = 0; i < 2; i++) {
		const char *ns = i ? ns1 : ns0;
		const char *dev = i ? "veth1" : "veth0";
		const int *mp = i ? srv_mp : cli_mp;

		cap[i][0] = capture(ns, dev, false, 0, 0);
		ASSERT_LE(0, cap[i][0]);
		cap[i][1] = capture(ns, dev, true, (__u32)mp[0], (__u32)mp[1]);
		if (cap[i][1] < 0 && (errno == EPERM || errno == ENOSYS))
			SKIP(return, "no BPF socket filters here");
		ASSERT_LE(0, cap[i][1]);
		/* the server's children: its mark, priority 0 */
		cap[i][2] = capture(ns, dev, true, (__u32)mp[0], 0);
		ASSERT_LE(0, cap[i][2]);
	}
	l = srv_listen(self, "0.0.0.0", port, opt_mark_prio, (void *)srv_mp);
	ASSERT_LE(0, l);

	/* data both ways, the server closes first */
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, opt_mark_prio(c, (void *)cli_mp));
	ASSERT_EQ(0, connect_to(c, XTCP_TEST_ADDR1, port));
	cport = xtcp_test_local_port(c);
	s = accept_wait(l, 5000);
	ASSERT_LE(0, s);
	memset(buf, 'm', sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), write(c, buf, sizeof(buf)));
	for (got = 0; got < (ssize_t)sizeof(buf); got += n) {
		n = read(s, buf, sizeof(buf) - got);
		ASSERT_LT(0, n);
	}
	ASSERT_EQ(1000, write(s, buf, 1000));
	for (got = 0; got < 1000; got += n) {
		n = read(c, buf, sizeof(buf));
		ASSERT_LT(0, n);
	}
	close(s);
	ASSERT_EQ(0, drain(c));
	close(c);
	/* the client's LAST_ACK ends with the server's last ACK */
	ASSERT_EQ(0, xtcp_test_wait_state(ns0, self->pair.net.xtcp[0], cport,
					  port, 0, 5000));

	/* an abort on each side: a RST from each */
	for (j = 0; j < 2; j++) {
		c = cli_socket(self);
		ASSERT_LE(0, c);
		ASSERT_EQ(0, opt_mark_prio(c, (void *)cli_mp));
		ASSERT_EQ(0, connect_to(c, XTCP_TEST_ADDR1, port));
		s = accept_wait(l, 5000);
		ASSERT_LE(0, s);
		/* j 0: the client aborts; j 1: the server's child does */
		ASSERT_EQ(0, setsockopt(j ? s : c, SOL_SOCKET, SO_LINGER,
					&lin, sizeof(lin)));
		close(j ? s : c);
		EXPECT_EQ(ECONNRESET, drain(j ? c : s));
		close(j ? c : s);
	}
	close(l);

	for (i = 0; i < 2; i++) {
		tally(cap[i][1], &marked);
		tally(cap[i][2], &child);
		tally(cap[i][0], &all);
		TH_LOG("side %d: %d TCP frames (%d SYN-ACK, %d RST), %d with the socket's mark and priority, %d with its mark and priority 0",
		       i, all.tcp, all.synack, all.rst, marked.tcp, child.tcp);
		EXPECT_LT(5, all.tcp);
		EXPECT_EQ(1, all.rst);
		if (!i) {
			EXPECT_EQ(all.tcp, marked.tcp);
			EXPECT_EQ(all.rst, marked.rst);
		} else {
			/* one each, or more if one was resent */
			EXPECT_LE(3, all.synack);
			EXPECT_EQ(all.synack, marked.tcp);
			EXPECT_EQ(all.synack, marked.synack);
			EXPECT_EQ(all.tcp - all.synack, child.tcp);
			EXPECT_EQ(all.rst, child.rst);
		}
		for (j = 0; j < 3; j++)
			close(cap[i][j]);
	}
}

static int opt_defer(int fd, void *arg)
{
	return set_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, *(int *)arg);
}

/* Is @fd readable within @ms (scaled)? */
static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (ms > 0)
		ms *= xtcp_test_timeout_scale();
	return poll(&p, 1, ms) == 1;
}

/*
 * Issue 18 item 64: TCP_DEFER_ACCEPT reads back as the seconds its
 * SYN-ACK timeouts add up to (1, 2, 4... s: secs_to_retrans() and
 * retrans_to_secs() of Linux), 0 and negatives turning it off.
 */
TEST_F(conf, defer_accept_value)
{
	static const int set[] = { 0, -5, 1, 2, 3, 4, 7, 8, 100, 1000 };
	static const int get[] = { 0, 0, 1, 3, 3, 7, 7, 15, 127, 1087 };
	unsigned int i;
	int fd;

	SKIP_IF_NEEDED();
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		ASSERT_EQ(0, opt_defer(fd, (void *)&set[i]));
		EXPECT_EQ(get[i], get_int(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT))
			TH_LOG("set %d", set[i]);
	}
	/* a short optlen */
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, "", 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * TCP_DEFER_ACCEPT on a listener: the client's connect() completes, but
 * accept() has nothing until the client's first data, which the accepted
 * socket then holds. Without data, the deferral ends after its timeouts
 * (1 s for a setting of 1): the listener resends its SYN-ACK, the
 * client's ACK to it makes the connection, and accept() hands it out
 * with nothing to read (tcp_check_req(), syn_ack_recalc()).
 */
TEST_F(conf, defer_accept)
{
	static const int one = 1, five = 5;
	long long t0, dt;
	char buf[16];
	int l, c, s;

	SKIP_IF_NEEDED();
	l = srv_listen(self, "0.0.0.0", self->pair.port, opt_defer,
		       (void *)&five);
	ASSERT_LE(0, l);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect_to(c, XTCP_TEST_ADDR1, self->pair.port));
	/* the handshake's ACK made nothing to accept */
	EXPECT_FALSE(readable(l, 500));
	ASSERT_EQ(5, write(c, "hello", 5));
	ASSERT_TRUE(readable(l, 3000));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_TRUE(readable(s, 3000));
	ASSERT_EQ(5, read(s, buf, sizeof(buf)));
	ASSERT_EQ(0, memcmp(buf, "hello", 5));
	/* children do not inherit it */
	EXPECT_EQ(0, get_int(s, IPPROTO_TCP, TCP_DEFER_ACCEPT));
	close(s);
	close(c);
	close(l);

	/* no data: set up anyway once the deferral is over */
	l = srv_listen(self, "0.0.0.0", self->pair.port + 1, opt_defer,
		       (void *)&one);
	ASSERT_LE(0, l);
	c = cli_socket(self);
	ASSERT_LE(0, c);
	t0 = xtcp_test_now_ms();
	ASSERT_EQ(0, connect_to(c, XTCP_TEST_ADDR1, self->pair.port + 1));
	ASSERT_TRUE(readable(l, 10000));
	dt = xtcp_test_now_ms() - t0;
	TH_LOG("accept() ready after %lld ms", dt);
	/* the first SYN-ACK timeout, 1 s after the SYN */
	EXPECT_LE(900, dt);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	EXPECT_FALSE(readable(s, 0));
	ASSERT_EQ(3, write(c, "abc", 3));
	ASSERT_TRUE(readable(s, 3000));
	ASSERT_EQ(3, read(s, buf, sizeof(buf)));
	close(s);
	close(c);
	close(l);
}

/*
 * Issue 18 item 86: IP_LOCAL_PORT_RANGE narrows the ports connect()
 * picks to the part of the netns's ip_local_port_range it covers, and
 * reads back as set; lo > hi and an optlen other than 4 are EINVAL.
 */
TEST_F(conf, local_port_range)
{
	const uint32_t lo = 40000, hi = 40007, range = lo | hi << 16;
	uint32_t bad = 40010 | 40000 << 16, got;
	socklen_t len = sizeof(got);
	int l, c[4], s, i;
	uint16_t port;

	SKIP_IF_NEEDED();
	l = srv_listen(self, "0.0.0.0", self->pair.port, NULL, NULL);
	ASSERT_LE(0, l);
	for (i = 0; i < 4; i++) {
		c[i] = cli_socket(self);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, setsockopt(c[i], IPPROTO_IP, IP_LOCAL_PORT_RANGE,
					&range, sizeof(range)))
			TH_LOG("%s", strerror(errno));
		ASSERT_EQ(0, getsockopt(c[i], IPPROTO_IP, IP_LOCAL_PORT_RANGE,
					&got, &len));
		EXPECT_EQ(range, got);
		ASSERT_EQ(0, connect_to(c[i], XTCP_TEST_ADDR1,
					self->pair.port));
		port = xtcp_test_local_port(c[i]);
		EXPECT_LE(lo, port);
		EXPECT_GE(hi, port);
		s = accept_wait(l, 3000);
		ASSERT_LE(0, s);
		close(s);
	}
	for (i = 0; i < 4; i++)
		close(c[i]);
	EXPECT_EQ(-1, setsockopt(l, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &bad,
				 sizeof(bad)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, setsockopt(l, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &range,
				 2));
	EXPECT_EQ(EINVAL, errno);
	close(l);
}

/* Drops @caps (CAP_* bit numbers) from this process's effective set. */
static int drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	int i;

	if (syscall(SYS_capget, &h, d))
		return -1;
	for (i = 0; i < n; i++)
		d[caps[i] / 32].effective &= ~(1U << (caps[i] % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/*
 * Runs @fn in a child that lost @caps; returns what @fn returned (an
 * errno, or 0), or -1 if the child failed otherwise.
 */
static int without_caps(const int *caps, int n,
			int (*fn)(FIXTURE_DATA(conf) *self),
			FIXTURE_DATA(conf) *self)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		_exit(drop_caps(caps, n) ? 255 : fn(self));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

static int try_transparent(FIXTURE_DATA(conf) *self)
{
	int fd = srv_socket(self), err = 0;

	if (fd < 0)
		return 254;
	if (set_int(fd, IPPROTO_IP, IP_TRANSPARENT, 1))
		err = errno;
	/* turning it off needs nothing */
	else if (set_int(fd, IPPROTO_IP, IP_TRANSPARENT, 0))
		err = 253;
	if (err == EPERM && set_int(fd, IPPROTO_IP, IP_TRANSPARENT, 0))
		err = 253;
	close(fd);
	return err;
}

/*
 * Issue 18 item 82: IP_TRANSPARENT is stored and read back; turning it
 * on needs CAP_NET_RAW or CAP_NET_ADMIN (EPERM), checked before optlen.
 */
TEST_F(conf, ip_transparent)
{
	static const int caps[] = { CAP_NET_RAW, CAP_NET_ADMIN };
	int fd;

	SKIP_IF_NEEDED();
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, get_int(fd, IPPROTO_IP, IP_TRANSPARENT));
	ASSERT_EQ(0, set_int(fd, IPPROTO_IP, IP_TRANSPARENT, 1))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1, get_int(fd, IPPROTO_IP, IP_TRANSPARENT));
	/* optlen 0 reads as 0: no capability needed, then EINVAL */
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	EXPECT_EQ(0, without_caps(caps, 1, try_transparent, self));
	EXPECT_EQ(EPERM, without_caps(caps, 2, try_transparent, self));
}

/* bind() of port 80 on a non-local, then the local address, unprivileged */
static int try_low_port(FIXTURE_DATA(conf) *self)
{
	int fd = srv_socket(self), err;

	if (fd < 0)
		return 254;
	if (!bind_to(fd, "192.0.2.99", 80))
		return 252;
	/* EACCES first would be the wrong order */
	if (errno != EADDRNOTAVAIL)
		return 251;
	err = bind_to(fd, XTCP_TEST_ADDR1, 80) ? errno : 0;
	close(fd);
	return err;
}

/*
 * Issue 18 items 90-92: bind()'s errno, in __inet_bind()'s order: a short
 * address EINVAL, another family EAFNOSUPPORT (AF_UNSPEC is allowed
 * with INADDR_ANY), a bad pointer EFAULT, an address no link has
 * EADDRNOTAVAIL even for a privileged port without
 * CAP_NET_BIND_SERVICE, and only then EACCES for such a port, unless
 * net.ipv4.ip_unprivileged_port_start is lowered. Nothing is left bound
 * by the failures.
 */
TEST_F(conf, bind_errors)
{
	static const int caps[] = { CAP_NET_BIND_SERVICE };
	const char *path = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, old;

	SKIP_IF_NEEDED();
	fd = srv_socket(self);
	ASSERT_LE(0, fd);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	sin.sin_family = AF_INET6;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	sin.sin_family = AF_UNSPEC;
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, bind(fd, NULL, sizeof(sin)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, bind(fd, (struct sockaddr *)1, sizeof(sin)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)1, sizeof(sin)));
	EXPECT_EQ(EFAULT, errno);
	/* connect(): the same two checks, tcp_v4_connect()'s */
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, self->pair.port);
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	sin.sin_family = AF_INET6;
	EXPECT_EQ(-1, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, NULL, 4));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, NULL, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* none of it left a trace */
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&sin, &len));
	EXPECT_EQ(0, sin.sin_port);
	EXPECT_EQ(0, get_int(fd, IPPROTO_TCP, TCP_NODELAY));
	/* AF_UNSPEC with INADDR_ANY binds, as inet_bind() allows */
	xtcp_test_addr(&sin, "0.0.0.0", self->pair.port);
	sin.sin_family = AF_UNSPEC;
	EXPECT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		TH_LOG("%s", strerror(errno));
	close(fd);

	/* __inet_bind(): EADDRNOTAVAIL first, then EACCES */
	EXPECT_EQ(EACCES, without_caps(caps, 1, try_low_port, self));
	ASSERT_EQ(0, xtcp_test_ns_enter(self->pair.net.ns[1]));
	old = xtcp_test_int_file(path, -1);
	xtcp_test_int_file(path, 80);
	xtcp_test_ns_leave();
	EXPECT_EQ(0, without_caps(caps, 1, try_low_port, self));
	ASSERT_EQ(0, xtcp_test_ns_enter(self->pair.net.ns[1]));
	xtcp_test_int_file(path, old);
	xtcp_test_ns_leave();
}

#define NWAITERS	4
#define NEXCL		100

struct excl_waiter {
	pthread_t th;
	int lfd;
	volatile bool *stop;
	int accepted;	/* connections this thread accepted */
	int woken;	/* epoll_wait() calls that returned the listener */
	int empty;	/* of those, the ones that found nothing to accept */
	int err;
};

/* Waits on its own epoll set with the shared listener, EPOLLEXCLUSIVE */
static void *excl_wait(void *arg)
{
	struct excl_waiter *w = arg;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	char buf[16];
	int ep, fd, n, got;

	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, w->lfd, &ev)) {
		w->err = errno;
		return NULL;
	}
	while (!*w->stop) {
		n = epoll_wait(ep, &ev, 1, 100);
		if (n <= 0)
			continue;
		w->woken++;
		got = 0;
		while ((fd = accept4(w->lfd, NULL, NULL, 0)) >= 0) {
			got++;
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
		}
		if (errno != EAGAIN) {
			w->err = errno;
			break;
		}
		if (!got)
			w->empty++;
		w->accepted += got;
	}
	close(ep);
	return NULL;
}

/*
 * Issue 18 item 28: threads that each wait on a shared listener with
 * EPOLLEXCLUSIVE in an epoll set of their own take every connection, and
 * a connection wakes one of them, not all: with one connection at a time
 * (each completes before the next starts), the wake-ups that found the
 * accept queue empty stay few, where without EPOLLEXCLUSIVE each
 * connection would wake all four (NWAITERS - 1 of them for nothing).
 */
TEST_F(conf, epoll_exclusive)
{
	struct excl_waiter w[NWAITERS];
	volatile bool stop = false;
	int l, i, err, total = 0, woken = 0, empty = 0;

	SKIP_IF_NEEDED();
	l = srv_listen(self, "0.0.0.0", self->pair.port, NULL, NULL);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, fcntl(l, F_SETFL, O_NONBLOCK));
	memset(w, 0, sizeof(w));
	for (i = 0; i < NWAITERS; i++) {
		w[i].lfd = l;
		w[i].stop = &stop;
		ASSERT_EQ(0, pthread_create(&w[i].th, NULL, excl_wait, &w[i]));
	}
	for (i = 0; i < NEXCL; i++) {
		err = one_conn(self, XTCP_TEST_ADDR1, self->pair.port, NULL);
		if (err)
			break;
	}
	stop = true;
	for (i = 0; i < NWAITERS; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].accepted;
		woken += w[i].woken;
		empty += w[i].empty;
		EXPECT_EQ(0, w[i].err) TH_LOG("waiter %d: %s", i,
					      strerror(w[i].err));
	}
	close(l);
	TH_LOG("accepted %d (%d %d %d %d), woken %d, for nothing %d",
	       total, w[0].accepted, w[1].accepted, w[2].accepted,
	       w[3].accepted, woken, empty);
	ASSERT_EQ(0, err) TH_LOG("connection %d: %s", i, strerror(err));
	EXPECT_EQ(NEXCL, total);
	EXPECT_GT(NEXCL / 4, empty);
}

XTCP_HARNESS_MAIN
