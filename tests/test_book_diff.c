/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Differential test of the book: the engine (nx_book_*) and the reference
 * matcher (tests/ref_book.c) are fed the same seeded pseudo-random command
 * streams and must agree on every return code and every event, field by
 * field. After every command the engine's own view is checked too:
 * nx_book_check, an uncrossed BBO, depth and queue order per level equal to
 * the reference, and (every few commands) every live order.
 *
 * Streams are built to hit every rule of docs/matching.md often: prices in
 * a narrow band around a centre so most orders cross, a few far prices for
 * the price window, small capacities, icebergs, all STP modes between
 * accounts sharing groups, cancels and replaces of live, unknown and other
 * accounts' orders, mass cancels, halts, and invalid fields of every kind.
 * Every command gets every stage of the book's prefetch hint first, which
 * must change nothing.
 *
 * Environment:
 *   NX_DIFF_SCALE=x     multiply the number of streams (default 1; 0.25
 *                       under AddressSanitizer)
 *   NX_DIFF_SEED=n      run only the stream with this seed (as printed)
 *   NX_DIFF_STEPS=n     commands per stream (with NX_DIFF_SEED)
 *   NX_DIFF_MINIMIZE=1  on a mismatch, shrink the command list and print it
 *   NX_DIFF_STATS=1     print counts of what the streams exercised
 *   NX_DIFF_LADDER=n    every stream's ladder_ticks (to rerun a wide one)
 *   NX_DIFF_IGNORE_CHECK=text  ignore nx_book_check failures whose reason
 *                       contains text (to look past a known engine bug)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/event.h"
#include "nx/instrument.h"
#include "nx/reason.h"
#include "ref_book.h"

#if defined(__SANITIZE_ADDRESS__)
#define DIFF_DEFAULT_SCALE 0.25 /* ASan costs ~3-4x at -O1 */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIFF_DEFAULT_SCALE 0.25
#endif
#endif
#ifndef DIFF_DEFAULT_SCALE
#define DIFF_DEFAULT_SCALE 1.0
#endif

/* --- PRNG: splitmix64 (Steele, Lea, Flood 2014) ---------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the modulo bias is irrelevant here). */
static uint64_t rnd(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* Uniform in [lo, hi]. */
static int64_t rnd_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)rnd(r, (uint64_t)(hi - lo + 1));
}

/* 1 with probability per_mille / 1000. */
static int chance(struct rng *r, unsigned per_mille)
{
	return rnd(r, 1000) < per_mille;
}

/* --- the world: an engine and a reference built alike --------------------- */

#define N_INST 3
#define N_ACCT 8
#define UNKNOWN_ACCT 99
#define UNKNOWN_INST 42

/* Instruments: different tick, lot, min, max and band so unit handling is
 * exercised; centres far from 0 so no valid price is ever near 0. */
static const struct {
	nx_inst_t id;
	nx_px_t tick;
	nx_qty_t lot, min, max;
	int64_t band;
	int64_t centre; /* in ticks */
} inst_defs[N_INST] = {
	{ 7, 1, 1, 1, 60, 2, 1000 },
	{ 8, 5, 10, 20, 400, 3, 400 },
	{ 9, 2, 1, 1, 40, 0, 2500 },
};

/* Accounts 1, 2 and 7 share a self-trade group, 3 and 4 another, 5 is its
 * own group. 6 is its own group too, whose id is 6 (docs/matching.md: "an
 * account with group 0 is its own group, id = the account id"), and 8 names
 * group 6, so it shares it. */
static const struct nx_account acct_defs[N_ACCT] = {
	{ 1, 501, NX_STP_CN },
	{ 2, 501, 0 },
	{ 3, 502, NX_STP_DC },
	{ 4, 502, NX_STP_CO },
	{ 5, 0, NX_STP_CB },
	{ 6, 0, NX_STP_NONE },
	{ 7, 501, NX_STP_DC },
	{ 8, 6, NX_STP_CO },
};

struct params {
	uint32_t max_orders;
	uint32_t ladder_ticks;
	unsigned spread;     /* half-width of the normal price band, in ticks */
	unsigned skew;       /* buys centred this many ticks low, sells high */
	unsigned gtc_pm;     /* per mille of limit orders that are GTC */
	unsigned bad_pm;     /* per mille of fields made invalid */
	uint32_t target;     /* live orders the stream builds up to: below it,
				prices are more passive and cancels rarer */
	unsigned n_accts;    /* orders come from acct_defs[0, n_accts): the
				first four are two groups of two, so 4 means
				much more self-trade prevention */
};

struct sink {
	struct nx_event *ev;
	size_t n, cap;
	int overflow;
};

static void sink_fn(void *ctx, const struct nx_event *ev)
{
	struct sink *s = ctx;

	if (s->n == s->cap) {
		void *p = realloc(s->ev, 2 * s->cap * sizeof(*s->ev));

		if (!p) {
			s->overflow = 1;
			return;
		}
		s->ev = p;
		s->cap *= 2;
	}
	s->ev[s->n++] = *ev;
}

struct world {
	struct params p;
	struct nx_book *eng;
	struct ref_book *ref;
	struct sink se, sr;
	struct nx_level_info *lv_e, *lv_r;
	nx_oid_t *q_e, *q_r;
	struct ref_side_order *so;
	unsigned *lv_start;
	size_t cap;
	int64_t drift[N_INST]; /* the centre's random walk, in ticks, so the
				  price window slides around the ladder ring */
	int filling;           /* fewer live orders than p.target */
};

static void world_close(struct world *w)
{
	nx_book_destroy(w->eng);
	ref_book_destroy(w->ref);
	free(w->se.ev);
	free(w->sr.ev);
	free(w->lv_e);
	free(w->lv_r);
	free(w->q_e);
	free(w->q_r);
	free(w->so);
	free(w->lv_start);
	memset(w, 0, sizeof(*w));
}

