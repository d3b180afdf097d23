/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Proof that the engine pipeline allocates nothing after nx_engine_create
 * (include/nx/engine.h): two logged-in sessions trade through 200,000
 * datagrams of new orders, cancels, replaces, mass cancels, duplicates,
 * gaps and retransmission requests, with nx_engine_poll between them,
 * inside a counting window (tests/alloc_count.h). A control allocation in
 * the window shows the counter is live.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "alloc_count.h"
#include "nx/book.h"
#include "nx/client.h"
#include "nx/engine.h"
#include "nx/risk.h"

static struct nx_out_dgram dgrams[64];
static struct nx_client_msg msgs[256];

/* Let each client read what was sent to it, so its sequence numbers advance. */
static void drain(struct nx_out *out, struct nx_client *cl)
{
	for (uint32_t i = 0; i < out->n; i++)
		nx_client_read(&cl[out->d[i].to.port - 1], out->d[i].data, out->d[i].len, msgs, 256);
	out->n = 0;
}

/* One instrument, accounts 1 and 2 (keys 1 and 2) with limits that never
 * bind; cod_admin: both cancel on disconnect and may send admin requests. */
static struct nx_engine *venue(const char *path, uint32_t max_sessions, uint32_t keepalive_ms,
			       uint32_t history, int cod_admin, nx_event_fn tap_fn)
{
	static struct nx_instrument inst = { .id = 1, .symbol = "NA", .band_ticks = 1000, .ref_px = 1000 };
	static struct nx_account_config acc[2];
	nx_instrument_defaults(&inst);
	struct nx_limits lim = { INT64_MAX, INT64_MAX, INT64_MAX, 100000, 1000000000, 1000000 };
	for (int i = 0; i < 2; i++) {
		acc[i] = (struct nx_account_config){ .id = (nx_acct_t)(i + 1), .limits = lim,
						     .cancel_on_disconnect = (uint8_t)cod_admin,
						     .admin = (uint8_t)cod_admin };
		acc[i].key[0] = (uint8_t)(i + 1);
	}
	struct nx_venue_config c = { .max_orders = 4096, .ladder_ticks = 4096,
				     .max_sessions = max_sessions, .keepalive_ms = keepalive_ms,
				     .history = history, .ninstruments = 1, .naccounts = 2,
				     .instruments = &inst, .accounts = acc };
	snprintf(c.path, sizeof(c.path), "%s", path);
	char err[128];
	struct nx_engine *e = nx_engine_create(&c, tap_fn, NULL, err, sizeof(err));
	assert_non_null(e);
	return e;
}

