/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's command path: the commands clients send (new order, cancel,
 * replace, mass cancel), matching, and the events they emit. The rules are
 * docs/matching.md.
 *
 * Every command runs to completion and ends with book_flush_levels(), which
 * publishes the levels it changed. Nothing here allocates, locks, logs or
 * reads a clock.
 */
#include <string.h>

#include "book_ids.h"

/* --- Events --------------------------------------------------------------- */

/* Each writes every field its kind lists into that kind's buffer (b->ev),
 * whose other bytes stay zero, and hands it to the sink. */
static NX_NOINLINE void emit_reject(struct nx_book *b, uint8_t req, uint8_t reason, nx_acct_t acct,
				    nx_inst_t inst, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid)
{
	struct nx_event *ev = &b->ev[NX_EV_REJECTED];
	struct nx_ev_reject *e = &ev->u.reject;
	e->acct = acct;
	e->inst = inst;
	e->cl = cl;
	e->orig_cl = orig_cl;
	e->oid = oid;
	e->req = req;
	e->reason = reason;
	b->emit(b->ctx, ev);
}

/* CANCELED (leaves 0) or REDUCED, for an order that lost qty. */
static void emit_cancel(struct nx_book *b, const struct order *o, uint8_t type, uint8_t reason,
			nx_qty_t qty, nx_clid_t req_cl)
{
	const struct nx_instrument *d = &b->books[o->book].def;
	struct nx_event *ev = &b->ev[type];
	struct nx_ev_cancel *e = &ev->u.cancel;
	e->acct = o->acct;
	e->inst = d->id;
	e->cl = o->cl;
	e->req_cl = req_cl;
	e->oid = o->oid;
	e->qty = qty;
	e->leaves = type == NX_EV_CANCELED ? 0 : o->leaves;
	e->px = o->ticks * d->tick;
	e->side = o->side;
	e->reason = reason;
	e->tag = o->tag;
	b->emit(b->ctx, ev);
}

/* One order's side of the trade being built in b->ev[NX_EV_TRADE] (liq was
 * set at init): what stays the same for an order over a match, then what
 * each trade changes. */
static inline void fill_order(struct nx_ev_fill *e, const struct order *o, nx_inst_t inst,
			      nx_px_t order_px)
{
	e->acct = o->acct;
	e->inst = inst;
	e->cl = o->cl;
	e->oid = o->oid;
	e->order_px = order_px;
	e->side = o->side;
	e->tag = o->tag;
}

static inline void fill_trade(struct nx_ev_fill *e, const struct order *o,
			      const struct nx_ev_trade *t)
{
	e->tid = t->tid;
	e->px = t->px;
	e->qty = t->qty;
	e->leaves = o->leaves;
	e->cum = o->cum;
}

/* A maker's side of trade t: fill_order() and fill_trade() but for what
 * match() wrote once for all its makers (instrument, side, order price). */
static inline void maker_fill(struct nx_ev_fill *e, const struct order *o,
			      const struct nx_ev_trade *t)
{
	e->acct = o->acct;
	e->cl = o->cl;
	e->oid = o->oid;
	e->tag = o->tag;
	fill_trade(e, o, t);
}

/* --- Levels: touch before changing, publish at the end of the command ----- */

/* Record level lv (at ticks, of book bix side s) before its first change in
 * this command. */
static inline void touch_level(struct nx_book *b, struct level *lv, uint32_t bix, unsigned s,
			       int64_t ticks)
{
	if (lv->touch != NIL && b->touched[lv->touch].ticks == ticks)
		return;
	/* Each touched level holds or held an order of this command's: at most
	 * max_orders + 2 (a replace's old and new level share its order), the
	 * size of touched[]. */
	struct touched *t = &b->touched[b->ntouched];
	int live = lv->count && lv->ticks == ticks;
	t->lv = lv;
	t->ticks = ticks;
	t->book = bix;
	t->side_ix = (uint8_t)s;
	t->qty = live ? lv->qty : 0;
	t->count = live ? lv->count : 0;
	lv->touch = b->ntouched++;
}

static inline void touch(struct nx_book *b, uint32_t bix, unsigned s, int64_t ticks)
{
	struct ladder *l = &b->books[bix].side[s];
	touch_level(b, &l->lv[ladder_slot(l, ticks)], bix, s, ticks);
}

