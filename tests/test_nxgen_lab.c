/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's measurement (dpdk_apps/nxgen/gen.c, report.c) and nx_hist,
 * what a latency lab's numbers rest on. nxgen's core runs against
 * an nx_engine in the process through a backend of this test's own (as in
 * test_nxgen.c), always on the test's clock (nxg_opts.test_now_ns): every
 * poll moves it F_POLL_NS, so each request's intended time, send and answer
 * are known exactly. The backend can delay every reply (a venue that takes
 * that long), hold every reply for a while (a venue stall), or jump the
 * clock once (the generator descheduled), which is what coordinated
 * omission is about.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>

#include "nx/engine.h"
#include "nx/hist.h"
#include "nx/reason.h"
#include "../dpdk_apps/nxgen/nxgen.h"

#define F_IP 0x0a000001u
#define F_PORT 40000u
#define F_QCAP 65536
#define F_POLL_NS 10000u /* what one poll of the backend takes, on the test clock */
#define MS 1000000ull
#define T0 1000000000ull /* the test clock's start */

static struct fake {
	struct nx_engine *e;
	struct nx_out out;
	struct nx_out_dgram d[256];
	const struct nxg_clock *clk;
	struct { uint32_t sess; uint16_t len; uint64_t due; uint8_t data[NX_NXP_DGRAM_MAX]; } *q;
	unsigned qh, qn;
	uint8_t rx[NXG_RX_BURST][NX_NXP_DGRAM_MAX];
	uint64_t now_ns;
	uint64_t delay_ns;             /* every reply arrives this late */
	uint64_t hold_from, hold_to;   /* replies made in [from, to) arrive at `to` (a venue stall) */
	uint64_t jump_at, jump_ns;     /* the first poll at or after jump_at moves the clock
	                                  jump_ns more (the generator off its CPU) */
	int drop_all_to_venue;         /* the venue never sees a request */
	uint64_t poll_ns;              /* what a poll takes (0: F_POLL_NS) */
} F;

struct nxg_io { int unused; };
static struct nxg_io the_io;

static int starts_with(const uint8_t *d, size_t len, uint16_t tid)
{
	struct nx_nxp_reader r;
	struct nx_nxp_msg m;
	nx_nxp_reader_init(&r, d, len);
	return nx_nxp_next(&r, &m) > 0 && m.template_id == tid;
}

static void from_venue(void)
{
	uint64_t now = *F.clk->test_ns;
	for (uint32_t i = 0; i < F.out.n; i++) {
		const struct nx_out_dgram *d = &F.out.d[i];
		assert_true(F.qn < F_QCAP);
		unsigned k = (F.qh + F.qn++) % F_QCAP;
		uint64_t due = now + F.delay_ns;
		if (due >= F.hold_from && due < F.hold_to)
			due = F.hold_to;
		F.q[k].sess = d->to.port - F_PORT;
		F.q[k].len = d->len;
		F.q[k].due = due;
		memcpy(F.q[k].data, d->data, d->len);
	}
	F.out.n = 0;
}

static struct nxg_io *f_open(const struct nxg_opts *o, const struct nxg_clock *clk, char *err,
			     size_t errlen)
{
	(void)o, (void)err, (void)errlen;
	F.clk = clk;
	return &the_io;
}

static int f_session(struct nxg_io *io, uint32_t idx, uint32_t ip, uint16_t port, char *err,
		     size_t errlen)
{
	(void)io, (void)idx, (void)ip, (void)port, (void)err, (void)errlen;
	return 0;
}

static unsigned f_send(struct nxg_io *io, const struct nxg_tx *tx, unsigned n)
{
	(void)io;
	for (unsigned i = 0; i < n; i++) {
		if (F.drop_all_to_venue && starts_with(tx[i].data, tx[i].len, NX_NXP_SEQUENCE) &&
		    tx[i].len > 40)
			continue;
		struct nx_addr src = { .ip = F_IP, .port = (uint16_t)(F_PORT + tx[i].sess) };
		nx_engine_rx(F.e, tx[i].data, tx[i].len, src, F.now_ns, &F.out);
		from_venue();
	}
	return n;
}

