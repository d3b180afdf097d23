/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book (include/nx/book.h) against the rules of
 * docs/matching.md: every event of every command is compared field by field
 * (tests/book_helpers.c), and the book's state is read back through the
 * query calls after the command. nx_book_check runs after every command.
 *
 * What this file does not do: random streams against a reference model
 * (test_book_diff.c) and the no-allocation proof (test_book_noalloc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "book_helpers.h"

/* The standard fixture: two instruments, five accounts. */
#define INST  7u /* tick 1, lot 1, qty 1..1e6, band 5 ticks */
#define INST2 8u /* tick 5, lot 10, qty 20..1000, band 2 ticks */
enum {
	A = 1,   /* own STP group, default NONE */
	B = 2,   /* own STP group, default NONE */
	G1 = 3,  /* STP group 100 */
	G2 = 4,  /* STP group 100 */
	DCN = 5, /* own group, default STP CN */
};
#define BUY  NX_SIDE_BUY
#define SELL NX_SIDE_SELL
#define LADDER 64u /* the smallest window, so its edges are easy to reach */

struct fx {
	struct nx_book *b;
	void *mem;
	struct bh_rec r;
};

static void add_std_instruments(struct nx_book *b)
{
	struct nx_instrument in = { .id = INST, .symbol = "BTC-USD", .min_qty = 1,
				    .max_qty = 1000000, .band_ticks = 5 };

	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	in = (struct nx_instrument){ .id = INST2, .symbol = "ETH-USD", .tick = 5, .lot = 10,
				     .min_qty = 20, .max_qty = 1000, .band_ticks = 2 };
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
}

static void add_std_accounts(struct nx_book *b)
{
	static const struct nx_account accts[] = {
		{ .id = A }, { .id = B },
		{ .id = G1, .stp_group = 100 }, { .id = G2, .stp_group = 100 },
		{ .id = DCN, .stp = NX_STP_CN },
	};

	for (size_t i = 0; i < NX_ARRAY_SIZE(accts); i++)
		assert_int_equal(nx_book_add_account(b, &accts[i]), 0);
}

static struct fx *fx_new(const struct nx_book_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));
	size_t sz = nx_book_memsize(cfg);

	assert_non_null(f);
	assert_true(sz > 0);
	f->mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
	assert_non_null(f->mem);
	f->b = nx_book_init(f->mem, sz, cfg, bh_rec_sink, &f->r);
	assert_non_null(f->b);
	add_std_instruments(f->b);
	add_std_accounts(f->b);
	return f;
}

static void fx_free(struct fx *f)
{
	if (f) {
		free(f->mem);
		free(f);
	}
}

static int setup(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 4, .max_accounts = 16,
					    .max_orders = 64, .ladder_ticks = LADDER };

	*state = fx_new(&cfg);
	return 0;
}

static int setup_orders(void **state, uint32_t max_orders)
{
	const struct nx_book_config cfg = { .max_instruments = 2, .max_accounts = 8,
					    .max_orders = max_orders, .ladder_ticks = LADDER };

	*state = fx_new(&cfg);
	return 0;
}

static int setup_3_orders(void **state) { return setup_orders(state, 3); }
static int setup_1_order(void **state) { return setup_orders(state, 1); }

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

/* --- commands: clear the recorder, run, verify the book's invariants ------ */

#define CHECK_BOOK(f) bh_assert_check((f)->b, __FILE__, __LINE__)

static int do_new(struct fx *f, const struct nx_new_order *o)
{
	bh_rec_clear(&f->r);
	int rc = nx_book_new_order(f->b, o);
	CHECK_BOOK(f);
	return rc;
}

static int do_cancel(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid)
{
	const struct nx_cancel c = { .acct = acct, .cl = cl, .orig_cl = orig_cl, .oid = oid };

	bh_rec_clear(&f->r);
	int rc = nx_book_cancel(f->b, &c);
	CHECK_BOOK(f);
	return rc;
}

static int do_replace(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_clid_t orig_cl, nx_oid_t oid,
		      nx_px_t px, nx_qty_t qty)
{
	const struct nx_replace r = { .acct = acct, .cl = cl, .orig_cl = orig_cl, .oid = oid,
				      .px = px, .qty = qty };

	bh_rec_clear(&f->r);
	int rc = nx_book_replace(f->b, &r);
	CHECK_BOOK(f);
	return rc;
}

static int do_mass(struct fx *f, nx_acct_t acct, nx_clid_t cl, nx_inst_t inst, unsigned side)
{
	const struct nx_mass_cancel m = { .acct = acct, .cl = cl, .inst = inst,
					  .side = (uint8_t)side };

	bh_rec_clear(&f->r);
	int rc = nx_book_mass_cancel(f->b, &m);
	CHECK_BOOK(f);
	return rc;
}

static int do_status(struct fx *f, nx_inst_t inst, unsigned status, int cancel_resting)
{
	bh_rec_clear(&f->r);
	int rc = nx_book_set_status(f->b, inst, status, cancel_resting);
	CHECK_BOOK(f);
	return rc;
}

/* A GTC limit order on INST with STP NONE; tests change fields from here. */
static struct nx_new_order lim(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
			       nx_qty_t qty)
{
	return (struct nx_new_order){ .acct = acct, .inst = INST, .cl = cl, .px = px,
				      .qty = qty, .side = (uint8_t)side,
				      .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC,
				      .stp = NX_STP_NONE };
}

static struct nx_new_order lim2(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
				nx_qty_t qty)
{
	struct nx_new_order o = lim(acct, cl, side, px, qty);

	o.inst = INST2;
	return o;
}

/* An IOC market order on INST; its price field is garbage on purpose (ignored). */
static struct nx_new_order mkt(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_qty_t qty)
{
	struct nx_new_order o = lim(acct, cl, side, -77, qty);

	o.type = NX_ORD_MARKET;
	o.tif = NX_TIF_IOC;
	return o;
}

static struct nx_new_order ice(nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
			       nx_qty_t qty, nx_qty_t display)
{
	struct nx_new_order o = lim(acct, cl, side, px, qty);

	o.display = display;
	return o;
}

static struct nx_new_order with_stp(struct nx_new_order o, unsigned stp)
{
	o.stp = (uint8_t)stp;
	return o;
}

static struct nx_new_order with_tif(struct nx_new_order o, unsigned tif)
{
	o.tif = (uint8_t)tif;
	return o;
}

/* Enter an order that must be accepted; its venue order id. */
static nx_oid_t put_o(struct fx *f, const struct nx_new_order *o)
{
	assert_int_equal(do_new(f, o), 0);
	assert_true(f->r.n >= 1);
	assert_int_equal(f->r.ev[0].type, NX_EV_ACCEPTED);
	return f->r.ev[0].u.order.oid;
}

static nx_oid_t put(struct fx *f, nx_acct_t acct, nx_clid_t cl, unsigned side, nx_px_t px,
		    nx_qty_t qty)
{
	const struct nx_new_order o = lim(acct, cl, side, px, qty);

	return put_o(f, &o);
}

/* ACCEPTED of an order sent with stp DEFAULT: the event gives the mode resolved. */
static struct nx_event acc_stp(const struct nx_new_order *o, nx_oid_t oid, unsigned stp)
{
	struct nx_event e = bh_acc(o, oid);

	e.u.order.stp = (uint8_t)stp;
	return e;
}

#define EXPECT(...)   BH_EXPECT(&f->r, __VA_ARGS__)
#define EXPECT_NONE() BH_EXPECT_NONE(&f->r)
#define DEPTH(inst, side, s)     bh_assert_depth(f->b, inst, side, s, __FILE__, __LINE__)
#define QUEUE(inst, side, px, s) bh_assert_queue(f->b, inst, side, px, s, __FILE__, __LINE__)
#define ORDER(oid, s)            bh_assert_order(f->b, oid, s, __FILE__, __LINE__)
#define BBO(inst, s)             bh_assert_bbo(f->b, inst, s, __FILE__, __LINE__)
#define COUNT(n)                 assert_int_equal(nx_book_order_count(f->b), n)

/* One match: TRADE, the maker's FILL, the taker's FILL (docs/matching.md). */
#define MATCHI(inst, tid, px, q, m_oid, m_acct, m_cl, m_leaves, m_cum,            \
	       t_oid, t_acct, t_cl, t_leaves, t_cum, t_side)                      \
	bh_trade(tid, inst, px, q, m_oid, t_oid, m_acct, t_acct, t_side),         \
	bh_fill(tid, m_acct, inst, m_cl, m_oid, px, q, m_leaves, m_cum,           \
		nx_side_other(t_side), NX_LIQ_MAKER),                             \
	bh_fill(tid, t_acct, inst, t_cl, t_oid, px, q, t_leaves, t_cum, t_side,   \
		NX_LIQ_TAKER)
#define MATCH(...) MATCHI(INST, __VA_ARGS__)

#define CXL(acct, cl, req_cl, oid, qty, side, why) \
	bh_cxl(acct, INST, cl, req_cl, oid, qty, side, NX_CXL_##why)
#define RED(acct, cl, oid, qty, leaves, side) \
	bh_red(acct, INST, cl, 0, oid, qty, leaves, side, NX_CXL_SELF_TRADE)
#define LVL(side, px, qty, count) bh_lvl(INST, side, px, qty, count)
/* Cancel/replace rejects carry the named order's instrument, 0 when unknown
 * (tests/golden/rejects.out). */
#define REJ(acct, cl, orig_cl, oid, req, why) \
	bh_rej(acct, 0, cl, orig_cl, oid, NX_REQ_##req, NX_REJ_##why)
#define REJI(acct, cl, orig_cl, oid, req, why) \
	bh_rej(acct, INST, cl, orig_cl, oid, NX_REQ_##req, NX_REJ_##why)

/* ========================================================================= */
/* Limit orders, price-time priority                                          */
/* ========================================================================= */

static void test_limit_gtc_rests(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;
	struct nx_order_info oi;

	o = lim(A, 1, BUY, 100, 10);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 1), LVL(BUY, 100, 10, 1));
	o = lim(A, 2, BUY, 100, 5);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), LVL(BUY, 100, 15, 2));
	o = lim(A, 3, BUY, 101, 7);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), LVL(BUY, 101, 7, 1));
	o = lim(B, 1, SELL, 102, 4); /* does not cross 101 */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), LVL(SELL, 102, 4, 1));

	DEPTH(INST, BUY, "101:7:1 100:15:2");
	DEPTH(INST, SELL, "102:4:1");
	QUEUE(INST, BUY, 100, "1 2");
	QUEUE(INST, BUY, 99, "");
	BBO(INST, "bid=101/7/1 ask=102/4/1");
	BBO(INST2, "bid=0/0/0 ask=0/0/0");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=1 px=100 leaves=10 vis=10 disp=0 cum=0 po=0 stp=1");
	ORDER(4, "oid=4 cl=1 acct=2 inst=7 side=2 px=102 leaves=4 vis=4 disp=0 cum=0 po=0 stp=1");
	ORDER(5, "none");
	COUNT(4);
	assert_int_equal(nx_book_order_by_cl(f->b, B, 1, &oi), 0);
	assert_int_equal(oi.oid, 4);
	assert_int_equal(nx_book_order_by_cl(f->b, A, 4, &oi), -ENOENT);
	assert_int_equal(nx_book_order_by_cl(f->b, B, 2, &oi), -ENOENT);
}

static void test_queries_bad_args(void **state)
{
	struct fx *f = *state;
	struct nx_bbo q;
	struct nx_level_info lv[4];
	nx_oid_t ids[4];
	struct nx_instrument in;

	assert_int_equal(nx_book_bbo(f->b, 99, &q), -ENOENT);
	assert_int_equal(nx_book_depth(f->b, 99, BUY, lv, 4), -ENOENT);
	assert_int_equal(nx_book_depth(f->b, INST, 0, lv, 4), -EINVAL);
	assert_int_equal(nx_book_depth(f->b, INST, 3, lv, 4), -EINVAL);
	assert_int_equal(nx_book_level_orders(f->b, 99, BUY, 100, ids, 4), -ENOENT);
	assert_int_equal(nx_book_level_orders(f->b, INST, 3, 100, ids, 4), -EINVAL);
	assert_int_equal(nx_book_instrument(f->b, 99, &in), -ENOENT);
	assert_int_equal(nx_book_instrument(f->b, INST2, &in), 0);
	assert_int_equal(in.id, INST2);
	assert_string_equal(in.symbol, "ETH-USD");
	assert_int_equal(in.tick, 5);
	assert_int_equal(in.lot, 10);
	assert_int_equal(in.status, NX_STATUS_OPEN);
	/* depth and level_orders stop at n */
	put(f, A, 1, BUY, 100, 1);
	put(f, A, 2, BUY, 100, 1);
	put(f, A, 3, BUY, 99, 1);
	assert_int_equal(nx_book_depth(f->b, INST, BUY, lv, 1), 1);
	assert_int_equal(lv[0].px, 100);
	assert_int_equal(nx_book_level_orders(f->b, INST, BUY, 100, ids, 1), 1);
	assert_int_equal(ids[0], 1);
}

static void test_limit_price_time_priority_maker_price(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 5);
	put(f, A, 2, BUY, 100, 5);
	put(f, A, 3, BUY, 101, 3);
	o = lim(B, 9, SELL, 99, 10);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(1, 101, 3, 3, A, 3, 0, 3, 4, B, 9, 7, 3, SELL),
	       MATCH(2, 100, 5, 1, A, 1, 0, 5, 4, B, 9, 2, 8, SELL),
	       MATCH(3, 100, 2, 2, A, 2, 3, 2, 4, B, 9, 0, 10, SELL),
	       LVL(BUY, 101, 0, 0), LVL(BUY, 100, 3, 1));
	DEPTH(INST, BUY, "100:3:1");
	DEPTH(INST, SELL, "");
	ORDER(1, "none");
	ORDER(3, "none");
	ORDER(4, "none");
	ORDER(2, "oid=2 cl=2 acct=1 inst=7 side=1 px=100 leaves=3 vis=3 disp=0 cum=2 po=0 stp=1");
	COUNT(1);
}

static void test_limit_partial_fill_then_rests(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = lim(B, 2, BUY, 101, 8);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 5, 1, A, 1, 0, 5, 2, B, 2, 3, 5, BUY),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 101, 3, 1));
	ORDER(2, "oid=2 cl=2 acct=2 inst=7 side=1 px=101 leaves=3 vis=3 disp=0 cum=5 po=0 stp=1");
	BBO(INST, "bid=101/3/1 ask=0/0/0");
}

