// SPDX-License-Identifier: GPL-2.0
/*
 * The life of a link and what hangs on it:
 *  - deleting a link aborts the connections on its address, and the peer
 *    sees a RST;
 *  - unregistering the device does the same;
 *  - a device without a link-layer header (tun, IFF_TUN) carries bare
 *    IPv4 both ways, with no ARP: we read XTCP's SYN from the tun fd,
 *    check its headers and checksums, and answer with a RST;
 *  - a receiver that never reads holds a bounded amount of memory: the
 *    sender runs into EAGAIN and the receiver's queue stays under its
 *    buffer;
 *  - aborting a listener wakes every thread blocked in accept(), and each
 *    gets EINVAL (fixture acceptors: XTCP's link del, and for reference
 *    Linux's own abort of a listener, sock_diag SOCK_DESTROY, which runs
 *    tcp_abort()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <libmnl/libmnl.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"

#define PORT	5300

FIXTURE(link)
{
	struct xtcp_test_net net;
	bool skip;
	int old_msl;
};

FIXTURE_SETUP(link)
{
	const char *why = xtcp_test_unavailable();

	self->skip = false;
	self->old_msl = -1;
	if (why) {
		if (xtcp_test_required())
			ASSERT_EQ(NULL, why);
		self->skip = true;
		SKIP(return, "%s", why);
	}
	self->old_msl = xtcp_test_msl(-1);
	xtcp_test_msl(200);
	/* client side XTCP, server side native Linux TCP */
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-link", true,
					 false));
}

FIXTURE_TEARDOWN(link)
{
	if (self->skip)
		return;
	xtcp_test_net_cleanup(&self->net);
	if (self->old_msl >= 0)
		xtcp_test_msl(self->old_msl);
}

/* an XTCP client in ns[0] connected to a native server in ns[1] */
static int connect_pair(FIXTURE_DATA(link) *self, int *c, int *s)
{
	struct sockaddr_in sin;
	int l, one = 1;

	*c = *s = -1;
	l = xtcp_test_socket(self->net.ns[1], AF_INET, SOCK_STREAM);
	if (l < 0)
		return -1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) || listen(l, 4))
		goto err;
	*c = xtcp_test_socket(self->net.ns[0], -1, SOCK_STREAM);
	if (*c < 0 || connect(*c, (struct sockaddr *)&sin, sizeof(sin)))
		goto err;
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		goto err;
	close(l);
	return 0;
err:
	close(l);
	return -1;
}

static void expect_aborted(struct __test_metadata *_metadata, int c, int s)
{
	struct pollfd pfd = { .fd = s, .events = POLLIN };
	char buf[16];

	/* our side: the connection is gone, with the error link removal sets */
	ASSERT_EQ(-1, read(c, buf, sizeof(buf)));
	ASSERT_EQ(ECONNABORTED, errno);
	/* the native peer got the RST that went out before the link did */
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(-1, read(s, buf, sizeof(buf)));
	ASSERT_EQ(ECONNRESET, errno);
}

TEST_F(link, del_aborts_connections)
{
	int c, s;

	if (self->skip)
		return;
	ASSERT_EQ(0, connect_pair(self, &c, &s));
	ASSERT_EQ(XTCP_TEST_ESTABLISHED,
		  xtcp_test_sk_state(self->net.ns[0], true,
				     xtcp_test_local_port(c), PORT));
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s %s link del dev veth0",
				   self->net.ns[0], xtcp_test_ctl()));
	self->net.attached[0] = false;
	expect_aborted(_metadata, c, s);
	ASSERT_EQ(0, xtcp_test_wait_drained(self->net.ns[0], 5000));
	close(c);
	close(s);
}

TEST_F(link, unregister_aborts_connections)
{
	char buf[16];
	int c, s;

	if (self->skip)
		return;
	ASSERT_EQ(0, connect_pair(self, &c, &s));
	/* deleting one veth end unregisters both */
	ASSERT_EQ(0, xtcp_test_run("ip -n %s link del veth0",
				   self->net.ns[0]));
	self->net.attached[0] = false;
	/* no RST can reach the peer through a deleted pair: just ours */
	ASSERT_EQ(-1, read(c, buf, sizeof(buf)));
	ASSERT_EQ(ECONNABORTED, errno);
	ASSERT_EQ(0, xtcp_test_wait_drained(self->net.ns[0], 5000));
	close(c);
	close(s);
}

