// SPDX-License-Identifier: GPL-2.0
/*
 * SYN cookies (RFC 4987 3.6): under a SYN flood, a listener whose SYN
 * queue is full answers a SYN without keeping anything, and puts what it
 * must remember into the SYN-ACK's ISS, which the peer echoes in its ACK
 * (SEG.ACK - 1). listen.c decides when (the syncookies parameter) and
 * builds the child from the cookie; this file only encodes and checks.
 *
 * Why cookies rather than another defence from RFC 4987 (a larger queue,
 * recycling the oldest request, a SYN cache): the listener keeps no state
 * at all for an unanswered SYN, so no rate of spoofed SYNs can crowd a
 * legitimate peer out; it is what Linux does (net/ipv4/syncookies.c, and
 * the tcp_syncookies sysctl whose 0/1/2 the parameter copies); and it
 * needs nothing from the peer, so it interoperates with every TCP. Its
 * known costs are Linux's too: the MSS is rounded down to one of four
 * values, and window scale and SACK survive only in the TSval of a peer
 * that uses timestamps (without them the child has neither).
 *
 * The ISS is, like Linux's secure_tcp_syn_cookie(), a keyed hash of the
 * 4-tuple plus the peer's ISN, plus a minute counter in the top 8 bits,
 * plus, in the low 24 bits, a second hash (of the 4-tuple and the
 * counter) with the MSS table index added: checking strips the first
 * hash and the ISN, reads the counter, and the index is what is left
 * once the second hash is taken off, valid only if it is in the table.
 * A forger who does not know the keys has about 4 chances in 2^24 per
 * guessed ACK. The keys are siphash keys (RFC 6528's advice for ISNs),
 * random per boot of the module; the counter's minute is Linux's
 * TCP_SYNCOOKIE_PERIOD and a cookie lives two of them (MAX_SYNCOOKIE_AGE).
 */
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include "xtcp.h"

/*
 * Like net.ipv4.tcp_syncookies, for every netns: 0 never, 1 when a
 * listener's SYN queue is full, 2 for every SYN. Read once per SYN.
 */
static unsigned int xtcp_syncookies_mode = 1;

static int xtcp_syncookies_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int err = kstrtouint(val, 0, &v);

	if (err)
		return err;
	if (v > 2)
		return -EINVAL;
	WRITE_ONCE(xtcp_syncookies_mode, v);
	return 0;
}

static const struct kernel_param_ops xtcp_syncookies_ops = {
	.set	= xtcp_syncookies_set,
	.get	= param_get_uint,
};

module_param_cb(syncookies, &xtcp_syncookies_ops, &xtcp_syncookies_mode,
		0644);
MODULE_PARM_DESC(syncookies,
		 "SYN cookies: 0 off, 1 when the SYN queue is full (default), 2 always");

unsigned int xtcp_syncookies(void)
{
	return READ_ONCE(xtcp_syncookies_mode);
}

enum {
	XTCP_COOKIE_BITS	= 24,		/* below the counter */
	XTCP_COOKIE_MAX_AGE	= 2,		/* counter ticks a cookie lives */
	/* the options in the low bits of a cookie's TSval */
	XTCP_COOKIE_TS_BITS	= 6,
	XTCP_COOKIE_TS_WSCALE	= 0x0f,		/* peer's shift; 0xf: none */
	XTCP_COOKIE_TS_SACK	= 0x10,
	XTCP_COOKIE_TS_ECN	= 0x20,		/* never set: XTCP has no ECN */
};

#define XTCP_COOKIE_MASK	((1U << XTCP_COOKIE_BITS) - 1)
#define XTCP_COOKIE_PERIOD	(60 * HZ)

/*
 * The MSS values a cookie can carry, as Linux's msstab: the index of the
 * largest one not above the peer's MSS goes in the cookie, so the peer
 * gets at most what it asked for (536 for less: RFC 9293 3.7.1's
 * default, which every host accepts). Sorted.
 */
static const u16 xtcp_cookie_msstab[] = { 536, 1300, 1440, 1460 };

/* [0] keys the outer hash, [1] the one with the counter; fixed at load */
static siphash_key_t xtcp_cookie_key[2] __ro_after_init;

void xtcp_syncookie_init(void)
{
	get_random_bytes(xtcp_cookie_key, sizeof(xtcp_cookie_key));
}

static u32 xtcp_cookie_hash(__be32 laddr, __be32 raddr, __be16 lport,
			    __be16 rport, u32 count, int which)
{
	return siphash_4u32((__force u32)laddr, (__force u32)raddr,
			    (__force u32)lport << 16 | (__force u32)rport,
			    count, &xtcp_cookie_key[which]);
}

