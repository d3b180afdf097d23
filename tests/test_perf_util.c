/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of perf/perf_util.c, the benchmarks' shared options and
 * statistics: numbers given to --ops, --cpu, --reps and --seed are read as
 * decimal (or 0x hex), never octal; nearest-rank percentiles and the median
 * of an even count follow docs/performance.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt_decimal_not_octal),
		cmocka_unit_test(test_percentiles_and_median),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
