/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The ITCH book builder of nx/mdbook.h: memory layout, the order table,
 * the level pool and lists, and the message handlers. Queries and the
 * invariant checker are in mdbook_query.c. No allocation after init.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mdbook_priv.h"
#include "../mem.h"
#include "nx/moldudp.h"

/* --- Layout --------------------------------------------------------------------- */

struct layout {
	uint64_t ord_slots, nbkt;
	size_t off_ord, off_lvl, off_bkt, off_stk, off_hint, total;
};

/* Add n elements of size sz at a cache-line boundary; 0 on overflow. */
static int lay(size_t *at, size_t *off, uint64_t n, size_t sz)
{
	size_t start = (*at + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);

	if (start < *at || n > (SIZE_MAX - start) / sz)
		return 0;
	*off = start;
	*at = start + (size_t)n * sz;
	return 1;
}

static int layout_of(const struct nx_mdbook_config *cfg, struct layout *L)
{
	size_t at = sizeof(struct nx_mdbook);

	if (!cfg || cfg->max_locates > NX_MDBOOK_STOCKS || cfg->max_orders == 0 ||
	    cfg->max_orders > NX_MDBOOK_MAX_ORDERS_LIMIT || cfg->max_levels == 0 ||
	    cfg->max_levels > NX_MDBOOK_MAX_LEVELS_LIMIT)
		return 0;
	/* Load <= 1/2 keeps linear probes short; >= 2 slots for the shift. */
	L->ord_slots = nx_pow2_ceil_u64((uint64_t)cfg->max_orders * 2);
	L->nbkt = nx_pow2_ceil_u64(cfg->max_levels < 2 ? 2 : cfg->max_levels);
	return lay(&at, &L->off_ord, L->ord_slots, sizeof(struct md_ord)) &&
	       lay(&at, &L->off_lvl, (uint64_t)cfg->max_levels + 1, sizeof(struct md_lvl)) &&
	       lay(&at, &L->off_bkt, L->nbkt, sizeof(uint32_t)) &&
	       lay(&at, &L->off_stk, cfg->max_locates ? cfg->max_locates : NX_MDBOOK_STOCKS,
		   sizeof(struct md_stk)) &&
	       lay(&at, &L->off_hint, (uint64_t)(cfg->max_locates ? cfg->max_locates
							   : NX_MDBOOK_STOCKS) * 2 * MD_HINT_ROW,
		   sizeof(uint32_t)) &&
	       (L->total = at, 1);
}

size_t nx_mdbook_memsize(const struct nx_mdbook_config *cfg)
{
	struct layout L;

	return layout_of(cfg, &L) ? L.total : 0;
}

struct nx_mdbook *nx_mdbook_init(void *mem, size_t len, const struct nx_mdbook_config *cfg)
{
	struct nx_mdbook *b = mem;
	struct layout L;

	if (!mem || !layout_of(cfg, &L) || len < L.total || (uintptr_t)mem % NX_CACHE_LINE) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, L.total);
	b->ord = (struct md_ord *)((char *)mem + L.off_ord);
	b->lvl = (struct md_lvl *)((char *)mem + L.off_lvl);
	b->bkt = (uint32_t *)((char *)mem + L.off_bkt);
	b->stk = (struct md_stk *)((char *)mem + L.off_stk);
	b->hint = (uint32_t *)((char *)mem + L.off_hint);
	b->ord_slots = L.ord_slots;
	b->ord_mask = L.ord_slots - 1;
	b->ord_shift = (unsigned)(64 - NX_CTZ64(L.ord_slots));
	b->nbkt = L.nbkt;
	b->bkt_shift = (unsigned)(64 - NX_CTZ64(L.nbkt));
	b->lvl_hw = 1;
	b->nstk = cfg->max_locates ? cfg->max_locates : NX_MDBOOK_STOCKS;
	b->max_orders = cfg->max_orders;
	b->max_levels = cfg->max_levels;
	return b;
}

struct nx_mdbook *nx_mdbook_create(const struct nx_mdbook_config *cfg)
{
	size_t n = nx_mdbook_memsize(cfg);
	void *mem;

