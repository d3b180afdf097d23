/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The engine pipeline of one shard: a received UDP payload in, the UDP
 * payloads to send out. session -> decode -> risk -> match -> encode, in one
 * call, run to completion. The DPDK appliance and the kernel-socket server
 * both run exactly this; they own the sockets, queues and clocks.
 *
 * One call, nx_engine_rx(), takes (datagram, length, source address, now_ns)
 * and appends response datagrams, each with its destination, to a caller
 * array (struct nx_out). Replies are batched per destination session into
 * as few datagrams as fit NX_NXP_DGRAM_MAX. nx_engine_poll() runs the
 * timers (heartbeats, keepalive timeouts with cancel-on-disconnect, the rest
 * of a retransmission) and must be called regularly (every millisecond is
 * plenty).
 *
 * Guarantees: after nx_engine_create nothing allocates, locks, logs, reads a
 * clock or makes a system call; time is the now_ns argument (a wall clock
 * may step back: the session timers restart from the earlier time rather
 * than read the step as a timeout, and the message throttle and the
 * retransmission budget add nothing). The same sequence of calls with the
 * same arguments gives byte-identical output.
 * Every venue application message is kept in its session's history before
 * it is placed in an output datagram, so a datagram lost on the wire is
 * recovered by the client's RetransmitRequest (while its session's history
 * still holds it). One input may need more datagrams than nx_out holds (an
 * order trading with makers of many sessions, a venue-wide kill): a caller
 * that gives nx_out a spill function has out emptied (sent) whenever it is
 * full, so nothing waits; without one, what does not fit is counted in
 * out_overflow, an application message waits in its history for the
 * client's RetransmitRequest, and a session reply is lost (the client asks
 * again). Bad input is counted by reason and dropped or answered with a
 * reject; it never stops the engine.
 *
 * Threading: one thread per engine (a shard); engines share nothing.
 */
#ifndef NX_ENGINE_H
#define NX_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "nx/book.h" /* NX_BOOK_PF_*: the stages of nx_engine_prefetch */
#include "nx/config.h"
#include "nx/event.h"
#include "nx/nxp.h"

struct nx_engine;

/* An IPv4 UDP endpoint, host byte order, and how to reach it below IP. */
struct nx_addr {
	uint32_t ip;
	uint16_t port;
	uint64_t link;  /* the caller's, opaque: with a received datagram, where it
	                   came from below IP (nanoex: the port and the sender's
	                   MAC; 0: unknown). A session's binding keeps the link of
	                   its client's latest datagram, and every datagram sent
	                   there carries it in `to`, so a reply needs no lookup.
	                   Sessions are told apart by ip and port alone. */
};

struct nx_out_dgram {
	struct nx_addr to;
	uint16_t len;
	uint8_t data[NX_NXP_DGRAM_MAX];
};

/* Where nx_engine_rx / _poll / _admin / _shutdown put datagrams: d[n..cap-1]
 * are free. The caller empties it (sets n = 0) after sending.
 *
 * spill, if not NULL, is called when the engine needs a datagram and
 * n == cap, in the middle of a call: it must send d[0..n) in order (or drop
 * and count what it cannot send) and set n = 0; the engine then goes on in
 * a fresh array and never appends to a datagram it spilled. It runs on the
 * engine's thread, on the hot path, so it must not block: a DPDK TX burst,
 * a non-blocking sendmmsg. Counted in nx_engine_stats.out_spills. */
struct nx_out {
	struct nx_out_dgram *d;
	uint32_t cap;
	uint32_t n;
	void (*spill)(struct nx_out *out, void *arg);
	void *spill_arg;
};