TEST_F(link, tun_bare_ipv4)
{
	struct sockaddr_in sin;
	struct ifreq ifr = { 0 };
	unsigned char pkt[2048];
	struct tcphdr *th, *rth;
	struct iphdr *ip, *rip;
	socklen_t len = sizeof(int);
	struct pollfd wait_c = { .events = POLLOUT };
	int tun, c, err = -1;
	ssize_t n;
	size_t tlen;

	if (self->skip)
		return;
	ASSERT_EQ(0, xtcp_test_ns_enter(self->net.ns[0]));
	tun = open("/dev/net/tun", O_RDWR);
	if (tun < 0)
		xtcp_test_ns_leave();
	ASSERT_LE(0, tun) TH_LOG("/dev/net/tun: %s", strerror(errno));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strcpy(ifr.ifr_name, "xtun0");
	ASSERT_EQ(0, ioctl(tun, TUNSETIFF, &ifr));
	xtcp_test_ns_leave();
	ASSERT_EQ(0, xtcp_test_run("ip -n %s link set xtun0 up",
				   self->net.ns[0]));
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s %s link add dev xtun0 addr 203.0.113.1/24",
				   self->net.ns[0], xtcp_test_ctl()));

	c = xtcp_test_socket(self->net.ns[0], -1, SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	xtcp_test_addr(&sin, "203.0.113.2", PORT);
	ASSERT_EQ(-1, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EINPROGRESS, errno);
	wait_c.fd = c;

	/* the SYN comes out as a bare IPv4 packet: no ARP, no link header */
	do {
		struct pollfd pfd = { .fd = tun, .events = POLLIN };

		ASSERT_EQ(1, poll(&pfd, 1, 5000));
		n = read(tun, pkt, sizeof(pkt));
		ASSERT_LT(0, n);
		ip = (struct iphdr *)pkt;
	} while (ip->version != 4 || ip->protocol != IPPROTO_TCP);
	ASSERT_EQ(5, (int)ip->ihl);
	ASSERT_EQ(n, ntohs(ip->tot_len));
	ASSERT_EQ(inet_addr("203.0.113.1"), ip->saddr);
	ASSERT_EQ(inet_addr("203.0.113.2"), ip->daddr);
	ASSERT_EQ(0, xtcp_test_csum_fold(xtcp_test_csum_add(0, ip, 20)));
	th = (struct tcphdr *)(pkt + 20);
	tlen = (size_t)n - 20;
	ASSERT_EQ(PORT, ntohs(th->dest));
	ASSERT_TRUE(th->syn == 1 && th->ack == 0);
	ASSERT_EQ(0, xtcp_test_tcp_csum(ip, th, tlen)) TH_LOG("bad TCP checksum");

	/* answer with RST|ACK: connect() must report ECONNREFUSED */
	memset(pkt + 1024, 0, 40);
	rip = (struct iphdr *)(pkt + 1024);
	rth = (struct tcphdr *)(rip + 1);
	rip->version = 4;
	rip->ihl = 5;
	rip->ttl = 64;
	rip->protocol = IPPROTO_TCP;
	rip->tot_len = htons(40);
	rip->saddr = ip->daddr;
	rip->daddr = ip->saddr;
	rip->check = htons(xtcp_test_csum_fold(xtcp_test_csum_add(0, rip, 20)));
	rth->source = th->dest;
	rth->dest = th->source;
	rth->ack_seq = htonl(ntohl(th->seq) + 1);
	rth->doff = 5;
	rth->rst = 1;
	rth->ack = 1;
	rth->check = htons(xtcp_test_tcp_csum(rip, rth, 20));
	ASSERT_EQ(40, write(tun, rip, 40));
	ASSERT_EQ(1, poll(&wait_c, 1, 5000));
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	ASSERT_EQ(ECONNREFUSED, err);
	close(c);
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s %s link del dev xtun0",
				   self->net.ns[0], xtcp_test_ctl()));
	close(tun);
}

