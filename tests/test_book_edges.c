/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's edge cases (docs/matching.md): paths the other unit tests and
 * the differential test's generator (small quantities, no kill switch or
 * disconnect cancels) do not reach. Same fixture and vocabulary as
 * test_book_orders.c (tests/book_helpers.h); a few tests build their own book.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "book_helpers.h"

/* ========================================================================= */
/* A book of two orders on one instrument whose max_qty is INT64_MAX / 2     */
/* ========================================================================= */

#define BIGQ (INT64_MAX / 2)

static int setup_big(void **state)
{
	const struct nx_book_config cfg = { .max_instruments = 1, .max_accounts = 4,
					    .max_orders = 2, .ladder_ticks = 64 };
	struct nx_instrument in = { .id = INST, .symbol = "BIG", .max_qty = BIGQ };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->b = nx_book_create(&cfg, bh_rec_sink, &f->r);
	assert_non_null(f->b);
	nx_instrument_defaults(&in);
	assert_int_equal(nx_book_add_instrument(f->b, &in), 0); /* 2 x max_qty fits */
	assert_int_equal(nx_book_add_account(f->b, &(struct nx_account){ .id = A }), 0);
	assert_int_equal(nx_book_add_account(f->b, &(struct nx_account){ .id = B }), 0);
	*state = f;
	return 0;
}

static int teardown_big(void **state)
{
	struct fx *f = *state;

	nx_book_destroy(f->b);
	free(f);
	return 0;
}

/* A replace bounds the order's total, filled and open, by max_qty (as CME
 * and Eurex bound a modify's total quantity), so its cumulative filled
 * quantity stays exact. Regression: a maker partly filled and replaced back
 * up to max_qty open, round after round, grew cum by ~max_qty a round and
 * wrapped it past INT64_MAX in the third (signed overflow; the TRADE event
 * reported a negative cum). */
static void test_replace_total_within_max_qty(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, SELL, 100, BIGQ);
	nx_oid_t maker = put_o(f, &o);
	struct nx_new_order t = with_tif(lim(B, 10, BUY, 100, BIGQ - 1), NX_TIF_IOC);
	struct nx_order_info oi;

	assert_int_equal(do_new(f, &t), 0);
	assert_int_equal(nx_book_order(f->b, maker, &oi), 0);
	assert_int_equal(oi.cum, BIGQ - 1);
	assert_int_equal(oi.leaves, 1);
	/* one more than the total allows, then exactly it */
	assert_int_equal(do_replace(f, A, 2, 0, maker, 100, 2), NX_REJ_QTY_ABOVE_MAX);
	assert_int_equal(do_replace(f, A, 2, 0, maker, 100, BIGQ), NX_REJ_QTY_ABOVE_MAX);
	assert_int_equal(nx_book_order(f->b, maker, &oi), 0);
	assert_int_equal(oi.leaves, 1);
	assert_int_equal(do_replace(f, A, 2, 0, maker, 101, 1), 0);
	assert_int_equal(nx_book_order(f->b, maker, &oi), 0);
	assert_int_equal(oi.cum + oi.leaves, BIGQ);
}

/* ========================================================================= */
/* Price window (ladder ring) edges                                          */
/* ========================================================================= */

/* LADDER is 64: live bids within 64 ticks. Exactly at the edges is in. */
static void test_window_exact_edges(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 1000, 1);
	put(f, A, 2, BUY, 1000 - 63, 1);   /* hi - ladder + 1: in */
	o = lim(A, 3, BUY, 1000 - 64, 1);  /* one below: out */
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	o = lim(A, 3, BUY, 1001, 1);       /* lo is now 937: 937 + 63 = 1000 */
	assert_int_equal(do_new(f, &o), NX_REJ_PRICE_OUT_OF_RANGE);
	/* the other side is judged on its own: an empty side takes any price */
	put(f, B, 1, SELL, 5000000, 1);
	put(f, B, 2, SELL, 5000000 + 63, 1);
	/* an IOC far away is not checked; nothing crosses, it is canceled */
	o = with_tif(lim(A, 4, BUY, 4000, 1), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), CXL(A, 4, 0, 5, 1, BUY, IOC));
	/* cancel the low edge: the window slides up with the side */
	assert_int_equal(do_cancel(f, A, 9, 0, 2), 0);
	put(f, A, 5, BUY, 1063, 1);
	DEPTH(INST, BUY, "1063:1:1 1000:1:1");
}

/* A replace that moves an order alone on its side to a price in the same
 * ring slot (px + ladder_ticks): no crossing, then crossing and resting. */
