/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the ITCH book builder (include/nx/mdbook.h, src/mdbook/):
 * - every book operation on hand-built messages: adds on both sides and
 *   the sorted levels, BBO and depth; executions (E, C) partial, full and
 *   over; cancels; deletes; replaces to another price, at the same price
 *   (the level kept in place), onto a live reference, to 0 shares; trades
 *   P and Q, the stock directory, trading actions and system events;
 * - every anomaly: orphans of each kind, duplicate references, bad sides,
 *   zero shares, order and level capacity, decode errors; none changes
 *   what it must not;
 * - levels inserted in every order, from both ends of a side;
 * - nx_mdbook_apply_blocks against one-by-one application, framing stops;
 * - the real snippet ../shared/data/12302019_SNIPPET.NASDAQ_ITCH50 (skipped
 *   if absent): counts per type, orphans per kind, live orders and levels
 *   and two books, as an independent Python count established them;
 * - no allocation after init (tests/alloc_count.h).
 * The differential test against a reference book is tests/test_mdbook_diff.c.
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

#include "alloc_count.h"
#include "itch_build.h"
#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"

static struct nx_mdbook *book(uint32_t orders, uint32_t levels)
{
	struct nx_mdbook_config c = { .max_orders = orders, .max_levels = levels };
	struct nx_mdbook *b = nx_mdbook_create(&c);
	assert_non_null(b);
	return b;
}


static void ok(const struct nx_mdbook *b)
{
	char why[256];
	int rc = nx_mdbook_check(b, why, sizeof(why));
	if (rc)
		fail_msg("book invariant: %s", why);
}

static uint64_t anom(const struct nx_mdbook *b, enum nx_mdbook_anomaly a)
{
	return nx_mdbook_stats(b)->anomalies[a];
}

/* Assert one side's levels: n (px, qty, orders) triples, best first. */
static void side_is(const struct nx_mdbook *b, uint16_t loc, int side, size_t n, ...)
{
	struct nx_mdbook_level lv[64];
	va_list ap_;
	size_t got = nx_mdbook_depth(b, loc, side, lv, 64);
	assert_int_equal(got, n);
	assert_int_equal(nx_mdbook_level_count(b, loc, side), n);
	va_start(ap_, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(lv[i].px, va_arg(ap_, unsigned));
		assert_int_equal(lv[i].qty, va_arg(ap_, unsigned));
		assert_int_equal(lv[i].orders, va_arg(ap_, unsigned));
	}
	va_end(ap_);
}

/* --- Operations ----------------------------------------------------------------- */

static void test_adds_levels_bbo(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	struct nx_mdbook_bbo q;
	struct nx_mdbook_order o;
	(void)state;
	nx_mdbook_bbo(b, 7, &q);
	assert_int_equal(q.bid.px, 0);
	assert_int_equal(q.ask.qty, 0);
	assert_int_equal(ap(b, mA(7, 1, 'B', 100, "XYZ", 100000)), 'A');
	assert_int_equal(ap(b, mA(7, 2, 'B', 200, "XYZ", 100100)), 'A');
	assert_int_equal(ap(b, mF(7, 3, 'B', 50, "XYZ", 100000)), 'F');
	assert_int_equal(ap(b, mA(7, 4, 'S', 300, "XYZ", 100300)), 'A');
	assert_int_equal(ap(b, mA(7, 5, 'S', 10, "XYZ", 100200)), 'A');
	assert_int_equal(ap(b, mA(7, 6, 'S', 20, "XYZ", 100900)), 'A');
	assert_int_equal(ap(b, mA(8, 7, 'B', 1, "OTHER", 100100)), 'A'); /* another stock */
	ok(b);
	side_is(b, 7, NX_MDBOOK_BID, 2, 100100, 200, 1, 100000, 150, 2);
	side_is(b, 7, NX_MDBOOK_ASK, 3, 100200, 10, 1, 100300, 300, 1, 100900, 20, 1);
	side_is(b, 8, NX_MDBOOK_BID, 1, 100100, 1, 1);
	nx_mdbook_bbo(b, 7, &q);
	assert_int_equal(q.bid.px, 100100);
	assert_int_equal(q.bid.qty, 200);
	assert_int_equal(q.ask.px, 100200);
	assert_int_equal(q.ask.orders, 1);
	assert_int_equal(nx_mdbook_live_orders(b), 7);
	assert_int_equal(nx_mdbook_stats(b)->live_levels, 6);
	assert_int_equal(nx_mdbook_order(b, 3, &o), 0);
	assert_int_equal(o.locate, 7);
	assert_int_equal(o.side, NX_MDBOOK_BID);
	assert_int_equal(o.px, 100000);
	assert_int_equal(o.shares, 50);
	assert_int_equal(nx_mdbook_order(b, 99, &o), -ENOENT);
	assert_int_equal(nx_mdbook_depth(b, 7, 2, NULL, 5), 0); /* bad side */
	assert_int_equal(nx_mdbook_level_count(b, 7, -1), 0);
	assert_int_equal(nx_mdbook_stats(b)->msgs[NX_ITCH_IX_ADD_ORDER], 6);
	assert_int_equal(nx_mdbook_stats(b)->msgs[NX_ITCH_IX_ADD_ORDER_MPID], 1);
	/* the first add names a stock with no directory entry */
	assert_int_equal(nx_mdbook_find(b, "XYZ"), 7);
	assert_int_equal(nx_mdbook_find(b, "OTHER"), 8);
	assert_int_equal(nx_mdbook_find(b, "NOPE"), -ENOENT);
	nx_mdbook_destroy(b);
}

