// SPDX-License-Identifier: GPL-2.0
/*
 * SYN floods and SYN cookies (issue 14, "SYN flood"; RFC 4987).
 *
 *   ns[0]: the legitimate client on veth0      ns[1]: the listener on veth1
 *          192.0.2.1 (XTCP or native), and            192.0.2.2 (XTCP or
 *          the flooder: an AF_PACKET socket           native), its off-link
 *          on veth0; 192.0.2.1 is also the            routes via 192.0.2.1
 *          listener's gateway
 *
 * synflood.flood: the flooder sends FLOOD_SYNS SYNs as fast as it can,
 * from random sources in 198.18.0.0/15 (RFC 2544's benchmark range,
 * nobody's) and random ports, at a listener with a backlog of BACKLOG;
 * once its SYN queue is full, the client connects NCONNECTS times, each
 * with CONNECT_MS to connect, send a byte and read the echo. At least
 * 99 must succeed, the listener must have sent cookies, and every
 * connect made while its SYN queue was full must have come through a
 * cookie (SyncookiesRecv). Both variants' figures are printed: the SYN
 * rate and the success rate.
 *
 * Where the SYN-ACKs to the spoofed sources go: the sources are off-link,
 * so the listener sends them all to its gateway, 192.0.2.1, whose
 * address it resolves once, and re-verifies each time the entry's
 * 30 s of REACHABLE run out (XTCP_ARP_REACHABLE_TIME; on the debug
 * kernel the flood lasts minutes); nothing asks ARP for 100,000 addresses
 * (same-subnet sources would make XTCP, as Linux, resolve each one, and
 * fill its ARP table with failures). The gateway drops them: XTCP on
 * veth0 as DropIpOtherHost, native IPv4 as a packet to forward with
 * forwarding off. The XTCP listener must send next to no ARP requests
 * and drop nothing for want of a route or a neighbour.
 *
 * Why the flood must fail without cookies: the spoofed SYNs fill the
 * SYN queue within a millisecond of the flood's start, their requests
 * live as long as their SYN-ACKs are resent (63 s for XTCP), and every
 * legitimate SYN meanwhile finds the queue full and is dropped. The
 * unmodified module fails here. Linux expires old requests sooner when
 * its queue is over half full (reqsk_timer_handler()), so with the
 * flood over, some of the tcp_tcp connects find room and go through a
 * request instead: that variant asserts that cookies were sent and
 * received, the count of each is printed.
 *
 * synflood.handshake: syncookies=2 (tcp_syncookies=2 for native): every
 * SYN gets a cookie; the connection's MSS (1460 is in the cookie's
 * table: 1448 with timestamps), window scale, SACK and timestamps must
 * survive on both ends (TCP_INFO), and XFER_LEN bytes go each way with
 * their SHA-256 checked.
 *
 * cookie.forged: a raw peer on veth0 sends a SYN to a listener with
 * syncookies=2 and gets the cookie SYN-ACK; an ACK with a wrong cookie
 * counts in SyncookiesFailed and is answered with a RST (SEQ = its ACK),
 * as Linux's cookie_v4_check() failing leaves the ACK to the listener,
 * which resets it; the right ACK then makes an established child, whose
 * options (MSS 1448, the peer's window scale 7, SACK, timestamps) come
 * from the cookie and the TSval it made. tc drops every IP packet into
 * ns[0]'s stack, so that it sends no RST of its own.
 *
 * Figures on the stock kernel under TCG (2 vCPUs): the flooder sends
 * 46,000-51,000 SYNs/s at XTCP and 35,000/s at native TCP; every one
 * of the 100 connects succeeds in both (within about 100 ms, all while
 * the flood runs), each through a cookie; the XTCP listener sends one
 * ARP request in all.
 *
 * Determinism: the flood's sources, ports and sequence numbers come from
 * a seed printed at the start (XTCP_SYNFLOOD_SEED replays it); its rate
 * and how many legitimate connects overlap it depend on timing. The
 * other tests are deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/evp.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PORT		5590
#define BACKLOG		128
#define FLOOD_SYNS	100000
#define NCONNECTS	100
#define MIN_OK		99
#define CONNECT_MS	3000
#define GATEWAY		XTCP_TEST_ADDR0
#define SPOOF_NET	0xc6120000u	/* 198.18.0.0/15 */
#define SPOOF_BITS	17
#define XFER_LEN	(256U << 10)
#define FRAME_MAX	128
#define COOKIES_PARAM	"/sys/module/xtcp/parameters/syncookies"
#define NATIVE_SYSCTL	"/proc/sys/net/ipv4/tcp_syncookies"
#define ALL_OPTS	(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE)