/* ========================================================================= */
/* Time in force                                                              */
/* ========================================================================= */

static void test_ioc(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = with_tif(lim(B, 2, BUY, 101, 8), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 5, 1, A, 1, 0, 5, 2, B, 2, 3, 5, BUY),
	       CXL(B, 2, 0, 2, 3, BUY, IOC), LVL(SELL, 100, 0, 0));
	DEPTH(INST, BUY, "");
	DEPTH(INST, SELL, "");
	COUNT(0);

	/* nothing to take: all of it canceled, no level touched */
	o = with_tif(lim(B, 3, BUY, 100, 4), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(B, 3, 0, 3, 4, BUY, IOC));

	/* filled completely: no cancel */
	put(f, A, 2, SELL, 100, 5);
	o = with_tif(lim(B, 4, BUY, 100, 5), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), MATCH(2, 100, 5, 4, A, 2, 0, 5, 5, B, 4, 0, 5, BUY),
	       LVL(SELL, 100, 0, 0));
	COUNT(0);
}

static void test_fok_full_fill(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	put(f, A, 2, SELL, 101, 5);
	o = with_tif(lim(B, 3, BUY, 101, 8), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(1, 100, 5, 1, A, 1, 0, 5, 3, B, 3, 3, 5, BUY),
	       MATCH(2, 101, 3, 2, A, 2, 2, 3, 3, B, 3, 0, 8, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 2, 1));
	DEPTH(INST, SELL, "101:2:1");
	DEPTH(INST, BUY, "");
}

static void test_fok_sell_side(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 5);
	put(f, A, 2, BUY, 99, 5);
	o = with_tif(lim(B, 1, SELL, 100, 6), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(B, 1, 0, 3, 6, SELL, FOK));
	o = with_tif(lim(B, 2, SELL, 99, 10), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(1, 100, 5, 1, A, 1, 0, 5, 4, B, 2, 5, 5, SELL),
	       MATCH(2, 99, 5, 2, A, 2, 0, 5, 4, B, 2, 0, 10, SELL),
	       LVL(BUY, 100, 0, 0), LVL(BUY, 99, 0, 0));
}

static void test_fok_kill_leaves_no_trace(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;
	struct nx_order_info oi;

	put(f, A, 1, SELL, 100, 5);
	put(f, A, 2, SELL, 100, 3);
	put(f, A, 3, SELL, 101, 5);
	o = with_tif(lim(B, 7, BUY, 101, 14), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(B, 7, 0, 4, 14, BUY, FOK));
	/* limit 100 reaches only 8 */
	o = with_tif(lim(B, 8, BUY, 100, 9), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), CXL(B, 8, 0, 5, 9, BUY, FOK));

	DEPTH(INST, SELL, "100:8:2 101:5:1");
	DEPTH(INST, BUY, "");
	QUEUE(INST, SELL, 100, "1 2");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
	COUNT(3);
	assert_int_equal(nx_book_order_by_cl(f->b, B, 7, &oi), -ENOENT);

	/* the client id is free again, no trade id was used, oids 4 and 5 were */
	o = lim(B, 7, BUY, 100, 6);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 6),
	       MATCH(1, 100, 5, 1, A, 1, 0, 5, 6, B, 7, 1, 5, BUY),
	       MATCH(2, 100, 1, 2, A, 2, 2, 1, 6, B, 7, 0, 6, BUY),
	       LVL(SELL, 100, 2, 1));
}

/* ========================================================================= */
/* Market orders                                                              */
/* ========================================================================= */

static void test_market_sweeps_to_protection_price(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 2);
	put(f, A, 2, SELL, 103, 2);
	put(f, A, 3, SELL, 105, 2); /* 100 + band 5 * tick 1: last price reached */
	put(f, A, 4, SELL, 106, 2);
	o = mkt(B, 9, BUY, 10);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5),
	       MATCH(1, 100, 2, 1, A, 1, 0, 2, 5, B, 9, 8, 2, BUY),
	       MATCH(2, 103, 2, 2, A, 2, 0, 2, 5, B, 9, 6, 4, BUY),
	       MATCH(3, 105, 2, 3, A, 3, 0, 2, 5, B, 9, 4, 6, BUY),
	       CXL(B, 9, 0, 5, 4, BUY, MARKET_PROTECTION),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 103, 0, 0), LVL(SELL, 105, 0, 0));
	DEPTH(INST, SELL, "106:2:1");
	DEPTH(INST, BUY, "");
	COUNT(1);
}

static void test_market_sell_band(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 2);
	put(f, A, 2, BUY, 96, 2);
	put(f, A, 3, BUY, 94, 2); /* below 100 - 5 */
	o = mkt(B, 9, SELL, 5);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(1, 100, 2, 1, A, 1, 0, 2, 4, B, 9, 3, 2, SELL),
	       MATCH(2, 96, 2, 2, A, 2, 0, 2, 4, B, 9, 1, 4, SELL),
	       CXL(B, 9, 0, 4, 1, SELL, MARKET_PROTECTION),
	       LVL(BUY, 100, 0, 0), LVL(BUY, 96, 0, 0));
	DEPTH(INST, BUY, "94:2:1");
}

static void test_market_band_in_ticks(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	/* INST2: tick 5, band 2 ticks: protection = 100 + 10 */
	o = lim2(A, 1, SELL, 100, 20);
	put_o(f, &o);
	o = lim2(A, 2, SELL, 110, 20);
	put_o(f, &o);
	o = lim2(A, 3, SELL, 115, 20);
	put_o(f, &o);
	o = mkt(B, 9, BUY, 60);
	o.inst = INST2;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCHI(INST2, 1, 100, 20, 1, A, 1, 0, 20, 4, B, 9, 40, 20, BUY),
	       MATCHI(INST2, 2, 110, 20, 2, A, 2, 0, 20, 4, B, 9, 20, 40, BUY),
	       bh_cxl(B, INST2, 9, 0, 4, 20, BUY, NX_CXL_MARKET_PROTECTION),
	       bh_lvl(INST2, SELL, 100, 0, 0), bh_lvl(INST2, SELL, 110, 0, 0));
	DEPTH(INST2, SELL, "115:20:1");
}

static void test_market_filled_no_cancel(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = mkt(B, 2, BUY, 3);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 3, 1, A, 1, 2, 3, 2, B, 2, 0, 3, BUY),
	       LVL(SELL, 100, 2, 1));
}

static void test_market_no_liquidity(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 5); /* own side has liquidity, opposite has none */
	o = mkt(B, 1, BUY, 5);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(B, 1, 0, 2, 5, BUY, NO_LIQUIDITY));
	o = mkt(B, 2, SELL, 10); /* takes the 5, the rest was not "no liquidity" */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), MATCH(1, 100, 5, 1, A, 1, 0, 5, 3, B, 2, 5, 5, SELL),
	       CXL(B, 2, 0, 3, 5, SELL, MARKET_PROTECTION), LVL(BUY, 100, 0, 0));
	o = mkt(B, 3, SELL, 1);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(B, 3, 0, 4, 1, SELL, NO_LIQUIDITY));
	COUNT(0);
}

static void test_market_gtc_read_as_ioc(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 2);
	o = with_tif(mkt(B, 5, BUY, 5), NX_TIF_GTC);
	assert_int_equal(do_new(f, &o), 0);
	/* bh_acc reports a market GTC as IOC, as the book does */
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 2, 1, A, 1, 0, 2, 2, B, 5, 3, 2, BUY),
	       CXL(B, 5, 0, 2, 3, BUY, MARKET_PROTECTION), LVL(SELL, 100, 0, 0));
	DEPTH(INST, BUY, "");
	COUNT(0);
}

static void test_market_protection_fixed_on_arrival(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(mkt(A, 2, BUY, 3), NX_STP_CO);

	put(f, A, 1, SELL, 100, 1);
	put(f, B, 1, SELL, 104, 1);
	put(f, B, 2, SELL, 106, 1); /* within 104 + 5, not within 100 + 5 */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 1, 0, 1, 1, SELL, SELF_TRADE),
	       MATCH(1, 104, 1, 2, B, 1, 0, 1, 4, A, 2, 2, 1, BUY),
	       CXL(A, 2, 0, 4, 2, BUY, MARKET_PROTECTION),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 104, 0, 0));
	DEPTH(INST, SELL, "106:1:1");
}

static void test_market_against_own_liquidity_only(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(mkt(A, 2, BUY, 5), NX_STP_CO);

	/* the side was not empty on arrival: MARKET_PROTECTION, not NO_LIQUIDITY */
	put(f, A, 1, SELL, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(A, 1, 0, 1, 2, SELL, SELF_TRADE),
	       CXL(A, 2, 0, 2, 5, BUY, MARKET_PROTECTION), LVL(SELL, 100, 0, 0));
	/* CN: the market order itself goes, nothing else */
	put(f, A, 3, SELL, 100, 2);
	o = with_stp(mkt(A, 4, BUY, 5), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 4, 0, 4, 5, BUY, SELF_TRADE));
}

static void test_market_fok(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 2);
	put(f, A, 2, SELL, 103, 2);
	put(f, A, 3, SELL, 106, 2); /* beyond the protection price 105 */
	o = with_tif(mkt(B, 7, BUY, 6), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(B, 7, 0, 4, 6, BUY, FOK));
	DEPTH(INST, SELL, "100:2:1 103:2:1 106:2:1");
	o = with_tif(mkt(B, 8, BUY, 4), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5),
	       MATCH(1, 100, 2, 1, A, 1, 0, 2, 5, B, 8, 2, 2, BUY),
	       MATCH(2, 103, 2, 2, A, 2, 0, 2, 5, B, 8, 0, 4, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 103, 0, 0));
	/* an empty opposite side: the FOK rule comes first, reason FOK */
	o = with_tif(mkt(B, 9, SELL, 1), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 6), CXL(B, 9, 0, 6, 1, SELL, FOK));
}

/* ========================================================================= */
/* Post-only                                                                  */
/* ========================================================================= */

static void test_post_only_rests(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 101, 5);
	o = lim(B, 1, BUY, 100, 5);
	o.post_only = 1;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), LVL(BUY, 100, 5, 1));
	ORDER(2, "oid=2 cl=1 acct=2 inst=7 side=1 px=100 leaves=5 vis=5 disp=0 cum=0 po=1 stp=1");
	o = lim(B, 2, SELL, 102, 5);
	o.post_only = 1;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), LVL(SELL, 102, 5, 1));
	o = lim2(B, 3, SELL, 200, 20); /* INST2: the opposite side is empty */
	o.post_only = 1;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), bh_lvl(INST2, SELL, 200, 20, 1));
	o = ice(B, 4, BUY, 99, 10, 2); /* a post-only iceberg */
	o.post_only = 1;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), LVL(BUY, 99, 2, 1));
}

static void test_post_only_would_take(void **state)
{
	struct fx *f = *state;
	static const struct { unsigned side; nx_px_t px; } cases[] = {
		{ BUY, 101 }, { BUY, 102 }, { SELL, 99 }, { SELL, 98 },
	};
	struct nx_new_order o;

	put(f, A, 1, SELL, 101, 5);
	put(f, A, 2, BUY, 99, 5);
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		o = lim(B, 10 + i, cases[i].side, cases[i].px, 5);
		o.post_only = 1;
		assert_int_equal(do_new(f, &o), NX_REJ_POST_ONLY_WOULD_TAKE);
		EXPECT(bh_rej_new(&o, NX_REJ_POST_ONLY_WOULD_TAKE));
	}
	DEPTH(INST, SELL, "101:5:1");
	DEPTH(INST, BUY, "99:5:1");
	COUNT(2);
	assert_int_equal(put(f, B, 1, BUY, 98, 1), 3); /* no oid consumed */
}

static void test_bad_post_only(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o[4];

	o[0] = with_tif(lim(B, 1, BUY, 100, 5), NX_TIF_IOC);
	o[1] = with_tif(lim(B, 2, BUY, 100, 5), NX_TIF_FOK);
	o[2] = mkt(B, 3, BUY, 5);
	o[3] = with_tif(mkt(B, 4, BUY, 5), NX_TIF_GTC);
	for (size_t i = 0; i < NX_ARRAY_SIZE(o); i++) {
		o[i].post_only = 1;
		assert_int_equal(do_new(f, &o[i]), NX_REJ_BAD_POST_ONLY);
		EXPECT(bh_rej_new(&o[i], NX_REJ_BAD_POST_ONLY));
	}
	COUNT(0);
}

/* ========================================================================= */
/* Icebergs                                                                   */
/* ========================================================================= */

static void test_iceberg_only_display_visible(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 1), LVL(SELL, 100, 3, 1));
	DEPTH(INST, SELL, "100:3:1");
	BBO(INST, "bid=0/0/0 ask=100/3/1");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=10 vis=3 disp=3 cum=0 po=0 stp=1");
	o = lim(B, 1, SELL, 100, 4);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), LVL(SELL, 100, 7, 2));
}

static void test_iceberg_refill_goes_to_back(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, B, 1, SELL, 100, 4);
	QUEUE(INST, SELL, 100, "1 2");
	o = lim(G1, 1, BUY, 100, 3);
	assert_int_equal(do_new(f, &o), 0);
	/* the level shows 3 + 4 in 2 orders before and after: no LEVEL event */
	EXPECT(bh_acc(&o, 3), MATCH(1, 100, 3, 1, A, 1, 7, 3, 3, G1, 1, 0, 3, BUY));
	QUEUE(INST, SELL, 100, "2 1");
	DEPTH(INST, SELL, "100:7:2");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=7 vis=3 disp=3 cum=3 po=0 stp=1");
}

static void test_iceberg_incoming_meets_refill_again(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, B, 1, SELL, 100, 2);
	o = lim(G1, 1, BUY, 100, 9);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(1, 100, 3, 1, A, 1, 7, 3, 3, G1, 1, 6, 3, BUY),
	       MATCH(2, 100, 2, 2, B, 1, 0, 2, 3, G1, 1, 4, 5, BUY),
	       MATCH(3, 100, 3, 1, A, 1, 4, 6, 3, G1, 1, 1, 8, BUY),
	       MATCH(4, 100, 1, 1, A, 1, 3, 7, 3, G1, 1, 0, 9, BUY),
	       LVL(SELL, 100, 2, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=3 vis=2 disp=3 cum=7 po=0 stp=1");
}