	if (!n) {
		errno = EINVAL;
		return NULL;
	}
	if (!(mem = nx_mem_alloc(n)))
		return NULL;
	return nx_mdbook_init(mem, n, cfg);
}

void nx_mdbook_destroy(struct nx_mdbook *b)
{
	free(b);
}

/* --- Orders ------------------------------------------------------------------- */

/* Remove the entry at pos: shift later entries of its cluster back into the
 * hole unless their home lies cyclically in (hole, j]. */
static void ord_erase(struct nx_mdbook *b, uint64_t pos)
{
	uint64_t hole = pos, j = pos, mask = b->ord_mask;

	for (;;) {
		j = (j + 1) & mask;
		struct md_ord *e = &b->ord[j];
		if (e->level == 0)
			break;
		uint64_t home = md_ord_home(b, e->ref);
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			b->ord[hole] = *e;
			hole = j;
		}
	}
	b->ord[hole].level = 0;
	b->st.live_orders--;
}

/* --- Levels --------------------------------------------------------------------- */

static inline int better(unsigned side, uint32_t a, uint32_t b)
{
	return side == NX_MDBOOK_BID ? a > b : a < b;
}

static inline uint32_t absdiff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

static inline uint64_t rotr64(uint64_t v, unsigned k)
{
	return k ? v >> k | v << (64 - k) : v;
}

/* Level c if it is live and of the stock side, else 0. */
static inline uint32_t hint_ok(const struct nx_mdbook *b, uint32_t c, uint16_t locate,
			       unsigned side)
{
	const struct md_lvl *L = &b->lvl[c];

	return c && L->live && L->locate == locate && L->side == side ? c : 0;
}

/* A live level of the stock side near px to start a walk from (0: none):
 * the hint of the nearest written fine slot, cyclically. It may be the
 * level being linked itself (a reused index whose old hint survived):
 * callers skip that. */
static inline uint32_t hint_near(const struct nx_mdbook *b, const struct md_stk *s,
				 const uint32_t *row, uint16_t locate, unsigned side, uint32_t px)
{
	uint64_t occ = s->hint_occ[side], r;
	unsigned k = md_hint_slot(px), up, down, slot;

	if (!occ)
		return 0;
	r = rotr64(occ, k);                  /* bit j: slot k + j */
	up = (unsigned)NX_CTZ64(r);
	down = (unsigned)NX_CLZ64(r) + 1;    /* bit 63 - (down - 1): slot k - down */
	slot = up <= down ? (k + up) & (MD_HINT_W - 1) : (k - down) & (MD_HINT_W - 1);
	return hint_ok(b, row[slot], locate, side);
}

/* Of the candidates c and d (0: none), the nearer to px. */
static inline uint32_t nearer(const struct nx_mdbook *b, uint32_t px, uint32_t c, uint32_t d)
{
	if (!c)
		return d;
	return d && absdiff(px, b->lvl[d].px) < absdiff(px, b->lvl[c].px) ? d : c;
}

/* Link level n into its stock side's list. The price is not in the list
 * (the hash said so). The walk starts from the nearest in price of the
 * fine hint, the coarse hint and the two ends. Out of line: it runs for
 * one add in 14 on the synthetic day, and inlined it made every add save
 * and restore the registers it needs. */
NX_NOINLINE static void side_link(struct nx_mdbook *b, struct md_stk *s, uint32_t n)
{
	struct md_lvl *L = &b->lvl[n];
	unsigned side = L->side;
	uint32_t px = L->px, h = s->head[side], t = s->tail[side], c, d;
	uint32_t *row = md_hint_row(b, L->locate, side);

	s->nlevels[side]++;
	if (!h) {
		L->prev = L->next = 0;
		s->head[side] = s->tail[side] = n;
		goto hint;
	}
	/* a fine hint within two cents is taken without reading the (maybe
	 * cold) ends: few levels can lie between it and px */
	d = hint_near(b, s, row, L->locate, side, px);
	if (d == n)
		d = 0;
	if (d && absdiff(px, b->lvl[d].px) <= 2 * MD_HINT_G) {
		c = d;
	} else {
		uint32_t dc = hint_ok(b, row[md_hint_cslot(px)], L->locate, side);
		c = nearer(b, px, nearer(b, px, h, t), d);
		if (dc != n)
			c = nearer(b, px, c, dc);
	}
	if (better(side, b->lvl[c].px, px)) {
		/* px goes after c: step towards worse prices */
		uint32_t nx;
		while ((nx = b->lvl[c].next) && better(side, b->lvl[nx].px, px))
			c = nx;
		L->prev = c;
		L->next = b->lvl[c].next;
	} else {
		/* px goes before c: step towards better prices */
		uint32_t pv;
		while ((pv = b->lvl[c].prev) && better(side, px, b->lvl[pv].px))
			c = pv;
		L->next = c;
		L->prev = b->lvl[c].prev;
	}
	if (L->prev)
		b->lvl[L->prev].next = n;
	else
		s->head[side] = n;
	if (L->next)
		b->lvl[L->next].prev = n;
	else
		s->tail[side] = n;
hint:
	row[md_hint_slot(px)] = n;
	row[md_hint_cslot(px)] = n;
	s->hint_occ[side] |= UINT64_C(1) << md_hint_slot(px);
}