/* Counters, monotonic from create. Drops name their cause. */
struct nx_engine_stats {
	uint64_t rx_dgrams, rx_msgs, tx_dgrams, tx_msgs;
	uint64_t drop_malformed;     /* framing or message errors (nx_nxp_err) */
	uint64_t drop_unbound;       /* traffic from an address with no session (or not the
	                                session it names); the rest of a datagram after a
	                                refused Negotiate or Establish, or a RetransmitRequest */
	uint64_t drop_unsequenced;   /* application messages without a Sequence first */
	uint64_t drop_duplicate;     /* client messages already applied (resent) */
	uint64_t drop_direction;     /* messages only the venue sends */
	uint64_t drop_no_session;    /* reports for an order whose session is gone */
	uint64_t out_overflow;       /* times a message found nx_out full, with no spill or
	                                after a spill that left it full: an application
	                                message is kept in history (retransmittable), a
	                                session reply (EstablishmentAck, RetransmitReject,
	                                Terminate ...) is lost and the client retries */
	uint64_t out_spills;         /* times nx_out was full and its spill emptied it */
	uint64_t not_applied;        /* client sequence numbers reported lost */
	uint64_t throttled;
	uint64_t orders, cancels, replaces;
	uint64_t fills;              /* sides of trades: 2 a trade (an aggressor's ExecTrade
	                                may report several: its tradeCount) */
	uint64_t rejects[256];       /* by reason code (nx/reason.h) */
	uint64_t sessions_negotiated, sessions_established, sessions_terminated;
	uint64_t retransmitted;      /* messages resent */
	uint64_t retransmit_expired; /* requested messages overwritten in the history
	                                before their turn came (not sent) */
	uint64_t retransmit_throttled; /* RetransmitRequests refused RETRANSMIT_THROTTLED:
	                                the session's retransmission budget
	                                (sessions.retransmit_rate, _burst) could not
	                                cover them */
	uint64_t drop_finished;      /* client application messages after its FinishedSending */
	uint64_t seq_violations;     /* bindings ended for impossible sequence numbers */
	uint64_t drop_copies;        /* execution reports copied into a drop-copy session's flow */
	uint64_t drop_copy_waited;   /* copies that waited for their receiver's next session
	                                (none yet, or finished); counted again in drop_copies
	                                when one takes them */
	uint64_t drop_copy_lost;     /* copies that found no session and no room to wait
	                                (`history` of them wait at most) */
};

/*
 * Build an engine for a loaded configuration (which it copies; the caller
 * may free it afterwards). tap, if not NULL, receives every book event after
 * the engine has handled it (market data, clearing, journal). Returns NULL
 * with a message in err on failure (capacity, invalid configuration).
 */
struct nx_engine *nx_engine_create(const struct nx_venue_config *cfg, nx_event_fn tap,
				   void *tap_ctx, char *err, size_t errlen);

/*
 * Where an engine's memory comes from: the DPDK appliance gives hugepage
 * memory on the NIC's NUMA socket (rte_zmalloc_socket). alloc returns
 * zeroed memory aligned to NX_CACHE_LINE, or NULL; it is called only
 * inside nx_engine_create_in (a handful of blocks, the largest the order
 * pool and session histories), free only inside nx_engine_destroy.
 */
