/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * bench_engine: the whole pipeline of one shard, nx_engine_rx: a client
 * datagram in (session lookup, Sequence, decode, throttle, risk, book),
 * the reply datagrams out (reports encoded into the session histories and
 * batched per destination). Two cases, one greppable line each, then one
 * per kind of message (msg1) or per datagram (msg8):
 *
 *   bench_engine case=msg1 ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *   bench_engine case=msg1/cancel ops=N mops=X ...
 *   bench_engine case=msg8 ops=N ...         (per message: each datagram's time / 8)
 *   bench_engine case=msg8/dgram ops=N ...   (per datagram of 8 messages)
 *
 * msg1 also splits its aggressive messages by the trades each made
 * (case=msg1/aggressive_trades_1, _2-3, _4-7, _8-15, _16-31, _32+) and fits
 * latency = fixed + trades * per_trade over them (an info line): the cost
 * of a trade through the pipeline, which sets the flow's tail.
 *
 * msg1 sends one application message per datagram (Sequence + 1 message),
 * msg8 eight (Sequence + 8 messages, all from one session). On a case line
 * mops is millions of messages a second from untimed batches (the median
 * of --reps); on a per-kind line it is 1000 / mean_ns of the timed calls.
 * "bench_engine info" lines carry the rest.
 *
 * The venue, built in code: 4 instruments (ticks 1, 5, 10, 25, reference
 * price at the starting mid, collar 65536 ticks), 16 accounts with STP off
 * and limits that never bind (except for the orders meant to fail), one
 * session per account, all 16 established (max_sessions 16, history 1024),
 * max_orders 1153434 (1.1 * 2^20), ladder_ticks 65536: the book bench's
 * sizing.
 *
 * The flow is bench_book's (mid random walk, passive GTC adds near the top
 * and into the deep book, cancels and replaces of live orders, mostly
 * recent ones, aggressive orders taking 1-3 levels, IOC or marketable GTC,
 * the resting count held within 1% of --resting) sent as NXP by 16 clients,
 * plus 1% new orders that fail pre-trade risk (half outside the price
 * collar, half above the maximum order notional). Cancels and replaces name
 * the order by the client's id (OrigClOrdID), as a client does. Each
 * message comes from the session of its account; in msg8 a datagram's 8
 * messages are one session's, at most one of them aggressive (and last).
 *
 * How it runs:
 *
 * 1. Generate. Every datagram is built before any timing by nx_client_*
 *    (which numbers them), fed to a shadow engine, and kept in an arena. A
 *    tap sink on the shadow engine keeps the live orders (id, client id,
 *    price, quantity, account), from which the next cancels and replaces
 *    pick their targets; the shadow book's BBO and depth price the adds and
 *    aggressive orders. Rejects other than the intended risk ones are
 *    counted (msg1: must be none).
 * 2. Measure, pinned to the idlest allowed CPU (or --cpu), each pass on a
 *    fresh engine: the 16 sessions log in (negotiate, establish), the fill
 *    and warm-up datagrams are replayed untimed, then the measured segment
 *    runs (a) as untimed batches, for throughput, and (b) with an
 *    lfence;rdtsc / rdtscp;lfence pair around every nx_engine_rx call, for
 *    latency (the pair's cost is printed and included, not subtracted).
 *    nx_out.n is reset after each call, outside the timed region. The
 *    engine is deterministic, so each pass must reproduce the shadow
 *    engine's counters for the segment (messages and datagrams sent,
 *    fills, rejects); the bench checks that.
 *
 * The measured passes have no tap (no market data or journal consumer).
 * nx_engine_poll is not called (no heartbeats or timeouts in the segment;
 * time advances 1 us per message, far below the throttle). The engine
 * allocates its memory itself (nx_engine_create: blocks of 2 MiB or more
 * advised MADV_HUGEPAGE, as the appliance's come from DPDK's huge pages);
 * huge_mb on the info line says how much the kernel put on huge pages.
 * This file does not test correctness (tests/ does).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/client.h"
#include "nx/engine.h"
#include "nx/reason.h"
#include "perf_util.h"

#define NINST 4            /* "a few instruments" */
#define NSESS 16           /* one established session per account */
#define MAX_SESSIONS 16
#define HISTORY 1024       /* sent messages kept per session */
#define MAX_ORDERS 1153434 /* 1.1 * 2^20, as bench_book */
#define LADDER_TICKS 65536 /* the tools' default window */
#define BAND_TICKS 65536   /* the collar: never binds for the flow, only for the fat fingers */
#define MID0_TICKS 1000000 /* starting mid, in ticks; also each instrument's ref_px */
#define MID_BAND 1024      /* the mid walks in MID0 +- this, reflecting */
#define MID_STEP_ONE_IN 16 /* per message, a random mid moves a tick with probability 1/16 */
#define NEAR_MEAN 4.0      /* near-top adds: geometric offset from the mid, mean 4 ticks */
#define DEEP_PER_LEVEL 8.0 /* deep book: about 8 orders a level at the top of a side */
#define QTY_MAX 100        /* add size uniform in 1..100 lots */
#define MAX_NOTIONAL INT64_C(10000000000000) /* 1e13: ~300x the largest order of the flow */
#define LIMIT_IDLE (INT64_MAX / 4) /* position and credit limits that never bind */
#define MSG_RATE 1000000000u /* 1e9 msgs/s per session: the throttle never binds */
#define MSG_BURST 1000000u
#define NS_PER_MSG 1000    /* now_ns advances 1 us per message sent */
#define T0_NS UINT64_C(1000000000)
#define OUT_CAP 1024       /* reply datagrams one call may produce: 17 at most at the
				    default depth; a sweep of a deep book (--resting 500000)
				    needs more than 64 */