/* The level of (stock, side, px), created empty if absent; 0 if the pool
 * is exhausted. h is its bucket, md_bkt_of(b, locate, side, px). */
static uint32_t lvl_get(struct nx_mdbook *b, struct md_stk *s, uint16_t locate, unsigned side,
			uint32_t px, uint64_t h)
{
	uint32_t i = b->bkt[h];
	struct md_lvl *L;

	while (i) {
		L = &b->lvl[i];
		if (L->px == px && L->locate == locate && L->side == side)
			return i;
		i = L->hnext;
	}
	if (b->free_lvl) {
		i = b->free_lvl;
		b->free_lvl = b->lvl[i].next;
	} else if (b->lvl_hw <= b->max_levels) {
		i = b->lvl_hw++;
	} else {
		return 0;
	}
	L = &b->lvl[i];
	L->qty = 0;
	L->orders = 0;
	L->px = px;
	L->locate = locate;
	L->side = (uint8_t)side;
	L->live = 1;
	L->hnext = b->bkt[h];
	b->bkt[h] = i;
	side_link(b, s, i);
	if (++b->st.live_levels > b->st.peak_levels)
		b->st.peak_levels = b->st.live_levels;
	return i;
}

static void lvl_free(struct nx_mdbook *b, uint32_t i)
{
	struct md_lvl *L = &b->lvl[i];
	struct md_stk *s = &b->stk[L->locate];
	unsigned side = L->side;
	uint32_t *pp = &b->bkt[md_bkt_of(b, L->locate, side, L->px)];
	uint32_t *row = md_hint_row(b, L->locate, side), nb = L->prev ? L->prev : L->next;

	/* hints naming this level move to a live neighbour (0 when the side
	 * empties, which hint_ok refuses) */
	if (row[md_hint_slot(L->px)] == i)
		row[md_hint_slot(L->px)] = nb;
	if (row[md_hint_cslot(L->px)] == i)
		row[md_hint_cslot(L->px)] = nb;
	while (*pp != i)
		pp = &b->lvl[*pp].hnext;
	*pp = L->hnext;
	if (L->prev)
		b->lvl[L->prev].next = L->next;
	else
		s->head[side] = L->next;
	if (L->next)
		b->lvl[L->next].prev = L->prev;
	else
		s->tail[side] = L->prev;
	s->nlevels[side]--;
	L->live = 0;
	L->next = b->free_lvl;
	b->free_lvl = i;
	b->st.live_levels--;
}

/* Take shares off level li (an order leaving with `orders` = 1, or a partial
 * execution/cancel with orders = 0). */
static inline void lvl_sub(struct nx_mdbook *b, uint32_t li, uint32_t shares, uint32_t orders)
{
	struct md_lvl *L = &b->lvl[li];

	L->qty -= shares;
	if (orders) {
		b->stk[L->locate].orders--;
		if (--L->orders == 0)
			lvl_free(b, li);
	}
}

/* --- Handlers ------------------------------------------------------------------- */

/*
 * What the prefetch pipeline (nx_mdbook_apply_blocks, below) learned about
 * one message, carried from stage to stage and into the handlers so that
 * nothing hashes or validates twice. Per-message callers have none (NULL)
 * and the handlers hash for themselves.
 */
