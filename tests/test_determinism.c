/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Determinism of the core (docs/architecture.md, shared DESIGN.md: the same
 * sequenced inputs give byte-identical outputs), checked as a black box:
 *
 * - engines: one seeded stream of client datagrams (built with the client
 *   library: orders, cancels, replaces, mass cancels, duplicates, gaps,
 *   retransmission requests, heartbeats, malformed bytes, a session that
 *   ends and a new one), timer polls and operator admin commands is run
 *   through one engine alone, recording every output datagram (destination
 *   and bytes) and every tap event; then through two engines in one
 *   process, interleaved input by input (what a process with several shards
 *   or a test does), and through engines that differ only in capacities the
 *   stream never reaches, or in prefetch hints: every output must be
 *   identical, input by input;
 * - ITCH books: two nx_mdbook instances (and one with larger capacities)
 *   fed the same bytes interleaved answer every query identically, and
 *   mdref instances on them emit the same reference prices;
 * - mdref on the real snippet (../shared/data/12302019_SNIPPET.NASDAQ_ITCH50):
 *   the prices published for mapped stocks are the mid or the last trade as
 *   docs/market-data.md defines them, computed here by an independent walk of
 *   the file; and nx_mdbook_apply + nx_mdref_resolve + nx_mdref_update
 *   allocate nothing (tests/alloc_count.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "itch_build.h"
#include "nx/book.h"
#include "nx/event.h"
#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/mdref.h"
#include "nx/moldudp.h"
#include "nx/risk.h"
/* last: its macros A and B are also the ITCH union's member names */
#include "engine_helpers.h"

static uint64_t rng_state;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return n ? rng_state % n : 0;
}

/* ===================================================================================
 * Engines
 * =================================================================================== */

#define NSTEPS 6000
#define OUT_CAP 1 /* small, so the spill path runs too */
#define LOG_CAP (64u << 20)

enum { ST_RX, ST_POLL, ST_ADMIN };

struct step {
	uint8_t kind;
	struct nx_addr from;
	uint64_t now;
	uint16_t len;
	uint8_t data[NX_NXP_DGRAM_MAX];
	struct nx_admin adm;
};

static struct step *steps;
static unsigned nsteps;
static size_t *off0; /* the reference run's log offset before each step */

/* One engine and everything it produced, as one byte log: 'D' entries (an
 * output datagram: ip, port, bytes), 'E' entries (a tap event, formatted by
 * nx_event_format) and '|' after each input. */
struct run {
	struct nx_engine *e;
	struct nx_out out;
	struct nx_out_dgram d[OUT_CAP];
	uint8_t *log;
	size_t len;
};

static void put(struct run *r, const void *p, size_t n)
{
	assert_true(r->len + n <= LOG_CAP);
	memcpy(r->log + r->len, p, n);
	r->len += n;
}

static void put_entry(struct run *r, char tag, const void *a, size_t an, const void *b, size_t bn)
{
	uint32_t n = (uint32_t)(an + bn);
	put(r, &tag, 1);
	put(r, &n, 4);
	put(r, a, an);
	if (bn)
		put(r, b, bn);
}

static void flush(struct run *r)
{
	for (uint32_t i = 0; i < r->out.n; i++) {
		uint8_t hdr[6];
		memcpy(hdr, &r->out.d[i].to.ip, 4);
		memcpy(hdr + 4, &r->out.d[i].to.port, 2);
		assert_true(r->out.d[i].len <= NX_NXP_DGRAM_MAX);
		put_entry(r, 'D', hdr, 6, r->out.d[i].data, r->out.d[i].len);
	}
	r->out.n = 0;
}

static void spill(struct nx_out *out, void *arg)
{
	(void)out;
	flush(arg);
}

