/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Pre-trade risk: every check passes at its boundary and fails one unit
 * past it, with its own reason; the exposure state follows a book driven
 * through risk exactly (checked against a recount from the book after a
 * long random run); the credit check's bounds never change an outcome
 * (differential against the credit sum recomputed from the public state).
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
#include "nx/risk.h"

#define INST 1u   /* tick 1, band 10, reference 1000 */
#define INST2 2u  /* tick 5, band 4, no reference */
#define A 1u
#define B 2u

struct fx {
	struct nx_book *book;
	struct nx_risk *risk;
	struct nx_account_config acct[2];
	nx_clid_t next_cl;
};

/* 1: trades go through nx_risk_on_match_trade, as the engine sends them,
 * and the tests settle before their queries; 0: nx_risk_on_event. */
static int g_match;

static void to_risk(void *ctx, const struct nx_event *ev)
{
	if (g_match && ev->type == NX_EV_TRADE)
		nx_risk_on_match_trade(ctx, &ev->u.trade);
	else
		nx_risk_on_event(ctx, ev);
}

static const struct nx_limits lim = {
	.max_order_notional = 100000, .position_limit = 50, .credit_limit = 200000,
	.max_open_orders = 4, .msg_rate = 100, .msg_burst = 10,
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nx_risk_config rc = { .max_accounts = 4, .max_instruments = 3 };
	struct nx_book_config bc = { .max_instruments = 3, .max_accounts = 4, .max_orders = 256,
				     .ladder_ticks = 4096 };
	f->risk = nx_risk_create(&rc);
	f->book = nx_book_create(&bc, to_risk, f->risk);
	assert_non_null(f->risk);
	assert_non_null(f->book);
	struct nx_instrument i1 = { .id = INST, .symbol = "ONE", .band_ticks = 10, .ref_px = 1000 };
	struct nx_instrument i2 = { .id = INST2, .symbol = "TWO", .tick = 5, .band_ticks = 4 };
	nx_instrument_defaults(&i1);
	nx_instrument_defaults(&i2);
	assert_int_equal(nx_book_add_instrument(f->book, &i1), 0);
	assert_int_equal(nx_book_add_instrument(f->book, &i2), 0);
	assert_int_equal(nx_risk_add_instrument(f->risk, &i1), 0);
	assert_int_equal(nx_risk_add_instrument(f->risk, &i2), 0);
	for (unsigned k = 0; k < 2; k++) {
		f->acct[k] = (struct nx_account_config){ .id = k ? B : A, .limits = lim };
		struct nx_account ba = { .id = f->acct[k].id };
		assert_int_equal(nx_book_add_account(f->book, &ba), 0);
		assert_int_equal(nx_risk_add_account(f->risk, &f->acct[k]), 0);
	}
	f->next_cl = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nx_book_destroy(f->book);
	nx_risk_destroy(f->risk);
	free(f);
	return 0;
}

/* Check then, if it passes, send to the book: what a pipeline does. */
static unsigned order(struct fx *f, nx_acct_t acct, nx_inst_t inst, unsigned side, nx_px_t px,
		      nx_qty_t qty)
{
	struct nx_risk_order ro = { .acct = acct, .inst = inst, .side = (uint8_t)side, .px = px,
				    .qty = qty };
	unsigned why = nx_risk_check_new(f->risk, &ro);
	if (why)
		return why;
	struct nx_new_order o = { .acct = acct, .inst = inst, .cl = f->next_cl++, .px = px,
				  .qty = qty, .side = (uint8_t)side, .type = NX_ORD_LIMIT,
				  .tif = NX_TIF_GTC };
	return (unsigned)nx_book_new_order(f->book, &o);
}

static unsigned check(struct fx *f, nx_acct_t acct, nx_inst_t inst, unsigned side, nx_px_t px,
		      nx_qty_t qty)
{
	struct nx_risk_order ro = { .acct = acct, .inst = inst, .side = (uint8_t)side, .px = px,
				    .qty = qty };
	return nx_risk_check_new(f->risk, &ro);
}

/* A trade at maker's price against account 0, which risk does not know:
 * only maker's account moves. */
static void on_one_sided_trade(struct nx_risk *r, struct nx_ev_fill maker)
{
	struct nx_event ev = { .type = NX_EV_TRADE };
	maker.liq = NX_LIQ_MAKER;
	ev.u.trade = (struct nx_ev_trade){ .inst = maker.inst, .px = maker.px, .qty = maker.qty,
					   .aggressor = (uint8_t)nx_side_other(maker.side),
					   .maker = maker };
	nx_risk_on_event(r, &ev);
}

static struct nx_risk_exposure expo(struct fx *f, nx_acct_t acct, nx_inst_t inst)
{
	struct nx_risk_exposure e;
	assert_int_equal(nx_risk_exposure(f->risk, acct, inst, &e), 0);
	return e;
}

static void test_kill_switches(void **state)
{
	struct fx *f = *state;
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_VENUE, 0, 1), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 1), NX_REJ_RISK_KILL_VENUE);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_VENUE, 0, 0), 0);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_ACCOUNT, A, 1), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 1), NX_REJ_RISK_KILL_ACCOUNT);
	assert_int_equal(check(f, B, INST, NX_SIDE_BUY, 1000, 1), 0);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_ACCOUNT, A, 0), 0);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_INSTRUMENT, INST, 1), 0);
	assert_int_equal(check(f, B, INST, NX_SIDE_BUY, 1000, 1), NX_REJ_RISK_KILL_INSTRUMENT);
	assert_int_equal(check(f, B, INST2, NX_SIDE_BUY, 100, 1), 0);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_INSTRUMENT, INST, 0), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 1), 0);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_ACCOUNT, 99, 1), -ENOENT);
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_INSTRUMENT, 99, 1), -ENOENT);
	assert_int_equal(nx_risk_set_kill(f->risk, 9, 0, 1), -EINVAL);
}

static void test_restricted(void **state)
{
	struct fx *f = *state;
	nx_inst_t restricted[] = { INST2 };
	struct nx_account_config c = { .id = 3, .limits = lim, .nrestricted = 1,
				       .restricted = restricted };
	assert_int_equal(nx_risk_add_account(f->risk, &c), 0);
	assert_int_equal(check(f, 3, INST2, NX_SIDE_BUY, 100, 1), NX_REJ_RISK_RESTRICTED);
	assert_int_equal(check(f, 3, INST, NX_SIDE_BUY, 1000, 1), 0);
	nx_inst_t unknown[] = { 77 };
	c = (struct nx_account_config){ .id = 4, .limits = lim, .nrestricted = 1, .restricted = unknown };
	assert_int_equal(nx_risk_add_account(f->risk, &c), -ENOENT);
	assert_int_equal(nx_risk_add_account(f->risk, &f->acct[0]), -EEXIST);
}

