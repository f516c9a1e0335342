// SPDX-License-Identifier: GPL-2.0
/*
 * Many TIME_WAIT entries (issue 16), a program of its own for the time it
 * takes: 100,000 connections are about 30 s (XTCP) and 55 s (native) in
 * the stock TCG VM, and a native netns with as many takes a while to go.
 *
 * Fixture many, XTCP to XTCP and native to native (the reference):
 *
 *   ns[0]: clients, veth0 192.0.2.1    ns[1]: servers on PORT and PORT + 1,
 *                                             veth1 192.0.2.2, which close
 *                                             first and keep TIME_WAIT
 *
 * hold: XTCP_TW_COUNT (default 100000 divided by the square of
 *   XTCP_TIMEOUT_SCALE, so 1,000 on the debug kernel; at most 129024)
 *   entries in ns[1]
 *   (native: XTCP_TW_NATIVE_COUNT, default 40000: native TIME_WAIT is a
 *   fixed 60 s, and 100,000 native connections take about 55 s to make
 *   in the TCG VM, so the first would expire before the count),
 *   on two server ports; each client binds a port of its own from 1024
 *   up (SO_REUSEADDR, one per server port), so that no 4-tuple comes
 *   twice (a native client would reuse ports and recycle entries). /proc
 *   must list them all as 06, the TW counter count them, the slab cache
 *   (xtcp_tw; native: tw_sock_TCP) hold them, and deleting the netns
 *   must free them long before 2 MSL. The suite's last steps then rmmod
 *   the module and, on the debug kernel, scan kmemleak.
 * expire (XTCP only: native TIME_WAIT is a fixed 60 s): 3000 entries
 *   (1100 on the debug kernel), more than one timer run's batch of 1024,
 *   all gone 2 MSL after they came.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"
#include "xtcp_pair.h"

#define PORT		5571

static int scaled_ms(int ms)
{
	return ms * xtcp_test_timeout_scale();
}

#define MANY_PORTS	2		/* server ports, from PORT up */
#define MANY_BATCH	256		/* connections in flight */

FIXTURE(many) {
	struct xtcp_test_pair pair;
	int l[MANY_PORTS];
};

FIXTURE_VARIANT(many) {
	bool xtcp;
};

FIXTURE_VARIANT_ADD(many, xtcp_xtcp) { .xtcp = true };
FIXTURE_VARIANT_ADD(many, tcp_tcp) { .xtcp = false };

FIXTURE_SETUP(many)
{
	struct sockaddr_in sin;
	int i, one = 1;

	for (i = 0; i < MANY_PORTS; i++)
		self->l[i] = -1;
	XTCP_PAIR_SETUP("xtcp-twm", variant->xtcp, variant->xtcp);
	if (!variant->xtcp)
		ASSERT_EQ(0, xtcp_test_run("ip netns exec %s sysctl -qw net.ipv4.tcp_max_tw_buckets=1000000",
					   self->pair.net.ns[1]));
	for (i = 0; i < MANY_PORTS; i++) {
		self->l[i] = xtcp_test_socket(self->pair.net.ns[1],
					      xtcp_test_sock_family(variant->xtcp),
					      SOCK_STREAM | SOCK_NONBLOCK);
		ASSERT_LE(0, self->l[i]);
		ASSERT_EQ(0, setsockopt(self->l[i], SOL_SOCKET, SO_REUSEADDR,
					&one, sizeof(one)));
		xtcp_test_addr(&sin, XTCP_TEST_ADDR1, (uint16_t)(PORT + i));
		ASSERT_EQ(0, bind(self->l[i], (struct sockaddr *)&sin,
				  sizeof(sin)));
		ASSERT_EQ(0, listen(self->l[i], 4096));
	}
}

FIXTURE_TEARDOWN(many)
{
	int i;

	for (i = 0; i < MANY_PORTS; i++)
		if (self->l[i] >= 0)
			close(self->l[i]);
	/* deleting the netns kills the entries: nothing is waited for */
	XTCP_PAIR_TEARDOWN(10000);
}

static int many_count(bool xtcp)
{
	const char *s = getenv(xtcp ? "XTCP_TW_COUNT" : "XTCP_TW_NATIVE_COUNT");
	int scale;

	if (s && atoi(s) > 0)
		return atoi(s);
	/*
	 * The debug kernel makes each connection 10 times slower, and the
	 * count only has to pass kmemleak there: 10,000 took 640 s.
	 */
	scale = xtcp_test_timeout_scale();
	return (xtcp ? 100000 : 40000) / (scale * scale);
}

/*
 * n connections, MANY_BATCH at a time: the client connects, the server
 * accepts and closes first, the client reads EOF and closes, leaving the
 * server's end in TIME_WAIT. Returns the connections made.
 */