static void test_executions(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	struct nx_mdbook_stock_info si;
	(void)state;
	ap(b, mA(3, 10, 'S', 100, "ABC", 5000));
	ap(b, mA(3, 11, 'S', 100, "ABC", 5000));
	assert_int_equal(ap(b, mE(10, 30)), 'E');
	side_is(b, 3, NX_MDBOOK_ASK, 1, 5000, 170, 2);
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 5000);
	assert_int_equal(ap(b, mC(3, 10, 70, 'Y', 5001)), 'C'); /* the rest: order gone */
	side_is(b, 3, NX_MDBOOK_ASK, 1, 5000, 100, 1);
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 5001);
	assert_int_equal(ap(b, mC(3, 11, 10, 'N', 4999)), 'C'); /* non-printable: no print */
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 5001);
	assert_int_equal(ap(b, mE(11, 500)), 'E'); /* over-execution */
	assert_int_equal(anom(b, NX_MDBOOK_OVER_EXEC), 1);
	assert_int_equal(nx_mdbook_level_count(b, 3, NX_MDBOOK_ASK), 0);
	assert_int_equal(nx_mdbook_live_orders(b), 0);
	assert_int_equal(nx_mdbook_stats(b)->shares_executed, 30 + 70 + 10 + 90);
	assert_int_equal(nx_mdbook_stats(b)->live_levels, 0);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_cancels_and_deletes(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	(void)state;
	ap(b, mA(3, 1, 'B', 100, "ABC", 900));
	ap(b, mA(3, 2, 'B', 100, "ABC", 900));
	ap(b, mA(3, 3, 'B', 100, "ABC", 800));
	assert_int_equal(ap(b, mX(1, 40)), 'X');
	side_is(b, 3, NX_MDBOOK_BID, 2, 900, 160, 2, 800, 100, 1);
	assert_int_equal(ap(b, mX(1, 60)), 'X'); /* exactly the rest */
	side_is(b, 3, NX_MDBOOK_BID, 2, 900, 100, 1, 800, 100, 1);
	assert_int_equal(anom(b, NX_MDBOOK_OVER_CANCEL), 0);
	assert_int_equal(ap(b, mX(2, 101)), 'X');
	assert_int_equal(anom(b, NX_MDBOOK_OVER_CANCEL), 1);
	side_is(b, 3, NX_MDBOOK_BID, 1, 800, 100, 1);
	assert_int_equal(ap(b, mD(3)), 'D');
	side_is(b, 3, NX_MDBOOK_BID, 0);
	assert_int_equal(nx_mdbook_live_orders(b), 0);
	assert_int_equal(nx_mdbook_stats(b)->shares_executed, 0);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_replaces(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	struct nx_mdbook_order o;
	(void)state;
	ap(b, mA(5, 1, 'S', 100, "RPL", 2000));
	ap(b, mA(5, 2, 'S', 100, "RPL", 2100));
	/* to another price: side and stock kept, new reference */
	assert_int_equal(ap(b, mU(1, 10, 50, 1900)), 'U');
	assert_int_equal(nx_mdbook_order(b, 1, &o), -ENOENT);
	assert_int_equal(nx_mdbook_order(b, 10, &o), 0);
	assert_int_equal(o.locate, 5);
	assert_int_equal(o.side, NX_MDBOOK_ASK);
	assert_int_equal(o.px, 1900);
	assert_int_equal(o.shares, 50);
	side_is(b, 5, NX_MDBOOK_ASK, 2, 1900, 50, 1, 2100, 100, 1);
	/* same price, sole order of its level: the level stays in place */
	assert_int_equal(ap(b, mU(2, 11, 70, 2100)), 'U');
	side_is(b, 5, NX_MDBOOK_ASK, 2, 1900, 50, 1, 2100, 70, 1);
	ok(b);
	/* same reference reused as the new one */
	assert_int_equal(ap(b, mU(11, 11, 80, 2100)), 'U');
	side_is(b, 5, NX_MDBOOK_ASK, 2, 1900, 50, 1, 2100, 80, 1);
	/* onto a live reference: the old leaves, the new is a duplicate */
	assert_int_equal(ap(b, mU(11, 10, 5, 2200)), 'U');
	assert_int_equal(anom(b, NX_MDBOOK_DUP_REF), 1);
	side_is(b, 5, NX_MDBOOK_ASK, 1, 1900, 50, 1);
	/* to 0 shares: the old leaves, nothing enters */
	assert_int_equal(ap(b, mU(10, 12, 0, 1900)), 'U');
	assert_int_equal(anom(b, NX_MDBOOK_ZERO_SHARES), 1);
	side_is(b, 5, NX_MDBOOK_ASK, 0);
	assert_int_equal(nx_mdbook_live_orders(b), 0);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_orphans(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	(void)state;
	ap(b, mA(1, 1, 'B', 100, "A", 100));
	assert_int_equal(ap(b, mE(50, 1)), 'E');
	assert_int_equal(ap(b, mC(1, 51, 1, 'Y', 100)), 'C');
	assert_int_equal(ap(b, mX(52, 1)), 'X');
	assert_int_equal(ap(b, mD(53)), 'D');
	assert_int_equal(ap(b, mD(53)), 'D');
	assert_int_equal(ap(b, mU(54, 55, 100, 100)), 'U');
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_EXEC), 2);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_CANCEL), 1);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_DELETE), 2);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_REPLACE), 1);
	assert_int_equal(nx_mdbook_orphans(b), 6);
	/* the replaced-in reference of an orphan is unknown too */
	assert_int_equal(ap(b, mD(55)), 'D');
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_DELETE), 3);
	/* the one real order untouched */
	side_is(b, 1, NX_MDBOOK_BID, 1, 100, 100, 1);
	assert_int_equal(nx_mdbook_live_orders(b), 1);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_add_anomalies(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	(void)state;
	ap(b, mA(1, 1, 'B', 100, "A", 100));
	assert_int_equal(ap(b, mA(1, 1, 'S', 5, "A", 200)), 'A');
	assert_int_equal(anom(b, NX_MDBOOK_DUP_REF), 1);
	assert_int_equal(ap(b, mA(1, 2, 'b', 5, "A", 200)), 'A');
	assert_int_equal(ap(b, mF(1, 2, ' ', 5, "A", 200)), 'F');
	assert_int_equal(anom(b, NX_MDBOOK_BAD_SIDE), 2);
	assert_int_equal(ap(b, mA(1, 2, 'S', 0, "A", 200)), 'A');
	assert_int_equal(anom(b, NX_MDBOOK_ZERO_SHARES), 1);
	assert_int_equal(nx_mdbook_live_orders(b), 1);
	assert_int_equal(nx_mdbook_stats(b)->live_levels, 1);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_capacity(void **state)
{
	struct nx_mdbook *b = book(3, 2);
	(void)state;
	ap(b, mA(1, 1, 'B', 10, "A", 100));
	ap(b, mA(1, 2, 'B', 10, "A", 100));
	ap(b, mA(1, 3, 'S', 10, "A", 200));
	assert_int_equal(anom(b, NX_MDBOOK_ORDER_CAPACITY), 0);
	ap(b, mA(1, 4, 'S', 10, "A", 200)); /* 4th order */
	assert_int_equal(anom(b, NX_MDBOOK_ORDER_CAPACITY), 1);
	ap(b, mD(2));
	ap(b, mA(1, 5, 'S', 10, "A", 300)); /* 3rd level */
	assert_int_equal(anom(b, NX_MDBOOK_LEVEL_CAPACITY), 1);
	ap(b, mA(1, 5, 'S', 10, "A", 200)); /* an existing level is fine */
	assert_int_equal(nx_mdbook_live_orders(b), 3);
	/* references to what capacity skipped are orphans */
	ap(b, mD(4));
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_DELETE), 1);
	/* free a level, and the new one fits */
	ap(b, mD(1));
	ap(b, mA(1, 6, 'B', 10, "A", 300));
	assert_int_equal(anom(b, NX_MDBOOK_LEVEL_CAPACITY), 1);
	side_is(b, 1, NX_MDBOOK_BID, 1, 300, 10, 1);
	assert_int_equal(nx_mdbook_stats(b)->peak_orders, 3);
	assert_int_equal(nx_mdbook_stats(b)->peak_levels, 2);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_reference_messages(void **state)
{
	struct nx_mdbook *b = book(8, 8);
	struct nx_mdbook_stock_info si;
	struct msg m;
	(void)state;
	m = itch_hdr('R', 42);
	itch_put_sym(&m, "ZVZZT");
	itch_put(&m, 'Q', 1);
	itch_put(&m, 'N', 1);
	itch_put(&m, 100, 4);
	for (int i = 0; i < 14; i++) /* the rest of R, 14 bytes, unused */
		itch_put(&m, ' ', 1);
	assert_int_equal(ap(b, m), 'R');
	m = itch_hdr('H', 42);
	itch_put_sym(&m, "ZVZZT");
	itch_put(&m, 'H', 1);
	itch_put(&m, ' ', 1);
	itch_put(&m, 0x54312020, 4);
	assert_int_equal(ap(b, m), 'H');
	m = itch_hdr('S', 0);
	itch_put(&m, 'Q', 1);
	assert_int_equal(ap(b, m), 'S');
	assert_int_equal(nx_mdbook_stats(b)->last_event, 'Q');
	m = itch_hdr('P', 42); /* trade of a hidden order */
	itch_put(&m, 0, 8);
	itch_put(&m, 'B', 1);
	itch_put(&m, 300, 4);
	itch_put_sym(&m, "ZVZZT");
	itch_put(&m, 123400, 4);
	itch_put(&m, 9, 8);
	assert_int_equal(ap(b, m), 'P');
	nx_mdbook_stock(b, 42, &si);
	assert_string_equal(si.symbol, "ZVZZT");
	assert_int_equal(si.named_by, 'R');
	assert_int_equal(si.market_category, 'Q');
	assert_int_equal(si.round_lot, 100);
	assert_int_equal(si.trading_state, 'H');
	assert_int_equal(si.last_trade_px, 123400);
	m = itch_hdr('Q', 42); /* opening cross */
	itch_put(&m, 5000, 8);
	itch_put_sym(&m, "ZVZZT");
	itch_put(&m, 123500, 4);
	itch_put(&m, 10, 8);
	itch_put(&m, 'O', 1);
	assert_int_equal(ap(b, m), 'Q');
	nx_mdbook_stock(b, 42, &si);
	assert_int_equal(si.last_trade_px, 123500);
	assert_int_equal(nx_mdbook_stats(b)->shares_traded_hidden, 300);
	assert_int_equal(nx_mdbook_stats(b)->shares_crossed, 5000);
	/* an add does not rename a stock the directory named */
	ap(b, mA(42, 1, 'B', 1, "OTHER", 1));
	nx_mdbook_stock(b, 42, &si);
	assert_string_equal(si.symbol, "ZVZZT");
	assert_int_equal(nx_mdbook_find(b, "ZVZZT"), 42);
	assert_int_equal(nx_mdbook_stats(b)->last_ts_ns, 34200000000000ull);
	assert_int_equal(nx_mdbook_live_orders(b), 1);
	ok(b);
	nx_mdbook_destroy(b);
}

