/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * nxgen, the load generator of the latency lab (docs/nxgen.md): the private
 * header shared by its files.
 *
 *   main.c     options (one table for the command line and --compare specs),
 *              the venue file, comparison runs, exit codes
 *   gen.c      the generator core: sessions through nx_client, scheduling
 *              (closed loop, open loop at a rate), matching replies to
 *              requests, timeouts, gaps and retransmission, recording
 *   mix.c      the order mix: which request a session sends next, at what
 *              price, and the session's resting orders
 *   clock.c    the clock: TSC calibrated against CLOCK_MONOTONIC, or
 *              CLOCK_MONOTONIC itself
 *   report.c   summary.txt, .hgrm files, timeseries.csv, plots, facts
 *   io_sock.c  backend: kernel UDP sockets, one per session
 *   io_dpdk.c  backend: one DPDK port, ARP, UDP frames (the only rte_ file)
 *
 * Design. One thread does everything: the generator is a poll loop that
 * sends what is due, polls the backend for received datagrams (each with
 * the time it was read), and runs its timers. Both backends sit behind the
 * same struct nxg_io_ops, chosen at start-up, so the core (sessions, mix,
 * scheduling, matching, recording) is one code path. Latency is measured
 * from the INTENDED send time of each request (open loop: its slot in the
 * schedule; closed loop: the arrival of the previous answer), so a
 * generator or venue that falls behind shows it in the percentiles instead
 * of hiding it (no coordinated omission). Nothing is allocated after
 * start-up; histograms are nx_hist.
 */
#ifndef NXGEN_H
#define NXGEN_H

#include <stdint.h>
#include <stdio.h>

#include "nx/client.h"
#include "nx/config.h"
#include "nx/hist.h"

#define NXG_MAX_SESSIONS 1024
/* clOrdIds over which a late answer is still recognised (and counted late)
 * after its request was declared lost, its slot since reused. */
#define NXG_LOST_SPAN (UINT64_C(1) << 16)
#define NXG_MAX_ACCTS    64
#define NXG_MAX_INSTS    64
#define NXG_MAX_LIVE     64    /* resting orders a session keeps, at most */
#define NXG_RX_BURST     64
#define NXG_TX_BURST     64
#define NXG_DGRAM_MSGS   128   /* messages in one datagram: 1472 / 14 at least */
#define NXG_HIST_HIGHEST NX_HIST_HOUR_NS /* latencies up to an hour exact to 0.1%; above,
                                           counted saturated and reported */

/* --- Request kinds: the order mix ------------------------------------------- */

enum nxg_kind {
	NXG_NEW,     /* post-only GTC limit resting 1..levels ticks behind the reference */
	NXG_CANCEL,  /* CancelOrder of one of the session's resting orders */
	NXG_REPLACE, /* CancelReplace of one of them to another passive level */
	NXG_AGGR,    /* marketable IOC limit sweeping up to `levels` ticks: trades */
	NXG_IOC,     /* IOC limit at the touch (1 tick through): trades or is canceled */
	NXG_REJECT,  /* a limit order outside the price collar: fails pre-trade risk */
	NXG_NKINDS,
	NXG_MASS = NXG_NKINDS, /* the clean-up MassCancel, never measured */
};

extern const char *const nxg_kind_name[NXG_NKINDS];

/* --- Options ------------------------------------------------------------------- */

enum nxg_io_kind { NXG_IO_SOCK, NXG_IO_DPDK };
enum nxg_mode { NXG_CLOSED, NXG_OPEN };
enum nxg_arrival { NXG_CONST, NXG_POISSON };
enum nxg_clock_kind { NXG_CLOCK_TSC, NXG_CLOCK_MONO, NXG_CLOCK_TEST };