static void tap(void *ctx, const struct nx_event *ev)
{
	char buf[1024];
	int n = nx_event_format(ev, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	put_entry(ctx, 'E', buf, (size_t)n, NULL, 0);
}

struct caps {
	uint32_t max_orders, ladder_ticks, max_sessions, prefetch_min_orders;
};

static const struct caps base_caps = { 1024, 4096, 8, 0 };

#define INST2 2u

static struct run *run_new(const struct caps *k)
{
	struct run *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	r->log = malloc(LOG_CAP);
	assert_non_null(r->log);
	r->out = (struct nx_out){ .d = r->d, .cap = OUT_CAP, .spill = spill, .spill_arg = r };

	struct nx_instrument in[2] = {
		{ .id = INST, .symbol = "BTC-USD", .band_ticks = 100, .ref_px = 1000 },
		{ .id = INST2, .symbol = "ETH-USD", .band_ticks = 50, .ref_px = 500, .tick = 5,
		  .lot = 2 },
	};
	nx_instrument_defaults(&in[0]);
	nx_instrument_defaults(&in[1]);
	struct nx_limits lim = { .max_order_notional = 1000000, .position_limit = 60,
				 .credit_limit = 10000000, .max_open_orders = 40,
				 .msg_rate = 6000, .msg_burst = 12 };
	struct nx_account_config acc[3];
	acc[0] = (struct nx_account_config){ .id = A, .limits = lim, .cancel_on_disconnect = 1 };
	memcpy(acc[0].key, key_a, 32);
	acc[1] = (struct nx_account_config){ .id = B, .limits = lim, .src_ip = IP_B };
	memcpy(acc[1].key, key_b, 32);
	acc[2] = (struct nx_account_config){ .id = ADM, .limits = lim, .admin = 1 };
	memcpy(acc[2].key, key_adm, 32);
	struct nx_venue_config *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	snprintf(c->path, sizeof(c->path), "determinism");
	c->max_orders = k->max_orders;
	c->ladder_ticks = k->ladder_ticks;
	c->max_sessions = k->max_sessions;
	c->prefetch_min_orders = k->prefetch_min_orders;
	c->keepalive_ms = 1000;
	c->history = EH_HISTORY;
	c->retransmit_rate = 100000;
	c->retransmit_burst = 1000;
	c->ninstruments = 2;
	c->naccounts = 3;
	c->instruments = in;
	c->accounts = acc;
	char err[256];
	r->e = nx_engine_create(c, tap, r, err, sizeof(err));
	if (!r->e)
		fail_msg("%s", err);
	free(c);
	return r;
}

static void run_free(struct run *r)
{
	nx_engine_destroy(r->e);
	free(r->log);
	free(r);
}

static void exec_step(struct run *r, const struct step *s, int prefetch)
{
	switch (s->kind) {
	case ST_RX:
		if (prefetch) {
			const uint8_t *p[1] = { s->data };
			size_t l[1] = { s->len };
			nx_engine_prefetch_burst(r->e, p, l, 1, 0);
		}
		nx_engine_rx(r->e, s->data, s->len, s->from, s->now, &r->out);
		break;
	case ST_POLL:
		nx_engine_poll(r->e, s->now, &r->out);
		break;
	default:
		nx_engine_admin(r->e, &s->adm, s->now, &r->out);
		break;
	}
	flush(r);
	put(r, "|", 1);
}

/* --- The stream, made against the reference engine ---------------------------------- */

struct gen {
	struct run *r;
	struct nx_client c[3]; /* A, B, ADM */
	struct nx_addr addr[3];
	uint64_t next_cl[3];
	uint64_t now;
	uint8_t last[3][NX_NXP_DGRAM_MAX]; /* each client's last datagram, to resend */
	uint16_t last_len[3];
	unsigned b_session;
};

static struct nx_client_msg gmsgs[512];

/* Hand each output datagram of the reference run since `from` to its client. */
static void deliver(struct gen *g, size_t from)
{
	const uint8_t *p = g->r->log + from, *end = g->r->log + g->r->len;
	while (p < end) {
		if (*p == '|') {
			p++;
			continue;
		}
		uint32_t n;
		memcpy(&n, p + 1, 4);
		if (*p == 'D') {
			uint32_t ip;
			uint16_t port;
			memcpy(&ip, p + 5, 4);
			memcpy(&port, p + 9, 2);
			int k = port == 9 ? 2 : ip == IP_B ? 1 : 0;
			assert_true(nx_client_read(&g->c[k], p + 11, n - 6, gmsgs, 512) >= 0);
		}
		p += 5 + n;
	}
}

static void add_step(struct gen *g, const struct step *s)
{
	assert_true(nsteps < NSTEPS);
	steps[nsteps] = *s;
	off0[nsteps] = g->r->len;
	exec_step(g->r, &steps[nsteps], 0);
	deliver(g, off0[nsteps]);
	nsteps++;
	off0[nsteps] = g->r->len;
}

static void send(struct gen *g, int k, const void *buf, size_t len)
{
	struct step s = { .kind = ST_RX, .from = g->addr[k], .now = g->now, .len = (uint16_t)len };
	assert_true(len <= NX_NXP_DGRAM_MAX);
	memcpy(s.data, buf, len);
	memcpy(g->last[k], buf, len);
	g->last_len[k] = (uint16_t)len;
	add_step(g, &s);
}

static void gen_login(struct gen *g, int k)
{
	uint8_t buf[512];
	size_t n = nx_client_negotiate(&g->c[k], buf, sizeof(buf), g->now + 1);
	send(g, k, buf, n);
	n = nx_client_establish(&g->c[k], buf, sizeof(buf), g->now + 2, 1000);
	send(g, k, buf, n);
}

static nx_inst_t pick_inst(void)
{
	return rnd(3) ? INST : INST2;
}

static void gen_orders(struct gen *g, int k, int keep)
{
	uint8_t buf[NX_NXP_DGRAM_MAX];
	struct nx_nxp_writer w;
	nx_client_begin(&g->c[k], &w, buf, sizeof(buf));
	unsigned n = 1 + (unsigned)rnd(3);
	for (unsigned i = 0; i < n; i++) {
		nx_inst_t inst = pick_inst();
		struct nx_nxp_new_order o = {
			.cl_ord_id = ++g->next_cl[k], .account = g->c[k].acct, .instrument = inst,
			.side = (uint8_t)(rnd(2) ? NX_SIDE_BUY : NX_SIDE_SELL),
			.ord_type = NX_ORD_LIMIT, .time_in_force = NX_TIF_GTC,
		};
		if (inst == INST) {
			o.price = 990 + (int64_t)rnd(21);
			o.qty = 1 + (int64_t)rnd(6);
		} else {
			o.price = 475 + 5 * (int64_t)rnd(11);
			o.qty = 2 * (1 + (int64_t)rnd(4));
		}
		switch (rnd(20)) {
		case 0:
			o.time_in_force = NX_TIF_IOC;
			break;
		case 1:
			o.ord_type = NX_ORD_MARKET;
			o.price = 0;
			o.time_in_force = NX_TIF_IOC;
			break;
		case 2:
			o.price += 1000; /* outside the band: a risk or book reject */
			break;
		case 3:
			o.instrument = 77; /* unknown */
			break;
		case 4:
			o.display_qty = 1;
			o.qty = 6;
			break;
		default:
			break;
		}
		assert_true(nx_client_new_order(&g->c[k], &w, &o) > 0);
	}
	if (keep)
		send(g, k, buf, w.len);
	/* else: consumed numbers never sent, a gap the next datagram reveals */
}

static void gen_cancel(struct gen *g, int k)
{
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&g->c[k], &w, buf, sizeof(buf));
	struct nx_nxp_cancel_order x = { .cl_ord_id = ++g->next_cl[k],
					 .orig_cl_ord_id = 1 + rnd(g->next_cl[k]),
					 .account = g->c[k].acct };
	assert_true(nx_client_cancel(&g->c[k], &w, &x) > 0);
	send(g, k, buf, w.len);
}

static void gen_replace(struct gen *g, int k)
{
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&g->c[k], &w, buf, sizeof(buf));
	struct nx_nxp_cancel_replace x = { .cl_ord_id = ++g->next_cl[k],
					   .orig_cl_ord_id = 1 + rnd(g->next_cl[k]),
					   .price = 985 + (int64_t)rnd(31),
					   .qty = 1 + (int64_t)rnd(8), .account = g->c[k].acct };
	assert_true(nx_client_replace(&g->c[k], &w, &x) > 0);
	send(g, k, buf, w.len);
}