static void test_pipeline_allocates_nothing(void **state)
{
	(void)state;
	struct nx_engine *e = venue("noalloc", 4, 1000, 256, 0, NULL);
	struct nx_out out = { .d = dgrams, .cap = 64 };
	struct nx_addr addr[2] = { { .ip = 0x0a000001, .port = 1 }, { .ip = 0x0a000002, .port = 2 } };
	struct nx_client cl[2];
	uint8_t buf[NX_NXP_DGRAM_MAX];
	uint64_t now = 1000000000ull;
	for (int i = 0; i < 2; i++) {
		uint8_t key[32] = { (uint8_t)(i + 1) };
		nx_client_init(&cl[i], 10 + (uint64_t)i, (nx_acct_t)(i + 1), key);
		size_t n = nx_client_negotiate(&cl[i], buf, sizeof(buf), 1);
		nx_engine_rx(e, buf, n, addr[i], now, &out);
		n = nx_client_establish(&cl[i], buf, sizeof(buf), 2, 1000);
		nx_engine_rx(e, buf, n, addr[i], now, &out);
	}
	count_install();
	g_alloc.allocs = g_alloc.frees = 0;
	count_window(1);
	void *(*volatile m)(size_t) = malloc; /* the control, through a pointer the */
	void (*volatile f)(void *) = free;    /* compiler cannot see through: counted */
	f(m(16));
	count_window(0);
	assert_int_equal(g_alloc.allocs, 1);
	assert_int_equal(g_alloc.frees, 1);
	g_alloc.allocs = g_alloc.frees = 0;

	uint64_t x = 0x9e3779b97f4a7c15ull, cl_id = 1;
	count_window(1);
	for (int step = 0; step < 200000; step++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		int who = (int)(x & 1);
		struct nx_client *k = &cl[who];
		struct nx_nxp_writer w;
		size_t n;
		now += 20000;
		out.n = 0;
		switch ((x >> 8) % 10) {
		case 0: /* a retransmission request of the last few */
			n = nx_client_retransmit_request(k, buf, sizeof(buf), now, k->expect_seq > 4 ? k->expect_seq - 4 : 1, 3);
			nx_engine_rx(e, buf, n, addr[who], now, &out);
			break;
		case 1: /* a gap */
			k->next_seq += 2;
			/* fall through */
		default:
			nx_client_begin(k, &w, buf, sizeof(buf));
			for (int j = 0; j < 4; j++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				int64_t px = 990 + (int64_t)(x % 21);
				switch ((x >> 16) % 6) {
				case 0: case 1: case 2: {
					struct nx_nxp_new_order o = { .cl_ord_id = cl_id++, .price = px,
						.qty = 1 + (int64_t)((x >> 24) % 5), .account = (uint32_t)(who + 1),
						.instrument = 1, .side = (uint8_t)(1 + ((x >> 30) & 1)),
						.ord_type = 1, .time_in_force = (uint8_t)(1 + (x >> 32) % 3) };
					nx_client_new_order(k, &w, &o);
					break;
				}
				case 3: {
					struct nx_nxp_cancel_order o = { .cl_ord_id = cl_id++,
						.orig_cl_ord_id = cl_id - 1 - (x >> 40) % 8, .account = (uint32_t)(who + 1) };
					nx_client_cancel(k, &w, &o);
					break;
				}
				case 4: {
					struct nx_nxp_cancel_replace o = { .cl_ord_id = cl_id++,
						.orig_cl_ord_id = cl_id - 1 - (x >> 40) % 8, .price = px, .qty = 2,
						.account = (uint32_t)(who + 1) };
					nx_client_replace(k, &w, &o);
					break;
				}
				default: {
					struct nx_nxp_mass_cancel o = { .cl_ord_id = cl_id++, .account = (uint32_t)(who + 1) };
					nx_client_mass_cancel(k, &w, &o);
					break;
				}
				}
			}
			nx_engine_rx(e, buf, w.len, addr[who], now, &out);
			drain(&out, cl);
			if ((x >> 50) % 16 == 0) /* the same datagram again: duplicates */
				nx_engine_rx(e, buf, w.len, addr[who], now, &out);
			break;
		}
		drain(&out, cl);
		nx_engine_poll(e, now, &out);
		drain(&out, cl);
	}
	count_window(0);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	const struct nx_engine_stats *st = nx_engine_stats(e);
	assert_true(st->fills > 1000);
	assert_true(st->retransmitted > 1000);
	assert_true(st->not_applied > 1000);
	assert_true(st->drop_duplicate > 1000);
	nx_engine_destroy(e);
}

/* A caller's allocator (the appliance's NUMA hugepages): every byte of an
 * engine comes from it, none from libc, and destroy gives all of it back.
 * The hook itself uses libc with the counting window shut. */
struct hook_count { unsigned long allocs, frees; };

static void *hook_alloc(void *ctx, size_t bytes)
{
	((struct hook_count *)ctx)->allocs++;
	count_window(0);
	bytes = (bytes + 63) & ~(size_t)63;
	void *p = aligned_alloc(64, bytes);
	if (p)
		memset(p, 0, bytes);
	count_window(1);
	return p;
}

static void hook_free(void *ctx, void *p)
{
	((struct hook_count *)ctx)->frees++;
	count_window(0);
	free(p);
	count_window(1);
}

static void test_create_in_uses_only_the_hook(void **state)
{
	(void)state;
	static struct nx_instrument inst = { .id = 1, .symbol = "NA", .band_ticks = 10, .ref_px = 100 };
	static struct nx_account_config acc = { .id = 1 };
	nx_instrument_defaults(&inst);
	struct nx_venue_config c = { .path = "hook", .max_orders = 64, .ladder_ticks = 64,
				     .max_sessions = 2, .keepalive_ms = 1000, .history = 16,
				     .ninstruments = 1, .naccounts = 1, .instruments = &inst,
				     .accounts = &acc };
	struct hook_count hc = { 0, 0 };
	struct nx_engine_alloc a = { hook_alloc, hook_free, &hc };
	char err[128];
	count_install();
	g_alloc.allocs = g_alloc.frees = 0;
	count_window(1);
	struct nx_engine *e = nx_engine_create_in(&c, NULL, NULL, &a, err, sizeof(err));
	nx_engine_destroy(e);
	count_window(0);
	assert_non_null(e);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	assert_true(hc.allocs >= 5); /* engine, cfg copies, book, risk, sessions */
	assert_int_equal(hc.frees, hc.allocs);
}

/* The rest of the engine's inputs, which the workload above opens no window
 * on: sessions negotiated, established, timed out (cancel-on-disconnect),
 * established again, finished and terminated; instrument definitions;
 * every operator command (a kill and a halt cancel what rests); the event
 * tap the appliance's feed uses; the history wrapping; shutdown. */
static uint64_t tap_events;

static void tap(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	tap_events += ev->type != 0;
}

