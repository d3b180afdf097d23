/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen's core (dpdk_apps/nxgen/gen.c, mix.c, clock.c) against a venue in
 * the process: a backend of its own (the nxg_io_ops seam) that hands every
 * datagram to an nx_engine built from docs/examples/venue.cfg, and can lose
 * chosen datagrams either way, which kernel sockets on loopback never do
 * on demand. Runs are short (a few hundred ms, real clock), or, for what
 * must happen at a given time, on a clock of the test's own (F.now_ns,
 * nxg_opts.test_now_ns) that every poll moves F_POLL_NS, so the machine's
 * speed cannot change what the run does.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "nx/engine.h"
#include "nx/reason.h"
#include "../dpdk_apps/nxgen/nxgen.h"

#define F_IP 0x0a000001u
#define F_PORT 40000u
#define F_QCAP 4096
#define F_POLL_NS 10000u  /* the test clock: what one poll of the backend takes */

/* The venue in the process, and what it lets through. */
static struct fake {
	struct nx_engine *e;
	struct nx_out out;
	struct nx_out_dgram d[256];
	const struct nxg_clock *clk;
	struct { uint32_t sess; uint16_t len; uint64_t due; uint8_t data[NX_NXP_DGRAM_MAX]; } q[F_QCAP];
	unsigned qh, qn;
	uint8_t rx[NXG_RX_BURST][NX_NXP_DGRAM_MAX];
	uint64_t to_venue, to_client;   /* application datagrams seen either way */
	uint32_t drop_to_venue;         /* lose every Nth application datagram to the venue */
	uint32_t drop_live;             /* lose every Nth live (not retransmitted) one from it ... */
	uint64_t drop_until;            /* ... among the first ones (0: all): a loss at the very
	                                   end is seen only at the next heartbeat, too late */
	uint64_t dropped;
	uint64_t delay_ns;              /* every datagram from the venue arrives this late */
	int spend_rt_budget;            /* before the first RetransmitRequest reaches the venue,
	                                   spend its session's retransmission budget */
	uint64_t rt_seen, rt_throttled; /* RetransmitRequests from nxgen; refused THROTTLED */
	uint64_t rt_at[8];              /* when the first RetransmitRequests reached the venue */
	uint64_t now_ns;                /* the test clock, when the run's opts point at it */
	int stale_reject;               /* with nxgen's second RetransmitRequest, a refusal
	                                   (THROTTLED) of its first, arriving at once */
	uint64_t rt_ts0;                /* the first RetransmitRequest's timestamp */
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

/* Queue what the engine produced for its sessions, losing some. */
static void from_venue(void)
{
	for (uint32_t i = 0; i < F.out.n; i++) {
		const struct nx_out_dgram *d = &F.out.d[i];
		if (starts_with(d->data, d->len, NX_NXP_SEQUENCE) && d->len > 40 &&
		    F.drop_live && ++F.to_client % F.drop_live == 0 &&
		    (!F.drop_until || F.to_client < F.drop_until)) {
			F.dropped++;
			continue;
		}
		assert_true(F.qn < F_QCAP);
		unsigned k = (F.qh + F.qn++) % F_QCAP;
		F.q[k].sess = d->to.port - F_PORT;
		F.q[k].len = d->len;
		F.q[k].due = nxg_now(F.clk) + F.delay_ns;
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

/* nxgen's RetransmitRequest rt, from src, is about to reach the venue:
 * send the venue the same request until the session's budget refuses it,
 * answers unseen, so that the real one is refused RETRANSMIT_THROTTLED
 * (sessions.retransmit_rate is low enough that no token comes back in the
 * microseconds before it). */
static void spend_budget(const uint8_t *rt, size_t len, struct nx_addr src)
{
	const struct nx_engine_stats *st = nx_engine_stats(F.e);
	uint64_t before = st->retransmit_throttled;
	for (int k = 0; st->retransmit_throttled == before; k++) {
		assert_true(k < 100000);
		nx_engine_rx(F.e, rt, len, src, nxg_now(F.clk), &F.out);
		F.out.n = 0; /* the answers are lost on the way */
	}
}

/* A RetransmitReject (THROTTLED) of the request of timestamp ts from
 * session sess, at the head of the queue and due now, so delivered at the
 * next poll, ahead of what is on the way: what a late refusal of an
 * earlier request looks like. */
static void queue_stale_reject(uint32_t sess, uint64_t session_id, uint64_t ts)
{
	struct nx_nxp_writer w;
	struct nx_nxp_retransmit_reject rj = { .session_id = session_id, .request_timestamp = ts,
					       .code = NX_REJ_RETRANSMIT_THROTTLED };
	assert_true(F.qn < F_QCAP);
	F.qh = (F.qh + F_QCAP - 1) % F_QCAP;
	F.qn++;
	unsigned k = F.qh;
	nx_nxp_writer_init(&w, F.q[k].data, sizeof(F.q[k].data));
	F.q[k].len = (uint16_t)nx_nxp_encode_retransmit_reject(&w, &rj);
	assert_true(F.q[k].len > 0);
	F.q[k].sess = sess;
	F.q[k].due = nxg_now(F.clk);
}

static void stale_reject_hook(const struct nxg_tx *tx)
{
	struct nx_nxp_reader rd;
	struct nx_nxp_msg m;
	struct nx_nxp_retransmit_request rq;
	nx_nxp_reader_init(&rd, tx->data, tx->len);
	assert_int_equal(nx_nxp_next(&rd, &m), 1);
	nx_nxp_decode_retransmit_request(&m, &rq);
	if (F.rt_seen == 0)
		F.rt_ts0 = rq.timestamp;
	else if (F.rt_seen == 1)
		queue_stale_reject(tx->sess, rq.session_id, F.rt_ts0);
}

static unsigned f_send(struct nxg_io *io, const struct nxg_tx *tx, unsigned n)
{
	(void)io;
	for (unsigned i = 0; i < n; i++) {
		if (starts_with(tx[i].data, tx[i].len, NX_NXP_RETRANSMIT_REQUEST)) {
			struct nx_addr src = { .ip = F_IP, .port = (uint16_t)(F_PORT + tx[i].sess) };
			uint64_t before = nx_engine_stats(F.e)->retransmit_throttled;
			if (F.spend_rt_budget) {
				F.spend_rt_budget = 0;
				spend_budget(tx[i].data, tx[i].len, src);
				before = nx_engine_stats(F.e)->retransmit_throttled;
			}
			if (F.stale_reject)
				stale_reject_hook(&tx[i]);
			if (F.rt_seen < sizeof(F.rt_at) / sizeof(F.rt_at[0]))
				F.rt_at[F.rt_seen] = nxg_now(F.clk);
			F.rt_seen++;
			nx_engine_rx(F.e, tx[i].data, tx[i].len, src, nxg_now(F.clk), &F.out);
			F.rt_throttled += nx_engine_stats(F.e)->retransmit_throttled - before;
			from_venue();
			continue;
		}
		if (starts_with(tx[i].data, tx[i].len, NX_NXP_SEQUENCE) && tx[i].len > 40 &&
		    F.drop_to_venue && ++F.to_venue % F.drop_to_venue == 0) {
			F.dropped++;
			continue; /* lost on the wire: the venue sees a gap in our numbers */
		}
		struct nx_addr src = { .ip = F_IP, .port = (uint16_t)(F_PORT + tx[i].sess) };
		nx_engine_rx(F.e, tx[i].data, tx[i].len, src, nxg_now(F.clk), &F.out);
		from_venue();
	}
	return n;
}

static unsigned f_poll(struct nxg_io *io, struct nxg_rx *rx, unsigned cap, uint64_t wait_ns)
{
	(void)io, (void)wait_ns;
	if (F.clk->kind == NXG_CLOCK_TEST)
		F.now_ns += F_POLL_NS;
	nx_engine_poll(F.e, nxg_now(F.clk), &F.out);
	from_venue();
	unsigned n = 0;
	uint64_t now = nxg_now(F.clk);
	for (; n < cap && F.qn && F.q[F.qh].due <= now; n++, F.qh = (F.qh + 1) % F_QCAP, F.qn--) {
		memcpy(F.rx[n], F.q[F.qh].data, F.q[F.qh].len);
		rx[n] = (struct nxg_rx){ .sess = F.q[F.qh].sess, .len = F.q[F.qh].len, .data = F.rx[n],
					 .ts_ns = nxg_now(F.clk) };
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
	memset(&F, 0, sizeof(F));
	assert_int_equal(nx_config_load("docs/examples/venue.cfg", &cfg, err, sizeof(err)), 0);
	for (uint32_t i = 0; i < cfg.naccounts; i++) {
		cfg.accounts[i].limits.msg_rate = 10000000;
		cfg.accounts[i].limits.msg_burst = 1000000;
		cfg.accounts[i].limits.position_limit = 100000000;
		cfg.accounts[i].limits.max_open_orders = 100000;
	}
	F.e = nx_engine_create(&cfg, NULL, NULL, err, sizeof(err));
	assert_non_null(F.e);
	F.out = (struct nx_out){ .d = F.d, .cap = 256 };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nx_engine_destroy(F.e);
	nx_config_free(&cfg);
	return 0;
}

/* Start the venue again from v (a test's own history or budget). */
static void venue_restart(const struct nx_venue_config *v)
{
	char err[256];
	nx_engine_destroy(F.e);
	F.e = nx_engine_create(v, NULL, NULL, err, sizeof(err));
	if (!F.e)
		print_error("%s\n", err);
	assert_non_null(F.e);
}

/* main.c's defaults (not linked: it has main), one session, open loop at 2000/s. */
/* nxgen's defaults, then a short open-loop run of one session. */
static void opts(struct nxg_opts *o)
{
	nxg_opts_default(o);
	snprintf(o->name, sizeof(o->name), "t");
	o->config = "docs/examples/venue.cfg";
	o->mode = NXG_OPEN;
	o->rate = 2000;
	o->arrival = NXG_CONST;
	o->clock = NXG_CLOCK_MONO;
	o->quiet = 1;
	o->warmup_s = 0;
	o->duration_s = 0.3;
	o->timeout_ms = 200;
	o->src_port = 0;
	o->naccts = 1;
	o->accts[0] = 1;
	o->sessions = 1;
}

static uint64_t sum(const uint64_t *v)
{
	uint64_t s = 0;
	for (int k = 0; k < NXG_NKINDS; k++)
		s += v[k];
	return s;
}

/* The summary's session line and the greppable line say how many venue
 * messages expired (r->n.expired), then how many RetransmitRequests were
 * refused THROTTLED (r->n.rt_throttled), at their ends: each appended
 * last, so the fields before keep their places. */
static void report_tail(const struct nxg_result *r)
{
	char buf[16384], want[96];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	nxg_report_summary(f, r);
	fclose(f);
	const char *sl = strstr(buf, "\n  session: ");
	assert_non_null(sl);
	snprintf(want, sizeof(want), ", expired %" PRIu64 ", retransmit throttled %" PRIu64 "\n",
		 r->n.expired, r->n.rt_throttled);
	const char *e = strstr(sl + 1, want);
	assert_non_null(e);
	assert_ptr_equal(e + strlen(want) - 1, strchr(sl + 1, '\n')); /* on that line, its end */
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	nxg_report_line(f, r);
	fclose(f);
	snprintf(want, sizeof(want), " all_down=%" PRIu64 " expired=%" PRIu64 " rt_throttled=%" PRIu64
		 "\n", r->n.all_down, r->n.expired, r->n.rt_throttled);
	assert_true(strlen(buf) > strlen(want));
	assert_string_equal(buf + strlen(buf) - strlen(want), want);
}

/* The venue never got some of our requests: its NotApplied closes them as
 * lost, and the per-second rows count those losses as the summary does. */
static void not_applied_in_timeseries(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	opts(&o);
	F.drop_to_venue = 25;
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	uint64_t s = 0, a = 0, l = 0;
	for (uint32_t i = 0; i < r.nts; i++) {
		s += r.ts[i].sent;
		a += r.ts[i].answered;
		l += r.ts[i].lost;
	}
	assert_true(r.n.not_applied > 0);
	assert_true(sum(r.n.m_lost) > 0);
	assert_int_equal(s, sum(r.n.m_sent));
	assert_int_equal(a, sum(r.n.m_answered));
	assert_int_equal(l, sum(r.n.m_lost));
	nxg_result_free(&r);
}

/* Every column of a timeseries row counts the measured requests over that
 * second: rejects are the answers in it that were rejects, so no more than
 * answered, and they sum to the summary's measured rejects. Regression: the
 * column counted every reject received, so with replies 100 ms late the
 * first rows held the warm-up's rejects (more rejects than answers). The
 * mix is all collar rejects, so every answer is one. */
static void rejects_in_timeseries(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	opts(&o);
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_REJECT] = 1;
	o.warmup_s = 0.2;
	o.timeout_ms = 2000; /* nothing lost: the delay is far inside it */
	F.delay_ns = 100000000;
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	uint64_t a = 0, rj = 0, all = 0;
	for (uint32_t i = 0; i < r.nts; i++) {
		assert_true(r.ts[i].rejects <= r.ts[i].answered);
		a += r.ts[i].answered;
		rj += r.ts[i].rejects;
	}
	for (unsigned c = 0; c < 256; c++)
		all += r.n.rejects[c];
	assert_true(sum(r.n.m_answered) > 0);
	assert_int_equal(a, sum(r.n.m_answered));
	assert_int_equal(rj, sum(r.n.m_rejected));
	assert_int_equal(rj, r.n.m_answered[NXG_REJECT]);
	assert_true(all > rj); /* the warm-up's rejects are in the all-phase count only */
	nxg_result_free(&r);
}

/* The venue gets none of our requests (every one lost on the way), so
 * with --window 4 every window is full from the fourth request on, until
 * --timeout frees it. With --idle sleep the loop must then wait in the
 * poll (for an answer or the next tick), never poll without waiting and
 * come back empty: it did, a spin for as long as the windows were full.
 * --idle busy spins, which shows the counter counts. (This backend
 * returns at once whatever the wait: what is checked is the wait asked.) */
static void sleep_when_windows_full(void **state)
{
	for (int busy = 0; busy <= 1; busy++) {
		struct nxg_opts o;
		struct nxg_result r;
		volatile int stop = 0;
		(void)state;
		opts(&o);
		o.busy = (uint8_t)busy;
		o.rate = 200;       /* 40 requests: 10 rounds of 4 lost after 50 ms */
		o.duration_s = 0.2;
		o.window = 4;
		o.timeout_ms = 50;
		F.drop_to_venue = 1;
		F.to_venue = 0;
		assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
		print_message("idle %s: window_full %" PRIu64 " polls %" PRIu64 " empty %" PRIu64
			      " spun %" PRIu64 "\n", busy ? "busy" : "sleep", r.n.window_full,
			      r.n.polls, r.n.polls_empty, r.n.polls_spun);
		assert_true(r.n.window_full > 0);
		assert_true(sum(r.n.m_lost) > 0);
		assert_true(r.n.polls_empty > 0);
		if (busy)
			assert_true(r.n.polls_spun > 0);
		else
			assert_int_equal(r.n.polls_spun, 0);
		nxg_result_free(&r);
	}
}

/* Replies lost on the way, their retransmissions not: every one is
 * recovered at once and answers its request; nothing is lost. */
static void lost_replies_recovered(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	opts(&o);
	o.rate = 10000; /* replies closer together than the 1 ms timer tick: gaps overlap */
	o.timeout_ms = 1000; /* well past any recovery (a preempted run must not look lost);
	                        the old code asked for the rest of a gap only after it */
	F.drop_live = 3;
	F.drop_until = 2000;
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	print_message("dropped %" PRIu64 " gaps %" PRIu64 " rt %" PRIu64 " rej %" PRIu64 " lost %" PRIu64
		      " late %" PRIu64 " recovered %" PRIu64 " dup %" PRIu64 " sent %" PRIu64 "\n", F.dropped,
		      r.n.gaps, r.n.rt_requests, r.n.rt_rejects, r.n.lost, r.n.late, r.n.recovered,
		      r.n.duplicates, sum(r.n.m_sent));
	assert_true(F.dropped > 100);
	assert_int_equal(r.n.lost, 0);
	assert_int_equal(sum(r.n.m_answered), sum(r.n.m_sent));
	nxg_result_free(&r);
}

/* A RetransmitRequest refused RETRANSMIT_THROTTLED means "later": nxgen
 * keeps the gap and asks again when the venue's budget has refilled
 * (count / rate: 10 ms here; it used to wait --timeout), and the gap is
 * recovered. One reply datagram is lost; the session's budget is spent
 * just before nxgen's request for it arrives. Given up instead (as for
 * the other refusals), nothing is ever resent; asked again at every
 * tick, about ten. (On the real clock: when it is asked
 * again is throttled_gap_asked_again_when_refilled's, on the test's.) */
static void throttled_gap_asked_again(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	/* a message every 10 ms: none comes back before the real request,
	 * one by the time nxgen asks again */
	cfg.retransmit_rate = 100;
	cfg.retransmit_burst = cfg.history;
	venue_restart(&cfg);
	opts(&o);
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_NEW] = 1; /* one ExecNew a reply datagram: a gap of one */
	o.timeout_ms = 100;
	F.drop_live = 20; /* the 20th reply datagram only */
	F.drop_until = 21;
	F.spend_rt_budget = 1;
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	print_message("dropped %" PRIu64 " rt %" PRIu64 " rej %" PRIu64 " throttled %" PRIu64
		      " recovered %" PRIu64 " lost %" PRIu64 " late %" PRIu64 "\n", F.dropped,
		      r.n.rt_requests, r.n.rt_rejects, F.rt_throttled, r.n.recovered, r.n.lost, r.n.late);
	assert_int_equal(F.dropped, 1);
	assert_true(F.rt_throttled >= 1);         /* the first request was refused ... */
	assert_int_equal(r.n.rt_rejects, F.rt_throttled);
	assert_int_equal(r.n.rt_throttled, F.rt_throttled);
	assert_int_equal(F.rt_seen, F.rt_throttled + 1); /* ... and asked again once, served */
	assert_true(r.n.rt_requests <= 3);        /* when refilled, not at every tick */
	assert_int_equal(r.n.recovered, 1);       /* the lost ExecNew came back */
	nxg_result_free(&r);
}

/* The THROTTLED scenario, on the test clock: the venue's history is 64
 * and its budget 64 deep, refilled at 200 a second; the first 4 replies
 * are lost, and the budget is spent just before nxgen's request for them
 * arrives, so it is refused with nothing left in the bucket. nxgen reads
 * mine (-c: the venue's file but for what a test changes); --timeout is
 * timeout_ms. Returns the wait between the two first RetransmitRequests
 * (0: there was no second). */
static uint64_t throttled_run(struct nx_venue_config *mine, uint32_t timeout_ms, struct nxg_result *r)
{
	struct nxg_opts o;
	volatile int stop = 0;
	cfg.history = mine->history = 64;
	cfg.retransmit_rate = 200;
	cfg.retransmit_burst = 64; /* at least history */
	venue_restart(&cfg);
	opts(&o);
	F.now_ns = 1000000000u;
	o.test_now_ns = &F.now_ns;
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_NEW] = 1;        /* one ExecNew a reply datagram ... */
	o.max_live = NXG_MAX_LIVE; /* ... and never a cancel instead */
	o.rate = 200;              /* 60 requests in 0.3 s, fewer than max_live and history */
	o.timeout_ms = timeout_ms;
	F.drop_live = 1;
	F.drop_until = 5;          /* the first 4 replies */
	F.spend_rt_budget = 1;
	assert_int_equal(nxg_run(&o, mine, r, &stop), 0);
	uint64_t wait = F.rt_seen > 1 ? F.rt_at[1] - F.rt_at[0] : 0;
	print_message("dropped %" PRIu64 " rt %" PRIu64 " seen %" PRIu64 " throttled %" PRIu64
		      " rej %" PRIu64 " retry after %.3f ms recovered %" PRIu64 " lost %" PRIu64
		      " late %" PRIu64 "\n", F.dropped, r->n.rt_requests, F.rt_seen, F.rt_throttled,
		      r->n.rt_rejects, (double)wait / 1e6, r->n.recovered, r->n.lost, r->n.late);
	assert_int_equal(F.dropped, 4);
	assert_int_equal(r->n.gap_msgs, 4);
	assert_int_equal(F.rt_throttled, 1);     /* refused once ... */
	assert_int_equal(r->n.rt_rejects, 1 + F.stale_reject);
	assert_int_equal(r->n.rt_throttled, 1);  /* counted apart from the other refusals */
	assert_int_equal(r->n.rt_stale, F.stale_reject);
	report_tail(r);
	assert_int_equal(F.rt_seen, 2);          /* ... asked again once, served */
	assert_int_equal(r->n.rt_requests, 2);
	assert_int_equal(r->n.recovered, 4);
	assert_int_equal(r->n.expired, 0);
	return wait;
}

/* RETRANSMIT_THROTTLED says when it can be served: the venue's budget
 * refills at sessions.retransmit_rate, so count / rate after the refusal
 * it covers the count refused, whatever it held then. nxgen reads -c's
 * rate and asks again then, not --timeout later: it asked only after the
 * timeout, when the gap's requests (sent before the request) had been
 * lost already (here the run was over first: never asked again). With
 * nothing left in the bucket at the refusal, 4 / 200 s = 20 ms later it
 * holds exactly 4, and the request asked again then is served. */
static void throttled_gap_asked_again_when_refilled(void **state)
{
	struct nxg_result r;
	(void)state;
	uint64_t wait = throttled_run(&cfg, 1000, &r);
	/* not before the bucket can cover it, and at the first 1 ms tick after */
	assert_true(wait >= 4 * 1000000000u / 200);
	assert_true(wait <= 4 * 1000000000u / 200 + 1000000u + 2 * F_POLL_NS);
	assert_int_equal(r.n.lost, 0);
	assert_int_equal(r.n.late, 0);
	assert_int_equal(sum(r.n.m_answered), sum(r.n.m_sent));
	nxg_result_free(&r);
}

/* A refusal that echoes an earlier request's timestamp is about that one
 * (asked again after --timeout and refused late): nxgen ignores it. It
 * took it for the latest request's, so here, with the venue's datagrams
 * 50 ms on the way, a stale THROTTLED arriving while the retry's answer
 * travelled cleared rt_pending and had nxgen ask a third time 20 ms later,
 * before the answer came (rt_requests 3, the numbers resent twice). */
static void stale_refusal_ignored(void **state)
{
	struct nxg_result r;
	(void)state;
	F.delay_ns = 50000000u;
	F.stale_reject = 1;
	throttled_run(&cfg, 1000, &r);
	assert_int_equal(r.n.duplicates, 0);
	assert_int_equal(r.n.lost, 0);
	nxg_result_free(&r);
}

/* A -c without the budget (retransmit_rate 0, here not the venue's own
 * file) says nothing of when the venue can serve: nxgen asks again after
 * --timeout, as it always did, by when the gap's requests are lost (their
 * replies then come late). */
static void throttled_without_rate_waits_timeout(void **state)
{
	struct nxg_result r;
	(void)state;
	struct nx_venue_config mine = cfg;
	mine.retransmit_rate = 0;
	uint64_t wait = throttled_run(&mine, 100, &r);
	assert_true(wait > 100000000u);
	assert_true(wait <= 100000000u + 1000000u + 2 * F_POLL_NS);
	assert_int_equal(r.n.lost, 4);
	assert_int_equal(r.n.late, 4);
	nxg_result_free(&r);
}

/* A run of replies longer than the venue's history is lost, so the gap's
 * front has left the history when nxgen asks: the venue used to refuse
 * RETRANSMIT_OUT_OF_RANGE, and nxgen gave the whole gap up, with the
 * replies still kept. It asks for at most a history (more is refused
 * TOO_MANY); the venue says with an empty Retransmission what is gone
 * and resends the rest, and nxgen asks at once for what is left. The
 * gone replies' requests are lost; every other one is recovered. */
static void gap_older_than_history_recovered(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	cfg.history = 16; /* 80 ms of replies at 200/s */
	venue_restart(&cfg);
	opts(&o);
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_NEW] = 1; /* one ExecNew a reply datagram ... */
	o.max_live = NXG_MAX_LIVE; /* ... and never a cancel instead */
	o.rate = 200; /* 60 requests in 0.3 s: fewer than max_live */
	o.timeout_ms = 300; /* the kept replies come back well inside it */
	F.drop_live = 1;
	F.drop_until = 41; /* the first 40 replies */
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	print_message("dropped %" PRIu64 " rt %" PRIu64 " rej %" PRIu64 " recovered %" PRIu64
		      " lost %" PRIu64 " late %" PRIu64 "\n", F.dropped, r.n.rt_requests, r.n.rt_rejects,
		      r.n.recovered, r.n.lost, r.n.late);
	assert_int_equal(F.dropped, 40);
	assert_int_equal(r.n.rt_rejects, 0);
	assert_true(r.n.recovered > 0);
	assert_true(r.n.lost > 0);                       /* the front of the gap is gone ... */
	assert_int_equal(r.n.recovered + r.n.lost, 40); /* ... and only that */
	assert_int_equal(r.n.late, 0);
	assert_int_equal(r.n.expired, r.n.lost);         /* one reply a number, said gone */
	report_tail(&r);
	nxg_result_free(&r);
}

