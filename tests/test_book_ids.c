/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The book's id maps over a long day: venue order ids far beyond every
 * table size, orders that outlive the ring of recent ids, the client-id
 * map growing past its first size and shrinking back, all while old orders
 * stay reachable by venue id and by client id.
 *
 * Regression: the first order-id map indexed by the id itself; once ids
 * wrapped past the table, its clusters kept growing (2,340 instructions
 * a command instead of ~570 at 16k orders). The maps it became (a ring of
 * recent ids, then a tagged hash; growing client-id maps) must keep every
 * live order findable however far the ids have run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "nx/book.h"

#define INST 1u
#define ACCT 1u

static void sink(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

static struct nx_new_order order(nx_clid_t cl, unsigned side, nx_px_t px)
{
	return (struct nx_new_order){ .acct = ACCT, .inst = INST, .cl = cl, .px = px, .qty = 1,
				      .side = (uint8_t)side, .type = NX_ORD_LIMIT,
				      .tif = NX_TIF_GTC, .stp = NX_STP_NONE };
}

static void check(const struct nx_book *b)
{
	const char *why = NULL;
	if (nx_book_check(b, &why))
		fail_msg("book invariant: %s", why);
}

static void test_regression_ids_far_past_the_tables(void **state)
{
	(void)state;
	struct nx_book_config bc = { .max_instruments = 1, .max_accounts = 1, .max_orders = 20000,
				     .ladder_ticks = 1024 };
	struct nx_book *b = nx_book_create(&bc, sink, NULL);
	assert_non_null(b);
	struct nx_instrument in = { .id = INST, .symbol = "IDS" };
	nx_instrument_defaults(&in);
	struct nx_account ac = { .id = ACCT, .stp = NX_STP_NONE };
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &ac), 0);

	/* Two old orders that will outlive everything after them. */
	struct nx_new_order o = order(1, NX_SIDE_BUY, 100);
	assert_int_equal(nx_book_new_order(b, &o), 0);
	o = order(2, NX_SIDE_SELL, 900);
	assert_int_equal(nx_book_new_order(b, &o), 0);
	struct nx_order_info oi;
	assert_int_equal(nx_book_order_by_cl(b, ACCT, 2, &oi), 0);
	nx_oid_t old_sell = oi.oid;

	/* Waves: grow to 12000 live orders (past the first map sizes), cancel
	 * them all, half by venue id and half by client id; 12 waves take the
	 * ids past 140000, far beyond the 32768-id ring and every table. */
	nx_clid_t cl = 10;
	for (int wave = 0; wave < 12; wave++) {
		nx_clid_t first = cl;
		for (int i = 0; i < 12000; i++, cl++) {
			o = order(cl, NX_SIDE_BUY, 200 + (nx_px_t)(cl % 500));
			assert_int_equal(nx_book_new_order(b, &o), 0);
		}
		assert_int_equal(nx_book_order_count(b), 12002);
		if (wave % 4 == 0)
			check(b);
		for (nx_clid_t c = first; c < cl; c++) {
			struct nx_cancel x = { .acct = ACCT, .cl = c + 1000000, .orig_cl = c };
			if (c & 1) {
				assert_int_equal(nx_book_order_by_cl(b, ACCT, c, &oi), 0);
				x = (struct nx_cancel){ .acct = ACCT, .cl = c + 1000000, .oid = oi.oid };
			}
			assert_int_equal(nx_book_cancel(b, &x), 0);
		}
		assert_int_equal(nx_book_order_count(b), 2);
	}
	check(b);
	/* The old orders are still there, by both ids, and go cleanly. */
	assert_int_equal(nx_book_order_by_cl(b, ACCT, 1, &oi), 0);
	assert_int_equal(oi.px, 100);
	assert_int_equal(nx_book_order(b, old_sell, &oi), 0);
	assert_int_equal(oi.cl, 2);
	struct nx_cancel x = { .acct = ACCT, .cl = 5, .oid = old_sell };
	assert_int_equal(nx_book_cancel(b, &x), 0);
	x = (struct nx_cancel){ .acct = ACCT, .cl = 6, .orig_cl = 1 };
	assert_int_equal(nx_book_cancel(b, &x), 0);
	assert_int_equal(nx_book_order_count(b), 0);
	assert_int_equal(nx_book_order(b, old_sell, &oi), -ENOENT);
	check(b);
	nx_book_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regression_ids_far_past_the_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
