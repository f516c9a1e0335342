// SPDX-License-Identifier: GPL-2.0
/*
 * Churn under faults (issue 14): NTHREADS client threads, each with SLOTS
 * connections, open, send, receive, shut down and close at random for a
 * bounded time (XTCP_CHURN_MS, default 15 s per variant, the same on the
 * debug kernel, which then does fewer operations) against an echo server,
 * while netem on both veth ends loses 2% of the packets and reorders 10%
 * (sent at once while the others wait 3 ms).
 *
 * Each client's bytes come from a stream of its own (xtcp_test_fill()),
 * and what comes back must be that stream's prefix, byte for byte. The
 * server echoes, and at random closes a connection itself (so clients
 * see EOF, ECONNRESET and EPIPE too); clients close normally, or with
 * SO_LINGER 0, or shut down their side and read the rest first. Errors
 * other than those are failures, as are a connect() that has not finished
 * within 20 s (scaled), a mismatched byte and a run with too few
 * connections. At the end every socket is closed and the teardown waits
 * up to 30 s (scaled) for /proc/net/xtcp of each XTCP side to drain, and
 * shows what is left if it does not: TIME_WAIT is 400 ms with msl_ms 200,
 * orphans must finish their FIN exchange through the loss, and an orphan
 * in FIN_WAIT_2 whose peer's RST was lost waits fin_timeout, set to 3 s
 * here (60 s by default, as Linux's tcp_fin_timeout).
 * Variants: the four of xtcp_pair.h, tcp_tcp being the reference.
 *
 * Not deterministic (threads, netem's randomness); the seed of the
 * operations is printed. The checks hold whatever the interleaving.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define NTHREADS	8
#define SLOTS		8
#define MAX_SEND	4096
#define SRV_BUF		8192
#define SRV_MAX		1024
#define NETEM		"loss 2%% delay 3ms reorder 10%% 50%%"

enum slot_state { S_EMPTY, S_CONNECTING, S_OPEN };

struct slot {
	int fd;
	enum slot_state st;
	bool shut;		/* SHUT_WR done */
	long long since;	/* connect() start, ms */
	struct xtcp_test_prng tx, rx;
	unsigned long long sent, got;
};

struct stats {
	atomic_llong connects, established, closes, aborts, shuts, eofs;
	atomic_llong resets, bytes, unexpected, mismatches, slow_connects;
};

struct run {
	const char *cli_ns;
	int family;
	uint16_t port;
	long long deadline;
	uint64_t seed;
	int scale;
	atomic_bool stop;
	struct stats st;
	int l;
};

struct client {
	pthread_t tid;
	struct run *run;
	int id;
	uint64_t rnd;
	struct slot s[SLOTS];
	unsigned char buf[MAX_SEND], exp[MAX_SEND];
};

static uint32_t rnd32(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return (uint32_t)((*x * 0x2545F4914F6CDD1DULL) >> 32);
}

static void slot_close(struct client *cl, struct slot *s, bool abort)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (abort)
		setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s->fd);
	s->fd = -1;
	s->st = S_EMPTY;
	atomic_fetch_add(abort ? &cl->run->st.aborts : &cl->run->st.closes, 1);
}

/* an error on a slot: the peer's random close explains these */
static void slot_error(struct client *cl, struct slot *s, int err)
{
	if (err == ECONNRESET || err == EPIPE) {
		atomic_fetch_add(&cl->run->st.resets, 1);
	} else {
		atomic_fetch_add(&cl->run->st.unexpected, 1);
		fprintf(stderr, "# client %d: unexpected error %s\n", cl->id,
			strerror(err));
	}
	slot_close(cl, s, false);
}

