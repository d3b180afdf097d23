/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The reference matcher (see ref_book.h), written from docs/matching.md.
 *
 * State is a flat, unordered array of live orders. Nothing is indexed: the
 * best opposite order is found by scanning every live order; a level is
 * the set of live orders with the same (instrument, side, price); queue
 * order within a level is the order's seq, stamped from a counter whenever
 * the order joins the back of a queue (rest, iceberg refill, replace that
 * loses priority). LEVEL events come from a list of the levels a command
 * touched, in first-touch order, each with its (visible, count) as it was
 * before its first change; at the end of the command every listed level
 * whose state differs is reported.
 *
 * Fill-or-kill is decided by running the match for real with events
 * muted, then restoring the saved order array and counters. The doc's
 * closed-form "fillable quantity" rule is computed too and any disagreement
 * is counted (ref_book_fok_rule_mismatches), so the test also checks that
 * the rule in the doc means what matching does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref_book.h"

struct ref_order {
	nx_oid_t oid;
	nx_clid_t cl;
	nx_acct_t acct;
	nx_inst_t inst;
	uint32_t group;     /* effective self-trade group */
	nx_px_t px;         /* 0 for market orders */
	nx_qty_t leaves;    /* open, hidden included */
	nx_qty_t visible;
	nx_qty_t display;   /* as requested; 0: fully visible */
	nx_qty_t cum;
	uint64_t seq;       /* queue position: smaller is nearer the head */
	uint8_t side, post_only, stp; /* stp resolved: never DEFAULT */
};

struct ref_touch {
	nx_inst_t inst;
	uint8_t side;
	nx_px_t px;
	nx_qty_t qty0;      /* visible quantity before the command changed it */
	uint32_t count0;
};

struct ref_book {
	struct nx_book_config cfg;
	nx_event_fn fn;
	void *ctx;
	int quiet;          /* > 0: events are not emitted (FOK trial) */

	struct nx_instrument *insts;
	uint32_t n_insts;
	struct nx_account *accts;
	uint32_t n_accts;

	struct ref_order *ord;   /* live orders, [0, n_ord) */
	struct ref_order *saved; /* FOK trial: copy of ord */
	uint32_t n_ord;

	struct ref_touch *touch;
	uint32_t n_touch, cap_touch;

	nx_px_t *scr_px;         /* scratch for scans, max_orders + 1 each */
	uint32_t *scr_idx;

	nx_oid_t next_oid;
	nx_tid_t next_tid;
	uint64_t next_seq;

	uint64_t fok_mismatch;
	char fok_what[256];
};

/* --- small helpers --------------------------------------------------------- */

static void emit(struct ref_book *b, const struct nx_event *ev)
{
	if (!b->quiet)
		b->fn(b->ctx, ev);
}

static struct nx_instrument *find_inst(const struct ref_book *b, nx_inst_t id)
{
	for (uint32_t i = 0; i < b->n_insts; i++)
		if (b->insts[i].id == id)
			return &b->insts[i];
	return NULL;
}

static const struct nx_account *find_acct(const struct ref_book *b, nx_acct_t id)
{
	for (uint32_t i = 0; i < b->n_accts; i++)
		if (b->accts[i].id == id)
			return &b->accts[i];
	return NULL;
}

/* docs/matching.md: "an account with group 0 is its own group, id = the account id" */
static uint32_t acct_group(const struct nx_account *a)
{
	return a->stp_group ? a->stp_group : a->id;
}

static int find_oid(const struct ref_book *b, nx_oid_t oid)
{
	for (uint32_t i = 0; i < b->n_ord; i++)
		if (b->ord[i].oid == oid)
			return (int)i;
	return -1;
}

static int find_cl(const struct ref_book *b, nx_acct_t acct, nx_clid_t cl)
{
	for (uint32_t i = 0; i < b->n_ord; i++)
		if (b->ord[i].acct == acct && b->ord[i].cl == cl)
			return (int)i;
	return -1;
}

static unsigned other_side(unsigned side)
{
	return side == NX_SIDE_BUY ? NX_SIDE_SELL : NX_SIDE_BUY;
}

static nx_qty_t min_qty(nx_qty_t a, nx_qty_t b)
{
	return a < b ? a : b;
}

/* Visible quantity of an order (re)joining a queue with open quantity leaves. */
static nx_qty_t shown(nx_qty_t display, nx_qty_t leaves)
{
	return display > 0 ? min_qty(display, leaves) : leaves;
}

/* Best price on one side of an instrument; 0 if the side is empty. */
static int best_px(const struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t *px)
{
	int found = 0;

	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];

		if (o->inst != inst || o->side != side)
			continue;
		if (!found || (side == NX_SIDE_BUY ? o->px > *px : o->px < *px))
			*px = o->px;
		found = 1;
	}
	return found;
}

static void level_state(const struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
			nx_qty_t *qty, uint32_t *count)
{
	*qty = 0;
	*count = 0;
	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];

		if (o->inst == inst && o->side == side && o->px == px) {
			*qty += o->visible;
			(*count)++;
		}
	}
}

