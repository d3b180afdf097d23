/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * bench_risk: the pre-trade checks alone, nx_risk_check_new and
 * nx_risk_check_replace, on a populated risk state, with a mix of passing
 * and failing checks. One greppable line per case, then one per outcome
 * (pass, or the reject reason's name in lower case):
 *
 *   bench_risk case=new_hot ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *   bench_risk case=new_hot/position_limit ops=N mops=X ...
 *
 * On a case line mops is the throughput of untimed batches (the median of
 * --reps); on an outcome line it is 1000 / mean_ns of the timed calls.
 *
 * The state: 64 instruments (ticks 1, 5, 10, 25 in turn, reference price
 * 1e6 ticks, collar 5000 ticks) and 4096 accounts, built through
 * nx_risk_on_event as the book would report it: each account holds a
 * position in 4 to 12 instruments (an ACCEPTED and a FILL of 10 to 1000
 * lots, either side, at the reference) and has 8 to 32 open orders (ACCEPTED,
 * 1 to 100 lots, within 50 ticks of the reference). Limits: max order
 * notional 1e13, position 50,000 lots, credit 1e15, 1000 open orders;
 * except one account in 50 of each of these roles: killed; at its open
 * order limit; within 1e9 of its credit limit; restricted from 4
 * instruments. That is 4096 x 64 position cells (6 MB, and 2 MB of their
 * exposure terms) plus the accounts.
 *
 * The flow, in 1/1000: 900 pass (a normal account, an instrument it may
 * trade, a price within the collar, 1 to 100 lots); 30 outside the collar,
 * 20 above the maximum notional, 20 over the position limit, 20 over the
 * credit limit (a credit-tight account), 5 at the open order limit, 3
 * restricted, 2 from a killed account. Replaces change a live order's
 * quantity or price (pass), or push it past the collar, the notional, the
 * position or the credit limit, or come from a killed account, in the
 * same proportions (the open order and restricted checks do not fail a
 * replace). Each outcome is taken from the check itself during generation;
 * every timed pass must reproduce it.
 *
 * Cases: *_hot draw accounts from the first 64 (the active traders: state
 * in L1/L2), *_all from all 4096 (state spread over ~10 MB: L2 misses).
 * new_moving is new_hot with references that move: one check in 8 first
 * sets its instrument's reference 1 to 20 ticks away (an external price)
 * and clears it after, untimed, so the credit check's bounds loosen as in
 * a market that moves and the checks near a limit walk (walks_pass on the
 * info line). Its batch throughput includes the moves.
 * Timing: pinned to the idlest allowed CPU (or --cpu); an untimed warm-up
 * pass, untimed batches for throughput, then an lfence;rdtsc /
 * rdtscp;lfence pair around every call (its cost printed, included).
 */
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/reason.h"
#include "nx/risk.h"
#include "perf_util.h"

#define NINST 64
#define NACCT 4096
#define HOT 64               /* accounts of the *_hot cases */
#define REF_TICKS 1000000
#define BAND_TICKS 5000
#define NEAR_TICKS 50        /* open orders and passing orders: within 50 ticks of the ref */
#define QTY_MAX 100
#define MAX_NOTIONAL INT64_C(10000000000000) /* 1e13 */
#define POS_LIMIT 50000
#define CREDIT INT64_C(1000000000000000)     /* 1e15 */
#define CREDIT_MARGIN INT64_C(1000000000)    /* tight accounts: 1e9 of room */
#define MAX_OPEN 1000
#define ROLE_EVERY 50        /* one account in 50 of each special role */
#define NRESTRICTED 4
#define MOVE_EVERY 8         /* *_moving: one check in 8 moves its instrument's reference */
#define MOVE_TICKS 20        /* by 1 to 20 ticks, up or down */

enum role { R_NORMAL, R_KILLED, R_MAXED, R_TIGHT, R_RESTRICTED };

/* Flow in 1/1000, by intended outcome. */
enum want { W_PASS, W_COLLAR, W_NOTIONAL, W_POSITION, W_CREDIT, W_OPEN, W_RESTRICTED, W_KILL, NWANT };
static const unsigned want_per_1000[NWANT] = { 900, 30, 20, 20, 20, 5, 3, 2 };

static const int64_t tick_of[4] = { 1, 5, 10, 25 };

struct open_ord {
	nx_acct_t acct;
	nx_inst_t inst;
	uint8_t side;
	nx_px_t px;
	nx_qty_t qty;
};

struct call {
	uint8_t replace;
	uint8_t outcome; /* the check's answer: 0 or a reason */
	struct nx_risk_order o; /* new: the order; replace: the new price and quantity */
	nx_px_t old_px;
	nx_qty_t old_qty;
	nx_px_t move_px; /* *_moving: the order's instrument's reference for this
			    check (0: unmoved); set before it and cleared after */
};

struct state {
	struct nx_risk *r;
	void *mem;
	size_t memlen;
	uint8_t role[NACCT + 1];
	nx_inst_t restricted[NACCT + 1][NRESTRICTED];
	struct open_ord *open;    /* every open order, by account: [first[a], first[a+1]) */
	uint32_t first[NACCT + 2];
	uint32_t nopen;
};

static int64_t tick(nx_inst_t inst) { return tick_of[(inst - 1) % 4]; }
static nx_px_t ref(nx_inst_t inst) { return REF_TICKS * tick(inst); }

static enum role role_of(nx_acct_t a)
{
	switch (a % ROLE_EVERY) {
	case 7: return R_KILLED;
	case 17: return R_MAXED;
	case 27: return R_TIGHT;
	case 37: return R_RESTRICTED;
	default: return R_NORMAL;
	}
}

static int is_restricted(const struct state *S, nx_acct_t a, nx_inst_t inst)
{
	if (S->role[a] != R_RESTRICTED)
		return 0;
	for (int k = 0; k < NRESTRICTED; k++)
		if (S->restricted[a][k] == inst)
			return 1;
	return 0;
}

static void feed(struct nx_risk *r, const struct nx_event *ev) { nx_risk_on_event(r, ev); }

static void ev_accepted(struct nx_risk *r, nx_acct_t a, nx_inst_t inst, uint8_t side, nx_px_t px,
			nx_qty_t qty)
{
	struct nx_event ev = { .type = NX_EV_ACCEPTED };
	ev.u.order = (struct nx_ev_order){ .acct = a, .inst = inst, .px = px, .qty = qty,
					   .side = side, .type = NX_ORD_LIMIT, .tif = NX_TIF_GTC };
	feed(r, &ev);
}

/* Build the state; 0 or -1. */
static int state_build(struct state *S, struct perf_rng *rng)
{
	struct nx_risk_config rc = { .max_accounts = NACCT, .max_instruments = NINST };
	size_t len = nx_risk_memsize(&rc);
	if (!len || !(S->mem = perf_map_huge(len, &S->memlen)) ||
	    !(S->r = nx_risk_init(S->mem, S->memlen, &rc)))
		return -1;
	for (nx_inst_t i = 1; i <= NINST; i++) {
		struct nx_instrument in;
		memset(&in, 0, sizeof(in));
		in.id = i;
		snprintf(in.symbol, sizeof(in.symbol), "I%u", i);
		in.tick = tick(i);
		in.band_ticks = BAND_TICKS;
		in.ref_px = ref(i);
		nx_instrument_defaults(&in);
		if (nx_risk_add_instrument(S->r, &in))
			return -1;
	}
	for (nx_acct_t a = 1; a <= NACCT; a++) {
		struct nx_account_config ac = { .id = a, .limits = { .max_order_notional = MAX_NOTIONAL,
			.position_limit = POS_LIMIT, .credit_limit = CREDIT, .max_open_orders = MAX_OPEN,
			.msg_rate = 1000, .msg_burst = 100 } };
		S->role[a] = (uint8_t)role_of(a);
		if (S->role[a] == R_RESTRICTED) {
			for (int k = 0; k < NRESTRICTED; k++) /* distinct: a stride through the list */
				S->restricted[a][k] = 1 + (a + (nx_inst_t)k * 16) % NINST;
			ac.nrestricted = NRESTRICTED;
			ac.restricted = S->restricted[a];
		}
		if (nx_risk_add_account(S->r, &ac))
			return -1;
	}
	/* Positions: an order filled at once. Then the open orders. */
	S->open = calloc((size_t)NACCT * 32, sizeof(*S->open));
	if (!S->open)
		return -1;
	for (nx_acct_t a = 1; a <= NACCT; a++) {
		int npos = 4 + (int)perf_rng_below(rng, 9);
		for (int k = 0; k < npos; k++) {
			nx_inst_t inst = 1 + perf_rng_below(rng, NINST);
			uint8_t side = (uint8_t)(1 + perf_rng_below(rng, 2));
			nx_qty_t q = 10 + perf_rng_below(rng, 991);
			ev_accepted(S->r, a, inst, side, ref(inst), q);
			/* filled against account 0, which risk does not know: only
			 * a's position moves */
			struct nx_event ev = { .type = NX_EV_TRADE };
			ev.u.trade = (struct nx_ev_trade){ .inst = inst, .px = ref(inst), .qty = q,
				.aggressor = (uint8_t)nx_side_other(side),
				.maker = { .acct = a, .inst = inst, .px = ref(inst), .qty = q,
					   .leaves = 0, .cum = q, .order_px = ref(inst), .side = side,
					   .liq = NX_LIQ_MAKER } };
			feed(S->r, &ev);
		}
		S->first[a] = S->nopen;
		int nopen = 8 + (int)perf_rng_below(rng, 25);
		for (int k = 0; k < nopen; k++) {
			nx_inst_t inst;
			do
				inst = 1 + perf_rng_below(rng, NINST);
			while (is_restricted(S, a, inst));
			uint8_t side = (uint8_t)(1 + perf_rng_below(rng, 2));
			int64_t off = 1 + perf_rng_below(rng, NEAR_TICKS);
			nx_px_t px = ref(inst) + (side == NX_SIDE_BUY ? -off : off) * tick(inst);
			nx_qty_t q = 1 + perf_rng_below(rng, QTY_MAX);
			ev_accepted(S->r, a, inst, side, px, q);
			S->open[S->nopen++] = (struct open_ord){ a, inst, side, px, q };
		}
	}
	S->first[NACCT + 1] = S->nopen;
	/* The roles that depend on the state just built. */
	for (nx_acct_t a = 1; a <= NACCT; a++) {
		struct nx_risk_exposure x;
		if (S->role[a] == R_KILLED && nx_risk_set_kill(S->r, NX_KILL_ACCOUNT, a, 1))
			return -1;
		if (S->role[a] == R_MAXED && (nx_risk_exposure(S->r, a, 1, &x) ||
		    nx_risk_set_limit(S->r, a, NX_LIMIT_MAX_OPEN_ORDERS, x.open_orders)))
			return -1;
		if (S->role[a] == R_TIGHT) {
			/* Credit in use: open notional plus |position| x reference, summed. */
			int64_t used = 0;
			for (nx_inst_t i = 1; i <= NINST; i++) {
				if (nx_risk_exposure(S->r, a, i, &x))
					return -1;
				used += (x.position < 0 ? -x.position : x.position) * x.ref_px;
			}
			used += x.open_notional;
			if (nx_risk_set_limit(S->r, a, NX_LIMIT_CREDIT, used + CREDIT_MARGIN))
				return -1;
		}
	}
	return 0;
}

/* --- Generation ---------------------------------------------------------------- */

static nx_acct_t pick_acct(struct perf_rng *rng, const struct state *S, uint32_t pool, enum role want)
{
	for (;;) {
		nx_acct_t a = 1 + perf_rng_below(rng, pool);
		if (S->role[a] == want)
			return a;
	}
}

static nx_inst_t pick_inst(struct perf_rng *rng, const struct state *S, nx_acct_t a)
{
	nx_inst_t inst;
	do
		inst = 1 + perf_rng_below(rng, NINST);
	while (is_restricted(S, a, inst));
	return inst;
}

static enum want pick_want(struct perf_rng *rng, int replace)
{
	for (;;) {
		uint32_t w = perf_rng_below(rng, 1000);
		int k = 0;
		while (w >= want_per_1000[k])
			w -= want_per_1000[k++];
		if (!replace || (k != W_OPEN && k != W_RESTRICTED))
			return (enum want)k;
	}
}

/* One new-order check meant to end as want. */
static void gen_new(struct perf_rng *rng, const struct state *S, uint32_t pool, enum want want,
		    struct nx_risk_order *o)
{
	enum role role = want == W_CREDIT ? R_TIGHT : want == W_OPEN ? R_MAXED
		       : want == W_RESTRICTED ? R_RESTRICTED : want == W_KILL ? R_KILLED : R_NORMAL;
	nx_acct_t a = pick_acct(rng, S, pool, role);
	nx_inst_t inst = want == W_RESTRICTED ? S->restricted[a][perf_rng_below(rng, NRESTRICTED)]
					      : pick_inst(rng, S, a);
	uint8_t side = (uint8_t)(1 + perf_rng_below(rng, 2));
	int64_t tk = tick(inst), off = 1 + perf_rng_below(rng, NEAR_TICKS);
	nx_px_t px = ref(inst) + (side == NX_SIDE_BUY ? -off : off) * tk;
	nx_qty_t qty = 1 + perf_rng_below(rng, QTY_MAX);
	struct nx_risk_exposure x;
	switch (want) {
	case W_COLLAR:
		px = ref(inst) + (side == NX_SIDE_BUY ? 1 : -1) * (BAND_TICKS + off) * tk;
		break;
	case W_NOTIONAL:
		qty = MAX_NOTIONAL / px + 1 + perf_rng_below(rng, QTY_MAX);
		break;
	case W_POSITION:
		nx_risk_exposure(S->r, a, inst, &x);
		qty = POS_LIMIT - (side == NX_SIDE_BUY ? x.position + x.open_buy : x.open_sell - x.position) +
		      1 + perf_rng_below(rng, QTY_MAX);
		break;
	case W_CREDIT:
		qty = CREDIT_MARGIN / px + 1 + perf_rng_below(rng, QTY_MAX);
		break;
	default:
		break;
	}
	*o = (struct nx_risk_order){ .acct = a, .inst = inst, .side = side, .px = px, .qty = qty };
}

/* One replace check meant to end as want: a live order of a fitting account. */
static void gen_replace(struct perf_rng *rng, const struct state *S, uint32_t pool,
			enum want want, struct call *c)
{
	enum role role = want == W_CREDIT ? R_TIGHT : want == W_KILL ? R_KILLED : R_NORMAL;
	nx_acct_t a = pick_acct(rng, S, pool, role);
	const struct open_ord *oo = &S->open[S->first[a] +
		perf_rng_below(rng, S->first[a + 1] - S->first[a])];
	int64_t tk = tick(oo->inst);
	nx_px_t px = oo->px;
	nx_qty_t qty = oo->qty;
	struct nx_risk_exposure x;
	switch (want) {
	case W_COLLAR:
		px = ref(oo->inst) + (oo->side == NX_SIDE_BUY ? 1 : -1) * (BAND_TICKS + 1) * tk;
		break;
	case W_NOTIONAL:
		qty = MAX_NOTIONAL / px + 1 + perf_rng_below(rng, QTY_MAX);
		break;
	case W_POSITION:
		nx_risk_exposure(S->r, a, oo->inst, &x);
		qty = oo->qty + POS_LIMIT + 1 + perf_rng_below(rng, QTY_MAX) -
		      (oo->side == NX_SIDE_BUY ? x.position + x.open_buy : x.open_sell - x.position);
		break;
	case W_CREDIT:
		qty = oo->qty + CREDIT_MARGIN / px + 1 + perf_rng_below(rng, QTY_MAX);
		break;
	default: /* pass (or a killed account's ordinary replace) */
		if (perf_rng_below(rng, 2))
			qty = 1 + perf_rng_below(rng, QTY_MAX);
		else
			px += (perf_rng_below(rng, 2) ? 1 : -1) * tk;
		break;
	}
	c->o = (struct nx_risk_order){ .acct = a, .inst = oo->inst, .side = oo->side, .px = px,
				       .qty = qty };
	c->old_px = oo->px;
	c->old_qty = oo->qty;
}

/* A moved reference: an external price set before the check and cleared
 * after (back to the last trade), so every pass sees the same references
 * and gives the same outcomes, while the shard's sum of moves grows. */
static NX_ALWAYS_INLINE void move_ref(struct nx_risk *r, const struct call *c, int back)
{
	if (NX_UNLIKELY(c->move_px))
		nx_risk_set_ref_px(r, c->o.inst, back ? 0 : c->move_px);
}

static NX_ALWAYS_INLINE unsigned do_call(struct nx_risk *r, const struct call *c)
{
	if (c->replace)
		return nx_risk_check_replace(r, c->o.acct, c->o.inst, c->o.side, c->old_px, c->old_qty,
					     c->o.px, c->o.qty);
	return nx_risk_check_new(r, &c->o);
}

/* --- Timing ------------------------------------------------------------------------ */

/* Throughput: every call, no per-call timing. Returns ticks; *bad counts
 * answers that differ from generation. */
NX_NOINLINE static uint64_t run_batch(struct nx_risk *r, const struct call *c, size_t n,
				      size_t *bad)
{
	size_t diff = 0;
	uint64_t t0 = perf_tsc_begin();
	for (size_t i = 0; i < n; i++) {
		move_ref(r, &c[i], 0);
		diff += do_call(r, &c[i]) != c[i].outcome;
		move_ref(r, &c[i], 1);
	}
	uint64_t t = perf_tsc_end() - t0;
	*bad = diff;
	return t;
}

NX_NOINLINE static size_t run_timed(struct nx_risk *r, const struct call *c, size_t n,
				    uint32_t *lat)
{
	size_t diff = 0;
	for (size_t i = 0; i < n; i++) {
		move_ref(r, &c[i], 0);
		uint64_t t0 = perf_tsc_begin();
		unsigned why = do_call(r, &c[i]);
		lat[i] = perf_sample(perf_tsc_end() - t0);
		move_ref(r, &c[i], 1);
		diff += why != c[i].outcome;
	}
	return diff;
}

/* --- Cases -------------------------------------------------------------------------- */

struct opts {
	size_t ops;
	int reps, cpu;
	uint64_t seed;
	const char *only;
};

static const char *outcome_name(unsigned why, char *buf, size_t len)
{
	if (!why)
		return "pass";
	snprintf(buf, len, "%s", nx_reject_name(why));
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return buf;
}

static int run_case(const struct opts *O, const struct state *S, double tpns, const char *name,
		    int replace, int moving, uint32_t pool, struct call *calls, uint32_t *lat,
		    uint32_t *scratch)
{
	struct perf_rng rng;
	size_t n = O->ops, bad = 0;
	uint64_t by_outcome[256] = { 0 };
	perf_rng_seed(&rng, O->seed ^ (uint64_t)pool << 8 ^ (uint64_t)replace);
	uint64_t walks0 = nx_risk_exposure_walks(S->r);
	for (size_t i = 0; i < n; i++) {
		struct call *c = &calls[i];
		memset(c, 0, sizeof(*c));
		c->replace = (uint8_t)replace;
		enum want w = pick_want(&rng, replace);
		if (replace)
			gen_replace(&rng, S, pool, w, c);
		else
			gen_new(&rng, S, pool, w, &c->o);
		if (moving && i % MOVE_EVERY == 0) {
			int64_t d = 1 + perf_rng_below(&rng, MOVE_TICKS);
			c->move_px = ref(c->o.inst) + (perf_rng_below(&rng, 2) ? d : -d) * tick(c->o.inst);
		}
		move_ref(S->r, c, 0);
		c->outcome = (uint8_t)do_call(S->r, c);
		move_ref(S->r, c, 1);
		by_outcome[c->outcome]++;
	}
	/* Warm up, then throughput: the median of reps batches. */
	double mops[PERF_MAX_REPS];
	int reps = O->reps < PERF_MAX_REPS ? O->reps : PERF_MAX_REPS;
	uint64_t walks_gen = nx_risk_exposure_walks(S->r) - walks0;
	long csw = perf_nivcsw();
	run_batch(S->r, calls, n, &bad);
	for (int k = 0; k < reps && !bad; k++)
		mops[k] = (double)n / ((double)run_batch(S->r, calls, n, &bad) / tpns) * 1e3;
	long csw_timed = perf_nivcsw();
	csw = csw_timed - csw;
	if (!bad)
		bad = run_timed(S->r, calls, n, lat);
	csw_timed = perf_nivcsw() - csw_timed;
	/* the warm-up, reps batches and the timed pass */
	double walks_pass = (double)(nx_risk_exposure_walks(S->r) - walks0 - walks_gen) / (reps + 2);
	if (bad) {
		fprintf(stderr, "bench_risk: %s: %zu answers differ from generation\n", name, bad);
		return -1;
	}
	double mops_med = perf_median(mops, reps);

	/* Per outcome first (scratch copies), then all (sorts lat in place). */
	struct perf_pct po[256];
	size_t no[256];
	for (unsigned w = 0; w < 256; w++) {
		no[w] = 0;
		if (!by_outcome[w])
			continue;
		for (size_t i = 0; i < n; i++)
			if (calls[i].outcome == w)
				scratch[no[w]++] = lat[i];
		po[w] = perf_percentiles(scratch, no[w], tpns);
	}
	struct perf_pct all = perf_percentiles(lat, n, tpns);
	perf_print_case("bench_risk", name, n, mops_med, all);
	for (unsigned w = 0; w < 256; w++) {
		char sub[96], nm[48];
		if (!no[w])
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", name, outcome_name(w, nm, sizeof(nm)));
		perf_print_case("bench_risk", sub, no[w], po[w].mean > 0 ? 1e3 / po[w].mean : 0, po[w]);
	}
	printf("bench_risk info case=%s mops_reps=", name);
	for (int k = 0; k < reps; k++)
		printf("%s%.2f", k ? "," : "", mops[k]);
	printf(" preempted_batch=%ld preempted_timed=%ld pass=%.1f%% accounts=%u walks_gen=%" PRIu64
	       " walks_pass=%.0f\n", csw, csw_timed, 100.0 * (double)by_outcome[0] / (double)n, pool,
	       walks_gen, walks_pass);
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_risk [--quick] [--ops N] [--reps N] [--cpu N] [--seed N]\n"
			"                  [--case new_hot|new_all|replace_hot|replace_all|new_moving]\n");
}