/* minutes since boot, modulo 2^8 once in the cookie */
static u32 xtcp_cookie_count(void)
{
	return (u32)div_u64(get_jiffies_64(), XTCP_COOKIE_PERIOD);
}

/*
 * The ISS for a SYN from raddr:rport to laddr:lport with ISN @irs, and
 * the MSS it promises, which is @peer_mss rounded down to the table.
 */
u32 xtcp_syncookie_iss(__be32 laddr, __be32 raddr, __be16 lport,
		       __be16 rport, u32 irs, u16 *peer_mss)
{
	u32 count = xtcp_cookie_count();
	u32 idx;

	for (idx = ARRAY_SIZE(xtcp_cookie_msstab) - 1; idx; idx--)
		if (*peer_mss >= xtcp_cookie_msstab[idx])
			break;
	*peer_mss = xtcp_cookie_msstab[idx];
	return xtcp_cookie_hash(laddr, raddr, lport, rport, 0, 0) + irs +
	       (count << XTCP_COOKIE_BITS) +
	       ((xtcp_cookie_hash(laddr, raddr, lport, rport, count, 1) +
		 idx) & XTCP_COOKIE_MASK);
}

/*
 * The peer's MSS that @cookie (SEG.ACK - 1) promised to the SYN with ISN
 * @irs (SEG.SEQ - 1), or 0 if the cookie is not ours or is older than
 * XTCP_COOKIE_MAX_AGE counter ticks, as Linux's __cookie_v4_check().
 */
u16 xtcp_syncookie_check(__be32 laddr, __be32 raddr, __be16 lport,
			 __be16 rport, u32 irs, u32 cookie)
{
	u32 count = xtcp_cookie_count();
	u32 age, idx;

	cookie -= xtcp_cookie_hash(laddr, raddr, lport, rport, 0, 0) + irs;
	/* the counter is 8 bits: compare modulo 2^8 */
	age = (count - (cookie >> XTCP_COOKIE_BITS)) &
	      (U32_MAX >> XTCP_COOKIE_BITS);
	if (age >= XTCP_COOKIE_MAX_AGE)
		return 0;
	idx = (cookie - xtcp_cookie_hash(laddr, raddr, lport, rport,
					 count - age, 1)) & XTCP_COOKIE_MASK;
	return idx < ARRAY_SIZE(xtcp_cookie_msstab) ?
	       xtcp_cookie_msstab[idx] : 0;
}

/*
 * The TSval of a cookie SYN-ACK before the connection's offset, as
 * Linux's cookie_init_timestamp(): the clock @now with its low 6 bits
 * replaced by the options to remember, and moved back one step if that
 * put it in the future, so that the child's later TSvals, read from the
 * clock, never go backwards (RFC 7323 5.4).
 */
u32 xtcp_syncookie_tsval(u32 now, bool wscale_ok, u8 snd_wscale,
			 bool sack_ok)
{
	u32 opts = wscale_ok ? snd_wscale : XTCP_COOKIE_TS_WSCALE;
	u32 ts;

	if (sack_ok)
		opts |= XTCP_COOKIE_TS_SACK;
	ts = (now & ~((1U << XTCP_COOKIE_TS_BITS) - 1)) | opts;
	if (xtcp_after(ts, now))
		ts -= 1U << XTCP_COOKIE_TS_BITS;
	return ts;
}

/*
 * The options xtcp_syncookie_tsval() put in @ts, which the ACK echoes
 * (its TSecr less the connection's offset): window scale (wscale_ok and
 * the peer's shift) and SACK-permitted, as cookie_timestamp_decode().
 * False when they ask for what this host no longer offers (SACK was
 * turned off since), which fails the ACK as Linux does.
 */
bool xtcp_syncookie_ts_decode(u32 ts, bool *wscale_ok, u8 *snd_wscale,
			      bool *sack_ok)
{
	u32 ws = ts & XTCP_COOKIE_TS_WSCALE;

	*sack_ok = ts & XTCP_COOKIE_TS_SACK;
	if (*sack_ok && !READ_ONCE(xtcp_sack_enabled))
		return false;
	*wscale_ok = ws != XTCP_COOKIE_TS_WSCALE;
	/* 15 is "none"; 0..14 are the shifts RFC 7323 2.3 allows */
	*snd_wscale = *wscale_ok ? ws : 0;
	return true;
}