static void test_price_collar(void **state)
{
	struct fx *f = *state;
	/* reference 1000, band 10 ticks of 1 */
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1010, 1), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1011, 1), NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 990, 1), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 989, 1), NX_REJ_RISK_PRICE_COLLAR);
	/* market orders are not collared */
	struct nx_risk_order m = { .acct = A, .inst = INST, .side = NX_SIDE_BUY, .is_market = 1,
				   .px = 5000, .qty = 1 };
	assert_int_equal(nx_risk_check_new(f->risk, &m), 0);
	/* no reference yet: no collar */
	assert_int_equal(check(f, A, INST2, NX_SIDE_BUY, 5, 1), 0);
	/* a trade moves the reference */
	assert_int_equal(order(f, A, INST, NX_SIDE_SELL, 1005, 1), 0);
	assert_int_equal(order(f, B, INST, NX_SIDE_BUY, 1005, 1), 0);
	assert_int_equal(expo(f, A, INST).ref_px, 1005);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1015, 1), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1016, 1), NX_REJ_RISK_PRICE_COLLAR);
	/* an external reference overrides the last trade until cleared */
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 2000), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1015, 1), NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1990, 1), 0);
	assert_int_equal(nx_risk_ref_px(f->risk, INST), 2000);
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 0), 0);
	assert_int_equal(nx_risk_ref_px(f->risk, INST), 1005);
	assert_int_equal(nx_risk_ref_px(f->risk, 99), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1015, 1), 0);
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST2, 7), -EINVAL); /* off the tick */
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST2, -5), -EINVAL);
	assert_int_equal(nx_risk_set_ref_px(f->risk, 99, 5), -ENOENT);
	/* A trade under an external reference leaves it in use, and is the
	 * reference once it is cleared (the risk state keeps the one in use
	 * apart from both: regression for its upkeep). */
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 2000), 0);
	assert_int_equal(order(f, A, INST, NX_SIDE_SELL, 1995, 1), 0);
	assert_int_equal(order(f, B, INST, NX_SIDE_BUY, 1995, 1), 0);
	assert_int_equal(nx_risk_ref_px(f->risk, INST), 2000);
	assert_int_equal(expo(f, A, INST).ref_px, 2000);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 2010, 1), 0);
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 0), 0);
	assert_int_equal(nx_risk_ref_px(f->risk, INST), 1995);
	assert_int_equal(expo(f, A, INST).ref_px, 1995);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 2006, 1), NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 0), 0); /* again: still the last trade */
	assert_int_equal(nx_risk_ref_px(f->risk, INST), 1995);
}

/* Regression: a limit price of 0 or below is the book's BAD_PRICE, as a
 * quantity of 0 is its BAD_QTY; risk passed neither kind through alike. At
 * an instrument with a reference the order was refused as outside the
 * collar (RISK_PRICE_COLLAR), at one without it reached the book (BAD_PRICE):
 * one malformed order, two reasons, depending on a price the trader does
 * not send. Replaces likewise. */
static void test_bad_price_is_the_books(void **state)
{
	struct fx *f = *state;
	for (nx_px_t px = 0; px >= -1000; px -= 1000) {
		assert_int_equal(order(f, A, INST, NX_SIDE_BUY, px, 1), NX_REJ_BAD_PRICE);
		assert_int_equal(order(f, A, INST, NX_SIDE_SELL, px, 1), NX_REJ_BAD_PRICE);
		assert_int_equal(order(f, A, INST2, NX_SIDE_BUY, px, 1), NX_REJ_BAD_PRICE);
	}
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 1000, 2), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 2, 0, 2), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 2, -1000, 2), 0);
	struct nx_replace r = { .acct = A, .oid = 1, .cl = 50, .px = 0, .qty = 2 };
	assert_int_equal(nx_book_replace(f->book, &r), NX_REJ_BAD_PRICE);
	/* the checks still apply to market orders, priced 0 with no opposite side */
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_VENUE, 0, 1), 0);
	struct nx_risk_order m = { .acct = A, .inst = INST, .side = NX_SIDE_SELL, .is_market = 1,
				   .px = 0, .qty = 1 };
	assert_int_equal(nx_risk_check_new(f->risk, &m), NX_REJ_RISK_KILL_VENUE);
	/* and to prices above 0: the collar */
	assert_int_equal(nx_risk_set_kill(f->risk, NX_KILL_VENUE, 0, 0), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1, 1), NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 2, 1, 2),
			 NX_REJ_RISK_PRICE_COLLAR);
	assert_int_equal(expo(f, A, INST).open_notional, 2000);
	assert_int_equal(expo(f, A, INST).open_orders, 1);
}

static void test_max_order_notional(void **state)
{
	struct fx *f = *state;
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, 1000), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 100), 0);      /* 100000 */
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1001, 100), NX_REJ_RISK_MAX_NOTIONAL);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MAX_ORDER_NOTIONAL, 100100), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1001, 100), 0);
	/* an overflowing product saturates and fails rather than wrapping */
	assert_int_equal(check(f, A, INST2, NX_SIDE_BUY, INT64_MAX / 5 * 5, 4), NX_REJ_RISK_MAX_NOTIONAL);
}

/* Regression: with every money limit at INT64_MAX ("idle"), an order whose
 * notional passes INT64_MAX saturated to exactly the limit and passed; the
 * open notional then saturated too, and that order's cancel took away every
 * other order's notional (a sum pinned at INT64_MAX is not invertible). */
static void test_notional_past_int64(void **state)
{
	struct fx *f = *state;
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MAX_ORDER_NOTIONAL, INT64_MAX), 0);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, INT64_MAX), 0);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, INT64_MAX), 0);
	/* 1e7 x 1e12 = 1e19 > 2^63 - 1: refused whatever the limit. */
	assert_int_equal(check(f, A, INST2, NX_SIDE_SELL, 10000000, 1000000000000),
			 NX_REJ_RISK_MAX_NOTIONAL);

	/* State: a resting 9e11 buy, then an order past INT64_MAX that reached
	 * risk anyway (state follows events whatever admitted them) and its
	 * cancel: the open notional is 9e11 again, exactly. */
	struct nx_event ev = { .type = NX_EV_ACCEPTED };
	ev.u.order = (struct nx_ev_order){ .acct = A, .inst = INST2, .oid = 1, .px = 9000000,
					   .qty = 100000, .side = NX_SIDE_BUY };
	nx_risk_on_event(f->risk, &ev);
	ev.u.order = (struct nx_ev_order){ .acct = A, .inst = INST2, .oid = 2, .px = 10000000,
					   .qty = 1000000000000, .side = NX_SIDE_SELL };
	nx_risk_on_event(f->risk, &ev);
	struct nx_event cx = { .type = NX_EV_CANCELED };
	cx.u.cancel = (struct nx_ev_cancel){ .acct = A, .inst = INST2, .oid = 2, .px = 10000000,
					     .qty = 1000000000000, .side = NX_SIDE_SELL };
	nx_risk_on_event(f->risk, &cx);
	assert_int_equal(expo(f, A, INST2).open_notional, 900000000000);
	assert_int_equal(expo(f, A, INST2).open_orders, 1);
	/* So a credit limit tightened to it admits nothing more. */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, 900000000000), 0);
	assert_int_equal(check(f, A, INST2, NX_SIDE_BUY, 5, 1), NX_REJ_RISK_CREDIT_LIMIT);

	/* An open notional that would pass INT64_MAX fails the credit check
	 * even at an idle limit (it used to saturate to the limit and pass). */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, INT64_MAX), 0);
	ev.u.order = (struct nx_ev_order){ .acct = A, .inst = INST2, .oid = 3, .px = 9000000,
					   .qty = 1000000000000, .side = NX_SIDE_BUY }; /* 9e18 */
	nx_risk_on_event(f->risk, &ev);
	assert_int_equal(check(f, A, INST2, NX_SIDE_BUY, 5, 1), 0);
	assert_int_equal(check(f, A, INST2, NX_SIDE_BUY, 9000000, 100000000000),
			 NX_REJ_RISK_CREDIT_LIMIT); /* 9e17 more: past 2^63 - 1 */
}

