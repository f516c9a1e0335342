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
/*
 * Every RST XTCP sends counts in OutRsts and in exactly one of these, by
 * why it was sent (xtcp_send_reset_reply(), xtcp_send_active_reset()).
 */
/* a segment no socket wants (RFC 9293 3.10.7.1, CLOSED) */
XTCP_MIB(RSTNOSOCKET, "RstNoSocket")
/* an ACK to a listener that matches no request (RFC 9293 3.10.7.2) */
XTCP_MIB(RSTLISTENACK, "RstListenAck")
/* an unacceptable ACK in SYN-SENT or SYN-RECEIVED (3.10.7.3, 3.10.7.4) */
XTCP_MIB(RSTBADACK, "RstBadAck")
/* new data after the application closed for reading (RFC 2525 2.17) */
XTCP_MIB(RSTDATAAFTERCLOSE, "RstDataAfterClose")
/*
 * close() with unread data, SO_LINGER 0, disconnect(), link removal; an
 * orphan reaching FIN-WAIT-2 with TCP_LINGER2 < 0
 */
XTCP_MIB(RSTABORT, "RstAbort")
/*
 * keepalive gave up on the peer (tcp_keepalive_timer()'s RST). An
 * orphaned FIN-WAIT-2 whose timer runs out goes silently, as in Linux.
 */
XTCP_MIB(RSTTIMEOUT, "RstTimeout")
/* XTCP's own events */
XTCP_MIB(FASTRETRANS, "FastRetrans")
XTCP_MIB(TIMEOUTS, "Timeouts")
XTCP_MIB(SYNRETRANS, "SynRetrans")
XTCP_MIB(DELAYEDACKS, "DelayedAcks")
XTCP_MIB(OFOQUEUE, "OfoQueue")
/* out-of-order skbs dropped to make room in the receive buffer */
XTCP_MIB(OFOPRUNE, "OfoPrune")
/* out-of-order data already queued, dropped (Linux's TCPOFOMerge) */
XTCP_MIB(OFOMERGE, "OfoMerge")
/* an skb joined its neighbour's in the receive or out-of-order queue */
XTCP_MIB(RCVCOALESCE, "RcvCoalesce")
/* a dropped segment with data below RCV.NXT (Linux's DelayedACKLost) */
XTCP_MIB(RCVDUPLICATE, "RcvDuplicate")
/* a segment straddling RCV.NXT: its old bytes dropped, the rest kept */
XTCP_MIB(RCVPARTIALDUP, "RcvPartialDuplicate")
/* D-SACK blocks (RFC 2883) for data below RCV.NXT, or out of order */
XTCP_MIB(DSACKOLDSENT, "DSACKOldSent")
XTCP_MIB(DSACKOFOSENT, "DSACKOfoSent")
XTCP_MIB(ZEROWINDOWPROBES, "ZeroWindowProbes")
/* keepalive (timer.c), as Linux's TcpExt counters */
/* keepalive probes sent */
XTCP_MIB(KEEPALIVE, "TCPKeepAlive")
/*
 * a connection given up by a timer with ETIMEDOUT: retransmissions,
 * TCP_USER_TIMEOUT, zero-window or keepalive probes unanswered
 */