static int world_open(struct world *w, const struct params *p)
{
	struct nx_book_config cfg = {
		.max_instruments = N_INST,
		.max_accounts = N_ACCT,
		.max_orders = p->max_orders,
		.ladder_ticks = p->ladder_ticks,
	};

	memset(w, 0, sizeof(*w));
	w->p = *p;
	/* Levels and queues hold at most max_orders orders; the sinks grow. */
	w->cap = 4 * (size_t)p->max_orders + 64;
	w->se.ev = calloc(w->cap, sizeof(*w->se.ev));
	w->sr.ev = calloc(w->cap, sizeof(*w->sr.ev));
	w->se.cap = w->sr.cap = w->cap;
	w->lv_e = calloc(w->cap, sizeof(*w->lv_e));
	w->lv_r = calloc(w->cap, sizeof(*w->lv_r));
	w->q_e = calloc(w->cap, sizeof(*w->q_e));
	w->q_r = calloc(w->cap, sizeof(*w->q_r));
	w->so = calloc(w->cap, sizeof(*w->so));
	w->lv_start = calloc(w->cap + 1, sizeof(*w->lv_start));
	w->eng = nx_book_create(&cfg, sink_fn, &w->se);
	w->ref = ref_book_create(&cfg, sink_fn, &w->sr);
	if (!w->se.ev || !w->sr.ev || !w->lv_e || !w->lv_r || !w->q_e || !w->q_r || !w->so ||
	    !w->lv_start || !w->eng ||
	    !w->ref)
		goto err;
	for (unsigned i = 0; i < N_INST; i++) {
		struct nx_instrument in;

		memset(&in, 0, sizeof(in));
		in.id = inst_defs[i].id;
		snprintf(in.symbol, sizeof(in.symbol), "DIFF%u", i);
		in.tick = inst_defs[i].tick;
		in.lot = inst_defs[i].lot;
		in.min_qty = inst_defs[i].min;
		in.max_qty = inst_defs[i].max;
		in.band_ticks = inst_defs[i].band;
		nx_instrument_defaults(&in);
		if (nx_book_add_instrument(w->eng, &in) != 0 || ref_book_add_instrument(w->ref, &in) != 0)
			goto err;
	}
	for (unsigned i = 0; i < N_ACCT; i++)
		if (nx_book_add_account(w->eng, &acct_defs[i]) != 0 ||
		    ref_book_add_account(w->ref, &acct_defs[i]) != 0)
			goto err;
	return 0;
err:
	world_close(w);
	return -1;
}

/* --- commands ------------------------------------------------------------- */

enum cmd_kind { CMD_NEW = 1, CMD_CANCEL, CMD_REPLACE, CMD_MASS, CMD_STATUS };

struct cmd {
	int kind;
	union {
		struct nx_new_order o;
		struct nx_cancel c;
		struct nx_replace r;
		struct nx_mass_cancel m;
		struct {
			nx_inst_t inst;
			unsigned status;
			int cancel_resting;
		} s;
	} u;
};

static int cmd_format(const struct cmd *c, char *buf, size_t len)
{
	switch (c->kind) {
	case CMD_NEW: {
		const struct nx_new_order *o = &c->u.o;

		return snprintf(buf, len,
				"new acct=%" PRIu32 " inst=%" PRIu32 " cl=%" PRIu64 " side=%s(%u) "
				"type=%s(%u) px=%" PRId64 " qty=%" PRId64 " display=%" PRId64
				" tif=%s(%u) post_only=%u stp=%s(%u)",
				o->acct, o->inst, o->cl, nx_side_name(o->side), o->side,
				nx_ord_type_name(o->type), o->type, o->px, o->qty, o->display,
				nx_tif_name(o->tif), o->tif, o->post_only, nx_stp_name(o->stp), o->stp);
	}
	case CMD_CANCEL:
		return snprintf(buf, len,
				"cancel acct=%" PRIu32 " cl=%" PRIu64 " orig_cl=%" PRIu64
				" oid=%" PRIu64,
				c->u.c.acct, c->u.c.cl, c->u.c.orig_cl, c->u.c.oid);
	case CMD_REPLACE:
		return snprintf(buf, len,
				"replace acct=%" PRIu32 " cl=%" PRIu64 " orig_cl=%" PRIu64
				" oid=%" PRIu64 " px=%" PRId64 " qty=%" PRId64,
				c->u.r.acct, c->u.r.cl, c->u.r.orig_cl, c->u.r.oid, c->u.r.px,
				c->u.r.qty);
	case CMD_MASS:
		return snprintf(buf, len,
				"mass_cancel acct=%" PRIu32 " cl=%" PRIu64 " inst=%" PRIu32
				" side=%u",
				c->u.m.acct, c->u.m.cl, c->u.m.inst, c->u.m.side);
	case CMD_STATUS:
		return snprintf(buf, len, "set_status inst=%" PRIu32 " status=%u cancel_resting=%d",
				c->u.s.inst, c->u.s.status, c->u.s.cancel_resting);
	}
	return snprintf(buf, len, "? kind=%d", c->kind);
}

/* What the streams exercised (NX_DIFF_STATS=1), from the reference's events. */
struct stats {
	uint64_t cmds, events, trades, rejects[64], cancels[16], reduced, levels;
	uint64_t accepted_type[4], accepted_tif[4], replaced_kept[2], mass;
	uint64_t live_sum, live_max;
};

/* A random live order from the reference, 0 if none. */
static int pick_live(struct world *w, struct rng *r, struct nx_order_info *out)
{
	uint32_t n = ref_book_order_count(w->ref);

	if (n == 0)
		return 0;
	return ref_book_order_at(w->ref, (uint32_t)rnd(r, n), out) == 0;
}

/* A live order of one account, 0 if none (a few tries). */
static int pick_live_of(struct world *w, struct rng *r, nx_acct_t acct, struct nx_order_info *out)
{
	for (int k = 0; k < 8; k++)
		if (pick_live(w, r, out) && out->acct == acct)
			return 1;
	return 0;
}

static unsigned rnd_inst_idx(struct rng *r)
{
	return (unsigned)rnd(r, N_INST);
}

static nx_acct_t rnd_acct(struct world *w, struct rng *r, unsigned bad_pm)
{
	if (chance(r, bad_pm / 2))
		return UNKNOWN_ACCT;
	return acct_defs[rnd(r, w->p.n_accts)].id;
}

static int inst_index(nx_inst_t id)
{
	for (int i = 0; i < N_INST; i++)
		if (inst_defs[i].id == id)
			return i;
	return -1;
}

/* A price for instrument i: mostly within spread of the centre, buys a bit
 * low and sells a bit high so books build up while still crossing often;
 * sometimes far, for the price window; sometimes invalid. */