static void test_replace_same_ring_slot(void **state)
{
	struct fx *f = *state;

	put(f, A, 1, BUY, 100, 5);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 164, 5), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 164, 5, BUY, 0), LVL(BUY, 100, 0, 0),
	       LVL(BUY, 164, 5, 1));
	DEPTH(INST, BUY, "164:5:1");

	/* the order back at 100; an ask at 164, same slot as 100 on the other side */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 5), 0);
	put(f, B, 1, SELL, 164, 3); /* oid 2 */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 164, 5), 0);
	EXPECT(bh_rep(A, INST, 1, 1, 1, 164, 5, BUY, 0),
	       MATCH(1, 164, 3, 2, B, 1, 0, 3, 1, A, 1, 2, 3, BUY),
	       LVL(BUY, 100, 0, 0), LVL(SELL, 164, 0, 0), LVL(BUY, 164, 2, 1));
	DEPTH(INST, BUY, "164:2:1");
	DEPTH(INST, SELL, "");
}

/* ========================================================================= */
/* Icebergs                                                                  */
/* ========================================================================= */

/* An iceberg alone at its level refills in place: the level is back to its
 * old (visible, count), so no LEVEL event (docs/matching.md, step 4). */
static void test_iceberg_alone_refill_no_level(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(B, 1, SELL, 100, 10, 5);

	put_o(f, &o);
	o = with_tif(lim(A, 1, BUY, 100, 5), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 5, 1, B, 1, 5, 5, 2, A, 1, 0, 5, BUY));
	ORDER(1, "oid=1 cl=1 acct=2 inst=7 side=2 px=100 leaves=5 vis=5 disp=5 cum=5 po=0 stp=1");
}

/* An iceberg taken down by several slices in one command, with another order
 * at the level: each refill goes behind the other order. */
static void test_iceberg_refill_alternates(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(B, 1, SELL, 100, 6, 2);

	put_o(f, &o);                 /* oid 1: 2 shown of 6 */
	put(f, B, 2, SELL, 100, 3);   /* oid 2 */
	o = with_tif(lim(A, 1, BUY, 100, 6), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 3),
	       MATCH(1, 100, 2, 1, B, 1, 4, 2, 3, A, 1, 4, 2, BUY),
	       MATCH(2, 100, 3, 2, B, 2, 0, 3, 3, A, 1, 1, 5, BUY),
	       MATCH(3, 100, 1, 1, B, 1, 3, 3, 3, A, 1, 0, 6, BUY),
	       LVL(SELL, 100, 1, 1));
	ORDER(1, "oid=1 cl=1 acct=2 inst=7 side=2 px=100 leaves=3 vis=1 disp=2 cum=3 po=0 stp=1");
}

/* CB against a resting iceberg cancels all of it, hidden included. */
static void test_stp_cb_iceberg_whole(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(G1, 1, SELL, 100, 50, 5);

	put_o(f, &o);
	o = with_stp(lim(G2, 1, BUY, 100, 3), NX_STP_CB);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), bh_cxl(G1, INST, 1, 0, 1, 50, SELL, NX_CXL_SELF_TRADE),
	       bh_cxl(G2, INST, 1, 0, 2, 3, BUY, NX_CXL_SELF_TRADE), LVL(SELL, 100, 0, 0));
	COUNT(0);
}

/* FOK with DC: an iceberg ahead of the same-group order counts its visible
 * slice only, since its refill queues behind the same-group order. */
static void test_fok_dc_iceberg_ahead(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(B, 1, SELL, 100, 10, 2);

	put_o(f, &o);                 /* oid 1 */
	put(f, G1, 1, SELL, 100, 5);  /* oid 2, same group as G2 */
	put(f, B, 2, SELL, 101, 10);  /* oid 3 */
	o = with_stp(with_tif(lim(G2, 1, BUY, 101, 3), NX_TIF_FOK), NX_STP_DC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 4), bh_cxl(G2, INST, 1, 0, 4, 3, BUY, NX_CXL_FOK));
	DEPTH(INST, SELL, "100:7:2 101:10:1");
	o = with_stp(with_tif(lim(G2, 2, BUY, 101, 2), NX_TIF_FOK), NX_STP_DC);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 5), MATCH(1, 100, 2, 1, B, 1, 8, 2, 5, G2, 2, 0, 2, BUY));
}

/* ========================================================================= */
/* Market orders                                                             */
/* ========================================================================= */