static void test_iceberg_last_refill_is_the_rest(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 8, 3);

	put_o(f, &o);
	o = lim(B, 1, BUY, 100, 6);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2),
	       MATCH(1, 100, 3, 1, A, 1, 5, 3, 2, B, 1, 3, 3, BUY),
	       MATCH(2, 100, 3, 1, A, 1, 2, 6, 2, B, 1, 0, 6, BUY),
	       LVL(SELL, 100, 2, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=2 vis=2 disp=3 cum=6 po=0 stp=1");
}

static void test_iceberg_incoming_takes_full_open(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = ice(B, 1, BUY, 100, 10, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 5, 1, A, 1, 0, 5, 2, B, 1, 5, 5, BUY),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 100, 2, 1));
	ORDER(2, "oid=2 cl=1 acct=2 inst=7 side=1 px=100 leaves=5 vis=2 disp=2 cum=5 po=0 stp=1");
	/* and as a resting buy iceberg it refills like a sell one */
	o = lim(G1, 1, SELL, 100, 3);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(2, 100, 2, 2, B, 1, 3, 7, 3, G1, 1, 1, 2, SELL),
	       MATCH(3, 100, 1, 2, B, 1, 2, 8, 3, G1, 1, 0, 3, SELL),
	       LVL(BUY, 100, 1, 1));
	ORDER(2, "oid=2 cl=1 acct=2 inst=7 side=1 px=100 leaves=2 vis=1 disp=2 cum=8 po=0 stp=1");
}

static void test_iceberg_display_not_below_qty(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 5, 5);

	/* display >= qty is allowed and means fully visible */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 1), LVL(SELL, 100, 5, 1));
	o = ice(A, 2, SELL, 101, 5, 8);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), LVL(SELL, 101, 5, 1));
	DEPTH(INST, SELL, "100:5:1 101:5:1");
}

static void test_iceberg_fok_counts_hidden(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	o = with_tif(lim(B, 1, BUY, 100, 11), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(B, 1, 0, 2, 11, BUY, FOK));
	o = with_tif(lim(B, 2, BUY, 100, 10), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(1, 100, 3, 1, A, 1, 7, 3, 3, B, 2, 7, 3, BUY),
	       MATCH(2, 100, 3, 1, A, 1, 4, 6, 3, B, 2, 4, 6, BUY),
	       MATCH(3, 100, 3, 1, A, 1, 1, 9, 3, B, 2, 1, 9, BUY),
	       MATCH(4, 100, 1, 1, A, 1, 0, 10, 3, B, 2, 0, 10, BUY),
	       LVL(SELL, 100, 0, 0));
	COUNT(0);
}

static void test_iceberg_exhausted_before_next_level(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 6, 2);

	put_o(f, &o);
	put(f, B, 1, SELL, 101, 5);
	o = lim(G1, 1, BUY, 101, 8);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(1, 100, 2, 1, A, 1, 4, 2, 3, G1, 1, 6, 2, BUY),
	       MATCH(2, 100, 2, 1, A, 1, 2, 4, 3, G1, 1, 4, 4, BUY),
	       MATCH(3, 100, 2, 1, A, 1, 0, 6, 3, G1, 1, 2, 6, BUY),
	       MATCH(4, 101, 2, 2, B, 1, 3, 2, 3, G1, 1, 0, 8, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 3, 1));
}

static void test_iceberg_replace_after_partial_fill(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, B, 1, SELL, 100, 1);
	o = lim(G1, 1, BUY, 100, 1); /* 1 off the slice: visible 2, no refill */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), MATCH(1, 100, 1, 1, A, 1, 9, 1, 3, G1, 1, 0, 1, BUY),
	       LVL(SELL, 100, 3, 2));
	/* smaller: keeps its place and its visible 2 */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 5), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 5, SELL, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=2 disp=3 cum=1 po=0 stp=1");
	/* down to the display: still 2 shown, 1 hidden */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 3, SELL, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=3 vis=2 disp=3 cum=1 po=0 stp=1");
	QUEUE(INST, SELL, 100, "1 2");
	/* 2 from the slice, the last 1 refills behind order 2 */
	o = lim(G1, 2, BUY, 100, 3);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(2, 100, 2, 1, A, 1, 1, 3, 4, G1, 2, 1, 2, BUY),
	       MATCH(3, 100, 1, 2, B, 1, 0, 1, 4, G1, 2, 0, 3, BUY),
	       LVL(SELL, 100, 1, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=1 vis=1 disp=3 cum=3 po=0 stp=1");
}

static void test_iceberg_replace(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, B, 1, SELL, 100, 1);
	/* smaller, same price: keeps its place; visible 3 = min(3, 5), level unchanged */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 5), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 5, SELL, 1));
	QUEUE(INST, SELL, 100, "1 2");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=3 disp=3 cum=0 po=0 stp=1");
	/* below the display: visible clipped */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 2), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 2, SELL, 1), LVL(SELL, 100, 3, 2));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=2 vis=2 disp=3 cum=0 po=0 stp=1");
	/* larger: back of the queue, visible min(display, open) */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 8), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 8, SELL, 0), LVL(SELL, 100, 4, 2));
	QUEUE(INST, SELL, 100, "2 1");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=8 vis=3 disp=3 cum=0 po=0 stp=1");
	/* new price: leaves 100 for 101 with its display */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 101, 8), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 101, 8, SELL, 0), LVL(SELL, 100, 1, 1),
	       LVL(SELL, 101, 3, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=101 leaves=8 vis=3 disp=3 cum=0 po=0 stp=1");
}

/* ========================================================================= */
/* Cancel                                                                     */
/* ========================================================================= */

static void test_cancel_by_oid_and_by_clid(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	put(f, A, 2, BUY, 100, 3);
	assert_int_equal(do_cancel(f, A, 50, 0, 1), 0);
	EXPECT(CXL(A, 1, 50, 1, 5, BUY, USER), LVL(BUY, 100, 3, 1));
	assert_int_equal(do_cancel(f, A, 51, 2, 0), 0);
	EXPECT(CXL(A, 2, 51, 2, 3, BUY, USER), LVL(BUY, 100, 0, 0));
	COUNT(0);
	ORDER(1, "none");
	/* finished orders are unknown */
	assert_int_equal(do_cancel(f, A, 52, 0, 1), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 52, 0, 1, CANCEL, UNKNOWN_ORDER));
	assert_int_equal(do_cancel(f, A, 53, 2, 0), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 53, 2, 0, CANCEL, UNKNOWN_ORDER));
	/* the client id is free again */
	assert_int_equal(put(f, A, 1, BUY, 100, 5), 3);
}

static void test_cancel_other_account_or_unknown(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	assert_int_equal(do_cancel(f, B, 9, 0, 1), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(B, 9, 0, 1, CANCEL, UNKNOWN_ORDER));
	assert_int_equal(do_cancel(f, B, 10, 1, 0), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(B, 10, 1, 0, CANCEL, UNKNOWN_ORDER));
	assert_int_equal(do_cancel(f, A, 11, 0, 999), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 11, 0, 999, CANCEL, UNKNOWN_ORDER));
	assert_int_equal(do_cancel(f, A, 12, 77, 0), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 12, 77, 0, CANCEL, UNKNOWN_ORDER));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=1 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
}

static void test_cancel_oid_wins_over_clid(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	put(f, A, 2, BUY, 99, 3);
	assert_int_equal(do_cancel(f, A, 60, 1, 2), 0);
	EXPECT(CXL(A, 2, 60, 2, 3, BUY, USER), LVL(BUY, 99, 0, 0));
	COUNT(1);
}

static void test_cancel_partial_iceberg_takes_all_open(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, G1, 1, BUY, 100, 4); /* 3 + 1: leaves 6, visible 2 */
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=6 vis=2 disp=3 cum=4 po=0 stp=1");
	assert_int_equal(do_cancel(f, A, 70, 0, 1), 0);
	EXPECT(CXL(A, 1, 70, 1, 6, SELL, USER), LVL(SELL, 100, 0, 0));
}

/* ========================================================================= */
/* Replace                                                                    */
/* ========================================================================= */

static void test_replace_decrease_keeps_priority(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	put(f, B, 1, BUY, 100, 5);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 3, BUY, 1), LVL(BUY, 100, 8, 2));
	QUEUE(INST, BUY, 100, "1 2");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=1 px=100 leaves=3 vis=3 disp=0 cum=0 po=0 stp=1");
	/* same quantity: still applied, nothing visible changed */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 3, BUY, 1));
	QUEUE(INST, BUY, 100, "1 2");
}

static void test_replace_new_clid(void **state)
{
	struct fx *f = *state;
	struct nx_order_info oi;

	put(f, A, 1, BUY, 100, 5);
	assert_int_equal(do_replace(f, A, 7, 1, 0, 100, 5), 0);
	EXPECT(bh_rep(A, INST, 7, 1, 1, 100, 5, BUY, 1));
	assert_int_equal(nx_book_order_by_cl(f->b, A, 7, &oi), 0);
	assert_int_equal(oi.oid, 1);
	assert_int_equal(nx_book_order_by_cl(f->b, A, 1, &oi), -ENOENT);
	assert_int_equal(put(f, A, 1, BUY, 99, 1), 2); /* old client id free */
	/* events name the order by its new client id */
	assert_int_equal(do_cancel(f, A, 8, 7, 0), 0);
	EXPECT(CXL(A, 7, 8, 1, 5, BUY, USER), LVL(BUY, 100, 0, 0));
}

static void test_replace_increase_loses_priority(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	put(f, B, 1, BUY, 100, 5);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 6), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 6, BUY, 0), LVL(BUY, 100, 11, 2));
	QUEUE(INST, BUY, 100, "2 1");
}

static void test_replace_price_change_loses_priority(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	put(f, B, 1, BUY, 100, 5);
	put(f, B, 2, BUY, 99, 5);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 99, 5), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 99, 5, BUY, 0), LVL(BUY, 100, 5, 1), LVL(BUY, 99, 10, 2));
	QUEUE(INST, BUY, 99, "3 1");
	/* back to 100 with less: a price change, so still the back */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 4), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 4, BUY, 0), LVL(BUY, 99, 5, 1), LVL(BUY, 100, 9, 2));
	QUEUE(INST, BUY, 100, "2 1");
}

static void test_replace_crossing_matches_as_aggressor(void **state)
{
	struct fx *f = *state;

	put(f, B, 5, BUY, 100, 7);
	put(f, A, 1, SELL, 100, 1); /* trade 1: order 1 has cum 1, leaves 6 */
	put(f, A, 2, SELL, 101, 4);
	put(f, A, 3, SELL, 102, 4);
	assert_int_equal(do_replace(f, B, 6, 0, 1, 102, 9), 0);
	EXPECT(bh_rep(B, INST, 6, 5, 1, 102, 9, BUY, 0),
	       MATCH(2, 101, 4, 3, A, 2, 0, 4, 1, B, 6, 5, 5, BUY),
	       MATCH(3, 102, 4, 4, A, 3, 0, 4, 1, B, 6, 1, 9, BUY),
	       LVL(BUY, 100, 0, 0), LVL(SELL, 101, 0, 0), LVL(SELL, 102, 0, 0),
	       LVL(BUY, 102, 1, 1));
	ORDER(1, "oid=1 cl=6 acct=2 inst=7 side=1 px=102 leaves=1 vis=1 disp=0 cum=9 po=0 stp=1");
}

static void test_replace_post_only_crossing_rejected(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(B, 1, BUY, 99, 5);

	put(f, A, 1, SELL, 101, 5);
	o.post_only = 1;
	put_o(f, &o);
	assert_int_equal(do_replace(f, B, 9, 0, 2, 101, 5), NX_REJ_POST_ONLY_WOULD_TAKE);
	EXPECT(REJI(B, 9, 0, 2, REPLACE, POST_ONLY_WOULD_TAKE));
	ORDER(2, "oid=2 cl=1 acct=2 inst=7 side=1 px=99 leaves=5 vis=5 disp=0 cum=0 po=1 stp=1");
	DEPTH(INST, SELL, "101:5:1");
	assert_int_equal(do_replace(f, B, 9, 0, 2, 100, 5), 0);
	EXPECT(bh_rep(B, INST, 9, 1, 2, 100, 5, BUY, 0), LVL(BUY, 99, 0, 0), LVL(BUY, 100, 5, 1));
}

static void test_replace_rejects(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 1, BUY, 100, 20); /* INST2: tick 5, lot 10, 20..1000 */
	static const struct { nx_clid_t cl; nx_px_t px; nx_qty_t qty; unsigned why; } cases[] = {
		{ 9, 100, 0, NX_REJ_BAD_QTY },
		{ 9, 100, -10, NX_REJ_BAD_QTY },
		{ 9, 100, 25, NX_REJ_QTY_NOT_LOT },
		{ 9, 100, 10, NX_REJ_QTY_BELOW_MIN },
		{ 9, 100, 1010, NX_REJ_QTY_ABOVE_MAX },
		{ 9, 0, 20, NX_REJ_BAD_PRICE },
		{ 9, -5, 20, NX_REJ_BAD_PRICE },
		{ 9, 102, 20, NX_REJ_PRICE_NOT_TICK },
		{ 2, 100, 20, NX_REJ_DUPLICATE_CLID }, /* live on order 2 of A */
		{ 9, 0, 0, NX_REJ_BAD_QTY },           /* quantity checked before price */
		{ 2, 0, 20, NX_REJ_BAD_PRICE },        /* price before client id */
	};

	put_o(f, &o);
	put(f, A, 2, BUY, 100, 5);
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		assert_int_equal(do_replace(f, A, cases[i].cl, 0, 1, cases[i].px, cases[i].qty),
				 cases[i].why);
		EXPECT(bh_rej(A, INST2, cases[i].cl, 0, 1, NX_REQ_REPLACE, cases[i].why));
	}
	assert_int_equal(do_replace(f, A, 9, 77, 0, 100, 20), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 9, 77, 0, REPLACE, UNKNOWN_ORDER));
	assert_int_equal(do_replace(f, B, 9, 0, 1, 100, 20), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(B, 9, 0, 1, REPLACE, UNKNOWN_ORDER));
	assert_int_equal(do_replace(f, B, 9, 1, 0, 100, 20), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(B, 9, 1, 0, REPLACE, UNKNOWN_ORDER));
	ORDER(1, "oid=1 cl=1 acct=1 inst=8 side=1 px=100 leaves=20 vis=20 disp=0 cum=0 po=0 stp=1");
	/* a valid one on INST2 */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 105, 30), 0);
	EXPECT(bh_rep(A, INST2, 1, 1, 1, 105, 30, BUY, 0), bh_lvl(INST2, BUY, 100, 0, 0),
	       bh_lvl(INST2, BUY, 105, 30, 1));
}