/* Replies due by now, in the order they were made (a held one blocks those
 * behind it: one wire). */
static unsigned f_poll(struct nxg_io *io, struct nxg_rx *rx, unsigned cap, uint64_t wait_ns)
{
	(void)io, (void)wait_ns;
	F.now_ns += F.poll_ns ? F.poll_ns : F_POLL_NS;
	if (F.jump_ns && F.now_ns >= F.jump_at) {
		F.now_ns += F.jump_ns;
		F.jump_ns = 0;
	}
	nx_engine_poll(F.e, F.now_ns, &F.out);
	from_venue();
	unsigned n = 0;
	for (; n < cap && F.qn && F.q[F.qh].due <= F.now_ns; n++, F.qh = (F.qh + 1) % F_QCAP, F.qn--) {
		memcpy(F.rx[n], F.q[F.qh].data, F.q[F.qh].len);
		rx[n] = (struct nxg_rx){ .sess = F.q[F.qh].sess, .len = F.q[F.qh].len, .data = F.rx[n],
					 .ts_ns = F.now_ns };
	}
	return n;
}

static void f_facts(struct nxg_io *io, FILE *f)
{
	(void)io;
	fprintf(f, "io.backend: in-process engine\n");
}

static void f_close(struct nxg_io *io)
{
	(void)io;
}

const struct nxg_io_ops nxg_io_sock = { "fake", f_open, f_session, f_send, f_poll, f_facts, f_close };
const struct nxg_io_ops nxg_io_dpdk = { "fake", f_open, f_session, f_send, f_poll, f_facts, f_close };

static struct nx_venue_config cfg;

