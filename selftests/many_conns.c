// SPDX-License-Identifier: GPL-2.0
/*
 * Many connections to one listening port at once. NCONNS clients in ns[0]
 * connect to one listener in ns[1] (at most MAX_INFLIGHT handshakes at a
 * time) and all of them are kept open until every one is accepted, so the
 * stack holds NCONNS connections at once. Then client i sends its own
 * message (a 4-byte id and a payload of its own length and bytes) and
 * half-closes; the server checks each connection's bytes against the
 * message the id names and echoes them back; the client checks the echo.
 * Bytes of one connection must never show up in another.
 *
 * One thread, one epoll set, non-blocking sockets for both ends. Every
 * handler reads, writes and accepts until EAGAIN, so the same run works
 * edge-triggered: concurrent_echo_et adds EPOLLET to every registration
 * (issue 18 item 27), where one lost wake-up leaves a connection stuck
 * and the run fails at its deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define NCONNS		1000
#define MAX_INFLIGHT	128
#define MSG_MAX		(4 + 2048)

enum { T_LISTEN, T_CLIENT, T_SERVER };

struct conn {
	int fd;
	int id;			/* client: its index; server: from the header */
	bool connected;
	bool shut;		/* client: SHUT_WR done; server: peer EOF */
	bool done;
	unsigned int len;	/* message length, once known */
	unsigned int sent;	/* client: bytes written; server: echoed */
	unsigned int got;	/* bytes read */
	unsigned char msg[MSG_MAX];
};

struct run {
	struct conn cli[NCONNS];
	struct conn srv[NCONNS];
	int nsrv;
	int ep, l;
	int started, established, accepted, done;
	int errors;
};

static unsigned int msg_make(int id, unsigned char *buf)
{
	unsigned int len = 4 + 1 + (unsigned int)(id * 733) % 2048;
	struct xtcp_test_prng prng;
	uint32_t nid = htonl((uint32_t)id);

	memcpy(buf, &nid, 4);
	xtcp_test_prng_init(&prng, 0x5eed0000u + (uint64_t)id);
	xtcp_test_fill(&prng, buf + 4, len - 4);
	return len;
}

FIXTURE(many) {
	struct xtcp_test_pair pair;
};

XTCP_PAIR_VARIANTS(many);

FIXTURE_SETUP(many)
{
	struct rlimit rl = { 4 * NCONNS + 64, 4 * NCONNS + 64 };

	XTCP_PAIR_SETUP("xtcp-many", variant->client_xtcp,
			variant->server_xtcp);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
}

FIXTURE_TEARDOWN(many)
{
	XTCP_PAIR_TEARDOWN(15000);
}

/* EPOLLET for concurrent_echo_et, else 0; set before the run */
static uint32_t ep_mode;

static uint64_t tag(int type, int idx)
{
	return ((uint64_t)type << 32) | (uint32_t)idx;
}

static int ep_add(struct run *r, int fd, uint32_t events, uint64_t t)
{
	struct epoll_event ev = { .events = events | ep_mode, .data.u64 = t };

	return epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_mod(struct run *r, int fd, uint32_t events, uint64_t t)
{
	struct epoll_event ev = { .events = events | ep_mode, .data.u64 = t };

	return epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev);
}

static void bad(struct run *r, const char *what, int id)
{
	if (r->errors++ < 10)
		fprintf(stderr, "# conn %d: %s (errno %d)\n", id, what, errno);
}

static void client_start(struct run *r, const char *ns, int family, int i)
{
	struct conn *c = &r->cli[i];
	struct sockaddr_in sin;

	c->id = i;
	c->len = msg_make(i, c->msg);
	c->fd = xtcp_test_socket(ns, family, SOCK_STREAM | SOCK_NONBLOCK);
	if (c->fd < 0) {
		bad(r, "socket", i);
		return;
	}
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, 5555);
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) &&
	    errno != EINPROGRESS) {
		bad(r, "connect", i);
		return;
	}
	if (ep_add(r, c->fd, EPOLLOUT, tag(T_CLIENT, i)))
		bad(r, "epoll add", i);
	r->started++;
}

