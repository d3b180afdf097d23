/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Proof that the book allocates nothing after init (include/nx/book.h:
 * "After init no call allocates").
 *
 * This binary counts every call into the allocator while a window is open.
 * In a plain or UBSan build it interposes malloc, calloc, realloc, free,
 * aligned_alloc, posix_memalign and memalign (libnx.a is linked statically,
 * so the book's own calls resolve here too) and forwards them to glibc's
 * __libc_* entry points. Under AddressSanitizer, whose runtime owns those
 * symbols, it counts through the sanitizer's malloc/free hooks instead.
 *
 * One test shows the counter works (deliberate allocations inside the
 * window, including nx_book_create's), so the main test cannot pass by
 * counting nothing. The main test opens the window after init and the
 * account/instrument set-up, runs a long seeded random workload of every
 * command kind through nx_book_*, with a sink that only updates fixed
 * arrays, and asserts zero allocations and frees. It also asserts the
 * workload reached every event kind and cancel reason, so it is known to
 * exercise the paths it claims to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "nx/book.h"
#include "nx/cc.h"

/* --- the counter itself ---------------------------------------------------- */

static void null_sink(void *ctx, const struct nx_event *ev)
{
	(void)ctx;
	(void)ev;
}

/* Each call must move its counter (by one when interposed; under ASan a
 * realloc shows as an allocation and a free, hence "moves"). */
#define MOVES(counter, call)                                                   \
	do {                                                                   \
		unsigned long before_ = g_alloc.counter;                       \
		call;                                                          \
		assert_true(g_alloc.counter > before_);                        \
	} while (0)

static void test_counter_counts(void **state)
{
	/* Called through volatile pointers so the compiler cannot elide them. */
	void *(*volatile m)(size_t) = malloc;
	void *(*volatile c)(size_t, size_t) = calloc;
	void *(*volatile r)(void *, size_t) = realloc;
	void *(*volatile al)(size_t, size_t) = aligned_alloc;
	int (*volatile pm)(void **, size_t, size_t) = posix_memalign;
	void (*volatile fr)(void *) = free;
	const struct nx_book_config cfg = { .max_instruments = 1, .max_accounts = 1,
					    .max_orders = 16, .ladder_ticks = 64 };
	void *p = NULL, *q = NULL;
	struct nx_book *b = NULL;
	unsigned long a0, f0;
	int rc = -1;

	(void)state;
	count_window(1);
	MOVES(allocs, p = m(16));
	MOVES(allocs, p = r(p, 4096));
	MOVES(allocs, q = c(4, 8));
	MOVES(frees, fr(q));
	MOVES(allocs, q = al(64, 128));
	MOVES(frees, fr(q));
	MOVES(allocs, rc = pm(&q, 64, 256));
	assert_int_equal(rc, 0);
	MOVES(frees, fr(q));
	MOVES(frees, fr(p));
	/* the library's own allocations are seen too */
	MOVES(allocs, b = nx_book_create(&cfg, null_sink, NULL));
	assert_non_null(b);
	MOVES(frees, nx_book_destroy(b));
	count_window(0);
	a0 = g_alloc.allocs;
	f0 = g_alloc.frees;
	fr(m(1)); /* window closed: not counted */
	assert_int_equal(g_alloc.allocs, a0);
	assert_int_equal(g_alloc.frees, f0);
}

/* --- the workload ---------------------------------------------------------- */

#define N_CMDS     500000u /* commands in the measured window */
#define N_INST     3u
#define N_ACCT     8u
#define MAX_ORDERS 2048u   /* small enough that ORDER_CAPACITY is reached */
#define LADDER     1024u
#define CHECK_EVERY 50000u /* nx_book_check, outside the window */

struct live_order {
	nx_oid_t oid;
	nx_clid_t cl;
	nx_px_t px;
	nx_qty_t leaves;
	nx_acct_t acct;
	nx_inst_t inst;
	uint8_t side;
};

struct inst_def {
	nx_inst_t id;
	nx_px_t tick;
	nx_qty_t lot;
	int64_t band;
	nx_px_t mid;         /* in price units; wanders */
	uint32_t halted_until;
};

struct wl {
	void *mem;           /* the book's memory */
	struct nx_book *b;
	/* live orders, learned from events; fixed arrays sized before the window */
	struct live_order *live;
	uint32_t nlive;
	uint32_t *pos;       /* oid -> index + 1 in live, 0 when not live */
	size_t pos_cap;
	uint32_t max_live;
	int overflow;        /* the sink saw something it could not track */
	uint64_t ev[NX_EV_LEVEL + 1];
	uint64_t cxl[NX_CXL_HALT + 1];
	uint64_t rej[32];
	uint64_t rng;
	nx_clid_t next_cl;
	struct inst_def inst[N_INST];
};

static uint64_t rnd(struct wl *w)
{
	/* xorshift64*: deterministic, no libc state */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return w->rng * 0x2545F4914F6CDD1Dull;
}

static unsigned pick(struct wl *w, unsigned n)
{
	return (unsigned)(rnd(w) % n);
}

static void live_remove(struct wl *w, nx_oid_t oid)
{
	uint32_t i;

	if (oid >= w->pos_cap || w->pos[oid] == 0) {
		w->overflow = 1;
		return;
	}
	i = w->pos[oid] - 1;
	w->pos[oid] = 0;
	if (i != --w->nlive) {
		w->live[i] = w->live[w->nlive];
		w->pos[w->live[i].oid] = i + 1;
	}
}

static struct live_order *live_find(struct wl *w, nx_oid_t oid)
{
	if (oid >= w->pos_cap || w->pos[oid] == 0) {
		w->overflow = 1;
		return NULL;
	}
	return &w->live[w->pos[oid] - 1];
}

/* The sink: bookkeeping in fixed arrays only. */
static void wl_sink(void *ctx, const struct nx_event *ev)
{
	struct wl *w = ctx;
	struct live_order *lo;

	if (ev->type <= NX_EV_LEVEL)
		w->ev[ev->type]++;
	switch (ev->type) {
	case NX_EV_ACCEPTED:
		if (ev->u.order.oid >= w->pos_cap || w->nlive >= MAX_ORDERS) {
			w->overflow = 1;
			return;
		}
		w->live[w->nlive] = (struct live_order){
			.oid = ev->u.order.oid, .cl = ev->u.order.cl, .px = ev->u.order.px,
			.leaves = ev->u.order.qty, .acct = ev->u.order.acct,
			.inst = ev->u.order.inst, .side = ev->u.order.side,
		};
		w->pos[ev->u.order.oid] = ++w->nlive;
		if (w->nlive > w->max_live)
			w->max_live = w->nlive;
		break;
	case NX_EV_REJECTED:
		w->rej[ev->u.reject.reason & 31]++;
		break;
	case NX_EV_TRADE:
		for (int k = 0; k < 2; k++) {
			const struct nx_ev_fill *f = k ? &ev->u.trade.taker : &ev->u.trade.maker;
			if (f->leaves == 0)
				live_remove(w, f->oid);
			else if ((lo = live_find(w, f->oid)))
				lo->leaves = f->leaves;
		}
		break;
	case NX_EV_CANCELED:
		if (ev->u.cancel.reason <= NX_CXL_HALT)
			w->cxl[ev->u.cancel.reason]++;
		live_remove(w, ev->u.cancel.oid);
		break;
	case NX_EV_REDUCED:
		if ((lo = live_find(w, ev->u.cancel.oid)))
			lo->leaves = ev->u.cancel.leaves;
		break;
	case NX_EV_REPLACED:
		if ((lo = live_find(w, ev->u.replace.oid))) {
			lo->cl = ev->u.replace.cl;
			lo->px = ev->u.replace.px;
			lo->leaves = ev->u.replace.qty;
		}
		break;
	default:
		break;
	}
}

static uint8_t rnd_stp(struct wl *w)
{
	unsigned r = pick(w, 10);

	return (uint8_t)(r < 5 ? NX_STP_DEFAULT : r - 4); /* half DEFAULT, rest 1..5 */
}

static void cmd_new(struct wl *w, struct nx_book *b, int market)
{
	struct inst_def *in = &w->inst[pick(w, 10) < 6 ? 0 : pick(w, 10) < 8 ? 1 : 2];
	unsigned side = 1 + pick(w, 2);
	int64_t off = (int64_t)pick(w, 40) - 3; /* ticks away from mid, some crossing */
	struct nx_new_order o = {
		.acct = 1 + pick(w, N_ACCT), .inst = in->id, .cl = w->next_cl++,
		.px = in->mid + (side == NX_SIDE_BUY ? -off : off) * in->tick,
		.qty = in->lot * (nx_qty_t)(1 + pick(w, 20)), .side = (uint8_t)side,
		.type = market ? NX_ORD_MARKET : NX_ORD_LIMIT, .stp = rnd_stp(w),
	};
	unsigned t = pick(w, 100);

	o.tif = t < 75 ? NX_TIF_GTC : t < 88 ? NX_TIF_IOC : NX_TIF_FOK;
	if (!market && o.tif == NX_TIF_GTC) {
		if (pick(w, 10) == 0)
			o.display = in->lot * (nx_qty_t)(1 + pick(w, 3));
		else if (pick(w, 14) == 0)
			o.post_only = 1;
	}
	switch (pick(w, 200)) { /* the odd malformed request */
	case 0: o.qty = 0; break;
	case 1: o.side = 7; break;
	case 2: o.px = in->mid + 1 + (in->tick > 1); o.type = NX_ORD_LIMIT; break;
	case 3: o.acct = 99; break;
	case 4: o.cl = w->live[0].cl; o.acct = w->live[0].acct; break; /* often a duplicate */
	case 5: o.px = in->mid + (nx_px_t)(2 * LADDER) * in->tick; o.type = NX_ORD_LIMIT;
		o.tif = NX_TIF_GTC; break;
	default: break;
	}
	nx_book_new_order(b, &o);
}

static void cmd_cancel(struct wl *w, struct nx_book *b)
{
	struct nx_cancel c = { .acct = 1 + pick(w, N_ACCT), .cl = w->next_cl++,
			       .oid = 1 + rnd(w) % w->next_cl };

	if (w->nlive && pick(w, 20) != 0) {
		const struct live_order *lo = &w->live[pick(w, w->nlive)];

		c.acct = pick(w, 30) ? lo->acct : 1 + pick(w, N_ACCT);
		if (pick(w, 3)) {
			c.oid = lo->oid;
		} else {
			c.oid = 0;
			c.orig_cl = lo->cl;
		}
	}
	nx_book_cancel(b, &c);
}

static void cmd_replace(struct wl *w, struct nx_book *b)
{
	struct nx_replace r = { .acct = 1 + pick(w, N_ACCT), .cl = w->next_cl++,
				.oid = 1 + rnd(w) % w->next_cl, .px = 100, .qty = 1 };

	if (w->nlive && pick(w, 20) != 0) {
		const struct live_order *lo = &w->live[pick(w, w->nlive)];
		const struct inst_def *in = &w->inst[lo->inst - 1];
		unsigned k = pick(w, 4);

		r.acct = pick(w, 30) ? lo->acct : 1 + pick(w, N_ACCT);
		if (pick(w, 3)) {
			r.oid = lo->oid;
			r.cl = pick(w, 2) ? lo->cl : r.cl;
		} else {
			r.oid = 0;
			r.orig_cl = lo->cl;
		}
		r.px = lo->px > 0 ? lo->px : in->mid;
		r.qty = lo->leaves > in->lot ? lo->leaves - in->lot : lo->leaves;
		if (k == 1)      /* more: loses priority */
			r.qty = lo->leaves + in->lot * (nx_qty_t)(1 + pick(w, 5));
		else if (k >= 2) /* new price, crossing now and then */
			r.px += ((int64_t)pick(w, 9) - 4) * in->tick;
	}
	nx_book_replace(b, &r);
}

static void cmd_mass(struct wl *w, struct nx_book *b)
{
	const struct nx_mass_cancel m = {
		.acct = 1 + pick(w, N_ACCT), .cl = w->next_cl++,
		.inst = pick(w, 2) ? 0 : 1 + pick(w, N_INST), .side = (uint8_t)pick(w, 3),
	};

	nx_book_mass_cancel(b, &m);
}

/* Per mille of each command kind; the workload alternates between a phase
 * that builds the books up (to the order capacity) and one that drains them. */
struct mix {
	unsigned limit, market, cancel, replace, mass, status; /* the rest: limit */
};
static const struct mix mix_build = { 560, 30, 90, 200, 1, 1 };
static const struct mix mix_drain = { 380, 50, 280, 200, 3, 1 };
#define PHASE_LEN 20000u

static void wl_step(struct wl *w, struct nx_book *b, uint32_t i)
{
	const struct mix *m = (i / PHASE_LEN) % 2 ? &mix_drain : &mix_build;
	unsigned r = pick(w, 1000);

	for (unsigned k = 0; k < N_INST; k++) {
		struct inst_def *in = &w->inst[k];

		if (in->halted_until && i >= in->halted_until) {
			nx_book_set_status(b, in->id, NX_STATUS_OPEN, 0);
			in->halted_until = 0;
		}
	}
	if (i % 1000 == 0) { /* the price wanders, within bounds */
		for (unsigned k = 0; k < N_INST; k++) {
			struct inst_def *in = &w->inst[k];
			nx_px_t step = ((nx_px_t)pick(w, 3) - 1) * in->tick;

			if (in->mid + step > 900 * in->tick && in->mid + step < 1100 * in->tick)
				in->mid += step;
		}
	}
	if (r < m->limit) {
		cmd_new(w, b, 0);
	} else if ((r -= m->limit) < m->market) {
		cmd_new(w, b, 1);
	} else if ((r -= m->market) < m->cancel) {
		cmd_cancel(w, b);
	} else if ((r -= m->cancel) < m->replace) {
		cmd_replace(w, b);
	} else if ((r -= m->replace) < m->mass) {
		cmd_mass(w, b);
	} else if ((r -= m->mass) < m->status) {
		struct inst_def *in = &w->inst[pick(w, N_INST)];

		if (!in->halted_until) {
			nx_book_set_status(b, in->id,
					   pick(w, 4) ? NX_STATUS_HALTED : NX_STATUS_CLOSED,
					   (int)pick(w, 2));
			in->halted_until = i + 50 + pick(w, 200);
		}
	} else {
		cmd_new(w, b, 0);
	}
}

static const struct nx_book_config wl_cfg = { .max_instruments = N_INST + 1,
					      .max_accounts = N_ACCT + 1,
					      .max_orders = MAX_ORDERS, .ladder_ticks = LADDER };

/* Everything the workload needs, allocated before the window opens. */
static int wl_setup(void **state)
{
	struct wl *w = calloc(1, sizeof(*w));
	size_t sz = nx_book_memsize(&wl_cfg);

	if (!w || !sz)
		return -1;
	*state = w;
	w->mem = aligned_alloc(NX_CACHE_LINE, (sz + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1));
	w->live = calloc(MAX_ORDERS + 1, sizeof(*w->live));
	w->pos_cap = N_CMDS + 2;
	w->pos = calloc(w->pos_cap, sizeof(*w->pos));
	if (!w->mem || !w->live || !w->pos)
		return -1;
	w->b = nx_book_init(w->mem, sz, &wl_cfg, wl_sink, w);
	return w->b ? 0 : -1;
}

static int wl_teardown(void **state)
{
	struct wl *w = *state;

	if (w) {
		free(w->mem);
		free(w->live);
		free(w->pos);
		free(w);
	}
	return 0;
}

static void test_workload_allocates_nothing(void **state)
{
	static const struct nx_account accts[N_ACCT] = {
		{ .id = 1 }, { .id = 2 }, { .id = 3, .stp_group = 50 },
		{ .id = 4, .stp_group = 50, .stp = NX_STP_CO }, { .id = 5, .stp = NX_STP_CN },
		{ .id = 6, .stp = NX_STP_CB }, { .id = 7, .stp_group = 60, .stp = NX_STP_DC },
		{ .id = 8, .stp_group = 60, .stp = NX_STP_CN },
	};
	struct wl *w = *state;
	struct nx_book *b = w->b;
	const char *why = NULL;
	uint32_t bad_check = 0;

	w->rng = 0x9E3779B97F4A7C15ull;
	w->next_cl = 1;
	w->inst[0] = (struct inst_def){ .id = 1, .tick = 1, .lot = 1, .band = 20, .mid = 1000 };
	w->inst[1] = (struct inst_def){ .id = 2, .tick = 5, .lot = 10, .band = 10, .mid = 5000 };
	w->inst[2] = (struct inst_def){ .id = 3, .tick = 1, .lot = 1, .band = 0, .mid = 1000 };

	for (unsigned k = 0; k < N_INST; k++) {
		struct nx_instrument in = { .id = w->inst[k].id, .tick = w->inst[k].tick,
					    .lot = w->inst[k].lot, .band_ticks = w->inst[k].band };

		snprintf(in.symbol, sizeof(in.symbol), "SYM%u", k + 1);
		nx_instrument_defaults(&in);
		assert_int_equal(nx_book_add_instrument(b, &in), 0);
	}
	for (unsigned k = 0; k < N_ACCT; k++)
		assert_int_equal(nx_book_add_account(b, &accts[k]), 0);

	g_alloc.allocs = g_alloc.frees = 0;
	for (uint32_t i = 0; i < N_CMDS; i++) {
		count_window(1);
		wl_step(w, b, i);
		count_window(0);
		/* Invariants and the live-order tracking, checked outside the
		 * window; judged after the allocation counts so that they do not
		 * hide the verdict this test is for. */
		if ((i + 1) % CHECK_EVERY == 0) {
			if (!bad_check && nx_book_check(b, &why) != 0) {
				print_error("nx_book_check after %u commands: %s\n", i + 1, why);
				bad_check = i + 1;
			}
			if (nx_book_order_count(b) != w->nlive)
				w->overflow = 1;
		}
	}
	print_message("noalloc: %u commands, up to %u live; events: accepted %llu "
		      "rejected %llu trade %llu canceled %llu reduced %llu replaced %llu "
		      "mass %llu level %llu\n", N_CMDS, w->max_live,
		      (unsigned long long)w->ev[NX_EV_ACCEPTED],
		      (unsigned long long)w->ev[NX_EV_REJECTED],
		      (unsigned long long)w->ev[NX_EV_TRADE],
		      (unsigned long long)w->ev[NX_EV_CANCELED],
		      (unsigned long long)w->ev[NX_EV_REDUCED],
		      (unsigned long long)w->ev[NX_EV_REPLACED],
		      (unsigned long long)w->ev[NX_EV_MASS_CANCELED],
		      (unsigned long long)w->ev[NX_EV_LEVEL]);

	/* the point of the test */
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);

	/* the book stayed sound, and the workload was what it claims to be */
	assert_int_equal(bad_check, 0);
	assert_false(w->overflow);
	for (unsigned t = NX_EV_ACCEPTED; t <= NX_EV_LEVEL; t++) {
		if (t == 4) /* was NX_EV_FILL: fills travel inside NX_EV_TRADE */
			continue;
		if (w->ev[t] == 0)
			print_error("event type %u never seen\n", t);
		assert_true(w->ev[t] > 0);
	}
	for (unsigned c = NX_CXL_USER; c <= NX_CXL_HALT; c++) {
		if (w->cxl[c] == 0)
			print_error("cancel reason %s never seen\n", nx_cancel_name(c));
		assert_true(w->cxl[c] > 0);
	}
	static const unsigned want_rej[] = {
		NX_REJ_INSTRUMENT_HALTED, NX_REJ_UNKNOWN_ACCOUNT, NX_REJ_BAD_SIDE, NX_REJ_BAD_QTY,
		NX_REJ_POST_ONLY_WOULD_TAKE, NX_REJ_UNKNOWN_ORDER, NX_REJ_ORDER_CAPACITY,
		NX_REJ_PRICE_OUT_OF_RANGE, NX_REJ_DUPLICATE_CLID,
	};
	for (size_t k = 0; k < NX_ARRAY_SIZE(want_rej); k++) {
		if (w->rej[want_rej[k]] == 0)
			print_error("reject %s never seen\n", nx_reject_name(want_rej[k]));
		assert_true(w->rej[want_rej[k]] > 0);
	}
	assert_true(w->ev[NX_EV_TRADE] > N_CMDS / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_counts),
		cmocka_unit_test_setup_teardown(test_workload_allocates_nothing, wl_setup,
						wl_teardown),
	};

	count_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