static void gen_mass(struct gen *g, int k)
{
	uint8_t buf[512];
	struct nx_nxp_writer w;
	nx_client_begin(&g->c[k], &w, buf, sizeof(buf));
	struct nx_nxp_mass_cancel x = { .cl_ord_id = ++g->next_cl[k], .account = g->c[k].acct,
					.instrument = rnd(2) ? 0 : pick_inst(),
					.side = (uint8_t)rnd(3) };
	assert_true(nx_client_mass_cancel(&g->c[k], &w, &x) > 0);
	send(g, k, buf, w.len);
}

static void gen_admin(struct gen *g)
{
	struct step s = { .kind = ST_ADMIN, .now = g->now };
	switch (rnd(4)) {
	case 0:
		s.adm = (struct nx_admin){ .op = NX_ADMIN_REF_PX, .id = INST,
					   .value = 995 + (int64_t)rnd(11) };
		break;
	case 1:
		s.adm = (struct nx_admin){ .op = NX_ADMIN_STATUS, .id = INST2,
					   .status = (uint8_t)(rnd(2) ? NX_STATUS_HALTED : NX_STATUS_OPEN),
					   .cancel_resting = (uint8_t)rnd(2) };
		break;
	case 2:
		s.adm = (struct nx_admin){ .op = NX_ADMIN_KILL, .scope = NX_KILL_ACCOUNT, .id = B,
					   .on = (uint8_t)rnd(2) };
		break;
	default:
		s.adm = (struct nx_admin){ .op = NX_ADMIN_STATUS, .id = INST2, .status = NX_STATUS_OPEN };
		break;
	}
	add_step(g, &s);
}

static void make_stream(void)
{
	struct gen *g = calloc(1, sizeof(*g));
	assert_non_null(g);
	steps = calloc(NSTEPS, sizeof(*steps));
	off0 = calloc(NSTEPS + 1, sizeof(*off0));
	assert_non_null(steps);
	assert_non_null(off0);
	nsteps = 0;
	rng_state = 0x9e3779b97f4a7c15ull;
	g->r = run_new(&base_caps);
	g->now = 1000 * MS;
	g->addr[0] = (struct nx_addr){ .ip = IP_A, .port = 5000 };
	g->addr[1] = (struct nx_addr){ .ip = IP_B, .port = 6000 };
	g->addr[2] = (struct nx_addr){ .ip = IP_A, .port = 9 };
	nx_client_init(&g->c[0], 101, A, key_a);
	nx_client_init(&g->c[1], 202, B, key_b);
	nx_client_init(&g->c[2], 909, ADM, key_adm);
	for (int k = 0; k < 3; k++)
		gen_login(g, k);
	while (nsteps < NSTEPS - 16) {
		g->now += 20000 + rnd(300000);
		int k = (int)rnd(2);
		unsigned r = (unsigned)rnd(100);
		uint8_t buf[NX_NXP_DGRAM_MAX];
		if (!g->b_session && nsteps >= NSTEPS / 2) { /* B ends its session; a new one */
			send(g, 1, buf, nx_client_terminate(&g->c[1], buf, sizeof(buf), 0));
			g->now += 5 * MS;
			nx_client_init(&g->c[1], 202 + ++g->b_session, B, key_b);
			gen_login(g, 1);
		} else if (r < 44) {
			gen_orders(g, k, 1);
		} else if (r < 58) {
			gen_cancel(g, k);
		} else if (r < 70) {
			gen_replace(g, k);
		} else if (r < 72) {
			gen_mass(g, k);
		} else if (r < 80) {
			struct step s = { .kind = ST_POLL, .now = g->now };
			add_step(g, &s);
		} else if (r < 82) {
			gen_admin(g);
		} else if (r < 85) {
			if (g->last_len[k])
				send(g, k, g->last[k], g->last_len[k]); /* a duplicate */
		} else if (r < 87) {
			uint64_t top = g->c[k].expect_seq;
			uint64_t from = top > 30 ? top - rnd(30) : 1;
			send(g, k, buf,
			     nx_client_retransmit_request(&g->c[k], buf, sizeof(buf), g->now, from,
							  1 + (uint32_t)rnd(20)));
		} else if (r < 89) {
			send(g, k, buf, nx_client_heartbeat(&g->c[k], buf, sizeof(buf)));
		} else if (r < 90) {
			gen_orders(g, k, 0); /* a gap */
		} else if (r < 92) {
			struct nx_nxp_writer w;
			nx_client_begin(&g->c[2], &w, buf, sizeof(buf));
			struct nx_nxp_instrument_definition_request q = { .req_id = nsteps,
									  .instrument = rnd(2) ? 0 : INST2 };
			assert_true(nx_client_instrument_request(&g->c[2], &w, &q) > 0);
			send(g, 2, buf, w.len);
		} else if (r < 94) {
			/* malformed: a valid datagram cut short, or random bytes */
			size_t n = g->last_len[k];
			if (n > 8 && rnd(2)) {
				memcpy(buf, g->last[k], n);
				n = 1 + rnd(n - 1);
			} else {
				n = 1 + rnd(64);
				for (size_t i = 0; i < n; i++)
					buf[i] = (uint8_t)rnd(256);
			}
			struct step s = { .kind = ST_RX, .from = g->addr[k], .now = g->now,
					  .len = (uint16_t)n };
			memcpy(s.data, buf, n);
			add_step(g, &s);
		} else {
			gen_orders(g, k, 1);
		}
	}
	/* The stream must mean something: trades, rejects, reports both ways. */
	const struct nx_engine_stats *st = nx_engine_stats(g->r->e);
	assert_true(st->fills > 200);
	assert_true(st->orders > 1000);
	assert_true(st->retransmitted > 0);
	assert_true(st->drop_duplicate > 0);
	assert_true(st->drop_malformed > 0);
	print_message("stream: %u inputs, %" PRIu64 " orders, %" PRIu64 " fills, %" PRIu64
		      " retransmitted, %" PRIu64 " duplicates, %" PRIu64 " malformed, %" PRIu64
		      " spills, %" PRIu64 " not applied, %" PRIu64 " throttled\n",
		      nsteps, st->orders, st->fills, st->retransmitted, st->drop_duplicate,
		      st->drop_malformed, st->out_spills, st->not_applied, st->throttled);
	assert_true(st->out_spills > 0);
	assert_true(st->throttled > 0);
	assert_true(st->not_applied > 0);
	run_free(g->r);
	free(g);
}