/* Regressions (session 13, from a review): each failing message counted
 * once, under one reason; a skipped add names no stock; P and Q of 0
 * shares print nothing. */
static struct msg mP(uint16_t loc, uint32_t sh, uint32_t px)
{
	struct msg m = itch_hdr('P', loc);
	itch_put(&m, 0, 8);
	itch_put(&m, 'B', 1);
	itch_put(&m, sh, 4);
	itch_put_sym(&m, "ZVZZT");
	itch_put(&m, px, 4);
	itch_put(&m, 9, 8);
	return m;
}

static void test_anomaly_accounting(void **state)
{
	struct nx_mdbook_config c = { .max_locates = 8, .max_orders = 64, .max_levels = 64 };
	struct nx_mdbook *b = nx_mdbook_create(&c);
	struct nx_mdbook_stock_info si;
	(void)state;
	assert_non_null(b);
	/* An orphan C whose locate is past max_locates: ORPHAN_EXEC only. */
	assert_int_equal(ap(b, mC(100, 77, 5, 'Y', 500)), 'C');
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_EXEC), 1);
	assert_int_equal(anom(b, NX_MDBOOK_BAD_LOCATE), 0);
	/* A C that executes a live order is applied, not an anomaly, whatever
	 * its header's locate; the print is the executed order's stock's. */
	ap(b, mA(3, 1, 'S', 10, "ABC", 200));
	assert_int_equal(ap(b, mC(100, 1, 4, 'Y', 199)), 'C');
	assert_int_equal(anom(b, NX_MDBOOK_BAD_LOCATE), 0);
	side_is(b, 3, NX_MDBOOK_ASK, 1, 200, 6, 1);
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 199);
	/* not printable: executed, no print */
	assert_int_equal(ap(b, mC(3, 1, 1, 'N', 150)), 'C');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 199);
	side_is(b, 3, NX_MDBOOK_ASK, 1, 200, 5, 1);
	/* Skipped adds (bad side, 0 shares, a live reference) name nothing. */
	ap(b, mA(4, 2, '?', 10, "JUNK", 100));
	ap(b, mA(4, 3, 'B', 0, "JUNK", 100));
	ap(b, mA(4, 1, 'B', 10, "JUNK", 100));
	nx_mdbook_stock(b, 4, &si);
	assert_int_equal(si.named_by, 0);
	assert_int_equal(nx_mdbook_find(b, "JUNK"), -ENOENT);
	ap(b, mA(4, 4, 'B', 10, "GOOD", 100));
	nx_mdbook_stock(b, 4, &si);
	assert_int_equal(si.named_by, 'A');
	assert_string_equal(si.symbol, "GOOD");
	/* P of 0 shares prints nothing, as Q of 0 shares. */
	assert_int_equal(ap(b, mP(3, 0, 1234)), 'P');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 199);
	assert_int_equal(ap(b, mP(3, 7, 1234)), 'P');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 1234);
	ok(b);
	nx_mdbook_destroy(b);
}

