/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * Unit tests of the latency histogram (include/nx/hist.h, src/hist/hist.c):
 * - geometry: memory size, bucket and sub-bucket counts against
 *   HdrHistogram's (a table taken from Java HdrHistogram 2.1.11), invalid
 *   configurations, init on bad memory;
 * - buckets: every value up to 2^22 and both sides of every power of two
 *   map to contiguous counters whose ranges hold the value and are no wider
 *   than 10^-digits of it; 0, 1, the sub-bucket edges, highest, and values
 *   above highest (clamped, counted as saturated);
 * - differential: several distributions (uniform, exponential-like, heavy
 *   tail past highest, log-uniform, small, mostly one value) recorded into
 *   the histogram and into a sorted array, at every digits 1..5; every
 *   percentile equals the highest value of the exact nearest-rank value's
 *   bucket (capped at max) and is within 10^-digits of it; min, max,
 *   count, sum, saturated exact; the iterator and the deviation agree;
 * - merge equals recording both; its refusals leave dst alone; reset;
 * - no allocation while recording (tests/alloc_count.h);
 * - a reader thread during recording sees monotone, sane values;
 * - the .hgrm text: exact bytes for small cases (checked against what
 *   Java HdrHistogram prints for the same values, including Java's half-up
 *   rounding), and the structure of a large one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "nx/cc.h"
#include "nx/hist.h"

#define HOUR NX_HIST_HOUR_NS

/* splitmix64: the test's only randomness, seeded per case. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t pow10_u64(unsigned d)
{
	uint64_t p = 1;
	while (d--)
		p *= 10;
	return p;
}

static struct nx_hist *mk(uint64_t highest, unsigned digits)
{
	struct nx_hist *h = nx_hist_create(highest, digits);
	assert_non_null(h);
	return h;
}

/* --- Geometry -------------------------------------------------------------- */

static void test_geometry(void **state)
{
	/* Java HdrHistogram 2.1.11, new Histogram(1, highest, digits): the
	 * "#[Buckets = , SubBuckets = ]" line. */
	static const struct { uint64_t highest; unsigned digits, buckets, sub; } java[] = {
		{ 2, 1, 1, 32 },            { 2, 3, 1, 2048 },
		{ 2047, 3, 1, 2048 },       { 2048, 3, 2, 2048 },
		{ 1000000, 3, 10, 2048 },   { HOUR, 1, 38, 32 },
		{ HOUR, 2, 35, 256 },       { HOUR, 3, 32, 2048 },
		{ HOUR, 4, 28, 32768 },     { HOUR, 5, 25, 262144 },
		{ INT64_MAX, 1, 59, 32 },   { INT64_MAX, 3, 53, 2048 },
		{ INT64_MAX, 5, 46, 262144 },
	};
	(void)state;
	for (size_t i = 0; i < NX_ARRAY_SIZE(java); i++) {
		struct nx_hist *h = mk(java[i].highest, java[i].digits);
		assert_int_equal(h->bucket_count, java[i].buckets);
		assert_int_equal(h->sub_bucket_count, java[i].sub);
		assert_int_equal(h->counts_len, (java[i].buckets + 1) * java[i].sub / 2);
		assert_int_equal(nx_hist_memsize(java[i].highest, java[i].digits),
				 64 + (size_t)h->counts_len * 8);
		assert_true(nx_hist_index(h, java[i].highest) < h->counts_len);
		nx_hist_destroy(h);
	}
	/* The figure quoted in the header. */
	assert_int_equal(nx_hist_memsize(HOUR, 3), 270400);

	assert_int_equal(nx_hist_memsize(HOUR, 0), 0);
	assert_int_equal(nx_hist_memsize(HOUR, 6), 0);
	assert_int_equal(nx_hist_memsize(0, 3), 0);
	assert_int_equal(nx_hist_memsize(1, 3), 0);
	assert_int_equal(nx_hist_memsize((uint64_t)INT64_MAX + 1, 3), 0);
	assert_int_equal(nx_hist_memsize(UINT64_MAX, 3), 0);
	errno = 0;
	assert_null(nx_hist_create(HOUR, 0));
	assert_int_equal(errno, EINVAL);

	size_t sz = nx_hist_memsize(1000, 2);
	char *mem = aligned_alloc(NX_CACHE_LINE, sz + NX_CACHE_LINE);
	assert_non_null(mem);
	errno = 0;
	assert_null(nx_hist_init(NULL, sz, 1000, 2));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_hist_init(mem + 8, sz, 1000, 2));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(nx_hist_init(mem, sz - 1, 1000, 2));
	assert_int_equal(errno, EINVAL);
	memset(mem, 0xA5, sz);
	struct nx_hist *h = nx_hist_init(mem, sz, 1000, 2);
	assert_ptr_equal(h, mem);
	assert_true(nx_hist_count(h) == 0 && nx_hist_min(h) == 0 && nx_hist_max(h) == 0);
	for (uint32_t i = 0; i < h->counts_len; i++)
		assert_true(h->counts[i] == 0);
	assert_true(h->highest == 1000 && h->digits == 2);
	free(mem);
	nx_hist_destroy(NULL);
}

