/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Differential test of the NXM market data feed: the real book (nx_book)
 * drives the publisher through nx_feed_rec_of; packets cross a seeded lossy
 * network (drops, duplicates, reordering, link outages, lost requests and
 * answers) to a subscriber from the start and a late joiner; after a clean
 * snapshot cycle every book equals nx_book_depth level by level, and its
 * trading status the book's (halts, closes and reopens are in the flow),
 * and a lossless run compares after every step. Also: no allocation after
 * init over a long lossy run.
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
#include "nx/book.h"
#include "nx/feed.h"
#include "feed_helpers.h"


/* --- Differential: the real book, a lossy network, two subscribers ----------- */

#define W_SUBS        2
#define W_QMAX        1024
#define W_LIVE        4096
#define W_MAX_LEVELS  64 /* pub_cfg()'s: the shards re-image to the publisher's depth */
#define W_STEP_NS     1000u   /* one command per simulated microsecond */
#define W_SNAPSHOT_NS 300000u /* a snapshot cycle: 300 steps */
#define W_GIVE_UP     40      /* steps a gap may stay open before the timer gives up */
#define W_PORT        5000
#define W_SNAP_DELAY  32      /* snapshot packets in flight per subscriber */

struct wpkt {
	unsigned ch;
	struct nx_addr to;
	size_t len;
	uint8_t b[PKT_MAX];
};

/* Per mille: each packet for each subscriber; outage: each step, for each
 * subscriber, the start of a link outage of 20 .. 419 steps (nothing in or
 * out). Snapshot packets also take 0 .. 2 steps longer than incrementals
 * (another multicast group), so images arrive behind or ahead of them. */
struct loss {
	unsigned drop, dup, reorder, answer_drop, request_drop, outage;
};

struct wsnap {
	uint64_t due;               /* step it arrives */
	struct wpkt p;
};

struct world {
	struct nx_book *book;
	struct nx_feed_pub *pub;
	struct nx_feed_sub *sub[W_SUBS];
	uint8_t joined[W_SUBS];
	unsigned gap_steps[W_SUBS];
	struct wpkt delayed[W_SUBS];
	uint8_t has_delayed[W_SUBS];
	unsigned outage[W_SUBS];    /* steps left */
	struct wsnap snapq[W_SUBS][W_SNAP_DELAY];
	unsigned snap_head[W_SUBS], snap_n[W_SUBS];
	struct loss loss;
	uint64_t step, now, rng;
	nx_clid_t next_cl;
	uint64_t too_old;           /* requests refused as too old: gave up at once */
	uint64_t checks;            /* caught-up comparisons made */
	size_t nq;
	struct wpkt q[W_QMAX];
	size_t nlive;
	nx_oid_t live[W_LIVE];
	nx_acct_t live_acct[W_LIVE];
};