static void test_max_open_orders(void **state)
{
	struct fx *f = *state;
	for (int k = 0; k < 4; k++)
		assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 995, 1), 0);
	assert_int_equal(expo(f, A, INST).open_orders, 4);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 995, 1), NX_REJ_RISK_MAX_OPEN_ORDERS);
	/* a fill that finishes one frees a place */
	assert_int_equal(order(f, B, INST, NX_SIDE_SELL, 995, 1), 0);
	assert_int_equal(expo(f, A, INST).open_orders, 3);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 995, 1), 0);
	/* and so does a cancel */
	struct nx_cancel c = { .acct = A, .oid = 2 };
	assert_int_equal(nx_book_cancel(f->book, &c), 0);
	assert_int_equal(expo(f, A, INST).open_orders, 2);
	/* IOC orders count while they are processed, and leave nothing behind */
	struct nx_new_order ioc = { .acct = A, .inst = INST, .cl = 900, .px = 995, .qty = 1,
				    .side = NX_SIDE_BUY, .type = NX_ORD_LIMIT, .tif = NX_TIF_IOC };
	assert_int_equal(nx_book_new_order(f->book, &ioc), 0);
	assert_int_equal(expo(f, A, INST).open_orders, 2);
}

/* Regression (session 15): max_open_orders refused IOC, FOK and market
 * orders too, though they never rest: an account at its maximum of working
 * orders could not even take liquidity to flatten its position. They pass
 * that check now (every other check still applies to them). */
static void test_max_open_orders_counts_working_orders(void **state)
{
	struct fx *f = *state;
	for (int k = 0; k < 4; k++)
		assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 995, 1), 0);
	struct nx_risk_order ro = { .acct = A, .inst = INST, .side = NX_SIDE_SELL, .px = 995,
				    .qty = 1 };
	assert_int_equal(nx_risk_check_new(f->risk, &ro), NX_REJ_RISK_MAX_OPEN_ORDERS);
	ro.never_rests = 1; /* IOC or FOK */
	assert_int_equal(nx_risk_check_new(f->risk, &ro), 0);
	ro.is_market = 1;
	assert_int_equal(nx_risk_check_new(f->risk, &ro), 0);
	ro.is_market = 0;
	ro.px = 5000; /* and the other checks still refuse it */
	assert_int_equal(nx_risk_check_new(f->risk, &ro), NX_REJ_RISK_PRICE_COLLAR);
	/* it trades, and leaves the count where it was */
	struct nx_new_order ioc = { .acct = A, .inst = INST, .cl = 901, .px = 995, .qty = 1,
				    .side = NX_SIDE_SELL, .type = NX_ORD_LIMIT, .tif = NX_TIF_IOC };
	assert_int_equal(nx_book_new_order(f->book, &ioc), 0);
	assert_int_equal(expo(f, A, INST).open_orders, 3); /* it filled one of the four */
	assert_int_equal(expo(f, A, INST).position, 0);
}

static void test_position_limit(void **state)
{
	struct fx *f = *state;
	/* limit 50: open buys count against the long side */
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 1000, 30), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 20), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 21), NX_REJ_RISK_POSITION_LIMIT);
	/* sells are judged on the short side only */
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 1001, 50), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 1001, 51), NX_REJ_RISK_POSITION_LIMIT);
	/* filled: position 30, nothing open */
	assert_int_equal(order(f, B, INST, NX_SIDE_SELL, 1000, 30), 0);
	struct nx_risk_exposure e = expo(f, A, INST);
	assert_int_equal(e.position, 30);
	assert_int_equal(e.open_buy, 0);
	assert_int_equal(expo(f, B, INST).position, -30);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 20), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 21), NX_REJ_RISK_POSITION_LIMIT);
	/* a long position makes room on the short side */
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 1001, 80), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 1001, 81), NX_REJ_RISK_POSITION_LIMIT);
	/* a limit lowered below the position still lets the position shrink */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, 10), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 1), NX_REJ_RISK_POSITION_LIMIT);
	assert_int_equal(check(f, A, INST, NX_SIDE_SELL, 1000, 30), 0);
}

static void test_credit_limit(void **state)
{
	struct fx *f = *state;
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, 50000), 0);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, 1000), 0);
	/* open notional 40 x 1000 */
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 1000, 40), 0);
	assert_int_equal(expo(f, A, INST).open_notional, 40000);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 10), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1001, 10), NX_REJ_RISK_CREDIT_LIMIT);
	/* filled: 40 x reference 1000 of position exposure instead of open notional */
	assert_int_equal(order(f, B, INST, NX_SIDE_SELL, 1000, 40), 0);
	assert_int_equal(expo(f, A, INST).open_notional, 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1000, 10), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 1001, 10), NX_REJ_RISK_CREDIT_LIMIT);
	/* the exposure moves with the reference price */
	assert_int_equal(nx_risk_set_ref_px(f->risk, INST, 900), 0);
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 900, 15), 0);   /* 36000 + 13500 */
	assert_int_equal(check(f, A, INST, NX_SIDE_BUY, 900, 16), NX_REJ_RISK_CREDIT_LIMIT);
}

static void test_replace_checks(void **state)
{
	struct fx *f = *state;
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 1000, 40), 0);
	/* +10 to 50 is at the position limit; +11 is past it */
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 50), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 51),
			 NX_REJ_RISK_POSITION_LIMIT);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1011, 40),
			 NX_REJ_RISK_PRICE_COLLAR);
	/* a replace does not add an open order: at the count limit it still passes */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MAX_OPEN_ORDERS, 1), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 999, 30), 0);
	/* the book's REPLACED event moves open quantity and notional */
	struct nx_replace r = { .acct = A, .cl = 50, .oid = 1, .px = 999, .qty = 30 };
	assert_int_equal(nx_book_replace(f->book, &r), 0);
	struct nx_risk_exposure e = expo(f, A, INST);
	assert_int_equal(e.open_buy, 30);
	assert_int_equal(e.open_notional, 29970);
	assert_int_equal(e.open_orders, 1);
}