NX_NOINLINE void book_flush_levels(struct nx_book *b)
{
	const struct touched *t = b->touched, *end = t + b->ntouched;
	struct nx_event *ev = &b->ev[NX_EV_LEVEL];
	struct nx_ev_level *e = &ev->u.level;
	for (; t < end; t++) {
		struct level *lv = t->lv;
		int64_t qty = 0;
		uint32_t count = 0;
		if (lv->count && lv->ticks == t->ticks) {
			qty = lv->qty;
			count = lv->count;
		}
		lv->touch = NIL;
		if (qty == t->qty && count == t->count)
			continue;
		const struct nx_instrument *d = &b->books[t->book].def;
		e->inst = d->id;
		e->px = t->ticks * d->tick;
		e->qty = qty;
		e->count = count;
		e->side = (uint8_t)(t->side_ix + 1);
		b->emit(b->ctx, ev);
	}
	b->ntouched = 0;
}

/* --- Orders in levels, lists and maps ------------------------------------- */

static inline uint32_t slot_of(const struct nx_book *b, const struct order *o)
{
	return (uint32_t)(o - b->orders);
}

static inline int64_t shown(const struct order *o)
{
	return o->display && o->display < o->leaves ? o->display : o->leaves;
}

/* Append to the back of its level (opened if needed). The caller touched it. */
static NX_ALWAYS_INLINE void level_push(struct nx_book *b, struct order *o)
{
	struct ladder *l = &b->books[o->book].side[SIDE_IX(o->side)];
	struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	if (!lv->count)
		lv = ladder_open(l, o->ticks);
	uint32_t s = slot_of(b, o);
	o->next = NIL;
	o->prev = lv->tail;
	if (lv->tail != NIL)
		b->orders[lv->tail].next = s;
	else
		lv->head = s;
	lv->tail = s;
	lv->count++;
	lv->qty += o->visible;
}

/* Take out of its level (closed if emptied). The caller touched it. */
static NX_ALWAYS_INLINE void level_unlink(struct nx_book *b, struct order *o)
{
	struct ladder *l = &b->books[o->book].side[SIDE_IX(o->side)];
	struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	if (o->prev != NIL)
		b->orders[o->prev].next = o->next;
	else
		lv->head = o->next;
	if (o->next != NIL)
		b->orders[o->next].prev = o->prev;
	else
		lv->tail = o->prev;
	lv->qty -= o->visible;
	if (--lv->count == 0)
		ladder_close(l, o->ticks);
}

/* Take the head of level lv of ladder l, the maker just filled (so it shows
 * nothing): level_unlink() for the one order matching removes, without
 * finding its level again or testing for a predecessor. The caller touched
 * the level. */
static NX_ALWAYS_INLINE void level_pop_head(struct nx_book *b, struct ladder *l, struct level *lv,
					    const struct order *m)
{
	lv->head = m->next;
	if (m->next != NIL)
		b->orders[m->next].prev = NIL;
	else
		lv->tail = NIL;
	if (--lv->count == 0)
		ladder_close(l, m->ticks);
}

/* Enter a new order (queued at its level already) in its account's list
 * and the id maps. */
static NX_ALWAYS_INLINE void rest_links(struct nx_book *b, struct order *o)
{
	uint32_t s = slot_of(b, o);
	struct account *a = &b->accts[o->acct_ix];
	o->anext = NIL;
	o->aprev = a->tail;
	if (a->tail != NIL)
		b->orders[a->tail].anext = s;
	else
		a->head = s;
	a->tail = s;
	oid_insert(b, o->oid, s);
	o->cl_tag = b->cl_hint_tag;
	cl_insert(b, o->cl_tag, s, 1);
	o->resting = 1;
}

/* Rest a new or replaced order: its level (touched), then, unless it is
 * already indexed (a replace), its account list and id maps. */
static void rest(struct nx_book *b, struct order *o, int indexed)
{
	touch(b, o->book, SIDE_IX(o->side), o->ticks);
	level_push(b, o);
	if (!indexed)
		rest_links(b, o);
}

/* LEVEL for the level lv at ticks of ib's side, as it is now: for commands
 * that change one level only and so need no touched list. */
static void emit_level_now(struct nx_book *b, const struct ibook *ib, uint8_t side, int64_t ticks,
			   const struct level *lv)
{
	struct nx_event *ev = &b->ev[NX_EV_LEVEL];
	struct nx_ev_level *e = &ev->u.level;
	e->inst = ib->def.id;
	e->px = ticks * ib->def.tick;
	e->qty = lv->count ? lv->qty : 0;
	e->count = lv->count;
	e->side = side;
	b->emit(b->ctx, ev);
}

/* Rest a new order that changed nothing else (nothing touched): the one
 * LEVEL event it causes is its level's new state, sent straight away
 * without the touched list's before-and-after bookkeeping. */
