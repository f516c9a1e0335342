/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the C selftests: network namespaces, the two-namespace
 * veth topology, the XTCP family number, and reads of /proc/net/xtcp,
 * /proc/net/tcp and /proc/net/xtcp_stat inside a namespace.
 *
 * Topology built by xtcp_test_net_setup() (side 0 is the "client", side 1
 * the "server"); each side is either attached to XTCP (xtcpctl link add, no
 * kernel address) or native (ip addr add):
 *
 *   ns[0]                              ns[1]
 *   veth0 192.0.2.1/24 <----veth----> veth1 192.0.2.2/24
 */
#ifndef _XTCP_TEST_H
#define _XTCP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <sys/types.h>

#define XTCP_TEST_ADDR0	"192.0.2.1"
#define XTCP_TEST_ADDR1	"192.0.2.2"
#define XTCP_TEST_NS_LEN	32

/* Linux TCP state numbers, as the st column of /proc/net/tcp shows them */
enum {
	XTCP_TEST_ESTABLISHED = 1,
	XTCP_TEST_SYN_SENT,
	XTCP_TEST_SYN_RECV,
	XTCP_TEST_FIN_WAIT1,
	XTCP_TEST_FIN_WAIT2,
	XTCP_TEST_TIME_WAIT,
	XTCP_TEST_CLOSE,
	XTCP_TEST_CLOSE_WAIT,
	XTCP_TEST_LAST_ACK,
	XTCP_TEST_LISTEN,
	XTCP_TEST_CLOSING,
};

struct xtcp_test_net {
	char ns[2][XTCP_TEST_NS_LEN];
	bool xtcp[2];		/* side attached to XTCP, else native */
	bool created[2];
	bool attached[2];
};

/* The family number in use, or -1 if the module is not loaded. */
int xtcp_test_family(void);
/* XTCP_REQUIRED=1: a missing family is a failure, not a skip. */
bool xtcp_test_required(void);
/*
 * Returns NULL if XTCP can be used, else the reason it cannot (the caller
 * skips, or fails when xtcp_test_required()).
 */
const char *xtcp_test_unavailable(void);
/* Path of tools/xtcpctl: $XTCPCTL, else ../tools/xtcpctl next to us. */
const char *xtcp_test_ctl(void);

