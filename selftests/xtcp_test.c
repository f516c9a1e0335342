// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the C selftests; see xtcp_test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <linux/xtcp.h>

#include "xtcp_test.h"

static int init_ns_fd = -1;

int xtcp_test_family(void)
{
	FILE *f = fopen("/sys/module/xtcp/parameters/family", "r");
	int family = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &family) != 1)
		family = -1;
	fclose(f);
	return family;
}

bool xtcp_test_required(void)
{
	const char *v = getenv("XTCP_REQUIRED");

	return v && !strcmp(v, "1");
}

const char *xtcp_test_unavailable(void)
{
	int family = xtcp_test_family();
	int fd;

	if (family < 0)
		family = AF_XTCP;
	fd = socket(family, SOCK_STREAM, 0);
	if (fd >= 0) {
		close(fd);
		if (access(xtcp_test_ctl(), X_OK))
			return "tools/xtcpctl not found";
		return NULL;
	}
	if (errno == EAFNOSUPPORT)
		return "XTCP family not available (module not loaded)";
	return "socket(AF_XTCP) failed";
}

const char *xtcp_test_ctl(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("XTCPCTL"))
		return getenv("XTCPCTL");
	if (path[0])
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "tools/xtcpctl";
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../tools/xtcpctl", dirname(self));
	return path;
}

int xtcp_test_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret < 0 || !WIFEXITED(ret))
		return -1;
	return WEXITSTATUS(ret);
}

void xtcp_test_ns_name(char *buf, size_t len, const char *prefix)
{
	static unsigned int seq;
	unsigned int r;

	r = (unsigned int)getpid() * 2654435761u ^ (unsigned int)time(NULL);
	snprintf(buf, len, "%s-%08x%u", prefix, r, seq++);
}