struct pf_slot {
	const uint8_t *blk;   /* the block (length prefix, then the message) */
	uint64_t home;        /* md_ord_home of the reference at NX_ITCH_REF_OFF */
	uint64_t aux;         /* add: its level's bucket; replace: its new reference's home */
	uint32_t lvl;         /* from stage 2: the order's level, or the bucket's first */
	uint16_t len;         /* the message's length */
	uint8_t kind;         /* PF_NONE, or (the length checked against the type) one of
				 PF_ADD, PF_REF (E C X D), PF_REPLACE */
};

enum { PF_NONE, PF_ADD, PF_REF, PF_REPLACE };

static inline void count(struct nx_mdbook *b, enum nx_mdbook_anomaly a)
{
	b->st.anomalies[a]++;
}

static void name_stock(struct nx_mdbook *b, struct md_stk *s, const char *stock, uint8_t by)
{
	memcpy(s->symbol, stock, NX_ITCH_SYMBOL_LEN);
	s->named_by = by;
	b->st.namings++;
}

/* home: md_ord_home(b, ref); bkt: md_bkt_of(b, locate, side_ch == 'S', px).
 * 1 if the order is now live, 0 if skipped (counted). */
static int add(struct nx_mdbook *b, uint16_t locate, uint64_t ref, uint64_t home,
	       uint8_t side_ch, uint32_t shares, uint32_t px, uint64_t bkt)
{
	struct md_stk *s = &b->stk[locate];
	unsigned side;
	uint64_t pos;
	uint32_t li;

	if (side_ch == NX_ITCH_BUY) {
		side = NX_MDBOOK_BID;
	} else if (side_ch == NX_ITCH_SELL) {
		side = NX_MDBOOK_ASK;
	} else {
		count(b, NX_MDBOOK_BAD_SIDE);
		return 0;
	}
	if (NX_UNLIKELY(shares == 0)) {
		count(b, NX_MDBOOK_ZERO_SHARES);
		return 0;
	}
	if (NX_UNLIKELY(md_ord_find_from(b, ref, home, &pos) != NULL)) {
		count(b, NX_MDBOOK_DUP_REF);
		return 0;
	}
	if (NX_UNLIKELY(b->st.live_orders >= b->max_orders)) {
		count(b, NX_MDBOOK_ORDER_CAPACITY);
		return 0;
	}
	li = lvl_get(b, s, locate, side, px, bkt);
	if (NX_UNLIKELY(li == 0)) {
		count(b, NX_MDBOOK_LEVEL_CAPACITY);
		return 0;
	}
	b->ord[pos].ref = ref;
	b->ord[pos].level = li;
	b->ord[pos].shares = shares;
	b->lvl[li].qty += shares;
	b->lvl[li].orders++;
	s->orders++;
	if (++b->st.live_orders > b->st.peak_orders)
		b->st.peak_orders = b->st.live_orders;
	return 1;
}

/* Take n shares off ref: X (exec 0), E (exec 1: a print at the order's
 * price), C printable (exec 2: a print at px) or C not printable (exec 3).
 * A print is the executed order's stock's last trade; as for P and Q, an
 * execution of 0 shares prints nothing (a C would otherwise move a LAST
 * reference price to a price nothing traded at). */
static void reduce(struct nx_mdbook *b, uint64_t ref, uint64_t home, uint32_t n, int exec,
		   uint32_t px)
{
	uint64_t pos;
	struct md_ord *e = md_ord_find_from(b, ref, home, &pos);
	uint32_t li;

	if (NX_UNLIKELY(!e)) {
		count(b, exec ? NX_MDBOOK_ORPHAN_EXEC : NX_MDBOOK_ORPHAN_CANCEL);
		return;
	}
	li = e->level;
	if (exec && n) {
		if (exec == 1)
			b->stk[b->lvl[li].locate].last_px = b->lvl[li].px;
		else if (exec == 2)
			b->stk[b->lvl[li].locate].last_px = px;
		b->st.shares_executed += n < e->shares ? n : e->shares;
	}
	if (n < e->shares) {
		e->shares -= n;
		b->lvl[li].qty -= n;
		return;
	}
	if (n > e->shares)
		count(b, exec ? NX_MDBOOK_OVER_EXEC : NX_MDBOOK_OVER_CANCEL);
	lvl_sub(b, li, e->shares, 1);
	ord_erase(b, pos);
}

