// SPDX-License-Identifier: GPL-2.0
/*
 * Removing an address must not make RTNL wait for a process that owns a
 * socket on it (issue 15, item 1). RTNL is one mutex for the whole system:
 * if link removal sleeps in lock_sock() under it, any user who can keep a
 * socket owned (a recv() into memory whose page fault blocks) stalls every
 * `ip` command in every netns.
 *
 * Each test:
 *  - connects a client in ns[0] to a native server in ns[1] and has the
 *    server send a little data, so that the client's recv() copies at once;
 *  - lets a thread recv() into a page registered with userfaultfd, missing:
 *    the copy faults while the thread owns the socket (lock_sock() in the
 *    recvmsg path), and the thread sleeps there until we resolve the fault;
 *  - removes the client's address while the socket is owned, in the
 *    variant's way;
 *  - asks for a link dump over rtnetlink from ns[1] (what `ip link show`
 *    does; dumps run under RTNL) and expects the answer within 1 s;
 *  - resolves the fault in every case, whether the dump answered or not,
 *    so that a kernel that holds RTNL fails the test instead of hanging it.
 *
 * Variants:
 *  xtcp_link_del   `xtcpctl link del` (generic netlink): the connection is
 *                  aborted once the owner lets go, the blocked recv() still
 *                  returns its data, the next one ECONNABORTED, and the
 *                  native peer gets the RST, since the link keeps routing
 *                  until its sockets are aborted;
 *  xtcp_readd      as xtcp_link_del, then the link is added again (same
 *                  device and address) while the old socket is still
 *                  owned, and a new connection is made on it: the old
 *                  link's pending aborts must neither refuse the new link
 *                  nor touch the new connection;
 *  xtcp_unregister deleting the veth pair (NETDEV_UNREGISTER, which runs
 *                  under RTNL): aborted the same way, no RST (no device);
 *  tcp_addr_del    the reference: a Linux TCP client owned the same way,
 *                  its address deleted (RTM_DELADDR). RTNL answers too;
 *                  Linux leaves the connection alone when an address goes,
 *                  so it stays ESTABLISHED.
 *
 * Deterministic: the fault is observed (userfaultfd message) before the
 * removal starts, and the socket stays owned until we resolve it. The only
 * timing assumption is that an RTNL dump of two devices and the removal
 * itself take less than their deadlines (scaled by XTCP_TIMEOUT_SCALE).
 * Skips if the kernel has no userfaultfd (CONFIG_USERFAULTFD).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <linux/userfaultfd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <libmnl/libmnl.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"

#define PORT		5310
#define DATA_LEN	1000
#define RTNL_MS		1000	/* the dump must answer within this */
#define REMOVE_MS	2000	/* and the removal return within this */

enum removal {
	REMOVE_XTCP_LINK,	/* xtcpctl link del dev veth0 */
	REMOVE_DEVICE,		/* ip link del veth0 */
	REMOVE_ADDR,		/* ip addr del 192.0.2.1/24 dev veth0 */
};

/* a thread's outcome, published with done */
struct job {
	pthread_t tid;
	bool started;
	atomic_bool done;
	long long start_ms;
	long long end_ms;
	long ret;
	int err;
};

FIXTURE(rtnl)
{
	struct xtcp_test_net net;
	bool skip;
	int uffd;
	void *area;
	size_t page;
	int c, s, l;
	int c2, s2;			/* xtcp_readd: the new connection */
	struct mnl_socket *probe;	/* NETLINK_ROUTE in ns[1] */
	unsigned int ifindex0;		/* veth0 in ns[0] */
	struct job reader, remover, dump;
};

FIXTURE_VARIANT(rtnl)
{
	bool xtcp;		/* the client is XTCP, else Linux TCP */
	enum removal how;
	bool readd;		/* link add again while the socket is owned */
};

FIXTURE_VARIANT_ADD(rtnl, xtcp_link_del)
{
	.xtcp = true,
	.how = REMOVE_XTCP_LINK,
};

FIXTURE_VARIANT_ADD(rtnl, xtcp_readd)
{
	.xtcp = true,
	.how = REMOVE_XTCP_LINK,
	.readd = true,
};

FIXTURE_VARIANT_ADD(rtnl, xtcp_unregister)
{
	.xtcp = true,
	.how = REMOVE_DEVICE,
};

FIXTURE_VARIANT_ADD(rtnl, tcp_addr_del)
{
	.xtcp = false,
	.how = REMOVE_ADDR,
};

static struct mnl_socket *nl_open_in(const char *ns)
{
	struct mnl_socket *nl;