#define NKIND 5
#define MSGS_MAX 8

/* Mix of the generated flow, in 1/1000 (before the depth-keeping feedback). */
#define W_ADD 550
#define W_CANCEL 290
#define W_REPLACE 120
#define W_AGGR 30
#define W_RISK 10
#define NEAR_ADD_PER_1000 850
#define RECENT_PICK_PER_1000 750
#define IOC_PER_1000 750
NX_STATIC_ASSERT(W_ADD + W_CANCEL + W_REPLACE + W_AGGR + W_RISK == 1000, "the mix sums to 1000");

enum { OP_ADD, OP_CANCEL, OP_REPLACE, OP_AGGR, OP_RISK };
static const char *const kind_name[NKIND] = { "add", "cancel", "replace", "aggressive",
					      "risk_reject" };
static const int64_t inst_tick[NINST] = { 1, 5, 10, 25 };

/* One generated application message. */
struct msg {
	uint8_t kind, sess;
	union {
		struct nx_nxp_new_order n;
		struct nx_nxp_cancel_order c;
		struct nx_nxp_cancel_replace r;
	} u;
};

/* One pre-built datagram: arena bytes [off, off + len). */
struct dgram {
	uint64_t now;
	uint64_t off;
	uint16_t len;
	uint8_t sess;
	uint8_t kind; /* msg1: the message's kind */
	uint8_t nmsg; /* application messages in it */
};

struct arena {
	uint8_t *bytes;
	size_t cap, used;
	struct dgram *d;
	size_t nd, dcap;
	const uint8_t **dp; /* --burst: each datagram's bytes and length, as */
	size_t *dl;         /* nx_engine_prefetch_burst takes them */
};

/* --- The generator's view: live orders, kept by the shadow engine's tap ---- */

struct gen {
	struct perf_rng rng;
	const struct nx_book *book; /* the shadow engine's */
	struct perf_live lv;        /* its live orders, from its tap */
	int64_t mid[NINST];
	nx_clid_t next_cl[NSESS];
	uint32_t target;
	double log1m_near, log1m_deep;
	int64_t deep_cap;
	nx_oid_t taken[MSGS_MAX];   /* orders already named in the datagram being built */
	int ntaken;
	uint64_t kinds[NKIND], fed_back, trades_aggr;
};

/* The shadow engine's tap: the live-order tracker (perf/perf_util.h). */
static void track_tap(void *ctx, const struct nx_event *ev)
{
	perf_live_event(&((struct gen *)ctx)->lv, ev);
}

/* --- The venue --------------------------------------------------------------- */

struct venue {
	struct nx_instrument inst[NINST];
	struct nx_account_config acct[NSESS];
	struct nx_venue_config cfg;
	struct nx_addr addr[NSESS];
};

static void venue_build(struct venue *v, uint32_t max_orders)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < NINST; i++) {
		struct nx_instrument *in = &v->inst[i];
		in->id = (nx_inst_t)i + 1;
		snprintf(in->symbol, sizeof(in->symbol), "SYM%d", i + 1);
		in->tick = inst_tick[i];
		in->band_ticks = BAND_TICKS;
		in->ref_px = MID0_TICKS * inst_tick[i];
		nx_instrument_defaults(in);
	}
	struct nx_limits lim = { .max_order_notional = MAX_NOTIONAL, .position_limit = LIMIT_IDLE,
				 .credit_limit = LIMIT_IDLE, .max_open_orders = 2 * MAX_ORDERS,
				 .msg_rate = MSG_RATE, .msg_burst = MSG_BURST };
	for (int a = 0; a < NSESS; a++) {
		v->acct[a] = (struct nx_account_config){ .id = (nx_acct_t)a + 1, .stp = NX_STP_NONE,
							 .limits = lim };
		for (int k = 0; k < NX_KEY_BYTES; k++)
			v->acct[a].key[k] = (uint8_t)(a * 31 + k);
		v->addr[a] = (struct nx_addr){ .ip = 0x0a000001u + (uint32_t)a, .port = (uint16_t)(5000 + a) };
	}
	v->cfg = (struct nx_venue_config){ .path = "bench_engine", .max_orders = max_orders,
		.ladder_ticks = LADDER_TICKS, .max_sessions = MAX_SESSIONS, .keepalive_ms = 1000,
		.history = HISTORY, .ninstruments = NINST, .naccounts = NSESS, .instruments = v->inst,
		.accounts = v->acct };
}

static void client_init(const struct venue *v, struct nx_client *c, int s)
{
	nx_client_init(c, 1000 + (uint64_t)s, v->acct[s].id, v->acct[s].key);
}

/* A fresh engine with every session negotiated and established (untimed). */
static struct nx_engine *engine_up(const struct venue *v, nx_event_fn tap, void *ctx,
				   struct nx_out *out)
{
	char err[256];
	struct nx_engine *e = nx_engine_create(&v->cfg, tap, ctx, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "bench_engine: %s\n", err);
		return NULL;
	}
	for (int s = 0; s < NSESS; s++) {
		struct nx_client c;
		uint8_t buf[256];
		client_init(v, &c, s);
		size_t n = nx_client_negotiate(&c, buf, sizeof(buf), T0_NS);
		nx_engine_rx(e, buf, n, v->addr[s], T0_NS, out);
		n = nx_client_establish(&c, buf, sizeof(buf), T0_NS + 1, 1000);
		nx_engine_rx(e, buf, n, v->addr[s], T0_NS, out);
		out->n = 0;
	}
	if (nx_engine_stats(e)->sessions_established != NSESS) {
		fprintf(stderr, "bench_engine: sessions did not establish\n");
		nx_engine_destroy(e);
		return NULL;
	}
	return e;
}

