/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book (include/nx/book.h) against the rules of
 * docs/matching.md: order types, time in force, icebergs, priority, cancel,
 * replace, mass cancel, instrument status, capacities, LEVEL events and
 * determinism. Every event of every command is compared field by field
 * (tests/book_helpers.c), and the book's state is read back through the
 * query calls after the command. nx_book_check runs after every command.
 *
 * What this file does not do: self-trade prevention (test_book_stp.c), one
 * test per reject reason (test_book_rejects.c), random streams against a
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
	EXPECT(STS(HALTED));
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), NX_REJ_INSTRUMENT_HALTED);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, INSTRUMENT_HALTED));
	assert_int_equal(do_replace(f, A, 1, 0, 9, 100, 3), NX_REJ_UNKNOWN_ORDER);
	EXPECT(REJ(A, 1, 0, 9, REPLACE, UNKNOWN_ORDER));
	assert_int_equal(do_status(f, INST, NX_STATUS_CLOSED, 0), 0);
	EXPECT(STS(CLOSED));
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), NX_REJ_INSTRUMENT_CLOSED);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, INSTRUMENT_CLOSED));
	ORDER(1, "oid=1 cl=1 acct=1 inst=7 side=1 px=100 leaves=5 vis=5 disp=0 cum=0 po=0 stp=1");
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	EXPECT(STS(OPEN));
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 3), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 100, 3, BUY, 1), LVL(BUY, 100, 3, 1));
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
	EXPECT(STS(HALTED), CXL(B, 1, 0, 4, 4, BUY, HALT),
	       CXL(A, 4, 0, 5, 1, BUY, HALT),
	       CXL(A, 5, 0, 6, 1, BUY, HALT), LVL(BUY, 99, 0, 0), LVL(BUY, 100, 0, 0));
}

static void test_mass_cancel_iceberg_while_halted(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 10, 3);

	put_o(f, &o);
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	EXPECT(STS(HALTED));
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
	EXPECT(STS(HALTED));
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
	EXPECT(STS(OPEN));
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
	EXPECT(STS(CLOSED));
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_CLOSED);
	EXPECT(bh_rej_new(&o, NX_REJ_INSTRUMENT_CLOSED));
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	EXPECT(STS(OPEN));
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
	EXPECT(STS(HALTED), CXL(A, 1, 0, 1, 5, BUY, HALT),
	       CXL(B, 1, 0, 2, 2, SELL, HALT),
	       CXL(A, 2, 0, 3, 9, BUY, HALT), CXL(A, 3, 0, 5, 1, BUY, HALT),
	       LVL(BUY, 100, 0, 0), LVL(SELL, 105, 0, 0), LVL(BUY, 99, 0, 0));
	COUNT(1);
	DEPTH(INST, BUY, "");
	DEPTH(INST2, BUY, "100:20:1");
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 1), 0); /* nothing left */
	EXPECT(STS(HALTED)); /* announced, nothing to cancel */
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

/* Regression (session 13, from a review): with max_qty near INT64_MAX two
 * resting orders made a level's total wrap negative (and nx_book_check did
 * not see it), and a FOK whose liquidity summed past INT64_MAX was killed.
 * An instrument's max_qty x max_orders must now fit in 64 bits; at the
 * bound, every sum the book makes does. */
static void test_qty_bound(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 2, .max_accounts = 2,
					    .max_orders = 4, .ladder_ticks = LADDER };
	struct bh_rec *r = calloc(1, sizeof(*r));
	struct nx_book *b = nx_book_create(&cfg, bh_rec_sink, r);
	struct nx_instrument in = { .id = 1, .symbol = "X", .band_ticks = 1000 };
	struct nx_bbo bbo;
	const int64_t cap = INT64_MAX / 4;
	const char *why;

	(void)state;
	assert_non_null(b);
	in.max_qty = cap + 1;
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(b, &in), -ERANGE);
	in.max_qty = cap;
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &(struct nx_account){ .id = 1 }), 0);
	for (unsigned i = 0; i < 3; i++) {
		struct nx_new_order o = { .acct = 1, .inst = 1, .cl = 1 + i, .qty = cap,
					  .side = NX_SIDE_SELL, .px = 100, .type = NX_ORD_LIMIT,
					  .tif = NX_TIF_GTC };
		assert_int_equal(nx_book_new_order(b, &o), 0);
	}
	assert_int_equal(nx_book_bbo(b, 1, &bbo), 0);
	assert_int_equal(bbo.ask_qty, 3 * cap);
	assert_int_equal(nx_book_check(b, &why), 0);
	struct nx_new_order fok = { .acct = 1, .inst = 1, .cl = 9, .qty = cap,
				    .side = NX_SIDE_BUY, .px = 100, .type = NX_ORD_LIMIT,
				    .tif = NX_TIF_FOK, .stp = NX_STP_NONE };
	assert_int_equal(nx_book_new_order(b, &fok), 0);
	assert_int_equal(nx_book_bbo(b, 1, &bbo), 0);
	assert_int_equal(bbo.ask_qty, 2 * cap);
	assert_int_equal(nx_book_check(b, &why), 0);
	nx_book_destroy(b);
	free(r);
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
/* Determinism                                                                */
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