static void test_replace_price_window_without_itself(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 1);
	put(f, A, 2, BUY, 110, 1);
	/* without order 2 the side holds 100: window [37, 163] */
	assert_int_equal(do_replace(f, A, 2, 0, 2, 164, 1), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(REJI(A, 2, 0, 2, REPLACE, PRICE_OUT_OF_RANGE));
	assert_int_equal(do_replace(f, A, 2, 0, 2, 163, 1), 0);
	EXPECT(bh_rep(A, INST, 2, 2, 2, 163, 1, BUY, 0), LVL(BUY, 110, 0, 0), LVL(BUY, 163, 1, 1));
	/* order 1 leaving 100 is judged against 163 alone: [100, 226] */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 227, 1), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, PRICE_OUT_OF_RANGE));
	assert_int_equal(do_replace(f, A, 1, 0, 1, 226, 1), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 226, 1, BUY, 0), LVL(BUY, 100, 0, 0), LVL(BUY, 226, 1, 1));
	DEPTH(INST, BUY, "226:1:1 163:1:1");
}

static void test_replace_while_halted(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	EXPECT_NONE();
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), NX_REJ_INSTRUMENT_HALTED);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, INSTRUMENT_HALTED));
	assert_int_equal(do_replace(f, A, 1, 0, 9, 100, 3), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 1, 0, 9, REPLACE, UNKNOWN_ORDER));
	assert_int_equal(do_status(f, INST, NX_STATUS_CLOSED, 0), 0);
	EXPECT_NONE();
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), NX_REJ_INSTRUMENT_CLOSED);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, INSTRUMENT_CLOSED));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=1 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 3, BUY, 1), LVL(BUY, 100, 3, 1));
}

/* ========================================================================= */
/* Self-trade prevention                                                      */
/* ========================================================================= */

static void test_stp_none_trades_with_itself(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = lim(A, 2, BUY, 100, 5);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 5, 1, A, 1, 0, 5, 2, A, 2, 0, 5, BUY),
	       LVL(SELL, 100, 0, 0));
}

/* B 3 @100, A 5 @100 (same group as the incoming A), B 5 @101. */
static void stp_setup(struct fx *f)
{
	put(f, B, 1, SELL, 100, 3);
	put(f, A, 1, SELL, 100, 5);
	put(f, B, 2, SELL, 101, 5);
}

static void test_stp_cn(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 101, 10), NX_STP_CN);

	stp_setup(f);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(1, 100, 3, 1, B, 1, 0, 3, 4, A, 2, 7, 3, BUY),
	       CXL(A, 2, 0, 4, 7, BUY, SELF_TRADE), LVL(SELL, 100, 5, 1));
	DEPTH(INST, SELL, "100:5:1 101:5:1");
	DEPTH(INST, BUY, "");
	ORDER(2, "oid=2 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
}

static void test_stp_co(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 101, 10), NX_STP_CO);

	stp_setup(f);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(1, 100, 3, 1, B, 1, 0, 3, 4, A, 2, 7, 3, BUY),
	       CXL(A, 1, 0, 2, 5, SELL, SELF_TRADE),
	       MATCH(2, 101, 5, 3, B, 2, 0, 5, 4, A, 2, 2, 8, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 0, 0), LVL(BUY, 101, 2, 1));
	ORDER(4, "oid=4 cl=2 acct=1 inst=7 side=1 px=101 leaves=2 vis=2 disp=0 cum=8 po=0 stp=3");
}

static void test_stp_cb(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 101, 10), NX_STP_CB);

	stp_setup(f);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(1, 100, 3, 1, B, 1, 0, 3, 4, A, 2, 7, 3, BUY),
	       CXL(A, 1, 0, 2, 5, SELL, SELF_TRADE), CXL(A, 2, 0, 4, 7, BUY, SELF_TRADE),
	       LVL(SELL, 100, 0, 0));
	DEPTH(INST, SELL, "101:5:1");
	DEPTH(INST, BUY, "");
}

static void test_stp_dc_resting_larger(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 100, 4), NX_STP_DC);

	put(f, A, 1, SELL, 100, 10);
	put(f, B, 1, SELL, 100, 1);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), RED(A, 1, 1, 4, 6, SELL), CXL(A, 2, 0, 3, 4, BUY, SELF_TRADE),
	       LVL(SELL, 100, 7, 2));
	QUEUE(INST, SELL, 100, "1 2");
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=6 vis=6 disp=0 cum=0 po=0 stp=1");
}

static void test_stp_dc_incoming_larger(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 100, 10), NX_STP_DC);

	put(f, A, 1, SELL, 100, 4);
	put(f, B, 1, SELL, 100, 3);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(A, 1, 0, 1, 4, SELL, SELF_TRADE), RED(A, 2, 3, 4, 6, BUY),
	       MATCH(1, 100, 3, 2, B, 1, 0, 3, 3, A, 2, 3, 3, BUY),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 100, 3, 1));
	ORDER(3, "oid=3 cl=2 acct=1 inst=7 side=1 px=100 leaves=3 vis=3 disp=0 cum=3 po=0 stp=5");
}

static void test_stp_dc_then_ioc_remainder(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_tif(with_stp(lim(A, 2, BUY, 100, 5), NX_STP_DC), NX_TIF_IOC);

	put(f, A, 1, SELL, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(A, 1, 0, 1, 2, SELL, SELF_TRADE), RED(A, 2, 2, 2, 3, BUY),
	       CXL(A, 2, 0, 2, 3, BUY, IOC), LVL(SELL, 100, 0, 0));
	COUNT(0);
}

static void test_stp_dc_equal(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 100, 4), NX_STP_DC);

	put(f, A, 1, SELL, 100, 4);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(A, 1, 0, 1, 4, SELL, SELF_TRADE),
	       CXL(A, 2, 0, 2, 4, BUY, SELF_TRADE), LVL(SELL, 100, 0, 0));
	COUNT(0);
}

static void test_stp_dc_iceberg(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	/* 4 off the open 10: visible stays 3, so no LEVEL */
	o = with_stp(lim(A, 2, BUY, 100, 4), NX_STP_DC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), RED(A, 1, 1, 4, 6, SELL), CXL(A, 2, 0, 2, 4, BUY, SELF_TRADE));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=6 vis=3 disp=3 cum=0 po=0 stp=1");
	/* 4 more: open 2, visible clipped to 2 */
	o = with_stp(lim(A, 3, BUY, 100, 4), NX_STP_DC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), RED(A, 1, 1, 4, 2, SELL), CXL(A, 3, 0, 3, 4, BUY, SELF_TRADE),
	       LVL(SELL, 100, 2, 1));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=2 vis=2 disp=3 cum=0 po=0 stp=1");
}

static void test_stp_dc_incoming_iceberg(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(ice(A, 2, BUY, 100, 10, 3), NX_STP_DC);

	put(f, A, 1, SELL, 100, 4);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(A, 1, 0, 1, 4, SELL, SELF_TRADE), RED(A, 2, 2, 4, 6, BUY),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 100, 3, 1));
	ORDER(2, "oid=2 cl=2 acct=1 inst=7 side=1 px=100 leaves=6 vis=3 disp=3 cum=0 po=0 stp=5");
}

static void test_stp_co_cn_iceberg(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	put(f, B, 1, SELL, 100, 2);
	/* CN: the incoming order goes, the iceberg stays */
	o = with_stp(lim(A, 2, BUY, 100, 5), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(A, 2, 0, 3, 5, BUY, SELF_TRADE));
	/* CO: all of the iceberg goes, hidden included */
	o = with_stp(lim(A, 3, BUY, 100, 5), NX_STP_CO);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 1, 0, 1, 10, SELL, SELF_TRADE),
	       MATCH(1, 100, 2, 2, B, 1, 0, 2, 4, A, 3, 3, 2, BUY),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 100, 3, 1));
}

static void test_stp_shared_group(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, G1, 1, SELL, 100, 5);
	o = with_stp(lim(G2, 1, BUY, 100, 5), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(G2, 1, 0, 2, 5, BUY, SELF_TRADE));
	o = with_stp(lim(A, 1, BUY, 100, 2), NX_STP_CN); /* another group: trades */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), MATCH(1, 100, 2, 1, G1, 1, 3, 2, 3, A, 1, 0, 2, BUY),
	       LVL(SELL, 100, 3, 1));
	o = lim(G2, 2, BUY, 100, 3); /* NONE: the group trades with itself */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(2, 100, 3, 1, G1, 1, 0, 5, 4, G2, 2, 0, 3, BUY),
	       LVL(SELL, 100, 0, 0));
}

static void test_stp_group_zero_is_account_id(void **state)
{
	struct fx *f = *state;
	const struct nx_account acct9 = { .id = 9, .stp_group = A }; /* A has group 0 */
	struct nx_new_order o;

	assert_int_equal(nx_book_add_account(f->b, &acct9), 0);
	put(f, A, 1, SELL, 100, 5);
	o = with_stp(lim(9, 1, BUY, 100, 5), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), CXL(9, 1, 0, 2, 5, BUY, SELF_TRADE));
}

static void test_stp_account_default_vs_order(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, DCN, 1, SELL, 100, 5);
	/* DEFAULT: the account's CN, reported resolved */
	o = with_stp(lim(DCN, 2, BUY, 100, 5), NX_STP_DEFAULT);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(acc_stp(&o, 2, NX_STP_CN), bh_cxl(DCN, INST, 2, 0, 2, 5, BUY, NX_CXL_SELF_TRADE));
	/* the order's own mode wins */
	o = lim(DCN, 3, BUY, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), MATCH(1, 100, 2, 1, DCN, 1, 3, 2, 3, DCN, 3, 0, 2, BUY),
	       LVL(SELL, 100, 3, 1));
	o = with_stp(lim(DCN, 4, BUY, 100, 1), NX_STP_CO);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), bh_cxl(DCN, INST, 1, 0, 1, 3, SELL, NX_CXL_SELF_TRADE),
	       LVL(SELL, 100, 0, 0), LVL(BUY, 100, 1, 1));
	/* an account whose default is 0 reads it as NONE */
	put(f, A, 1, SELL, 101, 1);
	o = with_stp(lim(A, 2, BUY, 101, 1), NX_STP_DEFAULT);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(acc_stp(&o, 6, NX_STP_NONE), MATCH(2, 101, 1, 5, A, 1, 0, 1, 6, A, 2, 0, 1, BUY),
	       LVL(SELL, 101, 0, 0));
	/* a resting order keeps its resolved mode */
	o = with_stp(lim(DCN, 5, BUY, 90, 1), NX_STP_DEFAULT);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(acc_stp(&o, 7, NX_STP_CN), LVL(BUY, 90, 1, 1));
	ORDER(7, "oid=7 cl=5 acct=5 inst=7 side=1 px=90 leaves=1 vis=1 disp=0 cum=0 po=0 stp=2");
}

static void test_stp_fok_none(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_tif(lim(A, 2, BUY, 101, 13), NX_TIF_FOK);

	stp_setup(f);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(1, 100, 3, 1, B, 1, 0, 3, 4, A, 2, 10, 3, BUY),
	       MATCH(2, 100, 5, 2, A, 1, 0, 5, 4, A, 2, 5, 8, BUY),
	       MATCH(3, 101, 5, 3, B, 2, 0, 5, 4, A, 2, 0, 13, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 0, 0));
}

/* CN, CB and DC stop counting at the first same-group order: 3 fillable. */
static void stp_fok_stops(struct fx *f, unsigned mode)
{
	struct nx_new_order o = with_stp(with_tif(lim(A, 2, BUY, 101, 4), NX_TIF_FOK), mode);

	stp_setup(f);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 2, 0, 4, 4, BUY, FOK));
	DEPTH(INST, SELL, "100:8:2 101:5:1");
	QUEUE(INST, SELL, 100, "1 2");
	ORDER(2, "oid=2 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
	o = with_stp(with_tif(lim(A, 3, BUY, 101, 3), NX_TIF_FOK), mode);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), MATCH(1, 100, 3, 1, B, 1, 0, 3, 5, A, 3, 0, 3, BUY),
	       LVL(SELL, 100, 5, 1));
}

static void test_stp_fok_cn(void **state) { stp_fok_stops(*state, NX_STP_CN); }
static void test_stp_fok_cb(void **state) { stp_fok_stops(*state, NX_STP_CB); }
static void test_stp_fok_dc(void **state) { stp_fok_stops(*state, NX_STP_DC); }

static void test_stp_fok_co(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(with_tif(lim(A, 2, BUY, 101, 9), NX_TIF_FOK), NX_STP_CO);

	stp_setup(f);
	/* CO skips its own 5: 3 + 5 fillable */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 2, 0, 4, 9, BUY, FOK));
	ORDER(2, "oid=2 cl=1 acct=1 inst=7 side=2 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
	o = with_stp(with_tif(lim(A, 3, BUY, 101, 8), NX_TIF_FOK), NX_STP_CO);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), MATCH(1, 100, 3, 1, B, 1, 0, 3, 5, A, 3, 5, 3, BUY),
	       CXL(A, 1, 0, 2, 5, SELL, SELF_TRADE),
	       MATCH(2, 101, 5, 3, B, 2, 0, 5, 5, A, 3, 0, 8, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 0, 0));
	COUNT(0);
}

static void test_stp_fok_stop_level_counts_visible_ahead(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(B, 1, SELL, 100, 10, 2);

	put_o(f, &o);
	put(f, A, 1, SELL, 100, 5);
	/* only the 2 shown ahead of A's order count: its refill would queue behind */
	o = with_stp(with_tif(lim(A, 2, BUY, 100, 3), NX_TIF_FOK), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(A, 2, 0, 3, 3, BUY, FOK));
	o = with_stp(with_tif(lim(A, 3, BUY, 100, 2), NX_TIF_FOK), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(1, 100, 2, 1, B, 1, 8, 2, 4, A, 3, 0, 2, BUY));
	QUEUE(INST, SELL, 100, "2 1");
}

