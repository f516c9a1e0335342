// SPDX-License-Identifier: GPL-2.0
/*
 * Network namespaces keep XTCP's users apart (issue 14, "Isolation and
 * permission").
 *
 * Fixture iso: two copies of the two-namespace topology of xtcp_test.h,
 * pair a and pair b, with the same device names, the same addresses
 * (192.0.2.1 and 192.0.2.2) and the same ports in both. Variants
 * xtcp_xtcp (both ends XTCP in both pairs) and tcp_tcp (both native: the
 * reference, Linux's own per-netns TCP).
 *  - listener: a listener in a's server namespace only; a client in b
 *    connecting to the same address and port is refused (ECONNREFUSED, as
 *    for no listener) while a's client gets through;
 *  - same_tuple: a connection in each pair with the very same 4-tuple;
 *    each carries its own bytes, and /proc/net/xtcp (/proc/net/tcp) of
 *    each namespace lists its own sockets only;
 *  - timewait: a TIME_WAIT entry in a's client namespace refuses a bind()
 *    of its port there (EADDRINUSE) but neither a bind() nor a connect()
 *    of the same 4-tuple in b, and b's /proc shows no TIME_WAIT;
 *  - links (xtcp_xtcp only): `xtcpctl link show` (XTCP_CMD_LINK_GET) in b
 *    lists b's links only, and b can neither delete nor re-add a device
 *    only a has (ENODEV); deleting b's veth0 leaves a's veth0 attached.
 *
 * Fixture perm: who may configure links (XTCP_CMD_LINK_ADD and _DEL need
 * CAP_NET_ADMIN in the user namespace owning the netns, the genl flag
 * GENL_UNS_ADMIN_PERM, as rtnetlink checks its own per netns). A child
 * process enters the XTCP namespace ns[0] as root, opens a generic
 * netlink socket there, drops to uid/gid 65534 with no capability and:
 *  - in ns[0]: add and del are refused with EPERM, the link dump and the
 *    counters are still readable;
 *  - then, as `unshare -Urn` does, unshares a user and a net namespace
 *    (uid 0 mapped to 65534) and, in its own netns: makes a veth pair,
 *    attaches one end (allowed), sees only that link in the dump, deletes
 *    and re-attaches it, opens an XTCP socket; a device of ns[0] cannot be
 *    named from there (ENODEV);
 *  - through the socket it opened in ns[0] before unsharing, add and del
 *    are still refused with EPERM: its capabilities are in its own user
 *    namespace only.
 * The parent then checks that ns[0]'s link is still there. The child's
 * link goes with its netns when the child exits (the pernet exit).
 * Skips when the kernel refuses unprivileged user namespaces.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <libmnl/libmnl.h>
#include <linux/xtcp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"

#define LIST_MAX	8
#define PAYLOAD		4096

/* --- generic netlink, in the namespace the caller is in ------------- */

struct genl {
	struct mnl_socket *nl;
	uint16_t family;
	unsigned int seq;
};

struct link_list {
	int n;
	char name[LIST_MAX][IFNAMSIZ];
};


static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_list *l = data;

	if (mnl_attr_get_type(attr) == XTCP_A_LINK_IFNAME &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) && l->n < LIST_MAX)
		snprintf(l->name[l->n++], IFNAMSIZ, "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, link_attr_cb, data);
}

static struct nlmsghdr *genl_put(char *buf, uint16_t type, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* one request and its answers: 0, or -errno */
static int nl_request(struct mnl_socket *nl, unsigned int *seqp,
		      struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = ++*seqp;
	/* NLM_F_DUMP is two bits, one of them NLM_F_EXCL's */
	if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb,
				 data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* a generic netlink socket in the current netns, the family resolved */
static int genl_open(struct genl *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	memset(g, 0, sizeof(*g));
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl)
		return -errno;
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto err;
	}
	nlh = genl_put(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XTCP_GENL_NAME);
	ret = nl_request(g->nl, &g->seq, nlh, xtcp_test_genl_family_cb, &g->family);
	if (!ret && !g->family)
		ret = -ENOENT;
	if (ret)
		goto err;
	return 0;
err:
	mnl_socket_close(g->nl);
	g->nl = NULL;
	return ret;
}

static void genl_close(struct genl *g)
{
	if (g->nl)
		mnl_socket_close(g->nl);
	g->nl = NULL;
}

