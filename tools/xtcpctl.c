// SPDX-License-Identifier: GPL-2.0
/*
 * xtcpctl: attach devices to XTCP and read its counters, over the generic
 * netlink family described in uapi/linux/xtcp.h. It speaks to the network
 * namespace it runs in.
 *
 * Arguments are checked in full before any socket is opened, so a bad
 * command line never reaches the kernel. Exit status: 0 success, 1 the
 * kernel (or the system) refused, 2 bad usage.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/xtcp.h>

#define PROG "xtcpctl"

static const char usage_text[] =
	"Usage: " PROG " link add dev IFNAME addr A.B.C.D/N [gw A.B.C.D]\n"
	"       " PROG " link del dev IFNAME\n"
	"       " PROG " link show\n"
	"       " PROG " stats\n"
	"       " PROG " help\n";

static const char help_text[] =
	"\n"
	"Commands act on the network namespace " PROG " runs in.\n"
	"\n"
	"link add dev IFNAME addr A.B.C.D/N [gw A.B.C.D]\n"
	"    Hand the device IFNAME to XTCP with the address A.B.C.D and the\n"
	"    on-link prefix /N (0-32); off-link destinations go through gw,\n"
	"    which must be on-link. Needs CAP_NET_ADMIN.\n"
	"\n"
	"link del dev IFNAME\n"
	"    Take the device back; XTCP connections through it are aborted.\n"
	"    Needs CAP_NET_ADMIN.\n"
	"\n"
	"link show\n"
	"    One line per attached device:\n"
	"        IFNAME: A.B.C.D/N [gw A.B.C.D] mtu MTU neighs COUNT\n"
	"    where COUNT is the number of entries in XTCP's ARP cache for it.\n"
	"    \"link\" alone means \"link show\".\n"
	"\n"
	"stats\n"
	"    XTCP's counters, one \"Name Value\" pair per line, as in\n"
	"    /proc/net/xtcp_stat.\n"
	"\n"
	"Exit status: 0 on success, 1 if the kernel refused (its reason is\n"
	"printed), 2 on bad usage.\n";

enum op {
	OP_LINK_ADD,
	OP_LINK_DEL,
	OP_LINK_SHOW,
	OP_STATS,
};

struct request {
	enum op op;
	const char *ifname;
	struct in_addr addr;
	uint8_t prefixlen;
	bool has_addr;
	struct in_addr gw;
	bool has_gw;
};

static _Noreturn void usage_exit(void)
{
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	exit(2);
}

/* a macro, so that the compiler checks each format against its arguments */
#define usage_error(...) do {				\
	fprintf(stderr, PROG ": " __VA_ARGS__);		\
	usage_exit();					\
} while (0)

static void parse_ifname(const char *s)
{
	if (!*s)
		usage_error("empty device name");
	if (strlen(s) >= IFNAMSIZ)
		usage_error("device name '%s' is longer than %d characters",
			    s, IFNAMSIZ - 1);
}

/* A.B.C.D/N: both parts required, N in decimal without sign or spaces */
static void parse_prefix(const char *s, struct in_addr *addr, uint8_t *len)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	const char *p;
	unsigned int n = 0;

	if (!slash)
		usage_error("address '%s' has no prefix length (A.B.C.D/N)", s);
	if ((size_t)(slash - s) >= sizeof(buf))
		usage_error("bad address '%s'", s);
	memcpy(buf, s, slash - s);
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET, buf, addr) != 1)
		usage_error("bad address '%s'", s);

	p = slash + 1;
	if (!*p || strlen(p) > 2)
		usage_error("bad prefix length in '%s' (0-32)", s);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			usage_error("bad prefix length in '%s' (0-32)", s);
		n = n * 10 + (*p - '0');
	}
	if (n > 32)
		usage_error("prefix length %u in '%s' is out of range (0-32)",
			    n, s);
	*len = n;
}

/*
 * "KEYWORD VALUE" pairs after "link add" or "link del", in any order.
 * "gw" and "addr" are only accepted when allow_addr is set.
 */
static void parse_link_args(int argc, char **argv, struct request *req,
			    bool allow_addr)
{
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i];
		const char *val = argv[i + 1];
		bool is_dev = !strcmp(key, "dev");
		bool is_addr = allow_addr && !strcmp(key, "addr");
		bool is_gw = allow_addr && !strcmp(key, "gw");

		if (!is_dev && !is_addr && !is_gw)
			usage_error("unexpected argument '%s'", key);
		if (i + 1 >= argc)
			usage_error("'%s' needs a value", key);

		if (is_dev) {
			if (req->ifname)
				usage_error("'dev' given twice");
			parse_ifname(val);
			req->ifname = val;
		} else if (is_addr) {
			if (req->has_addr)
				usage_error("'addr' given twice");
			parse_prefix(val, &req->addr, &req->prefixlen);
			req->has_addr = true;
		} else {
			if (req->has_gw)
				usage_error("'gw' given twice");
			if (inet_pton(AF_INET, val, &req->gw) != 1)
				usage_error("bad gateway '%s'", val);
			req->has_gw = true;
		}
	}

	if (!req->ifname)
		usage_error("missing 'dev IFNAME'");
	if (allow_addr && !req->has_addr)
		usage_error("missing 'addr A.B.C.D/N'");
}