static uint64_t rnd(struct world *w)
{
	uint64_t z = (w->rng += 0x9E3779B97F4A7C15ull); /* splitmix64 */

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned pick(struct world *w, unsigned n)
{
	return (unsigned)(rnd(w) % n);
}

static void w_send(void *ctx, unsigned ch, const uint8_t *pkt, size_t len, struct nx_addr to)
{
	struct world *w = ctx;
	struct wpkt *p = &w->q[w->nq++];

	assert_true(w->nq <= W_QMAX && len <= PKT_MAX);
	p->ch = ch;
	p->to = to;
	p->len = len;
	memcpy(p->b, pkt, len);
}

static void live_del(struct world *w, nx_oid_t oid)
{
	for (size_t i = 0; i < w->nlive; i++) {
		if (w->live[i] == oid) {
			w->nlive--;
			w->live[i] = w->live[w->nlive];
			w->live_acct[i] = w->live_acct[w->nlive];
			return;
		}
	}
}

/* The shard's tap: what the appliance puts in the ring, the publisher takes. */
static void w_tap(void *ctx, const struct nx_event *ev)
{
	struct world *w = ctx;
	struct nx_feed_rec r;

	if (nx_feed_rec_of(ev, &r))
		nx_feed_pub_rec(w->pub, &r, w->now);
	if (ev->type == NX_EV_ACCEPTED && w->nlive < W_LIVE) {
		w->live[w->nlive] = ev->u.order.oid;
		w->live_acct[w->nlive++] = ev->u.order.acct;
	} else if (ev->type == NX_EV_CANCELED) {
		live_del(w, ev->u.cancel.oid);
	} else if (ev->type == NX_EV_TRADE) {
		if (ev->u.trade.maker.leaves == 0)
			live_del(w, ev->u.trade.maker.oid);
		if (ev->u.trade.taker.leaves == 0)
			live_del(w, ev->u.trade.taker.oid);
	}
}

static void reimage(struct world *w, nx_inst_t inst);

static struct world *world_open(uint64_t seed, uint32_t history, uint32_t hold0)
{
	const struct nx_book_config bc = { .max_instruments = 4, .max_accounts = 8,
					   .max_orders = W_LIVE, .ladder_ticks = 1024 };
	struct nx_feed_pub_config pc = pub_cfg();
	struct nx_feed_sub_config sc = sub_cfg();
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->rng = seed;
	w->now = 1000000;
	assert_int_equal(pc.max_levels, W_MAX_LEVELS);
	pc.history = history;
	pc.retrans_max = 64;
	pc.max_payload = 400; /* 16 levels a snapshot packet: images come in chunks */
	pc.heartbeat_ns = 50 * W_STEP_NS;
	pc.snapshot_ns = W_SNAPSHOT_NS;
	w->pub = nx_feed_pub_create(&pc, w_send, w);
	w->book = nx_book_create(&bc, w_tap, w);
	sc.hold_pkts = hold0;
	w->sub[0] = nx_feed_sub_create(&sc);
	sc.from_start = 0;
	sc.hold_pkts = 64;
	w->sub[1] = nx_feed_sub_create(&sc);
	assert_true(w->pub && w->book && w->sub[0] && w->sub[1]);
	for (unsigned i = 0; i < 3; i++) {
		struct nx_instrument in = { .id = FH_INSTS[i], .band_ticks = 50 };

		snprintf(in.symbol, sizeof(in.symbol), "FEED%u", i);
		nx_instrument_defaults(&in);
		assert_int_equal(nx_book_add_instrument(w->book, &in), 0);
	}
	for (nx_acct_t a = 1; a <= 4; a++)
		assert_int_equal(nx_book_add_account(w->book, &(struct nx_account){ .id = a }), 0);
	w->joined[0] = 1;
	for (unsigned i = 0; i < 3; i++) /* as the appliance starts: each one stale */
		reimage(w, FH_INSTS[i]);
	return w;
}

static void world_close(struct world *w)
{
	nx_book_destroy(w->book);
	nx_feed_pub_destroy(w->pub);
	for (unsigned k = 0; k < W_SUBS; k++)
		nx_feed_sub_destroy(w->sub[k]);
	free(w);
}

/* Prices: bids rest in [980, 1002], asks in [998, 1020], so some cross. */
static void cmd_new(struct world *w)
{
	unsigned side = pick(w, 2) ? BUY : SELL, kind = pick(w, 100);
	struct nx_new_order o = {
		.acct = 1 + pick(w, 4), .inst = FH_INSTS[pick(w, 3)], .cl = ++w->next_cl,
		.qty = 1 + pick(w, 20), .side = (uint8_t)side, .type = NX_ORD_LIMIT,
		.tif = NX_TIF_GTC,
	};

	o.px = side == BUY ? 980 + pick(w, 23) : 998 + pick(w, 23);
	if (kind < 10) {
		o.type = NX_ORD_MARKET;
		o.tif = NX_TIF_IOC;
	} else if (kind < 18) {
		o.tif = pick(w, 2) ? NX_TIF_IOC : NX_TIF_FOK;
	} else if (kind < 26) {
		o.qty = 20 + pick(w, 40);
		o.display = 5;
	}
	nx_book_new_order(w->book, &o);
}

static void cmd_cancel(struct world *w)
{
	size_t i = pick(w, (unsigned)w->nlive);
	struct nx_cancel c = { .acct = w->live_acct[i], .cl = ++w->next_cl, .oid = w->live[i] };

	nx_book_cancel(w->book, &c);
}

static void cmd_replace(struct world *w)
{
	size_t i = pick(w, (unsigned)w->nlive);
	struct nx_order_info oi;
	struct nx_replace r = { .acct = w->live_acct[i], .cl = ++w->next_cl, .oid = w->live[i] };

	if (nx_book_order(w->book, w->live[i], &oi))
		return;
	r.px = oi.px + (nx_px_t)pick(w, 5) - 2;
	r.qty = pick(w, 3) ? oi.leaves : 1 + pick(w, 30);
	nx_book_replace(w->book, &r);
}

/* Reopen an instrument that is halted or closed (now and then sending its
 * status again instead), or, when all are open, halt or close one, now and
 * then with its orders canceled: short halts, as an operator or a
 * volatility interruption makes. */
static void cmd_status(struct world *w)
{
	struct nx_instrument in;
	unsigned to;

	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(nx_book_instrument(w->book, FH_INSTS[i], &in), 0);
		if (in.status != NX_STATUS_OPEN) {
			to = pick(w, 10) ? NX_STATUS_OPEN : in.status; /* a repeat is sent again */
			assert_int_equal(nx_book_set_status(w->book, in.id, to, 0), 0);
			return;
		}
	}
	to = pick(w, 10) < 7 ? NX_STATUS_HALTED : NX_STATUS_CLOSED;
	assert_int_equal(nx_book_set_status(w->book, FH_INSTS[pick(w, 3)], to, pick(w, 4) == 0), 0);
}

