// SPDX-License-Identifier: GPL-2.0
/*
 * getsockopt(SOL_TCP, TCP_INFO) gives Linux 6.1's struct tcp_info (issue
 * 18), in the four client/server variants of xtcp_pair.h; tcp_tcp, the
 * native reference, shows that Linux gives what is asserted, and the
 * mixed variants that both stacks agree on what they negotiated.
 *
 * transfer: 1 MiB from client to server, checked byte for byte against
 * the deterministic stream it was drawn from; once the client has
 * nothing unacknowledged or unsent, the fields of both ends: state,
 * negotiated options and window scales (each end's send scale is the
 * other's receive scale), MSS (the client's send MSS is the server's
 * receive MSS), byte counters (bytes_acked counts the SYN: 1 MiB + 1;
 * bytes_received the data), segment counters consistent with each other
 * and with what the other end counted, RTT within the RTO, the path MTU
 * of the veth, pacing rates. Nothing is lost on the clean veth: nothing
 * arrives out of order, and any resend (a probe or an RTO that TCG's
 * timing made spurious: Linux at both ends did it once) is reported back
 * as a duplicate (D-SACK); asserted only at XTCP_TIMEOUT_SCALE 1: on a
 * slowed kernel either stack may time out or probe spuriously (see
 * sock_api.c), and only the consistency of the retransmission counters
 * is checked there. total_retrans itself is not asserted 0: a SYN resent once after
 * a lost first SYN or SYN-ACK (seen in xtcp_tcp) counts there, as Linux
 * counts it.
 *
 * listener: a listener's tcpi_unacked is its accept queue, tcpi_sacked
 * its backlog, as tcp_get_info() aliases them.
 *
 * optlen: do_tcp_getsockopt()'s rules: a short optlen gets that much of
 * the structure and optlen says so, a longer one the whole structure,
 * 0 nothing, negative EINVAL, a NULL optval or optlen EFAULT; and
 * setsockopt(TCP_INFO) is ENOPROTOOPT. Also what a new, closed socket
 * reports.
 *
 * syn_sent: a nonblocking connect() into a black hole (the peer's
 * ingress drops every IP packet, as blackhole.c): SYN_SENT, and the
 * retransmission count, backoff and RTO growing with each SYN
 * retransmission (1 s, then 2 s: two retransmissions take 3 s, waited
 * for up to 10 s times XTCP_TIMEOUT_SCALE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#ifndef SOL_TCP
#define SOL_TCP		IPPROTO_TCP
#endif

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define XFER_LEN	(1U << 20)
#define XFER_SEED	18
#define PEER_DEV	"veth1"
#define ALL_OPTS	(TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE)

FIXTURE(info) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(info);

FIXTURE_SETUP(info)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-info", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(info)
{
	XTCP_PAIR_TEARDOWN(10000);
}

static int cli_socket(FIXTURE_DATA(info) *self, int type)
{
	return xtcp_test_socket(self->pair.net.ns[0],
				xtcp_test_sock_family(self->pair.net.xtcp[0]),
				type);
}

static int srv_listener(FIXTURE_DATA(info) *self, int backlog)
{
	struct sockaddr_in sin;
	int one = 1, fd;

	fd = xtcp_test_socket(self->pair.net.ns[1],
			      xtcp_test_sock_family(self->pair.net.xtcp[1]),
			      SOCK_STREAM);
	if (fd < 0)
		return -1;
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(fd, backlog)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cli_connect(FIXTURE_DATA(info) *self, int fd)
{
	struct sockaddr_in sin;

	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* A connected pair: *c in ns[0], *s accepted in ns[1]; returns 0. */
