// SPDX-License-Identifier: GPL-2.0
/*
 * TCP options: parsing arriving segments, and writing ours.
 *
 * XTCP speaks MSS (RFC 9293 3.7.1), window scale (RFC 7323 section 2),
 * timestamps (RFC 7323 section 3), SACK-permitted and SACK (RFC 2018,
 * with D-SACK blocks of RFC 2883) and TCP Fast Open (RFC 7413 4.1.1,
 * kind 34). Outgoing options follow the order and padding of Linux's
 * tcp_options_write(), so that a capture of XTCP reads like one of Linux.
 */
#include <linux/tcp.h>
#include <asm/unaligned.h>
#include "xtcp.h"

enum {
	XTCP_OPT_EOL		= 0,
	XTCP_OPT_NOP		= 1,
	XTCP_OPT_MSS		= 2,
	XTCP_OPT_WSCALE		= 3,
	XTCP_OPT_SACK_PERM	= 4,		/* RFC 2018 2 */
	XTCP_OPT_SACK		= 5,		/* RFC 2018 3 */
	XTCP_OPT_TIMESTAMP	= 8,		/* RFC 7323 3.2 */
	XTCP_OPT_FASTOPEN	= 34,		/* RFC 7413 4.1.1 */
	XTCP_OPT_MSS_LEN	= 4,
	XTCP_OPT_WSCALE_LEN	= 3,
	XTCP_OPT_SACK_PERM_LEN	= 2,
	XTCP_OPT_SACK_BASE	= 2,		/* kind + length */
	XTCP_OPT_SACK_BLOCK	= 8,		/* left and right edge */
	XTCP_OPT_TIMESTAMP_LEN	= 10,
	XTCP_OPT_FASTOPEN_BASE	= 2,		/* kind + length */
};

/*
 * SACK blocks (RFC 2018 3): 1 to 4 of them, never on a SYN. Kept in
 * host order as they came; the sender (recovery.c) judges whether each
 * is valid, as tcp_sacktag_write_queue() does with tcp_is_sackblock_valid().
 */
static void xtcp_parse_sack(const u8 *ptr, u8 size, bool syn,
			    struct xtcp_opts *opts)
{
	unsigned int i, n;