static void no_more_args(int argc, char **argv)
{
	if (argc > 0)
		usage_error("unexpected argument '%s'", argv[0]);
}

static void parse_link(int argc, char **argv, struct request *req)
{
	const char *sub = argc > 0 ? argv[0] : "show";

	if (argc > 0) {
		argc--;
		argv++;
	}

	if (!strcmp(sub, "add")) {
		req->op = OP_LINK_ADD;
		parse_link_args(argc, argv, req, true);
	} else if (!strcmp(sub, "del")) {
		req->op = OP_LINK_DEL;
		parse_link_args(argc, argv, req, false);
	} else if (!strcmp(sub, "show")) {
		req->op = OP_LINK_SHOW;
		no_more_args(argc, argv);
	} else {
		usage_error("unknown link command '%s'", sub);
	}
}

/* returns false for help, which needs no kernel */
static bool parse_args(int argc, char **argv, struct request *req)
{
	const char *cmd;

	if (argc < 2)
		usage_error("missing command");
	cmd = argv[1];
	argc -= 2;
	argv += 2;

	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "--help")) {
		no_more_args(argc, argv);
		return false;
	}
	if (!strcmp(cmd, "link")) {
		parse_link(argc, argv, req);
	} else if (!strcmp(cmd, "stats")) {
		req->op = OP_STATS;
		no_more_args(argc, argv);
	} else {
		usage_error("unknown command '%s'", cmd);
	}
	return true;
}

/* netlink plumbing */

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	uint16_t family;
};

/* what one request got back besides its data */
struct reply {
	void *data;		/* for the data callback */
	int error;		/* positive errno, 0 if none */
	char msg[256];		/* extack message, "" if none */
};

/*
 * Large enough that the kernel never truncates a message: it sizes dump
 * skbs after the receive buffer of earlier recvmsg calls, up to 32 KiB.
 */
static _Alignas(struct nlmsghdr) char rxbuf[32768];
static _Alignas(struct nlmsghdr) char txbuf[1024];

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct reply *r = data;

	switch (mnl_attr_get_type(attr)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(r->msg, sizeof(r->msg), "%s",
				 mnl_attr_get_str(attr));
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		/* only says which attribute, when there is no message */
		if (!r->msg[0] && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			snprintf(r->msg, sizeof(r->msg),
				 "missing attribute %u", mnl_attr_get_u32(attr));
		break;
	}
	return MNL_CB_OK;
}

static void parse_extack(const struct nlmsghdr *nlh, unsigned int offset,
			 struct reply *r)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_parse(nlh, offset, extack_attr_cb, r);
}

/* NLMSG_ERROR: an error, or the ACK that ends a request */
static int nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct reply *r = data;
	unsigned int offset = sizeof(*err);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		r->error = EBADMSG;
		return MNL_CB_ERROR;
	}

	/* TLVs follow the echoed request unless NETLINK_CAP_ACK cut it */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += MNL_ALIGN(err->msg.nlmsg_len -
				    sizeof(struct nlmsghdr));
	parse_extack(nlh, offset, r);

	r->error = -err->error;
	return r->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* NLMSG_DONE: the end of a dump, with the dump's error if it failed */
static int nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	parse_extack(nlh, sizeof(err), r);

	r->error = -err;
	return r->error ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* not const: mnl_cb_run2() of libmnl 1.0.4 takes a plain pointer */
static mnl_cb_t nl_ctl_cb[NLMSG_MIN_TYPE] = {
	[NLMSG_ERROR]	= nl_error_cb,
	[NLMSG_DONE]	= nl_done_cb,
};