static uint8_t *ref_log; /* the reference run's log */
static size_t ref_len;

static int engine_setup(void **state)
{
	(void)state;
	make_stream();
	/* Replay the recorded stream on a fresh engine: the reference log. */
	struct run *r = run_new(&base_caps);
	for (unsigned i = 0; i < nsteps; i++) {
		exec_step(r, &steps[i], 0);
		if (r->len != off0[i + 1])
			fail_msg("replay of the stream differs from its making at step %u", i);
	}
	ref_log = malloc(r->len);
	assert_non_null(ref_log);
	memcpy(ref_log, r->log, r->len);
	ref_len = r->len;
	run_free(r);
	return 0;
}

static int engine_teardown(void **state)
{
	(void)state;
	free(ref_log);
	free(steps);
	free(off0);
	return 0;
}

/* The first step at which run r's output differs from the reference. */
static void same_as_ref(const struct run *r, unsigned i, const char *what)
{
	size_t a = off0[i], n = off0[i + 1] - off0[i];
	if (r->len != off0[i + 1] || memcmp(r->log + a, ref_log + a, n))
		fail_msg("%s: output of input %u (kind %u) differs from the engine alone", what, i,
			 steps[i].kind);
}

static void test_two_engines_interleaved(void **state)
{
	(void)state;
	struct run *r1 = run_new(&base_caps), *r2 = run_new(&base_caps);
	for (unsigned i = 0; i < nsteps; i++) {
		exec_step(r1, &steps[i], 0);
		same_as_ref(r1, i, "engine 1 of 2");
		exec_step(r2, &steps[i], 0);
		same_as_ref(r2, i, "engine 2 of 2");
	}
	assert_int_equal(r1->len, ref_len);
	assert_memory_equal(r1->log, r2->log, r1->len);
	run_free(r1);
	run_free(r2);
}

/* Two engines in one process, one leading and the other catching up in
 * blocks of 7 inputs: still identical. */
static void test_two_engines_staggered(void **state)
{
	(void)state;
	struct run *r1 = run_new(&base_caps), *r2 = run_new(&base_caps);
	unsigned j = 0;
	for (unsigned i = 0; i < nsteps; i++) {
		exec_step(r1, &steps[i], 0);
		same_as_ref(r1, i, "leading engine");
		if (i % 7 == 6)
			for (; j <= i; j++) {
				exec_step(r2, &steps[j], 0);
				same_as_ref(r2, j, "lagging engine");
			}
	}
	for (; j < nsteps; j++) {
		exec_step(r2, &steps[j], 0);
		same_as_ref(r2, j, "lagging engine");
	}
	run_free(r1);
	run_free(r2);
}

static void test_engine_capacities_unreached(void **state)
{
	(void)state;
	static const struct caps variants[] = {
		{ 4096, 4096, 8, 0 },     /* max_orders */
		{ 1024, 16384, 8, 0 },    /* ladder_ticks */
		{ 1024, 4096, 32, 0 },    /* max_sessions */
		{ 65536, 65536, 64, 0 },  /* all of them */
	};
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct run *r = run_new(&variants[v]);
		char what[64];
		snprintf(what, sizeof(what), "capacity variant %zu", v);
		for (unsigned i = 0; i < nsteps; i++) {
			exec_step(r, &steps[i], 0);
			same_as_ref(r, i, what);
		}
		run_free(r);
	}
}

/* Prefetch hints only read (nx/engine.h): on or off, the same bytes. */
static void test_engine_prefetch_same_bytes(void **state)
{
	(void)state;
	static const struct caps k = { 1024, 4096, 8, 1 };
	struct run *r = run_new(&k);
	for (unsigned i = 0; i < nsteps; i++) {
		exec_step(r, &steps[i], 1);
		same_as_ref(r, i, "prefetching engine");
	}
	run_free(r);
}

/* ===================================================================================
 * ITCH books and reference prices
 * =================================================================================== */

#define SNIPPET "../shared/data/12302019_SNIPPET.NASDAQ_ITCH50"
#define SNIPPET_ALT "/work/shared/data/12302019_SNIPPET.NASDAQ_ITCH50"
#define NLOC 64

static uint8_t snip[64 * 1024];
static size_t snip_len;

static int load_snippet(void)
{
	FILE *f = fopen(SNIPPET, "rb");
	if (!f)
		f = fopen(SNIPPET_ALT, "rb");
	if (!f)
		return 0;
	snip_len = fread(snip, 1, sizeof(snip), f);
	fclose(f);
	return snip_len == 35570;
}

static struct nx_mdbook *mdbook(uint32_t locates, uint32_t orders, uint32_t levels)
{
	struct nx_mdbook_config bc = { .max_locates = locates, .max_orders = orders,
				       .max_levels = levels };
	struct nx_mdbook *b = nx_mdbook_create(&bc);
	assert_non_null(b);
	return b;
}

/* Every answer two books give, compared: stats, and per locate < nloc the
 * stock, BBO and whole depth of both sides. */
static void books_equal(const struct nx_mdbook *x, const struct nx_mdbook *y, uint32_t nloc,
			size_t at)
{
	const struct nx_mdbook_stats *sx = nx_mdbook_stats(x), *sy = nx_mdbook_stats(y);
	if (memcmp(sx, sy, offsetof(struct nx_mdbook_stats, last_event) + 1))
		fail_msg("stats differ after message %zu", at);
	static struct nx_mdbook_level lx[4096], ly[4096];
	for (uint32_t loc = 0; loc < nloc; loc++) {
		struct nx_mdbook_stock_info ix, iy;
		nx_mdbook_stock(x, (uint16_t)loc, &ix);
		nx_mdbook_stock(y, (uint16_t)loc, &iy);
		if (memcmp(&ix, &iy, sizeof(ix)))
			fail_msg("stock %u differs after message %zu", loc, at);
		if (!ix.orders)
			continue;
		for (unsigned side = 0; side < 2; side++) {
			uint32_t nx = nx_mdbook_depth(x, (uint16_t)loc, side, lx, 4096);
			uint32_t ny = nx_mdbook_depth(y, (uint16_t)loc, side, ly, 4096);
			if (nx != ny || memcmp(lx, ly, nx * sizeof(lx[0])))
				fail_msg("locate %u side %u depth differs after message %zu", loc, side, at);
		}
	}
}