static void del(struct nx_mdbook *b, uint64_t ref, uint64_t home)
{
	uint64_t pos;
	struct md_ord *e = md_ord_find_from(b, ref, home, &pos);

	if (NX_UNLIKELY(!e)) {
		count(b, NX_MDBOOK_ORPHAN_DELETE);
		return;
	}
	lvl_sub(b, e->level, e->shares, 1);
	ord_erase(b, pos);
}

/* U: the old order leaves, a new one (new reference, price and size, same
 * stock and side) enters. At an unchanged price the level is kept in place
 * rather than freed and relinked when the order was its only one. */
static void replace(struct nx_mdbook *b, const struct nx_itch_order_replace *m, uint64_t home,
		    uint64_t nhome)
{
	uint64_t pos, npos, nref = nx_itch_be64(m->new_ref);
	struct md_ord *e = md_ord_find_from(b, nx_itch_be64(m->orig_ref), home, &pos);
	uint32_t shares = nx_itch_be32(m->shares), px = nx_itch_be32(m->price);
	uint32_t li, old;
	struct md_lvl *L;

	if (NX_UNLIKELY(!e)) {
		count(b, NX_MDBOOK_ORPHAN_REPLACE);
		return;
	}
	li = e->level;
	old = e->shares;
	L = &b->lvl[li];
	ord_erase(b, pos);
	if (L->px == px && shares && !md_ord_find_from(b, nref, nhome, &npos)) {
		b->ord[npos].ref = nref;
		b->ord[npos].level = li;
		b->ord[npos].shares = shares;
		L->qty = L->qty - old + shares;
		b->st.live_orders++;
		return;
	}
	{
		uint16_t locate = L->locate;
		unsigned side = L->side;

		lvl_sub(b, li, old, 1);
		add(b, locate, nref, nhome, side == NX_MDBOOK_BID ? NX_ITCH_BUY : NX_ITCH_SELL,
		    shares, px, md_bkt_of(b, locate, side, px));
	}
}

/* The stock a message names, or NULL (counted) beyond max_locates. */
static inline struct md_stk *stk_of(struct nx_mdbook *b, const struct nx_itch_hdr *h)
{
	uint16_t locate = nx_itch_locate(h);

	if (NX_UNLIKELY(locate >= b->nstk)) {
		count(b, NX_MDBOOK_BAD_LOCATE);
		return NULL;
	}
	return &b->stk[locate];
}

/* The home slot of the order message's reference: the pipeline's, or hashed. */
#define HOME_(q, ref) ((q) ? (q)->home : md_ord_home(b, (ref)))