static void test_stp_fok_earlier_level_counts_hidden(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(B, 1, SELL, 99, 10, 2);

	put_o(f, &o);
	put(f, A, 1, SELL, 100, 5);
	o = with_stp(with_tif(lim(A, 2, BUY, 100, 11), NX_TIF_FOK), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), CXL(A, 2, 0, 3, 11, BUY, FOK));
	o = with_stp(with_tif(lim(A, 3, BUY, 100, 10), NX_TIF_FOK), NX_STP_CN);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4),
	       MATCH(1, 99, 2, 1, B, 1, 8, 2, 4, A, 3, 8, 2, BUY),
	       MATCH(2, 99, 2, 1, B, 1, 6, 4, 4, A, 3, 6, 4, BUY),
	       MATCH(3, 99, 2, 1, B, 1, 4, 6, 4, A, 3, 4, 6, BUY),
	       MATCH(4, 99, 2, 1, B, 1, 2, 8, 4, A, 3, 2, 8, BUY),
	       MATCH(5, 99, 2, 1, B, 1, 0, 10, 4, A, 3, 0, 10, BUY),
	       LVL(SELL, 99, 0, 0));
	DEPTH(INST, SELL, "100:5:1");
}

static void test_stp_replace_crossing_uses_own_mode(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = with_stp(lim(A, 2, BUY, 100, 5), NX_STP_CN);

	put(f, A, 1, SELL, 101, 5);
	put_o(f, &o);
	assert_int_equal(do_replace(f, A, 2, 0, 2, 101, 5), 0);
	EXPECT(bh_rep(A, INST, 2, 2, 2, 101, 5, BUY, 0), CXL(A, 2, 0, 2, 5, BUY, SELF_TRADE),
	       LVL(BUY, 100, 0, 0));
	ORDER(2, "none");
	DEPTH(INST, SELL, "101:5:1");
	DEPTH(INST, BUY, "");
}

/* ========================================================================= */
/* Mass cancel                                                                */
/* ========================================================================= */

/* A: 1 B@100 (oid 1), 2 S@105 (2), INST2 20 B@100 (4), 4 B@101 (5); B: 3 B@100 (3). */
static void mass_setup(struct fx *f)
{
	struct nx_new_order o = lim2(A, 3, BUY, 100, 20);

	put(f, A, 1, BUY, 100, 1);
	put(f, A, 2, SELL, 105, 2);
	put(f, B, 1, BUY, 100, 3);
	put_o(f, &o);
	put(f, A, 4, BUY, 101, 4);
}

static void test_mass_cancel_all(void **state)
{
	struct fx *f = *state;

	mass_setup(f);
	assert_int_equal(do_mass(f, A, 77, 0, 0), 0);
	EXPECT(CXL(A, 1, 77, 1, 1, BUY, MASS_CANCEL), CXL(A, 2, 77, 2, 2, SELL, MASS_CANCEL),
	       bh_cxl(A, INST2, 3, 77, 4, 20, BUY, NX_CXL_MASS_CANCEL),
	       CXL(A, 4, 77, 5, 4, BUY, MASS_CANCEL), bh_mass(A, 0, 77, 4, 0),
	       LVL(BUY, 100, 3, 1), LVL(SELL, 105, 0, 0), bh_lvl(INST2, BUY, 100, 0, 0),
	       LVL(BUY, 101, 0, 0));
	COUNT(1);
	ORDER(3, "oid=3 cl=1 acct=2 inst=7 side=1 px=100 leaves=3 vis=3 disp=0 cum=0 po=0 stp=1");
}

static void test_mass_cancel_by_instrument_and_side(void **state)
{
	struct fx *f = *state;

	mass_setup(f);
	assert_int_equal(do_mass(f, A, 78, INST2, 0), 0);
	EXPECT(bh_cxl(A, INST2, 3, 78, 4, 20, BUY, NX_CXL_MASS_CANCEL), bh_mass(A, INST2, 78, 1, 0),
	       bh_lvl(INST2, BUY, 100, 0, 0));
	assert_int_equal(do_mass(f, A, 79, INST, SELL), 0);
	EXPECT(CXL(A, 2, 79, 2, 2, SELL, MASS_CANCEL), bh_mass(A, INST, 79, 1, SELL),
	       LVL(SELL, 105, 0, 0));
	assert_int_equal(do_mass(f, A, 80, 0, BUY), 0);
	EXPECT(CXL(A, 1, 80, 1, 1, BUY, MASS_CANCEL), CXL(A, 4, 80, 5, 4, BUY, MASS_CANCEL),
	       bh_mass(A, 0, 80, 2, BUY), LVL(BUY, 100, 3, 1), LVL(BUY, 101, 0, 0));
	COUNT(1);
}

static void test_mass_cancel_nothing_and_rejects(void **state)
{
	struct fx *f = *state;

	mass_setup(f);
	assert_int_equal(do_mass(f, G1, 81, 0, 0), 0);
	EXPECT(bh_mass(G1, 0, 81, 0, 0));
	assert_int_equal(do_mass(f, 99, 82, 0, 0), NX_REJ_UNKNOWN_ACCOUNT);
	EXPECT(bh_rej(99, 0, 82, 0, 0, NX_REQ_MASS_CANCEL, NX_REJ_UNKNOWN_ACCOUNT));
	assert_int_equal(do_mass(f, A, 83, 55, 0), NX_REJ_UNKNOWN_INSTRUMENT);
	EXPECT(bh_rej(A, 55, 83, 0, 0, NX_REQ_MASS_CANCEL, NX_REJ_UNKNOWN_INSTRUMENT));
	assert_int_equal(do_mass(f, A, 84, 0, 3), NX_REJ_BAD_SIDE);
	EXPECT(bh_rej(A, 0, 84, 0, 0, NX_REQ_MASS_CANCEL, NX_REJ_BAD_SIDE));
	COUNT(5);
}

/* Venue order id order, not queue order, for mass cancel and halt. */
static void test_cancel_all_in_oid_order_after_replace(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 1);
	put(f, A, 2, BUY, 100, 2);
	put(f, A, 3, BUY, 101, 3);
	put(f, B, 1, BUY, 100, 4);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 5), 0); /* to the back */
	assert_int_equal(do_replace(f, A, 3, 0, 3, 99, 3), 0);
	QUEUE(INST, BUY, 100, "2 4 1");
	assert_int_equal(do_mass(f, A, 9, 0, 0), 0);
	EXPECT(CXL(A, 1, 9, 1, 5, BUY, MASS_CANCEL), CXL(A, 2, 9, 2, 2, BUY, MASS_CANCEL),
	       CXL(A, 3, 9, 3, 3, BUY, MASS_CANCEL), bh_mass(A, 0, 9, 3, 0),
	       LVL(BUY, 100, 4, 1), LVL(BUY, 99, 0, 0));
	put(f, A, 4, BUY, 100, 1);
	put(f, A, 5, BUY, 99, 1);
	assert_int_equal(do_replace(f, B, 1, 0, 4, 99, 4), 0);
	QUEUE(INST, BUY, 99, "6 4");
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 1), 0);
	EXPECT(CXL(B, 1, 0, 4, 4, BUY, HALT), CXL(A, 4, 0, 5, 1, BUY, HALT),
	       CXL(A, 5, 0, 6, 1, BUY, HALT), LVL(BUY, 99, 0, 0), LVL(BUY, 100, 0, 0));
}

static void test_mass_cancel_iceberg_while_halted(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	assert_int_equal(do_mass(f, A, 5, INST, 0), 0);
	EXPECT(CXL(A, 1, 5, 1, 10, SELL, MASS_CANCEL), bh_mass(A, INST, 5, 1, 0),
	       LVL(SELL, 100, 0, 0));
}

/* ========================================================================= */
/* Instrument status                                                          */
/* ========================================================================= */

static void test_status_halt_rejects_new_allows_cancel(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;
	struct nx_instrument in;

	put(f, A, 1, BUY, 100, 5);
	put(f, A, 2, BUY, 99, 5);
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	EXPECT_NONE();
	assert_int_equal(nx_book_instrument(f->b, INST, &in), 0);
	assert_int_equal(in.status, NX_STATUS_HALTED);
	DEPTH(INST, BUY, "100:5:1 99:5:1");
	o = lim(B, 1, SELL, 100, 5);
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_HALTED);
	EXPECT(bh_rej_new(&o, NX_REJ_INSTRUMENT_HALTED));
	o = mkt(B, 2, SELL, 5);
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_HALTED);
	EXPECT(bh_rej_new(&o, NX_REJ_INSTRUMENT_HALTED));
	assert_int_equal(do_cancel(f, A, 9, 0, 1), 0);
	EXPECT(CXL(A, 1, 9, 1, 5, BUY, USER), LVL(BUY, 100, 0, 0));
	/* the other instrument trades on */
	o = lim2(B, 3, SELL, 100, 20);
	assert_int_equal(do_new(f, &o), 0);
	/* reopened */
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	EXPECT_NONE();
	o = lim(B, 4, SELL, 99, 5);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(1, 99, 5, 2, A, 2, 0, 5, 4, B, 4, 0, 5, SELL),
	       LVL(BUY, 99, 0, 0));
}

static void test_status_closed(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 5);

	assert_int_equal(do_status(f, INST, NX_STATUS_CLOSED, 0), 0);
	EXPECT_NONE();
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_CLOSED);
	EXPECT(bh_rej_new(&o, NX_REJ_INSTRUMENT_CLOSED));
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 1), LVL(BUY, 100, 5, 1));
}

static void test_status_cancel_resting(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 4, BUY, 100, 20);

	put(f, A, 1, BUY, 100, 5);
	put(f, B, 1, SELL, 105, 2);
	o = ice(A, 2, BUY, 99, 9, 3);
	put_o(f, &o);
	o = lim2(A, 4, BUY, 100, 20);
	put_o(f, &o);
	put(f, A, 3, BUY, 100, 1);
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 1), 0);
	EXPECT(CXL(A, 1, 0, 1, 5, BUY, HALT), CXL(B, 1, 0, 2, 2, SELL, HALT),
	       CXL(A, 2, 0, 3, 9, BUY, HALT), CXL(A, 3, 0, 5, 1, BUY, HALT),
	       LVL(BUY, 100, 0, 0), LVL(SELL, 105, 0, 0), LVL(BUY, 99, 0, 0));
	COUNT(1);
	DEPTH(INST, BUY, "");
	DEPTH(INST2, BUY, "100:20:1");
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 1), 0); /* nothing left */
	EXPECT_NONE();
}

static void test_status_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(do_status(f, 99, NX_STATUS_HALTED, 0), -ENOENT);
	assert_int_equal(do_status(f, INST, 0, 0), -EINVAL);
	assert_int_equal(do_status(f, INST, 4, 1), -EINVAL);
	EXPECT_NONE();
}

/* ========================================================================= */
/* Capacities and configuration                                               */
/* ========================================================================= */

static void test_max_orders(void **state) /* max_orders 3 */
{
	struct fx *f = *state;
	struct nx_new_order o[4], x;

	put(f, A, 1, BUY, 100, 1);
	put(f, A, 2, BUY, 99, 1);
	put(f, A, 3, BUY, 98, 1);
	o[0] = lim(A, 4, BUY, 97, 1);
	o[1] = with_tif(lim(B, 1, SELL, 105, 1), NX_TIF_IOC); /* every order needs a slot */
	o[2] = mkt(B, 2, SELL, 1);
	o[3] = lim(B, 3, SELL, 100, 1);
	o[3].post_only = 1; /* the slot is checked before post-only crossing */
	for (size_t i = 0; i < NX_ARRAY_SIZE(o); i++) {
		assert_int_equal(do_new(f, &o[i]), NX_REJ_ORDER_CAPACITY);
		EXPECT(bh_rej_new(&o[i], NX_REJ_ORDER_CAPACITY));
	}
	DEPTH(INST, BUY, "100:1:1 99:1:1 98:1:1");
	assert_int_equal(do_cancel(f, A, 9, 0, 2), 0);
	assert_int_equal(do_new(f, &o[0]), 0);
	EXPECT(bh_acc(&o[0], 4), LVL(BUY, 97, 1, 1));
	COUNT(3);
	/* orders that do not rest give their slot back */
	assert_int_equal(do_cancel(f, A, 10, 0, 4), 0);
	assert_int_equal(do_new(f, &o[1]), 0);
	EXPECT(bh_acc(&o[1], 5), CXL(B, 1, 0, 5, 1, SELL, IOC));
	x = lim(B, 5, SELL, 100, 1); /* fills completely */
	assert_int_equal(do_new(f, &x), 0);
	COUNT(1);
	x = lim(B, 6, SELL, 200, 1);
	put_o(f, &x);
	x = lim(B, 7, SELL, 201, 1);
	put_o(f, &x);
	COUNT(3);
	x = lim(B, 8, SELL, 202, 1);
	assert_int_equal(do_new(f, &x), NX_REJ_ORDER_CAPACITY);
}

static void test_price_window_new_orders(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 1);
	/* the side holds 100: window [37, 163] */
	o = lim(A, 2, BUY, 164, 1);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	o = lim(A, 2, BUY, 36, 1);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	o = lim(A, 2, BUY, 37, 1);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), LVL(BUY, 37, 1, 1));
	/* now [37, 100] */
	o = lim(A, 3, BUY, 101, 1);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	o = lim(A, 3, BUY, 100, 1);
	assert_int_equal(do_new(f, &o), 0);
	/* orders that cannot rest are not held to the window */
	o = with_tif(lim(A, 4, BUY, 500, 1), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), CXL(A, 4, 0, 4, 1, BUY, IOC));
	o = with_tif(lim(A, 5, BUY, 500, 1), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), CXL(A, 5, 0, 5, 1, BUY, FOK));
	/* an empty side takes any price; then its window follows */
	put(f, B, 1, SELL, 1000000, 1);
	o = lim(B, 2, SELL, 1000064, 1);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	o = lim(B, 2, SELL, 1000063, 1);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 7), LVL(SELL, 1000063, 1, 1));
}

static void test_price_window_judged_on_arrival(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 1);
	put(f, B, 1, SELL, 150, 1);
	/* would take 150, then rest at 170: outside [37, 163] on arrival */
	o = lim(G1, 1, BUY, 170, 5);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	DEPTH(INST, SELL, "150:1:1");
	/* window in ticks: INST2 has tick 5, so 64 ticks = 320 */
	o = lim2(A, 11, SELL, 1000, 20);
	put_o(f, &o);
	o = lim2(A, 12, SELL, 1320, 20);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	EXPECT(bh_rej_new(&o, NX_REJ_PRICE_OUT_OF_RANGE));
	o = lim2(A, 12, SELL, 1315, 20);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), bh_lvl(INST2, SELL, 1315, 20, 1));
}

