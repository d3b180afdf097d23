/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * bench_hist: the latency histogram (nx/hist.h) at highest = 1 hour in ns,
 * 3 digits (270 KB of counters, in hugepage-advised memory as a shard would
 * have it). One greppable line per case:
 *
 *   bench_hist case=record_seq ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=..
 *
 * Record cases, values pre-generated, nx_hist_record in a loop:
 *   record_seq   500..1523 ns, stepping by one: a few hot counter lines;
 *   record_rand  latency-like: 1..5 us uniform, 1 in 64 up to 1 ms, 1 in
 *                4096 up to 1 s (counters spread over ~60 KB);
 *   record_wide  log-uniform over 0..2^42 (every bucket, the whole array).
 * mops is the throughput of untimed passes over all values (the median of
 * --reps); the latencies are of batches of 256 records timed with an
 * lfence;rdtsc / rdtscp;lfence pair, divided by 256 (so the pair's cost is
 * spread thin), in ns per record with two decimals.
 *
 * Query cases, on the histogram of 1M record_rand values, each call timed:
 *   p50, p999    nx_hist_value_at_percentile (a walk up to the target);
 *   pct6         nx_hist_percentiles of 50, 90, 99, 99.9, 99.99, 100;
 *   merge        nx_hist_merge of it into another (all 33,792 counters);
 *   hgrm         nx_hist_write_percentiles to /dev/null.
 * Their mops is 1000 / mean_ns. Pinned to the idlest allowed CPU (or --cpu).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx/cc.h"
#include "nx/hist.h"
#include "perf_util.h"

#define BATCH 256 /* records per timed sample */

struct opts {
	size_t ops;
	int reps, cpu;
	uint64_t seed;
};

/* One line like perf_print_case, with two decimals: records take ~1 ns. */
static void print_case2(const char *name, size_t ops, double mops, struct perf_pct p)
{
	printf("bench_hist case=%s ops=%zu mops=%.2f mean_ns=%.2f p50_ns=%.2f p99_ns=%.2f "
	       "p999_ns=%.2f max_ns=%.2f\n", name, ops, mops, p.mean, p.p50, p.p99, p.p999, p.max);
	fflush(stdout);
}

static uint64_t gen(int kind, uint64_t i, struct perf_rng *r)
{
	switch (kind) {
	case 0:
		return 500 + (i & 1023);
	case 1: {
		uint32_t k = perf_rng_below(r, 4096);
		if (k == 0)
			return 1 + perf_rng_below(r, 1000000000);
		if (k < 64)
			return 1 + perf_rng_below(r, 1000000);
		return 1000 + perf_rng_below(r, 4000);
	}
	default:
		return perf_rng_next(r) >> (22 + perf_rng_below(r, 42));
	}
}

NX_NOINLINE static uint64_t run_batch(struct nx_hist *h, const uint64_t *v, size_t n)
{
	uint64_t t0 = perf_tsc_begin();
	for (size_t i = 0; i < n; i++)
		nx_hist_record(h, v[i]);
	return perf_tsc_end() - t0;
}

NX_NOINLINE static void run_timed(struct nx_hist *h, const uint64_t *v, size_t n, uint32_t *lat)
{
	for (size_t b = 0; b + BATCH <= n; b += BATCH) {
		uint64_t t0 = perf_tsc_begin();
		for (size_t i = b; i < b + BATCH; i++)
			nx_hist_record(h, v[i]);
		lat[b / BATCH] = perf_sample(perf_tsc_end() - t0);
	}
}

static int record_case(const struct opts *O, double tpns, struct nx_hist *h, const char *name,
			int kind, uint64_t *v, uint32_t *lat)
{
	struct perf_rng r;
	size_t n = O->ops;
	double mops[PERF_MAX_REPS];
	int reps = O->reps < PERF_MAX_REPS ? O->reps : PERF_MAX_REPS;
	perf_rng_seed(&r, O->seed + (uint64_t)kind);
	for (size_t i = 0; i < n; i++)
		v[i] = gen(kind, i, &r);
	nx_hist_reset(h);
	run_batch(h, v, n); /* warm-up: counters and values in cache as far as they fit */
	for (int k = 0; k < reps; k++)
		mops[k] = (double)n / ((double)run_batch(h, v, n) / tpns) * 1e3;
	run_timed(h, v, n, lat);
	print_case2(name, n, perf_median(mops, reps), perf_percentiles(lat, n / BATCH, tpns * BATCH));
	if (nx_hist_count(h) != (uint64_t)(reps + 2) * n - n % BATCH) {
		fprintf(stderr, "bench_hist: %s: count %llu is wrong\n", name,
			(unsigned long long)nx_hist_count(h));
		return -1;
	}
	return 0;
}

