// SPDX-License-Identifier: GPL-2.0
/*
 * Taking things away from under XTCP while it works (issue 14, "Unload and
 * removal under load").
 *
 * Fixture load: NCONNS XTCP clients in ns[0] move data both ways with
 * servers in ns[1] (XTCP or native), every connection writing and reading
 * at once through one poll() loop. Once each of them has moved bytes both
 * ways, the client's device goes away, in the variant's way:
 *  link_del_*  `xtcpctl link del dev veth0`: every client gets
 *              ECONNABORTED and every server the RST (ECONNRESET);
 *  dev_del_*   `ip link del veth0`, which unregisters both veth ends:
 *              every XTCP socket on either end gets ECONNABORTED, a native
 *              server nothing (no RST can leave a deleted device; Linux
 *              itself sends none either).
 * Every XTCP socket must end so within a deadline (no hang) and
 * /proc/net/xtcp drain after the close (no leak; kmemleak and the kernel
 * log are the suite's).
 *
 * Fixture nsdel: NCONNS connections moving data, a listener on each side
 * (ns[0]'s with connections nobody accepted yet), then both namespaces
 * are deleted (`ip netns del`) while all of it is open. The connections
 * still work (a namespace lives while sockets hold it); then the process
 * closes everything, half of the clients with SO_LINGER 0 (RST), the rest
 * plainly with data unread. Both namespaces must then really exit: a
 * probe veth from each to a third namespace disappears (its peer is
 * deleted with the dying namespace), and every XTCP socket is freed
 * (/sys/module/xtcp/refcnt back to its value before the test: each
 * socket holds the module). Variants xtcp_xtcp and tcp_tcp, the reference.
 *
 * Fixture unload: delete_module() is refused (EWOULDBLOCK, what
 * rmmod's O_NONBLOCK call gets while the module's refcount is not 0) as
 * long as an XTCP socket exists, listener or connection. Once they are
 * closed and only a TIME_WAIT entry is left (2 MSL = 60 s), it succeeds at
 * once: TIME_WAIT entries hold no module reference and the module's exit
 * destroys them with their netns's XTCP state (xtcp_net_exit()) rather
 * than make rmmod wait up to 2 MSL for them, as Linux destroys TIME_WAIT
 * sockets when a netns exits (inet_twsk_purge()). Then the module is
 * loaded again ($XTCP_KO, else $XTCP_MODULE, else ../module/xtcp.ko) with
 * the family and msl_ms it had, and the links it dropped are not
 * detached again.
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
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define NCONNS		100
#define CHUNK		16384
/* what every connection moves each way before the removal */
#define WARM_BYTES	4096

/* one end of a connection in the poll loop */
struct end {
	int fd;
	bool xtcp;
	bool done;		/* error or EOF seen, no longer polled */
	int err;		/* the first error, -1 for EOF */
	long long rd, wr;
};

struct load {
	struct end e[2 * NCONNS + 16];
	int n;
	char buf[CHUNK];
};