static void cmd(struct world *w)
{
	unsigned r = pick(w, 1000);

	if (r < 600 || w->nlive == 0)
		cmd_new(w);
	else if (r < 770)
		cmd_cancel(w);
	else if (r < 993)
		cmd_replace(w);
	else if (r < 995)
		cmd_status(w);
	else
		nx_book_mass_cancel(w->book, &(struct nx_mass_cancel){ .acct = 1 + pick(w, 4),
								 .cl = ++w->next_cl });
}

/* A shard's ring overflowed (or it starts): the image dpdk_apps/nanoex/shard.c
 * sends, from the book. */
static void reimage(struct world *w, nx_inst_t inst)
{
	struct nx_level_info lv[NX_FEED_IMAGE_SCRATCH(W_MAX_LEVELS)];
	struct nx_feed_rec r[NX_FEED_IMAGE_RECS(W_MAX_LEVELS)];
	uint32_t n = nx_feed_image(w->book, inst, W_MAX_LEVELS, lv, r);

	assert_int_equal(r[1].type, NX_FEED_REC_STATUS);
	for (uint32_t i = 0; i < n; i++)
		nx_feed_pub_rec(w->pub, &r[i], w->now);
}

static void w_deliver(struct world *w, unsigned k, const struct wpkt *p)
{
	int rc = p->ch == NX_FEED_SNAPSHOT ? nx_feed_sub_snapshot(w->sub[k], p->b, p->len)
					   : nx_feed_sub_incremental(w->sub[k], p->b, p->len);

	assert_true(rc > 0); /* nothing the publisher sends is malformed */
}

/* A multicast packet's fate for one subscriber: lost, delayed behind the
 * next one, duplicated or delivered. */