static long long deadline(int ms)
{
	return xtcp_test_now_ms() + (long long)ms * xtcp_test_timeout_scale();
}

static int left_ms(long long end)
{
	long long l = end - xtcp_test_now_ms();

	return l > 0 ? (int)l : 0;
}

/* a per-netns sysctl of ns: write val, or read it when val < 0 */
static int ns_int_file(const char *ns, const char *path, int val)
{
	int ret;

	if (xtcp_test_ns_enter(ns))
		return -1;
	ret = xtcp_test_int_file(path, val);
	xtcp_test_ns_leave();
	return ret;
}

/* a counter of the listener's stack: XTCP's, or native TcpExt */
static long long counter(const char *ns, bool xtcp, const char *name)
{
	return xtcp ? xtcp_test_counter(ns, name) : xtcp_test_netstat(ns, name);
}

/*
 * The listener's syncookies setting: the module parameter for XTCP
 * (whose old value *old keeps, -1: none yet), the netns's sysctl for
 * native TCP (a fresh netns each test: nothing to restore).
 */
static int set_cookies(const char *ns, bool xtcp, int mode, int *old)
{
	if (!xtcp)
		return ns_int_file(ns, NATIVE_SYSCTL, mode) == mode ? 0 : -1;
	if (*old < 0)
		*old = xtcp_test_int_file(COOKIES_PARAM, -1);
	if (*old < 0)
		return -1;
	return xtcp_test_int_file(COOKIES_PARAM, mode) == mode ? 0 : -1;
}