/* XTCP_CMD_LINK_ADD (addr != NULL) or _DEL of dev: 0 or -errno */
static int genl_link(struct genl *g, const char *dev, const char *addr,
		     uint8_t plen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct in_addr a;

	nlh = genl_put(buf, g->family,
		       addr ? XTCP_CMD_LINK_ADD : XTCP_CMD_LINK_DEL,
		       XTCP_GENL_VERSION, 0);
	mnl_attr_put_strz(nlh, XTCP_A_LINK_IFNAME, dev);
	if (addr) {
		if (inet_pton(AF_INET, addr, &a) != 1)
			return -EINVAL;
		mnl_attr_put_u32(nlh, XTCP_A_LINK_ADDR, a.s_addr);
		mnl_attr_put_u8(nlh, XTCP_A_LINK_PREFIXLEN, plen);
	}
	return nl_request(g->nl, &g->seq, nlh, NULL, NULL);
}

/* XTCP_CMD_LINK_GET: the names of the attached devices */
static int genl_links(struct genl *g, struct link_list *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	memset(l, 0, sizeof(*l));
	nlh = genl_put(buf, g->family, XTCP_CMD_LINK_GET, XTCP_GENL_VERSION,
		       NLM_F_DUMP);
	return nl_request(g->nl, &g->seq, nlh, link_cb, l);
}

/* XTCP_CMD_STATS_GET, answer ignored: 0 or -errno */
static int genl_stats(struct genl *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = genl_put(buf, g->family, XTCP_CMD_STATS_GET, XTCP_GENL_VERSION,
		       0);
	return nl_request(g->nl, &g->seq, nlh, NULL, NULL);
}

static bool has_link(const struct link_list *l, const char *dev)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->name[i], dev))
			return true;
	return false;
}

/* the link list of named namespace ns: 0 or -errno */
static int ns_links(const char *ns, struct link_list *l)
{
	struct genl g;
	int ret;

	if (xtcp_test_ns_enter(ns))
		return -errno;
	ret = genl_open(&g);
	xtcp_test_ns_leave();
	if (ret)
		return ret;
	ret = genl_links(&g, l);
	genl_close(&g);
	return ret;
}

/* --- fixture iso: two pairs with the same addresses ------------------ */

FIXTURE(iso) {
	struct xtcp_test_net a, b;
	const char *skip;
	int old_msl;
	uint16_t port;		/* the servers' port, in both pairs */
	uint16_t cport;		/* the clients' port, where fixed */
};

FIXTURE_VARIANT(iso) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(iso, xtcp_xtcp) { .xtcp = true };
FIXTURE_VARIANT_ADD(iso, tcp_tcp) { .xtcp = false };

FIXTURE_SETUP(iso)
{
	signal(SIGPIPE, SIG_IGN);
	self->old_msl = -1;
	self->port = (uint16_t)(20000 + getpid() % 20000);
	self->cport = (uint16_t)(self->port + 1);
	self->skip = variant->xtcp ? xtcp_test_unavailable() : NULL;
	if (self->skip) {
		ASSERT_FALSE(xtcp_test_required()) TH_LOG("%s", self->skip);
		return;
	}
	self->old_msl = xtcp_test_msl(-1);
	if (self->old_msl >= 0)
		xtcp_test_msl(200);
	ASSERT_EQ(0, xtcp_test_net_setup(&self->a, "xtcp-isoa", variant->xtcp,
					 variant->xtcp));
	ASSERT_EQ(0, xtcp_test_net_setup(&self->b, "xtcp-isob", variant->xtcp,
					 variant->xtcp));
}

FIXTURE_TEARDOWN(iso)
{
	if (self->skip)
		return;
	/* a TIME_WAIT entry left goes with its namespace */
	xtcp_test_net_cleanup(&self->a);
	xtcp_test_net_cleanup(&self->b);
	if (self->old_msl >= 0)
		xtcp_test_msl(self->old_msl);
}

static int family_of(const FIXTURE_VARIANT(iso) *variant)
{
	return xtcp_test_sock_family(variant->xtcp);
}