static void test_accounts_and_instruments_capacity(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 2, .max_accounts = 2,
					    .max_orders = 8, .ladder_ticks = LADDER };
	size_t sz = nx_book_memsize(&cfg);
	void *mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
	struct bh_rec *r = calloc(1, sizeof(*r));
	struct nx_book *b = nx_book_init(mem, sz, &cfg, bh_rec_sink, r);
	struct nx_instrument in = { .id = 1, .symbol = "X" };
	struct nx_account a = { .id = 0 };

	(void)state;
	assert_non_null(b);
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_instrument(b, &in), -EEXIST);
	in.tick = 0;
	in.id = 2;
	assert_int_equal(nx_book_add_instrument(b, &in), -EINVAL);
	in.tick = 1;
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	in.id = 3;
	assert_int_equal(nx_book_add_instrument(b, &in), -ENOSPC);

	assert_int_equal(nx_book_add_account(b, &a), -EINVAL); /* id 0 */
	a.id = 1;
	a.stp = 6; /* not an enum nx_stp */
	assert_int_equal(nx_book_add_account(b, &a), -EINVAL);
	a.stp = NX_STP_DC;
	assert_int_equal(nx_book_add_account(b, &a), 0);
	assert_int_equal(nx_book_add_account(b, &a), -EEXIST);
	a.id = 2;
	assert_int_equal(nx_book_add_account(b, &a), 0);
	a.id = 3;
	assert_int_equal(nx_book_add_account(b, &a), -ENOSPC);
	assert_int_equal(r->n, 0);
	free(mem);
	free(r);
}

static void test_config_invalid(void **state)
{
	const struct nx_book_config good = { .max_instruments = 1, .max_accounts = 1,
					     .max_orders = 1, .ladder_ticks = 64 };
	struct nx_book_config bad[12];
	size_t n = 0, sz;
	struct bh_rec *r = calloc(1, sizeof(*r));
	char *mem;

	(void)state;
	for (int i = 0; i < 12; i++)
		bad[i] = good;
	bad[n++].max_instruments = 0;
	bad[n++].max_accounts = 0;
	bad[n++].max_orders = 0;
	bad[n++].max_orders = UINT32_C(1) << 31;
	bad[n++].max_orders = UINT32_MAX;
	bad[n++].ladder_ticks = 0;
	bad[n++].ladder_ticks = 32;
	bad[n++].ladder_ticks = 63;
	bad[n++].ladder_ticks = 65;
	bad[n++].ladder_ticks = 96;
	bad[n++].ladder_ticks = UINT32_C(1) << 23;
	bad[n++].ladder_ticks = UINT32_MAX;
	sz = nx_book_memsize(&good);
	assert_true(sz > 0);
	mem = aligned_alloc(NX_CACHE_LINE, sz + 2 * NX_CACHE_LINE);
	assert_non_null(mem);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(nx_book_memsize(&bad[i]), 0);
		errno = 0;
		assert_null(nx_book_init(mem, sz + NX_CACHE_LINE, &bad[i], bh_rec_sink, r));
		assert_int_equal(errno, EINVAL);
		errno = 0;
		assert_null(nx_book_create(&bad[i], bh_rec_sink, r));
		assert_int_equal(errno, EINVAL);
	}
	errno = 0;
	assert_null(nx_book_init(mem, sz, &good, NULL, r));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_book_init(mem + 8, sz, &good, bh_rec_sink, r)); /* misaligned */
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_book_init(mem, sz - 1, &good, bh_rec_sink, r)); /* short */
	assert_int_equal(errno, EINVAL);
	/* the edges that are valid */
	bad[0] = good;
	bad[0].ladder_ticks = UINT32_C(1) << 22;
	assert_true(nx_book_memsize(&bad[0]) > 0);
	assert_non_null(nx_book_init(mem, sz, &good, bh_rec_sink, r));
	nx_book_destroy(NULL);
	free(mem);
	free(r);
}

static void test_create_destroy_set_sink(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 1, .max_accounts = 1,
					    .max_orders = 4, .ladder_ticks = 64 };
	struct bh_rec *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));
	struct nx_book *b = nx_book_create(&cfg, bh_rec_sink, r1);
	struct nx_instrument in = { .id = 3, .symbol = "Y" };
	const struct nx_account a = { .id = 1 };
	struct nx_new_order o = lim(1, 1, BUY, 10, 1);

	(void)state;
	assert_non_null(b);
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &a), 0);
	o.inst = 3;
	assert_int_equal(nx_book_new_order(b, &o), 0);
	assert_int_equal(r1->n, 2);
	nx_book_set_sink(b, bh_rec_sink, r2);
	o.cl = 2;
	assert_int_equal(nx_book_new_order(b, &o), 0);
	assert_int_equal(r1->n, 2);
	BH_EXPECT(r2, bh_acc(&o, 2), bh_lvl(3, BUY, 10, 2, 2));
	nx_book_destroy(b);
	free(r1);
	free(r2);
}

/* Prices and bands at the edges of int64: no overflow (UBSan build), and the
 * protection price saturates rather than wraps. */
static void test_extreme_prices(void **state)
{
	struct fx *f = *state;
	struct nx_instrument in = { .id = 20, .symbol = "BIG", .tick = 1000000000,
				    .band_ticks = 1000000000000 }; /* band * tick > INT64_MAX */
	struct nx_new_order o;

	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(f->b, &in), 0);
	o = lim(A, 1, SELL, 1000000000000, 4);
	o.inst = 20;
	put_o(f, &o);
	o = mkt(B, 1, BUY, 1);
	o.inst = 20;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCHI(20, 1, 1000000000000, 1, 1, A, 1, 3, 1, 2, B, 1, 0, 1, BUY),
	       bh_lvl(20, SELL, 1000000000000, 3, 1));

	put(f, A, 2, SELL, INT64_MAX, 1);
	put(f, A, 3, SELL, INT64_MAX - 1, 1);
	DEPTH(INST, SELL, "9223372036854775806:1:1 9223372036854775807:1:1");
	o = mkt(B, 2, BUY, 3); /* best + 5 saturates: takes both */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5),
	       MATCH(2, INT64_MAX - 1, 1, 4, A, 3, 0, 1, 5, B, 2, 2, 1, BUY),
	       MATCH(3, INT64_MAX, 1, 3, A, 2, 0, 1, 5, B, 2, 1, 2, BUY),
	       CXL(B, 2, 0, 5, 1, BUY, MARKET_PROTECTION),
	       LVL(SELL, INT64_MAX - 1, 0, 0), LVL(SELL, INT64_MAX, 0, 0));
	put(f, A, 4, BUY, 1, 1);
	o = mkt(B, 3, SELL, 2); /* 1 - 5 is below any price: takes the 1 */
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 7), MATCH(4, 1, 1, 6, A, 4, 0, 1, 7, B, 3, 1, 1, SELL),
	       CXL(B, 3, 0, 7, 1, SELL, MARKET_PROTECTION), LVL(BUY, 1, 0, 0));
	o = lim(B, 4, SELL, INT64_MAX, 1000000); /* max qty at the top price */
	put_o(f, &o);
	o = lim(B, 5, SELL, INT64_MAX - 63, 1000000);
	put_o(f, &o);
	o = lim(B, 6, SELL, INT64_MAX - 64, 1);
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	DEPTH(INST, SELL, "9223372036854775744:1000000:1 9223372036854775807:1000000:1");
}

/* ========================================================================= */
/* Every reject reason of a new order, and the order of the checks            */
/* ========================================================================= */

/* o is rejected with why, changes nothing and uses no venue order id. */
static void rej_case(struct fx *f, const struct nx_new_order *o, unsigned why, int line)
{
	uint32_t n = nx_book_order_count(f->b);
	int rc = do_new(f, o);

	if (rc != (int)why)
		print_error("line %d: got %d (%s), expected %u (%s)\n", line, rc,
			    nx_reject_name((unsigned)rc), why, nx_reject_name(why));
	assert_int_equal(rc, why);
	bh_expect(&f->r, (struct nx_event[]){ bh_rej_new(o, why) }, 1, __FILE__, line);
	assert_int_equal(nx_book_order_count(f->b), n);
}
#define REJECTED(o, why) rej_case(f, &(o), NX_REJ_##why, __LINE__)

static void test_rej_unknown_instrument(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 1);

	o.inst = 99;
	REJECTED(o, UNKNOWN_INSTRUMENT);
	o.inst = 0;
	REJECTED(o, UNKNOWN_INSTRUMENT);
	o.inst = 99;
	o.acct = 99; /* instrument checked first */
	REJECTED(o, UNKNOWN_INSTRUMENT);
	assert_int_equal(put(f, A, 1, BUY, 100, 1), 1);
}

static void test_rej_instrument_halted(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(99, 1, 9, 100, 0); /* bad everything after status */

	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	REJECTED(o, INSTRUMENT_HALTED);
}

static void test_rej_instrument_closed(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(99, 1, 9, 100, 0);

	assert_int_equal(do_status(f, INST, NX_STATUS_CLOSED, 0), 0);
	REJECTED(o, INSTRUMENT_CLOSED);
}

static void test_rej_unknown_account(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(99, 1, 9, 100, 1); /* bad side too */

	REJECTED(o, UNKNOWN_ACCOUNT);
	o.acct = 0;
	REJECTED(o, UNKNOWN_ACCOUNT);
}

static void test_rej_bad_side(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, 0, 100, 1);

	REJECTED(o, BAD_SIDE);
	o.side = 3;
	o.type = 9; /* side checked first */
	REJECTED(o, BAD_SIDE);
}

static void test_rej_bad_type(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 1);

	o.type = 0;
	REJECTED(o, BAD_TYPE);
	o.type = 3;
	o.tif = 0;
	REJECTED(o, BAD_TYPE);
}

static void test_rej_bad_tif(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 1);

	o.tif = 0;
	REJECTED(o, BAD_TIF);
	o.tif = 4;
	o.stp = 9;
	REJECTED(o, BAD_TIF);
}

static void test_rej_bad_stp(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 0); /* bad qty too: stp first */

	o.stp = 6;
	REJECTED(o, BAD_STP);
	o.stp = 255;
	REJECTED(o, BAD_STP);
}

static void test_rej_bad_qty(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 0, 0); /* bad price too: qty first */

	REJECTED(o, BAD_QTY);
	o.qty = -5;
	REJECTED(o, BAD_QTY);
	o = mkt(A, 1, BUY, 0);
	REJECTED(o, BAD_QTY);
}

static void test_rej_qty_not_lot(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 1, BUY, 100, 15); /* also below min 20: lot first */

	REJECTED(o, QTY_NOT_LOT);
	o.qty = 1005; /* also above max */
	REJECTED(o, QTY_NOT_LOT);
}

static void test_rej_qty_below_min(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 1, BUY, 0, 10); /* bad price too */

	REJECTED(o, QTY_BELOW_MIN);
}

static void test_rej_qty_above_max(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 1, BUY, 0, 1010);

	REJECTED(o, QTY_ABOVE_MAX);
	o = lim(A, 1, BUY, 100, 1000001);
	REJECTED(o, QTY_ABOVE_MAX);
	o.qty = 1000000;
	assert_int_equal(do_new(f, &o), 0);
}

static void test_rej_bad_price(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 0, 1);

	REJECTED(o, BAD_PRICE);
	o.px = -100;
	o.display = -1; /* price checked before display */
	REJECTED(o, BAD_PRICE);
	o = with_tif(lim(A, 1, BUY, 0, 1), NX_TIF_IOC);
	REJECTED(o, BAD_PRICE);
}

static void test_rej_price_not_tick(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim2(A, 1, BUY, 102, 20);

	REJECTED(o, PRICE_NOT_TICK);
	o.display = 15; /* before display */
	REJECTED(o, PRICE_NOT_TICK);
	o = lim2(A, 1, BUY, 105, 20); /* market orders ignore the price */
	o.type = NX_ORD_MARKET;
	o.tif = NX_TIF_IOC;
	o.px = 7;
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 1), bh_cxl(A, INST2, 1, 0, 1, 20, BUY, NX_CXL_NO_LIQUIDITY));
}

static void test_rej_bad_display(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, BUY, 100, 10, -1);

	REJECTED(o, BAD_DISPLAY);
	o = lim2(A, 1, BUY, 100, 40);
	o.display = 15; /* not a multiple of the lot */
	REJECTED(o, BAD_DISPLAY);
	o = with_tif(ice(A, 1, BUY, 100, 10, 3), NX_TIF_IOC);
	REJECTED(o, BAD_DISPLAY);
	o = with_tif(ice(A, 1, BUY, 100, 10, 3), NX_TIF_FOK);
	REJECTED(o, BAD_DISPLAY);
	o = mkt(A, 1, BUY, 10);
	o.display = 3;
	REJECTED(o, BAD_DISPLAY);
	o = with_tif(o, NX_TIF_GTC);
	o.post_only = 1; /* display checked before post-only */
	REJECTED(o, BAD_DISPLAY);
}

static void test_rej_post_only_and_dup_clid_order(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	/* BAD_POST_ONLY before DUPLICATE_CLID */
	o = with_tif(lim(A, 1, BUY, 90, 1), NX_TIF_IOC);
	o.post_only = 1;
	REJECTED(o, BAD_POST_ONLY);
	/* DUPLICATE_CLID before POST_ONLY_WOULD_TAKE */
	o = lim(A, 1, BUY, 100, 1);
	o.post_only = 1;
	REJECTED(o, DUPLICATE_CLID);
	/* POST_ONLY_WOULD_TAKE before PRICE_OUT_OF_RANGE: 100 crosses, far out on sells */
	o = lim(B, 1, SELL, 1, 1);
	o.post_only = 1;
	put(f, B, 2, BUY, 50, 1);
	REJECTED(o, POST_ONLY_WOULD_TAKE);
}

static void test_rej_duplicate_clid(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 5);
	o = lim(A, 1, SELL, 200, 5); /* any side, any instrument: the account's live ids */
	REJECTED(o, DUPLICATE_CLID);
	o = lim2(A, 1, SELL, 200, 20);
	REJECTED(o, DUPLICATE_CLID);
	o = with_tif(lim(A, 1, SELL, 100, 5), NX_TIF_IOC);
	REJECTED(o, DUPLICATE_CLID);
	assert_int_equal(put(f, B, 1, BUY, 100, 5), 2); /* another account may use it */
}

static void test_rej_unknown_order(void **state)
{
	struct fx *f = *state;

	assert_int_equal(do_cancel(f, A, 1, 0, 1), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 1, 0, 1, CANCEL, UNKNOWN_ORDER));
	assert_int_equal(do_replace(f, A, 1, 5, 0, 100, 1), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 1, 5, 0, REPLACE, UNKNOWN_ORDER));
}