/* --- Buckets ----------------------------------------------------------------- */

/* v's range holds v, is no wider than 10^-d of its low end, and the next
 * range starts right after it with the next counter. */
static void check_value(const struct nx_hist *h, uint64_t v, uint64_t p10)
{
	uint64_t lo = nx_hist_lowest_equiv(h, v), hi = nx_hist_highest_equiv(h, v);
	assert_true(lo <= v && v <= hi);
	assert_true((hi - lo) * p10 <= lo || hi == lo);
	assert_true(nx_hist_index(h, lo) == nx_hist_index(h, v));
	assert_true(nx_hist_index(h, hi) == nx_hist_index(h, v));
	if (hi < h->highest) {
		assert_true(nx_hist_index(h, hi + 1) == nx_hist_index(h, v) + 1);
		assert_true(nx_hist_lowest_equiv(h, hi + 1) == hi + 1);
	}
	if (lo > 0)
		assert_true(nx_hist_index(h, lo - 1) + 1 == nx_hist_index(h, v));
}

static void test_buckets_contiguous(void **state)
{
	(void)state;
	for (unsigned d = 1; d <= 3; d += 2) {
		struct nx_hist *h = mk(INT64_MAX, d);
		uint64_t p10 = pow10_u64(d);
		uint32_t prev = 0;
		for (uint64_t v = 0; v < (UINT64_C(1) << 22); v++) {
			uint32_t i = nx_hist_index(h, v);
			assert_true(i == prev || i == prev + 1);
			if (i != prev || v == 0)
				check_value(h, v, p10);
			prev = i;
		}
		for (unsigned k = 1; k < 63; k++) {
			uint64_t p = UINT64_C(1) << k;
			check_value(h, p - 1, p10);
			check_value(h, p, p10);
			check_value(h, p + 1, p10);
			assert_true(nx_hist_highest_equiv(h, p - 1) == p - 1);
			assert_true(nx_hist_lowest_equiv(h, p) == p);
		}
		check_value(h, INT64_MAX, p10);
		assert_true(nx_hist_index(h, INT64_MAX) == h->counts_len - 1);
		nx_hist_destroy(h);
	}
}