/* --- Message generation --------------------------------------------------------- */

static uint32_t any_sess(struct gen *g) { return perf_rng_below(&g->rng, NSESS); }

static void new_order(struct msg *m, uint8_t kind, uint32_t sess, nx_clid_t cl, uint32_t ix,
		      uint8_t side, nx_px_t px, nx_qty_t qty, uint8_t tif)
{
	m->kind = kind;
	m->sess = (uint8_t)sess;
	m->u.n = (struct nx_nxp_new_order){ .cl_ord_id = cl, .price = px, .qty = qty,
		.account = sess + 1, .instrument = ix + 1, .side = side, .ord_type = NX_ORD_LIMIT,
		.time_in_force = tif };
}

static int64_t deep_offset(struct gen *g)
{
	int64_t off;
	do
		off = perf_rng_geom(&g->rng, g->log1m_deep);
	while (off > g->deep_cap);
	return off;
}

/* A passive GTC limit at the mid -/+ an offset, never crossing the opposite best. */
static void gen_add(struct gen *g, struct msg *m, uint32_t sess, int near)
{
	uint32_t ix = perf_rng_below(&g->rng, NINST);
	uint8_t side = (uint8_t)(1 + perf_rng_below(&g->rng, 2));
	int64_t off = near ? perf_rng_geom(&g->rng, g->log1m_near) : deep_offset(g);
	int64_t tk = inst_tick[ix], mid = g->mid[ix], t;
	struct nx_bbo bbo;
	nx_book_bbo(g->book, ix + 1, &bbo);
	if (side == NX_SIDE_BUY) {
		t = mid - off;
		if (bbo.ask_px && t >= bbo.ask_px / tk)
			t = bbo.ask_px / tk - 1;
	} else {
		t = mid + 1 + off;
		if (bbo.bid_px && t <= bbo.bid_px / tk)
			t = bbo.bid_px / tk + 1;
	}
	new_order(m, OP_ADD, sess, g->next_cl[sess]++, ix, side, t * tk,
		  1 + perf_rng_below(&g->rng, QTY_MAX), NX_TIF_GTC);
}

static int taken(const struct gen *g, nx_oid_t oid)
{
	for (int i = 0; i < g->ntaken; i++)
		if (g->taken[i] == oid)
			return 1;
	return 0;
}

/* A live order (of sess, unless sess < 0) not yet named in this datagram:
 * mostly one of the latest resting adds, else any. NULL if none found. */
static struct perf_live_ord *pick_live(struct gen *g, int sess)
{
	if (!g->lv.nlive)
		return NULL;
	for (int tries = 0; tries < 256; tries++) {
		struct perf_live_ord *o = NULL;
		if (g->lv.nrecent && perf_rng_below(&g->rng, 1000) < RECENT_PICK_PER_1000) {
			uint64_t n = g->lv.nrecent < PERF_RECENT ? g->lv.nrecent : PERF_RECENT;
			o = perf_live_get(&g->lv, g->lv.recent[perf_rng_below(&g->rng, (uint32_t)n)]);
		} else {
			o = &g->lv.live[perf_rng_below(&g->rng, g->lv.nlive)];
		}
		if (o && (sess < 0 || o->acct == (nx_acct_t)sess + 1) && !taken(g, o->oid))
			return o;
	}
	return NULL;
}

/* An order that takes 1..3 levels of the opposite side (the last in part). */
static int gen_aggr(struct gen *g, struct msg *m, uint32_t sess)
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
	new_order(m, OP_AGGR, sess, g->next_cl[sess]++, ix, side, lv[n - 1].px, qty, tif);
	return 0;
}

/* A new order that fails pre-trade risk: a fat-fingered price (outside the
 * collar) or quantity (above the maximum order notional). */
static void gen_risk(struct gen *g, struct msg *m, uint32_t sess)
{
	uint32_t ix = perf_rng_below(&g->rng, NINST);
	uint8_t side = (uint8_t)(1 + perf_rng_below(&g->rng, 2));
	int64_t tk = inst_tick[ix], t = g->mid[ix];
	nx_qty_t qty = 1 + perf_rng_below(&g->rng, QTY_MAX);
	if (perf_rng_below(&g->rng, 2))
		t += side == NX_SIDE_BUY ? 2 * BAND_TICKS : -2 * BAND_TICKS;
	else
		qty = MAX_NOTIONAL / (t * tk) + 1 + perf_rng_below(&g->rng, QTY_MAX);
	new_order(m, OP_RISK, sess, g->next_cl[sess]++, ix, side, t * tk, qty, NX_TIF_GTC);
}

/* The next message of the mixed flow, from sess (< 0: whichever session
 * the message belongs to). no_aggr: an aggressive order is not allowed. */