static _Noreturn void sys_error(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static void nl_open(struct nl *nl)
{
	int one = 1;

	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock)
		sys_error("netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		sys_error("netlink bind");
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 0;

	/*
	 * Ask for the kernel's error message, and for errors that do not
	 * echo the request, which we already have. Kernels too old for
	 * either still answer, just with less to say.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
}

static struct nlmsghdr *nl_request(struct nl *nl, uint16_t type,
				   uint16_t flags, uint8_t cmd,
				   uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(txbuf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/*
 * Send one request and feed every answer to cb until the ACK or the end of
 * the dump. Returns 0, or -1 with r->error (and maybe r->msg) set.
 */
static int nl_transact(struct nl *nl, const struct nlmsghdr *nlh,
		       mnl_cb_t cb, struct reply *r)
{
	ssize_t n;
	int ret;

	r->error = 0;
	r->msg[0] = '\0';

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		r->error = errno;
		return -1;
	}

	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, rxbuf, sizeof(rxbuf));
		if (n < 0) {
			r->error = errno;
			return -1;
		}
		errno = 0;
		ret = mnl_cb_run2(rxbuf, n, nlh->nlmsg_seq, nl->portid, cb, r,
				  nl_ctl_cb, MNL_ARRAY_SIZE(nl_ctl_cb));
		if (ret == MNL_CB_ERROR) {
			if (!r->error)
				r->error = errno ? errno : EPROTO;
			return -1;
		}
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

static _Noreturn void kernel_error(const struct reply *r)
{
	if (r->msg[0])
		fprintf(stderr, PROG ": %s: %s\n", strerror(r->error), r->msg);
	else
		fprintf(stderr, PROG ": %s\n", strerror(r->error));
	exit(1);
}

/* a message the kernel attached to a request that succeeded */
static void kernel_warning(const struct reply *r)
{
	if (r->msg[0])
		fprintf(stderr, PROG ": warning: %s\n", r->msg);
}

static int bad_reply(struct reply *r)
{
	r->error = EBADMSG;
	snprintf(r->msg, sizeof(r->msg), "malformed reply from the kernel");
	return MNL_CB_ERROR;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct reply *r = data;
	uint16_t *id = r->data;

	if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_ID)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
		return bad_reply(r);
	*id = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, family_attr_cb, data);
}

static void nl_resolve_family(struct nl *nl)
{
	struct reply r = { .data = &nl->family };
	struct nlmsghdr *nlh;

	nl->family = 0;
	nlh = nl_request(nl, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, XTCP_GENL_NAME);

	if (nl_transact(nl, nlh, family_cb, &r) < 0) {
		if (r.error == ENOENT) {
			fprintf(stderr, PROG ": the xtcp module is not loaded (generic netlink family '%s' not found)\n",
				XTCP_GENL_NAME);
			exit(1);
		}
		kernel_error(&r);
	}
	if (!nl->family) {
		bad_reply(&r);
		kernel_error(&r);
	}
}

/* link add / link del */

static void cmd_link_change(struct nl *nl, const struct request *req)
{
	struct reply r = { 0 };
	struct nlmsghdr *nlh;
	bool add = req->op == OP_LINK_ADD;

	nlh = nl_request(nl, nl->family, NLM_F_ACK,
			 add ? XTCP_CMD_LINK_ADD : XTCP_CMD_LINK_DEL,
			 XTCP_GENL_VERSION);
	mnl_attr_put_strz(nlh, XTCP_A_LINK_IFNAME, req->ifname);
	if (add) {
		/* s_addr is already in network byte order, as XTCP wants */
		mnl_attr_put_u32(nlh, XTCP_A_LINK_ADDR, req->addr.s_addr);
		mnl_attr_put_u8(nlh, XTCP_A_LINK_PREFIXLEN, req->prefixlen);
		if (req->has_gw)
			mnl_attr_put_u32(nlh, XTCP_A_LINK_GATEWAY,
					 req->gw.s_addr);
	}

	if (nl_transact(nl, nlh, NULL, &r) < 0)
		kernel_error(&r);
	kernel_warning(&r);
}

/* link show */

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct reply *r = data;
	const struct nlattr **tb = r->data;
	uint16_t type = mnl_attr_get_type(attr);
	enum mnl_attr_data_type want;

	switch (type) {
	case XTCP_A_LINK_IFNAME:
		want = MNL_TYPE_NUL_STRING;
		break;
	case XTCP_A_LINK_PREFIXLEN:
		want = MNL_TYPE_U8;
		break;
	case XTCP_A_LINK_IFINDEX:
	case XTCP_A_LINK_ADDR:
	case XTCP_A_LINK_GATEWAY:
	case XTCP_A_LINK_MTU:
	case XTCP_A_LINK_NEIGHS:
		want = MNL_TYPE_U32;
		break;
	default:
		/* from a newer kernel: not ours to print */
		return MNL_CB_OK;
	}
	if (mnl_attr_validate(attr, want) < 0)
		return bad_reply(r);
	tb[type] = attr;
	return MNL_CB_OK;
}