/* Regression: an E or a printable C of 0 shares is no print either (as P
 * and Q of 0): it used to set the last trade, and a C carries a price of
 * its own, so a 0-share C could move a LAST reference price (nx/mdref.h)
 * to any price. The order is left as it was. */
static void test_zero_share_exec_no_print(void **state)
{
	struct nx_mdbook *b = book(64, 64);
	struct nx_mdbook_stock_info si;
	(void)state;
	ap(b, mA(3, 1, 'S', 10, "ABC", 200));
	assert_int_equal(ap(b, mE(1, 4)), 'E');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 200);
	assert_int_equal(ap(b, mC(3, 1, 0, 'Y', 999)), 'C');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 200);
	ap(b, mA(3, 2, 'S', 10, "ABC", 300));
	assert_int_equal(ap(b, mE(2, 0)), 'E');
	nx_mdbook_stock(b, 3, &si);
	assert_int_equal(si.last_trade_px, 200);
	side_is(b, 3, NX_MDBOOK_ASK, 2, 200, 6, 1, 300, 10, 1);
	assert_int_equal(nx_mdbook_stats(b)->shares_executed, 4);
	ok(b);
	nx_mdbook_destroy(b);
}

static void test_decode_errors(void **state)
{
	struct nx_mdbook *b = book(8, 8);
	struct msg m = mA(1, 1, 'B', 1, "A", 1);
	(void)state;
	assert_int_equal(nx_mdbook_apply(b, m.b, m.n - 1), NX_ITCH_ERR_BAD_LENGTH);
	assert_int_equal(nx_mdbook_apply(b, m.b, 0), NX_ITCH_ERR_EMPTY);
	m.b[0] = 'Z';
	assert_int_equal(nx_mdbook_apply(b, m.b, m.n), NX_ITCH_ERR_UNKNOWN_TYPE);
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	assert_int_equal(st->msgs[NX_ITCH_IX_NONE], 3);
	assert_int_equal(st->decode_errs[-NX_ITCH_ERR_BAD_LENGTH], 1);
	assert_int_equal(st->decode_errs[-NX_ITCH_ERR_EMPTY], 1);
	assert_int_equal(st->decode_errs[-NX_ITCH_ERR_UNKNOWN_TYPE], 1);
	assert_int_equal(anom(b, NX_MDBOOK_DECODE_ERROR), 3);
	assert_int_equal(nx_mdbook_live_orders(b), 0);
	for (int a = 0; a < NX_MDBOOK_NANOMALIES; a++)
		assert_string_not_equal(nx_mdbook_anomaly_name(a), "?");
	assert_string_equal(nx_mdbook_anomaly_name(NX_MDBOOK_ORPHAN_EXEC), "ORPHAN_EXEC");
	assert_string_equal(nx_mdbook_anomaly_name(NX_MDBOOK_NANOMALIES), "?");
	assert_string_equal(nx_mdbook_anomaly_text(-1), "unknown anomaly");
	nx_mdbook_destroy(b);
}

