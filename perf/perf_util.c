/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The benchmarks' shared timing and reporting (perf/perf_util.h). Linked
 * into every perf/bench_* binary; not a benchmark itself and not part of
 * libnx.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nx/book.h"
#include "perf_util.h"

/* --- Clocks and the TSC ------------------------------------------------------ */

double perf_clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double perf_now_s(void) { return perf_clock_s(CLOCK_MONOTONIC); }

long perf_nivcsw(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_nivcsw;
}

/* One (TSC, CLOCK_MONOTONIC) pair: the clock read between two TSC reads,
 * retried until they are close (no preemption or interrupt in between),
 * the TSC taken at their midpoint. */
static void tsc_clock_pair(uint64_t *tsc, double *s)
{
	uint64_t best = UINT64_MAX;
	for (int k = 0; k < 100; k++) {
		uint64_t a = perf_tsc_begin();
		double t = perf_now_s();
		uint64_t b = perf_tsc_end();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*s = t;
		}
		if (best < 10000) /* ~4 us: an undisturbed clock_gettime is well under */
			break;
	}
}

double perf_tsc_calibrate(void)
{
	/* Sleep, do not spin, between the two pairs: perf_pin_idlest reads the
	 * CPUs' idle time over this interval, and a spinning calibration would
	 * count itself as load on the CPU it runs on. */
	uint64_t c0, c1;
	double t0, t1;
	tsc_clock_pair(&c0, &t0);
	struct timespec ts = { 0, 100000000 };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	tsc_clock_pair(&c1, &t1);
	return (double)(c1 - c0) / ((t1 - t0) * 1e9);
}

double perf_median(double *v, int n)
{
	if (n <= 0)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), perf_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int perf_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

int perf_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

uint32_t perf_tsc_overhead(void)
{
	enum { N = 100001 };
	static uint32_t d[N];
	for (int i = 0; i < N; i++) {
		uint64_t t0 = perf_tsc_begin();
		d[i] = (uint32_t)(perf_tsc_end() - t0);
	}
	qsort(d, N, sizeof(d[0]), perf_cmp_u32);
	return d[N / 2];
}

/* --- Pinning ----------------------------------------------------------------- */

/* Idle jiffies of every CPU from /proc/stat (index = CPU), 0 if unknown. */
static void cpu_idle(unsigned long long *idle, int n)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	memset(idle, 0, (size_t)n * sizeof(*idle));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int c;
		unsigned long long us, ni, sy, id;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu", &c, &us, &ni, &sy, &id) == 5 && c >= 0 &&
		    c < n)
			idle[c] = id;
	}
	fclose(f);
}

int perf_pin_idlest(const char *bench, int cpu, double *tpns)
{
	/* The TSC is invariant here (constant_tsc, nonstop_tsc): calibrate it,
	 * and over the same 100 ms see which allowed CPU was idlest. */
	enum { MAXCPU = 256 };
	unsigned long long idle0[MAXCPU], idle1[MAXCPU];
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "%s: sched_getaffinity: %s\n", bench, strerror(errno));
		return -1;
	}
	cpu_idle(idle0, MAXCPU);
	*tpns = perf_tsc_calibrate();
	cpu_idle(idle1, MAXCPU);
	if (cpu < 0) {
		unsigned long long best = 0;
		for (int c = 0; c < MAXCPU; c++)
			if (CPU_ISSET(c, &set) && (cpu < 0 || idle1[c] - idle0[c] >= best)) {
				cpu = c;
				best = idle1[c] - idle0[c];
			}
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "%s: cannot pin to cpu %d: %s\n", bench, cpu, strerror(errno));
		return -1;
	}
	return cpu;
}

/* --- Results ------------------------------------------------------------------ */

struct perf_pct perf_percentiles(uint32_t *v, size_t n, double tpns)
{
	struct perf_pct p = { 0 };
	if (!n)
		return p;
	qsort(v, n, sizeof(v[0]), perf_cmp_u32);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
#define RANK(q) v[(size_t)ceil((q) * (double)n) - 1]
	p.mean = sum / (double)n / tpns;
	p.p50 = RANK(0.50) / tpns;
	p.p99 = RANK(0.99) / tpns;
	p.p999 = RANK(0.999) / tpns;
	p.max = v[n - 1] / tpns;
#undef RANK
	return p;
}

void perf_print_case(const char *bench, const char *name, size_t ops, double mops,
		     struct perf_pct p)
{
	printf("%s case=%s ops=%zu mops=%.2f mean_ns=%.0f p50_ns=%.0f p99_ns=%.0f "
	       "p999_ns=%.0f max_ns=%.0f\n", bench, name, ops, mops, p.mean, p.p50, p.p99, p.p999,
	       p.max);
}

