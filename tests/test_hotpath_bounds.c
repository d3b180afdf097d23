/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Regression tests for work on the hot path that grew with the size of the
 * venue instead of with the work asked for (the shard's and the market-data
 * service's loops; docs/architecture.md). Speed is measured in perf/, not
 * here: these tests check, deterministically and white-box where the cost
 * is not observable, the structure that bounds the work, and that each call
 * still does its job:
 *
 *  - nx_engine_poll visited every session ever negotiated (slots are never
 *    reused), every millisecond: now only those in the bound bitmap, which
 *    must hold exactly the bound sessions.
 *  - Negotiate and Establish, which anyone may send, looked the account up
 *    by walking the venue's account list: now a map, which must hold every
 *    account.
 *  - A FOK order counted the whole of every crossing level before deciding,
 *    even when its first order filled it: now it stops once filled (the
 *    outcome, checked here, is the same).
 *  - nx_mdref_resolve scanned every locate once per waiting mapping, on
 *    every call, for as long as a symbol stayed unknown: now one pass, and
 *    none while no stock was named since the last.
 * (Session 15's measurements of the old code: 160 us a poll at 65,536
 * sessions, 0.23 ms a Negotiate at 131,072 accounts, 0.46 ms a 1-lot FOK
 * at a level of 100,000 orders, 27 ms a search for 256 unknown symbols.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itch_build.h"
#include "nx/book.h"
#include "nx/client.h"
#include "nx/engine.h"
#include "nx/mdbook.h"
#include "nx/mdref.h"
#include "../src/engine/engine_priv.h" /* white-box: the bound bitmap, the account map */

/* Bound sessions in the engine's bitmap, and the lowest slot of one. */
static uint32_t bound_in_bitmap(const struct nx_engine *e, int64_t *first)
{
	uint32_t n = 0;
	*first = -1;
	for (uint32_t w = 0; w < e->bound_words; w++) {
		uint64_t x = e->bound_bits[w];
		if (x && *first < 0)
			*first = (int64_t)w * 64 + __builtin_ctzll(x);
		n += (uint32_t)__builtin_popcountll(x);
		/* the summary bit says the word is not empty, and only then */
		assert_int_equal(!!x, !!(e->bound_sum[w >> 6] & (UINT64_C(1) << (w & 63))));
	}
	return n;
}

static struct nx_out_dgram dgrams[64];

static struct nx_instrument one_instrument(void)
{
	struct nx_instrument in = { .id = 1, .symbol = "NA", .band_ticks = 1000, .ref_px = 1000 };
	nx_instrument_defaults(&in);
	return in;
}

static const struct nx_limits big = { INT64_MAX, INT64_MAX, INT64_MAX, 1000000, 1000000000,
				      1000000 };

/* --- nx_engine_poll: bound sessions only ------------------------------------------ */

static void test_poll_visits_bound_sessions_only(void **state)
{
	(void)state;
	enum { NSESS = 1 << 12 };
	static struct nx_instrument inst;
	static struct nx_account_config acc;
	inst = one_instrument();
	acc = (struct nx_account_config){ .id = 1, .limits = big };
	acc.key[0] = 1;
	struct nx_venue_config c = { .path = "poll", .max_orders = 64, .ladder_ticks = 64,
				     .max_sessions = NSESS, .keepalive_ms = 1000, .history = 1,
				     .ninstruments = 1, .naccounts = 1, .instruments = &inst,
				     .accounts = &acc };
	char err[128];
	struct nx_engine *e = nx_engine_create(&c, NULL, NULL, err, sizeof(err));
	assert_non_null(e);
	struct nx_out out = { .d = dgrams, .cap = 64 };
	uint8_t buf[NX_NXP_DGRAM_MAX], key[32] = { 1 };
	uint64_t now = 1000000000ull;
	/* A day of reconnects: every slot negotiated once, one session bound. */
	for (uint32_t i = 0; i < NSESS; i++) {
		struct nx_client cl;
		nx_client_init(&cl, 100 + (uint64_t)i, 1, key);
		size_t n = nx_client_negotiate(&cl, buf, sizeof(buf), 1);
		out.n = 0;
		nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0a000001, .port = (uint16_t)(1 + i % 60000) }, now,
			     &out);
		if (i == NSESS - 1) {
			n = nx_client_establish(&cl, buf, sizeof(buf), 2, 1000);
			out.n = 0;
			nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0a000009, .port = 9 }, now, &out);
		}
	}
	assert_int_equal(nx_engine_stats(e)->sessions_negotiated, NSESS);
	assert_int_equal(nx_engine_stats(e)->sessions_established, 1);
	int64_t slot;
	assert_int_equal(bound_in_bitmap(e, &slot), 1); /* what the timers visit */
	assert_int_equal(slot, NSESS - 1);
	/* The bound one still gets its heartbeat, then its timeout. */
	out.n = 0;
	assert_int_equal(nx_engine_poll(e, now + 1000000000ull, &out), 1);
	assert_int_equal(out.d[0].to.port, 9);
	out.n = 0;
	nx_engine_poll(e, now + 4000000000ull, &out);
	assert_int_equal(nx_engine_stats(e)->sessions_terminated, 1);
	assert_int_equal(bound_in_bitmap(e, &slot), 0);
	out.n = 0;
	assert_int_equal(nx_engine_poll(e, now + 9000000000ull, &out), 0);
	nx_engine_destroy(e);
}