static nx_px_t rnd_px(struct world *w, struct rng *r, int i, unsigned side)
{
	int64_t tick = inst_defs[i].tick, c = inst_defs[i].centre + w->drift[i], k;
	int64_t s = (int64_t)w->p.spread;

	if (chance(r, w->p.bad_pm / 3)) {
		switch (rnd(r, 3)) {
		case 0: return 0;
		case 1: return -tick * rnd_range(r, 1, 3);
		default: return tick > 1 ? c * tick + 1 : -1; /* off the tick */
		}
	}
	if (chance(r, w->p.bad_pm / 20))
		return (INT64_MAX / tick - (int64_t)rnd(r, 4)) * tick; /* the largest */
	if (chance(r, 40)) {
		k = rnd_range(r, (int64_t)w->p.ladder_ticks / 2, (int64_t)w->p.ladder_ticks * 2);
		return (c + (chance(r, 500) ? k : -k)) * tick;
	}
	k = rnd_range(r, -s, s);
	if (w->filling && chance(r, 600))
		k = rnd_range(r, 1, s + 3); /* passive: away from the other side */
	if (side == NX_SIDE_BUY)
		k = -k - (int64_t)w->p.skew;
	else if (side == NX_SIDE_SELL)
		k += (int64_t)w->p.skew;
	return (c + k) * tick;
}

static nx_qty_t rnd_qty(struct world *w, struct rng *r, int i)
{
	nx_qty_t lot = inst_defs[i].lot, min = inst_defs[i].min, max = inst_defs[i].max;

	if (chance(r, w->p.bad_pm)) {
		switch (rnd(r, 6)) {
		case 0: return 0;
		case 1: return -lot;
		case 2: return lot > 1 ? min + 1 : 0;
		case 3: return min > lot ? min - lot : max + lot;
		case 4: return max + lot;
		default: return max;
		}
	}
	/* mostly small, sometimes a sweep */
	nx_qty_t lots = chance(r, 100) ? rnd_range(r, 8, 30) : rnd_range(r, 1, 6);
	nx_qty_t q = lots * lot;

	if (q < min)
		q = min;
	if (q > max)
		q = max;
	return q;
}

static void gen_new(struct world *w, struct rng *r, struct cmd *c)
{
	struct nx_new_order *o = &c->u.o;
	int i = (int)rnd_inst_idx(r);
	unsigned bad = w->p.bad_pm;

	c->kind = CMD_NEW;
	memset(o, 0, sizeof(*o));
	o->acct = rnd_acct(w, r, bad);
	o->inst = chance(r, bad / 3) ? UNKNOWN_INST : inst_defs[i].id;
	o->side = chance(r, bad / 4) ? (uint8_t)(rnd(r, 2) ? 0 : 3)
				     : (uint8_t)(rnd(r, 2) ? NX_SIDE_BUY : NX_SIDE_SELL);
	o->type = chance(r, w->filling ? 50 : 150) ? NX_ORD_MARKET : NX_ORD_LIMIT;
	if (chance(r, bad / 4))
		o->type = (uint8_t)(rnd(r, 2) ? 0 : 3);
	if (o->type == NX_ORD_MARKET)
		o->tif = (uint8_t)rnd_range(r, NX_TIF_GTC, NX_TIF_FOK);
	else
		o->tif = chance(r, w->filling ? 900 : w->p.gtc_pm) ? NX_TIF_GTC
			 : rnd(r, 2) ? NX_TIF_IOC : NX_TIF_FOK;
	if (chance(r, bad / 4))
		o->tif = (uint8_t)(rnd(r, 2) ? 0 : 4);
	o->stp = chance(r, 400) ? NX_STP_DEFAULT : (uint8_t)rnd_range(r, NX_STP_NONE, NX_STP_DC);
	if (chance(r, bad / 4))
		o->stp = (uint8_t)rnd_range(r, 6, 255);
	o->qty = rnd_qty(w, r, i);
	o->px = rnd_px(w, r, i, o->side);
	if (o->type == NX_ORD_MARKET && chance(r, 500))
		o->px = rnd(r, 2) ? 0 : -7; /* ignored for market orders */

	int gtc_limit = o->type == NX_ORD_LIMIT && o->tif == NX_TIF_GTC;
	nx_qty_t lot = inst_defs[i].lot;

	if (gtc_limit && chance(r, 250)) {
		o->display = rnd_range(r, 1, 4) * lot;
		if (chance(r, 100))
			o->display = o->qty + lot * rnd_range(r, 0, 2); /* fully visible */
	}
	if (chance(r, bad / 2)) {
		switch (rnd(r, 3)) {
		case 0: o->display = -lot; break;
		case 1: o->display = lot > 1 ? lot + 1 : 0; break;
		default: o->display = lot; break; /* bad unless a GTC limit */
		}
	}
	if (gtc_limit ? chance(r, 100) : chance(r, bad / 4))
		o->post_only = 1;

	/* client ids from a small space so some collide with live ones; 0 is
	 * an id like any other */
	o->cl = rnd(r, w->p.max_orders + 32);
	if (chance(r, 20)) {
		struct nx_order_info li;

		if (pick_live_of(w, r, o->acct, &li))
			o->cl = li.cl;
	}
}

static void gen_cancel(struct world *w, struct rng *r, struct cmd *c)
{
	struct nx_cancel *x = &c->u.c;
	struct nx_order_info li;
	unsigned k = (unsigned)rnd(r, 100);

	c->kind = CMD_CANCEL;
	memset(x, 0, sizeof(*x));
	x->cl = 1 + rnd(r, 1000000);
	if (k < 80 && pick_live(w, r, &li)) {
		x->acct = li.acct;
		if (k < 45) {
			x->oid = li.oid;
		} else if (k < 70) {
			x->orig_cl = li.cl;
		} else if (k < 75) {
			/* somebody else's order */
			x->acct = acct_defs[(li.acct % N_ACCT)].id; /* the next account */
			if (rnd(r, 2))
				x->oid = li.oid;
			else
				x->orig_cl = li.cl;
		} else {
			/* oid wins over orig_cl */
			x->oid = li.oid;
			x->orig_cl = rnd(r, w->p.max_orders + 32);
		}
		return;
	}
	x->acct = rnd_acct(w, r, 200);
	if (rnd(r, 2)) {
		nx_oid_t next = ref_book_next_oid(w->ref);

		x->oid = rnd(r, 3) ? 1 + rnd(r, next + 3) : next + rnd(r, 5);
	} else {
		x->orig_cl = rnd(r, w->p.max_orders + 32);
	}
}