/* A seeded ITCH stream over NLOC locates: A, F (naming), E, C (printable or
 * not, 0 shares sometimes), X, D, U, P, Q, R, H, S, orphans, duplicates,
 * bad sides, out-of-range locates and undecodable messages. */
static size_t itch_stream(struct msg *out, size_t cap)
{
	static const char *syms[8] = { "AAPL", "MSFT", "QQQ", "HDS", "VICI", "PSQ", "XOP", "IWM" };
	uint64_t refs[512];
	size_t nref = 0, n = 0;
	uint64_t next_ref = 1;
	rng_state = 0x243f6a8885a308d3ull;
	while (n < cap) {
		uint16_t loc = (uint16_t)(1 + rnd(NLOC - 1));
		uint32_t px = (uint32_t)(1000000 + 100 * rnd(200));
		uint64_t pick = nref ? refs[rnd(nref)] : 77;
		switch (rnd(20)) {
		case 0: case 1: case 2: case 3: case 4: case 5: {
			uint64_t ref = rnd(50) ? next_ref++ : pick; /* duplicate sometimes */
			char side = rnd(40) ? (rnd(2) ? 'B' : 'S') : 'Z';
			out[n++] = (rnd(4) ? mA : mF)(loc, ref, side, (uint32_t)(1 + rnd(500)),
						      syms[loc % 8], px);
			if (nref < 512)
				refs[nref++] = ref;
			else
				refs[rnd(512)] = ref;
			break;
		}
		case 6: case 7:
			out[n++] = mE(pick, (uint32_t)rnd(300));
			break;
		case 8:
			out[n++] = mC(loc, pick, (uint32_t)rnd(300), rnd(2) ? 'Y' : 'N', px);
			break;
		case 9: case 10:
			out[n++] = mX(pick, (uint32_t)rnd(300));
			break;
		case 11: case 12:
			out[n++] = mD(pick);
			break;
		case 13: case 14:
			out[n++] = mU(pick, rnd(30) ? next_ref++ : pick, (uint32_t)rnd(400),
				      rnd(3) ? px : px + 100);
			if (nref < 512)
				refs[nref++] = next_ref - 1;
			break;
		case 15: { /* P: hidden trade */
			struct msg m = itch_hdr('P', rnd(30) ? loc : 60000);
			itch_put(&m, next_ref++, 8);
			itch_put(&m, 'B', 1);
			itch_put(&m, rnd(5) ? 1 + rnd(100) : 0, 4);
			itch_put_sym(&m, syms[loc % 8]);
			itch_put(&m, px, 4);
			itch_put(&m, rnd(1000000), 8);
			out[n++] = m;
			break;
		}
		case 16: { /* Q: cross */
			struct msg m = itch_hdr('Q', loc);
			itch_put(&m, rnd(3) ? 1 + rnd(10000) : 0, 8);
			itch_put_sym(&m, syms[loc % 8]);
			itch_put(&m, px, 4);
			itch_put(&m, rnd(1000000), 8);
			itch_put(&m, 'O', 1);
			out[n++] = m;
			break;
		}
		case 17: { /* R: directory, sometimes renaming */
			struct msg m = itch_hdr('R', loc);
			itch_put_sym(&m, syms[rnd(8)]);
			itch_put(&m, 'Q', 1);
			itch_put(&m, 'N', 1);
			itch_put(&m, 100, 4);
			itch_put(&m, 'N', 1);
			itch_put(&m, 'C', 1);
			itch_put(&m, 'Z', 2);
			itch_put(&m, 'P', 1);
			itch_put(&m, 'N', 1);
			itch_put(&m, 'N', 1);
			itch_put(&m, '1', 1);
			itch_put(&m, 'N', 1);
			itch_put(&m, 0, 4);
			itch_put(&m, 'N', 1);
			out[n++] = m;
			break;
		}
		case 18: { /* H */
			struct msg m = itch_hdr('H', loc);
			itch_put_sym(&m, syms[loc % 8]);
			itch_put(&m, rnd(2) ? 'T' : 'H', 1);
			itch_put(&m, ' ', 1);
			itch_put(&m, 0, 4);
			out[n++] = m;
			break;
		}
		default: { /* undecodable: a known type of the wrong length, or an unknown type */
			struct msg m = mD(pick);
			if (rnd(2))
				m.n--;
			else
				m.b[0] = '!';
			out[n++] = m;
			break;
		}
		}
	}
	return n;
}

/* mdref sink: the prices emitted, as a log. */
struct px_log {
	unsigned n;
	struct {
		uint64_t at;
		nx_inst_t inst;
		nx_px_t px;
	} e[8192];
	uint64_t at;
};

static int px_emit(void *ctx, nx_inst_t inst, nx_px_t px)
{
	struct px_log *l = ctx;
	assert_true(l->n < 8192);
	l->e[l->n].at = l->at;
	l->e[l->n].inst = inst;
	l->e[l->n++].px = px;
	return 0;
}

static struct nx_venue_config *md_venue(const char *const *sym, const uint8_t *src, unsigned n,
					int64_t mul, int64_t div, nx_px_t tick, uint32_t interval_us)
{
	static struct nx_instrument ins[16];
	static struct nx_venue_config c;
	memset(&c, 0, sizeof(c));
	memset(ins, 0, sizeof(ins));
	assert_true(n <= 16);
	for (unsigned i = 0; i < n; i++) {
		ins[i].id = 1 + i;
		ins[i].tick = tick;
		c.md.itch.map[i] = (struct nx_md_map){ .source = src[i], .inst = 1 + i,
						       .px_mul = mul, .px_div = div };
		snprintf(c.md.itch.map[i].symbol, sizeof(c.md.itch.map[i].symbol), "%s", sym[i]);
	}
	c.instruments = ins;
	c.ninstruments = n;
	c.md.itch.nmap = n;
	c.md.itch.ref_interval_us = interval_us;
	return &c;
}

