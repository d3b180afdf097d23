/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book's self-trade prevention (docs/matching.md): each
 * mode (NONE, CN, CO, CB, DC), shared STP groups, the account default
 * against the order's own mode, FOK's fillable count under STP, icebergs on
 * either side, and a replace that crosses. Same fixture and checks as
 * test_book_orders.c (tests/book_helpers.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "nx/book.h"
#include "book_helpers.h"

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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
	const struct CMUnitTest tests[] = {
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
	};
#undef T
	return cmocka_run_group_tests_name("book_stp", tests, NULL, NULL);
}