static void snap_push(struct world *w, unsigned k, const struct wpkt *p)
{
	struct wsnap *e;

	if (w->snap_n[k] == W_SNAP_DELAY) { /* full: the oldest lands now */
		w_deliver(w, k, &w->snapq[k][w->snap_head[k]].p);
		w->snap_head[k] = (w->snap_head[k] + 1) % W_SNAP_DELAY;
		w->snap_n[k]--;
	}
	e = &w->snapq[k][(w->snap_head[k] + w->snap_n[k]++) % W_SNAP_DELAY];
	e->due = w->step + pick(w, 3);
	e->p = *p;
}

/* Snapshot packets that have arrived, in their order (all of them: flush). */
static void snap_release(struct world *w, int flush)
{
	for (unsigned k = 0; k < W_SUBS; k++) {
		while (w->snap_n[k] && (flush || w->snapq[k][w->snap_head[k]].due <= w->step)) {
			w_deliver(w, k, &w->snapq[k][w->snap_head[k]].p);
			w->snap_head[k] = (w->snap_head[k] + 1) % W_SNAP_DELAY;
			w->snap_n[k]--;
		}
	}
}

static void w_fate(struct world *w, unsigned k, const struct wpkt *p)
{
	unsigned r = pick(w, 1000);

	if (w->outage[k] || r < w->loss.drop)
		return;
	if (p->ch == NX_FEED_SNAPSHOT) {
		snap_push(w, k, p);
		if (r >= 1000 - w->loss.dup)
			snap_push(w, k, p);
		return;
	}
	if (r < w->loss.drop + w->loss.reorder && !w->has_delayed[k]) {
		w->delayed[k] = *p;
		w->has_delayed[k] = 1;
		return;
	}
	w_deliver(w, k, p);
	if (r >= 1000 - w->loss.dup)
		w_deliver(w, k, p);
	if (w->has_delayed[k]) {
		w->has_delayed[k] = 0;
		w_deliver(w, k, &w->delayed[k]);
	}
}

static void net_run(struct world *w)
{
	for (size_t i = 0; i < w->nq; i++) {
		const struct wpkt *p = &w->q[i];

		if (p->ch == NX_FEED_RETRANSMIT) {
			unsigned k = p->to.port - W_PORT;

			if (!w->outage[k] && pick(w, 1000) >= w->loss.answer_drop)
				w_deliver(w, k, p);
			continue;
		}
		for (unsigned k = 0; k < W_SUBS; k++)
			if (w->joined[k])
				w_fate(w, k, p);
	}
	w->nq = 0;
}

/* The subscribers' retransmission clients: ask, get the answer, ask again
 * (a few rounds a step); the give-up timer counts steps with a gap open. */
static void recover(struct world *w)
{
	uint8_t req[20];

	for (unsigned round = 0; round < 4; round++) {
		for (unsigned k = 0; k < W_SUBS; k++) {
			size_t len = w->joined[k] ? nx_feed_sub_request(w->sub[k], req, sizeof(req)) : 0;
			int rc;

			if (!len || w->outage[k] || pick(w, 1000) < w->loss.request_drop)
				continue;
			rc = nx_feed_pub_request(w->pub, req, len,
						 (struct nx_addr){ .ip = 0x0a000001, .port = (uint16_t)(W_PORT + k) },
						 w->now);
			if (rc == NX_FEED_PUB_REQ_TOO_OLD) {
				nx_feed_sub_give_up(w->sub[k]);
				w->too_old++;
			} else {
				assert_true(rc > 0);
			}
		}
		net_run(w);
	}
	for (unsigned k = 0; k < W_SUBS; k++) {
		if (!w->joined[k] || !nx_feed_sub_request(w->sub[k], req, sizeof(req))) {
			w->gap_steps[k] = 0;
		} else if (++w->gap_steps[k] > W_GIVE_UP) {
			nx_feed_sub_give_up(w->sub[k]);
			w->gap_steps[k] = 0;
		}
	}
}

/* Every instrument's book in subscriber k equals the engine's, level by
 * level, and so does its trading status; all must be synced, or (all = 0)
 * those that are not are skipped. */
