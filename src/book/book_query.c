/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's read side: best prices, depth, queues, orders, and the
 * invariant checker. All cold; none of it changes the book.
 */
#include <errno.h>
#include <string.h>

#include "book_priv.h"

static const struct ibook *ibook_of(const struct nx_book *b, nx_inst_t inst)
{
	uint32_t ix = nx_book_inst_ix(b, inst);
	return ix == NIL ? NULL : &b->books[ix];
}

int nx_book_bbo(const struct nx_book *b, nx_inst_t inst, struct nx_bbo *out)
{
	const struct ibook *ib = ibook_of(b, inst);
	if (!ib)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	const struct ladder *bid = &ib->side[0], *ask = &ib->side[1];
	if (bid->nlevels) {
		const struct level *lv = &bid->lv[ladder_slot(bid, bid->hi)];
		out->bid_px = bid->hi * ib->def.tick;
		out->bid_qty = lv->qty;
		out->bid_count = lv->count;
	}
	if (ask->nlevels) {
		const struct level *lv = &ask->lv[ladder_slot(ask, ask->lo)];
		out->ask_px = ask->lo * ib->def.tick;
		out->ask_qty = lv->qty;
		out->ask_count = lv->count;
	}
	return 0;
}

int nx_book_depth(const struct nx_book *b, nx_inst_t inst, unsigned side,
		  struct nx_level_info *out, unsigned n)
{
	const struct ibook *ib = ibook_of(b, inst);
	if (!ib)
		return -ENOENT;
	if (side != NX_SIDE_BUY && side != NX_SIDE_SELL)
		return -EINVAL;
	const struct ladder *l = &ib->side[SIDE_IX(side)];
	unsigned k = 0;
	if (!l->nlevels)
		return 0;
	int64_t px = side == NX_SIDE_BUY ? l->hi : l->lo;
	while (k < n) {
		const struct level *lv = &l->lv[ladder_slot(l, px)];
		out[k].px = px * ib->def.tick;
		out[k].qty = lv->qty;
		out[k].count = lv->count;
		k++;
		if (k == l->nlevels)
			break;
		px = side == NX_SIDE_BUY ? ladder_below(l, px) : ladder_above(l, px);
	}
	return (int)k;
}

int nx_book_level_orders(const struct nx_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
			 nx_oid_t *out, unsigned n)
{
	const struct ibook *ib = ibook_of(b, inst);
	if (!ib)
		return -ENOENT;
	if ((side != NX_SIDE_BUY && side != NX_SIDE_SELL) || px <= 0 || px % ib->def.tick)
		return -EINVAL;
	const struct ladder *l = &ib->side[SIDE_IX(side)];
	int64_t t = px / ib->def.tick;
	const struct level *lv = &l->lv[ladder_slot(l, t)];
	if (!lv->count || lv->ticks != t)
		return 0;
	unsigned k = 0;
	for (uint32_t s = lv->head; s != NIL && k < n; s = b->orders[s].next)
		out[k++] = b->orders[s].oid;
	return (int)k;
}

static void info_of(const struct nx_book *b, const struct order *o, struct nx_order_info *out)
{
	const struct ibook *ib = &b->books[o->book];
	*out = (struct nx_order_info){ .oid = o->oid, .cl = o->cl, .acct = o->acct,
		.inst = ib->def.id, .px = o->ticks * ib->def.tick, .leaves = o->leaves,
		.visible = o->visible, .display = o->display, .cum = o->cum, .side = o->side,
		.post_only = o->post_only, .stp = o->stp };
}

int nx_book_order(const struct nx_book *b, nx_oid_t oid, struct nx_order_info *out)
{
	uint32_t s = nx_book_oid_slot(b, oid);
	if (s == NIL)
		return -ENOENT;
	info_of(b, &b->orders[s], out);
	return 0;
}

int nx_book_order_by_cl(const struct nx_book *b, nx_acct_t acct, nx_clid_t cl,
			struct nx_order_info *out)
{
	uint32_t s = nx_book_cl_slot(b, acct, cl);
	if (s == NIL)
		return -ENOENT;
	info_of(b, &b->orders[s], out);
	return 0;
}

uint32_t nx_book_order_count(const struct nx_book *b)
{
	return b->live;
}

int nx_book_instrument(const struct nx_book *b, nx_inst_t inst, struct nx_instrument *out)
{
	const struct ibook *ib = ibook_of(b, inst);
	if (!ib)
		return -ENOENT;
	*out = ib->def;
	return 0;
}

/* --- Invariants ----------------------------------------------------------- */

#define FAIL(msg) do { *why = (msg); return -EFAULT; } while (0)