/* a listener on 192.0.2.2:port in the server namespace of net */
static int listener(const FIXTURE_VARIANT(iso) *variant,
		    const struct xtcp_test_net *net, uint16_t port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = xtcp_test_socket(net->ns[1], family_of(variant), SOCK_STREAM);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) || listen(fd, 8)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A client socket in the client namespace of net, bound to 192.0.2.1:cport
 * unless cport is 0; connected to 192.0.2.2:port. Returns the fd, or -1
 * with errno from the step that failed.
 */
static int client(const FIXTURE_VARIANT(iso) *variant,
		  const struct xtcp_test_net *net, uint16_t cport,
		  uint16_t port)
{
	struct sockaddr_in sin;
	int fd, err;

	fd = xtcp_test_socket(net->ns[0], family_of(variant), SOCK_STREAM);
	if (fd < 0)
		return -1;
	if (cport) {
		xtcp_test_addr(&sin, XTCP_TEST_ADDR0, cport);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
			goto err;
	}
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		goto err;
	return fd;
err:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static bool xfer_all(int fd, void *buf, size_t len, bool wr)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? write(fd, (char *)buf + done, len - done) :
			 read(fd, (char *)buf + done, len - done);
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* sockets of namespace ns in state st, in /proc/net/xtcp or /proc/net/tcp */
static int nstate(const FIXTURE_VARIANT(iso) *variant, const char *ns,
		  int st)
{
	return xtcp_test_sk_count_state(ns, variant->xtcp, st);
}

TEST_F(iso, listener)
{
	int l, c, s;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	l = listener(variant, &self->a, self->port);
	ASSERT_LE(0, l);

	/* b has the same address and port, and nothing listening there */
	ASSERT_EQ(-1, client(variant, &self->b, 0, self->port));
	ASSERT_EQ(ECONNREFUSED, errno);
	ASSERT_EQ(0, nstate(variant, self->b.ns[1], XTCP_TEST_LISTEN));
	ASSERT_EQ(0, nstate(variant, self->b.ns[0], XTCP_TEST_ESTABLISHED));

	/* a's own client gets through to it */
	c = client(variant, &self->a, 0, self->port);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(1, nstate(variant, self->a.ns[1], XTCP_TEST_LISTEN));
	ASSERT_EQ(1, nstate(variant, self->a.ns[0], XTCP_TEST_ESTABLISHED));
	ASSERT_EQ(0, nstate(variant, self->b.ns[1], XTCP_TEST_ESTABLISHED));
	close(c);
	close(s);
	close(l);
}

TEST_F(iso, same_tuple)
{
	unsigned char out[2][PAYLOAD], in[PAYLOAD];
	struct xtcp_test_prng prng;
	int l[2], c[2], s[2], i;
	const struct xtcp_test_net *net[2] = { &self->a, &self->b };

	if (self->skip)
		SKIP(return, "%s", self->skip);
	/* a 4-tuple, the same in both pairs, each with its own bytes */
	for (i = 0; i < 2; i++) {
		l[i] = listener(variant, net[i], self->port);
		ASSERT_LE(0, l[i]);
		c[i] = client(variant, net[i], self->cport, self->port);
		ASSERT_LE(0, c[i]) TH_LOG("pair %d: connect: %s", i,
					  strerror(errno));
		s[i] = accept(l[i], NULL, NULL);
		ASSERT_LE(0, s[i]);
		xtcp_test_prng_init(&prng, 0x150 + (uint64_t)i);
		xtcp_test_fill(&prng, out[i], sizeof(out[i]));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(xfer_all(c[i], out[i], PAYLOAD, true));
		/* and back the other way, from the server */
		ASSERT_TRUE(xfer_all(s[i], out[1 - i], PAYLOAD, true));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(xfer_all(s[i], in, PAYLOAD, false));
		ASSERT_EQ(0, memcmp(in, out[i], PAYLOAD))
			TH_LOG("pair %d's server got other bytes", i);
		ASSERT_TRUE(xfer_all(c[i], in, PAYLOAD, false));
		ASSERT_EQ(0, memcmp(in, out[1 - i], PAYLOAD))
			TH_LOG("pair %d's client got other bytes", i);
	}
	/* each namespace lists its own: one listener, one child, one client */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(1, xtcp_test_sk_state(net[i]->ns[0], variant->xtcp,
						self->cport, self->port));
		ASSERT_EQ(1, nstate(variant, net[i]->ns[0],
				    XTCP_TEST_ESTABLISHED));
		ASSERT_EQ(0, nstate(variant, net[i]->ns[0], XTCP_TEST_LISTEN));
		ASSERT_EQ(1, nstate(variant, net[i]->ns[1],
				    XTCP_TEST_ESTABLISHED));
		ASSERT_EQ(1, nstate(variant, net[i]->ns[1], XTCP_TEST_LISTEN));
		if (variant->xtcp) {
			ASSERT_EQ(1, xtcp_test_sk_count(net[i]->ns[0]));
			ASSERT_EQ(2, xtcp_test_sk_count(net[i]->ns[1]));
		}
	}
	/* closing a's leaves b's working */
	close(c[0]);
	close(s[0]);
	close(l[0]);
	ASSERT_TRUE(xfer_all(c[1], out[1], 100, true));
	ASSERT_TRUE(xfer_all(s[1], in, 100, false));
	ASSERT_EQ(0, memcmp(in, out[1], 100));
	close(c[1]);
	close(s[1]);
	close(l[1]);
}