static void test_boundaries(void **state)
{
	(void)state;
	struct nx_hist *h = mk(HOUR, 3);
	/* The first bucket: a counter per value, 0 and 1 included. */
	assert_int_equal(nx_hist_index(h, 0), 0);
	assert_int_equal(nx_hist_index(h, 1), 1);
	assert_int_equal(nx_hist_index(h, 2047), 2047);
	assert_true(nx_hist_highest_equiv(h, 0) == 0 && nx_hist_highest_equiv(h, 2047) == 2047);
	/* 2048: the second bucket, counters 2 wide; 4096: 4 wide. */
	assert_int_equal(nx_hist_index(h, 2048), 2048);
	assert_int_equal(nx_hist_index(h, 2049), 2048);
	assert_int_equal(nx_hist_index(h, 2050), 2049);
	assert_int_equal(nx_hist_index(h, 4095), 3071);
	assert_int_equal(nx_hist_index(h, 4096), 3072);
	assert_true(nx_hist_highest_equiv(h, 2048) == 2049);
	assert_true(nx_hist_lowest_equiv(h, 4099) == 4096 && nx_hist_highest_equiv(h, 4096) == 4099);

	static const uint64_t vals[] = { 0, 1, 2047, 2048, 2049, 4095, 4096, 1u << 20, HOUR };
	for (size_t i = 0; i < NX_ARRAY_SIZE(vals); i++)
		nx_hist_record(h, vals[i]);
	for (size_t i = 0; i < NX_ARRAY_SIZE(vals); i++)
		assert_true(nx_hist_count_at(h, vals[i]) == (vals[i] == 2048 || vals[i] == 2049 ? 2u : 1u));
	assert_true(nx_hist_count(h) == NX_ARRAY_SIZE(vals));
	assert_true(nx_hist_min(h) == 0 && nx_hist_max(h) == HOUR && nx_hist_saturated(h) == 0);
	assert_true(nx_hist_value_at_percentile(h, 0) == 0);
	assert_true(nx_hist_value_at_percentile(h, 100) == HOUR);
	/* The p100 bucket's top is above HOUR; the answer is capped at max. */
	assert_true(nx_hist_highest_equiv(h, HOUR) > HOUR);
	assert_true(nx_hist_value_at_percentile(h, 99.999) == HOUR);

	/* Above highest: recorded as highest, counted as saturated. */
	nx_hist_record(h, HOUR + 1);
	nx_hist_record_n(h, UINT64_MAX, 3);
	assert_true(nx_hist_saturated(h) == 4);
	assert_true(nx_hist_count_at(h, HOUR) == 5);
	assert_true(nx_hist_count_at(h, UINT64_MAX) == 5);
	assert_true(nx_hist_max(h) == HOUR);
	assert_true(nx_hist_sum(h) == 0 + 1 + 2047 + 2048 + 2049 + 4095 + 4096 + (1u << 20) + 5 * HOUR);
	/* n = 0 records nothing, not even a min. */
	nx_hist_reset(h);
	nx_hist_record_n(h, 7, 0);
	assert_true(nx_hist_count(h) == 0 && nx_hist_min(h) == 0 && nx_hist_max(h) == 0);
	nx_hist_destroy(h);

	/* The smallest histogram: highest 2, one bucket. */
	h = mk(2, 1);
	nx_hist_record(h, 3);
	assert_true(nx_hist_max(h) == 2 && nx_hist_saturated(h) == 1 && nx_hist_count_at(h, 2) == 1);
	nx_hist_destroy(h);
}

/* --- Differential against a sorted array ---------------------------------------- */

enum dist { D_UNIFORM, D_EXP, D_HEAVY, D_LOGUNI, D_SMALL, D_SPIKE, D_NDIST };

