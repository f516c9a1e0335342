/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's counters, per network namespace. The first block mirrors the Tcp
 * MIB of RFC 4022 as /proc/net/snmp shows it; the second names every reason
 * XTCP drops a packet, so that each drop label in the code has a counter.
 */
#ifndef _XTCP_MIB_H
#define _XTCP_MIB_H

#include <linux/percpu.h>

#define XTCP_MIB(e, s) XTCP_MIB_##e,
enum xtcp_mib_field {
#include "mib_list.h"
	__XTCP_MIB_MAX
};
#undef XTCP_MIB

struct xtcp_mib {
	unsigned long mibs[__XTCP_MIB_MAX];
};

/* names, indexed by enum xtcp_mib_field; defined in proc.c */
extern const char * const xtcp_mib_names[__XTCP_MIB_MAX];

#endif /* _XTCP_MIB_H */
