/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book (include/nx/book.h) against the rules of
 * docs/matching.md, for resting orders: cancel, replace (priority kept or
 * lost), mass cancel, kill switches and cancel-on-disconnect (by account,
 * instrument or tag), and instrument status (halt, close, reopen). Every
 * event of every command is compared field by field (tests/book_helpers.c),
 * and the book's state is read back through the query calls after the
 * command. nx_book_check runs after every command.
 *
 * What this file does not do: new orders of each type, LEVEL events and
 * tags (test_book_orders.c), capacities, configuration and determinism
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
/* Regressions                                                                */
/* ========================================================================= */

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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
	const struct CMUnitTest tests[] = {
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
		T(test_cancel_where),
		T(test_cancel_tagged),
	};
#undef T
	return cmocka_run_group_tests_name("book_cancel", tests, NULL, NULL);
}