XTCP_MIB(ABORTONTIMEOUT, "TCPAbortOnTimeout")
/* an orphan reset, not left in FIN-WAIT-2, because TCP_LINGER2 < 0 */
XTCP_MIB(ABORTONLINGER, "TCPAbortOnLinger")
XTCP_MIB(LISTENOVERFLOWS, "ListenOverflows")
XTCP_MIB(LISTENDROPS, "ListenDrops")
/* a bare handshake ACK dropped under TCP_DEFER_ACCEPT (listen.c) */
XTCP_MIB(DEFERACCEPTDROP, "TCPDeferAcceptDrop")
XTCP_MIB(CHALLENGEACKS, "ChallengeAcks")
/* duplicate ACKs not sent: one per invalid_ratelimit ms (RFC 5961 10) */
XTCP_MIB(ACKSKIPPEDPAWS, "TCPACKSkippedPAWS")
XTCP_MIB(ACKSKIPPEDSEQ, "TCPACKSkippedSeq")
XTCP_MIB(ACKSKIPPEDCHALLENGE, "TCPACKSkippedChallenge")
/* loss recovery of the sender (recovery.c), as Linux's TcpExt names */
/* fast recovery entered on SACK/RACK evidence */
XTCP_MIB(SACKRECOVERY, "TCPSackRecovery")
/* a D-SACK block arrived (RFC 2883) */
XTCP_MIB(DSACKRECV, "TCPDSACKRecv")
/* a D-SACK ignored: longer than a window, or more than was resent */
XTCP_MIB(DSACKIGNOREDDUBIOUS, "TCPDSACKIgnoredDubious")
/* a SACK block failed the checks of tcp_is_sackblock_valid() */
XTCP_MIB(SACKDISCARD, "TCPSACKDiscard")
/* a sent skb not cut: the send queue is at its memory bound (output.c) */
XTCP_MIB(WQUEUETOOBIG, "TCPWqueueTooBig")
/* tail loss probes sent (RFC 8985 7.3) */
XTCP_MIB(LOSSPROBES, "TCPLossProbes")
/* a probe repaired a loss: cwnd reduced (RFC 8985 7.4) */
XTCP_MIB(LOSSPROBERECOVERY, "TCPLossProbeRecovery")
/* fast recovery undone at its end: all spurious (D-SACK or Eifel) */
XTCP_MIB(FULLUNDO, "TCPFullUndo")
/* fast recovery undone by D-SACKs covering every retransmission */
XTCP_MIB(DSACKUNDO, "TCPDSACKUndo")
/* an RTO undone: the ACK echoed a TSval older than the resend (Eifel) */
XTCP_MIB(LOSSUNDO, "TCPLossUndo")
/* an old timestamp: dropped by PAWS (RFC 7323 5.3), as PAWSEstabRejected */
XTCP_MIB(PAWSESTABREJECTED, "PAWSEstabRejected")
/* TIME_WAIT entries made (Linux's TW) */
XTCP_MIB(TW, "TW")
/* a new SYN took over the 4-tuple of a TIME_WAIT entry */
XTCP_MIB(TWRECYCLED, "TimeWaitRecycled")
/* closed without an entry: max_tw_buckets reached, or no memory */
XTCP_MIB(TWOVERFLOW, "TWOverflow")
/* TCP Fast Open (RFC 7413, fastopen.c), as Linux's TcpExt counters */
/* the server took the data of our SYN */
XTCP_MIB(FASTOPENACTIVE, "TCPFastOpenActive")
/* it did not: cookie refused, no Fast Open there, or SYN-data lost */
XTCP_MIB(FASTOPENACTIVEFAIL, "TCPFastOpenActiveFail")
/* a SYN with a valid cookie made a child at once */
XTCP_MIB(FASTOPENPASSIVE, "TCPFastOpenPassive")
/* a SYN with a wrong cookie, or no child for a valid one */
XTCP_MIB(FASTOPENPASSIVEFAIL, "TCPFastOpenPassiveFail")
/* a cookie SYN beyond the listener's TCP_FASTOPEN queue length */
XTCP_MIB(FASTOPENLISTENOVERFLOW, "TCPFastOpenListenOverflow")
/* a SYN asked for a cookie */
XTCP_MIB(FASTOPENCOOKIEREQD, "TCPFastOpenCookieReqd")
/* congestion control (cong.c, cubic.c) */
/* cwnd cut after an idle period longer than the RTO (RFC 5681 4.1) */
XTCP_MIB(CWNDRESTART, "CwndRestart")
/* HyStart left slow start: ACK train, delay increase (Linux's TcpExt) */
XTCP_MIB(HYSTARTTRAIN, "TCPHystartTrainDetect")
XTCP_MIB(HYSTARTDELAY, "TCPHystartDelayDetect")
/* receive buffer grown by autotuning (buf.c) */
XTCP_MIB(RCVBUFGROW, "RcvbufAutotune")
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
/*
 * an orphan reset because its netns has more than max_orphans (Linux's
 * TCPAbortOnMemory for tcp_max_orphans); its RST counts in RstAbort
 */
XTCP_MIB(ABORTONMEMORY, "TCPAbortOnMemory")
/* hostile input: replies the per-netns limits held back */
/* a challenge ACK over challenge_ack_limit per second (RFC 5961 7) */
XTCP_MIB(CHALLENGEACKLIMITED, "ChallengeAcksLimited")
/* a RST to a segment no connection wants, over rst_ratelimit per second */
XTCP_MIB(OUTRSTLIMITED, "OutRstsLimited")
/* an ICMP echo reply over echo_ratelimit per second */
XTCP_MIB(OUTECHOLIMITED, "OutEchoRepliesLimited")
/* SYN cookies (syncookie.c, listen.c), as Linux's TcpExt counters */
/* SYN-ACKs sent with a cookie for their ISS */
XTCP_MIB(SYNCOOKIESSENT, "SyncookiesSent")
/* ACKs whose cookie checked out (a child, unless the accept queue is full) */
XTCP_MIB(SYNCOOKIESRECV, "SyncookiesRecv")
/* ACKs to a listener that sent cookies lately whose cookie did not check */
XTCP_MIB(SYNCOOKIESFAILED, "SyncookiesFailed")
/* a SYN found the SYN queue full (or syncookies is 2): a cookie instead */
XTCP_MIB(REQQFULLDOCOOKIES, "TCPReqQFullDoCookies")
/* a SYN found the SYN queue full with syncookies 0: dropped */
XTCP_MIB(REQQFULLDROP, "TCPReqQFullDrop")
/* memory accounting (buf.c, input.c), Linux's names */
/* the account went over tcp_mem's pressure mark (not under pressure yet) */
XTCP_MIB(MEMORYPRESSURES, "TCPMemoryPressures")
/* milliseconds spent under memory pressure, added as it ends */
XTCP_MIB(MEMORYPRESSURESCHRONO, "TCPMemoryPressuresChrono")
/* a segment found no room: the queues were pruned (tcp_prune_queue()) */
XTCP_MIB(PRUNECALLED, "PruneCalled")
/* pruning did not make room: the segment was dropped */
XTCP_MIB(RCVPRUNED, "RcvPruned")
/* in-order data dropped for memory behind a non-empty receive queue */
XTCP_MIB(RCVQDROP, "TCPRcvQDrop")