	size -= XTCP_OPT_SACK_BASE;
	if (syn || !size || size % XTCP_OPT_SACK_BLOCK)
		return;
	n = min_t(unsigned int, size / XTCP_OPT_SACK_BLOCK, XTCP_MAX_SACKS);
	ptr += XTCP_OPT_SACK_BASE;
	for (i = 0; i < n; i++, ptr += XTCP_OPT_SACK_BLOCK) {
		opts->sacks[i].start = get_unaligned_be32(ptr);
		opts->sacks[i].end = get_unaligned_be32(ptr + 4);
	}
	opts->num_sacks = n;
}

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
		case XTCP_OPT_SACK_PERM:
			if (size == XTCP_OPT_SACK_PERM_LEN && syn)
				opts->sack_ok = 1;
			break;
		case XTCP_OPT_SACK:
			xtcp_parse_sack(ptr, size, syn, opts);
			opts->sack_off = ptr - (const u8 *)th;
			break;
		case XTCP_OPT_TIMESTAMP:
			/* RFC 7323 3.2: on any segment, SYN or not */
			if (size == XTCP_OPT_TIMESTAMP_LEN) {
				opts->saw_tstamp = 1;
				opts->tsval = get_unaligned_be32(ptr + 2);
				opts->tsecr = get_unaligned_be32(ptr + 6);
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

/*
 * The timestamp of an arriving segment into its control block, on the
 * way in (input.c), and where its SACK option is: most segments of a connection that uses timestamps
 * carry only NOP, NOP, TS (RFC 7323 Appendix A), found without a walk,
 * as Linux's tcp_parse_aligned_timestamp() does.
 */
void xtcp_parse_timestamp(const struct sk_buff *skb, struct xtcp_skb_cb *cb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	const u8 *ptr = (const u8 *)(th + 1);
	struct xtcp_opts opts;

	if (th->doff * 4 == sizeof(*th))
		return;
	if (th->doff * 4 == sizeof(*th) + XTCP_TS_ALIGNED_LEN &&
	    get_unaligned_be32(ptr) == (XTCP_OPT_NOP << 24 |
					 XTCP_OPT_NOP << 16 |
					 XTCP_OPT_TIMESTAMP << 8 |
					 XTCP_OPT_TIMESTAMP_LEN)) {
		cb->saw_tstamp = 1;
		cb->tsval = get_unaligned_be32(ptr + 4);
		cb->tsecr = get_unaligned_be32(ptr + 8);
		return;
	}
	xtcp_parse_options(skb, &opts);
	cb->saw_tstamp = opts.saw_tstamp;
	cb->tsval = opts.tsval;
	cb->tsecr = opts.tsecr;
	/* so that the ACK's blocks are read without a second walk */
	if (opts.num_sacks)
		cb->sack_off = opts.sack_off;
}

/*
 * The SACK blocks of an arriving ACK into opts->sacks, from the offset
 * xtcp_parse_timestamp() noted (as tcp_sacktag_write_queue() reads them
 * from TCP_SKB_CB(skb)->sacked); the rest of opts is left alone.
 */
void xtcp_parse_sack_blocks(const struct sk_buff *skb, struct xtcp_opts *opts)
{
	const u8 *ptr = (const u8 *)tcp_hdr(skb) + XTCP_SKB_CB(skb)->sack_off;

	opts->num_sacks = 0;
	if (XTCP_SKB_CB(skb)->sack_off)
		xtcp_parse_sack(ptr, ptr[1], false, opts);
}

/* bytes the options of @o take, a multiple of 4 (RFC 9293 3.1) */
unsigned int xtcp_options_size(const struct xtcp_out_opts *o)
{
	unsigned int size = 0;

	if (o->mss)
		size += XTCP_OPT_MSS_LEN;
	/* SACK-permitted shares the timestamp's two bytes of padding */
	if (o->ts)
		size += XTCP_TS_ALIGNED_LEN;
	else if (o->sack_perm)
		size += 4;
	if (o->ws_ok)
		size += 4;
	if (o->num_sacks)
		size += 4 + o->num_sacks * XTCP_OPT_SACK_BLOCK;
	if (o->tfo_len >= 0)
		size += ALIGN(XTCP_OPT_FASTOPEN_BASE + o->tfo_len, 4);
	return size;
}

/*
 * The SACK blocks that fit beside the other options (40 bytes in all):
 * 4 alone, 3 beside a timestamp (RFC 2018 3).
 */
unsigned int xtcp_options_sack_room(const struct xtcp_out_opts *o)
{
	unsigned int used = xtcp_options_size(o) -
			    (o->num_sacks ? 4 + o->num_sacks *
					    XTCP_OPT_SACK_BLOCK : 0);

	if (used + 4 + XTCP_OPT_SACK_BLOCK > XTCP_MAX_OPT_LEN)
		return 0;
	return min_t(unsigned int, XTCP_MAX_SACKS,
		     (XTCP_MAX_OPT_LEN - used - 4) / XTCP_OPT_SACK_BLOCK);
}

/*
 * Writes @o at @ptr, xtcp_options_size() bytes, in Linux's order: MSS,
 * SACK-permitted and timestamps (sharing their padding), window scale,
 * SACK blocks, Fast Open. NOPs keep each option 32-bit aligned.
 */
void xtcp_options_write(u8 *ptr, const struct xtcp_out_opts *o)
{
	unsigned int i;

	if (o->mss) {
		*ptr++ = XTCP_OPT_MSS;
		*ptr++ = XTCP_OPT_MSS_LEN;
		put_unaligned_be16(o->mss, ptr);
		ptr += 2;
	}
	if (o->ts) {
		if (o->sack_perm) {
			*ptr++ = XTCP_OPT_SACK_PERM;
			*ptr++ = XTCP_OPT_SACK_PERM_LEN;
		} else {
			*ptr++ = XTCP_OPT_NOP;
			*ptr++ = XTCP_OPT_NOP;
		}
		*ptr++ = XTCP_OPT_TIMESTAMP;
		*ptr++ = XTCP_OPT_TIMESTAMP_LEN;
		put_unaligned_be32(o->tsval, ptr);
		put_unaligned_be32(o->tsecr, ptr + 4);
		ptr += 8;
	} else if (o->sack_perm) {
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_SACK_PERM;
		*ptr++ = XTCP_OPT_SACK_PERM_LEN;
	}
	if (o->ws_ok) {
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_WSCALE;
		*ptr++ = XTCP_OPT_WSCALE_LEN;
		*ptr++ = o->ws;
	}
	if (o->num_sacks) {
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_NOP;
		*ptr++ = XTCP_OPT_SACK;
		*ptr++ = XTCP_OPT_SACK_BASE +
			 o->num_sacks * XTCP_OPT_SACK_BLOCK;
		for (i = 0; i < o->num_sacks; i++) {
			put_unaligned_be32(o->sacks[i].start, ptr);
			put_unaligned_be32(o->sacks[i].end, ptr + 4);
			ptr += XTCP_OPT_SACK_BLOCK;
		}
	}
	if (o->tfo_len >= 0) {
		unsigned int len = XTCP_OPT_FASTOPEN_BASE + o->tfo_len;

		/* kind 34, not the experimental 254 with its magic */
		*ptr++ = XTCP_OPT_FASTOPEN;
		*ptr++ = len;
		memcpy(ptr, o->tfo_cookie, o->tfo_len);
		ptr += o->tfo_len;
		for (i = len; i < ALIGN(len, 4); i++)
			*ptr++ = XTCP_OPT_NOP;
	}
}