struct nxg_opts {
	char name[32];              /* label of the run (compare mode: "A", "B" or name=) */
	const char *config;         /* the venue file */
	uint8_t io;                 /* enum nxg_io_kind */
	uint8_t mode;               /* enum nxg_mode */
	uint8_t arrival;            /* enum nxg_arrival */
	uint8_t clock;              /* enum nxg_clock_kind */
	uint8_t busy;               /* spin instead of sleeping between events */
	uint8_t quiet;              /* no progress line */
	char host[64];              /* venue IPv4; "" : the venue file's net.ports[0].ipv4 */
	uint16_t venue_port;        /* without a net section: the one UDP port */
	uint32_t sessions;          /* 0: one per account and shard */
	uint32_t naccts;
	nx_acct_t accts[NXG_MAX_ACCTS];
	uint32_t ninsts;
	nx_inst_t insts[NXG_MAX_INSTS];
	double rate;                /* open loop: requests per second, all sessions */
	double warmup_s, duration_s;
	uint64_t count;             /* measured requests; 0: by duration */
	uint32_t timeout_ms;        /* a request unanswered this long is lost */
	uint32_t mix[NXG_NKINDS];   /* weights */
	uint32_t levels;            /* passive price levels behind the reference */
	uint32_t max_live;          /* resting orders per session */
	uint32_t window;            /* requests in flight per session (power of two) */
	uint32_t keepalive_ms;
	int cpu;                    /* pin the generator to this CPU; -1: no */
	uint32_t drop_every;        /* test: drop every Nth received datagram (0: none) */
	const uint64_t *test_now_ns; /* test: the clock reads this (ns), moved by the test's
	                               backend, so a run's timing does not depend on the
	                               machine; NULL (the command line): --clock */
	uint64_t seed;
	const char *out;            /* results folder, or NULL */
	/* DPDK backend */
	char dev[64];               /* DPDK port name; "": the first port */
	char src_ip[32];            /* our address on it */
	uint16_t src_port;          /* first local UDP port; session i uses src_port + i */
};

void nxg_opts_default(struct nxg_opts *o);
/* Set one option by its long name ("rate", "io", ...). 0, or -1 with a message in err. */
int nxg_opt_set(struct nxg_opts *o, const char *name, const char *val, char *err, size_t errlen);

/* --- The clock (clock.c) ------------------------------------------------------------ */

struct nxg_clock {
	uint8_t kind;               /* enum nxg_clock_kind actually in use */
	const uint64_t *test_ns;    /* NXG_CLOCK_TEST: now */
	uint64_t tsc0, ns0;
	uint64_t ns_per_tsc_q32;    /* 32.32 fixed point */
	double tsc_hz;
	char what[160];             /* how it was set up, for the report */
};

/* want: enum nxg_clock_kind; test_ns, if not NULL, overrides it (NXG_CLOCK_TEST). */
int nxg_clock_init(struct nxg_clock *c, int want, const uint64_t *test_ns);
uint64_t nxg_mono_ns(void);
uint64_t nxg_wall_ns(void);

static inline uint64_t nxg_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	return nxg_mono_ns();
#endif
}

/* Now on the generator's clock, in ns. */
static inline uint64_t nxg_now(const struct nxg_clock *c)
{
	if (c->kind != NXG_CLOCK_TSC) /* one test on the TSC path, as before the test clock */
		return c->kind == NXG_CLOCK_MONO ? nxg_mono_ns() : *c->test_ns;
	return c->ns0 + (uint64_t)(((unsigned __int128)(nxg_rdtsc() - c->tsc0) * c->ns_per_tsc_q32) >> 32);
}

/* --- The backend seam ------------------------------------------------------------- */

struct nxg_tx {
	uint32_t sess;              /* session index */
	uint16_t len;
	const uint8_t *data;
};

struct nxg_rx {
	uint32_t sess;
	uint32_t len;
	const uint8_t *data;        /* valid until the next poll */
	uint64_t ts_ns;             /* when it was received, on the generator's clock */
};

struct nxg_io;

struct nxg_io_ops {
	const char *name;
	/* Open the transport (EAL already initialised for DPDK). */
	struct nxg_io *(*open)(const struct nxg_opts *o, const struct nxg_clock *clk, char *err,
			       size_t errlen);
	/* Endpoint of session idx: the venue's ip:port (host order). 0 or -errno (err). */
	int (*session)(struct nxg_io *io, uint32_t idx, uint32_t ip, uint16_t port, char *err,
		       size_t errlen);
	/* Send n datagrams; returns how many left (the rest are counted as tx failures). */
	unsigned (*send)(struct nxg_io *io, const struct nxg_tx *tx, unsigned n);
	/* Up to cap received datagrams, stamped; wait at most wait_ns for the first (0: poll). */
	unsigned (*poll)(struct nxg_io *io, struct nxg_rx *rx, unsigned cap, uint64_t wait_ns);
	/* Facts for the report: "key: value" lines. */
	void (*facts)(struct nxg_io *io, FILE *f);
	void (*close)(struct nxg_io *io);
};