/* Call before changing anything at a level: remembers its state before the
 * command's first change, and the order of first touches. */
static void touch(struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t px)
{
	struct ref_touch *t;

	for (uint32_t i = 0; i < b->n_touch; i++) {
		t = &b->touch[i];
		if (t->inst == inst && t->side == side && t->px == px)
			return;
	}
	if (b->n_touch == b->cap_touch) {
		uint32_t cap = b->cap_touch * 2;
		void *p = realloc(b->touch, cap * sizeof(*b->touch));

		if (!p)
			abort(); /* test code: out of memory is fatal */
		b->touch = p;
		b->cap_touch = cap;
	}
	t = &b->touch[b->n_touch++];
	t->inst = inst;
	t->side = (uint8_t)side;
	t->px = px;
	level_state(b, inst, side, px, &t->qty0, &t->count0);
}

static void touch_order(struct ref_book *b, const struct ref_order *o)
{
	touch(b, o->inst, o->side, o->px);
}

/* Step 4 of docs/matching.md: LEVEL events for changed levels, first-touch order. */
static void emit_levels(struct ref_book *b)
{
	for (uint32_t i = 0; i < b->n_touch; i++) {
		const struct ref_touch *t = &b->touch[i];
		nx_qty_t qty;
		uint32_t count;

		level_state(b, t->inst, t->side, t->px, &qty, &count);
		if (qty == t->qty0 && count == t->count0)
			continue;
		struct nx_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.type = NX_EV_LEVEL;
		ev.u.level.inst = t->inst;
		ev.u.level.px = t->px;
		ev.u.level.qty = qty;
		ev.u.level.count = count;
		ev.u.level.side = t->side;
		emit(b, &ev);
	}
	b->n_touch = 0;
}

static void remove_at(struct ref_book *b, uint32_t i)
{
	b->ord[i] = b->ord[--b->n_ord];
}

/* Append o at the back of its level's queue. */
static void rest(struct ref_book *b, struct ref_order *o)
{
	touch_order(b, o);
	o->visible = shown(o->display, o->leaves);
	o->seq = b->next_seq++;
	b->ord[b->n_ord++] = *o;
}

static void emit_reject(struct ref_book *b, unsigned req, nx_acct_t acct, nx_inst_t inst,
			nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid, unsigned reason)
{
	struct nx_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = NX_EV_REJECTED;
	ev.u.reject.acct = acct;
	ev.u.reject.inst = inst;
	ev.u.reject.cl = cl;
	ev.u.reject.orig_cl = orig_cl;
	ev.u.reject.oid = oid;
	ev.u.reject.req = (uint8_t)req;
	ev.u.reject.reason = (uint8_t)reason;
	emit(b, &ev);
}

/* CANCELED (leaves 0) or REDUCED, for an order whose leaves is already updated. */
static void emit_cancel(struct ref_book *b, unsigned type, const struct ref_order *o,
			nx_clid_t req_cl, nx_qty_t qty, unsigned reason)
{
	struct nx_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = (uint8_t)type;
	ev.u.cancel.acct = o->acct;
	ev.u.cancel.inst = o->inst;
	ev.u.cancel.cl = o->cl;
	ev.u.cancel.req_cl = req_cl;
	ev.u.cancel.oid = o->oid;
	ev.u.cancel.qty = qty;
	ev.u.cancel.leaves = type == NX_EV_CANCELED ? 0 : o->leaves;
	ev.u.cancel.px = o->px;
	ev.u.cancel.side = o->side;
	ev.u.cancel.reason = (uint8_t)reason;
	emit(b, &ev);
}

/* One order's side of a trade. */
static struct nx_ev_fill fill_of(const struct ref_order *o, nx_tid_t tid, nx_px_t px, nx_qty_t q,
				 unsigned liq)
{
	return (struct nx_ev_fill){ .tid = tid, .acct = o->acct, .inst = o->inst, .cl = o->cl,
				    .oid = o->oid, .px = px, .qty = q, .leaves = o->leaves,
				    .cum = o->cum, .order_px = o->px, .side = o->side,
				    .liq = (uint8_t)liq };
}

/* --- matching ------------------------------------------------------------- */

/* The resting order the taker meets next: best price that crosses limit,
 * then earliest seq. -1 if none. */
static int next_maker(const struct ref_book *b, const struct ref_order *t, nx_px_t limit)
{
	int best = -1;

	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];

		if (o->inst != t->inst || o->side == t->side)
			continue;
		if (t->side == NX_SIDE_BUY ? o->px > limit : o->px < limit)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		const struct ref_order *c = &b->ord[best];
		int better = t->side == NX_SIDE_BUY ? o->px < c->px : o->px > c->px;

		if (better || (o->px == c->px && o->seq < c->seq))
			best = (int)i;
	}
	return best;
}

/*
 * Match taker t (not in the array) against the book up to limit, emitting
 * the match events. Returns 1 if self-trade prevention canceled t (its
 * CANCELED already emitted), else 0; t->leaves is what is left.
 */
