/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The venue's own commands on the book: an instrument's status (halts,
 * closes, reopenings), and the cancels of kill switches (by account and
 * instrument) and of cancel-on-disconnect (by session tag). Cold: they run
 * on operator commands and timers, not on client orders.
 */
#include <errno.h>
#include <string.h>

#include "book_priv.h"

/* Heap order on scratch[0, n) by order id: sift the entry at i down. */
static void sift_down(const struct nx_book *b, uint32_t *h, uint32_t i, uint32_t n)
{
	uint32_t v = h[i];
	nx_oid_t key = b->orders[v].oid;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && b->orders[h[c + 1]].oid > b->orders[h[c]].oid)
			c++;
		if (b->orders[h[c]].oid <= key)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/* The resting orders of book bix into b->scratch, in order id (time) order;
 * returns how many. Walks both ladders, then heapsorts: in place, no
 * allocation, O(n log n) for a command that cancels n orders anyway. */
static uint32_t collect_by_oid(struct nx_book *b, uint32_t bix)
{
	uint32_t n = 0, *h = b->scratch;
	for (unsigned s = 0; s < 2; s++) {
		const struct ladder *l = &b->books[bix].side[s];
		if (!l->nlevels)
			continue;
		int64_t t = l->lo;
		for (uint32_t left = l->nlevels; left; left--) {
			const struct level *lv = &l->lv[ladder_slot(l, t)];
			for (uint32_t o = lv->head; o != NIL; o = b->orders[o].next)
				h[n++] = o;
			if (left > 1)
				t = ladder_above(l, t);
		}
	}
	for (uint32_t i = n / 2; i-- > 0;)
		sift_down(b, h, i, n);
	for (uint32_t end = n; end > 1; end--) {
		uint32_t top = h[0];
		h[0] = h[end - 1];
		h[end - 1] = top;
		sift_down(b, h, 0, end - 1);
	}
	return n;
}

/* Cancel account aix's resting orders of book bix (NIL: all) whose tag is
 * tag (any when !match_tag), in its list's order (venue order id order). */
static uint32_t cancel_account(struct nx_book *b, uint32_t aix, uint32_t bix, int match_tag,
			       uint32_t tag, unsigned reason)
{
	uint32_t n = 0;
	for (uint32_t s = b->accts[aix].head, next; s != NIL; s = next) {
		struct order *o = &b->orders[s];
		next = o->anext;
		if ((bix == NIL || o->book == bix) && (!match_tag || o->tag == tag)) {
			book_cancel_resting(b, o, (uint8_t)reason, 0);
			n++;
		}
	}
	return n;
}

int nx_book_cancel_tagged(struct nx_book *b, nx_acct_t acct, uint32_t tag, unsigned reason)
{
	uint32_t aix = nx_book_acct_ix(b, acct);
	if (aix == NIL)
		return -ENOENT;
	if (!strcmp(nx_cancel_name(reason), "?"))
		return -EINVAL;
	uint32_t n = cancel_account(b, aix, NIL, 1, tag, reason);
	book_flush_levels(b);
	return (int)n;
}

int nx_book_cancel_where(struct nx_book *b, nx_acct_t acct, nx_inst_t inst, unsigned reason)
{
	uint32_t aix = NIL, bix = NIL, n = 0;
	if (acct && (aix = nx_book_acct_ix(b, acct)) == NIL)
		return -ENOENT;
	if (inst && (bix = nx_book_inst_ix(b, inst)) == NIL)
		return -ENOENT;
	if (!strcmp(nx_cancel_name(reason), "?"))
		return -EINVAL;
	if (aix != NIL) {
		n = cancel_account(b, aix, bix, 0, 0, reason);
	} else {
		for (uint32_t i = bix == NIL ? 0 : bix; i < (bix == NIL ? b->ninst : bix + 1); i++) {
			uint32_t k = collect_by_oid(b, i);
			for (uint32_t j = 0; j < k; j++)
				book_cancel_resting(b, &b->orders[b->scratch[j]], (uint8_t)reason, 0);
			n += k;
		}
	}
	book_flush_levels(b);
	return (int)n;
}

int nx_book_set_status(struct nx_book *b, nx_inst_t inst, unsigned status, int cancel_resting_orders)
{
	uint32_t bix = nx_book_inst_ix(b, inst);
	if (bix == NIL)
		return -ENOENT;
	if (status < NX_STATUS_OPEN || status > NX_STATUS_CLOSED)
		return -EINVAL;
	b->books[bix].def.status = (uint8_t)status;
	struct nx_event ev = { .type = NX_EV_STATUS,
				.u.status = { .inst = inst, .status = (uint8_t)status } };
	b->emit(b->ctx, &ev);
	if (cancel_resting_orders)
		nx_book_cancel_where(b, 0, inst, NX_CXL_HALT);
	return 0;
}