	if (xtcp_test_ns_enter(ns))
		return NULL;
	nl = mnl_socket_open(NETLINK_ROUTE);
	xtcp_test_ns_leave();
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/*
 * Sends a request (NLM_F_DUMP or NLM_F_ACK) and reads until the dump ends
 * or the ACK comes: 0, or -1 with errno.
 */
static int nl_run(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	static atomic_uint seq;
	char buf[32768];	/* a dump skb is as big as the reads */
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST;
	nlh->nlmsg_seq = atomic_fetch_add(&seq, 1) + 1;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid,
				 NULL, NULL);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

/* ip link show: a dump, which rtnetlink runs under RTNL */
static void *dump_thread(void *arg)
{
	FIXTURE_DATA(rtnl) *self = arg;
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	self->dump.ret = nl_run(self->probe, nlh);
	self->dump.err = errno;
	self->dump.end_ms = xtcp_test_now_ms();
	atomic_store(&self->dump.done, true);
	return NULL;
}

/* RTM_DELLINK or RTM_DELADDR for veth0 in ns[0] */
static int rtnl_remove(FIXTURE_DATA(rtnl) *self, enum removal how)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct mnl_socket *nl = nl_open_in(self->net.ns[0]);
	struct in_addr addr;
	int ret, err;

	if (!nl)
		return -1;
	if (how == REMOVE_DEVICE) {
		struct ifinfomsg *ifm;

		nlh->nlmsg_type = RTM_DELLINK;
		ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
		ifm->ifi_family = AF_UNSPEC;
		ifm->ifi_index = (int)self->ifindex0;
	} else {
		struct ifaddrmsg *ifa;

		nlh->nlmsg_type = RTM_DELADDR;
		ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = 24;
		ifa->ifa_index = self->ifindex0;
		inet_pton(AF_INET, XTCP_TEST_ADDR0, &addr);
		mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	}
	nlh->nlmsg_flags = NLM_F_ACK;
	ret = nl_run(nl, nlh);
	err = errno;
	mnl_socket_close(nl);
	errno = err;
	return ret;
}

static void *remover_thread(void *arg)
{
	FIXTURE_DATA(rtnl) *self = arg;
	enum removal how = (enum removal)self->remover.ret;

	if (how == REMOVE_XTCP_LINK)
		self->remover.ret = xtcp_test_detach(self->net.ns[0], "veth0");
	else
		self->remover.ret = rtnl_remove(self, how);
	self->remover.err = errno;
	self->remover.end_ms = xtcp_test_now_ms();
	atomic_store(&self->remover.done, true);
	return NULL;
}

/* recv() into the userfaultfd page: owns the socket across the fault */
static void *reader_thread(void *arg)
{
	FIXTURE_DATA(rtnl) *self = arg;

	self->reader.ret = recv(self->c, self->area, self->page, 0);
	self->reader.err = errno;
	self->reader.end_ms = xtcp_test_now_ms();
	atomic_store(&self->reader.done, true);
	return NULL;
}

static int start(struct job *job, void *(*fn)(void *), void *self)
{
	atomic_store(&job->done, false);
	job->start_ms = xtcp_test_now_ms();
	if (pthread_create(&job->tid, NULL, fn, self))
		return -1;
	job->started = true;
	return 0;
}

/* waits up to ms (scaled) for job; true if it finished */
static bool wait_job(struct job *job, int ms)
{
	long long end = xtcp_test_now_ms() +
			(long long)ms * xtcp_test_timeout_scale();

	while (!atomic_load(&job->done) && xtcp_test_now_ms() < end)
		xtcp_test_msleep(5);
	return atomic_load(&job->done);
}

static void join(struct job *job)
{
	if (job->started)
		pthread_join(job->tid, NULL);
	job->started = false;
}

/* Maps the page at the faulting address: the reader's copy goes on. */
static int resolve_fault(FIXTURE_DATA(rtnl) *self)
{
	struct uffdio_copy copy = { 0 };
	static char zero[1 << 16];

	copy.dst = (unsigned long)self->area;
	copy.src = (unsigned long)zero;
	copy.len = self->page;
	if (ioctl(self->uffd, UFFDIO_COPY, &copy) && errno != EEXIST)
		return -1;
	return 0;
}

/* A page whose first touch blocks until resolve_fault(); NULL to skip. */
static const char *uffd_setup(FIXTURE_DATA(rtnl) *self)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };

	self->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		return "no userfaultfd (CONFIG_USERFAULTFD)";
	if (ioctl(self->uffd, UFFDIO_API, &api))
		return "UFFDIO_API refused";
	self->area = mmap(NULL, self->page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->area == MAP_FAILED) {
		self->area = NULL;
		return "mmap failed";
	}
	reg.range.start = (unsigned long)self->area;
	reg.range.len = self->page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		return "UFFDIO_REGISTER refused";
	return NULL;
}