static int match(struct ref_book *b, struct ref_order *t, nx_px_t limit)
{
	while (t->leaves > 0) {
		int mi = next_maker(b, t, limit);

		if (mi < 0)
			return 0;
		struct ref_order *m = &b->ord[mi];

		if (m->group == t->group && t->stp != NX_STP_NONE) {
			nx_qty_t q;

			switch (t->stp) {
			case NX_STP_CN:
				q = t->leaves;
				t->leaves = 0;
				emit_cancel(b, NX_EV_CANCELED, t, 0, q, NX_CXL_SELF_TRADE);
				return 1;
			case NX_STP_CO:
			case NX_STP_CB:
				touch_order(b, m);
				q = m->leaves;
				m->leaves = 0;
				emit_cancel(b, NX_EV_CANCELED, m, 0, q, NX_CXL_SELF_TRADE);
				remove_at(b, (uint32_t)mi);
				if (t->stp == NX_STP_CO)
					continue;
				q = t->leaves;
				t->leaves = 0;
				emit_cancel(b, NX_EV_CANCELED, t, 0, q, NX_CXL_SELF_TRADE);
				return 1;
			case NX_STP_DC:
				q = min_qty(t->leaves, m->leaves);
				touch_order(b, m);
				m->leaves -= q;
				if (m->leaves == 0) {
					emit_cancel(b, NX_EV_CANCELED, m, 0, q, NX_CXL_SELF_TRADE);
					remove_at(b, (uint32_t)mi);
				} else {
					m->visible = min_qty(m->visible, m->leaves);
					emit_cancel(b, NX_EV_REDUCED, m, 0, q, NX_CXL_SELF_TRADE);
				}
				t->leaves -= q;
				if (t->leaves == 0) {
					emit_cancel(b, NX_EV_CANCELED, t, 0, q, NX_CXL_SELF_TRADE);
					return 1;
				}
				emit_cancel(b, NX_EV_REDUCED, t, 0, q, NX_CXL_SELF_TRADE);
				continue;
			default:
				abort(); /* resolved modes only */
			}
		}

		nx_qty_t q = min_qty(t->leaves, m->visible);
		nx_tid_t tid = b->next_tid++;
		struct nx_event ev;

		touch_order(b, m);
		m->visible -= q;
		m->leaves -= q;
		m->cum += q;
		t->leaves -= q;
		t->cum += q;

		memset(&ev, 0, sizeof(ev));
		ev.type = NX_EV_TRADE;
		ev.u.trade.tid = tid;
		ev.u.trade.inst = t->inst;
		ev.u.trade.px = m->px;
		ev.u.trade.qty = q;
		ev.u.trade.aggressor = t->side;
		ev.u.trade.maker = fill_of(m, tid, m->px, q, NX_LIQ_MAKER);
		ev.u.trade.taker = fill_of(t, tid, m->px, q, NX_LIQ_TAKER);
		emit(b, &ev);

		if (m->leaves == 0) {
			remove_at(b, (uint32_t)mi);
		} else if (m->visible == 0) {
			/* iceberg refill: a new slice at the back of the queue */
			m->visible = shown(m->display, m->leaves);
			m->seq = b->next_seq++;
		}
	}
	return 0;
}

/* Sort the indices of the orders at one level by queue position. */
static uint32_t level_queue(const struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t px,
			    uint32_t *idx)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];

		if (o->inst != inst || o->side != side || o->px != px)
			continue;
		uint32_t j = n++;

		while (j > 0 && b->ord[idx[j - 1]].seq > o->seq) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	return n;
}

/* The distinct prices of one side, best first. */
static uint32_t side_prices(const struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t *px)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];
		uint32_t j;

		if (o->inst != inst || o->side != side)
			continue;
		for (j = 0; j < n && px[j] != o->px; j++)
			;
		if (j < n)
			continue;
		j = n++;
		while (j > 0 && (side == NX_SIDE_BUY ? px[j - 1] < o->px : px[j - 1] > o->px)) {
			px[j] = px[j - 1];
			j--;
		}
		px[j] = o->px;
	}
	return n;
}

/* The doc's closed-form FOK rule: how much t can fill up to limit. */
static nx_qty_t fok_fillable_doc(const struct ref_book *b, const struct ref_order *t, nx_px_t limit)
{
	unsigned oside = other_side(t->side);
	nx_px_t *px = b->scr_px;
	uint32_t *idx = b->scr_idx;
	uint32_t np;
	nx_qty_t fillable = 0;
	int stops = t->stp == NX_STP_CN || t->stp == NX_STP_CB || t->stp == NX_STP_DC;

	np = side_prices(b, t->inst, oside, px);
	for (uint32_t l = 0; l < np; l++) {
		if (t->side == NX_SIDE_BUY ? px[l] > limit : px[l] < limit)
			break;
		uint32_t n = level_queue(b, t->inst, oside, px[l], idx);
		uint32_t stop = n;

		for (uint32_t k = 0; k < n && stops; k++)
			if (b->ord[idx[k]].group == t->group) {
				stop = k;
				break;
			}
		if (stop < n) {
			for (uint32_t k = 0; k < stop; k++)
				fillable += b->ord[idx[k]].visible;
			break;
		}
		for (uint32_t k = 0; k < n; k++) {
			const struct ref_order *o = &b->ord[idx[k]];

			if (t->stp == NX_STP_CO && o->group == t->group)
				continue;
			fillable += o->leaves;
		}
	}
	return fillable;
}