static uint64_t draw(enum dist d, uint64_t *s)
{
	uint64_t a = rnd(s), b = rnd(s);
	unsigned z = b ? (unsigned)NX_CLZ64(b) : 64;
	switch (d) {
	case D_UNIFORM:
		return a % 1000000;
	case D_EXP: /* base-2 exponential, mean ~ 20 us: geometric + uniform fraction */
		return (UINT64_C(14000) * (((uint64_t)z << 20) + (a & 0xfffff))) >> 20;
	case D_HEAVY: /* Pareto-like: 1000..2000 times 16^k, P(k) = 2^-(k+1); 0.4% past HOUR */
		return (1000 + a % 1000) << (z < 11 ? 4 * z : 44);
	case D_LOGUNI: /* uniform in log: 0 .. 2^64 */
		return a >> (b % 64);
	case D_SMALL: /* around the first bucket edge */
		return a % 3000;
	case D_SPIKE: /* mostly one value */
		return a % 10 < 8 ? 12345 : a % 100000;
	default:
		return 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

#define DIFF_N 100000

static void check_against_sorted(const struct nx_hist *h, const uint64_t *v, size_t n, uint64_t *s)
{
	static const uint32_t fixed_ppm[] = { 1, 10, 100, 1000, 10000, 100000, 250000, 500000,
					      750000, 900000, 990000, 999000, 999900, 999990,
					      999999 };
	uint64_t p10 = pow10_u64(h->digits), mx = v[n - 1];
	double pct[64];
	uint64_t got[64];
	unsigned np = 0;

	assert_true(nx_hist_count(h) == n);
	assert_true(nx_hist_min(h) == v[0] && nx_hist_max(h) == mx);
	assert_true(nx_hist_value_at_percentile(h, 0) == v[0]);
	assert_true(nx_hist_value_at_percentile(h, 100) == mx);
	for (unsigned k = 0; k < NX_ARRAY_SIZE(fixed_ppm) + 200; k++) {
		uint64_t ppm = k < NX_ARRAY_SIZE(fixed_ppm) ? fixed_ppm[k] : 1 + rnd(s) % 999999;
		double p = (double)ppm / 1e4;
		uint64_t rank = (ppm * n + 999999) / 1000000; /* exact nearest rank */
		uint64_t exact = v[(rank ? rank : 1) - 1];
		uint64_t hv = nx_hist_value_at_percentile(h, p);
		uint64_t want = nx_hist_highest_equiv(h, exact);
		want = want < mx ? want : mx;
		if (hv != want)
			fail_msg("d=%u ppm=%llu rank=%llu exact=%llu hist=%llu want=%llu", h->digits,
				 (unsigned long long)ppm, (unsigned long long)rank,
				 (unsigned long long)exact, (unsigned long long)hv,
				 (unsigned long long)want);
		/* The contract: never below, within 10^-digits above. */
		assert_true(hv >= exact && (hv - exact) <= exact / p10);
		if (k < NX_ARRAY_SIZE(fixed_ppm)) {
			pct[np] = p;
			got[np++] = hv;
		}
	}
	/* The one-pass form agrees, and refuses a descending list. */
	uint64_t batch[64];
	assert_int_equal(nx_hist_percentiles(h, pct, batch, np), 0);
	assert_memory_equal(batch, got, np * sizeof(got[0]));
	double bad[2] = { 50, 10 };
	assert_int_equal(nx_hist_percentiles(h, bad, batch, 2), -EINVAL);

	/* The iterator: ascending disjoint ranges, counts sum to n, each range
	 * holds exactly the array's values in it. */
	struct nx_hist_iter it;
	uint64_t cum = 0, prev_hi = 0, nb = 0;
	size_t j = 0;
	double sm = 0, sd2 = 0, mean;
	nx_hist_iter_init(&it, h);
	while (nx_hist_iter_next(&it)) {
		assert_true(nb == 0 || it.lo > prev_hi);
		assert_true(it.lo == nx_hist_lowest_equiv(h, it.lo) && it.hi == nx_hist_highest_equiv(h, it.lo));
		size_t j0 = j;
		while (j < n && v[j] <= it.hi)
			assert_true(v[j++] >= it.lo);
		assert_true(it.count == j - j0);
		cum += it.count;
		assert_true(it.cum == cum);
		sm += (double)(it.lo + (it.hi - it.lo + 1) / 2) * (double)it.count;
		prev_hi = it.hi;
		nb++;
	}
	assert_true(cum == n && j == n);
	/* The deviation: of bucket middles, around their mean. */
	mean = sm / (double)n;
	nx_hist_iter_init(&it, h);
	while (nx_hist_iter_next(&it)) {
		double dv = (double)(it.lo + (it.hi - it.lo + 1) / 2) - mean;
		sd2 += dv * dv * (double)it.count;
	}
	sd2 /= (double)n;
	double sd = nx_hist_stddev(h), err = sd * sd - sd2;
	assert_true(err <= 1e-9 * sd2 && -err <= 1e-9 * sd2);
}

static void test_differential(void **state)
{
	uint64_t *v = malloc(DIFF_N * sizeof(*v));
	(void)state;
	assert_non_null(v);
	for (unsigned d = NX_HIST_DIGITS_MIN; d <= NX_HIST_DIGITS_MAX; d++) {
		struct nx_hist *h = mk(HOUR, d);
		for (int dist = 0; dist < D_NDIST; dist++) {
			uint64_t s = 1000 * d + (uint64_t)dist, sum = 0, sat = 0;
			nx_hist_reset(h);
			for (size_t i = 0; i < DIFF_N; i++) {
				uint64_t x = draw((enum dist)dist, &s);
				nx_hist_record(h, x);
				sat += x > HOUR;
				v[i] = x > HOUR ? HOUR : x;
				sum += v[i];
			}
			qsort(v, DIFF_N, sizeof(v[0]), cmp_u64);
			assert_true(nx_hist_saturated(h) == sat);
			assert_true(nx_hist_sum(h) == sum);
			assert_true(nx_hist_mean(h) == (double)sum / DIFF_N);
			if (dist == D_HEAVY || dist == D_LOGUNI)
				assert_true(sat > 0); /* the case is the one it claims */
			check_against_sorted(h, v, DIFF_N, &s);
		}
		nx_hist_destroy(h);
	}
	free(v);
}

/* The rank of 99.9 of 1000 is 999, not 1000 (binary 99.9 is a hair above). */
static void test_percentile_rank(void **state)
{
	(void)state;
	struct nx_hist *h = mk(HOUR, 3);
	for (uint64_t i = 1; i <= 1000; i++)
		nx_hist_record(h, i * 1000);
	assert_true(nx_hist_value_at_percentile(h, 99.9) == nx_hist_highest_equiv(h, 999000));
	assert_true(nx_hist_value_at_percentile(h, 50) == nx_hist_highest_equiv(h, 500000));
	assert_true(nx_hist_value_at_percentile(h, 0.1) == nx_hist_highest_equiv(h, 1000));
	assert_true(nx_hist_value_at_percentile(h, 0.05) == nx_hist_highest_equiv(h, 1000));
	assert_true(nx_hist_value_at_percentile(h, -1) == 1000);
	assert_true(nx_hist_value_at_percentile(h, 1e9) == 1000000);
	nx_hist_reset(h);
	assert_true(nx_hist_value_at_percentile(h, 50) == 0);
	assert_true(nx_hist_mean(h) == 0 && nx_hist_stddev(h) == 0);
	nx_hist_destroy(h);
}

/* --- Merge and reset ----------------------------------------------------------- */

static void assert_same(const struct nx_hist *a, const struct nx_hist *b)
{
	assert_true(nx_hist_count(a) == nx_hist_count(b));
	assert_true(nx_hist_sum(a) == nx_hist_sum(b));
	assert_true(nx_hist_min(a) == nx_hist_min(b));
	assert_true(nx_hist_max(a) == nx_hist_max(b));
	assert_true(nx_hist_saturated(a) == nx_hist_saturated(b));
	assert_int_equal(a->counts_len, b->counts_len);
	assert_memory_equal(a->counts, b->counts, a->counts_len * sizeof(a->counts[0]));
}

static void test_merge(void **state)
{
	(void)state;
	struct nx_hist *a = mk(HOUR, 3), *b = mk(HOUR, 3), *both = mk(HOUR, 3);
	struct nx_hist *small = mk(1000000, 3), *d2 = mk(HOUR, 2), *empty = mk(HOUR, 3);
	uint64_t s = 7;
	for (int i = 0; i < 50000; i++) {
		uint64_t x = draw(D_HEAVY, &s), y = draw(D_EXP, &s);
		nx_hist_record(a, x);
		nx_hist_record(both, x);
		nx_hist_record_n(b, y, 3);
		nx_hist_record_n(both, y, 3);
	}
	assert_int_equal(nx_hist_merge(a, b), 0);
	assert_same(a, both);

	/* A smaller range merges into a larger one of the same digits... */
	nx_hist_record(small, 5);
	nx_hist_record(small, 2000000); /* saturated at 1e6 */
	nx_hist_record(both, 5);
	nx_hist_record(both, 1000000);
	assert_int_equal(nx_hist_merge(a, small), 0);
	assert_true(nx_hist_saturated(a) == nx_hist_saturated(both) + 1);
	assert_true(nx_hist_count(a) == nx_hist_count(both) && nx_hist_min(a) == nx_hist_min(both));
	assert_memory_equal(a->counts, both->counts, a->counts_len * sizeof(a->counts[0]));

	/* ...not the other way, nor across digits; dst is left alone. */
	uint64_t c0 = nx_hist_count(small);
	assert_int_equal(nx_hist_merge(small, a), -EINVAL);
	assert_int_equal(nx_hist_merge(d2, a), -EINVAL);
	assert_int_equal(nx_hist_merge(a, d2), -EINVAL);
	assert_true(nx_hist_count(small) == c0 && nx_hist_count(d2) == 0);

	/* An empty source changes nothing (min stays); an empty dst takes all. */
	uint64_t mn = nx_hist_min(both), c5 = nx_hist_count_at(both, 5);
	assert_int_equal(nx_hist_merge(both, empty), 0);
	assert_true(nx_hist_min(both) == mn && c5 >= 1);
	assert_int_equal(nx_hist_merge(empty, both), 0);
	assert_same(empty, both);
	/* Into itself: every count doubles. */
	uint64_t n = nx_hist_count(both);
	assert_int_equal(nx_hist_merge(both, both), 0);
	assert_true(nx_hist_count(both) == 2 * n && nx_hist_count_at(both, 5) == 2 * c5);

	nx_hist_destroy(a);
	nx_hist_destroy(b);
	nx_hist_destroy(both);
	nx_hist_destroy(small);
	nx_hist_destroy(d2);
	nx_hist_destroy(empty);
}

static void test_reset(void **state)
{
	(void)state;
	struct nx_hist *h = mk(HOUR, 3), *fresh = mk(HOUR, 3);
	uint64_t s = 3;
	for (int i = 0; i < 10000; i++)
		nx_hist_record(h, draw(D_LOGUNI, &s));
	assert_true(nx_hist_saturated(h) > 0);
	nx_hist_reset(h);
	assert_same(h, fresh);
	assert_true(nx_hist_min(h) == 0 && nx_hist_max(h) == 0);
	assert_true(nx_hist_value_at_percentile(h, 99) == 0);
	struct nx_hist_iter it;
	nx_hist_iter_init(&it, h);
	assert_int_equal(nx_hist_iter_next(&it), 0);
	nx_hist_record(h, 42);
	nx_hist_record(fresh, 42);
	assert_same(h, fresh);
	assert_true(nx_hist_min(h) == 42 && nx_hist_value_at_percentile(h, 50) == 42);
	nx_hist_destroy(h);
	nx_hist_destroy(fresh);
}

/* --- No allocation while recording ---------------------------------------------- */

static void test_record_allocates_nothing(void **state)
{
	void *(*volatile m)(size_t) = malloc;
	void (*volatile fr)(void *) = free;
	struct nx_hist *h = mk(HOUR, 3);
	uint64_t s = 11, a0, f0;
	(void)state;
	/* The counter counts (so the verdict below is not vacuous). */
	count_window(1);
	a0 = g_alloc.allocs;
	fr(m(32));
	assert_true(g_alloc.allocs > a0);
	count_window(0);

	a0 = g_alloc.allocs;
	f0 = g_alloc.frees;
	count_window(1);
	for (int i = 0; i < 1000000; i++) {
		uint64_t x = draw((enum dist)(i % D_NDIST), &s);
		if (i & 1)
			nx_hist_record(h, x);
		else
			nx_hist_record_n(h, x, (uint64_t)i & 7);
	}
	count_window(0);
	assert_true(g_alloc.allocs == a0 && g_alloc.frees == f0);
	assert_true(nx_hist_count(h) > 500000);
	nx_hist_destroy(h);
}

/* --- A reader during recording ----------------------------------------------------- */

struct race {
	struct nx_hist *h;
	volatile int done;
	uint64_t n;
};

static void *writer(void *arg)
{
	struct race *r = arg;
	uint64_t s = 5;
	for (uint64_t i = 0; i < r->n; i++)
		nx_hist_record(r->h, draw(D_EXP, &s));
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_concurrent_reader(void **state)
{
	(void)state;
	struct race r = { .h = mk(HOUR, 3), .n = 2000000 };
	struct nx_hist *snap = mk(HOUR, 3);
	pthread_t t;
	uint64_t last = 0, reads = 0;
	static const double pct[] = { 50, 90, 99, 99.9, 100 };
	assert_int_equal(pthread_create(&t, NULL, writer, &r), 0);
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE) || reads < 3) {
		uint64_t n = nx_hist_count(r.h), out[5];
		assert_true(n >= last && n <= r.n);
		last = n;
		assert_int_equal(nx_hist_percentiles(r.h, pct, out, 5), 0);
		for (int k = 1; k < 5; k++)
			assert_true(out[k - 1] <= out[k]);
		/* A snapshot is self-consistent: count is its counters' sum. */
		nx_hist_reset(snap);
		assert_int_equal(nx_hist_merge(snap, r.h), 0);
		struct nx_hist_iter it;
		uint64_t cum = 0;
		nx_hist_iter_init(&it, snap);
		while (nx_hist_iter_next(&it))
			cum += it.count;
		assert_true(cum == nx_hist_count(snap));
		reads++;
	}
	pthread_join(t, NULL);
	assert_true(nx_hist_count(r.h) == r.n);
	nx_hist_destroy(r.h);
	nx_hist_destroy(snap);
}

/* --- The .hgrm text ----------------------------------------------------------------- */

static char *hgrm(const struct nx_hist *h, double scale)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(nx_hist_write_percentiles(h, f, scale), 0);
	fclose(f);
	return buf;
}

