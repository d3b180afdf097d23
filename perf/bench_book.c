/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * bench_book: throughput and per-command latency of the order book
 * (nx_book_new_order / _cancel / _replace) under a mixed order flow on 8
 * instruments, at about 10k and about 1M resting orders. One greppable line
 * per case, then one per kind of command within it, then the aggressive
 * orders by the trades each made (perf_print_by_trades):
 *
 *   bench_book case=mixed_1m ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *   bench_book case=mixed_1m/cancel ops=N mops=X ...
 *   bench_book case=mixed_1m/aggressive_trades_8-15 ops=N mops=X ...
 *   bench_book info case=mixed_1m aggressive_ns_per_trade=X aggressive_ns_fixed=Y
 *
 * On a case line mops is the batch throughput (median of --reps batches);
 * on a per-kind line it is 1000 / mean_ns of the individually timed
 * commands. "bench_book info" lines carry the rest (CPU-time throughput,
 * preemptions, the executed mix, trades per aggressive order).
 *
 * The flow. Each instrument has a mid that random-walks (before each
 * command, one random instrument's mid moves a tick with probability 1/16,
 * reflecting within +-1024 ticks of the start). Adds are GTC limits at
 * mid -/+ a geometric offset in ticks, never crossing: 85% near the top
 * (mean 4 ticks), 15% into the deep book, whose offsets have a mean chosen
 * so that a side holds about 8 orders a level at its top. Cancels and
 * replaces pick a live order, 75% of the time one of the last 4096 resting
 * adds (quotes are pulled soon after they are placed), else any live order
 * (cold memory at 1M). Replaces set a new quantity or move the price one
 * tick. Aggressive orders take 1, 2 or 3 levels of the opposite side (70%,
 * 25%, 5%; the last level in part): IOC, or 25% of the time a marketable
 * GTC limit that rests its remainder. The resting count is held within 1%
 * of the target by turning an add into a cancel or back when it strays.
 *
 * How it runs:
 *
 * 1. Generate. The whole command stream of a case is built before any
 *    timing, by a seeded PRNG (xoshiro256**) driving a shadow book: each
 *    command is chosen from the state the previous ones left (a live-order
 *    set kept by a tracking event sink, the shadow book's best prices and
 *    depth), stored in an array, then applied to the shadow book. The book
 *    is deterministic, so replaying the array on a freshly initialised book
 *    reproduces the same order ids, the same live orders and the same
 *    events; the bench checks the event counts to prove it.
 * 2. Fill (untimed): adds until the target resting depth, then a mixed
 *    warm-up segment so the book is in its steady state.
 * 3. Measure, pinned to the idlest allowed CPU (or --cpu): the measured
 *    segment is replayed (a) as one batch without per-command timing, for
 *    throughput, and (b) with an lfence;rdtsc / rdtscp;lfence pair around
 *    every command, for latency percentiles (the pair's own cost is
 *    measured and printed, and included in the latencies, not subtracted).
 *    Each replay starts from a fresh book and the replayed warm-up.
 *
 * The book block is mmap'd once, MADV_HUGEPAGE, and reinitialised in place
 * for every pass. The timed sink only counts events by type. With
 * --prefetch N, the three stages of the book's prefetch hint are given for
 * the commands 3N, 2N and N ahead before each command (inside the timed
 * region). This file does not test correctness (tests/ does).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/instrument.h"
#include "perf_util.h"

#define NINST 8          /* instruments, as in the issue */
#define NACCT 64         /* trading accounts; STP NONE, so no self-trade checks fire */
#define MAX_ORDERS 1153434 /* 1.1 * 2^20: 1M resting plus headroom for the flow */
#define LADDER_TICKS 65536 /* the tools' default window; the 1M deep book reaches ~48k ticks */
#define MID0_TICKS 1000000 /* starting mid, in ticks */
#define MID_BAND 1024    /* the mid walks in MID0 +- this, reflecting */
#define MID_STEP_ONE_IN 16 /* per command, a random mid moves a tick with probability 1/16 */
#define NEAR_MEAN 4.0    /* near-top adds: geometric offset from the mid, mean 4 ticks */
#define DEEP_PER_LEVEL 8.0 /* deep book: about 8 orders a level at the top of a side */
#define QTY_MAX 100      /* add size uniform in 1..100 lots */
#define NKIND 4

