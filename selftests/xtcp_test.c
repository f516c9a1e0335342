// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the C selftests; see xtcp_test.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/xtcp.h>

#include "xtcp_test.h"

static int init_ns_fd = -1;

int xtcp_test_family(void)
{
	FILE *f = fopen("/sys/module/xtcp/parameters/family", "r");
	int family = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &family) != 1)
		family = -1;
	fclose(f);
	return family;
}

bool xtcp_test_required(void)
{
	const char *v = getenv("XTCP_REQUIRED");

	return v && !strcmp(v, "1");
}

const char *xtcp_test_unavailable(void)
{
	int family = xtcp_test_family();
	int fd;

	if (family < 0)
		family = AF_XTCP;
	fd = socket(family, SOCK_STREAM, 0);
	if (fd >= 0) {
		close(fd);
		if (access(xtcp_test_ctl(), X_OK))
			return "tools/xtcpctl not found";
		return NULL;
	}
	if (errno == EAFNOSUPPORT)
		return "XTCP family not available (module not loaded)";
	return "socket(AF_XTCP) failed";
}

const char *xtcp_test_ctl(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n;

	if (getenv("XTCPCTL"))
		return getenv("XTCPCTL");
	if (path[0])
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return "tools/xtcpctl";
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/../tools/xtcpctl", dirname(self));
	return path;
}

int xtcp_test_run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret < 0 || !WIFEXITED(ret))
		return -1;
	return WEXITSTATUS(ret);
}

void xtcp_test_ns_name(char *buf, size_t len, const char *prefix)
{
	static unsigned int seq;
	unsigned int r;

	r = (unsigned int)getpid() * 2654435761u ^ (unsigned int)time(NULL);
	snprintf(buf, len, "%s-%08x%u", prefix, r, seq++);
}

int xtcp_test_ns_enter(const char *ns)
{
	char path[128];
	int fd, ret;

	if (init_ns_fd < 0) {
		init_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (init_ns_fd < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

void xtcp_test_ns_leave(void)
{
	if (init_ns_fd >= 0 && setns(init_ns_fd, CLONE_NEWNET))
		perror("setns back");
}

int xtcp_test_sock_family(bool xtcp)
{
	int family;

	if (!xtcp)
		return AF_INET;
	family = xtcp_test_family();
	return family < 0 ? AF_XTCP : family;
}

int xtcp_test_socket(const char *ns, int family, int type)
{
	int fd, err;

	if (family < 0)
		family = xtcp_test_sock_family(true);
	if (xtcp_test_ns_enter(ns))
		return -1;
	fd = socket(family, type, 0);
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	return fd;
}

int xtcp_test_net_setup(struct xtcp_test_net *net, const char *prefix,
			bool xtcp0, bool xtcp1)
{
	static const char * const addr[2] = { XTCP_TEST_ADDR0, XTCP_TEST_ADDR1 };
	int i;

	memset(net, 0, sizeof(*net));
	net->xtcp[0] = xtcp0;
	net->xtcp[1] = xtcp1;
	for (i = 0; i < 2; i++) {
		xtcp_test_ns_name(net->ns[i], sizeof(net->ns[i]), prefix);
		if (xtcp_test_run("ip netns add %s", net->ns[i]))
			return -1;
		net->created[i] = true;
		if (xtcp_test_run("ip -n %s link set lo up && "
				  "ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
				  net->ns[i], net->ns[i]))
			return -1;
	}
	if (xtcp_test_run("ip -n %s link add name veth0 type veth peer name veth1 netns %s",
			  net->ns[0], net->ns[1]))
		return -1;
	for (i = 0; i < 2; i++) {
		if (xtcp_test_run("ip -n %s link set veth%d up", net->ns[i], i))
			return -1;
		if (net->xtcp[i]) {
			if (xtcp_test_run("ip netns exec %s %s link add dev veth%d addr %s/24",
					  net->ns[i], xtcp_test_ctl(), i, addr[i]))
				return -1;
			net->attached[i] = true;
		} else if (xtcp_test_run("ip -n %s addr add %s/24 dev veth%d",
					 net->ns[i], addr[i], i)) {
			return -1;
		}
	}
	return 0;
}

void xtcp_test_net_cleanup(struct xtcp_test_net *net)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (net->attached[i])
			xtcp_test_run("ip netns exec %s %s link del dev veth%d 2>/dev/null",
				      net->ns[i], xtcp_test_ctl(), i);
		net->attached[i] = false;
	}
	for (i = 0; i < 2; i++) {
		if (net->created[i])
			xtcp_test_run("ip netns del %s 2>/dev/null", net->ns[i]);
		net->created[i] = false;
	}
}

void xtcp_test_addr(struct sockaddr_in *sin, const char *ip, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, ip, &sin->sin_addr);
}