static int many_make(struct __test_metadata *_metadata,
		     FIXTURE_DATA(many) *self, int n)
{
	int c[MANY_BATCH], a[MANY_BATCH];
	struct sockaddr_in sin;
	int done = 0, i, k, got, fam, one = 1;
	struct pollfd pfd;
	long long deadline;
	char b;

	fam = xtcp_test_sock_family(self->pair.net.xtcp[0]);
	while (done < n) {
		k = n - done < MANY_BATCH ? n - done : MANY_BATCH;
		for (i = 0; i < k; i++) {
			c[i] = xtcp_test_socket(self->pair.net.ns[0], fam,
						SOCK_STREAM | SOCK_NONBLOCK);
			if (c[i] < 0)
				return done;
			xtcp_test_addr(&sin, XTCP_TEST_ADDR0,
				       (uint16_t)(1024 + (done + i) / MANY_PORTS));
			if (setsockopt(c[i], SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)) ||
			    bind(c[i], (struct sockaddr *)&sin, sizeof(sin))) {
				TH_LOG("bind %d: %s", done + i, strerror(errno));
				return done;
			}
			xtcp_test_addr(&sin, XTCP_TEST_ADDR1,
				       (uint16_t)(PORT + (done + i) % MANY_PORTS));
			if (connect(c[i], (struct sockaddr *)&sin,
				    sizeof(sin)) && errno != EINPROGRESS) {
				TH_LOG("connect %d: %s", done + i,
				       strerror(errno));
				return done;
			}
		}
		/* each listener takes its share */
		deadline = xtcp_test_now_ms() + scaled_ms(30000);
		for (got = 0; got < k && xtcp_test_now_ms() < deadline;) {
			int fd = accept(self->l[(done + got) % MANY_PORTS],
					NULL, NULL);

			if (fd >= 0) {
				a[got++] = fd;
				continue;
			}
			pfd = (struct pollfd){
				.fd = self->l[(done + got) % MANY_PORTS],
				.events = POLLIN };
			poll(&pfd, 1, 100);
		}
		if (got < k) {
			TH_LOG("accepted %d of %d", got, k);
			return done;
		}
		for (i = 0; i < k; i++)
			close(a[i]);
		for (i = 0; i < k; i++) {
			pfd = (struct pollfd){ .fd = c[i], .events = POLLIN };
			if (poll(&pfd, 1, scaled_ms(10000)) != 1 ||
			    read(c[i], &b, 1) != 0) {
				TH_LOG("no EOF on connection %d", done + i);
				return done;
			}
			close(c[i]);
		}
		done += k;
	}
	return done;
}

/* polls until ns[1] shows want TIME_WAIT lines; returns the last count */
static int many_wait(FIXTURE_DATA(many) *self, int want, int timeout_ms)
{
	long long deadline = xtcp_test_now_ms() + scaled_ms(timeout_ms);
	int n;

	for (;;) {
		n = xtcp_test_sk_count_state(self->pair.net.ns[1],
					     self->pair.net.xtcp[1],
					     XTCP_TEST_TIME_WAIT);
		if (n == want || xtcp_test_now_ms() > deadline)
			return n;
		xtcp_test_msleep(100);
	}
}

/*
 * In-use objects of slab cache name, from SLUB's sysfs, and its object
 * size; -1 when not there. A cache that SLUB merged with others of its
 * size is a symlink to the shared one, whose count includes theirs.
 * SLUB counts as in use the free objects of per-CPU slabs, and KASAN's
 * quarantine holds freed objects back from the slab for a while: the
 * shrink first returns both (kmem_cache_shrink(), kasan_cache_shrink()),
 * so that the count is exact on the debug kernel too.
 */
static long slab_objects(const char *name, long *obj_size)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", name);
	xtcp_test_int_file(path, 1);

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/object_size", name);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", obj_size) != 1)
		*obj_size = -1;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