static int listen_on(const char *ns, bool xtcp, int backlog)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	fd = xtcp_test_socket(ns, xtcp_test_sock_family(xtcp), SOCK_STREAM);
	if (fd < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- the echo server ------------------------------------------------- */

struct echo_server {
	int lfd;
	volatile int stop;
	int echoed;
	pthread_t thread;
};

/* accepts and echoes one byte per connection, one at a time, until stop */
static void *echo_main(void *arg)
{
	struct echo_server *es = arg;
	struct pollfd pfd = { .fd = es->lfd, .events = POLLIN };

	while (!es->stop) {
		struct timeval tv = { .tv_sec = 5 * xtcp_test_timeout_scale() };
		char c;
		int fd;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fd = accept(es->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (recv(fd, &c, 1, 0) == 1 && send(fd, &c, 1, 0) == 1)
			es->echoed++;
		close(fd);
	}
	return NULL;
}

/* --- the flooder ----------------------------------------------------- */

struct flooder {
	int fd;
	int ifindex;
	unsigned char dmac[6], smac[6];
	uint64_t seed;
	long n;
	long sent;
	long errors;
	long long t0, t1;		/* ms, first and last send */
	pthread_t thread;
};

static uint32_t rnd32(struct xtcp_test_prng *p)
{
	uint32_t v;

	xtcp_test_fill(p, &v, sizeof(v));
	return v;
}

static void *flood_main(void *arg)
{
	/* MSS 1460: what a real client's SYN offers at the least */
	static const unsigned char mss_opt[4] = { 2, 4, 0x05, 0xb4 };
	struct flooder *f = arg;
	struct xtcp_test_seg seg = {
		.daddr = inet_addr(XTCP_TEST_ADDR1),
		.dport = PORT,
		.flags = TH_SYN,
		.window = 64240,
		.opts = mss_opt,
		.optlen = sizeof(mss_opt),
	};
	unsigned char frame[FRAME_MAX];
	struct xtcp_test_prng p;
	size_t len;
	long i;

	memcpy(seg.dmac, f->dmac, 6);
	memcpy(seg.smac, f->smac, 6);
	xtcp_test_prng_init(&p, f->seed);
	f->t0 = xtcp_test_now_ms();
	for (i = 0; i < f->n; i++) {
		seg.saddr = htonl(SPOOF_NET |
				  (rnd32(&p) & ((1u << SPOOF_BITS) - 1)));
		seg.sport = (uint16_t)(1024 + rnd32(&p) % 64512);
		seg.seq = rnd32(&p);
		len = xtcp_test_tcp_frame(frame, sizeof(frame), &seg);
		if (xtcp_test_packet_send(f->fd, f->ifindex, frame, len) ==
		    (ssize_t)len)
			f->sent++;
		else
			f->errors++;
	}
	f->t1 = xtcp_test_now_ms();
	return NULL;
}

static uint64_t flood_seed(void)
{
	const char *v = getenv("XTCP_SYNFLOOD_SEED");

	if (v && *v)
		return strtoull(v, NULL, 0);
	return (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
}

/* --- the legitimate client ------------------------------------------- */

/*
 * connect, send one byte, read it back, all within CONNECT_MS (scaled);
 * 0 or the errno of what failed (ETIMEDOUT when time ran out)
 */
static int legit_connect(const char *ns, bool xtcp, char byte)
{
	long long end = deadline(CONNECT_MS);
	struct sockaddr_in sin;
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err = 0;
	char c;

	fd = xtcp_test_socket(ns, xtcp_test_sock_family(xtcp), SOCK_STREAM);
	if (fd < 0)
		return errno;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, left_ms(end)) != 1) {
		err = ETIMEDOUT;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err)
		goto out;
	if (send(fd, &byte, 1, 0) != 1) {
		err = errno;
		goto out;
	}
	pfd.events = POLLIN;
	if (poll(&pfd, 1, left_ms(end)) != 1) {
		err = ETIMEDOUT;
		goto out;
	}
	if (recv(fd, &c, 1, 0) != 1)
		err = errno ? errno : EPIPE;
	else if (c != byte)
		err = EBADMSG;
out:
	close(fd);
	return err;
}

/* --- fixture: a client and a listener -------------------------------- */

FIXTURE(synflood) {
	struct xtcp_test_pair pair;
	int old_cookies;		/* the module parameter to restore */
	int lfd;
};

FIXTURE_VARIANT(synflood) {
	bool client_xtcp;
	bool server_xtcp;
};

FIXTURE_VARIANT_ADD(synflood, xtcp_xtcp) {
	.client_xtcp = true, .server_xtcp = true
};

FIXTURE_VARIANT_ADD(synflood, tcp_xtcp) {
	.client_xtcp = false, .server_xtcp = true
};

FIXTURE_VARIANT_ADD(synflood, tcp_tcp) {
	.client_xtcp = false, .server_xtcp = false
};

FIXTURE_SETUP(synflood)
{
	const char *ns1;

	self->old_cookies = -1;
	self->lfd = -1;
	XTCP_PAIR_SETUP("xtcp-sf", variant->client_xtcp, variant->server_xtcp);
	ns1 = self->pair.net.ns[1];
	/* the listener reaches 198.18.0.0/15 through 192.0.2.1 */
	if (variant->server_xtcp) {
		ASSERT_EQ(0, xtcp_test_detach(ns1, "veth1"));
		self->pair.net.attached[1] = false;
		ASSERT_EQ(0, xtcp_test_attach(ns1, "veth1",
					      XTCP_TEST_ADDR1 "/24", GATEWAY));
		self->pair.net.attached[1] = true;
	} else {
		ASSERT_EQ(0, xtcp_test_run("ip -n %s route add 198.18.0.0/15 via %s",
					   ns1, GATEWAY));
	}
}

FIXTURE_TEARDOWN(synflood)
{
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->old_cookies >= 0)
		xtcp_test_int_file(COOKIES_PARAM, self->old_cookies);
	XTCP_PAIR_TEARDOWN(20000);
}