static int setup(void **state)
{
	char err[256];
	(void)state;
	void *q = F.q;
	memset(&F, 0, sizeof(F));
	F.q = q ? q : malloc(sizeof(*F.q) * F_QCAP);
	assert_non_null(F.q);
	assert_int_equal(nx_config_load("docs/examples/venue.cfg", &cfg, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < cfg.naccounts; i++) {
		cfg.accounts[i].limits.msg_rate = 100000000;
		cfg.accounts[i].limits.msg_burst = 10000000;
		cfg.accounts[i].limits.position_limit = 1000000000;
		cfg.accounts[i].limits.max_open_orders = 1000000;
	}
	F.e = nx_engine_create(&cfg, NULL, NULL, err, sizeof(err));
	assert_non_null(F.e);
	F.out = (struct nx_out){ .d = F.d, .cap = 256 };
	F.now_ns = T0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nx_engine_destroy(F.e);
	nx_config_free(&cfg);
	return 0;
}

/* One session, open loop at `rate`, constant gaps, on the test clock. */
static void opts(struct nxg_opts *o, double rate)
{
	nxg_opts_default(o);
	snprintf(o->name, sizeof(o->name), "lab");
	o->config = "docs/examples/venue.cfg";
	o->mode = NXG_OPEN;
	o->rate = rate;
	o->arrival = NXG_CONST;
	o->quiet = 1;
	o->warmup_s = 0;
	o->duration_s = 0.3;
	o->timeout_ms = 1000;
	o->naccts = 1;
	o->accts[0] = 1;
	o->sessions = 1;
	o->test_now_ns = &F.now_ns;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t s = 0;
	for (int k = 0; k < NXG_NKINDS; k++)
		s += v[k];
	return s;
}

/* Measured requests: each one sent is answered or lost, and the rows of
 * timeseries.csv sum to the same. */
static void check_accounting(const struct nxg_result *r)
{
	uint64_t s = 0, a = 0, l = 0;
	for (uint32_t i = 0; i < r->nts; i++) {
		s += r->ts[i].sent;
		a += r->ts[i].answered;
		l += r->ts[i].lost;
	}
	assert_int_equal(sum(r->n.m_sent), sum(r->n.m_answered) + sum(r->n.m_lost));
	assert_int_equal(s, sum(r->n.m_sent));
	assert_int_equal(a, sum(r->n.m_answered));
	assert_int_equal(l, sum(r->n.m_lost));
	assert_int_equal(nx_hist_count(r->h[NXG_NKINDS]), sum(r->n.m_answered));
}

static void run(const struct nxg_opts *o, struct nxg_result *r)
{
	volatile int stop = 0;
	assert_int_equal(nxg_run(o, &cfg, r, &stop), 0);
}

/* Values of h at or above v. */
static uint64_t count_at_or_above(const struct nx_hist *h, uint64_t v)
{
	struct nx_hist_iter it;
	uint64_t n = 0;
	nx_hist_iter_init(&it, h);
	while (nx_hist_iter_next(&it))
		if (it.lo >= v)
			n += it.count;
	return n;
}

/* ==== The open-loop schedule ============================================== */

/* Constant gaps: exactly rate x duration measured requests, after a warm-up,
 * and every latency is the venue's delay plus at most two polls (the send
 * waits for the poll that reaches its slot, the answer for the poll after
 * it arrives): nothing of the schedule leaks into the latency. */
static void const_rate_exact(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 1000);
	o.warmup_s = 0.2;
	o.duration_s = 1;
	F.delay_ns = 50000;
	run(&o, &r);
	check_accounting(&r);
	assert_int_equal(sum(r.n.m_sent), 1000);
	assert_int_equal(sum(r.n.m_lost), 0);
	assert_true(fabs(r.achieved_rate - 1000) < 1);
	assert_true(nx_hist_min(r.h[NXG_NKINDS]) >= F.delay_ns);
	assert_true(nx_hist_max(r.h[NXG_NKINDS]) <= F.delay_ns + 2 * F_POLL_NS);
	assert_true(nx_hist_max(r.lag) <= F_POLL_NS);
	nxg_result_free(&r);
}

/* Poisson gaps: the mean rate is the target (a count within 4 standard
 * deviations over 2 s at 20000/s), with no drift either way. */
static void poisson_mean_rate(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 20000);
	o.arrival = NXG_POISSON;
	o.duration_s = 2;
	o.sessions = 4;
	run(&o, &r);
	check_accounting(&r);
	double n = (double)sum(r.n.m_sent), want = 40000;
	print_message("poisson: %.0f sent in 2 s (want %.0f +- %.0f)\n", n, want, 4 * sqrt(want));
	assert_true(fabs(n - want) < 4 * sqrt(want));
	nxg_result_free(&r);
}

/* ==== Coordinated omission ==================================================== */

/* The venue stalls 20 ms (every reply made then comes at its end): the
 * requests scheduled during the stall are each measured from their slot,
 * so about half of the 20 sent in it show more than 10 ms. A generator
 * that coordinated with the venue would show one. */
static void venue_stall_measured_from_slots(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 1000);
	F.hold_from = T0 + 100 * MS;
	F.hold_to = T0 + 120 * MS;
	run(&o, &r);
	check_accounting(&r);
	uint64_t slow = count_at_or_above(r.h[NXG_NKINDS], 10 * MS);
	print_message("venue stall: %" PRIu64 " of %" PRIu64 " at >= 10 ms, max %.3f ms\n", slow,
		      nx_hist_count(r.h[NXG_NKINDS]), (double)nx_hist_max(r.h[NXG_NKINDS]) / 1e6);
	assert_true(slow >= 9 && slow <= 11);
	assert_true(nx_hist_max(r.h[NXG_NKINDS]) >= 19 * MS);
	assert_true(nx_hist_max(r.h[NXG_NKINDS]) <= 20 * MS + 3 * F_POLL_NS);
	assert_true(nx_hist_max(r.lag) <= F_POLL_NS); /* the generator kept its schedule */
	nxg_result_free(&r);
}