/* Mix of the generated flow, in 1/1000 (before the depth-keeping feedback). */
#define W_ADD 550
#define W_CANCEL 300
#define W_REPLACE 120
#define W_AGGR 30
#define NEAR_ADD_PER_1000 850 /* of adds: near the top; the rest replenish the deep book */
#define RECENT_PICK_PER_1000 750 /* of cancels/replaces: a recent order; else any live order */
#define IOC_PER_1000 750 /* of aggressive orders: IOC; else a marketable GTC limit that rests */

enum { OP_ADD, OP_CANCEL, OP_REPLACE, OP_AGGR };
static const char *const kind_name[NKIND] = { "add", "cancel", "replace", "aggressive" };

struct cmd {
	uint8_t kind;
	union {
		struct nx_new_order n;
		struct nx_cancel c;
		struct nx_replace r;
	} u;
};

/* --- The generator's view of the book: live orders, kept by a sink ------- */

struct gen {
	struct perf_rng rng;
	struct nx_book *book;
	struct perf_live lv;   /* the live orders, as the events tell them */
	int64_t mid[NINST];    /* ticks */
	int64_t tick[NINST];
	nx_clid_t next_cl;
	uint32_t target;       /* resting orders to keep */
	double log1m_near, log1m_deep;
	int64_t deep_cap;      /* deep offsets are drawn again above this */
	uint64_t kinds[NKIND]; /* commands generated, by kind */
	uint64_t fed_back;     /* commands switched by the depth feedback */
	uint64_t trades[NKIND]; /* trades caused, by kind of command */
};

/* Tracking sink for the generation pass. Every accepted order enters the
 * live set (all are limits); an IOC leaves it again by its fill to 0 or its
 * CANCELED; so after a command the set holds exactly the resting orders. */
static void track_sink(void *ctx, const struct nx_event *ev)
{
	perf_live_event(&((struct gen *)ctx)->lv, ev);
}

/* The timed sink: count by type, nothing else. */
struct counts {
	uint64_t n[16];
};

static void count_sink(void *ctx, const struct nx_event *ev)
{
	((struct counts *)ctx)->n[ev->type & 15]++;
}

/* --- Book setup ------------------------------------------------------------ */


/* Realistic mixed ticks: a division by the tick is on every command's path. */
static const int64_t inst_tick[NINST] = { 1, 5, 10, 25, 1, 5, 50, 100 };

/* (Re)initialise the book in mem and add the accounts and instruments. */
static struct nx_book *book_setup(const struct nx_book_config *cfg, void *mem, size_t len,
				  nx_event_fn fn, void *ctx)
{
	struct nx_book *b = nx_book_init(mem, len, cfg, fn, ctx);
	if (!b)
		return NULL;
	for (uint32_t a = 1; a <= NACCT; a++) {
		struct nx_account ac = { .id = a, .stp = NX_STP_NONE };
		if (nx_book_add_account(b, &ac))
			return NULL;
	}
	for (uint32_t i = 0; i < NINST; i++) {
		struct nx_instrument in;
		memset(&in, 0, sizeof(in));
		in.id = i + 1;
		snprintf(in.symbol, sizeof(in.symbol), "SYM%u", i + 1);
		in.tick = inst_tick[i];
		in.band_ticks = 100;
		nx_instrument_defaults(&in);
		if (nx_book_add_instrument(b, &in))
			return NULL;
	}
	return b;
}

/* --- Command generation ---------------------------------------------------- */