/* The same loss, against a venue whose history (16) is smaller than the
 * -c file says (4096: nxgen asks for up to 1000 at once). Its first
 * request, for the whole gap of 40, is refused RETRANSMIT_TOO_MANY.
 * nxgen gave the whole gap up then, with the replies the venue still
 * kept: none recovered, all 40 counted expired. Now it halves the count
 * and asks again at the next tick, until the venue takes it; the gap's
 * front is said gone (expired), the rest recovered. */
static void venue_history_smaller_than_config(void **state)
{
	struct nxg_opts o;
	struct nxg_result r;
	volatile int stop = 0;
	(void)state;
	struct nx_venue_config v = cfg; /* the venue's own file: the history only differs */
	v.history = 16;
	assert_true(cfg.history > 1000); /* what nxgen reads: its own maximum, 1000, applies */
	venue_restart(&v);
	opts(&o);
	memset(o.mix, 0, sizeof(o.mix));
	o.mix[NXG_NEW] = 1;
	o.max_live = NXG_MAX_LIVE;
	o.rate = 200;
	o.timeout_ms = 300;
	F.drop_live = 1;
	F.drop_until = 41; /* the first 40 replies */
	assert_int_equal(nxg_run(&o, &cfg, &r, &stop), 0);
	const struct nx_engine_stats *st = nx_engine_stats(F.e);
	print_message("dropped %" PRIu64 " gap_msgs %" PRIu64 " rt %" PRIu64 " rej %" PRIu64
		      " too_many %" PRIu64 " recovered %" PRIu64 " expired %" PRIu64 " lost %" PRIu64
		      " late %" PRIu64 "\n", F.dropped, r.n.gap_msgs, r.n.rt_requests, r.n.rt_rejects,
		      st->rejects[NX_REJ_RETRANSMIT_TOO_MANY], r.n.recovered, r.n.expired, r.n.lost,
		      r.n.late);
	assert_int_equal(F.dropped, 40);
	assert_int_equal(r.n.gap_msgs, 40);
	assert_true(st->rejects[NX_REJ_RETRANSMIT_TOO_MANY] >= 1); /* asked too much at first ... */
	assert_int_equal(r.n.rt_rejects, st->rejects[NX_REJ_RETRANSMIT_TOO_MANY]);
	assert_int_equal(r.n.rt_throttled, 0);
	assert_true(r.n.rt_rejects <= 3);                /* ... 40, 20, 10: halved each time */
	assert_true(r.n.recovered > 0);                  /* ... then recovered what was kept */
	assert_true(r.n.expired > 0 && r.n.expired < 40); /* the rest is gone, not given up */
	assert_int_equal(r.n.recovered + r.n.expired, 40);
	assert_int_equal(r.n.lost, r.n.expired);
	assert_int_equal(r.n.late, 0);
	report_tail(&r);
	nxg_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(not_applied_in_timeseries, setup, teardown),
		cmocka_unit_test_setup_teardown(lost_replies_recovered, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_in_timeseries, setup, teardown),
		cmocka_unit_test_setup_teardown(sleep_when_windows_full, setup, teardown),
		cmocka_unit_test_setup_teardown(throttled_gap_asked_again, setup, teardown),
		cmocka_unit_test_setup_teardown(throttled_gap_asked_again_when_refilled, setup, teardown),
		cmocka_unit_test_setup_teardown(throttled_without_rate_waits_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_refusal_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(gap_older_than_history_recovered, setup, teardown),
		cmocka_unit_test_setup_teardown(venue_history_smaller_than_config, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