TEST_F(link, slow_reader_bounded)
{
	static char buf[65536];
	long long total = 0;
	int c, s, rcvbuf = 0, sndbuf = 0;
	socklen_t len = sizeof(int);
	ssize_t n;
	int inq = 0;

	if (self->skip)
		return;
	/* XTCP sends, native receives and never reads */
	ASSERT_EQ(0, connect_pair(self, &c, &s));
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	ASSERT_EQ(0, fcntl(c, F_SETFL, O_NONBLOCK));
	for (;;) {
		n = send(c, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0) {
			struct pollfd pfd = { .fd = c, .events = POLLOUT };

			ASSERT_EQ(EAGAIN, errno);
			/* blocked for good once POLLOUT stays off */
			if (poll(&pfd, 1, 1000) == 0)
				break;
			continue;
		}
		total += n;
		ASSERT_LT(total, 4LL * (sndbuf + rcvbuf) + (1 << 20));
	}
	/*
	 * Everything sent sits in our send buffer or the peer's queue, as
	 * big as they are now: the send buffer grows with cwnd, as Linux's
	 * tcp_sndbuf_expand() (issue 17).
	 */
	ASSERT_EQ(0, getsockopt(c, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len));
	ASSERT_LE(total, (long long)sndbuf + 2LL * rcvbuf);
	ASSERT_EQ(0, ioctl(s, FIONREAD, &inq));
	ASSERT_LE(inq, rcvbuf);
	close(c);
	close(s);
	ASSERT_EQ(0, xtcp_test_wait_drained(self->net.ns[0], 5000));
}

/*
 * Four threads in accept() on one listener, which is then aborted. accept()
 * sleeps exclusively, so a wake-up for one waiter releases only one of
 * them: Linux's tcp_abort() wakes them all through tcp_done()'s
 * sk_state_change(), and each returns EINVAL (inet_csk_wait_for_connect()
 * finds the socket no longer listening).
 */
#define ACCEPTORS	4
#define ACCEPT_PORT	5301

struct acceptor {
	pthread_t tid;
	int l;
	pid_t task;
	atomic_bool done;
	int ret;
	int err;
	long long end_ms;
};

FIXTURE(acceptors)
{
	struct xtcp_test_net net;
	struct acceptor a[ACCEPTORS];
	int started;
	bool skip;
	int l;
};

FIXTURE_VARIANT(acceptors)
{
	bool xtcp;	/* XTCP listener, aborted by link del; else Linux's */
};

FIXTURE_VARIANT_ADD(acceptors, xtcp)
{
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(acceptors, tcp_tcp)
{
	.xtcp = false,
};

FIXTURE_SETUP(acceptors)
{
	const char *why = variant->xtcp ? xtcp_test_unavailable() : NULL;

	self->skip = false;
	self->started = 0;
	self->l = -1;
	if (why) {
		if (xtcp_test_required())
			ASSERT_EQ(NULL, why);
		self->skip = true;
		SKIP(return, "%s", why);
	}
	/* XTCP in ns[0], Linux in ns[1]: each variant uses its own side */
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-acc", true,
					 false));
}

FIXTURE_TEARDOWN(acceptors)
{
	int i;

	if (self->skip)
		return;
	/* shutdown() wakes every accept() still waiting, fixed or not */
	if (self->l >= 0)
		shutdown(self->l, SHUT_RDWR);
	for (i = 0; i < self->started; i++)
		pthread_join(self->a[i].tid, NULL);
	if (self->l >= 0)
		close(self->l);
	xtcp_test_net_cleanup(&self->net);
}

static void *acceptor_thread(void *arg)
{
	struct acceptor *a = arg;
	sigset_t set;

	/*
	 * system() blocks SIGCHLD in its own thread only: its child's exit
	 * would then interrupt an accept() here with EINTR.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	a->task = (pid_t)syscall(SYS_gettid);
	a->ret = accept(a->l, NULL, NULL);
	a->err = errno;
	a->end_ms = xtcp_test_now_ms();
	atomic_store(&a->done, true);
	return NULL;
}

/* Is the thread asleep inside accept()? /proc says which syscall. */
static bool in_accept(const struct acceptor *a)
{
	char path[64], line[256], st = 0;
	long nr = -1;
	FILE *f;

	if (!a->task)
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", a->task);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", a->task);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f) && strrchr(line, ')'))
		st = strrchr(line, ')')[2];
	fclose(f);
	return nr == SYS_accept && st == 'S';
}

