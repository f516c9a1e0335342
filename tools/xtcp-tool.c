// SPDX-License-Identifier: GPL-2.0
/* What the benchmark tools share (xtcp-tool.h). */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/xtcp.h>

#include "xtcp-tool.h"

double xtcp_tool_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool xtcp_tool_parse_ulong(const char *s, unsigned long max,
			   unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *s != '-' && *out <= max;
}

/*
 * "xtcp" means the family the loaded module registered, which a module
 * parameter may have moved away from the uapi default.
 */
int xtcp_tool_family(const char *s)
{
	unsigned long v;
	FILE *f;

	if (!strcmp(s, "inet"))
		return AF_INET;
	if (!strcmp(s, "xtcp")) {
		f = fopen(FAMILY_PARAM, "r");
		if (!f)
			return AF_XTCP;
		if (fscanf(f, "%lu", &v) != 1 || v >= AF_MAX)
			v = AF_XTCP;
		fclose(f);
		return (int)v;
	}
	if (!xtcp_tool_parse_ulong(s, AF_MAX - 1, &v) || !v)
		return -1;
	return (int)v;
}

static const char *tool_prog = "xtcp-tool";
static const char *tool_usage = "";

void xtcp_tool_init(const char *prog, const char *usage)
{
	tool_prog = prog;
	tool_usage = usage;
}

void xtcp_tool_usage(const char *msg, const char *arg)
{
	if (msg)
		fprintf(stderr, "%s: %s%s%s\n", tool_prog, msg,
			arg ? " " : "", arg ? arg : "");
	fputs(tool_usage, stderr);
	exit(2);
}

int xtcp_tool_family_arg(const char *s)
{
	int family = xtcp_tool_family(s);

	if (family < 0)
		xtcp_tool_usage("bad family", s);
	return family;
}

/* a lock-free atomic is signal safe */
atomic_int xtcp_tool_stop;

static void xtcp_tool_on_signal(int sig)
{
	(void)sig;
	xtcp_tool_stop = 1;
}

void xtcp_tool_catch_stop(bool alarm)
{
	struct sigaction sa = { .sa_handler = xtcp_tool_on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (alarm)
		sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