static void client_send(struct run *r, struct conn *c)
{
	ssize_t n;

	while (c->sent < c->len) {
		n = write(c->fd, c->msg + c->sent, c->len - c->sent);
		if (n < 0) {
			if (errno != EAGAIN)
				bad(r, "client write", c->id);
			return;
		}
		c->sent += (unsigned int)n;
	}
	if (!c->shut) {
		if (shutdown(c->fd, SHUT_WR))
			bad(r, "shutdown", c->id);
		c->shut = true;
		if (ep_mod(r, c->fd, EPOLLIN, tag(T_CLIENT, c->id)))
			bad(r, "epoll mod", c->id);
	}
}

static void client_event(struct run *r, struct conn *c, uint32_t ev, bool go)
{
	unsigned char buf[4096];
	socklen_t len = sizeof(int);
	int err = 0;
	ssize_t n;

	if (!c->connected) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			errno = err;
			bad(r, "connect failed", c->id);
			c->done = true;
			r->done++;
			return;
		}
		c->connected = true;
		r->established++;
		/* wait, with no events, until every connection is up */
		if (ep_mod(r, c->fd, 0, tag(T_CLIENT, c->id)))
			bad(r, "epoll mod", c->id);
		return;
	}
	if (!go || c->done)
		return;
	if (ev & EPOLLOUT)
		client_send(r, c);
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (;;) {
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno != EAGAIN)
				goto fail;
			return;
		}
		if (!n)
			break;
		if (c->got + n > c->len ||
		    memcmp(buf, c->msg + c->got, (size_t)n)) {
			bad(r, "echo differs from what was sent", c->id);
			goto fail;
		}
		c->got += (unsigned int)n;
	}
	if (c->got != c->len || !c->shut) {
		bad(r, "echo cut short", c->id);
		goto fail;
	}
	close(c->fd);
	c->fd = -1;
	c->done = true;
	r->done++;
	return;
fail:
	r->errors++;
	close(c->fd);
	c->fd = -1;
	c->done = true;
	r->done++;
}

static void server_accept(struct run *r)
{
	struct conn *s;
	int fd;

	for (;;) {
		fd = accept4(r->l, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN)
				bad(r, "accept", -1);
			return;
		}
		if (r->nsrv == NCONNS) {
			bad(r, "too many connections accepted", -1);
			close(fd);
			continue;
		}
		s = &r->srv[r->nsrv];
		s->fd = fd;
		s->id = -1;
		if (ep_add(r, fd, EPOLLIN, tag(T_SERVER, r->nsrv)))
			bad(r, "epoll add", -1);
		r->nsrv++;
		r->accepted++;
	}
}

static void server_event(struct run *r, struct conn *s, int idx)
{
	unsigned char buf[4096], *p;
	uint32_t nid;
	ssize_t n;

	for (;;) {
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno != EAGAIN) {
				bad(r, "server read", s->id);
				goto fail;
			}
			break;
		}
		if (!n) {
			s->shut = true;
			break;
		}
		p = buf;
		if (s->id < 0) {
			/* the id always comes whole in the first segment */
			if (n < 4) {
				bad(r, "short first read", -1);
				goto fail;
			}
			memcpy(&nid, buf, 4);
			s->id = (int)ntohl(nid);
			if (s->id < 0 || s->id >= NCONNS) {
				bad(r, "bad id", s->id);
				goto fail;
			}
			s->len = msg_make(s->id, s->msg);
		}
		if (s->got + n > s->len ||
		    memcmp(p, s->msg + s->got, (size_t)n)) {
			bad(r, "bytes differ from the message", s->id);
			goto fail;
		}
		s->got += (unsigned int)n;
	}
	/* echo whatever came in and was not echoed yet */
	while (s->sent < s->got) {
		n = write(s->fd, s->msg + s->sent, s->got - s->sent);
		if (n < 0) {
			if (errno != EAGAIN) {
				bad(r, "server write", s->id);
				goto fail;
			}
			ep_mod(r, s->fd, EPOLLIN | EPOLLOUT, tag(T_SERVER, idx));
			return;
		}
		s->sent += (unsigned int)n;
	}
	if (!s->shut)
		return;
	if (s->got != s->len || !s->len) {
		bad(r, "message cut short", s->id);
		goto fail;
	}
	close(s->fd);
	s->fd = -1;
	s->done = true;
	return;