/* Limits lowered at run time below what is open: a replace that adds
 * nothing to a limit is not refused by it (a replace adds no open order; a
 * smaller open quantity or notional shrinks the worst case), only one that
 * adds to it; cancel is not the only way down. */
static void test_replace_after_limits_lowered(void **state)
{
	struct fx *f = *state;
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 1000, 40), 0);
	assert_int_equal(order(f, A, INST, NX_SIDE_BUY, 999, 5), 0);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MAX_OPEN_ORDERS, 1), 0);
	/* two open, limit 1: shrinking one is not opening one */
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 10), 0);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MAX_OPEN_ORDERS, 4), 0);
	/* worst case long 45, limit 10: down (or a move at the same size) passes, up does not */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, 10), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 10), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 998, 40), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 41),
			 NX_REJ_RISK_POSITION_LIMIT);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_POSITION, 50), 0);
	/* open notional 44995, credit 10000: less notional passes (14995 is still above), more does not */
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, 10000), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1000, 10), 0);
	assert_int_equal(nx_risk_check_replace(f->risk, A, INST, NX_SIDE_BUY, 1000, 40, 1001, 40),
			 NX_REJ_RISK_CREDIT_LIMIT);
}

static void test_set_limit_errors(void **state)
{
	struct fx *f = *state;
	struct nx_limits l;
	assert_int_equal(nx_risk_set_limit(f->risk, 99, NX_LIMIT_CREDIT, 1), -ENOENT);
	assert_int_equal(nx_risk_set_limit(f->risk, A, 0, 1), -EINVAL);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_CREDIT, -1), -EINVAL);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MSG_RATE, (int64_t)UINT32_MAX + 1), -EINVAL);
	assert_int_equal(nx_risk_set_limit(f->risk, A, NX_LIMIT_MSG_BURST, 77), 0);
	assert_int_equal(nx_risk_limits(f->risk, A, &l), 0);
	assert_int_equal(l.msg_burst, 77);
	assert_int_equal(nx_risk_limits(f->risk, 99, &l), -ENOENT);
}

/* After a long random run, recount every account's open quantity, open
 * notional and open orders from the book, and positions from the fills. */
static int64_t g_pos[4][3];    /* by account 1..3 and instrument */
static nx_oid_t g_last_oid;

static void tee(void *ctx, const struct nx_event *ev)
{
	to_risk(ctx, ev);
	if (ev->type == NX_EV_ACCEPTED)
		g_last_oid = ev->u.order.oid;
	if (ev->type == NX_EV_TRADE) {
		const struct nx_ev_fill *f[2] = { &ev->u.trade.maker, &ev->u.trade.taker };
		for (int k = 0; k < 2; k++)
			g_pos[f[k]->acct][f[k]->inst] += f[k]->side == NX_SIDE_BUY ? f[k]->qty : -f[k]->qty;
	}
}

/* Every account up to last: open quantities, notional and orders recounted
 * from the book, positions from the fills tee saw. */
static void recount(struct fx *f, nx_acct_t last)
{
	for (nx_acct_t acct = 1; acct <= last; acct++) {
		int64_t notional = 0;
		uint32_t orders = 0;
		for (nx_inst_t inst = INST; inst <= INST2; inst++) {
			int64_t open[3] = { 0 };
			for (unsigned side = NX_SIDE_BUY; side <= NX_SIDE_SELL; side++) {
				struct nx_level_info lv[64];
				int n = nx_book_depth(f->book, inst, side, lv, 64);
				for (int k = 0; k < n; k++) {
					nx_oid_t oids[300];
					int m = nx_book_level_orders(f->book, inst, side, lv[k].px, oids, 300);
					for (int j = 0; j < m; j++) {
						struct nx_order_info oi;
						assert_int_equal(nx_book_order(f->book, oids[j], &oi), 0);
						if (oi.acct != acct)
							continue;
						open[side] += oi.leaves;
						notional += oi.leaves * oi.px;
						orders++;
					}
				}
			}
			struct nx_risk_exposure e = expo(f, acct, inst);
			assert_int_equal(e.open_buy, open[NX_SIDE_BUY]);
			assert_int_equal(e.open_sell, open[NX_SIDE_SELL]);
			assert_int_equal(e.position, g_pos[acct][inst]);
		}
		struct nx_risk_exposure e = expo(f, acct, INST);
		assert_int_equal(e.open_notional, notional);
		assert_int_equal(e.open_orders, orders);
	}
}

/* What a random step draws from x: account A or B, either instrument, a side
 * and a limit price on the instrument's grid around its reference. */
struct draw {
	nx_acct_t acct;
	nx_inst_t inst;
	unsigned side;
	nx_px_t tick, px;
};

static struct draw draw_of(uint64_t x)
{
	struct draw d = { .acct = (x & 1) ? A : B, .inst = (x & 2) ? INST : INST2,
			  .side = (x & 4) ? NX_SIDE_BUY : NX_SIDE_SELL };
	d.tick = d.inst == INST ? 1 : 5;
	d.px = (d.inst == INST ? 995 : 100) + (nx_px_t)((x >> 8) % 11) * d.tick;
	return d;
}

/* One random command to the book, drawn from x: a limit order (GTC, IOC or
 * FOK; some icebergs; any self-trade mode), a cancel or replace of any id
 * (unknown ones included), or a market order, in 7 of 8 draws; -1 for the
 * eighth, which sends nothing (the caller's). */
static int random_command(struct fx *f, uint64_t x)
{
	struct draw d = draw_of(x);
	unsigned k = (unsigned)((x >> 40) % 8);
	switch ((x >> 20) % 8) {
	case 0: case 1: case 2: case 3: {
		struct nx_new_order o = { .acct = d.acct, .inst = d.inst, .cl = f->next_cl++,
			.px = d.px, .qty = 1 + (nx_qty_t)((x >> 30) % 30), .side = (uint8_t)d.side,
			.type = NX_ORD_LIMIT, .stp = (uint8_t)((x >> 52) % 6),
			.tif = k < 5 ? NX_TIF_GTC : k < 7 ? NX_TIF_IOC : NX_TIF_FOK,
			.display = k < 2 ? 2 : 0 };
		nx_book_new_order(f->book, &o);
		return 0;
	}
	case 4: {
		struct nx_cancel c = { .acct = d.acct, .oid = 1 + (x >> 24) % f->next_cl };
		nx_book_cancel(f->book, &c);
		return 0;
	}
	case 5: {
		struct nx_replace r = { .acct = d.acct, .cl = f->next_cl++,
			.oid = 1 + (x >> 24) % f->next_cl, .px = d.px,
			.qty = 1 + (nx_qty_t)((x >> 34) % 20) };
		nx_book_replace(f->book, &r);
		return 0;
	}
	case 6: {
		struct nx_new_order o = { .acct = d.acct, .inst = d.inst, .cl = f->next_cl++,
			.qty = 1 + (nx_qty_t)((x >> 30) % 40), .side = (uint8_t)d.side,
			.type = NX_ORD_MARKET, .tif = NX_TIF_IOC };
		nx_book_new_order(f->book, &o);
		return 0;
	}
	default:
		return -1;
	}
}