int xtcp_test_ns_enter(const char *ns)
{
	char path[128];
	int fd, ret;

	if (init_ns_fd < 0) {
		init_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (init_ns_fd < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

void xtcp_test_ns_leave(void)
{
	if (init_ns_fd >= 0 && setns(init_ns_fd, CLONE_NEWNET))
		perror("setns back");
}

int xtcp_test_sock_family(bool xtcp)
{
	int family;

	if (!xtcp)
		return AF_INET;
	family = xtcp_test_family();
	return family < 0 ? AF_XTCP : family;
}

int xtcp_test_socket(const char *ns, int family, int type)
{
	int fd, err;

	if (family < 0)
		family = xtcp_test_sock_family(true);
	if (xtcp_test_ns_enter(ns))
		return -1;
	fd = socket(family, type, 0);
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	return fd;
}

/* --- topology over netlink ------------------------------------------- */

static int fail(const char *what, const char *obj)
{
	int err = errno;

	fprintf(stderr, "xtcp_test: %s %s: %s\n", what, obj ? obj : "",
		strerror(err));
	errno = err;
	return -1;
}

/* A netlink socket of the given protocol inside namespace ns. */
static struct mnl_socket *nl_open(const char *ns, int proto)
{
	struct mnl_socket *nl;
	int err;

	if (xtcp_test_ns_enter(ns)) {
		fail("enter netns", ns);
		return NULL;
	}
	nl = mnl_socket_open(proto);
	err = errno;
	xtcp_test_ns_leave();
	if (!nl) {
		errno = err;
		fail("netlink socket in", ns);
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		fail("netlink bind in", ns);
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/* Sends one request and waits for its ACK: 0, or -1 with errno. */
static int nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh,
		   mnl_cb_t cb, void *data)
{
	static unsigned int seq;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq + (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -1 : 0;
}

static struct nlmsghdr *rtnl_msg(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

/* ip link set DEV up (lookup by name: ifi_index 0 and IFLA_IFNAME) */
static int link_up(struct mnl_socket *nl, const char *dev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = rtnl_msg(buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev);
	if (nl_talk(nl, nlh, NULL, NULL))
		return fail("link up", dev);
	return 0;
}

/* Writes "1" to a sysctl of the namespace we are in, if it exists. */
static int sysctl_one(const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : fail("open", path);
	n = write(fd, "1\n", 2);
	close(fd);
	return n == 2 ? 0 : fail("write", path);
}

/* /run/netns as `ip netns add` leaves it: a shared mount point */
static int netns_dir(void)
{
	bool bound = false;

	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		return fail("mkdir", "/run/netns");
	while (mount("", "/run/netns", "none", MS_SHARED | MS_REC, NULL)) {
		if (errno != EINVAL || bound)
			return fail("make-shared", "/run/netns");
		if (mount("/run/netns", "/run/netns", "none", MS_BIND | MS_REC,
			  NULL))
			return fail("bind", "/run/netns");
		bound = true;
	}
	return 0;
}

int xtcp_test_ns_add(const char *ns)
{
	struct mnl_socket *nl;
	char path[128];
	int fd, ret;

	if (init_ns_fd < 0) {
		init_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (init_ns_fd < 0)
			return fail("open", "/proc/self/ns/net");
	}
	if (netns_dir())
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return fail("create", path);
	close(fd);
	if (unshare(CLONE_NEWNET)) {
		fail("unshare netns for", ns);
		unlink(path);
		return -1;
	}
	ret = mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL);
	if (ret)
		fail("bind", path);
	if (!ret)
		ret = sysctl_one("/proc/sys/net/ipv6/conf/all/disable_ipv6");
	if (!ret)
		ret = sysctl_one("/proc/sys/net/ipv6/conf/default/disable_ipv6");
	xtcp_test_ns_leave();
	if (ret) {
		umount2(path, MNT_DETACH);
		unlink(path);
		return -1;
	}
	nl = nl_open(ns, NETLINK_ROUTE);
	ret = nl ? link_up(nl, "lo") : -1;
	if (nl)
		mnl_socket_close(nl);
	if (ret)
		xtcp_test_ns_del(ns);
	return ret;
}

int xtcp_test_ns_del(const char *ns)
{
	char path[128];

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	if (umount2(path, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		return fail("umount", path);
	if (unlink(path))
		return fail("unlink", path);
	return 0;
}

int xtcp_test_veth(const char *ns0, const char *dev0,
		   const char *ns1, const char *dev1)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], path[128];
	struct nlattr *linkinfo, *data, *peer;
	struct mnl_socket *nl0, *nl1;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int fd1, ret = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", ns1);
	fd1 = open(path, O_RDONLY | O_CLOEXEC);
	if (fd1 < 0)
		return fail("open", path);
	nl0 = nl_open(ns0, NETLINK_ROUTE);
	nl1 = nl_open(ns1, NETLINK_ROUTE);
	if (!nl0 || !nl1)
		goto out;

	nlh = rtnl_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev0);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* the peer's attributes follow an ifinfomsg of its own */
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, dev1);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)fd1);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	if (nl_talk(nl0, nlh, NULL, NULL)) {
		fail("veth add", dev0);
		goto out;
	}
	if (link_up(nl0, dev0) || link_up(nl1, dev1))
		goto out;
	ret = 0;
out:
	if (nl0)
		mnl_socket_close(nl0);
	if (nl1)
		mnl_socket_close(nl1);
	close(fd1);
	return ret;
}

/* "A.B.C.D/N" */
static int parse_cidr(const char *cidr, struct in_addr *addr, uint8_t *plen)
{
	char ip[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(cidr, '/');
	unsigned long n;

	if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
		goto bad;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	n = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || n > 32 || inet_pton(AF_INET, ip, addr) != 1)
		goto bad;
	*plen = (uint8_t)n;
	return 0;
bad:
	errno = EINVAL;
	return fail("address", cidr);
}

/* the ifindex of dev in ns, or 0 */
static unsigned int ns_ifindex(const char *ns, const char *dev)
{
	unsigned int idx;
	int err;

	if (xtcp_test_ns_enter(ns))
		return 0;
	idx = if_nametoindex(dev);
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	if (!idx)
		fail("no device", dev);
	return idx;
}

int xtcp_test_native(const char *ns, const char *dev, const char *cidr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct in_addr addr;
	unsigned int idx;
	uint8_t plen;
	int ret;

	if (parse_cidr(cidr, &addr, &plen))
		return -1;
	idx = ns_ifindex(ns, dev);
	if (!idx)
		return -1;
	nl = nl_open(ns, NETLINK_ROUTE);
	if (!nl)
		return -1;
	nlh = rtnl_msg(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = idx;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	ret = nl_talk(nl, nlh, NULL, NULL);
	if (ret)
		fail("addr add", cidr);
	mnl_socket_close(nl);
	return ret;
}

static int genl_family_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    !mnl_attr_validate(attr, MNL_TYPE_U16))
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

int xtcp_test_genl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, genl_family_cb, data);
}