static void slot_connect(struct client *cl, struct slot *s)
{
	struct run *run = cl->run;
	struct sockaddr_in sin;
	uint64_t seed;

	s->fd = xtcp_test_socket(run->cli_ns, run->family,
				 SOCK_STREAM | SOCK_NONBLOCK);
	if (s->fd < 0) {
		atomic_fetch_add(&run->st.unexpected, 1);
		fprintf(stderr, "# socket: %s\n", strerror(errno));
		return;
	}
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, run->port);
	atomic_fetch_add(&run->st.connects, 1);
	if (connect(s->fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		slot_error(cl, s, errno);
		return;
	}
	seed = run->seed ^ ((uint64_t)rnd32(&cl->rnd) << 20) ^
	       (uint64_t)cl->id;
	xtcp_test_prng_init(&s->tx, seed);
	xtcp_test_prng_init(&s->rx, seed);
	s->sent = s->got = 0;
	s->shut = false;
	s->since = xtcp_test_now_ms();
	s->st = S_CONNECTING;
}

/* reads what there is; false when the slot was closed */
static bool slot_read(struct client *cl, struct slot *s)
{
	ssize_t n;

	for (;;) {
		n = read(s->fd, cl->buf, sizeof(cl->buf));
		if (n < 0) {
			if (errno == EAGAIN)
				return true;
			slot_error(cl, s, errno);
			return false;
		}
		if (n == 0) {
			atomic_fetch_add(&cl->run->st.eofs, 1);
			slot_close(cl, s, false);
			return false;
		}
		xtcp_test_fill(&s->rx, cl->exp, (size_t)n);
		if (memcmp(cl->buf, cl->exp, (size_t)n) ||
		    s->got + (unsigned long long)n > s->sent) {
			atomic_fetch_add(&cl->run->st.mismatches, 1);
			fprintf(stderr, "# client %d: wrong bytes at %llu\n",
				cl->id, s->got);
			slot_close(cl, s, true);
			return false;
		}
		s->got += (unsigned long long)n;
		atomic_fetch_add(&cl->run->st.bytes, n);
	}
}

static void slot_send(struct client *cl, struct slot *s)
{
	size_t len = 1 + rnd32(&cl->rnd) % MAX_SEND;
	struct xtcp_test_prng save = s->tx;
	ssize_t n;

	xtcp_test_fill(&s->tx, cl->buf, len);
	n = send(s->fd, cl->buf, len, MSG_NOSIGNAL);
	if (n < 0) {
		s->tx = save;
		if (errno != EAGAIN)
			slot_error(cl, s, errno);
		return;
	}
	/* the stream goes on from what was taken */
	s->tx = save;
	xtcp_test_fill(&s->tx, cl->buf, (size_t)n);
	s->sent += (unsigned long long)n;
}

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct run *run = cl->run;
	struct pollfd pfd[SLOTS];
	int i, err;
	socklen_t len;

	for (i = 0; i < SLOTS; i++)
		cl->s[i].fd = -1;
	while (xtcp_test_now_ms() < run->deadline) {
		for (i = 0; i < SLOTS; i++) {
			pfd[i].fd = cl->s[i].fd;
			pfd[i].events = cl->s[i].st == S_CONNECTING ? POLLOUT :
					POLLIN;
			pfd[i].revents = 0;
		}
		/*
		 * paced by the kernel's speed: on the debug kernel eight
		 * threads at full speed starve the server thread (the run
		 * there echoed nothing at 10 ms)
		 */
		poll(pfd, SLOTS, 10 * run->scale);
		for (i = 0; i < SLOTS; i++) {
			struct slot *s = &cl->s[i];
			uint32_t r = rnd32(&cl->rnd) % 100;

			switch (s->st) {
			case S_EMPTY:
				if (r < 30)
					slot_connect(cl, s);
				break;
			case S_CONNECTING:
				if (!pfd[i].revents) {
					if (xtcp_test_now_ms() - s->since >
					    20000LL * run->scale) {
						atomic_fetch_add(&run->st.slow_connects, 1);
						slot_close(cl, s, true);
					}
					break;
				}
				len = sizeof(err);
				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
					   &len);
				if (err) {
					slot_error(cl, s, err);
					break;
				}
				s->st = S_OPEN;
				atomic_fetch_add(&run->st.established, 1);
				break;
			case S_OPEN:
				if ((pfd[i].revents & (POLLIN | POLLERR |
						       POLLHUP)) &&
				    !slot_read(cl, s))
					break;
				if (r < 50 && !s->shut) {
					slot_send(cl, s);
				} else if (r < 53 && !s->shut) {
					shutdown(s->fd, SHUT_WR);
					s->shut = true;
					atomic_fetch_add(&run->st.shuts, 1);
				} else if (r < 55) {
					slot_close(cl, s, false);
				} else if (r < 56) {
					slot_close(cl, s, true);
				}
				break;
			}
		}
	}
	for (i = 0; i < SLOTS; i++)
		if (cl->s[i].st != S_EMPTY)
			slot_close(cl, &cl->s[i], false);
	return NULL;
}