static void gen_mixed(struct gen *g, struct msg *m, int sess, int no_aggr)
{
	uint32_t w = perf_rng_below(&g->rng, 1000);
	int kind = w < W_ADD ? OP_ADD : w < W_ADD + W_CANCEL ? OP_CANCEL
		 : w < W_ADD + W_CANCEL + W_REPLACE ? OP_REPLACE
		 : w < W_ADD + W_CANCEL + W_REPLACE + W_AGGR ? OP_AGGR : OP_RISK;
	if (kind == OP_ADD && g->lv.nlive > g->target + g->target / 100) {
		kind = OP_CANCEL;
		g->fed_back++;
	} else if (kind == OP_CANCEL && g->lv.nlive < g->target - g->target / 100) {
		kind = OP_ADD;
		g->fed_back++;
	}
	uint32_t mi = perf_rng_below(&g->rng, NINST);
	if (perf_rng_below(&g->rng, MID_STEP_ONE_IN) == 0) {
		int64_t d = perf_rng_below(&g->rng, 2) ? 1 : -1;
		if (llabs(g->mid[mi] + d - MID0_TICKS) > MID_BAND)
			d = -d;
		g->mid[mi] += d;
	}
	uint32_t s = sess < 0 ? any_sess(g) : (uint32_t)sess;
	struct perf_live_ord *o = NULL;
	if ((kind == OP_CANCEL || kind == OP_REPLACE) && !(o = pick_live(g, sess)))
		kind = OP_ADD;
	if (kind == OP_AGGR && (no_aggr || gen_aggr(g, m, s)))
		kind = OP_ADD;
	if (o) {
		s = o->acct - 1;
		g->taken[g->ntaken++] = o->oid;
	}
	switch (kind) {
	case OP_AGGR:
		return;
	case OP_RISK:
		gen_risk(g, m, s);
		return;
	case OP_ADD:
		gen_add(g, m, s, perf_rng_below(&g->rng, 1000) < NEAR_ADD_PER_1000);
		return;
	case OP_CANCEL:
		m->kind = OP_CANCEL;
		m->sess = (uint8_t)s;
		m->u.c = (struct nx_nxp_cancel_order){ .cl_ord_id = g->next_cl[s]++,
			.orig_cl_ord_id = o->cl, .account = o->acct };
		return;
	default: { /* replace: a new quantity, or the price one tick up or down */
		nx_qty_t q = o->qty;
		nx_px_t px = o->px;
		if (perf_rng_below(&g->rng, 2)) {
			q = 1 + perf_rng_below(&g->rng, QTY_MAX);
			if (q == o->qty)
				q = q > 1 ? q - 1 : 2;
		} else {
			px += (perf_rng_below(&g->rng, 2) ? 1 : -1) * inst_tick[o->ix];
		}
		m->kind = OP_REPLACE;
		m->sess = (uint8_t)s;
		m->u.r = (struct nx_nxp_cancel_replace){ .cl_ord_id = g->next_cl[s]++,
			.orig_cl_ord_id = o->cl, .price = px, .qty = q, .account = o->acct };
		return;
	}
	}
}

/* Append one message to the datagram being written. */
static int encode(struct nx_client *c, struct nx_nxp_writer *w, const struct msg *m)
{
	switch (m->kind) {
	case OP_CANCEL:
		return nx_client_cancel(c, w, &m->u.c) ? 0 : -1;
	case OP_REPLACE:
		return nx_client_replace(c, w, &m->u.r) ? 0 : -1;
	default:
		return nx_client_new_order(c, w, &m->u.n) ? 0 : -1;
	}
}

/* --- Timing ------------------------------------------------------------------- */

struct run {
	struct nx_engine *e;
	const struct arena *A;
	const struct nx_addr *addr;
	struct nx_out *out;
	size_t pf;         /* --prefetch: hint distance in datagrams; 0: no hints */
	size_t burst;      /* --burst: the appliances' hints over bursts of this many */
};

/* Before datagram i (of those below to), the engine's hints asked for:
 * with --prefetch, each stage s for the datagram (NX_BOOK_PF_STAGES - s) *
 * pf ahead, furthest first, as a caller holding an unbroken stream would;
 * with --burst, the appliances' schedule; else none. */
static NX_ALWAYS_INLINE void prefetch_ahead(const struct run *R, size_t i, size_t to)
{
	if (!R->pf && !R->burst)
		return;
	if (R->burst) { /* the appliances' schedule, bursts from multiples of burst */
		size_t b0 = i - i % R->burst, n = to - b0 < R->burst ? to - b0 : R->burst;
		nx_engine_prefetch_burst(R->e, R->A->dp + b0, R->A->dl + b0, (unsigned)n,
					 (unsigned)(i - b0));
		return;
	}
	const struct dgram *D = R->A->d;
	for (unsigned s = 0; s < NX_BOOK_PF_STAGES; s++) {
		size_t j = i + (NX_BOOK_PF_STAGES - s) * R->pf;
		if (j < to)
			nx_engine_prefetch(R->e, R->A->bytes + D[j].off, D[j].len, s);
	}
}

static void replay(struct run *R, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct dgram *d = &R->A->d[i];
		prefetch_ahead(R, i, to);
		nx_engine_rx(R->e, R->A->bytes + d->off, d->len, R->addr[d->sess], d->now, R->out);
		R->out->n = 0;
	}
}

/* Throughput: the whole segment, no per-call timing. */
NX_NOINLINE static uint64_t run_batch(struct run *R, size_t from, size_t to)
{
	const struct dgram *D = R->A->d;
	const uint8_t *bytes = R->A->bytes;
	uint64_t t0 = perf_tsc_begin();
	for (size_t i = from; i < to; i++) {
		prefetch_ahead(R, i, to);
		nx_engine_rx(R->e, bytes + D[i].off, D[i].len, R->addr[D[i].sess], D[i].now, R->out);
		R->out->n = 0;
	}
	return perf_tsc_end() - t0;
}

/* Latency: each nx_engine_rx between its own pair of TSC reads (with
 * --prefetch or --burst, the hints given before it, for later datagrams,
 * are inside the pair); trades[] gets the trades each call made (from the fill
 * counter, read outside the timed pair). */
NX_NOINLINE static void run_timed(struct run *R, size_t from, size_t to, uint32_t *lat,
				  uint32_t *trades)
{
	const struct dgram *D = R->A->d;
	const uint8_t *bytes = R->A->bytes;
	const struct nx_engine_stats *st = nx_engine_stats(R->e);
	uint64_t fills = st->fills;
	for (size_t i = from; i < to; i++) {
		uint64_t t0 = perf_tsc_begin();
		prefetch_ahead(R, i, to);
		nx_engine_rx(R->e, bytes + D[i].off, D[i].len, R->addr[D[i].sess], D[i].now, R->out);
		lat[i - from] = perf_sample(perf_tsc_end() - t0);
		R->out->n = 0;
		trades[i - from] = (uint32_t)((st->fills - fills) / 2); /* a fill per side */
		fills = st->fills;
	}
}