static int64_t deep_offset(struct gen *g)
{
	int64_t off;
	do
		off = perf_rng_geom(&g->rng, g->log1m_deep);
	while (off > g->deep_cap);
	return off;
}

/* A passive limit at the mid -/+ an offset, never crossing the opposite best. */
static void gen_add(struct gen *g, struct cmd *c, int near)
{
	uint32_t ix = perf_rng_below(&g->rng, NINST);
	uint8_t side = (uint8_t)(1 + perf_rng_below(&g->rng, 2));
	int64_t off = near ? perf_rng_geom(&g->rng, g->log1m_near) : deep_offset(g);
	int64_t tk = g->tick[ix], m = g->mid[ix], t;
	struct nx_bbo bbo;
	nx_book_bbo(g->book, ix + 1, &bbo);
	if (side == NX_SIDE_BUY) {
		t = m - off;
		if (bbo.ask_px && t >= bbo.ask_px / tk)
			t = bbo.ask_px / tk - 1;
	} else {
		t = m + 1 + off;
		if (bbo.bid_px && t <= bbo.bid_px / tk)
			t = bbo.bid_px / tk + 1;
	}
	c->kind = OP_ADD;
	c->u.n = (struct nx_new_order){ .acct = 1 + perf_rng_below(&g->rng, NACCT), .inst = ix + 1,
		.cl = g->next_cl++, .px = t * tk, .qty = 1 + perf_rng_below(&g->rng, QTY_MAX),
		.side = side, .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC };
}

/* A live order: mostly one of the latest resting adds (quotes are pulled
 * soon after they are placed), else any. NULL if none is live. */
static struct perf_live_ord *pick_live(struct gen *g)
{
	if (!g->lv.nlive)
		return NULL;
	if (g->lv.nrecent && perf_rng_below(&g->rng, 1000) < RECENT_PICK_PER_1000) {
		uint64_t n = g->lv.nrecent < PERF_RECENT ? g->lv.nrecent : PERF_RECENT;
		for (int tries = 0; tries < 4; tries++) {
			struct perf_live_ord *o = perf_live_get(&g->lv, g->lv.recent[perf_rng_below(&g->rng, (uint32_t)n)]);
			if (o)
				return o;
		}
	}
	return &g->lv.live[perf_rng_below(&g->rng, g->lv.nlive)];
}

/* An order that takes 1..3 levels of the opposite side (the last in part). */
static int gen_aggr(struct gen *g, struct cmd *c)
{
	uint32_t ix = perf_rng_below(&g->rng, NINST), r = perf_rng_below(&g->rng, 20);
	uint8_t side = (uint8_t)(1 + perf_rng_below(&g->rng, 2));
	unsigned want = r < 14 ? 1 : r < 19 ? 2 : 3; /* 70%, 25%, 5% */
	struct nx_level_info lv[3];
	int n = nx_book_depth(g->book, ix + 1, nx_side_other(side), lv, want);
	if (n <= 0)
		return -1;
	nx_qty_t qty = 1 + (nx_qty_t)perf_rng_below(&g->rng, (uint32_t)lv[n - 1].qty);
	for (int i = 0; i < n - 1; i++)
		qty += lv[i].qty;
	uint8_t tif = NX_TIF_IOC;
	if (perf_rng_below(&g->rng, 1000) >= IOC_PER_1000) {
		tif = NX_TIF_GTC; /* marketable limit: takes, then rests its remainder */
		qty += 1 + perf_rng_below(&g->rng, QTY_MAX);
	}
	c->kind = OP_AGGR;
	c->u.n = (struct nx_new_order){ .acct = 1 + perf_rng_below(&g->rng, NACCT), .inst = ix + 1,
		.cl = g->next_cl++, .px = lv[n - 1].px, .qty = qty, .side = side,
		.type = NX_ORD_LIMIT, .tif = tif };
	return 0;
}