static void test_rej_order_capacity(void **state) /* max_orders 1 */
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 1);
	o = lim(B, 1, BUY, 5000, 1); /* capacity before the price window */
	REJECTED(o, ORDER_CAPACITY);
	o = lim(A, 1, BUY, 100, 1); /* client id before capacity */
	REJECTED(o, DUPLICATE_CLID);
}

static void test_rej_price_out_of_range(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 1000, 1);
	o = lim(B, 1, SELL, 1064, 1);
	REJECTED(o, PRICE_OUT_OF_RANGE);
	o = lim(B, 1, SELL, 936, 1);
	REJECTED(o, PRICE_OUT_OF_RANGE);
	o.px = 937;
	assert_int_equal(do_new(f, &o), 0);
}

/* ========================================================================= */
/* LEVEL events                                                               */
/* ========================================================================= */

static void test_level_coalesced_per_command(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 1);
	put(f, A, 2, SELL, 100, 2);
	put(f, A, 3, SELL, 100, 3);
	put(f, A, 4, SELL, 101, 3);
	o = lim(B, 1, BUY, 101, 7);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5),
	       MATCH(1, 100, 1, 1, A, 1, 0, 1, 5, B, 1, 6, 1, BUY),
	       MATCH(2, 100, 2, 2, A, 2, 0, 2, 5, B, 1, 4, 3, BUY),
	       MATCH(3, 100, 3, 3, A, 3, 0, 3, 5, B, 1, 1, 6, BUY),
	       MATCH(4, 101, 1, 4, A, 4, 2, 1, 5, B, 1, 0, 7, BUY),
	       LVL(SELL, 100, 0, 0), LVL(SELL, 101, 2, 1));
}

static void test_level_first_touch_order(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 101, 1);
	put(f, A, 2, BUY, 100, 2);
	put(f, A, 3, BUY, 101, 3);
	put(f, A, 4, SELL, 105, 3);
	put(f, A, 5, BUY, 100, 3);
	assert_int_equal(do_mass(f, A, 9, 0, 0), 0);
	EXPECT(CXL(A, 1, 9, 1, 1, BUY, MASS_CANCEL), CXL(A, 2, 9, 2, 2, BUY, MASS_CANCEL),
	       CXL(A, 3, 9, 3, 3, BUY, MASS_CANCEL), CXL(A, 4, 9, 4, 3, SELL, MASS_CANCEL),
	       CXL(A, 5, 9, 5, 3, BUY, MASS_CANCEL), bh_mass(A, 0, 9, 5, 0),
	       LVL(BUY, 101, 0, 0), LVL(BUY, 100, 0, 0), LVL(SELL, 105, 0, 0));
}

static void test_level_unchanged_reports_nothing(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 6, 2);

	put_o(f, &o);
	/* each fill of 2 refills 2: the level shows 2 in 1 order throughout */
	o = lim(B, 1, BUY, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 2, 1, A, 1, 4, 2, 2, B, 1, 0, 2, BUY));
	o = lim(B, 2, BUY, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3), MATCH(2, 100, 2, 1, A, 1, 2, 4, 3, B, 2, 0, 2, BUY));
	/* replace with the same values */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 2), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 2, SELL, 1));
	/* the last slice empties the level */
	o = lim(B, 3, BUY, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), MATCH(3, 100, 2, 1, A, 1, 0, 6, 4, B, 3, 0, 2, BUY),
	       LVL(SELL, 100, 0, 0));
}

/* ========================================================================= */
/* Determinism and formatting                                                 */
/* ========================================================================= */

struct text_sink {
	char *buf;
	size_t len, cap;
	size_t lines;
};

static void text_sink_fn(void *ctx, const struct nx_event *ev)
{
	struct text_sink *t = ctx;
	int n = nx_event_format(ev, t->buf + t->len, t->cap - t->len);

	assert_true(n > 0 && (size_t)n + 1 < t->cap - t->len);
	t->len += (size_t)n;
	t->buf[t->len++] = '\n';
	t->buf[t->len] = 0;
	t->lines++;
}

/* A scripted mix of every command kind, then a pseudo-random stream. */
static void run_script(struct nx_book *b)
{
	const struct nx_account accts[] = {
		{ .id = 1 }, { .id = 2, .stp = NX_STP_CN },
		{ .id = 3, .stp_group = 9, .stp = NX_STP_DC }, { .id = 4, .stp_group = 9 },
	};
	struct nx_instrument in = { .id = 7, .symbol = "S", .band_ticks = 4 };
	uint64_t x = 88172645463325252ull;
	nx_oid_t oid_hi = 0;

	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	for (size_t i = 0; i < NX_ARRAY_SIZE(accts); i++)
		assert_int_equal(nx_book_add_account(b, &accts[i]), 0);
	for (unsigned i = 0; i < 3000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		unsigned kind = (unsigned)(x % 16), acct = 1 + (unsigned)(x >> 8) % 4;
		nx_px_t px = 90 + (nx_px_t)((x >> 16) % 21);
		nx_qty_t qty = 1 + (nx_qty_t)((x >> 24) % 9);
		struct nx_new_order o = { .acct = acct, .inst = 7, .cl = 1000 + i, .px = px,
					  .qty = qty, .side = (uint8_t)(1 + (x >> 32) % 2),
					  .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC };

		if (kind < 7) {
			o.display = (x >> 40) % 4 == 0 ? 2 : 0;
			o.post_only = (x >> 44) % 8 == 0;
			o.stp = (uint8_t)((x >> 48) % 6);
			nx_book_new_order(b, &o);
			oid_hi++;
		} else if (kind < 9) {
			o.tif = (uint8_t)(2 + (x >> 40) % 2);
			o.type = (uint8_t)(1 + (x >> 44) % 2);
			nx_book_new_order(b, &o);
			oid_hi++;
		} else if (kind < 12) {
			const struct nx_cancel c = { .acct = acct, .cl = 5000 + i,
						     .oid = 1 + (x >> 20) % (oid_hi + 1) };
			nx_book_cancel(b, &c);
		} else if (kind < 15) {
			const struct nx_replace r = { .acct = acct, .cl = 9000 + i,
						      .oid = 1 + (x >> 20) % (oid_hi + 1),
						      .px = px, .qty = qty };
			nx_book_replace(b, &r);
		} else if ((x >> 40) % 8 == 0) {
			const struct nx_mass_cancel m = { .acct = acct, .cl = 7 };
			nx_book_mass_cancel(b, &m);
		} else if ((x >> 40) % 8 == 1) {
			nx_book_set_status(b, 7, NX_STATUS_HALTED, (int)((x >> 50) & 1));
			nx_book_set_status(b, 7, NX_STATUS_OPEN, 0);
		}
	}
}

static void test_deterministic_ids(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 2, .max_accounts = 8,
					    .max_orders = 256, .ladder_ticks = 64 };
	struct text_sink t[2];
	size_t sz = nx_book_memsize(&cfg);
	void *mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
	struct nx_book *b[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		t[i] = (struct text_sink){ .cap = 16u << 20 };
		t[i].buf = malloc(t[i].cap);
		assert_non_null(t[i].buf);
		t[i].buf[0] = 0;
	}
	/* one book on caller memory (dirtied first), one from nx_book_create */
	memset(mem, 0xa5, sz);
	b[0] = nx_book_init(mem, sz, &cfg, text_sink_fn, &t[0]);
	b[1] = nx_book_create(&cfg, text_sink_fn, &t[1]);
	assert_non_null(b[0]);
	assert_non_null(b[1]);
	run_script(b[0]);
	run_script(b[1]);
	assert_true(t[0].lines > 3000);
	assert_int_equal(t[0].len, t[1].len);
	assert_memory_equal(t[0].buf, t[1].buf, t[0].len);
	/* ids count from 1 in each book instance */
	assert_non_null(strstr(t[0].buf, "oid=1 "));
	assert_non_null(strstr(t[0].buf, "tid=1 "));
	nx_book_destroy(b[1]);
	free(mem);
	free(t[0].buf);
	free(t[1].buf);
}

/* One canonical line per event kind, fields in the order of docs/replay-format.md. */
static void test_event_format(void **state)
{
	static const struct {
		struct nx_event ev;
		const char *line;
	} cases[] = {
		{ { .type = NX_EV_ACCEPTED, .u.order = { .acct = 1001, .inst = 77, .cl = 5550001,
			.oid = 4440001, .px = 123456, .qty = 3333, .display = 222, .side = 2,
			.type = 1, .tif = 3, .post_only = 1, .stp = 4 } },
		  "ack acct=1001 cl=5550001 oid=4440001 inst=77 side=S type=LIMIT tif=FOK "
		  "px=123456 qty=3333 display=222 post=1 stp=CB" },
		{ { .type = NX_EV_ACCEPTED, .u.order = { .acct = 1, .inst = 2, .cl = 3, .oid = 4,
			.qty = 5, .side = 1, .type = 2, .tif = 2, .stp = 5 } },
		  "ack acct=1 cl=3 oid=4 inst=2 side=B type=MARKET tif=IOC px=0 qty=5 display=0 "
		  "post=0 stp=DC" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 1002, .inst = 78, .cl = 5550002,
			.orig_cl = 6660002, .oid = 4440002, .req = 3, .reason = 15 } },
		  "reject acct=1002 cl=5550002 req=REPLACE inst=78 orig=6660002 oid=4440002 "
		  "reason=POST_ONLY_WOULD_TAKE" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .req = 4,
			.reason = 4 } },
		  "reject acct=9 cl=1 req=MASSCANCEL inst=0 orig=0 oid=0 reason=UNKNOWN_ACCOUNT" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .inst = 3, .req = 1,
			.reason = 21 } },
		  "reject acct=9 cl=1 req=NEW inst=3 orig=0 oid=0 reason=BAD_STP" },
		{ { .type = NX_EV_REJECTED, .u.reject = { .acct = 9, .cl = 1, .oid = 5, .req = 2,
			.reason = 18 } },
		  "reject acct=9 cl=1 req=CANCEL inst=0 orig=0 oid=5 reason=UNKNOWN_ORDER" },
		{ { .type = NX_EV_TRADE, .u.trade = { .tid = 1, .inst = 7, .px = 123457,
			.qty = 3334, .maker_oid = 4440003, .taker_oid = 4440004, .maker_acct = 1003,
			.taker_acct = 1004, .aggressor = 1 } },
		  "trade tid=1 inst=7 px=123457 qty=3334 maker_oid=4440003 taker_oid=4440004 "
		  "maker_acct=1003 taker_acct=1004 aggressor=B" },
		{ { .type = NX_EV_FILL, .u.fill = { .tid = 8880005, .acct = 1005, .inst = 79,
			.cl = 5550005, .oid = 4440005, .px = 123458, .qty = 3335, .leaves = 2225,
			.cum = 7775, .side = 2, .liq = 1 } },
		  "fill acct=1005 cl=5550005 oid=4440005 inst=79 side=S px=123458 qty=3335 "
		  "leaves=2225 cum=7775 tid=8880005 liq=MAKER" },
		{ { .type = NX_EV_FILL, .u.fill = { .tid = 2, .acct = 1, .inst = 1, .cl = 1,
			.oid = 1, .px = 1, .qty = 1, .cum = 1, .side = 1, .liq = 2 } },
		  "fill acct=1 cl=1 oid=1 inst=1 side=B px=1 qty=1 leaves=0 cum=1 tid=2 liq=TAKER" },
		{ { .type = NX_EV_CANCELED, .u.cancel = { .acct = 1006, .inst = 80, .cl = 5550006,
			.req_cl = 6660006, .oid = 4440006, .qty = 3336, .side = 1, .reason = 4 } },
		  "cancel acct=1006 cl=5550006 oid=4440006 inst=80 side=B qty=3336 leaves=0 "
		  "reason=MARKET_PROTECTION" },
		{ { .type = NX_EV_REDUCED, .u.cancel = { .acct = 1007, .inst = 81, .cl = 5550007,
			.oid = 4440007, .qty = 3337, .leaves = 2227, .side = 2, .reason = 6 } },
		  "reduced acct=1007 cl=5550007 oid=4440007 inst=81 side=S qty=3337 leaves=2227 "
		  "reason=SELF_TRADE" },
		{ { .type = NX_EV_REPLACED, .u.replace = { .acct = 1008, .inst = 82, .cl = 5550008,
			.orig_cl = 6660008, .oid = 4440008, .px = 123459, .qty = 3338, .side = 1,
			.kept_priority = 1 } },
		  "replaced acct=1008 cl=5550008 orig=6660008 oid=4440008 inst=82 side=B "
		  "qty=3338 px=123459 kept=1" },
		{ { .type = NX_EV_MASS_CANCELED, .u.mass = { .acct = 1009, .inst = 83,
			.cl = 5550009, .count = 3339, .side = 2 } },
		  "masscanceled acct=1009 cl=5550009 inst=83 side=S count=3339" },
		{ { .type = NX_EV_MASS_CANCELED, .u.mass = { .acct = 1, .cl = 2 } },
		  "masscanceled acct=1 cl=2 inst=0 side=ALL count=0" },
		{ { .type = NX_EV_LEVEL, .u.level = { .inst = 84, .px = 123460, .qty = 3340,
			.count = 2230, .side = 1 } },
		  "level inst=84 side=B px=123460 qty=3340 count=2230" },
		{ { .type = NX_EV_LEVEL, .u.level = { .inst = 1, .px = -5, .side = 2 } },
		  "level inst=1 side=S px=-5 qty=0 count=0" },
	};
	const struct nx_event bogus = { .type = 99 };
	char buf[512], small[12];

	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		int n = nx_event_format(&cases[i].ev, buf, sizeof(buf));

		assert_string_equal(buf, cases[i].line);
		assert_int_equal(n, (int)strlen(cases[i].line));
		/* truncation like snprintf: the length needed, a NUL inside len */
		memset(small, 'x', sizeof(small));
		assert_int_equal(nx_event_format(&cases[i].ev, small, 8), n);
		assert_int_equal(strlen(small), 7);
		assert_memory_equal(small, buf, 7);
		assert_int_equal(small[8], 'x');
		memset(small, 'x', sizeof(small));
		assert_int_equal(nx_event_format(&cases[i].ev, small, 0), n);
		assert_int_equal(small[0], 'x');
	}
	/* an unknown kind still makes a terminated line */
	memset(buf, 'x', sizeof(buf));
	assert_true(nx_event_format(&bogus, buf, sizeof(buf)) >= 0);
	assert_non_null(memchr(buf, 0, sizeof(buf)));
}

/* ========================================================================= */
/* Names                                                                      */
/* ========================================================================= */