static void rest_alone(struct nx_book *b, struct order *o)
{
	const struct ibook *ib = &b->books[o->book];
	const struct ladder *l = &ib->side[SIDE_IX(o->side)];
	const struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	level_push(b, o);
	rest_links(b, o);
	emit_level_now(b, ib, o->side, o->ticks, lv);
}

/* Undo rest_links() for a resting order: its account list and id maps. */
static NX_ALWAYS_INLINE void unlink_resting(struct nx_book *b, struct order *o, uint32_t s)
{
	struct account *a = &b->accts[o->acct_ix];
	if (o->aprev != NIL)
		b->orders[o->aprev].anext = o->anext;
	else
		a->head = o->anext;
	if (o->anext != NIL)
		b->orders[o->anext].aprev = o->aprev;
	else
		a->tail = o->aprev;
	oid_erase(b, o->oid, s);
	growmap_erase(&b->by_cl, o->cl_tag, s);
	o->resting = 0;
}

static NX_ALWAYS_INLINE void free_slot(struct nx_book *b, struct order *o, uint32_t s)
{
	o->next = b->free_head;
	b->free_head = s;
	b->live--;
}

/* Return an order's slot to the pool, undoing rest()'s links (not the level).
 * Inline where it runs once a command or more (a cancel), a call elsewhere;
 * the match loop, whose makers all rest, calls the two halves itself. */
static NX_ALWAYS_INLINE void release_inline(struct nx_book *b, struct order *o)
{
	uint32_t s = slot_of(b, o);
	if (o->resting)
		unlink_resting(b, o, s);
	free_slot(b, o, s);
}

static void release(struct nx_book *b, struct order *o)
{
	release_inline(b, o);
}

/* Cancel a resting order outright: level, event, slot. */
void book_cancel_resting(struct nx_book *b, struct order *o, uint8_t reason, nx_clid_t req_cl)
{
	touch(b, o->book, SIDE_IX(o->side), o->ticks);
	level_unlink(b, o);
	emit_cancel(b, o, NX_EV_CANCELED, reason, o->leaves, req_cl);
	o->leaves = 0;
	release(b, o);
}

/* --- Matching ------------------------------------------------------------- */

static inline int crosses(unsigned taker_side, int64_t limit, int64_t maker_ticks)
{
	return taker_side == NX_SIDE_BUY ? maker_ticks <= limit : maker_ticks >= limit;
}

/* How much of qty an order of this side/group/mode could fill now up to limit
 * (docs/matching.md, FOK), or any amount >= t->leaves once that much is
 * certain: it stops counting there, inside a level too, so the walk is no
 * longer than the one matching the order would make. */
static int64_t fok_fillable(const struct nx_book *b, const struct ibook *ib, const struct order *t,
			    int64_t limit)
{
	const struct ladder *l = &ib->side[SIDE_IX(nx_side_other(t->side))];
	if (!l->nlevels)
		return 0;
	int64_t got = 0, px = t->side == NX_SIDE_BUY ? l->lo : l->hi;
	uint32_t left = l->nlevels;
	for (;;) {
		if (!crosses(t->side, limit, px))
			return got;
		const struct level *lv = &l->lv[ladder_slot(l, px)];
		int64_t all = 0, vis = 0;
		for (uint32_t s = lv->head; s != NIL; s = b->orders[s].next) {
			const struct order *m = &b->orders[s];
			if (t->stp != NX_STP_NONE && m->stp_group == t->stp_group) {
				if (t->stp == NX_STP_CO)
					continue;
				return got + vis;
			}
			all += m->leaves;
			vis += m->visible;
			/* The visible quantity ahead fills it before matching could
			 * reach any later order: enough is known, the rest of the
			 * level is not walked (a FOK for 1 lot at a level of 100k
			 * orders read every one of them). */
			if (got + vis >= t->leaves)
				return got + vis;
		}
		got += all;
		if (got >= t->leaves || --left == 0)
			return got;
		px = t->side == NX_SIDE_BUY ? ladder_above(l, px) : ladder_below(l, px);
	}
}

/* Self-trade prevention at resting order m; 1 when the taker is finished. */
static int self_trade(struct nx_book *b, struct order *t, struct order *m, struct level *lv)
{
	switch (t->stp) {
	case NX_STP_CO:
		book_cancel_resting(b, m, NX_CXL_SELF_TRADE, 0);
		return 0;
	case NX_STP_CB:
		book_cancel_resting(b, m, NX_CXL_SELF_TRADE, 0);
		/* fall through */
	case NX_STP_CN:
		emit_cancel(b, t, NX_EV_CANCELED, NX_CXL_SELF_TRADE, t->leaves, 0);
		t->leaves = 0;
		return 1;
	default: { /* NX_STP_DC */
		int64_t q = t->leaves < m->leaves ? t->leaves : m->leaves;
		if (q == m->leaves) {
			book_cancel_resting(b, m, NX_CXL_SELF_TRADE, 0);
		} else {
			m->leaves -= q;
			if (m->visible > m->leaves) {
				lv->qty -= m->visible - m->leaves;
				m->visible = m->leaves;
			}
			emit_cancel(b, m, NX_EV_REDUCED, NX_CXL_SELF_TRADE, q, 0);
		}
		t->leaves -= q;
		emit_cancel(b, t, t->leaves ? NX_EV_REDUCED : NX_EV_CANCELED, NX_CXL_SELF_TRADE, q, 0);
		return t->leaves == 0;
	}
	}
}