/* A market sell whose protection price is below 1 takes every bid. */
static void test_market_sell_band_below_zero(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 3, 1);
	put(f, A, 2, BUY, 2, 1);
	put(f, A, 3, BUY, 1, 1);
	o = mkt(B, 1, SELL, 5);
	assert_int_equal(do_new(f, &o), 0);
	assert_int_equal(f->r.n, 1 + 3 + 1 + 3);
	assert_int_equal(f->r.ev[4].type, NX_EV_CANCELED);
	assert_int_equal(f->r.ev[4].u.cancel.reason, NX_CXL_MARKET_PROTECTION);
	assert_int_equal(f->r.ev[4].u.cancel.qty, 2);
	assert_int_equal(f->r.ev[4].u.cancel.px, 0);
}

/* ========================================================================= */
/* Kill switch, disconnect, halts                                            */
/* ========================================================================= */

/* Whole book: instrument by instrument in the order added, oid order in each. */
static void test_cancel_where_whole_book_order(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	o = lim2(A, 1, BUY, 100, 20);
	put_o(f, &o);                  /* oid 1, INST2 */
	put(f, B, 1, SELL, 200, 1);    /* oid 2, INST */
	o = lim2(B, 2, SELL, 200, 30);
	put_o(f, &o);                  /* oid 3, INST2 */
	put(f, A, 2, BUY, 100, 2);     /* oid 4, INST */
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_where(f->b, 0, 0, NX_CXL_KILL_SWITCH), 4);
	CHECK_BOOK(f);
	EXPECT(bh_cxl(B, INST, 1, 0, 2, 1, SELL, NX_CXL_KILL_SWITCH),
	       bh_cxl(A, INST, 2, 0, 4, 2, BUY, NX_CXL_KILL_SWITCH),
	       bh_cxl(A, INST2, 1, 0, 1, 20, BUY, NX_CXL_KILL_SWITCH),
	       bh_cxl(B, INST2, 2, 0, 3, 30, SELL, NX_CXL_KILL_SWITCH),
	       LVL(SELL, 200, 0, 0), LVL(BUY, 100, 0, 0),
	       bh_lvl(INST2, BUY, 100, 0, 0), bh_lvl(INST2, SELL, 200, 0, 0));
	COUNT(0);
}

/* By account: its orders of every instrument in oid order, even after a
 * replace moved one to the back of a level; the others' untouched. */
static void test_cancel_where_account_after_replace(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, BUY, 100, 1);     /* oid 1 */
	o = lim2(A, 2, SELL, 500, 20);
	put_o(f, &o);                  /* oid 2 */
	put(f, B, 1, BUY, 100, 1);     /* oid 3 */
	put(f, A, 3, BUY, 99, 1);      /* oid 4 */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 2), 0); /* 1 to the back */
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_where(f->b, A, 0, NX_CXL_KILL_SWITCH), 3);
	CHECK_BOOK(f);
	EXPECT(bh_cxl(A, INST, 1, 0, 1, 2, BUY, NX_CXL_KILL_SWITCH),
	       bh_cxl(A, INST2, 2, 0, 2, 20, SELL, NX_CXL_KILL_SWITCH),
	       bh_cxl(A, INST, 3, 0, 4, 1, BUY, NX_CXL_KILL_SWITCH),
	       LVL(BUY, 100, 1, 1), bh_lvl(INST2, SELL, 500, 0, 0), LVL(BUY, 99, 0, 0));
	assert_int_equal(nx_book_cancel_where(f->b, 99, 0, NX_CXL_KILL_SWITCH), -ENOENT);
	assert_int_equal(nx_book_cancel_where(f->b, A, 0, 250), -EINVAL);
}

/* Disconnect: only the orders of the account entered with the session's tag. */
static void test_cancel_tagged_only_that_session(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = lim(A, 1, BUY, 100, 1);

	o.tag = 7;
	put_o(f, &o);                  /* oid 1, tag 7 */
	o = lim(A, 2, BUY, 100, 2);
	o.tag = 8;
	put_o(f, &o);                  /* oid 2, tag 8 */
	o = lim(B, 3, BUY, 100, 4);
	o.tag = 7;
	put_o(f, &o);                  /* oid 3, other account, tag 7 */
	bh_rec_clear(&f->r);
	assert_int_equal(nx_book_cancel_tagged(f->b, A, 7, NX_CXL_DISCONNECT), 1);
	CHECK_BOOK(f);
	assert_int_equal(f->r.n, 2);
	assert_int_equal(f->r.ev[0].type, NX_EV_CANCELED);
	assert_int_equal(f->r.ev[0].u.cancel.oid, 1);
	assert_int_equal(f->r.ev[0].u.cancel.tag, 7);
	assert_int_equal(f->r.ev[0].u.cancel.reason, NX_CXL_DISCONNECT);
	QUEUE(INST, BUY, 100, "2 3");
}

/* Halt without cancel: resting orders stay and trade after reopening; during
 * the halt new orders and replaces (even a decrease) are rejected, cancels,
 * mass cancels and the kill switch work. */