static NX_ALWAYS_INLINE void apply_one(struct nx_mdbook *b, const union nx_itch_msg *m, int t,
				       const struct pf_slot *q)
{
	struct md_stk *s;
	uint64_t ref;

	switch (t) {
	case NX_ITCH_ADD_ORDER:
	case NX_ITCH_ADD_ORDER_MPID: {
		/* A and F share every field A has, at the same offsets */
		uint16_t locate = nx_itch_locate(&m->h);
		if (NX_UNLIKELY(locate >= b->nstk)) {
			count(b, NX_MDBOOK_BAD_LOCATE);
			break;
		}
		s = &b->stk[locate];
		ref = nx_itch_be64(m->A.ref);
		/* a skipped add names nothing: a reference price could resolve
		 * to a symbol only a rejected message carried */
		if (add(b, locate, ref, HOME_(q, ref), m->A.side, nx_itch_be32(m->A.shares),
			nx_itch_be32(m->A.price),
			q ? q->aux : md_bkt_of(b, locate, m->A.side == NX_ITCH_SELL,
					       nx_itch_be32(m->A.price))) &&
		    NX_UNLIKELY(!s->named_by))
			name_stock(b, s, m->A.stock, (uint8_t)t);
		break;
	}
	case NX_ITCH_ORDER_EXECUTED:
		ref = nx_itch_be64(m->E.ref);
		reduce(b, ref, HOME_(q, ref), nx_itch_be32(m->E.shares), 1, 0);
		break;
	case NX_ITCH_ORDER_EXECUTED_PX:
		ref = nx_itch_be64(m->C.ref);
		reduce(b, ref, HOME_(q, ref), nx_itch_be32(m->C.shares),
		       m->C.printable == 'Y' ? 2 : 3, nx_itch_be32(m->C.price));
		break;
	case NX_ITCH_ORDER_CANCEL:
		ref = nx_itch_be64(m->X.ref);
		reduce(b, ref, HOME_(q, ref), nx_itch_be32(m->X.shares), 0, 0);
		break;
	case NX_ITCH_ORDER_DELETE:
		ref = nx_itch_be64(m->D.ref);
		del(b, ref, HOME_(q, ref));
		break;
	case NX_ITCH_ORDER_REPLACE:
		ref = nx_itch_be64(m->U.orig_ref);
		replace(b, &m->U, HOME_(q, ref),
			q ? q->aux : md_ord_home(b, nx_itch_be64(m->U.new_ref)));
		break;
	case NX_ITCH_TRADE:
		if (!(s = stk_of(b, &m->h)))
			break;
		b->st.shares_traded_hidden += nx_itch_be32(m->P.shares);
		if (nx_itch_be32(m->P.shares)) /* as Q: no shares, no print */
			s->last_px = nx_itch_be32(m->P.price);
		break;
	case NX_ITCH_CROSS_TRADE:
		if (!(s = stk_of(b, &m->h)))
			break;
		b->st.shares_crossed += nx_itch_be64(m->Q.shares);
		if (nx_itch_be64(m->Q.shares))
			s->last_px = nx_itch_be32(m->Q.cross_price);
		break;
	case NX_ITCH_STOCK_DIRECTORY:
		if (!(s = stk_of(b, &m->h)))
			break;
		name_stock(b, s, m->R.stock, NX_ITCH_STOCK_DIRECTORY);
		s->category = m->R.market_category;
		s->round_lot = nx_itch_be32(m->R.round_lot_size);
		break;
	case NX_ITCH_TRADING_ACTION:
		if (!(s = stk_of(b, &m->h)))
			break;
		s->state = m->H.trading_state;
		break;
	case NX_ITCH_SYSTEM_EVENT:
		b->st.last_event = m->S.event_code;
		break;
	default:
		break;
	}
}

#undef HOME_

/* q: the pipeline's slot of the message, or NULL. A slot of a kind other
 * than PF_NONE is an order message whose length stage 1 checked. */
static NX_ALWAYS_INLINE int apply_msg(struct nx_mdbook *b, const uint8_t *msg, size_t len,
				      const struct pf_slot *q)
{
	const union nx_itch_msg *m = (const void *)msg;
	int t;

	if (q && q->kind == PF_NONE)
		q = NULL;
	t = q ? msg[0] : nx_itch_check(msg, len);

	if (NX_UNLIKELY(t < 0)) {
		b->st.msgs[NX_ITCH_IX_NONE]++;
		b->st.decode_errs[-t]++;
		count(b, NX_MDBOOK_DECODE_ERROR);
		return t;
	}
	b->st.msgs[nx_itch_ix_tab[t]]++;
	/* the 6-byte timestamp ends at byte 11: one load of bytes 3-10 */
	b->st.last_ts_ns = nx_itch_ld64(msg + 3) & UINT64_C(0xffffffffffff);
	apply_one(b, m, t, q);
	return t;
}

int nx_mdbook_apply(struct nx_mdbook *b, const uint8_t *msg, size_t len)
{
	return apply_msg(b, msg, len, NULL);
}

/* --- Prefetching ------------------------------------------------------------------ */

/* Which messages carry an order reference at NX_ITCH_REF_OFF, by type,
 * with their exact length (so the prefetch reads only bytes of the message). */
static const uint8_t ref_len[256] = {
	['A'] = NX_ITCH_LEN_ADD_ORDER,        ['F'] = NX_ITCH_LEN_ADD_ORDER_MPID,
	['E'] = NX_ITCH_LEN_ORDER_EXECUTED,   ['C'] = NX_ITCH_LEN_ORDER_EXECUTED_PX,
	['X'] = NX_ITCH_LEN_ORDER_CANCEL,     ['D'] = NX_ITCH_LEN_ORDER_DELETE,
	['U'] = NX_ITCH_LEN_ORDER_REPLACE,
};