static int make_pair(FIXTURE_DATA(info) *self, int *c, int *s)
{
	int l = srv_listener(self, 16);

	*c = *s = -1;
	if (l < 0)
		return -1;
	*c = cli_socket(self, SOCK_STREAM);
	if (*c < 0 || cli_connect(self, *c))
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

/* the whole struct tcp_info of fd; 0 or -1 */
static int get_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, SOL_TCP, TCP_INFO, ti, &len))
		return -1;
	if (len != sizeof(*ti)) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static long long deadline(int ms)
{
	return xtcp_test_now_ms() + (long long)ms * xtcp_test_timeout_scale();
}

struct sender {
	int fd;
	int err;
};

static void *sender_run(void *arg)
{
	struct sender *snd = arg;
	struct xtcp_test_prng p;
	static char buf[65536];
	size_t left = XFER_LEN, n;
	ssize_t w;

	xtcp_test_prng_init(&p, XFER_SEED);
	while (left) {
		n = left < sizeof(buf) ? left : sizeof(buf);
		xtcp_test_fill(&p, buf, n);
		w = send(snd->fd, buf, n, MSG_NOSIGNAL);
		if (w != (ssize_t)n) {
			snd->err = w < 0 ? errno : EIO;
			break;
		}
		left -= n;
	}
	return NULL;
}

/* reads XFER_LEN bytes and compares them with the stream; bytes good */
static size_t receive_checked(int fd)
{
	static char buf[65536], want[65536];
	struct xtcp_test_prng p;
	size_t got = 0;
	ssize_t n;

	xtcp_test_prng_init(&p, XFER_SEED);
	while (got < XFER_LEN) {
		size_t ask = XFER_LEN - got < sizeof(buf) ? XFER_LEN - got :
							    sizeof(buf);

		n = read(fd, buf, ask);
		if (n <= 0)
			break;
		xtcp_test_fill(&p, want, (size_t)n);
		if (memcmp(buf, want, (size_t)n))
			break;
		got += (size_t)n;
	}
	return got;
}

static void log_info(struct __test_metadata *_metadata, const char *who,
		     const struct tcp_info *t)
{
	TH_LOG("%s: state %u ca %u opts %#x ws %u/%u rto %u ato %u mss %u/%u adv %u pmtu %u rtt %u/%u min %u rcv_rtt %u cwnd %u ssthresh %u unacked %u retrans %u/%u segs %u/%u data %u/%u bytes acked %llu recv %llu sent %llu retr %llu delivered %u rcv_space %u last %u/%u/%u pacing %llu",
	       who, t->tcpi_state, t->tcpi_ca_state, t->tcpi_options,
	       t->tcpi_snd_wscale, t->tcpi_rcv_wscale, t->tcpi_rto,
	       t->tcpi_ato, t->tcpi_snd_mss, t->tcpi_rcv_mss, t->tcpi_advmss,
	       t->tcpi_pmtu, t->tcpi_rtt, t->tcpi_rttvar, t->tcpi_min_rtt,
	       t->tcpi_rcv_rtt, t->tcpi_snd_cwnd, t->tcpi_snd_ssthresh,
	       t->tcpi_unacked, t->tcpi_total_retrans, t->tcpi_retrans,
	       t->tcpi_segs_out, t->tcpi_segs_in, t->tcpi_data_segs_out,
	       t->tcpi_data_segs_in,
	       (unsigned long long)t->tcpi_bytes_acked,
	       (unsigned long long)t->tcpi_bytes_received,
	       (unsigned long long)t->tcpi_bytes_sent,
	       (unsigned long long)t->tcpi_bytes_retrans, t->tcpi_delivered,
	       t->tcpi_rcv_space, t->tcpi_last_data_sent,
	       t->tcpi_last_data_recv, t->tcpi_last_ack_recv,
	       (unsigned long long)t->tcpi_pacing_rate);
}