/* the echo server: one epoll thread */
struct sconn {
	int fd;
	unsigned int len, off;	/* echo pending */
	unsigned char buf[SRV_BUF];
};

static void srv_drop(int ep, struct sconn **tab, struct sconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	tab[c->fd % SRV_MAX] = NULL;
	free(c);
}

static void *server_main(void *arg)
{
	struct run *run = arg;
	struct sconn **tab = calloc(SRV_MAX, sizeof(*tab));
	struct epoll_event ev, evs[64];
	uint64_t rnd = run->seed ^ 0x5eed;
	int ep, n, i, fd;
	ssize_t r;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, run->l, &ev);
	while (!atomic_load(&run->stop)) {
		n = epoll_wait(ep, evs, 64, 50);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;

			if (!c) {
				while ((fd = accept4(run->l, NULL, NULL,
						     SOCK_NONBLOCK)) >= 0) {
					if (fd >= SRV_MAX || tab[fd]) {
						close(fd);
						continue;
					}
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					tab[fd] = c;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			/* write out what is pending, then read more */
			if (c->len) {
				r = send(c->fd, c->buf + c->off, c->len, MSG_NOSIGNAL);
				if (r < 0 && errno != EAGAIN) {
					srv_drop(ep, tab, c);
					continue;
				}
				if (r > 0) {
					c->off += (unsigned int)r;
					c->len -= (unsigned int)r;
				}
			}
			if (!c->len) {
				r = read(c->fd, c->buf, sizeof(c->buf));
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					srv_drop(ep, tab, c);
					continue;
				}
				if (r > 0) {
					c->off = 0;
					c->len = (unsigned int)r;
					/* now and then, hang up on the client */
					if (rnd32(&rnd) % 400 == 0) {
						srv_drop(ep, tab, c);
						continue;
					}
					r = send(c->fd, c->buf, c->len, MSG_NOSIGNAL);
					if (r < 0 && errno != EAGAIN) {
						srv_drop(ep, tab, c);
						continue;
					}
					if (r > 0) {
						c->off += (unsigned int)r;
						c->len -= (unsigned int)r;
					}
				}
			}
			ev.events = c->len ? EPOLLOUT : EPOLLIN;
			ev.data.ptr = c;
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		}
	}
	for (i = 0; i < SRV_MAX; i++)
		if (tab[i])
			srv_drop(ep, tab, tab[i]);
	close(ep);
	free(tab);
	return NULL;
}

FIXTURE(churnf) {
	struct xtcp_test_pair pair;
	int old_fin;
};

#define FIN_TIMEOUT	"/sys/module/xtcp/parameters/fin_timeout"

XTCP_PAIR_VARIANTS(churnf);

FIXTURE_SETUP(churnf)
{
	signal(SIGPIPE, SIG_IGN);
	self->old_fin = -1;
	XTCP_PAIR_SETUP("xtcp-churnf", variant->client_xtcp,
			variant->server_xtcp);
	/*
	 * An orphan in FIN_WAIT_2 whose peer's RST was lost waits
	 * fin_timeout (60 s, Linux's tcp_fin_timeout) for a FIN that never
	 * comes: 3 s, so that the drain below means something.
	 */
	if (variant->client_xtcp || variant->server_xtcp) {
		self->old_fin = xtcp_test_int_file(FIN_TIMEOUT, -1);
		ASSERT_EQ(3, xtcp_test_int_file(FIN_TIMEOUT, 3));
	}
#ifndef CHURN_NO_NETEM
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s tc qdisc replace dev veth0 root netem " NETEM,
				   self->pair.net.ns[0]));
	ASSERT_EQ(0, xtcp_test_run("ip netns exec %s tc qdisc replace dev veth1 root netem " NETEM,
				   self->pair.net.ns[1]));