static void end_add(struct load *ld, int fd, bool xtcp)
{
	struct end *e = &ld->e[ld->n++];

	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->xtcp = xtcp;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/*
 * One round: each live end reads what is there and writes a chunk if
 * it can; errors and EOF end it.
 */
static void pump(struct load *ld, int timeout_ms)
{
	struct pollfd pfd[2 * NCONNS + 16];
	int i, map[2 * NCONNS + 16], np = 0;
	ssize_t r;

	for (i = 0; i < ld->n; i++) {
		if (ld->e[i].done)
			continue;
		pfd[np].fd = ld->e[i].fd;
		pfd[np].events = POLLIN | POLLOUT;
		map[np++] = i;
	}
	if (!np || poll(pfd, np, timeout_ms) <= 0)
		return;
	for (i = 0; i < np; i++) {
		struct end *e = &ld->e[map[i]];

		if (pfd[i].revents & (POLLIN | POLLERR | POLLHUP)) {
			r = read(e->fd, ld->buf, sizeof(ld->buf));
			if (r > 0) {
				e->rd += r;
			} else if (r == 0) {
				e->done = true;
				e->err = -1;
				continue;
			} else if (errno != EAGAIN) {
				e->done = true;
				e->err = errno;
				continue;
			}
		}
		if (pfd[i].revents & POLLOUT) {
			r = send(e->fd, ld->buf, sizeof(ld->buf), MSG_NOSIGNAL);
			if (r > 0) {
				e->wr += r;
			} else if (r < 0 && errno != EAGAIN) {
				e->done = true;
				e->err = errno;
			}
		}
	}
}

/* pump until every end moved WARM_BYTES both ways; false at the deadline */
static bool warm_up(struct load *ld, int timeout_ms)
{
	long long end = xtcp_test_now_ms() + timeout_ms;
	int i;

	while (xtcp_test_now_ms() < end) {
		pump(ld, 100);
		for (i = 0; i < ld->n; i++)
			if (ld->e[i].done || ld->e[i].rd < WARM_BYTES ||
			    ld->e[i].wr < WARM_BYTES)
				break;
		if (i == ld->n)
			return true;
	}
	return false;
}

/* the number of ends not done when it ends */
static int pump_until_done(struct load *ld, int from, int to, int timeout_ms)
{
	long long end = xtcp_test_now_ms() + timeout_ms;
	int i, left;

	do {
		pump(ld, 100);
		left = 0;
		for (i = from; i < to; i++)
			left += !ld->e[i].done;
	} while (left && xtcp_test_now_ms() < end);
	return left;
}

static void close_all(struct load *ld)
{
	int i;

	for (i = 0; i < ld->n; i++)
		if (ld->e[i].fd >= 0)
			close(ld->e[i].fd);
	ld->n = 0;
}

static int listen_on(const char *ns, bool xtcp, const char *addr,
		     uint16_t port, int backlog)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = xtcp_test_socket(ns, xtcp_test_sock_family(xtcp), SOCK_STREAM);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, addr, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * n connections from ns0 to the listener l on addr:port, clients at
 * ld->e[2i], servers at ld->e[2i + 1]; 0 or -1
 */
static int connect_n(struct load *ld, const struct xtcp_test_net *net,
		     int l, const char *addr, uint16_t port, int n)
{
	struct sockaddr_in sin;
	int i, c, s;

	xtcp_test_addr(&sin, addr, port);
	for (i = 0; i < n; i++) {
		c = xtcp_test_socket(net->ns[0],
				     xtcp_test_sock_family(net->xtcp[0]),
				     SOCK_STREAM);
		if (c < 0)
			return -1;
		if (connect(c, (struct sockaddr *)&sin, sizeof(sin))) {
			close(c);
			return -1;
		}
		s = accept(l, NULL, NULL);
		if (s < 0) {
			close(c);
			return -1;
		}
		end_add(ld, c, net->xtcp[0]);
		end_add(ld, s, net->xtcp[1]);
	}
	return 0;
}

/* --- fixture load ---------------------------------------------------- */

enum removal { LINK_DEL, DEV_DEL };

FIXTURE(load) {
	struct xtcp_test_pair pair;
	struct load *ld;
	int l;
};

FIXTURE_VARIANT(load) {
	bool server_xtcp;
	enum removal how;
};

FIXTURE_VARIANT_ADD(load, link_del_xtcp_xtcp) { .server_xtcp = true, .how = LINK_DEL };
FIXTURE_VARIANT_ADD(load, link_del_xtcp_tcp) { .server_xtcp = false, .how = LINK_DEL };
FIXTURE_VARIANT_ADD(load, dev_del_xtcp_xtcp) { .server_xtcp = true, .how = DEV_DEL };
FIXTURE_VARIANT_ADD(load, dev_del_xtcp_tcp) { .server_xtcp = false, .how = DEV_DEL };

FIXTURE_SETUP(load)
{
	signal(SIGPIPE, SIG_IGN);
	self->l = -1;
	self->ld = calloc(1, sizeof(*self->ld));
	ASSERT_NE(NULL, self->ld);
	XTCP_PAIR_SETUP("xtcp-rmload", true, variant->server_xtcp);
}

FIXTURE_TEARDOWN(load)
{
	close_all(self->ld);
	if (self->l >= 0)
		close(self->l);
	free(self->ld);
	XTCP_PAIR_TEARDOWN(10000 * xtcp_test_timeout_scale());
}

TEST_F_TIMEOUT(load, under_load, 300)
{
	int scale = xtcp_test_timeout_scale();
	struct load *ld = self->ld;
	long long t0;
	int i, left;

	SKIP_IF_NEEDED();
	self->l = listen_on(self->pair.net.ns[1], variant->server_xtcp,
			    XTCP_TEST_ADDR1, self->pair.port, NCONNS);
	ASSERT_LE(0, self->l);
	ASSERT_EQ(0, connect_n(ld, &self->pair.net, self->l, XTCP_TEST_ADDR1,
			       self->pair.port, NCONNS));
	ASSERT_TRUE(warm_up(ld, 30000 * scale))
		TH_LOG("not every connection moved %d bytes both ways",
		       WARM_BYTES);

	t0 = xtcp_test_now_ms();
	if (variant->how == LINK_DEL) {
		ASSERT_EQ(0, xtcp_test_detach(self->pair.net.ns[0], "veth0"));
		self->pair.net.attached[0] = false;
	} else {
		ASSERT_EQ(0, xtcp_test_run("ip -n %s link del veth0",
					   self->pair.net.ns[0]));
		self->pair.net.attached[0] = false;
		self->pair.net.attached[1] = false;
	}
	TH_LOG("removal took %lld ms", xtcp_test_now_ms() - t0);

	/* every XTCP end ends with an error, at once (no hang) */
	for (i = 0; i < ld->n; i++)
		if (!ld->e[i].xtcp && variant->how == DEV_DEL)
			ld->e[i].done = true;	/* a native peer hears nothing */
	left = pump_until_done(ld, 0, ld->n, 10000 * scale);
	ASSERT_EQ(0, left) TH_LOG("%d ends still working", left);
	for (i = 0; i < ld->n; i++) {
		struct end *e = &ld->e[i];
		int want;

		if (!e->xtcp && variant->how == DEV_DEL)
			continue;
		/* our own sockets are aborted; peers get the RST */
		want = (i % 2 == 0 || variant->how == DEV_DEL) ?
		       ECONNABORTED : ECONNRESET;
		ASSERT_EQ(want, e->err)
			TH_LOG("%s %d: %s", i % 2 ? "server" : "client", i / 2,
			       e->err < 0 ? "EOF" : strerror(e->err));
	}
	TH_LOG("%d connections aborted %lld ms after the removal", NCONNS,
	       xtcp_test_now_ms() - t0);
	close_all(ld);
	close(self->l);
	self->l = -1;
	/* the teardown checks that /proc/net/xtcp drains */
}

/* --- fixture nsdel --------------------------------------------------- */

FIXTURE(nsdel) {
	struct xtcp_test_net net;
	char probe_ns[XTCP_TEST_NS_LEN];
	bool probe_created;
	const char *skip;
	int old_msl;
	int refcnt0;
	struct load *ld;
};

FIXTURE_VARIANT(nsdel) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(nsdel, xtcp_xtcp) { .xtcp = true };
FIXTURE_VARIANT_ADD(nsdel, tcp_tcp) { .xtcp = false };

#define REFCNT	"/sys/module/xtcp/refcnt"

FIXTURE_SETUP(nsdel)
{
	signal(SIGPIPE, SIG_IGN);
	self->old_msl = -1;
	self->probe_created = false;
	self->ld = calloc(1, sizeof(*self->ld));
	ASSERT_NE(NULL, self->ld);
	self->skip = variant->xtcp ? xtcp_test_unavailable() : NULL;
	if (self->skip) {
		ASSERT_FALSE(xtcp_test_required()) TH_LOG("%s", self->skip);
		return;
	}
	self->old_msl = xtcp_test_msl(-1);
	if (self->old_msl >= 0)
		xtcp_test_msl(200);
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-nsdel",
					 variant->xtcp, variant->xtcp));
	xtcp_test_ns_name(self->probe_ns, sizeof(self->probe_ns),
			  "xtcp-probe");
	ASSERT_EQ(0, xtcp_test_ns_add(self->probe_ns));
	self->probe_created = true;
	/* p<i> dies with ns[i], and takes q<i> in probe_ns with it */
	ASSERT_EQ(0, xtcp_test_veth(self->net.ns[0], "p0", self->probe_ns,
				    "q0"));
	ASSERT_EQ(0, xtcp_test_veth(self->net.ns[1], "p1", self->probe_ns,
				    "q1"));
}