/* Both texts are what Java HdrHistogram 2.1.11's
 * outputPercentileDistribution(out, 5, scale) printed for the same values. */
static void test_hgrm_exact(void **state)
{
	static const char one_to_five[] =
		"       Value     Percentile TotalCount 1/(1-Percentile)\n"
		"\n"
		"       1.000 0.000000000000          1           1.00\n"
		"       1.000 0.100000000000          1           1.11\n"
		"       1.000 0.200000000000          1           1.25\n"
		"       2.000 0.300000000000          2           1.43\n"
		"       2.000 0.400000000000          2           1.67\n"
		"       3.000 0.500000000000          3           2.00\n"
		"       3.000 0.550000000000          3           2.22\n"
		"       3.000 0.600000000000          3           2.50\n"
		"       4.000 0.650000000000          4           2.86\n"
		"       4.000 0.700000000000          4           3.33\n"
		"       4.000 0.750000000000          4           4.00\n"
		"       4.000 0.775000000000          4           4.44\n"
		"       4.000 0.800000000000          4           5.00\n"
		"       5.000 0.825000000000          5           5.71\n"
		"       5.000 1.000000000000          5\n"
		"#[Mean    =        3.000, StdDeviation   =        1.414]\n"
		"#[Max     =        5.000, Total count    =            5]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n";
	/* 1 digit, scale 4: 5 / 4 = 1.25 prints "1.3" (Java rounds half up;
	 * C's printf would say "1.2"); 1250 is in [1216, 1279]. */
	static const char rounding[] =
		"       Value     Percentile TotalCount 1/(1-Percentile)\n"
		"\n"
		"         0.0 0.000000000000          1           1.00\n"
		"         0.0 0.100000000000          1           1.11\n"
		"         0.0 0.200000000000          1           1.25\n"
		"         0.0 0.300000000000          1           1.43\n"
		"         1.3 0.400000000000          2           1.67\n"
		"         1.3 0.500000000000          2           2.00\n"
		"         1.3 0.550000000000          2           2.22\n"
		"         1.3 0.600000000000          2           2.50\n"
		"         1.3 0.650000000000          2           2.86\n"
		"       319.8 0.700000000000          3           3.33\n"
		"       319.8 1.000000000000          3\n"
		"#[Mean    =        104.4, StdDeviation   =        146.8]\n"
		"#[Max     =        319.8, Total count    =            3]\n"
		"#[Buckets =           13, SubBuckets     =           32]\n";
	static const char empty[] =
		"       Value     Percentile TotalCount 1/(1-Percentile)\n"
		"\n"
		"#[Mean    =        0.000, StdDeviation   =        0.000]\n"
		"#[Max     =        0.000, Total count    =            0]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n";
	(void)state;
	struct nx_hist *h = mk(HOUR, 3), *g = mk(100000, 1);
	char *t = hgrm(h, 1);
	assert_string_equal(t, empty);
	free(t);
	for (uint64_t v = 1; v <= 5; v++)
		nx_hist_record(h, v);
	t = hgrm(h, 1);
	assert_string_equal(t, one_to_five);
	free(t);
	/* Its deviation is sqrt(2), correctly rounded (as Java's Math.sqrt). */
	assert_true(nx_hist_stddev(h) == 0x1.6a09e667f3bcdp+0);
	nx_hist_record(g, 5);
	nx_hist_record(g, 0);
	nx_hist_record(g, 1250);
	t = hgrm(g, 4);
	assert_string_equal(t, rounding);
	free(t);
	assert_int_equal(nx_hist_write_percentiles(h, stdout, 0), -EINVAL);
	assert_int_equal(nx_hist_write_percentiles(h, stdout, -1), -EINVAL);
	assert_int_equal(nx_hist_write_percentiles(NULL, stdout, 1), -EINVAL);
	nx_hist_destroy(h);
	nx_hist_destroy(g);
}