static void gen_replace(struct world *w, struct rng *r, struct cmd *c)
{
	struct nx_replace *x = &c->u.r;
	struct nx_order_info li;

	c->kind = CMD_REPLACE;
	memset(x, 0, sizeof(*x));
	if (chance(r, 900) && pick_live(w, r, &li)) {
		int i = inst_index(li.inst);
		int64_t tick = inst_defs[i].tick;
		nx_qty_t lot = inst_defs[i].lot;
		unsigned k = (unsigned)rnd(r, 100);

		x->acct = li.acct;
		if (rnd(r, 2))
			x->oid = li.oid;
		else
			x->orig_cl = li.cl;
		if (chance(r, 30))
			x->acct = acct_defs[(li.acct % N_ACCT)].id;

		if (k < 45)
			x->px = li.px;
		else if (k < 90 && li.px < INT64_MAX / 2)
			x->px = li.px + tick * rnd_range(r, -4, 4);
		else if (k < 90)
			x->px = li.px - tick * rnd_range(r, 0, 4);
		else
			x->px = rnd_px(w, r, i, li.side);

		k = (unsigned)rnd(r, 100);
		if (k < 30)
			x->qty = li.leaves;
		else if (k < 60)
			x->qty = li.leaves - lot * rnd_range(r, 1, 3);
		else if (k < 95)
			x->qty = li.leaves + lot * rnd_range(r, 1, 5);
		else
			x->qty = rnd_qty(w, r, i);
		if (x->qty <= 0 && !chance(r, w->p.bad_pm))
			x->qty = li.leaves;

		k = (unsigned)rnd(r, 100);
		if (k < 50) {
			x->cl = li.cl;
		} else if (k < 90) {
			x->cl = rnd(r, w->p.max_orders + 32);
		} else {
			struct nx_order_info o2;

			x->cl = pick_live_of(w, r, li.acct, &o2) ? o2.cl : li.cl;
		}
		return;
	}
	/* an order that is not live */
	x->acct = rnd_acct(w, r, 200);
	x->cl = rnd(r, w->p.max_orders + 32);
	if (rnd(r, 2))
		x->oid = 1 + rnd(r, ref_book_next_oid(w->ref) + 3);
	else
		x->orig_cl = rnd(r, w->p.max_orders + 32);
	x->px = inst_defs[0].centre;
	x->qty = 1;
}

static void gen_mass(struct world *w, struct rng *r, struct cmd *c)
{
	struct nx_mass_cancel *x = &c->u.m;

	c->kind = CMD_MASS;
	memset(x, 0, sizeof(*x));
	x->acct = rnd_acct(w, r, 100);
	x->cl = 1 + rnd(r, 1000000);
	unsigned k = (unsigned)rnd(r, 100);

	x->inst = k < 45 ? 0 : k < 95 ? inst_defs[rnd_inst_idx(r)].id : UNKNOWN_INST;
	k = (unsigned)rnd(r, 100);
	x->side = (uint8_t)(k < 40 ? 0 : k < 70 ? NX_SIDE_BUY : k < 97 ? NX_SIDE_SELL : 3);
}

static void gen_status(struct world *w, struct rng *r, struct cmd *c)
{
	unsigned i = rnd_inst_idx(r);

	c->kind = CMD_STATUS;
	memset(&c->u.s, 0, sizeof(c->u.s));
	/* prefer resuming a halted instrument */
	for (unsigned j = 0; j < N_INST; j++)
		if (ref_book_status(w->ref, inst_defs[j].id) != NX_STATUS_OPEN && chance(r, 600))
			i = j;
	c->u.s.inst = inst_defs[i].id;
	if (ref_book_status(w->ref, c->u.s.inst) != NX_STATUS_OPEN) {
		c->u.s.status = NX_STATUS_OPEN;
	} else if (chance(r, 100)) {
		/* cancel_resting applies whatever the new status */
		c->u.s.status = NX_STATUS_OPEN;
		c->u.s.cancel_resting = 1;
	} else {
		c->u.s.status = chance(r, 700) ? NX_STATUS_HALTED : NX_STATUS_CLOSED;
		c->u.s.cancel_resting = (int)rnd(r, 2);
	}
	if (chance(r, 50))
		c->u.s.inst = UNKNOWN_INST;
	else if (chance(r, 50))
		c->u.s.status = rnd(r, 2) ? 0 : 4;
}

static void gen_cmd(struct world *w, struct rng *r, struct cmd *c)
{
	unsigned k = (unsigned)rnd(r, 1000), halted = 0;

	for (unsigned j = 0; j < N_INST; j++)
		halted += ref_book_status(w->ref, inst_defs[j].id) != NX_STATUS_OPEN;
	w->filling = ref_book_order_count(w->ref) < w->p.target;
	if (chance(r, 5)) {
		unsigned i = rnd_inst_idx(r);
		int64_t d = w->drift[i] + rnd_range(r, -8, 8), lim = inst_defs[i].centre - 100;

		w->drift[i] = d < -lim ? -lim : d > lim ? lim : d;
	}
	memset(c, 0, sizeof(*c));
	if (w->filling && k < 700)
		k = k < 600 ? 0 : 800; /* more new orders and replaces, fewer cancels */
	if (k < 550)
		gen_new(w, r, c);
	else if (k < 710)
		gen_cancel(w, r, c);
	else if (k < 970)
		gen_replace(w, r, c);
	else if (k < 985)
		gen_mass(w, r, c);
	else if (k < 991 || (halted && k < 1000)) /* halts last ~30 commands */
		gen_status(w, r, c);
	else
		gen_new(w, r, c);
}

/* --- comparing ------------------------------------------------------------ */

#define F(x) (a->u.x == b->u.x)

/* Every fill field but tag (the reference model has no tags). */
static int fill_eq(const struct nx_ev_fill *a, const struct nx_ev_fill *b)
{
	return a->tid == b->tid && a->acct == b->acct && a->inst == b->inst && a->cl == b->cl &&
	       a->oid == b->oid && a->px == b->px && a->qty == b->qty && a->leaves == b->leaves &&
	       a->cum == b->cum && a->order_px == b->order_px && a->side == b->side &&
	       a->liq == b->liq;
}