FIXTURE_TEARDOWN(nsdel)
{
	close_all(self->ld);
	free(self->ld);
	if (self->skip)
		return;
	xtcp_test_net_cleanup(&self->net);
	if (self->probe_created)
		xtcp_test_ns_del(self->probe_ns);
	if (self->old_msl >= 0)
		xtcp_test_msl(self->old_msl);
}

/* is dev in probe_ns still there? */
static bool probe_there(const char *ns, const char *dev)
{
	unsigned int idx;

	if (xtcp_test_ns_enter(ns))
		return true;
	idx = if_nametoindex(dev);
	xtcp_test_ns_leave();
	return idx != 0;
}

TEST_F_TIMEOUT(nsdel, live, 300)
{
	int scale = xtcp_test_timeout_scale();
	struct load *ld = self->ld;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	long long t0, moved;
	int l0, l1, i, refcnt = -1;
	bool gone;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	if (variant->xtcp) {
		self->refcnt0 = xtcp_test_int_file(REFCNT, -1);
		ASSERT_LE(0, self->refcnt0);
	}
	l1 = listen_on(self->net.ns[1], variant->xtcp, XTCP_TEST_ADDR1, 5410,
		       NCONNS);
	ASSERT_LE(0, l1);
	ASSERT_EQ(0, connect_n(ld, &self->net, l1, XTCP_TEST_ADDR1, 5410,
			       NCONNS / 2));
	ASSERT_TRUE(warm_up(ld, 30000 * scale));
	/* a listener in ns[0] too, with connections nobody accepts */
	l0 = listen_on(self->net.ns[0], variant->xtcp, XTCP_TEST_ADDR0, 5411,
		       16);
	ASSERT_LE(0, l0);
	for (i = 0; i < 4; i++) {
		struct sockaddr_in sin;
		int c = xtcp_test_socket(self->net.ns[1],
					 xtcp_test_sock_family(variant->xtcp),
					 SOCK_STREAM);

		ASSERT_LE(0, c);
		xtcp_test_addr(&sin, XTCP_TEST_ADDR0, 5411);
		ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
		end_add(ld, c, variant->xtcp);
		ld->e[ld->n - 1].done = true;	/* not pumped */
	}

	/* ip netns del of both, everything open */
	ASSERT_EQ(0, xtcp_test_ns_del(self->net.ns[0]));
	ASSERT_EQ(0, xtcp_test_ns_del(self->net.ns[1]));
	self->net.created[0] = self->net.created[1] = false;
	self->net.attached[0] = self->net.attached[1] = false;

	/* still alive: data keeps moving */
	for (moved = 0, i = 0; i < NCONNS; i++)
		moved -= ld->e[i].rd;
	t0 = xtcp_test_now_ms();
	while (xtcp_test_now_ms() < t0 + 500 * scale)
		pump(ld, 100);
	for (i = 0; i < NCONNS; i++) {
		moved += ld->e[i].rd;
		ASSERT_FALSE(ld->e[i].done)
			TH_LOG("end %d: %s", i, strerror(ld->e[i].err));
	}
	ASSERT_LT(0, moved);

	/* the process lets go: half reset, half closed with data unread */
	for (i = 0; i < NCONNS; i += 2)
		if (i % 4 == 0)
			setsockopt(ld->e[i].fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
	close_all(ld);
	close(l0);
	close(l1);

	/* both namespaces exit: their probe veths go */
	t0 = xtcp_test_now_ms();
	do {
		gone = !probe_there(self->probe_ns, "q0") &&
		       !probe_there(self->probe_ns, "q1");
		if (variant->xtcp)
			refcnt = xtcp_test_int_file(REFCNT, -1);
		if (gone && refcnt == (variant->xtcp ? self->refcnt0 : -1))
			break;
		xtcp_test_msleep(100);
	} while (xtcp_test_now_ms() < t0 + 60000 * scale);
	TH_LOG("namespaces gone after %lld ms", xtcp_test_now_ms() - t0);
	ASSERT_TRUE(gone) TH_LOG("q0 %d q1 %d",
				 probe_there(self->probe_ns, "q0"),
				 probe_there(self->probe_ns, "q1"));
	if (variant->xtcp)
		ASSERT_EQ(self->refcnt0, refcnt)
			TH_LOG("XTCP sockets left holding the module");
}

/* --- fixture unload -------------------------------------------------- */

FIXTURE(unload) {
	struct xtcp_test_pair pair;
	int family;
};

FIXTURE_SETUP(unload)
{
	XTCP_PAIR_SETUP("xtcp-unload", true, true);
	self->family = xtcp_test_family();
}

FIXTURE_TEARDOWN(unload)
{
	XTCP_PAIR_TEARDOWN(10000 * xtcp_test_timeout_scale());
}

static bool module_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/xtcp", &st);
}