static const uint32_t bucket_lo[PERF_TRADE_BUCKETS] = { 1, 2, 4, 8, 16, 32 };
static const uint32_t bucket_hi[PERF_TRADE_BUCKETS] = { 1, 3, 7, 15, 31, UINT32_MAX - 1 };

static int perf_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The cost of one more trade, and the rest: least squares over the median
 * latency of each trade count, weighted by its samples. Medians, not the
 * samples themselves: a preempted call (hundreds of microseconds, and the
 * long calls of many trades are the likeliest to be preempted) pulled an
 * ordinary least-squares slope up by tens of percent (three in a --quick
 * run's 6,000 aggressive samples: 100 -> 123 ns a trade). The percentiles
 * keep every sample; only this estimate is made robust. */
static void trade_fit(double tpns, const uint32_t *lat, const uint32_t *trades, size_t n,
		      struct perf_trades *r)
{
	uint64_t *v = malloc((n ? n : 1) * sizeof(*v));
	size_t m = 0;
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		if (trades[i] != PERF_NOT_AGGRESSIVE)
			v[m++] = (uint64_t)trades[i] << 32 | lat[i];
	qsort(v, m, sizeof(v[0]), perf_cmp_u64); /* by trade count, then latency */
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
	for (size_t i = 0, j; i < m; i = j) {
		for (j = i; j < m && v[j] >> 32 == v[i] >> 32; j++)
			;
		double w = (double)(j - i), x = (double)(v[i] >> 32);
		double y = (double)(uint32_t)v[i + (j - i - 1) / 2] / tpns; /* the lower median */
		sw += w, sx += w * x, sy += w * y, sxx += w * x * x, sxy += w * x * y;
	}
	double den = sw * sxx - sx * sx;
	if (den > 0) {
		r->ns_per_trade = (sw * sxy - sx * sy) / den;
		r->ns_fixed = (sy * sxx - sx * sxy) / den;
	}
	free(v);
}

struct perf_trades perf_by_trades(double tpns, const uint32_t *lat, const uint32_t *trades,
				  size_t n, uint32_t *scratch)
{
	struct perf_trades r = { 0 };
	trade_fit(tpns, lat, trades, n, &r);
	for (int b = 0; b < PERF_TRADE_BUCKETS; b++) {
		for (size_t i = 0; i < n; i++)
			if (trades[i] >= bucket_lo[b] && trades[i] <= bucket_hi[b])
				scratch[r.n[b]++] = lat[i];
		r.p[b] = perf_percentiles(scratch, r.n[b], tpns);
	}
	return r;
}

void perf_print_by_trades(const char *bench, const char *name, const struct perf_trades *t)
{
	for (int b = 0; b < PERF_TRADE_BUCKETS; b++) {
		char sub[96];
		if (!t->n[b])
			continue;
		if (b == PERF_TRADE_BUCKETS - 1)
			snprintf(sub, sizeof(sub), "%s/aggressive_trades_%u+", name, bucket_lo[b]);
		else if (bucket_lo[b] == bucket_hi[b])
			snprintf(sub, sizeof(sub), "%s/aggressive_trades_%u", name, bucket_lo[b]);
		else
			snprintf(sub, sizeof(sub), "%s/aggressive_trades_%u-%u", name, bucket_lo[b],
				 bucket_hi[b]);
		perf_print_case(bench, sub, t->n[b], t->p[b].mean > 0 ? 1e3 / t->p[b].mean : 0, t->p[b]);
	}
	printf("%s info case=%s aggressive_ns_per_trade=%.1f aggressive_ns_fixed=%.0f\n", bench,
	       name, t->ns_per_trade, t->ns_fixed);
}

static void cpu_model(char *out, size_t len)
{
	snprintf(out, len, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!strncmp(line, "model name", 10) && colon) {
			colon += 2;
			colon[strcspn(colon, "\n")] = 0;
			snprintf(out, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static void thp_mode(char *out, size_t len)
{
	snprintf(out, len, "unknown");
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128];
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		char *a = strchr(line, '['), *z = a ? strchr(a, ']') : NULL;
		if (a && z) {
			*z = 0;
			snprintf(out, len, "%s", a + 1);
		}
	}
	fclose(f);
}

void perf_print_topology(const char *bench, int cpu, double tpns)
{
	char model[128], thp[32];
	struct utsname un;
	cpu_model(model, sizeof(model));
	thp_mode(thp, sizeof(thp));
	if (uname(&un))
		memset(&un, 0, sizeof(un));
	printf("%s topology cpu_model=\"%s\" cpus_online=%ld pinned_cpu=%d tsc_ghz=%.3f "
	       "kernel=%s thp=%s\n", bench, model, sysconf(_SC_NPROCESSORS_ONLN), cpu, tpns,
	       un.release, thp);
}

long perf_anon_huge_mb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 1024;
}

void *perf_map_huge(size_t len, size_t *maplen)
{
	size_t huge = (size_t)2 << 20;
	*maplen = (len + huge - 1) & ~(huge - 1);
	void *p = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, *maplen, MADV_HUGEPAGE);
	return p;
}

