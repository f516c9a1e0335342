// SPDX-License-Identifier: GPL-2.0
/* What the benchmark tools share (xtcp-tool.h). */

#include <errno.h>
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