/* --- Negotiate: the account by map ------------------------------------------------ */

static void test_negotiate_cost_independent_of_accounts(void **state)
{
	(void)state;
	enum { NACCT = 1 << 13, TRIES = 20 };
	static struct nx_instrument inst;
	inst = one_instrument();
	struct nx_account_config *acc = calloc(NACCT, sizeof(*acc));
	assert_non_null(acc);
	for (uint32_t i = 0; i < NACCT; i++) {
		acc[i] = (struct nx_account_config){ .id = i + 1, .limits = big };
		acc[i].key[0] = (uint8_t)(i + 1);
	}
	struct nx_venue_config c = { .path = "accounts", .max_orders = 64, .ladder_ticks = 64,
				     .max_sessions = 4, .keepalive_ms = 1000, .history = 16,
				     .ninstruments = 1, .naccounts = NACCT, .instruments = &inst,
				     .accounts = acc };
	char err[128];
	struct nx_engine *e = nx_engine_create(&c, NULL, NULL, err, sizeof(err));
	assert_non_null(e);
	struct nx_out out = { .d = dgrams, .cap = 64 };
	uint8_t buf[NX_NXP_DGRAM_MAX], key[32] = { 0 };
	/* Unknown accounts, from anywhere: refused, at a cost that must not
	 * be a walk of 131,072 accounts each. */
	struct nx_client cl;
	nx_client_init(&cl, 7, NACCT + 5, key);
	size_t n = nx_client_negotiate(&cl, buf, sizeof(buf), 1);
	for (int k = 0; k < TRIES; k++) {
		out.n = 0;
		nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0b000001, .port = (uint16_t)(1 + k) }, 1000, &out);
	}
	/* The map holds every account, each at its place in the list. */
	for (uint32_t i = 0; i < NACCT; i += 97) {
		uint32_t ix = NX_ARRAY_SIZE(dgrams);
		assert_non_null(engine_account(e, i + 1, &ix));
		assert_int_equal(ix, i);
	}
	uint32_t ix;
	assert_null(engine_account(e, NACCT + 5, &ix));
	assert_int_equal(nx_engine_stats(e)->rejects[NX_REJ_AUTH_UNKNOWN_ACCOUNT], TRIES);
	/* The last account of the list still logs in, the first too. */
	key[0] = (uint8_t)NACCT;
	nx_client_init(&cl, 8, NACCT, key);
	n = nx_client_negotiate(&cl, buf, sizeof(buf), 1);
	out.n = 0;
	nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0b000002, .port = 1 }, 1000, &out);
	n = nx_client_establish(&cl, buf, sizeof(buf), 2, 1000);
	nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0b000002, .port = 1 }, 1000, &out);
	key[0] = 1;
	nx_client_init(&cl, 9, 1, key);
	n = nx_client_negotiate(&cl, buf, sizeof(buf), 1);
	nx_engine_rx(e, buf, n, (struct nx_addr){ .ip = 0x0b000003, .port = 1 }, 1000, &out);
	assert_int_equal(nx_engine_stats(e)->sessions_negotiated, 2);
	assert_int_equal(nx_engine_stats(e)->sessions_established, 1);
	nx_engine_destroy(e);
	free(acc);
}

/* --- FOK: stop counting once filled ---------------------------------------------- */

struct trades {
	uint64_t trades, fok_cancels;
};

static void count_sink(void *ctx, const struct nx_event *ev)
{
	struct trades *t = ctx;
	if (ev->type == NX_EV_TRADE)
		t->trades++;
	else if (ev->type == NX_EV_CANCELED && ev->u.cancel.reason == NX_CXL_FOK)
		t->fok_cancels++;
}