/* system() of a formatted command; returns the exit status or -1. */
int xtcp_test_run(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

void xtcp_test_ns_name(char *buf, size_t len, const char *prefix);
int xtcp_test_ns_enter(const char *ns);
void xtcp_test_ns_leave(void);
/* socket() inside namespace ns; family XTCP is spelled -1 here */
int xtcp_test_socket(const char *ns, int family, int type);
int xtcp_test_sock_family(bool xtcp);

/*
 * Topology without fork/exec (a process start costs about a second in the
 * TCG VM): netlink and setns() from this process. Each returns 0 or -1
 * after saying why on stderr.
 *
 * xtcp_test_ns_add: a named namespace, as `ip netns add` makes it
 * (/run/netns/NAME), with lo up and IPv6 off (no stray solicitations).
 * xtcp_test_ns_del: detaches and removes /run/netns/NAME.
 * xtcp_test_veth: DEV0 in NS0 paired with DEV1 in NS1, both up.
 * xtcp_test_attach: `xtcpctl link add dev DEV addr CIDR [gw GW]` in NS.
 * xtcp_test_detach: `xtcpctl link del dev DEV` in NS.
 * xtcp_test_native: `ip addr add CIDR dev DEV` in NS.
 * xtcp_test_rx_csum: `ethtool -K DEV rx on|off` in NS.
 */
int xtcp_test_ns_add(const char *ns);
int xtcp_test_ns_del(const char *ns);
int xtcp_test_veth(const char *ns0, const char *dev0,
		   const char *ns1, const char *dev1);
int xtcp_test_attach(const char *ns, const char *dev, const char *cidr,
		     const char *gw);
int xtcp_test_detach(const char *ns, const char *dev);
int xtcp_test_native(const char *ns, const char *dev, const char *cidr);
int xtcp_test_rx_csum(const char *ns, const char *dev, bool on);
/* `ethtool -K DEV tso on|off` in NS */
int xtcp_test_tso(const char *ns, const char *dev, bool on);
/*
 * An AF_PACKET socket in NS seeing every frame DEV sends and receives
 * (sll_pkttype tells PACKET_OUTGOING from PACKET_HOST), with a receive
 * buffer large enough for a transfer's worth of GSO packets.
 * xtcp_test_capture_drops: frames it missed since the last call, or -1.
 */
int xtcp_test_capture(const char *ns, const char *dev);

struct nlmsghdr;
/*
 * An mnl callback for the reply to CTRL_CMD_GETFAMILY: stores the
 * family's id in the uint16_t at data.
 */
int xtcp_test_genl_family_cb(const struct nlmsghdr *nlh, void *data);
int xtcp_test_capture_drops(int fd);
/*
 * A black hole: a tc ingress filter on DEV in NS dropping every IP packet
 * before the stack there sees it (ARP still passes, so the peer's address
 * resolves: no RST, no ICMP, no unreachable host). 0, or -1 after saying
 * why. xtcp_test_blackhole_dropped: the packets it dropped so far, or -1.
 */
int xtcp_test_blackhole(const char *ns, const char *dev);
long long xtcp_test_blackhole_dropped(const char *ns, const char *dev);

int xtcp_test_net_setup(struct xtcp_test_net *net, const char *prefix,
			bool xtcp0, bool xtcp1);
/*
 * The same topology with side 1 left bare: veth1 is up in ns[1] but has
 * no address, so the host there neither answers ARP nor TCP, and a raw
 * peer on an AF_PACKET socket plays 192.0.2.2 alone.
 */
int xtcp_test_net_setup_bare(struct xtcp_test_net *net, const char *prefix,
			     bool xtcp0);
void xtcp_test_net_cleanup(struct xtcp_test_net *net);

/*
 * The state of a client/server fixture (sock_api.c and others): the
 * topology, the MSL to give back, and the port its servers listen on.
 *
 * xtcp_test_pair_setup: the port from the pid; when either side is XTCP
 * and XTCP cannot be used, sets skip to the reason and returns 1 (the
 * caller skips, or fails when xtcp_test_required()); else msl_ms 200 (the
 * old value kept in old_msl) and xtcp_test_net_setup() with prefix,
 * returning 0, or -1 when the topology cannot be built.
 * xtcp_test_pair_teardown: unless skipped, waits up to timeout_ms for the
 * /proc/net/xtcp of each XTCP side to drain and stores what is left there
 * in left[side] (0 for a native side); then removes the topology and
 * restores msl_ms. net.ns[] still names the namespaces afterwards.
 */
struct xtcp_test_pair {
	struct xtcp_test_net net;
	const char *skip;	/* why the test skips, NULL when it runs */
	int old_msl;		/* msl_ms to restore, -1: none */
	uint16_t port;		/* where the tests' servers listen */
};

int xtcp_test_pair_setup(struct xtcp_test_pair *pair, const char *prefix,
			 bool xtcp0, bool xtcp1);
/* The same with xtcp_test_net_setup_bare() */
int xtcp_test_pair_setup_bare(struct xtcp_test_pair *pair, const char *prefix,
			      bool xtcp0);
void xtcp_test_pair_teardown(struct xtcp_test_pair *pair, int timeout_ms,
			     int left[2]);

void xtcp_test_addr(struct sockaddr_in *sin, const char *ip, uint16_t port);
uint16_t xtcp_test_local_port(int fd);

/*
 * State (the st column) of the socket with these ports in ns, looking in
 * /proc/net/xtcp if xtcp else /proc/net/tcp; 0 when there is none, -1 on
 * error. rport 0 matches any remote port.
 */
int xtcp_test_sk_state(const char *ns, bool xtcp, uint16_t lport,
		       uint16_t rport);
/* Poll until the state is want (0: gone), up to timeout_ms; last seen. */
int xtcp_test_wait_state(const char *ns, bool xtcp, uint16_t lport,
			 uint16_t rport, int want, int timeout_ms);
/*
 * The line of /proc/net/xtcp (xtcp) or /proc/net/tcp with exactly these
 * ports in ns: its state, the time left on its timer in ms (-1 when none
 * runs; a TIME_WAIT entry's is timer 3) and, if inode is not NULL, its
 * socket's inode (0 for a TIME_WAIT entry, which has no socket). Returns
 * 1 when found, 0 when not, -1 on error.
 */
int xtcp_test_sk_timer(const char *ns, bool xtcp, uint16_t lport,
		       uint16_t rport, int *state, long *when_ms,
		       unsigned long *inode);
/* Lines of /proc/net/xtcp (xtcp) or /proc/net/tcp in this state, or -1. */
int xtcp_test_sk_count_state(const char *ns, bool xtcp, int state);
/* Sockets listed in /proc/net/xtcp of ns, or -1. */
int xtcp_test_sk_count(const char *ns);
/* Poll until /proc/net/xtcp of ns is empty; returns what is left. */
int xtcp_test_wait_drained(const char *ns, int timeout_ms);
/* Copies /proc/net/<file> of ns to out, each line prefixed "#   ". */
void xtcp_test_proc_dump(const char *ns, const char *file, FILE *out);
/* The same for "NAME VALUE" lines whose value is not 0 */
void xtcp_test_proc_dump_nonzero(const char *ns, const char *file, FILE *out);
/* A counter of /proc/net/xtcp_stat in ns, or -1. */
long long xtcp_test_counter(const char *ns, const char *name);

/* A TcpExt counter of /proc/net/netstat in ns (native TCP), or -1. */
long long xtcp_test_netstat(const char *ns, const char *name);
/*
 * A counter of /proc/net/snmp in ns, by protocol and name ("Tcp",
 * "InCsumErrors" is nstat's TcpInCsumErrors), or -1.
 */
long long xtcp_test_snmp(const char *ns, const char *proto, const char *name);

/*
 * An integer file (a sysctl, a module parameter): writes val when it is
 * >= 0 and returns it, else returns what the file holds; -1 on error.
 */
int xtcp_test_int_file(const char *path, int val);
/*
 * Three numbers from f (tcp_rmem, tcp_mem and their like), which it
 * closes; f may be NULL (a failed fopen()). 0, or -1.
 */
int xtcp_test_read_triple(FILE *f, long v[3]);
/* /sys/module/xtcp/parameters/msl_ms: read, or write when ms >= 0 */
int xtcp_test_msl(int ms);

void xtcp_test_msleep(int ms);
long long xtcp_test_now_ms(void);

/*
 * Deterministic bytes (xorshift64*): the same seed gives the same stream
 * whatever the sizes of the pieces it is drawn in.
 */
struct xtcp_test_prng {
	uint64_t x;
	uint64_t word;
	unsigned int left;	/* bytes of word not handed out yet */
};

void xtcp_test_prng_init(struct xtcp_test_prng *p, uint64_t seed);
void xtcp_test_fill(struct xtcp_test_prng *p, void *buf, size_t len);

/*
 * Internet checksums in host order (RFC 1071): fold, add bytes, and the
 * TCP checksum over the IPv4 pseudo-header; 0 means a segment checks out.
 */
struct iphdr;
uint16_t xtcp_test_csum_fold(uint32_t sum);
uint32_t xtcp_test_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t xtcp_test_tcp_csum(const struct iphdr *ip, const void *tcp,
			    size_t len);

/*
 * A raw peer on an AF_PACKET socket (raw_inject.c, rcv_edge.c).
 *
 * xtcp_test_mac: the MAC address of DEV in NS, and its ifindex if asked.
 * xtcp_test_packet_socket: an AF_PACKET socket in NS bound to the device
 * for every protocol; with outgoing false it does not see the frames the
 * host itself sends there (PACKET_IGNORE_OUTGOING).
 * xtcp_test_packet_send: one frame out of the device, to its Ethernet
 * destination.
 * xtcp_test_tcp_frame: an Ethernet + IPv4 + TCP frame (DF, TTL 64, no IP
 * options) with both checksums right, into f of size bytes; returns its
 * length, 0 if it does not fit. Addresses are in network order, ports
 * and numbers in host order, flags are TH_* of netinet/tcp.h.
 * xtcp_test_ip_csum: recomputes the IPv4 header checksum, for a frame a
 * test altered.
 */
struct xtcp_test_seg {
	unsigned char dmac[6], smac[6];
	in_addr_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t window;
	const void *opts;	/* optlen bytes, a multiple of 4 */
	size_t optlen;
	const void *data;
	size_t len;
};

int xtcp_test_mac(const char *ns, const char *dev, unsigned char *mac,
		  int *ifindex);
int xtcp_test_packet_socket(const char *ns, int ifindex, bool outgoing);
ssize_t xtcp_test_packet_send(int fd, int ifindex, const void *frame,
			      size_t len);
size_t xtcp_test_tcp_frame(unsigned char *f, size_t size,
			   const struct xtcp_test_seg *seg);
void xtcp_test_ip_csum(struct iphdr *ip);

/*
 * TCP options for a raw peer. xtcp_test_tcp_opts parses the len bytes
 * of options at opts (RFC 9293 3.2: NOP, EOL, kind-length) for the
 * timestamp (RFC 7323) and SACK blocks (RFC 2018), in host order.
 * xtcp_test_ts_opt writes NOP NOP TS, 12 bytes, at buf.
 * xtcp_test_get32 and xtcp_test_put32: a 32-bit field in network order.
 */
struct xtcp_test_opts {
	bool ts;
	uint32_t tsval, tsecr;
	unsigned int nsacks;
	uint32_t sacks[4][2];	/* [start, end) */
};

void xtcp_test_tcp_opts(const void *opts, size_t len,
			struct xtcp_test_opts *o);
size_t xtcp_test_ts_opt(unsigned char *buf, uint32_t tsval, uint32_t tsecr);
uint32_t xtcp_test_get32(const void *p);
void xtcp_test_put32(void *p, uint32_t v);

/*
 * XTCP_TIMEOUT_SCALE=N (default 1) stretches the harness's per-test
 * timeouts and the helpers' waits, for kernels that run much slower than
 * the stock one (KASAN and lockdep under TCG). It never shortens them.
 */
int xtcp_test_timeout_scale(void);

#ifdef TEST_HARNESS_MAIN
/* TEST_HARNESS_MAIN with every test's timeout scaled */
#define XTCP_HARNESS_MAIN						\
	static void __attribute__((constructor))			\
	__constructor_order_last(void)					\
	{								\
		if (!__constructor_order)				\
			__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD; \
	}								\
	int main(int argc, char **argv)					\
	{								\
		int scale = xtcp_test_timeout_scale();			\
		struct __fixture_metadata *f;				\
		struct __test_metadata *t;				\
									\
		for (f = __fixture_list; f; f = f->next)		\
			for (t = f->tests; t; t = t->next)		\
				t->timeout *= scale;			\
		return test_harness_run(argc, argv);			\
	}
#endif

#endif /* _XTCP_TEST_H */