/* The generator itself is off its CPU 20 ms: the requests due meanwhile go
 * out late, measured from their slots (latency and send lag both show it). */
static void generator_stall_measured_from_slots(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 1000);
	F.jump_at = T0 + 100 * MS;
	F.jump_ns = 20 * MS;
	run(&o, &r);
	check_accounting(&r);
	uint64_t slow = count_at_or_above(r.h[NXG_NKINDS], 10 * MS);
	print_message("generator stall: %" PRIu64 " at >= 10 ms, max %.3f ms, lag max %.3f ms\n", slow,
		      (double)nx_hist_max(r.h[NXG_NKINDS]) / 1e6, (double)nx_hist_max(r.lag) / 1e6);
	assert_true(slow >= 9 && slow <= 11);
	assert_true(nx_hist_max(r.lag) >= 19 * MS);
	assert_int_equal(sum(r.n.m_sent), 300);
	nxg_result_free(&r);
}

/* Every window full (--window 4, a venue 5 ms away: 800 a second at most,
 * 10000 asked): the backlog goes out as slots free, each request measured
 * from its slot, so the latency grows with the backlog, and the achieved
 * rate says the load was not carried. */
static void window_full_measured_from_slots(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 10000);
	o.duration_s = 0.1; /* 1000 requests: the last goes out about 1.25 s in */
	o.window = 4;
	o.timeout_ms = 5000;
	F.delay_ns = 5 * MS;
	run(&o, &r);
	check_accounting(&r);
	print_message("window full: sent %" PRIu64 " achieved %.0f/s max %.3f ms waited %" PRIu64 "\n",
		      sum(r.n.m_sent), r.achieved_rate, (double)nx_hist_max(r.h[NXG_NKINDS]) / 1e6,
		      r.n.window_full);
	assert_int_equal(sum(r.n.m_sent), 1000);
	assert_true(r.n.window_full > 0);
	assert_true(r.achieved_rate < 900);
	assert_true(nx_hist_max(r.h[NXG_NKINDS]) > 1000 * MS);
	nxg_result_free(&r);
}

/* An hour at 7 a second, constant gaps of 142857142.857 ns (not a whole
 * number): exactly 25200 measured requests, the last one in the hour's
 * last gap: the schedule, summed in double, neither gains nor loses a
 * request over a long run. (Polls of 1 ms here, to keep it short.) */
static void const_rate_no_drift_over_an_hour(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 7);
	o.duration_s = 3600;
	o.warmup_s = 0.5;
	o.keepalive_ms = 600000;
	F.poll_ns = MS;
	run(&o, &r);
	check_accounting(&r);
	print_message("an hour at 7/s: %" PRIu64 " sent, %.6f s, achieved %.6f/s\n", sum(r.n.m_sent),
		      r.secs, r.achieved_rate);
	assert_int_equal(sum(r.n.m_sent), 25200);
	assert_true(fabs(r.achieved_rate - 7) < 1e-6);
	assert_true(nx_hist_max(r.lag) <= MS);
	nxg_result_free(&r);
}

/* Closed loop, one session, -n 200: each request is due when the previous
 * answer arrived, so every latency is the venue's 50 us plus at most one
 * poll, and the span runs to the last answer. */
static void closed_loop_round_trip(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 0);
	o.mode = NXG_CLOSED;
	o.count = 200;
	F.delay_ns = 50000;
	run(&o, &r);
	check_accounting(&r);
	assert_int_equal(sum(r.n.m_sent), 200);
	assert_true(nx_hist_min(r.h[NXG_NKINDS]) >= F.delay_ns);
	assert_true(nx_hist_max(r.h[NXG_NKINDS]) <= F.delay_ns + F_POLL_NS);
	assert_true(r.secs >= 200 * 50e-6 && r.secs <= 200 * 61e-6);
	nxg_result_free(&r);
}