/* Start loading both lines of the order in slot (NIL: nothing). */
static NX_ALWAYS_INLINE void prefetch_order(const struct nx_book *b, uint32_t slot)
{
	if (slot != NIL) {
		NX_PREFETCH_W(&b->orders[slot]);
		NX_PREFETCH_W((const char *)&b->orders[slot] + NX_CACHE_LINE);
	}
}

/* Start loading what release() of resting order o (in slot s) writes
 * besides o: its account-list neighbours and its client-id and order-id
 * entries. */
static NX_ALWAYS_INLINE void prefetch_release(const struct nx_book *b, const struct order *o,
					      uint32_t s)
{
	NX_PREFETCH_W(&b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, o->cl_tag)]);
	if (o->aprev != NIL)
		NX_PREFETCH_W(&b->orders[o->aprev]);
	if (o->anext != NIL)
		NX_PREFETCH_W(&b->orders[o->anext]);
	const struct tagmap_ent *r = &b->oid_ring[o->oid & b->oid_ring_mask];
	if (r->slot != s)
		NX_PREFETCH_W(&b->by_oid.cur.tab[tagmap_pos(&b->by_oid.cur, book_tag_oid(o->oid))]);
}

/* The head of the opposite side's best level, if an order of side at limit
 * (ticks; a market order passes INT64_MAX or INT64_MIN) takes liquidity on
 * arrival; NIL otherwise. Its lines start loading: the ACCEPTED event and
 * its report run before the match reaches it. */
static NX_ALWAYS_INLINE uint32_t prefetch_first_maker(const struct nx_book *b,
						      const struct ibook *ib, unsigned side,
						      int64_t limit)
{
	const struct ladder *l = &ib->side[SIDE_IX(nx_side_other(side))];
	if (NX_LIKELY(!l->nlevels))
		return NIL;
	int64_t px = side == NX_SIDE_BUY ? l->lo : l->hi;
	if (!crosses(side, limit, px))
		return NIL;
	uint32_t h = l->lv[ladder_slot(l, px)].head;
	prefetch_order(b, h);
	return h;
}

/* Match taker t against the opposite side up to limit (ticks). Returns 1
 * when the taker was finished by self-trade prevention. */
static int match(struct nx_book *b, struct order *t, int64_t limit)
{
	struct ibook *ib = &b->books[t->book];
	unsigned os = SIDE_IX(nx_side_other(t->side));
	struct ladder *l = &ib->side[os];
	const struct nx_instrument *d = &ib->def;
	nx_px_t tick = d->tick;
	struct nx_event *tev = &b->ev[NX_EV_TRADE];
	struct nx_ev_trade *te = &tev->u.trade;
	/* What stays the same over the match is written once: the taker's side
	 * of the event and the makers' instrument and side (nothing else
	 * writes this buffer, and the sink may not). */
	te->inst = d->id;
	te->aggressor = t->side;
	fill_order(&te->taker, t, d->id, t->ticks * tick); /* its limit; 0: market */
	te->maker.inst = d->id;
	te->maker.side = nx_side_other(t->side);
	while (t->leaves && l->nlevels) {
		int64_t px = t->side == NX_SIDE_BUY ? l->lo : l->hi;
		if (!crosses(t->side, limit, px))
			break;
		struct level *lv = &l->lv[ladder_slot(l, px)];
		touch_level(b, lv, t->book, os, px);
		prefetch_order(b, lv->head); /* both lines at once, then its release */
		prefetch_release(b, &b->orders[lv->head], lv->head);
		if (l->nlevels > 1) { /* the next level's head, while this one trades */
			int64_t nx = t->side == NX_SIDE_BUY ? ladder_above(l, px) : ladder_below(l, px);
			if (crosses(t->side, limit, nx))
				prefetch_order(b, l->lv[ladder_slot(l, nx)].head);
		}
		te->px = px * tick;
		te->maker.order_px = te->px; /* every maker's limit: the level */
		do {
			uint32_t ms = lv->head;
			struct order *m = &b->orders[ms];
			/* A two-stage pipeline over the queue: the maker after next
			 * starts loading, and the next one (loaded during this
			 * maker's predecessor) has what releasing it will touch
			 * started, so a sweep's misses overlap instead of queueing
			 * behind one another. */
			if (m->next != NIL) {
				const struct order *n = &b->orders[m->next];
				prefetch_order(b, n->next);
				prefetch_release(b, n, m->next);
			}
			if (t->stp != NX_STP_NONE && m->stp_group == t->stp_group) {
				if (self_trade(b, t, m, lv))
					return 1;
				continue;
			}
			int64_t q = t->leaves < m->visible ? t->leaves : m->visible;
			m->visible -= q;
			m->leaves -= q;
			m->cum += q;
			lv->qty -= q;
			t->leaves -= q;
			t->cum += q;
			te->tid = b->next_tid++;
			te->qty = q;
			maker_fill(&te->maker, m, te);
			fill_trade(&te->taker, t, te);
			b->emit(b->ctx, tev);
			if (m->visible)
				continue;
			if (!m->leaves) {
				level_pop_head(b, l, lv, m);
				unlink_resting(b, m, ms);
				free_slot(b, m, ms);
			} else if (lv->count > 1) { /* iceberg: refill at the back */
				level_unlink(b, m);
				m->visible = shown(m);
				level_push(b, m);
			} else {
				m->visible = shown(m);
				lv->qty += m->visible;
			}
		} while (t->leaves && lv->count);
	}
	return 0;
}

