/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The nanoex authors
 *
 * The control plane of the appliance, shared by nanoex (DPDK telemetry)
 * and nanoex-sock (a telemetry-compatible Unix socket). DPDK-free.
 *
 * Operators send text commands ("/nanoex/kill", params "account,7,on");
 * the control thread parses them and hands each to the shard(s) that own
 * the state through a per-shard mailbox. A shard checks its mailbox once
 * per loop iteration (one load of a line it otherwise only reads), runs the
 * request between bursts as one more sequenced input of its engine, and
 * posts the result. So shards take no lock and never wait on the control
 * plane; the control thread waits for the shard, with a timeout. Counters
 * and the latency histogram are copied by the shard on request or, for the
 * histogram, read with relaxed loads (nx/hist.h).
 *
 * Commands are documented in docs/appliance.md#telemetry; ctl_commands
 * lists them with their help text for registration.
 */
#ifndef NX_APP_CTL_H
#define NX_APP_CTL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>

#include "nx/book.h"
#include "nx/cc.h"
#include "nx/config.h"
#include "nx/engine.h"
#include "nx/hist.h"
#include "nx/net.h"

/* A shard's I/O counters: written by the shard only. */
struct ctl_io {
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t rx_udp;             /* UDP datagrams given to the pipeline */
	uint64_t arp_replies, icmp_replies;
	uint64_t arp_other;          /* ARP replies and gratuitous ARP: learned from, not answered */
	uint64_t rx_multiseg;        /* multi-segment (jumbo) frames: dropped */
	uint64_t reply_too_big;      /* ARP/ICMP requests whose reply did not fit the mbuf */
	uint64_t drop[NX_NET_DROP_MAX]; /* frames dropped by classification, by -reason */
	uint64_t drop_port;          /* UDP to a port no shard serves */
	uint64_t steer_out, steer_in; /* software steering: handed to / taken from a sibling */
	uint64_t steer_drop;         /* the sibling's ring was full */
	uint64_t tx_full;            /* frames the TX queue refused (freed) */
	uint64_t tx_refused;         /* nanoex-sock: datagrams the kernel refused for their
	                                address (EINVAL, EPERM...: a source port 0) */
	uint64_t rx_truncated;       /* nanoex-sock: datagrams longer than a 1500-byte
	                                MTU carries, dropped whole (nanoex: IP_FRAGMENT) */
	uint64_t no_mbuf;            /* replies lost for want of an mbuf */
	uint64_t no_neigh;           /* replies to an address with no known MAC */
	uint64_t loops, idle_loops;
};

#define CTL_BOOK_DEPTH 10

/* Room for a string answer, NUL included: DPDK telemetry keeps the first
 * RTE_TEL_MAX_STRING_LEN - 1 (127) characters of one and drops the rest,
 * so ctl writes none longer (lists end with " (+N more)"). */
#define CTL_STR_MAX 128

enum ctl_op { CTL_STATS = 1, CTL_ADMIN, CTL_BOOK };

struct ctl_reply {
	unsigned reason;             /* CTL_ADMIN: 0 or a reject reason */
	struct ctl_io io;            /* CTL_STATS */
	struct nx_engine_stats st;   /* CTL_STATS */
	int nlevels[2];              /* CTL_BOOK: bids, asks (best first) */
	struct nx_level_info levels[2][CTL_BOOK_DEPTH];
};

/* One per shard, written by the control thread (req, op, admin, inst) and
 * the shard (done, reply), each on its own cache line. */
struct ctl_mailbox {
	_Atomic uint64_t req NX_CACHE_ALIGNED;
	uint8_t op;
	struct nx_admin admin;
	nx_inst_t inst;
	_Atomic uint64_t done NX_CACHE_ALIGNED;
	uint64_t seen;               /* shard-private: the last request it served */
	struct ctl_reply reply;
};

/* Shard side: is there a request? One acquire load. */
static inline int ctl_pending(struct ctl_mailbox *mb)
{
	return atomic_load_explicit(&mb->req, memory_order_acquire) != mb->seen;
}

/* Shard side: serve the pending request with the shard's engine and
 * counters at now_ns; reports an admin command causes go to out. */
void ctl_serve(struct ctl_mailbox *mb, struct nx_engine *e, const struct ctl_io *io,
	       uint64_t now_ns, struct nx_out *out);

/* What the control plane knows of one shard. */
struct ctl_shard {
	struct ctl_mailbox *mb;
	const struct nx_hist *latency; /* receive-to-transmit, ns; read with relaxed loads */
	const struct ctl_io *io;     /* the shard's counters, for the summary and final lines */
	const struct nx_engine *engine;
	int running;
};

struct ctl {
	pthread_mutex_t lock;        /* one command at a time (telemetry clients are threads) */
	const struct nx_venue_config *cfg;
	struct ctl_shard shard[NX_NET_MAX_SHARDS];
	uint32_t nshards;
	const char *app;             /* "nanoex" or "nanoex-sock" */
	const char *io_name;         /* "dpdk" or "kernel" */
	uint64_t start_ns;
	unsigned timeout_ms;
	int stopped;                 /* ctl_stop: the shards' memory is going away */
};

/* An output sink: DPDK's rte_tel_data, or JSON for nanoex-sock. Flat dicts. */
struct ctl_writer {
	void (*u64)(void *ctx, const char *key, uint64_t v);
	void (*i64)(void *ctx, const char *key, int64_t v);
	void (*str)(void *ctx, const char *key, const char *v);
	void *ctx;
};

struct ctl_command {
	const char *name;            /* "/nanoex/stats" */
	const char *help;
};
extern const struct ctl_command ctl_commands[];  /* NULL-name terminated */

void ctl_init(struct ctl *c, const struct nx_venue_config *cfg, const char *app,
	      const char *io_name, uint64_t start_ns);

/*
 * Run one command. params may be NULL. Writes the result through w and
 * returns 0, or -EINVAL (bad parameters: w got an "error" string),
 * -ENOENT (unknown command), -ETIMEDOUT (a shard did not answer).
 * Thread-safe (serialised by c->lock).
 */
int ctl_run(struct ctl *c, const char *cmd, const char *params, const struct ctl_writer *w,
	    uint64_t now_ns);

/* A queue owner's I/O counters through w (the shards' part of /nanoex/stats). */
void ctl_write_io(const struct ctl_writer *w, const struct ctl_io *io);

/* From now on every command answers an error: called before the memory the
 * commands read (shards, histograms, the configuration) is freed. Waits for
 * a command in progress. */
void ctl_stop(struct ctl *c);

/* One progress line (rx, tx, orders, fills of all shards) while they run:
 * relaxed reads of counters the shards write, a progress line, not an audit. */
void ctl_print_summary(const struct ctl *c, FILE *f);

/* Every shard's non-zero counters and its latency, once the shards have
 * stopped (plain reads). */
void ctl_print_final(const struct ctl *c, FILE *f);

#endif /* NX_APP_CTL_H */