static void w_compare(const struct world *w, unsigned k, int all)
{
	struct nx_level_info a[256], b[256];
	struct nx_feed_inst_info fi;
	struct nx_instrument in;
	unsigned step = (unsigned)w->step;

	for (unsigned i = 0; i < 3; i++) {
		if (!nx_feed_sub_synced(w->sub[k], FH_INSTS[i])) {
			if (!all)
				continue;
			fail_msg("step %u: subscriber %u: instrument %u not synced", step, k,
				 FH_INSTS[i]);
		}
		assert_int_equal(nx_book_instrument(w->book, FH_INSTS[i], &in), 0);
		if (nx_feed_sub_instrument(w->sub[k], FH_INSTS[i], &fi) || fi.status != in.status)
			fail_msg("step %u: sub %u inst %u: status %u, engine %u", step, k,
				 FH_INSTS[i], fi.status, in.status);
		for (unsigned side = BUY; side <= SELL; side++) {
			int na = nx_book_depth(w->book, FH_INSTS[i], side, a, 256);
			int nb = depth_or_empty(w->sub[k], FH_INSTS[i], side, b, 256);

			if (na != nb)
				fail_msg("step %u: sub %u inst %u side %u: %d levels, engine %d",
					 step, k, FH_INSTS[i], side, nb, na);
			for (int j = 0; j < na; j++)
				if (a[j].px != b[j].px || a[j].qty != b[j].qty ||
				    a[j].count != b[j].count)
					fail_msg("step %u: sub %u inst %u side %u level %d: "
						 "%lld/%lld/%u, engine %lld/%lld/%u",
						 step, k, FH_INSTS[i], side, j, (long long)b[j].px,
						 (long long)b[j].qty, b[j].count, (long long)a[j].px,
						 (long long)a[j].qty, a[j].count);
		}
	}
}

/* One step of the service core: drain (flush, not always: packets fill),
 * timers, the network, recovery. */
static void w_tick(struct world *w, int flush)
{
	if (flush)
		nx_feed_pub_flush(w->pub, w->now);
	nx_feed_pub_poll(w->pub, w->now);
	net_run(w);
	snap_release(w, 0);
	recover(w);
	for (unsigned k = 0; k < W_SUBS; k++) {
		/* Caught up: every synced book must be the engine's. */
		if (w->joined[k] &&
		    nx_feed_sub_last_seq(w->sub[k]) == nx_feed_pub_stats(w->pub)->msgs) {
			w_compare(w, k, 0);
			w->checks++;
		}
		if (w->outage[k])
			w->outage[k]--;
		else if (pick(w, 1000) < w->loss.outage)
			w->outage[k] = 20 + pick(w, 400);
	}
	w->now += W_STEP_NS;
	w->step++;
}

/* One command, now and then a re-image; flush always, or 70% of steps. */
static void w_step(struct world *w, int always_flush)
{
	cmd(w);
	if (w->step % 700 == 350)
		reimage(w, FH_INSTS[pick(w, 3)]);
	w_tick(w, always_flush || pick(w, 10) < 7);
}

/* No more commands and no loss: retransmissions close the gaps, snapshot
 * cycles resync what was given up. */
static void w_settle(struct world *w)
{
	w->loss = (struct loss){ 0 };
	memset(w->outage, 0, sizeof(w->outage));
	for (unsigned t = 0; t < 3 * W_SNAPSHOT_NS / W_STEP_NS; t++) {
		w_tick(w, 1);
		for (unsigned k = 0; k < W_SUBS; k++) {
			if (w->has_delayed[k]) {
				w->has_delayed[k] = 0;
				w_deliver(w, k, &w->delayed[k]);
			}
		}
	}
	snap_release(w, 1);
}

