/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark tools (xtcp-crr, xtcp-stream) share: the socket
 * family a name stands for, number parsing and a monotonic clock.
 */
#ifndef XTCP_TOOL_H
#define XTCP_TOOL_H

#include <stdbool.h>

/* where the loaded module says which family number it registered */
#define FAMILY_PARAM "/sys/module/xtcp/parameters/family"

/* seconds on CLOCK_MONOTONIC */
double xtcp_tool_now(void);
/* a decimal number in [0, max], nothing else in s */
bool xtcp_tool_parse_ulong(const char *s, unsigned long max,
			   unsigned long *out);
/* "inet", "xtcp" or a family number; -1 if s is none of them */
int xtcp_tool_family(const char *s);

#endif /* XTCP_TOOL_H */