static inline int is_add(uint8_t t)
{
	return t == NX_ITCH_ADD_ORDER || t == NX_ITCH_ADD_ORDER_MPID;
}

/* Stage 1: the stock line, the order entry's home (from the reference
 * bytes: an add's new entry goes at or after it too), an add's level
 * bucket, a replace's new home. */
static inline void stage1(const struct nx_mdbook *b, struct pf_slot *q, const uint8_t *msg,
			  size_t len)
{
	uint8_t t;
	uint16_t locate;

	q->kind = PF_NONE;
	q->len = (uint16_t)len;
	q->lvl = 0; /* stage 3 may run without stage 2 (the first blocks of a call) */
	if (len < NX_ITCH_HDR_LEN)
		return;
	locate = nx_itch_be16(msg + 1);
	if (locate < b->nstk)
		NX_PREFETCH_W(&b->stk[locate]);
	t = msg[0];
	if (ref_len[t] != len)
		return;
	q->home = md_ord_home(b, nx_itch_be64(msg + NX_ITCH_REF_OFF));
	NX_PREFETCH_W(&b->ord[q->home]);
	if (is_add(t)) {
		const struct nx_itch_add_order *a = (const void *)msg;
		q->kind = PF_ADD;
		q->aux = md_bkt_of(b, locate, a->side == NX_ITCH_SELL, nx_itch_be32(a->price));
		NX_PREFETCH(&b->bkt[q->aux]);
	} else if (t == NX_ITCH_ORDER_REPLACE) {
		const struct nx_itch_order_replace *u = (const void *)msg;
		q->kind = PF_REPLACE;
		q->aux = md_ord_home(b, nx_itch_be64(u->new_ref));
		NX_PREFETCH_W(&b->ord[q->aux]);
	} else {
		q->kind = PF_REF;
	}
}

void nx_mdbook_prefetch(const struct nx_mdbook *b, const uint8_t *msg, size_t len)
{
	struct pf_slot q;

	stage1(b, &q, msg, len);
}

/* Stage 2: read the entry or bucket (cached since stage 1) and prefetch
 * the level behind it; an add whose bucket is empty makes a new level:
 * prefetch its stock side's hint row. */
static inline void stage2(const struct nx_mdbook *b, struct pf_slot *q)
{
	const uint8_t *msg = q->blk + NX_MOLD_BLOCK_PREFIX;

	q->lvl = 0;
	if (q->kind == PF_ADD) {
		const struct nx_itch_add_order *a = (const void *)msg;
		uint16_t locate = nx_itch_be16(a->h.locate);
		q->lvl = b->bkt[q->aux];
		if (q->lvl)
			NX_PREFETCH_W(&b->lvl[q->lvl]);
		else if (locate < b->nstk) {
			const uint32_t *row = md_hint_row(b, locate, a->side == NX_ITCH_SELL);
			uint32_t px = nx_itch_be32(a->price);
			NX_PREFETCH(&row[md_hint_slot(px)]);
			NX_PREFETCH(&row[md_hint_cslot(px)]);
		}
	} else if (q->kind != PF_NONE) {
		uint64_t ref = nx_itch_be64(msg + NX_ITCH_REF_OFF), i = q->home;
		for (;;) {
			const struct md_ord *e = &b->ord[i];
			if (e->level == 0)
				return;
			if (e->ref == ref)
				break;
			i = (i + 1) & b->ord_mask;
		}
		q->lvl = b->ord[i].level;
		NX_PREFETCH_W(&b->lvl[q->lvl]);
		/* erasing it reads the slots after it (backward shift): the
		 * next line, when it is the last of its line */
		if ((i + 1) % MD_ORD_PER_LINE == 0)
			NX_PREFETCH_W(&b->ord[(i + 1) & b->ord_mask]);
	}
}

/* Stage 3, with the level cached since stage 2: what creating or freeing a
 * level will touch. An order leaving a level of one order (D, U, or an
 * E/C/X that may empty it) frees the level: its bucket, list neighbours
 * and hint slots. A replace's new price: its bucket. An add making a new
 * level: the hinted levels its link walk may start from. */