/* steps commands with loss, a late joiner from steps / 3, then settle. */
static void w_run_lossy(struct world *w, unsigned steps)
{
	const char *why;

	w->loss = (struct loss){ .drop = 30, .dup = 20, .reorder = 30, .answer_drop = 100,
				 .request_drop = 100, .outage = 2 };
	for (unsigned step = 0; step < steps; step++) {
		if (step == steps / 3)
			w->joined[1] = 1;
		w_step(w, 0);
	}
	w_settle(w);
	for (unsigned k = 0; k < W_SUBS; k++) {
		w_compare(w, k, 1);
		assert_int_equal(nx_feed_sub_check(w->sub[k], &why), 0);
	}
}

static void test_diff_lossless(void **state)
{
	struct world *w = world_open(1, 4096, 32);
	const struct nx_feed_sub_stats *st = nx_feed_sub_stats(w->sub[0]);

	(void)state;
	for (unsigned step = 0; step < 3000; step++) {
		if (step == 1000)
			w->joined[1] = 1;
		w_step(w, 1);
		w_compare(w, 0, 1);
	}
	w_settle(w);
	w_compare(w, 1, 1);
	assert_int_equal(st->give_ups + st->held + st->stale_ignored, 0);
	assert_true(st->applied > 3000);
	assert_true(st->trades > 300);
	assert_int_equal(nx_feed_sub_stats(w->sub[1])->snap_synced +
				 nx_feed_sub_stats(w->sub[1])->snap_pending, 3);
	world_close(w);
}

static void test_diff_lossy(void **state)
{
	const struct {
		uint64_t seed;
		uint32_t history, hold;
	} runs[] = { { 42, 4096, 8 }, { 7, 256, 4 }, { 2026, 1024, 64 } };
	uint64_t sum[10] = { 0 };

	(void)state;
	for (unsigned i = 0; i < NX_ARRAY_SIZE(runs); i++) {
		struct world *w = world_open(runs[i].seed, runs[i].history, runs[i].hold);

		w_run_lossy(w, 6000);
		for (unsigned k = 0; k < W_SUBS; k++) {
			const struct nx_feed_sub_stats *st = nx_feed_sub_stats(w->sub[k]);

			sum[0] += st->held;
			sum[1] += st->give_ups;
			sum[2] += st->hold_full;
			sum[3] += st->snap_synced;
			sum[4] += st->replayed;
			sum[5] += st->snap_pending;
			sum[6] += nx_feed_sub_mold_stats(w->sub[k], NX_FEED_INCREMENTAL)->dup_pkts;
		}
		sum[7] += nx_feed_pub_stats(w->pub)->answers;
		sum[8] += w->too_old;
		assert_true(w->checks > 4000); /* caught up most steps, compared then */
		/* images cut in chunks */
		sum[9] += nx_feed_pub_stats(w->pub)->pkts[NX_FEED_SNAPSHOT] -
			  nx_feed_pub_stats(w->pub)->snapshots;
		world_close(w);
	}
	if (getenv("NX_FEED_VERBOSE"))
		printf("held %llu give_ups %llu hold_full %llu snap_synced %llu replayed %llu "
		       "pending %llu dups %llu answers %llu too_old %llu extra chunks %llu\n",
		       (unsigned long long)sum[0], (unsigned long long)sum[1],
		       (unsigned long long)sum[2], (unsigned long long)sum[3],
		       (unsigned long long)sum[4], (unsigned long long)sum[5],
		       (unsigned long long)sum[6], (unsigned long long)sum[7],
		       (unsigned long long)sum[8], (unsigned long long)sum[9]);
	for (unsigned i = 0; i < NX_ARRAY_SIZE(sum); i++)
		assert_true(sum[i] > 0); /* every recovery path was taken */
}

/* --- No allocation after init ------------------------------------------------ */

static void test_no_alloc(void **state)
{
	struct world *w = world_open(99, 512, 8);

	(void)state;
	count_window(1);
	w_run_lossy(w, 20000);
	count_window(0);
	assert_int_equal(g_alloc.allocs, 0);
	assert_int_equal(g_alloc.frees, 0);
	world_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_lossless),
		cmocka_unit_test(test_diff_lossy),
		cmocka_unit_test(test_no_alloc),
	};

	count_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
