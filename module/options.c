// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options: parsing arriving segments and writing our SYN options.
 *
 * This stack speaks MSS (RFC 9293 3.7.1), window scale (RFC 7323
 * section 2) and TCP Fast Open (RFC 7413 4.1.1, kind 34). Timestamps and
 * SACK will add their kinds here and grow struct xtcp_opts; nothing else
 * has to change.
 */
#include <linux/tcp.h>
#include <asm/unaligned.h>
#include "xtcp.h"

enum {
	XTCP_OPT_EOL		= 0,
	XTCP_OPT_NOP		= 1,
	XTCP_OPT_MSS		= 2,
	XTCP_OPT_WSCALE		= 3,
	XTCP_OPT_FASTOPEN	= 34,		/* RFC 7413 4.1.1 */
	XTCP_OPT_MSS_LEN	= 4,
	XTCP_OPT_WSCALE_LEN	= 3,
	XTCP_OPT_FASTOPEN_BASE	= 2,		/* kind + length */
};

/*
 * Walk the option list of a validated header. A malformed option ends the
 * walk rather than the segment: RFC 9293 3.1 asks receivers to be robust,
 * and Linux likewise keeps what it parsed so far.
 */
void xtcp_parse_options(const struct sk_buff *skb, struct xtcp_opts *opts)
{
	const struct tcphdr *th = tcp_hdr(skb);
	const u8 *ptr = (const u8 *)(th + 1);
	int len = th->doff * 4 - sizeof(*th);
	bool syn = th->syn;

	memset(opts, 0, sizeof(*opts));
	while (len > 0) {
		u8 kind = *ptr;
		u8 size;

		if (kind == XTCP_OPT_EOL)
			return;
		if (kind == XTCP_OPT_NOP) {
			ptr++;
			len--;
			continue;
		}
		if (len < 2)
			return;
		size = ptr[1];
		if (size < 2 || size > len)
			return;
		switch (kind) {
		case XTCP_OPT_MSS:
			/* MSS and WS mean something only on a SYN */
			if (size == XTCP_OPT_MSS_LEN && syn)
				opts->mss = get_unaligned_be16(ptr + 2);
			break;
		case XTCP_OPT_WSCALE:
			if (size == XTCP_OPT_WSCALE_LEN && syn) {
				/* RFC 7323 2.3: treat a shift above 14 as 14 */
				opts->wscale = min_t(u8, ptr[2], XTCP_MAX_WSCALE);
				opts->wscale_ok = 1;
			}
			break;
		case XTCP_OPT_FASTOPEN:
			/*
			 * RFC 7413 4.1.1: empty asks for a cookie, else a
			 * cookie of 4 to 16 bytes. Like Linux's
			 * tcp_parse_fastopen_option(), an odd length or one
			 * out of range counts as no option at all.
			 */
			size -= XTCP_OPT_FASTOPEN_BASE;
			if (syn && (!size ||
				    (size >= XTCP_FASTOPEN_COOKIE_MIN &&
				     size <= XTCP_FASTOPEN_COOKIE_MAX &&
				     !(size & 1)))) {
				opts->tfo_ok = 1;
				opts->tfo_len = size;
				memcpy(opts->tfo_cookie, ptr + 2, size);
			}
			size += XTCP_OPT_FASTOPEN_BASE;
			break;
		}
		ptr += size;
		len -= size;
	}
}

unsigned int xtcp_syn_options_len(bool wscale)
{
	return XTCP_OPT_MSS_LEN + (wscale ? XTCP_OPT_WSCALE_LEN + 1 : 0);
}

/* MSS, then NOP + WS so that the header stays 32-bit aligned */
void xtcp_write_syn_options(u8 *ptr, u16 mss, bool wscale, u8 ws)
{
	*ptr++ = XTCP_OPT_MSS;
	*ptr++ = XTCP_OPT_MSS_LEN;
	put_unaligned_be16(mss, ptr);
	ptr += 2;
	if (wscale) {
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_WSCALE;
		*ptr++ = XTCP_OPT_WSCALE_LEN;
		*ptr = ws;
	}
}

/* room a Fast Open option of a cookie of len bytes (0: a request) takes */
unsigned int xtcp_fastopen_option_len(unsigned int len)
{
	return ALIGN(XTCP_OPT_FASTOPEN_BASE + len, 4);
}

/*
 * The option, then NOPs up to the next 32-bit boundary; written after the
 * SYN options, whose length is a multiple of 4. Like Linux, kind 34, not
 * the experimental 254 with its magic.
 */
void xtcp_write_fastopen_option(u8 *ptr, const u8 *cookie, unsigned int len)
{
	unsigned int i, total = xtcp_fastopen_option_len(len);

	*ptr++ = XTCP_OPT_FASTOPEN;
	*ptr++ = XTCP_OPT_FASTOPEN_BASE + len;
	memcpy(ptr, cookie, len);
	ptr += len;
	for (i = XTCP_OPT_FASTOPEN_BASE + len; i < total; i++)
		*ptr++ = XTCP_OPT_NOP;
}