FIXTURE_SETUP(rtnl)
{
	const char *why = variant->xtcp ? xtcp_test_unavailable() : NULL;

	memset(&self->reader, 0, sizeof(self->reader));
	memset(&self->remover, 0, sizeof(self->remover));
	memset(&self->dump, 0, sizeof(self->dump));
	self->skip = false;
	self->uffd = -1;
	self->area = NULL;
	self->page = (size_t)sysconf(_SC_PAGESIZE);
	self->c = self->s = self->l = -1;
	self->c2 = self->s2 = -1;
	self->probe = NULL;
	memset(&self->net, 0, sizeof(self->net));
	if (why) {
		if (xtcp_test_required())
			ASSERT_EQ(NULL, why);
		self->skip = true;
		SKIP(return, "%s", why);
	}
	why = uffd_setup(self);
	if (why) {
		self->skip = true;
		SKIP(return, "%s", why);
	}
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-rtnl",
					 variant->xtcp, false));
	ASSERT_EQ(0, xtcp_test_ns_enter(self->net.ns[0]));
	self->ifindex0 = if_nametoindex("veth0");
	xtcp_test_ns_leave();
	ASSERT_NE(0U, self->ifindex0);
	self->probe = nl_open_in(self->net.ns[1]);
	ASSERT_NE(NULL, self->probe);
}

FIXTURE_TEARDOWN(rtnl)
{
	/* never leave a thread blocked behind us */
	if (self->reader.started && !atomic_load(&self->reader.done))
		resolve_fault(self);
	join(&self->reader);
	join(&self->remover);
	join(&self->dump);
	if (self->probe)
		mnl_socket_close(self->probe);
	if (self->c >= 0)
		close(self->c);
	if (self->s >= 0)
		close(self->s);
	if (self->c2 >= 0)
		close(self->c2);
	if (self->s2 >= 0)
		close(self->s2);
	if (self->l >= 0)
		close(self->l);
	if (self->area)
		munmap(self->area, self->page);
	if (self->uffd >= 0)
		close(self->uffd);
	if (!self->skip)
		xtcp_test_net_cleanup(&self->net);
}

/* client c in ns[0] (XTCP or Linux), native server s in ns[1] */
static int connect_pair(FIXTURE_DATA(rtnl) *self, bool xtcp)
{
	struct sockaddr_in sin;
	int one = 1;

	/* kept listening: xtcp_readd connects again */
	self->l = xtcp_test_socket(self->net.ns[1], AF_INET, SOCK_STREAM);
	if (self->l < 0)
		return -1;
	setsockopt(self->l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (bind(self->l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(self->l, 4))
		return -1;
	self->c = xtcp_test_socket(self->net.ns[0], xtcp ? -1 : AF_INET,
				   SOCK_STREAM);
	if (self->c < 0 ||
	    connect(self->c, (struct sockaddr *)&sin, sizeof(sin)))
		return -1;
	self->s = accept(self->l, NULL, NULL);
	return self->s < 0 ? -1 : 0;
}

/*
 * xtcp_readd, with the old socket still owned: link add again and connect
 * a second client, without blocking for long whatever the module does.
 * Returns 0, or the step that failed.
 */
static int readd_connect(FIXTURE_DATA(rtnl) *self)
{
	struct pollfd pfd = { .events = POLLOUT };
	int scale = xtcp_test_timeout_scale();
	socklen_t len = sizeof(int);
	struct sockaddr_in sin;
	int err = -1;

	if (xtcp_test_attach(self->net.ns[0], "veth0",
			     XTCP_TEST_ADDR0 "/24", NULL))
		return 1;
	self->net.attached[0] = true;
	self->c2 = xtcp_test_socket(self->net.ns[0], -1,
				    SOCK_STREAM | SOCK_NONBLOCK);
	if (self->c2 < 0)
		return 2;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (!connect(self->c2, (struct sockaddr *)&sin, sizeof(sin)))
		err = 0;
	else if (errno != EINPROGRESS)
		return 3;
	pfd.fd = self->c2;
	if (err && (poll(&pfd, 1, 5000 * scale) != 1 ||
		    getsockopt(self->c2, SOL_SOCKET, SO_ERROR, &err, &len) ||
		    err))
		return 4;
	pfd.fd = self->l;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000 * scale) != 1)
		return 5;
	self->s2 = accept(self->l, NULL, NULL);
	return self->s2 < 0 ? 6 : 0;
}