/* --- Commands ------------------------------------------------------------- */

static inline unsigned status_reject(const struct ibook *ib)
{
	if (NX_LIKELY(ib->def.status == NX_STATUS_OPEN))
		return 0;
	return ib->def.status == NX_STATUS_HALTED ? NX_REJ_INSTRUMENT_HALTED : NX_REJ_INSTRUMENT_CLOSED;
}

/* Quantity rules shared by new orders and replaces. */
static inline unsigned qty_reject(const struct nx_instrument *d, nx_qty_t qty)
{
	if (qty <= 0)
		return NX_REJ_BAD_QTY;
	if (d->lot != 1 && qty % d->lot)
		return NX_REJ_QTY_NOT_LOT;
	if (qty < d->min_qty)
		return NX_REJ_QTY_BELOW_MIN;
	if (qty > d->max_qty)
		return NX_REJ_QTY_ABOVE_MAX;
	return 0;
}

static inline unsigned px_reject(const struct nx_instrument *d, nx_px_t px, int64_t *ticks)
{
	if (px <= 0)
		return NX_REJ_BAD_PRICE;
	if (d->tick == 1) { /* the common case: no division */
		*ticks = px;
		return 0;
	}
	*ticks = px / d->tick;
	if (*ticks * d->tick != px)
		return NX_REJ_PRICE_NOT_TICK;
	return 0;
}

/* Would a buy/sell at ticks take liquidity on arrival? */
static inline int would_take(const struct ibook *ib, unsigned side, int64_t ticks)
{
	const struct ladder *l = &ib->side[SIDE_IX(nx_side_other(side))];
	return l->nlevels && crosses(side, ticks, side == NX_SIDE_BUY ? l->lo : l->hi);
}

/* More than NX_BOOK_ICEBERG_SLICES peaks of display in qty (display > 0). */
static inline int too_many_slices(nx_qty_t qty, nx_qty_t display)
{
	return qty > display && (qty - 1) / display >= NX_BOOK_ICEBERG_SLICES;
}