TEST_F_TIMEOUT(synflood, flood, 300)
{
	const char *ns0 = self->pair.net.ns[0], *ns1 = self->pair.net.ns[1];
	bool sx = variant->server_xtcp;
	long long sent0, recv0, fail0, arp0 = 0, arpfail0 = 0, noroute0 = 0;
	long long t_arp0 = 0;
	long long sent1, recv1, fail1, t_loop0, t_loop1, end;
	struct echo_server es = { 0 };
	struct flooder fl = { 0 };
	int i, ok = 0, failed = 0, err, q0, q1, first_err = 0;
	double rate;

	if (self->pair.skip)
		SKIP(return, "%s", self->pair.skip);
	/* a module without the parameter still meets the flood */
	if (set_cookies(ns1, sx, 1, &self->old_cookies)) {
		ASSERT_TRUE(sx);
		TH_LOG("no syncookies parameter: flooding the module as it is");
	}
	self->lfd = listen_on(ns1, sx, BACKLOG);
	ASSERT_LE(0, self->lfd);

	/* the flooder: veth0's MAC to veth1's, from ns[0] */
	ASSERT_EQ(0, xtcp_test_mac(ns1, "veth1", fl.dmac, NULL));
	ASSERT_EQ(0, xtcp_test_mac(ns0, "veth0", fl.smac, &fl.ifindex));
	fl.fd = xtcp_test_packet_socket(ns0, fl.ifindex, false);
	ASSERT_LE(0, fl.fd);
	fl.seed = flood_seed();
	fl.n = FLOOD_SYNS;
	TH_LOG("flood seed %" PRIu64 " (XTCP_SYNFLOOD_SEED replays it)",
	       fl.seed);

	sent0 = counter(ns1, sx, "SyncookiesSent");
	recv0 = counter(ns1, sx, "SyncookiesRecv");
	fail0 = counter(ns1, sx, "SyncookiesFailed");
	if (sx) {
		arp0 = xtcp_test_counter(ns1, "OutArpRequests");
		t_arp0 = xtcp_test_now_ms();
		arpfail0 = xtcp_test_counter(ns1, "DropArpFailed") +
			   xtcp_test_counter(ns1, "DropArpQueueFull");
		noroute0 = xtcp_test_counter(ns1, "DropNoRoute");
	}

	es.lfd = self->lfd;
	ASSERT_EQ(0, pthread_create(&es.thread, NULL, echo_main, &es));
	ASSERT_EQ(0, pthread_create(&fl.thread, NULL, flood_main, &fl));

	/* the spoofed requests fill the SYN queue */
	end = deadline(20000);
	do {
		q0 = xtcp_test_sk_count_state(ns1, sx, XTCP_TEST_SYN_RECV);
		if (q0 >= BACKLOG)
			break;
		xtcp_test_msleep(5);
	} while (xtcp_test_now_ms() < end);

	t_loop0 = xtcp_test_now_ms();
	for (i = 0; i < NCONNECTS; i++) {
		err = legit_connect(ns0, variant->client_xtcp, (char)('A' + i % 26));
		if (!err) {
			ok++;
			continue;
		}
		if (!first_err)
			first_err = err;
		/* two failures fail the test: don't wait out the rest */
		if (++failed > NCONNECTS - MIN_OK)
			break;
	}
	t_loop1 = xtcp_test_now_ms();
	q1 = xtcp_test_sk_count_state(ns1, sx, XTCP_TEST_SYN_RECV);

	pthread_join(fl.thread, NULL);
	es.stop = 1;
	pthread_join(es.thread, NULL);
	close(fl.fd);

	sent1 = counter(ns1, sx, "SyncookiesSent");
	recv1 = counter(ns1, sx, "SyncookiesRecv");
	fail1 = counter(ns1, sx, "SyncookiesFailed");
	rate = fl.t1 > fl.t0 ? fl.sent * 1000.0 / (double)(fl.t1 - fl.t0) : 0;
	printf("# flood: %ld SYNs sent (%ld send errors) in %lld ms: %.0f SYNs/s\n",
	       fl.sent, fl.errors, fl.t1 - fl.t0, rate);
	printf("# legitimate: %d/%d connects succeeded in %lld ms (%.1f%%), first error %s; echoed %d\n",
	       ok, i < NCONNECTS ? i + 1 : NCONNECTS, t_loop1 - t_loop0,
	       100.0 * ok / NCONNECTS, first_err ? strerror(first_err) : "none",
	       es.echoed);
	printf("# SYN queue %d before the connects, %d after; flood ended %lld ms after the first connect\n",
	       q0, q1, fl.t1 - t_loop0);
	printf("# SyncookiesSent %lld SyncookiesRecv %lld SyncookiesFailed %lld\n",
	       sent1 - sent0, recv1 - recv0, fail1 - fail0);
	if (sx) {
		printf("# ListenDrops %lld TCPReqQFullDrop %lld OutArpRequests %lld InSegs %lld\n",
		       xtcp_test_counter(ns1, "ListenDrops"),
		       xtcp_test_counter(ns1, "TCPReqQFullDrop"),
		       xtcp_test_counter(ns1, "OutArpRequests") - arp0,
		       xtcp_test_counter(ns1, "InSegs"));
	} else {
		printf("# ListenDrops %lld TCPReqQFullDrop %lld TCPReqQFullDoCookies %lld InSegs %lld\n",
		       xtcp_test_netstat(ns1, "ListenDrops"),
		       xtcp_test_netstat(ns1, "TCPReqQFullDrop"),
		       xtcp_test_netstat(ns1, "TCPReqQFullDoCookies"),
		       xtcp_test_snmp(ns1, "Tcp", "InSegs"));
	}

	EXPECT_EQ(FLOOD_SYNS, fl.sent);
	ASSERT_LE(BACKLOG, q0) TH_LOG("the flood never filled the SYN queue");
	ASSERT_LE(MIN_OK, ok);
	ASSERT_LE(0, sent0);
	ASSERT_LT(0, sent1 - sent0);
	ASSERT_LT(0, recv1 - recv0);
	/*
	 * Every XTCP request the flood queued lives 63 s and none is
	 * answered: with the queue as full after the connects as before
	 * them, and the connects over well within that time, every one went
	 * through a cookie.
	 */
	if (sx && q1 >= BACKLOG && t_loop1 - t_loop0 < 60000)
		ASSERT_LE(ok, recv1 - recv0);
	if (sx) {
		/*
		 * the gateway's resolution, and one check of it each 30 s
		 * it stays in use; no failures
		 */
		EXPECT_GE(2 + (xtcp_test_now_ms() - t_arp0) / 30000,
			  xtcp_test_counter(ns1, "OutArpRequests") - arp0);
		EXPECT_EQ(arpfail0, xtcp_test_counter(ns1, "DropArpFailed") +
				    xtcp_test_counter(ns1, "DropArpQueueFull"));
		EXPECT_EQ(noroute0, xtcp_test_counter(ns1, "DropNoRoute"));
	}
}