TEST_F(iso, timewait)
{
	int scale = xtcp_test_timeout_scale();
	struct sockaddr_in sin;
	int l, c, s, fd, st;
	char byte;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	/* XTCP's TIME_WAIT lasts 2 MSL: long enough to look at it */
	if (variant->xtcp)
		ASSERT_EQ(30000, xtcp_test_msl(30000));

	/* a's client closes first and keeps the TIME_WAIT entry */
	l = listener(variant, &self->a, self->port);
	ASSERT_LE(0, l);
	c = client(variant, &self->a, self->cport, self->port);
	ASSERT_LE(0, c);
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	close(l);
	ASSERT_EQ(0, shutdown(c, SHUT_WR));
	ASSERT_EQ(0, read(s, &byte, 1));
	close(s);
	ASSERT_EQ(0, read(c, &byte, 1));
	close(c);
	st = xtcp_test_wait_state(self->a.ns[0], variant->xtcp, self->cport,
				  self->port, XTCP_TEST_TIME_WAIT,
				  5000 * scale);
	ASSERT_EQ(XTCP_TEST_TIME_WAIT, st);

	/* in a, the entry holds the port */
	fd = xtcp_test_socket(self->a.ns[0], family_of(variant), SOCK_STREAM);
	ASSERT_LE(0, fd);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR0, self->cport);
	ASSERT_EQ(-1, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(EADDRINUSE, errno);
	close(fd);

	/* in b, the same port binds and the same 4-tuple connects */
	ASSERT_EQ(0, nstate(variant, self->b.ns[0], XTCP_TEST_TIME_WAIT));
	l = listener(variant, &self->b, self->port);
	ASSERT_LE(0, l);
	c = client(variant, &self->b, self->cport, self->port);
	ASSERT_LE(0, c) TH_LOG("connect in b: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	ASSERT_EQ(1, write(c, "x", 1));
	ASSERT_EQ(1, read(s, &byte, 1));
	ASSERT_EQ('x', byte);
	/* and a's entry is still there, untouched */
	ASSERT_EQ(XTCP_TEST_TIME_WAIT,
		  xtcp_test_sk_state(self->a.ns[0], variant->xtcp, self->cport,
				     self->port));
	close(c);
	close(s);
	close(l);
}

TEST_F(iso, links)
{
	struct link_list la, lb;
	struct genl g;
	int ret;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	if (!variant->xtcp)
		SKIP(return, "XTCP links only");
	/* a second device in a only, attached there */
	ASSERT_EQ(0, xtcp_test_veth(self->a.ns[0], "vx0", self->a.ns[1],
				    "vx1"));
	ASSERT_EQ(0, xtcp_test_attach(self->a.ns[0], "vx0", "198.51.100.1/24",
				      NULL));

	ASSERT_EQ(0, ns_links(self->a.ns[0], &la));
	ASSERT_EQ(2, la.n);
	ASSERT_TRUE(has_link(&la, "veth0") && has_link(&la, "vx0"));
	ASSERT_EQ(0, ns_links(self->b.ns[0], &lb));
	ASSERT_EQ(1, lb.n);
	ASSERT_TRUE(has_link(&lb, "veth0"));

	/* from b, a's device cannot be named */
	ASSERT_EQ(0, xtcp_test_ns_enter(self->b.ns[0]));
	ret = genl_open(&g);
	xtcp_test_ns_leave();
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-ENODEV, genl_link(&g, "vx0", NULL, 0));
	EXPECT_EQ(-ENODEV, genl_link(&g, "vx0", "198.51.100.1", 24));
	/* b deletes its own veth0: a's stays */
	EXPECT_EQ(0, genl_link(&g, "veth0", NULL, 0));
	self->b.attached[0] = false;
	genl_close(&g);

	ASSERT_EQ(0, ns_links(self->a.ns[0], &la));
	ASSERT_EQ(2, la.n);
	ASSERT_TRUE(has_link(&la, "veth0") && has_link(&la, "vx0"));
	ASSERT_EQ(0, ns_links(self->b.ns[0], &lb));
	ASSERT_EQ(0, lb.n);
	ASSERT_EQ(0, xtcp_test_detach(self->a.ns[0], "vx0"));
}