/* --- Cases -------------------------------------------------------------------- */

struct opts {
	size_t ops;        /* measured messages per case */
	size_t warm_ops;   /* mixed messages after the fill, untimed */
	uint32_t resting;  /* resting orders to keep */
	int reps;
	int cpu;
	uint64_t seed;
	const char *only;
	int hash;          /* --hash: print a digest of every reply datagram */
	size_t prefetch;   /* --prefetch N: hint distance in datagrams; 0: none */
	size_t burst;      /* --burst B: nx_engine_prefetch_burst over bursts of B */
};

struct bench {
	double tpns;
	struct opts o;
	struct venue v;
	struct nx_out out;
};

/* What a segment must reproduce on every pass. */
struct sig {
	uint64_t tx_msgs, tx_dgrams, fills, rejects, orders, cancels, replaces, overflow, drops;
};

static struct sig sig_of(const struct nx_engine *e)
{
	const struct nx_engine_stats *st = nx_engine_stats(e);
	struct sig s = { st->tx_msgs, st->tx_dgrams, st->fills, 0, st->orders, st->cancels,
			 st->replaces, st->out_overflow,
			 st->drop_malformed + st->drop_unbound + st->drop_unsequenced +
				 st->drop_duplicate + st->drop_direction + st->throttled };
	for (int r = 0; r < 256; r++)
		s.rejects += st->rejects[r];
	return s;
}

static struct sig sig_sub(struct sig a, struct sig b)
{
	return (struct sig){ a.tx_msgs - b.tx_msgs, a.tx_dgrams - b.tx_dgrams, a.fills - b.fills,
			     a.rejects - b.rejects, a.orders - b.orders, a.cancels - b.cancels,
			     a.replaces - b.replaces, a.overflow - b.overflow, a.drops - b.drops };
}

/* FNV-1a over every reply datagram (destination, length, bytes) of the whole
 * stream, warm-up included, on a fresh engine: two builds that print the same
 * digest sent the same bytes (--hash, for checking that a change to the
 * engine changed no output). */
static void print_hash(struct bench *B, const struct arena *A, const char *name)
{
	struct nx_engine *e = engine_up(&B->v, NULL, NULL, &B->out);
	uint64_t h = UINT64_C(0xcbf29ce484222325), bytes = 0, dgrams = 0;
	if (!e)
		return;
	struct run R = { e, A, B->v.addr, &B->out, B->o.prefetch, B->o.burst };
	for (size_t i = 0; i < A->nd; i++) {
		const struct dgram *d = &A->d[i];
		prefetch_ahead(&R, i, A->nd); /* hints change no byte: the same digest */
		nx_engine_rx(e, A->bytes + d->off, d->len, B->v.addr[d->sess], d->now, &B->out);
		for (uint32_t k = 0; k < B->out.n; k++) {
			const struct nx_out_dgram *o = &B->out.d[k];
			uint8_t head[8];
			memcpy(head, &o->to.ip, 4);
			memcpy(head + 4, &o->to.port, 2);
			memcpy(head + 6, &o->len, 2);
			for (size_t j = 0; j < sizeof(head); j++)
				h = (h ^ head[j]) * UINT64_C(0x100000001b3);
			for (size_t j = 0; j < o->len; j++)
				h = (h ^ o->data[j]) * UINT64_C(0x100000001b3);
			bytes += o->len;
			dgrams++;
		}
		B->out.n = 0;
	}
	nx_engine_destroy(e);
	printf("bench_engine hash case=%s in_dgrams=%zu out_dgrams=%llu out_bytes=%llu fnv1a=%016llx\n",
	       name, A->nd, (unsigned long long)dgrams, (unsigned long long)bytes,
	       (unsigned long long)h);
}

/* A fresh engine at the start of the measured segment. */
static struct nx_engine *fresh(struct bench *B, const struct arena *A, size_t nwarm_dg,
			       struct run *R)
{
	struct nx_engine *e = engine_up(&B->v, NULL, NULL, &B->out);
	if (!e)
		return NULL;
	*R = (struct run){ e, A, B->v.addr, &B->out, B->o.prefetch, B->o.burst };
	replay(R, 0, nwarm_dg);
	return e;
}

/* 0 when the arena has room for one more datagram of up to bytes. */
static int arena_room(const struct arena *A, size_t bytes)
{
	if (A->nd == A->dcap || A->used + bytes > A->cap)
		return -1;
	return 0;
}