static void test_two_mdbooks_interleaved(void **state)
{
	(void)state;
	enum { N = 30000 };
	struct msg *m = calloc(N, sizeof(*m));
	assert_non_null(m);
	size_t n = itch_stream(m, N);
	struct nx_mdbook *x = mdbook(NLOC, 16384, 16384), *y = mdbook(NLOC, 16384, 16384);
	/* capacities the stream does not reach: more orders and levels (the
	 * locates stay: the stream names one beyond them on purpose) */
	struct nx_mdbook *z = mdbook(NLOC, 1u << 18, 1u << 18);
	static const char *const sym[8] = { "AAPL", "MSFT", "QQQ", "HDS", "VICI", "PSQ", "XOP", "IWM" };
	static const uint8_t src[8] = { NX_MD_REF_MID, NX_MD_REF_LAST, NX_MD_REF_MID, NX_MD_REF_LAST,
					NX_MD_REF_MID, NX_MD_REF_LAST, NX_MD_REF_MID, NX_MD_REF_LAST };
	struct nx_mdref rx, ry, rz;
	assert_int_equal(nx_mdref_init(&rx, md_venue(sym, src, 8, 1, 100, 5, 0)), 0);
	ry = rx;
	rz = rx;
	struct px_log *lx = calloc(1, sizeof(*lx)), *ly = calloc(1, sizeof(*ly)),
		      *lz = calloc(1, sizeof(*lz));
	assert_non_null(lx);
	assert_non_null(ly);
	assert_non_null(lz);
	count_install();
	g_alloc.allocs = g_alloc.frees = 0;
	for (size_t i = 0; i < n; i++) {
		count_window(1);
		int tx = nx_mdbook_apply(x, m[i].b, m[i].n);
		int ty = nx_mdbook_apply(y, m[i].b, m[i].n);
		int tz = nx_mdbook_apply(z, m[i].b, m[i].n);
		assert_int_equal(tx, ty);
		assert_int_equal(tx, tz);
		lx->at = ly->at = lz->at = i;
		nx_mdref_resolve(&rx, x);
		nx_mdref_resolve(&ry, y);
		nx_mdref_resolve(&rz, z);
		nx_mdref_update(&rx, x, i * 1000, px_emit, lx);
		nx_mdref_update(&ry, y, i * 1000, px_emit, ly);
		nx_mdref_update(&rz, z, i * 1000, px_emit, lz);
		count_window(0);
		if (i % 97 == 0 || i + 1 == n) {
			books_equal(x, y, NLOC, i);
			books_equal(x, z, NLOC, i);
		}
	}
	/* Books and reference prices allocated nothing (nx/mdbook.h, nx/mdref.h). */
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	/* The stream reached no capacity of the small books, and exercised things. */
	const struct nx_mdbook_stats *st = nx_mdbook_stats(x);
	assert_int_equal(st->anomalies[NX_MDBOOK_ORDER_CAPACITY], 0);
	assert_int_equal(st->anomalies[NX_MDBOOK_LEVEL_CAPACITY], 0);
	assert_true(st->anomalies[NX_MDBOOK_DUP_REF] > 0);
	assert_true(st->anomalies[NX_MDBOOK_DECODE_ERROR] > 0);
	assert_true(st->live_orders > 50);
	assert_true(lx->n > 100);
	assert_int_equal(lx->n, ly->n);
	assert_int_equal(lx->n, lz->n);
	assert_memory_equal(lx->e, ly->e, lx->n * sizeof(lx->e[0]));
	assert_memory_equal(lx->e, lz->e, lx->n * sizeof(lx->e[0]));
	nx_mdbook_destroy(x);
	nx_mdbook_destroy(y);
	nx_mdbook_destroy(z);
	free(lx);
	free(ly);
	free(lz);
	free(m);
}

/* The same bytes as BinaryFILE blocks through nx_mdbook_apply_blocks, in one
 * call and in random slices, give the message-by-message book. */
static void test_mdbook_blocks_same_as_messages(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct msg *m = calloc(N, sizeof(*m));
	uint8_t *file = malloc((size_t)N * 66);
	assert_non_null(m);
	assert_non_null(file);
	size_t n = itch_stream(m, N), flen = 0;
	for (size_t i = 0; i < n; i++) {
		file[flen++] = (uint8_t)(m[i].n >> 8);
		file[flen++] = (uint8_t)m[i].n;
		memcpy(file + flen, m[i].b, m[i].n);
		flen += m[i].n;
	}
	struct nx_mdbook *x = mdbook(NLOC, 16384, 16384), *y = mdbook(NLOC, 16384, 16384),
			 *z = mdbook(NLOC, 16384, 16384);
	for (size_t i = 0; i < n; i++)
		nx_mdbook_apply(x, m[i].b, m[i].n);
	size_t used;
	assert_int_equal(nx_mdbook_apply_blocks(y, file, flen, SIZE_MAX, &used), n);
	assert_int_equal(used, flen);
	size_t at = 0, done = 0;
	rng_state = 7;
	while (at < flen) {
		size_t want = 1 + rnd(40);
		done += (size_t)nx_mdbook_apply_blocks(z, file + at, flen - at, want, &used);
		assert_true(used > 0);
		at += used;
	}
	assert_int_equal(done, n);
	books_equal(x, y, NLOC, n);
	books_equal(x, z, NLOC, n);
	nx_mdbook_destroy(x);
	nx_mdbook_destroy(y);
	nx_mdbook_destroy(z);
	free(file);
	free(m);
}

/* --- mdref on the real snippet, against an independent walk ------------------------ */

struct oracle_ord {
	uint64_t ref;
	uint16_t loc;
	char side;
	uint32_t shares, px;
	int live;
};

static struct oracle_ord oo[4096];
static unsigned noo;
static char osym[65536][9];
static uint32_t olast[65536];

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static struct oracle_ord *ofind(uint64_t ref)
{
	for (unsigned i = 0; i < noo; i++)
		if (oo[i].live && oo[i].ref == ref)
			return &oo[i];
	return NULL;
}

/* Apply one ITCH message to the oracle: live orders in a flat array,
 * symbols from the first add or R, last trade from E, C printable, P, Q of
 * more than 0 shares (docs/market-data.md, "The book builder"). */
