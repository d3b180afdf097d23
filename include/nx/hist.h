/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * A latency histogram with bounded relative error, after Gil Tene's
 * HdrHistogram: O(1) recording without allocation, locks or floating point,
 * percentiles, merging of per-core histograms, and the ".hgrm" percentile
 * distribution text that HdrHistogram's tools (plotFiles.html, hdr-plot)
 * read. Shards record receive-to-transmit latency with it and the telemetry
 * thread reads it; the load generator merges one per lcore and writes the
 * file. It does not keep time stamps or intervals, read clocks, correct for
 * coordinated omission or encode HdrHistogram's binary log format.
 *
 * Buckets. With d significant decimal digits (1..5), each power-of-two
 * range [2^k, 2^(k+1)) above the first is split into sub_bucket_count / 2
 * equal sub-buckets, where sub_bucket_count is the smallest power of two
 * >= 2 * 10^d (32, 256, 2048, 32768, 262144). Values below sub_bucket_count
 * have a counter each (0 included); above, a counter covers 2^b values
 * [lo, lo + 2^b - 1] with lo >= 2^b * sub_bucket_count / 2. So any value
 * reported for a bucket is within 1 / (sub_bucket_count / 2) < 10^-d of
 * every value counted in it: 0.098% at d = 3. The counters are numbered
 * exactly as HdrHistogram numbers them (unit magnitude 0, i.e. lowest
 * discernible value 1), and bucket_count and counts_len follow its formulas,
 * so a future exporter can write its binary encoding unchanged.
 *
 * Values above the configured highest trackable value are recorded as that
 * value and also counted in `saturated`: every statistic (min, max, sum,
 * percentiles) is of the values as recorded, i.e. clamped.
 *
 * Memory: one block, this header (one cache line, everything
 * nx_hist_record touches besides one counter) followed by the counters.
 * nx_hist_memsize says how much; for highest = 3.6e12 (one hour in ns) and
 * 3 digits that is 64 + 33792 * 8 = 270,400 bytes. The block holds no
 * pointers, so it may live in shared memory, and nothing allocates after
 * init.
 *
 * Threading: one writer per histogram (nx_hist_record*, nx_hist_reset, and
 * nx_hist_merge into it). Any number of other threads may read it at the
 * same time (every query, the iterator, nx_hist_merge from it, the writer
 * of the .hgrm text). The writer updates each 64-bit word with a relaxed
 * atomic load and store of (old + n) -- a plain add on x86-64, no lock
 * prefix -- and readers load each word relaxed, so a reader never sees a
 * torn word; but words are not updated together, so a reader may see a
 * slightly inconsistent whole (count ahead of or behind the sum of the
 * counters by the records in flight, min/max from a moment earlier or
 * later). Queries tolerate that. For a consistent snapshot, merge into a
 * private histogram (nx_hist_reset + nx_hist_merge) and read that.
 */
#ifndef NX_HIST_H
#define NX_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "nx/cc.h"

#define NX_HIST_DIGITS_MIN     1
#define NX_HIST_DIGITS_MAX     5
#define NX_HIST_DIGITS_DEFAULT 3  /* 0.1%: what HdrHistogram users pick */
#define NX_HIST_HOUR_NS        UINT64_C(3600000000000) /* a common highest, in ns */
#define NX_HIST_HIGHEST_MAX    ((uint64_t)INT64_MAX)   /* HdrHistogram's values are Java longs */

/* The ticks per half distance of HdrHistogram's default percentile output. */
#define NX_HIST_TICKS_PER_HALF 5

NX_STATIC_ASSERT(__atomic_always_lock_free(sizeof(uint64_t), 0),
		 "nx_hist needs lock-free 64-bit loads and stores");

/*
 * The histogram. Visible so that recording inlines; every field is private
 * except the geometry (highest, digits, sub_bucket_count, bucket_count,
 * counts_len), which callers may read. Read the counters only through the
 * functions below (they load atomically); never write any field.
 */
struct nx_hist {
	/* Cache line 0: written on every record (count .. max), or read by it. */
	uint64_t count;           /* values recorded */
	uint64_t sum;             /* their sum, mod 2^64 */
	uint64_t min;             /* UINT64_MAX while empty */
	uint64_t max;             /* 0 while empty */
	uint64_t saturated;       /* values above highest, recorded as highest */
	uint64_t highest;         /* highest trackable value */
	uint32_t sub_mask;        /* sub_bucket_count - 1 */
	uint8_t half_mag;         /* log2(sub_bucket_count / 2) */
	uint8_t lz_base;          /* 63 - half_mag: bucket = lz_base - clz(v | sub_mask) */
	uint8_t digits;           /* significant decimal digits, 1..5 */
	uint8_t bucket_count;     /* power-of-two ranges covered, HdrHistogram's bucketCount */
	uint32_t sub_bucket_count;
	uint32_t counts_len;      /* (bucket_count + 1) * sub_bucket_count / 2 */
	/* The counters, by nx_hist_index. */
	uint64_t counts[] NX_CACHE_ALIGNED;
};

