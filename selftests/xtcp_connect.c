// SPDX-License-Identifier: GPL-2.0
/*
 * xtcp_connect: one data mover for both stacks.
 *
 *   server: xtcp_connect -s XTCP|TCP -l -p PORT [-b ADDR] [-n CONNS] [-r]
 *	accepts CONNS connections (default 1; 0 listens and closes at once)
 *	one after the other, reads each
 *	to EOF and prints "received BYTES sha256 HEX"; with -r it writes
 *	everything back as it reads and half-closes at EOF.
 *   client: xtcp_connect -s XTCP|TCP -c ADDR -p PORT -n BYTES [-r]
 *	sends BYTES deterministic pseudo-random bytes, shutdown(SHUT_WR),
 *	reads to EOF and prints "sent BYTES sha256 HEX"; with -r what it
 *	read must be the same bytes, else it fails.
 *
 * Common: -t SECONDS (default 120) bounds the whole run; -S SEED changes the
 * byte stream; -N NETNS runs in the named namespace (/run/netns/NETNS), like
 * `ip netns exec NETNS xtcp_connect ...` but without a second process.
 * Exit 0 on success, 1 on failure, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "xtcp_test.h"

#define CHUNK	65536

static struct {
	bool xtcp;
	bool listen;
	bool echo;
	const char *addr;
	int port;
	unsigned long long n;
	bool n_set;
	unsigned int timeout;
	unsigned long long seed;
	const char *netns;
} opt = { .timeout = 120, .seed = 1 };

static void usage(void)
{
	fprintf(stderr,
		"usage: xtcp_connect -s XTCP|TCP -l -p PORT [-b ADDR] [-n CONNS] [-r] [-t SEC] [-N NETNS]\n"
		"       xtcp_connect -s XTCP|TCP -c ADDR -p PORT -n BYTES [-r] [-t SEC] [-S SEED] [-N NETNS]\n");
	exit(2);
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static bool parse_ull(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static void parse_args(int argc, char **argv)
{
	unsigned long long v;
	bool have_s = false, have_c = false, have_b = false;
	int c;

	while ((c = getopt(argc, argv, "s:lc:b:p:n:rt:S:N:h")) != -1) {
		switch (c) {
		case 's':
			if (!strcasecmp(optarg, "XTCP"))
				opt.xtcp = true;
			else if (strcasecmp(optarg, "TCP"))
				usage();
			have_s = true;
			break;
		case 'l':
			opt.listen = true;
			break;
		case 'c':
			opt.addr = optarg;
			have_c = true;
			break;
		case 'b':
			opt.addr = optarg;
			have_b = true;
			break;
		case 'p':
			if (!parse_ull(optarg, &v) || v > 65535)
				usage();
			opt.port = (int)v;
			break;
		case 'n':
			if (!parse_ull(optarg, &opt.n))
				usage();
			opt.n_set = true;
			break;
		case 'r':
			opt.echo = true;
			break;
		case 't':
			if (!parse_ull(optarg, &v) || !v || v > 86400)
				usage();
			opt.timeout = (unsigned int)v;
			break;
		case 'S':
			if (!parse_ull(optarg, &opt.seed))
				usage();
			break;
		case 'N':
			opt.netns = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_s || !opt.port)
		usage();
	if (have_c && have_b)
		usage();
	if (opt.listen ? have_c : (!have_c || !opt.n_set))
		usage();
	if (opt.listen && !opt.n_set)
		opt.n = 1;
}

static void hex(const unsigned char *md, unsigned int len, char *out)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

static void sha_final(EVP_MD_CTX *ctx, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len;

	if (!EVP_DigestFinal_ex(ctx, md, &len))
		die("EVP_DigestFinal_ex");
	hex(md, len, out);
}

static EVP_MD_CTX *sha_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		die("EVP_DigestInit_ex");
	return ctx;
}

static int make_socket(void)
{
	int fd = socket(xtcp_test_sock_family(opt.xtcp), SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void serve_one(int fd)
{
	unsigned long long total = 0;
	char *buf = malloc(CHUNK);
	EVP_MD_CTX *ctx = sha_new();
	char out[2 * EVP_MAX_MD_SIZE + 1];
	ssize_t n;

	if (!buf)
		die("malloc");
	for (;;) {
		n = read(fd, buf, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (!n)
			break;
		total += (unsigned long long)n;
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (opt.echo)
			write_all(fd, buf, (size_t)n);
	}
	if (opt.echo && shutdown(fd, SHUT_WR))
		die("shutdown");
	sha_final(ctx, out);
	printf("received %llu sha256 %s\n", total, out);
	fflush(stdout);
	EVP_MD_CTX_free(ctx);
	free(buf);
}

static int server(void)
{
	struct sockaddr_in sin;
	unsigned long long i;
	int one = 1;
	int fd, c;

	xtcp_test_addr(&sin, opt.addr ? opt.addr : "0.0.0.0", (uint16_t)opt.port);
	if (opt.addr && sin.sin_addr.s_addr == 0 && strcmp(opt.addr, "0.0.0.0"))
		usage();
	fd = make_socket();
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	if (listen(fd, 128))
		die("listen");
	for (i = 0; i < opt.n; i++) {
		c = accept(fd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			die("accept");
		}
		serve_one(c);
		if (close(c))
			die("close");
	}
	close(fd);
	return 0;
}

static int client(void)
{
	EVP_MD_CTX *sent_ctx = sha_new(), *echo_ctx = sha_new();
	char sent_hex[2 * EVP_MAX_MD_SIZE + 1], echo_hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned long long sent = 0, got = 0;
	struct xtcp_test_prng prng;
	char *out = malloc(CHUNK), *in = malloc(CHUNK);
	size_t out_len = 0, out_off = 0;
	struct sockaddr_in sin;
	bool wr_done = false;
	struct pollfd pfd;
	ssize_t n;
	int fd;

	if (!out || !in)
		die("malloc");
	xtcp_test_addr(&sin, opt.addr, (uint16_t)opt.port);
	if (sin.sin_addr.s_addr == 0)
		usage();
	xtcp_test_prng_init(&prng, opt.seed);
	fd = make_socket();
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	if (fcntl(fd, F_SETFL, O_NONBLOCK))
		die("fcntl");

	/* Write and read at once, so that an echoing peer never blocks us. */
	for (;;) {
		if (!wr_done && out_off == out_len && sent < opt.n) {
			out_len = opt.n - sent < CHUNK ? (size_t)(opt.n - sent) : CHUNK;
			xtcp_test_fill(&prng, out, out_len);
			EVP_DigestUpdate(sent_ctx, out, out_len);
			out_off = 0;
		}
		if (!wr_done && out_off == out_len && sent == opt.n) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			wr_done = true;
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (wr_done ? 0 : POLLOUT);
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (!wr_done && (pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(fd, out + out_off, out_len - out_off);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("write");
			if (n > 0) {
				out_off += (size_t)n;
				sent += (unsigned long long)n;
			}
		}
		if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
			n = read(fd, in, CHUNK);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("read");
			if (!n) {
				if (!wr_done) {
					fprintf(stderr, "EOF from peer before all was sent\n");
					return 1;
				}
				break;
			}
			if (n > 0) {
				got += (unsigned long long)n;
				EVP_DigestUpdate(echo_ctx, in, (size_t)n);
			}
		}
	}
	close(fd);
	sha_final(sent_ctx, sent_hex);
	sha_final(echo_ctx, echo_hex);
	printf("sent %llu sha256 %s\n", sent, sent_hex);
	if (opt.echo) {
		printf("echoed %llu sha256 %s\n", got, echo_hex);
		if (got != sent || strcmp(sent_hex, echo_hex)) {
			fprintf(stderr, "echo mismatch\n");
			return 1;
		}
	} else if (got) {
		fprintf(stderr, "unexpected %llu bytes from the server\n", got);
		return 1;
	}
	EVP_MD_CTX_free(sent_ctx);
	EVP_MD_CTX_free(echo_ctx);
	free(out);
	free(in);
	return 0;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	alarm(opt.timeout);
	if (opt.netns && xtcp_test_ns_enter(opt.netns)) {
		fprintf(stderr, "xtcp_connect: netns %s: %s\n", opt.netns,
			strerror(errno));
		return 1;
	}
	return opt.listen ? server() : client();
}