int nx_book_new_order(struct nx_book *b, const struct nx_new_order *r)
{
	unsigned why;
	/* The duplicate check's entry is a random line of a large table: start
	 * loading it now, and the level's below, so the two misses overlap. */
	uint32_t cl_tag = book_tag_cl(r->acct, r->cl);
	NX_PREFETCH(&b->by_cl.cur.tab[tagmap_pos(&b->by_cl.cur, cl_tag)]);
	const struct tagmap_ent *ring = &b->oid_ring[b->next_oid & b->oid_ring_mask];
	if (ring->slot != IDMAP_EMPTY) /* resting here moves that order to by_oid */
		NX_PREFETCH(&b->by_oid.cur.tab[tagmap_pos(&b->by_oid.cur, book_tag_oid(ring->tag))]);
	uint32_t bix = nx_book_inst_ix(b, r->inst), aix = NIL;
	struct ibook *ib = NULL;
	int64_t ticks = 0;
	uint8_t tif = r->tif;

	if (NX_UNLIKELY(bix == NIL)) {
		why = NX_REJ_UNKNOWN_INSTRUMENT;
		goto reject;
	}
	ib = &b->books[bix];
	const struct nx_instrument *d = &ib->def;
	if ((why = status_reject(ib)))
		goto reject;
	if (NX_UNLIKELY((aix = nx_book_acct_ix(b, r->acct)) == NIL)) {
		why = NX_REJ_UNKNOWN_ACCOUNT;
		goto reject;
	}
	why = r->side != NX_SIDE_BUY && r->side != NX_SIDE_SELL ? NX_REJ_BAD_SIDE
	    : r->type != NX_ORD_LIMIT && r->type != NX_ORD_MARKET ? NX_REJ_BAD_TYPE
	    : tif < NX_TIF_GTC || tif > NX_TIF_FOK ? NX_REJ_BAD_TIF
	    : r->stp > NX_STP_DC ? NX_REJ_BAD_STP : 0;
	if (why || (why = qty_reject(d, r->qty)))
		goto reject;
	if (r->type == NX_ORD_MARKET) {
		if (tif == NX_TIF_GTC)
			tif = NX_TIF_IOC;
	} else if ((why = px_reject(d, r->px, &ticks))) {
		goto reject;
	} else {
		const struct ladder *l = &ib->side[SIDE_IX(r->side)];
		NX_PREFETCH_W(&l->lv[ladder_slot(l, ticks)]);
	}
	uint32_t first = prefetch_first_maker(b, ib, r->side, r->type == NX_ORD_MARKET ?
					      (r->side == NX_SIDE_BUY ? INT64_MAX : INT64_MIN) : ticks);
	int gtc_limit = r->type == NX_ORD_LIMIT && tif == NX_TIF_GTC;
	if (r->display < 0 || (r->display > 0 && (r->display % d->lot || !gtc_limit ||
						  too_many_slices(r->qty, r->display)))) {
		why = NX_REJ_BAD_DISPLAY;
		goto reject;
	}
	if (r->post_only && !gtc_limit) {
		why = NX_REJ_BAD_POST_ONLY;
		goto reject;
	}
	b->cl_hint_tag = cl_tag;
	if (cl_lookup(b, r->acct, r->cl, cl_tag, &b->cl_hint) != NIL) {
		why = NX_REJ_DUPLICATE_CLID;
		goto reject;
	}
	b->cl_hint_moves = b->by_cl.moves;
	if (NX_UNLIKELY(b->free_head == NIL)) {
		why = NX_REJ_ORDER_CAPACITY;
		goto reject;
	}
	if (r->post_only && would_take(ib, r->side, ticks)) {
		why = NX_REJ_POST_ONLY_WOULD_TAKE;
		goto reject;
	}
	if (gtc_limit && !ladder_fits(&ib->side[SIDE_IX(r->side)], ticks)) {
		why = NX_REJ_PRICE_OUT_OF_RANGE;
		goto reject;
	}

	/* Accepted. */
	const struct account *a = &b->accts[aix];
	uint32_t s = b->free_head;
	struct order *t = &b->orders[s];
	b->free_head = t->next;
	b->live++;
	t->ticks = ticks;
	t->leaves = r->qty;
	t->display = r->display;
	t->visible = 0;
	t->cum = 0;
	t->stp_group = a->stp_group;
	t->stp = r->stp ? r->stp : a->stp;
	t->book = bix;
	t->acct = r->acct;
	t->acct_ix = aix;
	t->side = r->side;
	t->post_only = r->post_only;
	t->resting = 0;
	t->oid = b->next_oid++;
	t->cl = r->cl;
	t->tag = r->tag;
	struct nx_event *ev = &b->ev[NX_EV_ACCEPTED];
	struct nx_ev_order *e = &ev->u.order;
	e->acct = r->acct;
	e->inst = r->inst;
	e->cl = r->cl;
	e->oid = t->oid;
	e->px = r->type == NX_ORD_LIMIT ? r->px : 0;
	e->qty = r->qty;
	e->display = r->display;
	e->side = r->side;
	e->type = r->type;
	e->tif = tif;
	e->post_only = r->post_only;
	e->stp = t->stp;
	e->tag = r->tag;
	b->emit(b->ctx, ev);
	if (first != NIL) { /* loaded during the event: what its release touches */
		prefetch_release(b, &b->orders[first], first);
		prefetch_order(b, b->orders[first].next);
	}

	int64_t limit = ticks;
	unsigned rest_reason = NX_CXL_IOC;
	if (r->type == NX_ORD_MARKET) {
		const struct ladder *l = &ib->side[SIDE_IX(nx_side_other(r->side))];
		if (!l->nlevels && tif != NX_TIF_FOK) {
			emit_cancel(b, t, NX_EV_CANCELED, NX_CXL_NO_LIQUIDITY, t->leaves, 0);
			goto done;
		}
		if (r->side == NX_SIDE_BUY) /* saturate: lo + band may pass INT64_MAX */
			limit = l->lo > INT64_MAX - d->band_ticks ? INT64_MAX : l->lo + d->band_ticks;
		else
			limit = l->hi - d->band_ticks;
		rest_reason = NX_CXL_MARKET_PROTECTION;
	}
	if (tif == NX_TIF_FOK && fok_fillable(b, ib, t, limit) < t->leaves) {
		emit_cancel(b, t, NX_EV_CANCELED, NX_CXL_FOK, t->leaves, 0);
		goto done;
	}
	if (would_take(ib, r->side, limit) && match(b, t, limit)) /* most orders rest untouched */
		goto done;
	if (t->leaves) {
		if (gtc_limit) {
			t->visible = shown(t);
			if (!b->ntouched) { /* most orders: no trade, no cancel */
				rest_alone(b, t);
				return 0;
			}
			rest(b, t, 0);
			goto flush;
		}
		emit_cancel(b, t, NX_EV_CANCELED, rest_reason, t->leaves, 0);
	}
done:
	release(b, t);
flush:
	book_flush_levels(b);
	return 0;

reject:
	emit_reject(b, NX_REQ_NEW, (uint8_t)why, r->acct, r->inst, r->cl, 0, 0);
	return (int)why;
}

