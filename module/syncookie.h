/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SYN cookies (syncookie.c): the encoding, for listen.c, which alone
 * decides when to send them and builds children from them.
 */
#ifndef _XTCP_SYNCOOKIE_H
#define _XTCP_SYNCOOKIE_H

#include <linux/types.h>

/* how long a cookie stays valid: two of its one-minute counter ticks */
#define XTCP_SYNCOOKIE_VALID	(2 * 60 * HZ)

void xtcp_syncookie_init(void);
/* the syncookies parameter: 0 off, 1 when the SYN queue is full, 2 always */
unsigned int xtcp_syncookies(void);
u32 xtcp_syncookie_iss(__be32 laddr, __be32 raddr, __be16 lport,
		       __be16 rport, u32 irs, u16 *peer_mss);
u16 xtcp_syncookie_check(__be32 laddr, __be32 raddr, __be16 lport,
			 __be16 rport, u32 irs, u32 cookie);
u32 xtcp_syncookie_tsval(u32 now, bool wscale_ok, u8 snd_wscale,
			 bool sack_ok);
bool xtcp_syncookie_ts_decode(u32 ts, bool *wscale_ok, u8 *snd_wscale,
			      bool *sack_ok);

#endif /* _XTCP_SYNCOOKIE_H */