NX_STATIC_ASSERT(sizeof(struct nx_hist) == NX_CACHE_LINE, "nx_hist header is one cache line");

/* --- Lifecycle (cold) ----------------------------------------------------- */

/*
 * Bytes nx_hist_init needs for values 0..highest at digits significant
 * digits: a multiple of NX_CACHE_LINE. 0 if digits is outside 1..5 or
 * highest is outside 2..NX_HIST_HIGHEST_MAX.
 */
size_t nx_hist_memsize(uint64_t highest, unsigned digits);

/*
 * Lay an empty histogram out in mem, len >= nx_hist_memsize(highest,
 * digits) bytes aligned to NX_CACHE_LINE (hugepages on the shard's NUMA
 * node, a static buffer, shared memory). Returns mem as the histogram, or
 * NULL with errno = EINVAL (bad highest or digits, NULL, misaligned or short
 * mem). The caller frees mem after the last use; do not nx_hist_destroy it.
 */
struct nx_hist *nx_hist_init(void *mem, size_t len, uint64_t highest, unsigned digits);

/* nx_hist_init on memory from aligned_alloc. NULL with errno = EINVAL or
 * ENOMEM on failure. */
struct nx_hist *nx_hist_create(uint64_t highest, unsigned digits);

/* Free a histogram from nx_hist_create. NULL is a no-op. */
void nx_hist_destroy(struct nx_hist *h);

/*
 * Forget every value: back to the state after init. The writer's call (or
 * with no writer running); concurrent readers see the counters fall to zero
 * one by one. Not on the hot path: it stores every counter.
 */
void nx_hist_reset(struct nx_hist *h);

/* --- Recording (hot) ------------------------------------------------------ */

/*
 * The counter of v, v <= highest: 0..counts_len-1. The same number
 * HdrHistogram gives v (with unit magnitude 0). Pure arithmetic.
 */
static NX_ALWAYS_INLINE uint32_t nx_hist_index(const struct nx_hist *h, uint64_t v)
{
	/* v | sub_mask has at least log2(sub_bucket_count) bits, so b >= 0;
	 * bucket 0 is the identity, bucket b > 0 holds v >> b in [half, 2 half). */
	unsigned b = (unsigned)h->lz_base - (unsigned)NX_CLZ64(v | h->sub_mask);
	return ((uint32_t)b << h->half_mag) + (uint32_t)(v >> b);
}

/* Single-writer add: a relaxed load and store of the sum, not a locked
 * read-modify-write (there is no other writer to race). Pairs with the
 * relaxed loads of the readers in src/hist/hist.c: each sees the old or the
 * new word, never a torn one. */