/* FOK: would t fill completely? Tried on the book, which is then restored. */
static int fok_fills(struct ref_book *b, const struct ref_order *t, nx_px_t limit)
{
	struct ref_order trial = *t;
	uint32_t n_ord = b->n_ord, n_touch = b->n_touch;
	nx_tid_t next_tid = b->next_tid;
	uint64_t next_seq = b->next_seq;
	int ended, fills, doc;

	memcpy(b->saved, b->ord, n_ord * sizeof(*b->ord));
	b->quiet++;
	ended = match(b, &trial, limit);
	b->quiet--;
	/* filled, not merely done: DC may have decremented it to 0 */
	fills = !ended && trial.cum - t->cum == t->leaves;
	memcpy(b->ord, b->saved, n_ord * sizeof(*b->ord));
	b->n_ord = n_ord;
	b->n_touch = n_touch;
	b->next_tid = next_tid;
	b->next_seq = next_seq;

	doc = fok_fillable_doc(b, t, limit) >= t->leaves;
	if (doc != fills) {
		b->fok_mismatch++;
		snprintf(b->fok_what, sizeof(b->fok_what),
			 "oid=%llu side=%u qty=%lld limit=%lld stp=%u: simulation %s, doc rule %s",
			 (unsigned long long)t->oid, t->side, (long long)t->leaves, (long long)limit,
			 t->stp, fills ? "fills" : "does not fill", doc ? "fills" : "does not fill");
	}
	return fills;
}

/* Would a resting order at px on side fit the price window (orders other
 * than skip_oid)? docs/matching.md "The price window", in tick units. */
static int in_window(const struct ref_book *b, const struct nx_instrument *in, unsigned side,
		     nx_px_t px, nx_oid_t skip_oid)
{
	int64_t lo = 0, hi = 0, idx = px / in->tick, w = (int64_t)b->cfg.ladder_ticks;
	int found = 0;

	for (uint32_t i = 0; i < b->n_ord; i++) {
		const struct ref_order *o = &b->ord[i];
		int64_t k = o->px / in->tick;

		if (o->inst != in->id || o->side != side || o->oid == skip_oid)
			continue;
		if (!found || k < lo)
			lo = k;
		if (!found || k > hi)
			hi = k;
		found = 1;
	}
	/* differences, not sums: prices may be near INT64_MAX */
	return !found || (hi - idx <= w - 1 && idx - lo <= w - 1);
}

/* Would a limit at px on side cross the opposite best? */
static int crosses(const struct ref_book *b, nx_inst_t inst, unsigned side, nx_px_t px)
{
	nx_px_t best;

	if (!best_px(b, inst, other_side(side), &best))
		return 0;
	return side == NX_SIDE_BUY ? px >= best : px <= best;
}

static unsigned status_reject(unsigned status)
{
	return status == NX_STATUS_HALTED ? NX_REJ_INSTRUMENT_HALTED : NX_REJ_INSTRUMENT_CLOSED;
}

static unsigned qty_check(const struct nx_instrument *in, nx_qty_t qty)
{
	if (qty <= 0)
		return NX_REJ_BAD_QTY;
	if (qty % in->lot != 0)
		return NX_REJ_QTY_NOT_LOT;
	if (qty < in->min_qty)
		return NX_REJ_QTY_BELOW_MIN;
	if (qty > in->max_qty)
		return NX_REJ_QTY_ABOVE_MAX;
	return NX_REJ_NONE;
}

static unsigned px_check(const struct nx_instrument *in, nx_px_t px)
{
	if (px <= 0)
		return NX_REJ_BAD_PRICE;
	if (px % in->tick != 0)
		return NX_REJ_PRICE_NOT_TICK;
	return NX_REJ_NONE;
}

/* --- lifecycle ------------------------------------------------------------ */

struct ref_book *ref_book_create(const struct nx_book_config *cfg, nx_event_fn fn, void *ctx)
{
	struct ref_book *b;