#endif
}

FIXTURE_TEARDOWN(churnf)
{
	int i;

	/* what is left after the deadline, before the teardown takes it */
	for (i = 0; i < 2 && !self->pair.skip; i++) {
		if (!self->pair.net.xtcp[i] ||
		    !xtcp_test_wait_drained(self->pair.net.ns[i],
					    30000 * xtcp_test_timeout_scale()))
			continue;
		fprintf(stderr, "# left in ns[%d]:\n", i);
		xtcp_test_proc_dump(self->pair.net.ns[i], "xtcp", stderr);
	}
	XTCP_PAIR_TEARDOWN(1000);
	if (self->old_fin >= 0)
		xtcp_test_int_file(FIN_TIMEOUT, self->old_fin);
}

TEST_F_TIMEOUT(churnf, random_ops, 240)
{
	struct client *cl;
	struct sockaddr_in sin;
	pthread_t srv;
	struct run run;
	const char *env = getenv("XTCP_CHURN_MS");
	long long ms = env ? atoll(env) : 15000;
	int i, one = 1;

	SKIP_IF_NEEDED();
	memset(&run, 0, sizeof(run));
	run.cli_ns = self->pair.net.ns[0];
	run.family = xtcp_test_sock_family(variant->client_xtcp);
	run.port = self->pair.port;
	run.scale = xtcp_test_timeout_scale();
	run.seed = (uint64_t)xtcp_test_now_ms() * 0x9E3779B97F4A7C15ULL | 1;
	TH_LOG("seed %#llx, %lld ms, netem " NETEM, (unsigned long long)run.seed,
	       ms);

	run.l = xtcp_test_socket(self->pair.net.ns[1],
				 xtcp_test_sock_family(variant->server_xtcp),
				 SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, run.l);
	setsockopt(run.l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, run.port);
	ASSERT_EQ(0, bind(run.l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(run.l, 512));

	cl = calloc(NTHREADS, sizeof(*cl));
	ASSERT_NE(NULL, cl);
	ASSERT_EQ(0, pthread_create(&srv, NULL, server_main, &run));
	run.deadline = xtcp_test_now_ms() + ms;
	for (i = 0; i < NTHREADS; i++) {
		cl[i].run = &run;
		cl[i].id = i;
		cl[i].rnd = run.seed + (uint64_t)i * 0x1234567ULL;
		ASSERT_EQ(0, pthread_create(&cl[i].tid, NULL, client_main,
					    &cl[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(cl[i].tid, NULL);
	atomic_store(&run.stop, true);
	pthread_join(srv, NULL);
	close(run.l);
	free(cl);

	TH_LOG("connects %lld established %lld, closes %lld aborts %lld shutdowns %lld, EOF %lld, resets %lld, %lld bytes echoed",
	       (long long)run.st.connects, (long long)run.st.established,
	       (long long)run.st.closes, (long long)run.st.aborts,
	       (long long)run.st.shuts, (long long)run.st.eofs,
	       (long long)run.st.resets, (long long)run.st.bytes);
	if (variant->client_xtcp)
		xtcp_test_proc_dump_nonzero(self->pair.net.ns[0],
					    "xtcp_stat", stderr);
	ASSERT_EQ(0, run.st.unexpected);
	ASSERT_EQ(0, run.st.mismatches);
	ASSERT_EQ(0, run.st.slow_connects);
	/* enough happened to mean something, even on the debug kernel */
	ASSERT_LE(50, run.st.established);
	ASSERT_LT(0, run.st.bytes);
	/* the teardown waits for /proc/net/xtcp to drain */
}

XTCP_HARNESS_MAIN