extern const struct nxg_io_ops nxg_io_sock;
extern const struct nxg_io_ops nxg_io_dpdk;
/* DPDK's EAL, once per process: argv before "--". 0 or -1 (said). */
int nxg_dpdk_eal_init(int argc, char **argv);
void nxg_dpdk_eal_fini(void);

/* --- The generator (gen.c, mix.c) ------------------------------------------------- */

struct nxg_req {
	uint64_t cl;                /* clOrdId; 0: slot free */
	uint64_t seq;               /* its sequence number */
	uint64_t t_int, t_sent;     /* intended and actual send time */
	uint8_t kind;               /* enum nxg_kind */
	uint8_t measured;           /* intended inside the measurement window */
	uint64_t oid;               /* cancel/replace: venue id of the target resting order */
};

struct nxg_live {
	uint64_t oid, cl;
	nx_inst_t inst;
	uint8_t side;
	uint8_t pending;            /* a cancel or replace is in flight */
	int64_t px, qty;
};

enum nxg_sstate { NXG_S_NEW, NXG_S_NEGOTIATING, NXG_S_ESTABLISHING, NXG_S_UP, NXG_S_CLOSING,
		  NXG_S_DOWN };

struct nxg_sess {
	struct nx_client c;
	uint32_t idx, shard;
	uint8_t state;
	uint8_t rt_pending;         /* a RetransmitRequest is out */
	uint16_t port;
	uint32_t rt_count;          /* the count it asked for (refused TOO_MANY: rt_max halves it) */
	uint32_t ninsts;
	uint32_t insts[NXG_MAX_INSTS]; /* indexes into gen->inst */
	uint64_t last_tx, rt_sent;
	uint64_t rt_retry_at;       /* refused THROTTLED: ask again no sooner (the venue's
	                               budget covers the count then) */
	uint64_t rt_ts;             /* the latest RetransmitRequest's timestamp (wall ns):
	                               a RetransmitReject echoing another is stale */
	uint64_t last_done;         /* the last request answered or declared lost (closed
	                               loop: the next one is due then) */
	uint64_t next_cl, tail;     /* next clOrdId; oldest that may still be in flight */
	uint32_t inflight;
	uint32_t pend_new;          /* resting orders sent, not yet answered */
	struct nxg_req *req;        /* window slots, by clOrdId & (window - 1) */
	uint64_t *lost;             /* a bit per clOrdId of the last NXG_LOST_SPAN: declared
	                               lost, and its late answer not seen yet */
	uint32_t nlive;
	struct nxg_live live[NXG_MAX_LIVE];
};

struct nxg_inst {
	nx_inst_t id;
	int64_t ref, tick, qty, band, max_qty, lot;
	uint32_t shard;
};

/* Counters of one run. "all" counts every phase (what the venue sees);
 * the per-kind ones and the histograms, the measured window only. */
struct nxg_counts {
	uint64_t dgrams_out, dgrams_in, msgs_out, msgs_in;
	uint64_t tx_fail;
	uint64_t sent[NXG_NKINDS + 1];      /* requests by kind, all phases (+ mass cancels) */
	uint64_t m_sent[NXG_NKINDS];        /* measured window */
	uint64_t m_answered[NXG_NKINDS];
	uint64_t m_lost[NXG_NKINDS];
	uint64_t m_rejected[NXG_NKINDS];    /* of m_answered: answered by a reject */
	uint64_t lost, late, answered;      /* all phases */
	uint64_t rejects[256];              /* by reason, every reject message received */
	uint64_t by_template[NX_NXP_TID_LIMIT];
	uint64_t fills;                     /* sides of trades in the ExecTrades received: a
	                                       maker's counts 1, an aggressor's its tradeCount */
	uint64_t gaps, gap_msgs, rt_requests, rt_rejects, recovered, duplicates;
	uint64_t expired;                   /* venue messages its history no longer held (the
	                                       client library's expired, summed over sessions
	                                       at the end of the run) */
	uint64_t hb_out, hb_in, dropped_test, not_applied, terminated;
	uint64_t all_down;                  /* the load ended because no session was up */
	uint64_t fallback;                  /* cancel/replace without a resting order: sent as new */
	uint64_t window_full;               /* open loop: no session had a free slot */
	uint64_t polls, polls_empty;        /* backend polls, all phases; those that got nothing */
	uint64_t polls_spun;                /* of polls_empty, those not allowed to wait: the
	                                       loop spinning (--idle busy does, sleep must not) */
	uint64_t rt_throttled;              /* of rt_rejects, RETRANSMIT_THROTTLED: the venue's
	                                       retransmission budget, not a lost message */
	uint64_t rt_stale;                  /* of rt_rejects, refusals of an earlier request
	                                       than the session's latest: ignored */
};