fail:
	r->errors++;
	close(s->fd);
	s->fd = -1;
	s->done = true;
}

static void run_many(struct __test_metadata *_metadata,
		     FIXTURE_DATA(many) *self, const FIXTURE_VARIANT(many) *variant)
{
	struct epoll_event evs[256];
	struct sockaddr_in sin;
	struct run *r;
	long long deadline;
	bool go = false;
	int one = 1, n, i, type, idx;

	r = calloc(1, sizeof(*r));
	ASSERT_NE(NULL, r);
	r->ep = epoll_create1(0);
	ASSERT_LE(0, r->ep);
	r->l = xtcp_test_socket(self->pair.net.ns[1],
				xtcp_test_sock_family(variant->server_xtcp),
				SOCK_STREAM | SOCK_NONBLOCK);
	ASSERT_LE(0, r->l);
	ASSERT_EQ(0, setsockopt(r->l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	xtcp_test_addr(&sin, XTCP_TEST_ADDR1, 5555);
	ASSERT_EQ(0, bind(r->l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(r->l, 4096));
	ASSERT_EQ(0, ep_add(r, r->l, EPOLLIN, tag(T_LISTEN, 0)));

	deadline = xtcp_test_now_ms() +
		   150LL * 1000 * xtcp_test_timeout_scale();
	while (r->done < NCONNS && !r->errors) {
		while (r->started < NCONNS &&
		       r->started - r->established < MAX_INFLIGHT)
			client_start(r, self->pair.net.ns[0],
				     xtcp_test_sock_family(variant->client_xtcp),
				     r->started);
		if (!go && r->established == NCONNS && r->accepted == NCONNS) {
			/* all NCONNS are up at once: now send */
			TH_LOG("%d connections established", NCONNS);
			go = true;
			for (i = 0; i < NCONNS; i++)
				if (ep_mod(r, r->cli[i].fd, EPOLLOUT | EPOLLIN,
					   tag(T_CLIENT, i)))
					bad(r, "epoll mod", i);
		}
		ASSERT_LT(xtcp_test_now_ms(), deadline)
			TH_LOG("stuck: started %d established %d accepted %d done %d",
			       r->started, r->established, r->accepted, r->done);
		n = epoll_wait(r->ep, evs, 256, 1000);
		ASSERT_LE(0, n);
		for (i = 0; i < n; i++) {
			type = (int)(evs[i].data.u64 >> 32);
			idx = (int)(uint32_t)evs[i].data.u64;
			if (type == T_LISTEN)
				server_accept(r);
			else if (type == T_CLIENT)
				client_event(r, &r->cli[idx], evs[i].events, go);
			else
				server_event(r, &r->srv[idx], idx);
		}
	}
	ASSERT_EQ(0, r->errors);
	ASSERT_EQ(NCONNS, r->accepted);
	for (i = 0; i < r->nsrv; i++)
		ASSERT_TRUE(r->srv[i].done) TH_LOG("server conn %d not done", i);
	close(r->l);
	close(r->ep);
	free(r);
}

TEST_F_TIMEOUT(many, concurrent_echo, 200)
{
	SKIP_IF_NEEDED();
	ep_mode = 0;
	run_many(_metadata, self, variant);
}

TEST_F_TIMEOUT(many, concurrent_echo_et, 200)
{
	SKIP_IF_NEEDED();
	ep_mode = EPOLLET;
	run_many(_metadata, self, variant);
}

XTCP_HARNESS_MAIN
