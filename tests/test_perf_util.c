/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of perf/perf_util.c, the benchmarks' shared options and
 * statistics: numbers given to --ops, --cpu, --reps and --seed are read as
 * decimal (or 0x hex), never octal; nearest-rank percentiles and the median
 * of an even count follow docs/performance.md; the trade buckets and the
 * cost of a trade, robust to preempted samples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <math.h>
#include <cmocka.h>

#include "../perf/perf_util.h"

/* A leading zero is a decimal digit: strtoll's base 0 read "010" as 8. */
static void test_opt_decimal_not_octal(void **state)
{
	(void)state;
	assert_int_equal(perf_opt_size("--ops", "010", 1, 1000), 10);
	assert_int_equal(perf_opt_size("--ops", "0400000", 1, 1000000), 400000);
	assert_int_equal(perf_opt_size("--ops", "0x10", 1, 1000), 16);
	assert_int_equal(perf_opt_size("--ops", "0", 0, 1000), 0);

	char *argv[] = { "bench", "--cpu", "010", "--seed", "010", "--reps", "08", "--cpu", "-1" };
	int i = 1, reps = 1, cpu = -1;
	uint64_t seed = 0;
	assert_int_equal(perf_opt(9, argv, &i, &reps, &cpu, &seed), 1);
	assert_int_equal(cpu, 10);
	i++;
	assert_int_equal(perf_opt(9, argv, &i, &reps, &cpu, &seed), 1);
	assert_int_equal(seed, 10);
	i++;
	assert_int_equal(perf_opt(9, argv, &i, &reps, &cpu, &seed), 1); /* was: exit 2, "08" */
	assert_int_equal(reps, 8);
	i++;
	assert_int_equal(perf_opt(9, argv, &i, &reps, &cpu, &seed), 1);
	assert_int_equal(cpu, -1);
}

/* Nearest rank (ceil(q n)-th smallest), and the mean of the middle two for an even median. */
static void test_percentiles_and_median(void **state)
{
	(void)state;
	uint32_t v[1000];
	for (uint32_t i = 0; i < 1000; i++)
		v[i] = 1000 - i; /* 1..1000, reversed: perf_percentiles sorts */
	struct perf_pct p = perf_percentiles(v, 1000, 1.0);
	assert_true(p.p50 == 500 && p.p99 == 990 && p.p999 == 999 && p.max == 1000);
	assert_true(p.mean == 500.5);
	uint32_t one[1] = { 7 };
	p = perf_percentiles(one, 1, 1.0);
	assert_true(p.p50 == 7 && p.p999 == 7 && p.max == 7);
	double m[4] = { 4, 1, 3, 2 }, m3[3] = { 9, 1, 5 };
	assert_true(perf_median(m, 4) == 2.5);
	assert_true(perf_median(m3, 3) == 5);
}

#define NAGG 6000 /* aggressive messages of a --quick msg1 run (200k x 3%) */

/* latency = 300 + 100 * trades ns exactly, trades 1..40 in turn, at 1 tick a ns;
 * every 4th command not aggressive (latency 50, left out of the fit). */
static void fill_linear(uint32_t *lat, uint32_t *tr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i % 4 == 3) {
			lat[i] = 50;
			tr[i] = PERF_NOT_AGGRESSIVE;
		} else {
			tr[i] = 1 + (uint32_t)((i / 4) % 40);
			lat[i] = 300 + 100 * tr[i];
		}
	}
}

/* The fit recovers an exact line; the buckets hold exactly their trade counts
 * and leave the non-aggressive commands out. */
static void test_trade_fit_exact_and_buckets(void **state)
{
	(void)state;
	static uint32_t lat[NAGG], tr[NAGG], scratch[NAGG];
	fill_linear(lat, tr, NAGG);
	struct perf_trades t = perf_by_trades(1.0, lat, tr, NAGG, scratch);
	assert_true(fabs(t.ns_per_trade - 100.0) < 1e-6);
	assert_true(fabs(t.ns_fixed - 300.0) < 1e-6);
	size_t agg = 0, want[PERF_TRADE_BUCKETS] = { 0 };
	for (size_t i = 0; i < NAGG; i++) {
		if (tr[i] == PERF_NOT_AGGRESSIVE)
			continue;
		agg++;
		want[tr[i] >= 32 ? 5 : tr[i] >= 16 ? 4 : tr[i] >= 8 ? 3 : tr[i] >= 4 ? 2 : tr[i] >= 2 ? 1 : 0]++;
	}
	size_t sum = 0;
	for (int b = 0; b < PERF_TRADE_BUCKETS; b++) {
		assert_int_equal(t.n[b], want[b]);
		sum += t.n[b];
	}
	assert_int_equal(sum, agg);
	/* bucket 1 trade: every latency 400 */
	assert_true(t.p[0].p50 == 400 && t.p[0].max == 400);
	/* bucket 32+: 32..40 trades, max 300 + 4000 */
	assert_true(t.p[5].max == 4300);
}

/* Nearest rank at the benches' counts: ceil(q n)-th smallest, no
 * floating-point slip of one rank; below 1000 samples p99.9 is the max. */
static void test_percentile_ranks_at_bench_counts(void **state)
{
	(void)state;
	static const size_t ns[] = { 20, 200, 999, 1000, 1001, 25000, 100000, 250000, 2000000 };
	static uint32_t v[2000000];
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		size_t n = ns[k];
		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)(n - i); /* 1..n reversed */
		struct perf_pct p = perf_percentiles(v, n, 1.0);
		assert_true(p.p50 == (double)((n + 1) / 2));
		assert_true(p.p99 == (double)((99 * n + 99) / 100));
		assert_true(p.p999 == (double)((999 * n + 999) / 1000));
		assert_true(p.max == (double)n);
		if (n < 1000)
			assert_true(p.p999 == p.max);
	}
}

/* Regression: three preemptions (230 us each, the size seen in a --quick
 * bench_engine msg1 run) in the longest aggressive calls (a call is
 * preempted in proportion to its length) moved the ordinary least-squares
 * slope from the true 100 to 123 ns a trade. The fit over each trade
 * count's median does not move; the percentiles keep the samples. */
static void test_trade_fit_preempted(void **state)
{
	(void)state;
	static uint32_t lat[NAGG], tr[NAGG], scratch[NAGG];
	fill_linear(lat, tr, NAGG);
	int hit = 0;
	for (size_t i = 0; i < NAGG && hit < 3; i++)
		if (tr[i] == 40) {
			lat[i] += 230000;
			hit++;
		}
	struct perf_trades t = perf_by_trades(1.0, lat, tr, NAGG, scratch);
	print_message("ns_per_trade=%.1f (true 100) ns_fixed=%.1f (true 300)\n", t.ns_per_trade,
		      t.ns_fixed);
	assert_true(fabs(t.ns_per_trade - 100.0) < 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_decimal_not_octal),
		cmocka_unit_test(test_percentiles_and_median),
		cmocka_unit_test(test_trade_fit_exact_and_buckets),
		cmocka_unit_test(test_percentile_ranks_at_bench_counts),
		cmocka_unit_test(test_trade_fit_preempted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