/* Levels arrive in every order; walks from either end must sort them. */
static void test_level_order(void **state)
{
	enum { N = 200 };
	struct nx_mdbook *b = book(4 * N, 4 * N);
	struct nx_mdbook_level lv[N];
	uint64_t x = 88172645463325252ull;
	uint32_t px[N];
	(void)state;
	for (uint32_t i = 0; i < N; i++)
		px[i] = 1000 + 7 * i;
	for (uint32_t i = N - 1; i > 0; i--) { /* Fisher-Yates */
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t j = (uint32_t)(x % (i + 1)), t = px[i];
		px[i] = px[j];
		px[j] = t;
	}
	for (uint32_t i = 0; i < N; i++) {
		ap(b, mA(9, 1 + i, 'B', 1 + i, "L", px[i]));
		ap(b, mA(9, 1000 + i, 'S', 1 + i, "L", px[i] + 5000));
	}
	ok(b);
	assert_int_equal(nx_mdbook_depth(b, 9, NX_MDBOOK_BID, lv, N), N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(lv[i].px, 1000 + 7 * (N - 1 - i));
	assert_int_equal(nx_mdbook_depth(b, 9, NX_MDBOOK_ASK, lv, N), N);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(lv[i].px, 6000 + 7 * i);
	/* remove every other level, then refill them */
	for (uint32_t i = 0; i < N; i += 2)
		ap(b, mD(1 + i));
	ok(b);
	for (uint32_t i = 0; i < N; i += 2)
		ap(b, mA(9, 5000 + i, 'B', 1, "L", px[i]));
	ok(b);
	assert_int_equal(nx_mdbook_level_count(b, 9, NX_MDBOOK_BID), N);
	nx_mdbook_destroy(b);
}

static void test_apply_blocks(void **state)
{
	static uint8_t file[4096];
	struct nx_mdbook *one = book(64, 64), *many = book(64, 64);
	struct msg ms[] = {
		mA(1, 1, 'B', 100, "A", 100), mA(1, 2, 'S', 100, "A", 200), mE(1, 10),
		mU(2, 3, 50, 190), mX(3, 5), mD(99), mF(2, 4, 'B', 7, "B", 5),
	};
	size_t off = 0, used = 0;
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(ms); i++) {
		assert_int_equal(nx_mold_block_put(file, sizeof(file), &off, ms[i].b, ms[i].n), 0);
		ap(one, ms[i]);
	}
	assert_int_equal(nx_mdbook_apply_blocks(many, file, off, SIZE_MAX, &used),
			 NX_ARRAY_SIZE(ms));
	assert_int_equal(used, off);
	assert_memory_equal(nx_mdbook_stats(one), nx_mdbook_stats(many),
			    sizeof(struct nx_mdbook_stats));
	ok(many);
	nx_mdbook_destroy(many);
	/* max_msgs, and a stop before an incomplete block */
	many = book(64, 64);
	assert_int_equal(nx_mdbook_apply_blocks(many, file, off, 3, &used), 3);
	assert_int_equal(nx_mdbook_apply_blocks(many, file + used, off - used - 1, SIZE_MAX,
						&used), NX_ARRAY_SIZE(ms) - 4);
	assert_int_equal(nx_mdbook_apply_blocks(many, file, 1, SIZE_MAX, &used), 0);
	assert_int_equal(used, 0);
	nx_mdbook_destroy(many);
	nx_mdbook_destroy(one);
}