static void test_fok_does_not_walk_the_level(void **state)
{
	(void)state;
	enum { RESTING = 10000, FOKS = 1000 };
	struct trades t = { 0, 0 };
	const struct nx_book_config bc = { .max_instruments = 1, .max_accounts = 2,
					   .max_orders = 1 << 17, .ladder_ticks = 64 };
	struct nx_book *b = nx_book_create(&bc, count_sink, &t);
	assert_non_null(b);
	struct nx_instrument in = one_instrument();
	in.max_qty = 1000000000;
	assert_int_equal(nx_book_add_instrument(b, &in), 0);
	for (nx_acct_t a = 1; a <= 2; a++)
		assert_int_equal(nx_book_add_account(b, &(struct nx_account){ .id = a }), 0);
	nx_px_t px = 1000 * in.tick;
	for (uint32_t i = 0; i < RESTING; i++)
		nx_book_new_order(b, &(struct nx_new_order){ .acct = 1, .inst = 1, .cl = i + 1,
			.px = px, .qty = 1, .side = NX_SIDE_SELL, .type = NX_ORD_LIMIT,
			.tif = NX_TIF_GTC });
	for (uint32_t k = 0; k < FOKS; k++)
		nx_book_new_order(b, &(struct nx_new_order){ .acct = 2, .inst = 1, .cl = k + 1,
			.px = px, .qty = 1, .side = NX_SIDE_BUY, .type = NX_ORD_LIMIT,
			.tif = NX_TIF_FOK });
	assert_int_equal(t.trades, FOKS);
	assert_int_equal(t.fok_cancels, 0);
	/* One more than the level holds is still refused whole. */
	nx_book_new_order(b, &(struct nx_new_order){ .acct = 2, .inst = 1, .cl = FOKS + 1, .px = px,
		.qty = RESTING - FOKS + 1, .side = NX_SIDE_BUY, .type = NX_ORD_LIMIT,
		.tif = NX_TIF_FOK });
	assert_int_equal(t.fok_cancels, 1);
	assert_int_equal(t.trades, FOKS);
	nx_book_destroy(b);
}

/* --- nx_mdref_resolve: no rescans for symbols the feed never names ------------------ */

static void test_resolve_does_not_rescan(void **state)
{
	(void)state;
	enum { CALLS = 20 };
	static struct nx_instrument ins[NX_MD_MAX_MAP];
	static struct nx_venue_config c;
	memset(&c, 0, sizeof(c));
	for (uint32_t i = 0; i < NX_MD_MAX_MAP; i++) {
		ins[i] = (struct nx_instrument){ .id = i + 1, .tick = 1 };
		c.md.itch.map[i] = (struct nx_md_map){ .source = NX_MD_REF_MID, .inst = i + 1,
						       .px_mul = 1, .px_div = 1 };
		snprintf(c.md.itch.map[i].symbol, sizeof(c.md.itch.map[i].symbol), "ZZ%03u", i);
	}
	c.instruments = ins;
	c.ninstruments = NX_MD_MAX_MAP;
	c.md.itch.nmap = NX_MD_MAX_MAP;
	struct nx_mdbook_config bc = { .max_locates = 65536, .max_orders = 64, .max_levels = 64 };
	struct nx_mdbook *b = nx_mdbook_create(&bc);
	assert_non_null(b);
	struct nx_mdref r;
	assert_int_equal(nx_mdref_init(&r, &c), 0);
	ap(b, mA(3, 1, 'B', 100, "AAPL", 1500000)); /* named, but mapped by nobody */
	for (int k = 0; k < CALLS; k++)
		assert_int_equal(nx_mdref_resolve(&r, b), NX_MD_MAX_MAP);
	/* It searched once: it knows the book and what was named then, and
	 * searches again only when a stock is named (below). */
	assert_ptr_equal(r.book_seen, b);
	assert_int_equal(r.namings_seen, nx_mdbook_stats(b)->namings);
	assert_int_equal(nx_mdbook_stats(b)->namings, 1);
	/* A stock named afterwards is found, at its lowest locate. */
	ap(b, mA(900, 2, 'B', 100, "ZZ007", 1500000));
	ap(b, mA(5, 3, 'B', 100, "ZZ007", 1500000));
	ap(b, mA(60000, 4, 'S', 100, "ZZ255", 1500000));
	assert_int_equal(nx_mdref_resolve(&r, b), NX_MD_MAX_MAP - 2);
	assert_int_equal(r.e[7].locate, 5);
	assert_int_equal(r.e[255].locate, 60000);
	assert_int_equal(r.e[6].locate, -1);
	nx_mdbook_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll_visits_bound_sessions_only),
		cmocka_unit_test(test_negotiate_cost_independent_of_accounts),
		cmocka_unit_test(test_fok_does_not_walk_the_level),
		cmocka_unit_test(test_resolve_does_not_rescan),
	};
	return cmocka_run_group_tests_name("hotpath_bounds", tests, NULL, NULL);
}