TEST_F_TIMEOUT(many, hold, 3000)
{
	const char *cache = self->pair.net.xtcp[1] ? "xtcp_tw" : "tw_sock_TCP";
	int n = many_count(self->pair.net.xtcp[1]), made, i;
	long objs0, objs, size = -1;
	char path[128], link[128];
	long long tw0 = 0, t0;
	ssize_t merged;

	SKIP_IF_NEEDED();
	ASSERT_GE(2 * (65536 - 1024), n);
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s", cache);
	/* XTCP's entries have a cache of their own */
	ASSERT_EQ(0, access(path, F_OK)) TH_LOG("no slab cache %s", cache);
	merged = readlink(path, link, sizeof(link) - 1);
	if (merged > 0) {
		link[merged] = 0;
		TH_LOG("%s is merged into %s", cache, link);
	}
	objs0 = slab_objects(cache, &size);
	/* longer than the build takes: they must all be there at once */
	if (self->pair.net.xtcp[1]) {
		ASSERT_LE(0, xtcp_test_msl(3600 * 1000));
		tw0 = xtcp_test_counter(self->pair.net.ns[1], "TW");
	}
	t0 = xtcp_test_now_ms();
	made = many_make(_metadata, self, n);
	ASSERT_EQ(n, made);
	TH_LOG("%d connections in %lld ms", n, xtcp_test_now_ms() - t0);
	/*
	 * The last client ACKs may still be on their way. Native: a few of
	 * its timewait socks may still be in their FIN_WAIT2 substate (05
	 * in /proc) when the client's delayed ACK and its FIN raced on the
	 * server's two CPUs and the FIN was lost ("really marginal case" in
	 * tcp_rcv_state_process(); XTCP's FIN delay in xtcp_data_queue()
	 * keeps its own clients out of it), which a TCG VM makes likely in
	 * 40,000 connections: they are counted in its slab below, and one
	 * in 1,000 may be missing from 06 here. XTCP's count is exact.
	 */
	if (self->pair.net.xtcp[1]) {
		EXPECT_EQ(n, many_wait(self, n, 10000));
	} else {
		i = many_wait(self, n, 10000);
		TH_LOG("native: %d of %d in TIME_WAIT (06)", i, n);
		EXPECT_LE(n - n / 1000, i);
	}
	if (self->pair.net.xtcp[1]) {
		EXPECT_EQ(tw0 + n, xtcp_test_counter(self->pair.net.ns[1],
						     "TW"));
		EXPECT_EQ(0, xtcp_test_counter(self->pair.net.ns[1],
					       "TWOverflow"));
	}
	objs = slab_objects(cache, &size);
	TH_LOG("%s: object_size %ld, %ld objects in use, %ld before", cache,
	       size, objs, objs0);
	ASSERT_LE(0, objs0);
	/* others of a merged cache (stock kernel) come and go meanwhile */
	EXPECT_LE(n - n / 100, objs - objs0);

	/*
	 * The netns goes, with its listeners (sockets pin it) and its end of
	 * the veth; its entries must go with it, long before 2 MSL.
	 */
	for (i = 0; i < MANY_PORTS; i++) {
		close(self->l[i]);
		self->l[i] = -1;
	}
	if (self->pair.net.attached[1])
		xtcp_test_detach(self->pair.net.ns[1], "veth1");
	ASSERT_EQ(0, xtcp_test_ns_del(self->pair.net.ns[1]));
	/* veth0 went with its peer, and XTCP's link on it */
	self->pair.net.attached[0] = false;
	self->pair.net.attached[1] = false;
	self->pair.net.created[1] = false;
	self->pair.net.xtcp[1] = false;
	if (!strcmp(cache, "xtcp_tw")) {
		long long deadline = xtcp_test_now_ms() + scaled_ms(60000);

		/* (others of a merged cache may come and go meanwhile) */
		do {
			xtcp_test_msleep(100);
			objs = slab_objects(cache, &size);
		} while (objs - objs0 >= n / 100 &&
			 xtcp_test_now_ms() < deadline);
		EXPECT_GT(n / 100, objs - objs0)
			TH_LOG("%ld entries left after the netns went",
			       objs - objs0);
	}
	xtcp_test_msl(200);
}

TEST_F_TIMEOUT(many, expire, 600)
{
	/*
	 * More than XTCP_TW_BATCH (1024); the debug kernel makes about 11
	 * a second, so that 3000 would take longer than the 2 MSL below.
	 */
	int n = xtcp_test_timeout_scale() > 1 ? 1100 : 3000, made, left;

	SKIP_IF_NEEDED();
	if (!self->pair.net.xtcp[1])
		SKIP(return, "native TIME_WAIT lasts a fixed 60 s");
	/*
	 * Long enough for the build (2 s under TCG, 100 s on the debug
	 * kernel), short enough to wait for.
	 */
	ASSERT_LE(0, xtcp_test_msl(scaled_ms(10000)));
	made = many_make(_metadata, self, n);
	ASSERT_EQ(n, made);
	left = many_wait(self, n, 10000);
	ASSERT_EQ(n, left) TH_LOG("entries expired before 2 MSL");
	/* 2 MSL after the last one, every one is gone */
	EXPECT_EQ(0, many_wait(self, 0, 2 * 10000 + 10000));
	EXPECT_EQ(0, xtcp_test_counter(self->pair.net.ns[1], "TWOverflow"));
	xtcp_test_msl(200);
}

XTCP_HARNESS_MAIN