static int load_module(int family, int msl)
{
	const char *ko = getenv("XTCP_KO");
	char params[64];
	int fd, ret;

	if (!ko)
		ko = getenv("XTCP_MODULE");
	if (!ko)
		ko = "../module/xtcp.ko";
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	snprintf(params, sizeof(params), "family=%d msl_ms=%d", family, msl);
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(unload, refused_then_timewait, 300)
{
	int scale = xtcp_test_timeout_scale();
	struct sockaddr_in sin;
	int l, c, s, st, refcnt;
	uint16_t cport;
	long long t0;
	char byte;

	SKIP_IF_NEEDED();
	ASSERT_LE(0, self->family);
	l = listen_on(self->pair.net.ns[1], true, XTCP_TEST_ADDR1,
		      self->pair.port, 4);
	ASSERT_LE(0, l);

	/* a listener alone holds the module */
	ASSERT_EQ(-1, syscall(SYS_delete_module, "xtcp", O_NONBLOCK));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_TRUE(module_loaded());

	c = xtcp_test_socket(self->pair.net.ns[0], -1, SOCK_STREAM);
	ASSERT_LE(0, c);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	cport = xtcp_test_local_port(c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(l);
	/* and so do connections: it stays, and they keep working */
	ASSERT_EQ(-1, syscall(SYS_delete_module, "xtcp", O_NONBLOCK));
	ASSERT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(1, write(c, "y", 1));
	ASSERT_EQ(1, read(s, &byte, 1));

	/* the client closes first: a TIME_WAIT entry of 2 x 30 s */
	ASSERT_EQ(30000, xtcp_test_msl(30000));
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(0, read(s, &byte, 1));
	close(s);
	ASSERT_EQ(0, read(c, &byte, 1));
	close(c);
	st = xtcp_test_wait_state(self->pair.net.ns[0], true,
				  cport, self->pair.port, XTCP_TEST_TIME_WAIT,
				  5000 * scale);
	ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);
	ASSERT_EQ(0, xtcp_test_wait_drained(self->pair.net.ns[1],
					    5000 * scale));
	/* the sockets are freed after an RCU grace period */
	t0 = xtcp_test_now_ms();
	do {
		refcnt = xtcp_test_int_file(REFCNT, -1);
		if (!refcnt)
			break;
		xtcp_test_msleep(50);
	} while (xtcp_test_now_ms() < t0 + 5000 * scale);
	ASSERT_EQ(0, refcnt);
	ASSERT_EQ(1, xtcp_test_sk_count(self->pair.net.ns[0]));

	/* the entry does not hold the module: it goes with it */
	ASSERT_EQ(0, syscall(SYS_delete_module, "xtcp", O_NONBLOCK))
		TH_LOG("rmmod with a TIME_WAIT entry: %s", strerror(errno));
	ASSERT_FALSE(module_loaded());
	/* its links went with it too */
	self->pair.net.attached[0] = self->pair.net.attached[1] = false;

	ASSERT_EQ(0, load_module(self->family, self->pair.old_msl))
		TH_LOG("loading the module again: %s", strerror(errno));
	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(self->family, xtcp_test_family());
	/* a fresh start: the old netns's TIME_WAIT entry is gone */
	ASSERT_EQ(0, xtcp_test_sk_count(self->pair.net.ns[0]));
	self->pair.old_msl = -1;	/* loaded with it */
}

XTCP_HARNESS_MAIN