static void print_in_addr(uint32_t be)
{
	struct in_addr a = { .s_addr = be };
	char buf[INET_ADDRSTRLEN];

	fputs(inet_ntop(AF_INET, &a, buf, sizeof(buf)), stdout);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[XTCP_A_MAX + 1] = { NULL };
	struct reply *r = data;
	void *saved = r->data;
	int ret;

	r->data = tb;
	ret = mnl_attr_parse(nlh, GENL_HDRLEN, link_attr_cb, r);
	r->data = saved;
	if (ret < 0)
		return ret;
	if ((!tb[XTCP_A_LINK_IFNAME] && !tb[XTCP_A_LINK_IFINDEX]) ||
	    !tb[XTCP_A_LINK_ADDR] || !tb[XTCP_A_LINK_PREFIXLEN])
		return bad_reply(r);

	if (tb[XTCP_A_LINK_IFNAME])
		fputs(mnl_attr_get_str(tb[XTCP_A_LINK_IFNAME]), stdout);
	else
		printf("if%" PRIu32,
		       mnl_attr_get_u32(tb[XTCP_A_LINK_IFINDEX]));
	fputs(": ", stdout);
	print_in_addr(mnl_attr_get_u32(tb[XTCP_A_LINK_ADDR]));
	printf("/%u", mnl_attr_get_u8(tb[XTCP_A_LINK_PREFIXLEN]));
	if (tb[XTCP_A_LINK_GATEWAY] &&
	    mnl_attr_get_u32(tb[XTCP_A_LINK_GATEWAY])) {
		fputs(" gw ", stdout);
		print_in_addr(mnl_attr_get_u32(tb[XTCP_A_LINK_GATEWAY]));
	}
	if (tb[XTCP_A_LINK_MTU])
		printf(" mtu %" PRIu32, mnl_attr_get_u32(tb[XTCP_A_LINK_MTU]));
	if (tb[XTCP_A_LINK_NEIGHS])
		printf(" neighs %" PRIu32,
		       mnl_attr_get_u32(tb[XTCP_A_LINK_NEIGHS]));
	putchar('\n');
	return MNL_CB_OK;
}

static void cmd_link_show(struct nl *nl)
{
	struct reply r = { 0 };
	struct nlmsghdr *nlh;

	nlh = nl_request(nl, nl->family, NLM_F_DUMP, XTCP_CMD_LINK_GET,
			 XTCP_GENL_VERSION);
	if (nl_transact(nl, nlh, link_cb, &r) < 0)
		kernel_error(&r);
	kernel_warning(&r);
}

/* stats */

static int stat_attr_cb(const struct nlattr *attr, void *data)
{
	struct reply *r = data;
	const struct nlattr **tb = r->data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == XTCP_A_STAT_NAME) {
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return bad_reply(r);
	} else if (type == XTCP_A_STAT_VALUE) {
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return bad_reply(r);
	} else {
		return MNL_CB_OK;	/* XTCP_A_STAT_PAD and newer ones */
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int print_stat(const struct nlattr *stat, struct reply *r)
{
	const struct nlattr *tb[XTCP_A_STAT_MAX + 1] = { NULL };
	void *saved = r->data;
	int ret;

	r->data = tb;
	ret = mnl_attr_parse_nested(stat, stat_attr_cb, r);
	r->data = saved;
	if (ret < 0)
		return ret;
	if (!tb[XTCP_A_STAT_NAME] || !tb[XTCP_A_STAT_VALUE])
		return bad_reply(r);

	printf("%s %" PRIu64 "\n", mnl_attr_get_str(tb[XTCP_A_STAT_NAME]),
	       mnl_attr_get_u64(tb[XTCP_A_STAT_VALUE]));
	return MNL_CB_OK;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr, *stat;
	struct reply *r = data;
	bool found = false;
	int ret;

	mnl_attr_for_each(attr, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(attr) != XTCP_A_STATS)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return bad_reply(r);
		found = true;

		mnl_attr_for_each_nested(stat, attr) {
			if (mnl_attr_get_type(stat) != XTCP_A_STAT)
				continue;
			ret = print_stat(stat, r);
			if (ret < 0)
				return ret;
		}
	}
	return found ? MNL_CB_OK : bad_reply(r);
}

static void cmd_stats(struct nl *nl)
{
	struct reply r = { 0 };
	struct nlmsghdr *nlh;

	nlh = nl_request(nl, nl->family, NLM_F_ACK, XTCP_CMD_STATS_GET,
			 XTCP_GENL_VERSION);
	if (nl_transact(nl, nlh, stats_cb, &r) < 0)
		kernel_error(&r);
	kernel_warning(&r);
}

int main(int argc, char **argv)
{
	struct request req = { 0 };
	struct nl nl;

	if (!parse_args(argc, argv, &req)) {
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return 0;
	}

	nl_open(&nl);
	nl_resolve_family(&nl);

	switch (req.op) {
	case OP_LINK_ADD:
	case OP_LINK_DEL:
		cmd_link_change(&nl, &req);
		break;
	case OP_LINK_SHOW:
		cmd_link_show(&nl);
		break;
	case OP_STATS:
		cmd_stats(&nl);
		break;
	}

	mnl_socket_close(nl.sock);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": write error: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