static void test_lifecycle(void **state)
{
	struct nx_mdbook_config c = { .max_orders = 16, .max_levels = 16 };
	size_t n = nx_mdbook_memsize(&c);
	void *mem = aligned_alloc(64, (n + 63) & ~(size_t)63);
	struct nx_mdbook *b;
	(void)state;
	assert_true(n > 0);
	assert_non_null(mem);
	assert_null(nx_mdbook_init((char *)mem + 8, n, &c));
	assert_int_equal(errno, EINVAL);
	assert_null(nx_mdbook_init(mem, n - 1, &c));
	b = nx_mdbook_init(mem, n, &c);
	assert_ptr_equal(b, mem);
	ap(b, mA(1, 1, 'B', 1, "A", 1));
	assert_int_equal(nx_mdbook_live_orders(b), 1);
	assert_ptr_equal(nx_mdbook_init(mem, n, &c), mem); /* again: empty */
	assert_int_equal(nx_mdbook_live_orders(b), 0);
	assert_int_equal(nx_mdbook_find(b, "A"), -ENOENT);
	ok(b);
	free(mem);
	struct nx_mdbook_config bad[] = {
		{ .max_orders = 0, .max_levels = 1 },
		{ .max_orders = 1, .max_levels = 0 },
		{ .max_orders = NX_MDBOOK_MAX_ORDERS_LIMIT + 1, .max_levels = 1 },
		{ .max_orders = 1, .max_levels = NX_MDBOOK_MAX_LEVELS_LIMIT + 1 },
		{ .max_locates = NX_MDBOOK_STOCKS + 1, .max_orders = 1, .max_levels = 1 },
	};
	for (size_t i = 0; i < NX_ARRAY_SIZE(bad); i++) {
		assert_int_equal(nx_mdbook_memsize(&bad[i]), 0);
		assert_null(nx_mdbook_create(&bad[i]));
	}
	assert_int_equal(nx_mdbook_memsize(NULL), 0);
	nx_mdbook_destroy(NULL);
}