/* the whole struct tcp_info of fd; 0 or -1 */
static int get_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, SOL_TCP, TCP_INFO, ti, &len);
}

/* len deterministic bytes out of fd, their SHA-256 into md */
static int send_stream(int fd, uint64_t seed, size_t len, unsigned char *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct xtcp_test_prng p;
	unsigned char buf[16384];
	size_t n, off;
	ssize_t w;

	xtcp_test_prng_init(&p, seed);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (len) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		xtcp_test_fill(&p, buf, n);
		EVP_DigestUpdate(ctx, buf, n);
		for (off = 0; off < n; off += (size_t)w) {
			w = send(fd, buf + off, n - off, 0);
			if (w <= 0) {
				EVP_MD_CTX_free(ctx);
				return -1;
			}
		}
		len -= n;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	return 0;
}

/* len bytes from fd, their SHA-256 into md */
static int recv_stream(int fd, size_t len, unsigned char *md)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[16384];
	ssize_t r;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (len) {
		r = recv(fd, buf, len < sizeof(buf) ? len : sizeof(buf), 0);
		if (r <= 0) {
			EVP_MD_CTX_free(ctx);
			return -1;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)r);
		len -= (size_t)r;
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	return 0;
}

struct peer_io {
	int fd;
	uint64_t seed;
	int ret;
	unsigned char md[32];
	pthread_t thread;
};

static void *sender_main(void *arg)
{
	struct peer_io *io = arg;

	io->ret = send_stream(io->fd, io->seed, XFER_LEN, io->md);
	return NULL;
}