/* One row of timeseries.csv: what happened to the measured requests during
 * one second (sent then, answered then, declared lost then; rejects: those
 * of the answered whose answer was a reject), and the latencies of those
 * answers. Every column counts the same requests over the same second, so
 * each sums over the rows to the measured count of the summary. */
struct nxg_sec {
	uint32_t t;
	uint64_t sent, answered, lost, rejects;
	uint64_t p50, p90, p99, p999, max;
};

struct nxg_result {
	struct nxg_opts o;
	struct nxg_counts n;
	struct nx_hist *h[NXG_NKINDS + 1];  /* per kind; [NXG_NKINDS]: all */
	struct nx_hist *lag;                /* actual minus intended send time */
	uint32_t nsess;
	double secs;                        /* measured window, s */
	double achieved_rate;               /* measured requests sent per second */
	struct nxg_sec *ts;
	uint32_t nts, cap_ts;
	char clock_what[160];
	char io_facts[2048];
	char venue[256];
	int ok;
};

/* Run one configuration against the venue; fills r (histograms created
 * here; nxg_result_free). Returns 0, or 1 (could not run: said on stderr). */
int nxg_run(const struct nxg_opts *o, const struct nx_venue_config *cfg, struct nxg_result *r,
	    volatile int *stop);
void nxg_result_free(struct nxg_result *r);

/* mix.c */
struct nxg_gen;
struct nxg_rng { uint64_t s; };
static inline uint64_t nxg_rand(struct nxg_rng *r)
{
	/* splitmix64: fast, good enough for choosing orders and gaps */
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}
/* Choose the next request of s and encode it after the Sequence in w.
 * Returns the kind actually sent and fills *rq (cl, kind, live). */
/* The session's next clOrdId, taken: the lost bit it may have carried
 * NXG_LOST_SPAN numbers ago is cleared, so only its own loss sets it. */
static inline uint64_t nxg_take_cl(struct nxg_sess *s)
{
	uint64_t cl = s->next_cl++, b = cl & (NXG_LOST_SPAN - 1);
	s->lost[b / 64] &= ~(UINT64_C(1) << (b % 64));
	return cl;
}

int nxg_mix_next(struct nxg_sess *s, const struct nxg_inst *inst, const struct nxg_opts *o,
		 struct nxg_rng *rng, const uint32_t *cum, struct nx_nxp_writer *w,
		 struct nxg_req *rq, uint64_t *fallback);
/* Book-keeping of resting orders from venue reports. */
void nxg_mix_on_report(struct nxg_sess *s, const struct nx_client_msg *m, const struct nxg_req *rq);
void nxg_mix_release(struct nxg_sess *s, const struct nxg_req *rq);

/* --- Reports (report.c) ------------------------------------------------------------ */

void nxg_report_summary(FILE *f, const struct nxg_result *r);
void nxg_report_line(FILE *f, const struct nxg_result *r);     /* one greppable line */
void nxg_report_counts(FILE *f, const struct nxg_result *r);   /* "name value" lines */
int nxg_report_write(const char *dir, const struct nxg_result *r, int argc, char **argv,
		     const char *root);
void nxg_report_compare(FILE *f, const struct nxg_result *a, const struct nxg_result *b);
int nxg_report_compare_write(const char *dir, const struct nxg_result *a,
			     const struct nxg_result *b, int argc, char **argv, const char *root);

#endif /* NXGEN_H */