/* --- The real snippet -------------------------------------------------------------- */

#define SNIPPET "../shared/data/12302019_SNIPPET.NASDAQ_ITCH50"

static void test_snippet(void **state)
{
	static uint8_t data[64 * 1024];
	FILE *f = fopen(SNIPPET, "rb");
	struct nx_mdbook *b;
	struct nx_mdbook_bbo q;
	size_t len, used;
	(void)state;
	if (!f) {
		print_message("skipped: %s not found (run from the repository root)\n", SNIPPET);
		skip();
	}
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	assert_int_equal(len, 35570);
	b = book(1u << 16, 1u << 16);
	assert_int_equal(nx_mdbook_apply_blocks(b, data, len, SIZE_MAX, &used), 1000);
	assert_int_equal(used, len);
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	/* Counted independently (a 30-line Python walk of the file, run once). */
	static const struct { char t; unsigned n; } counts[] = {
		{ 'S', 1 }, { 'A', 367 }, { 'F', 193 }, { 'E', 28 }, { 'C', 1 }, { 'X', 6 },
		{ 'D', 167 }, { 'U', 225 }, { 'P', 4 }, { 'Q', 4 }, { 'I', 4 },
	};
	uint64_t total = 0;
	for (size_t i = 0; i < NX_ARRAY_SIZE(counts); i++)
		assert_int_equal(st->msgs[nx_itch_type_ix((uint8_t)counts[i].t)], counts[i].n);
	for (unsigned ix = 0; ix < NX_ITCH_IX_MAX; ix++)
		total += st->msgs[ix];
	assert_int_equal(total, 1000);
	assert_int_equal(st->msgs[NX_ITCH_IX_NONE], 0);
	/* It starts at 09:30:00: most references are to orders added before. */
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_EXEC), 29);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_CANCEL), 6);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_DELETE), 139);
	assert_int_equal(anom(b, NX_MDBOOK_ORPHAN_REPLACE), 225);
	assert_int_equal(nx_mdbook_orphans(b), 399);
	for (int a = NX_MDBOOK_DUP_REF; a < NX_MDBOOK_NANOMALIES; a++)
		assert_int_equal(st->anomalies[a], 0);
	assert_int_equal(st->live_orders, 532);
	assert_int_equal(st->live_levels, 421);
	assert_int_equal(st->last_event, 'Q');
	/* HDS (locate 3672): 22 bid and 21 ask levels, the best five of each */
	assert_int_equal(nx_mdbook_find(b, "HDS"), 3672);
	assert_int_equal(nx_mdbook_level_count(b, 3672, NX_MDBOOK_BID), 22);
	assert_int_equal(nx_mdbook_level_count(b, 3672, NX_MDBOOK_ASK), 21);
	static const struct nx_mdbook_level hds_bid[5] = {
		{ 400700, 1, 100 }, { 400500, 1, 7 }, { 399000, 1, 200 }, { 398200, 1, 500 },
		{ 396300, 1, 100 } };
	static const struct nx_mdbook_level hds_ask[5] = {
		{ 406000, 1, 100 }, { 408900, 1, 100 }, { 410000, 4, 369 }, { 412000, 1, 30 },
		{ 412500, 1, 100 } };
	struct nx_mdbook_level lv[5];
	assert_int_equal(nx_mdbook_depth(b, 3672, NX_MDBOOK_BID, lv, 5), 5);
	assert_memory_equal(lv, hds_bid, sizeof(lv));
	assert_int_equal(nx_mdbook_depth(b, 3672, NX_MDBOOK_ASK, lv, 5), 5);
	assert_memory_equal(lv, hds_ask, sizeof(lv));
	nx_mdbook_bbo(b, 3672, &q);
	assert_int_equal(q.bid.px, 400700);
	assert_int_equal(q.ask.px, 406000);
	/* QQQ (locate 6556), whole */
	assert_int_equal(nx_mdbook_find(b, "QQQ"), 6556);
	side_is(b, 6556, NX_MDBOOK_BID, 4, 2135100, 100, 1, 2113800, 200, 2, 2081800, 100, 1,
		1708100, 100, 1);
	side_is(b, 6556, NX_MDBOOK_ASK, 5, 2135200, 500, 2, 2156500, 100, 1, 2156600, 100, 1,
		2188600, 100, 1, 2562300, 100, 1);
	ok(b);
	nx_mdbook_destroy(b);
}