static struct nlmsghdr *genl_msg(char *buf, uint16_t type, uint8_t cmd,
				 uint8_t version)
{
	struct nlmsghdr *nlh = rtnl_msg(buf, type, 0);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/* XTCP_CMD_LINK_ADD or _DEL, as tools/xtcpctl sends them */
static int xtcp_link(const char *ns, const char *dev, bool add,
		     const char *cidr, const char *gw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct in_addr addr, gwaddr;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint16_t family = 0;
	uint8_t plen = 0;
	int ret = -1;

	if (add && parse_cidr(cidr, &addr, &plen))
		return -1;
	if (gw && inet_pton(AF_INET, gw, &gwaddr) != 1) {
		errno = EINVAL;
		return fail("gateway", gw);
	}
	nl = nl_open(ns, NETLINK_GENERIC);
	if (!nl)
		return -1;
	nlh = genl_msg(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XTCP_GENL_NAME);
	if (nl_talk(nl, nlh, xtcp_test_genl_family_cb, &family) || !family) {
		fail("genl family", XTCP_GENL_NAME);
		goto out;
	}
	nlh = genl_msg(buf, family, add ? XTCP_CMD_LINK_ADD : XTCP_CMD_LINK_DEL,
		       XTCP_GENL_VERSION);
	mnl_attr_put_strz(nlh, XTCP_A_LINK_IFNAME, dev);
	if (add) {
		mnl_attr_put_u32(nlh, XTCP_A_LINK_ADDR, addr.s_addr);
		mnl_attr_put_u8(nlh, XTCP_A_LINK_PREFIXLEN, plen);
		if (gw)
			mnl_attr_put_u32(nlh, XTCP_A_LINK_GATEWAY, gwaddr.s_addr);
	}
	ret = nl_talk(nl, nlh, NULL, NULL);
	if (ret)
		fail(add ? "xtcp link add" : "xtcp link del", dev);
out:
	mnl_socket_close(nl);
	return ret;
}

int xtcp_test_attach(const char *ns, const char *dev, const char *cidr,
		     const char *gw)
{
	return xtcp_link(ns, dev, true, cidr, gw);
}

int xtcp_test_detach(const char *ns, const char *dev)
{
	return xtcp_link(ns, dev, false, NULL, NULL);
}

/* One ethtool flag (ETHTOOL_S*, what names it in errors) of DEV in NS */
static int ethtool_set(const char *ns, const char *dev, uint32_t cmd,
		       const char *what, bool on)
{
	struct ethtool_value ev = { .cmd = cmd, .data = on };
	struct ifreq ifr;
	int fd, ret;

	fd = xtcp_test_socket(ns, AF_INET, SOCK_DGRAM);
	if (fd < 0)
		return fail("socket in", ns);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&ev;
	ret = ioctl(fd, SIOCETHTOOL, &ifr);
	if (ret)
		fail(what, dev);
	close(fd);
	return ret;
}

int xtcp_test_rx_csum(const char *ns, const char *dev, bool on)
{
	return ethtool_set(ns, dev, ETHTOOL_SRXCSUM, "ETHTOOL_SRXCSUM", on);
}

int xtcp_test_tso(const char *ns, const char *dev, bool on)
{
	return ethtool_set(ns, dev, ETHTOOL_STSO, "ETHTOOL_STSO", on);
}

int xtcp_test_capture(const char *ns, const char *dev)
{
	struct sockaddr_ll sll;
	int fd, ifindex, size = 64 << 20;
	unsigned char mac[6];

	if (xtcp_test_mac(ns, dev, mac, &ifindex))
		return -1;
	fd = xtcp_test_socket(ns, AF_PACKET, SOCK_RAW);
	if (fd < 0)
		return fail("AF_PACKET socket in", ns);
	/* GSO packets are up to 64 KiB each: room for a whole transfer */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		goto err;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	/* ETH_P_ALL: a protocol-bound packet socket misses outgoing frames */
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto err;
	return fd;
err:
	fail("AF_PACKET setup on", dev);
	close(fd);
	return -1;
}

int xtcp_test_capture_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return -1;
	return (int)st.tp_drops;
}