static void test_exposure_follows_book(void **state)
{
	struct fx *f = *state;
	uint64_t x = 88172645463325252ull;
	memset(g_pos, 0, sizeof(g_pos));
	nx_book_set_sink(f->book, tee, f->risk);
	for (unsigned a = 0; a < 2; a++) {
		f->acct[a].limits = (struct nx_limits){ INT64_MAX, INT64_MAX, INT64_MAX, 1000, 1, 1 };
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_MAX_ORDER_NOTIONAL, INT64_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_POSITION, INT64_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_CREDIT, INT64_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_MAX_OPEN_ORDERS, 1000);
	}
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		random_command(f, x);
	}
	recount(f, B);
}

/* As test_exposure_follows_book, over every path that changes an order:
 * accounts of one self-trade group with every STP mode (DC's REDUCED,
 * CO/CB/CN cancels), FOK, icebergs and their refills, market orders with
 * FOK, replaces, mass cancels, kill-switch and halt cancels. The recount
 * runs every few hundred commands, so a drift is caught near its cause. */
static void test_exposure_follows_book_every_path(void **state)
{
	struct fx *f = *state;
	uint64_t x = 0x2545f4914f6cdd1dull;
	memset(g_pos, 0, sizeof(g_pos));
	g_last_oid = 0;
	/* account 3 shares account 1's self-trade group */
	struct nx_account ba = { .id = 3, .stp_group = A };
	assert_int_equal(nx_book_add_account(f->book, &ba), 0);
	struct nx_account_config c3 = { .id = 3, .limits = lim };
	assert_int_equal(nx_risk_add_account(f->risk, &c3), 0);
	nx_book_set_sink(f->book, tee, f->risk);
	for (nx_acct_t a = 1; a <= 3; a++) {
		nx_risk_set_limit(f->risk, a, NX_LIMIT_MAX_ORDER_NOTIONAL, INT64_MAX);
		nx_risk_set_limit(f->risk, a, NX_LIMIT_POSITION, INT64_MAX);
		nx_risk_set_limit(f->risk, a, NX_LIMIT_CREDIT, INT64_MAX);
		nx_risk_set_limit(f->risk, a, NX_LIMIT_MAX_OPEN_ORDERS, 1000);
	}
	for (int step = 0; step < 40000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		nx_acct_t acct = 1 + (nx_acct_t)((x >> 60) % 3);
		nx_inst_t inst = (x & 2) ? INST : INST2;
		nx_px_t tick = inst == INST ? 1 : 5;
		unsigned side = (x & 4) ? NX_SIDE_BUY : NX_SIDE_SELL;
		nx_px_t px = (inst == INST ? 995 : 100) + (nx_px_t)((x >> 8) % 11) * tick;
		uint8_t stp = (uint8_t)((x >> 52) % 6);
		/* cancels and replaces name a recent order, mostly as its owner */
		nx_oid_t oid = g_last_oid > (x >> 24) % 48 ? g_last_oid - (x >> 24) % 48 : 1;
		struct nx_order_info oi = { 0 };
		nx_acct_t owner = !nx_book_order(f->book, oid, &oi) && (x >> 58) % 8 ? oi.acct : acct;
		switch ((x >> 20) % 10) {
		case 0: case 1: case 2: case 3: {
			unsigned k = (unsigned)((x >> 40) % 8);
			struct nx_new_order o = { .acct = acct, .inst = inst, .cl = f->next_cl++,
				.px = px, .qty = 1 + (nx_qty_t)((x >> 30) % 9), .side = (uint8_t)side,
				.type = NX_ORD_LIMIT, .stp = stp,
				.tif = k < 5 ? NX_TIF_GTC : k < 7 ? NX_TIF_IOC : NX_TIF_FOK,
				.display = k < 2 ? 2 : 0 };
			nx_book_new_order(f->book, &o);
			break;
		}
		case 4: {
			struct nx_cancel c = { .acct = owner, .oid = oid };
			nx_book_cancel(f->book, &c);
			break;
		}
		case 5: case 6: {
			if (owner == oi.acct && oid == oi.oid) /* a price on its instrument's grid */
				px = oi.inst == INST ? 995 + (nx_px_t)((x >> 8) % 11)
						     : 100 + (nx_px_t)((x >> 8) % 11) * 5;
			struct nx_replace r = { .acct = owner, .cl = f->next_cl++, .oid = oid, .px = px,
				.qty = 1 + (nx_qty_t)((x >> 34) % 9) };
			nx_book_replace(f->book, &r);
			break;
		}
		case 7: {
			struct nx_new_order o = { .acct = acct, .inst = inst, .cl = f->next_cl++,
				.qty = 1 + (nx_qty_t)((x >> 30) % 20), .side = (uint8_t)side,
				.type = NX_ORD_MARKET, .stp = stp,
				.tif = (x >> 40) % 3 ? NX_TIF_IOC : NX_TIF_FOK };
			nx_book_new_order(f->book, &o);
			break;
		}
		case 8:
			if ((x >> 36) % 16 == 0) {
				struct nx_mass_cancel m = { .acct = acct, .cl = f->next_cl++,
					.inst = (x >> 40) & 1 ? inst : 0,
					.side = (uint8_t)((x >> 42) % 3) };
				nx_book_mass_cancel(f->book, &m);
			}
			break;
		default:
			if ((x >> 36) % 64 == 0)
				nx_book_cancel_where(f->book, (x >> 42) & 1 ? acct : 0,
						     (x >> 43) & 1 ? inst : 0, NX_CXL_KILL_SWITCH);
			else if ((x >> 36) % 64 == 1)
				nx_book_set_status(f->book, inst, NX_STATUS_OPEN, 1);
			break;
		}
		if (step % 500 == 499)
			recount(f, 3);
	}
	recount(f, 3);
}

/* The same through nx_risk_on_match_trade, as the engine sends trades. */
static void test_exposure_follows_book_match_trades(void **state)
{
	g_match = 1;
	test_exposure_follows_book_every_path(state);
	g_match = 0;
}

/*
 * The credit check decides without summing the exposure when its bounds
 * (the exposure at the stamped prices, plus or minus what the references
 * have moved since; at most sum |position| x the highest reference price)
 * are both within the limit or both past it. Differential: along a random
 * run, with limits set around the exact credit sum (recomputed here from
 * the public state, saturating as docs/risk.md says) and sometimes far
 * above it, every check must give the outcome of the exact sum, while
 * trades and external reference prices move the references both ways; and
 * the run must decide from the bounds (passes and refusals) and by walking.
 */