static void oracle_apply(const uint8_t *m, size_t len)
{
	uint16_t loc = (uint16_t)(m[1] << 8 | m[2]);
	struct oracle_ord *o;
	switch (m[0]) {
	case 'A':
	case 'F':
		assert_true(noo < 4096);
		oo[noo] = (struct oracle_ord){ be64(m + 11), loc, (char)m[19], be32(m + 20),
					       be32(m + 32), 1 };
		noo++;
		if (!osym[loc][0]) {
			memcpy(osym[loc], m + 24, 8);
			for (int i = 7; i >= 0 && osym[loc][i] == ' '; i--)
				osym[loc][i] = 0;
		}
		break;
	case 'E':
	case 'C':
	case 'X':
		if (!(o = ofind(be64(m + 11))))
			break;
		{
			uint32_t sh = be32(m + 19);
			if (m[0] == 'E' && sh)
				olast[o->loc] = o->px;
			if (m[0] == 'C' && sh && m[31] == 'Y')
				olast[o->loc] = be32(m + 32);
			if (sh >= o->shares)
				o->live = 0;
			else
				o->shares -= sh;
		}
		break;
	case 'D':
		if ((o = ofind(be64(m + 11))))
			o->live = 0;
		break;
	case 'U':
		if ((o = ofind(be64(m + 11)))) {
			o->live = 0;
			assert_true(noo < 4096);
			oo[noo] = (struct oracle_ord){ be64(m + 19), o->loc, o->side, be32(m + 27),
						       be32(m + 31), be32(m + 27) != 0 };
			noo++;
		}
		break;
	case 'P':
		if (be32(m + 20))
			olast[loc] = be32(m + 32);
		break;
	case 'Q':
		if (be64(m + 11))
			olast[loc] = be32(m + 27);
		break;
	default:
		break;
	}
	(void)len;
}

/* Mid in Price(4) x 2 (bid + ask), 0 unless both sides and bid < ask. */
static uint64_t oracle_mid2(uint16_t loc)
{
	uint32_t bid = 0, ask = UINT32_MAX;
	for (unsigned i = 0; i < noo; i++) {
		if (!oo[i].live || oo[i].loc != loc)
			continue;
		if (oo[i].side == 'B' && oo[i].px > bid)
			bid = oo[i].px;
		if (oo[i].side == 'S' && oo[i].px < ask)
			ask = oo[i].px;
	}
	if (!bid || ask == UINT32_MAX || bid >= ask)
		return 0;
	return (uint64_t)bid + ask;
}

/* Price(4) num/den -> venue units: x mul / div to the nearest tick, half up. */
static int64_t oracle_convert(uint64_t num, uint64_t den, int64_t mul, int64_t div, int64_t tick)
{
	/* exact in 128 bits: round(num * mul / (den * div * tick)) * tick */
	unsigned __int128 v = (unsigned __int128)num * (uint64_t)mul;
	unsigned __int128 d = (unsigned __int128)den * (uint64_t)div * (uint64_t)tick;
	unsigned __int128 q = v / d, r = v % d;
	if (2 * r >= d)
		q++;
	return (int64_t)q * tick;
}

static void test_mdref_snippet_matches_docs(void **state)
{
	(void)state;
	if (!load_snippet()) {
		print_message("skipped: snippet not found\n");
		skip();
	}
	/* Every stock named in the snippet that trades or has a two-sided book:
	 * HDS (a cross of 6,185 shares at 40.43 one message before its first
	 * add names it), ROKU and TTWO (hidden trades before they are named),
	 * SCWX (a cross), PSQ and VICI (crosses of 0 shares: no print), QQQ,
	 * HDS again by mid. */
	static const char *const sym[] = { "HDS", "ROKU", "TTWO", "SCWX", "PSQ", "VICI", "AKTS",
					   "QQQ", "HDS", "VICI", "PSQ", "XOP", "SCWX", "ZIV" };
	static const uint8_t src[] = { NX_MD_REF_LAST, NX_MD_REF_LAST, NX_MD_REF_LAST, NX_MD_REF_LAST,
				       NX_MD_REF_LAST, NX_MD_REF_LAST, NX_MD_REF_LAST, NX_MD_REF_MID,
				       NX_MD_REF_MID, NX_MD_REF_MID, NX_MD_REF_MID, NX_MD_REF_MID,
				       NX_MD_REF_MID, NX_MD_REF_MID };
	const unsigned nm = sizeof(src);
	count_install();
	/* Venue prices in cents with a tick of 1 cent, then of 5 cents. */
	static const int64_t ticks[2] = { 1, 5 };
	for (int t = 0; t < 2; t++) {
		struct nx_venue_config *c = md_venue(sym, src, nm, 1, 100, ticks[t], 0);
		struct nx_mdref r;
		assert_int_equal(nx_mdref_init(&r, c), 0);
		struct nx_mdbook *b = mdbook(65536, 4096, 4096);
		struct px_log *lg = calloc(1, sizeof(*lg));
		assert_non_null(lg);
		memset(osym, 0, sizeof(osym));
		memset(olast, 0, sizeof(olast));
		noo = 0;
		int64_t want_last[16] = { 0 };
		unsigned want_n = 0, k = 0;
		struct nx_mold_blocks bf;
		const uint8_t *msgp;
		size_t mlen;
		nx_binfile_init(&bf, snip, snip_len);
		while (nx_binfile_next(&bf, &msgp, &mlen) > 0) {
			g_alloc.allocs = g_alloc.frees = 0;
			count_window(1);
			nx_mdbook_apply(b, msgp, mlen);
			nx_mdref_resolve(&r, b);
			lg->at = k;
			unsigned before = lg->n;
			nx_mdref_update(&r, b, (uint64_t)k * 1000, px_emit, lg);
			count_window(0);
			assert_int_equal(g_alloc.allocs, 0);
			assert_int_equal(g_alloc.frees, 0);
			oracle_apply(msgp, mlen);
			/* What the docs say each mapping's price is now; what changed
			 * must have been emitted, in mapping order, and nothing else. */
			unsigned got = before;
			for (unsigned i = 0; i < nm; i++) {
				int loc = -1;
				for (int l = 0; l < 65536; l++)
					if (osym[l][0] && !strcmp(osym[l], sym[i])) {
						loc = l;
						break;
					}
				int64_t px = 0;
				if (loc >= 0) {
					if (src[i] == NX_MD_REF_LAST) {
						if (olast[loc])
							px = oracle_convert(olast[loc], 1, 1, 100,
									    ticks[t]);
					} else {
						uint64_t m2 = oracle_mid2((uint16_t)loc);
						if (m2)
							px = oracle_convert(m2, 2, 1, 100, ticks[t]);
					}
				}
				if (px && px != want_last[i]) {
					want_last[i] = px;
					want_n++;
					if (got >= lg->n || lg->e[got].inst != 1 + i || lg->e[got].px != px)
						fail_msg("tick %" PRId64 ", message %u: mapping %u (%s %s) "
							 "should emit %" PRId64 ", emitted %s%" PRId64,
							 ticks[t], k, i, sym[i],
							 src[i] == NX_MD_REF_MID ? "mid" : "last", px,
							 got < lg->n ? "" : "nothing ",
							 got < lg->n ? lg->e[got].px : 0);
					got++;
				}
			}
			if (got != lg->n)
				fail_msg("message %u: %u prices emitted, %u expected", k, lg->n - before,
					 got - before);
			k++;
		}
		assert_int_equal(k, 1000);
		/* Known answers, from the file: HDS last = the 6,185-share cross at
		 * 40.43; ROKU's hidden trade at 137.70, TTWO's at 124.47; PSQ and
		 * VICI crossed 0 shares: no last price. */
		assert_int_equal(nx_mdref_price(&r.e[0], b), ticks[t] == 1 ? 4043 : 4045);
		assert_int_equal(nx_mdref_price(&r.e[1], b), 13770);
		assert_int_equal(nx_mdref_price(&r.e[2], b), ticks[t] == 1 ? 12447 : 12445);
		assert_int_equal(nx_mdref_price(&r.e[4], b), 0);
		assert_int_equal(nx_mdref_price(&r.e[5], b), 0);
		/* HDS mid at the end: (40.07 + 40.60) / 2 = 40.335 -> 4034 (half up), 4035 */
		assert_int_equal(nx_mdref_price(&r.e[8], b), ticks[t] == 1 ? 4034 : 4035);
		assert_true(want_n >= 8);
		assert_int_equal(lg->n, want_n);
		free(lg);
		nx_mdbook_destroy(b);
	}
}

