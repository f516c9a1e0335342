// SPDX-License-Identifier: GPL-2.0
/*
 * libxtcp-preload.so: unmodified programs over XTCP, through LD_PRELOAD
 * (tools/xtcp-run sets it), in the manner of smc-tools' smc_run and
 * mptcpize. Documentation/xtcp-run.md is the user's guide.
 *
 * It interposes socket() and setsockopt(). An IPv4 stream socket,
 * socket(AF_INET, SOCK_STREAM [| SOCK_NONBLOCK | SOCK_CLOEXEC], 0 or
 * IPPROTO_TCP), is created as socket(AF_XTCP, same type, same protocol):
 * XTCP takes sockaddr_in and the <netinet/tcp.h> options, and hands back
 * AF_INET addresses, so the program sees no difference past socket().
 * Every other call, socketpair() included, goes to the real socket()
 * untouched. accept() needs nothing: a listener's children are of its
 * family. setsockopt() passes every call through; only when
 * SOL_SOCKET/SO_REUSEPORT fails with EOPNOTSUPP on an XTCP socket (Linux
 * 6.1's socket layer allows it on AF_INET and AF_INET6 sockets alone) does
 * it set the same flag through SOL_XTCP/XTCP_REUSEPORT instead.
 *
 * The real socket() is looked up once, with dlsym(RTLD_NEXT), and the
 * family number once, from /sys/module/xtcp/parameters/family (a module
 * parameter may move it away from the uapi default, as xtcp-tool.c reads
 * it); both under pthread_once(), so concurrent first calls are safe and
 * every later call costs one branch. The settings are inherited by fork()
 * as they are; exec() starts a fresh copy, found again through the
 * inherited LD_PRELOAD, so a forking or exec-ing server's workers are
 * covered.
 *
 * The module absent: socket(AF_XTCP) fails with EAFNOSUPPORT. The socket
 * is then created as AF_INET (native TCP) and one line goes to stderr,
 * once per process (a fork()ed child inherits the "said it" mark, an
 * exec() resets it); later calls go straight to AF_INET, without asking
 * again. XTCP_STRICT=1 makes it an error instead: socket() fails with
 * EAFNOSUPPORT. Any other error of socket(AF_XTCP) (EMFILE, ENOBUFS, an
 * LSM's EACCES) is the program's to see, as native socket() would report
 * it. XTCP_DEBUG=1 logs each socket diverted to XTCP on stderr.
 *
 * No fallback per destination. AF_SMC falls back to TCP when the peer or
 * the path cannot do SMC, and it can because an SMC socket carries a TCP
 * socket inside from the start. Here socket() cannot know where the
 * socket will connect, and an XTCP socket has no native socket inside:
 * falling back after a failed connect() would mean creating an AF_INET
 * socket then, replaying every option and bind() the program made, and
 * dup2()ing it over the fd, which misses state we cannot see (O_ASYNC
 * owners, epoll registrations keep the old file, a non-blocking connect's
 * EINPROGRESS has already been reported). A destination XTCP cannot reach
 * is reported as native TCP would report an unreachable one (connect()
 * fails), and the fix is an XTCP link towards it.
 *
 * Out of reach: programs that make the socket syscall directly, or are
 * statically linked (no dynamic symbol to interpose), glibc's own internal
 * calls (they bind to the libc symbol), and setuid/setgid programs (the
 * loader drops a non-system LD_PRELOAD for them).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/xtcp.h>

#define XTCP_RUN_FAMILY_PARAM "/sys/module/xtcp/parameters/family"

typedef int (*xtcp_run_socket_fn)(int domain, int type, int protocol);
typedef int (*xtcp_run_setsockopt_fn)(int fd, int level, int optname,
				      const void *optval, socklen_t optlen);

/* All set once by xtcp_run_init(), under xtcp_run_once; read-only after. */
static pthread_once_t xtcp_run_once = PTHREAD_ONCE_INIT;
static xtcp_run_socket_fn xtcp_run_real_socket;
static xtcp_run_setsockopt_fn xtcp_run_real_setsockopt;
static int xtcp_run_family = AF_XTCP;
static bool xtcp_run_debug;
static bool xtcp_run_strict;

/* socket(AF_XTCP) said EAFNOSUPPORT: the module is not loaded */
static atomic_bool xtcp_run_absent;
/* the fallback line was written (once per process) */
static atomic_bool xtcp_run_warned;

/* The real socket() if the lookup failed (no libc after us?). */
static int xtcp_run_sys_socket(int domain, int type, int protocol)
{
	return syscall(SYS_socket, domain, type, protocol);
}