/* Field by field: the union's padding is not comparable. */
static int ev_equal(const struct nx_event *a, const struct nx_event *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case NX_EV_ACCEPTED:
		return F(order.acct) && F(order.inst) && F(order.cl) && F(order.oid) &&
		       F(order.px) && F(order.qty) && F(order.display) && F(order.side) &&
		       F(order.type) && F(order.tif) && F(order.post_only) && F(order.stp);
	case NX_EV_REJECTED:
		return F(reject.acct) && F(reject.inst) && F(reject.cl) && F(reject.orig_cl) &&
		       F(reject.oid) && F(reject.req) && F(reject.reason);
	case NX_EV_TRADE:
		return F(trade.tid) && F(trade.inst) && F(trade.px) && F(trade.qty) &&
		       F(trade.aggressor) && fill_eq(&a->u.trade.maker, &b->u.trade.maker) &&
		       fill_eq(&a->u.trade.taker, &b->u.trade.taker);
	case NX_EV_CANCELED:
	case NX_EV_REDUCED:
		return F(cancel.acct) && F(cancel.inst) && F(cancel.cl) && F(cancel.req_cl) &&
		       F(cancel.oid) && F(cancel.qty) && F(cancel.leaves) && F(cancel.px) &&
		       F(cancel.side) && F(cancel.reason);
	case NX_EV_REPLACED:
		return F(replace.acct) && F(replace.inst) && F(replace.cl) &&
		       F(replace.orig_cl) && F(replace.oid) && F(replace.px) && F(replace.qty) &&
		       F(replace.prev_px) && F(replace.prev_qty) && F(replace.side) &&
		       F(replace.kept_priority);
	case NX_EV_MASS_CANCELED:
		return F(mass.acct) && F(mass.inst) && F(mass.cl) && F(mass.count) &&
		       F(mass.side);
	case NX_EV_LEVEL:
		return F(level.inst) && F(level.px) && F(level.qty) && F(level.count) &&
		       F(level.side);
	case NX_EV_STATUS:
		return F(status.inst) && F(status.status);
	}
	return 0;
}

#undef F

static int info_equal(const struct nx_order_info *a, const struct nx_order_info *b)
{
	return a->oid == b->oid && a->cl == b->cl && a->acct == b->acct && a->inst == b->inst &&
	       a->px == b->px && a->leaves == b->leaves && a->visible == b->visible &&
	       a->display == b->display && a->cum == b->cum && a->side == b->side &&
	       a->post_only == b->post_only && a->stp == b->stp;
}

static void print_info(const char *who, const struct nx_order_info *o)
{
	fprintf(stderr,
		"    %s: oid=%" PRIu64 " cl=%" PRIu64 " acct=%" PRIu32 " inst=%" PRIu32
		" px=%" PRId64 " leaves=%" PRId64 " visible=%" PRId64 " display=%" PRId64
		" cum=%" PRId64 " side=%u post_only=%u stp=%u\n",
		who, o->oid, o->cl, o->acct, o->inst, o->px, o->leaves, o->visible, o->display,
		o->cum, o->side, o->post_only, o->stp);
}

static void print_events(const char *who, const struct sink *s, size_t mark)
{
	char line[NX_EVENT_TEXT_MAX];

	fprintf(stderr, "  %s events (%zu%s):\n", who, s->n, s->overflow ? ", OVERFLOW" : "");
	for (size_t i = 0; i < s->n; i++) {
		nx_event_format(&s->ev[i], line, sizeof(line));
		fprintf(stderr, "  %s [%zu] %s\n", i == mark ? "=>" : "  ", i, line);
	}
}

/* What a failed step reports; kept small so minimizing can run quietly. */
struct failure {
	char what[512];
};

static void fail_set(struct failure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_set(struct failure *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
}

/* Every stage of the book's prefetch hint for c, just before it runs: the
 * hints may read only in-bounds memory (the sanitizer builds check) and
 * change nothing (the events and state are compared), for every request
 * the generator makes, unknown ids and invalid fields included. */
static void hint(const struct nx_book *b, const struct cmd *c)
{
	for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++)
		switch (c->kind) {
		case CMD_NEW:
			nx_book_prefetch_new(b, &c->u.o, s);
			break;
		case CMD_CANCEL:
			nx_book_prefetch_cancel(b, &c->u.c, s);
			break;
		case CMD_REPLACE:
			nx_book_prefetch_replace(b, &c->u.r, s);
			break;
		default:
			break;
		}
}

static int apply(struct world *w, const struct cmd *c, int *re, int *rr)
{
	hint(w->eng, c);
	w->se.n = w->sr.n = 0;
	w->se.overflow = w->sr.overflow = 0;
	switch (c->kind) {
	case CMD_NEW:
		*re = nx_book_new_order(w->eng, &c->u.o);
		*rr = ref_book_new_order(w->ref, &c->u.o);
		break;
	case CMD_CANCEL:
		*re = nx_book_cancel(w->eng, &c->u.c);
		*rr = ref_book_cancel(w->ref, &c->u.c);
		break;
	case CMD_REPLACE:
		*re = nx_book_replace(w->eng, &c->u.r);
		*rr = ref_book_replace(w->ref, &c->u.r);
		break;
	case CMD_MASS:
		*re = nx_book_mass_cancel(w->eng, &c->u.m);
		*rr = ref_book_mass_cancel(w->ref, &c->u.m);
		break;
	case CMD_STATUS:
		*re = nx_book_set_status(w->eng, c->u.s.inst, c->u.s.status, c->u.s.cancel_resting);
		*rr = ref_book_set_status(w->ref, c->u.s.inst, c->u.s.status, c->u.s.cancel_resting);
		break;
	default:
		return -1;
	}
	return 0;
}