TEST_F(info, transfer)
{
	struct tcp_info ci, si;
	struct sender snd = {};
	pthread_t th;
	long long end;
	int c, s;

	SKIP_IF_NEEDED();
	ASSERT_EQ(0, make_pair(self, &c, &s));
	snd.fd = c;
	ASSERT_EQ(0, pthread_create(&th, NULL, sender_run, &snd));
	EXPECT_EQ(XFER_LEN, receive_checked(s));
	pthread_join(th, NULL);
	ASSERT_EQ(0, snd.err);

	/* the sender idle: everything acknowledged, nothing left to send */
	end = deadline(5000);
	do {
		ASSERT_EQ(0, get_info(c, &ci));
		if (!ci.tcpi_unacked && !ci.tcpi_notsent_bytes)
			break;
		xtcp_test_msleep(10);
	} while (xtcp_test_now_ms() < end);
	ASSERT_EQ(0, get_info(s, &si));
	log_info(_metadata, "client", &ci);
	log_info(_metadata, "server", &si);

	EXPECT_EQ(XTCP_TEST_ESTABLISHED, ci.tcpi_state);
	EXPECT_EQ(XTCP_TEST_ESTABLISHED, si.tcpi_state);
	EXPECT_EQ(TCP_CA_Open, ci.tcpi_ca_state);
	EXPECT_EQ(TCP_CA_Open, si.tcpi_ca_state);
	EXPECT_EQ(0U, ci.tcpi_unacked);
	EXPECT_EQ(0U, ci.tcpi_notsent_bytes);
	EXPECT_EQ(0U, ci.tcpi_sacked);
	EXPECT_EQ(0U, ci.tcpi_lost);
	EXPECT_EQ(0U, ci.tcpi_retrans);
	EXPECT_EQ(0, ci.tcpi_retransmits);
	EXPECT_EQ(0, ci.tcpi_backoff);
	EXPECT_EQ(0, ci.tcpi_probes);

	/* both stacks offer and take timestamps, SACK and window scaling */
	EXPECT_EQ(ALL_OPTS, ci.tcpi_options & ALL_OPTS);
	EXPECT_EQ(ci.tcpi_options, si.tcpi_options);
	EXPECT_EQ((unsigned int)ci.tcpi_snd_wscale, (unsigned int)si.tcpi_rcv_wscale);
	EXPECT_EQ((unsigned int)ci.tcpi_rcv_wscale, (unsigned int)si.tcpi_snd_wscale);
	EXPECT_LT(0U, (unsigned int)ci.tcpi_rcv_wscale);

	/*
	 * 1500-byte veth: 1460 announced, 1448 with the timestamp option,
	 * which Linux takes off advmss too; a client that got no data
	 * guesses 536 for the peer's (tcp_initialize_rcv_mss())
	 */
	EXPECT_EQ(1500U, ci.tcpi_pmtu);
	EXPECT_EQ(1500U, si.tcpi_pmtu);
	EXPECT_EQ(1448U, ci.tcpi_advmss);
	EXPECT_EQ(1448U, si.tcpi_advmss);
	EXPECT_EQ(1448U, ci.tcpi_snd_mss);
	EXPECT_EQ(1448U, si.tcpi_snd_mss);
	EXPECT_EQ(ci.tcpi_snd_mss, si.tcpi_rcv_mss);
	EXPECT_EQ(536U, ci.tcpi_rcv_mss);

	/* SND.UNA moved over the SYN and the data; RCV.NXT over the data */
	EXPECT_EQ(XFER_LEN + 1, ci.tcpi_bytes_acked);
	EXPECT_EQ(0U, ci.tcpi_bytes_received);
	EXPECT_EQ(XFER_LEN, si.tcpi_bytes_received);
	EXPECT_EQ(0U, si.tcpi_bytes_acked);
	EXPECT_EQ(XFER_LEN + ci.tcpi_bytes_retrans, ci.tcpi_bytes_sent);
	EXPECT_EQ(0U, si.tcpi_bytes_sent);
	EXPECT_EQ(0U, si.tcpi_data_segs_out);

	/* segments: at most an MSS each, every one seen at the other end */
	EXPECT_LE(XFER_LEN / ci.tcpi_snd_mss, ci.tcpi_data_segs_out);
	EXPECT_LE(ci.tcpi_data_segs_out, ci.tcpi_segs_out);
	EXPECT_LE(XFER_LEN / si.tcpi_rcv_mss, si.tcpi_data_segs_in);
	EXPECT_LE(si.tcpi_data_segs_in, si.tcpi_segs_in);
	EXPECT_LE(si.tcpi_data_segs_in, ci.tcpi_data_segs_out);
	EXPECT_LE(si.tcpi_segs_in, ci.tcpi_segs_out);
	/*
	 * the client also got the listener's SYN-ACK, one for each SYN:
	 * one more for each SYN it resent
	 */
	EXPECT_LE(ci.tcpi_segs_in,
		  si.tcpi_segs_out + 1 + ci.tcpi_total_retrans);
	EXPECT_LT(0U, ci.tcpi_segs_in);
	EXPECT_EQ(0U, ci.tcpi_data_segs_in);
	EXPECT_LE(ci.tcpi_data_segs_out, ci.tcpi_delivered);
	/* the server's SYN-ACK was delivered */
	EXPECT_LE(1U, si.tcpi_delivered);

	/* retransmission counters agree with each other */
	EXPECT_LE(ci.tcpi_bytes_retrans,
		  (unsigned long long)ci.tcpi_total_retrans * ci.tcpi_snd_mss);
	if (xtcp_test_timeout_scale() == 1) {
		/*
		 * Nothing lost: nothing came out of order, and a resend
		 * (a probe or an RTO that TCG's timing made spurious, seen
		 * once with Linux at both ends) was a duplicate the
		 * receiver reported (D-SACK)
		 */
		EXPECT_EQ(0U, si.tcpi_rcv_ooopack);
		if (ci.tcpi_bytes_retrans) {
			EXPECT_LT(0U, ci.tcpi_dsack_dups);
		} else {
			EXPECT_EQ(0U, ci.tcpi_dsack_dups);
		}
	}

	/* RTT in us, within the RTO; RFC 6298's 200 ms floor (Linux's) */
	EXPECT_LT(0U, ci.tcpi_rtt);
	EXPECT_LE(ci.tcpi_rtt, ci.tcpi_rto);
	EXPECT_LE(200000U, ci.tcpi_rto);
	EXPECT_LT(0U, ci.tcpi_min_rtt);
	EXPECT_LE(ci.tcpi_min_rtt, ci.tcpi_rto);
	/* the server's only sample is the handshake's */
	EXPECT_NE(~0U, si.tcpi_min_rtt);
	EXPECT_LT(0U, si.tcpi_rtt);
	EXPECT_LT(0U, si.tcpi_rcv_rtt);
	EXPECT_LE(2U, ci.tcpi_snd_cwnd);
	EXPECT_LT(0U, ci.tcpi_snd_wnd);
	EXPECT_EQ(3U, ci.tcpi_reordering);
	/* the receiver's delayed-ACK timeout, from 40 ms */
	EXPECT_LE(40000U, si.tcpi_ato);
	EXPECT_LT(0U, si.tcpi_rcv_space);
	/* tcp_init_buffer_space(): 10 segments before any read */
	EXPECT_EQ(10U * ci.tcpi_advmss, ci.tcpi_rcv_space);
	EXPECT_LT(0U, si.tcpi_rcv_ssthresh);

	/* no pacing limit set; the rate what cwnd and srtt make */
	EXPECT_EQ(~0ULL, ci.tcpi_max_pacing_rate);
	EXPECT_LT(0U, ci.tcpi_pacing_rate);
	EXPECT_GT(~0ULL, ci.tcpi_pacing_rate);

	/* the data just came and was just acked (ms) */
	EXPECT_GT(2000U * xtcp_test_timeout_scale(), si.tcpi_last_data_recv);
	EXPECT_GT(2000U * xtcp_test_timeout_scale(), ci.tcpi_last_data_sent);
	EXPECT_GT(2000U * xtcp_test_timeout_scale(), ci.tcpi_last_ack_recv);

	close(c);
	close(s);
}