static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t s;
	return __builtin_add_overflow(a, b, &s) ? (b < 0 ? INT64_MIN : INT64_MAX) : s;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
	int64_t p;
	return __builtin_mul_overflow(a, b, &p) ? ((a < 0) != (b < 0) ? INT64_MIN : INT64_MAX) : p;
}

static int64_t credit_recount(struct fx *f, nx_acct_t acct, int64_t add_notional)
{
	int64_t sum = 0;
	for (nx_inst_t inst = INST; inst <= INST2; inst++) {
		struct nx_risk_exposure e = expo(f, acct, inst);
		int64_t p = e.position < 0 ? -e.position : e.position;
		if (p)
			sum = sat_add(sum, sat_mul(p, e.ref_px));
	}
	return sat_add(sat_add(expo(f, acct, INST).open_notional, add_notional), sum);
}

static void test_credit_bound_matches_recount(void **state)
{
	struct fx *f = *state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned checked = 0, passed = 0, rejected = 0, walked = 0, fast_rejected = 0;
	for (unsigned a = 0; a < 2; a++) {
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_MAX_ORDER_NOTIONAL, INT64_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_POSITION, INT64_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_MAX_OPEN_ORDERS, UINT32_MAX);
		nx_risk_set_limit(f->risk, f->acct[a].id, NX_LIMIT_CREDIT, INT64_MAX);
	}
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		nx_acct_t acct = (x & 1) ? A : B;
		/* one instrument first, where the bound is tight (it is 1005 where the
		 * exact price is 995..1005), then two at different prices */
		nx_inst_t inst = (x & 2) || step < 8000 ? INST : INST2;
		nx_px_t tick = inst == INST ? 1 : 5;
		unsigned side = (x & 4) ? NX_SIDE_BUY : NX_SIDE_SELL;
		nx_px_t px = (inst == INST ? 995 : 100) + (nx_px_t)((x >> 8) % 11) * tick;
		switch ((x >> 20) % 8) {
		case 0: case 1: case 2: {
			struct nx_new_order o = { .acct = acct, .inst = inst, .cl = f->next_cl++,
				.px = px, .qty = 1 + (nx_qty_t)((x >> 30) % 9), .side = (uint8_t)side,
				.type = NX_ORD_LIMIT, .tif = (x >> 40) % 4 ? NX_TIF_GTC : NX_TIF_IOC };
			nx_book_new_order(f->book, &o);
			break;
		}
		case 3: {
			struct nx_cancel c = { .acct = acct, .oid = 1 + (x >> 24) % f->next_cl };
			nx_book_cancel(f->book, &c);
			break;
		}
		case 4: {
			struct nx_new_order o = { .acct = acct, .inst = inst, .cl = f->next_cl++,
				.qty = 1 + (nx_qty_t)((x >> 30) % 20), .side = (uint8_t)side,
				.type = NX_ORD_MARKET, .tif = NX_TIF_IOC };
			nx_book_new_order(f->book, &o);
			break;
		}
		case 5:
			/* later, an external reference: lower, higher (the bound loosens) or none */
			if (step >= 14000 && (x >> 36) % 8 == 0) {
				nx_px_t ext = (x >> 40) % 3 == 0 ? 0 : (nx_px_t)(1 + (x >> 44) % 400) * 5 * tick;
				assert_int_equal(nx_risk_set_ref_px(f->risk, inst, ext), 0);
			}
			break;
		default:
			break;
		}
		/* A check near its limit: exactly at the exact sum, around it, or far above. */
		nx_px_t ref = nx_risk_ref_px(f->risk, inst);
		nx_px_t cpx = ref ? ref : px;
		nx_qty_t qty = 1 + (nx_qty_t)((x >> 50) % 9);
		int replace = (x >> 47) & 1;
		nx_px_t old_px = cpx - tick;
		nx_qty_t old_qty = 1 + (nx_qty_t)((x >> 56) % 5);
		int64_t add = replace ? sat_add(sat_mul(cpx, qty), -sat_mul(old_px, old_qty))
				      : sat_mul(cpx, qty);
		int64_t exact = credit_recount(f, acct, add);
		int64_t delta = (int64_t)((x >> 32) % 5) - 2, limit;
		int64_t spread = exact > 0 && exact < INT64_MAX / 4 ? 1 + exact / 64 : 1;
		switch ((x >> 58) % 6) {
		case 0: limit = INT64_MAX; break;
		case 1: limit = exact > 0 && exact < INT64_MAX / 4 ? exact * 3 : INT64_MAX; break;
		case 2: limit = sat_add(exact, -1 - (int64_t)((x >> 24) % (uint64_t)spread)); break;
		case 3: limit = sat_add(exact, (int64_t)((x >> 24) % (uint64_t)spread)); break;
		default: limit = sat_add(exact, delta); break;
		}
		if (limit < 0)
			limit = 0;
		assert_int_equal(nx_risk_set_limit(f->risk, acct, NX_LIMIT_CREDIT, limit), 0);
		uint64_t walks = nx_risk_exposure_walks(f->risk);
		unsigned why;
		if (replace) {
			why = nx_risk_check_replace(f->risk, acct, inst, side, old_px, old_qty, cpx, qty);
		} else {
			struct nx_risk_order ro = { .acct = acct, .inst = inst, .side = (uint8_t)side,
						    .px = cpx, .qty = qty };
			why = nx_risk_check_new(f->risk, &ro);
		}
		if (why && why != NX_REJ_RISK_CREDIT_LIMIT)
			continue; /* the collar of a far external reference: not this test's */
		assert_int_equal(why, exact > limit && (!replace || add > 0) ? NX_REJ_RISK_CREDIT_LIMIT : 0);
		checked++;
		passed += !why;
		rejected += !!why;
		walked += nx_risk_exposure_walks(f->risk) != walks;
		fast_rejected += why && nx_risk_exposure_walks(f->risk) == walks;
		assert_int_equal(nx_risk_set_limit(f->risk, acct, NX_LIMIT_CREDIT, INT64_MAX), 0);
	}
	/* both outcomes, many times each */
	assert_true(checked > 15000);
	assert_true(passed > 3000 && rejected > 3000);
	/* and each way of deciding: from the bounds, refusals too, and the walk */
	assert_true(walked > 500 && checked - walked > 5000 && fast_rejected > 1000);
}

/*
 * nx_risk_on_match_trade against nx_risk_on_trade: one book feeds two risk
 * states, the second through nx_risk_on_match_trade as the engine does.
 * Along a random run of every kind of command, the two agree on every
 * position, open quantity, open notional and open order count, settled or
 * not, and checks near the credit limit (computed from the first) give the
 * same outcome on both without the second being settled first.
 */
struct two_risks {
	struct nx_risk *now, *match;
	unsigned trades;
};