/* The engine's state against the reference's. */
static int check_state(struct world *w, int full, struct rng *r, struct failure *f)
{
	const char *why = NULL;
	uint32_t ne = nx_book_order_count(w->eng), nr = ref_book_order_count(w->ref);
	unsigned n = (unsigned)w->cap;

	/* the checker walks every slot of every ladder: on a wide one, only
	 * on the full steps */
	if ((full || w->p.ladder_ticks <= 1024) && nx_book_check(w->eng, &why) != 0) {
		const char *skip = getenv("NX_DIFF_IGNORE_CHECK");

		if (!skip || !*skip || !why || !strstr(why, skip)) {
			fail_set(f, "nx_book_check: %s", why ? why : "(no reason)");
			return -1;
		}
	}
	if (ne != nr) {
		fail_set(f, "order count: engine %" PRIu32 ", reference %" PRIu32, ne, nr);
		return -1;
	}
	for (unsigned i = 0; i < N_INST; i++) {
		nx_inst_t inst = inst_defs[i].id;
		struct nx_bbo be;

		if (nx_book_bbo(w->eng, inst, &be) != 0) {
			fail_set(f, "bbo inst %" PRIu32 ": query failed", inst);
			return -1;
		}
		if (be.bid_px && be.ask_px && be.bid_px >= be.ask_px) {
			fail_set(f, "inst %" PRIu32 " crossed: bid %" PRId64 " >= ask %" PRId64, inst,
				 be.bid_px, be.ask_px);
			return -1;
		}
		for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
			int de = nx_book_depth(w->eng, inst, side, w->lv_e, n);
			int ns = ref_book_side(w->ref, inst, side, w->so, n);
			int dr = 0;

			/* the reference's levels, from its orders in matching order */
			for (int k = 0; k < ns; k++) {
				if (k == 0 || w->so[k].px != w->so[k - 1].px) {
					w->lv_start[dr] = (unsigned)k;
					w->lv_r[dr].px = w->so[k].px;
					w->lv_r[dr].qty = 0;
					w->lv_r[dr].count = 0;
					dr++;
				}
				w->lv_r[dr - 1].qty += w->so[k].visible;
				w->lv_r[dr - 1].count++;
			}
			w->lv_start[dr] = (unsigned)(ns < 0 ? 0 : ns);

			struct nx_level_info top = { 0, 0, 0 };

			if (dr > 0)
				top = w->lv_r[0];
			if (side == NX_SIDE_BUY ? (be.bid_px != top.px || be.bid_qty != top.qty ||
						   be.bid_count != top.count)
						: (be.ask_px != top.px || be.ask_qty != top.qty ||
						   be.ask_count != top.count)) {
				fail_set(f,
					 "bbo inst %" PRIu32 " side %u: engine %" PRId64 "x%" PRId64
					 "/%u, reference %" PRId64 "x%" PRId64 "/%u", inst, side,
					 side == NX_SIDE_BUY ? be.bid_px : be.ask_px,
					 side == NX_SIDE_BUY ? be.bid_qty : be.ask_qty,
					 side == NX_SIDE_BUY ? be.bid_count : be.ask_count, top.px,
					 top.qty, top.count);
				return -1;
			}
			if (de != dr) {
				fail_set(f, "depth inst %" PRIu32 " side %u: engine %d levels, reference %d",
					 inst, side, de, dr);
				return -1;
			}
			for (int l = 0; l < de; l++) {
				const struct nx_level_info *le = &w->lv_e[l], *lr = &w->lv_r[l];

				if (le->px != lr->px || le->qty != lr->qty || le->count != lr->count) {
					fail_set(f,
						 "depth inst %" PRIu32 " side %u level %d: engine %" PRId64
						 "x%" PRId64 "/%u, reference %" PRId64 "x%" PRId64 "/%u",
						 inst, side, l, le->px, le->qty, le->count, lr->px,
						 lr->qty, lr->count);
					return -1;
				}
				int qe = nx_book_level_orders(w->eng, inst, side, le->px, w->q_e, n);
				int qr = (int)(w->lv_start[l + 1] - w->lv_start[l]);
				int same = qe == qr;

				for (int k = 0; k < qr && same; k++)
					same = w->q_e[k] == w->so[w->lv_start[l] + (unsigned)k].oid;
				if (!same) {
					char be_[256], br_[256];
					int pe = 0, pr = 0;

					be_[0] = br_[0] = 0;
					for (int k = 0; k < qe && pe < 200; k++)
						pe += snprintf(be_ + pe, sizeof(be_) - (size_t)pe, " %" PRIu64,
							       w->q_e[k]);
					for (int k = 0; k < qr && pr < 200; k++)
						pr += snprintf(br_ + pr, sizeof(br_) - (size_t)pr, " %" PRIu64,
							       w->so[w->lv_start[l] + (unsigned)k].oid);
					fail_set(f,
						 "queue inst %" PRIu32 " side %u px %" PRId64
						 ": engine [%s ], reference [%s ]",
						 inst, side, le->px, be_, br_);
					return -1;
				}
			}
		}
	}
	if (full) {
		for (uint32_t i = 0; i < nr; i++) {
			struct nx_order_info oe, orf, oc;

			ref_book_order_at(w->ref, i, &orf);
			if (nx_book_order(w->eng, orf.oid, &oe) != 0) {
				fail_set(f, "order %" PRIu64 " live in the reference, not in the engine",
					 orf.oid);
				return -1;
			}
			if (!info_equal(&oe, &orf)) {
				print_info("engine", &oe);
				print_info("reference", &orf);
				fail_set(f, "order %" PRIu64 " differs (above)", orf.oid);
				return -1;
			}
			if (nx_book_order_by_cl(w->eng, orf.acct, orf.cl, &oc) != 0 ||
			    oc.oid != orf.oid) {
				fail_set(f, "order_by_cl(%" PRIu32 ", %" PRIu64 ") does not find oid %" PRIu64,
					 orf.acct, orf.cl, orf.oid);
				return -1;
			}
		}
		/* statuses, an empty level, and the queries' errors */
		for (unsigned i = 0; i < N_INST; i++) {
			struct nx_instrument def;
			nx_inst_t inst = inst_defs[i].id;
			nx_px_t px = (inst_defs[i].centre + w->drift[i] + rnd_range(r, -90, 90)) *
				     inst_defs[i].tick;
			unsigned side = (unsigned)rnd_range(r, 0, 3);
			int qe, qr;

			if (nx_book_instrument(w->eng, inst, &def) != 0 ||
			    def.status != ref_book_status(w->ref, inst)) {
				fail_set(f, "instrument %" PRIu32 ": engine status %u, reference %u", inst,
					 def.status, ref_book_status(w->ref, inst));
				return -1;
			}
			qe = nx_book_level_orders(w->eng, inst, side, px, w->q_e, n);
			qr = ref_book_level_orders(w->ref, inst, side, px, w->q_r, n);
			if (qe != qr) {
				fail_set(f, "level_orders(inst %" PRIu32 ", side %u, px %" PRId64
					 "): engine %d, reference %d", inst, side, px, qe, qr);
				return -1;
			}
		}
		if (nx_book_depth(w->eng, UNKNOWN_INST, NX_SIDE_BUY, w->lv_e, n) != -ENOENT ||
		    nx_book_level_orders(w->eng, UNKNOWN_INST, NX_SIDE_BUY, 1, w->q_e, n) != -ENOENT) {
			fail_set(f, "queries on an unknown instrument do not give -ENOENT");
			return -1;
		}
		/* and a few ids that may be dead */
		for (int k = 0; k < 4; k++) {
			nx_oid_t oid = 1 + rnd(r, ref_book_next_oid(w->ref) + 2);
			struct nx_order_info oe, orf;
			int ee = nx_book_order(w->eng, oid, &oe), er = ref_book_order(w->ref, oid, &orf);

			if (ee != er) {
				fail_set(f, "nx_book_order(%" PRIu64 "): engine %d, reference %d", oid, ee,
					 er);
				return -1;
			}
		}
	}
	return 0;
}