int xtcp_test_blackhole(const char *ns, const char *dev)
{
	/*
	 * Modules on Debian's kernel (tc does not load them), built in on
	 * the debug kernel (scripts/vm/debug.config).
	 */
	xtcp_test_run("modprobe -q -a sch_ingress cls_matchall act_gact 2>/dev/null");
	if (xtcp_test_run("tc -n %s qdisc add dev %s ingress", ns, dev))
		return fail("tc ingress qdisc on", dev);
	if (xtcp_test_run("tc -n %s filter add dev %s ingress protocol ip matchall action drop",
			  ns, dev))
		return fail("tc drop filter on", dev);
	return 0;
}

long long xtcp_test_blackhole_dropped(const char *ns, const char *dev)
{
	char cmd[256], line[512];
	long long pkts = -1, bytes, v;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tc -n %s -s filter show dev %s ingress",
		 ns, dev);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	/* the action's " Sent B bytes P pkt (dropped D, ...)" */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " Sent %lld bytes %lld pkt", &bytes, &v) == 2)
			pkts = v;
	pclose(f);
	return pkts;
}

static int net_setup(struct xtcp_test_net *net, const char *prefix,
		     bool xtcp0, bool xtcp1, bool bare1)
{
	static const char * const addr[2] = {
		XTCP_TEST_ADDR0 "/24", XTCP_TEST_ADDR1 "/24"
	};
	static const char * const dev[2] = { "veth0", "veth1" };
	int i;

	memset(net, 0, sizeof(*net));
	net->xtcp[0] = xtcp0;
	net->xtcp[1] = xtcp1;
	for (i = 0; i < 2; i++) {
		xtcp_test_ns_name(net->ns[i], sizeof(net->ns[i]), prefix);
		if (xtcp_test_ns_add(net->ns[i]))
			return -1;
		net->created[i] = true;
	}
	if (xtcp_test_veth(net->ns[0], dev[0], net->ns[1], dev[1]))
		return -1;
	for (i = 0; i < 2; i++) {
		if (net->xtcp[i]) {
			if (xtcp_test_attach(net->ns[i], dev[i], addr[i], NULL))
				return -1;
			net->attached[i] = true;
		} else if (i == 1 && bare1) {
			continue;
		} else if (xtcp_test_native(net->ns[i], dev[i], addr[i])) {
			return -1;
		}
	}
	return 0;
}

int xtcp_test_net_setup(struct xtcp_test_net *net, const char *prefix,
			bool xtcp0, bool xtcp1)
{
	return net_setup(net, prefix, xtcp0, xtcp1, false);
}

int xtcp_test_net_setup_bare(struct xtcp_test_net *net, const char *prefix,
			     bool xtcp0)
{
	return net_setup(net, prefix, xtcp0, false, true);
}

void xtcp_test_net_cleanup(struct xtcp_test_net *net)
{
	static const char * const dev[2] = { "veth0", "veth1" };
	int i;

	for (i = 0; i < 2; i++) {
		if (net->attached[i])
			xtcp_test_detach(net->ns[i], dev[i]);
		net->attached[i] = false;
	}
	for (i = 0; i < 2; i++) {
		if (net->created[i])
			xtcp_test_ns_del(net->ns[i]);
		net->created[i] = false;
	}
}

static int pair_setup(struct xtcp_test_pair *pair, const char *prefix,
		      bool xtcp0, bool xtcp1, bool bare1)
{
	pair->skip = NULL;
	pair->old_msl = -1;
	pair->port = (uint16_t)(20000 + (getpid() % 30000));
	if (xtcp0 || xtcp1)
		pair->skip = xtcp_test_unavailable();
	if (pair->skip)
		return 1;
	/* a short MSL, so the TIME_WAIT a test leaves drains in the teardown */
	pair->old_msl = xtcp_test_msl(-1);
	if (pair->old_msl >= 0)
		xtcp_test_msl(200);
	return net_setup(&pair->net, prefix, xtcp0, xtcp1, bare1);
}

int xtcp_test_pair_setup(struct xtcp_test_pair *pair, const char *prefix,
			 bool xtcp0, bool xtcp1)
{
	return pair_setup(pair, prefix, xtcp0, xtcp1, false);
}

int xtcp_test_pair_setup_bare(struct xtcp_test_pair *pair, const char *prefix,
			      bool xtcp0)
{
	return pair_setup(pair, prefix, xtcp0, false, true);
}