static int xtcp_run_sys_setsockopt(int fd, int level, int optname,
				   const void *optval, socklen_t optlen)
{
	return syscall(SYS_setsockopt, fd, level, optname, optval, optlen);
}

static bool xtcp_run_env_on(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

/* The family the loaded module registered, else the uapi default. */
static int xtcp_run_read_family(void)
{
	char buf[16];
	long v;
	char *end;
	ssize_t n;
	int fd;

	fd = open(XTCP_RUN_FAMILY_PARAM, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return AF_XTCP;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return AF_XTCP;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || v <= 0 || v >= AF_MAX)
		return AF_XTCP;
	return (int)v;
}

static void xtcp_run_init(void)
{
	xtcp_run_real_socket = (xtcp_run_socket_fn)dlsym(RTLD_NEXT, "socket");
	if (!xtcp_run_real_socket)
		xtcp_run_real_socket = xtcp_run_sys_socket;
	xtcp_run_real_setsockopt =
		(xtcp_run_setsockopt_fn)dlsym(RTLD_NEXT, "setsockopt");
	if (!xtcp_run_real_setsockopt)
		xtcp_run_real_setsockopt = xtcp_run_sys_setsockopt;
	xtcp_run_family = xtcp_run_read_family();
	xtcp_run_debug = xtcp_run_env_on("XTCP_DEBUG");
	xtcp_run_strict = xtcp_run_env_on("XTCP_STRICT");
}

/*
 * One line on stderr, with write(2) so that no stdio buffer or lock of the
 * program's is involved; errno is left as it was.
 */
static void xtcp_run_log(const char *fmt, ...)
{
	int saved = errno;
	char line[256];
	ssize_t done;
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "xtcp-run[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* a failure has nowhere else to be said */
	done = write(STDERR_FILENO, line, n);
	(void)done;
	errno = saved;
}

/* the calls to divert: IPv4 TCP, as socket(2) spells it */
static bool xtcp_run_divertible(int domain, int type, int protocol)
{
	return domain == AF_INET &&
	       (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

static int xtcp_run_fallback(int domain, int type, int protocol)
{
	if (xtcp_run_strict) {
		if (xtcp_run_debug)
			xtcp_run_log("XTCP not available and XTCP_STRICT=1: socket() fails with EAFNOSUPPORT");
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (!atomic_exchange(&xtcp_run_warned, true))
		xtcp_run_log("XTCP not available (socket(AF_XTCP = %d): EAFNOSUPPORT, module not loaded): using native TCP",
			     xtcp_run_family);
	return xtcp_run_real_socket(domain, type, protocol);
}

int socket(int domain, int type, int protocol)
{
	int fd;

	pthread_once(&xtcp_run_once, xtcp_run_init);
	if (!xtcp_run_divertible(domain, type, protocol))
		return xtcp_run_real_socket(domain, type, protocol);
	if (atomic_load_explicit(&xtcp_run_absent, memory_order_relaxed))
		return xtcp_run_fallback(domain, type, protocol);

	fd = xtcp_run_real_socket(xtcp_run_family, type, protocol);
	if (fd >= 0) {
		if (xtcp_run_debug)
			xtcp_run_log("diverted AF_INET SOCK_STREAM%s%s protocol %d: fd %d over XTCP (family %d)",
				     type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
				     type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "",
				     protocol, fd, xtcp_run_family);
		return fd;
	}
	if (errno != EAFNOSUPPORT)
		return -1;
	atomic_store_explicit(&xtcp_run_absent, true, memory_order_relaxed);
	return xtcp_run_fallback(domain, type, protocol);
}

/* Is fd an XTCP socket? */
static bool xtcp_run_is_xtcp(int fd)
{
	socklen_t len = sizeof(int);
	int domain;

	return !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) &&
	       domain == xtcp_run_family;
}

int setsockopt(int fd, int level, int optname, const void *optval,
	       socklen_t optlen)
{
	int ret, saved;

	pthread_once(&xtcp_run_once, xtcp_run_init);
	ret = xtcp_run_real_setsockopt(fd, level, optname, optval, optlen);
	if (!ret || errno != EOPNOTSUPP || level != SOL_SOCKET ||
	    optname != SO_REUSEPORT)
		return ret;
	saved = errno;
	if (!xtcp_run_is_xtcp(fd)) {
		errno = saved;
		return ret;
	}
	if (xtcp_run_debug)
		xtcp_run_log("fd %d: SO_REUSEPORT set as SOL_XTCP XTCP_REUSEPORT",
			     fd);
	return xtcp_run_real_setsockopt(fd, SOL_XTCP, XTCP_REUSEPORT, optval,
					optlen);
}
