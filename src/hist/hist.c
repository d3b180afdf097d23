/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The latency histogram of include/nx/hist.h: layout, the cold queries,
 * merging and HdrHistogram's percentile text. Recording is inline in the
 * header. Every read of a word the writer may be updating is a relaxed
 * atomic load (ld below), pairing with the relaxed stores of nx_hist_add_
 * and nx_hist_record_n; no pass over the counters trusts `count` to equal
 * their sum, since a reader on another thread may see one without the other.
 *
 * libnx links without -lm, so the little floating point here (cold
 * queries, the text output) does its rounding, logarithms and square root
 * on the bits; the results are the ones HdrHistogram's Java gets from
 * Math.ceil, Math.log and Math.sqrt for the same inputs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nx/hist.h"
#include "../mem.h"

static uint64_t ld(const uint64_t *w)
{
	return __atomic_load_n(w, __ATOMIC_RELAXED);
}

/* Pairs with nx_hist_record_n's loads: only the writer resets or merges in. */
static void st(uint64_t *w, uint64_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELAXED);
}

/* --- Floating point without libm ------------------------------------------- */

static uint64_t dbits(double x)
{
	uint64_t b;
	memcpy(&b, &x, sizeof(b));
	return b;
}

static double dfrom(uint64_t b)
{
	double x;
	memcpy(&x, &b, sizeof(x));
	return x;
}

/* floor(log2(x)) for finite x >= 1: its binary exponent. Java's
 * (long)(Math.log(x) / Math.log(2)) agrees on every power of two 2^0..2^62
 * (checked), and the tick levels below are powers of two or far from one. */
static unsigned floor_log2(double x)
{
	return (unsigned)((dbits(x) >> 52) & 0x7ff) - 1023;
}

/* ceil(x) for 0 <= x < 2^64. */
static uint64_t ceil_u64(double x)
{
	uint64_t k = (uint64_t)x;
	return k + ((double)k < x);
}

/* The correctly rounded square root of x >= 0 (IEEE sqrt, as Java's
 * Math.sqrt): x = m 2^e with m < 2^54 and e even, r = isqrt(m 2^54) has
 * 54 bits, and the last one rounds it to 53. */