/* Apply one command to both and compare everything. 0 or -1 with f set;
 * *mark is the first differing event (or -1). */
static int step(struct world *w, const struct cmd *c, int full, struct rng *r, struct failure *f,
		long *mark)
{
	int re = 0, rr = 0;
	const char *what;

	*mark = -1;
	if (apply(w, c, &re, &rr) != 0) {
		fail_set(f, "bad command kind");
		return -1;
	}
	if (w->se.overflow || w->sr.overflow) {
		fail_set(f, "event sink overflow (engine %d, reference %d)", w->se.overflow,
			 w->sr.overflow);
		return -1;
	}
	size_t n = w->se.n < w->sr.n ? w->se.n : w->sr.n;

	for (size_t i = 0; i < n; i++)
		if (!ev_equal(&w->se.ev[i], &w->sr.ev[i])) {
			*mark = (long)i;
			fail_set(f, "event %zu differs", i);
			return -1;
		}
	if (w->se.n != w->sr.n) {
		*mark = (long)n;
		fail_set(f, "event count: engine %zu, reference %zu", w->se.n, w->sr.n);
		return -1;
	}
	if (re != rr) {
		fail_set(f, "return: engine %d, reference %d", re, rr);
		return -1;
	}
	if (ref_book_fok_rule_mismatches(w->ref, &what) != 0) {
		fail_set(f, "reference: FOK simulation and the doc's fillable rule disagree: %s", what);
		return -1;
	}
	return check_state(w, full, r, f);
}

static void count_stats(struct stats *st, const struct sink *s)
{
	st->cmds++;
	st->events += s->n;
	for (size_t i = 0; i < s->n; i++) {
		const struct nx_event *e = &s->ev[i];

		switch (e->type) {
		case NX_EV_ACCEPTED:
			st->accepted_type[e->u.order.type & 3]++;
			st->accepted_tif[e->u.order.tif & 3]++;
			break;
		case NX_EV_REJECTED:
			st->rejects[e->u.reject.reason & 63]++;
			break;
		case NX_EV_TRADE:
			st->trades++;
			break;
		case NX_EV_CANCELED:
			st->cancels[e->u.cancel.reason & 15]++;
			break;
		case NX_EV_REDUCED:
			st->reduced++;
			break;
		case NX_EV_REPLACED:
			st->replaced_kept[e->u.replace.kept_priority & 1]++;
			break;
		case NX_EV_MASS_CANCELED:
			st->mass++;
			break;
		case NX_EV_LEVEL:
			st->levels++;
			break;
		}
	}
}

/* --- streams -------------------------------------------------------------- */

/* Every stream's ladder_ticks when non-zero (test_diff_wide_ladders). */
static uint32_t ladder_override;

static void params_for(uint64_t seed, struct params *p)
{
	const char *lad = getenv("NX_DIFF_LADDER");

	static const uint32_t caps[] = { 12, 40, 120, 400 };
	struct rng r = { seed ^ UINT64_C(0x5bd1e9955bd1e995) };

	p->max_orders = caps[rnd(&r, 4)];
	p->ladder_ticks = chance(&r, 800) ? 64 : 128;
	p->spread = (unsigned)rnd_range(&r, 2, 6);
	p->skew = (unsigned)rnd_range(&r, 0, 2);
	p->n_accts = chance(&r, 250) ? 4 : N_ACCT;
	p->target = p->max_orders * (uint32_t)rnd_range(&r, 1, 9) / 10;
	p->gtc_pm = (unsigned)rnd_range(&r, 450, 800);
	p->bad_pm = (unsigned)rnd_range(&r, 10, 60);
	if (lad && *lad)
		p->ladder_ticks = (uint32_t)strtoul(lad, NULL, 0);
	else if (ladder_override)
		p->ladder_ticks = ladder_override;
}

/* Replay cmds on a fresh world; the index of the first failing step, or -1. */
static long replay(const struct params *p, uint64_t seed, const struct cmd *cmds, long n,
		   struct failure *f)
{
	struct world w;
	struct rng r = { seed };
	long mark, i;

	if (world_open(&w, p) != 0) {
		fail_set(f, "world_open failed");
		return 0;
	}
	for (i = 0; i < n; i++)
		if (step(&w, &cmds[i], 1, &r, f, &mark) != 0)
			break;
	world_close(&w);
	return i < n ? i : -1;
}