/* --- No allocation after init -------------------------------------------------- */

static uint64_t xs(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_no_alloc(void **state)
{
	enum { NMSG = 200000 };
	static uint8_t file[NMSG * 40];
	/* locates 6 and 7 are beyond the book's 6 */
	struct nx_mdbook_config c = { .max_locates = 6, .max_orders = 512, .max_levels = 256 };
	struct nx_mdbook *b = nx_mdbook_create(&c);
	struct nx_mdbook_level lv[16];
	struct nx_mdbook_bbo q;
	struct nx_mdbook_stock_info si;
	struct nx_mdbook_order o;
	uint64_t x = 12345, sum = 0;
	size_t off = 0, used = 0, half;
	(void)state;
	/* every kind of message, references in a small range so that adds,
	 * orphans, duplicates and capacity all happen; made before the window */
	for (unsigned i = 0; i < NMSG; i++) {
		uint64_t r = xs(&x), ref = 1 + r % 6000;
		uint16_t loc = (uint16_t)(r >> 20) % 8;
		uint32_t px = 1000 + (uint32_t)(r >> 32) % ((r >> 62) ? 16 : 300);
		uint32_t sh = (uint32_t)(r >> 40) % 200;
		struct msg m;
		switch ((r >> 50) % 8) {
		case 0: case 1: m = mA(loc, ref, (r >> 60) & 1 ? 'B' : 'S', sh, "N", px); break;
		case 2: m = mF(loc, ref, 'S', sh, "N", px); break;
		case 3: m = mE(ref, sh); break;
		case 4: m = mX(ref, sh / 4); break;
		case 5: m = mD(ref); break;
		case 6: m = mU(ref, 1 + (r >> 8) % 6000, sh, px); break;
		default: m = mC(loc, ref, sh, 'Y', px); m.n -= (r >> 61) & 1; break;
		}
		assert_int_equal(nx_mold_block_put(file, sizeof(file), &off, m.b, m.n), 0);
	}
	count_window(1);
	half = nx_mdbook_apply_blocks(b, file, off / 2, SIZE_MAX, &used);
	for (size_t p = used; p < off; p += 2 + nx_itch_be16(file + p))
		nx_mdbook_apply(b, file + p + 2, nx_itch_be16(file + p));
	for (uint16_t loc = 0; loc < 8; loc++) {
		nx_mdbook_bbo(b, loc, &q);
		sum += q.bid.qty + nx_mdbook_depth(b, loc, NX_MDBOOK_ASK, lv, 16);
		nx_mdbook_stock(b, loc, &si);
		sum += si.orders + (nx_mdbook_order(b, loc, &o) == 0);
	}
	count_window(0);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	assert_true(half > 0 && sum > 0);
	/* the workload reached every path it claims to */
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	for (int a = 0; a < NX_MDBOOK_NANOMALIES; a++)
		if (a != NX_MDBOOK_BAD_SIDE && st->anomalies[a] == 0)
			fail_msg("anomaly %s never reached", nx_mdbook_anomaly_name(a));
	ok(b);
	/* the counter counts: an allocation in the window is seen */
	count_window(1);
	void *(*volatile m)(size_t) = malloc;
	void *p = m(16);
	count_window(0);
	free(p);
	assert_int_equal(g_alloc.allocs, 1);
	g_alloc.allocs = g_alloc.frees = 0;
	nx_mdbook_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adds_levels_bbo),
		cmocka_unit_test(test_executions),
		cmocka_unit_test(test_cancels_and_deletes),
		cmocka_unit_test(test_replaces),
		cmocka_unit_test(test_orphans),
		cmocka_unit_test(test_add_anomalies),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_reference_messages),
		cmocka_unit_test(test_anomaly_accounting),
		cmocka_unit_test(test_zero_share_exec_no_print),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_level_order),
		cmocka_unit_test(test_apply_blocks),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_snippet),
		cmocka_unit_test(test_no_alloc),
	};
	count_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