static double sqrt_cr(double x)
{
	uint64_t b = dbits(x), m = b & ((UINT64_C(1) << 52) - 1);
	int e = (int)(b >> 52);
	if (!(x > 0) || e == 0x7ff)
		return x > 0 ? x : 0.0; /* 0, NaN, inf: not seen here */
	if (e)
		m |= UINT64_C(1) << 52;
	else
		e = 1; /* subnormal */
	e -= 1075;
	while (m < (UINT64_C(1) << 52)) {
		m <<= 1;
		e--;
	}
	if (e & 1) {
		m <<= 1;
		e--;
	}
	unsigned __int128 n = (unsigned __int128)m << 54, r = 0, bit = (unsigned __int128)1 << 106;
	for (; bit; bit >>= 2) {
		if (n >= r + bit) {
			n -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	/* sqrt(x) = r 2^((e - 54) / 2), r in [2^53, 2^54): keep 53 bits,
	 * rounding up on the last (n != 0 then: a sqrt is never halfway). */
	uint64_t q = (uint64_t)(r >> 1) + (uint64_t)(r & 1);
	int qe = (e - 54) / 2 + 1;
	if (q >> 53) {
		q >>= 1;
		qe++;
	}
	return dfrom((uint64_t)(qe + 1075) << 52 | (q & ((UINT64_C(1) << 52) - 1)));
}

/* --- Geometry --------------------------------------------------------------- */

struct geom {
	uint32_t sub;        /* sub_bucket_count */
	uint32_t counts_len;
	uint8_t half_mag;
	uint8_t buckets;
	size_t bytes;
};

static int geom_of(uint64_t highest, unsigned digits, struct geom *g)
{
	if (digits < NX_HIST_DIGITS_MIN || digits > NX_HIST_DIGITS_MAX || highest < 2 ||
	    highest > NX_HIST_HIGHEST_MAX)
		return -1;
	uint64_t p10 = 1;
	for (unsigned i = 0; i < digits; i++)
		p10 *= 10;
	/* Unit resolution up to 2 * 10^d: a power of two at least that. */
	uint64_t sub = nx_pow2_ceil_u64(2 * p10);
	/* HdrHistogram's getBucketsNeededToCoverValue: double the first
	 * untrackable value until it exceeds highest (< 2^63: no overflow). */
	unsigned buckets = 1;
	for (uint64_t untrackable = sub; untrackable <= highest; untrackable <<= 1)
		buckets++;
	g->sub = (uint32_t)sub;
	g->half_mag = (uint8_t)(NX_CTZ64(sub) - 1);
	g->buckets = (uint8_t)buckets;
	g->counts_len = (uint32_t)((buckets + 1) * (sub / 2));
	g->bytes = sizeof(struct nx_hist) + (size_t)g->counts_len * sizeof(uint64_t);
	g->bytes = (g->bytes + NX_CACHE_LINE - 1) & ~(size_t)(NX_CACHE_LINE - 1);
	return 0;
}

/* Counter i's values: [lo, lo + 2^b - 1] (HdrHistogram's valueFromIndex). */
static uint64_t index_lo(const struct nx_hist *h, uint32_t i, unsigned *b)
{
	uint32_t half = h->sub_bucket_count / 2;
	unsigned bucket = i >> h->half_mag;
	uint64_t sub = (i & (half - 1)) + half;
	if (bucket == 0) { /* the first bucket covers both halves at unit size */
		*b = 0;
		return i;
	}
	*b = bucket - 1;
	return sub << (bucket - 1);
}

static uint64_t index_hi(const struct nx_hist *h, uint32_t i)
{
	unsigned b;
	uint64_t lo = index_lo(h, i, &b);
	return lo + ((UINT64_C(1) << b) - 1);
}

/* The middle of counter i's range, as HdrHistogram's medianEquivalentValue. */
static uint64_t index_mid(const struct nx_hist *h, uint32_t i)
{
	unsigned b;
	uint64_t lo = index_lo(h, i, &b);
	return lo + ((UINT64_C(1) << b) >> 1);
}

uint64_t nx_hist_lowest_equiv(const struct nx_hist *h, uint64_t v)
{
	unsigned b = (unsigned)h->lz_base - (unsigned)NX_CLZ64(v | h->sub_mask);
	return v >> b << b;
}

uint64_t nx_hist_highest_equiv(const struct nx_hist *h, uint64_t v)
{
	unsigned b = (unsigned)h->lz_base - (unsigned)NX_CLZ64(v | h->sub_mask);
	return (v >> b << b) + ((UINT64_C(1) << b) - 1);
}

/* --- Lifecycle ---------------------------------------------------------------- */

size_t nx_hist_memsize(uint64_t highest, unsigned digits)
{
	struct geom g;
	return geom_of(highest, digits, &g) ? 0 : g.bytes;
}

struct nx_hist *nx_hist_init(void *mem, size_t len, uint64_t highest, unsigned digits)
{
	struct geom g;
	if (!mem || ((uintptr_t)mem & (NX_CACHE_LINE - 1)) || geom_of(highest, digits, &g) ||
	    len < g.bytes) {
		errno = EINVAL;
		return NULL;
	}
	struct nx_hist *h = mem;
	memset(h, 0, g.bytes);
	h->min = UINT64_MAX;
	h->highest = highest;
	h->sub_mask = g.sub - 1;
	h->half_mag = g.half_mag;
	h->lz_base = (uint8_t)(63 - g.half_mag);
	h->digits = (uint8_t)digits;
	h->bucket_count = g.buckets;
	h->sub_bucket_count = g.sub;
	h->counts_len = g.counts_len;
	return h;
}

struct nx_hist *nx_hist_create(uint64_t highest, unsigned digits)
{
	size_t sz = nx_hist_memsize(highest, digits);
	if (!sz) {
		errno = EINVAL;
		return NULL;
	}
	void *mem = nx_mem_alloc(sz);
	if (!mem)
		return NULL;
	return nx_hist_init(mem, sz, highest, digits);
}

void nx_hist_destroy(struct nx_hist *h)
{
	free(h);
}

void nx_hist_reset(struct nx_hist *h)
{
	st(&h->count, 0);
	st(&h->sum, 0);
	st(&h->saturated, 0);
	st(&h->min, UINT64_MAX);
	st(&h->max, 0);
	for (uint32_t i = 0; i < h->counts_len; i++)
		st(&h->counts[i], 0);
}

/* --- Queries ---------------------------------------------------------------- */

uint64_t nx_hist_count(const struct nx_hist *h) { return ld(&h->count); }
uint64_t nx_hist_saturated(const struct nx_hist *h) { return ld(&h->saturated); }
uint64_t nx_hist_sum(const struct nx_hist *h) { return ld(&h->sum); }
uint64_t nx_hist_max(const struct nx_hist *h) { return ld(&h->max); }

uint64_t nx_hist_min(const struct nx_hist *h)
{
	uint64_t m = ld(&h->min);
	return m == UINT64_MAX ? 0 : m;
}

double nx_hist_mean(const struct nx_hist *h)
{
	uint64_t n = ld(&h->count);
	return n ? (double)ld(&h->sum) / (double)n : 0.0;
}

/* HdrHistogram's getMean and getStdDeviation, over bucket middles; *total is
 * the sum of the counters as read. */
static void bucket_moments(const struct nx_hist *h, uint64_t *total, double *mean, double *sd)
{
	uint64_t n = 0;
	double s = 0, dev = 0;
	for (uint32_t i = 0; i < h->counts_len; i++) {
		uint64_t c = ld(&h->counts[i]);
		n += c;
		s += (double)index_mid(h, i) * (double)c;
	}
	*total = n;
	*mean = n ? s / (double)n : 0.0;
	for (uint32_t i = 0; n && i < h->counts_len; i++) {
		uint64_t c = ld(&h->counts[i]);
		double d = (double)index_mid(h, i) - *mean;
		dev += d * d * (double)c;
	}
	*sd = n ? sqrt_cr(dev / (double)n) : 0.0;
}

double nx_hist_stddev(const struct nx_hist *h)
{
	uint64_t n;
	double mean, sd;
	bucket_moments(h, &n, &mean, &sd);
	return sd;
}

/* The rank pct asks for, as HdrHistogram >= 2.1.12: pct one ulp lower, so
 * that 99.9 (binary 99.90000000000000568) of 1000 is 999, then rounded up. */
static uint64_t rank_of(double pct, uint64_t n)
{
	double r = dfrom(dbits(pct) - 1) * (double)n / 100.0; /* pct in (0, 100) */
	if (r >= (double)n)
		return n;
	uint64_t k = ceil_u64(r);
	return k ? k : 1;
}

int nx_hist_percentiles(const struct nx_hist *h, const double *pct, uint64_t *out, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (isnan(pct[k]) || (k && pct[k] < pct[k - 1]))
			return -EINVAL;
	uint64_t total = ld(&h->count), mn = nx_hist_min(h), mx = ld(&h->max);
	unsigned k = 0;
	if (total == 0) {
		for (; k < n; k++)
			out[k] = 0;
		return 0;
	}
	for (; k < n && pct[k] <= 0; k++)
		out[k] = mn;
	uint64_t cum = 0, want = k < n && pct[k] < 100 ? rank_of(pct[k], total) : 0;
	for (uint32_t i = 0; want && i < h->counts_len; i++) {
		cum += ld(&h->counts[i]);
		while (want && cum >= want) {
			uint64_t v = index_hi(h, i);
			out[k++] = v < mx ? v : mx;
			want = k < n && pct[k] < 100 ? rank_of(pct[k], total) : 0;
		}
	}
	/* 100 and above; or the counters as read fell short of count. */
	for (; k < n; k++)
		out[k] = mx;
	return 0;
}

uint64_t nx_hist_value_at_percentile(const struct nx_hist *h, double pct)
{
	uint64_t v;
	if (isnan(pct))
		pct = 0;
	nx_hist_percentiles(h, &pct, &v, 1);
	return v;
}

uint64_t nx_hist_count_at(const struct nx_hist *h, uint64_t v)
{
	return ld(&h->counts[nx_hist_index(h, v < h->highest ? v : h->highest)]);
}

/* --- Iteration ----------------------------------------------------------------- */

void nx_hist_iter_init(struct nx_hist_iter *it, const struct nx_hist *h)
{
	memset(it, 0, sizeof(*it));
	it->h_ = h;
}

int nx_hist_iter_next(struct nx_hist_iter *it)
{
	const struct nx_hist *h = it->h_;
	while (it->i_ < h->counts_len) {
		uint32_t i = it->i_++;
		uint64_t c = ld(&h->counts[i]);
		if (!c)
			continue;
		unsigned b;
		it->lo = index_lo(h, i, &b);
		it->hi = it->lo + ((UINT64_C(1) << b) - 1);
		it->count = c;
		it->cum += c;
		return 1;
	}
	return 0;
}

/* --- Merging --------------------------------------------------------------------- */

int nx_hist_merge(struct nx_hist *dst, const struct nx_hist *src)
{
	if (!dst || !src || dst->digits != src->digits || src->highest > dst->highest)
		return -EINVAL;
	uint64_t added = 0;
	for (uint32_t i = 0; i < src->counts_len; i++) {
		uint64_t c = ld(&src->counts[i]);
		if (c) {
			nx_hist_add_(&dst->counts[i], c);
			added += c;
		}
	}
	if (!added)
		return 0;
	nx_hist_add_(&dst->count, added);
	nx_hist_add_(&dst->sum, ld(&src->sum));
	nx_hist_add_(&dst->saturated, ld(&src->saturated));
	uint64_t smn = ld(&src->min), smx = ld(&src->max);
	if (smn < ld(&dst->min))
		st(&dst->min, smn);
	if (smx > ld(&dst->max))
		st(&dst->max, smx);
	return 0;
}

/* --- HdrHistogram's percentile text ------------------------------------------------ */

/*
 * x as Java's Formatter prints "%.<prec>f": the shortest decimal that reads
 * back as x (Double.toString's digits), rounded half up. C's printf rounds
 * the exact binary value instead, so ties differ: 1.2345 (binary
 * 1.23449999...) is "1.235" in Java and "1.234" in C.
 */
static void jfmt(char *out, size_t len, double x, int prec)
{
	char e[40], a[64];
	int p, exp, neg, ni, nd = 0;
	if (!isfinite(x)) {
		snprintf(out, len, "%s", isnan(x) ? "NaN" : x > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	if (p == 17)
		snprintf(e, sizeof(e), "%.16e", x); /* 17 digits always read back */
	char *ep = strchr(e, 'e');
	exp = atoi(ep + 1);
	if (exp > 30 || prec > 30) { /* beyond any latency: plain C rounding */
		snprintf(out, len, "%.*f", prec, x);
		return;
	}
	/* a: ni integer digits, prec decimals, one guard digit; digit j of the
	 * mantissa has weight 10^(exp - j), i.e. position ni - 1 - exp + j. */
	neg = e[0] == '-';
	ni = exp >= 0 ? exp + 1 : 1;
	memset(a, '0', (size_t)(ni + prec + 1));
	for (const char *c = e + neg; c < ep; c++) {
		if (*c == '.')
			continue;
		int pos = ni - 1 - exp + nd++;
		if (pos <= ni + prec)
			a[pos] = *c;
	}
	int carry = a[ni + prec] >= '5';
	for (int i = ni + prec - 1; i >= 0 && carry; i--) {
		carry = a[i] == '9';
		a[i] = carry ? '0' : (char)(a[i] + 1);
	}
	snprintf(out, len, "%s%s%.*s%s%.*s", neg ? "-" : "", carry ? "1" : "", ni, a,
		 prec ? "." : "", prec, a + ni);
}

int nx_hist_write_percentiles(const struct nx_hist *h, FILE *f, double unit_scale)
{
	char v[64], p[64], r[64];
	uint64_t total, cum = 0;
	double mean, sd, level = 0;
	int d, last = 0, fresh = 1;
	uint32_t i = 0;

	if (!h || !f || !(unit_scale > 0) || !isfinite(unit_scale))
		return -EINVAL;
	d = h->digits;
	bucket_moments(h, &total, &mean, &sd);
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	/* HdrHistogram's PercentileIterator: report the first bucket whose
	 * cumulative percentile reaches the level, then raise the level by
	 * 100 / (5 * 2^(floor(log2(100 / (100 - level))) + 1)), i.e. 5 ticks
	 * per half of the distance left to 100%; after the last value, once
	 * more at 100%. */
	while (total) {
		if (cum >= total) {
			if (last)
				break;
			last = 1;
			level = 100.0;
		}
		uint64_t c = 0;
		for (; i < h->counts_len; i++, fresh = 1) {
			c = ld(&h->counts[i]);
			if (fresh)
				cum += c;
			fresh = 0;
			if (c && 100.0 * (double)cum / (double)total >= level)
				break;
		}
		if (i == h->counts_len)
			break; /* counters changed under us */
		jfmt(v, sizeof(v), (double)index_hi(h, i) / unit_scale, d);
		jfmt(p, sizeof(p), level / 100.0, 12);
		if (level == 100.0) {
			fprintf(f, "%12s %2s %10llu\n", v, p, (unsigned long long)cum);
			continue;
		}
		jfmt(r, sizeof(r), 1 / (1.0 - level / 100.0), 2);
		fprintf(f, "%12s %2s %10llu %14s\n", v, p, (unsigned long long)cum, r);
		unsigned e = floor_log2(100.0 / (100.0 - level)) + 1;
		e = e < 61 ? e : 61; /* at 100% (or rounded to it): x = inf */
		level += 100.0 / (double)((uint64_t)NX_HIST_TICKS_PER_HALF << e);
	}
	uint64_t mx = ld(&h->max);
	jfmt(v, sizeof(v), mean / unit_scale, d);
	jfmt(p, sizeof(p), sd / unit_scale, d);
	fprintf(f, "#[Mean    = %12s, StdDeviation   = %12s]\n", v, p);
	jfmt(v, sizeof(v), (double)(mx ? nx_hist_highest_equiv(h, mx) : 0) / unit_scale, d);
	fprintf(f, "#[Max     = %12s, Total count    = %12llu]\n", v, (unsigned long long)total);
	fprintf(f, "#[Buckets = %12u, SubBuckets     = %12u]\n", (unsigned)h->bucket_count,
		(unsigned)h->sub_bucket_count);
	return ferror(f) ? -EIO : 0;
}