static void test_halt_lifecycle(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);    /* oid 1 */
	put(f, A, 2, SELL, 101, 5);    /* oid 2 */
	put(f, A, 3, SELL, 102, 5);    /* oid 3 */
	assert_int_equal(do_status(f, INST, NX_STATUS_HALTED, 0), 0);
	EXPECT(STS(HALTED));
	o = with_tif(lim(B, 1, BUY, 100, 1), NX_TIF_FOK);
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_HALTED);
	assert_int_equal(do_replace(f, A, 1, 0, 1, 100, 4), NX_REJ_INSTRUMENT_HALTED);
	EXPECT(REJI(A, 1, 0, 1, REPLACE, INSTRUMENT_HALTED));
	assert_int_equal(do_cancel(f, A, 9, 0, 3), 0);
	assert_int_equal(do_mass(f, A, 10, INST, SELL), 0);
	EXPECT(CXL(A, 1, 10, 1, 5, SELL, MASS_CANCEL), CXL(A, 2, 10, 2, 5, SELL, MASS_CANCEL),
	       bh_mass(A, INST, 10, 2, SELL), LVL(SELL, 100, 0, 0), LVL(SELL, 101, 0, 0));
	o = lim(A, 4, SELL, 100, 5);   /* still halted */
	assert_int_equal(do_new(f, &o), NX_REJ_INSTRUMENT_HALTED);
	COUNT(0);
}

static void test_halt_then_reopen_trades(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	assert_int_equal(do_status(f, INST, NX_STATUS_CLOSED, 0), 0);
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 0), 0);
	EXPECT(STS(OPEN));
	o = lim(B, 1, BUY, 100, 2);
	assert_int_equal(do_new(f, &o), 0);
	EXPECT(bh_acc(&o, 2), MATCH(1, 100, 2, 1, A, 1, 3, 2, 2, B, 1, 0, 2, BUY),
	       LVL(SELL, 100, 3, 1));
	/* status OPEN with cancel_resting cancels what rests (HALT) */
	assert_int_equal(do_status(f, INST, NX_STATUS_OPEN, 1), 0);
	EXPECT(STS(OPEN), CXL(A, 1, 0, 1, 3, SELL, HALT), LVL(SELL, 100, 0, 0));
}

/* ========================================================================= */
/* Capacity                                                                  */
/* ========================================================================= */

/* max_orders 1: an IOC that would trade is refused while the one slot rests;
 * no id is consumed, nothing changes; the slot freed by a fill is reusable. */
static void test_capacity_ioc_needs_slot(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o;

	put(f, A, 1, SELL, 100, 5);
	o = with_tif(lim(B, 1, BUY, 100, 5), NX_TIF_IOC);
	assert_int_equal(do_new(f, &o), NX_REJ_ORDER_CAPACITY);
	EXPECT(bh_rej_new(&o, NX_REJ_ORDER_CAPACITY));
	o = mkt(B, 2, BUY, 5);
	assert_int_equal(do_new(f, &o), NX_REJ_ORDER_CAPACITY);
	/* a replace needs no new slot: a crossing one is not available here
	 * (nothing on the other side), a move is */
	assert_int_equal(do_replace(f, A, 1, 0, 1, 101, 6), 0);
	assert_int_equal(do_cancel(f, A, 2, 1, 0), 0);
	put(f, B, 3, BUY, 100, 1);
	ORDER(2, "oid=2 cl=3 acct=2 inst=7 side=1 px=100 leaves=1 vis=1 disp=0 cum=0 po=0 stp=1");
}

int main(void)
{
#define T(fn)  cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
#define T1(fn) cmocka_unit_test_setup_teardown(fn, bh_setup_1_order, bh_teardown)
#define TB(fn) cmocka_unit_test_setup_teardown(fn, setup_big, teardown_big)
	const struct CMUnitTest tests[] = {
		TB(test_replace_total_within_max_qty),
		T(test_window_exact_edges),
		T(test_replace_same_ring_slot),
		T(test_iceberg_alone_refill_no_level),
		T(test_iceberg_refill_alternates),
		T(test_stp_cb_iceberg_whole),
		T(test_fok_dc_iceberg_ahead),
		T(test_market_sell_band_below_zero),
		T(test_cancel_where_whole_book_order),
		T(test_cancel_where_account_after_replace),
		T(test_cancel_tagged_only_that_session),
		T(test_halt_lifecycle),
		T(test_halt_then_reopen_trades),
		T1(test_capacity_ioc_needs_slot),
	};
#undef T
#undef T1
#undef TB
	return cmocka_run_group_tests_name("book_edges", tests, NULL, NULL);
}