TEST_F(info, listener)
{
	struct tcp_info li;
	int l, c[2], a, i;
	long long end;

	SKIP_IF_NEEDED();
	l = srv_listener(self, 7);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, get_info(l, &li));
	EXPECT_EQ(XTCP_TEST_LISTEN, li.tcpi_state);
	EXPECT_EQ(0U, li.tcpi_unacked);
	EXPECT_EQ(7U, li.tcpi_sacked);

	for (i = 0; i < 2; i++) {
		c[i] = cli_socket(self, SOCK_STREAM);
		ASSERT_LE(0, c[i]);
		ASSERT_EQ(0, cli_connect(self, c[i]));
	}
	/* the last ACKs of the handshakes may still be on their way */
	end = deadline(5000);
	do {
		ASSERT_EQ(0, get_info(l, &li));
		if (li.tcpi_unacked == 2)
			break;
		xtcp_test_msleep(10);
	} while (xtcp_test_now_ms() < end);
	EXPECT_EQ(XTCP_TEST_LISTEN, li.tcpi_state);
	EXPECT_EQ(2U, li.tcpi_unacked);
	EXPECT_EQ(7U, li.tcpi_sacked);

	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	ASSERT_EQ(0, get_info(l, &li));
	EXPECT_EQ(1U, li.tcpi_unacked);
	EXPECT_EQ(7U, li.tcpi_sacked);
	/* listen() again changes the backlog */
	ASSERT_EQ(0, listen(l, 3));
	ASSERT_EQ(0, get_info(l, &li));
	EXPECT_EQ(3U, li.tcpi_sacked);

	close(a);
	for (i = 0; i < 2; i++)
		close(c[i]);
	close(l);
}