	if (!cfg || !fn || cfg->max_instruments < 1 || cfg->max_accounts < 1 ||
	    cfg->max_orders < 1 || cfg->max_orders >= (UINT32_C(1) << 31) ||
	    cfg->ladder_ticks < 64 || cfg->ladder_ticks > (UINT32_C(1) << 22) ||
	    (cfg->ladder_ticks & (cfg->ladder_ticks - 1)))
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->cfg = *cfg;
	b->fn = fn;
	b->ctx = ctx;
	b->insts = calloc(cfg->max_instruments, sizeof(*b->insts));
	b->accts = calloc(cfg->max_accounts, sizeof(*b->accts));
	b->ord = calloc(cfg->max_orders, sizeof(*b->ord));
	b->saved = calloc(cfg->max_orders, sizeof(*b->saved));
	b->cap_touch = 64;
	b->touch = calloc(b->cap_touch, sizeof(*b->touch));
	b->scr_px = calloc((size_t)cfg->max_orders + 1, sizeof(*b->scr_px));
	b->scr_idx = calloc((size_t)cfg->max_orders + 1, sizeof(*b->scr_idx));
	b->next_oid = 1;
	b->next_tid = 1;
	b->next_seq = 1;
	if (!b->insts || !b->accts || !b->ord || !b->saved || !b->touch ||
	    !b->scr_px || !b->scr_idx) {
		ref_book_destroy(b);
		return NULL;
	}
	return b;
}

void ref_book_destroy(struct ref_book *b)
{
	if (!b)
		return;
	free(b->insts);
	free(b->accts);
	free(b->ord);
	free(b->saved);
	free(b->touch);
	free(b->scr_px);
	free(b->scr_idx);
	free(b);
}

int ref_book_add_account(struct ref_book *b, const struct nx_account *a)
{
	if (!a || a->id == 0 || a->stp > NX_STP_DC)
		return -EINVAL;
	if (find_acct(b, a->id))
		return -EEXIST;
	if (b->n_accts == b->cfg.max_accounts)
		return -ENOSPC;
	b->accts[b->n_accts++] = *a;
	return 0;
}

int ref_book_add_instrument(struct ref_book *b, const struct nx_instrument *in)
{
	if (!in || in->id == 0 || in->tick <= 0 || in->lot <= 0 || in->min_qty < in->lot ||
	    in->min_qty % in->lot || in->max_qty < in->min_qty || in->max_qty % in->lot ||
	    in->band_ticks < 0 || in->status < NX_STATUS_OPEN || in->status > NX_STATUS_CLOSED)
		return -EINVAL;
	if (find_inst(b, in->id))
		return -EEXIST;
	if (b->n_insts == b->cfg.max_instruments)
		return -ENOSPC;
	b->insts[b->n_insts++] = *in;
	return 0;
}

/* Cancel every live order selected by keep(), in venue order id order. */
static uint32_t cancel_all(struct ref_book *b, nx_acct_t acct, nx_inst_t inst, unsigned side,
			   nx_clid_t req_cl, unsigned reason)
{
	uint32_t count = 0;

	for (;;) {
		int lo = -1;

		for (uint32_t i = 0; i < b->n_ord; i++) {
			const struct ref_order *o = &b->ord[i];

			if ((acct && o->acct != acct) || (inst && o->inst != inst) ||
			    (side && o->side != side))
				continue;
			if (lo < 0 || o->oid < b->ord[lo].oid)
				lo = (int)i;
		}
		if (lo < 0)
			return count;
		struct ref_order *o = &b->ord[lo];
		nx_qty_t q = o->leaves;

		touch_order(b, o);
		o->leaves = 0;
		emit_cancel(b, NX_EV_CANCELED, o, req_cl, q, reason);
		remove_at(b, (uint32_t)lo);
		count++;
	}
}

int ref_book_set_status(struct ref_book *b, nx_inst_t inst, unsigned status, int cancel_resting)
{
	struct nx_instrument *in = find_inst(b, inst);

	if (!in)
		return -ENOENT;
	if (status < NX_STATUS_OPEN || status > NX_STATUS_CLOSED)
		return -EINVAL;
	in->status = (uint8_t)status;
	struct nx_event ev = { .type = NX_EV_STATUS,
				.u.status = { .inst = inst, .status = (uint8_t)status } };
	emit(b, &ev);
	if (cancel_resting) {
		cancel_all(b, 0, inst, 0, 0, NX_CXL_HALT);
		emit_levels(b);
	}
	return 0;
}

/* --- commands ------------------------------------------------------------- */

static unsigned new_order_check(const struct ref_book *b, const struct nx_new_order *o)
{
	const struct nx_instrument *in = find_inst(b, o->inst);
	unsigned r;

	if (!in)
		return NX_REJ_UNKNOWN_INSTRUMENT;
	if (in->status != NX_STATUS_OPEN)
		return status_reject(in->status);
	if (!find_acct(b, o->acct))
		return NX_REJ_UNKNOWN_ACCOUNT;
	if (o->side != NX_SIDE_BUY && o->side != NX_SIDE_SELL)
		return NX_REJ_BAD_SIDE;
	if (o->type != NX_ORD_LIMIT && o->type != NX_ORD_MARKET)
		return NX_REJ_BAD_TYPE;
	if (o->tif != NX_TIF_GTC && o->tif != NX_TIF_IOC && o->tif != NX_TIF_FOK)
		return NX_REJ_BAD_TIF;
	if (o->stp > NX_STP_DC)
		return NX_REJ_BAD_STP;
	r = qty_check(in, o->qty);
	if (r)
		return r;
	if (o->type == NX_ORD_LIMIT) {
		r = px_check(in, o->px);
		if (r)
			return r;
	}
	int gtc_limit = o->type == NX_ORD_LIMIT && o->tif == NX_TIF_GTC;

	if (o->display != 0 && (o->display < 0 || o->display % in->lot != 0 || !gtc_limit ||
				(o->qty > o->display &&
				 (o->qty + o->display - 1) / o->display > NX_BOOK_ICEBERG_SLICES)))
		return NX_REJ_BAD_DISPLAY;
	if (o->post_only && !gtc_limit)
		return NX_REJ_BAD_POST_ONLY;
	if (find_cl(b, o->acct, o->cl) >= 0)
		return NX_REJ_DUPLICATE_CLID;
	if (b->n_ord >= b->cfg.max_orders)
		return NX_REJ_ORDER_CAPACITY;
	if (o->post_only && crosses(b, o->inst, o->side, o->px))
		return NX_REJ_POST_ONLY_WOULD_TAKE;
	if (gtc_limit && !in_window(b, in, o->side, o->px, 0))
		return NX_REJ_PRICE_OUT_OF_RANGE;
	return NX_REJ_NONE;
}