static int run_case(struct bench *B, const char *name, int per)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct arena A = { 0 };
	struct nx_engine *shadow = NULL;
	uint32_t *lat = NULL, *scratch = NULL, *trades = NULL;
	const char *why = "out of memory";
	int rc = -1;
	size_t nfill = B->o.resting, nwarm = nfill + B->o.warm_ops, ntot = nwarm + B->o.ops;
	size_t fill_dg = (nfill + per - 1) / per, warm_dg = fill_dg + (B->o.warm_ops + per - 1) / per;
	size_t tot_dg = warm_dg + (B->o.ops + per - 1) / per, meas_dg = tot_dg - warm_dg;
	size_t dg_bytes = NX_NXP_OVERHEAD + NX_NXP_SEQUENCE_BLOCK_LEN +
			  (size_t)per * (NX_NXP_OVERHEAD + NX_NXP_NEW_ORDER_BLOCK_LEN);
	if (!g)
		goto out;
	A.cap = tot_dg * dg_bytes;
	A.dcap = tot_dg;
	A.bytes = malloc(A.cap);
	A.d = malloc(A.dcap * sizeof(*A.d));
	lat = malloc(meas_dg * sizeof(*lat));
	scratch = malloc(meas_dg * sizeof(*scratch));
	trades = malloc(meas_dg * sizeof(*trades));
	perf_rng_seed(&g->rng, B->o.seed ^ ((uint64_t)per << 32) ^ B->o.resting);
	g->target = B->o.resting;
	g->lv.pos_cap = ntot + 2;
	g->lv.pos = calloc(g->lv.pos_cap, sizeof(*g->lv.pos));
	g->lv.live = calloc((size_t)B->v.cfg.max_orders + 1, sizeof(*g->lv.live));
	if (!A.bytes || !A.d || !lat || !scratch || !trades || !g->lv.pos || !g->lv.live)
		goto out;
	double side_depth = (double)B->o.resting / (2.0 * NINST);
	double deep_mean = side_depth / DEEP_PER_LEVEL;
	g->log1m_near = log(1.0 - 1.0 / (1.0 + NEAR_MEAN));
	g->log1m_deep = log(1.0 - 1.0 / (1.0 + deep_mean));
	g->deep_cap = (int64_t)(6 * deep_mean) + 8;
	why = "the deep book does not fit the ladder";
	if (2 * MID_BAND + g->deep_cap + 64 >= LADDER_TICKS)
		goto out;
	for (int i = 0; i < NINST; i++)
		g->mid[i] = MID0_TICKS;
	for (int s = 0; s < NSESS; s++)
		g->next_cl[s] = 1;

	/* 1. Generate against the shadow engine. */
	double tg = perf_now_s();
	why = "engine setup failed";
	if (!(shadow = engine_up(&B->v, track_tap, g, &B->out)))
		goto out;
	g->book = nx_engine_book(shadow);
	struct nx_client cl[NSESS];
	for (int s = 0; s < NSESS; s++)
		client_init(&B->v, &cl[s], s);
	struct sig s_warm = { 0 };
	uint64_t intended = 0, intended_warm = 0, trades_aggr_warm = 0;
	uint32_t resting_start = 0;
	size_t nmsg = 0;
	uint64_t now = T0_NS;
	why = "a datagram did not fit";
	for (size_t di = 0; di < tot_dg; di++) {
		if (di == warm_dg) {
			s_warm = sig_of(shadow);
			trades_aggr_warm = g->trades_aggr;
			intended_warm = intended;
			memset(g->kinds, 0, sizeof(g->kinds));
			g->fed_back = 0;
			resting_start = g->lv.nlive;
		}
		struct msg m[MSGS_MAX];
		int n = 0, sess = per == 1 ? -1 : (int)any_sess(g), has_aggr = 0;
		/* A datagram never spans the fill, the warm-up and the measured
		 * segment: their datagram counts above hold, and the measured
		 * datagrams carry exactly --ops messages. */
		size_t lim = di < fill_dg ? nfill : di < warm_dg ? nwarm : ntot;
		g->ntaken = 0;
		for (; n < per && nmsg + (size_t)n < lim; n++) {
			if (nmsg + (size_t)n < nfill)
				gen_add(g, &m[n], sess < 0 ? any_sess(g) : (uint32_t)sess, 0);
			else
				gen_mixed(g, &m[n], sess, has_aggr);
			has_aggr |= m[n].kind == OP_AGGR;
		}
		/* At most one aggressive order a datagram, and last: it was priced
		 * on the book as it stood before the datagram. */
		for (int k = 0; k + 1 < n; k++)
			if (m[k].kind == OP_AGGR) {
				struct msg t = m[k];
				m[k] = m[n - 1];
				m[n - 1] = t;
				break;
			}
		int s = m[0].sess;
		struct dgram *d = &A.d[A.nd];
		struct nx_nxp_writer w;
		if (arena_room(&A, dg_bytes))
			goto out;
		now += (uint64_t)n * NS_PER_MSG;
		*d = (struct dgram){ .now = now, .off = A.used, .sess = (uint8_t)s, .kind = m[0].kind,
				     .nmsg = (uint8_t)n };
		if (!nx_client_begin(&cl[s], &w, A.bytes + A.used, dg_bytes))
			goto out;
		for (int k = 0; k < n; k++) {
			if (m[k].sess != s || encode(&cl[s], &w, &m[k]))
				goto out;
			g->kinds[m[k].kind]++;
			intended += m[k].kind == OP_RISK;
		}
		d->len = (uint16_t)w.len;
		A.used += w.len;
		A.nd++;
		nmsg += (size_t)n;
		uint64_t tr = g->lv.ev[NX_EV_TRADE];
		nx_engine_rx(shadow, A.bytes + d->off, d->len, B->v.addr[s], now, &B->out);
		B->out.n = 0;
		if (m[n - 1].kind == OP_AGGR)
			g->trades_aggr += g->lv.ev[NX_EV_TRADE] - tr;
	}
	struct sig s_meas = sig_sub(sig_of(shadow), s_warm);
	const struct nx_engine_stats *st = nx_engine_stats(shadow);
	uint64_t risk_rej = st->rejects[NX_REJ_RISK_PRICE_COLLAR] + st->rejects[NX_REJ_RISK_MAX_NOTIONAL];
	uint64_t unexpected = sig_of(shadow).rejects - intended;
	uint64_t trades_aggr = g->trades_aggr - trades_aggr_warm;
	tg = perf_now_s() - tg;
	why = "an order id beyond the tracker";
	if (g->lv.overflow)
		goto out;
	why = "risk rejected other than the intended orders";
	if (risk_rej != intended)
		goto out;
	/* msg1 is exact. In msg8 a message can meet an order another message of
	 * its datagram just filled or moved (rare): allowed, and reported. */
	why = "unexpected rejects: the generator is wrong";
	if (per == 1 ? unexpected != 0 : unexpected * 100 > ntot)
		goto out;
	why = "messages dropped, throttled or not sent";
	if (s_meas.drops || s_meas.overflow)
		goto out;
	nx_engine_destroy(shadow);
	shadow = NULL;

	size_t n = B->o.ops;
	struct run R;
	if (B->o.burst) {
		why = "out of memory";
		A.dp = malloc(A.nd * sizeof(*A.dp));
		A.dl = malloc(A.nd * sizeof(*A.dl));
		if (!A.dp || !A.dl)
			goto out;
		for (size_t k = 0; k < A.nd; k++) {
			A.dp[k] = A.bytes + A.d[k].off;
			A.dl[k] = A.d[k].len;
		}
	}
	why = "engine setup failed";
	if (B->o.hash)
		print_hash(B, &A, name);

	/* 2. Throughput: the median of reps batches, each on a fresh engine. */
	double mops[PERF_MAX_REPS], mops_cpu[PERF_MAX_REPS];
	long csw = 0;
	int reps = B->o.reps < PERF_MAX_REPS ? B->o.reps : PERF_MAX_REPS;
	for (int r = 0; r < reps; r++) {
		struct nx_engine *e = fresh(B, &A, warm_dg, &R);
		if (!e)
			goto out;
		struct sig s0 = sig_of(e);
		long csw0 = perf_nivcsw();
		double c0 = perf_clock_s(CLOCK_THREAD_CPUTIME_ID);
		uint64_t ticks = run_batch(&R, warm_dg, tot_dg);
		double cpu = perf_clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		csw += perf_nivcsw() - csw0;
		struct sig d = sig_sub(sig_of(e), s0);
		nx_engine_destroy(e);
		why = "replay diverged from generation";
		if (memcmp(&d, &s_meas, sizeof(d)))
			goto out;
		mops[r] = (double)n / ((double)ticks / B->tpns) * 1e3;
		mops_cpu[r] = (double)n / cpu * 1e-6;
	}
	double mops_med = perf_median(mops, reps), mops_cpu_med = perf_median(mops_cpu, reps);

	/* 3. Latency, one nx_engine_rx at a time. */
	why = "engine setup failed";
	struct nx_engine *e = fresh(B, &A, warm_dg, &R);
	if (!e)
		goto out;
	struct sig s0 = sig_of(e);
	long csw_timed = perf_nivcsw();
	run_timed(&R, warm_dg, tot_dg, lat, trades);
	csw_timed = perf_nivcsw() - csw_timed;
	struct sig d = sig_sub(sig_of(e), s0);
	uint32_t resting_end = nx_book_order_count(nx_engine_book(e));
	long huge_mb = perf_anon_huge_mb();
	nx_engine_destroy(e);
	why = "replay diverged from generation";
	if (memcmp(&d, &s_meas, sizeof(d)))
		goto out;

	const struct dgram *md = A.d + warm_dg;
	if (per == 1) {
		struct perf_pct pk[NKIND];
		size_t nk[NKIND];
		for (int k = 0; k < NKIND; k++) {
			nk[k] = 0;
			for (size_t i = 0; i < meas_dg; i++)
				if (md[i].kind == k)
					scratch[nk[k]++] = lat[i];
			pk[k] = perf_percentiles(scratch, nk[k], B->tpns);
		}
		/* The trade buckets need lat in message order: take them before
		 * perf_percentiles sorts lat in place for the whole case. */
		for (size_t i = 0; i < meas_dg; i++)
			if (md[i].kind != OP_AGGR)
				trades[i] = PERF_NOT_AGGRESSIVE;
		struct perf_trades tp = perf_by_trades(B->tpns, lat, trades, meas_dg, scratch);
		struct perf_pct all = perf_percentiles(lat, meas_dg, B->tpns); /* sorts lat */
		perf_print_case("bench_engine", name, n, mops_med, all);
		for (int k = 0; k < NKIND; k++) {
			char sub[64];
			snprintf(sub, sizeof(sub), "%s/%s", name, kind_name[k]);
			perf_print_case("bench_engine", sub, nk[k], pk[k].mean > 0 ? 1e3 / pk[k].mean : 0,
					pk[k]);
		}
		perf_print_by_trades("bench_engine", name, &tp);
	} else {
		/* Per message: each datagram's time shared by its messages (all
		 * but the last datagram of --ops not a multiple of 8 hold 8; the
		 * last one is scaled to its own count). */
		for (size_t i = 0; i < meas_dg; i++) {
			uint64_t t = (uint64_t)lat[i] * (uint64_t)per / md[i].nmsg;
			scratch[i] = perf_sample(t);
		}
		struct perf_pct pm = perf_percentiles(scratch, meas_dg, B->tpns * per);
		struct perf_pct dg = perf_percentiles(lat, meas_dg, B->tpns);
		perf_print_case("bench_engine", name, n, mops_med, pm);
		char sub[64];
		snprintf(sub, sizeof(sub), "%s/dgram", name);
		perf_print_case("bench_engine", sub, meas_dg, mops_med * (double)meas_dg / (double)n, dg);
	}
	printf("bench_engine info case=%s mops_reps=", name);
	for (int r = 0; r < reps; r++)
		printf("%s%.2f", r ? "," : "", mops[r]);
	printf(" mops_cpu=%.2f preempted_batch=%ld preempted_timed=%ld huge_mb=%ld", mops_cpu_med,
	       csw, csw_timed, huge_mb);
	printf(" msgs_per_dgram=%d resting_start=%u resting_end=%u mix_add=%.1f%% mix_cancel=%.1f%% "
	       "mix_replace=%.1f%% mix_aggr=%.1f%% mix_risk=%.1f%% fed_back=%.1f%% "
	       "trades_per_aggr=%.1f replies_per_msg=%.2f reply_dgrams_per_dgram=%.2f "
	       "rejects_intended=%llu rejects_other=%llu gen_s=%.2f\n",
	       per, resting_start, resting_end, 100.0 * g->kinds[OP_ADD] / n,
	       100.0 * g->kinds[OP_CANCEL] / n, 100.0 * g->kinds[OP_REPLACE] / n,
	       100.0 * g->kinds[OP_AGGR] / n, 100.0 * g->kinds[OP_RISK] / n, 100.0 * g->fed_back / n,
	       g->kinds[OP_AGGR] ? (double)trades_aggr / g->kinds[OP_AGGR] : 0,
	       (double)s_meas.tx_msgs / (double)n, (double)s_meas.tx_dgrams / (double)meas_dg,
	       (unsigned long long)(intended - intended_warm),
	       (unsigned long long)(s_meas.rejects - (intended - intended_warm)), tg);
	fflush(stdout);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench_engine: %s: %s\n", name, why);
	nx_engine_destroy(shadow);
	if (g) {
		free(g->lv.pos);
		free(g->lv.live);
	}
	free(g);
	free(A.bytes);
	free(A.d);
	free(A.dp);
	free(A.dl);
	free(lat);
	free(scratch);
	free(trades);
	return rc;
}