static void to_two(void *ctx, const struct nx_event *ev)
{
	struct two_risks *t = ctx;
	nx_risk_on_event(t->now, ev);
	if (ev->type == NX_EV_TRADE) {
		nx_risk_on_match_trade(t->match, &ev->u.trade);
		t->trades++;
	} else {
		nx_risk_on_event(t->match, ev);
	}
}

static void same_state(struct two_risks *t)
{
	for (nx_acct_t acct = A; acct <= B; acct++)
		for (nx_inst_t inst = INST; inst <= INST2; inst++) {
			struct nx_risk_exposure x, y;
			assert_int_equal(nx_risk_exposure(t->now, acct, inst, &x), 0);
			assert_int_equal(nx_risk_exposure(t->match, acct, inst, &y), 0);
			assert_int_equal(x.position, y.position);
			assert_int_equal(x.open_buy, y.open_buy);
			assert_int_equal(x.open_sell, y.open_sell);
			assert_int_equal(x.open_notional, y.open_notional);
			assert_int_equal(x.open_orders, y.open_orders);
			assert_int_equal(x.ref_px, y.ref_px);
		}
}

static void test_match_trades_settle_like_trades(void **state)
{
	struct fx *f = *state;
	struct nx_risk_config rc = { .max_accounts = 4, .max_instruments = 3 };
	struct two_risks t = { f->risk, nx_risk_create(&rc), 0 };
	assert_non_null(t.match);
	struct nx_instrument i1 = { .id = INST, .symbol = "ONE", .band_ticks = 10, .ref_px = 1000 };
	struct nx_instrument i2 = { .id = INST2, .symbol = "TWO", .tick = 5, .band_ticks = 4 };
	nx_instrument_defaults(&i1);
	nx_instrument_defaults(&i2);
	assert_int_equal(nx_risk_add_instrument(t.match, &i1), 0);
	assert_int_equal(nx_risk_add_instrument(t.match, &i2), 0);
	struct nx_limits open = { INT64_MAX, INT64_MAX, INT64_MAX, 100000, 1, 1 };
	for (unsigned a = 0; a < 2; a++) {
		struct nx_account_config c = { .id = f->acct[a].id, .limits = open };
		assert_int_equal(nx_risk_add_account(t.match, &c), 0);
		for (unsigned k = NX_LIMIT_MAX_ORDER_NOTIONAL; k <= NX_LIMIT_MAX_OPEN_ORDERS; k++)
			assert_int_equal(nx_risk_set_limit(t.now, c.id, k, k == NX_LIMIT_MAX_OPEN_ORDERS
							   ? 100000 : INT64_MAX), 0);
	}
	nx_book_set_sink(f->book, to_two, &t);
	uint64_t x = 0x5851f42d4c957f2dull;
	unsigned checks = 0, refused = 0;
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		struct draw d = draw_of(x);
		if (random_command(f, x) < 0 && (x >> 36) % 32 == 0) {
			nx_px_t ext = (x >> 41) % 2 ? 0 : (nx_px_t)(990 + (x >> 44) % 20) * d.tick;
			assert_int_equal(nx_risk_set_ref_px(t.now, d.inst, ext), 0);
			assert_int_equal(nx_risk_set_ref_px(t.match, d.inst, ext), 0);
		}
		nx_acct_t acct = d.acct;
		nx_inst_t inst = d.inst;
		/* a check near the credit limit, on both; the second unsettled */
		struct nx_risk_exposure e1 = expo(f, acct, INST), e2 = expo(f, acct, INST2);
		int64_t exposure = sat_add(sat_mul(e1.position < 0 ? -e1.position : e1.position,
						   e1.ref_px),
					   sat_mul(e2.position < 0 ? -e2.position : e2.position,
						   e2.ref_px));
		nx_px_t cpx = nx_risk_ref_px(t.now, inst);
		nx_qty_t qty = 1 + (nx_qty_t)((x >> 50) % 9);
		int64_t limit = sat_add(sat_add(e1.open_notional, cpx * qty), exposure);
		limit = sat_add(limit, (int64_t)((x >> 12) % 2001) - 1000);
		if (limit < 0)
			limit = 0;
		assert_int_equal(nx_risk_set_limit(t.now, acct, NX_LIMIT_CREDIT, limit), 0);
		assert_int_equal(nx_risk_set_limit(t.match, acct, NX_LIMIT_CREDIT, limit), 0);
		same_state(&t); /* the second unsettled: its queries add the taker */
		struct nx_risk_order ro = { .acct = acct, .inst = inst, .side = (uint8_t)d.side,
					    .px = cpx, .qty = qty };
		unsigned why = nx_risk_check_new(t.now, &ro);
		assert_int_equal(nx_risk_check_new(t.match, &ro), why);
		checks++;
		refused += why == NX_REJ_RISK_CREDIT_LIMIT;
		if (step % 64 == 63) {
			nx_risk_settle(t.match);
			same_state(&t);
		}
	}
	/* many takers summed, checks both ways */
	assert_true(t.trades > 3000 && refused > 1000 && checks - refused > 1000);
	nx_risk_destroy(t.match);
}

/* Setting up: bad configurations and memory, and every refusal of adding
 * an instrument or an account (invalid, full, a restriction naming an
 * instrument risk does not know); queries about unknown ids. */
static void test_setup_errors(void **state)
{
	(void)state;
	struct nx_risk_config bad[] = { { 0, 1 }, { 1, 0 }, { (1u << 24) + 1, 1 }, { 1, (1u << 20) + 1 } };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(nx_risk_memsize(&bad[k]), 0);
		errno = 0;
		assert_null(nx_risk_create(&bad[k]));
		assert_int_equal(errno, EINVAL);
	}
	assert_int_equal(nx_risk_memsize(NULL), 0);
	struct nx_risk_config rc = { .max_accounts = 1, .max_instruments = 1 };
	size_t sz = nx_risk_memsize(&rc);
	void *mem = aligned_alloc(64, (sz + 127) & ~(size_t)63); /* a multiple of 64, room for +8 */
	assert_non_null(mem);
	errno = 0;
	assert_null(nx_risk_init((char *)mem + 8, sz, &rc)); /* misaligned */
	assert_int_equal(errno, EINVAL);
	assert_null(nx_risk_init(mem, sz - 1, &rc)); /* short */
	assert_null(nx_risk_init(NULL, sz, &rc));
	struct nx_risk *r = nx_risk_init(mem, sz, &rc);
	assert_non_null(r);
	struct nx_instrument in = { .id = 5, .symbol = "X", .band_ticks = 10 }, two = in;
	nx_instrument_defaults(&in);
	two.id = 6;
	nx_instrument_defaults(&two);
	struct nx_instrument broken = in;
	broken.tick = 0;
	assert_int_equal(nx_risk_add_instrument(r, NULL), -EINVAL);
	assert_int_equal(nx_risk_add_instrument(r, &broken), -EINVAL);
	assert_int_equal(nx_risk_add_instrument(r, &in), 0);
	assert_int_equal(nx_risk_add_instrument(r, &two), -ENOSPC);
	nx_inst_t unknown = 6;
	struct nx_account_config a = { .id = 7, .limits = lim, .restricted = &unknown, .nrestricted = 1 };
	assert_int_equal(nx_risk_add_account(r, NULL), -EINVAL);
	assert_int_equal(nx_risk_add_account(r, &(struct nx_account_config){ .id = 0 }), -EINVAL);
	assert_int_equal(nx_risk_add_account(r, &a), -ENOENT);
	a.nrestricted = 0;
	assert_int_equal(nx_risk_add_account(r, &a), 0);
	a.id = 8;
	assert_int_equal(nx_risk_add_account(r, &a), -ENOSPC);
	struct nx_risk_exposure x;
	assert_int_equal(nx_risk_exposure(r, 7, 6, &x), -ENOENT);
	assert_int_equal(nx_risk_exposure(r, 8, 5, &x), -ENOENT);
	assert_int_equal(nx_risk_exposure(r, 7, 5, &x), 0);
	assert_int_equal(nx_risk_account_blocked(r, 8), -ENOENT);
	assert_int_equal(nx_risk_account_blocked(r, 7), 0);
	free(mem);
}