/* ==== The clock ====================================================================== */

/* The TSC path's conversion: 10 years of ticks at 3 GHz since calibration
 * still scale to ns without overflow (128-bit product), within the 32.32
 * factor's truncation (< 1e-9 relative: a ms in 10 days, nothing in a
 * latency, which is a difference). */
static void tsc_conversion_long_run(void **state)
{
	(void)state;
#if defined(__x86_64__)
	struct nxg_clock c;
	memset(&c, 0, sizeof(c));
	c.kind = NXG_CLOCK_TSC;
	c.ns_per_tsc_q32 = (uint64_t)(((unsigned __int128)1 << 32) / 3); /* 3 GHz */
	uint64_t ticks = UINT64_C(3000000000) * 86400 * 3653; /* ten years */
	c.tsc0 = nxg_rdtsc() - ticks;
	c.ns0 = 12345;
	uint64_t ns = nxg_now(&c) - c.ns0, want = ticks / 3;
	assert_true(ns <= want + 1000000000u);              /* within a second of reads */
	assert_true((double)(want - ns) < 1e-9 * (double)want); /* truncation only */
#endif
}

/* The calibrated clock (TSC where invariant, else CLOCK_MONOTONIC) runs
 * at CLOCK_MONOTONIC's rate: 50 ms on both agree within 20 us. */
static void clock_calibrated_rate(void **state)
{
	struct nxg_clock c;
	(void)state;
	assert_int_equal(nxg_clock_init(&c, NXG_CLOCK_TSC, NULL), 0);
	print_message("clock: %s\n", c.what);
	uint64_t a = nxg_now(&c), m0 = nxg_mono_ns();
	struct timespec ts = { 0, 50000000 };
	nanosleep(&ts, NULL);
	uint64_t b = nxg_now(&c), m1 = nxg_mono_ns();
	double d = (double)(b - a) - (double)(m1 - m0);
	assert_true(fabs(d) < 20000);
}

/* ==== nx_hist at its edges ================================================================ */

/* 0 and the highest value (an hour) are recorded as themselves; above it,
 * as the highest and counted saturated; percentiles at the rank, the max
 * exact; 3 digits hold over the whole range. */
static void hist_zero_max_saturation(void **state)
{
	(void)state;
	struct nx_hist *h = nx_hist_create(NXG_HIST_HIGHEST, 3);
	assert_non_null(h);
	nx_hist_record(h, 0);
	nx_hist_record(h, NXG_HIST_HIGHEST);
	nx_hist_record(h, NXG_HIST_HIGHEST + 1);
	nx_hist_record(h, UINT64_MAX);
	assert_int_equal(nx_hist_count(h), 4);
	assert_int_equal(nx_hist_saturated(h), 2);
	assert_int_equal(nx_hist_min(h), 0);
	assert_int_equal(nx_hist_max(h), NXG_HIST_HIGHEST);
	assert_int_equal(nx_hist_value_at_percentile(h, 25), 0);
	assert_int_equal(nx_hist_value_at_percentile(h, 25.0001), NXG_HIST_HIGHEST);
	assert_int_equal(nx_hist_value_at_percentile(h, 100), NXG_HIST_HIGHEST);
	assert_int_equal(nx_hist_count_at(h, UINT64_MAX), 3);
	/* 0.1% over 1 ns .. an hour */
	for (uint64_t v = 1; v <= NXG_HIST_HIGHEST; v = v * 3 + 1) {
		uint64_t lo = nx_hist_lowest_equiv(h, v), hi = nx_hist_highest_equiv(h, v);
		assert_true(lo <= v && v <= hi);
		assert_true((double)(hi - lo) <= (double)lo * 1e-3);
	}
	nx_hist_destroy(h);
}

