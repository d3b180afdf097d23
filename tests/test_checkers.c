/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The invariant checkers can fail. nx_book_check, nx_mdbook_check and
 * nx_feed_sub_check run after every command of the book and market-data
 * tests and are the invariants of the fuzz harnesses (tests/fuzz/fuzz_book.c,
 * fuzz_engine.c, fuzz_itch.c, fuzz_feed.c), but every test only ever
 * asserted that they pass: a checker
 * reduced to "return 0" passed `make unit golden` and left the harnesses
 * with an invariant that could not trigger. White-box: a valid structure
 * built through the public API, one field corrupted through the private
 * header, the checker must name it; the field restored, it passes again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "itch_build.h"
#include "nx/book.h"
#include "nx/mdbook.h"
#include "../src/book/book_priv.h" /* white-box: corrupt an order, the live count */
#include "../src/feed/feed_priv.h" /* white-box: corrupt the subscriber's holds */
#include "../src/mdbook/mdbook_priv.h" /* white-box: corrupt a level, a counter */

static void sink(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void book_fails(const struct nx_book *b, const char *want)
{
	const char *why = NULL;
	assert_int_not_equal(nx_book_check(b, &why), 0);
	assert_non_null(why);
	assert_string_equal(why, want);
}

static void book_passes(const struct nx_book *b)
{
	const char *why = NULL;
	if (nx_book_check(b, &why))
		fail_msg("book invariant: %s", why);
}

static void test_book_check_finds_corruption(void **state)
{
	(void)state;
	struct nx_book_config bc = { .max_instruments = 1, .max_accounts = 1, .max_orders = 16,
				     .ladder_ticks = 64 };
	struct nx_book *b = nx_book_create(&bc, sink, NULL);
	assert_non_null(b);
	struct nx_instrument in = { .id = 1, .symbol = "CHK" };
	nx_instrument_defaults(&in);
	struct nx_account ac = { .id = 1, .stp = NX_STP_NONE };
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	assert_int_equal(nx_book_add_account(b, &ac), 0);
	struct nx_new_order o = { .acct = 1, .inst = 1, .cl = 1, .px = 100, .qty = 5,
				  .side = NX_SIDE_BUY, .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC,
				  .stp = NX_STP_NONE };
	assert_int_equal(nx_book_new_order(b, &o), 0);
	book_passes(b);

	struct nx_order_info oi;
	assert_int_equal(nx_book_order_by_cl(b, 1, 1, &oi), 0);
	uint32_t slot = nx_book_oid_slot(b, oi.oid);
	assert_true(slot < bc.max_orders);
	struct order *p = &b->orders[slot];

	int64_t visible = p->visible;
	p->visible = 0; /* a resting order showing nothing */
	book_fails(b, "queued order with bad quantities");
	p->visible = visible;
	book_passes(b);

	p->visible = visible - 1; /* the level's total no longer its orders' sum */
	p->leaves = visible - 1;
	book_fails(b, "level quantity differs from its orders");
	p->visible = p->leaves = visible;
	book_passes(b);

	b->live++; /* a slot out of the free list that no level holds */
	book_fails(b, "order slots leaked");
	b->live--;
	book_passes(b);
	nx_book_destroy(b);
}

static void test_mdbook_check_finds_corruption(void **state)
{
	(void)state;
	struct nx_mdbook_config c = { .max_orders = 16, .max_levels = 16 };
	struct nx_mdbook *b = nx_mdbook_create(&c);
	char why[256];
	assert_non_null(b);
	assert_int_equal(ap(b, mA(7, 1, 'B', 100, "XYZ", 100000)), 'A');
	assert_int_equal(ap(b, mA(7, 2, 'B', 200, "XYZ", 100000)), 'A');
	assert_int_equal(nx_mdbook_check(b, why, sizeof(why)), 0);

	/* The one live level: its quantity is its orders' 300 shares. */
	uint32_t lv = 0;
	for (uint32_t i = 1; i < b->lvl_hw; i++)
		if (b->lvl[i].live)
			lv = i;
	assert_int_not_equal(lv, 0);
	assert_int_equal(b->lvl[lv].qty, 300);

	why[0] = 0;
	b->lvl[lv].qty++;
	assert_int_not_equal(nx_mdbook_check(b, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "qty 301/300"));
	b->lvl[lv].qty--;
	assert_int_equal(nx_mdbook_check(b, why, sizeof(why)), 0);

	why[0] = 0;
	b->st.live_levels++;
	assert_int_not_equal(nx_mdbook_check(b, why, sizeof(why)), 0);
	assert_non_null(strstr(why, "levels: 1 live (counter 2)"));
	b->st.live_levels--;
	assert_int_equal(nx_mdbook_check(b, why, sizeof(why)), 0);
	nx_mdbook_destroy(b);
}

static void test_feed_sub_check_finds_corruption(void **state)
{
	(void)state;
	struct nx_feed_sub_config c = { .max_instruments = 4, .max_levels = 4, .hold_pkts = 4,
					.replay_msgs = 64, .from_start = 1 };
	struct nx_feed_sub *s = nx_feed_sub_create(&c);
	const char *why = NULL;
	assert_non_null(s);
	assert_int_equal(nx_feed_sub_check(s, &why), 0);
	assert_int_equal(s->hold.slots, 4);

	s->hold.n = s->hold.slots + 1; /* more packets held than there are slots */
	assert_int_not_equal(nx_feed_sub_check(s, &why), 0);
	assert_non_null(why);
	assert_string_equal(why, "hold count or delivery base corrupt");
	s->hold.n = 0;
	assert_int_equal(nx_feed_sub_check(s, &why), 0);
	s->hold.head = s->hold.slots; /* the held run would reach past the slots */
	s->hold.n = 1;
	s->hold.nfree = s->hold.slots - 1;
	assert_int_not_equal(nx_feed_sub_check(s, &why), 0);
	s->hold.head = s->hold.n = 0;
	s->hold.nfree = s->hold.slots;
	assert_int_equal(nx_feed_sub_check(s, &why), 0);
	nx_feed_sub_destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_book_check_finds_corruption),
		cmocka_unit_test(test_mdbook_check_finds_corruption),
		cmocka_unit_test(test_feed_sub_check_finds_corruption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
