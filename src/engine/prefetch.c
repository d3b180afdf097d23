/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Prefetch hints for datagrams a caller holds but has not yet given to
 * nx_engine_rx: the book's hints (nx_book_prefetch_*, include/nx/book.h)
 * for each order request in them, while the book holds at least
 * book.prefetch_min_orders orders (0: never). They read the datagrams and
 * the book, and write nothing: no counter, no session, no sequence number.
 *
 * The walk is not nx_nxp_next: it follows the SOFH lengths, stops where
 * the reader would stop reading the datagram (a length below the SOFH's
 * or past the end, a foreign encoding type), and reads a request's fields
 * once its frame holds them. It checks nothing else (schema, version, the
 * exact length), which nx_engine_rx does at the datagram's turn: a hint for
 * a message it will refuse costs a few loads and changes no result. With
 * the full reader the hints cost about 635 instructions a message in
 * bench_engine, against about 400 with this walk (both with the bench's
 * own loop, ~45).
 */
#include "engine_priv.h"

/* The frame's block, or NULL when the frame is shorter than v1's. */
static inline const uint8_t *block_of(const uint8_t *frame, uint32_t len, uint32_t v1_len)
{
	return len >= NX_NXP_OVERHEAD + v1_len ? frame + NX_NXP_OVERHEAD : NULL;
}

/* One stage of the hint for the request in frame p (len bytes, at least
 * NX_NXP_OVERHEAD), if it is one the book has hints for. */
static NX_ALWAYS_INLINE void hint_frame(const struct nx_engine *e, const uint8_t *p,
					uint32_t len, unsigned stage)
{
	const uint8_t *blk;
	switch (nx_nxp_ld_u16(p + 8)) { /* templateId */
	case NX_NXP_NEW_ORDER: /* names nothing past its request: one stage */
		if (stage == NX_BOOK_PF_ENTRY &&
		    (blk = block_of(p, len, NX_NXP_NEW_ORDER_BLOCK_LEN))) {
			const struct nx_nxp_msg m = { .block = blk };
			struct nx_new_order o = { .acct = nx_nxp_new_order_account(&m),
						  .inst = nx_nxp_new_order_instrument(&m),
						  .cl = nx_nxp_new_order_cl_ord_id(&m),
						  .px = nx_nxp_new_order_price(&m),
						  .side = nx_nxp_new_order_side(&m),
						  .type = nx_nxp_new_order_ord_type(&m) };
			nx_book_prefetch_new(e->book, &o, stage);
		}
		break;
	case NX_NXP_CANCEL_ORDER:
		if ((blk = block_of(p, len, NX_NXP_CANCEL_ORDER_BLOCK_LEN))) {
			const struct nx_nxp_msg m = { .block = blk };
			struct nx_cancel c = { .acct = nx_nxp_cancel_order_account(&m),
					       .orig_cl = nx_nxp_cancel_order_orig_cl_ord_id(&m),
					       .oid = nx_nxp_cancel_order_order_id(&m) };
			nx_book_prefetch_cancel(e->book, &c, stage);
		}
		break;
	case NX_NXP_CANCEL_REPLACE:
		if ((blk = block_of(p, len, NX_NXP_CANCEL_REPLACE_BLOCK_LEN))) {
			const struct nx_nxp_msg m = { .block = blk };
			struct nx_replace r = { .acct = nx_nxp_cancel_replace_account(&m),
						.cl = nx_nxp_cancel_replace_cl_ord_id(&m),
						.orig_cl = nx_nxp_cancel_replace_orig_cl_ord_id(&m),
						.oid = nx_nxp_cancel_replace_order_id(&m) };
			nx_book_prefetch_replace(e->book, &r, stage);
		}
		break;
	default:
		break;
	}
}

/* nx_engine_prefetch without the depth test. */
static NX_ALWAYS_INLINE void hint_datagram(const struct nx_engine *e, const uint8_t *data,
					   size_t len, unsigned stage)
{
	const uint8_t *p = data;
	for (size_t left = len; left >= NX_NXP_SOFH_LEN;) {
		uint32_t n = nx_nxp_ld_be32(p);
		if (n < NX_NXP_SOFH_LEN || n > left || nx_nxp_ld_be16(p + 4) != NX_NXP_ENCODING)
			return; /* the reader stops here too */
		if (n >= NX_NXP_OVERHEAD) /* a shorter frame is a message error: skipped */
			hint_frame(e, p, n, stage);
		p += n;
		left -= n;
	}
}

int nx_engine_prefetch_wanted(const struct nx_engine *e)
{
	uint32_t min = e->cfg.prefetch_min_orders;
	return min && nx_book_order_count(e->book) >= min;
}

void nx_engine_prefetch(const struct nx_engine *e, const uint8_t *data, size_t len,
			unsigned stage)
{
	if (nx_engine_prefetch_wanted(e)) /* else off, or a book small enough for the cache */
		hint_datagram(e, data, len, stage);
}

void nx_engine_prefetch_burst(const struct nx_engine *e, const uint8_t *const *data,
			      const size_t *len, unsigned n, unsigned i)
{
	if (!nx_engine_prefetch_wanted(e))
		return;
	/* Frame j gets stage s before frame j - 3 + s. The first frames miss
	 * the stages no frame before them gave: at the burst's start, stage 0
	 * for frames 0-2 and then stage 1 for frames 0-1 (which waits for the
	 * first's entries, all loading together); frame 0's stage 2 would only
	 * do its command's own loads a moment early. */
	if (i == 0)
		for (unsigned s = 0; s + 1 < NX_BOOK_PF_STAGES; s++)
			for (unsigned j = 0; j < NX_BOOK_PF_STAGES - s && j < n; j++)
				if (data[j])
					hint_datagram(e, data[j], len[j], s);
	for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++) {
		unsigned j = i + NX_BOOK_PF_STAGES - s;
		if (j < n && data[j])
			hint_datagram(e, data[j], len[j], s);
	}
}