struct nx_engine_alloc {
	void *(*alloc)(void *ctx, size_t bytes);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* nx_engine_create with memory from a (NULL: aligned_alloc, zeroed; a block
 * of 2 MiB or more aligned to 2 MiB and advised MADV_HUGEPAGE). */
struct nx_engine *nx_engine_create_in(const struct nx_venue_config *cfg, nx_event_fn tap,
				      void *tap_ctx, const struct nx_engine_alloc *a, char *err,
				      size_t errlen);
void nx_engine_destroy(struct nx_engine *e);

/* Process one received UDP payload from src at now_ns. Returns the number of
 * datagrams it produced (those spilled included). */
uint32_t nx_engine_rx(struct nx_engine *e, const uint8_t *data, size_t len, struct nx_addr src,
		      uint64_t now_ns, struct nx_out *out);

/*
 * Prefetch hints for datagrams the caller will give nx_engine_rx soon (the
 * later packets of an RX burst): the book's staged hints (nx/book.h,
 * NX_BOOK_PF_*) for each order request in them. They pay where a
 * command's lines miss the cache, a deep book (a few hundred thousand
 * resting orders and more); in a book that fits the cache they are
 * instructions for nothing, so they do nothing while the book holds fewer
 * than the configuration's prefetch_min_orders, or when it is 0 (the
 * default: on the VM this was built on their gain did not hold up,
 * docs/performance.md). They only read: results never depend on them,
 * and any bytes are safe to pass.
 *
 * nx_engine_prefetch_burst is the schedule a caller holding a burst uses:
 * called before nx_engine_rx of datagram i of data[0..n-1] (len[k] bytes;
 * data[k] NULL: not one for this engine), it gives stage s for datagram
 * i + 3 - s, and at i == 0 the earlier stages the first ones missed.
 * nx_engine_prefetch gives one stage for one datagram, for other schedules
 * (perf/bench_engine --prefetch N: stage s for the datagram (3 - s) x N
 * ahead of an unbroken stream). nx_engine_prefetch_wanted says whether
 * they would do anything now: a caller that must find each packet's
 * payload first asks once a burst and skips that work otherwise.
 */
void nx_engine_prefetch_burst(const struct nx_engine *e, const uint8_t *const *data,
			      const size_t *len, unsigned n, unsigned i);
void nx_engine_prefetch(const struct nx_engine *e, const uint8_t *data, size_t len,
			unsigned stage);
int nx_engine_prefetch_wanted(const struct nx_engine *e);

/* Run the timers at now_ns. Returns the number of datagrams produced. */
uint32_t nx_engine_poll(struct nx_engine *e, uint64_t now_ns, struct nx_out *out);

/* The venue is stopping: end every binding with Terminate(VENUE_SHUTDOWN),
 * one datagram each, as many as out has room for (all of them when out has a
 * spill). Ending a binding runs cancel-on-disconnect for accounts configured
 * with it, as any other end does. Returns the bindings still open for want
 * of room: send out's datagrams and call again until it returns 0. Sessions
 * survive (a client may establish again with a later start of the venue that
 * keeps state). */
uint32_t nx_engine_shutdown(struct nx_engine *e, uint64_t now_ns, struct nx_out *out);

/*
 * An operator command from the control plane, the same four the admin
 * messages of NXP carry (docs/protocol.md#admin-messages), for operators
 * who are not a session: the appliance's telemetry commands, scripts.
 */
enum nx_admin_op {
	NX_ADMIN_KILL = 1,   /* kill switch: scope (enum nx_kill_scope), id, on */
	NX_ADMIN_STATUS,     /* instrument id -> status (enum nx_inst_status), cancel_resting */
	NX_ADMIN_REF_PX,     /* instrument id -> reference price value (ticks) */
	NX_ADMIN_LIMIT,      /* account id: limit_kind (enum nx_limit_kind) = value */
};

struct nx_admin {
	uint8_t op;
	uint8_t scope, on;           /* NX_ADMIN_KILL */
	uint8_t status, cancel_resting; /* NX_ADMIN_STATUS */
	uint8_t limit_kind;          /* NX_ADMIN_LIMIT */
	uint32_t id;                 /* account or instrument (0 for a venue kill) */
	int64_t value;               /* NX_ADMIN_REF_PX, NX_ADMIN_LIMIT */
};

/*
 * Apply an operator command at now_ns, as one more sequenced input of the
 * engine (same thread as nx_engine_rx). Returns 0, or the reject reason
 * (nx/reason.h: UNKNOWN_ACCOUNT, UNKNOWN_INSTRUMENT, BAD_FIELD, BAD_PRICE,
 * PRICE_NOT_TICK), counted in rejects[]. The execution reports it causes
 * (orders canceled by a kill switch or a halt with cancel_resting) are
 * appended to out like those of any call.
 */
unsigned nx_engine_admin(struct nx_engine *e, const struct nx_admin *a, uint64_t now_ns,
			 struct nx_out *out);

const struct nx_engine_stats *nx_engine_stats(const struct nx_engine *e);

/* The engine's book (read-only queries, e.g. for tests and the control plane). */
const struct nx_book *nx_engine_book(const struct nx_engine *e);

#endif /* NX_ENGINE_H */