/* --- fixture perm: CAP_NET_ADMIN in the netns's user namespace -------- */

FIXTURE(perm) {
	struct xtcp_test_net net;
	const char *skip;
};

FIXTURE_SETUP(perm)
{
	self->skip = xtcp_test_unavailable();
	if (self->skip) {
		ASSERT_FALSE(xtcp_test_required()) TH_LOG("%s", self->skip);
		return;
	}
	ASSERT_EQ(0, xtcp_test_net_setup(&self->net, "xtcp-perm", true,
					 false));
}

FIXTURE_TEARDOWN(perm)
{
	if (!self->skip)
		xtcp_test_net_cleanup(&self->net);
}

/* the child's exit codes besides the failing step's line */
#define CHILD_OK	0
#define CHILD_SKIP	1

/* in the child: report and exit with the line of a failed check */
#define CHECK(want, expr) do {						\
	long __got;							\
									\
	fprintf(stderr, "# child: %s\n", #expr);			\
	__got = (long)(expr);						\
									\
	if (__got != (long)(want)) {					\
		fprintf(stderr, "# child line %d: %s = %ld, wanted %ld\n", \
			__LINE__, #expr, __got, (long)(want));		\
		_exit(__LINE__ % 250 + 2);				\
	}								\
} while (0)

static int write_file_at(int dirfd, const char *path, const char *s)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* a veth pair in the current netns, over rtnetlink: 0 or -errno */
static int veth_here(const char *dev0, const char *dev1)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data, *peer;
	struct mnl_socket *nl;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	unsigned int seq = 0;
	int ret;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		ret = -errno;
		goto out;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev0);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev1);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	ret = nl_request(nl, &seq, nlh, NULL, NULL);
out:
	mnl_socket_close(nl);
	return ret;
}

