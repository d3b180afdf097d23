/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book (include/nx/book.h) against the rules of
 * docs/matching.md, for new orders: limit orders and price-time priority,
 * time in force, market orders, post-only, icebergs, the LEVEL events a
 * command makes and the caller's tag on every event. Every event of every
 * command is compared field by field (tests/book_helpers.c), and the book's
 * state is read back through the query calls after the command.
 * nx_book_check runs after every command.
 *
 * What this file does not do: cancel, replace, mass cancel and instrument
 * status (test_book_cancel.c), capacities, configuration and determinism
 * (test_book_config.c), self-trade prevention (test_book_stp.c), one test
 * per reject reason (test_book_rejects.c), random streams against a
 * reference model (test_book_diff.c) and the no-allocation proof
 * (test_book_noalloc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "book_helpers.h"


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
/* Regressions                                                                */
/* ========================================================================= */

/* The caller's tag comes back on every event about the order, maker or taker. */
static void test_tag_echoed(void **state)
{
	struct fx *f = *state;
	struct nx_new_order m = lim(A, 1, SELL, 100, 5), t = lim(B, 1, BUY, 100, 2);

	m.tag = 77;
	t.tag = 88;
	assert_int_equal(do_new(f, &m), 0);
	assert_int_equal(f->r.ev[0].type, NX_EV_ACCEPTED);
	assert_int_equal(f->r.ev[0].u.order.tag, 77);
	assert_int_equal(do_new(f, &t), 0);
	size_t fills = 0;
	for (size_t k = 0; k < f->r.n; k++) {
		const struct nx_event *e = &f->r.ev[k];
		if (e->type == NX_EV_TRADE) {
			assert_int_equal(e->u.trade.maker.tag, 77);
			assert_int_equal(e->u.trade.taker.tag, 88);
			fills += 2;
		}
	}
	assert_int_equal(fills, 2);
	struct nx_replace r = { .acct = A, .cl = 2, .orig_cl = 1, .px = 101, .qty = 3 };
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_replace(f->b, &r), 0);
	assert_int_equal(f->r.ev[0].type, NX_EV_REPLACED);
	assert_int_equal(f->r.ev[0].u.replace.tag, 77);
	bh_rec_clear(&f->r);
	assert_int_equal(do_cancel(f, A, 3, 2, 0), 0);
	assert_int_equal(f->r.ev[0].type, NX_EV_CANCELED);
	assert_int_equal(f->r.ev[0].u.cancel.tag, 77);
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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
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
		T(test_level_coalesced_per_command),
		T(test_level_first_touch_order),
		T(test_level_unchanged_reports_nothing),
		T(test_tag_echoed),
		T(test_regress_check_iceberg_slice_at_display),
	};
#undef T
	return cmocka_run_group_tests_name("book_orders", tests, NULL, NULL);
}