/* The levels HdrHistogram reports first, 5 ticks per half distance. */
static const char *const java_levels[] = {
	"0.000000000000", "0.100000000000", "0.200000000000", "0.300000000000",
	"0.400000000000", "0.500000000000", "0.550000000000", "0.600000000000",
	"0.650000000000", "0.700000000000", "0.750000000000", "0.775000000000",
	"0.800000000000", "0.825000000000", "0.850000000000", "0.875000000000",
	"0.887500000000", "0.900000000000", "0.912500000000", "0.925000000000",
	"0.937500000000", "0.943750000000", "0.950000000000", "0.956250000000",
};

static void test_hgrm_structure(void **state)
{
	(void)state;
	struct nx_hist *h = mk(HOUR, 3);
	uint64_t s = 99, n = 200000;
	for (uint64_t i = 0; i < n; i++)
		nx_hist_record(h, 1 + draw(D_HEAVY, &s) % 100000000);
	char *t = hgrm(h, 1000), *save = NULL;
	char *line = strtok_r(t, "\n", &save);
	assert_string_equal(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
	assert_true(strncmp(t + strlen(line) + 1, "\n", 1) == 0); /* then an empty line */
	double pv = -1, pp = -1, pr = 0;
	unsigned long long pc = 0, c;
	unsigned nlines = 0, last = 0;
	while ((line = strtok_r(NULL, "\n", &save)) && line[0] != '#') {
		double v, p, r;
		char ps[32];
		int k = sscanf(line, "%lf %31s %llu %lf", &v, ps, &c, &r);
		assert_true(!last);
		assert_true(k == 4 || k == 3);
		p = strtod(ps, NULL);
		assert_true(v >= pv && p > pp && c >= pc && c <= n);
		if (nlines < NX_ARRAY_SIZE(java_levels))
			assert_string_equal(ps, java_levels[nlines]);
		if (k == 4) {
			assert_true(r >= pr && r > 0.99 / (1 - p) && r < 1.01 / (1 - p));
			pr = r;
		} else { /* the 100% line */
			assert_string_equal(ps, "1.000000000000");
			assert_true(c == n);
			/* the value is the max's bucket top, in us */
			assert_true(v == (double)nx_hist_highest_equiv(h, nx_hist_max(h)) / 1000);
			last = 1;
		}
		pv = v, pp = p, pc = c;
		nlines++;
	}
	assert_true(last && nlines > 40);
	double mean, sd, mx;
	unsigned long long total, b, sb;
	assert_non_null(line);
	assert_int_equal(sscanf(line, "#[Mean    = %lf, StdDeviation   = %lf]", &mean, &sd), 2);
	line = strtok_r(NULL, "\n", &save);
	assert_int_equal(sscanf(line, "#[Max     = %lf, Total count    = %llu]", &mx, &total), 2);
	line = strtok_r(NULL, "\n", &save);
	assert_int_equal(sscanf(line, "#[Buckets = %llu, SubBuckets     = %llu]", &b, &sb), 2);
	assert_null(strtok_r(NULL, "\n", &save));
	assert_true(total == n && b == 32 && sb == 2048 && mx == pv);
	/* The bucket-middle mean is within 0.1% of the exact one. */
	double exact = nx_hist_mean(h) / 1000;
	assert_true(mean > exact * 0.999 && mean < exact * 1.001);
	assert_true(sd > 0.999 * nx_hist_stddev(h) / 1000 && sd < 1.001 * nx_hist_stddev(h) / 1000);
	free(t);
	nx_hist_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_buckets_contiguous),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_percentile_rank),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_record_allocates_nothing),
		cmocka_unit_test(test_concurrent_reader),
		cmocka_unit_test(test_hgrm_exact),
		cmocka_unit_test(test_hgrm_structure),
	};

	count_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