int main(int argc, char **argv)
{
	struct opts O = { .ops = 2000000, .reps = 5, .cpu = -1, .seed = 42 };
	for (int i = 1; i < argc; i++) {
		if (perf_opt(argc, argv, &i, &O.reps, &O.cpu, &O.seed))
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			O.ops = 200000;
			O.reps = 1;
		} else if (!strcmp(a, "--ops") && v) {
			O.ops = perf_opt_size(a, v, 1, 1000000000), i++;
		} else if (!strcmp(a, "--case") && v) {
			O.only = v, i++;
		} else {
			usage();
			return 2;
		}
	}
	if (!O.ops || O.reps < 1) {
		usage();
		return 2;
	}
	double tpns;
	int cpu = perf_pin_idlest("bench_risk", O.cpu, &tpns);
	if (cpu < 0)
		return 1;
	uint32_t ovh = perf_tsc_overhead();
	perf_print_topology("bench_risk", cpu, tpns);

	static struct state S;
	struct perf_rng rng;
	perf_rng_seed(&rng, O.seed);
	if (state_build(&S, &rng)) {
		fprintf(stderr, "bench_risk: cannot build the risk state\n");
		return 1;
	}
	printf("bench_risk config instruments=%d accounts=%d hot_accounts=%d open_orders=%u "
	       "risk_mb=%.1f huge_mb=%ld ops=%zu reps=%d seed=%llu tsc_overhead_ticks=%u "
	       "tsc_overhead_ns=%.1f (included in latencies)\n", NINST, NACCT, HOT, S.nopen,
	       (double)S.memlen / (1 << 20), perf_anon_huge_mb(), O.ops, O.reps,
	       (unsigned long long)O.seed, ovh, ovh / tpns);
	fflush(stdout);

	struct call *calls = malloc(O.ops * sizeof(*calls));
	uint32_t *lat = malloc(O.ops * sizeof(*lat)), *scratch = malloc(O.ops * sizeof(*scratch));
	if (!calls || !lat || !scratch) {
		fprintf(stderr, "bench_risk: out of memory\n");
		return 1;
	}
	static const struct { const char *name; int replace, moving; uint32_t pool; } cases[] = {
		{ "new_hot", 0, 0, HOT },
		{ "new_all", 0, 0, NACCT },
		{ "replace_hot", 1, 0, HOT },
		{ "replace_all", 1, 0, NACCT },
		{ "new_moving", 0, 1, HOT },
	};
	int rc = 0, ran = 0;
	for (size_t i = 0; i < NX_ARRAY_SIZE(cases) && !rc; i++) {
		if (O.only && strcmp(O.only, cases[i].name))
			continue;
		ran++;
		rc = run_case(&O, &S, tpns, cases[i].name, cases[i].replace, cases[i].moving,
			      cases[i].pool, calls, lat, scratch) ? 1 : 0;
	}
	if (!ran) {
		usage();
		rc = 2;
	}
	free(calls);
	free(lat);
	free(scratch);
	free(S.open);
	perf_unmap(S.mem, S.memlen);
	return rc;
}
