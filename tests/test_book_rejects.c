/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book's rejects: one test per reject reason of a new
 * order, each also pinning which check comes first when an order breaks
 * several rules, plus UNKNOWN_ORDER for cancel and replace. A rejected order
 * must change nothing and use no venue order id. Same fixture as
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

/* Regression (session 15): an iceberg needed only a display that is a
 * multiple of the lot, and each refill trades again against an incoming
 * order that still crosses: qty 1e6 with display 1 let one market order
 * make a million trades (1e18: it never finished). At most
 * NX_BOOK_ICEBERG_SLICES peaks, for a new order and for a replace's new
 * open quantity. */
static void test_rej_iceberg_too_many_slices(void **state)
{
	struct fx *f = *state;
	struct nx_new_order o = ice(A, 1, SELL, 100, 1000000, 1);

	REJECTED(o, BAD_DISPLAY);
	o = ice(A, 1, SELL, 100, NX_BOOK_ICEBERG_SLICES + 1, 1);
	REJECTED(o, BAD_DISPLAY);
	o = ice(A, 1, SELL, 100, 2 * NX_BOOK_ICEBERG_SLICES + 1, 2);
	REJECTED(o, BAD_DISPLAY);
	o = ice(A, 1, SELL, 100, 3 * NX_BOOK_ICEBERG_SLICES, 3); /* exactly the most */
	nx_oid_t oid = put_o(f, &o);
	/* A replace may not raise the open quantity past the most peaks. */
	assert_int_equal(do_replace(f, A, 2, 1, 0, 100, 3 * NX_BOOK_ICEBERG_SLICES + 1),
			 NX_REJ_BAD_DISPLAY);
	assert_int_equal(do_replace(f, A, 2, 1, 0, 100, 3 * NX_BOOK_ICEBERG_SLICES - 3), 0);
	assert_int_equal(do_cancel(f, A, 3, 2, oid), 0);
	/* What the bound bounds: a market order sweeping an iceberg makes one
	 * trade a peak. */
	o = ice(A, 4, SELL, 100, 300, 1);
	put_o(f, &o);
	o = mkt(B, 1, BUY, 1000000);
	assert_int_equal(do_new(f, &o), 0);
	size_t trades = 0;
	for (size_t i = 0; i < f->r.n; i++)
		trades += f->r.ev[i].type == NX_EV_TRADE;
	assert_int_equal(f->r.dropped, 0);
	assert_int_equal(trades, 300);
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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
	const struct CMUnitTest tests[] = {
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
		T(test_rej_iceberg_too_many_slices),
		T(test_rej_post_only_and_dup_clid_order),
		T(test_rej_duplicate_clid),
		T(test_rej_unknown_order),
		cmocka_unit_test_setup_teardown(test_rej_order_capacity, bh_setup_1_order, bh_teardown),
		T(test_rej_price_out_of_range),
	};
#undef T
	return cmocka_run_group_tests_name("book_rejects", tests, NULL, NULL);
}