/* Choose and build the next command of the mixed flow. */
static void gen_mixed(struct gen *g, struct cmd *c)
{
	uint32_t w = perf_rng_below(&g->rng, 1000);
	int kind = w < W_ADD ? OP_ADD : w < W_ADD + W_CANCEL ? OP_CANCEL
		 : w < W_ADD + W_CANCEL + W_REPLACE ? OP_REPLACE : OP_AGGR;
	/* Keep the depth within 1% of the target: the flow's own balance drifts. */
	if (kind == OP_ADD && g->lv.nlive > g->target + g->target / 100) {
		kind = OP_CANCEL;
		g->fed_back++;
	} else if (kind == OP_CANCEL && g->lv.nlive < g->target - g->target / 100) {
		kind = OP_ADD;
		g->fed_back++;
	}
	uint32_t ix = perf_rng_below(&g->rng, NINST);
	if (perf_rng_below(&g->rng, MID_STEP_ONE_IN) == 0) {
		int64_t d = perf_rng_below(&g->rng, 2) ? 1 : -1;
		if (llabs(g->mid[ix] + d - MID0_TICKS) > MID_BAND)
			d = -d;
		g->mid[ix] += d;
	}
	struct perf_live_ord *o = NULL;
	if ((kind == OP_CANCEL || kind == OP_REPLACE) && !(o = pick_live(g)))
		kind = OP_ADD;
	if (kind == OP_AGGR && gen_aggr(g, c) == 0)
		return;
	if (kind == OP_AGGR)
		kind = OP_ADD;
	switch (kind) {
	case OP_ADD:
		gen_add(g, c, perf_rng_below(&g->rng, 1000) < NEAR_ADD_PER_1000);
		break;
	case OP_CANCEL:
		c->kind = OP_CANCEL;
		c->u.c = (struct nx_cancel){ .acct = o->acct, .cl = g->next_cl++, .oid = o->oid };
		break;
	default: { /* replace: a new quantity, or the price one tick up or down */
		nx_qty_t q = o->qty;
		nx_px_t px = o->px;
		if (perf_rng_below(&g->rng, 2)) {
			q = 1 + perf_rng_below(&g->rng, QTY_MAX);
			if (q == o->qty)
				q = q > 1 ? q - 1 : 2;
		} else {
			px += (perf_rng_below(&g->rng, 2) ? 1 : -1) * g->tick[o->ix];
		}
		c->kind = OP_REPLACE;
		c->u.r = (struct nx_replace){ .acct = o->acct, .cl = g->next_cl++, .oid = o->oid,
			.px = px, .qty = q };
		break;
	}
	}
}

static int apply(struct nx_book *b, const struct cmd *c)
{
	switch (c->kind) {
	case OP_CANCEL:
		return nx_book_cancel(b, &c->u.c);
	case OP_REPLACE:
		return nx_book_replace(b, &c->u.r);
	default:
		return nx_book_new_order(b, &c->u.n);
	}
}

/* One stage of the book's prefetch hint for a command (--prefetch). */
static void prefetch(const struct nx_book *b, const struct cmd *c, unsigned stage)
{
	switch (c->kind) {
	case OP_CANCEL:
		nx_book_prefetch_cancel(b, &c->u.c, stage);
		break;
	case OP_REPLACE:
		nx_book_prefetch_replace(b, &c->u.r, stage);
		break;
	default:
		nx_book_prefetch_new(b, &c->u.n, stage);
		break;
	}
}

/* Before command i: each stage s of the hint for the command
 * (NX_BOOK_PF_STAGES - s) * pf ahead, furthest (stage 0) first. */
static NX_ALWAYS_INLINE void prefetch_ahead(const struct nx_book *b, const struct cmd *c,
					    size_t i, size_t n, size_t pf)
{
	for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++) {
		size_t j = i + (NX_BOOK_PF_STAGES - s) * pf;
		if (j < n)
			prefetch(b, &c[j], s);
	}
}

/* --- Timing ---------------------------------------------------------------- */

NX_NOINLINE static void replay(struct nx_book *b, const struct cmd *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		apply(b, &c[i]);
}