/* Query cases: each call timed; what varies is the case number. */
static void query_case(double tpns, const char *name, int what, struct nx_hist *h,
		       struct nx_hist *dst, FILE *devnull, size_t calls, uint32_t *lat)
{
	static const double six[] = { 50, 90, 99, 99.9, 99.99, 100 };
	volatile uint64_t sink = 0;
	uint64_t out[6];
	for (size_t i = 0; i < calls + calls / 10; i++) { /* the first tenth warms up */
		uint64_t t0 = perf_tsc_begin();
		switch (what) {
		case 0: sink += nx_hist_value_at_percentile(h, 50); break;
		case 1: sink += nx_hist_value_at_percentile(h, 99.9); break;
		case 2: nx_hist_percentiles(h, six, out, 6); sink += out[5]; break;
		case 3: nx_hist_merge(dst, h); break;
		default: nx_hist_write_percentiles(h, devnull, 1000); break;
		}
		uint32_t t = perf_sample(perf_tsc_end() - t0);
		if (i >= calls / 10)
			lat[i - calls / 10] = t;
	}
	(void)sink;
	struct perf_pct p = perf_percentiles(lat, calls, tpns);
	perf_print_case("bench_hist", name, calls, p.mean > 0 ? 1e3 / p.mean : 0, p);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_hist [--quick] [--ops N] [--reps N] [--cpu N] [--seed N]\n");
}

int main(int argc, char **argv)
{
	struct opts O = { .ops = 4000000, .reps = 5, .cpu = -1, .seed = 42 };
	for (int i = 1; i < argc; i++) {
		if (perf_opt(argc, argv, &i, &O.reps, &O.cpu, &O.seed))
			continue;
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quick")) {
			O.ops = 400000;
			O.reps = 1;
		} else if (!strcmp(a, "--ops") && v) {
			O.ops = perf_opt_size(a, v, BATCH, 1000000000), i++;
		} else {
			usage();
			return 2;
		}
	}
	if (O.ops < BATCH || O.reps < 1) {
		usage();
		return 2;
	}
	double tpns;
	int cpu = perf_pin_idlest("bench_hist", O.cpu, &tpns);
	if (cpu < 0)
		return 1;
	uint32_t ovh = perf_tsc_overhead();
	perf_print_topology("bench_hist", cpu, tpns);

	size_t sz = nx_hist_memsize(NX_HIST_HOUR_NS, 3), len1, len2;
	void *m1 = perf_map_huge(sz, &len1), *m2 = perf_map_huge(sz, &len2);
	struct nx_hist *h = m1 ? nx_hist_init(m1, len1, NX_HIST_HOUR_NS, 3) : NULL;
	struct nx_hist *dst = m2 ? nx_hist_init(m2, len2, NX_HIST_HOUR_NS, 3) : NULL;
	uint64_t *v = malloc(O.ops * sizeof(*v));
	uint32_t *lat = malloc((O.ops / BATCH + 10000) * sizeof(*lat));
	FILE *devnull = fopen("/dev/null", "w");
	if (!h || !dst || !v || !lat || !devnull) {
		fprintf(stderr, "bench_hist: cannot set up\n");
		return 1;
	}
	printf("bench_hist config highest=%llu digits=3 counts=%u hist_bytes=%zu ops=%zu reps=%d "
	       "batch=%d seed=%llu tsc_overhead_ticks=%u tsc_overhead_ns=%.1f (per batch for "
	       "records, per call for queries)\n", (unsigned long long)NX_HIST_HOUR_NS,
	       h->counts_len, sz, O.ops, O.reps, BATCH, (unsigned long long)O.seed, ovh,
	       ovh / tpns);
	fflush(stdout);

	int rc = 0;
	rc |= record_case(&O, tpns, h, "record_seq", 0, v, lat);
	rc |= record_case(&O, tpns, h, "record_wide", 2, v, lat);
	rc |= record_case(&O, tpns, h, "record_rand", 1, v, lat);

	/* The query histogram: 1M latency-like values. */
	struct perf_rng r;
	perf_rng_seed(&r, O.seed + 1);
	nx_hist_reset(h);
	for (int i = 0; i < 1000000; i++)
		nx_hist_record(h, gen(1, 0, &r));
	query_case(tpns, "p50", 0, h, dst, devnull, 10000, lat);
	query_case(tpns, "p999", 1, h, dst, devnull, 10000, lat);
	query_case(tpns, "pct6", 2, h, dst, devnull, 10000, lat);
	query_case(tpns, "merge", 3, h, dst, devnull, 10000, lat);
	query_case(tpns, "hgrm", 4, h, dst, devnull, 200, lat);

	fclose(devnull);
	free(v);
	free(lat);
	perf_unmap(m1, len1);
	perf_unmap(m2, len2);
	return rc ? 1 : 0;
}