uint16_t xtcp_test_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		return 0;
	return ntohs(sin.sin_port);
}

/* Opens /proc/net/<file> as seen from namespace ns. */
static FILE *proc_open(const char *ns, const char *file)
{
	char path[128];
	FILE *f;
	int err;

	if (xtcp_test_ns_enter(ns))
		return NULL;
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", file);
	f = fopen(path, "r");
	err = errno;
	xtcp_test_ns_leave();
	errno = err;
	return f;
}

int xtcp_test_sk_state(const char *ns, bool xtcp, uint16_t lport,
		       uint16_t rport)
{
	unsigned int la, lp, ra, rp, st;
	char line[512];
	int state = 0;
	FILE *f;

	f = proc_open(ns, xtcp ? "xtcp" : "tcp");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %x:%x %x:%x %x", &la, &lp, &ra, &rp,
			   &st) != 5)
			continue;
		if (lp == lport && (!rport || rp == rport)) {
			state = (int)st;
			/* prefer a connected socket over a listener */
			if (st != XTCP_TEST_LISTEN)
				break;
		}
	}
	fclose(f);
	return state;
}

int xtcp_test_wait_state(const char *ns, bool xtcp, uint16_t lport,
			 uint16_t rport, int want, int timeout_ms)
{
	long long end = xtcp_test_now_ms() + timeout_ms;
	int st;

	for (;;) {
		st = xtcp_test_sk_state(ns, xtcp, lport, rport);
		if (st == want || xtcp_test_now_ms() > end)
			return st;
		xtcp_test_msleep(10);
	}
}

int xtcp_test_sk_count(const char *ns)
{
	char line[512];
	int n = -1;
	FILE *f;

	f = proc_open(ns, "xtcp");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

int xtcp_test_wait_drained(const char *ns, int timeout_ms)
{
	long long end = xtcp_test_now_ms() + timeout_ms;
	int n;

	for (;;) {
		n = xtcp_test_sk_count(ns);
		if (n <= 0 || xtcp_test_now_ms() > end)
			return n;
		xtcp_test_msleep(20);
	}
}

long long xtcp_test_counter(const char *ns, const char *name)
{
	char line[256], key[128];
	long long val = -1, v;
	FILE *f;

	f = proc_open(ns, "xtcp_stat");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", key, &v) == 2 &&
		    !strcmp(key, name)) {
			val = v;
			break;
		}
	}
	fclose(f);
	return val;
}

int xtcp_test_msl(int ms)
{
	const char *path = "/sys/module/xtcp/parameters/msl_ms";
	int cur = -1;
	FILE *f;

	if (ms >= 0) {
		f = fopen(path, "w");
		if (!f)
			return -1;
		fprintf(f, "%d\n", ms);
		return fclose(f) ? -1 : ms;
	}
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &cur) != 1)
		cur = -1;
	fclose(f);
	return cur;
}

void xtcp_test_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

long long xtcp_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void xtcp_test_prng_init(struct xtcp_test_prng *p, uint64_t seed)
{
	p->x = seed ^ 0x9e3779b97f4a7c15ull;
	if (!p->x)
		p->x = 1;
	p->left = 0;
}

void xtcp_test_fill(struct xtcp_test_prng *p, void *buf, size_t len)
{
	unsigned char *out = buf;

	while (len--) {
		if (!p->left) {
			p->x ^= p->x >> 12;
			p->x ^= p->x << 25;
			p->x ^= p->x >> 27;
			p->word = p->x * 0x2545f4914f6cdd1dull;
			p->left = 8;
		}
		*out++ = (unsigned char)p->word;
		p->word >>= 8;
		p->left--;
	}
}