static inline void stage3(const struct nx_mdbook *b, const struct pf_slot *q)
{
	const uint8_t *msg = q->blk + NX_MOLD_BLOCK_PREFIX;
	const struct md_lvl *L;

	if (q->kind == PF_ADD) {
		const struct nx_itch_add_order *a = (const void *)msg;
		uint16_t locate = nx_itch_be16(a->h.locate);
		uint32_t px = nx_itch_be32(a->price);
		const uint32_t *row;
		if (q->lvl || locate >= b->nstk)
			return;
		row = md_hint_row(b, locate, a->side == NX_ITCH_SELL);
		NX_PREFETCH_W(&b->lvl[row[md_hint_slot(px)]]);
		NX_PREFETCH_W(&b->lvl[row[md_hint_cslot(px)]]);
		return;
	}
	if (q->kind == PF_NONE || !q->lvl)
		return;
	L = &b->lvl[q->lvl];
	if (q->kind == PF_REPLACE) {
		const struct nx_itch_order_replace *u = (const void *)msg;
		NX_PREFETCH(&b->bkt[md_bkt_of(b, nx_itch_be16(u->h.locate), L->side,
					      nx_itch_be32(u->price))]);
	}
	if (L->orders == 1) {
		const uint32_t *row = md_hint_row(b, L->locate, L->side);
		NX_PREFETCH_W(&b->bkt[md_bkt_of(b, L->locate, L->side, L->px)]);
		NX_PREFETCH_W(&b->lvl[L->prev]);
		NX_PREFETCH_W(&b->lvl[L->next]);
		NX_PREFETCH_W(&row[md_hint_slot(L->px)]);
		NX_PREFETCH_W(&row[md_hint_cslot(L->px)]);
	}
}

/* Blocks between each prefetch stage and the apply. A DRAM miss is ~150
 * ns on the reference VM and a message ~20-50 ns to apply: each stage gets
 * 4-8 messages of time. */
#define STAGE1 16
#define STAGE2 8
#define STAGE3 4
#define RING   16 /* >= STAGE1, a power of two */

static inline int block_ok(const uint8_t *p, const uint8_t *end)
{
	size_t left = (size_t)(end - p);
	return left >= NX_MOLD_BLOCK_PREFIX && nx_itch_be16(p) <= left - NX_MOLD_BLOCK_PREFIX;
}

size_t nx_mdbook_apply_blocks(struct nx_mdbook *b, const uint8_t *data, size_t len,
			      size_t max_msgs, size_t *used)
{
	struct pf_slot ring[RING];
	const uint8_t *pf = data, *end = data + len, *done = data;
	size_t n = 0, npf = 0;

	/* pf walks ahead, validating blocks into the ring (messages n .. npf-1,
	 * at most STAGE1) and running stage 1 on them; applying message n
	 * first runs stage 2 on message n + STAGE2 and stage 3 on n + STAGE3.
	 * Every block applied was validated by pf. */
	for (;;) {
		if (npf < max_msgs && block_ok(pf, end)) {
			struct pf_slot *q = &ring[npf % RING];
			/* The walk's own chain, as in nx_mold_blocks_next. */
			NX_PREFETCH((const uint8_t *)((uintptr_t)pf + NX_MOLD_WALK_PREFETCH));
			q->blk = pf;
			stage1(b, q, pf + NX_MOLD_BLOCK_PREFIX, nx_itch_be16(pf));
			pf += NX_MOLD_BLOCK_PREFIX + q->len;
			if (++npf - n < STAGE1)
				continue;
		} else if (n == npf) {
			break;
		}
		if (n + STAGE2 < npf)
			stage2(b, &ring[(n + STAGE2) % RING]);
		if (n + STAGE3 < npf)
			stage3(b, &ring[(n + STAGE3) % RING]);
		{
			const struct pf_slot *q = &ring[n % RING];
			apply_msg(b, q->blk + NX_MOLD_BLOCK_PREFIX, q->len, q);
			done = q->blk + NX_MOLD_BLOCK_PREFIX + q->len;
		}
		n++;
	}
	if (used)
		*used = (size_t)(done - data);
	return n;
}
