/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Reference prices from ITCH books (nx/mdref.h): symbol resolution, mid and
 * last, conversion and tick rounding, one- and two-sided and crossed books,
 * pacing, and a delivery that fails and is offered again.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "itch_build.h"
#include "nx/mdref.h"

#define MS 1000000ull

struct sink {
	int refuse;
	unsigned n;
	nx_inst_t inst[16];
	nx_px_t px[16];
};

static int emit(void *ctx, nx_inst_t inst, nx_px_t px)
{
	struct sink *k = ctx;
	if (k->refuse)
		return -1;
	k->inst[k->n] = inst;
	k->px[k->n++] = px;
	return 0;
}

/* Two instruments: 1 (tick 5) priced by AAPL's mid in cents (Price(4) / 100),
 * 2 (tick 1) by MSFT's last trade in Price(4) units; 1 ms between prices. */
static struct nx_venue_config *venue(void)
{
	static struct nx_instrument ins[2];
	static struct nx_venue_config c;
	memset(&c, 0, sizeof(c));
	memset(ins, 0, sizeof(ins));
	ins[0].id = 1;
	ins[0].tick = 5;
	ins[1].id = 2;
	ins[1].tick = 1;
	c.instruments = ins;
	c.ninstruments = 2;
	c.md.itch.ref_interval_us = 1000;
	c.md.itch.nmap = 2;
	c.md.itch.map[0] = (struct nx_md_map){ .symbol = "AAPL", .source = NX_MD_REF_MID, .inst = 1,
					       .px_mul = 1, .px_div = 100 };
	c.md.itch.map[1] = (struct nx_md_map){ .symbol = "MSFT", .source = NX_MD_REF_LAST, .inst = 2,
					       .px_mul = 1, .px_div = 1 };
	return &c;
}

static struct nx_mdbook *book(void)
{
	struct nx_mdbook_config bc = { .max_locates = 64, .max_orders = 64, .max_levels = 64 };
	struct nx_mdbook *b = nx_mdbook_create(&bc);
	assert_non_null(b);
	return b;
}

static void test_init(void **state)
{
	struct nx_mdref r;
	struct nx_venue_config *c = venue();
	(void)state;
	assert_int_equal(nx_mdref_init(&r, c), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.unresolved, 2);
	assert_int_equal(r.interval_ns, MS);
	assert_int_equal(r.e[0].tick, 5);
	assert_int_equal(r.e[0].locate, -1);
	c->md.itch.map[1].inst = 9; /* not configured */
	assert_int_equal(nx_mdref_init(&r, c), -EINVAL);
	/* Regression (session 15): a config built in code with more maps than
	 * the table holds set n past it, and nx_mdref_resolve read beyond. */
	c->md.itch.map[1].inst = c->md.itch.map[0].inst;
	assert_int_equal(nx_mdref_init(&r, c), 0);
	c->md.itch.nmap = NX_MD_MAX_MAP + 1;
	assert_int_equal(nx_mdref_init(&r, c), -EINVAL);
	assert_int_equal(r.n, 0);
}

static void test_mid_resolve_round(void **state)
{
	struct nx_mdref r;
	struct sink k = { 0 };
	struct nx_mdbook *b = book();
	(void)state;
	assert_int_equal(nx_mdref_init(&r, venue()), 0);
	/* Nothing resolves before the stock is named; nothing is emitted. */
	assert_int_equal(nx_mdref_resolve(&r, b), 2);
	assert_int_equal(nx_mdref_update(&r, b, 0, emit, &k), 0);
	/* One side: no mid. */
	ap(b, mA(7, 1, 'B', 100, "AAPL", 1500000)); /* $150.0000 */
	assert_int_equal(nx_mdref_resolve(&r, b), 1);
	assert_int_equal(r.e[0].locate, 7);
	assert_int_equal(nx_mdref_update(&r, b, 0, emit, &k), 0);
	/* Both: mid 150.0150 = 15001.5 cents -> nearest tick of 5: 15000. */
	ap(b, mA(7, 2, 'S', 100, "AAPL", 1500300));
	assert_int_equal(nx_mdref_price(&r.e[0], b), 15000);
	assert_int_equal(nx_mdref_update(&r, b, 0, emit, &k), 1);
	assert_int_equal(k.inst[0], 1);
	assert_int_equal(k.px[0], 15000);
	/* Mid 150.0250 = 15002.5 cents: half rounds up to 15005. */
	ap(b, mD(2));
	ap(b, mA(7, 3, 'S', 100, "AAPL", 1500500));
	assert_int_equal(nx_mdref_price(&r.e[0], b), 15005);
	/* Locked (bid == offer) and crossed books give no price. */
	ap(b, mA(7, 4, 'S', 100, "AAPL", 1500000));
	assert_int_equal(nx_mdref_price(&r.e[0], b), 0);
	ap(b, mD(4));
	ap(b, mA(7, 5, 'S', 100, "AAPL", 1499000));
	assert_int_equal(nx_mdref_price(&r.e[0], b), 0);
	nx_mdbook_destroy(b);
}

