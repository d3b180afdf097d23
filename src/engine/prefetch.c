/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Prefetch hints for datagrams a caller holds but has not yet given to
 * nx_engine_rx: the book's hints (nx_book_prefetch_*, include/nx/book.h)
 * for each order request in them, while the book holds at least
 * book.prefetch_min_orders orders. They read the datagram and the book, and
 * write nothing: no counter, no session, no sequence number.
 *
 * The walk is not nx_nxp_next: it follows the SOFH lengths and reads a
 * request's fields once its frame holds them, and checks nothing else
 * (schema, version, the exact length), which nx_engine_rx does when the
 * datagram's turn comes. A hint for a message it will refuse costs a few
 * loads and changes no result. The full reader made the hints 600
 * instructions a message, more than the misses they hide at 10k orders.
 */
#include "engine_priv.h"

/* The frame's block, or NULL when the frame is shorter than v1's. */
static inline const uint8_t *block_of(const uint8_t *frame, uint32_t len, uint32_t v1_len)
{
	return len >= NX_NXP_OVERHEAD + v1_len ? frame + NX_NXP_OVERHEAD : NULL;
}

int nx_engine_prefetch_wanted(const struct nx_engine *e)
{
	return nx_book_order_count(e->book) >= e->cfg.prefetch_min_orders;
}

void nx_engine_prefetch(const struct nx_engine *e, const uint8_t *data, size_t len,
			unsigned stage)
{
	if (!nx_engine_prefetch_wanted(e))
		return; /* a book this small is in cache: nothing to hide */
	const uint8_t *p = data;
	for (size_t left = len; left >= NX_NXP_OVERHEAD;) {
		uint32_t n = nx_nxp_ld_be32(p);
		if (n < NX_NXP_OVERHEAD || n > left)
			return; /* framing the reader refuses: nothing after it counts */
		struct nx_nxp_msg m = { 0 };
		switch (nx_nxp_ld_u16(p + 8)) { /* templateId */
		case NX_NXP_NEW_ORDER: /* names nothing past its request: one stage */
			if (stage == NX_BOOK_PF_ENTRY &&
			    (m.block = block_of(p, n, NX_NXP_NEW_ORDER_BLOCK_LEN))) {
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
			if ((m.block = block_of(p, n, NX_NXP_CANCEL_ORDER_BLOCK_LEN))) {
				struct nx_cancel c = { .acct = nx_nxp_cancel_order_account(&m),
						       .orig_cl = nx_nxp_cancel_order_orig_cl_ord_id(&m),
						       .oid = nx_nxp_cancel_order_order_id(&m) };
				nx_book_prefetch_cancel(e->book, &c, stage);
			}
			break;
		case NX_NXP_CANCEL_REPLACE:
			if ((m.block = block_of(p, n, NX_NXP_CANCEL_REPLACE_BLOCK_LEN))) {
				struct nx_replace r = {
					.acct = nx_nxp_cancel_replace_account(&m),
					.cl = nx_nxp_cancel_replace_cl_ord_id(&m),
					.orig_cl = nx_nxp_cancel_replace_orig_cl_ord_id(&m),
					.oid = nx_nxp_cancel_replace_order_id(&m) };
				nx_book_prefetch_replace(e->book, &r, stage);
			}
			break;
		default:
			break;
		}
		p += n;
		left -= n;
	}
}