void xtcp_test_pair_teardown(struct xtcp_test_pair *pair, int timeout_ms,
			     int left[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		left[i] = 0;
		if (!pair->skip && pair->net.xtcp[i])
			left[i] = xtcp_test_wait_drained(pair->net.ns[i],
							 timeout_ms);
	}
	xtcp_test_net_cleanup(&pair->net);
	if (pair->old_msl >= 0)
		xtcp_test_msl(pair->old_msl);
}

void xtcp_test_addr(struct sockaddr_in *sin, const char *ip, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

uint16_t xtcp_test_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* Opens /proc/net/<file> as seen from namespace ns. */
static FILE *proc_open(const char *ns, const char *file)
{
	char path[128];
	FILE *f;
	int err;

	if (xtcp_test_ns_enter(ns))
		return NULL;
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", file);
	f = fopen(path, "r");
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	return f;
}

int xtcp_test_sk_state(const char *ns, bool xtcp, uint16_t lport,
		       uint16_t rport)
{
	unsigned int la, lp, ra, rp, st;
	char line[512];
	int state = 0;
	FILE *f;

	f = proc_open(ns, xtcp ? "xtcp" : "tcp");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) != 5)
			continue;
		if (lp == lport && (!rport || rp == rport)) {
			state = (int)st;
			/* prefer a connected socket over a listener */
			if (st != XTCP_TEST_LISTEN)
				break;
		}
	}
	fclose(f);
	return state;
}

int xtcp_test_wait_state(const char *ns, bool xtcp, uint16_t lport,
			 uint16_t rport, int want, int timeout_ms)
{
	long long end = xtcp_test_now_ms() +
			(long long)timeout_ms * xtcp_test_timeout_scale();
	int st;

	for (;;) {
		st = xtcp_test_sk_state(ns, xtcp, lport, rport);
		if (st == want || xtcp_test_now_ms() > end)
			return st;
		xtcp_test_msleep(10);
	}
}

int xtcp_test_sk_timer(const char *ns, bool xtcp, uint16_t lport,
		       uint16_t rport, int *state, long *when_ms,
		       unsigned long *inode)
{
	unsigned int la, lp, ra, rp, st, tx, rx, tr;
	unsigned long when, ino;
	char line[512];
	int found = 0;
	FILE *f;

	f = proc_open(ns, xtcp ? "xtcp" : "tcp");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %x:%x %x:%x %x %x:%x %x:%lx %*x %*d %*d %lu",
			   &la, &lp, &ra, &rp, &st, &tx, &rx, &tr, &when,
			   &ino) != 10)
			continue;
		if (lp != lport || rp != rport)
			continue;
		*state = (int)st;
		/* clock_t at USER_HZ, 100 on every Linux ABI we run on */
		*when_ms = tr ? (long)when * 10 : -1;
		if (inode)
			*inode = ino;
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

int xtcp_test_sk_count_state(const char *ns, bool xtcp, int state)
{
	unsigned int st;
	char line[512];
	int n = 0;
	FILE *f;

	f = proc_open(ns, xtcp ? "xtcp" : "tcp");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*x:%*x %*x:%*x %x", &st) == 1 &&
		    (int)st == state)
			n++;
	fclose(f);
	return n;
}

int xtcp_test_sk_count(const char *ns)
{
	char line[512];
	int n = -1;
	FILE *f;

	f = proc_open(ns, "xtcp");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

int xtcp_test_wait_drained(const char *ns, int timeout_ms)
{
	long long end = xtcp_test_now_ms() +
			(long long)timeout_ms * xtcp_test_timeout_scale();
	int n;

	for (;;) {
		n = xtcp_test_sk_count(ns);
		if (n <= 0 || xtcp_test_now_ms() > end)
			return n;
		xtcp_test_msleep(20);
	}
}

void xtcp_test_proc_dump(const char *ns, const char *file, FILE *out)
{
	char line[512];
	FILE *f;

	f = proc_open(ns, file);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(out, "#   %s", line);
	fclose(f);
}

void xtcp_test_proc_dump_nonzero(const char *ns, const char *file, FILE *out)
{
	char line[512], key[128];
	long long v;
	FILE *f;

	f = proc_open(ns, file);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", key, &v) == 2 && v)
			fprintf(out, "#   %s %lld\n", key, v);
	}
	fclose(f);
}

long long xtcp_test_counter(const char *ns, const char *name)
{
	char line[256], key[128];
	long long val = -1, v;
	FILE *f;

	f = proc_open(ns, "xtcp_stat");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", key, &v) == 2 &&
		    !strcmp(key, name)) {
			val = v;
			break;
		}
	}
	fclose(f);
	return val;
}