static void test_last_trade(void **state)
{
	struct nx_mdref r;
	struct sink k = { 0 };
	struct nx_mdbook *b = book();
	(void)state;
	assert_int_equal(nx_mdref_init(&r, venue()), 0);
	ap(b, mA(9, 10, 'S', 100, "MSFT", 4000000));
	assert_int_equal(nx_mdref_resolve(&r, b), 1);
	assert_int_equal(nx_mdref_price(&r.e[1], b), 0); /* no trade yet */
	ap(b, mC(9, 10, 40, 'Y', 3999900));             /* executed with price */
	assert_int_equal(nx_mdref_price(&r.e[1], b), 3999900);
	assert_int_equal(nx_mdref_update(&r, b, 5 * MS, emit, &k), 1);
	assert_int_equal(k.inst[0], 2);
	assert_int_equal(k.px[0], 3999900);
	/* The same price again is not news. */
	assert_int_equal(nx_mdref_update(&r, b, 9 * MS, emit, &k), 0);
	nx_mdbook_destroy(b);
}

static void test_pacing_and_retry(void **state)
{
	struct nx_mdref r;
	struct sink k = { 0 };
	struct nx_mdbook *b = book();
	(void)state;
	assert_int_equal(nx_mdref_init(&r, venue()), 0);
	ap(b, mA(7, 1, 'B', 100, "AAPL", 1000000));
	ap(b, mA(7, 2, 'S', 100, "AAPL", 1002000));
	nx_mdref_resolve(&r, b);
	/* A refused delivery is offered again. */
	k.refuse = 1;
	assert_int_equal(nx_mdref_update(&r, b, 10 * MS, emit, &k), 0);
	k.refuse = 0;
	assert_int_equal(nx_mdref_update(&r, b, 10 * MS, emit, &k), 1);
	assert_int_equal(k.px[0], 10010);
	/* A change inside the interval waits, then goes out. */
	ap(b, mD(2));
	ap(b, mA(7, 3, 'S', 100, "AAPL", 1004000));
	assert_int_equal(nx_mdref_update(&r, b, 10 * MS + 999999, emit, &k), 0);
	assert_int_equal(nx_mdref_update(&r, b, 11 * MS, emit, &k), 1);
	assert_int_equal(k.px[1], 10020);
	assert_int_equal(r.e[0].emitted, 2);
	/* A clock that steps back restarts the pacing from then, rather than
	 * reading the step as an interval long past (it wrapped: regression). */
	ap(b, mD(3));
	ap(b, mA(7, 4, 'S', 100, "AAPL", 1006000));
	assert_int_equal(nx_mdref_update(&r, b, 5 * MS, emit, &k), 0);
	assert_int_equal(nx_mdref_update(&r, b, 6 * MS - 1, emit, &k), 0);
	assert_int_equal(nx_mdref_update(&r, b, 6 * MS, emit, &k), 1);
	assert_int_equal(k.px[2], 10030);
	nx_mdbook_destroy(b);
}

static void test_conversion_limits(void **state)
{
	struct nx_mdref r;
	struct nx_venue_config *c = venue();
	struct nx_mdbook *b = book();
	(void)state;
	/* A price that rounds to zero ticks is not a price. */
	c->md.itch.map[1].px_div = 1000000;
	assert_int_equal(nx_mdref_init(&r, c), 0);
	ap(b, mA(9, 10, 'S', 100, "MSFT", 4));
	ap(b, mC(9, 10, 40, 'Y', 4));
	nx_mdref_resolve(&r, b);
	assert_int_equal(nx_mdref_price(&r.e[1], b), 0);
	/* The largest Price(4) times the largest multiplier stays exact. */
	c->md.itch.map[1].px_div = 1;
	c->md.itch.map[1].px_mul = INT32_MAX;
	assert_int_equal(nx_mdref_init(&r, c), 0);
	ap(b, mA(9, 11, 'S', 100, "MSFT", UINT32_MAX));
	ap(b, mC(9, 11, 40, 'Y', UINT32_MAX));
	nx_mdref_resolve(&r, b);
	assert_int_equal(nx_mdref_price(&r.e[1], b), (nx_px_t)UINT32_MAX * INT32_MAX);
	nx_mdbook_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_mid_resolve_round),
		cmocka_unit_test(test_last_trade),
		cmocka_unit_test(test_pacing_and_retry),
		cmocka_unit_test(test_conversion_limits),
	};
	return cmocka_run_group_tests_name("mdref", tests, NULL, NULL);
}
