/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * bench_itch: inbound market data on one core. ITCH 5.0 decode-only
 * (nx/itch.h) and decode + full-depth book (nx/mdbook.h), on two inputs:
 *
 *   snippet  ../shared/data/12302019_SNIPPET.NASDAQ_ITCH50 (1,000 real
 *            messages from 09:30:00), 100 copies with the order references
 *            of each copy shifted by copy << 40, so every copy adds new
 *            orders (its orphans stay orphans): 100,000 messages a pass;
 *   synth    a generated day (--msgs, default 30M), deterministic from
 *            --seed: directory for 8,000 symbols, a pre-open build-up to
 *            ~2M live orders, then a steady mix of adds (A/F ~40%),
 *            deletes ~31%, cancels ~8%, executions ~7.5%, replaces ~10%,
 *            hidden trades and others; symbols Zipf-like, prices around a
 *            drifting mid in cent ticks, mostly near the top with a deep
 *            tail; 3 of 4 cancels/executions/replaces hit one of the last
 *            4,096 orders added (HFT churn), the rest any live order.
 *
 * Cases, one greppable line each:
 *   bench_itch case=<input>_decode ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *     walk the blocks, nx_itch_decode each message (the length checked
 *     against the type, as nx_itch_check does, then every field the book
 *     uses and the timestamp read by the type's descriptor, no switch)
 *     into a checksum. mops: median of --reps passes; the percentiles are
 *     of batches of 1,024 messages timed as one, divided by 1,024
 *     (per-message rdtsc would cost more than a decode).
 *   ...case=<input>_decode_switch: the same with nx_itch_check and a
 *     switch on the type reading the views (the decoder before
 *     nx_itch_decode, kept for comparison).
 *   ...case=<input>_book: nx_mdbook_apply_blocks (its prefetch pipeline)
 *     on a fresh book per pass; mops the median of --reps passes,
 *     percentiles of batches of 64 messages.
 *   ...case=<input>_book_noprefetch: nx_mdbook_apply per message.
 *   ...case=<input>_book_each: each nx_mdbook_apply timed alone, the
 *     median empty-timer cost subtracted: per-message latency percentiles
 *     (no prefetch is possible one message at a time).
 * --case NAME[,NAME...] runs only the cases named ("synth_book").
 * Memory comes from perf_map_huge (THP advised). Pinned to the idlest
 * allowed CPU (or --cpu). The book: 4M orders, 4M levels, 16,384 locates.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/itch.h"
#include "nx/mdbook.h"
#include "nx/moldudp.h"
#include "perf_util.h"

#define SNIPPET "../shared/data/12302019_SNIPPET.NASDAQ_ITCH50"
#define SNIP_COPIES 100
#define DEC_BATCH 1024
#define BOOK_BATCH 64

struct opts {
	size_t msgs;
	int reps, cpu;
	uint64_t seed;
	const char *snippet;
	const char *only;     /* --case: run only the cases named (comma-separated) */
};

/* --case a,b,c: run only the cases named (exactly). */
static int wanted(const struct opts *O, const char *name)
{
	size_t n = strlen(name);

	if (!O->only)
		return 1;
	for (const char *p = O->only; (p = strstr(p, name)) != NULL; p += n)
		if ((p == O->only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return 1;
	return 0;
}

/* Every case main runs: --case names only these. */
static const char *const case_names[] = {
	"snippet_decode", "snippet_decode_switch", "snippet_book", "snippet_book_each",
	"synth_decode", "synth_decode_switch", "synth_book", "synth_book_noprefetch",
	"synth_book_each",
};

/* Is every name in --case a case? (A typo ran nothing and exited 0.) */
static int cases_known(const char *only)
{
	for (const char *p = only;; p++) {
		size_t n = strcspn(p, ","), k = 0;
		while (k < NX_ARRAY_SIZE(case_names) &&
		       (strlen(case_names[k]) != n || strncmp(case_names[k], p, n)))
			k++;
		if (k == NX_ARRAY_SIZE(case_names))
			return 0;
		p += n;
		if (!*p)
			return 1;
	}
}

struct input {
	const char *name;
	uint8_t *data;
	size_t len, maplen, msgs;
};

static const struct nx_mdbook_config book_cfg = {
	.max_locates = 16384, .max_orders = 4u << 20, .max_levels = 4u << 20,
};

/* --- Decode only ------------------------------------------------------------------ */

/* The library's table-driven decoder: every field the book uses. */
static NX_ALWAYS_INLINE uint64_t decode_one(const uint8_t *m, size_t l)
{
	struct nx_itch_fields f;
	int t = nx_itch_decode(m, l, &f);

	if (NX_UNLIKELY(t < 0))
		return (uint64_t)-t;
	return (f.ts_ns + f.locate) ^ f.ref ^ f.new_ref ^ f.shares ^ f.px ^ f.side ^
	       (uint64_t)f.aux << 8 ^ (uint64_t)t;
}

/* The previous decoder, kept as a labeled comparison case: nx_itch_check,
 * then a switch on the type reading the fields through the views. */
static NX_ALWAYS_INLINE uint64_t decode_one_switch(const uint8_t *m, size_t l)
{
	const union nx_itch_msg *u = (const void *)m;
	int t = nx_itch_check(m, l);

	if (NX_UNLIKELY(t < 0))
		return (uint64_t)-t;
	uint64_t s = nx_itch_ts_ns(&u->h) + nx_itch_locate(&u->h);
	switch (t) {
	case NX_ITCH_ADD_ORDER:
	case NX_ITCH_ADD_ORDER_MPID:
		return s ^ nx_itch_be64(u->A.ref) ^ u->A.side ^ nx_itch_be32(u->A.shares) ^
		       nx_itch_be32(u->A.price);
	case NX_ITCH_ORDER_EXECUTED:
		return s ^ nx_itch_be64(u->E.ref) ^ nx_itch_be32(u->E.shares);
	case NX_ITCH_ORDER_EXECUTED_PX:
		return s ^ nx_itch_be64(u->C.ref) ^ nx_itch_be32(u->C.shares) ^
		       nx_itch_be32(u->C.price);
	case NX_ITCH_ORDER_CANCEL:
		return s ^ nx_itch_be64(u->X.ref) ^ nx_itch_be32(u->X.shares);
	case NX_ITCH_ORDER_DELETE:
		return s ^ nx_itch_be64(u->D.ref);
	case NX_ITCH_ORDER_REPLACE:
		return s ^ nx_itch_be64(u->U.orig_ref) ^ nx_itch_be64(u->U.new_ref) ^
		       nx_itch_be32(u->U.shares) ^ nx_itch_be32(u->U.price);
	case NX_ITCH_TRADE:
		return s ^ nx_itch_be32(u->P.shares) ^ nx_itch_be32(u->P.price);
	default:
		return s ^ (uint64_t)t;
	}
}

/* Decode up to max blocks from *pp (max 0: to the end, the whole-pass
 * loop, which then has no count to test) with the library's block walker,
 * as nxitch and the book walk a file; returns the checksum, advances *pp. */
static NX_ALWAYS_INLINE uint64_t decode_run(const uint8_t **pp, const uint8_t *end, size_t max,
					    size_t *n, int sw)
{
	struct nx_mold_blocks it;
	const uint8_t *m;
	uint64_t sum = 0;
	size_t k = 0, l;

	nx_mold_blocks_init(&it, *pp, (size_t)(end - *pp));
	while ((!max || k < max) && nx_mold_blocks_next(&it, &m, &l) == 1) {
		sum += sw ? decode_one_switch(m, l) : decode_one(m, l);
		k++;
	}
	*pp = it.p;
	*n += k;
	return sum;
}

NX_NOINLINE static uint64_t decode_pass(const struct input *in, size_t *n)
{
	const uint8_t *p = in->data;
	return decode_run(&p, in->data + in->len, 0, n, 0);
}

NX_NOINLINE static uint64_t decode_pass_switch(const struct input *in, size_t *n)
{
	const uint8_t *p = in->data;
	return decode_run(&p, in->data + in->len, 0, n, 1);
}

NX_NOINLINE static uint64_t decode_batch(const uint8_t **pp, const uint8_t *end, size_t *n,
					 int sw)
{
	return sw ? decode_run(pp, end, DEC_BATCH, n, 1) : decode_run(pp, end, DEC_BATCH, n, 0);
}

static void print_case2(const char *name, size_t ops, double mops, struct perf_pct p)
{
	printf("bench_itch case=%s ops=%zu mops=%.1f mean_ns=%.2f p50_ns=%.2f p99_ns=%.2f "
	       "p999_ns=%.2f max_ns=%.2f\n", name, ops, mops, p.mean, p.p50, p.p99, p.p999, p.max);
	fflush(stdout);
}

/* Every timed pass, and the batches together, must give the warm-up pass's
 * checksum: the same messages decoded the same way. 0, or -1 if not. */
static int case_decode(const struct opts *O, double tpns, const struct input *in,
		       uint32_t *lat, int sw)
{
	char name[64];
	double mops[PERF_MAX_REPS];
	int reps = O->reps < PERF_MAX_REPS ? O->reps : PERF_MAX_REPS;
	size_t n = 0, nb = 0;
	uint64_t (*pass)(const struct input *, size_t *) = sw ? decode_pass_switch : decode_pass;
	uint64_t ref, sum = 0;
	int bad = 0;

	snprintf(name, sizeof(name), "%s_decode%s", in->name, sw ? "_switch" : "");
	if (!wanted(O, name))
		return 0;
	ref = pass(in, &n); /* warm-up */

	for (int r = 0; r < reps; r++) {
		n = 0;
		uint64_t t0 = perf_tsc_begin();
		uint64_t c = pass(in, &n);
		mops[r] = (double)n / ((double)(perf_tsc_end() - t0) / tpns) * 1e3;
		bad |= c != ref;
	}
	const uint8_t *p = in->data, *end = in->data + in->len;
	while (p < end) {
		size_t k = 0;
		uint64_t t0 = perf_tsc_begin();
		sum += decode_batch(&p, end, &k, sw);
		uint64_t dt = perf_tsc_end() - t0;
		if (k < DEC_BATCH)
			break;
		lat[nb++] = perf_sample(dt);
	}
	print_case2(name, n, perf_median(mops, reps), perf_percentiles(lat, nb, tpns * DEC_BATCH));
	if (bad || sum != ref) {
		fprintf(stderr, "bench_itch: %s: a pass's checksum differs from the warm-up's\n", name);
		return -1;
	}
	return 0;
}

/* --- Decode + book ------------------------------------------------------------------ */

static struct nx_mdbook *fresh_book(void *mem, size_t len)
{
	struct nx_mdbook *b = nx_mdbook_init(mem, len, &book_cfg);
	if (!b) {
		fprintf(stderr, "bench_itch: book init failed\n");
		exit(1);
	}
	return b;
}

enum book_mode { BULK, NOPREFETCH, EACH };

NX_NOINLINE static size_t book_pass(struct nx_mdbook *b, const struct input *in, int mode)
{
	const uint8_t *p = in->data, *end = in->data + in->len;
	size_t n = 0;

	if (mode == BULK)
		return nx_mdbook_apply_blocks(b, p, in->len, SIZE_MAX, NULL);
	while (end - p >= 2) {
		size_t l = nx_itch_be16(p);
		nx_mdbook_apply(b, p + 2, l);
		p += 2 + l;
		n++;
	}
	return n;
}

static void summary(const char *name, const struct nx_mdbook *b)
{
	const struct nx_mdbook_stats *st = nx_mdbook_stats(b);
	printf("bench_itch book=%s live_orders=%llu peak_orders=%llu live_levels=%llu "
	       "peak_levels=%llu orphans=%llu capacity=%llu decode_errors=%llu\n", name,
	       (unsigned long long)st->live_orders, (unsigned long long)st->peak_orders,
	       (unsigned long long)st->live_levels, (unsigned long long)st->peak_levels,
	       (unsigned long long)nx_mdbook_orphans(b),
	       (unsigned long long)(st->anomalies[NX_MDBOOK_ORDER_CAPACITY] +
				    st->anomalies[NX_MDBOOK_LEVEL_CAPACITY]),
	       (unsigned long long)st->anomalies[NX_MDBOOK_DECODE_ERROR]);
}

static void case_book(const struct opts *O, double tpns, const struct input *in, void *mem,
		      size_t memlen, int mode, uint32_t ovh, uint32_t *lat)
{
	static const char *const suffix[] = { "book", "book_noprefetch", "book_each" };
	char name[64];
	double mops[PERF_MAX_REPS];
	int reps = O->reps < PERF_MAX_REPS ? O->reps : PERF_MAX_REPS;
	size_t n = 0, nb = 0;
	struct nx_mdbook *b;

	snprintf(name, sizeof(name), "%s_%s", in->name, suffix[mode]);
	if (!wanted(O, name))
		return;
	if (mode != EACH) {
		for (int r = 0; r < reps; r++) {
			b = fresh_book(mem, memlen);
			long cs = perf_nivcsw();
			uint64_t t0 = perf_tsc_begin();
			n = book_pass(b, in, mode);
			double s = (double)(perf_tsc_end() - t0) / tpns / 1e9;
			mops[r] = (double)n / s / 1e6;
			if (r == 0 && mode == BULK)
				summary(in->name, b);
			cs = perf_nivcsw() - cs;
			if (cs > 0)
				fprintf(stderr, "bench_itch: %s pass %d: %ld involuntary switches\n",
					name, r, cs);
		}
		double mops_med = perf_median(mops, reps);
		/* batch percentiles: one more pass, BOOK_BATCH blocks timed at a time */
		b = fresh_book(mem, memlen);
		const uint8_t *p = in->data;
		size_t left = in->len, used;
		for (;;) {
			uint64_t t0 = perf_tsc_begin();
			size_t k = mode == BULK
				? nx_mdbook_apply_blocks(b, p, left, BOOK_BATCH, &used) : 0;
			if (mode == NOPREFETCH) {
				const uint8_t *q = p;
				for (; k < BOOK_BATCH && left - (size_t)(q - p) >= 2; k++) {
					size_t l = nx_itch_be16(q);
					nx_mdbook_apply(b, q + 2, l);
					q += 2 + l;
				}
				used = (size_t)(q - p);
			}
			uint64_t dt = perf_tsc_end() - t0;
			if (k < BOOK_BATCH)
				break;
			lat[nb++] = perf_sample(dt);
			p += used;
			left -= used;
		}
		print_case2(name, n, mops_med, perf_percentiles(lat, nb, tpns * BOOK_BATCH));
		return;
	}
	/* EACH: every message timed alone */
	b = fresh_book(mem, memlen);
	const uint8_t *p = in->data, *end = in->data + in->len;
	uint64_t tsum = 0;
	while (end - p >= 2) {
		size_t l = nx_itch_be16(p);
		uint64_t t0 = perf_tsc_begin();
		nx_mdbook_apply(b, p + 2, l);
		uint64_t dt = perf_tsc_end() - t0;
		dt = dt > ovh ? dt - ovh : 0;
		tsum += dt;
		lat[nb++] = perf_sample(dt);
		p += 2 + l;
	}
	struct perf_pct pc = perf_percentiles(lat, nb, tpns);
	print_case2(name, nb, 1e3 / ((double)tsum / tpns / (double)nb), pc);
}

/* --- Inputs ------------------------------------------------------------------------ */

/* The whole file, of any size, cut after its last complete block (a
 * trailing partial block would misframe the next copy). 0, or -1 with
 * *why set. */
static int load_snippet(const char *path, struct input *in, const char **why)
{
	FILE *f = fopen(path, "rb");
	uint8_t *raw = NULL;
	size_t len = 0, cap = 0, got;

	*why = "not found";
	if (!f)
		return -1;
	do {
		if (len == cap) {
			uint8_t *r = realloc(raw, cap = cap ? 2 * cap : 1 << 16);
			if (!r) {
				fclose(f);
				free(raw);
				*why = "out of memory";
				return -1;
			}
			raw = r;
		}
		got = fread(raw + len, 1, cap - len, f);
		len += got;
	} while (got);
	fclose(f);
	struct nx_mold_blocks it;
	const uint8_t *m;
	size_t l;
	nx_mold_blocks_init(&it, raw, len);
	while (nx_mold_blocks_next(&it, &m, &l) == 1)
		;
	len = (size_t)(it.p - raw); /* complete blocks only */
	*why = "no complete message block";
	if (!len) {
		free(raw);
		return -1;
	}
	in->name = "snippet";
	in->data = perf_map_huge(len * SNIP_COPIES, &in->maplen);
	*why = "out of memory";
	if (!in->data) {
		free(raw);
		return -1;
	}
	in->len = 0;
	in->msgs = 0;
	for (uint64_t c = 0; c < SNIP_COPIES; c++) {
		uint8_t *d = in->data + in->len;
		memcpy(d, raw, len);
		nx_mold_blocks_init(&it, d, len);
		while (nx_mold_blocks_next(&it, &m, &l) == 1) {
			uint8_t *w = (uint8_t *)(uintptr_t)m;
			in->msgs++;
			if (!strchr("AFECXDU", w[0]) || l < 19)
				continue;
			nx_itch_st_be64(w + 11, nx_itch_be64(w + 11) + (c << 40));
			if (w[0] == 'U' && l == NX_ITCH_LEN_ORDER_REPLACE)
				nx_itch_st_be64(w + 19, nx_itch_be64(w + 19) + (c << 40));
		}
		in->len += len;
	}
	free(raw);
	return 0;
}

/* The generator's view of one live order. */
struct g_ord {
	uint64_t ref;
	uint32_t px, sh;
	uint16_t loc;
	uint8_t side;
};

struct gen {
	struct perf_rng r;
	struct g_ord *live;     /* dense, swap-remove */
	uint32_t *pos;          /* pos[ref] = index + 1 */
	size_t nlive, npos, live_cap;
	uint64_t recent[4096], nrecent, next_ref, ts;
	uint32_t *mid;          /* per symbol, price4 */
	uint8_t *out;
	size_t len, cap, msgs;
	uint64_t by_type[256];
};

#define NSYM 8000u

static uint8_t *emit(struct gen *g, char t, uint16_t loc)
{
	size_t n = nx_itch_type_len((uint8_t)t);
	uint8_t *m = g->out + g->len + 2;

	nx_itch_st_be16(g->out + g->len, (uint16_t)n);
	m[0] = (uint8_t)t;
	nx_itch_st_be16(m + 1, loc);
	nx_itch_st_be16(m + 3, 0);
	g->ts += 1 + perf_rng_below(&g->r, 2000);
	nx_itch_st_be48(m + 5, g->ts);
	g->len += 2 + n;
	g->msgs++;
	g->by_type[(uint8_t)t]++;
	return m;
}

static uint16_t pick_sym(struct gen *g)
{
	double u = perf_rng_unit(&g->r);
	return (uint16_t)(1 + (uint32_t)((double)NSYM * u * u * u) % NSYM); /* Zipf-like */
}

static void g_add(struct gen *g, char t)
{
	uint16_t loc = pick_sym(g);
	uint8_t side = (uint8_t)perf_rng_below(&g->r, 2);
	uint32_t off = perf_rng_below(&g->r, 50) ? (uint32_t)perf_rng_geom(&g->r, -0.2876821)
						  : perf_rng_below(&g->r, 500); /* mean 3, 2% deep */
	uint32_t mid = g->mid[loc];
	uint32_t px = side ? mid + 100 * (off + 1) : mid > 100 * (off + 1) ? mid - 100 * off : 100;
	uint32_t sh = perf_rng_below(&g->r, 8) ? 100 * (1 + perf_rng_below(&g->r, 5))
					       : 1 + perf_rng_below(&g->r, 999);
	uint8_t *m = emit(g, t, loc);
	struct g_ord *o = &g->live[g->nlive];

	if (perf_rng_below(&g->r, 16) == 0) /* the mid wanders a tick, stays >= $1 */
		g->mid[loc] = perf_rng_below(&g->r, 2) || mid < 10100 ? mid + 100 : mid - 100;
	*o = (struct g_ord){ g->next_ref++, px, sh, loc, side };
	nx_itch_st_be64(m + 11, o->ref);
	m[19] = side ? 'S' : 'B';
	nx_itch_st_be32(m + 20, sh);
	memcpy(m + 24, "SYM     ", 8);
	nx_itch_st_be32(m + 32, px);
	if (t == 'F')
		memcpy(m + 36, "NXEX", 4);
	g->pos[o->ref] = (uint32_t)++g->nlive;
	g->recent[g->nrecent++ % 4096] = o->ref;
}

static struct g_ord *g_pick(struct gen *g)
{
	if (perf_rng_below(&g->r, 4)) {
		uint64_t k = g->nrecent < 4096 ? g->nrecent : 4096;
		uint64_t ref = g->recent[(g->nrecent - 1 - perf_rng_below(&g->r, (uint32_t)k)) % 4096];
		if (g->pos[ref])
			return &g->live[g->pos[ref] - 1];
	}
	return &g->live[perf_rng_below(&g->r, (uint32_t)g->nlive)];
}

static void g_del(struct gen *g, struct g_ord *o)
{
	size_t i = (size_t)(o - g->live);
	g->pos[o->ref] = 0;
	if (i != --g->nlive) {
		g->live[i] = g->live[g->nlive];
		g->pos[g->live[i].ref] = (uint32_t)i + 1;
	}
}

/* One message of the steady mix (percent): A 36, F 4, D 31, X 8 (half
 * full), E 7 (70% full), C 0.5, U 10, P 1, others 2.5. */
static void g_step(struct gen *g, int build)
{
	uint32_t k = perf_rng_below(&g->r, 1000);
	int add = build ? k < 850 : k < 400;
	struct g_ord *o;
	uint8_t *m;

	if (g->nlive == 0)
		add = 1;
	else if (g->nlive + 1 >= g->live_cap)
		add = 0; /* the shadow is full: remove instead */
	if (add) {
		g_add(g, perf_rng_below(&g->r, 10) ? 'A' : 'F');
		return;
	}
	if (build || k < 400)
		k = 400 + perf_rng_below(&g->r, 600); /* the steady mix without adds */
	if (k >= 975) { /* P, I, H and friends: not book-changing */
		uint16_t loc = pick_sym(g);
		if (k < 985) {
			m = emit(g, 'P', loc);
			memset(m + 11, 0, 8);
			m[19] = 'B';
			nx_itch_st_be32(m + 20, 100);
			memcpy(m + 24, "SYM     ", 8);
			nx_itch_st_be32(m + 32, g->mid[loc]);
			nx_itch_st_be64(m + 36, g->msgs);
		} else {
			m = emit(g, 'I', loc);
			memset(m + 11, 0, NX_ITCH_LEN_NOII - 11);
		}
		return;
	}
	o = g_pick(g);
	if (k < 710) {                                  /* D 31% */
		m = emit(g, 'D', o->loc);
		nx_itch_st_be64(m + 11, o->ref);
		g_del(g, o);
	} else if (k < 790) {                           /* X 8% */
		uint32_t n = perf_rng_below(&g->r, 2) || o->sh < 2 ? o->sh : o->sh / 2;
		m = emit(g, 'X', o->loc);
		nx_itch_st_be64(m + 11, o->ref);
		nx_itch_st_be32(m + 19, n);
		if ((o->sh -= n) == 0)
			g_del(g, o);
	} else if (k < 875) {                           /* E 7%, C 0.5% */
		int c = k >= 870;
		uint32_t n = perf_rng_below(&g->r, 10) < 7 || o->sh < 2 ? o->sh : o->sh / 3;
		m = emit(g, c ? 'C' : 'E', o->loc);
		nx_itch_st_be64(m + 11, o->ref);
		nx_itch_st_be32(m + 19, n);
		nx_itch_st_be64(m + 23, g->msgs);
		if (c) {
			m[31] = 'Y';
			nx_itch_st_be32(m + 32, o->px);
		}
		if ((o->sh -= n) == 0)
			g_del(g, o);
	} else {                                        /* U 10% */
		m = emit(g, 'U', o->loc);
		nx_itch_st_be64(m + 11, o->ref);
		g->pos[o->ref] = 0;
		o->ref = g->next_ref++;
		g->pos[o->ref] = (uint32_t)(o - g->live) + 1;
		g->recent[g->nrecent++ % 4096] = o->ref;
		if (perf_rng_below(&g->r, 2))
			o->px = o->side ? o->px + 100 : (o->px > 200 ? o->px - 100 : o->px);
		o->sh = 100 * (1 + perf_rng_below(&g->r, 5));
		nx_itch_st_be64(m + 19, o->ref);
		nx_itch_st_be32(m + 27, o->sh);
		nx_itch_st_be32(m + 31, o->px);
	}
}

static int gen_synth(const struct opts *O, struct input *in)
{
	struct gen g;
	const size_t target = 2000000;
	double t0 = perf_now_s();

	memset(&g, 0, sizeof(g));
	perf_rng_seed(&g.r, O->seed);
	g.cap = O->msgs * 40 + 4096 * 64;
	g.out = perf_map_huge(g.cap, &in->maplen);
	g.live_cap = target * 2 + O->msgs / 4;
	g.live = malloc(g.live_cap * sizeof(*g.live));
	g.npos = O->msgs + 16;
	g.pos = calloc(g.npos, sizeof(*g.pos));
	g.mid = malloc((NSYM + 1) * sizeof(*g.mid));
	if (!g.out || !g.live || !g.pos || !g.mid)
		return -1;
	g.next_ref = 1;
	g.ts = 4ull * 3600 * 1000000000ull; /* 04:00 */
	emit(&g, 'S', 0)[11] = 'O';
	for (uint16_t s = 1; s <= NSYM; s++) {
		uint8_t *m = emit(&g, 'R', s);
		char sym[9];
		snprintf(sym, sizeof(sym), "S%05u", s);
		memset(m + 11, ' ', NX_ITCH_LEN_STOCK_DIRECTORY - 11);
		nx_itch_symbol_pad(sym, (char *)m + 11);
		nx_itch_st_be32(m + 21, 100);
		g.mid[s] = 20000 + 100 * perf_rng_below(&g.r, 50000); /* $2 .. $502 */
	}
	/* pre-open build-up, then the day */
	while (g.msgs < O->msgs && g.nlive < (O->msgs >= 4 * target ? target : O->msgs / 4))
		g_step(&g, 1);
	emit(&g, 'S', 0)[11] = 'Q';
	while (g.msgs < O->msgs - 1 && g.nlive > 0)
		g_step(&g, 0);
	emit(&g, 'S', 0)[11] = 'M';
	in->name = "synth";
	in->data = g.out;
	in->len = g.len;
	in->msgs = g.msgs;
	printf("bench_itch synth msgs=%zu bytes=%zu gen_s=%.1f live_at_end=%zu mix_pct:", g.msgs,
	       g.len, perf_now_s() - t0, g.nlive);
	for (const char *t = "AFDXECUPIRS"; *t; t++)
		printf(" %c=%.1f", *t, 100.0 * (double)g.by_type[(uint8_t)*t] / (double)g.msgs);
	printf("\n");
	free(g.live);
	free(g.pos);
	free(g.mid);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_itch [--quick] [--msgs N] [--reps N] [--cpu N] [--seed N]\n"
			"                  [--snippet PATH] [--case NAME[,NAME...]]\n"
			"  cases: snippet_decode, snippet_decode_switch, snippet_book, snippet_book_each,\n"
			"         synth_decode, synth_decode_switch, synth_book, synth_book_noprefetch,\n"
			"         synth_book_each\n");
}

int main(int argc, char **argv)
{
	struct opts O = { .msgs = 30000000, .reps = 3, .cpu = -1, .seed = 42, .snippet = SNIPPET };
	struct input snip = { 0 }, syn = { 0 };
	for (int i = 1; i < argc; i++) {
		if (perf_opt(argc, argv, &i, &O.reps, &O.cpu, &O.seed))
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			O.msgs = 3000000;
			O.reps = 1;
		} else if (!strcmp(a, "--msgs") && v) {
			O.msgs = perf_opt_size(a, v, 100000, 1000000000), i++;
		} else if (!strcmp(a, "--case") && v) {
			O.only = v, i++;
		} else if (!strcmp(a, "--snippet") && v) {
			O.snippet = v, i++;
		} else {
			usage();
			return 2;
		}
	}
	if (O.reps < 1 || O.msgs < 100000 || (O.only && !cases_known(O.only))) {
		usage();
		return 2;
	}
	double tpns;
	int cpu = perf_pin_idlest("bench_itch", O.cpu, &tpns);
	if (cpu < 0)
		return 1;
	uint32_t ovh = perf_tsc_overhead();
	perf_print_topology("bench_itch", cpu, tpns);

	size_t memlen, need = nx_mdbook_memsize(&book_cfg);
	void *mem = perf_map_huge(need, &memlen);
	int want_syn = !O.only || strstr(O.only, "synth_") != NULL;
	if (!mem || (want_syn && gen_synth(&O, &syn))) {
		fprintf(stderr, "bench_itch: cannot set up\n");
		return 1;
	}
	const char *snip_why;
	int rc = 0;
	int have_snip = load_snippet(O.snippet, &snip, &snip_why) == 0;
	/* One sample per message at most (book_each), for either input. */
	size_t nlat = want_syn ? syn.msgs : 1;
	if (have_snip && snip.msgs > nlat)
		nlat = snip.msgs;
	uint32_t *lat = malloc(nlat * sizeof(*lat));
	if (!lat) {
		fprintf(stderr, "bench_itch: cannot set up\n");
		return 1;
	}
	printf("bench_itch config book_bytes=%zu max_orders=%u max_levels=%u max_locates=%u "
	       "reps=%d seed=%llu tsc_overhead_ticks=%u tsc_overhead_ns=%.1f\n", need,
	       book_cfg.max_orders, book_cfg.max_levels, book_cfg.max_locates, O.reps,
	       (unsigned long long)O.seed, ovh, ovh / tpns);
	fflush(stdout);
	if (have_snip) {
		rc |= case_decode(&O, tpns, &snip, lat, 0);
		rc |= case_decode(&O, tpns, &snip, lat, 1);
		case_book(&O, tpns, &snip, mem, memlen, BULK, ovh, lat);
		case_book(&O, tpns, &snip, mem, memlen, EACH, ovh, lat);
		perf_unmap(snip.data, snip.maplen);
	} else {
		printf("bench_itch snippet skipped: %s %s\n", O.snippet, snip_why);
	}
	if (want_syn) {
		rc |= case_decode(&O, tpns, &syn, lat, 0);
		rc |= case_decode(&O, tpns, &syn, lat, 1);
		case_book(&O, tpns, &syn, mem, memlen, BULK, ovh, lat);
		case_book(&O, tpns, &syn, mem, memlen, NOPREFETCH, ovh, lat);
		case_book(&O, tpns, &syn, mem, memlen, EACH, ovh, lat);
		perf_unmap(syn.data, syn.maplen);
	}
	perf_unmap(mem, memlen);
	free(lat);
	return rc ? 1 : 0;
}
