// SPDX-License-Identifier: GPL-2.0
/*
 * The tail loss probe and the RTO behind it (issue 17), in the variants
 * xtcp (an XTCP client) and tcp (the native reference, which shows Linux
 * behaves as asserted). The server is native in both.
 *
 *   ns[0]                              ns[1]
 *   veth0 192.0.2.1 (client) <------> veth1 192.0.2.2, native server
 *                                     root: netem delay 100 ms (its ACKs)
 *                                     ingress: matchall drop (IP), later
 *
 * probe_restarts_rto: the handshake gives the client an RTT of at least
 * 100 ms (about 200 ms in practice: the SYN also waits for the peer's
 * ARP reply, which the netem delays too), so an RTO of SRTT plus at
 * least 200 ms (the floor on the variance term) and a probe timeout of
 * 2 * SRTT + 2 ms. Then the peer turns into a black hole and the client
 * writes three segments at once. The probe timer fires first (RFC 8985
 * 7.2) and resends the last segment. Linux then restarts the RTO from
 * the probe (tcp_send_loss_probe() clears icsk_pending before
 * tcp_rearm_rto()): the timer standing just after the probe has about a
 * whole RTO left. XTCP did count it from the head's transmission,
 * leaving RTO - PTO, less than RTO - SRTT (a run on the old module:
 * 180 ms left of an RTO of 644 ms; native and the fix: 600-610 ms of
 * 608-616 ms). The test polls the client's TCPLossProbes counter and,
 * as soon as the probe is counted, reads the timer's time left in
 * /proc/net/xtcp (or /proc/net/tcp) and asserts it is more than
 * RTO - SRTT (TCP_INFO), which an RTO counted from the head cannot be.
 * The poll must see the probe within SRTT (100 ms): a few milliseconds
 * under TCG, and the margin covers the debug kernel's slowness too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PEER_DEV	"veth1"
#define DELAY_MS	100

FIXTURE(tlp) {
	struct xtcp_test_pair pair;
};

FIXTURE_VARIANT(tlp) {
	bool xtcp;		/* the client is XTCP, else native */
};

FIXTURE_VARIANT_ADD(tlp, xtcp) {
	.xtcp = true,
};

FIXTURE_VARIANT_ADD(tlp, tcp) {
	.xtcp = false,
};

FIXTURE_SETUP(tlp)
{
	XTCP_PAIR_SETUP("xtcp-tlp", variant->xtcp, false);
	ASSERT_EQ(0, xtcp_test_run("tc -n %s qdisc add dev %s root netem delay %dms",
				   self->pair.net.ns[1], PEER_DEV, DELAY_MS));
}

FIXTURE_TEARDOWN(tlp)
{
	XTCP_PAIR_TEARDOWN(10000);
}

/* tail loss probes the client's stack counted */
static long long loss_probes(struct _test_data_tlp *self, bool xtcp)
{
	if (xtcp)
		return xtcp_test_counter(self->pair.net.ns[0], "TCPLossProbes");
	return xtcp_test_netstat(self->pair.net.ns[0], "TCPLossProbes");
}

TEST_F_TIMEOUT(tlp, probe_restarts_rto, 60)
{
	int scale = xtcp_test_timeout_scale();
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int one = 1, lfd, cfd, afd, state = 0, found;
	socklen_t len = sizeof(struct tcp_info);
	struct tcp_info ti;
	long long before, now, t0, t1;
	struct sockaddr_in sin;
	char buf[3000];
	long when_ms = -1;

	SKIP_IF_NEEDED();
	lfd = xtcp_test_socket(self->pair.net.ns[1], AF_INET, SOCK_STREAM);
	ASSERT_LE(0, lfd);
	ASSERT_EQ(0, setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one,
				sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	ASSERT_EQ(0, bind(lfd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(lfd, 1));

	cfd = xtcp_test_socket(self->pair.net.ns[0],
			       variant->xtcp ? -1 : AF_INET, SOCK_STREAM);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, setsockopt(cfd, SOL_TCP, TCP_NODELAY, &one, sizeof(one)));
	ASSERT_EQ(0, connect(cfd, (struct sockaddr *)&sin, sizeof(sin)));
	afd = accept(lfd, NULL, NULL);
	ASSERT_LE(0, afd);
	ASSERT_EQ(0, getsockopt(cfd, SOL_TCP, TCP_INFO, &ti, &len));
	TH_LOG("after the handshake: rtt %u us, rto %u us", ti.tcpi_rtt,
	       ti.tcpi_rto);
	/* the SYN-ACK's delay is the RTT sample */
	ASSERT_LE(DELAY_MS * 1000 * 8 / 10, (int)ti.tcpi_rtt);

	ASSERT_EQ(0, xtcp_test_blackhole(self->pair.net.ns[1], PEER_DEV));
	before = loss_probes(self, variant->xtcp);
	ASSERT_LE(0, before);
	memset(buf, 'p', sizeof(buf));
	t0 = xtcp_test_now_ms();
	ASSERT_EQ((ssize_t)sizeof(buf), write(cfd, buf, sizeof(buf)));

	/* the probe is due after 2 * SRTT, about 200 ms */
	do {
		now = loss_probes(self, variant->xtcp);
		ASSERT_LE(0, now);
		if (now > before)
			break;
		usleep(1000);
	} while (xtcp_test_now_ms() - t0 < 2000LL * scale);
	t1 = xtcp_test_now_ms();
	ASSERT_EQ(before + 1, now);
	found = xtcp_test_sk_timer(self->pair.net.ns[0], variant->xtcp,
				   xtcp_test_local_port(cfd), self->pair.port,
				   &state, &when_ms, NULL);
	ASSERT_EQ(1, found);
	len = sizeof(ti);
	ASSERT_EQ(0, getsockopt(cfd, SOL_TCP, TCP_INFO, &ti, &len));
	TH_LOG("probe counted %lld ms after the write; the timer then had %ld ms left (rto %u us, rtt %u us)",
	       t1 - t0, when_ms, ti.tcpi_rto, ti.tcpi_rtt);
	EXPECT_EQ(1, state);	/* ESTABLISHED */
	/* counted from the probe, not from the head's transmission */
	EXPECT_LT((long)(ti.tcpi_rto - ti.tcpi_rtt) / 1000, when_ms);
	EXPECT_GE((long)ti.tcpi_rto / 1000 + 10, when_ms);

	/* an abortive close: the black hole would keep the data forever */
	ASSERT_EQ(0, setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(cfd);
	close(afd);
	close(lfd);
}

XTCP_HARNESS_MAIN