static NX_ALWAYS_INLINE void nx_hist_add_(uint64_t *w, uint64_t n)
{
	__atomic_store_n(w, __atomic_load_n(w, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/*
 * Record n occurrences of value v (e.g. a latency in ns, or TSC ticks): its
 * counter, count, sum, min and max. v above highest is recorded as highest
 * and counted in saturated. n = 0 records nothing. O(1): a clz, a shift,
 * stores to the header line and to one counter; no allocation, lock,
 * branch on the counter or floating point. The writer's call only.
 */
static NX_ALWAYS_INLINE void nx_hist_record_n(struct nx_hist *h, uint64_t v, uint64_t n)
{
	if (NX_UNLIKELY(n == 0))
		return;
	if (NX_UNLIKELY(v > h->highest)) {
		v = h->highest;
		nx_hist_add_(&h->saturated, n);
	}
	nx_hist_add_(&h->counts[nx_hist_index(h, v)], n);
	nx_hist_add_(&h->count, n);
	nx_hist_add_(&h->sum, v * n);
	/* Stored every time (selects, not branches): the line is written anyway. */
	uint64_t mn = __atomic_load_n(&h->min, __ATOMIC_RELAXED);
	uint64_t mx = __atomic_load_n(&h->max, __ATOMIC_RELAXED);
	__atomic_store_n(&h->min, v < mn ? v : mn, __ATOMIC_RELAXED);
	__atomic_store_n(&h->max, v > mx ? v : mx, __ATOMIC_RELAXED);
}

/* nx_hist_record_n(h, v, 1). */
static NX_ALWAYS_INLINE void nx_hist_record(struct nx_hist *h, uint64_t v)
{
	nx_hist_record_n(h, v, 1);
}

/* --- Queries (cold; any thread) ------------------------------------------- */

uint64_t nx_hist_count(const struct nx_hist *h);      /* values recorded */
uint64_t nx_hist_saturated(const struct nx_hist *h);  /* of them, above highest */
uint64_t nx_hist_sum(const struct nx_hist *h);        /* their sum, mod 2^64 */
uint64_t nx_hist_min(const struct nx_hist *h);        /* exact; 0 if empty */
uint64_t nx_hist_max(const struct nx_hist *h);        /* exact; 0 if empty */

/* The exact mean, sum / count; 0 if empty (or if sum wrapped, wrong). */
double nx_hist_mean(const struct nx_hist *h);

/* The standard deviation as HdrHistogram estimates it: each value taken as
 * the middle of its bucket (lo + size / 2), around the mean of those. 0 if
 * empty. */
double nx_hist_stddev(const struct nx_hist *h);

/*
 * The value at percentile pct (0..100), HdrHistogram's way: the highest
 * value of the first bucket where the cumulative count reaches
 * max(1, ceil(pct / 100 * count)) (pct one ulp lower first, so 99.9 of 1000
 * is rank 999, not 1000 by rounding), capped at the exact max. So the
 * result is >= the exact nearest-rank value and within 10^-digits of it
 * relative. pct <= 0 (or NaN) gives the exact min, pct >= 100 the exact
 * max, an empty histogram 0. One pass over the counters.
 */
uint64_t nx_hist_value_at_percentile(const struct nx_hist *h, double pct);

/*
 * nx_hist_value_at_percentile for n percentiles in one pass: out[i] for
 * pct[i]. One pass also means one view of a histogram being written, so
 * the results are monotone. Returns 0, or -EINVAL if pct is not ascending
 * (or holds a NaN); out is then untouched.
 */
int nx_hist_percentiles(const struct nx_hist *h, const double *pct, uint64_t *out, unsigned n);

/* The count of v's bucket (v above highest: highest's bucket). */
uint64_t nx_hist_count_at(const struct nx_hist *h, uint64_t v);

/* The lowest and the highest value that share v's bucket: what the
 * histogram cannot tell apart from v. Pure arithmetic, any v. */
uint64_t nx_hist_lowest_equiv(const struct nx_hist *h, uint64_t v);
uint64_t nx_hist_highest_equiv(const struct nx_hist *h, uint64_t v);

/* --- Iteration over the non-empty buckets (cold; any thread) -------------- */

struct nx_hist_iter {
	uint64_t lo, hi;    /* the bucket's values: [lo, hi] */
	uint64_t count;     /* values counted in it, > 0 */
	uint64_t cum;       /* values counted in it and in every bucket below */
	/* private */
	const struct nx_hist *h_;
	uint32_t i_;
};

/* Start before the lowest bucket. */
void nx_hist_iter_init(struct nx_hist_iter *it, const struct nx_hist *h);

/* Step to the next non-empty bucket, ascending: 1 and the fields set, or 0
 * at the end. On a histogram being written the steps see each counter as it
 * is when reached. */
int nx_hist_iter_next(struct nx_hist_iter *it);

/* --- Merging (cold) ------------------------------------------------------- */

/*
 * Add every value of src to dst, as if recorded there: counters, count,
 * sum, saturated, min, max. Needs the same digits and src's highest <= dst's
 * (then every src counter has the same number in dst); else -EINVAL and dst
 * is untouched. Returns 0. The caller is dst's writer; src may be written
 * meanwhile (dst's count grows by the counters as read, so dst stays
 * consistent). src == dst doubles every count. O(counts_len of src).
 */
int nx_hist_merge(struct nx_hist *dst, const struct nx_hist *src);

/* --- Output (cold) -------------------------------------------------------- */

/*
 * Write h's percentile distribution to f in HdrHistogram's text format,
 * byte for byte what Java HdrHistogram's
 * outputPercentileDistribution(f, 5, unit_scale) prints for the same
 * values: the header line, then one line per percentile tick ("Value
 * Percentile TotalCount 1/(1-Percentile)", values divided by unit_scale
 * and printed with `digits` decimals, 5 ticks per half distance to 100%,
 * a last line at 100% without the last column), then
 *   #[Mean    = ..., StdDeviation   = ...]
 *   #[Max     = ..., Total count    = ...]
 *   #[Buckets = ..., SubBuckets     = ...]
 * The values are HdrHistogram's too: highest equivalent values of buckets,
 * the mean and deviation of bucket middles (not nx_hist_mean's exact one),
 * Max the highest equivalent of max; numbers are rounded like Java's
 * Formatter (half up from the shortest decimal that reads back the same).
 * unit_scale converts units: 1 keeps them, 1000 writes ns as us.
 * Returns 0, -EINVAL (NULL, unit_scale not positive and finite) or -EIO (a
 * write failed). On a histogram being written the file is still well
 * formed; for a consistent one, write a snapshot (see the top).
 */
int nx_hist_write_percentiles(const struct nx_hist *h, FILE *f, double unit_scale);

#endif /* NX_HIST_H */