/* Ids past the direct-indexed range go through the hash map; positions past
 * the bound's clamp (2^43 lots) take the exact sum. */
static void test_large_ids_and_positions(void **state)
{
	(void)state;
	struct nx_risk_config rc = { .max_accounts = 4, .max_instruments = 3 };
	struct nx_risk *r = nx_risk_create(&rc);
	assert_non_null(r);
	nx_inst_t ids[3] = { 3, 4096, 100000 };
	for (unsigned k = 0; k < 3; k++) {
		struct nx_instrument in = { .id = ids[k], .symbol = "X", .band_ticks = 100,
					    .ref_px = 10 };
		nx_instrument_defaults(&in);
		assert_int_equal(nx_risk_add_instrument(r, &in), 0);
		assert_int_equal(nx_risk_add_instrument(r, &in), -EEXIST);
	}
	nx_acct_t accts[3] = { 7, 5000, 70000 };
	for (unsigned k = 0; k < 3; k++) {
		struct nx_account_config a = { .id = accts[k], .limits = lim };
		a.limits.credit_limit = INT64_MAX - 1;
		a.limits.position_limit = INT64_MAX;
		assert_int_equal(nx_risk_add_account(r, &a), 0);
		assert_int_equal(nx_risk_add_account(r, &a), -EEXIST);
	}
	struct nx_limits l;
	assert_int_equal(nx_risk_limits(r, 5000, &l), 0);
	assert_int_equal(nx_risk_limits(r, 5001, &l), -ENOENT);
	assert_int_equal(nx_risk_ref_px(r, 100000), 10);
	assert_int_equal(nx_risk_ref_px(r, 99999), 0);
	assert_int_equal(nx_risk_set_kill(r, NX_KILL_ACCOUNT, 70000, 1), 0);
	struct nx_risk_order o = { .acct = 70000, .inst = 4096, .side = NX_SIDE_BUY, .px = 10, .qty = 1 };
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_KILL_ACCOUNT);
	o.acct = 5000;
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	o.px = 1000;
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_PRICE_COLLAR);

	/* 2^44 lots long in two instruments at reference 10: past the clamp */
	struct nx_event ev;
	for (unsigned k = 1; k < 3; k++) {
		ev = (struct nx_event){ .type = NX_EV_ACCEPTED };
		ev.u.order = (struct nx_ev_order){ .acct = 5000, .inst = ids[k], .px = 10,
						   .qty = INT64_C(1) << 44, .side = NX_SIDE_BUY };
		nx_risk_on_event(r, &ev);
		on_one_sided_trade(r, (struct nx_ev_fill){ .acct = 5000, .inst = ids[k], .px = 10,
							    .qty = INT64_C(1) << 44,
							    .side = NX_SIDE_BUY, .order_px = 10 });
	}
	struct nx_risk_exposure e;
	assert_int_equal(nx_risk_exposure(r, 5000, 100000, &e), 0);
	assert_int_equal(e.position, INT64_C(1) << 44);
	int64_t expo = (INT64_C(1) << 45) * 10; /* two instruments x 2^44 x 10 */
	o = (struct nx_risk_order){ .acct = 5000, .inst = 3, .side = NX_SIDE_BUY, .px = 10, .qty = 1 };
	assert_int_equal(nx_risk_set_limit(r, 5000, NX_LIMIT_CREDIT, expo + 10), 0);
	assert_int_equal(nx_risk_check_new(r, &o), 0);
	assert_int_equal(nx_risk_set_limit(r, 5000, NX_LIMIT_CREDIT, expo + 9), 0);
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_CREDIT_LIMIT);
	/* sold back below the clamp: the bound is exact again */
	for (unsigned k = 1; k < 3; k++) {
		ev = (struct nx_event){ .type = NX_EV_ACCEPTED };
		ev.u.order = (struct nx_ev_order){ .acct = 5000, .inst = ids[k], .px = 10,
						   .qty = (INT64_C(1) << 44) - 5, .side = NX_SIDE_SELL };
		nx_risk_on_event(r, &ev);
		on_one_sided_trade(r, (struct nx_ev_fill){ .acct = 5000, .inst = ids[k], .px = 10,
							    .qty = (INT64_C(1) << 44) - 5,
							    .side = NX_SIDE_SELL, .order_px = 10 });
	}
	assert_int_equal(nx_risk_exposure(r, 5000, 4096, &e), 0);
	assert_int_equal(e.position, 5);
	assert_int_equal(e.open_notional, 0);
	assert_int_equal(e.open_orders, 0);
	assert_int_equal(nx_risk_set_limit(r, 5000, NX_LIMIT_CREDIT, 110), 0);
	assert_int_equal(nx_risk_check_new(r, &o), 0);   /* 100 + 10 */
	assert_int_equal(nx_risk_set_limit(r, 5000, NX_LIMIT_CREDIT, 109), 0);
	assert_int_equal(nx_risk_check_new(r, &o), NX_REJ_RISK_CREDIT_LIMIT);
	nx_risk_destroy(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_switches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restricted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_price_collar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_price_is_the_books, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_order_notional, setup, teardown),
		cmocka_unit_test_setup_teardown(test_notional_past_int64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_open_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_open_orders_counts_working_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_position_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_after_limits_lowered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_limit_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposure_follows_book, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposure_follows_book_every_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_bound_matches_recount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_trades_settle_like_trades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposure_follows_book_match_trades, setup, teardown),
		cmocka_unit_test(test_setup_errors),
		cmocka_unit_test(test_large_ids_and_positions),
	};
	return cmocka_run_group_tests_name("risk", tests, NULL, NULL);
}