TEST_F_TIMEOUT(synflood, handshake, 120)
{
	const char *ns0 = self->pair.net.ns[0], *ns1 = self->pair.net.ns[1];
	bool sx = variant->server_xtcp;
	unsigned char c_md[32], s_md[32];
	struct timeval tv = { .tv_sec = 20 * xtcp_test_timeout_scale() };
	struct peer_io cs = { 0 }, ss = { 0 };
	long long sent0, recv0, sent1, recv1;
	struct tcp_info ci, si;
	struct sockaddr_in sin;
	int cfd, sfd;

	if (self->pair.skip)
		SKIP(return, "%s", self->pair.skip);
	ASSERT_EQ(0, set_cookies(ns1, sx, 2, &self->old_cookies));
	self->lfd = listen_on(ns1, sx, BACKLOG);
	ASSERT_LE(0, self->lfd);
	sent0 = counter(ns1, sx, "SyncookiesSent");
	recv0 = counter(ns1, sx, "SyncookiesRecv");

	cfd = xtcp_test_socket(ns0, xtcp_test_sock_family(variant->client_xtcp),
			       SOCK_STREAM);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setsockopt(cfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, PORT);
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sin, sizeof(sin)));
	sfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, setsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setsockopt(sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));

	sent1 = counter(ns1, sx, "SyncookiesSent");
	recv1 = counter(ns1, sx, "SyncookiesRecv");
	EXPECT_EQ(1, sent1 - sent0);
	EXPECT_EQ(1, recv1 - recv0);

	/* both ways at once, each end's reader in this thread */
	cs.fd = cfd;
	cs.seed = 14;
	ss.fd = sfd;
	ss.seed = 41;
	ASSERT_EQ(0, pthread_create(&cs.thread, NULL, sender_main, &cs));
	ASSERT_EQ(0, pthread_create(&ss.thread, NULL, sender_main, &ss));
	EXPECT_EQ(0, recv_stream(sfd, XFER_LEN, s_md));
	EXPECT_EQ(0, recv_stream(cfd, XFER_LEN, c_md));
	pthread_join(cs.thread, NULL);
	pthread_join(ss.thread, NULL);
	ASSERT_EQ(0, cs.ret);
	ASSERT_EQ(0, ss.ret);
	EXPECT_EQ(0, memcmp(cs.md, s_md, sizeof(s_md)));
	EXPECT_EQ(0, memcmp(ss.md, c_md, sizeof(c_md)));

	ASSERT_EQ(0, get_info(cfd, &ci));
	ASSERT_EQ(0, get_info(sfd, &si));
	TH_LOG("client: options %#x wscale %u/%u mss %u; server: options %#x wscale %u/%u mss %u",
	       ci.tcpi_options, ci.tcpi_snd_wscale, ci.tcpi_rcv_wscale,
	       ci.tcpi_snd_mss, si.tcpi_options, si.tcpi_snd_wscale,
	       si.tcpi_rcv_wscale, si.tcpi_snd_mss);
	EXPECT_EQ(ALL_OPTS, ci.tcpi_options & ALL_OPTS);
	EXPECT_EQ(ALL_OPTS, si.tcpi_options & ALL_OPTS);
	/* each end's send scale is the other's receive scale */
	EXPECT_EQ((int)ci.tcpi_snd_wscale, (int)si.tcpi_rcv_wscale);
	EXPECT_EQ((int)si.tcpi_snd_wscale, (int)ci.tcpi_rcv_wscale);
	EXPECT_LT(0, (int)si.tcpi_snd_wscale);
	EXPECT_LT(0, (int)ci.tcpi_snd_wscale);
	/* 1460 is in the cookie's table: both send 1460 less the timestamp */
	EXPECT_EQ(1448U, si.tcpi_snd_mss);
	EXPECT_EQ(1448U, ci.tcpi_snd_mss);
	close(cfd);
	close(sfd);
}

/* --- fixture: a raw peer and a listener ------------------------------ */

FIXTURE(cookie) {
	struct xtcp_test_pair pair;
	int old_cookies;
	int lfd, raw;
	int ifindex;
	unsigned char pmac[6], lmac[6];
};

FIXTURE_VARIANT(cookie) {
	bool server_xtcp;
};

FIXTURE_VARIANT_ADD(cookie, xtcp) {
	.server_xtcp = true
};

FIXTURE_VARIANT_ADD(cookie, tcp) {
	.server_xtcp = false
};

FIXTURE_SETUP(cookie)
{
	self->old_cookies = -1;
	self->lfd = self->raw = -1;
	XTCP_PAIR_SETUP("xtcp-ck", false, variant->server_xtcp);
	/* ns[0] answers ARP for the raw peer but must not answer its TCP */
	ASSERT_EQ(0, xtcp_test_blackhole(self->pair.net.ns[0], "veth0"));
}

