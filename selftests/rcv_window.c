// SPDX-License-Identifier: GPL-2.0
/*
 * A receive buffer smaller than two segments still moves data (issue 15,
 * items 5 and 14). The listener sets SO_RCVBUF=1024, which the kernel
 * doubles and raises to its floor (SOCK_MIN_RCVBUF, 2304 bytes on the 6.1
 * test kernel), and which accepted children inherit: the window an empty
 * buffer offers, half of that, is then below one MSS of a 1500-byte veth.
 * A client sends 10 KiB; the server must read all of it, intact, without
 * a 10 s pause.
 *
 * XTCP used to advertise a zero window whenever the free space was below
 * one MSS, so the window closed after the first segment and only the
 * probes went on. Linux (the tcp_tcp reference) zeroes the window only
 * while the free space is below half the buffer and below the MSS, which
 * is what RFC 9293 3.8.6.2.2's receiver-side SWS avoidance gives with
 * Fr = 1/2.
 *
 * Variants xtcp_xtcp, xtcp_tcp, tcp_xtcp and tcp_tcp name client_server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define TOTAL		(10 * 1024)
#define SMALL_RCVBUF	1024

FIXTURE(rwin) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(rwin);

FIXTURE_SETUP(rwin)
{
	signal(SIGPIPE, SIG_IGN);
	XTCP_PAIR_SETUP("xtcp-rwin", variant->client_xtcp,
			variant->server_xtcp);
}

FIXTURE_TEARDOWN(rwin)
{
	XTCP_PAIR_TEARDOWN(10000);
}

struct sender {
	int fd;
	const unsigned char *buf;
	ssize_t sent;
	int err;
};

/* write() blocks while the window is closed: give it its own thread */
static void *send_all(void *arg)
{
	struct sender *s = arg;
	ssize_t n;

	while (s->sent < TOTAL) {
		n = write(s->fd, s->buf + s->sent, TOTAL - s->sent);
		if (n <= 0) {
			s->err = n < 0 ? errno : EPIPE;
			break;
		}
		s->sent += n;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

TEST_F_TIMEOUT(rwin, small_rcvbuf, 120)
{
	static unsigned char sent[TOTAL], got[TOTAL + 1];
	int l, c, s, one = 1, rcvbuf = SMALL_RCVBUF, val;
	long long deadline, progress_ms;
	struct xtcp_test_prng prng;
	struct sockaddr_in sin;
	struct sender snd;
	struct pollfd pfd;
	socklen_t len;
	pthread_t th;
	size_t have = 0;
	ssize_t n;

	SKIP_IF_NEEDED();

	l = xtcp_test_socket(self->pair.net.ns[1],
			     xtcp_test_sock_family(self->pair.net.xtcp[1]),
			     SOCK_STREAM);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, self->pair.port);
	ASSERT_EQ(0, bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(l, 1));

	c = xtcp_test_socket(self->pair.net.ns[0],
			     xtcp_test_sock_family(self->pair.net.xtcp[0]),
			     SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);

	/* the child has the listener's small buffer, as native TCP gives */
	len = sizeof(val);
	ASSERT_EQ(0, getsockopt(s, SOL_SOCKET, SO_RCVBUF, &val, &len));
	TH_LOG("accepted socket's SO_RCVBUF: %d", val);
	ASSERT_GE(val, 2 * SMALL_RCVBUF);
	ASSERT_GT(1460, val / 2) TH_LOG("window not below one MSS");

	xtcp_test_prng_init(&prng, 15005);
	xtcp_test_fill(&prng, sent, TOTAL);
	snd = (struct sender){ .fd = c, .buf = sent };
	ASSERT_EQ(0, pthread_create(&th, NULL, send_all, &snd));

	/* no progress for this long means a window that never reopens */
	progress_ms = 10000LL * xtcp_test_timeout_scale();
	deadline = xtcp_test_now_ms() + progress_ms;
	pfd = (struct pollfd){ .fd = s, .events = POLLIN };
	for (;;) {
		long long left = deadline - xtcp_test_now_ms();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(s, got + have, sizeof(got) - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		deadline = xtcp_test_now_ms() + progress_ms;
	}
	if (have < TOTAL) {
		TH_LOG("server read %zu of %d bytes; the window stayed shut",
		       have, TOTAL);
		if (self->pair.net.xtcp[1])
			xtcp_test_proc_dump(self->pair.net.ns[1], "xtcp",
					    stderr);
		/* unblock the sender: a RST ends its write() */
		close(s);
		close(c);
	}
	pthread_join(th, NULL);
	ASSERT_EQ(TOTAL, (ssize_t)have);
	ASSERT_EQ(0, snd.err);
	ASSERT_EQ(0, memcmp(sent, got, TOTAL));
	close(c);
	close(s);
	close(l);
}

XTCP_HARNESS_MAIN