static void test_reason_names_round_trip(void **state)
{
	static const struct { unsigned code; const char *name, *text; } rej[] = {
#define X_(name, code, text) { code, #name, text },
		NX_REJECT_REASONS(X_)
#undef X_
	}, cxl[] = {
#define X_(name, code, text) { code, #name, text },
		NX_CANCEL_REASONS(X_)
#undef X_
	};

	(void)state;
	assert_int_equal(NX_ARRAY_SIZE(rej), 21);
	for (size_t i = 0; i < NX_ARRAY_SIZE(rej); i++) {
		assert_string_equal(nx_reject_name(rej[i].code), rej[i].name);
		assert_string_equal(nx_reject_text(rej[i].code), rej[i].text);
		assert_int_equal(nx_reject_parse(rej[i].name), rej[i].code);
	}
	for (size_t i = 0; i < NX_ARRAY_SIZE(cxl); i++) {
		assert_string_equal(nx_cancel_name(cxl[i].code), cxl[i].name);
		assert_string_equal(nx_cancel_text(cxl[i].code), cxl[i].text);
		assert_int_equal(nx_cancel_parse(cxl[i].name), cxl[i].code);
	}
	assert_string_equal(nx_reject_name(22), "?");
	assert_string_equal(nx_reject_name(255), "?");
	assert_string_equal(nx_reject_name(1000), "?");
	assert_string_equal(nx_reject_text(22), "unknown reason");
	assert_string_equal(nx_cancel_name(0), "?");
	assert_string_equal(nx_cancel_name(9), "?");
	assert_string_equal(nx_cancel_text(9), "unknown reason");
	assert_int_equal(nx_reject_parse("NO_SUCH_REASON"), 0);
	assert_int_equal(nx_reject_parse(""), 0);
	assert_int_equal(nx_reject_parse("USER"), 0); /* a cancel reason, not a reject */
	assert_int_equal(nx_reject_parse("BAD_QTYX"), 0);
	assert_int_equal(nx_cancel_parse("BAD_QTY"), 0);
	assert_int_equal(nx_cancel_parse(""), 0);
}

static void test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(nx_side_name(NX_SIDE_BUY), "B");
	assert_string_equal(nx_side_name(NX_SIDE_SELL), "S");
	assert_string_equal(nx_side_name(0), "?");
	assert_string_equal(nx_side_name(3), "?");
	assert_string_equal(nx_ord_type_name(NX_ORD_LIMIT), "LIMIT");
	assert_string_equal(nx_ord_type_name(NX_ORD_MARKET), "MARKET");
	assert_string_equal(nx_ord_type_name(3), "?");
	assert_string_equal(nx_tif_name(NX_TIF_GTC), "GTC");
	assert_string_equal(nx_tif_name(NX_TIF_IOC), "IOC");
	assert_string_equal(nx_tif_name(NX_TIF_FOK), "FOK");
	assert_string_equal(nx_tif_name(0), "?");
	assert_string_equal(nx_stp_name(NX_STP_NONE), "NONE");
	assert_string_equal(nx_stp_name(NX_STP_CN), "CN");
	assert_string_equal(nx_stp_name(NX_STP_CO), "CO");
	assert_string_equal(nx_stp_name(NX_STP_CB), "CB");
	assert_string_equal(nx_stp_name(NX_STP_DC), "DC");
	assert_string_equal(nx_stp_name(6), "?");
	for (unsigned r = NX_REQ_NEW; r <= NX_REQ_MASS_CANCEL; r++)
		assert_string_not_equal(nx_request_name(r), "?");
	assert_string_equal(nx_request_name(0), "?");
	assert_string_equal(nx_request_name(5), "?");
	for (unsigned k = NX_KIND_SPOT; k <= NX_KIND_OPTION; k++)
		assert_int_equal(nx_inst_kind_parse(nx_inst_kind_name(k)), k);
	for (unsigned s = NX_STATUS_OPEN; s <= NX_STATUS_CLOSED; s++)
		assert_int_equal(nx_inst_status_parse(nx_inst_status_name(s)), s);
	assert_null(nx_inst_kind_name(0));
	assert_null(nx_inst_kind_name(5));
	assert_null(nx_inst_status_name(4));
	assert_int_equal(nx_inst_kind_parse("NOPE"), 0);
	assert_int_equal(nx_inst_status_parse("NOPE"), 0);
}

/* ========================================================================= */
/* Instrument definitions                                                     */
/* ========================================================================= */

static void test_instrument_defaults(void **state)
{
	struct nx_instrument in = { .id = 1, .symbol = "X" };
	const char *why = NULL;

	(void)state;
	nx_instrument_defaults(&in);
	assert_int_equal(in.kind, NX_KIND_SPOT);
	assert_int_equal(in.status, NX_STATUS_OPEN);
	assert_int_equal(in.tick, 1);
	assert_int_equal(in.lot, 1);
	assert_int_equal(in.min_qty, 1);
	assert_int_equal(in.max_qty, 1000000000000);
	assert_int_equal(in.band_ticks, 0);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
	/* fields already set are kept; min follows the lot, max is 1e12 units rounded to it */
	in = (struct nx_instrument){ .id = 2, .symbol = "Y", .lot = 5, .tick = 10,
				     .kind = NX_KIND_FUTURE, .band_ticks = 7, .expiry_ns = 1 };
	nx_instrument_defaults(&in);
	assert_int_equal(in.kind, NX_KIND_FUTURE);
	assert_int_equal(in.tick, 10);
	assert_int_equal(in.lot, 5);
	assert_int_equal(in.min_qty, 5);
	assert_int_equal(in.max_qty, 1000000000000);
	assert_int_equal(in.band_ticks, 7);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

/* Whatever the lot, the defaults make a valid definition. */
static void test_instrument_defaults_any_lot(void **state)
{
	struct nx_instrument in = { .id = 3, .symbol = "Z", .lot = 7 };
	const char *why;

	(void)state;
	nx_instrument_defaults(&in);
	why = NULL;
	if (nx_instrument_check(&in, &why) != 0)
		print_error("lot 7 defaults rejected: %s (max_qty %lld)\n", why ? why : "?",
			    (long long)in.max_qty);
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

static void test_instrument_check_failures(void **state)
{
	struct nx_instrument base = { .id = 1, .symbol = "OPT", .kind = NX_KIND_OPTION,
				      .put_call = NX_CALL, .tick = 5, .lot = 10,
				      .underlying = 2, .strike = 100, .expiry_ns = 1 };
	struct nx_instrument in;
	const char *why;
	int i = 0, accepted = 0;

	(void)state;
	nx_instrument_defaults(&base);
	why = NULL;
	assert_int_equal(nx_instrument_check(&base, &why), 0);
	for (;; i++) {
		in = base;
		switch (i) {
		case 0: in.id = 0; break;
		case 1: in.symbol[0] = 0; break;
		case 2: memset(in.symbol, 'X', sizeof(in.symbol)); break;
		case 3: in.kind = 0; break;
		case 4: in.kind = 5; break;
		case 5: in.status = 0; break;
		case 6: in.status = 4; break;
		case 7: in.tick = 0; break;
		case 8: in.tick = -5; break;
		case 9: in.lot = 0; break;
		case 10: in.lot = -10; break;
		case 11: in.min_qty = 5; break;  /* below the lot */
		case 12: in.min_qty = 15; break; /* not a multiple of the lot */
		case 13: in.max_qty = 0; break;
		case 14: in.max_qty = 25; in.min_qty = 30; break; /* max < min */
		case 15: in.max_qty = 1005; break;                /* not a lot multiple */
		case 16: in.band_ticks = -1; break;
		case 17: in.put_call = 0; break;
		case 18: in.put_call = 3; break;
		case 19: in.strike = 102; break;                  /* not on the tick */
		/* docs/replay-format.md: options need underlying, strike, pc, expiry */
		case 20: in.underlying = 0; break;
		case 21: in.strike = 0; break;
		case 22: in.expiry_ns = 0; break;
		case 23: in.kind = NX_KIND_FUTURE; in.expiry_ns = 0; break;
		default: goto done;
		}
		why = NULL;
		if (nx_instrument_check(&in, &why) != -EINVAL) {
			print_error("case %d: accepted\n", i);
			accepted++;
			continue;
		}
		assert_non_null(why);
		assert_true(strlen(why) > 0);
	}
done:
	assert_int_equal(i, 24);
	assert_int_equal(accepted, 0);
}

/* Regression: nx_book_check reported a partly filled iceberg slice whose open
 * quantity had fallen to its display as "hiding quantity"; the state is legal
 * (open 3, display 3, visible 2 until the slice is used up). */
static void test_regress_check_iceberg_slice_at_display(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 4, 3);
	const char *why = NULL;

	put_o(f, &o);
	o = lim(G1, 1, BUY, 100, 1);
	assert_int_equal(do_new(f, &o), 0);
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=2 px=100 leaves=3 vis=2 disp=3 cum=1 po=0 stp=1");
	assert_int_equal(nx_book_check(f->b, &why), 0);
}

/* Regression: an option whose strike is off the tick passed nx_instrument_check. */
static void test_regress_option_strike_off_tick(void **state)
{
	struct nx_instrument in = { .id = 9, .symbol = "OPT", .kind = NX_KIND_OPTION, .tick = 5,
				    .underlying = 1, .strike = 102, .put_call = NX_CALL,
				    .expiry_ns = 1 };
	const char *why = NULL;

	(void)state;
	nx_instrument_defaults(&in);
	assert_int_equal(nx_instrument_check(&in, &why), -EINVAL);
	assert_string_equal(why, "strike must be a multiple of tick");
	in.strike = 100;
	assert_int_equal(nx_instrument_check(&in, &why), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_limit_gtc_rests),
		T(test_queries_bad_args),
		T(test_limit_price_time_priority_maker_price),
		T(test_limit_partial_fill_then_rests),
		T(test_ioc),
		T(test_fok_full_fill),
		T(test_fok_sell_side),
		T(test_fok_kill_leaves_no_trace),
		T(test_market_sweeps_to_protection_price),
		T(test_market_sell_band),
		T(test_market_band_in_ticks),
		T(test_market_filled_no_cancel),
		T(test_market_no_liquidity),
		T(test_market_gtc_read_as_ioc),
		T(test_market_protection_fixed_on_arrival),
		T(test_market_against_own_liquidity_only),
		T(test_market_fok),
		T(test_post_only_rests),
		T(test_post_only_would_take),
		T(test_bad_post_only),
		T(test_iceberg_only_display_visible),
		T(test_iceberg_refill_goes_to_back),
		T(test_iceberg_incoming_meets_refill_again),
		T(test_iceberg_last_refill_is_the_rest),
		T(test_iceberg_incoming_takes_full_open),
		T(test_iceberg_display_not_below_qty),
		T(test_iceberg_fok_counts_hidden),
		T(test_iceberg_exhausted_before_next_level),
		T(test_iceberg_replace_after_partial_fill),
		T(test_iceberg_replace),
		T(test_cancel_by_oid_and_by_clid),
		T(test_cancel_other_account_or_unknown),
		T(test_cancel_oid_wins_over_clid),
		T(test_cancel_partial_iceberg_takes_all_open),
		T(test_replace_decrease_keeps_priority),
		T(test_replace_new_clid),
		T(test_replace_increase_loses_priority),
		T(test_replace_price_change_loses_priority),
		T(test_replace_crossing_matches_as_aggressor),
		T(test_replace_post_only_crossing_rejected),
		T(test_replace_rejects),
		T(test_replace_price_window_without_itself),
		T(test_replace_while_halted),
		T(test_stp_none_trades_with_itself),
		T(test_stp_cn),
		T(test_stp_co),
		T(test_stp_cb),
		T(test_stp_dc_resting_larger),
		T(test_stp_dc_incoming_larger),
		T(test_stp_dc_then_ioc_remainder),
		T(test_stp_dc_equal),
		T(test_stp_dc_iceberg),
		T(test_stp_dc_incoming_iceberg),
		T(test_stp_co_cn_iceberg),
		T(test_stp_shared_group),
		T(test_stp_group_zero_is_account_id),
		T(test_stp_account_default_vs_order),
		T(test_stp_fok_none),
		T(test_stp_fok_cn),
		T(test_stp_fok_cb),
		T(test_stp_fok_dc),
		T(test_stp_fok_co),
		T(test_stp_fok_stop_level_counts_visible_ahead),
		T(test_stp_fok_earlier_level_counts_hidden),
		T(test_stp_replace_crossing_uses_own_mode),
		T(test_mass_cancel_all),
		T(test_mass_cancel_by_instrument_and_side),
		T(test_mass_cancel_nothing_and_rejects),
		T(test_cancel_all_in_oid_order_after_replace),
		T(test_mass_cancel_iceberg_while_halted),
		T(test_status_halt_rejects_new_allows_cancel),
		T(test_status_closed),
		T(test_status_cancel_resting),
		T(test_status_errors),
		cmocka_unit_test_setup_teardown(test_max_orders, setup_3_orders, teardown),
		T(test_regress_check_iceberg_slice_at_display),
		T(test_regress_option_strike_off_tick),
		T(test_price_window_new_orders),
		T(test_price_window_judged_on_arrival),
		T(test_accounts_and_instruments_capacity),
		T(test_config_invalid),
		T(test_create_destroy_set_sink),
		T(test_extreme_prices),
		T(test_rej_unknown_instrument),
		T(test_rej_instrument_halted),
		T(test_rej_instrument_closed),
		T(test_rej_unknown_account),
		T(test_rej_bad_side),
		T(test_rej_bad_type),
		T(test_rej_bad_tif),
		T(test_rej_bad_stp),
		T(test_rej_bad_qty),
		T(test_rej_qty_not_lot),
		T(test_rej_qty_below_min),
		T(test_rej_qty_above_max),
		T(test_rej_bad_price),
		T(test_rej_price_not_tick),
		T(test_rej_bad_display),
		T(test_rej_post_only_and_dup_clid_order),
		T(test_rej_duplicate_clid),
		T(test_rej_unknown_order),
		cmocka_unit_test_setup_teardown(test_rej_order_capacity, setup_1_order, teardown),
		T(test_rej_price_out_of_range),
		T(test_level_coalesced_per_command),
		T(test_level_first_touch_order),
		T(test_level_unchanged_reports_nothing),
		T(test_deterministic_ids),
		T(test_event_format),
		T(test_reason_names_round_trip),
		T(test_enum_names),
		T(test_instrument_defaults),
		T(test_instrument_defaults_any_lot),
		T(test_instrument_check_failures),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