/* The live order a cancel or replace names, if the account owns it. */
static struct order *named_order(struct nx_book *b, nx_acct_t acct, nx_oid_t oid, nx_clid_t orig_cl)
{
	uint32_t s = oid ? nx_book_oid_slot(b, oid) : nx_book_cl_slot(b, acct, orig_cl);
	if (s == NIL || b->orders[s].acct != acct)
		return NULL;
	prefetch_resting(b, &b->orders[s]);
	return &b->orders[s];
}

int nx_book_cancel(struct nx_book *b, const struct nx_cancel *c)
{
	struct order *o = named_order(b, c->acct, c->oid, c->orig_cl);
	if (!o) {
		emit_reject(b, NX_REQ_CANCEL, NX_REJ_UNKNOWN_ORDER, c->acct, 0, c->cl, c->orig_cl, c->oid);
		return NX_REJ_UNKNOWN_ORDER;
	}
	/* book_cancel_resting() without the touched list: one level changes */
	const struct ibook *ib = &b->books[o->book];
	const struct ladder *l = &ib->side[SIDE_IX(o->side)];
	const struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	int64_t ticks = o->ticks;
	uint8_t side = o->side;
	level_unlink(b, o);
	emit_cancel(b, o, NX_EV_CANCELED, NX_CXL_USER, o->leaves, c->cl);
	o->leaves = 0;
	release_inline(b, o);
	emit_level_now(b, ib, side, ticks, lv);
	return 0;
}

/* Would a level at ticks fit the side's window once order o (on it) left? */
static int fits_without(const struct nx_book *b, const struct order *o, int64_t ticks)
{
	const struct ladder *l = &b->books[o->book].side[SIDE_IX(o->side)];
	const struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	int64_t lo = l->lo, hi = l->hi;
	if (lv->count == 1) {
		if (l->nlevels == 1)
			return 1;
		if (o->ticks == lo)
			lo = ladder_above(l, lo);
		else if (o->ticks == hi)
			hi = ladder_below(l, hi);
	}
	if (ticks < lo)
		lo = ticks;
	if (ticks > hi)
		hi = ticks;
	return (uint64_t)(hi - lo) <= l->mask;
}

