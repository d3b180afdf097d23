/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Pre-trade risk: exposure state shadowing the book's events, and the
 * checks that read it (rules in docs/risk.md).
 *
 * Layout: accounts and instruments in arrays found through id maps; a dense
 * account x instrument matrix of {position, open buy, open sell}; per
 * account two bitsets over instrument slots, the restricted instruments and
 * the instruments it holds a position in. The credit check walks only the
 * held bits, so its cost is the number of instruments the account holds,
 * not the number the venue lists.
 *
 * Money: the checks compute an order's notional and the account's open
 * notional with it exactly, and refuse an order for which either would pass
 * INT64_MAX, whatever the limits; so every admitted sum fits, and the state
 * keeps it with modular arithmetic, which the events that undo an order
 * (fills, cancels, replaces) invert exactly. (A saturating sum does not
 * invert: one absurd order pinned it at INT64_MAX and its cancel then took
 * away every other order's notional.) The exposure, sum |position| x
 * reference, saturates at INT64_MAX, which can only make a check stricter.
 *
 * The credit check decides from bounds on the exposure when it can, and
 * sums it only when the bounds straddle the limit. Each account keeps
 * abs_lots, the sum of |position| over its instruments, and expo, the sum of
 * its cells' terms, a term being |position| x the reference price at the
 * last fill or walk that counted it; each FILL moves both exactly. The venue
 * keeps moved, the sum of |change| of every reference price so far, and
 * each account moved_at, its value when every held cell was last counted
 * (by a walk). Since then no reference has moved by more than
 * moved - moved_at, so the exposure lies within expo -/+ abs_lots x (moved -
 * moved_at); it is also at most abs_lots x max_ref, max_ref being the
 * highest reference price ever in use. A check whose credit sum passes at
 * the upper bound passes, one that fails at the lower bound fails, and only
 * between them are the held cells walked: exactly summed, and counted again,
 * so the next checks of that account start from a tight bound. The outcome
 * is the exact sum's in every case; the bounds only decide the work, and a
 * check's only write is that cache.
 *
 * Ids below DIRECT_IDS are found through a direct array, larger ids through
 * the hash map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/risk.h"
#include "../idmap.h"
#include "../mem.h"

#define NIL UINT32_MAX
/* Direct lookup for ids below this: 4096 ids is 16 KB a table; venues
 * number their accounts and instruments densely from 1. */
#define DIRECT_IDS 4096u

/* sum of min(|position|, ABS_CLAMP): below ABS_CLAMP no term was clamped, so
 * it is the exact sum; 2^20 instruments x 2^43 lots cannot wrap 64 bits. */
#define ABS_CLAMP (UINT64_C(1) << 43)

/* What a check reads of an account, in one cache line: its open orders, the
 * exposure bounds (see the top) and the limits the checks compare with (a
 * copy of those in lims[], which also holds the session's throttle). The
 * kill flag is in acct_killed[], the ids (needed only by the hash map's probes)
 * in acct_ids. */
struct racct {
	int64_t open_notional;
	uint64_t abs_lots;         /* see ABS_CLAMP */
	uint64_t expo;             /* sum of its cells' terms (nx_risk.term) */
	uint64_t moved_at;         /* nx_risk.moved when each held cell was counted */
	int64_t max_order_notional, position_limit, credit_limit;
	uint32_t open_orders, max_open_orders;
};
NX_STATIC_ASSERT(sizeof(struct racct) <= NX_CACHE_LINE, "an account's check state is one line");

struct rinst {
	nx_inst_t id;
	uint8_t killed;
	nx_px_t tick;
	int64_t band_ticks;
	nx_px_t last_px;   /* last trade, or the configured reference until one */
	nx_px_t ext_px;    /* external reference set by an admin; 0: none */
	nx_px_t ref;       /* the one in use: ext_px if set, else last_px (kept so,
			      for the exposure sum's loop) */
};

struct rpos {
	int64_t pos, open_buy, open_sell;
};

/* The taker's side of the match in progress, summed over its trades
 * (nx_risk_on_match_trade) until settled; qty 0: none. */
struct rtaker {
	nx_oid_t oid;
	uint32_t a, i;
	unsigned side;
	int closes;        /* its last fill left nothing open */
	nx_px_t order_px;
	nx_qty_t qty;
};

struct nx_risk {
	struct racct *accts;
	nx_acct_t *acct_ids;       /* [account slot] */
	struct nx_limits *lims;    /* [account slot] */
	uint8_t *acct_killed;      /* [account slot] */
	struct rinst *insts;
	struct rpos *pos;          /* [account slot * max_instruments + instrument slot] */
	uint64_t *term;            /* [the same]: abs_clamped(pos) x the reference when
				      counted, its part of the account's expo modulo
				      2^64; apart from pos, which the checks read */
	uint64_t *restricted;      /* [account slot * words] */
	uint64_t *held;            /* [account slot * words] */
	uint32_t *acct_dir, *inst_dir; /* [id] -> slot, ids < DIRECT_IDS */
	struct idmap acct_map, inst_map;
	uint32_t nacct, ninst, words;
	uint8_t venue_killed;
	nx_px_t max_ref;           /* >= every reference price ever in use, >= 0 */
	uint64_t moved;            /* sum of |change| of every reference price */
	uint64_t walks;            /* credit checks that summed the exposure */
	struct rtaker taker;
	struct nx_risk_config cfg;
	void *alloc;
};

/* --- Layout ---------------------------------------------------------------- */

struct layout {
	size_t accts, acct_ids, lims, acct_killed, insts, pos, term, restricted, held, acct_map, inst_map, acct_dir, inst_dir;
	size_t total;
	uint32_t acct_cap, inst_cap, words;
};

static int lay(size_t *cur, size_t n, size_t sz, size_t *off)
{
	size_t bytes, at = (*cur + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	if (__builtin_mul_overflow(n, sz, &bytes) || __builtin_add_overflow(at, bytes, cur))
		return -1;
	*off = at;
	return 0;
}

static int layout_of(const struct nx_risk_config *c, struct layout *L)
{
	if (!c || !c->max_accounts || !c->max_instruments || c->max_accounts > NX_BOOK_MAX_ACCOUNTS ||
	    c->max_instruments > NX_BOOK_MAX_INSTRUMENTS)
		return -1;
	L->acct_cap = (uint32_t)nx_pow2_ceil_u64((uint64_t)c->max_accounts * 2);
	L->inst_cap = (uint32_t)nx_pow2_ceil_u64((uint64_t)c->max_instruments * 2);
	L->words = (c->max_instruments + 63) / 64;
	size_t cur = (sizeof(struct nx_risk) + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	size_t cells = (size_t)c->max_accounts * c->max_instruments;
	size_t bits = (size_t)c->max_accounts * L->words;
	if (lay(&cur, c->max_accounts, sizeof(struct racct), &L->accts) ||
	    lay(&cur, c->max_accounts, sizeof(nx_acct_t), &L->acct_ids) ||
	    lay(&cur, c->max_accounts, sizeof(struct nx_limits), &L->lims) ||
	    lay(&cur, c->max_accounts, 1, &L->acct_killed) ||
	    lay(&cur, c->max_instruments, sizeof(struct rinst), &L->insts) ||
	    lay(&cur, cells, sizeof(struct rpos), &L->pos) ||
	    lay(&cur, cells, sizeof(uint64_t), &L->term) ||
	    lay(&cur, bits, sizeof(uint64_t), &L->restricted) ||
	    lay(&cur, bits, sizeof(uint64_t), &L->held) ||
	    lay(&cur, L->acct_cap, sizeof(uint32_t), &L->acct_map) ||
	    lay(&cur, L->inst_cap, sizeof(uint32_t), &L->inst_map) ||
	    lay(&cur, DIRECT_IDS, sizeof(uint32_t), &L->acct_dir) ||
	    lay(&cur, DIRECT_IDS, sizeof(uint32_t), &L->inst_dir))
		return -1;
	L->total = cur;
	return 0;
}

size_t nx_risk_memsize(const struct nx_risk_config *cfg)
{
	struct layout L;
	return layout_of(cfg, &L) ? 0 : L.total;
}

struct nx_risk *nx_risk_init(void *mem, size_t len, const struct nx_risk_config *cfg)
{
	struct layout L;
	if (!mem || ((uintptr_t)mem & (NX_CACHE_LINE - 1)) || layout_of(cfg, &L) || len < L.total) {
		errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, L.total);
	char *base = mem;
	struct nx_risk *r = mem;
	r->cfg = *cfg;
	r->words = L.words;
	r->accts = (struct racct *)(base + L.accts);
	r->acct_ids = (nx_acct_t *)(base + L.acct_ids);
	r->lims = (struct nx_limits *)(base + L.lims);
	r->acct_killed = (uint8_t *)(base + L.acct_killed);
	r->insts = (struct rinst *)(base + L.insts);
	r->pos = (struct rpos *)(base + L.pos);
	r->term = (uint64_t *)(base + L.term);
	r->restricted = (uint64_t *)(base + L.restricted);
	r->held = (uint64_t *)(base + L.held);
	r->acct_map = (struct idmap){ (uint32_t *)(base + L.acct_map), L.acct_cap - 1 };
	r->inst_map = (struct idmap){ (uint32_t *)(base + L.inst_map), L.inst_cap - 1 };
	idmap_clear(&r->acct_map);
	idmap_clear(&r->inst_map);
	r->acct_dir = (uint32_t *)(base + L.acct_dir);
	r->inst_dir = (uint32_t *)(base + L.inst_dir);
	for (uint32_t k = 0; k < DIRECT_IDS; k++)
		r->acct_dir[k] = r->inst_dir[k] = NIL;
	return r;
}

struct nx_risk *nx_risk_create(const struct nx_risk_config *cfg)
{
	size_t sz = nx_risk_memsize(cfg);
	if (!sz) {
		errno = EINVAL;
		return NULL;
	}
	void *mem = nx_mem_alloc(sz);
	if (!mem)
		return NULL;
	struct nx_risk *r = nx_risk_init(mem, sz, cfg);
	r->alloc = mem;
	return r;
}

void nx_risk_destroy(struct nx_risk *r)
{
	if (r)
		free(r->alloc);
}

/* --- Lookups --------------------------------------------------------------- */

static uint32_t acct_ix(const struct nx_risk *r, nx_acct_t id)
{
	if (NX_LIKELY(id < DIRECT_IDS))
		return r->acct_dir[id];
	const struct idmap *m = &r->acct_map;
	for (uint32_t i = idmap_pos(m, idmap_mix(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (r->acct_ids[m->tab[i]] == id)
			return m->tab[i];
	return NIL;
}

static uint32_t inst_ix(const struct nx_risk *r, nx_inst_t id)
{
	if (NX_LIKELY(id < DIRECT_IDS))
		return r->inst_dir[id];
	const struct idmap *m = &r->inst_map;
	for (uint32_t i = idmap_pos(m, idmap_mix(id)); m->tab[i] != IDMAP_EMPTY; i = idmap_step(m, i))
		if (r->insts[m->tab[i]].id == id)
			return m->tab[i];
	return NIL;
}

static inline struct rpos *cell(const struct nx_risk *r, uint32_t a, uint32_t i)
{
	return &r->pos[(size_t)a * r->cfg.max_instruments + i];
}

/* Every change of a reference price in use goes through here: it is what
 * the exposure bounds (see the top) count. */
static inline void set_ref(struct nx_risk *r, struct rinst *in, nx_px_t ref)
{
	uint64_t d = ref > in->ref ? (uint64_t)ref - (uint64_t)in->ref
				   : (uint64_t)in->ref - (uint64_t)ref;
	/* saturated, never wrapped: a drift that wrapped read small, and the
	 * bounds passed (or refused) on a stale expo; UINT64_MAX means "it
	 * cannot be told any more", and the checks walk (over_credit) */
	r->moved = r->moved > UINT64_MAX - d ? UINT64_MAX : r->moved + d;
	in->ref = ref;
	if (ref > r->max_ref)
		r->max_ref = ref;
}

static inline int bit(const uint64_t *set, uint32_t i) { return (int)((set[i >> 6] >> (i & 63)) & 1); }

int nx_risk_add_instrument(struct nx_risk *r, const struct nx_instrument *in)
{
	const char *why;
	if (!in || nx_instrument_check(in, &why))
		return -EINVAL;
	if (inst_ix(r, in->id) != NIL)
		return -EEXIST;
	if (r->ninst == r->cfg.max_instruments)
		return -ENOSPC;
	uint32_t ix = r->ninst++;
	r->insts[ix] = (struct rinst){ .id = in->id, .tick = in->tick, .band_ticks = in->band_ticks,
		.last_px = in->ref_px, .ref = in->ref_px };
	set_ref(r, &r->insts[ix], in->ref_px); /* no move: max_ref */
	idmap_insert(&r->inst_map, idmap_mix(in->id), ix);
	if (in->id < DIRECT_IDS)
		r->inst_dir[in->id] = ix;
	return 0;
}

/* lims[] is the account's limits; the account's line keeps a copy of those
 * the checks read. */
static void put_limits(struct racct *ac, struct nx_limits *lims, const struct nx_limits *l)
{
	*lims = *l;
	ac->max_order_notional = l->max_order_notional;
	ac->position_limit = l->position_limit;
	ac->credit_limit = l->credit_limit;
	ac->max_open_orders = l->max_open_orders;
}

int nx_risk_add_account(struct nx_risk *r, const struct nx_account_config *a)
{
	if (!a || !a->id)
		return -EINVAL;
	if (acct_ix(r, a->id) != NIL)
		return -EEXIST;
	if (r->nacct == r->cfg.max_accounts)
		return -ENOSPC;
	for (uint32_t k = 0; k < a->nrestricted; k++)
		if (inst_ix(r, a->restricted[k]) == NIL)
			return -ENOENT;
	uint32_t ix = r->nacct++;
	r->acct_ids[ix] = a->id;
	r->accts[ix] = (struct racct){ .moved_at = r->moved };
	put_limits(&r->accts[ix], &r->lims[ix], &a->limits);
	uint64_t *set = &r->restricted[(size_t)ix * r->words];
	for (uint32_t k = 0; k < a->nrestricted; k++) {
		uint32_t i = inst_ix(r, a->restricted[k]);
		set[i >> 6] |= UINT64_C(1) << (i & 63);
	}
	idmap_insert(&r->acct_map, idmap_mix(a->id), ix);
	if (a->id < DIRECT_IDS)
		r->acct_dir[a->id] = ix;
	return 0;
}

static NX_NOINLINE void settle_taker(struct nx_risk *r);

/* What the checks do first: the taker of a match (nx_risk_on_match_trade)
 * is part of what they read from then on. Nothing else needs it: every
 * update adds to the state, so they commute with the taker's, which
 * applies its sum to the cell as it then is; and nx_risk_exposure, which
 * must not write, adds it to what it reports. */
static NX_ALWAYS_INLINE void settle(struct nx_risk *r)
{
	if (NX_UNLIKELY(r->taker.qty))
		settle_taker(r);
}

/* --- Checks ----------------------------------------------------------------- */

static inline int64_t mul_sat(int64_t a, int64_t b)
{
	int64_t p;
	if (__builtin_mul_overflow(a, b, &p))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return p;
}

static inline int64_t add_sat(int64_t a, int64_t b)
{
	int64_t s;
	if (__builtin_add_overflow(a, b, &s))
		return b < 0 ? INT64_MIN : INT64_MAX;
	return s;
}

static inline nx_px_t ref_px(const struct rinst *in)
{
	return in->ref;
}

static inline uint64_t abs_clamped(int64_t v)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	return a < ABS_CLAMP ? a : ABS_CLAMP;
}

/* |position| x reference over the instruments the account holds, exactly
 * (saturating); counts each held cell's term at its reference and refreshes the
 * account's expo and moved_at (see the top). */
static NX_NOINLINE int64_t exposure_walk(struct nx_risk *r, uint32_t a)
{
	const uint64_t *held = &r->held[(size_t)a * r->words];
	const struct rpos *row = cell(r, a, 0);
	uint64_t *term = &r->term[(size_t)a * r->cfg.max_instruments];
	int64_t sum = 0;
	uint64_t expo = 0;
	for (uint32_t w = 0; w < r->words; w++)
		for (uint64_t bits = held[w]; bits; bits &= bits - 1) {
			uint32_t i = (w << 6) + (uint32_t)NX_CTZ64(bits);
			int64_t p = row[i].pos;
			nx_px_t ref = r->insts[i].ref;
			sum = add_sat(sum, mul_sat(p < 0 ? -p : p, ref));
			term[i] = abs_clamped(p) * (uint64_t)ref;
			expo += term[i];
		}
	r->accts[a].expo = expo;
	r->accts[a].moved_at = r->moved;
	r->walks++;
	return sum;
}

/* Is open + x past limit? Exactly, in 128 bits: a sum that saturated at
 * INT64_MAX equalled an idle limit and passed. An x of INT64_MAX is taken
 * as past every limit: exposure_walk saturates there, so it may stand for
 * any larger exposure. */
static NX_ALWAYS_INLINE int past_exact(int64_t open, int64_t x, int64_t limit)
{
	int64_t s; /* x >= 0: an overflow is past INT64_MAX */
	return __builtin_add_overflow(open, x, &s) || s > limit;
}

static NX_ALWAYS_INLINE int past(int64_t open, int64_t x, int64_t limit)
{
	return x == INT64_MAX || past_exact(open, x, limit);
}

static NX_NOINLINE int worst_past_exact(int64_t pos, int64_t open, int64_t add, int64_t limit)
{
	return (__int128)pos + open + add > limit;
}

/* Is the worst case pos + open + add (pos signed for the side: a sell's
 * worst short is open sells + add - position) past limit? Exactly: a worst
 * case that saturated at INT64_MAX equalled an idle limit and passed, and
 * its fill would wrap the position. The rare overflow goes to 128 bits. */
static NX_ALWAYS_INLINE int worst_past(int64_t pos, int64_t open, int64_t add, int64_t limit)
{
	int64_t s, t;
	if (NX_UNLIKELY(__builtin_add_overflow(pos, open, &s) | __builtin_add_overflow(s, add, &t)))
		return worst_past_exact(pos, open, add, limit);
	return t > limit;
}

/* Is open + exposure beyond the account's credit? From the bounds when
 * they agree, else from the walk (see the top). While abs_lots x max_ref
 * fits, no term was clamped and expo, at most that product, is exact. */
static NX_ALWAYS_INLINE int over_credit(struct nx_risk *r, uint32_t a, int64_t open)
{
	const struct racct *ac = &r->accts[a];
	int64_t cap, spread;
	if (NX_LIKELY(ac->abs_lots < ABS_CLAMP &&
		      !__builtin_mul_overflow((int64_t)ac->abs_lots, r->max_ref, &cap))) {
		if (NX_LIKELY(!past_exact(open, cap, ac->credit_limit)))
			return 0; /* far from the limit: the cap (exact) alone decides */
		int64_t expo = (int64_t)ac->expo; /* 0 <= expo <= cap */
		uint64_t drift = r->moved - ac->moved_at;
		if (drift > INT64_MAX || r->moved == UINT64_MAX ||
		    __builtin_mul_overflow((int64_t)ac->abs_lots, (int64_t)drift, &spread))
			spread = INT64_MAX;
		if (spread <= cap - expo && !past_exact(open, expo + spread, ac->credit_limit))
			return 0;
		if (spread < INT64_MAX && past(open, spread > expo ? 0 : expo - spread, ac->credit_limit))
			return 1;
	}
	return past(open, exposure_walk(r, a), ac->credit_limit);
}

/*
 * The checks shared by new orders and replaces. add_qty / add_notional are
 * what the order adds to the account's open quantity on its side and open
 * notional (a replace passes the difference, which may be negative).
 * add_orders is 1 for a new order, 0 for a replace: a replace adds no open
 * order, and a limit it does not add to cannot refuse it, like an order that
 * shrinks a position (so a limit lowered below what is open still lets the
 * trader move or shrink an order, not only cancel it). rests is 0 for a new
 * order that never rests (IOC, FOK, market): max_open_orders counts working
 * orders, so an account at its maximum can still take liquidity, e.g. to
 * flatten a position.
 */
static NX_ALWAYS_INLINE unsigned check(struct nx_risk *r, uint32_t a, uint32_t i,
					unsigned side, int is_market, nx_px_t px, nx_qty_t qty,
					nx_qty_t add_qty, int64_t add_notional, uint32_t add_orders,
					uint32_t rests)
{
	const struct racct *ac = &r->accts[a];
	const struct rinst *in = &r->insts[i];
	if (NX_UNLIKELY(r->venue_killed))
		return NX_REJ_RISK_KILL_VENUE;
	if (NX_UNLIKELY(r->acct_killed[a]))
		return NX_REJ_RISK_KILL_ACCOUNT;
	if (NX_UNLIKELY(in->killed))
		return NX_REJ_RISK_KILL_INSTRUMENT;
	if (NX_UNLIKELY(bit(&r->restricted[(size_t)a * r->words], i)))
		return NX_REJ_RISK_RESTRICTED;
	nx_px_t ref = ref_px(in);
	if (!is_market && ref) {
		int64_t band = mul_sat(in->band_ticks, in->tick);
		if (px > add_sat(ref, band) || px < ref - band)
			return NX_REJ_RISK_PRICE_COLLAR;
	}
	int64_t notional; /* a market buy priced NX_RISK_PX_PAST_MAX has none that fits */
	if (__builtin_mul_overflow(px, qty, &notional) || notional > ac->max_order_notional ||
	    NX_UNLIKELY(is_market && px == NX_RISK_PX_PAST_MAX))
		return NX_REJ_RISK_MAX_NOTIONAL;
	if (rests && (uint64_t)ac->open_orders + 1 > ac->max_open_orders)
		return NX_REJ_RISK_MAX_OPEN_ORDERS;
	const struct rpos *p = cell(r, a, i);
	if ((add_orders || add_qty > 0) &&
	    worst_past(side == NX_SIDE_BUY ? p->pos : -p->pos,
		       side == NX_SIDE_BUY ? p->open_buy : p->open_sell, add_qty, ac->position_limit))
		return NX_REJ_RISK_POSITION_LIMIT;
	if (!add_orders && add_notional <= 0)
		return 0; /* a replace that adds no open notional adds no credit */
	int64_t open; /* add_notional is exact here: the notional check passed */
	if (__builtin_add_overflow(ac->open_notional, add_notional, &open))
		return NX_REJ_RISK_CREDIT_LIMIT;
	return over_credit(r, a, open) ? NX_REJ_RISK_CREDIT_LIMIT : 0;
}

unsigned nx_risk_check_new(struct nx_risk *r, const struct nx_risk_order *o)
{
	settle(r);
	uint32_t a = acct_ix(r, o->acct), i = inst_ix(r, o->inst);
	if (a == NIL || i == NIL || (o->side != NX_SIDE_BUY && o->side != NX_SIDE_SELL) ||
	    o->qty <= 0 || (o->px <= 0 && !o->is_market))
		return 0; /* the book names what is wrong (a limit price <= 0: BAD_PRICE,
			     not the collar, with a reference or without) */
	return check(r, a, i, o->side, o->is_market, o->px, o->qty, o->qty, mul_sat(o->px, o->qty), 1,
		     !o->never_rests);
}

unsigned nx_risk_check_replace(struct nx_risk *r, nx_acct_t acct, nx_inst_t inst,
			       unsigned side, nx_px_t old_px, nx_qty_t old_qty, nx_px_t px,
			       nx_qty_t qty)
{
	settle(r);
	uint32_t a = acct_ix(r, acct), i = inst_ix(r, inst);
	if (a == NIL || i == NIL || qty <= 0 || px <= 0)
		return 0; /* the book's BAD_QTY, BAD_PRICE */
	int64_t dn = add_sat(mul_sat(px, qty), -mul_sat(old_px, old_qty));
	return check(r, a, i, side, 0, px, qty, qty - old_qty, dn, 0, 0);
}

/* --- State from events ------------------------------------------------------ */

/* px x qty modulo 2^64: what the state adds and takes away (see the top). */
static inline uint64_t notional_mod(nx_px_t px, nx_qty_t qty)
{
	return (uint64_t)px * (uint64_t)qty;
}

/* Move an account's open quantity on one side and its open notional
 * (dnotional modulo 2^64). */
static NX_ALWAYS_INLINE void open_delta(struct nx_risk *r, uint32_t a, uint32_t i, unsigned side,
					int64_t dqty, uint64_t dnotional, int dorders)
{
	struct rpos *p = cell(r, a, i);
	if (side == NX_SIDE_BUY)
		p->open_buy += dqty;
	else
		p->open_sell += dqty;
	r->accts[a].open_notional = (int64_t)((uint64_t)r->accts[a].open_notional + dnotional);
	r->accts[a].open_orders += (uint32_t)dorders;
}

void nx_risk_on_accepted(struct nx_risk *r, const struct nx_ev_order *o)
{
	uint32_t a, i;
	if ((a = acct_ix(r, o->acct)) != NIL && (i = inst_ix(r, o->inst)) != NIL)
		open_delta(r, a, i, o->side, o->qty, notional_mod(o->px, o->qty), 1);
}

/* qty lots of an order (side, limit order_px) of account a filled in
 * instrument i, at reference ref: the order's open exposure shrinks by them,
 * the account's position moves by them, and the cell's term in expo is
 * counted again at ref; closes: the order has nothing left open. The held
 * bit changes only when the position leaves or reaches zero (a fill moves
 * it, so at most one of the two is zero). */
static NX_ALWAYS_INLINE void apply_fill(struct nx_risk *r, uint32_t a, uint32_t i, unsigned side,
					nx_qty_t qty, nx_px_t order_px, int closes, nx_px_t ref)
{
	open_delta(r, a, i, side, -qty, 0 - notional_mod(order_px, qty), -closes);
	size_t c = (size_t)a * r->cfg.max_instruments + i;
	struct rpos *p = &r->pos[c];
	struct racct *ac = &r->accts[a];
	int64_t was = p->pos;
	p->pos = was + (side == NX_SIDE_BUY ? qty : -qty);
	uint64_t now = abs_clamped(p->pos), term = now * (uint64_t)ref;
	ac->abs_lots += now - abs_clamped(was);
	ac->expo += term - r->term[c];
	r->term[c] = term;
	if ((was == 0) != (p->pos == 0))
		r->held[(size_t)a * r->words + (i >> 6)] ^= UINT64_C(1) << (i & 63);
}

static NX_ALWAYS_INLINE void on_fill(struct nx_risk *r, uint32_t i, nx_px_t ref,
				     const struct nx_ev_fill *f)
{
	uint32_t a = acct_ix(r, f->acct);
	if (a != NIL)
		apply_fill(r, a, i, f->side, f->qty, f->order_px, !f->leaves, ref);
}

static NX_NOINLINE void settle_taker(struct nx_risk *r)
{
	struct rtaker *t = &r->taker;
	apply_fill(r, t->a, t->i, t->side, t->qty, t->order_px, t->closes, r->insts[t->i].ref);
	t->qty = 0;
}

void nx_risk_settle(struct nx_risk *r)
{
	settle(r);
}

/* The trade's instrument index, with its last price and reference moved to
 * the trade's; NIL for an instrument risk does not know. */
static NX_ALWAYS_INLINE uint32_t trade_price(struct nx_risk *r, const struct nx_ev_trade *t)
{
	uint32_t i = inst_ix(r, t->inst);
	if (i != NIL) {
		struct rinst *in = &r->insts[i];
		in->last_px = t->px;
		if (!in->ext_px)
			set_ref(r, in, t->px);
	}
	return i;
}

void nx_risk_on_trade(struct nx_risk *r, const struct nx_ev_trade *t)
{
	uint32_t i = trade_price(r, t);
	if (i == NIL)
		return;
	on_fill(r, i, r->insts[i].ref, &t->maker);
	on_fill(r, i, r->insts[i].ref, &t->taker);
}

void nx_risk_on_match_trade(struct nx_risk *r, const struct nx_ev_trade *t)
{
	struct rtaker *k = &r->taker;
	const struct nx_ev_fill *f = &t->taker;
	if (k->qty && (k->oid != f->oid || k->order_px != f->order_px))
		settle_taker(r); /* another order's match, or this one's after a replace */
	uint32_t i = trade_price(r, t);
	if (i == NIL)
		return;
	on_fill(r, i, r->insts[i].ref, &t->maker);
	if (k->qty) {
		k->qty += f->qty;
		k->closes = !f->leaves;
		return;
	}
	uint32_t a = acct_ix(r, f->acct);
	if (a == NIL)
		return;
	*k = (struct rtaker){ .oid = f->oid, .a = a, .i = i, .side = f->side, .closes = !f->leaves,
			      .order_px = f->order_px, .qty = f->qty };
}

void nx_risk_on_cancel(struct nx_risk *r, const struct nx_ev_cancel *c, int closed)
{
	uint32_t a, i;
	if ((a = acct_ix(r, c->acct)) != NIL && (i = inst_ix(r, c->inst)) != NIL)
		open_delta(r, a, i, c->side, -c->qty, 0 - notional_mod(c->px, c->qty), closed ? -1 : 0);
}

void nx_risk_on_replaced(struct nx_risk *r, const struct nx_ev_replace *p)
{
	uint32_t a, i;
	if ((a = acct_ix(r, p->acct)) != NIL && (i = inst_ix(r, p->inst)) != NIL)
		open_delta(r, a, i, p->side, p->qty - p->prev_qty,
			   notional_mod(p->px, p->qty) - notional_mod(p->prev_px, p->prev_qty), 0);
}

void nx_risk_on_event(struct nx_risk *r, const struct nx_event *ev)
{
	switch (ev->type) {
	case NX_EV_ACCEPTED:
		nx_risk_on_accepted(r, &ev->u.order);
		break;
	case NX_EV_TRADE:
		nx_risk_on_trade(r, &ev->u.trade);
		break;
	case NX_EV_CANCELED:
	case NX_EV_REDUCED:
		nx_risk_on_cancel(r, &ev->u.cancel, ev->type == NX_EV_CANCELED);
		break;
	case NX_EV_REPLACED:
		nx_risk_on_replaced(r, &ev->u.replace);
		break;
	default:
		break;
	}
}

/* --- Control and queries ------------------------------------------------------ */

int nx_risk_set_kill(struct nx_risk *r, unsigned scope, uint32_t id, int on)
{
	uint32_t ix;
	switch (scope) {
	case NX_KILL_VENUE:
		r->venue_killed = !!on;
		return 0;
	case NX_KILL_ACCOUNT:
		if ((ix = acct_ix(r, id)) == NIL)
			return -ENOENT;
		r->acct_killed[ix] = !!on;
		return 0;
	case NX_KILL_INSTRUMENT:
		if ((ix = inst_ix(r, id)) == NIL)
			return -ENOENT;
		r->insts[ix].killed = !!on;
		return 0;
	default:
		return -EINVAL;
	}
}

int nx_risk_set_ref_px(struct nx_risk *r, nx_inst_t inst, nx_px_t px)
{
	uint32_t i = inst_ix(r, inst);
	if (i == NIL)
		return -ENOENT;
	if (px < 0 || px % r->insts[i].tick)
		return -EINVAL;
	r->insts[i].ext_px = px;
	set_ref(r, &r->insts[i], px ? px : r->insts[i].last_px);
	return 0;
}

int nx_risk_set_limit(struct nx_risk *r, nx_acct_t acct, unsigned limit, int64_t value)
{
	uint32_t a = acct_ix(r, acct);
	if (a == NIL)
		return -ENOENT;
	struct nx_limits l = r->lims[a];
	int narrow = limit >= NX_LIMIT_MAX_OPEN_ORDERS;
	if (value < 0 || (narrow && value > UINT32_MAX))
		return -EINVAL;
	switch (limit) {
	case NX_LIMIT_MAX_ORDER_NOTIONAL: l.max_order_notional = value; break;
	case NX_LIMIT_POSITION: l.position_limit = value; break;
	case NX_LIMIT_CREDIT: l.credit_limit = value; break;
	case NX_LIMIT_MAX_OPEN_ORDERS: l.max_open_orders = (uint32_t)value; break;
	case NX_LIMIT_MSG_RATE: l.msg_rate = (uint32_t)value; break;
	case NX_LIMIT_MSG_BURST: l.msg_burst = (uint32_t)value; break;
	default: return -EINVAL;
	}
	put_limits(&r->accts[a], &r->lims[a], &l);
	return 0;
}

int nx_risk_exposure(const struct nx_risk *r, nx_acct_t acct, nx_inst_t inst,
		     struct nx_risk_exposure *out)
{
	uint32_t a = acct_ix(r, acct), i = inst_ix(r, inst);
	if (a == NIL || i == NIL)
		return -ENOENT;
	const struct rpos *p = cell(r, a, i);
	*out = (struct nx_risk_exposure){ .position = p->pos, .open_buy = p->open_buy,
		.open_sell = p->open_sell, .open_notional = r->accts[a].open_notional,
		.open_orders = r->accts[a].open_orders, .ref_px = ref_px(&r->insts[i]) };
	const struct rtaker *t = &r->taker;
	if (t->qty && t->a == a) { /* as settled (apply_fill) */
		out->open_notional = (int64_t)((uint64_t)out->open_notional -
					       notional_mod(t->order_px, t->qty));
		out->open_orders -= (uint32_t)t->closes;
		if (t->i == i) {
			out->position += t->side == NX_SIDE_BUY ? t->qty : -t->qty;
			if (t->side == NX_SIDE_BUY)
				out->open_buy -= t->qty;
			else
				out->open_sell -= t->qty;
		}
	}
	return 0;
}

int nx_risk_limits(const struct nx_risk *r, nx_acct_t acct, struct nx_limits *out)
{
	uint32_t a = acct_ix(r, acct);
	if (a == NIL)
		return -ENOENT;
	*out = r->lims[a];
	return 0;
}

int nx_risk_account_blocked(const struct nx_risk *r, nx_acct_t acct)
{
	uint32_t a = acct_ix(r, acct);
	if (a == NIL)
		return -ENOENT;
	return r->acct_killed[a] ? NX_KILL_ACCOUNT : r->venue_killed ? NX_KILL_VENUE : 0;
}

nx_px_t nx_risk_ref_px(const struct nx_risk *r, nx_inst_t inst)
{
	uint32_t i = inst_ix(r, inst);
	return i == NIL ? 0 : ref_px(&r->insts[i]);
}

uint64_t nx_risk_exposure_walks(const struct nx_risk *r)
{
	return r->walks;
}