static int check_side(const struct nx_book *b, uint32_t bix, unsigned s, uint32_t *seen,
		      const char **why)
{
	const struct ladder *l = &b->books[bix].side[s];
	uint32_t nlevels = 0;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	for (uint32_t i = 0; i <= l->mask; i++) {
		const struct level *lv = &l->lv[i];
		int bit = (int)((l->bm[i >> 6] >> (i & 63)) & 1);
		if (bit != (int)(lv->count > 0))
			FAIL("occupancy bit disagrees with level count");
		if (lv->touch != NIL)
			FAIL("level left marked as touched");
		if (!lv->count)
			continue;
		nlevels++;
		if (ladder_slot(l, lv->ticks) != i)
			FAIL("level in the wrong slot");
		if (lv->ticks < lo)
			lo = lv->ticks;
		if (lv->ticks > hi)
			hi = lv->ticks;
		int64_t qty = 0;
		uint32_t n = 0, prev = NIL;
		for (uint32_t o = lv->head; o != NIL; o = b->orders[o].next) {
			const struct order *p = &b->orders[o];
			if (++n > lv->count)
				FAIL("level queue longer than its count");
			if (p->prev != prev)
				FAIL("level queue back link broken");
			if (p->book != bix || (unsigned)SIDE_IX(p->side) != s || p->ticks != lv->ticks)
				FAIL("order queued at the wrong level");
			if (!p->resting || p->leaves <= 0 || p->visible <= 0 || p->visible > p->leaves)
				FAIL("queued order with bad quantities");
			if (!p->display && p->visible != p->leaves)
				FAIL("order without display hides quantity");
			if (p->display && p->visible > p->display)
				FAIL("iceberg shows more than its display");
			qty += p->visible;
			prev = o;
			(*seen)++;
		}
		if (n != lv->count || prev != lv->tail)
			FAIL("level count or tail wrong");
		if (qty != lv->qty)
			FAIL("level quantity differs from its orders");
	}
	if (nlevels != l->nlevels)
		FAIL("level count of the side wrong");
	if (nlevels && (lo != l->lo || hi != l->hi))
		FAIL("side bounds wrong");
	if (nlevels && (uint64_t)(hi - lo) > l->mask)
		FAIL("side wider than its window");
	for (uint32_t w = 0; w <= (l->mask >> 6); w++)
		if (((l->sum[w >> 6] >> (w & 63)) & 1) != (l->bm[w] != 0))
			FAIL("summary bitmap disagrees");
	return 0;
}

int nx_book_check(const struct nx_book *b, const char **why)
{
	uint32_t queued = 0, free_n = 0;
	for (uint32_t i = 0; i < b->ninst; i++) {
		for (unsigned s = 0; s < 2; s++)
			if (check_side(b, i, s, &queued, why))
				return -EFAULT;
		const struct ladder *bid = &b->books[i].side[0], *ask = &b->books[i].side[1];
		if (bid->nlevels && ask->nlevels && bid->hi >= ask->lo)
			FAIL("book crossed");
	}
	uint32_t by_acct = 0;
	for (uint32_t a = 0; a < b->nacct; a++) {
		nx_oid_t last = 0;
		for (uint32_t o = b->accts[a].head; o != NIL; o = b->orders[o].anext) {
			const struct order *p = &b->orders[o];
			if (p->acct_ix != a || p->oid <= last)
				FAIL("account list out of order");
			if (nx_book_oid_slot(b, p->oid) != o || nx_book_cl_slot(b, p->acct, p->cl) != o)
				FAIL("id maps miss a resting order");
			last = p->oid;
			by_acct++;
		}
	}
	if (by_acct != queued)
		FAIL("account lists and levels disagree");
	for (uint32_t s = b->free_head; s != NIL; s = b->orders[s].next)
		if (++free_n > b->cfg.max_orders)
			FAIL("free list loops");
	if (free_n + queued != b->cfg.max_orders || b->live != queued)
		FAIL("order slots leaked");
	if (b->ntouched)
		FAIL("touched list not flushed");
	uint32_t ringed = 0;
	for (uint32_t i = 0; i <= b->oid_ring_mask; i++) {
		const struct tagmap_ent *e = &b->oid_ring[i];
		if (e->slot == IDMAP_EMPTY)
			continue;
		const struct order *p = &b->orders[e->slot];
		if (e->slot >= b->cfg.max_orders || !p->resting || (p->oid & b->oid_ring_mask) != i ||
		    e->tag != (uint32_t)p->oid)
			FAIL("oid ring entry wrong");
		ringed++;
	}
	if (ringed != b->oid_ring_n)
		FAIL("oid ring count wrong");
	const struct growmap *maps[2] = { &b->by_oid, &b->by_cl };
	for (int k = 0; k < 2; k++) {
		const struct tagmap *t[2] = { &maps[k]->cur, &maps[k]->old };
		uint32_t mapped = 0, want = k ? queued : queued - ringed;
		for (int j = 0; j < 2; j++)
			for (uint32_t i = 0; t[j]->tab && i <= t[j]->mask; i++)
				mapped += t[j]->tab[i].slot != IDMAP_EMPTY;
		if (mapped != want || maps[k]->n != want)
			FAIL(k ? "client-id map holds finished orders" : "oid map holds finished orders");
	}
	return 0;
}