TEST_F(info, optlen)
{
	unsigned char full[sizeof(struct tcp_info)];
	unsigned char buf[sizeof(struct tcp_info) + 16];
	struct tcp_info ci;
	socklen_t len;
	int c, s, one = 1;
	size_t i;

	SKIP_IF_NEEDED();

	/* a closed socket answers too, as a new one is */
	c = cli_socket(self, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, get_info(c, &ci));
	EXPECT_EQ(XTCP_TEST_CLOSE, ci.tcpi_state);
	EXPECT_EQ(1000000U, ci.tcpi_rto);	/* RFC 6298 2.1 */
	EXPECT_EQ(10U, ci.tcpi_snd_cwnd);	/* RFC 6928 */
	EXPECT_EQ(~0U, ci.tcpi_min_rtt);	/* no sample */
	EXPECT_EQ(0, ci.tcpi_options);
	EXPECT_EQ(0U, ci.tcpi_rtt);
	EXPECT_EQ(0U, ci.tcpi_bytes_acked);
	close(c);

	ASSERT_EQ(0, make_pair(self, &c, &s));
	ASSERT_EQ(0, get_info(c, (struct tcp_info *)full));

	/* short: that much, and optlen says so; the rest untouched */
	memset(buf, 0xa5, sizeof(buf));
	len = 8;
	ASSERT_EQ(0, getsockopt(c, SOL_TCP, TCP_INFO, buf, &len));
	EXPECT_EQ(8U, len);
	EXPECT_EQ(0, memcmp(buf, full, 8));
	for (i = 8; i < sizeof(buf); i++)
		if (buf[i] != 0xa5)
			break;
	EXPECT_EQ(sizeof(buf), i);

	/* longer than the structure: all of it */
	memset(buf, 0xa5, sizeof(buf));
	len = sizeof(buf);
	ASSERT_EQ(0, getsockopt(c, SOL_TCP, TCP_INFO, buf, &len));
	EXPECT_EQ(sizeof(struct tcp_info), len);
	EXPECT_EQ(XTCP_TEST_ESTABLISHED, buf[0]);
	EXPECT_EQ(0xa5, buf[sizeof(struct tcp_info)]);

	/* zero: nothing */
	memset(buf, 0xa5, sizeof(buf));
	len = 0;
	ASSERT_EQ(0, getsockopt(c, SOL_TCP, TCP_INFO, buf, &len));
	EXPECT_EQ(0U, len);
	EXPECT_EQ(0xa5, buf[0]);

	/* negative: EINVAL */
	len = (socklen_t)-1;
	EXPECT_EQ(-1, getsockopt(c, SOL_TCP, TCP_INFO, buf, &len));
	EXPECT_EQ(EINVAL, errno);

	/* bad pointers: EFAULT */
	len = sizeof(ci);
	EXPECT_EQ(-1, getsockopt(c, SOL_TCP, TCP_INFO, NULL, &len));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, getsockopt(c, SOL_TCP, TCP_INFO, &ci, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* nothing to set */
	EXPECT_EQ(-1, setsockopt(c, SOL_TCP, TCP_INFO, &one, sizeof(one)));
	EXPECT_EQ(ENOPROTOOPT, errno);

	close(c);
	close(s);
}

TEST_F(info, syn_sent)
{
	const char *ns = self->pair.net.ns[1];
	struct tcp_info ci;
	unsigned int seen = 0;
	long long end;
	int c;

	SKIP_IF_NEEDED();
	/* the peer's ingress drops every IP packet (blackhole.c) */
	xtcp_test_run("modprobe -q -a sch_ingress cls_matchall act_gact 2>/dev/null");
	ASSERT_EQ(0, xtcp_test_run("tc -n %s qdisc add dev %s ingress", ns,
				   PEER_DEV));
	ASSERT_EQ(0, xtcp_test_run("tc -n %s filter add dev %s ingress protocol ip matchall action drop",
				   ns, PEER_DEV));

	c = cli_socket(self, SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, c);
	ASSERT_EQ(-1, cli_connect(self, c));
	ASSERT_EQ(EINPROGRESS, errno);
	ASSERT_EQ(0, get_info(c, &ci));
	EXPECT_EQ(XTCP_TEST_SYN_SENT, ci.tcpi_state);
	EXPECT_EQ(1U, ci.tcpi_unacked);		/* the SYN */
	EXPECT_EQ(0, ci.tcpi_options);		/* nothing agreed yet */

	/* each SYN timeout: one more retransmission, backoff, RTO doubled */
	end = deadline(10000);
	do {
		ASSERT_EQ(0, get_info(c, &ci));
		ASSERT_EQ(XTCP_TEST_SYN_SENT, ci.tcpi_state);
		ASSERT_LE(seen, ci.tcpi_retransmits);
		if (ci.tcpi_retransmits != seen) {
			TH_LOG("retransmits %u backoff %u rto %u total %u",
			       ci.tcpi_retransmits, ci.tcpi_backoff,
			       ci.tcpi_rto, ci.tcpi_total_retrans);
			seen = ci.tcpi_retransmits;
		}
		if (seen >= 2)
			break;
		xtcp_test_msleep(20);
	} while (xtcp_test_now_ms() < end);
	EXPECT_LE(2, ci.tcpi_retransmits);
	EXPECT_EQ(ci.tcpi_retransmits, ci.tcpi_backoff);
	EXPECT_EQ(ci.tcpi_retransmits, ci.tcpi_total_retrans);
	EXPECT_EQ(1000000U << ci.tcpi_backoff, ci.tcpi_rto);
	EXPECT_EQ(1U, ci.tcpi_unacked);
	EXPECT_EQ(0U, ci.tcpi_bytes_acked);
	EXPECT_EQ(0U, ci.tcpi_bytes_sent);
	close(c);
}

XTCP_HARNESS_MAIN
