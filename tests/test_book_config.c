/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the book (include/nx/book.h) against the rules of
 * docs/matching.md, for the book as configured: capacities (orders,
 * accounts, instruments), price windows, the quantity bound, invalid
 * configurations, create, init, destroy and set_sink, prices at the edges of
 * int64, and determinism (the same commands give the same events and ids).
 * Every event of every command is compared field by field
 * (tests/book_helpers.c), and the book's state is read back through the
 * query calls after the command. nx_book_check runs after every command.
 *
 * What this file does not do: new orders of each type, LEVEL events and
 * tags (test_book_orders.c), cancel, replace, mass cancel and instrument
 * status (test_book_cancel.c), self-trade prevention (test_book_stp.c), one
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
	static const char *const named[12] = { "max_instruments", "max_accounts", "max_orders",
		"max_orders", "max_orders", "ladder_ticks", "ladder_ticks", "ladder_ticks",
		"ladder_ticks", "ladder_ticks", "ladder_ticks", "ladder_ticks" };
	const char *field, *range;
	assert_int_equal(nx_book_config_check(&good, &field, &range), 0);
	assert_null(field);
	for (size_t i = 0; i < n; i++) {
		/* the member at fault is named, with its range */
		assert_int_equal(nx_book_config_check(&bad[i], &field, &range), -EINVAL);
		assert_string_equal(field, named[i]);
		assert_non_null(range);
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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, bh_setup, bh_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_orders, bh_setup_3_orders, bh_teardown),
		T(test_price_window_new_orders),
		T(test_price_window_judged_on_arrival),
		cmocka_unit_test(test_qty_bound),
		T(test_accounts_and_instruments_capacity),
		T(test_config_invalid),
		T(test_create_destroy_set_sink),
		T(test_extreme_prices),
		T(test_deterministic_ids),
	};
#undef T
	return cmocka_run_group_tests_name("book_config", tests, NULL, NULL);
}