/*
 * Linux's abort of a socket: sock_diag SOCK_DESTROY, which calls
 * tcp_abort() (needs CONFIG_INET_DIAG_DESTROY). Returns 0, or an errno.
 */
static int tcp_destroy_listener(const char *ns, const char *addr,
				uint16_t port)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	struct mnl_socket *nl;
	unsigned int portid;
	int ret = EIO;
	ssize_t n;

	if (xtcp_test_ns_enter(ns))
		return errno;
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	xtcp_test_ns_leave();
	if (!nl)
		return errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID))
		goto out;
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_type = SOCK_DESTROY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_INET;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0U;
	req->id.idiag_sport = htons(port);
	inet_pton(AF_INET, addr, &req->id.idiag_src[0]);
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		goto out;
	ret = mnl_cb_run(buf, (size_t)n, 1, portid, NULL, NULL) < 0 ?
	      errno : 0;
out:
	mnl_socket_close(nl);
	return ret;
}

TEST_F(acceptors, abort_wakes_all)
{
	const char *ns = self->net.ns[variant->xtcp ? 0 : 1];
	const char *addr = variant->xtcp ? XTCP_TEST_ADDR0 : XTCP_TEST_ADDR1;
	int scale = xtcp_test_timeout_scale();
	struct timeval tv = { .tv_sec = 30 * scale };
	long long start, end;
	struct sockaddr_in sin;
	int i, waiting, err;

	if (self->skip)
		return;
	/* bound to the link's address: link removal spares wildcards */
	self->l = xtcp_test_socket(ns, variant->xtcp ? -1 : AF_INET,
				   SOCK_STREAM);
	ASSERT_LE(0, self->l);
	xtcp_test_addr(&sin, addr, ACCEPT_PORT);
	ASSERT_EQ(0, bind(self->l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(self->l, 8));
	/* a safety net: nothing waits longer than this, fixed or not */
	ASSERT_EQ(0, setsockopt(self->l, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));

	for (i = 0; i < ACCEPTORS; i++) {
		self->a[i].l = self->l;
		ASSERT_EQ(0, pthread_create(&self->a[i].tid, NULL,
					    acceptor_thread, &self->a[i]));
		self->started++;
	}
	/* every thread asleep in accept() before the abort */
	end = xtcp_test_now_ms() + 5000LL * scale;
	do {
		for (waiting = 0, i = 0; i < ACCEPTORS; i++)
			waiting += in_accept(&self->a[i]);
		if (waiting == ACCEPTORS || xtcp_test_now_ms() > end)
			break;
		xtcp_test_msleep(10);
	} while (1);
	ASSERT_EQ(ACCEPTORS, waiting);

	start = xtcp_test_now_ms();
	if (variant->xtcp) {
		ASSERT_EQ(0, xtcp_test_detach(ns, "veth0"));
		self->net.attached[0] = false;
	} else {
		err = tcp_destroy_listener(ns, addr, ACCEPT_PORT);
		if (err == ENOENT) {
			/* tcp_diag is a module on Debian: load it, once */
			xtcp_test_run("modprobe -q tcp_diag");
			err = tcp_destroy_listener(ns, addr, ACCEPT_PORT);
		}
		if (err == ENOENT || err == EOPNOTSUPP) {
			shutdown(self->l, SHUT_RDWR);
			SKIP(return, "no tcp_diag SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY): %s",
			     strerror(err));
		}
		ASSERT_EQ(0, err) TH_LOG("SOCK_DESTROY: %s", strerror(err));
	}

	/* all of them come back, promptly, with EINVAL */
	end = start + 2000LL * scale;
	do {
		for (waiting = 0, i = 0; i < ACCEPTORS; i++)
			waiting += !atomic_load(&self->a[i].done);
		if (!waiting || xtcp_test_now_ms() > end)
			break;
		xtcp_test_msleep(10);
	} while (1);
	ASSERT_EQ(0, waiting)
		TH_LOG("%d of %d accept() calls still waiting %lld ms after the abort",
		       waiting, ACCEPTORS, xtcp_test_now_ms() - start);
	for (i = 0; i < ACCEPTORS; i++) {
		ASSERT_EQ(-1, self->a[i].ret);
		ASSERT_EQ(EINVAL, self->a[i].err);
	}
}

XTCP_HARNESS_MAIN
