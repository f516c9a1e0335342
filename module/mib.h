/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XTCP's counters, per network namespace. The first block mirrors the Tcp
 * MIB of RFC 4022 as /proc/net/snmp shows it; the second names every reason
 * XTCP drops a packet, so that each drop label in the code has a counter.
 */
#ifndef _XTCP_MIB_H
#define _XTCP_MIB_H

#include <linux/percpu.h>

/* X(ENUM, "Name") */
#define XTCP_MIB_LIST(X)						\
	X(ACTIVEOPENS, "ActiveOpens")					\
	X(PASSIVEOPENS, "PassiveOpens")					\
	X(ATTEMPTFAILS, "AttemptFails")					\
	X(ESTABRESETS, "EstabResets")					\
	X(CURRESTAB, "CurrEstab")	/* a gauge, not a counter */	\
	X(INSEGS, "InSegs")						\
	X(OUTSEGS, "OutSegs")						\
	X(RETRANSSEGS, "RetransSegs")					\
	X(INERRS, "InErrs")						\
	X(OUTRSTS, "OutRsts")						\
	X(INCSUMERRORS, "InCsumErrors")					\
	/* XTCP's own events */						\
	X(FASTRETRANS, "FastRetrans")					\
	X(TIMEOUTS, "Timeouts")						\
	X(SYNRETRANS, "SynRetrans")					\
	X(DELAYEDACKS, "DelayedAcks")					\
	X(OFOQUEUE, "OfoQueue")						\
	X(ZEROWINDOWPROBES, "ZeroWindowProbes")				\
	X(LISTENOVERFLOWS, "ListenOverflows")				\
	X(LISTENDROPS, "ListenDrops")					\
	X(CHALLENGEACKS, "ChallengeAcks")				\
	X(TWRECYCLED, "TimeWaitRecycled")				\
	/* drop reasons: every one is a label in link.c or input.c */	\
	X(DROP_IP_HDR, "DropIpHeader")					\
	X(DROP_IP_CSUM, "DropIpChecksum")				\
	X(DROP_IP_LEN, "DropIpLength")					\
	X(DROP_IP_FRAG, "DropIpFragment")				\
	X(DROP_IP_OTHERHOST, "DropIpOtherHost")				\
	X(DROP_IP_PROTO, "DropIpProtocol")				\
	X(DROP_TCP_HDR, "DropTcpHeader")				\
	X(DROP_TCP_CSUM, "DropTcpChecksum")				\
	X(DROP_NO_SOCKET, "DropNoSocket")				\
	X(DROP_BACKLOG, "DropBacklogFull")				\
	X(DROP_RCVBUF, "DropRcvbufFull")				\
	X(DROP_SEQ, "DropOutOfWindow")					\
	X(DROP_ACK, "DropBadAck")					\
	X(DROP_NOMEM, "DropNoMemory")					\
	X(DROP_NOROUTE, "DropNoRoute")					\
	X(DROP_ARP_HDR, "DropArpHeader")				\
	X(DROP_ARP_QUEUE, "DropArpQueueFull")				\
	X(DROP_ARP_FAILED, "DropArpFailed")				\
	X(DROP_ICMP, "DropIcmp")					\
	X(OUT_ARP_REQUESTS, "OutArpRequests")				\
	X(OUT_ARP_REPLIES, "OutArpReplies")				\
	X(OUT_ECHO_REPLIES, "OutEchoReplies")				\
	X(OUT_DROPS, "OutDrops")

#define XTCP_MIB_ENUM(e, s) XTCP_MIB_##e,
enum xtcp_mib_field {
	XTCP_MIB_LIST(XTCP_MIB_ENUM)
	__XTCP_MIB_MAX
};
#undef XTCP_MIB_ENUM

struct xtcp_mib {
	unsigned long mibs[__XTCP_MIB_MAX];
};

/* names, indexed by enum xtcp_mib_field; defined in proc.c */
extern const char * const xtcp_mib_names[__XTCP_MIB_MAX];

#endif /* _XTCP_MIB_H */