/* Two mdref instances over two books, fed the snippet interleaved and paced
 * (interval 50 us of a 1 us clock): the same prices at the same times, and
 * a mapping paced out is emitted once its interval ends, not lost. */
static void test_mdref_snippet_two_instances_paced(void **state)
{
	(void)state;
	if (!load_snippet()) {
		print_message("skipped: snippet not found\n");
		skip();
	}
	static const char *const sym[] = { "HDS", "QQQ", "VICI", "PSQ", "HDS" };
	static const uint8_t src[] = { NX_MD_REF_MID, NX_MD_REF_MID, NX_MD_REF_MID, NX_MD_REF_MID,
				       NX_MD_REF_LAST };
	struct nx_mdref r1, r2;
	assert_int_equal(nx_mdref_init(&r1, md_venue(sym, src, 5, 1, 1, 1, 50)), 0);
	r2 = r1;
	struct nx_mdbook *b1 = mdbook(65536, 4096, 4096), *b2 = mdbook(65536, 1u << 20, 1u << 20);
	struct px_log *l1 = calloc(1, sizeof(*l1)), *l2 = calloc(1, sizeof(*l2));
	assert_non_null(l1);
	assert_non_null(l2);
	struct nx_mold_blocks f1, f2;
	const uint8_t *m;
	size_t n;
	nx_binfile_init(&f1, snip, snip_len);
	nx_binfile_init(&f2, snip, snip_len);
	uint64_t now = 0;
	while (nx_binfile_next(&f1, &m, &n) > 0) {
		now += 1000;
		nx_mdbook_apply(b1, m, n);
		assert_int_equal(nx_binfile_next(&f2, &m, &n), 1);
		nx_mdbook_apply(b2, m, n);
		l1->at = l2->at = now;
		nx_mdref_resolve(&r1, b1);
		nx_mdref_resolve(&r2, b2);
		nx_mdref_update(&r1, b1, now, px_emit, l1);
		nx_mdref_update(&r2, b2, now, px_emit, l2);
	}
	/* After the last message, time passes: every pending change goes out. */
	for (int i = 0; i < 3; i++) {
		now += 100000;
		l1->at = l2->at = now;
		nx_mdref_update(&r1, b1, now, px_emit, l1);
		nx_mdref_update(&r2, b2, now, px_emit, l2);
	}
	assert_true(l1->n > 5);
	assert_int_equal(l1->n, l2->n);
	assert_memory_equal(l1->e, l2->e, l1->n * sizeof(l1->e[0]));
	for (unsigned i = 0; i < 5; i++) {
		nx_px_t px = nx_mdref_price(&r1.e[i], b1);
		if (px)
			assert_int_equal(r1.e[i].last_px, px); /* nothing left pending */
	}
	/* Pacing: two prices of one instrument at least 50 us apart. */
	for (unsigned i = 0; i < l1->n; i++)
		for (unsigned j = i + 1; j < l1->n; j++)
			if (l1->e[j].inst == l1->e[i].inst) {
				assert_true(l1->e[j].at - l1->e[i].at >= 50);
				break;
			}
	nx_mdbook_destroy(b1);
	nx_mdbook_destroy(b2);
	free(l1);
	free(l2);
}

int main(void)
{
	const struct CMUnitTest engine_tests[] = {
		cmocka_unit_test(test_two_engines_interleaved),
		cmocka_unit_test(test_two_engines_staggered),
		cmocka_unit_test(test_engine_capacities_unreached),
		cmocka_unit_test(test_engine_prefetch_same_bytes),
	};
	const struct CMUnitTest md_tests[] = {
		cmocka_unit_test(test_two_mdbooks_interleaved),
		cmocka_unit_test(test_mdbook_blocks_same_as_messages),
		cmocka_unit_test(test_mdref_snippet_matches_docs),
		cmocka_unit_test(test_mdref_snippet_two_instances_paced),
	};
	int fails = cmocka_run_group_tests_name("determinism: engines", engine_tests, engine_setup,
						engine_teardown);
	fails += cmocka_run_group_tests_name("determinism: market data", md_tests, NULL, NULL);
	return fails;
}