/* Two failures of the same kind: their texts equal but for numbers. */
static int same_failure(const char *a, const char *b)
{
	for (;;) {
		while (*a >= '0' && *a <= '9')
			a++;
		while (*b >= '0' && *b <= '9')
			b++;
		if (*a != *b)
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

/* Shrink a failing command list (greedy chunk removal, ddmin-like) and
 * print it. Slow; only with NX_DIFF_MINIMIZE=1. */
static void minimize(const struct params *p, uint64_t seed, struct cmd *cmds, long n,
		     const struct failure *orig)
{
	struct failure f;
	char line[NX_EVENT_TEXT_MAX];
	long chunk;

	for (chunk = n / 2; chunk >= 1; chunk /= 2) {
		for (long at = 0; at + chunk <= n;) {
			struct cmd *t = malloc((size_t)n * sizeof(*t));
			long m = 0, fail;

			if (!t)
				return;
			for (long i = 0; i < n; i++)
				if (i < at || i >= at + chunk)
					t[m++] = cmds[i];
			fail = replay(p, seed, t, m, &f);
			if (fail >= 0 && same_failure(f.what, orig->what)) {
				memcpy(cmds, t, (size_t)(fail + 1) * sizeof(*t));
				n = fail + 1;
			} else {
				at += chunk;
			}
			free(t);
		}
	}
	replay(p, seed, cmds, n, &f);
	fprintf(stderr, "book_diff: minimized to %ld commands (max_orders=%u ladder_ticks=%u):\n", n,
		p->max_orders, p->ladder_ticks);
	for (long i = 0; i < n; i++) {
		cmd_format(&cmds[i], line, sizeof(line));
		fprintf(stderr, "  %s\n", line);
	}
	fprintf(stderr, "  failure: %s\n", f.what);
}

static int env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* Run one stream; 0 or -1 after printing everything needed to debug. */
static int run_stream(uint64_t seed, long steps, struct stats *st)
{
	struct params p;
	struct world w;
	struct rng r = { seed };
	struct rng rc = { seed ^ UINT64_C(0xa0761d6478bd642f) };
	struct failure f;
	struct cmd *log;
	long i, mark;
	char line[NX_EVENT_TEXT_MAX];

	params_for(seed, &p);
	if (world_open(&w, &p) != 0) {
		fprintf(stderr, "book_diff: cannot build the books (max_orders=%u)\n", p.max_orders);
		return -1;
	}
	log = malloc((size_t)steps * sizeof(*log));
	if (!log) {
		world_close(&w);
		return -1;
	}
	for (i = 0; i < steps; i++) {
		int full = p.ladder_ticks > 1024 ? (i & 63) == 0 : p.max_orders <= 40 || (i & 7) == 0;

		gen_cmd(&w, &r, &log[i]);
		if (step(&w, &log[i], full, &rc, &f, &mark) != 0)
			break;
		if (st) {
			uint32_t live = ref_book_order_count(w.ref);

			count_stats(st, &w.sr);
			st->live_sum += live;
			if (live > st->live_max)
				st->live_max = live;
		}
	}
	if (i == steps) {
		world_close(&w);
		free(log);
		return 0;
	}

	fprintf(stderr,
		"\nbook_diff: MISMATCH seed=0x%016" PRIx64 " step=%ld (max_orders=%u ladder_ticks=%u)\n"
		"  rerun: NX_DIFF_SEED=0x%016" PRIx64 " NX_DIFF_STEPS=%ld [NX_DIFF_MINIMIZE=1]\n",
		seed, i, p.max_orders, p.ladder_ticks, seed, i + 1);
	fprintf(stderr, "  previous commands:\n");
	for (long k = i - 12 < 0 ? 0 : i - 12; k < i; k++) {
		cmd_format(&log[k], line, sizeof(line));
		fprintf(stderr, "    [%ld] %s\n", k, line);
	}
	cmd_format(&log[i], line, sizeof(line));
	fprintf(stderr, "  command [%ld]: %s\n  failure: %s\n", i, line, f.what);
	print_events("engine", &w.se, (size_t)mark);
	print_events("reference", &w.sr, (size_t)mark);
	world_close(&w);
	if (env_flag("NX_DIFF_MINIMIZE"))
		minimize(&p, seed ^ UINT64_C(0xa0761d6478bd642f), log, i + 1, &f);
	free(log);
	return -1;
}

static double scale(void)
{
	const char *v = getenv("NX_DIFF_SCALE");
	double s = v ? strtod(v, NULL) : DIFF_DEFAULT_SCALE;

	return s > 0 ? s : DIFF_DEFAULT_SCALE;
}

static void print_stats(const struct stats *st)
{
	fprintf(stderr, "book_diff: %" PRIu64 " commands, %" PRIu64 " events, %" PRIu64
		" trades, %" PRIu64 " levels, %" PRIu64 " reduced, %" PRIu64 " mass\n",
		st->cmds, st->events, st->trades, st->levels, st->reduced, st->mass);
	fprintf(stderr, "  live orders: mean %.1f, max %" PRIu64 "\n",
		st->cmds ? (double)st->live_sum / (double)st->cmds : 0.0, st->live_max);
	fprintf(stderr, "  accepted limit %" PRIu64 " market %" PRIu64 "; gtc %" PRIu64
		" ioc %" PRIu64 " fok %" PRIu64 "; replaced kept %" PRIu64 " moved %" PRIu64 "\n",
		st->accepted_type[1], st->accepted_type[2], st->accepted_tif[1],
		st->accepted_tif[2], st->accepted_tif[3], st->replaced_kept[1],
		st->replaced_kept[0]);
	for (unsigned k = 1; k < 64; k++)
		if (st->rejects[k])
			fprintf(stderr, "  reject %-22s %" PRIu64 "\n", nx_reject_name(k), st->rejects[k]);
	for (unsigned k = 1; k < 16; k++)
		if (st->cancels[k])
			fprintf(stderr, "  cancel %-22s %" PRIu64 "\n", nx_cancel_name(k), st->cancels[k]);
}

/* Runs streams seeds base, base+1, ... of `steps` commands each. */
static void run_streams(uint64_t base, long streams, long steps)
{
	const char *one = getenv("NX_DIFF_SEED");
	struct stats st;
	int stats = env_flag("NX_DIFF_STATS");
	long failed = 0;

	memset(&st, 0, sizeof(st));
	if (one) {
		const char *s = getenv("NX_DIFF_STEPS");

		if (run_stream(strtoull(one, NULL, 0), s ? strtol(s, NULL, 0) : steps,
			       stats ? &st : NULL) != 0)
			failed++;
	} else {
		streams = (long)(streams * scale());
		if (streams < 1)
			streams = 1;
		for (long k = 0; k < streams && failed == 0; k++)
			if (run_stream(base + (uint64_t)k * UINT64_C(0x9e3779b97f4a7c15), steps,
				       stats ? &st : NULL) != 0)
				failed++;
	}
	if (stats)
		print_stats(&st);
	assert_int_equal(failed, 0);
}

/* Many short streams from empty books: the edge cases of small books. */
static void test_diff_short_streams(void **state)
{
	(void)state;
	run_streams(UINT64_C(0x1000), 5000, 300);
}

/* Long streams: books at capacity, icebergs refilled many times, halts. */
static void test_diff_long_streams(void **state)
{
	(void)state;
	run_streams(UINT64_C(0x2000000), 45, 20000);
}

/* Ladders of 8,192 and 262,144 ticks: occupancy bitmaps of many words and
 * summary words, walked by matching and by the price window, with the far
 * prices (half to twice the ladder away) spreading levels across them. */
static void test_diff_wide_ladders(void **state)
{
	(void)state;
	ladder_override = 8192;
	run_streams(UINT64_C(0x3000000), 6, 2500);
	ladder_override = 262144;
	run_streams(UINT64_C(0x4000000), 3, 2000);
	ladder_override = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_short_streams),
		cmocka_unit_test(test_diff_long_streams),
		cmocka_unit_test(test_diff_wide_ladders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