static void test_session_life_allocates_nothing(void **state)
{
	(void)state;
	struct nx_engine *e = venue("noalloc-life", 256, 100, 16, 1, tap);
	struct nx_out out = { .d = dgrams, .cap = 64 };
	uint8_t buf[NX_NXP_DGRAM_MAX];
	uint64_t now = 1000000000ull, cl_id = 1;
	count_install();
	g_alloc.allocs = g_alloc.frees = 0;
	count_window(1);
	for (int round = 0; round < 100; round++) {
		struct nx_client cl[2];
		struct nx_addr addr[2] = { { .ip = 0x0a000001, .port = (uint16_t)(1 + round) },
					   { .ip = 0x0a000002, .port = (uint16_t)(1 + round) } };
		for (int i = 0; i < 2; i++) {
			uint8_t key[32] = { (uint8_t)(i + 1) };
			nx_client_init(&cl[i], 1000 + (uint64_t)round * 2 + (uint64_t)i, (nx_acct_t)(i + 1), key);
			out.n = 0;
			size_t n = nx_client_negotiate(&cl[i], buf, sizeof(buf), now);
			nx_engine_rx(e, buf, n, addr[i], now, &out);
			n = nx_client_establish(&cl[i], buf, sizeof(buf), now + 1, 50);
			nx_engine_rx(e, buf, n, addr[i], now, &out);
		}
		/* Orders that rest on both sides, more than the history holds. */
		for (int j = 0; j < 40; j++) {
			struct nx_nxp_writer w;
			int who = j & 1;
			out.n = 0;
			nx_client_begin(&cl[who], &w, buf, sizeof(buf));
			struct nx_nxp_new_order o = { .cl_ord_id = cl_id++, .price = who && j % 8 != 7 ? 1010 : 990,
				.qty = 1, .account = (uint32_t)(who + 1), .instrument = 1,
				.side = (uint8_t)(1 + who), .ord_type = 1, .time_in_force = 1 };
			nx_client_new_order(&cl[who], &w, &o);
			if (j == 0) {
				struct nx_nxp_instrument_definition_request rq = { .req_id = cl_id++ };
				nx_client_instrument_request(&cl[who], &w, &rq);
			}
			nx_engine_rx(e, buf, w.len, addr[who], now, &out);
		}
		out.n = 0;
		struct nx_admin ad[] = {
			{ .op = NX_ADMIN_REF_PX, .id = 1, .value = 1000 },
			{ .op = NX_ADMIN_LIMIT, .id = 1, .limit_kind = NX_LIMIT_MSG_BURST, .value = 1000000 },
			{ .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = 1, .on = (uint8_t)(round & 1) },
			{ .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = 1, .on = 0 },
			{ .op = NX_ADMIN_STATUS, .id = 1, .status = NX_STATUS_HALTED,
			  .cancel_resting = (uint8_t)(round % 3 == 0) },
			{ .op = NX_ADMIN_STATUS, .id = 1, .status = NX_STATUS_OPEN },
			{ .op = NX_ADMIN_KILL, .scope = 9, .id = 1, .on = 1 }, /* refused */
		};
		for (size_t k = 0; k < sizeof(ad) / sizeof(ad[0]); k++)
			nx_engine_admin(e, &ad[k], now, &out);
		/* Heartbeats, then a keepalive timeout (cancel-on-disconnect) of
		 * the first session; the second finishes, or terminates. */
		for (int t = 0; t < 4; t++) {
			now += 60000000ull;
			out.n = 0;
			nx_engine_poll(e, now, &out);
			size_t n = nx_client_heartbeat(&cl[1], buf, sizeof(buf));
			nx_engine_rx(e, buf, n, addr[1], now, &out);
		}
		out.n = 0;
		size_t n = round & 1 ? nx_client_terminate(&cl[1], buf, sizeof(buf), 0)
				     : nx_client_finished_sending(&cl[1], buf, sizeof(buf));
		nx_engine_rx(e, buf, n, addr[1], now, &out);
		if (!(round & 1)) {
			n = nx_client_finished_receiving(&cl[1], buf, sizeof(buf));
			nx_engine_rx(e, buf, n, addr[1], now, &out);
		}
		now += 1000000ull;
	}
	do {
		out.n = 0;
	} while (nx_engine_shutdown(e, now, &out));
	count_window(0);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	const struct nx_engine_stats *st = nx_engine_stats(e);
	assert_int_equal(st->sessions_negotiated, 200);
	assert_true(st->sessions_terminated >= 200);
	assert_true(st->fills > 0);
	assert_true(tap_events > 1000);
	nx_engine_destroy(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline_allocates_nothing),
		cmocka_unit_test(test_create_in_uses_only_the_hook),
		cmocka_unit_test(test_session_life_allocates_nothing),
	};
	return cmocka_run_group_tests_name("engine_noalloc", tests, NULL, NULL);
}