/* --- main ------------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr, "usage: bench_engine [--quick] [--ops N] [--warm N] [--reps N] [--cpu N]\n"
			"                    [--seed N] [--resting N] [--case msg1|msg8] [--hash]\n"
			"                    [--prefetch N | --burst B]\n"
			"  --hash prints a digest of every reply datagram of each case's stream\n"
			"    (fresh engine, untimed): equal digests, equal output\n"
			"  --prefetch N gives the engine's prefetch hint (nx_engine_prefetch),\n"
			"    stage s for the datagram (3 - s) * N ahead, before each datagram\n"
			"  --burst B gives them as nanoex does, nx_engine_prefetch_burst over\n"
			"    bursts of B datagrams\n");
}

int main(int argc, char **argv)
{
	static struct nx_out_dgram out_d[OUT_CAP];
	struct bench B;
	memset(&B, 0, sizeof(B));
	B.o = (struct opts){ .ops = 2000000, .warm_ops = 200000, .resting = 10000, .reps = 3,
			     .cpu = -1, .seed = 42 };
	for (int i = 1; i < argc; i++) {
		if (perf_opt(argc, argv, &i, &B.o.reps, &B.o.cpu, &B.o.seed))
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			B.o.ops = 200000;
			B.o.warm_ops = 20000;
			B.o.reps = 1;
		} else if (!strcmp(a, "--ops") && v) {
			B.o.ops = perf_opt_size(a, v, 1, 1000000000), i++;
		} else if (!strcmp(a, "--warm") && v) {
			B.o.warm_ops = perf_opt_size(a, v, 0, 1000000000), i++;
		} else if (!strcmp(a, "--resting") && v) {
			B.o.resting = (uint32_t)perf_opt_size(a, v, 0, (uint64_t)MAX_ORDERS * 20 / 21), i++;
		} else if (!strcmp(a, "--case") && v) {
			B.o.only = v, i++;
		} else if (!strcmp(a, "--hash")) {
			B.o.hash = 1;
		} else if (!strcmp(a, "--prefetch") && v) {
			B.o.prefetch = perf_opt_size(a, v, 0, 1000000), i++;
		} else if (!strcmp(a, "--burst") && v) {
			B.o.burst = perf_opt_size(a, v, 0, 1024), i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!B.o.ops || B.o.reps < 1 || (uint64_t)B.o.resting * 21 / 20 > MAX_ORDERS ||
	    (B.o.prefetch && B.o.burst)) {
		usage();
		return 2;
	}
	venue_build(&B.v, MAX_ORDERS);
	if (B.o.prefetch || B.o.burst)
		B.v.cfg.prefetch_min_orders = 1; /* hints at any depth: their raw effect */
	B.out = (struct nx_out){ .d = out_d, .cap = OUT_CAP };

	int cpu = perf_pin_idlest("bench_engine", B.o.cpu, &B.tpns);
	if (cpu < 0)
		return 1;
	uint32_t ovh = perf_tsc_overhead();
	perf_print_topology("bench_engine", cpu, B.tpns);
	printf("bench_engine config instruments=%d sessions=%d accounts=%d max_orders=%u "
	       "ladder_ticks=%u history=%u resting=%u ops=%zu warm_ops=%zu reps=%d seed=%llu "
	       "prefetch=%zu burst=%zu tsc_overhead_ticks=%u tsc_overhead_ns=%.1f (included in "
	       "latencies)\n",
	       NINST, NSESS, NSESS, B.v.cfg.max_orders, LADDER_TICKS, HISTORY, B.o.resting, B.o.ops,
	       B.o.warm_ops, B.o.reps, (unsigned long long)B.o.seed, B.o.prefetch, B.o.burst, ovh,
	       ovh / B.tpns);
	fflush(stdout);

	static const struct { const char *name; int per; } cases[] = {
		{ "msg1", 1 },
		{ "msg8", 8 },
	};
	int rc = 0, ran = 0;
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases); i++) {
		if (B.o.only && strcmp(B.o.only, cases[i].name))
			continue;
		ran++;
		if (run_case(&B, cases[i].name, cases[i].per)) {
			rc = 1;
			break;
		}
	}
	if (!ran) {
		usage();
		rc = 2;
	}
	return rc;
}