/* Throughput: the whole segment, no per-command timing. With pf > 0, the
 * hints for the commands up to 3 pf ahead are given before command i, as a
 * caller holding a burst would. */
NX_NOINLINE static uint64_t run_batch(struct nx_book *b, const struct cmd *c, size_t n, size_t pf)
{
	uint64_t t0 = perf_tsc_begin();
	if (pf) {
		for (size_t i = 0; i < n; i++) {
			prefetch_ahead(b, c, i, n, pf);
			apply(b, &c[i]);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			apply(b, &c[i]);
	}
	return perf_tsc_end() - t0;
}

/* Latency: each command between its own pair of TSC reads (with pf, the
 * hints given before it, for later commands, are inside the pair); trades[]
 * gets the trades each command made (the sink's count, read outside the
 * pair). */
NX_NOINLINE static void run_timed(struct nx_book *b, const struct cmd *c, size_t n, size_t pf,
				  const struct counts *cnt, uint32_t *lat, uint32_t *trades)
{
	uint64_t made = cnt->n[NX_EV_TRADE];
	for (size_t i = 0; i < n; i++) {
		uint64_t t0 = perf_tsc_begin();
		if (pf)
			prefetch_ahead(b, c, i, n, pf);
		apply(b, &c[i]);
		lat[i] = perf_sample(perf_tsc_end() - t0);
		trades[i] = (uint32_t)(cnt->n[NX_EV_TRADE] - made);
		made = cnt->n[NX_EV_TRADE];
	}
}

static void print_case(const char *name, size_t ops, double mops, struct perf_pct p)
{
	perf_print_case("bench_book", name, ops, mops, p);
}

/* --- Cases ------------------------------------------------------------------ */

struct opts {
	size_t ops;        /* measured commands per case */
	size_t warm_ops;   /* mixed commands after the fill, untimed */
	int reps;          /* throughput batches; the median is reported */
	int cpu;           /* -1: the idlest allowed CPU */
	size_t prefetch;   /* prefetch hint distance in commands; 0: no hints */
	uint64_t seed;
	const char *only;  /* run only this case */
};

struct bench {
	void *mem;
	size_t memlen;
	double tpns;       /* TSC ticks per ns */
	struct opts o;
	struct nx_book_config cfg;
	struct cmd *cmds;
	uint32_t *lat, *trades, *scratch;
};

/* Fresh book, warm segment replayed: the state the measured segment expects. */
static struct nx_book *fresh(struct bench *B, struct counts *cnt, size_t nwarm)
{
	struct nx_book *b = book_setup(&B->cfg, B->mem, B->memlen, count_sink, cnt);
	if (!b)
		return NULL; /* it worked for the generation pass; cannot happen */
	replay(b, B->cmds, nwarm);
	memset(cnt, 0, sizeof(*cnt));
	return b;
}

static int same_counts(const uint64_t *a, const uint64_t *b)
{
	return !memcmp(a, b, 16 * sizeof(uint64_t));
}

static int run_case(struct bench *B, const char *name, uint32_t resting)
{
	struct gen *g = calloc(1, sizeof(*g));
	size_t nfill = resting, nwarm = nfill + B->o.warm_ops, ntot = nwarm + B->o.ops;
	const char *why = "out of memory";
	int rc = -1;
	if (!g)
		goto out;
	perf_rng_seed(&g->rng, B->o.seed ^ resting);
	g->target = resting;
	g->lv.pos_cap = ntot + 2; /* one oid at most per command */
	g->lv.pos = calloc(g->lv.pos_cap, sizeof(*g->lv.pos));
	g->lv.live = calloc((size_t)B->cfg.max_orders + 1, sizeof(*g->lv.live));
	if (!g->lv.pos || !g->lv.live)
		goto out;
	double side_depth = (double)resting / (2.0 * NINST);
	double deep_mean = side_depth / DEEP_PER_LEVEL;
	g->log1m_near = log(1.0 - 1.0 / (1.0 + NEAR_MEAN));
	g->log1m_deep = log(1.0 - 1.0 / (1.0 + deep_mean));
	g->deep_cap = (int64_t)(6 * deep_mean) + 8;
	why = "the deep book does not fit the ladder";
	if (2 * MID_BAND + g->deep_cap + 64 >= LADDER_TICKS)
		goto out;
	for (int i = 0; i < NINST; i++) {
		g->mid[i] = MID0_TICKS;
		g->tick[i] = inst_tick[i];
	}
	g->next_cl = 1;

	/* 1. Generate against the shadow book. */
	double tg = perf_now_s();
	why = "book setup failed";
	g->book = book_setup(&B->cfg, B->mem, B->memlen, track_sink, g);
	if (!g->book)
		goto out;
	uint64_t rejects = 0, ev_warm[16];
	uint32_t resting_start = 0;
	for (size_t i = 0; i < ntot; i++) {
		struct cmd *c = &B->cmds[i];
		if (i == nwarm) {
			memcpy(ev_warm, g->lv.ev, sizeof(ev_warm));
			memset(g->kinds, 0, sizeof(g->kinds));
			memset(g->trades, 0, sizeof(g->trades));
			g->fed_back = 0;
			resting_start = g->lv.nlive;
		}
		if (i < nfill)
			gen_add(g, c, 0);
		else
			gen_mixed(g, c);
		uint64_t tr = g->lv.ev[NX_EV_TRADE];
		g->kinds[c->kind]++;
		if (apply(g->book, c))
			rejects++;
		g->trades[c->kind] += g->lv.ev[NX_EV_TRADE] - tr;
	}
	uint64_t ev_meas[16], ev_total = 0;
	for (int t = 0; t < 16; t++)
		ev_total += ev_meas[t] = g->lv.ev[t] - ev_warm[t];
	tg = perf_now_s() - tg;
	why = "an order id beyond the tracker";
	if (g->lv.overflow)
		goto out;
	why = "commands rejected: the generator is wrong";
	if (rejects)
		goto out;
	const struct cmd *meas = B->cmds + nwarm;
	size_t n = B->o.ops;
	struct counts cnt;

	/* 2. Throughput: the median of reps batches, each on a fresh book; wall
	 * clock (TSC) and this thread's CPU time, which preemption does not inflate. */
	double mops[PERF_MAX_REPS], mops_cpu[PERF_MAX_REPS];
	long csw = 0;
	int reps = B->o.reps < PERF_MAX_REPS ? B->o.reps : PERF_MAX_REPS;
	why = "replay diverged from generation";
	for (int r = 0; r < reps; r++) {
		struct nx_book *b = fresh(B, &cnt, nwarm);
		if (!b)
			goto out;
		long csw0 = perf_nivcsw();
		double c0 = perf_clock_s(CLOCK_THREAD_CPUTIME_ID);
		uint64_t ticks = run_batch(b, meas, n, B->o.prefetch);
		double cpu = perf_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		csw += perf_nivcsw() - csw0;
		if (!same_counts(cnt.n, ev_meas))
			goto out;
		mops[r] = (double)n / ((double)ticks / B->tpns) * 1e3;
		mops_cpu[r] = (double)n / cpu * 1e-6;
	}
	double mops_med = perf_median(mops, reps), mops_cpu_med = perf_median(mops_cpu, reps);

	/* 3. Latency, one command at a time. */
	struct nx_book *b = fresh(B, &cnt, nwarm);
	if (!b)
		goto out;
	long csw_timed = perf_nivcsw();
	run_timed(b, meas, n, B->o.prefetch, &cnt, B->lat, B->trades);
	csw_timed = perf_nivcsw() - csw_timed;
	if (!same_counts(cnt.n, ev_meas))
		goto out;
	uint32_t resting_end = nx_book_order_count(b);

	/* Per kind first (the scratch copies), then all (sorts lat in place). */
	struct perf_pct pk[NKIND];
	size_t nk[NKIND];
	for (int k = 0; k < NKIND; k++) {
		nk[k] = 0;
		for (size_t i = 0; i < n; i++)
			if (meas[i].kind == k)
				B->scratch[nk[k]++] = B->lat[i];
		pk[k] = perf_percentiles(B->scratch, nk[k], B->tpns);
	}
	for (size_t i = 0; i < n; i++) /* replaces that trade are not counted in */
		if (meas[i].kind != OP_AGGR)
			B->trades[i] = PERF_NOT_AGGRESSIVE;
	struct perf_trades tp = perf_by_trades(B->tpns, B->lat, B->trades, n, B->scratch);
	struct perf_pct all = perf_percentiles(B->lat, n, B->tpns); /* sorts lat */
	print_case(name, n, mops_med, all);
	for (int k = 0; k < NKIND; k++) {
		char sub[64];
		snprintf(sub, sizeof(sub), "%s/%s", name, kind_name[k]);
		print_case(sub, nk[k], pk[k].mean > 0 ? 1e3 / pk[k].mean : 0, pk[k]);
	}
	perf_print_by_trades("bench_book", name, &tp);
	printf("bench_book info case=%s mops_reps=", name);
	for (int r = 0; r < reps; r++)
		printf("%s%.2f", r ? "," : "", mops[r]);
	printf(" mops_cpu=%.2f preempted_batch=%ld preempted_timed=%ld", mops_cpu_med, csw,
	       csw_timed);
	printf(" resting_start=%u resting_end=%u mix_add=%.1f%% mix_cancel=%.1f%% "
	       "mix_replace=%.1f%% mix_aggr=%.1f%% fed_back=%.1f%% trades_per_aggr=%.1f "
	       "trades_per_replace=%.2f events_per_op=%.2f deep_mean_ticks=%.0f gen_s=%.2f\n",
	       resting_start, resting_end, 100.0 * g->kinds[OP_ADD] / n,
	       100.0 * g->kinds[OP_CANCEL] / n, 100.0 * g->kinds[OP_REPLACE] / n,
	       100.0 * g->kinds[OP_AGGR] / n, 100.0 * g->fed_back / n,
	       g->kinds[OP_AGGR] ? (double)g->trades[OP_AGGR] / g->kinds[OP_AGGR] : 0,
	       g->kinds[OP_REPLACE] ? (double)g->trades[OP_REPLACE] / g->kinds[OP_REPLACE] : 0,
	       (double)ev_total / (double)n, deep_mean, tg);
	fflush(stdout);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_book: %s: %s\n", name, why);
	if (g) {
		free(g->lv.pos);
		free(g->lv.live);
	}
	free(g);
	return rc;
}

/* --- main -------------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: bench_book [--quick] [--ops N] [--warm N] [--reps N] [--cpu N]\n"
			"                  [--seed N] [--max-orders N] [--prefetch N]\n"
			"                  [--case mixed_10k|mixed_1m]\n"
			"  --max-orders sizes the book (default %u); a case needs 5%% headroom\n"
			"  --prefetch N gives the book's prefetch hints, stage s for the command\n"
			"    (3 - s) * N ahead, as a caller holding a burst would (default 0: none)\n",
		MAX_ORDERS);
}

int main(int argc, char **argv)
{
	struct bench B;
	memset(&B, 0, sizeof(B));
	B.o = (struct opts){ .ops = 2000000, .warm_ops = 200000, .reps = 3, .cpu = -1, .seed = 42 };
	B.cfg = (struct nx_book_config){ .max_instruments = NINST, .max_accounts = NACCT,
		.max_orders = MAX_ORDERS, .ladder_ticks = LADDER_TICKS };
	for (int i = 1; i < argc; i++) {
		if (perf_opt(argc, argv, &i, &B.o.reps, &B.o.cpu, &B.o.seed))
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			B.o.ops = 100000;
			B.o.warm_ops = 20000;
			B.o.reps = 1;
		} else if (!strcmp(a, "--ops") && v) {
			B.o.ops = perf_opt_size(a, v, 1, 1000000000), i++;
		} else if (!strcmp(a, "--warm") && v) {
			B.o.warm_ops = perf_opt_size(a, v, 0, 1000000000), i++;
		} else if (!strcmp(a, "--max-orders") && v) {
			B.cfg.max_orders = (uint32_t)perf_opt_size(a, v, 1, UINT32_MAX - 1), i++;
		} else if (!strcmp(a, "--prefetch") && v) {
			B.o.prefetch = perf_opt_size(a, v, 0, 1000000000), i++;
		} else if (!strcmp(a, "--case") && v) {
			B.o.only = v, i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!B.o.ops || B.o.reps < 1) {
		usage();
		return 2;
	}

	/* Calibrate the TSC, and meanwhile see which CPU is idlest: the machine
	 * is shared. Pin to that one, or to the requested one. */
	int cpu = perf_pin_idlest("bench_book", B.o.cpu, &B.tpns);
	if (cpu < 0)
		return 1;
	uint32_t ovh = perf_tsc_overhead();
	perf_print_topology("bench_book", cpu, B.tpns);

	/* One book block, reused by every pass: fault it in once, on huge pages if allowed. */
	size_t len = nx_book_memsize(&B.cfg);
	if (!len) {
		fprintf(stderr, "bench_book: bad book config\n");
		return 1;
	}
	B.mem = perf_map_huge(len, &B.memlen);
	if (!B.mem) {
		perror("mmap");
		return 1;
	}
	if (!book_setup(&B.cfg, B.mem, B.memlen, count_sink, &(struct counts){ { 0 } })) {
		fprintf(stderr, "bench_book: book setup failed\n");
		return 1;
	}
	printf("bench_book config instruments=%d accounts=%d max_orders=%u ladder_ticks=%u "
	       "book_mb=%.0f huge_mb=%ld ops=%zu warm_ops=%zu reps=%d seed=%llu prefetch=%zu "
	       "tsc_overhead_ticks=%u "
	       "tsc_overhead_ns=%.1f (included in latencies)\n", NINST, NACCT, B.cfg.max_orders,
	       LADDER_TICKS, (double)len / (1 << 20), perf_anon_huge_mb(), B.o.ops, B.o.warm_ops, B.o.reps,
	       (unsigned long long)B.o.seed, B.o.prefetch, ovh, ovh / B.tpns);
	fflush(stdout);

	static const struct { const char *name; uint32_t resting; } cases[] = {
		{ "mixed_10k", 10000 },
		{ "mixed_1m", 1000000 },
	};
	size_t maxcmds = 1000000 + B.o.warm_ops + B.o.ops;
	B.cmds = malloc(maxcmds * sizeof(*B.cmds));
	B.lat = malloc(B.o.ops * sizeof(*B.lat));
	B.trades = malloc(B.o.ops * sizeof(*B.trades));
	B.scratch = malloc(B.o.ops * sizeof(*B.scratch));
	if (!B.cmds || !B.lat || !B.trades || !B.scratch) {
		fprintf(stderr, "bench_book: out of memory\n");
		return 1;
	}
	int rc = 0, ran = 0;
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		if (B.o.only && strcmp(B.o.only, cases[i].name))
			continue;
		ran++;
		if ((uint64_t)cases[i].resting * 21 / 20 > B.cfg.max_orders) {
			printf("bench_book skip case=%s max_orders=%u too small\n", cases[i].name,
			       B.cfg.max_orders);
			continue;
		}
		if (run_case(&B, cases[i].name, cases[i].resting)) {
			rc = 1;
			break;
		}
	}
	if (!ran) {
		usage();
		rc = 2;
	}
	free(B.cmds);
	free(B.lat);
	free(B.trades);
	free(B.scratch);
	perf_unmap(B.mem, B.memlen);
	return rc;
}