long long xtcp_test_netstat(const char *ns, const char *name)
{
	char names[4096], vals[4096];
	char *np, *vp, *n, *v;
	long long val = -1;
	FILE *f;

	f = proc_open(ns, "netstat");
	if (!f)
		return -1;
	/* pairs of lines: "Proto: name name ..." then "Proto: value value ..." */
	while (val < 0 && fgets(names, sizeof(names), f) &&
	       fgets(vals, sizeof(vals), f)) {
		n = strtok_r(names, " \n", &np);
		v = strtok_r(vals, " \n", &vp);
		if (!n || !v || strcmp(n, "TcpExt:") || strcmp(v, "TcpExt:"))
			continue;
		while ((n = strtok_r(NULL, " \n", &np)) &&
		       (v = strtok_r(NULL, " \n", &vp))) {
			if (!strcmp(n, name)) {
				val = atoll(v);
				break;
			}
		}
	}
	fclose(f);
	return val;
}

long long xtcp_test_snmp(const char *ns, const char *proto, const char *name)
{
	char names[4096], vals[4096], want[64];
	char *np, *vp, *n, *v;
	long long val = -1;
	FILE *f;

	snprintf(want, sizeof(want), "%s:", proto);
	f = proc_open(ns, "snmp");
	if (!f)
		return -1;
	/* pairs of lines: "Proto: name name ..." then "Proto: value value ..." */
	while (val < 0 && fgets(names, sizeof(names), f) &&
	       fgets(vals, sizeof(vals), f)) {
		n = strtok_r(names, " \n", &np);
		v = strtok_r(vals, " \n", &vp);
		if (!n || !v || strcmp(n, want) || strcmp(v, want))
			continue;
		while ((n = strtok_r(NULL, " \n", &np)) &&
		       (v = strtok_r(NULL, " \n", &vp))) {
			if (!strcmp(n, name)) {
				val = atoll(v);
				break;
			}
		}
	}
	fclose(f);
	return val;
}

int xtcp_test_int_file(const char *path, int val)
{
	int cur = -1;
	FILE *f;

	if (val >= 0) {
		f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f, "%d\n", val);
		return fclose(f) ? -1 : val;
	}
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &cur) != 1)
		cur = -1;
	fclose(f);
	return cur;
}

int xtcp_test_read_triple(FILE *f, long v[3])
{
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%ld %ld %ld", &v[0], &v[1], &v[2]);
	fclose(f);
	return n == 3 ? 0 : -1;
}

int xtcp_test_msl(int ms)
{
	return xtcp_test_int_file("/sys/module/xtcp/parameters/msl_ms", ms);
}

void xtcp_test_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

long long xtcp_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void xtcp_test_prng_init(struct xtcp_test_prng *p, uint64_t seed)
{
	p->x = seed ^ 0x9e3779b97f4a7c15ull;
	if (!p->x)
		p->x = 1;
	p->left = 0;
}

void xtcp_test_fill(struct xtcp_test_prng *p, void *buf, size_t len)
{
	unsigned char *out = buf;

	while (len--) {
		if (!p->left) {
			p->x ^= p->x >> 12;
			p->x ^= p->x << 25;
			p->x ^= p->x >> 27;
			p->word = p->x * 0x2545f4914f6cdd1dull;
			p->left = 8;
		}
		*out++ = (unsigned char)p->word;
		p->word >>= 8;
		p->left--;
	}
}

int xtcp_test_timeout_scale(void)
{
	const char *v = getenv("XTCP_TIMEOUT_SCALE");
	int scale = v ? atoi(v) : 1;

	return scale > 1 ? scale : 1;
}

uint16_t xtcp_test_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t xtcp_test_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t xtcp_test_tcp_csum(const struct iphdr *ip, const void *tcp,
			    size_t len)
{
	uint32_t sum = 0;

	sum = xtcp_test_csum_add(sum, &ip->saddr, 4);
	sum = xtcp_test_csum_add(sum, &ip->daddr, 4);
	sum += IPPROTO_TCP + (uint32_t)len;
	sum = xtcp_test_csum_add(sum, tcp, len);
	return xtcp_test_csum_fold(sum);
}