FIXTURE_TEARDOWN(cookie)
{
	if (self->raw >= 0)
		close(self->raw);
	if (self->lfd >= 0)
		close(self->lfd);
	if (self->old_cookies >= 0)
		xtcp_test_int_file(COOKIES_PARAM, self->old_cookies);
	XTCP_PAIR_TEARDOWN(20000);
}

#define RAW_PORT	40014
#define RAW_ISN		0x14000000u
#define RAW_TSVAL	1000000u

/* a segment from the raw peer to the listener */
static void raw_send(struct __test_metadata *_metadata,
		     FIXTURE_DATA(cookie) *self, uint8_t flags, uint32_t seq,
		     uint32_t ack, const void *opts, size_t optlen,
		     const void *data, size_t len)
{
	struct xtcp_test_seg seg = {
		.saddr = inet_addr(XTCP_TEST_ADDR0),
		.daddr = inet_addr(XTCP_TEST_ADDR1),
		.sport = RAW_PORT,
		.dport = PORT,
		.seq = seq,
		.ack = ack,
		.flags = flags,
		.window = 1000,
		.opts = opts,
		.optlen = optlen,
		.data = data,
		.len = len,
	};
	unsigned char frame[FRAME_MAX];
	size_t flen;

	memcpy(seg.dmac, self->lmac, 6);
	memcpy(seg.smac, self->pmac, 6);
	flen = xtcp_test_tcp_frame(frame, sizeof(frame), &seg);
	ASSERT_LT(0U, flen);
	ASSERT_EQ((ssize_t)flen, xtcp_test_packet_send(self->raw, self->ifindex,
							frame, flen));
}

/*
 * The next segment from the listener to the raw peer: its header into
 * th and its options parsed into o; 0, or -1 when none came in time.
 */
static int raw_recv(FIXTURE_DATA(cookie) *self, struct tcphdr *th,
		    struct xtcp_test_opts *o, int ms)
{
	long long end = deadline(ms);
	unsigned char buf[2048];
	struct pollfd pfd = { .fd = self->raw, .events = POLLIN };

	while (poll(&pfd, 1, left_ms(end)) == 1) {
		ssize_t n = recv(self->raw, buf, sizeof(buf), 0);
		const struct iphdr *ip = (const void *)(buf + ETH_HLEN);
		const struct tcphdr *t;

		if (n < (ssize_t)(ETH_HLEN + sizeof(*ip) + sizeof(*t)) ||
		    ntohs(((const struct ether_header *)buf)->ether_type) !=
		    ETHERTYPE_IP || ip->protocol != IPPROTO_TCP)
			continue;
		t = (const void *)((const unsigned char *)ip + ip->ihl * 4);
		if (ntohs(t->source) != PORT || ntohs(t->dest) != RAW_PORT)
			continue;
		memcpy(th, t, sizeof(*th));
		xtcp_test_tcp_opts(t + 1, t->doff * 4u - sizeof(*t), o);
		return 0;
	}
	return -1;
}