/* p50/p99/p99.9/max at the nearest rank: 1..1000 ns, each once: p99.9 is
 * 999 (not 1000 by rounding), p99 990, p50 500; one value more moves each
 * rank up (ceil). */
static void hist_percentile_ranks(void **state)
{
	(void)state;
	struct nx_hist *h = nx_hist_create(NXG_HIST_HIGHEST, 3);
	static const double pct[] = { 50, 99, 99.9, 100 };
	uint64_t v[4];
	for (uint64_t x = 1; x <= 1000; x++)
		nx_hist_record(h, x);
	assert_int_equal(nx_hist_percentiles(h, pct, v, 4), 0);
	assert_int_equal(v[0], 500);
	assert_int_equal(v[1], 990);
	assert_int_equal(v[2], 999);
	assert_int_equal(v[3], 1000);
	nx_hist_record(h, 1001);
	assert_int_equal(nx_hist_percentiles(h, pct, v, 4), 0);
	assert_int_equal(v[0], 501);
	assert_int_equal(v[1], 991);
	assert_int_equal(v[2], 1000);
	assert_int_equal(v[3], 1001);
	nx_hist_destroy(h);
}

/* Merging per-core histograms of a smaller highest into one of a larger:
 * the same as recording there; the other way round is refused. */
static void hist_merge_highest(void **state)
{
	(void)state;
	struct nx_hist *small = nx_hist_create(1000000, 3), *big = nx_hist_create(NXG_HIST_HIGHEST, 3),
		       *ref = nx_hist_create(NXG_HIST_HIGHEST, 3);
	for (uint64_t x = 0; x < 2000000; x += 997) {
		nx_hist_record(small, x);
		nx_hist_record(ref, x < 1000000 ? x : 1000000);
	}
	assert_int_equal(nx_hist_merge(big, small), 0);
	assert_int_equal(nx_hist_merge(small, big), -EINVAL);
	assert_int_equal(nx_hist_count(big), nx_hist_count(ref));
	assert_int_equal(nx_hist_saturated(big), nx_hist_saturated(small)); /* carried over */
	assert_int_equal(nx_hist_max(big), nx_hist_max(ref));
	for (double p = 1; p < 100; p += 7.3)
		assert_int_equal(nx_hist_value_at_percentile(big, p), nx_hist_value_at_percentile(ref, p));
	nx_hist_destroy(small);
	nx_hist_destroy(big);
	nx_hist_destroy(ref);
}

/* The .hgrm of nxgen (ns written as us): HdrHistogram's layout, the first
 * line at percentile 0 with 1/(1-p) 1.00, the last at 1.000000000000
 * without it, then Mean / Max / Buckets (32 buckets of 2048 for an hour at
 * 3 digits); an empty histogram is header and footer only. */
static void hgrm_layout(void **state)
{
	(void)state;
	char buf[8192];
	struct nx_hist *h = nx_hist_create(NXG_HIST_HIGHEST, 3);
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(nx_hist_write_percentiles(h, f, 1000.0), 0);
	fclose(f);
	assert_string_equal(buf, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
			    "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
			    "#[Max     =        0.000, Total count    =            0]\n"
			    "#[Buckets =           32, SubBuckets     =         2048]\n");
	nx_hist_record(h, 12345);
	f = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(nx_hist_write_percentiles(h, f, 1000.0), 0);
	fclose(f);
	assert_string_equal(buf, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n"
			    "      12.351 0.000000000000          1           1.00\n"
			    "      12.351 1.000000000000          1\n"
			    "#[Mean    =       12.348, StdDeviation   =        0.000]\n"
			    "#[Max     =       12.351, Total count    =            1]\n"
			    "#[Buckets =           32, SubBuckets     =         2048]\n");
	nx_hist_destroy(h);
}

/* ==== Replies after --timeout ====================================================== */