int ref_book_new_order(struct ref_book *b, const struct nx_new_order *o)
{
	unsigned r = new_order_check(b, o);
	struct nx_event ev;

	if (r) {
		emit_reject(b, NX_REQ_NEW, o->acct, o->inst, o->cl, 0, 0, r);
		return (int)r;
	}

	const struct nx_instrument *in = find_inst(b, o->inst);
	const struct nx_account *a = find_acct(b, o->acct);
	int market = o->type == NX_ORD_MARKET;
	unsigned tif = market && o->tif == NX_TIF_GTC ? NX_TIF_IOC : o->tif;
	struct ref_order t;

	memset(&t, 0, sizeof(t));
	t.oid = b->next_oid++;
	t.cl = o->cl;
	t.acct = o->acct;
	t.inst = o->inst;
	t.group = acct_group(a);
	t.px = market ? 0 : o->px;
	t.leaves = o->qty;
	t.display = o->display;
	t.side = o->side;
	t.post_only = o->post_only ? 1 : 0;
	t.stp = o->stp != NX_STP_DEFAULT ? o->stp : a->stp != NX_STP_DEFAULT ? a->stp : NX_STP_NONE;

	memset(&ev, 0, sizeof(ev));
	ev.type = NX_EV_ACCEPTED;
	ev.u.order.acct = o->acct;
	ev.u.order.inst = o->inst;
	ev.u.order.cl = o->cl;
	ev.u.order.oid = t.oid;
	ev.u.order.px = t.px;
	ev.u.order.qty = o->qty;
	ev.u.order.display = o->display;
	ev.u.order.side = o->side;
	ev.u.order.type = o->type;
	/* ACCEPTED carries the order as it will be handled: a market GTC as
	 * IOC, DEFAULT as the mode applied. */
	ev.u.order.tif = (uint8_t)tif;
	ev.u.order.post_only = o->post_only;
	ev.u.order.stp = t.stp;
	emit(b, &ev);

	nx_px_t limit = t.px, opp;
	int opp_empty = !best_px(b, t.inst, other_side(t.side), &opp);

	if (market && !opp_empty) {
		nx_px_t band = in->band_ticks > INT64_MAX / in->tick ? INT64_MAX
								     : in->band_ticks * in->tick;

		/* a buy's protection price saturates rather than overflow */
		if (t.side == NX_SIDE_BUY)
			limit = opp > INT64_MAX - band ? INT64_MAX : opp + band;
		else
			limit = opp < INT64_MIN + band ? INT64_MIN : opp - band;
	}
	if (tif == NX_TIF_FOK && (opp_empty || !fok_fills(b, &t, limit))) {
		emit_cancel(b, NX_EV_CANCELED, &t, 0, t.leaves, NX_CXL_FOK);
		emit_levels(b);
		return 0;
	}
	int ended = opp_empty ? 0 : match(b, &t, limit);

	if (!ended && t.leaves > 0) {
		nx_qty_t q = t.leaves;

		if (market) {
			t.leaves = 0;
			emit_cancel(b, NX_EV_CANCELED, &t, 0, q,
				    opp_empty ? NX_CXL_NO_LIQUIDITY : NX_CXL_MARKET_PROTECTION);
		} else if (tif != NX_TIF_GTC) {
			t.leaves = 0;
			emit_cancel(b, NX_EV_CANCELED, &t, 0, q,
				    tif == NX_TIF_FOK ? NX_CXL_FOK : NX_CXL_IOC);
		} else {
			rest(b, &t);
		}
	}
	emit_levels(b);
	return 0;
}

/* The live order a cancel or replace names, or -1. */
static int named(const struct ref_book *b, nx_acct_t acct, nx_oid_t oid, nx_clid_t orig_cl)
{
	int i;

	if (oid != 0) {
		i = find_oid(b, oid);
		return i >= 0 && b->ord[i].acct == acct ? i : -1;
	}
	return find_cl(b, acct, orig_cl);
}