int nx_book_replace(struct nx_book *b, const struct nx_replace *r)
{
	unsigned why;
	nx_inst_t inst = 0;
	int64_t ticks = 0;
	struct order *o = named_order(b, r->acct, r->oid, r->orig_cl);
	if (!o) {
		why = NX_REJ_UNKNOWN_ORDER;
		goto reject;
	}
	struct ibook *ib = &b->books[o->book];
	inst = ib->def.id;
	if ((why = status_reject(ib)) || (why = qty_reject(&ib->def, r->qty)))
		goto reject;
	if (r->qty > ib->def.max_qty - o->cum) { /* its total, filled and open: cum stays exact */
		why = NX_REJ_QTY_ABOVE_MAX;
		goto reject;
	}
	if ((why = px_reject(&ib->def, r->px, &ticks)))
		goto reject;
	if (o->display && too_many_slices(r->qty, o->display)) {
		why = NX_REJ_BAD_DISPLAY;
		goto reject;
	}
	if (r->cl != o->cl && cl_slot(b, r->acct, r->cl) != NIL) {
		why = NX_REJ_DUPLICATE_CLID;
		goto reject;
	}
	if (o->post_only && would_take(ib, o->side, ticks)) {
		why = NX_REJ_POST_ONLY_WOULD_TAKE;
		goto reject;
	}
	if (!fits_without(b, o, ticks)) {
		why = NX_REJ_PRICE_OUT_OF_RANGE;
		goto reject;
	}

	nx_clid_t orig_cl = o->cl;
	if (r->cl != o->cl) {
		growmap_erase(&b->by_cl, o->cl_tag, slot_of(b, o));
		o->cl = r->cl;
		o->cl_tag = book_tag_cl(o->acct, o->cl);
		cl_insert(b, o->cl_tag, slot_of(b, o), 0);
	}
	int keep = ticks == o->ticks && r->qty <= o->leaves;
	struct nx_event *ev = &b->ev[NX_EV_REPLACED];
	struct nx_ev_replace *e = &ev->u.replace;
	e->acct = o->acct;
	e->inst = inst;
	e->cl = o->cl;
	e->orig_cl = orig_cl;
	e->oid = o->oid;
	e->px = r->px;
	e->qty = r->qty;
	e->prev_px = o->ticks * ib->def.tick;
	e->prev_qty = o->leaves;
	e->side = o->side;
	e->kept_priority = (uint8_t)keep;
	e->tag = o->tag;
	b->emit(b->ctx, ev);

	struct ladder *l = &ib->side[SIDE_IX(o->side)];
	struct level *lv = &l->lv[ladder_slot(l, o->ticks)];
	if (keep) { /* one level, changed only if the shown quantity shrinks */
		o->leaves = r->qty;
		if (o->visible > o->leaves) {
			lv->qty -= o->visible - o->leaves;
			o->visible = o->leaves;
			emit_level_now(b, ib, o->side, o->ticks, lv);
		}
		return 0;
	}
	if (ticks != o->ticks && !would_take(ib, o->side, ticks)) {
		/* a move that trades nothing: two levels, the old one first, as
		 * the touched list would send them */
		level_unlink(b, o);
		emit_level_now(b, ib, o->side, o->ticks, lv);
		o->ticks = ticks;
		o->leaves = r->qty;
		o->visible = shown(o);
		level_push(b, o);
		emit_level_now(b, ib, o->side, ticks, &l->lv[ladder_slot(l, ticks)]);
		return 0;
	}
	/* a move that may trade, or a quantity increase: through the touched list */
	touch(b, o->book, SIDE_IX(o->side), o->ticks);
	level_unlink(b, o);
	o->ticks = ticks;
	o->leaves = r->qty;
	o->visible = 0;
	if (match(b, o, ticks) || !o->leaves) {
		release(b, o);
	} else {
		o->visible = shown(o);
		rest(b, o, 1);
	}
	book_flush_levels(b);
	return 0;

reject:
	emit_reject(b, NX_REQ_REPLACE, (uint8_t)why, r->acct, inst, r->cl, r->orig_cl, r->oid);
	return (int)why;
}

int nx_book_mass_cancel(struct nx_book *b, const struct nx_mass_cancel *m)
{
	unsigned why = 0;
	uint32_t aix = nx_book_acct_ix(b, m->acct), bix = NIL;
	if (aix == NIL)
		why = NX_REJ_UNKNOWN_ACCOUNT;
	else if (m->inst && (bix = nx_book_inst_ix(b, m->inst)) == NIL)
		why = NX_REJ_UNKNOWN_INSTRUMENT;
	else if (m->side > NX_SIDE_SELL)
		why = NX_REJ_BAD_SIDE;
	if (why) {
		emit_reject(b, NX_REQ_MASS_CANCEL, (uint8_t)why, m->acct, m->inst, m->cl, 0, 0);
		return (int)why;
	}
	uint32_t n = 0;
	for (uint32_t s = b->accts[aix].head, next; s != NIL; s = next) {
		struct order *o = &b->orders[s];
		next = o->anext;
		if ((bix == NIL || o->book == bix) && (!m->side || o->side == m->side)) {
			book_cancel_resting(b, o, NX_CXL_MASS_CANCEL, m->cl);
			n++;
		}
	}
	struct nx_event *ev = &b->ev[NX_EV_MASS_CANCELED];
	struct nx_ev_mass *e = &ev->u.mass;
	e->acct = m->acct;
	e->inst = m->inst;
	e->cl = m->cl;
	e->count = n;
	e->side = m->side;
	b->emit(b->ctx, ev);
	book_flush_levels(b);
	return 0;
}