/* "A request unanswered after --timeout ms is lost; an answer after that
 * counts as late" (docs/nxgen.md). A venue 150 ms away and --timeout 100:
 * every request is lost, and every answer comes, late, while nxgen is
 * still running (the clean-up waits long after). With --window 4 the lost
 * request's slot is free for the next request at once, so the late answer
 * finds another clOrdId there; it is known by its lost bit instead.
 * Regression: the slot kept the lost clOrdId to spot the answer, and once
 * reused the answer was counted nowhere (`late` read 4 where 100 answers
 * came late), so under a venue slower than --timeout the lab could not
 * tell a venue that dropped requests from one that was slow. */
static void late_answers_counted_after_slot_reuse(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 1000);
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_REJECT] = 1; /* one answer a request, never resting */
	o.duration_s = 0.1;
	o.window = 4;
	o.timeout_ms = 100;
	F.delay_ns = 150 * MS;
	run(&o, &r);
	check_accounting(&r);
	print_message("sent %" PRIu64 " lost %" PRIu64 " answered %" PRIu64 " late %" PRIu64
		      " ExecRejected received %" PRIu64 "\n", sum(r.n.m_sent), r.n.lost, r.n.answered,
		      r.n.late, r.n.by_template[NX_NXP_EXEC_REJECTED]);
	assert_int_equal(sum(r.n.m_sent), 100);
	assert_int_equal(sum(r.n.m_lost), 100);
	assert_int_equal(r.n.by_template[NX_NXP_EXEC_REJECTED], 100); /* every answer came */
	assert_int_equal(r.n.late, 100);                                /* ... late */
	nxg_result_free(&r);
}

/* ==== timeseries.csv ============================================================ */

/* "Row n covers second n of the measured window, [t_meas + n - 1 s,
 * t_meas + n s) ... its boundary may fall up to about a millisecond late."
 * The generator is off its CPU from 0.9 s to 2.4 s (a long stall, as on a
 * shared host): nothing can be sent or read meanwhile, so second 1 holds
 * the 900 requests sent in [0, 0.9 s), second 2 none, and second 3 what is
 * sent from 2.4 s on (the 1500-request backlog, then the schedule).
 * Regression: row 1 was closed only by the timer that ran after the
 * backlog had gone out, so it took the sends and answers of 2.4 s, and each
 * following row closed a tick after the previous (row 2 held 1 ms). */
static void timeseries_rows_after_generator_stall(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	(void)state;
	opts(&o, 1000);
	o.duration_s = 4;
	o.timeout_ms = 5000;
	F.jump_at = T0 + 900 * MS;
	F.jump_ns = 1500 * MS;
	run(&o, &r);
	check_accounting(&r);
	for (uint32_t i = 0; i < r.nts && i < 6; i++)
		print_message("row %u: sent %" PRIu64 " answered %" PRIu64 " p50 %.3f ms max %.3f ms\n",
			      r.ts[i].t + 1, r.ts[i].sent, r.ts[i].answered, (double)r.ts[i].p50 / 1e6,
			      (double)r.ts[i].max / 1e6);
	assert_true(r.nts >= 3);
	assert_true(r.ts[0].sent <= 901);        /* only what was sent in second 1 */
	assert_true(r.ts[0].max < 10 * MS);      /* the stall's latencies are after it */
	nxg_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(const_rate_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(poisson_mean_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(venue_stall_measured_from_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(generator_stall_measured_from_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(window_full_measured_from_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(const_rate_no_drift_over_an_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(closed_loop_round_trip, setup, teardown),
		cmocka_unit_test(tsc_conversion_long_run),
		cmocka_unit_test(clock_calibrated_rate),
		cmocka_unit_test(hist_zero_max_saturation),
		cmocka_unit_test(hist_percentile_ranks),
		cmocka_unit_test(hist_merge_highest),
		cmocka_unit_test(hgrm_layout),
		cmocka_unit_test_setup_teardown(late_answers_counted_after_slot_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(timeseries_rows_after_generator_stall, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
