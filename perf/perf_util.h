/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * What every perf/bench_* shares: a seeded PRNG for the workload
 * generators, TSC reads around a timed operation and their calibration and
 * cost, pinning to the idlest allowed CPU (the machine is shared), the
 * involuntary context switch count, nearest-rank percentiles, the one
 * greppable result line per case, and the topology line (CPU model, online
 * CPUs, pinned CPU, TSC rate, kernel, THP mode).
 *
 * Bench-only code: it reads clocks, /proc and /sys, prints and exits from
 * main like any tool, and is never linked into libnx. Single-threaded.
 */
#ifndef NX_PERF_UTIL_H
#define NX_PERF_UTIL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

/* --- PRNG: xoshiro256**, seeded by splitmix64 ------------------------------ */
/* Inline: the generators draw several numbers per command. */

struct perf_rng {
	uint64_t s[4];
};

static inline void perf_rng_seed(struct perf_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += UINT64_C(0x9e3779b97f4a7c15));
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		r->s[i] = z ^ (z >> 31);
	}
}

static inline uint64_t perf_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t perf_rng_next(struct perf_rng *r)
{
	uint64_t *s = r->s, out = perf_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = perf_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, n), n < 2^32 (Lemire's multiply; bias < 2^-32). */
static inline uint32_t perf_rng_below(struct perf_rng *r, uint32_t n)
{
	return (uint32_t)(((perf_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in (0, 1]. */
static inline double perf_rng_unit(struct perf_rng *r)
{
	return (double)((perf_rng_next(r) >> 11) + 1) * (1.0 / 9007199254740992.0);
}

/* Geometric on {0, 1, ...} with the given mean; log1m = log(1 - 1/(1+mean)). */
static inline int64_t perf_rng_geom(struct perf_rng *r, double log1m)
{
	return (int64_t)floor(log(perf_rng_unit(r)) / log1m);
}

/* --- TSC ------------------------------------------------------------------- */

/* Start of a timed operation: earlier work retires before the read, and the
 * operation starts after it. */
static inline uint64_t perf_tsc_begin(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

/* End: rdtscp waits for the operation to retire; later work waits for it. */
static inline uint64_t perf_tsc_end(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);
	_mm_lfence();
	return t;
}

/* A TSC delta clamped into a uint32 latency sample. */
static inline uint32_t perf_sample(uint64_t ticks)
{
	return ticks > UINT32_MAX ? UINT32_MAX : (uint32_t)ticks;
}

/* Seconds on clock id; perf_now_s is CLOCK_MONOTONIC. */
double perf_clock_s(clockid_t id);
double perf_now_s(void);

/* Involuntary context switches of this thread so far (-1 if unknown): a
 * batch that was preempted shows it in wall-clock throughput. */
long perf_nivcsw(void);

/* TSC ticks per ns, against CLOCK_MONOTONIC over ~100 ms (asleep, so the
 * calibration does not load the CPU it runs on). */
double perf_tsc_calibrate(void);

/* Median cost of an empty perf_tsc_begin/_end pair, in ticks. */
uint32_t perf_tsc_overhead(void);

/* The options every bench takes: --reps N (batches, the median is
 * reported; 1..PERF_MAX_REPS), --cpu N (pin; -1 picks the idlest) and
 * --seed N. If argv[*i] is one of them with its value, store it, step *i
 * onto the value and return 1; else 0 and nothing changes. A value that is
 * not a whole number in range is an error: a message and exit(2). Numbers
 * are decimal (a leading zero too), or hex after 0x. */
#define PERF_MAX_REPS 16
int perf_opt(int argc, char **argv, int *i, int *reps, int *cpu, uint64_t *seed);

/* The value of a count option (--ops N and the like): a whole number in
 * [lo, hi], or a message naming opt and exit(2). */
size_t perf_opt_size(const char *opt, const char *v, size_t lo, size_t hi);

/*
 * Calibrate the TSC (*tpns, ticks per ns) and meanwhile see which allowed
 * CPU is idlest; pin this thread to it, or to cpu if cpu >= 0. Returns the
 * CPU pinned to, or -1 with a message on stderr naming bench.
 */
int perf_pin_idlest(const char *bench, int cpu, double *tpns);

/* --- Results ---------------------------------------------------------------- */

struct perf_pct {
	double mean, p50, p99, p999, max; /* ns */
};

int perf_cmp_u32(const void *a, const void *b);
int perf_cmp_double(const void *a, const void *b);

/* The median of n values (sorted in place): the middle one, or the mean of
 * the two middle ones when n is even. */
double perf_median(double *v, int n);

/* Nearest-rank percentiles of n samples in ticks (sorted in place), in ns. */
struct perf_pct perf_percentiles(uint32_t *v, size_t n, double tpns);

/* "<bench> case=<name> ops=N mops=X mean_ns=.. p50_ns=.. p99_ns=.. p999_ns=.. max_ns=.." */
void perf_print_case(const char *bench, const char *name, size_t ops, double mops,
		     struct perf_pct p);

/*
 * Aggressive commands by the trades each made: latency percentiles in
 * buckets of doubling size (1, 2-3, 4-7, 8-15, 16-31, 32+) and the
 * fit latency = fixed + trades * per_trade, which is what sets the tail of
 * a mixed flow: least squares over each trade count's median latency,
 * weighted by its samples (robust to the preempted calls every sample
 * keeps in the percentiles). trades[i] is command i's count, or
 * PERF_NOT_AGGRESSIVE to leave it out; lat[] must still be in command
 * order (perf_percentiles sorts it). scratch holds n samples.
 */
#define PERF_TRADE_BUCKETS 6
#define PERF_NOT_AGGRESSIVE UINT32_MAX
struct perf_trades {
	struct perf_pct p[PERF_TRADE_BUCKETS];
	size_t n[PERF_TRADE_BUCKETS];
	double ns_per_trade, ns_fixed;
};
struct perf_trades perf_by_trades(double tpns, const uint32_t *lat, const uint32_t *trades,
				  size_t n, uint32_t *scratch);

/* One case line per non-empty bucket ("<name>/aggressive_trades_4-7"),
 * then "<bench> info case=<name> aggressive_ns_per_trade=.. aggressive_ns_fixed=..". */
void perf_print_by_trades(const char *bench, const char *name, const struct perf_trades *t);

/* "<bench> topology cpu_model=".." cpus_online=N pinned_cpu=N tsc_ghz=X kernel=.. thp=.." */
void perf_print_topology(const char *bench, int cpu, double tpns);

/* AnonHugePages of this process, in MiB (-1 if unknown). */
long perf_anon_huge_mb(void);

/* len bytes of zeroed anonymous memory, rounded up to 2 MiB (*maplen) and
 * advised MADV_HUGEPAGE; NULL on failure. perf_unmap releases it. */
void *perf_map_huge(size_t len, size_t *maplen);
void perf_unmap(void *p, size_t maplen);


/* --- Live orders, as a book's events tell them -------------------------------- */

#include "nx/event.h"

#define PERF_RECENT 4096 /* cancels/replaces mostly pick among the last 4096 resting adds */

struct perf_live_ord {
	nx_oid_t oid;
	nx_clid_t cl;
	nx_px_t px;
	nx_qty_t qty;
	nx_acct_t acct;
	uint32_t ix;    /* instrument index: id - 1 */
	uint8_t side;
};

/* A generator's shadow of the live orders: a dense array with swap-remove,
 * an index by venue order id, and a ring of the latest resting adds. The
 * caller allocates live[] (max orders + 1) and pos[] (pos_cap entries). */
struct perf_live {
	struct perf_live_ord *live;
	uint32_t nlive;
	uint32_t *pos;          /* pos[oid] = index in live + 1, 0 when not live */
	uint64_t pos_cap;
	nx_oid_t recent[PERF_RECENT];
	uint64_t nrecent;
	uint64_t ev[16];        /* events seen, by type */
	int overflow;           /* an oid beyond pos_cap was seen */
};

void perf_live_del(struct perf_live *l, nx_oid_t oid);
struct perf_live_ord *perf_live_get(struct perf_live *l, nx_oid_t oid);
/* Apply one book event (an nx_event_fn body; ctx is the struct perf_live). */
void perf_live_event(struct perf_live *l, const struct nx_event *ev);

#endif /* NX_PERF_UTIL_H */