/* Kill switches and cancel-on-disconnect: cancel by account, instrument or all. */
static void test_cancel_where(void **state)
{
	struct fx *f = *state;
	const struct nx_event *e;

	put(f, A, 1, BUY, 90, 1);   /* oid 1 */
	put(f, B, 1, BUY, 91, 1);   /* oid 2 */
	put(f, A, 2, SELL, 110, 1); /* oid 3 */
	struct nx_new_order o = lim2(A, 3, BUY, 100, 20);
	put_o(f, &o);               /* oid 4, other instrument */
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_where(f->b, A, INST, NX_CXL_KILL_SWITCH), 2);
	e = &f->r.ev[0];
	assert_int_equal(e->type, NX_EV_CANCELED);
	assert_int_equal(e->u.cancel.oid, 1);
	assert_int_equal(e->u.cancel.reason, NX_CXL_KILL_SWITCH);
	assert_int_equal(e->u.cancel.req_cl, 0);
	assert_int_equal(f->r.ev[1].u.cancel.oid, 3);
	assert_int_equal(f->r.ev[2].type, NX_EV_LEVEL);
	assert_int_equal(nx_book_order_count(f->b), 2);
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_where(f->b, 0, 0, NX_CXL_DISCONNECT), 2);
	assert_int_equal(f->r.ev[0].u.cancel.oid, 2);
	assert_int_equal(f->r.ev[1].u.cancel.oid, 4);
	assert_int_equal(f->r.ev[1].u.cancel.reason, NX_CXL_DISCONNECT);
	assert_int_equal(nx_book_order_count(f->b), 0);
	assert_int_equal(nx_book_cancel_where(f->b, A, 0, NX_CXL_KILL_SWITCH), 0);
	assert_int_equal(nx_book_cancel_where(f->b, 999, 0, NX_CXL_KILL_SWITCH), -ENOENT);
	assert_int_equal(nx_book_cancel_where(f->b, 0, 999, NX_CXL_KILL_SWITCH), -ENOENT);
	assert_int_equal(nx_book_cancel_where(f->b, 0, 0, 200), -EINVAL);
	CHECK_BOOK(f);
}

/* Cancel-on-disconnect of one session: the account's orders with its tag. */
static void test_cancel_tagged(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 90, 1);
	o.tag = 1;
	put_o(f, &o);               /* oid 1, session 1 */
	o = lim(A, 2, BUY, 91, 1);
	o.tag = 2;
	put_o(f, &o);               /* oid 2, session 2 */
	o = lim(A, 3, SELL, 110, 1);
	o.tag = 1;
	put_o(f, &o);               /* oid 3, session 1 */
	o = lim(B, 4, SELL, 111, 1);
	o.tag = 1;
	put_o(f, &o);               /* oid 4, another account */
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_tagged(f->b, A, 1, NX_CXL_DISCONNECT), 2);
	assert_int_equal(f->r.ev[0].type, NX_EV_CANCELED);
	assert_int_equal(f->r.ev[0].u.cancel.oid, 1);
	assert_int_equal(f->r.ev[0].u.cancel.reason, NX_CXL_DISCONNECT);
	assert_int_equal(f->r.ev[1].u.cancel.oid, 3);
	assert_int_equal(f->r.ev[2].type, NX_EV_LEVEL);
	assert_int_equal(nx_book_order_count(f->b), 2);
	assert_int_equal(nx_book_cancel_tagged(f->b, A, 1, NX_CXL_DISCONNECT), 0);
	assert_int_equal(nx_book_cancel_tagged(f->b, 999, 1, NX_CXL_DISCONNECT), -ENOENT);
	assert_int_equal(nx_book_cancel_tagged(f->b, A, 2, 200), -EINVAL);
	assert_int_equal(nx_book_order_count(f->b), 2);
	CHECK_BOOK(f);
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
		T(test_mass_cancel_all),
		T(test_mass_cancel_by_instrument_and_side),
		T(test_mass_cancel_nothing_and_rejects),
		T(test_cancel_all_in_oid_order_after_replace),
		T(test_mass_cancel_iceberg_while_halted),
		T(test_status_halt_rejects_new_allows_cancel),
		T(test_status_closed),
		T(test_status_cancel_resting),
		T(test_status_errors),
		cmocka_unit_test_setup_teardown(test_max_orders, bh_setup_3_orders, bh_teardown),
		T(test_tag_echoed),
		T(test_cancel_where),
		T(test_cancel_tagged),
		T(test_regress_check_iceberg_slice_at_display),
		T(test_price_window_new_orders),
		T(test_price_window_judged_on_arrival),
		cmocka_unit_test(test_qty_bound),
		T(test_accounts_and_instruments_capacity),
		T(test_config_invalid),
		T(test_create_destroy_set_sink),
		T(test_extreme_prices),
		T(test_level_coalesced_per_command),
		T(test_level_first_touch_order),
		T(test_level_unchanged_reports_nothing),
		T(test_deterministic_ids),
	};
#undef T
	return cmocka_run_group_tests_name("book", tests, NULL, NULL);
}