TEST_F_TIMEOUT(cookie, forged, 90)
{
	const char *ns0 = self->pair.net.ns[0], *ns1 = self->pair.net.ns[1];
	bool sx = variant->server_xtcp;
	/* MSS 1460, SACK-permitted + TS, NOP + window scale 7 */
	unsigned char syn_opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10 };
	unsigned char ack_opts[12];
	long long fail0, recv0, rst0 = 0;
	struct xtcp_test_opts o;
	struct tcphdr th;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct tcp_info ti;
	uint32_t cookie, synack_ts;
	struct pollfd pfd;
	char buf[8];
	int cfd;

	if (self->pair.skip)
		SKIP(return, "%s", self->pair.skip);
	xtcp_test_put32(syn_opts + 8, RAW_TSVAL);
	syn_opts[16] = 1;
	syn_opts[17] = 3;
	syn_opts[18] = 3;
	syn_opts[19] = 7;
	ASSERT_EQ(0, set_cookies(ns1, sx, 2, &self->old_cookies));
	self->lfd = listen_on(ns1, sx, BACKLOG);
	ASSERT_LE(0, self->lfd);
	ASSERT_EQ(0, xtcp_test_mac(ns1, "veth1", self->lmac, NULL));
	ASSERT_EQ(0, xtcp_test_mac(ns0, "veth0", self->pmac, &self->ifindex));
	self->raw = xtcp_test_packet_socket(ns0, self->ifindex, false);
	ASSERT_LE(0, self->raw);
	fail0 = counter(ns1, sx, "SyncookiesFailed");
	recv0 = counter(ns1, sx, "SyncookiesRecv");
	if (sx)
		rst0 = xtcp_test_counter(ns1, "RstListenAck");

	raw_send(_metadata, self, TH_SYN, RAW_ISN, 0, syn_opts,
		 sizeof(syn_opts), NULL, 0);
	ASSERT_EQ(0, raw_recv(self, &th, &o, 5000));
	ASSERT_EQ(TH_SYN | TH_ACK, th.th_flags);
	ASSERT_EQ(RAW_ISN + 1, ntohl(th.ack_seq));
	ASSERT_TRUE(o.ts);
	ASSERT_EQ(RAW_TSVAL, o.tsecr);
	cookie = ntohl(th.seq);
	synack_ts = o.tsval;
	/* nothing is queued for a cookie */
	EXPECT_EQ(0, xtcp_test_sk_count_state(ns1, sx, XTCP_TEST_SYN_RECV));

	/* a wrong cookie: a RST with SEQ = its ACK, and no child */
	xtcp_test_ts_opt(ack_opts, RAW_TSVAL + 1, synack_ts);
	raw_send(_metadata, self, TH_ACK, RAW_ISN + 1, cookie + 1 + 0x5a5a,
		 ack_opts, sizeof(ack_opts), NULL, 0);
	ASSERT_EQ(0, raw_recv(self, &th, &o, 5000));
	EXPECT_EQ(TH_RST, th.th_flags & (TH_RST | TH_SYN));
	EXPECT_EQ(cookie + 1 + 0x5a5a, ntohl(th.seq));
	EXPECT_EQ(fail0 + 1, counter(ns1, sx, "SyncookiesFailed"));
	EXPECT_EQ(recv0, counter(ns1, sx, "SyncookiesRecv"));
	if (sx)
		EXPECT_EQ(rst0 + 1, xtcp_test_counter(ns1, "RstListenAck"));
	pfd.fd = self->lfd;
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 200));

	/* the right one, with data: an established child from the cookie */
	raw_send(_metadata, self, TH_ACK | TH_PUSH, RAW_ISN + 1, cookie + 1,
		 ack_opts, sizeof(ack_opts), "cookie", 6);
	ASSERT_EQ(1, poll(&pfd, 1, 5000 * xtcp_test_timeout_scale()));
	EXPECT_EQ(recv0 + 1, counter(ns1, sx, "SyncookiesRecv"));
	EXPECT_EQ(fail0 + 1, counter(ns1, sx, "SyncookiesFailed"));
	cfd = accept(self->lfd, NULL, NULL);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(6, recv(cfd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(0, memcmp(buf, "cookie", 6));
	ASSERT_EQ(0, get_info(cfd, &ti));
	TH_LOG("child: state %u options %#x wscale %u/%u mss %u",
	       ti.tcpi_state, ti.tcpi_options, ti.tcpi_snd_wscale,
	       ti.tcpi_rcv_wscale, ti.tcpi_snd_mss);
	EXPECT_EQ(XTCP_TEST_ESTABLISHED, ti.tcpi_state);
	EXPECT_EQ(ALL_OPTS, ti.tcpi_options & ALL_OPTS);
	EXPECT_EQ(7, (int)ti.tcpi_snd_wscale);
	EXPECT_EQ(1448U, ti.tcpi_snd_mss);
	/* its ACK of the data comes with a TSecr of our TSval */
	ASSERT_EQ(0, raw_recv(self, &th, &o, 5000));
	EXPECT_EQ(TH_ACK, th.th_flags & (TH_ACK | TH_RST | TH_SYN));
	EXPECT_EQ(RAW_ISN + 1 + 6, ntohl(th.ack_seq));
	EXPECT_EQ(cookie + 1, ntohl(th.seq));
	EXPECT_TRUE(o.ts);
	EXPECT_EQ(RAW_TSVAL + 1, o.tsecr);
	/* abort it: the raw peer will not close */
	setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(cfd);
}

XTCP_HARNESS_MAIN