int ref_book_cancel(struct ref_book *b, const struct nx_cancel *c)
{
	int i = named(b, c->acct, c->oid, c->orig_cl);

	if (i < 0) {
		/* docs/matching.md "Rejects": orig_cl and oid echoed as requested;
		 * the instrument is the named order's, and none is known here. */
		emit_reject(b, NX_REQ_CANCEL, c->acct, 0, c->cl, c->orig_cl, c->oid,
			    NX_REJ_UNKNOWN_ORDER);
		return NX_REJ_UNKNOWN_ORDER;
	}
	struct ref_order *o = &b->ord[i];
	nx_qty_t q = o->leaves;

	touch_order(b, o);
	o->leaves = 0;
	emit_cancel(b, NX_EV_CANCELED, o, c->cl, q, NX_CXL_USER);
	remove_at(b, (uint32_t)i);
	emit_levels(b);
	return 0;
}

static unsigned replace_check(const struct ref_book *b, const struct nx_replace *r, int i)
{
	const struct ref_order *o = &b->ord[i];
	const struct nx_instrument *in = find_inst(b, o->inst);
	unsigned rej;
	int j;

	if (in->status != NX_STATUS_OPEN)
		return status_reject(in->status);
	rej = qty_check(in, r->qty);
	if (rej)
		return rej;
	if (r->qty > in->max_qty - o->cum) /* the order's total: filled and open */
		return NX_REJ_QTY_ABOVE_MAX;
	rej = px_check(in, r->px);
	if (rej)
		return rej;
	if (o->display > 0 && r->qty > o->display &&
	    (r->qty + o->display - 1) / o->display > NX_BOOK_ICEBERG_SLICES)
		return NX_REJ_BAD_DISPLAY; /* peaks: ceil(qty / display) */
	j = find_cl(b, r->acct, r->cl);
	if (j >= 0 && j != i)
		return NX_REJ_DUPLICATE_CLID;
	if (o->post_only && crosses(b, o->inst, o->side, r->px))
		return NX_REJ_POST_ONLY_WOULD_TAKE;
	if (!in_window(b, in, o->side, r->px, o->oid))
		return NX_REJ_PRICE_OUT_OF_RANGE;
	return NX_REJ_NONE;
}

int ref_book_replace(struct ref_book *b, const struct nx_replace *r)
{
	int i = named(b, r->acct, r->oid, r->orig_cl);
	unsigned rej = i < 0 ? NX_REJ_UNKNOWN_ORDER : replace_check(b, r, i);
	struct nx_event ev;

	if (rej) {
		/* docs/matching.md "Rejects": the named order's instrument when
		 * the account has that order live, else 0 */
		emit_reject(b, NX_REQ_REPLACE, r->acct, i < 0 ? 0 : b->ord[i].inst, r->cl,
			    r->orig_cl, r->oid, rej);
		return (int)rej;
	}

	struct ref_order *o = &b->ord[i];
	int keep = r->px == o->px && r->qty <= o->leaves;

	memset(&ev, 0, sizeof(ev));
	ev.type = NX_EV_REPLACED;
	ev.u.replace.acct = o->acct;
	ev.u.replace.inst = o->inst;
	ev.u.replace.cl = r->cl;
	ev.u.replace.orig_cl = o->cl;
	ev.u.replace.oid = o->oid;
	ev.u.replace.px = r->px;
	ev.u.replace.qty = r->qty;
	ev.u.replace.prev_px = o->px;
	ev.u.replace.prev_qty = o->leaves;
	ev.u.replace.side = o->side;
	ev.u.replace.kept_priority = (uint8_t)keep;
	emit(b, &ev);

	touch_order(b, o);
	if (keep) {
		o->cl = r->cl;
		o->leaves = r->qty;
		o->visible = min_qty(o->visible, r->qty);
		emit_levels(b);
		return 0;
	}

	struct ref_order t = *o;

	remove_at(b, (uint32_t)i);
	t.cl = r->cl;
	t.px = r->px;
	t.leaves = r->qty;
	if (!match(b, &t, t.px) && t.leaves > 0)
		rest(b, &t);
	emit_levels(b);
	return 0;
}

int ref_book_mass_cancel(struct ref_book *b, const struct nx_mass_cancel *m)
{
	unsigned rej = NX_REJ_NONE;
	struct nx_event ev;

	if (!find_acct(b, m->acct))
		rej = NX_REJ_UNKNOWN_ACCOUNT;
	else if (m->inst != 0 && !find_inst(b, m->inst))
		rej = NX_REJ_UNKNOWN_INSTRUMENT;
	else if (m->side != 0 && m->side != NX_SIDE_BUY && m->side != NX_SIDE_SELL)
		rej = NX_REJ_BAD_SIDE;
	if (rej) {
		emit_reject(b, NX_REQ_MASS_CANCEL, m->acct, m->inst, m->cl, 0, 0, rej);
		return (int)rej;
	}

	uint32_t count = cancel_all(b, m->acct, m->inst, m->side, m->cl, NX_CXL_MASS_CANCEL);

	memset(&ev, 0, sizeof(ev));
	ev.type = NX_EV_MASS_CANCELED;
	ev.u.mass.acct = m->acct;
	ev.u.mass.inst = m->inst;
	ev.u.mass.cl = m->cl;
	ev.u.mass.count = count;
	ev.u.mass.side = m->side;
	emit(b, &ev);
	emit_levels(b);
	return 0;
}