static void perm_child(const char *ns)
{
	struct genl old, own;
	struct link_list l;
	char map[64];
	int fd, rootfd;

	/* as root: into ns[0], and a genl socket there */
	CHECK(0, xtcp_test_ns_enter(ns));
	CHECK(0, genl_open(&old));
	/*
	 * The test VM runs us chrooted, and unshare(CLONE_NEWUSER) refuses
	 * a chrooted caller (EPERM). Step out to PID 1's root for the
	 * unshare, and back in afterwards: chroot() is allowed to the owner
	 * of a user namespace. Outside a chroot this changes nothing.
	 */
	rootfd = open("/", O_DIRECTORY | O_CLOEXEC);
	CHECK(1, rootfd >= 0);
	if (!chdir("/proc/1/root") && chroot("."))
		fprintf(stderr, "# chroot to PID 1's root: %s\n",
			strerror(errno));
	/* drop to nobody, every capability with it */
	CHECK(0, setgroups(0, NULL));
	CHECK(0, setresgid(65534, 65534, 65534));
	CHECK(0, setresuid(65534, 65534, 65534));
	/* setuid() made us undumpable, so /proc/self/uid_map root's */
	CHECK(0, prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));

	/* in ns[0], owned by the initial user namespace: read only */
	CHECK(-EPERM, genl_link(&old, "veth0", NULL, 0));
	CHECK(-EPERM, genl_link(&old, "veth0", "192.0.2.9", 24));
	CHECK(0, genl_links(&old, &l));
	CHECK(1, l.n);
	CHECK(0, strcmp(l.name[0], "veth0"));
	CHECK(0, genl_stats(&old));

	/* unshare -Urn */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		fprintf(stderr, "# unshare(CLONE_NEWUSER | CLONE_NEWNET): %s\n",
			strerror(errno));
		_exit(CHILD_SKIP);
	}
	CHECK(0, write_file_at(rootfd, "proc/self/setgroups", "deny"));
	snprintf(map, sizeof(map), "0 %d 1", 65534);
	CHECK(0, write_file_at(rootfd, "proc/self/uid_map", map));
	CHECK(0, write_file_at(rootfd, "proc/self/gid_map", map));
	CHECK(0, fchdir(rootfd));
	CHECK(0, chroot("."));
	CHECK(0, chdir("/"));
	close(rootfd);

	/* our own netns: our own devices, attached and detached */
	CHECK(0, veth_here("u0", "u1"));
	CHECK(0, genl_open(&own));
	CHECK(0, genl_links(&own, &l));
	CHECK(0, l.n);
	CHECK(0, genl_link(&own, "u0", "10.9.0.1", 24));
	CHECK(-EEXIST, genl_link(&own, "u0", "10.9.0.1", 24));
	CHECK(0, genl_links(&own, &l));
	CHECK(1, l.n);
	CHECK(0, strcmp(l.name[0], "u0"));
	CHECK(0, genl_link(&own, "u0", NULL, 0));
	CHECK(0, genl_links(&own, &l));
	CHECK(0, l.n);
	CHECK(0, genl_link(&own, "u0", "10.9.0.1", 24));
	/* ns[0]'s device has no name here */
	CHECK(-ENODEV, genl_link(&own, "veth0", NULL, 0));
	CHECK(0, genl_stats(&own));
	fd = socket(xtcp_test_sock_family(true), SOCK_STREAM, 0);
	CHECK(1, fd >= 0);
	close(fd);

	/* the socket opened in ns[0] carries no power over it */
	CHECK(-EPERM, genl_link(&old, "veth0", NULL, 0));
	CHECK(-EPERM, genl_link(&old, "veth0", "192.0.2.9", 24));
	CHECK(-EPERM, genl_link(&old, "u0", NULL, 0));
	genl_close(&own);
	genl_close(&old);
	/* u0 stays attached: its netns goes with us */
	_exit(CHILD_OK);
}

TEST_F_TIMEOUT(perm, unprivileged, 120)
{
	int lfd, c, s, status, one = 1;
	struct sockaddr_in sin;
	long long t0;
	pid_t ret;
	struct link_list l;
	char byte;
	pid_t pid;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	/* Debian's knob for unprivileged user namespaces, if there */
	xtcp_test_int_file("/proc/sys/kernel/unprivileged_userns_clone", 1);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		perm_child(self->net.ns[0]);
	/* a child stuck somewhere is named by its last "# child:" line */
	t0 = xtcp_test_now_ms();
	while (!(ret = waitpid(pid, &status, WNOHANG)) &&
	       xtcp_test_now_ms() < t0 + 30000 * xtcp_test_timeout_scale())
		xtcp_test_msleep(20);
	if (!ret) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_EQ(pid, ret) TH_LOG("the child did not finish");
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == CHILD_SKIP)
		SKIP(return, "no unprivileged user namespaces");
	ASSERT_EQ(CHILD_OK, WEXITSTATUS(status));

	/* ns[0]'s link is still there, and still carries a connection */
	TH_LOG("child done (%d); checking ns[0]", WEXITSTATUS(status));
	ASSERT_EQ(0, ns_links(self->net.ns[0], &l));
	ASSERT_EQ(1, l.n);
	ASSERT_STREQ("veth0", l.name[0]);
	lfd = xtcp_test_socket(self->net.ns[1], AF_INET, SOCK_STREAM);
	ASSERT_LE(0, lfd);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, 5390);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(lfd, 1));
	c = xtcp_test_socket(self->net.ns[0], -1, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept(lfd, NULL, NULL);
	ASSERT_LE(0, s);
	/* the native end closes first: XTCP keeps no TIME_WAIT */
	close(s);
	close(lfd);
	ASSERT_EQ(0, read(c, &byte, 1));
	close(c);
	ASSERT_EQ(0, xtcp_test_wait_drained(self->net.ns[0],
					    5000 * xtcp_test_timeout_scale()));
}

XTCP_HARNESS_MAIN
