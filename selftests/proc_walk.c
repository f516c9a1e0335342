// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/xtcp with many sockets (issue 15 item 10): the file is a
 * seq_file iterator that resumes, bucket by bucket, where the last read()
 * stopped. 20,000 listeners in one netns must each be listed exactly once,
 * whatever size the reads are, with the "sl" column counting lines 0, 1,
 * 2, ... across read() boundaries, and none once they are closed.
 *
 * The old single-buffer file listed them correctly too, only at the cost
 * of a full walk per buffer doubling under one RCU read section, which no
 * user-space test can see deterministically; this test guards the new
 * iterator's resume and seek bookkeeping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

/* the 6.1 harness has an unused parameter, which -Wextra -Werror refuses */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop
#include "xtcp_test.h"

#define NSOCKS		20000
#define PORT_BASE	10000

FIXTURE(walk) {
	char ns[XTCP_TEST_NS_LEN];
	const char *skip;
	bool created;
	int fds[NSOCKS];
	int nfds;
	unsigned char seen[NSOCKS];
};

FIXTURE_SETUP(walk)
{
	struct rlimit rl = { .rlim_cur = NSOCKS + 256, .rlim_max = NSOCKS + 256 };
	const char *why = xtcp_test_unavailable();

	if (why) {
		ASSERT_FALSE(xtcp_test_required()) TH_LOG("%s", why);
		self->skip = why;
		return;
	}
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl)) TH_LOG("%s", strerror(errno));
	xtcp_test_ns_name(self->ns, sizeof(self->ns), "xtcp-walk");
	ASSERT_EQ(0, xtcp_test_ns_add(self->ns));
	self->created = true;
}

FIXTURE_TEARDOWN(walk)
{
	int i;

	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	if (self->created)
		xtcp_test_ns_del(self->ns);
}

/*
 * Reads /proc/net/xtcp of the fixture's netns in read()s of @chunk bytes
 * and marks the local port of every line in self->seen. Returns the
 * number of socket lines, or -1 on a malformed file (logged).
 */
static int read_proc(struct __test_metadata *_metadata,
		     FIXTURE_DATA(walk) *self, size_t chunk)
{
	static char buf[1 << 16];
	char line[512];
	size_t ll = 0;
	int fd, lines = 0, hdr = 0, sl;
	unsigned int lp, st;
	ssize_t n, i;

	memset(self->seen, 0, sizeof(self->seen));
	if (xtcp_test_ns_enter(self->ns))
		return -1;
	fd = open("/proc/thread-self/net/xtcp", O_RDONLY);
	xtcp_test_ns_leave();
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, chunk)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (ll < sizeof(line) - 1)
					line[ll++] = buf[i];
				continue;
			}
			line[ll] = 0;
			ll = 0;
			if (!hdr) {
				hdr = 1;
				if (!strstr(line, "local_address"))
					goto bad;
				continue;
			}
			if (sscanf(line, " %d: %*x:%x %*x:%*x %x", &sl, &lp,
				   &st) != 3)
				goto bad;
			/* sl counts lines across read() boundaries */
			if (sl != lines || st != XTCP_TEST_LISTEN ||
			    lp < PORT_BASE || lp >= PORT_BASE + NSOCKS)
				goto bad;
			self->seen[lp - PORT_BASE]++;
			lines++;
		}
	}
	close(fd);
	if (n < 0 || ll)
		return -1;
	return lines;
bad:
	TH_LOG("line %d (chunk %zu): '%s'", lines, chunk, line);
	close(fd);
	return -1;
}

TEST_F_TIMEOUT(walk, twenty_thousand_listeners, 300)
{
	static const size_t chunks[] = { 1000, 4096, 65536, 151 };
	struct sockaddr_in sin;
	int family, i, fd, n, once, twice;
	unsigned int c;

	if (self->skip)
		SKIP(return, "%s", self->skip);
	family = xtcp_test_sock_family(true);
	ASSERT_EQ(0, xtcp_test_ns_enter(self->ns));
	for (i = 0; i < NSOCKS; i++) {
		fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		self->fds[self->nfds++] = fd;
		xtcp_test_addr(&sin, "0.0.0.0", (uint16_t)(PORT_BASE + i));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(fd, 1))
			break;
	}
	xtcp_test_ns_leave();
	ASSERT_EQ(NSOCKS, i) TH_LOG("socket %d: %s", i, strerror(errno));

	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
		n = read_proc(_metadata, self, chunks[c]);
		once = twice = 0;
		for (i = 0; i < NSOCKS; i++) {
			once += self->seen[i] == 1;
			twice += self->seen[i] > 1;
		}
		ASSERT_EQ(NSOCKS, n) TH_LOG("chunk %zu", chunks[c]);
		ASSERT_EQ(NSOCKS, once) TH_LOG("chunk %zu", chunks[c]);
		ASSERT_EQ(0, twice) TH_LOG("chunk %zu", chunks[c]);
	}

	for (i = 0; i < self->nfds; i++)
		close(self->fds[i]);
	self->nfds = 0;
	ASSERT_EQ(0, read_proc(_metadata, self, 4096));
}

XTCP_HARNESS_MAIN
