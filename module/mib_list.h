/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rows of XTCP's counter table, XTCP_MIB(ENUM, "Name"), in the order
 * /proc/net/xtcp_stat and "xtcpctl stats" show them. Included twice, by
 * mib.h for the enum and by proc.c for the names, so that the two never
 * disagree. No include guard, on purpose.
 */
XTCP_MIB(ACTIVEOPENS, "ActiveOpens")
XTCP_MIB(PASSIVEOPENS, "PassiveOpens")
XTCP_MIB(ATTEMPTFAILS, "AttemptFails")
XTCP_MIB(ESTABRESETS, "EstabResets")
XTCP_MIB(CURRESTAB, "CurrEstab")	/* a gauge, not a counter */
XTCP_MIB(INSEGS, "InSegs")
XTCP_MIB(OUTSEGS, "OutSegs")
XTCP_MIB(RETRANSSEGS, "RetransSegs")
XTCP_MIB(INERRS, "InErrs")
XTCP_MIB(OUTRSTS, "OutRsts")
XTCP_MIB(INCSUMERRORS, "InCsumErrors")
/* XTCP's own events */
XTCP_MIB(FASTRETRANS, "FastRetrans")
XTCP_MIB(TIMEOUTS, "Timeouts")
XTCP_MIB(SYNRETRANS, "SynRetrans")
XTCP_MIB(DELAYEDACKS, "DelayedAcks")
XTCP_MIB(OFOQUEUE, "OfoQueue")
/* out-of-order skbs dropped to make room in the receive buffer */
XTCP_MIB(OFOPRUNE, "OfoPrune")
XTCP_MIB(ZEROWINDOWPROBES, "ZeroWindowProbes")
XTCP_MIB(LISTENOVERFLOWS, "ListenOverflows")
XTCP_MIB(LISTENDROPS, "ListenDrops")
XTCP_MIB(CHALLENGEACKS, "ChallengeAcks")
XTCP_MIB(TWRECYCLED, "TimeWaitRecycled")
/* drop reasons: every one is a label in link.c or input.c */
XTCP_MIB(DROP_IP_HDR, "DropIpHeader")
XTCP_MIB(DROP_IP_CSUM, "DropIpChecksum")
XTCP_MIB(DROP_IP_LEN, "DropIpLength")
XTCP_MIB(DROP_IP_FRAG, "DropIpFragment")
XTCP_MIB(DROP_IP_OTHERHOST, "DropIpOtherHost")
XTCP_MIB(DROP_IP_PROTO, "DropIpProtocol")
XTCP_MIB(DROP_TCP_HDR, "DropTcpHeader")
XTCP_MIB(DROP_TCP_CSUM, "DropTcpChecksum")
XTCP_MIB(DROP_NO_SOCKET, "DropNoSocket")
XTCP_MIB(DROP_BACKLOG, "DropBacklogFull")
XTCP_MIB(DROP_RCVBUF, "DropRcvbufFull")
XTCP_MIB(DROP_SEQ, "DropOutOfWindow")
XTCP_MIB(DROP_ACK, "DropBadAck")
XTCP_MIB(DROP_NOMEM, "DropNoMemory")
XTCP_MIB(DROP_NOROUTE, "DropNoRoute")
XTCP_MIB(DROP_ARP_HDR, "DropArpHeader")
XTCP_MIB(DROP_ARP_QUEUE, "DropArpQueueFull")
XTCP_MIB(DROP_ARP_FAILED, "DropArpFailed")
XTCP_MIB(DROP_ICMP, "DropIcmp")
XTCP_MIB(OUT_ARP_REQUESTS, "OutArpRequests")
XTCP_MIB(OUT_ARP_REPLIES, "OutArpReplies")
XTCP_MIB(OUT_ECHO_REPLIES, "OutEchoReplies")
XTCP_MIB(OUT_DROPS, "OutDrops")