void perf_unmap(void *p, size_t maplen)
{
	if (p)
		munmap(p, maplen);
}

/* --- Live orders ---------------------------------------------------------------- */

void perf_live_del(struct perf_live *l, nx_oid_t oid)
{
	uint32_t p = oid < l->pos_cap ? l->pos[oid] : 0;
	if (!p)
		return;
	struct perf_live_ord *last = &l->live[--l->nlive];
	l->live[p - 1] = *last;
	l->pos[last->oid] = p;
	l->pos[oid] = 0;
}

struct perf_live_ord *perf_live_get(struct perf_live *l, nx_oid_t oid)
{
	uint32_t p = oid < l->pos_cap ? l->pos[oid] : 0;
	return p ? &l->live[p - 1] : NULL;
}

/* One side of a trade: the order leaves the set when filled, else shrinks. */
static void live_fill(struct perf_live *l, const struct nx_ev_fill *f)
{
	struct perf_live_ord *o;
	if (f->leaves == 0)
		perf_live_del(l, f->oid);
	else if ((o = perf_live_get(l, f->oid)))
		o->qty = f->leaves;
}

void perf_live_event(struct perf_live *l, const struct nx_event *ev)
{
	struct perf_live_ord *o;
	l->ev[ev->type & 15]++;
	switch (ev->type) {
	case NX_EV_ACCEPTED: {
		const struct nx_ev_order *a = &ev->u.order;
		if (a->oid >= l->pos_cap) { /* cannot happen: one oid per command at most */
			l->overflow = 1;
			break;
		}
		l->live[l->nlive] = (struct perf_live_ord){ .oid = a->oid, .cl = a->cl, .px = a->px,
			.qty = a->qty, .acct = a->acct, .ix = a->inst - 1, .side = a->side };
		l->pos[a->oid] = ++l->nlive;
		if (a->tif == NX_TIF_GTC)
			l->recent[l->nrecent++ % PERF_RECENT] = a->oid;
		break;
	}
	case NX_EV_TRADE:
		live_fill(l, &ev->u.trade.maker);
		live_fill(l, &ev->u.trade.taker);
		break;
	case NX_EV_CANCELED:
		perf_live_del(l, ev->u.cancel.oid);
		break;
	case NX_EV_REDUCED:
		if ((o = perf_live_get(l, ev->u.cancel.oid)))
			o->qty = ev->u.cancel.leaves;
		break;
	case NX_EV_REPLACED:
		if ((o = perf_live_get(l, ev->u.replace.oid))) {
			o->px = ev->u.replace.px;
			o->qty = ev->u.replace.qty;
			o->cl = ev->u.replace.cl;
		}
		break;
	default:
		break;
	}
}

/* 16 for "0x..." (after a sign), else 10: never strtol's base 0, which
 * reads a leading zero as octal ("--cpu 010" pinned CPU 8, "--reps 08"
 * was refused). */
static int num_base(const char *v)
{
	v += *v == '-' || *v == '+';
	return v[0] == '0' && (v[1] == 'x' || v[1] == 'X') ? 16 : 10;
}

/* A whole number in [lo, hi] (decimal, or 0x hex), or exit(2) naming the option. */
static long long opt_num(const char *opt, const char *v, long long lo, long long hi)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, num_base(v));
	if (errno || end == v || *end || x < lo || x > hi) {
		fprintf(stderr, "%s: expects a whole number from %lld to %lld, not \"%s\"\n", opt, lo,
			hi, v);
		exit(2);
	}
	return x;
}

size_t perf_opt_size(const char *opt, const char *v, size_t lo, size_t hi)
{
	return (size_t)opt_num(opt, v, (long long)lo, (long long)hi);
}

int perf_opt(int argc, char **argv, int *i, int *reps, int *cpu, uint64_t *seed)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	if (!v)
		return 0;
	if (!strcmp(a, "--reps")) {
		*reps = (int)opt_num(a, v, 1, PERF_MAX_REPS);
	} else if (!strcmp(a, "--cpu")) {
		*cpu = (int)opt_num(a, v, -1, CPU_SETSIZE - 1);
	} else if (!strcmp(a, "--seed")) {
		char *end;
		errno = 0;
		*seed = strtoull(v, &end, num_base(v));
		if (errno || end == v || *end || *v == '-') {
			fprintf(stderr, "--seed: expects a whole number, not \"%s\"\n", v);
			exit(2);
		}
	} else {
		return 0;
	}
	++*i;
	return 1;
}
