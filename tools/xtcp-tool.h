/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark tools (xtcp-crr, xtcp-rr, xtcp-stream) share: the
 * socket family a name stands for, number parsing, a monotonic clock, the
 * usage exit and the stop flag.
 */
#ifndef XTCP_TOOL_H
#define XTCP_TOOL_H

#include <stdatomic.h>
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

/* the program name and usage text xtcp_tool_usage() prints */
void xtcp_tool_init(const char *prog, const char *usage);
/* "prog: msg arg" (when msg) and the usage on stderr, then exit(2) */
_Noreturn void xtcp_tool_usage(const char *msg, const char *arg);
/* xtcp_tool_family(), exiting with the usage on a bad name */
int xtcp_tool_family_arg(const char *s);

/* set by the signals xtcp_tool_catch_stop() catches */
extern atomic_int xtcp_tool_stop;
/*
 * SIGINT, SIGTERM and, with alarm, SIGALRM set xtcp_tool_stop, without
 * SA_RESTART so that they interrupt a blocked call; SIGPIPE is ignored
 * (a write to a reset connection gives EPIPE).
 */
void xtcp_tool_catch_stop(bool alarm);

#endif /* XTCP_TOOL_H */