int xtcp_test_mac(const char *ns, const char *dev, unsigned char *mac,
		  int *ifindex)
{
	struct ifreq ifr;
	int fd, ret;

	fd = xtcp_test_socket(ns, AF_INET, SOCK_DGRAM);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (!ret && ifindex) {
		ret = ioctl(fd, SIOCGIFINDEX, &ifr);
		*ifindex = ifr.ifr_ifindex;
	}
	close(fd);
	return ret;
}

int xtcp_test_packet_socket(const char *ns, int ifindex, bool outgoing)
{
	struct sockaddr_ll sll;
	int fd, one = 1;

	fd = xtcp_test_socket(ns, AF_PACKET, SOCK_RAW);
	if (fd < 0)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	/* ETH_P_ALL: a protocol-bound packet socket misses outgoing frames */
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if ((!outgoing && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING,
				     &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

ssize_t xtcp_test_packet_send(int fd, int ifindex, const void *frame,
			      size_t len)
{
	const struct ether_header *eth = frame;
	struct sockaddr_ll sll;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = eth->ether_type;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = ETH_ALEN;
	memcpy(sll.sll_addr, eth->ether_dhost, ETH_ALEN);
	return sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll));
}

void xtcp_test_ip_csum(struct iphdr *ip)
{
	ip->check = 0;
	ip->check = htons(xtcp_test_csum_fold(xtcp_test_csum_add(0, ip,
								 ip->ihl * 4u)));
}

size_t xtcp_test_tcp_frame(unsigned char *f, size_t size,
			   const struct xtcp_test_seg *seg)
{
	struct ether_header *eth = (struct ether_header *)f;
	struct iphdr *ip = (struct iphdr *)(f + ETH_HLEN);
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	size_t tcp_len = sizeof(*th) + seg->optlen + seg->len;
	size_t frame = ETH_HLEN + sizeof(*ip) + tcp_len;

	if (frame > size || seg->optlen % 4 || seg->optlen > 40)
		return 0;
	memset(f, 0, ETH_HLEN + sizeof(*ip) + sizeof(*th));
	memcpy(eth->ether_dhost, seg->dmac, ETH_ALEN);
	memcpy(eth->ether_shost, seg->smac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);

	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + tcp_len));
	ip->frag_off = htons(IP_DF);
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = seg->saddr;
	ip->daddr = seg->daddr;
	xtcp_test_ip_csum(ip);

	th->source = htons(seg->sport);
	th->dest = htons(seg->dport);
	th->seq = htonl(seg->seq);
	th->ack_seq = htonl(seg->ack);
	th->doff = (sizeof(*th) + seg->optlen) / 4;
	th->th_flags = seg->flags;
	th->window = htons(seg->window);
	if (seg->optlen)
		memcpy(th + 1, seg->opts, seg->optlen);
	if (seg->len)
		memcpy((unsigned char *)(th + 1) + seg->optlen, seg->data,
		       seg->len);
	th->check = htons(xtcp_test_tcp_csum(ip, th, tcp_len));
	return frame;
}

uint32_t xtcp_test_get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

void xtcp_test_put32(void *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

void xtcp_test_tcp_opts(const void *opts, size_t len,
			struct xtcp_test_opts *o)
{
	const unsigned char *b = opts;
	size_t i = 0, k;

	memset(o, 0, sizeof(*o));
	while (i < len && b[i]) {
		if (b[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || b[i + 1] < 2 || i + b[i + 1] > len)
			return;
		if (b[i] == 8 && b[i + 1] == 10) {
			o->ts = true;
			o->tsval = xtcp_test_get32(b + i + 2);
			o->tsecr = xtcp_test_get32(b + i + 6);
		} else if (b[i] == 5) {
			for (k = 0; k < (size_t)(b[i + 1] - 2) / 8 && k < 4;
			     k++) {
				o->sacks[k][0] = xtcp_test_get32(b + i + 2 + 8 * k);
				o->sacks[k][1] = xtcp_test_get32(b + i + 6 + 8 * k);
			}
			o->nsacks = (unsigned int)k;
		}
		i += b[i + 1];
	}
}

size_t xtcp_test_ts_opt(unsigned char *buf, uint32_t tsval, uint32_t tsecr)
{
	buf[0] = 1;
	buf[1] = 1;
	buf[2] = 8;
	buf[3] = 10;
	xtcp_test_put32(buf + 4, tsval);
	xtcp_test_put32(buf + 8, tsecr);
	return 12;
}