TEST_F(rtnl, remove_while_owned)
{
	struct pollfd pfd = { .events = POLLIN };
	struct uffd_msg msg;
	char data[DATA_LEN], buf[16];
	bool dump_in_time, removed_in_time, faulted = false;
	int scale = xtcp_test_timeout_scale();
	int readd = 0;
	uint16_t lport;
	ssize_t n;

	if (self->skip)
		return;
	ASSERT_EQ(0, connect_pair(self, variant->xtcp));
	lport = xtcp_test_local_port(self->c);

	/* queued before recv() starts, so that its copy faults at once */
	memset(data, 'x', sizeof(data));
	ASSERT_EQ(DATA_LEN, send(self->s, data, sizeof(data), 0));
	pfd.fd = self->c;
	ASSERT_EQ(1, poll(&pfd, 1, 5000 * scale));

	ASSERT_EQ(0, start(&self->reader, reader_thread, self));
	/* the fault is reported while the reader owns the socket */
	pfd.fd = self->uffd;
	if (poll(&pfd, 1, 5000 * scale) == 1 &&
	    read(self->uffd, &msg, sizeof(msg)) == sizeof(msg))
		faulted = msg.event == UFFD_EVENT_PAGEFAULT &&
			  msg.arg.pagefault.address - (unsigned long)self->area <
			  self->page;
	ASSERT_TRUE(faulted) {
		resolve_fault(self);
	}

	/* remover.ret carries the removal to the thread */
	self->remover.ret = variant->how;
	ASSERT_EQ(0, start(&self->remover, remover_thread, self)) {
		resolve_fault(self);
	}
	/*
	 * A removal that sleeps on the socket under RTNL never returns here;
	 * go on after the deadline, so that the dump then meets RTNL held.
	 */
	removed_in_time = wait_job(&self->remover, REMOVE_MS);
	ASSERT_EQ(0, start(&self->dump, dump_thread, self)) {
		resolve_fault(self);
	}
	dump_in_time = wait_job(&self->dump, RTNL_MS);
	if (variant->readd && removed_in_time)
		readd = readd_connect(self);

	/* let the reader go in every case, then look at what happened */
	ASSERT_EQ(0, resolve_fault(self));
	ASSERT_TRUE(wait_job(&self->reader, 10000));
	ASSERT_TRUE(wait_job(&self->remover, 10000));
	ASSERT_TRUE(wait_job(&self->dump, 10000));
	join(&self->reader);
	join(&self->remover);
	join(&self->dump);
	/* xtcp_readd attached it again, if it could */
	if (variant->how != REMOVE_ADDR && !variant->readd)
		self->net.attached[0] = false;

	ASSERT_TRUE(removed_in_time)
		TH_LOG("the removal took %lld ms with the socket owned",
		       self->remover.end_ms - self->remover.start_ms);
	ASSERT_TRUE(dump_in_time)
		TH_LOG("RTNL dump from another netns took %lld ms while a socket was owned",
		       self->dump.end_ms - self->dump.start_ms);
	ASSERT_EQ(0, self->remover.ret)
		TH_LOG("removal: %s", strerror(self->remover.err));
	ASSERT_EQ(0, self->dump.ret)
		TH_LOG("dump: %s", strerror(self->dump.err));
	ASSERT_EQ(0, readd)
		TH_LOG("adding the link again and connecting failed at step %d",
		       readd);
	/* the blocked recv() gets the bytes it was copying */
	ASSERT_EQ(DATA_LEN, self->reader.ret)
		TH_LOG("recv: %s", strerror(self->reader.err));

	if (!variant->xtcp) {
		/* Linux keeps a connection whose address went */
		ASSERT_EQ(XTCP_TEST_ESTABLISHED,
			  xtcp_test_sk_state(self->net.ns[0], false, lport,
					     PORT));
		return;
	}
	/* aborted once the owner let go: gone from /proc/net/xtcp */
	ASSERT_EQ(0, xtcp_test_wait_state(self->net.ns[0], true, lport, PORT,
					  0, 5000));
	n = recv(self->c, buf, sizeof(buf), MSG_DONTWAIT);
	ASSERT_EQ(-1, n);
	ASSERT_EQ(ECONNABORTED, errno);
	if (variant->how == REMOVE_XTCP_LINK) {
		/* the link kept routing until its sockets were aborted */
		pfd.fd = self->s;
		ASSERT_EQ(1, poll(&pfd, 1, 5000 * scale));
		ASSERT_EQ(-1, read(self->s, buf, sizeof(buf)));
		ASSERT_EQ(ECONNRESET, errno);
	}
	if (variant->readd) {
		/* the old link's aborts left the new connection alone */
		ASSERT_EQ(XTCP_TEST_ESTABLISHED,
			  xtcp_test_sk_state(self->net.ns[0], true,
					     xtcp_test_local_port(self->c2),
					     PORT));
		ASSERT_EQ(DATA_LEN, send(self->s2, data, sizeof(data), 0));
		pfd.fd = self->c2;
		ASSERT_EQ(1, poll(&pfd, 1, 5000 * scale));
		ASSERT_LT(0, recv(self->c2, data, sizeof(data), 0));
	}
}

XTCP_HARNESS_MAIN