/* --- queries -------------------------------------------------------------- */

int ref_book_bbo(const struct ref_book *b, nx_inst_t inst, struct nx_bbo *out)
{
	if (!find_inst(b, inst))
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	if (best_px(b, inst, NX_SIDE_BUY, &out->bid_px))
		level_state(b, inst, NX_SIDE_BUY, out->bid_px, &out->bid_qty, &out->bid_count);
	if (best_px(b, inst, NX_SIDE_SELL, &out->ask_px))
		level_state(b, inst, NX_SIDE_SELL, out->ask_px, &out->ask_qty, &out->ask_count);
	return 0;
}

int ref_book_depth(const struct ref_book *b, nx_inst_t inst, unsigned side,
		   struct nx_level_info *out, unsigned n)
{
	nx_px_t *px = b->scr_px;
	uint32_t np;

	if (!find_inst(b, inst))
		return -ENOENT;
	if (side != NX_SIDE_BUY && side != NX_SIDE_SELL)
		return -EINVAL;
	np = side_prices(b, inst, side, px);
	if (np > n)
		np = n;
	for (uint32_t l = 0; l < np; l++) {
		out[l].px = px[l];
		level_state(b, inst, side, px[l], &out[l].qty, &out[l].count);
	}
	return (int)np;
}

int ref_book_level_orders(const struct ref_book *b, nx_inst_t inst, unsigned side,
			  nx_px_t px, nx_oid_t *out, unsigned n)
{
	uint32_t *idx = b->scr_idx, k;

	if (!find_inst(b, inst))
		return -ENOENT;
	if (side != NX_SIDE_BUY && side != NX_SIDE_SELL)
		return -EINVAL;
	k = level_queue(b, inst, side, px, idx);
	if (k > n)
		k = n;
	for (uint32_t j = 0; j < k; j++)
		out[j] = b->ord[idx[j]].oid;
	return (int)k;
}

static int side_cmp_buy(const void *pa, const void *pb)
{
	const struct ref_side_order *a = pa, *b = pb;

	if (a->px != b->px)
		return a->px > b->px ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int side_cmp_sell(const void *pa, const void *pb)
{
	const struct ref_side_order *a = pa, *b = pb;

	if (a->px != b->px)
		return a->px < b->px ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int ref_book_side(const struct ref_book *b, nx_inst_t inst, unsigned side,
		  struct ref_side_order *out, unsigned n)
{
	unsigned k = 0;

	if (!find_inst(b, inst))
		return -ENOENT;
	if (side != NX_SIDE_BUY && side != NX_SIDE_SELL)
		return -EINVAL;
	for (uint32_t i = 0; i < b->n_ord && k < n; i++) {
		const struct ref_order *o = &b->ord[i];

		if (o->inst != inst || o->side != side)
			continue;
		out[k].px = o->px;
		out[k].visible = o->visible;
		out[k].oid = o->oid;
		out[k].seq = o->seq;
		k++;
	}
	qsort(out, k, sizeof(*out), side == NX_SIDE_BUY ? side_cmp_buy : side_cmp_sell);
	return (int)k;
}

static void order_info(const struct ref_order *o, struct nx_order_info *out)
{
	memset(out, 0, sizeof(*out));
	out->oid = o->oid;
	out->cl = o->cl;
	out->acct = o->acct;
	out->inst = o->inst;
	out->px = o->px;
	out->leaves = o->leaves;
	out->visible = o->visible;
	out->display = o->display;
	out->cum = o->cum;
	out->side = o->side;
	out->post_only = o->post_only;
	out->stp = o->stp;
}

int ref_book_order(const struct ref_book *b, nx_oid_t oid, struct nx_order_info *out)
{
	int i = find_oid(b, oid);

	if (i < 0)
		return -ENOENT;
	order_info(&b->ord[i], out);
	return 0;
}

int ref_book_order_at(const struct ref_book *b, uint32_t i, struct nx_order_info *out)
{
	if (i >= b->n_ord)
		return -ENOENT;
	order_info(&b->ord[i], out);
	return 0;
}

uint32_t ref_book_order_count(const struct ref_book *b)
{
	return b->n_ord;
}

unsigned ref_book_status(const struct ref_book *b, nx_inst_t inst)
{
	const struct nx_instrument *in = find_inst(b, inst);

	return in ? in->status : 0;
}

nx_oid_t ref_book_next_oid(const struct ref_book *b)
{
	return b->next_oid;
}

uint64_t ref_book_fok_rule_mismatches(const struct ref_book *b, const char **what)
{
	if (what)
		*what = b->fok_what;
	return b->fok_mismatch;
}
